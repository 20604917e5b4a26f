"""Documentation retrieval and metric detection, scored.

    commons eval --suite docs --json [--retriever hybrid|dense|lexical] [--embedding-model M]
    commons eval --suite metrics --json [--retriever ...] [--embedding-model M]

docs: each case has a question and the acceptable (dataset, section) passages.  The question
goes through the planner (its docs hints, as in the product) and the documentation ranker;
recall@k is whether an acceptable (dataset, section) is among the first k distinct ones, MRR
over the first 10.  ``routed_to_docs`` counts how many the planner sends to documentation.

metrics: each case has a question and the acceptable measures (or none, for topics the commons
does not hold).  The ranker is scored on the question's topic words (recall@k, MRR over the
cases that have a measure); ``planner`` reports what the planner does end to end with the
default thresholds: used the right measure, used a wrong one (a guess), asked, or said no_data.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

SUITES = Path(__file__).resolve().parent / "suites"


def _load(name: str) -> list[dict]:
    path = Path(name)
    if not (path.suffix == ".jsonl" and path.exists()):
        path = SUITES / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _index_for(pipeline, embedding_model: str | None):
    """The pipeline's own index, or (for another model) a separate one that leaves it alone."""
    from retrieval.index import DocsIndex
    s = pipeline.settings
    if embedding_model is None or embedding_model == s.embedding_model:
        return pipeline.docs_index
    slug = hashlib.sha256(embedding_model.encode()).hexdigest()[:10]
    return DocsIndex(Path(s.index_dir).parent / "index-eval" / slug, pipeline.sheets,
                     Path(s.data_dir) / "SOURCES.md", embedding_model, pipeline.docs_index.progress,
                     extra_chunks=pipeline.docs_index.extra)


def _scores(ranks: list[int | None], n: int) -> dict:
    return {"recall_at_1": round(sum(1 for r in ranks if r is not None and r < 1) / n, 4) if n else 0.0,
            "recall_at_3": round(sum(1 for r in ranks if r is not None and r < 3) / n, 4) if n else 0.0,
            "mrr": round(sum(1.0 / (r + 1) for r in ranks if r is not None) / n, 4) if n else 0.0}


def run_docs(pipeline, mode: str = "hybrid", embedding_model: str | None = None, suite: str = "docs") -> dict:
    from retrieval.docs import rank
    cases = _load(suite)
    index = _index_for(pipeline, embedding_model)
    started = time.perf_counter()
    if mode != "lexical":
        index.sync()
    build_s = time.perf_counter() - started
    ranks, routed, failures, timings = [], 0, [], []
    for case in cases:
        planned = pipeline.planner.plan(case["question"], {})
        request = {"query": case["question"]}
        if planned.kind == "docs":
            routed += 1
            request = {**planned.docs, "query": case["question"]}
        t0 = time.perf_counter()
        hits = rank(index, request, role="resident", k=10, mode=mode)
        timings.append((time.perf_counter() - t0) * 1000)
        order = list(dict.fromkeys((h.dataset, h.section) for h in hits))
        want = {(e["dataset"], e["section"]) for e in case["expect"]}
        r = next((i for i, ds in enumerate(order) if ds in want), None)
        ranks.append(r)
        if r is None or r >= 3:
            failures.append({"id": case["id"], "question": case["question"], "rank": r,
                             "got": [f"{d}/{s}" for d, s in order[:3]]})
    timings.sort()
    return {"suite": suite, "cases": len(cases), **_scores(ranks, len(cases)), "retriever": mode,
            "embedding_model": (embedding_model if embedding_model is not None else pipeline.settings.embedding_model)
            or "default (StaticEmbedding trained on the commons)",
            "routed_to_docs": routed, "index_sync_s": round(build_s, 2),
            "p50_ms": round(timings[len(timings) // 2], 2) if timings else 0.0,
            "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2) if timings else 0.0,
            "failures": failures}


def topic_words(pipeline, text: str) -> str:
    """The words of a question that are not places, periods or question words (as the planner)."""
    from assistant import lexicon as lx
    from assistant.planner import _NOT_TOPIC
    from kernel.text import normalise
    tokens = normalise(text).split()
    explained = {i for i, _ in lx.find_years(tokens)}
    for m in pipeline.gaz.find(text, tokens, explained, pipeline.settings.fuzzy_place_cutoff):
        explained |= set(range(*m.span))
    return " ".join(t for i, t in enumerate(tokens) if i not in explained and t not in _NOT_TOPIC)


def run_metrics(pipeline, mode: str = "hybrid", embedding_model: str | None = None, suite: str = "metrics") -> dict:
    from retrieval.index import MetricIndex
    cases = _load(suite)
    index = _index_for(pipeline, embedding_model)
    metrics = index.metrics if mode != "lexical" else MetricIndex(pipeline.sheets, _NoDense())
    ranks, failures = [], []
    outcome = {"used_right": 0, "used_wrong": 0, "clarify_with_right": 0, "clarify": 0, "no_data": 0,
               "negatives": 0, "negatives_used": 0}
    for case in cases:
        accept = set(case.get("accept") or [])
        cands = metrics.candidates(topic_words(pipeline, case["question"]), k=10, mode=mode)
        if accept:
            r = next((i for i, c in enumerate(cands) if c.concept in accept), None)
            ranks.append(r)
            if r is None or r >= 3:
                failures.append({"id": case["id"], "question": case["question"], "rank": r,
                                 "got": [f"{c.concept}:{c.score}" for c in cands[:3]]})
        if embedding_model is None and mode == "hybrid":
            planned = pipeline.planner.plan(case["question"], {})
            if not accept:
                outcome["negatives"] += 1
                outcome["negatives_used"] += int(planned.kind == "data")
            elif planned.kind == "data":
                outcome["used_right" if planned.plan.measure in accept or _variant_of(planned.plan.measure, accept)
                        else "used_wrong"] += 1
            elif planned.kind == "clarify":
                opts = (planned.state.get("pending") or {}).get("metrics") or []
                outcome["clarify_with_right" if any(c in accept for _, c in opts) else "clarify"] += 1
            else:
                outcome["no_data"] += 1
    report = {"suite": suite, "cases": len(ranks), **_scores(ranks, len(ranks)), "retriever": mode,
              "embedding_model": (embedding_model if embedding_model is not None else pipeline.settings.embedding_model)
              or "default (StaticEmbedding trained on the commons)", "failures": failures}
    if embedding_model is None and mode == "hybrid":
        report["planner"] = outcome
    return report


def _variant_of(concept: str, accept: set[str]) -> bool:
    """The planner may pick the rank/decile/number variant of an accepted measure."""
    base = concept.rsplit("_", 1)[0]
    return any(a.startswith(base) or concept.startswith(a.rsplit("_", 1)[0]) for a in accept)


class _NoDense:
    """Lexical-only metric ranking needs no model."""
    name = "none"
    fingerprint = "none"

    def encode(self, texts):
        import numpy as np
        return np.zeros((len(list(texts)), 1), dtype="float32")
