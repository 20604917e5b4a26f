"""A reading: non-overlapping spans chosen from every detector's, and the words left over.

Content spans (periods, operators, places, topics, the words that shape a question) are chosen
first, longest first, the lower tier winning a tie; context clauses, follow-up cues and filler
words then account for what they can of the rest.  Whatever no span accounts for is the
reading's ``uncovered`` words: the planner must use them or say them back, never drop them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.understanding.spans import Prepared, Span

GAP_SLOTS = ("followup", "context", "filler")


@dataclass
class Reading:
    q: Prepared
    spans: list[Span]
    uncovered: list[int] = field(default_factory=list)

    def of(self, *slots: str) -> list[Span]:
        return sorted((s for s in self.spans if s.slot in slots), key=lambda s: s.start)

    def first(self, *slots: str) -> Span | None:
        found = self.of(*slots)
        return found[0] if found else None

    def words(self, positions) -> str:
        return " ".join(self.q.tokens[i] for i in sorted(positions))

    @property
    def uncovered_text(self) -> str:
        return self.words(self.uncovered)

    def runs(self, positions=None) -> list[str]:
        """Uncovered words as runs of neighbouring words ('that were solved', 'in flats')."""
        return [self.words(r) for r in _runs(sorted(self.uncovered if positions is None else positions))]

    def before(self, span: Span, slots: tuple[str, ...], gap: int = 2) -> Span | None:
        """A span of ``slots`` ending at most ``gap`` words before ``span`` (fillers between)."""
        best = None
        for s in self.spans:
            if s.slot in slots and s.end <= span.start and span.start - s.end <= gap:
                between = range(s.end, span.start)
                if all(self.slot_at(i) in ("filler", None) or self.q.tokens[i] in ("the", "a", "an", "any")
                       for i in between):
                    if best is None or s.end > best.end:
                        best = s
        return best

    def slot_at(self, i: int) -> str | None:
        for s in self.spans:
            if i in s.positions:
                return s.slot
        return None


def choose(q: Prepared, candidates: list[Span]) -> Reading:
    taken: set[int] = set()
    chosen: list[Span] = []
    content = [s for s in candidates if s.slot not in GAP_SLOTS]
    # exclusion words first ('other than' is never part of a measure's name), then longest first
    content.sort(key=lambda s: (s.slot != "exclude", -len(s.positions), s.tier, -s.score, s.start))
    for s in content:
        if s.positions & taken:
            continue
        chosen.append(s)
        taken |= s.positions
    chosen, taken = _repair(content, chosen, taken)
    gaps = [s for s in candidates if s.slot in GAP_SLOTS]
    gaps.sort(key=lambda s: (s.tier, -len(s.positions), s.start))
    for s in gaps:
        free = s.positions - taken
        if not free:
            continue
        if s.slot == "followup" and s.positions & taken:
            continue
        if s.slot == "context":
            # a context clause accounts for the words no content span took inside it
            for run in _runs(sorted(free)):
                chosen.append(Span("context", run[0], run[-1] + 1, s.value))
            taken |= free
            continue
        chosen.append(s)
        taken |= s.positions
    uncovered = [i for i in range(len(q.tokens)) if i not in taken]
    return Reading(q, sorted(chosen, key=lambda s: (s.start, s.end)), uncovered)


REPAIRED = ("measure", "category")


def _repair(content: list[Span], chosen: list[Span], taken: set[int]) -> tuple[list[Span], set[int]]:
    """Longest-first can leave a word over that another split of the same topic words covers
    ('severely overcrowded households': 'overcrowded households' leaves 'severely'; 'severely
    overcrowded' and 'households' take every word).  A topic span over a word left over replaces
    the topic spans it overlaps when the words freed are re-taken (longest first) and more words
    are covered in all."""
    for s in content:
        if s.slot not in REPAIRED or not (s.positions - taken):
            continue
        clash = [c for c in chosen if c.positions & s.positions]
        if not clash or any(c.slot not in REPAIRED for c in clash):
            continue
        trial = [c for c in chosen if c not in clash] + [s]
        used = set().union(*(c.positions for c in trial))
        for c in content:               # the words freed, re-taken by whatever spans fit them
            if not (c.positions & used):
                trial.append(c)
                used |= c.positions
        if len(used) > len(taken):
            chosen, taken = trial, used
    return chosen, taken


def _runs(pos: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for p in pos:
        if out and p == out[-1][-1] + 1:
            out[-1].append(p)
        else:
            out.append([p])
    return out


# Spans that carry what a question asks; a clause with none of them is not part of the request.
STRONG = frozenset(("measure", "category", "table", "dimension", "source", "place", "foreign_place", "unknown_place",
                    "near_me", "period", "age", "per", "share", "difference", "exclude", "condition", "not_held",
                    "top_n", "order", "common", "grouping"))
QUESTION_WORDS = frozenset("which what whats how hows where who whose when".split())
ASIDE_STARTS = frozenset("""i im ive id we were weve my our thanks thank cheers ta it its this because cos as so just
if please hope sorry hopefully ideally me mum mam dad nan gran doing""".split())


REQUESTS = frozenset(("tell", "show", "give", "list", "rank", "compare", "please", "pls"))


def clause_context(reading: Reading, weak=lambda span: False) -> Reading:
    """Clauses before the request that ask nothing ('Councillor here, prepping for a surgery -')
    and asides after it ('..., I know it's old data') are context: they account for their words,
    and no slot inside them (a 'ward' in 'ward surgery') shapes the plan."""
    q = reading.q
    clauses = q.clauses
    if len(clauses) < 2:
        return reading
    strong = [any(s.slot in STRONG and not weak(s) and s.positions & set(range(a, b)) for s in reading.spans)
              for a, b in clauses]
    if not any(strong):
        return reading
    first = strong.index(True)
    # the request starts at the first clause that asks ('Which neighbourhood (LSOA) in Wirral ...'):
    # no clause from there on is a leading aside
    asking = [k for k, (a, b) in enumerate(clauses) if q.tokens[a] in QUESTION_WORDS or q.tokens[a] in REQUESTS
              or (q.tokens[a] in ("can", "could", "would", "will") and a + 1 < b and q.tokens[a + 1] == "you")]
    first = min([first] + asking)
    last = len(strong) - 1 - strong[::-1].index(True)
    aside = [k for k in range(len(clauses)) if not strong[k] and (
        k < first or (k > last and q.tokens[clauses[k][0]] in ASIDE_STARTS))]
    if not aside:
        return reading
    drop = set()
    for k in aside:
        drop |= set(range(*clauses[k]))
    spans = [s for s in reading.spans if not (s.positions <= drop)]
    for k in aside:
        a, b = clauses[k]
        spans.append(Span("context", a, b, " ".join(q.tokens[a:b])))
    uncovered = [i for i in reading.uncovered if i not in drop]
    return Reading(q, sorted(spans, key=lambda s: (s.start, s.end)), uncovered)


TOPICAL = frozenset(("measure", "category", "table", "dimension", "level", "age", "grouping"))


def quiet_context(reading: Reading, context: list[tuple[int, int]], topics_only: bool = False) -> Reading:
    """Inside a clause that says who is asking or why ('im a youth worker up in Kirkby'), the
    topic words describe the asker, not the figure asked for: when the request outside the
    clause names its own topic, they are context.  A place or period inside the clause is kept
    unless the request names its own ('... across Knowsley')."""
    if not context:
        return reading
    inside = set()
    for a, b in context:
        inside |= set(range(a, b))
    outside = [s for s in reading.spans if not (s.positions & inside)]
    if not any(s.slot in ("measure", "category", "table", "age", "condition") for s in outside):
        return reading          # (a condition names its measure: 'in the most deprived 10%')
    has = {s.slot for s in outside}
    if any(s.slot == "source" and any(w.isdigit() for w in reading.q.tokens[s.start:s.end]) for s in outside):
        has.add("period")       # ('... in 2019. Where does it sit in the 2025 index?': the edition named is the period)
    # 'Politician said Halton's crime is more severe than St Helens. By how much is Halton's score
    # higher?': a difference asked of one place takes its other side from the clause before
    other_side = "difference" in has and len({str(s.value) for s in outside if s.slot == "place"}) == 1
    outside_places = {str(s.value) for s in outside if s.slot == "place"}
    quiet = [s for s in reading.spans if s.positions and s.positions <= inside and (
        s.slot in TOPICAL or (not topics_only and s.slot in ("place", "period", "source") and s.slot in has
                              and not (s.slot == "place" and other_side and str(s.value) not in outside_places)))]
    loose = [i for i in reading.uncovered if i in inside]
    if not quiet and not loose:
        return reading
    spans = [s for s in reading.spans if s not in quiet]
    for s in quiet:
        spans.append(Span("context", s.start, s.end, " ".join(reading.q.tokens[s.start:s.end])))
    for i in loose:
        spans.append(Span("context", i, i + 1, reading.q.tokens[i]))
    return Reading(reading.q, sorted(spans, key=lambda s: (s.start, s.end)),
                   [i for i in reading.uncovered if i not in inside])


ASKING = frozenset(("tell", "show", "give", "list", "rank", "compare", "can", "could")) | QUESTION_WORDS


# a sentence that starts as a yes/no question asks ('Is the share ... higher than ...?', 'Has it gone up?')
AUX_START = frozenset("is are was were does do did has have had will would should".split())


def _asks(words: list[str]) -> bool:
    # ('break down the crimes ...' asks; the 'break-ins' of a resident's email do not)
    return any(w in ASKING for w in words) or bool(words and words[0] in AUX_START) or any(
        words[k:k + 2] == ["break", "down"] for k in range(len(words) - 1))


STORY = frozenset("i im ive id me my mine we were weve our us mum mam dad nan nana gran grandad".split())
# reported speech: 'resident says it's all antisocial behaviour', 'my neighbour reckons ...': what someone
# else says, a claim beside the question, never a qualifier of the figure asked
REPORTING = frozenset("says said reckons reckoned claims claimed insists insisted thinks apparently emailed wrote quotes "
                      "quoted states stated".split())


# how things were ('Knowsley used to be the 2nd most deprived council in England.'): a statement
# before the question, whose order, rank and peers are the past's, not the figure asked
PAST_STATE = (("used", "to", "be"), ("was", "once"), ("were", "once"), ("has", "always", "been"),
              ("have", "always", "been"), ("was", "always"), ("were", "always"), ("has", "long", "been"),
              ("was", "previously"), ("were", "previously"), ("back", "in", "the", "day"), ("was", "ranked"),
              ("were", "ranked"), ("was", "rated"), ("were", "rated"), ("came", "out", "as"))


def past_state(words: list[str]) -> bool:
    return bool(words) and words[0] not in AUX_START and not any(w in ASKING for w in words) and any(
        tuple(words[j:j + len(p)]) == p for p in PAST_STATE for j in range(len(words)))


def quiet_past(reading: Reading, sentences: list[tuple[int, int]]) -> Reading:
    """In a statement of how things were ('Liverpool was ranked 3rd ... in 2019. Where does it sit in
    the 2025 index?'), the period is the past's: context, when the question names its own period or
    edition (the measure and place stay for the question to use)."""
    inside = {i for a, b in sentences for i in range(a, b)}
    if not inside:
        return reading
    t = reading.q.tokens
    outside = [s for s in reading.spans if not (s.positions & inside)]
    own = any(s.slot == "period" or (s.slot == "source" and any(w.isdigit() for w in t[s.start:s.end]))
              for s in outside)
    if not own:
        return reading
    quiet = [s for s in reading.spans if s.positions and s.positions <= inside and s.slot in ("period", "source")]
    if not quiet:
        return reading
    spans = [s for s in reading.spans if s not in quiet] + [
        Span("context", s.start, s.end, " ".join(t[s.start:s.end])) for s in quiet]
    return Reading(reading.q, sorted(spans, key=lambda s: (s.start, s.end)), reading.uncovered)


def story_words(reading: Reading, sentences: list[tuple[int, int]]) -> Reading:
    """In a sentence before the ask that tells the asker's story in the first person ('Thinking of
    moving to the Wirral with my family - what's it like there?'), the words no detector explains
    are the story, not qualifiers of the figure: context.  Its places and topics stay as they are
    (``quiet_context`` decides them)."""
    t = reading.q.tokens
    story = set()
    for a, b in sentences:
        if any(w in STORY or w in REPORTING for w in t[a:b]) or past_state(t[a:b]):
            story |= set(range(a, b))
    loose = [i for i in reading.uncovered if i in story]
    if not loose:
        return reading
    spans = reading.spans + [Span("context", i, i + 1, t[i]) for i in loose]
    return Reading(reading.q, sorted(spans, key=lambda s: (s.start, s.end)),
                   [i for i in reading.uncovered if i not in story])


def leading_sentences(reading: Reading) -> list[tuple[int, int]]:
    """Whole sentences before the one that asks that tell the asker's story ('me nan lives in
    St Helens and keeps saying it's all pensioners - how many 65+ ...'): each says who is asking
    or has words no detector explains; a sentence of the question's own qualifiers ('St Helens,
    October 2019 only, not counting anti-social behaviour - how many crimes?') is not one."""
    q = reading.q
    sents = q.sentences
    left = set(reading.uncovered)
    asks = [_asks(q.tokens[a:b]) for a, b in sents]
    for k, (a, b) in enumerate(sents):
        if asks[k] and q.tokens[a] in STORY and any(asks[k + 1:]):
            continue          # 'I'm writing a bid and need to show how ... . How many ...?': the story, then the ask
        if asks[k]:
            return [(x, y) for x, y in sents[:k]
                    if any(w in STORY for w in q.tokens[x:y]) or any(x <= i < y for i in left)]
    return []


TRAILING = (("need", "it"), ("its", "for"), ("this", "is", "for"), ("it", "s", "for"), ("for", "the"), ("thats", "for"))
# a sentence after the ask whose subject, the asker, is left out ('guessing halloween spike', 'putting it in a
# bid', 'hoping it's gone down'): the asker's story, like one said in the first person
IMPLIED_I = frozenset(("guessing", "guess", "hoping", "suspect", "suspecting", "putting", "writing", "planning",
                       "thinking", "wondering", "curious", "presenting", "preparing", "bet", "betting", "expecting",
                       "assuming", "imagine", "imagining", "sure", "reckoning"))


THIRD_PARTIES = frozenset(("funder", "funders", "board", "trustees", "manager", "boss", "committee", "council",
                           "councillor", "councillors", "mp", "chair", "director", "team", "client", "clients", "report",
                           "bid", "grant", "lottery", "charity", "chief", "ceo", "editor", "teacher", "tutor", "lecturer"))


def trailing_sentences(reading: Reading) -> list[tuple[int, int]]:
    """Whole sentences after the one that asks that tell the asker's story ('... in October 2019?
    we always think the bonfire night run-up is the worst', '... need it for the bid background
    section'): in the first person or saying what it is for, with no asking word of their own."""
    q = reading.q
    sents = q.sentences
    asks = [_asks(q.tokens[a:b]) for a, b in sents]
    if not any(asks):
        return []
    first = asks.index(True)
    out = []
    for (a, b), ask in zip(sents[first + 1:], asks[first + 1:]):
        words = q.tokens[a:b]
        if ask or not words:
            continue
        if any(w in STORY or w in REPORTING for w in words) or any(tuple(words[:len(p)]) == p for p in TRAILING) \
                or words[0] in IMPLIED_I or (words[0] in ("the", "our", "my", "their") and words[1:2]
                                             and words[1] in THIRD_PARTIES):
            # ('... for 2021? the funder keeps going on about health inequalities': someone else's story)
            out.append((a, b))
    return out


QUIET_IN_STORY = frozenset(("order", "top_n", "intent", "common", "difference", "share", "per", "rate", "condition",
                            "level", "grouping", "dimension", "exclude", "negate", "national"))


def quiet_trailing(reading: Reading, sentences: list[tuple[int, int]]) -> Reading:
    """In a story sentence after the ask ('we always think the run-up is the worst'), the order,
    operator and intent words are the story's too, not the figure's: context."""
    inside = {i for a, b in sentences for i in range(a, b)}
    if not inside:
        return reading
    t = reading.q.tokens
    reported = {i for a, b in sentences if any(w in REPORTING for w in t[a:b]) for i in range(a, b)}
    # (in reported speech after the ask, a category is the claim's, not a filter: 'by type? resident says
    # it's all antisocial behaviour')
    quiet = [s for s in reading.spans if s.positions and s.positions <= inside and (
        s.slot in QUIET_IN_STORY or (s.slot == "category" and s.positions <= reported))]
    if not quiet:
        return reading
    spans = [s for s in reading.spans if s not in quiet] + [
        Span("context", s.start, s.end, " ".join(reading.q.tokens[s.start:s.end])) for s in quiet]
    return Reading(reading.q, sorted(spans, key=lambda s: (s.start, s.end)), reading.uncovered)

