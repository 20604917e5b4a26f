"""Area stories: plain words for figures people cannot read alone, and the briefing as a document.

Pure functions.  An IMD score of 36 says little; "about 4 in 10 of Knowsley's neighbourhoods are
among the most deprived 10% in England" does.  The document (Markdown or HTML) is made from an
answer that has already passed every guardrail (its text, table, citations and caveats), so it
carries nothing the answer did not.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from assistant.charts import number


def in_words(n: int, total: int) -> str:
    """A share of areas as people say it: 'about 4 in 10', 'about 1 in 20', 'none', 'all'."""
    if total <= 0 or n <= 0:
        return "none"
    if n >= total:
        return "all"
    p = n / total
    tenths = round(p * 10)
    if tenths == 0:
        return f"about 1 in {max(11, round(1 / p))}" if p >= 1 / 30 else "fewer than 1 in 30"
    if tenths == 10:
        return "nearly all"
    if tenths == 5:
        return "about half"
    return f"about {tenths} in 10"


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def most_deprived_share(place: str, n: int, total: int, index: str) -> str:
    """'About 4 in 10 of Knowsley's neighbourhoods (61 of 151) are among the most deprived 10% in England.'"""
    words = in_words(n, total)
    if words == "none":
        return (f"None of {possessive(place)} {total} neighbourhoods is among the most deprived 10% in England "
                f"({index}).")
    head = words[0].upper() + words[1:]
    return (f"{head} of {possessive(place)} neighbourhoods ({n} of {total}) are among the most deprived 10% "
            f"in England ({index}).")


def national_position(rank: float, of: int) -> str:
    """'among the most deprived 1% in England' for a rank where 1 is the most deprived of ``of``."""
    share = rank / of * 100
    for cut in (1, 5, 10, 20):
        if share <= cut:
            return f"among the most deprived {cut}% in England"
    if share > 90:
        return "among the least deprived 10% in England"
    if share > 50:
        return "in the less deprived half of England"
    return "in the more deprived half of England"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def change(label: str, first: tuple[str, float], last: tuple[str, float], fmt=number) -> str:
    """'Population (all ages): up from 145,893 in 2017 to 149,571 in 2020 (+2.5%).'"""
    (p0, v0), (p1, v1) = first, last
    if v0 == v1:
        return f"{label}: unchanged at {fmt(v1)} from {p0} to {p1}."
    way = "up" if v1 > v0 else "down"
    pct = f" ({(v1 - v0) / abs(v0) * 100:+.1f}%)" if v0 else ""
    return f"{label}: {way} from {fmt(v0)} in {p0} to {fmt(v1)} in {p1}{pct}."


# -- the document ---------------------------------------------------------------------------------
def markdown(answer: dict[str, Any], title: str) -> str:
    """The briefing as Markdown: the answer, its table, sources with licences, caveats."""
    out = [f"# {title}", "", _strip_understood(answer.get("answer") or ""), ""]
    table = answer.get("table") or {}
    if table.get("rows"):
        cols = [str(c) for c in table["columns"]]
        out += ["## Figures", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for r in table["rows"]:
            out.append("| " + " | ".join("" if c is None else _cell(c) for c in r) + " |")
        out.append("")
    cites = answer.get("citations") or []
    if cites:
        out += ["## Sources and licences", ""]
        for i, c in enumerate(cites, 1):
            out.append(f"{i}. **{c['title']}**, {c['publisher']}. Licence: {c['licence']}. {c['attribution']} "
                       f"<{c['source']}>")
        out.append("")
    if answer.get("caveats"):
        out += ["## Caveats", ""] + [f"- {c}" for c in answer["caveats"]] + [""]
    ref = answer.get("audit_id")
    out.append(f"_Made by the Commons Assistant from the Liverpool City Region data commons"
               + (f"; answer reference {ref}" if ref else "") + "._")
    return "\n".join(out) + "\n"


def to_html(md: str, title: str, images: Sequence[tuple[str, str]] = ()) -> str:
    """A self-contained HTML page from the briefing's Markdown (the small subset ``markdown``
    writes), with ``images`` as ``(alt text, data: URI)`` after the first section."""
    body, in_list, in_table = [], None, False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-"):
                continue
            if not in_table:
                body.append("<table>")
                in_table = True
                body.append("<tr>" + "".join(f"<th>{_inline(c)}</th>" for c in cells) + "</tr>")
            else:
                body.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        m = re.match(r"^(\d+\.|-) (.*)$", line)
        kind = ("ol" if m.group(1)[0].isdigit() else "ul") if m else None
        if in_list and kind != in_list:
            body.append(f"</{in_list}>")
            in_list = None
        if m:
            if not in_list:
                body.append(f"<{kind}>")
                in_list = kind
            body.append(f"<li>{_inline(m.group(2))}</li>")
        elif line.startswith("## "):
            if images and line == "## Figures":
                body += [f'<img alt="{html.escape(alt)}" src="{uri}" style="max-width:100%">' for alt, uri in images]
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_list:
        body.append(f"</{in_list}>")
    if in_table:
        body.append("</table>")
    style = ("body{font-family:sans-serif;max-width:48rem;margin:1rem auto;padding:0 1rem;line-height:1.45}"
             "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .4rem;text-align:left}")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            f"content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}</title><style>{style}"
            f"</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _strip_understood(text: str) -> str:
    return re.sub(r"^(SYNTHETIC data\. )?Understood:[^\n]*\n+", "", text)


def _cell(c: Any) -> str:
    return (number(c) if isinstance(c, (int, float)) and not isinstance(c, bool) else str(c)).replace("|", "/")


def _inline(text: str) -> str:
    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"(?<![\w*])_(.+?)_(?![\w*])", r"<em>\1</em>", t)
    t = re.sub(r"&lt;(https?://[^\s&]+)&gt;", r'<a href="\1">\1</a>', t)
    return t


__all__ = ["change", "in_words", "markdown", "most_deprived_share", "national_position", "ordinal", "to_html"]
