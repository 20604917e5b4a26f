"""The documentation route: questions about the data rather than for a figure ('who publishes
the crime data?', 'what does IDACI stand for?', 'why are ward figures approximate?'), the form a
question is put in, the section it points to and the datasets it names."""

from __future__ import annotations

import re

from dataclasses import dataclass

from assistant.understanding.topics import Topics, stem
from assistant.understanding.words import Phrases, Words
from kernel.text import normalise
from retrieval.datasheets import LEVEL_ORDER
from retrieval.geography import Gazetteer


@dataclass(frozen=True)
class Form:
    kind: str
    strength: str              # "about" | "ask"
    section: str | None


REUSE_SUBJECTS = ("can i", "can we", "may i", "may we", "could i", "could we", "am i allowed to", "are we allowed to",
                  "is it ok to")
REUSE_VERBS = ("put", "quote", "include", "publish", "republish", "share", "reproduce", "copy", "print", "reuse",
               "re use", "cite")
DEFINE = ("mean", "means", "meaning", "definition", "defined", "define", "stand for", "stands for")
HOW_MADE = ("how is", "how are", "how was", "how were", "calculated", "worked out", "methodology", "method")
STRONG_DOCS = ("who publishes", "who published", "publisher", "licence", "license", "attribution", "steward", "caveat",
               "caveats", "methodology", "datasets", "come from", "what data", "can i use", "approximate", "calculated",
               "provenance", "cite", "source", "sources", "definition", "mean", "means", "measured", "what do you have")


