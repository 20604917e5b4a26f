"""Hardening after a blind red team (issue 17): identifiers in free text, versioned datasets,
disclosure floors and governance files that cannot be swapped, an audit chain nobody can
rewrite or cut, write-ahead audit, any bytes in, and differencing protection by cell-key
perturbation that does not refuse honest users.  Each test is one finding of that red team."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from assistant.pipeline import Pipeline
from assistant.stewardship import Stewardship
from eval import grants
from eval.grants import private_users
from eval.sandbox import copy_home
from guardrails import auth, integrity
from guardrails.audit import GENESIS, AuditKey, AuditLog, AuditUnavailable, canonical
from guardrails.contributions import (approve_contribution, history, ingest, load_commons_sheets,
                                      restore_version, scan, submit)
from guardrails.disclosure import COUNT_NOISE_MAX, Ledger, control, count_noise, nested
from guardrails.governance import Governance
from guardrails.policy import stated_purpose
from kernel.errors import DatasheetError, IngestError, ReviewError
from kernel.settings import Settings
from kernel.types import Actor, Question, Result
from retrieval import synthetic
from retrieval.datasheets import Datasheet, load_datasheet

ROOT = Path(__file__).resolve().parents[1]
CONTRIB = ROOT / "data" / "contrib"
RESEARCHER = dict(role="researcher")


@pytest.fixture(scope="module")
def scanner(commons_home):
    from guardrails.pii import default_scanner
    return default_scanner()


@pytest.fixture(scope="module")
def lupus_raw() -> bytes:
    return synthetic.generate_lupus(ROOT / "data")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A home built from nothing, so every published version has its audit record (a copied home
    has the published files but a new audit log)."""
    s = private_users(Settings.load(home=tmp_path_factory.mktemp("fresh_home")))
    Pipeline.open(s).close()
    return s


def _home(tmp_path_factory, pristine_home, name: str) -> Settings:
    home = tmp_path_factory.mktemp(name)
    copy_home(pristine_home, home)
    return private_users(Settings.load(home=home))


_ASKERS: dict = {}


def ask(p: Pipeline, text: str, user: str = "anon", role: str = "researcher", purpose: str = "health_research"):
    """Asked as an honest requester: anonymous for a resident, else a signed-in account within an
    approved project for the purpose (person-level data is answered only within one)."""
    if role == "resident":
        actor, project = Actor(user), None
    else:
        key = (str(p.settings.home), user, role, purpose)
        if key not in _ASKERS:
            _ASKERS[key] = grants.within_project(Stewardship(p), user, role, purpose)
        actor, project = _ASKERS[key]
    return p.ask(Question(text, actor, purpose, project=project)).to_dict()


# -- 1. free text is never published unscanned ----------------------------------------------------
@pytest.mark.parametrize("typed, name", [
    ("Clinic access for Zelda Quornby", "Zelda Quornby"),             # neither name in the gazetteer
    ("Contact Priyanka Raghunathan before release", "Raghunathan"),
    ("Thanks, Aoife Ní Bhriain", "Bhriain"),
    ("Reviewed by Marek Wiśniewski", "Wiśniewski"),
    ("Okonkwo Adebayo-Smith asked for the figures", "Adebayo"),
])
def test_governance_free_text_masks_names_no_list_holds(typed, name):
    from guardrails.inbound import clean_free_text
    kept = clean_free_text(typed)
    assert name not in kept and "<PERSON>" in kept, kept


@pytest.mark.parametrize("typed", [
    "Lupus flares study at Alder Hey", "Grant from the Garfield Weston Foundation", "Covid Recovery Fund",
    "Fibromyalgia Comorbidity Audit", "Lupus Nephritis Outcomes", "Evaluating Mindfulness Outcomes",
    "Food poverty in Norris Green and Speke", "Kirkby Huyton Prescot", "Mersey Care NHS Foundation Trust",
    "Hydroxychloroquine Adherence", "Young Carers Respite",
])
def test_governance_free_text_keeps_titles_places_and_organisations(typed):
    from guardrails.inbound import clean_free_text
    assert clean_free_text(typed) == typed


def _pilot_yaml(extra_columns=()) -> str:
    raw = yaml.safe_load((CONTRIB / "lupus_commons.yaml").read_text())
    raw.update(id="lupus_notes", title="Lupus commons notes upload (SYNTHETIC)", source_file="lupus_notes.csv")
    raw["columns"] = list(raw["columns"]) + list(extra_columns)
    return yaml.safe_dump(raw, sort_keys=False)


