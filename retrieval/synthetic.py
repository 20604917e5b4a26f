"""SYNTHETIC person-level contributions for the demo commons.  None of these people exist.

Two raw contribution files are generated, deterministically from a seed, scaled to the real
Census 2021 usual-resident counts of the LSOAs (2021 boundaries) of the six Liverpool City
Region councils:

* a lupus health commons: one row per participant (about 0.15% of residents);
* a VCSE data co-op: beneficiary records of local voluntary services, with more records in
  more deprived areas (Index of Multiple Deprivation 2025 decile).

Both files carry the direct identifiers a real contribution would (names, emails, NHS numbers
with valid check digits, NI numbers, full postcodes, phone numbers) so that ingestion has
something to remove.  Same seed and inputs -> byte-identical CSV.  Only ``random.Random``
methods whose output is stable across Python versions are used (``random``, ``getrandbits``
via ``randrange``), never ``hash()`` or set ordering.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

GENERATOR_VERSION = 2      # 2: the Knowsley digital and employment organisation is Knowsley CVS (the demo provider nia's)
LUPUS_SEED = 20250315
VCSE_SEED = 20250316
LUPUS_RATE = 0.0015          # participants per usual resident
VCSE_RATE = 0.0022           # beneficiary records per usual resident, before deprivation weighting

CENSUS_FILE = "raw/census2021_lsoa21_lcr.csv"
IMD_FILE = "raw/iod2025_lsoa21_lcr.csv"

SYNTHETIC_NOTE = "SYNTHETIC"

LUPUS_COLUMNS = ("participant_ref", "full_name", "email", "nhs_number", "ni_number", "postcode", "phone",
                 "age_band", "sex", "lsoa21cd", "diagnosis_year", "flares_12m", "medication",
                 "work_status", "work_hours")
VCSE_COLUMNS = ("record_ref", "beneficiary_name", "email", "phone", "postcode", "organisation",
                "service_type", "lsoa21cd", "month", "age_band", "sex", "sessions", "outcome")

AGE_BANDS = ("16-24", "25-34", "35-49", "50-64", "65+")

# Postcode districts by council (outward codes that lie, at least partly, in each council).
POSTCODE_DISTRICTS: dict[str, tuple[str, ...]] = {
    "Liverpool": ("L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8", "L9", "L11", "L12", "L13", "L15",
                  "L17", "L18", "L19", "L24", "L25", "L27"),
    "Knowsley": ("L14", "L28", "L32", "L33", "L34", "L35", "L36"),
    "Sefton": ("L20", "L21", "L22", "L23", "L29", "L30", "L31", "L37", "L38", "PR8", "PR9"),
    "Wirral": ("CH41", "CH42", "CH43", "CH44", "CH45", "CH46", "CH47", "CH48", "CH49", "CH60", "CH61",
               "CH62", "CH63"),
    "St. Helens": ("WA9", "WA10", "WA11", "WA12", "L35"),
    "Halton": ("WA7", "WA8"),
}
# Letters allowed in the inward code of a UK postcode (no C, I, K, M, O, V).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Landline area codes by council; the number of digits that follow the area code.
LANDLINES: dict[str, tuple[tuple[str, int], ...]] = {
    "Liverpool": (("0151", 7),), "Knowsley": (("0151", 7),), "Wirral": (("0151", 7),),
    "Sefton": (("0151", 7), ("01704", 6)), "St. Helens": (("01744", 6), ("01942", 6)),
    "Halton": (("0151", 7), ("01928", 6)),
}
MOBILE_PREFIXES = ("0731", "0740", "0742", "0751", "0759", "0771", "0772", "0775", "0780", "0783",
                   "0787", "0790", "0795", "0798")

FEMALE_NAMES = ("Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Mia", "Poppy", "Ella",
                "Lily", "Evie", "Jessica", "Chloe", "Hannah", "Lucy", "Megan", "Rebecca", "Laura", "Sarah",
                "Emma", "Rachel", "Claire", "Nicola", "Joanne", "Lisa", "Karen", "Michelle", "Louise",
                "Helen", "Gemma", "Amy", "Danielle", "Kelly", "Stacey", "Jennifer", "Catherine", "Siobhan",
                "Aisha", "Fatima", "Priya", "Mei", "Abena", "Zainab", "Niamh", "Bethan", "Carys", "Maureen",
                "Pauline", "Margaret", "Susan", "Linda", "Patricia", "Denise", "Tracey", "Jacqueline")
MALE_NAMES = ("Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas", "James", "Daniel",
              "Michael", "David", "Paul", "Mark", "Stephen", "Andrew", "Peter", "John", "Anthony", "Kevin",
              "Liam", "Ryan", "Connor", "Callum", "Mohammed", "Ahmed", "Kwame", "Wei", "Tomasz", "Sean")
SURNAMES = ("Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
            "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes",
            "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin",
            "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison",
            "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Murphy", "Kelly", "Doyle", "Byrne",
            "McCarthy", "Gallagher", "Quinn", "Rimmer", "Molyneux", "Halsall", "Aspinall", "Ashcroft",
            "Okafor", "Mensah", "Ali", "Khan", "Chen", "Nowak", "Kowalski", "O'Brien", "Fitzgerald")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.co.uk")

# VCSE organisations (invented): name -> (home council, services offered).
VCSE_ORGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Anfield Community Larder": ("Liverpool", ("Food support", "Debt advice")),
    "Scotland Road Money Matters": ("Liverpool", ("Debt advice", "Employment support")),
    "Mersey Minds Together": ("Liverpool", ("Mental health peer support", "Youth work")),
    "Knowsley CVS": ("Knowsley", ("Digital inclusion", "Employment support")),
    "Huyton Young People's Trust": ("Knowsley", ("Youth work", "Mental health peer support")),
    "Bootle Neighbourhood Pantry": ("Sefton", ("Food support", "Digital inclusion")),
    "Southport Wellbeing Circle": ("Sefton", ("Mental health peer support", "Debt advice")),
    "Birkenhead Works Co-operative": ("Wirral", ("Employment support", "Digital inclusion")),
    "Wirral Youth Collective": ("Wirral", ("Youth work", "Food support")),
    "Parr & Thatto Heath Advice Centre": ("St. Helens", ("Debt advice", "Food support")),
    "St Helens Peer Connect": ("St. Helens", ("Mental health peer support", "Employment support")),
    "Widnes & Runcorn Community Kitchen": ("Halton", ("Food support", "Youth work", "Debt advice")),
}
SERVICE_TYPES = ("Food support", "Debt advice", "Mental health peer support", "Youth work",
                 "Digital inclusion", "Employment support")
VCSE_MONTHS = tuple(f"{y}-{m:02d}" for y in (2024, 2025) for m in range(1, 13))


# -- inputs ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Area:
    lsoa21cd: str
    lad_name: str
    population: int
    imd_decile: int


def load_areas(data_dir: Path) -> list[Area]:
    """LSOA 2021 usual residents (Census 2021) with the council and IMD 2025 decile."""
    deciles: dict[str, int] = {}
    imd = Path(data_dir) / IMD_FILE
    if imd.exists():
        with imd.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                deciles[row["lsoa21cd"]] = int(row["imd_decile"])
    areas = []
    with (Path(data_dir) / CENSUS_FILE).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            areas.append(Area(row["lsoa21cd"], row["lad24nm"], int(row["age6__total_usual_residents"]),
                              deciles.get(row["lsoa21cd"], 5)))
    areas.sort(key=lambda a: a.lsoa21cd)
    return areas


def inputs_digest(data_dir: Path) -> str:
    """A hash of everything generation depends on (inputs, seeds, version)."""
    h = hashlib.sha256(f"generator:{GENERATOR_VERSION}:{LUPUS_SEED}:{VCSE_SEED}".encode())
    for f in (CENSUS_FILE, IMD_FILE):
        p = Path(data_dir) / f
        h.update(f.encode())
        h.update(p.read_bytes() if p.exists() else b"-")
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


# -- identifiers ----------------------------------------------------------------------------
def nhs_check_digit(nine: str) -> int | None:
    """Modulus 11 check digit of the first nine digits; None when no valid number exists."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_number_valid(value: str) -> bool:
    digits = "".join(c for c in value if c.isdigit())
    return len(digits) == 10 and nhs_check_digit(digits[:9]) == int(digits[9])


