"""Questions blind testers (rounds 50 and 51: a local journalist, a public health commissioner) found
declined without need or answered for a different question: each is now answered right, or declined
with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations

import pytest
from conftest import ask, numbers, raw_rows


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def _hi(name: str) -> dict[tuple[str, str], float]:
    return {(r["ltla21_name"], r["year"]): float(r[name]) for r in raw_rows("ons_health_index_subdomains_la_2015_2021_lcr.csv")}


def test_a_period_in_the_story_and_a_from_in_the_ask_are_the_two_ends(pipeline):
    wb = _hi("personal_well_being")
    a = ask(pipeline, "Sefton personal well-being took a big hit in 2020 I think - by how much did it drop from 2019?")
    assert a.status == "answered", a.answer
    assert round(wb[("Sefton", "2020")] - wb[("Sefton", "2019")], 1) in numbers(a), a.table["rows"]
    assert "2019 to 2020" in a.understood


def test_a_figure_of_a_place_not_held_is_declined_not_given_for_another(pipeline):
    a = ask(pipeline, "What was England's overall Health Index score in 2021? want to benchmark Sefton against it")
    assert a.status != "answered", a.answer
    b = ask(pipeline, "compare Sefton's health index with England in 2021")
    assert b.status == "answered" and "not given: England" in b.understood, b.understood


def test_a_share_of_the_city_regions_total_that_lives_in_a_council(pipeline):
    rows = raw_rows("census2021_lsoa21_lcr.csv")
    col = "ts038_disability__disabled_under_the_equality_act"
    sefton = sum(int(r[col]) for r in rows if r["lad24nm"] == "Sefton")
    region = sum(int(r[col]) for r in rows)
    a = ask(pipeline, "what share of all the disabled residents in the city region live in Sefton? (2021 census)")
    assert a.status == "answered", a.answer
    assert round(sefton / region * 100, 1) in numbers(a), a.table["rows"]


def test_the_population_after_a_count_is_that_count_as_a_share(pipeline):
    rows = [r for r in raw_rows("census2021_lsoa21_lcr.csv") if r["lad24nm"] == "St. Helens"]
    col = "ts038_disability__disabled_under_the_equality_act"
    total = "ts038_disability__total"
    want = round(sum(int(r[col]) for r in rows) / sum(int(r[total]) for r in rows) * 100, 1)
    c = "b51-d"
    ask(pipeline, "How many St Helens residents were disabled under the Equality Act at the 2021 census?", c)
    a = ask(pipeline, "what % of the population is that?", c)
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == "St. Helens" and a.table["rows"][0][2] == want, a.table["rows"]


def test_everyday_ways_of_asking_for_a_difference_an_order_and_a_table(pipeline):
    hp = {(r["ltla21_name"], r["year"]): float(r["healthy_places_domain_score"])
          for r in raw_rows("ons_health_index_la_2015_2021_lcr.csv")}
    a = ask(pipeline, "How far apart were Sefton and St Helens on the Healthy Places domain in 2021?")
    assert a.status == "answered", a.answer
    assert round(abs(hp[("Sefton", "2021")] - hp[("St. Helens", "2021")]), 1) in [abs(x) for x in numbers(a)]
    b = ask(pipeline, "rank the LCR councils by patients per GP FTE, worst (most patients) first")
    assert b.status == "answered", b.answer
    gp = {r["ltla24_name"]: float(r["patients_per_gp_fte"]) for r in raw_rows("gp_patients_per_gp_fte_la_2024_03_lcr_england.csv")
          if not r["ltla24_name"].startswith("England")}
    assert b.table["rows"][0][0] == max(gp, key=gp.get)
    c = ask(pipeline, "Break down St Helens' 2021 Health Index into its three domains pls")
    assert c.status == "answered", c.answer
    assert len(c.table["rows"]) >= 3


def test_a_council_named_in_a_pasted_quote_is_ranked_among_the_councils(pipeline):
    mh = _hi("mental_health")
    worst = min((k for k in mh if k[1] == "2021"), key=mh.get)[0]
    a = ask(pipeline, "Our draft JSNA says \"mental health outcomes in St Helens remain among the poorest in the "
                      "sub-region\". Can you rank the six councils worst to best on the Health Index mental health "
                      "subdomain for 2021?")
    assert a.status == "answered", a.answer
    assert len(a.table["rows"]) == 6 and a.table["rows"][0][0].replace(".", "") == worst.replace(".", "")


def test_a_category_said_to_be_included_is_not_a_filter(pipeline):
    crimes = raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
    liv = [r for r in crimes if r["lad19nm"] == "Liverpool"]
    want = round(sum(int(r["crimes"]) for r in liv if r["crime_type"] == "Violence and sexual offences")
                 / sum(int(r["crimes"]) for r in liv) * 100, 1)
    a = ask(pipeline, "What share of all crime recorded in Liverpool between Sept and Dec 2019 was violence and sexual "
                      "offences? (ASB included in the total)")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][2] == want, a.table["rows"]


def test_that_per_1000_with_the_population_named_is_the_rate_of_the_figure_before(pipeline):
    c = "b50-a"
    ask(pipeline, "How many burglaries were there in Liverpool in October 2019?", c)
    ask(pipeline, "and in Sefton?", c)
    a = ask(pipeline, "whats that per 1,000 residents? use the mid-2019 population", c)
    assert a.status == "answered", a.answer
    assert "Burglary" in a.understood and "per 1,000" in a.understood and "October 2019" in a.understood


def test_a_comparison_of_one_place_over_two_years_shows_both(pipeline):
    rows = [r for r in raw_rows("population_lsoa11_mid2017_2020_lcr.csv") if r["lad19nm"] == "Wirral"]
    y17 = sum(int(r["pop_65plus"]) for r in rows if r["year"] == "2017")
    y20 = sum(int(r["pop_65plus"]) for r in rows if r["year"] == "2020")
    a = ask(pipeline, "are there more pensioners (65+) in wirral now than in 2017? compare 2017 and 2020 figures")
    assert a.status == "answered", a.answer
    assert y17 in numbers(a) and y20 in numbers(a), a.table["rows"]


def test_a_domain_named_for_a_decile_is_that_domain(pipeline):
    rows = raw_rows("iod2025_lsoa21_lcr.csv")
    want = sum(1 for r in rows if r["lad24nm"] == "Sefton" and r["living_env_decile"] == "1")
    a = ask(pipeline, "how many LSOAs in Sefton are in the most deprived 10% for living environment")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][2] == want and "people" not in a.understood, (a.understood, a.table["rows"])
