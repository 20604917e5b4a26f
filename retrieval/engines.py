"""Engines that run checked statements: DuckDB (default) and Spark SQL.

The checked statement (``CheckedSQL``, whose ``tree`` is the sqlglot AST that passed the
allow-list check) crosses this interface; each engine renders it for its own dialect:

    DuckDBEngine   the AST as DuckDB SQL, on the store's read-only catalogue connection
                   (external access only to the catalogue's own table folders)
    SparkEngine    the same AST transpiled with sqlglot to Spark SQL, on a Spark session whose
                   only relations are temporary views over the same Parquet files
                   (``spark.sql.runSQLOnFiles`` off: no ``parquet.`/path``` relations)

Both enforce the same rules again on what they are about to run: one SELECT (or UNION of
SELECTs), relations only from the store's tables, no database-qualified names, no file or
reflection functions; a time limit (DuckDB interrupt / Spark job tag) and a row cap
(``cap + 1`` rows fetched to tell truncation).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb
import sqlglot
from sqlglot import exp

from kernel.errors import QueryRejected, QueryTimeout, StoreError
from kernel.types import CheckedSQL, Result

ENGINES = ("duckdb", "spark")
# Functions no engine may run, whatever passed before (file access, reflection, process state).
FORBIDDEN_FUNCTIONS = frozenset({
    "READ_CSV", "READ_CSV_AUTO", "READ_PARQUET", "READ_JSON", "READ_JSON_AUTO", "READ_TEXT", "READ_BLOB",
    "GLOB", "PARQUET_SCAN", "PARQUET_METADATA", "SNIFF_CSV", "QUERY_TABLE", "QUERY", "GETENV",
    "REFLECT", "JAVA_METHOD", "TRY_REFLECTION", "INPUT_FILE_NAME", "INPUT_FILE_BLOCK_START",
    "INPUT_FILE_BLOCK_LENGTH", "CURRENT_CATALOG", "CURRENT_DATABASE", "CURRENT_USER", "SESSION_USER",
})


@dataclass(frozen=True)
class TableFiles:
    """Where one table's Parquet is: a file, or a folder (hive-partitioned when ``hive``)."""

    path: Path
    hive: bool = False


class Engine(Protocol):
    name: str

    def execute(self, checked: CheckedSQL, timeout_s: float, row_cap: int) -> Result: ...

    def close(self) -> None: ...


def open_engine(name: str, con: duckdb.DuckDBPyConnection, tables: dict[str, TableFiles],
                spark_master: str = "local[2]") -> Engine:
    if name == "duckdb":
        return DuckDBEngine(con, frozenset(tables))
    if name == "spark":
        return SparkEngine(tables, spark_master)
    raise StoreError(f"Unknown engine {name!r}: COMMONS_ENGINE must be one of {', '.join(ENGINES)}.")


def statement_tree(checked: CheckedSQL) -> exp.Expression:
    """The checked AST (re-parsed from the DuckDB text when a caller built ``CheckedSQL`` by hand)."""
    if checked.tree is not None:
        return checked.tree
    try:
        parsed = sqlglot.parse(checked.sql, read="duckdb")
    except sqlglot.errors.ParseError as e:
        raise QueryRejected(f"the statement does not parse: {str(e)[:200]}") from None
    if len(parsed) != 1 or parsed[0] is None:
        raise QueryRejected("exactly one statement is allowed")
    return parsed[0]


def guard(tree: exp.Expression, relations: frozenset[str], engine: str) -> None:
    """The rules every engine applies to what it is about to run."""
    if not isinstance(tree, (exp.Select, exp.Union)):
        raise QueryRejected(f"{engine}: only SELECT is allowed, not {type(tree).__name__}")
    ctes = {c.alias for c in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, exp.Table):
            if (not node.name or node.args.get("db") or node.args.get("catalog")
                    or (node.name not in relations and node.name not in ctes)):
                raise QueryRejected(f"{engine}: relation '{node.sql()[:60]}' is not one of the store's tables")
        elif isinstance(node, (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Command,
                               exp.Pragma, exp.Set, exp.Copy, exp.Attach, exp.Merge, exp.Use)):
            raise QueryRejected(f"{engine}: {type(node).__name__} is not allowed")
        elif isinstance(node, exp.Func):
            fname = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()
            if fname in FORBIDDEN_FUNCTIONS:
                raise QueryRejected(f"{engine}: function {fname} is not allowed")


