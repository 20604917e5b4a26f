"""Streaming ingestion of large person-level contributions (millions of rows) into Parquet.

    ingest_batches(batches, sheet, settings, scanner, out_dir)   scan, strip identifiers, publish
    csv_batches(path)                                           a large CSV read block by block

The whole contribution never sits in memory: it arrives as pyarrow RecordBatches (from a
generator, or ``csv_batches`` over a file), and each batch is checked, stripped and written
to Parquet before the next is read, so memory is bounded by the batch size.

Identifier scanning works on samples, with the same classification as ``commons ingest``
(``guardrails.contributions``): the first ``SAMPLE`` rows spread over the first batch decide
every column's role and action (a column that looks like an identifier but is not declared
as one refuses the whole upload); then every batch has ``SPOT`` rows of each kept column
scanned again, so identifiers that only start later in the file still stop the ingest.
Direct identifiers are dropped or replaced by the same keyed hash (HMAC-SHA256) as
``contributions.pseudonym``; values are checked vectorised (area codes, numeric measures).

What is published (atomically: written beside, then renamed into place):

    <out_dir>/<dataset>/part-00000.parquet ...   rows in arrival order (the generator's is LSOA
                                                 code order, so each file and row group covers
                                                 a narrow range of areas: DuckDB and Spark skip
                                                 row groups by their min/max statistics)
    <out_dir>/<dataset>.yaml                     the published datasheet (source_file: <dataset>)
    <out_dir>/<dataset>.ingest.json              rows, timings, rows per second, file digests
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import random
import resource
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from guardrails import contributions
from guardrails.disclosure import KEY_SPACE
from kernel.errors import IngestError
from retrieval import national
from retrieval.datasheets import RECORD_KEY, Datasheet, load_datasheet
from retrieval.store import TableSource, load_geo_lad, build_tables, parquet_digest

Progress = Callable[[str], None]
SAMPLE = contributions.SAMPLE          # rows scanned to classify the columns
SPOT = 20                              # rows of each kept column scanned again in every batch
FILE_ROWS = 2_000_000                  # rows per published Parquet file
ROW_GROUP = 131_072
BULK_VERSION = 2           # 2: person-level rows carry their record key (cell-key perturbation)


@dataclass(frozen=True)
class BulkResult:
    dataset: str
    folder: Path
    sheet_path: Path
    rows: int
    files: int
    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    pseudonymised: tuple[tuple[str, str], ...]
    report: contributions.ScanReport
    elapsed_s: float
    rows_per_s: float
    spot_checked: int

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "folder": str(self.folder), "sheet": str(self.sheet_path),
                "rows": self.rows, "files": self.files, "kept": list(self.kept), "dropped": list(self.dropped),
                "pseudonymised": [list(p) for p in self.pseudonymised], "elapsed_s": self.elapsed_s,
                "rows_per_s": self.rows_per_s, "spot_checked": self.spot_checked,
                "report": self.report.to_dict()}


def csv_batches(path: Path, block_bytes: int = 16 << 20) -> Iterator[pa.RecordBatch]:
    """A CSV file as RecordBatches of about ``block_bytes`` each, every column read as text
    (types are checked per batch, as the store will read them)."""
    import pyarrow.csv as pacsv

    path = Path(path)
    try:
        with path.open("rb") as fh:
            names = fh.readline().decode("utf-8-sig").strip().split(",")
        reader = pacsv.open_csv(str(path), read_options=pacsv.ReadOptions(block_size=block_bytes),
                                convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                                     strings_can_be_null=False))
        for batch in reader:
            yield batch
    except (OSError, pa.ArrowInvalid, UnicodeDecodeError) as e:
        raise IngestError(f"{path.name} cannot be read as CSV: {str(e).splitlines()[0][:200]}") from None


def _strings(col: pa.Array) -> list[str]:
    return ["" if v is None else str(v) for v in col.to_pylist()]


def _sample_table(batch: pa.RecordBatch, n: int) -> contributions._Table:
    step = max(1, batch.num_rows // n)
    idx = pa.array(range(0, batch.num_rows, step)[:n])
    part = batch.take(idx)
    cols = [_strings(part.column(i)) for i in range(part.num_columns)]
    rows = [list(r) for r in zip(*cols)]
    return contributions._Table(tuple(batch.schema.names), rows, [int(i) + 2 for i in idx.to_pylist()], "")


class _Keyed:
    """``contributions.pseudonym`` for whole columns: the same keyed hash, one HMAC state
    copied per value."""

    def __init__(self, key: bytes, dataset: str):
        self._base = hmac.new(key, digestmod=hashlib.sha256)
        self._prefix = f"{dataset}\x1f".encode()

    def column(self, col: pa.Array) -> pa.Array:
        norm = pc.utf8_upper(pc.replace_substring_regex(pc.cast(col, pa.string()), r"\s+", ""))
        out = []
        base, prefix = self._base, self._prefix
        for v in norm.to_pylist():
            if not v:
                out.append("")
                continue
            h = base.copy()
            h.update(prefix + v.encode("utf-8"))
            out.append(h.hexdigest()[:32])
        return pa.array(out, pa.string())


def _numeric(sheet: Datasheet) -> set[str]:
    return {c for m in sheet.measures for c in (m.column, m.weight, m.numerator, m.denominator, *m.sum_of) if c}


def _check_batch(batch: pa.RecordBatch, sheet: Datasheet, first_line: int) -> None:
    names = batch.schema.names
    geo = sheet.geography.column
    if geo in names:
        ok = pc.match_substring_regex(pc.cast(batch.column(names.index(geo)), pa.string()), r"^[EWSN]\d{8}$")
        bad = pc.invert(pc.fill_null(ok, False))
        if pc.any(bad).as_py():
            line = first_line + pc.index(bad, True).as_py()
            raise IngestError(f"column '{geo}' must hold area codes such as E01006512: line {line} does not.")
    for c in sorted(_numeric(sheet) & set(names)):
        col = batch.column(names.index(c))
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            continue
        try:
            pc.cast(pc.if_else(pc.equal(col, ""), None, col), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise IngestError(f"column '{c}' must hold numbers: a value in the rows from line {first_line} "
                              "on does not.") from None


def _typed(col: pa.Array, name: str, numeric: set[str]) -> pa.Array:
    if name in numeric and not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        col = pc.if_else(pc.equal(col, ""), None, col)
        try:
            return pc.cast(col, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return pc.cast(col, pa.float64())
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return pc.utf8_trim_whitespace(col)
    return col


def ingest_batches(batches: Iterable[pa.RecordBatch], sheet: Datasheet, settings, scanner,
                   out_dir: Path, progress: Progress | None = None, file_rows: int = FILE_ROWS,
                   origin: str = "bulk") -> BulkResult:
    """Scan, strip and publish a stream of RecordBatches as ``out_dir/<dataset>/*.parquet``."""
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    contributions._check_sheet(sheet)
    it = iter(batches)
    try:
        first = next(it)
    except StopIteration:
        raise IngestError(f"The contribution for '{sheet.id}' has no rows.") from None
    header = tuple(first.schema.names)
    say(f"bulk ingest {sheet.id}: scanning {len(header)} columns on a sample of {min(SAMPLE, first.num_rows)} rows")
    report = contributions._scan_table(_sample_table(first, SAMPLE), sheet, scanner, sheet.id)
    if not report.ok:
        raise IngestError(f"The contribution was not published to '{sheet.id}': " + " ".join(report.problems))
    actions = {c.name: c.action for c in report.columns if c.name in header}
    roles = {c.name: c for c in sheet.columns}
    keyed = {c: roles[c].key_column or f"{c}_key" for c, a in actions.items() if a == "pseudonymise"}
    hasher = _Keyed(contributions.secret_key(settings), sheet.id) if keyed else None
    kept = [c for c in header if actions[c] == "keep"]
    numeric = _numeric(sheet)
    out_names = [keyed.get(c, c) for c in header if actions[c] in ("keep", "pseudonymise")]
    # Person-level records carry a fixed random key (``record_key``: the cell-key perturbation
    # sums them per cell, as ``contributions.record_keys`` does for a CSV contribution); a
    # SYNTHETIC generated dataset's keys come from its id, so its figures are reproducible.
    keys = _record_keys(sheet.id, origin) if sheet.person_level else None
    if keys is not None:
        out_names.append(RECORD_KEY)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / f".bulk-{sheet.id}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    work.mkdir()
    rows = files = spot = 0
    writer: pq.ParquetWriter | None = None
    in_file = 0
    digests: dict[str, str] = {}
    rnd = random.Random(0)
    try:
        for k, batch in enumerate(_chain(first, it)):
            if tuple(batch.schema.names) != header:
                raise IngestError(f"Batch {k + 1} of '{sheet.id}' has other columns than the first.")
            _check_batch(batch, sheet, rows + 2)
            if k:                     # the first batch was scanned in full sample already
                picks = pa.array(sorted(rnd.sample(range(batch.num_rows), min(SPOT, batch.num_rows))))
                part = batch.take(picks)
                for c in kept:
                    scan = scanner.scan_column(c, _strings(part.column(header.index(c))), sample=SPOT, seed=k)
                    share = float(getattr(scan, "share", 0.0) or 0.0)
                    if getattr(scan, "entity", None) and share >= contributions.IDENTIFIER_SHARE:
                        raise IngestError(f"column '{c}' looks like {scan.entity} values in {share:.0%} of the "
                                          f"values sampled from rows {rows + 2}-{rows + batch.num_rows + 1}, but "
                                          "the datasheet does not mark it as a direct identifier; nothing was "
                                          "published.")
                spot += len(picks)
            arrays = []
            for c in header:
                a = actions[c]
                if a == "drop":
                    continue
                col = batch.column(header.index(c))
                arrays.append(hasher.column(col) if a == "pseudonymise" else _typed(col, c, numeric))
            if keys is not None:
                arrays.append(pa.array(keys.integers(0, KEY_SPACE, batch.num_rows, dtype=np.int64)))
            table = pa.Table.from_arrays(arrays, names=out_names)
            if writer is None or in_file >= file_rows:
                if writer is not None:
                    writer.close()
                name = f"part-{files:05d}.parquet"
                writer = pq.ParquetWriter(str(work / name), table.schema, compression="zstd")
                files += 1
                in_file = 0
            writer.write_table(table, row_group_size=ROW_GROUP)
            rows += table.num_rows
            in_file += table.num_rows
            if k % 5 == 4:
                say(f"bulk ingest {sheet.id}: {rows:,} rows")
        if writer is not None:
            writer.close()
            writer = None
        for f in sorted(work.glob("*.parquet")):
            digests[f.name] = _file_sha256(f)
        elapsed = time.perf_counter() - started
        published = contributions._published_sheet(sheet, header, report).model_copy(
            update={"source_file": sheet.id})
        sheet_bytes = yaml.safe_dump(published.model_dump(mode="json", exclude_defaults=True), sort_keys=False,
                                     allow_unicode=True, width=100).encode("utf-8")
        stamp = {"dataset": sheet.id, "origin": origin, "bulk_version": BULK_VERSION, "rows": rows,
                 "files": digests, "elapsed_s": round(elapsed, 2), "rows_per_s": round(rows / elapsed),
                 "spot_checked_rows": spot,
                 "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                 "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "columns": actions}
        final = out_dir / sheet.id
        old = out_dir / f".old-{sheet.id}-{uuid.uuid4().hex[:6]}"
        if final.exists():
            os.replace(final, old)
        os.replace(work, final)
        _write(out_dir / f"{sheet.id}.yaml", sheet_bytes)
        _write(out_dir / f"{sheet.id}.ingest.json", json.dumps(stamp, indent=1).encode())
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if writer is not None:
            writer.close()
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    say(f"bulk ingest {sheet.id}: published {rows:,} rows in {files} files, {rows / elapsed:,.0f} rows/s")
    return BulkResult(sheet.id, out_dir / sheet.id, out_dir / f"{sheet.id}.yaml", rows, files, tuple(kept),
                      tuple(c for c, a in actions.items() if a == "drop"), tuple(keyed.items()), report,
                      round(elapsed, 2), round(rows / elapsed, 1), spot)


def _record_keys(dataset: str, origin: str) -> np.random.Generator:
    """Where the record keys come from: random for an upload, seeded by the dataset's id for a
    SYNTHETIC generated dataset (the same rows get the same keys on every machine)."""
    if origin.startswith("synthetic"):
        seed = int.from_bytes(hashlib.sha256(f"record-key:{dataset}".encode()).digest()[:16], "big")
        return np.random.default_rng(seed)
    return np.random.default_rng(int.from_bytes(os.urandom(16), "big"))


def _chain(first, rest) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# -- the SYNTHETIC national-scale commons ---------------------------------------------------------
@dataclass(frozen=True)
class NationalCommons:
    """The national-scale SYNTHETIC lupus commons under ``settings.scale_dir``: its catalogue
    (a store of its own: synthetic geography + the dataset), its published datasheet and what
    its ingestion measured."""

    catalog: Path
    sheet: Datasheet
    ingest: dict
    reused: bool
    peak_rss_mb: float = 0.0


def _national_paths(settings) -> tuple[Path, Path, Path]:
    root = Path(settings.scale_dir)
    return root, root / "published", root / "geo"


def national_is_current(settings, rows: int = national.DEFAULT_ROWS,
                        chunk_rows: int = national.CHUNK_ROWS) -> bool:
    """Whether the national commons under ``settings.scale_dir`` was generated from the same
    inputs (data files, generator, rows, chunk size) and every file it published is there."""
    root, pub, geo_dir = _national_paths(settings)
    try:
        stamp = json.loads((root / "generated.json").read_text())
        ingested = json.loads((pub / f"{national.DATASET_ID}.ingest.json").read_text())
        files = ingested["files"]
    except (OSError, ValueError, KeyError):
        return False
    return (stamp.get("inputs") == national.inputs_digest(Path(settings.data_dir), rows, chunk_rows=chunk_rows)
            and (geo_dir / "geo_lsoa21.parquet").exists() and (pub / f"{national.DATASET_ID}.yaml").exists()
            and ingested.get("bulk_version") == BULK_VERSION
            and all((pub / national.DATASET_ID / f).exists() for f in files))


def ensure_national(settings, rows: int = national.DEFAULT_ROWS, scanner=None, progress: Progress | None = None,
                    chunk_rows: int = national.CHUNK_ROWS, file_rows: int = FILE_ROWS) -> NationalCommons:
    """Generate, ingest and build the national commons when missing or stale; reuse it otherwise.

    Layout under ``settings.scale_dir``: ``published/`` (the Parquet dataset, its datasheet and
    ingest stamp), ``geo/geo_lsoa21.parquet`` (the synthetic areas), ``commons.duckdb`` and
    ``store/`` (the catalogue, built by ``retrieval.store.build_tables``)."""
    say = progress or (lambda _m: None)
    data_dir = Path(settings.data_dir)
    root, pub, geo_dir = _national_paths(settings)
    reused = national_is_current(settings, rows, chunk_rows)
    if not reused:
        with _lock(root):
            if not national_is_current(settings, rows, chunk_rows):   # another process may have made it
                _generate_national(settings, rows, scanner, say, chunk_rows, file_rows)
    sheet = load_datasheet(pub / f"{national.DATASET_ID}.yaml")
    sheet = sheet.model_copy(update={"source_file": str(pub / national.DATASET_ID)})
    geo_file = geo_dir / "geo_lsoa21.parquet"
    sources = [TableSource("geo_lsoa21", parquet_digest(geo_file), parquet=geo_file, what="synthetic areas")]
    sources.append(TableSource("geo_lad", _digest_of("geo_lad", sources[0].digest), load=load_geo_lad,
                               deps=("geo_lsoa21",), what="synthetic council lookup"))
    sources.append(TableSource(sheet.table, parquet_digest(pub / national.DATASET_ID),
                               parquet=pub / national.DATASET_ID, what=sheet.id))
    build_tables(root / "commons.duckdb", sources, say)
    ingest = json.loads((pub / f"{national.DATASET_ID}.ingest.json").read_text())
    return NationalCommons(root / "commons.duckdb", sheet, ingest, reused, float(ingest.get("peak_rss_mb") or 0.0))


def _generate_national(settings, rows: int, scanner, say: Progress, chunk_rows: int, file_rows: int) -> None:
    data_dir = Path(settings.data_dir)
    root, pub, geo_dir = _national_paths(settings)
    (root / "generated.json").unlink(missing_ok=True)
    geo = national.geography(data_dir)
    geo_dir.mkdir(parents=True, exist_ok=True)
    tmp = geo_dir / f".geo-{os.getpid()}.parquet"
    pq.write_table(geo.table(), str(tmp), compression="zstd")
    os.replace(tmp, geo_dir / "geo_lsoa21.parquet")
    if scanner is None:
        scanner = contributions.LazyScanner(settings, say)
    say(f"generating {rows:,} SYNTHETIC national participants in chunks of {chunk_rows:,} (streamed into ingestion)")
    ingest_batches(national.batches(data_dir, rows, chunk_rows=chunk_rows, geo=geo),
                   national.raw_sheet(data_dir, rows), settings, scanner, pub, say, file_rows=file_rows,
                   origin="synthetic-national")
    _write(root / "generated.json", json.dumps({"inputs": national.inputs_digest(data_dir, rows, chunk_rows=chunk_rows),
                                                "rows": rows}).encode())


@contextmanager
def _lock(folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".generate.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _digest_of(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
