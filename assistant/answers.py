"""From a plan to row specs (what to query), and from rows to an answer people can read:
narrative, table, Vega-Lite chart, citations and caveats.  Pure functions."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.charts import bar_chart, compare_chart, map_chart, number, scatter_chart, trend_chart
from assistant.queries import Query, period_key, share_total
from kernel.plans import Plan
from retrieval.catalog import Catalog
from kernel.types import Citation
from retrieval.datasheets import Datasheet, Measure
from retrieval.geography import WARD_VINTAGE, WARD_VINTAGE_NAME, Gazetteer, Place

ORDINAL = {1: "st", 2: "nd", 3: "rd"}
LEVEL_NAMES = {"lsoa": "neighbourhoods (LSOAs)", "ward": "wards", "lad": "councils",
               "region": "city region", "country": "England"}


def ordinal(n: int) -> str:
    return f"{n}th" if 10 <= n % 100 <= 20 else f"{n}{ORDINAL.get(n % 10, 'th')}"


def decimals(m: Measure, share: bool = False) -> int:
    return 1 if share else m.decimals


def fmt(value, m: Measure, share: bool = False) -> str:
    if value is None:
        return "not available"
    if isinstance(value, str):
        return value
    d = decimals(m, share)
    if share or m.format == "percent":
        return f"{value:,.{d}f}%"
    return f"{value:,.{d}f}"


def rounded(value, m: Measure, share: bool = False):
    if value is None or isinstance(value, str):
        return value
    d = decimals(m, share)
    return int(round(value)) if d == 0 else round(float(value), d)


def _month_name(p: str) -> str:
    return calendar.month_name[int(p[5:7])]


def periods_label(sheet: Datasheet, values: tuple[str, ...]) -> str:
    """How a set of periods is said: 'October 2019', 'September to December 2019', '2017 to
    2020', 'September and November 2019'; a fixed-period dataset's own label."""
    if not sheet.time.column or sheet.time.granularity == "fixed":
        return sheet.time.label
    values = tuple(sorted(values))
    if not values:
        return "every period held"
    if sheet.time.granularity == "month":
        if len(values) == 1:
            return f"{_month_name(values[0])} {values[0][:4]}"
        idx = [int(v[:4]) * 12 + int(v[5:7]) for v in values]
        if idx == list(range(idx[0], idx[0] + len(idx))):
            a, b = values[0], values[-1]
            if a[:4] == b[:4]:
                return f"{_month_name(a)} to {_month_name(b)} {a[:4]}"
            return f"{_month_name(a)} {a[:4]} to {_month_name(b)} {b[:4]}"
        years = {v[:4] for v in values}
        if len(years) == 1:
            names = [_month_name(v) for v in values]
            return f"{', '.join(names[:-1])} and {names[-1]} {values[0][:4]}"
        return ", ".join(f"{_month_name(v)} {v[:4]}" for v in values)
    if len(values) == 1:
        return values[0]
    if all(v.isdigit() for v in values) and [int(v) for v in values] == list(range(int(values[0]), int(values[-1]) + 1)):
        return f"{values[0]} to {values[-1]}"
    return ", ".join(values[:-1]) + f" and {values[-1]}"


def citation(sheet: Datasheet) -> Citation:
    return Citation(dataset=sheet.id, title=sheet.title, publisher=sheet.publisher,
                    licence=sheet.licence.name, attribution=sheet.licence.attribution,
                    source=sheet.source_url)


def town_caveat(names) -> str:
    """Why a town's figures are approximate (said once for the towns of an answer)."""
    return (f"{' and '.join(names)}: a town's figures are made from the neighbourhoods (LSOAs) of its ONS "
            "built-up area by best fit (whole MSOAs), so they are approximate: the town's edge is not the "
            "neighbourhoods' edge.")


def caveats_for(plan: Plan, sheet: Datasheet, gaz: Gazetteer) -> list[str]:
    out = list(sheet.caveats)
    levels = {gaz.get(k).level for k in plan.places} | ({plan.child_level} if plan.child_level else set())
    if "ward" in levels and sheet.geography.level == "lsoa":
        vintage = WARD_VINTAGE_NAME[WARD_VINTAGE[sheet.geography.vintage]]
        note = (f"Ward figures are built from small areas assigned to {vintage} wards by ONS best fit, "
                "so they are approximate.")
        if not any("best fit" in c.lower() or "best-fit" in c.lower() for c in out):
            out.append(note)
    towns = [gaz.get(k).name for k in plan.places if gaz.get(k).level == "town"]
    if towns:
        out.insert(0, town_caveat(towns))
    if plan.period_defaulted:
        out.append(f"No period was given, so the latest the commons holds is used "
                   f"({periods_label(sheet, plan.periods.values)}).")
    return out


# -- composing -------------------------------------------------------------------------
@dataclass(frozen=True)
class Composed:
    status: str
    text: str
    table: dict | None = None
    chart: dict | None = None


def _rows(result) -> list[dict]:
    return [dict(zip(result.columns, r)) for r in result.rows]


def _name(gaz: Gazetteer, code: str, fallback: str) -> str:
    p = gaz.by_code(code) if code else None
    if p is not None and p.level == "ward":
        return f"{fallback} ward ({p.lad_name})"
    return fallback


def measure_label(m: Measure, sheet: Datasheet, filters) -> str:
    """The measure as asked: with the categories it was filtered to or leaves out
    ('Recorded crimes ...: Burglary', '... excluding Anti-social behaviour')."""
    bits = []
    for f in filters or ():
        vals = " or ".join(f.values)
        bits.append(f"excluding {vals}" if f.exclude else vals)
    return m.label + (": " + "; ".join(bits) if bits else "")


def compose(plan: Plan, q: Query, result, gaz: Gazetteer, boundaries=None) -> Composed:
    rows = [r for r in _rows(result)]
    m, sheet, share = q.measure, q.sheet, q.share
    label = measure_label(m, sheet, plan.filters)
    label = f"{label}, as a share of the total" if share else label
    col_label = label + (" (%)" if share or m.format == "percent" else "")
    when = periods_label(sheet, plan.periods.values)
    places = [gaz.get(k) for k in plan.places] or [gaz.region()]
    if plan.intent in ("value", "comparison"):
        return _compose_values(plan, q, rows, gaz, places, label, col_label, when)
    if plan.intent == "trend":
        return _compose_trend(plan, q, rows, gaz, places, label, col_label)
    if plan.intent == "count":
        return _compose_count(plan, q, rows, places, when, [gaz.get(k) for k in getattr(plan, "exclude_places", ())])
    composed = _compose_list(plan, q, rows, gaz, places, label, col_label, when)
    if getattr(plan, "as_map", False) and composed.status == "answered":
        if boundaries is None or not boundaries.available():
            return Composed(composed.status, composed.text + " (No map can be drawn here: the boundaries file "
                            "is missing; the figures are in the table.)", composed.table, composed.chart)
        chart, note = _map(plan, q, rows, places[0], label, col_label, when, boundaries)
        return Composed(composed.status, composed.text + (" " + note if note else ""), composed.table, chart)
    return composed


MAP_CITATION = Citation(dataset="boundaries", title="LSOA (December 2011) Boundaries Super Generalised Clipped (BSC) "
                        "EW V3, for the Liverpool City Region", publisher="Office for National Statistics (ONS Open "
                        "Geography Portal)", licence="Open Government Licence v3.0",
                        attribution="Source: Office for National Statistics licensed under the Open Government "
                                    "Licence v.3.0. Contains OS data \u00a9 Crown copyright and database right 2011.",
                        source="https://geoportal.statistics.gov.uk/")


def darker_means(m: Measure) -> tuple[str, bool]:
    """What a darker shade means for a measure, and whether its scale runs the other way (a
    rank where 1 is the most deprived: darker is lower)."""
    if m.direction == "higher_is_better":
        return (m.worse or "lower"), True
    return (m.worse or "higher"), False