# -- DuckDB -----------------------------------------------------------------------------------
class DuckDBEngine:
    """The AST rendered for DuckDB, on the store's locked read-only catalogue connection."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, relations: frozenset[str]):
        self._con, self._relations = con, relations

    def render(self, checked: CheckedSQL) -> str:
        """``check`` rendered the AST for DuckDB already (a statement built by hand without a
        tree, in tests, runs as written under the connection's own limits)."""
        return checked.sql

    def execute(self, checked: CheckedSQL, timeout_s: float, row_cap: int) -> Result:
        sql = self.render(checked)
        if checked.tree is not None:
            guard(checked.tree, self._relations, self.name)
        cur = self._con.cursor()
        timer = threading.Timer(timeout_s, cur.interrupt)
        start = time.perf_counter()
        timer.start()
        try:
            cur.execute(sql)
            rows = cur.fetchmany(row_cap + 1)
            cols = tuple(d[0] for d in cur.description)
        except duckdb.InterruptException:
            raise QueryTimeout(timeout_s) from None
        except duckdb.Error as e:
            raise StoreError(f"The commons store could not run the query: {e}") from None
        finally:
            timer.cancel()
            cur.close()
        truncated = len(rows) > row_cap
        return Result(cols, tuple(tuple(r) for r in rows[:row_cap]), truncated,
                      (time.perf_counter() - start) * 1000)

    def close(self) -> None:
        pass                            # the store owns the connection


# -- Spark SQL --------------------------------------------------------------------------------
_SPARK_LOCK = threading.Lock()
_SPARK: dict[str, object] = {}          # master -> the process's one SparkSession for it


def spark_session(master: str):
    """The process's Spark session for ``master`` (started once; about 7-20 s in local mode)."""
    with _SPARK_LOCK:
        if master in _SPARK:
            return _SPARK[master]
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise StoreError("The Spark engine needs Java 17: install it (Debian: apt-get install "
                             "openjdk-17-jre-headless) or set JAVA_HOME, or use COMMONS_ENGINE=duckdb.")
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise StoreError("The Spark engine needs pyspark: pip install -c constraints.txt "
                             "'commons-assistant[spark]' (or use COMMONS_ENGINE=duckdb).") from None
        work = Path(tempfile.mkdtemp(prefix="commons-spark-"))
        builder = (SparkSession.builder.master(master).appName("commons-assistant")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.sql.shuffle.partitions", "2")
                   .config("spark.sql.runSQLOnFiles", "false")
                   .config("spark.sql.catalogImplementation", "in-memory")
                   .config("spark.sql.warehouse.dir", str(work / "warehouse"))
                   .config("spark.local.dir", str(work / "local"))
                   .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=error")
                   .config("spark.sql.ansi.enabled", "false"))
        try:
            session = builder.getOrCreate()
        except Exception as e:              # py4j / JVM start-up failures
            raise StoreError(f"Could not start Spark at {master}: {str(e).splitlines()[0][:300]}") from None
        session.sparkContext.setLogLevel("OFF")
        _SPARK[master] = session
        return session


def stop_spark() -> None:
    with _SPARK_LOCK:
        for s in _SPARK.values():
            s.stop()
        _SPARK.clear()


def spark_sql(tree: exp.Expression) -> str:
    """The checked AST as Spark SQL.  One rewrite: DuckDB's ``LIST_SUM(MAX(col, k))`` (the sum
    of the k largest values, the dominance rule's support column) has no Spark spelling, so it
    becomes the sum of the first k of the values sorted descending (NULL when there are none)."""
    tree = tree.copy()
    for node in list(tree.find_all(exp.Anonymous)):
        if str(node.name).upper() != "LIST_SUM" or len(node.expressions) != 1:
            continue
        inner = node.expressions[0]
        if not isinstance(inner, exp.Max) or inner.args.get("count") is None:
            continue
        col = inner.this.sql(dialect="spark")
        k = inner.args["count"].sql(dialect="spark")
        node.replace(sqlglot.parse_one(
            f"CASE WHEN COUNT({col}) = 0 THEN NULL ELSE AGGREGATE(SLICE(SORT_ARRAY(COLLECT_LIST({col}), FALSE), "
            f"1, {k}), CAST(0 AS DOUBLE), (acc, x) -> acc + x) END", read="spark"))
    return tree.sql(dialect="spark")


class SparkEngine:
    """The AST transpiled to Spark SQL, on a session of its own whose only relations are
    temporary views over the store's Parquet (each registered the first time a statement
    names it, so opening the engine reads no file)."""

    name = "spark"

    def __init__(self, tables: dict[str, TableFiles], master: str = "local[2]"):
        self.master = master
        self._spark = spark_session(master).newSession()
        self._tables = dict(tables)
        self._relations = frozenset(tables)
        self._registered: set[str] = set()
        self._register_lock = threading.Lock()
        self.register_ms = 0.0

    def _register(self, tree: exp.Expression) -> None:
        names = {t.name for t in tree.find_all(exp.Table)} & self._relations
        with self._register_lock:
            for table in sorted(names - self._registered):
                f = self._tables[table]
                t = time.perf_counter()
                try:
                    self._spark.read.parquet(str(f.path)).createOrReplaceTempView(table)
                except Exception as e:
                    raise StoreError(f"Spark could not read table {table} at {f.path}: "
                                     f"{str(e).splitlines()[0][:200]}") from None
                self._registered.add(table)
                self.register_ms += (time.perf_counter() - t) * 1000

    def render(self, checked: CheckedSQL) -> str:
        return spark_sql(statement_tree(checked))

    def execute(self, checked: CheckedSQL, timeout_s: float, row_cap: int) -> Result:
        tree = statement_tree(checked)
        guard(tree, self._relations, self.name)
        sql = spark_sql(tree)
        try:
            spark_tree = sqlglot.parse_one(sql, read="spark")
        except sqlglot.errors.ParseError as e:
            raise QueryRejected(f"spark: the transpiled statement does not parse: {str(e)[:200]}") from None
        guard(spark_tree, self._relations, self.name)
        self._register(tree)
        tag = f"commons-{uuid.uuid4().hex[:12]}"
        fired = threading.Event()

        def stop():
            fired.set()
            self._spark.interruptTag(tag)

        timer = threading.Timer(timeout_s, stop)
        start = time.perf_counter()
        self._spark.addTag(tag)
        timer.start()
        try:
            df = self._spark.sql(sql)
            cols = tuple(df.columns)
            rows = df.take(row_cap + 1)
        except Exception as e:
            if fired.is_set():
                raise QueryTimeout(timeout_s) from None
            raise StoreError(f"The commons store (Spark) could not run the query: "
                             f"{str(e).splitlines()[0][:300]}") from None
        finally:
            timer.cancel()
            self._spark.removeTag(tag)
        if fired.is_set():
            raise QueryTimeout(timeout_s)
        truncated = len(rows) > row_cap
        return Result(cols, tuple(tuple(r) for r in rows[:row_cap]), truncated,
                      (time.perf_counter() - start) * 1000)

    def close(self) -> None:
        for table in self._registered:
            try:
                self._spark.catalog.dropTempView(table)
            except Exception:  # noqa: BLE001 - a stopped session has no views left to drop
                pass
