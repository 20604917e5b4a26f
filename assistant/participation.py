"""Contributors in control: a participant's own record, its uses, corrections and consent.

    MyData(pipeline).show(actor)                   the record as the commons holds it (after pseudonymisation)
    MyData(pipeline).uses(actor)                   projects that used the dataset, their lay summaries and outputs
    MyData(pipeline).correct(actor, col, value, reason)   a correction request to the dataset's steward
    MyData(pipeline).withdraw(actor)               withdraw entirely (at the next refresh, in a batch)
    MyData(pipeline).consent(actor, opt_out=, opt_in=)    opt out of (or back into) purposes
    MyData(pipeline).decide_correction(...)        a steward of the dataset accepts or rejects one
    MyData(pipeline).refresh(dataset, steward=None)        the scheduled refresh (consent + corrections)

The participant is a signed-in actor in role ``participant`` (``Accounts.sign_in_participant``);
every action looks the session up again and is an audit record.  Nothing a participant asks for
changes a published figure at once: withdrawals and consent changes take effect at the dataset's
next scheduled refresh, in batches (``guardrails.participants.BATCH_MIN``), and corrections once
a steward accepted them, at that refresh.
"""

from __future__ import annotations

import re

from guardrails import contributions as ingest
from guardrails import inbound, participants as pt, policy
from guardrails.auth import Accounts
from guardrails.participants import Participant, Register
from kernel.errors import ReviewError
from kernel.types import Actor

SYNTHETIC_NOTE = "SYNTHETIC demonstration data: this record describes nobody real."
_OWN = {
    "withdraw": re.compile(r"\b(withdraw|remove|delete|erase|take)\b.{0,25}\b(my|me|mine)\b.{0,20}"
                           r"\b(data|record|records|details|information)\b|\bopt (me )?out\b|\bforget me\b", re.I),
    "correct": re.compile(r"\b(correct|fix|change|update|amend)\b.{0,12}\bmy\b.{0,25}\b(age|band|record|data|details|"
                          r"sex|postcode|area|entry|information)\b", re.I),
    "see": re.compile(r"\b(what|which)\b.{0,12}\b(data|information|records?|details)\b.{0,40}\b(about|on|of) me\b|"
                      r"\bmy (own )?(data|record)\b.{0,30}\b(used|use|hold|held|see|show|have)\b|"
                      r"\b(see|show|view)\b.{0,10}\bmy (own )?(data|record)\b", re.I),
}
OWN_DATA = {
    "withdraw": "To withdraw your data, or to opt out of some uses of it, sign in on **My data**",
    "correct": "To ask for a correction to your own record, sign in on **My data**",
    "see": "To see the record the commons holds about you and how it has been used, sign in on **My data**",
}


def own_data_request(text: str) -> str | None:
    """A question about the asker's own contributed data ('what data do you hold about me?', 'I want
    to withdraw my data', 'please correct my age band') is not a question for the figures: it gets
    the way to their own record (never an answer from anyone's data)."""
    if re.search(r"\b(who|contact|email|e-mail|steward)\b", text or "", re.I):
        return None                  # asking whom to contact: the documentation answers (the steward)
    for kind in ("withdraw", "correct", "see"):
        if _OWN[kind].search(text or ""):
            return (f"{OWN_DATA[kind]} with the participation reference (PT-XXXX-XXXX) and secret you were given "
                    "when you contributed (or `commons me show|uses|correct|withdraw|consent --ref PT-...`). "
                    "The chat answers questions about figures for areas and never looks anyone up. If you are "
                    "not a contributor, the commons holds no record about you: residents ask anonymously.")
    return None


def _clean(text: str) -> str:
    return inbound.sanitise_for_storage(inbound.redact(inbound.normalise_text(text or ""))[0])


