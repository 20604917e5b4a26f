"""`commons audit verify`: the chain, and the governance store checked against it.

The chain itself (``AuditLog.verify``, or ``govdb.PgAuditLog.verify`` for a shared chain:
signatures, order, the head witnessed outside the home), then cross-checks: every review request has the question record that created it, every decided
one its ``review_decision``, every released one its ``review_release``; every row of the
differencing ledger names the ``query`` record written before its query ran; every approved
contribution has its ``contribution`` record and every published version its ``dataset_version``
record.  A release, review or decision without its audit record fails verification, naming it.
"""

from __future__ import annotations

from pathlib import Path

from guardrails import contributions, govdb
from guardrails.audit import audit_id


def verify(settings) -> tuple[bool, str]:
    log = govdb.audit_log(settings)
    ok, message = log.verify()
    if not ok:
        return False, message
    problems = cross_check(settings, list(log.records()))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        return False, "the governance store and the audit chain disagree: " + "; ".join(problems[:5]) + more
    return True, message + "; every review, decision, release and published version has its audit record"


def cross_check(settings, records: list[dict]) -> list[str]:
    ids = {audit_id(r) for r in records if "seq" in r and "hash" in r}
    by_review: dict[str, set[str]] = {}
    contributions_seen, versions_seen = set(), set()
    for r in records:
        if r.get("review_id"):
            by_review.setdefault(str(r["review_id"]), set()).add(str(r.get("event")))
        if r.get("event") == "contribution" and r.get("action") == "approve":
            contributions_seen.add(r.get("contribution"))
        if r.get("event") == "dataset_version":
            versions_seen.add((r.get("dataset"), r.get("version")))
    problems: list[str] = []
    db = govdb.target(settings)
    if govdb.exists(db):
        con = govdb.connect(db)
        try:
            tables = govdb.tables(con)
            if "reviews" in tables:
                for rid, state in con.execute("SELECT id, state FROM reviews"):
                    events = by_review.get(rid, set())
                    if "question" not in events:
                        problems.append(f"review {rid} has no audit record of the request")
                    if state in ("approved", "denied", "released") and "review_decision" not in events:
                        problems.append(f"review {rid} was {state} without a review_decision record")
                    if state == "released" and "review_release" not in events:
                        problems.append(f"review {rid} was released without a review_release record")
            if "releases" in tables:
                missing = [d for d, a in con.execute("SELECT dataset, audit_id FROM releases") if a not in ids]
                if missing:
                    problems.append(f"{len(missing)} release(s) of {', '.join(sorted(set(missing)))} in the "
                                    "differencing ledger without the query record written before them")
        finally:
            con.close()
    for c in contributions.list_contributions(settings, "approved"):
        if c.id not in contributions_seen:
            problems.append(f"contribution {c.id} was approved without its audit record")
    versions = Path(settings.published_dir) / "versions"
    for folder in sorted(versions.iterdir()) if versions.is_dir() else ():
        for v in contributions.history(settings, folder.name)["versions"]:
            if (folder.name, v["version"]) not in versions_seen:
                problems.append(f"version {v['version']} of {folder.name} was published without its audit record")
    return problems
