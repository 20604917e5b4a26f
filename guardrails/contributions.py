"""Ingestion of contributed person-level data: scan, classify, strip identifiers, publish.

    scan(csv, datasheet, scanner)      -> ScanReport   read the upload safely, sample each
                                                       column through the PII scanner and
                                                       classify it against the datasheet
    ingest(csv, datasheet, settings, scanner)          publish: direct identifiers dropped or
                                                       replaced by a keyed hash; atomic
    submit / list_contributions / approve_contribution / deny_contribution
                                                       the steward's contribution queue
    ensure_demo_contributions(settings)                the SYNTHETIC demo datasets
    load_commons_sheets(settings)                      shipped + published datasheets

Where things live under COMMONS_HOME:

    contributions/raw/<file>.csv             generated SYNTHETIC raw contributions (identifiers)
    contributions/pending/<id>/              an upload waiting for a steward:
        upload.csv  datasheet.yaml  scan.json  meta.json
    contributions/approved/<id>/             the same once published (upload kept for re-ingest)
    contributions/denied/<id>/               meta.json + scan.json only (the upload is deleted)
    published/<dataset>.csv                  the published table (no direct identifiers)
    published/<dataset>.yaml                 its datasheet (source_file: <dataset>.csv)
    published/<dataset>.ingest.json          what it was published from (hashes, counts)
    secret.key                               the pseudonymisation key (0600)

Raw identifier values are only ever written under ``contributions/``; messages, reports and
logs name columns, line numbers and entity types, never values.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import hmac
import io
import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import yaml

from guardrails import govdb
from guardrails.inbound import normalise_text, redact, sanitise_for_storage
from guardrails.participants import (BATCH_MIN, LINK_COLUMN, OPTOUT_PREFIX, Register, demo_credentials, link_for,
                                     new_secret, optout_column, upload_reference)
from guardrails.pii import default_scanner
from kernel.errors import CommonsError, DatasheetError, IngestError, ReviewError
from kernel.text import same_person
from retrieval import synthetic
from retrieval.datasheets import RECORD_KEY, Datasheet, _check_columns, load_datasheet, load_datasheets
from retrieval.geography import REGION_CODE
from retrieval.store import _load_dataset

log = logging.getLogger(__name__)
Progress = Callable[[str], None]

INGEST_VERSION = 1
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_FIELD_CHARS = 10_000
SAMPLE = 200
# A column declared a direct identifier and dropped never reaches the store: its sample only
# checks that it holds the kind declared (the report's note), so a smaller one does.
DROPPED_SAMPLE = 40
# A column where at least this share of sampled values holds one kind of direct identifier
# is treated as a direct identifier (the scanner's own decision is at 0.5; this is stricter).
IDENTIFIER_SHARE = 0.2
COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
AREA_CODE = re.compile(r"^[EWSN]\d{8}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
STATES = ("pending", "approved", "denied")


class Scanner(Protocol):
    def scan_column(self, name: str, values: list[str], sample: int = 200, seed: int = 0): ...

    def scan_all(self, values: list[str]) -> dict[str, list[int]]: ...


# -- reports --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnReport:
    name: str
    declared: str | None          # the role the datasheet gives (None: not declared)
    role: str | None              # the role it is treated as, after the scan
    entity: str | None            # the identifier kind the scan found most often
    share: float                  # share of sampled values holding that entity
    sampled: int
    action: str                   # keep | drop | pseudonymise | refuse
    note: str = ""
    scanned: int = 0              # values scanned in full (every value of a column that is published)
    hits: dict[str, int] = field(default_factory=dict)   # entity -> rows holding it (full scan)


@dataclass(frozen=True)
class ScanReport:
    dataset: str
    file_sha256: str
    rows: int
    columns: tuple[ColumnReport, ...]
    problems: tuple[str, ...] = ()
    # Values the datasheet does not allow (out of range, not an allowed category, an unknown area
    # code, a negative count, an outlier against the data already held): each must be fixed or
    # accepted with a reason before the contribution is published.
    value_problems: tuple[dict, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def unaccepted(self, accepted: dict | None) -> list[dict]:
        accepted = accepted or {}
        return [v for v in self.value_problems if not str((accepted.get(v["id"]) or {}).get("reason", "")).strip()]

    def column(self, name: str) -> ColumnReport:
        return next(c for c in self.columns if c.name == name)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "file_sha256": self.file_sha256, "rows": self.rows, "ok": self.ok,
                "columns": [asdict(c) for c in self.columns], "problems": list(self.problems),
                "value_problems": [dict(v) for v in self.value_problems]}

    @classmethod
    def from_dict(cls, d: dict) -> "ScanReport":
        return cls(d["dataset"], d["file_sha256"], d["rows"], tuple(ColumnReport(**c) for c in d["columns"]),
                   tuple(d.get("problems", ())), tuple(d.get("value_problems", ())))


@dataclass(frozen=True)
class IngestResult:
    dataset: str
    published_csv: Path
    published_sheet: Path
    rows: int
    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    pseudonymised: tuple[tuple[str, str], ...]    # (raw column, published key column)
    report: ScanReport
    elapsed_ms: float

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "published_csv": str(self.published_csv),
                "published_sheet": str(self.published_sheet), "rows": self.rows, "kept": list(self.kept),
                "dropped": list(self.dropped), "pseudonymised": [list(p) for p in self.pseudonymised],
                "report": self.report.to_dict(), "elapsed_ms": self.elapsed_ms}


# -- reading an upload safely -----------------------------------------------------------------
@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: list[list[str]]
    lines: list[int]               # the line each row ends on (for messages)
    sha256: str


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(f"{path.name} is {size / 1e6:.1f} MB; uploads may be at most "
                              f"{max_bytes / 1e6:.1f} MB.")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as e:
        raise IngestError(f"{path.name} cannot be read ({e.strerror}).") from None
    if len(data) > max_bytes:
        raise IngestError(f"{path.name} is larger than {max_bytes / 1e6:.1f} MB, the upload limit.")
    return data


def _parse(data: bytes, name: str) -> _Table:
    if not data.strip():
        raise IngestError(f"{name} is empty: expected a CSV file with a header line and at least one row.")
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise IngestError(f"{name} looks like a binary file, not a CSV text file (a NUL byte on line {line}).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise IngestError(f"{name} is not UTF-8 text: an invalid byte on line {line}. "
                          "Save the file as CSV UTF-8 and upload it again.") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as e:
        raise IngestError(f"{name}, line 1: the header cannot be read as CSV ({e}).") from None
    header = [h.strip() for h in header]
    for i, h in enumerate(header, 1):
        if not COLUMN_NAME.match(h):
            # Never echo the cell: a file without a header would show a person's data here.
            raise IngestError(f"{name}, line 1: field {i} of the header is not a column name (letters, digits "
                              "and underscores, starting with a letter). The first line must name the columns.")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise IngestError(f"{name}, line 1: column names repeated in the header: {', '.join(dupes)}.")
    rows, lines = [], []
    try:
        for row in reader:
            if not row:
                continue                      # a blank line
            if len(row) != len(header):
                raise IngestError(f"{name}, line {reader.line_num}: {len(row)} fields, but the header has "
                                  f"{len(header)}. Every row must have one value per column.")
            if any(len(v) > MAX_FIELD_CHARS for v in row):
                raise IngestError(f"{name}, line {reader.line_num}: a value is longer than "
                                  f"{MAX_FIELD_CHARS} characters.")
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as e:
        raise IngestError(f"{name}, line {reader.line_num}: not valid CSV ({e}).") from None
    if not rows:
        raise IngestError(f"{name} has a header but no rows.")
    return _Table(tuple(header), rows, lines, hashlib.sha256(data).hexdigest())


def _declared_roles(sheet: Datasheet) -> dict[str, str]:
    """Column -> role: the ``columns`` block, plus columns the datasheet uses elsewhere."""
    roles = {c.name: c.role for c in sheet.columns}
    roles.setdefault(sheet.geography.column, "geography")
    if sheet.geography.name_column:
        roles.setdefault(sheet.geography.name_column, "geography")
    if sheet.time.column:
        roles.setdefault(sheet.time.column, "time")
    for m in sheet.measures:
        for c in (m.column, m.weight, m.numerator, m.denominator, *m.sum_of):
            if c:
                roles.setdefault(c, "attribute")
    for d in sheet.dimensions:
        roles.setdefault(d.column, "attribute")
    return roles


def _check_values(table: _Table, sheet: Datasheet, name: str) -> list[str]:
    """Measures must be numbers, area codes must look like codes, months like YYYY-MM."""
    problems = []
    idx = {h: i for i, h in enumerate(table.header)}
    numeric = {c for m in sheet.measures for c in (m.column, m.weight, m.numerator, m.denominator, *m.sum_of) if c}
    checks: list[tuple[str, Callable[[str], bool], str]] = []
    for c in sorted(numeric):
        checks.append((c, lambda v: v == "" or _is_number(v), "must hold numbers"))
    checks.append((sheet.geography.column, lambda v: bool(AREA_CODE.match(v)), "must hold area codes such as E01006512"))
    if sheet.time.column and sheet.time.granularity == "month":
        checks.append((sheet.time.column, lambda v: bool(MONTH.match(v)), "must hold months written YYYY-MM"))
    elif sheet.time.column:
        checks.append((sheet.time.column, lambda v: v.isdigit() and len(v) == 4, "must hold years such as 2024"))
    for col, ok, what in checks:
        if col not in idx:
            continue
        i = idx[col]
        bad = [n for n, row in zip(table.lines, table.rows) if not ok(row[i].strip())]
        if bad:
            more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
            problems.append(f"column '{col}' {what}: line {bad[0]}{more} does not.")
    return problems


@dataclass(frozen=True)
class ValueContext:
    """What a contribution's values are checked against besides its datasheet: the area codes the
    commons knows for the datasheet's geography, and the data already held under the same id."""

    area_codes: frozenset[str] = frozenset()
    held: dict[str, tuple[float, float, float]] = field(default_factory=dict)   # column -> (min, median, max)


