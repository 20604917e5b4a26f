"""A property test over thousands of generated questions: whatever is asked, the product
never fails inside.

Questions are made from templates: an opener x a topic (every measure label, synonym and
dimension value the datasheets declare) x a place (councils, wards, neighbourhoods, the city
region, England, places the commons does not hold) x a period (years, months, seasons,
ranges, relative words) x a qualifier (exclusions, sub-groups, top N, per 1,000, orders), and
follow-ups in the same conversation.  For every one of them:

- no internal error (status is never "error"), and a status from the contract;
- every plan in an answer is valid (it reads back, passes the plan invariants) and builds
  non-empty SQL that passes the safety check;
- every question appends exactly one audit record, and the chain verifies at the end.
"""

from __future__ import annotations

import json
import os
import random

import pytest

from assistant import queries
from assistant.sql import check
from kernel.plans import EditionsPlan, RelationPlan, SummaryPlan, plan_from_dict
from kernel.types import Question

# 1,500 by default (the whole suite runs in CI within its 20 minutes); COMMONS_TEST_GENERATED=N for more.
N_QUESTIONS = int(os.environ.get("COMMONS_TEST_GENERATED", "1500"))
STATUSES = {"answered", "clarify", "refused", "needs_review", "no_data"}

OPENERS = ["what is the {t} in {p}{w}", "how many {t} in {p}{w}", "{t} in {p}{w}", "show me {t} for {p}{w}",
           "which ward in {p} has the highest {t}{w}", "which council has the lowest {t}{w}",
           "what were the top 3 {t} in {p}{w}", "what were the most common {t} in {p}{w}",
           "compare {t} in {p} and {p2}{w}", "how has {t} changed in {p}", "{t} trend for {p}",
           "break down {t} in {p} by type{w}", "how many neighbourhoods in {p} are in the most deprived 10%",
           "give me a summary of {p}", "is {t} higher in {p} than in {p2}{w}", "tell me about {t} in {p}{w}",
           "rank the wards of {p} by {t}{w}", "what share of {p2}'s {t} is in {p}{w}",
           "i'm writing a funding bid for a food bank in {p} and need {t}{w}", "{t} {p} {w} pls"]
PERIODS = ["", " in 2019", " in 2020", " in october 2019", " in autumn 2019", " between 2017 and 2019",
           " from september to november 2019", " last year", " five years ago", " in q4 2019", " since 2018",
           " in the last two months of 2019", " in 2031", " in mid-2018", " in 2022/23", " before 2020"]
QUALIFIERS = ["", " excluding anti-social behaviour", " other than burglary", " for women", " aged under 16",
              " per 1,000 residents", " lowest first", " top 5", " that were solved", " in flats",
              " not in the most deprived decile", " how many more than last year", " as a percentage"]
FOLLOW_UPS = ["and in 2019?", "what about Wirral?", "break that down by month", "and Sefton", "why?",
              "what can you do?", "and the year before?", "same for the city region", "top 3 only", "thanks"]
EXTRA_PLACES = ["Birkenhead, Tasmania", "Manchester", "near me", "Kirkby", "the six councils", "Bootle",
                "my area", "Everton", "Church ward", "St. Helens", "the city region", "England", "L4 0TH"]


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def _topics(pipeline) -> list[str]:
    out = set()
    for sheet in pipeline.sheets.values():
        for m in sheet.measures:
            out.add(m.label.lower())
            out.update(s.lower() for s in m.synonyms[:4])
        for d in sheet.dimensions:
            out.add(d.label.lower())
    for (dataset, column), values in pipeline.catalog.dim_values.items():
        if column != (pipeline.sheets[dataset].time.column or ""):
            out.update(str(v).lower() for v in values[:6])
    return sorted(out)


def _places(pipeline) -> list[str]:
    gaz = pipeline.gaz
    wards = sorted(p.name for p in gaz.places.values() if p.level == "ward")
    lsoas = sorted(p.name for p in gaz.places.values() if p.level == "lsoa")
    rng = random.Random(11)
    return [p.name for p in gaz.lads()] + rng.sample(wards, 25) + rng.sample(lsoas, 10) + EXTRA_PLACES


def _questions(pipeline, n: int):
    """(conversation id, question) pairs: about one in five is a follow-up in a conversation."""
    rng = random.Random(2026)
    topics, places = _topics(pipeline), _places(pipeline)
    out = []
    conv = 0
    while len(out) < n:
        conv += 1
        cid = f"gen-{conv}"
        p, p2 = rng.sample(places, 2)
        q = rng.choice(OPENERS).format(t=rng.choice(topics), p=p, p2=p2,
                                       w=rng.choice(PERIODS) + rng.choice(QUALIFIERS))
        out.append((cid, q))
        for _ in range(rng.choice((0, 0, 0, 1, 2))):
            out.append((cid, rng.choice(FOLLOW_UPS)))
    return out[:n]


def _assert_plan_builds(pipeline, plan_dict: dict) -> None:
    plan = plan_from_dict(plan_dict)
    queries.validate(plan, pipeline.catalog, pipeline.gaz)
    if isinstance(plan, SummaryPlan):
        return
    if isinstance(plan, (EditionsPlan, RelationPlan)):
        # a composite: each part is its own governed query
        for part in (plan.parts if isinstance(plan, EditionsPlan) else (plan.x, plan.y)):
            _assert_plan_builds(pipeline, part.to_dict())
        return
    q = queries.build(plan, pipeline.catalog, pipeline.gaz)
    assert q.specs
    checked = check(queries.statement(q), pipeline.allowed)
    assert checked.sql.strip().lower().startswith(("select", "(select", "with"))


class _NewRecords:
    """The audit records appended since the last call (reads only the new end of the log)."""

    def __init__(self, path):
        self.path, self.offset = path, path.stat().st_size if path.exists() else 0

    def __call__(self) -> list[dict]:
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = fh.read()
        self.offset += len(data)
        return [json.loads(line) for line in data.splitlines() if line.strip()]


def test_thousands_of_generated_questions_never_fail_inside(pipeline):
    cases = _questions(pipeline, N_QUESTIONS)
    assert len(cases) == N_QUESTIONS
    seq = (pipeline.audit.head() or {"seq": -1})["seq"]
    new_records = _NewRecords(pipeline.settings.audit_path)
    problems, statuses, plans = [], {}, 0
    for cid, text in cases:
        answer = pipeline.ask(Question(text=text, conversation_id=cid))
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        head = pipeline.audit.head()["seq"]
        if answer.status not in STATUSES:
            problems.append(f"{text!r}: status {answer.status} ({answer.answer[:80]})")
        # one question record each (the write-ahead "query" records of its queries come before it)
        events = [r["event"] for r in new_records()]
        if events.count("question") != 1 or set(events) - {"question", "query"} or events[-1] != "question":
            problems.append(f"{text!r}: audit records {events} instead of one question record")
        seq = head
        if answer.plan:
            plans += 1
            try:
                _assert_plan_builds(pipeline, answer.plan)
            except Exception as e:  # noqa: BLE001 - collected and reported below
                problems.append(f"{text!r}: plan does not build: {type(e).__name__}: {e}")
    assert not problems, f"{len(problems)} of {len(cases)} questions:\n" + "\n".join(problems[:30])
    # the templates make many odd questions on purpose; a good share must still be answered
    assert statuses.get("answered", 0) > N_QUESTIONS // 10, statuses
    assert plans > N_QUESTIONS // 10
    ok, message = pipeline.audit.verify()
    assert ok, message
