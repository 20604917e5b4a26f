"""Datasets: the catalogue, each dataset's datasheet, and open data to download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import session
from ui.datasets_view import catalogue_rows, open_csv
from ui.components import get_pipeline, get_stewardship, policy_body

pipeline = get_pipeline()
stewardship = get_stewardship()
role = session.actor().role
sheets = {sid: s for sid, s in pipeline.sheets.items() if s.measures}
policies = {p["dataset"]: p for p in stewardship.policies()}

st.title("Datasets in the commons")
st.markdown("Every dataset the assistant answers from, with who publishes it, its licence, how it was made, "
            "what to bear in mind, and what it may be used for. Open data can be downloaded as published.")

overview = pd.DataFrame(catalogue_rows(sheets.values()))
st.dataframe(overview, hide_index=True, width="stretch", key="catalogue_table",
             column_config={"Dataset": st.column_config.TextColumn(width="large")})

SENSITIVITY = {"open": "Open data", "restricted": "Restricted", "personal": "Person-level (restricted)"}
sid = st.selectbox("Open a datasheet", list(sheets), key="dataset", format_func=lambda i: sheets[i].title)
sheet = sheets[sid]

st.header(sheet.title)
badges = [SENSITIVITY.get(sheet.sensitivity, sheet.sensitivity)]
if sheet.synthetic:
    badges.append("SYNTHETIC demo data: not real people")
st.caption(" · ".join(badges))


def section(name: str, title: str, body) -> None:
    """Show a datasheet section unless the datasheet restricts it to other roles."""
    if not sheet.section_visible(name, role):
        allowed = ", ".join(sheet.section_roles(name) or ())
        st.markdown(f"**{title}**")
        st.info(f"This section is shown only to these roles: {allowed}.", icon=":material/lock:")
        return
    st.markdown(f"**{title}**")
    body()


section("description", "What it is", lambda: st.markdown(sheet.description))
section("publisher", "Publisher", lambda: st.markdown(sheet.publisher))
section("steward", "Steward", lambda: st.markdown(f"{sheet.steward.name} ({sheet.steward.contact})"))
section("licence", "Licence", lambda: (st.markdown(f"[{sheet.licence.name}]({sheet.licence.url})"),
                                       st.caption(f"Attribution: {sheet.licence.attribution}")))
section("source", "Source", lambda: st.markdown(f"<{sheet.source_url}>"))
section("methodology", "Methodology", lambda: st.markdown(sheet.methodology))
if sheet.caveats:
    section("caveats", "Caveats", lambda: st.markdown("\n".join(f"- {c}" for c in sheet.caveats)))


def _measures() -> None:
    rows = [{"Measure": m.label, "Description": m.description, "Unit": m.unit} for m in sheet.measures]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="measures_table",
                 column_config={"Description": st.column_config.TextColumn(width="large")})
    if sheet.dimensions:
        st.caption("Broken down by: " + ", ".join(d.label for d in sheet.dimensions))


section("measures", "Measures", _measures)
geo = sheet.geography
when = sheet.time.period or sheet.time.label
st.caption(f"Geography: {geo.level.upper() if geo.level == 'lsoa' else geo.level} ({geo.vintage} boundaries) · "
           f"Time: {when}")

if sid in policies:
    section("policy", "Use boundaries", lambda: policy_body(policies[sid]))

if sheet.sensitivity == "open":
    data = open_csv(sid)
    if data:
        st.download_button("Download the open data (CSV)", data=data, file_name=f"{sid}.csv", mime="text/csv",
                           key="download_open", on_click="ignore", icon=":material/download:")
        st.caption(f"Please credit: {sheet.licence.attribution}")
else:
    st.caption("This dataset is not open data: only the governed answers of the assistant are released from it.")
