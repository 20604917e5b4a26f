"""Who is missing: a person-level dataset's released counts against its census population, and
its averages reweighted to the census age margins (post-stratification).  Pure functions of
figures already through disclosure control: every weighted figure rests on unweighted cells of
at least the dataset's minimum size, or it is not given.

Post-stratification: with released participant counts n_a in each age band a and the census
residents' share P_a of the bands the dataset covers, each participant in band a weighs
w_a = P_a / (n_a / N); a reweighted mean is sum_a P_a * mean_a, and the effective sample size
(Kish) is (sum_a n_a w_a)^2 / sum_a n_a w_a^2.

Raking (iterative proportional fitting): with released counts n_as in each crossed cell of two
dimensions (age band x sex) and census margins for each dimension on its own (the census tables
shipped do not cross them), the cell totals m_as start at n_as and are scaled in turn so that
their row sums match the census age shares and their column sums the census sex shares (both
times N) until neither moves; each participant in cell as weighs m_as / n_as.  Every crossed cell
must be released (at least the dataset's minimum) or no raked estimate is given.

By deprivation: participants per IMD decile of their home neighbourhood against the census
residents of the neighbourhoods in each decile (``residents_by_decile``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.charts import number
from kernel.plans import CoveragePlan, Periods, Subject

UNDER, OVER = 0.8, 1.25       # a group's share of participants against its share of residents
RAKED = "Reweighted (raked)"  # the table's group for the raked estimate


@dataclass(frozen=True)
class Estimate:
    value: float
    effective_n: float
    n: float


def plan_for(catalog, sheet, place) -> CoveragePlan | str:
    """The coverage plan of person-level ``sheet`` in ``place`` (a council or the city region):
    the council census table sharing most of its dimensions as groups, its count, its means, and
    what its datasheet's ``coverage`` block asks (deprivation deciles, raking).  A plain reason
    (str) when there is none."""
    if place.level not in ("lad", "region"):
        return ("Coverage against the census is given for one council or the city region "
                "(the census margins are published for councils).")
    dims = [d.column for d in sheet.dimensions]
    census = None
    for other in catalog.sheets.values():
        if other.person_level or other.geography.level != "lad":
            continue
        shared = [g.id for g in other.groups if g.id in dims]
        if shared and (census is None or len(shared) > len(census[1])):
            census = (other, shared)
    count = next((m for m in sheet.measures if m.rollup == "count"), None)
    if census is None or count is None:
        return f"{sheet.title} shares no groups with a census table, so its coverage cannot be worked out."
    means = tuple(m.id for m in sheet.measures if m.rollup == "mean")
    spec = sheet.coverage
    rake = tuple(spec.rake) if spec and spec.rake and set(spec.rake) <= set(census[1]) else ()
    periods = Periods()
    held = tuple(catalog.periods.get(sheet.id, ())) if sheet.time.column else ()
    if held:       # records over time: the latest year's (the census is one day; a year is one cohort)
        year = max(str(p)[:4] for p in held)
        periods = Periods(tuple(p for p in held if str(p).startswith(year)), defaulted=True)
    return CoveragePlan(Subject(count.id, sheet.id, periods), place.key, census[0].id, tuple(census[1]), means,
                        deprivation=spec.deprivation if spec else None, residents=spec.residents if spec else None,
                        rake=rake)


def census_member(value: str, members):
    """The census member measure a dataset's category stands for: an age band by the ages it
    covers ('25-34' is the measure with ages [25, 34], '65+' the one with [65, null]), any other
    value by its name ('Female' is 'population_female')."""
    m = re.fullmatch(r"(\d+)\s*(?:-|to)\s*(\d+)", value.strip())
    plus = re.fullmatch(r"(\d+)\s*\+", value.strip())
    if m or plus:
        ages = (int(m.group(1)), int(m.group(2))) if m else (int(plus.group(1)), None)
        return next((x for x in members if x.ages is not None and tuple(x.ages) == ages), None)
    key = re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")
    return next((x for x in members if x.id.endswith("_" + key)), None)


def poststratify(cells: Sequence[tuple[float, float, float | None]]) -> Estimate | None:
    """``cells``: (released count n_a, census count c_a, released mean of the group).  None when
    a group's mean is not released (every group must be there for the weights to add up)."""
    if not cells or any(n is None or n <= 0 or mean is None for n, _, mean in cells):
        return None
    N = sum(n for n, _, _ in cells)
    C = sum(c for _, c, _ in cells)
    if not N or not C:
        return None
    weights = [(c / C) / (n / N) for n, c, _ in cells]
    value = sum((c / C) * mean for (_, c, mean) in cells)
    ess = sum(n * w for (n, _, _), w in zip(cells, weights)) ** 2 / sum(n * w * w for (n, _, _), w in zip(cells, weights))
    return Estimate(value, ess, N)


