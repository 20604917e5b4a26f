"""How your data is used: the transparency report of a dataset, from the audit log."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.components import attempt, get_pipeline, get_stewardship, rule_words

pipeline = get_pipeline()
stewardship = get_stewardship()
sheets = {sid: s for sid, s in pipeline.sheets.items() if s.measures}
# Contributed (person-level) datasets first: their contributors are the ones who ask.
order = sorted(sheets, key=lambda i: (sheets[i].sensitivity == "open", sheets[i].title))

st.title("How your data is used")
st.markdown("For each dataset: how many questions used it, for which purposes and by which kinds of user, "
            "what was released, and every steward decision with its reason. Requesters are never named.")
sid = st.selectbox("Dataset", order, key="transparency_dataset", format_func=lambda i: sheets[i].title)

ok, rep = attempt(stewardship.transparency, sid)
if not ok:
    st.error(rep)
    st.stop()

if rep.get("synthetic"):
    st.caption("SYNTHETIC demo dataset: the people in it do not exist.")
st.caption(f"Steward: {rep['steward']}")

totals = rep.get("totals") or []
if totals:
    cols = st.columns(len(totals))
    for col, t in zip(cols, totals):
        col.metric(str(t["key"]).capitalize(), t["shown"])


def breakdown(title: str, rows: list[dict], key: str) -> None:
    st.subheader(title)
    if not rows:
        st.caption("Nothing recorded yet.")
        return
    shown = [r for r in rows if r.get("count") is not None]
    if shown:
        df = pd.DataFrame({"What": [str(r["key"]) for r in shown], "Requests": [r["count"] for r in shown]})
        st.bar_chart(df, x="What", y="Requests", horizontal=True, x_label="Requests (rounded)", y_label="")
        st.caption("The chart in words: " + "; ".join(f"{r['key']} {r['shown']}" for r in shown) + ".")
    small = [r for r in rows if r.get("count") is None]
    if small:
        st.caption("; ".join(f"{r['key']}: {r['shown']}" for r in small))


left, right = st.columns(2)
with left:
    breakdown("By purpose", rep.get("by_purpose") or [], "purpose")
    breakdown("By decision", rep.get("by_decision") or [], "decision")
with right:
    breakdown("By kind of user", rep.get("by_role") or [], "role")

st.subheader("Steward decisions")
decisions = rep.get("steward_decisions") or []
if decisions:
    st.dataframe(pd.DataFrame([{"Date": d["date"], "Request": d["review_id"], "Decision": d["decision"],
                                "Purpose": d["purpose"], "Reason": d["reason"], "Why it was reviewed": rule_words(d["rule"])}
                               for d in decisions]),
                 hide_index=True, width="stretch", key="transparency_decisions")
else:
    st.caption("No steward decisions about this dataset yet.")

projects = rep.get("projects") or []
if projects:
    st.subheader("Projects")
    st.caption("Person-level data is used only within approved projects; each is listed with its lay summary.")
    for pr in projects:
        with st.container(border=True):
            st.markdown(f"**{pr['title']}** · {pr['organisation']} · {pr['purpose']} · {pr['state']}"
                        + (" · **publication overdue**" if pr["overdue"] else ""))
            st.caption(f"{pr['project']} · ends {pr['end_date']}" + (" · commercial" if pr["commercial"] else ""))
            st.markdown(pr["lay_summary"])
            for o in pr["outputs"]:
                st.markdown(f"- Output {o['published']}: {o['title']} {o['link'] or o['summary']}")
for d in rep.get("panel_decisions") or []:
    st.subheader(f"Members' panel on {d['project']}: {d['decision']}")
    if d.get("veto_ground"):
        st.markdown(f"**Veto ground:** {d['veto_ground']}")
    st.dataframe(pd.DataFrame([{"Date": r["date"], "Vote": r["vote"], "Reason": r["reason"]} for r in d["reasons"]]),
                 hide_index=True, width="stretch", key=f"transparency_panel_{d['project']}")
if rep.get("overdue"):
    st.warning("Publication overdue: " + "; ".join(f"{o['project']} ({o['title']}, due {o['due']})"
                                                   for o in rep["overdue"]), icon=":material/schedule:")
fees = rep.get("fees") or {}
if fees:
    st.subheader("Fees and running costs")
    st.markdown(f"Fee income {fees['year']}: **{fees['income']}** from {fees['agreements']} agreement(s), against "
                f"running costs of {fees['running_costs']}"
                + (f" ({fees['covered_pct']}% covered)." if fees.get("covered_pct") is not None else "."))
st.info(rep.get("note", ""), icon=":material/shield:")