def value_context(settings, sheet: Datasheet) -> ValueContext:
    data_dir = Path(settings.data_dir)
    geo = sheet.geography
    codes: set[str] = set()
    lookups = {("lsoa", "2021"): ("raw/lookup_lsoa21_ward24_lad24_lcr.csv", "lsoa21cd"),
               ("lsoa", "2011"): ("raw/lookup_lsoa11_ward19_lad19_lcr.csv", "lsoa11cd"),
               ("lad", None): ("raw/lookup_lsoa21_ward24_lad24_lcr.csv", "lad24cd"),
               ("ward", "2024"): ("raw/lookup_lsoa21_ward24_lad24_lcr.csv", "wd24cd"),
               ("ward", "2019"): ("raw/lookup_lsoa11_ward19_lad19_lcr.csv", "wd19cd")}
    found = lookups.get((geo.level, geo.vintage)) or lookups.get((geo.level, None))
    if found and (data_dir / found[0]).exists():
        with (data_dir / found[0]).open(encoding="utf-8-sig", newline="") as fh:
            codes = {r[found[1]] for r in csv.DictReader(fh) if r.get(found[1])}
        codes |= {str(c) for c in (geo.extra_rows or {}).values()} | {REGION_CODE}   # England, the city region
    held: dict[str, tuple[float, float, float]] = {}
    path = Path(settings.published_dir) / f"{sheet.id}.csv"
    if path.exists():
        numeric = {c for m in sheet.measures for c in (m.column, *m.sum_of) if c}
        cols: dict[str, list[float]] = {c: [] for c in numeric}
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for c in numeric:
                    v = row.get(c, "")
                    if v not in ("", None) and _is_number(v):
                        cols[c].append(float(v))
        for c, vs in cols.items():
            if vs:
                vs.sort()
                held[c] = (vs[0], vs[len(vs) // 2], vs[-1])
    return ValueContext(frozenset(codes), held)


def value_problem(sheet: Datasheet, column: str, value: str) -> str | None:
    """Why one value is not allowed by the datasheet (range, categories, whole numbers), or None."""
    role = next((c for c in sheet.columns if c.name == column), None)
    v = str(value).strip()
    numeric = {c for m in sheet.measures for c in (m.column, *m.sum_of) if c}
    if role is not None and role.values and v not in role.values:
        return f"not one of the allowed values ({', '.join(role.values)})"
    if (role is not None and (role.range or role.integer)) or column in numeric:
        if v == "":
            return None
        if not _is_number(v):
            return "not a number"
        x = float(v)
        if role is not None and role.integer and x != int(x):
            return "not a whole number"
        if column in numeric and x < 0 and any(m.column == column and m.format == "count" for m in sheet.measures):
            return "a count cannot be negative"
        if role is not None and role.range:
            lo, hi = role.range
            if (lo is not None and x < lo) or (hi is not None and x > hi):
                return f"outside the allowed range {'' if lo is None else f'{lo:g}'}..{'' if hi is None else f'{hi:g}'}"
    return None


OUTLIER_FACTOR = 10          # a value more than 10x the largest already held (or in the file's bulk) is an outlier


def _value_problems(table: _Table, sheet: Datasheet, ctx: ValueContext | None) -> list[dict]:
    """Every value the datasheet does not allow, one problem per column and kind, with its rows."""
    idx = {h: i for i, h in enumerate(table.header)}
    found: dict[tuple[str, str], list[int]] = {}
    what: dict[tuple[str, str], str] = {}
    numeric = sorted({c for m in sheet.measures for c in (m.column, *m.sum_of) if c} |
                     {c.name for c in sheet.columns if c.range or c.integer})
    checked = sorted({c.name for c in sheet.columns if c.values} | set(numeric))
    for col in checked:
        if col not in idx:
            continue
        i = idx[col]
        for line, row in zip(table.lines, table.rows):
            v = row[i].strip()
            if v == "" or (col in numeric and not _is_number(v)):
                continue                     # empty, or a type error (a problem to fix, reported above)
            why = value_problem(sheet, col, v)
            if why:
                kind = ("category" if "allowed values" in why else "negative" if "negative" in why else
                        "integer" if "whole" in why else "range")
                found.setdefault((col, kind), []).append(line)
                what[(col, kind)] = why
    # outliers: against the data already held under this id, or else the file's own bulk
    for col in numeric:
        if col not in idx:
            continue
        vals = [(line, float(row[idx[col]])) for line, row in zip(table.lines, table.rows)
                if row[idx[col]].strip() and _is_number(row[idx[col]])]
        if not vals:
            continue
        held = ctx.held.get(col) if ctx else None
        if held is not None:
            ceiling, basis = OUTLIER_FACTOR * max(abs(held[2]), 1.0), f"the largest value already held ({held[2]:g})"
        else:
            xs = sorted(abs(x) for _l, x in vals)
            bulk = xs[int(0.99 * (len(xs) - 1))]
            ceiling, basis = OUTLIER_FACTOR * max(bulk, 1.0), f"the file's 99th percentile ({bulk:g})"
        out = [line for line, x in vals if abs(x) > ceiling]
        if out:
            found[(col, "outlier")] = out
            what[(col, "outlier")] = f"more than {OUTLIER_FACTOR} times {basis}"
    if ctx is not None and ctx.area_codes and sheet.geography.column in idx:
        i = idx[sheet.geography.column]
        bad = [line for line, row in zip(table.lines, table.rows)
               if AREA_CODE.match(row[i].strip()) and row[i].strip() not in ctx.area_codes]
        if bad:
            found[(sheet.geography.column, "area_code")] = bad
            what[(sheet.geography.column, "area_code")] = (
                f"not an area code the commons knows for {sheet.geography.level} areas "
                f"({sheet.geography.vintage or 'any'} boundaries); those rows would be in no answer")
    out = []
    for n, ((col, kind), lines) in enumerate(sorted(found.items(), key=lambda kv: (kv[1][0], kv[0])), 1):
        more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
        out.append({"id": f"V{n}", "column": col, "kind": kind, "rows": len(lines), "first_line": lines[0],
                    "message": f"column '{col}': {what[(col, kind)]}: line {lines[0]}{more}."})
    return out


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return v.strip().lower() not in ("nan", "inf", "-inf", "infinity", "-infinity")


def _scan_table(table: _Table, sheet: Datasheet, scanner: Scanner, name: str,
                ctx: ValueContext | None = None) -> ScanReport:
    declared = _declared_roles(sheet)
    handling = {c.name: c for c in sheet.columns}
    present = set(table.header)
    if not present & set(declared):
        raise IngestError(f"{name}, line 1: none of the header's column names is in the datasheet for "
                          f"'{sheet.id}' - is this the right file, and does its first line name the columns?")
    problems: list[str] = []
    reports: list[ColumnReport] = []
    reserved = sorted(h for h in present if h in (RECORD_KEY, LINK_COLUMN) or h.startswith(OPTOUT_PREFIX))
    if reserved:
        raise IngestError(f"{name}, line 1: '{reserved[0]}' is a column name the commons reserves (it adds "
                          "record keys, participation links and consent columns of its own); rename that column.")
    for i, col in enumerate(table.header):
        values = [row[i] for row in table.rows]
        dropped = declared.get(col) == "direct_identifier" and (
            col not in handling or handling[col].handling == "drop")
        scan = scanner.scan_column(col, values, sample=DROPPED_SAMPLE if dropped else SAMPLE, seed=0)
        counts = dict(getattr(scan, "counts", {}) or {})
        sampled = int(getattr(scan, "sampled", 0) or 0)
        entity, share = scan.entity, float(scan.share or 0.0)
        if counts and sampled:
            top, hits = max(counts.items(), key=lambda kv: kv[1])
            if entity is None or hits / sampled > share:
                entity, share = top, round(hits / sampled, 4)
        looks_identifying = entity is not None and share >= IDENTIFIER_SHARE
        role = declared.get(col)
        note = ""
        if role is None:
            action = "refuse"
            if looks_identifying:
                note = f"looks like {entity} in {share:.0%} of sampled values and is not in the datasheet"
                problems.append(f"column '{col}' looks like {entity} values in {share:.0%} of sampled values "
                                "and is not declared in the datasheet; declare it as a direct identifier "
                                "(to be dropped or pseudonymised) or remove it from the file.")
            else:
                note = "not in the datasheet"
                problems.append(f"column '{col}' is not declared in the datasheet; every column needs a role "
                                "(direct_identifier, quasi_identifier, attribute, geography or time).")
        elif role == "direct_identifier":
            action = handling[col].handling if col in handling else "drop"
            expected = handling[col].pii_entity if col in handling else None
            if expected and looks_identifying and entity != expected:
                note = f"declared as {expected}, looks like {entity}"
        elif role == "free_text":
            action = "keep" if handling[col].handling == "keep" else "drop"
        elif looks_identifying:
            action = "refuse"
            note = f"looks like {entity} in {share:.0%} of sampled values"
            problems.append(f"column '{col}' looks like {entity} values in {share:.0%} of sampled values but "
                            f"the datasheet does not mark it as a direct identifier (it says '{role}').")
        else:
            action = "keep"
        scanned, hits = 0, {}
        if action == "keep":
            # Published as it is: every value is scanned, not a sample; any direct identifier in any
            # row blocks publication (a blind red team published names in 4% of a notes column).
            folded: dict[str, str] = {}    # a column's values repeat: each distinct one folded once
            found = scanner.scan_all([folded[v] if v in folded else folded.setdefault(v, normalise_text(v))
                                      for v in values])
            scanned = sum(1 for v in values if v.strip())
            hits = {e: len(rows) for e, rows in sorted(found.items())}
            if hits:
                action = "refuse"
                rows_hit = sorted({r for rows in found.values() for r in rows})
                kinds = ", ".join(f"{e} in {n:,}" for e, n in hits.items())
                note = f"direct identifiers in {len(rows_hit):,} of {len(values):,} rows ({kinds})"
                problems.append(f"column '{col}': {len(rows_hit):,} of {len(values):,} rows hold a direct "
                                f"identifier ({kinds} rows; the first on line {table.lines[rows_hit[0]]}), so the "
                                "file cannot be published: remove the identifiers, or declare the column a "
                                "direct_identifier (dropped) or free_text (dropped unless kept).")
                entity = max(hits, key=hits.get)
                share = round(hits[entity] / max(len(values), 1), 4)
        if entity is not None and not looks_identifying and not hits:
            entity = None if share == 0 else entity
        reports.append(ColumnReport(col, role, "direct_identifier" if looks_identifying else role, entity,
                                    share, sampled, action, note, scanned, hits))
    for col, role in declared.items():
        if col not in present:
            problems.append(f"column '{col}' ({role}) is in the datasheet but not in the file's header.")
            reports.append(ColumnReport(col, role, role, None, 0.0, 0, "refuse", "missing from the file"))
    problems += _check_values(table, sheet, name)
    return ScanReport(sheet.id, table.sha256, len(table.rows), tuple(reports), tuple(problems),
                      tuple(_value_problems(table, sheet, ctx)))


def _as_sheet(sheet: Datasheet | str | bytes | Path) -> Datasheet:
    if isinstance(sheet, Datasheet):
        return sheet
    if isinstance(sheet, Path):
        return load_datasheet(sheet)
    from pydantic import ValidationError
    try:
        raw = yaml.safe_load(sheet.decode("utf-8") if isinstance(sheet, bytes) else sheet)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise DatasheetError("(uploaded datasheet)", "-", f"is not valid YAML ({e})") from None
    if not isinstance(raw, dict):
        raise DatasheetError("(uploaded datasheet)", "-", "must be a YAML mapping")
    try:
        return Datasheet.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        raise DatasheetError("(uploaded datasheet)", ".".join(str(p) for p in err["loc"]) or "-",
                             err["msg"]) from None


def _check_sheet(sheet: Datasheet) -> None:
    if not sheet.columns:
        raise IngestError(f"The datasheet for '{sheet.id}' has no 'columns' block: a contribution must give "
                          "every column a role so identifiers can be removed.")
    if sheet.enrich:
        raise IngestError(f"The datasheet for '{sheet.id}' uses 'enrich', which contributed datasets may not.")


def scan(csv_path: Path, sheet: Datasheet, scanner: Scanner, max_bytes: int = MAX_UPLOAD_BYTES,
         settings=None) -> ScanReport:
    """Read the upload safely, classify every column and check its values.  Malformed files raise
    IngestError.  With ``settings``, values are also checked against the commons' area codes and
    the data already held."""
    sheet = _as_sheet(sheet)
    _check_sheet(sheet)
    path = Path(csv_path)
    table = _parse(_read_bytes(path, max_bytes), path.name)
    return _scan_table(table, sheet, scanner, path.name, value_context(settings, sheet) if settings else None)


# -- keys and atomic files ------------------------------------------------------------------------
def secret_key(settings) -> bytes:
    """The pseudonymisation key: COMMONS_PSEUDONYM_KEY (hex) when set; else the key file
    (COMMONS_PSEUDONYM_KEY_FILE, outside the home, or the legacy ``secret.key``): 32 random bytes,
    created on first use with mode 0600."""
    if getattr(settings, "pseudonym_key", ""):
        return bytes.fromhex(settings.pseudonym_key.strip())
    path = Path(settings.secret_key_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
            fh.flush()
            os.fsync(fh.fileno())
    for _ in range(50):                    # another process may be writing it right now
        key = path.read_bytes()
        if key:
            return key
        time.sleep(0.01)
    raise IngestError(f"The pseudonymisation key {path} is empty; remove it to create a new one.")


def pseudonym(key: bytes, dataset: str, value: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised identifier, separate per dataset."""
    norm = re.sub(r"\s+", "", value).upper()
    if not norm:
        return ""
    return hmac.new(key, f"{dataset}\x1f{norm}".encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _write_atomic(path: Path, data: bytes) -> Path:
    """Write to a temporary file beside ``path`` (fsynced); the caller renames it."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


@contextmanager
def _file_lock(path: Path, shared: bool = False):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _publish_lock(settings, shared: bool = False):
    return _file_lock(Path(settings.home) / ".publish.lock", shared)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sheet_digest(sheet: Datasheet) -> str:
    return _sha256(sheet.model_dump_json().encode())


# -- publishing ----------------------------------------------------------------------------------------
def _published_sheet(sheet: Datasheet, header: tuple[str, ...], report: ScanReport,
                     version: int | None = None) -> Datasheet:
    roles = {c.name: c for c in sheet.columns}
    cols = []
    removed, keyed = [], []
    for c in report.columns:
        if c.name not in header:
            continue
        if c.action == "drop":
            removed.append(c.name)
        elif c.action == "pseudonymise":
            key_col = roles[c.name].key_column or f"{c.name}_key"
            keyed.append((c.name, key_col))
            cols.append({"name": key_col, "role": "direct_identifier", "handling": "pseudonymise"})
        else:
            declared = roles.get(c.name)
            cols.append(declared.model_dump(mode="json", exclude_defaults=True) if declared
                        else {"name": c.name, "role": c.role})
    note = ""
    if removed or keyed:
        parts = []
        if removed:
            parts.append("the direct identifiers " + ", ".join(removed) + " were removed")
        if keyed:
            parts.append(", ".join(f"{a} was replaced by {b}, a keyed hash (HMAC-SHA256) that links records "
                                   "without revealing the identifier" for a, b in keyed))
        note = f" At ingestion into the commons {' and '.join(parts)}."
    if sheet.person_level:
        cols.append({"name": RECORD_KEY, "role": "attribute"})
        cols.append({"name": LINK_COLUMN, "role": "attribute"})
        cols += [{"name": optout_column(p), "role": "attribute"} for p in sheet.consent_purposes]
    data = sheet.model_dump(mode="json")
    data["source_file"] = f"{sheet.id}.csv"
    data["columns"] = cols
    data["version"] = version
    life = dict(data.get("lifecycle") or {})
    life["refreshed"] = time.strftime("%Y-%m-%d", time.gmtime())
    data["lifecycle"] = life
    if note and note.strip() not in data["methodology"]:
        data["methodology"] = data["methodology"].rstrip() + note
    from pydantic import ValidationError
    try:
        return Datasheet.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        raise IngestError(f"The published datasheet for '{sheet.id}' would not be valid: "
                          f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}") from None


def record_keys(sheet_id: str, n: int, demo: bool) -> list[int]:
    """The fixed random key of each record (the cell-key perturbation sums them per cell).  An
    upload's keys are random; a SYNTHETIC demo dataset's come from its id, so evaluations of the
    demo commons are reproducible."""
    if not demo:
        return [int.from_bytes(os.urandom(4), "big") for _ in range(n)]
    return [int.from_bytes(hashlib.sha256(f"demo-record-key:{sheet_id}:{i}".encode()).digest()[:4], "big")
            for i in range(n)]


@dataclass(frozen=True)
class Participation:
    """What the participation register adds to a person-level publication: per row its
    reference and link, whether it is kept (not withdrawn), its opt-out columns and corrections."""

    refs: list[str]
    links: list[str]
    secrets: list[str]
    keep: list[bool]
    optouts: list[list[str]]
    corrections: dict[int, dict[str, str]]
    purposes: tuple[str, ...]

    @property
    def withdrawn(self) -> int:
        return sum(1 for k in self.keep if not k)


def _participation(settings, sheet: Datasheet, table: _Table, report: ScanReport, key: bytes,
                   demo: bool) -> Participation:
    reg = Register(settings.participation_db)
    withdrawn, opted = reg.effective(sheet.id)
    fixes: dict[str, dict[str, str]] = {}
    for c in reg.applied_corrections(sheet.id):
        fixes.setdefault(c.ref, {})[c.column] = c.proposed
    actions = {c.name: c.action for c in report.columns}
    keyed = next((i for i, h in enumerate(table.header) if actions.get(h) == "pseudonymise"), None)
    refs, links, secrets_, keep, optouts, corr = [], [], [], [], [], {}
    purposes = sheet.consent_purposes
    for i, row in enumerate(table.rows):
        if demo:
            ref, secret = demo_credentials(sheet.id, i)
        else:
            ident = (pseudonym(key, sheet.id, row[keyed]) if keyed is not None and row[keyed].strip()
                     else uuid.uuid4().hex)
            ref, secret = upload_reference(key, sheet.id, ident), new_secret()
        refs.append(ref)
        links.append(link_for(key, sheet.id, ref))
        secrets_.append(secret)
        keep.append(ref not in withdrawn)
        optouts.append(["1" if p in opted.get(ref, ()) else "0" for p in purposes])
        if ref in fixes:
            corr[i] = fixes[ref]
    return Participation(refs, links, secrets_, keep, optouts, corr, purposes)


def _issue_participants(settings, sheet: Datasheet, part: Participation, demo: bool, version: int) -> Path | None:
    """Record the publication's participants; an upload's new credentials are written once (0600)
    for its contributor to hand out (a demo's are derived: see guardrails.participants)."""
    reg = Register(settings.participation_db)
    known = reg.known(sheet.id)
    entries = [(r, l, s) for r, l, s, k in zip(part.refs, part.links, part.secrets, part.keep) if k]
    reg.issue(sheet.id, entries)
    new = [(n, r, s) for n, (r, _l, s) in enumerate(entries, 1) if r not in known]
    if demo or not new:
        return None
    folder = Path(settings.contributions_dir) / "participation"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sheet.id}-v{version}.csv"
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["row", "participation_ref", "secret"])
    w.writerows(new)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(buf.getvalue())
    return path


def _published_bytes(table: _Table, report: ScanReport, sheet: Datasheet, key: bytes | None,
                     keys: list[int] | None = None, part: Participation | None = None) -> tuple[bytes, list]:
    actions = {c.name: c.action for c in report.columns}
    roles = {c.name: c for c in sheet.columns}
    out_cols, plan = [], []
    for i, col in enumerate(table.header):
        action = actions[col]
        if action == "drop":
            continue
        if action == "pseudonymise":
            out_cols.append(roles[col].key_column or f"{col}_key")
        elif action == "keep":
            out_cols.append(col)
        else:
            raise IngestError(f"column '{col}' cannot be published ({action}).")
        plan.append((i, action))
    clash = sorted({c for c in out_cols if out_cols.count(c) > 1})
    if clash:
        raise IngestError(f"The published table would have the column(s) {', '.join(clash)} twice; "
                          "give the pseudonymised column another key_column.")
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    extra = [LINK_COLUMN, *(optout_column(p) for p in part.purposes)] if part is not None else []
    w.writerow(out_cols + ([RECORD_KEY] if keys is not None else []) + extra)
    for j, row in enumerate(table.rows):
        if part is not None and not part.keep[j]:
            continue                       # withdrawn: the record is not published again
        fix = part.corrections.get(j, {}) if part is not None else {}
        w.writerow([pseudonym(key, sheet.id, row[i]) if a == "pseudonymise" else fix.get(table.header[i],
                                                                                            row[i].strip())
                    for i, a in plan]
                   + ([keys[j]] if keys is not None else [])
                   + ([part.links[j], *part.optouts[j]] if part is not None else []))
    return buf.getvalue().encode("utf-8"), out_cols


def _validate_published(sheet_tmp: Path, csv_tmp: Path, sheet: Datasheet) -> None:
    """The published datasheet must load, match its file, and load into DuckDB as the store will."""
    import duckdb


    loaded = load_datasheet(sheet_tmp)
    resolved = loaded.model_copy(update={"source_file": str(csv_tmp)})
    _check_columns(sheet_tmp, resolved, Path("/"))
    con = duckdb.connect()
    try:
        _load_dataset(con, resolved, Path("/"))
        types = dict(con.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                                 f"WHERE table_name = '{resolved.table}'").fetchall())
    except duckdb.Error as e:
        raise IngestError(f"The published table for '{sheet.id}' would not load into the store: "
                          f"{str(e).splitlines()[0][:200]}") from None
    finally:
        con.close()
    for m in resolved.measures:
        for c in (m.column, m.weight, m.numerator, m.denominator, *m.sum_of):
            if c and not re.match(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|DOUBLE|FLOAT|DECIMAL|U)", types[c]):
                raise IngestError(f"column '{c}' (measure {m.id}) loads as {types[c]}, not as numbers.")


def versions_dir(settings, dataset: str) -> Path:
    return Path(settings.published_dir) / "versions" / dataset


def history(settings, dataset: str) -> dict:
    """Every published version of a contributed dataset: {"dataset", "current", "versions": [...],
    "events": [...]} (empty when the id was never published)."""
    try:
        return json.loads((versions_dir(settings, dataset) / "history.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"dataset": dataset, "current": None, "versions": [], "events": []}


def current_sheet(settings, dataset: str) -> Datasheet | None:
    path = Path(settings.published_dir) / f"{dataset}.yaml"
    return load_datasheet(path) if path.exists() else None


def steward_of(sheet: Datasheet | None, steward: str) -> bool:
    """May ``steward`` (a signed-in steward of the commons) change this dataset?  The accounts its
    current datasheet names, or any steward when it names none (or it is new)."""
    if sheet is None or not sheet.steward.accounts:
        return True
    return any(same_person(steward, a) for a in sheet.steward.accounts)


def ingest(csv_path: Path, sheet: Datasheet | str | bytes | Path, settings, scanner: Scanner,
           progress: Progress | None = None, max_bytes: int = MAX_UPLOAD_BYTES,
           _source_digest: str | None = None, _origin: str = "upload", steward: str | None = None,
           contribution: str | None = None, reason: str = "", accepted: dict | None = None) -> IngestResult:
    """Scan, refuse on problems, and publish to ``published_dir`` atomically (datasheet last) as a
    new version.  A dataset id already published is never replaced silently: a new version needs
    ``steward`` (a steward of that dataset, checked by the caller that signed them in: the
    contribution queue), and the previous version is kept under ``published/versions/<id>/``.
    The publication is audited before anything is replaced (write-ahead)."""
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    sheet = _as_sheet(sheet)
    _check_sheet(sheet)
    shipped = Path(settings.data_dir) / "datasheets" / f"{sheet.id}.yaml"
    if shipped.exists():
        raise IngestError(f"'{sheet.id}' is the id of a dataset the commons ships; choose another id.")
    out = Path(settings.published_dir)
    hist = history(settings, sheet.id)
    existing = (out / f"{sheet.id}.yaml").exists()
    path = Path(csv_path)
    say(f"ingest {sheet.id}: reading {path.name}")
    table = _parse(_read_bytes(path, max_bytes), path.name)
    say(f"ingest {sheet.id}: scanning {len(table.header)} columns of {len(table.rows)} rows for identifiers")
    report = _scan_table(table, sheet, scanner, path.name, value_context(settings, sheet))
    if not report.ok:
        raise IngestError(f"{path.name} was not published to '{sheet.id}': " + " ".join(report.problems))
    open_problems = report.unaccepted(accepted)
    if open_problems:
        raise IngestError(f"{path.name} was not published to '{sheet.id}': each problem with its values must be fixed "
                          "or accepted with a reason first: " + " ".join(f"[{v['id']}] {v['message']}"
                                                                         for v in open_problems))
    if existing and _origin != "demo" and not steward:
        cur = hist.get("current") or 1
        raise IngestError(f"'{sheet.id}' is already published (version {cur}); a new version is never published "
                          "without a steward of that dataset: stage it with `commons ingest FILE --datasheet X "
                          "--user ID` and a steward approves it (`commons contributions approve`).")
    key = secret_key(settings) if sheet.person_level or any(c.action == "pseudonymise" for c in report.columns) \
        else None
    keys = record_keys(sheet.id, len(table.rows), _origin == "demo") if sheet.person_level else None
    version = max([v["version"] for v in hist["versions"]] or [0]) + 1
    part = _participation(settings, sheet, table, report, key, _origin == "demo") if sheet.person_level else None
    data, _cols = _published_bytes(table, report, sheet, key, keys, part)
    published = _published_sheet(sheet, table.header, report, version)
    sheet_bytes = yaml.safe_dump(published.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True,
                                 width=100).encode("utf-8")
    out.mkdir(parents=True, exist_ok=True)
    csv_final, sheet_final = out / f"{sheet.id}.csv", out / f"{sheet.id}.yaml"
    stamp_final = out / f"{sheet.id}.ingest.json"
    stamp = {"dataset": sheet.id, "origin": _origin, "ingest_version": INGEST_VERSION,
             "source_sha256": table.sha256, "version": version,
             "sheet_sha256": _source_digest or _sheet_digest(sheet), "published_sha256": _sha256(data),
             "rows": len(table.rows), "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "columns": {c.name: c.action for c in report.columns}}
    action = ("demo_refresh" if _origin == "demo" else "replace") if existing else "publish"
    with _publish_lock(settings):
        tmps: list[Path] = []
        try:
            csv_tmp = _write_atomic(csv_final, data)
            tmps.append(csv_tmp)
            sheet_tmp = _write_atomic(sheet_final, sheet_bytes)
            tmps.append(sheet_tmp)
            stamp_tmp = _write_atomic(stamp_final, json.dumps(stamp, indent=1).encode())
            tmps.append(stamp_tmp)
            _validate_published(sheet_tmp, csv_tmp, sheet)
            # Write-ahead: the publication's audit record first; without it nothing is replaced.
            audit_ref = govdb.audit_log(settings).append(
                "dataset_version", action=action, dataset=sheet.id, version=version,
                previous=hist.get("current"), rows=len(table.rows), published_sha256=stamp["published_sha256"],
                origin=_origin, steward=steward, contribution=contribution, reason=_clean_reason(reason or "-"))
            # Data first, datasheet last (readers of published/ take the same lock, shared).
            os.replace(csv_tmp, csv_final)
            os.replace(sheet_tmp, sheet_final)
            os.replace(stamp_tmp, stamp_final)
            _archive(settings, sheet.id, version, hist, {"version": version, "published_at": stamp["published_at"],
                                                         "origin": _origin, "action": action, "steward": steward,
                                                         "contribution": contribution, "rows": len(table.rows),
                                                         "published_sha256": stamp["published_sha256"],
                                                         "audit_id": audit_ref})
        except DatasheetError as e:
            raise IngestError(f"The published datasheet for '{sheet.id}' does not validate: {e}") from None
        except OSError as e:
            raise IngestError(f"Could not publish '{sheet.id}' under {out}: {e.strerror}") from None
        finally:
            for t in tmps:
                t.unlink(missing_ok=True)
    letters = _issue_participants(settings, sheet, part, _origin == "demo", version) if part is not None else None
    if letters is not None:
        say(f"ingest {sheet.id}: participation references and secrets for the contributor to hand out: {letters}")
    kept = tuple(c.name for c in report.columns if c.action == "keep")
    dropped = tuple(c.name for c in report.columns if c.action == "drop")
    keyed = tuple((c.name, next(r.key_column or f"{r.name}_key" for r in sheet.columns if r.name == c.name))
                  for c in report.columns if c.action == "pseudonymise")
    ms = round((time.perf_counter() - started) * 1000, 1)
    say(f"ingest {sheet.id}: published version {version}, {len(table.rows)} rows ({len(dropped)} identifier "
        f"columns dropped, {len(keyed)} pseudonymised) in {ms:.0f} ms")
    return IngestResult(sheet.id, csv_final, sheet_final, len(table.rows), kept, dropped, keyed, report, ms)


def _archive(settings, dataset: str, version: int, hist: dict, entry: dict) -> None:
    """Keep a copy of the version just published and record it as current."""
    out = Path(settings.published_dir)
    folder = versions_dir(settings, dataset) / f"v{version}"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".csv", ".yaml", ".ingest.json"):
        shutil.copy2(out / f"{dataset}{suffix}", folder / f"{dataset}{suffix}")
    hist = {**hist, "dataset": dataset, "current": version,
            "versions": [*hist["versions"], entry], "events": [*hist.get("events", []), {**entry, "to": version}]}
    _write_json(versions_dir(settings, dataset) / "history.json", hist)


def restore_version(dataset: str, version: int, steward: str, reason: str, settings) -> dict:
    """Make an earlier published version current again (a steward of that dataset, with a reason;
    audited before anything changes).  Returns the history."""
    if not reason or not str(reason).strip():
        raise ReviewError("A restore needs a reason, which is recorded with it.")
    hist = history(settings, dataset)
    folder = versions_dir(settings, dataset) / f"v{int(version)}"
    if not hist["versions"] or not folder.is_dir():
        known = ", ".join(str(v["version"]) for v in hist["versions"]) or "none"
        raise IngestError(f"'{dataset}' has no published version {version} (versions: {known}).")
    if not steward_of(current_sheet(settings, dataset), steward):
        raise ReviewError(f"Only a steward of '{dataset}' may restore one of its versions.")
    out = Path(settings.published_dir)
    with _publish_lock(settings):
        ref = govdb.audit_log(settings).append(
            "dataset_version", action="restore", dataset=dataset, version=int(version), previous=hist.get("current"),
            steward=str(steward), reason=_clean_reason(reason))
        for suffix in (".csv", ".ingest.json", ".yaml"):           # datasheet last
            tmp = _write_atomic(out / f"{dataset}{suffix}", (folder / f"{dataset}{suffix}").read_bytes())
            os.replace(tmp, out / f"{dataset}{suffix}")
        hist = {**hist, "current": int(version),
                "events": [*hist.get("events", []), {"action": "restore", "to": int(version), "steward": str(steward),
                                                     "at": _now(), "audit_id": ref}]}
        _write_json(versions_dir(settings, dataset) / "history.json", hist)
    return hist


# -- loading shipped + published datasheets ------------------------------------------------------------
def load_commons_sheets(settings) -> dict[str, Datasheet]:
    """Shipped datasheets (``data/datasheets``) plus published contributions (``published/*.yaml``).

    A published datasheet's ``source_file`` is relative to the published folder; it is
    returned resolved to an absolute path, which the store reads as is."""
    data_dir = Path(settings.data_dir)
    sheets = load_datasheets(data_dir / "datasheets", data_dir)
    pub = Path(settings.published_dir)
    if not pub.is_dir():
        return sheets
    with _publish_lock(settings, shared=True):
        for path in sorted(pub.glob("*.yaml")):
            sheet = load_datasheet(path)
            if sheet.id in sheets:
                raise DatasheetError(str(path), "id", f"'{sheet.id}' is used by a shipped datasheet")
            source = Path(sheet.source_file)
            if not source.is_absolute():
                source = pub / source
            sheet = sheet.model_copy(update={"source_file": str(source)})
            _check_columns(path, sheet, pub)
            _check_no_identifiers(path, sheet, source)
            sheets[sheet.id] = sheet
    return sheets


def _check_no_identifiers(path: Path, sheet: Datasheet, source: Path) -> None:
    """Defence in depth: a published file never holds a direct identifier, only keyed hashes."""
    with source.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), [])
    keys = {c.name for c in sheet.columns if c.role == "direct_identifier" and c.handling == "pseudonymise"}
    raw = [c.name for c in sheet.columns if c.role == "direct_identifier" and c.name not in keys and c.name in header]
    undeclared = [h for h in header if h not in {c.name for c in sheet.columns}]
    if sheet.columns and undeclared:
        raise DatasheetError(str(path), "columns", f"the published file {source.name} has column(s) "
                             f"{', '.join(undeclared[:5])} that its datasheet does not declare")
    if raw:
        raise DatasheetError(str(path), "columns", f"the published file {source.name} holds direct identifier "
                             f"column(s) {', '.join(raw)}; publish contributions with `commons ingest`")


class LazyScanner:
    """The real PII scanner, loaded on first use (a malformed upload is refused without it)."""

    def __init__(self, settings, progress: Progress | None = None):
        self._settings, self._say, self._scanner = settings, progress or (lambda _m: None), None

    def scan_column(self, name: str, values: list[str], sample: int = 200, seed: int = 0):
        if self._scanner is None:
            self._say("loading the PII scanner")
            self._scanner = _demo_scanner(self._settings)
        return self._scanner.scan_column(name, values, sample=sample, seed=seed)

    def scan_all(self, values: list[str]) -> dict[str, list[int]]:
        if self._scanner is None:
            self._say("loading the PII scanner")
            self._scanner = _demo_scanner(self._settings)
        return self._scanner.scan_all(values)


# -- the demo contributions ---------------------------------------------------------------------------
def _demo_scanner(settings):
    return default_scanner(settings)


def ensure_demo_contributions(settings, progress: Progress | None = None,
                              scanner: Scanner | None = None) -> list[str]:
    """Generate the SYNTHETIC raw contributions and publish them when missing or stale.

    Cheap when nothing changed: a stamp of the generator's inputs decides whether to
    regenerate, and the published stamp (raw file, datasheet, ingest version and published
    file hashes) whether to re-ingest.  A demo id that a steward has since published from a
    real upload (``commons ingest`` or an approved contribution) is left alone.  Returns the
    ids (re)published."""

    say = progress or (lambda _m: None)
    data_dir = Path(settings.data_dir)
    contrib = data_dir / "contrib"
    if not contrib.is_dir():
        return []
    raw_dir = Path(settings.contributions_dir) / "raw"
    pub = Path(settings.published_dir)
    digest = synthetic.inputs_digest(data_dir)
    stamp_path = raw_dir / "generated.json"
    try:
        gen_stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        gen_stamp = {}
    done: list[str] = []
    for dataset, (fname, generate) in synthetic.DEMO_DATASETS.items():
        sheet_path = contrib / f"{dataset}.yaml"
        if not sheet_path.exists():
            continue
        entry = gen_stamp.get(dataset) or {}
        sheet_digest = _sha256(sheet_path.read_bytes())
        if entry.get("inputs") == digest and _published_current(pub, dataset, entry.get("sha256"), sheet_digest):
            continue
        # The raw contribution (with its SYNTHETIC names, NHS numbers, ...) exists only while it
        # is ingested: it is generated into a private work folder and deleted afterwards, so no
        # identifier stays on disk under COMMONS_HOME (the seed regenerates it when needed).
        t = time.perf_counter()
        data = generate(data_dir)
        raw_sha = _sha256(data)
        rows = data.count(b"\n") - 1
        say(f"generated SYNTHETIC {dataset} contribution ({rows} rows) in "
            f"{(time.perf_counter() - t) * 1000:.0f} ms")
        raw_dir.mkdir(parents=True, exist_ok=True)
        gen_stamp[dataset] = {"inputs": digest, "sha256": raw_sha}
        if _published_current(pub, dataset, raw_sha, sheet_digest):   # only the stamp was missing
            _write_json(stamp_path, gen_stamp)
            continue
        for stale in raw_dir.glob("*.csv"):      # left by an earlier version of the commons
            stale.unlink(missing_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".work-", dir=raw_dir))
        try:
            raw = work / fname
            tmp = _write_atomic(raw, data)
            os.replace(tmp, raw)
            os.chmod(raw, 0o600)
            if scanner is None:
                scanner = LazyScanner(settings, say)
            ingest(raw, load_datasheet(sheet_path), settings, scanner, say, _source_digest=sheet_digest,
                   _origin="demo")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _write_json(stamp_path, gen_stamp)
        (raw_dir / "README.txt").write_text(
            "SYNTHETIC raw contributions are generated by retrieval/synthetic.py from fixed seeds, ingested\n"
            "and deleted: they imitate what a real contribution carries (names, emails, NHS numbers, ...),\n"
            "so they are never kept. Only the published copy without direct identifiers stays, in\n"
            "../../published/. generated.json records the hash of what was generated.\n", encoding="utf-8")
        done.append(dataset)
    return done


