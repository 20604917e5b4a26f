"""End-to-end behaviour of the core pipeline, checked against the shipped CSVs.

Expected figures are computed here from data/raw with the csv module, never copied from
the product.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import raw_rows

from assistant.pipeline import Pipeline
from kernel.types import Question

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
STATUSES = {"answered", "clarify", "refused", "needs_review", "no_data"}


def population_la(area: str, year: int) -> int:
    for r in raw_rows("population_la_mid2019_2020_lcr_england.csv"):
        if r["area_name"] == area and int(r["year"]) == year:
            return int(r["pop_total"])
    raise KeyError((area, year))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def ask(pipeline: Pipeline, text: str, conversation: str | None = None):
    return pipeline.ask(Question(text=text, conversation_id=conversation))


def _table_value(answer, area: str):
    assert answer.table is not None, answer.answer
    for row in answer.table["rows"]:
        if row[0] == area:
            return row[-1]
    raise AssertionError(f"{area} not in table rows {answer.table['rows']}")


# -- a conversation about population ------------------------------------------------------
def test_population_of_liverpool_2020_matches_csv(pipeline):
    expected = population_la("Liverpool", 2020)
    a = ask(pipeline, "What was the population of Liverpool in 2020?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == "Liverpool"
    assert _table_value(a, "Liverpool") == expected
    assert f"{expected:,}" in a.answer
    assert a.sql is not None and a.sql.lstrip().upper().startswith("SELECT")
    assert a.citations
    assert any("ONS" in c.publisher for c in a.citations)
    assert any("Open Government Licence" in c.licence for c in a.citations)
    assert a.audit_id


def test_follow_ups_keep_the_conversation(pipeline):
    cid = "core-followups"
    first = ask(pipeline, "What was the population of Liverpool in 2020?", cid)
    assert first.status == "answered"
    second = ask(pipeline, "and in 2019?", cid)
    assert second.status == "answered", second.answer
    assert second.table["rows"][0][0] == "Liverpool"
    assert _table_value(second, "Liverpool") == population_la("Liverpool", 2019)
    assert f"{population_la('Liverpool', 2019):,}" in second.answer
    third = ask(pipeline, "what about Wirral?", cid)
    assert third.status == "answered", third.answer
    assert third.table["rows"][0][0] == "Wirral"
    assert _table_value(third, "Wirral") == population_la("Wirral", 2019)
    assert f"{population_la('Wirral', 2019):,}" in third.answer


def test_follow_ups_in_another_conversation_do_not_leak(pipeline):
    ask(pipeline, "What was the population of Liverpool in 2020?", "core-leak-a")
    other = ask(pipeline, "and in 2019?", "core-leak-b")
    # With no context the follow-up cannot be about Liverpool's population.
    assert not (other.status == "answered" and other.table and other.table["rows"][0][0] == "Liverpool"
                and _table_value(other, "Liverpool") == population_la("Liverpool", 2019))


def test_a_conversation_id_used_by_someone_else_starts_afresh(pipeline):
    """One person's question is never the context of another's (a blind red team's follow-up under
    another account's conversation id was understood as that account's question)."""
    from kernel.types import Actor
    first = pipeline.ask(Question(text="What was the population of Liverpool in 2020?", conversation_id="core-shared",
                                  actor=Actor("browser-aaaa", "resident")))
    assert first.status == "answered"
    other = pipeline.ask(Question(text="and in 2019?", conversation_id="core-shared",
                                  actor=Actor("browser-bbbb", "resident")))
    assert "Liverpool" not in (other.understood or "") and not (other.table and other.table["rows"][0][0] == "Liverpool")
    again = pipeline.ask(Question(text="and in 2019?", conversation_id="core-shared", actor=Actor("browser-aaaa", "resident")))
    assert again.status == "answered" and _table_value(again, "Liverpool") == population_la("Liverpool", 2019)


def _church_ward_sefton_population() -> int:
    lsoas = {r["lsoa21cd"] for r in raw_rows("lookup_lsoa21_ward24_lad24_lcr.csv")
             if r["wd24nm"] == "Church" and r["lad24nm"] == "Sefton"}
    assert lsoas
    return sum(int(r["age6__total_usual_residents"]) for r in raw_rows("census2021_lsoa21_lcr.csv")
               if r["lsoa21cd"] in lsoas)


def test_ambiguous_ward_asks_and_the_answer_resolves_it(pipeline):
    cid = "core-church"
    a = ask(pipeline, "population of Church ward", cid)
    assert a.status == "clarify", a.answer
    assert len(a.options) == 2
    assert any("Liverpool" in o for o in a.options)
    assert any("Sefton" in o for o in a.options)
    b = ask(pipeline, "Sefton", cid)
    assert b.status == "answered", b.answer
    first = b.table["rows"][0]
    assert "Church" in first[0] and "Sefton" in first[0]
    assert first[-1] == _church_ward_sefton_population()
    assert b.citations


@pytest.mark.parametrize("text", ["population of Manchester", "life expectancy in Liverpool"])
def test_outside_the_commons_is_no_data(pipeline, text):
    a = ask(pipeline, text)
    assert a.status == "no_data", a.answer
    assert a.answer.strip()
    assert a.table is None and a.sql is None


def test_highest_crime_severity_is_the_csv_max(pipeline):
    rows = raw_rows("crime_severity_score_la_2022_23_lcr.csv")
    top = max(rows, key=lambda r: float(r["crime_severity_score"]))
    a = ask(pipeline, "which council has the highest crime severity score")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == top["ltla23_name"]
    assert a.table["rows"][0][1] == pytest.approx(float(top["crime_severity_score"]))
    values = [r[1] for r in a.table["rows"]]
    assert values == sorted(values, reverse=True)
    assert len(a.table["rows"]) == len(rows)


def test_count_of_most_deprived_lsoas_in_knowsley(pipeline):
    rows = raw_rows("iod2025_lsoa21_lcr.csv")
    expected = sum(1 for r in rows if r["lad24nm"] == "Knowsley" and int(r["imd_decile"]) == 1)
    total = sum(1 for r in rows if r["lad24nm"] == "Knowsley")
    a = ask(pipeline, "how many lsoas in knowsley are in the most deprived 10%")
    assert a.status == "answered", a.answer
    cols = a.table["columns"]
    row = a.table["rows"][0]
    assert row[cols.index("Matching areas")] == expected
    assert row[cols.index("All areas")] == total
    assert f"**{expected}**" in a.answer


def test_summary_of_knowsley_has_severalraw_rows(pipeline):
    a = ask(pipeline, "give me a summary of Knowsley")
    assert a.status == "answered", a.answer
    assert len(a.table["rows"]) >= 3
    assert all(r[0] == "Knowsley" for r in a.table["rows"])
    assert len(a.citations) >= 2
    assert a.sql is not None


def test_docs_question_names_the_publisher(pipeline):
    a = ask(pipeline, "who publishes the crime severity data?")
    assert a.status == "answered", a.answer
    assert "ONS" in a.answer
    assert a.citations and any("ONS" in c.publisher for c in a.citations)


def test_comparison_has_a_vega_lite_chart(pipeline):
    a = ask(pipeline, "compare the population of Liverpool and Wirral")
    assert a.status == "answered", a.answer
    assert isinstance(a.chart, dict) and "$schema" in a.chart
    assert "vega-lite" in a.chart["$schema"]
    assert len(a.chart["data"]["values"]) == len(a.table["rows"]) >= 2


@pytest.mark.parametrize("text", [
    "What was the population of Liverpool in 2020?",
    "which council has the highest crime severity score",
    "how many lsoas in knowsley are in the most deprived 10%",
    "give me a summary of Knowsley",
    "who publishes the crime severity data?",
    "compare the population of Liverpool and Wirral",
    "homelessness in Halton",
])
def test_every_answer_is_cited(pipeline, text):
    a = ask(pipeline, text)
    assert a.status in STATUSES
    if a.status == "answered":
        assert a.citations, f"answered without citations: {text}"
        for c in a.citations:
            assert c.publisher and c.licence and c.source


# -- bad input ----------------------------------------------------------------------------
BAD_INPUTS = [
    "",
    "   ",
    "population of Liverpool " * 4200,        # ~100 KB
    "\x00\x01\x02garbage",
    "'; DROP TABLE ds_population_la; --",
    "SELECT * FROM read_csv('/etc/passwd')",
    "🙂🙂",
    "¿Cuál es la población de Liverpool?",
    "ليفربول سكان",
]


def test_bad_input_never_raises_and_writes_nothing(pipeline):
    store = pipeline.settings.store_path
    store_before = _sha256(store)
    raw_before = _tree_hashes(RAW)
    assert len(BAD_INPUTS[2]) >= 100_000
    for text in BAD_INPUTS:
        a = ask(pipeline, text, "core-bad-input")
        assert a.status in STATUSES, (text[:40], a.status)
        assert a.answer.strip(), text[:40]
        assert a.status != "answered" or text.startswith("¿"), (text[:40], a.answer)
    # The injection attempts were turned away, not run.
    for text in BAD_INPUTS[4:6]:
        assert ask(pipeline, text).status == "refused"
    assert _sha256(store) == store_before
    assert _tree_hashes(RAW) == raw_before
    # And the store still answers.
    a = ask(pipeline, "What was the population of Liverpool in 2020?")
    assert _table_value(a, "Liverpool") == population_la("Liverpool", 2020)
