"""The `commons` command line, run as a real subprocess against a temporary COMMONS_HOME."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
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


def test_review_and_transparency_commands(home):
    asked = run(["ask", "How many people with lupus live in Liverpool?", "--json", "--role", "commercial",
                 "--purpose", "commercial", "--user", "acme"], home)
    d = json.loads(asked.stdout)
    assert d["status"] == "needs_review" and d["table"] is None
    rid = d["review_id"]

    def steward(*args, password="demo-sam-2025"):
        env = {**os.environ, "COMMONS_HOME": str(home), "COMMONS_STEWARD_PASSWORD": password}
        return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)

    bad = steward("review", "list", "--steward", "sam", password="nope")
    assert bad.returncode == 2 and "do not match" in bad.stderr and "Traceback" not in bad.stderr
    listed = steward("review", "list", "--steward", "sam", "--json")
    assert rid in [r["id"] for r in json.loads(listed.stdout)]
    assert run(["review", "status", rid, "--user", "acme", "--json"], home).stdout.count('"pending"') == 1
    no_reason = steward("review", "approve", rid, "--steward", "sam")
    assert no_reason.returncode == 2 and "reason" in no_reason.stderr
    assert steward("review", "approve", rid, "--steward", "sam", "--reason", "fee agreement FA-9").returncode == 0
    first = run(["review", "fetch", rid, "--user", "acme", "--role", "commercial", "--json"], home)
    got = json.loads(first.stdout)
    assert got["status"] == "answered" and got["review_id"] == rid and got["table"]["rows"]
    again = run(["review", "fetch", rid, "--user", "acme", "--role", "commercial", "--json"], home)
    assert again.returncode == 2 and "only once" in again.stderr
    rep = json.loads(run(["transparency", "lupus_commons", "--json"], home).stdout)
    assert any(x["review_id"] == rid and x["reason"] == "fee agreement FA-9" for x in rep["steward_decisions"])
    assert run(["audit", "verify"], home).returncode == 0


def test_the_steward_role_is_signed_in_never_claimed(home):
    env = {**os.environ, "COMMONS_HOME": str(home)}
    claimed = run(["ask", "How many people with lupus live in Liverpool?", "--json", "--role", "steward",
                   "--user", "mallory"], home, input="", env={**env, "COMMONS_STEWARD_PASSWORD": "guess"})
    assert claimed.returncode == 2 and "Traceback" not in claimed.stderr and not claimed.stdout
    anonymous = run(["ask", "lupus participants", "--json", "--role", "steward"], home)
    assert anonymous.returncode == 2 and "--user" in anonymous.stderr
    signed = run(["ask", "How many people with lupus live in Liverpool?", "--json", "--role", "steward",
                  "--purpose", "stewardship", "--user", "sam"], home,
                 env={**env, "COMMONS_STEWARD_PASSWORD": "demo-sam-2025"})
    assert signed.returncode == 0 and json.loads(signed.stdout)["status"] == "answered"
    status = run(["review", "status", "R-00000000", "--user", "mallory", "--role", "steward"], home)
    assert status.returncode == 2 and "review show" in status.stderr


def test_a_requester_id_in_another_spelling_cannot_approve_its_own_request(home):
    asked = json.loads(run(["ask", "lupus participants by age band in Wirral", "--json", "--role", "commercial",
                            "--purpose", "commercial", "--user", " Sam "], home).stdout)
    assert asked["status"] == "needs_review"
    env = {**os.environ, "COMMONS_HOME": str(home), "COMMONS_STEWARD_PASSWORD": "demo-sam-2025"}
    own = subprocess.run([sys.executable, "-m", "assistant.cli", "review", "approve", asked["review_id"],
                          "--steward", "sam", "--reason", "it is fine"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert own.returncode == 2 and "own request" in own.stderr


@pytest.mark.parametrize("user", ["s\u0430m", "sam\u034f", "sam\u3164", "bob smith", "<script>", "x" * 70])
def test_user_ids_outside_the_plain_alphabet_are_refused(home, user):
    got = run(["ask", "population of Liverpool", "--json", "--user", user], home)
    if user in ("s\u0430m", "sam\u034f", "sam\u3164"):
        # folded to 'sam': accepted, and the same person as 'sam'
        assert got.returncode == 0
    else:
        assert got.returncode == 2 and "user id" in got.stderr and "Traceback" not in got.stderr


def test_a_batch_line_with_a_bad_user_id_is_refused_and_the_others_answered(home, tmp_path):
    batch = tmp_path / "ids.jsonl"
    batch.write_text('{"question": "population of Liverpool", "user": "ok-user"}\n'
                     '{"question": "population of Sefton", "user": "someone@example.org"}\n', encoding="utf-8")
    r = run(["ask", "--batch", str(batch), "--json"], home)
    assert r.returncode == 2 and "line 2" in r.stderr and "Traceback" not in r.stderr
    first, second = _json_lines(r.stdout)
    assert first["status"] == "answered"
    assert second["status"] == "error" and "user id" in second["answer"] and second["line"] == 2