CLEAN_NOTES = ["reported tiredness after the clinic", "missed a review because of transport", "flare settled",
               "asked about a support group", "new medication started", "no change since the last visit",
               "joint pain in the mornings", "skin rash reported", "referred for a blood test"]


def _with_notes(raw: bytes, n: int, secret_kind: str | None, share: float = 0.01) -> bytes:
    """The first ``n`` lupus rows plus a free-text ``notes`` column; ``share`` of the notes carry a
    direct identifier of ``secret_kind`` taken from the same row."""
    rows = list(csv.DictReader(io.StringIO(raw.decode())))[:n]
    rnd = random.Random(5)
    marked = set(rnd.sample(range(n), int(n * share))) if secret_kind else set()
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=[*synthetic.LUPUS_COLUMNS, "notes"], lineterminator="\n")
    w.writeheader()
    for i, r in enumerate(rows):
        note = rnd.choice(CLEAN_NOTES)
        if i in marked:
            note = {"UK_NHS": f"{note}; NHS number {r['nhs_number']}", "EMAIL_ADDRESS": f"{note}, wrote from {r['email']}",
                    "PERSON": f"{note} - spoke to {r['full_name']}"}[secret_kind]
        w.writerow({**r, "notes": note})
    return out.getvalue().encode()


@pytest.mark.parametrize("kind", ["UK_NHS", "EMAIL_ADDRESS", "PERSON"])
def test_identifiers_in_one_percent_of_a_notes_column_block_publication(tmp_path, scanner, lupus_raw, kind):
    path = tmp_path / "notes.csv"
    path.write_bytes(_with_notes(lupus_raw, 1000, kind))
    report = scan(path, _pilot_yaml([{"name": "notes", "role": "attribute"}]), scanner)
    col = report.column("notes")
    assert col.action == "refuse" and col.scanned == 1000 and col.hits.get(kind) == 10, col
    problem = next(p for p in report.problems if "'notes'" in p)
    assert "10 of 1,000 rows" in problem and kind in problem and "line" in problem


def test_a_clean_notes_column_is_scanned_in_full_and_kept(tmp_path, scanner, lupus_raw):
    path = tmp_path / "notes.csv"
    path.write_bytes(_with_notes(lupus_raw, 300, None))
    report = scan(path, _pilot_yaml([{"name": "notes", "role": "attribute"}]), scanner)
    assert report.ok and report.column("notes").action == "keep" and report.column("notes").scanned == 300


def test_declared_free_text_is_dropped_unless_kept_and_clean(tmp_path, scanner, lupus_raw):
    path = tmp_path / "notes.csv"
    path.write_bytes(_with_notes(lupus_raw, 300, "UK_NHS"))
    dropped = scan(path, _pilot_yaml([{"name": "notes", "role": "free_text"}]), scanner)
    assert dropped.ok and dropped.column("notes").action == "drop"
    kept = scan(path, _pilot_yaml([{"name": "notes", "role": "free_text", "handling": "keep"}]), scanner)
    assert not kept.ok and kept.column("notes").action == "refuse"
    path.write_bytes(_with_notes(lupus_raw, 300, None))
    assert scan(path, _pilot_yaml([{"name": "notes", "role": "free_text", "handling": "keep"}]),
                scanner).column("notes").action == "keep"