class MyData:
    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.commons = pipeline.commons
        self.register = Register(self.commons.settings.participation_db)

    def _accounts(self) -> Accounts:
        s = self.commons.settings
        return Accounts(s.users_file, s.governance_db, self.commons.audit)

    def participant(self, actor: Actor) -> Participant:
        """The participant behind ``actor``: a live participation sign-in, never an id alone."""
        acct = self._accounts().signed(actor) if actor.role == "participant" else None
        who = self.register.get(acct.id) if acct is not None else None
        if who is None:
            raise ReviewError("Sign in with your participation reference and secret to see your own data.")
        return who

    def _sheet(self, dataset: str):
        return self.commons.sheets.get(dataset) or ingest.current_sheet(self.commons.settings, dataset)

    # -- seeing ----------------------------------------------------------------------------
    def show(self, actor: Actor) -> dict:
        who = self.participant(actor)
        sheet = self._sheet(who.dataset)
        held = ingest.participant_record(self.commons.settings, who.dataset, who.link)
        now, later = self.register.consent(who.ref)
        pending = [c for c in self.register.changes(who.ref) if c["applied"] is None]
        out = {"reference": who.ref, "dataset": who.dataset, "title": sheet.title if sheet else who.dataset,
               "state": who.state, "record": held["record"] if held else None,
               "version": held["version"] if held else None,
               "opted_out": sorted(now), "opted_out_after_refresh": sorted(later),
               "pending": pending, "corrections": [c.to_dict() for c in self.register.corrections(ref=who.ref)],
               "purposes": [{"id": p, "label": policy.purpose_label(p)} for p in (sheet.consent_purposes if sheet else ())],
               "next_refresh": sheet.lifecycle.due() if sheet else None,
               "steward": f"{sheet.steward.name} ({sheet.steward.contact})" if sheet else None}
        if who.state == "withdrawn":
            out["note"] = "Your record was withdrawn: it is no longer in the published data or in any answer."
        elif held is None:
            out["note"] = "Your record is not in the current published version."
        if sheet is not None and sheet.synthetic:
            out["synthetic"] = SYNTHETIC_NOTE
        self.commons.audit.append("participant_view", participant=who.ref, dataset=who.dataset, what="record")
        return out

    def uses(self, actor: Actor) -> dict:
        """The projects that used (or may use) the dataset the participant is in, with their lay
        summaries and published outputs: the returns."""
        who = self.participant(actor)
        opted, _later = self.register.consent(who.ref)
        projects = []
        for p in self.commons.projects.list(dataset=who.dataset):
            if p.state not in ("approved",):
                continue
            counted = who.state == "active" and p.purpose not in opted
            projects.append({"project": p.id, "title": p.title, "organisation": p.org, "purpose": p.purpose_label,
                             "lay_summary": p.lay_summary, "end_date": p.end_date,
                             "your_record_counted": counted,
                             "outputs": [{"title": o["title"], "link": o["link"], "summary": o["summary"],
                                          "published": o["published"]} for o in self.commons.projects.outputs(p.id)]})
        self.commons.audit.append("participant_view", participant=who.ref, dataset=who.dataset, what="uses")
        sheet = self._sheet(who.dataset)
        return {"reference": who.ref, "dataset": who.dataset, "projects": projects,
                **({"synthetic": SYNTHETIC_NOTE} if sheet is not None and sheet.synthetic else {})}

    # -- acting ----------------------------------------------------------------------------
    def withdraw(self, actor: Actor) -> dict:
        who = self.participant(actor)
        change = self.register.request(who, "withdraw")
        self.commons.audit.append("consent_request", participant=who.ref, dataset=who.dataset, change=change["id"],
                                  kind="withdraw")
        return {**change, "message": self._when(who.dataset, "Your withdrawal")}

    def consent(self, actor: Actor, opt_out: list[str] = (), opt_in: list[str] = ()) -> dict:
        who = self.participant(actor)
        sheet = self._sheet(who.dataset)
        allowed = set(sheet.consent_purposes if sheet else ())
        now, later = self.register.consent(who.ref)
        done = []
        for kind, purposes in (("opt_out", opt_out), ("opt_in", opt_in)):
            for raw in purposes:
                p = policy.canonical_purpose(raw)
                if p not in allowed:
                    raise ReviewError(f"'{raw}' is not a purpose you can opt out of for {who.dataset}. Purposes: "
                                      f"{', '.join(sorted(allowed))}.")
                if (kind == "opt_out") == (p in later):
                    continue          # already so (or already asked for)
                change = self.register.request(who, kind, p)
                self.commons.audit.append("consent_request", participant=who.ref, dataset=who.dataset,
                                          change=change["id"], kind=kind, purpose=p)
                done.append(change)
        return {"changes": done, "message": self._when(who.dataset, "Your consent change" if done else
                                                       "Nothing changed; your choice")}

    def _when(self, dataset: str, what: str) -> str:
        sheet = self._sheet(dataset)
        due = sheet.lifecycle.due() if sheet else None
        return (f"{what} is recorded. It takes effect at the next scheduled refresh of the dataset"
                + (f" (due {due})" if due else "") + f", together with other participants' changes (at least "
                f"{pt.BATCH_MIN} people), so that no two releases either side of it can show what one person did. "
                "Until then answers are unchanged.")

    def correct(self, actor: Actor, column: str, value: str, reason: str) -> dict:
        who = self.participant(actor)
        held = ingest.participant_record(self.commons.settings, who.dataset, who.link)
        if held is None:
            raise ReviewError("Your record is not in the current published data, so there is nothing to correct.")
        sheet = self._sheet(who.dataset)
        editable = {c.name for c in sheet.columns if c.role in ("quasi_identifier", "attribute", "geography")
                    and c.name in held["record"]}
        if column not in editable:
            raise ReviewError(f"'{column}' is not a value you can ask to correct. You can ask about: "
                              f"{', '.join(sorted(editable))}.")
        value, reason = str(value or "").strip(), _clean(reason)
        if not value or not reason.strip():
            raise ReviewError("A correction needs the new value and a reason, which the steward reads.")
        problem = ingest.value_problem(sheet, column, value)
        if problem:
            raise ReviewError(f"'{value}' cannot be the value of {column}: {problem}.")
        c = self.register.request_correction(who, column, held["record"][column], value, reason)
        self.commons.audit.append("correction_request", participant=who.ref, dataset=who.dataset, correction=c.id,
                                  column=column, reason=reason)
        return {**c.to_dict(), "message": (f"Your correction {c.id} went to the steward of {sheet.title} "
                                            f"({sheet.steward.name}). An accepted correction is applied at the next "
                                            "refresh of the dataset.")}

    # -- the steward's side ------------------------------------------------------------------
    def _steward(self, steward: Actor, dataset: str):
        acct = self._accounts().signed(steward)
        if acct is None or steward.role != "steward":
            raise ReviewError("Only a signed-in steward can do that.")
        sheet = self._sheet(dataset)
        if not (acct.covers(dataset, sheet.sensitivity if sheet else "personal")
                and ingest.steward_of(ingest.current_sheet(self.commons.settings, dataset), acct.id)):
            raise ReviewError(f"Only a steward of {dataset} can do that.")
        return acct

    def corrections(self, steward: Actor, dataset: str, state: str | None = "pending") -> list[dict]:
        self._steward(steward, dataset)
        return [c.to_dict() for c in self.register.corrections(dataset, state=state)]

    def decide_correction(self, cid: str, steward: Actor, accept: bool, reason: str) -> dict:
        c = self.register.correction(cid)
        acct = self._steward(steward, c.dataset)
        if not str(reason or "").strip():
            raise ReviewError("A decision needs a reason, which the participant sees.")
        decided = self.register.decide_correction(c.id, accept, acct.id, _clean(reason))
        self.commons.audit.append("correction_decision", correction=c.id, dataset=c.dataset, steward=acct.id,
                                  decision=decided.state, reason=decided.decision_reason, column=c.column)
        return decided.to_dict()

    def refresh(self, dataset: str, steward: Actor | None = None, reason: str = "") -> dict:
        """The scheduled refresh (or, for a signed-in steward of the dataset, an early one)."""
        sid = self._steward(steward, dataset).id if steward is not None else None
        done = ingest.refresh(dataset, self.commons.settings, steward=sid, reason=reason)
        if done.get("refreshed"):
            self.commons.reload()
        return done
