"""The engine interface: the same checked AST run on DuckDB and on Spark SQL (pyspark local
mode, Java 17 from Debian) gives the same figures; both engines refuse what the check refuses.
One Spark session for the module.  The whole public suite on both engines is
`commons eval --suite public --engine spark --same-figures-as REPORT.json` (README)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlglot

from assistant.stewardship import Stewardship
from eval import grants
from eval.cli import figures_digest
from eval.sandbox import copy_home
from kernel.errors import QueryRejected
from kernel.settings import Settings
from kernel.types import Actor, CheckedSQL, Question
from retrieval.engines import guard, spark_sql

ROOT = Path(__file__).resolve().parents[1]

try:
    import pyspark  # noqa: F401
    HAVE_PYSPARK = True
except ImportError:
    HAVE_PYSPARK = False
needs_spark = pytest.mark.skipif(not (HAVE_PYSPARK and shutil.which("java")),
                                 reason="the Spark engine needs pyspark and Java 17 (scripts/setup.sh installs "
                                        "openjdk-17-jre-headless when apt-get is available)")


def _cases() -> list[dict]:
    """The first answered public case of every intent but the summary (a summary runs the value
    and rank statements again for each of its measures: minutes on Spark in local mode, so it is
    left to the whole suite, ``--engine spark --same-figures-as``), plus person-level questions
    (disclosure control, a mean, and the dominance column's rewrite for Spark)."""
    seen, out = {"summary"}, []
    for line in (ROOT / "eval/suites/public.jsonl").read_text(encoding="utf-8").splitlines():
        c = json.loads(line)
        if c["expect"]["status"] == "answered" and not c.get("conversation") and c["intent"] not in seen:
            seen.add(c["intent"])
            out.append({"question": c["question"]})
    person = {"role": "researcher", "purpose": "health_research"}
    out += [{"question": "How many people with lupus live in each council?", **person},
            {"question": "average flares by age band in Knowsley", **person}]
    return out


def test_the_dominance_column_is_rewritten_for_spark():
    tree = sqlglot.parse_one("SELECT COUNT(*) AS n, LIST_SUM(MAX(t.\"x\", 2)) AS top FROM ds_a AS t GROUP BY 1",
                             read="duckdb")
    out = spark_sql(tree)
    assert "LIST_SUM" not in out.upper() and "SORT_ARRAY" in out.upper() and "SLICE" in out.upper()
    guard(sqlglot.parse_one(out, read="spark"), frozenset({"ds_a"}), "spark")


@pytest.mark.parametrize("sql", ["SELECT * FROM parquet.`/etc`", "SELECT reflect('java.lang.System', 'getenv')",
                                 "SELECT * FROM other_db.ds_a", "INSERT INTO ds_a SELECT 1",
                                 "SELECT input_file_name() FROM ds_a"])
def test_the_engine_guard_refuses_what_the_check_refuses(sql):
    tree = sqlglot.parse_one(sql, read="spark")
    with pytest.raises(QueryRejected):
        guard(tree, frozenset({"ds_a"}), "spark")


@pytest.fixture(scope="module")
def spark_pipeline(tmp_path_factory, pristine_home):
    from assistant.pipeline import Pipeline
    home = tmp_path_factory.mktemp("spark_home")
    copy_home(pristine_home, home)
    # Spark local mode on two shared cores: seconds per query, so a long limit here.
    p = Pipeline.open(grants.private_users(Settings.load(home=home, engine="spark", query_timeout_s=180)))
    yield p
    p.close()


_REQUESTERS: dict[int, tuple] = {}      # one signed-in researcher and approved project per pipeline


def _ask(pipeline, case: dict, tag: str) -> dict:
    """Asked as a resident, or (person-level) by a signed-in researcher within an approved project
    (one per pipeline: each approval is several password checks)."""
    role, purpose, project = case.get("role", "resident"), case.get("purpose", "personal"), None
    if role == "resident":
        actor = Actor(id=f"engines-{tag}", role=role)
    else:
        if id(pipeline) not in _REQUESTERS:
            _REQUESTERS[id(pipeline)] = grants.within_project(Stewardship(pipeline), f"engines-{tag}", role, purpose)
        actor, project = _REQUESTERS[id(pipeline)]
    return pipeline.ask(Question(case["question"], actor, purpose, project=project)).to_dict()


@needs_spark
def test_the_same_questions_give_the_same_figures_on_spark(spark_pipeline, module_pipeline):
    assert spark_pipeline.store.engine_name == "spark" and module_pipeline.store.engine_name == "duckdb"
    for i, case in enumerate(_cases()):
        duck = _ask(module_pipeline, case, f"d{i}")
        spark = _ask(spark_pipeline, case, f"s{i}")
        assert duck["status"] == "answered", (case, duck["answer"])
        assert figures_digest(spark) == figures_digest(duck), (case["question"], spark["answer"], duck["answer"])
        assert spark["table"] == duck["table"] and spark["sql"] == duck["sql"]


@needs_spark
def test_spark_runs_only_the_stores_relations(spark_pipeline):
    engine = spark_pipeline.store.engine
    for sql in ("SELECT * FROM parquet.`/etc`", "SELECT COUNT(*) AS n FROM geo_lad AS g, other.t",
                "SELECT java_method('java.lang.System', 'getenv', 'HOME') AS v"):
        with pytest.raises(QueryRejected):
            engine.execute(CheckedSQL(sql, ()), 30, 10)
    ok = engine.execute(CheckedSQL('SELECT COUNT(*) AS n FROM geo_lad AS g', ()), 60, 10)
    assert ok.rows == ((6,),)
