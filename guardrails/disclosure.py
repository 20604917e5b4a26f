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
* perturbation (the cell-key method of ONS Census 2021 and ABS TableBuilder): every published
  record carries a fixed random key (``record_key``); a cell's key is the sum of its records'
  keys modulo 2**32, and the noise added to the cell is a fixed function of that key: the same
  cell always gets the same value (asking again, under any id, averages nothing away), and two
  cells that differ by one record get unrelated noise, so subtracting near-identical cells does
  not give the difference.  Counts move by at most ``COUNT_NOISE_MAX`` before rounding; a sum
  moves by at most ``SUM_NOISE_SHARE`` of its largest contributions; a mean is the perturbed sum
  over the perturbed count;
* differencing (``Ledger``), kept where the perturbation leaves a gap, against what anyone has
  been given (ids are cheap, figures are passed on).  Two *nested* releases of the same measure
  (one group inside the other, e.g. 'participants in Everton' and 'women in Everton') that differ
  by 1..``differencing_max`` records isolate a small group.  For counts the perturbation protects
  one such isolation, so it is answered; the same small group isolated again (recognised by its
  fingerprint, the difference of the two cell keys, which is the sum of that group's record keys)
  is refused, so noise cannot be averaged away.  For sums and means, whose noise is bounded by the
  largest contributions rather than by a count, every nested isolation is refused; so is any
  nested isolation of data without record keys.  Groups that are not nested are never compared.
  Only released cells (at least ``min_cell`` records) take part, so a refusal never says anything
  about a suppressed group.

``control`` is pure.  The ``Ledger`` (SQLite, shared with the review queue) is IO.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path

from guardrails import govdb
from guardrails.policy import purpose_label
from kernel.errors import QueryRejected
from kernel.text import person_key
from kernel.types import Result
from retrieval.datasheets import Datasheet, DisclosureRules, Measure

OUT = ("area_code", "area_name", "period", "category", "value")
SUPPORT = ("n", "top", "ck")
KEY_SPACE = 2 ** 32
# The p-table for counts: the noise a cell key selects, bounded by COUNT_NOISE_MAX (before rounding).
COUNT_NOISE = ((-2, 0.1), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.1))
COUNT_NOISE_MAX = 2
# A sum (and so a mean) moves by at most this share of its largest contribution.
SUM_NOISE_SHARE = 0.5


@dataclass(frozen=True)
class Controlled:
    result: Result                       # OUT columns only; suppressed values are None
    released_cells: int
    suppressed_cells: int
    suppressed: frozenset[int] = frozenset()   # row indices suppressed
    reasons: tuple[str, ...] = ()        # which rules fired (for the caveats and audit)
    populations: tuple[tuple[str, str, int], ...] = ()   # (area_code, period, records)
    cells: tuple[tuple[str, str, str, int, int | None], ...] = ()   # released: (area, period, category, records, key)
    perturbed: bool = False                              # cell-key noise was applied
    population_keys: tuple[tuple[str, str, int | None], ...] = ()   # (area_code, period, cell key of the area)


