"""From a plan to the row specs to query: the plan invariants, then one builder per plan type.

``validate`` is the one set of plan invariants that need the catalogue (the measure is in the
dataset, the periods are held, every place is covered, dimensions and filter values exist,
what person-level data cannot give): every plan passes it, whichever planner made it (the
rules, the language model, or a steward's approved request read back from the queue).
``build`` dispatches on the plan's type, exhaustively: a plan shape without a builder is an
``UnsupportedPlan`` in the error tree, never an empty list of specs.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, replace

from assistant.sql import RowSpec, build_rate, build_union
from kernel.errors import NotAvailable, PlanInvalid, UnsupportedPlan
from kernel.plans import (Areas, BreakdownPlan, Categories, ComparisonPlan, Condition, CountPlan, Filter, Members,
                          Periods, Plan, RankingPlan, RelationPlan, EditionsPlan, Subject, SummaryPlan, TrendPlan, ValuePlan, CoveragePlan,
                          BenchmarkPlan)
from kernel.types import QueryPlan
from retrieval.catalog import Catalog, MeasureRef
from retrieval.datasheets import LEVEL_ORDER, Datasheet, Measure
from retrieval.geography import Gazetteer, Place


@dataclass(frozen=True)
class Query:
    """One measure for one plan: the specs to union and how to read the rows back.  With a
    rate, ``per`` and the denominator's sheet and specs (one per numerator spec, the same areas):
    the governed SQL divides one by the other."""
    sheet: Datasheet
    measure: Measure
    specs: tuple[RowSpec, ...]
    share: bool = False
    periods: tuple[str, ...] = ()     # every period the dataset holds (for labels)
    per: int | None = None
    rate_sheet: Datasheet | None = None
    rate_specs: tuple[RowSpec, ...] = ()


def statement(q: Query):
    """The sqlglot statement for a query (checked by ``assistant.sql.check`` before it runs)."""
    num = build_union([(q.sheet, s) for s in q.specs])
    if q.per is None:
        return num
    den = build_union([(q.rate_sheet, s) for s in q.rate_specs])
    return build_rate(num, den, q.per)


# -- the plan invariants ---------------------------------------------------------------------
def _fail(why: str) -> None:
    raise PlanInvalid(why)


def validate(plan: Plan, catalog: Catalog, gaz: Gazetteer) -> None:
    """Raise PlanInvalid (a fault: the planner made a plan that cannot be answered) or
    NotAvailable (a question person-level data cannot answer in that form)."""
    if isinstance(plan, EditionsPlan):
        for part in plan.parts:
            validate(part, catalog, gaz)
        sheets = [catalog.sheets[p.dataset] for p in plan.parts]
        if any(s.edition is None or s.edition.series != plan.series or s.person_level for s in sheets):
            _fail("editions are open datasets of one publication series")
        if len({s.edition.label for s in sheets}) != len(sheets):            # type: ignore[union-attr]
            _fail("each edition once")
        return
    if isinstance(plan, RelationPlan):
        for part in (plan.x, plan.y):
            validate(part, catalog, gaz)
        if any(catalog.sheets[p.dataset].person_level for p in (plan.x, plan.y)):
            raise NotAvailable("two measures side by side are offered for open area-level data only")
        return
    if isinstance(plan, CoveragePlan):
        sheet, census = catalog.sheets.get(plan.dataset), catalog.sheets.get(plan.census)
        if sheet is None or census is None or not sheet.person_level or census.person_level:
            _fail("coverage compares a person-level dataset with an open census dataset")
        place = gaz.get(plan.place) if plan.place in gaz.places else None
        if place is None or place.level not in ("lad", "region"):
            _fail("coverage is given for a council or the city region")
        dims = {d.column for d in sheet.dimensions}
        groups = {g.id for g in census.groups}
        for m in plan.margins:
            if m not in dims or m not in groups:
                _fail(f"'{m}' is not a dimension of {sheet.id} and a group of {census.id}")
        for m in plan.reweight:
            if m not in sheet.measure_by_id or sheet.measure_by_id[m].rollup != "mean":
                _fail(f"'{m}' is not a mean measure of {sheet.id}")
        if plan.deprivation:
            dsid, dmid = plan.deprivation.split(".")
            dsheet, residents = catalog.sheets.get(dsid), catalog.sheets.get(plan.residents or "")
            for other in (dsheet, residents):
                if other is None or other.person_level or \
                        (other.geography.level, other.geography.vintage) != ("lsoa", sheet.geography.vintage) or \
                        sheet.geography.level != "lsoa":
                    _fail(f"coverage by deprivation needs open neighbourhood data on {sheet.id}'s boundaries")
            if dmid not in dsheet.measure_by_id or dsheet.measure_by_id[dmid].format != "decile":
                _fail(f"'{dmid}' is not a decile of {dsid}")
            if not any(g.id == plan.margins[0] for g in residents.groups):
                _fail(f"{residents.id} does not count residents by {plan.margins[0]}")
        return
    for key in plan.places:
        if key not in gaz.places:
            _fail(f"'{key}' is not a place the commons knows")
    if isinstance(plan, SummaryPlan):
        for concept in plan.measures:
            if concept not in catalog.concepts:
                _fail(f"'{concept}' is not a measure the commons holds")
        return
    sheet = catalog.sheets.get(plan.dataset)
    if sheet is None:
        _fail(f"there is no dataset '{plan.dataset}'")
    if plan.measure not in sheet.measure_by_id:
        _fail(f"{sheet.id} does not hold the measure '{plan.measure}'")
    ref = catalog.ref(sheet.id, plan.measure)
    m = ref.measure
    # (periods ranked or listed as the rows, 'which year was it lowest': each on its own, as a trend)
    over_time = isinstance(plan, (RankingPlan, BreakdownPlan)) and isinstance(plan.over, Categories) \
        and bool(sheet.time.column) and plan.over.column == sheet.time.column
    _periods_ok(plan.subject, sheet, catalog, trend=isinstance(plan, TrendPlan) or over_time)
    columns = _columns(sheet)
    for f in plan.filters:
        if f.column not in columns:
            _fail(f"'{f.column}' is not a dimension of {sheet.id}")
        held = set(catalog.dim_values.get((sheet.id, f.column), ()))
        unknown = [v for v in f.values if v not in held]
        if unknown:
            _fail(f"{unknown[0]!r} is not a value of {f.column} in {sheet.id}")
    if plan.subject.less:
        _less_ok(plan, sheet, m)
    if plan.subject.per_period:
        if not sheet.time.column or not sheet.time.additive or sheet.time.granularity != "month" or \
                m.rollup not in ("sum", "count") or isinstance(plan, (TrendPlan, CountPlan)) or \
                not plan.subject.periods.values or plan.rate is not None:
            _fail(f"'{m.id}' in {sheet.id} has no average per month: it is not a count that adds over months")
    if plan.share and not _in_group(sheet, m) and not isinstance(plan, CountPlan) and not plan.subject.less \
            and not isinstance(getattr(plan, "over", None), Members):
        _fail(f"'{m.id}' is not part of a table with a total, so it has no share")
    places = [gaz.get(k) for k in plan.places]
    if isinstance(plan, (ValuePlan, ComparisonPlan, TrendPlan)):
        for p in places:
            if not catalog.supports(ref, p):
                _fail(f"{sheet.id} has no figure for {p.display}")
    if isinstance(plan, (RankingPlan, BreakdownPlan, CountPlan)):
        scope = places[0]
        if scope.level == "country":
            _fail("the commons lists areas within the city region only")
        if scope.level not in ("region",) and catalog.place_code(sheet, scope) is None:
            _fail(f"{sheet.id} does not cover {scope.display}")
        over = plan.over if not isinstance(plan, CountPlan) else Areas(plan.level)
        _over_ok(over, sheet, ref, scope, catalog, columns)
        bench = getattr(plan, "benchmark", None)
        if bench is not None and (bench not in gaz.places or not catalog.supports(ref, gaz.get(bench))):
            _fail(f"{sheet.id} has no figure for {gaz.get(bench).display if bench in gaz.places else bench}")
    for w in getattr(plan, "also", ()):
        if w.measure not in sheet.measure_by_id or sheet.measure_by_id[w.measure].format == "category":
            _fail(f"'{w.measure}' is not a measure of {sheet.id} an area can be tested on")
    if isinstance(plan, CountPlan) and m.format == "category" and plan.condition.op not in ("=", "in"):
        _fail(f"a category is matched with '=' or 'in', not {plan.condition.op!r}")
    if isinstance(plan, CountPlan) and m.format == "category":
        held = set(catalog.dim_values.get((sheet.id, m.column), ()))
        wanted = plan.condition.value if plan.condition.op == "in" else (plan.condition.value,)
        if held and any(str(v) not in held for v in wanted):
            _fail(f"{', '.join(str(v) for v in wanted if str(v) not in held)} is not a value of {m.label.lower()}")
    for k in getattr(plan, "exclude_places", ()):
        if k not in gaz.places:
            _fail(f"'{k}' is not a place the commons knows")
    if isinstance(plan, ComparisonPlan) and plan.combined:
        if m.rollup not in ("sum", "count") and not m.sum_of:
            _fail(f"'{m.id}' does not add up, so places cannot be added together on it")
        for a in places:
            for b in places:
                if a.key != b.key and gaz.inside(a, b):
                    _fail(f"{a.display} is inside {b.display}, so adding them would count it twice")
    if isinstance(plan, (CountPlan, ValuePlan)) and plan.exclude_places:
        whole = places[0]
        for k in plan.exclude_places:
            part = gaz.get(k)
            if not gaz.inside(part, whole):
                _fail(f"{part.display} is not inside {whole.display}, so it cannot be left out of "
                      + ("the count" if isinstance(plan, CountPlan) else "its figure"))
            if isinstance(plan, CountPlan) and LEVEL_ORDER.index(part.level) < LEVEL_ORDER.index(plan.level):
                _fail(f"{part.display} is smaller than the areas counted")
            if isinstance(plan, ValuePlan) and part.level not in ("ward", "lsoa", "lad"):
                _fail(f"{part.display} is not an area the rows are matched on")
    if isinstance(plan, ValuePlan) and plan.exclude_places:
        # (a council-level table leaves councils out of the city region: the others added up)
        by_councils = sheet.geography.level == "lad" and places[0].level == "region" and all(
            gaz.get(k).level == "lad" for k in plan.exclude_places)
        if (sheet.geography.level != "lsoa" and not by_councils) or (m.rollup not in ("sum", "count") and not m.sum_of):
            _fail(f"{sheet.id} gives {m.label.lower()} for whole areas only, so parts of an area cannot be left out of it")
    if plan.of_place is not None:
        if plan.of_place not in gaz.places:
            _fail(f"'{plan.of_place}' is not a place the commons knows")
        if not catalog.supports(ref, gaz.get(plan.of_place)):
            _fail(f"{sheet.id} has no figure for {gaz.get(plan.of_place).display}")
        if m.rollup not in ("sum", "count") and not m.sum_of:
            _fail(f"'{m.id}' does not add up, so it has no share of a larger area")
    if plan.rate is not None:
        _rate_ok(plan, sheet, m, catalog, gaz, places)
    if getattr(plan, "within", None) is not None:
        w = plan.within
        wsheet = catalog.sheets.get(w.dataset)
        if wsheet is None or w.measure not in wsheet.measure_by_id or wsheet.person_level:
            _fail(f"the area condition's dataset '{w.dataset}' is not an open dataset holding '{w.measure}'")
        if (wsheet.geography.level, wsheet.geography.vintage) != (sheet.geography.level, sheet.geography.vintage) \
                or wsheet.geography.level != "lsoa":
            _fail(f"{wsheet.id} and {sheet.id} are not on the same neighbourhood boundaries, so they cannot be joined")
        if wsheet.time.column:
            _fail(f"an area condition is taken from a dataset with one period, not {wsheet.id}")
    if isinstance(plan, BenchmarkPlan):
        if sheet.benchmark is None:
            _fail(f"{sheet.id} offers no benchmarking against peers")
        if plan.by and plan.by not in sheet.benchmark.breakdowns:
            _fail(f"{sheet.id} benchmarks are not given per {plan.by}")
        if any(f.column == sheet.benchmark.column for f in plan.filters):
            _fail("the organisation column is never a filter")
    if sheet.person_level:
        if isinstance(plan, CountPlan) or plan.share or plan.rate is not None:
            raise NotAvailable("counts of areas, shares and rates are not available on person-level data")
        if any(p.level == "country" for p in places):
            raise NotAvailable("person-level data has no England figure")


def _less_ok(plan: Plan, sheet: Datasheet, m: Measure) -> None:
    group = next((g for g in sheet.groups if g.total == m.id), None)
    if group is None or m.rollup != "sum" or m.sum_of:
        _fail(f"'{m.id}' is not the total of a table, so nothing can be left out of it")
    for mid in plan.subject.less:
        part = sheet.measure_by_id.get(mid)
        if part is None or part.group != group.id or part.rollup != "sum" or part.id == group.total:
            _fail(f"'{mid}' is not a part of the {group.label.lower()} table of {sheet.id}")
    if sheet.person_level:
        raise NotAvailable("leaving a part of a table out is offered for open area-level data only")
    if isinstance(plan, CountPlan) or isinstance(getattr(plan, "over", None), Members):
        _fail("a table less some of its parts is one figure per area, not a count of areas or a breakdown of the table")


def less_columns(sheet: Datasheet, less: tuple[str, ...]) -> tuple[str, ...]:
    """The columns the parts left out are read from, each once ('social housing' and 'housing
    association' together take the housing association column off once)."""
    cols: list[str] = []
    for mid in less:
        part = sheet.measure_by_id[mid]
        cols += part.summed_columns
    return tuple(dict.fromkeys(cols))


def per_period_label(m: Measure, n: int) -> str:
    """'Recorded crimes, average per month (over 4 months)'."""
    return f"{m.label}, average per month (over {n} month{'s' if n != 1 else ''})"


def less_label(sheet: Datasheet, total: Measure, less: tuple[str, ...]) -> str:
    """'Households excluding households renting privately (all private renting)'."""
    base = re.sub(r"\s*\(.*?\)", "", total.label).strip()
    parts = [sheet.measure_by_id[mid].label for mid in less]
    return f"{base} excluding " + " and ".join(p[:1].lower() + p[1:] for p in parts)


def complement(sheet: Datasheet, total: Measure, less: tuple[str, ...]) -> Measure:
    """The measure a plan with ``less`` reads: the total, less the parts' columns (a part of its
    own table, so it has a share of that total)."""
    group = next(g for g in sheet.groups if g.total == total.id)
    return total.model_copy(update={"id": f"{total.id}_less_{'_'.join(less)}"[:120], "label": less_label(sheet, total, less),
                                    "less": less_columns(sheet, less), "group": group.id, "synonyms": (),
                                    "summary": None})


def subject_measure(sheet: Datasheet, subject: Subject) -> Measure:
    """The measure a subject reads: the datasheet's, less the parts left out, as an average per
    month when asked (what the query computes and what the answer and its first line call it)."""
    m = sheet.measure_by_id[subject.measure]
    if subject.less:
        m = complement(sheet, m, subject.less)
    if subject.per_period:
        n = len(subject.periods.values)
        m = m.model_copy(update={"scale": m.scale / n, "decimals": 1, "label": per_period_label(m, n)})
    return m


def is_share_of_total(plan: Plan, sheet: Datasheet) -> bool:
    """A rate whose denominator is the measure itself, unfiltered: the share (%) of the whole
    that the plan's categories make up ('what percentage of incidents were anti-social behaviour')."""
    r = plan.rate
    return r is not None and r.dataset == sheet.id and r.denominator == plan.measure


def _rate_ok(plan: Plan, sheet: Datasheet, m: Measure, catalog: Catalog, gaz: Gazetteer, places) -> None:
    r = plan.rate
    den_sheet = catalog.sheets.get(r.dataset)
    if den_sheet is None or r.denominator not in den_sheet.measure_by_id:
        _fail(f"the denominator {r.denominator} is not in {r.dataset}")
    if is_share_of_total(plan, sheet):
        if r.per != 100 or not any(not x.exclude for x in plan.filters) or m.rollup != "sum":
            _fail("a share of the whole is a kept category of a summed measure, per 100")
        return
    own_total = r.dataset == sheet.id and any(g.id == m.group and g.total == r.denominator for g in sheet.groups) \
        and m.group is not None and r.denominator != m.id
    if not own_total and not any(spec.denominator == r.denominator and spec.dataset == r.dataset for spec in m.rates):
        _fail(f"{sheet.id} declares no rate of '{m.id}' per {r.denominator} of {r.dataset}")
    if m.rollup not in ("sum", "count") and not m.sum_of:
        _fail(f"'{m.id}' is not a count, so it has no rate per resident")
    if den_sheet.geography.level == "lsoa" and sheet.geography.level == "lsoa" and \
            den_sheet.geography.vintage != sheet.geography.vintage:
        _fail("a rate needs its denominator on the same small-area boundaries")
    den_ref = catalog.ref(den_sheet.id, r.denominator)
    if den_sheet.time.column and set(r.periods.values) - set(catalog.periods.get(den_sheet.id, ())):
        _fail(f"{den_sheet.id} holds no {r.denominator} for {', '.join(r.periods.values)}")
    for p in places:
        if isinstance(plan, (RankingPlan, BreakdownPlan)):
            over = plan.over
            if isinstance(over, Areas) and not catalog.supports_level(den_ref, over.level):
                _fail(f"{den_sheet.id} has no {over.level} figures to divide by")
            if not isinstance(over, Areas) and not catalog.supports(den_ref, p):
                _fail(f"{den_sheet.id} has no figure for {p.display}")
        elif not catalog.supports(den_ref, p):
            _fail(f"{den_sheet.id} has no figure for {p.display}")


def _columns(sheet: Datasheet) -> set[str]:
    cols = {d.column for d in sheet.dimensions}
    cols |= {m.column for m in sheet.measures if m.format == "category" and m.column}
    return cols


def _in_group(sheet: Datasheet, m: Measure) -> bool:
    return any(g.id == m.group and g.total != m.id for g in sheet.groups)


def _periods_ok(subject: Subject, sheet: Datasheet, catalog: Catalog, trend: bool) -> None:
    values = subject.periods.values
    if not sheet.time.column:
        if values and set(values) - set(catalog.periods.get(sheet.id, ())):
            _fail(f"{sheet.id} covers one period ({sheet.time.label})")
        return
    held = set(catalog.periods.get(sheet.id, ()))
    if not values:
        if not trend:
            _fail(f"a plan on {sheet.id} must name its periods")
        return
    missing = [v for v in values if v not in held]
    if missing:
        _fail(f"{sheet.id} holds no figures for {missing[0]}")
    m = sheet.measure_by_id[subject.measure]
    if len(values) > 1 and not trend and m.rollup not in ("sum", "count") and not m.sum_of:
        _fail(f"'{m.id}' does not add up over periods; several periods make a trend")


def _over_ok(over, sheet: Datasheet, ref: MeasureRef, scope: Place, catalog: Catalog, columns: set[str]) -> None:
    if isinstance(over, Areas):
        if not catalog.supports_level(ref, over.level):
            _fail(f"{sheet.id} has no rows at level '{over.level}'")
        if LEVEL_ORDER.index(over.level) >= LEVEL_ORDER.index(scope.level):
            _fail(f"level '{over.level}' is not inside {scope.display}")
    elif isinstance(over, Categories):
        classes = ref.measure.format in ("category", "decile") and over.column == ref.measure.column
        if over.column not in columns and over.column != sheet.time.column and not classes:
            _fail(f"'{over.column}' is not a dimension of {sheet.id}")
        if classes and LEVEL_ORDER.index(scope.level) < LEVEL_ORDER.index(sheet.geography.level):
            _fail(f"{sheet.id} classes each {sheet.geography.level}, not "
                  f"areas inside {scope.display}")
        if not classes and not catalog.supports(ref, scope):
            _fail(f"{sheet.id} has no figure for {scope.display}")
    elif isinstance(over, Members):
        group = next((g for g in sheet.groups if g.id == over.group), None)
        if group is None:
            _fail(f"'{over.group}' is not a table of {sheet.id}")
        for x in over.also:
            if x not in sheet.measure_by_id or sheet.measure_by_id[x].group != group.id or not sheet.measure_by_id[x].sum_of:
                _fail(f"'{x}' is not a combined part of {group.id} in {sheet.id}")
        if not catalog.supports(ref, scope):
            _fail(f"{sheet.id} has no figure for {scope.display}")


# -- building --------------------------------------------------------------------------------
def build(plan: Plan, catalog: Catalog, gaz: Gazetteer) -> Query:
    """The row specs for a valid plan (checked here first)."""
    validate(plan, catalog, gaz)
    if isinstance(plan, SummaryPlan):
        raise UnsupportedPlan("an area summary is answered measure by measure, not as one query")
    builder = BUILDERS.get(type(plan))
    if builder is None:
        raise UnsupportedPlan(f"no query builder for a {type(plan).__name__}")
    sheet = catalog.sheets[plan.dataset]
    m = subject_measure(sheet, plan.subject)
    query = builder(plan, catalog, gaz, sheet, m)
    if not query.specs:
        raise UnsupportedPlan(f"the {type(plan).__name__} built no query")
    if plan.rate is not None:
        query = _with_rate(plan, query, catalog)
    if getattr(plan, "within", None) is not None:
        w = plan.within
        wsheet = catalog.sheets[w.dataset]
        wm = wsheet.measure_by_id[w.measure]
        spec = (wsheet.table, wsheet.geography.column, wm.column, w.condition.op, _stored(wm, w.condition.value),
                w.condition.negate)
        query = replace(query, specs=tuple(replace(s, within=spec) for s in query.specs))
    return query


def _with_rate(plan: Plan, q: Query, catalog: Catalog) -> Query:
    """The denominator specs for the same rows (areas; no categories, no periods split), and the
    measure relabelled as the rate it now is."""
    r = plan.rate
    den_sheet = catalog.sheets[r.dataset]
    den = den_sheet.measure_by_id[r.denominator]
    den_specs = tuple(RowSpec(den, s.level, _recode(s.place, catalog, q.sheet, den_sheet), r.periods.values,
                              s.period_label, False, None, (), s.category) for s in q.specs)
    if is_share_of_total(plan, q.sheet):
        rated = q.measure.model_copy(update={"label": f"Share of all {q.measure.label.lower()}",
                                             "format": "percent", "decimals": 1, "unit": "%", "direction": "neutral"})
        specs = tuple(replace(s, order=None, limit=None) for s in q.specs)
        return replace(q, measure=rated, specs=specs, per=r.per, rate_sheet=den_sheet, rate_specs=den_specs)
    spec = next((x for x in q.measure.rates if x.denominator == r.denominator), None)
    label = f"{q.measure.label} per {r.per:,} {spec.label if spec else den.label.lower()}"
    rated = q.measure.model_copy(update={"label": label, "format": "rate", "decimals": 2, "unit": f"per {r.per:,}",
                                         "direction": q.measure.direction})
    specs = tuple(replace(s, order=None, limit=None) for s in q.specs)
    return replace(q, measure=rated, specs=specs, per=r.per, rate_sheet=den_sheet, rate_specs=den_specs)


def _recode(place, catalog: Catalog, sheet: Datasheet, other: Datasheet):
    """The same area filter in the denominator's geography (codes are shared across datasets of
    one boundary vintage; councils and the region everywhere)."""
    return place


def _places(plan: Plan, gaz: Gazetteer) -> list[Place]:
    return [gaz.get(k) for k in plan.places]


def _query(sheet: Datasheet, m: Measure, specs: list[RowSpec], catalog: Catalog, share: bool = False) -> Query:
    return Query(sheet, m, tuple(specs), share, catalog.periods.get(sheet.id, ()))


def _spec(catalog: Catalog, sheet: Datasheet, m: Measure, place: Place, plan: Plan, share_of: Measure | None = None,
          group_time: bool = False, dimension: str | None = None, category: str | None = None,
          measure: Measure | None = None) -> RowSpec:
    periods = plan.periods.values
    label = None if group_time else period_key(periods)
    level = "country" if place.level == "country" else place.level
    where = None if place.level == "country" else place_filter(catalog, sheet, place)
    return RowSpec(measure or m, level, where, periods, label, group_time, dimension, plan.filters, category, share_of)


def period_key(values: tuple[str, ...]) -> str:
    """The period column of rows that are not split by period: the one period, or first..last."""
    if not values:
        return ""
    return values[0] if len(values) == 1 else f"{values[0]}..{values[-1]}"


def place_filter(catalog: Catalog, sheet: Datasheet, place: Place) -> tuple[str, str] | None:
    code = catalog.place_code(sheet, place)
    return (place.level, code)


def share_total(sheet: Datasheet, m: Measure) -> Measure | None:
    for g in sheet.groups:
        if g.id == m.group and g.total != m.id:
            return sheet.measure_by_id[g.total]
    return None


def context_places(catalog: Catalog, gaz: Gazetteer, ref: MeasureRef, place: Place) -> list[Place]:
    """Parent area and England, where this dataset can give them."""
    out = []
    parent = gaz.parent(place)
    while parent is not None and parent.level != "country":
        if catalog.supports(ref, parent):
            out.append(parent)
            break
        parent = gaz.parent(parent)
    if place.level != "country" and catalog.supports(ref, gaz.england()):
        out.append(gaz.england())
    return out


def _values(plan: ValuePlan | ComparisonPlan, catalog, gaz, sheet, m) -> Query:
    ref = MeasureRef(sheet, m)
    share_of = share_total(sheet, m) if plan.share else None
    places = _places(plan, gaz)
    shown = list(places)
    single = isinstance(plan, ValuePlan)
    if single and plan.with_context:
        shown += [c for c in context_places(catalog, gaz, ref, places[0]) if c not in shown]
    if single and plan.of_place is not None and gaz.get(plan.of_place) not in shown:
        shown.append(gaz.get(plan.of_place))
    specs = [_spec(catalog, sheet, m, p, plan, share_of) for p in shown]
    if single and plan.exclude_places:
        # 'crime in Liverpool leaving out Central ward': the place's rows less those of the areas named
        gone = ' and '.join(gaz.get(k).display for k in plan.exclude_places)
        m = m.model_copy(update={"label": f"{m.label}, leaving out {gone}"})
        specs = [replace(specs[0], measure=m, leave_out=_left_out(plan, catalog, gaz, sheet))]
    if single and plan.with_count and share_of is not None:
        # 'how many ..., and what share is that': the count and the total the share is of, for the place
        specs.append(_spec(catalog, sheet, m, places[0], plan, category="__count__"))
        specs.append(_spec(catalog, sheet, m, places[0], plan, category="__total__", measure=share_of))
    if single and plan.with_context and places[0].level == "lad" and m.format not in ("rank", "category") \
            and catalog.supports_level(ref, "lad"):
        specs.append(RowSpec(m, "lad", None, plan.periods.values, period_key(plan.periods.values),
                             filters=plan.filters, share_of=share_of, category="__councils__"))
    return _query(sheet, m, specs, catalog, bool(share_of))


def _trend(plan: TrendPlan, catalog, gaz, sheet, m) -> Query:
    share_of = share_total(sheet, m) if plan.share else None
    specs = [_spec(catalog, sheet, m, p, plan, share_of, group_time=True) for p in _places(plan, gaz)]
    return _query(sheet, m, specs, catalog, bool(share_of))


def _listing(plan: RankingPlan | BreakdownPlan, catalog, gaz, sheet, m) -> Query:
    scope = _places(plan, gaz)[0]
    over = plan.over
    if isinstance(over, Areas):
        share_of = share_total(sheet, m) if plan.share else None
        where = None if scope.level == "region" else place_filter(catalog, sheet, scope)
        order = plan.order if isinstance(plan, RankingPlan) else "desc"
        # 'apart from Liverpool and Knowsley': the areas left out are never rows of the ranking
        leave_out = _left_out(plan, catalog, gaz, sheet)
        spec = RowSpec(m, over.level, where, plan.periods.values, period_key(plan.periods.values),
                       filters=plan.filters, share_of=share_of, order=order, leave_out=leave_out)
        bench = getattr(plan, "benchmark", None)
        extra = [_spec(catalog, sheet, m, gaz.get(bench), plan, share_of)] if bench else []
        return _query(sheet, m, [spec, *extra], catalog, bool(share_of))
    if isinstance(over, Members):
        group = next(g for g in sheet.groups if g.id == over.group)
        total = sheet.measure_by_id[group.total]
        members = [x for x in sheet.measures if x.group == over.group and x.in_breakdown and x.id != total.id]
        members += [sheet.measure_by_id[x] for x in over.also if sheet.measure_by_id[x] not in members]
        # as shares when asked ('the ethnic mix, in percentages'): each part over the table's total
        # (a breakdown gives each part's share beside its count itself, from the total row)
        share_of = total if plan.share and isinstance(plan, RankingPlan) else None
        specs = [_spec(catalog, sheet, m, scope, plan, share_of, category=x.label, measure=x) for x in members]
        if share_of is None:
            specs.append(_spec(catalog, sheet, m, scope, plan, category="Total", measure=total))
        return _query(sheet, total, specs, catalog, bool(share_of))
    if isinstance(over, Categories):
        share_of = share_total(sheet, m) if plan.share else None
        spec = _spec(catalog, sheet, m, scope, plan, share_of, dimension=over.column,
                     group_time=over.column == sheet.time.column)
        if m.format == "category" or (m.format == "decile" and over.column == m.column):
            # a category measure (or the deciles as rows): count the areas in each class
            spec = replace(spec, condition=("all", 0), place=None if scope.level == "region" else spec.place)
        return _query(sheet, m, [spec], catalog, bool(share_of))
    raise UnsupportedPlan(f"no query builder for a listing over {type(over).__name__}")


def _left_out(plan: Plan, catalog: Catalog, gaz: Gazetteer, sheet: Datasheet) -> tuple:
    """The (level, code) filters of the areas a plan leaves out ('apart from Liverpool'), in the
    dataset's own codes."""
    leave_out = tuple(place_filter(catalog, sheet, gaz.get(k)) for k in getattr(plan, "exclude_places", ()))
    if any(code is None for _, code in leave_out):
        _fail(f"{sheet.id} cannot leave out a place it has no figure for")
    return leave_out


def _stored(m: Measure, value):
    """A threshold said on the scale the figure is shown on ('above 30' of a rate shown in %), on the
    scale its column stores (0.3); a category or a decile is stored as said."""
    if m.scale != 1 and m.format not in ("category", "decile") and isinstance(value, (int, float)) \
            and not isinstance(value, bool):
        return value / m.scale
    return value


def summed_over_rows(plan: CountPlan, sheet, m) -> bool:
    """A threshold on a figure an area has several rows of (one per crime type or month): tested
    on the area's figure summed over them ('LSOAs with more than 20 burglaries over the four months')."""
    return m.format not in ("decile", "category") and plan.condition.op in ("<", "<=", ">", ">=") \
        and m.rollup in ("sum", "count") \
        and (bool(sheet.dimensions) or (bool(sheet.time.column) and len(plan.periods.values) != 1))


def _count(plan: CountPlan, catalog, gaz, sheet, m) -> Query:
    scope = _places(plan, gaz)[0]
    where = None if scope.level == "region" else place_filter(catalog, sheet, scope)
    c = plan.condition
    several = summed_over_rows(plan, sheet, m)
    if several and plan.filters:
        # the figure tested is of the categories asked ('more than 20 burglaries'), and says so
        m = m.model_copy(update={"label": f"{m.label} (" + "; ".join(
            ("excluding " if x.exclude else "") + " or ".join(x.values) for x in plan.filters) + ")"})
    if plan.of_total or plan.level != sheet.geography.level or several:
        # each area's own figure at the level counted (summed from the dataset's areas, or as a
        # share of its table's total): the areas meeting the threshold, and every area
        share_of = share_total(sheet, m) if plan.of_total else None
        if plan.of_total and share_of is None:
            _fail(f"'{m.id}' is not part of a table with a total, so it has no share")
        if m.rollup not in ("sum", "count") and plan.level != sheet.geography.level:
            _fail(f"'{m.id}' does not add up over areas, so it has no figure for larger areas")
        base = RowSpec(m, plan.level, where, plan.periods.values, period_key(plan.periods.values),
                       filters=plan.filters, share_of=share_of, order="desc" if c.op in (">", ">=") else "asc",
                       leave_out=_left_out(plan, catalog, gaz, sheet))
        # every area of the scope (an area with no row of the categories asked is still one of them)
        return _query(sheet, m, [replace(base, having=(c.op, c.value, c.negate), category="listed"),
                                 replace(base, order=None, category="every", filters=())], catalog, bool(share_of))
    also = tuple((sheet.measure_by_id[w.measure].column, w.condition.op,
                  _stored(sheet.measure_by_id[w.measure], w.condition.value), w.condition.negate)
                 for w in plan.also)
    if plan.also:
        # 'in decile 1 for both income and health': each area counted meets every condition
        m = m.model_copy(update={"label": " and ".join([m.label] + [sheet.measure_by_id[w.measure].label
                                                                    for w in plan.also]) + " (each)"})
    base = dict(measure=m, level=scope.level, place=where, periods=plan.periods.values,
                period_label=period_key(plan.periods.values), filters=plan.filters,
                leave_out=_left_out(plan, catalog, gaz, sheet))
    if plan.per is not None:
        # one count for each area of the scope at the level asked ('which ward has the most ...')
        per = {**base, "level": plan.per}
        return _query(sheet, m, [RowSpec(**per, condition=(c.op, c.value, c.negate), category="matching", also=also),
                                 RowSpec(**per, condition=("all", 0), category="all")], catalog)
    specs = [RowSpec(**base, condition=(c.op, c.value, c.negate), category="matching", also=also),
             RowSpec(**base, condition=("all", 0), category="all")]
    if m.format not in ("decile", "category") and c.op in ("<", "<=", ">", ">="):
        # a threshold on the measure ('above 15'): the matching areas themselves, with their figures
        specs.append(RowSpec(**{**base, "level": sheet.geography.level}, keep=(c.op, c.value, c.negate),
                             category="listed", also=also))
    weight = catalog.population_weight(sheet, m) if plan.share else None
    if weight:
        # the residents of those areas: the population the dataset weights its scores by,
        # summed over the areas in each decile that meets the condition
        people = Measure(id=f"{m.id}_population", column=weight, label="Residents",
                         description="Residents of the areas (the dataset's population weights)",
                         unit="people", format="count", rollup="sum")
        base["measure"] = people
        deciles = decile_values(c)
        if deciles:
            specs.append(RowSpec(**{**base, "filters": plan.filters + (Filter(m.column, tuple(map(str, deciles))),)},
                                 category="people_matching", also=also))
        specs.append(RowSpec(**base, category="people_all"))
    return _query(sheet, m, specs, catalog)


def decile_values(condition: Condition) -> list[int]:
    """The deciles (1 to 10) meeting a count condition such as ('<=', 2), or its negation."""
    if condition.op == "in":
        chosen = {int(float(v)) for v in condition.value}
    else:
        try:
            v = float(condition.value)
        except (TypeError, ValueError):
            return []
        test = {"=": v.__eq__, "<=": v.__ge__, ">=": v.__le__, "<": v.__gt__, ">": v.__lt__}[condition.op]
        chosen = {d for d in range(1, 11) if test(d)}
    if condition.negate:
        chosen = set(range(1, 11)) - chosen
    return sorted(chosen)


BUILDERS = {ValuePlan: _values, ComparisonPlan: _values, TrendPlan: _trend, RankingPlan: _listing,
            BreakdownPlan: _listing, CountPlan: _count}


# -- plans in the older flat form (the rule planner and the language model still make them) ----
def from_legacy(qp: QueryPlan, catalog: Catalog, gaz: Gazetteer) -> Plan:
    """The typed plan for a flat ``QueryPlan``; PlanInvalid when it describes no valid shape."""
    if qp.intent == "summary":
        return SummaryPlan(qp.places[0] if qp.places else gaz.region().key)
    sheet = catalog.sheets.get(qp.dataset)
    if sheet is None:
        raise PlanInvalid(f"there is no dataset '{qp.dataset}'")
    periods = Periods(legacy_periods(catalog, sheet, qp.period), qp.period_defaulted)
    filters = tuple(Filter(c, (v,)) for c, v in qp.filters)
    subject = Subject(qp.measure, qp.dataset, periods, filters)
    places = tuple(qp.places) or (gaz.region().key,)
    over = None
    if qp.dimension and qp.dimension.startswith("group:"):
        over = Members(qp.dimension.split(":", 1)[1])
    elif qp.dimension:
        over = Categories(qp.dimension)
    elif qp.child_level:
        over = Areas(qp.child_level)
    if qp.intent == "value":
        if len(places) > 1:
            return ComparisonPlan(subject, places, share=qp.share)
        return ValuePlan(subject, places[0], share=qp.share, with_context=qp.with_context)
    if qp.intent == "comparison":
        if len(places) == 1:
            return ValuePlan(subject, places[0], share=qp.share, with_context=qp.with_context)
        return ComparisonPlan(subject, places, share=qp.share)
    if qp.intent == "trend":
        return TrendPlan(subject, places, share=qp.share)
    if qp.intent == "ranking":
        if over is None:
            raise PlanInvalid("a ranking needs child areas or a dimension")
        return RankingPlan(subject, places[0], over, qp.order or "desc", qp.limit, share=qp.share)
    if qp.intent == "breakdown":
        if over is None:
            raise PlanInvalid("a breakdown needs child areas or a dimension")
        return BreakdownPlan(subject, places[0], over, share=qp.share)
    if qp.intent == "count":
        if qp.condition is None or not qp.child_level:
            raise PlanInvalid("a count needs a condition and a level")
        op, value = qp.condition[0], qp.condition[1]
        return CountPlan(subject, places[0], qp.child_level, Condition(op, value), share=qp.share)
    raise PlanInvalid(f"unknown intent {qp.intent!r}")


def legacy_periods(catalog: Catalog, sheet: Datasheet, period: str | None) -> tuple[str, ...]:
    """The periods a flat plan's period string means: '2019' (every month of it), '2019-09',
    '2017..2020' (a range), or None (all, for a trend)."""
    if not sheet.time.column:
        return ()
    if period and ".." in period:
        lo, hi = period.split("..")
        return tuple(p for p in catalog.periods[sheet.id] if lo <= p[:4] <= hi)
    return catalog.matching_periods(sheet.id, period)
