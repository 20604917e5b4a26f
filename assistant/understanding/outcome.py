"""What the understanding layer gives the pipeline: a plan to run, a documentation request,
a question back, or why there is no answer; always with what it understood."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["data", "docs", "clarify", "no_data", "info", "where"]


@dataclass(frozen=True)
class Planned:
    kind: Kind
    plan: Any = None                 # a kernel.plans plan (or the older flat QueryPlan)
    message: str = ""                # a note for the answer (data), or the reply (clarify / no_data / info)
    options: tuple[str, ...] = ()
    docs: dict[str, Any] | None = None
    state: dict[str, Any] = field(default_factory=dict)
    # Why the data route stopped short (clarify / no_data): "unknown_word", "unknown_place",
    # "which_place", "which_measure", "no_measure", "unexplained", "out_of_scope", ...
    reason: str = ""
    # One line saying what was understood (measure with its filters, place, period, shape, the
    # defaults used); every answer starts with it.
    understood: str = ""
    # "where": which ward / council a named area lies in, from the geography lookups (no figures)
    table: dict[str, Any] | None = None
