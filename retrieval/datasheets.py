"""Datasheets: one YAML file per dataset, validated at load time.

A datasheet says what a dataset is (publisher, licence, steward, methodology, caveats), how
its geography and time work, which measures it holds and how each rolls up to larger areas,
and what it may be used for.  Measures that share an ``id`` across datasets are the same
concept (for example ``population`` at LSOA level and as published for councils); the
planner picks the dataset that fits the place and period asked about.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kernel.errors import DatasheetError

# The C loader (libyaml, shipped in the PyYAML wheel) reads the datasheets about ten times
# faster than the pure-Python one: it is most of the app's start-up otherwise.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Level = Literal["lsoa", "ward", "lad", "region", "country"]    # a dataset's own level (towns are built)
# Other spellings of a documentation section's name in ``restricted_sections``.
SECTION_ALIASES = {"license": "licence", "measure": "measures"}
# A town (built from whole MSOAs, best fit) is above a ward and below a council in this order.
LEVEL_ORDER: tuple[str, ...] = ("lsoa", "ward", "town", "lad", "region", "country")
# The column ingestion adds to every published person-level record: a fixed random key that the
# disclosure control's cell-key perturbation sums per cell (never a measure, never shown).
RECORD_KEY = "record_key"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Licence(_Strict):
    name: str
    url: str
    attribution: str


class Steward(_Strict):
    name: str
    contact: str
    # The steward accounts (user ids in the users file) who may approve a new version of this
    # dataset or restore an old one; empty: any steward of the commons.
    accounts: tuple[str, ...] = ()


class Geography(_Strict):
    column: str = Field(description="Column holding the area code")
    name_column: str | None = None
    level: Level
    vintage: str = Field(description="Boundary vintage, e.g. '2011' for LSOA 2011, '2019' for wards")
    # Rows in the file that are at another level (e.g. an England comparator row).
    extra_rows: dict[Level, str] = Field(default_factory=dict)


class Time(_Strict):
    column: str | None = None
    granularity: Literal["year", "month", "fixed"] = "year"
    period: str | None = Field(default=None, description="The single period a file without a time column covers")
    label: str = Field(description="How the period is described to people, e.g. 'mid-year estimate'")
    # The months a single fixed period covers when that is not its calendar year, e.g.
    # "2022-04..2023-03" for a financial year, "2023-10..2023-12" for a quarter: what a question's
    # period is matched against.
    covers: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}\.\.\d{4}-\d{2}$")
    # Whether one place's figures for several periods may be added up: counts of events in each
    # month (crimes recorded, people supported that month) may; a stock taken at one moment of each
    # period (a mid-year population, a score) may not: its periods are given one by one.
    additive: bool = False

    @model_validator(mode="after")
    def _column_or_period(self):
        if self.column is None and self.period is None:
            raise ValueError("give either 'column' or 'period'")
        return self


# count: the number of records (person-level data, no column); mean: sum(column) / records.
Rollup = Literal["sum", "weighted_mean", "ratio", "none", "count", "mean"]


class RateSpec(_Strict):
    """A denominator a count may be expressed against ('crimes per 1,000 residents'): the
    measure, the dataset it is read from (same geography vintage) and the period used."""

    denominator: str = Field(description="measure id of the denominator")
    dataset: str
    period: str
    label: str = Field(description="how the denominator is named in answers, e.g. 'residents (mid-2019 estimates)'")
    words: tuple[str, ...] = Field(default=("residents", "people", "population", "persons", "inhabitants", "head",
                                            "capita", "person", "resident"),
                                   description="the words a question uses for this denominator")
Format = Literal["count", "percent", "rate", "score", "rank", "decile", "ratio", "category", "area"]


class Measure(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    column: str | None = None
    label: str
    description: str
    unit: str
    format: Format
    rollup: Rollup
    weight: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 1.0
    direction: Literal["higher_is_worse", "higher_is_better", "neutral"] = "neutral"
    # The worse end of the scale in words ('more deprived'): a map's legend says "darker = ...".
    worse: str | None = None
    decimals: int = 0
    synonyms: tuple[str, ...] = ()
    # Other names that already mean the measure as a share (%) of its table's total ('home
    # ownership' is the share of households that own their home, never their number).
    share_synonyms: tuple[str, ...] = ()
    # Words of change that name this measure when a question names no other ('which council grew
    # fastest', 'the neighbourhoods that shrank'): what growing or shrinking means said of a place.
    said_by_change: tuple[str, ...] = ()
    # Sub-groups counted within this measure but not published on their own ('Chinese' within
    # Asian residents): asked for, they are declined with this measure named, never answered with it.
    narrower: tuple[str, ...] = ()
    group: str | None = None
    # A combined category: the sum of several columns (e.g. all private renting).  Such a
    # measure can be asked for and shared, but is left out of group breakdowns.
    sum_of: tuple[str, ...] = ()
    # Columns taken off the value ('all households but private renters': the table's total less the
    # private renting columns).  Never written in a datasheet: set by the query builder for a plan
    # that leaves a part of a table out (``kernel.plans.Subject.less``).
    less: tuple[str, ...] = ()
    # Shown in an area summary, in this order (1 first); empty: not in summaries.
    summary: int | None = Field(default=None, ge=1)
    # The ages a count of people covers, [from, to] (to empty: and over), e.g. [0, 15], [65, null].
    ages: tuple[int, int | None] | None = None
    # Other names of a category measure's values ('rural' for 'Rural').
    value_aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # Denominators this count may be given per N of ('per 1,000 residents').
    rates: tuple[RateSpec, ...] = ()

    @property
    def in_breakdown(self) -> bool:
        return not self.sum_of

    @property
    def summed_columns(self) -> tuple[str, ...]:
        """The columns a summed measure adds up (its ``sum_of``, or its one column)."""
        return self.sum_of or ((self.column,) if self.column else ())

    @model_validator(mode="after")
    def _rollup_inputs(self):
        if self.rollup == "weighted_mean" and not self.weight:
            raise ValueError("rollup 'weighted_mean' needs 'weight' (a population column)")
        if self.rollup == "ratio" and not (self.numerator and self.denominator):
            raise ValueError("rollup 'ratio' needs 'numerator' and 'denominator'")
        if self.rollup == "count" and (self.column or self.sum_of):
            raise ValueError("rollup 'count' counts records: give no 'column'")
        if self.rollup not in ("ratio", "count") and not self.column and not self.sum_of:
            raise ValueError("needs 'column' (or 'sum_of') unless rollup is 'ratio' or 'count'")
        if self.sum_of and (self.rollup != "sum" or self.column):
            raise ValueError("'sum_of' needs rollup 'sum' and no 'column'")
        if self.less and self.rollup != "sum":
            raise ValueError("'less' takes columns off a summed measure only")
        if self.format == "rank" and self.rollup != "none":
            raise ValueError("ranks never roll up: use rollup 'none'")
        return self


class Group(_Strict):
    """A wide table: a total column and category columns that add up to it."""

    id: str
    label: str
    total: str = Field(description="Measure id of the total")
    synonyms: tuple[str, ...] = ()


class Dimension(_Strict):
    column: str
    label: str
    synonyms: tuple[str, ...] = ()
    # Other names people use for the column's values: {value: [names]} ('asb' for 'Anti-social behaviour').
    value_aliases: dict[str, tuple[str, ...]] = Field(default_factory=dict)


ColumnRoleName = Literal["direct_identifier", "quasi_identifier", "attribute", "geography", "time", "free_text"]


class ColumnRole(_Strict):
    name: str
    role: ColumnRoleName
    # Direct identifiers never reach the store: dropped, or replaced by a keyed hash
    # (pseudonymise) when records must be linked.  Ignored for other roles.
    # A free-text column (role free_text) is dropped unless its handling is 'keep', and kept
    # only when every one of its values passes the identifier scan.
    handling: Literal["drop", "pseudonymise", "keep"] = "drop"
    # The PII entity the column is expected to hold (e.g. NHS_NUMBER), so the ingestion scan
    # can tell a declared identifier from an undeclared one.
    pii_entity: str | None = None
    # For handling 'pseudonymise': the published column that holds the keyed hash
    # (default '<name>_key').
    key_column: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    # What a contribution's values may be (checked by the contribution scan; each problem must be
    # fixed or accepted with a reason before publication): a numeric range [min, max] (either
    # end may be null), the allowed categories, and whether every value must be whole.
    range: tuple[float | None, float | None] | None = None
    values: tuple[str, ...] = ()
    integer: bool = False


class Approval(_Strict):
    """Who must approve a project naming the dataset, and a person-level output under review."""

    approvals: int = Field(default=1, ge=1, le=5, description="Independent steward approvals needed")
    distinct_organisations: bool = Field(default=False, description="Each approval from another organisation")


class Panel(_Strict):
    """The members' panel: member representatives decide on commercial projects and on the
    purposes listed here (guardrails/projects.py)."""

    purposes: tuple[str, ...] = ()
    quorum: int = Field(default=3, ge=1, description="Votes needed before the panel decides")
    majority: float = Field(default=0.5, ge=0.5, lt=1, description="Share of votes for that must be exceeded")
    veto_grounds: tuple[str, ...] = Field(min_length=1, description="Grounds on which one member may veto")


class Lifecycle(_Strict):
    """How long the data is kept and how often it is refreshed (see README, "Lifecycle")."""

    refresh_days: int | None = Field(default=None, ge=1, description="A scheduled refresh every N days")
    refresh_due: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                    description="The date by which the data is due to be refreshed")
    refreshed: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                  description="When the data was last published or refreshed")
    retention: str | None = Field(default=None, description="How long the data is kept, in words")
    archived: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                 description="Set by `commons archive`: out of answers since this date")

    def due(self) -> str | None:
        """The refresh due date: the datasheet's own, or the last refresh plus the schedule."""
        if self.refresh_due:
            return self.refresh_due
        if self.refreshed and self.refresh_days:
            import datetime as _dt
            return (_dt.date.fromisoformat(self.refreshed) + _dt.timedelta(days=self.refresh_days)).isoformat()
        return None


