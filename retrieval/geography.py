"""Geography: the area hierarchy and a gazetteer that resolves names, codes and aliases.

LSOA (2011 / 2021) -> ward (Dec 2019 / May 2024, ONS best fit) -> local authority ->
Liverpool City Region, with England as a comparator where a dataset has it.  A ward is one
*logical* place across vintages when its name and council are the same; it has a code per
vintage.  The gazetteer never guesses between two places with the same name: it reports
the ambiguity so the assistant can ask.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from kernel.text import normalise

REGION_CODE = "E47000004"
REGION_NAME = "Liverpool City Region"
ENGLAND_CODE = "E92000001"
# LSOA boundary vintage -> the ward vintage its ONS best-fit lookup uses, and how it is named.
WARD_VINTAGE = {"2011": "2019", "2021": "2024"}
WARD_VINTAGE_NAME = {"2019": "December 2019", "2024": "May 2024"}

LEVEL_WORDS = {
    "lsoa": ("lsoa", "lsoas", "neighbourhood", "neighbourhoods", "neighborhood", "neighborhoods",
             "small area", "small areas", "super output area", "super output areas"),
    "ward": ("ward", "wards"),
    "lad": ("council", "councils", "council area", "council areas", "local authority",
            "local authorities", "borough", "boroughs", "district", "districts", "la", "las"),
}
# Ward names that are also everyday words: matched only when written with a capital or
# next to the word "ward".
COMMON_WORD_NAMES = {"central", "church", "county", "park", "heath", "hale", "ford", "grange",
                     "manor", "mersey", "victoria", "bold", "town centre", "kingsway", "newton",
                     "derby", "canning", "norwood", "highfield", "windle", "parr", "kew", "picton"}
REGION_ALIASES = ("liverpool city region", "the city region", "city region", "lcr", "merseyside",
                  "the region", "liverpool city region combined authority", "the lcr",
                  "whole city region", "all six councils", "the six boroughs")
ENGLAND_ALIASES = ("england", "national average", "the national average",
                   "the country", "english average", "england average")


@dataclass(frozen=True)
class Place:
    key: str                    # stable id: "lad:E08000012", "ward:E08000012:everton", ...
    name: str
    level: str                  # lsoa | ward | lad | region | country
    codes: tuple[tuple[str, str], ...]   # (vintage, code); vintage "*" for any
    lad_code: str | None = None
    lad_name: str | None = None

    def code_for(self, vintage: str) -> str | None:
        for v, c in self.codes:
            if v == vintage or v == "*":
                return c
        return None

    @property
    def any_code(self) -> str:
        return self.codes[-1][1]

    @property
    def display(self) -> str:
        if self.level == "ward":
            return f"{self.name} ward ({self.lad_name})"
        if self.level == "lsoa":
            return f"{self.name} (LSOA)"
        return self.name

    @property
    def parent_key(self) -> str | None:
        if self.level in ("ward", "lsoa"):
            return f"lad:{self.lad_code}"
        if self.level == "lad":
            return f"region:{REGION_CODE}"
        if self.level == "region":
            return f"country:{ENGLAND_CODE}"
        return None


@dataclass(frozen=True)
class PlaceMatch:
    span: tuple[int, int]        # token span in the normalised question
    text: str
    candidates: tuple[Place, ...]
    fuzzy: bool = False
    # Token positions of a council that only says which council the place is in ('Church ward in
    # Sefton', 'Liverpool City Centre North ward'): part of this place's name, never a second place.
    qualifier: tuple[int, ...] = ()

    @property
    def positions(self) -> set[int]:
        """Every token position this place accounts for: its name and its qualifying council."""
        return set(range(*self.span)) | set(self.qualifier)

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


@dataclass
class Gazetteer:
    places: dict[str, Place]
    names: dict[str, list[str]] = field(default_factory=dict)   # normalised name -> keys

    @classmethod
    def from_lookups(cls, raw_dir: Path) -> "Gazetteer":
        raw_dir = Path(raw_dir)
        places: dict[str, Place] = {}
        ward_codes: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        ward_names: dict[tuple[str, str], str] = {}
        lads: dict[str, str] = {}
        lsoa_codes: dict[str, dict[str, str]] = defaultdict(dict)
        lsoa_lad: dict[str, tuple[str, str]] = {}
        for row in _rows(raw_dir / "lookup_lsoa11_ward19_lad19_lcr.csv"):
            key = (row["lad19cd"], normalise(row["wd19nm"]))
            ward_codes[key]["2019"] = row["wd19cd"]
            ward_names.setdefault(key, row["wd19nm"].replace("&", "and"))
            lads[row["lad19cd"]] = row["lad19nm"]
            lsoa_codes[row["lsoa11nm"]]["2011"] = row["lsoa11cd"]
            lsoa_lad[row["lsoa11nm"]] = (row["lad19cd"], row["lad19nm"])
        for row in _rows(raw_dir / "lookup_lsoa21_ward24_lad24_lcr.csv"):
            key = (row["lad24cd"], normalise(row["wd24nm"]))
            ward_codes[key]["2024"] = row["wd24cd"]
            ward_names[key] = row["wd24nm"].replace("&", "and")
            lsoa_codes[row["lsoa21nm"]]["2021"] = row["lsoa21cd"]
            lsoa_lad[row["lsoa21nm"]] = (row["lad24cd"], row["lad24nm"])
        for code, name in lads.items():
            places[f"lad:{code}"] = Place(f"lad:{code}", name, "lad", (("*", code),), code, name)
        for (lad, norm), codes in ward_codes.items():
            key = f"ward:{lad}:{norm.replace(' ', '_')}"
            places[key] = Place(key, ward_names[(lad, norm)], "ward",
                                tuple(sorted(codes.items())), lad, lads[lad])
        for name, codes in lsoa_codes.items():
            lad, lad_name = lsoa_lad[name]
            key = f"lsoa:{name}"
            places[key] = Place(key, name, "lsoa", tuple(sorted(codes.items())), lad, lad_name)
        places[f"region:{REGION_CODE}"] = Place(f"region:{REGION_CODE}", REGION_NAME, "region",
                                                (("*", REGION_CODE),))
        places[f"country:{ENGLAND_CODE}"] = Place(f"country:{ENGLAND_CODE}", "England", "country",
                                                  (("*", ENGLAND_CODE),))
        gaz = cls(places)
        gaz._index()
        return gaz

    def _index(self) -> None:
        names: dict[str, list[str]] = defaultdict(list)
        for p in self.places.values():
            keys = {normalise(p.name)}
            keys |= {normalise(c) for _, c in p.codes}
            if p.level == "lad":
                keys.add(normalise(p.name.replace(".", "")))
                keys |= {normalise(p.name) + s for s in (" council", " borough", " borough council",
                                                          " metropolitan borough", " council area")}
            if p.level == "region":
                keys |= {normalise(a) for a in REGION_ALIASES}
            if p.level == "country":
                keys |= {normalise(a) for a in ENGLAND_ALIASES}
            for k in keys:
                if p.key not in names[k]:
                    names[k].append(p.key)
        self.names = dict(names)
        self.words = {w for n in self.names for w in n.split()}
        self.word_list = sorted(w for w in self.words if len(w) >= 4 and w.isalpha())
        self._fuzzy_choices = [n for n in self.names if len(n) >= 5 and not re.search(r"\d", n)]

    # -- lookups -----------------------------------------------------------------------
    def get(self, key: str) -> Place:
        return self.places[key]

    def parent(self, place: Place) -> Place | None:
        key = place.parent_key
        return self.places.get(key) if key else None

    def lads(self) -> list[Place]:
        return sorted((p for p in self.places.values() if p.level == "lad"), key=lambda p: p.name)

    def region(self) -> Place:
        return self.places[f"region:{REGION_CODE}"]

    def england(self) -> Place:
        return self.places[f"country:{ENGLAND_CODE}"]

    def by_code(self, code: str) -> Place | None:
        keys = self.names.get(normalise(code), [])
        return self.places[keys[0]] if keys else None

    # -- finding places in text --------------------------------------------------------
    def find(self, original: str, tokens: list[str], blocked: set[int] = frozenset(),
             fuzzy_cutoff: int = 88) -> list[PlaceMatch]:
        """Longest-first n-gram matching over ``tokens`` (normalised words).

        ``blocked`` token positions (already used by measure words) are never part of a
        place.  Exact names first; then, for leftover capitalised or long words, a fuzzy
        match (typos) above ``fuzzy_cutoff``.
        """
        matches: list[PlaceMatch] = []
        used = set(blocked)
        n = len(tokens)
        capitalised = _capitalised_words(original)
        for size in range(min(6, n), 0, -1):
            for i in range(n - size + 1):
                span = range(i, i + size)
                if any(j in used for j in span):
                    continue
                text = " ".join(tokens[i:i + size])
                keys = self.names.get(text)
                if not keys:
                    continue
                if text in COMMON_WORD_NAMES and not (
                        text.split()[0] in capitalised or _near_ward(tokens, i, size)):
                    continue
                matches.append(PlaceMatch((i, i + size), text, tuple(self.places[k] for k in keys)))
                used.update(span)
        # Fuzzy pass for typos ("wirrall", "knowsly", "everon ward").
        for size in (3, 2, 1):
            for i in range(n - size + 1):
                span = range(i, i + size)
                if any(j in used for j in span):
                    continue
                text = " ".join(tokens[i:i + size])
                if len(text) < 5 or text in _STOPWORDS or re.search(r"\d", text):
                    continue
                # two letters swapped ('knowsely') scores below the cutoff as edits: looked up as such
                swapped = next((w for w in (text[:k] + text[k + 1] + text[k] + text[k + 2:]
                                            for k in range(len(text) - 1) if text[k] != text[k + 1])
                                if w in self.names), None)
                hit = (swapped,) if swapped else process.extractOne(text, self._fuzzy_choices, scorer=fuzz.ratio,
                                                                    score_cutoff=fuzzy_cutoff)
                if not hit:
                    continue
                name = hit[0]
                if name in COMMON_WORD_NAMES:
                    continue
                keys = self.names[name]
                matches.append(PlaceMatch((i, i + size), name, tuple(self.places[k] for k in keys),
                                          fuzzy=True))
                used.update(span)
        matches.sort(key=lambda m: m.span)
        return _qualify(matches, tokens)

    def search(self, text: str, limit: int = 8) -> list[Place]:
        """Places whose names look like ``text`` (for suggestions)."""
        hits = process.extract(normalise(text), list(self.names), scorer=fuzz.WRatio, limit=limit)
        seen: list[Place] = []
        for name, _score, _ in hits:
            for k in self.names[name]:
                if self.places[k] not in seen:
                    seen.append(self.places[k])
        return seen[:limit]


def _qualify(matches: list[PlaceMatch], tokens: list[str] = ()) -> list[PlaceMatch]:
    """A council named with a ward or neighbourhood in it says which one is meant: it narrows an
    ambiguous name anywhere in the question ('Church ward ... Sefton'), and qualifies any ward
    written next to it ('Liverpool City Centre North ward', 'Everton ward in Liverpool',
    'Church ward, Sefton').  Either way the council is kept as the match's ``qualifier`` (its
    words explain themselves), not as a second place to compare with."""
    lad_matches = [m for m in matches if not m.ambiguous and m.candidates[0].level == "lad"]
    consumed: set[int] = set()
    for idx, m in enumerate(matches):
        if m.candidates[0].level in ("region", "country", "lad"):
            continue
        for lm in lad_matches:
            if id(lm) in consumed:
                continue
            lad = lm.candidates[0]
            narrowed = tuple(c for c in m.candidates if c.lad_code == lad.lad_code)
            if not narrowed:
                continue
            narrows = m.ambiguous and len(narrowed) < len(m.candidates)
            if not (narrows or _attached(tokens, m.span, lm.span)):
                continue
            between = range(min(m.span[1], lm.span[1]), max(m.span[0], lm.span[0]))
            joined = tuple(sorted(set(range(*lm.span))
                                  | (set(between) if _attached(tokens, m.span, lm.span) else set())))
            matches[idx] = PlaceMatch(m.span, m.text, narrowed, m.fuzzy, m.qualifier + joined)
            consumed.add(id(lm))
            break
    # A name that is both a place at several levels (e.g. an LSOA code typed twice) keeps
    # the broadest unless a level word says otherwise: handled by the planner.
    return [m for m in matches if id(m) not in consumed]


# Words that may stand between a ward and the council it is in ('Everton ward in Liverpool').
_IN_COUNCIL = frozenset({"ward", "wards", "in", "of", "within", "inside", "lsoa", "neighbourhood",
                         "area", "the"})


def _attached(tokens, place_span: tuple[int, int], lad_span: tuple[int, int]) -> bool:
    """Is the council written as part of the place's name: right before it ('Sefton Church
    ward') or after it with only 'ward', 'in', 'of' between ('Church ward in Sefton')?"""
    if not tokens:
        return False
    if lad_span[1] == place_span[0]:
        return True
    if lad_span[0] >= place_span[1]:
        return all(t in _IN_COUNCIL for t in tokens[place_span[1]:lad_span[0]])
    return False


