"""Pieces shared by the pages: the cached pipeline, error display, answer rendering.

Nothing here touches data: every number comes from the pipeline.
"""

from __future__ import annotations

import functools
import logging
import re
import uuid
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import pandas as pd
import streamlit as st

from assistant import charts, startup
from assistant.pipeline import Pipeline
from assistant.participation import MyData
from assistant.references import References
from assistant.stewardship import Stewardship
from assistant.transcripts import Transcripts
from kernel.errors import CommonsError
from guardrails.policy import PURPOSES  # purpose id -> label, e.g. "personal"
from guardrails.projects import RULES as PROJECT_RULES
from ui.export import briefing, chart_png, table_csv

log = logging.getLogger("commons.ui")

__all__ = ["PURPOSES", "buttons", "error_message", "attempt", "get_pipeline", "get_references", "get_stewardship",
           "get_transcripts", "open_commons", "plain_words", "plugin_pages", "purpose_label", "render_answer",
           "rule_words", "table"]
STATUS_NOTICE = {"refused": st.warning, "needs_review": st.info, "no_data": st.info}
STATE_TEXT = {
    "pending": "pending: a steward has not decided yet",
    "approved": "approved: fetch the answer (it is released once)",
    "denied": "denied by a steward",
    "released": "released: the answer has been fetched",
}


@st.cache_resource(show_spinner=False)
def get_pipeline() -> Pipeline:
    """The one pipeline for this server process: the one ``commons ui`` began opening before
    its server started (assistant/startup.py), or one begun now."""
    return startup.opening().result()


@functools.cache
def plugin_pages() -> tuple[dict, ...]:
    """Pages other packages add through the ``commons.pages`` entry point (eval/ adds Evaluate),
    read once per process: the entry file runs on every rerun."""
    return tuple(ep.load() for ep in entry_points(group="commons.pages"))


def open_commons() -> None:
    """Wait for the pipeline, showing the step actually under way while it opens (the first
    page load after the server starts; later loads find it open and show nothing)."""
    op = startup.opening()
    if op.ready:
        get_pipeline()
        return
    slot = st.empty()
    shown = stage_label(op.stage)
    with slot.status(shown, expanded=False) as panel:
        while not op.wait(0.2):
            if stage_label(op.stage) != shown:
                shown = stage_label(op.stage)
                panel.update(label=shown)
        get_pipeline()                       # raises what stopped the opening, if anything did
        panel.update(label="Ready", state="complete")
    slot.empty()


_STAGES = (   # what the opening reports (retrieval/store.py, guardrails/contributions.py) -> words
    (re.compile(r"(generated SYNTHETIC|ingest) (\w+)"), lambda m: f"preparing the SYNTHETIC demonstration "
     f"data ({m.group(2)}): identifiers removed as for any contribution"),
    (re.compile(r"loading geography lookups"), lambda m: "building the data store: the geography lookups"),
    (re.compile(r"loading (\w+)(?: \(|$)"), lambda m: f"building the data store: {m.group(1)}"),
    (re.compile(r"store ready"), lambda m: "the data store is built; opening it"),
    (re.compile(r"loading the PII scanner"), lambda m: "loading the scanner that keeps personal details out"),
)


def stage_label(stage: str) -> str:
    """The step the opening is on, for the start-up panel (no file paths, no log wording)."""
    text = str(stage).strip().rstrip(".")
    for shape, words in _STAGES:
        m = shape.match(text)
        if m:
            text = words(m)
            break
    else:
        text = "reading the datasheets and the data store"    # a step without plain words of its own
    return f"Opening the commons: {text}…"


@st.cache_resource(show_spinner=False)
def get_stewardship() -> Stewardship:
    """Reviews, contributions and transparency over the same commons as the pipeline."""
    return Stewardship(get_pipeline())


@st.cache_resource(show_spinner=False)
def get_mydata() -> MyData:
    """A participant's own record, its uses, corrections and consent (assistant/participation.py)."""
    return MyData(get_pipeline())


@st.cache_resource(show_spinner=False)
def get_transcripts() -> Transcripts:
    """Chat transcripts and answer references under COMMONS_HOME (purged per the retention)."""
    s = get_pipeline().settings
    return Transcripts(s.transcripts_path, s.transcript_retention_days)


@st.cache_resource(show_spinner=False)
def get_references() -> References:
    return References(get_pipeline(), get_stewardship(), get_transcripts())


