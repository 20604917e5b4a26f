"""Questions blind testers (rounds 54 and 55: a councillor's caseworker answering residents' emails,
a sixth-form geography student) found declined without need or answered for a different question:
each is now answered right, or declined with its reason.

Expected figures are computed here from data/raw with the csv module, never from the product.
"""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import ask, decile1_per_ward, iod2025_lsoas, numbers, raw_rows


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def _la2025(council: str) -> dict[str, str]:
    return next(r for r in raw_rows("iod2025_la_summary_imd_lcr.csv") if r["lad24nm"] == council)


def test_a_rank_among_councils_in_england_is_the_national_rank(pipeline):
    want = int(_la2025("Knowsley")["imd_rank_of_average_score"])
    for q in ("Where does Knowsley rank on IoD 2025 among councils in England?",
              "Where does Knowsley rank out of all councils on IoD 2025?",
              "where does knowsley rank out of English councils on IMD 2025?"):
        a = ask(pipeline, q)
        assert a.status == "answered", (q, a.answer)
        assert "rank" in a.understood.lower() and want in numbers(a), (q, a.table["rows"])
        assert "of the 6 city-region councils" not in a.answer, (q, a.answer)


def test_the_most_deprived_council_in_england_is_not_the_city_regions_first(pipeline):
    # the commons holds six councils: the first of them is not England's most deprived
    for q in ("which is the most deprived council in england?",
              "what is the most deprived local authority in England on IMD 2025?"):
        a = ask(pipeline, q)
        assert a.status == "no_data", (q, a.answer)
        assert "every council in England" in a.answer and "Liverpool" not in a.answer, (q, a.answer)
    b = ask(pipeline, "Where does Knowsley rank among councils in England for crime severity?")
    assert b.status == "no_data" and "every council in England" in b.answer, b.answer


def test_the_six_ranked_by_their_national_rank_put_rank_1_first(pipeline):
    rows = sorted(raw_rows("iod2025_la_summary_imd_lcr.csv"), key=lambda r: int(r["imd_rank_of_average_score"]))
    a = ask(pipeline, "rank the six councils by their rank among councils in England on IMD 2025")
    assert a.status == "answered", a.answer
    assert [r[1] for r in a.table["rows"]] == [int(r["imd_rank_of_average_score"]) for r in rows], a.table["rows"]


def test_how_things_used_to_be_is_context_not_the_question(pipeline):
    want = int(_la2025("Knowsley")["imd_rank_of_average_score"])
    a = ask(pipeline, "Knowsley used to be the 2nd most deprived council in England. Where does it rank now on IoD 2025?")
    assert a.status == "answered", a.answer
    assert a.table["rows"] == [["Knowsley", "", want]], a.table["rows"]


def test_since_an_edition_gives_both_editions(pipeline):
    d19 = sum(1 for r in raw_rows("iod2019_lsoa11_lcr.csv") if r["lad19nm"] == "Sefton" and r["imd_decile"] == "1")
    d25 = sum(1 for r in iod2025_lsoas("Sefton") if r["imd_decile"] == "1")
    for q in ("has the number of Sefton LSOAs in the most deprived 10% gone up since the 2019 index?",
              "has the number of Sefton LSOAs in the most deprived 10% gone up since 2019?"):
        a = ask(pipeline, q)
        assert a.status == "answered", (q, a.answer)
        assert d19 in numbers(a) and d25 in numbers(a), (q, a.table["rows"])
    ask(pipeline, "How many neighbourhoods (LSOAs) in Sefton are in the most deprived 10% in England on the IMD 2025?",
        "since-conv")
    b = ask(pipeline, "has that gone up since the 2019 index?", "since-conv")
    assert b.status == "answered" and d19 in numbers(b) and d25 in numbers(b), b.table["rows"]


def test_wards_with_at_least_n_matching_neighbourhoods(pipeline):
    for council, n, q in (
            ("Sefton", 1, "how many Sefton wards (2024 wards) have at least one LSOA in the most deprived 10% "
                          "nationally on IMD 2025?"),
            ("Knowsley", 3, "how many Knowsley wards have at least 3 LSOAs in the most deprived 10% on IoD 2025?")):
        per_ward = Counter()
        wards = set()
        for r in iod2025_lsoas(council):
            wards.add(r["wd24nm"])
            per_ward[r["wd24nm"]] += r["imd_decile"] == "1"
        want = sum(1 for w in wards if per_ward[w] >= n)
        a = ask(pipeline, q)
        assert a.status == "answered", (q, a.answer)
        assert a.table["rows"][0][1:3] == [want, len(wards)], a.table["rows"][0]
        assert f"at least {'one' if n == 1 else n}" in a.understood, a.understood


def test_a_count_in_each_ward_is_one_count_per_ward(pipeline):
    a = ask(pipeline, "number of LSOAs in the most deprived 10% in each Sefton ward, IMD 2025")
    assert a.status == "answered", a.answer
    assert {r[0]: r[1] for r in a.table["rows"] if r[1]} == dict(decile1_per_ward("Sefton")), a.table["rows"]


def test_a_summary_of_the_health_index_gives_its_domains(pipeline):
    row = next(r for r in raw_rows("ons_health_index_la_2015_2021_lcr.csv")
               if r["ltla21_name"] == "Sefton" and r["year"] == "2021")
    a = ask(pipeline, "Can you give me a quick summary of Sefton's health index for 2021?")
    assert a.status == "answered", a.answer
    got = numbers(a)
    for col in ("overall_score", "healthy_people_domain_score", "healthy_lives_domain_score",
                "healthy_places_domain_score"):
        assert round(float(row[col]), 1) in got, (col, a.table["rows"])


def test_shorthand_ordinals_and_etc_are_understood(pipeline):
    rows = sorted(raw_rows("iod2025_la_summary_imd_lcr.csv"), key=lambda r: -float(r["imd_average_score"]))
    a = ask(pipeline, "rank all 6 councils by their imd 2025 average score, most deprived 1st")
    assert a.status == "answered", a.answer
    assert [r[0].replace(".", "") for r in a.table["rows"]] == [r["lad24nm"].replace(".", "") for r in rows]
    b = ask(pipeline, "quick summary of knowsley? deprivation, population etc")
    assert b.status == "answered", b.answer


def test_a_gap_between_percentages_is_in_percentage_points(pipeline):
    a = ask(pipeline, "how much higher is the share of households that are social rented in Knowsley than in "
                      "Sefton, census 2021?")
    assert a.status == "answered", a.answer
    assert "percentage points higher than Sefton" in a.answer and "% more than" not in a.answer, a.answer


def test_a_decline_names_the_edition_asked(pipeline):
    # a word the product cannot apply is named back with the dataset of the edition the question named
    a = ask(pipeline, "rank all 6 councils by their imd 2025 average score, most deprived foo")
    assert a.status == "no_data" and "'foo'" in a.answer, a.answer
    assert "Deprivation 2025" in a.answer and "2019" not in a.answer, a.answer
