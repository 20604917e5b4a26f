"""Who is using this browser session: the chosen role and purpose, and steward sign-in.

A steward is signed in only when ``st.session_state`` holds a ``StewardSession`` object, and
only ``sign_in`` (a verified password from the users file) or ``sign_in_oidc`` (an identity
provider configured for ``st.login``, mapped to a steward in the users file) creates one.
The browser can set session-state values only through widgets, and a widget value is never
a ``StewardSession``, so no URL, query parameter or widget can make a session a steward's.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import streamlit as st

from kernel.types import ROLES, Actor
from guardrails.policy import PURPOSES
from guardrails import auth
from kernel.errors import AuthError

_KEY = "_commons_steward_session"          # no widget uses this key
PUBLIC_ROLES = tuple(r for r in ROLES if r != "steward")   # steward comes only from signing in
PUBLIC_PURPOSES = tuple(p for p in PURPOSES if p != "stewardship")
MAX_FAILURES, WINDOW_S = 5, 300             # sign-in throttle per user id (per server)


@dataclass(frozen=True)
class StewardSession:
    actor: Actor
    name: str
    via: str                                 # "password" | "identity provider"
    signed_in_at: float


_failures: dict[str, list[float]] = {}
_failures_lock = threading.Lock()


def init() -> None:
    state = st.session_state
    state.setdefault("user_id", "web-" + uuid.uuid4().hex[:8])
    state.setdefault("conversation_id", uuid.uuid4().hex)


def steward() -> StewardSession | None:
    s = st.session_state.get(_KEY)
    return s if isinstance(s, StewardSession) and s.actor.role == "steward" else None


def purpose() -> str:
    p = st.session_state.get("purpose")
    return p if p in PURPOSES else "personal"


def actor() -> Actor:
    """The actor for questions asked from this session."""
    s = steward()
    if s:
        return s.actor
    role = st.session_state.get("role")
    return Actor(id=st.session_state.get("user_id", "anonymous"),
                 role=role if role in PUBLIC_ROLES else "resident")


def requester() -> Actor:
    """This browser's own requester identity (the one its review requests belong to)."""
    return Actor(id=st.session_state.get("user_id", "anonymous"), role=st.session_state.get("role", "resident"))


def _throttled(uid: str) -> bool:
    now = time.monotonic()
    with _failures_lock:
        recent = [t for t in _failures.get(uid, []) if now - t < WINDOW_S]
        _failures[uid] = recent
        return len(recent) >= MAX_FAILURES


def _failed(uid: str) -> None:
    with _failures_lock:
        _failures.setdefault(uid, []).append(time.monotonic())


def sign_in(users_file, user_id: str, password: str) -> StewardSession:
    """Verify against the users file and mark this session signed in (AuthError otherwise)."""
    uid = (user_id or "").strip().lower()
    if _throttled(uid):
        raise AuthError("Too many failed sign-ins for this user id. Wait a few minutes and try again.")
    try:
        who = auth.verify(users_file, uid, password)
    except AuthError:
        _failed(uid)
        raise
    session = StewardSession(who, auth.display_name(users_file, who.id), "password", time.time())
    st.session_state[_KEY] = session
    return session


def oidc_configured() -> bool:
    """True when secrets configure an identity provider for ``st.login``."""
    try:
        return "auth" in st.secrets and bool(st.secrets["auth"])
    except Exception:  # no secrets.toml at all
        return False


def sign_in_oidc(users_file) -> StewardSession | None:
    """After ``st.login``: the steward whose ``email`` in the users file matches the identity."""
    user = getattr(st, "user", None)
    if not user or not getattr(user, "is_logged_in", False):
        return None
    email = str(user.get("email") or "").lower()
    for uid, entry in auth.load_users(users_file).items():
        if email and str(entry.get("email", "")).lower() == email and entry.get("role", "steward") == "steward":
            session = StewardSession(Actor(id=uid, role="steward", org=entry.get("org")),
                                     str(entry.get("name") or uid), "identity provider", time.time())
            st.session_state[_KEY] = session
            return session
    return None


def sign_out() -> None:
    st.session_state.pop(_KEY, None)
    for k in [k for k in st.session_state if str(k).startswith("desk_")]:
        del st.session_state[k]