def _published_current(pub: Path, dataset: str, raw_sha: str | None, sheet_digest: str) -> bool:
    try:
        stamp = json.loads((pub / f"{dataset}.ingest.json").read_text())
    except (OSError, ValueError):
        return False
    if stamp.get("origin", "demo") != "demo" and (pub / f"{dataset}.yaml").exists():
        return True            # a steward published this id from a real upload: leave it alone
    if (stamp.get("ingest_version"), stamp.get("source_sha256"), stamp.get("sheet_sha256")) != \
            (INGEST_VERSION, raw_sha, sheet_digest):
        return False
    csv_path, sheet_path = pub / f"{dataset}.csv", pub / f"{dataset}.yaml"
    if not (csv_path.exists() and sheet_path.exists()):
        return False
    return _sha256(csv_path.read_bytes()) == stamp.get("published_sha256")


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_atomic(path, json.dumps(obj, indent=1, sort_keys=True).encode())
    os.replace(tmp, path)


# -- the contribution queue ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Contribution:
    id: str
    dataset: str
    title: str
    submitter: str
    submitted_at: str
    state: str                      # pending | approved | denied
    rows: int
    size: int
    sha256: str
    report: ScanReport
    steward: str | None = None
    reason: str | None = None
    decided_at: str | None = None
    path: Path | None = field(default=None, compare=False)
    # value problems accepted with a reason: problem id -> {"by", "reason", "at"}
    accepted: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("id", "dataset", "title", "submitter", "submitted_at", "state", "rows",
                                           "size", "sha256", "steward", "reason", "decided_at", "accepted")}
        d["report"] = self.report.to_dict()
        return d


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _queue_lock(settings):
    return _file_lock(Path(settings.contributions_dir) / ".queue.lock")


