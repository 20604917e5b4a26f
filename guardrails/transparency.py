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

from collections import Counter

from guardrails.audit import AuditLog
from guardrails.policy import purpose_label
from guardrails.projects import ProjectRegistry
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


def _projects(registry: ProjectRegistry, sheet: Datasheet) -> tuple[list[dict], list[dict], dict]:
    projects, panel = [], []
    year = registry.today().year
    income = agreements = 0
    for p in registry.list(dataset=sheet.id):
        outputs = registry.outputs(p.id)
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
            if f["dataset"] == sheet.id and f["start"][:4] <= str(year) <= f["end"][:4]:
                income += f["amount_pence"]
                agreements += 1
    costs = sheet.policy.running_costs
    yearly = None if costs is None else costs.amount * (12 if costs.period == "month" else 1) * 100
    fees = {"year": year, "agreements": agreements, "income": _money(income),
            "running_costs": _money(yearly, costs.currency) + " a year" if yearly is not None else "not stated",
            "covered_pct": round(100 * income / yearly) if yearly else None}
    return projects, panel, fees


def report(audit: AuditLog, sheet: Datasheet, registry: ProjectRegistry | None = None) -> dict:
    rules = sheet.rules
    by_purpose, by_role, by_decision = Counter(), Counter(), Counter()
    released = suppressed = requests = 0
    decisions = []
    for rec in audit.records():
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
    projects, panel, fees = _projects(registry, sheet) if registry is not None else ([], [], {})
    return {
        "dataset": sheet.id,
        "title": sheet.title,
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
    lines = [f"How {rep['title']} has been used", f"Steward: {rep['steward']}", ""]
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
