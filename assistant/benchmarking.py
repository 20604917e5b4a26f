"""Benchmarking against anonymised peers: pure functions of the summary statistics the store
returned (``assistant.sql.build_benchmark``: per cell, the asking organisation's own figure and
its peers' count, quartiles, total and largest value; never a peer's own row).

The rules (the dataset's ``benchmark:`` block, ``retrieval.datasheets.Benchmark``):

* a cell's peers are shown only when at least ``min_peers`` other organisations have data in it
  (the median of few values is itself one peer's value, and the quartiles of two or three give
  them away);
* dominance: no single peer may hold more than ``dominance`` of the peers' total (one large peer
  would set the statistics; the largest value is read only for this test and never leaves);
* the peers' figures must not themselves be small counts (a lower quartile under the dataset's
  minimum cell is withheld, as a small cell would be);
* the median and quartiles shown are rounded to ``significant_figures`` and to the dataset's
  rounding base, so a statistic that coincides with one peer's value (the median of an odd
  number of peers always does) is shown only as a rounded figure; differencing two benchmarks
  (with and without a month, a ward or a service) then moves rounded figures, not a peer's;
* the own figure is the organisation's own count, through the same disclosure control as any
  count (suppressed under the minimum cell, perturbed and rounded): ``guardrails.disclosure``;
* no peer's name, figure or rank is ever produced: the peers are a count and three statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.charts import SCHEMA, ASKED, PEER, COMPARATOR, number, wrap

BELOW, BETWEEN, ABOVE = "below the peers' lower quartile", "between the peers' quartiles", \
    "above the peers' upper quartile"


@dataclass(frozen=True)
class Cell:
    """One benchmarked cell (the whole period, a month or a ward) as released."""
    key: str                     # '' | month | ward code
    label: str                   # 'Whole period' | 'Jan 2024' | ward name
    own: float | None            # after disclosure control (None: suppressed)
    peers: int
    q1: float | None = None      # rounded; None when the peers are withheld
    median: float | None = None
    q3: float | None = None
    withheld: str = ""           # why the peers' figures are not shown ('' when they are)

    @property
    def position(self) -> str:
        if self.own is None or self.q1 is None or self.q3 is None:
            return ""
        if self.own < self.q1:
            return BELOW
        if self.own > self.q3:
            return ABOVE
        return BETWEEN


def round_statistic(v: float, figures: int, base: int) -> float:
    """``v`` to ``figures`` significant figures, then to a multiple of ``base`` (never finer)."""
    if v is None:
        return None
    v = float(v)
    if v == 0:
        return 0.0
    digits = figures - int(math.floor(math.log10(abs(v)))) - 1
    r = round(v, digits)
    if base and abs(r) >= base:
        r = base * round(r / base)
    return int(r) if float(r).is_integer() else r


def assess(raw: dict, own: float | None, rules, bench) -> Cell:
    """A released cell from one row of the benchmark statistics (``raw``) and the own figure
    after disclosure control; ``rules``: the dataset's disclosure rules; ``bench``: its benchmark block."""
    peers = int(raw.get("peers") or 0)
    key, label = raw["key"], raw["label"]
    if peers < bench.min_peers:
        return Cell(key, label, own, peers, withheld=f"fewer than {bench.min_peers} peers have data here")
    total, top = raw.get("total") or 0, raw.get("top") or 0
    if not total or top > bench.dominance * total:
        return Cell(key, label, own, peers, withheld=f"one peer holds more than {bench.dominance:.0%} of the peers' "
                                                     "total (dominance rule)")
    if raw.get("q1") is None or float(raw["q1"]) < rules.min_cell:
        return Cell(key, label, own, peers, withheld=f"the peers' figures here are too small to summarise "
                                                     f"(under {rules.min_cell})")
    r = lambda v: round_statistic(v, bench.significant_figures, rules.round_to)      # noqa: E731
    return Cell(key, label, own, peers, r(raw["q1"]), r(raw["median"]), r(raw["q3"]))


def month_label(m: str) -> str:
    names = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    try:
        y, mo = m.split("-")[:2]
        return f"{names[int(mo) - 1]} {y}"
    except (ValueError, IndexError):
        return m


@dataclass(frozen=True)
class Composed:
    status: str
    text: str
    table: dict | None
    chart: dict | None
    caveats: tuple[str, ...]


