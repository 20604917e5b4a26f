"""Pieces shared by the pages: the cached pipeline, error display, answer rendering.

Nothing here touches data: every number comes from ``Pipeline.ask``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from assistant.errors import CommonsError
from guardrails.policy import PURPOSES  # purpose id -> label, e.g. "personal"

log = logging.getLogger("commons.ui")

__all__ = ["PURPOSES", "buttons", "error_message", "get_pipeline", "render_answer", "show_error"]
STATUS_NOTICE = {"refused": st.warning, "needs_review": st.info, "no_data": st.info}


@st.cache_resource(show_spinner=False)
def get_pipeline():
    """The one pipeline for this server process (opening it builds the store on first run)."""
    from assistant.pipeline import Pipeline

    return Pipeline.open()


def error_message(exc: BaseException) -> str:
    """A message for the person in front of the page; never a traceback."""
    if isinstance(exc, CommonsError):
        return str(exc)
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected error in the app (reference %s)", ref, exc_info=exc)
    return f"Sorry, something went wrong on our side. Please try again. (Reference: {ref})"


def show_error(exc: BaseException) -> None:
    st.error(error_message(exc), icon=":material/error:")


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


def _table(df: pd.DataFrame) -> None:
    """Numbers with thousands separators; years and periods left alone."""
    config = {}
    for col in df.columns:
        if (pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
                and not any(w in str(col).lower() for w in ("year", "period"))):
            config[col] = st.column_config.NumberColumn(format="localized")
    st.dataframe(df, hide_index=True, column_config=config)


def render_answer(
    answer: dict[str, Any], key: str, on_ask: Callable[[str], None], interactive: bool = True
) -> None:
    """Draw one ``GuardedAnswer.to_dict()``; buttons call ``on_ask(text)`` when clicked."""
    status = answer.get("status", "answered")
    text = answer.get("answer") or ""
    if status in STATUS_NOTICE:
        if answer.get("review_id"):
            text += f"\n\nReview reference: `{answer['review_id']}`"
        STATUS_NOTICE[status](text)
    elif text:
        st.markdown(text)

    if status == "clarify" and answer.get("options"):
        if interactive:
            buttons(answer["options"], f"{key}_opt", on_ask, icon=":material/place:")
        else:
            st.caption("Options: " + "; ".join(answer["options"]))

    table = answer.get("table")
    if table and table.get("rows"):
        _table(pd.DataFrame(table["rows"], columns=table["columns"]))
    if answer.get("chart"):
        st.vega_lite_chart(spec=answer["chart"], width="stretch")
    if answer.get("citations"):
        _citations(answer["citations"])
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
