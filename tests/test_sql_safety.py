"""The SQL safety net: check() accepts only what the builder makes, and the store refuses
file access, long queries and large results even when handed a statement directly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from assistant import queries
from kernel.errors import CommonsError, QueryRejected, QueryTimeout
from assistant.sql import RowSpec, allowed_columns, build_union, check
from kernel.types import CheckedSQL, QueryPlan
from retrieval.datasheets import load_datasheets
from retrieval.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


class Raw:
    """Stands in for an AST: check() renders its input with .sql(), so this lets a hostile
    statement reach the re-parse step exactly as written."""

    def __init__(self, sql: str):
        self._sql = sql

    def sql(self, dialect: str | None = None) -> str:
        return self._sql


@pytest.fixture(scope="module")
def sheets():
    return load_datasheets(DATA / "datasheets", DATA)


@pytest.fixture(scope="module")
def allowed(sheets):
    return allowed_columns(sheets)


@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


GOOD = 'SELECT "t"."pop_total" AS value FROM ds_population_la AS t'


def test_a_plain_select_is_accepted(allowed):
    checked = check(Raw(GOOD), allowed)
    assert checked.tables == ("ds_population_la",)


@pytest.mark.parametrize("sql, why", [
    ("SELECT * FROM read_csv('data/raw/homelessness_la_2023q4_lcr.csv')", "read_csv"),
    ("SELECT * FROM read_parquet('x.parquet')", "read_parquet"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "read_csv_auto"),
    ('SELECT "t"."pop_total" AS value FROM ds_population_la AS t WHERE "t"."area_code" IN '
     "(SELECT * FROM read_csv('/etc/passwd'))", "table function in a subquery"),
    (GOOD + "; SELECT 1", "second statement"),
    (GOOD + "; DROP TABLE ds_population_la", "second statement (drop)"),
    ("INSERT INTO ds_population_la VALUES (1)", "insert"),
    ("DROP TABLE ds_population_la", "drop"),
    ("ATTACH 'other.db' AS other", "attach"),
    ("COPY ds_population_la TO 'out.csv'", "copy"),
    ("SELECT * FROM _manifest", "internal table"),
    ("SELECT * FROM information_schema.tables", "catalog table"),
    ("SELECT * FROM main.ds_population_la", "schema-qualified table"),
    ('SELECT "t"."no_such_column" AS value FROM ds_population_la AS t', "unknown column"),
    ('SELECT "t"."crimes" AS value FROM ds_population_la AS t', "column of another table"),
    ("SELECT pop_total FROM ds_population_la AS t", "unqualified column"),
    ("SELECT getenv('HOME') AS value", "function not allowed"),
])
def test_check_rejects(allowed, sql, why):
    with pytest.raises(QueryRejected):
        check(Raw(sql), allowed)


# -- what the builder produces is accepted --------------------------------------------------
def _m(sheets, dataset, measure):
    return sheets[dataset].measure_by_id[measure]


def test_golden_population_ward_value(sheets, allowed, pipeline):
    import csv
    everton = "E05000896"   # Everton ward (2019), Liverpool
    sheet = sheets["population_lsoa11"]
    spec = RowSpec(sheet.measure_by_id["population"], "ward", ("ward", everton), ("2020",), "2020")
    checked = check(build_union([(sheet, spec)]), allowed)
    assert 'SUM("t"."pop_total")' in checked.sql
    assert f'WHERE "g"."ward_cd" = \'{everton}\'' in checked.sql
    assert 'GROUP BY "g"."ward_cd", "g"."ward_nm"' in checked.sql
    assert checked.tables == ("ds_population_lsoa11", "geo_lsoa11")
    with open(DATA / "raw" / "lookup_lsoa11_ward19_lad19_lcr.csv", newline="") as fh:
        lsoas = {r["lsoa11cd"] for r in csv.DictReader(fh) if r["wd19cd"] == everton}
    with open(DATA / "raw" / "population_lsoa11_mid2017_2020_lcr.csv", newline="") as fh:
        expected = sum(int(r["pop_total"]) for r in csv.DictReader(fh)
                       if r["lsoa11cd"] in lsoas and r["year"] == "2020")
    rows = pipeline.store.execute(checked).rows
    assert len(rows) == 1 and rows[0][0] == everton and rows[0][4] == expected


@pytest.mark.parametrize("dataset, measure, spec_kw", [
    ("population_la", "population", dict(level="lad", place=("lad", "E08000012"), periods=("2020",))),
    ("population_la", "population", dict(level="country", periods=("2019",))),
    ("population_la", "population_65plus", dict(level="lad", order="desc", limit=3)),
    ("crime_severity_la", "crime_severity_score", dict(level="lad", order="desc")),
    ("iod2025_lsoa21", "imd_decile", dict(level="lad", place=("lad", "E08000011"), condition=("=", 1),
                                          category="matching")),
    ("street_crime_lsoa11", "crimes", dict(level="lad", dimension="crime_type", group_time=True)),
])
def test_builder_output_passes_check(sheets, allowed, pipeline, dataset, measure, spec_kw):
    sheet = sheets[dataset]
    spec = RowSpec(_m(sheets, dataset, measure), **spec_kw)
    other = RowSpec(_m(sheets, dataset, measure), "lad", ("lad", "E08000014"), spec_kw.get("periods", ()))
    for parts in ([(sheet, spec)], [(sheet, spec), (sheet, other)]):
        checked = check(build_union(parts), allowed)
        result = pipeline.store.execute(checked)
        assert result.columns == ("area_code", "area_name", "period", "category", "value")


# -- the store is the second line ---------------------------------------------------------
def test_store_refuses_file_access(pipeline):
    bad = CheckedSQL("select * from read_csv('data/raw/homelessness_la_2023q4_lcr.csv')", ())
    with pytest.raises(CommonsError):
        pipeline.store.execute(bad)
    bad_abs = CheckedSQL(f"select * from read_csv('{DATA / 'raw' / 'homelessness_la_2023q4_lcr.csv'}')", ())
    with pytest.raises(CommonsError):
        pipeline.store.execute(bad_abs)


def test_store_is_read_only(pipeline):
    with pytest.raises(CommonsError):
        pipeline.store.execute(CheckedSQL("DROP TABLE ds_population_la", ()))
    with pytest.raises(CommonsError):
        pipeline.store.execute(CheckedSQL("SET enable_external_access = true", ()))


@pytest.fixture
def own_store(pipeline):
    """A Store with other limits on the same file.  The pipeline's connection is closed first,
    because a second Store on an open file fails (see test_datasheets_store)."""
    pipeline.store.close()
    opened = []

    def make(timeout, cap):
        s = Store(pipeline.settings.store_path, timeout, cap)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()
    pipeline.commons.store = Store(pipeline.settings.store_path, pipeline.settings.query_timeout_s,
                           pipeline.settings.row_cap)


def test_huge_cross_join_is_interrupted(own_store):
    store = own_store(0.05, 100)
    big = CheckedSQL("select count(*) from ds_street_crime_lsoa11 a, ds_street_crime_lsoa11 b, "
                     "ds_street_crime_lsoa11 c", ())
    with pytest.raises(QueryTimeout) as info:
        store.execute(big)
    assert "COMMONS_QUERY_TIMEOUT_S" in str(info.value)
    # The connection is still usable afterwards.
    assert store.execute(CheckedSQL("select 1", ())).rows == ((1,),)


def test_row_cap_truncates(own_store):
    store = own_store(5, 3)
    r = store.execute(CheckedSQL("select area_code from ds_population_la order by 1 limit 10", ()))
    assert len(r.rows) == 3 and r.truncated is True
    r = store.execute(CheckedSQL("select area_code from ds_population_la order by 1 limit 3", ()))
    assert len(r.rows) == 3 and r.truncated is False


# -- property: no concept makes an unsafe or invalid query --------------------------------
def test_every_concept_for_every_council_builds_a_safe_query(pipeline):
    cat, gaz = pipeline.catalog, pipeline.gaz
    councils = gaz.lads()
    assert len(councils) == 6
    ran = 0
    for concept in sorted(cat.concepts):
        for place in councils + [gaz.region()]:
            binding = cat.bind(concept, [place], None, None)
            if binding is None:
                continue
            sheet = binding.ref.sheet
            period = binding.periods[-1][:4] if sheet.time.granularity == "month" else binding.periods[-1]
            plans = [QueryPlan(intent="value", measure=concept, dataset=sheet.id, places=(place.key,),
                               period=period)]
            if place.level == "lad":
                plans.append(QueryPlan(intent="trend", measure=concept, dataset=sheet.id, places=(place.key,)))
            for child in ("lad", "ward", "lsoa"):
                if place.level == "region" and cat.supports_level(binding.ref, child):
                    plans.append(QueryPlan(intent="ranking", measure=concept, dataset=sheet.id,
                                           places=(place.key,), child_level=child, period=period))
            for plan in plans:
                q = queries.build(queries.from_legacy(plan, cat, gaz), cat, gaz)
                assert q.specs, plan
                checked = check(build_union([(q.sheet, s) for s in q.specs]), pipeline.allowed)
                assert set(checked.tables) <= set(pipeline.allowed)
                pipeline.store.execute(checked)
                ran += 1
    assert ran >= len(cat.concepts)
