"""Time to the first answer in a real browser, cold and warm; prints one JSON object.

    .venv/bin/python eval/benchmark_ui.py [--home DIR] [--via-run] [--port N] [--warm 8]

Cold: from starting the app's run command (``commons ui``; ``--via-run`` uses ``./scripts/run``,
which also runs setup and ``commons build``) until the first answer is on screen in Debian
chromium.  ``--home`` defaults to a fresh temporary COMMONS_HOME, so the store is built as
on a clean checkout.  Restart: the same command started again on that (now built) home, as on a
machine that has run the app before.  Warm: for each further question of the restarted app,
from pressing Enter until the answer is on screen and the script run has finished (checked in
the page on every animation frame).  ``app_cpu_s`` is the CPU time the app's process used up to
the first answer: the machine may be shared, and wall times stretch with its load (printed at
start and end) while CPU seconds hardly do.  Targets: cold <= 10 s, warm median <= 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FIRST = ("What was the population of Liverpool in 2020?", "500,474")
TARGET_COLD, TARGET_WARM = 10, 0.5
WARM = [
    ("and in 2019?", "498,042"),
    ("How deprived is Knowsley?", "Knowsley"),
    ("Which neighbourhoods in Knowsley are the most deprived?", "Knowsley"),
    ("What was the population of Wirral in 2020?", "Wirral"),
    ("Which council has the highest crime severity score?", "crime"),
    ("population of Church ward", "Church"),
    ("Give me a summary of Sefton", "Sefton"),
    ("What was the population of St Helens in 2019?", "St"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmark_ui")
    ap.add_argument("--home", help="COMMONS_HOME to use (default: a fresh temporary folder)")
    ap.add_argument("--via-run", action="store_true", help="start with ./scripts/run instead of commons ui")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--warm", type=int, default=len(WARM), help="how many warm questions to time")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="commons-bench-"))
    port = args.port or _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COMMONS_HOME": str(home), "PORT": str(port)}
    cmd = ([str(ROOT / "scripts" / "run")] if args.via_run else
           [str(ROOT / ".venv" / "bin" / "commons"), "ui", "--port", str(port)])
    log = tempfile.NamedTemporaryFile(prefix="commons-bench-", suffix=".log", delete=False)
    out: dict = {"command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
                 "fresh_home": not args.home, "targets_s": {"cold": TARGET_COLD, "warm_median": TARGET_WARM},
                 "cores": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            first = _start_and_ask(browser, cmd, env, url, log, warm=0)
            out.update({k: v for k, v in first.items() if k != "warm"})
            again = _start_and_ask(browser, cmd, env, url, log, warm=args.warm)
            out["restart"] = {k: v for k, v in again.items() if k != "warm"}
            out["warm"] = again["warm"]
            secs = [w["s"] for w in again["warm"]]
            if secs:
                out["warm_median_s"] = round(statistics.median(secs), 3)
                out["warm_max_s"] = round(max(secs), 3)
            out["cold_ok"] = out["cold_first_answer_s"] <= TARGET_COLD
            out["restart_ok"] = out["restart"]["cold_first_answer_s"] <= TARGET_COLD
            out["warm_ok"] = bool(secs) and out["warm_median_s"] <= TARGET_WARM
            out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        finally:
            browser.close()
            if not args.home:
                shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(out, indent=1))
    return 0


# Waits are checked in the page on every animation frame (Playwright's expect() polls with
# growing pauses, up to a second, which would be timed as the app's).
_ANSWERED = """([n, want]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const msgs = document.querySelectorAll('[data-testid="stChatMessage"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning' && msgs.length >= n
    && msgs[msgs.length - 1].innerText.includes(want);
}"""
_BOX = '[data-testid="stChatInputTextArea"]'


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and the children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])
    return round(ticks / os.sysconf("SC_CLK_TCK"), 2)


def _ask(page, question: str, want: str, timeout_ms: int) -> None:
    n = page.locator('[data-testid="stChatMessage"]').count()
    box = page.locator(_BOX)
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(_ANSWERED, arg=[n + 2, want], polling="raf", timeout=timeout_ms)


def _start_and_ask(browser, cmd, env, url, log, warm: int) -> dict:
    """Start the run command, wait for the first answer in the browser, then time ``warm``
    further questions; the app is stopped before returning."""
    out: dict = {}
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        while not _healthy(url):
            if proc.poll() is not None or time.perf_counter() - started > 600:
                raise SystemExit(f"the app did not start; see {log.name}")
            time.sleep(0.05)
        out["server_healthy_s"] = round(time.perf_counter() - started, 2)
        page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        page.goto(url)
        page.wait_for_selector(_BOX, state="visible", timeout=600_000)
        out["page_ready_s"] = round(time.perf_counter() - started, 2)
        _ask(page, FIRST[0], FIRST[1], 600_000)
        out["cold_first_answer_s"] = round(time.perf_counter() - started, 2)
        out["app_cpu_s"] = _cpu_s(proc.pid)

        timed = []
        for q, want in WARM[:warm]:
            t = time.perf_counter()
            _ask(page, q, want, 60_000)
            timed.append({"question": q, "s": round(time.perf_counter() - t, 3)})
        out["warm"] = timed
        page.context.close()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
    return out


if __name__ == "__main__":
    sys.exit(main())
