"""The `commons` command line: it parses, calls the core, and prints.

    commons ask "QUESTION" --json [--user ID [--role R] [--project P-...]] [--purpose P] [--conversation ID]
    commons ask --batch FILE.jsonl --json
    commons build [--force]        build the demo commons under COMMONS_HOME
    commons ingest FILE --datasheet X.yaml --user ID [--json]   stage a contribution for a steward
    commons contributions list|approve|deny [ID] --steward S [--reason R]
    commons datasets versions ID | restore ID --version N --steward S --reason R
    commons datasets refresh ID [--steward S --reason R] | archive ID --steward S --reason R
    commons archive ID --steward S --reason R      (the same as `datasets archive`)
    commons me show|uses|correct|withdraw|consent --ref PT-XXXX-XXXX ...   a participant's own data
    commons corrections list|accept|reject [K-...] --steward S [--dataset D] [--reason R]
    commons governance status | approve --steward S --reason R
    commons ui [--port N]          start the Streamlit app
    commons serve [--port N]       start the JSON API (assistant/api.py) on 127.0.0.1
    commons tokens create --user ID --role R | list | revoke ID   API tokens (the account signs in)
    commons review list|show|approve|deny|return [ID] --steward S [--reason R]   (stewards)
    commons review status|fetch|reply ID --user U [--text T]                   (requesters)
    commons projects submit|list|show|approve|deny|return|reply|fee|output ...
    commons panel list|vote|veto [P-...] --user M ...                           (member representatives)
    commons transparency DATASET [--period 2026-Q3] [--format text|md|html] [--out DIR] [--json]
    commons purge [--days N]       purge conversations, transcripts and the error log (the audit chain is kept)
    commons users add ID --role R --org ORG [--datasets ...]   add or update an account (password via getpass)
    commons users list
    commons audit verify
    commons docs-model             retrain the shipped documentation model

Everyone but an anonymous resident signs in: ``--user ID`` (``--steward ID`` for steward
actions) with the password from ``COMMONS_PASSWORD`` (``COMMONS_STEWARD_PASSWORD`` is read
too) or a prompt.  The role comes from the account; ``--role`` can only narrow it.

Other packages add subcommands through the ``commons.commands`` entry point (``ui/`` adds
``commons ui``, ``eval/`` adds ``commons eval``); this module never imports them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from importlib.metadata import entry_points
from pathlib import Path

from assistant import api, story
from assistant.commons import Commons
from assistant import reports
from assistant.participation import MyData
from assistant.pipeline import Pipeline
from assistant.stewardship import Stewardship
from guardrails import auth, contributions, govdb, integrity, policy
from guardrails.governance import Governance
from guardrails.projects import ProjectRegistry
from guardrails.tokens import DEFAULT_SCOPES, SCOPES, Tokens
from guardrails.transparency import as_text
from kernel.errors import CommonsError, UsageError
from kernel.settings import Settings
from kernel.text import canonical_id
from kernel.types import ACCOUNT_ROLES, ROLES, Actor, GuardedAnswer, Question
from retrieval.datasheets import load_datasheet

EXIT_USAGE, EXIT_INTERNAL = 2, 3       # a usage error; an internal error (status "error")


def _clean(text: str) -> str:
    """Text that can be written to any terminal: a lone surrogate (from bytes that were not
    UTF-8 on the command line) becomes the replacement character."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _print_json(obj) -> None:
    sys.stdout.write(_clean(json.dumps(obj, ensure_ascii=False, default=str)) + "\n")
    sys.stdout.flush()


def _say(message: str) -> None:
    print(_clean(message), file=sys.stderr)


def _answer_text(d: dict) -> str:
    lines = [f"[{d['status']}] {d['answer']}"]
    for o in d.get("options") or []:
        lines.append(f"  - {o}")
    if d.get("table"):
        lines.append("  " + " | ".join(map(str, d["table"]["columns"])))
        for r in d["table"]["rows"][:20]:
            lines.append("  " + " | ".join("" if c is None else str(c) for c in r))
    for c in d.get("citations") or []:
        lines.append(f"  source: {c['publisher']}, {c['title']} ({c['licence']}). {c['attribution']}")
    for c in d.get("caveats") or []:
        lines.append(f"  caveat: {c}")
    return _clean("\n".join(lines))


def _show(answer: GuardedAnswer | dict, as_json: bool) -> None:
    d = answer.to_dict() if isinstance(answer, GuardedAnswer) else dict(answer)
    d.pop("plan", None)
    _print_json(d) if as_json else print(_answer_text(d))


USER_ID = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,63}$")


def _user_id(raw: str | None) -> str:
    """The --user id as the commons compares it; letters a-z, digits and . _ + - only, so a
    look-alike spelling cannot pass for someone else (or for a fresh identity)."""
    uid = canonical_id(raw or "anonymous")
    if not USER_ID.match(uid):
        raise UsageError("A user id is 1-64 characters: letters a-z, digits, '.', '_', '+' or '-' "
                         "(no spaces, other alphabets or e-mail addresses: ids are kept in the audit log).")
    return uid


def _password(user: str, cache: dict) -> str:
    """The password of ``user``: COMMONS_PASSWORD (or COMMONS_STEWARD_PASSWORD), else a prompt
    (once per user in a batch)."""
    if user in cache:
        return cache[user]
    password = os.environ.get("COMMONS_PASSWORD") or os.environ.get("COMMONS_STEWARD_PASSWORD")
    if not password:
        try:
            password = getpass.getpass(f"Password for {user}: ")
        except EOFError:
            raise UsageError(f"No password for {user}: set COMMONS_PASSWORD or run in a terminal.") from None
    cache[user] = password
    return password


def _accounts(settings: Settings, users_file: Path | None = None) -> auth.Accounts:
    return auth.Accounts(users_file or settings.users_file, govdb.target(settings), govdb.audit_log(settings))


