"""What the datasheets say people call things: measures (labels, synonyms, ids), tables of
categories (groups), dimensions and their values (with their other names), built once from the
catalogue.  The detectors of measures and categories read it, and so does spelling correction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz, process

from assistant.understanding.words import Words
from kernel.text import english_frequency, normalise
from retrieval.catalog import Catalog


# Words that only say what kind of figure a measure is ('the mental health score', 'the rank').
FORMAT_WORDS = {"score": frozenset({"score", "index", "value"}), "rank": frozenset({"rank", "position", "place"}),
                "decile": frozenset({"decile", "band"}), "rate": frozenset({"rate", "level"}),
                "percent": frozenset({"percentage", "percent", "rate", "level"}), "ratio": frozenset({"ratio", "rate"})}


PARTICLES = frozenset(("off", "out", "up", "down", "over", "away"))
# Words joining two things: never inside one measure's name ('council or housing association').
JOINERS = frozenset(("or", "and", "nor", "but", "versus", "vs", "than"))
# Words that say how many, kept as roots though they are function words elsewhere: 'deprived in
# one dimension', 'in any dimension' and 'in all four' are three different measures.
# small numbers said as words or digits name the same thing ('four dimensions', '4 dimensions')
_NUMBER_WORDS = "one two three four five six seven eight nine ten".split()
NUMBER_FORMS = {**{w: str(k) for k, w in enumerate(_NUMBER_WORDS, 1)}, **{str(k): w for k, w in enumerate(_NUMBER_WORDS, 1)}}
QUANTIFIERS = frozenset(("one", "any", "all", "no", "none", "every", "two", "three", "four", "1", "2", "3", "4"))


def stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def lemma(word: str) -> str:
    """A word's root for matching a phrase in other words ('social renters', 'rent socially'
    for 'social rent'): the plural, then -ly, -ing, -ed, -er(s) are taken off."""
    w = stem(word)
    for suffix, keep in (("ally", 4), ("ly", 4), ("ing", 3), ("ed", 3), ("er", 3)):
        if w.endswith(suffix) and len(w) - len(suffix) >= keep:
            w = w[:-len(suffix)]
            if suffix == "ally":
                w += "al"
            break
    return w


@dataclass(frozen=True)
class MeasureHit:
    concepts: tuple[tuple[str, float], ...]     # (concept, score), best first
    words: tuple[str, ...]
    loose: bool = False                          # matched by word roots, not as written

    @property
    def best(self) -> str:
        return self.concepts[0][0]


@dataclass(frozen=True)
class CategoryHit:
    """A value of a dimension (or of a category measure) named in the question."""
    options: tuple[tuple[str, str, str], ...]   # (dataset, column, value)
    words: tuple[str, ...]


@dataclass(frozen=True)
class GroupHit:
    """A table of categories named as such ('tenure', 'age bands', 'ethnic group')."""
    options: tuple[tuple[str, str, str], ...]   # (dataset, group id, total measure id)
    words: tuple[str, ...]


@dataclass(frozen=True)
class DimensionHit:
    """A dimension column named ('crime type', 'by month', 'service')."""
    options: tuple[tuple[str, str], ...]        # (dataset, column)
    words: tuple[str, ...]


class Topics:
    def __init__(self, catalog: Catalog, words: Words):
        self.catalog = catalog
        self.words = words
        self.stop = frozenset(words.fillers.words)
        q = words.quiet
        self.generic = frozenset(q.generic)
        self.quiet_words = frozenset(q.generic) | frozenset(q.figure_words) | frozenset(q.everyday) | \
            frozenset(q.particles) | self.stop
        self.phrases = self._phrases()
        self.labels = {c: frozenset(stem(w) for w in normalise(re.sub(r"\(.*?\)", "", refs[0].measure.label)).split()
                                    if w not in self.stop)
                       for c, refs in catalog.concepts.items()}
        self.label_df: dict[str, int] = {}
        for ws in self.labels.values():
            for w in ws:
                self.label_df[w] = self.label_df.get(w, 0) + 1
        self.roots = self._root_phrases()
        self.values = self._values()
        self.groups = self._groups()
        self.dims = self._dims()
        self.source_names = self._sources()
        self._own: dict = {}

    # -- building ----------------------------------------------------------------------------
    def _stems(self, text: str) -> tuple[str, ...]:
        """A name as the question's words will read after the slang rewrites ('Housing in poor
        condition' is matched by 'housing in poor condition' read as 'housing in deprived condition')."""
        rw = self.words.rewrites.words
        return tuple(stem(x) for w in normalise(text).split() for x in rw.get(w, w).split())

    def _phrases(self) -> dict[tuple[str, ...], dict[str, float]]:
        out: dict[tuple[str, ...], dict[str, float]] = {}

        def add(text: str, concept: str, bonus: float):
            ws = self._stems(text)
            if not ws:
                return
            # ('2 or more of the 4 dimensions' is 'two or more of the four dimensions')
            digits = tuple(NUMBER_FORMS[w] if w in NUMBER_FORMS and not w.isdigit() else w for w in ws)
            words = tuple(NUMBER_FORMS[w] if w in NUMBER_FORMS and w.isdigit() else w for w in ws)
            for form in dict.fromkeys((digits, words)):
                if form != ws and form not in out:
                    put(form, concept, bonus)
            put(ws, concept, bonus)

        def put(ws: tuple[str, ...], concept: str, bonus: float):
            content = [w for w in ws if w not in self.stop]
            score = len(content) + 0.25 * (len(ws) - len(content)) + bonus
            if not content:
                score = min(0.3 * len(ws), 0.9) + bonus
            slot = out.setdefault(ws, {})
            slot[concept] = max(slot.get(concept, 0), score)

        for concept, refs in self.catalog.concepts.items():
            for ref in refs:
                m = ref.measure
                add(m.label, concept, 0.5)
                add(re.sub(r"\(.*?\)", "", m.label), concept, 0.5)
                add(concept.replace("_", " "), concept, 0.25)
                for s in (*m.synonyms, *m.share_synonyms):
                    add(s, concept, 0.0)
        return out

    def _root_phrases(self) -> dict[str, list[tuple[frozenset, frozenset, str, float]]]:
        index: dict[str, list[tuple]] = {}
        for ws, concepts in self.phrases.items():
            content = [w for w in ws if w not in self.stop or w in QUANTIFIERS]
            roots = frozenset(lemma(w) for w in content)
            if len(roots) >= 2 and not any(w in self.quiet_words and w not in QUANTIFIERS for w in content):
                for concept, score in concepts.items():
                    entry = (roots, frozenset(ws), concept, score)
                    for r in roots:
                        index.setdefault(r, []).append(entry)
        return index

    def _values(self) -> dict[tuple[str, ...], list[tuple[str, str, str]]]:
        """Phrase -> [(dataset, column, value)]: dimension values, category measure values and
        their other names; years, numbers and everyday words ('None', 'Improved') are left out
        where they could be anything."""
        out: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for (dataset, column), values in self.catalog.dim_values.items():
            sheet = self.catalog.sheets[dataset]
            if column == sheet.time.column:
                continue
            dim = next((d for d in sheet.dimensions if d.column == column), None)
            cat = next((m for m in sheet.measures if m.column == column and m.format == "category"), None)
            aliases = (dim.value_aliases if dim else {}) | (cat.value_aliases if cat else {})
            for v in values:
                names = [v] + list(aliases.get(v, ()))
                for n in names:
                    ws = tuple(normalise(n).split())
                    if not ws or re.fullmatch(r"[\d\s]+", " ".join(ws)):
                        continue
                    if len(ws) == 1 and ws[0] in self.stop | {"none", "other", "improved", "maintained", "worsened",
                                                              "female", "male", "student", "retired"} and n == v:
                        continue
                    for form in {ws, tuple(stem(w) for w in ws)}:
                        out.setdefault(form, [])
                        if (dataset, column, v) not in out[form]:
                            out[form].append((dataset, column, v))
        return out

    def _groups(self) -> dict[tuple[str, ...], list[tuple[str, str, str]]]:
        out: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for s in self.catalog.sheets.values():
            for g in s.groups:
                for text in (g.label, *g.synonyms):
                    out.setdefault(self._stems(text), []).append((s.id, g.id, g.total))
        return out

    def _dims(self) -> dict[tuple[str, ...], list[tuple[str, str]]]:
        out: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for s in self.catalog.sheets.values():
            for d in s.dimensions:
                for text in (d.label, *d.synonyms, d.column.replace("_", " ")):
                    found = out.setdefault(self._stems(text), [])
                    if (s.id, d.column) not in found:
                        found.append((s.id, d.column))
        return out

    def _sources(self) -> dict[tuple[str, ...], frozenset[str]]:
        """Phrase -> datasets: the names people give a source ('the census', 'police data',
        'IoD2019', 'the 2025 index'), from each datasheet's ``aliases``."""
        out: dict[tuple[str, ...], set[str]] = {}
        for s in self.catalog.sheets.values():
            for a in s.aliases:
                ws = self._stems(a)
                if ws:
                    out.setdefault(ws, set()).add(s.id)
        return {k: frozenset(v) for k, v in out.items()}

    def source_words(self, concept: str) -> frozenset[str]:
        """The words of the names of the sources that hold a measure ('census', 'iod')."""
        key = ("source", concept)
        if key not in self._own:
            held = {r.sheet.id for r in self.catalog.concepts.get(concept, ())}
            self._own[key] = frozenset(w for ws, ids in self.source_names.items() if ids & held for w in ws
                                       if w not in self.stop and not w.isdigit())
        return self._own[key]

    def own_words(self, concept: str) -> frozenset[str]:
        """The word roots a measure is called by (its label and synonyms, and its table's): words
        of these, wherever they stand in the question, only say again which measure is meant."""
        if concept not in self._own:
            self._own[concept] = self._own_words(concept)
        return self._own[concept]

    def _own_words(self, concept: str) -> frozenset[str]:
        roots: set[str] = set()
        for ref in self.catalog.concepts.get(concept, []):
            m = ref.measure
            texts = [m.label, *m.synonyms]
            for g in ref.sheet.groups:
                if g.id == m.group and g.total != m.id:      # a part of a table ('tenure'), not its total
                    texts += [g.label, *g.synonyms]
            if m.rollup == "ratio":
                # a ratio is said with its parts' words ('registered patients per full-time GP')
                for part in ref.sheet.measures:
                    if part.column and part.column in (m.numerator, m.denominator):
                        texts += [part.label, *part.synonyms]
            for t in texts:
                roots |= {lemma(w) for w in normalise(t).split() if w not in self.stop and not w.isdigit()}
            roots |= FORMAT_WORDS.get(m.format, frozenset())
            if m.rollup in ("weighted_mean", "mean"):
                roots |= {"average", "mean"}         # a council's figure is the average of its areas'
            if m.rollup == "weighted_mean":
                roots |= {"weight"}                  # the population-weighted average score
        return frozenset(roots)

    def value_options(self, words: tuple[str, ...]) -> list[tuple[str, str, str]]:
        """(dataset, column, value) for a value named exactly, everyday words included ('female'
        is a value of the lupus data's sex column, and a census measure too)."""
        return self._all_values.get(tuple(stem(w) for w in words), [])

    @cached_property
    def _all_values(self) -> dict[tuple[str, ...], list[tuple[str, str, str]]]:
        index: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
        for (dataset, column), values in self.catalog.dim_values.items():
            if column == self.catalog.sheets[dataset].time.column:
                continue
            for v in values:
                key = tuple(stem(w) for w in normalise(str(v)).split())
                if key:
                    index.setdefault(key, []).append((dataset, column, v))
        return index

    def is_category_measure(self, dataset: str, column: str) -> bool:
        sheet = self.catalog.sheets.get(dataset)
        return sheet is not None and any(m.column == column and m.format == "category" for m in sheet.measures)

    def sources(self, toks: list[str]) -> list[tuple[int, int, frozenset[str]]]:
        st = [stem(t) for t in toks]
        out = []
        for size in range(min(6, len(st)), 0, -1):
            for i in range(len(st) - size + 1):
                hit = self.source_names.get(tuple(st[i:i + size]))
                if hit:
                    out.append((i, i + size, hit))
        return out

    # -- finding -----------------------------------------------------------------------------
    def measures(self, toks: list[str]) -> list[tuple[int, int, MeasureHit]]:
        """Every measure phrase in the question: as written, by word roots, or as every content
        word of a measure's label."""
        st = [stem(t) for t in toks]
        n = len(st)
        found: list[tuple[int, int, MeasureHit]] = []
        if not hasattr(self, "_longest"):
            # (the longest name a datasheet gives, up to 12 words: 'two or more of the four household
            # deprivation dimensions' is read whole)
            self._longest = min(12, max((len(k) for k in self.phrases), default=8))
        for size in range(min(self._longest, n), 0, -1):
            for i in range(n - size + 1):
                ws = tuple(st[i:i + size])
                concepts = self.phrases.get(ws)
                if concepts:
                    found.append((i, i + size, MeasureHit(tuple(sorted(concepts.items(), key=lambda kv: (-kv[1], kv[0]))),
                                                          ws)))
        covered = {j for a, b, _ in found for j in range(a, b)}
        at: dict[str, list[int]] = {}
        for i, w in enumerate(st):
            if w not in self.quiet_words or w in QUANTIFIERS:
                at.setdefault(lemma(w), []).append(i)
        seen = set()
        for w in list(at):
            for roots, forms, concept, score in self.roots.get(w, ()):
                if not roots <= at.keys():
                    continue
                # the tightest window holding every root ('urban conurbation in the 2011 rural urban
                # classification': the last three words, not from the first 'urban')
                windows = []
                for first in sorted({p for r in roots for p in at[r]}):
                    if all(any(p >= first for p in at[r]) for r in roots):
                        u = [min(p for p in at[r] if p >= first) for r in roots]
                        windows.append((max(u) - min(u), min(u), u))
                if not windows:
                    continue
                _, first, used = min(windows)
                a, b = first, max(used) + 1
                # the roots together ('rent from the council'): between them function words (never
                # 'or', 'and' or a number word) and at most two others, each one of the measure's own
                # words or its source's name ('deprived in all four census dimensions')
                gaps = [j for j in range(a, b) if j not in used]
                if len(set(used)) == len(used) and len(gaps) <= 6 and \
                        sum(st[j] not in self.stop for j in gaps) <= 2 and \
                        all((st[j] in self.stop and st[j] not in QUANTIFIERS) or st[j] in PARTICLES
                            or lemma(st[j]) in self.own_words(concept) or st[j] in self.source_words(concept)
                            for j in gaps) \
                        and any(j not in covered for j in used) \
                        and not any(st[j] in JOINERS for j in gaps) \
                        and any(st[j] not in forms for j in (*used, *gaps)) \
                        and (concept, a, b) not in seen:
                    seen.add((concept, a, b))
                    found.append((a, b, MeasureHit(((concept, score - 0.25),), tuple(st[a:b]), loose=True)))
        present = set(st)
        for concept, ws in self.labels.items():
            if len(ws) >= 2 and ws <= present:
                pos = sorted(st.index(w) for w in ws)
                if pos[-1] - pos[0] + 1 == len(pos):            # contiguous: the label in another order
                    rarity = sum(1 / self.label_df[w] for w in ws)
                    found.append((pos[0], pos[-1] + 1, MeasureHit(((concept, len(ws) + 0.4 + 0.2 * rarity),),
                                                                  tuple(st[pos[0]:pos[-1] + 1]))))
        return found

    def categories(self, toks: list[str]) -> list[tuple[int, int, CategoryHit]]:
        st = [stem(t) for t in toks]
        return self._scan(toks, st, self.values, CategoryHit)

    def group_names(self, toks: list[str]) -> list[tuple[int, int, GroupHit]]:
        st = [stem(t) for t in toks]
        return self._scan(st, st, self.groups, GroupHit)

    def dimension_names(self, toks: list[str]) -> list[tuple[int, int, DimensionHit]]:
        st = [stem(t) for t in toks]
        return self._scan(st, st, self.dims, DimensionHit)

    @staticmethod
    def _scan(toks, st, table, make):
        out = []
        n = len(toks)
        for size in range(min(6, n), 0, -1):
            for i in range(n - size + 1):
                for form in (tuple(toks[i:i + size]), tuple(st[i:i + size])):
                    opts = table.get(form)
                    if opts:
                        out.append((i, i + size, make(tuple(opts), form)))
                        break
        return out

    # -- spelling ------------------------------------------------------------------------------
    @cached_property
    def vocabulary(self) -> frozenset[str]:
        vocab = {w for p in self.phrases for w in p} | {w for p in self.values for w in p}
        vocab |= {w for p in (*self.groups, *self.dims, *self.source_names) for w in p}
        return frozenset(vocab)

    @cached_property
    def _spell_list(self) -> list[str]:
        return sorted(w for w in self.vocabulary if len(w) >= 5 and w.isalpha())

    @cached_property
    def english(self) -> frozenset[str]:
        ws = set(self.words.english.words) | set(self.stop)
        try:
            from spacy.lang.en.stop_words import STOP_WORDS   # optional: a fuller list of English words
            ws |= {normalise(w) for w in STOP_WORDS}
        except ImportError:
            pass
        for s in self.catalog.sheets.values():
            prose = [s.description, s.methodology, *s.caveats, *(m.description or "" for m in s.measures)]
            ws |= {w for text in prose for w in normalise(text).split() if w.isalpha()}
        return frozenset(ws)

    def _targets(self, structure: frozenset[str]) -> list[str]:
        """Words a typo may be corrected to: topic words and the question's structure words, never
        a place's ('warrington' is not 'Harington': places have their own, stricter, fuzzy match)."""
        made = self.__dict__.setdefault("_targets_for", {})      # one list per structure vocabulary
        if structure not in made:
            made[structure] = sorted(set(self._spell_list) | {w for w in structure if len(w) >= 5 and w.isalpha()})
        return made[structure]

    def correct(self, toks: list[str], known: frozenset[str], place_words: list[str],
                structure: frozenset[str] = frozenset()) -> dict[int, str]:
        """{position: corrected word} for typos in topic words ('popuation', 'deprevation') and in
        the ``structure`` words ('novemebr', 'avrage', 'nuber'): never a place name, never a real
        English word turned into another ('whether', 'larders')."""
        out = {}
        vocab = self.vocabulary | known
        targets = self._targets(structure)
        for i, t in enumerate(toks):
            if len(t) == 4 and t.isalpha() and t not in vocab and t not in self.english and english_frequency(t) < 20:
                # one letter short of a longer word ('scor', 'crim', 'wich'): nothing else is safe at four letters
                pool = self.vocabulary | frozenset(targets) | {w for w in structure if len(w) in (4, 5) and w.isalpha()}
                grown = sorted(({t[:k] + c + t[k:] for k in range(len(t) + 1) for c in "abcdefghijklmnopqrstuvwxyz"}
                                | {t[:k] + t[k + 1] + t[k] + t[k + 2:] for k in range(len(t) - 1)}) & pool)
                if len(grown) == 1:
                    out[i] = grown[0]
                continue
            if len(t) < 5 or not t.isalpha() or t in vocab or stem(t) in vocab:
                continue
            if english_frequency(t) >= 20:
                continue        # a real English word ('larders') is not a typo of another ('leaders')
            hit = process.extractOne(t, targets, scorer=fuzz.ratio, score_cutoff=84)
            if hit is None and t not in self.english:
                # one letter wrong in a short word ('cencus', 'housholds' is caught above): the one
                # word of the vocabulary a single edit away, when there is only one
                near = {w for w in targets if len(w) == len(t) and sum(a != b for a, b in zip(w, t)) == 1}
                if len(near) == 1:
                    hit = (next(iter(near)), 83.0, None)
            if hit is None and t not in self.english:
                # two letters swapped ('helath', 'poulation' is caught above): the one word of the
                # vocabulary that swapping back gives, when there is only one
                swapped = {t[:k] + t[k + 1] + t[k] + t[k + 2:] for k in range(len(t) - 1)} & set(targets)
                if len(swapped) == 1:
                    hit = (next(iter(swapped)), 95.0, None)      # (a swap is a stronger sign than a near place name)
            if hit and (t in self.english or stem(t) in self.english) and not _inflection(t, hit[0]):
                hit = None
            if hit:
                place = process.extractOne(t, place_words, scorer=fuzz.ratio, score_cutoff=84)
                if not place or place[1] < hit[1] or place[0] == hit[0]:   # 'average' of 'England average'
                    out[i] = hit[0]
        return out


def _inflection(word: str, other: str) -> bool:
    """Are two words forms of one ('reported'/'report', 'tourist'/'tourists')?"""
    common = 0
    for a, b in zip(word, other):
        if a != b:
            break
        common += 1
    return common >= 4 and common >= min(len(word), len(other)) - 1
