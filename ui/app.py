"""Commons Assistant: the Streamlit entry file (router only; pages live in app_pages/)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

from ui.components import get_pipeline, show_error  # noqa: E402

st.set_page_config(page_title="Commons Assistant", page_icon=":material/forum:", layout="wide")

PAGES = [
    st.Page("app_pages/ask.py", title="Ask", icon=":material/chat:", default=True),
    # Later: Datasets, Contribute, Steward desk, How your data is used, Evaluate.
]

try:
    page = st.navigation(PAGES)
    with st.spinner("Preparing the commons (first run builds the data store)…"):
        get_pipeline()
    page.run()
except Exception as exc:  # Streamlit's stop/rerun signals are BaseException and pass through
    show_error(exc)
