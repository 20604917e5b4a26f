"""Who is using this browser session: an anonymous resident, or a signed-in account.

Anyone asks as a resident, anonymously (a random id per session).  Every other role comes from
an account that has signed in: ``st.session_state`` holds a ``SignedIn`` object, and only
``sign_in`` (a password checked by ``Accounts.sign_in``: the lockout in the governance store,
every attempt audited) or ``sign_in_oidc`` (an identity provider configured for ``st.login``,
mapped to an account by its e-mail) creates one.  The browser can set session-state values only
through widgets, and a widget value is never a ``SignedIn``, so no URL, query parameter or widget
can lend a session a role; the role picker offers only the roles the account holds, and the
actor it gives carries the sign-in's session, which the pipeline checks again.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace

import streamlit as st

from guardrails.auth import Accounts
from guardrails.policy import PURPOSES
from guardrails.projects import REQUESTER_ROLES  # noqa: F401 - the roles that submit projects
from kernel.types import ROLES, Actor

_KEY = "_commons_signed_in"                 # no widget uses this key
LANDING = "_commons_just_signed_in"         # after a sign-in, the app opens the account's own page
PUBLIC_ROLES = tuple(r for r in ROLES if r != "steward")   # the roles a contributed datasheet may list
PUBLIC_PURPOSES = tuple(p for p in PURPOSES if p != "stewardship")


@dataclass(frozen=True)
class SignedIn:
    actor: Actor                             # as signed in (its first role), with the session
    name: str
    roles: tuple[str, ...]
    via: str                                 # "password" | "identity provider"
    signed_in_at: float


def init() -> None:
    state = st.session_state
    state.setdefault("user_id", "web-" + uuid.uuid4().hex[:8])
    state.setdefault("conversation_id", uuid.uuid4().hex)


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
