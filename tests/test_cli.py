"""The `commons` command line, run as a real subprocess against a temporary COMMONS_HOME."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {"status", "answer", "table", "chart", "sql", "datasets", "citations", "caveats",
            "options", "review_id", "audit_id"}
STATUSES = {"answered", "clarify", "refused", "needs_review", "no_data"}


def population_la(area: str, year: int) -> int:
    with open(ROOT / "data/raw/population_la_mid2019_2020_lcr_england.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["area_name"] == area and int(r["year"]) == year:
                return int(r["pop_total"])
    raise KeyError((area, year))


def run(args, home: Path, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**(env or os.environ), "COMMONS_HOME": str(home)}
    env.pop("COMMONS_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    h = tmp_path_factory.mktemp("cli_home")
    r = run(["build"], h)
    assert r.returncode == 0, r.stderr
    assert (h / "commons.duckdb").exists()
    return h


def _json_lines(stdout: str) -> list[dict]:
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    return [json.loads(ln) for ln in lines]


def test_ask_json_prints_one_contract_object(home):
    r = run(["ask", "What was the population of Liverpool in 2020?", "--json"], home)
    assert r.returncode == 0, r.stderr
    objs = _json_lines(r.stdout)
    assert len(objs) == 1
    d = objs[0]
    assert CONTRACT <= set(d), CONTRACT - set(d)
    assert d["status"] == "answered"
    assert f"{population_la('Liverpool', 2020):,}" in d["answer"]
    assert d["table"]["rows"][0][-1] == population_la("Liverpool", 2020)
    assert d["sql"] and d["citations"] and d["audit_id"]
    assert "Traceback" not in r.stderr


def test_build_again_is_a_no_op(home):
    r = run(["build"], home)
    assert r.returncode == 0
    assert "already up to date" in r.stderr


def test_batch_keeps_order_and_resolves_follow_ups(home, tmp_path):
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(x) for x in [
        {"question": "What was the population of Liverpool in 2020?", "conversation": "cli-b1"},
        {"question": "which council has the highest crime severity score"},
        {"question": "and in 2019?", "conversation": "cli-b1"},
    ]) + "\n", encoding="utf-8")
    r = run(["ask", "--batch", str(batch), "--json"], home)
    assert r.returncode == 0, r.stderr
    objs = _json_lines(r.stdout)
    assert len(objs) == 3
    for d in objs:
        assert CONTRACT <= set(d) and d["status"] in STATUSES
    assert objs[0]["table"]["rows"][0][-1] == population_la("Liverpool", 2020)
    assert objs[1]["table"]["columns"][1] == "Crime Severity Score"
    assert objs[2]["status"] == "answered", objs[2]["answer"]
    assert objs[2]["table"]["rows"][0][0] == "Liverpool"
    assert objs[2]["table"]["rows"][0][-1] == population_la("Liverpool", 2019)


def test_conversation_carries_across_separate_cli_calls(home):
    r1 = run(["ask", "What was the population of Liverpool in 2020?", "--json", "--conversation", "cli-x"], home)
    r2 = run(["ask", "what about Wirral?", "--json", "--conversation", "cli-x"], home)
    assert r1.returncode == r2.returncode == 0
    d = _json_lines(r2.stdout)[0]
    assert d["status"] == "answered", d["answer"]
    assert d["table"]["rows"][0][0] == "Wirral"
    assert d["table"]["rows"][0][-1] == population_la("Wirral", 2020)


def test_a_malformed_batch_line_gets_a_status_and_the_rest_are_answered(home, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"question": "population of Liverpool"}\n{not json\n{"question": "population of Wirral"}\n',
                     encoding="utf-8")
    r = run(["ask", "--batch", str(batch), "--json"], home)
    assert r.returncode != 0                      # a line was not a request
    assert "line 2" in r.stderr and "Traceback" not in r.stderr
    lines = _json_lines(r.stdout)
    assert [d["status"] for d in lines] == ["answered", "error", "answered"]
    assert "line 2" in lines[1]["answer"]
    assert lines[2]["table"]["rows"][0][0] == "Wirral"


def test_batch_line_without_a_question_fails_cleanly(home, tmp_path):
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"question": "population of Liverpool"}\n{"q": "population"}\n', encoding="utf-8")
    r = run(["ask", "--batch", str(batch), "--json"], home)
    assert r.returncode != 0 and "line 2" in r.stderr and "Traceback" not in r.stderr
    assert [d["status"] for d in _json_lines(r.stdout)] == ["answered", "error"]


def test_ask_with_nothing_to_ask_is_a_usage_error(home):
    r = run(["ask", "--json"], home)
    assert r.returncode != 0 and r.stderr.strip() and "Traceback" not in r.stderr


@pytest.fixture(scope="module")
def audited_home(home, tmp_path_factory):
    """A home with at least three audit records (from the asks above or made here)."""
    batch = tmp_path_factory.mktemp("cli_audit") / "three.jsonl"
    batch.write_text("\n".join(json.dumps({"question": q}) for q in (
        "population of Knowsley", "population of Manchester", "population of Church ward")) + "\n")
    r = run(["ask", "--batch", str(batch), "--json"], home)
    assert r.returncode == 0, r.stderr
    lines = (home / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 3
    return home


def _copy_home_audit(src: Path, dst: Path) -> Path:
    dst.mkdir()
    shutil.copy(src / "audit.jsonl", dst / "audit.jsonl")
    return dst / "audit.jsonl"


def test_audit_verify_passes_on_an_untouched_log(audited_home):
    r = run(["audit", "verify"], audited_home)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verified" in r.stdout


def test_audit_verify_detects_a_changed_field(audited_home, tmp_path):
    audit = _copy_home_audit(audited_home, tmp_path / "h")
    lines = audit.read_text(encoding="utf-8").splitlines()
    i = next(i for i, line in enumerate(lines) if i and '"status"' in line)
    rec = json.loads(lines[i])
    rec["status"] = "refused" if rec["status"] != "refused" else "answered"
    lines[i] = json.dumps(rec, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    audit.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run(["audit", "verify"], tmp_path / "h")
    assert r.returncode != 0
    assert f"record {i}" in r.stdout + r.stderr


def test_audit_verify_detects_a_deleted_line(audited_home, tmp_path):
    audit = _copy_home_audit(audited_home, tmp_path / "h")
    lines = audit.read_text(encoding="utf-8").splitlines()
    del lines[1]
    audit.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run(["audit", "verify"], tmp_path / "h")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr


def test_audit_verify_detects_a_deleted_first_line(audited_home, tmp_path):
    """Deleting the first line breaks the chain from the start."""
    audit = _copy_home_audit(audited_home, tmp_path / "h")
    lines = audit.read_text(encoding="utf-8").splitlines()
    audit.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    r = run(["audit", "verify"], tmp_path / "h")
    assert r.returncode != 0


def test_audit_verify_reports_a_garbled_line_without_a_traceback(audited_home, tmp_path):
    audit = _copy_home_audit(audited_home, tmp_path / "h")
    lines = audit.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1][: len(lines[1]) // 2]          # a torn write
    audit.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run(["audit", "verify"], tmp_path / "h")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr, r.stderr[-500:]


def as_user(user: str, password: str | None = None) -> dict:
    """The environment of a command run by ``user`` (a demo account: password demo-ID-2025)."""
    return {**os.environ, "COMMONS_PASSWORD": password or f"demo-{user}-2025"}


def cli_json(args, home, user, password=None):
    r = run(args, home, env=as_user(user, password))
    assert r.returncode == 0, r.stderr[-1500:]
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def governance(home):
    """The same home in this process, for the steps of a journey the CLI has shown once already
    (each person still signs in with their own password)."""
    from assistant.pipeline import Pipeline
    from assistant.stewardship import Stewardship
    from kernel.settings import Settings
    p = Pipeline.open(Settings.load(home=home))
    s = Stewardship(p)
    yield s, lambda uid, role=None: p.commons.accounts.sign_in(uid, f"demo-{uid}-2025", role)
    p.close()


LUPUS_Q = "How many people with lupus live in Liverpool?"
PROJECT = ["--title", "Flares and work among people with lupus", "--purpose", "health_research",
           "--summary", "How lupus flares relate to work, so that services can help people stay in work.",
           "--datasets", "lupus_commons", "--publication", "an open-access paper"]


def test_a_project_from_submission_to_an_answer(home, governance):
    """Issue 13 at the command line: no project, no person-level figure; a project needs two
    stewards of the lupus commons from two organisations and its members' panel; then the
    researcher (and nobody else) asks within it, for its purpose, and gets controlled figures."""
    s, sign_in = governance
    end = (date.today() + timedelta(days=365)).isoformat()
    bare = cli_json(["ask", LUPUS_Q, "--json", "--user", "rosa", "--purpose", "health_research"], home, "rosa")
    assert bare["status"] == "refused" and "project.required" in bare["answer"] and bare["table"] is None
    submitted = cli_json(["projects", "submit", "--user", "rosa", *PROJECT, "--end", end, "--json"], home, "rosa")
    pid = submitted["project"]["id"]
    assert submitted["project"]["state"] == "submitted" and submitted["project"]["org"] == "University of Liverpool"
    desk = run(["projects", "approve", pid, "--steward", "sam", "--reason", "fine"], home, env=as_user("sam"))
    assert desk.returncode == 2 and "not a steward of lupus_commons" in desk.stderr
    one = run(["projects", "approve", pid, "--steward", "priya", "--reason", "in scope"], home, env=as_user("priya"))
    assert one.returncode == 0 and "1 more steward approval" in one.stdout
    within = cli_json(["ask", LUPUS_Q, "--json", "--user", "rosa", "--project", pid], home, "rosa")
    assert within["status"] == "refused" and "project.not_approved" in within["answer"]
    s.decide_project(pid, sign_in("olu"), "approve", "agreed, from the clinic")
    listed = cli_json(["panel", "list", "--user", "mo", "--json"], home, "mo")
    assert [p["id"] for p in listed] == [pid] and listed[0]["veto_grounds"]
    vote = run(["panel", "vote", pid, "--user", "mo", "--for", "--reason", "members asked for this"], home,
               env=as_user("mo"))
    assert vote.returncode == 0 and "1 of 3" in vote.stdout
    for member in ("jen", "kai"):
        s.panel_vote(pid, sign_in(member), True, "good for people with lupus")
    got = cli_json(["ask", LUPUS_Q, "--json", "--user", "rosa", "--project", pid], home, "rosa")
    assert got["status"] == "answered" and got["answer"].startswith("SYNTHETIC")
    assert all(isinstance(r[2], int) and r[2] % 5 == 0 for r in got["table"]["rows"])
    other = cli_json(["ask", LUPUS_Q, "--json", "--user", "dan", "--project", pid], home, "dan")
    assert other["status"] == "refused" and "project.not_yours" in other["answer"]
    wrong = run(["ask", LUPUS_Q, "--json", "--user", "rosa", "--project", pid, "--purpose", "disease_research"],
                home, env=as_user("rosa"))
    assert wrong.returncode == 2 and "its purpose is the purpose" in wrong.stderr
    shown = cli_json(["projects", "show", pid, "--user", "rosa", "--json"], home, "rosa")
    kinds = [e["kind"] for e in shown["events"]]
    assert shown["project"]["state"] == "approved" and kinds.count("approve") == 2 and kinds.count("vote_for") == 3
    events = [r for r in map(json.loads, (home / "audit.jsonl").read_text().splitlines()) if r.get("project") == pid]
    assert {"project_submit", "project_decision", "panel_vote", "panel_decision", "question"} <= \
        {r["event"] for r in events}
    answered = [r for r in events if r["event"] == "question" and r["status"] == "answered"]
    assert answered and all(r["actor"] == "rosa" for r in answered)   # the answer traces to rosa's sign-in


def test_a_commercial_project_needs_a_fee_agreement_and_two_approvals_of_its_output(home, governance):
    s, sign_in = governance
    end = (date.today() + timedelta(days=200)).isoformat()
    acme = sign_in("acme")
    project = s.submit_project(acme, title="Lupus service demand for a new clinic", purpose="commercial",
                               lay_summary="Where people with lupus live, to plan where a private clinic is needed.",
                               datasets=["lupus_commons"], end_date=end, commercial="a private clinic operator",
                               publication="a public summary of where clinics are needed")
    for steward in ("priya", "olu"):
        s.decide_project(project.id, sign_in(steward), "approve", "in scope, with a fee agreement")
    for member in ("mo", "jen", "kai"):
        s.panel_vote(project.id, sign_in(member), True, "members accept this use")
    no_fee = cli_json(["ask", LUPUS_Q, "--json", "--user", "acme", "--project", project.id], home, "acme")
    assert no_fee["status"] == "refused" and "fees.no_agreement" in no_fee["answer"] and no_fee["table"] is None
    fee = run(["projects", "fee", project.id, "--steward", "priya", "--dataset", "lupus_commons", "--reference",
               "FA-12", "--amount", "2500", "--start", date.today().isoformat(), "--end", end, "--signed-by",
               "A. Carter, Acme Pharma"], home, env=as_user("priya"))
    assert fee.returncode == 0, fee.stderr
    asked = cli_json(["ask", LUPUS_Q, "--json", "--user", "acme", "--project", project.id], home, "acme")
    assert asked["status"] == "needs_review" and asked["table"] is None
    rid = asked["review_id"]
    listed = cli_json(["review", "list", "--steward", "priya", "--json"], home, "priya")
    assert rid in [r["id"] for r in listed]
    bad = run(["review", "list", "--steward", "priya"], home, env=as_user("priya", "nope"))
    assert bad.returncode == 2 and "do not match" in bad.stderr and "Traceback" not in bad.stderr
    no_reason = run(["review", "approve", rid, "--steward", "priya"], home, env=as_user("priya"))
    assert no_reason.returncode == 2 and "reason" in no_reason.stderr
    first = run(["review", "approve", rid, "--steward", "priya", "--reason", "fee agreement FA-12"], home,
                env=as_user("priya"))
    assert first.returncode == 0 and "2 independent approvals" in first.stdout
    early = cli_json(["review", "fetch", rid, "--user", "acme", "--json"], home, "acme")
    assert early["status"] == "needs_review" and early["table"] is None
    s.decide_review(rid, sign_in("olu"), True, "output checked: aggregates only")
    got = cli_json(["review", "fetch", rid, "--user", "acme", "--json"], home, "acme")
    assert got["status"] == "answered" and got["review_id"] == rid and got["table"]["rows"]
    assert "two stewards" in got["answer"]
    again = run(["review", "fetch", rid, "--user", "acme", "--json"], home, env=as_user("acme"))
    assert again.returncode == 2 and "only once" in again.stderr
    stranger = run(["review", "fetch", rid, "--user", "acme", "--json"], home, env=as_user("acme", "guess-word"))
    assert stranger.returncode == 2 and "do not match" in stranger.stderr
    rep = json.loads(run(["transparency", "lupus_commons", "--json"], home).stdout)
    assert any(x["review_id"] == rid and x["decision"] == "approved" for x in rep["steward_decisions"])
    assert rep["fees"]["agreements"] >= 1 and rep["fees"]["income"].startswith("£")
    assert any(p["project"] == project.id and p["commercial"] for p in rep["projects"])
    assert any(d["project"] == project.id and d["decision"] == "approved" for d in rep["panel_decisions"])
    assert run(["audit", "verify"], home).returncode == 0


def test_the_steward_role_is_signed_in_never_claimed(home):
    env = {**os.environ, "COMMONS_HOME": str(home)}
    claimed = run(["ask", LUPUS_Q, "--json", "--role", "steward", "--user", "mallory"], home, input="",
                  env={**env, "COMMONS_STEWARD_PASSWORD": "guess"})
    assert claimed.returncode == 2 and "Traceback" not in claimed.stderr and not claimed.stdout
    anonymous = run(["ask", "lupus participants", "--json", "--role", "steward"], home)
    assert anonymous.returncode == 2 and "--user" in anonymous.stderr
    signed = run(["ask", "population of Liverpool", "--json", "--role", "steward", "--purpose", "stewardship",
                  "--user", "sam"], home, env={**env, "COMMONS_STEWARD_PASSWORD": "demo-sam-2025"})
    assert signed.returncode == 0 and json.loads(signed.stdout)["status"] == "answered"
    status = run(["review", "status", "R-00000000", "--user", "mallory", "--role", "steward"], home)
    assert status.returncode == 2 and "review show" in status.stderr


def test_a_role_the_account_does_not_hold_is_refused(home, tmp_path):
    """An account's role is the users file's: --role and a batch line can only narrow it."""
    claimed = run(["ask", LUPUS_Q, "--json", "--role", "commercial", "--user", " Sam "], home, env=as_user("sam"))
    assert claimed.returncode == 2 and "does not hold the commercial role" in claimed.stderr and not claimed.stdout
    batch = tmp_path / "roles.jsonl"
    batch.write_text(json.dumps({"question": "population of Sefton", "user": "nia", "role": "researcher"}) + "\n"
                     + json.dumps({"question": "population of Sefton", "user": "nia"}) + "\n", encoding="utf-8")
    r = run(["ask", "--batch", str(batch), "--json"], home, env=as_user("nia"))
    first, second = _json_lines(r.stdout)
    assert first["status"] == "error" and "does not hold the researcher role" in first["answer"]
    assert second["status"] == "answered"
    records = [json.loads(x) for x in (home / "audit.jsonl").read_text().splitlines()]
    assert any(x["event"] == "sign_in_failed" and x.get("role") == "commercial" and x["user"] == "sam"
               for x in records)


@pytest.mark.parametrize("user", ["s\u0430m", "sam\u034f", "sam\u3164", "bob smith", "<script>", "x" * 70])
def test_user_ids_outside_the_plain_alphabet_are_refused(home, user):
    got = run(["ask", "population of Liverpool", "--json", "--user", user], home, env=as_user("sam"))
    if user in ("s\u0430m", "sam\u034f", "sam\u3164"):
        # folded to 'sam': it signs in as sam (with sam's password), the same person
        assert got.returncode == 0, got.stderr
    else:
        assert got.returncode == 2 and "user id" in got.stderr and "Traceback" not in got.stderr


def test_a_batch_line_with_a_bad_user_id_is_refused_and_the_others_answered(home, tmp_path):
    batch = tmp_path / "ids.jsonl"
    batch.write_text('{"question": "population of Liverpool", "user": "rosa"}\n'
                     '{"question": "population of Sefton", "user": "someone@example.org"}\n', encoding="utf-8")
    r = run(["ask", "--batch", str(batch), "--json"], home, env=as_user("rosa"))
    assert r.returncode == 2 and "line 2" in r.stderr and "Traceback" not in r.stderr
    first, second = _json_lines(r.stdout)
    assert first["status"] == "answered"
    assert second["status"] == "error" and "user id" in second["answer"] and second["line"] == 2
