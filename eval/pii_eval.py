"""Precision / recall / F1 per entity of the PII scanner on the labelled UK set.

    commons eval --suite pii --json
    python -m eval.pii_eval [--json] [--suite eval/suites/pii.jsonl]

A predicted span matches a labelled one when they overlap and carry the same entity.
``any_entity_recall`` counts a labelled span as caught when any predicted span overlaps it
(what matters for redaction).  PERSON recall is also reported for gazetteer names and for
held-out names (not in the gazetteer).  Latency: ``PiiScanner.analyze`` per sentence with
its cache cleared.  Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "eval" / "suites" / "pii.jsonl"
TARGETS = {"UK_NHS": 0.98, "UK_NINO": 0.98, "EMAIL_ADDRESS": 0.98, "PHONE_NUMBER": 0.98,
           "UK_POSTCODE": 0.98, "PERSON": 0.8}


def load_suite(path: Path = SUITE) -> list[dict]:
    return [json.loads(ln) for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]


def _overlap(a, b) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def evaluate(scanner, items: list[dict]) -> dict:
    stats: dict[str, dict[str, int]] = {}
    name_tags = {"name:gazetteer": [0, 0], "name:heldout": [0, 0]}
    any_hit = any_total = 0
    negatives_clean = negatives = 0
    latencies: list[float] = []
    misses: list[dict] = []

    def s(entity):
        return stats.setdefault(entity, {"tp": 0, "fp": 0, "fn": 0, "support": 0})

    for it in items[:20]:                 # warm up (first calls fill spaCy/regex caches)
        scanner._cache.clear()
        scanner.analyze(it["text"])
    for it in items:
        text = it["text"]
        scanner._cache.clear()
        t0 = time.perf_counter()
        pred = scanner.analyze(text)
        latencies.append((time.perf_counter() - t0) * 1000)
        gold = it["entities"]
        if not gold:
            negatives += 1
            negatives_clean += not pred
        for g in gold:
            gs = (g["start"], g["end"])
            s(g["entity"])["support"] += 1
            hit = any(p.entity == g["entity"] and _overlap(gs, (p.start, p.end)) for p in pred)
            any_total += 1
            any_hit += any(_overlap(gs, (p.start, p.end)) for p in pred)
            s(g["entity"])["tp" if hit else "fn"] += 1
            if g["entity"] == "PERSON":
                for tag in it.get("tags", []):
                    if tag in name_tags:
                        name_tags[tag][0] += hit
                        name_tags[tag][1] += 1
            if not hit:
                misses.append({"kind": "missed", "entity": g["entity"], "text": text,
                               "span": text[g["start"]:g["end"]]})
        for p in pred:
            if not any(p.entity == g["entity"] and _overlap((p.start, p.end), (g["start"], g["end"]))
                       for g in gold):
                s(p.entity)["fp"] += 1
                misses.append({"kind": "false_positive", "entity": p.entity, "text": text,
                               "span": text[p.start:p.end]})

    per_entity = {}
    for entity, c in sorted(stats.items()):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per_entity[entity] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                              "support": c["support"], "tp": c["tp"], "fp": c["fp"], "fn": c["fn"]}
    failed = [f"{e} recall {per_entity.get(e, {}).get('recall', 0)} < {t}"
              for e, t in TARGETS.items() if per_entity.get(e, {}).get("recall", 0) < t]
    lat = sorted(latencies)
    return {
        "suite": "pii",
        "sentences": len(items),
        "entities": sum(len(i["entities"]) for i in items),
        "negative_sentences": negatives,
        "negative_sentences_clean_pct": round(100 * negatives_clean / negatives, 1) if negatives else None,
        "per_entity": per_entity,
        "person_recall_gazetteer": round(name_tags["name:gazetteer"][0] / name_tags["name:gazetteer"][1], 4)
        if name_tags["name:gazetteer"][1] else None,
        "person_recall_heldout": round(name_tags["name:heldout"][0] / name_tags["name:heldout"][1], 4)
        if name_tags["name:heldout"][1] else None,
        "any_entity_recall": round(any_hit / any_total, 4) if any_total else None,
        "latency_ms": {"p50": round(statistics.median(lat), 3),
                       "p95": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 3),
                       "max": round(lat[-1], 3)},
        "model": "built-in names pipeline" if scanner.builtin_names else scanner.model,
        "targets": TARGETS,
        "targets_met": not failed,
        "failed_targets": failed,
        "errors": misses,
    }


def run(suite: Path = SUITE, scanner=None, settings=None) -> dict:
    """The report; ``settings`` (e.g. the app's) picks the spaCy model, else Settings.load()."""
    if scanner is None:
        from guardrails.pii import PiiScanner, default_scanner
        t0 = time.perf_counter()
        scanner = PiiScanner.from_settings(settings) if settings is not None else default_scanner()
        build_s = time.perf_counter() - t0
    else:
        build_s = None
    report = evaluate(scanner, load_suite(suite))
    report["scanner_build_s"] = None if build_s is None else round(build_s, 2)
    return report


def main(argv: list[str] | None = None, json_out: bool | None = None) -> int:
    ap = argparse.ArgumentParser(prog="pii_eval")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--suite", default=str(SUITE))
    args = ap.parse_args(argv if argv is not None else ([] if json_out is not None else None))
    report = run(Path(args.suite))
    if json_out or args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        print(f"pii: {report['sentences']} sentences, {report['entities']} entities; "
              f"latency p50 {report['latency_ms']['p50']} ms, p95 {report['latency_ms']['p95']} ms")
        for e, m in report["per_entity"].items():
            print(f"  {e:14} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}  (n={m['support']})")
        print(f"  PERSON recall: gazetteer {report['person_recall_gazetteer']}, "
              f"held-out {report['person_recall_heldout']}")
        for m in report["errors"][:40]:
            print(f"  {m['kind']:15} {m['entity']:14} {m['span']!r:30} in {m['text']!r}")
    for f in report["failed_targets"]:
        print(f"pii eval target missed: {f}", file=sys.stderr)
    return 0 if report["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
