"""A SYNTHETIC national-scale lupus commons: millions of participants, generated vectorised.

None of these people or places exist.  The shipped data holds only the Liverpool City
Region (1,003 LSOAs of 2021, six councils); England's population is known from the shipped
Census 2021 council file (its England row).  The generator scales the region to England:

* ``replicas = round(England usual residents / region usual residents)`` (36 with the
  shipped data) copies of the region's LSOAs become SYNTHETIC areas with their own codes
  in number ranges no real area uses (LSOAs ``E01`` + ``5000000``..., wards ``E05`` +
  ``6000000``..., councils ``E06`` + ``6000000``...), so the usual code prefixes still say
  the level; each copy's LSOA populations are the real ones times a seeded factor
  (log-normal, sd 0.1), so copies differ; names say "(synthetic NN)".
* ``rows`` participants (10 million by default) are allocated to the synthetic LSOAs in
  proportion to those populations (systematic sampling, exact total), then each gets the
  lupus-commons attributes (age band, sex, diagnosis year, flares, medication, work status
  and hours) from the distributions of ``retrieval/synthetic.py``, and the direct
  identifiers a raw contribution would carry (reference, name, email, NHS number with a
  valid check digit, NI number, postcode, phone), which ingestion must remove.

Everything is numpy/pyarrow vectorised and generated in chunks of areas (bounded memory:
``batches`` yields pyarrow RecordBatches of about ``chunk_rows`` rows).  Same seed, rows and
chunk size -> identical batches.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from retrieval import synthetic
from retrieval.datasheets import Datasheet
from retrieval.geography import ENGLAND_CODE, REGION_CODE as GAZ_REGION_KEY, Gazetteer, Place
from kernel.text import normalise

GENERATOR_VERSION = 1      # bump whenever a change here changes the rows generated (stored data is regenerated)
SEED = 20251203
DEFAULT_ROWS = 10_000_000
CHUNK_ROWS = 500_000
DATASET_ID = "lupus_national"
LA_FILE = "raw/census2021_population_age6_la_lcr_england.csv"
LOOKUP_FILE = "raw/lookup_lsoa21_ward24_lad24_lcr.csv"
ENGLAND = "E92000001"
REGION_CODE, REGION_NAME = "E92000001", "England (SYNTHETIC national lupus commons)"

AGE_BANDS = synthetic.AGE_BANDS
AGE_P = (0.08, 0.24, 0.36, 0.22, 0.10)
AGE_MID = np.array([20, 30, 42, 57, 72])
MEDS = ("Hydroxychloroquine", "Steroids", "Immunosuppressant", "Biologic", "None")
MED_P = (0.46, 0.14, 0.2, 0.09, 0.11)
STATUSES = ("Full-time", "Part-time", "Unable to work", "Not working", "Retired", "Student")
RAW_COLUMNS = synthetic.LUPUS_COLUMNS


@dataclass(frozen=True)
class Geography:
    """The SYNTHETIC areas: one row per synthetic LSOA, in code order."""

    lsoa_cd: np.ndarray
    lsoa_nm: np.ndarray
    ward_cd: np.ndarray
    ward_nm: np.ndarray
    lad_cd: np.ndarray
    lad_nm: np.ndarray
    council: np.ndarray          # the real council each synthetic one copies (for postcodes, phones)
    population: np.ndarray
    replicas: int
    england: int
    region: int

    def table(self) -> pa.Table:
        """The lookup as the store's ``geo_lsoa21`` (the GEO_COLUMNS of retrieval.store)."""
        n = len(self.lsoa_cd)
        return pa.table({"lsoa_cd": self.lsoa_cd, "lsoa_nm": self.lsoa_nm, "ward_cd": self.ward_cd,
                         "ward_nm": self.ward_nm, "lad_cd": self.lad_cd, "lad_nm": self.lad_nm,
                         "region_cd": np.full(n, REGION_CODE), "region_nm": np.full(n, REGION_NAME),
                         "town_cd": pa.nulls(n, pa.string()), "town_nm": pa.nulls(n, pa.string())})


