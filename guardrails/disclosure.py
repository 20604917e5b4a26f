"""Disclosure control on results.  Open published aggregates pass unchanged; person-level
datasets get small-cell suppression and rounding (thresholds from the datasheet in the
guardrails issue; UK TRE defaults here)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.types import Result
from retrieval.datasheets import Datasheet

MIN_CELL = 10
ROUND_TO = 5


@dataclass(frozen=True)
class Controlled:
    result: Result
    released_cells: int
    suppressed_cells: int


def control(result: Result, sheets: list[Datasheet]) -> Controlled:
    cells = len(result.rows)
    if all(s.sensitivity == "open" for s in sheets):
        return Controlled(result, cells, 0)
    vi = result.columns.index("value")
    rows, suppressed = [], 0
    for r in result.rows:
        v = r[vi]
        if v is None or v < MIN_CELL:
            suppressed += 1
            v = None
        else:
            v = int(ROUND_TO * round(v / ROUND_TO))
        rows.append(r[:vi] + (v,) + r[vi + 1:])
    return Controlled(replace(result, rows=tuple(rows)), cells - suppressed, suppressed)
