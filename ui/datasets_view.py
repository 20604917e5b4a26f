"""Catalogue helpers for the Datasets page (no streamlit widgets here, only cached reads)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.components import get_pipeline

SENSITIVITY = {"open": "open", "restricted": "restricted", "personal": "person-level"}


def catalogue_rows(sheets) -> list[dict]:
    return [{"Dataset": s.title, "Publisher": s.publisher,
             "Access": SENSITIVITY.get(s.sensitivity, s.sensitivity) + (" · synthetic" if s.synthetic else "")}
            for s in sheets]


@st.cache_data(show_spinner=False, max_entries=64)
def open_csv(dataset_id: str) -> bytes | None:
    """The published file of an OPEN dataset, as shipped.  None for anything else."""
    pipeline = get_pipeline()
    sheet = pipeline.sheets.get(dataset_id)
    if sheet is None or sheet.sensitivity != "open":
        return None
    path = Path(sheet.source_file)
    if not path.is_absolute():
        path = Path(pipeline.settings.data_dir) / path
    try:
        return path.read_bytes()
    except OSError:
        return None
