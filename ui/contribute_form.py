"""The Contribute page's datasheet form: guesses from a CSV header, and the YAML it builds.

Pure functions (no streamlit), so they are tested directly.
"""

from __future__ import annotations

import csv
import io
import re

import yaml

ROLES = ("attribute", "quasi_identifier", "direct_identifier", "geography", "time")
MEASURES = ("none", "sum", "mean")
IDENTIFIER_HINTS = (
    (re.compile(r"nhs", re.I), "UK_NHS", "pseudonymise"),
    (re.compile(r"e-?mail", re.I), "EMAIL_ADDRESS", "drop"),
    (re.compile(r"phone|mobile|tel", re.I), "PHONE_NUMBER", "drop"),
    (re.compile(r"post_?code", re.I), "UK_POSTCODE", "drop"),
    (re.compile(r"\bni\b|ni_?num|national_?ins", re.I), "UK_NINO", "drop"),
    (re.compile(r"name", re.I), "PERSON", "drop"),
    (re.compile(r"(^|_)(ref|id)$|address|dob|birth", re.I), None, "drop"),
)
QUASI = re.compile(r"age|sex|gender|ethnic|religion", re.I)
GEOGRAPHY = re.compile(r"(lsoa|lad|ward|area).*(cd|code)$|^(lsoa|lad)\d*(cd)?$", re.I)
TIME = re.compile(r"^(year|month|period|date)$", re.I)


def header_and_sample(csv_bytes: bytes, n: int = 50) -> tuple[list[str], list[list[str]]]:
    """The header and up to ``n`` rows (for guessing); empty lists when it is not CSV text."""
    try:
        text = csv_bytes.decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text))
        header = [h.strip() for h in next(reader)]
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) >= n:
                break
        return header, rows
    except (UnicodeDecodeError, StopIteration, csv.Error):
        return [], []


def _numeric(values: list[str]) -> bool:
    vals = [v for v in values if v.strip()]
    if not vals:
        return False
    try:
        [float(v) for v in vals]
    except ValueError:
        return False
    return True


def guess_columns(header: list[str], rows: list[list[str]]) -> list[dict]:
    """One editable row per column: role, handling, PII entity, measure, dimension."""
    out = []
    for i, name in enumerate(header):
        values = [r[i] for r in rows if i < len(r)]
        row = {"column": name, "role": "attribute", "handling": "drop", "pii_entity": "", "measure": "none",
               "dimension": False, "label": name.replace("_", " ").capitalize()}
        for pattern, entity, handling in IDENTIFIER_HINTS:
            if pattern.search(name):
                row.update(role="direct_identifier", handling=handling, pii_entity=entity or "")
                break
        else:
            if GEOGRAPHY.search(name):
                row["role"] = "geography"
            elif TIME.match(name):
                row["role"] = "time"
            elif QUASI.search(name):
                row.update(role="quasi_identifier", dimension=True)
            elif _numeric(values):
                row["measure"] = "mean"
            elif len(set(values)) <= 20:
                row["dimension"] = True
        out.append(row)
    return out


def slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "_", (text or "").lower()).strip("_")
    return s if s and s[0].isalpha() else f"d_{s}" if s else ""


def build_datasheet(form: dict, columns: list[dict]) -> str:
    """The datasheet YAML for a contribution from the form's fields and the column table."""
    did = slug(form.get("id") or form.get("title") or "")
    title = (form.get("title") or "").strip()
    synthetic = bool(form.get("synthetic"))
    if synthetic and "SYNTHETIC" not in title:
        title = f"{title} (SYNTHETIC)"
    personal = form.get("sensitivity", "personal") == "personal"
    geo = next((c["column"] for c in columns if c.get("role") == "geography"), None)
    time_col = next((c["column"] for c in columns if c.get("role") == "time"), None)
    measures = []
    if personal:
        measures.append({
            "id": f"{did}_records", "label": form.get("count_label") or f"People in {title}",
            "description": f"Number of records in {title}, counted in people.", "unit": "people",
            "format": "count", "rollup": "count",
            "synonyms": [s.strip() for s in (form.get("count_synonyms") or "").split(",") if s.strip()]})
    for c in columns:
        if c.get("measure") in ("sum", "mean") and c.get("role") in ("attribute",):
            label = c.get("label") or c["column"]
            m = {"id": slug(f"{did}_{c['column']}"), "column": c["column"],
                 "label": label if c["measure"] == "sum" else f"Average {label.lower()}",
                 "description": f"{label} ({'total' if c['measure'] == 'sum' else 'mean per record'}).",
                 "unit": c.get("unit") or "", "format": "count" if c["measure"] == "sum" else "ratio",
                 "rollup": c["measure"]}
            if c["measure"] == "mean":
                m["decimals"] = 1
            measures.append(m)
    sheet = {
        "id": did, "title": title, "publisher": form.get("publisher", ""),
        "steward": {"name": form.get("steward_name", ""), "contact": form.get("steward_contact", "")},
        "licence": {"name": form.get("licence_name", ""), "url": form.get("licence_url", ""),
                    "attribution": form.get("attribution", "")},
        "source_url": form.get("source_url") or "https://example.org/contribution",
        "source_file": f"{did}.csv",
        "description": form.get("description", ""), "methodology": form.get("methodology", ""),
        "caveats": [c.strip() for c in (form.get("caveats") or "").splitlines() if c.strip()],
        "sensitivity": form.get("sensitivity", "personal"), "synthetic": synthetic,
        "geography": {"column": geo or "", "level": form.get("level", "lsoa"),
                      "vintage": str(form.get("vintage", "2021"))},
        "time": ({"column": time_col, "granularity": form.get("granularity", "year"), "label": "year"}
                 if time_col else {"granularity": "fixed", "period": str(form.get("period") or "2025"),
                                   "label": form.get("period_label") or "records collected"}),
        "measures": measures,
        "dimensions": [{"column": c["column"], "label": c.get("label") or c["column"]}
                       for c in columns if c.get("dimension") and c.get("role") in ("attribute", "quasi_identifier")],
        "columns": [_column_role(c) for c in columns],
        "policy": {"permitted_purposes": list(form.get("purposes") or ["any"]),
                   "roles": list(form.get("roles") or ["any"]),
                   "prohibited": ["resale", "insurance_pricing", "individual_decisions", "marketing",
                                  "reidentification"],
                   "notes": form.get("notes", "")},
    }
    if form.get("commercial_duty"):
        sheet["policy"]["duties"] = {"commercial": form["commercial_duty"]}
    if personal:
        sheet["disclosure"] = {"min_cell": 10, "round_to": 5}
    return yaml.safe_dump(sheet, sort_keys=False, allow_unicode=True)


