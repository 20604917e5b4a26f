"""Use-boundary policy: decided on the plan, before any SQL exists.  Default deny."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.datasheets import Datasheet

PURPOSES = {
    "personal": "personal or community interest",
    "service_planning": "service planning",
    "research": "general research (GRU)",
    "health_research": "health or medical research (HMB)",
    "commercial": "commercial use",
    "evaluation": "evaluation of the commons",
    "stewardship": "stewardship and oversight",
}


@dataclass(frozen=True)
class PolicyDecision:
    outcome: str            # allow | refuse | needs_review
    rule: str               # rule id, quoted in refusals and the audit log
    reason: str = ""


def decide(sheets: list[Datasheet], role: str, purpose: str) -> PolicyDecision:
    if purpose not in PURPOSES:
        return PolicyDecision("refuse", "purpose.unknown",
                              f"'{purpose}' is not a purpose this commons recognises. "
                              f"Choose one of: {', '.join(sorted(PURPOSES))}.")
    for s in sheets:
        p = s.policy
        if purpose in p.prohibited:
            return PolicyDecision("refuse", f"{s.id}.prohibited.{purpose}",
                                  f"{s.title} may not be used for {PURPOSES[purpose]}. "
                                  f"Contact the steward: {s.steward.name} ({s.steward.contact}).")
        if "any" not in p.roles and role not in p.roles:
            return PolicyDecision("refuse", f"{s.id}.roles",
                                  f"{s.title} is not available to the {role} role. "
                                  f"Contact the steward: {s.steward.name} ({s.steward.contact}).")
        if purpose in p.needs_review:
            return PolicyDecision("needs_review", f"{s.id}.review.{purpose}",
                                  f"Use of {s.title} for {PURPOSES[purpose]} needs a steward's approval.")
        if "any" not in p.permitted_purposes and purpose not in p.permitted_purposes:
            return PolicyDecision("refuse", f"{s.id}.purpose.not_permitted",
                                  f"{s.title} may be used only for: {', '.join(p.permitted_purposes)}. "
                                  f"Contact the steward: {s.steward.name} ({s.steward.contact}).")
    return PolicyDecision("allow", "open.permitted" if all(s.sensitivity == "open" for s in sheets)
                          else "policy.permitted")
