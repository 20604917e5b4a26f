"""Who is missing: a person-level dataset's participants against Census 2021 in a council or the
city region (age band, sex, the deprivation decile of their neighbourhood), with its averages
reweighted (post-stratified to age; raked to age and sex) beside the unweighted figures.

Registered only for a signed-in account holding the steward or member role; it checks again
here, and the core (``Pipeline.who_is_missing``) checks that the account stewards or represents
the dataset.  Every figure comes through the same disclosure control and audit as a question.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import session
from ui.components import attempt, get_pipeline

st.title("Who is missing")
role = next((r for r in (session.role(), "steward", "member") if r in ("steward", "member") and session.holds(r)), None)
if role is None:
    st.warning("Sign in as a steward or a members' representative to see who a dataset is missing.",
               icon=":material/lock:")
    st.stop()

who = session.actor(role)
pipeline = get_pipeline()
mine = {sid: s for sid, s in pipeline.sheets.items() if s.person_level and pipeline.oversees(who, s)}
st.markdown("Who a person-level dataset reaches, against the residents counted by Census 2021: by age band, sex and "
            "the deprivation decile of their neighbourhood. Reweighted averages are shown beside the unweighted "
            "ones; every figure rests on released counts (disclosure control applies to every cell behind a weight).")
if not mine:
    st.info(f"Your account ({who.id}, {role}) does not steward or represent a person-level dataset.",
            icon=":material/info:")
    st.stop()

places = [pipeline.gaz.region(), *pipeline.gaz.lads()]
left, right = st.columns(2)
with left:
    dataset = st.selectbox("Dataset", list(mine), key="missing_dataset", format_func=lambda i: mine[i].title)
with right:
    place = st.selectbox("Place", [p.key for p in places], key="missing_place",
                         format_func=lambda k: pipeline.gaz.get(k).display)

# one governed release per dataset and place in this session (a rerun does not ask again)
cache = st.session_state.setdefault("_missing_answers", {})
key = (who.id, role, dataset, place)
if key not in cache:
    ok, got = attempt(pipeline.who_is_missing, who, dataset, place)
    if not ok:
        st.error(got)
        st.stop()
    cache[key] = got
answer = cache[key]

if answer.status != "answered":
    st.warning(answer.answer, icon=":material/block:")
    st.stop()

sheet = mine[dataset]
if sheet.synthetic:
    st.caption("SYNTHETIC demo dataset: the people in it do not exist.")
rows = (answer.table or {}).get("rows") or []
cols = (answer.table or {}).get("columns") or []
df = pd.DataFrame(rows, columns=cols)
reweighted = df["Group"].str.startswith("Reweighted")
summary = answer.answer.split("**Reweighted", 1)[0].replace("SYNTHETIC data (a generated demo, not real people). ", "")
st.markdown(summary)

def _count(v) -> str:
    return f"{int(v):,}" if isinstance(v, (int, float)) and not pd.isna(v) else str(v)


def _chart(part: pd.DataFrame, group: str, key: str) -> None:
    """Share of participants beside share of residents, categories in the table's order."""
    shown = part[pd.to_numeric(part["Share of participants (%)"], errors="coerce").notna()]
    if not len(shown):
        return
    values = [{"c": c, "who": who, "share": float(v)} for c, p, r in
              zip(shown["Category"], shown["Share of participants (%)"], shown["Share of residents (%)"])
              for who, v in (("Participants", p), ("Census residents", r))]
    st.vega_lite_chart({
        "data": {"values": values}, "height": {"step": 11},
        "mark": {"type": "bar", "tooltip": True},
        "encoding": {"y": {"field": "c", "type": "nominal", "sort": list(shown["Category"]), "title": None},
                     "yOffset": {"field": "who"},
                     "x": {"field": "share", "type": "quantitative", "title": "Share (%)"},
                     "color": {"field": "who", "type": "nominal", "title": None,
                               "legend": {"orient": "top"}}}}, width="stretch", key=key)
    st.caption("The chart in words: " + "; ".join(
        f"{c} {p:.0f}% of participants, {r:.0f}% of residents" for c, p, r in
        zip(shown["Category"], shown["Share of participants (%)"], shown["Share of residents (%)"])) + ".")


for group in dict.fromkeys(df.loc[~reweighted, "Group"]):
    part = df[df["Group"] == group]
    st.subheader(f"By {group[:1].lower() + group[1:]}")
    shown = pd.DataFrame({group: part["Category"], "Participants %": part["Share of participants (%)"],
                          "Residents %": part["Share of residents (%)"],
                          "Reading": [r or str(n) for r, n in zip(part["Reading"], part["Participants"])],
                          "Participants": part["Participants"].map(_count), "Ratio": part["Ratio"]})
    st.dataframe(shown, hide_index=True, width="stretch", key=f"missing_table_{group}",
                 column_config={group: st.column_config.Column(pinned=True),
                                "Participants %": st.column_config.NumberColumn(format="%.1f"),
                                "Residents %": st.column_config.NumberColumn(format="%.1f"),
                                "Ratio": st.column_config.NumberColumn(format="%.2f")})
    _chart(part, group, key=f"missing_chart_{group}")

st.subheader("Reweighted beside unweighted")
weighted = df[reweighted]
def _figure(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return "not given"
    return f"{v:,.1f}" if isinstance(v, float) and not float(v).is_integer() else _count(v)


# the figure's name and the reweighted value first, so both fit a phone's width
st.dataframe(pd.DataFrame({
    "Figure": weighted["Category"], "Reweighted": weighted["Participants"].map(_figure),
    "Method": ["raked" if g.endswith("(raked)") else "post-stratified" for g in weighted["Group"]],
    "Unweighted / note": weighted["Reading"]}),
    hide_index=True, width="stretch", key="missing_weighted",
    column_config={"Figure": st.column_config.Column(pinned=True, width="medium"),
                   "Reweighted": st.column_config.Column(width="small")})
tail = answer.answer.split("**Reweighted", 1)
if len(tail) > 1:
    st.markdown("**Reweighted" + tail[1])

with st.expander("Caveats", expanded=True):
    for c in answer.caveats:
        st.markdown(f"- {c}")
st.caption("Sources: " + "; ".join(f"{c['title']} ({c['publisher']}, {c['licence']})" if isinstance(c, dict) else str(c)
                                    for c in answer.to_dict().get("citations") or []))
st.caption(f"Recorded in the audit log as {answer.audit_id}.")
