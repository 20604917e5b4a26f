"""References a person can hold and look up later: ``R-1A2B3C4D`` for a request sent to a
steward, ``A-1A2B3C4D`` for an answer, ``E-1A2B3C4D`` for an error on our side.

- ``find_reference("check R-1A2B3C4D")`` recognises a look-up in what was typed (before the
  question planner reads it as a place).
- ``References.collect`` shows a request's state and, once a steward approved it, releases its
  answer (once, through the same disclosure control and audit as any answer).  Who may see the
  state: the requester; and, for a request made from a browser without an account, whoever
  holds the reference in another browser (the reference is all they have once the tab is
  closed).  A request made by a signed-in account stays that account's.  Who may collect the
  answer: only the requester signed in (``Stewardship.fetch_review`` checks the live session),
  in the role the request was made in; a request made without an account shows its state but
  releases nothing (knowing a reference is never an identity).
- ``References.rerun`` follows an answer reference (or a shared link to it) by asking the
  question again, in the context it was asked in, under the viewer's own role, purpose and
  project and the viewer's own conversation guard: what the viewer sees is what the commons
  gives the viewer.

References that do not exist are counted per holder: after ``MAX_MISSES`` in ``WINDOW_S`` a
holder must wait (so references cannot be guessed by trying).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

from assistant.pipeline import Pipeline
from assistant.stewardship import Stewardship
from assistant.transcripts import Transcripts
from guardrails.review import ReviewRequest
from kernel.errors import ReviewError
from kernel.text import same_person
from kernel.types import Actor, GuardedAnswer, Question

REFERENCE = re.compile(r"(?<![A-Za-z0-9])([RAE])\s?-\s?([0-9A-F]{8})(?![0-9A-Za-z])", re.I)
KINDS = {"R": "request", "A": "answer", "E": "error"}
BROWSER_PREFIX = "web-"
MAX_MISSES, WINDOW_S = 10, 300


@dataclass(frozen=True)
class Lookup:
    kind: str        # request | answer | error
    ref: str         # "R-1A2B3C4D"


def find_reference(text: str) -> Lookup | None:
    """The reference a person typed ("check R-1a2b3c4d", "status of my request R-1A2B3C4D?")."""
    m = REFERENCE.search(str(text or ""))
    if not m:
        return None
    letter = m.group(1).upper()
    return Lookup(KINDS[letter], f"{letter}-{m.group(2).upper()}")


def browser_actor_id(owner: str) -> str:
    """The requester id of a browser without an account (from its transcript owner key)."""
    return f"{BROWSER_PREFIX}{owner[:16]}"


def is_browser_id(actor_id: str) -> bool:
    return str(actor_id).startswith(BROWSER_PREFIX)


class References:
    def __init__(self, pipeline: Pipeline, stewardship: Stewardship, transcripts: Transcripts):
        self.pipeline = pipeline
        self.stewardship = stewardship
        self.transcripts = transcripts
        self._misses: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    # -- misses ---------------------------------------------------------------------------
    def _check_throttle(self, holder: Actor) -> None:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._misses.get(holder.id, []) if now - t < WINDOW_S]
            self._misses[holder.id] = recent
            if len(recent) >= MAX_MISSES:
                raise ReviewError("Too many references that do not exist were looked up from here. "
                                  "Wait a few minutes, then check the reference you were given.")

    def _missed(self, holder: Actor) -> None:
        with self._lock:
            self._misses.setdefault(holder.id, []).append(time.monotonic())

    # -- requests -------------------------------------------------------------------------
    def _request(self, rid: str, holder: Actor) -> tuple[ReviewRequest, Actor]:
        """The request and the actor to act as: the requester, or the holder of an anonymous
        browser request's reference (see the module's rule)."""
        self._check_throttle(holder)
        try:
            req = self.pipeline.reviews.get(rid)
        except ReviewError:
            self._missed(holder)
            raise ReviewError(f"There is no request {rid}. Check the reference: it looks like R-1A2B3C4D.") from None
        if holder.role == "steward":            # only a steward of its datasets (checked there)
            return self.stewardship.review_status(req.id, holder), holder
        if same_person(req.requester, holder.id):
            return req, holder
        if is_browser_id(req.requester) and is_browser_id(holder.id):
            return req, Actor(id=req.requester, role=holder.role, org=holder.org)
        if is_browser_id(req.requester):
            raise ReviewError(f"Request {req.id} was made without signing in; check it signed out.")
        raise ReviewError(f"Request {req.id} was made by a signed-in account; sign in as that account to see it.")

    def request(self, rid: str, holder: Actor) -> ReviewRequest:
        """A request's state for someone who holds its reference."""
        return self._request(rid, holder)[0]

    def collect(self, rid: str, holder: Actor) -> GuardedAnswer:
        """The state of a request, and its answer once approved (released exactly once)."""
        req, who = self._request(rid, holder)
        if req.state == "approved" and who.role != req.role:
            raise ReviewError(f"Request {req.id} was made as a {req.role}. Choose “{req.role}” under "
                              "“Acting as” and check it again.")
        if req.state == "approved" and not who.session:
            raise ReviewError(f"Request {req.id} was approved, but an approved answer is released only to a "
                              "signed-in requester, and this request was made without an account. Sign in and "
                              "ask the question again.")
        if req.state == "released":
            return GuardedAnswer(status="no_data", review_id=req.id, datasets=req.datasets,
                                 answer=(f"The answer to {req.id} was released on {(req.released_at or '')[:10]} "
                                         "and is released only once. If it was released to you, it is in the "
                                         "conversation you collected it in."))
        if not who.session:
            return _state_only(req)
        return self.stewardship.fetch_review(req.id, who)

    def my_requests(self, holder: Actor) -> list[ReviewRequest]:
        """Requests made by this holder's id (a browser's or an account's), newest first."""
        return list(reversed(self.pipeline.reviews.list(requester=holder.id)))

    # -- answers --------------------------------------------------------------------------
    def rerun(self, ref: str, viewer: Actor, purpose: str, conversation_id: str,
              project: str | None = None) -> tuple[str, GuardedAnswer]:
        """(the question, the viewer's own answer to it) for an answer reference."""
        self._check_throttle(viewer)
        found = self.transcripts.answer_ref(ref)
        if found is None:
            self._missed(viewer)
            raise ReviewError(f"There is no answer {ref} (answers are kept for "
                              f"{self.pipeline.settings.transcript_retention_days} days). "
                              "Check the reference: it looks like A-1A2B3C4D.")
        own = self.pipeline.conversations.load(conversation_id)
        # The context the question was asked in, under this viewer's own guard (a use the
        # viewer described earlier keeps applying to them).
        self.pipeline.conversations.save(conversation_id, {**found.context, "guard": own.get("guard") or {}})
        return found.question, self.pipeline.ask(Question(found.question, viewer, purpose, conversation_id,
                                                          project=project))

    def context(self, conversation_id: str) -> dict:
        """The conversation context a question is about to be asked in (kept with its reference)."""
        return self.pipeline.conversations.load(conversation_id)


def _state_only(req: ReviewRequest) -> GuardedAnswer:
    """The state of a request made without an account (nothing is ever released to one)."""
    if req.state == "denied":
        return GuardedAnswer(status="refused", review_id=req.id, datasets=req.datasets,
                             answer=f"Request {req.id} was denied by a steward: {req.decision_reason}")
    what = "still pending with a steward" if req.state == "pending" else \
        "returned with questions by a steward" if req.state == "returned" else req.state
    return GuardedAnswer(status="needs_review", review_id=req.id, datasets=req.datasets,
                         answer=f"Request {req.id} is {what}. Nothing has been released.")


def error_answer(ref: str) -> GuardedAnswer:
    return GuardedAnswer(status="no_data", answer=(
        f"{ref} is the reference of a question that went wrong on our side; nothing was released. "
        "Quote it if you contact the commons. You can ask the question again."))