@dataclass(frozen=True)
class Raked:
    """Raking weights of the crossed cells and what they achieve."""
    weights: dict[tuple[str, str], float]      # per participant in each (row, column) cell
    rows: dict[str, float]                     # weighted share of each row category (0..1)
    cols: dict[str, float]                     # weighted share of each column category (0..1)
    effective_n: float
    n: float
    iterations: int
    converged: bool


def rake(cells: dict[tuple[str, str], float], row_targets: dict[str, float], col_targets: dict[str, float],
         tol: float = 1e-10, max_iter: int = 1000) -> Raked | None:
    """Iterative proportional fitting of the crossed ``cells`` (released counts) to two margins
    (census counts on any scale; only their shares matter).  None when a cell is not released
    (None or not positive) or a category has no census count."""
    if not cells or any(n is None or n <= 0 for n in cells.values()):
        return None
    rows = sorted({r for r, _ in cells})
    cols = sorted({c for _, c in cells})
    if any(row_targets.get(r) in (None, 0) for r in rows) or any(col_targets.get(c) in (None, 0) for c in cols) \
            or len(cells) != len(rows) * len(cols):
        return None
    N = float(sum(cells.values()))
    rt = {r: row_targets[r] / sum(row_targets[x] for x in rows) * N for r in rows}
    ct = {c: col_targets[c] / sum(col_targets[x] for x in cols) * N for c in cols}
    m = {k: float(v) for k, v in cells.items()}
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        for r in rows:
            f = rt[r] / sum(m[(r, c)] for c in cols)
            for c in cols:
                m[(r, c)] *= f
        for c in cols:
            f = ct[c] / sum(m[(r, c)] for r in rows)
            for r in rows:
                m[(r, c)] *= f
        gap = max(abs(sum(m[(r, c)] for c in cols) - rt[r]) for r in rows)
        if gap < tol * N:
            converged = True
            break
    w = {k: m[k] / cells[k] for k in cells}
    total = sum(m.values())
    ess = total ** 2 / sum(cells[k] * w[k] ** 2 for k in cells)
    return Raked(w, {r: sum(m[(r, c)] for c in cols) / total for r in rows},
                 {c: sum(m[(r, c)] for r in rows) / total for c in cols}, ess, N, it, converged)


def raked_estimate(raked: Raked, cells: dict[tuple[str, str], float],
                   means: dict[tuple[str, str], float | None]) -> Estimate | None:
    """The weighted mean of a measure from the released means of the crossed cells (None when one
    is not released: its weight would rest on a hidden figure)."""
    if any(means.get(k) is None for k in cells):
        return None
    total = sum(cells[k] * raked.weights[k] for k in cells)
    value = sum(cells[k] * raked.weights[k] * means[k] for k in cells) / total
    return Estimate(value, raked.effective_n, raked.n)


def residents_by_decile(deciles: dict[str, float | None], residents: dict[str, float | None]) -> dict[int, float]:
    """Census residents of the neighbourhoods in each deprivation decile: ``deciles`` and
    ``residents`` are keyed by neighbourhood code; a neighbourhood without both is left out."""
    out = {d: 0.0 for d in range(1, 11)}
    for code, d in deciles.items():
        r = residents.get(code)
        if d is None or r is None:
            continue
        out[int(d)] += float(r)
    return out


@dataclass(frozen=True)
class RakedFigures:
    """What the raked estimate says: its margins (labels), the weights (or why none), the measures."""
    margins: tuple[str, str]
    raked: Raked | None
    estimates: tuple = ()            # (measure, unweighted mean or None, Estimate or None)
    withheld: str | None = None


def reading(ratio: float) -> str:
    return "under-represented" if ratio < UNDER else "over-represented" if ratio > OVER else "about in line"


@dataclass(frozen=True)
class Coverage:
    text: str
    table: dict


