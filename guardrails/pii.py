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

Identifiers bent out of shape are recognised too (one recogniser class each): digits with any
short separators or letters glued on, with the NHS check digit ("466,365,5025",
"id=NHS4663655025"); digits read out as words (UK_NHS when the ten digits validate, else
PHONE_NUMBER); e-mails with '#', 'at', spaces or a comma for a dot; NI numbers and postcodes with
any separators; mobiles with commas or without the leading 0.  Digits grouped like a list of
figures ("500,474; 2020", "2027 - 87 - 2019") are not identifiers.  Look-alike letters and
spelled-out names are folded by ``guardrails.inbound.normalise_text`` before the scan.

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
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from kernel.errors import CommonsError, ConfigError
from kernel.text import english_frequency
from kernel.settings import Settings

log = logging.getLogger(__name__)

ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "UK_NHS", "UK_NINO", "UK_POSTCODE", "PERSON")
# Overlap resolution: the longest span wins; on equal length, the earlier entity here.
_PRIORITY = {e: i for i, e in enumerate(("EMAIL_ADDRESS", "UK_NHS", "UK_NINO", "PHONE_NUMBER",
                                         "UK_POSTCODE", "PERSON"))}
NAMES_DIR = Path(__file__).resolve().parent / "pii_names"
REPO_ROOT = Path(__file__).resolve().parents[1]
PIPELINE_VERSION = "commons-names-2"


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



# Two-letter words that are also valid NI prefixes: "at 10:30:45 a.m." is a time, not a number.
_SHORT_WORDS = {"am", "an", "as", "at", "be", "by", "he", "me", "my", "no", "ok", "on", "or", "so",
                "to", "up", "us", "we"}


def nino_shape_ok(value: str) -> bool:
    """A National Insurance shape that is not a time or a version written after a short word
    ("at 10:30:45 a", "on 1.2.3.4.5.6 b")."""
    prefix = "".join(re.findall(r"[A-Za-z]", value)[:2])
    if prefix.islower() and prefix in _SHORT_WORDS and re.search(r"\d[^\d\s]+\d", value):
        return False
    return True


def ordinal_inward(value: str) -> bool:
    """ "A5 3rd", "M6-1st": the inward part of a postcode shape is an ordinal."""
    return bool(re.search(r"(?i)(?:1st|2nd|3rd|\dth)$", value.strip()))


class PiiError(CommonsError):
    """The PII scanner failed on a text (the text itself is never part of the message)."""


_PLAIN_FIGURE = re.compile(r"[-+]?\d+(?:\.\d+)?")
_ISO_DATE = re.compile(r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?")


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
                 "william", "victoria", "charles", "stuart", "graham", "dennis", "frances",
                 "grace", "poppy", "ivy", "willow", "harper", "luna", "florence", "jude", "teddy"}
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
    # A known surname after an initial ("J. Smith", "J Smith"; spaCy keeps "J." as one token;
    # never "A" or "I" without a full stop: "A Baker in Kirkby"), in lower case only with the
    # full stop ("s. halsall").
    p.append({"label": "PERSON", "id": "gaz",
              "pattern": [{"TEXT": {"REGEX": r"^(?:[B-HJ-Z]|[A-Z]\.)$"}}, {"ORTH": ".", "OP": "?"},
                          {**surn_any, **cap}]})
    p.append({"label": "PERSON", "id": "gaz",
              "pattern": [{"TEXT": {"REGEX": r"^[a-z]\.$"}}, surn_any]})

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
    # a person named in a steward's or requester's note ("confirm with Zelda Quornby", "our
    # analyst Bartholomew Quince"): governance free text, where names are never needed
    ctx([{"LOWER": {"IN": ["confirm", "check", "speak", "talk", "meet", "liaise", "agreed", "spoke"]}},
         {"LOWER": {"IN": ["with", "to"]}}], True)
    ctx([{"LOWER": {"IN": ["analyst", "colleague", "manager", "officer", "coordinator", "co-ordinator",
                             "researcher", "lead", "director", "clinician", "nurse", "volunteer", "caseworker"]}},
         {"ORTH": ",", "OP": "?"}], True)
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
# Short separators that may sit between the digits of one identifier: a punctuation mark with
# optional spaces around it, or one or two spaces ("466,365,5025", "4 6 6 - 3 6 5").
_PUNCT = r"[.,:;/_|\\~*-]"
_SEP = rf"(?:[ \t]*{_PUNCT}[ \t]*|[ \t]{{1,2}})"
# A calendar date inside a digit run ("01/04/2021 10") is not an identifier.
_DATE_IN = re.compile(r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)\d\d(?!\d)")
_THOUSANDS_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_TLD_WORDS = {"com", "org", "net", "uk", "co", "ac", "gov", "nhs", "io", "me", "info", "edu"}
_NUMBER_WORDS = {"zero", "nought", "oh", "one", "two", "three", "four", "five", "six", "seven",
                 "eight", "nine", "double", "triple"}


