"""Questions blind testers (rounds 60 and 61: a community development worker writing to ward
councillors, a combined-authority dashboard analyst) found declined without need or answered for a
different question: each is now answered right, or declined with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import ask, decile1_per_ward, iod2025_lsoas, mid_year, numbers, raw_rows


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def test_the_worst_ten_percent_for_crime_is_the_crime_domain(pipeline):
    # 'crime' beside a decile condition is the IoD crime domain, never the overall index in its place
    for council in ("Knowsley", "St. Helens"):
        want = sum(1 for r in iod2025_lsoas(council) if r["crime_decile"] == "1")
        a = ask(pipeline, f"how many neighbourhoods in {council.replace('.', '')} are in the worst 10% for crime?")
        assert a.status == "answered", a.answer
        assert a.table["rows"][0][2] == want and "crime domain" in a.understood, (a.table["rows"], a.understood)


def test_a_count_follow_up_on_another_domain(pipeline):
    want = sum(1 for r in iod2025_lsoas("St. Helens") if r["health_decile"] == "1")
    conv = "count-then-domain"
    ask(pipeline, "how many neighbourhoods in Knowsley are in the worst 10% for crime?", conv)
    ask(pipeline, "and St Helens?", conv)
    a = ask(pipeline, "ok and how many there for health deprivation?", conv)
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][2] == want and "health" in a.understood, (a.table["rows"], a.understood)


def test_worse_off_and_better_off(pipeline):
    la = {r["lad24nm"]: float(r["imd_average_score"]) for r in raw_rows("iod2025_la_summary_imd_lcr.csv")}
    a = ask(pipeline, "is St Helens worse off than Wirral on the 2025 IMD average score?")
    assert a.status == "answered", a.answer
    assert la["St. Helens"] in numbers(a) and la["Wirral"] in numbers(a), a.table["rows"]


def test_usual_residents_of_an_age_group(pipeline):
    la = next(r for r in raw_rows("census2021_population_age6_la_lcr_england.csv") if r["area_name"] == "Sefton")
    a = ask(pipeline, "census 2021: % of Sefton usual residents aged 65+?")
    assert a.status == "answered", a.answer
    assert round(int(la["lsoa_sum_age_65plus"]) / int(la["usual_residents_ts009"]) * 100, 1) in numbers(a)


def test_mye_names_the_mid_year_estimates(pipeline):
    p17, p20 = mid_year("Liverpool", "2017"), mid_year("Liverpool", "2020")
    a = ask(pipeline, "Liverpool total pop change between mid-2017 and mid-2020 (ONS MYE)")
    assert a.status == "answered", a.answer
    assert p20 - p17 in numbers(a), a.table["rows"]


def test_a_ward_map_said_again_in_brackets(pipeline):
    per_ward = decile1_per_ward("Sefton")
    a = ask(pipeline, "which Sefton ward (2024 wards) has the most LSOAs in IMD 2025 decile 1?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][:2] == [max(per_ward, key=per_ward.get), max(per_ward.values())], a.table["rows"][0]


def test_a_definition_in_brackets_in_the_measures_own_words(pipeline):
    rows = [r for r in raw_rows("census2021_lsoa21_lcr.csv") if r["lad24nm"] == "Liverpool"]
    want = sum(int(r["ts052_bedroom_occupancy__minus1_overcrowded"])
               + int(r["ts052_bedroom_occupancy__minus2_or_less_overcrowded"]) for r in rows)
    a = ask(pipeline, "no. of overcrowded households in Liverpool (bedroom occupancy rating -1 or lower), census 2021")
    assert a.status == "answered", a.answer
    assert want in numbers(a), a.table["rows"]
    # a definition that is not the measure's own is not taken as said again
    b = ask(pipeline, "no. of overcrowded households in Liverpool (bedroom occupancy rating -2 or lower), census 2021")
    assert b.status == "no_data" and "'2'" in b.answer, b.answer


def test_areas_of_a_class_counted_by_council(pipeline):
    council = {r["lsoa11cd"]: r["lad19nm"] for r in raw_rows("population_lsoa11_mid2017_2020_lcr.csv")}
    rural = Counter(council[r["lsoa11cd"]] for r in raw_rows("rural_urban_classification_2011_lsoa11_lcr.csv")
                    if r["urban_rural"].lower().startswith("rural"))
    a = ask(pipeline, "rural LSOAs in the city region by council (2011 rural-urban classification)")
    assert a.status == "answered", a.answer
    got = {r[0]: r[1] for r in a.table["rows"]}
    assert {k: v for k, v in got.items() if v} == dict(rural), (got, rural)


def test_a_share_gap_in_pct_points_uses_a_dataset_holding_both_places(pipeline):
    la = {r["area_name"]: r for r in raw_rows("census2021_population_age6_la_lcr_england.csv")}
    share = {k: round(int(la[k]["lsoa_sum_age_65plus"]) / int(la[k]["usual_residents_ts009"]) * 100, 1)
             for k in ("Wirral",)}
    a = ask(pipeline, "Wirral vs England, share of pop aged 65+, census 2021 - difference in pct points?")
    assert a.status == "answered", a.answer
    assert "not given: England" not in a.understood and share["Wirral"] in numbers(a), (a.understood, a.table["rows"])
    assert "percentage points" in a.answer, a.answer


def test_a_difference_in_named_with_between(pipeline):
    rows = raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
    n = lambda c: sum(int(r["crimes"]) for r in rows if r["lad19nm"] == c and r["month"] == "2019-10"  # noqa: E731
                      and r["crime_type"] == "Burglary")
    a = ask(pipeline, "difference in burglaries between Wirral and Sefton in October 2019")
    assert a.status == "answered", a.answer
    assert abs(n("Wirral") - n("Sefton")) in numbers(a) and "Burglary" in a.understood, a.table["rows"]


def test_women_over_65_is_still_declined(pipeline):
    # a sub-group the commons holds no age split of is never answered with all people of that age
    a = ask(pipeline, "how many women over 65 are there in Sefton?")
    assert a.status in ("no_data", "clarify"), a.answer