def attempt(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """The app's one error boundary: ``(True, result)``, or ``(False, message)`` with a message
    for the person in front of the page (a reference for a fault of ours; never a traceback).
    Every page calls the core through this (questions themselves never raise: the pipeline
    answers an internal error with status ``error`` and a reference)."""
    try:
        return True, action(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - Streamlit's stop/rerun signals are BaseException
        return False, error_message(exc)


def flash(key: str, kind: str, text: str) -> None:
    """Keep an action's outcome for the rerun the action causes (shown by ``show_flash``)."""
    st.session_state[key] = (kind, text)


def show_flash(key: str) -> None:
    """Show the outcome an action kept, once."""
    if key in st.session_state:
        kind, text = st.session_state.pop(key)
        (st.success if kind == "success" else st.error)(text)


def error_message(exc: BaseException) -> str:
    """A message for the person in front of the page; never a traceback."""
    if isinstance(exc, CommonsError):
        return str(exc)
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected error in the app (reference %s)", ref, exc_info=exc)
    return f"Sorry, something went wrong on our side. Please try again. (Reference: {ref})"


PLACEHOLDERS = {"PERSON": "a name", "EMAIL_ADDRESS": "an email address", "UK_NHS": "an NHS number",
                "UK_POSTCODE": "a postcode", "PHONE_NUMBER": "a phone number", "UK_NINO": "a National Insurance number",
                "NUMBER": "a number", "CREDIT_CARD": "a card number", "IBAN_CODE": "a bank account number",
                "IP_ADDRESS": "an IP address", "URL": "a web address", "LOCATION": "a place",
                "DATE_TIME": "a date"}
_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]+)>")


def plain_words(text: str) -> str:
    """Redaction placeholders as words ("<PERSON>" -> "[a name, removed]"), for display."""
    return _PLACEHOLDER.sub(lambda m: f"[{PLACEHOLDERS.get(m.group(1), 'a personal detail')}, removed]", str(text or ""))


def purpose_label(p: str) -> str:
    label = PURPOSES[p].label if p in PURPOSES else str(p)
    return label[:1].upper() + label[1:]


def _citations(citations: list[dict[str, Any]]) -> None:
    st.markdown("**Sources**")
    for c in citations:
        title = c.get("title") or c.get("dataset", "")
        link = f"[{title}]({c['source']})" if c.get("source") else title
        line = f"- {link} — {c.get('publisher', '')}"
        if c.get("licence"):
            line += f" · {c['licence']}"
        st.markdown(line)
        if c.get("attribution"):
            st.caption(c["attribution"])


def buttons(labels, key: str, on_ask: Callable[[str], None], **kw) -> None:
    """A wrapping row of buttons; clicking one calls ``on_ask(label)``."""
    with st.container(horizontal=True):
        for j, label in enumerate(labels):
            st.button(label, key=f"{key}_{j}", on_click=on_ask, args=(label,), wrap=True, **kw)


_NOT_FIGURES = ("year", "period", "position", "rank in", "share")
FIGURE_WIDTH = 130      # px: with the pinned name (200 px) it fits a 390 px phone


def _is_figure(col, series: pd.Series) -> bool:
    """A column of figures (numbers, or the words disclosure control puts in their place)."""
    if any(w in str(col).lower() for w in _NOT_FIGURES):
        return False
    vals = [v for v in series.tolist() if v is not None and not (isinstance(v, float) and pd.isna(v))]
    return bool(vals) and any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals) and all(
        (isinstance(v, (int, float)) and not isinstance(v, bool)) or str(v).startswith("suppressed") for v in vals)


def column_order(df: pd.DataFrame) -> list:
    """The order a phone can read: what names the row, then the figure asked for, then the rest,
    with columns that say the same on every row last."""
    cols = list(df.columns)
    if len(cols) < 3:
        return cols
    constant = {c for c in cols if df[c].astype(str).nunique(dropna=False) <= 1} if len(df) > 1 else set()
    figure = next((c for c in cols if _is_figure(c, df[c])), None)
    label = next((c for c in cols if c != figure and not _is_figure(c, df[c]) and c not in constant), cols[0])
    rest = [c for c in cols if c not in (label, figure)]
    return [label] + ([figure] if figure is not None else []) + [c for c in rest if c not in constant] + \
        [c for c in rest if c in constant]