# -- 2. versions, never a silent replacement ---------------------------------------------------------
def test_a_dataset_is_replaced_only_by_its_steward_and_the_old_version_is_kept(tmp_path_factory, pristine_home,
                                                                             scanner, lupus_raw):
    s = _home(tmp_path_factory, pristine_home, "versions_home")
    pub = Path(s.published_dir)
    before = (pub / "lupus_commons.csv").read_bytes()
    two_rows = ("\n".join(lupus_raw.decode().splitlines()[:3]) + "\n").encode()
    path = tmp_path_factory.mktemp("up") / "two.csv"
    path.write_bytes(two_rows)
    sheet = load_datasheet(CONTRIB / "lupus_commons.yaml")
    with pytest.raises(IngestError, match="already published"):
        ingest(path, sheet, s, scanner)                        # the red team's `commons ingest` overwrite
    assert (pub / "lupus_commons.csv").read_bytes() == before
    c = submit(two_rows, sheet, s, scanner, submitter="mallory")
    with pytest.raises(ReviewError, match="steward of that dataset"):
        approve_contribution(c.id, "sam", "looks fine", s, scanner)      # a steward, but not of the lupus commons
    approve_contribution(c.id, "priya", "the contributor's corrected file", s, scanner)
    hist = history(s, "lupus_commons")
    assert [v["version"] for v in hist["versions"]] == [1, 2] and hist["current"] == 2
    assert (Path(s.published_dir) / "versions" / "lupus_commons" / "v1" / "lupus_commons.csv").read_bytes() == before
    assert load_commons_sheets(s)["lupus_commons"].version == 2
    with pytest.raises(ReviewError, match="steward of"):
        restore_version("lupus_commons", 1, "sam", "undo", s)
    restore_version("lupus_commons", 1, "priya", "the 2-row file was a mistake", s)
    assert (pub / "lupus_commons.csv").read_bytes() == before
    actions = [r.get("action") for r in AuditLog(s.audit_path, settings=s).records() if r["event"] == "dataset_version"]
    assert actions == ["replace", "restore"]
    assert AuditLog(s.audit_path, settings=s).verify()[0]


def test_answers_name_the_version(module_pipeline):
    a = ask(module_pipeline, "How many people with lupus live in Liverpool?")
    assert a["status"] == "answered"
    assert any("version 1" in c for c in a["caveats"]), a["caveats"]


# -- 3. floors no datasheet can lower; governance files that cannot be swapped ------------------------
@pytest.mark.parametrize("rules", [{"min_cell": 1}, {"round_to": 1}, {"differencing_max": 0},
                                   {"dominance_share": 1.0}, {"dominance_top": 1}, {"secondary": False}])
def test_no_datasheet_lowers_the_commons_floors(tmp_path, rules):
    raw = yaml.safe_load((CONTRIB / "lupus_commons.yaml").read_text())
    raw["disclosure"] = {**raw["disclosure"], **rules}
    path = tmp_path / "weak.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DatasheetError, match="disclosure.*(floor|limit)"):
        load_datasheet(path)


def test_a_swapped_users_file_serves_no_person_level_data_until_approved(tmp_path_factory, pristine_home):
    s = _home(tmp_path_factory, pristine_home, "users_swap")
    Pipeline.open(s).close()                                   # the baseline: the shipped users file
    evil = Path(s.home) / "users.evil.yaml"
    auth.add_user(evil, "mallory", "mallory-password", roles=["steward", "researcher"], org="Mallory Ltd",
                  datasets=["lupus_commons"])
    swapped = Settings.load(home=s.home, users_file=evil)
    p = Pipeline.open(swapped)
    try:
        mallory = p.commons.accounts.sign_in("mallory", "mallory-password", "researcher")
        refused = p.ask(Question("How many people with lupus live in Liverpool?", mallory, "health_research")).to_dict()
        assert refused["status"] == "refused" and "governance.unapproved" in refused["answer"]
        assert ask(p, "What was the population of Liverpool in 2020?", role="resident",
                   purpose="personal")["status"] == "answered"
        with pytest.raises(ReviewError, match="users file"):
            Stewardship(p).review_queue(p.commons.accounts.sign_in("mallory", "mallory-password", "steward"))
        gov = Governance(swapped)
        approved = auth.Accounts(gov.users_file_for_sign_in(), swapped.governance_db, p.audit)
        with pytest.raises(Exception):                          # mallory is not in the approved users file
            approved.sign_in("mallory", "mallory-password", "steward")
        with pytest.raises(ReviewError):                        # nor is a session from the swapped file enough
            Stewardship(p).approve_governance(p.commons.accounts.sign_in("mallory", "mallory-password", "steward"),
                                              "trust me")
        sam = approved.sign_in("sam", "demo-sam-2025", "steward")
        Stewardship(p).approve_governance(sam, "the new users file is ours")
        assert not p.commons.governance.blocks(p.sheets["lupus_commons"])
    finally:
        p.close()


