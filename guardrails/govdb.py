"""The governance database (``COMMONS_HOME/governance.sqlite``): one SQLite file shared by the
review queue, the differencing ledger, the accounts' lockout and sessions, and the projects.
Every process opens it the same way, so the app, the command line and the API see one state."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    """An autocommit connection in WAL mode that waits for another writer rather than failing."""
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA busy_timeout=30000")
    return con
