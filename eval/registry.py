"""The evaluation suites the app (and anyone else) can run, by name.

    from eval.registry import SUITES, run
    report = run("public", pipeline)     # {"suite", "available", "metrics", "failures", "raw"}

Each suite module is imported lazily; a suite whose module is not installed in this
checkout reports ``available: False`` with the reason instead of failing.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable


class SuiteUnavailable(Exception):
    """The suite's module (or its data) is not present in this checkout."""


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    description: str
    runner: Callable[[Any], dict]


def _public(pipeline) -> dict:
    from kernel.types import Question
    from eval.runner import run_suite

    return run_suite("public", lambda q, c: pipeline.ask(Question(text=q, conversation_id=c)).to_dict())


def _first_module(*names: str):
    errors = []
    for name in names:
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and not name.startswith(e.name) and e.name != name:
                raise               # the module exists but one of its own imports is missing
            errors.append(name)
    raise SuiteUnavailable(f"not available in this checkout (looked for {', '.join(errors)})")


def _call_run(mod, pipeline, suite: str) -> dict:
    """Call ``mod.run`` (or ``run_suite``/``evaluate``) with whatever it accepts."""
    fn = getattr(mod, "run", None) or getattr(mod, "run_suite", None)
    if fn is None:
        raise SuiteUnavailable(f"{mod.__name__} has no run() function")
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {}
    if "pipeline" in params:
        kwargs["pipeline"] = pipeline
    if "ask" in params:
        from kernel.types import Question
        kwargs["ask"] = lambda q, c=None: pipeline.ask(Question(text=q, conversation_id=c)).to_dict()
    if "settings" in params:
        kwargs["settings"] = pipeline.settings
    if "name" in params and params["name"].default is inspect.Parameter.empty:
        kwargs["name"] = suite
    return fn(**kwargs)


def _module_suite(suite: str, *modules: str) -> Callable[[Any], dict]:
    def run(pipeline) -> dict:
        return _call_run(_first_module(*modules), pipeline, suite)
    return run


SUITES: dict[str, Suite] = {s.name: s for s in (
    Suite("public", "Questions and answers (public suite)",
          "Plain-language questions with known answers from the open data: accuracy per intent, wrong numbers, "
          "latency.", _public),
    Suite("docs", "Documentation retrieval",
          "Questions about the datasets' documentation: is the right passage found and cited?",
          lambda pipeline: _first_module("eval.docs_eval").run_docs(pipeline)),
    Suite("docs_heldout2", "Documentation retrieval, written blind",
          "Documentation questions written by someone who had not seen the docs suite or the code.",
          lambda pipeline: _first_module("eval.docs_eval").run_docs(pipeline, suite="docs_heldout2")),
    Suite("metrics", "Metric detection",
          "Paraphrases of measures ('hard up', 'old people'): does the search rank the right measure first?",
          lambda pipeline: _first_module("eval.docs_eval").run_metrics(pipeline)),
    Suite("pii", "PII detection",
          "Precision and recall per identifier type of the PII scanner on a labelled UK set.",
          _module_suite("pii", "eval.pii_eval")),
    Suite("redteam", "Red team",
          "Attacks (PII leaks, prompt and SQL injection, re-identification, prohibited purposes) that must be "
          "stopped, and benign look-alikes that must be answered.",
          _module_suite("redteam", "eval.redteam")),
    Suite("redteam_heldout", "Red team, written blind",
          "Attacks and look-alikes written by someone who had not seen the red-team suite or the probes.",
          lambda pipeline: _first_module("eval.redteam").run(pipeline, _first_module("eval.redteam").HELDOUT)),
)}

_FAILURE_KEYS = ("failures", "errors", "misses", "failed_cases")


def normalise(name: str, raw: dict) -> dict:
    """Split a suite's report into scalar metrics, nested breakdowns and a list of failures."""
    metrics: dict[str, Any] = {}
    breakdowns: dict[str, Any] = {}
    failures: list = []
    for k, v in raw.items():
        if k in _FAILURE_KEYS and isinstance(v, list):
            failures += [f if isinstance(f, dict) else {"detail": f} for f in v]
        elif isinstance(v, bool) or isinstance(v, (int, float, str)) or v is None:
            metrics[k] = v
        elif isinstance(v, dict):
            breakdowns[k] = v
        elif isinstance(v, list) and all(isinstance(x, (str, int, float)) for x in v):
            metrics[k] = ", ".join(map(str, v)) if v else ""
    return {"suite": name, "available": True, "metrics": metrics, "breakdowns": breakdowns,
            "failures": failures, "raw": raw}


def run(name: str, pipeline, sandbox: bool = True) -> dict:
    """Run one suite against a throwaway copy of ``pipeline``'s commons (``eval.sandbox``: the
    live audit log, review queue and transparency reports never see test traffic); never
    raises for a missing suite."""
    if sandbox:
        from eval.sandbox import evaluation_pipeline
        with evaluation_pipeline(pipeline.settings) as copy:
            return run(name, copy, sandbox=False)
    suite = SUITES.get(name)
    if suite is None:
        return {"suite": name, "available": False, "reason": f"there is no suite '{name}'",
                "metrics": {}, "breakdowns": {}, "failures": []}
    started = time.perf_counter()
    try:
        raw = suite.runner(pipeline)
    except SuiteUnavailable as e:
        return {"suite": name, "available": False, "reason": str(e), "metrics": {}, "breakdowns": {},
                "failures": []}
    out = normalise(name, raw if isinstance(raw, dict) else {"result": raw})
    out["elapsed_s"] = round(time.perf_counter() - started, 2)
    return out


def available(name: str) -> tuple[bool, str]:
    """Whether a suite's module can be imported (without running it)."""
    modules = {"public": ("eval.runner",), "docs": ("eval.docs_eval",), "docs_heldout2": ("eval.docs_eval",), "metrics": ("eval.docs_eval",),
               "pii": ("eval.pii_eval",), "redteam": ("eval.redteam",),
               "redteam_heldout": ("eval.redteam",)}.get(name, ())
    for m in modules:
        if importlib.util.find_spec(m) is not None:
            return True, ""
    return False, "not available in this checkout"
