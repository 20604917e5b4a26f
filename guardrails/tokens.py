"""API tokens: each is made by a signed-in account, acts in one role it holds, and may do only its scopes.

    tokens = Tokens(govdb.target(settings), accounts)
    actor = accounts.sign_in("acme", password, "commercial")           # the password, checked
    issued = tokens.create(actor, scopes=("ask", "reviews"), days=90)  # secret shown once
    token = tokens.check(secret, "ask")          # the Token, or AuthError (401) / ScopeError (403)
    caller = tokens.actor(token)                 # who the call is: a session of the account's own
    tokens.revoke(issued.token.id)

A token is ``cmt_<id>_<secret>``: the id is public (listed, revoked, written in the audit
log), the secret is 32 random bytes and is stored only as its SHA-256 (a high-entropy secret
needs no slow hash); checks compare in constant time.  The role comes from the token, never
from a request.  Only an account signed in through ``Accounts.sign_in`` (its password checked,
its lockout counted) can make one, for a role the account holds (or ``resident``, what anyone
may do anonymously); every call with it acts as that account in that role through a session
``Accounts.for_token`` issues while the account still holds the role, so removing a role from
the users file stops the account's tokens in it, and person-level questions need an approved
project of the account exactly as on the command line.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from guardrails import govdb
from kernel import errors
from kernel.errors import CommonsError
from kernel.text import canonical_id
from kernel.types import ROLES, Actor

SCOPES = {
    "ask": "POST /api/v1/ask: questions, through the pipeline",
    "datasets": "GET /api/v1/datasets and /datasets/{id}: the catalogue and datasheets",
    "data": "GET /api/v1/datasets/{id}/data.csv: open data files, with attribution",
    "transparency": "GET /api/v1/transparency/{id}: how a dataset has been used",
    "reviews": "GET /api/v1/reviews/{id} and POST .../fetch: the token's own review requests",
}
DEFAULT_SCOPES = ("ask", "datasets", "data", "transparency", "reviews")
PREFIX = "cmt"


class AuthError(errors.AuthError):
    """No token, an unknown, revoked or expired one; a token whose account is not signed in or
    no longer holds its role (HTTP 401)."""


class ScopeError(CommonsError):
    """A valid token without the scope an action needs (HTTP 403)."""


@dataclass(frozen=True)
class Token:
    id: str
    account: str
    role: str
    scopes: tuple[str, ...]
    created: float
    expires: float | None = None
    revoked: float | None = None
    note: str = ""

    def to_dict(self) -> dict:
        return {"id": self.id, "account": self.account, "role": self.role, "scopes": list(self.scopes),
                "created": _iso(self.created), "expires": _iso(self.expires), "revoked": _iso(self.revoked),
                "note": self.note}


@dataclass(frozen=True)
class Issued:
    token: Token
    secret: str           # shown once, never stored


def _iso(t: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Tokens:
    """The token table in the governance database (SQLite or PostgreSQL; one row per token)."""

    def __init__(self, path: Path | str, accounts=None):
        """``path``: ``govdb.target(settings)``; ``accounts``: the ``guardrails.auth.Accounts`` that
        vouch for the account making a token and give each call its session."""
        self.path = govdb.prepare(path)
        self.accounts = accounts
        con = self._connect()
        try:
            con.execute("""CREATE TABLE IF NOT EXISTS api_tokens (
                id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL, account TEXT NOT NULL, role TEXT NOT NULL,
                scopes TEXT NOT NULL, created REAL NOT NULL, expires REAL, revoked REAL, note TEXT)""")
        finally:
            con.close()
        self._sessions: dict[str, Actor] = {}

    def _connect(self):
        return govdb.connect(self.path)      # SQLite file, or the shared PostgreSQL database

    def _accounts(self):
        if self.accounts is None:
            raise AuthError("API tokens are made and used by accounts: open Tokens with the commons' Accounts.")
        return self.accounts

    def create(self, actor: Actor, role: str | None = None, scopes=DEFAULT_SCOPES, days: float | None = None,
               note: str = "") -> Issued:
        """A token for the account behind ``actor``, which must carry a live sign-in
        (``Accounts.sign_in``), acting in ``role`` (default: the role it signed in with): one the
        account holds, or resident."""
        acct = self._accounts().signed(actor)
        if acct is None:
            raise AuthError("A token is made by a signed-in account: sign in with its password first "
                            "(`commons tokens create --user ID --role R`).")
        account, role = acct.id, role or actor.role
        if role not in ROLES:
            raise AuthError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
        if role != "resident" and not acct.holds(role):
            raise AuthError(f"Account {account} does not hold the {role} role (it holds: {', '.join(acct.roles)}): "
                            "a token acts only in a role its account holds.")
        scopes = tuple(dict.fromkeys(scopes))
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise AuthError(f"Unknown scope {', '.join(unknown) or '(none)'}: scopes are {', '.join(SCOPES)}.")
        tid = secrets.token_hex(6)
        secret = f"{PREFIX}_{tid}_{secrets.token_urlsafe(32)}"
        now = time.time()
        token = Token(tid, account, role, scopes, now, now + days * 86400 if days else None, None, note[:200])
        con = self._connect()
        try:
            con.execute("INSERT INTO api_tokens VALUES (?,?,?,?,?,?,?,?,?)",
                        (tid, _hash(secret), account, role, ",".join(scopes), now, token.expires, None, token.note))
        finally:
            con.close()
        return Issued(token, secret)

    def _row(self, tid: str):
        con = self._connect()
        try:
            return con.execute("SELECT id, secret_sha256, account, role, scopes, created, expires, revoked, note "
                               "FROM api_tokens WHERE id=?", (tid,)).fetchone()
        finally:
            con.close()

    @staticmethod
    def _token(row) -> Token:
        return Token(row[0], row[2], row[3], tuple(s for s in row[4].split(",") if s), row[5], row[6], row[7],
                     row[8] or "")

    def check(self, secret: str | None, scope: str) -> Token:
        """The token for ``secret`` if it is valid now and holds ``scope``."""
        if not secret:
            raise AuthError("This needs an API token: send 'Authorization: Bearer <token>'.")
        parts = secret.split("_")
        row = self._row(parts[1]) if len(parts) >= 3 and parts[0] == PREFIX else None
        expected = row[1] if row else _hash("")
        if not hmac.compare_digest(_hash(secret), expected) or row is None:
            raise AuthError("The API token is not valid.")
        token = self._token(row)
        if token.revoked:
            raise AuthError(f"The API token {token.id} was revoked.")
        if token.expires and token.expires < time.time():
            raise AuthError(f"The API token {token.id} has expired.")
        if scope not in token.scopes:
            raise ScopeError(f"The API token {token.id} does not have the '{scope}' scope "
                             f"(it has: {', '.join(token.scopes)}).")
        return token

    def actor(self, token: Token) -> Actor:
        """Who a call with ``token`` is: its account in its role, with a session of the token's own
        (reused while it is live: ``Accounts.signed``), or AuthError when the account is gone or
        no longer holds the role."""
        accounts = self._accounts()
        actor = self._sessions.get(token.id)
        if actor is not None and (accounts.signed(actor) is not None if actor.role != "resident"
                                  else accounts.get(actor.id) is not None):
            return actor
        try:
            actor = accounts.for_token(token.account, token.role, token.id)
        except errors.AuthError as e:
            raise AuthError(str(e)) from None
        self._sessions[token.id] = actor
        return actor

    def revoke(self, tid: str) -> Token:
        con = self._connect()
        try:
            n = con.execute("UPDATE api_tokens SET revoked=? WHERE id=? AND revoked IS NULL",
                            (time.time(), tid)).rowcount
        finally:
            con.close()
        row = self._row(tid)
        if row is None:
            raise AuthError(f"There is no API token {tid}.")
        if not n:
            raise AuthError(f"The API token {tid} was already revoked.")
        return self._token(row)

    def list(self, account: str | None = None) -> list[Token]:
        con = self._connect()
        try:
            rows = con.execute("SELECT id, secret_sha256, account, role, scopes, created, expires, revoked, note "
                               "FROM api_tokens ORDER BY created").fetchall()
        finally:
            con.close()
        tokens = [self._token(r) for r in rows]
        return [t for t in tokens if account is None or t.account == canonical_id(account)]
