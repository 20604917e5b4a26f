"""Projects: a signed-in requester submits a project, follows what it still needs, answers a
steward's questions and registers its outputs.  Person-level data is answered only within an
approved project (the Ask page picks one).  Registered only for a signed-in account holding a
requester role; it checks again here."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import streamlit as st

from guardrails.policy import PURPOSES
from guardrails.projects import REQUESTER_ROLES, STATE_WORDS
from ui import components, session
from ui.components import attempt, get_pipeline, get_stewardship, purpose_label

st.title("Projects")
if session.signed_in() is None or session.role() not in REQUESTER_ROLES:
    st.warning("Sign in as a provider, researcher, commercial user or evaluator to submit and follow projects "
               "(choose that role under Acting as).", icon=":material/lock:")
    st.stop()

me = session.actor()
pipeline = get_pipeline()
stewardship = get_stewardship()
state = st.session_state
sheets = pipeline.sheets
person_level = [d for d, s in sheets.items() if s.person_level]

st.markdown("Person-level data (the lupus commons, the VCSE co-op) is answered only within an **approved project** "
            "that names the dataset, and only for the project's purpose. The stewards of each dataset approve it "
            "(two, from two organisations, for the lupus commons), and its members' panel where the datasheet says "
            "so. Commercial projects also need a fee agreement. Every step is recorded in the audit log.")


flash = partial(components.flash, "proj_flash")


components.show_flash("proj_flash")


def reply(pid: str) -> None:
    ok, out = attempt(stewardship.reply_project, pid, me, state.get(f"proj_reply_{pid}", ""))
    flash("success", f"{pid}: your reply is recorded; it is with its stewards again.") if ok else flash("error", out)


def output(pid: str) -> None:
    ok, out = attempt(stewardship.register_output, pid, me, state.get(f"proj_otitle_{pid}", ""),
                      state.get(f"proj_olink_{pid}", ""), state.get(f"proj_osummary_{pid}", ""))
    flash("success", f"Output {out['id']} registered for {pid}.") if ok else flash("error", out)


ok, mine = attempt(stewardship.my_projects, me)
mine = mine if ok else []
st.subheader("Your projects")
if not mine:
    st.info("You have no projects yet. Submit one below.", icon=":material/inbox:")
for p in reversed(mine):
    ok, record = attempt(stewardship.project_record, p.id, me)
    if not ok:
        st.error(record)
        continue
    with st.container(border=True, key=f"proj_card_{p.id}"):
        st.markdown(f"**{p.title}** · `{p.id}` · {STATE_WORDS.get(p.state, p.state)}")
        st.caption(f"{purpose_label(p.purpose)} · {', '.join(sheets[d].title if d in sheets else d for d in p.datasets)}"
                   f" · ends {p.end_date}" + (" · commercial" if p.commercial else ""))
        for line in record["progress"]:
            st.markdown(f"- {line}")
        for e in record["events"]:
            if e["kind"] in ("return", "reply", "deny", "approve"):
                st.caption(f"{e['ts'][:16]} · {e['kind']} · {e['text']}")
        if p.state == "returned":
            st.text_input("Your reply to the steward's questions", key=f"proj_reply_{p.id}")
            st.button("Send the reply", key=f"proj_replybtn_{p.id}", on_click=reply, args=(p.id,),
                      icon=":material/reply:")
        if p.state == "approved" and p.publication:
            with st.expander("Register an output (publication duty)"):
                st.text_input("Title", key=f"proj_otitle_{p.id}")
                st.text_input("Link (https:// or doi:)", key=f"proj_olink_{p.id}")
                st.text_area("Or a summary", key=f"proj_osummary_{p.id}")
                st.button("Register the output", key=f"proj_outbtn_{p.id}", on_click=output, args=(p.id,))

st.subheader("Submit a project")
purposes = [p for p in PURPOSES if p not in ("stewardship", "personal")]
with st.form("proj_submit", clear_on_submit=False):
    title = st.text_input("Title", key="proj_title")
    purpose = st.selectbox("Purpose of the project", purposes, key="proj_purpose", format_func=purpose_label,
                           index=purposes.index("commercial") if me.role == "commercial" else 0)
    lay = st.text_area("Lay summary: what the project is for, in plain words (shown publicly)", key="proj_lay")
    datasets = st.multiselect("Datasets", person_level, key="proj_datasets",
                              format_func=lambda d: sheets[d].title)
    end = st.date_input("End date", value=date.today() + timedelta(days=365), key="proj_end")
    funder = st.text_input("Funder (optional)", key="proj_funder")
    commercial = st.text_input("Commercial involvement, if any (makes it a commercial project)",
                               key="proj_commercial")
    publication = st.text_input("Publication commitment (required for the lupus commons)", key="proj_publication")
    due = st.date_input("Publication due", value=date.today() + timedelta(days=300), key="proj_due")
    sent = st.form_submit_button("Submit the project", type="primary", icon=":material/send:")
if sent:
    ok, project = attempt(stewardship.submit_project, me, title=title, purpose=purpose, lay_summary=lay,
                          datasets=datasets, end_date=end.isoformat(), funder=funder, commercial=commercial,
                          publication=publication, publication_due=due.isoformat() if publication else None)
    if ok:
        flash("success", f"Submitted {project.id}: it is with the stewards of "
                         f"{', '.join(sheets[d].title for d in project.datasets)}.")
        st.rerun()
    else:
        st.error(project)
