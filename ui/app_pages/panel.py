"""Members' panel: member representatives vote on, or veto, the projects waiting for the panel
of a dataset they represent.  Registered only for a signed-in account holding the member role;
it checks again here."""

from __future__ import annotations

from functools import partial

import streamlit as st

from guardrails.projects import STATE_WORDS
from ui import components, session
from ui.components import attempt, get_pipeline, get_stewardship, purpose_label

st.title("Members' panel")
if not session.holds("member"):
    st.warning("Sign in as a member representative to use the members' panel.", icon=":material/lock:")
    st.stop()

member = session.actor("member")
pipeline = get_pipeline()
stewardship = get_stewardship()
state = st.session_state

st.markdown("Members gave their data so that lupus can be better understood. Commercial projects, and the research "
            "the datasheet lists, need the panel's decision: once enough members have voted (the quorum), a project "
            "passes when a majority is for it. **Any one of you may veto** a project on one of the grounds the "
            "datasheet lists. Votes and reasons appear in the transparency report; members are never named.")


flash = partial(components.flash, "panel_flash")


components.show_flash("panel_flash")


def vote(pid: str, approve: bool) -> None:
    ok, out = attempt(stewardship.panel_vote, pid, member, approve, state.get(f"panel_reason_{pid}", ""))
    flash("success", out[1]) if ok else flash("error", out)


def veto(pid: str) -> None:
    ok, out = attempt(stewardship.panel_veto, pid, member, state.get(f"panel_ground_{pid}", ""),
                      state.get(f"panel_reason_{pid}", ""))
    flash("success", out[1]) if ok else flash("error", out)


ok, waiting = attempt(stewardship.panel_queue, member)
waiting = waiting if ok else []
if not ok:
    st.error(waiting)
if not waiting:
    st.info("No projects are waiting for the members' panel.", icon=":material/inbox:")
for p in waiting:
    with st.container(border=True, key=f"panel_card_{p.id}"):
        st.subheader(p.title)
        st.caption(f"{p.id} · {p.org} · {purpose_label(p.purpose)} · {STATE_WORDS.get(p.state, p.state)}"
                   + (" · commercial" + (f" ({p.commercial_detail})" if p.commercial_detail else "") if p.commercial
                      else ""))
        st.markdown(f"**Lay summary:** {p.lay_summary}")
        if p.funder:
            st.markdown(f"**Funder:** {p.funder}")
        for line in stewardship.projects.progress(p, pipeline.sheets):
            st.markdown(f"- {line}")
        st.text_input("Your reason (shown in the transparency report)", key=f"panel_reason_{p.id}")
        if p.state == "panel":
            with st.container(horizontal=True):
                st.button("Vote for", key=f"panel_for_{p.id}", type="primary", on_click=vote, args=(p.id, True),
                          icon=":material/thumb_up:")
                st.button("Vote against", key=f"panel_against_{p.id}", on_click=vote, args=(p.id, False),
                          icon=":material/thumb_down:")
        else:
            st.caption("The panel votes once the project's stewards have approved it; a veto is possible now.")
        st.selectbox("Veto ground", stewardship.veto_grounds(p.id), key=f"panel_ground_{p.id}")
        st.button("Veto the project", key=f"panel_veto_{p.id}", on_click=veto, args=(p.id,), icon=":material/block:")
