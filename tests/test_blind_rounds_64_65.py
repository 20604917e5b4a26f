"""Questions blind testers (rounds 64 and 65: a charity fundraiser writing a grant bid, a
neighbourhood watch coordinator) found declined without need or answered for a different question:
each is now answered right, or declined with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import ask, iod2025_lsoas, numbers, raw_rows


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def test_a_charity_asking_about_a_place_is_not_an_organisation_benchmark(pipeline):
    la = next(r for r in raw_rows("census2021_population_age6_la_lcr_england.csv") if r["area_name"] == "St. Helens")
    a = ask(pipeline, "Hiya, I'm writing a grant bid for a little charity in St Helens and the funder wants headline "
                      "numbers first - how many people lived in St Helens at the 2021 census?")
    assert a.status == "answered", a.answer
    assert int(la["usual_residents_ts009"]) in numbers(a), a.table["rows"]
    # ranking organisations is still declined
    b = ask(pipeline, "which charity supports the most people in Sefton?")
    assert b.status == "no_data" and "organisations" in b.understood, b.answer


def test_a_third_partys_aside_after_the_question(pipeline):
    row = next(r for r in raw_rows("ons_health_index_la_2015_2021_lcr.csv")
               if r["ltla21_name"] == "Halton" and r["year"] == "2021")
    a = ask(pipeline, "whats Halton's health index score for 2021? the funder keeps going on about health inequalities")
    assert a.status == "answered", a.answer
    assert float(row["overall_score"]) in numbers(a), a.table["rows"]
    b = ask(pipeline, "can you give me a quick overview of Halton for the intro section of the bid")
    assert b.status == "answered", b.answer


def test_deciles_one_to_ten_is_the_whole_scale(pipeline):
    # never 'in deciles 1 to 10' counted as one condition (every area), nor an age of 1 to 10
    per = Counter(int(r["imd_decile"]) for r in iod2025_lsoas("Halton"))
    a = ask(pipeline, "can u break down Halton's neighbourhoods by 2025 IMD decile, 1 to 10? how many in each")
    assert a.status == "answered", a.answer
    got = {int(r[1].split()[-1]): r[2] for r in a.table["rows"] if r[1].startswith("decile")}
    assert got == dict(per), (got, per)


def test_an_organisation_named_in_the_askers_story_is_not_asked_about(pipeline):
    # 'a food pantry' in who-is-asking is not an organisation's figures asked for
    a = ask(pipeline, "Hiya, I'm writing a grant bid for a little charity in St Helens that runs youth clubs and a food "
                      "pantry, and the funder wants headline numbers first - how many people lived in St Helens at the "
                      "2021 census?")
    assert a.status == "answered", a.answer
