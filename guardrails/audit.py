"""Audit log: canonical JSON records in a hash chain, h_i = SHA256(h_{i-1} || record_i), each
record signed (Ed25519) with a key held apart from COMMONS_HOME.

Whoever can write COMMONS_HOME can recompute an unkeyed chain, so every record carries ``sig``,
the signature of its hash by the audit signing key (``COMMONS_AUDIT_KEY_FILE``, outside the
home; its public half, ``<key>.pub`` or ``COMMONS_AUDIT_VERIFY_KEY``, can be published and is all
``verify`` needs).  The head of the chain (sequence number, hash and signature) is written with
every record to a witness outside the home (``COMMONS_AUDIT_WITNESS``), so records cut off the
end, an emptied or deleted log and a deleted head file are detected; ``<log>.head`` in the home
is kept for quick reads only.  ``verify`` names each class of damage: a torn or edited line, a
deleted / inserted / reordered record, modified contents, a forged or re-hashed record (its
signature fails), an unsigned record, truncation, and a log that no longer reaches the
witnessed head.

Safe for several writers, threads or processes (an exclusive file lock around
read-last-hash + append).  ``chain_line`` and ``verify_lines`` are the one way records are made
and checked: the shared chain in PostgreSQL (``guardrails.govdb.PgAuditLog``) uses them too.  Canonical JSON escapes every non-ASCII character, so text of any kind
(lone surrogates, control characters) can always be written.  Never holds raw PII: the pipeline
passes the redacted question only, and every free-text field (question, reason, purpose,
decision_reason, ...: ``guardrails.inbound.STORAGE_TEXT_FIELDS``) goes through
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

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from guardrails.inbound import sanitise_fields, sanitise_for_storage
from kernel.errors import CommonsError, ConfigError
from kernel.settings import Settings

GENESIS = "0" * 64


class AuditUnavailable(CommonsError):
    """The audit record could not be written: nothing that needs one may happen."""


def canonical(record: dict) -> str:
    """One spelling per record; ASCII only (any text, a lone surrogate too, is escaped)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def audit_id(rec: dict) -> str:
    return f"{rec['seq']}:{rec['hash'][:12]}"


# -- the key ------------------------------------------------------------------------------------
class AuditKey:
    """The Ed25519 key that signs audit records.  The private half lives in a 0600 file outside
    COMMONS_HOME (created on first use); the public half verifies and can be published."""

    def __init__(self, public: Ed25519PublicKey, private: Ed25519PrivateKey | None = None):
        self.public, self.private = public, private
        raw = public.public_bytes_raw()
        self.public_hex = raw.hex()
        self.kid = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def load(cls, key_file: Path, verify_key: str = "", create: bool = True) -> "AuditKey":
        key_file = Path(key_file).expanduser()
        private = None
        if create and not key_file.exists():
            _create_key(key_file)
        if key_file.exists():
            try:
                private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key_file.read_text().strip()))
            except (OSError, ValueError) as e:
                raise ConfigError(f"The audit signing key {key_file} is unreadable ({e}); "
                                  "COMMONS_AUDIT_KEY_FILE must point at the key the commons created.") from None
        public_hex = _read_verify_key(verify_key) if verify_key else None
        if public_hex is None and private is not None:
            public = private.public_key()
        elif public_hex is not None:
            try:
                public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
            except ValueError:
                raise ConfigError("COMMONS_AUDIT_VERIFY_KEY is not an Ed25519 public key (64 hex digits).") from None
        else:
            pub = key_file.with_name(key_file.name + ".pub")
            try:
                public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub.read_text().strip()))
            except (OSError, ValueError):
                raise ConfigError(f"No audit verify key: neither {key_file} nor {pub} can be read; set "
                                  "COMMONS_AUDIT_VERIFY_KEY to the commons' published key.") from None
        return cls(public, private)

    @classmethod
    def from_settings(cls, settings: Settings, create: bool = True) -> "AuditKey":
        return cls.load(settings.audit_key_file, settings.audit_verify_key, create)

    def sign(self, digest: str) -> str:
        if self.private is None:
            raise AuditUnavailable("The audit signing key is not available to this process, so nothing can be "
                                   "recorded (COMMONS_AUDIT_KEY_FILE).")
        return self.private.sign(bytes.fromhex(digest)).hex()

    def verifies(self, digest: str, sig: object) -> bool:
        try:
            self.public.verify(bytes.fromhex(str(sig)), bytes.fromhex(digest))
            return True
        except (InvalidSignature, ValueError):
            return False