class RunningCosts(_Strict):
    amount: float = Field(ge=0, description="What running the dataset costs per period")
    currency: str = "GBP"
    period: Literal["year", "month"] = "year"


class UsePolicy(_Strict):
    """Use boundaries (default deny).  Purposes are ids from guardrails.policy.PURPOSES."""

    permitted_purposes: tuple[str, ...] = ("any",)
    duo_codes: tuple[str, ...] = ()
    # Purposes allowed only once a duty is met; the value says which (e.g. a fee agreement).
    # These go to a steward for review.
    duties: dict[str, str] = Field(default_factory=dict)
    needs_review: tuple[str, ...] = ()
    prohibited: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("any",)
    notes: str = ""
    approval: Approval = Approval()
    panel: Panel | None = None
    running_costs: RunningCosts | None = None
    # Purposes a participant may opt out of (person-level data; default: every permitted purpose
    # and every purpose with a duty, e.g. commercial).
    opt_out_purposes: tuple[str, ...] | None = None

    @property
    def review_purposes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.needs_review, *self.duties)))


# Commons-wide floors under disclosure control: no datasheet can set weaker rules (a datasheet
# asking for less fails to load, naming its file and field).  Code, not settings: nothing in the
# environment or under COMMONS_HOME lowers them.
FLOORS = {"min_cell": 10, "round_to": 5, "dominance_top": 2, "dominance_share": 0.9, "differencing_max": 9,
          "mean_decimals": 1}


