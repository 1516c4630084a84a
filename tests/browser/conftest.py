"""A real Flask server on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless Chromium with no reach beyond this machine (see DEVELOPERS.md).
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def serve(bundle: Path) -> tuple[str, callable]:
    """Start the app on 127.0.0.1 at a free port; returns (base url, stop)."""
    server = make_server("127.0.0.1", 0, create_app(bundle), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_port}", stop


@pytest.fixture(scope="session")
def server(default_bundle) -> Iterator[str]:
    url, stop = serve(default_bundle[0])
    yield url
    stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageWatch:
    """Console errors, page errors and every request a page makes."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def foreign_requests(self) -> list[str]:
        own = (self.origin + "/", "blob:" + self.origin, "data:")
        return [u for u in self.requests if not u.startswith(own)]


@pytest.fixture
def watched_page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    yield PageWatch(page, server)
    context.close()