def _nhs_number(rng: random.Random) -> str:
    while True:
        nine = str(rng.randrange(400_000_000, 700_000_000))
        check = nhs_check_digit(nine)
        if check is not None:
            d = nine + str(check)
            return f"{d[:3]} {d[3:6]} {d[6:]}"


NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"      # not D, F, I, Q, U, V
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"      # not D, F, I, O, Q, U, V
NINO_BAD_PREFIXES = frozenset({"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"})


def nino_prefix_valid(prefix: str) -> bool:
    return (len(prefix) == 2 and prefix[0] in NINO_FIRST and prefix[1] in NINO_SECOND
            and prefix not in NINO_BAD_PREFIXES)


def _ni_number(rng: random.Random) -> str:
    while True:
        prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
        if nino_prefix_valid(prefix):
            break
    d = f"{rng.randrange(1_000_000):06d}"
    return f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {rng.choice('ABCD')}"


def _postcode(rng: random.Random, council: str) -> str:
    district = rng.choice(POSTCODE_DISTRICTS[council])
    return f"{district} {rng.randrange(1, 10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def _phone(rng: random.Random, council: str) -> str:
    if rng.random() < 0.7:
        return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10)} {rng.randrange(100_000, 1_000_000)}"
    code, n = rng.choice(LANDLINES[council])
    first = str(rng.randrange(2, 10))
    rest = first + "".join(str(rng.randrange(10)) for _ in range(n - 1))
    return f"{code} {rest[:3]} {rest[3:]}" if n == 7 else f"{code} {rest}"


