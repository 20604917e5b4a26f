"""Inbound screening: what a question must pass before anything else sees it.

Redacts identifiers (so they are never logged, stored or sent to a model), rejects input
that is not a readable question, and spots attempts to smuggle SQL or file access.
Identifiers are found by the Presidio-based scanner in ``guardrails.pii`` (entity names
EMAIL_ADDRESS, PHONE_NUMBER, UK_NHS, UK_NINO, UK_POSTCODE, PERSON; each replaced by
"<ENTITY>").  The regular expressions below are only the fallback for a scanner that fails on
one text at run time, so a failure never lets an identifier through and never shows the text.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from assistant.errors import ConfigError

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
            from guardrails.pii import default_scanner
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
            from guardrails.pii import default_scanner
            scanner = default_scanner()
        return [(t, ()) if not isinstance(t, str) or not t else r
                for t, r in zip(texts, scanner.redact_many([t if isinstance(t, str) else "" for t in texts]))]
    except ConfigError:
        raise
    except Exception as e:  # noqa: BLE001 - never a traceback, never the text
        log.warning("PII scanner failed (%s); using the fallback patterns", type(e).__name__)
        return [redact_regex(t) if isinstance(t, str) else (t, ()) for t in texts]


def normalise_text(text: str) -> str:
    """Compatibility forms folded (full-width digits and letters become ASCII) and invisible
    format characters removed, so an identifier cannot hide from the scanner in look-alike
    characters ("９４３ ４７６ ５９１９", "943\u200b476\u200b5919")."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf")


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