def _column_role(c: dict) -> dict:
    out = {"name": c["column"], "role": c.get("role") or "attribute"}
    if out["role"] == "direct_identifier":
        out["handling"] = c.get("handling") or "drop"
        if c.get("pii_entity"):
            out["pii_entity"] = c["pii_entity"]
    return out


# -- plain words for contributors (the datasheet keeps the commons' own terms) -----------------
ROLE_WORDS = {
    "direct_identifier": "Identifies a person (name, email, NHS number…)",
    "quasi_identifier": "Describes a person (age band, sex…)",
    "attribute": "A value to count or average",
    "geography": "Where (an area code)",
    "time": "When (year, month or date)",
}
ROLE_MEANS = {
    "direct_identifier": "never published: the column is removed, or replaced by a keyed code that cannot be "
                         "turned back into the identifier (choose under “When published”).",
    "quasi_identifier": "published only inside counts of at least 10 people (rounded to 5), never row by row, "
                        "because together such details can point to someone.",
    "attribute": "published only as totals or averages over groups of people, after disclosure control.",
    "geography": "used to place each row in its neighbourhood, ward and council; figures are released per area.",
    "time": "used to give figures per period.",
}
HANDLING_WORDS = {"drop": "Removed", "pseudonymise": "Replaced by a keyed code"}
ENTITY_WORDS = {"": "—", "PERSON": "Name", "EMAIL_ADDRESS": "Email address", "UK_NHS": "NHS number",
                "PHONE_NUMBER": "Phone number", "UK_POSTCODE": "Postcode", "UK_NINO": "National Insurance number"}
MEASURE_WORDS = {"none": "No", "sum": "Total", "mean": "Average"}
ACTION_WORDS = {"keep": "Kept (only in governed figures)", "drop": "Removed", "pseudonymise": "Replaced by a keyed code",
                "refuse": "Cannot be accepted"}
EDITOR_LABELS = {"column": "Column", "role": "What it holds", "handling": "When published",
                 "pii_entity": "Kind of identifier", "measure": "Publish a figure of it", "dimension": "Break figures down by it",
                 "label": "Label people see"}
_WORDS = {"role": ROLE_WORDS, "handling": HANDLING_WORDS, "pii_entity": ENTITY_WORDS, "measure": MEASURE_WORDS}


def to_words(columns: list[dict]) -> list[dict]:
    """The guessed column table with plain-language values, for the editor."""
    return [{k: _WORDS[k].get(v, v) if k in _WORDS else v for k, v in c.items()} for c in columns]


def from_words(columns: list[dict]) -> list[dict]:
    """The editor's rows back in the datasheet's terms."""
    back = {k: {v: code for code, v in words.items()} for k, words in _WORDS.items()}
    out = []
    for c in columns:
        row = {k: back[k].get(v, v) if k in back else v for k, v in c.items()}
        row["pii_entity"] = row.get("pii_entity") or ""
        out.append(row)
    return out


def plain_scan(text: str) -> str:
    """A scan note or problem with the commons' terms said in words ("EMAIL_ADDRESS" -> "email address")."""
    text = str(text or "")
    for code, word in ENTITY_WORDS.items():
        if code:
            text = re.sub(rf"\b{code}\b", word.lower(), text)
    for code, word in {"direct_identifier": "identifies a person", "quasi_identifier": "describes a person",
                       "attribute": "a value", "geography": "where", "time": "when"}.items():
        text = re.sub(rf"(?<![\w-]){code}(?![\w-])", f"“{word}”", text)
    return text
