"""Shared fixtures: one temporary COMMONS_HOME per test session, and the real app served."""

from __future__ import annotations

import csv
from collections import Counter
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


def raw_rows(name: str) -> list[dict[str, str]]:
    """The rows of a shipped source file (data/raw), as written: what tests check figures against."""
    with open(RAW / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def overcrowded_households(council: str) -> tuple[int, int]:
    """(households one or more bedrooms short, all households on the bedroom-occupancy table) in a
    council at Census 2021, summed from its 2021 neighbourhoods."""
    rows = [r for r in raw_rows("census2021_lsoa21_lcr.csv") if r["lad24nm"] == council]
    short = sum(int(r["ts052_bedroom_occupancy__minus1_overcrowded"])
                + int(r["ts052_bedroom_occupancy__minus2_or_less_overcrowded"]) for r in rows)
    return short, sum(int(r["ts052_bedroom_occupancy__total"]) for r in rows)


def iod2025_lsoas(council: str) -> list[dict[str, str]]:
    """The IoD 2025 rows of a council's 2021 neighbourhoods, as shipped (data/raw)."""
    return [r for r in raw_rows("iod2025_lsoa21_lcr.csv") if r["lad24nm"] == council]


def decile1_per_ward(council: str, column: str = "imd_decile") -> Counter:
    """{2024 ward: how many of its 2021 neighbourhoods are in decile 1 of ``column``} in a council at
    IoD 2025, as shipped (wards with none are left out)."""
    return Counter(r["wd24nm"] for r in iod2025_lsoas(council) if r[column] == "1")


def mid_year(council: str, year: str, column: str = "pop_total") -> int:
    """A council's mid-year estimate of ``column`` (all ages, 0-15 ...) in ``year``, summed from its
    2011 neighbourhoods, as shipped."""
    return sum(int(r[column]) for r in raw_rows("population_lsoa11_mid2017_2020_lcr.csv")
               if r["lad19nm"] == council and r["year"] == year)


def ask(pipeline, text: str, conversation: str | None = None):
    """One question to the pipeline, in a conversation when one is named."""
    from kernel.types import Question
    return pipeline.ask(Question(text=text, conversation_id=conversation))


def numbers(answer) -> list[float]:
    """Every number in an answer's table (what a figure asked is looked for in)."""
    return [c for r in answer.table["rows"] for c in r if isinstance(c, (int, float)) and not isinstance(c, bool)]


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives the real app in Debian chromium with Playwright"
    )


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"browser test: {CHROMIUM} not found (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def commons_home(tmp_path_factory):
    """A fresh COMMONS_HOME for the whole session, set before any pipeline is opened."""
    home = tmp_path_factory.mktemp("commons_home")
    old = os.environ.get("COMMONS_HOME")
    os.environ["COMMONS_HOME"] = str(home)
    # The audit signing key and the witness of the chain's head live outside every home.
    keys = tmp_path_factory.mktemp("audit_keys")
    os.environ["COMMONS_AUDIT_KEY_FILE"] = str(keys / "audit-signing.key")
    os.environ["COMMONS_AUDIT_WITNESS"] = str(keys / "witness")
    yield home
    if old is None:
        os.environ.pop("COMMONS_HOME", None)
    else:
        os.environ["COMMONS_HOME"] = old


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


