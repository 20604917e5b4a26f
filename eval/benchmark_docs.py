"""Documentation index benchmark: build time for the demo commons, warm query latency, peak memory.

    .venv/bin/python eval/benchmark_docs.py [--home DIR] [--embedding-model M] [--repeat 5] [--json]

The build is timed in a fresh index folder (training the default model included), then a
second sync (nothing changed) is timed, then every docs-suite question is searched ``repeat``
times (hybrid, warm).  Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", help="index folder to build in (default: a new temporary folder)")
    ap.add_argument("--embedding-model", default="")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from kernel.settings import Settings
    from eval.runner import percentile
    from retrieval.datasheets import load_datasheets
    from guardrails.policy import policy_passages
    from retrieval.index import DocsIndex

    settings = Settings.load()
    data = Path(settings.data_dir)
    sheets = load_datasheets(data / "datasheets", data)
    folder = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="commons-docs-bench-"))
    t0 = time.perf_counter()
    index = DocsIndex(folder, sheets, data / "SOURCES.md", args.embedding_model,
                      lambda m: print(m, file=sys.stderr), extra_chunks=policy_passages())
    report = index.sync()
    index.metrics
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    again = DocsIndex(folder, sheets, data / "SOURCES.md", args.embedding_model,
                      extra_chunks=policy_passages()).sync()
    resync_s = time.perf_counter() - t1

    questions = [json.loads(l)["question"] for l in (ROOT / "eval/suites/docs.jsonl").read_text().splitlines() if l.strip()]
    for q in questions:                                      # warm-up
        index.search(q, k=5)
    timings = []
    for _ in range(args.repeat):
        for q in questions:
            t = time.perf_counter()
            index.search(q, k=5)
            timings.append((time.perf_counter() - t) * 1000)
    mtimings = []
    for q in ("hard up", "old people", "kids growing up poor", "dirty air"):
        index.metrics.candidates(q)
    for _ in range(args.repeat):
        for q in ("hard up", "old people", "kids growing up poor", "dirty air", "cramped homes"):
            t = time.perf_counter()
            index.metrics.candidates(q)
            mtimings.append((time.perf_counter() - t) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"passages": len(index.chunks), "embedded": report.embedded,
           "build_s": round(build_s, 2), "resync_unchanged_s": round(resync_s, 3), "resync_embedded": again.embedded,
           "queries": len(timings), "p50_ms": round(percentile(timings, 50), 2),
           "p95_ms": round(percentile(timings, 95), 2), "metric_p50_ms": round(percentile(mtimings, 50), 2),
           "metric_p95_ms": round(percentile(mtimings, 95), 2), "peak_rss_mb": round(peak_mb, 1),
           "embedding_model": args.embedding_model or "default (trained StaticEmbedding)"}
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