def _read_verify_key(value: str) -> str:
    value = value.strip()
    if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
        return value
    try:
        return Path(value).expanduser().read_text().strip()
    except OSError:
        raise ConfigError(f"COMMONS_AUDIT_VERIFY_KEY={value!r} is neither 64 hex digits nor a readable file.") \
            from None


def _create_key(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return                                  # another process made it first
    with os.fdopen(fd, "w") as fh:
        fh.write(key.private_bytes_raw().hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    pub = key_file.with_name(key_file.name + ".pub")
    tmp = pub.with_name(pub.name + f".{os.getpid()}.tmp")
    tmp.write_text(key.public_key().public_bytes_raw().hex() + "\n")
    os.replace(tmp, pub)


def chain_line(prev: str | None, seq: int, event: str, fields: dict, key: AuditKey) -> tuple[str, str, str]:
    """The next record of a chain (its canonical JSON line), its hash and its signature;
    ``prev`` None starts a chain.  The one way records are made, for the file here and the
    shared PostgreSQL store (``guardrails.govdb.PgAuditLog``)."""
    prev = prev or GENESIS
    body = {"seq": seq, "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}
    digest = hashlib.sha256((prev + canonical(body)).encode()).hexdigest()
    sig = key.sign(digest)
    return canonical({**body, "prev": prev, "hash": digest, "sig": sig, "kid": key.kid}), digest, sig


def verify_lines(lines, key: AuditKey, witness: dict | None, where: str = "COMMONS_HOME",
                 others_append: bool = False) -> tuple[bool, str]:
    """Check a chain given as its lines, oldest first: every record's place, hash and signature,
    and that it reaches the head witnessed outside ``where`` (the home, or the database).  With
    ``others_append`` (a chain shared by several instances, each witnessing what it wrote) the
    chain may go past this witness, since every record past it is checked as signed by the key,
    but it may never end before it or differ from it."""
    if witness is not None and not (isinstance(witness.get("seq"), int) and key.verifies(
            str(witness.get("hash", "")), witness.get("sig"))):
        return False, "the witnessed head is not signed by the audit key (the witness was edited)"
    prev, n, hashes = GENESIS, -1, []
    for n, line in enumerate(lines):
        try:
            rec = json.loads(line)
        except ValueError:
            return False, f"record {n}: not a whole JSON record (torn write or edited)"
        if not isinstance(rec, dict) or "hash" not in rec:
            return False, f"record {n}: not an audit record"
        body = {k: v for k, v in rec.items() if k not in ("prev", "hash", "sig", "kid")}
        if rec.get("prev") != prev or body.get("seq") != n:
            return False, f"record {n}: chain broken (a record was deleted, inserted or reordered)"
        if hashlib.sha256((prev + canonical(body)).encode()).hexdigest() != rec["hash"]:
            return False, f"record {n}: contents modified (its hash does not match)"
        if "sig" not in rec:
            return False, f"record {n}: not signed by the audit key"
        if not key.verifies(rec["hash"], rec["sig"]):
            return False, (f"record {n}: signature does not verify: forged, or rewritten and re-hashed "
                           "without the audit key")
        prev = rec["hash"]
        hashes.append(prev)
    if n < 0:
        if witness:
            return False, (f"the audit log is empty but the witness outside {where} says "
                           f"{witness['seq'] + 1} records were written")
        return True, "no audit records yet"
    if witness is None:
        if others_append:
            return False, (f"no witness of this chain's head (COMMONS_AUDIT_WITNESS): this instance has written "
                           "no record to it yet, or the witness was removed; truncation cannot be ruled out")
        return False, ("no witness of this log's head (COMMONS_AUDIT_WITNESS): it was removed, or the log was "
                       "copied here from elsewhere; truncation cannot be ruled out")
    if 0 <= witness["seq"] <= n and hashes[witness["seq"]] != witness.get("hash"):
        return False, (f"the witnessed head does not match record {witness['seq']}: the witness was edited, or "
                       "the log rewritten")
    if witness["seq"] > n:
        return False, (f"truncated: the log ends at record {n} but the witness outside {where} says "
                       f"{witness['seq'] + 1} records were written")
    if witness["seq"] < n and not others_append:
        return False, (f"the log goes past the witnessed head (record {witness['seq']}): records were added "
                       "without updating the witness")
    if witness["seq"] == n and witness.get("hash") != prev:
        return False, f"record {n}: differs from the witnessed head (the end of the log was rewritten)"
    if witness["seq"] < n:
        return True, (f"{n + 1} records verified (signed and chained; the log reaches this instance's witnessed "
                      f"head, record {witness['seq']}, and every later record is signed)")
    return True, f"{n + 1} records verified (signed, chained, and ending at the witnessed head)"


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
            return lines[-1].decode("utf-8", "replace")
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
    def __init__(self, path: Path, key: AuditKey | None = None, witness: Path | None = None,
                 settings: Settings | None = None):
        self.path = Path(path)
        if key is None or witness is None:
            settings = settings or Settings.load()
        self._key = key
        self._settings = settings
        witness_dir = Path(witness if witness is not None else settings.audit_witness).expanduser()
        home = self.path.parent.resolve()
        for what, where in (("COMMONS_AUDIT_WITNESS", witness_dir),
                            ("COMMONS_AUDIT_KEY_FILE", Path(settings.audit_key_file) if key is None else None)):
            if where is not None and (where.resolve() == home or home in where.resolve().parents):
                raise ConfigError(f"{what} ({where}) must be outside the folder of the audit log ({home}).")
        name = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:20]
        self.witness_path = witness_dir / f"{name}.json"

    @property
    def key(self) -> AuditKey:
        if self._key is None:
            self._key = AuditKey.from_settings(self._settings)
        return self._key

    def append(self, event: str, **fields) -> str:
        """Append one signed record; its id (``seq:hash``).  Raises AuditUnavailable when the
        record cannot be written (the caller must then not do what needed it)."""
        try:
            return self._append(event, fields)
        except AuditUnavailable:
            raise
        except (OSError, ConfigError, ValueError, TypeError) as e:
            raise AuditUnavailable(f"The audit log could not be written ({type(e).__name__}), so nothing was "
                                   "done that needs an audit record.") from e

    def _append(self, event: str, fields: dict) -> str:
        fields = sanitise_fields(fields)
        key = self.key
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
                line, digest, sig = chain_line(prev, seq, event, fields, key)
                fh.seek(0, os.SEEK_END)
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                self._write_head(seq, digest, sig)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return f"{seq}:{digest[:12]}"

    @property
    def head_path(self) -> Path:
        return self.path.with_name(self.path.name + ".head")

    def _write_head(self, seq: int, digest: str, sig: str) -> None:
        head = json.dumps({"seq": seq, "hash": digest, "sig": sig, "log": str(self.path.resolve())})
        for target in (self.head_path, self.witness_path):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
            tmp.write_text(head, encoding="utf-8")
            os.replace(tmp, target)

    def head(self) -> dict | None:
        """The last sequence number and hash written (from the head file in the home)."""
        try:
            return json.loads(self.head_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def witness(self) -> dict | None:
        """The head as witnessed outside COMMONS_HOME."""
        try:
            return json.loads(self.witness_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def records(self):
        """Every whole record, oldest first (a torn line is skipped; verify() reports it)."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8", errors="replace") as fh:
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
        """Check every record's place in the chain, its hash and its signature, and that the log
        reaches the head witnessed outside COMMONS_HOME (``expect`` overrides the witness)."""
        key = self.key
        witness = expect or self.witness()
        if not self.path.exists():
            if witness is not None and not (isinstance(witness.get("seq"), int) and key.verifies(
                    str(witness.get("hash", "")), witness.get("sig"))):
                return False, "the witnessed head is not signed by the audit key (the witness was edited)"
            if witness:
                return False, (f"the audit log is missing but the witness outside COMMONS_HOME says "
                               f"{witness['seq'] + 1} records were written")
            return True, "no audit records yet"
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            return verify_lines(fh, key, witness)


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

    def purge(self, older_than_days: float, now: float | None = None) -> int:
        """Drop the entries older than ``older_than_days`` (rewritten atomically, under the lock);
        how many.  The audit chain is a separate file and is never touched."""
        if not self.path.exists():
            return 0
        cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                               time.gmtime((time.time() if now is None else now) - older_than_days * 86400))
        with open(self.path, "r+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                lines = fh.readlines()
                keep = []
                for line in lines:
                    try:
                        ts = str(json.loads(line).get("ts", ""))
                    except ValueError:
                        ts = ""
                    if ts >= cutoff:
                        keep.append(line)
                fh.seek(0)
                fh.writelines(keep)
                fh.truncate()
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return len(lines) - len(keep)

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
