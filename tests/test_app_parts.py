"""The app's core parts without a browser: charts (assistant/charts.py), transcripts and answer
references (assistant/transcripts.py), reference look-ups (assistant/references.py)."""

from __future__ import annotations

import time

import pytest

from assistant import charts
from assistant.references import find_reference
from assistant.transcripts import Transcripts, owner_key
from kernel.settings import Settings


# -- charts ----------------------------------------------------------------------------------
ROWS = [{"Area": "Everton ward (Liverpool)", "Score": 67.384}, {"Area": "Liverpool", "Score": 42.412},
        {"Area": "England", "Score": 21.7}]


def _layers(spec):
    return {layer["mark"]["type"]: layer for layer in spec["layer"]}


def test_a_ward_is_a_bar_and_its_council_and_england_are_reference_lines():
    spec = charts.compare_chart("IMD score (2019)", ROWS, "Area", "Score", asked=["Everton ward (Liverpool)"],
                                comparators=["Liverpool", "England"], additive=False)
    bars = spec["data"]["values"]
    assert [b["Area"] for b in bars] == ["Everton ward (Liverpool)"]        # not on the council's bar scale
    rule = _layers(spec)["rule"]
    assert {r["_value"] for r in rule["data"]["values"]} == {42.412, 21.7}
    assert "Liverpool 42.412" in charts.alt_text(spec) and "(asked about): 67.384" in charts.alt_text(spec)


def test_the_scale_holds_every_comparator_line_and_the_value_labels():
    spec = charts.summary_chart("Knowsley", [{"measure": "Patients per GP", "period": "March 2024", "value": 1561,
                                              "additive": False,
                                              "comparators": [("England", 1744), ("Liverpool City Region", 1421)]}])
    panel = spec["vconcat"][0]
    bar = next(layer for layer in panel["layer"] if layer["mark"]["type"] == "bar")
    assert bar["encoding"]["x"]["scale"]["domainMax"] > 1744          # England's line is inside the chart
    assert bar["encoding"]["x"]["axis"]["labelFlush"] is True


def test_counts_leave_comparators_out_and_a_lone_bar_is_no_chart():
    rows = [{"Area": "Everton ward (Liverpool)", "People": 19814}, {"Area": "Liverpool", "People": 500474}]
    assert charts.compare_chart("Population", rows, "Area", "People", asked=[rows[0]["Area"]],
                                comparators=["Liverpool"], additive=True) is None
    peers = [{"Area": a, "People": v} for a, v in (("Liverpool", 500474), ("Wirral", 324336), ("Sefton", 275899))]
    spec = charts.compare_chart("Population", peers + [{"Area": "England", "People": 56_550_138}], "Area", "People",
                                asked=["Wirral"], comparators=["England"], additive=True)
    assert [b["Area"] for b in spec["data"]["values"]] == ["Liverpool", "Wirral", "Sefton"]
    assert "rule" not in _layers(spec)
    assert "England are in the table, not the chart" in charts.alt_text(spec)


def test_the_asked_place_is_highlighted_and_bars_are_in_order():
    peers = [{"Area": a, "Score": v} for a, v in (("Halton", 31.1), ("Knowsley", 36.2), ("Liverpool", 37.1))]
    spec = charts.bar_chart("IMD", peers, "Area", "Score", highlight=["Knowsley"])
    roles = {b["Area"]: b["_role"] for b in spec["data"]["values"]}
    assert roles == {"Halton": charts.PEER_KEY, "Knowsley": charts.ASKED_KEY, "Liverpool": charts.PEER_KEY}
    bar = _layers(spec)["bar"]
    assert bar["encoding"]["y"]["sort"] == ["Liverpool", "Knowsley", "Halton"]
    assert bar["encoding"]["color"]["scale"]["range"][0] == charts.ASKED


def test_titles_are_wrapped_and_labels_cut_to_fit_a_phone():
    spec = charts.bar_chart("Index of Multiple Deprivation (IMD) score (English Indices of Deprivation 2019)",
                            ROWS[:2], "Area", "Score")
    assert all(len(line) <= charts.TITLE_WIDTH for line in spec["title"]["text"])
    assert spec["width"] == "container"
    assert _layers(spec)["bar"]["encoding"]["y"]["axis"]["labelLimit"] == charts.LABEL_LIMIT


def test_trend_draws_the_asked_place_strong_and_describes_every_point():
    rows = [{"Area": a, "Period": p, "People": v} for a, p, v in
            (("Liverpool", "2019", 498042), ("Liverpool", "2020", 500474), ("Wirral", "2019", 323235),
             ("Wirral", "2020", 324336))]
    spec = charts.trend_chart("Population", rows, "Period", "People", "Area", asked=["Liverpool"])
    assert {r["_role"] for r in spec["data"]["values"] if r["Area"] == "Liverpool"} == {"Asked"}
    assert "Liverpool: 2019 498,042, 2020 500,474" in charts.alt_text(spec)


