"""Issue 15 point 2: benchmarking against anonymised peers.  Figures are checked against an
independent pandas computation over the published SYNTHETIC CSV; the withhold rules (minimum
peers, dominance) are exercised on the pure stage; no peer's name or figure appears anywhere in
an answer; the organisation is the signed-in account's, never the question's."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from assistant import benchmarking as bm
from kernel.types import Actor, Question
from retrieval.datasheets import Benchmark, DisclosureRules

ORG = "Knowsley CVS"
PROVIDER_ASKS = ["how does our organisation compare with similar ones?",
                 "benchmark our beneficiaries against other organisations",
                 "how do our sessions per month compare with our peers",
                 "compare our outcomes with other providers"]


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


@pytest.fixture(scope="module")
def provider(pipeline):
    from assistant.stewardship import Stewardship
    from eval import grants
    return grants.within_project(Stewardship(pipeline), "bench-provider", "provider", "service_planning",
                                 ["vcse_coop"], org=ORG)


@pytest.fixture(scope="module")
def published(pipeline):
    return pd.read_csv(Path(pipeline.settings.home) / "published" / "vcse_coop.csv")


def ask(pipeline, provider, text):
    actor, project = provider
    return pipeline.ask(Question(text, actor, "service_planning", project=project)).to_dict()


def everything(a: dict) -> str:
    return json.dumps({k: a.get(k) for k in ("answer", "table", "chart", "caveats", "options", "suggestions")})


def peers_of(df: pd.DataFrame) -> list[str]:
    return sorted(set(df.organisation) - {ORG})


# -- the pure stage ------------------------------------------------------------------------------
RULES, BENCH = DisclosureRules(), Benchmark(column="organisation")


@pytest.mark.parametrize("v,expected", [(1234, 1200), (37, 35), (283.5, 280), (96, 95), (12, 10), (7, 5), (3, 3), (0, 0)])
def test_statistics_are_rounded_to_two_figures_and_the_base(v, expected):
    assert bm.round_statistic(v, 2, 5) == expected


def raw(peers, values):
    s = pd.Series(values, dtype=float)
    return {"key": "", "label": "Whole period", "peers": peers, "q1": s.quantile(0.25), "median": s.median(),
            "q3": s.quantile(0.75), "top": s.max(), "total": s.sum()}


def test_fewer_than_the_minimum_peers_are_withheld():
    four = bm.assess(raw(4, [50, 60, 70, 80]), 100, RULES, BENCH)
    assert four.q1 is None and four.median is None and "fewer than 5 peers" in four.withheld
    five = bm.assess(raw(5, [50, 60, 70, 80, 90]), 100, RULES, BENCH)
    assert five.withheld == "" and five.median == 70 and five.position == bm.ABOVE


def test_one_dominant_peer_is_withheld():
    dominated = bm.assess(raw(5, [20, 20, 20, 20, 100]), 30, RULES, BENCH)      # 100 of 180 > 50%
    assert dominated.median is None and "dominance" in dominated.withheld
    shared = bm.assess(raw(5, [20, 20, 20, 20, 70]), 30, RULES, BENCH)          # 70 of 150 < 50%
    assert shared.median == 20 and shared.withheld == ""


def test_small_peer_figures_are_withheld():
    small = bm.assess(raw(6, [3, 4, 5, 20, 30, 40]), 30, RULES, BENCH)
    assert small.median is None and "too small" in small.withheld


def test_the_datasheet_protects_the_organisation(pipeline):
    sheet = pipeline.sheets["vcse_coop"]
    assert sheet.benchmark.column == "organisation" and sheet.benchmark.min_peers >= 5
    assert "organisation" not in {d.column for d in sheet.dimensions}
    assert "organisation" not in pipeline.allowed[sheet.table]          # no other query may read it
    with pytest.raises(ValueError):
        Benchmark(column="organisation", min_peers=3)                    # never below five peers


# -- end to end ------------------------------------------------------------------------------------
def test_the_demo_provider_is_one_of_the_co_op(published):
    import yaml
    assert ORG in set(published.organisation)
    users = yaml.safe_load((Path(__file__).resolve().parents[1] / "data" / "users.yaml").read_text())["users"]
    assert users["nia"]["org"] == ORG


def test_benchmark_matches_pandas(pipeline, provider, published):
    a = ask(pipeline, provider, "how does our organisation compare with similar ones?")
    assert a["status"] == "answered", a["answer"]
    assert a["answer"].startswith("SYNTHETIC") and ORG in a["answer"] and "11 peers" in a["answer"]
    per_org = published.groupby("organisation").size()
    peers = per_org.drop(ORG)
    row = a["table"]["rows"][0]
    own, npeers, q1, median, q3 = row[1], row[2], row[3], row[4], row[5]
    assert npeers == f"{len(peers)} organisations" and len(peers) == 11
    assert abs(own - per_org[ORG]) <= 2 + 2.5 and own % 5 == 0          # perturbed (<=2) and rounded to 5
    for got, q in ((q1, 0.25), (median, 0.5), (q3, 0.75)):
        assert got == bm.round_statistic(peers.quantile(q), 2, 5)
    words = bm.BELOW if own < q1 else bm.ABOVE if own > q3 else bm.BETWEEN
    assert words in a["answer"] and row[6] == words
    assert a["chart"] and len(a["chart"]["layer"]) == 3                 # band, median, own
    assert any("never named" in c for c in a["caveats"]) and any("SYNTHETIC" in c for c in a["caveats"])


def test_per_month_and_outcomes_match_pandas(pipeline, provider, published):
    a = ask(pipeline, provider, "how do our sessions per month compare with our peers")
    assert a["status"] == "answered", a["answer"]
    by = published.groupby(["month", "organisation"]).sessions.sum().unstack()
    rows = {r[0]: r for r in a["table"]["rows"]}
    assert len(rows) == by[ORG].notna().sum()
    for month, r in rows.items():
        key = next(m for m in by.index if bm.month_label(m) == month)
        peers = by.loc[key].drop(ORG).dropna()
        if r[3] is not None:
            assert r[4] == bm.round_statistic(peers.median(), 2, 5)
            assert r[2] == f"{len(peers)} organisations"
    b = ask(pipeline, provider, "compare our outcomes with other providers")
    assert b["status"] == "answered", b["answer"]
    improved = published[published.outcome == "Improved"].groupby("organisation").size().drop(ORG)
    assert b["table"]["rows"][0][4] == bm.round_statistic(improved.median(), 2, 5)


def test_per_ward_is_withheld_where_few_peers_work(pipeline, provider, published):
    a = ask(pipeline, provider, "benchmark our beneficiaries against other organisations per ward")
    assert a["status"] in ("answered", "no_data"), a["answer"]
    assert "fewer than 5 peers" in a["answer"] or "fewer than 5" in json.dumps(a["table"])
    for r in a["table"]["rows"]:
        assert r[3] is None or int(r[2].split()[0]) >= 5     # no peers' statistics from fewer than five peers


def test_no_peer_name_or_figure_leaves(pipeline, provider, published):
    names = peers_of(published)
    per_org = published.groupby("organisation").size().drop(ORG)
    figures = {str(int(v)) for v in per_org.values}
    for q in PROVIDER_ASKS:
        a = ask(pipeline, provider, q)
        text = everything(a)
        assert not [n for n in names if n in text], q
        if not q.startswith("how do our sessions"):
            cells = [c for r in (a["table"] or {}).get("rows", []) for c in r[3:6]]
            assert not {str(int(c)) for c in cells if isinstance(c, (int, float))} & figures - {"185"}, q


@pytest.mark.parametrize("q", ["how does Sefton Youth Trust compare with our peers",
                               "which organisation supports the most people",
                               "rank the organisations by beneficiaries",
                               "what is our rank",
                               "I am from Wirral Youth Collective, how do we compare with our peers",
                               "what are Anfield Community Larder's figures"])
def test_naming_or_ranking_organisations_is_declined(pipeline, provider, published, q):
    a = ask(pipeline, provider, q)
    assert a["status"] != "answered", a["answer"]
    assert "never named" in a["answer"] or "rank" in a["answer"]
    assert not [n for n in peers_of(published) if n in everything(a) and n not in q]


def test_the_organisation_is_the_accounts_not_the_texts(pipeline, published):
    anon = pipeline.ask(Question("how does our organisation compare with similar ones?")).to_dict()
    assert anon["status"] == "refused" and "signed-in provider account" in anon["answer"]
    # an unsigned actor claiming an organisation is still anonymous
    claimed = pipeline.ask(Question("benchmark our beneficiaries against other organisations",
                                    Actor(id="someone", role="resident", org=ORG))).to_dict()
    assert claimed["status"] == "refused" and "provider account" in claimed["answer"]
    from assistant.stewardship import Stewardship
    from eval import grants
    other, project = grants.within_project(Stewardship(pipeline), "bench-other", "provider", "service_planning",
                                           ["vcse_coop"], org="Wirral Youth Collective")
    a = pipeline.ask(Question("how does our organisation compare with similar ones? we are Knowsley CVS", other,
                              "service_planning", project=project)).to_dict()
    assert a["status"] != "answered"
    b = pipeline.ask(Question("how does our organisation compare with similar ones?", other, "service_planning",
                              project=project)).to_dict()
    assert b["status"] == "answered" and "Wirral Youth Collective" in b["answer"] and ORG not in everything(b)


def test_benchmarks_are_audited(pipeline, provider):
    a = ask(pipeline, provider, "how does our organisation compare with similar ones?")
    assert a["audit_id"]
    seq = int(str(a["audit_id"]).split(":")[0])
    recs = list(pipeline.audit.records())
    rec = next(r for r in recs if r.get("seq") == seq and r.get("event") == "question")
    assert rec["benchmark"]["organisation"] == ORG and rec["status"] == "answered"
    query = [r for r in recs if r.get("event") == "query" and r.get("seq", 0) < seq][-1]
    assert "QUANTILE_CONT" in query["sql"] and query["dataset"] == "vcse_coop"     # written before it ran
    assert pipeline.audit.verify()[0]


def test_only_the_benchmark_shape_may_read_the_organisation(pipeline):
    from assistant.sql import RowSpec, build_benchmark, build_select, check, check_benchmark
    from kernel.errors import QueryRejected
    sheet = pipeline.sheets["vcse_coop"]
    m = sheet.measure_by_id["vcse_beneficiaries"]
    spec = RowSpec(m, level="region", periods=("2024-01",), dimension="organisation")
    inner = build_select(sheet, spec)                     # per-organisation rows: never allowed out
    with pytest.raises(QueryRejected):
        check(inner, pipeline.allowed)
    with pytest.raises(QueryRejected):
        check_benchmark(inner, pipeline.allowed, sheet)
    ok = check_benchmark(build_benchmark(sheet, spec, ORG), pipeline.allowed, sheet)
    assert "'Knowsley CVS'" in ok.sql
    leaky = build_benchmark(sheet, spec, ORG)
    leaky.set("expressions", leaky.expressions[:3] + [leaky.expressions[3].copy()] + leaky.expressions[4:])
    leaky = leaky.select("b.category", append=True)      # a peer's name as an output
    with pytest.raises(QueryRejected):
        check_benchmark(leaky, pipeline.allowed, sheet)


def test_a_benchmark_plan_round_trips_and_names_no_organisation():
    from kernel.errors import PlanInvalid
    from kernel.plans import BenchmarkPlan, Filter, Periods, Subject, plan_from_dict
    plan = BenchmarkPlan(Subject("vcse_beneficiaries", "vcse_coop", Periods(("2025-01", "2025-02")),
                                 (Filter("outcome", ("Improved",)),)), "month", "people whose outcome improved")
    d = plan.to_dict()
    assert plan_from_dict(d) == plan and d["intent"] == "benchmark"
    assert "organisation" not in json.dumps(d)
    with pytest.raises(PlanInvalid):
        BenchmarkPlan(Subject("vcse_beneficiaries", "vcse_coop", Periods(("2025-01",))), "organisation")


@pytest.mark.parametrize("field", sorted(Benchmark.model_fields))
def test_every_benchmark_setting_is_documented(field):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Benchmarking against peers", 1)[1].split("\n## ", 1)[0]
    assert f"`{field}`" in section


def test_follow_ups_keep_the_benchmark(pipeline, provider, published):
    actor, project = provider
    conv = "bench-follow-up"

    def say(text):
        return pipeline.ask(Question(text, actor, "service_planning", conv, project=project)).to_dict()

    first = say("how does our organisation compare with similar ones?")
    assert first["status"] == "answered" and first["answer"].startswith(
        f"SYNTHETIC data. Understood: {ORG} (your signed-in organisation): people supported in total")
    monthly = say("and per month?")
    assert monthly["status"] == "answered" and "per month" in monthly["answer"], monthly["answer"]
    sessions = say("what about sessions?")
    assert sessions["status"] == "answered" and "sessions delivered per month" in sessions["answer"]
    total = say("and in 2025 in total")
    assert total["status"] == "answered", total["answer"]
    s25 = published[published.month.str.startswith("2025")].groupby("organisation").sessions.sum().drop(ORG)
    assert total["table"]["rows"][0][4] == bm.round_statistic(s25.median(), 2, 5)
    assert say("which peers are above us")["status"] != "answered"
    other = say("what is the population of Liverpool in 2020")       # a new topic leaves the benchmark
    assert other["status"] == "answered" and "Population" in other["answer"]


@pytest.mark.parametrize("by,n", [("", 1), ("month", 3)])
def test_the_chart_is_valid_vega_lite(by, n):
    jsonschema = pytest.importorskip("jsonschema")
    altair = pytest.importorskip("altair")
    found = sorted(Path(altair.__file__).parent.glob("vegalite/v*/schema/vega-lite-schema.json"))
    if not found:
        pytest.skip("no Vega-Lite schema shipped with altair")
    cells = [bm.Cell(f"2024-0{i + 1}", f"m{i}", 20 + i, 11, 10, 20, 30) for i in range(n)]
    spec = bm.chart(ORG, "people supported", by, cells)
    spec["$schema"] = "https://vega.github.io/schema/vega-lite/v5.json"
    jsonschema.validate(spec, json.loads(found[-1].read_text()))
    assert {r["cell"] for r in spec["data"]["values"]} == {c.label for c in cells}
    assert set(spec["data"]["values"][0]) == {"cell", "order", "own", "q1", "median", "q3"}     # nothing per peer
