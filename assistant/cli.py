"""The `commons` command line: a thin layer over the pipeline.

    commons ask "QUESTION" --json [--role R] [--purpose P] [--user ID] [--conversation ID]
    commons ask --batch FILE.jsonl --json
    commons build [--force]        build the demo commons store under COMMONS_HOME
    commons ingest FILE --datasheet X.yaml [--json]   publish a contribution (identifiers removed)
    commons ui [--port N]          start the Streamlit app
    commons eval --suite public --json [--min-accuracy X] [--max-wrong N]
    commons review list|show|approve|deny [ID] --steward S [--reason R]   (stewards)
    commons review status|fetch ID --user U                              (requesters)
    commons transparency DATASET [--json]
    commons users add ID [--name N] [--org O]   add or update a steward (password via getpass)
    commons audit verify
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from assistant.errors import CommonsError, UsageError
from assistant.settings import Settings
from assistant.types import ROLES, Actor, Question, canonical_id


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


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
    return "\n".join(lines)


USER_ID = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,63}$")


def _user_id(raw: str | None) -> str:
    """The --user id as the commons compares it; letters a-z, digits and . _ @ + - only, so a
    look-alike spelling cannot pass for someone else (or for a fresh identity)."""
    uid = canonical_id(raw or "anonymous")
    if not USER_ID.match(uid):
        raise UsageError("A user id is 1-64 characters: letters a-z, digits, '.', '_', '+' or '-' "
                         "(no spaces, other alphabets or e-mail addresses: ids are kept in the audit log).")
    return uid


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


def cmd_ask(args) -> int:
    from assistant.pipeline import Pipeline
    settings = Settings.load()
    if not args.batch and args.question is None:
        raise UsageError("Give a question in quotes, or --batch FILE.jsonl.")
    if args.batch:
        path = Path(args.batch)
        if not path.exists():
            raise UsageError(f"Batch file {path} does not exist.")
        requests = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                if not isinstance(req, dict) or not isinstance(req.get("question"), str):
                    raise ValueError("needs a \"question\" string")
            except ValueError as e:
                raise UsageError(f"{path}, line {n}: not a valid request ({e}).") from None
            requests.append(req)
        # Every line is checked before anything is asked: a bad line fails the batch whole.
        signed_in: dict = {}
        questions = []
        for n, req in enumerate(requests, 1):
            try:
                questions.append(_question(req["question"], args, settings, signed_in, role=req.get("role"),
                                           purpose=req.get("purpose"), user=req.get("user"),
                                           conversation=req.get("conversation")))
            except CommonsError as e:
                raise UsageError(f"{path}, request {n}: {e}") from None
        pipeline = Pipeline.open(settings, progress=lambda m: print(m, file=sys.stderr))
        for q in questions:
            d = pipeline.ask(q).to_dict()
            d.pop("plan", None)
            _print_json(d) if args.json else print(_answer_text(d) + "\n")
        return 0
    q = _question(args.question, args, settings)
    pipeline = Pipeline.open(settings, progress=lambda m: print(m, file=sys.stderr))
    d = pipeline.ask(q).to_dict()
    d.pop("plan", None)
    _print_json(d) if args.json else print(_answer_text(d))
    return 0


def cmd_build(args) -> int:
    from retrieval.ingest import ensure_demo_contributions, load_commons_sheets
    from retrieval.store import build_store
    from retrieval.datasheets import load_datasheets
    s = Settings.load()
    load_datasheets(Path(s.data_dir) / "datasheets", Path(s.data_dir))   # fail fast on the shipped data
    ensure_demo_contributions(s, lambda m: print(m, file=sys.stderr))
    sheets = load_commons_sheets(s)
    built = build_store(s.store_path, sheets, Path(s.data_dir), lambda m: print(m, file=sys.stderr), args.force)
    print(f"store {'built' if built else 'already up to date'}: {s.store_path}", file=sys.stderr)
    from retrieval.index import DocsIndex
    print("documentation index: training the default embedding if needed and embedding what changed",
          file=sys.stderr)
    report = DocsIndex.open(s, sheets, progress=lambda m: print(m, file=sys.stderr)).sync()
    print(f"documentation index ready ({report.embedded} passages embedded)", file=sys.stderr)
    return 0


def cmd_docs_model(args) -> int:
    """Train the default documentation model for the shipped datasheets into data/models/docs-static
    (run after editing a datasheet; a fresh home then copies it instead of training)."""
    import shutil
    import tempfile
    from retrieval.embeddings import train_for_key, trained_key
    from retrieval.index import DocsIndex
    from retrieval.ingest import ensure_demo_contributions, load_commons_sheets
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    base = Settings.load()
    out = Path(args.out) if args.out else Path(base.data_dir) / "models" / "docs-static"
    with tempfile.TemporaryDirectory(prefix="commons-docs-model-") as tmp:
        s = Settings.load({"COMMONS_HOME": tmp, "COMMONS_DATA_DIR": str(base.data_dir), "COMMONS_EMBEDDING_MODEL": ""})
        ensure_demo_contributions(s, say)        # the demo contributions' published datasheets, as on a fresh home
        index = DocsIndex.open(s, load_commons_sheets(s), progress=say)
        key = index.corpus_key
        if trained_key(out) == key and not args.force:
            print(f"{out} is already trained for this text (key {key})")
            return 0
        texts, pairs = index.training_corpus()
        staged = Path(tmp) / "model"
        train_for_key(staged, texts, pairs, key, say)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged, out)
    print(f"trained {out} (key {key})")
    return 0


def cmd_ingest(args) -> int:
    from retrieval.datasheets import load_datasheet
    from retrieval.ingest import LazyScanner, ingest, load_commons_sheets
    from retrieval.store import build_store
    s = Settings.load()
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    for f, what in ((args.file, "File"), (args.datasheet, "Datasheet")):
        if not Path(f).is_file():
            raise UsageError(f"{what} {f} does not exist.")
    try:
        result = ingest(Path(args.file), load_datasheet(Path(args.datasheet)), s, LazyScanner(s, say), say)
        built = build_store(s.store_path, load_commons_sheets(s), Path(s.data_dir), say)
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


def cmd_ui(args) -> int:
    from ui.launch import run
    return run(port=args.port, address=args.address)


def cmd_eval(args) -> int:
    if args.suite == "pii":   # PII scanner precision/recall on eval/suites/pii.jsonl (no pipeline)
        from eval.pii_eval import main as pii_main
        return pii_main([], json_out=args.json)
    settings, chat_model = Settings.load(), None
    if getattr(args, "llm", None) == "recorded":    # LLM planner driven by recorded responses
        from eval.llm_recorded import RecordedChatModel
        settings, chat_model = Settings.load(llm_mode="always"), RecordedChatModel.from_file()
    from eval.sandbox import evaluation_pipeline
    # A throwaway copy of the commons: evaluation traffic never reaches the live audit log,
    # review queue, differencing ledger or transparency reports.
    with evaluation_pipeline(settings, progress=lambda m: print(m, file=sys.stderr),
                             chat_model=chat_model) as pipeline:
        return _eval_on(args, pipeline)


def _eval_on(args, pipeline) -> int:
    from assistant.types import Question as Q
    from eval.runner import run_suite
    if args.suite in ("docs", "docs_heldout", "docs_heldout2", "metrics"):
        return _eval_retrieval(args, pipeline)
    if args.suite in ("redteam", "redteam_heldout"):
        return _eval_redteam(args, pipeline)

    def ask(text, conversation):
        return pipeline.ask(Q(text=text, conversation_id=conversation)).to_dict()

    report = run_suite(args.suite, ask)
    if args.json:
        _print_json(report)
    else:
        print(f"{report['suite']}: {report['passed']}/{report['cases']} passed "
              f"({report['accuracy_pct']}%), wrong numbers {report['wrong_number']}, "
              f"p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms")
        for f in report.get("failures", []):
            print(f"  FAIL {f.get('id')}: {f.get('question')} -> {f.get('status')} ({f.get('detail')})")
    failed = []
    if args.min_accuracy is not None and report["accuracy_pct"] < args.min_accuracy:
        failed.append(f"accuracy {report['accuracy_pct']}% is below {args.min_accuracy}%")
    if args.max_wrong is not None and report["wrong_number"] > args.max_wrong:
        failed.append(f"{report['wrong_number']} wrong numbers (allowed {args.max_wrong})")
    for f in failed:
        print(f"eval gate failed: {f}", file=sys.stderr)
    return 1 if failed else 0


def _eval_redteam(args, pipeline) -> int:
    from eval.redteam import HELDOUT, SUITE, run
    report = run(pipeline, HELDOUT if args.suite == "redteam_heldout" else SUITE)
    if args.json:
        _print_json(report)
    else:
        print(f"redteam: {report['cases']} cases; attacks stopped {report['attacks_stopped_pct']}% "
              f"of {report['attacks']}, benign answered {report['benign_answered_pct']}% of {report['benign']}, "
              f"leaks {report['leaks']}")
        for f in report["failures"]:
            print(f"  FAIL {f['id']} [{f['kind']}/{f['category']}] {f['question'] or f['action']} -> "
                  f"{f['status']} {f['leaks'] or ''} {f['detail'][:100]}")
    failed = []
    if args.min_stopped is not None and report["attacks_stopped_pct"] < args.min_stopped:
        failed.append(f"attacks stopped {report['attacks_stopped_pct']}% is below {args.min_stopped}%")
    if args.min_benign is not None and report["benign_answered_pct"] < args.min_benign:
        failed.append(f"benign answered {report['benign_answered_pct']}% is below {args.min_benign}%")
    if report["leaks"]:
        failed.append(f"{report['leaks']} outputs leaked an identifier or a small cell")
    for f in failed:
        print(f"eval gate failed: {f}", file=sys.stderr)
    return 1 if failed else 0


def cmd_users(args) -> int:
    """Add or update a steward in the users file; the password is read with getpass."""
    import getpass
    from guardrails.auth import add_user
    users_file = Settings.load().users_file
    password = getpass.getpass(f"New password for {args.id}: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise UsageError("The two passwords differ; nothing was changed.")
    new = add_user(users_file, args.id, password, name=args.name, org=args.org)
    print(f"steward {args.id} {'added to' if new else 'updated in'} {users_file}", file=sys.stderr)
    return 0


def _eval_retrieval(args, pipeline) -> int:
    from eval.docs_eval import run_docs, run_metrics
    pipeline.docs_index.progress = lambda m: print(m, file=sys.stderr)
    run = run_metrics if args.suite == "metrics" else run_docs
    report = run(pipeline, mode=args.retriever, embedding_model=args.embedding_model, suite=args.suite)
    if args.json:
        _print_json(report)
    else:
        print(f"{report['suite']} ({report['retriever']}, {report['embedding_model']}): {report['cases']} cases, "
              f"recall@1 {report['recall_at_1']}, recall@3 {report['recall_at_3']}, MRR {report['mrr']}")
        for f in report.get("failures", []):
            print(f"  MISS {f['id']}: {f['question']} -> rank {f['rank']} {f['got']}")
    if args.min_recall_at_3 is not None and report["recall_at_3"] < args.min_recall_at_3:
        print(f"eval gate failed: recall@3 {report['recall_at_3']} is below {args.min_recall_at_3}", file=sys.stderr)
        return 1
    return 0


def cmd_audit(args) -> int:
    from guardrails.audit import AuditLog
    ok, message = AuditLog(Settings.load().audit_path).verify()
    print(message)
    return 0 if ok else 1


def _signed_in_steward(user: str, settings: Settings, cache: dict) -> Actor:
    """The steward role is never self-declared: --role steward signs --user in with the users
    file (password from COMMONS_STEWARD_PASSWORD or a prompt), once per user in a batch."""
    import getpass
    import os
    from guardrails.auth import verify
    if user in cache:
        return cache[user]
    if user == "anonymous":
        raise UsageError("--role steward needs --user ID of a steward in the users file (who signs in).")
    try:
        password = os.environ.get("COMMONS_STEWARD_PASSWORD") or getpass.getpass(f"Password for {user}: ")
    except EOFError:
        raise UsageError(f"No password for steward {user}: set COMMONS_STEWARD_PASSWORD or run in a terminal.") \
            from None
    cache[user] = verify(settings.users_file, user, password)
    return cache[user]


def _steward(args, settings: Settings) -> Actor:
    """A steward signs in with the users file (password from COMMONS_STEWARD_PASSWORD or a prompt)."""
    if not args.steward:
        raise UsageError("Give --steward ID (a steward in the users file) for this action.")
    return _signed_in_steward(args.steward, settings, {})


def _review_dict(req) -> dict:
    d = req.to_dict()
    d.pop("plan", None)
    return d


def cmd_review(args) -> int:
    from assistant.pipeline import Pipeline
    settings = Settings.load()
    pipeline = Pipeline.open(settings, progress=lambda m: print(m, file=sys.stderr))
    if args.action in ("status", "fetch"):
        if not args.id:
            raise UsageError(f"Give the review id: commons review {args.action} R-XXXXXXXX --user ID")
        if args.role == "steward":
            raise UsageError("Stewards see any request with `commons review show ID --steward ID`; "
                             "status and fetch are for the requester (--user, --role of the request).")
        requester = Actor(id=_user_id(args.user), role=args.role or settings.default_role)
        if args.action == "status":
            req = pipeline.review_status(args.id, requester)
            _print_json(_review_dict(req)) if args.json else print(
                f"{req.id}: {req.state}" + (f" ({req.decision_reason})" if req.decision_reason else ""))
        else:
            d = pipeline.fetch_review(args.id, requester).to_dict()
            d.pop("plan", None)
            _print_json(d) if args.json else print(_answer_text(d))
        return 0
    steward = _steward(args, settings)
    if args.action == "list":
        reqs = pipeline.review_queue(steward, None if args.state == "all" else args.state)
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
        info = pipeline.inspect_review(args.id, steward)
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
    req = pipeline.decide_review(args.id, steward, args.action == "approve", args.reason or "")
    _print_json(_review_dict(req)) if args.json else print(f"{req.id}: {req.state} by {req.steward} "
                                                          f"({req.decision_reason})")
    return 0


def cmd_transparency(args) -> int:
    from assistant.pipeline import Pipeline
    from guardrails.transparency import as_text
    pipeline = Pipeline.open(Settings.load(), progress=lambda m: print(m, file=sys.stderr))
    rep = pipeline.transparency(args.dataset)
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
    dm = sub.add_parser("docs-model", help="train the default documentation model shipped in data/models "
                        "(after editing a datasheet)")
    dm.add_argument("--out", help="folder (default: data/models/docs-static)")
    dm.add_argument("--force", action="store_true", help="train even when the folder is up to date")
    dm.set_defaults(func=cmd_docs_model)
    e = sub.add_parser("eval", help="run an evaluation suite")
    e.add_argument("--suite", default="public", help="public, redteam, redteam_heldout, docs, docs_heldout, "
                   "docs_heldout2, metrics or pii")
    e.add_argument("--json", action="store_true")
    e.add_argument("--min-accuracy", type=float)
    e.add_argument("--max-wrong", type=int)
    e.add_argument("--min-stopped", type=float, help="redteam: fail when fewer attacks are stopped (percent)")
    e.add_argument("--min-benign", type=float, help="redteam: fail when fewer benign cases are answered (percent)")
    e.add_argument("--retriever", choices=["hybrid", "dense", "lexical"], default="hybrid",
                   help="docs/metrics suites: which retrieval to score")
    e.add_argument("--embedding-model", help="docs/metrics suites: score another embedding model "
                   "(name or folder) in a separate index; default: the configured one")
    e.add_argument("--min-recall-at-3", type=float, help="docs/metrics suites: fail below this recall@3")
    e.add_argument("--llm", choices=["recorded"], help="public/redteam suites: plan with the LLM planner "
                   "(mode 'always') driven by the recorded responses in eval/suites/llm_recorded.jsonl")
    e.set_defaults(func=cmd_eval)
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CommonsError as e:
        print(f"commons: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
