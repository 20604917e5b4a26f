"""Opening the commons ahead of the first visitor, saying what is being done.

``commons ui`` calls ``begin()`` before it starts the web server, so the pipeline is already
being opened (the store built when it is missing, the PII scanner loaded) while the server
starts and the browser loads the page; the app waits on the same ``Opening`` and shows its
``stage``, the step actually under way.  The documentation search is loaded once the first
answer is on screen (``answer_shown``), on a thread of its own, so it neither delays the first
answer nor makes a later question wait; a documentation question asked before then loads it.

One opening per process; one that failed is begun again by the next ``opening()``.
"""

from __future__ import annotations

import logging
import threading
import time

from assistant.pipeline import Pipeline
from kernel.settings import Settings

log = logging.getLogger("commons.startup")

FIRST_STAGE = "reading the datasheets and the data store"


class Opening:
    """A pipeline being opened on a thread of its own.  ``stage`` is what it is doing now;
    ``result()`` waits for the pipeline (or raises what stopped it)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings
        self.stage = FIRST_STAGE
        self.started = time.perf_counter()
        self.seconds: float | None = None          # how long the pipeline took to open
        self.docs_ready = threading.Event()
        self._ready = threading.Event()
        self._pipeline: Pipeline | None = None
        self._error: BaseException | None = None
        # Not a daemon: a thread stopped mid-build (or mid-embedding) at exit would leave a
        # half-written store or abort the process; exit waits the few seconds it needs.
        self._thread = threading.Thread(target=self._run, name="commons-opening")
        self._docs: threading.Thread | None = None
        self._docs_lock = threading.Lock()

    def start(self) -> "Opening":
        self._thread.start()
        return self

    def _say(self, message: str) -> None:
        self.stage = str(message).strip().rstrip(".")

    def _run(self) -> None:
        try:
            self._pipeline = Pipeline.open(self.settings, progress=self._say)
            self.stage = "ready"
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits, never lost
            self._error = exc
        finally:
            self.seconds = round(time.perf_counter() - self.started, 2)
            self._ready.set()

    def answer_shown(self) -> None:
        """An answer is on screen: load the documentation search now (once), while it is read."""
        with self._docs_lock:
            if self._docs is None and self._pipeline is not None:
                self._docs = threading.Thread(target=self._warm_docs, name="commons-docs")
                self._docs.start()

    def _warm_docs(self) -> None:
        warm_docs(self._pipeline)
        self.docs_ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    @property
    def failed(self) -> bool:
        return self._ready.is_set() and self._error is not None

    def wait(self, timeout: float | None = None) -> bool:
        """True once the opening has ended (opened or failed)."""
        return self._ready.wait(timeout)

    def result(self) -> Pipeline:
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self._pipeline


def warm_docs(pipeline: Pipeline) -> None:
    """Load (on a fresh COMMONS_HOME: build, a few seconds) the documentation and measure
    index, so the first documentation question finds it ready.  A failure is logged: the
    pipeline falls back without the index and the question says so."""
    try:
        pipeline.docs_index.metrics
        pipeline.docs_index.collection
    except Exception as exc:  # noqa: BLE001 - a warm-up; the question path reports its own
        log.warning("documentation index warm-up failed: %s", exc)


_current: Opening | None = None
_lock = threading.Lock()


def begin(settings: Settings | None = None) -> Opening:
    """Start opening the commons for this process (``commons ui`` calls this first)."""
    global _current
    with _lock:
        if _current is None or _current.failed:
            _current = Opening(settings).start()
        return _current


def opening() -> Opening:
    """This process's opening: the one ``begin`` started, or one started now."""
    return begin()
