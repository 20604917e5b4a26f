"""``commons ui``: serve the Streamlit app from this process, the commons already opening.

    commons ui [--port 8501] [--address 127.0.0.1]
    python -m ui.serve [--port N] [--address A]        (the same, for tests and benchmarks)

The command first begins opening the commons on a thread of its own (assistant/startup.py:
the store built when it is missing, the PII scanner loaded), then starts Streamlit's server in
this same process.  So the opening runs while the server starts and the browser loads the
page, and the first visitor finds the pipeline open, or a panel naming the step under way;
Streamlit alone would begin only when the first visitor's page runs.

A ``commons.commands`` plug-in (pyproject.toml): the CLI in assistant/ never imports ui/.
Streamlit itself is imported only when serving, so other commands do not pay for it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant import startup

APP_FILE = Path(__file__).resolve().parent / "app.py"


def streamlit_args(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    """``streamlit run`` for the app: headless, no usage statistics, no error details or
    developer menu for visitors, no file watcher (a served app is not edited in place)."""
    return [
        "run", str(APP_FILE),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "viewer",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--server.address", address,
        "--server.port", str(port),
    ]


def ui_command(port: int = 8501, address: str = "127.0.0.1") -> list[str]:
    """The command that serves the app in a process of its own (the tests use it)."""
    return [sys.executable, "-m", "ui.serve", "--port", str(port), "--address", address]


def serve(port: int = 8501, address: str = "127.0.0.1") -> int:
    # Streamlit first (about half a second), so the server answers the browser early and the
    # page can show the opening's progress; then the opening, then the server.
    from streamlit.web import cli as streamlit_cli   # not a project module: only when serving

    startup.begin()

    try:
        streamlit_cli.main(args=streamlit_args(port, address), prog_name="streamlit")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except KeyboardInterrupt:
        return 0
    return 0


def _add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1")


def register(sub) -> None:
    """``commons ui`` (the ``commons.commands`` entry point)."""
    u = sub.add_parser("ui", help="start the app (Streamlit) at http://ADDRESS:PORT")
    _add_options(u)
    u.set_defaults(func=lambda args: serve(args.port, args.address))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ui.serve", description="serve the Commons Assistant app")
    _add_options(p)
    args = p.parse_args(argv)
    return serve(args.port, args.address)


if __name__ == "__main__":
    sys.exit(main())
