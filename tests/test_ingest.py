"""Person-level contributions: SYNTHETIC generators, the ingestion scan, publishing without
direct identifiers (atomic), the contribution queue, and loading published data into the store."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import yaml

from kernel.errors import IngestError, ReviewError
from kernel.settings import Settings
from assistant.sql import allowed_columns
from retrieval import synthetic
from retrieval.datasheets import load_datasheet
from guardrails.contributions import (approve_contribution, deny_contribution, ensure_demo_contributions, ingest,
                              list_contributions, load_commons_sheets, pseudonym, scan, submit)
from retrieval.store import build_store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CONTRIB = DATA / "contrib"


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scanner(commons_home):
    from guardrails.pii import default_scanner
    return default_scanner()


@pytest.fixture(scope="module")
def lupus_raw() -> bytes:
    return synthetic.generate_lupus(DATA)


@pytest.fixture(scope="module")
def vcse_raw() -> bytes:
    return synthetic.generate_vcse(DATA)


@pytest.fixture(scope="module")
def lupus_sheet():
    return load_datasheet(CONTRIB / "lupus_commons.yaml")


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def _settings(home: Path) -> Settings:
    return Settings.load(home=home)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, scanner):
    """A COMMONS_HOME with the demo contributions published and the store built."""
    home = tmp_path_factory.mktemp("ingest_home")
    s = _settings(home)
    t = time.perf_counter()
    done = ensure_demo_contributions(s, scanner=scanner)
    ingest_s = time.perf_counter() - t
    assert sorted(done) == ["lupus_commons", "vcse_coop"]
    sheets = load_commons_sheets(s)
    assert build_store(s.store_path, sheets, Path(s.data_dir)) is True
    return s, sheets, ingest_s


def _tree_digest(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def _small_csv(raw: bytes, n: int = 60) -> bytes:
    lines = raw.decode("utf-8").splitlines()
    return ("\n".join(lines[: n + 1]) + "\n").encode("utf-8")


# -- generators -----------------------------------------------------------------------------------
def test_generators_are_deterministic(lupus_raw, vcse_raw):
    assert synthetic.generate_lupus(DATA) == lupus_raw
    assert synthetic.generate_vcse(DATA) == vcse_raw
    assert synthetic.generate_lupus(DATA, seed=synthetic.LUPUS_SEED + 1) != lupus_raw


def test_lupus_is_scaled_to_the_real_lsoa_populations(lupus_raw):
    rows = _rows(lupus_raw)
    areas = {a.lsoa21cd: a for a in synthetic.load_areas(DATA)}
    residents = sum(a.population for a in areas.values())
    assert 2000 <= len(rows) <= 2500
    assert abs(len(rows) - residents * synthetic.LUPUS_RATE) <= 2
    per_council = Counter(areas[r["lsoa21cd"]].lad_name for r in rows)
    pop_council = Counter()
    for a in areas.values():
        pop_council[a.lad_name] += a.population
    assert set(per_council) == set(pop_council) and len(pop_council) == 6
    for council, pop in pop_council.items():
        expected = len(rows) * pop / residents
        assert abs(per_council[council] - expected) <= 0.1 * expected + 5, council
    sexes = Counter(r["sex"] for r in rows)
    assert 0.85 <= sexes["Female"] / len(rows) <= 0.95
    ages = Counter(r["age_band"] for r in rows)
    assert set(ages) == set(synthetic.AGE_BANDS)
    assert ages["25-34"] + ages["35-49"] > len(rows) / 2


def test_lupus_identifiers_look_real_and_values_are_plausible(lupus_raw):
    rows = _rows(lupus_raw)
    assert tuple(rows[0]) == synthetic.LUPUS_COLUMNS
    areas = {a.lsoa21cd: a for a in synthetic.load_areas(DATA)}
    for r in rows:
        assert re.fullmatch(r"LC-\d{6}", r["participant_ref"])
        assert re.fullmatch(r"\d{3} \d{3} \d{4}", r["nhs_number"]) and synthetic.nhs_number_valid(r["nhs_number"])
        assert re.fullmatch(r"[A-Z]{2} \d{2} \d{2} \d{2} [A-D]", r["ni_number"])
        assert synthetic.nino_prefix_valid(r["ni_number"][:2])
        district, inward = r["postcode"].split(" ")
        assert district in synthetic.POSTCODE_DISTRICTS[areas[r["lsoa21cd"]].lad_name]
        assert re.fullmatch(r"\d[ABD-HJLNP-UW-Z]{2}", inward)
        assert re.fullmatch(r"0\d{3,4} \d{3} ?\d{3,4}", r["phone"]) and len(r["phone"].replace(" ", "")) == 11
        assert "@" in r["email"] and r["email"].split("@")[1].endswith((".com", ".org", ".net", ".uk"))
        assert 1995 <= int(r["diagnosis_year"]) <= 2025 and 0 <= int(r["flares_12m"]) <= 12
        if r["work_status"] in ("Unable to work", "Retired", "Not working"):
            assert r["work_hours"] == "0"
        if r["work_status"] == "Full-time":
            assert 35 <= int(r["work_hours"]) <= 50
    assert len({r["nhs_number"] for r in rows}) > 0.99 * len(rows)
    flares = [int(r["flares_12m"]) for r in rows]
    assert Counter(flares).most_common(1)[0][0] <= 2 and sum(f >= 8 for f in flares) >= 10   # skewed, a few heavy


def test_nhs_check_digit_known_values():
    assert synthetic.nhs_number_valid("943 476 5919")
    assert not synthetic.nhs_number_valid("943 476 5918")
    assert not synthetic.nino_prefix_valid("GB") and not synthetic.nino_prefix_valid("DA")
    assert synthetic.nino_prefix_valid("AB")


def test_vcse_has_more_records_in_more_deprived_areas(vcse_raw):
    rows = _rows(vcse_raw)
    assert tuple(rows[0]) == synthetic.VCSE_COLUMNS
    assert 2000 <= len(rows) <= 6000
    areas = {a.lsoa21cd: a for a in synthetic.load_areas(DATA)}
    recs, pop = Counter(), Counter()
    for a in areas.values():
        pop[a.imd_decile] += a.population
    for r in rows:
        recs[areas[r["lsoa21cd"]].imd_decile] += 1
        assert r["organisation"] in synthetic.VCSE_ORGS and r["service_type"] in synthetic.SERVICE_TYPES
        assert r["month"] in synthetic.VCSE_MONTHS and int(r["sessions"]) >= 1
    assert len({r["organisation"] for r in rows}) == 12
    assert recs[1] / pop[1] > 2 * recs[10] / pop[10]


@pytest.mark.parametrize("name", ["lupus_commons", "vcse_coop"])
def test_shipped_contribution_datasheets_say_synthetic(name):
    sheet = load_datasheet(CONTRIB / f"{name}.yaml")
    assert sheet.synthetic and "SYNTHETIC" in sheet.title and sheet.id == name
    assert "SYNTHETIC" in sheet.description and "retrieval/synthetic.py" in sheet.description
    assert re.search(r"seed \d+", sheet.description)
    assert sheet.sensitivity == "personal" and sheet.disclosure.min_cell == 10
    assert "reidentification" in sheet.policy.prohibited and "commercial" in sheet.policy.duties
    assert "organisation" not in {d.column for d in sheet.dimensions}
    fname = synthetic.DEMO_DATASETS[name][0]
    assert "SYNTHETIC" in fname
    header = synthetic.LUPUS_COLUMNS if name == "lupus_commons" else synthetic.VCSE_COLUMNS
    assert {c.name for c in sheet.columns} == set(header)


# -- publishing the demo --------------------------------------------------------------------------
def _identifier_values(data: bytes, columns: tuple[str, ...]) -> set[str]:
    out = set()
    for r in _rows(data):
        for c in columns:
            v = r[c].strip()
            if v:
                out.add(v)
                if c == "nhs_number":
                    out.add(v.replace(" ", ""))
    return out


def test_demo_is_published_without_direct_identifiers(demo, lupus_raw, vcse_raw):
    s, sheets, _ = demo
    home = Path(s.home)
    needles = _identifier_values(lupus_raw, ("participant_ref", "full_name", "email", "nhs_number", "ni_number",
                                             "postcode", "phone"))
    needles |= _identifier_values(vcse_raw, ("record_ref", "beneficiary_name", "email", "phone", "postcode"))
    assert len(needles) > 20000
    # Every file under COMMONS_HOME except the raw contributions: pull out everything shaped like
    # an identifier and compare with the raw values.
    shapes = re.compile(r"[\w.+-]+@[\w.-]+|\d{3} \d{3} \d{4}|\d{10}|[A-Z]{2} \d{2} \d{2} \d{2} [A-D]|"
                        r"[A-Z]{1,2}\d{1,2} \d[A-Z]{2}|0\d{3,4} \d{3} ?\d{3,4}|(?:LC|VC)-\d{6}|"
                        r"[A-Z][a-z']+ [A-Z][a-z']+")
    checked = 0
    for p in home.rglob("*"):
        if not p.is_file() or (home / "contributions") in p.parents or p.suffix == ".duckdb":
            continue
        text = p.read_bytes().decode("latin-1")
        leaked = set(shapes.findall(text)) & needles
        assert not leaked, f"{p.relative_to(home)} holds raw identifiers, e.g. {sorted(leaked)[:2]}"
        checked += 1
    assert checked >= 7
    # The store, by query (DuckDB compresses strings on disk, so a byte scan proves little).
    con = duckdb.connect(str(s.store_path), read_only=True)
    try:
        for table in ("ds_lupus_commons", "ds_vcse_coop"):
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()]
            for col in cols:
                values = {str(v[0]) for v in con.execute(f'SELECT DISTINCT "{col}" FROM {table}').fetchall()}
                assert not values & needles, f"{table}.{col} holds raw identifiers"
        lupus_cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                                "WHERE table_name = 'ds_lupus_commons'").fetchall()}
        assert lupus_cols == {"participant_key", "age_band", "sex", "lsoa21cd", "diagnosis_year", "flares_12m",
                              "medication", "work_status", "work_hours", "record_key"}
        n = con.execute("SELECT count(*), count(DISTINCT participant_key) FROM ds_lupus_commons").fetchone()
        assert n[0] == len(_rows(lupus_raw)) and n[1] >= 0.99 * n[0]
        unjoined = con.execute("SELECT count(*) FROM ds_lupus_commons d LEFT JOIN geo_lsoa21 g "
                               "ON d.lsoa21cd = g.lsoa_cd WHERE g.lsoa_cd IS NULL").fetchone()[0]
        assert unjoined == 0
        assert con.execute("SELECT count(*) FROM ds_vcse_coop").fetchone()[0] == len(_rows(vcse_raw))
    finally:
        con.close()
    # The pseudonym is the keyed hash of the NHS number, with a private 0600 key.
    key_path = Path(s.secret_key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    first = _rows(lupus_raw)[0]
    published = _rows((Path(s.published_dir) / "lupus_commons.csv").read_bytes())
    assert published[0]["participant_key"] == pseudonym(key_path.read_bytes(), "lupus_commons", first["nhs_number"])
    assert re.fullmatch(r"[0-9a-f]{32}", published[0]["participant_key"])


def test_published_datasheets_load_with_the_commons(demo):
    s, sheets, _ = demo
    lupus = sheets["lupus_commons"]
    assert lupus.synthetic and "SYNTHETIC" in lupus.title
    assert Path(lupus.source_file).is_absolute() and Path(lupus.source_file).parent == Path(s.published_dir)
    assert {c.name for c in lupus.columns if c.role == "direct_identifier"} == {"participant_key"}
    assert "participant_key" not in allowed_columns(sheets)["ds_lupus_commons"]
    assert "organisation" not in allowed_columns(sheets)["ds_vcse_coop"]
    assert {"population_lsoa11", "census2021_lsoa21", "vcse_coop"} <= set(sheets)
    on_disk = yaml.safe_load((Path(s.published_dir) / "lupus_commons.yaml").read_text())
    assert on_disk["source_file"] == "lupus_commons.csv"
    assert "keyed hash" in lupus.methodology


def test_ensure_demo_is_cheap_when_nothing_changed(demo):
    s, sheets, _ = demo
    before = _tree_digest(Path(s.home))
    t = time.perf_counter()
    assert ensure_demo_contributions(s) == []      # no scanner needed: nothing to do
    assert time.perf_counter() - t < 0.5
    assert _tree_digest(Path(s.home)) == before
    assert build_store(s.store_path, load_commons_sheets(s), Path(s.data_dir)) is False


def test_ensure_demo_republishes_a_tampered_copy(tmp_path, demo, scanner):
    s, _, _ = demo
    home = tmp_path / "home"
    import shutil
    shutil.copytree(Path(s.home), home, ignore=shutil.ignore_patterns("*.duckdb", "models"))
    s2 = _settings(home)
    pub = Path(s2.published_dir) / "lupus_commons.csv"
    good = pub.read_bytes()
    pub.write_bytes(good.replace(b"Female", b"Femal", 1))
    assert ensure_demo_contributions(s2, scanner=scanner) == ["lupus_commons"]
    assert pub.read_bytes() == good


# -- refusals and malformed uploads ---------------------------------------------------------------
def _refused(path: Path, sheet, s: Settings, scanner, **kw) -> str:
    pub_before = _tree_digest(Path(s.published_dir))
    store = Path(s.store_path)
    store_before = hashlib.sha256(store.read_bytes()).hexdigest() if store.exists() else None
    with pytest.raises(IngestError) as info:
        ingest(path, sheet, s, scanner, **kw)
    assert _tree_digest(Path(s.published_dir)) == pub_before
    if store_before:
        assert hashlib.sha256(store.read_bytes()).hexdigest() == store_before
    assert not list(Path(s.published_dir).glob(".*tmp*"))
    return str(info.value)


@pytest.fixture
def published_home(tmp_path, demo):
    """A private copy of the demo home (published data + store) that a test may try to break."""
    import shutil
    s, _, _ = demo
    home = tmp_path / "home"
    shutil.copytree(Path(s.home), home, ignore=shutil.ignore_patterns("models", "contributions"))
    return _settings(home)


def test_undeclared_identifier_column_is_refused_naming_it(tmp_path, published_home, scanner, lupus_raw,
                                                           lupus_sheet):
    rows = _rows(lupus_raw)[:80]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[*synthetic.LUPUS_COLUMNS, "contact"], lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "contact": r["email"]})
    path = tmp_path / "with_contact.csv"
    path.write_text(buf.getvalue())
    msg = _refused(path, lupus_sheet, published_home, scanner)
    assert "'contact'" in msg and "EMAIL_ADDRESS" in msg and "not declared" in msg
    assert rows[0]["email"] not in msg and rows[0]["full_name"] not in msg
    report = scan(path, lupus_sheet, scanner)
    assert not report.ok and report.column("contact").action == "refuse"
    assert report.column("contact").role == "direct_identifier"


def test_identifier_declared_as_attribute_is_refused(tmp_path, published_home, scanner, lupus_raw, lupus_sheet):
    sheet = lupus_sheet.model_copy(update={"columns": tuple(
        c.model_copy(update={"role": "attribute"}) if c.name == "nhs_number" else c for c in lupus_sheet.columns)})
    path = tmp_path / "lupus.csv"
    path.write_bytes(_small_csv(lupus_raw, 80))
    msg = _refused(path, sheet, published_home, scanner)
    assert re.search(r"column 'nhs_number' looks like UK_NHS values in \d+% of sampled values but the datasheet "
                     r"does not mark it as a direct identifier", msg)


def test_declared_column_missing_from_the_file_is_refused(tmp_path, published_home, scanner, lupus_raw,
                                                          lupus_sheet):
    rows = _rows(_small_csv(lupus_raw, 40))
    cols = [c for c in synthetic.LUPUS_COLUMNS if c != "medication"]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "no_medication.csv"
    path.write_text(buf.getvalue())
    msg = _refused(path, lupus_sheet, published_home, scanner)
    assert "'medication'" in msg and "not in the file" in msg


def _malformed(kind: str, raw: bytes) -> tuple[bytes, str, dict]:
    small = _small_csv(raw, 30)
    lines = small.decode().splitlines()
    if kind == "ragged":
        lines[7] = lines[7] + ",extra"
        return ("\n".join(lines) + "\n").encode(), "line 8", {}
    if kind == "empty":
        return b"", "empty", {}
    if kind == "blank":
        return b"\n\n  \n", "empty", {}
    if kind == "header_only":
        return (lines[0] + "\n").encode(), "no rows", {}
    if kind == "binary":
        return b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "binary", {}
    if kind == "not_utf8":
        lines[4] = lines[4].replace("Female", "F\xe9male")
        return ("\n".join(lines) + "\n").encode("latin-1"), "line 5", {}
    if kind == "no_header":
        return ("\n".join(lines[1:]) + "\n").encode(), "line 1", {}
    if kind == "wrong_header":
        return ("a,b,c\n1,2,3\n").encode(), "line 1", {}
    if kind == "duplicate_header":
        return (lines[0] + ",sex\n" + "\n".join(x + ",Female" for x in lines[1:]) + "\n").encode(), "repeated", {}
    if kind == "bad_quote":
        lines[10] = lines[10].replace(",Female,", ',"Fem"ale,', 1)
        return ("\n".join(lines) + "\n").encode(), "line 11", {}
    if kind == "huge":
        return small, "MB", {"max_bytes": 1000}
    if kind == "not_numbers":
        head = lines[0].split(",")
        i = head.index("flares_12m")
        cells = lines[12].split(",")
        cells[i] = "lots"
        lines[12] = ",".join(cells)
        return ("\n".join(lines) + "\n").encode(), "line 13", {}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["ragged", "empty", "blank", "header_only", "binary", "not_utf8", "no_header",
                                  "wrong_header", "duplicate_header", "bad_quote", "huge", "not_numbers"])
def test_malformed_upload_gives_a_clear_error_and_changes_nothing(kind, tmp_path, published_home, scanner,
                                                                  lupus_raw, lupus_sheet):
    data, expect, kw = _malformed(kind, lupus_raw)
    path = tmp_path / "upload.csv"
    path.write_bytes(data)
    msg = _refused(path, lupus_sheet, published_home, scanner, **kw)
    assert expect in msg, msg
    first = _rows(lupus_raw)[0]
    for value in (first["full_name"], first["email"], first["nhs_number"], first["postcode"]):
        assert value not in msg


def test_failed_publication_leaves_the_commons_unchanged(tmp_path, published_home, scanner, lupus_raw,
                                                         lupus_sheet, monkeypatch):
    """A failure after the files are written (here: validation) leaves no trace."""
    import guardrails.contributions as ing
    path = tmp_path / "lupus.csv"
    path.write_bytes(_small_csv(lupus_raw, 50))

    def boom(*_a, **_k):
        raise IngestError("validation failed on purpose")

    monkeypatch.setattr(ing, "_validate_published", boom)
    msg = _refused(path, lupus_sheet, published_home, scanner, steward="priya")
    assert "on purpose" in msg


def test_ingest_into_a_shipped_id_is_refused(tmp_path, published_home, scanner, lupus_raw, lupus_sheet):
    sheet = lupus_sheet.model_copy(update={"id": "population_la"})
    path = tmp_path / "lupus.csv"
    path.write_bytes(_small_csv(lupus_raw, 20))
    assert "ships" in _refused(path, sheet, published_home, scanner)


# -- the contribution queue -----------------------------------------------------------------------
def _pilot_sheet_yaml() -> str:
    raw = yaml.safe_load((CONTRIB / "lupus_commons.yaml").read_text())
    raw["id"] = "lupus_pilot"
    raw["title"] = "Lupus commons pilot upload (SYNTHETIC)"
    raw["source_file"] = "lupus_pilot.csv"
    return yaml.safe_dump(raw, sort_keys=False)


def test_contribution_queue_submit_approve_deny_and_no_self_approval(tmp_path, scanner, lupus_raw):
    s = _settings(tmp_path / "home")
    upload = _small_csv(lupus_raw, 120)
    c = submit(upload, _pilot_sheet_yaml(), s, scanner, submitter="alice")
    assert c.state == "pending" and c.rows == 120 and c.dataset == "lupus_pilot" and c.report.ok
    assert (Path(s.contributions_dir) / "pending" / c.id / "upload.csv").read_bytes() == upload
    assert [x.id for x in list_contributions(s, "pending")] == [c.id]
    with pytest.raises(ReviewError, match="own contribution"):
        approve_contribution(c.id, "alice", "looks fine", s, scanner)
    with pytest.raises(ReviewError, match="reason"):
        approve_contribution(c.id, "bob", "  ", s, scanner)
    assert not (Path(s.published_dir) / "lupus_pilot.yaml").exists()
    done = approve_contribution(c.id, "bob", "column roles checked", s, scanner)
    assert done.state == "approved" and done.steward == "bob" and done.reason == "column roles checked"
    assert (Path(s.published_dir) / "lupus_pilot.yaml").exists()
    assert "lupus_pilot" in load_commons_sheets(s)
    assert not (done.path / "upload.csv").exists()      # the upload with its identifiers is not kept
    with pytest.raises(ReviewError, match="own contribution"):
        approve_contribution(submit(upload, _pilot_sheet_yaml(), s, scanner, submitter="Erin").id, " ERIN ",
                             "mine", s, scanner)
    with pytest.raises(ReviewError, match="already approved"):
        deny_contribution(c.id, "carol", "too late", s)
    # Deny: the upload is deleted, the decision kept.
    d = submit(upload, _pilot_sheet_yaml(), s, scanner, submitter="dave")
    with pytest.raises(ReviewError, match="own contribution"):
        deny_contribution(d.id, "dave", "changed my mind", s)
    denied = deny_contribution(d.id, "bob", "duplicate of an earlier upload", s)
    assert denied.state == "denied" and not (denied.path / "upload.csv").exists()
    assert {x.state for x in list_contributions(s)} == {"approved", "denied", "pending"}
    assert [x.submitter for x in list_contributions(s, "pending")] == ["Erin"]
    # The decisions are in the audit log, without the uploaded values.
    audit = Path(s.audit_path).read_text()
    assert audit.count('"event":"contribution"') == 2
    assert _rows(upload)[0]["email"] not in audit


def test_submit_refuses_an_upload_with_an_undeclared_identifier(tmp_path, scanner, lupus_raw):
    s = _settings(tmp_path / "home")
    text = _small_csv(lupus_raw, 40).decode()
    lines = text.splitlines()
    rows = [lines[0] + ",notes"] + [ln + "," + ln.split(",")[3] for ln in lines[1:]]   # NHS numbers
    with pytest.raises(IngestError, match="'notes'.*UK_NHS"):
        submit(("\n".join(rows) + "\n").encode(), _pilot_sheet_yaml(), s, scanner, submitter="alice")
    assert list_contributions(s) == []
    assert not any(Path(s.contributions_dir).rglob("*.csv")) if Path(s.contributions_dir).exists() else True


# -- the command line -----------------------------------------------------------------------------
def test_cli_ingest_stages_and_a_steward_publishes(tmp_path, commons_home, scanner, lupus_raw):
    """`commons ingest` has no path around the steward: it stages, `contributions approve` publishes."""
    import shutil
    home = tmp_path / "home"
    env = {**os.environ, "COMMONS_HOME": str(home), "COMMONS_STEWARD_PASSWORD": "demo-sam-2025"}
    # Reuse the session's locally built names pipeline so the scanner starts quickly.
    if (Path(commons_home) / "models").is_dir():
        shutil.copytree(Path(commons_home) / "models", home / "models")
    upload = tmp_path / "pilot.csv"
    upload.write_bytes(_small_csv(lupus_raw, 100))
    sheet = tmp_path / "lupus_pilot.yaml"
    sheet.write_text(_pilot_sheet_yaml())

    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "assistant.cli", *argv], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
    r = cli("ingest", str(upload), "--datasheet", str(sheet), "--user", "alice", "--json")
    assert r.returncode == 0, r.stderr
    staged = json.loads(r.stdout)
    assert staged["ok"] and staged["state"] == "pending" and staged["rows"] == 100
    assert not (home / "published" / "lupus_pilot.yaml").exists()          # nothing published yet
    r = cli("contributions", "approve", staged["id"], "--steward", "sam", "--reason", "roles checked", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["state"] == "approved"
    con = duckdb.connect(str(home / "commons.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM ds_lupus_pilot").fetchone()[0] == 100
    finally:
        con.close()
    r = cli("datasets", "versions", "lupus_pilot", "--json")
    assert [v["version"] for v in json.loads(r.stdout)["versions"]] == [1]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"participant_ref,full_name\nLC-1,A B,extra\n")
    r = cli("ingest", str(bad), "--datasheet", str(sheet), "--user", "alice")
    assert r.returncode == 2 and "line 2" in r.stderr and "Traceback" not in r.stderr


def test_a_published_file_with_an_identifier_column_is_not_loaded(published_home, lupus_raw):
    """Defence in depth: a hand-edited published file with a raw identifier never reaches the store."""
    from kernel.errors import DatasheetError
    pub = Path(published_home.published_dir) / "vcse_coop.csv"
    lines = pub.read_text().splitlines()
    pub.write_text("\n".join([lines[0] + ",email"] + [ln + ",someone@example.com" for ln in lines[1:]]) + "\n")
    with pytest.raises(DatasheetError, match="email"):
        load_commons_sheets(published_home)


def test_a_steward_upload_under_a_demo_id_is_not_overwritten_by_the_demo(published_home, tmp_path, scanner,
                                                                        lupus_raw, lupus_sheet):
    path = tmp_path / "lupus.csv"
    path.write_bytes(_small_csv(lupus_raw, 30))
    ingest(path, lupus_sheet, published_home, scanner, steward="priya", reason="a steward's new version")
    before = _tree_digest(Path(published_home.published_dir))
    ensure_demo_contributions(published_home, scanner=scanner)
    assert _tree_digest(Path(published_home.published_dir)) == before
    assert load_commons_sheets(published_home)["lupus_commons"]
