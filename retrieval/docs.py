"""Documentation answers from the datasheets: publisher, licence, steward, caveats,
methodology and the catalogue.  Lexical and extractive; the documentation-retrieval issue
replaces the search with a hybrid Chroma index behind the same function."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from retrieval.datasheets import Datasheet
from retrieval.geography import normalise

SECTIONS = ("description", "methodology", "caveats", "licence", "publisher", "steward")
_STOP = set("a an the of in for on to and or is are was were be what who how why does do this "
            "that it its which data figures figure from by with about you your me my can i".split())


@dataclass(frozen=True)
class Passage:
    dataset: str
    section: str
    text: str
    score: float


def section_text(sheet: Datasheet, section: str) -> str:
    if section == "publisher":
        return f"{sheet.title} is published by {sheet.publisher}. Source: {sheet.source_url}"
    if section == "licence":
        return (f"{sheet.title} is available under the {sheet.licence.name} ({sheet.licence.url}). "
                f"Attribution: {sheet.licence.attribution}")
    if section == "steward":
        return f"The steward of {sheet.title} is {sheet.steward.name} ({sheet.steward.contact})."
    if section == "caveats":
        return " ".join(sheet.caveats) or "No caveats are recorded."
    if section == "methodology":
        return sheet.methodology
    return sheet.description


def passages(sheets: dict[str, Datasheet]) -> list[tuple[str, str, str]]:
    out = []
    for s in sheets.values():
        for sec in SECTIONS:
            extra = " ".join(m.label + " " + " ".join(m.synonyms) for m in s.measures) if sec == "description" else ""
            out.append((s.id, sec, section_text(s, sec) + " " + s.title + " " + extra))
    return out


def _terms(text: str) -> list[str]:
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w
            for w in normalise(text).split() if w not in _STOP]


def search(sheets: dict[str, Datasheet], query: str, datasets: list[str] | None = None,
           section: str | None = None, k: int = 3) -> list[Passage]:
    """Score passages by term overlap (idf-weighted), optionally filtered."""
    docs = passages(sheets)
    df = Counter(t for _, _, text in docs for t in set(_terms(text)))
    n = len(docs)
    q = _terms(query)
    scored = []
    for ds, sec, text in docs:
        if datasets and ds not in datasets:
            continue
        if section and sec != section:
            continue
        terms = Counter(_terms(text))
        score = sum((terms[t] > 0) * (1 + (n / (1 + df[t])) ** 0.5) for t in set(q))
        scored.append(Passage(ds, sec, section_text(sheets[ds], sec), score))
    scored.sort(key=lambda p: (-p.score, p.dataset, p.section))
    return scored[:k]


def catalogue_text(sheets: dict[str, Datasheet]) -> str:
    lines = [f"- **{s.title}** ({s.publisher}; {s.licence.name})" for s in sheets.values() if s.measures]
    return "The commons holds these datasets:\n" + "\n".join(lines)


def describe_measure(sheet: Datasheet, concept: str) -> str:
    m = sheet.measure_by_id[concept]
    return f"{m.label}: {m.description} Unit: {m.unit}."


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def answer(sheets: dict[str, Datasheet], request: dict) -> tuple[str, list[Passage]]:
    section = request.get("section") or "description"
    datasets = [d for d in request.get("datasets") or [] if d in sheets]
    if section == "catalogue":
        query = request.get("query", "")
        topic = [t for t in _terms(query) if t not in {"datum", "dataset", "have", "hold", "ask", "tell"}]
        if topic and not datasets:
            hits = [p for p in search(sheets, " ".join(topic), section="description", k=5) if p.score > 0]
            if hits:
                return ("On that topic the commons holds:\n" + "\n".join(
                    f"- **{sheets[p.dataset].title}** ({sheets[p.dataset].publisher})" for p in hits), hits)
        return catalogue_text(sheets), []
    if not datasets:
        hits = search(sheets, request.get("query", ""), section=section if section != "description" else None, k=1)
        if not hits or hits[0].score == 0:
            return ("I couldn't tell which dataset you mean. " + catalogue_text(sheets)), []
        datasets = [hits[0].dataset]
        section = hits[0].section if section == "description" else section
    found = [Passage(d, section, section_text(sheets[d], section), 1.0) for d in datasets[:3]]
    if request.get("concept") and section in ("methodology", "description"):
        extra = describe_measure(sheets[datasets[0]], request["concept"])
        found.insert(0, Passage(datasets[0], "measures", extra, 1.0))
    text = "\n\n".join(f"{p.text} _(Datasheet: {sheets[p.dataset].title}, section: {p.section})_" for p in found)
    return text, found
