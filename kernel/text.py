"""Text normalisation every layer shares: words for matching, and one spelling per person.

``normalise`` is how questions, place names and datasheet phrases are compared (lower case, no
accents or punctuation, 'Saint' -> 'st').  ``canonical_id`` / ``person_key`` fold the ways one
id can be written ('Sam', 'SAM', full-width, Cyrillic look-alikes, invisible joiners, 's.a.m')
so nobody reviews their own request under another spelling.  ``CONFUSABLES`` is the one table
of look-alike letters, used for ids here and by the PII scanner's input folding.
"""

from __future__ import annotations

import re
import threading
import unicodedata

# Latin look-alikes from Cyrillic and Greek (and a few IPA letters), folded to the Latin letter
# they imitate so that "Bеthan Clаrk" (Cyrillic е, а) is scanned as "Bethan Clark".  Small and
# explicit on purpose: only letters that pass for a Latin letter in ordinary fonts.
CONFUSABLES: dict[str, str] = {
    # Cyrillic, lower case
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
    "һ": "h", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g", "ı": "i",
    # Cyrillic, capitals
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ї": "I", "Ј": "J", "Ѕ": "S", "Һ": "H",
    "Ӏ": "I", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y",
    # Greek
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}

_FOLD = str.maketrans(CONFUSABLES)
# Characters that show as nothing or as a blank: gone from an id.
_INVISIBLE = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, 'St.'/'Saint' -> 'st', '&' -> 'and'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("&", " and ").replace("'", "").replace("\u2019", "")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\bsaint\b", "st", text)
    return re.sub(r"\s+", " ", text).strip()


def canonical_id(value: object) -> str:
    """One spelling per person: 'Sam', ' sam ', 'SAM', 'ｓａｍ', 'sаm' (Cyrillic а) and 'sam' with
    an invisible joiner are the same actor, so nobody reviews their own request and the
    differencing ledger sees one history per person."""
    text = unicodedata.normalize("NFKC", str(value or "")).casefold().translate(_FOLD)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Mn", "Me", "Cc")
                   and ch not in _INVISIBLE)
    return " ".join(text.split()) or "anonymous"


def person_key(value: object) -> str:
    """An id without punctuation or spacing: 's.a.m', 'S_A_M' and 'sam' are one person."""
    return "".join(ch for ch in canonical_id(value) if ch.isalnum())


def same_person(a: object, b: object) -> bool:
    """Ids that differ only in punctuation or spacing ('s.a.m', 's-am') are the same person."""
    return person_key(a) == person_key(b)


_FREQ_LOCK = threading.Lock()
_FREQ = None


def english_frequency(word: str) -> int:
    """How often ``word`` (lower case) is used in English: pyspellchecker's word-frequency list
    (MIT; a file shipped in the package, read once per process; 0 for a word it does not hold).
    Names no gazetteer holds and typos are told from real words with it."""
    global _FREQ
    with _FREQ_LOCK:
        if _FREQ is None:
            from spellchecker import SpellChecker
            _FREQ = SpellChecker(language="en", distance=1).word_frequency
    return _FREQ[word] if word in _FREQ else 0

