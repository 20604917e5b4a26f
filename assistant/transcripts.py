"""Chat transcripts and answer references, kept under COMMONS_HOME so a conversation survives a
reload and an answer can be looked up (or shared) later by its reference.

What is stored is only what the pipeline already made safe to keep: a person's turn as the
inbound scan redacted it (then ``sanitise_for_storage``, as the audit log does), and each answer
as the pipeline returned it (outbound-scanned).  A browser is known by the SHA-256 of its key,
never the key.  An answer reference (``A-1A2B3C4D``) keeps the screened question and the
conversation context it was asked in, so that following it re-runs the question under the
viewer's own role and purpose: a stored answer is never shown to anyone but the browser that
asked it.  Everything older than ``COMMONS_TRANSCRIPT_RETENTION_DAYS`` is purged.

SQLite (one file, ``transcripts.sqlite``), safe for the app's threads and processes.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from guardrails.inbound import normalise_text, redact, sanitise_for_storage

DAY_S = 86_400
# The commons' own references (R-/A-/E- and 8 hex digits, as assistant/references.py writes
# them): never personal data, so kept as they are (the storage masking would otherwise read
# "R-5234BB41" as a digit run and hide the very reference the turn is about).
_OWN_REFERENCE = re.compile(r"(?<![A-Za-z0-9])[RAE]-[0-9A-F]{8}(?![0-9A-Za-z])")


def owner_key(browser_key: str) -> str:
    """What the store knows a browser by: a hash of its key (the key itself is never stored)."""
    return hashlib.sha256(f"commons-browser:{browser_key}".encode()).hexdigest()[:32]


def safe_text(text: str) -> str:
    """A person's words as they may be kept: redacted by the PII scan, then storage-sanitised."""
    redacted, _ = redact(normalise_text(str(text or "")).strip())
    kept, last = [], 0
    for m in _OWN_REFERENCE.finditer(redacted):
        kept += [sanitise_for_storage(redacted[last:m.start()]), m.group(0)]
        last = m.end()
    return "".join(kept + [sanitise_for_storage(redacted[last:])])


@dataclass(frozen=True)
class AnswerRef:
    ref: str
    question: str            # the screened question
    context: dict            # the conversation context it was asked in (no guard state)
    created: float


class Transcripts:
    def __init__(self, path: Path, retention_days: int):
        self.path = Path(path)
        self.retention_s = float(retention_days) * DAY_S
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript("""
                CREATE TABLE IF NOT EXISTS turns (
                    owner TEXT NOT NULL, conversation TEXT NOT NULL, seq INTEGER NOT NULL,
                    created REAL NOT NULL, turn TEXT NOT NULL, PRIMARY KEY (owner, conversation, seq));
                CREATE INDEX IF NOT EXISTS turns_created ON turns (created);
                CREATE INDEX IF NOT EXISTS turns_owner ON turns (owner, created);
                CREATE TABLE IF NOT EXISTS answers (
                    ref TEXT PRIMARY KEY, owner TEXT NOT NULL, created REAL NOT NULL,
                    question TEXT NOT NULL, context TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS answers_created ON answers (created);
            """)
        self.purge()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA busy_timeout=30000")
        return con

    # -- turns ----------------------------------------------------------------------------
    def add_user(self, owner: str, conversation: str, text: str, **extra: Any) -> dict:
        turn = {"role": "user", "text": safe_text(text), **extra}
        self._add(owner, conversation, turn)
        return turn

    def add_answer(self, owner: str, conversation: str, answer: dict, actor: dict, ref: str | None = None) -> dict:
        turn = {"role": "assistant", "answer": answer, "actor": actor}
        if ref:
            turn["ref"] = ref
        self._add(owner, conversation, turn)
        return turn

    def add_error(self, owner: str, conversation: str, message: str) -> dict:
        turn = {"role": "assistant", "error": str(message)}
        self._add(owner, conversation, turn)
        return turn

    def _add(self, owner: str, conversation: str, turn: dict) -> None:
        with self._lock:
            con = self._connect()
            try:
                con.execute("BEGIN IMMEDIATE")
                seq = con.execute("SELECT COALESCE(MAX(seq), -1) + 1 FROM turns WHERE owner = ? AND conversation = ?",
                                  (owner, conversation)).fetchone()[0]
                con.execute("INSERT INTO turns VALUES (?, ?, ?, ?, ?)",
                            (owner, conversation, seq, time.time(), json.dumps(turn, default=str)))
                con.execute("COMMIT")
            finally:
                con.close()

    def turns(self, owner: str, conversation: str) -> list[dict]:
        con = self._connect()
        try:
            rows = con.execute("SELECT turn FROM turns WHERE owner = ? AND conversation = ? AND created >= ? "
                               "ORDER BY seq", (owner, conversation, self._cutoff())).fetchall()
        finally:
            con.close()
        return [json.loads(r[0]) for r in rows]

    def latest_conversation(self, owner: str) -> str | None:
        con = self._connect()
        try:
            row = con.execute("SELECT conversation FROM turns WHERE owner = ? AND created >= ? "
                              "ORDER BY created DESC LIMIT 1", (owner, self._cutoff())).fetchone()
        finally:
            con.close()
        return row[0] if row else None

    def answer_turns(self, owner: str, limit: int = 50) -> list[dict]:
        """This browser's answers with a reference, newest first (for "My requests")."""
        con = self._connect()
        try:
            rows = con.execute("SELECT turn, created FROM turns WHERE owner = ? AND created >= ? "
                               "ORDER BY created DESC", (owner, self._cutoff())).fetchall()
        finally:
            con.close()
        out = []
        for raw, created in rows:
            turn = json.loads(raw)
            if turn.get("ref") or (turn.get("answer") or {}).get("review_id"):
                out.append({**turn, "created": created})
            if len(out) >= limit:
                break
        return out

    # -- answer references --------------------------------------------------------------
    def remember(self, owner: str, question: str, context: dict | None) -> str:
        """A reference for an answer: the screened question and the context it was asked in
        (what a conversation has said about its own purpose is left out: it is the asker's)."""
        ctx = {k: v for k, v in (context or {}).items() if k != "guard"}
        ref = f"A-{secrets.token_hex(4).upper()}"
        con = self._connect()
        try:
            con.execute("INSERT INTO answers VALUES (?, ?, ?, ?, ?)",
                        (ref, owner, time.time(), safe_text(question), json.dumps(ctx, default=list)))
        finally:
            con.close()
        return ref

    def answer_ref(self, ref: str) -> AnswerRef | None:
        con = self._connect()
        try:
            row = con.execute("SELECT ref, question, context, created FROM answers WHERE ref = ? AND created >= ?",
                              (str(ref).strip().upper(), self._cutoff())).fetchone()
        finally:
            con.close()
        return AnswerRef(row[0], row[1], json.loads(row[2]), row[3]) if row else None

    # -- retention ----------------------------------------------------------------------
    def _cutoff(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.retention_s

    def purge(self, now: float | None = None) -> int:
        """Delete every turn and answer reference older than the retention period; how many."""
        cutoff = self._cutoff(now)
        con = self._connect()
        try:
            n = con.execute("DELETE FROM turns WHERE created < ?", (cutoff,)).rowcount
            n += con.execute("DELETE FROM answers WHERE created < ?", (cutoff,)).rowcount
        finally:
            con.close()
        return n
