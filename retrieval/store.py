"""The commons store: one DuckDB file under COMMONS_HOME, built from the shipped CSVs.

Build is idempotent (a manifest of content hashes decides whether anything changed) and
atomic (built into a temporary file, then renamed), so a reader never sees half a store.
Queries run on a read-only connection with external access disabled, a time limit and a
row cap.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

import duckdb

from kernel.errors import QueryTimeout, StoreError
from kernel.types import CheckedSQL, Result
from retrieval.datasheets import Datasheet
from retrieval.geography import REGION_CODE, REGION_NAME

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
GEO_COLUMNS = ("lsoa_cd", "lsoa_nm", "ward_cd", "ward_nm", "lad_cd", "lad_nm", "region_cd", "region_nm")
SCHEMA_VERSION = 1


def geo_table_for(sheet: Datasheet) -> str:
    if sheet.geography.level == "lsoa":
        return "geo_lsoa11" if sheet.geography.vintage == "2011" else "geo_lsoa21"
    return "geo_lad"


def manifest_for(sheets: dict[str, Datasheet], data_dir: Path) -> str:
    h = hashlib.sha256(f"schema:{SCHEMA_VERSION}".encode())
    files = sorted({s.source_file for s in sheets.values()} | {f for f, _ in GEO_TABLES.values()})
    for f in files:
        h.update(Path(f).name.encode())       # where the home is does not matter, what is in it does
        try:
            h.update((Path(data_dir) / f).read_bytes())
        except OSError as e:
            raise StoreError(f"Cannot read {Path(data_dir) / f} to build the commons store: {e.strerror}") from None
    for sid in sorted(sheets):
        h.update(sheets[sid].model_dump_json(exclude={"source_file"}).encode())
    return h.hexdigest()


@contextmanager
def _lock(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".build.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def store_is_current(path: Path, manifest: str) -> bool:
    if not Path(path).exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("SELECT value FROM _manifest WHERE key = 'hash'").fetchone()
        finally:
            con.close()
    except duckdb.Error:
        return False
    return bool(row) and row[0] == manifest


def build_store(path: Path, sheets: dict[str, Datasheet], data_dir: Path,
                progress: Progress | None = None, force: bool = False) -> bool:
    """Build the store if it is missing or out of date.  Returns True when it (re)built."""
    say = progress or (lambda _m: None)
    path = Path(path)
    manifest = manifest_for(sheets, data_dir)
    with _lock(path.parent):
        if not force and store_is_current(path, manifest):
            return False
        tmp = path.with_suffix(f".building-{os.getpid()}")
        tmp.unlink(missing_ok=True)
        try:
            con = duckdb.connect(str(tmp))
            try:
                _load_geography(con, data_dir, say)
                for sheet in _dependency_order(sheets):
                    say(f"loading {sheet.id} ({sheet.source_file})")
                    _load_dataset(con, sheet, data_dir)
                con.execute("CREATE TABLE _manifest (key VARCHAR, value VARCHAR)")
                con.execute("INSERT INTO _manifest VALUES ('hash', ?), ('built_at', ?)",
                            [manifest, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())])
                con.execute("CHECKPOINT")
            finally:
                con.close()
            os.replace(tmp, path)
        except (duckdb.Error, OSError) as e:
            tmp.unlink(missing_ok=True)
            raise StoreError(f"Could not build the commons store at {path}: {e}") from None
        say(f"store ready: {path}")
        return True


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


def _load_geography(con: duckdb.DuckDBPyConnection, data_dir: Path, say: Progress) -> None:
    say("loading geography lookups")
    for table, (src, cols) in GEO_TABLES.items():
        select = ", ".join(f'"{s}" AS {t}' for t, s in cols)
        con.execute(
            f"CREATE TABLE {table} AS SELECT DISTINCT {select}, ? AS region_cd, ? AS region_nm "
            f"FROM read_csv(?, header = true, all_varchar = true)",
            [REGION_CODE, REGION_NAME, str(Path(data_dir) / src)])
    con.execute("CREATE TABLE geo_lad AS SELECT DISTINCT NULL::VARCHAR AS lsoa_cd, NULL::VARCHAR AS lsoa_nm, "
                "NULL::VARCHAR AS ward_cd, NULL::VARCHAR AS ward_nm, lad_cd, lad_nm, region_cd, region_nm "
                "FROM geo_lsoa21")


def _load_dataset(con: duckdb.DuckDBPyConnection, sheet: Datasheet, data_dir: Path) -> None:
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


class Store:
    """Read-only access to a built store.  One instance is shared; each query gets a cursor."""

    def __init__(self, path: Path, timeout_s: float, row_cap: int):
        self.path, self.timeout_s, self.row_cap = Path(path), timeout_s, row_cap
        if not self.path.exists():
            raise StoreError(f"No commons store at {self.path}. Run `commons build` to create it.")
        try:
            self._con = duckdb.connect(str(self.path), read_only=True,
                                       config={"enable_external_access": False,
                                               "autoload_known_extensions": False,
                                               "autoinstall_known_extensions": False})
        except duckdb.Error as e:
            raise StoreError(f"Could not open the commons store at {self.path}: {e}") from None
        self._lock = threading.Lock()
        self.columns = self._schema()

    def _schema(self) -> dict[str, set[str]]:
        rows = self._con.execute(
            "SELECT table_name, column_name FROM information_schema.columns").fetchall()
        out: dict[str, set[str]] = {}
        for t, c in rows:
            out.setdefault(t, set()).add(c)
        return out

    def execute(self, checked: CheckedSQL) -> Result:
        """Run a checked statement with the time limit and row cap."""
        cur = self._con.cursor()
        timer = threading.Timer(self.timeout_s, cur.interrupt)
        start = time.perf_counter()
        timer.start()
        try:
            cur.execute(checked.sql)
            rows = cur.fetchmany(self.row_cap + 1)
            cols = tuple(d[0] for d in cur.description)
        except duckdb.InterruptException:
            raise QueryTimeout(self.timeout_s) from None
        except duckdb.Error as e:
            raise StoreError(f"The commons store could not run the query: {e}") from None
        finally:
            timer.cancel()
            cur.close()
        truncated = len(rows) > self.row_cap
        return Result(cols, tuple(tuple(r) for r in rows[: self.row_cap]), truncated,
                      (time.perf_counter() - start) * 1000)

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
        self._con.close()
