"""Safe projects: person-level data is answered only within an approved project.

The Five Safes (safe people, projects, settings, data, outputs) as trusted research
environments run them; OpenSAFELY's job-server and Airlock are the model.  A signed-in
requester submits a project (title, purpose, lay summary, organisation, funder, commercial
involvement, datasets, publication commitment, end date).  Then, for every dataset it names:

* **stewards of that dataset** approve it, deny it or return it with questions; the
  datasheet's ``policy.approval`` says how many independent approvals it needs and whether
  they must come from different organisations (two, from two organisations, for the lupus
  commons).  Nobody reviews a project of their own or of their own organisation, and one
  person approves once, under whatever id (accounts with the same e-mail are one person).
  A returned project goes back to the requester; their reply is part of the record and
  the review starts again.
* **the members' panel** (``policy.panel``) decides on commercial projects and on the purposes
  the datasheet lists: member representatives of the dataset vote; once ``quorum`` votes are
  in, the project passes when more than ``majority`` of them are for it.  Any single member
  may veto on one of the datasheet's ``veto_grounds``.
* a **commercial** project needs a **fee agreement** (reference, amount, period, who signed),
  recorded by a steward of the dataset, before anything is released, and only inside its period.
* a project with a **publication commitment** registers its outputs (title, link or summary,
  date); past its due date without one it gets no new releases and is listed as overdue.

``gate`` is the one check the question pipeline and the review release call before any
person-level figure leaves: the project exists, belongs to the signed-in requester in the role
it was submitted with, is approved, names the dataset, has the purpose being used, has not
ended, is not overdue, and (commercial) has a fee agreement in force.  Its rule ids are in
``RULES`` and the README.

Stored in the governance database (SQLite, shared with the review queue and the ledger).
Every free-text field goes through ``clean_free_text`` (the PII scanner, then ``sanitise_for_storage``).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from guardrails import govdb, policy
from guardrails.auth import Account, same_org
from guardrails.inbound import clean_free_text, sanitise_for_storage
from kernel.errors import ProjectError
from kernel.text import same_person
from kernel.types import Actor
from retrieval.datasheets import Datasheet

STATES = ("submitted", "returned", "panel", "approved", "denied", "vetoed")
STATE_WORDS = {"submitted": "waiting for its stewards", "returned": "returned to its requester with questions",
               "panel": "waiting for the members' panel", "approved": "approved", "denied": "denied",
               "vetoed": "vetoed by the members' panel"}
OPEN_STATES = ("submitted", "returned", "panel")
REQUESTER_ROLES = ("researcher", "provider", "commercial", "evaluator", "steward")
MAX_YEARS = 5
PROJECT_ID = re.compile(r"^P-[0-9A-F]{8}$")

# Refusal rules of ``gate`` (quoted in answers and the audit log; each named in the README).
RULES = {
    "project.required": "person-level data is answered only within an approved project that names the dataset",
    "project.unknown": "there is no project with that reference",
    "project.not_yours": "a project is used only by the account that submitted it, in the role it was submitted with",
    "project.not_approved": "the project has not been approved (yet)",
    "project.vetoed": "the members' panel vetoed the project",
    "project.dataset": "the project does not name this dataset",
    "project.purpose": "the project's purpose is the purpose: no other is accepted for person-level data",
    "project.ended": "the project's end date has passed",
    "project.publication_overdue": "the project's publication is overdue: no new releases until an output is registered",
    "fees.no_agreement": "a commercial project needs a fee agreement recorded by a steward before any release",
    "fees.outside_period": "no fee agreement of the project is in force today",
}


def _today() -> date:
    return datetime.now(timezone.utc).date()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _date(value: Any, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ProjectError(f"{what} must be a date written YYYY-MM-DD, not {str(value)[:20]!r}.") from None


def _text(value: Any, what: str, low: int = 1, high: int = 2000) -> str:
    text = " ".join(str(value or "").split())
    if len(text) < low:
        raise ProjectError(f"Give {what}" + (f" (at least {low} characters)." if low > 1 else "."))
    return clean_free_text(text[:high])


@dataclass(frozen=True)
class Project:
    id: str
    created: str
    requester: str
    role: str
    org: str
    title: str
    purpose: str
    lay_summary: str
    datasets: tuple[str, ...]
    end_date: str
    funder: str = ""
    commercial: bool = False
    commercial_detail: str = ""
    publication: str = ""              # the publication commitment, in words ("" = none)
    publication_due: str | None = None
    state: str = "submitted"
    round: int = 1                     # a return with questions starts a new round of review
    updated: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["datasets"] = list(self.datasets)
        return d

    @property
    def purpose_label(self) -> str:
        return policy.purpose_label(self.purpose)


_COLUMNS = ("id", "created", "requester", "role", "org", "title", "purpose", "lay_summary", "datasets", "end_date",
            "funder", "commercial", "commercial_detail", "publication", "publication_due", "state", "round", "updated")


def approval_rule(sheet: Datasheet) -> tuple[int, bool]:
    a = sheet.policy.approval
    return a.approvals, a.distinct_organisations


def panel_for(project: Project, sheet: Datasheet):
    """The datasheet's members' panel when it must decide on this project, else None."""
    panel = sheet.policy.panel
    if panel and (project.commercial or project.purpose in panel.purposes):
        return panel
    return None


def conflict(reviewer: Account, project: Project) -> str | None:
    """Why ``reviewer`` may not decide on ``project`` (own, or own organisation's), or None."""
    if same_person(reviewer.id, project.requester):
        return "Nobody may review a project of their own."
    if same_org(reviewer.org, project.org):
        return (f"Nobody may review a project of their own organisation ({project.org}): "
                "another organisation's steward decides.")
    return None


class ProjectRegistry:
    def __init__(self, path, clock: Callable[[], date] | None = None):
        """``path``: ``govdb.target(settings)``, the SQLite file or the PostgreSQL URL."""
        self.path = govdb.prepare(path)
        self.clock = clock or _today
        con = self._connect()
        try:
            con.execute(f"CREATE TABLE IF NOT EXISTS projects ({', '.join(c + ' TEXT' for c in _COLUMNS)}, "
                        "PRIMARY KEY (id))")
            con.execute("""CREATE TABLE IF NOT EXISTS project_events (
                project TEXT NOT NULL, round INTEGER NOT NULL, kind TEXT NOT NULL, who TEXT NOT NULL,
                org TEXT, person TEXT, dataset TEXT, ground TEXT, text TEXT, ts TEXT NOT NULL)""")
            con.execute("CREATE INDEX IF NOT EXISTS project_events_p ON project_events (project, round)")
            govdb.keep_insertion_order(con, "project_events")
            con.execute("""CREATE TABLE IF NOT EXISTS fee_agreements (
                id TEXT PRIMARY KEY, project TEXT NOT NULL, dataset TEXT NOT NULL, reference TEXT NOT NULL,
                amount_pence INTEGER NOT NULL, currency TEXT NOT NULL, start TEXT NOT NULL, "end" TEXT NOT NULL,
                signed_by TEXT NOT NULL, recorded_by TEXT NOT NULL, ts TEXT NOT NULL)""")
            con.execute("""CREATE TABLE IF NOT EXISTS project_outputs (
                id TEXT PRIMARY KEY, project TEXT NOT NULL, title TEXT NOT NULL, link TEXT, summary TEXT,
                published TEXT NOT NULL, registered_by TEXT NOT NULL, ts TEXT NOT NULL)""")
        finally:
            con.close()

    def _connect(self):
        return govdb.connect(self.path)      # SQLite file, or the shared PostgreSQL database

    def today(self) -> date:
        return self.clock()

    # -- reading ----------------------------------------------------------------------------
    @staticmethod
    def _row(r) -> Project:
        d = dict(zip(_COLUMNS, r))
        d["datasets"] = tuple(json.loads(d["datasets"] or "[]"))
        d["commercial"] = d["commercial"] == "1"
        d["round"] = int(d["round"] or 1)
        return Project(**{k: ("" if v is None and k not in ("publication_due",) else v) for k, v in d.items()})

    def get(self, pid: str) -> Project:
        key = str(pid or "").strip().upper()
        con = self._connect()
        try:
            r = con.execute(f"SELECT {','.join(_COLUMNS)} FROM projects WHERE id=?", (key,)).fetchone()
        finally:
            con.close()
        if r is None:
            raise ProjectError(f"There is no project '{str(pid)[:20]}'.")
        return self._row(r)

    def list(self, requester: str | None = None, state: str | None = None,
             dataset: str | None = None) -> list[Project]:
        if state is not None and state not in STATES:
            raise ProjectError(f"'{state}' is not a project state; use one of: {', '.join(STATES)}.")
        con = self._connect()
        try:
            rows = [self._row(r) for r in con.execute(f"SELECT {','.join(_COLUMNS)} FROM projects "
                                                      "ORDER BY created, id")]
        finally:
            con.close()
        return [p for p in rows if (requester is None or same_person(p.requester, requester))
                and (state is None or p.state == state) and (dataset is None or dataset in p.datasets)]

    def events(self, pid: str, kinds: tuple[str, ...] | None = None, current: bool = False) -> list[dict]:
        """The record of a project: reviews, questions and replies, votes, vetoes (oldest first)."""
        project = self.get(pid)
        out = govdb.records(self.path, "SELECT project, round, kind, who, org, person, dataset, ground, text, ts "
                            "FROM project_events WHERE project=? ORDER BY rowid", (project.id,))
        return [e for e in out if (kinds is None or e["kind"] in kinds) and (not current or e["round"] == project.round)]

    def fees(self, pid: str) -> list[dict]:
        return govdb.records(self.path, "SELECT id, project, dataset, reference, amount_pence, currency, start, \"end\", "
                             "signed_by, recorded_by, ts FROM fee_agreements WHERE project=? ORDER BY ts",
                             (str(pid).strip().upper(),))

    def all_fees(self) -> list[dict]:
        out = []
        for p in self.list():
            out += self.fees(p.id)
        return out

    def outputs(self, pid: str) -> list[dict]:
        return govdb.records(self.path, "SELECT id, project, title, link, summary, published, registered_by, ts "
                             "FROM project_outputs WHERE project=? ORDER BY published, ts", (str(pid).strip().upper(),))

    # -- conditions -----------------------------------------------------------------------------
    def ended(self, project: Project) -> bool:
        return _date(project.end_date, "end date") < self.today()

    def overdue(self, project: Project) -> bool:
        """A publication commitment past its due date with no output registered."""
        return bool(project.publication and project.publication_due and project.state == "approved"
                    and _date(project.publication_due, "publication due date") < self.today()
                    and not self.outputs(project.id))

    def fee_in_force(self, project: Project, dataset: str) -> dict | None:
        today = self.today().isoformat()
        return next((f for f in self.fees(project.id) if f["dataset"] == dataset and f["start"] <= today <= f["end"]),
                    None)

    def progress(self, project: Project, sheets: dict[str, Datasheet]) -> list[str]:
        """What the project still needs, in words (for the requester, the desk and the panel page)."""
        out = []
        approvals = self.events(project.id, ("approve",), current=True)
        for d in project.datasets:
            sheet = sheets.get(d)
            if sheet is None:
                continue
            need, distinct = approval_rule(sheet)
            got = len({e["person"] for e in approvals if e["dataset"] == d})
            out.append(f"{sheet.title}: {min(got, need)} of {need} steward approval{'s' if need != 1 else ''}"
                       + (" (from different organisations)" if distinct and need > 1 else ""))
            panel = panel_for(project, sheet)
            if panel:
                votes = [e for e in self.events(project.id, ("vote_for", "vote_against"), current=True)
                         if e["dataset"] == d]
                out.append(f"{sheet.title}: members' panel, {len(votes)} of {panel.quorum} votes (quorum)")
            if project.commercial:
                fee = self.fee_in_force(project, d)
                out.append(f"{sheet.title}: fee agreement " + (f"{fee['reference']} in force to {fee['end']}" if fee
                                                               else "not recorded (nothing can be released)"))
        if project.publication:
            outs = self.outputs(project.id)
            out.append(f"Publication: {project.publication}" + (f", due {project.publication_due}" if
                                                                 project.publication_due else "")
                       + (f"; {len(outs)} output{'s' if len(outs) != 1 else ''} registered" if outs else
                          ("; OVERDUE" if self.overdue(project) else "; no output registered yet")))
        return out

    # -- submitting ---------------------------------------------------------------------------
    def submit(self, account: Account, role: str, sheets: dict[str, Datasheet], *, title: str, purpose: str,
               lay_summary: str, datasets, end_date, funder: str = "", commercial: str = "",
               publication: str = "", publication_due=None) -> Project:
        """A new project from a signed-in account (``role`` one the account holds)."""
        if not account.holds(role) or role not in REQUESTER_ROLES:
            raise ProjectError(f"Projects are submitted by a signed-in {', '.join(REQUESTER_ROLES)}; account "
                               f"{account.id} does not hold the {role} role.")
        if not account.org:
            raise ProjectError(f"Account {account.id} has no organisation: a steward must add one before it can "
                               "submit a project (commons users add ID --org ...).")
        title = _text(title, "a title", 5, 200)
        lay = _text(lay_summary, "a lay summary: what the project is for, in plain words", 40)
        purpose = policy.canonical_purpose(purpose)
        if purpose in policy.PROHIBITED:
            raise ProjectError(f"{policy.PROHIBITED[purpose]} (rule: commons.prohibited.{purpose})")
        if purpose not in policy.PURPOSES:
            raise ProjectError("A project's purpose is one the commons recognises: "
                               f"{', '.join(p for p in policy.PURPOSES if p != 'stewardship')}.")
        commercial_detail = " ".join(str(commercial or "").split())
        is_commercial = bool(commercial_detail) or role == "commercial" or policy.PURPOSES[purpose].commercial
        if is_commercial and purpose != "commercial":
            raise ProjectError("A project with commercial involvement (or from a commercial account) is a commercial "
                               "project: choose the purpose 'commercial'.")
        names = [d for d in dict.fromkeys(str(x).strip() for x in (datasets or [])) if d]
        if not names:
            raise ProjectError("Name the datasets the project needs.")
        for d in names:
            sheet = sheets.get(d)
            if sheet is None:
                raise ProjectError(f"There is no dataset '{d[:40]}'. Person-level datasets: "
                                   f"{', '.join(s for s in sheets if sheets[s].person_level)}.")
            if not sheet.person_level:
                raise ProjectError(f"{sheet.title} is open data: it needs no project.")
            decision = policy.decide([sheet], role, purpose)
            if decision.outcome == "refuse":
                raise ProjectError(f"{decision.reason} (rule: {decision.rule})")
        today = self.today()
        end = _date(end_date, "The end date")
        if not today < end <= today + timedelta(days=366 * MAX_YEARS):
            raise ProjectError(f"The end date must be after today and within {MAX_YEARS} years.")
        publication = " ".join(str(publication or "").split())
        due = _date(publication_due, "The publication due date") if publication_due else None
        needs_pub = [sheets[d].title for d in names if "PUB" in {c.split(":", 1)[0] for c in sheets[d].policy.duo_codes}]
        if needs_pub and not publication:
            raise ProjectError(f"Results from {', '.join(needs_pub)} must be published (DUO: PUB): give the "
                               "publication commitment and its due date.")
        if publication and due is None:
            due = end
        if due is not None and not today < due <= end:
            raise ProjectError("The publication due date must be after today and no later than the end date.")
        pid = f"P-{secrets.token_hex(4).upper()}"
        project = Project(id=pid, created=_now(), requester=account.id, role=role, org=sanitise_for_storage(account.org),
                          title=title, purpose=purpose, lay_summary=lay, datasets=tuple(names), end_date=end.isoformat(),
                          funder=clean_free_text(" ".join(str(funder or "").split())[:200]),
                          commercial=is_commercial, commercial_detail=clean_free_text(commercial_detail[:500]),
                          publication=clean_free_text(publication[:500]),
                          publication_due=due.isoformat() if due else None, updated=_now())
        self._write(project, insert=True)
        return project

    def _write(self, p: Project, insert: bool = False) -> None:
        values = [p.id, p.created, p.requester, p.role, p.org, p.title, p.purpose, p.lay_summary,
                  json.dumps(list(p.datasets)), p.end_date, p.funder, "1" if p.commercial else "0",
                  p.commercial_detail, p.publication, p.publication_due, p.state, str(p.round), p.updated]
        con = self._connect()
        try:
            if insert:
                con.execute(f"INSERT INTO projects ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})",
                            values)
            else:
                con.execute(f"UPDATE projects SET {', '.join(c + '=?' for c in _COLUMNS[1:])} WHERE id=?",
                            values[1:] + [p.id])
        finally:
            con.close()

    def _event(self, project: Project, kind: str, who: Account | Actor, text: str = "", dataset: str | None = None,
               ground: str | None = None, person: str | None = None) -> None:
        con = self._connect()
        try:
            con.execute("INSERT INTO project_events VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (project.id, project.round, kind, who.id, getattr(who, "org", None),
                         person or getattr(who, "person", who.id), dataset, ground,
                         clean_free_text(text)[:2000], _now()))
        finally:
            con.close()

    def _set_state(self, project: Project, state: str, new_round: bool = False) -> Project:
        p = replace(project, state=state, round=project.round + (1 if new_round else 0), updated=_now())
        con = self._connect()
        try:
            cur = con.execute("UPDATE projects SET state=?, round=?, updated=? WHERE id=? AND state=? AND round=?",
                              (p.state, str(p.round), p.updated, p.id, project.state, str(project.round)))
            if cur.rowcount != 1:
                raise ProjectError(f"Project {p.id} changed while you were deciding; look at it again.")
        finally:
            con.close()
        return p

    # -- stewards ---------------------------------------------------------------------------
    def _stewarded(self, steward: Account, project: Project, sheets: dict[str, Datasheet]) -> list[str]:
        if not steward.holds("steward"):
            raise ProjectError("Only a signed-in steward can decide on a project.")
        mine = [d for d in project.datasets if d in sheets and steward.covers(d, sheets[d].sensitivity)]
        if not mine:
            raise ProjectError(f"You are not a steward of {', '.join(project.datasets)}: only its own stewards decide "
                               "on a project that names it.")
        why = conflict(steward, project)
        if why:
            raise ProjectError(why)
        return mine

    def decide(self, pid: str, steward: Account, action: str, reason: str,
               sheets: dict[str, Datasheet]) -> tuple[Project, str]:
        """approve | deny | return (with questions); returns the project and what happened in words."""
        project = self.get(pid)
        if action not in ("approve", "deny", "return"):
            raise ProjectError(f"'{action}' is not a decision: approve, deny or return.")
        reason = _text(reason, "a reason (recorded and shown to the requester)" if action != "return"
                       else "your questions for the requester")
        mine = self._stewarded(steward, project, sheets)
        if project.state not in ("submitted",) and not (action == "deny" and project.state in OPEN_STATES):
            raise ProjectError(f"Project {project.id} is {project.state}: stewards decide on submitted projects"
                               + (" (the requester has not replied yet)." if project.state == "returned" else "."))
        if action == "deny":
            self._event(project, "deny", steward, reason)
            return self._set_state(project, "denied"), f"{project.id} denied"
        if action == "return":
            self._event(project, "return", steward, reason)
            return self._set_state(project, "returned"), f"{project.id} returned to the requester with questions"
        previous = self.events(project.id, ("approve",), current=True)
        if any(e["person"] == steward.person or same_person(e["who"], steward.id) for e in previous):
            raise ProjectError(f"You have already approved {project.id}: a second approval must come from "
                               "another person.")
        for d in mine:
            need, distinct = approval_rule(sheets[d])
            others = [e for e in previous if e["dataset"] == d]
            if distinct and any(same_org(steward.org, e["org"]) for e in others):
                raise ProjectError(f"{sheets[d].title} needs its approvals from different organisations, and "
                                   f"{steward.org} has approved already: a steward of another organisation decides.")
        for d in mine:
            self._event(project, "approve", steward, reason, dataset=d)
        return self._advance(self.get(project.id), sheets)

    def _advance(self, project: Project, sheets: dict[str, Datasheet]) -> tuple[Project, str]:
        approvals = self.events(project.id, ("approve",), current=True)
        waiting = []
        for d in project.datasets:
            need, _ = approval_rule(sheets[d])
            got = len({e["person"] for e in approvals if e["dataset"] == d})
            if got < need:
                waiting.append(f"{sheets[d].title} needs {need - got} more steward approval"
                               f"{'s' if need - got != 1 else ''}")
        if waiting:
            return project, f"{project.id}: approval recorded; " + "; ".join(waiting)
        if any(panel_for(project, sheets[d]) for d in project.datasets):
            return self._set_state(project, "panel"), f"{project.id}: approved by its stewards; now with the members' panel"
        return self._set_state(project, "approved"), f"{project.id} approved"

    def reply(self, pid: str, requester: Actor, text: str) -> Project:
        project = self.get(pid)
        if not same_person(project.requester, requester.id):
            raise ProjectError(f"Project {project.id} belongs to someone else.")
        if project.state != "returned":
            raise ProjectError(f"Project {project.id} is {project.state}: replies answer a steward's questions "
                               "on a returned project.")
        self._event(project, "reply", requester, _text(text, "your reply to the steward's questions"))
        return self._set_state(project, "submitted", new_round=True)

    # -- the members' panel ---------------------------------------------------------------------
    def _represented(self, member: Account, project: Project, sheets: dict[str, Datasheet]) -> list[str]:
        if not member.holds("member"):
            raise ProjectError("Only a signed-in member representative can vote on the members' panel.")
        mine = [d for d in project.datasets if d in sheets and panel_for(project, sheets[d]) and member.covers(d)]
        if not mine:
            raise ProjectError(f"Project {project.id} has no members' panel you sit on.")
        why = conflict(member, project)
        if why:
            raise ProjectError(why.replace("review", "vote on"))
        return mine

    def vote(self, pid: str, member: Account, approve: bool, reason: str,
             sheets: dict[str, Datasheet]) -> tuple[Project, str]:
        project = self.get(pid)
        mine = self._represented(member, project, sheets)
        reason = _text(reason, "a reason for your vote (it appears in the transparency report)")
        if project.state != "panel":
            raise ProjectError(f"Project {project.id} is {project.state}: the panel votes once its stewards have "
                               "approved it, and only until it decides.")
        cast = self.events(project.id, ("vote_for", "vote_against"), current=True)
        if any(e["person"] == member.person or same_person(e["who"], member.id) for e in cast):
            raise ProjectError(f"You have already voted on {project.id}: one vote per member.")
        for d in mine:
            self._event(project, "vote_for" if approve else "vote_against", member, reason, dataset=d)
        return self._tally(self.get(project.id), sheets)

    def _tally(self, project: Project, sheets: dict[str, Datasheet]) -> tuple[Project, str]:
        votes = self.events(project.id, ("vote_for", "vote_against"), current=True)
        passed = []
        for d in project.datasets:
            panel = panel_for(project, sheets[d])
            if panel is None:
                continue
            mine = [e for e in votes if e["dataset"] == d]
            if len(mine) < panel.quorum:
                return project, f"{project.id}: vote recorded ({len(mine)} of {panel.quorum} for a quorum)"
            share = sum(e["kind"] == "vote_for" for e in mine) / len(mine)
            if share <= panel.majority:
                self._event(project, "panel_rejected", _Panel(), f"{share:.0%} of {len(mine)} votes for", dataset=d)
                return self._set_state(project, "denied"), f"{project.id} rejected by the members' panel"
            passed.append(d)
        for d in passed:
            self._event(project, "panel_approved", _Panel(), "a majority of the panel voted for", dataset=d)
        return self._set_state(project, "approved"), f"{project.id} approved by the members' panel"

    def veto(self, pid: str, member: Account, ground: str, reason: str,
             sheets: dict[str, Datasheet]) -> tuple[Project, str]:
        project = self.get(pid)
        mine = self._represented(member, project, sheets)
        if project.state not in OPEN_STATES:
            raise ProjectError(f"Project {project.id} is {project.state}: a veto stops a project before it is decided.")
        grounds = {g for d in mine for g in sheets[d].policy.panel.veto_grounds}
        picked = next((g for g in grounds if " ".join(str(ground or "").split()).casefold() == g.casefold()), None)
        if picked is None:
            raise ProjectError("A veto needs one of the datasheet's grounds: " + "; ".join(sorted(grounds)) + ".")
        reason = _text(reason, "the reason for the veto (it appears in the transparency report)")
        for d in mine:
            self._event(project, "veto", member, reason, dataset=d, ground=picked)
        return self._set_state(project, "vetoed"), f"{project.id} vetoed ({picked})"

    # -- fees and outputs --------------------------------------------------------------------
    def record_fee(self, pid: str, steward: Account, dataset: str, reference: str, amount, start, end,
                   signed_by: str, sheets: dict[str, Datasheet], currency: str = "GBP") -> dict:
        project = self.get(pid)
        mine = self._stewarded(steward, project, sheets)
        if dataset not in mine:
            raise ProjectError(f"Record the fee agreement for a dataset of the project you steward: {', '.join(mine)}.")
        if not project.commercial:
            raise ProjectError(f"Project {project.id} is not commercial: it needs no fee agreement.")
        if project.state in ("denied", "vetoed"):
            raise ProjectError(f"Project {project.id} is {project.state}.")
        reference = _text(reference, "the agreement's reference", 2, 60)
        signed_by = _text(signed_by, "who signed the agreement for the requester", 2, 200)
        try:
            pence = round(float(str(amount).replace(",", "").replace("£", "")) * 100)
        except ValueError:
            raise ProjectError(f"The amount must be a number of pounds, not {str(amount)[:20]!r}.") from None
        if pence <= 0:
            raise ProjectError("The fee must be more than zero.")
        start, end = _date(start, "The agreement's start"), _date(end, "The agreement's end")
        if end < start:
            raise ProjectError("The agreement ends before it starts.")
        fee = {"id": f"FA-{secrets.token_hex(3).upper()}", "project": project.id, "dataset": dataset,
               "reference": reference, "amount_pence": pence, "currency": currency, "start": start.isoformat(),
               "end": end.isoformat(), "signed_by": signed_by, "recorded_by": steward.id, "ts": _now()}
        con = self._connect()
        try:
            con.execute("INSERT INTO fee_agreements VALUES (?,?,?,?,?,?,?,?,?,?,?)", tuple(fee.values()))
        finally:
            con.close()
        return fee

    def register_output(self, pid: str, requester: Actor, title: str, link: str = "", summary: str = "",
                        published=None) -> dict:
        project = self.get(pid)
        if not same_person(project.requester, requester.id):
            raise ProjectError(f"Project {project.id} belongs to someone else: its requester registers its outputs.")
        if project.state != "approved":
            raise ProjectError(f"Project {project.id} is {project.state}: outputs are registered for approved projects.")
        title = _text(title, "the output's title", 3, 300)
        link = " ".join(str(link or "").split())[:500]
        summary = " ".join(str(summary or "").split())[:2000]
        if link and not re.match(r"^(https?://|doi:)\S+$", link):
            raise ProjectError("The link must start with http://, https:// or doi:.")
        if not (link or len(summary) >= 20):
            raise ProjectError("Give a link to the output, or a summary of it (at least 20 characters).")
        when = _date(published, "The publication date") if published else self.today()
        if when > self.today():
            raise ProjectError("An output is registered once it is published (its date is not in the future).")
        out = {"id": f"O-{secrets.token_hex(3).upper()}", "project": project.id, "title": title,
               "link": sanitise_for_storage(link), "summary": clean_free_text(summary),
               "published": when.isoformat(), "registered_by": requester.id, "ts": _now()}
        con = self._connect()
        try:
            con.execute("INSERT INTO project_outputs VALUES (?,?,?,?,?,?,?,?)", tuple(out.values()))
        finally:
            con.close()
        return out

    # -- the gate ---------------------------------------------------------------------------
    def gate(self, pid: str | None, actor: Actor, purpose: str, sheet: Datasheet) -> tuple[str, str] | None:
        """(rule, message) when person-level figures from ``sheet`` may not be released to
        ``actor`` for ``purpose`` within project ``pid``; None when they may."""
        contact = f"Contact the steward: {sheet.steward.name} ({sheet.steward.contact})."

        def no(rule: str, why: str) -> tuple[str, str]:
            return rule, f"{why} (rule: {rule}) {contact}"

        if not pid:
            return no("project.required", f"Figures from {sheet.title} are released only within an approved project "
                                          "that names it. Sign in, submit a project (`commons projects submit` or "
                                          "the Projects page) and ask within it once it is approved.")
        if not PROJECT_ID.match(str(pid).strip().upper()):
            return no("project.unknown", "That is not a project reference (they look like P-1A2B3C4D).")
        try:
            project = self.get(pid)
        except ProjectError:
            return no("project.unknown", f"There is no project {str(pid).strip().upper()}.")
        if not same_person(project.requester, actor.id) or project.role != actor.role:
            return no("project.not_yours", f"Project {project.id} is used only by the account that submitted it, in "
                                           f"the role it was submitted with.")
        if project.state == "vetoed":
            return no("project.vetoed", f"Project {project.id} was vetoed by the members' panel.")
        if project.state != "approved":
            return no("project.not_approved", f"Project {project.id} is {STATE_WORDS[project.state]}, not approved: "
                                              "nothing is released within it until it is.")
        if sheet.id not in project.datasets:
            return no("project.dataset", f"Project {project.id} does not name {sheet.title}.")
        if purpose != project.purpose:
            return no("project.purpose", f"Project {project.id} is approved for {project.purpose_label}; the use "
                                         f"asked for ({policy.purpose_label(purpose)}) is not its purpose.")
        if self.ended(project):
            return no("project.ended", f"Project {project.id} ended on {project.end_date}.")
        if self.overdue(project):
            return no("project.publication_overdue",
                      f"Project {project.id} committed to publish by {project.publication_due} and has registered "
                      "no output: there are no new releases until it does.")
        if project.commercial and self.fee_in_force(project, sheet.id) is None:
            if any(f["dataset"] == sheet.id for f in self.fees(project.id)):
                return no("fees.outside_period", f"No fee agreement of project {project.id} is in force today.")
            return no("fees.no_agreement", f"Project {project.id} is commercial and has no fee agreement for "
                                           f"{sheet.title} recorded by a steward: nothing is released.")
        return None


@dataclass(frozen=True)
class _Panel:
    """The panel itself, as the author of its decisions."""
    id: str = "members-panel"
    org: str | None = None
    person: str = "members-panel"