def _contribution(folder: Path) -> Contribution:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    report = ScanReport.from_dict(json.loads((folder / "scan.json").read_text(encoding="utf-8")))
    return Contribution(**meta, report=report, path=folder)


def _save_meta(folder: Path, c: Contribution) -> None:
    meta = {k: v for k, v in c.to_dict().items() if k != "report"}
    _write_json(folder / "meta.json", meta)


def submit(csv_bytes: bytes, sheet: Datasheet | str | bytes, settings, scanner: Scanner, submitter: str,
           max_bytes: int = MAX_UPLOAD_BYTES, accept: dict[str, str] | None = None) -> Contribution:
    """Stage an upload for a steward.  It is scanned now: a malformed file or one with an
    undeclared identifier is refused at once (IngestError) and nothing is kept.  Problems with its
    values are kept with it (shown to the contributor and the steward); ``accept`` (problem id ->
    reason) accepts some of them now, and a steward may accept the rest (``accept_problem``)."""
    if not submitter or not str(submitter).strip():
        raise IngestError("A contribution needs the submitter's id.")
    if len(csv_bytes) > max_bytes:
        raise IngestError(f"The upload is {len(csv_bytes) / 1e6:.1f} MB; uploads may be at most "
                          f"{max_bytes / 1e6:.1f} MB.")
    sheet = _as_sheet(sheet)
    _check_sheet(sheet)
    if (Path(settings.data_dir) / "datasheets" / f"{sheet.id}.yaml").exists():
        raise IngestError(f"'{sheet.id}' is the id of a dataset the commons ships; choose another id.")
    table = _parse(csv_bytes, "the upload")
    report = _scan_table(table, sheet, scanner, "the upload", value_context(settings, sheet))
    if not report.ok:
        raise IngestError("The upload cannot be accepted: " + " ".join(report.problems))
    known = {v["id"] for v in report.value_problems}
    accepted = {}
    for pid, why in (accept or {}).items():
        if pid not in known:
            raise IngestError(f"There is no problem {pid} with this upload's values "
                              f"({', '.join(sorted(known)) or 'it has none'}).")
        if str(why or "").strip():
            accepted[pid] = {"by": str(submitter), "reason": _clean_reason(why), "at": _now()}
    cid = f"c-{time.strftime('%Y%m%d', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    root = Path(settings.contributions_dir)
    tmp = root / f".incoming-{cid}"
    final = root / "pending" / cid
    tmp.mkdir(parents=True)
    try:
        os.chmod(tmp, 0o700)
        (tmp / "upload.csv").write_bytes(csv_bytes)
        (tmp / "datasheet.yaml").write_text(
            yaml.safe_dump(sheet.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True), encoding="utf-8")
        _write_json(tmp / "scan.json", report.to_dict())
        c = Contribution(cid, sheet.id, sheet.title, str(submitter), _now(), "pending", report.rows,
                         len(csv_bytes), report.file_sha256, report, accepted=accepted)
        _save_meta(tmp, c)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return _contribution(final)


