"""Person-level data at national scale (SYNTHETIC): the vectorised generator, streaming bulk
ingestion into Parquet, the catalogue of per-table Parquet folders, and governed questions
over the national commons.  One small national commons (40,000 participants, in several
batches and files) is generated once for the module; the 10-million-row run is
eval/benchmark_scale.py, not a test."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pytest

from eval import benchmark_scale
from guardrails import bulk, contributions
from guardrails.disclosure import COUNT_NOISE_MAX
from kernel.errors import IngestError, QueryRejected, StoreError
from kernel.plans import Areas, BreakdownPlan
from kernel.settings import Settings
from kernel.types import CheckedSQL
from retrieval import national, synthetic
from retrieval.datasheets import load_datasheets
from retrieval.store import Store, build_tables, commons_sources

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ROWS, CHUNK, FILE_ROWS = 40_000, 8_000, 15_000
IDENTIFIERS = ("participant_ref", "full_name", "email", "nhs_number", "ni_number", "postcode", "phone")


@pytest.fixture(scope="module")
def geo():
    return national.geography(DATA)


@pytest.fixture(scope="module")
def raw(geo) -> pa.Table:
    """The raw SYNTHETIC contribution (with identifiers), straight from the generator."""
    return pa.Table.from_batches(list(national.batches(DATA, ROWS, chunk_rows=CHUNK, geo=geo)))


@pytest.fixture(scope="module")
def scanner(tmp_path_factory):
    return contributions.LazyScanner(Settings.load(home=tmp_path_factory.mktemp("scanner_home")))


@pytest.fixture(scope="module")
def national_home(tmp_path_factory, scanner):
    home = tmp_path_factory.mktemp("national_home")
    settings = Settings.load(home=home)
    nc = bulk.ensure_national(settings, ROWS, scanner=scanner, chunk_rows=CHUNK, file_rows=FILE_ROWS)
    return settings, nc


# -- the generator ------------------------------------------------------------------------------
def test_generator_is_deterministic_exact_and_chunked(raw, geo):
    again = pa.Table.from_batches(list(national.batches(DATA, ROWS, chunk_rows=CHUNK, geo=geo)))
    assert again.equals(raw)
    assert raw.num_rows == ROWS
    batches = list(national.batches(DATA, ROWS, chunk_rows=CHUNK, geo=geo))
    assert len(batches) >= ROWS // CHUNK and max(b.num_rows for b in batches) < 2 * CHUNK
    other = pa.Table.from_batches(list(national.batches(DATA, ROWS, seed=1, chunk_rows=CHUNK, geo=geo)))
    assert not other.equals(raw)
    assert raw.column_names == list(synthetic.LUPUS_COLUMNS)


def test_areas_are_the_region_scaled_to_englands_population(geo):
    with (DATA / national.LA_FILE).open(encoding="utf-8") as f:
        england = next(int(r["usual_residents_ts009"]) for r in csv.DictReader(f) if r["area_code"] == "E92000001")
    with (DATA / synthetic.CENSUS_FILE).open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    real_codes = {r["lsoa21cd"] for r in rows}
    region = sum(int(r["age6__total_usual_residents"]) for r in rows)
    replicas = round(england / region)
    assert geo.replicas == replicas and geo.england == england
    assert len(geo.lsoa_cd) == replicas * len(real_codes)
    assert len(set(geo.lsoa_cd)) == len(geo.lsoa_cd) and not real_codes & set(geo.lsoa_cd)
    assert all(c.startswith("E01") for c in geo.lsoa_cd) and all(c.startswith("E06") for c in geo.lad_cd)
    assert abs(geo.population.sum() / england - 1) < 0.05
    assert all("synthetic" in n for n in geo.lsoa_nm[:: len(real_codes)])


def test_participants_follow_the_synthetic_populations(raw, geo):
    counts = pc.value_counts(raw.column("lsoa21cd")).to_pylist()
    got = {c["values"]: c["counts"] for c in counts}
    expected = geo.population / geo.population.sum() * ROWS
    idx = {c: i for i, c in enumerate(geo.lsoa_cd)}
    for code, n in got.items():
        assert abs(n - expected[idx[code]]) <= 1
    share_female = pc.mean(pc.equal(raw.column("sex"), "Female")).as_py()
    assert 0.87 < share_female < 0.93


def test_raw_identifiers_look_real(raw):
    nhs = raw.column("nhs_number").to_pylist()[:500]
    assert all(synthetic.nhs_number_valid(n) for n in nhs)
    assert all("@" in e for e in raw.column("email").to_pylist()[:500])
    assert len(set(raw.column("participant_ref").to_pylist())) == ROWS


# -- streaming ingestion --------------------------------------------------------------------------
def _published(nc) -> pa.Table:
    return pads.dataset(str(nc.sheet.source_file), format="parquet").to_table()


def test_bulk_ingestion_publishes_parquet_without_identifiers(national_home, raw):
    settings, nc = national_home
    pub = _published(nc)
    assert pub.num_rows == ROWS
    assert not set(IDENTIFIERS) & set(pub.column_names)
    assert "participant_key" in pub.column_names
    files = sorted(Path(nc.sheet.source_file).glob("*.parquet"))
    assert len(files) >= 2                           # FILE_ROWS rows (in whole batches) per file
    assert nc.ingest["files"].keys() == {f.name for f in files}
    # The key is the keyed hash ``commons ingest`` uses, per value, and row order is kept.
    key = contributions.secret_key(settings)
    for i in (0, 1, ROWS // 2, ROWS - 1):
        assert pub.column("participant_key")[i].as_py() == contributions.pseudonym(
            key, national.DATASET_ID, raw.column("nhs_number")[i].as_py())
    for c in ("age_band", "sex", "lsoa21cd", "medication"):
        assert pub.column(c).equals(raw.column(c))
    assert pa.types.is_integer(pub.schema.field("flares_12m").type)
    # Every record carries its key for the cell-key perturbation (declared in the published
    # datasheet); a SYNTHETIC generated dataset's keys are reproducible.
    keys = pub.column("record_key").to_pylist()
    assert all(0 <= k < 2 ** 32 for k in keys) and len(set(keys)) > ROWS * 0.99
    assert "record_key" in {c.name for c in nc.sheet.columns}
    rng = bulk._record_keys(national.DATASET_ID, "synthetic-national")
    assert keys[:CHUNK] == rng.integers(0, 2 ** 32, CHUNK, dtype="int64").tolist()
    stamp = nc.ingest
    assert stamp["rows"] == ROWS and stamp["rows_per_s"] > 0 and stamp["peak_rss_mb"] > 0
    assert stamp["spot_checked_rows"] > 0
    assert "SYNTHETIC" in nc.sheet.description and nc.sheet.synthetic
    # No identifier text anywhere in the published files.
    blob = b"".join(f.read_bytes() for f in files)
    for value in raw.column("email").to_pylist()[:50] + raw.column("nhs_number").to_pylist()[:50]:
        assert value.encode() not in blob


def test_an_identifier_arriving_late_in_the_stream_stops_the_ingest(tmp_path, scanner, raw):
    settings = Settings.load(home=tmp_path / "home")
    sheet = national.raw_sheet(DATA, ROWS)
    batches = raw.to_batches(max_chunksize=CHUNK)
    late = batches[3]
    i = late.schema.get_field_index("medication")
    bad = late.set_column(i, "medication", late.column("email"))
    stream = batches[:3] + [bad] + batches[4:]
    out = tmp_path / "published"
    with pytest.raises(IngestError, match="medication"):
        bulk.ingest_batches(iter(stream), sheet, settings, scanner, out)
    assert not (out / national.DATASET_ID).exists() and not (out / f"{national.DATASET_ID}.yaml").exists()
    assert not any(p.name.startswith(".bulk-") for p in out.iterdir())


def test_a_large_csv_streams_block_by_block_to_the_same_parquet(tmp_path, scanner, raw, national_home):
    settings, nc = national_home
    path = tmp_path / "raw.csv"
    pacsv.write_csv(raw, str(path))
    blocks = list(bulk.csv_batches(path, block_bytes=1 << 20))
    assert len(blocks) > 2
    result = bulk.ingest_batches(iter(blocks), national.raw_sheet(DATA, ROWS), settings, scanner, tmp_path / "pub")
    assert result.rows == ROWS and "nhs_number" not in result.kept
    got = pads.dataset(str(result.folder), format="parquet").to_table()
    # the same rows; an upload's record keys are its own random ones
    assert got.drop(["record_key"]).equals(_published(nc).drop(["record_key"]).cast(got.drop(["record_key"]).schema))
    assert got.column("record_key") != _published(nc).column("record_key")


def test_a_bad_area_code_names_its_line(tmp_path, scanner, raw):
    t = raw.slice(0, 3000)
    codes = t.column("lsoa21cd").to_pylist()
    codes[2500] = "Liverpool"
    t = t.set_column(t.schema.get_field_index("lsoa21cd"), "lsoa21cd", pa.array(codes))
    with pytest.raises(IngestError, match="line 2502"):
        bulk.ingest_batches(iter(t.to_batches(max_chunksize=1000)), national.raw_sheet(DATA, ROWS),
                            Settings.load(home=tmp_path), scanner, tmp_path / "pub")


def test_the_national_commons_is_reused_when_current(national_home, scanner):
    settings, nc = national_home
    files = {f: f.stat().st_mtime_ns for f in Path(nc.sheet.source_file).glob("*.parquet")}
    again = bulk.ensure_national(settings, ROWS, scanner=scanner, chunk_rows=CHUNK, file_rows=FILE_ROWS)
    assert again.reused and not nc.reused
    assert {f: f.stat().st_mtime_ns for f in Path(again.sheet.source_file).glob("*.parquet")} == files
    assert not bulk.national_is_current(settings, ROWS + 1, CHUNK)


# -- the store: one Parquet folder per table ----------------------------------------------------
def test_one_datasets_update_rebuilds_only_its_table(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("models"))
    sheets = load_datasheets(data / "datasheets", data)
    path = tmp_path / "home" / "commons.duckdb"
    first = build_tables(path, commons_sources(sheets, data))
    assert first.changed and len(first.rebuilt) == len(first.rebuilt + first.reused)
    assert not build_tables(path, commons_sources(sheets, data)).changed
    target = next(s for s in sheets.values() if s.table == "ds_crime_severity_la")
    csv_path = data / target.source_file
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    csv_path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")        # one council fewer
    before = Store(path, 5, 100)
    old_tables = dict(before.tables)
    second = build_tables(path, commons_sources(sheets, data))
    assert second.rebuilt == ("ds_crime_severity_la",)
    # A reader that opened the old catalogue still reads the old files (kept one generation).
    rows = before.execute(CheckedSQL("SELECT COUNT(*) FROM ds_crime_severity_la", ())).rows[0][0]
    before.close()
    after = Store(path, 5, 100)
    try:
        assert after.execute(CheckedSQL("SELECT COUNT(*) FROM ds_crime_severity_la", ())).rows[0][0] == rows - 1
        assert {t: f for t, f in after.tables.items() if t != "ds_crime_severity_la"} == \
            {t: f for t, f in old_tables.items() if t != "ds_crime_severity_la"}
    finally:
        after.close()


def test_the_store_reads_only_its_own_table_folders(national_home, tmp_path):
    settings, nc = national_home
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("a\n1\n")
    store = Store(nc.catalog, 5, 100)
    try:
        assert store.execute(CheckedSQL("SELECT COUNT(*) FROM ds_lupus_national", ())).rows == ((ROWS,),)
        for sql in (f"SELECT * FROM read_csv('{outside}')", "SELECT * FROM read_text('/etc/passwd')",
                    f"SELECT * FROM '{outside}'"):
            with pytest.raises((StoreError, QueryRejected)):
                store.execute(CheckedSQL(sql, ()))
        with pytest.raises(StoreError):
            store.execute(CheckedSQL("SET enable_external_access = true", ()))
    finally:
        store.close()


# -- governed questions over the national commons ------------------------------------------------
@pytest.fixture(scope="module")
def national_pipeline(national_home, tmp_path_factory):
    settings, nc = national_home
    p = benchmark_scale.open_national(settings, nc, tmp_path_factory.mktemp("national_gov"))
    # a signed-in researcher with an approved project naming the national dataset
    yield p, nc, benchmark_scale.researcher(p, nc.sheet.id)
    p.close()


def _true_counts(nc, by: str) -> dict[str, int]:
    pub = _published(nc)
    geo = pads.dataset(str(Path(nc.catalog).parent / "geo" / "geo_lsoa21.parquet")).to_table()
    joined = pub.join(geo, "lsoa21cd", "lsoa_cd")
    out = joined.group_by(by).aggregate([("lsoa21cd", "count")]).to_pylist()
    return {r[by]: r["lsoa21cd_count"] for r in out}


def test_a_governed_question_over_the_national_commons(national_pipeline):
    pipeline, nc, who = national_pipeline
    asked = dict(benchmark_scale.questions(pipeline, nc.sheet.id))
    plan = next(p for q, p in asked.items() if q == "mean flares in the last 12 months by council")
    plan = BreakdownPlan(replace(plan.subject, measure="lupus_participants"), plan.place, Areas("lad"))
    answer = benchmark_scale.governed(pipeline, plan, 0, who)
    assert answer.status == "answered" and answer.answer.startswith("SYNTHETIC"), answer.answer
    truth = _true_counts(nc, "lad_nm")
    rows = answer.table["rows"]
    assert len(rows) == len(truth) == len(set(national.geography(DATA).lad_cd))
    for row in rows:
        name, value = row[0], row[1]
        if isinstance(value, str):
            assert "suppressed" in value
            continue
        assert value % 5 == 0 and value >= 10
        # perturbed (at most COUNT_NOISE_MAX) then rounded to 5 (at most 2 more)
        assert abs(value - truth[name]) <= COUNT_NOISE_MAX + 2, (name, value, truth[name])
    assert answer.audit_id and pipeline.audit.verify()[0]


def test_every_benchmark_question_is_governed(national_pipeline):
    pipeline, nc, who = national_pipeline
    statuses = []
    for i, (text, plan) in enumerate(benchmark_scale.questions(pipeline, nc.sheet.id)):
        a = benchmark_scale.governed(pipeline, plan, 100 + i, who)
        # no_data: at this small size every cell of a narrow group is under 10 and suppressed
        assert a.status in ("answered", "refused", "no_data"), (text, a.status, a.answer)
        statuses.append(a.status)
        table = a.table or {"columns": [], "rows": []}
        values = [j for j, c in enumerate(table["columns"]) if c not in ("Area", "Category", "Position")]
        for row in table["rows"]:
            for j in values:
                if isinstance(row[j], int) and plan.measure == "lupus_participants":
                    assert row[j] >= 10 and row[j] % 5 == 0, (text, table["columns"], row)
    assert "answered" in statuses


def test_the_benchmark_reports_its_figures(national_home, monkeypatch, capsys):
    settings, _ = national_home
    monkeypatch.setenv("COMMONS_HOME", str(settings.home))
    assert benchmark_scale.main(["--rows", str(ROWS), "--chunk-rows", str(CHUNK), "--repeat", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in ("rows", "p50_ms", "p95_ms", "raw_p95_ms", "overhead_ratio", "ingest_rows_per_s", "peak_rss_mb"):
        assert report[key] is not None, key
    assert report["rows"] == ROWS and not report["generated_now"]
    assert set(report["targets"]) == {"p95_at_most_1s", "governed_at_most_1.3x_raw", "peak_at_most_2GB"}
    assert len(report["per_question"]) == report["questions"] >= 10
