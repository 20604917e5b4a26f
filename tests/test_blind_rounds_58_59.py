"""Questions blind testers (rounds 58 and 59: a local newspaper data reporter, a public health
registrar writing a JSNA chapter) found declined without need or answered for a different question:
each is now answered right, or declined with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations

import pytest
from conftest import ask, decile1_per_ward, numbers, raw_rows


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def _crimes() -> list[dict[str, str]]:
    return raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")


def test_the_five_councils_are_the_whole_of_a_share_not_a_top_five(pipeline):
    rows = _crimes()
    total = sum(int(r["crimes"]) for r in rows)
    liv = sum(int(r["crimes"]) for r in rows if r["lad19nm"] == "Liverpool")
    a = ask(pipeline, "What share of all recorded crime in the five Merseyside Police councils happened in Liverpool, "
                      "Sept-Dec 2019?")
    assert a.status == "answered", a.answer
    assert "top 5" not in a.understood and "share of Liverpool City Region" in a.understood, a.understood
    assert round(liv / total * 100, 1) in numbers(a), a.table["rows"]


def test_a_period_restated_in_brackets_is_the_period_asked(pipeline):
    a = ask(pipeline, "Which 3 Sefton wards had the most anti-social behaviour in autumn 2019 (Sept-Dec)?")
    assert a.status == "answered", a.answer
    assert "September to December 2019" in a.understood, a.understood


def test_a_past_ranking_with_its_year_is_context_for_the_edition_asked(pipeline):
    la = next(r for r in raw_rows("iod2025_la_summary_imd_lcr.csv") if r["lad24nm"] == "Liverpool")
    a = ask(pipeline, "Liverpool was ranked 3rd most deprived council in England in 2019 on average IMD score. "
                      "Where does it sit in the 2025 index?")
    assert a.status == "answered", a.answer
    assert "2025" in a.understood and "2019" not in a.understood, a.understood
    assert int(la["imd_rank_of_average_score"]) in numbers(a), a.table["rows"]


def test_a_politicians_claim_of_top_place_is_checked(pipeline):
    rows = [r for r in raw_rows("gp_patients_per_gp_fte_la_2024_03_lcr_england.csv") if r["ltla24_name"] != "England"]
    top = max(rows, key=lambda r: int(r["patients_per_gp_fte"]))
    a = ask(pipeline, "Sefton MP says the borough has more patients per GP than anywhere else in the city region. True?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][:2] == [top["ltla24_name"], int(top["patients_per_gp_fte"])], a.table["rows"]


def test_name_the_three_least_deprived_neighbourhoods(pipeline):
    liv = sorted((r for r in raw_rows("iod2025_lsoa21_lcr.csv") if r["lad24nm"] == "Liverpool"),
                 key=lambda r: float(r["imd_score"]))
    a = ask(pipeline, "name the 3 least deprived LSOAs in Liverpool, 2025 IMD")
    assert a.status == "answered", a.answer
    assert [r[0] for r in a.table["rows"][:3]] == [r["lsoa21nm"] for r in liv[:3]], a.table["rows"][:3]


def test_two_letters_swapped_in_a_topic_word(pipeline):
    s = {r["ltla21_name"]: float(r["mental_health"]) for r in raw_rows("ons_health_index_subdomains_la_2015_2021_lcr.csv")
         if r["year"] == "2021"}
    a = ask(pipeline, "which LCR council had the lowest mental helath subdomain score in the health index in 2021?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == min(s, key=s.get) and a.table["rows"][0][1] == min(s.values()), a.table["rows"]


def test_social_landlord_is_social_renting(pipeline):
    rows = [r for r in raw_rows("census2021_lsoa21_lcr.csv") if r["lad24nm"] == "Sefton"]
    total = sum(int(r["ts054_tenure__total"]) for r in rows)
    social = sum(int(r["ts054_tenure__social_rented_other_social_rented"])
                 + int(r["ts054_tenure__social_rented_rents_from_council_or_local_authority"]) for r in rows)
    outright = sum(int(r["ts054_tenure__owned_owns_outright"]) for r in rows)
    a = ask(pipeline, "What % of households in Sefton own their home outright, and what % rent from a social "
                      "landlord? (2021 census)")
    assert a.status == "answered", a.answer
    got = numbers(a)
    assert round(outright / total * 100, 1) in got and round(social / total * 100, 1) in got, a.table["rows"]


def test_counted_wards_and_the_count_tallies(pipeline):
    # the per-ward counts behind 'at least one' are the raw file's, ward by ward
    per_ward = decile1_per_ward("Liverpool")
    a = ask(pipeline, "how many Liverpool wards have at least 5 LSOAs in the most deprived 10% on IMD 2025?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][1] == sum(1 for v in per_ward.values() if v >= 5), a.table["rows"][0]


def test_a_bracket_with_a_place_that_says_what_the_threshold_is(pipeline):
    s21 = [float(r["overall_score"]) for r in raw_rows("ons_health_index_la_2015_2021_lcr.csv") if r["year"] == "2021"]
    a = ask(pipeline, "how many of the 6 councils had an overall health index score below 100 in 2021 (the England "
                      "2015 baseline)?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][2:4] == [sum(1 for v in s21 if v < 100), len(s21)], a.table["rows"]
    assert " have health index" in a.understood, a.understood


def test_months_in_brackets_before_a_sentence_naming_the_ward_map(pipeline):
    a = ask(pipeline, "Which 3 Sefton wards had the most anti-social behaviour in autumn 2019 (Sept-Dec)? 2019 wards")
    assert a.status == "answered", a.answer
    assert "September to December 2019" in a.understood, a.understood


def test_a_range_of_years_over_editions_gives_each_edition(pipeline):
    v19 = next(r for r in raw_rows("iod2019_la_summaries_lcr.csv") if r["lad19nm"] == "Knowsley")["imd_average_score"]
    v25 = next(r for r in raw_rows("iod2025_la_summary_imd_lcr.csv") if r["lad24nm"] == "Knowsley")["imd_average_score"]
    a = ask(pipeline, "Knowsley's IMD score from 2019 to 2025")
    assert a.status == "answered", a.answer
    assert float(v19) in numbers(a) and float(v25) in numbers(a), a.table["rows"]


def test_a_follow_up_after_several_measures_asks_for_each_again(pipeline):
    la19 = {r["lad19nm"]: r for r in raw_rows("iod2019_la_summaries_lcr.csv")}
    ask(pipeline, "Where does Sefton rank in England on average IMD score in the 2025 index?", "several-then-year")
    a = ask(pipeline, "and in 2019?", "several-then-year")
    assert a.status == "answered", a.answer
    assert int(la19["Sefton"]["imd_rank_of_average_score"]) in numbers(a), a.table["rows"]
    assert float(la19["Sefton"]["imd_average_score"]) in numbers(a), a.table["rows"]
    b = ask(pipeline, "and Liverpool in 2019?", "several-then-year")
    assert b.status == "answered" and int(la19["Liverpool"]["imd_rank_of_average_score"]) in numbers(b)