def table(df: pd.DataFrame, key: str | None = None) -> None:
    """Numbers with thousands separators; years and periods left alone; no index.  The row's
    name (pinned) and the figure asked for come first, so both fit a phone's width."""
    config = {}
    df = df.copy()
    for col in df.columns:
        # a column of mixed kinds ('1', '2', ... 'benchmark') is shown as text, empty cells left empty
        # (never a conversion error, never 'None')
        if df[col].dtype == object and len({type(v) for v in df[col] if v is not None}) > 1:
            df[col] = df[col].map(lambda v: "" if v is None else (f"{v:,}" if isinstance(v, int) else str(v)))
    order = column_order(df)
    for col in df.columns:
        if (pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
                and not any(w in str(col).lower() for w in ("year", "period"))):
            config[col] = st.column_config.NumberColumn(format="localized")
    if order:
        config[order[0]] = st.column_config.Column(pinned=True, width="medium")
    figure = order[1] if len(order) > 1 and _is_figure(order[1], df[order[1]]) else None
    if figure is not None:
        # A fixed width, so a long measure name in the header cannot push the number itself off a
        # phone's screen (the full name is the header's tooltip and in the answer's text).
        config[figure] = (st.column_config.NumberColumn(format="localized", width=FIGURE_WIDTH, help=str(figure))
                          if figure in config else st.column_config.Column(width=FIGURE_WIDTH, help=str(figure)))
    st.dataframe(df, hide_index=True, column_config=config, column_order=order, width="stretch", key=key)


_table = table  # the name earlier tests used


def _steward_notes(datasets: list[str]) -> None:
    """For a refusal: who to contact and the dataset's use rules (from the pipeline)."""
    pipeline = get_pipeline()
    ok, policies = attempt(get_stewardship().policies)
    if not ok:           # the refusal text already names the rule and steward
        return
    rules = {p["dataset"]: p for p in policies}
    for ds in datasets:
        sheet = pipeline.sheets.get(ds)
        if sheet is None:
            continue
        st.caption(f"Steward for {sheet.title}: {sheet.steward.name} ({sheet.steward.contact})")
        p = rules.get(ds)
        if p:
            with st.expander(f"The use rules for {sheet.title}"):
                _policy_body(p)


def _policy_body(p: dict) -> None:
    st.markdown("**Who may use it:** " + ", ".join(p.get("roles") or []))
    st.markdown("**Permitted purposes:** " + "; ".join(p.get("permitted") or []))
    if p.get("needs_review"):
        st.markdown("**Only after a steward's review:** " +
                    "; ".join(f"{k} (needs {v})" for k, v in p["needs_review"].items()))
    if p.get("duo_codes"):
        st.markdown("**Data use codes (GA4GH DUO):** " + "; ".join(p["duo_codes"]))
    if p.get("prohibited"):
        st.markdown("**Never allowed:**\n" + "\n".join(f"- {x}" for x in p["prohibited"]))
    if p.get("notes"):
        st.caption(p["notes"])


policy_body = _policy_body


def rule_words(rule: str | None) -> str:
    """A rule id (``lupus_commons.duty.commercial``) in words, for the pages' own text."""
    rule = str(rule or "")
    sheets = get_pipeline().sheets
    parts = rule.split(".")
    title = sheets[parts[0]].title if parts and parts[0] in sheets else None
    words = {"policy.flagged_actor": "the requester recently described a use the commons does not allow",
             "policy.described_use": "the question describes what the figures are for",
             "disclosure.differencing": "it nearly repeats an earlier release (differencing)",
             "disclosure.named_person": "the question names or identifies a person"}
    if rule in words:
        return words[rule]
    if rule in PROJECT_RULES:
        return PROJECT_RULES[rule]
    if rule.startswith("review.approved."):
        return "approved by a steward"
    if rule.startswith("commons.prohibited."):
        return "a use the commons never allows: " + parts[-1].replace("_", " ")
    if len(parts) == 3 and parts[1] == "duty":
        return f"{parts[2].replace('_', ' ')} use of {title or parts[0]} needs a steward's check"
    if len(parts) >= 2 and title:
        return f"{title}: " + " ".join(parts[1:]).replace("_", " ")
    return rule.replace("_", " ").replace(".", ": ", 1) if rule else ""


def _review_state(review_id: str, requester) -> str | None:
    ok, req = attempt(get_references().request, review_id, requester)
    return req.state if ok else None


def _additive() -> dict[str, bool]:
    """Measure label -> whether it is a count (for the summary's small charts)."""
    return {m.label: m.format == "count" for s in get_pipeline().sheets.values() for m in s.measures}


def summary_chart(answer: dict[str, Any]) -> dict | None:
    """Small charts for an area summary from its released table (the pipeline composes
    summaries without a chart): each measure against its parent area and England."""
    tbl = answer.get("table") or {}
    cols = tbl.get("columns") or []
    if (answer.get("plan") or {}).get("intent") != "summary" or cols[:4] != ["Area", "Measure", "Period", "Value"]:
        return None
    additive = _additive()
    rows = tbl.get("rows") or []
    items = [{"measure": r[1], "period": r[2], "value": r[3], "additive": additive.get(r[1], True),
              "comparators": [(c, v) for c, v in zip(cols[4:], r[4:])]} for r in rows]
    return charts.summary_chart(rows[0][0], items) if rows else None


