"""The offline planner: question text -> QueryPlan (or a clarify / no_data / docs outcome).

Rule-based and deterministic.  It reads measures, synonyms, groups and dimensions from the
datasheets (through the catalogue), places from the gazetteer, and carries context between
turns of a conversation ("and in 2020?", "what about Wirral?").  It never writes SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assistant import lexicon as lx
from assistant.understanding.outcome import Planned
from retrieval.catalog import Binding, Catalog
from kernel.types import QueryPlan
from rapidfuzz import fuzz, process

from retrieval.datasheets import LEVEL_ORDER
from kernel.text import normalise
from retrieval.geography import Gazetteer, Place, PlaceMatch

Kind = Literal["data", "docs", "clarify", "no_data"]
SUMMARY_CONCEPTS = ("population", "imd_score", "health_index_score", "crime_severity_score",
                    "households_assessed_homeless_per_1000", "patients_per_gp_fte", "crimes",
                    "households", "population_density")
DIM_ALIASES = {
    "asb": "Anti-social behaviour", "anti social": "Anti-social behaviour",
    "antisocial": "Anti-social behaviour", "anti social behavior": "Anti-social behaviour",
    "violent crime": "Violence and sexual offences", "violence": "Violence and sexual offences",
    "violent crimes": "Violence and sexual offences", "sexual offences": "Violence and sexual offences",
    "burglaries": "Burglary", "break ins": "Burglary", "car crime": "Vehicle crime",
    "vehicle crimes": "Vehicle crime", "bike theft": "Bicycle theft", "bike thefts": "Bicycle theft",
    "bicycle thefts": "Bicycle theft", "drug": "Drugs", "drug crime": "Drugs", "drugs crime": "Drugs",
    "drug offences": "Drugs", "arson": "Criminal damage and arson", "criminal damage": "Criminal damage and arson",
    "vandalism": "Criminal damage and arson", "robberies": "Robbery", "muggings": "Robbery",
    "weapons": "Possession of weapons", "weapon": "Possession of weapons", "shop lifting": "Shoplifting",
    "public disorder": "Public order", "pickpocketing": "Theft from the person",
    "urban": "Urban", "rural": "Rural",
}


REWRITES = {"folk": "people", "folks": "people", "peeps": "people", "pop": "population",
            "diverse": "diversity", "multicultural": "diversity",
            "poorer": "deprived", "poor": "deprived", "poorest": "most deprived", "richest": "least deprived",
            "deprivation": "deprivation", "councils": "councils", "authorities": "councils",
            "nbhd": "neighbourhood"}


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def lemma(word: str) -> str:
    """A word's root for matching a measure's phrase in other words ('social renters', 'rent
    socially' for 'social rent'): the plural, then -ly, -ing, -ed, -er(s) are taken off."""
    w = stem(word)
    for suffix, keep in (("ally", 4), ("ly", 4), ("ing", 3), ("ed", 3), ("er", 3)):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            w = w[:-len(suffix)]
            if suffix == "ally":
                w += "al"
            break
    return w


@dataclass(frozen=True)
class _Hit:
    concept: str
    span: tuple[int, int]
    score: float
    words: tuple[str, ...] = ()
    loose: bool = False         # matched by the roots of its words, not as written


class Planner:
    def __init__(self, catalog: Catalog, gazetteer: Gazetteer, fuzzy_cutoff: int = 88):
        self.catalog, self.gaz, self.fuzzy_cutoff = catalog, gazetteer, fuzzy_cutoff
        self._phrases = self._build_phrases()
        self._groups = self._build_groups()
        self._dims = self._build_dims()
        self._labels = {c: frozenset(stem(w) for w in normalise(re.sub(r"\(.*?\)", "", refs[0].measure.label)).split()
                                     if w not in lx.STOP)
                        for c, refs in self.catalog.concepts.items()}
        self._label_df: dict[str, int] = {}
        for words in self._labels.values():
            for w in words:
                self._label_df[w] = self._label_df.get(w, 0) + 1
        self._vocab = self._build_vocab()
        self._dataset_words = self._build_dataset_words()
        # A dataset's id words ('lupus', 'vcse') name it alone; its aliases only as whole phrases
        # ('the charity data' names the co-op's data, 'our little charity' does not).
        self._id_words = {s.id: frozenset(stem(w) for w in normalise(s.id.replace("_", " ")).split())
                          for s in self.catalog.sheets.values()}
        self._alias_phrases = {s.id: tuple(tuple(stem(w) for w in normalise(a).split()) for a in s.aliases)
                               for s in self.catalog.sheets.values()}
        self._measure_words = {w for phrase in self._phrases for w in phrase} - lx.STOP
        self._quiet = self._build_quiet()
        # every measure phrase of two or more words, all of them topic words (no level, figure or
        # filler word: 'renting from the council' is not 'households rent'), by their roots
        self._root_phrases: list[tuple[frozenset[str], frozenset[str], str, float]] = []
        for words, concepts in self._phrases.items():
            content = [w for w in words if w not in lx.STOP]
            roots = frozenset(lemma(w) for w in content)
            if len(roots) >= 2 and not any(self._is_quiet(w) for w in content):
                for concept, score in concepts.items():
                    self._root_phrases.append((roots, frozenset(words), concept, score))
        self._root_index: dict[str, list[tuple]] = {}
        for entry in self._root_phrases:
            for r in entry[0]:
                self._root_index.setdefault(r, []).append(entry)
        self._name_df: dict[str, int] = {}
        for words in self._dataset_words.values():
            for w in words:
                self._name_df[w] = self._name_df.get(w, 0) + 1
        self._spell = sorted(w for w in self._vocab if len(w) >= 5 and w.isalpha())
        self._english = self._build_english()
        # Set by the pipeline: text -> ranked candidate measures (retrieval.index.MetricIndex),
        # consulted only when the lexicon finds no measure at all.
        self.metric_finder = None

    # -- vocabulary built from the datasheets -----------------------------------------
    def _build_phrases(self) -> dict[tuple[str, ...], dict[str, float]]:
        phrases: dict[tuple[str, ...], dict[str, float]] = {}

        def add(text: str, concept: str, bonus: float):
            words = tuple(stem(w) for w in normalise(text).split())
            if not words:
                return
            content = [w for w in words if w not in lx.STOP]
            score = len(content) + 0.25 * (len(words) - len(content)) + bonus
            if not content:         # 'how many people live': never above a topic word ('flats')
                score = min(0.3 * len(words), 0.9) + bonus
            slot = phrases.setdefault(words, {})
            slot[concept] = max(slot.get(concept, 0), score)

        for concept, refs in self.catalog.concepts.items():
            for ref in refs:
                m = ref.measure
                add(m.label, concept, 0.5)
                add(re.sub(r"\(.*?\)", "", m.label), concept, 0.5)
                add(concept.replace("_", " "), concept, 0.25)
                for s in m.synonyms:
                    add(s, concept, 0.0)
        return phrases

    def _build_groups(self) -> dict[tuple[str, ...], tuple[str, str]]:
        out = {}
        for s in self.catalog.sheets.values():
            for g in s.groups:
                for text in (g.label, *g.synonyms):
                    out[tuple(stem(w) for w in normalise(text).split())] = (g.id, g.total)
        return out

    def _build_dims(self) -> dict[tuple[str, ...], dict[str, str]]:
        """Phrase -> {dataset: dimension column} (several datasets share 'age band')."""
        out: dict[tuple[str, ...], dict[str, str]] = {}
        for s in self.catalog.sheets.values():
            for d in s.dimensions:
                for text in (d.label, *d.synonyms, d.column.replace("_", " ")):
                    out.setdefault(tuple(stem(w) for w in normalise(text).split()), {})[s.id] = d.column
        return out

    def _build_vocab(self) -> set[str]:
        vocab = {w for phrase in self._phrases for w in phrase} | lx.STOP
        vocab |= {w for phrase in (*self._groups, *self._dims) for w in phrase}
        vocab |= {w for words in lx.LEVELS.values() for p in words for w in p.split()}
        vocab |= {w for p in (*lx.TREND, *lx.COMPARE, *lx.RANK_DESC, *lx.RANK_ASC, *lx.SUMMARY,
                              *lx.BREAKDOWN, *lx.RANK_WORDS, *lx.DOCS, *lx.OUT_OF_SCOPE, *lx.DATA_NOUNS,
                              *lx.FORM_PHRASES) for w in p.split()}
        vocab |= set(lx.MONTHS) | {w for a in DIM_ALIASES for w in a.split()}
        vocab |= {normalise(v) for vals in self.catalog.dim_values.values() for v in vals for v in normalise(v).split()}
        vocab |= {"ward", "wards", "council", "borough", "city", "town", "region", "england", "uk",
                  "area", "my", "our", "deprived", "deprivation", "poor", "poorest", "poverty",
                  "crime", "crimes", "score", "rank", "decile", "mid", "estimate", "estimates",
                  "census", "q4", "quarter", "homeless", "doctor", "gp", "gps", "nhs", "percent",
                  "share", "percentage", "proportion", "nationally", "national", "folk", "folks",
                  "lived", "living", "bad", "good", "safe", "much", "there", "were", "was", "bit",
                  "compare", "compared", "from", "to", "did", "since", "recorded", "police", "month",
                  # everyday words that are not places ("Drop the decimals", "Name the council")
                  "drop", "decimals", "decimal", "name", "names", "real", "please", "list", "show", "tell",
                  "identify", "give", "round", "rounded", "exact", "exactly", "actual", "really", "thanks"}
        return vocab

    def _build_english(self) -> frozenset[str]:
        """Real English words: everyday ones (lexicon, spaCy's stop words) and every word of the
        datasheets' own prose (descriptions, methodology, caveats, measure descriptions)."""
        words = set(lx.ENGLISH_WORDS) | set(lx.STOP)
        try:
            from spacy.lang.en.stop_words import STOP_WORDS
            words |= {normalise(w) for w in STOP_WORDS}
        except Exception:  # noqa: BLE001 - the lexicon's own list is enough without spaCy
            pass
        for s in self.catalog.sheets.values():
            prose = [s.description, s.methodology, *s.caveats, *(m.description or "" for m in s.measures)]
            words |= {w for text in prose for w in normalise(text).split() if w.isalpha()}
        return frozenset(words)

    def _build_quiet(self) -> set[str]:
        """Words that never name a topic by themselves: question, intent, level, period and
        filler words, the ways a figure is put ('average', 'rate', 'share'), categories."""
        quiet = set(lx.STOP) | set(_NOT_TOPIC) | set(lx.MONTHS) | _FIGURE_WORDS | _GENERIC | _PARTICLES
        quiet |= {w for p in (*lx.TREND, *lx.COMPARE, *lx.RANK_DESC, *lx.RANK_ASC, *lx.SUMMARY, *lx.BREAKDOWN,
                              *lx.RANK_WORDS, *lx.DATA_NOUNS, *lx.FORM_PHRASES) for w in p.split()}
        quiet |= {w for words in lx.LEVELS.values() for p in words for w in p.split()}
        quiet |= _EVERYDAY
        return quiet

    def _is_quiet(self, word: str) -> bool:
        return word in lx.STOP or word in self._quiet or word in _PARTICLES

    def _own_categories(self, stems: list[str], concept: str) -> set[int]:
        """Positions of the words that split or filter the chosen measure ('by age' for the
        population, 'tenure' for households, 'burglary' for crimes): they explain themselves."""
        datasets = {r.dataset for r in self.catalog.concepts.get(concept, [])}
        out: set[int] = set()
        n = len(stems)
        for size in range(1, min(5, n) + 1):
            for i in range(n - size + 1):
                words = tuple(stems[i:i + size])
                group = self._groups.get(words)
                if group and (group[1] == concept or self._in_group(concept, group[0])):
                    out |= set(range(i, i + size))
                if datasets & set(self._dims.get(words, {})):
                    out |= set(range(i, i + size))
        joined = " ".join(stems)
        for (dataset, _), values in self.catalog.dim_values.items():
            if dataset not in datasets:
                continue
            for v in values:
                words = [stem(w) for w in normalise(v).split()]
                if words and f" {' '.join(words)} " in f" {joined} ":
                    start = next(i for i in range(n) if stems[i:i + len(words)] == words)
                    out |= set(range(start, start + len(words)))
        return out

    def _correct(self, tokens: list[str]) -> list[str]:
        """Fix typos in topic words ('popuation', 'deprevation'); never touch place names, and
        never turn a real English word into another word ('whether' is not 'weather'): an English
        word is only put in the form the commons uses ('reported' -> 'report')."""
        out = []
        for t in tokens:
            if len(t) >= 5 and t.isalpha() and t not in self._vocab and stem(t) not in self._vocab \
                    and t not in self.gaz.words:
                hit = process.extractOne(t, self._spell, scorer=fuzz.ratio, score_cutoff=84)
                if hit and (t in self._english or stem(t) in self._english) and not _inflection(t, hit[0]):
                    hit = None
                if hit:
                    place_hit = process.extractOne(t, self.gaz.word_list, scorer=fuzz.ratio, score_cutoff=84)
                    if not place_hit or place_hit[1] < hit[1]:
                        t = hit[0]
            out.append(t)
        return out

    # -- entry point ------------------------------------------------------------------
    def plan(self, text: str, state: dict[str, Any] | None = None) -> Planned:
        state = dict(state or {})
        forced_metric = state.pop("force_metric", None)
        tokens = [REWRITES.get(t, t) for t in self._correct(normalise(text).split())]
        stems = [stem(t) for t in tokens]
        if not tokens:
            return Planned("clarify", message="Please type a question about an area, for example "
                           "'What was the population of Liverpool in 2020?'")

        pending = state.get("pending")
        if pending and pending.get("metrics"):
            chosen = _pick_option(text, pending["metrics"])
            if chosen is not None:
                return self.plan(pending["question"], {**state, "pending": None, "force_metric": chosen})
        elif pending:
            resolved = self._resolve_pending(text, tokens, pending)
            if resolved is not None:
                rest = {**state, "pending": None}
                if pending.get("append"):
                    label = self.gaz.get(resolved["key"]).name
                    return self.plan(f"{pending['question']} in {label}", rest)
                return self.plan(pending["question"], {**rest, "force": resolved})

        # The question is put by what is asked, not by who is asking or why: 'email' in 'for an
        # email campaign' or 'source' in 'asking for a source of funding' is no documentation cue
        # (a clause that is the whole question is its question, not its context).
        context = lx.context_clause(text, tokens)
        asked = [t for i, t in enumerate(tokens) if i not in context] if len(context) < len(tokens) else tokens
        form = lx.question_form(asked)
        cue = lx.any_phrase(asked, lx.DOCS)
        if (cue or (form and form.strength == "about")) and not self._looks_like_data(tokens, form, text):
            return self._docs(tokens, stems, state, form)

        planned = self._plan_data(text, tokens, stems, state, forced_metric)
        if self._about_the_data(planned, text, tokens, form, cue):
            return self._docs(tokens, stems, state, form)
        return planned

    def _about_the_data(self, planned: Planned, asked: str, tokens: list[str], form, cue) -> bool:
        """A question the data route cannot answer, that names no place and is put as a question
        about the data ('can I compare IMD 2019 with 2025', 'is the lupus thing real', 'what do the
        2019 council summaries contain'): the documentation answers it instead."""
        if planned.kind not in ("clarify", "no_data") or planned.reason not in _DOCS_FALLBACK:
            return False
        # Only a question ('what ...', '... ?'), never a request to be shown or given something
        # ('show me the crime data' still asks which area) or one about a person.
        if not (tokens[0] in lx.QUESTION_STARTS or asked.rstrip().endswith("?")) \
                or lx.asks_to_be_given(tokens) or lx.any_phrase(tokens, lx.PERSONAL):
            return False
        if form is not None or cue:
            return True
        # An unknown word that is not put like a place ('which github repo ...') in a question
        # naming a dataset ('the small area population estimates').
        if planned.reason == "unknown_word" and lx.any_phrase(tokens, lx.DATA_NOUNS):
            return True
        # 'where did you get the police data from originally': the data as a thing
        return bool(lx.any_phrase(tokens, lx.THING_NOUNS))

    def _plan_data(self, text: str, tokens: list[str], stems: list[str], state: dict[str, Any],
                   forced_metric: str | None) -> Planned:
        """The data route: measure, places, period and intent, or why there is no plan."""
        # who is asking and why ('asking for a housing charity', 'to evaluate whether our
        # employment support works'): context, never a place, nor the topic when another is named
        context = lx.context_clause(text, tokens)
        hits = self._measures(stems)
        if any(not set(range(*h.span)) <= context for h in hits):
            hits = [h for h in hits if not set(range(*h.span)) <= context]
            oos = lx.any_phrase([t if i not in context else "" for i, t in enumerate(tokens)], lx.OUT_OF_SCOPE)
        else:
            oos = lx.any_phrase(tokens, lx.OUT_OF_SCOPE)
        # A multi-word place name wins over a topic word inside it ("Princes Park" is not green space).
        named = [m.span for m in self.gaz.find(text, tokens, set(), self.fuzzy_cutoff)
                 if m.span[1] - m.span[0] >= 2 and not m.fuzzy]
        hits = [h for h in hits if not any(a <= h.span[0] and h.span[1] <= b and h.span[1] - h.span[0] < b - a
                                           for a, b in named)]
        blocked = {i for h in hits for i in range(*h.span)}
        years = lx.find_years(tokens)
        blocked |= {i for i, _ in years}
        last_period = (state.get("last") or {}).get("period") or ""
        month = lx.find_month(tokens, years[0][1] if years else (last_period[:4] or None))
        if month:
            blocked |= set(month[0])
        matches = self.gaz.find(text, tokens, blocked, self.fuzzy_cutoff)
        matches = self._apply_forced(matches, state.get("force"))
        concept = hits[0].concept if hits else None
        # Naming contributed person-level data ("lupus participants", "VCSE") picks that
        # dataset even when another phrase ("aged 35 to 49") scores higher elsewhere.
        personal = next((h.concept for h in hits if self.catalog.person_level(h.concept)), None)
        if personal and not self.catalog.person_level(concept):
            concept = personal
        elif concept and not self.catalog.person_level(concept):
            named = self._concept_from_values(tokens, person_level_only=True)
            if named and concept in ("population",):
                concept = named
        wants_share = bool(lx.any_phrase(tokens, ("share", "percentage", "percent", "proportion", "pct")))
        if wants_share and concept and not self._is_group_member(concept):
            member = next((h.concept for h in hits if self._is_group_member(h.concept)), None)
            concept = member or concept
        group_hit = self._group_only(stems) if concept is None else None
        if group_hit:
            concept = group_hit
        if concept is None:
            concept = self._concept_from_values(tokens)
        # a topic the commons does not hold, unless a measure's own phrase says it ('benefit
        # claimants'); words only in another form ('claim ... benefit') never do
        if oos and not any(oos in " ".join(tokens[h.span[0]:h.span[1]]) for h in hits if not h.loose):
            return Planned("no_data", message=(
                f"The commons does not hold figures on {oos}. It holds population, deprivation "
                "(IMD 2019 and 2025), Census 2021 households and residents, street crime, crime "
                "severity, homelessness, GP provision, the ONS Health Index, population density "
                "and rural-urban classification for the Liverpool City Region."), state=state,
                reason="out_of_scope")

        metric_choice = None
        unexplained_note = ""
        if forced_metric in self.catalog.concepts:
            concept = forced_metric
        elif concept is not None and matches and hits and self.metric_finder is not None:
            # 'how many people are skint in Knowsley': 'people' names the population, 'skint' says
            # what about them; 'how hard up are the pensioners': 'hard up' says what is asked about
            # the pensioners.  Words the chosen measure does not explain decide, never a guess.
            explained = blocked | context | {i for m in matches for i in m.positions}
            generic = self._generic(hits, concept)
            words = (self._unexplained(tokens, stems, hits, concept, explained) if generic
                     else self._how_quality(tokens, hits, explained))
            if not words and self._is_group_total(concept):
                # a table's total ('households') named with words that pick one of its parts ('rent
                # from the council', 'own ... without a mortgage'): that part, or the choice
                member = self._group_member_for(self._unexplained(tokens, stems, hits, concept, explained),
                                                concept, text, state)
                if isinstance(member, Planned):
                    return member
                concept = member or concept
            if words:
                outcome = self._explain_topic(words, concept, hits, text, state, generic)
                if isinstance(outcome, Planned):
                    return outcome
                if outcome != concept:
                    unexplained_note = (f"'{words}' was read as {self.catalog.label(outcome).lower()}.")
                    concept = outcome
        elif concept is None and self.metric_finder is not None:
            explained = blocked | context | {i for m in matches for i in m.positions}
            topic = [i for i, t in enumerate(tokens) if i not in explained and t not in _NOT_TOPIC]
            if any(tokens[i] not in lx.STOP for i in topic):
                metric_choice = self._detect_metric(" ".join(tokens[i] for i in topic))
                if metric_choice[0] == "use":
                    concept = metric_choice[1]
                if metric_choice[0] in ("use", "clarify"):
                    blocked = blocked | set(topic)

        ambiguous = [m for m in matches if m.ambiguous]
        if ambiguous:
            m = ambiguous[0]
            opts = [(c.display, c.key) for c in m.candidates]
            return Planned("clarify", message=(
                f"'{m.text.title()}' matches more than one place. Which did you mean?"),
                options=tuple(o for o, _ in opts),
                state={**state, "pending": {"question": text, "span": m.text,
                                            "options": [[o, k] for o, k in opts]}},
                reason="ambiguous_place")
        places = [m.candidates[0] for m in matches]
        unknown = self._unknown_place(text, tokens, blocked | context | {i for m in matches for i in m.positions})
        unknown_put_as_place = bool(unknown) and self._put_as_place(text, tokens, unknown)

        last = state.get("last")
        follow_up = last is not None and (concept is None or not places) and (
            places or years or month or concept or _starts_follow_up(tokens))
        if unknown and not places:
            return Planned("no_data", message=(
                f"I couldn't find '{unknown}' in the commons. It covers the six councils of the "
                "Liverpool City Region (Halton, Knowsley, Liverpool, Sefton, St Helens and Wirral), "
                "their wards and neighbourhoods, with England as a comparator."), state=state,
                reason="unknown_place" if unknown_put_as_place else "unknown_word")

        intent, order, limit, child_level = self._intent(tokens, stems, places, concept)
        share = bool(lx.any_phrase(tokens, ("share", "percentage", "percent", "proportion",
                                              "what fraction", "pct", "rate of")))
        dimension, filters = self._dimension(stems, tokens, concept)
        if dimension is None and not filters and intent in ("value", "comparison") and not places[1:]:
            # 'how diverse is Liverpool', 'tenure in Knowsley': a group named as a topic is
            # answered with its split, not with the table's total
            named_group = self._group_named(stems, concept)
            if named_group:
                dimension = f"group:{named_group}"
        if dimension and intent in ("value", "comparison") and not places[1:]:
            intent = "breakdown"
        condition = self._condition(tokens, concept) if intent == "count" else None
        if intent == "count":
            share = False       # the share of small areas is always given; of people only if asked
        elif share and concept and not places[1:] and not dimension \
                and (intent in ("value", "comparison") or intent == "ranking" and not lx.any_phrase(
                    tokens, ("which", "where", "top", "bottom", "rank", "ranking", "highest", "lowest"))) \
                and (not places or places[0].level in ("region", "lad", "ward")):
            # 'what proportion of Knowsley residents are in the most deprived 10%?': a share of an
            # area's people or neighbourhoods in some deciles is a count of its small areas
            # meeting the condition, weighted by their residents when people are asked about
            decile = self._decile_of(concept)
            cond = self._condition(tokens, decile) if decile else None
            if cond is not None and len(cond) == 2 and _names_decile(tokens):
                intent, concept, condition, order, limit = "count", decile, cond, None, None
                child_level = min((r.sheet.geography.level for r in self.catalog.concepts[decile]),
                                  key=LEVEL_ORDER.index)
                share = bool(lx.any_phrase(tokens, _PEOPLE_WORDS)) and any(
                    self.catalog.population_weight(r.sheet, r.measure) for r in self.catalog.concepts[decile])

        if follow_up:
            prev = QueryPlan.from_dict(last)
            if concept is None:
                concept = prev.measure
                share = share or prev.share
                dimension, new_filters = self._dimension(stems, tokens, concept)
                filters = new_filters or list(prev.filters)
                if dimension:
                    intent = "breakdown"
                elif not new_filters:
                    dimension = prev.dimension
                if intent == "value" and prev.intent != "summary":
                    intent, order, limit, child_level = prev.intent, prev.order, prev.limit, prev.child_level
                elif prev.intent == "summary" and intent == "value":
                    intent = "summary"
                if intent == "count":
                    condition = condition or prev.condition
            if not places:
                places = [self.gaz.get(k) for k in prev.places]
                if intent in ("ranking", "breakdown", "count") and child_level and places:
                    order_ = ("lsoa", "ward", "lad", "region", "country")
                    while places[0].level != "country" and \
                            order_.index(places[0].level) <= order_.index(child_level):
                        places = [self.gaz.parent(places[0])]
            if not (years or month) and intent != "trend" and prev.period and not prev.period_defaulted:
                years = [(-1, prev.period[:4])]
                if len(prev.period) > 4:
                    month = ([], prev.period)

        if intent == "summary":
            if not places:
                return self._which_place(text, state, "Which area would you like a summary of?")
            plan = QueryPlan(intent="summary", measure="profile", dataset="", places=(places[0].key,),
                             period=None, period_defaulted=True)
            return Planned("data", plan, state={**state, "last": plan.to_dict(), "pending": None})

        if concept is None and metric_choice and metric_choice[0] == "clarify":
            opts = metric_choice[1]
            return Planned("clarify", message=(
                "I'm not sure which figure you mean. Did you mean one of these?"),
                options=tuple(label for label, _ in opts),
                state={**state, "pending": {"question": text, "metrics": [[label, c] for label, c in opts]}},
                reason="" if places else "which_measure")
        if concept is None:
            return Planned("no_data", message=(
                "I couldn't tell which figure you're after. Try naming a topic the commons holds: "
                "population, deprivation, crime, crime severity, homelessness, GP patients per "
                "doctor, health index, households and tenure, disability, ethnic group, population "
                "density or rural-urban classification."), state=state, reason="" if places else "no_measure")

        if concept not in self.catalog.concepts:      # a follow-up to a summary names no measure
            return Planned("no_data", message="Which figure would you like? Name a topic, for example population "
                           "or crime.", state=state, reason="no_measure")
        concept = self._variant(concept, stems, share, intent)
        if condition is not None and len(condition) == 3:
            column = condition[2]
            concept = next((m.id for ref in self.catalog.concepts.get(concept, [])
                            for m in ref.sheet.measures if m.column == column), concept)
            condition = condition[:2]
        fmt_ = self.catalog.concepts[concept][0].measure
        if fmt_.format == "category" and intent in ("breakdown", "ranking", "value", "comparison") and places[:1]:
            if intent == "breakdown":   # a split: the most detailed classification held
                ref = self.catalog.concepts[concept][0]
                cats = [m for m in ref.sheet.measures if m.format == "category"]
                fmt_ = max(cats, key=lambda m: len(self.catalog.dim_values.get((ref.dataset, m.column), ())))
                concept = fmt_.id
            intent, dimension, child_level = "breakdown", fmt_.column, None
        if share and intent != "count" and not self._is_group_member(concept):
            share = False

        if intent in ("ranking", "breakdown", "count") and not dimension:
            scope = places[0] if places else self.gaz.region()
            if child_level is None:
                child_level = {"region": "lad", "lad": "ward", "ward": "lsoa", "lsoa": None,
                               "country": "lad"}[scope.level]
                if intent == "ranking" and scope.level == "region" and _mentions_ward(tokens):
                    child_level = "ward"
            if child_level is None:
                intent = "value"
            places = [scope] if intent != "value" else places
        region_note = ""
        if not places:
            if intent != "breakdown":
                # value, comparison, trend, summary: the figure depends on the area, so ask
                return self._which_place(text, state, "Which area do you mean?",
                                         concept=concept)
            # 'population by age', 'crime by type': a split with no area named is the city
            # region's, as a ranking or list with no area is over the city region's councils
            places = [self.gaz.region()]
            region_note = f"No area was named, so this is for the {self.gaz.region().display}."
        period = None
        period_defaulted = False
        if month:
            period = month[1]
        elif years:
            period = years[0][1]
        if intent == "trend":
            period = None
        category = self.catalog.concepts[concept][0].measure.format == "category"
        listing = intent in ("ranking", "breakdown", "count") and (not dimension or category)
        binding = self.catalog.bind(concept, [] if listing else places, child_level if listing else None,
                                    period, trend=intent == "trend", scope=places[0] if listing else None)
        dropped = None
        if binding is None and len(places) > 1 and any(p.level == "country" for p in places):
            dropped = self.gaz.england()
            places = [p for p in places if p.level != "country"]
            binding = self.catalog.bind(concept, places, None, period, trend=intent == "trend")
            if binding is not None and intent == "comparison" and len(places) == 1:
                intent = "value"
        if binding is None and intent == "value" and len(places) == 1 and places[0].level == "region":
            # Not published for the city region (no roll-up): show its councils instead.
            intent, child_level, order = "breakdown", "lad", "desc"
            binding = self.catalog.bind(concept, [], "lad", period, scope=places[0])
        if binding is None and region_note:
            return self._which_place(text, state, "Which area do you mean?", concept=concept)
        if binding is None:
            return self._unbound(concept, places, child_level, period, state, intent)
        if period is None and intent != "trend":
            period_defaulted = True
            latest = binding.periods[-1]
            period = latest[:4] if binding.ref.sheet.time.granularity == "month" else latest
        if dimension and dimension == binding.ref.sheet.time.column and period and len(period) > 4:
            period = period[:4]
        if intent == "trend" and len(years) >= 2:
            lo, hi = sorted(y for _, y in years[:2])
            period = f"{lo}..{hi}"
        plan = QueryPlan(intent=intent, measure=concept, dataset=binding.ref.dataset,
                         places=tuple(p.key for p in places), child_level=child_level
                         if intent in ("ranking", "breakdown", "count") and not dimension else None,
                         period=period, period_defaulted=period_defaulted, dimension=dimension,
                         filters=tuple(filters), condition=condition, order=order, limit=limit,
                         share=share)
        note = (f"The commons holds no England figure for {self.catalog.label(concept).lower()}, "
                "so the comparison uses the parent areas it does hold.") if dropped else ""
        note = " ".join(n for n in (unexplained_note, region_note, note) if n)
        return Planned("data", plan, message=note, state={**state, "last": plan.to_dict(), "pending": None,
                                                          "force": None})

    # -- pieces -----------------------------------------------------------------------
    def _unexplained(self, tokens: list[str], stems: list[str], hits: list[_Hit], concept: str,
                     explained: set[int]) -> str:
        """The words of a question that name a topic the chosen measure does not explain ('skint',
        'rent off the council', 'too cramped'), as one phrase; '' when there are none.

        A word counts when it is outside the measure's own phrase, the places, periods and any
        other measure's phrase; question, intent, level and filler words, the measure's own
        categories ('by age') and purpose clauses ('for a funding bid') never count."""
        own = {i for h in hits for i in range(*h.span)}
        # purpose clauses ('for a funding bid') are in ``explained`` (lexicon.context_clause)
        skip = set(explained) | own | self._own_categories(stems, concept)
        content = [i for i, t in enumerate(tokens)
                   if i not in skip and len(t) > 2 and not t.isdigit() and t not in self._quiet
                   and stems[i] not in self._quiet]
        if not content:
            return ""
        # the phrase around them: from the first such word to the end of its run of unexplained
        # words ('rent off the council'), without trailing function words
        start, end = content[0], content[0]
        while end + 1 < len(tokens) and end + 1 not in skip:
            end += 1
        words = tokens[start:end + 1]
        while words and words[-1] in lx.STOP and words[-1] not in _PARTICLES:
            words.pop()
        return " ".join(words)

    def _group_member_for(self, words: str, total: str, text: str, state: dict):
        """The part of ``total``'s table that ``words`` name (a concept, or a clarify offering it
        with the total); None when they name none of its parts (the total stands)."""
        if not words or self.metric_finder is None:
            return None
        members = {m.id for r in self.catalog.concepts.get(total, []) for g in r.sheet.groups if g.total == total
                   for m in r.sheet.measures if m.group == g.id and m.id != total}
        found = self._candidates(words, among=members)
        if not found or found[0].score < METRIC_ASK:
            return None
        if found[0].score >= METRIC_USE:
            return found[0].concept
        opts = [(self.catalog.label(c.concept), c.concept) for c in found[:2]] + [(self.catalog.label(total), total)]
        return self._which_measure(words, opts, text, state)

    def _is_group_total(self, concept: str) -> bool:
        return any(g.total == concept for r in self.catalog.concepts.get(concept, []) for g in r.sheet.groups)

    @staticmethod
    def _generic(hits: list[_Hit], concept: str) -> bool:
        """Was the measure named only by generic words ('how many people', 'homes')?"""
        own = [w for h in hits if h.concept == concept for w in h.words]
        return bool(own) and all(w in _GENERIC or w in lx.STOP for w in own)

    def _how_quality(self, tokens: list[str], hits: list[_Hit], explained: set[int]) -> str:
        """'how hard up are the pensioners', 'how serious are offences': the words between 'how'
        and the verb say what is asked; '' when the measure's own phrase already says it ('how
        deprived is Anfield') or they are everyday words ('how big', 'how bad')."""
        if len(tokens) < 3 or tokens[0] != "how" or tokens[1] in _HOW_NOT_QUALITY:
            return ""
        own = {i for h in hits for i in range(*h.span)}
        end = 1
        while end < len(tokens) and tokens[end] not in _VERBS and end not in own and end not in explained:
            end += 1
        words = tokens[1:end]
        if not words or 1 in own or end >= len(tokens) or all(w in _EVERYDAY or w in lx.STOP for w in words):
            return ""
        return " ".join(words)

    def _explain_topic(self, words: str, concept: str, hits: list[_Hit], text: str, state: dict,
                       generic: bool = True):
        """The measure for words the chosen one does not explain: a confident match replaces it,
        a middling one is offered with it, nothing found is no_data (never the chosen measure
        silently).  A generic measure ('people') is matched on the words alone; a specific one
        ('pensioners') on the words with its own ('hard up pensioners')."""
        own = " ".join(dict.fromkeys(w for h in hits if h.concept == concept for w in h.words))
        choice = self._detect_metric(words if generic else f"{words} {own}")
        if choice[0] == "use":
            return choice[1] if _base(choice[1]) != _base(concept) else concept
        label = self.catalog.label(concept)
        if choice[0] == "clarify":
            opts = list(choice[1])
            if all(_base(c) != _base(concept) for _, c in opts):
                opts.append((label, concept))
            return self._which_measure(words, opts, text, state)
        return Planned("no_data", message=(
                f"I couldn't tell which figure '{words}' refers to, so I haven't guessed. The commons "
                "holds population, deprivation (including income, employment, children and older "
                "people in income deprivation), Census 2021 households (tenure, accommodation type, "
                "overcrowding), disability, ethnic group, crime, crime severity, homelessness, GP "
                "provision, the ONS Health Index, population density and rural-urban classification. "
                f"For the {label.lower()} itself, ask for it by name."), state=state, reason="unexplained")

    def _build_dataset_words(self) -> dict[str, frozenset[str]]:
        """The words of each dataset's title and id ('police', 'subdomains', 'lookup', '2025')."""
        out = {}
        for s in self.catalog.sheets.values():
            text = normalise(f"{s.title} {s.id.replace('_', ' ')}")
            out[s.id] = frozenset(stem(w) for w in text.split() if w not in lx.STOP and len(w) > 1)
        return out

    def _named_datasets(self, stems: list[str]) -> list[str]:
        """Datasets a question names by the distinctive words of their titles ('the police crime
        figures', 'the health index subdomains dataset'): at least two words that few datasets
        use, each counting 1 / (the number of datasets using it), so 'council' (most of them)
        names none.  Only the best-scoring datasets."""
        q = {w for w in stems if not w.isdigit()}          # years are periods, not names
        shared = {d: q & words for d, words in self._dataset_words.items()}
        # two words few datasets use, or one word of a name only this dataset goes by (its id or
        # an alias: 'the lupus data', 'the charity data'; not a word of a long descriptive title)
        scores = {d: sum(1.0 / self._name_df[w] for w in ws) for d, ws in shared.items()
                  if sum(1 for w in ws if self._name_df[w] <= 3) >= 2
                  or any(self._name_df[w] == 1 and len(w) >= 3 and w not in _NOT_A_NAME
                         and w in self._id_words[d] for w in ws)}
        for d, phrases in self._alias_phrases.items():
            if any(p and any(tuple(stems[i:i + len(p)]) == p for i in range(len(stems) - len(p) + 1))
                   for p in phrases):
                scores[d] = max(scores.get(d, 0.0), 2.0)
        best = max(scores.values(), default=0.0)
        if best < 1.0:
            return []
        return sorted(d for d, v in scores.items() if v >= best - 1e-9)

    def _looks_like_data(self, tokens: list[str], form: lx.Form | None = None, text: str = "") -> bool:
        """'How is crime in Everton?' is a data question even though 'how is' is a docs cue.
        A question put as one about the data ('why does Liverpool have more GP patients than
        residents?', 'who publishes ...', 'what does IDACI stand for') is not: the data can give
        the figures, not the reason or the source."""
        if form is not None and form.strength == "about":
            # 'who lives in Everton' names a place: not a question about the data
            return form.kind == "who" and bool(self.gaz.find(" ".join(tokens), tokens))
        strong = lx.any_phrase(tokens, ("who publishes", "who published", "publisher", "licence",
                                        "license", "attribution", "steward", "caveat", "caveats",
                                        "methodology", "datasets", "come from",
                                        "what data", "can i use", "approximate", "calculated",
                                        "provenance", "cite", "source", "sources", "definition",
                                        "mean", "means", "measured", "what do you have"))
        if strong:
            return False
        stems = [stem(t) for t in tokens]
        hits = self._measures(stems)
        if not hits:
            return False
        if self.gaz.find(" ".join(tokens), tokens):
            return True
        # 'what is the population density of Kirkby': a measure of a place the commons does not
        # hold is still a request for a figure (answered no_data naming the place), not a
        # question about the dataset
        unknown = self._unknown_place(text or " ".join(tokens), tokens,
                                      {i for h in hits for i in range(*h.span)}
                                      | lx.context_clause(text or " ".join(tokens), tokens))
        return bool(unknown) and self._put_as_place(text or " ".join(tokens), tokens, unknown)

    def _measures(self, stems: list[str]) -> list[_Hit]:
        hits: list[_Hit] = []
        n = len(stems)
        for size in range(min(8, n), 0, -1):
            for i in range(n - size + 1):
                words = tuple(stems[i:i + size])
                for concept, score in self._phrases.get(words, {}).items():
                    hits.append(_Hit(concept, (i, i + size), score, words))
        # the same topic words in another form ('social renters', 'households rent socially' for
        # 'social rent'), side by side, where a word no phrase explains as written is one of
        # them; a little below the phrase itself
        covered = {i for h in hits for i in range(*h.span)}
        at: dict[str, list[int]] = {}
        for i, w in enumerate(stems):
            if not self._is_quiet(w):
                at.setdefault(lemma(w), []).append(i)
        seen: set[tuple[str, tuple[int, int]]] = set()
        candidates = {id(e): e for w in at for e in self._root_index.get(w, ())}
        for words, forms, concept, score in candidates.values():
            if not words <= at.keys():
                continue
            first = min(min(at[w]) for w in words)
            used = [min(p for p in at[w] if p >= first) for w in words]
            span = (first, max(used) + 1)
            if span[1] - span[0] == len(set(used)) and any(i not in covered for i in used) \
                    and any(stems[i] not in forms for i in used) and (concept, span) not in seen:
                seen.add((concept, span))
                hits.append(_Hit(concept, span, score - 0.25, tuple(stems[span[0]:span[1]]), loose=True))
        present = set(stems)
        for concept, words in self._labels.items():
            if len(words) >= 2 and words <= present:
                first = min(stems.index(w) for w in words)
                rarity = sum(1 / self._label_df[w] for w in words)
                hits.append(_Hit(concept, (first, first + 1), len(words) + 0.4 + 0.2 * rarity, tuple(words)))
        if not hits:
            return []
        # The best concept: highest single phrase score, then most supporting phrases.
        support: dict[str, float] = {}
        for h in hits:
            support[h.concept] = support.get(h.concept, 0) + h.score
        hits.sort(key=lambda h: (-h.score, -support[h.concept], h.concept))
        return hits

    def _variant(self, concept: str, stems: list[str], share: bool, intent: str = "value") -> str:
        base = re.sub(r"_(score|rank|decile)$", "", concept)
        known = self.catalog.concepts
        if intent == "ranking" and concept.endswith("_rank") and f"{base}_score" in known:
            return f"{base}_score"
        if intent == "count" and f"{base}_decile" in known and concept != f"{base}_decile":
            return f"{base}_decile" 
        if "decile" in stems and f"{base}_decile" in known:
            return f"{base}_decile"
        if any(w in stems for w in ("rank", "ranking", "ranked")) and f"{base}_rank" in known \
                and not any(w in stems for w in ("highest", "lowest", "which", "most", "least", "top")):
            return f"{base}_rank"
        return concept

    def _decile_of(self, concept: str) -> str | None:
        """The decile measure of a score or rank ('imd_score' -> 'imd_decile'), if there is one."""
        base = re.sub(r"_(score|rank|decile)$", "", concept)
        for c in (f"{base}_decile", concept):
            refs = self.catalog.concepts.get(c, [])
            if refs and refs[0].measure.format == "decile":
                return c
        return None

    def _is_group_member(self, concept: str) -> bool:
        for ref in self.catalog.concepts.get(concept, []):
            m = ref.measure
            if m.group and any(g.id == m.group and g.total != m.id for g in ref.sheet.groups):
                return True
        return False

    def _intent(self, tokens, stems, places, concept):
        order = limit = child_level = None
        level_word = None
        for lvl, words in lx.LEVELS.items():
            w = lx.any_phrase(tokens, words)
            if w and w not in ("areas", "places", "towns", "authority", "la", "las"):
                level_word = lvl
                break
            if w and level_word is None:
                level_word = lvl if w not in ("areas",) else "lsoa"
        if lx.any_phrase(tokens, lx.SUMMARY) and (concept is None or lx.any_phrase(tokens, ("summary", "summarise", "summarize", "profile", "overview"))):
            return "summary", None, None, None
        if lx.has_phrase(tokens, "how many") or lx.has_phrase(tokens, "number of") or lx.has_phrase(tokens, "count of"):
            pos = (lx.phrase_positions(tokens, "how many") or lx.phrase_positions(tokens, "number of")
                   or lx.phrase_positions(tokens, "count of"))
            after = tokens[pos[1]:pos[1] + 3] if pos else []
            if any(a in ("lsoas", "lsoa", "neighbourhoods", "neighborhoods", "wards", "areas",
                         "small", "councils", "ward", "neighbourhood") for a in after):
                lvl = "ward" if any(a.startswith("ward") for a in after) else "lsoa"
                return "count", None, None, lvl
        desc = lx.any_phrase(tokens, lx.RANK_DESC)
        asc = lx.any_phrase(tokens, lx.RANK_ASC)
        n = lx.parse_top_n(tokens)
        ranking_cue = (desc or asc) and (lx.any_phrase(tokens, ("which", "where", "what", "top", "bottom", "rank", "ranking", "ranked", "list"))
                                         or level_word in ("lad", "ward", "lsoa") and len(places) <= 1)
        if lx.any_phrase(tokens, ("rank", "ranking", "ranked", "league table", "order", "sorted")) and \
                level_word and level_word != "lsoa" or (level_word and lx.any_phrase(tokens, ("which",))
                                                        and (desc or asc)):
            ranking_cue = True
        if ranking_cue and not (len(places) >= 2):
            is_worse = self._direction(concept) == "higher_is_worse"
            word = desc or asc
            if word in ("best",):
                order = "asc" if is_worse else "desc"
            elif word in ("worst",):
                order = "desc" if is_worse else "asc"
            elif desc and (not asc or tokens.index(desc.split()[0]) < tokens.index(asc.split()[0])):
                order = "desc"
            else:
                order = "asc" if asc else "desc"
            if lx.has_phrase(tokens, "least deprived") or lx.has_phrase(tokens, "least poor"):
                order = "asc"
            if order is None:
                order = "desc"
            limit = n
            if limit is None and lx.any_phrase(tokens, ("which", "where", "what")) and \
                    not lx.any_phrase(tokens, ("wards", "councils", "neighbourhoods", "lsoas", "areas", "places")):
                limit = 1
            return "ranking", order, limit, level_word
        if lx.any_phrase(tokens, lx.TREND) or len(lx.find_years(tokens)) >= 2 and \
                lx.any_phrase(tokens, ("from", "between", "to", "and", "until")):
            return "trend", None, None, None
        if len(places) >= 2 or (len(places) == 1 and lx.any_phrase(tokens, lx.COMPARE)):
            return "comparison", None, None, None
        if level_word and level_word != (places[0].level if places else None) and \
                lx.any_phrase(tokens, ("each", "every", "per", "by", "all", "breakdown", "break down",
                                       "split", "list", "across", "in", "for")) and \
                lx.any_phrase(tokens, lx.LEVELS[level_word]) not in ("areas", "places", "towns"):
            if not places or {"lad": 2, "ward": 1, "lsoa": 0}.get(level_word, 3) < \
                    {"country": 4, "region": 3, "lad": 2, "ward": 1, "lsoa": 0}[places[0].level]:
                return "breakdown", "desc", None, level_word
        if lx.any_phrase(tokens, ("breakdown", "break down", "broken down", "split by")):
            return "breakdown", "desc", None, None
        return "value", None, None, None

    def _direction(self, concept: str | None) -> str:
        if not concept or concept not in self.catalog.concepts:
            return "neutral"
        return self.catalog.concepts[concept][0].measure.direction

    def _dimension(self, stems, tokens, concept) -> tuple[str | None, list[tuple[str, str]]]:
        filters: list[tuple[str, str]] = []
        dimension = None
        joined = " ".join(tokens)
        if concept is not None:
            for ref in self.catalog.concepts.get(concept, []):
                for d in ref.sheet.dimensions:
                    values = self.catalog.dim_values.get((ref.dataset, d.column), ())
                    for v in values:
                        nv = normalise(v)
                        if re.search(rf"\b{re.escape(nv)}s?\b", joined) and d.column != ref.sheet.time.column:
                            filters.append((d.column, v))
                            break
                    else:
                        for alias, v in DIM_ALIASES.items():
                            if v in values and re.search(rf"\b{re.escape(alias)}\b", joined):
                                filters.append((d.column, v))
                                break
                if filters:
                    break
        n = len(stems)
        for size in range(min(5, n), 0, -1):
            for i in range(n - size + 1):
                words = tuple(stems[i:i + size])
                owners = self._dims.get(words, {})
                datasets = [r.dataset for r in self.catalog.concepts.get(concept, [])] if concept else list(owners)
                owner = next((d for d in datasets if d in owners), None)
                if owner is not None:
                    prev = stems[i - 1] if i else ""
                    if prev in ("by", "per", "each", "every", "of", "breakdown", "across") or \
                            size > 1 or lx.any_phrase(tokens, ("breakdown", "break down", "split")):
                        col = owners[owner]
                        if not any(c == col for c, _ in filters):
                            return col, filters
                if words in self._groups and concept is not None:
                    gid, total = self._groups[words]
                    if concept == total or self._in_group(concept, gid):
                        prev = stems[i - 1] if i else ""
                        if prev in ("by", "per", "each", "of", "breakdown", "across") or size > 1 or \
                                lx.any_phrase(tokens, ("breakdown", "break down", "split", "profile")):
                            return f"group:{gid}", filters
        return dimension, filters

    def _concept_from_values(self, tokens: list[str], person_level_only: bool = False) -> str | None:
        """'burglaries in Sefton', 'debt advice in Knowsley': a distinctive dimension value
        names the dataset's count measure.  Years, numbers and everyday words ('None',
        'Female', 'Improved') are not distinctive."""
        joined = " ".join(tokens)
        for (dataset, column), values in self.catalog.dim_values.items():
            sheet = self.catalog.sheets[dataset]
            if column == sheet.time.column or any(m.column == column for m in sheet.measures):
                continue
            if person_level_only and not sheet.person_level:
                continue
            names = [normalise(v) for v in values] + [a for a, v in DIM_ALIASES.items() if v in values]
            names = [n for n in names if len(n) > 3 and not re.fullmatch(r"[\d\s-]+", n)
                     and (" " in n or not sheet.person_level)]
            if any(re.search(rf"\b{re.escape(n)}\b", joined) for n in names):
                count = next((m for m in sheet.measures if m.rollup in ("sum", "count")), None)
                if count:
                    return count.id
        return None

    def _group_named(self, stems: list[str], concept: str | None) -> str | None:
        """The group whose name or synonym the question uses, when ``concept`` is its total."""
        n = len(stems)
        for size in range(min(5, n), 0, -1):
            for i in range(n - size + 1):
                hit = self._groups.get(tuple(stems[i:i + size]))
                if hit and hit[1] == concept and stems[i:i + size] != ["age"]:
                    return hit[0]
        return None

    def _group_only(self, stems: list[str]) -> str | None:
        n = len(stems)
        for size in range(min(5, n), 0, -1):
            for i in range(n - size + 1):
                hit = self._groups.get(tuple(stems[i:i + size]))
                if hit and stems[i:i + size] != ["age"]:
                    return hit[1]
        return None

    def _in_group(self, concept: str, gid: str) -> bool:
        return any(r.measure.group == gid for r in self.catalog.concepts.get(concept, []))

    def _condition(self, tokens, concept) -> tuple[str, float | str] | None:
        joined = " ".join(tokens)
        m = re.search(r"\bdecile (\d+)\b", joined) or re.search(r"\b(\d+)(?:st|nd|rd|th)? decile\b", joined)
        if m:
            return ("=", int(m.group(1)))
        # 'the most deprived 10%', 'the most income deprived 20 percent', '10% most deprived'
        m = re.search(r"\b(?:most|least)(?: [a-z]+)? deprived (\d+) ?(?:%|percent|per cent|pc)?", joined)
        m = m or re.search(r"\b(\d+) ?(?:%|percent|per cent|pc)? (?:most|least)(?: [a-z]+)? deprived", joined)
        if m:
            d = max(1, round(int(m.group(1)) / 10))
            return ("<=", d) if "most" in joined else (">=", 11 - d)
        if re.search(r"\bmost(?: [a-z]+)? deprived\b", joined) or "poorest" in joined:
            return ("=", 1)
        if re.search(r"\bleast(?: [a-z]+)? deprived\b", joined):
            return ("=", 10)
        best = None
        for ref in self.catalog.concepts.get(concept, []):
            for (dataset, column), values in self.catalog.dim_values.items():
                if dataset != ref.dataset or not any(m.column == column and m.format == "category"
                                                     for m in ref.sheet.measures):
                    continue
                for v in values:
                    nv = normalise(v)
                    if re.search(rf"\b{re.escape(nv)}\b", joined) and (best is None or len(nv) > len(best[0])):
                        best = (nv, column, v)
        if best:
            return ("=", best[2], best[1])
        return None

    def _apply_forced(self, matches: list[PlaceMatch], force: dict | None) -> list[PlaceMatch]:
        if not force:
            return matches
        out = []
        for m in matches:
            if m.ambiguous and m.text == force.get("span"):
                out.append(PlaceMatch(m.span, m.text, (self.gaz.get(force["key"]),), m.fuzzy, m.qualifier))
            else:
                out.append(m)
        return out

    def _resolve_pending(self, text: str, tokens: list[str], pending: dict) -> dict | None:
        norm = normalise(text)
        options = pending["options"]
        for label, key in options:
            if normalise(label) == norm:
                return {"span": pending["span"], "key": key}
        if norm.isdigit() and 1 <= int(norm) <= len(options):
            return {"span": pending["span"], "key": options[int(norm) - 1][1]}
        found = self.gaz.find(text, tokens)
        # A reply that names a topic of its own ('which wards in Liverpool have the highest
        # deprivation?', 'how much crime is there in Sefton?') is a new question, not a choice
        # among the places offered ('the one in Sefton', 'Liverpool please').
        in_places = {i for m in found for i in m.positions}
        outside = [stem(t) if i not in in_places else "" for i, t in enumerate(tokens)]
        if any(not set(range(*h.span)) & in_places for h in self._measures(outside)):
            return None
        keys = {k for _, k in options}
        for m in found:
            inside = [c for c in m.candidates if c.key in keys]
            if len(inside) == 1:
                return {"span": pending["span"], "key": inside[0].key}
            lad_hits = [k for _, k in options if any(c.level == "lad" and self.gaz.get(k).lad_code == c.lad_code
                                                    for c in m.candidates)]
            if len(lad_hits) == 1:
                return {"span": pending["span"], "key": lad_hits[0]}
        return None

    def _which_place(self, text: str, state: dict, message: str, concept: str | None = None) -> Planned:
        options = [p for p in self.gaz.lads()] + [self.gaz.region()]
        return Planned("clarify", message=message + " For a ward or neighbourhood, name it in your question.",
                       options=tuple(p.display for p in options),
                       state={**state, "pending": {"question": text, "span": "",
                                                   "options": [[p.display, p.key] for p in options],
                                                   "append": True}},
                       reason="which_place")

    def _unknown_place(self, text: str, tokens: list[str], explained: set[int]) -> str | None:
        """Words that are neither vocabulary nor a known place: most likely a place we don't hold."""
        vocab = self._vocab
        run: list[str] = []
        for i, t in enumerate(tokens + [""]):
            unknown = t and i not in explained and t not in vocab and stem(t) not in vocab \
                and not t.isdigit() and not re.fullmatch(r"\d+(st|nd|rd|th|s)?", t)
            if unknown:
                run.append(t)
            elif run:
                name = " ".join(run)
                if len(name) >= 3:
                    return name.title()
                run = []
        return None

    @staticmethod
    def _put_as_place(text: str, tokens: list[str], name: str) -> bool:
        """Is an unknown word put like a place name: after 'in', 'for', 'of', 'at'... ('population
        of Kirkby'), or capitalised inside the sentence ('crime figures Kirkby')?"""
        words = name.lower().split()
        pos = lx.phrase_positions(tokens, " ".join(words))
        if pos and pos[0] > 0 and tokens[pos[0] - 1] in _PLACE_PREPOSITIONS:
            return True
        raw = re.findall(r"[A-Za-z][A-Za-z'\-]*", text)
        first = raw[0].lower() if raw else ""
        return any(w[0].isupper() and w.lower() == words[0] and w.lower() != first for w in raw)

    def _unbound(self, concept, places, child_level, period, state, intent) -> Planned:
        label = self.catalog.label(concept)
        refs = self.catalog.concepts.get(concept, [])
        all_periods = sorted({p[:4] for r in refs for p in self.catalog.periods.get(r.dataset, ())})
        if period and not any(self.catalog.matching_periods(r.dataset, period) for r in refs):
            span = f"{all_periods[0]}" if len(all_periods) == 1 else f"{all_periods[0]} to {all_periods[-1]}"
            return Planned("no_data", message=(
                f"The commons has no {label.lower()} figures for {period}. It holds {span}."), state=state)
        where = ", ".join(p.display for p in places) or "that area"
        levels = sorted({r.sheet.geography.level for r in refs})
        lvl_names = {"lsoa": "neighbourhood (LSOA)", "ward": "ward", "lad": "council", "region": "city region"}
        msg = (f"The commons has no {label.lower()} figures for {where}"
               + (f" at {lvl_names.get(child_level, child_level)} level" if child_level else "")
               + f". This measure is published at {' and '.join(lvl_names[l] for l in levels)} level")
        covered = self._coverage_note(refs, places)
        return Planned("no_data", message=msg + (f"; {covered}" if covered else "") + ".", state=state)

    @staticmethod
    def _coverage_note(refs, places) -> str:
        notes = []
        for r in refs:
            for c in r.sheet.caveats:
                if any(p.name.split()[0].lower() in c.lower() for p in places if p.level in ("lad", "ward")):
                    notes.append(c.rstrip("."))
        return notes[0] if notes else ""

    def _candidates(self, topic: str, among=None) -> list:
        """The embedding search's candidate measures for ``topic`` (only those in ``among`` when
        given), best first; none when the search fails (detection is a help, never a failure)."""
        try:
            found = list(self.metric_finder(topic) or [])
        except Exception:  # noqa: BLE001
            return []
        return [c for c in found if c.concept in (self.catalog.concepts if among is None else among)]

    def _which_measure(self, words: str, opts: list, text: str, state: dict) -> Planned:
        """Ask which of ``opts`` [(label, concept)] the words meant; the answer resumes ``text``."""
        return Planned("clarify", message=f"I'm not sure which figure '{words}' refers to. Did you mean one of these?",
                       options=tuple(lbl for lbl, _ in opts),
                       state={**state, "pending": {"question": text, "metrics": [[lbl, c] for lbl, c in opts]}},
                       reason="which_measure_topic")

    def _detect_metric(self, topic: str) -> tuple:
        """('use', concept) | ('clarify', [(label, concept), ...]) | ('none', None)."""
        found = self._candidates(topic)
        if not found or found[0].score < METRIC_ASK:
            return ("none", None)
        top = found[0]
        runner = found[1].score if len(found) > 1 else 0.0
        if top.score >= METRIC_USE and top.score - runner >= METRIC_MARGIN:
            return ("use", top.concept)
        opts = [(self.catalog.label(c.concept), c.concept) for c in found[:3] if c.score >= METRIC_ASK]
        return ("clarify", opts)

    def _docs(self, tokens, stems, state, form: lx.Form | None = None) -> Planned:
        # 'the census small area file': 'area' inside a level's name is not the area measure
        levels = [lx.phrase_positions(tokens, p) for p in _LEVEL_WORDS if " " in p]
        hits = [h for h in self._measures(stems)
                if not any(pos and pos[0] <= h.span[0] and h.span[1] <= pos[1] for pos in levels)]
        section = _doc_section(tokens, form, bool(hits))
        concept = hits[0].concept if hits else None
        # the datasets of every measure named about as strongly as the best ('the households-found-
        # homeless rate' names households and homelessness)
        close = dict.fromkeys(h.concept for h in hits if h.score >= 0.75 * hits[0].score) if hits else {}
        measured = list(dict.fromkeys(r.dataset for c in close for r in self.catalog.concepts[c]))
        named = self._named_datasets(stems)
        if named:
            # 'the health index subdomains dataset': the dataset named, narrowed by the measure
            # when they agree, else both (each is only a hint to the search)
            datasets = [d for d in measured if d in named] or named
        elif measured and section == "methodology" and not lx.any_phrase(tokens, _LEVEL_WORDS):
            # 'how is the IMD calculated': a measure is made at the finest level it is published
            # at; the council datasets summarise it.
            order = {d: LEVEL_ORDER.index(self.catalog.sheets[d].geography.level) for d in measured}
            datasets = [d for d in measured if order[d] == min(order.values())]
        elif measured:
            datasets = measured
        elif state.get("last") and state["last"].get("dataset"):
            datasets = [state["last"]["dataset"]]
        else:
            datasets = []
        return Planned("docs", docs={"section": section or "description", "datasets": datasets,
                                     "query": " ".join(tokens),
                                     "concept": hits[0].concept if hits else None}, state=state)


# Words in a dataset's title that never name it on their own, however rare.
_NOT_A_NAME = frozenset("""data dataset figure figures number numbers table tables file files local area
areas people person summary summaries overall score scores rate rates small council councils commons common
geo indicator indicators""".split())

# Words for the unexplained-topic check (Planner._unexplained).
_GENERIC = frozenset("""people person persons resident residents folk folks inhabitant inhabitants
home homes house houses dwelling dwellings live living lives lived number total all ages usual how many
much there""".split())
_HOW_NOT_QUALITY = frozenset("""many much often is are was were do does did has have had about come can could
would should will long""".split())
_VERBS = frozenset("is are was were be been do does did has have had get gets got".split())
_FIGURE_WORDS = frozenset("""average mean median rank ranking ranked score scores rate rates ratio number numbers
total totals count counts share percent percentage proportion per level levels figure figures estimate
estimates value values decile deciles domain domains overall latest recorded nationally national
england local area areas place places census mid year years month months quarter roughly about approx
approximately exactly exact precisely around nearly almost currently now today still actually really
too so very quite pretty just even ever total altogether overall whole nowadays presently recently
these days anyway altogether""".split())
_PARTICLES = frozenset({"up", "off", "out", "down", "over", "away"})
_EVERYDAY = frozenset("""bad good safe unsafe high low big small large busy quiet better worse best worst
drop decimals decimal name names real please list show tell identify give round rounded exact
exactly actual really thanks thank cheers hi hello okay ok yes""".split())


# Words that ask about residents ('what proportion of Knowsley residents ...', 'how many people live ...').
_PEOPLE_WORDS = ("people", "residents", "resident", "population", "persons", "inhabitants", "live", "lives",
                 "living", "folk", "folks")


def _names_decile(tokens: list[str]) -> bool:
    """Does the question name deciles ('the most deprived 10%', 'decile 1', 'the least deprived
    20 percent', 'the most deprived areas')?"""
    joined = " ".join(tokens)
    return bool(re.search(r"\bdeciles?\b|\b(most|least)( [a-z]+)? deprived\b|\bpoorest\b", joined))


def _inflection(word: str, other: str) -> bool:
    """Are two words forms of one ('reported'/'report', 'tourist'/'tourists', 'originally'/'original')?"""
    common = 0
    for a, b in zip(word, other):
        if a != b:
            break
        common += 1
    return common >= 4 and common >= min(len(word), len(other)) - 1


def _base(concept: str) -> str:
    """imd_score, imd_rank and imd_decile are one measure for the unexplained-topic check."""
    return re.sub(r"_(score|rank|decile|average_rank|average_score)$", "", concept)


# Why the data route stopped, when the documentation may answer instead (no place was named).
_DOCS_FALLBACK = frozenset({"unknown_word", "which_place", "which_measure", "no_measure"})
_PLACE_PREPOSITIONS = frozenset({"in", "for", "of", "at", "near", "around", "across", "from", "to", "and",
                                 "vs", "versus", "than", "about", "between", "within", "inside", "outside"})

# Measure detection by embeddings: a top candidate at or above METRIC_USE is used; between
# METRIC_ASK and METRIC_USE the person is asked to choose; below, no_data (never a guess).
METRIC_USE = 0.80
METRIC_ASK = 0.55
METRIC_MARGIN = 0.04
_NOT_TOPIC = (lx.STOP | {w for group in (lx.RANK_DESC, lx.RANK_ASC, lx.TREND, lx.COMPARE, lx.BREAKDOWN,
                                          lx.RANK_WORDS, lx.SUMMARY, *lx.LEVELS.values())
                         for p in group for w in p.split()}
              | {"ward", "wards", "council", "councils", "borough", "city", "region", "england", "uk",
                 "highest", "lowest", "worst", "best", "top", "bottom", "rank", "ranking", "in", "of",
                 "for", "the", "a", "an", "and", "or", "is", "are", "what", "which", "where", "how",
                 "many", "much", "there", "who", "has", "have", "got", "lcr", "merseyside"}) \
    - {"people", "residents", "living", "live", "lives", "number", "households"}


def _doc_section(tokens: list[str], form: lx.Form | None, names_measure: bool) -> str | None:
    """The documentation section a question points to: a specific form ('stand for', 'contact',
    'which repo', 'publish') first, then the cue phrases, then the form's own leaning ('why' ->
    caveats).  'What does X mean' is the measure's own passage when X is a measure."""
    if form is not None and form.kind in ("define", "contact", "source", "publish"):
        return form.section if (form.kind != "define" or names_measure) else None
    for name, cues in lx.DOC_SECTIONS.items():
        if lx.any_phrase(tokens, cues):
            if name == "methodology" and lx.any_phrase(tokens, _DEFINE) and \
                    not lx.any_phrase(tokens, _HOW_MADE):
                return "measures" if names_measure else None
            return name
    return form.section if form is not None else None


_LEVEL_WORDS = tuple(w for words in lx.LEVELS.values() for w in words) + ("summary", "summaries", "la", "lad")
_DEFINE = ("mean", "means", "meaning", "definition", "defined", "define", "stand for", "stands for")
_HOW_MADE = ("how is", "how are", "how was", "how were", "calculated", "worked out", "methodology", "method")


def _pick_option(text: str, options: list) -> str | None:
    norm = normalise(text)
    for i, (label, key) in enumerate(options, 1):
        if normalise(label) == norm or norm == str(i):
            return key
    return None


def _starts_follow_up(tokens: list[str]) -> bool:
    if any(t in ("that", "this", "it", "those", "them", "there", "same") for t in tokens):
        return True
    return bool(tokens) and (tokens[0] in ("and", "what", "how", "same", "now", "also", "then", "for", "in")
                             or " ".join(tokens[:2]) in ("what about", "how about"))


def _mentions_ward(tokens: list[str]) -> bool:
    return "ward" in tokens or "wards" in tokens
