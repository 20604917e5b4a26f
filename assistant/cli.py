"""The `commons` command line: a thin layer over the pipeline.

    commons ask "QUESTION" --json [--role R] [--purpose P] [--user ID] [--conversation ID]
    commons ask --batch FILE.jsonl --json
    commons build [--force]        build the demo commons store under COMMONS_HOME
    commons ui [--port N]          start the Streamlit app
    commons eval --suite public --json [--min-accuracy X] [--max-wrong N]
    commons audit verify
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.errors import CommonsError, UsageError
from assistant.settings import Settings
from assistant.types import ROLES, Actor, Question


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


def _question(text, args, defaults: Settings, **over) -> Question:
    role = over.get("role") or args.role or defaults.default_role
    if role not in ROLES:
        raise UsageError(f"Unknown role '{role}'. Roles: {', '.join(ROLES)}.")
    return Question(text=text, actor=Actor(id=over.get("user") or args.user or "anonymous", role=role),
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
        pipeline = Pipeline.open(settings, progress=lambda m: print(m, file=sys.stderr))
        for req in requests:
            q = _question(req["question"], args, settings, role=req.get("role"), purpose=req.get("purpose"),
                          user=req.get("user"), conversation=req.get("conversation"))
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
    from retrieval.datasheets import load_datasheets
    from retrieval.store import build_store
    s = Settings.load()
    sheets = load_datasheets(Path(s.data_dir) / "datasheets", Path(s.data_dir))
    built = build_store(s.store_path, sheets, Path(s.data_dir), lambda m: print(m, file=sys.stderr), args.force)
    print(f"store {'built' if built else 'already up to date'}: {s.store_path}", file=sys.stderr)
    return 0


def cmd_ui(args) -> int:
    from ui.launch import run
    return run(port=args.port, address=args.address)


def cmd_eval(args) -> int:
    from assistant.pipeline import Pipeline
    from assistant.types import Question as Q
    from eval.runner import run_suite
    pipeline = Pipeline.open(Settings.load(), progress=lambda m: print(m, file=sys.stderr))

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


def cmd_audit(args) -> int:
    from guardrails.audit import AuditLog
    ok, message = AuditLog(Settings.load().audit_path).verify()
    print(message)
    return 0 if ok else 1


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
    u = sub.add_parser("ui", help="start the Streamlit app")
    u.add_argument("--port", type=int, default=8501)
    u.add_argument("--address", default="127.0.0.1")
    u.set_defaults(func=cmd_ui)
    e = sub.add_parser("eval", help="run an evaluation suite")
    e.add_argument("--suite", default="public")
    e.add_argument("--json", action="store_true")
    e.add_argument("--min-accuracy", type=float)
    e.add_argument("--max-wrong", type=int)
    e.set_defaults(func=cmd_eval)
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
