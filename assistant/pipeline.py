"""The question pipeline: one object that wires the stages together once and answers questions.

    screen -> plan -> policy -> build SQL (AST) -> check -> execute (read-only)
           -> disclosure control -> compose -> outbound PII scan -> audit

IO lives at the edges (the store, the audit log, the conversation files: ``assistant.commons``)
and is passed in; the stages in between are pure functions.  ``ask`` is the one error
boundary: whatever goes wrong inside, the person gets a GuardedAnswer (status ``error`` with a
reference for a fault of ours), the audit chain gets one record, the error log the traceback.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import replace
from functools import cached_property
from typing import Callable

from assistant import answers as ans
from assistant.commons import Commons
from assistant.conversation import Conversations
from assistant import queries
from assistant import benchmarking as bm, coverage as cover, story
from assistant.llm import LlmAssist
from assistant.participation import own_data_request
from assistant.planner import Planned, Planner
from assistant.understanding.planner import Understanding
from assistant.sql import RowSpec, allowed_columns, build_benchmark, check, check_benchmark
from guardrails import disclosure, inbound, policy, probes
from guardrails.audit import AuditUnavailable
from guardrails.auth import NOT_SIGNED_IN
from guardrails.participants import optout_column
from kernel.errors import CommonsError, InternalError, NotAvailable, PlanInvalid, QueryTimeout
from kernel.plans import (Areas, BenchmarkPlan, Categories, Condition, CountPlan, CoveragePlan, BreakdownPlan, Filter,
                          Members, Periods, Plan, RelationPlan, EditionsPlan, Subject, SummaryPlan, ValuePlan, Within)
from kernel.settings import Settings
from kernel.types import Actor, GuardedAnswer, QueryPlan, Question, Result
from retrieval import docs as docs_mod
from retrieval.catalog import Catalog
from retrieval.datasheets import Datasheet
from retrieval.geography import locate_postcodes, WARD_VINTAGE, Gazetteer

log = logging.getLogger(__name__)
GUARDRAIL_STAGES = ("screen", "probe", "policy", "disclosure", "outbound", "audit")
ERROR_TEXT = ("Sorry, something went wrong on our side and this question was not answered. Nothing was "
              "released. If you contact the commons about it, quote the reference {ref}.")


@contextmanager
def _timed(timings: dict, stage: str):
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - t0) * 1000


def _suggest(plan: Plan, gaz: Gazetteer, catalog: Catalog) -> tuple[str, ...]:
    """Follow-ups that the planner answers as written (each is a complete question)."""
    p = gaz.get(plan.places[0]) if plan.places else gaz.region()
    place = f"{p.name} ward in {p.lad_name}" if p.level == "ward" else p.name
    label = catalog.label(plan.measure).lower() if plan.measure in catalog.concepts else ""
    out = []
    years = {v[:4] for v in plan.periods.values}
    sheet = catalog.sheets.get(plan.dataset)
    if plan.intent in ("value", "comparison") and len(years) == 1 and sheet and sheet.time.granularity == "year":
        before = str(int(next(iter(years))) - 1)
        if before in {x[:4] for x in catalog.periods.get(plan.dataset, ())}:
            out.append(f"and in {before}?")
    if plan.intent != "summary" and p.level != "country":
        out.append(f"Give me a summary of {place}")
    if plan.intent == "value" and label and p.level == "lad":
        out.append(f"Which council has the highest {label}?")
    if label:
        out.append(f"Who publishes the {label} data?")
    return tuple(out[:3])


def new_reference() -> str:
    return f"E-{uuid.uuid4().hex[:8].upper()}"


class Pipeline:
    def __init__(self, commons: Commons, chat_model=None):
        self.commons = commons
        self._chat_model = chat_model
        self._local = threading.local()
        self.conversations = Conversations(commons.settings.conversations_dir)
        self._wire()
        commons.on_reload(self._wire)

    def _wire(self) -> None:
        """What depends on the datasheets: rebuilt when the commons reloads."""
        c = self.commons
        rules = c.settings.planner in ("rules", "llm")
        self.planner = (Planner if rules else Understanding)(c.catalog, c.gaz, c.settings.fuzzy_place_cutoff)
        self.planner.metric_finder = self._metric_candidates
        # Optional language model (assistant/llm.py): None unless configured or injected.
        self.llm = LlmAssist.from_settings(c.settings, c.catalog, c.gaz, c.audit, self._chat_model)
        self.allowed = allowed_columns(c.sheets)
        self.__dict__.pop("_contacts", None)
        self.__dict__.pop("_person_level_words", None)
        self.__dict__.pop("_optouts", None)

    @classmethod
    def open(cls, settings: Settings | None = None,
             progress: Callable[[str], None] | None = None, chat_model=None) -> "Pipeline":
        return cls(Commons.open(settings, progress), chat_model=chat_model)

    # The commons' resources, as the stages use them.
    settings = property(lambda self: self.commons.settings)
    sheets = property(lambda self: self.commons.sheets)
    store = property(lambda self: self.commons.store)
    gaz = property(lambda self: self.commons.gaz)
    audit = property(lambda self: self.commons.audit)
    catalog = property(lambda self: self.commons.catalog)
    docs_index = property(lambda self: self.commons.docs_index)
    reviews = property(lambda self: self.commons.reviews)
    ledger = property(lambda self: self.commons.ledger)

    def close(self) -> None:
        self.commons.close()

    # -- the one public verb ------------------------------------------------------------
    @property
    def last_timings(self) -> dict[str, float]:
        """Milliseconds per stage of the last question asked on this thread (for benchmarks)."""
        return dict(getattr(self._local, "timings", {}))

    def _timings(self) -> dict[str, float]:
        return self._local.__dict__.setdefault("timings", {})

    def ask(self, question: Question) -> GuardedAnswer:
        """Answer one question: always a GuardedAnswer, always exactly one audit record."""
        started = time.perf_counter()
        self._local.timings = {}
        question = _scrubbed(question)
        record = {"actor": question.actor.id, "role": question.actor.role,
                  "purpose": policy.canonical_purpose(question.purpose),
                  "conversation": question.conversation_id}
        stage = ["screen"]
        try:
            return self._ask(question, record, started, stage)
        except Exception as exc:  # noqa: BLE001 - the one error boundary where a question is asked
            return self.failed(exc, record, started, stage[0])

    def failed(self, exc: BaseException, record: dict, started: float, stage: str,
               event: str = "question") -> GuardedAnswer:
        """An internal error: a plain message with a reference for the person, the traceback in
        the error log (identifiers masked), one audit record with the redacted question."""
        ref = new_reference()
        log.error("internal error %s at %s: %s: %s", ref, stage, type(exc).__name__, exc)
        try:
            self.commons.errors.write(ref, stage, exc)
        except Exception as log_exc:  # noqa: BLE001 - the answer must still be given
            log.error("could not write the error log for %s: %s", ref, log_exc)
        record.setdefault("question", "[not recorded: the question had not been screened for identifiers]")
        answer = GuardedAnswer(status="error", answer=ERROR_TEXT.format(ref=ref), error_id=ref)
        try:
            audit_id = self.audit.append(event, **record, status="error", error=ref, error_type=type(exc).__name__,
                                         stage=stage, released_cells=0, suppressed_cells=0,
                                         elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
        except Exception as audit_exc:  # noqa: BLE001
            log.error("could not audit internal error %s: %s", ref, audit_exc)
            return answer
        return replace(answer, audit_id=audit_id)

    def _ask(self, question: Question, record: dict, started: float, stage: list[str]) -> GuardedAnswer:
        t = self._local.timings
        with _timed(t, "screen"):
            # A full postcode is the person's area: replaced by its neighbourhood before anything
            # is screened, planned or kept (the postcode itself is never logged or stored).
            located = locate_postcodes(question.text, self.gaz) if len(question.text) <= \
                self.settings.max_question_chars else None
            screened = inbound.screen(located.text if located else question.text, self.settings.max_question_chars)
        record.update(question=screened.text[:2000], pii_found=list(screened.findings))
        if screened.problem:
            answer = GuardedAnswer(status=screened.status, answer=screened.problem)
            return self._finish(answer, record, started)
        if located and located.problem:
            record["postcode"] = "not placed"
            return self._finish(GuardedAnswer(status="no_data", answer=located.problem + " Name your ward, town "
                                              "or council instead, for example 'how deprived is Anfield ward?'."),
                                record, started)
        if located and located.areas:
            record["postcode"] = "placed"
            return self._placed(self._ask_screened(question, screened, record, started, stage,
                                                   placed=tuple(a.key for a in located.areas)), located.areas)
        return self._ask_screened(question, screened, record, started, stage)

    def _placed(self, answer: GuardedAnswer, areas) -> GuardedAnswer:
        """Say where a postcode was placed, first: the area, never the postcode."""
        said = []
        for a in areas:
            ward = self._ward_of(a)
            said.append(f"{a.name}, a neighbourhood (LSOA){f' in {ward} ward' if ward else ''}, {a.lad_name}")
        note = (f"Your postcode is in {'; '.join(said)}. Only the area is used and kept, never the postcode. "
                "(An LSOA is a small area of about 1,500 people that ONS uses for neighbourhood statistics.)")
        return replace(answer, answer=f"{note}\n\n{answer.answer}" if answer.answer else note)

    def _ward_of(self, place) -> str | None:
        ward = self.gaz.ward_of(place)
        return ward.name if ward else None

    def _ask_screened(self, question: Question, screened, record: dict, started: float,
                      stage: list[str], placed: tuple[str, ...] = ()) -> GuardedAnswer:
        t = self._local.timings
        if question.actor.role != "resident":
            # Safe people: a role is honoured only with a live sign-in of an account that holds
            # it; its organisation is the account's.
            account = self.commons.accounts.signed(question.actor)
            if account is None:
                record["policy"] = {"outcome": "refuse", "rule": "auth.not_signed_in"}
                return self._finish(GuardedAnswer(status="refused", answer=f"{NOT_SIGNED_IN} (rule: auth.not_signed_in)"),
                                    record, started)
            question = replace(question, actor=replace(question.actor, org=account.org))
        stage[0] = "probe"
        state = self.conversations.load(question.conversation_id, question.actor.id)
        if placed:
            # the area a postcode was placed in (never the postcode), for 'that postcode's neighbourhood' later
            state = {**state, "placed": list(placed)}
        with _timed(t, "probe"):
            text = screened.text
            stated = policy.stated_purpose(text)
            probed = probes.probe(text, question.actor.role)
            # What a conversation has said about itself sticks to it: a use stated, a commercial
            # context, a described use, someone other than the asker ("and in Halton?" is still
            # for the insurer, still about the neighbour).
            guard = dict(state.get("guard") or {})
            guard = {"stated": stated or guard.get("stated"),
                     "commercial": policy.stated_commercial(text) or guard.get("commercial", False),
                     "described": policy.described_use(text) or guard.get("described", False),
                     "named": probes.names_someone(text) or policy.third_person(text) or guard.get("named", False)}
            purpose = policy.escalate(record["purpose"], commercial=guard["commercial"])
        if probed and not stated:
            record["policy"] = {"outcome": "refuse", "rule": probed.rule}
            return self._finish(GuardedAnswer(status="refused", answer=f"{probed.message} (rule: {probed.rule})"),
                                record, started)
        own = own_data_request(text)
        if own is not None:          # about the asker's own contributed record: the way to it
            return self._finish(GuardedAnswer(status="no_data", answer=own), record, started)
        if purpose != record["purpose"]:
            record["purpose_stated"] = purpose
        question = replace(question, text=text, purpose=purpose)
        planned = None
        try:
            stage[0] = "plan"
            # Redaction placeholders (<EMAIL_ADDRESS>) are not part of what was asked.
            with _timed(t, "plan"):
                asked = re.sub(r"<[A-Z_]+>", " ", text)
                self._local.asked = asked
                planned = self.planner.plan(asked, state)
                if self.llm is not None:      # a suggestion, checked; then the same path as rules
                    planned = self.llm.replan(asked, state, planned)
                planned = self._typed(planned)
            if isinstance(planned.plan, BenchmarkPlan) and guard.get("described") and not (
                    state.get("guard") or {}).get("described"):
                # 'how does our organisation compare': in a benchmark, 'our organisation' is the signed-in
                # account's (whose figures are compared), not a described use of the figures
                guard = {**guard, "described": policy.described_use(
                    re.sub(r"\b(our|my) organi[sz]ation\b", "", text, flags=re.I))}
            keep = {k: v for k, v in guard.items() if v}
            planned = replace(planned, state={**(planned.state or {}), "guard": keep})
            refusal = self._stated_or_named(planned, guard["stated"], probed, guard["named"])
            if refusal is not None:
                record["policy"] = {"outcome": "refuse", "rule": refusal[0]}
                if refusal[0].startswith("commons.prohibited.") and question.actor.id != "anonymous":
                    record["flagged"] = refusal[0]      # written to the ledger once it is audited
                answer = GuardedAnswer(status="refused", answer=refusal[1])
                # the plan is kept, so a follow-up ('and Halton?') is understood, and refused too
                self.conversations.save(question.conversation_id, {**(planned.state or state), "pending": None,
                                                                    "guard": keep}, question.actor.id)
                return self._finish(answer, record, started)
            stage[0] = "answer"
            answer = self._answer(planned, question, record, review=self._review_first(question, guard))
            if stated and planned.kind == "docs" and question.actor.id != "anonymous" and planned.docs and \
                    self.catalog.person_level(planned.docs.get("concept")):
                # a prohibited use described for person-level figures, even if only the rules were
                # answered: this person's requests for such figures go to a steward for a while
                record["flagged"] = f"commons.prohibited.{stated}"
            if stated and planned.kind == "docs" and answer.status == "answered":
                # A question about the rules that names a prohibited use: the rule comes first.
                answer = replace(answer, answer=f"{policy.PROHIBITED[stated]} (rule: commons.prohibited.{stated})"
                                                f"\n\n{answer.answer}")
            if self.llm is not None:
                answer = self.llm.phrase(answer, asked, self.sheets)
                if answer.understood and not answer.answer.startswith(answer.understood):
                    # a phrased answer still says first what was understood
                    answer = replace(answer, answer=f"{answer.understood}\n\n{answer.answer}")
        except QueryTimeout as e:
            answer = GuardedAnswer(status="no_data", answer=str(e))
        except AuditUnavailable as e:
            answer = GuardedAnswer(status="refused", answer=f"{e} (rule: audit.write_ahead)")
        except InternalError:
            raise
        except CommonsError as e:
            log.warning("question not answered: %s", e)
            answer = GuardedAnswer(status="no_data", answer=f"Sorry, that could not be answered: {e}")
        self.conversations.save(question.conversation_id, planned.state if planned is not None else state,
                                question.actor.id)
        record["plan"] = answer.plan
        stage[0] = "outbound"
        return self._finish(answer, record, started)

    def release(self, plan: Plan, question: Question, record: dict, check_differencing: bool = True,
                stage: str = "release", started: float | None = None, event: str | None = None,
                review_id: str | None = None, preface: str = "") -> GuardedAnswer:
        """Run an allowed plan (a steward's preview, an approved request) through SQL, disclosure
        control and composition; with ``event``, also the outbound scan and an audit record.
        Inside the same error boundary as ``ask``."""
        started = time.perf_counter() if started is None else started
        self._local.timings = {}
        try:
            try:
                answer = self._execute(plan, question, record, check_differencing=check_differencing)
            except AuditUnavailable as e:
                answer = GuardedAnswer(status="refused", answer=f"{e} (rule: audit.write_ahead)")
            except InternalError:
                raise
            except CommonsError as e:
                answer = GuardedAnswer(status="no_data", answer=f"Sorry, that could not be answered: {e}")
            answer = replace(answer, review_id=review_id, answer=f"{preface}{answer.answer}")
            if event is None:
                return self._outbound(answer)
            return self._finish(answer, record, started, event=event)
        except Exception as exc:  # noqa: BLE001 - the boundary for released answers
            return replace(self.failed(exc, {**record, "review_id": review_id}, started, stage,
                                       event=event or "question"), review_id=review_id)

    def _typed(self, planned: Planned) -> Planned:
        """The planner's flat plan as a typed plan that passes the plan invariants; a plan that
        does not is declined here, saying why, so no invalid plan goes further."""
        if planned.kind != "data" or not isinstance(planned.plan, QueryPlan):
            return planned
        try:
            plan = queries.from_legacy(planned.plan, self.catalog, self.gaz)
            queries.validate(plan, self.catalog, self.gaz)
        except NotAvailable as e:
            return replace(planned, kind="no_data", plan=None, message=f"That is not available here: {e}.")
        except PlanInvalid as e:
            return replace(planned, kind="no_data", plan=None, message=(
                f"I couldn't answer that in the form it was asked ({e}), so I haven't guessed. "
                "Try naming the area and the figure you want."))
        return replace(planned, plan=plan)

    def _stated_or_named(self, planned: Planned, stated: str | None, probed, named: bool) -> tuple[str, str] | None:
        """(rule, message) when a planned question must be refused for what it says about itself:
        a prohibited use stated in it (unless it only asks the documentation about the rules), or
        a named or identified person in a question about person-level data (the answer could
        confirm whether that person is in it)."""
        # A described use is checked against what would be released: person-level data (open,
        # published figures may be reused for anything their licence allows). Routed to the
        # documentation yet naming a measure and a place: figures were asked for, not the rules.
        asks_personal = planned.kind == "data" and planned.plan is not None and \
            getattr(self.sheets.get(planned.plan.dataset), "person_level", False)
        if planned.kind == "docs" and planned.docs and self.catalog.person_level(planned.docs.get("concept")):
            query = planned.docs.get("query") or ""
            asks_personal = bool(self.gaz.find(query, query.split()))
        # Re-identification is refused whatever the data; the other uses whenever the figures are
        # not open ones (a dead end or a clarifying question is refused too: its follow-up would be).
        # A dead end or a clarifying question is refused too when it is about person-level data (its
        # follow-up would be); open, published figures are not subject to person-level prohibitions.
        unsure = planned.kind in ("clarify", "no_data") and self._mentions_person_level(planned)
        if stated and (asks_personal or stated == "reidentification" or unsure):
            decision = policy.decide([], "resident", stated)
            return decision.rule, (f"{decision.reason} (rule: {decision.rule}) Because this use was described, "
                                   f"your requests for person-level data go to a steward for the next "
                                   f"{policy.FLAG_DAYS} days (anonymous requests are not remembered).")
        if stated and probed:
            return probed.rule, f"{probed.message} (rule: {probed.rule})"
        if named and planned.kind == "data" and planned.plan is not None:
            sheet = self.sheets.get(planned.plan.dataset)
            if sheet is not None and sheet.person_level:
                return "disclosure.named_person", (
                    "This question names or identifies a person, and the figures would come from "
                    f"{sheet.title}: answering could confirm whether that person is in it. The commons "
                    "only releases figures about groups; ask again without the name or identifier "
                    "(rule: disclosure.named_person). "
                    f"Contact the steward: {sheet.steward.name} ({sheet.steward.contact}).")
        return None

    def _mentions_person_level(self, planned: Planned) -> bool:
        """Whether a question the planner could not settle names person-level data: a word of a
        person-level dataset's title, aliases or measures that no open dataset uses ('lupus')."""
        text = " ".join(str(x) for x in (planned.message, *(planned.options or ()), getattr(self._local, "asked", "")))
        return bool(set(re.findall(r"[a-z]{4,}", text.lower())) & self._person_level_words) or any(
            getattr(self.sheets.get(d), "person_level", False) for d in ((planned.state or {}).get("datasets") or ()))

    @cached_property
    def _person_level_words(self) -> frozenset[str]:
        def words(sheets):
            out = set()
            for sh in sheets:
                for t in (sh.title, *sh.aliases, *(m.label for m in sh.measures),
                          *(x for m in sh.measures for x in m.synonyms)):
                    out |= set(re.findall(r"[a-z]{4,}", t.lower()))
            return out
        personal = [sh for sh in self.sheets.values() if sh.person_level]
        return frozenset(words(personal) - words(sh for sh in self.sheets.values() if not sh.person_level)
                         - {"synthetic", "commons", "data", "people", "number", "participants"} | {"participants"})

    def _review_first(self, question: Question, guard: dict) -> tuple[str, str] | None:
        """(rule, why) when a request for person-level data must go to a steward whatever the
        purpose selected: the question describes a use the policy cannot check, or this person
        recently described a prohibited use."""
        flagged = self.ledger.flagged(question.actor.id, policy.FLAG_DAYS)
        if flagged:
            return "policy.flagged_actor", ("You recently described a use the commons does not allow "
                                            f"({flagged}), so a steward checks your requests for person-level "
                                            "data before anything is released.")
        if guard.get("described") and not policy.PURPOSES.get(question.purpose, policy.PURPOSES["personal"]).commercial:
            return "policy.described_use", ("Your question describes what the figures are for, and a steward "
                                            "checks described uses of person-level data before anything is "
                                            "released.")
        return None

    def _finish(self, answer: GuardedAnswer, record: dict, started: float,
                event: str = "question") -> GuardedAnswer:
        t = self._timings()
        with _timed(t, "outbound"):
            answer = self._outbound(answer)
        record.setdefault("released_cells", sum(1 for r in answer.table["rows"]) if answer.table else 0)
        record.setdefault("suppressed_cells", 0)
        with _timed(t, "audit"):
            audit_id = self.audit.append(event, **record, status=answer.status, sql=answer.sql,
                                         datasets=list(answer.datasets), review_id=answer.review_id,
                                         elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
        if record.get("flagged"):            # a ledger row only once its audit record is written
            self.ledger.flag(record["actor"], record["flagged"])
        return replace(answer, audit_id=audit_id)

    def _run_query(self, checked, sheet: Datasheet, question: Question, record: dict):
        """Write-ahead: the query's audit record is written before the query runs; if it cannot
        be written the query does not run (AuditUnavailable refuses the answer).  Returns the
        result and the record's id (the ledger row of a release names it)."""
        audit_id = self.audit.append("query", actor=question.actor.id, role=question.actor.role,
                                     purpose=record.get("purpose", question.purpose), dataset=sheet.id, sql=checked.sql,
                                     review_id=record.get("review_id"), conversation=question.conversation_id)
        record.setdefault("queries", []).append(audit_id)
        return self.store.execute(checked), audit_id

    def _outbound(self, answer: GuardedAnswer) -> GuardedAnswer:
        """No identifier leaves: answer text, table cells, caveats, options and suggestions are
        scanned.  The stewards' published contact addresses are the only emails let through."""
        texts = [answer.answer, *answer.caveats, *answer.options, *answer.suggestions]
        cells = [(i, j) for i, row in enumerate((answer.table or {}).get("rows") or [])
                 for j, c in enumerate(row) if isinstance(c, str)]
        texts += [answer.table["rows"][i][j] for i, j in cells]
        out = [self._restore(t) for t, _ in inbound.redact_many([self._shield(t) for t in texts])]
        if out == texts:
            return answer
        n = 1 + len(answer.caveats)
        caveats, rest = out[1:n], out[n:]
        options, rest = rest[:len(answer.options)], rest[len(answer.options):]
        suggestions, rest = rest[:len(answer.suggestions)], rest[len(answer.suggestions):]
        table = answer.table
        if cells:
            rows = [list(r) for r in table["rows"]]
            for (i, j), v in zip(cells, rest):
                rows[i][j] = v
            table = {**table, "rows": rows}
        return replace(answer, answer=out[0], caveats=tuple(caveats), options=tuple(options),
                       suggestions=tuple(suggestions), table=table)

    @cached_property
    def _contacts(self) -> dict[str, str]:
        """Published steward contacts (from datasheets) -> placeholder tokens."""
        found = sorted({s.steward.contact for s in self.sheets.values() if "@" in s.steward.contact})
        return {c: f"STEWARDCONTACT{i}X" for i, c in enumerate(found)}

    def _shield(self, text: str) -> str:
        for contact, token in self._contacts.items():
            text = text.replace(contact, token)
        return text

    def _restore(self, text: str) -> str:
        for contact, token in self._contacts.items():
            text = text.replace(token, contact)
        return text

    # -- stages ---------------------------------------------------------------------------
    def _answer(self, planned: Planned, question: Question, record: dict,
                review: tuple[str, str] | None = None) -> GuardedAnswer:
        answer = self._answer_for(planned, question, record, review)
        if planned.understood and answer.status != "error":
            # every answer says first what it understood (and, declined, what it could not apply);
            # figures from synthetic data say so before anything else
            understood = planned.understood
            if isinstance(planned.plan, BenchmarkPlan) and question.actor.org and question.actor.role == "provider":
                # whose figures: the signed-in account's organisation (named from the account, never the text)
                understood = understood.replace("your signed-in organisation:",
                                                f"{question.actor.org} (your signed-in organisation):")
            sheet = self.sheets.get(planned.plan.dataset) if planned.plan is not None else None
            if sheet is not None and sheet.synthetic and not understood.startswith("SYNTHETIC"):
                understood = f"SYNTHETIC data. {understood}"
            answer = replace(answer, answer=f"{understood}\n\n{answer.answer}", understood=understood)
        return answer

    def _answer_for(self, planned: Planned, question: Question, record: dict,
                    review: tuple[str, str] | None = None) -> GuardedAnswer:
        if planned.kind == "info":
            # about the assistant itself: words, no figures (so not an "answered" figure)
            return GuardedAnswer(status="no_data", answer=planned.message)
        if planned.kind == "where":
            # where an area lies (a fact of the published geography lookups, no figures)
            lookup = self.catalog.sheets.get("geo_lsoa21_ward24")
            return GuardedAnswer(status="answered", answer=planned.message, table=planned.table,
                                 datasets=(lookup.id,) if lookup else (),
                                 citations=(ans.citation(lookup),) if lookup else ())
        if planned.kind == "clarify":
            return GuardedAnswer(status="clarify", answer=planned.message, options=planned.options)
        if planned.kind == "no_data":
            return GuardedAnswer(status="no_data", answer=planned.message)
        if planned.kind == "docs":
            return self._docs(planned, question)
        plan = planned.plan
        queries.validate(plan, self.catalog, self.gaz)   # every plan, whichever planner made it
        if isinstance(plan, SummaryPlan):
            return self._summary(plan, question)
        if isinstance(plan, RelationPlan):
            return self._relation(plan, question, record, planned.message)
        if isinstance(plan, EditionsPlan):
            return self._editions(plan, question, record, planned.message)
        sheet = self.sheets[plan.dataset]
        if self.commons.governance.blocks(sheet):
            record["policy"] = {"outcome": "refuse", "rule": "governance.unapproved"}
            return GuardedAnswer(status="refused", answer=self.commons.governance.message(), datasets=(sheet.id,))
        if isinstance(plan, BenchmarkPlan) and (question.actor.role != "provider" or not question.actor.org):
            # whose figures are 'ours' is the signed-in account's organisation, never the question's
            record["policy"] = {"outcome": "refuse", "rule": "benchmark.provider_account"}
            return GuardedAnswer(status="refused", datasets=(sheet.id,), plan=plan.to_dict(), answer=(
                "Benchmarking compares an organisation's own figures with its anonymised peers, so it needs a "
                "signed-in provider account with an organisation: the organisation is always the account's, never "
                "one named in the question. Sign in as a provider (rule: benchmark.provider_account)."))
        if isinstance(plan, CoveragePlan) and review is None and self.oversees(question.actor, sheet):
            # who is missing, for the dataset's own stewards and members' representatives: its
            # coverage of the census, disclosure-controlled like any release (no project needed)
            record["policy"] = {"outcome": "allow", "rule": policy.COVERAGE_OVERSIGHT}
            return self._execute(plan, question, record, planned.message)
        with _timed(self._timings(), "policy"):
            decision = policy.decide([sheet], question.actor.role, question.purpose)
            if decision.outcome != "refuse" and sheet.person_level:
                # Safe projects: only within an approved project naming the dataset, for its purpose.
                record["project"] = question.project
                gate = self.commons.projects.gate(question.project, question.actor,
                                                  policy.effective_purpose(question.actor.role, question.purpose), sheet)
                if gate is not None:
                    decision = policy.PolicyDecision("refuse", gate[0], gate[1])
            if decision.outcome == "allow" and review is not None and sheet.person_level:
                decision = policy.PolicyDecision("needs_review", review[0],
                                                 f"{review[1]} Contact the steward: {sheet.steward.name} "
                                                 f"({sheet.steward.contact}).", duty="a steward's check")
            elif decision.outcome == "needs_review" and review is not None and sheet.person_level:
                # already bound for review by the dataset's own duty: the stewards must still see why
                # this requester is checked (a prohibited use described recently), beside that duty
                decision = replace(decision, reason=f"{decision.reason} Also ({review[0]}): {review[1]}")
        record["policy"] = {"outcome": decision.outcome, "rule": decision.rule}
        if decision.outcome == "refuse":
            return GuardedAnswer(status="refused", answer=decision.reason, datasets=(sheet.id,),
                                 plan=plan.to_dict())
        if decision.outcome == "needs_review" and isinstance(plan, BenchmarkPlan):
            return GuardedAnswer(status="refused", datasets=(sheet.id,), plan=plan.to_dict(), answer=(
                f"{decision.reason} Benchmarking against peers is not offered for a use that needs a steward's "
                "review (rule: benchmark.review)."))
        if decision.outcome == "needs_review" and isinstance(plan, CoveragePlan):
            return GuardedAnswer(status="refused", datasets=(sheet.id,), plan=plan.to_dict(), answer=(
                f"{decision.reason} Coverage against the census is not offered for a use that needs a steward's "
                "review; ask for the figures you need one by one, or contact the steward (rule: coverage.review)."))
        if decision.outcome == "needs_review":
            q = queries.build(plan, self.catalog, self.gaz)
            if sheet.person_level:
                purpose = self._consent_purpose(sheet, question)
                q = replace(q, specs=tuple(replace(s, consent=purpose) for s in q.specs))
            checked = check(queries.statement(q), self.allowed)
            req = self.reviews.create(question.actor, question.purpose, question.text, (sheet.id,), decision.rule,
                                      decision.reason, plan=plan.to_dict(), sql=checked.sql,
                                      conversation=question.conversation_id, project=question.project)
            return GuardedAnswer(status="needs_review", review_id=req.id, datasets=(sheet.id,), plan=plan.to_dict(),
                                 answer=(f"{decision.reason} Your request is {req.id}; it is pending. "
                                         "Nothing has been released yet. Check its state with the reference; "
                                         "once a steward approves it you can fetch the answer once."))
        return self._execute(plan, question, record, planned.message)

    def oversees(self, actor: Actor, sheet: Datasheet) -> bool:
        """True when ``actor`` is a live sign-in of a steward or members' representative of
        ``sheet`` acting in that role (the users file's datasets, never the question's)."""
        account = self.commons.accounts.signed(actor)
        return account is not None and policy.oversees(actor.role, account.roles, account.covers(sheet.id,
                                                                                                 sheet.sensitivity))

    def who_is_missing(self, actor: Actor, dataset: str, place: str, conversation_id: str | None = None) -> GuardedAnswer:
        """The who-is-missing view: ``dataset`` against the census in ``place`` (a council or the
        city region, by gazetteer key), for its stewards and members' representatives, through the
        same plan, disclosure control, outbound scan and audit as a question."""
        started = time.perf_counter()
        self._local.timings = {}
        sheet = self.sheets.get(dataset)
        where = self.gaz.get(place) if place in self.gaz.places else None
        text = f"who is missing from {sheet.title if sheet else dataset} in {where.display if where else place}"
        purpose = "stewardship" if actor.role == "steward" else "evaluation"
        question = Question(text, actor, purpose, conversation_id=conversation_id)
        record = {"actor": actor.id, "role": actor.role, "purpose": purpose, "conversation": conversation_id,
                  "question": text, "view": "who_is_missing"}
        try:
            if sheet is None or not sheet.person_level or where is None:
                return self._finish(GuardedAnswer(status="no_data", answer=(
                    "Who is missing is shown for a person-level dataset in a council or the city region.")),
                    record, started)
            if not self.oversees(actor, sheet):
                record["policy"] = {"outcome": "refuse", "rule": "coverage.not_overseer"}
                return self._finish(GuardedAnswer(status="refused", datasets=(sheet.id,), answer=(
                    f"Who is missing from {sheet.title} is shown to its stewards and members' representatives, "
                    "signed in (rule: coverage.not_overseer).")), record, started)
            if self.commons.governance.blocks(sheet):
                record["policy"] = {"outcome": "refuse", "rule": "governance.unapproved"}
                return self._finish(GuardedAnswer(status="refused", answer=self.commons.governance.message(),
                                                  datasets=(sheet.id,)), record, started)
            plan = cover.plan_for(self.catalog, sheet, where)
            if isinstance(plan, str):
                return self._finish(GuardedAnswer(status="no_data", answer=plan), record, started)
            queries.validate(plan, self.catalog, self.gaz)
            record["policy"] = {"outcome": "allow", "rule": policy.COVERAGE_OVERSIGHT}
            record["plan"] = plan.to_dict()
            return self.release(plan, question, record, started=started, event="question", stage="who is missing")
        except Exception as exc:  # noqa: BLE001 - the boundary for the view, as for a question
            return self.failed(exc, record, started, "who is missing")

    def _execute(self, plan: Plan, question: Question, record: dict,
                 note: str | None = None, check_differencing: bool = True) -> GuardedAnswer:
        """Build, check and run the SQL for an allowed plan; disclosure control; compose."""
        if isinstance(plan, CoveragePlan):
            return self._coverage(plan, question, record, note)
        if isinstance(plan, BenchmarkPlan):
            return self._benchmark(plan, question, record, note)
        sheet = self.sheets[plan.dataset]
        if self.commons.governance.blocks(sheet):
            record["policy"] = {"outcome": "refuse", "rule": "governance.unapproved"}
            return GuardedAnswer(status="refused", answer=self.commons.governance.message(), datasets=(sheet.id,))
        t = self._timings()
        with _timed(t, "sql"):
            q = queries.build(plan, self.catalog, self.gaz)
            if sheet.person_level:
                # Rank after disclosure control, never in SQL: a LIMIT or ORDER BY over true
                # counts would reveal which suppressed areas are smallest.  Only the records whose
                # consent covers the purpose (the project's) are counted.
                purpose = self._consent_purpose(sheet, question)
                q = replace(q, specs=tuple(replace(s, order=None, limit=None, consent=purpose) for s in q.specs))
            checked = check(queries.statement(q), self.allowed)
        with _timed(t, "execute"):
            result, query_id = self._run_query(checked, sheet, question, record)
        with _timed(t, "disclosure"):
            controlled, flag = self._control(result, plan, q, sheet, question.actor, check_differencing, query_id,
                                             purpose=q.specs[0].consent if q.specs else None)
        record.update(released_cells=controlled.released_cells, suppressed_cells=controlled.suppressed_cells,
                      disclosure_rules=list(controlled.reasons))
        if flag is not None:
            record["policy"] = {"outcome": "refuse", "rule": "disclosure.differencing"}
            record.update(released_cells=0)
            return GuardedAnswer(
                status="refused", datasets=(sheet.id,), plan=plan.to_dict(),
                answer=("This question covers almost the same group of people as one you have already been "
                        f"given (they differ by fewer than {sheet.rules.differencing_max + 1} people), so "
                        "comparing the two could reveal figures about a handful of individuals. It has not been "
                        "answered (rule: disclosure.differencing). "
                        f"Contact the steward if you need it: {sheet.steward.name} ({sheet.steward.contact})."))
        with _timed(t, "compose"):
            composed = ans.compose(plan, q, controlled.result, self.gaz, self.commons.boundaries)
        caveats = ans.caveats_for(plan, sheet, self.gaz) + ([note] if note else [])
        if getattr(plan, "within", None) is not None:
            wsheet = self.sheets[plan.within.dataset]
            caveats.append(f"Counted only in the neighbourhoods that meet the condition in {wsheet.title}, joined on "
                           f"their LSOA ({sheet.geography.vintage}) codes: a person is placed by the neighbourhood "
                           "they live in, not by their own circumstances.")
        text, table, status = composed.text, composed.table, composed.status
        if sheet.person_level:
            text, table, status, extra = self._explain_suppression(composed, controlled, sheet, plan)
            caveats += extra
        if sheet.version:
            caveats.append(f"{sheet.title}: version {sheet.version} of the published dataset.")
        due = sheet.lifecycle.due()
        if due and due < time.strftime("%Y-%m-%d", time.gmtime()):
            stale = (f"This data was due to be refreshed by {due} and has not been: it may be out of date "
                     f"(last refreshed {sheet.lifecycle.refreshed or 'when first published'}).")
            caveats.insert(0, stale)
            text = f"{text} Note: {stale}"
        if sheet.synthetic:
            text = f"SYNTHETIC data (a generated demo, not real people). {text}"
            caveats.insert(0, f"{sheet.title}: SYNTHETIC demonstration data generated from a fixed seed.")
        return GuardedAnswer(status=status, answer=text, table=table,
                             chart=composed.chart if status == "answered" else None, sql=checked.sql,
                             datasets=(sheet.id,), caveats=tuple(caveats),
                             citations=(ans.citation(sheet),) + ((ans.MAP_CITATION,) if composed.chart and
                                                                 "projection" in composed.chart else ()),
                             plan=plan.to_dict(),
                             suggestions=_suggest(plan, self.gaz, self.catalog) if status == "answered" else ())

    # -- benchmarking against anonymised peers ---------------------------------------------------
    def _benchmark(self, plan: BenchmarkPlan, question: Question, record: dict, note: str | None) -> GuardedAnswer:
        """The signed-in provider's own figure against its peers' median and quartiles: one
        governed query whose rows are summary statistics per cell (the per-organisation figures
        stay inside the store), then the withhold rules, rounding and the own figure's disclosure
        control (``assistant.benchmarking``)."""
        sheet = self.sheets[plan.dataset]
        bench, rules = sheet.benchmark, sheet.rules
        org = question.actor.org
        if question.actor.role != "provider" or not org:       # (checked before policy too)
            raise PlanInvalid("a benchmark needs the signed-in provider's organisation")
        m = sheet.measure_by_id[plan.measure]
        t = self._timings()
        with _timed(t, "sql"):
            spec = RowSpec(m, level="ward" if plan.by == "ward" else "region", periods=plan.periods.values,
                           group_time=plan.by == "month", dimension=bench.column, filters=plan.filters,
                           consent=self._consent_purpose(sheet, question))
            checked = check_benchmark(build_benchmark(sheet, spec, org), self.allowed, sheet)
        with _timed(t, "execute"):
            result, _ = self._run_query(checked, sheet, question, record)
        with _timed(t, "disclosure"):
            rows = [dict(zip(result.columns, r)) for r in result.rows]
            rows = [r for r in rows if r["own_n"]]           # only the cells where the organisation has records
            if not rows:
                record["benchmark"] = {"organisation": org, "by": plan.by, "cells": 0, "peers_shown": 0}
                return GuardedAnswer(status="no_data", datasets=(sheet.id,), plan=plan.to_dict(), answer=(
                    f"SYNTHETIC data. {org} has no records in {sheet.title} for that, so there is nothing to "
                    "benchmark (peers are never shown on their own)."))
            rows.sort(key=lambda r: (str(r["period"] or ""), str(r["area_name"] or "")))
            own = disclosure.control(Result(disclosure.OUT + disclosure.SUPPORT, tuple(
                (r["area_code"], r["area_name"], r["period"], "own", r["own"], r["own_n"], r["own_top"], r["own_ck"])
                for r in rows)), [sheet], m)
            cells = []
            for i, r in enumerate(rows):
                key = str(r["period"] or "") if plan.by == "month" else str(r["area_code"]) if plan.by == "ward" else ""
                label = bm.month_label(key) if plan.by == "month" else str(r["area_name"]) if plan.by == "ward" \
                    else "Whole period"
                mine = None if i in own.suppressed else own.result.rows[i][4]
                cells.append(bm.assess({**r, "key": key, "label": label}, mine, rules, bench))
        vals = plan.periods.values
        when = f"{bm.month_label(min(vals))} to {bm.month_label(max(vals))}" if vals else sheet.time.label
        composed = bm.compose(org, plan.label or m.label.lower(), plan.by, when, cells, bench, rules, m.unit)
        shown = sum(1 for c in cells if c.q1 is not None)
        record.update(released_cells=shown, suppressed_cells=len(cells) - shown,
                      disclosure_rules=sorted({c.withheld for c in cells if c.withheld}),
                      benchmark={"organisation": org, "by": plan.by, "cells": len(cells), "peers_shown": shown})
        caveats = [f"{sheet.title}: SYNTHETIC demonstration data generated from a fixed seed.", *composed.caveats,
                   *sheet.caveats[2:3]] + ([note] if note else [])
        return GuardedAnswer(status=composed.status, answer=f"SYNTHETIC data (a generated demo, not real people). "
                                                             f"{composed.text}",
                             table=composed.table, chart=composed.chart if composed.status == "answered" else None,
                             sql=checked.sql, datasets=(sheet.id,), caveats=tuple(caveats),
                             citations=(ans.citation(sheet),), plan=plan.to_dict())

    # -- who is missing ------------------------------------------------------------------------
    def _governed(self, sub: Plan, sheet: Datasheet, question: Question, record: dict):
        """One query of a composite answer through the same path as any plan: built, checked, run,
        disclosure-controlled and (person-level) checked against the differencing ledger.
        (controlled result, SQL), or the refusal to return."""
        queries.validate(sub, self.catalog, self.gaz)
        q = queries.build(sub, self.catalog, self.gaz)
        purpose = None
        if sheet.person_level:
            # as in _execute: ranked after disclosure control, and only the records whose consent
            # covers the project's purpose are counted
            purpose = self._consent_purpose(sheet, question)
            q = replace(q, specs=tuple(replace(s, order=None, limit=None, consent=purpose) for s in q.specs))
        checked = check(queries.statement(q), self.allowed)
        result, query_id = self._run_query(checked, sheet, question, record)
        controlled, flag = self._control(result, sub, q, sheet, question.actor, True, query_id, purpose=purpose)
        record["released_cells"] = record.get("released_cells", 0) + controlled.released_cells
        record["suppressed_cells"] = record.get("suppressed_cells", 0) + controlled.suppressed_cells
        if flag is not None:
            record["policy"] = {"outcome": "refuse", "rule": "disclosure.differencing"}
            return GuardedAnswer(status="refused", datasets=(sheet.id,), answer=(
                "Part of this would describe almost the same group of people as a figure you have already been "
                f"given, so it has not been answered (rule: disclosure.differencing). Contact the steward: "
                f"{sheet.steward.name} ({sheet.steward.contact})."))
        return controlled, checked.sql

    def _cells(self, controlled, code: str) -> dict[str, float | None]:
        """The place's released cells by category (None: suppressed)."""
        out: dict[str, float | None] = {}
        cols = controlled.result.columns
        for i, r in enumerate(controlled.result.rows):
            row = dict(zip(cols, r))
            if str(row["area_code"]) != str(code) or row["category"] in (None, "", "__councils__"):
                continue
            out[str(row["category"])] = None if i in controlled.suppressed else row["value"]
        return out

    def _coverage(self, plan: CoveragePlan, question: Question, record: dict, note: str | None) -> GuardedAnswer:
        sheet, census = self.sheets[plan.dataset], self.sheets[plan.census]
        place = self.gaz.get(plan.place)
        code = self.catalog.place_code(sheet, place) or place.any_code
        ccode = self.catalog.place_code(census, place) or place.any_code
        sqls: list[str] = []
        margins = []
        for dim in plan.margins:
            got = self._governed(BreakdownPlan(plan.subject, plan.place, Categories(dim)), sheet, question, record)
            if isinstance(got, GuardedAnswer):
                return got
            sqls.append(got[1])
            cells = self._cells(got[0], code)
            group = next(g for g in census.groups if g.id == dim)
            members = [m for m in census.measures if m.group == dim and m.id != group.total]
            cen = disclosure.control(self._run_query(check(queries.statement(queries.build(
                BreakdownPlan(Subject(group.total, census.id, Periods()), plan.place, Members(dim)),
                self.catalog, self.gaz)), self.allowed), census, question, record)[0], [census]).result
            by_label = {str(r[3]): r[4] for r in cen.rows if str(r[0]) == str(ccode)}
            pairs = []
            for value, n in sorted(cells.items()):
                m = cover.census_member(value, members)
                if m is not None and by_label.get(m.label) is not None:
                    pairs.append((value, n, float(by_label[m.label]), m.label))
            margins.append((dim, group.label, pairs))
        age_dim, _, age_pairs = margins[0]
        reweighted = []
        if plan.reweight and age_pairs and all(n is not None for _, n, _, _ in age_pairs):
            for mid in plan.reweight:
                got = self._governed(BreakdownPlan(Subject(mid, sheet.id, plan.periods), plan.place, Categories(age_dim)),
                                     sheet, question, record)
                if isinstance(got, GuardedAnswer):
                    return got
                means = self._cells(got[0], code)
                whole = self._governed(ValuePlan(Subject(mid, sheet.id, plan.periods), plan.place, with_context=False),
                                       sheet, question, record)
                if isinstance(whole, GuardedAnswer):
                    return whole
                sqls += [got[1], whole[1]]
                overall = self._cells_value(whole[0], code)
                est = cover.poststratify([(n, c, means.get(v)) for v, n, c, _ in age_pairs])
                reweighted.append((sheet.measure_by_id[mid], overall, est))
        if plan.deprivation:
            got = self._by_decile(plan, sheet, age_pairs, place, code, question, record, sqls)
            if isinstance(got, GuardedAnswer):
                return got
            margins.append(got)
        raked = None
        if plan.rake:
            raked = self._raked(plan, sheet, census, margins, code, question, record, sqls)
            if isinstance(raked, GuardedAnswer):
                return raked
        composed = cover.compose(sheet, census, place, margins, reweighted, sheet.rules.min_cell, raked)
        caveats = cover.caveats(sheet, census, place, margins, raked) + [c for c in sheet.caveats[:2]]
        caveats.insert(0, f"{sheet.title}: SYNTHETIC demonstration data generated from a fixed seed.")
        if note:
            caveats.append(note)
        return GuardedAnswer(status="answered", answer=f"SYNTHETIC data (a generated demo, not real people). {composed.text}",
                             table=composed.table, chart=None, sql=";\n".join(sqls),
                             datasets=(sheet.id, census.id), citations=(ans.citation(sheet), ans.citation(census)),
                             caveats=tuple(caveats), plan=plan.to_dict())

    def _open_rows(self, plan: Plan, sheet: Datasheet, question: Question, record: dict, sqls: list) -> dict:
        """An open breakdown over neighbourhoods: {area code: value} (published as is)."""
        checked = check(queries.statement(queries.build(plan, self.catalog, self.gaz)), self.allowed)
        sqls.append(checked.sql)
        res = disclosure.control(self._run_query(checked, sheet, question, record)[0], [sheet]).result
        cols = res.columns
        return {str(dict(zip(cols, r))["area_code"]): dict(zip(cols, r))["value"] for r in res.rows}

    def _by_decile(self, plan: CoveragePlan, sheet: Datasheet, age_pairs, place, code: str, question: Question,
                   record: dict, sqls: list):
        """Participants per deprivation decile of their home neighbourhood (each decile's count a
        governed, disclosure-controlled query) against the census residents of the place's
        neighbourhoods in each decile, in the age bands the dataset covers."""
        dsid, dmid = plan.deprivation.split(".")
        dsheet, residents = self.sheets[dsid], self.sheets[plan.residents]
        deciles = self._open_rows(BreakdownPlan(Subject(dmid, dsid, Periods()), plan.place, Areas("lsoa")),
                                  dsheet, question, record, sqls)
        members = [m for m in residents.measures if m.group == plan.margins[0]]
        covered = [cover.census_member(v, members) for v, _, _, _ in age_pairs]
        if not age_pairs or any(m is None for m in covered):
            covered = [next(m for m in residents.measures if m.id == next(
                g.total for g in residents.groups if g.id == plan.margins[0]))]
        people: dict[str, float] = {}
        for m in covered:
            for area, v in self._open_rows(BreakdownPlan(Subject(m.id, residents.id, Periods()), plan.place,
                                                         Areas("lsoa")), residents, question, record, sqls).items():
                if v is not None:
                    people[area] = people.get(area, 0.0) + float(v)
        census_by = cover.residents_by_decile(deciles, people)
        pairs = []
        for d in range(1, 11):
            within = Within(dsid, dmid, Condition("=", d))
            got = self._governed(ValuePlan(plan.subject, plan.place, with_context=False, within=within), sheet,
                                 question, record)
            if isinstance(got, GuardedAnswer):
                return got
            sqls.append(got[1])
            if not census_by[d]:
                continue        # no neighbourhood of the place is in this decile
            label = f"{d} (most deprived 10%)" if d == 1 else f"{d} (least deprived 10%)" if d == 10 else str(d)
            pairs.append((label, self._cells_value(got[0], code), census_by[d], f"decile {d}"))
        short = re.search(r"\(([A-Z]{2,})\)", dsheet.measure_by_id[dmid].label)
        return ("imd_decile", f"Deprivation decile ({short.group(1) if short else dsheet.title} {dsheet.time.period})",
                pairs)

    def _raked(self, plan: CoveragePlan, sheet: Datasheet, census: Datasheet, margins, code: str,
               question: Question, record: dict, sqls: list):
        """The means raked to two census margins, from the crossed cells (one governed breakdown of
        the first margin per category of the second); withheld, with the reason, unless every
        crossed cell is released."""
        first, second = plan.rake
        by = {dim: (label, pairs) for dim, label, pairs in margins}
        names = (by[first][0].lower(), by[second][0].lower())
        min_cell = sheet.rules.min_cell
        rows = {v: c for v, _, c, _ in by[first][1]}
        cols = {v: c for v, _, c, _ in by[second][1]}
        if not rows or not cols:
            return cover.RakedFigures(names, None, withheld="the census has no margin for the groups the dataset holds.")
        def crossed(measure: str):
            """The released cells of ``measure`` crossed by both margins (None where suppressed),
            one governed breakdown of the first margin per category of the second."""
            out: dict[tuple[str, str], float | None] = {}
            for s in cols:
                sub = Subject(measure, sheet.id, plan.periods, (Filter(second, (s,)),))
                got = self._governed(BreakdownPlan(sub, plan.place, Categories(first)), sheet, question, record)
                if isinstance(got, GuardedAnswer):
                    return got
                sqls.append(got[1])
                found = self._cells(got[0], code)
                for r in rows:
                    out[(r, s)] = found.get(r)
            return out

        cells = crossed(plan.subject.measure)
        if isinstance(cells, GuardedAnswer):
            return cells
        hidden = [f"{s} {r}" for (r, s), n in sorted(cells.items()) if n is None]
        if hidden:
            return cover.RakedFigures(names, None, withheld=(
                f"every crossed {names[0]} x {names[1]} cell must hold at least {min_cell} participants for its weight "
                f"to rest on a released count, and {len(hidden)} do not ({', '.join(hidden)})."))
        raked = cover.rake(cells, rows, cols)
        if raked is None or not raked.converged:
            return cover.RakedFigures(names, None, withheld="the weights did not settle on the census margins.")
        estimates = []
        for mid in plan.reweight:
            means = crossed(mid)
            if isinstance(means, GuardedAnswer):
                return means
            whole = self._governed(ValuePlan(Subject(mid, sheet.id, plan.periods), plan.place, with_context=False),
                                   sheet, question, record)
            if isinstance(whole, GuardedAnswer):
                return whole
            estimates.append((sheet.measure_by_id[mid], self._cells_value(whole[0], code),
                              cover.raked_estimate(raked, cells, means)))
        return cover.RakedFigures(names, raked, tuple(estimates))

    def _cells_value(self, controlled, code: str):
        cols = controlled.result.columns
        for i, r in enumerate(controlled.result.rows):
            row = dict(zip(cols, r))
            if str(row["area_code"]) == str(code) and i not in controlled.suppressed:
                return row["value"]
        return None

    def _relation(self, plan: RelationPlan, question: Question, record: dict, note: str | None) -> GuardedAnswer:
        """Two open area-level measures over the same areas, joined on the area codes."""
        return self._side_by_side(plan, (plan.x, plan.y), ans.compose_relation, "relation.open_only", (
            "Two measures side by side are offered for open, published area figures only, not for "
            "person-level data."), question, record, note)

    def _editions(self, plan: EditionsPlan, question: Question, record: dict, note: str | None) -> GuardedAnswer:
        """One measure in each edition of a publication, set side by side."""
        return self._side_by_side(plan, plan.parts, ans.compose_editions, "editions.open_only",
                                  "Editions side by side are offered for open, published figures only.",
                                  question, record, note)

    def _side_by_side(self, plan, subs, compose, open_rule: str, open_only: str, question: Question, record: dict,
                      note: str | None) -> GuardedAnswer:
        """A composite plan of open parts (two measures, or one measure in two editions): every
        part's dataset through governance and policy, each part's query built, checked and run on
        its own, then composed by ``compose(plan, parts, gazetteer)``."""
        sheets = [self.sheets[p.dataset] for p in subs]
        ids = tuple(dict.fromkeys(s.id for s in sheets))
        for sheet in sheets:
            if self.commons.governance.blocks(sheet):
                record["policy"] = {"outcome": "refuse", "rule": "governance.unapproved"}
                return GuardedAnswer(status="refused", answer=self.commons.governance.message(), datasets=ids)
        with _timed(self._timings(), "policy"):
            decision = policy.decide(sheets, question.actor.role, question.purpose)
            if any(s.person_level for s in sheets):
                decision = policy.PolicyDecision("refuse", open_rule, open_only)
        record["policy"] = {"outcome": decision.outcome, "rule": decision.rule}
        if decision.outcome != "allow":
            return GuardedAnswer(status="refused", answer=decision.reason, datasets=ids, plan=plan.to_dict())
        parts, sqls = [], []
        with _timed(self._timings(), "sql"):
            for sub, sheet in zip(subs, sheets):
                q = queries.build(sub, self.catalog, self.gaz)
                checked = check(queries.statement(q), self.allowed)
                result, _ = self._run_query(checked, sheet, question, record)
                controlled = disclosure.control(result, [sheet], q.measure)     # open: published as is
                parts.append((sub, q, controlled.result))
                sqls.append(checked.sql)
        composed, extra = compose(plan, parts, self.gaz)
        caveats = extra + [c for s in sheets for c in s.caveats[:2]] + ([note] if note else [])
        return GuardedAnswer(status=composed.status, answer=composed.text, table=composed.table,
                             chart=composed.chart if composed.status == "answered" else None, sql=";\n".join(sqls),
                             datasets=ids, citations=tuple(ans.citation(self.sheets[i]) for i in ids),
                             caveats=tuple(dict.fromkeys(caveats)), plan=plan.to_dict())

    def _control(self, result, plan: Plan, q, sheet: Datasheet, actor: Actor, check_differencing: bool,
                 query_id: str | None = None, purpose: str | None = None):
        """Disclosure control, then (person-level data) the differencing check against what
        this actor has been given; a release is recorded in the ledger."""
        if sheet.person_level:
            result = self._with_empty_cells(result, q, sheet)
        controlled = disclosure.control(result, [sheet], q.measure)
        if not (sheet.person_level and check_differencing):
            return controlled, None
        sig = disclosure.signature(plan.to_dict())
        kind = q.measure.rollup if q.measure else "count"
        cells = self._ledger_cells(plan, sheet, controlled, purpose)
        flags, isolated = self.ledger.assess(sheet.id, sig, cells, sheet.rules.differencing_max, sheet.rules.min_cell,
                                             plan.measure, kind, version=sheet.version)
        asked = {str(self.catalog.place_code(sheet, self.gaz.get(k))) for k in plan.places if self.gaz.get(k)}
        if any(f.area_code in asked for f in flags):
            return controlled, flags[0]
        if flags:
            # Only comparison rows (other councils, the city region) would isolate a handful of
            # people with a figure given earlier: those rows are withheld, the question answered.
            controlled = disclosure.withhold(controlled, {f.area_code for f in flags})
            isolated = [i for i in isolated if i[0] not in {f.area_code for f in flags}]
        self.ledger.record(actor.id, sheet.id, sig, self._ledger_cells(plan, sheet, controlled, purpose),
                           sheet.rules.min_cell, audit_id=query_id, measure=plan.measure, isolated=isolated,
                           version=sheet.version)
        return controlled, None

    def _ledger_cells(self, plan: Plan, sheet: Datasheet, controlled, purpose: str | None = None):
        """The groups a release describes, for the differencing ledger: each area's whole group
        (the plan's filters) and each released cell of a breakdown (filters + its category).  When
        someone has opted out of the purpose, the group is the people whose consent covers it (a
        consent column kept at 0): nested inside the same group asked for another purpose, so two
        releases that differ only by consent are compared like any other nested pair."""
        values = {col: tuple(v) for (sid, col), v in self.catalog.dim_values.items() if sid == sheet.id}
        filters = [(f.column, f.values, f.exclude) for f in plan.filters]
        w = getattr(plan, "within", None)
        if w is not None:
            # a group restricted to some neighbourhoods is a sub-group of the area's whole group
            filters.append(("__within__", (f"{w.dataset}.{w.measure} {w.condition.op} {w.condition.value}"
                                           f"{' not' if w.condition.negate else ''}",), False))
        if purpose and purpose in self._opted_out(sheet):
            filters.append((optout_column(purpose), ("0",), False))
        base = disclosure.conditions(filters, None, None, values)
        keys = {(a, p): k for a, p, k in controlled.population_keys}
        out = [(a, p, base, n, keys.get((a, p))) for a, p, n in controlled.populations]
        if plan.dimension:
            out += [(a, p, disclosure.conditions(filters, plan.dimension, c, values), n, k)
                    for a, p, c, n, k in controlled.cells if c not in ("", "__councils__")]
        return out

    def _consent_purpose(self, sheet: Datasheet, question: Question) -> str | None:
        """The purpose whose consent column filters a person-level query (the project's, from the
        signed-in account): None when the stored table has no such column (data that carries no
        opt-outs, such as the SYNTHETIC national commons), so nobody is left out."""
        purpose = policy.effective_purpose(question.actor.role, question.purpose)
        return purpose if optout_column(purpose) in self.store.columns.get(sheet.table, set()) else None

    def _opted_out(self, sheet: Datasheet) -> frozenset[str]:
        """The purposes someone has opted out of in the dataset's current version (cached until
        the commons reloads)."""
        cache = self.__dict__.setdefault("_optouts", {})
        key = (sheet.id, sheet.version)
        if key not in cache:
            have = self.store.columns.get(sheet.table, set())
            cache[key] = frozenset(p for p in sheet.consent_purposes if optout_column(p) in have
                                   and 1 in self.store.distinct(sheet.table, optout_column(p)))
        return cache[key]

    def _with_empty_cells(self, result, q, sheet: Datasheet):
        """Every cell a person-level question could have returned is listed, empty ones as
        zero cells (which disclosure control suppresses), so a missing row never reveals a
        zero: every requested area, every council in the comparison, every child area of a
        ranking, every category of a breakdown and every period of a series."""
        cols = result.columns
        ix = {c: i for i, c in enumerate(cols)}
        have = {(str(r[ix["area_code"]]), str(r[ix["period"]]), str(r[ix["category"]])) for r in result.rows}
        extra = []
        for spec in q.specs:
            for code, name, period, category in self._expected_cells(spec, sheet):
                if (code, period, category) not in have:
                    have.add((code, period, category))
                    filler = {"area_code": code, "area_name": name, "period": period, "category": category,
                              "value": 0, "n": 0, "top": None}
                    extra.append(tuple(filler.get(c) for c in cols))
        return replace(result, rows=result.rows + tuple(extra)) if extra else result

    def _expected_cells(self, spec, sheet: Datasheet):
        geo_v = sheet.geography.vintage
        ward_v = WARD_VINTAGE.get(geo_v, geo_v)
        scope = spec.place[1] if spec.place else None
        if spec.category == "__councils__":
            areas = [(p.lad_code, p.name) for p in self.gaz.lads()]
        elif spec.place and spec.place[0] == spec.level:
            place = self.gaz.by_code(spec.place[1])
            areas = [(spec.place[1], place.name if place else spec.place[1])]
        elif spec.level == "lad":
            areas = [(p.lad_code, p.name) for p in self.gaz.lads()]
        elif spec.level in ("ward", "lsoa"):
            vintage = ward_v if spec.level == "ward" else geo_v
            areas = [(p.code_for(vintage), p.name) for p in self.gaz.places.values()
                     if p.level == spec.level and p.code_for(vintage)
                     and (scope is None or p.lad_code == scope or scope.startswith("E47"))]
        elif spec.level == "region":
            areas = [(self.gaz.region().any_code, self.gaz.region().name)]
        else:
            areas = []
        periods = [str(x) for x in spec.periods] if spec.group_time else [spec.period_label or ""]
        if spec.dimension:
            cats = [str(v) for v in self.catalog.dim_values.get((sheet.id, spec.dimension), ())]
        else:
            cats = [spec.category or ""]
        for code, name in areas:
            for period in periods:
                for cat in cats:
                    yield str(code), name, period, cat

    def _explain_suppression(self, composed, controlled, sheet: Datasheet, plan: Plan):
        rules = sheet.rules
        caveats = [f"Disclosure control: cells about fewer than {rules.min_cell} people are suppressed (zeros too), "
                   f"counts are rounded to the nearest {rules.round_to}, and a further cell is hidden where a "
                   "suppressed one could be worked out from a total."]
        text, table, status = composed.text, composed.table, composed.status
        mark = f"suppressed (<{rules.min_cell})"
        # Alphabetical, one row per area and category: the order must not follow the true counts.
        hidden = sorted({(str(r[1]), "" if r[3] in (None, "__councils__") else str(r[3]))
                         for i, r in enumerate(controlled.result.rows) if i in controlled.suppressed})
        if hidden and status == "no_data" and plan.intent in ("value", "comparison"):
            status = "answered"
            asked = [self.gaz.get(k).display for k in plan.places] or [hidden[0][0]]
            text = (f"The figure for {' and '.join(asked)} is suppressed: it describes fewer than "
                    f"{rules.min_cell} people, or could let a suppressed figure be worked out, so the commons "
                    "does not release it.")
            released = [[str(r[1]), "", r[4]] for i, r in enumerate(controlled.result.rows)
                        if i not in controlled.suppressed and r[3] != "__councils__"]
            table = {"columns": ["Area", "Category", "Value"],
                     "rows": [[n, c, mark] for n, c in hidden] + released}
        elif hidden and table:
            width = len(table["columns"])
            rows = [[mark if (c is None and j > 0) else c for j, c in enumerate(r)] for r in table["rows"]]
            shown = {str(r[0]).split(" ward (")[0] for r in rows}
            # The value column: second in a ranking (Area, value, Position), third otherwise.
            vi = 1 if table["columns"][-1] == "Position" else min(2, width - 1)
            for name, label in hidden:
                if name in shown and not plan.dimension:
                    continue
                row = [name] + [""] * (width - 1)
                if plan.dimension and width > 2:
                    row[1] = label
                row[vi] = mark
                if table["columns"][-1] == "Position":
                    row[-1] = None
                rows.append(row)
            table = {**table, "rows": rows}
            text += (f" {len(hidden)} cell{'s' if len(hidden) != 1 else ''} "
                     f"{'are' if len(hidden) != 1 else 'is'} suppressed to protect the people in the data.")
        if "differencing" in controlled.reasons:
            caveats.append("A comparison figure is withheld: with a figure released earlier it would describe "
                           f"fewer than {rules.differencing_max + 1} people (rule: disclosure.differencing).")
        if controlled.perturbed:
            caveats.append("Figures from person-level data are perturbed slightly and consistently (the cell-key "
                           "method: a count moves by at most 2 people before rounding), so the same group always "
                           "gets the same figure and near-identical groups cannot be subtracted.")
        if "dominance" in controlled.reasons:
            caveats.append(f"A total dominated by {rules.dominance_top} contributors (at least "
                           f"{rules.dominance_share:.0%} of it) is suppressed.")
        return text, table, status, caveats

    def _summary(self, plan: SummaryPlan, question: Question) -> GuardedAnswer:
        """An area story: each summary measure (numbered by its source), the place's deprivation
        in plain words, and what changed over the periods held; every figure from governed SQL."""
        place = self.gaz.get(plan.place)
        parent = self.gaz.parent(place)
        lines, rows, sqls, used, changes = [], [], [], [], []

        def cite(sheet) -> int:
            if sheet not in used:
                used.append(sheet)
            return used.index(sheet) + 1

        missing, given = [], set()
        own = dict(zip(plan.measures, plan.years)) if plan.years else {}
        for concept in plan.measures or self.catalog.summary_concepts:
            year = own.get(concept, plan.year)
            binding = self.catalog.bind(concept, [place], None, year)
            if binding is None:
                if year and self.catalog.bind(concept, [place], None, None) is not None:
                    missing.append(self.catalog.label(concept))
                continue
            sheet = binding.ref.sheet
            if sheet.person_level or self.commons.governance.blocks(sheet) or \
                    policy.decide([sheet], question.actor.role, question.purpose).outcome != "allow":
                continue
            latest = binding.periods[-1][:4] if sheet.time.granularity == "month" else binding.periods[-1]
            periods = Periods(queries.legacy_periods(self.catalog, sheet, latest), defaulted=year is None)
            vals, m, sql = self._released(ValuePlan(Subject(concept, sheet.id, periods), place.key, share=plan.shares),
                                          sheet, question)
            if plan.shares:
                # ('social rent %, private rent % and overcrowding %': each as a share of its table's total)
                m = m.model_copy(update={"label": f"{m.label} (% of the total)"})
            code = self.catalog.place_code(sheet, place)
            main = vals.get(code)
            if main is None:
                continue
            when = ans.periods_label(sheet, periods.values)
            ctx = [(n, vals.get(c)) for n, c in ((parent.name if parent else None,
                                                  self.catalog.place_code(sheet, parent) if parent else None),
                                                 ("England", sheet.geography.extra_rows.get("country")))
                   if n and c in vals and c != code]
            n = cite(sheet)
            given.add(concept)
            sh = plan.shares
            lines.append(f"- **{m.label}** ({when}): **{ans.fmt(main, m, sh)}**" +
                         (" (" + "; ".join(f"{n_} {ans.fmt(v, m, sh)}" for n_, v in ctx) + ")" if ctx else "") + f" [{n}]")
            rows.append([place.name, m.label, when if len(when) < 40 else latest, ans.rounded(main, m, sh),
                         ans.rounded(dict(ctx).get(parent.name) if parent else None, m, sh),
                         ans.rounded(dict(ctx).get("England"), m, sh)])
            sqls.append(sql)
            held = self.catalog.periods.get(sheet.id, ())
            if plan.year is None and not plan.years and sheet.time.granularity == "year" and len(held) > 1 \
                    and held[0] != latest and not plan.shares:
                first, _, sql0 = self._released(ValuePlan(Subject(concept, sheet.id, Periods((held[0],))), place.key),
                                                sheet, question)
                if first.get(code) is not None:
                    changes.append(story.change(m.label, (held[0], first[code]), (latest, main),
                                                fmt=lambda v, m=m: ans.fmt(v, m)) + f" [{n}]")
                    sqls.append(sql0)
        if plan.difference and len(rows) == 2 and all(isinstance(r[3], (int, float)) for r in rows):
            # 'how many more over 65s than under 16s': the first figure asked minus the second
            (a_label, a), (b_label, b) = ((r[1], r[3]) for r in rows)
            diff = a - b
            word = "more" if diff >= 0 else "fewer"
            lines.append(f"- **The difference**: {a_label} minus {b_label}: **{abs(diff):,}** {word}"
                         if isinstance(diff, int) else
                         f"- **The difference**: {a_label} minus {b_label}: **{abs(diff):,.1f}** {word}")
            rows.append([place.name, f"Difference: {a_label} minus {b_label}", rows[0][2], diff, None, None])
        elif plan.difference:
            lines.append("- The difference can't be given: one of the two figures is not released here.")
        if not lines:
            return GuardedAnswer(status="no_data", answer=f"The commons holds no figures for {place.display}"
                                                          + (f" for {plan.year}." if plan.year else "."))
        plain = self._plain_words(place, question, cite, sqls) if plan.year is None and not plan.measures else []
        named = f"The figures asked for {place.display}" if plan.measures else f"Summary of {place.display}"
        text = (f"**{named} for {plan.year}** (the figures for that year the commons holds):\n\n"
                if plan.year else f"**{named}** (each for the year asked, or its latest where none was):\n\n"
                if plan.years else f"**{named}** (latest figures the commons holds):\n\n") + \
            "\n".join(lines)
        unreleased = [self.catalog.label(c) for c in plan.measures if c not in given and
                      self.catalog.label(c) not in missing]
        if unreleased:
            text += "\n\nNot given here (not open to this account, or no figure for the place): " + \
                ", ".join(unreleased) + "."
        if missing:
            text += (f"\n\nNot held for {plan.year}, so left out (never replaced by another year's figure): "
                     + ", ".join(missing) + ".")
        if plain:
            text += "\n\n**In plain words:** " + " ".join(plain)
        if changes:
            text += "\n\n**What changed over the years held:**\n\n" + "\n".join(f"- {c}" for c in changes)
        text += "\n\nNumbers in brackets are the sources listed with this answer."
        table = {"columns": ["Area", "Measure", "Period", "Value", parent.name if parent else "Parent area", "England"],
                 "rows": rows}
        caveats = []
        for s in used:
            caveats += [c for c in s.caveats if c not in caveats][:2]
        if place.level == "ward":
            caveats.append("Ward figures are built from small areas by ONS best fit, so they are approximate.")
        if place.level == "town":
            caveats.insert(0, ans.town_caveat([place.name]))
        return GuardedAnswer(status="answered", answer=text, table=table, chart=None,
                             sql=";\n".join(sqls), datasets=tuple(s.id for s in used),
                             citations=tuple(ans.citation(s) for s in used), caveats=tuple(caveats),
                             plan=plan.to_dict(), suggestions=(f"Which ward in {place.name} is most deprived?",
                                                               f"How has the population of {place.name} changed?",
                                                               f"Show me a map of deprivation in {place.name}")
                             if place.level in ("lad", "region") else
                             (f"How has the population of {place.name} changed?",))

    def _released(self, sub, sheet: Datasheet, question: Question):
        """One open figure for a story, through the governed SQL: ({area code: value}, measure, SQL)."""
        q = queries.build(sub, self.catalog, self.gaz)
        q = replace(q, specs=tuple(s for s in q.specs if s.category != "__councils__"))
        checked = check(queries.statement(q), self.allowed)
        res = disclosure.control(self._run_query(checked, sheet, question, {})[0], [sheet]).result
        if isinstance(sub, CountPlan):
            return {r[3]: r[4] for r in res.rows}, q.measure, checked.sql
        return {r[0]: r[4] for r in res.rows}, q.measure, checked.sql

    def _plain_words(self, place, question: Question, cite, sqls) -> list[str]:
        """Deprivation as people read it: the share of the place's neighbourhoods in the most
        deprived tenth of England, a council's national position, a neighbourhood's decile."""
        out = []
        # the latest neighbourhood-level index that covers the place (deciles are never rolled up)
        refs = sorted((r for r in self.catalog.concepts.get("imd_decile", ()) if r.sheet.geography.level == "lsoa"
                       and not r.sheet.person_level), key=lambda r: str(r.sheet.time.period or ""), reverse=True)
        sheet = None
        for r in refs:
            probe = ValuePlan(Subject("imd_decile", r.sheet.id, Periods()), place.key) if place.level == "lsoa" else \
                CountPlan(Subject("imd_decile", r.sheet.id, Periods()), place.key, "lsoa", Condition("=", 1))
            try:
                queries.validate(probe, self.catalog, self.gaz)
            except CommonsError:
                continue
            sheet = r.sheet
            break
        if sheet is None or policy.decide([sheet], question.actor.role, question.purpose).outcome != "allow":
            return out
        index = sheet.time.label or sheet.title
        if place.level == "lsoa":
            vals, _, sql = self._released(ValuePlan(Subject("imd_decile", sheet.id, Periods()), place.key), sheet, question)
            decile = vals.get(self.catalog.place_code(sheet, place))
            if decile is not None:
                d = int(decile)
                where = ("among the most deprived 10% of neighbourhoods in England" if d == 1 else
                         f"in decile {d} of 10 (1 = the most deprived tenth of England's neighbourhoods)")
                out.append(f"{place.name} is {where} ({index}) [{cite(sheet)}].")
                sqls.append(sql)
            return out
        count = CountPlan(Subject("imd_decile", sheet.id, Periods()), place.key, "lsoa", Condition("=", 1))
        got, _, sql = self._released(count, sheet, question)
        n, total = int(got.get("matching") or 0), int(got.get("all") or 0)
        if total:
            out.append(story.most_deprived_share(place.name, n, total, index) + f" [{cite(sheet)}]")
            sqls.append(sql)
        if place.level == "lad":
            rank = self.catalog.bind("imd_rank", [place], None, None)
            if rank is not None and rank.ref.sheet.geography.level == "lad" and not rank.ref.sheet.person_level:
                rs = rank.ref.sheet
                vals, m, sql = self._released(ValuePlan(Subject("imd_rank", rs.id, Periods()), place.key), rs, question)
                r = vals.get(self.catalog.place_code(rs, place))
                if r is not None:
                    out.append(f"On average IMD score it is the {story.ordinal(int(r))} most deprived council in "
                               f"England (rank 1 = most deprived) [{cite(rs)}].")
                    sqls.append(sql)
        return out

    def _docs(self, planned: Planned, question: Question) -> GuardedAnswer:
        request = planned.docs or {}
        section = request.get("section")
        for did in request.get("datasets") or ():
            sheet = self.sheets.get(did)
            allowed = sheet.section_roles(section) if sheet and section else None
            # Asked for by name ("the methodology of ..."): refused, saying who may see it.
            # Otherwise the search simply skips passages this role may not see.
            if allowed and not sheet.section_visible(section, question.actor.role) and \
                    docs_mod.names_section(request.get("query") or "", section):
                return GuardedAnswer(status="refused", datasets=(did,), answer=(
                    f"The {section} section of {sheet.title} is restricted to these roles: {', '.join(allowed)}. "
                    f"Contact the steward: {sheet.steward.name} ({sheet.steward.contact}). "
                    "(rule: docs.restricted_section)"))
        return self._docs_answer(planned, question)

    def _docs_answer(self, planned: Planned, question: Question) -> GuardedAnswer:
        text, found = docs_mod.answer(self.sheets, planned.docs, index=self.docs_index,
                                      role=question.actor.role, redact=lambda t: inbound.redact(t)[0])
        used = [d for d in dict.fromkeys(p.dataset for p in found) if d in self.sheets]
        return GuardedAnswer(status="answered", answer=text, datasets=tuple(used),
                             citations=tuple(ans.citation(self.sheets[d]) for d in used))

    def _metric_candidates(self, text: str, k: int = 3):
        """Ranked candidate measures for words the planner's lexicon did not recognise."""
        try:
            return self.docs_index.metrics.candidates(text, k=k)
        except CommonsError as e:
            log.warning("measure index unavailable: %s", e)
            return []

def _scrubbed(question: Question) -> Question:
    """Text of any kind in, ordinary text on: a lone surrogate (bytes that were not UTF-8, or
    JSON such as "\\ud800") becomes the replacement character in every field a question carries."""
    def clean(v):
        return v.encode("utf-8", "replace").decode("utf-8") if isinstance(v, str) else v
    if all(clean(v) == v for v in (question.text, question.purpose, question.conversation_id)):
        return question
    return replace(question, text=clean(question.text), purpose=clean(question.purpose),
                   conversation_id=clean(question.conversation_id))


def new_conversation_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"
