"""The values that flow between stages.  Frozen, small, serialisable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from kernel.text import canonical_id

Status = Literal["answered", "clarify", "refused", "needs_review", "no_data", "error"]
Intent = Literal["value", "comparison", "ranking", "trend", "breakdown", "summary", "count"]
ROLES = ("resident", "provider", "researcher", "commercial", "steward", "member", "evaluator", "participant")
# Every role but resident comes from a signed-in account (guardrails/auth.py); "member" is a
# member representative on a dataset's members' panel.  A "participant" signs in with the
# participation reference and secret their dataset issued (guardrails/participants.py), never
# with the users file.
ACCOUNT_ROLES = tuple(r for r in ROLES if r not in ("resident", "participant"))


@dataclass(frozen=True)
class Actor:
    id: str = "anonymous"
    role: str = "resident"
    org: str | None = None
    # The session a sign-in issued (guardrails/auth.py, ``Accounts.sign_in``); every role but
    # resident is honoured only with a live one for this id, so an id and a role typed into a
    # request are never an identity.
    session: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", canonical_id(self.id))


@dataclass(frozen=True)
class Question:
    text: str
    actor: Actor = Actor()
    purpose: str = "personal"
    conversation_id: str | None = None
    # An approved project (guardrails/projects.py, "P-..."): person-level data is answered only
    # within one that names the dataset, and its purpose is the purpose.
    project: str | None = None


@dataclass(frozen=True)
class QueryPlan:
    """What to compute, in the commons' own terms: no SQL, no user text."""

    intent: Intent
    measure: str                          # concept id, e.g. "population"
    dataset: str                          # datasheet id chosen for the place and period
    places: tuple[str, ...] = ()          # gazetteer keys
    child_level: str | None = None        # ranking / breakdown / count: level of the rows
    period: str | None = None             # "2020", "2019-09"; None = the dataset's latest
    period_defaulted: bool = False        # True when the user gave no period
    dimension: str | None = None          # breakdown by a column or a group id
    filters: tuple[tuple[str, str], ...] = ()   # (dimension column, value)
    condition: tuple[str, float | str] | None = None   # count: (operator, value)
    order: Literal["desc", "asc"] | None = None
    limit: int | None = None
    share: bool = False                   # share of the group's total (percent)
    with_context: bool = True             # add parent / England / council rank rows

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "QueryPlan":
        d = dict(d)
        for k in ("places", "filters"):
            d[k] = tuple(tuple(x) if isinstance(x, list) else x for x in d.get(k) or ())
        if d.get("condition") is not None:
            d["condition"] = tuple(d["condition"])
        return cls(**d)


@dataclass(frozen=True)
class CheckedSQL:
    """A statement that passed the safety check; ``sql`` is rendered from the AST for DuckDB,
    ``tree`` is that checked AST (what the store's engines render for their own dialect)."""

    sql: str
    tables: tuple[str, ...]
    tree: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool = False
    elapsed_ms: float = 0.0


@dataclass(frozen=True)
class Citation:
    dataset: str
    title: str
    publisher: str
    licence: str
    attribution: str
    source: str


@dataclass(frozen=True)
class GuardedAnswer:
    status: Status
    answer: str
    table: dict[str, Any] | None = None
    chart: dict[str, Any] | None = None
    sql: str | None = None
    datasets: tuple[str, ...] = ()
    citations: tuple[Citation, ...] = ()
    caveats: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    review_id: str | None = None
    audit_id: str | None = None
    plan: dict[str, Any] | None = field(default=None, compare=False)
    suggestions: tuple[str, ...] = ()
    error_id: str | None = None          # status "error": the reference the person can quote
    understood: str | None = None        # what the question was understood to ask (also the answer's first line)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["datasets"] = list(self.datasets)
        d["citations"] = [asdict(c) for c in self.citations]
        d["caveats"] = list(self.caveats)
        d["options"] = list(self.options)
        d["suggestions"] = list(self.suggestions)
        return d
