"""The evaluation suite file and the runner's answer matching."""

from __future__ import annotations

import json
import sys
from assistant.stewardship import Stewardship
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval import build_public_suite as builder  # noqa: E402
from eval.runner import load_suite, parse_number, run_suite, score_case  # noqa: E402

SUITE_FILE = ROOT / "eval" / "suites" / "public.jsonl"
INTENTS = {"value", "comparison", "ranking", "trend", "breakdown", "summary", "count"}


def ans(rows, columns=None, status="answered", text="..."):
    columns = columns or ["Area"] + [f"c{i}" for i in range(max(len(r) for r in rows) - 1)]
    return {"status": status, "answer": text, "table": {"columns": columns, "rows": rows}}


def case(expect, intent="value"):
    return {"id": "t-001", "intent": intent, "question": "q", "conversation": None, "expect": expect}


# --------------------------------------------------------------------------- matching

def test_matching_answer_passes():
    c = case({"status": "answered", "rows": [{"place": "Liverpool", "value": 500474, "decimals": 0}]})
    s = score_case(c, ans([["Liverpool", 2020, 500474]]))
    assert s["passed"] and not s["wrong_number"]
    assert s["status"] == s["expected_status"] == "answered"


def test_wrong_figure_is_wrong_number():
    c = case({"status": "answered", "rows": [{"place": "Liverpool", "value": 500474, "decimals": 0}]})
    s = score_case(c, ans([["Liverpool", 2020, 498042]]))
    assert not s["passed"] and s["wrong_number"]
    assert "500474" in s["detail"]


def test_missing_table_is_failure_not_wrong_number():
    c = case({"status": "answered", "rows": [{"place": "Liverpool", "value": 500474, "decimals": 0}]})
    s = score_case(c, {"status": "answered", "answer": "about half a million", "table": None})
    assert not s["passed"] and not s["wrong_number"]


def test_tolerance_follows_decimals():
    c = case({"status": "answered", "rows": [{"place": "Knowsley", "value": 36.15712, "decimals": 3}]})
    assert score_case(c, ans([["Knowsley", 36.157]]))["passed"]
    assert score_case(c, ans([["Knowsley", "36.16"]]))["wrong_number"]
    c1 = case({"status": "answered", "rows": [{"place": "Knowsley", "value": 25.25, "decimals": 1}]})
    assert score_case(c1, ans([["Knowsley", 25.3]]))["passed"]
    assert score_case(c1, ans([["Knowsley", 25.2]]))["passed"]
    assert not score_case(c1, ans([["Knowsley", 25.4]]))["passed"]


def test_clarify_and_no_data_status():
    assert score_case(case({"status": "clarify"}), {"status": "clarify", "answer": "which?", "table": None})["passed"]
    s = score_case(case({"status": "clarify"}), ans([["Church", 12078]]))
    # a figure where a question back was due answers a question that may not have been asked
    assert not s["passed"] and s["wrong_number"] and s["status"] == "answered"
    assert score_case(case({"status": "no_data"}), {"status": "no_data", "answer": "", "table": None})["passed"]
    s = score_case(case({"status": "no_data"}), ans([["Manchester", 550000]]))
    assert not s["passed"] and s["expected_status"] == "no_data"
    # expected an answer, got no_data: a failure, but not a wrong number
    s = score_case(case({"status": "answered", "rows": [{"place": "Wirral", "value": 1, "decimals": 0}]}),
                   {"status": "no_data", "answer": "", "table": None})
    assert not s["passed"] and not s["wrong_number"]


def test_ranking_order():
    c = case({"status": "answered", "top": ["Knowsley", "Liverpool"]}, intent="ranking")
    assert score_case(c, ans([["Knowsley", 43.0], ["Liverpool", 42.4], ["Halton", 32.3]]))["passed"]
    s = score_case(c, ans([["Liverpool", 42.4], ["Knowsley", 43.0]]))
    assert not s["passed"] and "ranking" in s["detail"]
    assert not score_case(c, ans([["Knowsley", 43.0]]))["passed"]


def test_string_cells_with_commas_and_percent():
    c = case({"status": "answered", "rows": [{"place": "Liverpool", "value": 500474, "decimals": 0}]})
    assert score_case(c, ans([["Liverpool", "500,474"]]))["passed"]
    c = case({"status": "answered", "rows": [{"place": "Liverpool", "value": 25.3, "decimals": 1}]})
    assert score_case(c, ans([["Liverpool", "25.3%"]]))["passed"]
    assert parse_number("1,559,320") == 1559320
    assert parse_number("25.3%") == 25.3
    assert parse_number("Liverpool") is None and parse_number(None) is None and parse_number(True) is None


def test_st_helens_normalisation():
    c = case({"status": "answered", "rows": [{"place": "St Helens", "value": 181095, "decimals": 0}]})
    assert score_case(c, ans([["St. Helens", 181095]]))["passed"]
    c = case({"status": "answered", "rows": [{"place": "St. Helens", "value": 181095, "decimals": 0}]})
    assert score_case(c, ans([["st helens (E08000013)", "181,095"]]))["passed"]


