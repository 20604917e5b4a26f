"""Detectors: one per slot, each finding its own kind of span in the prepared question and
remembering the words that triggered it (in the spirit of Data Commons' place, date and variable
detectors, and of Presidio's one recogniser per class).  Each is pure and testable alone:

    TimeDetector       periods (the time sub-language in time.py)
    OperatorDetector   exclusion, negation, difference, share, per N, conditions on deciles
    AgeDetector        age ranges ("under 16", "aged 16 to 24", "over 65s")
    PlaceDetector      places of the gazetteer, "near me", places outside the commons
    TopicDetector      measures, category values, tables of categories, dimensions
    IntentDetector     trend, comparison, summary, breakdown, count, order, top N, "most common"
    LevelDetector      wards, neighbourhoods, councils
    GroupingDetector   "by X", "each ward", "per month", "monthly"
    MetaDetector       questions about the assistant itself
    NotHeldDetector    topics the commons does not hold
    FollowUpDetector   "and ...", "what about ...", "that"
    ContextDetector    who is asking and why ("for a funding bid", "as a councillor")
    FillerDetector     function words, politeness, hedges
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from assistant.understanding.spans import Prepared, Span
from assistant.understanding.time import TimeParser
from assistant.understanding.topics import Topics, stem
from assistant.understanding.words import Phrases, Words, phrase_tuple
from kernel.text import normalise
from retrieval.geography import Gazetteer, Place


@dataclass(frozen=True)
class Op:
    kind: str                     # exclude | negate | difference | share | per | rate
    detail: object = None         # per: the N (int); difference: "more" | "less" | "gap"


# After 'percentage' / 'percent', these make a relative change, not a share.
CHANGE_WORDS = frozenset({"change", "changes", "increase", "increases", "rise", "rises", "fall", "falls", "decrease",
                          "decreases", "growth", "drop", "drops", "decline", "declines", "reduction", "difference"})


# The words of a threshold ('more than 15', 'at most 2.5') and the comparison each says.
THRESHOLD_OPS = {"above": ">", "over": ">", "more than": ">", "greater than": ">", "higher than": ">",
                 "exceeding": ">", "bigger than": ">", "below": "<", "under": "<", "less than": "<",
                 "fewer than": "<", "lower than": "<", "at least": ">=", "at most": "<=", "no more than": "<=",
                 "no less than": ">="}


@dataclass(frozen=True)
class Condition:
    """A condition on deciles ('the most deprived 10%', 'decile 1', 'least deprived 20 percent')."""
    op: str
    value: int | float
    deprived_words: bool = True   # said as 'most/least deprived' (the IMD unless a domain is named)
    on_measure: bool = False      # a threshold on the measure itself ('a crime severity score above 15')
    domain: str = ""              # the deprivation domain said inside it ('the most deprived health decile')


@dataclass(frozen=True)
class Age:
    lo: int
    hi: int | None


@dataclass(frozen=True)
class PlaceFound:
    candidates: tuple[Place, ...]
    text: str
    fuzzy: bool = False

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


@dataclass(frozen=True)
class Cue:
    kind: str
    word: str = ""


class TimeDetector:
    slot = "period"

    def __init__(self, words: Words, today: dt.date | None = None):
        self.parser = TimeParser(words, today)

    def detect(self, q: Prepared) -> list[Span]:
        out = []
        toks = q.tokens
        year = re.compile(r"(?:19|20)\d\d$")
        found = []
        bounds = {a for a, _ in q.sentences}
        for t in self.parser.find(q.tokens):
            cut = next((b for b in bounds if t.start < b < t.end and year.match(toks[b]) and b + 1 < len(toks)
                        and toks[b + 1] in ("wards", "ward", "boundaries", "lsoas", "lsoa")), None)
            if cut is None:
                found.append(t)
                continue
            # '(Sept-Dec)? 2019 wards': the year starts the next sentence and names the map; the
            # months before it are a period of their own (its year from the question's other period)
            found += [replace(x, start=x.start + t.start, end=x.end + t.start)
                      for x in self.parser.find(toks[t.start:cut])]
            found += [replace(x, start=x.start + cut, end=x.end + cut) for x in self.parser.find(toks[cut:t.end])]
        for t in found:
            # ('the 2023/2024 wards', '2019 or 2024 wards': each year said of the map, the words after them all)
            j = t.end
            while (j + 1 < len(toks) and toks[j] in ("or", "and") and year.match(toks[j + 1]) or
                   j < len(toks) and year.match(toks[j])) and j not in bounds:
                j += 1
            nxt = toks[j] if j < len(toks) else ""
            if nxt == "ward" and j + 1 < len(toks) and toks[j + 1] in ("boundaries", "boundary", "map", "maps", "geography"):
                nxt = "boundaries"          # '(2019 ward boundaries)': which map, not which period
            if nxt != (toks[t.end] if t.end < len(toks) else "") and nxt in (
                    "boundaries", "boundary", "wards", "lsoas", "lsoa", "geography", "vintage"):
                out.append(Span("context", t.start, j, " ".join(toks[t.start:j])))
                continue
            if nxt == "boundaries" and toks[t.end] == "ward":
                out.append(Span("context", t.start, t.end + 2, " ".join(toks[t.start:t.end + 2])))
                continue
            before = q.tokens[max(0, t.start - 5):t.start]
            if nxt in ("ones", "one") and any(w in ("ward", "wards", "lsoa", "lsoas", "boundaries") for w in before):
                # 'Liverpool's wards (the new 2024 ones)': which map, not which period
                out.append(Span("context", t.start, t.end + 1, " ".join(q.tokens[t.start:t.end + 1])))
                continue
            if nxt in ("boundaries", "boundary", "wards", "lsoas", "lsoa", "geography", "vintage"):
                # '2019 boundaries': which map, not which period (the datasheet says its boundaries)
                # ('2024 wards': the year only; the wards are still the level asked for)
                keep = nxt in ("wards", "lsoas", "lsoa")
                out.append(Span("context", t.start, t.end if keep else t.end + 1,
                                " ".join(q.tokens[t.start:t.end + (0 if keep else 1)])))
                continue
            start, end = t.start, t.end
            # 'over the whole Sept to Dec period', 'across 2019': the words around a period say only that
            while start > 0 and q.tokens[start - 1] in ("whole", "entire", "full"):
                start -= 1
            if start > 0 and q.tokens[start - 1] == "the" and start < t.start:
                start -= 1
            if start > 0 and q.tokens[start - 1] in ("over", "across", "throughout", "during"):
                start -= 1
            if end < len(q.tokens) and q.tokens[end] in ("period", "months") and start < t.start:
                end += 1
            out.append(Span("period", start, end, t.when))
        return out


class OperatorDetector:
    def __init__(self, words: Words):
        o = words.operators
        self.w = words
        self.exclude = Phrases(o.exclude)
        self.negate = frozenset(o.negate)
        self.difference = Phrases(o.difference)
        self.share = Phrases(o.share)
        self.per = Phrases(o.per)
        self.units = {tuple(k.split()): v for k, v in o.per_units.items()}
        self.denominators = frozenset(o.denominators)
        self.numbers = dict(words.numbers)

    SMALL_AREAS = frozenset(("lsoa", "lsoas", "neighbourhood", "neighbourhoods", "neighborhood", "neighborhoods",
                             "small", "area", "areas"))

    def _at_least(self, t: list[str]) -> list[Span]:
        """'wards that have at least one LSOA in decile 1', 'with one or more neighbourhoods in ...':
        areas counted by how many of their smaller areas match (the number of them asked)."""
        out = []
        for i in range(len(t)):
            n, end = None, None
            if t[i:i + 2] == ["at", "least"] and i + 2 < len(t):
                w = t[i + 2]
                n = int(w) if w.isdigit() else (1 if w in ("a", "an") else self.numbers.get(w))
                end = i + 3
            elif t[i:i + 3] == ["one", "or", "more"]:
                n, end = 1, i + 3
            elif t[i] in ("no", "without", "zero") and i + 1 < len(t):
                # 'wards with no LSOAs in decile 1', 'no neighbourhood at all in ...', 'without any LSOA in':
                # the areas none of whose smaller areas match (at most none)
                j = i + 1 + (1 if t[i + 1] in ("any", "single") else 0)
                if j < len(t) and t[j] in self.SMALL_AREAS:
                    k = j + 1 + (2 if t[j + 1:j + 3] == ["at", "all"] else 0)
                    start = i - 1 if i and t[i - 1] in ("have", "has", "had", "with", "contain", "contains") else i
                    out.append(Span("at_least", start, j, 0, extra=frozenset(range(j + 1, k))))
                    continue
            if not n or end is None:
                continue
            k = end + (2 if t[end:end + 1] == ["of"] and end + 1 < len(t) and t[end + 1] in ("its", "their", "the")
                       else 0)
            if k < len(t) and t[k] in self.SMALL_AREAS:
                start = i - 1 if i and t[i - 1] in ("have", "has", "had", "with", "contain", "contains", "containing") else i
                out.append(Span("at_least", start, end, n, extra=frozenset(range(end, k))))
        return out

    def detect(self, q: Prepared) -> list[Span]:
        t = q.tokens
        out: list[Span] = self._at_least(t)
        for i, w in enumerate(t):
            if w in ("leaving", "leave", "taking", "take", "stripping", "strip", "knocking", "knock", "cutting", "cut"):
                for j in range(i + 2, min(len(t), i + 9)):
                    if t[j] in ("out", "off") and t[j - 1] not in ("leave", "leaving", "take", "taking"):
                        tail = j + 1
                        if t[tail:tail + 2] == ["of", "it"] or t[tail:tail + 2] == ["of", "that"]:
                            tail += 2
                        out.append(Span("exclude", i, i + 1, Op("exclude"), extra=frozenset(range(j, tail))))
                        break
        for a, b, p in self.exclude.find(t):
            if p == ("without",) and b < len(t) and t[b] in ("a", "an"):      # 'households without a mortgage'
                continue
            if p == ("bar",) and (a == 0 or t[a - 1] in ("a", "the")):
                continue
            out.append(Span("exclude", a, b, Op("exclude")))
        for i, w in enumerate(t):
            if w in self.negate:
                out.append(Span("negate", i, i + 1, Op("negate")))
        for a, b, p in self.difference.find(t):
            kind = "less" if any(x in p for x in ("fewer", "less", "lower", "smaller")) else \
                "gap" if any(x in p for x in ("difference", "gap")) else "more"
            out.append(Span("difference", a, b, Op("difference", kind), score=1.0 if p[0] in ("how", "difference", "the", "gap")
                            else 0.5))
            if p in (("by", "how", "much"), ("by", "how", "many"), ("how", "much"), ("how", "many")) or p[-2:] == ("how", "much"):
                # 'by how much is Halton's score higher': the comparative said after its cue
                for j in [*range(b, min(len(t), b + 8)), *range(a - 1, max(-1, a - 11), -1)]:
                    if t[j] in ("higher", "lower", "bigger", "smaller", "larger", "worse", "better") and \
                            (j + 1 >= len(t) or t[j + 1] != "than"):
                        lone = "less" if t[j] in ("lower", "smaller") else "more"
                        out.append(Span("difference", j, j + 1, Op("difference", lone), score=0.4))
                        break
        joined = " ".join(t)
        for m in re.finditer(r"\b(?:how many times (?:higher|bigger|larger|greater|more|as high|as big|as large|as many|as much)"
                             r"|times (?:higher|bigger|larger|greater|as high|as big|as large|as many|as much)"
                             # 'Liverpool's is how many times Sefton's': the one as a multiple of the other
                             r"|how many times(?! (?:did|do|does|has|have|had|was|were|is|a|an|per|in|each|every)\b))\b", joined):
            # 'how many times higher is Liverpool's score than Sefton's': the one over the other
            a = len(joined[:m.start()].split())
            out.append(Span("difference", a, a + len(m.group(0).split()), Op("difference", "ratio"), score=2.0))
        for m in re.finditer(r"\b(?:(?:the|actual|exact|a) ratio(?! of (?:patients|people|residents))|ratio between"
                             r"|(?:about |roughly |nearly |almost |more than |over )?(?:double|twice|treble|triple)"
                             r"(?! (?:counted|counting|check))(?: that of| as (?:high|big|much|many|large))?)\b", joined):
            # 'is Liverpool's score about double Sefton's? what's the actual ratio': the one over the other
            a = len(joined[:m.start()].split())
            out.append(Span("difference", a, a + len(m.group(0).split()), Op("difference", "ratio"), score=1.5))
        for a, b, p in self.share.find(t):
            if b < len(t) and t[b] in CHANGE_WORDS and p[-1] in ("percentage", "percent", "pct"):
                continue        # 'the percentage change in ...': a change in per cent of the first figure
            out.append(Span("share", a, b, Op("share")))
        out += self._per(t)
        out += self._conditions(t)
        for i, w in enumerate(t):
            if w == "rate" or (w == "rates"):
                out.append(Span("rate", i, i + 1, Op("rate")))
        return out

    def _per(self, t: list[str]) -> list[Span]:
        """'per 1,000 residents', 'per head', 'per capita', 'per thousand people', 'for every 100
        households': a rate, with its N and the denominator's word (covered by the span)."""
        out = []
        for i, w in enumerate(t):
            if w not in ("per", "every", "for") and not (w == "a" and i + 1 < len(t) and t[i + 1] == "head"):
                continue
            j = i + 1
            if w == "for":
                if j < len(t) and t[j] in ("every", "each"):
                    j += 1
                else:
                    continue
            n = None
            if j < len(t) and t[j].isdigit():
                n, j = int(t[j]), j + 1
            elif j < len(t) and t[j] in self.numbers and t[j] not in ("single",):
                n, j = self.numbers[t[j]], j + 1
            for unit, value in sorted(self.units.items(), key=lambda kv: -len(kv[0])):
                if tuple(t[j:j + len(unit)]) == unit:
                    n = (n or 1) * value if value > 1 else (n or 1)
                    j += len(unit)
                    break
            den = None
            if j < len(t) and (t[j] in self.denominators or stem(t[j]) in self.denominators):
                den, j = t[j], j + 1
            if n is None and den is None:
                continue
            if w == "every" and (n is None or den is None):
                continue
            out.append(Span("per", i, j, Op("per", (n or 1, den))))
        return out

    def _conditions(self, t: list[str]) -> list[Span]:
        joined = " ".join(t)
        out = []
        pats = [
            (r"\b(?:in )?(?:the )?decile (\d+)\b", lambda m: ("=", int(m.group(1)))),
            (r"\b(?:in )?(?:the )?(\d+)(?:st|nd|rd|th)? decile\b", lambda m: ("=", int(m.group(1)))),
            (r"\b(?:in )?(?:the )?(most|least)(?: [a-z]+)? deprived (\d+) ?(?:percent|pc)\b", lambda m: self._pct(m.group(1), m.group(2))),
            (r"\b(?:in )?(?:the )?(\d+) ?(?:percent|pc) (most|least)(?: [a-z]+)? deprived", lambda m: self._pct(m.group(2), m.group(1))),
            (r"\b(?:in )?(?:the )?(most|least)(?: [a-z]+)? deprived (fifth|tenth)\b",
             lambda m: self._pct(m.group(1), {"fifth": "20", "tenth": "10"}[m.group(2)])),
            (r"\b(?:in )?(?:the )?(most|least) deprived decile\b", lambda m: ("=", 1 if m.group(1) == "most" else 10)),
            (r"\b(?:in )?(?:the )?(most|least) deprived (income|employment|education|health|crime|housing|barriers|"
             r"living environment) (?:domain )?decile\b", lambda m: ("=", 1 if m.group(1) == "most" else 10, m.group(2))),
            # 'the worst 10%', 'the best 20 percent': said of deprivation, its most / least deprived
            # ('the bottom 10% for IDACI': the most deprived tenth, as deprivation is ranked)
            (r"\b(?:in )?(?:the )?(worst|best|bottom)(?: [a-z]+)? (\d+) ?(?:percent|pc)(?: (?:for )?(?:being )?deprived)?\b",
             lambda m: self._pct("least" if m.group(1) == "best" else "most", m.group(2))),
            # 'deciles 1 and 2', 'decile 1 or 2', 'deciles 1-2': the most deprived deciles up to the second
            (r"\b(?:in )?(?:the )?deciles? 1 (?:and|or|to) (\d+)\b", lambda m: ("<=", int(m.group(1)))),
            # 'deciles 1, 2 and 3': every decile from the first up to the last said, in order
            (r"\b(?<!just )(?<!only )(?:in )?(?:the )?deciles? 1 ((?:\d+ )+)(?:and|or) (\d+)\b",
             lambda m: ("<=", int(m.group(2))) if [int(x) for x in (m.group(1).split() + [m.group(2)])]
             == list(range(2, int(m.group(2)) + 1)) else ("=", 0)),
            (r"\b(?:in )?(?:the )?(top|bottom) decile\b", lambda m: ("=", 1 if m.group(1) == "top" else 10)),
            # 'health deprivation & disability deciles 1 or 2': that domain's most deprived deciles up to the second
            (r"\b(?:in )?(?:the )?(income|employment|education|health|crime|barriers|housing|living environment)"
             r"(?: deprivation)?(?: and disability)?(?: domain)? deciles? 1 (?:and|or|to) (\d+)\b",
             lambda m: ("<=", int(m.group(2)), m.group(1))),
            # 'health deprivation decile 1', 'the income domain decile 2': that domain's decile
            (r"\b(?:in )?(?:the )?(income|employment|education|health|crime|barriers|housing|living environment)"
             r"(?: deprivation)?(?: and disability)?(?: domain)? decile (\d+)\b",
             lambda m: ("=", int(m.group(2)), m.group(1))),
            # 'the most deprived IMD decile', 'the most deprived IMD 2025 national decile': the index and its
            # edition said inside it
            # (the year is left to the period detector: 'decile' after it is a figure word)
            (r"\b(?:in )?(?:the )?(most|least) deprived (?:imd|iod)(?:(?: national)? decile\b|(?= (?:2019|2025)"
             r"(?: national)? decile\b))",
             lambda m: ("=", 1 if m.group(1) == "most" else 10)),
        ]
        # deciles rank every neighbourhood in England: 'nationally', 'in England' after one restate it
        national = r"(?: (?:nationally|in england|across england|in the country|in the whole country|of england))?"
        englands = r"(?:(?:in |of )?(?:englands|the countrys|the nations) )?"     # "England's most deprived 10%"
        for pat, make in pats:
            for m in re.finditer(r"\b" + englands + pat.removeprefix(r"\b") + national, joined):
                a = len(joined[:m.start()].split())
                b = a + len(m.group(0).split())
                op, val, *domain = make(m)
                if op == "<=" and val == 10:
                    # ('by IMD decile, 1 to 10': the whole scale said, every decile, not a condition on them,
                    # nor an age; the decile word stays the split's)
                    lo = a + 1 if a + 1 < b and joined.split()[a] in ("decile", "deciles") else a
                    out.append(Span("scale", lo, b, "the whole scale", score=5.0))
                elif 1 <= val <= 10:
                    out.append(Span("condition", a, b, Condition(op, val, domain=domain[0] if domain else ""), score=2.0))
        # A threshold on the measure itself, said right after a word for a figure ('a crime severity
        # score above 15', 'an imd score of more than 60', 'a rate below 2.5'): not an age.
        for m in re.finditer(r"\b(score|scores|scored|scoring|rate|rates|index|ratio|density|value|values|level|figure|percentage)"
                             r" (?:of )?(above|over|more than|greater than|higher than|exceeding|bigger than|below|"
                             r"under|less than|lower than|at least|at most|no more than|no less than) "
                             r"(\d+(?: point \d+)?)\b(?! ?(?:years?|year olds?|s)\b)(?! (?:percent|pc) of\b)"
                             r"(?: (?:percent|pc)\b)?", joined):
            a = len(joined[:m.start(2)].split())
            b = a + len(m.group(0)[m.start(2) - m.start():].split())
            op = THRESHOLD_OPS[m.group(2)]
            raw = m.group(3).replace(" point ", ".")
            out.append(Span("condition", a, b, Condition(op, float(raw) if "." in raw else int(raw), False, True),
                            score=3.0))
        # ... or a head count's threshold said after its word ('LSOAs with a population over 2,000',
        # 'a population of more than 1,500'): only numbers no age could be (an age is 'over 65')
        for m in re.finditer(r"\b(population|populations|residents|households|people)"
                             r" (?:of )?(above|over|more than|greater than|bigger than|exceeding|below|under|less than|"
                             r"fewer than|at least|at most|no more than|no less than) (\d+)\b(?! ?(?:years?|year olds?|s)\b)",
                             joined):
            if int(m.group(3)) < 200:
                continue
            a = len(joined[:m.start(2)].split())
            b = a + len(m.group(0)[m.start(2) - m.start():].split())
            out.append(Span("condition", a, b, Condition(THRESHOLD_OPS[m.group(2)], int(m.group(3)), False, True),
                            score=3.0))
        # ... or before it, after 'have' / 'with' ('councils with more than 1,700 patients per GP')
        for m in re.finditer(r"\b(?:have|has|had|with) (more than|over|fewer than|less than|under|at least|at most) "
                             r"(\d+(?: point \d+)?)(?= [a-z])(?! (?:years?|year olds?|%|percent|pc|point)\b)", joined):
            a = len(joined[:m.start(1)].split())
            b = a + len(m.group(0)[m.start(1) - m.start():].split())
            op = THRESHOLD_OPS[m.group(1)]
            raw = m.group(2).replace(" point ", ".")
            out.append(Span("condition", a, b, Condition(op, float(raw) if "." in raw else int(raw), False, True),
                            score=3.0))
        # ... or with its bound after the number ('LSOAs that had 100 or more crimes')
        for m in re.finditer(r"\b(?:have|has|had|with|recorded|saw|see) (\d+(?: point \d+)?) (?:or|and) (more|over|above|"
                             r"fewer|less|under|below)(?= [a-z])(?! (?:years?|year olds?|percent|pc|point)\b)", joined):
            a = len(joined[:m.start(1)].split())
            b = a + len(m.group(0)[m.start(1) - m.start():].split())
            raw = m.group(1).replace(" point ", ".")
            op = ">=" if m.group(2) in ("more", "over", "above") else "<="
            out.append(Span("condition", a, b, Condition(op, float(raw) if "." in raw else int(raw), False, True),
                            score=3.0))
        # ... or as a share of the areas' people or homes ('wards with more than 25% of residents aged
        # 65+', 'more than a third of households in social housing'): the threshold on the share,
        # whose 'percent of' / 'of' the share detector reads
        fractions = {"a half": 50, "half": 50, "a third": 100 / 3, "one third": 100 / 3, "two thirds": 200 / 3,
                     "a quarter": 25, "one quarter": 25, "three quarters": 75, "a fifth": 20, "one fifth": 20,
                     "a tenth": 10, "one tenth": 10}
        frac = "|".join(sorted(fractions, key=len, reverse=True))
        lead = r"\b(?:have|has|had|with|where|do|does|did|which) "
        for m in re.finditer(lead + r"(more than|over|above|fewer than|less than|under|below|"
                             r"at least|at most) (?:(\d+(?: point \d+)?)(?= (?:percent|pc) of\b)|(" + frac + r")(?= (?:of|their|its|the)\b))",
                             joined):
            a = len(joined[:m.start(1)].split())
            b = a + len(m.group(0)[m.start(1) - m.start():].split())
            raw = m.group(2)
            value = fractions[m.group(3)] if m.group(3) else (float(raw.replace(" point ", ".")) if "point" in raw
                                                                else int(raw))
            out.append(Span("condition", a, b, Condition(THRESHOLD_OPS[m.group(1)], round(value, 4) if isinstance(value, float)
                                                        else value, False, True), score=3.0, extra=frozenset({"share"})))
        # ... the bound said after the share ('with 30% or more of households', '30 percent and over')
        for m in re.finditer(lead + r"(\d+(?: point \d+)?) (?:percent|pc) (?:or|and) (more|over|above|higher|greater|"
                             r"less|fewer|under|below|lower)\b(?: of\b)?", joined):
            a = len(joined[:m.start(1)].split())
            b = a + len(m.group(0)[m.start(1) - m.start():].split())
            raw = m.group(1)
            value = float(raw.replace(" point ", ".")) if "point" in raw else int(raw)
            op = ">=" if m.group(2) in ("more", "over", "above", "higher", "greater") else "<="
            out.append(Span("condition", a, b, Condition(op, value, False, True), score=3.0, extra=frozenset({"share"})))
        # ... and a threshold on the measure said after its number ('a score of 40 or more')
        for m in re.finditer(r"\b(score|scores|scored|scoring|rate|rates|index|ratio|density|value|values|level|figure|percentage)"
                             r" (?:of )?(\d+(?: point \d+)?) (?:(?:percent|pc) )?(?:or|and) (more|over|above|higher|greater|less|fewer|under|"
                             r"below|lower)\b(?! ?(?:years?|year olds?)\b)", joined):
            a = len(joined[:m.start(2)].split())
            b = a + len(m.group(0)[m.start(2) - m.start():].split())
            raw = m.group(2).replace(" point ", ".")
            op = ">=" if m.group(3) in ("more", "over", "above", "higher", "greater") else "<="
            out.append(Span("condition", a, b, Condition(op, float(raw) if "." in raw else int(raw), False, True),
                            score=3.0))
        return out

    @staticmethod
    def _pct(which: str, pct: str):
        d = max(1, round(int(pct) / 10))
        return ("<=", d) if which == "most" else (">=", 11 - d)


class AgeDetector:
    """Ages as people say them; the resolver matches them to the age bands a dataset holds."""

    PATTERNS = [
        (r"\b(?:aged |age |ages )?(?:under|below|younger than|less than) (\d+)s?\b", lambda a: Age(0, a - 1)),
        (r"\b(?:aged )?(\d+) (?:and|or) (?:under|younger|below)\b", lambda a: Age(0, a)),
        (r"\b(?:aged |age |ages )?(?:over|above|older than|more than) (\d+)s\b", lambda a: Age(a, None)),   # 'over 65s'
        (r"\b(?:aged |age |ages )?(?:over|above|older than|more than) (\d+)\b(?!s)", lambda a: Age(a + 1, None)),
        (r"\b(?:aged )?(\d+) (?:and|or) (?:over|older|above)\b", lambda a: Age(a, None)),
        (r"\b(?:aged )?(\d+) plus\b(?! (?:bedrooms?|rooms?|cars?|vans?|children|people|persons|homes|houses))",
         lambda a: Age(a, None)),
    ]
    RANGE = r"\b(?:aged |age |ages |between )?(\d+) (?:to|and|through) (\d+)(?: year olds?| years? old| years)?\b"

    def detect(self, q: Prepared) -> list[Span]:
        joined = " ".join(q.tokens)
        out = []
        for pat, make in self.PATTERNS:
            for m in re.finditer(pat, joined):
                n = int(m.group(1))
                if re.match(r" (?:percent|pc|per cent)\b", joined[m.end():]):
                    continue        # 'more than 33 percent of households': a share, not an age
                if 1 <= n <= 110 and not (1900 <= n <= 2100):
                    out.append(self._span(joined, m, make(n)))
        for m in re.finditer(self.RANGE, joined):
            lo, hi = int(m.group(1)), int(m.group(2))
            aged = m.group(0).startswith(("aged", "age", "ages")) or "old" in m.group(0) or "years" in m.group(0)
            if 0 <= lo < hi <= 110 and (aged or hi - lo < 30) and not (1900 <= lo <= 2100):
                out.append(self._span(joined, m, Age(lo, hi), 1.5 if aged else 0.8))
        return out

    @staticmethod
    def _span(joined: str, m, age: Age, score: float = 1.5) -> Span:
        a = len(joined[:m.start()].split())
        return Span("age", a, a + len(m.group(0).split()), age, score)


class PlaceDetector:
    def __init__(self, gaz: Gazetteer, words: Words, fuzzy_cutoff: int = 88):
        self.gaz = gaz
        self.fuzzy = fuzzy_cutoff
        self.near_me = Phrases(words.places.near_me)
        self.foreign = Phrases(words.places.foreign_qualifiers)
        self.not_places = Phrases(words.places.not_places)
        # ('and the count' is never a typo for 'country': a word for a kind of figure is not a place)
        self.ordinary = frozenset(words.quiet.figure_words) | frozenset(words.quiet.generic) | frozenset(words.quiet.everyday)

    def detect(self, q: Prepared, blocked: frozenset[int] = frozenset()) -> list[Span]:
        t = q.tokens
        out: list[Span] = []
        skip = set(blocked)
        for a, b, _p in self.not_places.find(t):
            skip |= set(range(a, b))
        for m in self.gaz.find(q.original, t, skip, self.fuzzy):
            if m.fuzzy and all(t[i] in self.ordinary for i in range(*m.span) if t[i] not in ("the", "a")):
                continue
            extra = frozenset(m.qualifier) - frozenset(range(*m.span))
            out.append(Span("place", m.span[0], m.span[1], PlaceFound(m.candidates, m.text, m.fuzzy),
                            score=0.6 if m.fuzzy else 1.0, extra=extra))
        for a, b, p in self.near_me.find(t):
            if p == ("here",) and not (a > 0 and t[a - 1] in ("around", "round", "near", "live")):
                continue
            out.append(Span("near_me", a, b, " ".join(p)))
        # a place said with a country or region outside the commons ('Birkenhead, Tasmania',
        # 'Newport in Wales'): the whole is outside the commons, whatever the first word matches
        # ('Warrington's' is read as the place it names)
        singles = {x[0] for ps in self.foreign.by_first.values() for x in ps if len(x) == 1}
        tf = [w[:-1] if w.endswith("s") and w[:-1] in singles else w for w in t]
        for a, b, p in self.foreign.find(tf):
            if p in (("us",), ("uk",)) and not (a > 0 and t[a - 1] in ("the", "in")):
                continue
            start = a
            if a > 0 and t[a - 1] in ("in",):
                start = a - 1
            prev = [s for s in out if s.slot == "place" and s.end in (start, start - 1)] if start > 0 else []
            name_start = prev[0].start if prev else start
            if not prev and start > 0 and t[start - 1].isalpha() and t[start - 1] not in (
                    "in", "of", "for", "the", "what", "whats", "how", "hows", "is", "about", "and", "or", "to", "with",
                    "vs", "versus", "than", "like", "near", "from", "compare", "at"):
                name_start = start - 1
            out.append(Span("foreign_place", name_start, b, " ".join(tf[name_start:b]), score=2.0))
        return out


class TopicDetector:
    def __init__(self, topics: Topics):
        self.topics = topics

    def detect(self, q: Prepared) -> list[Span]:
        t = q.tokens
        out = []
        for a, b, hit in self.topics.measures(t):
            out.append(Span("measure", a, b, hit, score=hit.concepts[0][1]))
        for a, b, hit in self.topics.categories(t):
            # a class of a category measure ('urban conurbation') is that class, not the measure
            own = any(self.topics.is_category_measure(ds, col) for ds, col, _ in hit.options)
            out.append(Span("category", a, b, hit, score=1.0 + 0.5 * (b - a) + (3.0 if own else 0.0)))
        for a, b, hit in self.topics.group_names(t):
            out.append(Span("table", a, b, hit, score=0.9 * (b - a)))
        for a, b, hit in self.topics.dimension_names(t):
            out.append(Span("dimension", a, b, hit, score=0.9 * (b - a)))
        for a, b, hit in self.topics.sources(t):
            out.append(Span("source", a, b, hit, score=0.8 * (b - a)))
        return out


class IntentDetector:
    def __init__(self, words: Words):
        i = words.intents
        self.kinds = [("summary", Phrases(i.summary)), ("trend", Phrases(i.trend)), ("compare", Phrases(i.compare)),
                      ("breakdown", Phrases(("breakdown", "break down", "broken down", "split", "distribution",
                                             "break that down", "break it down", "break this down", "split that",
                                             "split it", "split this", "break those down", "break them down",
                                             "composition", "makeup", "make up", "mix", "profile of"))),
                      ("count", Phrases(i.count)), ("which", Phrases(("which", "where", "what", "whats"))),
                      ("map", Phrases(i.map)), ("relate", Phrases(i.relate)), ("coverage", Phrases(i.coverage)),
                      ("benchmark", Phrases(i.benchmark))]
        self.desc = Phrases(i.rank_desc)
        self.asc = Phrases(i.rank_asc)
        self.rank = Phrases(("rank", "ranks", "ranking", "ranked", "league table", "order", "ordered", "sort", "sorted",
                             "list", "highest first", "lowest first", "in order"))
        self.common = Phrases(i.common)
        self.uncommon = Phrases(i.uncommon)
        self.numbers = dict(words.numbers)
        self.row_words = frozenset(w for ws in words.levels.values() for p in ws for w in p.split()) | frozenset(
            ("types", "categories", "kinds", "classes", "places", "areas"))

    def detect(self, q: Prepared) -> list[Span]:
        t = q.tokens
        out = []
        for kind, phrases in self.kinds:
            for a, b, p in phrases.find(t):
                if kind == "relate" and p[0] in ("association", "associations") and a and t[a - 1] == "housing":
                    continue        # 'housing association': a landlord, not a correlation
                out.append(Span("intent", a, b, Cue(kind, " ".join(p)), score=0.5 if kind == "which" else 1.0))
        for a, b in (q.sentences or [(0, len(t))]):
            if b - a > 2 and t[b - 1] == "like" and t[a] in ("what", "whats", "how", "hows"):
                # 'what's Everton ward like?' (also before a sentence more): an overview of the place
                out.append(Span("intent", b - 1, b, Cue("summary", "like")))
        for a, b, p in self.common.find(t):
            out.append(Span("common", a, b, Cue("desc", " ".join(p)), score=2.0))
        for a, b, p in self.uncommon.find(t):
            out.append(Span("common", a, b, Cue("asc", " ".join(p)), score=2.0))
        # 'worst first', 'smallest first': the order word with the 'first' that says where the list starts
        first = lambda b: b + 1 if b < len(t) and t[b] == "first" else b      # noqa: E731
        at_bound = lambda a, p: p in (("least",), ("most",)) and a and t[a - 1] == "at"     # noqa: E731 'at least one'
        for a, b, p in self.desc.find(t):
            if not at_bound(a, p):
                out.append(Span("order", a, first(b), Cue("worst" if p == ("worst",) else "desc", " ".join(p))))
        for a, b, p in self.asc.find(t):
            if not at_bound(a, p):
                out.append(Span("order", a, first(b), Cue("best" if p == ("best",) else "asc", " ".join(p))))
        for a, b, p in self.rank.find(t):
            kind = "asc" if "lowest" in p else "desc" if "highest" in p else "rank"
            out.append(Span("intent", a, b, Cue("rank", " ".join(p)), score=1.0) if kind == "rank" else
                       Span("order", a, b, Cue(kind, " ".join(p)), score=1.5))
        for i in range(len(t)):
            # 'more patients per GP than anywhere else in the city region': the top of the ranking claimed
            tail = next((p for p in (("than", "anywhere", "else"), ("than", "everywhere", "else"), ("than", "any", "other"),
                                     ("than", "all", "the", "others"), ("than", "all", "the", "other"),
                                     ("than", "the", "rest")) if tuple(t[i:i + len(p)]) == p), None)
            if tail is None:
                continue
            comp = next((j for j in range(i - 1, max(-1, i - 7), -1)
                         if t[j] in ("more", "higher", "bigger", "larger", "greater", "worse", "fewer", "lower",
                                     "smaller", "less", "better")), None)
            if comp is not None:
                kind = "desc" if t[comp] in ("more", "higher", "bigger", "larger", "greater") else \
                    "worst" if t[comp] == "worse" else "best" if t[comp] == "better" else "asc"
                out.append(Span("order", comp, comp + 1, Cue(kind, t[comp]), score=2.0,
                                extra=frozenset(range(i, i + len(tail)))))
        ordered = any(w in ("most", "least", "highest", "lowest", "top", "bottom", "best", "worst", "biggest",
                            "smallest", "largest", "fewest", "rank", "ranked", "ranking", "first", "last", "order",
                            "sort", "sorted", "worse", "better", "more", "fewer", "list", "name", "which")
                      for w in t)
        for i, w in enumerate(t[:-1]):
            k = int(w) if w.isdigit() else self.numbers.get(w) if w not in ("one", "single") else None
            ahead = next((j for j in range(i + 1, min(len(t), i + 6)) if t[j] in self.row_words), None)
            if k and i and t[i - 1] in ("the", "all") and ahead is not None and not ordered:
                # 'what share of all crime in the five Merseyside Police councils happened in Liverpool':
                # the areas said by how many there are, with nothing put in order: the set, not a top N
                out.append(Span("filler", i, i + 1, "set size"))
                continue
            # 'which three of Liverpool's 2024 wards', 'the five Merseyside Police councils'
            between = t[i + 1:ahead] if ahead is not None else []
            joins = ("and", "or", "per", "than", "percent", "pc", "most", "least", "with", "in", "by")
            through = ahead is not None and ahead > i + 2 and t[i + 1] in ("of", "merseyside", "lcr", "city") and \
                not any(x in joins[:6] for x in between)
            # 'which 5 St Helens wards': a place's name of two or three words between
            through = through or (ahead is not None and 2 < ahead - i <= 4 and t[i - 1] in ("which", "the", "name", "all")
                                  and not any(x.isdigit() or x in joins for x in between))
            # ('which of the 6 LCR councils had the lowest ...': the six are the set the one is picked from)
            of_set = i >= 2 and t[i - 1] in ("the", "all") and t[i - 2] in ("of", "among", "amongst") and any(
                x in ("which", "who", "whichever") for x in t[max(0, i - 5):i - 2])
            if of_set and not any(x in self.row_words for x in t[i + 1:i + 4]):
                continue        # ('which of the six is highest?': the six councils, said without the word)
            if of_set:
                verb = next((x for x in t[i + 1:i + 5] if x in ("has", "is", "was", "had", "have", "are", "were", "got",
                                                                "scored", "saw", "came", "comes", "ranks", "ranked")), None)
                if verb in ("has", "is", "was", "had", "got", "scored", "saw", "came", "comes", "ranks", "ranked"):
                    # ('... has the highest': the one of them)
                    out.append(Span("top_n", i, i + 1, (1, None), score=1.5))
                    continue
            if k and 0 < k <= 100 and i > 0 and t[i - 1] in ("which", "what", "the", "those", "name", "all", "rank", "list",
                                                             "these") \
                    and (t[i + 1] in self.row_words or (i + 2 < len(t) and t[i + 2] in self.row_words
                                                        and not t[i + 1].isdigit()) or through
                         or (t[i - 1] == "which" and t[i + 1] in ("have", "has", "had", "are", "were", "saw", "show",
                                                                  "come", "came", "rank", "ranked", "score", "scored"))):
                # 'which 3 wards', 'which three councils', 'which 3 Wirral wards' (a place's name between)
                out.append(Span("top_n", i, i + 1, (k, None), score=1.5))
            elif k and 0 < k <= 100 and (i == 0 or t[i - 1] in ("which", "what", "the", "those", "name", "me", "list",
                                                                "show", "give", "rank")) and \
                    t[i + 1] in ("most", "least", "highest", "lowest", "biggest", "largest", "smallest", "worst", "best") \
                    and any(x in self.row_words for x in t[i + 2:i + 6]):
                # 'the 3 most deprived neighbourhoods in Wirral'
                out.append(Span("top_n", i, i + 1, (k, None), score=1.5))
            if w in ("top", "bottom", "first", "best", "worst", "highest", "lowest", "most", "least", "largest",
                     "smallest", "biggest", "fewest", "quietest", "busiest", "safest") \
                    and not (w in ("least", "most") and i and t[i - 1] == "at"):
                # (never 'at least one bedroom', 'at most 3')
                nxt = t[i + 1]
                n = int(nxt) if nxt.isdigit() and 0 < int(nxt) <= 100 else self.numbers.get(nxt)
                if n and not (i + 2 < len(t) and t[i + 2] in ("percent", "pc")):
                    order = "asc" if w in ("bottom", "lowest", "least", "smallest", "fewest", "quietest", "safest") else \
                        "desc" if w != "best" and w != "worst" else w
                    # 'just the top 3 types is fine': the rows' word said with the number (what they
                    # are is said by the breakdown asked)
                    end = i + 3 if i + 2 < len(t) and t[i + 2] in ("types", "kinds", "sorts", "categories", "ones") \
                        and t[i + 3:i + 4] != ["of"] else i + 2
                    out.append(Span("top_n", i, end, (n, order), score=2.0))
        return out


class LevelDetector:
    def __init__(self, words: Words):
        self.levels = [(lvl, Phrases(ws)) for lvl, ws in words.levels.items()]
        self.all_councils = Phrases(("six councils", "the six councils", "all six councils", "six boroughs",
                                     "the six boroughs", "each council", "every council", "all the councils"))
        self.level_words = frozenset(w for ws in words.levels.values() for p in ws for w in p.split())
        # 'among councils in England', 'out of all councils in the country': the peers of a national
        # rank (every English council), never a ranking of the councils the commons holds, nor England
        # asked about as a place
        peers = ("councils", "local authorities", "authorities", "districts", "las", "local councils", "boroughs",
                 "council", "local authority", "authority", "district", "la", "borough")
        self.national = Phrases(tuple(
            f"{lead}{peer} in {where}" for lead in ("", "all ", "all the ", "the ", "other ", "all other ")
            for peer in peers for where in ("england", "the country", "the whole country", "all of england")) + tuple(
            f"{peer} across england" for peer in peers) + tuple(
            f"out of all {peer}" for peer in ("councils", "the councils", "local authorities", "authorities",
                                              "districts", "las")) + tuple(
            f"{lead}english {peer}" for lead in ("", "all ", "all the ", "the ", "other ", "all other ")
            for peer in peers))

    def detect(self, q: Prepared) -> list[Span]:
        t = q.tokens
        out = []
        for lvl, phrases in self.levels:
            for a, b, p in phrases.find(t):
                if a and t[a - 1] == "english":
                    continue        # 'its rank among English councils': the national rank, not a ranking of them
                out.append(Span("level", a, b, lvl, score=0.5 if p in (("areas",), ("places",), ("towns",), ("area",)) else 1.0))
        for a, b, _ in self.all_councils.find(t):
            out.append(Span("level", a, b, "lad", score=2.0))
        for a, b, _ in self.national.find(t):
            if a > 1 and t[a - 2:a] == ["out", "of"]:
                a -= 2
            elif a and t[a - 1] in ("among", "amongst", "of", "versus", "vs", "against"):
                a -= 1
            out.append(Span("national", a, b, "lad"))
        for i, w in enumerate(t):
            # 'which of the six is highest?': the city region's six councils, said without the word
            if w in ("six", "6") and i and t[i - 1] in ("the", "all") and (
                    i + 1 == len(t) or t[i + 1] not in self.level_words | {"month", "months", "year", "years", "types",
                                                                           "categories", "of", "most", "least"}):
                out.append(Span("level", i, i + 1, "lad", score=1.0))
        for i, w in enumerate(t):
            # 'how many bits of St Helens', 'which parts of Sefton': its areas, as 'areas' is
            if w in ("bits", "parts") and 0 < i < len(t) - 1 and t[i - 1] in ("many", "which", "what", "the") \
                    and t[i + 1] in ("of", "in"):
                out.append(Span("level", i, i + 1, "lsoa", score=0.5))
        return out


class GroupingDetector:
    """'by ward', 'each month', 'per council', 'monthly', 'by type', 'by age': a marker and what
    follows it, as one span whose value says what the rows are (level, or the words of a
    dimension or table for the frame to match)."""

    def __init__(self, words: Words, topics: Topics):
        g = words.groupings
        self.by = Phrases(g.by)
        self.monthly = Phrases(g.monthly)
        self.yearly = Phrases(g.yearly)
        self.levels = [(lvl, Phrases(ws)) for lvl, ws in words.levels.items()]
        self.topics = topics

    def detect(self, q: Prepared) -> list[Span]:
        t = q.tokens
        out = []
        for a, b, _ in self.monthly.find(t):
            out.append(Span("grouping", a, b, ("time", "month"), score=2.0))
        for a, b, _ in self.yearly.find(t):
            out.append(Span("grouping", a, b, ("time", "year"), score=2.0))
        for i, w in enumerate(t):
            # 'in which year was it lowest', 'what year had the most': the years of a yearly series, ranked
            if w in ("year", "years") and i and t[i - 1] in ("which", "what"):
                out.append(Span("grouping", i, i + 1, ("time", "year"), score=2.0))
        for a, b, _ in self.by.find(t):
            if b >= len(t):
                continue
            # 'in each of the six councils', 'by the number of deprivation dimensions', 'by its wards'
            j = b
            while j < len(t) and j < b + 4 and (t[j] in ("the", "each", "every", "all", "of", "its", "their", "number")
                                                or t[j].isdigit() or t[j] in ("two", "three", "four", "five", "six")):
                j += 1
            if j >= len(t):
                continue
            for lvl, phrases in self.levels:
                p = phrases.at(t, j) if j < len(t) else None
                if p:
                    out.append(Span("grouping", a, j + len(p), ("level", lvl), score=2.0))
            for k in range(min(len(t), j + 4), j, -1):
                words = tuple(stem(w) for w in t[j:k])
                if words in self.topics.dims or words in self.topics.groups or words in (("type",), ("kind",), ("category",)):
                    out.append(Span("grouping", a, k, ("words", words), score=2.0))
                    break
            if j < len(t) and t[j] in ("month", "months"):
                out.append(Span("grouping", a, j + 1, ("time", "month"), score=2.0))
            if j < len(t) and t[j] in ("year", "years"):
                out.append(Span("grouping", a, j + 1, ("time", "year"), score=2.0))
        return out


class MetaDetector:
    """A question about the assistant itself ('what can you do?', 'who made you?')."""

    def __init__(self, words: Words):
        self.phrases = Phrases(words.meta.phrases)

    SOFT = frozenset(("actually", "really", "exactly", "even", "just", "please", "then", "so", "btw", "anyway"))

    def detect(self, q: Prepared) -> list[Span]:
        # 'how do you actually work?': the phrase with softening words between its words
        keep = [i for i, w in enumerate(q.tokens) if w not in self.SOFT]
        toks = [q.tokens[i] for i in keep]
        out = []
        for a, b, p in self.phrases.find(toks):
            start, end = keep[a], keep[b - 1] + 1
            out.append(Span("meta", start, end, " ".join(p)))
        return out


class NotHeldDetector:
    """Topics the commons does not hold (the word list), and sub-groups the datasheets say are
    counted only within a broader measure ('Chinese' within Asian residents): the span's value is
    the phrase, or (phrase, the broader measure's id) for a sub-group."""

    def __init__(self, words: Words, narrower: dict[str, str] | None = None):
        self.phrases = Phrases(words.not_held.topics)
        self.narrower = {phrase_tuple(k): v for k, v in (narrower or {}).items() if phrase_tuple(k)}
        self.sub_groups = Phrases(tuple(" ".join(k) for k in self.narrower))

    def detect(self, q: Prepared) -> list[Span]:
        out = [Span("not_held", a, b, " ".join(p), score=1.5) for a, b, p in self.phrases.find(q.tokens)]
        for a, b, p in self.sub_groups.find(q.tokens):
            out.append(Span("not_held", a, b, (" ".join(p), self.narrower[tuple(p)]), score=1.5))
        return out


class FollowUpDetector:
    def __init__(self, words: Words):
        self.starts = Phrases(words.follow_ups.starts)
        self.refs = frozenset(words.follow_ups.references)

    def detect(self, q: Prepared) -> list[Span]:
        t = q.tokens
        out = []
        p = self.starts.at(t, 0) if t else None
        if p:
            out.append(Span("followup", 0, len(p), " ".join(p)))
        for i, w in enumerate(t):
            if w in self.refs:
                out.append(Span("followup", i, i + 1, w, score=0.5))
        # 'that postcode's neighbourhood', 'the postcode's area': the area the postcode before was found in
        if not any(re.fullmatch(r"[a-z]{1,2}\d[a-z\d]?", w) for w in t):
            for m in re.finditer(r"\b(?:that|the|this|my|same) postcodes?\b", " ".join(t)):
                a = len(" ".join(t)[:m.start()].split())
                out.append(Span("followup", a, a + 2, m.group(0), score=2.0))
        # 'that year', 'in that month': the period of the question before
        for m in re.finditer(r"\b(?:(?:in|for|during) )?that (?:year|month|quarter|period)\b", " ".join(t)):
            a = len(" ".join(t)[:m.start()].split())
            out.append(Span("followup", a, a + len(m.group(0).split()), m.group(0), score=1.0))
        # 'over the same period', 'for the same years': the period of the question before
        for m in re.finditer(r"\b(?:(?:over|for|in|during|across) )?(?:the |those |these |that |this )?same (?:time )?(?:period|periods|years|year|months|month|"
                             r"quarter|dates|date|time|timeframe|time frame)\b", " ".join(t)):
            a = len(" ".join(t)[:m.start()].split())
            out.append(Span("followup", a, a + len(m.group(0).split()), m.group(0), score=1.0))
        return out


class ContextDetector:
    """Clauses that say who is asking or why: from a cue to the end of its sentence or comma
    clause, or to a word that starts the request itself ('... and need', 'can you')."""

    ENDS = ("need", "needs", "want", "wants", "would like", "could you", "can you", "please", "what", "how", "which",
            "where", "tell me", "show me", "give me", "looking for", "i need", "we need")

    def __init__(self, words: Words):
        c = words.context
        self.cues = Phrases(c.asker_cues)
        self.clause_start = Phrases(c.clause_start_cues)
        self.purpose_starts = frozenset(c.purpose_starts)
        self.purpose_verbs = frozenset(c.purpose_verbs)
        self.figure_forms = frozenset(c.figure_forms)
        self.ends = Phrases(self.ENDS)
        self.claim_checks = Phrases(c.claim_checks)
        self.claimants = frozenset(c.claimants)

    def _claims(self, q: Prepared) -> list[Span]:
        """'Someone on twitter says ...', '... - is that right?', 'is it true that ...': who made a
        claim, and the asking whether it holds; the claim itself is the question."""
        t, out = q.tokens, []
        for a, b, p in self.claim_checks.find(t):
            b = b + 1 if b < len(t) and t[b] == "that" and p[-1] in ("true", "right", "correct", "case") else b
            out.append(Span("context", a, b, " ".join(t[a:b])))
        for lo, hi in (q.sentences or [(0, len(t))]):
            if hi - lo <= 3 and t[lo:hi] and all(w in ("true", "right", "correct", "accurate", "fair", "really", "or",
                                                          "not", "false", "wrong", "so", "is", "that", "it") for w in t[lo:hi]) \
                    and lo:
                # '... than anywhere else in the city region. True?': asking whether the claim holds
                out.append(Span("context", lo, hi, " ".join(t[lo:hi])))
                continue
            for j in range(lo, min(hi, lo + 8)):
                # ('Sefton MP says ...': a place named with the claimant noun)
                named = j - lo <= 4 and t[j - 1:j] and t[j - 1] in self.CLAIMANT_NOUNS
                if t[j] in self.SAYING and j > lo and (named or all(w in self.claimants for w in t[lo:j])):
                    end = j + 2 if j + 1 < hi and t[j + 1] == "that" else j + 1
                    out.append(Span("context", lo, end, " ".join(t[lo:end])))
                    break
        return out

    def detect(self, q: Prepared) -> list[Span]:
        t = q.tokens
        chunks, start = [], 0
        for piece in re.split(r"[?!.;:,()\n]+|\s[-\u2013\u2014]+\s", q.text):
            n = len(normalise(piece).split())
            chunks.append((start, start + n))
            start += n
        if start != len(t):
            chunks = list(q.clauses) or [(0, len(t))]
        out = []
        for lo, hi in chunks:
            i = lo
            while i < hi:
                cue = self.cues.at(t, i) or (self.clause_start.at(t, i) if i == lo else None)
                nxt = t[i + 1] if i + 1 < hi else ""
                if cue and t[i] == "as" and nxt in ("a", "an") and i + 2 < hi and t[i + 2] in self.figure_forms:
                    cue = None
                if not cue and t[i] == "for" and nxt in self.purpose_starts:
                    # not 'for a figure' or 'for a 2 bed': a purpose has no figure or number in it
                    cue = None if (nxt in ("a", "an") and i + 2 < hi and (t[i + 2] in self.figure_forms
                                                                          or t[i + 2][:1].isdigit())) else ("for",)
                if not cue and t[i] == "for" and nxt == "the" and any(t[j] in self.PURPOSE_NOUNS for j in range(i + 2, min(hi, i + 7))):
                    cue = ("for",)       # 'for the scrutiny paper', 'for the board report'
                if not cue and t[i] == "to" and nxt in self.purpose_verbs:
                    cue = ("to",)
                if not cue and t[i] in ("im", "were", "i", "we") and i == lo:
                    k = i + 1 + (1 if nxt in ("am", "are", "m", "re") else 0)
                    if k < hi and t[k].endswith("ing") and len(t[k]) > 4:
                        cue = tuple(t[i:k + 1])
                if not cue:
                    i += 1
                    continue
                end = hi
                for j in range(i + len(cue), hi):
                    if self.ends.at(t, j):
                        end = j
                        break
                if end > i:
                    out.append(Span("context", i, end, " ".join(t[i:end])))
                i = max(end, i + 1)      # a clause may hold more than one ('... and need to show ...')
        # 'like the opposition say', 'as the council claims': who said it, not a qualifier of the figure
        for i, w in enumerate(t):
            if w in ("like", "as") and i > 0:
                for j in range(i + 2, min(len(t), i + 6)):
                    if t[j] in self.SAYING:
                        out.append(Span("context", i, j + 1, " ".join(t[i:j + 1])))
                        break
                    if t[j] in ("and", "but", "than", "in", "for", "of"):
                        break
        return out + self._claims(q) + self._what_the_number_is(q)

    BENCHMARK_WORDS = frozenset(("level", "average", "baseline", "benchmark", "mean", "norm", "figure", "value"))

    def _what_the_number_is(self, q: Prepared) -> list[Span]:
        """'scored above 100 (the 2015 England level)': brackets right after a number that say what the
        number is are context, not another period or place asked about."""
        t, out = q.tokens, []
        for a, b in q.brackets:
            inside = t[a:b]
            if a and t[a - 1].replace(".", "").isdigit() and inside and self.BENCHMARK_WORDS & set(inside) \
                    and len(inside) <= 8:
                # (an 'aside' content span: the place or period inside, 'the England 2015 level', is not asked about)
                out.append(Span("aside", a, b, " ".join(inside), score=2.0))
        return out

    PURPOSE_NOUNS = frozenset(("paper", "report", "briefing", "intro", "introduction", "section", "chapter", "brief", "meeting", "committee", "bid", "application",
                               "article", "story", "presentation", "newsletter", "leaflet", "slides", "deck", "proposal",
                               "submission", "consultation", "dissertation", "essay", "assignment", "campaign", "board", "trustees", "governors",
                               "cabinet", "funders", "funder", "commissioners"))
    CLAIMANT_NOUNS = frozenset(("mp", "mps", "councillor", "councillors", "cllr", "mayor", "politician", "politicians",
                                "leader", "candidate", "minister", "spokesperson", "spokesman", "spokeswoman", "campaigner",
                                "campaigners", "paper", "newspaper", "echo", "report"))
    SAYING = frozenset(("say", "says", "said", "quotes", "quoted", "states", "stated", "puts", "gives", "shows",
                        "claim", "claims", "claimed", "reckon", "reckons", "reckoned", "suggest",
                        "suggests", "suggested", "argue", "argues", "argued", "insist", "insists", "insisted"))


class FillerDetector:
    # phrases that only say where a figure is taken from ('going by the severity score')
    PHRASES = Phrases(("going by", "go by", "going off", "go off", "based on", "judging by", "measured by", "in terms of",
                       "using the", "as the denominator", "as denominator", "as the base", "out of the", "according to",
                       "each time", "both times",
                       # a national rank is the rank among English councils, which every rank answer says
                       "among english councils", "among all english councils", "out of all english councils",
                       "of all english councils", "among english local authorities", "english councils",
                       "english local authorities", "english districts", "out of all english local authorities",
                       "out of all english authorities", "out of all english districts", "of all english local authorities",
                       "among all english local authorities", "among all english districts", "english authorities",
                       "out of all english las", "english las", "out of all english local councils", "english local councils",
                       "among all english local councils", "of all english local councils"))
    # 'add up all four months': the total, which only an additive figure has (the resolver checks)
    ADD_UP = Phrases(("add up", "added up", "adding up", "sum up", "summed up", "tot up", "totted up", "total up"))

    def __init__(self, words: Words):
        self.words = frozenset(words.fillers.words)

    def detect(self, q: Prepared) -> list[Span]:
        out = [Span("filler", i, i + 1) for i, w in enumerate(q.tokens) if w in self.words]
        out += [Span("filler", a, b) for a, b, _ in self.PHRASES.find(q.tokens)]
        out += [Span("add_up", a, b) for a, b, _ in self.ADD_UP.find(q.tokens)]
        return out
