"""Adding a dataset needs only its datasheet (issue 12): a new SYNTHETIC open table with its own
measure, dimension, value aliases and synonyms is staged with `commons ingest`, published by a
signed-in steward, and then asked about in several phrasings, with no code change.  Expected
figures are computed here from the CSV the test writes."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.pipeline import Pipeline
from eval.grants import private_users
from eval.sandbox import copy_home
from kernel.settings import Settings
from kernel.types import Question

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "tests" / "data" / "library_visits.yaml"
LADS = [("E06000006", "Halton"), ("E08000011", "Knowsley"), ("E08000012", "Liverpool"),
        ("E08000014", "Sefton"), ("E08000013", "St. Helens"), ("E08000015", "Wirral")]


def _csv() -> tuple[bytes, list[dict]]:
    rnd = random.Random(11)
    rows = [{"lad_code": c, "lad_name": n, "month": m, "visit_type": v, "visits": rnd.randint(2000, 40000)}
            for c, n in LADS for m in ("2024-01", "2024-02", "2024-03") for v in ("In person", "Online")]
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue().encode(), rows


def _total(rows, **match) -> int:
    return sum(r["visits"] for r in rows if all(r[k] == v for k, v in match.items()))


@pytest.fixture(scope="module")
def home(tmp_path_factory, pristine_home):
    home = tmp_path_factory.mktemp("newds_home")
    copy_home(pristine_home, home)
    s = private_users(Settings.load(home=home))
    data, rows = _csv()
    upload = home / "library_visits_SYNTHETIC.csv"
    upload.write_bytes(data)
    env = {**os.environ, "COMMONS_HOME": str(home), "COMMONS_USERS_FILE": str(s.users_file),
           "COMMONS_PASSWORD": "demo-sam-2025"}
    staged = _cli(env, "ingest", str(upload), "--datasheet", str(SHEET), "--user", "libraries-contributor", "--json")
    assert staged["ok"] and staged["state"] == "pending", staged
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "contributions", "approve", staged["id"],
                           "--steward", "sam", "--reason", "column roles checked", "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    p = Pipeline.open(s)             # a new process would see the same: the store is on disk
    yield p, rows
    p.close()


def _cli(env, *args):
    r = subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _ask(p, question):
    return p.ask(Question(question)).to_dict()


@pytest.mark.parametrize("question, match", [
    ("how many library visits were there in Wirral in February 2024?", dict(lad_name="Wirral", month="2024-02")),
    ("library footfall in Sefton in March 2024", dict(lad_name="Sefton", month="2024-03")),
    ("online library visits in Knowsley in March 2024",
     dict(lad_name="Knowsley", month="2024-03", visit_type="Online")),
    ("How many people visited libraries in person in Halton in 2024-01?",
     dict(lad_name="Halton", month="2024-01", visit_type="In person")),
])
def test_a_new_dataset_is_answered_from_its_datasheet(home, question, match):
    p, rows = home
    a = _ask(p, question)
    assert a["status"] == "answered", a["answer"]
    assert a["answer"].startswith("SYNTHETIC")
    assert a["table"]["rows"][0][-1] == _total(rows, **match), (question, a["table"]["rows"][:2])


def test_a_new_dataset_ranks_and_compares(home):
    p, rows = home
    a = _ask(p, "which council had the most library visits in January 2024?")
    want = max(LADS, key=lambda lad: _total(rows, lad_name=lad[1], month="2024-01"))[1]
    assert a["status"] == "answered" and a["table"]["rows"][0][0] == want
    d = _ask(p, "how many more library visits did Liverpool have than Sefton in March 2024?")
    assert d["table"]["rows"][0][-1] == _total(rows, lad_name="Liverpool", month="2024-03") - \
        _total(rows, lad_name="Sefton", month="2024-03")


def test_a_new_dataset_declines_what_it_does_not_hold(home):
    p, _ = home
    a = _ask(p, "library visits in Wirral by age")
    assert a["status"] in ("no_data", "clarify") and not a.get("table")
