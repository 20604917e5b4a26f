"""The JSON API against a real server: `commons serve` on 127.0.0.1 over a private copy of the
demo commons, tokens made by signed-in accounts (with `commons tokens`, or in process through
``Accounts.sign_in``), requests over HTTP with httpx.  Person-level questions need an approved
project of the token's account, approved in process through the real path (``eval.grants``)."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant.pipeline import Pipeline
from assistant.stewardship import Stewardship
from eval import grants
from eval.sandbox import copy_home
from guardrails import auth, govdb
from guardrails.audit import AuditLog
from guardrails.governance import USERS, Governance
from guardrails.tokens import AuthError, Tokens
from kernel.settings import Settings
from kernel.types import Actor

ROOT = Path(__file__).resolve().parents[1]
RATE = 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, pristine_home):
    home = tmp_path_factory.mktemp("api_home")
    copy_home(pristine_home, home)
    settings = grants.private_users(Settings.load(home=home))      # throwaway accounts are added to it
    # The same commons in process, for the stewards' side (projects, reviews) and for signing in.
    local = Pipeline.open(settings)
    env = {**os.environ, "COMMONS_HOME": str(home), "COMMONS_USERS_FILE": str(settings.users_file),
           "COMMONS_API_RATE_PER_MIN": str(RATE), "COMMONS_API_MAX_BODY_BYTES": "4096",
           "COMMONS_PASSWORD": "demo-nia-2025"}
    port = _free_port()
    log = tmp_path_factory.mktemp("api_log") / "serve.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)], cwd=ROOT,
                                env=env, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"commons serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield {"url": url, "home": home, "env": env, "settings": settings, "local": local,
               "stewardship": Stewardship(local), "accounts": local.commons.accounts,
               "tokens": Tokens(govdb.target(settings), local.commons.accounts)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        local.close()


def _cli(server, *args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env={**server["env"], **env},
                          capture_output=True, text=True, timeout=300)


def _signed_in(server, user: str, role: str) -> Actor:
    """A throwaway account ``user`` holding ``role``, signed in with its password."""
    return grants.signed_in(server["local"].commons, user, role)


def _token(server, user: str, role: str, scopes=("ask", "datasets", "data", "transparency", "reviews"),
           account_role: str | None = None) -> str:
    """A token made by ``user``'s signed-in account (holding ``account_role``, default ``role``)."""
    actor = _signed_in(server, user, account_role or ("provider" if role == "resident" else role))
    return server["tokens"].create(actor, role, scopes).secret


