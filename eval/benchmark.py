"""Latency benchmark: ask every question of a suite through the pipeline and time it.

    .venv/bin/python eval/benchmark.py [--suite public] [--repeat 3]

Opens the pipeline once, warms up with one pass over the suite, then asks every question
``--repeat`` times (conversations in file order, a fresh conversation id per pass) and prints
a JSON report: cases, runs, p50_ms, p95_ms, max_ms, mean_ms and per-intent p95.

The cost of the guardrails is measured in the same run: the pipeline times each stage of
every question (``Pipeline.last_timings``), and the report gives the p50/p95 of the
guardrail stages (inbound screen, probes, policy, disclosure control + ledger, outbound
PII scan, audit append) and of the time without them.  ``--suite redteam`` times the
person-level questions (with their roles and purposes) too.
A measurement script, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eval.runner import load_suite, percentile  # noqa: E402


def _one_pass(pipeline, question_cls, cases: list[dict], tag: str) -> list[tuple[str, float, float]]:
    """(intent, total ms, guardrail ms) per question."""
    from assistant.pipeline import GUARDRAIL_STAGES
    from kernel.types import Actor
    out: list[tuple[str, float, float]] = []
    for case in cases:
        if not case.get("question") or case.get("action"):
            continue
        conv = case.get("conversation")
        conv_id = f"bench-{tag}-{conv}" if conv else None
        actor = Actor(id=f"bench-{tag}-{case.get('id')}", role=case.get("role", "resident"))
        t0 = time.perf_counter()
        try:
            pipeline.ask(question_cls(text=case["question"], actor=actor, purpose=case.get("purpose", "personal"),
                                      conversation_id=conv_id)).to_dict()
        except Exception as exc:  # keep measuring; report the error on stderr
            print(f"error on {case.get('id')}: {type(exc).__name__}: {exc}", file=sys.stderr)
        total = (time.perf_counter() - t0) * 1000.0
        guard = sum(v for k, v in pipeline.last_timings.items() if k in GUARDRAIL_STAGES)
        out.append((case.get("intent") or case.get("category", "?"), total, guard))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time the pipeline over an evaluation suite.")
    ap.add_argument("--suite", default="public")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from kernel.types import Question

    if args.suite == "redteam":
        from eval.redteam import load_cases
        cases = load_cases()
    else:
        cases = load_suite(args.suite)
    from kernel.settings import Settings
    from eval.sandbox import evaluation_pipeline
    with evaluation_pipeline(Settings.load()) as pipeline:     # test traffic stays out of the live commons
        return _measure(args, pipeline, cases, Question)


def _measure(args, pipeline, cases, Question) -> int:
    from assistant.pipeline import Pipeline
    t_open = time.perf_counter()
    Pipeline.open(pipeline.settings).close()       # the cost of opening a built commons
    open_ms = (time.perf_counter() - t_open) * 1000.0

    _one_pass(pipeline, Question, cases, f"warm-{uuid.uuid4().hex[:8]}")  # warm-up, not timed

    timings: list[tuple[str, float, float]] = []
    for i in range(max(1, args.repeat)):
        timings += _one_pass(pipeline, Question, cases, f"{i}-{uuid.uuid4().hex[:8]}")

    ms = [t for _, t, _ in timings]
    guard = [g for _, _, g in timings]
    without = [t - g for _, t, g in timings]
    by_intent: dict[str, list[float]] = {}
    for intent, t, _ in timings:
        by_intent.setdefault(intent, []).append(t)
    report = {
        "suite": args.suite,
        "cases": len(cases),
        "runs": len(ms),
        "repeat": max(1, args.repeat),
        "open_ms": round(open_ms, 1),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "max_ms": round(max(ms), 1) if ms else 0.0,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else 0.0,
        "per_intent_p95_ms": {k: round(percentile(v, 95), 1) for k, v in sorted(by_intent.items())},
        "guardrails": {
            "p50_ms": round(percentile(guard, 50), 1),
            "p95_ms": round(percentile(guard, 95), 1),
            "max_ms": round(max(guard), 1) if guard else 0.0,
            "without_guardrails_p50_ms": round(percentile(without, 50), 1),
            "without_guardrails_p95_ms": round(percentile(without, 95), 1),
            "added_at_p95_ms": round(percentile(ms, 95) - percentile(without, 95), 1),
        },
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
