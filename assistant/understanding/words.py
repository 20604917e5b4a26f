"""The word lists of the understanding layer, read from ``words.yaml`` and validated when
loaded (a bad file fails naming its field).  Dataset vocabulary (measure synonyms, category
values and their other names, summary measures, rate denominators) lives in the datasheets."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kernel.errors import ConfigError
from kernel.text import normalise

WORDS_FILE = Path(__file__).with_name("words.yaml")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Described(_Model):
    description: str = ""


class Fillers(Described):
    words: tuple[str, ...]


class Rewrites(Described):
    words: dict[str, str]


class Intents(_Model):
    summary: tuple[str, ...]
    trend: tuple[str, ...]
    breakdown: tuple[str, ...]
    compare: tuple[str, ...]
    rank_desc: tuple[str, ...]
    rank_asc: tuple[str, ...]
    rank_words: tuple[str, ...]
    count: tuple[str, ...]
    common: tuple[str, ...]
    uncommon: tuple[str, ...]
    map: tuple[str, ...] = ()            # 'a map of ...': the child areas drawn as a map
    relate: tuple[str, ...] = ()         # 'the correlation between ...': two measures over the same areas
    coverage: tuple[str, ...] = ()       # 'how representative is ...': a person-level dataset against the census
    # Benchmarking against anonymised peers: 'how do we compare with similar organisations'
    benchmark: tuple[str, ...] = ()
    benchmark_orgs: tuple[str, ...] = ()   # words for organisations ('providers'): with a rank word, a peer ranking
    benchmark_rank: tuple[str, ...] = ()   # words that rank or single out ('top', 'rank', 'most')
    benchmark_own: tuple[str, ...] = ()    # the asker's own organisation said ('our', 'we'): the account's, never text
    benchmark_single: tuple[str, ...] = ()  # in a benchmark, words that would single out a peer ('which peers', 'name')


class Seasons(Described):
    names: dict[str, tuple[int, ...]]


class Periods(_Model):
    latest: tuple[str, ...]
    before: tuple[str, ...]
    after: tuple[str, ...]
    since: tuple[str, ...]
    range_joiners: tuple[str, ...]
    range_starts: tuple[str, ...]
    last_n_of: tuple[str, ...]
    first_n_of: tuple[str, ...]
    relative_last: tuple[str, ...]
    ago: tuple[str, ...]
    mid_year: tuple[str, ...]
    financial: tuple[str, ...]


class Operators(_Model):
    exclude: tuple[str, ...]
    negate: tuple[str, ...]
    difference: tuple[str, ...]
    share: tuple[str, ...]
    per: tuple[str, ...]
    per_units: dict[str, int]
    denominators: tuple[str, ...]


class Places(_Model):
    near_me: tuple[str, ...]
    finer_than_held: tuple[str, ...] = ()     # near-me phrases smaller than any area held ('my street')
    foreign_qualifiers: tuple[str, ...]
    not_places: tuple[str, ...]


class Meta(Described):
    phrases: tuple[str, ...]


class FollowUps(_Model):
    starts: tuple[str, ...]
    references: tuple[str, ...]


class Groupings(_Model):
    by: tuple[str, ...]
    monthly: tuple[str, ...]
    yearly: tuple[str, ...]


class NotHeld(Described):
    topics: tuple[str, ...]


class DocForm(_Model):
    kind: str
    strength: str = Field(pattern="^(about|ask)$")
    section: str | None = None
    phrases: tuple[str, ...]


class Docs(_Model):
    cues: tuple[str, ...]
    sections: dict[str, tuple[str, ...]]
    forms: tuple[DocForm, ...]
    thing_nouns: tuple[str, ...]
    figure_nouns: tuple[str, ...]
    show_me: tuple[str, ...]
    personal: tuple[str, ...]
    question_starts: tuple[str, ...]


class Context(_Model):
    asker_cues: tuple[str, ...]
    clause_start_cues: tuple[str, ...]
    purpose_starts: tuple[str, ...]
    purpose_verbs: tuple[str, ...]
    figure_forms: tuple[str, ...]
    # 'is that right?', 'is it true that ...': asking whether a claim holds (the claim is the question)
    claim_checks: tuple[str, ...] = ()
    # 'someone on twitter says ...', 'my councillor reckons ...': who made the claim
    claimants: tuple[str, ...] = ()


class English(Described):
    words: tuple[str, ...]


class Quiet(Described):
    generic: tuple[str, ...]
    figure_words: tuple[str, ...]
    particles: tuple[str, ...]
    everyday: tuple[str, ...]
    not_a_name: tuple[str, ...]


class Words(_Model):
    fillers: Fillers
    rewrites: Rewrites
    intents: Intents
    levels: dict[str, tuple[str, ...]]
    months: dict[str, int]
    seasons: Seasons
    quarters: dict[str, tuple[int, ...]]
    numbers: dict[str, int]
    periods: Periods
    operators: Operators
    places: Places
    meta: Meta
    follow_ups: FollowUps
    groupings: Groupings
    not_held: NotHeld
    docs: Docs
    context: Context
    english: English
    quiet: Quiet

    def model_post_init(self, _ctx) -> None:
        for field, value in (("months", self.months), ("quarters", self.quarters), ("seasons", self.seasons.names)):
            for k, v in value.items():
                months = [v] if isinstance(v, int) else list(v)
                if not all(1 <= m <= 12 for m in months):
                    raise ValueError(f"{field}.{k}: months are 1 to 12")


@lru_cache(maxsize=4)
def load_words(path: Path = WORDS_FILE) -> Words:
    """The validated word lists (cached per file)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return Words.model_validate(raw)
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from None
    except ValidationError as e:
        err = e.errors()[0]
        raise ConfigError(f"{path}: field '{'.'.join(map(str, err['loc']))}': {err['msg']}") from None


def phrase_tuple(text: str) -> tuple[str, ...]:
    """A phrase as the tokens the detectors compare ('Q4' -> ('q4',), 'per cent' -> ('per', 'cent'))."""
    return tuple(normalise(text).split())


class Phrases:
    """A set of phrases matched longest first over token lists (positions returned)."""

    def __init__(self, phrases):
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        for p in phrases:
            t = phrase_tuple(p)
            if t:
                self.by_first.setdefault(t[0], []).append(t)
        for v in self.by_first.values():
            v.sort(key=len, reverse=True)

    def at(self, tokens: list[str], i: int) -> tuple[str, ...] | None:
        """The longest phrase starting at token ``i``, or None."""
        for p in self.by_first.get(tokens[i], ()):
            if tuple(tokens[i:i + len(p)]) == p:
                return p
        return None

    def find(self, tokens: list[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Every (start, end, phrase) occurrence, longest phrase at each start."""
        out = []
        for i in range(len(tokens)):
            p = self.at(tokens, i)
            if p:
                out.append((i, i + len(p), p))
        return out

    def __contains__(self, phrase) -> bool:
        t = phrase if isinstance(phrase, tuple) else phrase_tuple(phrase)
        return bool(t) and t in self.by_first.get(t[0], ())
