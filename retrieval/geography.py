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
import threading
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
                   "the country", "english average", "england average", "the rest of england", "rest of england",
                   "the rest of the country", "rest of the country")


@dataclass(frozen=True)
class Place:
    key: str                    # stable id: "lad:E08000012", "ward:E08000012:everton", ...
    name: str
    level: str                  # lsoa | ward | town | lad | region | country
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
        if self.level == "town":
            return f"{self.name} (town)"
        return self.name

    @property
    def parent_key(self) -> str | None:
        if self.level in ("ward", "lsoa", "town"):
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
    # other names of places: a postcode district ("l4") -> the wards its postcodes are in
    aliases: dict[str, list[str]] = field(default_factory=dict)
    postcodes: "Postcodes | None" = None
    ward_of_lsoa21: dict[str, str] = field(default_factory=dict)    # LSOA 2021 code -> its best-fit ward's key

    @classmethod
    def from_lookups(cls, raw_dir: Path, geo_dir: Path | None = None) -> "Gazetteer":
        """``raw_dir``: the LSOA / ward / council lookups; ``geo_dir`` (default: beside it): the
        built-up-area lookup the towns come from (``towns``)."""
        raw_dir = Path(raw_dir)
        geo_dir = Path(geo_dir) if geo_dir is not None else raw_dir.parent / "geo"
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
        ward_of: dict[str, str] = {}          # LSOA 2021 code -> its best-fit ward's key
        for row in _rows(raw_dir / "lookup_lsoa21_ward24_lad24_lcr.csv"):
            key = (row["lad24cd"], normalise(row["wd24nm"]))
            ward_of[row["lsoa21cd"]] = f"ward:{key[0]}:{key[1].replace(' ', '_')}"
            ward_codes[key]["2024"] = row["wd24cd"]
            ward_names[key] = row["wd24nm"].replace("&", "and")
            lsoa_codes[row["lsoa21nm"]]["2021"] = row["lsoa21cd"]
            lsoa_lad[row["lsoa21nm"]] = (row["lad24cd"], row["lad24nm"])
        renamed = raw_dir / "lookup_lsoa11_lsoa21_lad22_lcr.csv"
        if renamed.exists():
            for row in _rows(renamed):
                # an LSOA whose code did not change but whose name did (019D in 2011, 024B in 2021) is
                # the same area: its 2021 name holds its 2011 code too (found from a postcode, it is
                # answered from data on either boundaries)
                if row["lsoa11cd"] == row["lsoa21cd"] and row["lsoa11nm"] != row["lsoa21nm"] \
                        and row["lsoa21nm"] in lsoa_codes:
                    lsoa_codes[row["lsoa21nm"]].setdefault("2011", row["lsoa11cd"])
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
        councils = {normalise(n) for n in lads.values()}
        for town in towns(geo_dir):
            # a town named like a council is the council; one named like a ward (Wallasey, Heswall)
            # is both, so the bare name asks which is meant ('Wallasey town' or 'Wallasey ward' does not)
            if normalise(town.name) not in councils:
                places[f"town:{town.code}"] = Place(f"town:{town.code}", town.name, "town", (("*", town.code),),
                                                    town.lad_code, lads.get(town.lad_code, town.lad_code))
        places[f"region:{REGION_CODE}"] = Place(f"region:{REGION_CODE}", REGION_NAME, "region",
                                                (("*", REGION_CODE),))
        places[f"country:{ENGLAND_CODE}"] = Place(f"country:{ENGLAND_CODE}", "England", "country",
                                                  (("*", ENGLAND_CODE),))
        postcodes = Postcodes(geo_dir / POSTCODE_FILE)
        aliases: dict[str, list[str]] = {}
        if postcodes.available:
            for district, lsoas in postcodes.districts().items():
                keys = sorted({ward_of[c] for c in lsoas if c in ward_of and ward_of[c] in places},
                              key=lambda k: places[k].name)
                if keys:
                    aliases[normalise(district)] = keys
        gaz = cls(places, aliases=aliases, postcodes=postcodes, ward_of_lsoa21=ward_of)
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
            if p.level == "town":
                keys |= {normalise(p.name) + " town", "town of " + normalise(p.name)}
            if p.level == "ward":
                keys.add(normalise(p.name) + " ward")
            if p.level == "region":
                keys |= {normalise(a) for a in REGION_ALIASES}
            if p.level == "country":
                keys |= {normalise(a) for a in ENGLAND_ALIASES}
            for k in keys:
                if p.key not in names[k]:
                    names[k].append(p.key)
        for alias, keys in self.aliases.items():
            if alias not in names:
                names[alias] = list(keys)
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

    def inside(self, part: Place, whole: Place) -> bool:
        """Is ``whole`` one of the areas ``part`` lies within (its council, the city region, ...)?"""
        p = self.parent(part)
        while p is not None:
            if p.key == whole.key:
                return True
            p = self.parent(p)
        return False

    def areas_in(self, level: str, whole: Place, vintage: str | None = None) -> list[Place]:
        """The areas of ``level`` inside ``whole``, by name: for a dataset of one boundary ``vintage``,
        one place per code of that vintage (a neighbourhood whose code outlived a renaming is two
        places, one named as in each vintage: the one named in ``vintage`` is kept)."""
        inner = [p for p in self.places.values() if p.level == level and self.inside(p, whole)]
        if vintage is not None:
            by_code: dict[str, Place] = {}
            for p in inner:
                code = p.code_for(vintage)
                if code is None:
                    continue
                own = max(v for v, _ in p.codes) == vintage      # the place named in that vintage
                if code not in by_code or own:
                    by_code[code] = p
            inner = list(by_code.values())
        return sorted(inner, key=lambda p: p.name)

    def lads(self) -> list[Place]:
        return sorted((p for p in self.places.values() if p.level == "lad"), key=lambda p: p.name)

    def ward_of(self, place: Place) -> Place | None:
        """The best-fit ward (May 2024) of a neighbourhood (LSOA 2021)."""
        key = self.ward_of_lsoa21.get(place.code_for("2021") or "")
        return self.places.get(key) if key else None

    def containing(self, place: Place, level: str) -> Place | None:
        """The area of ``level`` that ``place`` lies in (itself at its own level): a neighbourhood's
        best-fit ward, a neighbourhood's, ward's or town's council; None when there is none."""
        if place.level == level:
            return place
        if level == "ward" and place.level == "lsoa":
            return self.ward_of(place)
        if level == "lad" and place.level in ("lsoa", "ward", "town"):
            return self.parent(place)
        return None

    def region(self) -> Place:
        return self.places[f"region:{REGION_CODE}"]

    def england(self) -> Place:
        return self.places[f"country:{ENGLAND_CODE}"]

    def by_code(self, code: str, vintage: str | None = None) -> Place | None:
        """The place with this code (of the boundary ``vintage`` when one is given and held: an
        unchanged LSOA keeps its code but has a name in each vintage)."""
        keys = self.names.get(normalise(code), [])
        if vintage is not None:
            own = [k for k in keys if (vintage, code) in self.places[k].codes]
            keys = own or keys
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
                        text.split()[0] in capitalised or _near_ward(tokens, i, size) or _said_as_place(tokens, i, size)):
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
                if text.endswith("s") and text not in self.names and len(text) > 5:
                    text = text[:-1]      # a possessive said with a typo ('Knowlsey's')
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


