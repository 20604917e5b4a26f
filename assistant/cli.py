"""The `commons` command line: it parses, calls the core, and prints.

    commons ask "QUESTION" --json [--role R] [--purpose P] [--user ID] [--conversation ID]
    commons ask --batch FILE.jsonl --json
    commons build [--force]        build the demo commons under COMMONS_HOME
    commons ingest FILE --datasheet X.yaml [--json]   publish a contribution (identifiers removed)
    commons ui [--port N]          start the Streamlit app
    commons serve [--port N]       start the JSON API (assistant/api.py) on 127.0.0.1
    commons tokens create|list|revoke   API tokens (belong to an account, one role, scopes)
    commons review list|show|approve|deny [ID] --steward S [--reason R]   (stewards)
    commons review status|fetch ID --user U                              (requesters)
    commons transparency DATASET [--json]
    commons users add ID [--name N] [--org O]   add or update a steward (password via getpass)
    commons audit verify
    commons docs-model             retrain the shipped documentation model

Other packages add subcommands through the ``commons.commands`` entry point (``eval/`` adds
``commons eval``); the product itself never imports them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from assistant import api
from assistant.commons import Commons
from assistant.pipeline import Pipeline
from assistant.stewardship import Stewardship
from guardrails import auth, contributions, governance
from guardrails.tokens import DEFAULT_SCOPES, SCOPES, Tokens
from guardrails.transparency import as_text
from kernel.errors import CommonsError, UsageError
from kernel.settings import REPO_ROOT, Settings
from kernel.text import canonical_id
from kernel.types import ROLES, Actor, GuardedAnswer, Question
from retrieval.datasheets import load_datasheet

APP_FILE = REPO_ROOT / "ui" / "app.py"
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


def _signed_in_steward(user: str, settings: Settings, cache: dict) -> Actor:
    """The steward role is never self-declared: --role steward signs --user in with the users
    file (password from COMMONS_STEWARD_PASSWORD or a prompt), once per user in a batch."""
    if user in cache:
        return cache[user]
    if user == "anonymous":
        raise UsageError("--role steward needs --user ID of a steward in the users file (who signs in).")
    try:
        password = os.environ.get("COMMONS_STEWARD_PASSWORD") or getpass.getpass(f"Password for {user}: ")
    except EOFError:
        raise UsageError(f"No password for steward {user}: set COMMONS_STEWARD_PASSWORD or run in a terminal.") \
            from None
    cache[user] = auth.verify(settings.users_file, user, password)
    return cache[user]


def _question(text, args, defaults: Settings, signed_in: dict | None = None, **over) -> Question:
    role = over.get("role") or args.role or defaults.default_role
    if role not in ROLES:
        raise UsageError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
    user = _user_id(over.get("user") or args.user)
    if role == "steward":
        actor = _signed_in_steward(user, defaults, signed_in if signed_in is not None else {})
    else:
        actor = Actor(id=user, role=role)
    return Question(text=text, actor=actor,
                    purpose=over.get("purpose") or args.purpose or defaults.default_purpose,
                    conversation_id=over.get("conversation") or args.conversation)


def _line_request(n: int, raw: bytes) -> dict:
    """One batch line as a request, or a UsageError naming the line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"line {n} is not UTF-8 text (byte {e.start + 1}); save the file as UTF-8.") from None
    try:
        req = json.loads(line)
    except ValueError as e:
        raise UsageError(f"line {n} is not a JSON object ({e.msg}).") from None
    if not isinstance(req, dict) or not isinstance(req.get("question"), str):
        raise UsageError(f"line {n} needs a \"question\" string, e.g. {{\"question\": \"population of Wirral\"}}.")
    for key in ("role", "purpose", "user", "conversation"):
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
                          purpose=req.get("purpose"), user=req.get("user"), conversation=req.get("conversation"))
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
    s = Settings.load()
    for f, what in ((args.file, "File"), (args.datasheet, "Datasheet")):
        if not Path(f).is_file():
            raise UsageError(f"{what} {f} does not exist.")
    try:
        result = contributions.ingest(Path(args.file), load_datasheet(Path(args.datasheet)), s,
                                      contributions.LazyScanner(s, _say), _say)
        built = Commons.build(s, _say)
    except CommonsError as e:
        if args.json:
            _print_json({"ok": False, "error": str(e)})
        raise
    if args.json:
        _print_json({"ok": True, **result.to_dict(), "store_rebuilt": built})
    else:
        print(f"published {result.dataset}: {result.rows} rows -> {result.published_csv}")
        for c in result.report.columns:
            print(f"  {c.name:<24} {c.declared or '-':<18} {c.entity or '-':<14} {c.share:>5.0%}  {c.action}")
    return 0