def test_place_prefers_exact_row_over_city_region():
    c = case({"status": "answered", "rows": [{"place": "Liverpool", "value": 1559320, "decimals": 0}]})
    s = score_case(c, ans([["Liverpool", 498042], ["Liverpool City Region", 1559320]]))
    assert not s["passed"] and s["wrong_number"]


def test_category_rows_and_month_labels():
    exp = {"status": "answered", "rows": [
        {"place": "Knowsley", "value": 120, "decimals": 0, "category": "Burglary"},
        {"place": "Knowsley", "value": 300, "decimals": 0, "category": "2019-10"}]}
    long = ans([["Knowsley", "Burglary", 120], ["Knowsley", "Drugs", 300], ["Knowsley", "Oct 2019", 300]])
    assert score_case(case(exp), long)["passed"]
    wrong = ans([["Knowsley", "Burglary", 300], ["Knowsley", "Drugs", 120], ["Knowsley", "2019-11", 300]])
    assert not score_case(case(exp), wrong)["passed"]
    # wide tables: the category may be the column header of the matching cell
    wide = ans([["Knowsley", 120, 300]], columns=["Area", "Burglary", "October 2019"])
    assert score_case(case(exp), wide)["passed"]
    # a year category matches a numeric year cell exactly, not a count that contains its digits
    yexp = {"status": "answered", "rows": [{"place": "Sefton", "value": 65126, "decimals": 0, "category": "65"}]}
    assert not score_case(case(yexp), ans([["Sefton", 65126]]))["passed"]
    assert score_case(case(yexp), ans([["Sefton", "65 and over", 65126]]))["passed"]


def test_run_suite_reports(tmp_path):
    cases = [
        case({"status": "answered", "rows": [{"place": "Halton", "value": 1, "decimals": 0}]}),
        {**case({"status": "no_data"}), "id": "t-002", "intent": "no_data", "conversation": "c1"},
        {**case({"status": "no_data"}), "id": "t-003", "intent": "no_data", "conversation": "c1"},
    ]
    seen = []

    def ask(q, conv):
        seen.append(conv)
        if conv is None:
            return ans([["Halton", 2]])
        return {"status": "no_data", "answer": "not held", "table": None}

    rep = run_suite("inline", ask, cases=cases)
    assert rep["cases"] == 3 and rep["passed"] == 2 and rep["wrong_number"] == 1
    assert rep["no_data"] == 2 and rep["clarify"] == 0
    assert rep["per_intent"]["no_data"] == {"cases": 2, "passed": 2, "accuracy_pct": 100.0}
    assert rep["failures"][0]["question"] == "q" and rep["failures"][0]["answer"] == "..."
    assert seen[0] is None and seen[1] == seen[2] and seen[1].startswith("eval-") and seen[1].endswith("c1")
    assert rep["p95_ms"] >= rep["p50_ms"] >= 0
    seen.clear()
    run_suite("inline", ask, cases=cases)
    assert seen[1] != rep["failures"][0].get("conversation")  # fresh conversation id per run

    def boom(q, conv):
        raise RuntimeError("pipeline down")

    rep = run_suite("inline", boom, cases=cases)
    assert rep["passed"] == 0 and rep["statuses"] == {"error": 3}


# --------------------------------------------------------------------------- the suite file

@pytest.fixture(scope="module")
def suite():
    return load_suite("public")


def test_suite_shape(suite):
    ids = [c["id"] for c in suite]
    assert len(ids) == len(set(ids)), "ids must be unique"
    singles = [c for c in suite if c["conversation"] is None]
    assert len(singles) >= 80
    assert len(suite) >= 100
    for c in suite:
        assert set(c) == {"id", "intent", "datasets", "question", "conversation", "expect", "note"}
        assert c["intent"] in builder.INTENTS
        assert c["question"] and c["note"]
        assert c["expect"]["status"] in {"answered", "clarify", "no_data"}
        if c["expect"]["status"] == "answered":
            assert c["expect"].get("rows") or c["expect"].get("top")
            for r in c["expect"].get("rows", []):
                assert isinstance(r["value"], (int, float)) and isinstance(r["decimals"], int)
                assert r["place"]


def test_every_intent_and_status_present(suite):
    answered_intents = {c["intent"] for c in suite if c["expect"]["status"] == "answered"}
    assert INTENTS <= answered_intents
    single_intents = {c["intent"] for c in suite if c["conversation"] is None}
    assert INTENTS <= single_intents
    assert sum(c["expect"]["status"] == "clarify" for c in suite) >= 5
    assert sum(c["expect"]["status"] == "no_data" for c in suite) >= 8


def test_conversations(suite):
    convs: dict[str, list[dict]] = {}
    for c in suite:
        if c["conversation"]:
            convs.setdefault(c["conversation"], []).append(c)
    assert len(convs) >= 6
    assert all(2 <= len(turns) <= 3 for turns in convs.values())
    # turns of a conversation are contiguous in the file
    order = [c["conversation"] for c in suite if c["conversation"]]
    assert order == sorted(order, key=lambda k: order.index(k))


