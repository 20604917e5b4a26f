"""Steward sign-in: salted scrypt hashes in a local users file, constant-time checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kernel.errors import AuthError
from guardrails import auth

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "stewards.yaml"


def test_shipped_demo_stewards_sign_in_with_the_documented_passwords():
    for uid, pw in (("sam", "demo-sam-2025"), ("priya", "demo-priya-2025")):
        actor = auth.verify(SHIPPED, uid, pw)
        assert actor.id == uid and actor.role == "steward"
    readme = (ROOT / "README.md").read_text()
    assert "demo-sam-2025" in readme and "demo-priya-2025" in readme


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
    assert auth.add_user(f, "alex", "first-password", name="Alex") is True
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


def test_non_steward_entries_cannot_sign_in(tmp_path):
    f = tmp_path / "u.yaml"
    f.write_text(yaml.safe_dump({"users": {"rita": {"role": "resident",
                                                    "password": auth.hash_password("pass-word-1")}}}))
    with pytest.raises(AuthError):
        auth.verify(f, "rita", "pass-word-1")


def test_cli_users_add(tmp_path, monkeypatch):
    from assistant import cli
    f = tmp_path / "u.yaml"
    monkeypatch.setenv("COMMONS_USERS_FILE", str(f))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "a-good-password")
    assert cli.main(["users", "add", "jo", "--name", "Jo"]) == 0
    assert auth.verify(f, "jo", "a-good-password").id == "jo"
    answers = iter(["one-password", "other-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["users", "add", "jo"]) == 2  # passwords differ: a usage error, nothing changed
    assert auth.verify(f, "jo", "a-good-password")
