"""The steward review queue: pending (-> returned -> pending) -> approved | denied -> released (once).

A request is created when policy says ``needs_review`` (commercial use needs a fee
agreement, for example).  Stewards list and inspect requests and approve, deny or return them
with a reason; nobody reviews their own request or one from their own organisation.  A request
is approved once it has the independent approvals its datasheet asks for (``policy.approval``:
two, from two organisations, for the lupus commons); one denial denies it.  A request returned
with questions waits for the requester's reply, and its review starts again.  Once approved,
the requester can fetch the answer exactly once; the pipeline re-runs it through the same
disclosure control at that moment.

Stored in SQLite under COMMONS_HOME (shared with the disclosure ledger), so the app and the
CLI can work on the queue at the same time.  The question (already redacted by the caller) and
the steward's reason go through ``sanitise_for_storage`` (reasons and replies through the scanner first, ``clean_free_text``) before they are written.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel.errors import ReviewError
from kernel.text import person_key, same_person
from kernel.types import Actor
from guardrails.auth import same_org
from guardrails import govdb
from guardrails.inbound import clean_free_text, sanitise_conversation_id, sanitise_for_storage

STATES = ("pending", "returned", "approved", "denied", "released")


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
    project: str | None = None        # the approved project the request was asked within
    org: str | None = None            # the requester's organisation (from the account)
    round: int = 1                    # a return with questions starts a new round of review

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["datasets"] = list(self.datasets)
        return d


_COLUMNS = ("id", "created", "requester", "role", "purpose", "question", "datasets", "rule", "reason", "state",
            "plan", "sql", "conversation", "steward", "decision_reason", "decided_at", "released_at",
            "project", "org", "round")
_ADDED = ("project", "org", "round")       # columns added after the first schema


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class ReviewQueue:
    def __init__(self, path: Path | str):
        self.path = govdb.prepare(path)
        with self._connect() as con:
            con.execute("""CREATE TABLE IF NOT EXISTS reviews (
                id TEXT PRIMARY KEY, created TEXT, requester TEXT, role TEXT, purpose TEXT, question TEXT,
                datasets TEXT, rule TEXT, reason TEXT, state TEXT, plan TEXT, sql TEXT, conversation TEXT,
                steward TEXT, decision_reason TEXT, decided_at TEXT, released_at TEXT)""")
            have = govdb.columns(con, "reviews")
            for col in _ADDED:
                if col not in have:
                    con.execute(f"ALTER TABLE reviews ADD COLUMN {col} TEXT")
            con.execute("""CREATE TABLE IF NOT EXISTS review_events (
                review TEXT NOT NULL, round INTEGER NOT NULL, kind TEXT NOT NULL, who TEXT NOT NULL,
                org TEXT, person TEXT, text TEXT, ts TEXT NOT NULL)""")
            govdb.keep_insertion_order(con, "review_events")

    def _connect(self):
        return govdb.connect(self.path)      # SQLite file, or the shared PostgreSQL database

    @staticmethod
    def _row(r) -> ReviewRequest:
        d = dict(zip(_COLUMNS, r))
        d["datasets"] = tuple(json.loads(d["datasets"] or "[]"))
        d["plan"] = json.loads(d["plan"]) if d["plan"] else None
        d["round"] = int(d["round"] or 1)
        return ReviewRequest(**d)

    def create(self, actor: Actor, purpose: str, question: str, datasets, rule: str, reason: str,
               plan: dict | None = None, sql: str | None = None, conversation: str | None = None,
               project: str | None = None) -> ReviewRequest:
        rid = f"R-{secrets.token_hex(4).upper()}"
        question = sanitise_for_storage(question)
        conversation = sanitise_conversation_id(conversation)
        req = ReviewRequest(id=rid, created=_now(), requester=actor.id, role=actor.role, purpose=purpose,
                            question=question, datasets=tuple(datasets), rule=rule, reason=reason, plan=plan,
                            sql=sql, conversation=conversation, project=project,
                            org=sanitise_for_storage(actor.org) if actor.org else None)
        con = self._connect()
        try:
            con.execute(f"INSERT INTO reviews ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})",
                        (req.id, req.created, req.requester, req.role, req.purpose, req.question,
                         json.dumps(list(req.datasets)), req.rule, req.reason, req.state,
                         json.dumps(plan) if plan else None, sql, conversation, None, None, None, None,
                         project, req.org, "1"))
        finally:
            con.close()
        return req

    def events(self, rid: str, current: bool = False) -> list[dict]:
        """The record of a request: approvals, denial, questions and replies (oldest first)."""
        req = self.get(rid)
        rows = govdb.records(self.path, "SELECT review, round, kind, who, org, person, text, ts FROM review_events "
                             "WHERE review=? ORDER BY rowid", (req.id,))
        return [e for e in rows if not current or int(e["round"]) == req.round]

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

    def decide(self, rid: str, steward: Actor, approve: bool, reason: str, needed: int = 1,
               distinct_organisations: bool = False, person: str | None = None) -> ReviewRequest:
        """Approve or deny a pending request.  Only a steward, never the requester or someone of
        the requester's organisation.  A request is approved once it has ``needed`` approvals
        from different people (``person``: who the steward's account belongs to), from different
        organisations when ``distinct_organisations``; one denial denies it."""
        if steward.role != "steward":
            raise ReviewError("Only a steward can approve or deny a request.")
        if not reason or not reason.strip():
            raise ReviewError("Give a reason for the decision; it is recorded and shown to the requester.")
        req = self.get(rid)
        if same_person(req.requester, steward.id):
            raise ReviewError("Nobody may review their own request: ask another steward.")
        if same_org(steward.org, req.org):
            raise ReviewError(f"Nobody may review a request from their own organisation ({req.org}): "
                              "ask a steward of another organisation.")
        if req.state == "returned":
            raise ReviewError(f"Request {req.id} was returned with questions; it is decided after the requester replies.")
        reason = clean_free_text(reason.strip())[:1000]
        person = person or person_key(steward.id)
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            state = con.execute("SELECT state FROM reviews WHERE id=?", (req.id,)).fetchone()[0]
            if state != "pending":
                con.execute("ROLLBACK")
                raise ReviewError(f"Request {req.id} is already {state}; it can be decided only once.")
            approvals = [(w, o, p, t) for w, o, p, t in con.execute(
                "SELECT who, org, person, text FROM review_events WHERE review=? AND round=? AND kind='approve' "
                "ORDER BY rowid", (req.id, req.round))]
            if approve and any(p == person or same_person(w, steward.id) for w, _, p, _ in approvals):
                con.execute("ROLLBACK")
                raise ReviewError(f"You have already approved {req.id}: another person must give the next approval.")
            if approve and distinct_organisations and any(same_org(steward.org, o) for _, o, _, _ in approvals):
                con.execute("ROLLBACK")
                raise ReviewError(f"{req.id} needs its approvals from different organisations, and {steward.org} has "
                                  "approved already: a steward of another organisation decides.")
            con.execute("INSERT INTO review_events VALUES (?,?,?,?,?,?,?,?)",
                        (req.id, req.round, "approve" if approve else "deny", steward.id, steward.org, person,
                         reason, _now()))
            approvals.append((steward.id, steward.org, person, reason))
            if not approve or len(approvals) >= needed:
                who = [w for w, _, _, _ in approvals] if approve else [steward.id]
                why = [t for _, _, _, t in approvals] if approve else [reason]
                con.execute("UPDATE reviews SET state=?, steward=?, decision_reason=?, decided_at=? WHERE id=?",
                            ("approved" if approve else "denied", ", ".join(who), " / ".join(why)[:2000], _now(),
                             req.id))
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()
        return self.get(req.id)

    def return_(self, rid: str, steward: Actor, questions: str) -> ReviewRequest:
        """Send a pending request back to its requester with questions (the review restarts after the reply)."""
        if steward.role != "steward":
            raise ReviewError("Only a steward can return a request.")
        if not questions or not questions.strip():
            raise ReviewError("Write the questions for the requester; they are recorded.")
        req = self.get(rid)
        if same_person(req.requester, steward.id) or same_org(steward.org, req.org):
            raise ReviewError("Nobody may review their own request or their own organisation's.")
        self._transition(req, "pending", "returned", "return", steward, questions)
        return self.get(req.id)

    def reply(self, rid: str, requester: Actor, text: str) -> ReviewRequest:
        """The requester answers a returned request's questions; it is pending again, reviewed afresh."""
        req = self.get(rid)
        if not same_person(req.requester, requester.id):
            raise ReviewError(f"Request {req.id} belongs to someone else.")
        if not text or not text.strip():
            raise ReviewError("Write your reply to the steward's questions.")
        self._transition(req, "returned", "pending", "reply", requester, text, new_round=True)
        return self.get(req.id)

    def _transition(self, req: ReviewRequest, old: str, new: str, kind: str, who: Actor, text: str,
                    new_round: bool = False) -> None:
        con = self._connect()
        try:
            cur = con.execute("UPDATE reviews SET state=?, round=? WHERE id=? AND state=?",
                              (new, str(req.round + (1 if new_round else 0)), req.id, old))
            if cur.rowcount != 1:
                raise ReviewError(f"Request {req.id} is {self.get(req.id).state}; it cannot be "
                                  f"{'returned' if kind == 'return' else 'answered'} now.")
            con.execute("INSERT INTO review_events VALUES (?,?,?,?,?,?,?,?)",
                        (req.id, req.round, kind, who.id, who.org, person_key(who.id),
                         clean_free_text(" ".join(text.split()))[:2000], _now()))
        finally:
            con.close()

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
