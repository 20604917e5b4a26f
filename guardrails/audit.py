"""Audit log: canonical JSON records in a hash chain, h_i = SHA256(h_{i-1} || record_i).

Safe for several writers, threads or processes (an exclusive file lock around
read-last-hash + append).  The head of the chain (last sequence number and hash) is also
written to ``<log>.head`` under the same lock, so cutting records off the end is detected:
publish or copy that head elsewhere for stronger evidence.  Never holds raw PII: the
pipeline passes the redacted question only, and every free-text field (question, reason,
purpose, decision_reason, ...: ``guardrails.inbound.STORAGE_TEXT_FIELDS``) goes through
``sanitise_for_storage`` here, the last line for an identifier the scanner missed.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
import traceback
from pathlib import Path

from guardrails.inbound import sanitise_fields, sanitise_for_storage

GENESIS = "0" * 64


def canonical(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def chain_line(prev: str | None, seq: int, event: str, fields: dict) -> tuple[str, str]:
    """The next record of a chain (canonical JSON line) and its hash; ``prev`` None starts one.
    The one way records are made, for the file here and the shared PostgreSQL store
    (``guardrails.governance``)."""
    prev = prev or GENESIS
    body = {"seq": seq, "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}
    digest = hashlib.sha256((prev + canonical(body)).encode()).hexdigest()
    return canonical({**body, "prev": prev, "hash": digest}), digest


def verify_lines(lines, expect: dict | None = None) -> tuple[bool, str]:
    """Check a chain given as its lines, oldest first, and that it reaches ``expect`` (the
    recorded head): any modified, deleted, reordered or truncated record fails."""
    prev, n = GENESIS, -1
    for n, line in enumerate(lines):
        try:
            rec = json.loads(line)
        except ValueError:
            return False, f"record {n}: not a whole JSON record (torn write or edited)"
        if not isinstance(rec, dict) or "hash" not in rec:
            return False, f"record {n}: not an audit record"
        body = {k: v for k, v in rec.items() if k not in ("prev", "hash")}
        if rec.get("prev") != prev or body.get("seq") != n:
            return False, f"record {n}: chain broken (deleted or reordered record)"
        if hashlib.sha256((prev + canonical(body)).encode()).hexdigest() != rec["hash"]:
            return False, f"record {n}: contents modified"
        prev = rec["hash"]
    if expect and (expect.get("seq") != n or expect.get("hash") != prev):
        if isinstance(expect.get("seq"), int) and expect["seq"] > n:
            return False, (f"truncated: the log ends at record {n} but {expect['seq'] + 1} records were written")
        return False, "the log does not end at the recorded head (records removed or rewritten)"
    return True, f"{n + 1} records verified"


def _last_line(fh) -> str | None:
    """The last complete line, read backwards from the end (appends stay O(1))."""
    fh.seek(0, os.SEEK_END)
    end = fh.tell()
    if end == 0:
        return None
    raw = fh.buffer if hasattr(fh, "buffer") else fh
    chunk, pos = b"", end
    while pos > 0:
        step = min(8192, pos)
        pos -= step
        raw.seek(pos)
        chunk = raw.read(step) + chunk
        lines = chunk.rstrip(b"\n").split(b"\n")
        if len(lines) > 1 or pos == 0:
            return lines[-1].decode("utf-8")
    return None


def _last_valid(fh) -> dict | None:
    fh.seek(0)
    rec = None
    for line in fh:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
    return rec


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, event: str, **fields) -> str:
        fields = sanitise_fields(fields)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                prev, seq = GENESIS, 0
                last = _last_line(fh)
                if last:
                    try:
                        rec = json.loads(last)
                    except ValueError:
                        # A torn write: keep logging after the last whole record; the damage
                        # stays in the file for `commons audit verify` to report.
                        rec = _last_valid(fh)
                        fh.seek(0, os.SEEK_END)
                        fh.write("\n")
                    if rec:
                        prev, seq = rec["hash"], rec["seq"] + 1
                line, digest = chain_line(prev, seq, event, fields)
                fh.seek(0, os.SEEK_END)
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                self._write_head(seq, digest)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return f"{seq}:{digest[:12]}"

    @property
    def head_path(self) -> Path:
        return self.path.with_name(self.path.name + ".head")

    def _write_head(self, seq: int, digest: str) -> None:
        tmp = self.head_path.with_name(self.head_path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seq": seq, "hash": digest}), encoding="utf-8")
        os.replace(tmp, self.head_path)

    def head(self) -> dict | None:
        """The last sequence number and hash written (from the head file)."""
        try:
            return json.loads(self.head_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def records(self):
        """Every whole record, oldest first (a torn line is skipped; verify() reports it)."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8") as fh:
            yield from self.parse_lines(fh)

    @staticmethod
    def parse_lines(lines):
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield rec

    def verify(self, expect: dict | None = None) -> tuple[bool, str]:
        """Check the whole chain, and that it reaches the recorded head (``expect`` or the
        head file): any modified, deleted, reordered or truncated record fails."""
        expect = expect or self.head()
        if not self.path.exists():
            if expect:
                return False, f"the audit log is missing but its head says {expect['seq'] + 1} records were written"
            return True, "no audit records yet"
        with open(self.path, encoding="utf-8") as fh:
            return verify_lines(fh, expect)


class ErrorLog:
    """Internal errors, one JSON line each under COMMONS_HOME (``errors.jsonl``): the reference
    a person was given, where it happened, the exception and its traceback, every line of it
    through ``sanitise_for_storage`` so no identifier that reached the code is kept.  The
    question is never written here (its redacted text is in the audit record with the same
    reference)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def write(self, reference: str, stage: str, exc: BaseException) -> None:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "reference": reference,
                  "stage": stage, "error": type(exc).__name__,
                  "message": sanitise_for_storage(str(exc))[:2000],
                  "traceback": [sanitise_for_storage(line) for line in trace.splitlines()][-60:]}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.write(canonical(record) + "\n")
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def find(self, reference: str) -> dict | None:
        if not self.path.exists():
            return None
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("reference") == reference:
                    return rec
        return None
