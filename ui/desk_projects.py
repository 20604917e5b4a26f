"""The Steward desk's Projects tab: submitted projects for the steward's own datasets (approve,
deny, return with questions), what each still needs, fee agreements for commercial projects and
the projects whose publication is overdue.  Every action goes through Stewardship (signed-in,
scoped, audited); nothing here decides anything itself."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from guardrails.projects import STATE_WORDS
from kernel.types import Actor
from ui.components import attempt, purpose_label


def render(stewardship, steward: Actor, flash) -> None:
    state = st.session_state
    sheets = stewardship.sheets

    def decide(pid: str, action: str) -> None:
        ok, out = attempt(stewardship.decide_project, pid, steward, action, state.get(f"desk_preason_{pid}", ""))
        flash("success", out[1]) if ok else flash("error", out)

    def fee(pid: str) -> None:
        ok, out = attempt(stewardship.record_fee, pid, steward, state.get(f"desk_fdataset_{pid}", ""),
                          state.get(f"desk_fref_{pid}", ""), state.get(f"desk_famount_{pid}", ""),
                          str(state.get(f"desk_fstart_{pid}", "")), str(state.get(f"desk_fend_{pid}", "")),
                          state.get(f"desk_fsigned_{pid}", ""))
        flash("success", f"Fee agreement {out['reference']} recorded for {out['project']} ({out['start']} to "
                         f"{out['end']})") if ok else flash("error", out)

    ok, everything = attempt(stewardship.project_queue, steward, None)
    everything = everything if ok else []
    waiting = [p for p in everything if p.state == "submitted"]
    if not waiting:
        st.info("No projects are waiting for a steward's decision.", icon=":material/inbox:")
    for p in waiting:
        ok, record = attempt(stewardship.project_record, p.id, steward)
        with st.container(border=True, key=f"desk_pcard_{p.id}"):
            st.subheader(p.title)
            st.caption(f"{p.id} · {p.org} (requester {p.requester}, {p.role}) · {purpose_label(p.purpose)} · "
                       f"ends {p.end_date}" + (" · commercial" if p.commercial else ""))
            st.markdown(f"**Lay summary:** {p.lay_summary}")
            st.markdown("**Datasets:** " + ", ".join(sheets[d].title if d in sheets else d for d in p.datasets))
            if p.publication:
                st.markdown(f"**Publication:** {p.publication}, due {p.publication_due}")
            if ok:
                for line in record["progress"]:
                    st.markdown(f"- {line}")
                for e in record["events"]:
                    st.caption(f"{e['ts'][:16]} · round {e['round']} · {e['kind']} by {e['who']}: {e['text']}")
            st.text_input("Reason (or, to return it, your questions for the requester)", key=f"desk_preason_{p.id}")
            with st.container(horizontal=True):
                st.button("Approve project", key=f"desk_papprove_{p.id}", type="primary", on_click=decide,
                          args=(p.id, "approve"), icon=":material/check:")
                st.button("Return with questions", key=f"desk_preturn_{p.id}", on_click=decide,
                          args=(p.id, "return"), icon=":material/help:")
                st.button("Deny project", key=f"desk_pdeny_{p.id}", on_click=decide, args=(p.id, "deny"),
                          icon=":material/block:")

    commercial = [p for p in everything if p.commercial and p.state in ("submitted", "panel", "approved")]
    if commercial:
        st.markdown("**Fee agreements** (a commercial project gets nothing before one is recorded, and nothing "
                    "outside its period)")
        mine = set(stewardship.stewarded(steward))
        for p in commercial:
            with st.expander(f"{p.id} · {p.title} · {STATE_WORDS.get(p.state, p.state)}"):
                fees = stewardship.projects.fees(p.id)
                if fees:
                    st.dataframe(pd.DataFrame([{"Reference": f["reference"], "Dataset": f["dataset"],
                                                "Amount": f"£{f['amount_pence'] / 100:,.2f}", "From": f["start"],
                                                "To": f["end"], "Signed by": f["signed_by"],
                                                "Recorded by": f["recorded_by"]} for f in fees]),
                                 hide_index=True, width="stretch", key=f"desk_fees_{p.id}")
                st.selectbox("Dataset", [d for d in p.datasets if d in mine], key=f"desk_fdataset_{p.id}")
                st.text_input("Agreement reference", key=f"desk_fref_{p.id}")
                st.text_input("Amount (£)", key=f"desk_famount_{p.id}")
                st.date_input("From", value=date.today(), key=f"desk_fstart_{p.id}")
                st.date_input("To", value=date.today() + timedelta(days=365), key=f"desk_fend_{p.id}")
                st.text_input("Signed for the requester by", key=f"desk_fsigned_{p.id}")
                st.button("Record the fee agreement", key=f"desk_fbtn_{p.id}", on_click=fee, args=(p.id,),
                          icon=":material/payments:")

    ok, overdue = attempt(stewardship.overdue_projects, steward)
    if ok and overdue:
        st.warning("Publication overdue (no new releases until an output is registered): "
                   + "; ".join(f"{p.id} {p.title} (due {p.publication_due})" for p in overdue),
                   icon=":material/schedule:")
    decided = [p for p in everything if p.state != "submitted"]
    if decided:
        st.markdown("**All projects for your datasets**")
        st.dataframe(pd.DataFrame([{"Project": p.id, "Title": p.title, "Organisation": p.org,
                                    "Purpose": purpose_label(p.purpose), "State": p.state,
                                    "Overdue": "yes" if stewardship.projects.overdue(p) else ""}
                                   for p in decided]),
                     hide_index=True, width="stretch", key="desk_projects_all")
