"""Governance files cannot be swapped: an approved digest of each, signed with the audit key.

What decides who may see what lives in files: each datasheet's governance sections (sensitivity,
policy, disclosure, column roles, steward, restricted sections) and the users file.  The digest
of each is approved by a steward and kept in ``COMMONS_HOME/governance/approved.json``, signed
with the audit key (held outside the home), with a copy of the approved users file beside it.
A process that finds any of them different from the approved digest serves no person-level data
(rule ``governance.unapproved``) and allows no steward action but approving the change, signed in
against the *approved* users file (``commons governance approve``).  A home with no approval yet
takes the files it starts with as its baseline (event ``governance_baseline``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from guardrails import govdb
from guardrails.audit import AuditKey, canonical
from kernel.errors import ReviewError
from retrieval.datasheets import Datasheet

USERS = "users file"
SECTIONS = ("sensitivity", "synthetic", "policy", "disclosure", "columns", "steward", "restricted_sections")


def digests(sheets: dict[str, Datasheet], users_file: Path) -> dict[str, str]:
    """Item -> SHA-256 of its governance content (datasheets by id, and the users file)."""
    out = {}
    for sid, sheet in sorted(sheets.items()):
        part = sheet.model_dump(mode="json", include=set(SECTIONS))
        out[f"datasheet {sid}"] = hashlib.sha256(canonical(part).encode()).hexdigest()
    try:
        out[USERS] = hashlib.sha256(Path(users_file).read_bytes()).hexdigest()
    except OSError:
        out[USERS] = "missing"
    return out


@dataclass(frozen=True)
class Status:
    changed: tuple[str, ...]          # items that differ from the approved digest (or are new / gone)
    problem: str | None = None        # the approval file itself is missing its signature or edited

    @property
    def approved(self) -> bool:
        return not self.changed and self.problem is None

    def blocks(self, sheet: Datasheet) -> bool:
        return not self.approved and (sheet.person_level or f"datasheet {sheet.id}" in self.changed)

    @property
    def users_changed(self) -> bool:
        return self.problem is not None or USERS in self.changed

    def message(self) -> str:
        what = self.problem or "changed since a steward approved them: " + ", ".join(self.changed)
        return (f"The commons' governance files are not approved ({what}), so no person-level data is served "
                "until a steward approves them with `commons governance approve` (rule: governance.unapproved).")


class Governance:
    def __init__(self, settings):
        self.settings = settings
        self.folder = Path(settings.governance_dir)
        self.path = self.folder / "approved.json"
        self.users_copy = self.folder / "users.approved.yaml"

    def _key(self) -> AuditKey:
        return AuditKey.from_settings(self.settings)

    def approved(self) -> tuple[dict | None, str | None]:
        """(the approved record, or None; a problem with it, or None)."""
        try:
            rec = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, None
        except (OSError, ValueError):
            return None, "the approval file is unreadable"
        body = {k: v for k, v in rec.items() if k != "sig"}
        digest = hashlib.sha256(canonical(body).encode()).hexdigest()
        if not self._key().verifies(digest, rec.get("sig")):
            return None, "the approval file is not signed by the audit key (edited or forged)"
        if rec.get("items", {}).get(USERS) not in (None, "missing") and \
                _sha(self.users_copy) != rec["items"][USERS]:
            return None, "the approved copy of the users file was changed"
        return rec, None

    def status(self, sheets: dict[str, Datasheet]) -> Status:
        current = digests(sheets, self.settings.users_file)
        rec, problem = self.approved()
        if rec is None and problem is None:
            self.approve(sheets, "baseline", "the files this commons started with", event="governance_baseline")
            return Status(())
        if problem:
            return Status(tuple(current), problem)
        want = rec["items"]
        changed = sorted(k for k in set(current) | set(want) if current.get(k) != want.get(k))
        return Status(tuple(changed))

    def approve(self, sheets: dict[str, Datasheet], steward: str, reason: str,
                event: str = "governance_approve", only: set[str] | None = None) -> dict:
        """Record the current files as approved (audited first, then signed and written); with
        ``only``, just those items (a published version approves its own datasheet, nothing else)."""
        if not reason or not str(reason).strip():
            raise ReviewError("An approval needs a reason, which is recorded with it.")
        items = digests(sheets, self.settings.users_file)
        before, _ = self.approved()
        if only is not None and before:
            items = {**before["items"], **{k: v for k, v in items.items() if k in only}}
        changed = sorted(k for k in items if not before or before["items"].get(k) != items[k])
        govdb.audit_log(self.settings).append(
            event, steward=steward, reason=reason, changed=changed, digest=hashlib.sha256(
                canonical(items).encode()).hexdigest())
        body = {"items": items, "steward": steward, "reason": reason,
                "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        body["sig"] = self._key().sign(hashlib.sha256(canonical(body).encode()).hexdigest())
        self.folder.mkdir(parents=True, exist_ok=True)
        if Path(self.settings.users_file).exists() and (only is None or USERS in only):
            tmp = self.users_copy.with_name(self.users_copy.name + f".{os.getpid()}.tmp")
            shutil.copyfile(self.settings.users_file, tmp)
            os.replace(tmp, self.users_copy)
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
        return body

    def users_file_for_sign_in(self) -> Path:
        """The users file a steward signs in against to approve a change: the approved copy."""
        return self.users_copy if self.users_copy.exists() else Path(self.settings.users_file)


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing"