def _signed_in(user: str | None, role: str | None, settings: Settings, cache: dict | None = None,
               flag: str = "--user", users_file: Path | None = None) -> Actor:
    """A role is never self-declared: ``user`` signs in with the users file (the lockout and the
    audit record are ``guardrails.auth``'s), once per user and role in a batch."""
    cache = {} if cache is None else cache
    if not user:
        raise UsageError(f"The {role or 'requested'} role comes from a signed-in account: give {flag} ID "
                         "(the password is read from COMMONS_PASSWORD or prompted).")
    uid = _user_id(user)
    key = ("actor", uid, role)
    if key not in cache:
        cache[key] = _accounts(settings, users_file).sign_in(uid, _password(uid, cache.setdefault("passwords", {})), role)
    return cache[key]


def _requester(user: str | None, role: str | None, settings: Settings, cache: dict | None = None) -> Actor:
    """Anonymous resident without --user; otherwise the signed-in account in ``role``."""
    if role == "resident" and user:
        raise UsageError("Residents ask anonymously: leave out --user, or give a role the account holds.")
    if not user:
        if role not in (None, "resident"):
            raise UsageError(f"The {role} role comes from a signed-in account: give --user ID (the password is read "
                             "from COMMONS_PASSWORD or prompted).")
        return Actor()
    return _signed_in(user, role, settings, cache)


def _question(text, args, defaults: Settings, signed_in: dict | None = None, **over) -> Question:
    role = over.get("role") or args.role
    if role is not None and role not in ROLES:
        raise UsageError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
    actor = _requester(over.get("user") or args.user, role, defaults, signed_in)
    project = over.get("project") or getattr(args, "project", None)
    purpose = over.get("purpose") or args.purpose
    if project:
        if actor.role == "resident":
            raise UsageError("--project needs --user: a project belongs to the account that submitted it.")
        try:
            found = ProjectRegistry(govdb.target(defaults)).get(project)
        except CommonsError:
            found = None        # the pipeline refuses it (project.unknown), audited
        if found is not None:
            if purpose and policy.canonical_purpose(purpose) != found.purpose:
                raise UsageError(f"Project {found.id} is approved for {found.purpose}: its purpose is the purpose "
                                 "(leave out --purpose).")
            purpose = found.purpose
    return Question(text=text, actor=actor, purpose=purpose or defaults.default_purpose,
                    conversation_id=over.get("conversation") or args.conversation,
                    project=str(project).strip().upper() if project else None)


MAX_LINE_BYTES = 64 * 1024


class LineRefused(UsageError):
    """A batch line that cannot be taken as a request (answered ``refused``, naming the line)."""


def _line_request(n: int, raw: bytes) -> dict:
    """One batch line as a request, decoded on its own: a LineRefused naming the line for bytes
    that are not a UTF-8 JSON request (other encodings, NUL, oversize), a UsageError for JSON of
    the wrong shape."""
    if len(raw) > MAX_LINE_BYTES:
        raise LineRefused(f"line {n} is {len(raw):,} bytes long; a request line may be at most "
                          f"{MAX_LINE_BYTES:,} bytes.")
    if b"\x00" in raw:
        at = raw.index(b"\x00") + 1
        raise LineRefused(f"line {n} holds a NUL byte (byte {at}): it is binary data, not a request.")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        guess = "Latin-1 / Windows-1252 text" if all(b >= 0x20 or b in (9, 13) for b in raw) else "binary data"
        raise LineRefused(f"line {n} is not UTF-8 text (byte {e.start + 1}; it looks like {guess}); save the "
                          "file as UTF-8.") from None
    try:
        req = json.loads(line)
    except ValueError as e:
        raise UsageError(f"line {n} is not a JSON object ({e.msg}).") from None
    if not isinstance(req, dict) or not isinstance(req.get("question"), str):
        raise UsageError(f"line {n} needs a \"question\" string, e.g. {{\"question\": \"population of Wirral\"}}.")
    for key in ("role", "purpose", "user", "conversation", "project"):
        if req.get(key) is not None and not isinstance(req[key], str):
            raise UsageError(f"line {n}: \"{key}\" must be a string.")
    return req


