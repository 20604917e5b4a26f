"""The `commons` command line: it parses, calls the core, and prints.

    commons ask "QUESTION" --json [--role R] [--purpose P] [--user ID] [--conversation ID]
    commons ask --batch FILE.jsonl --json
    commons build [--force]        build the demo commons under COMMONS_HOME
    commons ingest FILE --datasheet X.yaml --user ID [--json]   stage a contribution for a steward
    commons contributions list|approve|deny [ID] --steward S [--reason R]
    commons datasets versions ID | restore ID --version N --steward S --reason R
    commons governance status | approve --steward S --reason R
    commons ui [--port N]          start the Streamlit app
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

from assistant.commons import Commons
from assistant.pipeline import Pipeline
from assistant.stewardship import Stewardship
from guardrails import auth, contributions, integrity
from guardrails.governance import Governance
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


def _signed_in_steward(user: str, settings: Settings, cache: dict, users_file: Path | None = None) -> Actor:
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
    cache[user] = auth.verify(users_file or settings.users_file, user, password)
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
                                 contributions.LazyScanner(s, _say), _user_id(args.user))
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
    return 0


def cmd_contributions(args) -> int:
    settings = Settings.load()
    if not args.steward:
        raise UsageError("Give --steward ID (a steward in the users file) for this action.")
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    steward = _signed_in_steward(args.steward, settings, {})
    if args.action == "list":
        items = stewardship.contributions(steward, None if args.state == "all" else args.state)
        if args.json:
            _print_json([c.to_dict() for c in items])
        for c in items if not args.json else ():
            print(f"{c.id}  {c.state:<8} {c.dataset}  {c.rows} rows  from {c.submitter}")
        return 0
    if not args.id:
        raise UsageError(f"Give the contribution id: commons contributions {args.action} c-... --steward ID")
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
    if not (args.steward and args.version):
        raise UsageError("commons datasets restore ID --version N --steward S --reason R")
    stewardship = Stewardship(Pipeline.open(settings, progress=_say))
    hist = stewardship.restore_version(args.id, args.version, _signed_in_steward(args.steward, settings, {}),
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
    steward = _signed_in_steward(args.steward, settings, {}, users_file=gov.users_file_for_sign_in())
    Stewardship(Pipeline.open(settings, progress=_say)).approve_governance(steward, args.reason or "")
    print("governance files approved: " + (", ".join(status.changed) or "no changes"))
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
    ok, message = integrity.verify(Settings.load())
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
    ig.add_argument("--user", help="who is contributing (recorded; they cannot approve it themselves)")
    ig.add_argument("--json", action="store_true")
    ig.set_defaults(func=cmd_ingest)
    co = sub.add_parser("contributions", help="the steward's contribution queue (approve publishes a new version)")
    co.add_argument("action", choices=["list", "approve", "deny"])
    co.add_argument("id", nargs="?")
    co.add_argument("--steward")
    co.add_argument("--reason")
    co.add_argument("--state", default="pending", choices=["pending", "approved", "denied", "all"])
    co.add_argument("--json", action="store_true")
    co.set_defaults(func=cmd_contributions)
    ds = sub.add_parser("datasets", help="published versions of a contributed dataset; restore one (its steward)")
    ds.add_argument("action", choices=["versions", "restore"])
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
    u = sub.add_parser("ui", help="start the Streamlit app")
    u.add_argument("--port", type=int, default=8501)
    u.add_argument("--address", default="127.0.0.1")
    u.set_defaults(func=cmd_ui)
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