def _map(plan, q: Query, rows, scope: Place, label, col_label, when, boundaries) -> tuple[dict | None, str]:
    """The child areas of an answer drawn as a choropleth, with what the map leaves out."""
    sheet, m = q.sheet, q.measure
    level = plan.child_level
    vintage = sheet.geography.vintage if level == "lsoa" else WARD_VINTAGE.get(sheet.geography.vintage)
    values = {str(r["area_code"]): r for r in rows if isinstance(r.get("value"), (int, float))}
    drawn = boundaries.draw(level, vintage, values)
    areas = [{"code": o.code, "name": values[o.code]["area_name"], "geometry": o.geometry,
              "value": rounded(values[o.code]["value"], m, q.share)} for o in drawn.outlines]
    notes = []
    if drawn.approximate and level == "ward":
        notes.append("Ward outlines are approximate: each is drawn from its best-fit neighbourhoods (LSOAs).")
    elif drawn.approximate:
        notes.append("Council outlines are drawn from their neighbourhoods (LSOAs) and simplified.")
    in_split = {c for _, kids in drawn.split for c in kids}
    if in_split:
        n = len(in_split)
        notes.append(f"Grey: {len(drawn.split)} neighbourhood{'s' if len(drawn.split) != 1 else ''} split into {n} "
                     "in 2021, with no outlines of their own here (their figures are in the table).")
    other = [c for c in drawn.missing if c not in in_split]
    if other:
        n = len(other)
        notes.append(f"{n} area{'s' if n != 1 else ''} of the table {'are' if n != 1 else 'is'} not drawn: "
                     "no outline is held for them.")
    darker, reverse = darker_means(m)
    level_word = LEVEL_NAMES.get(level, level)
    chart = map_chart(f"{label} in {scope.display}, by {level_word} ({when})", areas, col_label,
                      darker=darker, reverse=reverse, notes=notes,
                      unshaded=[{"name": o.name + " (split in 2021)", "geometry": o.geometry} for o, _ in drawn.split])
    if chart is None:
        return None, ""
    return chart, " ".join(["The map shades each area by its figure: darker = " + darker + "."] + notes)


def _compose_values(plan, q, rows, gaz, places, label, col_label, when) -> Composed:
    m, share = q.measure, q.share
    council_rows = [r for r in rows if r["category"] == "__councils__"]
    # 'how many ..., and what share is that': the place's count and the total its share is of
    counted = {r["category"]: r["value"] for r in rows if r["category"] in ("__count__", "__total__")}
    rows = [r for r in rows if r["category"] not in ("__councils__", "__count__", "__total__")]
    region = gaz.region()
    if getattr(q, "per", None) and council_rows and \
            len({r["area_code"] for r in council_rows if r["value"] is not None}) < len(list(gaz.lads())):
        # a rate for the city region would divide the covered councils' counts by everyone's
        # population: left out (and not answered when it is what was asked)
        if any(p.key == region.key for p in places):
            return Composed("no_data", f"The data behind {m.label.lower()} does not cover every council of the "
                                       f"{region.display}, so a city-region rate would be wrong; ask for a council.")
        rows = [r for r in rows if r["area_code"] != Catalog.place_code(q.sheet, region)]
    by_code = {r["area_code"]: r for r in rows}
    main_codes = []
    for p in places:
        main_codes.append(Catalog.place_code(q.sheet, p))
    missing = [p.display for p, c in zip(places, main_codes) if c not in by_code or by_code[c]["value"] is None]
    if missing:
        return Composed("no_data", f"The commons has no {label.lower()} figure for {', '.join(missing)} "
                                   f"({when}). " + _coverage(q.sheet))
    table_rows = []
    for r in rows:
        table_rows.append([_name(gaz, r["area_code"], r["area_name"]), when if len(when) < 40 else period_key(plan.periods.values),
                           rounded(r["value"], m, share)])
    text_parts = []
    if plan.intent == "value" or len(places) == 1:
        main = by_code[main_codes[0]]
        text_parts.append(f"**{label}** in **{places[0].display}** ({when}): **{fmt(main['value'], m, share)}**.")
        ctx = [r for r in rows if r["area_code"] != main_codes[0]]
        if ctx:
            text_parts.append("For comparison: " + "; ".join(
                f"{r['area_name']} {fmt(r['value'], m, share)}" for r in ctx) + ".")
        if council_rows and places[0].level == "lad" and main["value"] is not None:
            ordered = sorted((r for r in council_rows if r["value"] is not None), key=lambda r: -r["value"])
            pos = next((i for i, r in enumerate(ordered, 1) if r["area_code"] == main_codes[0]), None)
            if pos:
                text_parts.append(f"{places[0].name} is {ordinal(pos)} of the {len(ordered)} "
                                  "city-region councils on this measure (1st = highest).")
                for r in ordered:
                    if r["area_code"] not in by_code:
                        table_rows.append([r["area_name"], table_rows[0][1], rounded(r["value"], m, share)])
    else:
        vals = [(p, by_code[c]) for p, c in zip(places, main_codes)]
        text_parts.append(f"**{label}** ({when}): " + "; ".join(
            f"**{p.display}** {fmt(r['value'], m, share)}" for p, r in vals) + ".")
        if len(vals) == 2 and all(isinstance(r["value"], (int, float)) for _, r in vals):
            (p1, a), (p2, b) = vals
            if a["value"] != b["value"]:
                hi, lo = ((p1, a), (p2, b)) if a["value"] > b["value"] else ((p2, b), (p1, a))
                diff = hi[1]["value"] - lo[1]["value"]
                if share or m.format == "percent":
                    # a gap between two percentages is in percentage points, not per cent
                    gap = f"{diff:,.{decimals(m, share)}f} percentage points"
                else:
                    gap = fmt(diff, m, share)
                text_parts.append(f"{hi[0].display} is higher by {gap}.")
    if getattr(plan, "combined", False):
        # the places added together, from the governed rows of each
        total = sum(by_code[c]["value"] for c in main_codes)
        names = " and ".join(p.name for p in places)
        table_rows.insert(0, [f"{names} combined", table_rows[0][1] if table_rows else when, rounded(total, m, share)])
        text_parts.append(f"Together, {' and '.join(p.display for p in places)}: **{fmt(total, m, share)}**.")
    if m.direction != "neutral" and m.format not in ("rank",):
        text_parts.append("Higher is worse." if m.direction == "higher_is_worse" else "Higher is better.")
    elif m.format == "rank":
        text_parts.append("Rank 1 is the most deprived in England.")
    table = {"columns": ["Area", "Period", col_label], "rows": table_rows}
    if getattr(plan, "with_count", False) and plan.intent == "value":
        n, whole = counted.get("__count__"), counted.get("__total__")
        if isinstance(n, (int, float)) and isinstance(whole, (int, float)):
            unit = m.unit or "counted"
            at = next(i for i, r in enumerate(rows) if r["area_code"] == main_codes[0])
            table = {"columns": ["Area", "Period", col_label, f"{m.label}: count ({unit})", f"Out of all ({unit})"],
                     "rows": [r + ([rounded(n, m, False), rounded(whole, m, False)] if i == at else [None, None])
                              for i, r in enumerate(table_rows)]}
            text_parts.insert(1, f"That is **{fmt(n, m, False)}** {m.unit or ''} of {places[0].display}'s "
                                 f"{fmt(whole, m, False)}.".replace("  ", " "))
        else:
            text_parts.insert(1, "The count behind the share is not released here.")
    of_place = getattr(plan, "of_place", None)
    if of_place:
        whole = gaz.get(of_place)
        wrow = by_code.get(Catalog.place_code(q.sheet, whole))
        main = by_code[main_codes[0]]
        if wrow and isinstance(wrow["value"], (int, float)) and wrow["value"] and isinstance(main["value"], (int, float)):
            pct = round(main["value"] / wrow["value"] * 100, 1)
            at = next(i for i, r in enumerate(rows) if r["area_code"] == main_codes[0])
            table = {"columns": ["Area", "Period", col_label, f"Share of {whole.display}'s {label.lower()} (%)"],
                     "rows": [r + ([pct] if i == at else [None]) for i, r in enumerate(table_rows)]}
            text_parts.append(f"That is **{pct}%** of {whole.display}'s {label.lower()} "
                              f"({fmt(main['value'], m)} of {fmt(wrow['value'], m)}).")
    if getattr(plan, "difference", False) and len(places) == 2:
        # the difference asked for, on both places' rows, as a gap (the larger minus the smaller,
        # named in the column): 'how many fewer ... Wirral than England' is 529, not -529
        a, b = (by_code[c]["value"] for c in main_codes)
        at = {i for i, r in enumerate(rows) if r["area_code"] in main_codes[:2]}
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            diff = rounded(abs(a - b), m, share)
            big, small = (places[0], places[1]) if a >= b else (places[1], places[0])
            table = {"columns": ["Area", "Period", col_label,
                                 f"{col_label}: difference ({big.name} minus {small.name})"],
                     "rows": [r + ([diff] if i in at else [None]) for i, r in enumerate(table_rows)]}
            if share or m.format == "percent":
                # a gap between two percentages is in percentage points ('10.9 percentage points
                # higher'), never '10.9% more', which reads as a relative change
                gap, word = f"{abs(a - b):,.{decimals(m, share)}f} percentage points", "higher" if a >= b else "lower"
            else:
                gap = fmt(abs(a - b), m, share)
                word = ("more" if a >= b else "fewer") if m.format == "count" else ("higher" if a >= b else "lower")
            text_parts.append(f"The difference: {places[0].display} {gap} {word} than {places[1].display}.")
    if getattr(plan, "ratio", False) and len(places) == 2:
        # 'how many times higher': the larger over the smaller, on both rows (named in the column)
        a, b = (by_code[c]["value"] for c in main_codes)
        at = {i for i, r in enumerate(rows) if r["area_code"] in main_codes[:2]}
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and min(a, b) > 0:
            big, small = (places[0], places[1]) if a >= b else (places[1], places[0])
            times = round(max(a, b) / min(a, b), 2)
            table = {"columns": table["columns"] + [f"{col_label}: times ({big.name} over {small.name})"],
                     "rows": [r + ([times] if i in at else [None]) for i, r in enumerate(table["rows"])]}
            text_parts.append(f"{big.display} is **{times}** times {small.display} on this measure.")
        else:
            text_parts.append("The one can't be given as a number of times the other (a figure is zero or missing).")
    # The asked places among their peers (same level); the rest (parent, region, England) are
    # comparators, kept off the peers' bar scale (assistant/charts.py).
    asked_levels = {p.level for p in places}
    levels = {_name(gaz, r["area_code"], r["area_name"]):
              "country" if r["area_code"] == q.sheet.geography.extra_rows.get("country")
              else getattr(gaz.by_code(r["area_code"]), "level", None) for r in rows + council_rows}
    chart = compare_chart(f"{label} ({when})", [{"Area": r[0], col_label: r[2]} for r in table_rows],
                          "Area", col_label, asked=[_name(gaz, c, by_code[c]["area_name"]) for c in main_codes],
                          comparators=[n for n, lv in levels.items() if lv not in asked_levels],
                          additive=m.format == "count" and not share)
    return Composed("answered", " ".join(text_parts), table, chart)


