"""The documentation index: every datasheet section, the provenance notes and the commons'
policies, in a persistent Chroma collection under ``COMMONS_HOME/index``, searched by a hybrid
of dense vectors (Chroma, through a registered sentence-transformers embedding function) and
BM25, fused by reciprocal rank fusion.  The same embeddings give the planner a ranked list of
candidate measures for words the datasheets do not use (``MetricIndex``).

    index = DocsIndex.open(settings, sheets, progress)      # cheap: nothing is loaded yet
    index.search("who publishes the census data", k=3, role="resident")
    index.metrics.candidates("hard up")                     # [(concept, dataset, score), ...]

Chunks are content-hashed: a sync only embeds what is new or changed and deletes what went.
Restricted sections (``restricted_sections`` in a datasheet) carry the roles allowed to read
them; searches for any other role never return them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Literal, Sequence

import numpy as np

from kernel.errors import CommonsError, ConfigError
from retrieval.datasheets import Datasheet
from retrieval.embeddings import TRAINING_VERSION, Embedder, StaticFolderEmbedder, SentenceTransformerEmbedder, load_embedder

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]
COMMONS = "commons"                 # the 'dataset' of commons-wide passages
DOC_SECTIONS = ("description", "methodology", "caveats", "licence", "publisher", "steward",
                "measures", "columns", "policy", "provenance", "policies")
DOCS_COLLECTION = "commons_docs"
METRICS_COLLECTION = "commons_metrics"
RRF_K = 60
HEAD_WEIGHT = 1.0                   # BM25 weight of a passage's heading field against its text
HEAD_B = 0.3                        # headings differ in length by their titles: weak length norm
SECTION_WEIGHT = 2.0                # weight of the query's section intent in the lexical score
DENSE_WEIGHT = 1.0                  # weight of the dense ranking in the fusion (lexical: 1)
SHIPPED_MODEL = Path("models") / "docs-static"   # under data/: the default model, trained by `commons docs-model`
ALL_ROLES = ("resident", "provider", "researcher", "commercial", "steward", "evaluator")

_STOP = frozenset("""a an the of in on at to for and or is are was were be been by with from as it its
this that these those what which who whom how why when where do does did can could would should
i me my we our you your there their they them any some all about into than then so if not no yes
please tell show give get much many""".split())


_SPELLING = {"licens": "licenc", "organization": "organisation", "organiz": "organis", "analyz": "analys"}


class IndexError_(CommonsError):
    """The documentation index could not be built or read."""


# ----------------------------------------------------------------------------- chunks

@dataclass(frozen=True)
class Chunk:
    id: str
    dataset: str
    section: str
    title: str                       # title of the dataset (or the commons)
    text: str                        # what is embedded, searched and quoted
    roles: tuple[str, ...] = ()      # empty: anyone; otherwise only these roles
    measure: str = ""
    head: str = ""                   # searched, never quoted: section words, dataset title and names

    @property
    def search_text(self) -> str:
        """What is embedded: the heading words, then the passage."""
        return f"{self.head}. {self.text}" if self.head else self.text

    @property
    def digest(self) -> str:
        raw = json.dumps([self.text, self.dataset, self.section, self.title, list(self.roles), self.measure,
                          self.head])
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]

    def metadata(self) -> dict:
        md = {"dataset": self.dataset, "section": self.section, "title": self.title,
              "measure": self.measure, "hash": self.digest,
              "restricted": bool(self.roles), "roles": ",".join(self.roles)}
        for r in ALL_ROLES:
            md[f"role_{r}"] = (not self.roles) or r in self.roles
        return md

    def visible_to(self, role: str | None) -> bool:
        return not self.roles or (role is not None and role in self.roles)


def _roles_for(sheet: Datasheet, section: str) -> tuple[str, ...]:
    """The roles a passage is restricted to (empty: everyone), by the datasheet's one rule."""
    return sheet.section_roles(section) or ()