def compose(sheet, census, place, margins, reweighted, min_cell: int,
            raked: RakedFigures | None = None) -> Coverage:
    """``margins``: (dimension, label, [(value, released count or None, census count, census label)]);
    ``reweighted``: (measure, unweighted mean, Estimate); ``raked``: the estimate raked to two margins."""
    rows, lines = [], []
    mark = f"suppressed (<{min_cell})"
    for dim, label, pairs in margins:
        released = [(v, n, c) for v, n, c, _ in pairs if n is not None]
        N = sum(n for _, n, _ in released)
        C = sum(c for _, _, c, _ in pairs)
        notes = []
        for v, n, c, clabel in pairs:
            share_c = c / C * 100 if C else None
            if n is None:
                rows.append([label, v, mark, None, round(share_c, 1) if share_c is not None else None, None, ""])
                continue
            share_n = n / N * 100 if N else None
            ratio = share_n / share_c if share_n is not None and share_c else None
            rows.append([label, v, n, round(share_n, 1), round(share_c, 1), round(ratio, 2) if ratio else None,
                         reading(ratio) if ratio else ""])
            if ratio and reading(ratio) != "about in line":
                notes.append(f"{v} {reading(ratio)} ({share_n:.0f}% of participants against {share_c:.0f}% of residents)")
        if notes:
            lines.append(f"By {label[:1].lower() + label[1:]}: " + "; ".join(notes) + ".")
        elif pairs:
            lines.append(f"By {label[:1].lower() + label[1:]}: every group is about in line with the census.")
    head = (f"**Who is missing from {sheet.title} in {place.display}**, against its residents in {census.title} "
            f"(the groups the dataset holds; shares of participants are of the released counts): ")
    text = head + " ".join(lines)
    missing = [m.label.lower() for m, _, est in reweighted if est is None]
    reweighted = [x for x in reweighted if x[2] is not None]
    if reweighted:
        first = margins[0]
        bits = []
        for m, overall, est in reweighted:
            bits.append(f"{m.label.lower()} **{est.value:.1f}** reweighted against {number(overall) if overall is not None else 'not released'} "
                        "unweighted")
            rows.append(["Reweighted", m.label, round(est.value, 1), None, None, None,
                         f"unweighted {number(overall) if overall is not None else 'not released'}"])
        ess = reweighted[0][2]
        text += (f" **Reweighted** (post-stratified to the census {first[1].lower()} margins of {place.display}'s "
                 f"residents in the bands the dataset covers): " + "; ".join(bits)
                 + f". Effective sample size {ess.effective_n:.0f} of {ess.n:.0f} participants.")
        rows.append(["Reweighted", "Effective sample size", round(ess.effective_n), None, None, None,
                     f"of {ess.n:.0f} participants"])
        if missing:
            text += (f" Not reweighted: {', '.join(missing)} (an age group's average is not released, so its "
                     "weight would rest on a hidden figure).")
    elif any(m.rollup == "mean" for m in sheet.measures):
        text += (" No reweighted estimate: every age group needs at least "
                 f"{min_cell} participants (and a released average) for its weight to rest on released figures.")
    if raked is not None:
        text += " " + _raked_text(raked, rows)
    table = {"columns": ["Group", "Category", "Participants", "Share of participants (%)", "Share of residents (%)",
                         "Ratio", "Reading"], "rows": rows}
    return Coverage(text, table)


def raked_label(raked: RakedFigures) -> str:
    return f"reweighted (raked to the census {raked.margins[0]} and {raked.margins[1]} margins)"


def _raked_text(raked: RakedFigures, rows: list) -> str:
    label = raked_label(raked)
    group = RAKED
    if raked.raked is None:
        rows.append([group, "Not given", None, None, None, None, raked.withheld or ""])
        return f"**{label[0].upper()}{label[1:]}**: not given, because {raked.withheld}"
    r = raked.raked
    bits = []
    for m, overall, est in raked.estimates:
        if est is None:
            bits.append(f"{m.label.lower()} not raked (a crossed cell's average is not released)")
            continue
        bits.append(f"{m.label.lower()} **{est.value:.1f}** against {number(overall) if overall is not None else 'not released'} "
                    "unweighted")
        rows.append([group, m.label, round(est.value, 1), None, None, None,
                     f"unweighted {number(overall) if overall is not None else 'not released'}"])
    rows.append([group, "Effective sample size", round(r.effective_n), None, None, None, f"of {r.n:.0f} participants"])
    head = f"**{label[0].upper()}{label[1:]}**"
    body = "; ".join(bits) + ". " if bits else "(no averages to reweight). "
    return (f"{head}: {body}Each crossed {raked.margins[0]} x {raked.margins[1]} cell holds at least the minimum "
            f"number of participants; effective sample size {r.effective_n:.0f} of {r.n:.0f}.")


def caveats(sheet, census, place, margins, raked: RakedFigures | None = None) -> list[str]:
    extra = []
    if raked is not None and raked.raked is not None:
        extra.append(f"Raking matches the census {raked.margins[0]} and {raked.margins[1]} margins separately; the "
                     f"census tables shipped do not cross them, and the {raked.margins[1]} margin counts residents "
                     f"of all ages, so its shares are applied to the age bands the dataset covers.")
    if any(dim == "imd_decile" for dim, _, _ in margins):
        extra.append("Deprivation deciles are those of each participant's home neighbourhood (IMD 2025, LSOA 2021), "
                     "not of the person; residents per decile are the census residents of those neighbourhoods in "
                     "the age bands the dataset covers.")
    return extra + [
        f"The census counts every resident of {place.display}, not people with the condition or need the dataset "
        "is about: part of a difference is who has that condition or need, not who the commons misses.",
        "Reweighting corrects only for the margins named (age band" + (f"; raking: {raked.margins[0]} and "
                                                                     f"{raked.margins[1]}" if raked else "")
        + "); it cannot correct for differences within "
        "them or for anything the census does not count, and it widens the uncertainty (see the effective sample size).",
        "Weighted figures use only released cells: each rests on at least the dataset's minimum number of "
        "participants, after rounding and perturbation.",
    ]


__all__ = ["plan_for", "Estimate", "Raked", "RakedFigures", "census_member", "compose", "caveats", "poststratify", "rake",
           "raked_estimate", "raked_label", "reading", "residents_by_decile"]