class DisclosureRules(_Strict):
    """Statistical disclosure control for person-level data (UK TRE defaults, never below FLOORS)."""

    min_cell: int = Field(default=10, description="Cells below this are suppressed (zeros too)")
    round_to: int = Field(default=5, description="Counts are rounded to a multiple of this")
    dominance_top: int = Field(default=2, description="Dominance rule: the top N contributors ...")
    dominance_share: float = Field(default=0.9, gt=0, description="... may not make up this share of a sum")
    differencing_max: int = Field(default=9, description="Nested groups differing by 1..this are refused")
    mean_decimals: int = Field(default=1, ge=0,
                               description="Means are released rounded to this many decimals (never full precision)")
    secondary: bool = True

    @model_validator(mode="after")
    def _floors(self):
        for name in ("min_cell", "round_to", "dominance_top", "differencing_max"):
            if getattr(self, name) < FLOORS[name]:
                raise ValueError(f"{name} {getattr(self, name)} is below the commons-wide floor of {FLOORS[name]}")
        for name in ("dominance_share", "mean_decimals"):
            if getattr(self, name) > FLOORS[name]:
                raise ValueError(f"{name} {getattr(self, name)} is weaker than the commons-wide limit of "
                                 f"{FLOORS[name]}")
        if not self.secondary:
            raise ValueError("secondary suppression cannot be switched off (commons-wide floor)")
        return self