def ui_command(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    """The command that serves the Streamlit app (``commons ui``, the tests, the benchmark)."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_FILE),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "viewer",
        "--server.address", address,
        "--server.port", str(port),
    ]


def cmd_ui(args) -> int:
    try:
        return subprocess.call(ui_command(args.port, args.address))
    except KeyboardInterrupt:
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
    """API tokens: ``create`` prints the secret once; ``list`` and ``revoke`` use the public id."""
    settings = Settings.load()
    tokens = Tokens(governance.target(settings))
    audit = governance.audit_log(settings)
    if args.action == "create":
        if not args.user or not args.role:
            raise UsageError("Give --user ID (the account the token belongs to) and --role R (the one role it acts in).")
        user = _user_id(args.user)
        if args.role == "steward":       # the steward role is signed in, never just granted
            _signed_in_steward(user, settings, {})
        scopes = tuple(s.strip() for s in (args.scope or ",".join(DEFAULT_SCOPES)).split(",") if s.strip())
        issued = tokens.create(user, args.role, scopes, days=args.days, note=args.note or "")
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
    """Add or update a steward in the users file; the password is read with getpass."""
    users_file = Settings.load().users_file
    password = getpass.getpass(f"New password for {args.id}: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise UsageError("The two passwords differ; nothing was changed.")
    new = auth.add_user(users_file, args.id, password, name=args.name, org=args.org)
    _say(f"steward {args.id} {'added to' if new else 'updated in'} {users_file}")
    return 0


def cmd_audit(args) -> int:
    ok, message = governance.audit_log(Settings.load()).verify()
    print(message)
    return 0 if ok else 1


def _review_dict(req) -> dict:
    d = req.to_dict()
    d.pop("plan", None)
    return d


def cmd_review(args) -> int:
    settings = Settings.load()
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    if args.action in ("status", "fetch"):
        if not args.id:
            raise UsageError(f"Give the review id: commons review {args.action} R-XXXXXXXX --user ID")
        if args.role == "steward":
            raise UsageError("Stewards see any request with `commons review show ID --steward ID`; "
                             "status and fetch are for the requester (--user, --role of the request).")
        requester = Actor(id=_user_id(args.user), role=args.role or settings.default_role)
        if args.action == "status":
            req = stewardship.review_status(args.id, requester)
            _print_json(_review_dict(req)) if args.json else print(
                f"{req.id}: {req.state}" + (f" ({req.decision_reason})" if req.decision_reason else ""))
            return 0
        answer = stewardship.fetch_review(args.id, requester)
        _show(answer, args.json)
        return EXIT_INTERNAL if answer.status == "error" else 0
    if not args.steward:
        raise UsageError("Give --steward ID (a steward in the users file) for this action.")
    steward = _signed_in_steward(args.steward, settings, {})
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
        if args.json:
            _print_json({"request": req.to_dict(), "preview": preview.to_dict() if preview else None})
        else:
            print(f"{req.id} ({req.state}) from a {req.role} for {req.purpose}: {req.question}")
            print(f"flagged by {req.rule}: {req.reason}")
            print(f"plan: {json.dumps(req.plan)}\nSQL: {req.sql}")
            if preview:
                print("would release (after disclosure control):\n" + _answer_text(
                    {k: v for k, v in preview.to_dict().items() if k != "plan"}))
        return 0
    req = stewardship.decide_review(args.id, steward, args.action == "approve", args.reason or "")
    _print_json(_review_dict(req)) if args.json else print(f"{req.id}: {req.state} by {req.steward} "
                                                          f"({req.decision_reason})")
    return 0


def cmd_transparency(args) -> int:
    rep = Stewardship(Pipeline.open(Settings.load(), progress=_say)).transparency(args.dataset)
    _print_json(rep) if args.json else print(as_text(rep))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="commons", description="Ask the data commons in plain language.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("ask", help="ask a question")
    a.add_argument("question", nargs="?")
    a.add_argument("--json", action="store_true", help="print one JSON object per answer")
    a.add_argument("--batch", help="a JSONL file of requests")
    a.add_argument("--role", choices=ROLES)
    a.add_argument("--purpose")
    a.add_argument("--user")
    a.add_argument("--conversation")
    a.set_defaults(func=cmd_ask)
    b = sub.add_parser("build", help="build the demo commons store")
    b.add_argument("--force", action="store_true")
    b.set_defaults(func=cmd_build)
    ig = sub.add_parser("ingest", help="publish a contributed CSV (identifiers removed) under its datasheet")
    ig.add_argument("file")
    ig.add_argument("--datasheet", required=True, help="the datasheet (YAML) describing the file's columns")
    ig.add_argument("--json", action="store_true")
    ig.set_defaults(func=cmd_ingest)
    u = sub.add_parser("ui", help="start the Streamlit app")
    u.add_argument("--port", type=int, default=8501)
    u.add_argument("--address", default="127.0.0.1")
    u.set_defaults(func=cmd_ui)
    sv = sub.add_parser("serve", help="start the JSON API (POST /api/v1/ask, datasets, transparency, reviews)")
    sv.add_argument("--port", type=int, default=8600)
    sv.add_argument("--address", default="127.0.0.1")
    sv.set_defaults(func=cmd_serve)
    tk = sub.add_parser("tokens", help="API tokens: each belongs to an account, acts in one role, holds scopes")
    tk.add_argument("action", choices=["create", "list", "revoke"])
    tk.add_argument("id", nargs="?", help="token id (revoke)")
    tk.add_argument("--user", help="the account the token belongs to")
    tk.add_argument("--role", choices=ROLES, help="the one role it acts in (steward: signs the account in)")
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
    rv.add_argument("action", choices=["list", "show", "approve", "deny", "status", "fetch"])
    rv.add_argument("id", nargs="?", help="review id, e.g. R-1A2B3C4D")
    rv.add_argument("--steward", help="steward id (list/show/approve/deny; password prompted or "
                                      "COMMONS_STEWARD_PASSWORD)")
    rv.add_argument("--reason", help="reason for approve/deny (recorded, shown to the requester)")
    rv.add_argument("--state", default="pending", choices=["pending", "approved", "denied", "released", "all"])
    rv.add_argument("--user", help="requester id (status/fetch)")
    rv.add_argument("--role", choices=ROLES, help="requester role (status/fetch)")
    rv.add_argument("--json", action="store_true")
    rv.set_defaults(func=cmd_review)
    tr = sub.add_parser("transparency", help="how a dataset has been used (disclosure-controlled)")
    tr.add_argument("dataset")
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=cmd_transparency)
    us = sub.add_parser("users", help="stewards who may sign in (the users file, COMMONS_USERS_FILE)")
    us.add_argument("action", choices=["add"])
    us.add_argument("id", help="the steward's user id")
    us.add_argument("--name", help="the steward's name, shown in the app")
    us.add_argument("--org", help="the steward's organisation")
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
