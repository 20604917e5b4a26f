"""Accounts and approved projects for evaluations and tests, through the real governance path.

Person-level data is answered only within an approved project (``guardrails.projects``), so a
red-team case or a test that plays an honest researcher needs one: ``grant`` submits it as that
researcher and has it approved exactly as a person would (stewards of each dataset, from as
many organisations as its datasheet asks; the members' panel where there is one; a fee
agreement for a commercial project), all through ``assistant.stewardship.Stewardship``.

The accounts it creates are throwaway ones, written to a users file of the evaluation's own
(``private_users``): never the live one.  They share one cheap password hash
(``PASSWORD``), which is fine for a copy that is deleted afterwards and wrong anywhere else.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from guardrails import auth, policy
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


def ensure_account(users_file: Path, uid: str, roles, org: str, datasets=(), email: str | None = None) -> None:
    acct = auth.account(users_file, uid)
    if acct is not None and set(roles) <= set(acct.roles) and set(datasets) <= set(acct.datasets):
        return
    auth.add_user(users_file, uid, name=f"{uid} (evaluation)", org=org, roles=list(roles),
                  datasets=list(datasets) or None, email=email, password_hash=_hash())


def stewards_for(stewardship, dataset: str, prefix: str = "gov") -> list[Actor]:
    """As many stewards of ``dataset`` as its datasheet needs, each of another organisation."""
    users = stewardship.commons.settings.users_file
    sheet = stewardship.sheets[dataset]
    need = sheet.policy.approval.approvals
    out = []
    for i in range(max(need, 2)):
        uid = f"{prefix}-{dataset.replace('_', '-')}-steward-{i}"[:32]
        org = f"{prefix} {dataset} stewards organisation {i}"
        ensure_account(users, uid, ["steward"], org, [dataset])
        out.append(Actor(uid, "steward", org))
    return out


def members_for(stewardship, dataset: str, prefix: str = "gov") -> list[Actor]:
    users = stewardship.commons.settings.users_file
    panel = stewardship.sheets[dataset].policy.panel
    out = []
    for i in range((panel.quorum if panel else 0) + 1):
        uid = f"{prefix}-{dataset.replace('_', '-')}-member-{i}"[:32]
        org = f"{prefix} {dataset} members"
        ensure_account(users, uid, ["member"], org, [dataset])
        out.append(Actor(uid, "member", org))
    return out


def requester(stewardship, uid: str, role: str, org: str | None = None) -> Actor:
    org = org or f"{uid} organisation"
    ensure_account(stewardship.commons.settings.users_file, uid, [role], org)
    return Actor(uid, role, auth.account(stewardship.commons.settings.users_file, uid).org)


def person_level_datasets(stewardship, role: str, purpose: str) -> list[str]:
    """The person-level datasets a project for ``role`` and ``purpose`` could name."""
    return [d for d, s in stewardship.sheets.items()
            if s.person_level and policy.decide([s], role, purpose).outcome != "refuse"]


def grant(stewardship, actor: Actor, purpose: str, datasets=None, *, stop_at: str = "approved",
          fee: bool = True, title: str | None = None, end_days: int = 365, publication_due_days: int | None = None,
          prefix: str = "gov"):
    """An approved project for ``actor`` (created as an account when missing), or one that stops
    earlier (``stop_at``: ``submitted`` | ``one_approval`` | ``panel``).  Returns the Project."""
    actor = requester(stewardship, actor.id, actor.role, actor.org)
    datasets = list(datasets) if datasets else person_level_datasets(stewardship, actor.role, purpose)
    today = stewardship.projects.today()
    commercial = purpose == "commercial" or actor.role == "commercial"
    needs_pub = any("PUB" in {c.split(":", 1)[0] for c in stewardship.sheets[d].policy.duo_codes} for d in datasets)
    due = today + timedelta(days=publication_due_days or end_days)
    project = stewardship.submit_project(
        actor, title=title or f"Evaluation project of {actor.id}", purpose=purpose, datasets=datasets,
        lay_summary="A project used by the commons' own evaluation to ask questions the way an approved "
                    "requester would.",
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
        for d in datasets:
            for member in members_for(stewardship, d, prefix):
                project = stewardship.projects.get(project.id)
                if project.state != "panel":
                    break
                stewardship.panel_vote(project.id, member, True, "evaluation: members support the project")
    return stewardship.projects.get(project.id)
