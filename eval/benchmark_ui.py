"""Time to the first answer in a real browser, cold and warm; prints one JSON object.

    .venv/bin/python eval/benchmark_ui.py [--home DIR] [--via-run] [--port N] [--warm 8]

Cold: from starting the app's run command (``commons ui``; ``--via-run`` uses ``./scripts/run``,
which also runs setup and ``commons build``) until the first answer is on screen in Debian
chromium.  ``--home`` defaults to a fresh temporary COMMONS_HOME, so the store is built as
on a clean checkout.  Warm: for each further question, from pressing Enter until the answer
is on screen and the script run has finished.  Targets: cold <= 15 s, warm <= 1 s.
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
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
FIRST = ("What was the population of Liverpool in 2020?", "500,474")
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

    from playwright.sync_api import expect, sync_playwright

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="commons-bench-"))
    port = args.port or _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COMMONS_HOME": str(home), "PORT": str(port)}
    cmd = ([str(ROOT / "scripts" / "run")] if args.via_run else
           [str(ROOT / ".venv" / "bin" / "commons"), "ui", "--port", str(port)])
    log = tempfile.NamedTemporaryFile(prefix="commons-bench-", suffix=".log", delete=False)
    out: dict = {"command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
                 "fresh_home": not args.home, "targets_s": {"cold": 15, "warm": 1}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
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
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible(timeout=600_000)
            out["page_ready_s"] = round(time.perf_counter() - started, 2)
            box.fill(FIRST[0])
            box.press("Enter")
            expect(page.get_by_test_id("stChatMessage").last).to_contain_text(FIRST[1], timeout=600_000)
            out["cold_first_answer_s"] = round(time.perf_counter() - started, 2)
            page.wait_for_selector(IDLE, timeout=60_000)

            warm = []
            for i, (q, want) in enumerate(WARM[: args.warm]):
                n = page.get_by_test_id("stChatMessage").count()
                t = time.perf_counter()
                box.fill(q)
                box.press("Enter")
                expect(page.get_by_test_id("stChatMessage")).to_have_count(n + 2, timeout=60_000)
                expect(page.get_by_test_id("stChatMessage").last).to_contain_text(want, timeout=60_000)
                page.wait_for_selector(IDLE, timeout=60_000)
                warm.append({"question": q, "s": round(time.perf_counter() - t, 3)})
            secs = [w["s"] for w in warm]
            out["warm"] = warm
            if secs:
                out["warm_median_s"] = round(statistics.median(secs), 3)
                out["warm_max_s"] = round(max(secs), 3)
            out["cold_ok"] = out["cold_first_answer_s"] <= 15
            out["warm_ok"] = bool(secs) and out["warm_median_s"] <= 1
        finally:
            browser.close()
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(proc.pid, signal.SIGKILL)
            if not args.home:
                shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