def _uniform(ck, stream: str) -> float:
    """A number in [0, 1) that is a fixed function of a cell key (one stream per use)."""
    digest = hashlib.sha256(f"{int(ck) % KEY_SPACE}:{stream}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


def count_noise(ck) -> int:
    """The count perturbation the cell key selects from the p-table (0 without a key)."""
    if ck is None:
        return 0
    u, acc = _uniform(ck, "count"), 0.0
    for d, p in COUNT_NOISE:
        acc += p
        if u < acc:
            return d
    return COUNT_NOISE[-1][0]


def sum_noise(ck, top: float | None, k: int) -> float:
    """The sum perturbation: up to SUM_NOISE_SHARE of the mean of the top ``k`` contributions."""
    if ck is None or not top:
        return 0.0
    return (2 * _uniform(ck, "sum") - 1) * SUM_NOISE_SHARE * abs(float(top)) / max(k, 1)


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
    has_key = "ck" in idx
    for i, r in enumerate(rows):
        v = r[idx["value"]]
        ck = r[idx["ck"]] if has_key else None
        n = int(r[idx["n"]] or 0)
        top = r[idx["top"]] if "top" in idx else None
        if i in suppressed:
            v = None
        elif kind == "count" and v is not None:
            v = _round(max(float(v) + count_noise(ck), 0), rules.round_to)
        elif kind == "sum" and v is not None:
            v = _round(float(v) + sum_noise(ck, top, rules.dominance_top), rules.round_to)
        elif kind == "mean" and v is not None:
            total = float(v) * n + sum_noise(ck, top, rules.dominance_top)
            v = round(total / max(n + count_noise(ck), 1), rules.mean_decimals)
        out.append(tuple(r[idx[c]] for c in OUT[:4]) + (v,))
    _recompute_totals(out, suppressed)
    pops: dict[tuple[str, str], int] = {}
    pop_keys: dict[tuple[str, str], int | None] = {}
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
        if has_key:       # the area's key is the sum of its cells' keys (each a sum of record keys)
            have, k = pop_keys.get(key, 0), r[idx["ck"]]
            if have is None or (k is None and r[idx["n"]]):
                pop_keys[key] = None
            else:
                pop_keys[key] = (have + int(k or 0)) % KEY_SPACE
    pops = {(str(a), str(p)): n for (a, p), n in pops.items()}
    pop_keys = {(str(a), str(p)): k for (a, p), k in pop_keys.items()}
    cells = tuple((str(r[idx["area_code"]]), str(r[idx["period"]]), str(r[idx["category"]] or ""),
                   int(r[idx["n"]] or 0), r[idx["ck"]] if has_key else None) for i, r in enumerate(rows)
                  if i not in suppressed and r[idx["category"]] != "Total")
    res = replace(result, columns=OUT, rows=tuple(out))
    return Controlled(res, len(out) - len(suppressed), len(suppressed), frozenset(suppressed),
                      tuple(dict.fromkeys(reasons)), tuple((a, p, n) for (a, p), n in pops.items()),
                      cells, has_key, tuple((a, p, k) for (a, p), k in pop_keys.items()))


def withhold(controlled: Controlled, areas: set[str]) -> Controlled:
    """The same release with every cell of ``areas`` withheld (a comparison row that, with a figure
    released earlier, would isolate a handful of people): shown as suppressed, never counted."""
    rows = controlled.result.rows
    hide = {i for i, r in enumerate(rows) if str(r[0]) in areas}
    if not hide:
        return controlled
    out = tuple(r[:4] + (None,) if i in hide else r for i, r in enumerate(rows))
    suppressed = controlled.suppressed | hide
    return replace(controlled, result=replace(controlled.result, rows=out),
                   released_cells=len(rows) - len(suppressed), suppressed_cells=len(suppressed),
                   suppressed=frozenset(suppressed), reasons=tuple(dict.fromkeys((*controlled.reasons, "differencing"))),
                   populations=tuple(x for x in controlled.populations if x[0] not in areas),
                   cells=tuple(x for x in controlled.cells if x[0] not in areas),
                   population_keys=tuple(x for x in controlled.population_keys if x[0] not in areas))


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
    return {"E01": "lsoa", "E05": "ward", "E06": "lad", "E07": "lad", "E08": "lad", "E47": "region",
            "E34": "town", "E35": "town"}.get(
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


def conditions(filters, dimension: str | None, category: str | None, values: dict[str, tuple]) -> dict:
    """The group a cell describes, as {column: allowed values} (a column not named is any value):
    the plan's filters (an exclusion as the values left) and, in a breakdown, the cell's category."""
    out: dict[str, set[str]] = {}
    for f in filters:
        col, vals, exclude = f
        vals = {str(v) for v in vals}
        if exclude:
            vals = {str(v) for v in values.get(col, ())} - vals
        out[col] = out[col] & vals if col in out else vals
    if dimension and category not in (None, "", "__councils__", "Total"):
        out[dimension] = out.get(dimension, {str(category)}) & {str(category)}
    return {k: sorted(v) for k, v in sorted(out.items())}


def _cells(cells):
    """(area, period, conditions, records, key); an (area, period, records) entry is the area's whole
    group, and an entry without a key has none."""
    out = []
    for c in cells:
        if len(c) == 3:
            c = (c[0], c[1], {}, c[2])
        out.append(tuple(c) if len(c) == 5 else (*c, None))
    return out


def nested(a: dict, b: dict) -> bool:
    """True when one group lies inside the other (every column the wider one limits, the
    narrower one limits at least as much)."""
    def inside(x, y):
        return all(c in x and set(x[c]) <= set(y[c]) for c in y)
    return inside(a, b) or inside(b, a)


class Ledger:
    """What has been released from person-level data (groups and their sizes, never values), each
    row naming the audit record written before its query ran."""

    def __init__(self, path: Path | str):
        self.path = govdb.prepare(path)
        with self._connect() as con:
            con.execute("""CREATE TABLE IF NOT EXISTS releases (
                actor TEXT NOT NULL, dataset TEXT NOT NULL, area_code TEXT NOT NULL, period TEXT NOT NULL,
                signature TEXT NOT NULL, population INTEGER NOT NULL, ts TEXT NOT NULL)""")
            have = govdb.columns(con, "releases")
            for col, typ in (("conds", "TEXT"), ("audit_id", "TEXT"), ("ck", "INTEGER"), ("measure", "TEXT"),
                             ("version", "INTEGER")):
                if col not in have:
                    con.execute(f"ALTER TABLE releases ADD COLUMN {col} {typ}")
            con.execute("""CREATE TABLE IF NOT EXISTS isolations (dataset TEXT NOT NULL, area_code TEXT NOT NULL,
                period TEXT NOT NULL, fingerprint INTEGER NOT NULL, size INTEGER NOT NULL, ts TEXT NOT NULL)""")
            # the differencing check looks across actors (see ``check``)
            con.execute("CREATE INDEX IF NOT EXISTS releases_area ON releases (dataset, area_code, period)")
            con.execute("CREATE TABLE IF NOT EXISTS flags (actor TEXT NOT NULL, rule TEXT NOT NULL, ts REAL NOT NULL)")

    def _connect(self):
        return govdb.connect(self.path)      # SQLite file, or the shared PostgreSQL database

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

    def check(self, actor: str, dataset: str, sig: str, cells, max_diff: int,
              min_cell: int = 1) -> DifferencingFlag | None:
        """The first cell of ``cells`` nested with one already released to anyone and differing by
        1..``max_diff`` records (without record keys every such isolation counts: see ``assess``)."""
        found, _ = self.assess(dataset, sig, cells, max_diff, min_cell)
        return found[0] if found else None

    def assess(self, dataset: str, sig: str, cells, max_diff: int, min_cell: int = 1, measure: str | None = None,
               kind: str = "count", version: int | None = None) -> tuple[list[DifferencingFlag], list[tuple]]:
        """``cells``: (area_code, period, conditions, records[, cell key]).  Returns the cells to
        refuse (one per area and period) and the small groups this release isolates for the first
        time (to be recorded with it).  A small group is isolated by a cell nested with one of the
        same measure already released to anyone, differing by 1..``max_diff`` records.  It is refused
        when the measure is a sum or mean, when either cell has no key, or when the same group (the
        same fingerprint) was isolated before.  The same question asked of another published version
        of the dataset (after a refresh applied withdrawals, consent changes or corrections) is
        compared too: its group is the earlier one less the people who left.  Only released cells (at least ``min_cell`` records)
        take part: comparing a suppressed or empty group with history would turn the refusal itself
        into a yes/no answer about a small group (found by a blind red team)."""
        if max_diff <= 0:
            return [], []
        cells = [c for c in _cells(cells) if c[3] >= min_cell]
        flags: dict[tuple[str, str], DifferencingFlag] = {}
        isolated: list[tuple] = []
        con = self._connect()
        try:
            for area, period, conds, n, ck in cells:
                history = con.execute(
                    "SELECT population, conds, ck, signature, version FROM releases WHERE dataset=? AND area_code=? "
                    "AND period=? AND (measure = ? OR measure IS NULL OR CAST(? AS TEXT) IS NULL)",
                    (dataset, area, period, measure, measure)).fetchall()
                if ck is not None and any(p == n and pk == ck and json.loads(pc or "{}") == conds
                                          for p, pc, pk, _s, _v in history):
                    continue        # the very same group released before (e.g. as a comparison row): nothing new
                # one comparison per earlier group (the same group released twice is one group)
                earlier = dict.fromkeys((h[0], h[1] or "{}", h[2]) for h in history if h[3] != sig or h[4] != version)
                for prev, prev_conds, prev_ck in earlier:
                    if not (1 <= abs(n - prev) <= max_diff and nested(conds, json.loads(prev_conds or "{}"))):
                        continue
                    fingerprint = None if ck is None or prev_ck is None else \
                        ((ck - prev_ck) if n > prev else (prev_ck - ck)) % KEY_SPACE
                    seen = fingerprint is not None and (
                        con.execute("SELECT 1 FROM isolations WHERE dataset=? AND area_code=? AND period=? AND "
                                    "fingerprint=?", (dataset, area, period, fingerprint)).fetchone() is not None
                        or any(i[:3] == (area, period, fingerprint) for i in isolated))
                    if kind in ("sum", "mean") or fingerprint is None or seen:
                        flags.setdefault((area, period), DifferencingFlag(area, period, prev, n))
                    else:
                        isolated.append((area, period, fingerprint, abs(n - prev)))
        finally:
            con.close()
        return list(flags.values()), isolated

    def record(self, actor: str, dataset: str, sig: str, cells, min_cell: int = 1,
               audit_id: str | None = None, measure: str | None = None, isolated=(), version: int | None = None) -> None:
        cells = [c for c in _cells(cells) if c[3] >= min_cell]
        if not cells:
            return
        con = self._connect()
        try:
            now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            with con:       # one transaction: one commit for the release, not one per cell
                con.execute("BEGIN")
                con.executemany("INSERT INTO releases (actor, dataset, area_code, period, signature, population, "
                                "ts, conds, audit_id, ck, measure, version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                                [(actor, dataset, a, p, sig, int(n), now, json.dumps(c, sort_keys=True), audit_id,
                                  None if k is None else int(k), measure, version) for a, p, c, n, k in cells])
                con.executemany("INSERT INTO isolations VALUES (?,?,?,?,?,?)",
                                [(dataset, a, p, int(f), int(size), now) for a, p, f, size in isolated])
        finally:
            con.close()

    def releases(self) -> list[tuple[str, str | None]]:
        """(dataset, audit id) of every release row (for the audit cross-check)."""
        con = self._connect()
        try:
            return [(d, a) for d, a in con.execute("SELECT dataset, audit_id FROM releases")]
        finally:
            con.close()