class BenchmarkMeasure(_Strict):
    """A figure an organisation may benchmark: one of the dataset's measures, optionally only the
    records with one value of a column ('people whose outcome improved')."""

    measure: str
    label: str | None = None                  # default: the measure's label
    synonyms: tuple[str, ...] = ()            # the words that ask for it in a benchmark question
    only: dict[str, str] = Field(default_factory=dict)    # column -> value the records must have


class Benchmark(_Strict):
    """Benchmarking against anonymised peers: a protected column (the contributing organisation)
    used only to compare a signed-in provider's own figures with its peers' median and quartiles.
    The column is never a breakdown, a filter or an output: no peer's figure, name or rank leaves."""

    column: str = Field(description="The protected column naming the contributing organisation")
    min_peers: int = Field(default=5, ge=5, description="Peers that must have data in a cell (never below 5)")
    dominance: float = Field(default=0.5, gt=0, le=0.5,
                             description="No single peer may hold more than this share of the peers' total")
    significant_figures: int = Field(default=2, ge=1, le=2,
                                     description="Peers' median and quartiles are rounded to this many figures")
    breakdowns: tuple[Literal["month", "ward"], ...] = Field(default=("month", "ward"),
                                                             description="How a benchmark may be split")
    measures: tuple[BenchmarkMeasure, ...] = ()
    # Words that name an organisation ('trust', 'foodbank'): a benchmark question naming one is
    # declined (peers are never named, and the organisation is the signed-in account's).
    name_words: tuple[str, ...] = ()


class Edition(_Strict):
    """One edition of a publication that is published again with new methods (the English
    Indices of Deprivation 2019 and 2025): measures with the same id in the datasets of one
    series are the same measure in another edition, set side by side when a question asks for
    both, each from its own dataset, with ``comparability`` said beside them."""

    series: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="The publication series the edition belongs to")
    label: str = Field(description="The edition as people name it ('IoD2019')")
    comparability: str = Field(description="How far figures of different editions can be compared (shown with them)")


