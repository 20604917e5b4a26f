"""Steward desk, before sign-in: only a sign-in form.  The desk itself is not registered
in the navigation until a steward has signed in (see ui/app.py)."""

from __future__ import annotations

import streamlit as st

from ui import session
from ui.components import attempt, get_pipeline

st.title("Steward desk")
st.markdown("The steward desk is for the commons' data stewards: the review queue, contributions waiting "
            "for approval, the audit log and the policies in force. **Sign in to continue.**")

users_file = get_pipeline().settings.users_file

if session.oidc_configured():
    st.button("Sign in with your organisation", key="oidc_login", on_click=st.login, icon=":material/login:")
    if session.sign_in_oidc(users_file):
        st.rerun()
    elif getattr(st.user, "is_logged_in", False):
        st.error("You are signed in with your organisation, but your email is not a steward of this commons.")
    st.caption("Or sign in with a steward password:")

with st.form("steward_sign_in", clear_on_submit=True):
    user_id = st.text_input("Steward id", key="signin_user", autocomplete="username")
    password = st.text_input("Password", type="password", key="signin_password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", icon=":material/login:", type="primary")

if submitted:
    ok, why = attempt(session.sign_in, users_file, user_id, password)
    if not ok:
        st.error(why, icon=":material/error:")
    else:
        st.rerun()