def _compose_change_ranking(plan, q, rows, gaz, places, label) -> Composed:
    """'Which council's score rose the most between 2015 and 2021': each place's change from the
    first period asked to the last, the places in order of it (the figures from the governed rows)."""
    m, share = q.measure, q.share
    first_p, last_p = plan.periods.values[0], plan.periods.values[-1]
    changes = []
    for p in places:
        series = {r["period"]: r["value"] for r in rows if _matches_place(r, p, q)}
        if first_p in series and last_p in series and series[first_p] is not None and series[last_p] is not None:
            diff = series[last_p] - series[first_p]
            if plan.change_pct:
                if not series[first_p]:
                    continue
                diff = diff / abs(series[first_p]) * 100
            changes.append((p, series[first_p], series[last_p], diff))
    if len(changes) < 2:
        return Composed("no_data", f"The commons does not hold {label.lower()} for {first_p} and {last_p} for enough "
                                   "of the places to rank their change.")
    changes.sort(key=lambda c: (-c[3] if plan.rank_change == "desc" else c[3], c[0].name))
    head = f"Change (% of {first_p})" if plan.change_pct else f"Change ({last_p} minus {first_p})"
    table = {"columns": ["Area", f"{first_p}", f"{last_p}", head, "Rank"],
             "rows": [[_name(gaz, Catalog.place_code(q.sheet, c[0]), c[0].name), rounded(c[1], m, share),
                       rounded(c[2], m, share), round(c[3], 2) if plan.change_pct else rounded(c[3], m, share), i + 1]
                      for i, c in enumerate(changes)]}
    if getattr(plan, "count_change", False):
        moved_n = sum(1 for c in changes if (c[3] > 0 if plan.rank_change == "desc" else c[3] < 0))
        same = sum(1 for c in changes if c[3] == 0)
        whole = gaz.parent(places[0])
        text = (f"**{moved_n}** of the {len(changes)} {LEVEL_ROWS.get(places[0].level, 'areas')}"
                + (f" of **{whole.display}**" if whole is not None and all(gaz.inside(p, whole) for p in places) else "")
                + " had a "
                f"{'rise' if plan.rank_change == 'desc' else 'fall'} in **{label}** from {first_p} to {last_p}"
                + (f" ({same} unchanged)" if same else "") + ".")
        return Composed("answered", text, table, None)
    top = changes[0]
    how = "rise" if plan.rank_change == "desc" else "fall"
    if (top[3] < 0 and how == "rise") or (top[3] > 0 and how == "fall"):
        how = "smallest " + ("fall" if how == "rise" else "rise")
    else:
        how = "biggest " + how
    moved = (lambda v: f"{v:+.2f}%") if plan.change_pct else (lambda v: f"{v:+.1f} percentage points") if share \
        else (lambda v: f"{'+' if v >= 0 else ''}{fmt(v, m, share)}")
    text = (f"**{top[0].display}** had the {how} in **{label}** from {first_p} to {last_p}: {moved(top[3])} "
            f"(from {fmt(top[1], m, share)} to {fmt(top[2], m, share)}).")
    if getattr(plan, "limit", None) and plan.limit > 1:
        text += (f" The first {min(plan.limit, len(changes))} in order: "
                 + "; ".join(f"{i}. **{c[0].display}** {moved(c[3])}" for i, c in enumerate(changes[:plan.limit], 1)) + ".")
    return Composed("answered", text, table, None)


