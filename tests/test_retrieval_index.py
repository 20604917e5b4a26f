"""The documentation index: persistence, incremental rebuilds, filters, restricted sections,
the configured-model loading path (a tiny model built here), metric detection and cited answers."""

from __future__ import annotations

import os
from guardrails import inbound
from guardrails.policy import policy_passages
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kernel.errors import ConfigError
from kernel.settings import Settings
from retrieval.datasheets import load_datasheets
from retrieval.docs import LexicalDocs, answer
from retrieval.index import (DOCS_COLLECTION, BM25, DocsIndex, MetricCandidate, MetricIndex, chroma_client,
                             embedding_function_class, terms)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture(scope="module")
def sheets():
    return load_datasheets(DATA / "datasheets", DATA)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, sheets):
    """A small sentence-transformers model built offline: a WordPiece tokenizer trained on the
    datasheets and a randomly initialised StaticEmbedding, saved as a model folder."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    text = [s.description + " " + s.methodology + " " + " ".join(m.label for m in s.measures)
            for s in sheets.values()]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(text, trainers.WordPieceTrainer(vocab_size=800, special_tokens=["[UNK]"],
                                                            show_progress=False))
    folder = tmp_path_factory.mktemp("tiny_model")
    import torch
    torch.manual_seed(0)
    SentenceTransformer(modules=[StaticEmbedding(tok, embedding_dim=24)], device="cpu").save(str(folder))
    return str(folder)


@pytest.fixture(scope="module")
def index(tmp_path_factory, sheets, tiny_model):
    ix = DocsIndex(tmp_path_factory.mktemp("ix"), sheets, DATA / "SOURCES.md", tiny_model,
                   extra_chunks=policy_passages())
    ix.sync()
    return ix


def test_every_section_is_indexed(index, sheets):
    sections = {(c.dataset, c.section) for c in index.chunks}
    for s in sheets.values():
        for sec in ("description", "methodology", "caveats", "licence", "publisher", "steward",
                    "columns", "policy") + (("measures",) if s.measures else ()):
            assert (s.id, sec) in sections, (s.id, sec)
    assert ("street_crime_lsoa11", "provenance") in sections       # from SOURCES.md
    assert any(c.dataset == "commons" and c.section == "policies" for c in index.chunks)
    assert index.collection.count() == len(index.chunks)


def test_index_persists_and_reopens_with_the_registered_embedding_function(index):
    embedding_function_class()        # registered with Chroma (a fresh process does this on import)
    client = chroma_client(index.index_dir / "chroma")
    col = client.get_collection(DOCS_COLLECTION)          # no embedding function passed: from config
    assert col.count() == len(index.chunks)
    res = col.query(query_texts=["who publishes the crime severity score"], n_results=3)
    assert len(res["ids"][0]) == 3
    assert col.configuration_json["embedding_function"]["name"] == "commons_sentence_transformer"


def test_rebuild_embeds_only_changed_chunks(index, sheets, tiny_model):
    again = DocsIndex(index.index_dir, sheets, DATA / "SOURCES.md", tiny_model, extra_chunks=policy_passages())
    report = again.sync()
    assert report.embedded == 0 and report.unchanged == len(again.chunks)
    changed = dict(sheets)
    s = changed["homelessness_la"]
    changed["homelessness_la"] = s.model_copy(update={"methodology": s.methodology + " Revised."})
    del changed["rural_urban_lsoa11"]
    edited = DocsIndex(index.index_dir, changed, DATA / "SOURCES.md", tiny_model, extra_chunks=policy_passages())
    report = edited.sync()
    assert (report.added, report.updated) == (0, 1)
    assert report.removed == sum(1 for c in index.chunks if c.dataset == "rural_urban_lsoa11")
    DocsIndex(index.index_dir, sheets, DATA / "SOURCES.md", tiny_model, extra_chunks=policy_passages()).sync()   # restore


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_filters_and_top_k_with_scores(index, mode):
    hits = index.search("licence attribution", k=4, datasets=["census2021_la", "population_la"], mode=mode)
    assert 0 < len(hits) <= 4
    assert {h.dataset for h in hits} <= {"census2021_la", "population_la"}
    assert all(isinstance(h.score, float) for h in hits)
    hits = index.search("who publishes it", k=3, sections=["publisher"], mode=mode)
    assert hits and all(h.section == "publisher" for h in hits)


def test_restricted_sections_are_hidden_from_a_resident(tmp_path, sheets, tiny_model):
    s = sheets["homelessness_la"]
    secret = s.model_copy(update={"restricted_sections": {"methodology": ("steward",), "caveats": ("steward",)}})
    ix = DocsIndex(tmp_path, {**sheets, s.id: secret}, None, tiny_model)
    for mode in ("hybrid", "dense", "lexical"):
        resident = ix.search("how is homelessness calculated methodology caveats", k=50, datasets=[s.id],
                             role="resident", mode=mode)
        assert resident and all(h.section not in ("methodology", "caveats") for h in resident), mode
        steward = ix.search("how is homelessness calculated methodology", k=50, datasets=[s.id],
                            sections=["methodology"], role="steward", mode=mode)
        assert [h.section for h in steward] == ["methodology"], mode
    text, found = answer(ix.sheets, {"query": "homelessness methodology", "section": "methodology",
                                     "datasets": [s.id]}, index=ix, role="resident")
    assert s.methodology[:40] not in text
    assert all(p.section != "methodology" or p.dataset != s.id for p in found)


def test_configured_model_is_loaded_from_the_setting(tmp_path, sheets, tiny_model):
    from retrieval.embeddings import SentenceTransformerEmbedder
    settings = Settings.load({"COMMONS_HOME": str(tmp_path), "COMMONS_EMBEDDING_MODEL": tiny_model})
    ix = DocsIndex.open(settings, sheets)
    assert isinstance(ix.embedder, SentenceTransformerEmbedder)
    assert ix.index_dir == tmp_path / "index"
    assert not (tmp_path / "index" / "model").exists()          # nothing trained when a model is set
    v = ix.embedder.encode(["population of Liverpool"])
    assert v.shape == (1, 24) and abs(float(np.linalg.norm(v)) - 1) < 1e-5


def test_a_missing_model_is_a_clear_config_error(tmp_path, sheets):
    ix = DocsIndex(tmp_path, sheets, None, str(tmp_path / "no-such-model"))
    with pytest.raises(ConfigError, match="COMMONS_EMBEDDING_MODEL"):
        ix.embedder


def test_fast_static_reader_matches_sentence_transformers(tiny_model):
    from sentence_transformers import SentenceTransformer
    from retrieval.embeddings import StaticFolderEmbedder
    texts = ["who publishes the census", "Households assessed as homeless per 1,000", "zzqx"]
    ours = StaticFolderEmbedder(Path(tiny_model)).encode(texts)
    theirs = SentenceTransformer(tiny_model, device="cpu").encode(texts, normalize_embeddings=True)
    assert np.allclose(ours, theirs, atol=1e-5)


def test_default_model_is_trained_once_and_reused(tmp_path, sheets):
    from retrieval.embeddings import StaticFolderEmbedder
    small = {k: sheets[k] for k in ("crime_severity_la", "homelessness_la")}
    ix = DocsIndex(tmp_path, small, None, "")
    assert isinstance(ix.embedder, StaticFolderEmbedder)
    marker = tmp_path / "model" / "commons_training.json"
    stamp = marker.stat().st_mtime_ns
    again = DocsIndex(tmp_path, small, None, "")
    assert again.embedder.fingerprint == ix.embedder.fingerprint and marker.stat().st_mtime_ns == stamp
    hits = again.search("who publishes the crime severity score", k=1, sections=["publisher"], mode="dense")
    assert hits[0].dataset == "crime_severity_la"


def test_bm25_prefers_rare_matching_terms():
    bm = BM25([terms("population of the area"), terms("crime severity score"), terms("population density")])
    s = bm.scores(terms("crime severity"))
    assert max(s, key=s.get) == 1 and 0 not in s


def test_metric_candidates_rank_the_measure_named_by_a_synonym(index):
    found = index.metrics.candidates("pensioners", k=3)
    assert found and all(isinstance(c, MetricCandidate) for c in found)
    assert "population_65plus" in [c.concept for c in found]
    assert found == sorted(found, key=lambda c: -c.score)
    nothing = index.metrics.candidates("zzqx blorp", k=3, mode="lexical")
    assert not nothing or nothing[0].score < 0.3


def test_docs_answer_cites_dataset_and_section(index, sheets):
    text, found = answer(sheets, {"query": "who publishes the crime severity data", "section": "publisher",
                                  "datasets": ["crime_severity_la"]}, index=index)
    from retrieval.docs import SECTION_NAMES
    assert found[0].dataset == "crime_severity_la"           # the tiny model is random: dataset only
    title = sheets["crime_severity_la"].title
    assert f"(Datasheet: {title}, section: {SECTION_NAMES[found[0].section]})" in text
    text, found = answer(sheets, {"query": "who publishes the crime severity data", "section": "publisher",
                                  "datasets": ["crime_severity_la"]}, index=LexicalDocs(sheets))
    assert found[0].section in ("publisher", "provenance") and "ONS" in text
    # the lexical fallback (no index) answers and cites the same way
    text, found = answer(sheets, {"query": "what licence is the crime severity data under",
                                  "section": "licence", "datasets": ["crime_severity_la"]}, index=LexicalDocs(sheets))
    assert found[0].section == "licence" and "Open Government Licence" in text


def test_retrieved_text_goes_through_the_pii_scan(tmp_path, sheets, tiny_model):
    s = sheets["homelessness_la"]
    leaky = s.model_copy(update={"caveats": ("Queries to jane.doe@example.org or 07700 900123 about the table.",)})
    ix = DocsIndex(tmp_path, {s.id: leaky}, None, tiny_model)
    text, _ = answer(ix.sheets, {"query": "caveats of the homelessness table", "section": "caveats",
                                 "datasets": [s.id]}, index=ix, redact=lambda t: inbound.redact(t)[0])
    assert "jane.doe@example.org" not in text and "07700 900123" not in text


# ----------------------------------------------------------------------------- planner

@pytest.fixture(scope="module")
def pipeline(module_pipeline):
    return module_pipeline


def _stub(score: float, second: float = 0.1):
    def finder(text, k=3):
        return [MetricCandidate("income_deprivation_score", "iod2019_la", "Income deprivation rate", score),
                MetricCandidate("imd_score", "iod2019_la", "IMD score", second)]
    return finder


def test_confident_candidate_is_used_by_the_planner(pipeline):
    pipeline.planner.metric_finder = _stub(0.9)
    planned = pipeline.planner.plan("which council is the most hard up")
    assert planned.kind == "data" and planned.plan.measure.startswith("income_deprivation")


def test_middling_candidate_asks_and_the_choice_answers(pipeline):
    pipeline.planner.metric_finder = _stub(0.65, 0.6)
    planned = pipeline.planner.plan("which council is the most hard up")
    assert planned.kind == "clarify" and "Income deprivation rate" in planned.options
    chosen = pipeline.planner.plan("1", planned.state)
    assert chosen.kind == "data" and chosen.plan.measure.startswith("income_deprivation")
    assert "force_metric" not in chosen.state


def test_low_score_is_no_data_never_a_guess(pipeline):
    pipeline.planner.metric_finder = _stub(0.2)
    planned = pipeline.planner.plan("which council has the most gross value added")
    assert planned.kind == "no_data"


def test_lexical_matches_never_consult_the_finder(pipeline):
    def boom(text, k=3):
        raise AssertionError("called")
    pipeline.planner.metric_finder = boom
    assert pipeline.planner.plan("population of Liverpool in 2020").kind == "data"


# ----------------------------------------------------------------------------- the shipped model

def _fresh_home_index(tmp_path) -> DocsIndex:
    """The documentation index of a fresh home, with the demo contributions published."""
    from guardrails.contributions import ensure_demo_contributions, load_commons_sheets
    s = Settings.load({"COMMONS_HOME": str(tmp_path / "home"), "COMMONS_DATA_DIR": str(DATA)})
    ensure_demo_contributions(s, lambda m: None)
    return DocsIndex.open(s, load_commons_sheets(s), extra_chunks=policy_passages())


def test_shipped_model_is_trained_on_the_current_datasheets_and_reproducible(tmp_path):
    """data/models/docs-static must be what training on today's datasheets produces: the same
    vocabulary and record byte for byte, and the same weights up to float rounding (different CPUs
    take different SIMD paths in torch, so weights agree to ~1e-3, not bit for bit); on one machine
    two trainings are byte-identical. When a datasheet changes, `commons docs-model` refreshes it."""
    import hashlib
    import numpy as np
    from safetensors.numpy import load_file
    from retrieval.embeddings import train_for_key, trained_key
    shipped = DATA / "models" / "docs-static"
    index = _fresh_home_index(tmp_path)
    assert trained_key(shipped) == index.corpus_key, \
        "the shipped documentation model is stale: run `commons docs-model` and commit data/models/docs-static"
    texts, pairs = index.training_corpus()
    again = train_for_key(tmp_path / "retrained", texts, pairs, index.corpus_key)
    twice = train_for_key(tmp_path / "retrained2", texts, pairs, index.corpus_key)
    for name in ("model.safetensors", "tokenizer.json", "commons_training.json"):
        assert (again / name).read_bytes() == (twice / name).read_bytes(), f"{name}: training is not deterministic"
    for name in ("tokenizer.json", "commons_training.json"):
        assert hashlib.sha256((again / name).read_bytes()).hexdigest() == \
            hashlib.sha256((shipped / name).read_bytes()).hexdigest(), name
    mine = load_file(str(again / "model.safetensors"))["embedding.weight"]
    theirs = load_file(str(shipped / "model.safetensors"))["embedding.weight"]
    assert mine.shape == theirs.shape
    assert float(np.abs(mine - theirs).max()) < 1e-2, "retrained weights differ from the shipped model"
    # and the difference is not enough to change what a search finds: same nearest passages
    probe = theirs[:500] / np.maximum(np.linalg.norm(theirs[:500], axis=1, keepdims=True), 1e-9)
    near_a = np.argsort(-(probe @ (mine[:500] / np.maximum(np.linalg.norm(mine[:500], axis=1, keepdims=True), 1e-9)).T), axis=1)[:, 0]
    assert (near_a == np.arange(500)).mean() > 0.99


def test_load_embedder_copies_a_matching_shipped_model_and_trains_otherwise(tmp_path, tiny_model):
    import json
    import shutil
    from retrieval.embeddings import TRAINED_MARKER, load_embedder, trained_key
    shipped = tmp_path / "shipped"
    shutil.copytree(tiny_model, shipped)
    (shipped / TRAINED_MARKER).write_text(json.dumps({"corpus_key": "k1"}), encoding="utf-8")

    class Trained(Exception):
        pass

    def corpus():
        raise Trained

    messages = []
    emb = load_embedder("", tmp_path / "ix", corpus, "k1", messages.append, shipped=shipped)
    assert trained_key(tmp_path / "ix" / "model") == "k1" and any("shipped" in m for m in messages)
    assert emb.encode(["deprivation in Knowsley"]).shape == (1, 24)
    load_embedder("", tmp_path / "ix", corpus, "k1", shipped=None)        # up to date: nothing to do
    with pytest.raises(Trained):                                         # another text: train, not copy
        load_embedder("", tmp_path / "ix2", corpus, "k2", shipped=shipped)


def test_a_contribution_does_not_change_what_the_model_is_trained_on(tmp_path, sheets):
    base = DocsIndex(tmp_path / "a", sheets, DATA / "SOURCES.md")
    extra = sheets["population_la"].model_copy(update={"id": "later_contribution", "title": "A later upload"})
    more = DocsIndex(tmp_path / "b", {**sheets, "later_contribution": extra}, DATA / "SOURCES.md")
    assert more.corpus_key == base.corpus_key
    edited = sheets["population_la"].model_copy(update={"description": "Edited description of the estimates."})
    changed = DocsIndex(tmp_path / "c", {**sheets, "population_la": edited}, DATA / "SOURCES.md")
    assert changed.corpus_key != base.corpus_key


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`, shipped with chromadb) on a free port on 127.0.0.1."""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.skip("the chroma command (chromadb) is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = tmp_path_factory.mktemp("chroma_server")
    with open(folder / "log", "wb") as log:
        proc = subprocess.Popen([chroma, "run", "--path", str(folder / "data"), "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail((folder / "log").read_text()[-2000:])
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_documentation_search_through_a_chroma_server(chroma_server, tmp_path, sheets, tiny_model):
    """COMMONS_CHROMA_HOST: the index lives on a Chroma server that several instances share."""
    settings = Settings.load(home=tmp_path / "one", chroma_host="127.0.0.1", chroma_port=chroma_server)
    one = DocsIndex.open(settings, sheets, extra_chunks=policy_passages())
    one.embedding_model = tiny_model
    first = one.sync()
    assert first.added == len(one.chunks)
    assert not (tmp_path / "one" / "index" / "chroma").exists()        # nothing local
    hits = one.search("who publishes the crime severity score", k=3)
    assert hits and hits[0].dataset == "crime_severity_la"
    # Another instance (another home) finds the same collection on the server: nothing to embed.
    two = DocsIndex.open(replace(settings, home=tmp_path / "two"), sheets, extra_chunks=policy_passages())
    two.embedding_model = tiny_model
    again = two.sync()
    assert again.embedded == 0 and again.unchanged == len(two.chunks)
    assert [h.id for h in two.search("who publishes the crime severity score", k=3)] == [h.id for h in hits]
    down = DocsIndex.open(replace(settings, chroma_port=1), sheets)
    down.embedding_model = tiny_model
    with pytest.raises(Exception, match="COMMONS_CHROMA_HOST"):
        down.sync()
