"""Scale benchmark: governed aggregate questions over a SYNTHETIC national lupus commons.

    .venv/bin/python eval/benchmark_scale.py [--rows 10000000] [--repeat 20] [--json]

A measurement script, not a test: it reports numbers and says which targets they meet, it
asserts nothing.

1. **Data.**  ``guardrails.bulk.ensure_national`` generates the SYNTHETIC national commons
   (``retrieval/national.py``: ``--rows`` participants in England-scale synthetic areas) and
   streams it through bulk ingestion (identifier scan, identifiers dropped or pseudonymised,
   Parquet) under ``COMMONS_HOME/scale``, in a child process so its rows per second and peak
   memory are the ingestion's own.  A dataset already there for the same inputs is reused
   (and its ingestion figures are read from its stamp).
2. **Governed questions.**  A commons is opened over that catalogue with a gazetteer of the
   synthetic areas and a fresh audit log, review queue and ledger (a temporary home).  Each
   question is a typed plan (the planner's output; understanding words is not what scales)
   and runs the way an allowed plan runs for a signed-in researcher within an approved project
   (``eval.grants``): the sign-in check, policy decision and project gate, SQL built as a
   sqlglot AST and checked, the write-ahead audit record, executed on the read-only store, every expected cell listed,
   disclosure control (suppression, rounding, secondary suppression, dominance), the
   differencing ledger, the answer composed, the outbound PII scan, an audit record.
3. **Raw.**  The same SQL text run on a plain DuckDB connection to the same catalogue (a copy
   of the catalogue file: the same views over the same Parquet), in the same run, interleaved
   with the governed runs.

``--json`` prints one object with ``rows``, ``p50_ms``, ``p95_ms`` (governed, over every run of
every question), ``raw_p95_ms``, ``overhead_ratio`` (governed p95 / raw p95),
``ingest_rows_per_s``, ``peak_rss_mb`` (the larger of ingestion's and this process's), per
question figures, ``timed_out_runs`` (governed runs stopped at ``COMMONS_QUERY_TIMEOUT_S``: answered
``no_data`` and timed only up to the limit, so a loaded machine flatters the governed side) and
``targets`` (p95 <= 1 s, governed <= 1.3 x raw, peak <= 2 GB: met or not).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from assistant.commons import Commons  # noqa: E402
from assistant.pipeline import Pipeline  # noqa: E402
from eval.runner import percentile  # noqa: E402
from assistant.stewardship import Stewardship  # noqa: E402
from eval import grants  # noqa: E402
from guardrails import bulk, govdb, policy  # noqa: E402
from kernel.plans import Areas, BreakdownPlan, Categories, Filter, Periods, Subject, ValuePlan  # noqa: E402
from kernel.settings import Settings  # noqa: E402
from kernel.types import Actor, Question  # noqa: E402
from retrieval import national  # noqa: E402
from retrieval.geography import REGION_CODE  # noqa: E402
from retrieval.store import Store  # noqa: E402

TARGETS = {"p95_ms": 1000.0, "overhead_ratio": 1.3, "peak_rss_mb": 2048.0}
ROLE, PURPOSE = "researcher", "health_research"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ensure_data(settings: Settings, rows: int, chunk_rows: int, say) -> dict:
    """The national commons, generated and ingested in a child process when missing."""
    if not bulk.national_is_current(settings, rows, chunk_rows):
        say(f"generating and ingesting {rows:,} SYNTHETIC participants (a child process)")
        proc = subprocess.run([sys.executable, __file__, "--ingest-only", "--rows", str(rows),
                               "--chunk-rows", str(chunk_rows)], cwd=ROOT)
        if proc.returncode:
            raise SystemExit(f"ingestion failed (exit {proc.returncode})")
    nc = bulk.ensure_national(settings, rows, progress=say, chunk_rows=chunk_rows)
    return {"commons": nc, "generated_now": not nc.reused}


def open_national(settings: Settings, nc: bulk.NationalCommons, home: Path) -> Pipeline:
    """A pipeline over the national catalogue: its datasheet, a gazetteer of its synthetic
    areas, and fresh governance state (and a users file of its own) under ``home``."""
    s = grants.private_users(replace(settings, home=home, governance_url=""))
    store = Store(nc.catalog, settings.query_timeout_s, settings.row_cap, engine=settings.engine,
                  spark_master=settings.spark_master)
    gaz = national.gazetteer(national.geography(Path(settings.data_dir)))
    commons = Commons(s, {nc.sheet.id: nc.sheet}, store, gaz, govdb.audit_log(s))
    return Pipeline(commons)


def researcher(pipeline: Pipeline, sheet_id: str) -> tuple[Actor, str]:
    """A signed-in researcher with an approved project naming the national dataset (through the
    real approval path: ``eval.grants``), as person-level questions need."""
    return grants.within_project(Stewardship(pipeline), "bench-researcher", ROLE, PURPOSE, datasets=[sheet_id])


def questions(pipeline: Pipeline, sheet_id: str) -> list[tuple[str, object]]:
    """(what is asked, its plan): counts by age band x sex x council, by LSOA within a council,
    means by council and by age band."""
    gaz = pipeline.gaz
    region = f"region:{REGION_CODE}"
    council = sorted((p for p in gaz.lads()), key=lambda p: p.lad_code)[len(gaz.lads()) // 2]
    ward = next(p for p in sorted(gaz.places.values(), key=lambda p: p.key)
                if p.level == "ward" and p.lad_code == council.lad_code)
    periods = Periods(pipeline.catalog.periods.get(sheet_id, ()), defaulted=True)

    def subject(measure, *filters):
        return Subject(measure, sheet_id, periods, tuple(filters))

    female, male = Filter("sex", ("Female",)), Filter("sex", ("Male",))
    out = []
    for band in national.AGE_BANDS:
        for sex in (female, male):
            out.append((f"participants aged {band}, {sex.values[0].lower()}, by council",
                        BreakdownPlan(subject("lupus_participants", sex, Filter("age_band", (band,))), region,
                                      Areas("lad"))))
    out += [
        (f"participants by age band in {council.name}, women",
         BreakdownPlan(subject("lupus_participants", female), council.key, Categories("age_band"))),
        (f"participants by LSOA within {council.name}",
         BreakdownPlan(subject("lupus_participants"), council.key, Areas("lsoa"))),
        (f"participants in {council.name} (with the country and every council)",
         ValuePlan(subject("lupus_participants"), council.key)),
        ("mean flares in the last 12 months by council",
         BreakdownPlan(subject("lupus_mean_flares"), region, Areas("lad"))),
        ("mean weekly working hours by age band",
         BreakdownPlan(subject("lupus_mean_work_hours"), region, Categories("age_band"))),
        (f"participants by work status in {ward.name}",
         BreakdownPlan(subject("lupus_participants"), ward.key, Categories("work_status"))),
    ]
    return out


def governed(pipeline: Pipeline, plan, i: int, who: tuple[Actor, str]):
    """One question the way an allowed plan is answered for a researcher within an approved
    project: the sign-in and policy checks, the project gate, then the release (checked SQL, the
    write-ahead audit record, disclosure control, the differencing ledger, outbound scan)."""
    actor, project = who
    sheet = pipeline.sheets[plan.dataset]
    question = Question(text=f"[benchmark] {plan.intent} {plan.measure}", actor=actor, purpose=PURPOSE,
                        conversation_id=f"bench-{i}", project=project)
    if pipeline.commons.accounts.signed(actor) is None:
        raise SystemExit("the benchmark's researcher is not signed in")
    decision = policy.decide([sheet], ROLE, PURPOSE)
    gate = pipeline.commons.projects.gate(project, actor, policy.effective_purpose(ROLE, PURPOSE), sheet)
    if decision.outcome != "allow" or gate is not None:
        raise SystemExit(f"policy did not allow the benchmark's purpose: {gate[0] if gate else decision.rule}")
    record = {"actor": actor.id, "role": ROLE, "purpose": PURPOSE, "question": question.text, "project": project,
              "policy": {"outcome": decision.outcome, "rule": decision.rule}, "plan": plan.to_dict()}
    return pipeline.release(plan, question, record, event="question")


def preview_sql(pipeline: Pipeline, plan, who: tuple[Actor, str]) -> str | None:
    """The SQL the governed run executes (a steward's preview: no ledger)."""
    question = Question(text="[benchmark preview]", actor=who[0], purpose=PURPOSE, project=who[1])
    return pipeline.release(plan, question, {}, check_differencing=False).sql


def run(args, say) -> dict:
    settings = Settings.load()
    data = ensure_data(settings, args.rows, args.chunk_rows, say)
    nc: bulk.NationalCommons = data["commons"]
    home = Path(tempfile.mkdtemp(prefix="commons-scale-bench-"))
    try:
        t0 = time.perf_counter()
        pipeline = open_national(settings, nc, home)
        open_ms = (time.perf_counter() - t0) * 1000
        # The same catalogue (views over the same Parquet), without the store's lock-down: a
        # copy of the small catalogue file, since DuckDB opens one file with one configuration.
        shutil.copy2(nc.catalog, home / "raw-catalogue.duckdb")
        raw = duckdb.connect(str(home / "raw-catalogue.duckdb"), read_only=True)
        try:
            return _measure(args, pipeline, raw, nc, data, open_ms, say)
        finally:
            raw.close()
            pipeline.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _measure(args, pipeline, raw, nc, data, open_ms, say) -> dict:
    asked = questions(pipeline, nc.sheet.id)
    who = researcher(pipeline, nc.sheet.id)
    per_q, all_gov, all_raw = [], [], []
    for qi, (text, plan) in enumerate(asked):
        sql = preview_sql(pipeline, plan, who)
        first = governed(pipeline, plan, qi, who)             # warm-up
        if not sql:
            per_q.append({"question": text, "status": first.status, "answer": first.answer[:200]})
            continue
        raw.execute(sql).fetchall()
        gov_ms, raw_ms, statuses, timed_out = [], [], set(), 0
        for r in range(args.repeat):
            t = time.perf_counter()
            a = governed(pipeline, plan, qi, who)
            gov_ms.append((time.perf_counter() - t) * 1000)
            statuses.add(a.status)
            timed_out += a.status == "no_data" and "COMMONS_QUERY_TIMEOUT_S" in a.answer
            t = time.perf_counter()
            raw.execute(sql).fetchall()
            raw_ms.append((time.perf_counter() - t) * 1000)
        all_gov += gov_ms
        all_raw += raw_ms
        table = a.table or {}
        suppressed = sum(1 for row in table.get("rows") or () if any("suppressed" in str(c) for c in row))
        per_q.append({"question": text, "status": "/".join(sorted(statuses)), "cells": len(table.get("rows") or ()),
                      "suppressed_cells": suppressed, "timed_out": timed_out,
                      "p50_ms": round(percentile(gov_ms, 50), 1), "p95_ms": round(percentile(gov_ms, 95), 1),
                      "raw_p50_ms": round(percentile(raw_ms, 50), 1), "raw_p95_ms": round(percentile(raw_ms, 95), 1),
                      "ratio_p95": round(percentile(gov_ms, 95) / max(percentile(raw_ms, 95), 1e-6), 2)})
        if a.status == "refused":
            per_q[-1]["answer"] = a.answer[:160]
        say(f"{text}: {a.status}, governed p95 {per_q[-1]['p95_ms']} ms, raw p95 {per_q[-1]['raw_p95_ms']} ms")
    ingest = nc.ingest
    p95, raw_p95 = percentile(all_gov, 95), percentile(all_raw, 95)
    peak = max(_peak_mb(), float(ingest.get("peak_rss_mb") or 0.0))
    report = {
        "rows": int(ingest.get("rows") or 0),
        "engine": pipeline.store.engine_name,
        "questions": len(asked),
        "repeat": args.repeat,
        # governed runs stopped at COMMONS_QUERY_TIMEOUT_S (answered no_data; timed up to the limit)
        "timed_out_runs": sum(q.get("timed_out", 0) for q in per_q),
        "query_timeout_s": pipeline.store.timeout_s,
        "p50_ms": round(percentile(all_gov, 50), 1),
        "p95_ms": round(p95, 1),
        "raw_p50_ms": round(percentile(all_raw, 50), 1),
        "raw_p95_ms": round(raw_p95, 1),
        "overhead_ratio": round(p95 / raw_p95, 2) if raw_p95 else None,
        "ingest_rows_per_s": ingest.get("rows_per_s"),
        "ingest_s": ingest.get("elapsed_s"),
        "ingest_peak_rss_mb": ingest.get("peak_rss_mb"),
        "query_peak_rss_mb": round(_peak_mb(), 1),
        "peak_rss_mb": round(peak, 1),
        "generated_now": data["generated_now"],
        "open_ms": round(open_ms, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],     # other work on the machine
        "cpus": os.cpu_count(),
        "per_question": per_q,
    }
    report["targets"] = {
        "p95_at_most_1s": report["p95_ms"] <= TARGETS["p95_ms"],
        "governed_at_most_1.3x_raw": report["overhead_ratio"] is not None
        and report["overhead_ratio"] <= TARGETS["overhead_ratio"],
        "peak_at_most_2GB": report["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
    }
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Governed aggregate questions over a SYNTHETIC national commons.")
    ap.add_argument("--rows", type=int, default=national.DEFAULT_ROWS)
    ap.add_argument("--chunk-rows", type=int, default=national.CHUNK_ROWS)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--ingest-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    def say(m: str) -> None:
        print(m, file=sys.stderr)

    if args.ingest_only:
        bulk.ensure_national(Settings.load(), args.rows, progress=say, chunk_rows=args.chunk_rows)
        return 0
    report = run(args, say)
    if args.json:
        print(json.dumps(report))
    else:
        for k, v in report.items():
            if k != "per_question":
                print(f"{k}: {v}")
        for q in report["per_question"]:
            print(json.dumps(q))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
