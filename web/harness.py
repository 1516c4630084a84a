"""Run the app and Debian's Chromium for tests and benchmarks: one place for the launch flags.

The app is served by werkzeug on 127.0.0.1 in a background thread; Chromium runs headless with
no reach beyond this machine (DEVELOPERS.md's flags).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server

from web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def serve(bundle: Path, quiet: bool = False) -> tuple[str, Callable[[], None]]:
    """Start the app on 127.0.0.1 at a free port; returns (base url, stop)."""
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_app(bundle), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_port}", stop


def launch_chromium(playwright):
    """Debian's Chromium through Playwright (its own browser download cannot run here)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
