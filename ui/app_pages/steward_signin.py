"""Sign in: for everyone but an anonymous resident (providers, researchers, commercial users,
stewards, member representatives, evaluators).  The pages of a role (Projects, Members' panel,
Steward desk) are not registered in the navigation until an account holding it has signed in
(see ui/app.py); ``Accounts.sign_in`` keeps the lockout in the governance store and audits
every attempt."""

from __future__ import annotations

import streamlit as st

from ui import session
from ui.components import attempt, get_pipeline

st.title("Sign in")
st.markdown("Residents ask without an account, about open data. **Providers, researchers, commercial users, "
            "stewards and member representatives sign in**: your account says which roles you hold, the "
            "projects you may ask within, and (for stewards and members) the datasets you decide on.")

accounts = get_pipeline().commons.accounts

if session.oidc_configured():
    st.button("Sign in with your organisation", key="oidc_login", on_click=st.login, icon=":material/login:")
    if session.sign_in_oidc(accounts):
        st.rerun()
    elif getattr(st.user, "is_logged_in", False):
        st.error("You are signed in with your organisation, but your email is not an account of this commons.")
    st.caption("Or sign in with a password:")

with st.form("sign_in", clear_on_submit=True):
    user_id = st.text_input("User id", key="signin_user", autocomplete="username")
    password = st.text_input("Password", type="password", key="signin_password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", icon=":material/login:", type="primary")

if submitted:
    ok, why = attempt(session.sign_in, accounts, user_id, password)
    if not ok:
        st.error(why, icon=":material/error:")
    else:
        st.rerun()
