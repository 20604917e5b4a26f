"""Vega-Lite charts for answers: pure functions of rows that were already released.

Every chart
- fits a phone: it takes the container's width, its title is wrapped into short lines and long
  category labels are cut (the full name is in the tooltip and in the text alternative);
- highlights the place asked about among its peers (one strong colour, the others muted);
- keeps comparators (the parent council, the city region, England) off the peers' bar scale: for
  averages, rates and scores they are reference lines on the same axis (a separate mark, named
  in the legend with their value); for counts they are left out of the chart, since a ward's
  bar beside its council's says nothing (they stay in the table and the text);
- carries a text alternative in ``description`` (read out as the chart's label by screen
  readers, and shown under the chart by the app): ``alt_text(spec)``.

Rows are plain dicts; which row is the asked place and which are comparators is said by name.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
ASKED = "#0b5cad"        # the place asked about
PEER = "#a9bdd3"         # its peers
COMPARATOR = "#d08a00"   # reference lines (amber: visible on the bars, not red)
SMALL_WIDTH = 220        # px: one small chart of a summary (its labels fit beside it on a phone)
TITLE_WIDTH = 40         # characters per title line: fits 390 px at the title's size
LABEL_LIMIT = 130        # px for a category label on the y axis (full name in the tooltip)
ASKED_KEY, PEER_KEY = "The area asked about", "Other areas"


def wrap(text: str, width: int = TITLE_WIDTH) -> list[str]:
    """A title as lines of at most ``width`` characters (Vega-Lite draws a list as lines)."""
    return textwrap.wrap(str(text), width=width, break_long_words=False) or [""]


def number(value, decimals: int | None = None) -> str:
    """A figure as a person reads it: thousands separators, no trailing zeros."""
    if value is None:
        return "not available"
    if isinstance(value, str):
        return value
    if decimals is None:
        decimals = 0 if float(value).is_integer() else (1 if abs(value) >= 100 else 3)
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _axis_format(values: Iterable) -> str:
    nums = [abs(v) for v in values if isinstance(v, (int, float))]
    return "~s" if nums and max(nums) >= 10_000 else ",~r"


def _base(title: str, rows: list[dict], description: str) -> dict:
    return {
        "$schema": SCHEMA,
        "title": {"text": wrap(title), "anchor": "start", "fontSize": 13},
        "description": description,
        "width": "container",
        "data": {"values": rows},
        "config": {"legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 320,
                              "titleLimit": 320},
                   "axis": {"labelFontSize": 11, "titleFontSize": 11}},
    }


def _numeric(rows: Sequence[dict], value: str) -> list[dict]:
    return [r for r in rows if isinstance(r.get(value), (int, float)) and not isinstance(r.get(value), bool)]


def bar_chart(title: str, rows: list[dict], category: str, value: str, *, highlight: Sequence[str] = (),
              comparators: Sequence[str] = (), additive: bool = True, sort: bool = True) -> dict | None:
    """Horizontal bars, one per category (largest first when ``sort``); ``highlight`` names the
    bars asked about; ``comparators`` names rows that are not peers (see the module's rule).
    None when nothing numeric is left to draw."""
    rows = _numeric(rows, value)
    comps = [r for r in rows if r[category] in set(comparators)]
    peers = [r for r in rows if r[category] not in set(comparators)]
    if not peers:
        return None
    asked = set(highlight)
    # Nothing asked among them (a ranking): every bar in the strong colour, no legend.
    data = [{**r, "_role": ASKED_KEY if r[category] in asked or not asked else PEER_KEY} for r in peers]
    described = describe_bars(title, peers, category, value, asked, [] if additive else comps, sort)
    if additive and comps:
        described += (" " + ", ".join(str(r[category]) for r in comps) +
                      " are in the table, not the chart: on one scale with the areas they would dwarf them.")
    spec = _base(title, data, described)
    order = [r[category] for r in (sorted(peers, key=lambda r: -r[value]) if sort else peers)]
    y = {"field": category, "type": "nominal", "sort": order, "title": None,
         "axis": {"labelLimit": LABEL_LIMIT}}
    x = {"field": value, "type": "quantitative", "title": None,
         "axis": {"format": _axis_format(r[value] for r in rows), "tickCount": 4, "labelFlush": True}}
    # The scale reaches past the largest bar and every comparator line drawn, with room for the
    # value printed after the bar (otherwise a line or a label falls outside a small chart).
    top = max(r[value] for r in peers + ([] if additive else comps))
    if top > 0:
        x["scale"] = {"domainMax": top * 1.15}
    bar = {"mark": {"type": "bar", "tooltip": True},
           "encoding": {"y": y, "x": x,
                        "color": {"field": "_role", "type": "nominal",
                                  "scale": {"domain": [ASKED_KEY, PEER_KEY], "range": [ASKED, PEER]},
                                  "legend": {"title": None} if asked and len(peers) > 1 else None},
                        "tooltip": [{"field": category, "type": "nominal"},
                                    {"field": value, "type": "quantitative", "format": ",~r"}]}}
    label = {"mark": {"type": "text", "align": "left", "dx": 3, "fontSize": 10},
             "encoding": {"y": y, "x": x, "text": {"field": value, "type": "quantitative", "format": ",~r"}}}
    layers = [bar, label]
    if comps and not additive:
        ref = [{"_name": f"{r[category]}: {number(r[value])}", "_value": r[value]} for r in comps]
        layers.append({"data": {"values": ref}, "mark": {"type": "rule", "color": COMPARATOR, "strokeWidth": 2},
                       "encoding": {"x": {"field": "_value", "type": "quantitative"},
                                    "strokeDash": {"field": "_name", "type": "nominal",
                                                   "legend": {"title": "For comparison (lines)"}},
                                    "tooltip": [{"field": "_name", "type": "nominal", "title": "Comparator"}]}})
    spec["layer"] = layers
    spec["height"] = {"step": 22}
    return spec


def describe_bars(title: str, rows: list[dict], category: str, value: str, asked: set[str],
                  comps: list[dict], sort: bool) -> str:
    ordered = sorted(rows, key=lambda r: -r[value]) if sort else list(rows)
    parts = [f"{r[category]}{' (asked about)' if r[category] in asked else ''}: {number(r[value])}"
             for r in ordered]
    text = f"Bar chart, {title}. " + "; ".join(parts) + "."
    if comps:
        text += " For comparison, as lines: " + "; ".join(f"{r[category]} {number(r[value])}" for r in comps) + "."
    return text


def compare_chart(title: str, rows: list[dict], category: str, value: str, *, asked: Sequence[str] = (),
                  comparators: Sequence[str] = (), additive: bool = False) -> dict | None:
    """A value or a comparison: the asked place(s) among peers, comparators by the module's rule.
    None when the chart would show a single bar and nothing to compare it with."""
    rows = _numeric(rows, value)
    peers = [r for r in rows if r[category] not in set(comparators)]
    shown_comps = [] if additive else [r for r in rows if r[category] in set(comparators)]
    if len(peers) + len(shown_comps) < 2:
        return None
    return bar_chart(title, rows, category, value, highlight=asked, comparators=comparators,
                     additive=additive, sort=True)


def trend_chart(title: str, rows: list[dict], period: str, value: str, series: str, *,
                asked: Sequence[str] = (), comparators: Sequence[str] = (), additive: bool = False) -> dict | None:
    """Lines over time, one per place: the asked places drawn strong, comparators dashed (left
    out for counts, like the bars)."""
    rows = _numeric(rows, value)
    if additive:
        rows = [r for r in rows if r[series] not in set(comparators)]
    if not rows:
        return None
    names = list(dict.fromkeys(r[series] for r in rows))
    asked_set = set(asked) or {names[0]}
    data = [{**r, "_role": ("Comparator" if r[series] in set(comparators)
                            else "Asked" if r[series] in asked_set else "Other")} for r in rows]
    lines = []
    for name in names:
        pts = [r for r in rows if r[series] == name]
        if pts:
            lines.append(f"{name}: " + ", ".join(f"{r[period]} {number(r[value])}" for r in pts))
    desc = f"Line chart, {title}. " + "; ".join(lines) + "."
    periods = list(dict.fromkeys(r[period] for r in rows))
    spec = _base(title, data, desc)
    spec["mark"] = {"type": "line", "point": True, "tooltip": True}
    spec["height"] = 220
    spec["encoding"] = {
        "x": {"field": period, "type": "ordinal", "title": None,
              "axis": {"labelAngle": -45 if len(periods) > 6 else 0, "labelLimit": 80}},
        "y": {"field": value, "type": "quantitative", "title": None, "scale": {"zero": False},
              "axis": {"format": _axis_format(r[value] for r in rows), "tickCount": 5}},
        "color": {"field": series, "type": "nominal", "legend": {"title": None} if len(names) > 1 else None,
                  "scale": {"range": [ASKED, "#c45a00", "#2e7d32", "#6a3d9a", "#8c6d1f", "#555555"]}},
        "strokeWidth": {"condition": {"test": "datum._role === 'Asked'", "value": 3}, "value": 1.5},
        "strokeDash": {"condition": {"test": "datum._role === 'Comparator'", "value": [4, 3]}, "value": [1, 0]},
        "tooltip": [{"field": series, "type": "nominal"}, {"field": period, "type": "ordinal"},
                    {"field": value, "type": "quantitative", "format": ",~r"}],
    }
    return spec


def summary_chart(place: str, items: Sequence[dict]) -> dict | None:
    """Small charts for an area summary, one per measure that has something to compare with:
    ``items`` are ``{"measure", "period", "value", "comparators": [(name, value), ...],
    "additive": bool}``.  Counts are left out (a council's count beside England's says
    nothing); each small chart has its own scale."""
    panels, lines = [], []
    for it in items:
        comps = [(n, v) for n, v in it.get("comparators") or () if isinstance(v, (int, float))]
        if it.get("additive") or not comps or not isinstance(it.get("value"), (int, float)):
            continue
        title = f"{it['measure']} ({it['period']})" if it.get("period") else it["measure"]
        rows = [{"Area": place, "Value": it["value"]}] + [{"Area": n, "Value": v} for n, v in comps]
        spec = bar_chart(title, rows, "Area", "Value", highlight=[place], comparators=[n for n, _ in comps],
                         additive=False)
        if spec is None:
            continue
        lines.append(spec["description"].removeprefix("Bar chart, "))
        # "container" does not size a panel of a concatenation: a fixed width that fits a phone.
        panels.append({**{k: v for k, v in spec.items() if k not in ("$schema", "config", "description")},
                       "width": SMALL_WIDTH})
    if not panels:
        return None
    return {"$schema": SCHEMA, "description": f"Small charts for {place}: " + " ".join(lines),
            "title": {"text": wrap(f"{place} compared"), "anchor": "start", "fontSize": 13},
            "vconcat": panels, "resolve": {"scale": {"x": "independent", "strokeDash": "independent",
                                                     "color": "shared"}},
            "config": {"legend": {"orient": "bottom", "direction": "vertical", "labelLimit": 320},
                       "axis": {"labelFontSize": 11}}}


def alt_text(spec: dict | None) -> str:
    """The chart's text alternative (what it shows, in words and figures)."""
    if not spec:
        return ""
    return str(spec.get("description") or "")
