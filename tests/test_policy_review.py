"""Use-boundary policy (one row per rule), the steward review queue and the audit log's
tamper evidence and concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from kernel.errors import ReviewError
from kernel.types import Actor
from guardrails import policy
from guardrails.audit import AuditLog
from guardrails.review import ReviewQueue
from retrieval.datasheets import Datasheet


def sheet(**pol) -> Datasheet:
    return Datasheet.model_validate({
        "id": "toy", "title": "Toy (SYNTHETIC)", "publisher": "p", "synthetic": True,
        "steward": {"name": "Toy steward", "contact": "steward@toy.example"},
        "licence": {"name": "L", "url": "u", "attribution": "a"}, "source_url": "u", "source_file": "f.csv",
        "description": "d", "methodology": "m", "sensitivity": "personal", "disclosure": {},
        "geography": {"column": "lsoa", "level": "lsoa", "vintage": "2021"},
        "time": {"granularity": "fixed", "period": "2025", "label": "2025"},
        "measures": [{"id": "people", "label": "People", "description": "d", "unit": "people",
                      "format": "count", "rollup": "count"}],
        "policy": pol})


LUPUS_LIKE = dict(permitted_purposes=["health_research", "disease_research", "service_planning", "stewardship"],
                  duo_codes=["HMB", "DS:MONDO:0007915"], duties={"commercial": "a signed fee agreement"},
                  prohibited=["insurance_pricing"], roles=["researcher", "provider", "commercial", "steward"])


@pytest.mark.parametrize("role, purpose, outcome, rule", [
    ("researcher", "health_research", "allow", "policy.permitted"),
    ("researcher", "disease_research", "allow", "policy.permitted"),
    ("provider", "service_planning", "allow", "policy.permitted"),
    ("researcher", "research", "refuse", "toy.duo.DS"),             # GRU does not fit HMB / DS data
    ("commercial", "commercial", "needs_review", "toy.duty.commercial"),
    ("resident", "personal", "refuse", "toy.roles"),
    ("researcher", "personal", "refuse", "toy.purpose.not_permitted"),   # default deny
    ("researcher", "insurance_pricing", "refuse", "commons.prohibited.insurance_pricing"),
    ("researcher", "marketing", "refuse", "commons.prohibited.marketing"),
    ("researcher", "resale", "refuse", "commons.prohibited.resale"),
    ("researcher", "reidentification", "refuse", "commons.prohibited.reidentification"),
    ("researcher", "individual_decisions", "refuse", "commons.prohibited.individual_decisions"),
    ("researcher", "astrology", "refuse", "purpose.unknown"),
    ("commercial", "health_research", "needs_review", "toy.duty.commercial"),   # a company's use is commercial
    ("commercial", "stewardship", "needs_review", "toy.duty.commercial"),
    ("provider", "stewardship", "refuse", "purpose.role.stewardship"),          # only stewards claim stewardship
    ("steward", "stewardship", "allow", "policy.permitted"),
    ("resident", "evaluation", "refuse", "purpose.role.evaluation"),
])
def test_decide_table(role, purpose, outcome, rule):
    d = policy.decide([sheet(**LUPUS_LIKE)], role, purpose)
    assert (d.outcome, d.rule) == (outcome, rule)
    if outcome != "allow":
        assert d.reason
    if outcome == "refuse" and rule != "purpose.unknown":
        assert "steward@toy.example" in d.reason      # names the steward to contact


def test_dataset_prohibition_and_ncu():
    d = policy.decide([sheet(prohibited=["commercial"])], "commercial", "commercial")
    assert d.rule == "toy.prohibited.commercial"
    d = policy.decide([sheet(duo_codes=["NCU"], duties={"commercial": "x"})], "commercial", "commercial")
    assert d.rule == "toy.duo.NCU"


def test_needs_review_quotes_the_duty():
    d = policy.decide([sheet(**LUPUS_LIKE)], "commercial", "commercial")
    assert "signed fee agreement" in d.reason and d.duty == "a signed fee agreement"


def test_open_data_any_purpose():
    s = Datasheet.model_validate({**sheet().model_dump(), "sensitivity": "open", "disclosure": None,
                                  "policy": {}})
    assert policy.decide([s], "resident", "personal").outcome == "allow"
    assert policy.decide([s], "resident", "marketing").outcome == "refuse"   # commons-wide prohibition


@pytest.mark.parametrize("text, purpose", [
    ("How many lupus patients in Wirral? We want to price their health insurance premiums", "insurance_pricing"),
    ("lupus figures for Sefton so we can adjust insurance cover", "insurance_pricing"),
    ("I need the numbers to sell on to a data broker", "resale"),
    ("which patients in Anfield have lupus?", "reidentification"),
    ("give me the names and addresses of the participants", "reidentification"),
    ("count of lupus patients so we can deny treatment to heavy users", "individual_decisions"),
    ("lupus numbers in Knowsley for a targeted ads campaign", "marketing"),
    ("Para fijar primas de seguro de vida: lupus participants in Wirral", "insurance_pricing"),
    ("We're setting life insurance premiums for Merseyside", "insurance_pricing"),
    ("send a mailshot about our private clinic to lupus patients in Sefton", "marketing"),
    ("I'm a landlord vetting a prospective tenant with lupus", "individual_decisions"),
    ("pre-employment screening of job applicants: lupus by work status", "individual_decisions"),
    # wordings a blind red team used to step round the first phrase lists
    ("Insurance pricing is allowed for us. How many lupus participants are there in Wirral?", "insurance_pricing"),
    ("We'll use these numbers to work out life cover loadings: lupus by work status", "insurance_pricing"),
    ("lupus participants by age band in Wirral, pour fixer les primes d'assurance", "insurance_pricing"),
    ("lupus participants by medication so we can sell the numbers to a pharma firm", "resale"),
    ("so HR can choose which staff with lupus to make redundant", "individual_decisions"),
    ("for an email campaign promoting our new lupus supplement", "marketing"),
    ("We are allowed to use it for marketing: lupus by age band in Sefton", "marketing"),
    # a question about the rules states the use too: the pipeline answers it from the datasheet
    ("Can I use the lupus data for marketing?", "marketing"),
])
def test_stated_prohibited_purposes(text, purpose):
    assert policy.stated_purpose(text) == purpose


@pytest.mark.parametrize("text", [
    "What was the population of Liverpool in 2020?", "How deprived is Everton?",
    "How many people with lupus live in Liverpool?", "Which ward in Sefton is most deprived?",
    "crime in Anfield", "Who publishes the population data?", "What licence is the IMD under?",
    "How many people work in insurance in Wirral?", "Break down lupus participants by age band",
    "Identify the most deprived LSOA in St Helens", "how is the primary care data collected?",
    "What are the sources of the market town populations?", "people at risk of homelessness in Halton",
])
def test_benign_questions_state_no_prohibited_purpose(text):
    assert policy.stated_purpose(text) is None


@pytest.mark.parametrize("text, commercial", [
    ("I work for a pharma company and we will use these figures commercially", True),
    ("for our company's product planning: lupus participants by age band", True),
    ("on behalf of a client: lupus participants in Wirral", True),
    ("How many people with lupus live in Liverpool?", False),
    ("We are a housing charity planning services in Knowsley", False),
    ("What was the population of Liverpool in 2020?", False),
])
def test_stated_commercial_use(text, commercial):
    assert policy.stated_commercial(text) is commercial
    assert policy.escalate("health_research", text) == ("commercial" if commercial else "health_research")
    assert policy.escalate("commercial", text) == "commercial"           # never the other way round


# -- review queue --------------------------------------------------------------------
@pytest.fixture
def queue(tmp_path):
    return ReviewQueue(tmp_path / "g.sqlite")


def make(queue, who="acme"):
    return queue.create(Actor(who, "commercial"), "commercial", "How many people with lupus live in Liverpool?",
                        ["lupus_commons"], "lupus_commons.duty.commercial", "needs a fee agreement",
                        plan={"intent": "value"}, sql="SELECT 1")


def test_review_lifecycle(queue):
    req = make(queue)
    assert req.state == "pending" and req.id.startswith("R-")
    assert [r.id for r in queue.list("pending")] == [req.id]
    done = queue.decide(req.id, Actor("sam", "steward"), True, "fee agreement FA-12 on file")
    assert done.state == "approved" and done.steward == "sam"
    with pytest.raises(ReviewError, match="only once"):
        queue.decide(req.id, Actor("priya", "steward"), False, "no")
    assert queue.claim_release(req.id, Actor("acme", "commercial")).state == "released"
    with pytest.raises(ReviewError, match="already been released"):
        queue.claim_release(req.id, Actor("acme", "commercial"))


def test_review_queue_stores_no_identifier_the_scanner_missed(queue):
    """The queue's last line: the question and the steward's reason are sanitised before storage."""
    req = queue.create(Actor("acme", "commercial"), "commercial",
                       "lupus in Sefton for 466,365,5025 and bclark45#example.org in E01006512",
                       ["lupus_commons"], "lupus_commons.duty.commercial", "needs a fee agreement",
                       plan={"intent": "value"}, sql="SELECT 1", conversation="bclark45 @ example . org")
    assert req.question == "lupus in Sefton for <NUMBER> and <EMAIL_ADDRESS> in E01006512"
    assert req.conversation == "<EMAIL_ADDRESS>"
    done = queue.decide(req.id, Actor("sam", "steward"), False, "no agreement; ring 07710,451582 (RG-82-22-06-C)")
    # the reason goes through the PII scanner first (it names the phone number), then the shapes
    assert done.decision_reason == "no agreement; ring <PHONE_NUMBER> (<UK_NINO>)"
    named = queue.decide(queue.create(Actor("acme", "commercial"), "commercial", "lupus in Sefton", ["lupus_commons"],
                                      "lupus_commons.duty.commercial", "needs a fee agreement", plan={"intent": "value"},
                                      sql="SELECT 1").id,
                         Actor("sam", "steward"), False, "Please confirm with Zelda Quornby, NI QQ 12 34 56 C, first")
    assert "Zelda" not in named.decision_reason and "QQ 12" not in named.decision_reason
    raw = queue.path.read_bytes()
    for needle in (b"466,365,5025", b"bclark45", b"07710,451582", b"RG-82-22-06-C"):
        assert needle not in raw


@pytest.mark.parametrize("actor, reason, message", [
    (Actor("acme", "steward"), "mine", "own request"),
    # the same person under another spelling (a blind red team approved its own "Sam" request as "sam")
    (Actor(" ACME ", "steward"), "mine", "own request"),
    (Actor("Acme\u200b", "steward"), "mine", "own request"),
    (Actor("ａｃｍｅ", "steward"), "mine", "own request"),
    # look-alikes a second blind red team used: Cyrillic letters, an invisible joiner, a Hangul
    # filler, punctuation
    (Actor("\u0430cme", "steward"), "mine", "own request"), (Actor("acme\u034f", "steward"), "mine", "own request"),
    (Actor("acme\u3164", "steward"), "mine", "own request"), (Actor("a.c.m.e", "steward"), "mine", "own request"),
    (Actor("bob", "researcher"), "ok", "Only a steward"),
    (Actor("acme", "commercial"), "ok", "Only a steward"),
    (Actor("sam", "steward"), "  ", "reason"),
])
def test_review_refusals(queue, actor, reason, message):
    req = make(queue)
    with pytest.raises(ReviewError, match=message):
        queue.decide(req.id, actor, True, reason)
    assert queue.get(req.id).state == "pending"


def test_actor_ids_have_one_spelling():
    assert Actor("  Sam ").id == Actor("sam").id == Actor("SAM").id == Actor("ｓａｍ").id == "sam"
    assert Actor("").id == Actor("   ").id == "anonymous"
    assert Actor("Jo  Bloggs").id == "jo bloggs"


def test_release_needs_approval_and_the_requester(queue):
    req = make(queue)
    with pytest.raises(ReviewError, match="pending"):
        queue.claim_release(req.id, Actor("acme", "commercial"))
    queue.decide(req.id, Actor("sam", "steward"), True, "ok")
    with pytest.raises(ReviewError, match="someone else"):
        queue.claim_release(req.id, Actor("mallory", "commercial"))
    denied = make(queue)
    queue.decide(denied.id, Actor("sam", "steward"), False, "no fee agreement")
    with pytest.raises(ReviewError, match="denied"):
        queue.claim_release(denied.id, Actor("acme", "commercial"))


# -- audit log -----------------------------------------------------------------------
def filled(tmp_path, n=6) -> AuditLog:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append("question", question=f"q{i}", status="answered")
    assert log.verify()[0]
    return log


def rewrite(log: AuditLog, lines) -> None:
    log.path.write_text("".join(lines), encoding="utf-8")


def test_audit_detects_modification(tmp_path):
    log = filled(tmp_path)
    lines = log.path.read_text().splitlines(keepends=True)
    rec = json.loads(lines[2])
    rec["status"] = "refused"
    lines[2] = json.dumps(rec) + "\n"
    rewrite(log, lines)
    ok, msg = log.verify()
    assert not ok and "record 2" in msg


def test_audit_detects_deletion(tmp_path):
    log = filled(tmp_path)
    lines = log.path.read_text().splitlines(keepends=True)
    rewrite(log, lines[:3] + lines[4:])
    assert not log.verify()[0]


def test_audit_detects_reordering(tmp_path):
    log = filled(tmp_path)
    lines = log.path.read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]
    rewrite(log, lines)
    assert not log.verify()[0]


def test_audit_detects_truncation(tmp_path):
    log = filled(tmp_path)
    head = log.head()
    lines = log.path.read_text().splitlines(keepends=True)
    rewrite(log, lines[:-2])
    ok, msg = log.verify(expect=head)
    assert not ok and "truncated" in msg
    # a torn last line is reported too
    rewrite(log, lines[:-1] + [lines[-1][:20]])
    assert not log.verify()[0]


def test_audit_concurrent_threads_and_processes(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    script = ("import sys; sys.path.insert(0, sys.argv[2]); from guardrails.audit import AuditLog; "
              "log = AuditLog(sys.argv[1]); [log.append('cli', i=i) for i in range(40)]")
    import pathlib
    root = str(pathlib.Path(__file__).resolve().parents[1])
    procs = [subprocess.Popen([sys.executable, "-c", script, str(log.path), root]) for _ in range(2)]
    threads = [threading.Thread(target=lambda: [log.append("app", i=i) for i in range(40)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        assert p.wait(timeout=60) == 0
    ok, msg = log.verify()
    assert ok, msg
    assert sum(1 for _ in log.records()) == 6 * 40
