"""The steward review queue: pending -> approved | denied -> released (once).

A request is created when policy says ``needs_review`` (commercial use needs a fee
agreement, for example).  Stewards list and inspect requests and approve or deny them with a
reason; nobody reviews their own request.  Once approved, the requester can fetch the answer
exactly once; the pipeline re-runs it through the same disclosure control at that moment.

Stored in SQLite under COMMONS_HOME (shared with the disclosure ledger), so the app and the
CLI can work on the queue at the same time.  The question (already redacted by the caller) and
the steward's reason go through ``sanitise_for_storage`` before they are written.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel.errors import ReviewError
from kernel.text import same_person
from kernel.types import Actor
from guardrails import governance
from guardrails.inbound import sanitise_conversation_id, sanitise_for_storage

STATES = ("pending", "approved", "denied", "released")


@dataclass(frozen=True)
class ReviewRequest:
    id: str
    created: str
    requester: str
    role: str
    purpose: str
    question: str                 # redacted question text
    datasets: tuple[str, ...]
    rule: str                     # the rule that flagged it
    reason: str                   # the rule in plain language
    state: str = "pending"
    plan: dict[str, Any] | None = field(default=None, compare=False)
    sql: str | None = None
    conversation: str | None = None
    steward: str | None = None
    decision_reason: str | None = None
    decided_at: str | None = None
    released_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["datasets"] = list(self.datasets)
        return d


_COLUMNS = ("id", "created", "requester", "role", "purpose", "question", "datasets", "rule", "reason", "state",
            "plan", "sql", "conversation", "steward", "decision_reason", "decided_at", "released_at")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ReviewQueue:
    def __init__(self, path: Path | str):
        self.path = governance.prepare(path)
        with self._connect() as con:
            con.execute("""CREATE TABLE IF NOT EXISTS reviews (
                id TEXT PRIMARY KEY, created TEXT, requester TEXT, role TEXT, purpose TEXT, question TEXT,
                datasets TEXT, rule TEXT, reason TEXT, state TEXT, plan TEXT, sql TEXT, conversation TEXT,
                steward TEXT, decision_reason TEXT, decided_at TEXT, released_at TEXT)""")

    def _connect(self):
        return governance.connect(self.path)      # SQLite file, or the shared PostgreSQL database

    @staticmethod
    def _row(r) -> ReviewRequest:
        d = dict(zip(_COLUMNS, r))
        d["datasets"] = tuple(json.loads(d["datasets"] or "[]"))
        d["plan"] = json.loads(d["plan"]) if d["plan"] else None
        return ReviewRequest(**d)

    def create(self, actor: Actor, purpose: str, question: str, datasets, rule: str, reason: str,
               plan: dict | None = None, sql: str | None = None, conversation: str | None = None) -> ReviewRequest:
        rid = f"R-{secrets.token_hex(4).upper()}"
        question = sanitise_for_storage(question)
        conversation = sanitise_conversation_id(conversation)
        req = ReviewRequest(id=rid, created=_now(), requester=actor.id, role=actor.role, purpose=purpose,
                            question=question, datasets=tuple(datasets), rule=rule, reason=reason, plan=plan,
                            sql=sql, conversation=conversation)
        con = self._connect()
        try:
            con.execute(f"INSERT INTO reviews ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})",
                        (req.id, req.created, req.requester, req.role, req.purpose, req.question,
                         json.dumps(list(req.datasets)), req.rule, req.reason, req.state,
                         json.dumps(plan) if plan else None, sql, conversation, None, None, None, None))
        finally:
            con.close()
        return req

    def get(self, rid: str) -> ReviewRequest:
        con = self._connect()
        try:
            r = con.execute(f"SELECT {','.join(_COLUMNS)} FROM reviews WHERE id = ?", (rid.strip().upper(),)).fetchone()
        finally:
            con.close()
        if r is None:
            raise ReviewError(f"There is no review request '{rid}'.")
        return self._row(r)

    def list(self, state: str | None = None, requester: str | None = None) -> list[ReviewRequest]:
        if state is not None and state not in STATES:
            raise ReviewError(f"'{state}' is not a review state; use one of: {', '.join(STATES)}.")
        sql = f"SELECT {','.join(_COLUMNS)} FROM reviews"
        where, args = [], []
        if state:
            where.append("state = ?")
            args.append(state)
        if requester:
            where.append("requester = ?")
            args.append(requester)
        if where:
            sql += " WHERE " + " AND ".join(where)
        con = self._connect()
        try:
            return [self._row(r) for r in con.execute(sql + " ORDER BY created, id", args)]
        finally:
            con.close()

    def decide(self, rid: str, steward: Actor, approve: bool, reason: str) -> ReviewRequest:
        """Approve or deny a pending request.  Only a steward, never the requester."""
        if steward.role != "steward":
            raise ReviewError("Only a steward can approve or deny a request.")
        if not reason or not reason.strip():
            raise ReviewError("Give a reason for the decision; it is recorded and shown to the requester.")
        req = self.get(rid)
        if same_person(req.requester, steward.id):
            raise ReviewError("Nobody may review their own request: ask another steward.")
        state = "approved" if approve else "denied"
        con = self._connect()
        try:
            cur = con.execute("UPDATE reviews SET state=?, steward=?, decision_reason=?, decided_at=? "
                              "WHERE id=? AND state='pending'", (state, steward.id, sanitise_for_storage(reason.strip())[:1000], _now(), req.id))
            if cur.rowcount != 1:
                raise ReviewError(f"Request {req.id} is already {self.get(req.id).state}; it can be decided only once.")
        finally:
            con.close()
        return self.get(req.id)

    def claim_release(self, rid: str, actor: Actor) -> ReviewRequest:
        """Mark an approved request released to its requester; succeeds exactly once."""
        req = self.get(rid)
        if not same_person(req.requester, actor.id):
            raise ReviewError(f"Request {req.id} belongs to someone else.")
        if req.state == "released":
            raise ReviewError(f"The answer to {req.id} has already been released (it is released only once).")
        if req.state != "approved":
            raise ReviewError(f"Request {req.id} is {req.state}; nothing can be released.")
        con = self._connect()
        try:
            cur = con.execute("UPDATE reviews SET state='released', released_at=? WHERE id=? AND state='approved'",
                              (_now(), req.id))
            if cur.rowcount != 1:
                raise ReviewError(f"The answer to {req.id} has already been released (it is released only once).")
        finally:
            con.close()
        return self.get(req.id)
