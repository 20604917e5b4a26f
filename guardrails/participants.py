"""The participation register: contributors of person-level data reaching their own record.

At ingestion every record of a person-level dataset gets a **participation reference**
(``PT-XXXX-XXXX``) and a **secret**; the participant signs in with them
(``guardrails.auth.Accounts.sign_in_participant``) and can then see their own record as the
commons holds it, the projects that used the dataset, ask for a correction, opt out of
purposes or withdraw.  Kept in ``COMMONS_HOME/participation.sqlite``:

    participants      ref, dataset, link (the keyed link stored in the published table's reserved
                      ``participation_link`` column), the secret's salted hash, state
    consent_changes   withdraw | opt_out | opt_in (a purpose), requested now, applied at the
                      dataset's next scheduled refresh, in a batch (``due_batch``)
    corrections       a participant's request to change one value, with a reason; a steward of
                      the dataset accepts or rejects it; an accepted one is applied at the next
                      refresh (audited each step)

Nothing here changes a published file: ``guardrails.contributions.refresh`` applies what is due.

**Demo credentials (SYNTHETIC).**  The demo datasets' references and secrets are derived from
the dataset id and the row number with a published constant (``demo_credentials``), so the README
can list a few and tests can sign in as any demo participant.  An upload's secrets are random,
written once (mode 0600) for its contributor to hand out, and only their salted hashes kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from guardrails import govdb
from kernel.errors import ReviewError

LINK_COLUMN = "participation_link"
# The register's own file beside the governance database: it belongs with the published data
# (an evaluation's copy of the commons takes it, as it takes the published files).
PARTICIPATION_DB = "participation.sqlite"
OPTOUT_PREFIX = "optout_"
REF = re.compile(r"^PT-[A-Z2-7]{4}-[A-Z2-7]{4}$")
DEMO_KEY = b"commons-demo-participation-SYNTHETIC"     # published on purpose: demo credentials only
# A withdrawal or a consent change waits for the dataset's next refresh and is applied with at
# least this many others (or once the oldest has waited MAX_WAIT_DAYS), so that two releases
# either side of the refresh cannot be read as one person's change.
BATCH_MIN = 10
MAX_WAIT_DAYS = 90
KINDS = ("withdraw", "opt_out", "opt_in")


def _b32(digest: bytes, n: int) -> str:
    return base64.b32encode(digest).decode("ascii").rstrip("=")[:n]


def _ref_from(digest: bytes) -> str:
    s = _b32(digest, 8)
    return f"PT-{s[:4]}-{s[4:]}"


def demo_credentials(dataset: str, row: int) -> tuple[str, str]:
    """(reference, secret) of row ``row`` (0-based) of a SYNTHETIC demo dataset."""
    d = hmac.new(DEMO_KEY, f"ref:{dataset}:{row}".encode(), hashlib.sha256).digest()
    s = _b32(hmac.new(DEMO_KEY, f"secret:{dataset}:{row}".encode(), hashlib.sha256).digest(), 12).lower()
    return _ref_from(d), f"{s[:4]}-{s[4:8]}-{s[8:]}"


def upload_reference(key: bytes, dataset: str, identity: str) -> str:
    """An upload's reference: keyed on the record's identity (the pseudonymised identifier when
    the datasheet keeps one, so a new version of the dataset keeps each person's reference)."""
    return _ref_from(hmac.new(key, f"ref:{dataset}:{identity}".encode(), hashlib.sha256).digest())


def link_for(key: bytes, dataset: str, ref: str) -> str:
    """The value of the published ``participation_link`` column for ``ref``: a keyed hash, so the
    published table alone does not connect a row to a reference."""
    return hmac.new(key, f"link:{dataset}:{ref}".encode(), hashlib.sha256).hexdigest()[:24]


def new_secret() -> str:
    s = _b32(secrets.token_bytes(10), 12).lower()
    return f"{s[:4]}-{s[4:8]}-{s[8:]}"


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    """``sha256$salt$hash``.  Secrets carry 60 random bits, so a salted hash is enough (a slow
    hash per record would make publishing a large dataset take minutes)."""
    salt = salt if salt is not None else secrets.token_bytes(8)
    return f"sha256${salt.hex()}${hashlib.sha256(salt + _norm_secret(secret).encode()).hexdigest()}"


def check_secret(secret: str, stored: str) -> bool:
    try:
        scheme, salt, want = stored.split("$")
        if scheme != "sha256":
            return False
        got = hashlib.sha256(bytes.fromhex(salt) + _norm_secret(secret).encode()).hexdigest()
        return hmac.compare_digest(got, want)
    except (ValueError, AttributeError):
        return False


def _norm_secret(secret: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(secret or "").lower())


def canonical_ref(ref: str) -> str:
    r = re.sub(r"[^A-Z0-9]", "", str(ref or "").upper())
    return f"PT-{r[2:6]}-{r[6:10]}" if r.startswith("PT") and len(r) == 10 else str(ref or "").strip().upper()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@dataclass(frozen=True)
class Participant:
    ref: str
    dataset: str
    link: str
    state: str                 # active | withdrawn (applied at a refresh)
    created: str


@dataclass(frozen=True)
class Correction:
    id: str
    ref: str
    dataset: str
    column: str
    current: str
    proposed: str
    reason: str
    state: str                 # pending | accepted | rejected | applied
    requested: str
    steward: str | None = None
    decision_reason: str | None = None
    decided: str | None = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class Register:
    """The participation register (IO: the governance database)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = govdb.connect(self.path)
        try:
            con.execute("CREATE TABLE IF NOT EXISTS participants (ref TEXT PRIMARY KEY, dataset TEXT NOT NULL, "
                        "link TEXT NOT NULL, secret TEXT NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL)")
            con.execute("CREATE INDEX IF NOT EXISTS participants_link ON participants (dataset, link)")
            con.execute("CREATE TABLE IF NOT EXISTS consent_changes (id TEXT PRIMARY KEY, ref TEXT NOT NULL, "
                        "dataset TEXT NOT NULL, kind TEXT NOT NULL, purpose TEXT, requested TEXT NOT NULL, "
                        "requested_ts REAL NOT NULL, applied TEXT, version INTEGER)")
            con.execute("CREATE TABLE IF NOT EXISTS corrections (id TEXT PRIMARY KEY, ref TEXT NOT NULL, "
                        "dataset TEXT NOT NULL, col TEXT NOT NULL, current TEXT, proposed TEXT NOT NULL, "
                        "reason TEXT NOT NULL, state TEXT NOT NULL, requested TEXT NOT NULL, steward TEXT, "
                        "decision_reason TEXT, decided TEXT, applied TEXT, version INTEGER)")
        finally:
            con.close()

    # -- issuing at ingestion --------------------------------------------------------------
    def known(self, dataset: str) -> set[str]:
        rows = govdb.records(self.path, "SELECT ref FROM participants WHERE dataset=?", (dataset,))
        return {r["ref"] for r in rows}

    def issue(self, dataset: str, entries: list[tuple[str, str, str]]) -> int:
        """Record new participants: (ref, link, secret); refs already known keep their secret."""
        have = self.known(dataset)
        new = [(ref, dataset, link, hash_secret(secret), "active", _now())
               for ref, link, secret in entries if ref not in have]
        con = govdb.connect(self.path)
        try:
            con.execute("BEGIN")
            con.executemany("INSERT OR IGNORE INTO participants VALUES (?,?,?,?,?,?)", new)
            con.execute("COMMIT")
        finally:
            con.close()
        return len(new)

    def get(self, ref: str) -> Participant | None:
        rows = govdb.records(self.path, "SELECT ref, dataset, link, state, created FROM participants WHERE ref=?",
                             (canonical_ref(ref),))
        return Participant(**rows[0]) if rows else None

    def verify(self, ref: str, secret: str) -> Participant | None:
        """The participant when ``secret`` is theirs (constant time either way), else None."""
        rows = govdb.records(self.path, "SELECT ref, dataset, link, state, created, secret FROM participants "
                             "WHERE ref=?", (canonical_ref(ref),))
        stored = rows[0]["secret"] if rows else hash_secret("x" * 12, b"\0" * 8)
        ok = check_secret(secret, stored)
        if not rows or not ok:
            return None
        row = rows[0]
        row.pop("secret")
        return Participant(**row)

    # -- consent ---------------------------------------------------------------------------
    def request(self, p: Participant, kind: str, purpose: str | None = None) -> dict:
        if kind not in KINDS:
            raise ReviewError(f"Unknown consent change '{kind}' ({', '.join(KINDS)}).")
        if p.state != "active":
            raise ReviewError("Your data has already been withdrawn from the commons.")
        pending = [c for c in self.changes(p.ref) if c["applied"] is None]
        if any(c["kind"] == "withdraw" for c in pending):
            raise ReviewError("Your withdrawal is already waiting for the next refresh of the dataset.")
        cid = f"W-{uuid.uuid4().hex[:8].upper()}"
        con = govdb.connect(self.path)
        try:
            con.execute("INSERT INTO consent_changes VALUES (?,?,?,?,?,?,?,NULL,NULL)",
                        (cid, p.ref, p.dataset, kind, purpose, _now(), time.time()))
        finally:
            con.close()
        return {"id": cid, "kind": kind, "purpose": purpose, "dataset": p.dataset}

    def changes(self, ref: str) -> list[dict]:
        return govdb.records(self.path, "SELECT id, kind, purpose, requested, applied, version FROM consent_changes "
                             "WHERE ref=? ORDER BY requested_ts, id", (canonical_ref(ref),))

    def pending(self, dataset: str) -> list[dict]:
        return govdb.records(self.path, "SELECT id, ref, kind, purpose, requested, requested_ts FROM consent_changes "
                             "WHERE dataset=? AND applied IS NULL ORDER BY requested_ts, id", (dataset,))

    def due_batch(self, dataset: str, now: float | None = None, batch_min: int = BATCH_MIN,
                  max_wait_days: float = MAX_WAIT_DAYS) -> tuple[list[dict], str]:
        """The pending changes a refresh applies now, with why (or why not): all of them once
        ``batch_min`` participants are waiting or the oldest has waited ``max_wait_days``."""
        now = time.time() if now is None else now
        pend = self.pending(dataset)
        people = {c["ref"] for c in pend}
        if not pend:
            return [], "no consent changes are waiting"
        waited = (now - min(c["requested_ts"] for c in pend)) / 86400
        if len(people) >= batch_min or waited >= max_wait_days:
            return pend, f"{len(pend)} change(s) applied as one batch"
        return [], (f"consent changes are waiting for a batch of at least {batch_min} people (or "
                    f"{max_wait_days:g} days), so that no single change can be seen between two releases")

    def mark_applied(self, ids: list[str], version: int) -> None:
        con = govdb.connect(self.path)
        try:
            con.execute("BEGIN")
            con.executemany("UPDATE consent_changes SET applied=?, version=? WHERE id=?",
                            [(_now(), version, i) for i in ids])
            con.execute("COMMIT")
        finally:
            con.close()

    def effective(self, dataset: str) -> tuple[set[str], dict[str, set[str]]]:
        """What applied changes say now: the withdrawn refs, and each ref's opted-out purposes."""
        rows = govdb.records(self.path, "SELECT ref, kind, purpose FROM consent_changes WHERE dataset=? AND applied "
                             "IS NOT NULL ORDER BY requested_ts, id", (dataset,))
        withdrawn: set[str] = set()
        out: dict[str, set[str]] = {}
        for r in rows:
            if r["kind"] == "withdraw":
                withdrawn.add(r["ref"])
            elif r["kind"] == "opt_out":
                out.setdefault(r["ref"], set()).add(r["purpose"])
            elif r["kind"] == "opt_in":
                out.setdefault(r["ref"], set()).discard(r["purpose"])
        return withdrawn, out

    def consent(self, ref: str) -> tuple[set[str], set[str]]:
        """(opted-out purposes in effect, opted-out purposes once the pending changes apply)."""
        now, later = set(), set()
        for c in self.changes(ref):
            for s, applies in ((now, c["applied"] is not None), (later, True)):
                if not applies:
                    continue
                if c["kind"] == "opt_out":
                    s.add(c["purpose"])
                elif c["kind"] == "opt_in":
                    s.discard(c["purpose"])
        return now, later

    def set_withdrawn(self, dataset: str, refs: set[str]) -> None:
        con = govdb.connect(self.path)
        try:
            con.executemany("UPDATE participants SET state='withdrawn' WHERE dataset=? AND ref=?",
                            [(dataset, r) for r in refs])
        finally:
            con.close()

    # -- corrections -----------------------------------------------------------------------
    def request_correction(self, p: Participant, column: str, current: str, proposed: str, reason: str) -> Correction:
        cid = f"K-{uuid.uuid4().hex[:8].upper()}"
        con = govdb.connect(self.path)
        try:
            con.execute("INSERT INTO corrections VALUES (?,?,?,?,?,?,?,'pending',?,NULL,NULL,NULL,NULL,NULL)",
                        (cid, p.ref, p.dataset, column, current, proposed, reason, _now()))
        finally:
            con.close()
        return self.correction(cid)

    def correction(self, cid: str) -> Correction:
        rows = govdb.records(self.path, "SELECT id, ref, dataset, col AS column, current, proposed, reason, state, "
                             "requested, steward, decision_reason, decided FROM corrections WHERE id=?",
                             (str(cid or "").strip().upper(),))
        if not rows:
            raise ReviewError(f"There is no correction request '{cid}'.")
        return Correction(**rows[0])

    def corrections(self, dataset: str | None = None, ref: str | None = None, state: str | None = None) -> list[Correction]:
        sql = ("SELECT id, ref, dataset, col AS column, current, proposed, reason, state, requested, steward, "
               "decision_reason, decided FROM corrections WHERE 1=1")
        args: list = []
        for col, v in (("dataset", dataset), ("ref", canonical_ref(ref) if ref else None), ("state", state)):
            if v is not None:
                sql += f" AND {col}=?"
                args.append(v)
        return [Correction(**r) for r in govdb.records(self.path, sql + " ORDER BY requested, id", tuple(args))]

    def decide_correction(self, cid: str, accept: bool, steward: str, reason: str) -> Correction:
        c = self.correction(cid)
        if c.state != "pending":
            raise ReviewError(f"Correction {c.id} was already {c.state}.")
        con = govdb.connect(self.path)
        try:
            con.execute("UPDATE corrections SET state=?, steward=?, decision_reason=?, decided=? WHERE id=?",
                        ("accepted" if accept else "rejected", steward, reason, _now(), c.id))
        finally:
            con.close()
        return self.correction(c.id)

    def accepted_corrections(self, dataset: str) -> list[Correction]:
        return self.corrections(dataset, state="accepted")

    def applied_corrections(self, dataset: str) -> list[Correction]:
        return self.corrections(dataset, state="applied")

    def mark_corrections_applied(self, ids: list[str], version: int) -> None:
        con = govdb.connect(self.path)
        try:
            con.executemany("UPDATE corrections SET state='applied', applied=?, version=? WHERE id=?",
                            [(_now(), version, i) for i in ids])
        finally:
            con.close()

    def counts(self, dataset: str) -> dict:
        """How many participants, withdrawals and pending changes (for the steward and reports)."""
        rows = govdb.records(self.path, "SELECT state, COUNT(*) AS n FROM participants WHERE dataset=? GROUP BY state",
                             (dataset,))
        by = {r["state"]: r["n"] for r in rows}
        return {"participants": sum(by.values()), "withdrawn": by.get("withdrawn", 0),
                "pending_changes": len(self.pending(dataset)),
                "pending_corrections": len(self.corrections(dataset, state="pending"))}


def optout_column(purpose: str) -> str:
    return f"{OPTOUT_PREFIX}{purpose}"


def dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True)