def test_an_edited_datasheet_in_another_data_folder_is_not_served(tmp_path_factory, pristine_home):
    s = _home(tmp_path_factory, pristine_home, "data_swap")
    Pipeline.open(s).close()
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(ROOT / "data", data, dirs_exist_ok=True, ignore=shutil.ignore_patterns("models"))
    sheet = data / "contrib" / "lupus_commons.yaml"
    raw = yaml.safe_load(sheet.read_text())
    raw["policy"]["roles"] = ["any"]                          # within the floors, but a governance change
    sheet.write_text(yaml.safe_dump(raw, sort_keys=False))
    p = Pipeline.open(Settings.load(home=s.home, data_dir=data))
    try:
        a = ask(p, "How many people with lupus live in Liverpool?", role="resident", purpose="personal")
        assert a["status"] == "refused" and "governance.unapproved" in a["answer"]
    finally:
        p.close()


# -- 4. an audit chain nobody can rewrite or drop ------------------------------------------------------
def _rechain(records: list[dict]) -> list[dict]:
    """What anyone who can write COMMONS_HOME can do: recompute every hash (not the signatures)."""
    prev, out = GENESIS, []
    for i, r in enumerate(records):
        body = {k: v for k, v in r.items() if k not in ("prev", "hash", "sig", "kid")}
        body["seq"] = i
        h = hashlib.sha256((prev + canonical(body)).encode()).hexdigest()
        out.append({**body, "prev": prev, "hash": h, "sig": r.get("sig"), "kid": r.get("kid")})
        prev = h
    return out


def _filled(tmp_path) -> AuditLog:
    log = AuditLog(tmp_path / "home" / "audit.jsonl")
    for i, actor in enumerate(["ann", "mallory", "ann", "bob", "mallory", "ann"]):
        log.append("question", actor=actor, question=f"q{i}", status="answered")
    log.append("review_decision", review_id="R-1", steward="sam", decision="denied", reason="no fee agreement")
    assert log.verify()[0]
    return log


def _write(log: AuditLog, records: list[dict], head: bool = True) -> None:
    log.path.write_text("".join(canonical(r) + "\n" for r in records))
    if head and records:
        log.head_path.write_text(json.dumps({"seq": records[-1]["seq"], "hash": records[-1]["hash"]}))


def _attack(log: AuditLog, kind: str) -> None:
    recs = list(log.records())
    if kind == "truncate_and_rewrite_head":
        _write(log, recs[:4])
    elif kind == "truncate_and_delete_head":
        _write(log, recs[:4], head=False)
        log.head_path.unlink()
    elif kind == "forged_decision_appended":
        last = recs[-1]
        body = {"seq": last["seq"] + 1, "ts": last["ts"], "event": "review_decision", "review_id": "R-2",
                "steward": "sam", "decision": "approved", "reason": "ok"}
        h = hashlib.sha256((last["hash"] + canonical(body)).encode()).hexdigest()
        _write(log, recs + [{**body, "prev": last["hash"], "hash": h, "sig": last["sig"], "kid": last["kid"]}])
    elif kind == "decision_rewritten_and_rechained":
        recs[-1] = {**recs[-1], "decision": "approved", "reason": "fee agreement on file"}
        _write(log, _rechain(recs))
    elif kind == "one_actor_removed_and_rechained":
        _write(log, _rechain([r for r in recs if r.get("actor") != "mallory"]))
    elif kind == "log_emptied":
        log.path.write_text("")
    elif kind == "log_deleted":
        log.path.unlink()
        log.head_path.unlink()
    elif kind == "witness_edited":
        w = json.loads(log.witness_path.read_text())
        log.witness_path.write_text(json.dumps({**w, "seq": 3}))


@pytest.mark.parametrize("kind, named", [
    ("truncate_and_rewrite_head", "truncated"), ("truncate_and_delete_head", "truncated"),
    ("forged_decision_appended", "signature does not verify"),
    ("decision_rewritten_and_rechained", "signature does not verify"),
    ("one_actor_removed_and_rechained", "signature does not verify"),
    ("log_emptied", "empty"), ("log_deleted", "missing"), ("witness_edited", "the witness was edited")])
def test_audit_verify_detects_and_names_each_rewrite(tmp_path, kind, named):
    log = _filled(tmp_path)
    _attack(log, kind)
    ok, message = log.verify()
    assert not ok and named in message, message


def test_the_audit_key_and_witness_must_live_outside_the_home(tmp_path):
    from kernel.errors import ConfigError
    with pytest.raises(ConfigError, match="outside"):
        Settings.load(home=tmp_path, audit_key_file=tmp_path / "k.key")
    with pytest.raises(ConfigError, match="outside"):
        AuditLog(tmp_path / "audit.jsonl", witness=tmp_path / "w")