class Datasheet(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    aliases: tuple[str, ...] = Field(default=(), description="Other names people use for the dataset "
                                     "('the charity data'): searched with its title, never shown as its name")
    publisher: str
    steward: Steward
    licence: Licence
    source_url: str
    source_file: str
    description: str
    methodology: str
    caveats: tuple[str, ...] = ()
    sensitivity: Literal["open", "restricted", "personal"] = "open"
    synthetic: bool = False
    geography: Geography
    time: Time
    measures: tuple[Measure, ...]
    groups: tuple[Group, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    columns: tuple[ColumnRole, ...] = ()
    # The measures a summary of this dataset's topic gives, in order ('the headline deprivation picture
    # for Knowsley': its score, its national rank and its share of the most deprived neighbourhoods).
    headline: tuple[str, ...] = ()
    policy: UsePolicy = UsePolicy()
    # Required when sensitivity is 'personal'; open published aggregates are not suppressed.
    disclosure: DisclosureRules | None = None
    # The published version of a contributed dataset (set by ingestion; answers name it).
    version: int | None = Field(default=None, ge=1)
    # Documentation sections only some roles may read: section name -> roles allowed.
    restricted_sections: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    # Columns to copy in from another dataset at build time (e.g. a population weight).
    enrich: tuple["Enrichment", ...] = ()
    lifecycle: Lifecycle = Lifecycle()
    # Benchmarking against anonymised peers (person-level data only; None: not offered).
    benchmark: Benchmark | None = None
    coverage: CoverageSpec | None = None
    # One edition of a publication series (its measures may be set beside another edition's).
    edition: Edition | None = None

    @model_validator(mode="after")
    def _references(self):
        if self.sensitivity == "personal" and self.disclosure is None:
            raise ValueError("person-level data (sensitivity 'personal') needs a 'disclosure' block")
        if self.sensitivity == "personal" and not self.synthetic and "SYNTHETIC" in self.title:
            raise ValueError("a dataset titled SYNTHETIC must say 'synthetic: true'")
        if self.synthetic and "SYNTHETIC" not in self.title:
            raise ValueError("a synthetic dataset must say SYNTHETIC in its title")
        ids = [m.id for m in self.measures]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"measure ids repeated: {sorted(dupes)}")
        for g in self.groups:
            if g.total not in ids:
                raise ValueError(f"group '{g.id}' names total '{g.total}', which is not a measure")
        unknown = [h for h in self.headline if h not in ids]
        if unknown:
            raise ValueError(f"headline names {unknown[0]!r}, which is not a measure")
        groups = {g.id for g in self.groups}
        for m in self.measures:
            if m.group and m.group not in groups:
                raise ValueError(f"measure '{m.id}' names group '{m.group}', which is not defined")
        if self.benchmark is not None:
            b = self.benchmark
            if self.sensitivity != "personal":
                raise ValueError("benchmarking is declared on person-level data only")
            roles = {c.name: c.role for c in self.columns}
            if roles.get(b.column) != "quasi_identifier":
                raise ValueError(f"benchmark column '{b.column}' must be a declared quasi_identifier column")
            if b.column in {d.column for d in self.dimensions}:
                raise ValueError(f"benchmark column '{b.column}' may not be offered as a dimension")
            for bm in b.measures:
                if bm.measure not in ids:
                    raise ValueError(f"benchmark measure '{bm.measure}' is not a measure of the dataset")
                for col in bm.only:
                    if col not in {d.column for d in self.dimensions}:
                        raise ValueError(f"benchmark measure '{bm.measure}' keeps records by '{col}', not a dimension")
        return self

    def section_roles(self, section: str) -> tuple[str, ...] | None:
        """The roles that may read a documentation section, or None when everyone may (the
        one rule: the app's Datasets page, the documentation search and the pipeline use it)."""
        allowed = self.restricted_sections.get(SECTION_ALIASES.get(section, section))
        if allowed is None:
            allowed = next((v for k, v in self.restricted_sections.items() if SECTION_ALIASES.get(k) == section), None)
        if allowed is None or "any" in allowed:
            return None
        return tuple(allowed)

    def section_visible(self, section: str, role: str | None) -> bool:
        allowed = self.section_roles(section)
        return allowed is None or (role is not None and role in allowed)

    @cached_property
    def measure_by_id(self) -> dict[str, Measure]:
        return {m.id: m for m in self.measures}

    def group_members(self, group_id: str) -> list[Measure]:
        return [m for m in self.measures if m.group == group_id]

    @property
    def table(self) -> str:
        return f"ds_{self.id}"

    @property
    def person_level(self) -> bool:
        return self.sensitivity == "personal"

    @property
    def consent_purposes(self) -> tuple[str, ...]:
        """The purposes a participant of this person-level dataset may opt out of."""
        if not self.person_level:
            return ()
        p = self.policy
        if p.opt_out_purposes is not None:
            return tuple(p.opt_out_purposes)
        return tuple(x for x in dict.fromkeys((*p.permitted_purposes, *p.duties))
                     if x not in ("any", "stewardship"))

    @property
    def rules(self) -> DisclosureRules:
        return self.disclosure or DisclosureRules()

    def columns_with_role(self, role: str) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.role == role)


