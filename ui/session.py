"""Who is using this browser session: an anonymous resident known by the browser's identity, or a
signed-in account.

A browser is known by a random key in a first-party cookie (``commons_browser``, SameSite=Strict,
kept as long as transcripts are), so a reload finds its conversation and its requests again.
The key never leaves the server except in that cookie; the transcript store knows it by its
hash, and the requester id of its questions (``web-`` + 16 hex digits) is derived from that hash.

Anyone asks as a resident, anonymously (the browser's id).  Every other role comes from
an account that has signed in: ``st.session_state`` holds a ``SignedIn`` object, and only
``sign_in`` (a password checked by ``Accounts.sign_in``: the lockout in the governance store,
every attempt audited) or ``sign_in_oidc`` (an identity provider configured for ``st.login``,
mapped to an account by its e-mail) creates one.  The browser can set session-state values only
through widgets, and a widget value is never a ``SignedIn``, so no URL, query parameter or widget
can lend a session a role; the role picker offers only the roles the account holds, and the
actor it gives carries the sign-in's session, which the pipeline checks again.

A signed-in account's conversation is kept apart from the browser's (``owner``): what was
answered to an account is shown again only to that account signed in, never to the browser
once it has signed out.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from dataclasses import asdict, dataclass, replace

import streamlit as st

from assistant.references import browser_actor_id
from assistant.transcripts import owner_key
from guardrails.auth import Accounts
from guardrails.policy import PURPOSES
from guardrails.projects import REQUESTER_ROLES  # noqa: F401 - the roles that submit projects
from kernel.types import ROLES, Actor

_KEY = "_commons_signed_in"                 # no widget uses this key
LANDING = "_commons_just_signed_in"         # after a sign-in, the app opens the account's own page
DATASHEET_ROLES = tuple(r for r in ROLES if r != "steward")   # the roles a contributed datasheet may list
PUBLIC_PURPOSES = tuple(p for p in PURPOSES if p != "stewardship")


@dataclass(frozen=True)
class SignedIn:
    actor: Actor                             # as signed in (its first role), with the session
    name: str
    roles: tuple[str, ...]
    via: str                                 # "password" | "identity provider"
    signed_in_at: float


COOKIE = "commons_browser"
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")
_BROWSER = "_commons_browser_owner"        # no widget uses this key


def init() -> None:
    state = st.session_state
    if not isinstance(state.get(_BROWSER), str):
        key = str(st.context.cookies.get(COOKIE) or "")
        if not _KEY_SHAPE.fullmatch(key):
            key = secrets.token_urlsafe(24)
            state["_commons_set_cookie"] = key
        state[_BROWSER] = owner_key(key)
    state["user_id"] = browser_actor_id(state[_BROWSER])
    state.setdefault("conversation_id", uuid.uuid4().hex)


def owner() -> str:
    """Whose transcript this session reads and writes: the browser's (a hash of its cookie), or
    the signed-in account's (so an account's answers never stay with the browser after it signs
    out)."""
    s = signed_in()
    if s is not None:
        return owner_key(f"account:{s.actor.id}")
    return st.session_state[_BROWSER]


def write_cookie(days: int) -> None:
    """Give a new browser its key (once per session; nothing to do when it came with one)."""
    key = st.session_state.pop("_commons_set_cookie", None)
    if key:
        st.html(f"<script>document.cookie = '{COOKIE}={key}; path=/; max-age={int(days) * 86400}; "
                "SameSite=Strict';</script>", unsafe_allow_javascript=True)


def kept(who: Actor) -> dict:
    """An actor as a transcript keeps it: never the sign-in's session token."""
    return {k: v for k, v in asdict(who).items() if k != "session"}


def signed_in() -> SignedIn | None:
    s = st.session_state.get(_KEY)
    return s if isinstance(s, SignedIn) else None


def role() -> str:
    """The role this session acts in: one the signed-in account holds, else resident."""
    s = signed_in()
    if s is None:
        return "resident"
    chosen = st.session_state.get("role")
    return chosen if chosen in s.roles else s.roles[0]


def holds(r: str) -> bool:
    s = signed_in()
    return s is not None and r in s.roles


def actor(as_role: str | None = None) -> Actor:
    """The actor for what this session does: the signed-in account in its chosen role (or
    ``as_role``, one it holds), or an anonymous resident."""
    s = signed_in()
    if s is None:
        return Actor(id=st.session_state.get("user_id", "anonymous"))
    r = as_role if as_role in s.roles else role()
    return replace(s.actor, role=r)


def steward() -> SignedIn | None:
    """The signed-in session when its account holds the steward role (the desk's check)."""
    s = signed_in()
    return s if s is not None and "steward" in s.roles else None


def requester() -> Actor:
    """Who review requests made in this session belong to (the same actor that asked)."""
    return actor()


def project_id() -> str | None:
    """The project chosen on the Ask page (a signed-in requester's; checked by the pipeline)."""
    pid = st.session_state.get("project")
    return pid if signed_in() is not None and isinstance(pid, str) and pid else None


def purpose() -> str:
    p = st.session_state.get("purpose")
    return p if p in PURPOSES else "personal"


def _signed(accounts: Accounts, who: Actor, via: str) -> SignedIn:
    acct = accounts.get(who.id)
    session = SignedIn(who, acct.name, acct.roles, via, time.time())
    st.session_state[_KEY] = session
    st.session_state["role"] = who.role
    st.session_state[LANDING] = True
    return session


def sign_in(accounts: Accounts, user_id: str, password: str) -> SignedIn:
    """Check the password with ``Accounts.sign_in`` (lockout, audit) and mark this session
    signed in (AuthError otherwise)."""
    return _signed(accounts, accounts.sign_in(user_id, password, via="app"), "password")


def oidc_configured() -> bool:
    """True when secrets configure an identity provider for ``st.login``."""
    try:
        return "auth" in st.secrets and bool(st.secrets["auth"])
    except Exception:  # noqa: BLE001 - no secrets.toml at all
        return False


def sign_in_oidc(accounts: Accounts) -> SignedIn | None:
    """After ``st.login``: the account whose ``email`` in the users file matches the identity."""
    user = getattr(st, "user", None)
    if not user or not getattr(user, "is_logged_in", False):
        return None
    who = accounts.signed_in_by_identity(str(user.get("email") or ""))
    return _signed(accounts, who, "identity provider") if who else None


def sign_out(accounts: Accounts) -> None:
    s = signed_in()
    if s is not None:
        accounts.sign_out(s.actor)
    st.session_state.pop(_KEY, None)
    for k in [k for k in st.session_state if str(k).startswith(("desk_", "proj_", "panel_"))
              or k in ("role", "project")]:
        del st.session_state[k]