def _compose_trend(plan, q, rows, gaz, places, label, col_label) -> Composed:
    m, share = q.measure, q.share
    held = {r["period"] for r in rows if r["value"] is not None}
    # a period of the range the source gives no figure for is said, never silently left out
    gaps = sorted({str(r["period"]) for r in rows if r["value"] is None and r["period"] not in held})
    rows = [r for r in rows if r["value"] is not None]
    if not rows:
        return Composed("no_data", f"The commons has no {label.lower()} series for "
                                   f"{', '.join(p.display for p in places)}. " + _coverage(q.sheet))
    rows.sort(key=lambda r: (r["area_name"], r["period"]))
    if getattr(plan, "rank_change", None):
        return _compose_change_ranking(plan, q, rows, gaz, places, label)
    text = []
    first_named = getattr(plan, "difference_from", None)
    for p in places:
        series = [r for r in rows if _matches_place(r, p, q)]
        if len(series) < 2:
            continue
        if first_named and len(series) == 2:
            a = next((r for r in series if r["period"] == first_named), series[0])
            b = series[1] if a is series[0] else series[0]
            diff = a["value"] - b["value"]
            word = "more" if diff >= 0 else "fewer" if m.format == "count" else "higher" if diff >= 0 else "lower"
            if m.format != "count":
                word = "higher" if diff >= 0 else "lower"
            text.append(f"**{label}** in **{p.display}**: {fmt(a['value'], m, share)} in {a['period']} and "
                        f"{fmt(b['value'], m, share)} in {b['period']}, so {fmt(abs(diff), m, share)} {word} in "
                        f"{a['period']} than in {b['period']}.")
            continue
        a, b = series[0], series[-1]
        change = b["value"] - a["value"]
        pct = f" ({change / a['value'] * 100:+.1f}%)" if a["value"] and m.format == "count" and not share else ""
        # a share's change is in percentage points, never '+0.1%'
        moved = f"{change:+.1f} percentage points" if share else f"{'+' if change >= 0 else ''}{fmt(change, m, share)}"
        text.append(f"**{label}** in **{p.display}** went from {fmt(a['value'], m, share)} in {a['period']} "
                    f"to {fmt(b['value'], m, share)} in {b['period']}: a change of {moved}{pct}.")
    if not text:
        return Composed("no_data", f"The commons holds only one period of {label.lower()}, so there is no trend to show.")
    stat = getattr(plan, "stat", None)
    if stat and len(places) == 1:
        # 'the average over 2015 to 2021', 'its lowest and highest': the series summed up, from its rows
        series = [r for r in rows if _matches_place(r, places[0], q)]
        span = f"{series[0]['period']} to {series[-1]['period']}"
        if stat == "mean":
            mean = sum(r["value"] for r in series) / len(series)
            text.insert(0, f"The average of the {len(series)} figures for {span} is **{fmt(mean, m, share)}** "
                           f"(each period counts once).")
            extra = [[_name(gaz, series[0]["area_code"], series[0]["area_name"]), f"Average, {span}",
                      rounded(mean, m, share)]]
        else:
            lo = min(series, key=lambda r: r["value"])
            hi = max(series, key=lambda r: r["value"])
            text.insert(0, f"Over {span}, the lowest was **{fmt(lo['value'], m, share)}** ({lo['period']}) and the "
                           f"highest **{fmt(hi['value'], m, share)}** ({hi['period']}): a range of "
                           f"{fmt(hi['value'] - lo['value'], m, share)}.")
            name = _name(gaz, series[0]["area_code"], series[0]["area_name"])
            extra = [[name, f"Lowest ({lo['period']})", rounded(lo["value"], m, share)],
                     [name, f"Highest ({hi['period']})", rounded(hi["value"], m, share)]]
    else:
        extra = []
    if gaps:
        text.append(f"The source gives no figure for {' or '.join(gaps)}, so {'that period is' if len(gaps) == 1 else 'those periods are'} "
                    "left out of the series.")
    table_rows = [[_name(gaz, r["area_code"], r["area_name"]), r["period"], rounded(r["value"], m, share)] for r in rows]
    chart = trend_chart(label, [{"Area": r[0], "Period": r[1], col_label: r[2]} for r in table_rows],
                        "Period", col_label, "Area",
                        asked=[_name(gaz, Catalog.place_code(q.sheet, p), p.name) for p in places])
    # the change over the range, on each place's last row (first period to last)
    first: dict[str, Any] = {}
    last_index: dict[str, int] = {}
    for i, r in enumerate(table_rows):
        first.setdefault(r[0], r[2])
        last_index[r[0]] = i
    changes = {i: (rounded(table_rows[i][2] - first[name], m, share)
                   if isinstance(table_rows[i][2], (int, float)) and isinstance(first[name], (int, float)) else None)
               for name, i in last_index.items()}
    if first_named and len(places) == 1 and len(table_rows) == 2:
        # the difference asked for, on the row of the period named first, as a gap (the larger
        # minus the smaller, named in the column): 'how many fewer in December than October' > 0
        k = next((i for i, r in enumerate(table_rows) if r[1] == first_named), 0)
        other = table_rows[1 - k]
        numeric = isinstance(table_rows[k][2], (int, float)) and isinstance(other[2], (int, float))
        diff = rounded(abs(table_rows[k][2] - other[2]), m, share) if numeric else None
        big, small = (first_named, other[1]) if not numeric or table_rows[k][2] >= other[2] else (other[1], first_named)
        table_rows = [r + [diff if i == k else None] for i, r in enumerate(table_rows)]
        return Composed("answered", " ".join(text), {
            "columns": ["Area", "Period", col_label, f"Difference ({big} minus {small})"],
            "rows": table_rows}, chart)
    cols = ["Area", "Period", col_label, "Change since first period"]
    if extra:
        # the mean or the lowest and highest asked, as rows after the series (no change on them)
        table_rows = [r + [changes.get(i)] for i, r in enumerate(table_rows)] + [r + [None] for r in extra]
        return Composed("answered", " ".join(text), {"columns": cols, "rows": table_rows}, chart)
    if m.format == "count" and not share:
        # and in per cent of the first period's figure ('percentage growth')
        pcts = {i: (round(changes[i] / first[table_rows[i][0]] * 100, 2)
                    if changes.get(i) is not None and first[table_rows[i][0]] else None) for i in changes}
        table_rows = [r + [changes.get(i), pcts.get(i)] for i, r in enumerate(table_rows)]
        cols.append("Change since first period (%)")
    else:
        table_rows = [r + [changes.get(i)] for i, r in enumerate(table_rows)]
    return Composed("answered", " ".join(text), {"columns": cols, "rows": table_rows}, chart)


def _matches_place(r, p: Place, q: Query) -> bool:
    if p.level == "country":
        return r["area_code"] == q.sheet.geography.extra_rows.get("country")
    return r["area_code"] in {c for _, c in p.codes}


def condition_text(c, m: Measure) -> str:
    """'in decile 1 (the most deprived 10% in England)', 'not in deciles 1 to 2', 'classed Rural'."""
    op, val = c.op, c.value
    if m.format == "decile":
        if op == "in":
            ds = sorted(int(float(v)) for v in val)
            text = f"in decile {ds[0]}" if len(ds) == 1 else (
                f"in deciles {ds[0]} to {ds[-1]}" if ds == list(range(ds[0], ds[-1] + 1))
                else "in deciles " + ", ".join(map(str, ds)))
        else:
            text = {"=": f"in decile {val}", "<=": f"in deciles 1 to {val}", ">=": f"in deciles {val} to 10",
                    "<": f"in deciles below {val}", ">": f"in deciles above {val}"}[op]
            if (op, val) in (("<=", 1), (">=", 10)):
                text = f"in decile {val}"
        if not c.negate and (op, val) in (("=", 1), ("<=", 1)):
            text += " (the most deprived 10% in England)"
        elif not c.negate and (op, val) in (("=", 10), (">=", 10)):
            text += " (the least deprived 10% in England)"
    elif op in ("=", "in"):
        text = "classed " + (" or ".join(map(str, val)) if op == "in" else str(val))
    else:
        said = {">": "above", "<": "below", ">=": "of at least", "<=": "of at most", "=": "of"}.get(op, op)
        unit = "%" if m.format == "percent" else ""       # the threshold on the scale the figure is shown on
        text = f"with {m.label.lower()} {said} {val}{unit}"
    return f"not {text}" if c.negate else text


LEVEL_ROWS = {"lsoa": "neighbourhoods (LSOAs)", "ward": "wards", "lad": "councils"}


def threshold_text(c, of_total: bool, m: Measure, sheet: Datasheet) -> str:
    """'with households in social rented housing making up more than 33.3% of households', 'with
    population (all ages) more than 10,000'."""
    said = {">": "more than", "<": "less than", ">=": "at least", "<=": "at most"}[c.op]
    val = c.value
    shown = f"{val:,.1f}".rstrip("0").rstrip(".") if isinstance(val, float) else f"{val:,}"
    total = share_total(sheet, m) if of_total else None
    if total is not None:
        text = f"with {m.label[:1].lower()}{m.label[1:]} making up {said} {shown}% of {total.label.lower()}"
    else:
        text = f"with {m.label[:1].lower()}{m.label[1:]} {said} {shown}"
    return f"not {text}" if c.negate else text


def _compose_threshold_count(plan, q, rows, place, when, gone=()) -> Composed:
    """Areas whose own figure (summed up to them, or as a share) meets a threshold: how many of
    all the areas, and which."""
    every = [r for r in rows if r["category"] == "every" and r["value"] is not None]
    listed = [r for r in rows if r["category"] == "listed" and r["value"] is not None]
    n, total = len(listed), len(every)
    m, share = q.measure, bool(plan.of_total)
    unit = LEVEL_ROWS.get(plan.level, "areas")
    cond = threshold_text(plan.condition, share, m, q.sheet)
    outside = (" excluding " + " and ".join(p.display for p in gone)) if gone else ""
    pct = f", {n / total * 100:.1f}% of them" if total else ""
    text = f"**{n:,}** of the {total:,} {unit} in **{place.display}**{outside} have {cond.removeprefix('with ')} ({when}{pct})."
    if listed:
        shown = ", ".join(f"{r['area_name']} {fmt(r['value'], m, share)}" for r in listed[:10])
        text += f" {'They are' if n > 1 else 'It is'}: {shown}" + (f" (the first 10 of {n})." if n > 10 else ".")
    if getattr(plan, "list_areas", False):
        head = f"{m.label} (%)" if share else m.label
        table = {"columns": ["Area", head], "rows": [[r["area_name"], rounded(r["value"], m, share)] for r in listed]}
    else:
        table = {"columns": ["Area", "Condition", "Matching areas", "All areas", "Share (%)"],
                 "rows": [[place.name + outside, cond, n, total, round(n / total * 100, 1) if total else None]]}
    return Composed("answered", text, table, None)