def list_contributions(settings, state: str | None = None) -> list[Contribution]:
    if state is not None and state not in STATES:
        raise IngestError(f"Unknown contribution state '{state}'. States: {', '.join(STATES)}.")
    root = Path(settings.contributions_dir)
    out = []
    for st in ([state] if state else STATES):
        for folder in sorted((root / st).glob("c-*")) if (root / st).is_dir() else ():
            try:
                out.append(_contribution(folder))
            except (OSError, ValueError, TypeError, KeyError):
                log.warning("skipping an unreadable contribution folder: %s", folder.name)
    return sorted(out, key=lambda c: (c.submitted_at, c.id))


def get_contribution(cid: str, settings) -> Contribution:
    if not re.fullmatch(r"c-\d{8}-[0-9a-f]{8}", cid or ""):
        raise IngestError(f"'{cid}' is not a contribution id.")
    for st in STATES:
        folder = Path(settings.contributions_dir) / st / cid
        if folder.is_dir():
            return _contribution(folder)
    raise IngestError(f"There is no contribution '{cid}'.")


def _decide_checks(c: Contribution, steward: str, reason: str) -> None:
    if not steward or not str(steward).strip():
        raise ReviewError("A decision needs the steward's id.")
    if not reason or not str(reason).strip():
        raise ReviewError("A decision needs a reason, which is recorded with it.")
    if c.state != "pending":
        raise ReviewError(f"Contribution {c.id} was already {c.state} by {c.steward}.")
    if same_person(steward, c.submitter):
        raise ReviewError(f"A steward cannot approve or deny their own contribution ({c.id}); "
                          "another steward must review it.")


