"""Issue 15: maps, two measures side by side, area stories.  Figures are checked against the raw
CSVs (pandas), the geometry against the ONS lookups; one pipeline for the module."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from assistant import answers, charts, story
from kernel.types import Question
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
    assert a["status"] == "answered" and marks(a["chart"]) == {"geoshape"}
    iod = pd.read_csv(RAW / "iod2025_lsoa21_lcr.csv")
    liv = iod[iod.lad24nm == "Liverpool"]
    layers = {len(layer["data"]["values"]) for layer in a["chart"]["layer"]}
    split = pd.read_csv(RAW / "lookup_lsoa11_lsoa21_lad22_lcr.csv")
    split = split[(split.chgind == "S") & split.lsoa21cd.isin(liv.lsoa21cd)]
    assert layers == {len(liv) - len(split), split.lsoa11cd.nunique()}      # shaded, and grey parents
    shaded = {f["properties"]["code"]: f["properties"]["value"] for f in a["chart"]["layer"][1]["data"]["values"]}
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
