"""Who is using this browser session: the browser's identity, the chosen role and purpose, and
steward sign-in.

A browser is known by a random key in a first-party cookie (``commons_browser``, SameSite=Strict,
kept as long as transcripts are), so a reload finds its conversation and its requests again.
The key never leaves the server except in that cookie; the transcript store knows it by its
hash, and the requester id of its questions (``web-`` + 16 hex digits) is derived from that hash.

A steward is signed in only when ``st.session_state`` holds a ``StewardSession`` object, and
only ``sign_in`` (a verified password from the users file) or ``sign_in_oidc`` (an identity
provider configured for ``st.login``, mapped to a steward in the users file) creates one.
The browser can set session-state values only through widgets, and a widget value is never
a ``StewardSession``, so no URL, query parameter or widget can make a session a steward's.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

import streamlit as st

from assistant.references import browser_actor_id
from assistant.transcripts import owner_key
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
    """This browser's key in the transcript store (a hash of its cookie)."""
    return st.session_state[_BROWSER]


def write_cookie(days: int) -> None:
    """Give a new browser its key (once per session; nothing to do when it came with one)."""
    key = st.session_state.pop("_commons_set_cookie", None)
    if key:
        st.html(f"<script>document.cookie = '{COOKIE}={key}; path=/; max-age={int(days) * 86400}; "
                "SameSite=Strict';</script>", unsafe_allow_javascript=True)


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
    role = st.session_state.get("role")
    return Actor(id=st.session_state.get("user_id", "anonymous"), role=role if role in PUBLIC_ROLES else "resident")


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
