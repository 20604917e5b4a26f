"""The pipeline: one object that wires the stages together once and answers questions.

    screen -> plan -> policy -> build SQL (AST) -> check -> execute (read-only)
           -> disclosure control -> compose -> outbound PII scan -> audit

IO lives at the edges (the store, the audit log, the conversation files) and is passed in
when the pipeline is opened; the stages in between are pure functions.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable

from assistant import answers as ans
from assistant.conversation import Conversations
from assistant.errors import CommonsError, QueryTimeout
from assistant.planner import SUMMARY_CONCEPTS, Planned, Planner
from assistant.semantic import Catalog
from assistant.settings import Settings
from assistant.sql import allowed_columns, build_union, check
from assistant.types import GuardedAnswer, QueryPlan, Question
from guardrails import disclosure, inbound, policy
from guardrails.audit import AuditLog
from retrieval import docs as docs_mod
from retrieval.datasheets import Datasheet, load_datasheets
from retrieval.geography import Gazetteer
from retrieval.store import Store, build_store

log = logging.getLogger(__name__)


def _suggest(plan: QueryPlan, gaz: Gazetteer, catalog: Catalog) -> tuple[str, ...]:
    """Follow-ups that the planner answers as written (each is a complete question)."""
    p = gaz.get(plan.places[0]) if plan.places else gaz.region()
    place = f"{p.name} ward in {p.lad_name}" if p.level == "ward" else p.name
    label = catalog.label(plan.measure).lower() if plan.measure in catalog.concepts else ""
    out = []
    if plan.intent in ("value", "comparison") and plan.period and plan.period.isdigit() and \
            str(int(plan.period) - 1) in {x[:4] for x in catalog.periods.get(plan.dataset, ())}:
        out.append(f"and in {int(plan.period) - 1}?")
    if plan.intent != "summary" and p.level != "country":
        out.append(f"Give me a summary of {place}")
    if plan.intent == "value" and label and p.level == "lad":
        out.append(f"Which council has the highest {label}?")
    if label:
        out.append(f"Who publishes the {label} data?")
    return tuple(out[:3])


class Pipeline:
    def __init__(self, settings: Settings, sheets: dict[str, Datasheet], store: Store,
                 gazetteer: Gazetteer, audit: AuditLog):
        self.settings = settings
        self.sheets = sheets
        self.store = store
        self.gaz = gazetteer
        self.audit = audit
        self.catalog = Catalog.from_store(sheets, store)
        self.planner = Planner(self.catalog, gazetteer, settings.fuzzy_place_cutoff)
        self.allowed = allowed_columns(sheets)
        self.conversations = Conversations(settings.conversations_dir)

    @classmethod
    def open(cls, settings: Settings | None = None,
             progress: Callable[[str], None] | None = None) -> "Pipeline":
        settings = settings or Settings.load()
        data_dir = Path(settings.data_dir)
        sheets = load_datasheets(data_dir / "datasheets", data_dir)
        build_store(settings.store_path, sheets, data_dir, progress)
        store = Store(settings.store_path, settings.query_timeout_s, settings.row_cap)
        gaz = Gazetteer.from_lookups(data_dir / "raw")
        return cls(settings, sheets, store, gaz, AuditLog(settings.audit_path))

    # -- the one public verb ------------------------------------------------------------
    def ask(self, question: Question) -> GuardedAnswer:
        started = time.perf_counter()
        screened = inbound.screen(question.text, self.settings.max_question_chars)
        record = {"actor": question.actor.id, "role": question.actor.role, "purpose": question.purpose,
                  "conversation": question.conversation_id, "question": screened.text[:2000],
                  "pii_found": list(screened.findings)}
        if screened.problem:
            answer = GuardedAnswer(status=screened.status, answer=screened.problem)
            return self._finish(answer, record, started)
        state = self.conversations.load(question.conversation_id)
        try:
            planned = self.planner.plan(screened.text, state)
            answer = self._answer(planned, question)
        except QueryTimeout as e:
            answer = GuardedAnswer(status="no_data", answer=str(e))
        except CommonsError as e:
            log.warning("question failed: %s", e)
            answer = GuardedAnswer(status="no_data", answer=f"Sorry, that could not be answered: {e}")
        self.conversations.save(question.conversation_id, planned.state if "planned" in locals() else state)
        record["plan"] = answer.plan
        return self._finish(answer, record, started)

    def _finish(self, answer: GuardedAnswer, record: dict, started: float) -> GuardedAnswer:
        answer = self._outbound(answer)
        cells = len(answer.table["rows"]) if answer.table else 0
        audit_id = self.audit.append("question", **record, status=answer.status, sql=answer.sql,
                                     datasets=list(answer.datasets), released_cells=cells,
                                     elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
        return replace(answer, audit_id=audit_id)

    def _outbound(self, answer: GuardedAnswer) -> GuardedAnswer:
        """No identifier leaves: the answer text and every table cell are scanned."""
        text, found = inbound.redact(answer.answer)
        table = answer.table
        if table:
            rows = []
            for row in table["rows"]:
                rows.append([inbound.redact(c)[0] if isinstance(c, str) else c for c in row])
            table = {**table, "rows": rows}
        return replace(answer, answer=text, table=table) if found or table is not answer.table else answer

    # -- stages ---------------------------------------------------------------------------
    def _answer(self, planned: Planned, question: Question) -> GuardedAnswer:
        if planned.kind == "clarify":
            return GuardedAnswer(status="clarify", answer=planned.message, options=planned.options)
        if planned.kind == "no_data":
            return GuardedAnswer(status="no_data", answer=planned.message)
        if planned.kind == "docs":
            return self._docs(planned, question)
        plan = planned.plan
        if plan.intent == "summary":
            return self._summary(plan, question)
        sheet = self.sheets[plan.dataset]
        decision = policy.decide([sheet], question.actor.role, question.purpose)
        if decision.outcome != "allow":
            return GuardedAnswer(status="refused" if decision.outcome == "refuse" else "needs_review",
                                 answer=decision.reason, datasets=(sheet.id,), plan=plan.to_dict())
        q = ans.queries_for(plan, self.catalog, self.gaz)
        checked = check(build_union([(q.sheet, s) for s in q.specs]), self.allowed)
        result = self.store.execute(checked)
        controlled = disclosure.control(result, [sheet])
        composed = ans.compose(plan, q, controlled.result, self.gaz)
        caveats = ans.caveats_for(plan, sheet, self.gaz) + ([planned.message] if planned.message else [])
        text = composed.text
        return GuardedAnswer(status=composed.status, answer=text, table=composed.table,
                             chart=composed.chart, sql=checked.sql, datasets=(sheet.id,),
                             citations=(ans.citation(sheet),), caveats=tuple(caveats),
                             plan=plan.to_dict(),
                             suggestions=_suggest(plan, self.gaz, self.catalog) if composed.status == "answered" else ())

    def _summary(self, plan: QueryPlan, question: Question) -> GuardedAnswer:
        place = self.gaz.get(plan.places[0])
        parent = self.gaz.parent(place)
        lines, rows, sqls, used = [], [], [], []
        for concept in SUMMARY_CONCEPTS:
            binding = self.catalog.bind(concept, [place], None, None)
            if binding is None:
                continue
            sheet = binding.ref.sheet
            if policy.decide([sheet], question.actor.role, question.purpose).outcome != "allow":
                continue
            period = binding.periods[-1][:4] if sheet.time.granularity == "month" else binding.periods[-1]
            sub = QueryPlan(intent="value", measure=concept, dataset=sheet.id, places=(place.key,),
                            period=period, period_defaulted=True)
            q = ans.queries_for(sub, self.catalog, self.gaz)
            q = replace(q, specs=tuple(s for s in q.specs if s.category != "__councils__"))
            checked = check(build_union([(q.sheet, s) for s in q.specs]), self.allowed)
            res = disclosure.control(self.store.execute(checked), [sheet]).result
            vals = {r[0]: r[4] for r in res.rows}
            main = vals.get(self.catalog.place_code(sheet, place)) if place.level != "region" else vals.get(place.any_code)
            if main is None:
                continue
            m = q.measure
            when = ans.period_label(sheet, period, self.catalog.periods.get(sheet.id, ()))
            ctx = [(n, vals.get(c)) for n, c in ((parent.name if parent else None, parent.any_code if parent else None),
                                                 ("England", sheet.geography.extra_rows.get("country")))
                   if n and c in vals and c != place.any_code]
            lines.append(f"- **{m.label}** ({when}): **{ans.fmt(main, m)}**" +
                         (" (" + "; ".join(f"{n} {ans.fmt(v, m)}" for n, v in ctx) + ")" if ctx else ""))
            rows.append([place.name, m.label, when if len(when) < 40 else period, ans.rounded(main, m),
                         ans.rounded(dict(ctx).get(parent.name) if parent else None, m),
                         ans.rounded(dict(ctx).get("England"), m)])
            sqls.append(checked.sql)
            if sheet not in used:
                used.append(sheet)
        if not lines:
            return GuardedAnswer(status="no_data", answer=f"The commons holds no figures for {place.display}.")
        text = f"**Summary of {place.display}** (latest figures the commons holds):\n\n" + "\n".join(lines)
        table = {"columns": ["Area", "Measure", "Period", "Value", parent.name if parent else "Parent area", "England"],
                 "rows": rows}
        caveats = []
        for s in used:
            caveats += [c for c in s.caveats if c not in caveats][:2]
        if place.level == "ward":
            caveats.append("Ward figures are built from small areas by ONS best fit, so they are approximate.")
        return GuardedAnswer(status="answered", answer=text, table=table, chart=None,
                             sql=";\n".join(sqls), datasets=tuple(s.id for s in used),
                             citations=tuple(ans.citation(s) for s in used), caveats=tuple(caveats),
                             plan=plan.to_dict(), suggestions=(f"Which ward in {place.name} is most deprived?",
                                                               f"How has the population of {place.name} changed?"))

    def _docs(self, planned: Planned, question: Question) -> GuardedAnswer:
        text, found = docs_mod.answer(self.sheets, planned.docs)
        used = list(dict.fromkeys(p.dataset for p in found))
        return GuardedAnswer(status="answered", answer=text, datasets=tuple(used),
                             citations=tuple(ans.citation(self.sheets[d]) for d in used))

    def close(self) -> None:
        self.store.close()


def new_conversation_id() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"
