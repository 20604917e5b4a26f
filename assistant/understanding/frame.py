"""A frame: what a reading asks, slot by slot, with the operators attached to what they
govern ('excluding anti-social behaviour' excludes that category, 'not in the most deprived
decile' negates that condition, 'what share of the city region's' names the whole).

A frame says nothing about datasets: the resolver binds it to the catalogue.  It is a plain
value (``to_state``/``from_state``) so a conversation can carry it to the next question.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from assistant.understanding.detectors import Age, Condition, Cue, Op, PlaceFound
from assistant.understanding.reading import Reading
from assistant.understanding.spans import Span
from assistant.understanding.time import When
from assistant.understanding.topics import CategoryHit, DimensionHit, GroupHit, MeasureHit


# the first word of a measure's own name that says which end of it is asked for
_ORDER_HEADS = {"most": "desc", "least": "asc", "furthest": "desc", "farthest": "desc"}


@dataclass
class PlaceRef:
    found: PlaceFound
    span: Span
    excluded: bool = False
    in_context: bool = False        # named inside a who-is-asking clause
    possessive: bool = False        # "the city region's": the whole a share is of


@dataclass
class CategoryRef:
    hit: CategoryHit
    span: Span
    excluded: bool = False


# comparing how common something is compares its share of the people or homes, not head counts
PREVALENCE = frozenset(("more common", "less common", "as common", "more prevalent", "less prevalent", "more usual"))


@dataclass
class Frame:
    reading: Reading
    measures: list[tuple[Span, MeasureHit]] = field(default_factory=list)
    categories: list[CategoryRef] = field(default_factory=list)
    tables: list[tuple[Span, GroupHit]] = field(default_factory=list)
    dimensions: list[tuple[Span, DimensionHit]] = field(default_factory=list)
    ages: list[tuple[Span, Age]] = field(default_factory=list)
    places: list[PlaceRef] = field(default_factory=list)
    near_me: str | None = None
    foreign: list[str] = field(default_factory=list)
    periods: list[tuple[Span, When]] = field(default_factory=list)
    cues: dict[str, Span] = field(default_factory=dict)      # summary, trend, compare, breakdown, count, which, rank
    order: str | None = None
    order_word: str = ""
    limit: int | None = None
    common: str | None = None                                # "desc" | "asc": most / least common
    levels: list[tuple[Span, str]] = field(default_factory=list)
    national: Span | None = None    # 'among councils in England': a rank among every English council
    grouping: tuple[Span, tuple] | None = None
    share: Span | None = None
    per: tuple[Span, tuple] | None = None                   # (span, (n, denominator word))
    rate_word: Span | None = None
    difference: tuple[Span, str] | None = None
    condition: tuple[Span, Condition, bool] | None = None   # (span, condition, negated)
    loose_negations: list[Span] = field(default_factory=list)
    excluders: list[Span] = field(default_factory=list)     # exclusion words that govern nothing
    # measures and ages left out or negated ('NOT private renters', 'not counting the over 65s'):
    # a part of a table the resolver takes off its total, or says it cannot
    complements: list[tuple[Span, Span]] = field(default_factory=list)   # (operator, measure or age span)
    combined: bool = False          # 'Everton and Anfield combined': the places added together (set by the resolver)
    excluded_periods: list[tuple[Span, When]] = field(default_factory=list)   # 'not counting December'
    # a rate's denominator said as such ('per 1,000 people, using the mid-2019 population'): its
    # words and the period named with it (filled while resolving)
    denominator_words: frozenset[int] = frozenset()
    denominator_period: When | None = None
    not_held: list[Span] = field(default_factory=list)
    sources: list[tuple[Span, frozenset]] = field(default_factory=list)   # datasets named ('the census')
    meta: Span | None = None
    followup: bool = False
    context_ranges: list[tuple[int, int]] = field(default_factory=list)
    # filled while resolving: parts of a several-part question left, a comparator the dataset
    # lacks (its title, the places), the periods a 'yes' to 'would X do?' chose
    left_parts: list[str] = field(default_factory=list)
    left_concepts: list[str] = field(default_factory=list)    # the measures of left parts said as measures
    force_year: str | None = None   # the period of the one edition a source named ('on IMD 2025'), for a summary
    benchmark: object = None        # '..., and is it above the England figure?': the area set beside a ranking
    condition_of: str | None = None  # 'under 16s in LSOAs that are IDACI decile 1': the deciles the condition is on
    beyond: str | None = None       # 'how many councils have more ... than England': 'above' or 'below' it counted
    position_of: object = None      # 'where does Linacre ward rank': the area whose place in a ranking is asked
    add_up: Span | None = None      # 'add up all four months': a total asked (of an additive figure only)
    # 'wards that have at least one LSOA in decile 1': the areas counted by how many of theirs match
    at_least: tuple[Span, int] | None = None
    # 'and' / 'plus' joining the parts of a sum said with it ('home ownership (owned outright +
    # with mortgage)'): explained by the sum
    joiners: set[int] = field(default_factory=set)
    # words that only say again what the plan does ('by broad age band (0-15, 16-64, 65+)': the bands)
    restated: set[int] = field(default_factory=set)
    bands_asked: list[tuple[int, int | None]] = field(default_factory=list)
    dropped: tuple[str, list[str]] | None = None
    force_periods: list[str] | None = None
    # a follow-up naming no source or period: the edition the question before was answered from
    carried_dataset: str | None = None

    # -- what the question names --------------------------------------------------------
    @property
    def subject_places(self) -> list[PlaceRef]:
        own = [p for p in self.places if not p.excluded and not p.in_context]
        return own or [p for p in self.places if not p.excluded and p.in_context]

    @property
    def single_years(self) -> set[int]:
        """The years of the periods named that lie within one year ('in 2019', 'October 2019'),
        the latest-period words included; a range across years adds none."""
        return {w.start[0] for _, w in self.periods if w.start and w.end and w.start[0] == w.end[0]}

    @property
    def names_topic(self) -> bool:
        return bool(self.measures or self.categories or self.tables or self.ages)

    def words(self, span: Span) -> str:
        return span.words(self.reading.q.tokens)


GOVERNED = ("category", "place", "table", "measure", "condition", "age")


def build(reading: Reading, context_ranges: list[tuple[int, int]]) -> Frame:
    f = Frame(reading, context_ranges=context_ranges)
    t = reading.q.tokens
    excl_targets: set[int] = set()
    neg_targets: dict[int, Span] = {}
    complemented: set[int] = set()
    for s in reading.of("exclude"):
        target = _next_governed(reading, s, ("category", "place", "table", "measure", "age", "period"))
        if target is not None:
            excl_targets.add(id(target))
            # 'minus shoplifting and bike theft': the exclusion governs the whole list
            for more in _listed_after(reading, target):
                excl_targets.add(id(more))
                if more.slot in ("measure", "age"):
                    f.complements.append((s, more))
                    complemented.add(id(more))
            if target.slot in ("measure", "age"):
                f.complements.append((s, target))
                complemented.add(id(target))
        else:
            f.excluders.append(s)
    for s in reading.of("negate"):
        target = _next_governed(reading, s, ("condition", "category", "place"), gap=3)
        if target is not None:
            neg_targets[id(target)] = s
            continue
        target = _next_governed(reading, s, ("measure", "age"), gap=3)
        if target is not None:          # 'households that are NOT private renters'
            f.complements.append((s, target))
            complemented.add(id(target))
        else:
            f.loose_negations.append(s)
    for s in reading.spans:
        v = s.value
        if s.slot == "measure" and s.end < len(t) and t[s.end] in ("weighted", "weighting"):
            continue                    # 'the population-weighted score': how it is averaged, not a measure asked
        if s.slot == "measure":
            words = s.words(t)
            head = words.split()[0] if words else ""
            if f.order is None and head in _ORDER_HEADS and " " in words and not any(
                    a <= s.start and s.end <= b for a, b in context_ranges):
                # (not in a clause of context: 'Knowsley used to be the most deprived ...' orders nothing)
                # 'the most deprived ward', 'furthest from a GP surgery': the measure's own name carries the order
                f.order, f.order_word = _ORDER_HEADS[head], head
            f.measures.append((s, v))
        elif s.slot in ("category", "table") and any(a <= s.start and s.end <= b for a, b in context_ranges) \
                and id(s) not in excl_targets:
            continue                    # 'to evaluate whether our employment support works'
        elif s.slot == "category":
            f.categories.append(CategoryRef(v, s, excluded=id(s) in excl_targets or id(s) in neg_targets))
        elif s.slot == "table":
            f.tables.append((s, v))
        elif s.slot == "dimension":
            f.dimensions.append((s, v))
        elif s.slot == "age":
            f.ages.append((s, v))
        elif s.slot == "place":
            in_ctx = any(a <= s.start and s.end <= b for a, b in context_ranges)
            possessive = s.end < len(t) and t[s.end] == "s" or (s.start > 0 and t[s.start - 1] == "of"
                                                                   and s.start > 1 and t[s.start - 2] in ("share", "proportion",
                                                                                                         "percentage", "part"))
            f.places.append(PlaceRef(v, s, excluded=id(s) in excl_targets or id(s) in neg_targets, in_context=in_ctx,
                                     possessive=possessive))
        elif s.slot == "near_me":
            f.near_me = v
        elif s.slot == "foreign_place":
            f.foreign.append(v)
        elif s.slot == "period":
            if id(s) in excl_targets:
                f.excluded_periods.append((s, v))       # a period left out of the one asked
            else:
                f.periods.append((s, v))
        elif s.slot == "intent":
            f.cues.setdefault(v.kind, s)
            if v.kind == "compare" and v.word in PREVALENCE and f.share is None:
                f.share = s             # 'is disability more common in Wirral or St Helens': as a share
        elif s.slot == "order":
            if f.order is None:
                f.order, f.order_word = v.kind, v.word
        elif s.slot == "top_n":
            n, order = v
            f.limit = n
            if order in ("desc", "asc") and f.order is None:
                f.order, f.order_word = order, f.words(s).split()[0]
            elif order is None:
                pass
            elif order in ("best", "worst") and f.order is None:
                f.order, f.order_word = order, order
        elif s.slot == "common":
            f.common = v.kind
        elif s.slot == "add_up":
            f.add_up = s
        elif s.slot == "at_least":
            f.at_least = f.at_least or (s, v)
        elif s.slot == "level":
            f.levels.append((s, v))
        elif s.slot == "national":
            f.national = f.national or s
        elif s.slot == "grouping":
            if f.grouping is None:
                f.grouping = (s, v)
        elif s.slot == "share":
            f.share = f.share or s
        elif s.slot == "per":
            f.per = f.per or (s, v.detail)
        elif s.slot == "rate":
            f.rate_word = f.rate_word or s
        elif s.slot == "difference":
            if f.difference is None or s.score > f.difference[0].score:
                f.difference = (s, v.detail)
        elif s.slot == "condition":
            f.condition = (s, v, id(s) in neg_targets)
        elif s.slot == "source":
            f.sources.append((s, v))
        elif s.slot == "not_held":
            f.not_held.append(s)
        elif s.slot == "meta":
            f.meta = s
        elif s.slot == "followup":
            f.followup = True
    if t[:2] in (["what", "about"], ["how", "about"], ["what", "of"]):
        f.followup = True         # ('what about on the 2019 IMD?': the opener, whichever span read its words)
    return f


def _listed_after(reading: Reading, first: Span) -> list[Span]:
    """Spans of the same slot joined to ``first`` by 'and', 'or' or a comma."""
    t = reading.q.tokens
    out, cur = [], first
    for s in sorted(reading.spans, key=lambda x: x.start):
        if s.start < cur.end or s.slot != first.slot:
            continue
        between = t[cur.end:s.start]
        if 0 < len(between) <= 2 and all(w in ("and", "or", "nor", "the", "also") for w in between):
            out.append(s)
            cur = s
        else:
            break
    return out


def _next_governed(reading: Reading, op: Span, slots: tuple[str, ...], gap: int = 3) -> Span | None:
    """The span an operator governs: the next span of ``slots`` within ``gap`` words, with only
    fillers (or another operator's words) between."""
    t = reading.q.tokens
    for s in sorted(reading.spans, key=lambda x: x.start):
        if s.start < op.end or s.slot not in slots:
            continue
        between = range(op.end, s.start)
        if len(between) > gap:
            return None
        if all(reading.slot_at(i) in ("filler", "negate", "exclude", None) or t[i] in ("the", "a", "an", "any", "in", "for",
                                                                                        "of", "from")
               for i in between):
            return s
        return None
    return None


# -- the frame a conversation carries ---------------------------------------------------------
@dataclass(frozen=True)
class Carried:
    """What a follow-up may inherit from the question before it (plain values only)."""
    measure: str | None = None
    dataset: str | None = None
    filters: tuple[tuple[str, tuple[str, ...], bool], ...] = ()    # (column, values, exclude)
    places: tuple[str, ...] = ()
    when: dict | None = None                                        # the period asked (not a default)
    intent: str | None = None
    over: tuple[str, str] | None = None                             # ("areas", level) | ("categories", col) | ("members", g)
    order: str | None = None
    limit: int | None = None
    share: bool = False
    per: tuple[int, str | None] | None = None
    condition: tuple | None = None
    scope: str | None = None
    count_per: tuple | None = None       # (level, order, by share): a count of areas for each area of a level
    less: tuple[str, ...] = ()           # parts of the measure's table left out (kernel.plans.Subject.less)
    per_period: bool = False             # an average per month (kernel.plans.Subject.per_period)
    # the other period the conversation asked this measure for, just before ('2021?' then 'and
    # back in 2015?'): 'how much has it dropped by?' is the change between the two
    before: dict | None = None
    # the other measures asked with ``measure`` ('the IMD rank and the population'): 'and in 2019?'
    # asks for all of them again
    also: tuple[str, ...] = ()

    def to_state(self) -> dict[str, Any]:
        return {"measure": self.measure, "dataset": self.dataset, "filters": [list(f) for f in self.filters],
                "places": list(self.places), "when": self.when, "intent": self.intent,
                "over": list(self.over) if self.over else None, "order": self.order, "limit": self.limit,
                "share": self.share, "per": list(self.per) if self.per else None,
                "condition": list(self.condition) if self.condition else None, "scope": self.scope,
                "count_per": list(self.count_per) if self.count_per else None, "less": list(self.less),
                "per_period": self.per_period, "before": self.before, "also": list(self.also)}

    @classmethod
    def from_state(cls, d: dict | None) -> "Carried | None":
        if not d or not isinstance(d, dict) or "measure" not in d:
            return None
        try:
            return cls(measure=d.get("measure"), dataset=d.get("dataset"),
                       filters=tuple((c, tuple(v), bool(e)) for c, v, e in d.get("filters") or ()),
                       places=tuple(d.get("places") or ()), when=d.get("when"), intent=d.get("intent"),
                       over=tuple(d["over"]) if d.get("over") else None, order=d.get("order"), limit=d.get("limit"),
                       share=bool(d.get("share")), per=tuple(d["per"]) if d.get("per") else None,
                       condition=tuple(d["condition"]) if d.get("condition") else None, scope=d.get("scope"),
                       count_per=tuple(d["count_per"]) if d.get("count_per") else None,
                       less=tuple(d.get("less") or ()), per_period=bool(d.get("per_period")),
                       before=d.get("before") if isinstance(d.get("before"), dict) else None,
                       also=tuple(str(x) for x in d.get("also") or ()))
        except (TypeError, ValueError):
            return None


def when_to_state(w: When | None) -> dict | None:
    if w is None:
        return None
    return {"start": list(w.start) if w.start else None, "end": list(w.end) if w.end else None, "grain": w.grain,
            "words": w.words, "kind": w.kind, "year_known": w.year_known,
            "members": [when_to_state(m) for m in w.members]}


def when_from_state(d: dict | None) -> When | None:
    if not d:
        return None
    return When(tuple(d["start"]) if d.get("start") else None, tuple(d["end"]) if d.get("end") else None,
                d.get("grain", "year"), d.get("words", ""), d.get("kind", "span"), d.get("year_known", True),
                tuple(when_from_state(m) for m in d.get("members") or ()))


__all__ = ["Carried", "CategoryRef", "Cue", "Frame", "Op", "PlaceRef", "build", "replace", "when_from_state",
           "when_to_state"]
