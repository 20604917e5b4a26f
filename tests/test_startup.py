"""Start-up: the commons opened on a thread of its own before the first visitor (assistant/
startup.py), the steps it reports in plain words (ui/components.py), and `commons ui` served
by the ui layer's plug-in (ui/serve.py)."""

from __future__ import annotations

import sys

import pytest

from assistant import startup
from assistant.cli import parser
from eval.sandbox import copy_home
from kernel.errors import CommonsError
from kernel.settings import Settings
from kernel.types import Actor, Question
from ui.components import stage_label
from ui.serve import streamlit_args, ui_command


def test_the_opening_says_each_step_and_hands_over_a_pipeline_that_answers(tmp_path, pristine_home):
    copy_home(pristine_home, tmp_path)
    op = startup.Opening(Settings.load(home=tmp_path))
    seen: list[str] = []
    say = op._say
    op._say = lambda message: (seen.append(message), say(message))
    assert op.stage == startup.FIRST_STAGE and not op.ready
    pipeline = op.start().result()
    try:
        assert op.ready and not op.failed and op.stage == "ready" and op.seconds > 0
        # A built home: nothing is built again, and the panel does not say it is.
        assert seen == ["loading the PII scanner"], seen
        assert not op.docs_ready.is_set()            # the documentation search waits for an answer
        answer = pipeline.ask(Question("What was the population of Liverpool in 2020?", Actor("t-startup")))
        assert answer.status == "answered" and "500,474" in answer.answer
        op.answer_shown()
        op.answer_shown()                             # once: the second call starts nothing
        assert op.docs_ready.wait(300)
        assert pipeline.docs_index._collection is not None and pipeline.docs_index._metrics is not None
    finally:
        pipeline.close()


def test_a_failed_opening_raises_for_whoever_waits_and_is_begun_again(tmp_path, monkeypatch):
    bad = Settings.load(home=tmp_path / "home", data_dir=tmp_path / "no-such-data")
    monkeypatch.setattr(startup, "_current", None)
    first = startup.begin(bad)
    with pytest.raises(CommonsError):
        first.result()
    assert first.failed and first.ready
    first.answer_shown()                              # nothing to warm: no pipeline
    second = startup.begin(bad)
    assert second is not first
    with pytest.raises(CommonsError):
        second.result()


@pytest.mark.parametrize("stage, words", [
    ("reading the datasheets and the data store", "reading the datasheets and the data store"),
    ("generated SYNTHETIC lupus_commons contribution (2328 rows) in 186 ms",
     "preparing the SYNTHETIC demonstration data (lupus_commons)"),
    ("ingest vcse_coop: scanning 13 columns of 3414 rows for identifiers",
     "preparing the SYNTHETIC demonstration data (vcse_coop)"),
    ("loading census2021_la (raw/census2021_population_age6_la_lcr_england.csv)",
     "building the data store: census2021_la"),
    ("store ready: /tmp/home/commons.duckdb", "the data store is built; opening it"),
    ("loading the PII scanner", "loading the scanner that keeps personal details out"),
])
def test_the_start_up_panel_names_the_step_in_words_without_paths(stage, words):
    label = stage_label(stage)
    assert label.startswith("Opening the commons: ") and words in label
    assert "/" not in label and ".csv" not in label


def test_commons_ui_is_the_ui_layers_command_and_serves_in_one_process():
    args = parser().parse_args(["ui", "--port", "8599"])
    assert (args.port, args.address) == (8599, "127.0.0.1") and callable(args.func)
    assert ui_command(8599) == [sys.executable, "-m", "ui.serve", "--port", "8599", "--address", "127.0.0.1"]
    flags = streamlit_args(8599)
    assert flags[0] == "run" and flags[1].endswith("ui/app.py")
    assert dict(zip(flags[2::2], flags[3::2]))["--server.headless"] == "true"