# -- towns people use ------------------------------------------------------------------------
TOWN_FILE = "msoa11_to_bua11_lcr.csv"


@dataclass(frozen=True)
class Town:
    """A town of the ONS built-up-area lookup: its sub-division where there is one, else the
    built-up area; made of whole MSOAs (2011) by best fit, so its figures are approximate."""
    code: str
    name: str
    lad_code: str                   # the council most of its MSOAs are in
    msoas: tuple[str, ...]          # MSOA names ("Knowsley 006"); an LSOA's is its name less the letter


def towns(geo_dir: Path) -> list[Town]:
    """The towns of ``geo_dir``'s built-up-area lookup (none when the file is not there).  A town
    of one MSOA is left to its ward; one named like a council is that council."""
    path = Path(geo_dir) / TOWN_FILE
    if not path.exists():
        return []
    parts: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for row in _rows(path):
        code, name = (row["BUASD11CD"], row["BUASD11NM"]) if row.get("BUASD11CD") else (row["BUA11CD"], row["BUA11NM"])
        if not code:
            continue
        name = re.sub(r"\s+BUA(?:SD)?$", "", name.strip())
        parts[(code, name)].append((row["MSOA11NM"], row["LAD11CD"]))
    out = []
    for (code, name), msoas in sorted(parts.items(), key=lambda kv: kv[0][1]):
        if len(msoas) < 2 or "/" in name or name.lower().startswith("greater "):
            continue
        lads = [lad for _, lad in msoas]
        out.append(Town(code, name, max(sorted(set(lads)), key=lads.count), tuple(sorted(m for m, _ in msoas))))
    return out


# -- postcodes ------------------------------------------------------------------------------
POSTCODE_FILE = "postcodes_nspl21_aug2024_lcr.csv"
# A full UK postcode, spaced or not ("L4 0TH", "l40th"); its outward code alone is a district.
UNIT_POSTCODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,2}\d[A-Za-z\d]?)\s*(\d[A-Za-z]{2})(?![A-Za-z0-9])")


