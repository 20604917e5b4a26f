"""Steward desk: projects, the review queue, pending contributions, the audit chain, the policies.

Registered in the navigation only for a signed-in steward; it checks again here, so running
this file in any other way shows nothing but a notice.
"""

from __future__ import annotations

import json
from functools import partial

import pandas as pd
import streamlit as st

from assistant.startup import warm_docs
from ui import components, desk_projects, session
from ui.components import (attempt, get_pipeline, get_stewardship, policy_body, purpose_label, render_answer,
                           rule_words)
from ui.contribute_form import ACTION_WORDS, ENTITY_WORDS, ROLE_WORDS

who = session.steward()
if who is None:
    st.title("Steward desk")
    st.warning("Sign in as a steward to use the desk.", icon=":material/lock:")
    st.stop()

steward = session.actor("steward")
pipeline = get_pipeline()
stewardship = get_stewardship()
state = st.session_state

st.title("Steward desk")
st.caption(f"Signed in as {who.name} ({steward.id}, {steward.org}), steward of "
           f"{', '.join(attempt(get_stewardship().stewarded, steward)[1] or []) or 'no dataset'}. Every decision is "
           "recorded in the audit log with your id and reason. You cannot decide your own or your organisation's "
           "requests or projects.")


flash = partial(components.flash, "desk_flash")


def decide(review_id: str, approve: bool) -> None:
    reason = state.get(f"desk_reason_{review_id}", "")
    ok, req = attempt(stewardship.decide_review, review_id, steward, approve, reason)
    if not ok:
        return flash("error", req)
    if req.state == "pending":
        flash("success", f"{req.id}: your approval is recorded; it needs another steward's approval (of another "
                         "organisation where its datasheet says so) before anything is released")
    else:
        flash("success", f"{req.id} {req.state}: {req.decision_reason}")
    state.pop(f"desk_preview_{review_id}", None)


def return_review(review_id: str) -> None:
    ok, req = attempt(stewardship.return_review, review_id, steward, state.get(f"desk_reason_{review_id}", ""))
    flash("success", f"{req.id} returned to its requester with your questions") if ok else flash("error", req)


def preview(review_id: str) -> None:
    ok, out = attempt(stewardship.inspect_review, review_id, steward)
    if not ok:
        return flash("error", out)
    state[f"desk_preview_{review_id}"] = out["preview"].to_dict() if out["preview"] else None


def decide_contribution(cid: str, approve: bool) -> None:
    """Button callback: the decision runs in the page, under a progress panel (publishing takes a
    few seconds: identifiers removed, the dataset written, the store and index rebuilt)."""
    state["desk_publish"] = (cid, approve, state.get(f"desk_creason_{cid}", ""))


def _run_contribution_decision() -> None:
    cid, approve, reason = state.pop("desk_publish")
    label = (f"Publishing {cid}: removing identifiers, writing the dataset, rebuilding the data store and the "
             "documentation search…" if approve else f"Recording the decision on {cid}…")
    with st.status(label, expanded=False) as panel:
        ok, c = attempt(stewardship.approve_contribution if approve else stewardship.deny_contribution,
                        cid, steward, reason)
        if ok and approve:
            panel.update(label="Loading the new dataset's documentation and measures…")
            warm_docs(pipeline)  # the new dataset's documentation and measures
        panel.update(label="Done" if ok else "Not done", state="complete" if ok else "error")
    if not ok:
        return flash("error", c)
    flash("success", f"Contribution {c.id} ({c.dataset}) {c.state}: {c.reason}")


def verify() -> None:
    ok, out = attempt(stewardship.verify_audit)
    good, message = out if ok else (False, out)
    flash("success" if good else "error", f"Audit chain: {message}")


if "desk_publish" in state:
    _run_contribution_decision()

components.show_flash("desk_flash")

projects_tab, queue_tab, contrib_tab, audit_tab, policy_tab = st.tabs(
    ["Projects", "Review queue", "Contributions", "Audit log", "Policies in force"])

with projects_tab:
    desk_projects.render(stewardship, steward, flash)

