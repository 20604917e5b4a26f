"""From a frame to a plan, bound to the catalogue: the measure (with its filters, age band or
table part), the places, the dataset that holds them for the period asked, and the plan type
for the question's shape; or a question back, or why there is no answer, naming the words it
could not apply.  Every plan made here passes the plan invariants (``assistant.queries``)
before it leaves; a plan that would not is declined here, saying why.

The coverage rule: a figure is returned only when every word is accounted for by a slot, a
context clause or a filler word, and every operator the question uses is expressed by the plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from assistant import coverage as cover, queries
from assistant.answers import LEVEL_ROWS, condition_text, periods_label, threshold_text
from assistant.understanding.detectors import Condition as DecileCondition, PlaceFound
from assistant.understanding.frame import CategoryRef, Carried, Frame, PlaceRef, when_from_state, when_to_state
from assistant.understanding.outcome import Planned
from assistant.understanding.spans import Span
from assistant.understanding.time import When, months_between, period_months, resolve as resolve_when
from assistant.understanding.topics import CategoryHit, MeasureHit, Topics, lemma, stem
from assistant.understanding.words import Phrases, Words
from kernel.errors import NotAvailable, PlanInvalid
from kernel.text import normalise
from kernel.plans import (Areas, BreakdownPlan, Categories, ComparisonPlan, Condition, CountPlan, EditionsPlan, Filter, Members,
                          Periods, RankingPlan, Rate, RelationPlan, Subject, SummaryPlan, TrendPlan, ValuePlan, CoveragePlan,
                          Within, BenchmarkPlan)
from retrieval.catalog import Catalog, MeasureRef
from retrieval.datasheets import LEVEL_ORDER, Datasheet, Measure
from retrieval.geography import WARD_VINTAGE, Gazetteer, Place

METRIC_USE, METRIC_ASK, METRIC_MARGIN = 0.80, 0.55, 0.04
LEVEL_NAMES = {"lsoa": "neighbourhood (LSOA)", "ward": "ward", "lad": "council", "region": "city region"}
HOLDS = ("population, deprivation (IMD 2019 and 2025, with its domains), Census 2021 households and residents "
         "(age, tenure, accommodation type, overcrowding, disability, ethnic group), street crime, crime severity, "
         "homelessness, GP provision, the ONS Health Index, population density and rural-urban classification for "
         "the Liverpool City Region")
COVERS = ("The commons covers the six councils of the Liverpool City Region (Halton, Knowsley, Liverpool, Sefton, "
          "St Helens and Wirral), their wards and neighbourhoods, with England as a comparator.")
# Leftover words that never change which figure is meant ('is crime bad in Everton').
HARMLESS = frozenset("""bad good safe unsafe high low big small large busy quiet better worse nice rough posh
recorded official officially estimate estimates estimated published actual real exact precise overall whole total
often frequently happen happens happened occur occurred
currently nowadays reported latest figure much single live lives living lived according
indicator indicators measure measures metric metrics statistic statistics stat stats""".split())


@dataclass(frozen=True)
class Editions:
    """A measure bound to two or more editions of one publication series: for each, the measure
    ref, the period it holds and the dataset's filters."""

    series: str
    parts: tuple[tuple[MeasureRef, Periods, tuple[Filter, ...]], ...]


@dataclass
class Choice:
    """The measure chosen, and how the question's words led to it."""
    concept: str
    filters: list[tuple[str, str, tuple[str, ...], bool]]     # (dataset, column, values, exclude)
    share: bool = False
    note: str = ""
    used_words: frozenset[int] = frozenset()                   # uncovered positions the choice explained
    table: tuple[str, str] | None = None                       # (dataset, group): the table named as the topic
    table_also: tuple[str, ...] = ()                           # combined parts of it named in a list
    left: list[str] | None = None                              # parts of a several-part question not answered
    less: tuple[str, ...] = ()                                 # parts of the table left out of its total ``concept``
    per_period: bool = False                                   # an average per month of a count over months
    change: str | None = None                                  # 'rose the most': up | down | better | worse
    change_pct: bool = False                                   # ... in per cent of where it began
    change_count: bool = False                                 # 'how many LSOAs lost population': areas counted by it
    stat: str | None = None                                    # 'the average over 2015 to 2021': mean | range
    also: tuple[str, ...] = ()                                 # further deciles the same condition is on ('both income and health')