def gazetteer(geo: Geography) -> Gazetteer:
    """A gazetteer of the SYNTHETIC areas, so plans over the national commons name places the
    same way as over the shipped one (councils, wards, LSOAs; the whole synthetic country is
    the gazetteer's region, whose code is the geography table's ``region_cd``)."""
    places: dict[str, Place] = {}
    lads = dict(zip(geo.lad_cd.tolist(), geo.lad_nm.tolist()))
    for code, name in lads.items():
        places[f"lad:{code}"] = Place(f"lad:{code}", name, "lad", (("*", code),), code, name)
    for wcd, wnm, lcd in zip(geo.ward_cd.tolist(), geo.ward_nm.tolist(), geo.lad_cd.tolist()):
        key = f"ward:{lcd}:{normalise(wnm).replace(' ', '_')}"
        places.setdefault(key, Place(key, wnm, "ward", (("2024", wcd),), lcd, lads[lcd]))
    for cd, nm, lcd in zip(geo.lsoa_cd.tolist(), geo.lsoa_nm.tolist(), geo.lad_cd.tolist()):
        places[f"lsoa:{nm}"] = Place(f"lsoa:{nm}", nm, "lsoa", (("2021", cd),), lcd, lads[lcd])
    places[f"region:{GAZ_REGION_KEY}"] = Place(f"region:{GAZ_REGION_KEY}", REGION_NAME, "region",
                                               (("*", REGION_CODE),))
    places[f"country:{ENGLAND_CODE}"] = Place(f"country:{ENGLAND_CODE}", "England", "country",
                                              (("*", ENGLAND_CODE),))
    gaz = Gazetteer(places)
    gaz._index()
    return gaz


def england_population(data_dir: Path) -> int:
    with (Path(data_dir) / LA_FILE).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["area_code"] == ENGLAND:
                return int(row["usual_residents_ts009"])
    raise ValueError(f"{LA_FILE} has no England row ({ENGLAND})")


