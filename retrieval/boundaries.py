"""Area outlines for maps, read from ``data/geo/boundaries_lcr.json`` (built once from the ONS LSOA
2011 boundaries by ``scripts/build_boundaries.py``; provenance in data/SOURCES.md).

LSOAs are drawn as ONS publishes them (2011); an LSOA 2021 that is unchanged keeps its 2011 code and
outline, one merged from 2011 LSOAs has the union of their outlines, and one that was split has no
outline here.  Ward and council outlines are the union of their best-fit LSOAs, so they are
approximate.  Plain data, no geometry library: the chart draws the GeoJSON as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from kernel.errors import ConfigError

# the geography a dataset names (level, vintage) -> the outline set drawn for it
_SETS = {("lsoa", "2011"): ("lsoa11",), ("lsoa", "2021"): ("lsoa21_merged", "lsoa11"),
         ("ward", "2019"): ("ward2019",), ("ward", "2024"): ("ward2024",)}


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    geometry: dict              # a GeoJSON Polygon or MultiPolygon, longitude/latitude


@dataclass(frozen=True)
class Drawn:
    """The outlines found for the codes asked, and the codes that have none."""
    outlines: tuple[Outline, ...]
    missing: tuple[str, ...]
    approximate: bool           # ward or council outlines made from best-fit LSOAs
    attribution: str
    # LSOAs (2021) split from one 2011 LSOA: the 2011 outline (drawn without a figure) and the
    # codes of the asked areas inside it
    split: tuple[tuple[Outline, tuple[str, ...]], ...] = ()


class Boundaries:
    def __init__(self, path: Path):
        self.path = Path(path)

    @cached_property
    def _data(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError(f"{self.path}: the map boundaries could not be read ({e}); "
                              "rebuild them with scripts/build_boundaries.py") from None
        if not isinstance(data, dict) or "levels" not in data:
            raise ConfigError(f"{self.path}: not a boundaries file (no 'levels')")
        return data

    @property
    def attribution(self) -> str:
        return str(self._data.get("attribution") or "")

    def available(self) -> bool:
        return self.path.exists()

    def draw(self, level: str, vintage: str | None, codes) -> Drawn:
        """Outlines for ``codes`` of an area level (``lsoa``, ``ward``, ``lad``) in a vintage."""
        sets = ("lad",) if level == "lad" else _SETS.get((level, str(vintage)), ())
        levels = self._data["levels"]
        found, missing = [], []
        for code in dict.fromkeys(str(c) for c in codes):
            hit = next((levels[s][code] for s in sets if code in levels.get(s, {})), None)
            if hit is None:
                missing.append(code)
            else:
                found.append(Outline(code, hit["name"], hit["geometry"]))
        parents: dict[str, list[str]] = {}
        if level == "lsoa" and str(vintage) == "2021":
            of = self._data.get("lsoa21_split_parent") or {}
            for code in missing:
                if of.get(code) in levels["lsoa11"]:
                    parents.setdefault(of[code], []).append(code)
        split = tuple((Outline(p, levels["lsoa11"][p]["name"], levels["lsoa11"][p]["geometry"]), tuple(kids))
                      for p, kids in parents.items())
        return Drawn(tuple(found), tuple(missing), level in ("ward", "lad"), self.attribution, split)


__all__ = ["Boundaries", "Drawn", "Outline"]
