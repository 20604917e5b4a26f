"""Accounts and sign-in: a local users file (YAML) of salted scrypt password hashes.

Everyone but an anonymous resident signs in: providers, researchers, commercial users,
stewards, member representatives and evaluators.  The file (``Settings.users_file``, env
``COMMONS_USERS_FILE``, default ``data/users.yaml``)::

    users:
      priya:
        name: Priya Shah
        roles: [steward]                 # one or more of kernel.types.ACCOUNT_ROLES
        org: Merseyside Lupus Commons
        email: priya@lupus-commons.example      # optional; st.login matches on it
        accreditation: ONS Accredited Researcher  # optional
        datasets: [lupus_commons]        # a steward's or member representative's datasets
        password: scrypt$16384$8$1$<salt hex>$<hash hex>

``datasets: [open]`` stands for every open dataset (the open-data desk).  A single ``role:``
is read as ``roles: [role]``.

Only hashes are stored; ``check_password`` recomputes the hash with the stored parameters and
compares in constant time.  ``Accounts.sign_in`` is the one way in for the command line and
the app: five failed sign-ins for an id within five minutes lock it for five minutes, counted
in the governance database (so the lockout holds across processes and restarts), and every
sign-in, failed sign-in and locked sign-in is an audit record.  A wrong id and a wrong password
get the same message, so the sign-in form does not reveal which ids exist.  The role comes
from the account: asking for a role the account does not hold is refused.

A sign-in issues a session: a random token (only its SHA-256 is kept, in the governance
database) carried by the returned ``Actor``.  ``Accounts.signed`` is how the pipeline and
stewardship know who is asking: an actor in any role but resident counts only with a live
session issued for its id, in a role the account (as the users file has it now) holds.  An id
and a role written into a request, a batch line or a hand-built ``Actor`` are never an identity.
An API token (``guardrails.tokens``) is made by an account that has signed in, for one role it
holds; ``for_token`` gives each token a session of its own while the account still holds it.
The lockout rows and the sessions live in the governance database (``guardrails.govdb``: the
SQLite file, or PostgreSQL shared by every instance).

    commons users add ID --role R --org ORG [--datasets ...]   (the password is read with getpass)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from guardrails import govdb
from guardrails.participants import PARTICIPATION_DB, Register, canonical_ref
from guardrails.inbound import sanitise_for_storage
from kernel.errors import AuthError
from kernel.text import canonical_id, person_key
from kernel.types import ACCOUNT_ROLES, Actor

SCHEME = "scrypt"
N, R, P = 2 ** 14, 8, 1          # scrypt cost (about 16 MB, ~50 ms per check)
DKLEN = 32
MIN_PASSWORD = 8
USER_ID = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
SIGN_IN_FAILED = "That user id and password do not match an account of this commons."
LOCKED = ("Too many failed sign-ins for this user id: it is locked for a few minutes. Wait and try again, "
          "or ask a steward.")
MAX_FAILURES, LOCK_S = 5, 300    # five failures within five minutes lock the id for five minutes
SESSION_S = 12 * 3600            # a sign-in lasts twelve hours (or until signed out)
NOT_SIGNED_IN = ("Every role but resident comes from a signed-in account, and this request carries no live "
                 "sign-in for it: sign in (--user ID, or Sign in in the app) and ask again.")
OPEN_DATA = "open"               # in a steward's datasets: every open dataset
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    def ignore_aliases(self, data):        # each account written out in full, no &anchors
        return True


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


def org_key(org: object) -> str:
    """An organisation as compared for conflicts of interest (case, spacing and punctuation aside)."""
    return person_key(org) if org else ""


def same_org(org: object, kept: object) -> bool:
    """Whether an account's organisation ``org`` is the one ``kept`` names, where ``kept`` may
    have been stored through ``sanitise_for_storage`` (which replaces a run of digits, such as a
    company number in an organisation's name): compared as written and as it would be kept, so
    a steward of 'Acme 12345678 Ltd' is never independent of a project kept as 'Acme <NUMBER> Ltd'."""
    mine = org_key(org)
    if not mine or not org_key(kept):
        return False
    return mine == org_key(kept) or org_key(sanitise_for_storage(str(org))) == org_key(kept)


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    roles: tuple[str, ...]
    org: str | None = None
    email: str | None = None
    accreditation: str | None = None
    datasets: tuple[str, ...] = ()

    def holds(self, role: str) -> bool:
        return role in self.roles

    def covers(self, dataset: str, sensitivity: str = "personal") -> bool:
        """True when the account stewards or represents ``dataset`` (``open``: every open dataset)."""
        return dataset in self.datasets or (OPEN_DATA in self.datasets and sensitivity == "open")

    def actor(self, role: str | None = None) -> Actor:
        """This account acting in ``role`` (default: its first role); AuthError for a role it lacks."""
        role = role or self.roles[0]
        if not self.holds(role):
            raise AuthError(f"Account {self.id} does not hold the {role} role (it holds: {', '.join(self.roles)}). "
                            "A role comes from the account, never from a flag or the question.")
        return Actor(id=self.id, role=role, org=self.org)

    @property
    def person(self) -> str:
        """Who the account belongs to, for 'one person, one approval': the e-mail if given, else the id."""
        return canonical_id(self.email) if self.email else person_key(self.id)


_cache: dict[str, tuple[tuple, dict]] = {}
_raw_cache: dict[str, tuple[tuple, dict]] = {}
_cache_lock = threading.Lock()


def _read(path: Path) -> dict:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as e:
        raise AuthError(f"The users file {path} cannot be read: {e}") from None
    if not isinstance(raw, dict):
        raise AuthError(f"The users file {path} must be a YAML mapping with a 'users' key.")
    return raw


def _stat_key(path: Path) -> tuple:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _cached_raw(path: Path) -> dict | None:
    """The parsed file as last read or written by this process, while the file is unchanged
    (a shallow copy: callers replace entries, never edit them)."""
    try:
        key = _stat_key(path)
    except OSError:
        return None
    with _cache_lock:
        hit = _raw_cache.get(str(path))
    if hit and hit[0] == key:
        return {**hit[1], "users": dict(hit[1].get("users") or {})}
    return None


def load_users(users_file: Path) -> dict[str, dict]:
    """The ``users`` mapping of the file (cached until the file changes); a missing file means
    nobody can sign in."""
    path = Path(users_file)
    try:
        key = _stat_key(path)
    except OSError:
        return {}
    with _cache_lock:
        hit = _cache.get(str(path))
        if hit and hit[0] == key:
            return hit[1]
    raw = _cached_raw(path)
    return _remember(path, key, raw if raw is not None else _read(path))


def _remember(path: Path, key: tuple, raw: dict) -> dict[str, dict]:
    """Check the file's ``users`` mapping and cache it (and the parsed file) under ``key``."""
    users = raw.get("users")
    if users is None:
        users = {}
    if not isinstance(users, dict):
        raise AuthError(f"The users file {path}: 'users' must be a mapping of user id to entry.")
    out = {}
    for uid, entry in users.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
            raise AuthError(f"The users file {path}: user '{uid}' needs a 'password' hash.")
        out[canonical_id(uid)] = entry
    with _cache_lock:
        _cache[str(path)] = (key, out)
        _raw_cache[str(path)] = (key, raw)
    return out


def _account(uid: str, entry: dict) -> Account:
    roles = entry.get("roles", entry.get("role"))
    roles = [roles] if isinstance(roles, str) else list(roles or [])
    datasets = entry.get("datasets") or []
    return Account(id=uid, name=str(entry.get("name") or uid),
                   roles=tuple(r for r in (str(x) for x in roles) if r in ACCOUNT_ROLES),
                   org=str(entry["org"]) if entry.get("org") else None,
                   email=str(entry["email"]).lower() if entry.get("email") else None,
                   accreditation=str(entry["accreditation"]) if entry.get("accreditation") else None,
                   datasets=tuple(str(d) for d in (datasets if isinstance(datasets, list) else [datasets])))


def account(users_file: Path, user_id: str) -> Account | None:
    """The account with this id (any spelling), or None."""
    entry = load_users(users_file).get(canonical_id(user_id))
    return _account(canonical_id(user_id), entry) if entry else None


def accounts(users_file: Path) -> list[Account]:
    return [_account(uid, e) for uid, e in load_users(users_file).items()]


def verify(users_file: Path, user_id: str, password: str, role: str | None = None) -> Actor:
    """Check a password (no lockout, no audit: ``Accounts.sign_in`` adds those) and return the
    account acting in ``role`` (default its first role); ``AuthError`` otherwise."""
    uid = canonical_id(user_id)
    entry = load_users(users_file).get(uid)
    ok = check_password(password or "", entry["password"] if entry else _DUMMY)
    acct = _account(uid, entry) if entry else None
    if not (entry and ok and acct.roles):
        raise AuthError(SIGN_IN_FAILED)
    return acct.actor(role)


def display_name(users_file: Path, user_id: str) -> str:
    acct = account(users_file, user_id)
    return acct.name if acct else str(user_id)


def add_user(users_file: Path, user_id: str, password: str | None = None, name: str | None = None,
             org: str | None = None, roles: list[str] | tuple[str, ...] | None = None,
             datasets: list[str] | tuple[str, ...] | None = None, email: str | None = None,
             accreditation: str | None = None, password_hash: str | None = None) -> bool:
    """Add or update an account; True when it is new.  Written atomically (mode 0600).  Roles
    default to what the account holds already (a new account: steward).  ``password_hash`` is
    for tools that create many throwaway accounts (the evaluation sandbox) with one hash."""
    uid = (user_id or "").strip().lower()
    if not USER_ID.match(uid):
        raise AuthError("A user id is 2-32 characters: lower-case letters, digits, '.', '_' or '-', "
                        "starting with a letter.")
    bad = [r for r in roles or () if r not in ACCOUNT_ROLES]
    if bad:
        raise AuthError(f"Unknown role {bad[0]!r}: accounts hold one or more of {', '.join(ACCOUNT_ROLES)} "
                        "(residents ask anonymously and need no account).")
    if email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise AuthError(f"{email!r} is not an e-mail address.")
    path = Path(users_file)
    raw = (_cached_raw(path) or _read(path)) if path.exists() else {}
    # the file's leading comment block (what it is, that the demo passwords are published) is kept
    header = "".join(line for line in _leading_comments(path)) if path.exists() else ""
    users = raw.get("users") or {}
    raw["users"] = users
    new = uid not in users
    entry = dict(users.get(uid) or {})
    held = entry.pop("role", None)
    entry["roles"] = list(roles or entry.get("roles") or ([held] if held else ["steward"]))
    entry["password"] = password_hash or (hash_password(password) if password is not None else entry.get("password"))
    if not entry["password"]:
        raise AuthError(f"A new account needs a password ({uid}).")
    for key, value in (("name", name), ("org", org), ("email", email and email.lower()),
                       ("accreditation", accreditation)):
        if value:
            entry[key] = value
    if datasets is not None:
        entry["datasets"] = list(datasets)
    entry.setdefault("name", uid)
    users[uid] = {k: entry[k] for k in ("name", "roles", "org", "email", "accreditation", "datasets", "password")
                  if k in entry}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(header)
            yaml.dump(raw, fh, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None,
                      width=200)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    try:
        _remember(path, _stat_key(path), raw)      # what was just written: no need to parse it again
    except (OSError, AuthError):
        pass
    return new


def _leading_comments(path: Path) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            out.append(line)
    return out


class Accounts:
    """Sign-in with a lockout kept in the governance database and every attempt audited."""

    def __init__(self, users_file: Path, governance_db, audit):
        """``governance_db``: ``govdb.target(settings)``, the SQLite file or the PostgreSQL URL."""
        self.users_file = Path(users_file)
        self.path = govdb.prepare(governance_db)
        self.audit = audit
        con = self._connect()
        try:
            con.execute("CREATE TABLE IF NOT EXISTS sign_in_failures (who TEXT NOT NULL, ts REAL NOT NULL)")
            con.execute("CREATE INDEX IF NOT EXISTS sign_in_failures_who ON sign_in_failures (who, ts)")
            con.execute("CREATE TABLE IF NOT EXISTS sessions (token TEXT PRIMARY KEY, who TEXT NOT NULL, "
                        "issued REAL NOT NULL, expires REAL NOT NULL, via TEXT)")
        finally:
            con.close()

    def _connect(self):
        return govdb.connect(self.path)      # SQLite file, or the shared PostgreSQL database

    def get(self, user_id: str) -> Account | None:
        return account(self.users_file, user_id)

    def all(self) -> list[Account]:
        return accounts(self.users_file)

    def locked_until(self, user_id: str, now: float | None = None) -> float | None:
        """When the id's lock ends (epoch seconds), or None when it is not locked."""
        now = time.time() if now is None else now
        con = self._connect()
        try:
            rows = [t for (t,) in con.execute("SELECT ts FROM sign_in_failures WHERE who=? AND ts>? ORDER BY ts",
                                              (person_key(user_id), now - LOCK_S))]
        finally:
            con.close()
        return rows[-MAX_FAILURES] + LOCK_S if len(rows) >= MAX_FAILURES else None

    def sign_in(self, user_id: str, password: str, role: str | None = None, via: str = "password") -> Actor:
        """The signed-in account acting in ``role`` (default: its first role), or AuthError.
        Locked ids are refused before the password is looked at."""
        uid = canonical_id(user_id)
        # an id the users file does not hold is never kept as typed (it may be a name, or a password
        # typed in the wrong field): a short digest lets repeated attempts on one id be seen
        shown = uid if USER_ID.match(uid) and self.get(uid) is not None else (
            f"[unknown user id {hashlib.sha256(uid.encode()).hexdigest()[:8]}]" if uid else "[not a valid user id]")
        if self.locked_until(uid) is not None:
            check_password(password or "", _DUMMY)       # the same cost as a real check
            self.audit.append("sign_in_locked", user=shown, via=via)
            raise AuthError(LOCKED)
        try:
            actor = verify(self.users_file, uid, password)
        except AuthError as e:
            self._fail(uid)
            self.audit.append("sign_in_failed", user=shown, via=via, known=self.get(uid) is not None)
            raise AuthError(SIGN_IN_FAILED) from e
        acct = self.get(uid)
        if role is not None and not acct.holds(role):
            # the password was right: not a failure to count, but a claim to refuse and record
            self.audit.append("sign_in_failed", user=uid, via=via, known=True, role=role,
                              reason="role not held by the account")
            raise AuthError(f"Account {uid} does not hold the {role} role (it holds: {', '.join(acct.roles)}). "
                            "--role can only narrow what the account holds.")
        self._clear(uid)
        actor = acct.actor(role)
        self.audit.append("sign_in", user=uid, role=actor.role, org=actor.org, via=via)
        return replace(actor, session=self._issue(uid, via))

    def signed_in_by_identity(self, email: str, role: str | None = None) -> Actor | None:
        """An identity provider's verified e-mail (``st.login``) -> the account with that e-mail."""
        email = (email or "").strip().lower()
        acct = next((a for a in self.all() if email and a.email == email), None)
        if acct is None or not acct.roles:
            self.audit.append("sign_in_failed", user="[identity provider]", via="identity provider", known=False)
            return None
        actor = acct.actor(role if role and acct.holds(role) else None)
        self.audit.append("sign_in", user=acct.id, role=actor.role, org=actor.org, via="identity provider")
        return replace(actor, session=self._issue(acct.id, "identity provider"))

    def sign_in_participant(self, ref: str, secret: str) -> Actor:
        """A contributor of a person-level dataset, signed in with the participation reference and
        secret issued at ingestion (``guardrails.participants``): the same lockout, audit and
        sessions as an account.  The actor's role is ``participant`` and its id the reference."""
        ref = canonical_ref(ref)
        shown = ref if re.fullmatch(r"PT-[A-Z2-7]{4}-[A-Z2-7]{4}", ref) else "[not a participation reference]"
        if self.locked_until(ref) is not None:
            self.audit.append("sign_in_locked", user=shown, via="participation")
            raise AuthError(LOCKED)
        who = Register(self.path.with_name(PARTICIPATION_DB)).verify(ref, secret)
        if who is None:
            self._fail(ref)
            self.audit.append("sign_in_failed", user=shown, via="participation", known=None)
            raise AuthError("That participation reference and secret do not match a participant of this commons.")
        self._clear(ref)
        self.audit.append("sign_in", user=ref, role="participant", org=who.dataset, via="participation")
        return Actor(id=ref, role="participant", org=who.dataset, session=self._issue(canonical_id(ref),
                                                                                      "participation"))

    def for_token(self, uid: str, role: str, token_id: str) -> Actor:
        """The account ``uid`` acting in ``role`` through API token ``token_id`` (``guardrails.tokens``:
        made by the account after signing in): a session of its own (via ``api token <id>``,
        audited as a sign-in), issued only while the account exists and holds ``role`` as the users
        file has it now; a resident token acts as the account's anonymous-level self, with no
        session.  AuthError when the account is gone or no longer holds the role."""
        acct = self.get(uid)
        if acct is None:
            raise AuthError(f"The account {uid} behind API token {token_id} no longer exists.")
        if role == "resident":
            return Actor(id=acct.id, role="resident")
        if not acct.holds(role):
            raise AuthError(f"The account {acct.id} behind API token {token_id} no longer holds the {role} role.")
        via = f"api token {token_id}"
        actor = acct.actor(role)
        self.audit.append("sign_in", user=acct.id, role=role, org=actor.org, via=via)
        return replace(actor, session=self._issue(acct.id, via))

    # -- sessions -----------------------------------------------------------------------------
    @staticmethod
    def _digest(token: str) -> str:
        return hashlib.sha256(str(token).encode("utf-8", "replace")).hexdigest()

    def _issue(self, uid: str, via: str) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        con = self._connect()
        try:
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (self._digest(token), uid, now, now + SESSION_S,
                                                                        via))
            con.execute("DELETE FROM sessions WHERE expires < ?", (now,))
        finally:
            con.close()
        return token

    def signed(self, actor: Actor) -> Account | None:
        """The account behind ``actor`` when it carries a live session issued to its id and the
        account (as the users file has it now) holds its role; None otherwise, and for residents."""
        token = getattr(actor, "session", "")
        if not token or actor.role == "resident":
            return None
        con = self._connect()
        try:
            row = con.execute("SELECT who, expires, via FROM sessions WHERE token=?",
                              (self._digest(token),)).fetchone()
        finally:
            con.close()
        if row is None or row[1] < time.time() or row[0] != canonical_id(actor.id):
            return None
        if (actor.role == "participant") != (row[2] == "participation"):
            return None          # a participant's session is never an account's, nor the reverse
        if actor.role == "participant":
            who = Register(self.path.with_name(PARTICIPATION_DB)).get(row[0])
            return None if who is None else Account(id=row[0], name=f"Participant {who.ref}", roles=("participant",),
                                                    org=who.dataset, datasets=(who.dataset,))
        acct = self.get(row[0])
        return acct if acct is not None and acct.holds(actor.role) else None

    def require(self, actor: Actor, role: str | None = None) -> Account:
        """``signed(actor)`` acting in ``role`` (default its own), or AuthError."""
        acct = self.signed(actor)
        if acct is None or (role is not None and actor.role != role):
            raise AuthError(NOT_SIGNED_IN if acct is None else
                            f"This needs the {role} role; you are signed in as a {actor.role}.")
        return acct

    def sign_out(self, actor: Actor) -> None:
        """End ``actor``'s session (audited); nothing to do for one that has none."""
        token = getattr(actor, "session", "")
        if not token:
            return
        con = self._connect()
        try:
            gone = con.execute("DELETE FROM sessions WHERE token=?", (self._digest(token),)).rowcount
        finally:
            con.close()
        if gone:
            self.audit.append("sign_out", user=actor.id, role=actor.role)

    def _fail(self, uid: str) -> None:
        con = self._connect()
        try:
            con.execute("INSERT INTO sign_in_failures VALUES (?, ?)", (person_key(uid), time.time()))
            con.execute("DELETE FROM sign_in_failures WHERE ts < ?", (time.time() - 7 * 86400,))
        finally:
            con.close()

    def _clear(self, uid: str) -> None:
        con = self._connect()
        try:
            con.execute("DELETE FROM sign_in_failures WHERE who=?", (person_key(uid),))
        finally:
            con.close()