def _name(rng: random.Random, sex: str) -> tuple[str, str]:
    first = rng.choice(FEMALE_NAMES if sex == "Female" else MALE_NAMES)
    return first, rng.choice(SURNAMES)


def _email(rng: random.Random, first: str, last: str) -> str:
    last = last.replace("'", "").lower()
    style = rng.randrange(3)
    local = (f"{first.lower()}.{last}" if style == 0 else f"{first[0].lower()}{last}{rng.randrange(1, 99)}"
             if style == 1 else f"{first.lower()}{last[:3]}{rng.randrange(1960, 2008)}")
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


# -- sampling helpers -----------------------------------------------------------------------
def _weighted(rng: random.Random, options: tuple, weights: tuple[float, ...]):
    cum = list(accumulate(weights))
    return options[bisect_right(cum, rng.random() * cum[-1])]


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _allocate(rng: random.Random, weights: list[float], total: int) -> list[int]:
    """Split ``total`` records across areas in proportion to ``weights`` (systematic sampling)."""
    cum = list(accumulate(weights))
    step = cum[-1] / total
    start = rng.random() * step
    counts = [0] * len(weights)
    for i in range(total):
        counts[bisect_right(cum, start + i * step)] += 1
    return counts


def _csv_bytes(columns: tuple[str, ...], rows: list[tuple]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


# -- the two generators ---------------------------------------------------------------------
def generate_lupus(data_dir: Path, seed: int = LUPUS_SEED, rate: float = LUPUS_RATE) -> bytes:
    """SYNTHETIC lupus health commons participants (raw contribution, with identifiers)."""
    rng = random.Random(seed)
    areas = load_areas(data_dir)
    total = round(sum(a.population for a in areas) * rate)
    counts = _allocate(rng, [a.population for a in areas], total)
    rows = []
    n = 0
    for area, count in zip(areas, counts):
        for _ in range(count):
            n += 1
            sex = "Female" if rng.random() < 0.9 else "Male"
            age = _weighted(rng, AGE_BANDS, (0.08, 0.24, 0.36, 0.22, 0.10))
            age_mid = {"16-24": 20, "25-34": 30, "35-49": 42, "50-64": 57, "65+": 72}[age]
            earliest = max(1995, 2025 - age_mid + 12)
            # More recent diagnoses are more common (participants recruited recently).
            span = 2025 - earliest
            diag = 2025 - min(span, int((span + 1) * rng.random() ** 1.3))
            # Over-dispersed flare counts: a gamma-mixed Poisson (most 0-3, a few heavy).
            flares = min(12, _poisson(rng, rng.gammavariate(1.2, 1.6)))
            med = _weighted(rng, ("Hydroxychloroquine", "Steroids", "Immunosuppressant", "Biologic", "None"),
                            (0.46, 0.14, 0.2, 0.09, 0.11))
            if flares >= 6 and med in ("Hydroxychloroquine", "None") and rng.random() < 0.5:
                med = "Biologic"
            unable = 0.12 + 0.04 * min(flares, 8)
            if age == "65+":
                status = _weighted(rng, ("Retired", "Part-time", "Unable to work", "Not working"),
                                   (0.8, 0.07, 0.08, 0.05))
            elif age == "16-24":
                status = _weighted(rng, ("Student", "Full-time", "Part-time", "Unable to work", "Not working"),
                                   (0.4, 0.25, 0.18, unable * 0.6, 0.07))
            else:
                status = _weighted(rng, ("Full-time", "Part-time", "Unable to work", "Not working", "Retired"),
                                   (0.42, 0.27, unable, 0.08, 0.04 if age == "50-64" else 0.0))
            if status == "Full-time":
                hours = 35 + min(15, int(rng.expovariate(1 / 3)))
            elif status == "Part-time":
                hours = 8 + rng.randrange(0, 23)
            elif status == "Student" and rng.random() < 0.3:
                hours = 6 + rng.randrange(0, 12)
            else:
                hours = 0
            first, last = _name(rng, sex)
            rows.append((f"LC-{n:06d}", f"{first} {last}", _email(rng, first, last), _nhs_number(rng),
                         _ni_number(rng), _postcode(rng, area.lad_name), _phone(rng, area.lad_name), age, sex,
                         area.lsoa21cd, diag, flares, med, status, hours))
    return _csv_bytes(LUPUS_COLUMNS, rows)


SERVICE_SESSIONS = {"Food support": 3.0, "Debt advice": 2.5, "Mental health peer support": 6.0,
                    "Youth work": 8.0, "Digital inclusion": 4.0, "Employment support": 5.0}
SERVICE_OUTCOMES = {  # Improved, Maintained, Worsened, Not recorded
    "Food support": (0.35, 0.4, 0.05, 0.2), "Debt advice": (0.55, 0.25, 0.05, 0.15),
    "Mental health peer support": (0.5, 0.3, 0.1, 0.1), "Youth work": (0.45, 0.35, 0.05, 0.15),
    "Digital inclusion": (0.6, 0.25, 0.02, 0.13), "Employment support": (0.4, 0.35, 0.05, 0.2),
}
SERVICE_AGES = {  # weights over AGE_BANDS
    "Youth work": (0.9, 0.1, 0.0, 0.0, 0.0), "Digital inclusion": (0.05, 0.1, 0.2, 0.3, 0.35),
    "Employment support": (0.3, 0.3, 0.3, 0.1, 0.0),
}


def generate_vcse(data_dir: Path, seed: int = VCSE_SEED, rate: float = VCSE_RATE) -> bytes:
    """SYNTHETIC VCSE data co-op beneficiary records (raw contribution, with identifiers)."""
    rng = random.Random(seed)
    areas = load_areas(data_dir)
    # Deprivation weighting: decile 1 (most deprived) has about 3x the need of decile 10.
    weights = [a.population * (1 + 2 * (10 - a.imd_decile) / 9) for a in areas]
    total = round(sum(a.population for a in areas) * rate)
    counts = _allocate(rng, weights, total)
    orgs_by_council: dict[str, list[str]] = {}
    for org, (council, _services) in VCSE_ORGS.items():
        orgs_by_council.setdefault(council, []).append(org)
    rows = []
    n = 0
    for area, count in zip(areas, counts):
        local = orgs_by_council.get(area.lad_name) or sorted(VCSE_ORGS)
        for _ in range(count):
            n += 1
            org = rng.choice(local)
            service = rng.choice(VCSE_ORGS[org][1])
            age = _weighted(rng, AGE_BANDS, SERVICE_AGES.get(service, (0.12, 0.22, 0.3, 0.24, 0.12)))
            sex = _weighted(rng, ("Female", "Male"), (0.56, 0.44))
            sessions = 1 + min(40, _poisson(rng, rng.gammavariate(1.5, SERVICE_SESSIONS[service] / 1.5)))
            outcome = _weighted(rng, ("Improved", "Maintained", "Worsened", "Not recorded"),
                                SERVICE_OUTCOMES[service])
            first, last = _name(rng, sex)
            rows.append((f"VC-{n:06d}", f"{first} {last}", _email(rng, first, last) if rng.random() < 0.8 else "",
                         _phone(rng, area.lad_name), _postcode(rng, area.lad_name), org, service, area.lsoa21cd,
                         rng.choice(VCSE_MONTHS), age, sex, sessions, outcome))
    return _csv_bytes(VCSE_COLUMNS, rows)


# Demo contributions: dataset id -> (raw file name, generator).
DEMO_DATASETS = {
    "lupus_commons": ("lupus_commons_raw_SYNTHETIC.csv", generate_lupus),
    "vcse_coop": ("vcse_coop_raw_SYNTHETIC.csv", generate_vcse),
}