# The UK's postcode areas (Royal Mail); an outward code with a letter after its digit ("SW1A")
# is only ever in central London.  "pr1c1ng" and "r3s3ll" are look-alike words, not postcodes.
POSTCODE_AREAS = frozenset(
    "AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC EH EN "
    "EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS LU M ME MK "
    "ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY "
    "TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE".split())
_LETTERED_AREAS = frozenset({"E", "EC", "N", "NW", "SE", "SW", "W", "WC"})
_INWARD = re.compile(r"\d[ABD-HJLNP-UW-Z]{2}")


def postcode_shaped(outward: str, inward: str) -> bool:
    """Could ``outward inward`` be a real UK postcode (area, district, inward letters)?"""
    outward, inward = outward.upper(), inward.upper()
    m = re.fullmatch(r"([A-Z]{1,2})(\d{1,2})([A-Z]?)", outward) or re.fullmatch(r"([A-Z]{1,2})(\d)([A-Z])", outward)
    if not m or m.group(1) not in POSTCODE_AREAS or not _INWARD.fullmatch(inward):
        return False
    return not m.group(3) or m.group(1) in _LETTERED_AREAS


def postcode_key(outward: str, inward: str) -> str:
    return f"{outward.upper()} {inward.upper()}"


class Postcodes:
    """The ONS postcode lookup of the six councils (NSPL, postcode -> LSOA 2021), read on first
    use.  Only ever asked for the area of a postcode: the postcode itself is kept nowhere."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._units: dict[str, str] | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.path.exists()

    def _load(self) -> dict[str, str]:
        with self._lock:
            if self._units is None:
                units: dict[str, str] = {}
                if self.available:       # plain lines: 64,000 of them, read at start-up for the districts
                    with self.path.open(encoding="utf-8") as f:
                        header = f.readline().strip().split(",")
                        pc, ls = header.index("postcode"), header.index("lsoa21cd")
                        for line in f:
                            cells = line.rstrip("\n").split(",")
                            units[cells[pc].strip().upper()] = cells[ls]
                self._units = units
            return self._units

    def lsoa(self, postcode: str) -> str | None:
        m = UNIT_POSTCODE.fullmatch(postcode.strip())
        return self._load().get(postcode_key(m.group(1), m.group(2))) if m else None

    def districts(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for unit, lsoa in self._load().items():
            out[unit[:unit.find(" ")]].add(lsoa)
        return dict(out)

    def areas(self) -> set[str]:
        """The postcode areas (letters) the lookup covers: L, CH, WA, PR."""
        return {re.match(r"[A-Z]+", d).group(0) for d in self.districts()}


@dataclass(frozen=True)
class Located:
    """A question with its full postcodes replaced by the neighbourhoods they are in."""
    text: str
    areas: tuple[Place, ...] = ()
    problem: str | None = None        # a postcode that cannot be placed: said back without it


# The larger area a postcode lies in, asked for by name around it: 'the ward (that|which) <pc> is
# in', 'the ward of/for/containing <pc>', "<pc>'s ward"; a council, borough or local authority the same.
_LARGER = {"ward": r"ward", "lad": r"(?:council|borough|local\s+authority|district\s+council|la)"}
_CUE_BEFORE = {lvl: re.compile(rf"(?:\bthe\s+)?\b{w}\s+(?:(?:that|which)\s+|(?P<prep>of|for|containing|covering|with)\s+)?"
                               rf"(?:the\s+)?(?:post\s?code\s+)?$", re.I)
               for lvl, w in _LARGER.items()}
_CUE_AFTER_IN = re.compile(r"^\s+(?:is|falls|sits|lies|comes)\s+(?:in|within|under)\b", re.I)
_CUE_AFTER_OWN = {lvl: re.compile(rf"^(?:'s|\u2019s)?\s+{w}\b", re.I) for lvl, w in _LARGER.items()}


def _larger_area_asked(before: str, after: str) -> tuple[str, str, str] | None:
    """(level, the cue's text before the postcode, after it) when the words around a postcode ask
    for its ward or council rather than the postcode's own neighbourhood."""
    for level in _LARGER:
        cue = _CUE_BEFORE[level].search(before)
        if cue and re.search(r"\b(?:which|what)\s*$", before[:cue.start()], re.I):
            cue = None           # 'which ward L32 8UZ is in' asks where it is: the location answers
        if cue:
            # 'the ward for <pc>' says so by itself; 'the ward (that) <pc> is in' needs its 'is in'
            tail = None if cue.group("prep") else _CUE_AFTER_IN.match(after)
            if cue.group("prep") or tail:
                return level, cue.group(0), tail.group(0) if tail else ""
        own = _CUE_AFTER_OWN[level].match(after)
        if own:
            return level, "", own.group(0)
    return None


def locate_postcodes(text: str, gaz: "Gazetteer") -> Located:
    """Replace every full postcode in ``text`` by its neighbourhood's name (LSOA 2021), before the
    question is screened, planned or kept; 'postcode' / 'post code' written before it goes too
    unless it is the person's own ('my postcode is ...' reads as where they live)."""
    pcs = gaz.postcodes
    if pcs is None or not pcs.available or not UNIT_POSTCODE.search(text):
        return Located(text)
    areas: list[Place] = []
    problem = None
    out, last = [], 0
    lead = re.compile(r"(?:\b(?:the|a|at|for)\s+)?\bpost\s?code\s*(?:is\b|of\b|:|=)?\s*$", re.I)
    for m in UNIT_POSTCODE.finditer(text):
        outward = m.group(1).upper()
        if not postcode_shaped(m.group(1), m.group(2)):
            continue
        code = pcs.lsoa(m.group(0))
        place = gaz.by_code(code, "2021") if code else None
        before = raw = text[last:m.start()]
        own = re.search(r"\b(?:my|our)\s+post\s?code\s*(?:is\b|:)?\s*$", before, re.I)
        if not own:
            cut = lead.search(before)
            if cut:
                before = before[:cut.start()] + ("at " if re.match(r"\s*(?:at|for)\b", cut.group(0), re.I) else "")
        after = text[m.end():]
        larger = None if place is None else _larger_area_asked(raw, after)
        if larger is not None:
            # 'the ward that L32 8UZ is in', 'the council for WA10 1AB', "L32 8UZ's ward": the
            # question is about the larger area the postcode lies in, not its neighbourhood
            level, cue_before, cue_after = larger
            area = gaz.containing(place, level)
            if area is not None:
                out.append(raw[:len(raw) - len(cue_before)])
                out.append(_said(area))
                areas.append(place)
                last = m.end() + len(cue_after)
                continue
        out.append(before)
        if place is None:
            letters = re.match(r"[A-Z]+", outward).group(0)
            problem = (f"That postcode is not in the ONS postcode lookup for the Liverpool City Region (it may be new, "
                       f"or just outside the six councils)." if letters in pcs.areas() else
                       "That postcode is outside the Liverpool City Region: the commons covers the six councils "
                       "(Halton, Knowsley, Liverpool, Sefton, St Helens and Wirral).")
            out.append("<UK_POSTCODE>")
        else:
            areas.append(place)
            out.append(place.name)
        last = m.end()
    out.append(text[last:])
    located = "".join(out)
    placed = tuple(dict.fromkeys(areas))
    if len(placed) == 1:
        # 'my postcode is L32 8UZ, how deprived is my ward?', '... in that ward': the ward (council)
        # spoken of is the one the postcode lies in, named so, never the neighbourhood's figure instead
        said = _SPOKEN_LARGER.sub(lambda w: _spoken_larger(w, placed[0], gaz), located)
        if said != located:
            # ... and 'my postcode is <its neighbourhood>' then only said where the person lives
            said = re.sub(rf"\b(?:my|our)\s+post\s?code\s*(?:is\b|:)?\s*{re.escape(placed[0].name)}\s*(?:[,.;:-]+\s*|\s+and\s+)?",
                          "", said, flags=re.I)
        located = said
    return Located(located, placed, problem)


_SPOKEN_LARGER = re.compile(r"\b(?:my|our|that|this|the|its|their)\s+(?:local\s+)?(ward|council|borough|local\s+authority)\b"
                         r"(?!\s+(?:that|which|for|of|containing|covering)\b)", re.I)


def _spoken_larger(m: re.Match, place: "Place", gaz: "Gazetteer") -> str:
    area = gaz.containing(place, "ward" if m.group(1).lower() == "ward" else "lad")
    return _said(area) if area is not None else m.group(0)


def _said(area: "Place") -> str:
    """An area as a question names it ('Whitefield ward', 'Knowsley')."""
    return f"{area.name} ward" if area.level == "ward" else area.name


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
    if lad_span[1] < place_span[0] <= lad_span[1] + 2:
        # 'Liverpool's old Central ward': a word for which boundaries between
        return all(t in ("old", "former", "new", "s", "the") for t in tokens[lad_span[1]:place_span[0]])
    if lad_span[0] >= place_span[1]:
        return all(t in _IN_COUNCIL for t in tokens[place_span[1]:lad_span[0]])
    return False


def _near_ward(tokens: list[str], i: int, size: int) -> bool:
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[i + size] if i + size < len(tokens) else ""
    return "ward" in (before, after) or "wards" in (before, after)


def _said_as_place(tokens: list[str], i: int, size: int) -> bool:
    """'and in ford?', 'most common in ford that month': a name that is also a word, said where
    only a place goes (after 'in', at the end of the question or before 'that'/'then')."""
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[i + size] if i + size < len(tokens) else ""
    return before in ("in", "for", "about", "at") and after in ("", "that", "then", "too", "instead", "please", "pls")


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