def datasheet_chunks(sheet: Datasheet) -> list[Chunk]:
    t, out = sheet.title, []

    def add(section: str, text: str, suffix: str = "", measure: str = ""):
        text = " ".join(text.split())
        if text:
            out.append(Chunk(f"{sheet.id}/{section}{suffix}", sheet.id, section, t, text,
                             _roles_for(sheet, section), measure))

    synthetic = " This is a SYNTHETIC dataset." if sheet.synthetic else ""
    add("description", f"{t}: what the dataset is. {sheet.description}{synthetic}")
    add("methodology", f"How {t} is made (methodology, how it is calculated): {sheet.methodology}")
    for i, c in enumerate(sheet.caveats):
        add("caveats", f"Caveat of {t} (a limitation to bear in mind): {c}", f"/{i}")
    if not sheet.caveats:
        add("caveats", f"No caveats are recorded for {t}.")
    add("licence", f"Licence and attribution of {t}: it is available under the {sheet.licence.name} "
                   f"({sheet.licence.url}). Attribution (how to credit or cite it when you reuse it): "
                   f"{sheet.licence.attribution}")
    add("publisher", f"Publisher and source of {t}: it is published by {sheet.publisher}. "
                     f"Source: {sheet.source_url}")
    add("steward", f"Steward of {t}: the data steward who looks after it and whom to contact is "
                   f"{sheet.steward.name} ({sheet.steward.contact}).")
    for m in sheet.measures:
        syn = f" Also called: {', '.join(m.synonyms)}." if m.synonyms else ""
        add("measures", f"Measure '{m.label}' in {t}: {m.description} Unit: {m.unit}.{syn}",
            f"/{m.id}", measure=m.id)
    geo = sheet.geography
    cols = [f"the area code is in column {geo.column} ({geo.level.upper()}, {geo.vintage} boundaries)"]
    if geo.name_column:
        cols.append(f"area names in {geo.name_column}")
    if sheet.time.column:
        cols.append(f"the period is in column {sheet.time.column} ({sheet.time.granularity})")
    else:
        cols.append(f"it covers one period: {sheet.time.period} ({sheet.time.label})")
    cols += [f"{d.column} ({d.label})" for d in sheet.dimensions]
    roles = [f"{c.name} is a {c.role.replace('_', ' ')}" + (f" ({c.handling})" if c.role == "direct_identifier" else "")
             for c in sheet.columns if c.role in ("direct_identifier", "quasi_identifier")]
    fields = [m.column for m in sheet.measures if m.column]
    add("columns", f"Columns and fields of the {t} table: " + "; ".join(cols) + ". Measure columns: "
        + ", ".join(fields[:40]) + ("." if fields else "none.") + (" Column roles: " + "; ".join(roles) + "." if roles else ""))
    p = sheet.policy
    pol = [f"Use policy of {t} (what it may be used for, who is allowed to use it):",
           "permitted purposes: " + ", ".join(p.permitted_purposes) + ".",
           "roles: " + ", ".join(p.roles) + "."]
    if p.prohibited:
        pol.append("prohibited uses: " + ", ".join(p.prohibited) + ".")
    if p.review_purposes:
        pol.append("needs a steward's review: " + ", ".join(p.review_purposes) + ".")
    for k, v in p.duties.items():
        pol.append(f"{k} requires: {v}.")
    if p.duo_codes:
        pol.append("DUO codes: " + ", ".join(p.duo_codes) + ".")
    if sheet.sensitivity != "open":
        pol.append(f"Sensitivity: {sheet.sensitivity}.")
    if p.notes:
        pol.append(p.notes)
    add("policy", " ".join(pol))
    return out


def provenance_chunks(sources_md: Path, sheets: dict[str, Datasheet]) -> list[Chunk]:
    """SOURCES.md: one passage per file section (cited to its dataset) and per general section."""
    if not sources_md.exists():
        return []
    by_file = {s.source_file.split("/")[-1]: s for s in sheets.values()}
    text = sources_md.read_text(encoding="utf-8")
    out: list[Chunk] = []
    parts = re.split(r"^(#{2,3} .*)$", text, flags=re.M)
    pending_files: list[str] = []
    heading2 = "Data sources"
    for i in range(1, len(parts), 2):
        head, body = parts[i].strip(), " ".join(parts[i + 1].split())
        if head.startswith("## "):
            heading2 = head[3:].strip()
            if body:
                out.append(Chunk(f"{COMMONS}/provenance/{_slug(heading2)}", COMMONS, "provenance",
                                 "Data commons sources (SOURCES.md)", f"{heading2} (data provenance): {body}"))
            continue
        files = re.findall(r"`raw/([^`]+)`", head)
        if not body:                         # '### 13.' followed directly by '### 14.': shared body
            pending_files += files
            continue
        for f in pending_files + files:
            s = by_file.get(f)
            if s is None:
                continue
            out.append(Chunk(f"{s.id}/provenance", s.id, "provenance", s.title,
                             f"Provenance of {s.title} (where the file came from, source repository, "
                             f"checks): {body}", _roles_for(s, "provenance")))
        pending_files = []
    seen: set[str] = set()
    return [c for c in out if not (c.id in seen or seen.add(c.id))]


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")[:40] or "section"


# The words people use for each kind of section.  They go into every passage's heading (searched
# by BM25 as its own field and embedded, never quoted), so "who puts out X" finds X's publisher
# passage even though the passage itself says "published by".
SECTION_WORDS = {
    "description": "about overview description summary what is the dataset what it contains covers table data",
    "methodology": "methodology method how it is calculated computed worked out made produced derived built "
                   "constructed estimated measured definition approach",
    "caveats": "caveats limitations warnings issues reliability accuracy quality approximate careful bear in mind "
               "missing gaps comparability compare differences why",
    "licence": "licence license terms of use reuse copyright open government licence attribution credit cite "
               "citation acknowledge permission",
    "publisher": "publisher published by who publishes produces releases puts out issues organisation source "
                 "origin where it comes from",
    "steward": "steward data steward contact who looks after responsible person owner custodian questions email",
    "measures": "measure indicator variable statistic meaning what it means definition unit",
    "columns": "columns fields variables schema headers table structure codes geography identifiers",
    "policy": "use policy permitted purposes who may use it allowed roles prohibited uses restrictions conditions",
    "provenance": "provenance where the file came from obtained origin repository copy checks original source "
                  "raw file history",
    "policies": "commons rules use policy purposes allowed permitted prohibited banned forbidden uses conditions",
}