def _separators(text: str) -> list[str]:
    """What stands between each pair of consecutive letters or digits in ``text``."""
    return re.split(r"[A-Za-z0-9]", text.strip())[1:-1]


def _grouping_ok(text: str, phone: bool = False) -> bool:
    """Digits split like an identifier, not like a list of numbers ("12, 45, 67, 89, 10",
    "500,474; 2020").  One separator throughout, none of them a comma, semicolon or colon:
    any grouping ("46 63 65 50 25").  Otherwise one digit per group ("4 6 6 - 3 6 5 - ...")
    or the usual groups: 3-3-4 for an NHS number; for a phone number no group after the
    first shorter than three digits and at most four groups ("07710,451582", "0771:045:1582");
    never a number with thousands separators beside another ("500,474; 2020"), nor (for an NHS
    number) a year among other groups ("2027 - 87 - 2019")."""
    groups = re.findall(r"\d+", text)
    seps = {re.sub(r"[ \t]+", " ", x) for x in re.findall(r"\D+", text.strip())}
    sizes = [len(g) for g in groups]
    if not phone and len(groups) > 1 and sizes != [3, 3, 4] \
            and any(re.fullmatch(r"(?:19|20)\d\d", g) for g in groups):
        return False                     # "2027 - 87 - 2019", "119523 / 2012": figures and years
    if len(seps) <= 1 and not any(c in x for x in seps for c in ",;:"):
        return True
    if set(sizes) == {1}:
        return True
    if len(seps) > 1 and re.search(r"\d,\d", text):
        return False                     # a number written with thousands separators, then another
    if phone:
        return len(sizes) <= 4 and min(sizes[1:], default=3) >= 3
    return sizes == [3, 3, 4]


def _one_separator(seps: list[str], group_ends: set[int]) -> bool:
    """Separators inside the groups of an identifier are all absent, or all present and the
    same; between groups (``group_ends``) anything goes."""
    inner = {x for i, x in enumerate(seps) if i not in group_ends}
    return inner == {""} or (len(inner) == 1 and "" not in inner) or not inner