class CoverageSpec(_Strict):
    """Who is missing from a person-level dataset: how it is set against the census."""

    # the neighbourhood deprivation decile: "dataset.measure" at the dataset's own LSOA boundaries
    deprivation: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    # the census dataset counting residents per neighbourhood (by age band), for the deciles
    residents: str | None = None
    # two dimensions raked to the census margins (each a group of the council census table)
    rake: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _two(self):
        if self.rake and len(self.rake) != 2:
            raise ValueError("'rake' names two dimensions (e.g. [age_band, sex])")
        if self.deprivation and not self.residents:
            raise ValueError("'deprivation' needs 'residents' (the census counts per neighbourhood)")
        return self


class Enrichment(_Strict):
    dataset: str
    on: str
    columns: tuple[str, ...]


Datasheet.model_rebuild()


def load_datasheet(path: Path) -> Datasheet:
    """Read and validate one datasheet; a bad one fails naming its file and field."""
    try:
        raw = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as e:
        raise DatasheetError(str(path), "-", f"cannot be read ({e.strerror})") from None
    except yaml.YAMLError as e:
        raise DatasheetError(str(path), "-", f"is not valid YAML ({e})") from None
    if not isinstance(raw, dict):
        raise DatasheetError(str(path), "-", "must be a YAML mapping")
    try:
        return Datasheet.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "-"
        raise DatasheetError(str(path), field, err["msg"]) from None


def load_datasheets(folder: Path, data_dir: Path | None = None) -> dict[str, Datasheet]:
    """Load every ``*.yaml`` under ``folder``; checks that each source file and column exists."""
    sheets: dict[str, Datasheet] = {}
    if not Path(folder).is_dir():
        raise DatasheetError(str(folder), "-", "the datasheet folder does not exist "
                             "(check the COMMONS_DATA_DIR setting)")
    for path in sorted(Path(folder).glob("*.yaml")):
        sheet = load_datasheet(path)
        if sheet.id in sheets:
            raise DatasheetError(str(path), "id", f"'{sheet.id}' is used by another datasheet")
        if data_dir is not None:
            _check_columns(path, sheet, data_dir)
        sheets[sheet.id] = sheet
    for path_id, sheet in sheets.items():
        for e in sheet.enrich:
            if e.dataset not in sheets:
                raise DatasheetError(path_id, "enrich.dataset", f"unknown dataset '{e.dataset}'")
    return sheets


def _check_columns(path: Path, sheet: Datasheet, data_dir: Path) -> None:
    source = Path(data_dir) / sheet.source_file
    if not source.exists():
        raise DatasheetError(str(path), "source_file", f"{source} does not exist")
    with source.open(encoding="utf-8") as f:
        header = set(f.readline().strip().split(","))
    header |= {c for e in sheet.enrich for c in e.columns}
    wanted: list[tuple[str, str]] = [("geography.column", sheet.geography.column)]
    if sheet.geography.name_column:
        wanted.append(("geography.name_column", sheet.geography.name_column))
    if sheet.time.column:
        wanted.append(("time.column", sheet.time.column))
    for i, m in enumerate(sheet.measures):
        for attr in ("column", "weight", "numerator", "denominator"):
            col = getattr(m, attr)
            if col:
                wanted.append((f"measures.{i}.{attr}", col))
        wanted += [(f"measures.{i}.sum_of", c) for c in m.sum_of]
    for i, d in enumerate(sheet.dimensions):
        wanted.append((f"dimensions.{i}.column", d.column))
    for field, col in wanted:
        if col not in header:
            raise DatasheetError(str(path), field, f"column '{col}' is not in {sheet.source_file}")
