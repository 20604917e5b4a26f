"""Run an evaluation suite against an ``ask`` callable and score the answers.

The product wires it as::

    from assistant.pipeline import Pipeline
    from kernel.types import Question
    p = Pipeline.open()
    report = run_suite("public", lambda q, c: p.ask(Question(text=q, conversation_id=c)).to_dict())

Nothing here imports the product: the caller supplies ``ask``.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from pathlib import Path
from typing import Any, Callable

SUITES = Path(__file__).resolve().parent / "suites"

Ask = Callable[[str, "str | None"], dict]
# The statuses that decline to give a figure: a question back, no data, a refusal.  A case may
# expect "declined" when any of them is right (the commons cannot answer it as asked).
DECLINED = {"clarify", "no_data", "refused"}

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}


# --------------------------------------------------------------------------- loading

def load_suite(name: str) -> list[dict]:
    """The cases of ``eval/suites/<name>.jsonl`` (or a path to a .jsonl file), in file order."""
    path = Path(name)
    if not (path.suffix == ".jsonl" and path.exists()):
        path = SUITES / f"{name}.jsonl"
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# --------------------------------------------------------------------------- parsing

_NUM_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_number(cell: Any) -> float | None:
    """A number from a table cell: ints/floats, or strings like "500,474", "25.3%", "£1.2"."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, (int, float)):
        return None if isinstance(cell, float) and math.isnan(cell) else float(cell)
    if not isinstance(cell, str):
        return None
    s = cell.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    s = s.replace("\u2212", "-")  # unicode minus
    for junk in ("%", "£", "$", "€"):
        s = s.replace(junk, "")
    if not s or not _NUM_RE.match(s):
        return None
    try:
        return float(s)
    except ValueError:
        return None


def norm_place(s: Any) -> str:
    """Lower-case, no full stops or apostrophes, single spaces ("St. Helens" == "st helens")."""
    s = str(s or "").lower().replace(".", "").replace("'", "").replace("\u2019", "")
    return " ".join(s.split())


def _canon_text(s: Any) -> str:
    """Normalise a category/cell label: months to YYYY-MM, "16 to 24" to "16-24"."""
    t = " ".join(str(s).lower().replace("\u2013", "-").replace("\u2014", "-").split())
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(-\d{1,2})?", t)
    if m:
        return f"{m.group(1)}-{int(m.group(2)):02d}"
    m = re.fullmatch(r"([a-z]{3})[a-z]*\.?\s+(\d{4})", t)
    if m and m.group(1) in _MONTHS:
        return f"{m.group(2)}-{_MONTHS[m.group(1)]:02d}"
    m = re.fullmatch(r"(\d{4})\s+([a-z]{3})[a-z]*", t)
    if m and m.group(2) in _MONTHS:
        return f"{m.group(1)}-{_MONTHS[m.group(2)]:02d}"
    t = re.sub(r"(\d)\s*(?:-|to)\s*(\d)", r"\1-\2", t)
    return t


def _category_in(category: str, text: Any, numeric: bool) -> bool:
    c, t = _canon_text(category), _canon_text(text)
    if c == t:
        return True
    if numeric:  # a number cell only matches a category exactly (years), never by substring
        n = parse_number(text)
        return n is not None and parse_number(category) == n
    return c in t


# --------------------------------------------------------------------------- scoring

def _table(answer: dict) -> tuple[list[str], list[list[Any]]]:
    t = answer.get("table") or {}
    cols = [str(c) for c in (t.get("columns") or [])]
    rows = [list(r) for r in (t.get("rows") or [])]
    return cols, rows


def _row_matches(spec: dict, cols: list[str], rows: list[list[Any]]) -> tuple[bool, str]:
    place = norm_place(spec["place"])
    # "values": several published figures are each right (a census table and the sum of its
    # neighbourhoods); "value": the one right figure.
    wanted = [float(v) for v in spec["values"]] if "values" in spec else [float(spec["value"])]
    value = wanted[0]
    decimals = int(spec.get("decimals", 0))
    tol = 0.6 * 10 ** (-decimals)
    category = spec.get("category")
    candidates = [r for r in rows if r and place in norm_place(r[0])]
    if not candidates:
        return False, f"no row for {spec['place']!r}"
    # "Liverpool" also occurs in "Liverpool City Region": prefer rows that name just the place
    exact = [r for r in candidates
             if re.sub(r"\s*[(\[].*?[)\]]", "", norm_place(r[0])).strip(" ,:-") == place]
    if exact:
        candidates = exact
    seen: list[float] = []
    for r in candidates:
        for j, cell in enumerate(r):
            n = parse_number(cell)
            if n is None:
                continue
            seen.append(n)
            if all(abs(n - v) > tol for v in wanted):
                continue
            if category is None:
                return True, ""
            header = cols[j] if j < len(cols) else ""
            if _category_in(category, header, numeric=False) or any(
                    _category_in(category, c, numeric=parse_number(c) is not None)
                    for k, c in enumerate(r) if k != j):
                return True, ""
    what = f"{spec['place']!r}" + (f" [{category}]" if category else "")
    return False, f"expected {' or '.join(f'{v:g}' for v in wanted)} (±{tol:g}) for {what}; row numbers {seen[:8]}"


def _has_numbers(rows: list[list[Any]]) -> bool:
    return any(parse_number(c) is not None for r in rows for c in r[1:] if r) or any(
        parse_number(r[0]) is not None for r in rows if r)


