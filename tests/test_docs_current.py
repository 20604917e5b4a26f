"""Documentation that cannot rot: every setting, purpose, prohibition, disclosure threshold,
refusal rule and audit event the code defines is named in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kernel.settings import Settings
from guardrails import policy, probes, projects
from retrieval.datasheets import DisclosureRules

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
AUDIT_EVENTS = sorted({e for pkg in ("assistant", "guardrails") for f in sorted((ROOT / pkg).glob("*.py"))
                       for e in re.findall(r"""(?:audit\.append\(\s*|\)\.append\(\s*|event=|event: str = |_audit\(settings, )["'](\w+)["']""", f.read_text())})


@pytest.mark.parametrize("var", sorted(Settings.ENV.values()))
def test_every_setting_is_documented(var):
    assert f"`{var}`" in README


@pytest.mark.parametrize("name", sorted(policy.PURPOSES) + sorted(policy.PROHIBITED))
def test_every_purpose_is_documented(name):
    assert f"`{name}`" in README


@pytest.mark.parametrize("field", sorted(DisclosureRules.model_fields))
def test_every_disclosure_threshold_is_documented(field):
    if field == "secondary":
        assert "secondary suppression" in README
    else:
        assert f"`{field}`" in README


@pytest.mark.parametrize("rule", sorted(probes.MESSAGES) + sorted(projects.RULES) + [
    "disclosure.differencing", "disclosure.named_person", "policy.described_use", "policy.flagged_actor",
    "auth.not_signed_in", "audit.write_ahead", "governance.unapproved"])
def test_every_refusal_rule_is_documented(rule):
    assert f"`{rule}`" in README


def test_audit_events_found_and_documented():
    assert {"question", "review_decision", "review_release", "review_inspect", "sign_in", "sign_in_failed",
            "sign_in_locked", "project_submit", "project_decision", "panel_vote", "panel_veto", "fee_agreement",
            "project_output"} <= set(AUDIT_EVENTS)
    for event in AUDIT_EVENTS:
        assert f"`{event}`" in README, event