def _batch(args, settings: Settings) -> int:
    """Every line answered, in order, whatever happens to one of them; non-zero at the end if
    any line was an internal error or not a valid request."""
    path = Path(args.batch)
    if not path.is_file():
        raise UsageError(f"Batch file {path} does not exist.")
    pipeline = Pipeline.open(settings, progress=_say)
    signed_in: dict = {}
    bad: list[int] = []
    code = 0
    for n, raw in enumerate(path.read_bytes().split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            req = _line_request(n, raw.rstrip(b"\r"))
            q = _question(req["question"], args, settings, signed_in, role=req.get("role"),
                          purpose=req.get("purpose"), user=req.get("user"), conversation=req.get("conversation"),
                          project=req.get("project"))
        except LineRefused as e:
            _show({"status": "refused", "answer": f"{path.name}, {e}", "line": n}, args.json)
            continue
        except CommonsError as e:
            bad.append(n)
            code = max(code, EXIT_USAGE)
            _show({"status": "error", "answer": f"{path.name}, {e}", "line": n}, args.json)
            continue
        answer = pipeline.ask(q)
        if answer.status == "error":
            bad.append(n)
            code = EXIT_INTERNAL
        _show(answer, args.json)
    if bad:
        _say(f"commons: {path.name}: line{'s' if len(bad) != 1 else ''} {', '.join(map(str, bad))} ended in an "
             "error (each has its own result above); every other line was answered")
    return code


def cmd_ask(args) -> int:
    settings = Settings.load()
    if args.batch:
        return _batch(args, settings)
    if args.question is None:
        raise UsageError("Give a question in quotes, or --batch FILE.jsonl.")
    q = _question(args.question, args, settings)
    answer = Pipeline.open(settings, progress=_say).ask(q)
    _show(answer, args.json)
    if args.document and answer.status == "answered":
        out = Path(args.document)
        title = f"Briefing: {args.question.strip()}"
        md = story.markdown(answer.to_dict(), title)
        out.write_text(story.to_html(md, title) if out.suffix.lower() in (".html", ".htm") else md, encoding="utf-8")
        _say(f"commons: the answer, its sources and licences written to {out}")
    return EXIT_INTERNAL if answer.status == "error" else 0


def cmd_build(args) -> int:
    s = Settings.load()
    built = Commons.build(s, _say, args.force, docs=True)
    _say(f"store {'built' if built else 'already up to date'}: {s.store_path}; documentation index ready")
    return 0


def cmd_docs_model(args) -> int:
    """Train the default documentation model for the shipped datasheets into data/models/docs-static
    (run after editing a datasheet; a fresh home then copies it instead of training)."""
    base = Settings.load()
    out = Path(args.out) if args.out else Path(base.data_dir) / "models" / "docs-static"
    trained, key = Commons.train_docs_model(base, out, force=args.force, progress=_say)
    print(f"{'trained' if trained else 'already trained for this text:'} {out} (key {key})")
    return 0


def cmd_ingest(args) -> int:
    """Stage a contribution for a steward, as the app's Contribute page does: scanned now,
    published only when a steward approves it (`commons contributions approve`)."""
    s = Settings.load()
    for f, what in ((args.file, "File"), (args.datasheet, "Datasheet")):
        if not Path(f).is_file():
            raise UsageError(f"{what} {f} does not exist.")
    try:
        c = contributions.submit(Path(args.file).read_bytes(), load_datasheet(Path(args.datasheet)), s,
                                 contributions.LazyScanner(s, _say), _user_id(args.user),
                                 accept=_acceptances(args.accept))
    except CommonsError as e:
        if args.json:
            _print_json({"ok": False, "error": str(e)})
        raise
    if args.json:
        _print_json({"ok": True, **c.to_dict()})
    else:
        print(f"staged {c.id} for {c.dataset} ({c.rows} rows): pending; a steward publishes it with "
              f"`commons contributions approve {c.id} --steward ID --reason R`")
        for col in c.report.columns:
            print(f"  {col.name:<24} {col.declared or '-':<18} {col.entity or '-':<14} {col.share:>5.0%}  {col.action}")
        _print_value_problems(c)
    return 0


def _acceptances(items) -> dict[str, str]:
    """``--accept V1="reason"`` (repeatable) as {problem id: reason}."""
    out = {}
    for item in items or ():
        pid, sep, reason = str(item).partition("=")
        if not sep or not reason.strip():
            raise UsageError(f"--accept takes PROBLEM=REASON, e.g. --accept V1=\"late returns, checked\" (got {item!r}).")
        out[pid.strip().upper()] = reason.strip()
    return out


def _print_value_problems(c) -> None:
    if not c.report.value_problems:
        print("values: no problems found")
        return
    print("problems with the values (each must be fixed or accepted with a reason before publication):")
    for v in c.report.value_problems:
        acc = c.accepted.get(v["id"])
        state = f"accepted by {acc['by']}: {acc['reason']}" if acc else "OPEN"
        print(f"  [{v['id']}] {v['message']}  ({v['rows']} rows) -> {state}")


def cmd_contributions(args) -> int:
    settings = Settings.load()
    if not args.steward:
        raise UsageError("Give --steward ID (a steward in the users file) for this action.")
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    steward = _signed_in(args.steward, "steward", settings, flag="--steward")
    if args.action == "list":
        items = stewardship.contributions(steward, None if args.state == "all" else args.state)
        if args.json:
            _print_json([c.to_dict() for c in items])
        for c in items if not args.json else ():
            print(f"{c.id}  {c.state:<8} {c.dataset}  {c.rows} rows  from {c.submitter}")
        return 0
    if not args.id:
        raise UsageError(f"Give the contribution id: commons contributions {args.action} c-... --steward ID")
    if args.action == "show":
        c = stewardship.contribution(args.id, steward)
        if args.json:
            _print_json(c.to_dict())
        else:
            print(f"{c.id}  {c.state}  {c.dataset}  {c.rows} rows  from {c.submitter}")
            for p in c.report.problems:
                print(f"  problem: {p}")
            _print_value_problems(c)
        return 0
    if args.action == "accept":
        if not args.problem:
            raise UsageError("commons contributions accept c-... --problem V1 --steward S --reason R")
        c = stewardship.accept_problem(args.id, args.problem.strip().upper(), steward, args.reason or "")
        _print_json(c.to_dict()) if args.json else _print_value_problems(c)
        return 0
    act = stewardship.approve_contribution if args.action == "approve" else stewardship.deny_contribution
    c = act(args.id, steward, args.reason or "")
    _print_json(c.to_dict()) if args.json else print(f"{c.id}: {c.state} by {c.steward} ({c.reason})")
    return 0


def cmd_datasets(args) -> int:
    settings = Settings.load()
    if args.action == "versions":
        hist = contributions.history(settings, args.id)
        if args.json:
            _print_json(hist)
        else:
            for v in hist["versions"]:
                mark = "*" if v["version"] == hist["current"] else " "
                print(f"{mark} v{v['version']}  {v['published_at']}  {v['action']:<12} {v['rows']} rows  "
                      f"steward {v.get('steward') or '-'}")
            if not hist["versions"]:
                print(f"'{args.id}' has no published versions")
        return 0
    if args.action == "refresh":
        mydata = MyData(Pipeline.open(settings, progress=_say))
        steward = _signed_in(args.steward, "steward", settings, flag="--steward") if args.steward else None
        done = mydata.refresh(args.id, steward, args.reason or "")
        if args.json:
            _print_json(done)
        elif done["refreshed"]:
            print(f"{args.id}: refreshed as version {done['version']}: {done['consent_changes']} consent change(s), "
                  f"{done['withdrawn']} record(s) withdrawn, {done['corrections']} correction(s); {done['rows']} rows")
        else:
            print(f"{args.id}: not refreshed: {done['reason']}")
        return 0
    if args.action == "archive":
        if not args.steward:
            raise UsageError("commons datasets archive ID --steward S --reason R")
        stewardship = Stewardship(Pipeline.open(settings, progress=_say))
        out = stewardship.archive(args.id, _signed_in(args.steward, "steward", settings, flag="--steward"),
                                  args.reason or "")
        print(f"{args.id}: archived on {out['archived']}: out of answers; its versions and audit trail are kept")
        return 0
    if not (args.steward and args.version):
        raise UsageError("commons datasets restore ID --version N --steward S --reason R")
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    hist = stewardship.restore_version(args.id, args.version, _signed_in(args.steward, "steward", settings, flag="--steward"),
                                       args.reason or "")
    print(f"{args.id}: version {hist['current']} is current again")
    return 0


def cmd_governance(args) -> int:
    settings = Settings.load()
    sheets = contributions.load_commons_sheets(settings)
    gov = Governance(settings)
    status = gov.status(sheets)
    if args.action == "status":
        print("approved" if status.approved else status.message())
        return 0 if status.approved else 1
    if not args.steward:
        raise UsageError("Give --steward ID: a steward in the users file as a steward last approved it.")
    # Signed in against the approved users file, never the one being approved.
    steward = _signed_in(args.steward, "steward", settings, flag="--steward", users_file=gov.users_file_for_sign_in())
    Stewardship(Pipeline.open(settings, progress=_say)).approve_governance(steward, args.reason or "")
    print("governance files approved: " + (", ".join(status.changed) or "no changes"))
    return 0


def cmd_serve(args) -> int:
    settings = Settings.load()
    pipeline = Pipeline.open(settings, progress=_say)
    _say(f"commons API on http://{args.address}:{args.port}{api.API} (schema: {api.API}/openapi.json)")
    try:
        api.serve(pipeline, args.address, args.port)
    except KeyboardInterrupt:
        pass
    finally:
        pipeline.close()
    return 0


def cmd_tokens(args) -> int:
    """API tokens: ``create`` signs the account in and prints the secret once; ``list`` and
    ``revoke`` use the public id."""
    settings = Settings.load()
    accounts = _accounts(settings)
    tokens = Tokens(govdb.target(settings), accounts)
    audit = accounts.audit
    if args.action == "create":
        if not args.user or not args.role:
            raise UsageError("Give --user ID (the account the token belongs to, which signs in) and --role R (the one "
                             "role it acts in, one the account holds, or resident).")
        user = _user_id(args.user)
        # The account signs in (its password checked, its lockout counted): a token is never just granted.
        actor = _signed_in(user, None if args.role == "resident" else args.role, settings)
        scopes = tuple(s.strip() for s in (args.scope or ",".join(DEFAULT_SCOPES)).split(",") if s.strip())
        issued = tokens.create(actor, args.role, scopes, days=args.days, note=args.note or "")
        audit.append("api_token", action="create", token=issued.token.id, actor=user, role=args.role,
                     scopes=list(issued.token.scopes), expires=issued.token.to_dict()["expires"])
        if args.json:
            _print_json({**issued.token.to_dict(), "token": issued.secret})
        else:
            print(issued.secret)
            _say(f"token {issued.token.id} for {user} as {args.role} ({', '.join(issued.token.scopes)}); "
                 "keep it secret: it is shown only now")
        return 0
    if args.action == "list":
        found = tokens.list(args.user)
        if args.json:
            _print_json([t.to_dict() for t in found])
        for t in found if not args.json else ():
            state = "revoked" if t.revoked else "active"
            print(f"{t.id}  {state:<7} {t.account} as {t.role}  {','.join(t.scopes)}  expires {t.to_dict()['expires']}")
        return 0
    if not args.id:
        raise UsageError("Give the token id: commons tokens revoke ID")
    t = tokens.revoke(args.id)
    audit.append("api_token", action="revoke", token=t.id, actor=t.account, role=t.role)
    print(f"token {t.id} revoked")
    return 0


def cmd_users(args) -> int:
    """Add or update an account in the users file (the password is read with getpass), or list them."""
    settings = Settings.load()
    users_file = settings.users_file
    if args.action == "list":
        rows = [{"id": a.id, "name": a.name, "roles": list(a.roles), "org": a.org, "email": a.email,
                 "accreditation": a.accreditation, "datasets": list(a.datasets)} for a in auth.accounts(users_file)]
        if args.json:
            _print_json(rows)
        for r in rows if not args.json else ():
            print(f"{r['id']:<12} {','.join(r['roles']):<22} {r['org'] or '-'}"
                  + (f"  datasets: {', '.join(r['datasets'])}" if r["datasets"] else ""))
        return 0
    if not args.id:
        raise UsageError("Give the account's id: commons users add ID --role R --org ORG")
    existing = auth.account(users_file, args.id)
    if existing is None and not (args.role and args.org):
        raise UsageError("A new account needs --role (one or more of " + ", ".join(ACCOUNT_ROLES) + ") and --org.")
    password = getpass.getpass(f"New password for {args.id}: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise UsageError("The two passwords differ; nothing was changed.")
    new = auth.add_user(users_file, args.id, password, name=args.name, org=args.org, roles=args.role,
                        datasets=args.datasets, email=args.email, accreditation=args.accreditation)
    acct = auth.account(users_file, args.id)
    govdb.audit_log(settings).append("account_change", user=acct.id, roles=list(acct.roles), org=acct.org,
                                         datasets=list(acct.datasets), new=new)
    _say(f"account {acct.id} ({', '.join(acct.roles)}) {'added to' if new else 'updated in'} {users_file}")
    _say("the users file is a governance file: until a steward approves the change "
         "(`commons governance approve --steward ID --reason ...`, signed in against the approved users file), "
         "no person-level data is served and no steward action is possible")
    return 0


def cmd_audit(args) -> int:
    ok, message = integrity.verify(Settings.load())
    print(message)
    return 0 if ok else 1


def _review_dict(req) -> dict:
    d = req.to_dict()
    d.pop("plan", None)
    return d


def cmd_review(args) -> int:
    settings = Settings.load()
    if args.action in ("status", "fetch", "reply"):
        if not args.id:
            raise UsageError(f"Give the review id: commons review {args.action} R-XXXXXXXX --user ID")
        if args.role == "steward":
            raise UsageError("Stewards see any request with `commons review show ID --steward ID`; "
                             "status and fetch are for the requester (--user, --role of the request).")
        # the requester is a signed-in account: knowing a review id and a user id is not enough
        requester = _signed_in(args.user, args.role, settings)
        stewardship = Stewardship(Pipeline.open(settings, progress=_say))
        if args.action == "reply":
            req = stewardship.reply_review(args.id, requester, args.text or "")
            _print_json(_review_dict(req)) if args.json else print(f"{req.id}: {req.state} (reply recorded)")
            return 0
        if args.action == "status":
            req = stewardship.review_status(args.id, requester)
            _print_json(_review_dict(req)) if args.json else print(
                f"{req.id}: {req.state}" + (f" ({req.decision_reason})" if req.decision_reason else ""))
            return 0
        answer = stewardship.fetch_review(args.id, requester)
        _show(answer, args.json)
        return EXIT_INTERNAL if answer.status == "error" else 0
    steward = _signed_in(args.steward or args.user, "steward", settings, flag="--steward")
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    if args.action == "list":
        reqs = stewardship.review_queue(steward, None if args.state == "all" else args.state)
        if args.json:
            _print_json([_review_dict(r) for r in reqs])
        else:
            for r in reqs:
                print(f"{r.id}  {r.state:<9} {r.created}  {r.role}/{r.purpose}  {', '.join(r.datasets)}  "
                      f"{r.rule}\n    {r.question}")
            if not reqs:
                print(f"no {args.state} requests")
        return 0
    if not args.id:
        raise UsageError(f"Give the review id: commons review {args.action} R-XXXXXXXX --steward ID")
    if args.action == "show":
        info = stewardship.inspect_review(args.id, steward)
        req, preview = info["request"], info["preview"]
        events = stewardship.review_events(req.id, steward)
        if args.json:
            _print_json({"request": req.to_dict(), "preview": preview.to_dict() if preview else None,
                         "events": events})
        else:
            print(f"{req.id} ({req.state}) from a {req.role} for {req.purpose}"
                  + (f" within {req.project}" if req.project else "") + f": {req.question}")
            print(f"flagged by {req.rule}: {req.reason}")
            for e in events:
                print(f"  {e['ts']} {e['kind']} by {e['who']}: {e['text']}")
            print(f"plan: {json.dumps(req.plan)}\nSQL: {req.sql}")
            if preview:
                print("would release (after disclosure control):\n" + _answer_text(
                    {k: v for k, v in preview.to_dict().items() if k != "plan"}))
        return 0
    if args.action == "return":
        req = stewardship.return_review(args.id, steward, args.reason or "")
    else:
        req = stewardship.decide_review(args.id, steward, args.action == "approve", args.reason or "")
    if args.json:
        _print_json(_review_dict(req))
    elif req.state == "pending":
        needed, _ = stewardship.approvals_needed(req)
        print(f"{req.id}: approval recorded; it needs {needed} independent approvals before anything is released")
    else:
        print(f"{req.id}: {req.state} by {req.steward or steward.id} ({req.decision_reason or args.reason})")
    return 0


def _project_text(record: dict) -> str:
    p = record["project"]
    lines = [f"{p.id} [{p.state}] {p.title}",
             f"  {p.org}; purpose {p.purpose}; datasets {', '.join(p.datasets)}; ends {p.end_date}"
             + ("; COMMERCIAL" + (f" ({p.commercial_detail})" if p.commercial_detail else "") if p.commercial else ""),
             f"  lay summary: {p.lay_summary}"]
    if p.funder:
        lines.append(f"  funder: {p.funder}")
    lines += [f"  - {x}" for x in record["progress"]]
    lines += [f"  {e['ts']} {e['kind']} by {e['who']}: {e['text']}" + (f" [{e['ground']}]" if e["ground"] else "")
              for e in record["events"]]
    lines += [f"  fee agreement {f['reference']}: {f['amount_pence'] / 100:,.2f} {f['currency']}, {f['start']} to "
              f"{f['end']}, signed by {f['signed_by']}" for f in record["fees"]]
    lines += [f"  output {o['published']}: {o['title']} {o['link'] or o['summary']}" for o in record["outputs"]]
    return "\n".join(lines)


def _project_json(record: dict) -> dict:
    return {**record, "project": record["project"].to_dict()}


def cmd_projects(args) -> int:
    settings = Settings.load()
    act = args.action
    if act in ("approve", "deny", "return", "fee") or (act in ("list", "show") and args.steward):
        who = _signed_in(args.steward or args.user, "steward", settings, flag="--steward")
    else:
        who = _signed_in(args.user, args.role, settings)
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    if act == "list":
        found = (stewardship.project_queue(who, args.state) if who.role == "steward"
                 else stewardship.my_projects(who, args.state))
        if args.json:
            _print_json([p.to_dict() for p in found])
        else:
            for p in found:
                print(f"{p.id}  {p.state:<9} {p.purpose:<16} {', '.join(p.datasets):<24} {p.title}")
            if not found:
                print("no projects" + (f" {args.state}" if args.state else ""))
        return 0
    if not args.id and act != "submit":
        raise UsageError(f"Give the project id: commons projects {act} P-XXXXXXXX ...")
    if act == "submit":
        project = stewardship.submit_project(
            who, title=args.title, purpose=args.purpose, lay_summary=args.summary, datasets=args.datasets or [],
            end_date=args.end, funder=args.funder or "", commercial=args.commercial or "",
            publication=args.publication or "", publication_due=args.publication_due)
        record = stewardship.project_record(project.id, who)
        _print_json(_project_json(record)) if args.json else print(
            f"submitted {project.id}: it goes to the stewards of {', '.join(project.datasets)}\n" + _project_text(record))
        return 0
    if act in ("approve", "deny", "return"):
        project, what = stewardship.decide_project(args.id, who, act, args.reason or "")
        _print_json({"project": project.to_dict(), "result": what}) if args.json else print(what)
        return 0
    if act == "reply":
        project = stewardship.reply_project(args.id, who, args.text or "")
        _print_json(project.to_dict()) if args.json else print(f"{project.id}: reply recorded; it is {project.state} again")
        return 0
    if act == "fee":
        fee = stewardship.record_fee(args.id, who, args.dataset or "", args.reference or "", args.amount or "",
                                     args.start or "", args.end or "", args.signed_by or "")
        _print_json(fee) if args.json else print(f"fee agreement {fee['reference']} recorded for {fee['project']} "
                                                 f"({fee['start']} to {fee['end']})")
        return 0
    if act == "output":
        out = stewardship.register_output(args.id, who, args.title or "", args.link or "", args.summary or "", args.date)
        _print_json(out) if args.json else print(f"output {out['id']} registered for {out['project']}")
        return 0
    record = stewardship.project_record(args.id, who)
    _print_json(_project_json(record)) if args.json else print(_project_text(record))
    return 0


def cmd_panel(args) -> int:
    settings = Settings.load()
    member = _signed_in(args.user, "member", settings)
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    if args.action == "list":
        found = stewardship.panel_queue(member)
        if args.json:
            _print_json([{**p.to_dict(), "progress": stewardship.projects.progress(p, stewardship.sheets),
                          "veto_grounds": stewardship.veto_grounds(p.id)} for p in found])
        else:
            for p in found:
                print(f"{p.id}  {p.state:<9} {p.purpose:<16} {p.org}: {p.title}\n    {p.lay_summary}")
            if not found:
                print("no projects waiting for the members' panel")
        return 0
    if not args.id:
        raise UsageError(f"Give the project id: commons panel {args.action} P-XXXXXXXX --user ID ...")
    if args.action == "vote":
        if args.vote is None:
            raise UsageError("Vote --for or --against the project, with --reason.")
        project, what = stewardship.panel_vote(args.id, member, args.vote, args.reason or "")
    else:
        project, what = stewardship.panel_veto(args.id, member, args.ground or "", args.reason or "")
    _print_json({"project": project.to_dict(), "result": what}) if args.json else print(what)
    return 0


def _participant(args, settings: Settings) -> Actor:
    """A participant signs in with the participation reference and secret their dataset issued
    (the secret from COMMONS_PARTICIPANT_SECRET, or a prompt)."""
    if not args.ref:
        raise UsageError("Give --ref PT-XXXX-XXXX, your participation reference (the secret is read from "
                         "COMMONS_PARTICIPANT_SECRET or prompted).")
    secret = os.environ.get("COMMONS_PARTICIPANT_SECRET")
    if not secret:
        try:
            secret = getpass.getpass(f"Secret for {args.ref}: ")
        except EOFError:
            raise UsageError("No secret: set COMMONS_PARTICIPANT_SECRET or run in a terminal.") from None
    return _accounts(settings).sign_in_participant(args.ref, secret)


def _show_me(out: dict) -> None:
    if out.get("synthetic"):
        print(out["synthetic"])
    print(f"{out['reference']} in {out['title']} ({out['state']})")
    if out.get("note"):
        print(out["note"])
    for k, v in (out.get("record") or {}).items():
        print(f"  {k}: {v}")
    print("Opted out of: " + (", ".join(out["opted_out"]) or "nothing"))
    if out["opted_out_after_refresh"] != out["opted_out"] or out["pending"]:
        print("Waiting for the next refresh: " + ", ".join(
            f"{c['kind']}{' ' + c['purpose'] if c['purpose'] else ''}" for c in out["pending"]))
    for c in out["corrections"]:
        print(f"Correction {c['id']}: {c['column']} {c['current']} -> {c['proposed']}: {c['state']}"
              + (f" ({c['decision_reason']})" if c.get("decision_reason") else ""))


def cmd_me(args) -> int:
    settings = Settings.load()
    mydata = MyData(Pipeline.open(settings, progress=_say))
    me = _participant(args, settings)
    if args.action == "show":
        out = mydata.show(me)
        _print_json(out) if args.json else _show_me(out)
    elif args.action == "uses":
        out = mydata.uses(me)
        if args.json:
            _print_json(out)
        else:
            if out.get("synthetic"):
                print(out["synthetic"])
            for p in out["projects"]:
                print(f"{p['project']} {p['title']} ({p['organisation']}; {p['purpose']}; ends {p['end_date']})"
                      + ("" if p["your_record_counted"] else " - your record is not counted"))
                print(f"  {p['lay_summary']}")
                for o in p["outputs"]:
                    print(f"  output {o['published']}: {o['title']} {o['link'] or o['summary']}")
            if not out["projects"]:
                print("No approved project has used this dataset yet.")
    elif args.action == "correct":
        if not (args.column and args.value is not None):
            raise UsageError("commons me correct --ref PT-... --column age_band --value 35-49 --reason R")
        out = mydata.correct(me, args.column, args.value, args.reason or "")
        _print_json(out) if args.json else print(out["message"])
    elif args.action == "withdraw":
        out = mydata.withdraw(me)
        _print_json(out) if args.json else print(out["message"])
    else:
        if not (args.opt_out or args.opt_in):
            raise UsageError("commons me consent --ref PT-... --opt-out commercial [--opt-in PURPOSE]")
        out = mydata.consent(me, args.opt_out or [], args.opt_in or [])
        _print_json(out) if args.json else print(out["message"])
    return 0


def cmd_corrections(args) -> int:
    settings = Settings.load()
    if not args.steward:
        raise UsageError("Give --steward ID (a steward of the dataset).")
    mydata = MyData(Pipeline.open(settings, progress=_say))
    steward = _signed_in(args.steward, "steward", settings, flag="--steward")
    if args.action == "list":
        if not args.dataset:
            raise UsageError("commons corrections list --dataset ID --steward S")
        items = mydata.corrections(steward, args.dataset, None if args.state == "all" else args.state)
        if args.json:
            _print_json(items)
        for c in items if not args.json else ():
            print(f"{c['id']} {c['state']:<9} {c['column']}: {c['current']} -> {c['proposed']}  ({c['reason']})")
        return 0
    if not args.id:
        raise UsageError(f"commons corrections {args.action} K-... --steward S --reason R")
    out = mydata.decide_correction(args.id, steward, args.action == "accept", args.reason or "")
    _print_json(out) if args.json else print(f"{out['id']}: {out['state']} by {out['steward']}")
    return 0


def cmd_transparency(args) -> int:
    rep = Stewardship(Pipeline.open(Settings.load(), progress=_say)).transparency(args.dataset, args.period)
    if args.out:
        path = reports.write(rep, Path(args.out), args.format)
        print(f"report written: {path}")
    elif args.format == "md":
        print(reports.markdown(rep), end="")
    else:
        _print_json(rep) if args.json else print(as_text(rep))
    return 0


def cmd_purge(args) -> int:
    settings = Settings.load()
    done = Stewardship(Pipeline.open(settings, progress=_say)).purge(days=args.days)
    _print_json(done) if args.json else print(
        f"purged older than {done['days']:g} days: {done['conversations']} conversation context file(s), "
        f"{done['transcripts']} transcript row(s), {done['errors']} error log entr(y/ies); the audit chain is kept")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="commons", description="Ask the data commons in plain language.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("ask", help="ask a question")
    a.add_argument("question", nargs="?")
    a.add_argument("--json", action="store_true", help="print one JSON object per answer")
    a.add_argument("--batch", help="a JSONL file of requests")
    a.add_argument("--role", choices=ROLES, help="narrow the signed-in account's roles")
    a.add_argument("--purpose")
    a.add_argument("--user", help="sign in (password from COMMONS_PASSWORD or a prompt)")
    a.add_argument("--project", help="an approved project (P-...): needed for person-level data; its purpose is used")
    a.add_argument("--conversation")
    a.add_argument("--document", metavar="FILE", help="also write the answer with its sources and licences as a "
                   "document (FILE.md: Markdown, FILE.html: HTML)")
    a.set_defaults(func=cmd_ask)
    b = sub.add_parser("build", help="build the demo commons store")
    b.add_argument("--force", action="store_true")
    b.set_defaults(func=cmd_build)
    ig = sub.add_parser("ingest", help="publish a contributed CSV (identifiers removed) under its datasheet")
    ig.add_argument("file")
    ig.add_argument("--datasheet", required=True, help="the datasheet (YAML) describing the file's columns")
    ig.add_argument("--user", help="who is contributing (recorded; they cannot approve it themselves)")
    ig.add_argument("--accept", action="append", metavar="PROBLEM=REASON",
                    help="accept a problem the scan found with the values, with a reason (repeatable)")
    ig.add_argument("--json", action="store_true")
    ig.set_defaults(func=cmd_ingest)
    co = sub.add_parser("contributions", help="the steward's contribution queue (approve publishes a new version)")
    co.add_argument("action", choices=["list", "show", "accept", "approve", "deny"])
    co.add_argument("--problem", help="accept: the id of a problem with the values (V1, V2, ...)")
    co.add_argument("id", nargs="?")
    co.add_argument("--steward")
    co.add_argument("--reason")
    co.add_argument("--state", default="pending", choices=["pending", "approved", "denied", "all"])
    co.add_argument("--json", action="store_true")
    co.set_defaults(func=cmd_contributions)
    ds = sub.add_parser("datasets", help="published versions of a contributed dataset; restore one (its steward)")
    ds.add_argument("action", choices=["versions", "restore", "refresh", "archive"])
    ds.add_argument("id")
    ds.add_argument("--version", type=int)
    ds.add_argument("--steward")
    ds.add_argument("--reason")
    ds.add_argument("--json", action="store_true")
    ds.set_defaults(func=cmd_datasets)
    gv = sub.add_parser("governance", help="approve changed governance files (datasheet policies, users file)")
    gv.add_argument("action", choices=["status", "approve"])
    gv.add_argument("--steward")
    gv.add_argument("--reason")
    gv.set_defaults(func=cmd_governance)
    sv = sub.add_parser("serve", help="start the JSON API (POST /api/v1/ask, datasets, transparency, reviews)")
    sv.add_argument("--port", type=int, default=8600)
    sv.add_argument("--address", default="127.0.0.1")
    sv.set_defaults(func=cmd_serve)
    tk = sub.add_parser("tokens", help="API tokens: each is made by a signed-in account, acts in one role it holds, "
                                       "holds scopes")
    tk.add_argument("action", choices=["create", "list", "revoke"])
    tk.add_argument("id", nargs="?", help="token id (revoke)")
    tk.add_argument("--user", help="the account the token belongs to (signs in: password from COMMONS_PASSWORD "
                                   "or a prompt)")
    tk.add_argument("--role", choices=ROLES, help="the one role it acts in: one the account holds, or resident")
    tk.add_argument("--scope", help=f"comma-separated, of: {', '.join(SCOPES)} (default: all)")
    tk.add_argument("--days", type=float, help="expires after this many days (default: never)")
    tk.add_argument("--note", help="what the token is for (shown in the list)")
    tk.add_argument("--json", action="store_true")
    tk.set_defaults(func=cmd_tokens)
    dm = sub.add_parser("docs-model", help="train the default documentation model shipped in data/models "
                        "(after editing a datasheet)")
    dm.add_argument("--out", help="folder (default: data/models/docs-static)")
    dm.add_argument("--force", action="store_true", help="train even when the folder is up to date")
    dm.set_defaults(func=cmd_docs_model)
    rv = sub.add_parser("review", help="the steward review queue (stewards) and request state (requesters)")
    rv.add_argument("action", choices=["list", "show", "approve", "deny", "return", "status", "fetch", "reply"])
    rv.add_argument("id", nargs="?", help="review id, e.g. R-1A2B3C4D")
    rv.add_argument("--steward", help="steward id (list/show/approve/deny/return; password prompted or "
                                      "COMMONS_PASSWORD)")
    rv.add_argument("--reason", help="reason for approve/deny, questions for return (recorded, shown to the requester)")
    rv.add_argument("--state", default="pending", choices=["pending", "returned", "approved", "denied", "released",
                                                           "all"])
    rv.add_argument("--user", help="requester id (status/fetch/reply; signs in)")
    rv.add_argument("--role", choices=ROLES, help="requester role (status/fetch/reply)")
    rv.add_argument("--text", help="reply to a steward's questions (reply)")
    rv.add_argument("--json", action="store_true")
    rv.set_defaults(func=cmd_review)
    pj = sub.add_parser("projects", help="projects: person-level data is answered only within an approved one")
    pj.add_argument("action", choices=["submit", "list", "show", "approve", "deny", "return", "reply", "fee", "output"])
    pj.add_argument("id", nargs="?", help="project id, e.g. P-1A2B3C4D")
    pj.add_argument("--user", help="the requester (signs in)")
    pj.add_argument("--role", choices=ACCOUNT_ROLES, help="narrow the account's roles")
    pj.add_argument("--steward", help="steward id (approve/deny/return/fee, or list/show as a steward)")
    pj.add_argument("--title")
    pj.add_argument("--purpose", help="a purpose id, e.g. health_research (see README)")
    pj.add_argument("--summary", help="lay summary (submit), or an output's summary (output)")
    pj.add_argument("--datasets", nargs="+", help="dataset ids the project needs")
    pj.add_argument("--end", help="end date YYYY-MM-DD (submit; fee: the agreement's end)")
    pj.add_argument("--start", help="fee: the agreement's start date")
    pj.add_argument("--funder")
    pj.add_argument("--commercial", help="commercial involvement, in words (makes it a commercial project)")
    pj.add_argument("--publication", help="the publication commitment, in words")
    pj.add_argument("--publication-due", help="when the first output is due (YYYY-MM-DD; default: the end date)")
    pj.add_argument("--reason", help="approve/deny: the reason; return: the questions")
    pj.add_argument("--text", help="reply: the answer to a steward's questions")
    pj.add_argument("--dataset", help="fee: the dataset the agreement covers")
    pj.add_argument("--reference", help="fee: the agreement's reference")
    pj.add_argument("--amount", help="fee: the amount in pounds")
    pj.add_argument("--signed-by", help="fee: who signed it for the requester")
    pj.add_argument("--link", help="output: a link (https:// or doi:)")
    pj.add_argument("--date", help="output: the publication date (default today)")
    pj.add_argument("--state", choices=["submitted", "returned", "panel", "approved", "denied", "vetoed"])
    pj.add_argument("--json", action="store_true")
    pj.set_defaults(func=cmd_projects)
    pn = sub.add_parser("panel", help="the members' panel: member representatives vote on or veto projects")
    pn.add_argument("action", choices=["list", "vote", "veto"])
    pn.add_argument("id", nargs="?", help="project id, e.g. P-1A2B3C4D")
    pn.add_argument("--user", help="the member representative (signs in)")
    group = pn.add_mutually_exclusive_group()
    group.add_argument("--for", dest="vote", action="store_const", const=True, help="vote for the project")
    group.add_argument("--against", dest="vote", action="store_const", const=False, help="vote against it")
    pn.add_argument("--ground", help="veto: one of the datasheet's veto grounds")
    pn.add_argument("--reason", help="the reason for the vote or veto (shown in the transparency report)")
    pn.add_argument("--json", action="store_true")
    pn.set_defaults(func=cmd_panel)
    me = sub.add_parser("me", help="a participant's own data: show it, its uses, ask for a correction, withdraw, "
                        "consent per purpose")
    me.add_argument("action", choices=["show", "uses", "correct", "withdraw", "consent"])
    me.add_argument("--ref", help="your participation reference, PT-XXXX-XXXX (secret: COMMONS_PARTICIPANT_SECRET "
                                  "or a prompt)")
    me.add_argument("--column", help="correct: the value to correct, e.g. age_band")
    me.add_argument("--value", help="correct: what it should be")
    me.add_argument("--reason", help="correct: why (the steward reads it)")
    me.add_argument("--opt-out", nargs="+", help="consent: purposes to opt out of, e.g. commercial")
    me.add_argument("--opt-in", nargs="+", help="consent: purposes to opt back into")
    me.add_argument("--json", action="store_true")
    me.set_defaults(func=cmd_me)
    cr = sub.add_parser("corrections", help="participants' correction requests (a steward of the dataset)")
    cr.add_argument("action", choices=["list", "accept", "reject"])
    cr.add_argument("id", nargs="?", help="correction id, e.g. K-1A2B3C4D")
    cr.add_argument("--dataset")
    cr.add_argument("--steward")
    cr.add_argument("--reason")
    cr.add_argument("--state", default="pending", choices=["pending", "accepted", "rejected", "applied", "all"])
    cr.add_argument("--json", action="store_true")
    cr.set_defaults(func=cmd_corrections)
    tr = sub.add_parser("transparency", help="how a dataset has been used (disclosure-controlled)")
    tr.add_argument("dataset")
    tr.add_argument("--period", help="a quarter (2026-Q3), a month (2026-07) or a year (2026); default all time")
    tr.add_argument("--format", choices=["text", "md", "html"], default="text",
                    help="md: Markdown (with --out, its charts as PNG files beside it); html: one file (needs --out)")
    tr.add_argument("--out", help="a folder to write report.md (and charts) or report.html into")
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=cmd_transparency)
    ar = sub.add_parser("archive", help="take a contributed dataset out of answers (its versions and audit trail "
                        "are kept; a steward of the dataset)")
    ar.add_argument("id")
    ar.add_argument("--steward")
    ar.add_argument("--reason")
    ar.set_defaults(func=lambda a: cmd_datasets(argparse.Namespace(**{**vars(a), "action": "archive", "json": False,
                                                                       "version": None})))
    pg = sub.add_parser("purge", help="purge conversation context, transcripts and the error log after "
                        "COMMONS_PURGE_AFTER_DAYS (the audit chain is kept)")
    pg.add_argument("--days", type=float, help="purge what is older than this many days (default the setting)")
    pg.add_argument("--json", action="store_true")
    pg.set_defaults(func=cmd_purge)
    us = sub.add_parser("users", help="accounts that may sign in (the users file, COMMONS_USERS_FILE)")
    us.add_argument("action", choices=["add", "list"])
    us.add_argument("id", nargs="?", help="the account's user id")
    us.add_argument("--role", action="append", choices=ACCOUNT_ROLES, help="a role the account holds (repeat for more)")
    us.add_argument("--org", help="the account's organisation")
    us.add_argument("--datasets", nargs="+", help="datasets a steward stewards or a member represents ('open': all "
                                                  "open datasets)")
    us.add_argument("--name", help="the person's name, shown in the app")
    us.add_argument("--email", help="e-mail (matched by the identity provider; one person, one approval)")
    us.add_argument("--accreditation", help="e.g. ONS Accredited Researcher")
    us.add_argument("--json", action="store_true")
    us.set_defaults(func=cmd_users)
    au = sub.add_parser("audit", help="audit log tools")
    au.add_argument("action", choices=["verify"])
    au.set_defaults(func=cmd_audit)
    for ep in entry_points(group="commons.commands"):
        ep.load()(sub)          # plug-ins such as `commons eval`
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CommonsError as e:
        _say(f"commons: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - a fault outside a question: a message, never a traceback
        _say(f"commons: internal error ({type(e).__name__}: {_clean(str(e))[:300]}). "
             "Please report it with the command you ran.")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