def compose(org: str, label: str, by: str, when: str, cells: list[Cell], bench, rules, unit: str) -> Composed:
    """The answer: what was understood, the own figure, the peers' median and quartile range,
    where the organisation sits in words; a table and a chart (own vs median, quartile band)."""
    shown = [c for c in cells if c.q1 is not None]
    peers = sorted({c.peers for c in shown})        # a count under the minimum is never given
    npeers = (f"{peers[0]}" if len(peers) == 1 else f"{peers[0]} to {peers[-1]}") if peers else \
        f"fewer than {bench.min_peers}"
    per = {"month": " per month", "ward": " per ward"}.get(by, "")
    head = f"**{org}**: {label}{per}, {when}, against {npeers} peers in the co-op (anonymised)."
    caveats = (
        "Peers are never named, shown one by one or ranked: only how many there are, their median and quartiles.",
        f"The peers' median and quartiles are rounded to {bench.significant_figures} significant figures and to "
        f"the nearest {rules.round_to}; your own figure is disclosure-controlled like any count (under "
        f"{rules.min_cell} suppressed, perturbed, rounded to {rules.round_to}).",
        f"Peers' figures are shown only where at least {bench.min_peers} other organisations have data and no single "
        f"peer holds more than {bench.dominance:.0%} of the peers' total (the dominance rule).",
    )
    columns = ["Cell", f"Your {label}", "Peers with data", "Peers' lower quartile", "Peers' median",
               "Peers' upper quartile", "Where you sit"]
    few = f"fewer than {bench.min_peers}"
    rows = [[c.label, c.own if c.own is not None else f"suppressed (<{rules.min_cell})",
             f"{c.peers} organisations" if c.peers >= bench.min_peers else few,
             c.q1, c.median, c.q3, c.position or (f"peers withheld: {c.withheld}" if c.withheld else "")]
            for c in cells]
    table = {"columns": columns, "rows": rows}
    if not shown:
        why = sorted({c.withheld for c in cells if c.withheld}) or ["your own figure is suppressed"]
        return Composed("no_data", f"{head} The peers' figures are withheld for every cell: {'; '.join(why)}. "
                                   "Nothing about a peer is shown.", table, None, caveats)
    if not by:
        c = shown[0]
        own = number(c.own) if c.own is not None else f"suppressed (fewer than {rules.min_cell})"
        text = (f"{head} Your figure: **{own}** {unit}. Peers' median **{number(c.median)}**, middle half between "
                f"**{number(c.q1)}** and **{number(c.q3)}** (rounded)." +
                (f" You are {c.position}." if c.position else ""))
    else:
        one, many = ("month", "months") if by == "month" else ("ward", "wards")
        counts = {p: sum(1 for c in shown if c.position == p) for p in (BELOW, BETWEEN, ABOVE)}
        parts = [f"{n} {one if n == 1 else many} {p}" for p, n in counts.items() if n]
        hidden = sum(1 for c in shown if c.own is None)
        if hidden:
            parts.append(f"{hidden} {one if hidden == 1 else many} with your own figure suppressed (under "
                         f"{rules.min_cell} records)")
        withheld = len(cells) - len(shown)
        text = (f"{head} Of {len(cells)} {many} with your records, {len(shown)} can be benchmarked: " +
                "; ".join(parts) + "." +
                (f" {withheld} {one if withheld == 1 else many} withheld "
                 f"({'; '.join(sorted({c.withheld for c in cells if c.withheld}))})." if withheld else "") +
                " The table gives each, with the peers' median and quartiles (rounded).")
    return Composed("answered", text, table, chart(org, label, by, shown), caveats)


def chart(org: str, label: str, by: str, cells: list[Cell]) -> dict:
    """Own figure against the peers' median, with the quartile band (Vega-Lite)."""
    rows = [{"cell": c.label, "order": i, "own": c.own, "q1": c.q1, "median": c.median, "q3": c.q3}
            for i, c in enumerate(cells)]
    x = {"field": "cell", "type": "ordinal", "title": {"month": "Month", "ward": "Ward"}.get(by, ""),
         "sort": {"field": "order"}, "axis": {"labelLimit": 130}}
    y_title = label[:1].upper() + label[1:]
    desc = (f"{org}'s {label} against the peers' median (line) and the middle half of peers (band), "
            f"for {len(cells)} {'cell' if len(cells) == 1 else 'cells'}; rounded; peers anonymised.")
    band = {"mark": {"type": "bar" if not by or len(cells) == 1 else "area", "color": PEER, "opacity": 0.6},
            "encoding": {"x": x, "y": {"field": "q1", "type": "quantitative", "title": y_title},
                         "y2": {"field": "q3"},
                         "tooltip": [{"field": "cell"}, {"field": "q1", "title": "Peers' lower quartile"},
                                     {"field": "q3", "title": "Peers' upper quartile"}]}}
    median = {"mark": {"type": "tick" if not by or len(cells) == 1 else "line", "color": COMPARATOR, "thickness": 3},
              "encoding": {"x": x, "y": {"field": "median", "type": "quantitative"},
                           "tooltip": [{"field": "cell"}, {"field": "median", "title": "Peers' median"}]}}
    own = {"mark": {"type": "point", "filled": True, "size": 80, "color": ASKED},
           "encoding": {"x": x, "y": {"field": "own", "type": "quantitative"},
                        "tooltip": [{"field": "cell"}, {"field": "own", "title": org}]}}
    return {"$schema": SCHEMA, "title": {"text": wrap(f"{org}: {label} against anonymised peers"), "anchor": "start",
                                         "fontSize": 13},
            "description": desc, "width": "container", "data": {"values": rows}, "layer": [band, median, own]}


__all__ = ["ABOVE", "BELOW", "BETWEEN", "Cell", "Composed", "assess", "chart", "compose", "month_label",
           "round_statistic"]