def _compose_count(plan, q, rows, places, when, gone=()) -> Composed:
    if getattr(plan, "per", None):
        return _compose_counts_per_area(plan, q, rows, places[0], when)
    if getattr(plan, "of_total", False) or any(r["category"] == "every" for r in rows):
        return _compose_threshold_count(plan, q, rows, places[0], when, gone)
    got = {r["category"]: r["value"] for r in rows if r["category"] != "listed"}
    n, total = int(got.get("matching", 0) or 0), int(got.get("all", 0) or 0)
    place = places[0]
    m = q.measure
    cond = condition_text(plan.condition, m)
    unit = {"lsoa": "neighbourhoods (LSOAs)", "lad": "councils"}.get(q.sheet.geography.level, "areas")
    share = f" ({n / total * 100:.1f}%)" if total else ""
    verb = f"have {cond.removeprefix('with ')}" if cond.startswith("with ") else \
        (f"do not have {cond.removeprefix('not with ')}" if cond.startswith("not with ") else f"are {cond}")
    outside = (" excluding " + " and ".join(p.display for p in gone)) if gone else ""
    text = (f"**{n:,}** of the {total:,} {unit} in **{place.display}**{outside} {verb}{share}, "
            f"on {m.label} ({when}).")
    table = {"columns": ["Area", "Condition", "Matching areas", "All areas", "Share (%)"],
             "rows": [[place.name + outside, cond, n, total, round(n / total * 100, 1) if total else None]]}
    listed = sorted((r for r in rows if r["category"] == "listed" and r["value"] is not None),
                    key=lambda r: r["value"], reverse=plan.condition.op in (">", ">="))
    if listed:
        # 'which councils have ...': the areas themselves, with their figures
        shown = ", ".join(f"{r['area_name']} {rounded(r['value'], m, False):,}" for r in listed[:10])
        text += f" {'They are' if len(listed) > 1 else 'It is'}: {shown}" + \
            (f" (the first 10 of {len(listed)})." if len(listed) > 10 else ".")
        if getattr(plan, "list_areas", False):   # 'which ...': the areas are the figure asked for
            table = {"columns": ["Area", m.label], "rows": [[r["area_name"], rounded(r["value"], m, False)]
                                                            for r in listed]}
    if plan.share:
        people = sum(r["value"] or 0 for r in rows if r["category"] == "people_matching")
        everyone = got.get("people_all") or 0
        if not everyone:
            text += (" The commons holds no resident counts for these areas, so this is the share of "
                     "neighbourhoods, not of people.")
            return Composed("answered", text, table, None)
        pct = people / everyone * 100
        text = (f"**{pct:.1f}%** of the residents of **{place.display}** ({people:,.0f} of {everyone:,.0f}) "
                f"live in {unit} {cond}, on {m.label} ({when}). That is {n:,} of its {total:,} {unit}"
                f"{share}. Residents are the population figures the dataset weights its scores by.")
        table = {"columns": ["Area", "Condition", "Residents in matching areas", "All residents",
                             "Share of residents (%)", "Matching areas", "All areas", "Share of areas (%)"],
                 "rows": [[place.name, cond, round(people), round(everyone), round(pct, 1), n, total,
                           round(n / total * 100, 1) if total else None]]}
    return Composed("answered", text, table, None)


def _compose_counts_per_area(plan, q, rows, scope, when) -> Composed:
    """'Which Wirral ward has the most LSOAs in decile 1': for each area of the scope at the
    level asked, how many of its smaller areas meet the condition, of how many; the most first
    (or the fewest), ties said."""
    m = q.measure
    cond = condition_text(plan.condition, m)
    unit = {"lsoa": "neighbourhoods (LSOAs)", "ward": "wards"}.get(plan.level, "areas")
    kind = LEVEL_NAMES.get(plan.per, plan.per)
    totals = {r["area_code"]: (r["area_name"], int(r["value"] or 0)) for r in rows if r["category"] == "all"}
    hits = {r["area_code"]: int(r["value"] or 0) for r in rows if r["category"] == "matching"}
    if not totals:
        return Composed("no_data", f"The commons has no {unit} to count in {scope.display} ({when}).")
    table_rows = [[name, hits.get(code, 0), n, round(hits.get(code, 0) / n * 100, 1) if n else None]
                  for code, (name, n) in totals.items()]
    k = 3 if plan.by_share else 1              # the share of its areas, or their number
    table_rows.sort(key=lambda r: (-(r[k] or 0) if plan.order == "desc" else (r[k] or 0), str(r[0])))
    shown = table_rows[:plan.limit] if plan.limit else table_rows
    first = shown[0][k]
    tied = [r[0] for r in table_rows if r[k] == first]
    said = (lambda v: f"{v:.1f}%") if plan.by_share else (lambda v: f"{v:,}")     # noqa: E731
    head = (f"**{' and '.join(tied)}** (tied, {said(first)} each)" if 1 < len(tied) <= 3 else
            f"{len(tied)} {kind} tie with {said(first)} each, among them **{', '.join(tied[:3])}**" if len(tied) > 3 else
            f"**{shown[0][0]}** ({shown[0][1]:,} of {shown[0][2]:,}, {shown[0][3]:.1f}%)")
    most = ("highest share of" if plan.order == "desc" else "lowest share of") if plan.by_share else \
        ("most" if plan.order == "desc" else "fewest")
    text = (f"Of the {len(table_rows)} {kind} of **{scope.display}**, the {most} {unit} {cond}: {head}, "
            f"on {m.label} ({when}). ")
    text += "; ".join(f"{r[0]} {r[1]:,} of {r[2]:,} ({r[3]:.1f}%)" for r in shown[:10]) + "."
    if plan.per == "ward" and q.sheet.geography.level == "lsoa":
        text += " Wards are made of whole neighbourhoods on the best-fit lookup."
    table = {"columns": ["Area", "Matching areas", "All areas", "Share (%)"], "rows": shown}
    at_least = getattr(plan, "at_least", None)
    if at_least is not None:
        # 'how many Sefton wards have at least one LSOA in decile 1': those wards counted, each listed;
        # 0: 'wards with no LSOA in decile 1', those none of whose areas match
        met = [r for r in table_rows if (r[1] >= at_least if at_least else r[1] == 0)]
        n_all = len(table_rows)
        pct = round(len(met) / n_all * 100, 1) if n_all else None
        some = "one" if at_least == 1 else "none" if at_least == 0 else f"{at_least:,}"
        said = f"none of their {unit}" if at_least == 0 else f"at least {some} of their {unit}"
        text = (f"**{len(met)}** of the {n_all} {kind} of **{scope.display}** have {said} "
                f"{cond} ({pct:.1f}%), on {m.label} ({when}). ")
        text += ("They are: " + "; ".join(f"{r[0]} {r[1]:,} of {r[2]:,}" for r in met) + ".") if met else ""
        if plan.per == "ward" and q.sheet.geography.level == "lsoa":
            text += " Wards are made of whole neighbourhoods on the best-fit lookup."
        table = {"columns": ["Area", "Matching areas", "All areas", "Share (%)"],
                 "rows": [[f"{scope.name} ({kind} with {'none' if at_least == 0 else 'at least ' + some})", len(met),
                           n_all, pct]] + met}
        return Composed("answered", text, table, None)
    if getattr(plan, "difference", False) and len(shown) == 2:
        # 'how many more Liverpool LSOAs than Knowsley LSOAs ...': the gap, on both rows
        (a, b) = shown
        gap = abs(a[k] - b[k]) if plan.by_share else abs(a[1] - b[1])
        big, small = (a, b) if (a[k] if plan.by_share else a[1]) >= (b[k] if plan.by_share else b[1]) else (b, a)
        label = "percentage points" if plan.by_share else unit
        text += (f" The difference: {big[0]} has **{gap:,.1f}** {label} more than {small[0]}." if plan.by_share
                 else f" The difference: {big[0]} has **{gap:,}** more {unit} {cond} than {small[0]}.")
        table = {"columns": table["columns"] + [f"Difference ({big[0]} minus {small[0]})"],
                 "rows": [r + [round(gap, 1) if plan.by_share else gap] for r in shown]}
    return Composed("answered", text, table, None)


