"""Inbound screening: what a question must pass before anything else sees it.

Redacts identifiers (so they are never logged, stored or sent to a model), rejects input
that is not a readable question, and spots attempts to smuggle SQL or file access.
Identifiers are found by the Presidio-based scanner in ``guardrails.pii`` (entity names
EMAIL_ADDRESS, PHONE_NUMBER, UK_NHS, UK_NINO, UK_POSTCODE, PERSON; each replaced by
"<ENTITY>").  The regular expressions below are only the fallback for a scanner that fails on
one text at run time, so a failure never lets an identifier through and never shows the text.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from dataclasses import dataclass

from guardrails.pii import default_scanner, nino_shape_ok, ordinal_inward, unlisted_name_spans
from kernel.errors import ConfigError

log = logging.getLogger(__name__)

# Fallback only (see module docstring); labels are the scanner's entity names.
PII_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("EMAIL_ADDRESS", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("UK_NHS", re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")),
    ("UK_NINO", re.compile(r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.I)),
    ("UK_POSTCODE", re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b", re.I)),
    ("PHONE_NUMBER", re.compile(r"(?:\+44\s?\d{2,4}|\(?0\d{2,4}\)?)[\s-]?\d{3,4}[\s-]?\d{3,4}\b")),
)
SQL_SMUGGLING = re.compile(
    r"(\bselect\b[\s\S]{0,200}\bfrom\b\s+[\w\"'.(]|\bdrop\s+(table|view|schema)\b|\binsert\s+into\b|"
    r"\bdelete\s+from\b|\bupdate\s+\w+\s+set\b|\b(read|write)_(csv|parquet|json|text|blob)\w*\s*\(|"
    r"\battach\s+(database\s+)?['\"]|\bcopy\s+\w+\s+(to|from)\b|\bunion\s+(all\s+)?select\b|"
    r";\s*--|\bpragma\b|\binstall\s+\w+|\bload\s+\w+\s*;|\bglob\s*\(|\bcreate\s+(table|view)\b|"
    r"\bsystem\s*\(|\bignore (all |any )?(previous|prior) instructions\b)",
    re.I)


@dataclass(frozen=True)
class Screened:
    text: str                       # redacted text, safe to log and plan on
    findings: tuple[str, ...] = ()  # entity types found (never the values)
    problem: str | None = None      # why the question cannot be taken
    status: str | None = None       # the status to answer with when there is a problem


def redact_regex(text: str) -> tuple[str, tuple[str, ...]]:
    """The fallback: regular expressions only."""
    found: list[str] = []
    for label, pattern in PII_PATTERNS:
        def sub(m, label=label):
            found.append(label)
            return f"<{label}>"
        text = pattern.sub(sub, text)
    return text, tuple(found)


def redact(text: str, scanner=None) -> tuple[str, tuple[str, ...]]:
    """Replace every identifier with "<ENTITY>"; return the text and the entity types found.

    ``scanner`` is a ``guardrails.pii.PiiScanner``; None means the process-wide default.
    A misconfigured scanner (ConfigError) is reported; any other scanner failure falls back
    to the regular expressions, logged without the text.
    """
    if not isinstance(text, str) or not text:
        return text, ()
    try:
        if scanner is None:
            scanner = default_scanner()
        return scanner.redact(text)
    except ConfigError:
        raise
    except Exception as e:  # noqa: BLE001 - never a traceback, never the text
        log.warning("PII scanner failed (%s); using the fallback patterns", type(e).__name__)
        return redact_regex(text)


def redact_many(texts, scanner=None) -> list[tuple[str, tuple[str, ...]]]:
    """``redact`` over many texts at once (repeated strings, such as area names in a table,
    are scanned once)."""
    texts = list(texts)
    try:
        if scanner is None:
            scanner = default_scanner()
        return [(t, ()) if not isinstance(t, str) or not t else r
                for t, r in zip(texts, scanner.redact_many([t if isinstance(t, str) else "" for t in texts]))]
    except ConfigError:
        raise
    except Exception as e:  # noqa: BLE001 - never a traceback, never the text
        log.warning("PII scanner failed (%s); using the fallback patterns", type(e).__name__)
        return [redact_regex(t) if isinstance(t, str) else (t, ()) for t in texts]


from kernel.text import CONFUSABLES  # noqa: E402  (shared with actor ids)
_CONFUSABLE_TABLE = str.maketrans(CONFUSABLES)
_WORD = re.compile(r"[^\W_]+")
# 3+ single letters joined by the same separator: "B-e-t-h-a-n", "s.t.a.c.e.y", "B e t h a n".
_SPELLED = re.compile(r"(?<![^\W\d_])[^\W\d_](?P<sep>[-._*/|+~·]| [-._*/|+~·] | )"
                      r"[^\W\d_](?:(?P=sep)[^\W\d_])+(?![^\W\d_])")
# Combining marks left after NFKC on a Latin letter or digit (strike-through, overlays).
_STRAY_MARKS = re.compile(r"(?<=[A-Za-z0-9])[\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff\ufe20-\ufe2f]+")


def _fold_confusables(text: str) -> str:
    """Fold look-alike letters word by word: in a word that mixes them with Latin letters or
    digits ("Bеthan"), and in a word made only of look-alikes ("Сое") when the text around it
    is Latin; a question written in Cyrillic or Greek is left as it is."""
    if not any(c in CONFUSABLES for c in text):
        return text
    words = _WORD.findall(text)
    pure = {w for w in words if all(c in CONFUSABLES or not c.isalpha() for c in w)
            and any(c in CONFUSABLES for c in w)}
    other = [c for w in words if w not in pure for c in w if c.isalpha()]
    latin = sum(1 for c in other if c.isascii())
    latin_text = latin > 0 and latin >= len(other) - latin

    def fold(m: re.Match) -> str:
        w = m.group(0)
        if not any(c in CONFUSABLES for c in w):
            return w
        if any(c.isascii() for c in w) or (w in pure and latin_text):
            return w.translate(_CONFUSABLE_TABLE)
        return w
    return _WORD.sub(fold, text)


def _join_spelled(m: re.Match) -> str:
    letters = m.group(0)[::len(m.group("sep")) + 1]
    # "B e t h a n C l a r k": a capital after a small letter starts the next word
    return re.sub(r"(?<=[^\W\d_A-Z])(?=[A-Z])", " ", letters) if m.group("sep") == " " else letters


def normalise_text(text: str) -> str:
    """What the scanner sees: compatibility forms folded (full-width digits and letters become
    ASCII), invisible format characters and stray combining marks removed, Cyrillic and Greek
    look-alike letters folded to Latin ("Bеthan"), letters spelled out with a separator joined
    ("B-e-t-h-a-n" -> "Bethan") and an initial glued to a surname split ("S.Halsall" ->
    "S. Halsall"), so an identifier cannot hide from the scanner in look-alike characters
    ("９４３ ４７６ ５９１９", "943\u200b476\u200b5919")."""
    # web encodings first: "bclark45%40example.org", "bclark45&#64;example.org"
    text = html.unescape(re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16))
                                if 0x20 <= int(m.group(1), 16) < 0x7f else m.group(0), text))
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _STRAY_MARKS.sub("", text)
    text = _fold_confusables(text)
    text = _SPELLED.sub(_join_spelled, text)
    return re.sub(r"(?<![\w.])([A-Z])\.(?=[A-Z][a-z])", r"\1. ", text)


def screen(raw: str | bytes, max_chars: int, scanner=None) -> Screened:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Screened("", problem="That input isn't readable text. Please type your question.",
                            status="refused")
    if "\x00" in raw or sum(1 for c in raw if unicodedata.category(c) in ("Cc", "Cs", "Co")
                            and c not in "\n\r\t") > 3 or raw.count("\ufffd") > 3:
        return Screened("", problem="That input looks like binary data, not a question. Please type your question.",
                        status="refused")
    # A lone surrogate (valid JSON, invalid text) becomes the replacement character: every later
    # stage, the audit log included, then handles the question as ordinary text.
    raw = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in raw)
    # Other control characters are not text: gone (a tab or a line break is a space).
    raw = "".join(" " if c in "\t\r\n" else c for c in raw if unicodedata.category(c) != "Cc" or c in "\t\r\n")
    if len(raw) > max_chars:
        return Screened("", problem=(f"That question is {len(raw):,} characters long; the limit is "
                                     f"{max_chars:,}. Please ask something shorter."), status="refused")
    text, findings = redact(normalise_text(raw).strip(), scanner)
    if not text or not any(c.isalnum() for c in text):
        return Screened(text, findings, "Please type a question about an area, for example "
                        "'What was the population of Liverpool in 2020?'", "clarify")
    if SQL_SMUGGLING.search(text) or SQL_SMUGGLING.search(raw):   # raw: redaction must not hide SQL
        return Screened(text, findings, ("I answer questions in plain language and build every query "
                                         "myself; I can't run SQL, file functions or instructions "
                                         "passed in a question. Ask about an area or a topic instead."),
                        "refused")
    letters = [c for c in text if c.isalpha()]
    if letters and sum(1 for c in letters if c.isascii()) / len(letters) < 0.5:
        return Screened(text, findings, ("I can only answer questions in English for now. "
                                         "Try, for example, 'What was the population of Liverpool in 2020?'"),
                        "no_data")
    return Screened(text, findings)


# -- the last line before storage ---------------------------------------------------------
# Separators that may sit between the digits of one identifier ("466,365,5025", "4 6 6 - 3 6 5").
_DSEP = r"(?:[ \t]*[.,:;/_|\\~*-][ \t]*|[ \t]{1,2})"
_DIGIT_RUN = re.compile(rf"\d(?:{_DSEP}?\d)*")
_YEARISH = r"(?:19|20)\d\d(?:[/-]\d\d(?!\d))?"          # 2019, 2019/20
_DATE = r"(?:(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)\d\d|(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))"
_SAFE_RUN = re.compile(rf"(?:{_DATE}|{_YEARISH})(?:{_DSEP}(?:{_DATE}|{_YEARISH}))*")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3}){2}(?:\.\d+)?")       # 1,564,015 (7 to 9 digits)
_ONS_CODE = re.compile(r"[EWSNK]\d{8}")                        # E01006512: public area codes
_NUM_WORD = (r"(?:zero|nought|oh|o|one|two|three|four|five|six|seven|eight|nine|double|triple)"
             r"(?![a-z])")
_SPELLED_DIGITS = re.compile(rf"(?<![a-z]){_NUM_WORD}(?:[\s,.;:/_-]+{_NUM_WORD}){{5,}}", re.I)
_TLD = (r"(?:com|org|net|uk|gov|nhs|ac|io|info|edu|me|co|eu|ie|de|fr|biz|online|email|scot|wales|"
        r"cymru|london|example)")
_LOCAL = r"(?<![\w.+-])[a-z0-9][\w.+-]*"
_LABEL = r"[a-z0-9][\w-]*"
_OPEN, _CLOSE = r"[\[({<]?[ \t]*", r"[ \t]*[\])}>]?"
_EMAIL_SHAPES = re.compile(
    _LOCAL + r"(?:"
    rf"[@#＠]{_LABEL}(?:\.{_LABEL})*\.[a-z]{{2,24}}(?![\w])"                      # a@b.c, a#b.org
    rf"|[ \t]*[@#＠][ \t]*{_LABEL}(?:[ \t]*[.,][ \t]*{_LABEL})*[ \t]*[.,][ \t]*{_TLD}(?![\w])"  # a @ b . org, a@b,org
    rf"|[ \t]*{_OPEN}\bat\b{_CLOSE}[ \t]*{_LABEL}"                                 # a at b dot com
    rf"(?:[ \t]*{_OPEN}(?:\bdot\b|[.,]){_CLOSE}[ \t]*{_LABEL})*[ \t]*{_OPEN}(?:\bdot\b|[.,]){_CLOSE}[ \t]*{_TLD}(?![\w])"
    rf"|[ \t]+at[ \t]+{_LABEL}(?:[ \t]+{_LABEL})?[ \t]+"                              # a at b org
    r"(?:com|org|net|edu|info|io|(?:co|org|ac|gov|nhs|ltd|plc|sch|me)[ \t]+uk|nhs[ \t]+net)(?![\w]))",
    re.I)
# any two letters: stored text errs towards masking, and HMRC's own specimen "QQ 12 34 56 C" (not a
# number it issues) is what people type when they mean a real one
_NINO_SHAPE = re.compile(
    r"(?<![a-z0-9])[a-z][ \t.,:;/_|-]{0,3}[a-z]"
    r"(?:[ \t.,:;/_|-]{0,3}\d){6}[ \t.,:;/_|-]{0,3}[a-d](?![a-z0-9])", re.I)
_POSTCODE_SHAPE = re.compile(
    r"(?<![a-z0-9])[a-pr-uwyz][a-hk-y]?\d[a-z\d]?[ \t]*[-_./,:;|\\][ \t]*\d[abd-hjlnp-uw-z]{2}(?![a-z0-9])", re.I)
def _mask_digit_run(m: re.Match) -> str:
    run = m.group(0)
    if sum(c.isdigit() for c in run) < 7:
        return run
    if _SAFE_RUN.fullmatch(run) or _THOUSANDS.fullmatch(run):
        return run                       # years, year ranges, dates; a number such as 1,564,015
    before = m.string[max(0, m.start() - 2):m.start()]
    if len(run) == 8 and before[-1:] in "EWSNK" and before[-1:] and not before[:-1].isalnum() \
            and _ONS_CODE.fullmatch(before[-1] + run) and not m.string[m.end():m.end() + 1].isalnum():
        return run                       # an ONS area code (E01006512)
    return "<NUMBER>"


def sanitise_for_storage(text: str) -> str:
    """The last line before free text is stored (audit log, review queue): masks whatever is
    shaped like an identifier and survived the scanner's redaction.

    - runs of 7 or more digits with short separators between them ("466,365,5025",
      "07710,451582", "NHS4663655025x") -> "<NUMBER>"; kept: years and year ranges
      ("2017, 2018 and 2019", "2019-2020", "2019/20"), dates, a number written with thousands
      separators ("1,564,015") and ONS area codes ("E01006512", "E08000012");
    - six or more digits spelled out ("four six six three ...") -> "<NUMBER>";
    - e-mail-like shapes ("a@b.c", "a # b . c", "a@b,org", "a at b dot c", "a at b org")
      -> "<EMAIL_ADDRESS>";
    - National Insurance shapes with any separators ("RG-82-22-06-C") -> "<UK_NINO>";
    - postcodes with a separator other than a space ("L35-8NU", "L35_8NU") -> "<UK_POSTCODE>".

    Pure: no scanner, no I/O.  Never applied to the text the planner plans on."""
    if not isinstance(text, str) or not text:
        return text
    text = normalise_text(text)
    # letters standing in for digits inside a mostly-digit token ("66O 198 83l6")
    text = _DIGITISH.sub(lambda m: m.group(0).translate(_AS_DIGITS), text)
    # part of an identifier after the word for it ("NHS number is 555 621", "phone ends 451582")
    text = _AFTER_ID_WORD.sub(lambda m: m.group(1) + "<NUMBER>", text)
    text = _EMAIL_SHAPES.sub("<EMAIL_ADDRESS>", text)
    text = _SPELLED_DIGITS.sub(lambda m: "<NUMBER>" if _spelled_len(m.group(0)) >= 6 else m.group(0), text)
    text = _NINO_SHAPE.sub(lambda m: "<UK_NINO>" if nino_shape_ok(m.group(0)) else m.group(0), text)
    text = _POSTCODE_SHAPE.sub(lambda m: m.group(0) if ordinal_inward(m.group(0)) else "<UK_POSTCODE>", text)
    return _DIGIT_RUN.sub(_mask_digit_run, text)


def clean_free_text(text: str, scanner=None) -> str:
    """Free text a person typed into a governance record (a project's title or funder, a
    steward's reason, a requester's reply) as it is stored: the PII scanner's redaction (names,
    e-mails, phone numbers, ...), names the gazetteer does not hold (``unlisted_name_spans``),
    then ``sanitise_for_storage`` for whatever shape survived."""
    if not isinstance(text, str) or not text:
        return text
    cleaned = normalise_text(text)
    for start, end in reversed(unlisted_name_spans(cleaned)):
        cleaned = cleaned[:start] + "<PERSON>" + cleaned[end:]
    return sanitise_for_storage(redact(cleaned, scanner)[0])


_AS_DIGITS = str.maketrans({"O": "0", "o": "0", "l": "1", "I": "1", "i": "1", "S": "5", "B": "8", "Z": "2"})
# a token of 3+ characters that is mostly digits, with a few letters that look like digits
_DIGITISH = re.compile(r"(?<![\w])(?=[\dOolISBZi]{3,}(?![\w]))(?=(?:[^\d\s]*\d){2})[\dOolISBZi]+(?![\w])")
_AFTER_ID_WORD = re.compile(
    r"(\b(?:nhs|ni|national insurance|phone|mobile|tel|telephone|contact|patient|id|reference|ref)"
    r"(?:\s+(?:no\.?|number|num|#))?(?:\s+(?:is|was|are|:|=|-|ends|ending|ends in|starts|starting|"
    r"begins|first half|second half|rest))*[\s:=#-]*(?:(?:is|with|in)\s+)?)(\d[\d\s.,/-]{2,}\d)",
    re.I)


def _spelled_len(run: str) -> int:
    n, mult = 0, 1
    for w in re.findall(r"[a-z]+", run.lower()):
        if w in ("double", "triple"):
            mult = 2 if w == "double" else 3
            continue
        n += mult
        mult = 1
    return n


def sanitise_fields(fields: dict, names=None) -> dict:
    """``sanitise_for_storage`` over the free-text fields of a record (strings, and strings
    in lists), the rest untouched."""
    names = STORAGE_TEXT_FIELDS if names is None else names
    out = dict(fields)
    for k in names:
        v = out.get(k)
        if k == "conversation":
            out[k] = sanitise_conversation_id(v)
        elif isinstance(v, str):
            out[k] = sanitise_for_storage(v)
        elif isinstance(v, (list, tuple)):
            out[k] = [sanitise_for_storage(x) if isinstance(x, str) else x for x in v]
    return out


def sanitise_conversation_id(value):
    """A conversation id as stored: the app's own ids ("c-" and 12 hex digits) as they are,
    any other (a client may send any string) through ``sanitise_for_storage``."""
    if not isinstance(value, str) or re.fullmatch(r"c-[0-9a-f]{12}", value):
        return value
    return sanitise_for_storage(value)


# Free text that can carry what a person typed: questions, reasons, purposes, conversation ids.
STORAGE_TEXT_FIELDS = ("question", "reason", "purpose", "purpose_stated", "decision_reason",
                       "conversation", "detail", "note", "message", "ungrounded")
