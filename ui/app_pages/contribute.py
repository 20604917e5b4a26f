"""Contribute: upload a CSV with its datasheet, see the identifier scan, submit for approval.

Nothing is published until a steward approves it on the steward desk.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from ui import session
from ui.components import attempt, get_pipeline, get_stewardship, purpose_label
from ui.contribute_form import MEASURES, ROLES, build_datasheet, guess_columns, header_and_sample

state = st.session_state
pipeline = get_pipeline()
stewardship = get_stewardship()

st.title("Contribute data")
st.markdown("Share a dataset with the commons. Upload it as a CSV file and describe it in a datasheet: what it is, "
            "who looks after it, its licence and what each column holds. The commons scans every column for "
            "personal identifiers (names, emails, NHS numbers, postcodes, phone numbers). Direct identifiers are "
            "removed or replaced by a keyed code when the data is published. **Nothing is published until a "
            "steward approves it.**")

upload = st.file_uploader("The data (CSV, UTF-8, first line names the columns)", type=["csv"], key="contrib_csv",
                          max_upload_size=50)
csv_bytes = upload.getvalue() if upload is not None else None

how = st.radio("The datasheet", ["Fill in the form", "Upload a datasheet (YAML)"], key="contrib_how",
               horizontal=True)
sheet_yaml: str | None = None

if how == "Upload a datasheet (YAML)":
    up = st.file_uploader("Datasheet (YAML)", type=["yaml", "yml"], key="contrib_yaml")
    if up is not None:
        try:
            sheet_yaml = up.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error("The datasheet is not UTF-8 text. Save it as UTF-8 and upload it again.")
elif csv_bytes is not None:
    header, sample = header_and_sample(csv_bytes)
    if not header:
        st.error("That file cannot be read as CSV text. Save it as 'CSV UTF-8' and upload it again.")
    else:
        with st.container(border=True):
            st.markdown("**About the dataset**")
            c1, c2 = st.columns(2)
            form = {
                "title": c1.text_input("Title", key="cf_title"),
                "id": c2.text_input("Short id (letters, digits, _)", key="cf_id"),
                "publisher": c1.text_input("Publisher (your organisation)", key="cf_publisher"),
                "source_url": c2.text_input("Web page about it", key="cf_source_url"),
                "steward_name": c1.text_input("Steward (who looks after it)", key="cf_steward_name"),
                "steward_contact": c2.text_input("Steward's contact email", key="cf_steward_contact"),
                "licence_name": c1.text_input("Licence", key="cf_licence_name"),
                "licence_url": c2.text_input("Licence link", key="cf_licence_url"),
                "attribution": st.text_input("Attribution text users must show", key="cf_attribution"),
                "description": st.text_area("Description", key="cf_description"),
                "methodology": st.text_area("How it was collected (methodology)", key="cf_methodology"),
                "caveats": st.text_area("Caveats (one per line)", key="cf_caveats"),
            }
            c3, c4, c5 = st.columns(3)
            form["sensitivity"] = c3.selectbox("Sensitivity", ["personal", "restricted", "open"], key="cf_sensitivity",
                                               help="personal: one row per person (disclosure control applies)")
            form["level"] = c4.selectbox("Geography level", ["lsoa", "lad"], key="cf_level")
            form["vintage"] = c5.selectbox("Boundaries", ["2021", "2011"], key="cf_vintage")
            form["synthetic"] = st.checkbox("This is SYNTHETIC (made-up) data", key="cf_synthetic")
            form["count_label"] = st.text_input("What one row counts (e.g. 'People using the food bank')",
                                                key="cf_count_label")
            form["count_synonyms"] = st.text_input("Other words people use for it (comma separated)",
                                                   key="cf_count_synonyms")
            form["purposes"] = st.multiselect("Permitted purposes", [p for p in session.PUBLIC_PURPOSES if p != "commercial"], key="cf_purposes",
                format_func=purpose_label)
            form["roles"] = st.multiselect("Who may ask", list(session.PUBLIC_ROLES) + ["steward"], key="cf_roles",
                                           format_func=str.capitalize)
            form["commercial_duty"] = st.text_input("Commercial use allowed after (leave empty to refuse it)",
                                                    key="cf_commercial", placeholder="a signed fee agreement")
            form["notes"] = st.text_area("Use notes shown to people asking", key="cf_notes")
        st.markdown("**Columns** (check the guessed role of each column; direct identifiers are never published)")
        guessed = pd.DataFrame(guess_columns(header, sample))
        edited = st.data_editor(
            guessed, key="cf_columns_" + hashlib.sha1(",".join(header).encode()).hexdigest()[:8], hide_index=True, width="stretch", disabled=["column"],
            column_config={
                "role": st.column_config.SelectboxColumn(options=ROLES, required=True),
                "handling": st.column_config.SelectboxColumn(options=["drop", "pseudonymise"]),
                "measure": st.column_config.SelectboxColumn(options=MEASURES),
                "dimension": st.column_config.CheckboxColumn(),
            })
        if form["title"] and form["publisher"] and form["steward_name"] and form["licence_name"]:
            sheet_yaml = build_datasheet(form, edited.to_dict("records"))
            with st.expander("The datasheet this makes (YAML)"):
                st.code(sheet_yaml, language="yaml")
        else:
            st.caption("Fill in at least the title, publisher, steward and licence.")


def _report(report) -> None:
    df = pd.DataFrame([{"Column": c.name, "Declared role": c.declared or "not declared",
                        "Detected": c.entity or "-", "Share": f"{c.share:.0%}", "Action": c.action,
                        "Note": c.note} for c in report.columns])
    st.dataframe(df, hide_index=True, width="stretch", key="contrib_scan_table",
                 column_config={"Note": st.column_config.TextColumn(width="medium")})
    dropped = [c.name for c in report.columns if c.action == "drop"]
    keyed = [c.name for c in report.columns if c.action == "pseudonymise"]
    if dropped:
        st.caption("Removed when published: " + ", ".join(dropped))
    if keyed:
        st.caption("Replaced by a keyed code when published: " + ", ".join(keyed))


ready = csv_bytes is not None and bool(sheet_yaml)
c1, c2 = st.columns(2)
check = c1.button("Scan the file", key="contrib_scan", disabled=not ready, icon=":material/policy:",
                  width="stretch")
send = c2.button("Submit for a steward's approval", key="contrib_submit", disabled=not ready, type="primary",
                 icon=":material/send:", width="stretch")

if check and ready:
    with st.spinner("Scanning every column for identifiers…"):
        ok, report = attempt(stewardship.scan_contribution, csv_bytes, sheet_yaml)
    if not ok:
        st.error(report, icon=":material/error:")
    else:
        st.subheader(f"Identifier scan: {report.rows:,} rows")
        _report(report)
        if report.ok:
            st.success("The file can be submitted. A steward will review it before anything is published.")
        else:
            st.error("The file cannot be accepted yet:\n\n" + "\n".join(f"- {p}" for p in report.problems))

if send and ready:
    with st.spinner("Scanning and submitting…"):
        ok, c = attempt(stewardship.submit_contribution, csv_bytes, sheet_yaml, session.actor())
    if not ok:
        st.error(c, icon=":material/error:")
    else:
        state["contrib_last"] = c.id
        st.success(f"Submitted as **{c.id}** ({c.title}). It is **{c.state}**: a steward will review it, and "
                   "nothing is published until they approve it.", icon=":material/check_circle:")
        _report(c.report)
