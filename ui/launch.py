"""Start the Streamlit app (used by ``commons ui``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def command(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "viewer",
        "--server.address", address,
        "--server.port", str(port),
    ]


def run(port: int = 8501, address: str = "127.0.0.1") -> int:
    """Run the app in the foreground until it stops; returns streamlit's exit code."""
    try:
        return subprocess.call(command(port, address))
    except KeyboardInterrupt:
        return 0
