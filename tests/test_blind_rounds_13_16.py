"""Questions blind testers (rounds 13 to 16) found answered for a different question, or
declined for an everyday word: each now answered right or declined with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations


import pytest
from conftest import raw_rows

from kernel.types import Question



@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def ask(p, text, conversation=None):
    return p.ask(Question(text=text, conversation_id=conversation))


def test_people_said_of_a_figure_counted_in_households_is_declined(pipeline):
    a = ask(pipeline, "how many people live in flats in Liverpool")
    assert a.status == "clarify" and not a.table
    assert "households" in a.answer and "not of people" in a.answer
    b = ask(pipeline, "how many households in Liverpool live in flats")
    assert b.status == "answered"


def test_a_share_of_a_larger_areas_count_is_never_the_places_own_share(pipeline):
    a = ask(pipeline, "Of all the city region's neighbourhoods (LSOAs) in England's most deprived 10% on the IoD 2025, "
                      "what share are in Liverpool?")
    assert a.status == "no_data" and not a.table


def test_a_category_is_counted_on_the_measure_that_holds_it(pipeline):
    a = ask(pipeline, "How many rural LSOAs are there in St Helens under the 2011 rural-urban classification?")
    ruc = {r["lsoa11cd"]: r["urban_rural"] for r in raw_rows("rural_urban_classification_2011_lsoa11_lcr.csv")}
    lads = {r["lsoa11cd"]: r["lad19nm"] for r in raw_rows("lookup_lsoa11_ward19_lad19_lcr.csv")}
    want = sum(1 for k, v in ruc.items() if v == "Rural" and lads.get(k) == "St. Helens")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][2] == want


def test_my_ward_is_the_ward_the_story_names(pipeline):
    a = ask(pipeline, "I'm a pensioner in Cambridge ward, Southport. What percentage of people in my ward are 65 or "
                      "over (2021 census)?")
    wards = {r["lsoa21cd"]: r["wd24nm"] for r in raw_rows("lookup_lsoa21_ward24_lad24_lcr.csv")
             if r["lad24nm"] == "Sefton"}
    rows = [r for r in raw_rows("census2021_lsoa21_lcr.csv") if wards.get(r["lsoa21cd"]) == "Cambridge"]
    old = sum(int(r["age6__aged_65_years_and_over"]) for r in rows)
    everyone = sum(int(r["age6__total_usual_residents"]) for r in rows)
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0].startswith("Cambridge ward")
    assert float(a.table["rows"][0][-1]) == pytest.approx(round(100 * old / everyone, 1), abs=0.05)


def test_its_rank_among_the_councils_is_the_councils_figure_with_its_place(pipeline):
    a = ask(pipeline, "what share of Liverpool's residents are aged 65 and over, and how does that rank among the councils?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == "Liverpool"                  # not a table of Liverpool's wards
    assert "of the 6 city-region councils" in a.answer


def test_places_beside_the_region_are_outside_it(pipeline):
    for q in ("What is the crime severity score for Warrington?",
              "What's Warrington's average IMD score in 2019? we border them and want to compare"):
        a = ask(pipeline, q)
        assert a.status == "no_data" and "outside the commons" in a.answer, a.answer


def test_the_last_month_of_the_data_is_the_latest_month_held(pipeline):
    crime = raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
    last = max(r["month"] for r in crime)
    a = ask(pipeline, "how many drugs offences across the city region in the last month of the police data?")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][-1] == sum(int(r["crimes"]) for r in crime
                                         if r["month"] == last and r["crime_type"] == "Drugs")


def test_a_council_left_out_of_a_listing_of_councils(pipeline):
    a = ask(pipeline, "Apart from Liverpool, which councils had more than 1 household per 1,000 in temporary "
                      "accommodation at the end of 2023?")
    assert a.status == "answered", a.answer
    names = [r[0] for r in a.table["rows"]]
    assert "Liverpool" not in names and names


@pytest.mark.parametrize("question", [
    "wat % of liverpools population is aged 16 to 24?? census 2021 pls, doing a uni project",
    "How many St Helens LSOAs sit in national IMD decile 1 in the IoD2025?",
    "Give me the three least deprived LSOAs in Liverpool on IMD 2025, least deprived first.",
    "how many people in knowsley count as disabled under the equality act",
    "IMD 2019: what is the rank of average score for St Helens and for Halton, out of 317 districts?",
    "What were the three most common categories in the St Helens street-level police data for November 2019?",
    "Which three of Liverpool's 2024 wards have the highest share of residents aged 65 and over, per the 2021 census?",
])
def test_everyday_words_do_not_stop_an_answer(pipeline, question):
    a = ask(pipeline, question)
    assert a.status == "answered", a.answer


def test_places_ranked_by_their_change_between_two_periods(pipeline):
    hi = raw_rows("ons_health_index_la_2015_2021_lcr.csv")
    by = {(r["ltla21_name"], r["year"]): float(r["overall_score"]) for r in hi if r["overall_score"]}
    lads = ("Halton", "Knowsley", "Liverpool", "Sefton", "St. Helens", "Wirral")
    lads = [n for n in {k for k, _ in by} if n.replace("St Helens", "St. Helens") in lads]
    want = sorted(lads, key=lambda n: (by[(n, "2021")] - by[(n, "2019")], n))
    a = ask(pipeline, "Which council's overall Health Index score fell the most between 2019 and 2021?")
    assert a.status == "answered", a.answer
    got = [r[0].replace("St. Helens", "St Helens") for r in a.table["rows"]]
    assert got == [n.replace("St. Helens", "St Helens") for n in want]
    assert "biggest fall first" in a.understood
    # 'improvement' follows the measure's direction; the wards of one council ranked by their change
    b = ask(pipeline, "Which LCR council saw the biggest improvement in its overall ONS Health Index score between 2015 "
                      "and 2021?")
    assert b.status == "answered" and "an improvement is a rise" in b.understood
    c = ask(pipeline, "which ward in Liverpool saw the biggest rise in crime between September and December 2019")
    crime = raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
    wards = {r["lsoa11cd"]: r["wd19nm"] for r in raw_rows("lookup_lsoa11_ward19_lad19_lcr.csv") if r["lad19nm"] == "Liverpool"}
    change: dict[str, int] = {}
    for r in crime:
        if r["lsoa11cd"] in wards and r["month"] in ("2019-09", "2019-12"):
            change[wards[r["lsoa11cd"]]] = change.get(wards[r["lsoa11cd"]], 0) + (1 if r["month"] == "2019-12" else -1) * int(r["crimes"])
    top = max(change, key=change.get)
    assert c.status == "answered" and "biggest rise first" in c.understood, c.answer
    assert c.table["rows"][0][0].startswith(top) and c.table["rows"][0][3] == change[top]


def test_places_added_together(pipeline):
    crime = raw_rows("police_street_crime_lsoa11_merseyside_2019_09_12_lcr.csv")
    wards = {r["lsoa11cd"]: r["wd19nm"] for r in raw_rows("lookup_lsoa11_ward19_lad19_lcr.csv") if r["lad19nm"] == "Liverpool"}
    want = sum(int(r["crimes"]) for r in crime if r["crime_type"] == "Burglary"
               and wards.get(r["lsoa11cd"]) in ("Everton", "Anfield"))
    a = ask(pipeline, "burglaries in Everton and Anfield wards combined, Sep-Dec 2019")
    assert a.status == "answered", a.answer
    assert a.table["rows"][0][0] == "Everton and Anfield combined" and a.table["rows"][0][-1] == want
    # a score does not add up; a place inside another would be counted twice: both declined
    for q in ("imd score of Knowsley and Halton combined", "population of Liverpool and Everton ward combined"):
        b = ask(pipeline, q)
        assert b.status == "no_data" and not b.table, b.answer
