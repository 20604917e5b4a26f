"""Evaluation never touches the live commons' records.

Evaluating asks hundreds of questions (red-team attacks among them) under made-up users:
run against the live commons they would fill the audit log, the steward review queue, the
differencing ledger and the transparency reports with test traffic.  ``evaluation_pipeline``
opens a pipeline on a throwaway copy of the commons instead: the same store, published
contributions, documentation index and models (copied, about 20 MB), with a fresh audit log,
review queue, ledger, projects and conversations, and a copy of the users file, deleted afterwards.

    with evaluation_pipeline(settings) as pipeline:
        report = run(pipeline)
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

from assistant.commons import Commons
from assistant.pipeline import Pipeline
from eval.grants import private_users

# What an evaluation may read from the live home; everything else starts empty.
SHARED = ("commons.duckdb", "published", "index", "models", "secret.key", "contributions/raw/generated.json",
          "governance", "participation.sqlite")


def copy_home(live: Path, target: Path) -> None:
    live, target = Path(live), Path(target)
    for rel in SHARED:
        src, dst = live / rel, target / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)


def build_home(settings, progress: Callable[[str], None] | None = None) -> None:
    """What `commons build` does (each step a no-op when current), on the live home."""
    Commons.build(settings, progress, docs=True)


@contextmanager
def evaluation_pipeline(settings, progress: Callable[[str], None] | None = None,
                        chat_model=None) -> Iterator:
    """A pipeline over a throwaway copy of the commons at ``settings.home`` (built there first
    when missing, so later evaluations and the app reuse it)."""
    build_home(settings, progress)
    tmp = Path(tempfile.mkdtemp(prefix="commons-eval-"))
    try:
        copy_home(Path(settings.home), tmp)
        # a users file of its own: the red team adds throwaway accounts; and governance state of
        # its own even when the live commons shares a PostgreSQL database (COMMONS_GOVERNANCE_URL)
        sandboxed = private_users(replace(settings, home=tmp, governance_url=""))
        pipeline = Pipeline.open(sandboxed, progress=progress, chat_model=chat_model)
        try:
            yield pipeline
        finally:
            pipeline.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