def geography(data_dir: Path, seed: int = SEED) -> Geography:
    """Replicate the region's LSOAs into SYNTHETIC areas scaled to England's population."""
    areas = synthetic.load_areas(data_dir)             # sorted by LSOA code
    lookup: dict[str, dict] = {}
    with (Path(data_dir) / LOOKUP_FILE).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            lookup[row["lsoa21cd"]] = row
    region = sum(a.population for a in areas)
    england = england_population(data_dir)
    replicas = max(1, round(england / region))
    wards = sorted({lookup[a.lsoa21cd]["wd24cd"] for a in areas})
    councils = sorted({lookup[a.lsoa21cd]["lad24cd"] for a in areas})
    ward_ix = {w: i for i, w in enumerate(wards)}
    lad_ix = {c: i for i, c in enumerate(councils)}
    base_pop = np.array([a.population for a in areas], dtype=np.float64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    factor = rng.lognormal(0.0, 0.1, size=(replicas, len(areas)))
    cols: dict[str, list] = {k: [] for k in ("lsoa_cd", "lsoa_nm", "ward_cd", "ward_nm", "lad_cd", "lad_nm",
                                             "council")}
    for r in range(replicas):
        tag = f"(synthetic {r + 1:02d})"
        for i, a in enumerate(areas):
            row = lookup[a.lsoa21cd]
            cols["lsoa_cd"].append(f"E01{50 + r:02d}{i:04d}")
            cols["lsoa_nm"].append(f"{row['lsoa21nm']} {tag}")
            cols["ward_cd"].append(f"E05{60 + r:02d}{ward_ix[row['wd24cd']]:04d}")
            cols["ward_nm"].append(f"{row['wd24nm']} {tag}")
            cols["lad_cd"].append(f"E06{60 + r:02d}{lad_ix[row['lad24cd']]:04d}")
            cols["lad_nm"].append(f"{row['lad24nm']} {tag}")
            cols["council"].append(a.lad_name)
    pop = np.rint((base_pop[None, :] * factor).ravel()).astype(np.int64)
    arrays = {k: np.array(v) for k, v in cols.items()}
    return Geography(**arrays, population=pop, replicas=replicas, england=england, region=region)


def allocate(weights: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` records across areas in proportion to ``weights`` (systematic sampling:
    exact total, each area within one of its expected share), without a ``total``-sized array."""
    cum = np.cumsum(weights, dtype=np.float64)
    step = cum[-1] / total
    start = rng.random() * step
    # Records i = 0..total-1 sit at start + i*step; area k holds those in [cum[k-1], cum[k]).
    upto = np.floor((cum - start) / step).astype(np.int64) + 1
    upto = np.clip(upto, 0, total)
    upto[-1] = total
    return np.diff(np.concatenate([[0], upto]))


def inputs_digest(data_dir: Path, rows: int, seed: int = SEED, chunk_rows: int = CHUNK_ROWS) -> str:
    h = hashlib.sha256(f"national:{GENERATOR_VERSION}:{seed}:{rows}:{chunk_rows}".encode())
    for f in (synthetic.CENSUS_FILE, synthetic.IMD_FILE, LA_FILE, LOOKUP_FILE):
        p = Path(data_dir) / f
        h.update(f.encode())
        h.update(p.read_bytes() if p.exists() else b"-")
    return h.hexdigest()


# -- vectorised attribute and identifier draws -----------------------------------------------
def _take(options, index: np.ndarray) -> pa.Array:
    return pa.array(list(options), pa.string()).take(pa.array(index))


def _pick(rng: np.random.Generator, options: tuple, n: int) -> pa.Array:
    return _take(options, rng.integers(0, len(options), size=n))


def _digits(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def nhs_numbers(rng: np.random.Generator, n: int) -> pa.Array:
    """Valid NHS numbers (modulus 11 check digit), written "NNN NNN NNNN"."""
    nine = rng.integers(400_000_000, 700_000_000, size=n)
    weights = np.arange(10, 1, -1)
    while True:
        digits = (nine[:, None] // (10 ** np.arange(8, -1, -1))) % 10
        check = 11 - (digits * weights).sum(axis=1) % 11
        check = np.where(check == 11, 0, check)
        bad = check == 10
        if not bad.any():
            break
        nine = np.where(bad, nine + 1, nine)
        nine = np.where(nine >= 700_000_000, 400_000_000, nine)
    full = nine * 10 + check
    s = _digits(full, 10)
    return _join(pc.utf8_slice_codeunits(s, 0, 3), " ", pc.utf8_slice_codeunits(s, 3, 6), " ",
                 pc.utf8_slice_codeunits(s, 6, 10))


def ni_numbers(rng: np.random.Generator, n: int) -> pa.Array:
    prefixes = [a + b for a in synthetic.NINO_FIRST for b in synthetic.NINO_SECOND
                if synthetic.nino_prefix_valid(a + b)]
    d = _digits(rng.integers(0, 1_000_000, size=n), 6)
    return _join(_pick(rng, tuple(prefixes), n), " ", pc.utf8_slice_codeunits(d, 0, 2), " ",
                 pc.utf8_slice_codeunits(d, 2, 4), " ", pc.utf8_slice_codeunits(d, 4, 6), " ",
                 _pick(rng, tuple("ABCD"), n))


def _by_council(rng: np.random.Generator, council: np.ndarray, table: dict) -> pa.Array:
    """One of each council's own options (postcode districts, area codes) per row."""
    names = sorted(table)
    flat = [o for name in names for o in table[name]]
    offset = np.cumsum([0] + [len(table[name]) for name in names])
    ci = np.searchsorted(np.array(names), council)
    sizes = np.diff(offset)[ci]
    return _take(flat, offset[ci] + np.floor(rng.random(len(council)) * sizes).astype(np.int64))


def postcodes(rng: np.random.Generator, council: np.ndarray) -> pa.Array:
    n = len(council)
    letters = tuple(synthetic.INWARD_LETTERS)
    return _join(_by_council(rng, council, synthetic.POSTCODE_DISTRICTS), " ",
                 pc.cast(pa.array(rng.integers(1, 10, size=n)), pa.string()), _pick(rng, letters, n),
                 _pick(rng, letters, n))


def phones(rng: np.random.Generator, council: np.ndarray) -> pa.Array:
    n = len(council)
    mobile = _join(_pick(rng, synthetic.MOBILE_PREFIXES, n), pc.cast(pa.array(rng.integers(0, 10, size=n)), pa.string()),
                   " ", pc.cast(pa.array(rng.integers(100_000, 1_000_000, size=n)), pa.string()))
    landline_code = _by_council(rng, council, {k: [c for c, _ in v] for k, v in synthetic.LANDLINES.items()})
    seven = pc.equal(landline_code, "0151").to_numpy(zero_copy_only=False)
    rest = np.where(seven, rng.integers(2_000_000, 10_000_000, size=n), rng.integers(200_000, 1_000_000, size=n))
    rest_s = pc.cast(pa.array(rest), pa.string())
    land = pc.if_else(pa.array(seven),
                      _join(landline_code, " ", pc.utf8_slice_codeunits(rest_s, 0, 3), " ",
                            pc.utf8_slice_codeunits(rest_s, 3, 7)),
                      _join(landline_code, " ", rest_s))
    return pc.if_else(pa.array(rng.random(n) < 0.7), mobile, land)


def participants(rng: np.random.Generator, area: np.ndarray, geo: Geography, first_ref: int) -> pa.RecordBatch:
    """One batch of SYNTHETIC participants living in ``area`` (indices into ``geo``)."""
    n = len(area)
    female = rng.random(n) < 0.9
    sex = _take(("Male", "Female"), female.astype(np.int64))
    age_i = rng.choice(5, size=n, p=AGE_P)
    age_mid = AGE_MID[age_i]
    earliest = np.maximum(1995, 2025 - age_mid + 12)
    span = 2025 - earliest
    diag = 2025 - np.minimum(span, np.floor((span + 1) * rng.random(n) ** 1.3).astype(np.int64))
    flares = np.minimum(12, rng.poisson(rng.gamma(1.2, 1.6, size=n)))
    med_i = rng.choice(5, size=n, p=MED_P)
    switch = (flares >= 6) & ((med_i == 0) | (med_i == 4)) & (rng.random(n) < 0.5)
    med_i = np.where(switch, 3, med_i)
    unable = 0.12 + 0.04 * np.minimum(flares, 8)
    p = np.zeros((n, len(STATUSES)))
    old, young = age_i == 4, age_i == 0
    mid = ~(old | young)
    p[old] = (0.0, 0.07, 0.08, 0.05, 0.8, 0.0)           # in the order of STATUSES
    p[young, 0], p[young, 1], p[young, 2], p[young, 3], p[young, 5] = 0.25, 0.18, unable[young] * 0.6, 0.07, 0.4
    p[mid, 0], p[mid, 1], p[mid, 2], p[mid, 3] = 0.42, 0.27, unable[mid], 0.08
    p[mid & (age_i == 3), 4] = 0.04
    cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    status_i = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(STATUSES) - 1)
    hours = np.zeros(n, dtype=np.int64)
    ft, pt, st = status_i == 0, status_i == 1, status_i == 5
    hours[ft] = 35 + np.minimum(15, np.floor(rng.exponential(3.0, size=int(ft.sum())))).astype(np.int64)
    hours[pt] = 8 + rng.integers(0, 23, size=int(pt.sum()))
    student_work = st & (rng.random(n) < 0.3)
    hours[student_work] = 6 + rng.integers(0, 12, size=int(student_work.sum()))
    first_a = pc.if_else(pa.array(female), _pick(rng, synthetic.FEMALE_NAMES, n), _pick(rng, synthetic.MALE_NAMES, n))
    last_a = _pick(rng, synthetic.SURNAMES, n)
    local = _join(pc.utf8_lower(first_a), ".", pc.utf8_lower(pc.replace_substring(last_a, "'", "")),
                  pc.cast(pa.array(rng.integers(1, 99, size=n)), pa.string()))
    email = _join(local, "@", _pick(rng, synthetic.EMAIL_DOMAINS, n))
    council = geo.council[area]
    refs = _join("LN-", _digits(np.arange(first_ref, first_ref + n), 8))
    cols = {
        "participant_ref": refs, "full_name": _join(first_a, " ", last_a), "email": email,
        "nhs_number": nhs_numbers(rng, n), "ni_number": ni_numbers(rng, n), "postcode": postcodes(rng, council),
        "phone": phones(rng, council), "age_band": _take(AGE_BANDS, age_i),
        "sex": sex, "lsoa21cd": pa.array(geo.lsoa_cd[area]), "diagnosis_year": pa.array(diag),
        "flares_12m": pa.array(flares.astype(np.int64)), "medication": _take(MEDS, med_i),
        "work_status": _take(STATUSES, status_i), "work_hours": pa.array(hours),
    }
    return pa.record_batch([cols[c] for c in RAW_COLUMNS], names=list(RAW_COLUMNS))


def batches(data_dir: Path, rows: int = DEFAULT_ROWS, seed: int = SEED, chunk_rows: int = CHUNK_ROWS,
            geo: Geography | None = None) -> Iterator[pa.RecordBatch]:
    """The SYNTHETIC raw contribution (with identifiers) as RecordBatches of about
    ``chunk_rows`` rows each, in LSOA-code order."""
    geo = geo or geography(data_dir, seed)
    counts = allocate(geo.population.astype(np.float64), rows, np.random.default_rng(np.random.SeedSequence([seed, 1])))
    ends = np.cumsum(counts)
    start_area, done, chunk = 0, 0, 0
    while start_area < len(counts):
        # Enough whole areas for about chunk_rows rows (at least one area).
        stop_area = int(np.searchsorted(ends, done + chunk_rows, side="right"))
        stop_area = max(stop_area, start_area + 1)
        area = np.repeat(np.arange(start_area, stop_area), counts[start_area:stop_area])
        if len(area):
            rng = np.random.default_rng(np.random.SeedSequence([seed, 2, chunk]))
            yield participants(rng, area, geo, done + 1)
        done += len(area)
        start_area = stop_area
        chunk += 1


# -- its datasheet -----------------------------------------------------------------------------
def raw_sheet(data_dir: Path, rows: int = DEFAULT_ROWS):
    """The datasheet of the raw SYNTHETIC national contribution: the lupus commons' own
    (columns, measures, dimensions, disclosure rules and use policy), with its own id, title
    and description."""
    raw = yaml.safe_load((Path(data_dir) / "contrib" / "lupus_commons.yaml").read_text(encoding="utf-8"))
    geo = geography(data_dir)
    raw.update({
        "id": DATASET_ID,
        "title": f"National lupus commons participants (SYNTHETIC, {rows:,} people)",
        "aliases": [],
        "source_file": DATASET_ID,
        "description": (
            f"SYNTHETIC DATA - NOT REAL PEOPLE OR PLACES. {rows:,} participants of an imagined national lupus "
            f"health commons, for testing the commons at national scale. The Liverpool City Region's "
            f"{len(geo.lsoa_cd) // geo.replicas:,} LSOAs (2021) are copied {geo.replicas} times into synthetic "
            f"areas, councils and wards (codes no real area uses, names marked 'synthetic NN') so that the "
            f"population matches England's ({geo.england:,} usual residents, Census 2021); participants are "
            f"allocated in proportion to those populations. Generated from seed {SEED} by retrieval/national.py."),
        "methodology": (
            "SYNTHETIC. The region's LSOA populations (Census 2021) times a seeded log-normal factor (sd 0.1) "
            "per copy give the synthetic areas' populations; participants are allocated by systematic "
            "sampling; age band, sex, diagnosis year, flares, medication, work status and hours follow the "
            "distributions of the local SYNTHETIC lupus commons. The raw contribution carries names, emails, "
            "NHS and NI numbers, postcodes and phone numbers, removed by streaming ingestion."),
        "caveats": ["SYNTHETIC data for testing at scale: no real people, and the areas are invented copies "
                    "of the Liverpool City Region, not England's real LSOAs."] + list(raw.get("caveats", [])[1:]),
    })
    return Datasheet.model_validate(raw)
