"""Where the governance state lives: one interface, SQLite (default) or PostgreSQL (shared).

    COMMONS_GOVERNANCE_URL=""                       SQLite: COMMONS_HOME/governance.sqlite, and the
                                                    audit chain in COMMONS_HOME/audit.jsonl (one machine)
    COMMONS_GOVERNANCE_URL=postgresql://u@host/db   PostgreSQL: the review queue, the differencing
                                                    ledger and flags, API tokens and the audit chain,
                                                    shared by every app and API instance that names it

The stores (``guardrails.review.ReviewQueue``, ``guardrails.disclosure.Ledger``,
``guardrails.tokens.Tokens``; the projects registry plugs in the same way) keep their SQL and
call ``connect(target)``: a ``sqlite3`` connection, or a PostgreSQL connection with the same
small surface (``execute`` with ``?`` placeholders, ``executemany``, ``close``, ``with con:``
commits).  ``target(settings)`` is what they are given: the SQLite path or the URL.

``audit_log(settings)`` is the audit chain: the JSONL file (``guardrails.audit.AuditLog``), or
``PgAuditLog``, the same canonical records and hash chain in a table, appended under a
transaction-scoped advisory lock (one writer at a time across every instance), with the head
kept in the same transaction, and verified by the same code as the file.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Iterator

from guardrails.audit import AuditLog, chain_line, verify_lines
from guardrails.inbound import sanitise_fields
from kernel.errors import ConfigError

_URL = re.compile(r"^postgres(ql)?(\+\w+)?://")
_AUDIT_LOCK = 0x636F6D6D6F6E73      # pg_advisory_xact_lock key for audit appends ("commons")


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
        if sql.lstrip().upper().startswith("CREATE TABLE"):
            sql = re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql)      # SQLite REAL is 8 bytes
        return sql

    def execute(self, sql: str, params=()):
        cur = self._con.cursor()
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


# -- the audit chain -----------------------------------------------------------------------------
def audit_log(settings):
    """The audit chain for these settings: the JSONL file, or the shared PostgreSQL table."""
    where = target(settings)
    return PgAuditLog(where) if is_url(where) else AuditLog(settings.audit_path)


class PgAuditLog:
    """``AuditLog`` with the chain in PostgreSQL: the same records, hashes and ``verify``."""

    def __init__(self, url: str):
        self.url = url
        self.path = None            # no file: the chain is in the database
        con = connect(url)
        try:
            con.execute("CREATE TABLE IF NOT EXISTS audit_log (seq BIGINT PRIMARY KEY, line TEXT NOT NULL)")
            con.execute("CREATE TABLE IF NOT EXISTS audit_head (one INTEGER PRIMARY KEY, seq BIGINT NOT NULL, "
                        "hash TEXT NOT NULL)")
        finally:
            con.close()

    def append(self, event: str, **fields) -> str:
        fields = sanitise_fields(fields)
        con = connect(self.url)
        try:
            with con:
                con.execute("BEGIN")
                con.execute("SELECT pg_advisory_xact_lock(?)", (_AUDIT_LOCK,))
                row = con.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
                seq, prev = (row[0] + 1, row[1]) if row else (0, None)
                line, digest = chain_line(prev, seq, event, fields)
                con.execute("INSERT INTO audit_log (seq, line) VALUES (?, ?)", (seq, line))
                con.execute("INSERT INTO audit_head (one, seq, hash) VALUES (1, ?, ?) ON CONFLICT (one) "
                            "DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash", (seq, digest))
        finally:
            con.close()
        return f"{seq}:{digest[:12]}"

    def head(self) -> dict | None:
        con = connect(self.url)
        try:
            row = con.execute("SELECT seq, hash FROM audit_head WHERE one = 1").fetchone()
        finally:
            con.close()
        return {"seq": row[0], "hash": row[1]} if row else None

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
        return verify_lines(list(self._lines()), expect or self.head())
