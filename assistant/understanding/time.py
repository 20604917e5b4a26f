"""The time sub-language: periods as people say them, parsed from tokens with the words they
used, then resolved against the periods a dataset holds.

    years ............ 2019, mid-2018, 2022/23 (financial), "the year 2020"
    months ........... October 2019, oct 19, "in october" (year from context)
    ranges ........... from September to November 2019, Sep-Dec 2019, between 2017 and 2019
    sets ............. autumn 2019, Q4 2019, the last two months of 2019, the first 3 months of 2020
    open ............. since 2018, after October 2019, before 2020, up to November 2019
    relative ......... last year, this year, five years ago, in the last 3 years, last month
    latest ........... latest, most recent, current, now

A parsed period is a ``When``: an inclusive span of months (either end may be open), the
grain it was asked at (year or month) and the words that asked for it.  ``resolve`` matches it
to a dataset's periods: every period asked must be held (a range partly outside what is held is
not cut silently: the caller offers the part that is held), and a month asked of yearly data is
no match.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from assistant.understanding.words import Phrases, Words

Month = tuple[int, int]            # (year, month)


@dataclass(frozen=True)
class When:
    start: Month | None            # None: open at the start (before ...)
    end: Month | None              # None: open at the end (since ...)
    grain: str                     # "year" | "month" | "quarter" (only as "the latest quarter")
    words: str                     # what the person said
    kind: str = "span"             # span | set | latest | financial | mid_year | relative | open
    year_known: bool = True        # False: "in October" (the year comes from context or the data)
    members: tuple["When", ...] = ()   # kind "set": the separate periods named ('September and November 2019')

    @property
    def is_latest(self) -> bool:
        return self.kind == "latest"

    def with_year(self, year: int) -> "When":
        """A month asked without its year ('in October') placed in ``year``."""
        if self.year_known or (self.start is None and self.end is None):
            return self
        base = (self.start or self.end)[0]
        shift = year - base
        s = (self.start[0] + shift, self.start[1]) if self.start else None
        e = (self.end[0] + shift, self.end[1]) if self.end else None
        return When(s, e, self.grain, self.words, self.kind, True, tuple(m.with_year(year) for m in self.members))

    def describe(self) -> str:
        if self.kind == "set":
            parts = [m.describe() for m in self.members]
            return ", ".join(parts[:-1]) + f" and {parts[-1]}"
        if self.kind == "latest":
            return "the latest period held"
        if self.kind == "financial" and self.start:
            return f"the {self.start[0]}/{str(self.start[0] + 1)[2:]} financial year (April {self.start[0]} to March {self.start[0] + 1})"
        s, e = self.start, self.end
        if s is None and e is not None:
            return f"up to {_say(e, self.grain)}"
        if e is None and s is not None:
            return f"from {_say(s, self.grain)} onwards"
        if s is None or e is None:
            return "any period"
        if self.grain == "year":
            return str(s[0]) if s[0] == e[0] else f"{s[0]} to {e[0]}"
        if s == e:
            return _say(s, "month")
        if s[0] == e[0]:
            return f"{calendar.month_name[s[1]]} to {calendar.month_name[e[1]]} {s[0]}"
        return f"{_say(s, 'month')} to {_say(e, 'month')}"


def _say(m: Month, grain: str) -> str:
    return str(m[0]) if grain == "year" else f"{calendar.month_name[m[1]]} {m[0]}"


@dataclass(frozen=True)
class TimeSpan:
    """A period found in the question: token span and the parsed ``When``."""
    start: int
    end: int
    when: When


class TimeParser:
    """Finds periods in normalised tokens; ``today`` resolves relative periods."""

    def __init__(self, words: Words, today: dt.date | None = None):
        self.w = words
        self.today = today or dt.date.today()
        self.months = dict(words.months)
        self.seasons = {k: tuple(v) for k, v in words.seasons.names.items()}
        self.quarters = Phrases(words.quarters)
        self.quarter_months = {tuple(k.split()): tuple(v) for k, v in words.quarters.items()}
        self.numbers = dict(words.numbers)
        self.latest = Phrases(words.periods.latest)
        self.financial = Phrases(words.periods.financial)

    # -- atoms ---------------------------------------------------------------------------
    def _year(self, tok: str) -> int | None:
        if re.fullmatch(r"(19|20)\d\d", tok):
            return int(tok)
        m = re.fullmatch(r"mid((19|20)\d\d)", tok)
        if m:
            return int(m.group(1))
        return None

    def _short_year(self, tok: str) -> int | None:
        """'19' after a month ('oct 19'): 2019."""
        if re.fullmatch(r"\d\d", tok) and 0 <= int(tok) <= 40:
            return 2000 + int(tok)
        return None

    def _month(self, toks: list[str], i: int) -> int | None:
        t = toks[i]
        if t not in self.months:
            return None
        if t in ("may", "mar", "jun", "sep", "dec", "jan", "oct", "nov", "aug", "feb", "apr", "jul"):
            # 'may' is a verb, short names are words: a month only next to a year, a range word or
            # another month ('may 2019', 'sep to dec', 'between may and july')
            near = toks[max(0, i - 2):i] + toks[i + 1:i + 3]
            if not any(self._year(x) or self._short_year(x) or x in self.months or x in ("to", "until", "till", "through",
                                                                                        "and", "from", "between", "of", "in")
                       for x in near) or (t == "may" and not any(self._year(x) for x in toks[i + 1:i + 2])
                                          and not any(x in self.months for x in near)):
                return None
        return self.months[t]

    def _number(self, tok: str) -> int | None:
        if tok.isdigit() and 0 < int(tok) < 100:
            return int(tok)
        return self.numbers.get(tok)

    # -- the grammar ---------------------------------------------------------------------
    def find(self, toks: list[str]) -> list[TimeSpan]:
        out: list[TimeSpan] = []
        i = 0
        while i < len(toks):
            got = self._at(toks, i)
            if got is None:
                i += 1
                continue
            out.append(got)
            i = got.end
        return out + self._before_named(toks, out)

    BEFORE = (("the", "year", "before"), ("the", "previous", "year"), ("the", "prior", "year"), ("a", "year", "earlier"),
              ("the", "year", "earlier"), ("a", "year", "before"), ("twelve", "months", "earlier"),
              ("12", "months", "earlier"), ("the", "month", "before"), ("the", "previous", "month"),
              ("the", "prior", "month"), ("a", "month", "earlier"))

    def _before_named(self, toks: list[str], found: list[TimeSpan]) -> list[TimeSpan]:
        """'mid-2020 compared to the year before', 'October 2019 and the month before': the period
        just before the one period named (a year before a year, a month before a month)."""
        named = [s for s in found if s.when.kind in ("span", "mid_year") and s.when.start and s.when.start == s.when.end
                 or (s.when.grain == "year" and s.when.start and s.when.end and s.when.start[0] == s.when.end[0]
                     and s.when.kind in ("span", "mid_year"))]
        if len(named) != 1:
            return []
        w = named[0].when
        taken = {k for s in found for k in range(s.start, s.end)}
        for i in range(len(toks)):
            for p in self.BEFORE:
                if tuple(toks[i:i + len(p)]) != p or any(k in taken for k in range(i, i + len(p))):
                    continue
                words = " ".join(p)
                if "month" in p[1] or "month" in p:
                    if w.grain != "month":
                        continue
                    y, m = w.start
                    prev = (y, m - 1) if m > 1 else (y - 1, 12)
                    return [TimeSpan(i, i + len(p), When(prev, prev, "month", f"{words} ({calendar.month_name[prev[1]]} "
                                                                               f"{prev[0]})"))]
                if w.grain != "year":
                    continue
                y = w.start[0] - 1
                return [TimeSpan(i, i + len(p), When((y, 1), (y, 12), "year", f"{words} ({y})", w.kind))]
        return []

    def _at(self, toks: list[str], i: int) -> TimeSpan | None:
        for rule in (self._range, self._open, self._n_months_of, self._part_of_year, self._financial, self._season,
                     self._quarter, self._relative, self._latest, self._month_year, self._year_only):
            got = rule(toks, i)
            if got is not None:
                return got
        return None

    def _point(self, toks: list[str], i: int) -> tuple[When, int] | None:
        """A single period at ``i``: a month (with or without year), a year, a season, a quarter."""
        for rule in (self._financial, self._season, self._quarter, self._month_year, self._year_only):
            got = rule(toks, i)
            if got is not None:
                return got.when, got.end
        return None

    PARTS = {("late",): (9, 12), ("end", "of"): (10, 12), ("the", "end", "of"): (10, 12), ("early",): (1, 4),
             ("start", "of"): (1, 3), ("the", "start", "of"): (1, 3), ("beginning", "of"): (1, 3),
             ("the", "beginning", "of"): (1, 3), ("first", "half", "of"): (1, 6), ("second", "half", "of"): (7, 12)}
    PARTS_LONGEST_FIRST = sorted(PARTS.items(), key=lambda kv: -len(kv[0]))

    def _part_of_year(self, toks, i):
        """'late 2019' (September to December), 'the end of 2023' (October to December), 'early
        2020', 'the first half of 2019': a part of a year, said back in the answer."""
        for words, (a, b) in self.PARTS_LONGEST_FIRST:
            n = len(words)
            if tuple(toks[i:i + n]) == words and i + n < len(toks):
                y = self._year(toks[i + n])
                if y is not None:
                    return TimeSpan(i, i + n + 1, When((y, a), (y, b), "month", " ".join(toks[i:i + n + 1])))
        return None

    def _month_year(self, toks, i):
        m = self._month(toks, i)
        if m is None:
            return None
        j = i + 1
        if j < len(toks) and toks[j] == "of":
            j += 1
        y = self._year(toks[j]) if j < len(toks) else None
        if y is None and j < len(toks):
            y = self._short_year(toks[j])
        if y is not None:
            return TimeSpan(i, j + 1, When((y, m), (y, m), "month", " ".join(toks[i:j + 1])))
        return TimeSpan(i, i + 1, When((2000, m), (2000, m), "month", toks[i], year_known=False))

    def _year_only(self, toks, i):
        y = self._year(toks[i])
        if y is None and i > 0 and toks[i - 1] == "census" and toks[i] in ("11", "21"):
            # 'census 21': the 2021 census
            return TimeSpan(i, i + 1, When((2000 + int(toks[i]), 1), (2000 + int(toks[i]), 12), "year", toks[i], "span"))
        if y is None and re.fullmatch(r"1\d|2\d|3[0-5]", toks[i]) and i + 1 < len(toks) and \
                toks[i + 1] == f"{int(toks[i]) + 1:02d}" and (i == 0 or not toks[i - 1].isdigit()) and \
                (i + 2 >= len(toks) or not toks[i + 2].isdigit()):
            # '22/23': the 2022/23 financial year
            y = 2000 + int(toks[i])
            return TimeSpan(i, i + 2, When((y, 4), (y + 1, 3), "month", f"{y}/{toks[i + 1]}", "financial"))
        if y is None:
            # "mid 2018", "mid year 2018"
            if toks[i] == "mid" and i + 1 < len(toks):
                j = i + 2 if toks[i + 1] == "year" and i + 2 < len(toks) else i + 1
                y = self._year(toks[j])
                if y is not None:
                    return TimeSpan(i, j + 1, When((y, 6), (y, 6), "year", " ".join(toks[i:j + 1]), "mid_year"))
            return None
        if i + 1 < len(toks) and re.fullmatch(r"\d\d", toks[i + 1]) and int(toks[i + 1]) == (y + 1) % 100:
            # '2022 23' (2022/23): a financial year
            return TimeSpan(i, i + 2, When((y, 4), (y + 1, 3), "month", f"{y}/{toks[i + 1]}", "financial"))
        if i + 1 < len(toks) and re.fullmatch(r"0[1-9]|1[0-2]", toks[i + 1]):
            # '2024-02' (written as a year and a month number): that month
            mo = int(toks[i + 1])
            return TimeSpan(i, i + 2, When((y, mo), (y, mo), "month", f"{y}-{toks[i + 1]}"))
        kind = "mid_year" if toks[i].startswith("mid") else "span"
        return TimeSpan(i, i + 1, When((y, 1), (y, 12), "year", toks[i], kind))

    def _financial(self, toks, i):
        p = self.financial.at(toks, i)
        if not p:
            return None
        j = i + len(p)
        y = self._year(toks[j]) if j < len(toks) else None
        if y is None:
            return None
        end = j + 1
        if end < len(toks) and re.fullmatch(r"\d\d", toks[end]) and int(toks[end]) == (y + 1) % 100:
            end += 1
        return TimeSpan(i, end, When((y, 4), (y + 1, 3), "month", " ".join(toks[i:end]), "financial"))

    def _season(self, toks, i):
        t = toks[i]
        if t not in self.seasons:
            return None
        if t == "fall" and not ((i + 1 < len(toks) and self._year(toks[i + 1]) is not None) or
                                (i > 0 and toks[i - 1] in ("the", "in", "this", "last", "during"))):
            return None               # 'did crime fall': a change, not the American autumn
        j = i + 1
        if j < len(toks) and toks[j] == "of":
            j += 1
        y = self._year(toks[j]) if j < len(toks) else None
        months = self.seasons[t]
        if y is None:
            return TimeSpan(i, i + 1, When((2000, months[0]), (2000 + (months[-1] < months[0]), months[-1]), "month", t,
                                           year_known=False))
        start = (y, months[0])
        end = (y + 1, months[-1]) if months[-1] < months[0] else (y, months[-1])
        return TimeSpan(i, j + 1, When(start, end, "month", " ".join(toks[i:j + 1])))

    def _quarter(self, toks, i):
        p = self.quarters.at(toks, i)
        if not p:
            return None
        months = self.quarter_months[p]
        j = i + len(p)
        if j < len(toks) and toks[j] == "of":
            j += 1
        y = self._year(toks[j]) if j < len(toks) else None
        if y is None:
            return TimeSpan(i, i + len(p), When((2000, months[0]), (2000, months[-1]), "month", " ".join(p),
                                                year_known=False))
        return TimeSpan(i, j + 1, When((y, months[0]), (y, months[-1]), "month", " ".join(toks[i:j + 1])))

    def _n_months_of(self, toks, i):
        """'the last two months of 2019', 'first 3 months of 2020'."""
        w = self.w.periods
        if toks[i] not in w.last_n_of + w.first_n_of or i + 3 >= len(toks):
            return None
        n = self._number(toks[i + 1])
        if n is None or toks[i + 2] not in ("months", "month") or toks[i + 3] != "of" or i + 4 >= len(toks):
            return None
        y = self._year(toks[i + 4])
        if y is None or not 1 <= n <= 12:
            return None
        last = toks[i] in w.last_n_of
        start, end = ((y, 13 - n), (y, 12)) if last else ((y, 1), (y, n))
        return TimeSpan(i, i + 5, When(start, end, "month", " ".join(toks[i:i + 5])))

    def _range(self, toks, i):
        """'from X to Y', 'between X and Y', 'X to Y', 'X-Y' (normalised to 'X Y' when months)."""
        w = self.w.periods
        j = i + 1 if toks[i] in w.range_starts else i
        if j != i and j + 2 < len(toks) and toks[j] == "the" and toks[j + 1] == "mid":
            j += 1                          # 'between the mid-2017 and mid-2020 estimates'
        if j >= len(toks):
            return None
        first = self._point(toks, j)
        if first is None:
            return None
        a, k = first
        if k < len(toks) and toks[k] in w.range_joiners:
            second = self._point(toks, k + 1) if k + 1 < len(toks) else None
            if second is None and j != i and k + 3 < len(toks) and toks[k + 1] == "the" and toks[k + 2] == "mid":
                second = self._point(toks, k + 2)
        elif k < len(toks) and toks[i] not in w.range_starts and a.grain == "month" and not a.year_known:
            second = self._point(toks, k)          # 'sep dec 2019' (from 'Sep-Dec 2019')
            if second is not None and second[0].grain != "month":
                second = None
        else:
            second = None
        if second is None:
            return None
        b, end = second
        if toks[i] == "between" and toks[k] != "and":
            return None
        if k < len(toks) and toks[k] == "and" and toks[i] != "between":
            # 'September and November 2019', '2019 and 2020': two periods, not the months between
            if not a.year_known and b.year_known and b.start:
                a = a.with_year(b.start[0])
            if not (a.year_known and b.year_known) or a.start is None or b.end is None:
                return None
            return TimeSpan(i, end, When(min(a.start, b.start), max(a.end, b.end), "month" if "month" in (a.grain, b.grain)
                                         else "year", " ".join(toks[i:end]), "set", True, (a, b)))
        if not a.year_known and b.year_known and b.start:
            a = a.with_year(b.start[0] - (1 if a.start and a.start[1] > b.start[1] else 0))
        if a.start is None or b.end is None:
            return None
        grain = "year" if a.grain == b.grain == "year" else "month"
        if not (a.year_known and b.year_known) and grain == "year":
            return None
        words = " ".join(toks[i:end])
        return TimeSpan(i, end, When(a.start, b.end, grain, words, "span", a.year_known and b.year_known))

    def _open(self, toks, i):
        w = self.w.periods
        word = toks[i]
        two = " ".join(toks[i:i + 2])
        if two in ("prior to", "up to", "earlier than", "later than", "ever since"):
            n = 2
        elif word in ("since", "after", "before", "until", "till", "from"):
            n = 1
        else:
            return None
        if word == "from" and i > 0 and toks[i - 1] in ("apart", "aside", "away"):
            return None            # 'apart from December': December left out, not 'from December on'
        kind = "since" if (word in w.since or two in w.since) else "after" if (word in w.after or two in w.after) else "before"
        if word == "from":
            kind = "since"
        if i + n >= len(toks):
            return None
        got = self._point(toks, i + n)
        if got is None:
            return None
        p, end = got
        if word == "from" and end < len(toks) and toks[end] in w.range_joiners:
            return None            # 'from X to Y' is a range
        if kind == "since":
            return TimeSpan(i, end, When(p.start, None, p.grain, " ".join(toks[i:end]), "open", p.year_known))
        if kind == "after":
            s = _next(p.end, p.grain) if p.end else None
            return TimeSpan(i, end, When(s, None, p.grain, " ".join(toks[i:end]), "open", p.year_known))
        inclusive = word in ("until", "till") or two == "up to"
        e = p.end if inclusive else (_prev(p.start, p.grain) if p.start else None)
        return TimeSpan(i, end, When(None, e, p.grain, " ".join(toks[i:end]), "open", p.year_known))

    def _relative(self, toks, i):
        y, m = self.today.year, self.today.month
        w = self.w.periods
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if (t in w.relative_last or t == "final") and nxt == "month" and _of_the_data(toks, i + 2):
            # 'the last month of the police data': the latest month held, not last calendar month
            end = _of_the_data(toks, i + 2)
            return TimeSpan(i, end, When(None, None, "month", " ".join(toks[i:end]), "latest"))
        if t in w.relative_last and nxt in ("year", "month"):
            if nxt == "year":
                return TimeSpan(i, i + 2, When((y - 1, 1), (y - 1, 12), "year", f"{t} year", "relative"))
            pm = _prev((y, m), "month")
            return TimeSpan(i, i + 2, When(pm, pm, "month", f"{t} month", "relative"))
        if t == "this" and nxt in ("year", "month"):
            if nxt == "year":
                return TimeSpan(i, i + 2, When((y, 1), (y, 12), "year", "this year", "relative"))
            return TimeSpan(i, i + 2, When((y, m), (y, m), "month", "this month", "relative"))
        n = self._number(t)
        if n is not None and nxt in ("years", "year", "months", "month") and i + 2 < len(toks) and toks[i + 2] in w.ago:
            if nxt.startswith("year"):
                return TimeSpan(i, i + 3, When((y - n, 1), (y - n, 12), "year", " ".join(toks[i:i + 3]), "relative"))
            target = (y, m)
            for _ in range(n):
                target = _prev(target, "month")
            return TimeSpan(i, i + 3, When(target, target, "month", " ".join(toks[i:i + 3]), "relative"))
        if t in w.relative_last and i + 2 < len(toks):
            n = self._number(nxt)
            unit = toks[i + 2]
            if n is not None and unit in ("years", "months"):
                if unit == "years":
                    return TimeSpan(i, i + 3, When((y - n, 1), (y - 1, 12), "year", " ".join(toks[i:i + 3]), "relative"))
                start = (y, m)
                for _ in range(n):
                    start = _prev(start, "month")
                return TimeSpan(i, i + 3, When(start, _prev((y, m), "month"), "month", " ".join(toks[i:i + 3]),
                                               "relative"))
        return None

    def _latest(self, toks, i):
        p = self.latest.at(toks, i)
        if not p:
            return None
        if p == ("this", "year"):
            return None
        nxt = toks[i + len(p):i + len(p) + 1]
        if nxt == ["month"]:      # 'the latest month', 'the most recent month'
            return TimeSpan(i, i + len(p) + 1, When(None, None, "month", " ".join(toks[i:i + len(p) + 1]), "latest"))
        if nxt == ["quarter"]:    # 'the latest quarter': the last quarter held (its months, in monthly data)
            return TimeSpan(i, i + len(p) + 1, When(None, None, "quarter", " ".join(toks[i:i + len(p) + 1]), "latest"))
        if nxt in (["year"], ["period"], ["edition"], ["release"]):     # 'latest year', 'the latest period'
            return TimeSpan(i, i + len(p) + 1, When(None, None, "year", " ".join(toks[i:i + len(p) + 1]), "latest"))
        return TimeSpan(i, i + len(p), When(None, None, "year", " ".join(p), "latest"))


