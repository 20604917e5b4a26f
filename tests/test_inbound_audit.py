"""Inbound redaction, and that no identifier a user types ends up in an answer, the audit
log or any file under COMMONS_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from assistant.stewardship import Stewardship
from pathlib import Path

import pytest

from assistant.pipeline import Pipeline
from kernel.settings import Settings
from eval import grants
from kernel.types import Question
from guardrails.audit import AuditLog
from guardrails.inbound import redact, screen

ROOT = Path(__file__).resolve().parents[1]
EMAIL = "jo.bloggs@example.com"
NHS = "943 476 5919"
POSTCODE = "L1 8JQ"
PHONE = "0151 123 4567"


@pytest.mark.parametrize("value, label", [
    (EMAIL, "EMAIL_ADDRESS"),
    (NHS, "UK_NHS"),
    ("9434765919", "UK_NHS"),
    (POSTCODE, "UK_POSTCODE"),
    ("l18jq", "UK_POSTCODE"),
    (PHONE, "PHONE_NUMBER"),
    ("01511234567", "PHONE_NUMBER"),
    ("+44 151 123 4567", "PHONE_NUMBER"),
    ("AB 12 34 56 C", "UK_NINO"),
])
def test_redact_removes_identifier(value, label):
    text, found = redact(f"please help, my details are {value} thanks")
    assert value not in text
    assert value.replace(" ", "")[-7:] not in text.replace(" ", "")
    if label is None:
        assert found and "<" in text
        return
    assert f"<{label}>" in text
    assert label in found
    assert text.startswith("please help") and text.endswith("thanks")


@pytest.mark.parametrize("text", [
    "What was the population of Liverpool in 2020?",
    "how many lsoas in knowsley are in the most deprived 10%",
    "crime in Liverpool 023A",
    "population of St Helens in 2019",
])
def test_redact_leaves_ordinary_questions_alone(text):
    assert redact(text) == (text, ())


def test_screen_never_returns_the_raw_identifier():
    s = screen(f"I am {EMAIL}, NHS {NHS}, what is the population of Liverpool?", 2000)
    assert s.problem is None
    assert EMAIL not in s.text and NHS not in s.text
    assert set(s.findings) >= {"EMAIL_ADDRESS", "UK_NHS"}


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("inbound_home")


@pytest.fixture(scope="module")
def pipeline(home):
    p = Pipeline.open(Settings.load(home=home))
    yield p
    p.close()


def _needles():
    return [s.encode() for s in (EMAIL, NHS, NHS.replace(" ", ""), PHONE, POSTCODE)] + \
           [EMAIL.encode("utf-16-le")]


def _files_containing(folder: Path) -> list[str]:
    hits = []
    for f in folder.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            hits += [f"{f}: {n!r}" for n in _needles() if n in data]
    return hits


def test_identifiers_never_reach_answer_audit_or_disk(pipeline, home):
    text = f"my email is {EMAIL} and NHS number {NHS}, phone {PHONE}, I live at {POSTCODE}; " \
           "what is the population of Liverpool?"
    a = pipeline.ask(Question(text=text, conversation_id="pii-1"))
    assert a.status == "answered", a.answer
    out = json.dumps(a.to_dict(), ensure_ascii=False, default=str)
    for s in (EMAIL, NHS, PHONE, POSTCODE):
        assert s not in out
    # A follow-up in the same conversation (conversation state is written to disk).
    b = pipeline.ask(Question(text=f"and in 2019? reply to {EMAIL}", conversation_id="pii-1"))
    assert EMAIL not in json.dumps(b.to_dict(), default=str)
    audit = pipeline.settings.audit_path.read_text(encoding="utf-8")
    for s in (EMAIL, NHS, PHONE, POSTCODE):
        assert s not in audit
    records = [json.loads(ln) for ln in audit.splitlines()]
    assert {"EMAIL_ADDRESS", "UK_NHS"} <= set(records[-2]["pii_found"])
    assert "<EMAIL_ADDRESS>" in records[-2]["question"]
    assert _files_containing(home) == []
    assert AuditLog(pipeline.settings.audit_path).verify()[0]


def test_refused_input_with_identifiers_is_not_logged_raw(pipeline, home):
    a = pipeline.ask(Question(text=f"{EMAIL}'; DROP TABLE ds_population_la; --"))
    assert a.status == "refused"
    assert EMAIL not in a.answer
    assert _files_containing(home) == []


def test_cli_ask_with_identifiers_leaves_no_trace(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "COMMONS_HOME": str(home)}
    env.pop("COMMONS_DATA_DIR", None)
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "ask",
                        f"{EMAIL} NHS {NHS}: population of Knowsley?", "--json",
                        "--conversation", "pii-cli"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert EMAIL not in r.stdout and NHS not in r.stdout
    assert EMAIL not in r.stderr and NHS not in r.stderr
    assert json.loads(r.stdout)["status"] == "answered"
    assert _files_containing(home) == []


def test_audit_chain_verifies_and_detects_tampering(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    assert log.verify() == (True, "no audit records yet")
    ids = [log.append("question", n=i, status="answered") for i in range(4)]
    assert [i.split(":")[0] for i in ids] == ["0", "1", "2", "3"]
    ok, msg = log.verify()
    assert ok and "4 records" in msg
    lines = log.path.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["n"] = 99
    log.path.write_text("\n".join(lines[:2] + [json.dumps(rec)] + lines[3:]) + "\n")
    ok, msg = log.verify()
    assert not ok and "record 2" in msg
    log.path.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    ok, msg = log.verify()
    assert not ok and "record 2" in msg


def test_a_torn_last_audit_line_does_not_stop_the_log(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append("question", n=0)
    with open(log.path, "a") as fh:
        fh.write('{"seq": 1, "event": "quest')
    log.append("question", n=2)      # must not raise
    ok, _ = log.verify()
    assert not ok                    # the damage is still reported


# -- identifiers written to slip past the scanner (a blind red team's forms) ----------------------
OBFUSCATED = ["466,365,5025", "466:365:5025", "4 6 6 - 3 6 5 - 5 0 2 5", "NHS4663655025", "466-365-5025x",
              "four six six three six five five zero two five", "bclark45 at example org",
              "bclark45#example.org", "bclark45 @ example . org", "bclark45@example,org", "RG-82-22-06-C",
              "R G 8 2 2 2 0 6 C", "L35-8NU", "L35_8NU", "07710,451582", "7710 451582", "stacey halsall",
              "S. Halsall", "B\u0435than Cl\u0430rk", "B-e-t-h-a-n C-l-a-r-k"]
# What must never be found on disk: the forms as typed, and their bare digits / local parts.
RAW_NEEDLES = OBFUSCATED + ["4663655025", "bclark45", "RG822206C", "L358NU", "07710451582", "7710451582",
                            "halsall", "Halsall", "Bethan", "Clark"]


def _raw_on_disk(folder: Path) -> list[str]:
    """Every file under COMMONS_HOME but the names pipeline's gazetteer (models/)."""
    hits = []
    for f in folder.rglob("*"):
        if f.is_file() and "models" not in f.relative_to(folder).parts:
            data = f.read_bytes()
            for n in RAW_NEEDLES:
                if n.encode() in data or n.encode("utf-16-le") in data:
                    hits.append(f"{f.name}: {n!r}")
    return hits