with queue_tab:
    ok, pending = attempt(stewardship.review_queue, steward, "pending")
    if not ok:
        st.error(pending)
        pending = []
    if not pending:
        st.info("No requests are waiting for a decision.", icon=":material/inbox:")
    for req in pending:
        with st.container(border=True):
            st.subheader(f"{req.id}")
            st.markdown(f"**Question:** {req.question}")
            st.markdown(f"**Requested by** a {req.role} for **{purpose_label(req.purpose)}** · {req.created}")
            st.markdown("**Datasets:** " + ", ".join(
                pipeline.sheets[d].title if d in pipeline.sheets else d for d in req.datasets))
            st.markdown(f"**Why it needs you:** {rule_words(req.rule)}"
                        + (f" · **Project:** `{req.project}`" if req.project else ""))
            st.caption(req.reason)
            needed, _ = stewardship.approvals_needed(req)
            ok, events = attempt(stewardship.review_events, req.id, steward)
            approvals = [e for e in (events if ok else []) if e["kind"] == "approve" and e["round"] == req.round]
            st.markdown(f"**Approvals:** {len(approvals)} of {needed}"
                        + "".join(f" · {e['who']} ({e['org']})" for e in approvals))
            if req.plan:
                with st.expander("Plan"):
                    st.code(json.dumps(req.plan, indent=1), language="json")
            if req.sql:
                with st.expander("SQL"):
                    st.code(req.sql, language="sql")
            key = f"desk_preview_{req.id}"
            if key in state:
                st.markdown("**What would be released** (after disclosure control):")
                if state[key]:
                    render_answer(state[key], key=f"pv_{req.id}", on_ask=lambda _t: None, interactive=False)
                else:
                    st.caption("No preview (the request has no plan).")
            else:
                st.button("Preview what would be released", key=f"desk_pvbtn_{req.id}", on_click=preview,
                          args=(req.id,), icon=":material/preview:")
            st.text_input("Reason for your decision (recorded and shown to the requester)",
                          key=f"desk_reason_{req.id}")
            with st.container(horizontal=True):
                st.button("Approve", key=f"desk_approve_{req.id}", type="primary", on_click=decide,
                          args=(req.id, True), icon=":material/check:")
                st.button("Deny", key=f"desk_deny_{req.id}", on_click=decide, args=(req.id, False),
                          icon=":material/block:")
                st.button("Return with questions", key=f"desk_return_{req.id}", on_click=return_review,
                          args=(req.id,), icon=":material/help:")
    ok, decided = attempt(stewardship.review_queue, steward, None)
    done = [r for r in decided if r.state != "pending"] if ok else []
    if done:
        st.markdown("**Decided requests**")
        st.dataframe(pd.DataFrame([{"Request": r.id, "State": r.state, "Steward": r.steward,
                                    "Reason": r.decision_reason, "Purpose": purpose_label(r.purpose),
                                    "Decided": (r.decided_at or "")[:16]} for r in reversed(done)]),
                     hide_index=True, width="stretch", key="desk_decided")

with contrib_tab:
    ok, waiting = attempt(stewardship.contributions, steward, "pending")
    if not ok:
        st.error(waiting)
        waiting = []
    if not waiting:
        st.info("No contributions are waiting for approval.", icon=":material/inbox:")
    for c in waiting:
        with st.container(border=True):
            st.subheader(c.title)
            st.caption(f"{c.id} · dataset id `{c.dataset}` · {c.rows:,} rows · submitted {c.submitted_at} "
                       f"by {c.submitter}")
            st.markdown("**Identifier scan** (what publishing will do with each column):")
            st.dataframe(pd.DataFrame([{"Column": r.name, "Declared": ROLE_WORDS.get(r.declared, "not described"),
                                        "Detected": ENTITY_WORDS.get(r.entity or "", r.entity) if r.entity else "—",
                                        "Share": f"{r.share:.0%}",
                                        "When published": ACTION_WORDS.get(r.action, r.action)}
                                       for r in c.report.columns]),
                         hide_index=True, width="stretch", key=f"desk_scan_{c.id}")
            st.text_input("Reason for your decision", key=f"desk_creason_{c.id}")
            with st.container(horizontal=True):
                st.button("Approve and publish", key=f"desk_capprove_{c.id}", type="primary",
                          on_click=decide_contribution, args=(c.id, True), icon=":material/check:")
                st.button("Deny", key=f"desk_cdeny_{c.id}", on_click=decide_contribution, args=(c.id, False),
                          icon=":material/block:")

with audit_tab:
    st.markdown("Every question, decision and release is a record in a hash chain. Verification recomputes "
                "the chain and finds any record that was changed, removed, reordered or cut off.")
    st.button("Verify the audit chain", key="desk_verify", on_click=verify, icon=":material/verified:")

with policy_tab:
    titles = {sid: s.title for sid, s in pipeline.sheets.items()}
    for p in stewardship.policies():
        with st.expander(titles.get(p["dataset"], p["dataset"])):
            policy_body(p)
