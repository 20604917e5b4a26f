"""PII detection on the real Presidio analyzer, offline.

Entities (Presidio's own names):

    EMAIL_ADDRESS   e-mail addresses (Presidio's recogniser; tldextract kept offline)
    PHONE_NUMBER    GB phone numbers: Presidio's phonenumbers recogniser (region GB) plus a
                    GB-shaped pattern for numbers it rejects (e.g. Ofcom drama ranges 07700 900xxx)
    UK_NHS          NHS numbers, check digit verified
    UK_NINO         National Insurance numbers (valid prefixes only)
    UK_POSTCODE     full UK postcodes ("L8 7SS", "l87ss"); never outcodes alone ("L8") or ONS
                    codes ("E01006512")
    PERSON          names: by default a spaCy pipeline built locally from ``spacy.blank("en")``
                    and an ``entity_ruler`` (a first-name / surname gazetteer under
                    ``guardrails/pii_names/`` and context patterns such as "my name is X",
                    "Dr X", "patient X Y"); ``Settings.spacy_model`` (COMMONS_SPACY_MODEL)
                    names an installed spaCy model or a folder to use instead (real NER).

Each span gets one entity: overlapping results (Presidio's NHS recogniser and the phone
recogniser on the same digits, a name inside an e-mail address) are resolved to the longest
span, then by a fixed priority.  Place names of the Liverpool City Region (wards, local
authorities, LSOA names from ``data/raw/lookup_*.csv``) are never reported as PERSON.

A ``Finding`` holds the entity type and offsets only, never the matched value.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import random
import re
import shutil
import sys
import tempfile
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from assistant.errors import CommonsError, ConfigError

log = logging.getLogger(__name__)

ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "UK_NHS", "UK_NINO", "UK_POSTCODE", "PERSON")
# Overlap resolution: the longest span wins; on equal length, the earlier entity here.
_PRIORITY = {e: i for i, e in enumerate(("EMAIL_ADDRESS", "UK_NHS", "UK_NINO", "PHONE_NUMBER",
                                         "UK_POSTCODE", "PERSON"))}
NAMES_DIR = Path(__file__).resolve().parent / "pii_names"
REPO_ROOT = Path(__file__).resolve().parents[1]
PIPELINE_VERSION = "commons-names-1"


# -- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    entity: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class ColumnScan:
    column: str
    entity: str | None
    share: float
    sampled: int
    counts: dict[str, int] = field(default_factory=dict)


class PiiError(CommonsError):
    """The PII scanner failed on a text (the text itself is never part of the message)."""


# -- word lists ------------------------------------------------------------------------------
def _read_list(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def first_names() -> list[str]:
    return sorted({n.lower() for n in _read_list(NAMES_DIR / "first_names.txt")})


def surnames() -> list[str]:
    return sorted({n.lower() for n in _read_list(NAMES_DIR / "surnames.txt")})


# Places the commons talks about that are not wards or local authorities.
EXTRA_PLACES = (
    "Liverpool", "Liverpool City Region", "Merseyside", "Wirral", "Knowsley", "Sefton", "Halton",
    "St Helens", "St. Helens", "Saint Helens", "Kirkby", "Bootle", "Southport", "Formby", "Crosby",
    "Maghull", "Huyton", "Prescot", "Birkenhead", "Wallasey", "Widnes", "Runcorn", "Everton",
    "Anfield", "Speke", "Walton", "Clubmoor", "Old Swan", "Norris Green", "Princes Park",
    "Toxteth", "Kensington", "Wavertree", "Aigburth", "Garston", "Woolton", "Childwall",
    "Croxteth", "Fazakerley", "Tuebrook", "Stoneycroft", "Dingle", "Kirkdale", "Vauxhall",
    "Edge Hill", "Allerton", "Belle Vale", "Netherley", "Halewood", "Whiston", "Rainhill",
    "Newton-le-Willows", "Earlestown", "Haydock", "Billinge", "Eccleston", "Thatto Heath",
    "Hoylake", "West Kirby", "Heswall", "Bebington", "Bromborough", "Eastham", "New Brighton",
    "Moreton", "Leasowe", "Seacombe", "Tranmere", "Rock Ferry", "Prenton", "Oxton", "Upton",
    "Greasby", "Irby", "Thingwall", "Pensby", "Litherland", "Netherton", "Waterloo", "Ainsdale",
    "Birkdale", "Hightown", "Lydiate", "Aintree", "Stockbridge Village", "Cantril Farm",
    "Page Moss", "Dovecot", "Knotty Ash", "Gateacre", "Hunts Cross", "Mossley Hill",
    "Sefton Park", "Penny Lane", "Smithdown", "Lodge Lane", "Granby", "Bold Street",
    "Church", "Church ward", "Lime Street", "Albert Dock", "Baltic Triangle", "Ditton",
    "Hough Green", "Castlefields", "Halton Brook", "Mersey", "River Mersey", "Manchester",
    "Wigan", "Warrington", "Chester", "Cheshire", "Lancashire", "England", "Wales",
)


def place_names(data_dir: Path | None = None) -> list[str]:
    """Ward, local-authority and LSOA-area names from the lookups, plus EXTRA_PLACES."""
    names: set[str] = set(EXTRA_PLACES)
    raw = Path(data_dir) / "raw" if data_dir else REPO_ROOT / "data" / "raw"
    for fname in ("lookup_lsoa21_ward24_lad24_lcr.csv", "lookup_lsoa11_ward19_lad19_lcr.csv"):
        path = raw / fname
        if not path.exists():
            path = REPO_ROOT / "data" / "raw" / fname
        if not path.exists():
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for col, value in row.items():
                    if not value or not col or not col.endswith("nm"):
                        continue
                    value = value.strip()
                    if col.startswith("lsoa"):
                        value = re.sub(r"\s+\d{3}[A-Z]$", "", value)   # "Knowsley 006A" -> "Knowsley"
                    names.add(value)
                    for part in re.split(r"\s+(?:&|and)\s+|-(?=[A-Z])", value):
                        if part.strip():
                            names.add(part.strip())
    return sorted(names, key=str.lower)


# -- the local spaCy pipeline ----------------------------------------------------------------
# Words that never belong to a name found by a context pattern.
_STOP = {
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "area",
    "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by",
    "can", "could", "did", "do", "does", "doing", "down", "during", "each", "email", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how", "i",
    "if", "in", "into", "is", "it", "its", "just", "live", "living", "me", "more", "most", "my",
    "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "out",
    "over", "own", "please", "same", "she", "should", "so", "some", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
    "who", "whom", "why", "will", "with", "would", "you", "your", "nhs", "ni", "number", "phone",
    "mobile", "tel", "postcode", "address", "thanks", "thank", "regards", "hi", "hello", "dear",
    "population", "data", "ward", "lsoa", "council", "report", "question", "asking", "looking",
    "trying", "wondering", "interested", "new", "here", "writing", "calling", "based", "worried",
    "sorry", "not", "sure", "happy", "glad", "going", "doing", "getting", "told", "resident",
    "member", "volunteer", "carer", "patient", "and", "yes", "ok", "okay", "need", "needs", "want",
    "wants", "who", "whose", "lives", "lived", "said", "says", "called", "named", "aged", "age",
    "years", "old", "registered", "responsible", "also", "again", "today", "tomorrow", "yesterday",
    "ring", "call", "contact", "text", "via", "re", "subject", "ref", "reference", "id", "dob",
    "born", "mr", "mrs", "ms", "miss", "dr", "mx", "prof", "sir", "dame", "st", "saint",
    "council", "city", "team", "office", "service", "services", "group", "centre", "center", "hub",
    "trust", "department", "dept", "university", "college", "school", "hospital", "practice",
    "surgery", "library", "foundation", "charity", "ltd", "limited", "plc", "cic", "partnership",
    "board", "committee", "steward", "stewards", "admin", "support", "helpdesk", "someone",
    "anyone", "everyone", "somebody", "us", "road", "street", "avenue", "drive", "crescent",
    "square", "terrace", "way", "ward", "wards", "borough", "district", "region", "commons",
    "police", "agency", "authority", "ministry", "institute", "association", "society", "network",
    "alliance", "commission", "partners", "health", "care", "housing", "statistics", "national",
    "england", "uk", "britain", "british", "government", "open", "licence", "license", "index",
    "survey", "census", "dataset", "version", "role", "attribute", "time",
}
TITLES = ["mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "dame",
          "nurse", "cllr", "councillor", "rev", "revd", "reverend", "father", "sister"]
RELATIONS = ["son", "daughter", "mum", "mother", "dad", "father", "husband", "wife", "partner",
             "brother", "sister", "grandson", "granddaughter", "nan", "nana", "grandma", "grandad",
             "carer", "neighbour", "friend", "colleague", "client", "tenant", "child", "boy", "girl",
             "uncle", "aunt", "auntie", "cousin", "nephew", "niece", "gp"]
# Brands and the like written as a title and a surname.
NOT_PEOPLE = {"dr martens", "dr. martens", "doc martens", "dr pepper", "dr oetker", "dr who",
              "doctor who", "mr kipling", "mr muscle", "mr motivator", "mr men", "mr bean",
              "martens", "pepper", "oetker", "kipling", "muscle"}
# Leading / trailing words that a context pattern matched but that are not the name.
_TRIM = set(TITLES) | set(RELATIONS) | {
    "my", "name", "names", "name's", "is", "was", "i", "i'm", "im", "'m", "m", "am", "me", "call",
    "called", "named", "patient", "contact", "at", "on", "dear", "regards", "thanks", "from",
    "this", "it's", "it", "'s", "s", "signed", "by", "our", "the", "for", "ask", "speak", "to",
    "with", "attn", "fao", "c/o", "and", "participant", "member", "resident", "service", "user",
    "cheers", "best", "wishes", "kind", "many", "yours", "sincerely", "faithfully", "-", ":", ",",
    ".", "'", "’s", "'re", "here", "child", "mr.", "mrs.", "ms.", "dr.", "full", "email", "ring",
    "via", "phone", "text", "on", "about", "of", "is:", "name:", "if", "whether", "forward",
    "send", "pass", "give", "show", "them", "that", "these", "report", "data", "figures", "file",
    "details", "message", "record", "records", "notes", "case", "history",
}
# Context words that make a span a name even when it is also a place ("Dr Walton", "I'm Victoria").
_STRONG = set(TITLES) | {"my", "i'm", "im", "'m", "m", "am",
                          "called", "named", "patient", "participant", "client", "tenant", "resident",
                          "dear", "regards", "thanks", "signed", "cheers", "sincerely", "mr.", "mrs.",
                          "ms.", "dr."} | set(RELATIONS)


def _name_token(title_only: bool) -> dict:
    tok: dict = {"TEXT": {"REGEX": r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’]*$"},
                 "LOWER": {"NOT_IN": sorted(_STOP)}}
    if title_only:
        tok["IS_TITLE"] = True
    return tok


def _name_slots(title_only: bool, max_tokens: int = 3) -> list[list[dict]]:
    """1..max_tokens name tokens, optionally joined by a hyphen ("Smith-Jones")."""
    t = _name_token(title_only)
    slots = []
    for n in range(1, max_tokens + 1):
        slots.append([t] * n)
    slots.append([t, {"ORTH": "-"}, t])
    slots.append([t, t, {"ORTH": "-"}, t])
    return slots


def ruler_patterns(firsts: list[str], surns: list[str], places: Iterable[str]) -> list[dict]:
    """Entity-ruler patterns: gazetteer pairs, single first names, and context patterns."""
    place_words = {w.lower() for p in places for w in re.findall(r"[A-Za-z']+", p)}
    # First names that are also ordinary words or place words: only in a pair or a context.
    ambiguous = {"jack", "jade", "ruby", "daisy", "lily", "heather", "jean", "carol", "dean", "lee",
                 "li", "chen", "wei", "yan", "ade", "leo", "hugh", "ali", "mia", "ella", "finn",
                 "jenny", "olu", "hui", "mei", "kim", "ying", "jing", "raj", "sean", "joy", "ana",
                 "isla", "erin", "beth", "ian", "tom", "amir", "chris", "andy", "alex", "kate",
                 "marco", "theo", "neil", "scott", "ryan", "owen", "oscar", "harvey", "lewis",
                 "thomas", "martin", "george", "oliver", "henry", "arthur", "albert", "james",
                 "francis", "logan", "cameron", "dylan", "maria", "paul", "luke", "mark", "gary",
                 "william", "victoria", "charles", "stuart", "graham", "dennis", "frances"}
    single = sorted(set(firsts) - ambiguous - place_words - _STOP)
    p: list[dict] = []
    cap = {"IS_TITLE": True}
    name_like = {"TEXT": {"REGEX": r"^[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ'’]+$"}}
    # Gazetteer: first name + surname in any case ("sarah jones"), with an optional middle name.
    first_any = {"LOWER": {"IN": firsts}}
    surn_any = {"LOWER": {"IN": surns}}
    p.append({"label": "PERSON", "id": "gaz", "pattern": [first_any, surn_any]})
    p.append({"label": "PERSON", "id": "gaz", "pattern": [first_any, first_any, surn_any]})
    p.append({"label": "PERSON", "id": "gaz",
              "pattern": [first_any, surn_any, {"ORTH": "-"}, {"LOWER": {"IN": surns}}]})
    # Known first name + an unknown capitalised surname ("Priya Okoro").
    p.append({"label": "PERSON", "id": "gaz",
              "pattern": [{**first_any, **cap}, {**name_like, **cap, "LOWER": {"NOT_IN": sorted(_STOP | place_words)}}]})
    # A known, unambiguous first name on its own, capitalised ("ask Priya").
    p.append({"label": "PERSON", "id": "gaz", "pattern": [{"LOWER": {"IN": single}, **cap}]})
    # A known surname after a known first initial ("J. Smith", "J Smith").
    p.append({"label": "PERSON", "id": "gaz",
              "pattern": [{"TEXT": {"REGEX": r"^[A-Z]$"}}, {"ORTH": ".", "OP": "?"}, {**surn_any, **cap}]})

    def ctx(prefix: list[dict], title_only: bool, suffix: list[dict] | None = None):
        for slot in _name_slots(title_only):
            p.append({"label": "PERSON", "id": "ctx", "pattern": prefix + slot + (suffix or [])})

    lower = lambda *words: [{"LOWER": w} for w in words]  # noqa: E731
    im = [{"LOWER": "i"}, {"LOWER": {"IN": ["'m", "’m", "m", "am"]}}]
    # Strong contexts: the name may be typed in lower case.
    ctx(lower("my", "name", "is"), False)
    ctx(lower("my", "name", "'s"), False)
    ctx(lower("my", "name", "’s"), False)
    ctx(lower("name") + [{"ORTH": ":"}], True)
    ctx(lower("full", "name") + [{"ORTH": ":"}], False)
    ctx(lower("patient", "name") + [{"ORTH": ":", "OP": "?"}], False)
    ctx(lower("name", "is"), False)
    ctx([{"LOWER": {"IN": ["called", "named"]}}], True)
    ctx(lower("call", "me"), False)
    ctx(lower("this", "is"), True)
    ctx(im, True)
    ctx(lower("im"), True)
    ctx([{"LOWER": {"IN": ["patient", "participant", "client", "tenant", "resident"]}}], True)
    ctx([{"LOWER": {"IN": TITLES}}, {"ORTH": ".", "OP": "?"}], True)
    ctx([{"LOWER": {"IN": ["my", "our"]}}, {"LOWER": {"IN": RELATIONS}}, {"ORTH": ",", "OP": "?"}], True)
    ctx([{"LOWER": {"IN": ["contact", "ask", "email", "ring", "phone", "text", "call"]}}], True,
        [{"LOWER": {"IN": ["at", "on", "via", "for", "about", "by"]}}])
    ctx(lower("speak", "to"), True)
    ctx([{"LOWER": "ask"}], True, [{"LOWER": {"IN": ["to", "if", "whether", "for", "about"]}}])
    ctx([{"LOWER": {"IN": ["forward", "send", "pass", "give", "show"]}},
         {"LOWER": {"IN": ["this", "it", "them", "that", "the", "these"]}, "OP": "?"},
         {"LOWER": {"IN": ["report", "data", "figures", "file", "details", "email", "message"]}, "OP": "?"},
         {"LOWER": "to"}], True)
    ctx([{"LOWER": {"IN": ["record", "records", "details", "file", "notes", "case", "history"]}},
         {"LOWER": {"IN": ["for", "of", "on"]}}], True)
    ctx([{"LOWER": {"IN": ["dear", "regards", "cheers", "thanks", "signed", "attn", "fao"]}},
         {"ORTH": {"IN": [",", ":"]}, "OP": "?"}], True)
    ctx(lower("kind", "regards") + [{"ORTH": ",", "OP": "?"}], True)
    ctx(lower("many", "thanks") + [{"ORTH": ",", "OP": "?"}], True)
    ctx(lower("best", "wishes") + [{"ORTH": ",", "OP": "?"}], True)
    ctx(lower("on", "behalf", "of"), True)
    return p


def build_names_pipeline(target: Path, data_dir: Path | None = None) -> Path:
    """spacy.blank("en") + entity_ruler, saved to ``target`` (atomically)."""
    import spacy

    target = Path(target)
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True, "validate": False})
    ruler.add_patterns(ruler_patterns(first_names(), surnames(), place_names(data_dir)))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        nlp.to_disk(tmp)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "config.cfg").exists():   # another process won the race if it exists
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _names_fingerprint(data_dir: Path | None) -> str:
    h = hashlib.sha256(PIPELINE_VERSION.encode())
    for f in sorted(NAMES_DIR.glob("*.txt")):
        h.update(f.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update("\n".join(place_names(data_dir)).encode())
    import spacy
    h.update(spacy.__version__.encode())
    return h.hexdigest()[:12]


def _resolve_model(spacy_model: str, cache_dir: Path, data_dir: Path | None) -> tuple[str, bool]:
    """The spaCy model path or package to load, and whether it is the built-in names pipeline."""
    import spacy

    if spacy_model:
        if spacy.util.is_package(spacy_model):
            return spacy_model, False
        path = Path(spacy_model).expanduser()
        if path.is_dir() and (path / "config.cfg").exists():
            return str(path), False
        raise ConfigError(
            f"COMMONS_SPACY_MODEL={spacy_model!r} is neither an installed spaCy model nor a folder "
            "holding a saved spaCy pipeline (config.cfg). Install the model, point the setting at "
            "a folder, or leave it empty for the built-in offline name patterns.")
    target = Path(cache_dir) / f"{PIPELINE_VERSION}-{_names_fingerprint(data_dir)}"
    if not (target / "config.cfg").exists():
        build_names_pipeline(target, data_dir)
    return str(target), True


# -- recognisers -------------------------------------------------------------------------------
_TLD = None


def _tld_extractor():
    global _TLD
    if _TLD is None:
        import tldextract
        _TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _TLD


def _recognizers():
    from presidio_analyzer import Pattern, PatternRecognizer
    from presidio_analyzer.predefined_recognizers import (EmailRecognizer, NhsRecognizer,
                                                          PhoneRecognizer, UkNinoRecognizer,
                                                          UkPostcodeRecognizer)

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's e-mail recogniser, with tldextract's bundled suffix list (no fetch)."""

        def validate_result(self, pattern_text: str):
            return _tld_extractor()(pattern_text).fqdn != ""

    class CommonsPostcodeRecognizer(UkPostcodeRecognizer):
        """Presidio's postcode pattern; "A5 3rd"-like ordinals are not postcodes."""

        def validate_result(self, pattern_text: str):
            compact = pattern_text.replace(" ", "")
            inward, outward = compact[-3:], compact[:-3]
            ordinal = inward.lower() in {"1st", "2nd", "3rd"} or re.fullmatch(r"\dth", inward.lower())
            # "A5 3rd", "M6 1st": an upper-case road with a lower-case ordinal is not a postcode.
            return not (ordinal and inward[1:].islower() and outward.isupper())

    class GbPhonePatternRecognizer(PatternRecognizer):
        """GB-shaped numbers that phonenumbers does not accept as allocated (07700 900123)."""

        PATTERNS = [Pattern(
            "GB phone (shape)",
            r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?(?:\(\d{2,5}\)|\d{2,5})|\(0\d{2,5}\)|0\d{2,5})"
            r"(?:[\s.-]?\d{2,4}){1,3}(?![\w/])",
            0.4)]

        def __init__(self):
            super().__init__(supported_entity="PHONE_NUMBER", patterns=self.PATTERNS,
                             context=["phone", "mobile", "tel", "call", "ring", "text"],
                             supported_language="en", name="GbPhonePatternRecognizer")

        def validate_result(self, pattern_text: str):
            digits = re.sub(r"\D", "", pattern_text)
            lead = pattern_text.lstrip()
            if lead.startswith("+") or lead.startswith("00"):
                digits = digits[2:] if digits.startswith("00") else digits
                if not digits.startswith("44"):
                    return False
                national = digits[2:]
                national = national[1:] if national.startswith("0") else national
            elif digits.startswith("0"):
                national = digits[1:]
            else:
                return False
            return len(national) in (9, 10) and national[0] in "12378"

    class ObfuscatedNhsRecognizer(PatternRecognizer):
        """An NHS number written to dodge the usual shapes: dots, slashes or a space between
        every digit ("466.365.5025", "4 6 6 3 6 5 5 0 2 5"); the check digit must be valid."""

        PATTERNS = [Pattern("NHS (any separators)", r"(?<![\w.])\d(?:[\s./_-]{1,2}\d|\d){9}(?![\w]|[./_-]\d)", 0.5)]

        def __init__(self):
            super().__init__(supported_entity="UK_NHS", patterns=self.PATTERNS,
                             supported_language="en", name="ObfuscatedNhsRecognizer")

        def validate_result(self, pattern_text: str):
            digits = [int(c) for c in re.sub(r"\D", "", pattern_text)]
            if len(digits) != 10:
                return False
            check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1))) % 11
            return (0 if check == 11 else check) == digits[9] and check != 10

    class ObfuscatedPhoneRecognizer(PatternRecognizer):
        """A GB phone number with a separator between every digit ("0 7 7 0 0 ...", "0151.496.0123")."""

        PATTERNS = [Pattern("GB phone (any separators)",
                            r"(?<![\w.+])(?:\+\s?4\s?4|0)(?:[\s./_-]{1,2}\d|\d){9,10}(?![\w]|[./_-]\d)", 0.5)]

        def __init__(self):
            super().__init__(supported_entity="PHONE_NUMBER", patterns=self.PATTERNS,
                             supported_language="en", name="ObfuscatedPhoneRecognizer")

        def validate_result(self, pattern_text: str):
            digits = re.sub(r"\D", "", pattern_text)
            national = digits[2:] if digits.startswith("44") else digits[1:]
            return len(national) in (9, 10) and national[0] in "12378"

    class ObfuscatedEmailRecognizer(PatternRecognizer):
        """An e-mail address spelt out: "jo.bloggs at example dot com", "jo [at] example [dot] org"."""

        _OPEN, _CLOSE = r"[\[({<]?", r"[\])}>]?"
        PATTERNS = [Pattern("e-mail (spelt out)",
                            r"(?<![\w.])[\w.+-]+\s*" + _OPEN + r"\s*(?:at|@)\s*" + _CLOSE + r"\s*[\w-]+"
                            r"(?:\s*" + _OPEN + r"\s*(?:dot|\.)\s*" + _CLOSE + r"\s*[\w-]+)*"
                            r"\s*" + _OPEN + r"\s*(?:dot|\.)\s*" + _CLOSE + r"\s*"
                            r"(?:com|org|net|uk|gov|nhs|ac|io|info|edu|me|co|eu|ie|de|fr)(?![\w])", 0.6)]

        def __init__(self):
            super().__init__(supported_entity="EMAIL_ADDRESS", patterns=self.PATTERNS,
                             supported_language="en", name="ObfuscatedEmailRecognizer")

        def validate_result(self, pattern_text: str):
            # spelt out: at least one 'at' or 'dot' word (a plain address is the e-mail recogniser's)
            return bool(re.search(r"(?i)(?<![\w])(at|dot)(?![\w])|[\[({<]", pattern_text))

    return [
        OfflineEmailRecognizer(),
        ObfuscatedEmailRecognizer(),
        ObfuscatedNhsRecognizer(),
        ObfuscatedPhoneRecognizer(),
        PhoneRecognizer(supported_regions=("GB",), leniency=1),
        GbPhonePatternRecognizer(),
        NhsRecognizer(),
        UkNinoRecognizer(),
        CommonsPostcodeRecognizer(),
    ]