def test_audit_append_masks_an_obfuscated_identifier(tmp_path):
    """The last line: whatever reaches AuditLog.append unredacted is stored masked."""
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append("question", question="is 466,365,5025 or bclark45#example.org in Halton?",
               reason="four six six three six five five zero two five", purpose="commercial",
               decision_reason="RG-82-22-06-C lives at L35-8NU", conversation="07710,451582",
               sql="SELECT * FROM t WHERE lsoa = 'E01006512'", n=4663655025)
    rec = json.loads(log.path.read_text(encoding="utf-8"))
    assert rec["question"] == "is <NUMBER> or <EMAIL_ADDRESS> in Halton?"
    assert rec["reason"] == "<NUMBER>" and rec["purpose"] == "commercial"
    assert rec["decision_reason"] == "<UK_NINO> lives at <UK_POSTCODE>"
    assert rec["conversation"] == "<NUMBER>"
    assert rec["sql"].endswith("'E01006512'") and rec["n"] == 4663655025   # not free text: untouched
    assert log.verify()[0]


def test_obfuscated_identifiers_never_reach_audit_reviews_or_disk(tmp_path):
    home = tmp_path / "home"
    p = Pipeline.open(grants.private_users(Settings.load(home=home)))
    try:
        for i, form in enumerate(OBFUSCATED):
            a = p.ask(Question(text=f"does {form} live in Halton? what is the population of Halton?",
                               conversation_id=f"obf-{i}"))
            out = json.dumps(a.to_dict(), ensure_ascii=False, default=str)
            assert form not in out, (form, a.answer)
        # a commercial request (signed in, within its approved project) with an identifier in
        # its question goes to the review queue ...
        s = Stewardship(p)
        acme, project = grants.within_project(s, "acme-ltd", "commercial", "commercial")
        req = p.ask(Question("my nhs number is 466,365,5025 - lupus participants in Sefton", acme, "commercial",
                             project=project))
        assert req.status == "needs_review" and req.review_id
        # ... and a steward's reason can carry one too
        s.decide_review(req.review_id, grants.stewards_for(s, "lupus_commons")[0], False,
                        "no fee agreement from B-e-t-h-a-n C-l-a-r-k (466:365:5025, RG-82-22-06-C)")
        stored = p.reviews.get(req.review_id)
        assert "<UK_NHS>" in stored.question
        assert "<PERSON>" in stored.decision_reason and "<UK_NHS>" in stored.decision_reason
        assert "<UK_NINO>" in stored.decision_reason
    finally:
        p.close()
    assert _raw_on_disk(home) == []
    assert AuditLog(p.settings.audit_path).verify()[0]
