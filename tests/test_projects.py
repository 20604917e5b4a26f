"""Safe projects (guardrails/projects.py): a project's life, scoped stewards, two independent
approvals from two organisations, return and reply, the members' panel, fee agreements,
publication duty, and the gate every person-level release passes.  One rule per test, at the
boundaries, on the shipped datasheets; then the pipeline end to end: every person-level answer
traces in the audit chain to a signed-in requester, an approved project and its approvals."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from guardrails.auth import Account
from guardrails.projects import RULES, ProjectRegistry
from kernel.errors import ProjectError
from retrieval.datasheets import load_datasheet

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 3, 2)
LUPUS, VCSE = "lupus_commons", "vcse_coop"


@pytest.fixture(scope="module")
def sheets():
    out = {s.id: s for s in (load_datasheet(ROOT / "data" / "contrib" / f"{d}.yaml") for d in (LUPUS, VCSE))}
    out["population_la"] = load_datasheet(ROOT / "data" / "datasheets" / "population_la.yaml")
    return out


def acct(uid, role, org, datasets=(), email=None) -> Account:
    return Account(id=uid, name=uid, roles=(role,), org=org, datasets=tuple(datasets), email=email)


ROSA = acct("rosa", "researcher", "University of Liverpool")
ACME = acct("acme", "commercial", "Acme Pharma")
PRIYA = acct("priya", "steward", "Merseyside Lupus Commons", [LUPUS])
OLU = acct("olu", "steward", "Hospital lupus clinic", [LUPUS])
VIK = acct("vik", "steward", "VCSE co-op", [VCSE])
SAM = acct("sam", "steward", "Open-data desk", ["open"])
MEMBERS = [acct(m, "member", "Lupus commons members", [LUPUS]) for m in ("mo", "jen", "kai")]


@pytest.fixture
def reg(tmp_path):
    return ProjectRegistry(tmp_path / "governance.sqlite", clock=lambda: TODAY)


def fields(**over):
    f = dict(title="Flares and work among people with lupus", purpose="health_research", datasets=[LUPUS],
             lay_summary="How lupus flares relate to work, so that services can help people stay in work.",
             end_date=(TODAY + timedelta(days=365)).isoformat(), publication="an open-access paper",
             publication_due=(TODAY + timedelta(days=200)).isoformat())
    f.update(over)
    return f


def submit(reg, sheets, who=ROSA, **over):
    return reg.submit(who, who.roles[0], sheets, **fields(**over))


def approved(reg, sheets, who=ROSA, **over):
    p = submit(reg, sheets, who, **over)
    reg.decide(p.id, PRIYA, "approve", "in scope", sheets)
    reg.decide(p.id, OLU, "approve", "agreed", sheets)
    if reg.get(p.id).state == "panel":
        for m in MEMBERS:
            reg.vote(p.id, m, True, "good for members", sheets)
    return reg.get(p.id)


def actor(a: Account, role=None):
    return a.actor(role)


# -- submitting ---------------------------------------------------------------------------------
@pytest.mark.parametrize("over, words", [
    ({"purpose": "marketing"}, "commons.prohibited.marketing"),
    ({"purpose": "fun"}, "purpose is one the commons recognises"),
    ({"commercial": "a pharma partner"}, "choose the purpose 'commercial'"),
    ({"datasets": ["population_la"]}, "open data: it needs no project"),
    ({"datasets": ["nope"]}, "no dataset 'nope'"),
    ({"datasets": []}, "Name the datasets"),
    ({"publication": "", "publication_due": None}, "must be published (DUO: PUB)"),
    ({"end_date": TODAY.isoformat()}, "end date must be after today"),
    ({"end_date": (TODAY + timedelta(days=366 * 5 + 1)).isoformat()}, "within 5 years"),
    ({"publication_due": (TODAY + timedelta(days=400)).isoformat()}, "no later than the end date"),
    ({"lay_summary": "too short"}, "lay summary"),
    ({"purpose": "marketing_research"}, "purpose is one the commons recognises"),
])
def test_a_project_must_be_complete_and_permitted(reg, sheets, over, words):
    with pytest.raises(ProjectError, match=words.replace("(", r"\(").replace(")", r"\)")):
        submit(reg, sheets, **over)


def test_a_commercial_account_submits_commercial_projects_only(reg, sheets):
    with pytest.raises(ProjectError, match="commercial"):
        submit(reg, sheets, ACME)
    p = submit(reg, sheets, ACME, purpose="commercial")
    assert p.commercial and p.purpose == "commercial" and p.org == "Acme Pharma" and p.state == "submitted"
    with pytest.raises(ProjectError, match="no organisation"):
        submit(reg, sheets, replace(ROSA, org=None))


# -- stewards: scoped, independent, two organisations ------------------------------------------
def test_two_approvals_from_two_organisations_then_the_panel(reg, sheets):
    p = submit(reg, sheets)
    p, what = reg.decide(p.id, PRIYA, "approve", "in scope", sheets)
    assert p.state == "submitted" and "1 more steward approval" in what
    p, what = reg.decide(p.id, OLU, "approve", "agreed", sheets)
    assert p.state == "panel" and "members' panel" in what     # health research: the panel decides too


@pytest.mark.parametrize("second, words", [
    (PRIYA, "already approved"),                                                  # twice
    (acct("p.r.i.y.a", "steward", "Other org", [LUPUS]), "already approved"),     # another spelling of the id
    (acct("pshah", "steward", "Other org", [LUPUS], email="p@x.example"), "already approved"),   # same e-mail
    (acct("kate", "steward", "Merseyside Lupus Commons", [LUPUS]), "different organisations"),  # same org
])
def test_one_person_or_one_organisation_approves_once(reg, sheets, second, words):
    first = replace(PRIYA, email="p@x.example")
    p = submit(reg, sheets)
    reg.decide(p.id, first, "approve", "in scope", sheets)
    with pytest.raises(ProjectError, match=words):
        reg.decide(p.id, second, "approve", "again", sheets)
    assert reg.get(p.id).state == "submitted"


@pytest.mark.parametrize("steward, words", [
    (VIK, "not a steward of lupus_commons"), (SAM, "not a steward of lupus_commons"),
    (acct("uni", "steward", "University of Liverpool", [LUPUS]), "own organisation"),
    (replace(ROSA, roles=("researcher", "steward"), datasets=(LUPUS,), org="Elsewhere"), "of their own"),
    (ROSA, "Only a signed-in steward"),
])
def test_only_the_datasets_own_stewards_decide_and_never_on_their_own(reg, sheets, steward, words):
    p = submit(reg, sheets)
    with pytest.raises(ProjectError, match=words):
        reg.decide(p.id, steward, "approve", "fine", sheets)


def test_return_with_questions_and_the_reply_start_a_new_round(reg, sheets):
    p = submit(reg, sheets)
    reg.decide(p.id, PRIYA, "approve", "in scope", sheets)
    p, _ = reg.decide(p.id, OLU, "return", "Which age bands will you publish?", sheets)
    assert p.state == "returned"
    with pytest.raises(ProjectError, match="has not replied"):
        reg.decide(p.id, OLU, "approve", "fine", sheets)
    with pytest.raises(ProjectError, match="someone else"):
        reg.reply(p.id, actor(ACME), "not mine")
    p = reg.reply(p.id, actor(ROSA), "Only the five published age bands, as counts.")
    assert p.state == "submitted" and p.round == 2
    p, what = reg.decide(p.id, OLU, "approve", "answered", sheets)
    assert p.state == "submitted" and "1 more" in what          # priya's first-round approval no longer counts
    kinds = [(e["kind"], e["round"]) for e in reg.events(p.id)]
    assert kinds == [("approve", 1), ("return", 1), ("reply", 1), ("approve", 2)]


def test_a_denial_ends_it(reg, sheets):
    p = submit(reg, sheets)
    p, _ = reg.decide(p.id, PRIYA, "deny", "out of scope", sheets)
    assert p.state == "denied"
    with pytest.raises(ProjectError):
        reg.decide(p.id, OLU, "approve", "too late", sheets)


# -- the members' panel -------------------------------------------------------------------
def test_the_panel_decides_at_its_quorum_by_majority(reg, sheets):
    p = submit(reg, sheets)
    with pytest.raises(ProjectError, match="once its stewards have approved"):
        reg.vote(p.id, MEMBERS[0], True, "early", sheets)
    reg.decide(p.id, PRIYA, "approve", "in scope", sheets)
    reg.decide(p.id, OLU, "approve", "agreed", sheets)
    p, what = reg.vote(p.id, MEMBERS[0], True, "yes", sheets)
    assert p.state == "panel" and "1 of 3" in what
    with pytest.raises(ProjectError, match="already voted"):
        reg.vote(p.id, MEMBERS[0], False, "changed my mind", sheets)
    reg.vote(p.id, MEMBERS[1], False, "no", sheets)
    p, _ = reg.vote(p.id, MEMBERS[2], True, "yes", sheets)
    assert p.state == "approved"                                 # 2 of 3 > 0.5


def test_a_panel_majority_against_rejects(reg, sheets):
    p = submit(reg, sheets)
    reg.decide(p.id, PRIYA, "approve", "in scope", sheets)
    reg.decide(p.id, OLU, "approve", "agreed", sheets)
    for m, v in zip(MEMBERS, (True, False, False)):
        p, _ = reg.vote(p.id, m, v, "view", sheets)
    assert p.state == "denied"
    assert reg.events(p.id, ("panel_rejected",))


@pytest.mark.parametrize("who, words", [
    (acct("vm", "member", "VCSE members", [VCSE]), "no members' panel you sit on"),
    (ROSA, "Only a signed-in member"),
    (acct("um", "member", "University of Liverpool", [LUPUS]), "own organisation"),
])
def test_only_the_datasets_own_members_vote(reg, sheets, who, words):
    p = submit(reg, sheets)
    reg.decide(p.id, PRIYA, "approve", "in scope", sheets)
    reg.decide(p.id, OLU, "approve", "agreed", sheets)
    with pytest.raises(ProjectError, match=words):
        reg.vote(p.id, who, True, "yes", sheets)


def test_one_member_vetoes_on_a_listed_ground(reg, sheets):
    p = submit(reg, sheets)
    with pytest.raises(ProjectError, match="one of the datasheet's grounds"):
        reg.veto(p.id, MEMBERS[0], "I do not like it", "no", sheets)
    ground = sheets[LUPUS].policy.panel.veto_grounds[1]
    p, what = reg.veto(p.id, MEMBERS[0], ground.upper(), "members could be identified", sheets)
    assert p.state == "vetoed" and ground in what
    assert reg.gate(p.id, actor(ROSA), "health_research", sheets[LUPUS])[0] == "project.vetoed"


def test_a_project_without_a_panel_purpose_skips_the_panel(reg, sheets):
    p = submit(reg, sheets, purpose="service_planning", publication="a report")
    reg.decide(p.id, PRIYA, "approve", "in scope", sheets)
    assert reg.decide(p.id, OLU, "approve", "agreed", sheets)[0].state == "approved"
    v = reg.submit(acct("nia", "provider", "Knowsley CVS"), "provider", sheets, **fields(
        datasets=[VCSE], purpose="service_planning", publication="", publication_due=None))
    assert reg.decide(v.id, VIK, "approve", "one approval is enough for the co-op", sheets)[0].state == "approved"


# -- fees -----------------------------------------------------------------------------------
def test_a_commercial_project_needs_a_fee_agreement_in_force(reg, sheets):
    p = approved(reg, sheets, ACME, purpose="commercial")
    assert p.state == "approved"
    assert reg.gate(p.id, actor(ACME), "commercial", sheets[LUPUS])[0] == "fees.no_agreement"
    with pytest.raises(ProjectError, match="stewards? "):
        reg.record_fee(p.id, ACME, LUPUS, "FA-1", 10, TODAY, TODAY, "me", sheets)            # the requester
    with pytest.raises(ProjectError, match="own organisation"):
        reg.record_fee(p.id, acct("ap", "steward", "Acme Pharma", [LUPUS]), LUPUS, "FA-1", 10, TODAY, TODAY, "me",
                       sheets)
    with pytest.raises(ProjectError, match="more than zero"):
        reg.record_fee(p.id, PRIYA, LUPUS, "FA-1", 0, TODAY, TODAY, "A. Carter", sheets)
    old = reg.record_fee(p.id, PRIYA, LUPUS, "FA-OLD", 500, TODAY - timedelta(days=400), TODAY - timedelta(days=1),
                         "A. Carter", sheets)
    assert old["amount_pence"] == 50000
    assert reg.gate(p.id, actor(ACME), "commercial", sheets[LUPUS])[0] == "fees.outside_period"
    reg.record_fee(p.id, PRIYA, LUPUS, "FA-12", "2,500", TODAY, TODAY + timedelta(days=90), "A. Carter", sheets)
    assert reg.gate(p.id, actor(ACME), "commercial", sheets[LUPUS]) is None
    research = approved(reg, sheets)
    with pytest.raises(ProjectError, match="not commercial"):
        reg.record_fee(research.id, PRIYA, LUPUS, "FA-2", 10, TODAY, TODAY, "x", sheets)


# -- publication duty -----------------------------------------------------------------------
def test_an_overdue_publication_stops_new_releases_until_an_output_is_registered(reg, sheets):
    p = approved(reg, sheets, publication_due=(TODAY + timedelta(days=30)).isoformat())
    assert reg.gate(p.id, actor(ROSA), "health_research", sheets[LUPUS]) is None
    reg.clock = lambda: TODAY + timedelta(days=31)
    assert reg.overdue(p) and reg.gate(p.id, actor(ROSA), "health_research", sheets[LUPUS])[0] == \
        "project.publication_overdue"
    with pytest.raises(ProjectError, match="link must start"):
        reg.register_output(p.id, actor(ROSA), "A first look", link="javascript:alert(1)")
    with pytest.raises(ProjectError, match="someone else"):
        reg.register_output(p.id, actor(ACME), "Not mine", link="https://example.org/x")
    with pytest.raises(ProjectError, match="not in the future"):
        reg.register_output(p.id, actor(ROSA), "Tomorrow", link="https://example.org/x",
                            published=TODAY + timedelta(days=40))
    reg.register_output(p.id, actor(ROSA), "Lupus flares and work: a first look", link="doi:10.1234/lupus.1")
    assert not reg.overdue(p) and reg.gate(p.id, actor(ROSA), "health_research", sheets[LUPUS]) is None


# -- the gate -------------------------------------------------------------------------------
def test_the_gate_names_each_rule(reg, sheets):
    lupus = sheets[LUPUS]
    p = approved(reg, sheets)
    rosa = actor(ROSA)
    assert reg.gate(p.id, rosa, "health_research", lupus) is None
    cases = {
        "project.required": (None, rosa, "health_research", lupus),
        "project.unknown": ("P-00000000", rosa, "health_research", lupus),
        "project.not_yours": (p.id, actor(acct("dan", "researcher", "Clinic")), "health_research", lupus),
        "project.dataset": (p.id, rosa, "health_research", sheets[VCSE]),
        "project.purpose": (p.id, rosa, "disease_research", lupus),
    }
    for rule, args in cases.items():
        got = reg.gate(*args)
        assert got[0] == rule and f"(rule: {rule})" in got[1] and "steward" in got[1].lower(), (rule, got)
    assert reg.gate("not a project", rosa, "health_research", lupus)[0] == "project.unknown"
    assert reg.gate(p.id, replace(rosa, role="provider"), "health_research", lupus)[0] == "project.not_yours"
    pending = submit(reg, sheets)
    assert reg.gate(pending.id, rosa, "health_research", lupus)[0] == "project.not_approved"
    reg.clock = lambda: TODAY + timedelta(days=366)
    assert reg.gate(p.id, rosa, "health_research", lupus)[0] == "project.ended"
    assert set(RULES) >= set(cases) | {"project.not_approved", "project.ended", "project.vetoed",
                                       "project.publication_overdue", "fees.no_agreement", "fees.outside_period"}


def test_free_text_is_stored_sanitised(reg, sheets):
    p = submit(reg, sheets, title="Flares study, call 07710 451582",
               lay_summary="How lupus flares relate to work; contact bclark45@example.org for the protocol.")
    raw = Path(reg.path).read_bytes()
    assert b"07710 451582" not in raw and b"bclark45@example.org" not in raw and "0771" not in p.title


# -- end to end: the pipeline, the audit chain ----------------------------------------------------
def test_every_person_level_answer_traces_to_a_sign_in_a_project_and_its_approvals(module_pipeline):
    from assistant.stewardship import Stewardship
    from eval import grants
    from kernel.types import Actor, Question
    p = module_pipeline
    s = Stewardship(p)
    q = "lupus participants by age band in Wirral"
    typed = p.ask(Question(q, Actor("trace-r", "researcher"), "health_research")).to_dict()
    assert typed["status"] == "refused" and "auth.not_signed_in" in typed["answer"] and typed["table"] is None
    who, pid = grants.within_project(s, "trace-r", "researcher", "health_research")
    bare = p.ask(Question(q, who, "health_research")).to_dict()
    assert bare["status"] == "refused" and "project.required" in bare["answer"]
    got = p.ask(Question(q, who, "health_research", project=pid)).to_dict()
    assert got["status"] == "answered" and got["answer"].startswith("SYNTHETIC")
    records = list(p.audit.records())
    mine = [r for r in records if r.get("actor") == "trace-r" and r["event"] == "question"]
    assert [r["policy"]["rule"] for r in mine[:2]] == ["auth.not_signed_in", "project.required"]
    assert mine[-1]["status"] == "answered" and mine[-1]["project"] == pid
    assert any(r["event"] == "sign_in" and r["user"] == "trace-r" for r in records)
    project = [r for r in records if r.get("project") == pid]
    approvals = [r for r in project if r["event"] == "project_decision" and r["decision"] == "approve"]
    need = p.sheets["lupus_commons"].policy.approval.approvals
    assert len({r["steward"] for r in approvals}) == need and len({r["org"] for r in approvals}) == need
    assert any(r["event"] == "panel_decision" and r["decision"] == "approved" for r in project)
    assert p.audit.verify()[0]
    assert json.dumps(got).count("trace-r") == 0


def test_the_evaluation_grant_approves_a_project_over_datasets_with_and_without_a_panel(module_pipeline):
    """eval.grants plays every approval as people would: a commercial project naming the lupus
    commons (two stewards, the panel, a fee) and the VCSE co-op (one steward, no panel, a fee)."""
    from assistant.stewardship import Stewardship
    from eval import grants
    s = Stewardship(module_pipeline)
    # the panel-less dataset first: the grant must not look for a panel it does not have
    _, pid = grants.within_project(s, "grant-commercial", "commercial", "commercial", datasets=[VCSE, LUPUS])
    project = s.projects.get(pid)
    assert project.state == "approved" and set(project.datasets) == {LUPUS, VCSE}
    assert {f["dataset"] for f in s.projects.fees(pid)} == {LUPUS, VCSE}
    votes = s.projects.events(pid, ("vote_for",))
    assert votes and {e["dataset"] for e in votes} == {LUPUS}
    long_ids = {grants._uid("rt123456", "a_very_long_contributed_dataset_id", f"steward-{i}") for i in range(2)}
    assert len(long_ids) == 2 and all(len(u) <= 32 for u in long_ids)


def test_an_organisation_kept_with_a_number_is_still_the_same_organisation(tmp_path):
    """Organisations are stored through ``sanitise_for_storage``, which rewrites a run of digits
    (a company number): a steward of 'Acme 12345678 Ltd' still may not decide on a project or a
    request kept as 'Acme <NUMBER> Ltd' (a red-team scenario passed when a random organisation
    name happened to hold seven digits)."""
    from guardrails.auth import Account, same_org
    from guardrails.inbound import sanitise_for_storage
    from guardrails.projects import Project, conflict
    from guardrails.review import ReviewQueue
    from kernel.errors import ReviewError
    from kernel.types import Actor
    org = "Acme 12345678 Ltd"
    kept = sanitise_for_storage(org)
    assert kept != org and same_org(org, kept) and same_org(org, org) and not same_org("Other Trust", kept)
    assert not same_org(None, kept) and not same_org(org, None)
    project = Project("P-00000001", "", "req", "researcher", kept, "A title", "health_research",
                      "x" * 40, ("lupus_commons",), "2030-01-01")
    mate = Account(id="mate", name="Mate", roles=("steward",), org=org, datasets=("lupus_commons",))
    assert conflict(mate, project) and "own organisation" in conflict(mate, project)
    queue = ReviewQueue(tmp_path / "governance.sqlite")
    req = queue.create(Actor("req", "commercial", org), "commercial", "q", ["lupus_commons"], "rule", "reason")
    assert queue.get(req.id).org == kept
    with pytest.raises(ReviewError, match="own organisation"):
        queue.decide(req.id, Actor("mate", "steward", org), True, "looks fine")
    first = queue.decide(req.id, Actor("one", "steward", "Trust 1234567"), True, "fine", needed=2,
                         distinct_organisations=True)
    assert first.state == "pending"
    with pytest.raises(ReviewError, match="different organisations"):
        queue.decide(req.id, Actor("two", "steward", "Trust 1234567"), True, "fine too", needed=2,
                     distinct_organisations=True)