def _compose_list(plan, q, rows, gaz, places, label, col_label, when) -> Composed:
    m, share = q.measure, q.share
    rows = [r for r in rows if r["value"] is not None]
    if not rows:
        return Composed("no_data", f"The commons has no {label.lower()} figures for that ({when}). " + _coverage(q.sheet))
    scope = places[0]
    if plan.intent == "ranking" and plan.dimension:
        return _compose_category_ranking(plan, q, rows, scope, col_label, when)
    if plan.dimension and plan.dimension.startswith("group:"):
        total = next((r["value"] for r in rows if r["category"] == "Total"), None)
        parts = [r for r in rows if r["category"] != "Total"]
        if m.format != "count":   # scores that do not add up: no shares, the overall figure last
            table_rows = [[scope.name, r["category"], rounded(r["value"], m)] for r in parts]
            table_rows.append([scope.name, m.label, rounded(total, m)])
            text = (f"**{scope.display}** ({when}), {plan.dimension.split(':')[1].replace('_', ' ')}: "
                    + "; ".join(f"{r['category']} {fmt(r['value'], m)}" for r in parts)
                    + f". {m.label}: {fmt(total, m)}.")
            chart = bar_chart(f"{scope.display} ({when})", [{"Category": r[1], "Value": r[2]} for r in table_rows],
                              "Category", "Value")
            return Composed("answered", text, {"columns": ["Area", "Measure", "Value"], "rows": table_rows}, chart)
        # combined parts asked by name ('social rent'): rows of their own after the parts they add up
        also = {q.sheet.measure_by_id[x].label for x in getattr(getattr(plan, "over", None), "also", ())
                if x in q.sheet.measure_by_id}
        combined = [r for r in parts if r["category"] in also]
        parts = [r for r in parts if r["category"] not in also]
        pct = lambda r: round(r["value"] / total * 100, 1) if total else None      # noqa: E731
        table_rows = [[scope.name, r["category"], rounded(r["value"], m), pct(r)] for r in parts]
        table_rows.append([scope.name, "Total", rounded(total, m), 100.0 if total else None])
        table_rows += [[scope.name, f"{r['category']} (combined)", rounded(r["value"], m), pct(r)] for r in combined]
        top = max(parts, key=lambda r: r["value"])
        text = (f"**{scope.display}** ({when}), by {plan.dimension.split(':')[1].replace('_', ' ')}: "
                + "; ".join(f"{r['category']} {fmt(r['value'], m)}"
                            + (f" ({r['value'] / total * 100:.1f}%)" if total else "") for r in parts)
                + f". Total {fmt(total, m)}. The largest group is {top['category'].lower()}.")
        if combined:
            text += " Combined, as you asked: " + "; ".join(
                f"{r['category']} {fmt(r['value'], m)}" + (f" ({r['value'] / total * 100:.1f}%)" if total else "")
                for r in combined) + "."
        chart = bar_chart(f"{scope.display}: {m.label} ({when})",
                          [{"Category": r[1], "Value": r[2]} for r in table_rows[:len(parts)]], "Category", "Value")
        return Composed("answered", text, {"columns": ["Area", "Category", "Count", "Share (%)"],
                                           "rows": table_rows}, chart)
    if plan.dimension:
        dim_label = next((d.label for d in q.sheet.dimensions if d.column == plan.dimension),
                         next((x.label for x in q.sheet.measures if x.column == plan.dimension), plan.dimension))
        deciles = m.format == "decile" and plan.dimension == m.column      # the areas counted in each decile
        if deciles:
            rows = [{**r, "category": f"decile {int(float(r['category']))}"} for r in rows
                    if str(r["category"]).replace(".0", "").isdigit()]
            rows.sort(key=lambda r: (r["area_name"], int(r["category"].split()[1])))
        else:
            rows.sort(key=lambda r: (r["area_name"], -r["value"] if plan.dimension != q.sheet.time.column else r["category"]))
        total = sum(r["value"] for r in rows) if m.rollup == "sum" or m.format in ("category", "decile") else None
        table_rows = [[_name(gaz, r["area_code"], r["area_name"]), r["category"], rounded(r["value"], m, share)]
                      + ([round(r["value"] / total * 100, 1)] if total else []) for r in rows]
        top = rows[:3] if plan.dimension != q.sheet.time.column and not deciles else rows
        if deciles:
            areas = LEVEL_ROWS.get(q.sheet.geography.level, "areas")
            text = (f"**{areas[:1].upper() + areas[1:]} of {scope.display} in each decile** of {label.lower()} ({when}): "
                    + "; ".join(f"{r['category']}: {r['value']:,}" for r in top) + f". Total {total:,}.")
        else:
            text = (f"**{label}** in **{scope.display}** ({when}) by {dim_label.lower()}: "
                    + "; ".join(f"{r['category']} {fmt(r['value'], m, share)}" for r in top)
                    + (" (largest first)" if plan.dimension != q.sheet.time.column else "")
                    + (f". Total {fmt(total, m)}." if total else "."))
        cols = ["Area", dim_label, col_label] + (["Share (%)"] if total else [])
        chart = bar_chart(f"{label} by {dim_label.lower()}", [{dim_label: r[1], col_label: r[2]} for r in table_rows],
                          dim_label, col_label)
        return Composed("answered", text, {"columns": cols, "rows": table_rows}, chart)
    # child areas: ranking or breakdown ('..., and is it above the England figure?': that area's row
    # is the benchmark beside the ranking, never one of the areas ranked)
    bench = gaz.get(plan.benchmark) if getattr(plan, "benchmark", None) else None
    focus = gaz.get(plan.focus) if getattr(plan, "focus", None) else None
    bench_rows = []
    if bench is not None:
        bench_rows = [r for r in rows if _matches_place(r, bench, q) and isinstance(r["value"], (int, float))]
        rows = [r for r in rows if not _matches_place(r, bench, q)]
    rows.sort(key=lambda r: ((-r["value"] if plan.order != "asc" else r["value"]) if isinstance(r["value"], (int, float)) else 0,
                             r["area_name"]))
    level = LEVEL_NAMES.get(plan.child_level, plan.child_level)
    if getattr(plan, "beyond", None) and bench_rows and plan.intent == "ranking":
        return _beyond_benchmark(plan, gaz, rows, bench, bench_rows[0], m, share, label, when, level, scope)
    shown_n = plan.limit or (len(rows) if plan.child_level == "lad" else min(len(rows), 10))
    if plan.intent == "ranking":
        word = "Highest" if plan.order != "asc" else "Lowest"
        if m.format == "rank":
            word = "Highest rank number (least deprived)" if plan.order != "asc" else "Lowest rank number (most deprived)"
        head = rows[:shown_n]
        text = (f"{word} **{label.lower()}** among the {level} of **{scope.display}** ({when}): "
                + "; ".join(f"{i}. **{_name(gaz, r['area_code'], r['area_name'])}** {fmt(r['value'], m, share)}"
                            for i, r in enumerate(head, 1)) + ".")
        if plan.limit == 1 and len(rows) > 1:
            text += f" Next: {_name(gaz, rows[1]['area_code'], rows[1]['area_name'])} {fmt(rows[1]['value'], m, share)}."
        at = next((i for i, r in enumerate(rows, 1) if _matches_place(r, focus, q)), None) if focus else None
        if focus is not None:
            own = focus.display
            text = (f"**{own}** is **{ordinal(at)} of the {len(rows)} {level}** of **{scope.display}** on "
                    f"{label.lower()} ({when}; 1st = {word.lower()}), with "
                    f"{fmt(rows[at - 1]['value'], m, share)}. " + text if at else
                    f"{own} has no figure among the {level} of {scope.display} ({when}). " + text)
        if bench_rows and rows and isinstance(rows[0]["value"], (int, float)):
            b, first = bench_rows[0], rows[0]
            side = "above" if first["value"] > b["value"] else "below" if first["value"] < b["value"] else "level with"
            gap = abs(first["value"] - b["value"])
            text += (f" For comparison: **{bench.display}** {fmt(b['value'], m, share)}, so "
                     f"{_name(gaz, first['area_code'], first['area_name'])} is {side} it"
                     + (f" by {fmt(gap, m, share)}." if gap else "."))
        elif bench is not None:
            text += f" The commons holds no figure for {bench.display} to set beside it."
        table_n = max(shown_n, min(len(rows), 10), at or 0)
        if len(rows) > table_n:
            text += f" ({len(rows)} {level} in all; the table lists the first {table_n}.)"
    else:
        text = (f"**{label}** for the {level} of **{scope.display}** ({when}), largest first: "
                + "; ".join(f"{_name(gaz, r['area_code'], r['area_name'])} {fmt(r['value'], m, share)}"
                            for r in rows[:5]) + (f" … ({len(rows)} in all)." if len(rows) > 5 else "."))
        table_n = len(rows)
    table_rows = [[_name(gaz, r["area_code"], r["area_name"]), rounded(r["value"], m, share), i]
                  for i, r in enumerate(rows[:table_n], 1)]
    cols = ["Area", col_label, "Position"]
    if bench_rows:
        # each area's difference from the benchmark ('..., and how many more than the England figure?')
        b = bench_rows[0]["value"]
        table_rows = [r + [rounded(v["value"] - b, m, share) if isinstance(v["value"], (int, float)) else None]
                      for r, v in zip(table_rows, rows)]
        cols.append(f"Difference from {bench.display}")
    table_rows += [[bench.display, rounded(r["value"], m, share), "benchmark"] + ([None] if bench_rows else [])
                   for r in bench_rows]
    chart = bar_chart(f"{label} ({when})", [{"Area": r[0], col_label: r[1]} for r in table_rows[:30] if r[2] != "benchmark"],
                      "Area", col_label, sort=True) if all(isinstance(r[1], (int, float)) for r in table_rows) else None
    return Composed("answered", text, {"columns": cols, "rows": table_rows}, chart)


