"""Downloads: an answer's released table as CSV, with its sources and licence attribution."""

from __future__ import annotations

import csv
import io
from typing import Any


def table_csv(answer: dict[str, Any]) -> bytes:
    """The table, a blank line, then one line per source: title, publisher, licence,
    attribution and link (the attribution the licence asks for travels with the figures)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    tbl = answer.get("table") or {}
    w.writerow(tbl.get("columns") or [])
    for row in tbl.get("rows") or []:
        w.writerow(["" if c is None else c for c in row])
    cites = answer.get("citations") or []
    if cites:
        w.writerow([])
        for c in cites:
            w.writerow([f"Source: {c.get('title') or c.get('dataset')} - {c.get('publisher', '')}"])
            if c.get("licence"):
                w.writerow([f"Licence: {c['licence']}"])
            if c.get("attribution"):
                w.writerow([f"Attribution: {c['attribution']}"])
            if c.get("source"):
                w.writerow([f"Link: {c['source']}"])
    if any("SYNTHETIC" in str(x) for x in (answer.get("caveats") or [])):
        w.writerow(["Note: includes SYNTHETIC demonstration data (not real people)."])
    return out.getvalue().encode("utf-8")