def _of_the_data(toks: list[str], i: int) -> int | None:
    """The end of 'of the (police) data', 'in the data', 'held', 'available' at ``i``, or None."""
    j = i
    if j < len(toks) and toks[j] in ("available", "held", "published"):
        return j + 1
    if j < len(toks) and toks[j] in ("of", "in", "on"):
        j += 1
        while j < len(toks) and toks[j] in ("the", "your", "this", "police", "crime", "street", "its"):
            j += 1
        if j < len(toks) and toks[j] in ("data", "figures", "dataset", "record", "records", "file"):
            return j + 1
    return None


def _next(m: Month, grain: str) -> Month:
    if grain == "year":
        return (m[0] + 1, 1)
    return (m[0] + 1, 1) if m[1] == 12 else (m[0], m[1] + 1)


def _prev(m: Month, grain: str) -> Month:
    if grain == "year":
        return (m[0] - 1, 12)
    return (m[0] - 1, 12) if m[1] == 1 else (m[0], m[1] - 1)


# -- resolution against what a dataset holds ---------------------------------------------------
@dataclass(frozen=True)
class Resolved:
    """``values``: the dataset's periods that answer the question; ``status``:
    exact (every period asked is held) | partial (some asked are not: ``held_part`` is the part
    that is) | none (nothing asked is held) | grain (asked by month of yearly data, or similar)."""
    values: tuple[str, ...]
    status: str
    held_part: tuple[str, ...] = ()
    note: str = ""