def test_verify_needs_only_the_published_key(tmp_path):
    log = _filled(tmp_path)
    pub = Path(str(Settings.load().audit_key_file) + ".pub").read_text().strip()
    key = AuditKey.load(tmp_path / "no-signing-key", pub, create=False)
    assert key.private is None
    assert AuditLog(log.path, key=key, witness=log.witness_path.parent).verify()[0]


def test_a_release_or_review_without_its_audit_record_fails_verification(fresh):
    p = Pipeline.open(fresh)
    try:
        asked = ask(p, "How many people with lupus live in Liverpool?", user="xcheck")
        review = ask(p, "How many people with lupus live in Sefton?", user="acme-xcheck", role="commercial",
                     purpose="commercial")
        assert asked["status"] == "answered" and review["status"] == "needs_review"
    finally:
        p.close()
    ok, message = integrity.verify(fresh)
    assert ok, message
    con = sqlite3.connect(fresh.governance_db)
    try:
        con.execute("INSERT INTO releases (actor, dataset, area_code, period, signature, population, ts, conds, "
                    "audit_id) VALUES ('x','lupus_commons','E08000012','2025','s',500,'t','{}','999:deadbeef')")
        con.execute("INSERT INTO reviews (id, state) VALUES ('R-FAKE0001', 'released')")
        con.commit()
        ok, message = integrity.verify(fresh)
        assert not ok and "R-FAKE0001" in message and "differencing ledger" in message, message
    finally:
        con.execute("DELETE FROM releases WHERE audit_id='999:deadbeef'")
        con.execute("DELETE FROM reviews WHERE id='R-FAKE0001'")
        con.commit()
        con.close()


def test_the_transparency_report_prints_the_chain_head(module_pipeline):
    rep = Stewardship(module_pipeline).transparency("lupus_commons")
    assert rep["audit_head"]["hash"] == module_pipeline.audit.head()["hash"]


# -- 5. write-ahead audit ----------------------------------------------------------------------------
def test_no_query_runs_and_no_ledger_row_is_written_without_its_audit_record(module_pipeline, monkeypatch):
    p = module_pipeline
    ran, real_append = [], p.audit.append

    def failing(event, **fields):
        if event == "query":
            raise AuditUnavailable("The audit log could not be written (OSError), so nothing was done that needs "
                                   "an audit record.")
        return real_append(event, **fields)
    monkeypatch.setattr(p.audit, "append", failing)
    monkeypatch.setattr(p.store, "execute", lambda checked: ran.append(checked) or (_ for _ in ()).throw(
        AssertionError("the query ran")))
    before = len(p.ledger.releases())
    a = ask(p, "lupus participants in Wirral by age band", user="wal")
    assert a["status"] == "refused" and "audit.write_ahead" in a["answer"] and not a["table"]
    assert ran == [] and len(p.ledger.releases()) == before


def test_a_failing_final_audit_write_refuses_the_answer(module_pipeline, monkeypatch):
    p = module_pipeline
    real_append = p.audit.append
    monkeypatch.setattr(p.audit, "append", lambda event, **f: (_ for _ in ()).throw(OSError("disk full"))
                        if event == "question" else real_append(event, **f))
    a = ask(p, "How many people with lupus live in Wirral?", user="wal2")
    assert a["status"] == "error" and not a["table"] and "lupus" not in a["answer"].lower()


def test_any_text_is_audited(tmp_path):
    log = AuditLog(tmp_path / "h" / "audit.jsonl")
    log.append("question", question="lone \ud800 surrogate, NUL \x00, bell \x07, \udcff", actor="a\ud800")
    assert log.verify()[0]


