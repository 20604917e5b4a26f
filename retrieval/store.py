"""The commons store: one Parquet folder per table under COMMONS_HOME, and a small DuckDB
catalogue file (``commons.duckdb``) of views over them.

    COMMONS_HOME/commons.duckdb                      views + _manifest + _tables (which files)
    COMMONS_HOME/store/<table>/<digest>-<nonce>/     that table's Parquet, built once per digest

Each table (a geography lookup or a dataset) is built on its own, from a digest of
everything it is made from (its source file, its datasheet, the digests of the tables it is
enriched from).  A build makes only the tables whose digest has no folder yet, each into a
temporary folder renamed into place, then writes a new catalogue and renames it over the old
one: one dataset's update never rebuilds the others, a reader never sees half a store, and a
failed build leaves the old catalogue and its files alone.  ``build_store`` is idempotent
(nothing changed: nothing written).  A dataset already held as Parquet (the national-scale
SYNTHETIC dataset) is viewed where it is, never copied.

Queries run through an engine (``retrieval.engines``: DuckDB by default, Spark SQL) on a
read-only catalogue connection with external access disabled except for the table folders
the catalogue names (so a view can read its Parquet but no query can name another file),
locked configuration, a time limit and a row cap.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from kernel.errors import StoreError
from kernel.types import CheckedSQL, Result
from retrieval.datasheets import Datasheet
from retrieval.engines import TableFiles, open_engine
from retrieval.geography import REGION_CODE, REGION_NAME, TOWN_FILE, towns

Progress = Callable[[str], None]
GEO_TABLES = {
    # table: (source file, columns as (target, source))
    "geo_lsoa11": ("raw/lookup_lsoa11_ward19_lad19_lcr.csv",
                   (("lsoa_cd", "lsoa11cd"), ("lsoa_nm", "lsoa11nm"), ("ward_cd", "wd19cd"),
                    ("ward_nm", "wd19nm"), ("lad_cd", "lad19cd"), ("lad_nm", "lad19nm"))),
    "geo_lsoa21": ("raw/lookup_lsoa21_ward24_lad24_lcr.csv",
                   (("lsoa_cd", "lsoa21cd"), ("lsoa_nm", "lsoa21nm"), ("ward_cd", "wd24cd"),
                    ("ward_nm", "wd24nm"), ("lad_cd", "lad24cd"), ("lad_nm", "lad24nm"))),
}
GEO_COLUMNS = ("lsoa_cd", "lsoa_nm", "ward_cd", "ward_nm", "lad_cd", "lad_nm", "region_cd", "region_nm",
               "town_cd", "town_nm")
# The towns people use (geo/msoa11_to_bua11_lcr.csv): an LSOA's town by its MSOA, best fit.
TOWNS_SOURCE = "geo/" + TOWN_FILE
SCHEMA_VERSION = 3
TABLES_DIR = "store"          # beside the catalogue file
_LOCKDOWN = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}


def geo_table_for(sheet: Datasheet) -> str:
    if sheet.geography.level == "lsoa":
        return "geo_lsoa11" if sheet.geography.vintage == "2011" else "geo_lsoa21"
    return "geo_lad"


# -- what a table is built from ------------------------------------------------------------
@dataclass(frozen=True)
class TableSource:
    """One table of the store.  ``load`` creates table ``table`` on a DuckDB connection where
    the tables in ``deps`` are already views; or ``parquet`` names Parquet already on disk
    (a file or a folder, hive-partitioned when ``hive``), used where it is."""

    table: str
    digest: str
    load: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    parquet: Path | None = None
    hive: bool = False
    deps: tuple[str, ...] = ()
    what: str = ""


@dataclass(frozen=True)
class BuildReport:
    """What a build did: ``rebuilt`` tables got new Parquet, ``reused`` kept theirs."""

    changed: bool
    rebuilt: tuple[str, ...] = ()
    reused: tuple[str, ...] = ()
    manifest: str = ""
    elapsed_ms: float = 0.0


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p if isinstance(p, bytes) else p.encode()
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def _file_bytes(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise StoreError(f"Cannot read {path} to build the commons store{what}: {e.strerror}") from None


def parquet_digest(path: Path) -> str:
    """A digest of a Parquet file or folder: each file's relative name, size and content hash
    of its footer (the footer holds every row group's statistics, so a changed file changes it)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.parquet") if p.is_file())
    if not files:
        raise StoreError(f"No Parquet files under {path}")
    parts: list[bytes | str] = ["parquet"]
    for f in files:
        size = f.stat().st_size
        with f.open("rb") as fh:
            fh.seek(max(0, size - 65536))
            tail = fh.read()
        parts += [str(f.relative_to(path)) if f != path else f.name, str(size), hashlib.sha256(tail).hexdigest()]
    return _digest(*parts)


def source_columns(path: Path) -> list[str]:
    """The column names of a dataset source: a CSV file's header, or a Parquet file's or
    folder's schema (hive partition columns included)."""
    path = Path(path)
    if path.is_dir() or path.suffix == ".parquet":
        import pyarrow.dataset as pads
        return list(pads.dataset(str(path), format="parquet", partitioning="hive").schema.names)
    with path.open(encoding="utf-8") as f:
        return f.readline().strip().split(",")


def _source_digest(path: Path, what: str) -> str:
    path = Path(path)
    if path.is_dir() or path.suffix == ".parquet":
        if not path.exists():
            raise StoreError(f"Cannot read {path} to build the commons store{what}: no such file or folder")
        return parquet_digest(path)
    return hashlib.sha256(_file_bytes(path, what)).hexdigest()


def commons_sources(sheets: dict[str, Datasheet], data_dir: Path) -> list[TableSource]:
    """The tables of the commons: the geography lookups, then every dataset with measures, in
    an order where each comes after the datasets it is enriched from."""
    data_dir = Path(data_dir)
    out: list[TableSource] = []
    town_path = data_dir / TOWNS_SOURCE
    for table, (src, cols) in GEO_TABLES.items():
        path = data_dir / src
        digest = _digest(f"schema:{SCHEMA_VERSION}", table, repr(cols), Path(src).name,
                         _source_digest(path, ""), _source_digest(town_path, "") if town_path.exists() else "")
        out.append(TableSource(table, digest, load=_geo_loader(table, path, cols, town_path.parent), what=src))
    out.append(TableSource("geo_lad", _digest(f"schema:{SCHEMA_VERSION}", "geo_lad", out[-1].digest),
                           load=load_geo_lad, deps=("geo_lsoa21",), what="council lookup"))
    digests = {s.table: s.digest for s in out}
    for sheet in _dependency_order(sheets):
        src = Path(data_dir) / sheet.source_file
        deps = tuple(f"ds_{e.dataset}" for e in sheet.enrich)
        digest = _digest(f"schema:{SCHEMA_VERSION}", sheet.table, Path(sheet.source_file).name,
                         sheet.model_dump_json(exclude={"source_file"}),
                         _source_digest(src, f" ({sheet.id}: source_file)"), *(digests[d] for d in deps))
        digests[sheet.table] = digest
        if src.is_dir() or src.suffix == ".parquet":
            out.append(TableSource(sheet.table, digest, parquet=src, what=sheet.id))
        else:
            out.append(TableSource(sheet.table, digest, load=_dataset_loader(sheet, data_dir), deps=deps,
                                   what=f"{sheet.id} ({sheet.source_file})"))
    return out


def manifest_for(sheets: dict[str, Datasheet], data_dir: Path) -> str:
    """The digest of the whole store: where the home is does not matter, what is in it does."""
    return _manifest(commons_sources(sheets, data_dir))


def _manifest(sources: list[TableSource]) -> str:
    return _digest(f"schema:{SCHEMA_VERSION}", *(f"{s.table}={s.digest}" for s in sources))


def _geo_loader(table: str, path: Path, cols, geo_dir: Path):
    def load(con: duckdb.DuckDBPyConnection) -> None:
        select = ", ".join(f'"{s}" AS {t}' for t, s in cols)
        con.execute("CREATE TEMP TABLE town_msoa (msoa VARCHAR, town_cd VARCHAR, town_nm VARCHAR)")
        rows = [(m, t.code, t.name) for t in towns(geo_dir) for m in t.msoas]
        if rows:
            con.executemany("INSERT INTO town_msoa VALUES (?, ?, ?)", rows)
        lsoa_nm = next(s for t, s in cols if t == "lsoa_nm")
        con.execute(
            f"CREATE TABLE {table} AS SELECT DISTINCT {select}, ? AS region_cd, ? AS region_nm, "
            f"w.town_cd, w.town_nm FROM read_csv(?, header = true, all_varchar = true) l "
            f"LEFT JOIN town_msoa w ON regexp_replace(l.\"{lsoa_nm}\", '[A-Z]$', '') = w.msoa",
            [REGION_CODE, REGION_NAME, str(path)])
        con.execute("DROP TABLE town_msoa")
    return load


def load_geo_lad(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE geo_lad AS SELECT DISTINCT NULL::VARCHAR AS lsoa_cd, NULL::VARCHAR AS lsoa_nm, "
                "NULL::VARCHAR AS ward_cd, NULL::VARCHAR AS ward_nm, lad_cd, lad_nm, region_cd, region_nm, "
                "NULL::VARCHAR AS town_cd, NULL::VARCHAR AS town_nm FROM geo_lsoa21")


def _dataset_loader(sheet: Datasheet, data_dir: Path):
    return lambda con: _load_dataset(con, sheet, data_dir)


def _dependency_order(sheets: dict[str, Datasheet]) -> list[Datasheet]:
    done: list[str] = []

    def visit(sid: str, seen: tuple[str, ...] = ()):
        if sid in done:
            return
        if sid in seen:
            raise StoreError(f"Datasheets enrich each other in a loop: {' -> '.join(seen + (sid,))}")
        for e in sheets[sid].enrich:
            visit(e.dataset, seen + (sid,))
        done.append(sid)

    for sid in sorted(sheets):
        visit(sid)
    return [sheets[s] for s in done if sheets[s].measures]


def _load_dataset(con: duckdb.DuckDBPyConnection, sheet: Datasheet, data_dir: Path) -> None:
    """Create table ``sheet.table`` from its CSV on ``con`` (enrichment tables must be there)."""
    src = str(Path(data_dir) / sheet.source_file)
    types = {sheet.geography.column: "VARCHAR"}
    if sheet.time.column and sheet.time.granularity == "month":
        types[sheet.time.column] = "VARCHAR"
    con.execute(f"CREATE TEMP TABLE _raw AS SELECT * FROM read_csv(?, header = true, types = ?)",
                [src, types])
    joins, extra = "", ""
    for i, e in enumerate(sheet.enrich):
        other = f"ds_{e.dataset}"
        joins += f' LEFT JOIN {other} e{i} ON r."{e.on}" = e{i}."{e.on}"'
        extra += "".join(f', e{i}."{c}"' for c in e.columns)
    con.execute(f"CREATE TABLE {sheet.table} AS SELECT r.*{extra} FROM _raw r{joins}")
    con.execute("DROP TABLE _raw")


load_dataset_table = _load_dataset      # the public name (guardrails.contributions validates with it)


# -- building --------------------------------------------------------------------------------
@contextmanager
def _lock(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _sql_str(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _parquet_glob(files: TableFiles) -> str:
    p = Path(files.path)
    return str(p / "**" / "*.parquet") if p.is_dir() else str(p)


def catalog_tables(path: Path) -> dict[str, TableFiles] | None:
    """Table -> its Parquet, as the catalogue at ``path`` records it (None: no usable catalogue)."""
    if not Path(path).exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True, config=dict(_LOCKDOWN))
        try:
            rows = con.execute("SELECT table_name, path, hive FROM _tables").fetchall()
        finally:
            con.close()
    except duckdb.Error:
        return None
    return {t: TableFiles(Path(p), bool(h)) for t, p, h in rows}


def store_is_current(path: Path, manifest: str) -> bool:
    if not Path(path).exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True, config=dict(_LOCKDOWN))
        try:
            row = con.execute("SELECT value FROM _manifest WHERE key = 'hash'").fetchone()
            paths = [Path(p) for (p,) in con.execute("SELECT path FROM _tables").fetchall()]
        finally:
            con.close()
    except duckdb.Error:
        return False
    return bool(row) and row[0] == manifest and all(p.exists() for p in paths)


def build_tables(path: Path, sources: list[TableSource], progress: Progress | None = None,
                 force: bool = False) -> BuildReport:
    """Build the tables whose digest has no Parquet yet (all of them with ``force``) and write
    the catalogue at ``path``.  Nothing is written when the catalogue is current."""
    say = progress or (lambda _m: None)
    started = time.perf_counter()
    path = Path(path)
    manifest = _manifest(sources)
    root = path.parent / TABLES_DIR
    with _lock(path.parent):
        if not force and store_is_current(path, manifest):
            return BuildReport(False, reused=tuple(s.table for s in sources), manifest=manifest)
        previous = catalog_tables(path) or {}
        files: dict[str, TableFiles] = {}
        rebuilt, reused = [], []
        tmp = path.with_suffix(f".building-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        try:
            for s in sources:
                if s.parquet is not None:
                    files[s.table] = TableFiles(Path(s.parquet).resolve(), s.hive)
                    reused.append(s.table)
                    continue
                done = None if force else _built(root / s.table, s.digest)
                if done is None:
                    say(f"loading {s.what or s.table}")
                    done = _build_one(root / s.table, s, files)
                    rebuilt.append(s.table)
                else:
                    reused.append(s.table)
                files[s.table] = TableFiles(done, False)
            _write_catalog(tmp, files, manifest)
            os.replace(tmp, path)
        except (duckdb.Error, OSError) as e:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"Could not build the commons store at {path}: {e}") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        # Keep what this catalogue and the one before it use (a reader may still have the
        # old one open); remove older versions and tables no longer in the commons.
        _collect_garbage(root, {f.path for f in files.values()} | {f.path for f in previous.values()})
    ms = (time.perf_counter() - started) * 1000
    say(f"store ready: {path} ({len(rebuilt)} tables built, {len(reused)} unchanged, {ms:.0f} ms)")
    return BuildReport(True, tuple(rebuilt), tuple(reused), manifest, ms)


def build_store(path: Path, sheets: dict[str, Datasheet], data_dir: Path,
                progress: Progress | None = None, force: bool = False) -> bool:
    """Build the store if it is missing or out of date.  Returns True when it (re)built."""
    return build_tables(path, commons_sources(sheets, data_dir), progress, force).changed


def refresh_dataset(path: Path, sheets: dict[str, Datasheet], data_dir: Path, dataset: str,
                    progress: Progress | None = None) -> BuildReport:
    """After one dataset was published or changed: rebuild its table (and any dataset enriched
    from it), reuse every other table as it is, and swap in the new catalogue atomically.
    The one function to call when a contribution is published, versioned or withdrawn (a
    dataset no longer in ``sheets`` leaves the catalogue)."""
    sources = commons_sources(sheets, data_dir)
    report = build_tables(path, sources, progress)
    table = f"ds_{dataset}"
    if dataset in sheets and table not in report.rebuilt + report.reused:
        raise StoreError(f"Dataset '{dataset}' has no measures, so it has no table in the store.")
    return report


def _built(folder: Path, digest: str) -> Path | None:
    if not folder.is_dir():
        return None
    found = sorted(p for p in folder.glob(f"{digest[:24]}-*") if p.is_dir())
    return found[-1] if found else None


def _build_one(folder: Path, s: TableSource, files: dict[str, TableFiles]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nonce = f"{time.time_ns():x}{uuid.uuid4().hex[:6]}"
    final = folder / f"{s.digest[:24]}-{nonce}"
    work = folder / f".tmp-{os.getpid()}-{nonce}"
    work.mkdir()
    try:
        con = duckdb.connect()
        try:
            for dep in s.deps:
                con.execute(f"CREATE VIEW {dep} AS SELECT * FROM read_parquet({_sql_str(_parquet_glob(files[dep]))})")
            s.load(con)
            con.execute(f"COPY {s.table} TO {_sql_str(str(work / 'data.parquet'))} "
                        "(FORMAT parquet, COMPRESSION zstd)")
        finally:
            con.close()
        os.replace(work, final)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return final


def _write_catalog(tmp: Path, files: dict[str, TableFiles], manifest: str) -> None:
    con = duckdb.connect(str(tmp))
    try:
        for table, f in files.items():
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet("
                        f"{_sql_str(_parquet_glob(f))}, hive_partitioning = {'true' if f.hive else 'false'})")
        con.execute("CREATE TABLE _tables (table_name VARCHAR, path VARCHAR, hive BOOLEAN)")
        con.executemany("INSERT INTO _tables VALUES (?, ?, ?)",
                        [[t, str(f.path), f.hive] for t, f in files.items()])
        con.execute("CREATE TABLE _manifest (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO _manifest VALUES ('hash', ?), ('built_at', ?), ('schema', ?)",
                    [manifest, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), str(SCHEMA_VERSION)])
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _collect_garbage(root: Path, keep: set[Path]) -> None:
    if not root.is_dir():
        return
    keep = {Path(k).resolve() for k in keep}
    for table_dir in root.iterdir():
        if not table_dir.is_dir():
            continue
        for version in table_dir.iterdir():
            if version.name.startswith(".tmp-"):
                continue                      # another build may be writing it right now
            if version.resolve() not in keep:
                shutil.rmtree(version, ignore_errors=True)
        if not any(table_dir.iterdir()):
            table_dir.rmdir()


# -- reading ----------------------------------------------------------------------------------
class Store:
    """Read-only access to a built store.  One instance is shared; each query gets a cursor.

    ``engine`` runs the checked statements: ``duckdb`` (default; on this connection) or
    ``spark`` (Spark SQL over the same Parquet files, ``spark_master`` e.g. local[2])."""

    def __init__(self, path: Path, timeout_s: float, row_cap: int, engine: str = "duckdb",
                 spark_master: str = "local[2]"):
        self.path, self.timeout_s, self.row_cap = Path(path), timeout_s, row_cap
        if not self.path.exists():
            raise StoreError(f"No commons store at {self.path}. Run `commons build` to create it.")
        try:
            self._con = duckdb.connect(str(self.path), read_only=True, config=dict(_LOCKDOWN))
        except duckdb.Error as e:
            raise StoreError(f"Could not open the commons store at {self.path}: {e}") from None
        try:
            self.tables = {t: TableFiles(Path(p), bool(h)) for t, p, h in
                           self._con.execute("SELECT table_name, path, hive FROM _tables").fetchall()}
            self._lock_down()
        except duckdb.Error as e:
            self._con.close()
            raise StoreError(f"The commons store at {self.path} is from an older version or damaged ({e}). "
                             "Run `commons build --force` to rebuild it.") from None
        self._lock = threading.Lock()
        self.columns = self._schema()
        try:
            self.engine = open_engine(engine, self._con, self.tables, spark_master=spark_master)
        except BaseException:
            self._con.close()
            raise

    def _lock_down(self) -> None:
        """Only the catalogue's own table folders may be read, and no setting can be changed
        after this.  A second Store on the same file in one process shares the database
        instance, which is locked already."""
        if self._con.execute("SELECT current_setting('lock_configuration')").fetchone()[0]:
            if self._con.execute("SELECT current_setting('enable_external_access')").fetchone()[0]:
                raise StoreError(f"The commons store at {self.path} is open elsewhere in this process "
                                 "without its read-only settings.")
            return
        dirs = sorted({str(f.path if f.path.is_dir() else f.path.parent).rstrip("/") + "/"
                       for f in self.tables.values()})
        self._con.execute("SET allowed_directories = ?", [dirs])
        self._con.execute("SET enable_external_access = false")
        self._con.execute("SET lock_configuration = true")

    def _schema(self) -> dict[str, set[str]]:
        rows = self._con.execute(
            "SELECT table_name, column_name FROM information_schema.columns").fetchall()
        out: dict[str, set[str]] = {}
        for t, c in rows:
            out.setdefault(t, set()).add(c)
        return out

    @property
    def engine_name(self) -> str:
        return self.engine.name

    def execute(self, checked: CheckedSQL) -> Result:
        """Run a checked statement on the engine with the time limit and row cap."""
        return self.engine.execute(checked, self.timeout_s, self.row_cap)

    def distinct(self, table: str, column: str) -> list:
        """Distinct values of a column (used by the semantic layer for periods and dimensions)."""
        if table not in self.columns or column not in self.columns[table]:
            raise StoreError(f"Unknown column {table}.{column}")
        cur = self._con.cursor()
        try:
            return [r[0] for r in cur.execute(
                f'SELECT DISTINCT "{column}" FROM {table} WHERE "{column}" IS NOT NULL ORDER BY 1').fetchall()]
        finally:
            cur.close()

    def close(self) -> None:
        try:
            self.engine.close()
        finally:
            self._con.close()
