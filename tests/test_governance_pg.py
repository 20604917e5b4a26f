"""Shared governance state in PostgreSQL (a real server from Debian's postgresql-15, started on
127.0.0.1 for this module): the review queue, the differencing ledger, API tokens and the audit
chain behind one interface, shared by separate instances of the commons."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from eval.sandbox import copy_home
from guardrails import governance
from guardrails.disclosure import Ledger
from guardrails.review import ReviewQueue
from guardrails.tokens import AuthError, Tokens
from kernel.errors import ReviewError
from kernel.settings import Settings
from kernel.types import Actor, Question

ROOT = Path(__file__).resolve().parents[1]
BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
try:
    import psycopg
except ImportError:
    psycopg = None
pytestmark = pytest.mark.skipif(not BINS or psycopg is None,
                                reason="needs PostgreSQL (Debian postgresql-15, installed by scripts/setup.sh "
                                       "when apt-get can) and psycopg")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of the module's own (initdb refuses root, so it runs as postgres)."""
    bin_dir = Path(BINS[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="commons-pg-", dir="/tmp"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True, timeout=120)
    opts = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(folder / "log"),
                                 "-w", "start"]), check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def _database(server: str, name: str) -> str:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def test_the_stores_work_the_same_on_postgresql(postgres):
    url = _database(postgres, "stores")
    reviews = ReviewQueue(url)
    req = reviews.create(Actor("acme", "commercial"), "commercial", "lupus in Knowsley", ["lupus_commons"],
                         "lupus_commons.duty.commercial", "needs a fee agreement", plan={"k": 1}, sql="SELECT 1")
    again = ReviewQueue(url)                          # another instance: the same queue
    assert again.get(req.id).state == "pending" and again.get(req.id).plan == {"k": 1}
    with pytest.raises(ReviewError):
        again.decide(req.id, Actor("ACME", "steward"), True, "mine")       # nobody reviews their own
    again.decide(req.id, Actor("sam", "steward"), True, "fee agreement on file")
    assert reviews.claim_release(req.id, Actor("acme", "commercial")).state == "released"
    with pytest.raises(ReviewError, match="only once"):
        again.claim_release(req.id, Actor("acme", "commercial"))
    assert [r.id for r in reviews.list("released")] == [req.id]

    a, b = Ledger(url), Ledger(url)
    a.record("alice", "lupus_commons", "sig-all", [("E05000001", "2025", 19)], 10)
    flag = b.check("bob", "lupus_commons", "sig-women", [("E05000001", "2025", 17)], 9, 10)
    assert flag is not None and flag.difference == 2
    assert b.check("bob", "lupus_commons", "sig-all", [("E05000001", "2025", 19)], 9, 10) is None
    a.flag("mallory", "commons.prohibited.insurance_pricing")
    assert b.flagged("Mallory", 30) and b.flagged("someone", 30) is None

    tokens = Tokens(url)
    issued = tokens.create("dash", "provider", ("ask",))
    assert Tokens(url).check(issued.secret, "ask").account == "dash"
    Tokens(url).revoke(issued.token.id)
    with pytest.raises(AuthError, match="revoked"):
        tokens.check(issued.secret, "ask")


def test_the_audit_chain_is_shared_and_verified(postgres):
    url = _database(postgres, "audit")
    code = ("import sys; from guardrails.governance import PgAuditLog; log = PgAuditLog(sys.argv[1]); "
            "[log.append('question', actor=sys.argv[2], n=i) for i in range(40)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, url, who], cwd=ROOT) for who in ("one", "two")]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    log = governance.PgAuditLog(url)
    ok, message = log.verify()
    assert ok and message == "80 records verified", message
    records = list(log.records())
    assert [r["seq"] for r in records] == list(range(80))
    assert {r["actor"] for r in records} == {"one", "two"}
    with psycopg.connect(url, autocommit=True) as con:
        (original,) = con.execute("SELECT line FROM audit_log WHERE seq = 10").fetchone()
        con.execute("UPDATE audit_log SET line = regexp_replace(line, '\"n\":[0-9]+', '\"n\":999') WHERE seq = 10")
    assert log.verify() == (False, "record 10: contents modified")
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("UPDATE audit_log SET line = %s WHERE seq = 10", (original,))
        assert log.verify()[0]
        con.execute("DELETE FROM audit_log WHERE seq = 79")
    ok, message = log.verify()
    assert not ok and "truncated" in message


def test_a_differencing_pair_split_across_two_instances_is_caught(postgres, tmp_path_factory, pristine_home):
    from assistant.pipeline import Pipeline
    url = _database(postgres, "shared")
    homes = {}
    for name in ("a", "b", "c"):
        homes[name] = tmp_path_factory.mktemp(f"instance_{name}")
        copy_home(pristine_home, homes[name])
    first = "How many lupus participants live in Ainsdale ward in Sefton?"
    second = "How many female lupus participants live in Ainsdale ward in Sefton?"
    # Instance A: another process (the CLI), alice is given the whole ward.
    env = {**os.environ, "COMMONS_HOME": str(homes["a"]), "COMMONS_GOVERNANCE_URL": url}
    got = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", first, "--json", "--role", "researcher",
                          "--purpose", "health_research", "--user", "alice"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["status"] == "answered"
    bob = Question(second, Actor("bob", "researcher"), "health_research")
    # Instance B shares the governance database: bob's women-only figure would differ by 1-9.
    b = Pipeline.open(Settings.load(home=homes["b"], governance_url=url))
    try:
        refused = b.ask(bob)
        assert refused.status == "refused" and "disclosure.differencing" in refused.answer
        ok, message = b.audit.verify()
        assert ok, message
        actors = {r.get("actor") for r in b.audit.records() if r["event"] == "question"}
        assert {"alice", "bob"} <= actors                       # one chain for both instances
        assert not (homes["b"] / "audit.jsonl").exists() and not (homes["b"] / "governance.sqlite").exists()
    finally:
        b.close()
    # The same pair against separate local files is not linked (why the state must be shared).
    c = Pipeline.open(Settings.load(home=homes["c"]))
    try:
        assert c.ask(bob).status == "answered"
    finally:
        c.close()
