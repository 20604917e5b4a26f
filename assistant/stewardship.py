"""Stewardship: everything around a question that is not answering it.

The review queue (a steward inspects, approves or denies; the requester sees the state and
fetches the released answer once), contributions (scan, stage, approve or deny), the
transparency report, the policies in force and audit verification.  Answers released here go
through the same pipeline stages (disclosure control, outbound scan, audit) as any other, and
through the same error boundary.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from assistant.pipeline import Pipeline
from guardrails import contributions as ingest
from guardrails import inbound, integrity, policy
from guardrails.governance import Governance
from guardrails.pii import PiiScanner
from guardrails.review import ReviewRequest
from guardrails.transparency import report
from kernel.errors import ReviewError
from kernel.text import same_person
from kernel.plans import plan_from_dict
from kernel.types import Actor, GuardedAnswer, Question


class Stewardship:
    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.commons = pipeline.commons
        self._pii_scanner: PiiScanner | None = None

    # -- steward review -------------------------------------------------------------------
    def review_status(self, review_id: str, actor: Actor) -> ReviewRequest:
        """The state of a request, for its requester or a steward."""
        req = self.commons.reviews.get(review_id)
        if actor.role != "steward" and not same_person(req.requester, actor.id):
            raise ReviewError(f"Request {req.id} belongs to someone else.")
        return req

    def review_queue(self, steward: Actor, state: str | None = "pending") -> list[ReviewRequest]:
        self._require_steward(steward)
        return self.commons.reviews.list(state)

    def inspect_review(self, review_id: str, steward: Actor) -> dict:
        """Everything a steward needs to decide: the request, its plan and SQL, the rule that
        flagged it and the table that would be released (after disclosure control).
        Nothing is released to the requester by inspecting."""
        self._require_steward(steward)
        req = self.commons.reviews.get(review_id)
        preview: GuardedAnswer | None = None
        if req.plan:
            requester = Actor(id=req.requester, role=req.role)
            preview = self.pipeline.release(plan_from_dict(req.plan), Question(req.question, requester, req.purpose),
                                            record={}, check_differencing=False, stage="review preview")
        self.commons.audit.append("review_inspect", review_id=req.id, steward=steward.id)
        return {"request": req, "preview": preview}

    def decide_review(self, review_id: str, steward: Actor, approve: bool, reason: str) -> ReviewRequest:
        self._require_steward(steward)
        reason_clean, _ = inbound.redact(inbound.normalise_text(reason or ""))
        req = self.commons.reviews.decide(review_id, steward, approve, reason_clean)
        self.commons.audit.append("review_decision", review_id=req.id, steward=steward.id, decision=req.state,
                                  reason=req.decision_reason, rule=req.rule, datasets=list(req.datasets),
                                  purpose=req.purpose, role=req.role)
        return req

    def fetch_review(self, review_id: str, actor: Actor) -> GuardedAnswer:
        """The requester's answer once approved, exactly once, through the same disclosure
        control and outbound checks as any other answer."""
        started = time.perf_counter()
        req = self.review_status(review_id, actor)
        record = {"actor": actor.id, "role": actor.role, "purpose": req.purpose, "question": req.question}
        if req.state == "pending":
            return GuardedAnswer(status="needs_review", review_id=req.id, datasets=req.datasets,
                                 answer=f"Request {req.id} is still pending with a steward. Nothing has been released.")
        if req.state == "denied":
            return GuardedAnswer(status="refused", review_id=req.id, datasets=req.datasets,
                                 answer=f"Request {req.id} was denied by a steward: {req.decision_reason}")
        if actor.role != req.role:
            raise ReviewError(f"Request {req.id} was made with the {req.role} role; fetch it with that role.")
        req = self.commons.reviews.claim_release(req.id, actor)
        record["policy"] = {"outcome": "allow", "rule": f"review.approved.{req.id}"}
        return self.pipeline.release(plan_from_dict(req.plan),
                                     Question(req.question, actor, req.purpose, req.conversation), record,
                                     stage="review release", started=started, event="review_release",
                                     review_id=req.id, preface=f"Approved by a steward ({req.decision_reason}). ")

    # -- transparency and oversight ------------------------------------------------------
    def transparency(self, dataset: str) -> dict:
        if dataset not in self.commons.sheets:
            raise ReviewError(f"There is no dataset '{dataset}'. Datasets: {', '.join(sorted(self.commons.sheets))}.")
        return report(self.commons.audit, self.commons.sheets[dataset])

    def policies(self) -> list[dict]:
        return [policy.describe(s) for s in self.commons.sheets.values() if s.measures]

    def verify_audit(self) -> tuple[bool, str]:
        """The chain (signatures, order, the witnessed head) and its cross-checks with the
        governance store (every review, decision, release and published version has its record)."""
        return integrity.verify(self.commons.settings)

    # -- contributions ------------------------------------------------------------------
    def _scanner(self) -> PiiScanner:
        if self._pii_scanner is None:
            self._pii_scanner = PiiScanner.from_settings(self.commons.settings)
        return self._pii_scanner

    def scan_contribution(self, csv_bytes: bytes, datasheet_yaml: str):
        """The identifier scan of an upload (a ScanReport); nothing is kept."""
        with tempfile.TemporaryDirectory(prefix="commons-scan-") as tmp:
            path = Path(tmp) / "upload.csv"
            path.write_bytes(csv_bytes)
            return ingest.scan(path, datasheet_yaml, self._scanner())

    def submit_contribution(self, csv_bytes: bytes, datasheet_yaml: str, submitter: Actor):
        """Stage an upload for a steward (scanned now; nothing is published before approval)."""
        return ingest.submit(csv_bytes, datasheet_yaml, self.commons.settings, self._scanner(), submitter.id)

    def contributions(self, steward: Actor, state: str | None = None):
        self._require_steward(steward)
        return ingest.list_contributions(self.commons.settings, state)

    def approve_contribution(self, cid: str, steward: Actor, reason: str):
        """Publish a pending contribution, then reload so the new dataset is answerable."""
        self._require_steward(steward)
        c = ingest.approve_contribution(cid, steward.id, reason, self.commons.settings, self._scanner())
        self._approve_governance(c.dataset, steward, reason)
        self.commons.reload()
        return c

    def restore_version(self, dataset: str, version: int, steward: Actor, reason: str) -> dict:
        """Make an earlier version of a contributed dataset current again (its steward, audited)."""
        self._require_steward(steward)
        hist = ingest.restore_version(dataset, version, steward.id, reason, self.commons.settings)
        self._approve_governance(dataset, steward, reason)
        self.commons.reload()
        return hist

    def approve_governance(self, steward: Actor, reason: str) -> dict:
        """Approve the governance files as they are now (the steward signed in against the
        approved users file: see the CLI)."""
        if steward.role != "steward":
            raise ReviewError("Only a signed-in steward can approve governance changes.")
        sheets = ingest.load_commons_sheets(self.commons.settings)
        out = Governance(self.commons.settings).approve(sheets, steward.id, reason)
        self.commons.reload()
        return out

    def _approve_governance(self, dataset: str, steward: Actor, reason: str) -> None:
        """A steward-approved version approves its own datasheet's governance sections, nothing else."""
        sheets = ingest.load_commons_sheets(self.commons.settings)
        Governance(self.commons.settings).approve(sheets, steward.id, reason, event="governance_version",
                                                  only={f"datasheet {dataset}"})

    def deny_contribution(self, cid: str, steward: Actor, reason: str):
        self._require_steward(steward)
        return ingest.deny_contribution(cid, steward.id, reason, self.commons.settings)

    def _require_steward(self, actor: Actor) -> None:
        if actor.role != "steward":
            raise ReviewError("Only a signed-in steward can see the review queue.")
        if self.commons.governance.users_changed:
            raise ReviewError("The users file differs from the one a steward approved, so no steward action is "
                              "possible until a steward signed in against the approved one approves it "
                              "(`commons governance approve`; rule: governance.unapproved).")

