"""Contribute: upload a CSV with its datasheet, see the identifier scan, submit for approval.

Nothing is published until a steward approves it on the steward desk.  What a person typed is
kept while they replace the file or switch between the form and a datasheet file; Submit opens
only once a scan of exactly this file and datasheet came back clean.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st
import yaml

from guardrails import contributions as ingest
from ui import session
from ui.components import attempt, get_pipeline, get_stewardship, purpose_label
from ui.contribute_form import (ACTION_WORDS, EDITOR_LABELS, ENTITY_WORDS, HANDLING_WORDS, MEASURE_WORDS,
                                ROLE_MEANS, ROLE_WORDS, build_datasheet, from_words, guess_columns,
                                header_and_sample, plain_scan, slug, to_words)

state = st.session_state
pipeline = get_pipeline()
stewardship = get_stewardship()
FIELDS = ("cf_title", "cf_id", "cf_publisher", "cf_source_url", "cf_steward_name", "cf_steward_contact",
          "cf_licence_name", "cf_licence_url", "cf_attribution", "cf_description", "cf_methodology",
          "cf_caveats", "cf_sensitivity", "cf_level", "cf_vintage", "cf_synthetic", "cf_count_label",
          "cf_count_synonyms", "cf_purposes", "cf_roles", "cf_commercial", "cf_notes", "contrib_how")
KEEP = "_contrib_kept"          # a copy of every field (widget state is dropped when a widget is not drawn)
kept = state.setdefault(KEEP, {})
for k in FIELDS:
    if k not in state and k in kept:
        state[k] = kept[k]

st.title("Contribute data")
st.markdown("Share a dataset with the commons. Upload it as a CSV file and describe it in a datasheet: what it is, "
            "who looks after it, its licence and what each column holds. The commons scans every column for "
            "personal identifiers (names, emails, NHS numbers, postcodes, phone numbers). Direct identifiers are "
            "removed or replaced by a keyed code when the data is published. **Nothing is published until a "
            "steward approves it.**")

upload = st.file_uploader("The data (CSV, UTF-8, first line names the columns)", type=["csv"], key="contrib_csv",
                          max_upload_size=50)
csv_bytes = upload.getvalue() if upload is not None else None
if csv_bytes is None:
    st.caption("Fields you fill in below are kept if you replace the file.")

how = st.radio("The datasheet", ["Fill in the form", "Upload a datasheet (YAML)"], key="contrib_how",
               horizontal=True)
sheet_yaml: str | None = None
dataset_id: str | None = None


def _form() -> dict:
    with st.container(border=True):
        st.markdown("**About the dataset**")
        c1, c2 = st.columns(2)
        form = {
            "title": c1.text_input("Title", key="cf_title"),
            "id": c2.text_input("Short id (letters, digits, _)", key="cf_id",
                                help="Leave empty to make one from the title. It must not be in use already."),
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
        form["sensitivity"] = c3.selectbox(
            "Sensitivity", ["personal", "restricted", "open"], key="cf_sensitivity",
            format_func={"personal": "About people (one row per person)", "restricted": "Restricted",
                         "open": "Open data"}.get,
            help="About people: disclosure control applies (small counts are hidden, counts rounded).")
        form["level"] = c4.selectbox("Geography level", ["lsoa", "lad"], key="cf_level",
                                     format_func={"lsoa": "Neighbourhood (LSOA)", "lad": "Council"}.get)
        form["vintage"] = c5.selectbox("Boundaries", ["2021", "2011"], key="cf_vintage")
        form["synthetic"] = st.checkbox("This is SYNTHETIC (made-up) data", key="cf_synthetic")
        form["count_label"] = st.text_input("What one row counts (e.g. 'People using the food bank')",
                                            key="cf_count_label")
        form["count_synonyms"] = st.text_input("Other words people use for it (comma separated)",
                                               key="cf_count_synonyms")
        form["purposes"] = st.multiselect("Permitted purposes",
                                          [p for p in session.PUBLIC_PURPOSES if p != "commercial"],
                                          key="cf_purposes", format_func=purpose_label)
        form["roles"] = st.multiselect("Who may ask", list(session.DATASHEET_ROLES) + ["steward"], key="cf_roles",
                                       format_func=str.capitalize)
        form["commercial_duty"] = st.text_input("Commercial use allowed after (leave empty to refuse it)",
                                                key="cf_commercial", placeholder="a signed fee agreement")
        form["notes"] = st.text_area("Use notes shown to people asking", key="cf_notes")
    return form


def _columns(header: list[str], sample: list[list[str]]) -> list[dict]:
    st.markdown("**Columns**: check what each column holds. What publishing does with each kind:")
    st.markdown("\n".join(f"- **{ROLE_WORDS[r]}**: {ROLE_MEANS[r]}" for r in ROLE_WORDS))
    digest = hashlib.sha1(",".join(header).encode()).hexdigest()[:8]
    key = f"cf_columns_{digest}"
    kept_cols = kept.get(key)
    # The guesses, or (after the editor was away, e.g. while the file was replaced) what was chosen.
    base = pd.DataFrame(kept_cols if kept_cols and key not in state else to_words(guess_columns(header, sample)))
    edited = st.data_editor(
        base, key=key, hide_index=True, width="stretch", disabled=["column"],
        column_config={
            "column": st.column_config.TextColumn(EDITOR_LABELS["column"], pinned=True),
            "role": st.column_config.SelectboxColumn(EDITOR_LABELS["role"], options=list(ROLE_WORDS.values()),
                                                     required=True, width="medium"),
            "handling": st.column_config.SelectboxColumn(EDITOR_LABELS["handling"],
                                                         options=list(HANDLING_WORDS.values()),
                                                         help="For columns that identify a person"),
            "pii_entity": st.column_config.SelectboxColumn(EDITOR_LABELS["pii_entity"],
                                                           options=list(ENTITY_WORDS.values())),
            "measure": st.column_config.SelectboxColumn(EDITOR_LABELS["measure"],
                                                        options=list(MEASURE_WORDS.values())),
            "dimension": st.column_config.CheckboxColumn(EDITOR_LABELS["dimension"]),
            "label": st.column_config.TextColumn(EDITOR_LABELS["label"]),
        })
    records = edited.to_dict("records")
    kept[key] = records
    return from_words(records)


if how == "Upload a datasheet (YAML)":
    up = st.file_uploader("Datasheet (YAML)", type=["yaml", "yml"], key="contrib_yaml")
    if up is not None:
        try:
            sheet_yaml = up.getvalue().decode("utf-8")
            raw = yaml.safe_load(sheet_yaml)
            dataset_id = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else None
        except UnicodeDecodeError:
            st.error("The datasheet is not UTF-8 text. Save it as UTF-8 and upload it again.")
        except yaml.YAMLError:
            dataset_id = None       # the scan names the problem
else:
    form = _form()
    if csv_bytes is not None:
        header, sample = header_and_sample(csv_bytes)
        if not header:
            st.error("That file cannot be read as CSV text. Save it as 'CSV UTF-8' and upload it again.")
        else:
            cols = _columns(header, sample)
            if form["title"] and form["publisher"] and form["steward_name"] and form["licence_name"]:
                sheet_yaml = build_datasheet(form, cols)
                dataset_id = slug(form.get("id") or form.get("title") or "")
                with st.expander("The datasheet this makes (YAML)"):
                    st.code(sheet_yaml, language="yaml")
            else:
                st.caption("Fill in at least the title, publisher, steward and licence.")
    else:
        st.info("Upload the CSV file above to describe its columns.", icon=":material/upload_file:")

for k in FIELDS:                  # remember what was typed (restored above if a widget goes away)
    if k in state:
        kept[k] = state[k]


def _id_in_use(did: str | None) -> str | None:
    """Why ``did`` cannot be used: a dataset the commons holds, or a contribution waiting for a steward."""
    if not did:
        return None
    if did in pipeline.sheets:
        return f"The id “{did}” is already used by “{pipeline.sheets[did].title}”. Choose another short id."
    ok, waiting = attempt(ingest.list_contributions, pipeline.settings, "pending")
    if ok and any(c.dataset == did for c in waiting):
        return f"The id “{did}” is already used by a contribution waiting for a steward. Choose another short id."
    return None


def _report(report) -> None:
    df = pd.DataFrame([{"Column": c.name, "You said it holds": ROLE_WORDS.get(c.declared, "not described"),
                        "The scan found": ENTITY_WORDS.get(c.entity or "", c.entity) if c.entity else "—",
                        "Share of values": f"{c.share:.0%}", "When published": ACTION_WORDS.get(c.action, c.action),
                        "Note": plain_scan(c.note)} for c in report.columns])
    st.dataframe(df, hide_index=True, width="stretch", key="contrib_scan_table",
                 column_config={"Column": st.column_config.TextColumn(pinned=True),
                                "Note": st.column_config.TextColumn(width="medium")})
    dropped = [c.name for c in report.columns if c.action == "drop"]
    keyed = [c.name for c in report.columns if c.action == "pseudonymise"]
    if dropped:
        st.caption("Removed when published: " + ", ".join(dropped))
    if keyed:
        st.caption("Replaced by a keyed code when published: " + ", ".join(keyed))


in_use = _id_in_use(dataset_id)
if in_use:
    st.error(in_use, icon=":material/error:")
ready = csv_bytes is not None and bool(sheet_yaml) and not in_use
digest = hashlib.sha256((csv_bytes or b"") + b"\0" + (sheet_yaml or "").encode()).hexdigest() if ready else None
scanned = state.get("_contrib_scanned")             # (digest, report) of the last scan
clean = bool(scanned and scanned[0] == digest and scanned[1].ok)

c1, c2 = st.columns(2)
check = c1.button("Scan the file", key="contrib_scan", disabled=not ready, icon=":material/policy:",
                  width="stretch", type="secondary" if clean else "primary")
if check and ready:
    with st.spinner("Scanning every column for identifiers…"):
        ok, report = attempt(stewardship.scan_contribution, csv_bytes, sheet_yaml)
    if not ok:
        state.pop("_contrib_scanned", None)
        st.error(report, icon=":material/error:")
    else:
        state["_contrib_scanned"] = scanned = (digest, report)
        clean = report.ok
send = c2.button("Submit for a steward's approval", key="contrib_submit", disabled=not (ready and clean),
                 type="primary", icon=":material/send:", width="stretch",
                 help=None if clean else "Scan the file first: Submit opens once the scan finds nothing to fix.")

if ready and scanned and scanned[0] == digest and not send:
    report = scanned[1]
    st.subheader(f"Identifier scan: {report.rows:,} rows")
    _report(report)
    if report.ok:
        st.success("The file can be submitted. A steward will review it before anything is published.")
    else:
        st.error("The file cannot be accepted yet. Fix these, then scan again:\n\n"
                 + "\n".join(f"- {plain_scan(p)}" for p in report.problems))
elif ready and not clean:
    st.caption("Scan the file first: Submit opens once the scan of this file and datasheet finds nothing to fix.")

if send and ready and clean:
    with st.status("Submitting: scanning the file again and keeping it for a steward…") as panel:
        ok, c = attempt(stewardship.submit_contribution, csv_bytes, sheet_yaml, session.actor())
        panel.update(label="Submitted" if ok else "Not submitted", state="complete" if ok else "error")
    if not ok:
        st.error(c, icon=":material/error:")
    else:
        state["contrib_last"] = c.id
        state.pop("_contrib_scanned", None)
        st.success(f"Submitted as **{c.id}** ({c.title}). It is **{c.state}**: a steward will review it, and "
                   "nothing is published until they approve it.", icon=":material/check_circle:")
        _report(c.report)