def period_months(value: str, granularity: str, covers: str | None = None) -> tuple[Month, Month]:
    """The span of months a dataset period covers ('2019' -> Jan..Dec 2019, '2019-10')."""
    if covers and ".." in covers:
        a, b = covers.split("..")
        return (int(a[:4]), int(a[5:7])), (int(b[:4]), int(b[5:7]))
    if len(value) >= 7 and value[4] == "-":
        y, m = int(value[:4]), int(value[5:7])
        return (y, m), (y, m)
    y = int(value[:4])
    return (y, 1), (y, 12)


def resolve(when: When | None, held: tuple[str, ...], granularity: str, covers: str | None = None) -> Resolved:
    """Which of ``held`` (a dataset's periods, oldest first) answer ``when``."""
    held = tuple(sorted(held))
    if not held:
        return Resolved((), "none")
    if when is not None and not when.year_known:
        # 'in October', 'autumn': the latest year the dataset holds that has those months
        years = sorted({int(p[:4]) for p in held}, reverse=True)
        for y in years + [years[-1] - 1 if years else 0]:
            got = resolve(when.with_year(y), held, granularity, covers)
            if got.status == "exact":
                return got
        return resolve(when.with_year(years[0]) if years else when, held, granularity, covers)
    if when is not None and when.kind == "set":
        parts = [resolve(m, held, granularity, covers) for m in when.members]
        values = tuple(sorted({v for r in parts for v in r.values}))
        if all(r.status == "exact" for r in parts):
            return Resolved(values, "exact")
        held_part = tuple(sorted({v for r in parts for v in (r.values or r.held_part)}))
        return Resolved((), "partial" if held_part else "none", held_part)
    if when is not None and when.is_latest and when.grain == "month" and granularity == "month":
        return Resolved((held[-1],), "exact")
    if when is not None and when.is_latest and when.grain == "quarter":
        if granularity == "month":
            q0 = (int(held[-1][5:7]) - 1) // 3 * 3 + 1
            return Resolved(tuple(p for p in held if p[:4] == held[-1][:4] and q0 <= int(p[5:7]) < q0 + 3), "exact")
        if granularity == "year":
            return Resolved((), "none")
    if when is None or when.is_latest:
        if granularity == "month":
            year = held[-1][:4]
            return Resolved(tuple(p for p in held if p.startswith(year)), "exact")
        return Resolved((held[-1],), "exact")
    spans = {p: period_months(p, granularity, covers if len(held) == 1 else None) for p in held}
    s, e = when.start, when.end
    if granularity == "year" and s and e and (when.kind == "mid_year" or (s[1] == 6 and e[1] == 6 and "mid" in when.words)):
        s, e = (s[0], 1), (e[0], 12)      # mid-2019 is the 2019 mid-year estimate

    def inside(p):
        a, b = spans[p]
        return (s is None or a >= s) and (e is None or b <= e)

    def overlaps(p):
        a, b = spans[p]
        return (s is None or b >= s) and (e is None or a <= e)

    if granularity == "month":
        chosen = tuple(p for p in held if inside(p))
        if not chosen:
            return Resolved((), "none")
        if when.grain == "year" and when.kind != "financial":
            # a year of monthly data: the months of it the commons holds (said in the answer)
            asked = set(range(s[0], e[0] + 1)) if s and e else None
            whole = asked is not None and all(any(p.startswith(str(y)) for p in chosen) for y in asked)
            return Resolved(chosen, "exact" if whole else "partial", chosen)
        if s is None or e is None:
            return Resolved(chosen, "exact")
        wanted = months_between(s, e)
        have = {spans[p][0] for p in chosen}
        if set(wanted) <= have:
            return Resolved(chosen, "exact")
        return Resolved((), "partial", chosen)
    if granularity == "year":
        if when.grain == "month" and when.kind not in ("financial",):
            years = {m[0] for m in (s, e) if m}
            return Resolved((), "grain", tuple(p for p in held if int(p[:4]) in years))
        chosen = tuple(p for p in held if inside(p))
        if s is None or e is None:
            return Resolved(chosen, "exact" if chosen else "none")
        asked = list(range(s[0], e[0] + 1))
        have = {int(p[:4]) for p in chosen}
        if set(asked) <= have:
            return Resolved(chosen, "exact")
        return Resolved((), "partial" if chosen else "none", chosen)
    # a fixed period: held once; the question's period must be the one it covers
    p = held[-1]
    a, b = spans[p]
    if when.kind == "financial":
        return Resolved((p,), "exact") if (s, e) == (a, b) else Resolved((), "none")
    if s is not None and e is not None and a >= s and b <= e:
        return Resolved((p,), "exact")
    if overlaps(p) and (s is None or e is None):
        return Resolved((p,), "exact")
    if overlaps(p):
        return Resolved((), "partial", (p,))
    return Resolved((), "none")


def months_between(s: Month, e: Month) -> list[Month]:
    out, cur = [], s
    while cur <= e and len(out) < 1200:
        out.append(cur)
        cur = _next(cur, "month")
    return out
