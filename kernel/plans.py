"""Plans: what to compute, in the commons' own terms (no SQL, no user text).  One type per
intent, each valid by construction: a plan that cannot be built cannot be made.

Every plan has a ``Subject`` (the measure, the dataset chosen for it, the periods and the
filters) and the shape of its intent:

    ValuePlan       one place (with its parent area and England for context)
    ComparisonPlan  two or more places side by side (optionally their difference)
    RankingPlan     child areas of a scope, or the categories of a dimension, in order
    TrendPlan       places over every period asked
    BreakdownPlan   one place split by child areas, a dimension, or a table's categories
                    (``as_map``: its child areas drawn as a map)
    CountPlan       how many areas of a scope meet a condition (a negated one too)
    SummaryPlan     an area profile (several measures; no subject)
    RelationPlan    two measures over the same areas, side by side, with their correlation
    CoveragePlan    who is missing: a person-level dataset against the census, reweighted
    BenchmarkPlan   the signed-in provider's own figure against its anonymised peers' median
                    and quartiles (the organisation is the account's, never in the plan)

Structural rules are checked when a plan is made (``PlanInvalid`` otherwise); the rules that
need the catalogue (the measure is in the dataset, the periods are held, the places are
covered) are ``assistant.queries.validate``, applied to every plan whichever planner made it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal, Union

from kernel.errors import PlanInvalid

Order = Literal["desc", "asc"]
AREA_LEVELS = ("lsoa", "ward", "lad", "region", "country")
CONDITION_OPS = ("=", "<", "<=", ">", ">=", "in")


def _need(ok: bool, why: str) -> None:
    if not ok:
        raise PlanInvalid(why)


@dataclass(frozen=True)
class Filter:
    """Keep (or, with ``exclude``, leave out) the rows whose ``column`` is one of ``values``."""

    column: str
    values: tuple[str, ...]
    exclude: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(str(v) for v in self.values))
        _need(bool(self.column), "a filter needs a column")
        _need(bool(self.values), f"the filter on {self.column} names no values")


@dataclass(frozen=True)
class Periods:
    """The time-column values to read, oldest first.  Empty when the dataset has a single
    fixed period (no time column).  ``defaulted``: none was asked, so the latest is used."""

    values: tuple[str, ...] = ()
    defaulted: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(sorted(dict.fromkeys(str(v) for v in self.values))))


@dataclass(frozen=True)
class Rate:
    """The value per ``per`` of a denominator measure (crimes per 1,000 residents), both
    computed in the governed SQL; the denominator comes from the datasheet that declares it."""

    denominator: str              # concept id of the denominator measure
    dataset: str                  # the dataset it is read from
    periods: Periods
    per: int = 1000

    def __post_init__(self) -> None:
        _need(self.per in (1, 10, 100, 1000, 10000, 100000), f"a rate per {self.per} is not offered")


@dataclass(frozen=True)
class Subject:
    measure: str                  # concept id, e.g. "population"
    dataset: str                  # the datasheet chosen for the place and period
    periods: Periods = Periods()
    filters: tuple[Filter, ...] = ()
    # Parts of the measure's table left out: the measure is the table's total, less these measures
    # ('households that are not private renters': households less all private renting)
    less: tuple[str, ...] = ()
    # The mean over the periods read of a count that adds over them ('on average, how many crimes
    # a month'): the sum over the periods divided by how many there are
    per_period: bool = False

    def __post_init__(self) -> None:
        _need(bool(self.measure) and bool(self.dataset), "a plan needs a measure and a dataset")
        object.__setattr__(self, "filters", tuple(self.filters))
        object.__setattr__(self, "less", tuple(dict.fromkeys(self.less)))
        _need(self.measure not in self.less, "a measure is not left out of itself")
        cols = [f.column for f in self.filters]
        _need(len(cols) == len(set(cols)), "one filter per column")


@dataclass(frozen=True)
class Areas:
    """Over the child areas of the scope at ``level``."""
    level: str

    def __post_init__(self) -> None:
        _need(self.level in AREA_LEVELS[:3], f"no rows at level {self.level!r}")


@dataclass(frozen=True)
class Categories:
    """Over the values of a dimension column (or a category measure's column)."""
    column: str

    def __post_init__(self) -> None:
        _need(bool(self.column), "categories of which column?")


@dataclass(frozen=True)
class Members:
    """Over the category columns of a wide table's group (tenure, age bands); ``also``: combined
    parts of the group asked by name ('social rent' = council + housing association), as rows too."""
    group: str
    also: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _need(bool(self.group), "members of which group?")
        object.__setattr__(self, "also", tuple(self.also))


Over = Union[Areas, Categories, Members]


@dataclass(frozen=True)
class Condition:
    """``op`` ``value`` on the measure (``in``: value is a tuple); ``negate`` keeps the rest."""
    op: str
    value: Any
    negate: bool = False

    def __post_init__(self) -> None:
        _need(self.op in CONDITION_OPS, f"unknown comparison {self.op!r}")
        if self.op == "in":
            _need(isinstance(self.value, (tuple, list)) and len(self.value) > 0, "'in' needs values")
            object.__setattr__(self, "value", tuple(self.value))


@dataclass(frozen=True)
class Within:
    """Only the areas meeting ``condition`` on another dataset's ``measure`` at the same geography
    (level and boundary vintage): 'beneficiaries in the most deprived 10% of neighbourhoods'."""
    dataset: str
    measure: str
    condition: Condition

    def __post_init__(self) -> None:
        _need(bool(self.dataset) and bool(self.measure), "an area condition needs a dataset and a measure")
        _need(isinstance(self.condition, Condition) and self.condition.op != "in", "an area condition compares a number")


class _Plan:
    """What every plan answers to (read by the query builder, the answer and the audit)."""

    intent: str = ""
    subject: Subject

    @property
    def measure(self) -> str:
        return self.subject.measure

    @property
    def dataset(self) -> str:
        return self.subject.dataset

    @property
    def periods(self) -> Periods:
        return self.subject.periods

    @property
    def filters(self) -> tuple[Filter, ...]:
        return self.subject.filters

    @property
    def period_defaulted(self) -> bool:
        return self.subject.periods.defaulted

    # Shape attributes read uniformly downstream; each plan type sets the ones it has.
    child_level: str | None = None
    dimension: str | None = None
    order: str | None = None
    limit: int | None = None
    condition: Condition | None = None
    share: bool = False
    with_context: bool = False
    rate: Rate | None = None
    of_place: str | None = None
    as_map: bool = False
    within: "Within | None" = None

    def to_dict(self) -> dict[str, Any]:
        return plan_to_dict(self)      # type: ignore[arg-type]


@dataclass(frozen=True)
class ValuePlan(_Plan):
    subject: Subject
    place: str
    share: bool = False           # as a share (%) of its group's total
    rate: Rate | None = None
    with_context: bool = True     # parent area, England and the council's position
    of_place: str | None = None   # as a share (%) of this larger area's figure ('of the city region's crime')
    within: Within | None = None  # only the neighbourhoods meeting a condition ('in the most deprived 10%')
    exclude_places: tuple[str, ...] = ()   # areas inside the place left out of its figure ('but not Central ward')
    with_count: bool = False      # a share given with the count it is of ('how many ..., and what share is that')

    intent = "value"

    def __post_init__(self) -> None:
        _need(bool(self.place), "a value needs a place")
        object.__setattr__(self, "exclude_places", tuple(self.exclude_places))
        _need(self.place not in self.exclude_places, "a place is not left out of itself")
        _need(not self.exclude_places or (self.rate is None and self.of_place is None and not self.with_context),
              "a figure with areas left out is given on its own (no rate, no larger area, no comparators)")
        _need(not (self.share and self.rate), "a share or a rate, not both")
        _need(self.of_place is None or (self.of_place != self.place and not self.share and self.rate is None),
              "a share of a larger area is of another place, and on its own")
        _need(not self.with_count or self.share, "a count is given beside a share only")

    @property
    def places(self) -> tuple[str, ...]:
        return (self.place,)


@dataclass(frozen=True)
class ComparisonPlan(_Plan):
    subject: Subject
    places: tuple[str, ...]
    share: bool = False
    rate: Rate | None = None
    difference: bool = False      # say how much higher one is than the other (two places)
    combined: bool = False        # and the places added together ('Everton and Anfield combined')
    ratio: bool = False           # say how many times the one is the other ('how many times higher')

    intent = "comparison"

    def __post_init__(self) -> None:
        object.__setattr__(self, "places", tuple(self.places))
        _need(not (self.combined and (self.share or self.rate or self.difference)),
              "places added together are a count, on its own")
        _need(len(self.places) >= 2, "a comparison needs two or more places")
        _need(len(set(self.places)) == len(self.places), "a place named twice is compared once")
        _need(not (self.share and self.rate), "a share or a rate, not both")
        _need(not self.difference or len(self.places) == 2, "a difference is between two places")
        _need(not self.ratio or (len(self.places) == 2 and not self.combined), "a ratio is between two places")


@dataclass(frozen=True)
class RankingPlan(_Plan):
    subject: Subject
    scope: str                    # the area whose children are ranked (or whose categories)
    over: Over
    order: Order = "desc"
    limit: int | None = None
    share: bool = False
    exclude_places: tuple[str, ...] = ()
    rate: Rate | None = None
    focus: str | None = None       # 'where does Linacre ward rank': the area whose place is asked
    benchmark: str | None = None   # '..., and is it above the England figure?': a larger area's figure beside
    beyond: str | None = None      # 'how many councils have more ... than England': the areas 'above' or 'below' it counted

    intent = "ranking"

    def __post_init__(self) -> None:
        _need(bool(self.scope), "a ranking needs a scope")
        _need(isinstance(self.over, (Areas, Categories, Members)), "a ranking is over areas or categories")
        _need(self.focus is None or (isinstance(self.over, Areas) and self.limit is None),
              "the area whose place is asked is found among all the areas ranked")
        _need(self.benchmark is None or (isinstance(self.over, Areas) and self.benchmark != self.scope),
              "a benchmark is another area's figure beside a ranking of areas")
        _need(self.beyond is None or (self.beyond in ("above", "below") and self.benchmark is not None),
              "the areas counted above or below a benchmark need that benchmark")
        _need(self.order in ("desc", "asc"), f"unknown order {self.order!r}")
        _need(self.limit is None or (isinstance(self.limit, int) and 0 < self.limit <= 1000),
              f"a ranking limit must be 1 to 1000, not {self.limit!r}")
        object.__setattr__(self, "exclude_places", tuple(self.exclude_places))

    @property
    def places(self) -> tuple[str, ...]:
        return (self.scope,)

    @property
    def child_level(self) -> str | None:           # type: ignore[override]
        return self.over.level if isinstance(self.over, Areas) else None

    @property
    def dimension(self) -> str | None:             # type: ignore[override]
        return _dimension(self.over)


@dataclass(frozen=True)
class TrendPlan(_Plan):
    subject: Subject
    places: tuple[str, ...]
    share: bool = False
    rate: Rate | None = None
    # 'how many more in October than in December': the period named first, whose figure the
    # other period's is taken from (two periods, one place)
    difference_from: str | None = None
    # 'which council's score rose the most between 2015 and 2021': the places in order of their
    # change from the first period to the last ("desc": the biggest rise first; "asc": the biggest fall)
    rank_change: Order | None = None
    # ... by the change in per cent of the first period's figure ('the biggest percentage increase')
    change_pct: bool = False
    # ... the first N of them named ('which 3 wards grew the most'); the table lists them all
    limit: int | None = None
    # ... or counted: how many of them rose ("desc") or fell ("asc") ('how many LSOAs lost population')
    count_change: bool = False
    # one place's series summed up in one figure, said with the series: "mean" (the average of the
    # periods' figures, 'the average score over 2015 to 2021') or "range" (its lowest and highest)
    stat: str | None = None

    intent = "trend"

    def __post_init__(self) -> None:
        object.__setattr__(self, "places", tuple(self.places))
        _need(len(self.places) >= 1, "a trend needs a place")
        _need(self.rank_change is None or (len(self.places) >= 2 and len(self.subject.periods.values) >= 2
                                            and self.difference_from is None and self.rank_change in ("desc", "asc")),
              "a ranking by change is of two or more places over two or more periods")
        _need(not self.count_change or (self.rank_change is not None and self.limit is None and not self.change_pct),
              "only the places of a change ranking are counted by its direction")
        _need(self.limit is None or (self.rank_change is not None and self.limit >= 1), "only a ranking of changes is cut to its first N")
        _need(not self.change_pct or (self.rank_change is not None and not self.share),
              "a percentage change ranks places by their change, of a figure that is not itself a share")
        _need(len(set(self.places)) == len(self.places), "a place named twice is drawn once")
        _need(self.stat in (None, "mean", "range") and (self.stat is None or (
            self.rank_change is None and self.difference_from is None and len(self.subject.periods.values) >= 2)),
              "a series is summed up as its mean or its range, over two or more periods")
        _need(self.difference_from is None or (len(self.subject.periods.values) == 2 and len(self.places) == 1
                                               and self.difference_from in self.subject.periods.values),
              "a difference over time is between two periods of one place")


@dataclass(frozen=True)
class BreakdownPlan(_Plan):
    subject: Subject
    place: str
    over: Over
    share: bool = False
    rate: Rate | None = None
    as_map: bool = False          # drawn as a map of the child areas (a choropleth)

    intent = "breakdown"

    def __post_init__(self) -> None:
        _need(bool(self.place), "a breakdown needs a place")
        _need(isinstance(self.over, (Areas, Categories, Members)), "a breakdown is by areas or categories")
        _need(not self.as_map or isinstance(self.over, Areas), "a map is of areas")

    @property
    def places(self) -> tuple[str, ...]:
        return (self.place,)

    @property
    def child_level(self) -> str | None:           # type: ignore[override]
        return self.over.level if isinstance(self.over, Areas) else None

    @property
    def dimension(self) -> str | None:             # type: ignore[override]
        return _dimension(self.over)

    @property
    def order(self) -> str | None:                 # type: ignore[override]
        return "desc"


@dataclass(frozen=True)
class CountPlan(_Plan):
    subject: Subject
    scope: str
    level: str                    # the areas counted
    condition: Condition          # type: ignore[assignment]
    share: bool = False           # also the share of the residents living in them
    list_areas: bool = False      # 'which councils have ...': the matching areas are the table
    per: str | None = None        # one count for each area of this level ('which ward has the most ...')
    order: Order = "desc"         # (per) the areas with the most matching first, or the fewest
    limit: int | None = None      # (per) how many areas to show
    by_share: bool = False        # (per) ordered by the share of its areas that match, not their number
    exclude_places: tuple[str, ...] = ()   # areas inside the scope whose areas are not counted ('leaving Liverpool out')
    # A threshold on the measure tested on each area's own figure: summed up to the areas counted
    # when they are larger than the dataset's ('wards with more than 5,000 residents'), and
    # (of_total) as a share (%) of its table's total ('more than a third of households').
    of_total: bool = False
    # further conditions each area counted also meets, on other measures of the same dataset
    # ('in decile 1 for both income and health')
    also: tuple["Within", ...] = ()
    difference: bool = False      # (per, two areas kept) the gap between their counts ('how many more ... than')
    # (per) the areas of that level counted themselves: those with at least this many matching
    # ('how many Sefton wards have at least one LSOA in decile 1'); 0: those with none ('no LSOA in')
    at_least: int | None = None

    intent = "count"

    def __post_init__(self) -> None:
        _need(bool(self.scope), "a count needs a scope")
        object.__setattr__(self, "exclude_places", tuple(self.exclude_places))
        _need(self.scope not in self.exclude_places, "a place is not left out of itself")
        _need(self.level in ("lsoa", "ward", "lad"), f"cannot count areas at level {self.level!r}")
        _need(isinstance(self.condition, Condition), "a count needs a condition")
        object.__setattr__(self, "also", tuple(self.also))
        _need(all(isinstance(w, Within) and w.dataset == self.subject.dataset and w.measure != self.subject.measure
                  for w in self.also), "a further condition is on another measure of the same dataset")
        _need(not (self.also and self.of_total), "a share threshold is one condition")
        _need(not self.difference or self.per is not None, "a difference between counts is of counts for each area")
        if self.of_total:
            _need(self.condition.op in ("<", "<=", ">", ">="), "a share is tested against a threshold")
            _need(self.per is None and not self.share, "a share threshold counts the areas of one place")
        if self.per is not None:
            _need(self.per in ("ward", "lad"), f"cannot count areas for each area at level {self.per!r}")
            _need(("lsoa", "ward", "lad").index(self.per) > ("lsoa", "ward", "lad").index(self.level),
                  "the areas counted are smaller than the areas each count is for")
            _need(not self.share and not self.list_areas, "counts for each area are counts of areas")
            _need(self.order in ("asc", "desc"), "order is asc or desc")
            _need(self.limit is None or self.limit > 0, "a limit is positive")
        _need(self.at_least is None or (self.per is not None and self.at_least >= 0 and not self.difference),
              "'at least N' counts the areas of the level each count is for (0: those with none)")

    @property
    def places(self) -> tuple[str, ...]:
        return (self.scope,)

    @property
    def child_level(self) -> str | None:           # type: ignore[override]
        return self.level


@dataclass(frozen=True)
class SummaryPlan:
    """An area profile: each summary measure the commons holds for the place, latest period (or,
    ``year`` named, the figures for that year where the commons holds them)."""

    place: str
    year: str | None = None
    measures: tuple[str, ...] = ()      # the measures named ('population and how deprived'); () = the profile
    difference: bool = False            # (two measures in one unit) the first minus the second ('how many more')
    shares: bool = False                # each measure named as a share (%) of its table's total ('social rent %')
    # a year for each measure named, when the parts were asked for different years ('the IMD 2025 rank
    # and the population in 2021'); None in it is that measure's latest
    years: tuple[str | None, ...] = ()
    intent = "summary"
    measure = "profile"
    dataset = ""
    filters = ()
    child_level = dimension = order = limit = condition = rate = of_place = None
    as_map = False
    within = None
    with_context = True
    period_defaulted = True

    @property
    def share(self) -> bool:          # type: ignore[override]
        return self.shares
    periods = Periods()

    def __post_init__(self) -> None:
        _need(bool(self.place), "a summary needs a place")
        _need(self.year is None or (len(self.year) == 4 and self.year.isdigit()), "a summary's year is a year")
        _need(not self.difference or len(self.measures) == 2, "a difference is between two figures")
        _need(not self.shares or bool(self.measures), "shares are of the measures named")
        object.__setattr__(self, "years", tuple(self.years))
        _need(not self.years or (len(self.years) == len(self.measures) and self.year is None and all(
            y is None or (len(y) == 4 and y.isdigit()) for y in self.years)), "a year for each measure named")

    @property
    def places(self) -> tuple[str, ...]:
        return (self.place,)

    def to_dict(self) -> dict[str, Any]:
        return {**plan_to_dict(self), "year": self.year, "measures": list(self.measures), "difference": self.difference,
                "shares": self.shares, "years": list(self.years)}


@dataclass(frozen=True)
class RelationPlan(_Plan):
    """Two area-level measures side by side over the same child areas of one scope, with their
    correlation over the areas (a scatter chart).  ``x`` and ``y`` are breakdowns by the same
    areas; the areas are joined on their codes (the geography the semantic layer declares)."""

    x: BreakdownPlan
    y: BreakdownPlan

    intent = "relation"

    def __post_init__(self) -> None:
        _need(isinstance(self.x, BreakdownPlan) and isinstance(self.y, BreakdownPlan), "a relation is of two breakdowns")
        _need(isinstance(self.x.over, Areas) and isinstance(self.y.over, Areas), "a relation is over areas")
        _need(self.x.over.level == self.y.over.level, "both measures over the same kind of area")
        _need(self.x.place == self.y.place, "both measures over the same area")
        _need((self.x.measure, self.x.dataset) != (self.y.measure, self.y.dataset), "a relation is of two measures")

    @property
    def subject(self) -> Subject:                  # type: ignore[override]
        return self.x.subject

    @property
    def places(self) -> tuple[str, ...]:
        return self.x.places

    @property
    def child_level(self) -> str | None:           # type: ignore[override]
        return self.x.child_level

    def to_dict(self) -> dict[str, Any]:
        d = {"intent": "relation", "x": plan_to_dict(self.x), "y": plan_to_dict(self.y)}
        d.update(measure=self.measure, dataset=self.dataset, places=list(self.places), periods=list(self.periods.values),
                 child_level=self.child_level, dimension=None, measures=[self.x.measure, self.y.measure],
                 datasets=[self.x.dataset, self.y.dataset])
        return d


@dataclass(frozen=True)
class CoveragePlan(_Plan):
    """Who is missing: a person-level dataset's participants in a place against its census
    population, group by group (the dataset's dimensions that the census dataset has as groups)
    and by the deprivation decile of their neighbourhood, with the dataset's mean measures
    reweighted to the census age margins (post-stratified) and raked to two margins."""

    subject: Subject              # the dataset's count of participants
    place: str
    census: str                   # the census dataset the margins come from
    margins: tuple[str, ...]      # dimension columns compared (each a group of the census dataset)
    reweight: tuple[str, ...] = ()   # mean measures of the dataset, post-stratified to the first margin
    deprivation: str | None = None   # "dataset.measure": the neighbourhood deprivation decile
    residents: str | None = None     # the census dataset counting residents per neighbourhood
    rake: tuple[str, ...] = ()       # two margins the means are also raked to (age band, sex)

    intent = "coverage"

    def __post_init__(self) -> None:
        object.__setattr__(self, "margins", tuple(self.margins))
        object.__setattr__(self, "reweight", tuple(self.reweight))
        object.__setattr__(self, "rake", tuple(self.rake))
        _need(not self.rake or (len(self.rake) == 2 and set(self.rake) <= set(self.margins)),
              "raking is to two of the margins compared")
        _need(not self.deprivation or (self.deprivation.count(".") == 1 and bool(self.residents)),
              "coverage by deprivation needs the decile's dataset and measure and a census of residents")
        _need(bool(self.place), "coverage needs a place")
        _need(bool(self.census) and bool(self.margins), "coverage needs a census dataset and its margins")

    @property
    def places(self) -> tuple[str, ...]:
        return (self.place,)


@dataclass(frozen=True)
class BenchmarkPlan(_Plan):
    """The asking organisation's figure against its peers' median and quartiles, in total or per
    month or per ward.  The plan names no organisation: the pipeline takes it from the signed-in
    account, so nothing in a question can choose whose figures are 'ours'."""

    subject: Subject              # the measure (with any record filter, e.g. outcome = Improved)
    by: str = ""                  # "" (the whole period) | "month" | "ward"
    label: str = ""               # the benchmark measure's label ('people supported')

    intent = "benchmark"

    def __post_init__(self) -> None:
        _need(self.by in ("", "month", "ward"), "a benchmark is given in total, per month or per ward")

    @property
    def places(self) -> tuple[str, ...]:
        return ()


@dataclass(frozen=True)
class EditionsPlan(_Plan):
    """One measure of the same places in two or more editions of a publication (IoD2019 and
    IoD2025): each edition is its own dataset with its own methods, so each part is answered
    from its own dataset on its own, and the parts are set side by side with the change between
    the first and the last (never one edition's figure given for another's period)."""

    parts: tuple[ValuePlan | ComparisonPlan | CountPlan, ...]
    series: str
    difference: bool = False       # the question asks for the change ('how much did it move')

    intent = "editions"

    def __post_init__(self) -> None:
        _need(len(self.parts) >= 2, "editions are compared two or more at a time")
        _need(all(isinstance(p, (ValuePlan, ComparisonPlan)) for p in self.parts) or all(
            isinstance(p, CountPlan) and p.per is None and not p.share and not p.list_areas for p in self.parts),
            "each edition is a value, a comparison or a count of areas")
        _need(len({(getattr(p, "level", None), getattr(p, "condition", None)) for p in self.parts}) == 1,
              "the same areas counted on the same condition in each edition")
        _need(len({p.measure for p in self.parts}) == 1, "the same measure in each edition")
        _need(len({p.places for p in self.parts}) == 1, "the same places in each edition")
        _need(len({p.dataset for p in self.parts}) == len(self.parts), "each edition from its own dataset")
        _need(all(not getattr(p, "with_context", False) for p in self.parts), "editions are set side by side alone")

    @property
    def subject(self) -> Subject:                  # type: ignore[override]
        return self.parts[-1].subject

    @property
    def places(self) -> tuple[str, ...]:
        return self.parts[0].places

    def to_dict(self) -> dict[str, Any]:
        d = {"intent": "editions", "series": self.series, "difference": self.difference,
             "parts": [plan_to_dict(p) for p in self.parts]}
        d.update(measure=self.measure, dataset=self.dataset, places=list(self.places),
                 periods=[v for p in self.parts for v in p.periods.values], child_level=None, dimension=None,
                 datasets=[p.dataset for p in self.parts])
        return d


Plan = Union[ValuePlan, ComparisonPlan, RankingPlan, TrendPlan, BreakdownPlan, CountPlan, SummaryPlan, RelationPlan,
             CoveragePlan, BenchmarkPlan, EditionsPlan]
PLAN_TYPES: dict[str, type] = {t.intent: t for t in (ValuePlan, ComparisonPlan, RankingPlan, TrendPlan,
                                                     BreakdownPlan, CountPlan, SummaryPlan, RelationPlan,
                                                     CoveragePlan, BenchmarkPlan, EditionsPlan)}


def _dimension(over: Over) -> str | None:
    if isinstance(over, Categories):
        return over.column
    if isinstance(over, Members):
        return f"group:{over.group}"
    return None


# -- serialised form (audit record, review queue, conversation state) ----------------------
_OVER = {"areas": Areas, "categories": Categories, "members": Members}


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    d: dict[str, Any] = {"intent": plan.intent}
    for f in fields(plan):                              # type: ignore[arg-type]
        v = getattr(plan, f.name)
        if isinstance(v, (Areas, Categories, Members)):
            kind = next(k for k, t in _OVER.items() if isinstance(v, t))
            d[f.name] = {"kind": kind, **asdict(v)}
        elif hasattr(v, "__dataclass_fields__"):
            d[f.name] = asdict(v)
        elif isinstance(v, tuple) and v and all(hasattr(x, "__dataclass_fields__") for x in v):
            d[f.name] = [asdict(x) for x in v]
        else:
            d[f.name] = v
    # a flat view of the common fields, for people reading the audit log (ignored when read back)
    d.update(measure=plan.measure, dataset=plan.dataset, places=list(plan.places),
             periods=list(plan.periods.values), child_level=plan.child_level, dimension=plan.dimension)
    return d


def plan_from_dict(d: dict[str, Any]) -> Plan:
    """The plan a dict describes, checked as it is made (PlanInvalid when it is not one)."""
    try:
        if d["intent"] == "relation":
            return RelationPlan(plan_from_dict(d["x"]), plan_from_dict(d["y"]))      # type: ignore[arg-type]
        if d["intent"] == "editions":
            return EditionsPlan(tuple(plan_from_dict(p) for p in d["parts"]), d["series"],   # type: ignore[arg-type]
                                bool(d.get("difference")))
        cls = PLAN_TYPES[d["intent"]]
        kw: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in d:
                continue
            v = d[f.name]
            if f.name == "subject":
                v = _subject(v)
            elif f.name == "over":
                v = _OVER[v["kind"]](**{k: x for k, x in v.items() if k != "kind"})
            elif f.name == "condition":
                v = Condition(v["op"], tuple(v["value"]) if isinstance(v["value"], list) else v["value"],
                              v.get("negate", False))
            elif f.name == "within" and v is not None:
                c = v["condition"]
                v = Within(v["dataset"], v["measure"], Condition(c["op"], c["value"], c.get("negate", False)))
            elif f.name == "also":
                v = tuple(Within(w["dataset"], w["measure"], Condition(w["condition"]["op"], w["condition"]["value"],
                                                                       w["condition"].get("negate", False)))
                          for w in v)
            elif f.name == "rate" and v is not None:
                v = Rate(v["denominator"], v["dataset"], Periods(tuple(v["periods"]["values"]),
                                                                 v["periods"].get("defaulted", False)), v["per"])
            elif isinstance(v, list):
                v = tuple(v)
            kw[f.name] = v
        return cls(**kw)
    except PlanInvalid:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise PlanInvalid(f"not a plan: {type(e).__name__}: {e}") from None


def _subject(d: dict[str, Any]) -> Subject:
    p = d.get("periods") or {}
    return Subject(d["measure"], d["dataset"], Periods(tuple(p.get("values") or ()), bool(p.get("defaulted"))),
                   tuple(Filter(f["column"], tuple(f["values"]), bool(f.get("exclude"))) for f in d.get("filters") or ()),
                   tuple(d.get("less") or ()), bool(d.get("per_period")))


__all__ = ["Areas", "BenchmarkPlan", "EditionsPlan", "Categories", "ComparisonPlan", "Condition", "CountPlan", "BreakdownPlan", "Filter", "Members",
           "Over", "Periods", "Plan", "PLAN_TYPES", "RankingPlan", "Rate", "RelationPlan", "CoveragePlan", "Within", "Subject", "SummaryPlan", "TrendPlan",
           "ValuePlan", "plan_from_dict", "plan_to_dict"]