class Resolver:
    def __init__(self, catalog: Catalog, gaz: Gazetteer, words: Words, topics: Topics):
        self.catalog, self.gaz, self.w, self.topics = catalog, gaz, words, topics
        self.metric_finder: Callable | None = None
        self.fillers = frozenset(words.fillers.words)
        self.generic = frozenset(words.quiet.generic) | {"how", "many", "much", "number"}

    # ================================================================== entry
    def resolve(self, f: Frame, carried: Carried | None, text: str, state: dict) -> Planned:
        said = next((sp for sp in f.reading.spans if sp.slot == "followup" and "postcode" in str(sp.value)), None)
        if said is not None and not f.places:
            # 'that postcode's neighbourhood': the area the conversation's postcode was placed in
            got = [self.gaz.places[k] for k in state.get("placed") or () if k in self.gaz.places]
            if not got:
                return self._which_place(text, state, "Which postcode or area do you mean? Give the postcode again, "
                                                      "or name the ward or neighbourhood.")
            f.places.append(PlaceRef(PlaceFound(tuple(got[:1]), f.words(said)), said))
        readings = self._everyday_ages(f)
        self._years_as_editions(f)
        self._the_two(f, state)
        out = self._resolve(f, carried, text, state)
        if readings and out.kind == "data" and out.understood:
            out = replace(out, understood=out.understood.rstrip(".") + "; " + "; ".join(readings) + ".")
        return out

    OVER = re.compile(r"(?:over|above|older than|more than) (\d+)")

    def _everyday_ages(self, f: Frame) -> list[str]:
        """'over 65' in everyday speech is the census band '65 and over': read so, and said back,
        when the commons holds a band from that age and none from the next (never a different band)."""
        starts = {r.measure.ages[0] for refs in self.catalog.concepts.values() for r in refs
                  if r.measure.ages and r.measure.ages[1] is None}
        starts |= {int(v[:-1]) for (ds, col), vals in self.catalog.dim_values.items() if col == "age_band"
                   for v in vals if re.fullmatch(r"\d+\+", v)}
        said = []
        for k, (span, age) in enumerate(f.ages):
            m = self.OVER.fullmatch(" ".join(w for w in f.reading.q.tokens[span.start:span.end]
                                             if w not in ("aged", "age", "ages", "people", "those")))
            if age.hi is None and m and int(m.group(1)) == age.lo - 1 and age.lo not in starts \
                    and age.lo - 1 in starts:
                f.ages[k] = (span, type(age)(age.lo - 1, None))
                said.append(f"'{f.words(span)}' read as aged {age.lo - 1} and over (the band the commons holds)")
        return said

    def _resolve(self, f: Frame, carried: Carried | None, text: str, state: dict) -> Planned:
        if f.add_up is not None and f.grouping is not None and f.grouping[1][0] == "time":
            f.grouping = None       # 'add up all four months': their total, not month by month
        r = f.reading
        t = r.q.tokens
        follow = carried is not None and self._is_follow_up(f)
        if follow and carried.dataset and not f.sources and not f.periods:
            f.carried_dataset = carried.dataset
        if f.meta and not f.names_topic and not f.places and not f.periods:
            return Planned("info", message=self._about_me(f), state={**state, "pending": None}, reason="meta",
                           understood="Understood: a question about the assistant itself (no figures).")
        self._range_said_again(f)
        self._period_restated(f)
        self._councils_as_whole(f)
        self._since_edition(f)
        self._bands_listed(f)
        where = self._where(f, state, carried)
        if where is not None:
            return where
        if f.foreign:
            return self._no_data(state, f"'{f.foreign[0].title()}' is outside the commons. {COVERS}", "unknown_place",
                                 f"a place outside the commons ({f.foreign[0].title()})")
        for s in f.not_held:
            topic = f.words(s)
            if isinstance(s.value, tuple):
                # a sub-group counted only within a broader measure: that measure named, never given for it
                broader = self.catalog.label(s.value[1])
                held = "; ".join(dict.fromkeys(r.sheet.title for r in self.catalog.concepts.get(s.value[1], ())))
                return self._no_data(state, (
                    f"The commons does not hold '{topic}' on its own: it is counted only within the broader group "
                    f"{broader} ({held}), so I haven't given that group's figure for it. Ask for {broader.lower()} "
                    "if the broad group will do."), "not_split", f"{topic}, a sub-group of {broader.lower()}")
            return self._no_data(state, f"The commons does not hold figures on {topic}. It holds {HOLDS}.",
                                 "out_of_scope", f"a figure on {topic}")
        self._denominator_phrase(f)
        # 'fine with the best-fit LSOA total': the area's figure summed from its neighbourhoods (how it is
        # made), never a list of them
        made_of = [(sp, lvl) for sp, lvl in f.levels if t[sp.end:sp.end + 1] in (["total"], ["sum"], ["totals"])
                   and f.places and lvl == "lsoa"]
        if made_of:
            f.levels = [x for x in f.levels if x not in made_of]
            f.denominator_words = f.denominator_words | {i for sp, _ in made_of for i in range(sp.start, sp.end + 1)}
        chosen_place = state.pop("force_place", None)
        f.force_periods = state.pop("force_periods", None)
        forced = state.pop("force_measure", None)
        if f.cues.get("coverage") is not None and forced is None:
            return self._coverage(f, text, state, chosen_place)
        if forced is None and self.is_benchmark(f, state):
            return self._benchmark(f, state)
        state.pop("benchmark", None)
        related = self._relation_form(f) if forced is None else None
        if related is not None:
            return self._relation(f, related, text, state, chosen_place)
        if f.cues.get("relate") is not None and forced is None:
            # 'the relationship between ...' in a form that is not two measures over areas
            words = f.words(f.cues["relate"])
            return self._no_data(state, f"I can put two measures side by side over the same areas (for example "
                                        f"'deprivation and homelessness by council'), but I couldn't read '{words}' "
                                        "that way here, so I haven't guessed a figure.", "unexplained",
                                 f"'{words}' of something other than two measures over areas")
        if forced in self.catalog.concepts:
            # a reply to 'which figure did you mean?': the words that were unclear mean this one (a
            # table asked back, 'which part of accommodation type?', is now that part)
            groups = {(r.sheet.id, r.measure.group) for r in self.catalog.concepts[forced]}
            f.tables = [(sp, h) for sp, h in f.tables if not any((o[0], o[1]) in groups for o in h.options)]
            choice = Choice(forced, [], bool(f.share), used_words=frozenset(r.uncovered) | frozenset(
                i for s, _ in f.measures for i in s.positions))
        else:
            choice = self._measure(f, carried if follow else None, text, state)
        if isinstance(choice, Planned):
            return choice
        choice = self._per_period(f, choice, carried if follow else None)
        choice = self._series_stat(f, choice)
        choice = self._change_asked(f, choice, carried if follow else None)
        together = [i for i in r.uncovered if t[i] in ("combined", "together", "altogether")
                    and not (i > 0 and t[i - 1] in ("added",) and False)]
        if together and len([p for p in f.subject_places if not p.found.ambiguous]) >= 2:
            # 'Everton and Anfield wards combined': the places added together ('added' too)
            f.combined = True
            extra = {i for i in r.uncovered if t[i] in ("added", "put", "total", "in")}
            choice = replace(choice, used_words=choice.used_words | frozenset(together) | frozenset(extra))
        # words no slot explains: said back, never dropped (a measure's own words only say again
        # which measure is meant: 'registered' patients, the IMD 'score')
        own = self.topics.own_words(choice.concept) if choice.concept in self.catalog.concepts else frozenset()
        # a value said with its dimension's own words ('in full-time work': work status Full-time)
        own = own | self._dimension_words(choice.filters)
        for c in f.left_concepts:
            # ('population 2021 and IMD 2025 score': the 'score' of the other part asked)
            if c in self.catalog.concepts:
                own = own | self.topics.own_words(c)
        starts = {s.start for s in r.spans if s.slot in ("measure", "source", "table", "category")}
        # 'rank the councils by the proportion of ...': 'by' before the figure asked, 'the' between
        shares = {s.start for s in r.spans if s.slot in ("share", "per")}
        starts |= shares
        if choice.concept.endswith("_rank"):
            # 'rank the six councils by their rank among councils in England': the rank is the figure
            starts |= {s.start for s in r.spans if s.slot == "intent" and stem(t[s.start]) == "rank"}

        def leads_in(i: int) -> bool:       # 'the', 'the 2011' before a measure or source
            j = i
            while j < len(t) and ((r.slot_at(j) == "filler" and t[j] in ("the", "a", "their", "its", "total", "overall"))
                                  or r.slot_at(j) == "period"):
                j += 1
            return j > i and j in starts
        starts |= {i for i in range(len(t)) if leads_in(i)}
        period_starts = {s.start for s in r.spans if s.slot == "period"}
        place_starts = {s.start for s in r.spans if s.slot == "place"}
        country_starts = {p.span.start for p in f.places if not p.found.ambiguous and p.found.candidates[0].level == "country"}
        edition_starts = {span.start for span, *_ in self._edition_sources(f)}     # 'between IoD2019 and ...'
        period_ends = {s.end for s in r.spans if s.slot == "period"}      # 'October and November 2019 combined'
        # 'most deprived first': the 'first' after a measure named by its worse end, or after an order word
        ends_of_ordered = {s.end for s in r.spans if s.slot in ("order", "measure") and
                           (s.slot == "order" or s.words(t).split()[0] in ("most", "least", "highest", "lowest"))}
        order_ends = {s.end for s in r.spans if s.slot == "order"}
        # 'its rank ..., out of 317 districts': a rank said with how many it is out of
        out_of: set[int] = set()
        fmt = self.catalog.concepts[choice.concept][0].measure.format if choice.concept in self.catalog.concepts else ""
        for i in range(len(t) - 2):
            if t[i:i + 2] == ["out", "of"] and t[i + 2] == "all" and not any(
                    p.found.candidates[0].level == "region" for p in f.places) and any(
                    stem(w) == "rank" for w in t[max(0, i - 4):i]) and i + 3 < len(t) and t[i + 3] in (
                    "councils", "authorities", "districts", "las", "areas", "the"):
                # 'where does Sefton rank out of all councils': its rank among them, the national rank
                out_of |= {i, i + 1, i + 2, i + 3} | ({i + 4} if t[i + 3] == "the" else set())
            if fmt == "rank" and t[i:i + 2] == ["out", "of"] and t[i + 2].isdigit():
                out_of |= {i, i + 1, i + 2} | ({i + 3} if i + 3 < len(t) and t[i + 3] in (
                    "districts", "councils", "authorities", "areas", "lsoas", "neighbourhoods", "las") else set())
        ends_of_ordered |= {s.end for s in r.spans if s.slot == "measure" and s.start in order_ends}   # 'least deprived first'
        # 'worst (most patients) first': the order said again in brackets, then 'first'
        ends_of_ordered |= {e + k for e in order_ends for k in (1, 2) if e + k < len(t) and all(
            lemma(t[j]) in self.topics.own_words(choice.concept) for j in range(e, e + k))} if choice.concept in \
            self.catalog.concepts else set()
        if f.left_concepts:
            # 'headline pop + deprivation': the joiner between two measures asked together
            ms = sorted((sp.start, sp.end) for sp, _ in f.measures)
            f.joiners |= {k for (_, a), (b, _) in zip(ms, ms[1:]) for k in range(a, b) if t[k] in ("plus", "and", "also")}
        defined = self._definition_said(f, own, choice.concept)
        left = [i for i in r.uncovered if i not in choice.used_words and i not in f.denominator_words and i not in f.joiners
                and i not in f.restated and i not in defined
                and i not in out_of
                and not self._harmless(t[i])
                and lemma(t[i]) not in own and not (t[i] in ("by", "on", "for") and i + 1 in starts)
                and not (t[i] in ("by", "on", "for", "in") and i + 1 < len(t) and lemma(t[i + 1]) in own)
                and not (t[i] == "by" and t[i + 1:i + 3] in (["how", "much"], ["how", "many"]))
                and not (t[i] in ("over", "across", "during", "throughout", "within") and i + 1 in period_starts)
                and not (t[i] == "between" and (i + 1 in period_starts or (i + 2 in period_starts and i + 1 in starts)))
                and not (t[i] in ("between", "from") and (i + 1 in edition_starts or (
                    i + 2 in edition_starts and t[i + 1] == "the")))
                and not (t[i] in ("first", "1st") and f.order is not None and i in ends_of_ordered)
                and not (t[i] in ("under", "on", "using", "per", "according") and i + 1 in starts)
                and not (t[i] == "out" and i and t[i - 1] in ("comes", "come", "came", "coming"))
                and not (t[i] in ("count", "counts", "counted") and t[i + 1:i + 2] == ["as"])     # 'count as disabled'
                # 'leaving Liverpool out, ... the other five councils': the rest once a place is left out
                and not (any(p.excluded for p in f.places) and (t[i] in ("other", "remaining", "rest") or (
                    i and t[i - 1] in ("other", "remaining") and (t[i].isdigit() or t[i] in self.w.numbers))))
                # 'crime plus ASB': two of the measure's own words joined; 'all types': no filter
                and not (t[i] in ("plus", "&") and 0 < i < len(t) - 1 and lemma(t[i - 1]) in own
                         and lemma(t[i + 1]) in own)
                # 'Sept-Dec 2019, all four months together': the range said again (a count over a range
                # is its sum)
                and not (t[i] in ("together", "combined", "altogether") and self._range_months(f) > 1)
                and not ((t[i].isdigit() or t[i] in self.w.numbers) and t[i + 1:i + 2] == ["months"]
                         and self._range_months(f) == (int(t[i]) if t[i].isdigit() else self.w.numbers[t[i]]))
                # 'age breakdown ..., census 2021 bands': the parts of the table named
                and not ((t[i] in ("bands", "band", "groups", "categories", "splits") or (
                    (t[i].isdigit() or t[i] in self.w.numbers) and (any(
                        w in ("bands", "groups", "categories", "types", "kinds") for w in t[i + 1:i + 4])
                        or any(sp.start == i + 1 for sp, _ in f.tables))     # 'its three domains'
                    and self._as_many_as_parts(int(t[i]) if t[i].isdigit() else self.w.numbers[t[i]], f, choice)))
                         and bool(f.tables or choice.table))
                # 'how much did it grow ...? the actual numbers plus the increase': a trend gives both
                and not (t[i] == "plus" and f.cues.get("trend") is not None and any(
                    w in self.CHANGE["up"] | self.CHANGE["down"] | {"change", "difference"} for w in t[i + 1:i + 3]))
                # '(including ASB)' of a measure that already counts it: the measure's own words again
                and not (t[i] in ("including", "incl", "inc", "includes", "include") and i + 1 < len(t)
                         and (lemma(t[i + 1]) in own or i + 1 in starts) and not choice.filters)
                # '... what share of LSOAs are in deciles 1 or 2? ..., and the count': a count of areas gives both
                and not (t[i] in ("count", "number", "numbers") and f.condition is not None and i == len(t) - 1
                         and t[i - 1] in ("the", "a", "and"))
                # '... women or men, and how many of each?': each of the figures asked, given side by side
                and not (t[i] in ("each", "both") and i and t[i - 1] in ("of", "many") and i == len(t) - 1
                         and (f.left_concepts or len({h.best for _, h in f.measures}) >= 2
                              or (t[i - 1] == "many" and f.levels)))      # 'which 2 wards ..., and how many each?'
                # '(ASB included in the total)': a category said to be counted in the figure
                and not (t[i] == "included" and i and (lemma(t[i - 1]) in own or any(
                    s.slot == "category" and s.end == i for s in r.spans)))
                and not (t[i] in ("type", "types", "kinds", "categories", "sorts") and i and t[i - 1] == "all"
                         and not choice.filters)
                and not (t[i] == "by" and i + 1 < len(t) and t[i + 1] in ("count", "number") and f.order is not None)
                and not (t[i] in ("count", "number") and i and t[i - 1] == "by" and f.order is not None)
                and not (t[i] == "4" and i + 1 in place_starts)
                # 'break down Halton's neighbourhoods by IMD decile? how many in each': the count in each part
                and not (t[i] in ("each", "every", "one") and i == len(t) - 1 and t[i - 1] in ("in", "for")
                         and (f.grouping is not None or f.cues.get("breakdown") is not None))
                # 'the difference in burglaries between Wirral and Sefton': the places the gap is between
                and not (t[i] == "between" and f.difference is not None and i + 1 in place_starts)
                # 'the difference in percentage points': the unit a gap between shares is given in
                and not (t[i] in ("points", "pts", "point") and i and t[i - 1] in ("percentage", "percent", "pct")
                         and (f.difference is not None or f.share is not None or choice.share))
                # 'I need three things: % disabled, % aged 65+ and patients per GP': how many parts are asked
                and not ((t[i].isdigit() or t[i] in self.w.numbers) and t[i + 1:i + 2] in (
                    ["things"], ["figures"], ["numbers"], ["stats"], ["bits"], ["items"], ["questions"], ["parts"])
                    and (int(t[i]) if t[i].isdigit() else self.w.numbers[t[i]]) == 1 + len(f.left_concepts))
                # 'the number of LSOAs in decile 1 in each Sefton ward': one count for each ward
                and not (t[i] in ("each", "every") and f.condition is not None and f.cues.get("count") is not None
                         and any(sp.start in (i + 1, i + 2) and lvl in ("ward", "lad") for sp, lvl in f.levels))
                and not (t[i] in ("combined", "altogether", "together") and i in period_ends)
                # 'the old Central ward (2019 boundaries)' of data held on the 2019 wards: those wards
                and not (t[i] in ("old", "former", "previous", "pre") and self._old_wards(choice.concept)
                         and any(w in ("ward", "wards", "boundaries", "boundary") for w in t[i + 1:i + 4]))
                # 'which of the two has the higher share': a comparison of the places, which says which is higher
                and not (t[i] in ("higher", "lower", "bigger", "smaller", "larger", "greater", "worse", "better")
                         and i and t[i - 1] == "the" and f.cues.get("which") is not None
                         and len([p for p in f.places if not p.excluded]) >= 2)
                # 'what % of households live in terraced houses in each?': of each place named
                and not (t[i] == "each" and i == len(t) - 1 and len([p for p in f.places if not p.excluded]) >= 2)
                # 'Use the current (2024) wards and the 2021 census': which data to use, said as an instruction
                and not (t[i] in ("use", "using") and i + 1 < len(t) and t[i + 1] in ("the", "current", "latest",
                                                                                     "new", "newest", "old", "2021", "2024"))
                # 'overcrowded (short of at least one bedroom)': the measure's own definition said again
                and not (t[i] in ("least", "at", "most") and any(
                    t[j:j + 2] in (["at", "least"], ["at", "most"]) and j + 3 < len(t)
                    and (t[j + 2].isdigit() or t[j + 2] in self.w.numbers) and lemma(t[j + 3]) in own
                    for j in (i - 1, i)))
                # 'same for St Helens - count and share' after a count of areas: what that answer gives
                and not (t[i] in ("count", "number", "share", "percentage", "proportion") and follow
                         and carried is not None and carried.intent == "count" and f.condition is None
                         and not f.names_topic)
                # '(council + other social landlords together)': the parts of a summed measure added up
                and not (t[i] in ("combined", "altogether", "together", "both") and self._sum_measure(choice.concept)
                         and any(t[k] in ("plus", "and", "or") for k in range(max(0, i - 6), i)))
                and not (t[i] in ("plus", "and") and self._sum_measure(choice.concept) and any(
                    t[k] in ("combined", "altogether", "together", "both") for k in range(i + 1, min(len(t), i + 7))))
                # 'social renters (council plus housing association)': the sum asked, its parts said again
                and not (t[i] in ("plus", "and") and self._sum_measure(choice.concept) and self._parts_beside(f, choice.concept, i))
                and not (t[i] == "back" and (i + 1 in period_starts or (i + 2 in period_starts and t[i + 1] in ("in", "at"))))
                # 'how many LSOAs in each IMD decile': the deciles as rows
                and not (t[i] in ("each", "every", "across") and any(
                    sp.start in (i + 1, i + 2) and self.catalog.concepts.get(h.best, [None])[0] is not None
                    and self.catalog.concepts[h.best][0].measure.format == "decile" for sp, h in f.measures))
                # 'is St Helens more hard up than Wirral? average IMD score': an everyday word for the end of
                # the chosen measure's scale that is worse ('poor' of deprivation), not another qualifier
                and not self._says_worse_end(choice.concept, t[i])
                # 'compared with our neighbours Knowsley and Halton': the places named are the neighbours
                and not (t[i] in ("neighbours", "neighbors", "neighbouring", "neighboring", "rivals", "peers",
                                  "neighbour", "neighbor", "friends", "colleagues") and i + 1 in place_starts)
                # 'the LEAST deprived decile (10)': the decile said again as its number
                and not (t[i].isdigit() and f.condition is not None and not f.condition[1].on_measure
                         and 0 <= i - f.condition[0].end <= 1 and self._decile_said(f.condition[1], int(t[i])))
                # '..., and is it above the England figure?': the ranking's first set beside England's
                # ('how many councils have fewer ... than England': the councils on that side of it counted)
                and not (t[i] in self.ABOVE | self.BELOW
                         and f.levels and (f.order is not None or f.limit is not None or f.cues.get("count") is not None)
                         and any(k in country_starts for k in range(i + 1, i + 8))
                         and (f.cues.get("count") is None or all(t[k] not in self.ABOVE | self.BELOW or k == i
                                                                 for k in range(i + 1, min(len(t), i + 8)))))]
        loose = [s for s in f.loose_negations if self._negation_matters(f, s, choice.concept)]
        if left or loose or f.excluders:
            return self._unapplied(f, choice, left, loose, text, state)
        places = self._places(f, carried if follow else None, state, text, chosen_place)
        if isinstance(places, Planned):
            return places
        return self._shape(f, choice, places, carried if follow else None, text, state)

    # ================================================================== measures
    def _measure(self, f: Frame, carried: Carried | None, text: str, state: dict) -> Choice | Planned:
        cat = self.catalog
        t = f.reading.q.tokens
        headline = False
        if f.condition is not None and not f.condition[1].on_measure:
            # 'in decile 1 for both income and employment': a deprivation domain named for a decile condition
            # (read by _domain_decile), never another dataset's dimension of the same word
            domains = [(sp, h) for sp, h in f.dimensions if f.words(sp) in self.DOMAINS]
            if domains:
                f.dimensions = [x for x in f.dimensions if x not in domains]
                f.reading.uncovered[:] = sorted(set(f.reading.uncovered) | {i for sp, _ in domains for i in sp.positions})
        spans = [(s, h) for s, h in f.measures]
        # person-level data named ('lupus participants') picks that dataset's measure
        personal = [(s, h) for s, h in spans if cat.person_level(h.best)]
        if personal:
            spans = personal + [(s, h) for s, h in spans if (s, h) not in personal]
        concepts = list(dict.fromkeys(h.best for _, h in spans))
        if len(concepts) > 1:
            # 'female lupus participants': a word that is a value of another measure's dataset
            # ('Female' in its sex column) filters that measure rather than naming a second one
            for s, h in list(spans):
                others = {r.dataset for c in concepts if c != h.best for r in cat.concepts.get(c, [])}
                opts = [o for o in self.topics.value_options(h.words) if o[0] in others]
                if opts:
                    spans.remove((s, h))
                    f.categories.append(CategoryRef(CategoryHit(tuple(opts), h.words), s,
                                                    excluded=self._excluded_span(f, s)))
            concepts = list(dict.fromkeys(h.best for _, h in spans))
        filters: list[tuple[str, str, tuple[str, ...], bool]] = []
        if f.share is not None and (len(spans) > 1 or carried is not None):
            # 'what percentage of residents is that', 'share of all households': the whole the share
            # is of, said in everyday words after it, not a second topic
            place_at = {i for p in f.places for i in p.span.positions}
            for s, h in list(spans):
                gap = [w for k, w in enumerate(t[f.share.end:s.start], f.share.end) if k not in place_at
                       and w != "s"]
                whole_word = self._generic([(s, h)], h.best) or self._a_total(h.best)
                other_topic = any(x is not s and not self._generic([(x, hh)], hh.best) for x, hh in spans) or (
                    len(spans) == 1 and carried is not None and carried.measure and not carried.share
                    and (self._is_total_of(carried.measure, h.best) or self._same_whole(carried.measure, h.best)))
                if s.start >= f.share.end and all(w in ("of", "all", "the", "total", "its", "their", "is", "was", "that",
                                                        "this", "it", "those", "these", "are", "were") for w in gap) \
                        and whole_word and other_topic:
                    spans.remove((s, h))
                    f.measures = [(x, hh) for x, hh in f.measures if x is not s]
                    f.denominator_words = f.denominator_words | frozenset(range(f.share.end, s.end))
            concepts = list(dict.fromkeys(h.best for _, h in spans))
        if f.complements:
            got = self._complement(f, spans, state)
            if got is not None:
                return got
        # 'what share of Liverpool's residents were 16 to 24?' then 'what about people aged 65 and over?':
        # the follow-up asks the same kind of figure (a share) of its new sub-group
        share = bool(f.share) or (carried is not None and carried.share and f.cues.get("count") is None
                                  and f.per is None and f.rate_word is None)
        note = ""
        # category values: a filter on the measure named, or (none named) the dataset's count
        if len(concepts) == 1:
            own = self.topics.own_words(concepts[0])
            t0 = f.reading.q.tokens
            ends = {s.end for s, _ in spans}
            f.categories = [c for c in f.categories if not (
                any(k in ends and t0[k] in ("and", "plus", "or") for k in (c.span.start - 1, c.span.start - 2))
                and not c.excluded and {lemma(w) for w in c.hit.words} <= own)]
            # 'crime in Sefton (including ASB)': a category the measure already counts is said to be
            # in it, not a filter to it alone
            ds_of = {r.dataset for r in self.catalog.concepts.get(concepts[0], ())}
            f.categories = [c for c in f.categories if c.excluded or not (
                self._said_included(t0, c.span) and any(o[0] in ds_of for o in c.hit.options))]
        if f.dimensions and f.categories:
            # 'the top 3 kinds of crime or anti-social behaviour': a value joined to the dimension it
            # is one of names the rows (all of them), not a filter to that value alone
            t1 = f.reading.q.tokens
            dim_ends = {s.end: {o for o in h.options} for s, h in f.dimensions}
            f.categories = [c for c in f.categories if c.excluded or not any(
                c.span.start - 1 == e and t1[e] in ("or", "and", "plus") and any(o[:2] in dims for o in c.hit.options)
                for e, dims in dim_ends.items())]
        cat_opts = [(c, c.hit.options) for c in f.categories]
        if cat_opts:
            chosen = self._with_categories(concepts, cat_opts, carried)
            if isinstance(chosen, str):
                return self._no_data(state, chosen, "unexplained", self._topic_words(f))
            concept, filters = chosen
        elif concepts and f.tables and all(self._generic([(sp, h)], h.best) for sp, h in spans):
            # 'what types of homes do people live in': the table named, not the head count of 'people'
            span, hit = f.tables[0]
            return Choice(hit.options[0][2], [], share, table=(hit.options[0][0], hit.options[0][1]),
                          used_words=frozenset(i for sp, _ in spans for i in sp.positions))
        elif concepts and f.tables and (whole := self._table_with_its_parts(f, spans)) is not None:
            # 'tenure split for St Helens - % owned, social rented, private rented': the table named,
            # with the parts listed (the combined ones as rows of their own)
            ds, gid, total, combined = whole
            return Choice(total, [], share, table=(ds, gid), table_also=combined,
                          used_words=frozenset(i for sp, _ in spans for i in sp.positions))
        elif concepts and (listed := self._members_listed(f, spans)) is not None:
            # 'detached, semis, terraces and flats': parts of one table asked together, the table
            ds, gid, total = listed
            # the combined parts listed ('social rent', 'private rent') are rows of their own
            sheet_ = self.catalog.sheets[ds]
            combined = tuple(dict.fromkeys(
                r.measure.id for sp, h in spans for c, sc in h.concepts if sc == h.concepts[0][1]
                for r in self.catalog.concepts.get(c, ()) if r.dataset == ds and r.measure.group == gid
                and r.measure.sum_of and r.measure.id in sheet_.measure_by_id))
            return Choice(total, [], share, table=(ds, gid), table_also=combined,
                          used_words=frozenset(i for sp, _ in spans for i in sp.positions))
        elif concepts and (ratio := self._ratio_named(f, spans)) is not None:
            # 'registered patients per full-time GP': the datasheet's ratio of the two
            concept = ratio
        elif concepts:
            concept = self._combine(f, spans)
            held = self._edition_holds(f)
            joined = any(not held(h.best) and sp.start and t[sp.start - 1] in ("and", "plus", "also")
                         for sp, h in spans) if held is not None else False
            if held is not None and isinstance(concept, str) and not held(concept) and not joined:
                # (never when the phrase not held is a separate part joined on ('..., % aged 65+ and patients
                # per GP'): each part is bound for itself, none dropped)
                # 'kids in income deprived families (IDACI 2025 rate 0.4 or more)': the phrases together read
                # as a measure the edition named does not hold; read again from the ones it holds
                keep = [(sp, h) for sp, h in spans if held(h.best)]
                if keep and len(keep) < len(spans) and len({h.best for _, h in spans}) > 1:
                    concept = self._combine(f, keep)
            if isinstance(concept, Planned):
                return replace(concept, state={**state, **concept.state})
            share = share or self._said_as_share(concept, f, spans)
        elif f.dimensions and not f.tables and carried is None:
            concept = self._dimension_count(f)
        elif f.sources and not f.tables and not f.categories and not f.ages and not self._source_holds(f, carried):
            concept = self._headline(f)
            headline = True         # (a default, so the words no slot explains are still looked up)
        elif f.tables:
            span, hit = f.tables[0]
            return Choice(hit.options[0][2], [], share, table=(hit.options[0][0], hit.options[0][1]))
        elif carried is not None and carried.measure and carried.less and not f.ages:
            # 'and in Wirral?' after 'households that are not private renters': the same parts left out
            return Choice(carried.measure, [(carried.dataset or "", c, v, e) for c, v, e in carried.filters],
                          (share or carried.share) and f.cues.get("count") is None, less=carried.less)
        elif carried is not None and carried.measure:
            concept = carried.measure
            filters = [(carried.dataset or "", c, v, e) for c, v, e in carried.filters]
            for c in carried.also:
                # ('... the IMD rank and the population' then 'and in 2019?': every measure asked again)
                if c in cat.concepts and c not in f.left_concepts:
                    f.left_concepts.append(c)
                    f.left_parts.append(cat.label(c).lower())
            if f.sources:
                # 'and in IoD 2025?': the same measure from the source named (its own columns)
                filters = [(ds, c, v, e) for ds, c, v, e in filters
                           if c in {d.column for sid in self._named(f) for d in self.catalog.sheets[sid].dimensions}]
            share = (share or carried.share) and f.cues.get("count") is None    # 'and how many is that?': the count
        else:
            concept = None
        used: set[int] = set()
        # ages: the part of an age table the ages name
        if any(self._excluded_span(f, s) for s, _ in f.ages):
            words = ", ".join(f.words(s) for s, _ in f.ages)
            return self._no_data(state, f"I can't leave '{words}' out of the figure: ask for the age bands you want "
                                        "instead (for example 'children aged 0-15' or 'working-age residents').",
                                 "unexplained", f"{self._topic_words(f)} leaving out {words}")
        if f.condition is not None and not f.condition[1].on_measure and f.ages and concept is not None:
            # 'under 16s in Halton LSOAs that are IDACI decile 1': the index named just before the decile is
            # the one the condition is on; the age group is the figure counted
            dec = f"{re.sub(r'_(score|rank|decile|rate)$', '', concept)}_decile"
            cs = f.condition[0]
            adjacent = [s for s, h in f.measures if h.best == concept and 0 <= cs.start - s.end <= 1]
            if dec in cat.concepts and adjacent and self._ages_alone(f) is not None:
                f.condition_of = dec
                used |= {i for s in adjacent for i in s.positions}
                concept = None
        band = next((r.measure.ages for r in cat.concepts.get(concept, ())[:1]), None) if concept else None
        mspans = [s for s, h in f.measures if h.best == concept]

        clauses = f.reading.q.clauses

        def clause_of(i: int) -> int:
            return next((k for k, (a, b) in enumerate(clauses) if a <= i < b), -1)

        def listed_apart(s) -> bool:
            own_share = lambda x: x.start > 0 and t[x.start - 1] in ("percent", "pct", "share", "proportion")  # noqa: E731
            return bool(mspans) and len(clauses) > 1 and own_share(s) and all(
                clause_of(m.start) != clause_of(s.start) and own_share(m) for m in mspans)

        def apart(s) -> bool:      # an age group joined to the measure as another part ('children and over 65s')
            gaps = [range(m.end, s.start) if s.start >= m.end else range(s.end, m.start) for m in mspans]
            # ('% disabled, % aged 65+ and patients per GP': a list's items, each in its own clause with its own %)
            return bool(gaps) and (listed_apart(s) or all(any(t[k] in ("and", "than", "or", "vs", "versus", "plus") for k in g)
                                                 and len(g) <= 4 for g in gaps))
        if f.ages and concept is not None and (band is not None or all(listed_apart(s) for s, _ in f.ages)) and all(
                (band is None or (a.lo, a.hi) != tuple(band)) and not self._excluded_span(f, s) and apart(s)
                for s, a in f.ages) \
                and all(self._ages_alone(f, a) is not None for _, a in f.ages):
            # 'children and over 65s', 'under 16s and 16 to 24s': age groups asked side by side, each a
            # figure of its own (never the one filtered by the other)
            for span, age in f.ages:
                other = self._ages_alone(f, age)
                f.left_parts.append(f.words(span))
                if other is not None and other != concept:
                    f.left_concepts.append(other)
        elif f.ages and concept is not None:
            aged = self._ages(concept, f)
            if isinstance(aged, str):
                return self._no_data(state, aged, "unexplained", self._topic_words(f))
            concept, age_filters = aged
            filters += age_filters
        elif f.ages and concept is None:
            concept = self._ages_alone(f)
            for span, age in f.ages[1:]:
                # 'how many more over 65s than under 16s': each age group asked is a figure of its own
                if self._excluded_span(f, span) or (age.lo, age.hi) == (f.ages[0][1].lo, f.ages[0][1].hi):
                    continue
                other = self._ages_alone(f, age)
                f.left_parts.append(f.words(span))
                if other is not None and other != concept:
                    f.left_concepts.append(other)
            if concept is None:
                span, age = f.ages[0]
                return self._no_data(state, self._ages_held(f.words(span)), "unexplained", f"people {f.words(span)}")
        # words the measure does not explain, named by the embedding search ('skint', 'hard up')
        # (a word of change said with periods, 'lost people between 2017 and 2020', is the change asked,
        # read by _change_asked, not the name of another measure)
        moved = set().union(*self.CHANGE.values()) if f.periods else set()
        uncovered = [i for i in f.reading.uncovered if not self._harmless(t[i]) and not t[i].isdigit()
                     and t[i] not in moved]
        generic = concept is not None and (self._generic(spans, concept) or headline)
        # ('in the most deprived 10% for income': a domain named for a decile condition is read by
        # _domain_decile, never guessed at by the embedding search)
        domain_only = f.condition is not None and not f.condition[1].on_measure and all(
            t[i] in self.DOMAINS or t[i] in ("for", "on", "by", "living", "environment", "count", "number", "numbers")
            for i in uncovered)
        if uncovered and self.metric_finder is not None and (concept is None or generic) and not domain_only:
            words = f.reading.words(uncovered)
            got = self._detect_metric(words if concept is None else f"{words} {self._measure_words(f, spans)}")
            if got[0] == "use" and self._counts_something_else(f, uncovered, got[1]):
                # 'how many GP practices': a count of practices, not of the patients registered at them
                place = self._first_place(f)
                where = f" in {place}" if place else ""
                return Planned("no_data", message=(
                    f"I understood a count of {words}{where}, but the commons holds no count of {words}. "
                    f"The nearest figure it holds is {cat.label(got[1]).lower()} (counted in "
                    f"{self.catalog.concepts[got[1]][0].measure.unit}): ask for that by name if it helps."),
                    state=state, reason="counted_thing_not_held",
                    understood=f"Understood: how many {words}{where}; not held.")
            if got[0] == "use" and (concept is None or self._related(concept, got[1]) or generic):
                note = f"'{words}' was read as {cat.label(got[1]).lower()}."
                concept = got[1]
                used |= set(uncovered)
            elif got[0] == "clarify" and not (f.condition is not None and not f.condition[1].on_measure):
                # (a count of areas on a decile condition has its measure, the deciles: an unsure guess at
                # other words is not a question back; the words no slot explains are still named back)
                opts = list(got[1])
                if concept and all(c != concept for _, c in opts):
                    opts.append((cat.label(concept), concept))
                return self._which_measure(words, opts, text, state)
        if concept is None and not f.categories and not f.tables and (f.periods or f.levels or carried is not None):
            # 'which council grew fastest between 2017 and 2020': the measure a datasheet says growing is of
            named = [cat.change_words[t[i]] for i in f.reading.uncovered if t[i] in cat.change_words] + [
                cat.change_words[t[s.start]] for s in f.reading.spans if s.slot == "intent" and t[s.start] in cat.change_words]
            if named:
                concept = named[0]
        if concept is None:
            if f.condition is not None and not f.condition[1].on_measure:
                concept = "imd_decile"
            elif f.cues.get("summary") is not None or (
                    f.cues.get("breakdown") is not None and "profile" in f.words(f.cues["breakdown"])):
                # ('a profile of Wirral' with no topic: the area's profile, not a breakdown of nothing)
                return Choice("profile", [])
            else:
                return None if False else self._no_measure(f, state, text)
        if concept not in cat.concepts and concept != "profile":
            return self._no_measure(f, state, text)
        if f.condition is not None and not f.condition[1].on_measure and concept in ("imd_decile", "imd_score", "imd_rank"):
            # 'the most deprived 10% nationally for income', 'health decile 1': that domain's deciles
            concept, said = self._domain_decile(f, concept)
            used |= said
        elif f.condition is not None and not f.condition[1].on_measure and carried is not None \
                and concept == carried.measure and concept.endswith("_decile"):
            # (a new question naming its own domain is not the last question's domain again)
            other, said = self._domain_decile(f, "imd_decile")
            if said:
                concept, used = other, used | said
        concept = self._variant(concept, t, f)
        concept = self._in_named_source(f, concept, spans)
        if f.national is not None and concept in cat.concepts and not f.subject_places and not f.levels and (
                f.order is not None or f.limit is not None or f.cues.get("which") is not None
                or f.cues.get("rank") is not None):
            # 'which is the most deprived council in England?': the commons holds the city region's
            # councils only, so the most deprived of the six is not the answer
            label = cat.label(concept).lower()
            return self._no_data(state, (
                f"The commons holds {label} for the six city-region councils only, not every council in England, "
                f"so it can't say which council in England comes first ('{f.words(f.national)}'). It can put the six "
                f"in order, each with its national rank where one is published: ask 'rank the six councils on "
                f"{label}'."), "unexplained", f"{label}, across every council in England")
        if f.national is not None and concept in cat.concepts and not concept.endswith("_rank") and \
                cat.concepts[concept][0].measure.format != "rank":
            # 'where does Knowsley rank among councils in England for crime severity': no national rank
            # is held, and the six councils' order is not the one asked
            label = cat.label(concept).lower()
            return self._no_data(state, (
                f"The commons holds {label} for the city region's councils, not for every council in England, "
                f"so it can't say where a council ranks among all English councils ('{f.words(f.national)}'). "
                f"It can put the six city-region councils in order: ask 'rank the six councils on {label}'."),
                "unexplained", f"{label}, among every council in England")
        also: tuple[str, ...] = ()
        if f.condition is not None and not f.condition[1].on_measure and concept.endswith("_decile"):
            also, said = self._other_domains(f, concept)
            used |= said
            if also and concept.startswith("imd_") and not any(h.best.startswith("imd_") for _, h in f.measures):
                # ('decile 1 for both health and income': the domains named, not the overall index as well)
                concept, also = also[0], also[1:]
        if f.tables and f.cues.get("breakdown") is None and f.grouping is None:
            # ('the overcrowding rate (census 2021 bedroom occupancy)': the table the measure is a part of,
            # said as where it comes from, not a split of it)
            groups = {(r.dataset, r.measure.group) for r in cat.concepts.get(concept, ()) if r.measure.group}
            mine = [(sp, h) for sp, h in f.tables if any((o[0], o[1]) in groups for o in h.options)]
            if mine:
                f.tables = [x for x in f.tables if x not in mine]
                used |= {i for sp, _ in mine for i in sp.positions}
        return Choice(concept, filters, share, note, frozenset(used), also=also)

    def _other_domains(self, f: Frame, concept: str) -> tuple[tuple[str, ...], set[int]]:
        """'in decile 1 for both income and health': the other domains' deciles the same condition is
        on (each named by a word no slot used, joined to the domain of the measure by 'and')."""
        t = f.reading.q.tokens
        own = concept.removesuffix("_deprivation_decile")
        found: dict[str, set[int]] = {}
        for i in f.reading.uncovered:
            d = self.DOMAINS.get(t[i])
            if d is None or d == own or f"{d}_deprivation_decile" not in self.catalog.concepts:
                continue
            near = t[max(0, i - 2):i + 3]
            if "and" not in near and "both" not in near:
                continue
            found.setdefault(f"{d}_deprivation_decile", set()).add(i)
            for k in (i - 1, i + 1):
                if 0 <= k < len(t) and t[k] in ("and", "both") and k in f.reading.uncovered:
                    found[f"{d}_deprivation_decile"].add(k)
        return tuple(found), set().union(*found.values()) if found else set()

    def _with_categories(self, concepts, cat_opts, carried):
        """(concept, filters) for category values named, or why they cannot be applied."""
        cat = self.catalog
        if concepts:
            own = self.topics.own_words(concepts[0])
            cat_opts = [(ref, opts) for ref, opts in cat_opts
                        if not ({lemma(w) for w in ref.hit.words} <= own and not any(
                            ds in {r.dataset for r in cat.concepts.get(concepts[0], [])} for ds, _, _ in opts))]
            if not cat_opts:
                return concepts[0], []
        datasets_of = {c: {r.dataset for r in cat.concepts.get(c, [])} for c in concepts}
        candidates = concepts or ([carried.measure] if carried and carried.measure else [])
        # category measures (rural / urban): the value names the measure itself
        # (the measure carried from the turn before only when it holds the categories named: 'which
        # council has the most rural LSOAs' after a deprivation question asks about rural areas)
        for concept in candidates + ([None] if not concepts else []):
            filters = []
            ok = True
            for ref, options in cat_opts:
                pick = None
                for ds, col, val in options:
                    if concept is None or ds in {r.dataset for r in cat.concepts.get(concept, [])}:
                        pick = (ds, col, val)
                        break
                if pick is None:
                    ok = False
                    break
                filters.append((pick[0], pick[1], (pick[2],), ref.excluded))
            if not ok:
                continue
            if concept is None:
                ds = filters[0][0]
                sheet = cat.sheets[ds]
                cat_measure = next((m for m in sheet.measures if m.column == filters[0][1] and m.format == "category"), None)
                if cat_measure is not None:
                    return cat_measure.id, filters
                count = next((m for m in sheet.measures if m.rollup in ("sum", "count")), None)
                if count is None:
                    return f"The commons holds {filters[0][2][0]} only as a category of {sheet.title}."
                concept = count.id
            merged: dict[tuple[str, str, bool], list[str]] = {}
            for ds, col, vals, excl in filters:
                merged.setdefault((ds, col, excl), []).extend(vals)
            cols = [(ds, col) for ds, col, _ in merged]
            if len(cols) != len(set(cols)):
                # values kept and left out of one column at once
                kept = [v for (ds, col, e), vs in merged.items() if not e for v in vs]
                dropped = [v for (ds, col, e), vs in merged.items() if e for v in vs]
                return (f"I can't both keep {', '.join(kept)} and leave out {', '.join(dropped)} of one figure; "
                        "ask for the categories to keep, or for the ones to leave out")
            return concept, [(ds, col, tuple(dict.fromkeys(v)), e) for (ds, col, e), v in merged.items()]
        names = ", ".join(f"'{' '.join(ref.hit.words)}'" for ref, _ in cat_opts)
        what = cat.label(concepts[0]).lower() if concepts else "that figure"
        held = sorted({f"{cat.sheets[ds].title}" for _, opts in cat_opts for ds, _, _ in opts})
        return (f"I can't apply {names} to {what}: the commons holds that category only in {', '.join(held)}, "
                f"so I haven't guessed.")

    @staticmethod
    def _named(f: Frame) -> frozenset[str]:
        return frozenset.intersection(*(ds for _, ds in f.sources)) or frozenset.union(*(ds for _, ds in f.sources))

    def _source_holds(self, f: Frame, carried: Carried | None) -> bool:
        """A follow-up naming only another source ('and in IoD 2025?') that holds the measure
        asked before: that measure, from the source named."""
        # ('what was Wirral's number in IoD 2019?': a place with the source, the same figure asked of it)
        if carried is None or not carried.measure or not (f.followup or f.places) or f.measures:
            return False
        return any(r.dataset in self._named(f) for r in self.catalog.concepts.get(carried.measure, []))

    def _headline(self, f: Frame) -> str | None:
        """'show me the crime data': the first summary measure of the source named."""
        named = frozenset.intersection(*(ds for _, ds in f.sources))
        for ds in sorted(named):
            sheet = self.catalog.sheets[ds]
            ms = sorted((m for m in sheet.measures if m.summary and m.id in self.catalog.concepts),
                        key=lambda m: m.summary)
            if ms:
                return ms[0].id
        return None

    def _dimension_count(self, f: Frame) -> str | None:
        # 'which crime type was most common': the count measure of the dataset the dimension is in
        for span, hit in f.dimensions:
            for ds, col in hit.options:
                sheet = self.catalog.sheets[ds]
                if col == sheet.time.column:
                    continue        # ('each month': a way to split any monthly figure, never a topic of its own)
                m = next((m for m in sorted(sheet.measures, key=lambda m: m.summary or 99)
                          if m.rollup in ("sum", "count") and m.format == "count"), None)
                if m is not None and m.id in self.catalog.concepts:
                    return m.id
        return None

    def _members_listed(self, f: Frame, spans) -> tuple[str, str, str] | None:
        """Three or more measure phrases, each a part of the same table of one dataset and listed
        together ('detached, semis, terraces and flats'): (dataset, group, its total)."""
        parts = [(sp, h) for sp, h in spans if not self._generic([(sp, h)], h.best) and not self._a_total(h.best)]
        if len(parts) < 3 or len({h.best for _, h in parts}) < 3:
            return None
        named = {h.best for _, h in parts}
        if any(self._part_of(a, b) for a in named for b in named if a != b):
            return None           # 'rent socially (council or housing association)': a sum said with its parts
        common = None
        for _, h in parts:
            # (a phrase tied between two measures, 'private rent', is the one in the others' table)
            tied = [c for c, sc in h.concepts if sc == h.concepts[0][1]]
            mine = {(r.dataset, r.measure.group) for c in tied for r in self.catalog.concepts.get(c, ()) if r.measure.group}
            common = mine if common is None else common & mine
        if not common:
            return None
        ds, gid = sorted(common)[0]
        sheet = self.catalog.sheets[ds]
        total = next((g.total for g in sheet.groups if g.id == gid), None)
        return (ds, gid, total) if total and total in self.catalog.concepts else None

    DOMAINS = {"income": "income", "employment": "employment", "education": "education", "skills": "education",
               "health": "health", "crime": "crime", "barriers": "barriers", "housing": "barriers",
               "environment": "living_environment"}

    def _domain_decile(self, f: Frame, concept: str = "imd_decile") -> tuple[str, set[int]]:
        """The deciles a decile condition is on: a deprivation domain named by a word no slot used
        ('... for income', 'health decile 1'), else the overall index."""
        t = f.reading.q.tokens
        inside = f.condition[1].domain if f.condition is not None else ""
        if inside and f"{self.DOMAINS.get(inside.split()[-1], '')}_deprivation_decile" in self.catalog.concepts:
            return f"{self.DOMAINS[inside.split()[-1]]}_deprivation_decile", set()
        named = {(self.DOMAINS[t[i]], i) for i in f.reading.uncovered if t[i] in self.DOMAINS}
        said = {i for _, i in named}
        for i in list(said):
            if t[i] == "environment" and i and t[i - 1] == "living" and i - 1 in f.reading.uncovered:
                said.add(i - 1)
            if i and t[i - 1] in ("for", "on", "by") and i - 1 in f.reading.uncovered:
                said.add(i - 1)
        domains = {d for d, _ in named}
        if len(domains) == 1:
            concept = f"{next(iter(domains))}_deprivation_decile"
            if concept in self.catalog.concepts:
                return concept, said
        return concept, set()

    def _said_as_share(self, concept: str, f: Frame, spans) -> bool:
        """Was the measure called by a name that means its share ('home ownership')?"""
        said = {normalise(f.words(s)) for s, h in spans if h.best == concept}
        return any(normalise(w) in said for ref in self.catalog.concepts.get(concept, ())
                   for w in ref.measure.share_synonyms)

    def _combine(self, f: Frame, spans) -> str | Planned:
        """One measure from several measure phrases: a table's part over its total ('households
        renting from the council'), a specific measure over a generic one ('people' + 'pensioners');
        otherwise the strongest, the others named back as parts left unanswered."""
        cat = self.catalog
        if len(spans) == 1:
            return spans[0][1].best
        whole = self._sum_of_parts(f, spans)
        if whole is not None:
            return whole
        sums = [(s, h.best) for s, h in spans if any(self._part_of(hh.best, h.best) for _, hh in spans)]
        if sums:
            # 'rent socially (council or housing association)': a part said with the sum it is part
            # of describes that sum; a part asked beside it ('..., and how many ...') is named back
            ws, whole = sums[0]
            t = f.reading.q.tokens
            parts = sorted((s for s, h in spans if self._part_of(h.best, whole)), key=lambda s: s.start)
            made = {p.measure.column for s, h in spans if self._part_of(h.best, whole)
                    for p in cat.concepts.get(h.best, ())}
            clause_of = lambda k: next(((a, b) for a, b in f.reading.q.clauses if a <= k < b), None)  # noqa: E731
            if len(parts) == 1 and clause_of(parts[0].start) == clause_of(ws.start) and parts[0].start != ws.start:
                # 'owning with a mortgage': the one part the sum is narrowed to, said in the same clause
                # (never the sum, which would add the other parts in)
                return next(h.best for s, h in spans if s is parts[0])
            if len(parts) >= 2 and any(set(w.measure.sum_of) <= made for w in cat.concepts.get(whole, ())):
                # every part of the sum named, joined ('owned outright + with mortgage'): the sum itself
                f.joiners |= {k for a, b in zip(parts, parts[1:]) for k in range(a.end, b.start)
                              if t[k] in ("and", "plus", "or")}
                return whole
            for s, h in spans:
                if h.best == whole or self._generic([(s, h)], h.best) or self._member_of(whole, h.best):
                    continue
                if not self._part_of(h.best, whole):
                    break
                between = range(ws.end, s.start) if s.start >= ws.end else range(s.end, ws.start)
                own_clause = next(((a, b) for a, b in f.reading.q.clauses if a <= s.start < b), None)
                if own_clause and s.start > ws.end and not (own_clause[0] <= ws.start < own_clause[1]) and not (
                        set(t[own_clause[0]:own_clause[1]]) & {"how", "what", "whats", "which", "many", "number",
                                                               "share", "percentage", "percent", "also"}):
                    continue     # 'social rented (council and housing association)': the parts it is made of
                if any(t[k] in ("and", "plus") for k in between):
                    f.left_parts.append(f.words(s))
                    f.left_concepts.append(h.best)
            else:
                return whole
        # ('the least deprived by rank of average score on the barriers domain': 'deprived' only says
        # which end of the domain is worse, not a third measure)
        plain = self._without_direction_words(spans)
        ranks = {h.best for _, h in plain if h.best.endswith("_rank")}
        others = {h.best for _, h in plain if not h.best.endswith("_rank") and not self._generic([(_, h)], h.best)}
        if len({h.best for _, h in plain}) == 2 and len(ranks) == 1 and len(others) == 1:
            # 'Sefton's rank on the income deprivation domain (rank of average score)': the rank
            # of the measure named, not the overall index's
            own = re.sub(r"_(score|rate)$", "", next(iter(others))) + "_rank"
            if own in cat.concepts:
                return own
        whole = self._named_by_all(spans, f)
        if whole is not None:
            return whole
        spans = self._without_direction_words(spans)
        if len(spans) == 1:
            return spans[0][1].best
        best = None
        for s, h in sorted(spans, key=lambda x: -x[1].concepts[0][1]):
            c = h.best
            if best is None:
                best = c
                continue
            if c == best:
                continue
            if {lemma(w) for w in h.words if w not in self.fillers} <= self.topics.own_words(best):
                if self._and_between(f, s, [x for x, hh in spans if hh.best == best]) and c in self.catalog.concepts \
                        and not self._member_of(best, c) and not self._member_of(c, best) and not self._related(best, c):
                    # 'the population of Wirral in 2020 and its health index score': a part of its own
                    f.left_parts.append(f.words(s))
                    f.left_concepts.append(c)
                continue             # the measure's own words again ('..., per 1,000 households')
            best_words = [w for x, hh in spans if hh.best == best for w in hh.words]
            if self._names_source(best_words, c) and not self._names_source(h.words, best):
                best = c             # 'mental health score on the ONS health index': the index is c's source
                continue
            if self._names_source(h.words, best):
                continue
            if self._member_of(c, best):
                best = c
            elif self._member_of(best, c):
                continue
            elif self._says_unit_of(h.words, best):
                continue             # 'how many households ... are deprived in 3 or more dimensions': its unit
            elif self._generic([(s, h)], c):
                if self._counts_other_units(c, best):
                    return self._other_units(f, s, c, best)
                counted = self._as_count(f, c, best, [w for x, hh in spans if hh.best == best for w in hh.words])
                if isinstance(counted, Planned):
                    return counted
                if counted:
                    best = counted
                    continue
                if self._and_between(f, s, [x for x, hh in spans if hh.best == best]):
                    # 'the population of Wirral in 2020 and its health index score': a part of its own
                    f.left_parts.append(f.words(s))
                    f.left_concepts.append(c)
                continue
            elif self._generic([x for x in spans if x[1].best == best], best):
                if self._counts_other_units(best, c):
                    return self._other_units(f, next(x for x, hh in spans if hh.best == best), best, c)
                counted = self._as_count(f, best, c, h.words)
                if isinstance(counted, Planned):
                    return counted
                best = counted or c
            elif self._related(best, c):
                continue
            elif self._counts_of(best, c):
                best = c             # 'working hours of lupus participants': a figure about those counted
            elif self._counts_of(c, best):
                continue
            elif not self._joined(f, s, [x for x, h in spans if h.best == best]):
                # 'female GPs', 'income deprivation among older people': one measure said of another
                what = self.catalog.label(best).lower()
                return self._no_data({}, (
                    f"I can't apply '{f.words(s)}' to {what}: the commons holds no {what} figures split that way, "
                    "so I haven't guessed a figure for a different question."), "unexplained", f"{what}, {f.words(s)}")
            else:
                f.left_parts.append(f.words(s))
                f.left_concepts.append(c)
        return best

    def _table_with_its_parts(self, f: Frame, spans) -> tuple[str, str, str, tuple[str, ...]] | None:
        """A table named ('tenure') with measure phrases that are each a part of it, or a sum of its
        parts ('owned, social rented'): (dataset, group, its total, the summed parts named)."""
        span, hit = f.tables[0]
        parts = [(sp, h) for sp, h in spans if not self._generic([(sp, h)], h.best)]
        if not parts:
            return None
        own = [(sp, h) for sp, h in parts if not self._a_total(h.best)]      # (not 'households', the unit)
        if len(own) == 1 and f.cues.get("breakdown") is None and f.cues.get("rank") is None and f.common is None:
            # ('the overcrowding rate (census 2021 bedroom occupancy)': one part, the table it is from said
            # beside it; the part is the figure asked, not the table's every part)
            return None
        for ds, gid, total in hit.options:
            sheet = self.catalog.sheets.get(ds)
            if sheet is None or total not in self.catalog.concepts:
                continue
            mine = []
            for sp, h in parts:
                tied = [c for c, sc in h.concepts if sc == h.concepts[0][1]]
                got = [r.measure for c in tied for r in self.catalog.concepts.get(c, ())
                       if r.dataset == ds and r.measure.group == gid]
                if not got:
                    break
                mine.append(got[0])
            else:
                combined = tuple(dict.fromkeys(m.id for m in mine if m.sum_of and m.id in sheet.measure_by_id))
                return ds, gid, total, combined
        return None

    def _as_many_as_parts(self, n: int, f: Frame, choice: Choice) -> bool:
        """'The 5 high level groups': the number of parts the table named has (else another table)."""
        tables = [choice.table] if choice.table else [(ds, gid) for _, h in f.tables for ds, gid, _ in h.options]
        for ds, gid in tables:
            sheet = self.catalog.sheets.get(ds)
            g = next((g for g in sheet.groups if g.id == gid), None) if sheet else None
            if g is None:
                continue
            parts = [m for m in sheet.measures if m.group == gid and m.id != g.total and not m.sum_of]
            if len(parts) == n:
                return True
        return False

    def _is_total_of(self, part: str, whole: str) -> bool:
        """Is ``whole`` the total of the table ``part`` is in ('population' of 'children aged 0-15')?"""
        return any(g.total == whole for r in self.catalog.concepts.get(part, ()) for g in r.sheet.groups
                   if g.id == r.measure.group)

    def _same_whole(self, part: str, whole: str) -> bool:
        """Is ``whole`` a headline count of the same people as the total of ``part``'s table, in the same
        dataset ('the population' of 'disabled residents', whose table totals usual residents)?"""
        for r in self.catalog.concepts.get(part, ()):
            g = next((g for g in r.sheet.groups if g.id == r.measure.group), None)
            total = r.sheet.measure_by_id.get(g.total) if g else None
            w = next((x.measure for x in self.catalog.concepts.get(whole, ()) if x.dataset == r.dataset), None)
            if total is not None and w is not None and w.summary and w.unit == total.unit and not w.group == g.id:
                return True
        return False

    def _old_wards(self, concept: str) -> bool:
        """Is the measure held on the older ward boundaries only (the 2019 wards of LSOA 2011 data)?"""
        refs = self.catalog.concepts.get(concept, ())
        return bool(refs) and all(WARD_VINTAGE.get(r.sheet.geography.vintage) == min(WARD_VINTAGE.values())
                                  for r in refs)

    @staticmethod
    def _in_table(ref: MeasureRef) -> bool:
        """Is the measure a part of a table with a total (so it has a share of that total)?"""
        return any(g.id == ref.measure.group and g.total != ref.measure.id for g in ref.sheet.groups)

    def _sum_measure(self, concept: str) -> bool:
        """Is the measure a sum of parts of its table ('social rented' = council + other social)?"""
        return any(r.measure.sum_of for r in self.catalog.concepts.get(concept, ()))

    def _a_total(self, concept: str) -> bool:
        """Is the measure the total of a table ('households' of the tenure table)?"""
        return any(g.total == concept for r in self.catalog.concepts.get(concept, ()) for g in r.sheet.groups)

    def _sum_of_parts(self, f: Frame, spans) -> str | None:
        """'renting off the council or housing association': every part of a summed measure, and
        nothing else, named and joined ('or', 'and', 'plus'): that sum."""
        t = f.reading.q.tokens
        # ('how many homes ...': the table's total said with its parts is the unit, not a part)
        ordered = sorted((x for x in spans if not self._generic([x], x[1].best) and not any(
            self._member_of(y[1].best, x[1].best) for y in spans if y is not x)), key=lambda x: x[0].start)
        if len(ordered) < 2:
            return None
        gaps = [range(a.end, b.start) for (a, _), (b, _) in zip(ordered, ordered[1:])]
        if not all(any(t[k] in ("or", "and", "plus") for k in g) and len(g) <= 3 for g in gaps):
            return None
        for concept, refs in self.catalog.concepts.items():
            for ref in refs:
                parts = set(ref.measure.sum_of)
                if len(parts) != len(ordered) or not parts:
                    continue
                cols = [{r.measure.column for c, sc in h.concepts if sc == h.concepts[0][1]
                         for r in self.catalog.concepts.get(c, ()) if r.dataset == ref.dataset} for _, h in ordered]
                if all(c & parts for c in cols) and set().union(*cols) & parts == parts and \
                        len({frozenset(c & parts) for c in cols}) == len(ordered):
                    f.joiners |= {k for g in gaps for k in g if t[k] in ("or", "and", "plus")}
                    return concept
        return None

    def _as_count(self, f: Frame, generic: str, specific: str, words) -> str | Planned | None:
        """'how many people income deprived': a head count asked of a measure that is a rate or a
        score is the count measure of those people, when the commons holds one (never the rate);
        None when the question asks no count of that unit."""
        refs = self.catalog.concepts.get(specific, ())
        t = f.reading.q.tokens
        asked = f.cues.get("count") is not None or any(t[i:i + 2] in (["how", "many"], ["number", "of"])
                                                         for i in range(len(t) - 1))
        if not asked or f.share is not None or f.per is not None or f.rate_word is not None or not refs \
                or refs[0].measure.format not in ("percent", "rate", "score", "ratio"):
            return None
        unit = self._unit(generic)
        if unit not in ("people", "households"):
            return None
        said = {lemma(w) for w in words if w not in self.fillers and w not in self.generic}
        counts = [c for c, rs in self.catalog.concepts.items() if c != generic and said and
                  rs[0].measure.format == "count" and self._unit(c) == unit and said <= self.topics.own_words(c)]
        if len(counts) > 1:
            # ('income deprived' is said of all people, of children and of older people): the count
            # whose label is headed by the unit itself ('People in income deprivation'), if one
            plain = [c for c in counts if normalise(self.catalog.label(c)).split()[:1] == [unit]]
            counts = plain if len(plain) == 1 else counts
        if len(counts) == 1:
            return counts[0]
        what = self.catalog.label(specific).lower()
        return self._no_data({}, (f"I understood a number of {unit} ({' '.join(words)}), but {what} is a "
                                  f"{refs[0].measure.format}, not a count of {unit}, and the commons holds "
                                  + ("no count of them" if not counts else "more than one count that could be meant")
                                  + ", so I haven't given the rate instead."), "unexplained", f"how many {unit}, {what}")

    def _says_unit_of(self, words, concept: str) -> bool:
        """The words only name what ``concept`` counts ('how many households', 'number of people')."""
        unit = {lemma(w) for w in self._unit(concept).split()}
        said = {lemma(w) for w in words if w not in ("how", "many", "number", "of", "the", "total", "no")}
        return bool(said) and said <= unit

    def _unit(self, concept: str) -> str:
        refs = self.catalog.concepts.get(concept, ())
        return normalise(refs[0].measure.unit) if refs else ""

    def _counts_other_units(self, generic: str, specific: str) -> bool:
        """'people' said of a figure counted in households ('how many people live in flats'):
        the head count named is of other things than the measure counts."""
        a, b = self._unit(generic), self._unit(specific)
        heads = {"people", "households"}
        return a in heads and b in heads and a != b

    def _other_units(self, f: Frame, span, generic: str, specific: str) -> Planned:
        """A question back: the figure held counts other things than the ones asked about; it is
        offered by name, and given only when chosen."""
        what = self.catalog.label(specific)
        unit, asked = self._unit(specific), self._unit(generic)
        low = what[:1].lower() + what[1:]
        return Planned("clarify", message=(
            f"The commons holds {low}, a count of {unit}, not of {asked}, so I haven't given it as a number of "
            f"{asked}. Would the number of {unit} do?"),
            options=(what,), reason="other_units",
            state={"pending": {"question": f.reading.q.original, "metrics": [[what, specific]]}},
            understood=f"Understood: a number of {asked} ('{f.words(span)}'); the commons holds {low}, counted in {unit}.")

    def _named_by_all(self, spans, f: Frame | None = None) -> str | None:
        # every phrase's words are the words of one measure ('mortality' in 'the health index'):
        # that measure, the most specific reading of them together
        words = [{lemma(w) for w in h.words if w not in self.fillers and w not in self.generic} for _, h in spans]
        words = [ws for ws in words if ws]
        if len(words) < 2:
            return None
        if f is not None and len(spans) == 2 and spans[0][1].best != spans[1][1].best and \
                self._and_between(f, spans[0][0], [spans[1][0]]):
            return None           # 'the population ... and its health index score': two parts, each its own
        cands = {c for _, h in spans for c, _ in h.concepts}
        fits = [c for c in self.catalog.concepts if all(ws <= self.topics.own_words(c) for ws in words)]
        named = [c for c in fits if c in cands]
        if len(named) == 1 or (not named and len(fits) == 1):
            return (named or fits)[0]
        pool = named or fits
        # several forms of one indicator (its score, rank, average rank): the headline score
        heads = [c for c in pool if c.endswith("_score")]
        if len(heads) == 1 and all(self._related(heads[0], c) for c in pool):
            return heads[0]
        if f is not None:
            # 'how many children ... income-deprived families': the count among them; '... what's
            # the rate?': the rate (the kind of figure asked, when one measure alone is of that kind)
            fmt = {c: self.catalog.concepts[c][0].measure.format for c in pool}
            if f.cues.get("count") is not None and f.rate_word is None and f.share is None and f.per is None:
                kind = [c for c in pool if fmt[c] == "count"]
            elif f.rate_word is not None or f.share is not None:
                kind = [c for c in pool if fmt[c] in ("rate", "percent", "score") and c.endswith("_score")]
            else:
                kind = []
            if len(kind) == 1:
                return kind[0]
        return None

    def _additive(self, concept: str) -> bool:
        return any(r.measure.rollup == "sum" for r in self.catalog.concepts.get(concept, []))

    def _counts_of(self, count: str, other: str) -> bool:
        """Is ``count`` the head count of a dataset that also holds ``other`` (its people)?"""
        for ref in self.catalog.concepts.get(count, []):
            m = ref.measure
            if m.format == "count" and m.rollup in ("sum", "count") and (m.summary == 1 or m.group is None) and \
                    any(r.dataset == ref.dataset for r in self.catalog.concepts.get(other, [])) and \
                    ref.sheet.person_level:
                return True
        return False

    @staticmethod
    def _and_between(f: Frame, s, others) -> bool:
        """Two measure phrases with 'and' between them and no other measure or area word."""
        t = f.reading.q.tokens
        for o in others:
            a, b = (o, s) if o.end <= s.start else (s, o)
            if any(w in ("and", "also", "plus") for w in t[a.end:b.start]) or Resolver._or_compared(t, a, b):
                return True
        return False

    COMPARED = frozenset("more fewer less higher lower bigger smaller".split())

    @staticmethod
    def _or_compared(t: list[str], a, b) -> bool:
        """'were there more women or men': two figures asked side by side, to see which is more."""
        return t[a.end:b.start] == ["or"] and a.start > 0 and t[a.start - 1] in Resolver.COMPARED

    @staticmethod
    def _joined(f: Frame, s, others) -> bool:
        # two measure phrases asked as two parts ('population and households', 'rank, and decile')
        t = f.reading.q.tokens
        starts = {a for a, _ in f.reading.q.clauses[1:]}
        for o in others:
            a, b = (o, s) if o.end <= s.start else (s, o)
            between = t[a.end:b.start]
            if any(w in ("and", "also", "plus") for w in between) or Resolver._or_compared(t, a, b):
                return True
            if any(a.end <= x <= b.start for x in starts):
                return True
        return False

    def _member_of(self, member: str, total: str) -> bool:
        for ref in self.catalog.concepts.get(member, []):
            for g in ref.sheet.groups:
                if g.total == total and ref.measure.group == g.id:
                    return True
        return False

    def _dimension_words(self, filters) -> frozenset[str]:
        words: set[str] = set()
        for ds, column, _, _ in filters or ():
            sheet = self.catalog.sheets.get(ds)
            for d in (sheet.dimensions if sheet else ()):
                if d.column == column:
                    for text in (d.label, *d.synonyms):
                        words |= {lemma(w) for w in normalise(text).split() if w not in self.fillers}
        return frozenset(words)

    def _parts_beside(self, f: Frame, whole: str, i: int) -> bool:
        """Is word ``i`` ('plus') between two parts of the sum ``whole``, or a part and words of another
        part ('council plus housing association/other social')?"""
        t = f.reading.q.tokens
        before = any(self._part_of(h.best, whole) and 0 <= i - sp.end <= 1 for sp, h in f.measures) or (
            i and any(lemma(t[i - 1]) in self.topics.own_words(c) for c in self._parts(whole)))
        after = any(self._part_of(h.best, whole) and 0 <= sp.start - i <= 2 for sp, h in f.measures)
        return before and after

    def _parts(self, whole: str) -> list[str]:
        return [c for c in self.catalog.concepts if self._part_of(c, whole)]

    def _part_of(self, part: str, whole: str) -> bool:
        """A measure whose column is one of the columns another measure of its dataset sums."""
        for w in self.catalog.concepts.get(whole, []):
            if w.measure.sum_of:
                for p in self.catalog.concepts.get(part, []):
                    if p.dataset == w.dataset and p.measure.column in w.measure.sum_of:
                        return True
        return False

    def _without_direction_words(self, spans):
        """'most deprived on the education domain': a phrase that only says which end of another
        measure's scale is worse ('deprived' of a measure whose higher end is 'more deprived')
        is the ranking's direction, not a second measure."""
        def worse_words(c):
            refs = self.catalog.concepts.get(c, [])
            w = refs[0].measure.worse if refs else None
            return {lemma(x) for x in normalise(w).split()} - {"more", "less"} if w else set()
        kept = []
        for s, h in spans:
            said = {lemma(w) for w in h.words if w not in self.fillers} - {"most", "more", "least", "less"}
            others = [hh.best for ss, hh in spans if hh.best != h.best]
            if said and others and any(said <= worse_words(c) for c in others) and len(h.words) <= 3:
                continue
            kept.append((s, h))
        return kept if kept else spans

    def _names_source(self, words, concept: str) -> bool:
        """Whether ``words`` only name the dataset ``concept`` is published in ('the ONS health
        index' of its mental health subdomain): each is a word of that dataset's title."""
        said = {lemma(w) for w in words if w not in self.fillers and w not in self.generic}
        if not said:
            return False
        for ref in self.catalog.concepts.get(concept, []):
            # the title's head, the name of the source itself ('ONS Health Index' of 'ONS Health
            # Index for councils, 2015 to 2021: subdomain scores'), not the topics it lists
            head = re.split(r"[:,(]| for | by ", ref.sheet.title, maxsplit=1)[0]
            if said <= {lemma(w) for w in normalise(head).split()}:
                return True
            # or by one of its aliases, every word of the phrase ('IMD' of '2025 imd')
            plain = {w for w in words if w not in self.fillers}
            for alias in ref.sheet.aliases:
                aw = set(normalise(alias).split())
                if plain and plain <= aw and len(aw) > len(plain):
                    return True
        return False

    def _related(self, a: str, b: str) -> bool:
        base = lambda c: re.sub(r"_(score|rank|decile|average_rank|average_score)$", "", c)  # noqa: E731
        return base(a) == base(b)

    def _generic(self, spans, concept) -> bool:
        own = [w for s, h in spans if h.best == concept for w in h.words]
        return bool(own) and all(w in self.generic or w in self.fillers for w in own)

    def _ages(self, concept: str, f: Frame):
        """The age-table part the ages name, or a filter on an age-band dimension."""
        cat = self.catalog
        span, age = f.ages[0]
        words = f.words(span)
        refs = cat.concepts.get(concept, [])
        for ref in refs:
            sheet = ref.sheet
            group = ref.measure.group
            members = [m for m in sheet.measures if m.ages is not None and (m.group == group or group is None)]
            for m in members:
                lo, hi = m.ages
                if lo == age.lo and hi == age.hi:
                    return m.id, []
            dim = next((d for d in sheet.dimensions if d.column == "age_band"), None)
            if dim is not None:
                vals = self._age_values(sheet.id, age)
                if vals:
                    return concept, [(sheet.id, "age_band", tuple(vals), False)]
        alone = self._ages_alone(f, age)
        if alone is not None and refs and all(r.measure.unit in ("people", "residents", "persons") and r.measure.format
                                              == "count" and r.measure.ages is None
                                              and any(g.total == r.measure.id for g in r.sheet.groups) for r in refs):
            # 'usual residents aged 65+': a head count of everyone, of an age group: that age group's count
            return alone, []
        bands = sorted({m.ages for r in refs for m in r.sheet.measures if m.ages}, key=lambda a: a[0])
        held = ", ".join(f"{a}-{b}" if b is not None else f"{a} and over" for a, b in bands)
        return (f"I can't apply '{words}' to {cat.label(concept).lower()}: "
                + (f"the commons holds ages in bands ({held}), and '{words}' is not one of them"
                   if held else "the commons holds no age breakdown of it") + ", so I haven't guessed.")

    def _age_values(self, dataset: str, age) -> list[str]:
        out = []
        for v in self.catalog.dim_values.get((dataset, "age_band"), ()):
            m = re.fullmatch(r"(\d+)\s*[-–]\s*(\d+)", v) or re.fullmatch(r"(\d+)\+", v)
            if not m:
                continue
            lo = int(m.group(1))
            hi = int(m.group(2)) if m.lastindex == 2 else None
            if lo >= age.lo and (age.hi is None or (hi is not None and hi <= age.hi)):
                out.append(v)
        covered_lo = min((int(re.match(r"\d+", v).group(0)) for v in out), default=None)
        if not out or covered_lo != max(age.lo, 16 if covered_lo and covered_lo >= 16 else age.lo):
            return out if out and covered_lo == age.lo else []
        return out

    def _complement(self, f: Frame, spans, state: dict) -> Choice | Planned | None:
        """'households that are NOT private renters', 'residents excluding anyone disabled', 'the
        population not counting the over 65s': the table's total less the parts named, when the
        parts are of one table and what else the question names is that total (or a plain head
        count of the same things); otherwise said back, never dropped."""
        cat = self.catalog
        said = ", ".join(f"'{f.words(x)}'" for _, x in f.complements)
        topic = self._topic_words(f)

        def decline(why: str) -> Planned:
            return self._no_data(state, f"I can't leave {said} out here: {why}, so I haven't given a figure "
                                        "for a different question.", "unexplained", f"{topic} leaving out {said}")

        parts: list[str] = []
        used: set[int] = set()
        taken = {id(x) for _, x in f.complements}
        for op, x in f.complements:
            used |= set(op.positions) | set(x.positions)
            if x.slot == "age":
                c = self._ages_alone(f, x.value)
                if c is None:
                    return self._no_data(state, self._ages_held(f.words(x)), "unexplained", f"{topic} leaving out {said}")
            else:
                c = x.value.best
            parts.append(c)
        if any(id(s) not in taken for s, _ in f.ages) or f.categories or f.condition is not None:
            return decline("the commons can take a part of a table off its total, but not together with "
                           "other ages, categories or conditions in one question")
        tables = []      # (sheet, group) holding every part
        for sheet in cat.sheets.values():
            if sheet.person_level:
                continue
            ms = [sheet.measure_by_id.get(c) for c in parts]
            groups = {m.group for m in ms if m is not None}
            if all(m is not None and m.rollup == "sum" for m in ms) and len(groups) == 1:
                g = next((g for g in sheet.groups if g.id in groups and g.total not in parts), None)
                if g is not None:
                    tables.append((sheet, g))
        if not tables:
            # not parts of one table: the operator governs nothing the plan can express, and is said back
            for op, x in f.complements:
                if op.slot == "exclude":
                    f.excluders.append(x if x.slot == "measure" else op)
                else:
                    f.loose_negations.append(op)
            f.complements = []
            return None
        total = tables[0][1].total
        columns = set()
        for sheet, g in tables:
            for c in parts:
                m = sheet.measure_by_id[c]
                columns |= set(m.summed_columns)
        unit = tables[0][0].measure_by_id[total].unit
        sheet0, g0 = tables[0]
        leaves = {col for m in sheet0.measures if m.group == g0.id and m.id != g0.total and m.in_breakdown
                  for col in (m.column,) if col}
        restated = sibling = None
        for s, h in spans:
            if id(s) in taken:
                continue
            c = h.best
            m0 = sheet0.measure_by_id.get(c)
            cols0 = set(m0.summed_columns) if m0 is not None and m0.group == g0.id else set()
            if cols0 and not cols0 & columns and cols0 | columns == leaves:
                # 'deprived in at least one dimension (everyone except the not deprived)': the measure
                # named is the rest of the table, said again by what it leaves out
                restated = c
                used |= set(s.positions)
                continue
            if cols0 and not cols0 & columns and sibling is None and c != g0.total:
                # 'households renting from the council itself - not housing associations': another
                # part of the table, which the parts left out are not in anyway
                sibling = c
                used |= set(s.positions)
                continue
            within = [sheet.measure_by_id.get(c) for sheet, _ in tables]
            if any(m is not None and m.group == g.id and set(m.summed_columns) <= columns
                   for m, (_, g) in zip(within, tables)):
                used |= set(s.positions)          # 'social housing (council and housing association)'
                continue
            head = [r.measure for r in cat.concepts.get(c, ())]
            if c == total or (any(r.measure.id == g.total for r in cat.concepts.get(c, ()) for g in r.sheet.groups)
                              and all(m.unit == unit for m in head)) or self._generic([(s, h)], c):
                used |= set(s.positions)          # 'households', 'residents', 'population': the total
                continue
            return decline(f"{cat.label(c).lower()} is not the total that {said} {'is' if len(parts) == 1 else 'are'} "
                           f"part of ({cat.label(total).lower()})")
        for s, hit in f.tables:
            if not any((sheet.id, g.id) == (o[0], o[1]) for o in hit.options for sheet, g in tables):
                return decline(f"'{f.words(s)}' is another table than the one {said} belongs to")
            used |= set(s.positions)
        f.tables = []         # the table named is the one the parts are taken from, not a breakdown asked
        share = bool(f.share) and f.cues.get("count") is None
        if restated is not None:
            return Choice(restated, [], share, used_words=frozenset(used))
        if sibling is not None:
            return Choice(sibling, [], share, used_words=frozenset(used),
                          note=f"{cat.label(sibling)} does not include {said}, so nothing was taken off.")
        return Choice(total, [], share, used_words=frozenset(used), less=tuple(dict.fromkeys(parts)))

    CHANGE = {"up": frozenset("rose rise rises risen grew grow growth increase increased increases gained gain gains "
                              "gaining".split()),
              "down": frozenset("fell fall falls fallen drop dropped drops decline declined decrease decreased "
                                "shrank lost lose loses losing down".split()),
              "better": frozenset("improved improvement improve improvements".split()),
              "worse": frozenset("worsened worsening deteriorated deterioration".split())}
    MOST = frozenset("most biggest largest greatest sharpest fastest steepest worst top highest".split())

    def _change_asked(self, f: Frame, choice: Choice, carried: Carried | None = None) -> Choice:
        """'which council's score rose the most', 'the biggest improvement': places ranked by their
        change between two periods.  The words are used only by a plan that ranks the change
        (``_shape`` declines otherwise, naming them)."""
        t = f.reading.q.tokens
        said = [i for i in range(len(t)) if any(t[i] in ws for ws in self.CHANGE.values())
                and (i in f.reading.uncovered or f.reading.slot_at(i) == "intent")
                and not (t[i] == "down" and (not i or t[i - 1] not in ("go", "gone", "went", "going", "goes")))]
        most = [i for i in range(len(t)) if t[i] in self.MOST]
        comparative = self._compared_over_time(f)
        if comparative is not None and not said and f.cues.get("count") is not None and f.levels \
                and f.condition is None and choice.change is None:
            # 'how many St Helens LSOAs had a smaller population in mid-2020 than in mid-2017': the areas
            # counted by the direction of their change from the earlier period to the later
            kind, used = comparative
            extra = {i for i in f.reading.uncovered if t[i] in ("saw", "see", "had", "has", "the", "in", "its", "their", "a")}
            return replace(choice, change=kind, change_count=True,
                           used_words=choice.used_words | frozenset(used) | frozenset(extra))
        if said and not most and f.periods and f.cues.get("count") is not None and f.levels and f.condition is None \
                and choice.change is None:
            # 'how many Wirral LSOAs lost population between 2017 and 2020': the areas counted by the
            # direction of their change
            kind = next(k for k, ws in self.CHANGE.items() if t[said[0]] in ws)
            extra = {i for i in f.reading.uncovered if t[i] in ("saw", "see", "had", "has", "the", "in", "its", "their")}
            return replace(choice, change=kind, change_count=True,
                           used_words=choice.used_words | frozenset(said) | frozenset(extra))
        # ('... grew fastest over that same period': the range the question before asked)
        ranged = bool(f.periods) or (carried is not None and bool(carried.when) and any(
            s.slot == "followup" and "same" in str(s.value) for s in f.reading.spans))
        if not said or not most or not ranged:
            return choice
        kind = next(k for k, ws in self.CHANGE.items() if t[said[0]] in ws)
        extra = {i for i in f.reading.uncovered if t[i] in ("saw", "see", "had", "has", "the", "in", "its", "their")
                 or (t[i] == "terms" and i and t[i - 1] in ("percent", "percentage", "relative", "absolute", "real"))
                 or (t[i] == "first" and (i - 1 in said or i - 1 in most))}     # 'worst drop first'

        # 'the biggest percentage increase', 'fastest growth in % terms': the change relative to where it began
        # (said of the change itself; 'the percentage of over 65s rose the most' is a share's change)
        changes = set().union(*self.CHANGE.values()) | {"change", "changes", "terms"}
        relative = any(w in ("percent", "percentage", "pc", "relative", "proportional", "proportionate")
                       and ((i + 1 < len(t) and t[i + 1] in changes) or (i and t[i - 1] in ("in", "as", "by")
                                                                          and i > said[0]))
                       for i, w in enumerate(t))
        if relative:
            # ('grew fastest in %': the per cent said of the change, not a share asked)
            extra |= {i for i in range(len(t)) if t[i] in ("percent", "percentage", "pc") and i in f.reading.uncovered}
        return replace(choice, change=kind, change_pct=relative, share=choice.share and not relative,
                       used_words=choice.used_words | frozenset(said) | frozenset(most) | frozenset(extra))

    AVERAGE = frozenset(("average", "averages", "averaged", "mean"))
    SMALLER = frozenset("smaller lower fewer less lesser".split())
    BIGGER = frozenset("bigger larger higher more greater".split())

    def _compared_over_time(self, f: Frame) -> tuple[str, set[int]] | None:
        """'a smaller population in mid-2020 than in mid-2017': a comparative said between two single
        periods joined by 'than', as the direction of the change from the earlier to the later
        ('up' or 'down') and the words it used; None otherwise."""
        if len(f.periods) != 2:
            return None
        t = f.reading.q.tokens
        (s1, w1), (s2, w2) = sorted(f.periods, key=lambda x: x[0].start)
        if not (w1.start and w2.start) or w1.start == w2.start or "than" not in t[s1.end:s2.start]:
            return None
        words = [i for i in f.reading.uncovered if i < s1.start and (t[i] in self.SMALLER or t[i] in self.BIGGER)
                 and s1.start - i <= 4]
        if len(words) != 1:
            return None
        smaller = t[words[0]] in self.SMALLER
        later_first = w1.start > w2.start
        kind = ("down" if smaller else "up") if later_first else ("up" if smaller else "down")
        than = {i for i in range(s1.end, s2.start) if t[i] in ("than", "in", "at", "it", "was", "did")}
        return kind, set(words) | than

    def _per_period(self, f: Frame, choice: Choice, carried: Carried | None) -> Choice:
        """'on average, how many crimes a month', 'average monthly burglaries': the mean per month
        of a count that adds over months, when both the average and the month are said (or the
        question before asked for it); the words are used by the choice and the month is not a
        breakdown.  An 'average' said without its period is left for the coverage rule."""
        t = f.reading.q.tokens
        refs = self.catalog.concepts.get(choice.concept, ())
        monthly = {(r.sheet.id, r.sheet.time.column) for r in refs if r.sheet.time.additive
                   and r.sheet.time.granularity == "month" and r.measure.rollup in ("sum", "count")}
        if not monthly:
            return choice
        said = [i for i in f.reading.uncovered if t[i] in self.AVERAGE]
        months = [(s, h) for s, h in f.dimensions if any(o in monthly for o in h.options)]
        if said and months:
            f.dimensions = [d for d in f.dimensions if d not in months]
            used = set(said) | {i for s, _ in months for i in s.positions}
            return replace(choice, per_period=True, used_words=choice.used_words | frozenset(used))
        if carried is not None and carried.per_period and not months and not said and carried.measure == choice.concept:
            return replace(choice, per_period=True)
        return choice

    RANGE_WORDS = (("lowest", "and", "highest"), ("highest", "and", "lowest"), ("min", "and", "max"),
                   ("minimum", "and", "maximum"), ("max", "and", "min"), ("maximum", "and", "minimum"),
                   ("low", "and", "high"), ("high", "and", "low"), ("peak", "and", "trough"), ("best", "and", "worst"),
                   ("worst", "and", "best"), ("range",))

    def _series_stat(self, f: Frame, choice: Choice) -> Choice:
        """'the average of Wirral's healthy lives score over 2015 to 2021', 'the range of St Helens'
        score across 2015-2021, lowest and highest': one place's yearly series asked as its mean or
        its lowest and highest (a figure per period that does not add up; an average per month of
        a count is _per_period's)."""
        if choice.per_period or len(f.periods) != 1:
            return choice
        w = f.periods[0][1]
        if not (w.start and w.end and (w.start[0] != w.end[0] if w.grain == "year" else w.start != w.end)) \
                or w.kind == "set":
            return choice
        refs = self.catalog.concepts.get(choice.concept, ())
        if not refs or any(r.measure.rollup in ("sum", "count") and r.sheet.time.additive for r in refs):
            return choice
        t = f.reading.q.tokens
        left = [i for i in f.reading.uncovered if i not in choice.used_words]
        # (not the 'average' of a measure's own name: the IMD's 'average score', 'average rank')
        named = self.topics.own_words(choice.concept) if choice.concept in self.catalog.concepts else frozenset()
        mean = [i for i in left if t[i] in self.AVERAGE and t[i] not in named]
        said: set[int] = set()
        for p in self.RANGE_WORDS:
            for i in range(len(t) - len(p) + 1):
                if tuple(t[i:i + len(p)]) == p and all(k in left or r_slot in ("order", "filler")
                                                        for k in range(i, i + len(p))
                                                        for r_slot in [f.reading.slot_at(k)]):
                    said |= set(range(i, i + len(p)))
        if mean and not said:
            return replace(choice, stat="mean", used_words=choice.used_words | frozenset(mean))
        if said and not mean:
            f.order, f.order_word = None, ""      # ('lowest and highest' is the range, not an order)
            return replace(choice, stat="range", used_words=choice.used_words | frozenset(said))
        return choice

    def _change_plan(self, f: Frame, choice: Choice, ref, periods: Periods, filters, intent, over, places,
                     state: dict, when, limit: int | None = None) -> Planned:
        """The places ranked by their change from the first period asked to the last."""
        what = self._say_measure(choice.concept, choice.filters)
        said = {"up": "rise", "down": "fall", "better": "improvement", "worse": "worsening"}[choice.change]

        def decline(why: str) -> Planned:
            return self._no_data(state, f"I can't rank the {said} in {what}: {why}, so I haven't given a figure for "
                                        "a different question.", "unexplained", f"the {said} in {what}")
        if len(periods.values) < 2:
            return decline("a change needs two periods, and only one was asked or is held")
        kind = choice.change
        if kind in ("better", "worse"):
            d = ref.measure.direction
            if d == "neutral":
                return decline(f"{what} has no better or worse direction")
            kind = "up" if (kind == "better") == (d == "higher_is_better") else "down"
        named = None
        if choice.change_count:
            level = f.levels[0][1]
            scope = places[0] if places else self.gaz.region()
            if len(places) > 1 or LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(scope.level):
                return decline(f"areas are counted by their change inside one larger area")
            over = Areas(level)
            intent, places = "ranking", [scope]
        if intent in ("ranking", "breakdown") and isinstance(over, Areas) and over.level == "lad" and (
                not places or places[0].level == "region"):
            # ('which council's population grew fastest': the councils of the city region, ranked)
            rows = self.gaz.lads()
        elif len(places) >= 2:
            rows = places
        elif intent in ("ranking", "breakdown") and isinstance(over, Areas) and len(places) == 1 and \
                LEVEL_ORDER.index(over.level) < LEVEL_ORDER.index(places[0].level) and len(
                    inner := self.gaz.areas_in(over.level, places[0], ref.sheet.geography.vintage
                                               if over.level == ref.sheet.geography.level == "lsoa" else None)) <= 400:
            # ('which 3 Sefton wards grew the most'): the areas inside the place named, ranked (one row
            # per neighbourhood of the dataset's boundaries)
            rows = inner
            named = (over.level, places[0].display)
        else:
            return decline("it is ranked among the councils of the city region, or among places named together")
        rows = [p for p in rows if self.catalog.supports(ref, p)]
        if named is not None:
            named = f"the {len(rows)} {LEVEL_ROWS.get(named[0], named[0])} of {named[1]}"
        ends = Periods((periods.values[0], periods.values[-1]))
        try:
            plan = TrendPlan(Subject(ref.measure.id, ref.sheet.id, ends, filters), tuple(p.key for p in rows),
                             share=choice.share, rank_change="desc" if kind == "up" else "asc",
                             change_pct=choice.change_pct, limit=limit if limit and limit > 1 else None,
                             count_change=choice.change_count)
            queries.validate(plan, self.catalog, self.gaz)
        except (PlanInvalid, NotAvailable) as e:
            return decline(str(e))
        first, last = (periods_label(ref.sheet, (v,)) for v in ends.values)
        if choice.change_count:
            understood = (f"Understood: how many of {named or ', '.join(p.display for p in rows)} had a "
                          f"{'rise' if kind == 'up' else 'fall'} in {ref.measure.label.lower()} from {first} to {last}.")
            return Planned("data", plan, message="", state={**state, "pending": None, "frame": self._carry(
                plan, when, f).to_state(), "last": None}, understood=understood)
        understood = (f"Understood: {named or ', '.join(p.display for p in rows)} ranked by the "
                      + ("percentage " if choice.change_pct else "") + "change in "
                      f"{ref.measure.label.lower()}{' as a share of the total' if choice.share else ''} from {first} to {last}, "
                      f"{'biggest rise' if kind == 'up' else 'biggest fall'} first"
                      + (f" (an {said} is a {'rise' if kind == 'up' else 'fall'} on this measure)"
                         if choice.change in ("better", "worse") else "")
                      + (f" (top {plan.limit})" if plan.limit else "") + ".")
        return Planned("data", plan, message="", state={**state, "pending": None, "frame": self._carry(
            plan, when, f).to_state(), "last": None}, understood=understood)

    def _less_in(self, ref, less: tuple[str, ...]) -> tuple[str, ...] | str:
        """The parts left out, as measures of the dataset the total was read from."""
        sheet = ref.sheet
        group = next((g for g in sheet.groups if g.total == ref.measure.id), None)
        missing = [c for c in less if group is None or c not in sheet.measure_by_id
                   or sheet.measure_by_id[c].group != group.id]
        if missing:
            return (f"{sheet.title} does not split {ref.measure.label.lower()} into "
                    f"{' and '.join(self.catalog.label(c).lower() for c in missing)}, so I can't leave "
                    f"{'it' if len(missing) == 1 else 'them'} out of it there")
        return less

    @staticmethod
    def _excluded_span(f: Frame, span) -> bool:
        return any(x.slot in ("exclude", "negate") and 0 <= span.start - x.end <= 2 for x in f.reading.spans)

    def _ages_held(self, words: str) -> str:
        bands = sorted({r.measure.ages for refs in self.catalog.concepts.values() for r in refs if r.measure.ages},
                       key=lambda a: (a[0], a[1] or 999))
        held = ", ".join(f"{a}-{b}" if b is not None else f"{a} and over" for a, b in bands)
        return (f"I can't apply '{words}': the commons holds people by age only in the bands {held}, and '{words}' "
                "is not one of them, so I haven't given a figure for another age group.")

    def _ages_alone(self, f: Frame, age=None) -> str | None:
        if age is None:
            span, age = f.ages[0]
        for concept, refs in self.catalog.concepts.items():
            for r in refs:
                if r.measure.ages == (age.lo, age.hi):
                    return concept
        return None

    def _edition_holds(self, f: Frame):
        """The test 'is this measure held in the edition named' (a source, or the year of a fixed
        edition), or None when the question names no edition."""
        years = {str(y) for y in f.single_years}
        named = frozenset.union(*(ds for _, ds in f.sources)) if f.sources else frozenset()
        if not years and not named:
            return None
        # (a source named is its edition: every table published in it, such as the IoD 2019 indicators)
        editions = {self.catalog.sheets[ds].time.label for ds in named if ds in self.catalog.sheets}

        def held(c: str) -> bool:
            return any((not named or r.dataset in named or r.sheet.time.label in editions) and (
                not years or r.sheet.time.granularity != "fixed" or r.sheet.time.period in years)
                for r in self.catalog.concepts.get(c, ()))
        return held

    @staticmethod
    def _said_included(t: list[str], span) -> bool:
        """'(including ASB)', 'count anti-social behaviour too', 'include burglary as well': a category
        said to be counted in the figure, not a filter to it alone."""
        a, b = span.start, span.end
        prev, prev2 = (t[a - 1] if a else ""), (t[a - 2] if a > 1 else "")
        too = t[b:b + 1] in (["too"], ["included"]) or t[b:b + 2] == ["as", "well"]
        if prev in ("including", "incl", "inc", "includes"):
            return True
        if t[b:b + 1] == ["included"] or t[b:b + 2] in (["is", "included"], ["are", "included"], ["was", "included"]):
            return True         # '(ASB included in the total)'
        return prev in ("include", "count", "counting", "with") and (too or prev2 == "also") or (
            prev == "also" and prev2 in ("include", "count", "counting"))

    def _finer_classes(self, ref) -> Measure | None:
        """A category measure of the same dataset whose classes each refine one of ``ref``'s ('Urban
        conurbation' within 'Urban'): the split that shows both."""
        sheet, m = ref.sheet, ref.measure
        mine = self.catalog.dim_values.get((sheet.id, m.column), ())
        for other in sheet.measures:
            if other.format != "category" or other.column == m.column:
                continue
            vals = self.catalog.dim_values.get((sheet.id, other.column), ())
            if mine and len(vals) > len(mine) and all(any(v.startswith(x) for x in mine) for v in vals):
                return other
        return None

    def _says_worse_end(self, concept: str | None, word: str) -> bool:
        """Does ``word`` name a measure of the same family of scales as ``concept`` (the same worse end,
        such as 'more deprived'): 'poor', 'skint' said of a deprivation score."""
        refs = self.catalog.concepts.get(concept or "", ())
        worse = refs[0].measure.worse if refs else None
        if not worse or len(word) < 3:
            return False
        family = [c for c, rs in self.catalog.concepts.items() if rs[0].measure.worse == worse]
        root = lemma(word)
        # (never a word for the kind of figure, such as 'average', 'rate': those say what is asked of the measure)
        return word not in self.generic and word not in self.topics.quiet_words and any(
            root in self.topics.own_words(c) for c in family)

    ROW_CUES = frozenset(("by", "each", "every", "per", "across", "between", "among"))

    def _deciles_as_rows(self, f: Frame, choice: Choice, places: list[Place]) -> Categories | None:
        """'Halton LSOAs by IoD 2025 IMD decile', 'how many LSOAs in each decile', 'the spread across the
        deciles': the deciles are the rows (the areas counted in each), not a figure of each area."""
        refs = self.catalog.concepts.get(choice.concept, ())
        if not refs or refs[0].measure.format != "decile" or len(places) > 1 or f.condition is not None:
            return None
        if places and places[0].level not in ("lad", "region", "ward"):
            return None
        t = f.reading.q.tokens
        spans = [s for s, h in f.measures if h.best == choice.concept]
        said = any(t[k] in self.ROW_CUES for s in spans for k in range(max(0, s.start - 4), s.start)) or any(
            w in ("deciles",) for s in spans for w in t[s.start:s.end]) or "deciles" in t
        spread = f.cues.get("breakdown") is not None and any(
            w in ("distribution", "spread", "split", "breakdown", "break", "broken") for w in f.words(f.cues["breakdown"]).split())
        if not (said or spread) or f.order is not None or f.limit is not None:
            return None
        return Categories(refs[0].measure.column)

    ABOVE = frozenset("more higher above greater bigger larger over worse".split())
    BELOW = frozenset("fewer less lower below smaller under better".split())

    def _beyond(self, f: Frame, bench) -> str | None:
        """'how many of the councils have more ... than the England average', '... are above England':
        the areas on one side of the benchmark counted ('above' or 'below'), or None."""
        if f.cues.get("count") is None:
            return None
        t = f.reading.q.tokens
        at = next((p.span.start for p in f.places if p.found.candidates and p.found.candidates[0] is bench), None)
        if at is None:
            at = next((p.span.start for p in f.places if p.found.candidates and
                       p.found.candidates[0].level == "country"), None)
        if at is None:
            return None
        before = t[f.cues["count"].end:at]
        if before[-2:] not in (["than", "the"], ["than"]) and before[-1:] != ["than"] and not (
                before and before[-1] in ("above", "below", "under", "over")) and before[-2:-1] not in (
                ["above"], ["below"]):
            return None
        words = set(before)
        if words & self.ABOVE and not words & self.BELOW:
            return "above"
        if words & self.BELOW and not words & self.ABOVE:
            return "below"
        return None

    @staticmethod
    def _decile_said(c, k: int) -> bool:
        """Is decile ``k`` exactly the deciles the condition keeps ('least deprived decile' and 10)?"""
        v = c.value
        return (c.op == "=" and v == k) or (c.op in ("<=", "<") and k == 1 and v == (1 if c.op == "<=" else 2)) or (
            c.op in (">=", ">") and k == 10 and v == (10 if c.op == ">=" else 9)) or (
            c.op == "in" and isinstance(v, (tuple, list)) and tuple(v) == (k,))

    TOP_WORDS = frozenset(("top", "bottom", "highest", "lowest", "worst", "best", "most", "least", "biggest",
                           "largest", "smallest", "fewest", "first", "last"))
    LINK_WORDS = frozenset(("has", "had", "have", "is", "was", "got", "the", "really", "actually", "still", "now",
                            "definitely", "genuinely", "truly", "s", "does", "do"))

    def _claimed_top(self, f: Frame, places: list[Place]) -> Place | None:
        """'Liverpool has the highest ...', 'is Knowsley really top for ...': the one place said to be
        at an end of a ranking (any others named are the area it is said to be top within)."""
        t = f.reading.q.tokens
        subjects = [p for p in f.places if not p.excluded and not p.found.ambiguous
                    and p.found.candidates[0].level in ("lad", "ward")]
        if len(subjects) != 1 or f.order is None:
            return None
        ref = subjects[0]
        place = ref.found.candidates[0]
        others = [p for p in places if p.key != place.key]
        if any(not self.gaz.inside(place, o) for o in others):
            return None
        a, b = ref.span.start, ref.span.end
        for j in range(b, min(len(t), b + 5)):
            if t[j] in self.TOP_WORDS:
                if j > b and all(w in self.LINK_WORDS for w in t[b:j]) and any(
                        w in ("has", "had", "have", "is", "was", "got", "s") for w in t[b:j]):
                    return place
                if a and t[a - 1] in ("is", "was", "does") and all(w in self.LINK_WORDS for w in t[b:j]):
                    return place
                break
            if t[j] not in self.LINK_WORDS:
                break
        return None

    @staticmethod
    def _where_rank(t: list[str]) -> bool:
        """'where does Sefton rank', 'how does Wirral rank': one place's position, not a ranking."""
        return any(t[i] in ("where", "how") and t[i + 1:i + 2] in (["does"], ["do"], ["is"], ["did"])
                   and any(stem(w) == "rank" or (t[i] == "where" and w in ("sit", "stand", "come", "fall", "place"))
                           for w in t[i + 2:i + 6]) for i in range(len(t) - 1))

    def _variant(self, concept: str, t: list[str], f: Frame) -> str:
        base = re.sub(r"_(score|rank|decile)$", "", concept)
        known = self.catalog.concepts
        st = {stem(w) for w in t}
        # 'where does Sefton rank': the rank of one place; 'rank the wards': a ranking
        ranking = bool(f.order or f.limit or (f.cues.get("rank") and (f.levels or f.grouping)))
        # 'where does Sefton rank out of all councils': the place's own rank among them
        where_rank = (self._where_rank(t) and not f.levels and not f.grouping) or any(
            t[i:i + 3] == ["out", "of", "all"] and any(stem(w) == "rank" for w in t[max(0, i - 4):i])
            for i in range(len(t) - 2)) and not any(p.found.candidates[0].level == "region" for p in f.places)
        ranking = ranking and not (where_rank and not f.order and not f.limit)
        if f.condition is not None and not f.condition[1].on_measure and f"{base}_decile" in known:
            return f"{base}_decile"
        # ('its national rank', 'the national IMD rank of ...': the rank is the figure asked, not the
        # act of ranking)
        as_figure = any(stem(w) == "rank" and {"national", "its", "england", "english", "their", "nationally"}
                        & set(t[max(0, i - 3):i]) for i, w in enumerate(t)) or f.national is not None
        if f.national is not None and f"{base}_rank" in known and not st & {"score", "scores"}:
            # 'where does Knowsley rank among councils in England': the national rank held, the
            # peers said (never its place among the city region's six)
            return f"{base}_rank"
        # ('the lowest income deprivation rank', 'least deprived by rank of average score': the rank
        # itself is what is ordered, so its figures are the ones given)
        rank_said = any(t[i] in ("rank", "ranking") and (
            t[i + 1:i + 2] in (["of"], ["on"]) and any(w in ("score", "scores") for w in t[i + 2:i + 5])
            or (i and t[i - 1] in ("by", "score"))
            or {"highest", "lowest", "biggest", "smallest", "largest", "top", "bottom"} & set(t[max(0, i - 4):i]))
            for i in range(len(t))) and not any(w in ("ranks", "ranked") for w in t)
        # (a rank carried from the question before, 'which was worst on that one?', stays the figure asked)
        if concept.endswith("_rank") and ranking and f"{base}_score" in known and not as_figure and not rank_said \
                and f.names_topic:
            return f"{base}_score"
        if "decile" in st and f"{base}_decile" in known:
            if st & {"rank", "ranking", "ranked"} and f"{base}_rank" in known and not ranking:
                # 'what decile is it in, and what's its national rank?': two figures; the second is named
                # back, never dropped
                f.left_parts.append(next(w for w in t if stem(w) in ("rank", "ranking", "ranked")))
                f.left_concepts.append(f"{base}_rank")
            return f"{base}_decile"
        if st & {"rank", "ranking", "ranked"} and f"{base}_rank" in known and not ranking:
            # ('rank of average score', 'average score rank' name one figure: the rank)
            one = any(stem(t[i]) == "rank" and t[i + 1:i + 2] in (["of"], ["on"]) and
                      any(w in ("score", "scores") for w in t[i + 2:i + 5]) for i in range(len(t))) or any(
                t[i] in ("score", "scores") and stem(t[i + 1]) == "rank" for i in range(len(t) - 1))
            if st & {"score", "scores"} and f"{base}_score" in known and not one:
                # 'Knowsley's score and rank': two figures, each given (the score named with the rank)
                f.left_parts.append(next(w for w in t if w in ("score", "scores")))
                f.left_concepts.append(f"{base}_score")
            return f"{base}_rank"
        return concept

    # ================================================================== the words not applied
    @staticmethod
    def _range_months(f: Frame) -> int:
        """How many months the one period range asked covers (0 when it is not one range of months)."""
        ranges = [w for _, w in f.periods if getattr(w, "grain", None) == "month" and w.start and w.end]
        if len(ranges) != 1:
            return 0
        w = ranges[0]
        return (w.end[0] * 12 + w.end[1]) - (w.start[0] * 12 + w.start[1]) + 1

    COMPARE_WORDS = frozenset("or lower higher less more below above under over fewer minus worse better".split())

    def _definition_said(self, f: Frame, own: frozenset, concept: str | None = None) -> set[int]:
        """'overcrowded households (bedroom occupancy rating -1 or lower)': brackets right after the
        measure that say its definition in its own words; the numbers and comparison words inside
        say how it is defined, not a filter."""
        t = f.reading.q.tokens
        ends = {sp.end for sp, _ in f.measures} | {sp.end for sp, _ in f.tables}
        out: set[int] = set()
        for a, b in f.reading.q.brackets:
            inside = range(a, b)
            near = any(e <= a <= e + 3 and all(f.reading.slot_at(k) in ("place", "filler") for k in range(e, a))
                       for e in ends)
            if not near or not any(lemma(t[i]) in own for i in inside):
                continue
            # (the numbers are the measure's own definition's: '-1 or lower' of one bedroom short, never '-2')
            text = " ".join(" ".join((r.measure.description or "", *r.measure.synonyms))
                            for r in self.catalog.concepts.get(concept or "", ()))
            held = set(re.findall(r"\d+", text))
            if all(lemma(t[i]) in own or (t[i].isdigit() and t[i] in held) or t[i] in self.COMPARE_WORDS
                   or self._harmless(t[i]) or (f.reading.slot_at(i) is not None and not t[i].isdigit()) for i in inside):
                out |= set(inside)
        return out

    def _councils_as_whole(self, f: Frame) -> None:
        """'what share of all recorded crime in the five Merseyside Police councils happened in
        Liverpool': every council, said as the set the figure is counted in, is the city region
        (the whole of a share), not a table of its councils."""
        t = f.reading.q.tokens
        named = [p for p in f.places if not p.found.ambiguous and not p.excluded]
        if f.share is None and not any(w in ("share", "proportion", "percentage", "fraction") for w in t):
            return
        regions = [p for p in named if p.found.candidates[0].level == "region"]
        if len(named) == 2 and len(regions) == 1 and self._part_in_place(f):
            # 'in the five Merseyside Police councils happened in Liverpool': the region's councils are
            # the region, the whole the share is of
            r = regions[0].span
            f.levels = [x for x in f.levels if not (x[1] == "lad" and 0 <= x[0].start - r.end <= 2)]
            return
        if len(named) != 1 or named[0].found.candidates[0].level not in ("lad", "ward", "town", "lsoa"):
            return
        for sp, lvl in f.levels:
            lead = t[max(0, sp.start - 4):sp.start]
            own = t[sp.start:sp.end]
            set_said = any(f.reading.slot_at(k) == "filler" and (t[k].isdigit() or t[k] in self.w.numbers)
                           for k in range(max(0, sp.start - 4), sp.start)) or "all" in lead or "all" in own or any(
                w.isdigit() or w in self.w.numbers for w in own)
            if lvl == "lad" and set_said and any(w in ("in", "across", "of") for w in lead) \
                    and sp.end <= named[0].span.start:
                region = self.gaz.region()
                f.places.insert(0, PlaceRef(PlaceFound((region,), f.words(sp)), sp))
                f.levels = [x for x in f.levels if x[0] is not sp]
                f.restated |= set(range(max(0, sp.start - 4), sp.start))
                return

    def _period_restated(self, f: Frame) -> None:
        """'autumn 2019 (Sept-Dec)': a period said again in brackets right after another defines it
        in the asker's own words; the one in brackets is the period asked (its year taken from the
        first), and the first only says it again."""
        if len(f.periods) != 2:
            return
        (s1, w1), (s2, w2) = sorted(f.periods, key=lambda x: x[0].start)
        if w1.grain != "month" or w2.grain != "month":
            return          # (a season or part of a year, restated as its months)
        for a, b in f.reading.q.brackets:
            if a == s1.end and s2.start == a and s2.end <= b and w1.start and w1.end:
                w = w2 if w2.year_known else w2.with_year(w1.start[0])
                f.periods = [(s2, w)]
                f.restated |= set(s1.positions)
                return

    def _range_said_again(self, f: Frame) -> None:
        """'Sept-Dec 2019, all four months together': 'four months' says the range again, it is not
        a breakdown by month."""
        n = self._range_months(f)
        t = f.reading.q.tokens
        keep = []
        for sp, hit in f.dimensions:
            before = t[sp.start - 1] if sp.start else ""
            count = int(before) if before.isdigit() else self.w.numbers.get(before)
            if n > 1 and f.words(sp) == "months" and count == n:
                f.joiners |= {sp.start - 1, *sp.positions}
                continue
            keep.append((sp, hit))
        f.dimensions = keep

    def _harmless(self, word: str) -> bool:
        return word in self.fillers or word in HARMLESS

    def _negation_matters(self, f: Frame, s, concept: str | None = None) -> bool:
        """A 'not' that governs nothing the plan can express, next to what it would change."""
        near = [x for x in f.reading.spans if x.slot in ("measure", "category", "level", "condition", "place", "order")
                and (0 <= x.start - s.end <= 3)]
        if near and concept and self._sibling_said(f, s.end, concept):
            return False
        return bool(near)

    def _sibling_said(self, f: Frame, at: int, concept: str) -> bool:
        """'households renting from a housing association (so not the council)': the words after the 'not'
        name another part of the chosen part's table, which the chosen part already leaves out."""
        t = f.reading.q.tokens
        words = [lemma(w) for w in t[at:at + 3] if w not in ("the", "a", "an", "from", "by", "with")][:2]
        if not words or words[0] in self.topics.own_words(concept):
            return False
        for r in self.catalog.concepts.get(concept, ()):
            if not r.measure.group:
                continue
            for m in r.sheet.measures:
                if m.group == r.measure.group and m.id != concept and not m.sum_of and m.id in self.catalog.concepts \
                        and words[0] in self.topics.own_words(m.id) and not self._part_of(concept, m.id):
                    return True
        return False

    def _unapplied(self, f: Frame, choice: Choice, left: list[int], loose, text: str, state: dict) -> Planned:
        r = f.reading
        t = r.q.tokens
        runs = r.runs([i for i in left if i not in choice.used_words])
        words = [w for w in runs if w]
        for s in loose:
            words.append(" ".join(t[s.start:min(len(t), s.end + 3)]))
        for s in f.excluders:
            words.append(f.words(s) + (" " + " ".join(t[s.end:s.end + 3]) if s.slot == "exclude" else ""))
        label = self.catalog.label(choice.concept).lower() if choice.concept in self.catalog.concepts else "a figure"
        unknown = self._unknown_place(f, left, text)
        if unknown and not f.places:
            return self._no_data(state, f"I couldn't find '{unknown}' in the commons. {COVERS}", "unknown_place",
                                 f"{label} for a place called '{unknown}'")
        places = ", ".join(p.found.candidates[0].display for p in f.subject_places if not p.found.ambiguous)
        understood = f"Understood: {label}" + (f" in {places}" if places else "")
        quoted = "', '".join(dict.fromkeys(w.strip() for w in words if w.strip()))
        why = self._why_not(quoted, choice, f)
        reason = "unknown_word" if not f.names_topic else "unexplained"
        return Planned("no_data", message=f"I can't apply '{quoted}'{why}, so I haven't guessed a "
                                          "figure for a different question. Ask again without it, or name what it "
                                          "should mean.",
                       state=state, reason=reason, understood=f"{understood}; not applied: '{quoted}'.")

    @staticmethod
    def _split_labels(sheet: Datasheet) -> list[str]:
        """The dimensions a dataset is split by, besides time, as said in answers."""
        return [d.label.lower() for d in sheet.dimensions if d.column != sheet.time.column]

    def _why_not(self, quoted: str, choice: Choice, f: Frame) -> str:
        sheet_bits = []
        refs = self.catalog.concepts.get(choice.concept, [])
        held = self._edition_holds(f)
        # (the edition the question names: 'on IMD 2025' is never explained by the 2019 tables)
        named = [r for r in refs if held is None or (not f.sources or any(r.dataset in ds for _, ds in f.sources))
                 and (not f.single_years or r.sheet.time.granularity != "fixed"
                      or r.sheet.time.period in {str(y) for y in f.single_years})]
        for ref in (named or refs)[:1]:
            dims = self._split_labels(ref.sheet)
            if dims:
                sheet_bits.append(f"{ref.sheet.title} is split only by {', '.join(dims)}")
            else:
                sheet_bits.append(f"{ref.sheet.title} has no breakdown that matches it")
        return f" ({sheet_bits[0]})" if sheet_bits else ""

    def _unknown_place(self, f: Frame, left: list[int], text: str) -> str | None:
        """An uncovered word put like a place name: after 'in', 'for', 'of' ... or capitalised."""
        t = f.reading.q.tokens
        english = self.topics.english
        run: list[int] = []
        for i in sorted(left):
            if t[i].isdigit() or t[i] in english or t[i] in self.topics.vocabulary:
                continue
            if run and i != run[-1] + 1:
                break
            run.append(i)
        if not run:
            return None
        name = " ".join(t[i] for i in run)
        before = t[run[0] - 1] if run[0] > 0 else ""
        caps = re.findall(r"[A-Z][A-Za-z'\-]*", text)
        first = re.findall(r"[A-Za-z][A-Za-z'\-]*", text)
        first = first[0].lower() if first else ""
        if before in ("in", "for", "of", "at", "near", "around", "across", "from", "to", "and", "vs", "versus", "than",
                      "about", "between", "within") or any(c.lower() == t[run[0]] and c.lower() != first for c in caps):
            return name.title()
        return None

    # ================================================================== places
    def _places(self, f: Frame, carried: Carried | None, state: dict, text: str, chosen: dict | None = None):
        subject = f.subject_places
        if chosen is not None and chosen.get("key") in self.gaz.places:
            # the reply to 'which did you mean?' fills the place slot it asked about
            span = chosen.get("span") or ""
            keys, filled = [], False
            for p in subject:
                if not filled and (p.found.text == span or (span and p.found.ambiguous)):
                    keys.append(chosen["key"])
                    filled = True
                elif not p.found.ambiguous:
                    keys.append(p.found.candidates[0].key)
            if not filled:
                keys.append(chosen["key"])
            return list(dict.fromkeys(keys))
        if carried is not None and carried.places and self._is_follow_up(f):
            # 'and Heswall?' after a ward's figure: the ward of that name, as the place it replaces was
            levels = {self.gaz.places[k].level for k in carried.places if k in self.gaz.places}
            for p in subject:
                if p.found.ambiguous and len(levels) == 1:
                    same = [c for c in p.found.candidates if c.level in levels]
                    if len(same) == 1:
                        p.found = PlaceFound((same[0],), p.found.text, p.found.fuzzy)
        for p in subject:
            if p.found.ambiguous:
                opts = [(c.display, c.key) for c in p.found.candidates]
                district = p.found.text in getattr(self.gaz, "aliases", {})
                return Planned("clarify", message=(f"{p.found.text.upper()} is a postcode district that covers parts of "
                                                   f"{len(opts)} wards. Which did you mean? (Or give your full postcode: "
                                                   "only the area it is in is used, never the postcode.)") if district
                               else f"'{p.found.text.title()}' matches more than one place. Which did you mean?",
                               options=tuple(o for o, _ in opts), reason="ambiguous_place",
                               state={**state, "pending": {"question": text, "span": p.found.text,
                                                           "options": [[o, k] for o, k in opts]}},
                               understood=f"Understood: postcode district {p.found.text.upper()}." if district else
                               f"Understood: '{p.found.text}', which is the name of more than one place.")
        near_level = {"ward": "ward", "neighbourhood": "lsoa", "lsoa": "lsoa", "town": "town", "council": "lad",
                      "borough": "lad"}.get((f.near_me or "").split()[-1] if f.near_me else "")
        told = [p for p in f.places if p.in_context and not p.excluded and not p.found.ambiguous
                and p.found.candidates[0].level == near_level]
        if near_level and len(told) == 1:
            subject = told        # 'I'm a pensioner in Cambridge ward, Southport. ... in my ward': that ward
        subject = self._without_locators(f, subject)
        keys = list(dict.fromkeys(p.found.candidates[0].key for p in subject))
        if keys and carried is not None and carried.places \
                and (f.cues.get("compare") is not None or f.difference is not None) and not set(carried.places) & set(keys):
            # 'how does that compare with England?' after a figure for Wirral: both places,
            # never the new one alone (that would answer a question that was not asked)
            keys = list(dict.fromkeys([*carried.places, *keys]))
        if f.near_me and keys and f.near_me in self.w.places.finer_than_held and \
                all(self.gaz.get(k).level != "lsoa" for k in keys):
            # 'air pollution on my street in Bootle': a street is smaller than any area held, and
            # Bootle's figure is not the street's
            return self._no_data(state, f"The commons has no figures for {f.near_me}: the smallest area it holds is a "
                                        "neighbourhood (LSOA) of about 1,500 people. Give your postcode to find your "
                                        "neighbourhood (only the area is kept, never the postcode), or ask about a "
                                        "neighbourhood, ward, town or council.", "unexplained", f"figures for {f.near_me}")
        if f.near_me in ("round here", "around here", "here", "nearby", "locally") and not keys and \
                any(lvl == "lad" for _, lvl in f.levels):
            # 'which 3 councils round here have the most ...': the councils are the city region's
            return [self.gaz.region().key]
        if f.near_me and not keys:
            return self._which_place(text, state, f"You asked about {f.near_me}, but I don't know where that is. "
                                                  "Which area do you mean?")
        if not keys and carried is not None and carried.places:
            ref = next((w for w in f.reading.q.tokens if w in ("its", "it", "there", "theirs", "their")), None)
            if ref and carried.intent == "ranking":
                # 'how many of its LSOAs ...' after a ranking: 'its' is a row of the last answer,
                # not the area ranked within; ask rather than answer for the wrong place
                return self._which_place(text, state, f"Which area do you mean by '{ref}'? Name it (for example "
                                                      "the ward or council from my last answer).")
            keys = list(carried.places)
            keys = self._containing(f, keys)
        return keys

    def _containing(self, f: Frame, keys: list[str]) -> list[str]:
        """'... in the ward?' after a neighbourhood: the ward it lies in (the council the same),
        never the neighbourhood's own figure."""
        t = f.reading.q.tokens
        for sp, lvl in f.levels:
            word, before = f.words(sp), (t[sp.start - 1] if sp.start else "")
            if before not in ("the", "that", "this", "its", "same") or word.endswith("s"):
                continue
            out = []
            for k in keys:
                p = self.gaz.get(k)
                if p.level == lvl or lvl not in ("ward", "lad") or p.level not in ("lsoa", "ward", "town"):
                    out.append(k)
                    continue
                up = self.gaz.containing(p, lvl)
                if up is None:
                    return keys
                out.append(up.key)
            return list(dict.fromkeys(out))
        return keys

    def _without_locators(self, f: Frame, subject: list[PlaceRef]) -> list[PlaceRef]:
        """'Cambridge ward, Southport', 'Northwood ward in Kirkby': a town or council said right after
        a ward or neighbourhood in it only says where that is; it is not a second place asked about."""
        t = f.reading.q.tokens
        level_starts = {s.start for s, _ in f.levels}
        if len(subject) > 1:
            # 'among the six LCR councils': the region said of the councils, not a place asked about
            subject = [p for p in subject if not (not p.found.ambiguous and p.found.candidates[0].level == "region"
                                                  and p.span.end in level_starts)] or subject
        out = []
        for k, p in enumerate(subject):
            prev = subject[k - 1] if k else None
            if prev is not None and not p.found.ambiguous and not prev.found.ambiguous:
                a, b = prev.found.candidates[0], p.found.candidates[0]
                between = t[prev.span.end:p.span.start]
                if a.level in ("ward", "lsoa") and b.level in ("town", "lad") and a.lad_code and \
                        a.lad_code == b.lad_code and all(w in ("in", "of", "near") for w in between) and len(between) <= 1:
                    continue
                if b.level in ("ward", "lsoa") and a.level in ("town", "lad") and b.lad_code and \
                        a.lad_code == b.lad_code and not between and out and out[-1] is prev:
                    out.pop()     # 'Bootle, Linacre ward': the town says where the ward is
            out.append(p)
        return out

    def _which_place(self, text: str, state: dict, message: str) -> Planned:
        options = list(self.gaz.lads()) + [self.gaz.region()]
        return Planned("clarify", message=message + " For a ward or neighbourhood, name it in your question.",
                       options=tuple(p.display for p in options), reason="which_place",
                       state={**state, "pending": {"question": text, "span": "",
                                                   "options": [[p.display, p.key] for p in options], "append": True}},
                       understood="Understood: a question about an area, but not which one.")

    # ================================================================== benchmarking against peers
    PEERS_NEVER_NAMED = ("Peers are never named, shown one by one or ranked: a benchmark compares the organisation of "
                         "the account you signed in with (never one named in the question) with its anonymised peers' "
                         "median and quartiles.")

    def _bench_words(self):
        i = self.w.intents
        cache = self.__dict__.get("_bench_phrases")
        if cache is None:
            sheets = [s for s in self.catalog.sheets.values() if s.benchmark is not None]
            names = tuple(w for s in sheets for w in s.benchmark.name_words)
            cache = self.__dict__["_bench_phrases"] = (
                Phrases(i.benchmark), Phrases(i.benchmark_orgs), Phrases(tuple(i.benchmark_rank) + tuple(i.benchmark_single)),
                frozenset(i.benchmark_own) | {"s", "co", "op"}, Phrases(names), sheets, Phrases(i.benchmark_rank))
        return cache

    def _benchmark_follow_up(self, f: Frame, own) -> bool:
        """Goes on from a benchmark: names no place or other topic, and starts as a follow-up does
        or says only what a benchmark can change (a period, per month or ward, another figure)."""
        t = f.reading.q.tokens
        if f.places or not t:
            return False
        starts = t[0] in ("and", "now", "same", "what", "how", "then", "ok", "okay") or t[:2] == ["what", "about"]
        words = {w for sheet in self._bench_words()[5] for bm in sheet.benchmark.measures
                 for p in bm.synonyms for w in p.split()}
        return starts and all(w in own or w in words or re.fullmatch(r"20\d\d", w) or self._harmless(w) for w in t)

    def is_benchmark(self, f: Frame, state: dict | None = None) -> bool:
        """A question about the asker's organisation against its peers ('how do we compare with
        similar organisations?'), or one that would single out or rank organisations ('which
        organisation supports the most people', 'what is our rank'): both are answered (or
        declined) by the benchmark rules, never by another path."""
        bench, orgs, _, own, names, sheets, rank = self._bench_words()
        if not sheets:
            return False
        t = f.reading.q.tokens
        hits = bench.find(t)
        bare = all(" ".join(p) in ("benchmark", "benchmarks", "benchmarking", "benchmarked") for _, _, p in hits)
        bench_ds = {s.id for s in sheets}
        if hits and bare and any(not p.excluded for p in f.places) and f.measures and not any(
                r.dataset in bench_ds for _, h in f.measures for r in self.catalog.concepts.get(h.best, ())):
            # 'we're benchmarking the private rented sector - what share of Wirral households rent
            # privately': a place's figure asked for a benchmark of one's own, not a peer benchmark
            return False
        if hits:
            return True
        if state and state.get("benchmark") and self._benchmark_follow_up(f, own):
            return True         # 'and per month?', 'what about sessions?' after a benchmark
        ctx = f.context_ranges
        named_orgs = [a for a, _, _ in names.find(t) if not any(x <= a < y for x, y in ctx)]
        if named_orgs and {"compare", "compared", "comparison", "versus", "vs", "against", "figures", "figure",
                              "numbers", "support", "supported", "supports", "beneficiaries", "sessions",
                              "outcomes", "results", "rank", "ranking", "performance", "doing"} & set(t):
            return True         # 'what are <an organisation>'s figures', 'how does <an organisation> compare'
        ranked = bool(rank.find(t)) or f.order is not None
        strong = {"rank", "ranks", "ranking", "ranked", "rankings", "league", "position"} & set(t)
        org_at = [a for a, _, _ in orgs.find(t)]
        rank_at = [i for i, w in enumerate(t) if w in strong or w in ("which", "top", "first", "most", "best", "worst")]
        if any(not p.excluded for p in f.places) and (f.measures or f.categories or f.ages) and not any(
                abs(a - b) <= 3 for a in org_at for b in rank_at) and not any(
                t[i] in ("our", "we", "us") and t[i + 1:i + 2] and t[i + 1] in ("rank", "ranking", "position", "organisation",
                                                                            "charity", "service", "group")
                for i in range(len(t) - 1)):
            # 'I'm writing a bid for a charity in St Helens ... the funder wants headline numbers first - how
            # many people lived in St Helens?': a place's figure, the organisation only who is asking
            return False
        # organisations as what is ranked: not inside a who-is-asking clause ('... asking for a housing
        # charity'), and no kind of area to rank instead ('which council has the highest ...')
        ctx = f.context_ranges
        subject = [a for a, _, _ in orgs.find(t) if not any(x <= a < y for x, y in ctx)]
        if f.levels:
            return False
        return (ranked and bool(subject)) or (bool(strong) and any(
            w in ("our", "we", "us") and not any(x <= i < y for x, y in ctx) for i, w in enumerate(t)))

    def _benchmark(self, f: Frame, state: dict) -> Planned:
        """The signed-in provider's own figure against its peers: a BenchmarkPlan naming no
        organisation (the pipeline takes it from the account).  Declined, with the reason, when the
        question names, ranks or singles out an organisation, or says something the plan cannot apply."""
        bench, orgs, rank, own, names, sheets, _ = self._bench_words()
        t = f.reading.q.tokens
        sheet = sheets[0]
        before = state.get("benchmark") if self._benchmark_follow_up(f, own) else None
        b = sheet.benchmark

        def decline(message: str, what: str) -> Planned:
            return self._no_data(state, message, "benchmark", what)

        ranked = rank.find(t) or f.order is not None
        named = names.find(t)
        if ranked or named or f.places:
            said = [" ".join(p) for _, _, p in (named or [])] + [f.words(p.span) for p in f.places]
            why = (f"the question names an organisation or place ('{', '.join(said)}')" if said and not ranked else
                   "the question asks to rank or single out organisations")
            return decline(f"I can't answer that: {why}. {self.PEERS_NEVER_NAMED} Ask, for example, 'how do our "
                           "beneficiaries compare with similar organisations?' while signed in as a provider.",
                           "a benchmark that would name or rank organisations")
        used: set[int] = set()
        for ph in (bench, orgs):
            for a, z, _ in ph.find(t):
                used |= set(range(a, z))
        chosen = []
        for bm in b.measures:
            hits = Phrases(bm.synonyms).find(t)
            if hits:
                chosen.append(bm)
                for a, z, _ in hits:
                    used |= set(range(a, z))
        for s, _ in f.measures:          # the dataset's own measure words ('beneficiaries', 'sessions')
            if all(t[i] in own or any(i in range(a, z) for bm in b.measures for a, z, _ in Phrases(bm.synonyms).find(t))
                   for i in s.positions):
                used |= set(s.positions)
        years = sorted({w for w in t if re.fullmatch(r"20\d\d", w)})
        held = tuple(self.catalog.periods.get(sheet.id, ()))
        months = tuple(m for m in held if not years or m[:4] in years)
        used |= {i for i, w in enumerate(t) if w in years or w in own or self._harmless(w) or w in ("per", "each")}
        left = [t[i] for i in range(len(t)) if i not in used]
        if left or f.excluders or f.loose_negations:
            words = " ".join(left) or "part of the question"
            return decline(f"I can benchmark your organisation's people supported, sessions delivered or outcomes "
                           f"against its anonymised peers, in total or per month or ward, but I couldn't apply "
                           f"'{words}' to that, so I haven't guessed. {self.PEERS_NEVER_NAMED}",
                           f"a benchmark; not applied: '{words}'")
        distinct = list(dict.fromkeys((m.measure, m.label) for m in chosen))
        if len(distinct) > 1:
            return decline("A benchmark compares one figure at a time: " + ", ".join(l for _, l in distinct) +
                           " were asked together. Ask for one of them.", "a benchmark of several figures")
        if years and not months:
            return decline(f"{sheet.title} holds no months in {', '.join(years)}.", "a benchmark of a period not held")
        if before and not years and before.get("years"):
            years = list(before["years"])
            months = tuple(m for m in held if m[:4] in years)
        carried = b.measures[before["measure"]] if before and 0 <= before.get("measure", -1) < len(b.measures) else None
        pick = chosen[0] if chosen else carried or b.measures[0]
        by = {"month", "months", "monthly"} & set(t) and "month" or {"ward", "wards"} & set(t) and "ward" or ""
        if before and not by and not ({"total", "overall", "whole"} & set(t)):
            by = before.get("by", "")
        if {"month", "months", "monthly"} & set(t) and {"ward", "wards"} & set(t):
            return decline("A benchmark is given per month or per ward, not both at once.", "a benchmark by two things")
        if by and by not in b.breakdowns:
            return decline(f"{sheet.title} benchmarks are not given per {by}.", f"a benchmark per {by}")
        filters = tuple(Filter(col, (val,)) for col, val in pick.only.items())
        label = pick.label or sheet.measure_by_id[pick.measure].label.lower()
        plan = BenchmarkPlan(Subject(pick.measure, sheet.id, Periods(months, defaulted=not years), filters), by, label)
        try:
            queries.validate(plan, self.catalog, self.gaz)
        except (PlanInvalid, NotAvailable) as e:
            return decline(f"I couldn't answer that in the form it was asked ({e}), so I haven't guessed.",
                           "a benchmark")
        when = f"{months[0][:4]}-{months[-1][:4]}" if months[0][:4] != months[-1][:4] else months[0][:4]
        per = {"month": " per month", "ward": " per ward"}.get(by, " in total")
        understood = (f"Understood: your signed-in organisation: {label}{per}, {when}, against its anonymised peers "
                      f"in {sheet.title} (median and quartiles; peers never named).")
        keep = {"measure": b.measures.index(pick), "by": by, "years": list(years)}
        return Planned("data", plan, state={**state, "pending": None, "frame": None, "benchmark": keep},
                       understood=understood)

    # ================================================================== who is missing
    @staticmethod
    def _group_label(sheet, gid: str) -> str:
        return next((g.label.lower() for g in sheet.groups if g.id == gid), gid)

    def _coverage(self, f: Frame, text: str, state: dict, chosen_place) -> Planned:
        """'How representative is the lupus commons of Knowsley?': the person-level dataset named,
        against the census groups it shares dimensions with, in one council or the city region."""
        r, t = f.reading, f.reading.q.tokens
        cat = self.catalog
        named = set()
        for _, ds in f.sources:
            named |= set(ds)
        for _, h in f.measures:
            named |= {ref.dataset for ref in cat.concepts.get(h.best, ())}
        people = sorted(d for d in named if d in cat.sheets and cat.sheets[d].person_level)
        cue = f.cues["coverage"]
        # a measure named is accounted for when it is the dataset's own ('flares') or the
        # neighbourhood deprivation the datasheet sets the dataset against ('by deprivation');
        # any other ('of crime') is not applied, and said so
        deprivation = {tuple(cat.sheets[d].coverage.deprivation.split(".")) for d in people
                       if cat.sheets[d].coverage and cat.sheets[d].coverage.deprivation}

        def accounted(h) -> bool:
            refs = cat.concepts.get(h.best, ())
            return any(cat.sheets[ref.dataset].person_level or any(
                ref.dataset == ds and ref.measure.id.split("_")[0] == dm.split("_")[0] for ds, dm in deprivation)
                for ref in refs if ref.dataset in cat.sheets)

        used = set(cue.positions) | {i for s, h in f.measures if accounted(h) for i in s.positions}
        # 'representative by deprivation', 'by age': the margin compared, which coverage shows anyway
        used |= {i for i in r.uncovered if t[i] == "by" and i + 1 in used}
        left = [i for i in r.uncovered if i not in used and not self._harmless(t[i])]
        left = sorted(set(left) | {i for s, h in f.measures if not accounted(h) for i in s.positions})
        if left or f.excluders or f.loose_negations or f.periods or f.categories or f.ages or f.condition:
            words = " ".join(t[i] for i in left) or "part of the question"
            return self._no_data(state, f"I can say who a person-level dataset reaches compared with the census, but "
                                        f"I couldn't apply '{words}' to that, so I haven't guessed. Ask, for example, "
                                        "'how representative is the lupus commons of Knowsley?'.", "unexplained",
                                 f"coverage; not applied: '{words}'")
        if len(people) != 1:
            held = [s.title for s in cat.sheets.values() if s.person_level]
            return self._no_data(state, "Which person-level dataset do you mean? Coverage against the census is given "
                                        f"for one at a time: {'; '.join(held)}.", "unexplained", "coverage of which dataset")
        sheet = cat.sheets[people[0]]
        keys = self._places(f, None, state, text, chosen_place)
        if isinstance(keys, Planned):
            return keys
        places = [self.gaz.get(k) for k in keys] or [self.gaz.region()]
        if len(places) > 1 or places[0].level not in ("lad", "region"):
            return self._no_data(state, "Coverage against the census is given for one council or the city region "
                                        "(the census margins are published for councils).", "unexplained",
                                 f"coverage of {sheet.title} in {', '.join(p.display for p in places)}")
        place = places[0]
        plan = cover.plan_for(cat, sheet, place)
        if isinstance(plan, str):
            return self._no_data(state, plan, "unexplained", f"coverage of {sheet.title}")
        census = (cat.sheets[plan.census], list(plan.margins))
        rake = plan.rake
        try:
            queries.validate(plan, cat, self.gaz)
        except PlanInvalid as e:
            return self._no_data(state, f"I couldn't answer that in the form it was asked ({e}), so I haven't guessed.",
                                 "invalid", f"coverage of {sheet.title}")
        by = [g.label.lower() for g in census[0].groups if g.id in census[1]]
        if plan.deprivation:
            by.append("the deprivation decile of their neighbourhood")
        margins = ", ".join(by[:-1]) + " and " + by[-1] if len(by) > 1 else by[0]
        when = plan.periods.values
        if when:
            by[-1] += f" (its records of {when[0][:4]})" if when[0][:4] == when[-1][:4] else f" ({when[0]} to {when[-1]})"
            margins = ", ".join(by[:-1]) + " and " + by[-1] if len(by) > 1 else by[0]
        understood = (f"Understood: who {sheet.title} reaches in {place.display} compared with its residents "
                      f"({census[0].title}), by {margins}; its averages reweighted to the census "
                      f"{census[0].groups[0].label.lower() if census[0].groups else 'margins'}"
                      + (f" (post-stratified) and raked to the census {' and '.join(self._group_label(census[0], g) for g in rake)} margins"
                         if rake else "") + ".")
        return Planned("data", plan, state={**state, "pending": None}, understood=understood)

    # ================================================================== two measures, over areas
    JOINS = frozenset(("and", "against", "vs", "versus", "with", "v"))
    AREAS_PLURAL = {"lsoa": "neighbourhoods (LSOAs)", "ward": "wards", "lad": "councils"}

    def _relation_form(self, f: Frame):
        """'deprivation and homelessness by council', 'correlation between IMD score and crime by
        neighbourhood in Liverpool': exactly two measures joined by 'and' (or 'against', 'vs'), over
        areas (a level, or a word for the relation).  None for any other form."""
        t = f.reading.q.tokens
        spans = [(s, h) for s, h in f.measures if not self._generic([(s, h)], h.best)]
        if len(spans) != 2 or f.categories or f.tables or f.dimensions or f.ages or f.condition or f.share \
                or f.per or f.rate_word or f.cues.get("map") or f.cues.get("count") or f.order or f.limit:
            return None
        (s1, h1), (s2, h2) = sorted(spans, key=lambda x: x[0].start)
        between = t[s1.end:s2.start]
        joins = [w for w in between if w in self.JOINS]
        if len(joins) != 1 or any(w not in self.JOINS and w not in ("the", "a", "an") for w in between):
            return None
        a, b = h1.best, h2.best
        if a == b or self._part_of(a, b) or self._part_of(b, a) or self._member_of(a, b) or self._member_of(b, a):
            return None
        over_areas = (f.grouping is not None and f.grouping[1][0] == "level") or any(
            lvl in ("lsoa", "ward", "lad") for _, lvl in f.levels)
        if f.cues.get("relate") is None and not over_areas:
            return None
        return (s1, a), (s2, b)

    def _relation(self, f: Frame, related, text: str, state: dict, chosen_place) -> Planned:
        (s1, a), (s2, b) = related
        r, t = f.reading, f.reading.q.tokens
        cue = f.cues.get("relate")
        used = set(s1.positions) | set(s2.positions) | (set(cue.positions) if cue is not None else set())
        left = [i for i in r.uncovered if i not in used and not self._harmless(t[i])]
        what = f"{self.catalog.label(a).lower()} and {self.catalog.label(b).lower()}"
        if left or f.excluders or f.loose_negations:
            words = " ".join(t[i] for i in left) or "the exclusion"
            return self._no_data(state, f"I can't apply '{words}' to {what} side by side, so I haven't guessed a "
                                        "figure for a different question. Ask again without it.", "unexplained",
                                 f"{what}, side by side; not applied: '{words}'")
        keys = self._places(f, None, state, text, chosen_place)
        if isinstance(keys, Planned):
            return keys
        places = [self.gaz.get(k) for k in keys]
        if len(places) > 1:
            return self._no_data(state, "Two measures side by side are compared over the areas of one place at a "
                                        "time: ask for one council (its neighbourhoods or wards) or the city region "
                                        "(its councils).", "unexplained", f"{what} over several places")
        scope = places[0] if places else self.gaz.region()
        level = None
        if f.grouping is not None and f.grouping[1][0] == "level":
            level = f.grouping[1][1]
        for _, lvl in f.levels:
            if lvl in ("lsoa", "ward", "lad") and level is None:
                level = lvl
        if level is None:
            level = "lad" if scope.level == "region" else "lsoa"
        if scope.level != "region" and LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(scope.level):
            scope = self._ancestor_above(scope, level)
        when = self._when(f, None)
        over = Areas(level)
        bound = []
        for concept in (a, b):
            got = self._bind(concept, [scope], "breakdown", over, when, (), f)
            if isinstance(got, Planned):
                return replace(got, state={**state, **got.state})
            if isinstance(got, str):
                return self._no_data(state, got, "unbound", self.catalog.label(concept).lower())
            bound.append(got)
        if level == "lsoa" and bound[0][0].sheet.geography.vintage != bound[1][0].sheet.geography.vintage:
            # neighbourhoods of two boundary vintages: the first measure on the second's, when held
            again = self._bind(a, [scope], "breakdown", over, when, (), f, vintage=bound[1][0].sheet.geography.vintage)
            if not isinstance(again, (str, Planned)):
                bound[0] = again
        parts = [BreakdownPlan(Subject(ref.measure.id, ref.sheet.id, periods, fl), scope.key, over)
                 for ref, periods, fl, _ in bound]
        try:
            plan = RelationPlan(parts[0], parts[1])
            queries.validate(plan, self.catalog, self.gaz)
        except NotAvailable as e:
            return self._no_data(state, f"That is not available here: {e}.", "not_available", what)
        except PlanInvalid as e:
            return self._no_data(state, f"I couldn't answer that in the form it was asked ({e}), so I haven't guessed.",
                                 "invalid", what)
        labels = []
        for part in parts:
            sheet = self.catalog.sheets[part.dataset]
            labels.append(f"{sheet.measure_by_id[part.measure].label.lower()} ({periods_label(sheet, part.periods.values)})")
        understood = (f"Understood: {labels[0]} and {labels[1]}, side by side over the "
                      f"{self.AREAS_PLURAL.get(level, level)} of {scope.display}, with their correlation"
                      + (" (no period named: the latest held)." if when is None else "."))
        carried_next = self._carry(parts[0], when, f)
        return Planned("data", plan, message=" ".join(n for _, _, _, n in bound if n),
                       state={**state, "pending": None, "frame": carried_next.to_state(), "last": None},
                       understood=understood)

    # ================================================================== the shape
    def _shape(self, f: Frame, choice: Choice, keys: list[str], carried: Carried | None, text: str,
               state: dict) -> Planned:
        cat, gaz = self.catalog, self.gaz
        places = [gaz.get(k) for k in keys]
        excluded = [p.found.candidates[0].key for p in f.places if p.excluded and not p.found.ambiguous
                    and self._overlaps(p.found.candidates[0], places)]
        if choice.concept == "profile" or (f.cues.get("summary") is not None and not f.names_topic):
            if not places:
                return self._which_place(text, state, "Which area would you like a summary of?")
            # 'a summary of Knowsley for 2018': that year's figures, never the latest in their place
            years = {w.start[0] for _, w in f.periods if w.start and w.end and w.start[0] == w.end[0]
                     and not w.is_latest}
            if f.periods and (len(years) != 1 or len(f.periods) != 1 or f.periods[0][1].grain != "year"):
                return self._no_data(state, f"I can give an overview of {places[0].display} for one year, or with the "
                                            "latest figures held, but not for the period you named; ask for one year, "
                                            "or for a figure over that period by name.", "unexplained",
                                     f"an overview of {places[0].display} for "
                                     + ", ".join(f.words(s) for s, _ in f.periods))
            year = str(next(iter(years))) if years else None
            plan = SummaryPlan(places[0].key, year=year)
            return self._done(plan, f, state, choice, f"Understood: an overview of {places[0].display} " + (
                f"for {year} (the figures for that year the commons holds)." if year else
                "(the latest figures the commons holds for it)."))
        concept = choice.concept
        no_place = not places and not f.levels
        whole = None
        # ('Liverpool's % population growth ... compared with England's': a change in per cent, of each place)
        growth = f.cues.get("trend") is not None or choice.change is not None
        if choice.share and concept in cat.concepts and len(places) >= 2 and not growth and (
                not any(self._total_of(r) for r in cat.concepts[concept]) or any(p.possessive for p in f.places)
                or self._part_in_place(f)):
            # 'what share of the city region's crime was in Knowsley': a place's part of a larger one
            whole = self._whole(f, places)
            if whole is not None:
                places = [p for p in places if p.key != whole.key]
                choice = replace(choice, share=False)
        if not places and f.levels:
            t = f.reading.q.tokens
            for sp, _ in f.levels:
                word, before = f.words(sp), (t[sp.start - 1] if sp.start else "")
                if before in ("that", "this", "same", "said") and not word.endswith("s"):
                    # 'the population of that ward' with no ward spoken of: which one, never all of them
                    return self._which_place(text, state, f"Which {word} do you mean by '{before} {word}'? "
                                                          f"Name it (for example 'Haydock ward').")
        if not places and f.levels and not f.cues.get("summary"):
            # 'the six councils', 'each ward': the rows of the city region
            places = [gaz.region()]
        areas_by_table = self._areas_by_table(f, choice, places, text, state)
        if areas_by_table is not None:
            return areas_by_table
        bench = [p for p in places if p.level == "country"]
        beyond = self._beyond(f, bench[0]) if len(bench) == 1 else None
        if bench and len(bench) == 1 and len(places) <= 2 and f.levels and (
                f.order is not None or f.limit is not None or f.cues.get("rank") is not None or beyond is not None):
            # 'which LCR council has the most patients per GP, and is it above the England figure?': the
            # councils ranked, with England's figure beside them
            places = [p for p in places if p.level != "country"] or [gaz.region()]
            f.benchmark, f.beyond = bench[0], beyond
        intent, over, order, limit = self._intent(f, choice, places, carried)
        if f.beyond is not None:
            # 'how many of the six councils have more patients per GP than England': every council ranked
            # and those above England's figure counted
            intent, limit = "ranking", None
            over = over if isinstance(over, Areas) else Areas(f.levels[0][1])
            order = order or "desc"
        spread = self._deciles_as_rows(f, choice, places)
        if spread is not None:
            # 'Halton LSOAs by IMD decile', 'how many LSOAs in each decile': the areas counted in each decile
            intent, over, order, limit = "breakdown", spread, None, None
        if intent == "ranking" and (over is None or isinstance(over, Areas)) and len(places) == 1 and places[0].level == "lad" \
                and [lvl for _, lvl in f.levels] == ["lad"] and f.position_of is None:
            # 'St Helens remains among the poorest ... Can you rank the six councils ...': the councils
            # ranked are the city region's, the council named among them (never its own wards)
            places, over = [gaz.region()], Areas("lad")
        if intent != "ranking" or not isinstance(over, Areas):
            f.benchmark = None
        if intent == "position":
            intent, among = "ranking", self._ancestor_above(places[0], "ward" if places[0].level in ("lsoa", "ward")
                                                            else places[0].level)
            f.position_of, places = places[0], [among]
            base = re.sub(r"_rank$", "", choice.concept)
            if base != choice.concept and f"{base}_score" in self.catalog.concepts:
                # (a national rank held for councils only: the wards are placed by the score it ranks)
                choice = replace(choice, concept=f"{base}_score")
                concept = choice.concept
        if f.cues.get("map") is not None:
            what = self._say_measure(concept, choice.filters)
            if intent == "map_of_categories":
                return self._no_data(state, f"A map shades each area by one figure, so I can't draw {what} split "
                                            "by category as well: ask for a map of one category, or for the "
                                            "breakdown without a map.", "unexplained", f"a map of {what} by category")
            if len(places) > 1:
                return self._no_data(state, f"A map is drawn for one area at a time, so I haven't drawn "
                                            f"{' and '.join(p.display for p in places)} together: ask for a map of "
                                            "each, or of the city region.", "unexplained", f"a map of {what}")
        unsplit = self._split_not_applied(f, choice.concept, over)
        if unsplit:
            what = self._say_measure(concept, choice.filters)
            held = self._splits_held(concept)
            return self._no_data(state, (
                f"I can't split {what} by '{unsplit}': " + (f"it is split only by {held}" if held else
                                                            "the commons holds it as a single figure")
                + ", so I haven't guessed a figure for a different question."),
                "unexplained", f"{what} by {unsplit}")
        if excluded and intent not in ("ranking", "count") and not (intent == "value" and len(places) == 1):
            left = ", ".join(p.found.candidates[0].display for p in f.places if p.excluded and not p.found.ambiguous)
            return self._no_data(state, f"I can't leave {left} out of a single figure: the commons gives figures for "
                                        "whole areas. Ask for the area's wards or neighbourhoods (for example 'crime "
                                        "in each ward of ...') and I'll list them, or ask about a smaller area directly.",
                                 "unexplained", f"{self._say_measure(concept, choice.filters)} leaving out {left}")
        per = self._counted_per(f, classed=self._category_measure(choice))
        if per is not None and (intent == "count" or f.condition is not None or self._category_measure(choice)):
            return self._count(f, choice, places, state, text, carried, per=per, excluded=tuple(excluded))
        if intent == "count" and not choice.change_count:
            return self._count(f, choice, places, state, text, carried, excluded=tuple(excluded))
        fmt = cat.concepts[concept][0].measure.format if concept in cat.concepts else None
        own_col = cat.concepts[concept][0].measure.column if fmt == "category" else None
        if fmt == "category" and intent == "ranking" and isinstance(over, Categories) and over.column == own_col \
                and len(places) <= 1:
            # 'which rural-urban class is most common in St Helens': the classes by how many areas have each
            choice = replace(choice, filters=[x for x in choice.filters if x[1] != own_col])
        elif fmt == "category" and intent == "breakdown" and len(places) <= 1 and (
                over is None or isinstance(over, Areas) and over.level == cat.concepts[concept][0].sheet.geography.level):
            # 'break down St Helens' LSOAs by the rural-urban classification': the areas counted in each class
            # (the classes named, 'urban and rural LSOAs', are the rows, not filters to them)
            over = Categories(cat.concepts[concept][0].measure.column)
            choice = replace(choice, filters=[x for x in choice.filters if x[1] != over.column])
            finer = self._finer_classes(cat.concepts[concept][0])
            if finer is not None:
                # ('the rural urban split': the detailed classes, each named under the urban or rural it is in)
                concept, over = finer.id, Categories(finer.column)
                choice = replace(choice, concept=concept)
        elif fmt == "category" and intent in ("ranking", "breakdown", "comparison", "trend"):
            label = cat.label(concept).lower()
            return self._no_data(state, f"{cat.label(concept)} is a class each neighbourhood has, not a number to "
                                        f"{'rank' if intent == 'ranking' else 'split'}. I can count the neighbourhoods "
                                        "in one class: for example 'how many neighbourhoods in St Helens are rural?'.",
                                 "unexplained", f"{label}, as a {intent}")
        when = self._when(f, carried)
        several = self._several_measures(f, choice, places, intent, state)
        if several is not None:
            return several
        if intent in ("ranking", "breakdown"):
            if not places and not self._region_can_give(concept, over):
                return self._which_place(text, state, "Which area do you mean?")
            scope = places[0] if places else gaz.region()
            if over is None and scope.level in ("lad", "ward", "town") and self._generic_area(f) and all(
                    r.sheet.geography.level == "lsoa" for r in cat.concepts.get(concept, ())):
                over = Areas("lsoa")      # 'which area ...' of a figure published for neighbourhoods only
            if over is None:
                child = {"region": "lad", "lad": "ward", "ward": "lsoa", "country": "lad"}.get(scope.level)
                if child is None:
                    intent = "value"
                else:
                    over = Areas(child)
            if over is not None and isinstance(over, Areas) and scope.level != "country" and \
                    LEVEL_ORDER.index(over.level) >= LEVEL_ORDER.index(scope.level):
                # 'which council has the highest X' asked of a council: its place among the councils
                scope = self._ancestor_above(scope, over.level)
            if intent in ("ranking", "breakdown"):
                places = [scope]
        if not places:
            if intent in ("value", "comparison", "trend"):
                return self._which_place(text, state, "Which area do you mean?")
            places = [gaz.region()]
        filters = choice.filters
        # ('how many of Liverpool's LSOAs had a lower population in 2020 than 2019': the areas counted
        # by their change need a dataset of those areas, not the council's own figures)
        counted_by_change = choice.change_count and bool(f.levels) and places and \
            LEVEL_ORDER.index(f.levels[0][1]) < LEVEL_ORDER.index(places[0].level)
        bound = self._bind(concept, places, "ranking" if counted_by_change else intent,
                           Areas(f.levels[0][1]) if counted_by_change else over, when, filters, f,
                           small_areas=(bool(excluded) and intent == "value") and (
                               "councils" if places[0].level == "region" and all(
                                   gaz.get(k).level == "lad" for k in excluded) else True))
        if isinstance(bound, str):
            return self._no_data(state, bound, "unbound", self._say_measure(concept, filters))
        if isinstance(bound, Planned):
            return replace(bound, state={**state, **bound.state})
        if isinstance(bound, Editions):
            return self._editions_plan(bound, places, intent, choice, f, when, state)
        ref, periods, dataset_filters, note = bound
        sheet = ref.sheet
        if f.add_up is not None and ref.measure.rollup not in ("sum", "count"):
            what = self._say_measure(concept, filters)
            return self._no_data(state, f"I can't add up {what}: it is a {ref.measure.format} for each place and period on "
                                        "its own, so a sum of them is not a figure of anything. Ask for them side by side, "
                                        "or for one of them.", "not_additive", f"{what}, added up")
        if choice.change:
            return self._change_plan(f, choice, ref, periods, dataset_filters, intent, over, places, state, when,
                                     limit)
        if f.combined and intent != "comparison":
            what = self._say_measure(concept, filters)
            return self._no_data(state, f"I can add places together for one figure, but not in a {intent}, so I "
                                        f"haven't given {what} for them some other way.", "unexplained",
                                 f"{what}, places added together")
        over_time = isinstance(over, Categories) and over.column == sheet.time.column
        several = len(periods.values) > 1 and not (ref.measure.rollup in ("sum", "count") and sheet.time.additive) \
            and not over_time          # ('which year was it highest': the periods are the rows, never added)
        if several and (intent == "comparison" or (intent == "ranking" and not f.levels and f.grouping is None
                                                   and not isinstance(over, (Categories, Members)))) \
                and len({p.key for p in places}) == 1:
            # 'are there more pensioners in Wirral now than in 2017? compare 2017 and 2020': one place
            # compared with itself over the periods named, each shown (never added together)
            intent = "trend"
        if intent == "value" and several:
            # 'the health index between 2017 and 2019', 'the population in 2017 and 2019': the
            # periods one by one (a score or a mid-year count can't be added over periods)
            intent = "trend"
        elif several and intent in ("comparison", "ranking", "breakdown", "count"):
            label = self._say_measure(concept, filters)
            return self._no_data(state, (
                f"{label[:1].upper()}{label[1:]} is a figure for each period on its own ({sheet.time.label}), so the "
                f"{len(periods.values)} periods asked can't be added together. Ask for one of them, or for how it "
                "changed over them."), "not_additive", f"{label} over {len(periods.values)} periods together")
        if intent == "trend" and choice.share and ref.measure.format == "count" and not self._total_of(ref):
            choice = replace(choice, share=False)   # 'percentage growth': the change, in per cent, is given
        less: tuple[str, ...] = ()
        if choice.less:
            got_less = self._less_in(ref, choice.less)
            if isinstance(got_less, str):
                return self._no_data(state, got_less + ".", "unbound", self._say_measure(concept, filters))
            less = got_less
        if choice.per_period and intent == "trend":
            return self._no_data(state, f"I can give {self._say_measure(concept, filters)} as an average per month "
                                        "or month by month, not both at once: ask for one of them.", "unexplained",
                                 f"{self._say_measure(concept, filters)}, an average per month over time")
        subject = Subject(ref.measure.id, sheet.id, periods, dataset_filters, less, per_period=choice.per_period)
        share = choice.share
        rate, rate_note = None, ""
        table_total = self._total_of(ref)
        if f.per is None and f.rate_word is not None and not ref.measure.rates and table_total \
                and ref.measure.format == "count" and self._member_of(ref.measure.id, table_total):
            # 'the disability rate', 'overcrowding rates': a part of a table with no rate of its own
            # is given as its share (%) of the table's total
            share = True
            total_label = ref.sheet.measure_by_id[table_total].label
            rate_note = f"The rate is the share (%) of {total_label[:1].lower()}{total_label[1:]}."
        elif f.per is not None or f.rate_word is not None:
            got = self._rate(ref, f, places, intent, periods)
            if isinstance(got, str):
                return self._no_data(state, got, "unexplained", self._say_measure(concept, filters))
            rate, rate_note = got
        kept = tuple(x for x in dataset_filters if not x.exclude)
        if share and not choice.less and not self._member_of(ref.measure.id, self._total_of(ref) or "") and intent in ("value", "comparison") \
                and kept and rate is None and ref.measure.rollup == "sum" and self._whole(f, places) is None:
            # 'what percentage of incidents in Knowsley were anti-social behaviour': the part the
            # filter keeps over the same measure for the same places and periods, unfiltered
            rate = Rate(ref.measure.id, sheet.id, periods, 100)
            share = False
            rate_note = (f"The share is of all {ref.measure.label.lower()} in the same place and period "
                         f"({self._say_measure(concept, filters)} over the total).")
        elif share and not choice.less and not self._member_of(ref.measure.id, self._total_of(ref) or "") and intent == "value":
            whole = self._whole(f, places)
            if whole is None:
                return self._no_data(state, f"I can't give {self._say_measure(concept, filters)} as a share: it is not "
                                            "part of a table with a total, and no larger area was named to take a share "
                                            "of.", "unexplained", self._say_measure(concept, filters))
            share = False
            places = [p for p in places if p.key != whole.key] or places
        try:
            plan = self._make(intent, subject, places, over, order, limit, share, rate, excluded, f, stat=choice.stat)
            if whole is not None:
                plan = replace(plan, of_place=whole.key) if "of_place" in plan.__dataclass_fields__ else plan
            if getattr(plan, "benchmark", None) and not cat.supports(ref, gaz.get(plan.benchmark)):
                # ('..., is it above England?' of a dataset with no England row: the ranking, said so)
                f.dropped = (ref.sheet.title, [gaz.get(plan.benchmark).display])
                plan = replace(plan, benchmark=None)
            queries.validate(plan, cat, gaz)
        except NotAvailable as e:
            return self._no_data(state, f"That is not available here: {e}.", "not_available", self._say_measure(concept, filters))
        except PlanInvalid as e:
            return self._no_data(state, f"I couldn't answer that in the form it was asked ({e}), so I haven't guessed.",
                                 "invalid", self._say_measure(concept, filters))
        notes = [n for n in (choice.note, note, rate_note) if n]
        if no_place and intent in ("ranking", "breakdown") and plan.places == (gaz.region().key,):
            notes.append(f"No area was named, so this is for the {gaz.region().display}.")
        if f.dropped:
            title, gone = f.dropped
            notes.append(f"{title} has no figure for {', '.join(gone)}, so it is not in the comparison.")
        if f.left_parts:
            notes.append(f"Your question also asked about {', '.join(repr(w) for w in f.left_parts)}; "
                         "this answers the first part only: ask for the rest separately.")
        understood = self._understood(plan, f, when, whole)
        if f.dropped and isinstance(plan, RankingPlan):
            understood = understood.rstrip(".") + f"; {f.dropped[0]} has no figure for {', '.join(f.dropped[1])} to set beside it."
        elif f.dropped:
            # ('England's health index ... benchmark Sefton against it': England is not held, said in the
            # line that says what was understood, never left out silently)
            understood = understood.rstrip(".") + (f"; not given: {', '.join(f.dropped[1])} ({f.dropped[0]} "
                                                   "has no figure for it).")
        if f.left_parts:
            understood = understood.rstrip(".") + "; not answered here: " + ", ".join(
                repr(w) for w in f.left_parts) + " (ask for it separately)."
        understood = self._bands_said(plan, f, understood)
        carried_next = self._carry(plan, when, f)
        return Planned("data", plan, message=" ".join(notes),
                       state={**state, "pending": None, "frame": carried_next.to_state(), "last": None},
                       understood=understood)

    def _several_measures(self, f: Frame, choice: Choice, places: list[Place], intent: str,
                          state: dict) -> Planned | None:
        """'Halton's population and how deprived it is': several measures of one place, each a plain
        figure, are answered together (every part, never the first alone), each for the year named
        or its latest; None when any part is more than a plain figure or not held for the place."""
        # a part's phrase tied between measures ('private rent') is the one in the first part's dataset
        mine = {r.dataset for r in self.catalog.concepts.get(choice.concept, ())}
        for k, c in enumerate(f.left_concepts):
            hit = next((h for sp, h in f.measures if h.best == c), None)
            if hit is not None and not any(r.dataset in mine for r in self.catalog.concepts.get(c, ())):
                tied = [x for x, sc in hit.concepts if sc == hit.concepts[0][1]]
                f.left_concepts[k] = next((x for x in tied if any(r.dataset in mine for r in self.catalog.concepts.get(x, ()))), c)
        concepts = [choice.concept] + [c for c in dict.fromkeys(f.left_concepts) if c != choice.concept]
        headline = False
        if len(concepts) == 1 and f.cues.get("summary") is not None and len(places) == 1:
            # 'the headline deprivation picture for Knowsley': the figures the datasheet says summarise its topic
            named = self._named(f) if f.sources else set()
            sheets = [r.sheet for r in self.catalog.concepts.get(choice.concept, ())
                      if choice.concept in r.sheet.headline and (not named or r.dataset in named)
                      and self.catalog.supports(r, places[0])]
            if sheets:
                concepts, headline = list(sheets[0].headline), sheets[0]
                if named and len(sheets) == 1 and sheets[0].time.granularity == "fixed" and not f.periods:
                    f.force_year = sheets[0].time.period
        rank_said = self._rank_of_a_part(f, concepts)
        if rank_said is not None and intent == "ranking":
            # 'Knowsley's IMD 2025 rank and its population': the rank said of one part is that part's
            # figure (its national rank), not a ranking of areas
            concepts, intent = rank_said, "value"
        if intent not in ("value", "comparison") or len(places) != 1 or len(concepts) < 2 or \
                len(f.left_concepts) != len(f.left_parts):
            return None
        difference = f.difference is not None and f.difference[1] != "ratio" and len(concepts) == 2 and len({
            (r.measure.unit, r.measure.format) for c in concepts for r in self.catalog.concepts.get(c, ())[:1]}) == 1
        # 'social rent %, private rent % and overcrowding %': each as a share of its table's total
        shares = (f.share is not None or choice.share) and f.difference is None and all(
            any(self._in_table(r) for r in self.catalog.concepts.get(c, ())) for c in concepts)
        if choice.filters or (choice.share and not shares) or choice.change or choice.less or choice.per_period \
                or choice.table or f.per is not None or f.rate_word is not None \
                or (f.difference is not None and not difference) or (f.share is not None and not shares) \
                or f.condition is not None or f.grouping or f.order or f.limit or f.combined \
                or any(lvl != places[0].level for _, lvl in f.levels):      # ('a borough overview of Wirral')
            return None
        named = [(sp, w) for sp, w in f.periods if not w.is_latest]       # ('the latest IMD': its latest)
        years = {w.start[0] for _, w in named if w.start and w.end and w.start[0] == w.end[0]}
        own = self._years_per_part(f, concepts, named, places[0])
        if own is not None:
            # '(a) the IMD 2025 rank and (b) the population in 2021': each part in the year said with it
            return self._parts_each_year(f, state, choice, concepts, own, places[0], difference, shares)
        if named and (len(years) != 1 or len(named) != 1 or named[0][1].grain != "year"):
            return None
        year = str(next(iter(years))) if years else getattr(f, "force_year", None)
        if year is None and f.sources:
            # 'in the 2019 indices': the edition of the source named, for every part (never the latest)
            fixed = {self.catalog.sheets[ds].time.period for ds in self._named(f) if ds in self.catalog.sheets
                     and self.catalog.sheets[ds].time.granularity == "fixed"}
            year = next(iter(fixed)) if len(fixed) == 1 else None
        place = places[0]
        if any(self.catalog.bind(c, [place], None, year) is None for c in concepts):
            return None
        at = {}
        for sp, h in f.measures:
            for c, _ in h.concepts:
                at.setdefault(c, sp.start)
        for sp, age in f.ages:
            c = self._ages_alone(f, age)
            if c is not None:
                at.setdefault(c, sp.start)
        concepts.sort(key=lambda c: at.get(c, 10 ** 6))         # in the order they were asked
        labels = [self._plain_label(c) for c in concepts]
        said = ", ".join(labels[:-1]) + " and " + labels[-1]
        f.left_parts.clear()
        if difference:
            said += f", and the difference ({labels[0]} minus {labels[1]})"
        if shares:
            said += ", each as a share of its table's total"
        if headline:
            said = "the headline figures: " + said
        when_said = next((r.sheet.time.label for r in self.catalog.concepts.get(concepts[0], ())
                          if headline and r.sheet.time.period == year), year)
        return self._done(SummaryPlan(place.key, year=year, measures=tuple(concepts), difference=difference,
                                      shares=shares),
                          f, state, choice, f"Understood: {said} in {place.display}, "
                          + (f"{when_said}." if year else "each the latest held." if f.periods or f.sources else
                             "each the latest held (no period named)."))

    def _rank_of_a_part(self, f: Frame, concepts: list[str]) -> list[str] | None:
        """The parts of a several-part question with a part's 'rank' said right after its measure
        ('the IMD 2025 rank and the population'): that part as its rank; None when no such word,
        or the question ranks areas (levels, an order or a number of them)."""
        cue = f.cues.get("rank")
        if cue is None or f.levels or f.grouping is not None or f.limit is not None or len(concepts) < 2:
            return None
        t = f.reading.q.tokens
        before = cue.start
        while before > 0 and f.reading.slot_at(before - 1) == "period":
            before -= 1
        hit = next(((sp, h) for sp, h in f.measures if sp.end == before), None)
        if hit is None:
            return None
        base = self._base(hit[1].best)
        rank = f"{base}_rank"
        if rank not in self.catalog.concepts or not any(self._base(c) == base for c in concepts):
            return None
        f.reading.uncovered[:] = [i for i in f.reading.uncovered if i != cue.start]
        return [rank if self._base(c) == base else c for c in concepts]

    @staticmethod
    def _base(concept: str) -> str:
        """A measure without the form it is given in ('imd_rank', 'imd_score' -> 'imd')."""
        return re.sub(r"_(score|rank|decile|rate)$", "", concept)

    def _years_per_part(self, f: Frame, concepts: list[str], named, place: Place) -> dict[str, str | None] | None:
        """The year said beside each part of a several-part question ('the IMD 2025 rank and the
        population in 2021'), when the parts are not all held for one year: each named year is
        said right by one part's measure; a part with none is its latest. None otherwise."""
        if not named or any(w.grain != "year" or not (w.start and w.end) or w.start[0] != w.end[0] for _, w in named):
            return None
        years = {w.start[0] for _, w in named}
        if len(years) == 1 and all(self.catalog.bind(c, [place], None, str(next(iter(years)))) is not None
                                   for c in concepts):
            return None             # (one year for every part: said as before)
        t = f.reading.q.tokens
        spans = {}
        for sp, h in f.measures:
            for c in concepts:
                if h.best == c or c in {x for x, _ in h.concepts} or re.sub(r"_(score|rank|decile)$", "", c) == \
                        re.sub(r"_(score|rank|decile)$", "", h.best):
                    spans.setdefault(c, sp)
        out: dict[str, str | None] = {c: None for c in concepts}
        for sp, w in named:
            near = [c for c, m in spans.items() if m.end == sp.start or sp.end == m.start or (
                m.end + 1 == sp.start and t[m.end] in ("in", "for", "of", "from")) or (
                sp.end + 1 == m.start and t[sp.end] in ("the",))]
            if len(near) != 1 or out[near[0]] is not None:
                return None
            out[near[0]] = str(w.start[0])
        if any(self.catalog.bind(c, [place], None, y) is None for c, y in out.items()):
            return None
        return out

    def _parts_each_year(self, f: Frame, state: dict, choice: Choice, concepts: list[str], own: dict,
                         place: Place, difference: bool, shares: bool) -> Planned:
        base = self._base
        at = {c: min((sp.start for sp, h in f.measures if base(h.best) == base(c) or c in {x for x, _ in h.concepts}),
                     default=10 ** 6) for c in concepts}
        concepts = sorted(concepts, key=lambda c: at[c])
        years = tuple(own[c] for c in concepts)
        parts = [f"{self._plain_label(c)} ({y if y else 'the latest held'})" for c, y in zip(concepts, years)]
        said = ", ".join(parts[:-1]) + " and " + parts[-1]
        f.left_parts.clear()
        return self._done(SummaryPlan(place.key, measures=tuple(concepts), years=years,
                                      difference=difference and len(set(years)) == 1, shares=shares),
                          f, state, choice, f"Understood: {said} in {place.display}, each part for the year said "
                                            "with it.")

    def _plain_label(self, concept: str) -> str:
        """A measure's label mid-sentence: its first word lowered unless the label is a proper name."""
        label = self.catalog.label(concept)
        head, _, rest = label.partition(" ")
        proper = any(w[:1].isupper() for w in rest.split() if w[:1] not in "(") and not head.isupper()
        return label if proper or head.isupper() else label[:1].lower() + label[1:]

    def _areas_by_table(self, f: Frame, choice: Choice, places: list[Place], text: str, state: dict) -> Planned | None:
        """'Which 3 wards in Sefton are lowest for accommodation type?': areas ranked by a whole table
        is not one figure; which part of it is asked back (never its categories ranked instead)."""
        if choice.table is None or f.grouping is not None or not f.levels or len(places) > 1:
            return None
        if not (f.order is not None or f.limit is not None or f.cues.get("rank") is not None):
            return None
        level = f.levels[0][1]
        if places and LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(places[0].level):
            return None
        ds, gid = choice.table
        sheet = self.catalog.sheets[ds]
        total = next((g.total for g in sheet.groups if g.id == gid), None)
        opts = [(m.label, cid) for m in sheet.measures if m.group == gid and not m.sum_of and m.id != total
                for cid, refs in self.catalog.concepts.items() if any(r.measure.id == m.id and r.sheet.id == ds for r in refs)]
        if not opts:
            return None
        label = next((g.label for g in sheet.groups if g.id == gid), gid).lower()
        got = self._which_measure(label, opts[:8], text, state)
        return replace(got, message=f"Areas are ranked by one figure, and {label} is a table of several: "
                                    "which part of it should the areas be ranked by?")

    def _intent(self, f: Frame, choice: Choice, places: list[Place], carried: Carried | None):
        cues = f.cues
        ms = sorted((sp for sp, _ in f.measures), key=lambda sp: sp.start)
        if not f.levels and f.grouping is None and any(
                self._or_compared(f.reading.q.tokens, a, b) for a, b in zip(ms, ms[1:])):
            # 'were there more women or men in Halton?': the two figures side by side, not a ranking
            f.order = None
            return "value", None, None, None
        level = self._level(f, places)
        over = None
        if f.grouping is not None:
            over = self._over_from_grouping(f.grouping[1], choice, f)
        if over is None and choice.table is not None:
            over = Members(choice.table[1], also=choice.table_also)
        if over is None and f.dimensions:
            over = self._named_dimension(choice.concept, f)
        if over is None and f.tables:
            over = self._named_table(choice.concept, f)
        if over is None and level is not None:
            over = Areas(level)
        if cues.get("map") is not None:
            # 'a map of deprivation in Liverpool': its child areas, drawn as a map (neighbourhoods
            # unless another level was named, or the measure is held for councils only)
            if over is not None and not isinstance(over, Areas):
                return "map_of_categories", over, None, None
            if over is None and carried is not None and carried.over and carried.over[0] == "areas" and not f.places:
                over = Areas(carried.over[1])        # 'show that on a map': the areas of the last answer
            return "breakdown", over or Areas(self._map_level(choice.concept, places)), None, None
        counting = cues.get("count") is not None and (f.condition is not None or self._level_after_count(f) is not None)
        if carried is not None and carried.intent == "count" and f.condition is None and (
                (f.places or f.periods or (f.sources and f.followup)) and (not f.names_topic or (
                    carried.measure is not None and f.followup and self._related(choice.concept, carried.measure)))
                or self._count_on_another_domain(f, choice, carried)):
            # 'and what was it in the 2019 IMD?': the same count, in the edition or place named
            return "count", None, None, None
        if f.condition is not None and (counting or level is not None or cues.get("count") is not None
                                        or cues.get("which") is None):
            return "count", None, None, None
        if counting:
            return "count", None, None, None
        if f.common is not None:
            cats = self._categories_of(choice.concept, f)
            if cats is not None:
                # 'which crime type was most common': the one; 'the most common types': all, in order
                singular = cues.get("which") is not None and not any(
                    f.words(s).endswith("s") for s, _ in f.dimensions) and not any(
                    sp.slot in ("common", "table") and f.words(sp).endswith("s") for sp in f.reading.spans)
                return "ranking", cats, f.common, f.limit or (1 if singular else None)
        if isinstance(over, Members) and f.order in ("asc", "desc") and cues.get("which") is not None \
                and not f.levels and f.grouping is None and len(places) <= 1:
            # 'which Health Index domain was Wirral's lowest in 2021': the parts of the table named, in
            # order (the one, when the table is said in the singular)
            singular = not any(f.words(s).endswith("s") for s, _ in f.tables)
            return "ranking", over, f.order, f.limit or (1 if singular else None)
        subject_n = len(places)
        # 'where does Sefton rank': one place's rank (a rank measure), not a table of its wards
        rank_of_one = cues.get("rank") is not None and subject_n == 1 and not f.levels and f.grouping is None \
            and choice.concept.endswith("_rank")
        # 'what share of Liverpool's residents ..., and how does that rank among the councils?': the
        # council's figure, with its place among its peers (a value's context), not a table of its wards
        among_peers = cues.get("rank") is not None and subject_n == 1 and f.order is None \
            and (f.limit is None or (places and places[0].level == "lad" and f.limit == len(self.gaz.lads()))) \
            and f.grouping is None and bool(f.levels) and all(lvl == places[0].level for _, lvl in f.levels)
        # 'where does Sefton rank for crime': the council's figure with its place among the councils
        # (never a table of its own wards)
        where_one = self._where_rank(f.reading.q.tokens) and subject_n == 1 and not f.levels and f.grouping is None \
            and f.order is None and f.limit is None and places[0].level == "lad"
        if among_peers or (where_one and not rank_of_one):
            return "value", None, None, None
        claimed = self._claimed_top(f, places) if not f.levels and f.grouping is None and f.limit is None else None
        if claimed is not None:
            # 'Liverpool has the highest crime severity score', 'is Knowsley really top for ...': whether the
            # place is first is its place among its peers, never a ranking of its own wards
            places[:] = [claimed]
            return "position", Areas(claimed.level), self._order(f, choice.concept), None
        held_rank = rank_of_one and any(self.catalog.supports_level(r, places[0].level)
                                        for r in self.catalog.concepts.get(choice.concept, ()))
        if self._where_rank(f.reading.q.tokens) and subject_n == 1 and not f.levels and f.grouping is None \
                and f.order is None and f.limit is None and places[0].level in ("ward", "lsoa") and not held_rank:
            # 'where does Linacre ward rank for crime': the wards of its council in order, the ward among
            # them (never a table of the ward's own neighbourhoods)
            return "position", Areas(places[0].level), self._order(f, choice.concept), None
        ranked = (f.order is not None or f.limit is not None or cues.get("rank") is not None) and not rank_of_one
        if ranked and subject_n >= 2 and cues.get("rank") is not None and f.levels and self._asked_apart(f, cues["rank"]):
            # 'Cllr said Sefton has the worst GP access in the city region. Rank the 6 councils ...': the
            # request names no place; the places said before it are the claim, the ranking is of the level
            subject_n = 1
        if ranked and subject_n <= 1:
            order = self._order(f, choice.concept)
            limit = f.limit
            if over is None and self._says_type(f):
                over = self._categories_of(choice.concept, f)
            if over is not None and not isinstance(over, Areas) and cues.get("which") is not None and limit is None:
                limit = 1
            if isinstance(over, Areas) or over is None:
                plural = any(self.w.levels and w.endswith("s") for s, w in [(s, f.words(s)) for s, _ in f.levels])
                if limit is None and cues.get("which") is not None and not plural:
                    limit = 1
            return "ranking", over, order, limit
        if cues.get("trend") is not None or (f.grouping is not None and f.grouping[1] == ("time", "year")):
            return "trend", None, None, None
        if (len(f.periods) >= 2 and (cues.get("compare") is not None or f.difference is not None
                                     or not self._additive(choice.concept))) or \
                (f.periods and f.periods[0][1].kind == "set" and f.difference is not None):
            return "trend", None, None, None
        if subject_n >= 2:
            return "comparison", None, None, None
        if over is not None and (f.grouping is not None or choice.table is not None or f.dimensions or f.tables or
                                 cues.get("breakdown") is not None or (level is not None and self._each(f))):
            return "breakdown", over, None, None
        if over is not None and isinstance(over, Areas) and places and \
                LEVEL_ORDER.index(over.level) < LEVEL_ORDER.index(places[0].level):
            return "breakdown", over, None, None
        if carried is not None and not f.names_topic and carried.intent in ("ranking", "breakdown", "trend") and \
                not f.periods and not f.places and f.add_up is None:
            over = self._over_from_carried(carried)
            return carried.intent, over, carried.order, carried.limit
        if carried is not None and carried.intent in ("ranking", "breakdown", "trend") and not f.names_topic \
                and (f.places or f.periods) and f.add_up is None:
            one = [w for _, w in f.periods if w.kind == "span" and w.start and w.end and w.start[0] == w.end[0]
                   and w.grain == "year"]
            if carried.intent == "trend" and len(f.periods) == 1 and one:
                # 'and what was St Helens on that in 2021?' after a change over time: that one year's figure
                return "value", None, None, None
            return carried.intent, self._over_from_carried(carried), carried.order, carried.limit
        return "value", None, None, None

    @staticmethod
    def _asked_apart(f: Frame, cue) -> bool:
        """The sentence holding ``cue`` names no place, and another sentence does."""
        sents = f.reading.q.sentences
        mine = next(((a, b) for a, b in sents if a <= cue.start < b), None)
        if mine is None or len(sents) < 2:
            return False
        return not any(mine[0] <= p.span.start < mine[1] for p in f.places)

    # -- pieces of the shape --------------------------------------------------------------
    def _map_level(self, concept: str, places: list[Place]) -> str:
        levels = {r.sheet.geography.level for r in self.catalog.concepts.get(concept, ())}
        scope = places[0].level if places else "region"
        if "lsoa" in levels and scope in ("region", "lad", "ward"):
            return "lsoa"
        if "ward" in levels and scope in ("region", "lad"):
            return "ward"
        return "lad"

    def _level(self, f: Frame, places: list[Place]) -> str | None:
        for s, lvl in f.levels:
            word = f.words(s)
            if word in ("areas", "area", "places", "towns"):
                continue
            if places and any(p.level == lvl for p in places) and not self._each(f):
                continue
            return lvl
        return None

    @staticmethod
    def _generic_area(f: Frame) -> bool:
        t = f.reading.q.tokens
        return any(w in ("area", "areas", "part", "parts", "bit", "bits") and i and t[i - 1] in ("which", "what")
                   for i, w in enumerate(t))

    def _each(self, f: Frame) -> bool:
        return any(w in f.reading.q.tokens for w in ("each", "every", "all", "per", "by", "across", "which"))

    def _level_after_count(self, f: Frame) -> str | None:
        s = f.cues.get("count")
        if s is None:
            return None
        for ls, lvl in f.levels:
            if 0 <= ls.start - s.end <= 3:
                return lvl
        return None

    def _says_type(self, f: Frame) -> bool:
        t = f.reading.q.tokens
        return bool(f.dimensions) or any(w in t for w in ("type", "types", "kind", "kinds", "category", "categories"))

    def _region_can_give(self, concept: str, over) -> bool:
        """Can the city region's rows (its councils, or its own figure split by category) be given?"""
        cat, region = self.catalog, self.gaz.region()
        if concept not in cat.concepts:
            return True
        return any(cat.supports_level(r, over.level) if isinstance(over, Areas) else cat.supports(r, region)
                   for r in cat.concepts[concept])

    def _split_not_applied(self, f: Frame, concept: str, over) -> str:
        """The words of a split the plan does not make ('crime in Wirral by age': no age in the
        crime data), so that no total is given for a question asked by a split."""
        if isinstance(over, (Members, Categories)):
            return ""
        own = {r.dataset for r in self.catalog.concepts.get(concept, [])}
        groups = {(r.dataset, r.measure.group) for r in self.catalog.concepts.get(concept, []) if r.measure.group}
        t = f.reading.q.tokens
        # ('overcrowded on the bedroom occupancy rating': the table the measure is part of, named as its
        # source, not a split of it; 'by' a table is still a split)
        def named_as_source(s):
            k = s.start - 1
            while k >= 0 and t[k] in ("the", "a"):
                k -= 1
            return k >= 0 and t[k] in ("on", "from", "using", "according")
        left = [f.words(s) for s, hit in f.tables
                if not (any((ds, gid) in groups for ds, gid, _ in hit.options) and named_as_source(s))]
        sheets = self.catalog.sheets
        left += [f.words(s) for s, hit in f.dimensions if not any(ds in own for ds, _ in hit.options)
                 and not all(ds in sheets and sheets[ds].time.column == col for ds, col in hit.options)]
        # ('by month' is a split over time, made by the time grammar)
        return ", ".join(re.sub(r"^(by|per|each|split by|broken down by) ", "", w) for w in left)

    def _splits_held(self, concept: str) -> str:
        names: list[str] = []
        for r in self.catalog.concepts.get(concept, []):
            names += self._split_labels(r.sheet)
            names += [g.label.lower() for g in r.sheet.groups if g.total == concept]
        return ", ".join(dict.fromkeys(names))

    def _named_table(self, concept: str, f: Frame):
        # 'households by tenure', 'population by age': the table whose total is the measure
        refs = {r.dataset for r in self.catalog.concepts.get(concept, [])}
        for s, hit in f.tables:
            for ds, gid, total in hit.options:
                if total == concept:
                    return Members(gid)
            # 'lupus participants by sex': the words name a column of the measure's own dataset
            words = tuple(w for w in hit.words if w not in ("by", "per", "each"))
            for ds, col in self.topics.dims.get(words, []):
                if ds in refs:
                    return Categories(col)
        return None

    def _named_dimension(self, concept: str, f: Frame):
        refs = self.catalog.concepts.get(concept, [])
        for s, hit in f.dimensions:
            for ds, col in hit.options:
                if any(r.dataset == ds for r in refs):
                    return Categories(col)
        return None

    def _categories_of(self, concept: str, f: Frame):
        """The categories a 'most common ...' ranking is over: a dimension named, the measure's
        own dimension, or its table's parts."""
        cat = self.catalog
        refs = cat.concepts.get(concept, [])
        for s, hit in f.dimensions:
            for ds, col in hit.options:
                if any(r.dataset == ds for r in refs):
                    return Categories(col)
        for s, hit in f.tables:
            for ds, gid, total in hit.options:
                if any(r.dataset == ds for r in refs):
                    return Members(gid)
        for r in refs:
            dims = [d for d in r.sheet.dimensions if d.column != r.sheet.time.column]
            if dims:
                return Categories(dims[0].column)
            g = next((g for g in r.sheet.groups if g.total == concept), None)
            if g is not None:
                return Members(g.id)
            if r.measure.group:
                return Members(r.measure.group)
            if r.measure.format == "category":
                return Categories(r.measure.column)      # 'the most common rural-urban class': areas counted
        return None

    def _over_from_grouping(self, value, choice: Choice, f: Frame):
        kind, what = value
        if kind == "level":
            return Areas(what)
        if kind == "time":
            for r in self.catalog.concepts.get(choice.concept, []):
                if r.sheet.time.column and r.sheet.time.granularity == what:
                    return Categories(r.sheet.time.column)
            return None
        words = tuple(what)
        for ds, col in self.topics.dims.get(words, []):
            if any(r.dataset == ds for r in self.catalog.concepts.get(choice.concept, [])):
                return Categories(col)
        for ds, gid, total in self.topics.groups.get(words, []):
            if any(r.dataset == ds for r in self.catalog.concepts.get(choice.concept, [])):
                return Members(gid)
        if words in (("type",), ("kind",), ("category",)):
            return self._categories_of(choice.concept, f)
        return None

    def _over_from_carried(self, carried: Carried):
        if not carried.over:
            return None
        kind, what = carried.over
        return {"areas": Areas, "categories": Categories, "members": Members}[kind](what)

    def _order(self, f: Frame, concept: str) -> str:
        direction = self.catalog.concepts[concept][0].measure.direction if concept in self.catalog.concepts else "neutral"
        worse = direction == "higher_is_worse"
        if f.order == "best":
            return "asc" if worse else "desc"
        if f.order == "worst":
            return "desc" if worse else "asc"
        t = f.reading.q.tokens
        # 'most deprived' on a scale whose higher end is the better (a rank where 1 is the most
        # deprived): the lowest first
        flip = (lambda o: "asc" if o == "desc" else "desc") if direction == "higher_is_better" else (lambda o: o)
        for i in range(len(t) - 1):
            if t[i:i + 2] == ["least", "deprived"]:
                # 'from most to least deprived': the first end of the range comes first
                if "most" in t[:i] and "to" in t[t.index("most"):i]:
                    return flip("desc")
                return flip("asc")
            if t[i] == "deprived" and "to" in t[i:i + 2] and "least" in t[i + 1:i + 4]:
                return flip("desc")       # 'most deprived to least'
        if any(t[i:i + 2] == ["most", "deprived"] for i in range(len(t) - 1)) and f.order in (None, "desc"):
            return flip("desc")
        if f.order is None and concept in self.catalog.concepts and self.catalog.concepts[concept][0].measure.format == "rank":
            return "asc"          # 'rank the councils by their national rank': rank 1 first, as ranks are read
        return f.order or "desc"

    def _ancestor_above(self, place: Place, level: str) -> Place:
        p = place
        while p.level != "country" and LEVEL_ORDER.index(p.level) <= LEVEL_ORDER.index(level):
            p = self.gaz.parent(p) or self.gaz.region()
        return p

    def _ratio_named(self, f: Frame, spans) -> str | None:
        """Two measures said as 'A per B' ('for each B') where a datasheet declares the ratio of A's
        column over B's: that ratio."""
        if len(spans) != 2:
            return None
        t = f.reading.q.tokens
        (a, ha), (b, hb) = sorted(spans, key=lambda x: x[0].start)
        between = t[a.end:b.start]
        if not ("per" in between or any(between[k:k + 2] in (["for", "each"], ["for", "every"])
                                        for k in range(len(between)))):
            return None
        for refs in self.catalog.concepts.values():
            for r in refs:
                m = r.measure
                if not (m.numerator and m.denominator):
                    continue
                num = {x.measure.column for x in self.catalog.concepts.get(ha.best, ()) if x.dataset == r.dataset}
                den = {x.measure.column for x in self.catalog.concepts.get(hb.best, ()) if x.dataset == r.dataset}
                if m.numerator in num and m.denominator in den:
                    return next(c for c, rs in self.catalog.concepts.items() if r in rs)
        return None

    def _in_named_source(self, f: Frame, concept: str, spans) -> str:
        """'the IoD 2019 homelessness indicator': a measure the source named does not hold, said in
        words that name exactly one measure it does hold, is that measure."""
        if not f.sources or not spans or concept not in self.catalog.concepts:
            return concept
        named = self._named(f)
        if any(r.dataset in named for r in self.catalog.concepts[concept]):
            return concept
        key = {lemma(w) for s, h in spans if h.best == concept for w in h.words} - self.fillers - self.generic
        if not key:
            return concept
        found = [c for c, refs in self.catalog.concepts.items()
                 if any(r.dataset in named for r in refs) and key <= self.topics.own_words(c)]
        return found[0] if len(found) == 1 else concept

    def _the_two(self, f: Frame, state: dict) -> None:
        """'which of the two has the higher share ...': the last two places the conversation spoke of,
        when the question names none."""
        t = f.reading.q.tokens
        spoken = [k for k in state.get("spoken") or () if k in self.gaz.places]
        if f.places or len(spoken) < 2:
            return
        said = [i for i in range(len(t) - 1) if t[i] in ("the", "those", "these") and t[i + 1] in ("two", "2")] + \
            [i for i in range(len(t) - 1) if t[i:i + 2] in (["both", "of"],) and t[i + 2:i + 3] == ["them"]]
        if not said:
            return
        i = said[0]
        span = Span("place", i, i + 2, None)
        for k in spoken[-2:]:
            place = self.gaz.places[k]
            f.places.append(PlaceRef(PlaceFound((place,), place.name.lower()), span))
        for j in range(len(t)):
            if t[j] in ("two", "2") and j in f.reading.uncovered and j - 1 >= 0 and t[j - 1] in ("the", "those", "these"):
                f.reading.uncovered.remove(j)

    EDITION_WORDS = ("index", "indices", "indexes", "imd", "iod", "editions", "versions", "releases")

    def _years_as_editions(self, f: Frame) -> None:
        """'between the 2019 and 2025 index': years that are each an edition of one publication
        series, said with the series' word, name those editions (as 'IoD2019 and IoD2025' would)."""
        t = f.reading.q.tokens
        for ps, w in list(f.periods):
            if w.kind != "set" or len(w.members) < 2 or any(m.grain != "year" or not m.start for m in w.members):
                continue
            after = ps.end + (1 if ps.end < len(t) and t[ps.end] == "the" else 0)
            before = ps.start - 1
            said = after if after < len(t) and t[after] in self.EDITION_WORDS else (
                before if before >= 0 and t[before] in self.EDITION_WORDS else None)
            if said is None:
                continue
            editions = []
            for m in w.members:
                year = str(m.start[0])
                ds = frozenset(sid for sid, sh in self.catalog.sheets.items()
                               if sh.edition is not None and sh.time.period == year)
                at = next((j for j in range(ps.start, ps.end) if t[j] == year), None)
                if not ds or at is None:
                    break
                editions.append((at, ds))
            else:
                series = {self.catalog.sheets[d].edition.series for _, ds in editions for d in ds}
                if len(series) != 1:
                    continue
                f.periods.remove((ps, w))
                for at, ds in editions:
                    f.sources.append((Span("source", at, at + 1, ds), ds))
                if said in f.reading.uncovered:
                    f.reading.uncovered.remove(said)
                f.sources.sort(key=lambda x: x[0].start)

    def _edition_sources(self, f: Frame) -> list[tuple]:
        """The source spans that each name one edition of a publication series with a fixed
        period ('IoD2019', 'IMD 2025'), when two or more editions are named: as (span, edition
        label, period)."""
        out = []
        for span, ds in f.sources:
            sheets = [self.catalog.sheets[d] for d in ds]
            eds = {(s.edition.series, s.edition.label, s.time.period) for s in sheets
                   if s.edition is not None and s.time.granularity == "fixed" and s.time.period}
            if len(eds) == 1:
                series, label, period = next(iter(eds))
                out.append((span, series, label, period))
        if len({(x[1], x[2]) for x in out}) < 2 or len({x[1] for x in out}) != 1:
            return []
        return out

    def _editions_of_range(self, f: Frame) -> When | None:
        """'from IoD 2019 to 2025', 'the IMD 2019-2025': a range of years said of a series of fixed editions
        whose ends are two of its editions (none between) is those two editions, never every year between."""
        if len(f.periods) != 1 or not f.sources:
            return None
        _, w = f.periods[0]
        if not (w.start and w.end) or w.start[0] == w.end[0] or w.kind == "set":
            return None
        sheets = [self.catalog.sheets[d] for _, ds in f.sources for d in ds if d in self.catalog.sheets]
        held = {int(s.time.period) for s in sheets if s.edition is not None and s.time.granularity == "fixed"
                and str(s.time.period).isdigit()}
        a, b = w.start[0], w.end[0]
        if a not in held or b not in held or any(a < y < b for y in held):
            return None
        return self._editions_set((a, b), f"{a} and {b}")

    @staticmethod
    def _editions_set(years, words: str) -> When:
        """The years of fixed editions asked together ('2019 and 2025'), each a whole year, as one set."""
        ends = tuple(When((y, 1), (y, 12), "year", str(y)) for y in years)
        return When(ends[0].start, ends[-1].end, "year", words, "set", True, ends)

    def _bands_listed(self, f: Frame) -> None:
        """'by broad age band (0-15, 16-64, 65+)': age bands listed after a split by age are the
        bands of that split said again, not a sub-group to filter to."""
        if f.grouping is None or not f.ages or "age" not in f.words(f.grouping[0]).split():
            return
        t = f.reading.q.tokens
        g = f.grouping[0]
        if any(s.start < g.end for s, _ in f.ages):
            return
        end = max(s.end for s, _ in f.ages)
        rest = [i for i in f.reading.uncovered if g.end <= i < end + 3]
        if any(not (t[i].isdigit() or t[i] in ("to", "and", "plus", "over")) for i in rest):
            return
        f.restated |= {i for s, _ in f.ages for i in s.positions} | set(rest)
        f.bands_asked = [(a.lo, a.hi) for _, a in f.ages]
        # (a band the detector did not read as an age, '16 to 64' after '0 to 15': read from the words)
        k = [i for i in rest if t[i].isdigit()]
        for x, y in zip(k, k[1:]):
            if y == x + 2 and t[x + 1] == "to":
                f.bands_asked.append((int(t[x]), int(t[y])))
        f.ages = []

    def _since_edition(self, f: Frame) -> None:
        """'has that gone up since the 2019 index?': one edition of a series of fixed editions, said
        after 'since', is that edition and every later one held (each from its own dataset): the
        source named widens to them, and the periods asked are their years."""
        if f.periods or len(f.sources) != 1:
            return
        span, ds = f.sources[0]
        t = f.reading.q.tokens
        before = [w for w in t[max(0, span.start - 2):span.start] if w not in ("the", "a")]
        if before[-1:] != ["since"]:
            return
        eds = {(s.edition.series, s.time.period) for s in (self.catalog.sheets[d] for d in ds if d in self.catalog.sheets)
               if s.edition is not None and s.time.granularity == "fixed" and str(s.time.period).isdigit()}
        if len(eds) != 1:
            return
        series, first = next(iter(eds))
        later = [s for s in self.catalog.sheets.values() if s.edition is not None and s.edition.series == series
                 and s.time.granularity == "fixed" and str(s.time.period).isdigit() and int(s.time.period) > int(first)]
        if not later:
            return
        years = sorted({int(first)} | {int(s.time.period) for s in later})
        f.sources[0] = (span, ds | frozenset(s.id for s in later))
        f.periods.append((span, self._editions_set(years, f"since {f.words(span)}")))

    @staticmethod
    def _both(a: When, b: When) -> When:
        """Two periods of the conversation side by side (earlier first), as one set."""
        pair = sorted((a, b), key=lambda w: w.start)
        return When(pair[0].start, pair[1].end, "month" if any(w.grain == "month" for w in pair) else "year",
                    " and ".join(w.words for w in pair), "set", True, tuple(pair))

    def _when(self, f: Frame, carried: Carried | None) -> When | None:
        named = self._edition_sources(f) if not f.periods else []
        if named:
            # 'between IoD2019 and IoD2025': the editions named are the periods asked
            whens = []
            for span, _, label, period in named:
                if period.isdigit() and all(w.words != f.words(span) for w in whens):
                    y = int(period)
                    whens.append(When((y, 1), (y, 12), "year", f.words(span)))
            if len(whens) >= 2:
                return When(min(w.start for w in whens), max(w.end for w in whens), "year",
                            " and ".join(w.words for w in whens), "set", True, tuple(whens))
        pair = self._editions_of_range(f)
        if pair is not None:
            return pair
        if f.periods:
            whens = [w for _, w in f.periods]
            if len(whens) == 1 and carried is not None and carried.when and f.cues.get("compare") is not None \
                    and not f.places and not f.names_topic and f.followup:
                # 'how does that compare with 2015?' after a 2021 figure: both periods, side by side
                before = when_from_state(carried.when)
                if before is not None and before.kind == "span" and before.start and whens[0].start \
                        and (before.start, before.end) != (whens[0].start, whens[0].end):
                    return self._both(before, whens[0])
            if len(whens) == 1 and whens[0].kind == "open" and whens[0].start and whens[0].end is None \
                    and carried is not None and carried.when and not f.names_topic:
                # 'how did Sefton's figure change from mid-2019?' after its mid-2020 figure: from the one
                # named to the one asked before
                now = when_from_state(carried.when)
                if now is not None and now.kind in ("span", "mid_year") and now.start and now.end \
                        and now.start > whens[0].start:
                    # (a year's figure 'from mid-2019' is that year's: the mid-year estimate of 2019)
                    year = whens[0].grain == "year"
                    start = (whens[0].start[0], 1) if year else whens[0].start
                    end = (now.end[0], 12) if year else now.end
                    return When(start, end, whens[0].grain, f"{whens[0].words} to {now.words}", "span", True)
            if len(whens) == 1:
                return whens[0]
            known = [w for w in whens if w.year_known and w.start]
            if known:
                # 'autumn/winter 2019 (Sept-Dec)': months without a year are in the year said beside them
                whens = [w if w.year_known else w.with_year(known[0].start[0]) for w in whens]
            if len(whens) == 2 and all(w.kind == "span" and w.start and w.end for w in whens):
                a, b = sorted(whens, key=lambda w: (w.start, w.end))
                inner = next((x for x, y in ((a, b), (b, a)) if y.start <= x.start and x.end <= y.end), None)
                if inner is not None and (a.start, a.end) != (b.start, b.end):
                    return inner       # one period said again more narrowly: the narrower one
            if len(whens) == 2:
                opened = [w for w in whens if w.kind == "open" and w.start and not w.end]
                closed = [w for w in whens if w.kind == "span" and w.start and w.end]
                if len(opened) == 1 and len(closed) == 1 and closed[0].start > opened[0].start:
                    # 'it took a big hit in 2020 - how much did it drop from 2019?': from the one to the other
                    a, b = opened[0], closed[0]
                    return When(a.start, b.end, "month" if "month" in (a.grain, b.grain) else "year",
                                f"{a.words} to {b.words}", "span", True)
            starts = [w.start for w in whens if w.start]
            ends = [w.end for w in whens if w.end]
            return When(min(starts) if starts else None, max(ends) if ends else None,
                        "month" if any(w.grain == "month" for w in whens) else "year",
                        " and ".join(w.words for w in whens), "set", True, tuple(whens))
        if carried is not None and carried.when:
            if f.sources and all(self.catalog.sheets[ds].time.granularity == "fixed" for ds in self._named(f)):
                return None       # 'and in IoD 2025?': the edition named is its own period
            before, now = when_from_state(carried.before), when_from_state(carried.when)
            if before is not None and now is not None and f.cues.get("trend") is not None and not f.places \
                    and not f.names_topic and before.kind == now.kind == "span" and before.start and now.start:
                # 'so how much has it dropped by?' after 2021 then 2015: the change between the two
                return self._both(before, now)
            return now
        return None

    # ================================================================== binding
    def _bind(self, concept, places, intent, over, when, filters, f: Frame, vintage: str | None = None,
              editions: bool = False, small_areas: bool | str = False):
        """The dataset for the measure, places, rows and period; or why none holds them
        (``vintage``: prefer a dataset on that geography vintage, to join another measure's areas)."""
        cat = self.catalog
        refs = cat.concepts.get(concept, [])
        years = {str(y) for y in f.single_years}

        def of_year(r) -> bool:
            return r.sheet.time.granularity != "fixed" or not years or r.sheet.time.period in years
        if vintage is not None and any(r.sheet.geography.vintage == vintage and of_year(r) for r in refs):
            # (the vintage preferred only among the editions of the year named: 'in 2025' is never IoD2019)
            refs = [r for r in refs if r.sheet.geography.vintage == vintage]
        sources = f.sources
        if sources and (f.per is not None or f.rate_word is not None):
            # 'per 1,000 residents, using the mid-2019 population estimate': a source named for the
            # rate's denominator, not for the figure
            own = {r.dataset for r in refs}
            sources = [(sp, ds) for sp, ds in sources if set(ds) & own]
        editions_named = [r for r in refs if r.sheet.time.granularity == "fixed" and r.sheet.time.period in years]
        if editions_named and f.carried_dataset and self.catalog.sheets.get(f.carried_dataset) is not None \
                and self.catalog.sheets[f.carried_dataset].time.period not in years:
            # 'which ward has the most of those in 2025?' after a figure from IoD2019: the edition of the year named
            refs = editions_named
        elif not sources and f.carried_dataset and self.catalog.sheets.get(f.carried_dataset) is not None \
                and self.catalog.sheets[f.carried_dataset].edition is not None:
            # 'and for Wirral?' after a figure from IoD2019: the same edition (never the latest instead)
            same = [r for r in refs if r.dataset == f.carried_dataset or (
                r.sheet.edition is not None and r.sheet.time.period == self.catalog.sheets[f.carried_dataset].time.period
                and r.sheet.edition.series == self.catalog.sheets[f.carried_dataset].edition.series)]
            if same:
                refs = same
        if sources:
            named = self._named(f)
            inside = [r for r in refs if r.dataset in named]
            if not inside:
                said = " and ".join(f"'{f.words(sp)}'" for sp, _ in f.sources)
                held = "; ".join(dict.fromkeys(r.sheet.title for r in refs)) or "no dataset"
                return (f"The commons holds {cat.label(concept).lower()} in {held}, not in the source you named "
                        f"({said}), so I haven't given a figure from another source")
            refs = inside
        best = None
        why: list[str] = []
        period_miss: list[Datasheet] = []        # the datasets that fit but for the period asked
        partial: list[tuple[MeasureRef, tuple[str, ...]]] = []
        fitting: list[tuple[MeasureRef, tuple[str, ...]]] = []
        listing = intent in ("ranking", "breakdown")
        # (a dataset holding every place asked is used before any place is dropped for another's lack)
        full = [r for r in refs if all(cat.supports(r, p) for p in places)] if not listing else []
        for ref in refs:
            sheet = ref.sheet
            if listing:
                scope = places[0]
                if scope.level not in ("region", "country") and cat.place_code(sheet, scope) is None:
                    why.append(f"{sheet.title} does not cover {scope.display}")
                    continue
                if isinstance(over, Areas) and not cat.supports_level(ref, over.level):
                    why.append(f"{sheet.title} has no {LEVEL_NAMES.get(over.level, over.level)} figures")
                    continue
                classes = isinstance(over, Categories) and ref.measure.format in ("category", "decile") \
                    and over.column == ref.measure.column       # the areas inside counted in each class
                if not isinstance(over, Areas) and not classes and not cat.supports(ref, scope):
                    why.append(f"{sheet.title} has no figure for {scope.display}")
                    continue
                if isinstance(over, Categories) and over.column not in self._columns(sheet) and not (
                        ref.measure.format == "decile" and over.column == ref.measure.column) and \
                        over.column != sheet.time.column:
                    continue
                if isinstance(over, Members) and not any(g.id == over.group for g in sheet.groups):
                    continue
            else:
                if small_areas and sheet.geography.level != "lsoa" and not (
                        small_areas == "councils" and sheet.geography.level == "lad"):
                    # a part of an area left out: only a dataset of small areas can take its rows off
                    why.append(f"{sheet.title} gives figures for whole {LEVEL_NAMES.get(sheet.geography.level, 'area')}s "
                               "only, so a part of one cannot be left out")
                    continue
                missing = [p for p in places if not cat.supports(ref, p)]
                if missing and intent == "comparison" and len(missing) < len(places) and not full and \
                        all(p.level == "country" for p in missing) and places[0] not in missing:
                    # (never when the area not held is the one asked about first: 'what was England's ...?
                    # want to benchmark Sefton against it' is declined, not answered for Sefton)
                    # 'compared with England' where the dataset has no England row: the rest, said so
                    f.dropped = (sheet.title, [p.display for p in missing])
                    places[:] = [p for p in places if p not in missing]
                    missing = []
                if missing:
                    why.append(f"{sheet.title} has no figure for {missing[0].display}")
                    continue
            fl = self._dataset_filters(sheet, filters)
            if fl is None:
                continue
            held = cat.periods.get(sheet.id, ())
            got = resolve_when(None if intent == "trend" and when is None else when, held, sheet.time.granularity,
                               sheet.time.covers)
            forced = f.force_periods
            if forced and set(forced) <= set(held):
                got = type(got)(tuple(sorted(forced)), "exact")      # 'yes' to 'would X do?': those periods
            if (intent == "trend" or (isinstance(over, Categories) and over.column == sheet.time.column
                                      and intent in ("ranking", "breakdown"))) and when is None:
                # (a trend, or the periods ranked: 'which year was it lowest', over every period held)
                values = held if sheet.time.column else ()
                got = type(got)(tuple(values), "exact")
            if got.status != "exact":
                if got.held_part:
                    partial.append((ref, got.held_part))
                why.append(self._period_why(sheet, when, got))
                period_miss.append(sheet)
                continue
            values = got.values if sheet.time.column else ()
            fitting.append((ref, got.values or held))
            excl_note = ""
            if f.excluded_periods:
                kept = self._without_periods(f, sheet, values)
                if isinstance(kept, str):
                    why.append(kept)
                    continue
                values, excl_note = kept
            if listing and isinstance(over, Areas):
                native = over.level == sheet.geography.level          # rows the dataset publishes as such
            else:
                native = all(p.level == sheet.geography.level or p.level == "country" for p in places) and \
                    (not isinstance(over, Areas) or over.level == sheet.geography.level)
            latest = (values[-1] if values else (held[-1] if held else ""))[:4]
            key = (len(values) if intent == "trend" else 0, latest, native,
                   sheet.geography.level == ("lad" if native else "lsoa"))
            if best is None or key > best[0]:
                defaulted = (when is None or when.is_latest) and not (
                    f.sources and ref.dataset in self._named(f) and sheet.time.granularity == "fixed")   # 'IoD 2025'
                best = (key, ref, Periods(values, defaulted=defaulted and intent != "trend"), fl, excl_note)
        since = editions and when is not None and when.kind == "open" and when.start is not None and when.end is None
        # ('Knowsley's IMD score from 2019 to 2025': a range of years over a publication held one
        # period per edition is each edition in it, never the last alone)
        across = intent in ("value", "comparison") and when is not None and when.kind in ("span", "open") and \
            when.start is not None and (when.end is None or when.start[0] != when.end[0]) and when.grain == "year"
        if best is not None and (intent == "trend" or since or across) and best[1].sheet.edition is not None and \
                best[1].sheet.time.granularity == "fixed":
            # ('has the count in the most deprived 10% gone up since 2019?': each edition from 2019 on)
            # 'how has Liverpool's deprivation changed since 2019?': a publication held as one
            # period per edition changes from edition to edition
            chosen = self._editions(fitting, places, None, filters)
            if chosen is not None:
                return chosen
        if best is not None:
            _, ref, periods, fl, note = best
            if when is not None and when.grain == "year" and ref.sheet.time.granularity == "month" and \
                    when.kind not in ("financial",):
                months = periods.values
                if months and not (months[0].endswith("-01") and months[-1].endswith("-12")):
                    note = note + (" " if note else "") + (f"The commons holds {ref.sheet.title.split(',')[0].lower()} for "
                            f"{self._months_label(months)} only, so '{when.words}' covers those months.")
            return ref, periods, fl, note
        held_sets = list(dict.fromkeys(tuple(p) for _, p in partial))     # the periods held, dataset by dataset
        if len(held_sets) > 1 and when is not None and (intent in ("value", "comparison", "trend") or editions):
            chosen = self._editions(partial, places, when, filters)
            if chosen is not None:
                return chosen
        if len(held_sets) > 1 and when is not None:
            # 'IMD 2019 and IMD 2025': each period is held, but by separate datasets (editions with
            # their own methods and boundaries); said so, never one period given for both
            held = "; ".join(f"{r.sheet.title} ({', '.join(p)})" for r, p in
                             {r.sheet.id: (r, p) for r, p in partial}.values())
            what = self.catalog.label(concept).lower()
            return self._no_data({}, (
                f"The commons holds {what} for {when.describe()} in separate datasets: {held}. Each is its own "
                "edition, with its own methods (and neighbourhood boundaries), so I don't put them in one answer "
                "or take one from the other. Ask for each on its own (for example naming the edition)."),
                "separate_editions", f"{what} for {when.describe()}, across separate editions")
        if partial:
            ref, part = partial[0]
            label = self._months_label(part) if ref.sheet.time.granularity == "month" else \
                (f"{part[0]} to {part[-1]}" if len(part) > 1 else part[0])
            sheet = ref.sheet
            return Planned("clarify", message=(
                f"The commons holds {self.catalog.label(concept).lower()} for {self._held_label(sheet)}, so I can't "
                f"give {when.describe()} as asked. Would {label} do?"),
                options=(f"Yes, {label}", "No"), reason="which_period",
                state={"pending": {"kind": "period", "question": f.reading.q.original, "periods": list(part),
                                   "options": [[f"Yes, {label}", label], ["No", ""]]}},
                understood=f"Understood: {self.catalog.label(concept).lower()} for {when.describe()}, which the "
                           "commons holds only in part.")
        if not refs:
            return f"The commons holds no {concept.replace('_', ' ')} figures."
        if period_miss and when is not None:
            # 'a mid-2022 population': the periods every dataset of the measure holds, said together
            # (never one dataset's reason, nor a caveat about something else)
            held = "; ".join(dict.fromkeys(f"{self._held_label(s)} ({s.title})" for s in period_miss))
            return (f"The commons can't answer that: it holds {self.catalog.label(concept).lower()} for {held}, "
                    f"not {when.describe()}.")
        msg = why[0] if why else f"no dataset holds {self.catalog.label(concept).lower()} for that"
        covered = self._coverage_note(refs, places)
        return f"The commons can't answer that: {msg}" + (f"; {covered}" if covered else "") + "."

    def _editions(self, partial, places, when, filters) -> "Editions | None":
        """'Knowsley's IMD score in IoD2019 and IoD2025': each period asked is held by another
        edition of one publication series (the datasheets' ``edition``), so the measure is taken
        from each edition's own dataset (the one publishing the places at their own level when
        there is a choice); None unless every period asked is so held, once each."""
        by_label: dict[str, tuple] = {}
        series = {r.sheet.edition.series if r.sheet.edition else None for r, _ in partial}
        if len(series) != 1 or None in series:
            return None
        for ref, held in partial:
            fl = self._dataset_filters(ref.sheet, filters)
            if fl is None:
                continue
            label = ref.sheet.edition.label
            native = all(p.level == ref.sheet.geography.level for p in places)
            if label not in by_label or (native and not by_label[label][3]):
                by_label[label] = (ref, tuple(held), fl, native)
        if len(by_label) < 2:
            return None
        got = sorted(by_label.values(), key=lambda x: x[1])
        asked = when.members if when is not None and when.kind == "set" else ()
        if asked and len(asked) != len(got):
            return None          # a period asked that no edition holds: said as before
        return Editions(next(iter(series)), tuple((r, Periods(h), fl) for r, h, fl, _ in got))

    @staticmethod
    def _without_periods(f: Frame, sheet: Datasheet, values: tuple[str, ...]) -> tuple[tuple[str, ...], str] | str:
        """The periods chosen less those the question leaves out ('autumn 2019 not counting
        November'), with a note when one left out was not among them anyway ('autumn 2019, not
        counting December'); why not, when that leaves nothing."""
        if not sheet.time.column or sheet.time.granularity == "fixed":
            return f"{sheet.title} is published for one period only ({sheet.time.label}), so a period can't be left out"
        kept, notes = list(values), []
        for span, x in f.excluded_periods:
            def out(p: str) -> bool:
                a, b = period_months(p, sheet.time.granularity)
                if not x.year_known:                        # 'not counting December': that month of any year
                    months = {m for _, m in months_between(x.start, x.end)} if x.start and x.end else set()
                    return a == b and a[1] in months
                return (x.start is None or a >= x.start) and (x.end is None or b <= x.end)
            gone = [p for p in kept if out(p)]
            if not gone:
                notes.append(f"{x.describe() if x.year_known else f.words(span).title()} is not part of "
                             f"{periods_label(sheet, tuple(values))}, so leaving it out changes nothing.")
            kept = [p for p in kept if p not in gone]
        if not kept:
            return f"leaving out {', '.join(f.words(s) for s, _ in f.excluded_periods)} leaves no period to answer"
        return tuple(kept), " ".join(notes)

    @staticmethod
    def _replaced(f: Frame, when: When, label: str) -> str:
        """The question with the period asked replaced by ``label`` (for a 'yes' to 'would X do?')."""
        t = f.reading.q.tokens
        span = next((s for s, w in f.periods if w is when), None)
        if span is None:
            return " ".join(t + ["__period__"])
        return " ".join(t[:span.start] + ["__period__"] + t[span.end:])

    def _dataset_filters(self, sheet: Datasheet, filters) -> tuple[Filter, ...] | None:
        out = []
        cols = self._columns(sheet)
        for ds, col, vals, excl in filters:
            if col not in cols:
                return None
            held = set(self.catalog.dim_values.get((sheet.id, col), ()))
            if not set(vals) <= held:
                return None
            out.append(Filter(col, vals, excl))
        return tuple(out)

    @staticmethod
    def _columns(sheet: Datasheet) -> set[str]:
        return {d.column for d in sheet.dimensions} | {m.column for m in sheet.measures if m.format == "category"}

    def _period_why(self, sheet: Datasheet, when: When | None, got) -> str:
        asked = when.describe() if when is not None else "that period"
        if got.status == "grain":
            return (f"{sheet.title} is published for whole years ({sheet.time.label}), not for {asked}")
        return f"{sheet.title} covers {self._held_label(sheet)}, not {asked}"

    def _held_label(self, sheet: Datasheet) -> str:
        held = self.catalog.periods.get(sheet.id, ())
        if not sheet.time.column:
            return sheet.time.label
        if sheet.time.granularity == "month":
            return self._months_label(held)
        return held[0] if len(held) == 1 else f"{held[0]} to {held[-1]}"

    @staticmethod
    def _months_label(months) -> str:
        import calendar as _c
        months = sorted(months)
        if not months:
            return "no months"
        a, b = months[0], months[-1]
        name = lambda m: _c.month_name[int(m[5:7])]  # noqa: E731
        if a == b:
            return f"{name(a)} {a[:4]}"
        if a[:4] == b[:4]:
            return f"{name(a)} to {name(b)} {a[:4]}"
        return f"{name(a)} {a[:4]} to {name(b)} {b[:4]}"

    def _coverage_note(self, refs, places) -> str:
        for r in refs:
            for c in r.sheet.caveats:
                if any(p.name.split()[0].lower() in c.lower() for p in places if p.level in ("lad", "ward")):
                    return c.rstrip(".")
        return ""

    DENOMINATOR_CUES = ("use", "using", "with", "based", "on", "from", "against", "by", "of", "the", "per")

    def _denominator_phrase(self, f: Frame) -> None:
        """'crimes per 1,000 people (use the mid-2019 population)': a measure named after 'per'
        that is the declared denominator of a rate is the rate's denominator, not a second topic;
        the period said with it is the denominator's (checked against the datasheet's in _rate)."""
        if f.per is None or not (f.measures or f.categories):
            return
        dens = {spec.denominator for refs in self.catalog.concepts.values() for r in refs for spec in r.measure.rates}
        t = f.reading.q.tokens
        per_span = f.per[0]
        for s, h in list(f.measures):
            if h.best not in dens or s.start < per_span.end:
                continue
            others = [x for x, hh in f.measures if x is not s] + [c.span for c in f.categories]
            if not any(x.start < per_span.start for x in others) and not (
                    f.followup and any(w in ("that", "this", "it", "those") for w in t[:per_span.start])):
                continue                              # 'population per ...': the figure itself
            # ('what's that per 1,000 residents? use the mid-2019 population': the figure before, per head)
            f.measures.remove((s, h))
            f.denominator_words = frozenset(self._denominator_words(f, s, per_span))
            return
        for s, ds in list(f.sources):
            # '..., using the mid-2019 population estimate': the denominator named by its source
            if s.start < per_span.end or not any(m.id in dens for d in ds if d in self.catalog.sheets
                                                 for m in self.catalog.sheets[d].measures):
                continue
            f.sources.remove((s, ds))
            f.denominator_words = frozenset(self._denominator_words(f, s, per_span))
            return

    def _denominator_words(self, f: Frame, s, per_span) -> set[int]:
        """The words of a denominator named after 'per' (its phrase, the cue words before it), taking the
        period said beside it as the denominator's own ('use the mid-2019 population')."""
        t = f.reading.q.tokens
        used = set(s.positions)
        k = s.start - 1
        while k >= per_span.end and (t[k] in self.DENOMINATOR_CUES or any(k in ps.positions for ps, _ in f.periods)):
            used.add(k)
            k -= 1
        near = [(ps, w) for ps, w in f.periods if ps.end in (s.start, s.start - 1) or ps.start in (s.end, s.end + 1)]
        if near and (len(f.periods) > 1 or near[0][1].kind == "mid_year"):
            # ('per 1,000 residents, use the mid-2019 population': the estimate's date is the denominator's)
            ps, w = near[0]
            f.periods.remove((ps, w))
            f.denominator_period = w
            used |= set(ps.positions)
        return used

    # ================================================================== operators
    def _rate(self, ref: MeasureRef, f: Frame, places, intent, periods: Periods = Periods()):
        """Rate(...) for 'per N residents' (the datasheet's declared denominator) or a table total."""
        n, den = (f.per[1] if f.per else (1000, None))
        m = ref.measure
        specs = [r for r in m.rates if den is None or den in r.words or stem(den) in {stem(w) for w in r.words}]
        if m.format in ("rate", "ratio", "percent", "score", "rank", "decile") and f.per is None:
            return None, ""          # 'the homelessness rate': the measure is a rate already
        if m.format == "rate" and f.per is not None and not specs:
            # 'homeless households per 1000' where the measure is given per 1,000 households: the
            # rate asked is the measure itself; another base or denominator is said, not converted
            own = re.match(r"per ([\d,]+) (\w[\w\s-]*)", m.unit or "")
            if own and int(own.group(1).replace(",", "")) == n and (
                    den is None or stem(den) in {stem(w) for w in own.group(2).split()}):
                return None, f"The figure is already given {m.unit}."
            if own:
                said = m.label.lower() if m.unit.lower() in m.label.lower() else f"{m.label.lower()} {m.unit}"
                return (f"The commons gives {said} only, so I can't give it per {n:,}"
                        + (f" {den}" if den else "") + " without guessing.")
        total = self._total_of(ref)
        if not specs and total and f.per is not None:
            # 'disabled residents per 1,000 people': a part of a table over the table's own total,
            # when the total counts what the question divides by (people, households)
            t_m = ref.sheet.measure_by_id[total]
            people = {"residents", "people", "population", "persons", "person", "resident", "inhabitants", "capita"}
            unit = {stem(w) for w in normalise(t_m.unit).split()}
            fits = den is None or stem(den) in unit or (den in people and unit & {stem(w) for w in people})
            per = n if n in (1, 10, 100, 1000, 10000, 100000) else None
            if fits and per is not None and t_m.format == "count":
                return (Rate(total, ref.sheet.id, periods, per),
                        f"Rate per {per:,} of {t_m.label[:1].lower()}{t_m.label[1:]}, the same table's total.")
        if not specs:
            words = f.words(f.per[0]) if f.per else "rate"
            return (f"I can't give {m.label.lower()} '{words}': its datasheet declares no denominator for it"
                    + (f" ({den})" if den else "") + ", so I haven't guessed one.")
        spec = specs[0]
        dp = f.denominator_period
        if dp is not None and not (dp.start and dp.end and dp.start[0] <= int(spec.period[:4]) <= dp.end[0]):
            return (f"The commons gives {m.label.lower()} as a rate per {spec.label}: the denominator is the "
                    f"{spec.period} figure, not {dp.describe()}, so I haven't given a rate on another denominator.")
        per = n if n in (1, 10, 100, 1000, 10000, 100000) else None
        if per is None:
            return f"I can't give a rate per {n}: the commons gives rates per 1, 100, 1,000 or 100,000."
        den_sheet = self.catalog.sheets.get(spec.dataset)
        if den_sheet is None or spec.denominator not in den_sheet.measure_by_id:
            return f"The denominator declared for {m.label.lower()} is not in the commons."
        rate = Rate(spec.denominator, spec.dataset, Periods((spec.period,) if den_sheet.time.column else ()), per)
        default = "" if f.per else f" ('rate' read as per {per:,} {spec.label})"
        return rate, f"Rate per {per:,} {spec.label}{default}."

    def _total_of(self, ref: MeasureRef) -> str | None:
        for g in ref.sheet.groups:
            if g.id == ref.measure.group and g.total != ref.measure.id:
                return g.total
        return None

    def _whole(self, f: Frame, places: list[Place]) -> Place | None:
        """The larger area a share is of: named with a possessive, or the parent of the place."""
        named = [p.found.candidates[0] for p in f.places if p.possessive and not p.found.ambiguous]
        if named:
            # 'what share of Sefton's population ..., and how does that compare to England?': the
            # possessive is the whole only when the other places lie inside it
            others = [p for p in places if p.key != named[0].key]
            return named[0] if others and all(self.gaz.inside(o, named[0]) for o in others) else None
        if len(places) == 2:
            a, b = places
            if self.gaz.inside(a, b):
                return b
            if self.gaz.inside(b, a):
                return a
        return None

    def _part_in_place(self, f: Frame) -> bool:
        """'what share of all the disabled residents in the city region live in Sefton?': the larger area named
        with the figure, then the smaller one the figure is in ('live in', 'were in'): a part of the larger's total."""
        t = f.reading.q.tokens
        named = [p for p in f.places if not p.found.ambiguous and not p.excluded]
        if len(named) != 2:
            return False
        a, b = sorted(named, key=lambda p: p.span.start)
        big, small = a.found.candidates[0], b.found.candidates[0]
        return self.gaz.inside(small, big) and b.span.start >= 2 and t[b.span.start - 1] == "in" and t[
            b.span.start - 2] in ("live", "lives", "living", "are", "were", "is", "was", "happened", "occurred", "based")

    def _overlaps(self, other: Place, places: list[Place]) -> bool:
        """Does leaving ``other`` out change a figure for ``places``? ('not Sefton council' of
        Sefton Park ward in Liverpool does not: it only says which place was meant)."""
        if not places:
            return True
        return any(o.key == other.key or self.gaz.inside(other, o) or self.gaz.inside(o, other) for o in places)


    # ================================================================== counts
    def _count_on_another_domain(self, f: Frame, choice: Choice, carried: Carried | None) -> bool:
        """'and how many there for health deprivation?' after a count of neighbourhoods in the worst
        10% for crime: the same count, on the deciles of the measure now named."""
        if carried is None or carried.intent != "count" or not carried.condition or f.condition is not None \
                or f.cues.get("count") is None or not f.followup and not any(
                    w in ("there", "those", "that", "same") for w in f.reading.q.tokens):
            return False
        fmt = lambda c: self.catalog.concepts[c][0].measure.format if c in self.catalog.concepts else None  # noqa: E731
        base = re.sub(r"_(score|rank|rate)$", "", choice.concept or "")
        return fmt(carried.measure) == "decile" and fmt(f"{base}_decile") == "decile"

    def _counted_per(self, f: Frame, classed: bool = False) -> tuple[str, str, str, bool] | None:
        """'Which Wirral ward has the most LSOAs in decile 1', 'how many rural LSOAs are there
        in each council': areas of one level counted for each area of a larger one, as
        (the larger level, the level counted, order, ordered by share); None otherwise."""
        sizes = ("lsoa", "ward", "lad")
        levels = [(s, lvl) for s, lvl in f.levels if lvl in sizes]
        # ('which Sefton ward (2024 wards) has the most LSOAs ...': a level said again is said once)
        levels = [x for k, x in enumerate(levels) if not (k and levels[k - 1][1] == x[1])]
        t = f.reading.q.tokens
        # (a share asked, not the '10%' of 'the most deprived 10%'; 'by count' is the number)
        share = (bool(f.share) or any(w in ("proportion", "share", "percentage", "fraction") or (
            w == "percent" and not (i and t[i - 1].isdigit())) for i, w in enumerate(t))) and \
            not any(t[i:i + 2] in (["by", "count"], ["by", "number"]) for i in range(len(t)))
        if f.grouping is not None and f.grouping[1][0] == "level" and f.grouping[1][1] in ("ward", "lad"):
            per = f.grouping[1][1]
            counted = [lvl for s, lvl in levels if sizes.index(lvl) < sizes.index(per)]
            # ('rural LSOAs in the city region by council': areas of a class, counted for each council)
            if counted and (f.cues.get("count") is not None or classed):
                return per, counted[0], "desc", share
            return None
        if f.at_least is not None and len(levels) >= 2:
            # 'wards (2024 wards) that have at least one LSOA in ...': the larger areas said before, the
            # smaller after
            s1, big = levels[0]
            after = [(sp, lvl) for sp, lvl in levels if sp.start > f.at_least[0].start]
            before = [lvl for sp, lvl in levels if sp.end <= f.at_least[0].start]
            if after and big in ("ward", "lad") and set(before) == {big} and \
                    sizes.index(big) > sizes.index(after[0][1]):
                return big, after[0][1], "desc", False
        if len(levels) == 2 and f.order_word == "":
            # 'the number of LSOAs in the most deprived 10% in each Sefton ward': one count per area
            (s1, small), (s2, big) = levels
            if big in ("ward", "lad") and sizes.index(big) > sizes.index(small) and s2.start and \
                    any(w in ("each", "every", "per") for w in t[max(0, s2.start - 2):s2.start]) \
                    and f.cues.get("count") is not None:
                return big, small, "desc", share
        if len(levels) < 2 or not f.order_word:
            return None
        (s1, big), (s2, small) = levels[0], levels[1]
        if sizes.index(big) <= sizes.index(small) or big not in ("ward", "lad"):
            return None
        # the order word between the two ('ward ... the most LSOAs'), a number of the smaller
        between = t[s1.end:s2.start]
        said = [sp.value.kind for sp in f.reading.spans if sp.slot == "order" and s1.end <= sp.start < s2.start
                and getattr(sp.value, "kind", None) in ("asc", "desc")]
        if said and not any(w in ("most", "fewest", "least", "more", "fewer", "number") for w in between):
            # 'which three councils have the smallest proportion of LSOAs in ...': the order said between
            return big, small, said[0], share
        if not any(w in ("most", "fewest", "least", "more", "fewer", "highest", "lowest", "number") for w in between):
            # 'rank the councils by the proportion of their LSOAs that are ..., highest first'
            if "by" in between and f.order in ("desc", "asc") and (share or f.cues.get("rank") is not None):
                return big, small, f.order, share
            return None
        return big, small, "asc" if any(w in ("fewest", "least", "fewer", "lowest") for w in between) else "desc", share

    def _category_measure(self, choice: Choice) -> bool:
        refs = self.catalog.concepts.get(choice.concept or "", ())
        return bool(choice.filters) and bool(refs) and refs[0].measure.format == "category"

    def _count(self, f: Frame, choice: Choice, places: list[Place], state: dict, text: str,
               carried: Carried | None = None, per: tuple[str, str, str, bool] | None = None,
               excluded: tuple[str, ...] = ()) -> Planned:
        cat, gaz = self.catalog, self.gaz
        of_total = False
        scope = places[0] if places else gaz.region()
        named = [p.found.candidates[0] for p in f.places if not p.excluded and not p.found.ambiguous]
        larger = [p for p in named if p.key != scope.key and self.gaz.inside(scope, p)]
        spoken = [p for p in named if p.key != scope.key and p not in larger and not p.key.startswith("country:")]
        if f.share is not None and larger and per is None:
            # 'of all the city region's LSOAs in the most deprived 10%, what share are in Liverpool':
            # one count as a share of a larger area's count is not a plan the commons makes; the
            # share of the place's own areas would answer another question
            return self._no_data(state, (
                f"I can count those areas in {scope.display} and in {larger[0].display}, but not give one count as a "
                f"share of the other in one answer, so I haven't given the share of {scope.display}'s own areas "
                "instead. Ask for each count in turn."), "unexplained",
                f"a count of areas in {scope.display} as a share of {larger[0].display}'s")
        councils = [scope] + spoken if scope.level == "lad" else []
        if per is None and len(councils) >= 2 and all(p.level == "lad" for p in councils) and not excluded \
                and not (f.condition is not None and f.condition[1].on_measure):
            # 'share of LSOAs in the most deprived 10% - Knowsley v St Helens': one count for each
            # council named (the others left out), side by side
            per = ("lad", "lsoa", "desc", f.share is not None)
            excluded = tuple(p.key for p in gaz.lads() if p.key not in {c.key for c in councils})
            spoken = []
        if per is not None and scope.level not in ("region", "lad"):
            per = None                        # counts for each area of an area smaller than a council
        elif per is not None and scope.level == "lad" and per[0] == "lad":
            scope = gaz.region()              # 'which council has the most ...' asked of a council: all of them
        again = carried is not None and carried.intent == "count" and carried.condition and f.condition is None \
            and (not f.names_topic or self._count_on_another_domain(f, choice, carried))
        sizes = ("lsoa", "ward", "lad")
        if per is None and again and carried.over and carried.over[0] == "areas" and carried.over[1] in sizes \
                and len(f.levels) == 1 and f.levels[0][1] in ("ward", "lad") and f.order_word \
                and sizes.index(f.levels[0][1]) > sizes.index(carried.over[1]):
            # 'which Wirral ward has the most of those?' after a count of its LSOAs: the LSOAs counted for each ward
            per = (f.levels[0][1], carried.over[1], "asc" if f.order == "asc" else "desc", f.share is not None)
            if scope.level not in ("region", "lad") or (scope.level == "lad" and per[0] == "lad"):
                per = None
        if per is None and again and carried.count_per and not f.levels:
            # 'same question for Wirral' after 'which Sefton ward has the most ...': for each ward again
            per = (carried.count_per[0], carried.over[1] if carried.over else "lsoa", carried.count_per[1],
                   bool(carried.count_per[2]))
            if scope.level not in ("region", "lad") or (scope.level == "lad" and per[0] == "lad"):
                per = None
        level = (per[1] if per else None) or self._level_after_count(f) or next((lvl for _, lvl in f.levels), None) or \
            (carried.over[1] if again and carried.over and carried.over[0] == "areas" else None) or "lsoa"
        if level == "lad" or (scope.level != "region" and LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(scope.level)):
            level = "lsoa" if scope.level != "lsoa" else level
        if f.condition is not None and f.condition[1].on_measure:
            # 'which councils have a crime severity score above 15': the areas the measure is held for,
            # counted and listed; another level named is not answered with these
            span, c, negated = f.condition
            value = c.value
            ms = [r.measure for r in cat.concepts.get(choice.concept, ())]
            tt = f.reading.q.tokens
            if isinstance(value, float) and 0 < value < 1 and ms and all(x.format == "percent" and x.scale == 100
                                                                       for x in ms) \
                    and not any(w in ("percent", "pc") for w in tt[span.start:span.end + 1]):
                # ('an IDACI rate of 0.4 or more' of a rate shown in %: the proportion, 40%)
                value = round(value * 100, 6)
            decile, condition = choice.concept, Condition(c.op, value, negated)
            held = sorted({r.sheet.geography.level for r in cat.concepts.get(choice.concept, ())}, key=LEVEL_ORDER.index)
            named = self._level_after_count(f) or next((lvl for _, lvl in f.levels), None)
            native = named if named in held else (held[0] if held else "lsoa")
            # 'how many wards have more than a third of households in social housing': each ward's
            # figure summed from its neighbourhoods (a count that adds up), tested as a share when said so
            refs = cat.concepts.get(choice.concept, ())
            # ('at least 40% of kids in income deprived families' of a rate: the rate itself, not a share of a total)
            of_total = ("share" in span.extra or f.share is not None) and any(self._in_table(r) for r in refs)
            summed = named in ("ward", "lad") and named != native and native in ("lsoa",) and bool(refs) and all(
                r.measure.rollup in ("sum", "count") and r.measure.format == "count" for r in refs)
            if named is not None and named != native and not summed:
                return self._no_data(state, f"{cat.label(choice.concept)} is held for {LEVEL_NAMES.get(native, native)} "
                                            f"areas, so I can't say which {LEVEL_NAMES.get(named, named)} areas are "
                                            f"{ {'>': 'above', '<': 'below', '>=': 'at least', '<=': 'at most'}.get(c.op, c.op)} "
                                            f"{c.value} on it; ask about {LEVEL_NAMES.get(native, native)} areas.",
                                     "unexplained", f"a count of areas at level {named}")
            level = named if summed else native
            if scope.level != "region" and LEVEL_ORDER.index(level) >= LEVEL_ORDER.index(scope.level):
                scope = gaz.region()
        elif f.condition is not None:
            span, c, negated = f.condition
            concept = choice.concept
            base = re.sub(r"_(score|rank|decile)$", "", concept)
            decile = f.condition_of or (f"{base}_decile" if f"{base}_decile" in cat.concepts else "imd_decile")
            if decile == "imd_decile" and not f.condition_of and f"{base}_decile" not in cat.concepts:
                # 'in the worst 10% for crime': a measure named by a deprivation domain's word (the police
                # crime counts) is that domain's deciles, never the overall index's in its place
                said = {self.DOMAINS[w] for sp, h in f.measures if h.best == concept for w in f.words(sp).split()
                        if w in self.DOMAINS}
                if len(said) == 1 and f"{next(iter(said))}_deprivation_decile" in cat.concepts:
                    decile = f"{next(iter(said))}_deprivation_decile"
            condition = Condition(c.op, c.value, negated)
            if f"{base}_decile" not in cat.concepts and any(r.sheet.person_level for r in cat.concepts.get(concept, ())):
                # 'VCSE beneficiaries in the most deprived 10% of neighbourhoods': the people, not the areas
                return self._within(f, choice, scope, condition, state)
        elif again:
            # 'and in Liverpool?' after a count: the same condition, counted again
            op, value, negated = carried.condition
            decile, condition = choice.concept, Condition(op, tuple(value) if isinstance(value, list) else value,
                                                          bool(negated))
            fmt_of = lambda c: cat.concepts[c][0].measure.format if c in cat.concepts else None      # noqa: E731
            if fmt_of(carried.measure) == "decile" and fmt_of(decile) != "decile":
                # (a decile condition carried on is a condition on deciles: the new measure's own deciles,
                # never its score tested against a decile number)
                base = re.sub(r"_(score|rank|rate)$", "", decile)
                decile = f"{base}_decile" if fmt_of(f"{base}_decile") == "decile" else carried.measure
        elif choice.filters and choice.concept in cat.concepts and \
                cat.concepts[choice.concept][0].measure.format == "category":
            ds, col, vals, excl = choice.filters[0]
            decile, condition = choice.concept, Condition("in", vals, excl)
            # 'rural LSOAs ... under the rural-urban classification': the values are of the measure
            # whose column holds them (urban or rural), not of the detailed class named beside it
            sheet = cat.sheets.get(ds)
            own = next((m for m in sheet.measures if m.column == col and m.format == "category"), None) if sheet else None
            if own is not None:
                decile = own.id
        else:
            return self._no_data(state, "I can't tell which areas to count: name a condition such as 'in the most "
                                        "deprived 10%' or 'rural'.", "unexplained", "a count of areas")
        if f.grouping is not None and f.grouping[1][0] == "level" and f.grouping[1][1] != level and per is None:
            # 'how many rural LSOAs are there in each council': one count per council is not a plan
            # the commons makes; one count for the whole area would answer another question
            words = f.words(f.grouping[0])
            return self._no_data(state, (
                f"I can count areas for one place at a time, but not '{words}' in one answer, so I haven't given a "
                f"single total for {scope.display}. Ask for each place in turn, for example 'how many of them are "
                f"there in {gaz.lads()[0].display if scope.level == 'region' else scope.display}?'."),
                "unexplained", f"a count of areas {words}")
        when = self._when(f, None)
        tq = f.reading.q.tokens
        # (the 'living' of 'living environment' is the domain's name, not people living there)
        # ('children and young people': a word of a longer measure's name, not the residents counted)
        named_in = {i for sp, _ in f.measures if len(sp.positions) > 1 for i in sp.positions}
        people = any(w in ("people", "residents", "population", "live", "lives", "living")
                     and not (w == "living" and tq[k + 1:k + 2] == ["environment"]) and k not in named_in
                     for k, w in enumerate(tq))
        listing = f.cues.get("which") is not None and f.cues.get("count") is None
        bound = self._bind(decile, [scope], "ranking", Areas(level), when, [], f,
                           editions=per is None and not listing and not people)
        if isinstance(bound, (str, Planned)):
            return bound if isinstance(bound, Planned) else self._no_data(state, bound, "unbound", "a count of areas")
        if isinstance(bound, Editions):
            return self._count_editions(bound, f, scope, level, condition, state)
        ref, periods, _, note = bound
        if condition.op in ("<", "<=", ">", ">=") and ref.measure.format not in ("decile", "category") and \
                ref.measure.rollup not in ("sum", "count") and \
                (ref.sheet.dimensions or (ref.sheet.time.column and len(periods.values) != 1)):
            # a threshold is tested row by row: where an area has several rows (one per crime type, or
            # per month) a row is not the area, so counting rows would answer another question
            return self._no_data(state, f"I can only test a threshold on {ref.measure.label.lower()} where it is "
                                        "published once per area, and here each area has several rows (by "
                                        f"{', '.join(d.label.lower() for d in ref.sheet.dimensions) or 'period'}), so "
                                        "I haven't counted them. Ask for a ranking instead, for example 'which "
                                        f"neighbourhoods in {scope.name} have the most {ref.measure.label.lower()}?'.",
                                 "unexplained", "a threshold on a figure with several rows per area")
        kept: tuple[Filter, ...] = ()
        if f.condition is not None and f.condition[1].on_measure and choice.filters:
            # 'LSOAs with more than 20 burglaries': the figure tested is of the category asked
            kept = self._dataset_filters(ref.sheet, choice.filters)
            if kept is None:
                return self._no_data(state, f"{ref.sheet.title} does not split {ref.measure.label.lower()} that way, "
                                            "so I haven't counted areas on the total instead.",
                                     "unexplained", "a threshold on a category of a figure")
        share = people and cat.population_weight(ref.sheet, ref.measure) is not None
        counted = cat.concepts.get(choice.concept, ())
        if people and per is None and counted and choice.concept != "population" and not choice.concept.endswith(
                ("_decile", "_score", "_rank")) and counted[0].measure.format == "count" and f.condition is not None \
                and not f.condition[1].on_measure and not of_total:
            # 'how many children aged 0-15 ... live in LSOAs in the most deprived 10%': those people,
            # only in those neighbourhoods (never every resident there)
            return self._within(f, choice, scope, condition, state)
        also = []
        for c in choice.also:
            # 'in decile 1 for both income and health': the other domain's decile, in the same dataset
            other = next((r for r in cat.concepts.get(c, ()) if r.dataset == ref.sheet.id), None)
            if other is None:
                return self._no_data(state, f"{ref.sheet.title} has no {cat.label(c).lower()}, so I can't count the "
                                            "areas meeting both conditions.", "unexplained", "a count of areas")
            also.append(Within(ref.sheet.id, other.measure.id, condition))
        t_ = f.reading.q.tokens
        ordered = [sp for sp in f.reading.spans if (sp.slot == "top_n" and not (sp.start and t_[sp.start - 1] in (
            "the", "all", "these", "those"))) or (sp.slot == "order" and not listing)]
        if per is None and ordered and f.difference is None:
            # 'which three councils have the smallest proportion ...' read as one count: the order and
            # the number asked would be dropped, so it is said back, never answered with the total
            words = ", ".join(f"'{f.words(sp)}'" for sp in ordered)
            return self._no_data(state, (
                f"I can count the {LEVEL_ROWS.get(level, level)} of {scope.display} that are "
                f"{condition_text(condition, ref.measure)}, but I couldn't tell what to put in order for {words}, "
                "so I haven't given one total instead. Ask, for example, 'which council has the most "
                "neighbourhoods in the most deprived 10%?'."), "unexplained", f"an order ({words}) on a count")
        try:
            if per is not None:
                plan = CountPlan(Subject(ref.measure.id, ref.sheet.id, periods, kept), scope.key, level, condition,
                                 per=per[0], order=per[2], limit=f.limit, by_share=per[3],
                                 at_least=f.at_least[1] if f.at_least is not None else None,
                                 exclude_places=excluded, also=tuple(also),
                                 difference=f.difference is not None and f.difference[1] != "ratio"
                                 and len(gaz.lads()) - len(excluded) == 2)
            else:
                plan = CountPlan(Subject(ref.measure.id, ref.sheet.id, periods, kept), scope.key, level, condition,
                                 share=share and not of_total, list_areas=listing, exclude_places=excluded,
                                 of_total=of_total, also=tuple(also))
            queries.validate(plan, cat, gaz)
        except (PlanInvalid, NotAvailable) as e:
            return self._no_data(state, f"I couldn't count those areas ({e}).", "invalid", "a count of areas")
        understood = self._understood(plan, f, when, None)
        others = [p for p in spoken if p.key not in plan.places and not (excluded and p.key in excluded)]
        if others:
            # 'how many in the city region ..., and how many of those are in St Helens?': the part for
            # the other place is named back, never dropped
            understood = understood.rstrip(".") + "; not answered here: " + ", ".join(
                repr(p.display) for p in others) + " (ask for it separately)."
        return self._done(plan, f, state, choice, understood, note)

    def _count_editions(self, bound: Editions, f: Frame, scope: Place, level: str, condition: Condition,
                        state: dict) -> Planned:
        """'Has Knowsley's share of LSOAs in the most deprived 10% gone down between IMD 2019 and
        IMD 2025?': the areas counted in each edition's own dataset, side by side."""
        try:
            parts = tuple(CountPlan(Subject(ref.measure.id, ref.sheet.id, periods), scope.key, level, condition)
                          for ref, periods, _ in bound.parts)
            plan = EditionsPlan(parts, bound.series, difference=True)
            queries.validate(plan, self.catalog, self.gaz)
        except (PlanInvalid, NotAvailable) as e:
            return self._no_data(state, f"I couldn't count those areas in each edition ({e}).", "invalid",
                                 "a count of areas")
        m = bound.parts[-1][0].measure
        names = [ref.sheet.edition.label for ref, _, _ in bound.parts]
        rows = {"lsoa": "neighbourhoods (LSOAs)", "ward": "wards"}.get(level, level)
        understood = (f"Understood: how many {rows} of {scope.display} are {condition_text(condition, m)}, and what "
                      f"share, in each of {' and '.join(names)} (separate editions, each from its own dataset), with "
                      f"the change from {names[0]} to {names[-1]}.")
        return Planned("data", plan, message="", understood=understood, state={**state, "pending": None, "last": None})

    def _within(self, f: Frame, choice: Choice, scope: Place, condition: Condition, state: dict) -> Planned:
        """A person-level or contributed count restricted to neighbourhoods of a deprivation decile,
        joined through the geography both datasets are on (same level and boundary vintage)."""
        cat = self.catalog
        concept = choice.concept
        when = self._when(f, None)
        # (on the small areas, and the boundaries, of a deprivation index the commons holds)
        on = f.condition_of or "imd_decile"          # (the index the decile condition is on: IMD unless named)
        if f.sources:
            named = self._named(f)
            if not any(r.dataset in named for r in cat.concepts.get(concept, ())) and any(
                    r.dataset in named for r in cat.concepts.get(on, ())):
                # ('under 16s in LSOAs that are IDACI decile 1 (IoD2025)': the source named is the index's)
                f = replace(f, sources=[])
        vintages = [r.sheet.geography.vintage for r in cat.concepts.get(on, ()) if not r.sheet.person_level
                    and r.sheet.geography.level == "lsoa"]
        bound = None
        for vintage in sorted(set(vintages), reverse=True):
            got = self._bind(concept, [scope], "value", None, when, choice.filters, f, vintage=vintage, small_areas=True)
            if not isinstance(got, (str, Planned)) and not isinstance(got, Editions) and \
                    got[0].sheet.geography.vintage == vintage and got[0].sheet.geography.level == "lsoa":
                bound = got
                break
        if bound is None:
            bound = self._bind(concept, [scope], "value", None, when, choice.filters, f)
        if isinstance(bound, (str, Planned)):
            return bound if isinstance(bound, Planned) else self._no_data(state, bound, "unbound", cat.label(concept))
        ref, periods, fl, note = bound
        geo = ref.sheet.geography
        deciles = [r for r in cat.concepts.get(on, ()) if not r.sheet.person_level
                   and (r.sheet.geography.level, r.sheet.geography.vintage) == (geo.level, geo.vintage)]
        what = self._say_measure(concept, choice.filters)
        if not deciles:
            return self._no_data(state, f"{ref.sheet.title} is not on the boundaries of a deprivation index the commons "
                                        f"holds, so I can't restrict {what} to deprived neighbourhoods.", "unexplained",
                                 f"{what} in deprived neighbourhoods")
        dsheet = deciles[0].sheet
        try:
            plan = ValuePlan(Subject(ref.measure.id, ref.sheet.id, periods, fl), scope.key,
                             within=Within(dsheet.id, deciles[0].measure.id, condition))
            queries.validate(plan, cat, self.gaz)
        except (PlanInvalid, NotAvailable) as e:
            return self._no_data(state, f"I couldn't answer that in the form it was asked ({e}), so I haven't guessed.",
                                 "invalid", what)
        cond = condition_text(condition, deciles[0].measure) + f" on {deciles[0].measure.label.lower()}"
        understood = (f"Understood: {what} in {scope.display}, only in neighbourhoods (LSOAs) {cond} "
                      f"({dsheet.time.label or dsheet.title}), {self._period_words(plan, ref.sheet, when, f)}.")
        return Planned("data", plan, message=note, state={**state, "pending": None, "last": None},
                       understood=understood)

    def _editions_plan(self, bound: Editions, places, intent, choice: Choice, f: Frame, when, state) -> Planned:
        """One measure in each edition asked, side by side, each from its own dataset."""
        keys = tuple(dict.fromkeys(p.key for p in places))
        label = self._say_measure(choice.concept, choice.filters)
        if choice.share or f.per is not None or f.rate_word is not None:
            return self._no_data(state, f"I can give {label} in each edition as published, but not as a share or rate "
                                        "across editions, so I haven't guessed.", "unexplained", label)
        parts = []
        for ref, periods, fl in bound.parts:
            subject = Subject(ref.measure.id, ref.sheet.id, periods, fl)
            parts.append(ValuePlan(subject, keys[0], with_context=False) if len(keys) == 1
                         else ComparisonPlan(subject, keys))
        try:
            plan = EditionsPlan(tuple(parts), bound.series, difference=f.difference is not None or intent == "trend")
            queries.validate(plan, self.catalog, self.gaz)
        except (PlanInvalid, NotAvailable) as e:
            return self._no_data(state, f"I couldn't set the editions side by side ({e}), so I haven't guessed.",
                                 "invalid", label)
        names = [ref.sheet.edition.label for ref, _, _ in bound.parts]
        where = " and ".join(p.display for p in places)
        understood = (f"Understood: {label} in {where}, in each of {' and '.join(names)} (separate editions, each "
                      f"from its own dataset), with the change from {names[0]} to {names[-1]}.")
        carried_next = self._carry(plan.parts[-1], None, f)
        return Planned("data", plan, message="", understood=understood,
                       state={**state, "pending": None, "frame": carried_next.to_state(), "last": None})

    def _difference_from(self, f: Frame, subject: Subject, keys) -> str | None:
        """'How many more ... in October than in December': the period named first, when the
        difference is between two periods of one place (each period named on its own)."""
        values = subject.periods.values
        if f.difference is None or len(f.periods) != 2 or len(values) != 2 or len(keys) != 1:
            return None
        sheet = self.catalog.ref(subject.dataset, subject.measure).sheet
        got = resolve_when(f.periods[0][1], values, sheet.time.granularity, sheet.time.covers)
        other = resolve_when(f.periods[1][1], values, sheet.time.granularity, sheet.time.covers)
        if len(got.values) == 1 and len(other.values) == 1 and got.values != other.values:
            return got.values[0]
        return None

    # ================================================================== building the plan
    def _make(self, intent, subject, places, over, order, limit, share, rate, excluded, f: Frame, stat=None):
        keys = tuple(dict.fromkeys(p.key for p in places))
        if stat is not None and (intent != "trend" or len(keys) != 1):
            raise PlanInvalid(f"the {'average' if stat == 'mean' else 'range'} over periods is of one place's series")
        if intent == "trend":
            return TrendPlan(subject, keys, share=share, difference_from=self._difference_from(f, subject, keys),
                             stat=stat)
        if intent == "comparison":
            if len(keys) < 2:
                return ValuePlan(subject, keys[0], share=share, rate=rate)
            ratio = f.difference is not None and f.difference[1] == "ratio" and len(keys) == 2 and not f.combined
            return ComparisonPlan(subject, keys, share=share, rate=rate, difference=f.difference is not None
                                  and len(keys) == 2 and not f.combined and not ratio, combined=f.combined, ratio=ratio)
        if intent == "ranking":
            return RankingPlan(subject, keys[0], over, order or "desc", limit, share=share,
                               exclude_places=tuple(excluded), rate=rate,
                               focus=f.position_of.key if f.position_of is not None else None,
                               benchmark=f.benchmark.key if f.benchmark is not None else None,
                               beyond=f.beyond if f.benchmark is not None else None)
        if intent == "breakdown":
            return BreakdownPlan(subject, keys[0], over, share=share, rate=rate,
                                 as_map=f.cues.get("map") is not None and isinstance(over, Areas))
        if len(keys) > 1:
            return ComparisonPlan(subject, keys, share=share, rate=rate, difference=f.difference is not None and len(keys) == 2)
        if excluded:        # 'crime in Liverpool leaving out Central ward': the place less the areas named
            return ValuePlan(subject, keys[0], share=share, rate=rate, with_context=False,
                             exclude_places=tuple(excluded))
        return ValuePlan(subject, keys[0], share=share, rate=rate, with_count=share and self._count_asked_too(f))

    def _count_asked_too(self, f: Frame) -> bool:
        """'How many households rent from the council, and what share is that?': a count asked in a
        part of its own beside the share (not 'how many ... as a percentage')."""
        if f.share is None:
            return False
        t = f.reading.q.tokens
        share_clause = next(((a, b) for a, b in f.reading.q.clauses if a <= f.share.start < b), (0, len(t)))
        for k in range(f.share.start):
            if (t[k] == "how" and t[k + 1:k + 2] == ["many"]) or (
                    t[k] in ("number", "count") and t[k + 1:k + 2] == ["of"]):
                # the share in a part of its own: another clause, or '... and what %'
                return k < share_clause[0] or any(
                    t[j] in ("and", "plus") and t[j + 1:j + 2] and t[j + 1] in ("what", "whats", "how", "the", "as", "its")
                    for j in range(k + 2, f.share.start))
        return False

    def _done(self, plan, f: Frame, state: dict, choice: Choice, understood: str, note: str = "") -> Planned:
        carried = self._carry(plan, self._when(f, None), f)
        understood = self._bands_said(plan, f, understood)
        return Planned("data", plan, message=" ".join(x for x in (choice.note, note) if x),
                       state={**state, "pending": None, "frame": carried.to_state(), "last": None},
                       understood=understood)

    def _bands_said(self, plan, f: Frame, understood: str) -> str:
        """'by age group (0-15, 16-64 and 65+)' of a table published in other bands: its own bands
        are given, and the ones asked that are not among them are said back."""
        if not f.bands_asked or not isinstance(getattr(plan, "over", None), Members):
            return understood
        sheet = self.catalog.sheets[plan.dataset]
        own = {(m.ages[0], m.ages[1] if len(m.ages) > 1 else None) for m in sheet.measures
               if m.group == plan.over.group and m.ages}
        missing = [a for a in f.bands_asked if a not in own]
        if not missing:
            return understood
        said = ", ".join(f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in missing)
        return understood.rstrip(".") + (f"; in the age bands the table publishes, which do not include {said} "
                                         "(add up the bands it spans).")

    def _carry(self, plan, when: When | None, f: Frame) -> Carried:
        if isinstance(plan, SummaryPlan) and len(plan.measures) >= 2:
            # several measures of one place: 'and in 2019?' asks for each of them again
            return Carried(measure=plan.measures[0], places=plan.places, intent="value", also=plan.measures[1:])
        if isinstance(plan, SummaryPlan):
            return Carried(measure=None, places=plan.places, intent="summary")
        over = getattr(plan, "over", None)
        over_t = None
        if isinstance(over, Areas):
            over_t = ("areas", over.level)
        elif isinstance(over, Categories):
            over_t = ("categories", over.column)
        elif isinstance(over, Members):
            over_t = ("members", over.group)
        if isinstance(plan, CountPlan):
            over_t = ("areas", plan.level)
        cond = (plan.condition.op, plan.condition.value, plan.condition.negate) if plan.condition else None
        return Carried(measure=plan.measure, dataset=plan.dataset,
                       filters=tuple((x.column, x.values, x.exclude) for x in plan.filters),
                       places=plan.places, when=when_to_state(when) if when is not None and not when.is_latest else None,
                       intent=plan.intent, over=over_t, order=plan.order, limit=plan.limit, share=plan.share,
                       condition=cond, count_per=(plan.per, plan.order, plan.by_share)
                       if isinstance(plan, CountPlan) and plan.per else None,
                       less=plan.subject.less if hasattr(plan, "subject") else (),
                       per_period=plan.subject.per_period if hasattr(plan, "subject") else False)

    # ================================================================== what was understood
    def _say_measure(self, concept: str, filters) -> str:
        if concept not in self.catalog.concepts:
            return "a figure"
        label = self.catalog.label(concept).lower()
        bits = []
        for ds, col, vals, excl in filters:
            v = " or ".join(vals)
            bits.append(f"excluding {v}" if excl else f"{v} only")
        return label + (f" ({'; '.join(bits)})" if bits else "")

    def _understood(self, plan, f: Frame, when: When | None, whole: Place | None) -> str:
        cat, gaz = self.catalog, self.gaz
        sheet = cat.sheets.get(plan.dataset)
        m = sheet.measure_by_id[plan.measure] if sheet else None
        label = queries.subject_measure(sheet, plan.subject).label.lower() if m else plan.measure
        parts = [label]
        for x in plan.filters:
            col = next((d.label.lower() for d in sheet.dimensions if d.column == x.column), x.column.replace("_", " "))
            vals = " or ".join(x.values)
            parts.append(f"excluding {vals}" if x.exclude else f"{col} {vals}")
        if plan.rate is not None and queries.is_share_of_total(plan, sheet):
            parts.append(f"as a share (%) of all {label} there")
        elif plan.rate is not None:
            parts.append(f"per {plan.rate.per:,} {self._rate_label(plan)}")
        if plan.share:
            parts.append("as a share of its table's total" + (" and as a count" if getattr(plan, "with_count", False) else ""))
        what = ", ".join(parts)
        names = [gaz.get(k).display for k in plan.places]
        if isinstance(plan, RankingPlan):
            over = plan.over
            rows = ({"lsoa": "neighbourhoods (LSOAs)"}.get(over.level, f"{LEVEL_NAMES.get(over.level, over.level)}s")
                    if isinstance(over, Areas)
                    else f"{sheet.time.granularity}s" if sheet.time.column and getattr(over, "column", None) == sheet.time.column
                    else f"{self._rows_label(sheet, over)} categories")
            lim = f"top {plan.limit}" if plan.limit else "all"
            head = f"{lim} {rows} of {names[0]} by {what}, {'highest' if plan.order != 'asc' else 'lowest'} first"
            if isinstance(over, Categories) and m is not None and m.format == "category" and over.column == m.column:
                head = (f"{lim} {m.label.lower()} classes in {names[0]}, by how many "
                        f"{LEVEL_ROWS.get(sheet.geography.level, 'areas')} each has, "
                        f"{'most' if plan.order != 'asc' else 'fewest'} first")
            if plan.focus:
                head = f"where {gaz.get(plan.focus).display} stands among {head}"
            if plan.benchmark and plan.beyond:
                head = (f"how many {rows} of {names[0]} are {plan.beyond} {gaz.get(plan.benchmark).display}'s "
                        f"figure on {what}, and which")
            elif plan.benchmark:
                head += f", with {gaz.get(plan.benchmark).display}'s figure beside them and each one's difference from it"
            if plan.exclude_places:
                head += ", leaving out " + ", ".join(gaz.get(k).display for k in plan.exclude_places)
        elif isinstance(plan, BreakdownPlan):
            over = plan.over
            by = (LEVEL_NAMES.get(over.level, over.level) if isinstance(over, Areas)
                  else self._rows_label(sheet, over))
            head = f"{what} in {names[0]}, by {by}" + (", as a map" if plan.as_map else "")
        elif isinstance(plan, CountPlan):
            rows = LEVEL_ROWS.get(plan.level, plan.level)
            if plan.filters and m is not None:
                m, label = m.model_copy(update={"label": what}), what     # the categories the figure is of
            if plan.also:
                label = " and ".join([label] + [sheet.measure_by_id[w.measure].label.lower() for w in plan.also]) \
                    + " (each)"
            left_out = (" (leaving out " + " and ".join(gaz.get(k).display for k in plan.exclude_places) + ")"
                        if plan.exclude_places else "")
            if plan.of_total or plan.level != sheet.geography.level or queries.summed_over_rows(plan, sheet, m):
                head = f"how many {rows} of {names[0]}{left_out} have " + threshold_text(
                    plan.condition, plan.of_total, m, sheet).removeprefix("with ") + (
                    f" (each {rows[:-1]}'s figure summed from its {LEVEL_NAMES.get(sheet.geography.level, 'areas')} areas)"
                    if plan.level != sheet.geography.level else "")
            else:
                cond = condition_text(plan.condition, m)
                cond = f"have {cond.removeprefix('with ')}" if cond.startswith("with ") else f"are {cond}"
                head = (f"how many {rows} of {names[0]}{left_out} {cond}, on {label}"
                        + (" (and how many people live in them)" if plan.share else ""))
            if plan.per:
                each = {"ward": "ward", "lad": "council"}[plan.per]
                kept = [p.display for p in gaz.lads() if p.key not in plan.exclude_places]
                whom = (f"for each of {' and '.join(kept)}" if plan.per == "lad" and plan.exclude_places
                        and len(kept) < len(plan.exclude_places) else f"for each {each} of {names[0]}{left_out}")
                head = (f"{whom}, how many of its {rows} are {condition_text(plan.condition, m)}, "
                        f"on {label}, " + ("highest share" if plan.by_share and plan.order == "desc" else "lowest share"
                                           if plan.by_share else "most" if plan.order == "desc" else "fewest") + " first"
                        + (f" (top {plan.limit})" if plan.limit else "")
                        + (", and the difference between them" if plan.difference else ""))
                if plan.at_least is not None:
                    some = "one" if plan.at_least == 1 else f"{plan.at_least:,}"
                    said = f"none of their {rows}" if plan.at_least == 0 else f"at least {some} of their {rows}"
                    head = (f"how many {each}s of {names[0]}{left_out} have {said} "
                            f"{condition_text(plan.condition, m)}, on {label}")
        elif isinstance(plan, TrendPlan) and plan.difference_from:
            other = next(v for v in plan.periods.values if v != plan.difference_from)
            from_label, other_label = (periods_label(sheet, (v,)) for v in (plan.difference_from, other))
            return (f"Understood: {what} in {names[0]}, the difference: {from_label} minus {other_label}.")
        elif isinstance(plan, TrendPlan):
            head = f"{what} in {' and '.join(names)}, over time" + (
                ", with its average" if plan.stat == "mean" else ", with its lowest and highest" if plan.stat == "range"
                else "")
        elif isinstance(plan, ComparisonPlan):
            head = f"{what}: {' compared with '.join(names)}" + (" (the difference)" if plan.difference else "") \
                + (" (how many times the one is the other)" if getattr(plan, "ratio", False) else "") \
                + (", and added together" if plan.combined else "")
        else:
            head = f"{what} in {names[0]}"
            if getattr(plan, "exclude_places", ()):
                head += ", leaving out " + " and ".join(gaz.get(k).display for k in plan.exclude_places)
            if whole is not None:
                head += f", as a share of {whole.display}"
        period = self._period_words(plan, sheet, when, f)
        return f"Understood: {head}, {period}."

    @staticmethod
    def _rows_label(sheet, over) -> str:
        if isinstance(over, Members):
            g = next((g for g in sheet.groups if g.id == over.group), None)
            return g.label.lower() if g else "category"
        if isinstance(over, Categories):
            d = next((d for d in sheet.dimensions if d.column == over.column), None)
            if over.column == sheet.time.column:
                return sheet.time.granularity
            own = next((m for m in sheet.measures if m.column == over.column and m.format in ("category", "decile")), None)
            if d is None and own is not None:
                # (a class each area has: the areas counted in each)
                return f"{own.label.lower()}, counting the {LEVEL_ROWS.get(sheet.geography.level, 'areas')} in each"
            return d.label.lower() if d else over.column.replace("_", " ")
        return "category"

    def _rate_label(self, plan) -> str:
        sheet = self.catalog.sheets[plan.dataset]
        m = sheet.measure_by_id[plan.measure]
        spec = next((r for r in m.rates if r.denominator == plan.rate.denominator), None)
        if spec is None and plan.rate.denominator in sheet.measure_by_id:
            return sheet.measure_by_id[plan.rate.denominator].label.lower()
        return spec.label if spec else plan.rate.denominator

    def _period_words(self, plan, sheet: Datasheet | None, when: When | None, f: Frame | None = None) -> str:
        if sheet is None:
            return "latest figures"
        vals = plan.periods.values
        if not sheet.time.column:
            said = sheet.time.label
        elif vals:
            said = periods_label(sheet, vals)       # 'September, November and December 2019' when one is left out
        else:
            said = "every month held" if sheet.time.granularity == "month" else "every year held"
        over = getattr(plan, "over", None)
        if when is None and (isinstance(plan, TrendPlan) or (
                isinstance(over, Categories) and sheet.time.column and over.column == sheet.time.column)):
            return f"{said} (every period held)"
        if when is not None and when.is_latest and when.words:
            return f"{said} ('{when.words}': the latest held)"
        if f is not None and f.carried_dataset and sheet.edition is not None and not sheet.time.column and \
                not f.sources and (plan.period_defaulted or when is None):
            return f"{said} (the edition of the question before)"
        named = f is not None and not sheet.time.column and any(sheet.id in ds for _, ds in f.sources)
        if (plan.period_defaulted or when is None) and not named:
            # (a source named that holds one period, 'the 2019 IMD', 'census 2021', names its period)
            return f"{said} (no period named: the latest held)"
        return said

    # ================================================================== replies
    def _no_data(self, state: dict, message: str, reason: str, asked: str) -> Planned:
        return Planned("no_data", message=message, state=state, reason=reason,
                       understood=f"Understood: {asked}.")

    @staticmethod
    def _first_place(f: Frame) -> str:
        """The first place the question names unambiguously, as said in answers ('' if none)."""
        places = [p for p in f.subject_places if not p.found.ambiguous]
        return places[0].found.candidates[0].display if places else ""

    _BACK = frozenset({"its", "it", "there", "their", "that", "this", "same"})
    _PEOPLE = frozenset({"resident", "residents", "person", "people", "someone", "family", "household", "tenant",
                         "constituent", "constituents", "client", "clients"})
    _LEVEL_RANK = {"lsoa": 0, "ward": 1, "town": 1, "lad": 2}
    _LEVEL_SAID = {"lsoa": "neighbourhood (LSOA)", "ward": "ward", "lad": "council"}

    def _where(self, f: Frame, state: dict, carried: Carried | None) -> Planned | None:
        """'What ward is Knowsley 002B in?', 'which council is Anfield in?' (or, after a question about
        one area, 'what council is that in?'): where an area lies, from the geography lookups; only
        when that is all the question asks."""
        r = f.reading
        places = [p.found.candidates[0] for p in f.subject_places if not p.found.ambiguous]
        if not f.places and carried is not None and len(carried.places) == 1 and carried.places[0] in self.gaz.places:
            places = [self.gaz.places[carried.places[0]]]
        # who lives there is not a figure asked: 'a resident asked which ward they're in'
        people = all(set(f.words(sp).split()) <= self._PEOPLE for sp, _ in f.measures)
        topic = bool(f.categories or f.tables or f.ages) or (bool(f.measures) and not people)
        if (topic or "which" not in f.cues or len(f.levels) != 1 or len(places) != 1
                or len(f.places) > 1 or f.periods or r.uncovered or f.condition is not None or f.order or f.limit
                or f.grouping):
            return None
        level, place = f.levels[0][1], places[0]
        if level not in self._LEVEL_RANK or place.level not in self._LEVEL_RANK \
                or self._LEVEL_RANK[level] < self._LEVEL_RANK[place.level]:
            return None
        ward, council = self.gaz.containing(place, "ward"), self.gaz.containing(place, "lad")
        found = self.gaz.containing(place, level)
        if found is None or council is None:
            return None
        if found.key == place.key:
            said = f"{place.display} is itself a {self._LEVEL_SAID[level]}"
            if level != "lad":
                said += f", in {council.name}"
        elif found.level == "ward":
            said = f"{place.display} is in {found.name} ward, {council.name}"
        else:
            said = f"{place.display} is in {council.name}"
        message = said + "."
        lsoa = place.level == "lsoa" and ward is not None
        if lsoa:
            message += (" Wards are the May 2024 wards; a neighbourhood is placed in the ward that holds most of "
                        "its people (the ONS best-fit lookup).")
        # the area asked for first (the answer), then the area asked about and its council
        head = {"lsoa": "Neighbourhood (LSOA)", "ward": "Ward (May 2024)", "lad": "Council"}
        cols, row = [head[level]], [found.name]
        for lvl, area in (("lsoa", place if place.level == "lsoa" else None), ("ward", ward), ("lad", council)):
            if area is not None and lvl != level:
                cols.append(head[lvl])
                row.append(area.name)
        if place.level not in head:
            cols.append("Area asked about")
            row.append(place.display)
        # 'what's the population of that ward?' next: the area found is the one spoken of
        carried_next = Carried(places=(found.key,))
        return Planned("where", message=message, reason="where",
                       state={**state, "pending": None, "frame": carried_next.to_state(), "last": None},
                       table={"columns": cols, "rows": [row]},
                       understood=f"Understood: which {self._LEVEL_SAID[level]} {place.display} is in (no figures).")

    def _no_measure(self, f: Frame, state: dict, text: str) -> Planned:
        place = self._first_place(f)
        where = f" for {place}" if place else ""
        return Planned("no_data", message=(
            f"I couldn't tell which figure you're after{where}. Try naming a topic the commons holds: "
            "population, deprivation, crime, crime severity, homelessness, GP patients per doctor, health index, "
            "households and tenure, disability, ethnic group, population density or rural-urban classification."),
            state=state, reason="" if place else "no_measure",
            understood=f"Understood: a question{where}, but not which figure.")

    def _which_measure(self, words: str, opts: list, text: str, state: dict) -> Planned:
        return Planned("clarify", message=f"I'm not sure which figure '{words}' refers to. Did you mean one of these?",
                       options=tuple(lbl for lbl, _ in opts), reason="which_measure_topic",
                       state={**state, "pending": {"question": text, "metrics": [[lbl, c] for lbl, c in opts]}},
                       understood=f"Understood: a figure described as '{words}', but not which.")

    def _counts_something_else(self, f: Frame, uncovered: list[int], concept: str) -> bool:
        """'How many <words>' counts the thing the words name: a measure found for them by the
        embedding search counts something else when none of its units is among the words (the
        words only name where or by whom it is counted: 'GP practices' for patients at them)."""
        t = f.reading.q.tokens
        if not uncovered or not any(s.slot == "intent" and getattr(s.value, "kind", s.value) == "count"
                                    and s.end == uncovered[0] for s in f.reading.spans):
            return False
        said = {lemma(t[i]) for i in uncovered}
        units = {lemma(w) for ref in self.catalog.concepts.get(concept, ())
                 for w in re.findall(r"[a-z]+", (ref.measure.unit or "").lower())}
        return bool(units) and not (units & said)

    def _detect_metric(self, topic: str):
        try:
            found = list(self.metric_finder(topic) or [])
        except Exception:  # noqa: BLE001 - measure detection is a help, never a failure
            return ("none", None)
        found = [c for c in found if c.concept in self.catalog.concepts]
        if not found or found[0].score < METRIC_ASK:
            return ("none", None)
        top = found[0]
        runner = found[1].score if len(found) > 1 else 0.0
        if top.score >= METRIC_USE and top.score - runner >= METRIC_MARGIN:
            return ("use", top.concept)
        return ("clarify", [(self.catalog.label(c.concept), c.concept) for c in found[:3] if c.score >= METRIC_ASK])

    def _measure_words(self, f: Frame, spans) -> str:
        return " ".join(w for s, h in spans for w in h.words)

    def _topic_words(self, f: Frame) -> str:
        return ", ".join(f.words(s) for s in f.reading.spans if s.slot in ("measure", "category", "age"))

    def _is_follow_up(self, f: Frame) -> bool:
        """A question that names no topic (or no place) and reads as going on from the last one."""
        has_topic = f.names_topic
        has_place = bool(f.places)
        if has_topic and f.share is not None and f.measures and any(
                w in ("that", "this", "those", "these", "it") for w in f.reading.q.tokens) and all(
                self._generic([(sp, h)], h.best) or self._a_total(h.best) for sp, h in f.measures):
            # 'what % of the St Helens population is that?', 'what % of the population is that?': the figure
            # before, as a share of the whole named
            return True
        if has_topic and has_place:
            # 'and how does its share of over 65s compare with St Helens?': 'its' is the area spoken
            # of, compared with the one named (a topic and a place of its own, and still going on)
            return (f.cues.get("compare") is not None or f.difference is not None) and any(
                w in self._BACK for w in f.reading.q.tokens)
        if f.meta:
            return False
        return f.followup or not has_topic or not has_place

    def _about_me(self, f: Frame) -> str:
        word = f.words(f.meta)
        if word in ("thanks", "thank you", "cheers", "bye", "goodbye"):
            return "You're welcome. Ask about an area or a topic whenever you like."
        if word in ("hello", "hi", "good morning", "good afternoon", "how are you"):
            return ("Hello. I answer questions about the Liverpool City Region from its data commons, for example "
                    "'What was the population of Liverpool in 2020?'")
        return ("I'm the Commons Assistant: I answer questions about the Liverpool City Region from the data its "
                f"commons holds ({HOLDS}), with the source and licence of every figure, and I answer questions about "
                "the data itself (who publishes it, its licence, its caveats). I only give figures the commons holds "
                "for exactly what was asked; when I can't apply part of a question I say so. Try 'How deprived is "
                "Everton?', 'crime in Wirral by type' or 'who publishes the crime data?'.")


__all__ = ["Resolver", "Choice", "DecileCondition", "MeasureHit", "Measure", "Any", "PlaceRef"]