def test_summary_small_charts_skip_counts():
    items = [{"measure": "Population", "period": "2020", "value": 19814, "additive": True,
              "comparators": [("Liverpool", 500474)]},
             {"measure": "IMD score", "period": "2019", "value": 67.384, "additive": False,
              "comparators": [("Liverpool", 42.412), ("England", None)]},
             {"measure": "Density", "period": "2018", "value": 4574, "additive": False,
              "comparators": [("Liverpool", 4424)]}]
    spec = charts.summary_chart("Everton", items)
    assert len(spec["vconcat"]) == 2
    assert "Population" not in charts.alt_text(spec) and "Liverpool 4,424" in charts.alt_text(spec)
    assert charts.summary_chart("Everton", items[:1]) is None


def test_chart_png_export_draws_offline():
    from ui.export import chart_png

    png = chart_png(charts.compare_chart("IMD", ROWS, "Area", "Score", asked=[ROWS[0]["Area"]],
                                         comparators=["Liverpool", "England"]))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000


# -- references --------------------------------------------------------------------------
@pytest.mark.parametrize("text,kind,ref", [
    ("check R-1A2B3C4D", "request", "R-1A2B3C4D"), ("status of r-1a2b3c4d?", "request", "R-1A2B3C4D"),
    ("What happened to my request R - 00FF00FF", "request", "R-00FF00FF"),
    ("A-DEADBEEF", "answer", "A-DEADBEEF"), ("check E-0A0B0C0D please", "error", "E-0A0B0C0D"),
])
def test_references_are_found(text, kind, ref):
    found = find_reference(text)
    assert (found.kind, found.ref) == (kind, ref)


@pytest.mark.parametrize("text", ["population of Liverpool in 2020", "check R-1A2B3C4", "R-1A2B3C4DX",
                                  "postcode L4 0TH", "RR-1A2B3C4D1"])
def test_other_text_is_not_a_reference(text):
    assert find_reference(text) is None


# -- transcripts ---------------------------------------------------------------------------
def test_transcripts_keep_redacted_turns_per_browser_and_purge_after_retention(tmp_path):
    store = Transcripts(tmp_path / "t.sqlite", retention_days=30)
    me, other = owner_key("browser-one-key"), owner_key("browser-two-key")
    assert me != other and "browser-one-key" not in me
    store.add_user(me, "c1", "my NHS number is 943 476 5919 and email jo@example.org: population of Halton")
    store.add_answer(me, "c1", {"status": "answered", "answer": "**129,759**"}, {"id": "web-1", "role": "resident"},
                     ref="A-00000001")
    turns = store.turns(me, "c1")
    assert [t["role"] for t in turns] == ["user", "assistant"]
    assert "943" not in turns[0]["text"] and "jo@example.org" not in turns[0]["text"]
    assert "population of Halton" in turns[0]["text"]
    assert store.turns(other, "c1") == [] and store.latest_conversation(other) is None
    assert store.latest_conversation(me) == "c1"
    ref = store.remember(me, "population of Halton, my email is jo@example.org", {"last": {"x": 1}, "guard": {"a": 1}})
    kept = store.answer_ref(ref)
    assert "jo@example.org" not in kept.question and kept.context == {"last": {"x": 1}}   # the guard is the asker's
    raw = (tmp_path / "t.sqlite").read_bytes()
    assert b"jo@example.org" not in raw and b"943 476 5919" not in raw and b"browser-one-key" not in raw

    assert store.purge(now=time.time() + 29 * 86_400) == 0
    assert store.purge(now=time.time() + 31 * 86_400) == 3
    assert store.turns(me, "c1") == [] and store.answer_ref(ref) is None


def test_retention_is_a_setting():
    assert Settings.load(environ={"COMMONS_TRANSCRIPT_RETENTION_DAYS": "7"}).transcript_retention_days == 7
    assert Settings.load(environ={}).transcript_retention_days == 30


def test_the_commons_own_references_are_kept_in_a_turn_and_identifiers_around_them_are_not(tmp_path):
    store = Transcripts(tmp_path / "t.sqlite", retention_days=30)
    me = owner_key("browser-refs-key")
    store.add_user(me, "c1", "Check request R-5234BB41")          # hex digits a digit-run mask would hide
    store.add_user(me, "c1", "check A-00112233, my phone is 07710 451582")
    first, second = (t["text"] for t in store.turns(me, "c1"))
    assert first == "Check request R-5234BB41"
    assert "A-00112233" in second and "451582" not in second
