"""API tokens: each belongs to an account, acts in one role, and may do only its scopes.

    tokens = Tokens(governance.target(settings))
    issued = tokens.create("acme", "commercial", ("ask", "reviews"), days=90)   # secret shown once
    token = tokens.check(secret, "ask")          # the Token, or AuthError (401) / ScopeError (403)
    tokens.revoke(issued.token.id)

A token is ``cmt_<id>_<secret>``: the id is public (listed, revoked, written in the audit
log), the secret is 32 random bytes and is stored only as its SHA-256 (a high-entropy secret
needs no slow hash); checks compare in constant time.  The role comes from the token, never
from a request, and ``steward`` only for an account in the users file (whose password the
CLI asks for before creating one).  Until accounts for every role arrive (the "safe people"
work), the operator who creates a token vouches for the account's role; ``account_check`` is
the hook where the accounts registry plugs in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from guardrails import governance
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


class AuthError(CommonsError):
    """No token, an unknown, revoked or expired one (HTTP 401)."""


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

    @property
    def actor(self) -> Actor:
        return Actor(id=self.account, role=self.role)

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

    def __init__(self, path: Path | str, account_check: Callable[[str, str], None] | None = None):
        self.path = governance.prepare(path)
        self.account_check = account_check
        con = self._connect()
        try:
            con.execute("""CREATE TABLE IF NOT EXISTS api_tokens (
                id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL, account TEXT NOT NULL, role TEXT NOT NULL,
                scopes TEXT NOT NULL, created REAL NOT NULL, expires REAL, revoked REAL, note TEXT)""")
        finally:
            con.close()

    def _connect(self):
        return governance.connect(self.path)      # SQLite file, or the shared PostgreSQL database

    def create(self, account: str, role: str, scopes=DEFAULT_SCOPES, days: float | None = None,
               note: str = "") -> Issued:
        account = canonical_id(account)
        if not account or account == "anonymous":
            raise AuthError("A token belongs to an account: give its user id.")
        if role not in ROLES:
            raise AuthError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
        scopes = tuple(dict.fromkeys(scopes))
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise AuthError(f"Unknown scope {', '.join(unknown) or '(none)'}: scopes are {', '.join(SCOPES)}.")
        if self.account_check is not None:
            self.account_check(account, role)
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
