"""Accounts and sign-in: salted scrypt hashes in a local users file, constant-time checks, roles
from the account, and a lockout kept in the governance store (it holds across processes), every
attempt audited."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kernel.errors import AuthError
from kernel.types import ACCOUNT_ROLES
from guardrails import auth
from guardrails.audit import AuditLog

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "users.yaml"
DEMO = {"sam": "steward", "priya": "steward", "olu": "steward", "vik": "steward", "rosa": "researcher",
        "dan": "researcher", "nia": "provider", "acme": "commercial", "mo": "member", "jen": "member",
        "kai": "member", "eva": "evaluator"}


@pytest.mark.parametrize("uid,role", sorted(DEMO.items()))
def test_shipped_demo_accounts_sign_in_with_the_documented_passwords(uid, role):
    actor = auth.verify(SHIPPED, uid, f"demo-{uid}-2025")
    assert actor.id == uid and actor.role == role and actor.org
    assert f"`{uid}`" in (ROOT / "README.md").read_text() and f"demo-{uid}-2025" in (ROOT / "README.md").read_text()


def test_demo_accounts_cover_every_role_and_the_two_lupus_organisations():
    accounts = {a.id: a for a in auth.accounts(SHIPPED)}
    assert {r for a in accounts.values() for r in a.roles} == set(ACCOUNT_ROLES)
    lupus = [a for a in accounts.values() if a.holds("steward") and a.covers("lupus_commons")]
    assert len({auth.org_key(a.org) for a in lupus}) >= 2
    assert len([a for a in accounts.values() if a.holds("member") and a.covers("lupus_commons")]) >= 3
    assert accounts["sam"].covers("population_la", "open") and not accounts["sam"].covers("lupus_commons")


def test_shipped_file_holds_only_hashes():
    text = SHIPPED.read_text()
    assert "demo-sam-2025" not in text.split("users:")[1]
    for entry in yaml.safe_load(text)["users"].values():
        assert entry["password"].startswith("scrypt$")


@pytest.mark.parametrize("uid,pw", [
    ("sam", "wrong-password"), ("sam", ""), ("nobody", "demo-sam-2025"), ("", ""),
    ("SAM ", "demo-sam-2025x"), ("priya", "demo-sam-2025"),
])
def test_wrong_credentials_are_rejected_with_one_message(uid, pw):
    with pytest.raises(AuthError) as e:
        auth.verify(SHIPPED, uid, pw)
    assert str(e.value) == auth.SIGN_IN_FAILED


def test_user_id_is_case_insensitive():
    assert auth.verify(SHIPPED, " Sam ", "demo-sam-2025").id == "sam"


def test_hash_is_salted_and_checked(tmp_path):
    a, b = auth.hash_password("correct horse"), auth.hash_password("correct horse")
    assert a != b  # a fresh salt each time
    assert auth.check_password("correct horse", a) and auth.check_password("correct horse", b)
    assert not auth.check_password("correct horsE", a)
    for broken in ("", "plain", "md5$x$y", "scrypt$1$1$1$zz$zz", a[:-2]):
        assert not auth.check_password("correct horse", broken)


def test_add_user_then_verify_and_update(tmp_path):
    f = tmp_path / "users.yaml"
    assert auth.add_user(f, "alex", "first-password", name="Alex", org="Knowsley CVS") is True
    assert auth.verify(f, "alex", "first-password").role == "steward"
    assert auth.add_user(f, "alex", "second-password") is False
    with pytest.raises(AuthError):
        auth.verify(f, "alex", "first-password")
    assert auth.verify(f, "alex", "second-password").id == "alex"
    assert auth.display_name(f, "alex") == "Alex"
    assert (f.stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("uid,pw", [("x", "long-enough"), ("Bad Id", "long-enough"), ("ok_id", "short")])
def test_add_user_rejects_bad_ids_and_short_passwords(tmp_path, uid, pw):
    with pytest.raises(AuthError):
        auth.add_user(tmp_path / "u.yaml", uid, pw)


def test_missing_or_broken_users_file(tmp_path):
    with pytest.raises(AuthError):
        auth.verify(tmp_path / "none.yaml", "sam", "demo-sam-2025")
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [1, 2")
    with pytest.raises(AuthError, match="cannot be read"):
        auth.verify(bad, "sam", "demo-sam-2025")


def test_resident_entries_cannot_sign_in(tmp_path):
    """Residents ask anonymously: an entry with only the resident role holds no account role."""
    f = tmp_path / "u.yaml"
    f.write_text(yaml.safe_dump({"users": {"rita": {"role": "resident",
                                                    "password": auth.hash_password("pass-word-1")}}}))
    with pytest.raises(AuthError):
        auth.verify(f, "rita", "pass-word-1")
    with pytest.raises(AuthError, match="Unknown role"):
        auth.add_user(f, "rita", "pass-word-1", roles=["resident"])


def test_the_role_comes_from_the_account(tmp_path):
    f = tmp_path / "u.yaml"
    auth.add_user(f, "both", "pass-word-1", roles=["researcher", "steward"], org="Org A", datasets=["lupus_commons"])
    assert auth.verify(f, "both", "pass-word-1").role == "researcher"           # the first role by default
    assert auth.verify(f, "both", "pass-word-1", "steward").role == "steward"  # narrowed
    with pytest.raises(AuthError, match="does not hold the commercial role"):
        auth.verify(f, "both", "pass-word-1", "commercial")
    acct = auth.account(f, "BOTH")
    assert acct.org == "Org A" and acct.covers("lupus_commons") and not acct.covers("vcse_coop")


def test_cli_users_add_and_list(tmp_path, monkeypatch, capsys):
    from assistant import cli
    f = tmp_path / "u.yaml"
    monkeypatch.setenv("COMMONS_USERS_FILE", str(f))
    monkeypatch.setenv("COMMONS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a-good-password")
    assert cli.main(["users", "add", "jo", "--name", "Jo"]) == 2          # a new account needs a role and an org
    assert cli.main(["users", "add", "jo", "--name", "Jo", "--role", "steward", "--org", "Halton CVS",
                     "--datasets", "vcse_coop"]) == 0
    actor = auth.verify(f, "jo", "a-good-password")
    assert (actor.id, actor.role, actor.org) == ("jo", "steward", "Halton CVS")
    assert auth.account(f, "jo").datasets == ("vcse_coop",)
    answers = iter(["one-password", "other-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["users", "add", "jo"]) == 2  # passwords differ: a usage error, nothing changed
    assert auth.verify(f, "jo", "a-good-password")
    capsys.readouterr()
    assert cli.main(["users", "list", "--json"]) == 0
    listed = __import__("json").loads(capsys.readouterr().out)
    assert listed == [{"id": "jo", "name": "Jo", "roles": ["steward"], "org": "Halton CVS", "email": None,
                       "accreditation": None, "datasets": ["vcse_coop"]}]
    assert "password" not in str(listed)
    events = [r["event"] for r in AuditLog(tmp_path / "home" / "audit.jsonl").records()]
    assert events == ["account_change"]


# -- sign-in with a lockout kept in the governance store ---------------------------------
@pytest.fixture
def accounts(tmp_path):
    f = tmp_path / "u.yaml"
    auth.add_user(f, "lee", "right-password", roles=["researcher"], org="Uni")
    return auth.Accounts(f, tmp_path / "governance.sqlite", AuditLog(tmp_path / "audit.jsonl"))


def test_five_failures_lock_the_id_and_every_attempt_is_audited(accounts):
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError, match="do not match"):
            accounts.sign_in("lee", "wrong-password")
    with pytest.raises(AuthError, match="locked"):
        accounts.sign_in("lee", "right-password")              # the right password, but locked
    with pytest.raises(AuthError, match="locked"):
        accounts.sign_in(" LEE ", "right-password")            # under any spelling
    events = [(r["event"], r.get("user")) for r in accounts.audit.records()]
    assert events == [("sign_in_failed", "lee")] * auth.MAX_FAILURES + [("sign_in_locked", "lee")] * 2
    assert accounts.audit.verify()[0]


def test_the_lock_ends_and_a_success_clears_the_count(accounts, monkeypatch):
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(AuthError):
            accounts.sign_in("lee", "wrong-password")
    assert accounts.sign_in("lee", "right-password").role == "researcher"   # four mistakes are not a lock
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(AuthError):
            accounts.sign_in("lee", "wrong-password")
    assert accounts.locked_until("lee") is None                              # the count started again
    with pytest.raises(AuthError):
        accounts.sign_in("lee", "wrong-password")
    until = accounts.locked_until("lee")
    assert until is not None
    real = auth.time.time
    monkeypatch.setattr(auth.time, "time", lambda: real() + auth.LOCK_S + 1)
    assert accounts.locked_until("lee") is None
    assert accounts.sign_in("lee", "right-password").id == "lee"


def test_unknown_ids_are_locked_and_audited_without_the_typed_text(accounts):
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError):
            accounts.sign_in("someone@example.org", "x")
    assert accounts.locked_until("someone@example.org") is not None
    recs = list(accounts.audit.records())
    assert all(r["user"] == "[not a valid user id]" and r["known"] is False for r in recs[:auth.MAX_FAILURES])
    assert b"someone@example.org" not in accounts.audit.path.read_bytes()


def test_a_role_the_account_lacks_is_refused_and_recorded(accounts):
    with pytest.raises(AuthError, match="does not hold the steward role"):
        accounts.sign_in("lee", "right-password", "steward")
    rec = list(accounts.audit.records())[-1]
    assert rec["event"] == "sign_in_failed" and rec["role"] == "steward" and rec["known"] is True
    assert accounts.locked_until("lee") is None        # not a password failure


def test_the_lockout_holds_across_processes(accounts, tmp_path):
    """Each failure is a row in the governance database: three processes, one count."""
    import subprocess
    import sys
    script = ("import sys; sys.path.insert(0, sys.argv[4]); from guardrails import auth; "
              "from guardrails.audit import AuditLog; from kernel.errors import AuthError\n"
              "a = auth.Accounts(sys.argv[1], sys.argv[2], AuditLog(sys.argv[3]))\n"
              "for _ in range(2):\n"
              "    try: a.sign_in('lee', 'wrong-password')\n"
              "    except AuthError: pass\n")
    args = [str(accounts.users_file), str(accounts.path), str(accounts.audit.path), str(ROOT)]
    for _ in range(3):
        assert subprocess.run([sys.executable, "-c", script, *args], timeout=120).returncode == 0
    with pytest.raises(AuthError, match="locked"):
        accounts.sign_in("lee", "right-password")
    events = [r["event"] for r in accounts.audit.records()]
    # five failures lock the id: the sixth attempt, in the third process, is already refused as locked
    assert events == ["sign_in_failed"] * 5 + ["sign_in_locked"] * 2


# -- a sign-in is a session: an id and a role alone are nobody ----------------------------
def test_a_sign_in_issues_a_session_that_is_the_identity(accounts, tmp_path):
    from dataclasses import replace
    from kernel.types import Actor
    auth.add_user(accounts.users_file, "kim", "right-password", roles=["researcher", "steward"], org="Trust")
    kim = accounts.sign_in("kim", "right-password")
    assert kim.session and accounts.signed(kim).id == "kim"
    assert accounts.signed(replace(kim, role="steward")).holds("steward")          # narrowing within the account
    assert accounts.signed(Actor("kim", "researcher", "Trust")) is None             # typed, never signed in
    assert accounts.signed(replace(kim, role="commercial")) is None                 # a role it does not hold
    assert accounts.signed(replace(kim, id="lee")) is None                          # another id, kim's session
    assert accounts.signed(replace(kim, session="x" * 43)) is None                  # a guessed token
    assert accounts.signed(Actor()) is None                                          # residents need none
    with pytest.raises(AuthError, match="no live sign-in"):
        accounts.require(Actor("kim", "researcher"))
    # the same session is known to another process (another Accounts over the same store)
    other = auth.Accounts(accounts.users_file, accounts.path, accounts.audit)
    assert other.signed(kim).id == "kim"
    assert b"kim.session" not in accounts.path.read_bytes() and kim.session.encode() not in accounts.path.read_bytes()
    # a role taken away in the users file ends what the session may do
    auth.add_user(accounts.users_file, "kim", roles=["steward"])
    assert accounts.signed(kim) is None and accounts.signed(replace(kim, role="steward")) is not None
    accounts.sign_out(kim)
    assert accounts.signed(replace(kim, role="steward")) is None
    assert [r["event"] for r in accounts.audit.records()][-1] == "sign_out"


def test_a_session_ends_after_its_time(accounts, monkeypatch):
    lee = accounts.sign_in("lee", "right-password")
    real = auth.time.time
    monkeypatch.setattr(auth.time, "time", lambda: real() + auth.SESSION_S + 1)
    assert accounts.signed(lee) is None