def _clean_reason(reason: str) -> str:
    """A steward's reason as stored (meta.json, the audit log): identifiers redacted by the
    scanner, then ``sanitise_for_storage``."""
    return sanitise_for_storage(redact(normalise_text(str(reason)))[0])


def _audit(settings, event: str, **fields) -> None:
    try:
        govdb.audit_log(settings).append(event, **fields)
    except CommonsError as e:              # the decision stands; the log says why it is missing
        log.warning("could not audit %s: %s", event, e)


def approve_contribution(cid: str, steward: str, reason: str, settings, scanner: Scanner,
                         progress: Progress | None = None) -> Contribution:
    """Publish a pending contribution (runs ``ingest``) and mark it approved."""
    with _queue_lock(settings):
        c = get_contribution(cid, settings)
        _decide_checks(c, steward, reason)
        if not steward_of(current_sheet(settings, c.dataset), steward):
            raise ReviewError(f"'{c.dataset}' is already published, and a new version needs a steward of that "
                              f"dataset ({', '.join(current_sheet(settings, c.dataset).steward.accounts)}).")
        folder = c.path
        open_problems = c.report.unaccepted(c.accepted)
        if open_problems:
            raise ReviewError(f"Contribution {c.id} cannot be published until each problem with its values is fixed "
                              "(a new upload) or accepted with a reason (`commons contributions accept`): "
                              + " ".join(f"[{v['id']}] {v['message']}" for v in open_problems))
        result = ingest(folder / "upload.csv", load_datasheet(folder / "datasheet.yaml"), settings, scanner,
                        progress, steward=str(steward), contribution=cid, reason=reason, accepted=c.accepted)
        decided = Contribution(**{**{k: getattr(c, k) for k in c.__dataclass_fields__ if k != "path"},
                                  "state": "approved", "steward": str(steward), "reason": _clean_reason(reason),
                                  "decided_at": _now(), "report": result.report})
        _save_meta(folder, decided)
        # Published without its direct identifiers; the upload that carried them is not kept.
        (folder / "upload.csv").unlink(missing_ok=True)
        target = Path(settings.contributions_dir) / "approved" / cid
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, target)
    _audit(settings, "contribution", action="approve", contribution=cid, dataset=c.dataset,
           submitter=c.submitter, steward=str(steward), reason=decided.reason, rows=result.rows)
    return _contribution(target)