def _beyond_benchmark(plan, gaz, rows, bench, b, m, share, label, when, level, scope) -> Composed:
    """'how many of the six councils have more patients per GP than England': the areas on the side of
    the benchmark asked, counted and named, with every area's figure and its difference."""
    held = [r for r in rows if isinstance(r["value"], (int, float))]
    side = [r for r in held if (r["value"] > b["value"] if plan.beyond == "above" else r["value"] < b["value"])]
    names = "; ".join(f"{_name(gaz, r['area_code'], r['area_name'])} {fmt(r['value'], m, share)}" for r in side)
    text = (f"**{len(side)} of the {len(held)} {level}** of **{scope.display}** are {plan.beyond} "
            f"**{bench.display}** ({fmt(b['value'], m, share)}) on {label.lower()} ({when})"
            + (f": {names}." if side else "."))
    # every area with its figure and whether it is on the side asked, then the count (the answer) as the
    # last row, as a total is
    table_rows = [[_name(gaz, r["area_code"], r["area_name"]), rounded(r["value"], m, share),
                   "yes" if r in side else "no"] for r in held]
    share_of = round(len(side) / len(held) * 100, 1) if held else 0
    table_rows += [[f"{scope.display}: {level} {plan.beyond} {bench.display}", len(side),
                    f"{len(side)} of {len(held)} ({share_of}%)"]]
    cols = ["Area", f"{label} (last row: number of {level})", f"{plan.beyond.capitalize()} {bench.display} "
            f"({fmt(b['value'], m, share)})?"]
    chart = bar_chart(f"{label} ({when})", [{"Area": r[0], label: r[1]} for r in table_rows[:-1]], "Area", label,
                      sort=True) if all(isinstance(r[1], (int, float)) for r in table_rows[:-1]) else None
    return Composed("answered", text, {"columns": cols, "rows": table_rows}, chart)


def _category_label(q: Query, dimension: str) -> tuple[str, str]:
    """(singular, plural) names of the categories a ranking is over: 'crime type', 'crime types'."""
    if dimension.startswith("group:"):
        gid = dimension.split(":", 1)[1]
        label = next((g.label for g in q.sheet.groups if g.id == gid), gid.replace("_", " "))
        return label.lower(), f"{label.lower()} categories"
    label = next((d.label for d in q.sheet.dimensions if d.column == dimension),
                 next((x.label for x in q.sheet.measures if x.column == dimension), dimension)).lower()
    return label, label + ("" if label.endswith("s") else "s")


def _compose_category_ranking(plan, q, rows, scope, col_label, when) -> Composed:
    """'The top 3 crime types in Sefton': categories in order of the measure, largest first
    (or smallest, for 'least common'), with the number asked for."""
    m, share = q.measure, q.share
    parts = [r for r in rows if r["category"] != "Total" and isinstance(r["value"], (int, float))]
    if not parts:
        return Composed("no_data", f"The commons has no {m.label.lower()} figures for {scope.display} ({when}).")
    desc = plan.order != "asc"
    parts.sort(key=lambda r: (-r["value"] if desc else r["value"], str(r["category"])))
    one, many = _category_label(q, plan.dimension)
    n = min(plan.limit or len(parts), len(parts))
    head = parts[:n]
    which = "most" if desc else "least"
    measure = m.label.lower() if plan.dimension.startswith("group:") else m.label.lower()
    if m.format == "category" and plan.dimension == m.column:
        # a class each area has: the classes by how many areas have each
        areas = LEVEL_ROWS.get(q.sheet.geography.level, "areas")
        one, many, measure = f"{one} class", f"{one} classes", f"number of {areas}"
    if n == 1:
        lead = f"The {one} with the {'highest' if desc else 'lowest'} {measure} in **{scope.display}** ({when})"
        text = f"{lead} is **{head[0]['category']}**: {fmt(head[0]['value'], m, share)}."
        if len(parts) > 1:
            text += f" Next: {parts[1]['category']} {fmt(parts[1]['value'], m, share)}."
    else:
        text = (f"The {n} {many} with the {'highest' if desc else 'lowest'} {measure} in **{scope.display}** "
                f"({when}), {which} first: "
                + "; ".join(f"{i}. **{r['category']}** {fmt(r['value'], m, share)}" for i, r in enumerate(head, 1))
                + ".")
    text += f" ({len(parts)} {many} in all.)" if len(parts) > n else ""
    table_rows = [[scope.name, r["category"], rounded(r["value"], m, share), i] for i, r in enumerate(parts, 1)]
    chart = bar_chart(f"{m.label} by {one} ({when})", [{one.capitalize(): r[1], col_label: r[2]} for r in table_rows],
                      one.capitalize(), col_label)
    return Composed("answered", text, {"columns": ["Area", one.capitalize(), col_label, "Position"],
                                       "rows": table_rows}, chart)


def _coverage(sheet: Datasheet) -> str:
    notes = [c for c in sheet.caveats if "not" in c.lower() and ("cover" in c.lower() or "include" in c.lower())]
    return notes[0] if notes else ""


# -- two measures over the same areas ------------------------------------------------------------
AREAS_NOT_PEOPLE = ("Areas are not people: a correlation over areas says how the places compare, not that the "
                    "same people are affected by both (the ecological fallacy), and it is not evidence that one "
                    "causes the other.")


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(xs, ys))
    sxx = sum((a - mx) ** 2 for a in xs)
    syy = sum((b - my) ** 2 for b in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy) ** 0.5


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1          # ties share their mean rank
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    return pearson(_ranks(xs), _ranks(ys))


def strength(r: float) -> str:
    a = abs(r)
    size = "little or no" if a < 0.2 else "a weak" if a < 0.4 else "a moderate" if a < 0.6 else "a strong"
    if a < 0.2:
        return "little or no association"
    return f"{size} {'positive' if r > 0 else 'negative'} association"


