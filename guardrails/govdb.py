"""The governance database, one interface: SQLite (default) or PostgreSQL (shared).

    COMMONS_GOVERNANCE_URL=""                       SQLite: COMMONS_HOME/governance.sqlite, and the
                                                    audit chain in COMMONS_HOME/audit.jsonl (one machine)
    COMMONS_GOVERNANCE_URL=postgresql://u@host/db   PostgreSQL: the review queue, the differencing
                                                    ledger and flags, the accounts' sessions and
                                                    sign-in lockouts, the projects registry, API
                                                    tokens and the audit chain, shared by every app
                                                    and API instance that names it

The stores (``guardrails.review.ReviewQueue``, ``guardrails.disclosure.Ledger``,
``guardrails.auth.Accounts``, ``guardrails.projects.ProjectRegistry``,
``guardrails.tokens.Tokens``) keep their SQL and call ``connect(target)``: a ``sqlite3``
connection in WAL mode that waits for another writer, or a PostgreSQL connection with the same
small surface (``execute`` with ``?`` placeholders, ``executemany``, ``close``, ``with con:``
commits).  ``target(settings)`` is what they are given: the SQLite path or the URL.

``audit_log(settings)`` is the audit chain: the JSONL file (``guardrails.audit.AuditLog``), or
``PgAuditLog``, the same canonical, Ed25519-signed records and hash chain in a table, appended
under an advisory lock (one writer at a time across every instance), its head witnessed outside
the database (``COMMONS_AUDIT_WITNESS``), and verified by the same code as the file.

(Not to be confused with ``guardrails.governance``: the steward-approved digests of the
governance *files*.)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Iterator

from guardrails.audit import AuditKey, AuditLog, AuditUnavailable, chain_line, verify_lines
from guardrails.inbound import sanitise_fields
from kernel.errors import ConfigError
from kernel.settings import Settings

_URL = re.compile(r"^postgres(ql)?(\+\w+)?://")
_AUDIT_LOCK = 0x636F6D6D6F6E73      # pg_advisory_lock key for audit appends ("commons")
_WRITE_LOCK = 0x636F6D6D6F6E77      # pg_advisory_xact_lock key standing in for SQLite's write lock


def is_url(value) -> bool:
    return isinstance(value, str) and bool(_URL.match(value))


def target(settings) -> Path | str:
    """The governance database the stores open: the PostgreSQL URL, or the SQLite file."""
    url = getattr(settings, "governance_url", "") or ""
    if url and not is_url(url):
        raise ConfigError(f"COMMONS_GOVERNANCE_URL must be a postgresql:// URL (or empty for SQLite), not {url!r}.")
    return url or Path(settings.governance_db)


def prepare(where) -> Path | str:
    """What a store keeps as its ``path``: a URL as given, a file path with its folder made."""
    if is_url(where):
        return where
    path = Path(where)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def connect(where):
    """A connection in autocommit mode (explicit ``BEGIN`` for a transaction)."""
    if is_url(where):
        return PgConnection(where)
    con = sqlite3.connect(where, timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA busy_timeout=30000")
    return con


def records(where, sql: str, params: tuple = ()) -> list[dict]:
    """The rows of one SELECT as dicts keyed by the columns it names (the column list is said
    once, in the SQL), from the SQLite file or the PostgreSQL URL (``target``)."""
    con = connect(where)
    try:
        cur = con.execute(sql, params)
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, r)) for r in cur.fetchall()]
    finally:
        con.close()


class PgConnection:
    """psycopg behind the part of the sqlite3 API the stores use."""

    def __init__(self, url: str):
        try:
            import psycopg  # noqa: PLC0415 - optional dependency, only for a PostgreSQL URL
        except ImportError:
            raise ConfigError("COMMONS_GOVERNANCE_URL names PostgreSQL: install psycopg "
                              "(pip install -c constraints.txt 'commons-assistant[postgres]').") from None
        try:
            self._con = psycopg.connect(_dsn(url), autocommit=True, connect_timeout=10)
        except psycopg.Error as e:
            raise ConfigError(f"Cannot reach the governance database at {_safe(url)}: "
                              f"{str(e).strip().splitlines()[0][:200]}") from None

    @staticmethod
    def _sql(sql: str) -> str:
        sql = sql.replace("?", "%s")
        head = sql.lstrip().upper()
        if head.startswith("CREATE TABLE") or (head.startswith("ALTER TABLE") and " ADD COLUMN " in head):
            sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)      # SQLite REAL is 8 bytes,
            sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)             # and INTEGER up to 8 (cell keys)
        return sql

    def execute(self, sql: str, params=()):
        cur = self._con.cursor()
        if sql.strip().upper() == "BEGIN IMMEDIATE":
            # SQLite's BEGIN IMMEDIATE takes the database's one write lock up front, so a
            # read-then-write (a review's state, a project's round) cannot interleave with
            # another writer: here, a transaction-scoped advisory lock on the same key.
            cur.execute("BEGIN")
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            return cur
        cur.execute(self._sql(sql), tuple(params))
        return cur

    def executemany(self, sql: str, rows):
        cur = self._con.cursor()
        cur.executemany(self._sql(sql), [tuple(r) for r in rows])
        return cur

    @property
    def in_transaction(self) -> bool:
        return self._con.info.transaction_status != 0          # psycopg.pq.TransactionStatus.IDLE

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.in_transaction:
            self._con.execute("ROLLBACK" if exc_type else "COMMIT")
        return False

    def close(self) -> None:
        self._con.close()


def _dsn(url: str) -> str:
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)


def _safe(url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def columns(con, table: str) -> set[str]:
    """The columns of ``table`` (either kind), for a store adding the ones it needs."""
    if isinstance(con, sqlite3.Connection):
        return {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
    return {c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_schema = current_schema() AND table_name = ?", (table,))}


def keep_insertion_order(con, table: str) -> None:
    """Let ``ORDER BY rowid`` mean the order rows were written in: SQLite has the implicit rowid,
    PostgreSQL gets a ``rowid`` column (added last, so positional INSERTs still fit)."""
    if not isinstance(con, sqlite3.Connection) and "rowid" not in columns(con, table):
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS rowid BIGSERIAL")


def tables(con) -> set[str]:
    """The tables in the governance database (either kind)."""
    if isinstance(con, sqlite3.Connection):
        return {t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = current_schema()")}


def exists(where) -> bool:
    """Whether there is a governance database to read (a URL always is; a file once made)."""
    return is_url(where) or Path(where).exists()


# -- the audit chain -----------------------------------------------------------------------------
def audit_log(settings):
    """The audit chain for these settings: the JSONL file, or the shared PostgreSQL table."""
    where = target(settings)
    return PgAuditLog(where, settings) if is_url(where) else AuditLog(settings.audit_path, settings=settings)


class PgAuditLog:
    """``AuditLog`` with the chain in PostgreSQL: the same signed records, hashes and ``verify``.

    Each record is signed with the audit key, as in the file.  The witness of the head is a file
    outside the database (in ``COMMONS_AUDIT_WITNESS``, named for the database), written by every
    append while the chain's lock is held, so whoever can write the database cannot cut records
    off the end unseen.  Several instances share the chain: an instance whose witness folder is
    its own sees only its own appends, so the chain may run past its witness (every later record
    still verifies as signed) but never end before it."""

    def __init__(self, url: str, settings=None):
        self.url = url
        self.path = None            # no file: the chain is in the database
        self._settings = settings or Settings.load()
        self._key: AuditKey | None = None
        name = hashlib.sha256(("postgresql " + _safe(_dsn(url))).encode()).hexdigest()[:20]
        self.witness_path = Path(self._settings.audit_witness).expanduser() / f"{name}.json"
        con = connect(url)
        try:
            # instances starting at once: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against
            # a concurrent one (a duplicate-type error), so the schema is made under a session lock
            con.execute("SELECT pg_advisory_lock(7346221)")
            try:
                con.execute("CREATE TABLE IF NOT EXISTS audit_log (seq BIGINT PRIMARY KEY, line TEXT NOT NULL)")
                con.execute("CREATE TABLE IF NOT EXISTS audit_head (one INTEGER PRIMARY KEY, seq BIGINT NOT NULL, "
                            "hash TEXT NOT NULL)")
                con.execute("ALTER TABLE audit_head ADD COLUMN IF NOT EXISTS sig TEXT")
            finally:
                con.execute("SELECT pg_advisory_unlock(7346221)")
        finally:
            con.close()

    @property
    def key(self) -> AuditKey:
        if self._key is None:
            self._key = AuditKey.from_settings(self._settings)
        return self._key

    def append(self, event: str, **fields) -> str:
        """Append one signed record; its id.  AuditUnavailable when it cannot be written."""
        try:
            return self._append(event, fields)
        except AuditUnavailable:
            raise
        except (OSError, ConfigError, ValueError, TypeError) as e:
            raise AuditUnavailable(f"The audit log could not be written ({type(e).__name__}), so nothing was "
                                   "done that needs an audit record.") from e
        except Exception as e:          # psycopg errors (the database went away mid-append)
            if type(e).__module__.split(".")[0] == "psycopg":
                raise AuditUnavailable(f"The audit log could not be written ({type(e).__name__}), so nothing "
                                       "was done that needs an audit record.") from e
            raise

    def _append(self, event: str, fields: dict) -> str:
        fields = sanitise_fields(fields)
        key = self.key
        con = connect(self.url)
        try:
            # A session lock held over the commit and the witness write: the witness only moves forward.
            con.execute("SELECT pg_advisory_lock(?)", (_AUDIT_LOCK,))
            try:
                with con:
                    con.execute("BEGIN")
                    row = con.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
                    seq, prev = (row[0] + 1, row[1]) if row else (0, None)
                    line, digest, sig = chain_line(prev, seq, event, fields, key)
                    con.execute("INSERT INTO audit_log (seq, line) VALUES (?, ?)", (seq, line))
                    con.execute("INSERT INTO audit_head (one, seq, hash, sig) VALUES (1, ?, ?, ?) ON CONFLICT (one) "
                                "DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, sig = EXCLUDED.sig",
                                (seq, digest, sig))
                self._write_witness(seq, digest, sig)
            finally:
                con.execute("SELECT pg_advisory_unlock(?)", (_AUDIT_LOCK,))
        finally:
            con.close()
        return f"{seq}:{digest[:12]}"

    def _write_witness(self, seq: int, digest: str, sig: str) -> None:
        head = json.dumps({"seq": seq, "hash": digest, "sig": sig, "log": _safe(self.url)})
        self.witness_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.witness_path.with_name(self.witness_path.name + f".{os.getpid()}.tmp")
        tmp.write_text(head, encoding="utf-8")
        os.replace(tmp, self.witness_path)

    def head(self) -> dict | None:
        con = connect(self.url)
        try:
            row = con.execute("SELECT seq, hash, sig FROM audit_head WHERE one = 1").fetchone()
        finally:
            con.close()
        return {"seq": row[0], "hash": row[1], "sig": row[2]} if row else None

    def witness(self) -> dict | None:
        """The head as this instance last witnessed it, outside the database."""
        try:
            return json.loads(self.witness_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _lines(self) -> Iterator[str]:
        con = connect(self.url)
        try:
            for (line,) in con.execute("SELECT line FROM audit_log ORDER BY seq"):
                yield line
        finally:
            con.close()

    def records(self):
        return AuditLog.parse_lines(self._lines())

    def verify(self, expect: dict | None = None) -> tuple[bool, str]:
        """The file's checks (``guardrails.audit.verify_lines``): every record signed, chained and
        in order, reaching the witnessed head (``expect`` overrides it and must match exactly)."""
        witness = expect or self.witness()
        return verify_lines(list(self._lines()), self.key, witness, where="the database",
                            others_append=expect is None)
