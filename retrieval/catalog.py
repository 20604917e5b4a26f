"""The semantic layer: concepts (measures shared across datasets), the periods each dataset
holds, and the choice of dataset for a place, level and period.

Pure apart from construction, which reads the distinct periods and dimension values from
the store once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from retrieval.datasheets import LEVEL_ORDER, Datasheet, Measure
from retrieval.geography import WARD_VINTAGE, Place


@dataclass(frozen=True)
class MeasureRef:
    sheet: Datasheet
    measure: Measure

    @property
    def dataset(self) -> str:
        return self.sheet.id


@dataclass(frozen=True)
class Binding:
    ref: MeasureRef
    periods: tuple[str, ...]       # the periods to query (one, or several for a trend)
    native: bool


class Catalog:
    def __init__(self, sheets: dict[str, Datasheet], periods: dict[str, tuple[str, ...]],
                 dim_values: dict[tuple[str, str], tuple[str, ...]]):
        self.sheets = sheets
        self.periods = periods
        self.dim_values = dim_values

    @classmethod
    def from_store(cls, sheets: dict[str, Datasheet], store) -> "Catalog":
        periods: dict[str, tuple[str, ...]] = {}
        dims: dict[tuple[str, str], tuple[str, ...]] = {}
        for s in sheets.values():
            if not s.measures:
                continue
            if s.time.column:
                periods[s.id] = tuple(str(v) for v in store.distinct(s.table, s.time.column))
            else:
                periods[s.id] = (s.time.period,)
            for d in s.dimensions:
                dims[(s.id, d.column)] = tuple(str(v) for v in store.distinct(s.table, d.column))
            for m in s.measures:
                if m.format == "category":
                    dims[(s.id, m.column)] = tuple(str(v) for v in store.distinct(s.table, m.column))
        return cls(sheets, periods, dims)

    # -- concepts ------------------------------------------------------------------------
    @cached_property
    def concepts(self) -> dict[str, list[MeasureRef]]:
        out: dict[str, list[MeasureRef]] = {}
        for s in self.sheets.values():
            for m in s.measures:
                out.setdefault(m.id, []).append(MeasureRef(s, m))
        return out

    @cached_property
    def change_words(self) -> dict[str, str]:
        """{word: concept} for the words of change a datasheet says name its measure on their own
        ('grew' of a place: its population)."""
        out: dict[str, str] = {}
        for c, refs in self.concepts.items():
            for r in refs:
                for w in r.measure.said_by_change:
                    out.setdefault(w.lower(), c)
        return out

    @cached_property
    def summary_concepts(self) -> tuple[str, ...]:
        """The measures an area summary shows, in the order their datasheets give (``summary: N``)."""
        order: dict[str, int] = {}
        for c, refs in self.concepts.items():
            ranks = [r.measure.summary for r in refs if r.measure.summary]
            if ranks:
                order[c] = min(ranks)
        return tuple(sorted(order, key=lambda c: (order[c], c)))

    def label(self, concept: str) -> str:
        return self.concepts[concept][0].measure.label

    def person_level(self, concept: str | None) -> bool:
        """Whether any dataset holding ``concept`` is person-level (contributed) data."""
        return bool(concept) and any(r.sheet.person_level for r in self.concepts.get(concept, []))

    def ref(self, dataset: str, concept: str) -> MeasureRef:
        s = self.sheets[dataset]
        return MeasureRef(s, s.measure_by_id[concept])

    @staticmethod
    def population_weight(sheet: Datasheet, m: Measure) -> str | None:
        """The column of residents behind a decile ('imd_decile' -> the population the IMD score
        is weighted by), so 'what share of residents live in the most deprived 10%' can be
        answered.  Only the dataset's whole-population weight (the one most of its scores use);
        None for deciles of a narrower population (children, older people) or without one."""
        if m.format != "decile":
            return None
        weights = [x.weight for x in sheet.measures if x.rollup == "weighted_mean" and x.weight]
        if not weights:
            return None
        common = max(sorted(set(weights)), key=weights.count)
        base = m.id[:-len("_decile")] if m.id.endswith("_decile") else m.id
        score = next((x for x in sheet.measures if x.id in (f"{base}_score", base) and x.weight), None)
        return common if score is not None and score.weight == common else None

    # -- geography support -------------------------------------------------------------
    @staticmethod
    def place_code(sheet: Datasheet, place: Place) -> str | None:
        """The code of ``place`` in this dataset's geography, or None if it cannot be answered."""
        geo = sheet.geography
        if place.level == "country":
            return geo.extra_rows.get("country")
        if place.level == "region":
            return place.any_code
        if place.level == "lad":
            return place.lad_code
        if geo.level == "lad":
            return None
        if place.level == "ward":
            return place.code_for(WARD_VINTAGE[geo.vintage])
        if place.level == "lsoa":
            return place.code_for(geo.vintage)
        if place.level == "town":        # built from the neighbourhoods of either vintage
            return place.any_code
        return None

    def supports(self, ref: MeasureRef, place: Place) -> bool:
        geo = ref.sheet.geography
        if self.place_code(ref.sheet, place) is None:
            return False
        if place.level == "country":
            return True
        if place.level == geo.level:
            return True
        if LEVEL_ORDER.index(place.level) < LEVEL_ORDER.index(geo.level):
            return False
        return ref.measure.rollup != "none"

    def supports_level(self, ref: MeasureRef, level: str) -> bool:
        """Can this dataset produce rows at ``level`` (for rankings and breakdowns)?"""
        geo = ref.sheet.geography
        if level == geo.level:
            return True
        if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(geo.level) or level == "country":
            return False
        return ref.measure.rollup != "none"

    def matching_periods(self, dataset: str, wanted: str | None) -> tuple[str, ...]:
        have = self.periods.get(dataset, ())
        if wanted is None:
            return have
        return tuple(p for p in have if p == wanted or p.startswith(wanted + "-"))

    # -- choosing a dataset --------------------------------------------------------------
    def bind(self, concept: str, places: list[Place], child_level: str | None,
             period: str | None, trend: bool = False,
             dataset_hint: str | None = None, scope: Place | None = None) -> Binding | None:
        """Pick the dataset for a concept: it must cover every place (and the child level),
        hold the period; prefer the latest period, then published (native) figures."""
        best: tuple | None = None
        for ref in self.concepts.get(concept, []):
            if not all(self.supports(ref, p) for p in places):
                continue
            if child_level and not self.supports_level(ref, child_level):
                continue
            if scope is not None and scope.level not in ("region", "country") and \
                    self.place_code(ref.sheet, scope) is None:
                continue
            periods = self.matching_periods(ref.dataset, period)
            if not periods:
                continue
            native = all(p.level == ref.sheet.geography.level or p.level == "country" for p in places) \
                and (child_level in (None, ref.sheet.geography.level))
            latest = periods[-1][:4]
            key = (ref.dataset == dataset_hint,
                   len(periods) if trend else 0,
                   latest,
                   native,
                   # published council figures where the place is a council; otherwise
                   # the finest data, summed up (it matches the published small-area totals)
                   ref.sheet.geography.level == ("lad" if native else "lsoa"))
            if best is None or key > best[0]:
                best = (key, Binding(ref, periods, native))
        return best[1] if best else None

    def latest_period(self, dataset: str) -> str | None:
        p = self.periods.get(dataset)
        return p[-1] if p else None
