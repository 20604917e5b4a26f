"""Accounts and approved projects for evaluations and tests, through the real governance path.

Person-level data is answered only within an approved project (``guardrails.projects``), so a
red-team case or a test that plays an honest researcher needs one: ``grant`` submits it as that
researcher and has it approved exactly as a person would (stewards of each dataset, from as
many organisations as its datasheet asks; the members' panel where there is one; a fee
agreement for a commercial project), all through ``assistant.stewardship.Stewardship``.

The accounts it creates are throwaway ones, written to a users file of the evaluation's own
(``private_users``): never the live one.  They share one cheap password hash
(``PASSWORD``), which is fine for a copy that is deleted afterwards and wrong anywhere else.
Every actor it hands out has signed in through ``Accounts.sign_in`` (``signed_in``): the
pipeline and stewardship honour no other.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import replace
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from guardrails import auth, govdb, policy
from guardrails.governance import USERS, Governance
from guardrails.policy import purpose_label
from guardrails.projects import panel_for
from kernel.types import Actor

PASSWORD = "evaluation-only-password"
FILE_NAME = "users.yaml"


@lru_cache(maxsize=1)
def _hash() -> str:
    return auth.hash_password(PASSWORD, n=16)          # throwaway accounts only: cheap on purpose


def private_users(settings, home: Path | None = None):
    """``settings`` with a users file of their own under ``home`` (default ``settings.home``): a
    copy of the configured one, so accounts can be added without touching it."""
    home = Path(home or settings.home)
    target = home / FILE_NAME
    if Path(settings.users_file).resolve() != target.resolve():
        home.mkdir(parents=True, exist_ok=True)
        if Path(settings.users_file).exists():
            shutil.copy2(settings.users_file, target)
        else:
            target.write_text("users: {}\n", encoding="utf-8")
    return replace(settings, users_file=target)


def check_private(settings) -> None:
    users = Path(settings.users_file).resolve()
    if Path(settings.home).resolve() not in users.parents:
        raise RuntimeError(f"The users file {users} is not under COMMONS_HOME {settings.home}: evaluations add "
                           "throwaway accounts, so they run on a copy (eval.sandbox) with a users file of their own.")


def ensure_account(settings, uid: str, roles, org: str, datasets=(), email: str | None = None) -> None:
    """A throwaway account in the sandbox's own users file.  Any change to the users file is a
    governance change a steward approves (``guardrails.governance``); the harness approves its own
    additions to its own copy, under its own name, audited like any approval."""
    check_private(settings)
    users_file = Path(settings.users_file)
    acct = auth.account(users_file, uid)
    if acct is not None and set(roles) <= set(acct.roles) and set(datasets) <= set(acct.datasets):
        return
    auth.add_user(users_file, uid, name=f"{uid} (evaluation)", org=org, roles=list(roles),
                  datasets=list(datasets) or None, email=email, password_hash=_hash())
    gov = Governance(settings)
    if gov.path.exists():
        gov.approve({}, "evaluation-harness", f"throwaway evaluation account {uid} in the sandbox's users file",
                    only={USERS})


def signed_in(commons, uid: str, role: str, org: str | None = None, datasets=(), email: str | None = None) -> Actor:
    """A throwaway account ``uid`` (created when missing) signed in through ``Accounts.sign_in``,
    the way a person signs in: the returned actor carries its session."""
    ensure_account(commons.settings, uid, [role], org or _org(uid), datasets, email)
    return commons.accounts.sign_in(uid, PASSWORD, role, via="evaluation")


def stewards_for(stewardship, dataset: str, prefix: str = "gov") -> list[Actor]:
    """As many signed-in stewards of ``dataset`` as its datasheet needs, each of another organisation."""
    need = stewardship.sheets[dataset].policy.approval.approvals
    return [_signed_once(stewardship.commons, _uid(prefix, dataset, f"steward-{i}"), "steward",
                         f"{prefix} {dataset} stewards organisation {i}", (dataset,)) for i in range(max(need, 2))]


def members_for(stewardship, dataset: str, prefix: str = "gov") -> list[Actor]:
    """Signed-in member representatives of ``dataset``'s panel (one more than its quorum)."""
    panel = stewardship.sheets[dataset].policy.panel
    return [_signed_once(stewardship.commons, _uid(prefix, dataset, f"member-{i}"), "member",
                         f"{prefix} {dataset} members", (dataset,)) for i in range((panel.quorum if panel else 0) + 1)]


def _uid(prefix: str, dataset: str, who: str) -> str:
    """A user id (at most 32 characters) for a throwaway steward or member of ``dataset``: a long
    dataset id is shortened with a digest, so two of them never share an id."""
    uid = f"{prefix}-{dataset.replace('_', '-')}-{who}"
    if len(uid) <= 32:
        return uid
    return f"{prefix}-{hashlib.sha256(dataset.encode()).hexdigest()[:8]}-{who}"[:32]


