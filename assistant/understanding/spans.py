"""The values detectors return: spans over the question's tokens, each remembering the words
that triggered it, and the prepared question they are found in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kernel.text import normalise

# The slots a span can fill, and the tier that decides overlaps (lower wins; within a tier the
# longer span, then the higher score).  Structural sub-languages (time, operators) come first,
# then places and topics, then the words that shape the question, then context and fillers.
TIERS = {
    "period": 1, "per": 1, "add_up": 1, "at_least": 1, "scale": 1, "share": 1, "difference": 1, "exclude": 1, "negate": 1, "condition": 1, "age": 1,
    "meta": 2, "near_me": 2, "not_held": 5,
    "place": 3, "foreign_place": 3, "unknown_place": 3,
    "measure": 4, "category": 4, "table": 4, "dimension": 4, "source": 4,
    "intent": 5, "order": 5, "top_n": 5, "level": 5, "national": 5, "grouping": 5, "common": 5, "rate": 5,
    "followup": 6, "context": 6, "aside": 6,
    "filler": 7,
}


@dataclass(frozen=True)
class Span:
    slot: str
    start: int
    end: int
    value: Any = None
    score: float = 1.0
    extra: frozenset[int] = frozenset()      # positions outside start..end it also accounts for

    @property
    def positions(self) -> frozenset[int]:
        return frozenset(range(self.start, self.end)) | self.extra

    @property
    def tier(self) -> int:
        return TIERS[self.slot]

    def words(self, tokens: list[str]) -> str:
        return " ".join(tokens[self.start:self.end])


@dataclass
class Prepared:
    """The question as the detectors see it: the redacted text with numbers and symbols made
    plain ('1,000' -> '1000', '%' -> 'percent'), and its normalised tokens."""
    text: str
    tokens: list[str]
    original: str
    corrections: dict[int, str] = field(default_factory=dict)    # position -> the word as typed
    clauses: list[tuple[int, int]] = field(default_factory=list)  # token ranges between punctuation
    sentences: list[tuple[int, int]] = field(default_factory=list)  # token ranges between full stops, ?, !, ; or a dash

    @property
    def brackets(self) -> list[tuple[int, int]]:
        """The token ranges said inside round brackets ('autumn 2019 (Sept-Dec)': the months), as
        (first token, end)."""
        out = []
        for m in re.finditer(r"\(([^()]*)\)", self.text):
            a = len(normalise(self.text[:m.start()]).split())
            out.append((a, a + len(normalise(m.group(1)).split())))
        return out

    @classmethod
    def from_text(cls, text: str, rewrites: dict[str, str]) -> "Prepared":
        # a scale's legend said in brackets ('(1 = most deprived)'): how the figure reads, which every
        # answer says itself, not a part of what is asked
        plain = re.sub(r"\(\s*\d+\s*=\s*(?:the\s+)?(?:most|least|highest|lowest|best|worst)\b[^()]{0,30}\)", " ", text,
                       flags=re.I)
        # ... or said in words ('where 1 is the worst', 'with 1 being most deprived')
        plain = re.sub(r"(?:\b(?:where|with|and)\s+1\s+(?:is|being|=|means)|(?:(?<=[,;(])|^)\s*1\s+(?:being|=))\s+(?:the\s+)?"
                       r"(?:most|least|highest|lowest|best|worst|poorest)\b(?:\s+(?:deprived|off|area|areas|one))?", " ",
                       plain, flags=re.I)
        # 'its rank out of the 317 councils': the councils of England, however many are said
        plain = re.sub(r"\b(out of|of|among|amongst)\s+(?:the\s+|all\s+|all\s+the\s+)?(?:2[5-9][0-9]|3[0-9]{2})\s+(?:english\s+|england'?s\s+)?"
                       r"(councils|local authorities|authorities|districts|las|lower[- ]tier authorities)\b",
                       lambda m: f"{m.group(1)} all english councils", plain, flags=re.I)
        # 'how poor is my area out of 10', 'on a scale of 1 to 10': its decile (tenths of England)
        plain = re.sub(r"\b(?:out of (?:10|ten)|on a scale of (?:1|one) to (?:10|ten))\b(?!\s+(?:people|residents|"
                       r"households|homes|adults|children|kids|of)\b)", " decile ", plain, flags=re.I)
        # the markers of a question in parts ('(a) ... (b) ...', '1) ... 2) ...'): where a part
        # starts, not a word or a number of the question
        marks = iter(range(100))
        part = lambda m: " , " if next(marks) == 0 else " and "      # noqa: E731 (the parts after the first are joined)
        plain = re.sub(r"\(\s*(?:[a-hA-H]|i{1,3}|iv|vi{0,3}|\d)\s*\)\s*(?=\w)", part, plain)
        plain = re.sub(r"(?:(?<=^)|(?<=[\s,;:]))(?:[a-hA-H]|\d)\)\s+(?=\w)", part, plain)
        plain = re.sub(r"\b(\d{1,2})\s*[-\u2013]\s*(\d{1,2})s\b", r"\1-\2", plain)   # 'the 0-15s': the 0-15 age group
        plain = re.sub(r"(?<=\d),(?=\d{3}\b)", "", plain)             # 1,000 -> 1000
        plain = re.sub(r"\b(\d{1,3})k\b", r"\g<1>000", plain, flags=re.I)      # per 1k -> per 1000
        # '2015-21': a range of years written short (but '2022-23' is a financial year)
        plain = re.sub(r"\b((?:19|20)(\d\d))\s*[-\u2013]\s*(\d\d)\b",
                       lambda m: f"{m.group(1)} to {m.group(1)[:2]}{m.group(3)}"
                       if int(m.group(3)) > (int(m.group(2)) + 1) % 100 and int(m.group(3)) > int(m.group(2))
                       else m.group(0), plain)
        plain = re.sub(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])", r"\1 point \2", plain)   # 1.2 -> 1 point 2 (one figure)
        plain = re.sub(r"(\d)\s*%", r"\1 percent", plain)
        plain = re.sub(r"\b([A-Za-z]{2,6})((?:19|20)\d\d)\b", r"\1 \2", plain)   # IoD2019 -> IoD 2019 (a year)
        plain = re.sub(r"(?<![\d-])(\d{1,3})\s*[-\u2013]\s*(\d{1,3})(?![\d-])", r"\1 to \2", plain)   # 16-24 year olds
        plain = re.sub(r"\b((?:19|20)\d\d)\s*[-\u2013\u2014]\s*((?:19|20)\d\d)\b", r"\1 to \2", plain)  # 2017-2020
        plain = plain.replace("%", " percent ").replace("£", " ").replace("+", " plus ")
        plain = re.sub(r"\bper cent\b", "percent", plain, flags=re.I)
        out: list[str] = []
        clauses: list[tuple[int, int]] = []
        sentences: list[tuple[int, int]] = []
        # clauses: the pieces between punctuation or a dash, as token ranges (for context clauses);
        # sentences: the pieces between a full stop, ?, !, ; or a dash
        parts = re.split(r"([?!;:,()\n]+|\.(?=\s|$)|\s[-\u2013\u2014]+\s)", plain)
        sentence_start = 0
        for n, piece in enumerate(parts):
            if n % 2:
                if re.search(r"[?!;.\n\u2013\u2014]|\s-+\s", piece) and len(out) > sentence_start:
                    sentences.append((sentence_start, len(out)))
                    sentence_start = len(out)
                continue
            tokens = normalise(piece).split()
            start = len(out)
            i = 0
            while i < len(tokens):
                three = " ".join(tokens[i:i + 3])
                if three in rewrites and three.count(" ") == 2:
                    out += rewrites[three].split()
                    i += 3
                    continue
                two = " ".join(tokens[i:i + 2])
                if two in rewrites and " " in two:
                    out += rewrites[two].split()
                    i += 2
                    continue
                out += rewrites.get(tokens[i], tokens[i]).split()
                i += 1
            if len(out) > start:
                clauses.append((start, len(out)))
        if len(out) > sentence_start:
            sentences.append((sentence_start, len(out)))
        return cls(plain, out, text, clauses=clauses, sentences=sentences)
