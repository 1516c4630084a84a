"""The app on loopback and Debian's Chromium, driven by Playwright: how `python -m facepack parity`
and the tests (tests/support/browser.py) run the real page. One place for the launch flags.

The app (web.app.create_app) is served by werkzeug on 127.0.0.1 in a background thread; Chromium
runs headless with no reach beyond this machine (flags that keep it from calling out to the
network) and with SwiftShader's WebGPU adapter, which a loopback page, a secure context, gets.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

# FACEPACK_CHROMIUM names another Chromium or Chrome binary.
CHROMIUM = os.environ.get("FACEPACK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# WebGPU on Linux without a GPU: SwiftShader's Vulkan adapter, on pages of a secure context
# (loopback is one). WebGL and the other backends run as they did without these flags.
WEBGPU_ARGS = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--enable-features=Vulkan"]
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    *WEBGPU_ARGS,
]
INSTALL_CHROMIUM = ("install it (Debian and Ubuntu: apt-get install chromium; `make test` does), or name "
                    "another Chromium or Chrome binary in FACEPACK_CHROMIUM")


class NoChromiumError(FileNotFoundError):
    """No Chromium to run the page in; the message says how to install one."""


def serve_in_thread(server) -> tuple[str, Callable[[], None]]:
    """Run a server bound to 127.0.0.1 (werkzeug's or http.server's) in a background thread:
    (base url, stop)."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_port}", stop


def serve(bundle: Path, quiet: bool = False) -> tuple[str, Callable[[], None]]:
    """Start the app on 127.0.0.1 at a free port; returns (base url, stop)."""
    from werkzeug.serving import make_server

    from web.app import create_app

    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return serve_in_thread(make_server("127.0.0.1", 0, create_app(bundle), threaded=True))


def page_program(path: Path) -> str:
    """The in-page program at `path` (an ES module whose default export is one function) as the
    function source Playwright's `page.evaluate` takes."""
    source = Path(path).read_text()
    if "export default " not in source:
        raise ValueError(f"{path} has no `export default` function")
    # page.evaluate runs a string as a function only when it starts as one: drop what comes before.
    return source.split("export default ", 1)[1].strip()


def launch_chromium(playwright):
    """Chromium through Playwright (Playwright's own browser download is not used)."""
    if not Path(CHROMIUM).exists():
        raise NoChromiumError(f"Chromium not found at {CHROMIUM}: {INSTALL_CHROMIUM}")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
