"""Statistical disclosure control on results.

Open published aggregates (census tables, IMD) pass unchanged.  Results from person-level
data get the commons' rules, with thresholds from the dataset's datasheet
(``disclosure:``; UK TRE defaults):

* primary suppression: a cell describing fewer than ``min_cell`` records is suppressed,
  zeros too (the caller adds empty categories as zero cells so absence does not reveal them);
* dominance: a sum (or mean) whose top ``dominance_top`` contributors make up at least
  ``dominance_share`` of it is suppressed;
* secondary suppression: a partition (the categories of one area, or the areas of one
  category) never has exactly one suppressed cell, which its total would give away;
* rounding: released counts and sums are rounded to a multiple of ``round_to``; a "Total"
  row is recomputed from the rounded cells shown; means are rounded to ``mean_decimals``
  (a mean at full precision is a fraction whose denominator is the exact count);
* only aggregates: a result from person-level data must carry the record count of every
  cell (``n``) or nothing is released; min/max never leave (the ``top`` support column is
  dropped here);
* differencing: the population a query covers for an area is compared with populations
  already released (to anyone: ids are cheap, figures are passed on); a difference of 1..``differencing_max`` records is
  flagged (``Ledger``).  Only released populations (at least ``min_cell`` records, some cell
  shown) take part, so a refusal never says anything about a suppressed group.

``control`` is pure.  The ``Ledger`` (SQLite, shared with the review queue) is IO.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

from guardrails import governance
from guardrails.policy import purpose_label
from kernel.errors import QueryRejected
from kernel.text import person_key
from kernel.types import Result
from retrieval.datasheets import Datasheet, DisclosureRules, Measure

OUT = ("area_code", "area_name", "period", "category", "value")
SUPPORT = ("n", "top")


@dataclass(frozen=True)
class Controlled:
    result: Result                       # OUT columns only; suppressed values are None
    released_cells: int
    suppressed_cells: int
    suppressed: frozenset[int] = frozenset()   # row indices suppressed
    reasons: tuple[str, ...] = ()        # which rules fired (for the caveats and audit)
    populations: tuple[tuple[str, str, int], ...] = ()   # (area_code, period, records)


def _round(v: float, base: int) -> int:
    return int(base * round(float(v) / base))


def control(result: Result, sheets: list[Datasheet], measure: Measure | None = None) -> Controlled:
    """Apply the disclosure rules of ``sheets`` to ``result`` (see module doc)."""
    if all(s.sensitivity == "open" for s in sheets):
        cells = len(result.rows)
        return Controlled(_strip(result), cells, 0)
    personal = [s for s in sheets if s.person_level]
    rules = _strictest([s.rules for s in personal] or [DisclosureRules()])
    if "n" not in result.columns:
        raise QueryRejected("a result from person-level data must carry the record count of each cell; "
                            "nothing was released")
    idx = {c: i for i, c in enumerate(result.columns)}
    rows = [list(r) for r in result.rows]
    kind = measure.rollup if measure else "count"
    primary: set[int] = set()
    reasons: list[str] = []
    for i, r in enumerate(rows):
        n = r[idx["n"]] or 0
        if n < rules.min_cell:
            primary.add(i)
            continue
        if kind in ("sum", "mean") and "top" in idx:
            top, total = r[idx["top"]], _sum_of(r, idx, kind)
            if top is not None and total and total > 0 and top >= rules.dominance_share * total:
                primary.add(i)
                reasons.append("dominance")
    if primary:
        reasons.insert(0, "small_cell")
    suppressed = set(primary)
    if rules.secondary:
        extra = _secondary(rows, idx, suppressed)
        if extra - suppressed:
            reasons.append("secondary")
        suppressed |= extra
    out: list[tuple] = []
    for i, r in enumerate(rows):
        v = r[idx["value"]]
        if i in suppressed:
            v = None
        elif kind in ("count", "sum") and v is not None:
            v = _round(v, rules.round_to)
        elif kind == "mean" and v is not None:
            v = round(float(v), rules.mean_decimals)
        out.append(tuple(r[idx[c]] for c in OUT[:4]) + (v,))
    _recompute_totals(out, suppressed)
    pops: dict[tuple[str, str], int] = {}
    plain = {(r[idx["area_code"]], r[idx["period"]]) for r in rows if r[idx["category"]] != "__councils__"}
    # Only the populations of areas with something released: a fully suppressed area told the
    # asker nothing, and must not take part in the differencing check either.
    shown = {(r[idx["area_code"]], r[idx["period"]]) for i, r in enumerate(rows) if i not in suppressed}
    for r in rows:
        key = (r[idx["area_code"]], r[idx["period"]])
        if key not in shown:
            continue
        if r[idx["category"]] in ("__councils__", "Total") and (r[idx["category"]] == "Total" or key in plain):
            continue    # the same records again (council ranking rows, a total row)
        pops[key] = pops.get(key, 0) + int(r[idx["n"]] or 0)
    pops = {(str(a), str(p)): n for (a, p), n in pops.items()}
    res = replace(result, columns=OUT, rows=tuple(out))
    return Controlled(res, len(out) - len(suppressed), len(suppressed), frozenset(suppressed),
                      tuple(dict.fromkeys(reasons)), tuple((a, p, n) for (a, p), n in pops.items()))


def _strip(result: Result) -> Result:
    if tuple(result.columns) == OUT:
        return result
    keep = [i for i, c in enumerate(result.columns) if c not in SUPPORT]
    return replace(result, columns=tuple(result.columns[i] for i in keep),
                   rows=tuple(tuple(r[i] for i in keep) for r in result.rows))


def _strictest(rules: list[DisclosureRules]) -> DisclosureRules:
    return DisclosureRules(min_cell=max(r.min_cell for r in rules), round_to=max(r.round_to for r in rules),
                           dominance_top=min(r.dominance_top for r in rules),
                           dominance_share=min(r.dominance_share for r in rules),
                           differencing_max=max(r.differencing_max for r in rules),
                           mean_decimals=min(r.mean_decimals for r in rules),
                           secondary=any(r.secondary for r in rules))


def _sum_of(r, idx, kind) -> float | None:
    v = r[idx["value"]]
    if v is None:
        return None
    return v * (r[idx["n"]] or 0) if kind == "mean" else v


def _partitions(rows, idx) -> list[list[int]]:
    """Sets of cells that add up to a total someone can know: the categories of one area,
    and the areas of one level in one category (per period)."""
    by_area: dict[tuple, list[int]] = {}
    by_cat: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        if r[idx["category"]] == "Total":
            continue
        by_area.setdefault((r[idx["area_code"]], r[idx["period"]]), []).append(i)
        by_cat.setdefault((r[idx["category"]], r[idx["period"]], _level(r[idx["area_code"]])), []).append(i)
    return [p for p in (*by_area.values(), *by_cat.values()) if len(p) > 1]


def _level(code) -> str:
    """Areas of one level partition their parent; an area and its parent do not partition
    anything (ONS code prefixes: E01 LSOA, E05 ward, E06/E07/E08 council, E47 region)."""
    code = str(code or "")
    return {"E01": "lsoa", "E05": "ward", "E06": "lad", "E07": "lad", "E08": "lad", "E47": "region"}.get(
        code[:3], code[:3])


def _secondary(rows, idx, suppressed: set[int]) -> set[int]:
    """Suppress the smallest further cell wherever a partition has exactly one suppressed."""
    out = set(suppressed)
    changed = True
    while changed:
        changed = False
        for part in _partitions(rows, idx):
            hidden = [i for i in part if i in out]
            shown = [i for i in part if i not in out]
            if len(hidden) == 1 and shown:
                smallest = min(shown, key=lambda i: (rows[i][idx["n"]] or 0, i))
                out.add(smallest)
                changed = True
    return out


def _recompute_totals(out: list[tuple], suppressed: set[int]) -> None:
    """A 'Total' row shows the sum of the rounded cells released beside it."""
    for i, r in enumerate(out):
        if r[3] != "Total" or i in suppressed:
            continue
        cells = [x[4] for j, x in enumerate(out) if j != i and x[0] == r[0] and x[2] == r[2] and x[3] != "Total"]
        if cells:
            out[i] = r[:4] + (sum(v for v in cells if v is not None),)


# -- differencing ---------------------------------------------------------------------
@dataclass(frozen=True)
class DifferencingFlag:
    area_code: str
    period: str
    previous: int
    current: int

    @property
    def difference(self) -> int:
        return abs(self.current - self.previous)


def signature(plan: dict) -> str:
    """What a query asked for, without who asked: equal signatures are the same question (the
    order and length of a listing are how it is shown, not what it covers)."""
    keep = {k: v for k, v in plan.items() if k not in ("order", "limit")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Ledger:
    """What each actor has been given from person-level data (populations, not values)."""

    def __init__(self, path: Path | str):
        self.path = governance.prepare(path)
        with self._connect() as con:
            con.execute("""CREATE TABLE IF NOT EXISTS releases (
                actor TEXT NOT NULL, dataset TEXT NOT NULL, area_code TEXT NOT NULL, period TEXT NOT NULL,
                signature TEXT NOT NULL, population INTEGER NOT NULL, ts TEXT NOT NULL)""")
            # the differencing check looks across actors (see ``check``)
            con.execute("CREATE INDEX IF NOT EXISTS releases_area ON releases (dataset, area_code, period)")
            con.execute("CREATE TABLE IF NOT EXISTS flags (actor TEXT NOT NULL, rule TEXT NOT NULL, ts REAL NOT NULL)")

    def _connect(self):
        return governance.connect(self.path)      # SQLite file, or the shared PostgreSQL database

    def flag(self, actor: str, rule: str) -> None:
        """Remember that ``actor`` described a prohibited use (``rule``)."""
        con = self._connect()
        try:
            con.execute("INSERT INTO flags VALUES (?,?,?)", (person_key(actor), rule, time.time()))
        finally:
            con.close()

    def flagged(self, actor: str, days: float) -> str | None:
        """The use ``actor`` described within ``days``, if any (in words, e.g. 'insurance pricing')."""
        con = self._connect()
        try:
            row = con.execute("SELECT rule FROM flags WHERE actor=? AND ts>=? ORDER BY ts DESC LIMIT 1",
                              (person_key(actor), time.time() - days * 86400)).fetchone()
        finally:
            con.close()
        if row is None:
            return None
        return purpose_label(row[0].rsplit(".", 1)[-1])

    def check(self, actor: str, dataset: str, sig: str, populations, max_diff: int,
              min_cell: int = 1) -> DifferencingFlag | None:
        """Only populations that were released take part (at least ``min_cell`` records, some cell
        shown): comparing a suppressed or empty group with history would turn the refusal itself
        into a yes/no answer about a small group (found by a blind red team)."""
        if max_diff <= 0:
            return None
        populations = [(a, p, n) for a, p, n in populations if n >= min_cell]
        con = self._connect()
        try:
            for area, period, n in populations:
                # Against what anyone has been given: an id costs nothing to change at the command
                # line, and released figures are passed on (a blind red team differenced a ward's
                # mean across two ids to get one person's working hours).
                for (prev,) in con.execute(
                        "SELECT population FROM releases WHERE dataset=? AND area_code=? AND period=? "
                        "AND signature<>?", (dataset, area, period, sig)):
                    if 1 <= abs(n - prev) <= max_diff:
                        return DifferencingFlag(area, period, prev, n)
        finally:
            con.close()
        return None

    def record(self, actor: str, dataset: str, sig: str, populations, min_cell: int = 1) -> None:
        populations = [(a, p, n) for a, p, n in populations if n >= min_cell]
        if not populations:
            return
        con = self._connect()
        try:
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with con:       # one transaction: one commit for the release, not one per cell
                con.execute("BEGIN")
                con.executemany("INSERT INTO releases VALUES (?,?,?,?,?,?,?)",
                                [(actor, dataset, a, p, sig, int(n), now) for a, p, n in populations])
        finally:
            con.close()
