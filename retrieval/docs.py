"""Documentation answers: short, extractive, cited (dataset + section).

The passages come from the hybrid documentation index (``retrieval.index.DocsIndex``: Chroma
dense vectors + BM25, fused by reciprocal rank fusion).  Without an index (or if it cannot be
opened) the same passages are searched with BM25 alone, so documentation questions never fail.

    text, passages = answer(sheets, request, index=index, role="resident")

``request`` is the planner's docs request: ``{"section", "datasets", "query", "concept"}``.
Restricted sections are only returned to the roles a datasheet allows.  The answer that quotes
the passages goes through the pipeline's outbound PII scan like every other answer.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from retrieval.datasheets import Datasheet
from retrieval.index import (BM25, COMMONS, Chunk, DocsIndex, Hit, acronym_terms, build_chunks, expand_terms,
                             rrf, terms)

log = logging.getLogger(__name__)

SECTIONS = ("description", "methodology", "caveats", "licence", "publisher", "steward", "measures",
            "columns", "policy", "provenance", "policies")
SECTION_NAMES = {"description": "description", "methodology": "methodology", "caveats": "caveats",
                 "licence": "licence and attribution", "publisher": "publisher and source",
                 "steward": "steward", "measures": "measure", "columns": "columns", "policy": "use policy",
                 "provenance": "provenance (SOURCES.md)", "policies": "commons use policy"}


@dataclass(frozen=True)
class Passage:
    dataset: str
    section: str
    text: str
    score: float
    title: str = ""


class LexicalDocs:
    """BM25 over the same passages as the index: the fallback when Chroma is unavailable."""

    def __init__(self, sheets: dict[str, Datasheet], sources_md: Path | None = None, extra=()):
        self.extra = tuple(extra)
        self.chunks = build_chunks(sheets, sources_md, self.extra)
        self.by_id = {c.id: c for c in self.chunks}
        self._bm25 = BM25([terms(c.text) for c in self.chunks])
        self.acronyms = acronym_terms(self.chunks)

    def search(self, query: str, k: int = 5, datasets=None, sections=None, role="resident", mode="lexical"):
        scores = self._bm25.scores(expand_terms(terms(query), self.acronyms))
        hits = []
        for i, s in sorted(scores.items(), key=lambda x: -x[1]):
            c: Chunk = self.chunks[i]
            if (datasets and c.dataset not in datasets) or (sections and c.section not in sections) \
                    or not c.visible_to(role):
                continue
            hits.append(Hit(c.id, c.dataset, c.section, c.title, c.text, round(s, 4), c.measure))
            if len(hits) >= k:
                break
        return hits


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])", text) if s.strip()]


def extract(text: str, query: str, max_sentences: int = 3, max_chars: int = 600) -> str:
    """The passage itself when short; otherwise its first sentence plus those sharing most query terms."""
    if len(text) <= max_chars:
        return text
    sents = _sentences(text)
    q = set(terms(query))
    scored = sorted(range(len(sents)), key=lambda i: (-len(q & set(terms(sents[i]))), i))
    keep = sorted({0, *scored[:max_sentences - 1]})
    out = " ".join(sents[i] for i in keep)
    return out if len(out) <= max_chars * 1.5 else out[: int(max_chars * 1.5)].rsplit(" ", 1)[0] + " …"


def _title(sheets: dict[str, Datasheet], dataset: str, fallback: str) -> str:
    return sheets[dataset].title if dataset in sheets else fallback


def rank(searcher, request: dict, role: str | None = "resident", k: int = 5, mode: str = "hybrid") -> list[Hit]:
    """Passages for a docs request, best first.

    The planner's hints are soft: the section its cue words name ('licence', 'caveats', ...) and
    the datasets of a measure it recognised each give a filtered search, fused with the open
    search by reciprocal rank fusion, so a wrong hint costs a rank, never the answer.
    """
    query = request.get("query") or ""
    depth = max(k, 10)
    free = searcher.search(query, k=depth, role=role, mode=mode)
    lists = [free]
    section = request.get("section")
    if section and section not in ("description", "catalogue"):
        # the commons-wide use policy answers 'policy' questions as well as each datasheet's own
        sections = [section, "policies"] if section == "policy" else [section]
        lists.append(searcher.search(query, k=depth, sections=sections, role=role, mode=mode))
    datasets = [d for d in request.get("datasets") or []]
    if datasets:
        lists.append(searcher.search(query, k=depth, datasets=datasets, role=role, mode=mode))
    if datasets and section and section not in ("description", "catalogue"):
        # both hints at once: the passage of the kind asked, in the dataset asked about (counted
        # twice, as the open search is: two hints agreeing outweigh one passage that is merely near)
        both = [section, "policies"] if section == "policy" else [section]
        agreed = searcher.search(query, k=depth, datasets=datasets, sections=both, role=role, mode=mode)
        lists += [agreed, agreed]
    if len(lists) == 1:
        return free[:k]
    by_id = {h.id: h for hits in lists for h in hits}
    fused = rrf([[h.id for h in hits] for hits in lists] + [[h.id for h in free]])   # open search counts twice
    order = sorted(fused, key=lambda i: (-fused[i], i))[:k]
    return [Hit(i, by_id[i].dataset, by_id[i].section, by_id[i].title, by_id[i].text, round(fused[i], 4),
                by_id[i].measure) for i in order]


def _same_family(sheets: dict[str, Datasheet], request: dict, a: str, b: str) -> bool:
    """Is a second passage about a sibling of the first dataset (the two census tables), not
    about some other dataset ('who do I contact about the lupus data' -> not the IMD's steward)?
    Within the datasets the question points to when it points to some, else the same publisher."""
    hinted = request.get("datasets") or []
    if hinted:
        return a in hinted and b in hinted
    return a in sheets and b in sheets and sheets[a].publisher == sheets[b].publisher


def _best_of_kind(searcher, top: Hit, query: str, request: dict, role) -> Hit:
    """Among the passages of the chosen dataset and section (a datasheet has several caveats),
    the one that shares most words with the question: the ranking picks what kind of passage
    answers, the words pick which one ('can I compare IMD 2019 with 2025' -> the caveat that says
    they are not directly comparable, not the first caveat)."""
    if top.section == "measures" and top.measure and top.measure == request.get("concept"):
        return top
    try:
        same = searcher.search(query, k=1, datasets=[top.dataset], sections=[top.section], role=role,
                               mode="lexical")
    except Exception:  # noqa: BLE001 - the fused choice stands
        return top
    if same and same[0].id != top.id and same[0].dataset == top.dataset and same[0].section == top.section:
        h = same[0]
        return Hit(h.id, h.dataset, h.section, h.title, h.text, top.score, h.measure)
    return top


# The words that ask for a section by name (a restricted section asked for by name is refused;
# a question that merely lands near one is answered from the sections the role may see).
ASKED_BY_NAME = {
    "methodology": ("methodology", "method", "methods", "calculated", "calculate", "calculation", "how it was made",
                    "how was it made", "how is it made", "worked out", "collected", "generated"),
    "caveats": ("caveat", "caveats", "limitation", "limitations", "known problems", "known issues"),
    "columns": ("column", "columns", "field", "fields"),
    "steward": ("steward", "contact"),
    "policy": ("policy", "policies", "use boundaries", "permitted purposes"),
    "licence": ("licence", "license", "attribution"),
    "publisher": ("publisher", "publishes", "published by"),
    "measures": ("measure", "measures"),
    "description": ("description",),
}


def names_section(query: str, section: str | None) -> bool:
    """True when the question names ``section`` itself ("what is the methodology of ...")."""
    words = set(re.findall(r"[a-z]+", query.lower()))
    text = " ".join(re.findall(r"[a-z]+", query.lower()))
    for cue in ASKED_BY_NAME.get(section or "", (section or "",)):
        if (" " in cue and f" {cue} " in f" {text} ") or cue in words:
            return True
    return False


def catalogue_text(sheets: dict[str, Datasheet]) -> str:
    lines = [f"- **{s.title}** ({s.publisher}; {s.licence.name})" for s in sheets.values() if s.measures]
    return "The commons holds these datasets:\n" + "\n".join(lines)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_CATALOGUE_NOISE = {"datum", "data", "dataset", "have", "hold", "ask", "tell", "know", "anything",
                    "something", "got", "information", "info", "stuff", "figure", "statistic"}


def answer(sheets: dict[str, Datasheet], request: dict, index: DocsIndex | LexicalDocs | None = None,
           role: str | None = "resident", redact=lambda text: text) -> tuple[str, list[Passage]]:
    """A short extractive answer and the passages it quotes (each cited in the text); every
    quoted passage goes through ``redact`` (the pipeline passes the PII scanner)."""
    searcher = index if index is not None else LexicalDocs(sheets)
    section = request.get("section") or "description"
    query = request.get("query") or ""
    try:
        if section == "catalogue":
            return _catalogue(sheets, searcher, query, request, role, redact)
        hits = rank(searcher, request, role=role, k=5)
    except Exception as e:  # noqa: BLE001 - a broken index degrades to lexical search, never an error
        if isinstance(searcher, LexicalDocs):
            raise
        log.warning("documentation index unavailable, using lexical search: %s", e)
        return answer(sheets, request, LexicalDocs(sheets, extra=getattr(searcher, "extra", ())), role, redact)
    if not hits:
        return ("I couldn't find that in the datasheets. " + catalogue_text(sheets)), []
    top = _best_of_kind(searcher, hits[0], query, request, role)
    chosen = [top]
    # A second passage when it says the same kind of thing about another dataset
    # (e.g. the licence of both census tables), or adds a close second section.
    for h in hits[1:3]:
        if h.section == top.section and h.dataset != top.dataset and h.score >= 0.9 * top.score \
                and top.section in ("licence", "publisher", "steward", "policy") \
                and _same_family(sheets, request, top.dataset, h.dataset):
            chosen.append(h)
            break
    passages = []
    parts = []
    for h in chosen:
        text = redact(extract(h.text, query))
        title = _title(sheets, h.dataset, h.title)
        passages.append(Passage(h.dataset, h.section, text, h.score, title))
        parts.append(f"{text} _(Datasheet: {title}, section: {SECTION_NAMES.get(h.section, h.section)})_")
    return "\n\n".join(parts), passages


def _catalogue(sheets, searcher, query: str, request: dict, role, redact) -> tuple[str, list[Passage]]:
    topic = [t for t in terms(query) if t not in _CATALOGUE_NOISE and t not in
             {"what", "which", "dataset", "datasets", "commons", "available"}]
    if not topic:
        return catalogue_text(sheets), []
    hits = searcher.search(" ".join(topic), k=12, sections=["description", "measures"], role=role)
    order: list[str] = []
    best: dict[str, Hit] = {}
    for h in hits:
        if h.dataset in sheets and sheets[h.dataset].measures and h.dataset not in best:
            best[h.dataset] = h
            order.append(h.dataset)
    if not order:
        return catalogue_text(sheets), []
    order = order[:5]
    lines = [f"- **{sheets[d].title}** ({sheets[d].publisher}) _(Datasheet: {sheets[d].title}, "
             f"section: {SECTION_NAMES.get(best[d].section, best[d].section)})_" for d in order]
    passages = [Passage(d, best[d].section, redact(extract(best[d].text, query)), best[d].score, sheets[d].title)
                for d in order]
    return "On that topic the commons holds:\n" + "\n".join(lines), passages


def describe_measure(sheet: Datasheet, concept: str) -> str:
    m = sheet.measure_by_id[concept]
    return f"{m.label}: {m.description} Unit: {m.unit}."


def search(sheets: dict[str, Datasheet], query: str, datasets: Sequence[str] | None = None,
           section: str | None = None, k: int = 3) -> list[Passage]:
    """Lexical search without an index (kept for callers that have only the datasheets)."""
    hits = LexicalDocs(sheets).search(query, k=k, datasets=datasets, sections=[section] if section else None)
    return [Passage(h.dataset, h.section, h.text, h.score, h.title) for h in hits]


__all__ = ["Passage", "LexicalDocs", "answer", "rank", "search", "extract", "catalogue_text", "names_section",
           "COMMONS"]