def _org(uid: str) -> str:
    """A throwaway account's own organisation (named without its id: reports list organisations;
    letters only, so storing it never rewrites part of it as a number)."""
    return "Evaluation organisation " + "".join("abcdefghijklmnop"[int(c, 16)]
                                                for c in hashlib.sha256(uid.encode()).hexdigest()[:8])


_SIGNED: dict[tuple, Actor] = {}


def _signed_once(commons, uid: str, role: str, org: str, datasets=()) -> Actor:
    """Stewards and members shared by many cases sign in once per commons (a session lasts hours)."""
    key = (str(govdb.target(commons.settings)), uid, role)
    actor = _SIGNED.get(key)
    if actor is None or commons.accounts.signed(actor) is None:
        actor = _SIGNED[key] = signed_in(commons, uid, role, org, datasets)
    return actor


def requester(stewardship, uid: str, role: str, org: str | None = None) -> Actor:
    """A signed-in requester (the account created when missing)."""
    return signed_in(stewardship.commons, uid, role, org)


def person_level_datasets(stewardship, role: str, purpose: str) -> list[str]:
    """The person-level datasets a project for ``role`` and ``purpose`` could name."""
    return [d for d, s in stewardship.sheets.items()
            if s.person_level and policy.decide([s], role, purpose).outcome != "refuse"]


def grant(stewardship, actor: Actor, purpose: str, datasets=None, *, stop_at: str = "approved",
          fee: bool = True, title: str | None = None, end_days: int = 365, publication_due_days: int | None = None,
          prefix: str = "gov"):
    """An approved project for ``actor`` (created as an account when missing), or one that stops
    earlier (``stop_at``: ``submitted`` | ``one_approval`` | ``panel``).  Returns the Project."""
    if stewardship.commons.accounts.signed(actor) is None:
        actor = requester(stewardship, actor.id, actor.role, actor.org)
    datasets = list(datasets) if datasets else person_level_datasets(stewardship, actor.role, purpose)
    today = stewardship.projects.today()
    commercial = purpose == "commercial" or actor.role == "commercial"
    needs_pub = any("PUB" in {c.split(":", 1)[0] for c in stewardship.sheets[d].policy.duo_codes} for d in datasets)
    due = today + timedelta(days=publication_due_days or end_days)
    project = stewardship.submit_project(
        actor, title=title or f"An evaluation project ({purpose_label(purpose)})", purpose=purpose, datasets=datasets,
        lay_summary="A project used by the commons' own evaluation to ask questions the way an approved "
                    "research team would.",
        end_date=(today + timedelta(days=end_days)).isoformat(),
        commercial="an evaluation of commercial use" if commercial else "",
        publication="a report of the evaluation" if needs_pub else "",
        publication_due=due.isoformat() if needs_pub else None)
    if stop_at == "submitted":
        return project
    for d in datasets:
        stewards = stewards_for(stewardship, d, prefix)
        need = stewardship.sheets[d].policy.approval.approvals
        for i, steward in enumerate(stewards[:need]):
            project = stewardship.projects.get(project.id)
            if project.state != "submitted":
                break
            stewardship.decide_project(project.id, steward, "approve", "evaluation: the project is in scope")
            if stop_at == "one_approval":
                return stewardship.projects.get(project.id)
    if commercial and fee:
        for d in datasets:
            steward = stewards_for(stewardship, d, prefix)[0]
            stewardship.record_fee(project.id, steward, d, f"FA-EVAL-{d[:8].upper()}", 1000,
                                   today.isoformat(), (today + timedelta(days=end_days)).isoformat(),
                                   f"{actor.id} (evaluation)")
    project = stewardship.projects.get(project.id)
    if project.state == "panel" and stop_at != "panel":
        for d in [d for d in datasets if panel_for(project, stewardship.sheets[d])]:
            for member in members_for(stewardship, d, prefix):
                project = stewardship.projects.get(project.id)
                if project.state != "panel":
                    break
                stewardship.panel_vote(project.id, member, True, "evaluation: members support the project")
    return stewardship.projects.get(project.id)


def within_project(stewardship, uid: str, role: str, purpose: str, datasets=None,
                   org: str | None = None) -> tuple[Actor, str | None]:
    """A signed-in requester ``uid`` in ``role`` and an approved project for ``purpose`` (its
    id), as an honest requester would have one; the project is None when no person-level
    dataset could be used for that role and purpose (the question is then decided without one)."""
    actor = requester(stewardship, uid, role, org)
    purpose = policy.canonical_purpose(purpose)
    if not (datasets or person_level_datasets(stewardship, role, purpose)):
        return actor, None
    return actor, grant(stewardship, actor, purpose, datasets).id