def compose_relation(plan, parts, gaz: Gazetteer) -> tuple[Composed, list[str]]:
    """``parts``: for x and y, ``(plan, query, result)``.  The areas held by both, side by side,
    their correlation over the areas, a scatter chart, and the caveats that go with them."""
    level = plan.child_level
    scope = gaz.get(plan.places[0])
    sides = []
    for sub, q, result in parts:
        m = q.measure
        label = measure_label(m, q.sheet, sub.filters)
        when = periods_label(q.sheet, sub.periods.values)
        vals = {}
        names = {}
        for r in _rows(result):
            place = gaz.by_code(str(r["area_code"])) if r.get("area_code") else None
            if isinstance(r.get("value"), (int, float)) and (place is None or place.level == level):
                vals[str(r["area_code"])] = float(r["value"])
                names[str(r["area_code"])] = r["area_name"]
        sides.append((sub, q, m, label, when, vals, names))
    (_, qx, mx, lx, wx, vx, nx), (_, qy, my, ly, wy, vy, ny) = sides
    common = sorted(set(vx) & set(vy), key=lambda c: (-vx[c], nx[c]))
    words = LEVEL_NAMES.get(level, level)
    if len(common) < 3:
        return Composed("no_data", f"Only {len(common)} {words} of {scope.display} have both {lx.lower()} and "
                        f"{ly.lower()}, too few to compare."), []
    xs, ys = [vx[c] for c in common], [vy[c] for c in common]
    r, rho = pearson(xs, ys), spearman(xs, ys)
    if r is None or rho is None:
        return Composed("no_data", "One of the two measures is the same in every area, so they cannot be "
                        "compared."), []
    n = len(common)
    cx, cy = f"{lx} ({wx})", f"{ly} ({wy})"
    text = (f"Across the **{n} {words}** of **{scope.display}**: **{lx}** ({wx}) and **{ly}** ({wy}) have a "
            f"correlation of **r = {r:.2f}** ({strength(r)}: {words} with a higher {lx.lower()} tend to have a "
            f"{'higher' if r > 0 else 'lower'} {ly.lower()}" if abs(r) >= 0.2 else
            f"Across the **{n} {words}** of **{scope.display}**: **{lx}** ({wx}) and **{ly}** ({wy}) have a "
            f"correlation of **r = {r:.2f}** ({strength(r)}")
    text += f"); rank correlation {rho:.2f}. " + AREAS_NOT_PEOPLE
    if n < 10:
        text += f" With only {n} areas, one area can change the figure a lot."
    table_rows = [[_name(gaz, c, nx[c]), rounded(vx[c], mx), rounded(vy[c], my)] for c in common]
    chart = scatter_chart(f"{lx} and {ly}, {scope.display} (r = {r:.2f}, {n} areas)",
                          [{"Area": row[0], cx: row[1], cy: row[2]} for row in table_rows], cx, cy,
                          note="Each point is an area, not a person.", x_title=lx, y_title=ly)
    caveats = [AREAS_NOT_PEOPLE,
               f"Pearson correlation r = {r:.3f} and Spearman rank correlation {rho:.3f} over the {n} {words} that have "
               "both figures, computed from the released figures."]
    if wx != wy:
        caveats.append(f"The two figures are for different periods ({wx}; {wy}).")
    dropped = (set(vx) | set(vy)) - set(common)
    if dropped:
        caveats.append(f"{len(dropped)} {words} with only one of the two figures are left out "
                       + ("(neighbourhood boundaries changed between 2011 and 2021; areas are joined on their codes)."
                          if qx.sheet.geography.vintage != qy.sheet.geography.vintage else "."))
    for m, label in ((mx, lx), (my, ly)):
        if m.format == "count":
            caveats.append(f"{label} is a count: areas with more people tend to have more, so part of the "
                           "association may be population size.")
    return Composed("answered", text, {"columns": ["Area", cx, cy], "rows": table_rows}, chart), caveats


def compose_editions(plan, parts, gaz: Gazetteer) -> tuple[Composed, list[str]]:
    """``parts``: for each edition, ``(plan, query, result)``.  The measure for each place in
    each edition side by side, the change from the first edition to the last, and the
    edition's own word on how far the two can be compared."""
    if plan.parts[0].intent == "count":
        return _compose_count_editions(plan, parts, gaz)
    labels = [q.sheet.edition.label for _, q, _ in parts]
    values = [{str(r["area_code"]): float(r["value"]) for r in _rows(result)
               if isinstance(r.get("value"), (int, float)) and r.get("area_code")} for _, _, result in parts]
    m = parts[-1][1].measure
    title = measure_label(m, parts[-1][1].sheet, parts[-1][0].filters)
    # each place asked by its code in the first edition (the same code is read in the others)
    codes = [(p, next((c for c in values[0] if (x := gaz.by_code(c)) is not None and x.key == p.key), None))
             for p in (gaz.get(k) for k in plan.places)]
    rows, said, missing = [], [], []
    for p, code in codes:
        figures = [v.get(code) if code else None for v in values]
        if code is None or any(x is None for x in figures):
            missing.append(p.display)
            continue
        change = figures[-1] - figures[0]
        rows.append([p.display, *[rounded(x, m) for x in figures], rounded(change, m)])
        said.append(f"**{p.display}**: " + ", ".join(f"{fmt(x, m)} in {lab}" for x, lab in zip(figures, labels))
                    + f" (a change of {'+' if change > 0 else ''}{fmt(change, m)}{_direction(change, m)})")
    if not rows:
        return Composed("no_data", f"The editions do not both hold {title.lower()} for "
                        f"{' and '.join(missing)}, so I haven't compared them."), []
    text = f"**{title}**, {labels[0]} and {labels[-1]} side by side: " + "; ".join(said) + "."
    comparability = parts[-1][1].sheet.edition.comparability
    text += f" {comparability}"
    if missing:
        text += f" Not in both editions: {', '.join(missing)}."
    columns = ["Area", *labels, f"Change, {labels[0]} to {labels[-1]}"]
    return Composed("answered", text, {"columns": columns, "rows": rows}), [comparability]


def _direction(change: float, m: Measure) -> str:
    """'(less deprived on this measure)' for a change, from the measure's direction and its
    worse end in words; nothing when either is unknown or there is no change."""
    if not change or m.direction == "neutral" or not m.worse or not m.worse.startswith("more "):
        return ""
    worse = (change > 0) == (m.direction == "higher_is_worse")
    return f": {m.worse if worse else 'less ' + m.worse[5:]}"


def _compose_count_editions(plan, parts, gaz: Gazetteer) -> tuple[Composed, list[str]]:
    """The areas meeting a condition counted in each edition, with their share of all the areas
    and the change in that share (in percentage points)."""
    scope = gaz.get(plan.places[0])
    labels, counts = [], []
    for sub, q, result in parts:
        got = {r["category"]: r["value"] for r in _rows(result)}
        labels.append(q.sheet.edition.label)
        counts.append((int(got.get("matching") or 0), int(got.get("all") or 0)))
    if any(total == 0 for _, total in counts):
        return Composed("no_data", f"An edition holds no areas to count in {scope.display}."), []
    m = parts[-1][1].measure
    cond = condition_text(plan.parts[0].condition, m)
    unit = {"lsoa": "neighbourhoods (LSOAs)", "ward": "wards"}.get(plan.parts[0].level, "areas")
    shares = [n / total * 100 for n, total in counts]
    change = shares[-1] - shares[0]
    said = "; ".join(f"{lab}: {n:,} of {total:,} ({sh:.1f}%)" for lab, (n, total), sh in zip(labels, counts, shares))
    comparability = parts[-1][1].sheet.edition.comparability
    moved = counts[-1][0] - counts[0][0]       # ('how many fewer in the new edition?': the number, too)
    text = (f"{unit[:1].upper()}{unit[1:]} of **{scope.display}** {cond}, on {m.label}: {said}. That is "
            f"{abs(moved):,} {'more' if moved > 0 else 'fewer' if moved < 0 else 'the same number'}"
            f"{'' if not moved else ' ' + unit.split(' (')[0]}, and the share changed by "
            f"{'+' if change > 0 else ''}{change:.1f} percentage points from {labels[0]} to {labels[-1]}. {comparability}")
    columns = ["Area"] + [c for lab in labels for c in (f"{lab}: matching areas", f"{lab}: all areas", f"{lab}: share (%)")] \
        + [f"Change in number, {labels[0]} to {labels[-1]}", f"Change in share, {labels[0]} to {labels[-1]} (points)"]
    row = [scope.name] + [x for (n, total), sh in zip(counts, shares) for x in (n, total, round(sh, 1))] \
        + [moved, round(change, 1)]
    return Composed("answered", text, {"columns": columns, "rows": [row]}), [comparability]