def _h(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def resident(server):
    """A token made with the CLI, as an operator would: the demo provider account nia signs in
    (COMMONS_PASSWORD) and makes a resident token for its council dashboard."""
    got = _cli(server, "tokens", "create", "--user", "nia", "--role", "resident", "--note", "council dashboard",
               "--json")
    assert got.returncode == 0, got.stderr
    return json.loads(got.stdout)


def _liverpool_2020() -> int:
    with (ROOT / "data/raw/population_la_mid2019_2020_lcr_england.csv").open(encoding="utf-8") as f:
        return next(int(r["pop_total"]) for r in csv.DictReader(f) if r["area_name"] == "Liverpool" and r["year"] == "2020")


def test_ask_answers_the_readme_question_with_its_source(server, resident):
    r = httpx.post(f"{server['url']}/api/v1/ask", headers=_h(resident["token"]), timeout=120,
                   json={"question": "What was the population of Liverpool in 2020?", "conversation": "chat-1"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["status"] == "answered" and f"{_liverpool_2020():,}" in d["answer"] and "500,474" in d["answer"]
    assert d["citations"] and "Office for National Statistics" in json.dumps(d["citations"])
    assert d["conversation"] == "chat-1" and d["audit_id"] and "plan" not in d
    assert set(d) >= {"status", "answer", "table", "chart", "sql", "datasets", "citations", "caveats", "options",
                      "review_id", "audit_id"}
    follow = httpx.post(f"{server['url']}/api/v1/ask", headers=_h(resident["token"]), timeout=120,
                        json={"question": "and in 2019?", "conversation": "chat-1"}).json()
    assert follow["status"] == "answered" and "2019" in follow["answer"] and "Liverpool" in follow["answer"]
    # Another account's conversation with the same id does not carry this one's context.
    other = httpx.post(f"{server['url']}/api/v1/ask", headers=_h(_token(server, "someone-else", "resident")),
                       timeout=120, json={"question": "and in 2019?", "conversation": "chat-1"}).json()
    assert "Liverpool" not in other["answer"]


def test_tokens_scopes_and_roles(server, resident):
    url = f"{server['url']}/api/v1/ask"
    body = {"question": "What was the population of Wirral in 2020?"}
    assert httpx.post(url, json=body, timeout=60).status_code == 401
    assert httpx.post(url, json=body, headers=_h("cmt_000000000000_nope"), timeout=60).status_code == 401
    narrow = _token(server, "catalogue-reader", "resident", ("datasets",))
    r = httpx.post(url, json=body, headers=_h(narrow), timeout=60)
    assert r.status_code == 403 and "'ask' scope" in r.json()["error"]
    assert httpx.get(f"{server['url']}/api/v1/datasets", headers=_h(narrow), timeout=60).status_code == 200
    r = httpx.post(url, json={**body, "role": "steward"}, headers=_h(resident["token"]), timeout=60)
    assert r.status_code == 422 and "role comes from your token" in r.json()["error"]
    # Revoked with the CLI: refused from then on.
    doomed = server["tokens"].create(_signed_in(server, "old-app", "provider"), "provider")
    assert httpx.post(url, json=body, headers=_h(doomed.secret), timeout=60).status_code == 200
    assert _cli(server, "tokens", "revoke", doomed.token.id).returncode == 0
    r = httpx.post(url, json=body, headers=_h(doomed.secret), timeout=60)
    assert r.status_code == 401 and "revoked" in r.json()["error"]
    listed = json.loads(_cli(server, "tokens", "list", "--json").stdout)
    assert {t["id"] for t in listed} >= {resident["id"], doomed.token.id}
    assert {t["account"] for t in listed if t["id"] == resident["id"]} == {"nia"}
    assert all("token" not in t and "secret" not in json.dumps(t) for t in listed)


def test_tokens_are_made_by_signed_in_accounts_in_roles_they_hold(server):
    url = f"{server['url']}/api/v1/ask"
    # The CLI signs the account in: a wrong password gives no token (and counts towards the lockout).
    bad = _cli(server, "tokens", "create", "--user", "nia", "--role", "provider", COMMONS_PASSWORD="wrong")
    assert bad.returncode != 0 and "cmt_" not in bad.stdout and "do not match" in bad.stderr
    # A steward's token needs the steward's own sign-in (a role not held: in process, below).
    steward = _cli(server, "tokens", "create", "--user", "sam", "--role", "steward", COMMONS_PASSWORD="demo-nia-2025")
    assert steward.returncode != 0 and "cmt_" not in steward.stdout
    ok = _cli(server, "tokens", "create", "--user", "sam", "--role", "steward", "--scope", "reviews", "--json",
              COMMONS_PASSWORD="demo-sam-2025")
    assert ok.returncode == 0 and json.loads(ok.stdout)["role"] == "steward", ok.stderr
    # In process: an actor without a live sign-in (an id and a role typed in) makes no token.
    with pytest.raises(AuthError):
        server["tokens"].create(Actor("nia", "provider"), "provider")
    with pytest.raises(AuthError, match="does not hold"):
        server["tokens"].create(_signed_in(server, "tok-prov", "provider"), "researcher")
    # A token acts only while its account holds the role: taken away in the users file, the
    # token stops (and the approved users file follows the change, as a steward would approve it).
    secret = _token(server, "tok-researcher", "researcher")
    body = {"question": "What was the population of Wirral in 2020?"}
    assert httpx.post(url, json=body, headers=_h(secret), timeout=60).status_code == 200
    settings = server["settings"]
    auth.add_user(settings.users_file, "tok-researcher", roles=["provider"])
    Governance(settings).approve({}, "test-steward", "tok-researcher is a provider now", only={USERS})
    r = httpx.post(url, json=body, headers=_h(secret), timeout=60)
    assert r.status_code == 401 and "no longer holds the researcher role" in r.json()["error"]
    # Every call acts through a session of the token's own, audited as a sign-in.
    records = list(AuditLog(settings.audit_path, settings=settings).records())
    assert any(r["event"] == "sign_in" and r.get("user") == "tok-researcher" and
               str(r.get("via", "")).startswith("api token ") for r in records)


def test_person_level_questions_need_an_approved_project_of_the_tokens_account(server):
    url = f"{server['url']}/api/v1/ask"
    stewardship = server["stewardship"]
    rosa, pid = grants.within_project(stewardship, "api-rosa", "researcher", "health_research")
    token = server["tokens"].create(rosa, "researcher").secret
    question = "lupus participants by age band in Wirral"
    # No project: the gate refuses, as for `commons ask` without --project.
    r = httpx.post(url, headers=_h(token), timeout=120, json={"question": question, "purpose": "health_research"})
    assert r.status_code == 200 and r.json()["status"] == "refused" and "project.required" in r.json()["answer"]
    # Another account's approved project: not this token's to use.
    _, other = grants.within_project(stewardship, "api-dan", "researcher", "health_research")
    r = httpx.post(url, headers=_h(token), timeout=120, json={"question": question, "project": other})
    assert r.json()["status"] == "refused" and "project.not_yours" in r.json()["answer"]
    # Its purpose is the purpose.
    r = httpx.post(url, headers=_h(token), timeout=120, json={"question": question, "project": pid,
                                                              "purpose": "commercial"})
    assert r.status_code == 422 and "its purpose is the purpose" in r.json()["error"]
    # Within its own approved project: answered, disclosure-controlled.
    r = httpx.post(url, headers=_h(token), timeout=120, json={"question": question, "project": pid})
    d = r.json()
    assert r.status_code == 200 and d["status"] == "answered", d["answer"]
    assert all(v is None or (v >= 10 and v % 5 == 0) for row in d["table"]["rows"] for v in row if not isinstance(v, str))
    # A resident token cannot use a project.
    r = httpx.post(url, headers=_h(_token(server, "api-anon", "resident")), timeout=120,
                   json={"question": question, "project": pid})
    assert r.status_code == 422


def test_a_request_that_needs_a_steward_gets_202_then_is_fetched_once(server):
    stewardship = server["stewardship"]
    acme, pid = grants.within_project(stewardship, "acme-pharma", "commercial", "commercial")
    token = server["tokens"].create(acme, "commercial").secret
    r = httpx.post(f"{server['url']}/api/v1/ask", headers=_h(token), timeout=120,
                   json={"question": "How many people with lupus live in Knowsley?", "project": pid})
    assert r.status_code == 202, r.text
    rid = r.json()["review_id"]
    assert r.json()["status"] == "needs_review" and rid and r.json()["table"] is None
    status = httpx.get(f"{server['url']}/api/v1/reviews/{rid}", headers=_h(token), timeout=60)
    assert status.status_code == 200 and status.json()["state"] == "pending"
    early = httpx.post(f"{server['url']}/api/v1/reviews/{rid}/fetch", headers=_h(token), timeout=60)
    assert early.status_code == 202 and early.json()["status"] == "needs_review"
    mallory = _token(server, "mallory", "commercial")
    assert httpx.get(f"{server['url']}/api/v1/reviews/{rid}", headers=_h(mallory), timeout=60).status_code == 403
    assert httpx.post(f"{server['url']}/api/v1/reviews/{rid}/fetch", headers=_h(mallory), timeout=60).status_code == 403
    # The stewards the datasheet asks for (two, of two organisations) approve at their desk.
    for i, steward in enumerate(grants.stewards_for(stewardship, "lupus_commons")[:2]):
        stewardship.decide_review(rid, steward, True, ("fee agreement FA-7 on file", "output checked")[i])
    got = httpx.post(f"{server['url']}/api/v1/reviews/{rid}/fetch", headers=_h(token), timeout=120)
    assert got.status_code == 200 and got.json()["status"] == "answered", got.text
    values = [v for row in got.json()["table"]["rows"] for v in row if isinstance(v, int)]
    assert values and all(v >= 10 and v % 5 == 0 for v in values)
    again = httpx.post(f"{server['url']}/api/v1/reviews/{rid}/fetch", headers=_h(token), timeout=60)
    assert again.status_code == 409 and "only once" in again.json()["error"]


def test_datasets_datasheets_and_open_data(server, resident):
    url, h = server["url"], _h(resident["token"])
    listed = httpx.get(f"{url}/api/v1/datasets", headers=h, timeout=60).json()
    ids = {d["id"]: d for d in listed}
    assert "lupus_commons" in ids and "population_la" in ids
    assert ids["population_la"]["data_csv"] and ids["lupus_commons"]["data_csv"] is None
    sheet = httpx.get(f"{url}/api/v1/datasets/lupus_commons", headers=h, timeout=60).json()
    assert sheet["methodology"] == {"restricted_to": ["researcher", "steward", "evaluator"]}
    assert sheet["synthetic"] and "SYNTHETIC" in sheet["description"]
    researcher = _token(server, "uni-team", "researcher", ("datasets",))
    full = httpx.get(f"{url}/api/v1/datasets/lupus_commons", headers=_h(researcher), timeout=60).json()
    assert isinstance(full["methodology"], str) and "SYNTHETIC" in full["methodology"]
    assert httpx.get(f"{url}/api/v1/datasets/nope", headers=h, timeout=60).status_code == 404
    data = httpx.get(f"{url}/api/v1/datasets/population_la/data.csv", headers=h, timeout=60)
    assert data.status_code == 200 and data.headers["content-type"].startswith("text/csv")
    assert data.content == (ROOT / "data/raw/population_la_mid2019_2020_lcr_england.csv").read_bytes()
    assert "Open Government Licence" in data.headers["x-commons-attribution"]
    assert 'rel="license"' in data.headers["link"]
    personal = httpx.get(f"{url}/api/v1/datasets/lupus_commons/data.csv", headers=h, timeout=60)
    assert personal.status_code == 403 and "only open data" in personal.json()["error"]
    rep = httpx.get(f"{url}/api/v1/transparency/lupus_commons", headers=h, timeout=60)
    assert rep.status_code == 200 and "lupus" in json.dumps(rep.json()).lower()
    schema = httpx.get(f"{url}/api/v1/openapi.json", timeout=60).json()
    assert {"/api/v1/ask", "/api/v1/datasets/{dataset}/data.csv", "/api/v1/reviews/{review_id}/fetch"} <= \
        set(schema["paths"])
    assert "role" not in schema["components"]["schemas"]["AskBody"]["properties"]


def test_body_size_and_rate_limits(server):
    token = _token(server, "noisy-bot", "resident")
    big = {"question": "population of Wirral " + "x" * 5000}
    r = httpx.post(f"{server['url']}/api/v1/ask", json=big, headers=_h(token), timeout=60)
    assert r.status_code == 413
    # All at once (a loaded machine must not refill the bucket between calls).
    with ThreadPoolExecutor(max_workers=16) as pool:
        got = list(pool.map(lambda _: httpx.get(f"{server['url']}/api/v1/datasets", headers=_h(token),
                                                timeout=120), range(RATE + 15)))
    codes = [r.status_code for r in got]
    assert codes.count(200) >= RATE - 5 and 429 in codes
    limited = next(r for r in got if r.status_code == 429)
    assert int(limited.headers["retry-after"]) >= 1 and "COMMONS_API_RATE_PER_MIN" in limited.json()["error"]
    # Another token is not held back by this one.
    other = _token(server, "quiet-bot", "resident")
    assert httpx.get(f"{server['url']}/api/v1/datasets", headers=_h(other), timeout=60).status_code == 200


def test_every_call_is_audited_and_the_chain_holds(server):
    settings = server["settings"]
    log = AuditLog(settings.audit_path, settings=settings)
    records = [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]
    calls = [r for r in records if r["event"] == "api_call"]
    codes = {c["status_code"] for c in calls}
    assert {200, 202, 401, 403, 409, 413, 422, 429} <= codes
    asked = [c for c in calls if c["route"] == "/api/v1/ask" and c["status_code"] in (200, 202)]
    question_ids = {f"{r['seq']}:{r['hash'][:12]}" for r in records if r["event"] == "question"}
    assert asked and all(c["question_audit_id"] in question_ids for c in asked)
    assert any(c.get("project") for c in asked)
    assert any(r["event"] == "api_token" and r["action"] == "revoke" for r in records)
    assert not any("cmt_" in json.dumps(r) for r in records)
    # Written by two processes (the server and this one), one signed chain ending at its witness.
    ok, message = log.verify()
    assert ok, message
