"""Shared fixtures: one temporary COMMONS_HOME per test session, and the real app served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives the real app in Debian chromium with Playwright"
    )


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"browser test: {CHROMIUM} not found (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def commons_home(tmp_path_factory):
    """A fresh COMMONS_HOME for the whole session, set before any pipeline is opened."""
    home = tmp_path_factory.mktemp("commons_home")
    old = os.environ.get("COMMONS_HOME")
    os.environ["COMMONS_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("COMMONS_HOME", None)
    else:
        os.environ["COMMONS_HOME"] = old


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="session")
def served_app(commons_home, tmp_path_factory):
    """The real app under `streamlit run` on a free port; yields its URL."""
    from ui.launch import command

    env = {**os.environ, "COMMONS_HOME": str(commons_home)}
    # Build the store first (in its own process) so the first page load is quick.
    subprocess.run(
        [sys.executable, "-c", "from assistant.pipeline import Pipeline; Pipeline.open()"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("served_app") / "streamlit.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command(port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not _healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app did not become healthy at {url}:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
