"""The transparency report: "how has my data been used?"

Built from the audit log for one dataset: requests by purpose, by role and by decision,
outputs released and cells suppressed, and every steward decision with its reason.  The
report is itself disclosure-controlled: a count below the dataset's minimum cell is shown as
"fewer than N" and the rest are rounded, so the report cannot single out a requester.
Requesters are never named.

From the governance store (``guardrails.projects``): the projects that name the dataset (title,
organisation, purpose, lay summary, state, outputs, whether their publication is overdue), the
members' panel's decisions with their reasons and veto grounds (members are not named), and the
fee income of the current year against the datasheet's running costs.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from guardrails.audit import AuditLog
from guardrails.policy import purpose_label
from guardrails.projects import ProjectRegistry
from kernel.errors import ReviewError
from retrieval.datasheets import Datasheet

REQUEST_EVENTS = ("question", "review_release")
DECISION_EVENTS = ("review_decision", "review_approval", "review_return")
PANEL_KINDS = ("vote_for", "vote_against", "veto", "panel_approved", "panel_rejected")


def _controlled(counter: Counter, min_cell: int, round_to: int) -> list[dict]:
    rows = []
    for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if n < min_cell:
            rows.append({"key": key, "count": None, "shown": f"fewer than {min_cell}"})
        else:
            v = int(round_to * round(n / round_to))
            rows.append({"key": key, "count": v, "shown": f"{v:,}"})
    return rows


def _money(pence: float, currency: str = "GBP") -> str:
    sign = "£" if currency == "GBP" else f"{currency} "
    return f"{sign}{pence / 100:,.0f}"


def _projects(registry: ProjectRegistry, sheet: Datasheet,
              span: tuple[str, str] | None = None) -> tuple[list[dict], list[dict], dict]:
    projects, panel = [], []
    year = registry.today().year if span is None else int(span[0][:4])
    income = agreements = 0
    for p in registry.list(dataset=sheet.id):
        outputs = [o for o in registry.outputs(p.id) if _within(o["published"], span)]
        if span is not None and not (outputs or _within(p.created, span) or _within(p.updated, span)
                                     or any(_within(e["ts"], span) for e in registry.events(p.id))):
            continue                 # nothing happened to this project in the period
        projects.append({"project": p.id, "title": p.title, "organisation": p.org, "purpose": p.purpose_label,
                         "lay_summary": p.lay_summary, "state": p.state, "commercial": p.commercial,
                         "end_date": p.end_date, "publication": p.publication, "publication_due": p.publication_due,
                         "overdue": registry.overdue(p),
                         "outputs": [{"title": o["title"], "link": o["link"], "summary": o["summary"],
                                      "published": o["published"]} for o in outputs]})
        events = [e for e in registry.events(p.id, PANEL_KINDS) if e["dataset"] == sheet.id]
        if events:
            final = [e for e in events if e["kind"] in ("veto", "panel_approved", "panel_rejected")]
            panel.append({"project": p.id, "title": p.title,
                          "decision": {"veto": "vetoed", "panel_approved": "approved",
                                       "panel_rejected": "rejected"}.get(final[-1]["kind"]) if final else "voting",
                          "veto_ground": next((e["ground"] for e in events if e["kind"] == "veto"), None),
                          "reasons": [{"vote": {"vote_for": "for", "vote_against": "against", "veto": "veto"}[e["kind"]],
                                       "reason": e["text"], "date": e["ts"][:10]}
                                      for e in events if e["kind"] in ("vote_for", "vote_against", "veto")]})
        for f in registry.fees(p.id):
            in_period = (f["start"][:4] <= str(year) <= f["end"][:4]) if span is None else \
                (f["start"][:10] <= span[1] and f["end"][:10] >= span[0])
            if f["dataset"] == sheet.id and in_period:
                income += f["amount_pence"]
                agreements += 1
    costs = sheet.policy.running_costs
    yearly = None if costs is None else costs.amount * (12 if costs.period == "month" else 1) * 100
    fees = {"year": year, "agreements": agreements, "income": _money(income),
            "running_costs": _money(yearly, costs.currency) + " a year" if yearly is not None else "not stated",
            "covered_pct": round(100 * income / yearly) if yearly else None}
    return projects, panel, fees


def period_range(period: str | None) -> tuple[str, str] | None:
    """'2026-Q3' -> ('2026-07-01', '2026-09-30'); '2026' and '2026-07' too; None for all time."""
    if not period:
        return None
    p = str(period).strip().upper()
    m = re.fullmatch(r"(\d{4})-Q([1-4])", p)
    if m:
        y, q = int(m.group(1)), int(m.group(2))
        start, end = date(y, 3 * q - 2, 1), date(y + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
        return start.isoformat(), end.isoformat()
    m = re.fullmatch(r"(\d{4})-(\d{2})", p)
    if m and 1 <= int(m.group(2)) <= 12:
        y, mo = int(m.group(1)), int(m.group(2))
        end = date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)
        return f"{y}-{mo:02d}-01", end.isoformat()
    if re.fullmatch(r"\d{4}", p):
        return f"{p}-01-01", f"{p}-12-31"
    raise ReviewError(f"'{period}' is not a period: write a quarter (2026-Q3), a month (2026-07) or a year (2026).")


def _within(ts, span: tuple[str, str] | None) -> bool:
    return span is None or span[0] <= str(ts or "")[:10] <= span[1]


def report(audit: AuditLog, sheet: Datasheet, registry: ProjectRegistry | None = None,
           period: str | None = None) -> dict:
    span = period_range(period)
    rules = sheet.rules
    by_purpose, by_role, by_decision = Counter(), Counter(), Counter()
    released = suppressed = requests = 0
    decisions = []
    participation = Counter()
    for rec in audit.records():
        if span is not None and not _within(rec.get("ts"), span):
            continue
        if rec.get("dataset") == sheet.id and rec.get("event") in ("consent_request", "correction_request",
                                                                   "correction_decision"):
            key = {"withdraw": "withdrawals asked for", "opt_out": "opt-outs of a purpose",
                   "opt_in": "opt-ins to a purpose"}.get(rec.get("kind"), None) if rec.get("event") == "consent_request" \
                else ("corrections asked for" if rec.get("event") == "correction_request" else
                      f"corrections {rec.get('decision')}")
            if key:
                participation[key] += 1
            continue
        if rec.get("dataset") == sheet.id and rec.get("event") == "dataset_version" and rec.get("action") == "refresh":
            participation["refreshes"] += 1
            participation["withdrawn at a refresh"] += int(rec.get("withdrawn") or 0)
            continue
        ds = rec.get("datasets") or []
        if sheet.id not in ds:
            continue
        if rec.get("event") in REQUEST_EVENTS:
            requests += 1
            by_purpose[purpose_label(str(rec.get("purpose")))] += 1
            by_role[str(rec.get("role"))] += 1
            by_decision[str(rec.get("status"))] += 1
            if rec.get("status") == "answered":
                released += 1
            suppressed += int(rec.get("suppressed_cells") or 0)
        elif rec.get("event") in DECISION_EVENTS:
            decisions.append({"review_id": rec.get("review_id"), "decision": rec.get("decision"),
                              "reason": rec.get("reason"), "purpose": purpose_label(str(rec.get("purpose"))),
                              "rule": rec.get("rule"), "date": str(rec.get("ts", ""))[:10]})
    total = Counter({"requests": requests, "released answers": released, "suppressed cells": suppressed})
    projects, panel, fees = _projects(registry, sheet, span) if registry is not None else ([], [], {})
    refreshes = participation.pop("refreshes", 0)
    return {
        "dataset": sheet.id,
        "title": sheet.title,
        "period": ({"label": str(period).upper(), "from": span[0], "to": span[1]} if span else None),
        # what participants asked for in the period (counted like the requests: fewer than 10 not shown)
        "participation": _controlled(participation, rules.min_cell, rules.round_to) if sheet.person_level else [],
        "refreshes": refreshes,
        "synthetic": sheet.synthetic,
        "steward": f"{sheet.steward.name} ({sheet.steward.contact})",
        "totals": _controlled(total, rules.min_cell, rules.round_to),
        "by_purpose": _controlled(by_purpose, rules.min_cell, rules.round_to),
        "by_role": _controlled(by_role, rules.min_cell, rules.round_to),
        "by_decision": _controlled(by_decision, rules.min_cell, rules.round_to),
        "steward_decisions": decisions,
        # the head of the signed audit chain this report was built from: anyone holding the
        # published verify key can check the log reaches it (``commons audit verify``)
        "audit_head": {k: v for k, v in (audit.head() or {}).items() if k in ("seq", "hash")},
        "projects": projects,
        "overdue": [{"project": p["project"], "title": p["title"], "due": p["publication_due"]}
                    for p in projects if p["overdue"]],
        "panel_decisions": panel,
        "fees": fees,
        "note": (f"Counts below {rules.min_cell} are shown as 'fewer than {rules.min_cell}' and the rest are "
                 f"rounded to the nearest {rules.round_to}, so this report cannot single anyone out. "
                 "Requesters are never named."),
    }


def as_text(rep: dict) -> str:
    per = rep.get("period")
    lines = [f"How {rep['title']} has been used" + (f" in {per['label']} ({per['from']} to {per['to']})" if per else ""),
             f"Steward: {rep['steward']}", ""]
    for title, key in (("Totals", "totals"), ("By purpose", "by_purpose"), ("By role", "by_role"),
                       ("By decision", "by_decision")):
        lines.append(title + ":")
        lines += [f"  {r['key']}: {r['shown']}" for r in rep[key]] or ["  none yet"]
    lines.append("Steward decisions:")
    lines += [f"  {d['date']} {d['review_id']} {d['decision']} ({d['purpose']}): {d['reason']}"
              for d in rep["steward_decisions"]] or ["  none yet"]
    if rep.get("projects"):
        lines.append("Projects:")
        for p in rep["projects"]:
            lines.append(f"  {p['project']} [{p['state']}{', OVERDUE' if p['overdue'] else ''}] {p['title']} "
                         f"({p['organisation']}; {p['purpose']}; ends {p['end_date']})")
            lines.append(f"    {p['lay_summary']}")
            lines += [f"    output {o['published']}: {o['title']} {o['link'] or o['summary']}" for o in p["outputs"]]
    for d in rep.get("panel_decisions") or []:
        lines.append(f"Members' panel on {d['project']}: {d['decision']}"
                     + (f" (veto: {d['veto_ground']})" if d["veto_ground"] else ""))
        lines += [f"  {r['date']} {r['vote']}: {r['reason']}" for r in d["reasons"]]
    if rep.get("fees"):
        f = rep["fees"]
        lines.append(f"Fee income {f['year']}: {f['income']} from {f['agreements']} agreement(s), against running "
                     f"costs of {f['running_costs']}" + (f" ({f['covered_pct']}% covered)" if f["covered_pct"] is not None
                                                         else ""))
    head = rep.get("audit_head") or {}
    lines += ["", rep["note"], f"Audit chain head: record {head.get('seq', '-')}, hash {head.get('hash', '-')}"]
    return "\n".join(lines)
