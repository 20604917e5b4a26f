"""Shared governance state in PostgreSQL (a real server from Debian's postgresql-15, started on
127.0.0.1 for this module): the review queue, the differencing ledger, the accounts' sessions
and sign-in lockouts, the projects, API tokens and the signed audit chain behind one interface
(``guardrails.govdb``), shared by separate instances of the commons."""

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

from dataclasses import replace

from assistant.stewardship import Stewardship
from eval import grants
from eval.sandbox import copy_home
from guardrails import auth, govdb
from guardrails.audit import AuditLog, canonical
from guardrails.disclosure import KEY_SPACE, Ledger
from guardrails.review import ReviewQueue
from guardrails.tokens import AuthError, Tokens
from kernel.errors import AuthError as SignInError
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


def test_the_stores_work_the_same_on_postgresql(postgres, tmp_path):
    url = _database(postgres, "stores")
    reviews = ReviewQueue(url)
    req = reviews.create(Actor("acme", "commercial", "Acme"), "commercial", "lupus in Knowsley", ["lupus_commons"],
                         "lupus_commons.duty.commercial", "needs a fee agreement", plan={"k": 1}, sql="SELECT 1")
    again = ReviewQueue(url)                          # another instance: the same queue
    assert again.get(req.id).state == "pending" and again.get(req.id).plan == {"k": 1}
    with pytest.raises(ReviewError):
        again.decide(req.id, Actor("ACME", "steward", "Another org"), True, "mine")      # nobody reviews their own
    one = again.decide(req.id, Actor("sam", "steward", "Desk one"), True, "fee agreement on file", needed=2,
                       distinct_organisations=True)
    assert one.state == "pending"
    with pytest.raises(ReviewError, match="already approved"):
        reviews.decide(req.id, Actor("sam", "steward", "Desk one"), True, "again", needed=2)
    assert reviews.decide(req.id, Actor("olu", "steward", "Desk two"), True, "output checked", needed=2,
                          distinct_organisations=True).state == "approved"
    assert [e["who"] for e in reviews.events(req.id)] == ["sam", "olu"]          # in the order written
    assert reviews.claim_release(req.id, Actor("acme", "commercial")).state == "released"
    with pytest.raises(ReviewError, match="only once"):
        again.claim_release(req.id, Actor("acme", "commercial"))
    assert [r.id for r in reviews.list("released")] == [req.id]

    a, b = Ledger(url), Ledger(url)
    big = KEY_SPACE - 7                               # cell keys and fingerprints need 64-bit integers
    a.record("alice", "lupus_commons", "sig-all", [("E05000001", "2025", {}, 19, big)], 10, audit_id="1:ab",
             measure="lupus_participants", isolated=[("E05000001", "2025", big, 2)])
    flags, isolated = b.assess("lupus_commons", "sig-women", [("E05000001", "2025", {"sex": ["Female"]}, 17, 5)],
                               9, 10, "lupus_participants")
    assert not flags and isolated and isolated[0][3] == 2          # isolates 2: perturbed, recorded with it
    assert b.check("bob", "lupus_commons", "sig-x", [("E05000001", "2025", {"sex": ["Female"]}, 17, None)], 9, 10)
    assert b.releases() == [("lupus_commons", "1:ab")]
    a.flag("mallory", "commons.prohibited.insurance_pricing")
    assert b.flagged("Mallory", 30) and b.flagged("someone", 30) is None

    # Accounts: a session issued by one instance is honoured by another; the lockout is shared.
    users = tmp_path / "users.yaml"
    auth.add_user(users, "alice", password="alice-password-1", roles=["researcher", "provider"], org="Uni A")
    audit = AuditLog(tmp_path / "audit.jsonl")
    first, second = auth.Accounts(users, url, audit), auth.Accounts(users, url, audit)
    alice = first.sign_in("alice", "alice-password-1", "researcher")
    assert second.signed(alice) is not None and second.signed(replace(alice, role="steward")) is None
    tokens = Tokens(url, first)
    issued = tokens.create(alice, "provider", ("ask",))
    checked = Tokens(url, second).check(issued.secret, "ask")
    assert checked.account == "alice" and checked.role == "provider"
    caller = Tokens(url, second).actor(checked)
    assert first.signed(caller) is not None and caller.role == "provider"
    Tokens(url, second).revoke(issued.token.id)
    with pytest.raises(AuthError, match="revoked"):
        tokens.check(issued.secret, "ask")
    second.sign_out(alice)
    assert first.signed(alice) is None
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(SignInError):
            first.sign_in("alice", "not-her-password")
    with pytest.raises(SignInError, match="locked"):
        second.sign_in("alice", "alice-password-1")
    assert not (tmp_path / "governance.sqlite").exists()


