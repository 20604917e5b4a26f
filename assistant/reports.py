"""The periodic data-use report as a shareable document: Markdown (with its charts as PNG files
beside it) or one self-contained HTML file (charts embedded).

Built only from ``guardrails.transparency.report``, which is already disclosure-controlled:
counts under the dataset's minimum cell are "fewer than N", the rest rounded, requesters never
named.  Charts show only the counts the report releases, each with its text alternative.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from assistant.charts import alt_text, bar_chart

SECTIONS = (("Requests by purpose", "by_purpose"), ("Requests by kind of user", "by_role"),
            ("Decisions", "by_decision"), ("What participants asked for", "participation"))


def charts(rep: dict) -> list[tuple[str, dict, str]]:
    """(file stem, Vega-Lite spec, text alternative) for each section with released counts."""
    out = []
    for title, key in SECTIONS:
        rows = [{"what": str(r["key"]), "count": r["count"]} for r in rep.get(key) or [] if r.get("count") is not None]
        if not rows:
            continue
        spec = bar_chart(title, rows, "what", "count")
        if spec is not None:
            out.append((key, spec, alt_text(spec)))
    return out


def _png(spec: dict, width: int = 560) -> bytes:
    import json
    import vl_convert          # a large module: only when a report is exported
    fixed = json.loads(json.dumps(spec).replace('"width": "container"', f'"width": {width}'))
    return vl_convert.vegalite_to_png(fixed, scale=2)


def _table(rows: list[dict]) -> list[str]:
    return [f"- {r['key']}: {r['shown']}" for r in rows] or ["- none in this period"]


def markdown(rep: dict, chart_files: dict[str, str] | None = None) -> str:
    per = rep.get("period")
    title = f"How {rep['title']} was used" + (f" in {per['label']} ({per['from']} to {per['to']})" if per else "")
    lines = [f"# {title}", ""]
    if rep.get("synthetic"):
        lines += ["*SYNTHETIC demo dataset: the people in it do not exist.*", ""]
    lines += [f"Steward: {rep['steward']}", "", "## In numbers", ""]
    lines += [f"- {str(t['key']).capitalize()}: {t['shown']}" for t in rep.get("totals") or []]
    for title_, key in SECTIONS:
        if key == "participation" and not rep.get("participation") and not rep.get("refreshes"):
            continue
        lines += ["", f"## {title_}", ""] + _table(rep.get(key) or [])
        if key == "participation" and rep.get("refreshes"):
            lines += [f"- Scheduled refreshes that applied participants' changes: {rep['refreshes']}"]
        if chart_files and key in chart_files:
            lines += ["", f"![{title_}]({chart_files[key]})"]
    lines += ["", "## Steward decisions", ""]
    lines += [f"- {d['date']} {d['review_id']}: {d['decision']} ({d['purpose']}): {d['reason']}"
              for d in rep.get("steward_decisions") or []] or ["- none in this period"]
    lines += ["", "## Projects and what came of them", ""]
    for p in rep.get("projects") or []:
        lines.append(f"### {p['title']} ({p['project']}, {p['state']}{', publication overdue' if p['overdue'] else ''})")
        lines += ["", f"{p['organisation']}; {p['purpose']}; ends {p['end_date']}.", "", p["lay_summary"], ""]
        lines += [f"- Output {o['published']}: {o['title']} {o['link'] or o['summary']}" for o in p["outputs"]] \
            or ["- No output registered in this period."]
        lines.append("")
    if not rep.get("projects"):
        lines.append("No project used the dataset in this period.")
    for d in rep.get("panel_decisions") or []:
        lines += ["", f"Members' panel on {d['project']}: {d['decision']}"
                  + (f" (veto: {d['veto_ground']})" if d["veto_ground"] else "")]
        lines += [f"- {r['date']} {r['vote']}: {r['reason']}" for r in d["reasons"]]
    f = rep.get("fees") or {}
    if f:
        lines += ["", "## Fees", "", f"Fee income {f['year']}: {f['income']} from {f['agreements']} agreement(s), "
                  f"against running costs of {f['running_costs']}."]
    head = rep.get("audit_head") or {}
    lines += ["", "---", "", rep["note"], "",
              f"Built from the signed audit chain up to record {head.get('seq', '-')} (hash {head.get('hash', '-')})."]
    return "\n".join(lines) + "\n"


def write(rep: dict, out: Path, fmt: str = "md") -> Path:
    """Write the report to ``out`` (a folder): ``report.md`` and its PNG charts, or ``report.html``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made = charts(rep)
    if fmt == "md":
        files = {}
        for key, spec, _alt in made:
            (out / f"{key}.png").write_bytes(_png(spec))
            files[key] = f"{key}.png"
        path = out / "report.md"
        path.write_text(markdown(rep, files), encoding="utf-8")
        return path
    if fmt != "html":
        raise ValueError(f"unknown report format {fmt!r} (md or html)")
    path = out / "report.html"
    path.write_text(html_document(rep, made), encoding="utf-8")
    return path


def html_document(rep: dict, made: list | None = None) -> str:
    """The report as one self-contained HTML page (charts embedded as PNG, each with its text)."""
    made = charts(rep) if made is None else made
    body = []
    for line in markdown(rep).splitlines():
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
            key = next((k for t, k in SECTIONS if t == line[3:]), None)
            chart = next(((s, a) for k, s, a in made if k == key), None)
            if chart:
                data = base64.b64encode(_png(chart[0])).decode("ascii")
                body.append(f'<img alt="{html.escape(chart[1])}" src="data:image/png;base64,{data}" '
                            'style="max-width:100%">')
        elif line.startswith("### "):
            body.append(f"<h3>{html.escape(line[4:])}</h3>")
        elif line.startswith("- "):
            body.append(f"<li>{html.escape(line[2:])}</li>")
        elif line.strip() and line != "---":
            body.append(f"<p>{html.escape(line.strip('*'))}</p>")
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            "content=\"width=device-width, initial-scale=1\"><title>" + html.escape(rep["title"]) +
            "</title><style>body{font-family:sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem}"
            "</style></head><body>" + "\n".join(body) + "</body></html>\n")
