"""Questions blind testers (rounds 44 and 45) and the review of their failures found answered for a
different question or declined without need: each is now answered right or declined with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from conftest import ask, numbers, overcrowded_households, raw_rows


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def _council_2019(column: str) -> dict[str, float]:
    return {r["lad19nm"]: float(r[column]) for r in raw_rows("iod2019_la_summaries_lcr.csv")}


def _population_change(council: str) -> dict[str, int]:
    by = defaultdict(dict)
    for r in raw_rows("population_lsoa11_mid2017_2020_lcr.csv"):
        if r["lad19nm"] == council and r["year"] in ("2017", "2020"):
            by[r["lsoa11cd"]][r["year"]] = int(r["pop_total"])
    return {k: v["2020"] - v["2017"] for k, v in by.items()}


def test_the_highest_rank_of_a_domain_is_its_rank_not_its_score(pipeline):
    ranks = _council_2019("barriers_rank_of_average_score")
    top = max(ranks, key=ranks.get)
    for q in ("which council has the highest rank of average score on the barriers domain in 2019?",
              "On the barriers to housing & services domain (IoD 2019), which LCR council is the least deprived "
              "by rank of avg score?"):
        a = ask(pipeline, q)
        assert a.status == "answered", a.answer
        assert a.table["rows"][0][0] == top and a.table["rows"][0][1] == ranks[top], a.table["rows"]
        assert "rank" in a.understood


def test_the_lowest_income_rank_is_the_most_deprived_council(pipeline):
    ranks = _council_2019("income_rank_of_average_score")
    a = ask(pipeline, "which council has the lowest income deprivation rank in 2019")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == min(ranks, key=ranks.get) and a.table["rows"][0][1] == min(ranks.values())


def test_ranks_as_a_verb_ranks_the_councils(pipeline):
    a = ask(pipeline, "which council ranks highest for income deprivation in 2019")
    assert a.status == "answered", a.answer
    rates = _council_2019("income_average_score")
    assert a.table["rows"][0][0] == max(rates, key=rates.get)


def test_where_a_council_ranks_is_its_place_among_the_councils_not_its_wards(pipeline):
    a = ask(pipeline, "where does Sefton rank for crime")
    assert a.status == "answered", a.answer
    assert "wards" not in a.understood
    assert "of the 5 city-region councils" in a.answer or "of the 6 city-region councils" in a.answer


def test_where_a_ward_ranks_is_its_place_among_its_councils_wards(pipeline):
    per_ward = defaultdict(int)
    ward_of = {r["lsoa11cd"]: r["wd19nm"] for r in raw_rows("lookup_lsoa11_ward19_lad19_lcr.csv")
               if r["lad19nm"] == "Sefton"}
    for r in raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv"):
        if r["lsoa11cd"] in ward_of:
            per_ward[ward_of[r["lsoa11cd"]]] += int(r["crimes"])
    order = sorted(per_ward, key=lambda w: -per_ward[w])
    a = ask(pipeline, "how does Derby ward rank on crime")
    assert a.status == "answered", a.answer
    assert "where Derby ward" in a.understood and "neighbourhoods" not in a.understood
    place = order.index("Derby") + 1
    assert f"{place}" in a.answer and f"of the {len(per_ward)} wards" in a.answer, a.answer


def test_count_anti_social_behaviour_too_is_included_not_a_filter(pipeline):
    per = defaultdict(int)
    for r in raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv"):
        if r["lad19nm"] == "Sefton":
            per[r["lsoa11cd"]] += int(r["crimes"])
    a = ask(pipeline, "How many Sefton neighbourhoods (LSOAs) had more than 100 crimes recorded between September "
                      "and December 2019? count anti-social behaviour too")
    assert a.status == "answered", a.answer
    assert sum(1 for v in per.values() if v > 100) in numbers(a), a.table["rows"]
    assert "Anti-social" not in a.understood


def test_more_or_fewer_is_a_comparison_with_its_difference(pipeline):
    got = defaultdict(int)
    for r in raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv"):
        if r["crime_type"] == "Vehicle crime":
            got[r["lad19nm"]] += int(r["crimes"])
    a = ask(pipeline, "Did Sefton have more or fewer vehicle crimes than Wirral over Sept-Dec 2019, and by how many?")
    assert a.status == "answered", a.answer
    assert {got["Sefton"], got["Wirral"], got["Sefton"] - got["Wirral"]} <= set(numbers(a)), a.table["rows"]
    assert "Vehicle crime" in a.understood


def test_wards_ranked_by_their_change_inside_one_council(pipeline):
    ward_of = {r["lsoa11cd"]: r["wd19nm"] for r in raw_rows("lookup_lsoa11_ward19_lad19_lcr.csv")
               if r["lad19nm"] == "Sefton"}
    per_ward = defaultdict(int)
    for code, d in _population_change("Sefton").items():
        per_ward[ward_of[code]] += d
    top3 = sorted(per_ward, key=lambda w: -per_ward[w])[:3]
    a = ask(pipeline, "which 3 Sefton wards grew the most in population between mid-2017 and mid-2020?")
    assert a.status == "answered", a.answer
    assert [r[0].split(" ward")[0] for r in a.table["rows"][:3]] == top3
    assert "top 3" in a.understood and "wards of Sefton" in a.understood
    for w in top3:
        assert w in a.answer


def test_areas_counted_by_the_direction_of_their_change(pipeline):
    change = _population_change("Wirral")
    a = ask(pipeline, "how many Wirral LSOAs lost population between mid 2017 and mid 2020?")
    assert a.status == "answered", a.answer
    assert f"**{sum(1 for v in change.values() if v < 0)}** of the {len(change)}" in a.answer, a.answer
    assert "fall" in a.understood


def test_lose_is_never_corrected_to_another_word(pipeline):
    a = ask(pipeline, "how many people did Wirral lose between 2017 and 2020")
    assert a.status == "answered", a.answer
    assert "close" not in a.understood


def _crime_severity() -> dict[str, float]:
    return {r["ltla23_name"]: float(r["crime_severity_score"]) for r in raw_rows("crime_severity_score_la_2022_23_lcr.csv")
            if r["ltla23_name"] != "England"}


def test_a_claim_that_a_council_is_top_is_checked_against_its_peers(pipeline):
    scores = _crime_severity()
    top = max(scores, key=scores.get)
    a = ask(pipeline, f"Someone on twitter says {top} has the highest crime severity score in the city region - is that right?")
    assert a.status == "answered", a.answer
    assert f"**{top}** is **1st of the {len(scores)} councils**" in a.answer, a.answer
    low = min(scores, key=scores.get)
    a = ask(pipeline, f"Is it true {low} has the highest crime severity score?")
    assert a.status == "answered", a.answer
    assert f"**{low}** is **{len(scores)}th of the {len(scores)} councils**" in a.answer, a.answer
    assert "wards" not in a.understood


def test_a_ranking_with_england_beside_it(pipeline):
    rows = {r["ltla24_name"]: float(r["patients_per_gp_fte"]) for r in raw_rows("gp_patients_per_gp_fte_la_2024_03_lcr_england.csv")}
    england = rows.pop(next(k for k in rows if k.startswith("England")))
    top = max(rows, key=rows.get)
    a = ask(pipeline, "which LCR council has the most patients per full-time GP, and is it above the England figure?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == top
    assert round(england) in [round(x) for x in numbers(a)]
    assert ("above it" if rows[top] > england else "below it") in a.answer


def test_growing_said_of_councils_is_their_population(pipeline):
    pop = defaultdict(dict)
    for r in raw_rows("population_lsoa11_mid2017_2020_lcr.csv"):
        if r["year"] in ("2017", "2020"):
            pop[r["lad19nm"]][r["year"]] = pop[r["lad19nm"]].get(r["year"], 0) + int(r["pop_total"])
    pct = {k: (v["2020"] - v["2017"]) / v["2017"] * 100 for k, v in pop.items()}
    a = ask(pipeline, "which council grew fastest in % terms between mid-2017 and mid-2020?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == max(pct, key=pct.get) and "population" in a.understood.lower()


def test_the_six_means_the_six_councils_in_a_follow_up(pipeline):
    conv = "the-six"
    ask(pipeline, "what share of households in Wirral own their home outright? 2021 census", conv)
    a = ask(pipeline, "which of the six is highest on that?", conv)
    assert a.status == "answered", a.answer
    assert "councils" in a.understood and len(a.table["rows"]) == 6


def test_a_measure_with_its_table_named_beside_it_is_the_measure(pipeline):
    over, total = overcrowded_households("Liverpool")
    a = ask(pipeline, "Whats the overcrowding rate for households in Liverpool? (census 2021 bedroom occupancy)")
    assert a.status == "answered", a.answer
    assert round(over / total * 100, 1) == a.table["rows"][0][2], a.table["rows"]


def test_a_topic_summary_gives_the_datasheets_headline_figures(pipeline):
    row = next(r for r in raw_rows("iod2025_la_summary_imd_lcr.csv") if r["lad24nm"] == "Knowsley")
    a = ask(pipeline, "give me the headline deprivation picture for Knowsley on IMD 2025")
    assert a.status == "answered", a.answer
    got = numbers(a)
    assert round(float(row["imd_average_score"]), 3) in got and int(row["imd_rank_of_average_score"]) in got, got
    assert "2025" in a.understood


def test_a_class_each_area_has_is_split_by_counting_the_areas(pipeline):
    classes = defaultdict(int)
    lad = {r["lsoa11cd"]: r["lad19nm"] for r in raw_rows("lookup_lsoa11_ward19_lad19_lcr.csv")}
    for r in raw_rows("rural_urban_classification_2011_lsoa11_lcr.csv"):
        if lad.get(r["lsoa11cd"]) == "St. Helens":
            classes[r["ruc11nm"]] += 1
    a = ask(pipeline, "can you break down St Helens' LSOAs by the rural-urban classification?")
    assert a.status == "answered", a.answer
    assert {r[1]: r[2] for r in a.table["rows"]} == dict(classes)
    a = ask(pipeline, "which rural-urban class is most common in St Helens")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][1] == max(classes, key=classes.get)