def share_link(ref: str) -> str:
    base = str(getattr(st.context, "url", "") or "").split("?")[0]
    return f"{base}?answer={ref}"


def _chart(spec: dict, key: str) -> None:
    alt = charts.alt_text(spec)
    # its description is the accessible name; a map keeps the fixed size its projection is fitted to
    st.vega_lite_chart(spec=spec, width="content" if "projection" in spec else "stretch")
    with st.container(horizontal=True):
        if alt:
            with st.popover("The chart in words", icon=":material/notes:"):
                st.markdown(alt)
        st.download_button("Download the chart (PNG)", data=lambda: chart_png(spec), file_name=f"commons-{key}.png",
                           mime="image/png", key=f"{key}_png", on_click="ignore", icon=":material/image:")


def render_answer(
    answer: dict[str, Any], key: str, on_ask: Callable[[str], None], interactive: bool = True,
    on_fetch: Callable[[str], None] | None = None, requester=None, ref: str | None = None,
) -> None:
    """Draw one ``GuardedAnswer.to_dict()``; buttons call ``on_ask(text)`` when clicked, and
    the review button ``on_fetch(review_id)``.  ``requester`` is the actor who asked (to show
    the state of a review request); ``ref`` the answer's reference (to look it up or share it)."""
    status = answer.get("status", "answered")
    text = plain_words(answer.get("answer") or "")
    rid = answer.get("review_id")
    if status in STATUS_NOTICE:
        if rid and status == "needs_review":
            text += (f"\n\nYour reference: **{rid}**. Keep it: check it under **My requests**, or type "
                     f"“check {rid}” in the chat, from this or any other browser.")
        elif rid:
            text += f"\n\nReference: **{rid}**"
        STATUS_NOTICE[status](text)
    elif text:
        st.markdown(text)

    if status == "refused" and answer.get("datasets") and interactive:
        _steward_notes(list(answer["datasets"]))
    if status == "needs_review" and rid:
        if requester is not None:
            state = _review_state(rid, requester)
            if state:
                st.markdown(f"**State of {rid}:** {STATE_TEXT.get(state, state)}")
        if on_fetch is not None:
            st.button("Check / fetch answer", key=f"{key}_fetch", on_click=on_fetch, args=(rid,),
                      icon=":material/refresh:")

    if status == "clarify" and answer.get("options"):
        if interactive:
            buttons(answer["options"], f"{key}_opt", on_ask, icon=":material/place:")
        else:
            st.caption("Options: " + "; ".join(answer["options"]))

    tbl = answer.get("table")
    if tbl and tbl.get("rows"):
        table(pd.DataFrame(tbl["rows"], columns=tbl["columns"]))
    spec = answer.get("chart") or (summary_chart(answer) if status == "answered" else None)
    if spec:
        _chart(spec, key)
    if answer.get("citations"):
        _citations(answer["citations"])
    if status == "answered" and tbl and tbl.get("rows"):
        st.download_button("Download the table (CSV)", data=table_csv(answer), file_name=f"commons-{key}.csv",
                           mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:")
    if status == "answered" and (answer.get("plan") or {}).get("intent") == "summary":
        with st.container(horizontal=True):
            st.download_button("Download the briefing (HTML)", data=lambda: briefing(answer, "html", spec),
                               file_name=f"commons-{key}.html", mime="text/html", key=f"{key}_html",
                               on_click="ignore", icon=":material/description:")
            st.download_button("Download the briefing (Markdown)", data=lambda: briefing(answer, "md"),
                               file_name=f"commons-{key}.md", mime="text/markdown", key=f"{key}_md",
                               on_click="ignore", icon=":material/article:")
    if answer.get("caveats"):
        with st.expander("Caveats"):
            for c in answer["caveats"]:
                st.markdown(f"- {plain_words(c)}")
    if answer.get("sql"):
        with st.expander("Show the SQL"):
            st.code(answer["sql"], language="sql")
    if ref:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.caption(f"Reference **{ref}**")
            with st.popover("Share", icon=":material/share:"):
                st.markdown("Anyone who opens this link gets the question asked again, with **their own** "
                            "role and purpose: they see what the commons may show them, not this answer.")
                st.code(share_link(ref), language=None)
    if interactive and answer.get("suggestions"):
        st.caption("You could also ask")
        buttons(answer["suggestions"], f"{key}_sug", on_ask, icon=":material/subdirectory_arrow_right:")
