"""Datasheets validate at load time (a bad one names its file and field); the store build
is idempotent and atomic, and a failed build leaves the existing store alone."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kernel.errors import CommonsError, DatasheetError
from kernel.types import CheckedSQL
from retrieval.datasheets import load_datasheet, load_datasheets
from retrieval.store import Store, build_store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHEET_FILES = sorted((DATA / "datasheets").glob("*.yaml"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sheets():
    return load_datasheets(DATA / "datasheets", DATA)


@pytest.fixture(scope="module")
def built_store(tmp_path_factory, sheets):
    path = tmp_path_factory.mktemp("store_home") / "commons.duckdb"
    assert build_store(path, sheets, DATA) is True
    return path


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of data/ that a test may break."""
    dst = tmp_path / "data"
    shutil.copytree(DATA, dst)
    return dst


# -- datasheets ---------------------------------------------------------------------------
def test_every_shipped_datasheet_is_found():
    assert len(SHEET_FILES) >= 20


@pytest.mark.parametrize("path", SHEET_FILES, ids=lambda p: p.stem)
def test_shipped_datasheet_loads(path):
    sheet = load_datasheet(path)
    assert sheet.id == path.stem
    assert sheet.publisher and sheet.licence.name and sheet.source_url
    assert (DATA / sheet.source_file).exists()


def test_all_datasheets_load_with_column_checks(sheets):
    assert set(sheets) == {p.stem for p in SHEET_FILES}


def _rewrite(path: Path, change) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def test_bad_rollup_names_file_and_field(data_copy):
    path = data_copy / "datasheets" / "population_la.yaml"
    _rewrite(path, lambda d: d["measures"][0].__setitem__("rollup", "avg"))
    with pytest.raises(DatasheetError) as info:
        load_datasheet(path)
    assert info.value.field == "measures.0.rollup"
    assert str(path) in str(info.value)
    assert "measures.0.rollup" in str(info.value)
    with pytest.raises(DatasheetError, match="measures.0.rollup"):
        load_datasheets(data_copy / "datasheets", data_copy)


def test_unknown_field_names_file_and_field(data_copy):
    path = data_copy / "datasheets" / "homelessness_la.yaml"
    _rewrite(path, lambda d: d.__setitem__("licence_typo", "OGL"))
    with pytest.raises(DatasheetError) as info:
        load_datasheet(path)
    assert str(path) in str(info.value) and "licence_typo" in str(info.value)


def test_column_not_in_csv_names_file_and_field(data_copy):
    path = data_copy / "datasheets" / "population_la.yaml"
    _rewrite(path, lambda d: d["measures"][0].__setitem__("column", "no_such_column"))
    load_datasheet(path)   # valid on its own; only the CSV check can catch it
    with pytest.raises(DatasheetError) as info:
        load_datasheets(data_copy / "datasheets", data_copy)
    msg = str(info.value)
    assert str(path) in msg and "measures.0.column" in msg and "no_such_column" in msg


def test_invalid_yaml_names_file(data_copy):
    path = data_copy / "datasheets" / "population_la.yaml"
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(DatasheetError) as info:
        load_datasheet(path)
    assert str(path) in str(info.value)


# -- the store build ----------------------------------------------------------------------
def test_build_is_idempotent_and_force_rebuilds(tmp_path, sheets):
    path = tmp_path / "commons.duckdb"
    assert build_store(path, sheets, DATA) is True
    first = _sha256(path)
    assert build_store(path, sheets, DATA) is False
    assert _sha256(path) == first
    assert build_store(path, sheets, DATA, force=True) is True
    assert not list(tmp_path.glob("*.building-*")), "temporary build file left behind"
    store = Store(path, 5, 100)
    try:
        rows = store.execute(CheckedSQL("select count(*) from ds_population_la", ())).rows
        assert rows[0][0] == 14
    finally:
        store.close()


def test_build_notices_a_changed_csv(tmp_path, data_copy):
    path = tmp_path / "commons.duckdb"
    sheets = load_datasheets(data_copy / "datasheets", data_copy)
    assert build_store(path, sheets, data_copy) is True
    csv = data_copy / "raw" / "crime_severity_score_la_2022_23_lcr.csv"
    csv.write_text(csv.read_text().replace("21.58", "21.59"))
    assert build_store(path, sheets, data_copy) is True


def _run_cli(args, home: Path, data_dir: Path):
    env = {**os.environ, "COMMONS_HOME": str(home), "COMMONS_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_build_with_a_missing_csv_fails_clearly_and_keeps_the_store(tmp_path, data_copy, built_store):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(built_store, home / "commons.duckdb")
    before = _sha256(home / "commons.duckdb")
    (data_copy / "raw" / "homelessness_la_2023q4_lcr.csv").unlink()
    r = _run_cli(["build", "--force"], home, data_copy)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "homelessness_la_2023q4_lcr.csv" in r.stderr and "source_file" in r.stderr
    assert _sha256(home / "commons.duckdb") == before
    assert not list(home.glob("*.building-*"))


def test_cli_build_with_a_missing_lookup_fails_without_traceback(tmp_path, data_copy, built_store):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(built_store, home / "commons.duckdb")
    before = _sha256(home / "commons.duckdb")
    (data_copy / "raw" / "lookup_lsoa21_ward24_lad24_lcr.csv").unlink()
    r = _run_cli(["build", "--force"], home, data_copy)
    assert _sha256(home / "commons.duckdb") == before
    assert r.returncode != 0
    assert "lookup_lsoa21_ward24_lad24_lcr.csv" in r.stderr
    assert "Traceback" not in r.stderr


def test_build_store_with_a_missing_csv_leaves_the_store(tmp_path, data_copy, sheets, built_store):
    target = tmp_path / "commons.duckdb"
    shutil.copy(built_store, target)
    before = _sha256(target)
    (data_copy / "raw" / "homelessness_la_2023q4_lcr.csv").unlink()
    with pytest.raises(Exception) as info:
        build_store(target, sheets, data_copy, force=True)
    assert "homelessness_la_2023q4_lcr.csv" in str(info.value)
    assert _sha256(target) == before
    assert not list(tmp_path.glob("*.building-*"))


def test_build_store_with_a_missing_csv_raises_a_commons_error(tmp_path, data_copy, sheets):
    (data_copy / "raw" / "homelessness_la_2023q4_lcr.csv").unlink()
    with pytest.raises(CommonsError):
        build_store(tmp_path / "commons.duckdb", sheets, data_copy)


def test_store_is_missing_gives_a_clear_error(tmp_path):
    with pytest.raises(CommonsError, match="commons build"):
        Store(tmp_path / "nope.duckdb", 5, 10)


def test_two_stores_on_one_file_in_one_process(built_store):
    a = Store(built_store, 5, 100)
    try:
        b = Store(built_store, 1, 10)
        try:
            assert b.execute(CheckedSQL("select 1", ())).rows == ((1,),)
        finally:
            b.close()
    finally:
        a.close()
