"""The planner: a question (already screened and redacted) and the conversation so far ->
``Planned``: a typed plan, a documentation request, a question back, or why not.

    prepare (numbers, slang, typos) -> detectors (spans) -> reading (coverage) -> frame
      -> resolve against the catalogue -> plan (checked) + what was understood

Deterministic and offline.  The conversation state is a plain dict the pipeline stores: the
last question's frame (``frame``) for follow-ups, and a pending question (``pending``) whose
reply fills the slot it asked about.
"""

from __future__ import annotations

from dataclasses import replace

import datetime as dt
from typing import Any

from assistant.understanding import detectors as d
from assistant.understanding.docs import DocsRouter
from assistant.understanding.frame import Carried, build
from assistant.understanding.outcome import Planned
from assistant.understanding.reading import (choose, clause_context, leading_sentences, past_state, quiet_context,
                                             quiet_past,
                                             story_words,
                                             trailing_sentences, quiet_trailing)
from assistant.understanding.resolve import Resolver
from assistant.understanding.spans import Prepared, Span
from assistant.understanding.topics import Topics
from assistant.understanding.words import Words, load_words
from kernel.text import normalise
from retrieval.catalog import Catalog
from retrieval.geography import Gazetteer


class Understanding:
    """Drop-in for the older rule planner (``plan(text, state) -> Planned``)."""

    def __init__(self, catalog: Catalog, gazetteer: Gazetteer, fuzzy_cutoff: int = 88, words: Words | None = None,
                 today: dt.date | None = None):
        self.catalog, self.gaz = catalog, gazetteer
        self.words = words or load_words()
        self.topics = Topics(catalog, self.words)
        self.resolver = Resolver(catalog, gazetteer, self.words, self.topics)
        self.docs = DocsRouter(self.words, self.topics, gazetteer)
        self.detectors = {
            "time": d.TimeDetector(self.words, today), "operators": d.OperatorDetector(self.words),
            "ages": d.AgeDetector(), "topics": d.TopicDetector(self.topics), "intents": d.IntentDetector(self.words),
            "levels": d.LevelDetector(self.words), "groupings": d.GroupingDetector(self.words, self.topics),
            "meta": d.MetaDetector(self.words), "not_held": d.NotHeldDetector(self.words, _narrower(catalog)),
            "followups": d.FollowUpDetector(self.words), "context": d.ContextDetector(self.words),
            "fillers": d.FillerDetector(self.words),
        }
        self.places = d.PlaceDetector(gazetteer, self.words, fuzzy_cutoff)
        self.known = frozenset(self.words.fillers.words) | frozenset(self.words.english.words) | \
            frozenset(w for ws in self.words.levels.values() for p in ws for w in p.split()) | \
            frozenset(self.words.months) | frozenset(w for p in self.words.meta.phrases for w in p.split()) | \
            frozenset(_words_of(self.words.model_dump())) | \
            frozenset(w for ps in (self.words.intents.benchmark, self.words.intents.benchmark_orgs,
                                   self.words.intents.benchmark_rank) for p in ps for w in p.split())

    @property
    def metric_finder(self):
        return self.resolver.metric_finder

    @metric_finder.setter
    def metric_finder(self, fn) -> None:
        self.resolver.metric_finder = fn

    @staticmethod
    def _first_person(reading, sentence) -> bool:
        """A leading sentence in the first person ('Our association covers bits of Sefton.')."""
        a, b = sentence
        return any(w in ("i", "im", "ive", "we", "were", "weve", "our", "my", "us") for w in reading.q.tokens[a:b]) \
            or past_state(reading.q.tokens[a:b])

    @staticmethod
    def _past(reading) -> list[tuple[int, int]]:
        """Sentences before the last that say how things were ('Knowsley used to be ...'): context."""
        return [(a, b) for a, b in reading.q.sentences[:-1] if past_state(reading.q.tokens[a:b])]

    # -- reading --------------------------------------------------------------------------
    def prepare(self, text: str) -> Prepared:
        q = Prepared.from_text(text, self.words.rewrites.words)
        fixes = self.topics.correct(q.tokens, self.known | self.gaz.words, self.gaz.word_list, structure=self.known)
        for i, w in fixes.items():
            q.corrections[i] = q.tokens[i]
            q.tokens[i] = w
        return q

    def spans(self, q: Prepared) -> list[Span]:
        out: list[Span] = []
        for det in self.detectors.values():
            out += det.detect(q)
        structural = frozenset(i for s in out if s.slot in ("period", "per", "condition", "age", "top_n") for i in s.positions)
        topical = frozenset(i for s in out if s.slot in ("measure", "category") and not getattr(s.value, "loose", False)
                            for i in s.positions)
        t = q.tokens
        # 'the most areas in decile 1', 'how many areas': areas counted, not the land-area measure
        out = [s for s in out if not (s.slot == "measure" and s.end - s.start == 1 and t[s.start] == "areas" and s.start
                                      and t[s.start - 1] in ("most", "many", "fewest", "more", "fewer", "of", "its"))]
        for s in self.places.detect(q, structural):
            if s.slot == "place" and s.value.fuzzy and s.positions & topical:
                continue                     # a typo'd topic word is not a place ('deprevation')
            out.append(s)
        return out

    def read(self, text: str):
        q = self.prepare(text)
        candidates = self.spans(q)
        context = [(s.start, s.end) for s in candidates if s.slot == "context"]
        reading = clause_context(choose(q, candidates), self._weak)
        after = trailing_sentences(reading)
        story = leading_sentences(reading) + after
        reading = quiet_trailing(story_words(quiet_past(
            quiet_context(quiet_context(reading, context, topics_only=True), context + story + self._past(reading)),
                                                        self._past(reading)), story),
                                 after + [x for x in story if x not in after and self._first_person(reading, x)])
        return q, reading, build(reading, context + self._past(reading))

    # -- planning -------------------------------------------------------------------------
    def plan(self, text: str, state: dict[str, Any] | None = None) -> Planned:
        planned = self._plan(text, state)
        if planned.kind == "no_data":
            # a question the commons could not answer: the next 'and in Knowsley?' does not follow on
            # from the one before it instead
            return replace(planned, state={**planned.state, "declined": text[:200]})
        if planned.kind in ("data", "info") and planned.state.get("declined"):
            return replace(planned, state={k: v for k, v in planned.state.items() if k != "declined"})
        return planned

    def _plan(self, text: str, state: dict[str, Any] | None = None) -> Planned:
        state = dict(state or {})
        q = self.prepare(text)
        if not q.tokens:
            return Planned("clarify", message="Please type a question about an area, for example "
                           "'What was the population of Liverpool in 2020?'", state=state)
        pending = state.get("pending")
        if pending:
            resumed = self._resume(text, q, pending, state)
            if resumed is not None:
                return resumed
        t = q.tokens
        candidates = self.spans(q)
        context = [(s.start, s.end) for s in candidates if s.slot == "context"]
        asked = [w for i, w in enumerate(t) if not any(a <= i < b for a, b in context)] \
            if sum(b - a for a, b in context) < len(t) else t
        form = self.docs.form(asked)
        cue = self.docs.is_cue(asked)
        reading = clause_context(choose(q, candidates), self._weak)
        after = trailing_sentences(reading)
        story = leading_sentences(reading) + after
        reading = quiet_trailing(story_words(quiet_past(
            quiet_context(quiet_context(reading, context, topics_only=True), context + story + self._past(reading)),
                                                        self._past(reading)), story),
                                 after + [x for x in story if x not in after and self._first_person(reading, x)])
        frame = build(reading, context + self._past(reading))
        if frame.meta and not frame.names_topic and not frame.places and not frame.periods and \
                not self.docs.named_datasets(t) and not (form and form.kind in ("define", "contact", "source", "publish")):
            carried = None
        else:
            carried = Carried.from_state(state.get("frame"))
        # (with nothing carried either: 'what's it been each month?' after a question declined is not
        # answered with whatever figure the period alone suggests)
        if state.get("declined") and frame.followup and not frame.names_topic \
                and not frame.sources and not frame.meta:
            return Planned("clarify", message=(
                f"I couldn't answer your last question (\"{state['declined']}\"), so I won't guess whether this "
                "follows on from it or from the question before it. Please ask it in full, with the figure you "
                "want named."), state=state, reason="which_measure",
                understood="Understood: a follow-up to a question I could not answer.")
        if "coverage" in frame.cues or self.resolver.is_benchmark(frame, state) or frame.foreign:
            # (a place outside the commons is said so, never answered with a dataset's description)
            return self.resolver.resolve(frame, carried, text, state)     # 'who is missing from the lupus commons'
        if frame.not_held and frame.places and not self.docs.named_datasets(t):
            # 'the universal credit claimant count in Sefton at the moment': a topic the commons does
            # not hold, asked of a place, is said so (never a dataset's licence in its place)
            return self.resolver.resolve(frame, carried, text, state)
        if (cue or (form and form.strength == "about")) and not self._looks_like_data(t, form, q.original, frame):
            return self._docs(t, form, state)
        if frame.sources and not frame.measures and (cue or form) and not frame.places:
            return self._docs(t, form, state)      # 'are the mid-year estimates still the official numbers?'
        planned = self.resolver.resolve(frame, carried, text, state)
        if planned.kind == "data" and (cue or (form is not None and form.kind in ("source", "publish"))) \
                and planned.understood and any(w in ("come", "comes", "source", "sources", "from") for w in t):
            # '... and where does that score come from?': said in the line of what was understood, answered by
            # the sources the answer cites
            planned = replace(planned, understood=planned.understood.rstrip(".")
                              + "; where it comes from: the sources cited with the answer.")
        if planned.kind == "data" and planned.plan is not None and planned.state is not None:
            # the places the conversation has spoken of, latest last ('which of the two ...')
            spoken = [k for k in state.get("spoken") or () if k not in planned.plan.places] + list(planned.plan.places)
            planned = replace(planned, state={**planned.state, "spoken": spoken[-4:]})
            prev, new = Carried.from_state(state.get("frame")), Carried.from_state(planned.state.get("frame"))
            if prev is not None and new is not None and new.when and (prev.measure, prev.places) == (new.measure, new.places):
                # the period this measure was asked for just before, when another ('and back in 2015?')
                before = prev.when if prev.when not in (None, new.when) else prev.before
                if before and before != new.when:
                    planned = replace(planned, state={**planned.state, "frame": replace(new, before=before).to_state()})
        if self.docs.about_the_data(planned.kind, planned.reason, t, text, form, cue) and not frame.places \
                and not (frame.order and frame.levels and not (form or cue)) and frame.national is None:
            # ('which council has the most rural LSOAs' asks for a ranking of areas: its own decline,
            # never a dataset's description in place of the figure asked)
            return self._docs(t, form, state)
        return planned

    def _weak(self, span: Span) -> bool:
        """A span too general to make a clause part of the request ('people' in '... helping people')."""
        return span.slot == "measure" and all(w in self.topics.generic or w in self.topics.stop
                                               for w in span.value.words)

    def _looks_like_data(self, t, form, original, frame) -> bool:
        if frame.difference is not None and len(frame.places) >= 2 and frame.measures:
            # 'how many times higher is Liverpool's score than Sefton's? and where does it come from?': the
            # figures asked (every answer also says where they come from)
            return True
        unknown = bool(frame.names_topic) and any(
            True for i in frame.reading.uncovered if t[i] not in self.topics.english and not t[i].isdigit()
            and (i > 0 and t[i - 1] in ("in", "for", "of", "at")))
        return self.docs.looks_like_data(t, form, original, unknown)

    def _docs(self, t, form, state) -> Planned:
        last = Carried.from_state(state.get("frame"))
        request = self.docs.request(t, form, last.dataset if last else None)
        return Planned("docs", docs=request, state=state,
                       understood="Understood: a question about the data itself"
                                  + (f" ({request['section']})" if request.get("section") else "") + ".")

    # -- a reply to a question back --------------------------------------------------------
    def _resume(self, text: str, q: Prepared, pending: dict, state: dict) -> Planned | None:
        rest = {**state, "pending": None}
        if pending.get("metrics"):
            chosen = _pick(text, pending["metrics"]) or self._measure_in_reply(q, pending["metrics"])
            if chosen is None:
                return None
            return self.plan(pending["question"], {**rest, "force_measure": chosen})
        if pending.get("kind") == "period":
            if normalise(text) in ("no", "no thanks", "2", "n"):
                return Planned("no_data", message="All right: nothing was answered for the period you asked.",
                               state=rest, understood="Understood: no other period wanted.")
            label = _pick(text, pending["options"]) or (pending["options"][0][1] if normalise(text) in
                                                        ("yes", "y", "ok", "okay", "yes please", "sure") else None)
            if not label:
                return None
            # the periods offered fill the period slot of the question as first asked
            return self.plan(pending["question"], {**rest, "force_periods": list(pending.get("periods") or ())})
        options = pending.get("options") or []
        key = _pick(text, options)
        if key is None:
            key = self._place_in_reply(text, q, options)
        if key is None:
            return None
        # the place chosen fills the place slot of the question as first asked (no text is glued on)
        return self.plan(pending["question"], {**rest, "force_place": {"span": pending.get("span") or "", "key": key}})

    def _measure_in_reply(self, q: Prepared, options) -> str | None:
        """'flats' in reply to a list of the accommodation types: the one option the reply's words
        name as a measure (and nothing else in the reply)."""
        keys = {k for _, k in options}
        hits = self.topics.measures(q.tokens)
        named = {c for _, _, h in hits for c, _ in h.concepts[:1] if c in keys}
        covered = {i for a, b, _ in hits for i in range(a, b)}
        rest = [t for i, t in enumerate(q.tokens) if i not in covered and t not in self._reply_fillers]
        return next(iter(named)) if len(named) == 1 and not rest else None

    _reply_fillers = frozenset({"the", "a", "an", "please", "pls", "ones", "one", "by", "in", "of", "households", "homes"})

    def _place_in_reply(self, text: str, q: Prepared, options) -> str | None:
        keys = {k for _, k in options}
        found = self.gaz.find(text, q.tokens)
        in_places = {i for m in found for i in m.positions}
        # a reply naming a topic of its own is a new question, not a choice among the places
        if any(not set(range(a, b)) & in_places for a, b, _ in self.topics.measures(q.tokens)):
            return None
        for m in found:
            inside = [c for c in m.candidates if c.key in keys]
            if len(inside) == 1:
                return inside[0].key
            lad_hits = [k for _, k in options if any(c.level == "lad" and self.gaz.get(k).lad_code == c.lad_code
                                                    for c in m.candidates)]
            if len(lad_hits) == 1:
                return lad_hits[0]
        return None


def _pick(text: str, options) -> str | None:
    norm = normalise(text)
    for i, (label, key) in enumerate(options, 1):
        if normalise(label) == norm or norm == str(i):
            return key
    return None


def _words_of(value) -> set[str]:
    """Every word of the word lists (the question's structure words), to spell typos against."""
    if isinstance(value, str):
        return {w for w in value.lower().split() if w.isalpha()}
    if isinstance(value, dict):
        return set().union(*(_words_of(k) | _words_of(v) for k, v in value.items())) if value else set()
    if isinstance(value, (list, tuple, set, frozenset)):
        return set().union(*(_words_of(v) for v in value)) if value else set()
    return set()



def _narrower(catalog: Catalog) -> dict[str, str]:
    """Sub-group phrase (normalised) -> the measure it is counted within, from the datasheets."""
    out: dict[str, str] = {}
    for sheet in catalog.sheets.values():
        for m in sheet.measures:
            for phrase in m.narrower:
                out.setdefault(normalise(phrase), m.id)
    return out
