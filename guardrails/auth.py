"""Steward sign-in against a local users file (YAML) of salted scrypt password hashes.

The file (``Settings.users_file``, env ``COMMONS_USERS_FILE``, default ``data/stewards.yaml``)::

    users:
      sam:
        name: Sam Okafor
        role: steward
        password: scrypt$16384$8$1$<salt hex>$<hash hex>

Only hashes are stored; ``verify`` recomputes the hash with the stored parameters and
compares in constant time.  Every failure (unknown user, wrong password, unusable file)
raises ``AuthError`` with the same message for a wrong user and a wrong password, so the
sign-in form does not reveal which ids exist.

    commons users add ID       add or update a steward (the password is read with getpass)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

import yaml

from kernel.errors import AuthError
from kernel.types import Actor

SCHEME = "scrypt"
N, R, P = 2 ** 14, 8, 1          # scrypt cost (about 16 MB, ~50 ms per check)
DKLEN = 32
MIN_PASSWORD = 8
USER_ID = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
SIGN_IN_FAILED = "That user id and password do not match a steward of this commons."
# Used when the user id is unknown, so a wrong id costs as much time as a wrong password.
_DUMMY = f"{SCHEME}${N}${R}${P}${'00' * 16}${'00' * DKLEN}"


def hash_password(password: str, salt: bytes | None = None, n: int = N, r: int = R, p: int = P) -> str:
    """``scrypt$N$r$p$salt$hash`` (hex) for storing in the users file."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AuthError(f"A password needs at least {MIN_PASSWORD} characters.")
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=DKLEN,
                            maxmem=128 * r * (n + p + 2) + 1024 * 1024)
    return f"{SCHEME}${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Recompute with the stored salt and parameters; constant-time comparison."""
    try:
        scheme, n, r, p, salt, want = stored.split("$")
        if scheme != SCHEME:
            return False
        n, r, p = int(n), int(r), int(p)
        if not (2 <= n <= 2 ** 20 and 1 <= r <= 32 and 1 <= p <= 16) or len(want) != 2 * DKLEN:
            return False
        got = hashlib.scrypt(str(password).encode("utf-8"), salt=bytes.fromhex(salt), n=n, r=r, p=p,
                             dklen=DKLEN, maxmem=128 * r * (n + p + 2) + 1024 * 1024)
        return hmac.compare_digest(got, bytes.fromhex(want))
    except (ValueError, TypeError, AttributeError):
        return False


def load_users(users_file: Path) -> dict[str, dict]:
    """The ``users`` mapping of the file; a missing file means nobody can sign in."""
    path = Path(users_file)
    if not path.exists():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise AuthError(f"The users file {path} cannot be read: {e}") from None
    users = raw.get("users") if isinstance(raw, dict) else None
    if users is None:
        return {}
    if not isinstance(users, dict):
        raise AuthError(f"The users file {path}: 'users' must be a mapping of user id to entry.")
    out = {}
    for uid, entry in users.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
            raise AuthError(f"The users file {path}: user '{uid}' needs a 'password' hash.")
        out[str(uid)] = entry
    return out


def verify(users_file: Path, user_id: str, password: str) -> Actor:
    """The signed-in steward, or ``AuthError``."""
    uid = (user_id or "").strip().lower()
    users = load_users(users_file)
    entry = users.get(uid)
    ok = check_password(password or "", entry["password"] if entry else _DUMMY)
    if not (entry and ok and entry.get("role", "steward") == "steward"):
        raise AuthError(SIGN_IN_FAILED)
    return Actor(id=uid, role="steward", org=entry.get("org"))


def display_name(users_file: Path, user_id: str) -> str:
    entry = load_users(users_file).get(user_id) or {}
    return str(entry.get("name") or user_id)


def add_user(users_file: Path, user_id: str, password: str, name: str | None = None,
             org: str | None = None) -> bool:
    """Add or update a steward; returns True when the user is new.  Written atomically."""
    uid = (user_id or "").strip().lower()
    if not USER_ID.match(uid):
        raise AuthError("A user id is 2-32 characters: lower-case letters, digits, '.', '_' or '-', "
                        "starting with a letter.")
    path = Path(users_file)
    raw: dict = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as e:
            raise AuthError(f"The users file {path} cannot be read: {e}") from None
    users = raw.setdefault("users", {}) or {}
    raw["users"] = users
    new = uid not in users
    entry = dict(users.get(uid) or {})
    entry.update(role="steward", password=hash_password(password))
    if name:
        entry["name"] = name
    entry.setdefault("name", uid)
    if org:
        entry["org"] = org
    users[uid] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(raw, fh, sort_keys=False, allow_unicode=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return new
