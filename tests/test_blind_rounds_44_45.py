"""Questions blind testers (rounds 44 and 45) and the review of their failures found answered for a
different question or declined without need: each is now answered right or declined with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from conftest import ask, numbers, raw_rows


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
