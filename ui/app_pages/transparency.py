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
st.info(rep.get("note", ""), icon=":material/shield:")