def test_every_dataset_covered(suite):
    used = {d for c in suite for d in c["datasets"]}
    assert set(builder.DATASET_IDS) <= used
    assert used <= set(builder.DATASET_IDS)


def test_oracle_answers_pass_and_perturbed_fail(suite):
    """An answer built from each expectation passes; shifting its numbers is a wrong number."""
    for c in suite:
        exp = c["expect"]
        if exp["status"] != "answered":
            continue
        rows = [[r["place"], r.get("category", ""), r["value"]] for r in exp.get("rows", [])]
        top = exp.get("top") or []
        rows = [[t, "", 0] for t in top if not any(r[0] == t for r in rows)] + rows
        if top:  # put ranked rows first, in order
            rows.sort(key=lambda r: top.index(r[0]) if r[0] in top else len(top))
        assert score_case(c, ans(rows))["passed"], c["id"]
        if exp.get("rows"):
            bad = [[p, k, v * 1.5 + 7] for p, k, v in rows]
            s = score_case(c, ans(bad))
            assert not s["passed"] and s["wrong_number"], c["id"]


def test_generator_is_deterministic(tmp_path):
    out1, out2 = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert builder.main(["--out", str(out1)]) == 0
    assert builder.main(["--out", str(out2)]) == 0
    assert out1.read_bytes() == out2.read_bytes() == SUITE_FILE.read_bytes()


def test_generator_is_independent_of_the_product():
    src = (ROOT / "eval" / "build_public_suite.py").read_text(encoding="utf-8")
    for banned in ("from assistant", "import assistant", "from retrieval", "import retrieval",
                   "duckdb", "pandas"):
        assert banned not in src


def test_known_published_figures(suite):
    """Spot checks against figures quoted in data/SOURCES.md."""
    def val(qid):
        c = next(c for c in suite if c["id"] == qid)
        return c["expect"]["rows"][0]["value"]
    by_q = {c["question"]: c for c in suite}
    assert by_q["what was the population of liverpool in 2020"]["expect"]["rows"][0]["value"] == 500474
    assert by_q["population of the city region in 2019"]["expect"]["rows"][0]["value"] == 1559320
    assert by_q["how many people live in the city region"]["expect"]["rows"][0]["value"] == 1551821
    assert by_q["how many neighbourhoods in liverpool were in the most deprived decile in 2019"][
        "expect"]["rows"][0]["value"] == 145
    assert by_q["how many lsoas in the city region are urban conurbation"]["expect"]["rows"][0]["value"] == 816
    trend = by_q["how has liverpool's population changed from 2017 to 2020"]["expect"]["rows"]
    assert [r["value"] for r in trend] == [491549, 494814, 498042, 500474]
    assert val("value-017") == 37.11


# --------------------------------------------------------------------------- evaluation sandbox

def test_evaluation_leaves_the_live_commons_records_alone(tmp_path):
    """Running the red team from the app must not fill the live audit log, the steward queue,
    the ledger or the transparency reports with test traffic."""
    from assistant.pipeline import Pipeline
    from eval import redteam, registry
    from eval.sandbox import evaluation_pipeline

    live = Pipeline.open()
    try:
        priya = live.commons.accounts.sign_in("priya", "demo-priya-2025")      # a steward of the lupus commons
        audit = Path(live.settings.audit_path)
        before = audit.read_bytes() if audit.exists() else b""
        users = Path(live.settings.users_file).read_bytes()
        queue = [r.id for r in Stewardship(live).review_queue(priya, None)]
        projects = [p.id for p in live.commons.projects.list()]
        # the kinds of case that write projects, reviews, fees, publications and files, and a few
        # of each kind that only asks (the whole suite runs as a gate in scripts/test)
        cases = [json.loads(line) for line in redteam.SUITE.read_text(encoding="utf-8").splitlines() if line.strip()]
        whole = {"project_misuse", "two_person", "members_panel", "fees", "publication", "files"}
        taken: dict[str, int] = {}
        subset = []
        for c in cases:
            taken[c["category"]] = taken.get(c["category"], 0) + 1
            if c["category"] in whole or (c["category"] in ("pii_leak", "prohibited_purpose", "small_cell",
                                                             "lookalike") and taken[c["category"]] <= 4):
                subset.append(c)
        path = tmp_path / "redteam-subset.jsonl"
        path.write_text("".join(json.dumps(c) + "\n" for c in subset), encoding="utf-8")
        with evaluation_pipeline(live.settings) as copy:         # as registry.run("redteam") does
            report = registry.normalise("redteam", redteam.run(copy, path))
        assert report["available"] and report["metrics"]["attacks_stopped_pct"] == 100.0, report["failures"][:5]
        assert (audit.read_bytes() if audit.exists() else b"") == before
        assert [r.id for r in Stewardship(live).review_queue(priya, None)] == queue
        assert [p.id for p in live.commons.projects.list()] == projects          # its projects were the sandbox's
        assert Path(live.settings.users_file).read_bytes() == users               # and so were its accounts
        assert Stewardship(live).verify_audit()[0]
    finally:
        live.close()