def test_the_signed_audit_chain_is_shared_and_verified(postgres, tmp_path):
    url = _database(postgres, "audit")
    code = ("import sys; from guardrails.govdb import PgAuditLog; log = PgAuditLog(sys.argv[1]); "
            "[log.append('question', actor=sys.argv[2], n=i) for i in range(40)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, url, who], cwd=ROOT) for who in ("one", "two")]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    log = govdb.PgAuditLog(url)
    ok, message = log.verify()
    assert ok and message.startswith("80 records verified (signed, chained"), message
    records = list(log.records())
    assert [r["seq"] for r in records] == list(range(80))
    assert {r["actor"] for r in records} == {"one", "two"}
    assert all(r["sig"] and r["kid"] == log.key.kid for r in records)
    assert log.witness()["seq"] == 79 and log.head()["seq"] == 79
    # The same chain written to the file verifies with the file's own code (one format).
    copy = AuditLog(tmp_path / "copy" / "audit.jsonl", witness=tmp_path / "copy-witness")
    copy.path.parent.mkdir(parents=True)
    copy.path.write_text("".join(canonical(r) + "\n" for r in records), encoding="utf-8")
    assert copy.verify(expect=log.witness())[0]
    with psycopg.connect(url, autocommit=True) as con:
        (original,) = con.execute("SELECT line FROM audit_log WHERE seq = 10").fetchone()
        con.execute("UPDATE audit_log SET line = regexp_replace(line, '\"n\":[0-9]+', '\"n\":999') WHERE seq = 10")
    assert log.verify() == (False, "record 10: contents modified (its hash does not match)")
    # Re-hashing the whole chain from there on, without the key, leaves the signatures behind.
    import hashlib
    forged, prev = [], records[9]["hash"]
    for r in records[10:]:
        body = {k: v for k, v in r.items() if k not in ("prev", "hash", "sig", "kid")}
        if r["seq"] == 10:
            body["n"] = 999
        digest = hashlib.sha256((prev + canonical(body)).encode()).hexdigest()
        forged.append((r["seq"], canonical({**body, "prev": prev, "hash": digest, "sig": r["sig"], "kid": r["kid"]})))
        prev = digest
    with psycopg.connect(url, autocommit=True) as con:
        for seq, line in forged:
            con.execute("UPDATE audit_log SET line = %s WHERE seq = %s", (line, seq))
    ok, message = log.verify()
    assert not ok and message.startswith("record 10: signature does not verify"), message
    with psycopg.connect(url, autocommit=True) as con:
        for r in records[10:]:
            con.execute("UPDATE audit_log SET line = %s WHERE seq = %s", (canonical(r), r["seq"]))
        assert log.verify()[0]
        # Cut the last record off and move the database's head back (its signature is the record's own):
        # the witness outside the database still says 80.
        con.execute("DELETE FROM audit_log WHERE seq = 79")
        con.execute("UPDATE audit_head SET seq = 78, hash = %s, sig = %s", (records[78]["hash"], records[78]["sig"]))
    ok, message = log.verify()
    assert not ok and "truncated" in message and "80 records were written" in message
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("INSERT INTO audit_log (seq, line) VALUES (79, %s)", (canonical(records[79]),))
        con.execute("UPDATE audit_head SET seq = 79, hash = %s, sig = %s", (records[79]["hash"], records[79]["sig"]))
    # An instance on another machine (its own witness folder) appends: the chain now runs past
    # this instance's witness, which still verifies (every later record is signed); the other
    # instance's witness is exact.
    elsewhere = govdb.PgAuditLog(url, Settings.load(audit_witness=tmp_path / "other-machine"))
    assert not elsewhere.verify()[0]                    # it has witnessed nothing yet
    elsewhere.append("question", actor="three", n=0)
    assert elsewhere.verify() == (True, "81 records verified (signed, chained, and ending at the witnessed head)")
    ok, message = log.verify()
    assert ok and "witnessed head, record 79" in message, message


def test_an_isolation_split_across_two_instances_is_caught(postgres, tmp_path_factory, pristine_home):
    """Accounts, projects, the differencing ledger and the audit chain in one database: a project
    approved on one instance is used on another, and a small group isolated by two questions
    asked on two instances is perturbed once and refused when isolated again."""
    import csv
    from collections import Counter

    from assistant.pipeline import Pipeline
    from retrieval import synthetic
    url = _database(postgres, "shared")
    homes = {}
    for name in ("a", "b", "c"):
        homes[name] = tmp_path_factory.mktemp(f"instance_{name}")
        copy_home(pristine_home, homes[name])
    sa = grants.private_users(Settings.load(home=homes["a"], governance_url=url))
    sb = grants.private_users(Settings.load(home=homes["b"], governance_url=url))
    data_dir = Path(sb.data_dir)
    lookup = {}
    with open(data_dir / "raw" / "lookup_lsoa21_ward24_lad24_lcr.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            lookup[r["lsoa21cd"]] = (r["wd24nm"], r["lad24nm"])
    total, women = Counter(), Counter()
    for r in csv.DictReader(synthetic.generate_lupus(data_dir).decode("utf-8").splitlines()):
        total[lookup[r["lsoa21cd"]]] += 1
        women[lookup[r["lsoa21cd"]]] += r["sex"] == "Female"
    ward, lad = next(w for w in sorted(total) if 1 <= total[w] - women[w] <= 9 and women[w] >= 10)
    first = f"lupus participants in {ward} ward in {lad}"
    second = f"female lupus participants in {ward} ward in {lad}"
    grants.ensure_account(sa, "alice", ["researcher"], "Alice's university")
    b = Pipeline.open(sb)
    try:
        stewardship = Stewardship(b)
        # alice's project is approved on instance B ...
        alice = grants.signed_in(b.commons, "alice", "researcher", "Alice's university")
        project = grants.grant(stewardship, alice, "health_research", ["lupus_commons"])
        # ... and used on instance A, another process (the CLI), where alice signs in: she is given the ward.
        env = {**os.environ, "COMMONS_HOME": str(homes["a"]), "COMMONS_GOVERNANCE_URL": url,
               "COMMONS_USERS_FILE": str(sa.users_file), "COMMONS_PASSWORD": grants.PASSWORD}
        got = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", first, "--json", "--user", "alice",
                              "--project", project.id], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout)["status"] == "answered", got.stdout
        # Instance B: bob's women-only figure isolates the ward's few men: perturbed, and recorded.
        bob, bob_project = grants.within_project(stewardship, "bob", "researcher", "health_research")
        women_answer = b.ask(Question(second, bob, "health_research", project=bob_project)).to_dict()
        assert women_answer["status"] == "answered" and any("perturbed" in c for c in women_answer["caveats"])
        with psycopg.connect(url, autocommit=True) as con:
            area, n, ck = con.execute("SELECT area_code, population, ck FROM releases WHERE actor = 'bob' "
                                      "ORDER BY ts DESC LIMIT 1").fetchone()
            isolated = con.execute("SELECT size FROM isolations WHERE area_code = %s", (area,)).fetchall()
        assert isolated and all(1 <= size <= 9 for (size,) in isolated)
        # The same men isolated again, through another description of the women, by anyone: refused.
        bands = sorted(b.catalog.dim_values[("lupus_commons", "age_band")])
        flags, _ = Ledger(url).assess("lupus_commons", "another-wording", [
            (area, "", {"age_band": bands, "sex": ["Female"]}, n, ck)], 9, 10, "lupus_participants")
        assert flags and flags[0].area_code == area
        ok, message = b.audit.verify()
        assert ok, message
        events = [(r["event"], r.get("actor")) for r in b.audit.records()]
        assert {("question", "alice"), ("question", "bob")} <= set(events)      # one chain for both instances
        assert any(e == "project_decision" for e, _ in events)
        assert not (homes["b"] / "audit.jsonl").exists() and not (homes["b"] / "governance.sqlite").exists()
        assert not (homes["a"] / "audit.jsonl").exists() and not (homes["a"] / "governance.sqlite").exists()
    finally:
        b.close()
    # The same question against separate local files isolates nothing (why the state must be shared).
    c = Pipeline.open(grants.private_users(Settings.load(home=homes["c"])))
    try:
        bob, bob_project = grants.within_project(Stewardship(c), "bob", "researcher", "health_research")
        alone = c.ask(Question(second, bob, "health_research", project=bob_project)).to_dict()
        assert alone["status"] == "answered"
        con = govdb.connect(c.settings.governance_db)
        try:
            assert con.execute("SELECT COUNT(*) FROM isolations").fetchone()[0] == 0
        finally:
            con.close()
    finally:
        c.close()
