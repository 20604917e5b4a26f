"""The commons' resources, opened once and shared by the question pipeline and stewardship.

``Commons.build`` is the one build routine (the demo contributions, the DuckDB store and the
documentation index, each a no-op when current): ``commons build``, the app, the pipeline and
the evaluation sandbox all call it.  ``Commons.open`` builds what is missing and opens the
resources; ``reload`` re-reads everything in place after a contribution is published (the app
holds one cached commons) and tells whoever registered with ``on_reload``.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Callable

from guardrails import contributions, disclosure, govdb, inbound, policy
from guardrails.governance import Governance
from guardrails.audit import AuditLog, ErrorLog
from guardrails.auth import Accounts
from guardrails.projects import ProjectRegistry
from guardrails.review import ReviewQueue
from kernel.settings import Settings
from retrieval.catalog import Catalog
from retrieval.datasheets import Datasheet, load_datasheets
from retrieval.embeddings import train_for_key, trained_key
from retrieval.boundaries import Boundaries
from retrieval.geography import Gazetteer
from retrieval.index import DocsIndex
from retrieval.store import Store, build_store

Progress = Callable[[str], None]


class Commons:
    """Settings, datasheets, the store, the gazetteer and catalogue, the audit and error logs,
    the accounts, projects, review queue and differencing ledger, and the documentation index."""

    def __init__(self, settings: Settings, sheets: dict[str, Datasheet], store: Store, gazetteer: Gazetteer,
                 audit: AuditLog):
        self.settings = settings
        self.sheets = sheets
        self.store = store
        self.gaz = gazetteer
        # Area outlines for maps (read on the first map; data/geo in the data folder)
        self.boundaries = Boundaries(Path(settings.data_dir) / "geo" / "boundaries_lcr.json")
        self.audit = audit
        self.errors = ErrorLog(settings.error_log_path)
        self.catalog = Catalog.from_store(sheets, store)
        self.reviews = ReviewQueue(govdb.target(settings))
        self.ledger = disclosure.Ledger(govdb.target(settings))
        # Governance files (datasheet policy and disclosure sections, the users file) against the
        # digest a steward approved: while they differ, no person-level data is served.
        self.governance = Governance(settings).status(sheets)
        self.accounts = Accounts(settings.users_file, govdb.target(settings), audit)
        self.projects = ProjectRegistry(govdb.target(settings))
        # Documentation index (Chroma + BM25): built lazily on the first docs question or
        # measure lookup, embedding only passages that changed since the last build.
        self.docs_index = DocsIndex.open(settings, sheets, extra_chunks=policy.policy_passages())
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # -- building ------------------------------------------------------------------------
    @staticmethod
    def build(settings: Settings, progress: Progress | None = None, force: bool = False,
              docs: bool = False) -> bool:
        """Build what is missing or out of date: the SYNTHETIC demo contributions, the store
        (idempotent, atomic) and, with ``docs``, the documentation index.  True when the store
        was (re)built."""
        data_dir = Path(settings.data_dir)
        load_datasheets(data_dir / "datasheets", data_dir)       # fail fast on the shipped data
        contributions.ensure_demo_contributions(settings, progress)
        sheets = contributions.load_commons_sheets(settings)
        built = build_store(settings.store_path, sheets, data_dir, progress, force)
        if docs:
            DocsIndex.open(settings, sheets, progress=progress, extra_chunks=policy.policy_passages()).sync()
        return built

    @staticmethod
    def train_docs_model(settings: Settings, out: Path, force: bool = False,
                         progress: Progress | None = None) -> tuple[bool, str]:
        """Train the default documentation model for the shipped datasheets (and the demo
        contributions, as on a fresh home) into ``out``; (trained?, corpus key).  Nothing is
        trained when ``out`` already matches the text, unless ``force``."""
        with tempfile.TemporaryDirectory(prefix="commons-docs-model-") as tmp:
            s = replace(settings, home=Path(tmp), embedding_model="")
            contributions.ensure_demo_contributions(s, progress)
            index = DocsIndex.open(s, contributions.load_commons_sheets(s), progress=progress,
                                   extra_chunks=policy.policy_passages())
            key = index.corpus_key
            if trained_key(out) == key and not force:
                return False, key
            texts, pairs = index.training_corpus()
            staged = Path(tmp) / "model"
            train_for_key(staged, texts, pairs, key, progress)
            if out.exists():
                shutil.rmtree(out)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staged, out)
        return True, key

    @classmethod
    def open(cls, settings: Settings | None = None, progress: Progress | None = None) -> "Commons":
        settings = settings or Settings.load()
        cls.build(settings, progress)
        sheets = contributions.load_commons_sheets(settings)     # shipped + published contributions
        store = Store(settings.store_path, settings.query_timeout_s, settings.row_cap, engine=settings.engine,
                      spark_master=settings.spark_master)
        gaz = Gazetteer.from_lookups(Path(settings.data_dir) / "raw")
        if progress:
            progress("loading the PII scanner")
        inbound.redact("warm up the scanner")       # builds the Presidio analyzer once, here
        return cls(settings, sheets, store, gaz, govdb.audit_log(settings))

    def on_reload(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def reload(self) -> None:
        """Re-read the datasheets and reopen the store, catalogue and index in place.  The old
        store connection is closed first: DuckDB shares one database instance per path within a
        process, so while it is open a new connection would still see the old store."""
        with self._lock:
            self.store.close()
            fresh = Commons.open(self.settings)
            keep = {"_listeners": self._listeners, "_lock": self._lock}
            self.__dict__.update(fresh.__dict__)
            self.__dict__.update(keep)
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def close(self) -> None:
        self.store.close()
