"""Downloads: an answer's released table as CSV, with its sources and licence attribution, and its
chart as a PNG image."""

from __future__ import annotations

import csv
import io
import json
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


def chart_png(spec: dict[str, Any], width: int = 640) -> bytes:
    """The chart as a PNG image, drawn here (vl-convert: no browser, nothing fetched)."""
    import vl_convert  # imported on first export only: a large module

    fixed = json.loads(json.dumps(spec).replace('"width": "container"', f'"width": {width}'))
    return vl_convert.vegalite_to_png(fixed, scale=2)