@contextmanager
def running_app(home: Path, log_path: Path, poll_s: float = 0.25):
    """The real app served as `commons ui` serves it (ui/serve.py) over ``home`` on a free
    port; yields its URL once the server answers, and stops it afterwards."""
    from ui.serve import ui_command

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COMMONS_HOME": str(home)}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(ui_command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app did not become healthy at {url}:\n{log_path.read_text()[-3000:]}")
            time.sleep(poll_s)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def served_app(commons_home, tmp_path_factory):
    """The real app on the session's home (built first, in its own process, so the first page
    load is quick); yields its URL."""
    env = {**os.environ, "COMMONS_HOME": str(commons_home)}
    subprocess.run(
        [sys.executable, "-c", "from assistant.pipeline import Pipeline; p = Pipeline.open(); "
         "p.docs_index.metrics; p.docs_index.collection"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )
    with running_app(commons_home, tmp_path_factory.mktemp("served_app") / "streamlit.log") as url:
        yield url


# -- a small contributed dataset for the app's Contribute journey (SYNTHETIC) --------------
CONTRIB_SHEET = """\
id: {id}
title: "Food bank visitors (SYNTHETIC)"
publisher: "Knowsley Community Food Network (synthetic demo)"
steward: {{name: Food network data steward, contact: data@food-network.example}}
licence:
  name: "Food network data-sharing agreement (SYNTHETIC demo)"
  url: https://food-network.example/licence
  attribution: "Contains SYNTHETIC data from the Knowsley Community Food Network demo. Not real people."
source_url: https://food-network.example/data
source_file: {id}.csv
synthetic: true
description: SYNTHETIC. One row per person who visited a food bank in the last 12 months.
methodology: SYNTHETIC test data for the app's contribution journey.
caveats: ["SYNTHETIC data: not real people."]
sensitivity: personal
geography: {{column: lsoa21cd, level: lsoa, vintage: "2021"}}
time: {{granularity: fixed, period: "2025", label: visitors in the 12 months to 2025 (SYNTHETIC)}}
measures:
  - id: {id}_visitors
    label: Food bank visitors
    description: Number of people who visited a food bank in the last 12 months (SYNTHETIC).
    unit: people
    format: count
    rollup: count
    synonyms: [food bank visitors, people using food banks, food bank users]
dimensions:
  - {{column: age_band, label: Age band, synonyms: [age, by age]}}
columns:
  - {{name: visitor_name, role: direct_identifier, handling: drop, pii_entity: PERSON}}
  - {{name: email, role: direct_identifier, handling: drop, pii_entity: EMAIL_ADDRESS}}
  - {{name: lsoa21cd, role: geography}}
  - {{name: age_band, role: quasi_identifier}}
  - {{name: visits_12m, role: attribute}}
disclosure: {{min_cell: 10, round_to: 5}}
policy:
  permitted_purposes: [any]
  roles: [any]
  prohibited: [resale, insurance_pricing, individual_decisions, marketing, reidentification]
"""


def contribution(dataset_id: str = "foodbank_visits", n: int = 600, seed: int = 7) -> tuple[bytes, str]:
    """A SYNTHETIC person-level CSV (names and emails included, to be removed) and its datasheet."""
    import csv
    import io
    import random

    rnd = random.Random(seed)
    with open(ROOT / "data" / "raw" / "lookup_lsoa21_ward24_lad24_lcr.csv", encoding="utf-8-sig") as f:
        lsoas = [r["lsoa21cd"] for r in csv.DictReader(f) if r["lad24nm"] in ("Knowsley", "Halton")]
    firsts = ["Alice", "Ben", "Chloe", "David", "Emma", "Farah", "George", "Hannah"]
    lasts = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas"]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["visitor_name", "email", "lsoa21cd", "age_band", "visits_12m"])
    for i in range(n):
        fn, ln = rnd.choice(firsts), rnd.choice(lasts)
        w.writerow([f"{fn} {ln}", f"{fn.lower()}.{ln.lower()}{i}@example.org", rnd.choice(lsoas),
                    rnd.choice(["16-24", "25-49", "50-64", "65+"]), rnd.randint(1, 20)])
    return out.getvalue().encode(), CONTRIB_SHEET.format(id=dataset_id)


@pytest.fixture(scope="session")
def pristine_home(tmp_path_factory):
    """The demo commons built once (store, published contributions, documentation index, models);
    never used directly: each module that needs a pipeline of its own gets a copy."""
    from kernel.settings import Settings
    from eval.sandbox import build_home
    home = tmp_path_factory.mktemp("pristine_home")
    build_home(Settings.load(home=home))
    return home


@pytest.fixture(scope="module")
def module_pipeline(tmp_path_factory, pristine_home):
    """A pipeline over a private copy of the built demo commons, one per test module (its audit
    log, review queue, ledger, projects and users file are its own)."""
    from assistant.pipeline import Pipeline
    from kernel.settings import Settings
    from eval.sandbox import copy_home
    from eval.grants import private_users
    home = tmp_path_factory.mktemp("module_home")
    copy_home(pristine_home, home)
    p = Pipeline.open(private_users(Settings.load(home=home)))
    yield p
    p.close()
