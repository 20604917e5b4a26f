"""The transparency report: "how has my data been used?"

Built from the audit log for one dataset: requests by purpose, by role and by decision,
outputs released and cells suppressed, and every steward decision with its reason.  The
report is itself disclosure-controlled: a count below the dataset's minimum cell is shown as
"fewer than N" and the rest are rounded, so the report cannot single out a requester.
Requesters are never named.
"""

from __future__ import annotations

from collections import Counter

from guardrails.audit import AuditLog
from guardrails.policy import purpose_label
from retrieval.datasheets import Datasheet

REQUEST_EVENTS = ("question", "review_release")


def _controlled(counter: Counter, min_cell: int, round_to: int) -> list[dict]:
    rows = []
    for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if n < min_cell:
            rows.append({"key": key, "count": None, "shown": f"fewer than {min_cell}"})
        else:
            v = int(round_to * round(n / round_to))
            rows.append({"key": key, "count": v, "shown": f"{v:,}"})
    return rows


def report(audit: AuditLog, sheet: Datasheet) -> dict:
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
        elif rec.get("event") == "review_decision":
            decisions.append({"review_id": rec.get("review_id"), "decision": rec.get("decision"),
                              "reason": rec.get("reason"), "purpose": purpose_label(str(rec.get("purpose"))),
                              "rule": rec.get("rule"), "date": str(rec.get("ts", ""))[:10]})
    total = Counter({"requests": requests, "released answers": released, "suppressed cells": suppressed})
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
    head = rep.get("audit_head") or {}
    lines += ["", rep["note"], f"Audit chain head: record {head.get('seq', '-')}, hash {head.get('hash', '-')}"]
    return "\n".join(lines)