def _near_ward(tokens: list[str], i: int, size: int) -> bool:
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[i + size] if i + size < len(tokens) else ""
    return "ward" in (before, after) or "wards" in (before, after)


def _capitalised_words(original: str) -> set[str]:
    return {normalise(w) for w in re.findall(r"\b[A-Z][a-zA-Z'\-]*", original)}


_STOPWORDS = {"what", "which", "where", "about", "there", "their", "population", "people",
              "compare", "versus", "between", "highest", "lowest", "number", "average",
              "score", "scores", "crime", "crimes", "deprived", "deprivation", "council",
              "councils", "wards", "total", "summary", "share", "percentage", "residents",
              "households", "health", "index", "ranking", "would", "could", "should", "local",
              "areas", "profile", "latest", "month", "years", "older", "young", "children",
              "homeless", "homelessness", "street", "doctor", "doctors", "patients", "density",
              "rural", "urban", "rented", "renting", "owned", "tenure", "disabled", "ethnic",
              "income", "employment", "education", "living", "environment", "barriers",
              "housing", "severity", "trend", "change", "changed", "breakdown", "across", "within",
              "tell", "show", "give", "list", "every", "each", "many", "much", "more", "less",
              "most", "least", "fewest", "biggest", "largest", "smallest", "worst", "best",
              "bottom", "england", "region", "please", "thanks", "hello", "whats", "since",
              "during", "after", "before", "lives", "live", "level", "levels", "ranked", "poorest",
              "richest", "poverty", "overall", "ward", "borough", "district", "neighbourhood"}


def _rows(path: Path):
    with Path(path).open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)