def chart_marks(spec: Any) -> set[str]:
    """The mark types a Vega-Lite spec draws (its own, its layers' and its panels')."""
    if not isinstance(spec, dict):
        return set()
    m = spec.get("mark")
    out = {m if isinstance(m, str) else m.get("type")} if m else set()
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key) or ():
            out |= chart_marks(part)
    return out - {None}


def score_case(case: dict, answer: dict) -> dict:
    """Score one answer dict ({status, answer, table}) against a case's ``expect``."""
    expect = case.get("expect") or {}
    expected_status = expect.get("status", "answered")
    status = (answer or {}).get("status")
    out = {"id": case.get("id"), "intent": case.get("intent"), "passed": False,
           "wrong_number": False, "status": status, "expected_status": expected_status,
           "declined": status in DECLINED, "detail": ""}
    allowed = DECLINED if expected_status == "declined" else {expected_status}
    if status not in allowed:
        out["detail"] = f"status {status!r}, expected {expected_status!r}"
        # A figure given where the commons should have declined (or asked which was meant) is
        # an answer to a question that was not asked: the worst outcome, counted as such.
        if status == "answered" and expected_status != "answered" and _has_numbers(_table(answer)[1]):
            out["wrong_number"] = True
        return out
    if expected_status != "answered":
        out["passed"] = True
        return out

    cols, rows = _table(answer)
    problems: list[str] = []
    numeric_miss = False
    top = expect.get("top")
    if top:
        # the rows' names: the first column, or the second when the first is one area throughout
        # (a ranking of crime types in St Helens names the types in its second column)
        name_col = 1 if len(rows) > 1 and len({r[0] for r in rows if r}) == 1 and all(len(r) > 1 for r in rows) else 0
        got = [str(r[name_col]) if r else "" for r in rows[:len(top)]]
        if len(got) < len(top) or not all(norm_place(t) in norm_place(g) for t, g in zip(top, got)):
            problems.append(f"ranking: expected top {top}, got {got}")
    for spec in expect.get("rows") or []:
        ok, why = _row_matches(spec, cols, rows)
        if not ok:
            problems.append(why)
            numeric_miss = True
    if (expect.get("rows") or top) and not rows:
        problems = ["no table rows"] + [p for p in problems if p != "no table rows"]
    mark = expect.get("chart_mark")
    if mark and mark not in chart_marks(answer.get("chart")):
        problems.append(f"chart: expected a {mark} mark, got {sorted(chart_marks(answer.get('chart'))) or 'no chart'}")
    for text in expect.get("answer_has") or []:
        if _canon_text(text) not in _canon_text(answer.get("answer") or ""):
            problems.append(f"the answer does not say {text!r}")
            numeric_miss = numeric_miss or any(ch.isdigit() for ch in text)
    out["passed"] = not problems
    out["wrong_number"] = bool(numeric_miss and (_has_numbers(rows) or any(ch.isdigit() for ch in answer.get("answer") or "")))
    out["detail"] = "; ".join(problems)
    return out


# --------------------------------------------------------------------------- running

def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100); 0.0 for an empty list."""
    if not values:
        return 0.0
    xs = sorted(values)
    k = (len(xs) - 1) * pct / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run_suite(name: str, ask: Ask, cases: list[dict] | None = None) -> dict:
    """Ask every case (conversations in file order, each with a fresh per-run id) and score."""
    cases = load_suite(name) if cases is None else cases
    run = uuid.uuid4().hex[:12]
    timings: list[float] = []
    scores: list[dict] = []
    returned: dict[str, int] = {}
    failures: list[dict] = []
    for case in cases:
        conv = case.get("conversation")
        conv_id = f"eval-{run}-{conv}" if conv else None
        t0 = time.perf_counter()
        try:
            # a case asked by a signed-in account ("as": {"role", "datasets"}): the caller's ask takes it
            answer = (ask(case["question"], conv_id, case["as"]) if case.get("as") else
                      ask(case["question"], conv_id)) or {}
        except Exception as exc:  # an internal error is a failed case, not a crashed run
            answer = {"status": "error", "answer": f"{type(exc).__name__}: {exc}", "table": None}
        ms = (time.perf_counter() - t0) * 1000.0
        timings.append(ms)
        sc = score_case(case, answer)
        sc["ms"] = round(ms, 1)
        scores.append(sc)
        returned[str(sc["status"])] = returned.get(str(sc["status"]), 0) + 1
        if not sc["passed"]:
            failures.append({**sc, "question": case["question"], "conversation": conv,
                             "answer": answer.get("answer"), "table": answer.get("table")})

    per_intent: dict[str, dict] = {}
    for sc in scores:
        p = per_intent.setdefault(sc["intent"], {"cases": 0, "passed": 0, "accuracy_pct": 0.0})
        p["cases"] += 1
        p["passed"] += int(sc["passed"])
    for p in per_intent.values():
        p["accuracy_pct"] = round(100.0 * p["passed"] / p["cases"], 1) if p["cases"] else 0.0
    n = len(scores)
    passed = sum(int(s["passed"]) for s in scores)
    return {
        "suite": name,
        "cases": n,
        "passed": passed,
        "accuracy_pct": round(100.0 * passed / n, 1) if n else 0.0,
        "wrong_number": sum(int(s["wrong_number"]) for s in scores),
        "clarify": returned.get("clarify", 0),
        "no_data": returned.get("no_data", 0),
        "declined_pct": round(100.0 * sum(returned.get(k, 0) for k in DECLINED) / n, 1) if n else 0.0,
        "errors": returned.get("error", 0),
        "statuses": dict(sorted(returned.items())),
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "per_intent": dict(sorted(per_intent.items())),
        "failures": failures,
    }
