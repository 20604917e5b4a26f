"""Who is missing: a person-level dataset's released counts against its census population, and
its averages reweighted to the census age margins (post-stratification).  Pure functions of
figures already through disclosure control: every weighted figure rests on unweighted cells of
at least the dataset's minimum size, or it is not given.

Post-stratification: with released participant counts n_a in each age band a and the census
residents' share P_a of the bands the dataset covers, each participant in band a weighs
w_a = P_a / (n_a / N); a reweighted mean is sum_a P_a * mean_a, and the effective sample size
(Kish) is (sum_a n_a w_a)^2 / sum_a n_a w_a^2.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.charts import number

UNDER, OVER = 0.8, 1.25       # a group's share of participants against its share of residents


@dataclass(frozen=True)
class Estimate:
    value: float
    effective_n: float
    n: float


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


def reading(ratio: float) -> str:
    return "under-represented" if ratio < UNDER else "over-represented" if ratio > OVER else "about in line"


@dataclass(frozen=True)
class Coverage:
    text: str
    table: dict


def compose(sheet, census, place, margins, reweighted, min_cell: int) -> Coverage:
    """``margins``: (dimension, label, [(value, released count or None, census count, census label)]);
    ``reweighted``: (measure, unweighted mean, Estimate)."""
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
            lines.append(f"By {label.lower()}: " + "; ".join(notes) + ".")
        elif pairs:
            lines.append(f"By {label.lower()}: every group is about in line with the census.")
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
    else:
        text += (" No reweighted estimate: every age group needs at least "
                 f"{min_cell} participants (and a released average) for its weight to rest on released figures.")
    table = {"columns": ["Group", "Category", "Participants", "Share of participants (%)", "Share of residents (%)",
                         "Ratio", "Reading"], "rows": rows}
    return Coverage(text, table)


def caveats(sheet, census, place, margins) -> list[str]:
    return [
        f"The census counts every resident of {place.display}, not people with the condition or need the dataset "
        "is about: part of a difference is who has that condition or need, not who the commons misses.",
        "Reweighting corrects only for the margins named (age band); it cannot correct for differences within "
        "them or for anything the census does not count, and it widens the uncertainty (see the effective sample size).",
        "Weighted figures use only released cells: each rests on at least the dataset's minimum number of "
        "participants, after rounding and perturbation.",
    ]


__all__ = ["Estimate", "census_member", "compose", "caveats", "poststratify", "reading"]