def nhs_valid(digits: str) -> bool:
    """Ten digits with a valid NHS modulus-11 check digit (not all the same digit)."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    d = [int(c) for c in digits]
    check = 11 - sum(x * w for x, w in zip(d[:9], range(10, 1, -1))) % 11
    return check != 10 and (0 if check == 11 else check) == d[9]


def _tld_extractor():
    global _TLD
    if _TLD is None:
        import tldextract
        _TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _TLD


def _recognizers():
    from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
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
        """An NHS number written to dodge the usual shapes: any short separators between the
        digits ("466.365.5025", "466,365,5025", "466:365:5025", "4 6 6 - 3 6 5 - 5 0 2 5",
        "4 6 6 3 6 5 5 0 2 5") and letters glued on either side ("NHS4663655025",
        "466-365-5025x"); the check digit must be valid and no digit may run on either side."""

        PATTERNS = [Pattern("NHS (any separators)",
                            rf"(?<!\d{_SEP}?)\d(?:{_SEP}?\d){{9}}(?!{_SEP}?\d)", 0.5),
                    # 3-3-4 with one tight separator, next to another number ("466,365,5025, 2019")
                    Pattern("NHS (one separator, among numbers)",
                            rf"(?<!\d)(?<!\d[ \t]?{_PUNCT})\d{{3}}(?P<s>{_PUNCT})\d{{3}}(?P=s)\d{{4}}(?!\d|(?P=s)\d)",
                            0.5)]

        def __init__(self):
            super().__init__(supported_entity="UK_NHS", patterns=self.PATTERNS,
                             supported_language="en", name="ObfuscatedNhsRecognizer")

        def validate_result(self, pattern_text: str):
            return (nhs_valid(re.sub(r"\D", "", pattern_text)) and not _DATE_IN.search(pattern_text)
                    and _grouping_ok(pattern_text))

    class ObfuscatedPhoneRecognizer(PatternRecognizer):
        """A GB phone number with any short separators between the digits ("0 7 7 0 0 ...",
        "0151.496.0123", "07710,451582", "0771:045:1582"), letters glued in front ("tel07710...")
        or a mobile written without its leading 0 ("7710 451582": ten digits from 71 to 79)."""

        PATTERNS = [
            Pattern("GB phone (any separators)",
                    rf"(?<![\d+]{_SEP}?)(?:\+[ \t]?4[ \t]?4(?:[ \t]?\(0\))?|0)(?:{_SEP}?\d){{9,10}}(?!{_SEP}?\d)", 0.5),
            Pattern("GB phone (one separator, among numbers)",
                    rf"(?<!\d)(?<!\d[ \t]?{_PUNCT})0\d{{2,4}}(?P<s>{_PUNCT})\d{{3,6}}(?:(?P=s)\d{{3,4}})?"
                    rf"(?!\d|(?P=s)\d)", 0.5),
            Pattern("GB mobile (no leading 0)",
                    rf"(?<![\d+]{_SEP}?)7(?:{_SEP}?\d){{9}}(?!{_SEP}?\d)", 0.45),
        ]

        def __init__(self):
            super().__init__(supported_entity="PHONE_NUMBER", patterns=self.PATTERNS,
                             supported_language="en", name="ObfuscatedPhoneRecognizer")

        def validate_result(self, pattern_text: str):
            digits = re.sub(r"\D", "", pattern_text)
            if _DATE_IN.search(pattern_text) or _THOUSANDS_NUMBER.fullmatch(pattern_text.strip()) \
                    or not _grouping_ok(re.sub(r"^\s*\+[ \t]?4[ \t]?4(?:[ \t]?\(0\))?[ \t]*", "0", pattern_text),
                                        phone=True):
                return False
            if pattern_text.lstrip().startswith("+"):
                national = digits[2:]
            elif digits.startswith("0"):
                national = digits[1:]
            else:                                # a mobile without its 0: 7[1-9] and 8 more digits,
                sizes = [len(g) for g in re.findall(r"\d+", pattern_text)]   # grouped as a mobile is
                seps = set(re.findall(r"\D+", pattern_text.strip()))
                return (len(digits) == 10 and digits[1] != "0" and len(seps) <= 1
                        and (sizes in ([10], [4, 6], [4, 3, 3], [5, 5]) or set(sizes) == {1}))
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

    class LooseEmailRecognizer(PatternRecognizer):
        """E-mail addresses bent out of shape: '#' for '@' ("bclark45#example.org"), spaces
        around '@' and '.' ("bclark45 @ example . org"), a comma for a dot ("bclark45@example,org"),
        and 'at' with the domain's words and a bare top-level domain ("bclark45 at example org",
        "jo at example co uk").  The rebuilt address must end in a real public suffix."""

        PATTERNS = [
            Pattern("e-mail ('#', spaces, commas)",
                    r"(?<![\w.+-])[a-z0-9][\w.+-]*[ \t]*[@#][ \t]*[a-z0-9][\w-]*"
                    r"(?:[ \t]*[.,][ \t]*[a-z0-9][\w-]*)+(?![\w])", 0.55),
            Pattern("e-mail ('at', bare domain words)",
                    r"(?<![\w.+-])[a-z0-9][\w.+-]*[ \t]+at[ \t]+[a-z0-9][\w-]*(?:[ \t]+[a-z0-9][\w-]*)?[ \t]+"
                    r"(?:com|org|net|edu|info|io|(?:co|org|ac|gov|nhs|ltd|plc|sch|me)[ \t]+uk|nhs[ \t]+net)(?![\w])",
                    0.55),
        ]

        def __init__(self):
            super().__init__(supported_entity="EMAIL_ADDRESS", patterns=self.PATTERNS,
                             supported_language="en", name="LooseEmailRecognizer")

        def validate_result(self, pattern_text: str):
            m = re.match(r"(?is)\s*([\w.+-]+?)\s*(?:[@#]|\s(?:at)\s)\s*(.+)$", pattern_text)
            if not m:
                return False
            local, domain = m.group(1), m.group(2)
            labels = [w for w in re.split(r"[\s.,]+", domain) if w]
            if not labels or any(w.lower() in _STOP and w.lower() not in _TLD_WORDS for w in labels):
                return False
            if "@" not in pattern_text and "#" not in pattern_text and local.lower() in _STOP:
                return False
            return _tld_extractor()(local + "@" + ".".join(labels)).suffix != ""

    class SeparatedNinoRecognizer(PatternRecognizer):
        """A National Insurance number with separators between any of its characters
        ("RG-82-22-06-C", "R G 8 2 2 2 0 6 C", "RG/822206/C"); valid prefixes only."""

        _S = r"[ \t.,:;/_|\\-]{0,3}"
        PATTERNS = [Pattern("NI number (any separators)",
                            r"(?<![a-z0-9])(?!bg|gb|nk|kn|nt|tn|zz)[a-ceghj-pr-tw-z]" + _S + r"[a-ceghj-npr-tw-z]"
                            r"(?:" + _S + r"\d){6}" + _S + r"[a-d](?![a-z0-9])", 0.5)]

        def __init__(self):
            super().__init__(supported_entity="UK_NINO", patterns=self.PATTERNS,
                             supported_language="en", name="SeparatedNinoRecognizer")

        def validate_result(self, pattern_text: str):
            # separators between the groups ("RG-82-22-06-C", "RG/822206/C") or one separator
            # between every character ("R G 8 2 2 2 0 6 C")
            if not _one_separator(_separators(pattern_text), {1, 3, 5, 7}):
                return False
            return nino_shape_ok(pattern_text)

    class SeparatedPostcodeRecognizer(PatternRecognizer):
        """A full postcode with separators other than one space: "L35-8NU", "L35_8NU", "CH41/5LH",
        "L 3 5 8 N U".  Never an outcode alone, never an ONS code, never "A5-3rd"."""

        _S = r"[ \t.,:;/_|\\-]{0,3}"
        _OUT = (r"(?:[a-pr-uwyz]" + _S + r"\d(?:" + _S + r"[abcdefghjkpstuw\d])?"
                r"|[a-pr-uwyz]" + _S + r"[a-hk-y]" + _S + r"\d(?:" + _S + r"[abehmnprvwxy\d])?)")
        PATTERNS = [Pattern("postcode (any separators)",
                            r"(?<![a-z0-9])" + _OUT + _S + r"\d" + _S + r"[abd-hjlnp-uw-z]" + _S
                            + r"[abd-hjlnp-uw-z](?![a-z0-9])", 0.5)]

        def __init__(self):
            super().__init__(supported_entity="UK_POSTCODE", patterns=self.PATTERNS,
                             supported_language="en", name="SeparatedPostcodeRecognizer")

        def validate_result(self, pattern_text: str):
            compact = re.sub(r"[^A-Za-z0-9]", "", pattern_text)
            if ordinal_inward(compact) or not 5 <= len(compact) <= 7:
                return False
            # a separator between the outward and inward codes ("L35-8NU") or one separator
            # between every character ("L 3 5 8 N U"); never "A, L9 2DL" (a list item, a postcode)
            seps = _separators(pattern_text)
            if not _one_separator(seps, {len(seps) - 3}):
                return False
            # a plain "L8 7SS" / "l87ss" is the postcode recogniser's; here a separator must be
            # something other than one space between outward and inward code
            return re.fullmatch(r"[A-Za-z0-9]+ ?[A-Za-z0-9]{3}", pattern_text) is None

    class SpelledDigitsRecognizer(EntityRecognizer):
        """Digits read out as words ("four six six three six five five zero two five",
        "oh seven seven one oh ...", "double five"), alone or mixed with figures: six or more
        digits are an identifier.  UK_NHS when the ten digits carry a valid check digit,
        otherwise PHONE_NUMBER (a number a person can be reached or found by)."""

        _WORD = (r"(?:zero|nought|oh|o|one|two|three|four|five|six|seven|eight|nine|double|triple)"
                 r"(?![a-z])")
        _RUN = re.compile(r"(?<![\w])(?:" + _WORD + r"|\d+)(?:[\s,.;:/_-]+(?:" + _WORD + r"|\d+(?![\w])))+", re.I)
        _VALUES = {"zero": "0", "nought": "0", "oh": "0", "o": "0", "one": "1", "two": "2",
                   "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
                   "nine": "9"}

        def __init__(self):
            super().__init__(supported_entities=["UK_NHS", "PHONE_NUMBER"], supported_language="en",
                             name="SpelledDigitsRecognizer")

        def load(self) -> None:
            pass

        def analyze(self, text, entities, nlp_artifacts=None):
            out = []
            for m in self._RUN.finditer(text):
                span = self._read(m)
                if span is None:
                    continue
                start, end, digits = span
                entity = "UK_NHS" if len(digits) == 10 and nhs_valid(digits) else "PHONE_NUMBER"
                if entity in entities:
                    out.append(RecognizerResult(entity, start, end, 0.6))
            return out

        def _read(self, m):
            """(start, end, digits) of the run, trimmed to whole numbers; None when fewer than
            three digits come from words or fewer than six in all."""
            digits, from_words, mult, start, end = "", 0, 1, None, None
            for t in re.finditer(r"[a-z]+|\d+", m.group(0), re.I):
                w = t.group(0).lower()
                if w in ("double", "triple"):
                    mult = 2 if w == "double" else 3
                    continue
                if w.isdigit():
                    digits += w * mult
                else:
                    if w == "o" and start is None:
                        continue            # a bare "o" counts only inside a number
                    digits += self._VALUES[w] * mult
                    from_words += mult
                mult = 1
                start = m.start() + t.start() if start is None else start
                end = m.start() + t.end()
            if start is None or from_words < 3 or len(digits) < 6:
                return None
            return start, end, digits

    return [
        OfflineEmailRecognizer(),
        ObfuscatedEmailRecognizer(),
        LooseEmailRecognizer(),
        ObfuscatedNhsRecognizer(),
        ObfuscatedPhoneRecognizer(),
        SpelledDigitsRecognizer(),
        SeparatedNinoRecognizer(),
        SeparatedPostcodeRecognizer(),
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
                          | {"name", "called", "named", "patient", "contact", "at", "dot"}
                          | _NUMBER_WORDS | _TLD_WORDS)
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
        t = text.strip()
        # A plain figure of at most 7 digits ("12", "-3.25", "101.5") or a month or date
        # ("2024-03", "2024-03-15") cannot hold any entity scanned for (the shortest, a
        # postcode or an NI number, has letters; NHS and phone numbers have ten digits or more).
        if (_PLAIN_FIGURE.fullmatch(t) and sum(c.isdigit() for c in t) <= 7) or _ISO_DATE.fullmatch(t):
            return False
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

    def scan_all(self, values: list[str]) -> dict[str, list[int]]:
        """Every value scanned, not a sample (each distinct value once): entity -> the indices of
        the values holding it."""
        rows: dict[str, list[int]] = {}
        seen: dict[str, tuple[str, ...]] = {}
        for i, v in enumerate(values):
            v = "" if v is None else str(v)
            if not v.strip():
                continue
            if v not in seen:
                seen[v] = tuple(sorted({f.entity for f in self.analyze(v)}))
            for e in seen[v]:
                rows.setdefault(e, []).append(i)
        return rows

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


# -- names the gazetteer does not know, in governance free text ------------------------------------
# A run of two or three capitalised words, each rare in English (or a listed first name or
# surname) and one of them hardly used at all, is taken for a person's name: "Zelda Quornby",
# "Siobhan Dunne".  Organisations ("Garfield Weston Foundation"), places of the commons
# ("Kirkby", "Old Swan") and runs with an everyday word ("Alder Hey", "Lupus Research") are left.
# Word frequencies: pyspellchecker's English list (MIT; a file shipped in the package, read once).
RARE, UNHEARD = 1200, 100
# Words that make a capitalised run an organisation's or a place's name, never a person's.
ORGANISATION_WORDS = {
    "council", "city", "team", "office", "service", "services", "group", "centre", "center", "hub",
    "trust", "department", "university", "college", "school", "academy", "hospital", "practice",
    "surgery", "clinic", "library", "foundation", "charity", "ltd", "limited", "plc", "cic", "cvs",
    "partnership", "board", "committee", "road", "street", "lane", "avenue", "drive", "crescent",
    "square", "terrace", "way", "park", "ward", "borough", "district", "region", "commons", "police",
    "agency", "authority", "ministry", "institute", "association", "society", "network", "alliance",
    "commission", "partners", "health", "care", "housing", "fund", "lottery", "project", "programme",
    "club", "church", "chapel", "mosque", "temple", "synagogue", "trustees", "company", "co-op",
    "coop", "cooperative", "enterprise", "enterprises", "consulting", "associates", "studio", "press",
    "bank", "foodbank", "pantry", "kitchen", "cafe", "house", "hall", "court", "estate", "village",
}
# Endings of English words (conditions, qualities, activities) that surnames hardly have:
# "Fibromyalgia", "Nephritis", "Comorbidity", "Mindfulness", "Wellbeing" are not names.
WORD_ENDINGS = ("ness", "ity", "tion", "sion", "ment", "ing", "ings", "ology", "ologies", "itis", "algia",
                "osis", "emia", "aemia", "ism", "isms", "ist", "ists", "ive", "ous", "able", "ible", "ful",
                "less", "ship", "ance", "ence", "ical", "ics", "ia", "ectomy", "opathy", "pathy")
_WORD = re.compile(r"[^\W\d_][^\W\d_'’]*(?:-[^\W\d_]+)*")


def _forms(word: str) -> tuple[str, ...]:
    """A word and the stems it may be an inflection of ('outcomes' -> 'outcome')."""
    forms = [word]
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)] + repl)
    return tuple(forms)


def _capitalised_runs(text: str) -> list[list[re.Match]]:
    """Runs of capitalised words separated by spaces only."""
    runs, run = [], []
    for m in _WORD.finditer(text):
        capital = m.group(0)[0].isupper() and not m.group(0).isupper()
        if capital and run and text[run[-1].end():m.start()].strip() == "":
            run.append(m)
            continue
        if run:
            runs.append(run)
        run = [m] if capital else []
    if run:
        runs.append(run)
    return runs


def _usage(word: str) -> int:
    """How often a (possibly hyphenated, possibly inflected) word is used: its least used part."""
    return min(max(english_frequency(f) for f in _forms(p)) for p in word.split("-"))


@lru_cache(maxsize=1)
def _listed_names() -> frozenset[str]:
    return frozenset(first_names()) | frozenset(surnames())


@lru_cache(maxsize=8)
def _lower_places(data_dir: str) -> frozenset[str]:
    return frozenset(p.lower() for p in place_names(Path(data_dir) if data_dir else None))


def unlisted_name_spans(text: str, data_dir: Path | None = None) -> list[tuple[int, int]]:
    """Spans of ``text`` that read as a person's name the gazetteer does not hold (see above):
    within a run of capitalised words with no organisation word and no place of the commons, two
    or three neighbouring words each rare in English (or a listed name), one hardly used at all."""
    if not isinstance(text, str) or not text:
        return []
    listed = _listed_names()
    places = _lower_places(str(data_dir) if data_dir else "")
    spans = []
    for run in _capitalised_runs(text):
        words = [re.sub(r"['’]s$", "", m.group(0).lower()) for m in run]
        whole = text[run[0].start():run[-1].end()].lower()
        if any(w in ORGANISATION_WORDS for w in words) or whole in places:
            continue
        namelike = [w not in places and w not in _STOP and
                    (w in listed or (_usage(w) < RARE and not w.endswith(WORD_ENDINGS))) for w in words]
        i = 0
        while i < len(run):
            if not namelike[i]:
                i += 1
                continue
            j = i
            while j < len(run) and namelike[j]:
                j += 1
            if 2 <= j - i <= 3 and any(_usage(w) < UNHEARD for w in words[i:j]):
                spans.append((run[i].start(), run[j - 1].end()))
            i = j
    return spans


def default_scanner(settings: Settings | None = None) -> PiiScanner:
    """The process-wide scanner for ``settings`` (default ``Settings.load()``), rebuilt if those
    settings change: the demo contributions' scan at start-up and the questions' scan share it."""
    global _DEFAULT, _DEFAULT_KEY
    settings = Settings.load() if settings is None else settings
    key = (settings.spacy_model, str(settings.home), str(settings.data_dir))
    with _DEFAULT_LOCK:
        if _DEFAULT is None or _DEFAULT_KEY != key:
            _DEFAULT = PiiScanner.from_settings(settings)
            _DEFAULT_KEY = key
        return _DEFAULT