def accept_problem(cid: str, problem: str, who: str, reason: str, settings) -> Contribution:
    """Accept one problem with a pending contribution's values, with a reason (audited)."""
    if not str(reason or "").strip():
        raise ReviewError("Accepting a problem needs a reason, which is recorded with it.")
    with _queue_lock(settings):
        c = get_contribution(cid, settings)
        if c.state != "pending":
            raise ReviewError(f"Contribution {c.id} was already {c.state}.")
        ids = {v["id"] for v in c.report.value_problems}
        if problem not in ids:
            raise ReviewError(f"Contribution {c.id} has no problem {problem} ({', '.join(sorted(ids)) or 'none'}).")
        accepted = {**c.accepted, problem: {"by": str(who), "reason": _clean_reason(reason), "at": _now()}}
        updated = Contribution(**{**{k: getattr(c, k) for k in c.__dataclass_fields__ if k != "path"},
                                  "accepted": accepted})
        _save_meta(c.path, updated)
    _audit(settings, "contribution", action="accept_problem", contribution=cid, dataset=c.dataset, problem=problem,
           by=str(who), reason=accepted[problem]["reason"])
    return _contribution(c.path)


def deny_contribution(cid: str, steward: str, reason: str, settings) -> Contribution:
    """Refuse a pending contribution; its upload is deleted, the decision and scan are kept."""
    with _queue_lock(settings):
        c = get_contribution(cid, settings)
        _decide_checks(c, steward, reason)
        folder = c.path
        decided = Contribution(**{**{k: getattr(c, k) for k in c.__dataclass_fields__ if k != "path"},
                                  "state": "denied", "steward": str(steward), "reason": _clean_reason(reason),
                                  "decided_at": _now()})
        _save_meta(folder, decided)
        (folder / "upload.csv").unlink(missing_ok=True)
        target = Path(settings.contributions_dir) / "denied" / cid
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, target)
    _audit(settings, "contribution", action="deny", contribution=cid, dataset=c.dataset,
           submitter=c.submitter, steward=str(steward), reason=decided.reason)
    return _contribution(target)


# -- refresh: consent changes and corrections take effect ----------------------------------------------
def refresh_due(sheet: Datasheet, today: str | None = None) -> bool:
    """Whether the dataset's scheduled refresh has come (no schedule: never by itself)."""
    due = sheet.lifecycle.due()
    today = today or time.strftime("%Y-%m-%d", time.gmtime())
    return bool(due) and due <= today


