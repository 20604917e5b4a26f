"""Pieces shared by the pages: the cached pipeline, error display, answer rendering.

Nothing here touches data: every number comes from the pipeline.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from assistant.pipeline import Pipeline
from assistant.stewardship import Stewardship
from kernel.errors import CommonsError
from guardrails.policy import PURPOSES  # purpose id -> label, e.g. "personal"
from ui.export import table_csv

log = logging.getLogger("commons.ui")

__all__ = ["PURPOSES", "buttons", "error_message", "attempt", "get_pipeline", "get_stewardship", "purpose_label", "render_answer", "table"]
STATUS_NOTICE = {"refused": st.warning, "needs_review": st.info, "no_data": st.info}
STATE_TEXT = {
    "pending": "pending: a steward has not decided yet",
    "approved": "approved: fetch the answer below (it is released once)",
    "denied": "denied by a steward",
    "released": "released: the answer has been fetched",
}


@st.cache_resource(show_spinner=False)
def get_pipeline() -> Pipeline:
    """The one pipeline for this server process (opening it builds the store on first run)."""
    pipeline = Pipeline.open()
    warm_up(pipeline)
    return pipeline


@st.cache_resource(show_spinner=False)
def get_stewardship() -> Stewardship:
    """Reviews, contributions and transparency over the same commons as the pipeline."""
    return Stewardship(get_pipeline())


def warm_up(pipeline) -> None:
    """Load (or, on a fresh COMMONS_HOME, build: a few seconds) the documentation and measure
    index while the pipeline opens, so no question waits for it.  `commons build` (run by
    ./scripts/run) has usually built it already.  Not a background thread: a daemon thread
    still training when the process exits aborts it."""
    ok, why = attempt(lambda: (pipeline.docs_index.metrics, pipeline.docs_index.collection))
    if not ok:           # the pipeline falls back without it; the question will say
        log.warning("documentation index warm-up failed: %s", why)


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


def table(df: pd.DataFrame, key: str | None = None) -> None:
    """Numbers with thousands separators; years and periods left alone; no index."""
    config = {}
    for col in df.columns:
        if (pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
                and not any(w in str(col).lower() for w in ("year", "period"))):
            config[col] = st.column_config.NumberColumn(format="localized")
    st.dataframe(df, hide_index=True, column_config=config, width="stretch", key=key)


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


def _review_state(review_id: str, requester) -> str | None:
    ok, req = attempt(get_stewardship().review_status, review_id, requester)
    return req.state if ok else None


def render_answer(
    answer: dict[str, Any], key: str, on_ask: Callable[[str], None], interactive: bool = True,
    on_fetch: Callable[[str], None] | None = None, requester=None,
) -> None:
    """Draw one ``GuardedAnswer.to_dict()``; buttons call ``on_ask(text)`` when clicked, and
    the review button ``on_fetch(review_id)``.  ``requester`` is the actor who asked (to show
    the state of a review request)."""
    status = answer.get("status", "answered")
    text = answer.get("answer") or ""
    if status in STATUS_NOTICE:
        if answer.get("review_id"):
            text += f"\n\nReview reference: `{answer['review_id']}`"
        STATUS_NOTICE[status](text)
    elif text:
        st.markdown(text)

    if status == "refused" and answer.get("datasets") and interactive:
        _steward_notes(list(answer["datasets"]))
    if status == "needs_review" and answer.get("review_id"):
        rid = answer["review_id"]
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
    if answer.get("chart"):
        st.vega_lite_chart(spec=answer["chart"], width="stretch")
    if answer.get("citations"):
        _citations(answer["citations"])
    if status == "answered" and tbl and tbl.get("rows"):
        st.download_button("Download the table (CSV)", data=table_csv(answer), file_name=f"commons-{key}.csv",
                           mime="text/csv", key=f"{key}_csv", on_click="ignore", icon=":material/download:")
    if answer.get("caveats"):
        with st.expander("Caveats"):
            for c in answer["caveats"]:
                st.markdown(f"- {c}")
    if answer.get("sql"):
        with st.expander("Show the SQL"):
            st.code(answer["sql"], language="sql")
    if interactive and answer.get("suggestions"):
        st.caption("You could also ask")
        buttons(answer["suggestions"], f"{key}_sug", on_ask, icon=":material/subdirectory_arrow_right:")