def dataset_names(sheet: Datasheet) -> str:
    """How people name a dataset: its title, short forms of it and the parts of its id."""
    ident = sheet.id.replace("_", " ")
    split = re.sub(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", " ", ident)
    return " ".join(dict.fromkeys([*_short_titles(sheet.title), ident, split]))


def _with_head(c: Chunk, sheets: dict[str, Datasheet]) -> Chunk:
    words = SECTION_WORDS.get(c.section, c.section)
    sheet = sheets.get(c.dataset)
    names = dataset_names(sheet) if sheet is not None else f"data commons {c.title}"
    return replace(c, head=f"{c.section}: {words}. {names}")


def build_chunks(sheets: dict[str, Datasheet], sources_md: Path | None = None,
                 extra: Sequence[Chunk] = ()) -> list[Chunk]:
    """Every passage: each datasheet's sections, the provenance notes, and ``extra`` passages the
    caller supplies (the commons' own use policy, written by guardrails.policy)."""
    chunks = [c for s in sheets.values() for c in datasheet_chunks(s)]
    if sources_md is not None:
        chunks += provenance_chunks(sources_md, sheets)
    chunks += list(extra)
    return [_with_head(c, sheets) for c in chunks]


# ----------------------------------------------------------------------------- text + BM25

def terms(text: str) -> list[str]:
    """Lower-case word terms with a light plural stem; function words dropped."""
    out = []
    for w in re.findall(r"[a-z0-9]+", text.lower().replace("'", "")):
        if w in _STOP:
            continue
        if len(w) > 4 and w.endswith("ies"):
            w = w[:-3] + "y"
        elif len(w) > 5 and w.endswith(("shes", "ches", "xes", "sses")):
            w = w[:-2]
        elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        if len(w) > 3 and w.endswith("ed") and not w.endswith("eed"):
            w = w[:-2]
        elif len(w) > 4 and w.endswith("ing"):
            w = w[:-3]
        if len(w) > 2 and w.endswith("e") and not w.endswith("ee"):
            w = w[:-1]                  # use/used/using, produce/produced, licence/licensed
        out.append(_SPELLING.get(w, w))
    return out


_ACRONYM_GLUE = frozenset({"of", "and", "the", "for", "to", "in", "on"})


def find_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronyms the commons spells out itself: 'Index of Multiple Deprivation (IMD)',
    'Income deprivation affecting children (IDACI)' -> {'imd': 'index of multiple deprivation', ...}.
    The words before the bracket whose initials spell it (the last letter may be missing, as in
    IDACI's 'index')."""
    out: dict[str, str] = {}
    texts = list(texts)
    for text in texts:
        for m in re.finditer(r"\(([A-Z]{2,7})\)", text):
            acr = m.group(1)
            words = re.findall(r"[A-Za-z][A-Za-z'-]*", text[:m.start()])[-2 * len(acr) - 4:]
            for k in range(1, len(words) + 1):
                sig = words[-k:]
                initials = "".join(w[0].upper() for w in sig if w.lower() not in _ACRONYM_GLUE)
                if len(initials) > len(acr):
                    break
                if sig[0].lower() not in _ACRONYM_GLUE and \
                        (initials == acr or (len(initials) >= 3 and initials == acr[:-1])):
                    out.setdefault(acr.lower(), " ".join(sig).lower())
                    break
    # Acronyms used bare ('LSOA') and spelled out elsewhere by their capitalised words
    # ('Lower layer Super Output Area').
    bare = {a for text in texts for a in re.findall(r"\b([A-Z]{3,6})s?\b", text)} - {a.upper() for a in out}
    for text in texts:
        words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
        for i, w in enumerate(words):
            if not w[0].isupper() or w.isupper():
                continue
            caps = ""
            for j in range(i, min(i + 9, len(words))):
                if words[j][0].isupper() and not words[j].isupper():
                    caps += words[j][0]
                elif words[j].lower() not in _ACRONYM_GLUE and not words[j].islower():
                    break
                if caps in bare and words[j][0].isupper() and len(caps) >= 3:
                    out.setdefault(caps.lower(), " ".join(words[i:j + 1]).lower())
                    break
    return out


def acronym_terms(chunks: Iterable[Chunk]) -> dict[str, list[str]]:
    """The acronyms the passages spell out, each with the search terms of its long form."""
    return {a: terms(x) for a, x in find_acronyms(c.text for c in chunks).items()}


def expand_terms(q_terms: list[str], acronyms: dict[str, list[str]]) -> list[str]:
    """Query terms plus the spelled-out form of any acronym in them, and the acronym of any
    spelled-out form ('is household deprivation the same as the IMD' also finds 'Index of
    Multiple Deprivation')."""
    have = set(q_terms)
    extra: list[str] = []
    for acr, words in acronyms.items():
        if acr in have:
            extra += [w for w in words if w not in have]
        elif words and all(w in have for w in words):
            extra.append(acr)
    return q_terms + extra


class BM25:
    """Okapi BM25 over a fixed list of documents (k1=1.2, b=0.75).

    ``groups`` (one key per document, e.g. its section) normalises each document's length by the
    average length of its own group, so kinds of passage that are long by nature (a table's
    column list) are not penalised against short ones (a publisher line)."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75,
                 groups: Sequence[str] | None = None):
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = [len(d) for d in docs]
        self.avg = (sum(self.lengths) / self.n) if self.n else 0.0
        if groups is not None:
            total: dict[str, list[int]] = defaultdict(list)
            for g, n in zip(groups, self.lengths):
                total[g].append(n)
            mean = {g: sum(v) / len(v) for g, v in total.items()}
            self.lengths = [n * self.avg / (mean[g] or 1) for g, n in zip(groups, self.lengths)]
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for t, tf in Counter(d).items():
                self.postings[t].append((i, tf))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, query: Sequence[str]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for t in set(query):
            idf = self.idf.get(t)
            if idf is None:
                continue
            for i, tf in self.postings[t]:
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / (self.avg or 1))
                out[i] += idf * tf * (self.k1 + 1) / norm
        return out


def rrf(rankings: Iterable[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None) -> dict[str, float]:
    fused: dict[str, float] = defaultdict(float)
    for n, ranking in enumerate(rankings):
        w = weights[n] if weights is not None else 1.0
        for rank, key in enumerate(ranking):
            fused[key] += w / (k + rank + 1)
    return fused


# ----------------------------------------------------------------------------- chroma

_EMBEDDERS: dict[tuple[str, str], Embedder] = {}
_EF_CLASS = None
_LOCK = threading.Lock()


def embedder_from_config(kind: str, model: str) -> Embedder:
    key = (kind, model)
    if key not in _EMBEDDERS:
        _EMBEDDERS[key] = StaticFolderEmbedder(Path(model)) if kind == "static" else SentenceTransformerEmbedder(model)
    return _EMBEDDERS[key]


def embedding_function_class():
    """The registered Chroma embedding function (defined on first use: chromadb loads lazily)."""
    global _EF_CLASS
    if _EF_CLASS is not None:
        return _EF_CLASS
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    @register_embedding_function
    class CommonsSentenceTransformerEF(EmbeddingFunction[Documents]):
        """A sentence-transformers model: the commons' trained StaticEmbedding or a configured one."""

        def __init__(self, model: str, kind: str = "st"):
            self.model, self.kind = model, kind

        def __call__(self, input: Documents) -> Embeddings:
            return list(embedder_from_config(self.kind, self.model).encode(list(input)))

        @staticmethod
        def name() -> str:
            return "commons_sentence_transformer"

        def get_config(self) -> dict:
            return {"model": self.model, "kind": self.kind}

        @staticmethod
        def build_from_config(config: dict) -> "CommonsSentenceTransformerEF":
            return CommonsSentenceTransformerEF(config["model"], config.get("kind", "st"))

        def default_space(self):
            return "cosine"

        def supported_spaces(self):
            return ["cosine", "ip", "l2"]

    _EF_CLASS = CommonsSentenceTransformerEF
    return _EF_CLASS


def chroma_client(path: Path, host: str = "", port: int = 8000):
    """A persistent Chroma folder at ``path``, or (``host``) a Chroma server (``chroma run``)
    through ``HttpClient``, which every instance of the commons can share."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=ChromaSettings(anonymized_telemetry=False))
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False,
                                                                             allow_reset=False))


# ----------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Hit:
    id: str
    dataset: str
    section: str
    title: str
    text: str
    score: float
    measure: str = ""


@dataclass(frozen=True)
class SyncReport:
    added: int
    updated: int
    removed: int
    unchanged: int
    seconds: float

    @property
    def embedded(self) -> int:
        return self.added + self.updated


@dataclass(frozen=True)
class MetricCandidate:
    concept: str            # measure id
    dataset: str            # the dataset whose wording matched best
    label: str
    score: float            # 0..1 confidence
    dense: float = 0.0
    lexical: float = 0.0


# ----------------------------------------------------------------------------- the index

class DocsIndex:
    """Documentation passages in Chroma + BM25; lazy: nothing heavy happens until first use."""

    def __init__(self, index_dir: Path, sheets: dict[str, Datasheet], sources_md: Path | None = None,
                 embedding_model: str = "", progress: Callable[[str], None] | None = None,
                 extra_chunks: Sequence[Chunk] = (), chroma_host: str = "", chroma_port: int = 8000):
        self.index_dir = Path(index_dir)
        self.chroma_host, self.chroma_port = chroma_host, chroma_port
        self.extra = tuple(extra_chunks)
        self.sheets = sheets
        self.data_dir = Path(sources_md).parent if sources_md else None
        self.sources_md = Path(sources_md) if sources_md else None
        self.embedding_model = embedding_model
        self.progress = progress or (lambda m: None)
        self.chunks = build_chunks(sheets, sources_md, self.extra)
        self.by_id = {c.id: c for c in self.chunks}
        self._bm25 = BM25([terms(c.text) for c in self.chunks], groups=[c.section for c in self.chunks])
        self._bm25_head = BM25([list(dict.fromkeys(terms(c.head))) for c in self.chunks], b=HEAD_B)
        self.acronyms = acronym_terms(self.chunks)
        # Section intent: the section words scored against each other (11 short documents), so a
        # word every steward passage shares ("contact") still tells steward from description.
        self._section_names = sorted(SECTION_WORDS)
        self._bm25_section = BM25([list(dict.fromkeys(terms(f"{k} {SECTION_WORDS[k]}"))) for k in self._section_names], b=0.0)
        self._vectors: np.ndarray | None = None
        self._embedder: Embedder | None = None
        self._collection = None
        self._client = None
        self._metrics: MetricIndex | None = None
        self.last_sync: SyncReport | None = None
        self._corpus: tuple[list[str], list[tuple[str, str]]] | None = None
        self._corpus_key: str | None = None
        # The app loads the index on a thread of its own while questions are answered: one
        # sync (and one measure index) at a time, whoever asks first.
        self._load_lock = threading.RLock()

    @classmethod
    def open(cls, settings, sheets: dict[str, Datasheet], progress=None, extra_chunks: Sequence[Chunk] = ()) -> "DocsIndex":
        data_dir = Path(settings.data_dir)
        return cls(settings.index_dir, sheets, data_dir / "SOURCES.md", settings.embedding_model, progress,
                   extra_chunks, settings.chroma_host, settings.chroma_port)

    # -- model and collection -------------------------------------------------------------
    def _training_sheets(self) -> dict[str, Datasheet]:
        """The datasheets the default model is trained on: those the repository ships (open data
        and the demo contributions).  A contribution a steward publishes later is embedded with the
        existing model, so approving it never retrains while the steward waits."""
        if not self.data_dir:
            return self.sheets
        shipped = {f.stem for d in ("datasheets", "contrib") for f in (self.data_dir / d).glob("*.yaml")}
        return {k: v for k, v in self.sheets.items() if k in shipped} or self.sheets

    @property
    def corpus_key(self) -> str:
        """A digest of exactly what the default model learns from (texts, pairs and the training
        settings): the model is retrained when it changes, and the shipped model is used when it
        matches."""
        if self._corpus_key is None:
            texts, pairs = self.training_corpus()
            blob = json.dumps([TRAINING_VERSION, texts, pairs], ensure_ascii=False, separators=(",", ":"))
            self._corpus_key = hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]
        return self._corpus_key

    @property
    def shipped_model(self) -> Path | None:
        return self.data_dir / SHIPPED_MODEL if self.data_dir else None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with _LOCK:
                if self._embedder is None:
                    key = "" if self.embedding_model.strip() else self.corpus_key
                    self._embedder = load_embedder(self.embedding_model, self.index_dir, self.training_corpus,
                                                   key, self.progress, shipped=self.shipped_model)
                    kind = "static" if isinstance(self._embedder, StaticFolderEmbedder) else "st"
                    _EMBEDDERS[(kind, self._embedder.name)] = self._embedder
        return self._embedder

    def _ef(self):
        kind = "static" if isinstance(self.embedder, StaticFolderEmbedder) else "st"
        return embedding_function_class()(self.embedder.name, kind)

    def _get_collection(self, name: str):
        if self._client is None:
            try:
                self._client = chroma_client(self.index_dir / "chroma", self.chroma_host, self.chroma_port)
            except Exception as e:  # noqa: BLE001
                if self.chroma_host:
                    raise IndexError_(f"The Chroma server at {self.chroma_host}:{self.chroma_port} "
                                      f"(COMMONS_CHROMA_HOST, COMMONS_CHROMA_PORT) could not be reached "
                                      f"({type(e).__name__}: {str(e)[:200]}).") from None
                raise IndexError_(f"The documentation index at {self.index_dir} could not be opened "
                                  f"({type(e).__name__}: {e}). Deleting that folder rebuilds it.") from None
        fp = self.embedder.fingerprint
        ef = self._ef()
        col = self._client.get_or_create_collection(name, embedding_function=ef,
                                                    metadata={"model": fp, "hnsw:space": "cosine"})
        if (col.metadata or {}).get("model") != fp:       # another model: its vectors are useless
            self._client.delete_collection(name)
            col = self._client.create_collection(name, embedding_function=ef,
                                                 metadata={"model": fp, "hnsw:space": "cosine"})
        return col

    @property
    def collection(self):
        if self._collection is None:
            with self._load_lock:
                if self._collection is None:
                    self.sync()
        return self._collection

    def sync(self) -> SyncReport:
        """Embed new and changed chunks, delete removed ones; unchanged chunks are not touched."""
        with self._load_lock:
            started = time.perf_counter()
            col = self._get_collection(DOCS_COLLECTION)
            report = _sync_collection(col, self.chunks, self.embedder, self.progress, "documentation index")
            self._collection = col
            self._vectors = None
            self.last_sync = SyncReport(*report, round(time.perf_counter() - started, 3))
            return self.last_sync

    @property
    def metrics(self) -> "MetricIndex":
        if self._metrics is not None:
            return self._metrics
        with self._load_lock:
            return self._open_metrics()

    def _open_metrics(self) -> "MetricIndex":
        if self._metrics is None:
            if isinstance(self.embedder, StaticFolderEmbedder):
                # The default model encodes every measure name in ~50 ms: keeping them in Chroma
                # would cost more (a second to read back, more to write) than it saves.
                self._metrics = MetricIndex(self.sheets, self.embedder, None, self.progress)
            else:   # a configured transformer is slow to encode 2,000 names: cache them in Chroma
                col = self._get_collection(METRICS_COLLECTION)
                self._metrics = MetricIndex(self.sheets, self.embedder, col, self.progress)
        return self._metrics

    # -- training data -------------------------------------------------------------------
    def training_corpus(self) -> tuple[list[str], list[tuple[str, str]]]:
        if self._corpus is None:
            sheets = self._training_sheets()
            chunks = self.chunks if len(sheets) == len(self.sheets) else build_chunks(sheets, self.sources_md, self.extra)
            self._corpus = training_corpus(sheets, chunks)
        return self._corpus

    # -- search ----------------------------------------------------------------------------
    def _filter(self, c: Chunk, datasets, sections, role) -> bool:
        return ((not datasets or c.dataset in datasets) and (not sections or c.section in sections)
                and c.visible_to(role))

    def lexical(self, query: str, n: int, datasets=None, sections=None, role=None) -> list[tuple[str, float]]:
        """BM25 over two fields: the passage, and its heading (section words, dataset names)."""
        q = expand_terms(terms(query), self.acronyms)
        scored = self._bm25.scores(q)
        for i, v in self._bm25_head.scores(q).items():
            scored[i] = scored.get(i, 0.0) + HEAD_WEIGHT * v
        intent = self.section_intent(q)
        if intent:
            for i in list(scored):
                scored[i] += SECTION_WEIGHT * intent.get(self.chunks[i].section, 0.0)
        ranked = sorted(((self.chunks[i].id, s) for i, s in scored.items()
                         if self._filter(self.chunks[i], datasets, sections, role)), key=lambda x: (-x[1], x[0]))
        return ranked[:n]

    @property
    def vectors(self) -> np.ndarray:
        """Every passage's vector, in ``self.chunks`` order, read back from the Chroma collection."""
        if self._vectors is None:
            col = self.collection
            got = col.get(ids=[c.id for c in self.chunks], include=["embeddings"])
            pos = {i: n for n, i in enumerate(got["ids"])}
            emb = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
            self._vectors = emb[[pos[c.id] for c in self.chunks]] if self.chunks else emb
        return self._vectors

    def section_intent(self, q_terms: Sequence[str]) -> dict[str, float]:
        """BM25 of the query's words against each section's vocabulary."""
        raw = self._bm25_section.scores(q_terms)
        return {self._section_names[i]: v for i, v in raw.items()}

    def dense(self, query: str, n: int, datasets=None, sections=None, role=None) -> list[tuple[str, float]]:
        """Cosine similarity to every visible passage.  The collection holds a few hundred passages,
        so the scan is exact (and deterministic) and takes well under a millisecond; Chroma's own
        (approximate) query is what other tools reading the collection use."""
        vectors = self.vectors
        if not len(self.chunks):
            return []
        sims = vectors @ self.embedder.encode([query])[0]
        order = np.argsort(-sims, kind="stable")
        out = []
        for i in order:
            c = self.chunks[int(i)]
            if self._filter(c, datasets, sections, role):
                out.append((c.id, float(sims[i])))
                if len(out) >= n:
                    break
        return out

    def search(self, query: str, k: int = 5, datasets: Sequence[str] | None = None,
               sections: Sequence[str] | None = None, role: str | None = "resident",
               mode: Mode = "hybrid", depth: int = 40) -> list[Hit]:
        """Top-k passages with scores.  ``role`` None sees only unrestricted passages."""
        if mode == "lexical":
            ranked = self.lexical(query, k, datasets, sections, role)
        elif mode == "dense":
            ranked = self.dense(query, k, datasets, sections, role)
        else:
            lex = self.lexical(query, depth, datasets, sections, role)
            den = self.dense(query, depth, datasets, sections, role)
            fused = rrf([[i for i, _ in lex], [i for i, _ in den]], weights=(1.0, DENSE_WEIGHT))
            ranked = sorted(fused.items(), key=lambda x: (-x[1], x[0]))[:k]
        return [Hit(cid, self.by_id[cid].dataset, self.by_id[cid].section, self.by_id[cid].title,
                    self.by_id[cid].text, round(score, 4), self.by_id[cid].measure)
                for cid, score in ranked[:k]]


def _sync_collection(col, chunks: Sequence[Chunk], embedder: Embedder, progress, what: str) -> tuple[int, int, int, int]:
    existing = col.get(include=["metadatas"])
    have = {i: (m or {}).get("hash") for i, m in zip(existing["ids"], existing["metadatas"])}
    wanted = {c.id: c for c in chunks}
    stale = [i for i in have if i not in wanted]
    todo = [c for c in chunks if have.get(c.id) != c.digest]
    added = sum(1 for c in todo if c.id not in have)
    if stale:
        col.delete(ids=stale)
    if todo:
        progress(f"{what}: embedding {len(todo)} of {len(chunks)} passages "
                 f"({len(chunks) - len(todo)} unchanged)")
        for start in range(0, len(todo), 256):
            part = todo[start:start + 256]
            vecs = embedder.encode([c.search_text for c in part])
            col.upsert(ids=[c.id for c in part], embeddings=[v.tolist() for v in vecs],
                       documents=[c.text for c in part], metadatas=[c.metadata() for c in part])
    return added, len(todo) - added, len(stale), len(chunks) - len(todo)


# ----------------------------------------------------------------------------- metrics

def metric_chunks(sheets: dict[str, Datasheet]) -> list[Chunk]:
    """One short text per way a measure is named: label, each synonym, its description."""
    out = []
    for s in sheets.values():
        for m in s.measures:
            label = re.sub(r"\s*\(.*?\)", "", m.label).strip() or m.label
            variants = [("label", label), ("id", m.id.replace("_", " "))]
            variants += [(f"syn{i}", syn) for i, syn in enumerate(m.synonyms)]
            variants.append(("description", m.description))
            seen = set()
            for tag, text in variants:
                key = text.lower()
                if key in seen:
                    continue
                seen.add(key)
                out.append(Chunk(f"{s.id}/{m.id}/{tag}", s.id, "measures", s.title, text,
                                 _roles_for(s, "measures"), m.id))
    return out


class MetricIndex:
    """Ranked candidate measures for a phrase: embeddings over label, synonyms and description,
    fused with BM25 over the same words.  ``score`` is a confidence in 0..1."""

    def __init__(self, sheets: dict[str, Datasheet], embedder: Embedder, collection=None, progress=None):
        self.sheets = sheets
        self.embedder = embedder
        self.chunks = metric_chunks(sheets)
        self.labels = {m.id: m.label for s in sheets.values() for m in s.measures}
        if collection is not None:
            _sync_collection(collection, self.chunks, embedder, progress or (lambda m: None), "measure index")
            got = collection.get(ids=[c.id for c in self.chunks], include=["embeddings"])
            pos = {i: n for n, i in enumerate(got["ids"])}
            emb = np.asarray(got["embeddings"], dtype=np.float32)
            self.vectors = emb[[pos[c.id] for c in self.chunks]] if len(self.chunks) else emb
        else:
            self.vectors = embedder.encode([c.text for c in self.chunks])
        # Lexical side: one document per concept, all of its wording together.
        self.concepts = sorted({c.measure for c in self.chunks})
        words: dict[str, list[str]] = defaultdict(list)
        for c in self.chunks:
            if not c.id.endswith("/description"):
                words[c.measure] += terms(c.text)
        self._concept_terms = {k: set(v) for k, v in words.items()}
        self._bm25 = BM25([words[k] for k in self.concepts])

    def candidates(self, text: str, k: int = 5, role: str | None = None,
                   mode: Mode = "hybrid") -> list[MetricCandidate]:
        visible = [i for i, c in enumerate(self.chunks) if c.visible_to(role) or not c.roles]
        q_terms = terms(text)
        dense: dict[str, tuple[float, str]] = {}
        if mode != "lexical" and q_terms:
            q = self.embedder.encode([text])[0]
            sims = self.vectors[visible] @ q
            for i, s in zip(visible, sims):
                c = self.chunks[i]
                if s > dense.get(c.measure, (-2.0, ""))[0]:
                    dense[c.measure] = (float(s), c.dataset)
        lex: dict[str, float] = {}
        if mode != "dense" and q_terms:
            raw = self._bm25.scores(q_terms)
            idf_total = sum(self._bm25.idf.get(t, 0.0) for t in set(q_terms)) or 1.0
            for i, s in raw.items():
                concept = self.concepts[i]
                covered = sum(self._bm25.idf.get(t, 0.0) for t in set(q_terms) if t in self._concept_terms[concept])
                lex[concept] = covered / idf_total
            # unknown query words (not in any measure's wording) also count against coverage
            unknown = [t for t in set(q_terms) if t not in self._bm25.idf]
            if unknown:
                scale = len(set(q_terms) - set(unknown)) / len(set(q_terms))
                lex = {c: v * scale for c, v in lex.items()}
        keys = set(dense) | set(lex)
        if not keys:
            return []
        dense_rank = sorted(dense, key=lambda c: -dense[c][0])
        lex_rank = sorted(lex, key=lambda c: -lex[c])
        fused = rrf([dense_rank[:50], lex_rank[:50]]) if mode == "hybrid" else {}
        best_dataset = {c: dense.get(c, (0, ""))[1] for c in keys}
        out = []
        for c in keys:
            d, l = max(dense.get(c, (0.0, ""))[0], 0.0), lex.get(c, 0.0)
            if mode == "dense":
                score = d
            elif mode == "lexical":
                score = l
            else:
                score = 0.5 * d + 0.5 * l if l > 0 else 0.75 * d
            ds = best_dataset[c] or next(s.id for s in self.sheets.values() if c in s.measure_by_id)
            out.append(MetricCandidate(c, ds, self.labels.get(c, c), round(score, 4), round(d, 4), round(l, 4)))
        out.sort(key=lambda m: (-m.score, -fused.get(m.concept, 0.0), m.concept))
        return out[:k]


# ----------------------------------------------------------------------------- training pairs

_SECTION_QUESTIONS = {
    "description": ["what is {t}", "tell me about the {t} data", "what does {t} contain",
                    "what is in the {t} dataset"],
    "methodology": ["how is {t} calculated", "methodology of {t}", "how was {t} produced",
                    "how are the {t} figures worked out"],
    "caveats": ["caveats of {t}", "limitations of {t}", "what should I be careful about with {t}",
                "how reliable is {t}"],
    "licence": ["what licence is {t} under", "can I reuse {t}", "how do I cite {t}",
                "attribution for {t}"],
    "publisher": ["who publishes {t}", "where does {t} come from", "source of {t}",
                  "who produces the {t} data"],
    "steward": ["who is the steward of {t}", "who looks after {t}", "who do I contact about {t}"],
    "columns": ["what columns does {t} have", "fields in {t}", "which geography column is in {t}"],
    "policy": ["what may {t} be used for", "who is allowed to use {t}", "use policy of {t}"],
    "provenance": ["where did the {t} file come from", "provenance of {t}", "which repository has {t}"],
    "policies": ["what purposes can I use the commons for", "what uses are prohibited",
                 "what data use codes are there"],
}


def _short_titles(title: str) -> list[str]:
    base = re.sub(r"\(.*?\)", "", title)
    parts = [p.strip() for p in re.split(r"[:;,]", base) if p.strip()]
    words = [w for w in re.findall(r"[A-Za-z0-9]+", base) if w.lower() not in _STOP]
    out = [title, parts[0] if parts else title]
    if len(words) > 2:
        out.append(" ".join(words[:3]))
    return list(dict.fromkeys(out))


def training_corpus(sheets: dict[str, Datasheet], chunks: Sequence[Chunk]) -> tuple[list[str], list[tuple[str, str]]]:
    """Texts for the tokenizer, and (anchor, positive) pairs from the commons' own wording."""
    texts = [c.search_text for c in chunks]
    pairs: list[tuple[str, str]] = []
    for s in sheets.values():
        for m in s.measures:
            label = re.sub(r"\s*\(.*?\)", "", m.label).strip() or m.label
            names = list(dict.fromkeys([label, m.label, *m.synonyms]))
            for n in names:
                pairs.append((n, m.description))
                if n != m.label:
                    pairs.append((n, m.label))
            for a, b in zip(names, names[1:]):
                pairs.append((a, b))
            pairs.append((m.id.replace("_", " "), m.label))
        for g in s.groups:
            for syn in g.synonyms:
                pairs.append((syn, g.label))
        for d in s.dimensions:
            for syn in d.synonyms:
                pairs.append((syn, d.label))
    for c in chunks:
        titles = _short_titles(c.title)
        for i, q in enumerate(_SECTION_QUESTIONS.get(c.section, [])):
            pairs.append((q.format(t=titles[i % len(titles)]), c.search_text))
        if c.section == "measures":
            pairs.append((c.title, c.search_text))
        sentences = [x for x in re.split(r"(?<=[.!?])\s+", c.text) if len(x) > 20]
        for a, b in zip(sentences, sentences[1:]):
            pairs.append((a, b))
    return texts, pairs