class DocsRouter:
    def __init__(self, words: Words, topics: Topics, gaz: Gazetteer):
        d = words.docs
        self.w = words
        self.topics = topics
        self.gaz = gaz
        self.cues = Phrases(d.cues)
        self.sections = {k: Phrases(v) for k, v in d.sections.items()}
        self.forms = [(f.kind, f.strength, f.section, Phrases(f.phrases)) for f in d.forms]
        self.reuse = Phrases(f"{a} {v}" for a in REUSE_SUBJECTS for v in REUSE_VERBS)
        self.thing_nouns = Phrases(d.thing_nouns)
        self.data_nouns = Phrases(d.thing_nouns + d.figure_nouns)
        self.show_me = tuple(d.show_me)
        self.personal = Phrases(d.personal)
        self.question_starts = frozenset(d.question_starts)
        self.rank_words = Phrases(words.intents.rank_desc + words.intents.rank_asc + words.intents.count)
        self.strong = Phrases(STRONG_DOCS)
        self.define = Phrases(DEFINE)
        self.how_made = Phrases(HOW_MADE)
        self.level_words = tuple(w for ws in words.levels.values() for w in ws) + ("summary", "summaries", "la", "lad")
        self.not_a_name = frozenset(words.quiet.not_a_name)
        self.dataset_words = {s.id: frozenset(stem(w) for w in normalise(f"{s.title} {s.id.replace('_', ' ')}").split()
                                              if w not in words.fillers.words and len(w) > 1)
                              for s in topics.catalog.sheets.values()}
        self.name_df: dict[str, int] = {}
        for ws in self.dataset_words.values():
            for w in ws:
                self.name_df[w] = self.name_df.get(w, 0) + 1
        self.id_words = {s.id: frozenset(stem(w) for w in normalise(s.id.replace("_", " ")).split())
                         for s in topics.catalog.sheets.values()}
        self.alias_phrases = {s.id: tuple(tuple(stem(w) for w in normalise(a).split()) for a in s.aliases)
                              for s in topics.catalog.sheets.values()}

    # -- the form of a question ------------------------------------------------------------
    def form(self, t: list[str]) -> Form | None:
        if not t:
            return None
        # 'I've got an email from someone ...': an email received, not a question of whom to contact
        t = [w for i, w in enumerate(t) if not (w in ("email", "emails") and i and t[i - 1] in ("an", "the", "this", "that"))]
        if not t:
            return None
        first, second = t[0], (t[1] if len(t) > 1 else "")
        if first == "why" or (first, second) == ("how", "come"):
            return Form("why", "about", None)
        if self.reuse.find(t):
            return Form("reuse", "about", "licence")
        if any(x.startswith("publish") for x in t):
            when = any(self.cue_in(t, p) for p in ("how often", "how frequently", "how regularly", "when", "how up to date"))
            return Form("publish", "about", None if when else "publisher")
        for kind, strength, section, phrases in self.forms:
            if strength == "about" and phrases.find(t):
                return Form(kind, strength, section)
        if first in ("who", "whos", "whom") and self.data_nouns.find(t) and not self.rank_words.find(t):
            return Form("who", "about", None)
        for kind, strength, section, phrases in self.forms:
            if strength == "ask" and phrases.find(t):
                return Form(kind, strength, section)
        if (first, second) in (("what", "is"), ("what", "s"), ("whats", "a"), ("whats", "an")) and \
                any(x in ("a", "an") for x in t[1:3]):
            return Form("define", "ask", "measures")
        if first in ("is", "are", "does", "do") and any(x in ("a", "an") for x in t[2:]):
            return Form("real", "ask", None)
        return None

    @staticmethod
    def cue_in(t: list[str], phrase: str) -> bool:
        p = phrase.split()
        return any(t[i:i + len(p)] == p for i in range(len(t) - len(p) + 1))

    def is_cue(self, t: list[str]) -> bool:
        return bool(self.cues.find(t))

    def asks_to_be_given(self, t: list[str]) -> bool:
        for i in range(len(t)):
            for verb in self.show_me:
                v = verb.split()
                if t[i:i + len(v)] != v:
                    continue
                before, after = t[max(0, i - 2):i], t[i + len(v):i + len(v) + 1]
                if i == 0 or after in (["me"], ["us"]) or before[-1:] == ["please"] or \
                        before in (["can", "you"], ["could", "you"], ["would", "you"], ["will", "you"]):
                    return True
        return False

    def personal_words(self, t: list[str]) -> bool:
        return bool(self.personal.find(t))

    def looks_like_data(self, t: list[str], form: Form | None, original: str, unknown_place) -> bool:
        """'How is crime in Everton?' asks for figures although 'how is' is a documentation cue;
        'who publishes ...', 'what does IDACI stand for' do not."""
        if form is not None and form.strength == "about":
            return form.kind == "who" and bool(self.gaz.find(" ".join(t), t))
        strong = [(a, p) for a, b, p in self.strong.find(t)
                  # ('disabled residents per 1,000 ... (Equality Act definition)': which definition the figure
                  # uses, said beside the figure asked, not a question about the definition)
                  if not (p == ("definition",) and a and t[a - 1] not in ("the", "a", "what", "whats", "s", "its", "your"))]
        if strong:
            return False
        hits = self.topics.measures(t)
        if not hits:
            return False
        if self.gaz.find(original, t):
            return True
        return bool(unknown_place)

    # -- the request the documentation search gets ------------------------------------------
    def request(self, t: list[str], form: Form | None, last_dataset: str | None) -> dict:
        levels = [p for p in self.level_words if " " in p]
        spans = [(i, i + len(p.split())) for p in levels for i in range(len(t)) if t[i:i + len(p.split())] == p.split()]
        hits = [(a, b, h) for a, b, h in self.topics.measures(t)
                if not any(x <= a and b <= y for x, y in spans)]
        hits.sort(key=lambda x: -x[2].concepts[0][1])
        section = self.section(t, form, bool(hits))
        best = hits[0][2].concepts[0][1] if hits else 0
        close = dict.fromkeys(h.best for _, _, h in hits if h.concepts[0][1] >= 0.75 * best) if hits else {}
        measured = list(dict.fromkeys(r.dataset for c in close for r in self.topics.catalog.concepts.get(c, [])))
        named = self.named_datasets(t)
        if named:
            datasets = [d for d in measured if d in named] or named
        elif measured and section == "methodology" and not any(self.cue_in(t, w) for w in self.level_words):
            order = {d: LEVEL_ORDER.index(self.topics.catalog.sheets[d].geography.level) for d in measured}
            datasets = [d for d in measured if order[d] == min(order.values())]
        elif measured:
            datasets = measured
        elif last_dataset:
            datasets = [last_dataset]
        else:
            datasets = []
        return {"section": section or "description", "datasets": datasets, "query": " ".join(t),
                "concept": hits[0][2].best if hits else None}

    def section(self, t: list[str], form: Form | None, names_measure: bool) -> str | None:
        if form is not None and form.kind in ("define", "contact", "source", "publish"):
            return form.section if (form.kind != "define" or names_measure) else None
        for name, phrases in self.sections.items():
            if phrases.find(t):
                if name == "methodology" and self.define.find(t) and not self.how_made.find(t):
                    return "measures" if names_measure else None
                return name
        return form.section if form is not None else None

    def named_datasets(self, t: list[str]) -> list[str]:
        st = [stem(w) for w in t]
        q = {w for w in st if not w.isdigit()}
        shared = {d: q & ws for d, ws in self.dataset_words.items()}
        scores = {d: sum(1.0 / self.name_df[w] for w in ws) for d, ws in shared.items()
                  if sum(1 for w in ws if self.name_df[w] <= 3) >= 2
                  or any(self.name_df[w] == 1 and len(w) >= 3 and w not in self.not_a_name
                         and w in self.id_words[d] for w in ws)}
        for d, phrases in self.alias_phrases.items():
            if any(p and any(tuple(st[i:i + len(p)]) == p for i in range(len(st) - len(p) + 1)) for p in phrases):
                scores[d] = max(scores.get(d, 0.0), 2.0)
        best = max(scores.values(), default=0.0)
        if best < 1.0:
            return []
        return sorted(d for d, v in scores.items() if v >= best - 1e-9)

    def about_the_data(self, planned_kind: str, reason: str, t: list[str], text: str, form: Form | None, cue: bool) -> bool:
        """A question the data route cannot answer, naming no place, put as a question about the
        data ('can I compare IMD 2019 with 2025', 'is the lupus thing real')."""
        if planned_kind not in ("clarify", "no_data") or reason not in ("unknown_word", "which_place", "which_measure",
                                                                        "no_measure", "unexplained", "unknown_place"):
            return False
        if reason == "unknown_place" and form is None and re.search(r"\b[A-Z][a-z]", text.strip()[1:]):
            return False                # 'the population of Kirkby': a place the commons lacks, not the docs
        if not (t and (t[0] in self.question_starts or text.rstrip().endswith("?"))) or self.asks_to_be_given(t) \
                or self.personal_words(t):
            return False
        if form is not None or cue:
            return True
        if reason == "unexplained" and (self.named_datasets(t) or any(p.find(t) for p in self.sections.values())):
            return True          # 'which organisation produces ...', 'the underlying indicators of deprivation'
        if reason == "unknown_word" and self.data_nouns.find(t):
            return True
        return bool(self.thing_nouns.find(t))
