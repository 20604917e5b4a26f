"""Stewardship: everything around a question that is not answering it.

Projects (submitted by a signed-in requester, decided by the stewards of the datasets they
name and, where a datasheet says so, by its members' panel; fee agreements; outputs), the
review queue (stewards of the dataset inspect, approve, deny or return; the requester sees the
state, replies and fetches the released answer once), contributions (scan, stage, approve or
deny), the transparency report, the policies in force and audit verification.  Every action is
an audit record.  Answers released here go through the same pipeline stages (disclosure control,
outbound scan, audit) as any other, and through the same error boundary.

Who acts comes from a signed-in account (``guardrails.auth``): every action here looks the
account up again, so its roles, organisation and datasets are the users file's, never the
caller's say-so.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from assistant.pipeline import Pipeline
from assistant.transcripts import Transcripts
from guardrails import contributions as ingest
from guardrails import govdb, inbound, integrity, policy
from guardrails.auth import Account, Accounts
from guardrails.governance import Governance
from guardrails.pii import PiiScanner
from guardrails.projects import Project, approval_rule
from guardrails.review import ReviewRequest
from guardrails.transparency import report
from kernel.errors import ProjectError, ReviewError
from kernel.text import same_person
from kernel.plans import plan_from_dict
from kernel.types import Actor, GuardedAnswer, Question


def _clean(text: str) -> str:
    """Free text from a person (a reason, a lay summary, a reply): identifiers redacted."""
    return inbound.redact(inbound.normalise_text(text or ""))[0]


class Stewardship:
    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.commons = pipeline.commons
        self._pii_scanner: PiiScanner | None = None

    @property
    def projects(self):
        return self.commons.projects

    @property
    def sheets(self):
        return self.commons.sheets

    # -- who is acting ------------------------------------------------------------------------
    def account(self, actor: Actor, role: str | None = None) -> Account:
        """The account behind ``actor``: a live sign-in (``Accounts.signed``) of an account that
        holds ``role`` (as the users file has it now); ReviewError otherwise.  An id and a role
        alone are never an identity."""
        acct = self.commons.accounts.signed(actor)
        role = role or actor.role
        if acct is None or not acct.holds(role) or actor.role != role:
            raise ReviewError(f"This needs a signed-in account with the {role} role.")
        return acct

    def _stewards(self, steward: Actor, dataset: str) -> Account:
        acct = self.account(steward, "steward")
        sheet = self.sheets.get(dataset)
        if sheet is None or not acct.covers(dataset, sheet.sensitivity):
            raise ReviewError(f"You are not a steward of {dataset}: only its own stewards decide on requests for it.")
        return acct

    def stewarded(self, steward: Actor) -> list[str]:
        """The datasets ``steward`` stewards."""
        acct = self.account(steward, "steward")
        return [d for d, s in self.sheets.items() if acct.covers(d, s.sensitivity)]

    # -- steward review -------------------------------------------------------------------
    def review_status(self, review_id: str, actor: Actor) -> ReviewRequest:
        """The state of a request, for its (signed-in) requester or a steward of its datasets."""
        req = self.commons.reviews.get(review_id)
        if actor.role == "steward":
            for d in req.datasets:
                self._stewards(actor, d)
            return req
        self.account(actor)
        if not same_person(req.requester, actor.id):
            raise ReviewError(f"Request {req.id} belongs to someone else.")
        return req

    def review_queue(self, steward: Actor, state: str | None = "pending") -> list[ReviewRequest]:
        """Requests for the datasets ``steward`` stewards (the desk shows nothing else)."""
        self._governance_unchanged()
        mine = set(self.stewarded(steward))
        return [r for r in self.commons.reviews.list(state) if set(r.datasets) & mine]

    def review_events(self, review_id: str, actor: Actor) -> list[dict]:
        self.review_status(review_id, actor)
        return self.commons.reviews.events(review_id)

    def approvals_needed(self, req: ReviewRequest) -> tuple[int, bool]:
        rules = [approval_rule(self.sheets[d]) for d in req.datasets if d in self.sheets] or [(1, False)]
        return max(n for n, _ in rules), any(d for _, d in rules)

    def inspect_review(self, review_id: str, steward: Actor) -> dict:
        """Everything a steward needs to decide: the request, its plan and SQL, the rule that
        flagged it and the table that would be released (after disclosure control).
        Nothing is released to the requester by inspecting."""
        self._governance_unchanged()
        req = self.commons.reviews.get(review_id)
        for d in req.datasets:
            self._stewards(steward, d)
        preview: GuardedAnswer | None = None
        if req.plan:
            requester = Actor(id=req.requester, role=req.role)
            preview = self.pipeline.release(plan_from_dict(req.plan), Question(req.question, requester, req.purpose),
                                            record={}, check_differencing=False, stage="review preview")
        self.commons.audit.append("review_inspect", review_id=req.id, steward=steward.id)
        return {"request": req, "preview": preview}

    def decide_review(self, review_id: str, steward: Actor, approve: bool, reason: str) -> ReviewRequest:
        """One steward's approval or denial; approved once the datasheet's approvals are in."""
        self._governance_unchanged()
        req = self.commons.reviews.get(review_id)
        acct = None
        for d in req.datasets:
            acct = self._stewards(steward, d)
        needed, distinct = self.approvals_needed(req)
        done = self.commons.reviews.decide(review_id, acct.actor("steward"), approve, _clean(reason), needed=needed,
                                           distinct_organisations=distinct, person=acct.person)
        if done.state == "pending":
            got = len([e for e in self.commons.reviews.events(done.id, current=True) if e["kind"] == "approve"])
            self.commons.audit.append("review_approval", review_id=done.id, steward=acct.id, org=acct.org,
                                      decision=f"approval {got} of {needed}", reason=_clean(reason), rule=done.rule,
                                      datasets=list(done.datasets), purpose=done.purpose, role=done.role,
                                      project=done.project)
            return done
        self.commons.audit.append("review_decision", review_id=done.id, steward=acct.id, org=acct.org,
                                  decision=done.state, reason=done.decision_reason, rule=done.rule,
                                  datasets=list(done.datasets), purpose=done.purpose, role=done.role,
                                  project=done.project, approvals=needed)
        return done

    def return_review(self, review_id: str, steward: Actor, questions: str) -> ReviewRequest:
        req = self.commons.reviews.get(review_id)
        acct = None
        for d in req.datasets:
            acct = self._stewards(steward, d)
        done = self.commons.reviews.return_(review_id, acct.actor("steward"), _clean(questions))
        self.commons.audit.append("review_return", review_id=done.id, steward=acct.id, org=acct.org,
                                  decision="returned", reason=_clean(questions), rule=done.rule,
                                  datasets=list(done.datasets), purpose=done.purpose, role=done.role)
        return done

    def reply_review(self, review_id: str, requester: Actor, text: str) -> ReviewRequest:
        self.account(requester)
        done = self.commons.reviews.reply(review_id, requester, _clean(text))
        self.commons.audit.append("review_reply", review_id=done.id, actor=requester.id, role=requester.role,
                                  reason=_clean(text), datasets=list(done.datasets))
        return done

    def fetch_review(self, review_id: str, actor: Actor) -> GuardedAnswer:
        """The requester's answer once approved, exactly once, through the same disclosure
        control and outbound checks as any other answer.  The requester is a signed-in account:
        knowing a review id and a requester's id is not enough."""
        started = time.perf_counter()
        req = self.review_status(review_id, actor)
        record = {"actor": actor.id, "role": actor.role, "purpose": req.purpose, "question": req.question,
                  "project": req.project}
        if req.state in ("pending", "returned"):
            what = "still pending with a steward" if req.state == "pending" else \
                "returned with questions: reply to them and the review starts again"
            return GuardedAnswer(status="needs_review", review_id=req.id, datasets=req.datasets,
                                 answer=f"Request {req.id} is {what}. Nothing has been released.")
        if req.state == "denied":
            return GuardedAnswer(status="refused", review_id=req.id, datasets=req.datasets,
                                 answer=f"Request {req.id} was denied by a steward: {req.decision_reason}")
        if actor.role != req.role:
            raise ReviewError(f"Request {req.id} was made with the {req.role} role; fetch it with that role.")
        if req.state == "approved":
            # the project must still allow a release today (approved, in date, a fee agreement in force)
            for d in req.datasets:
                sheet = self.sheets.get(d)
                gate = sheet is not None and sheet.person_level and \
                    self.projects.gate(req.project, actor, policy.effective_purpose(actor.role, req.purpose), sheet)
                if gate:
                    audit_id = self.commons.audit.append(
                        "review_release", **record, review_id=req.id, status="refused", datasets=list(req.datasets),
                        policy={"outcome": "refuse", "rule": gate[0]}, released_cells=0, suppressed_cells=0,
                        elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
                    return GuardedAnswer(status="refused", review_id=req.id, datasets=req.datasets, answer=gate[1],
                                         audit_id=audit_id)
        req = self.commons.reviews.claim_release(req.id, actor)
        record["policy"] = {"outcome": "allow", "rule": f"review.approved.{req.id}"}
        who = "two stewards" if "," in (req.steward or "") else "a steward"
        return self.pipeline.release(plan_from_dict(req.plan),
                                     Question(req.question, actor, req.purpose, req.conversation, project=req.project),
                                     record, stage="review release", started=started, event="review_release",
                                     review_id=req.id, preface=f"Approved by {who} ({req.decision_reason}). ")

    # -- projects -------------------------------------------------------------------------
    def submit_project(self, actor: Actor, **fields) -> Project:
        """A signed-in requester submits a project; it goes to the stewards of its datasets."""
        acct = self.account(actor)
        for key in ("title", "lay_summary", "funder", "commercial", "publication"):
            if fields.get(key):
                fields[key] = _clean(str(fields[key]))
        project = self.projects.submit(acct, actor.role, self.sheets, **fields)
        self.commons.audit.append("project_submit", project=project.id, actor=acct.id, role=actor.role, org=acct.org,
                                  purpose=project.purpose, datasets=list(project.datasets), title=project.title,
                                  commercial=project.commercial, end_date=project.end_date,
                                  publication_due=project.publication_due)
        return project

    def project(self, pid: str, actor: Actor) -> Project:
        """A project, for its requester, a steward of one of its datasets or a member of its panel."""
        project = self.projects.get(pid)
        acct = self.account(actor)
        if same_person(project.requester, acct.id) or any(
                acct.covers(d, self.sheets[d].sensitivity) and actor.role in ("steward", "member")
                for d in project.datasets if d in self.sheets):
            return project
        raise ProjectError(f"Project {project.id} belongs to someone else.")

    def project_record(self, pid: str, actor: Actor) -> dict:
        """Everything about a project: what it still needs, its review record, fees and outputs."""
        project = self.project(pid, actor)
        events = self.projects.events(project.id)
        if actor.role != "steward":        # members and requesters do not see who voted how
            events = [{**e, "who": e["kind"] if e["kind"].startswith(("vote", "veto", "panel")) else e["who"]}
                      for e in events]
        return {"project": project, "progress": self.projects.progress(project, self.sheets), "events": events,
                "fees": self.projects.fees(project.id), "outputs": self.projects.outputs(project.id),
                "overdue": self.projects.overdue(project), "ended": self.projects.ended(project)}

    def my_projects(self, actor: Actor, state: str | None = None) -> list[Project]:
        acct = self.account(actor)
        return [p for p in self.projects.list(requester=acct.id, state=state) if p.role == actor.role]

    def project_queue(self, steward: Actor, state: str | None = "submitted") -> list[Project]:
        """Projects naming a dataset ``steward`` stewards (state None: all of them)."""
        mine = set(self.stewarded(steward))
        return [p for p in self.projects.list(state=state) if set(p.datasets) & mine]

    def decide_project(self, pid: str, steward: Actor, action: str, reason: str) -> tuple[Project, str]:
        acct = self.account(steward, "steward")
        project, what = self.projects.decide(pid, acct, action, _clean(reason), self.sheets)
        self.commons.audit.append("project_decision", project=project.id, steward=acct.id, org=acct.org,
                                  decision=action, outcome=project.state, reason=_clean(reason),
                                  datasets=list(project.datasets), purpose=project.purpose)
        return project, what

    def reply_project(self, pid: str, actor: Actor, text: str) -> Project:
        self.account(actor)
        project = self.projects.reply(pid, actor, _clean(text))
        self.commons.audit.append("project_reply", project=project.id, actor=actor.id, reason=_clean(text),
                                  datasets=list(project.datasets))
        return project

    def record_fee(self, pid: str, steward: Actor, dataset: str, reference: str, amount, start, end,
                   signed_by: str) -> dict:
        acct = self.account(steward, "steward")
        fee = self.projects.record_fee(pid, acct, dataset, _clean(reference), amount, start, end, _clean(signed_by),
                                       self.sheets)
        self.commons.audit.append("fee_agreement", project=fee["project"], steward=acct.id, dataset=dataset,
                                  datasets=[dataset], reference=fee["reference"], amount_pence=fee["amount_pence"],
                                  start=fee["start"], end=fee["end"], signed_by=fee["signed_by"], fee=fee["id"])
        return fee

    def register_output(self, pid: str, actor: Actor, title: str, link: str = "", summary: str = "",
                        published=None) -> dict:
        self.account(actor)
        out = self.projects.register_output(pid, actor, _clean(title), link, _clean(summary), published)
        project = self.projects.get(pid)
        self.commons.audit.append("project_output", project=out["project"], actor=actor.id, output=out["id"],
                                  title=out["title"], link=out["link"], published=out["published"],
                                  datasets=list(project.datasets))
        return out

    def overdue_projects(self, steward: Actor) -> list[Project]:
        return [p for p in self.project_queue(steward, "approved") if self.projects.overdue(p)]

    # -- the members' panel ---------------------------------------------------------------
    def panel_queue(self, member: Actor) -> list[Project]:
        """Projects awaiting the panels ``member`` sits on (and those still open to a veto)."""
        acct = self.account(member, "member")
        return [p for p in self.projects.list() if p.state in ("submitted", "returned", "panel")
                and any(acct.covers(d) and self.sheets.get(d) is not None and self.sheets[d].policy.panel
                        and (p.commercial or p.purpose in self.sheets[d].policy.panel.purposes) for d in p.datasets)]

    def panel_vote(self, pid: str, member: Actor, approve: bool, reason: str) -> tuple[Project, str]:
        acct = self.account(member, "member")
        project, what = self.projects.vote(pid, acct, approve, _clean(reason), self.sheets)
        self.commons.audit.append("panel_vote", project=project.id, member=acct.id, vote="for" if approve else "against",
                                  reason=_clean(reason), datasets=list(project.datasets))
        if project.state in ("approved", "denied"):
            self.commons.audit.append("panel_decision", project=project.id, decision=project.state,
                                      datasets=list(project.datasets))
        return project, what

    def panel_veto(self, pid: str, member: Actor, ground: str, reason: str) -> tuple[Project, str]:
        acct = self.account(member, "member")
        project, what = self.projects.veto(pid, acct, ground, _clean(reason), self.sheets)
        self.commons.audit.append("panel_veto", project=project.id, member=acct.id, ground=ground,
                                  reason=_clean(reason), datasets=list(project.datasets))
        return project, what

    def veto_grounds(self, pid: str) -> list[str]:
        project = self.projects.get(pid)
        return sorted({g for d in project.datasets if d in self.sheets and self.sheets[d].policy.panel
                       for g in self.sheets[d].policy.panel.veto_grounds})

    # -- transparency and oversight ------------------------------------------------------
    def transparency(self, dataset: str, period: str | None = None) -> dict:
        sheet = self.commons.sheets.get(dataset) or ingest.archived_sheet(self.commons.settings, dataset)
        if sheet is None:
            raise ReviewError(f"There is no dataset '{dataset}'. Datasets: {', '.join(sorted(self.commons.sheets))}.")
        return report(self.commons.audit, sheet, self.projects, period=period)

    # -- lifecycle -------------------------------------------------------------------------
    def archive(self, dataset: str, steward: Actor, reason: str) -> dict:
        """Take a contributed dataset out of answers; its versions and audit trail are kept."""
        acct = self._require_steward(steward)
        out = ingest.archive(dataset, acct.id, reason, self.commons.settings)
        self.commons.reload()
        return out

    def purge(self, steward: Actor | None = None, days: float | None = None) -> dict:
        """Purge conversation context, transcripts and the error log older than
        ``COMMONS_PURGE_AFTER_DAYS`` (the audit chain is kept, and still verifies); audited."""
        s = self.commons.settings
        days = float(days if days is not None else s.purge_after_days)
        done = {"conversations": self.pipeline.conversations.purge(days),
                "errors": self.commons.errors.purge(days),
                "transcripts": Transcripts(s.transcripts_path, s.transcript_retention_days).purge()}
        self.commons.audit.append("purge", days=days, **done)
        return {"days": days, **done}

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
            return ingest.scan(path, datasheet_yaml, self._scanner(), settings=self.commons.settings)

    def submit_contribution(self, csv_bytes: bytes, datasheet_yaml: str, submitter: Actor,
                            accept: dict[str, str] | None = None):
        """Stage an upload for a steward (scanned now; nothing is published before approval).
        ``accept``: problems with the values the contributor accepts, each with a reason."""
        return ingest.submit(csv_bytes, datasheet_yaml, self.commons.settings, self._scanner(), submitter.id,
                             accept=accept)

    def contributions(self, steward: Actor, state: str | None = None):
        self._require_steward(steward)
        return ingest.list_contributions(self.commons.settings, state)

    def contribution(self, cid: str, steward: Actor):
        self._require_steward(steward)
        return ingest.get_contribution(cid, self.commons.settings)

    def accept_problem(self, cid: str, problem: str, steward: Actor, reason: str):
        """Accept one problem the scan found with a pending contribution's values, with a reason."""
        acct = self._require_steward(steward)
        return ingest.accept_problem(cid, problem, acct.id, reason, self.commons.settings)

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
        gov = Governance(self.commons.settings)
        approved_accounts = Accounts(gov.users_file_for_sign_in(), govdb.target(self.commons.settings),
                                     self.commons.audit)
        acct = approved_accounts.signed(steward)
        if acct is None or steward.role != "steward":
            raise ReviewError("Only a steward signed in against the approved users file can approve governance "
                              "changes.")
        sheets = ingest.load_commons_sheets(self.commons.settings)
        out = gov.approve(sheets, steward.id, reason)
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

    def _require_steward(self, actor: Actor) -> Account:
        """A signed-in steward (a live session), while the users file is the approved one."""
        acct = self.account(actor, "steward")
        self._governance_unchanged()
        return acct

    def _governance_unchanged(self) -> None:
        if self.commons.governance.users_changed:
            raise ReviewError("The users file differs from the one a steward approved, so no steward action is "
                              "possible until a steward signed in against the approved one approves it "
                              "(`commons governance approve`; rule: governance.unapproved).")