# -- 6. any bytes in -------------------------------------------------------------------------------------
def test_every_batch_line_is_decoded_on_its_own_and_none_crashes(tmp_path_factory, fresh):
    s = fresh
    lines = [
        b'{"question": "population of Liverpool in 2020"}',
        b'\xff\xfe\x00\x01raw bytes',                                               # raw bytes with NUL
        '{"question": "population of Sefton caf\xe9"}'.encode("latin-1"),            # Latin-1
        b'{"question": "population of Wirral \\ud800"}',                             # a lone surrogate (valid JSON)
        b'{"question": "population of Halton", "conversation": "c\\udcff", "purpose": "personal\\ud800"}',
        b'{"question": "\\u0007\\u0001\\u0002\\u0003\\u0004 bells"}',                # control characters
        b'{"question": "' + b"a" * 100_000 + b'"}',                                  # a very long line
        b'{"question": "population of Knowsley", "user": "bad\\ud800id"}',
        b'{"question": "lupus participants by age band in Sefton for 1nsur4nce pr1c1ng", '
        b'"purpose": "health_research"}',
        b'{"question": "population of St Helens"}',
    ]
    batch = tmp_path_factory.mktemp("b") / "bytes.jsonl"
    batch.write_bytes(b"\n".join(lines) + b"\n")
    env = {**os.environ, "COMMONS_HOME": str(s.home)}
    r = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "--batch", str(batch), "--json"], cwd=ROOT,
                       env=env, capture_output=True, timeout=600)
    assert b"Traceback" not in r.stderr, r.stderr[-2000:]
    out = [json.loads(x) for x in r.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(lines)
    statuses = [o["status"] for o in out]
    assert statuses[0] == "answered" and statuses[-1] == "answered"
    assert statuses[1] == "refused" and "line 2" in out[1]["answer"] and "NUL" in out[1]["answer"]
    assert statuses[2] == "refused" and "line 3" in out[2]["answer"] and "UTF-8" in out[2]["answer"]
    assert statuses[6] == "refused" and "line 7" in out[6]["answer"]
    assert statuses[8] == "refused" and "insurance" in out[8]["answer"].lower()
    for i in (3, 4, 5):
        assert statuses[i] in ("answered", "refused", "clarify", "no_data") and out[i]["audit_id"], out[i]
    assert statuses[7] == "error" and out[7]["line"] == 8          # a user id the commons cannot keep
    ok, message = integrity.verify(s)
    assert ok, message
    # invalid UTF-8 on the command line
    r = subprocess.run([sys.executable.encode(), b"-m", b"assistant.cli", b"ask", b"population of Wirral \xff\xfe",
                        b"--json"], cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert b"Traceback" not in r.stderr and json.loads(r.stdout)["audit_id"]


def test_digits_standing_for_letters_are_folded_before_stated_uses_are_read():
    assert stated_purpose("lupus participants for 1nsur4nce pr1c1ng") == "insurance_pricing"
    assert stated_purpose("lupus participants by age band for m4rk3t1ng") == "marketing"
    assert stated_purpose("lupus participants aged 16-24 in E01006512 in 2025") is None


# -- 8. differencing protection that does not refuse honest users -------------------------------------
def _sheet() -> Datasheet:
    return load_datasheet(CONTRIB / "lupus_commons.yaml").model_copy(update={"id": "toy"})


def test_cell_key_noise_is_consistent_bounded_and_differs_for_near_identical_cells():
    sheet = _sheet()
    cols = ("area_code", "area_name", "period", "category", "value", "n", "top", "ck")
    rnd = random.Random(1)
    keys = [rnd.getrandbits(32) for _ in range(40)]
    noises = set()
    for k in range(1, 30):
        ck_all, ck_less = sum(keys[:k + 10]) % 2 ** 32, sum(keys[:k + 9]) % 2 ** 32
        noises.add((count_noise(ck_all), count_noise(ck_less)))
        r = Result(cols, (("E05000001", "x", "2025", "", k + 10, k + 10, None, ck_all),))
        first, again = control(r, [sheet]), control(r, [sheet])
        assert first.result.rows == again.result.rows and first.perturbed
        v = first.result.rows[0][4]
        assert v % 5 == 0 and v >= 10 and abs(v - (k + 10)) <= COUNT_NOISE_MAX + 2
    assert len({a - b for a, b in noises}) > 1          # one record more: unrelated noise


def test_means_are_perturbed_so_all_minus_women_does_not_give_the_men():
    sheet = _sheet()
    m = sheet.measure_by_id["lupus_mean_work_hours"]
    cols = ("area_code", "area_name", "period", "category", "value", "n", "top", "ck")
    rnd = random.Random(3)
    hours_w = [rnd.choice([0, 0, 16, 30, 37.5]) for _ in range(40)]
    hours_m = [40.0, 45.0, 38.0]
    keys = [rnd.getrandbits(32) for _ in range(43)]
    errors = []
    for trial in range(20):
        ks = [rnd.getrandbits(32) for _ in range(43)]
        all_h, women = hours_w + hours_m, hours_w
        ck_a, ck_w = sum(ks) % 2 ** 32, sum(ks[:40]) % 2 ** 32
        ra = control(Result(cols, (("A", "a", "2025", "", sum(all_h) / 43, 43, 85.0, ck_a),)), [sheet], m)
        rw = control(Result(cols, (("A", "a", "2025", "", sum(women) / 40, 40, 75.0, ck_w),)), [sheet], m)
        derived = (ra.result.rows[0][4] * 43 - rw.result.rows[0][4] * 40) / 3
        errors.append(abs(derived - sum(hours_m) / 3))
    assert keys and sorted(errors)[len(errors) // 2] > 1.0, errors   # the typical attacker error is hours


def test_nested_groups():
    assert nested({}, {"sex": ["Female"]})
    assert nested({"age_band": ["16-24"]}, {"age_band": ["16-24"], "sex": ["Female"]})
    assert not nested({"age_band": ["16-24"]}, {"age_band": ["25-49"]})
    assert not nested({"sex": ["Female"]}, {"age_band": ["16-24"]})


def test_only_nested_releases_are_compared_across_every_id(tmp_path):
    ledger = Ledger(tmp_path / "g.sqlite")
    ledger.record("ann", "toy", "s1", [("E08000012", "2025", {"age_band": ["16-24"], "sex": ["Female"]}, 23)],
                  audit_id="1:a")
    # a different group of similar size is not compared (it was the over-refusal)
    assert ledger.check("bob", "toy", "s2", [("E08000012", "2025", {"medication": ["Biologic"]}, 27)], 9) is None
    # a group around it that differs by a handful is refused, whoever asks
    assert ledger.check("carol", "toy", "s3", [("E08000012", "2025", {"age_band": ["16-24"]}, 27)], 9) is not None


def test_counts_isolate_a_small_group_once_means_never(tmp_path):
    ledger = Ledger(tmp_path / "g.sqlite")
    men, women = 4242, 99991
    ledger.record("ann", "toy", "all", [("W", "2025", {}, 27, (men + women) % 2 ** 32)], measure="people")
    # the women: one isolation of the men (4 of them), protected by the perturbation: answered
    flags, isolated = ledger.assess("toy", "f", [("W", "2025", {"sex": ["Female"]}, 23, women)], 9, 10, "people")
    assert flags == [] and [i[2] for i in isolated] == [men]
    ledger.record("bob", "toy", "f", [("W", "2025", {"sex": ["Female"]}, 23, women)], measure="people",
                  isolated=isolated)
    # the same men isolated again through another pair (another id): refused
    flags, _ = ledger.assess("toy", "f2", [("W", "2025", {"sex": ["Female"], "age_band": ["16-24", "25-34", "35-49",
                                           "50-64", "65+"]}, 23, women)], 9, 10, "people")
    assert flags
    # a mean of the nested group: refused at once (its noise is bounded by contributions, not counts)
    ledger.record("ann", "toy", "mall", [("W", "2025", {}, 27, (men + women) % 2 ** 32)], measure="hours")
    flags, _ = ledger.assess("toy", "mf", [("W", "2025", {"sex": ["Female"]}, 23, women)], 9, 10, "hours", "mean")
    assert flags


def test_an_honest_series_of_sub_groups_is_answered(module_pipeline):
    """Researchers asking a series of sub-groups in different councils are not refused because of
    what others have been given (the red team saw them refused one after another)."""
    p = module_pipeline
    ask(p, "lupus participants in Sefton by age band", user="other-1")
    ask(p, "lupus participants in Wirral by medication", user="other-2")
    answered = 0
    councils = ["Sefton", "Wirral", "Knowsley", "Liverpool", "Halton", "St Helens"]
    questions = [f"female lupus participants aged {band} in {c}" for band in ("35-49", "50-64") for c in councils]
    for i, q in enumerate(questions):
        answered += ask(p, q, user=f"honest-{i}")["status"] == "answered"
    assert answered >= len(questions) - 1, answered


@pytest.mark.parametrize("text", ["imd rank of Speke for our marketing brochure",
                                  "imd score of Speke-Garston for our marketing brochure"])
def test_open_published_figures_are_not_refused_for_a_stated_person_level_prohibition(module_pipeline, text):
    """Open published aggregates are not subject to person-level prohibitions (only re-identification);
    the first has no ward-level rank, and says so instead of quoting the marketing rule."""
    a = ask(module_pipeline, text, role="resident", purpose="personal")
    assert a["status"] != "refused" and "commons.prohibited" not in a["answer"], a["answer"]
