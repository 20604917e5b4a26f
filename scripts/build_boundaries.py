"""Build the boundaries the maps draw (data/geo/boundaries_lcr.json) from the ONS LSOA 2011
"Super Generalised Clipped" boundaries of the city region (../shared/data/geo, see data/SOURCES.md).

Run once by a maintainer; the product only reads the file it writes (no geometry library at run
time).  Needs shapely (``pip install -c constraints.txt shapely``).

    .venv/bin/python scripts/build_boundaries.py [SOURCE.geojson]

What it writes, one set of outlines per geography the datasets use:
- ``lsoa11``: the 989 LSOAs (2011) as drawn by ONS;
- ``lsoa21_merged``: LSOAs (2021) made by merging 2011 ones (chgind M in the ONS lookup), as the
  union of their parts; an unchanged LSOA (U) keeps its code and is drawn with its 2011 outline;
  split ones (S) have no outline of their own here and are left out (the map says how many);
- ``ward2019`` / ``ward2024`` / ``lad``: the union of each ward's or council's best-fit LSOAs
  (approximate outlines, said so on the map);
all simplified together as one coverage (shared edges stay shared, so no gaps or overlaps), with
coordinates rounded to 4 decimal places (about 7 m here).
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
OUT = ROOT / "data" / "geo" / "boundaries_lcr.json"
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "geo" / "lsoa11_boundaries_bsc_lcr.geojson"
TOLERANCE = {"lsoa11": 0.0003, "ward2019": 0.0004, "ward2024": 0.0004, "lad": 0.0008}
ATTRIBUTION = ("Boundaries: Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
               "Contains OS data \u00a9 Crown copyright and database right 2011 (LSOA December 2011 Boundaries "
               "Super Generalised Clipped EW V3).")


def _rows(name: str) -> list[dict]:
    with open(RAW / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _round(geom: dict) -> dict:
    def r(c):
        if isinstance(c[0], (int, float)):
            return [round(c[0], 4), round(c[1], 4)]
        out = [r(x) for x in c]
        if out and isinstance(out[0][0], (int, float)):      # a ring: drop repeated points
            out = [p for i, p in enumerate(out) if i == 0 or p != out[i - 1]]
        return out
    return {"type": geom["type"], "coordinates": r(geom["coordinates"])}


def _level(parts: dict[str, list], names: dict[str, str], tolerance: float) -> dict:
    codes = sorted(parts)
    merged = [shapely.union_all(parts[c]).buffer(0) for c in codes]
    simple = shapely.coverage_simplify(merged, tolerance) if tolerance else merged
    return {c: {"name": names[c], "geometry": _round(mapping(g))} for c, g in zip(codes, simple)}


def build(source: Path) -> dict:
    gj = json.loads(source.read_text(encoding="utf-8"))
    raw = {f["properties"]["LSOA11CD"]: shape(f["geometry"]).buffer(0) for f in gj["features"]}
    names11 = {f["properties"]["LSOA11CD"]: f["properties"]["LSOA11NM"] for f in gj["features"]}
    ward19, lad = _rows("lookup_lsoa11_ward19_lad19_lcr.csv"), {}
    # the LSOAs are simplified first, as one coverage; every other outline is a union of them
    codes = sorted(raw)
    lsoa = dict(zip(codes, shapely.coverage_simplify([raw[c] for c in codes], TOLERANCE["lsoa11"])))
    levels: dict[str, dict] = {"lsoa11": _level({c: [g] for c, g in lsoa.items()}, names11, 0)}
    # LSOA 2021: unchanged and merged areas have an outline made of 2011 ones
    change = _rows("lookup_lsoa11_lsoa21_lad22_lcr.csv")
    parts21: dict[str, list] = defaultdict(list)
    names21: dict[str, str] = {}
    split = sorted({r["lsoa21cd"] for r in change if r["chgind"] not in ("U", "M")})
    for r in change:
        if r["chgind"] == "M":
            parts21[r["lsoa21cd"]].append(lsoa[r["lsoa11cd"]])
            names21[r["lsoa21cd"]] = r["lsoa21nm"]
        elif r["chgind"] == "U":
            assert r["lsoa21cd"] == r["lsoa11cd"], r     # an unchanged LSOA keeps its code
    # only the merged ones are stored: an unchanged LSOA 2021 is drawn with its 2011 outline
    levels["lsoa21_merged"] = _level(parts21, names21, 0)
    # wards (2019) and councils from the 2011 best-fit lookup
    w19: dict[str, list] = defaultdict(list)
    wn19: dict[str, str] = {}
    ladp: dict[str, list] = defaultdict(list)
    for r in ward19:
        w19[r["wd19cd"]].append(lsoa[r["lsoa11cd"]])
        wn19[r["wd19cd"]] = r["wd19nm"]
        ladp[r["lad19cd"]].append(lsoa[r["lsoa11cd"]])
        lad[r["lad19cd"]] = r["lad19nm"]
    levels["ward2019"] = _level(w19, wn19, TOLERANCE["ward2019"])
    levels["lad"] = _level(ladp, lad, TOLERANCE["lad"])
    # wards (2024) from the 2021 best-fit lookup: a 2011 LSOA counts for the ward most of its
    # 2021 parts are in (approximate where an LSOA was split across a ward boundary)
    to11: dict[str, list[str]] = defaultdict(list)
    for r in change:
        to11[r["lsoa21cd"]].append(r["lsoa11cd"])
    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    wn24: dict[str, str] = {}
    for r in _rows("lookup_lsoa21_ward24_lad24_lcr.csv"):
        wn24[r["wd24cd"]] = r["wd24nm"]
        for c11 in to11.get(r["lsoa21cd"], ()):
            votes[c11][r["wd24cd"]] += 1
    w24: dict[str, list] = defaultdict(list)
    for c11, v in votes.items():
        w24[max(sorted(v), key=lambda w: v[w])].append(lsoa[c11])
    levels["ward2024"] = _level(w24, wn24, TOLERANCE["ward2024"])
    return {"attribution": ATTRIBUTION,
            "source": "ONS Open Geography Portal, LSOA (Dec 2011) Boundaries Super Generalised Clipped (BSC) EW V3",
            "licence": "Open Government Licence v3.0",
            "method": "LSOA outlines as published; LSOA 2021 outlines from unchanged or merged 2011 LSOAs; ward and "
                      "council outlines as the union of their best-fit LSOAs; simplified as one coverage, coordinates "
                      "rounded to 4 decimal places.",
            "lsoa21_split_not_drawn": split,
            # each split LSOA 2021's 2011 parent: drawn grey, as a place whose parts are in the table
            "lsoa21_split_parent": {r["lsoa21cd"]: r["lsoa11cd"] for r in change if r["lsoa21cd"] in set(split)},
            "levels": levels}


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    data = build(source)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    sizes = {k: len(v) for k, v in data["levels"].items()}
    print(f"wrote {OUT.relative_to(ROOT)}: {OUT.stat().st_size // 1024} KB, {sizes}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
