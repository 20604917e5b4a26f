"""Downloads: an answer's released table as CSV, with its sources and licence attribution, and its
chart as a PNG image."""

from __future__ import annotations

import base64
import csv
import io
import json
from typing import Any

from assistant import story


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


def briefing(answer: dict[str, Any], kind: str, spec: dict[str, Any] | None = None) -> bytes:
    """An area summary as a document to download: Markdown, or HTML with its chart drawn in."""
    title = briefing_title(answer)
    md = story.markdown(answer, title)
    if kind == "md":
        return md.encode("utf-8")
    images = []
    if spec:
        png = base64.b64encode(chart_png(spec)).decode("ascii")
        images.append((str(spec.get("description") or "chart"), f"data:image/png;base64,{png}"))
    return story.to_html(md, title, images).encode("utf-8")


def briefing_title(answer: dict[str, Any]) -> str:
    text = str(answer.get("answer") or "")
    start = text.find("**Summary of ")
    if start >= 0:
        end = text.find("**", start + 2)
        return "Briefing: " + text[start + 13:end]
    return "Briefing from the Commons Assistant"