# -- import cost -----------------------------------------------------------------------------------
_HEAVY = ("torch", "transformers")
_LIGHT_IMPORTERS = ("presidio_analyzer", "thinc")


class _SkipHeavyOptionalImports:
    """Meta-path finder: while the scanner's libraries are imported, presidio_analyzer and thinc
    see torch / transformers as absent.  Both only *try* them (for Hugging Face engines, GPU
    detection and PyTorch layers the name patterns never use), and the attempt costs about 5 s.
    Imports made by any other module (sentence-transformers, say) are untouched, and once torch
    is loaded by someone else nothing is blocked because the finder is never consulted."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in _HEAVY:
            return None
        frame = sys._getframe(1)
        while frame is not None:           # who is importing, in this thread?
            if frame.f_globals.get("__name__", "").startswith(_LIGHT_IMPORTERS):
                raise ModuleNotFoundError(f"{fullname} skipped for PII detection", name=fullname)
            frame = frame.f_back
        return None


def _import_light(fn):
    """Run ``fn`` with the finder installed (only while torch is not loaded already)."""
    if "torch" in sys.modules:
        return fn()
    finder = _SkipHeavyOptionalImports()
    sys.meta_path.insert(0, finder)
    try:
        return fn()
    finally:
        try:
            sys.meta_path.remove(finder)
        except ValueError:
            pass


# -- the scanner ---------------------------------------------------------------------------------
class PiiScanner:
    """Presidio AnalyzerEngine with the UK recognisers, names and the place allow-list."""

    def __init__(self, spacy_model: str = "", cache_dir: Path | None = None,
                 data_dir: Path | None = None, cache_size: int = 20000):
        cache_dir = Path(cache_dir) if cache_dir else REPO_ROOT / ".commons" / "models"
        load = lambda: self._build_engine(spacy_model, cache_dir, data_dir)  # noqa: E731
        # A configured model may need torch (transformer pipelines): import normally then.
        self._engine = load() if spacy_model else _import_light(load)
        places = place_names(data_dir)
        self._places = {p.lower() for p in places}
        self._place_re = re.compile(
            r"(?<![\w])(?:" + "|".join(re.escape(p) for p in sorted(places, key=len, reverse=True))
            + r")(?![\w])", re.I)
        # Fast path for the built-in pipeline: a text with no digit, '@' and no word the names
        # pipeline can react to holds nothing to find.
        self._triggers = (set(first_names()) | set(surnames()) | _TRIM | set(TITLES) | set(RELATIONS)
                          | {"name", "called", "named", "patient", "contact", "at", "dot"})
        self._cache: OrderedDict[str, tuple[Finding, ...]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.analyze("warm up: Sarah Jones, L8 7SS, 0151 496 0123, a@b.com")   # load lazily-built bits

    def _build_engine(self, spacy_model: str, cache_dir: Path, data_dir: Path | None):
        try:
            import spacy  # noqa: F401
            from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
            from presidio_analyzer.nlp_engine import NlpEngineProvider
            from presidio_analyzer.predefined_recognizers import SpacyRecognizer
        except ImportError as e:   # pragma: no cover - installed with the project
            raise ConfigError(f"PII detection needs presidio-analyzer and spaCy ({e}).") from None
        model, self.builtin_names = _resolve_model(spacy_model, cache_dir, data_dir)
        self.model = model
        try:
            provider = NlpEngineProvider(nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": model}],
                "ner_model_configuration": {
                    "model_to_presidio_entity_mapping": {"PERSON": "PERSON", "PER": "PERSON"},
                    "labels_to_ignore": [],
                    "low_score_entity_names": [],
                    "default_score": 0.85,
                },
            })
            nlp_engine = provider.create_engine()
        except (OSError, ValueError, KeyError, ImportError) as e:
            raise ConfigError(f"The spaCy model {model!r} could not be loaded for PII detection: "
                              f"{type(e).__name__}: {str(e)[:200]}") from None
        registry = RecognizerRegistry(supported_languages=["en"])
        for r in _recognizers():
            registry.add_recognizer(r)
        registry.add_recognizer(SpacyRecognizer(supported_language="en", supported_entities=["PERSON"]))
        return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])

    @classmethod
    def from_settings(cls, settings) -> "PiiScanner":
        return cls(spacy_model=getattr(settings, "spacy_model", "") or "",
                   cache_dir=Path(settings.home) / "models",
                   data_dir=Path(getattr(settings, "data_dir", REPO_ROOT / "data")))

    # -- analysis --------------------------------------------------------------------------
    def _may_hold_pii(self, text: str) -> bool:
        if not self.builtin_names:
            return True
        if any(c.isdigit() for c in text) or "@" in text:
            return True
        words = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower().replace("’", "'"))
        return any(w in self._triggers for w in words)

    def analyze(self, text: str) -> list[Finding]:
        if not isinstance(text, str) or not text.strip():
            return []
        cached = self._cache.get(text)
        if cached is not None:
            return list(cached)
        found = tuple(self._analyze(text)) if self._may_hold_pii(text) else ()
        with self._lock:
            self._cache[text] = found
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return list(found)

    def _analyze(self, text: str) -> list[Finding]:
        try:
            results = self._engine.analyze(text=text, language="en", entities=list(ENTITIES))
        except CommonsError:
            raise
        except Exception as e:  # noqa: BLE001 - never show the text or a traceback
            raise PiiError(f"PII analysis failed ({type(e).__name__}).") from None
        cands: list[Finding] = []
        place_spans = None
        for r in results:
            start, end, entity = r.start, r.end, r.entity_type
            if entity == "PERSON":
                span = self._person_span(text, start, end)
                if span is None:
                    continue
                start, end, strong = span
                if not strong:
                    if place_spans is None:
                        place_spans = [(m.start(), m.end()) for m in self._place_re.finditer(text)]
                    if _only_place(text, start, end, place_spans):
                        continue
            cands.append(Finding(entity, start, end, round(float(r.score), 3)))
        return _resolve(cands)

    def _person_span(self, text: str, start: int, end: int) -> tuple[int, int, bool] | None:
        """Trim context words off a PERSON span; None when nothing name-like is left.

        Returns (start, end, strong): ``strong`` when a naming context ("my name is", a title,
        "patient") was trimmed, which keeps the name even where it is also a place."""
        words = [(m.start() + start, m.end() + start)
                 for m in re.finditer(r"[^\s,:;()\"]+|[,:;]", text[start:end])]
        trimmed = False

        def norm(s: str) -> str:
            return s.lower().replace("’", "'")

        strong = False
        while words and norm(text[words[0][0]:words[0][1]]) in _TRIM:
            strong = strong or norm(text[words[0][0]:words[0][1]]) in _STRONG
            words.pop(0)
            trimmed = True
        while words and norm(text[words[-1][0]:words[-1][1]]) in _TRIM | {"-"}:
            words.pop()
            trimmed = True
        if not words:
            return None
        s, e = words[0][0], words[-1][1]
        while e > s and text[e - 1] in ".,'’-":
            e -= 1
        value = re.sub(r"\s+", " ", text[s:e]).lower()
        original = re.sub(r"\s+", " ", text[start:end]).lower()
        if value in NOT_PEOPLE or original in NOT_PEOPLE or len(value) < 2:
            return None
        if value in self._places and not strong:
            return None
        return s, e, strong

    def redact(self, text: str) -> tuple[str, tuple[str, ...]]:
        findings = self.analyze(text)
        if not findings:
            return text, ()
        out = text
        for f in sorted(findings, key=lambda f: f.start, reverse=True):
            out = out[:f.start] + f"<{f.entity}>" + out[f.end:]
        return out, tuple(f.entity for f in sorted(findings, key=lambda f: f.start))

    def redact_many(self, texts) -> list[tuple[str, tuple[str, ...]]]:
        memo: dict[str, tuple[str, tuple[str, ...]]] = {}
        out = []
        for t in texts:
            if t not in memo:
                memo[t] = self.redact(t)
            out.append(memo[t])
        return out

    def scan_column(self, name: str, values: list[str], sample: int = 200, seed: int = 0) -> ColumnScan:
        pool = [str(v) for v in values if v is not None and str(v).strip()]
        if len(pool) > sample:
            pool = random.Random(seed).sample(pool, sample)
        # A column named like a person's name gives its values the "Name:" context.
        name_col = bool(re.search(r"(^|_|\b)(full_?name|first_?name|fore_?name|given_?name|surname|"
                                  r"last_?name|family_?name|name|contact|patient|person|carer)($|_|\b)",
                                  name.lower())) and not re.search(r"(ward|lsoa|lad|area|place|org|"
                                                                   r"service|dataset|file)", name.lower())
        counts: Counter = Counter()
        for v in pool:
            text = f"My name is {v}" if name_col else v
            counts.update({f.entity for f in self.analyze(text)})
        n = len(pool)
        if not n or not counts:
            return ColumnScan(name, None, 0.0, n, dict(counts))
        entity, hits = max(counts.items(), key=lambda kv: (kv[1], -_PRIORITY.get(kv[0], 99)))
        share = round(hits / n, 4)
        return ColumnScan(name, entity if share >= 0.5 else None, share, n, dict(counts))


_PLACE_WORDS = {"ward", "wards", "park", "hill", "green", "lane", "road", "street", "village", "east",
                "west", "north", "south", "centre", "central", "town", "area", "estate", "and", "&"}


def _only_place(text: str, start: int, end: int, place_spans: list[tuple[int, int]]) -> bool:
    """True when the span is inside place names, apart from words like "ward" or "park"."""
    chars = list(text[start:end])
    covered = False
    for ps, pe in place_spans:
        lo, hi = max(ps, start), min(pe, end)
        if lo < hi:
            covered = True
            for i in range(lo - start, hi - start):
                chars[i] = " "
    if not covered:
        return False
    return all(w.lower() in _PLACE_WORDS for w in re.findall(r"[\w&']+", "".join(chars)))


def _resolve(cands: list[Finding]) -> list[Finding]:
    """One entity per span: longest first, then by priority; drop anything overlapping a kept span."""
    kept: list[Finding] = []
    for f in sorted(cands, key=lambda f: (-(f.end - f.start), _PRIORITY.get(f.entity, 99), f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


_DEFAULT: PiiScanner | None = None
_DEFAULT_KEY: tuple | None = None
_DEFAULT_LOCK = threading.Lock()


def default_scanner() -> PiiScanner:
    """The process-wide scanner for ``Settings.load()`` (rebuilt if those settings change)."""
    global _DEFAULT, _DEFAULT_KEY
    from assistant.settings import Settings

    settings = Settings.load()
    key = (settings.spacy_model, str(settings.home), str(settings.data_dir))
    with _DEFAULT_LOCK:
        if _DEFAULT is None or _DEFAULT_KEY != key:
            _DEFAULT = PiiScanner.from_settings(settings)
            _DEFAULT_KEY = key
        return _DEFAULT
