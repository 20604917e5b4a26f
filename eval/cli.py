"""`commons eval`: the evaluation suites and their gates, plugged into the product's CLI.

The product never imports ``eval``: this module registers its subcommand through the
``commons.commands`` entry point (pyproject.toml), so a checkout without ``eval/`` simply has
no ``commons eval``.  Every evaluation runs on a throwaway copy of the commons
(``eval.sandbox``): test traffic never reaches the live audit log, review queue or ledger.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import replace

from assistant.stewardship import Stewardship
from eval.docs_eval import run_docs, run_metrics
from eval.pii_eval import main as pii_main
from eval.redteam import HELDOUT, SUITE, run as run_redteam
from eval import grants
from eval.runner import load_suite, run_suite
from eval.sandbox import evaluation_pipeline
from kernel.settings import Settings
from kernel.types import Question

SUITE_HELP = ("public, public_heldout, scope, metrics_use, redteam, redteam_heldout, docs, docs_heldout, "
              "docs_heldout2, metrics or pii (or a path to a .jsonl suite)")
RETRIEVAL_SUITES = ("docs", "docs_heldout", "docs_heldout2", "metrics")
REDTEAM_SUITES = ("redteam", "redteam_heldout")


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def register(sub) -> None:
    """Add ``eval`` to the ``commons`` subcommands (called by the CLI for the entry point)."""
    e = sub.add_parser("eval", help="run an evaluation suite")
    e.add_argument("--suite", default="public", help=SUITE_HELP)
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
    e.add_argument("--engine", choices=["duckdb", "spark"], help="run the checked SQL on this engine "
                   "(default: COMMONS_ENGINE); spark = Spark SQL at COMMONS_SPARK_MASTER")
    e.add_argument("--same-figures-as", metavar="REPORT.json", help="public suites: fail unless every case "
                   "gives the same status and figures as in this earlier --json report (e.g. from DuckDB)")
    e.add_argument("--api", action="store_true", help="public/redteam suites: ask every question through the "
                   "JSON API (a real server on 127.0.0.1, a token made by each case's signed-in account) instead of in "
                   "process")
    e.set_defaults(func=cmd_eval)


def cmd_eval(args) -> int:
    if args.suite == "pii":   # PII scanner precision/recall on eval/suites/pii.jsonl (no pipeline)
        return pii_main([], json_out=args.json)
    settings, chat_model = Settings.load(), None
    if getattr(args, "llm", None) == "recorded":    # LLM planner driven by recorded responses
        from eval.llm_recorded import RecordedChatModel  # noqa: PLC0415 - LangChain costs seconds; only for --llm
        settings, chat_model = Settings.load(llm_mode="always"), RecordedChatModel.from_file()
    if getattr(args, "engine", None):
        settings = replace(settings, engine=args.engine)
    with evaluation_pipeline(settings, progress=lambda m: print(m, file=sys.stderr),
                             chat_model=chat_model) as pipeline:
        if args.suite in RETRIEVAL_SUITES:
            return _retrieval(args, pipeline)
        if getattr(args, "api", False) and args.suite not in RETRIEVAL_SUITES:
            # FastAPI and uvicorn load only here (seconds on every `commons` command otherwise).
            from eval.api_client import ApiPipeline, ApiStewardship, serving  # noqa: PLC0415
            with serving(pipeline) as url:
                api = ApiPipeline(pipeline, url)
                try:
                    if args.suite in REDTEAM_SUITES:
                        return _redteam(args, api, ApiStewardship(api))
                    return _answers(args, pipeline, api)
                finally:
                    api.close()
        if args.suite in REDTEAM_SUITES:
            return _redteam(args, pipeline)
        return _answers(args, pipeline)


def gate(checks: list[tuple[bool, str]]) -> int:
    """1 (and each failure on stderr) when any check failed, else 0."""
    failed = [msg for bad, msg in checks if bad]
    for msg in failed:
        print(f"eval gate failed: {msg}", file=sys.stderr)
    return 1 if failed else 0


_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def figures_digest(answer: dict) -> str:
    """What an answer says in figures: its status, table cells and the numbers in its text
    (floats to 10 significant digits, so engines may differ only below that)."""
    def cell(v):
        return f"{v:.10g}" if isinstance(v, float) else str(v)

    table = answer.get("table") or {}
    rows = [[cell(v) for v in r] for r in table.get("rows") or []]
    text = re.sub(r"R-[0-9A-F]{8}", "R-?", str(answer.get("answer") or ""))
    body = json.dumps([answer.get("status"), table.get("columns"), rows, _NUMBER.findall(text)], default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _answers(args, pipeline, asker=None) -> int:
    figures: list[str] = []
    asker = asker or pipeline

    def ask(text, conversation, as_=None):
        if as_:
            # a throwaway account of the sandbox holding the role for the datasets named (a
            # steward or members' representative of a person-level dataset: who is missing)
            role, datasets = as_["role"], tuple(as_.get("datasets") or ())
            actor = grants.signed_in(pipeline.commons, f"eval-{role}-{'-'.join(datasets)}"[:32].replace("_", "-"),
                                     role, f"Evaluation {role}s", datasets)
            purpose = as_.get("purpose") or ("stewardship" if role == "steward" else "evaluation")
            question = Question(text=text, actor=actor, purpose=purpose, conversation_id=conversation)
        else:
            question = Question(text=text, conversation_id=conversation)
        answer = asker.ask(question).to_dict()
        figures.append(figures_digest(answer))
        return answer

    report = run_suite(args.suite, ask)
    report["engine"] = pipeline.store.engine_name
    if asker is not pipeline:
        report["through"] = f"the JSON API ({asker.calls} HTTP calls)"
    report["figures"] = figures
    report["figures_sha256"] = hashlib.sha256("".join(figures).encode()).hexdigest()
    same = _same_figures(args, report)
    if args.json:
        _print_json(report)
    else:
        print(f"{report['suite']}: {report['passed']}/{report['cases']} passed "
              f"({report['accuracy_pct']}%), wrong numbers {report['wrong_number']}, "
              f"declined {report.get('declined_pct', 0)}%, p50 {report['p50_ms']} ms, p95 {report['p95_ms']} ms")
        for f in report.get("failures", []):
            print(f"  FAIL {f.get('id')}: {f.get('question')} -> {f.get('status')} ({f.get('detail')})")
    return gate([
        (args.min_accuracy is not None and report["accuracy_pct"] < args.min_accuracy,
         f"accuracy {report['accuracy_pct']}% is below {args.min_accuracy}%"),
        (args.max_wrong is not None and report["wrong_number"] > args.max_wrong,
         f"{report['wrong_number']} wrong numbers (allowed {args.max_wrong})"),
        (same is not None and bool(same), f"{len(same or ())} cases differ from {args.same_figures_as}: "
                                         f"{', '.join(same or ())[:300]}"),
    ])


def _same_figures(args, report: dict) -> list[str] | None:
    """Case ids whose figures differ from the report in ``--same-figures-as`` (None: not asked)."""
    path = getattr(args, "same_figures_as", None)
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            other = json.loads(f.read())
        theirs = other["figures"]
    except (OSError, ValueError, KeyError) as e:
        return [f"(cannot read figures from {path}: {e})"]
    ids = [c.get("id", str(i)) for i, c in enumerate(load_suite(args.suite))]
    mine = report["figures"]
    if len(theirs) != len(mine):
        return [f"({len(mine)} cases here, {len(theirs)} there)"]
    diff = [ids[i] for i, (a, b) in enumerate(zip(mine, theirs)) if a != b]
    report["same_figures_as"] = {"report": path, "engine": other.get("engine"), "differ": diff,
                                 "identical": not diff}
    return diff


def _redteam(args, pipeline, stewardship=None) -> int:
    report = run_redteam(pipeline, HELDOUT if args.suite == "redteam_heldout" else SUITE,
                         stewardship=stewardship or Stewardship(pipeline))
    if hasattr(pipeline, "calls"):      # eval.api_client.ApiPipeline: counts its HTTP calls
        report["through"] = f"the JSON API ({pipeline.calls} HTTP calls)"
    if args.json:
        _print_json(report)
    else:
        print(f"redteam: {report['cases']} cases; attacks stopped {report['attacks_stopped_pct']}% "
              f"of {report['attacks']}, benign answered {report['benign_answered_pct']}% of {report['benign']}, "
              f"leaks {report['leaks']}")
        for f in report["failures"]:
            print(f"  FAIL {f['id']} [{f['kind']}/{f['category']}] {f['question'] or f['action']} -> "
                  f"{f['status']} {f['leaks'] or ''} {f['detail'][:100]}")
    return gate([
        (args.min_stopped is not None and report["attacks_stopped_pct"] < args.min_stopped,
         f"attacks stopped {report['attacks_stopped_pct']}% is below {args.min_stopped}%"),
        (args.min_benign is not None and report["benign_answered_pct"] < args.min_benign,
         f"benign answered {report['benign_answered_pct']}% is below {args.min_benign}%"),
        (bool(report["leaks"]), f"{report['leaks']} outputs leaked an identifier or a small cell"),
    ])


def _retrieval(args, pipeline) -> int:
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
    return gate([(args.min_recall_at_3 is not None and report["recall_at_3"] < args.min_recall_at_3,
                  f"recall@3 {report['recall_at_3']} is below {args.min_recall_at_3}")])