def refresh(dataset: str, settings, steward: str | None = None, reason: str = "", now: float | None = None,
            batch_min: int | None = None) -> dict:
    """The dataset's scheduled refresh: the consent changes that are due as one batch (withdrawn
    records leave the published table, opt-outs set the record's consent columns) and the
    corrections stewards accepted are applied to the current published version, as a new
    version (audited before the files change).  Without ``steward`` (the scheduler) it runs only
    when the datasheet's refresh is due; a steward of the dataset may run it earlier.  Returns what
    it did; nothing changes when nothing is due."""
    sheet = current_sheet(settings, dataset)
    if sheet is None or not sheet.person_level:
        raise IngestError(f"'{dataset}' is not a published person-level dataset of this commons.")
    if steward is not None and not steward_of(sheet, steward):
        raise ReviewError(f"Only a steward of '{dataset}' may refresh it early.")
    if steward is None and not refresh_due(sheet):
        return {"dataset": dataset, "refreshed": False,
                "reason": f"the refresh is not due yet (next: {sheet.lifecycle.due() or 'no schedule'})"}
    reg = Register(settings.participation_db)
    changes, why = reg.due_batch(dataset, now=now, batch_min=BATCH_MIN if batch_min is None else batch_min)
    fixes = reg.accepted_corrections(dataset)
    if not changes and not fixes:
        return {"dataset": dataset, "refreshed": False, "reason": why,
                "waiting": len(reg.pending(dataset))}
    out = Path(settings.published_dir)
    hist = history(settings, dataset)
    version = max([v["version"] for v in hist["versions"]] or [0]) + 1
    csv_path = out / f"{dataset}.csv"
    with _publish_lock(settings):
        with csv_path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = rows[0], rows[1:]
        ix = {h: i for i, h in enumerate(header)}
        if LINK_COLUMN not in ix:
            raise IngestError(f"'{dataset}' was published before participation references existed; publish it "
                              "again (a new version) first.")
        by_link = {r["link"]: r["ref"] for r in govdb_records(settings, dataset)}
        # what the register will say once this batch is applied
        applied_ids = [c["id"] for c in changes]
        withdraw = {c["ref"] for c in changes if c["kind"] == "withdraw"}
        prev_withdrawn, prev_opted = reg.effective(dataset)
        opted = {k: set(v) for k, v in prev_opted.items()}
        for c in changes:
            if c["kind"] == "opt_out":
                opted.setdefault(c["ref"], set()).add(c["purpose"])
            elif c["kind"] == "opt_in":
                opted.setdefault(c["ref"], set()).discard(c["purpose"])
        gone = withdraw | prev_withdrawn
        fix_by_ref: dict[str, dict[str, str]] = {}
        for f in fixes:
            fix_by_ref.setdefault(f.ref, {})[f.column] = f.proposed
        new_body, removed = [], 0
        for r in body:
            ref = by_link.get(r[ix[LINK_COLUMN]])
            if ref in gone:
                removed += 1
                continue
            r = list(r)
            for p in sheet.consent_purposes:
                col = optout_column(p)
                if col in ix:
                    r[ix[col]] = "1" if p in opted.get(ref, ()) else "0"
            for col, value in fix_by_ref.get(ref, {}).items():
                if col in ix:
                    r[ix[col]] = value
            new_body.append(r)
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(new_body)
        data = buf.getvalue().encode("utf-8")
        sheet_path = out / f"{dataset}.yaml"
        raw_sheet = yaml.safe_load(sheet_path.read_text(encoding="utf-8"))
        raw_sheet["version"] = version
        raw_sheet.setdefault("lifecycle", {})["refreshed"] = time.strftime("%Y-%m-%d", time.gmtime())
        raw_sheet["lifecycle"].pop("refresh_due", None)
        sheet_bytes = yaml.safe_dump(raw_sheet, sort_keys=False, allow_unicode=True, width=100).encode("utf-8")
        stamp_path = out / f"{dataset}.ingest.json"
        stamp = json.loads(stamp_path.read_text()) if stamp_path.exists() else {"dataset": dataset}
        stamp.update(version=version, published_sha256=_sha256(data), rows=len(new_body),
                     published_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        tmps: list[Path] = []
        try:
            csv_tmp = _write_atomic(csv_path, data)
            tmps.append(csv_tmp)
            sheet_tmp = _write_atomic(sheet_path, sheet_bytes)
            tmps.append(sheet_tmp)
            stamp_tmp = _write_atomic(stamp_path, json.dumps(stamp, indent=1).encode())
            tmps.append(stamp_tmp)
            _validate_published(sheet_tmp, csv_tmp, sheet)
            ref = govdb.audit_log(settings).append(
                "dataset_version", action="refresh", dataset=dataset, version=version, previous=hist.get("current"),
                rows=len(new_body), published_sha256=stamp["published_sha256"], origin=stamp.get("origin", "upload"),
                steward=steward, contribution=None, reason=_clean_reason(reason or "scheduled refresh"),
                withdrawn=removed, consent_changes=len(changes), corrections=len(fixes))
            os.replace(csv_tmp, csv_path)
            os.replace(sheet_tmp, sheet_path)
            os.replace(stamp_tmp, stamp_path)
            _archive(settings, dataset, version, hist, {"version": version, "published_at": stamp["published_at"],
                                                        "origin": stamp.get("origin", "upload"), "action": "refresh",
                                                        "steward": steward, "contribution": None,
                                                        "rows": len(new_body),
                                                        "published_sha256": stamp["published_sha256"],
                                                        "audit_id": ref})
        finally:
            for t in tmps:
                t.unlink(missing_ok=True)
        reg.mark_applied(applied_ids, version)
        reg.set_withdrawn(dataset, withdraw)
        reg.mark_corrections_applied([f.id for f in fixes], version)
    return {"dataset": dataset, "refreshed": True, "version": version, "consent_changes": len(changes),
            "withdrawn": removed, "corrections": len(fixes), "rows": len(new_body), "reason": why}


def govdb_records(settings, dataset: str) -> list[dict]:
    return govdb.records(settings.participation_db, "SELECT ref, link FROM participants WHERE dataset=?", (dataset,))


def participant_record(settings, dataset: str, link: str) -> dict | None:
    """One participant's published record as the commons holds it (after pseudonymisation),
    without the commons' own reserved columns; None when it is not (or no longer) published."""
    sheet = current_sheet(settings, dataset)
    if sheet is None:
        return None
    path = Path(settings.published_dir) / f"{dataset}.csv"
    with _publish_lock(settings, shared=True), path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if row.get(LINK_COLUMN) == link:
                hidden = {RECORD_KEY, LINK_COLUMN}
                record = {k: v for k, v in row.items() if k not in hidden and not k.startswith(OPTOUT_PREFIX)}
                optouts = sorted(k[len(OPTOUT_PREFIX):] for k, v in row.items() if k.startswith(OPTOUT_PREFIX)
                                 and v == "1")
                return {"record": record, "opted_out_in_published_data": optouts, "version": sheet.version}
    return None


# -- lifecycle: archiving ----------------------------------------------------------------------------
def archived_dir(settings) -> Path:
    return Path(settings.published_dir) / "archived"


def archive(dataset: str, steward: str, reason: str, settings) -> dict:
    """Take a contributed dataset out of answers (a steward of the dataset, with a reason; audited
    before anything moves).  Its current files move to ``published/archived/<id>/``, its versions
    and audit trail stay; the datasheet records the date (``lifecycle.archived``)."""
    if not str(reason or "").strip():
        raise ReviewError("Archiving needs a reason, which is recorded with it.")
    sheet = current_sheet(settings, dataset)
    if sheet is None:
        shipped = (Path(settings.data_dir) / "datasheets" / f"{dataset}.yaml").exists()
        raise IngestError(f"'{dataset}' is {'a dataset the commons ships (archive it by removing its datasheet)' if shipped else 'not a published dataset'}.")
    if not steward_of(sheet, steward):
        raise ReviewError(f"Only a steward of '{dataset}' may archive it.")
    out = Path(settings.published_dir)
    target = archived_dir(settings) / dataset
    today = time.strftime("%Y-%m-%d", time.gmtime())
    hist = history(settings, dataset)
    with _publish_lock(settings):
        ref = govdb.audit_log(settings).append(
            "dataset_version", action="archive", dataset=dataset, version=hist.get("current"),
            previous=hist.get("current"), steward=str(steward), reason=_clean_reason(reason))
        target.mkdir(parents=True, exist_ok=True)
        raw_sheet = yaml.safe_load((out / f"{dataset}.yaml").read_text(encoding="utf-8"))
        raw_sheet.setdefault("lifecycle", {})["archived"] = today
        (target / f"{dataset}.yaml").write_text(yaml.safe_dump(raw_sheet, sort_keys=False, allow_unicode=True),
                                                encoding="utf-8")
        for suffix in (".csv", ".ingest.json"):
            if (out / f"{dataset}{suffix}").exists():
                os.replace(out / f"{dataset}{suffix}", target / f"{dataset}{suffix}")
        (out / f"{dataset}.yaml").unlink()                  # out of answers from now on
        hist = {**hist, "events": [*hist.get("events", []), {"action": "archive", "at": _now(), "steward": str(steward),
                                                             "audit_id": ref}]}
        _write_json(versions_dir(settings, dataset) / "history.json", hist)
    return {"dataset": dataset, "archived": today, "audit_id": ref}


def archived_sheet(settings, dataset: str) -> Datasheet | None:
    path = archived_dir(settings) / dataset / f"{dataset}.yaml"
    return load_datasheet(path) if path.exists() else None
