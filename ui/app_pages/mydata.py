"""My data: a contributor of a person-level dataset signs in with the participation reference and
secret their dataset issued, and sees their own record as the commons holds it, the projects that
used it (their lay summaries and outputs), asks for a correction, opts out of purposes or withdraws.
Everything here calls assistant/participation.py; nothing changes a figure before the dataset's
next scheduled refresh."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import session
from ui.components import attempt, flash, get_mydata, get_pipeline, show_flash

st.title("My data")
accounts = get_pipeline().commons.accounts
mydata = get_mydata()
me = session.participant()

if me is None:
    st.markdown("If you contributed to a person-level dataset of this commons (for example the lupus "
                "commons), you were given a **participation reference** (`PT-XXXX-XXXX`) and a **secret**. "
                "Sign in with them to see your own record as the commons holds it, how it has been used, "
                "to ask for a correction, to opt out of uses or to withdraw.")
    st.caption("SYNTHETIC demo: the README lists demo references and secrets (for example PT-D5IK-BXCX).")
    with st.form("participant_sign_in", clear_on_submit=True):
        ref = st.text_input("Participation reference", key="md_ref", placeholder="PT-XXXX-XXXX")
        secret = st.text_input("Secret", type="password", key="md_secret")
        go = st.form_submit_button("Sign in", icon=":material/login:", type="primary")
    if go:
        ok, why = attempt(session.sign_in_participant, accounts, ref, secret)
        if not ok:
            st.error(why, icon=":material/error:")
        else:
            st.rerun()
    st.stop()

ok, mine = attempt(mydata.show, me)
if not ok:
    st.error(mine, icon=":material/error:")
    st.button("Sign out", key="md_sign_out", on_click=session.sign_out_participant, args=(accounts,))
    st.stop()

show_flash("md_flash")
if mine.get("synthetic"):
    st.info(mine["synthetic"], icon=":material/science:")
st.markdown(f"**{mine['reference']}** · {mine['title']} · "
            + ("withdrawn" if mine["state"] == "withdrawn" else "taking part"))
if mine.get("note"):
    st.warning(mine["note"])

st.subheader("Your record as the commons holds it")
if mine["record"]:
    st.caption("Your name, e-mail, NHS number and other identifiers were removed when the data was published; "
               "participant_key is a keyed code that links your records without revealing your NHS number.")
    st.dataframe(pd.DataFrame({"Field": list(mine["record"]), "Value": [str(v) for v in mine["record"].values()]}),
                 hide_index=True, width="stretch", key="md_record")

st.subheader("Who has used it")
ok, uses = attempt(mydata.uses, me)
if ok and uses["projects"]:
    for p in uses["projects"]:
        with st.container(border=True):
            st.markdown(f"**{p['title']}** · {p['organisation']} · {p['purpose']} · until {p['end_date']}")
            st.write(p["lay_summary"])
            if not p["your_record_counted"]:
                st.caption("Your record is not counted for this project (you opted out of its purpose or withdrew).")
            for o in p["outputs"]:
                st.markdown(f"- Output ({o['published']}): {o['title']} {o['link'] or o['summary']}")
elif ok:
    st.caption("No approved project has used this dataset yet.")
else:
    st.error(uses)

if mine["state"] != "withdrawn":
    st.subheader("What your data may be used for")
    st.caption("Changes take effect at the dataset's next scheduled refresh"
               + (f" (due {mine['next_refresh']})" if mine.get("next_refresh") else "")
               + ", together with other people's, so that no two releases can show what one person did.")
    labels = {p["id"]: p["label"] for p in mine["purposes"]}
    chosen = st.multiselect("Opt out of", list(labels), default=mine["opted_out_after_refresh"],
                            format_func=lambda p: labels.get(p, p), key="md_optout")

    def _consent():
        want, have = set(st.session_state.md_optout), set(mine["opted_out_after_refresh"])
        ok, out = attempt(mydata.consent, me, sorted(want - have), sorted(have - want))
        flash("md_flash", "success" if ok else "error", out["message"] if ok else out)

    st.button("Save my choices", key="md_save_consent", on_click=_consent, icon=":material/save:")
    if mine["pending"]:
        verbs = {"opt_out": "opt out of", "opt_in": "opt back into", "withdraw": "withdraw"}
        st.caption("Waiting for the next refresh: " + ", ".join(
            f"{verbs.get(c['kind'], c['kind'])} {labels.get(c['purpose'], c['purpose'] or '')}".strip()
            for c in mine["pending"]))

    st.subheader("Ask for a correction")
    with st.form("md_correct", clear_on_submit=True):
        fields = [k for k in (mine["record"] or {}) if k != "participant_key"]
        column = st.selectbox("Which value", fields, key="md_col")
        value = st.text_input("What it should be", key="md_value")
        reason = st.text_area("Why (the steward reads this)", key="md_reason")
        sent = st.form_submit_button("Send to the steward", icon=":material/send:")
    if sent:
        ok, out = attempt(mydata.correct, me, column, value, reason)
        (st.success if ok else st.error)(out["message"] if ok else out)
    for c in mine["corrections"]:
        st.caption(f"Correction {c['id']}: {c['column']} {c['current']} → {c['proposed']}: {c['state']}"
                   + (f" ({c['decision_reason']})" if c.get("decision_reason") else ""))

    st.subheader("Withdraw")
    st.caption("Your record leaves the published data at the next refresh; figures already published stay as "
               "they were.")
    sure = st.checkbox("I want to withdraw my data from the commons", key="md_sure")

    def _withdraw():
        ok, out = attempt(mydata.withdraw, me)
        flash("md_flash", "success" if ok else "error", out["message"] if ok else out)

    st.button("Withdraw my data", key="md_withdraw", on_click=_withdraw, disabled=not sure, icon=":material/logout:")

st.divider()
st.button("Sign out", key="md_sign_out", on_click=session.sign_out_participant, args=(accounts,),
          icon=":material/logout:")
