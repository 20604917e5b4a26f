"""Issue 15: maps, two measures side by side, area stories.  Figures are checked against the raw
CSVs (pandas), the geometry against the ONS lookups; one pipeline for the module."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from assistant import answers, charts, story
from kernel.types import Actor, Question
from retrieval.boundaries import Boundaries

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def ask(pipeline, text, conversation=None):
    return pipeline.ask(Question(text=text, conversation_id=conversation)).to_dict()


def marks(spec):
    from eval.runner import chart_marks
    return chart_marks(spec)


# -- pure parts ------------------------------------------------------------------------------------
def test_correlations_match_pandas():
    x = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    y = [2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0]
    assert answers.pearson(x, y) == pytest.approx(pd.Series(x).corr(pd.Series(y)))
    assert answers.spearman(x, y) == pytest.approx(pd.Series(x).corr(pd.Series(y), method="spearman"))
    assert answers.pearson([1, 2, 3], [5, 5, 5]) is None           # no variation: no correlation
    assert answers.strength(0.1) == "little or no association"
    assert answers.strength(-0.7) == "a strong negative association"


@pytest.mark.parametrize("n,total,words", [(0, 10, "none"), (40, 100, "about 4 in 10"), (50, 100, "about half"),
                                           (10, 10, "all"), (99, 100, "nearly all"), (4, 100, "about 1 in 25"),
                                           (1, 100, "fewer than 1 in 30")])
def test_shares_in_words(n, total, words):
    assert story.in_words(n, total) == words


def test_national_position_in_words():
    assert story.national_position(300, 33755) == "among the most deprived 1% in England"
    assert story.national_position(3000, 33755) == "among the most deprived 10% in England"
    assert story.national_position(32000, 33755) == "among the least deprived 10% in England"


def test_boundaries_cover_every_area_of_the_lookups():
    b = Boundaries(ROOT / "data" / "geo" / "boundaries_lcr.json")
    with open(RAW / "lookup_lsoa11_ward19_lad19_lcr.csv", newline="") as fh:
        w19 = list(csv.DictReader(fh))
    assert not b.draw("lsoa", "2011", [r["lsoa11cd"] for r in w19]).missing
    assert not b.draw("ward", "2019", {r["wd19cd"] for r in w19}).missing
    assert not b.draw("lad", None, {r["lad19cd"] for r in w19}).missing
    with open(RAW / "lookup_lsoa11_lsoa21_lad22_lcr.csv", newline="") as fh:
        change = list(csv.DictReader(fh))
    got = b.draw("lsoa", "2021", {r["lsoa21cd"] for r in change})
    split = {r["lsoa21cd"] for r in change if r["chgind"] == "S"}
    assert set(got.missing) == split                       # split LSOAs have no outline of their own...
    assert {c for _, kids in got.split for c in kids} == split     # ...and are drawn as their 2011 parent
    assert (ROOT / "data" / "geo" / "boundaries_lcr.json").stat().st_size < 500_000


def test_map_chart_legend_follows_the_measure_direction():
    square = {"type": "Polygon", "coordinates": [[[-3.0, 53.4], [-2.9, 53.4], [-2.9, 53.5], [-3.0, 53.4]]]}
    areas = [{"code": "a", "name": "A", "value": 1, "geometry": square},
             {"code": "b", "name": "B", "value": 9, "geometry": square}]
    spec = charts.map_chart("Rank", areas, "IMD rank", darker="more deprived", reverse=True)
    assert spec["mark"]["type"] == "geoshape" and spec["encoding"]["color"]["scale"]["reverse"] is True
    assert "Darker = more deprived" in spec["title"]["subtitle"]
    assert "B 9" in spec["description"] and spec["projection"]["type"] == "mercator"


def test_briefing_document_carries_sources_and_licences():
    answer = {"answer": "Understood: an overview.\n\n**Summary of X**: **1** [1]",
              "table": {"columns": ["Area", "Value"], "rows": [["X", 1234.5]]},
              "citations": [{"title": "T", "publisher": "P", "licence": "OGL v3", "attribution": "Source: P.",
                             "source": "https://example.org/t"}], "caveats": ["Careful <here>."]}
    md = story.markdown(answer, "Briefing: X")
    assert "Understood" not in md and "| X | 1,234.5 |" in md and "Licence: OGL v3" in md
    page = story.to_html(md, "Briefing: X")
    assert "<strong>Summary of X</strong>" in page and '<a href="https://example.org/t">' in page
    assert "Careful &lt;here&gt;." in page


# -- the pipeline, figures from the CSVs ---------------------------------------------------------
def test_a_map_of_deprivation_in_liverpool(pipeline):
    a = ask(pipeline, "Show me a map of deprivation in Liverpool")
    assert a["status"] == "answered" and a["chart"]["mark"]["type"] == "geoshape"
    iod = pd.read_csv(RAW / "iod2025_lsoa21_lcr.csv")
    liv = iod[iod.lad24nm == "Liverpool"]
    features = a["chart"]["data"]["values"]
    split = pd.read_csv(RAW / "lookup_lsoa11_lsoa21_lad22_lcr.csv")
    split = split[(split.chgind == "S") & split.lsoa21cd.isin(liv.lsoa21cd)]
    grey = [f for f in features if f["properties"]["value"] is None]
    assert (len(features) - len(grey), len(grey)) == (len(liv) - len(split), split.lsoa11cd.nunique())
    shaded = {f["properties"]["code"]: f["properties"]["value"] for f in features if f["properties"]["value"] is not None}
    top = liv.sort_values("imd_score").iloc[-1]
    assert shaded[top.lsoa21cd] == pytest.approx(top.imd_score)
    assert "darker = more deprived" in a["answer"]
    assert any(c["dataset"] == "boundaries" and "Crown copyright" in c["attribution"] for c in a["citations"])


def test_two_measures_side_by_side_by_council(pipeline):
    a = ask(pipeline, "deprivation and homelessness by council")
    assert a["status"] == "answered" and "point" in marks(a["chart"])
    la = pd.read_csv(RAW / "iod2025_la_summary_imd_lcr.csv").merge(
        pd.read_csv(RAW / "homelessness_la_2023q4_lcr.csv"), left_on="lad24cd", right_on="ltla23_code")
    r = la.imd_average_score.corr(la.households_assessed_homeless_per_1000)
    assert f"r = {r:.2f}" in a["answer"] and "6 councils" in a["answer"]
    assert any("Areas are not people" in c for c in a["caveats"])
    assert len(a["table"]["rows"]) == 6 and set(a["datasets"]) == {"iod2025_la", "homelessness_la"}


@pytest.mark.parametrize("question", ["map of crime by type in Sefton", "map of deprivation in Liverpool and Knowsley",
                                      "relationship between deprivation and homelessness among pensioners by council"])
def test_forms_that_cannot_be_applied_are_declined(pipeline, question):
    a = ask(pipeline, question)
    assert a["status"] in ("no_data", "clarify") and not a["table"], a["answer"]


def test_an_area_story_in_plain_words(pipeline):
    a = ask(pipeline, "Tell me about Knowsley for a funding bid")
    iod = pd.read_csv(RAW / "iod2025_lsoa21_lcr.csv")
    kn = iod[iod.lad24nm == "Knowsley"]
    n, total = int((kn.imd_decile == 1).sum()), len(kn)
    assert f"About 4 in 10 of Knowsley's neighbourhoods ({n} of {total})" in a["answer"]
    assert "13th most deprived council in England" in a["answer"]
    assert "[1]" in a["answer"] and len(a["citations"]) >= 2
    assert json.dumps(a)                                  # a plain JSON answer


# -- who is missing ------------------------------------------------------------------------------
def test_poststratification_matches_an_independent_weighting():
    import numpy as np
    rng = np.random.default_rng(3)
    bands = np.repeat(np.arange(4), [30, 60, 90, 20])
    values = rng.poisson(2 + bands, size=len(bands)).astype(float)
    census = np.array([400.0, 300.0, 200.0, 100.0])
    n = np.bincount(bands)
    w = (census / census.sum())[bands] / (n / n.sum())[bands]          # one weight per person
    cells = [(float(n[a]), float(census[a]), float(values[bands == a].mean())) for a in range(4)]
    from assistant import coverage
    est = coverage.poststratify(cells)
    assert est.value == pytest.approx(np.average(values, weights=w))
    assert est.effective_n == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    assert coverage.poststratify(cells[:3] + [(20.0, 100.0, None)]) is None    # a hidden group: no weights


def test_who_is_missing_from_the_lupus_commons(pipeline):
    from assistant.stewardship import Stewardship
    from eval import grants
    actor, project = grants.within_project(Stewardship(pipeline), "analyst15", "researcher", "health_research",
                                           ["lupus_commons"])
    a = pipeline.ask(Question("how representative is the lupus commons of Knowsley?", actor, "health_research",
                              project=project)).to_dict()
    assert a["status"] == "answered" and a["answer"].startswith("SYNTHETIC"), a["answer"]
    rows = {(r[0], r[1]): r for r in a["table"]["rows"]}
    census = pd.read_csv(RAW / "census2021_population_age6_la_lcr_england.csv").set_index("area_name").loc["Knowsley"]
    bands = {"16-24": "16_24", "25-34": "25_34", "35-49": "35_49", "50-64": "50_64", "65+": "65plus"}
    total = sum(census[f"lsoa_sum_age_{b}"] for b in bands.values())
    for band, col in bands.items():
        assert rows[("Age band", band)][4] == pytest.approx(census[f"lsoa_sum_age_{col}"] / total * 100, abs=0.05)
    released = [r[2] for r in a["table"]["rows"] if r[0] in ("Age band", "Sex") and isinstance(r[2], (int, float))]
    assert released and all(v >= 10 and v % 5 == 0 for v in released)      # unweighted cells behind the weights
    # the reweighted average against an independent weighting of the published rows (true counts;
    # the product works from released, perturbed and rounded cells, so a small gap is expected)
    lupus = pd.read_csv(Path(pipeline.settings.home) / "published" / "lupus_commons.csv")
    look = pd.read_csv(RAW / "lookup_lsoa21_ward24_lad24_lcr.csv")
    kn = lupus[lupus.lsoa21cd.isin(look[look.lad24nm == "Knowsley"].lsoa21cd)]
    share = kn.age_band.map(lambda b: census[f"lsoa_sum_age_{bands[b]}"] / total)
    sample = kn.age_band.map(kn.age_band.value_counts(normalize=True))
    weights = share / sample
    independent = (kn.flares_12m * weights).sum() / weights.sum()
    reweighted = rows[("Reweighted", "Average flares per participant")][2]
    assert reweighted == pytest.approx(independent, abs=0.2)
    ess = rows[("Reweighted", "Effective sample size")][2]
    assert ess == pytest.approx(weights.sum() ** 2 / (weights ** 2).sum(), rel=0.08)
    assert "reweighted" in a["answer"].lower() and any("margins named" in c for c in a["caveats"])
    anon = pipeline.ask(Question("how representative is the lupus commons of Knowsley?")).to_dict()
    assert anon["status"] == "refused" and not anon["table"]                # person-level: a project first


def test_a_contributed_count_in_the_most_deprived_neighbourhoods(pipeline):
    from assistant.stewardship import Stewardship
    from eval import grants
    actor, project = grants.within_project(Stewardship(pipeline), "analyst15p", "provider", "service_planning",
                                           ["vcse_coop"])
    vcse = pd.read_csv(Path(pipeline.settings.home) / "published" / "vcse_coop.csv")
    vcse = vcse[vcse.month.str.startswith("2025")]
    iod = pd.read_csv(RAW / "iod2025_lsoa21_lcr.csv")
    inside = vcse.lsoa21cd.isin(iod[iod.imd_decile == 1].lsoa21cd)
    for question, true in (("VCSE beneficiaries in the most deprived 10% of neighbourhoods", inside.sum()),
                           ("how many VCSE beneficiaries live outside the most deprived 10% of neighbourhoods",
                            (~inside).sum())):
        a = pipeline.ask(Question(question, actor, "service_planning", project=project)).to_dict()
        assert a["status"] == "answered", a["answer"]
        got = a["table"]["rows"][0][2]
        assert got % 5 == 0 and abs(got - true) <= 4.5          # perturbed by at most 2, rounded to 5
        assert "IN (SELECT" in a["sql"] and "only in neighbourhoods" in a["answer"]


# -- who is missing: by deprivation decile, raked to two census margins -----------------------------
def _ipf(n: "np.ndarray", rows: "np.ndarray", cols: "np.ndarray", iterations: int = 500) -> "np.ndarray":
    """An independent raking loop: cell totals scaled to the row, then the column targets."""
    m = n.astype(float).copy()
    for _ in range(iterations):
        m *= (rows / m.sum(axis=1))[:, None]
        m *= (cols / m.sum(axis=0))[None, :]
    return m


def test_raking_matches_an_independent_ipf_and_the_census_margins():
    import numpy as np
    from assistant import coverage
    n = np.array([[30.0, 12.0], [55.0, 20.0], [80.0, 25.0]])
    census_rows, census_cols = np.array([500.0, 300.0, 200.0]), np.array([520.0, 480.0])
    N = n.sum()
    m = _ipf(n, census_rows / census_rows.sum() * N, census_cols / census_cols.sum() * N)
    cells = {(a, s): float(n[i, j]) for i, a in enumerate("abc") for j, s in enumerate("FM")}
    raked = coverage.rake(cells, dict(zip("abc", census_rows)), dict(zip("FM", census_cols)))
    assert raked is not None and raked.converged
    for i, a in enumerate("abc"):
        for j, s in enumerate("FM"):
            assert raked.weights[(a, s)] == pytest.approx(m[i, j] / n[i, j], rel=1e-9)
    # the weighted margins are the census margins
    assert [raked.rows[a] for a in "abc"] == pytest.approx(list(census_rows / census_rows.sum()), abs=1e-9)
    assert [raked.cols[s] for s in "FM"] == pytest.approx(list(census_cols / census_cols.sum()), abs=1e-9)
    w = (m / n).ravel()
    counts = n.ravel()
    assert raked.effective_n == pytest.approx((counts * w).sum() ** 2 / (counts * w * w).sum())
    means = {k: float(v) for k, v in zip(cells, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])}
    est = coverage.raked_estimate(raked, cells, means)
    assert est.value == pytest.approx((counts * w * np.arange(1, 7)).sum() / (counts * w).sum())
    assert coverage.raked_estimate(raked, cells, {**means, ("a", "M"): None}) is None   # a hidden mean
    assert coverage.rake({**cells, ("a", "M"): None}, dict(zip("abc", census_rows)),
                         dict(zip("FM", census_cols))) is None                           # a hidden cell
    assert coverage.residents_by_decile({"x": 1, "y": 1, "z": 10, "q": None}, {"x": 5, "y": 7, "z": 2})[1] == 12


def _census_by_decile(place_lsoas):
    """Census residents aged 16 and over per IMD 2025 decile of their neighbourhood (pandas)."""
    census = pd.read_csv(RAW / "census2021_lsoa21_lcr.csv")
    iod = pd.read_csv(RAW / "iod2025_lsoa21_lcr.csv")[["lsoa21cd", "imd_decile"]]
    c = census[census.lsoa21cd.isin(place_lsoas)].merge(iod, on="lsoa21cd")
    adults = c.age6__total_usual_residents - c.age6__aged_15_years_and_under
    return adults.groupby(c.imd_decile).sum()


def test_who_is_missing_by_deprivation_and_raked_in_the_city_region(pipeline):
    import numpy as np
    from assistant.stewardship import Stewardship
    from eval import grants
    actor, project = grants.within_project(Stewardship(pipeline), "analyst15r", "researcher", "health_research",
                                           ["lupus_commons"])
    a = pipeline.ask(Question("is the lupus commons representative by deprivation?", actor, "health_research",
                              project=project)).to_dict()
    assert a["status"] == "answered" and a["answer"].startswith("SYNTHETIC"), a["answer"]
    rows = a["table"]["rows"]
    lupus = pd.read_csv(Path(pipeline.settings.home) / "published" / "lupus_commons.csv")
    iod = pd.read_csv(RAW / "iod2025_lsoa21_lcr.csv")
    # by decile: residents' shares from the census, participants' counts from the published rows
    residents = _census_by_decile(set(iod.lsoa21cd))
    true = lupus.merge(iod[["lsoa21cd", "imd_decile"]], on="lsoa21cd").imd_decile.value_counts()
    deciles = {int(r[1].split()[0]): r for r in rows if r[0].startswith("Deprivation decile")}
    assert sorted(deciles) == list(range(1, 11))
    for d, r in deciles.items():
        assert r[4] == pytest.approx(residents[d] / residents.sum() * 100, abs=0.05)
        assert r[2] % 5 == 0 and r[2] >= 10 and abs(r[2] - true[d]) <= 4.5     # released: perturbed, rounded
    # raked to the census age and sex margins, against an independent IPF over the published rows
    la = pd.read_csv(RAW / "census2021_population_age6_la_lcr_england.csv")
    la = la[la.area_code != "E92000001"]
    bands = ["16-24", "25-34", "35-49", "50-64", "65+"]
    cols = {"16-24": "16_24", "25-34": "25_34", "35-49": "35_49", "50-64": "50_64", "65+": "65plus"}
    age_t = np.array([la[f"lsoa_sum_age_{cols[b]}"].sum() for b in bands], dtype=float)
    sex_t = np.array([la.females_ts009.sum(), la.males_ts009.sum()], dtype=float)
    n = pd.crosstab(lupus.age_band, lupus.sex).loc[bands, ["Female", "Male"]].to_numpy(float)
    N = n.sum()
    m = _ipf(n, age_t / age_t.sum() * N, sex_t / sex_t.sum() * N)
    w = m / n
    weight = lupus.apply(lambda r: w[bands.index(r.age_band), ["Female", "Male"].index(r.sex)], axis=1)
    got = {(r[0], r[1]): r for r in rows}
    for label, col in (("Average flares per participant", "flares_12m"),
                       ("Average weekly working hours of participants", "work_hours")):
        independent = (lupus[col] * weight).sum() / weight.sum()
        assert got[("Reweighted (raked)", label)][2] == pytest.approx(independent, abs=0.25)
        assert "unweighted" in got[("Reweighted (raked)", label)][6]
    ess = (weight.sum() ** 2) / (weight ** 2).sum()
    assert got[("Reweighted (raked)", "Effective sample size")][2] == pytest.approx(ess, rel=0.08)
    assert "reweighted (raked to the census age band and sex margins)" in a["answer"].lower()
    assert any("do not cross them" in c for c in a["caveats"]) and any("home neighbourhood" in c for c in a["caveats"])
    # every count behind a weighted cell is a released one
    released = [r[2] for r in rows if r[0] in ("Age band", "Sex") or r[0].startswith("Deprivation")]
    assert all(isinstance(v, (int, float)) and v >= 10 and v % 5 == 0 for v in released)


def test_the_raked_estimate_is_withheld_when_a_crossed_cell_is_small(pipeline):
    from assistant.stewardship import Stewardship
    from eval import grants
    actor, project = grants.within_project(Stewardship(pipeline), "analyst15k", "researcher", "health_research",
                                           ["lupus_commons"])
    a = pipeline.ask(Question("which age groups are under-represented in the lupus commons in Knowsley?", actor,
                              "health_research", project=project)).to_dict()
    assert a["status"] == "answered", a["answer"]
    lupus = pd.read_csv(Path(pipeline.settings.home) / "published" / "lupus_commons.csv")
    look = pd.read_csv(RAW / "lookup_lsoa21_ward24_lad24_lcr.csv")
    kn = lupus[lupus.lsoa21cd.isin(look[look.lad24nm == "Knowsley"].lsoa21cd)]
    small = pd.crosstab(kn.age_band, kn.sex).stack()
    small = [f"{s} {b}" for (b, s), v in small.items() if v < 10]
    assert small                                                   # the synthetic data has such cells
    row = next(r for r in a["table"]["rows"] if r[0] == "Reweighted (raked)")
    assert row[1] == "Not given" and row[2] is None and all(c in row[6] for c in small)
    assert not any(r[0] == "Reweighted (raked)" and isinstance(r[2], (int, float)) for r in a["table"]["rows"])


def test_who_is_missing_for_stewards_and_members_without_a_project(pipeline):
    from eval import grants
    steward = grants.signed_in(pipeline.commons, "cover-steward", "steward", "Lupus commons desk (test)",
                               ["lupus_commons"])
    a = pipeline.ask(Question("how representative is the lupus commons of Knowsley?", steward, "stewardship")).to_dict()
    assert a["status"] == "answered" and any(r[0].startswith("Deprivation") for r in a["table"]["rows"]), a["answer"]
    # the same steward asking for other person-level figures still needs a project
    other = pipeline.ask(Question("how many lupus participants in Knowsley", steward, "stewardship")).to_dict()
    assert other["status"] == "refused" and "project" in other["answer"]
    # a steward of another dataset is not one of its overseers
    vik = grants.signed_in(pipeline.commons, "cover-vcse-steward", "steward", "VCSE desk (test)", ["vcse_coop"])
    assert pipeline.ask(Question("how representative is the lupus commons of Knowsley?", vik,
                                 "stewardship")).to_dict()["status"] == "refused"
    assert pipeline.who_is_missing(vik, "lupus_commons", "lad:E08000011").status == "refused"
    # the view: a members' representative of the dataset, audited like a question
    member = grants.signed_in(pipeline.commons, "cover-member", "member", "Lupus commons members (test)",
                              ["lupus_commons"])
    v = pipeline.who_is_missing(member, "lupus_commons", "region:E47000004")
    assert v.status == "answered" and v.audit_id and v.answer.startswith("SYNTHETIC")
    assert any(r[0] == "Reweighted (raked)" and r[1] == "Effective sample size" for r in v.table["rows"])
    assert pipeline.who_is_missing(Actor(), "lupus_commons", "region:E47000004").status == "refused"


def test_coverage_declines_words_it_cannot_apply(pipeline):
    from eval import grants
    steward = grants.signed_in(pipeline.commons, "cover-steward", "steward", "Lupus commons desk (test)",
                               ["lupus_commons"])
    a = pipeline.ask(Question("how representative is the lupus commons of crime in Knowsley?", steward,
                              "stewardship")).to_dict()
    assert a["status"] == "no_data" and "'crime'" in a["answer"]
