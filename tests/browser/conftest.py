"""Fixtures for the Chromium tests: the real Flask app on loopback, a watched page, the parity report."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.browser import open_page, serve
from tests.support.reports import REPORT_DIR, ParityReport

_REPORT = ParityReport()


@pytest.fixture(scope="session")
def server(default_bundle) -> Iterator[str]:
    url, stop = serve(default_bundle[0])
    yield url
    stop()


@pytest.fixture
def watched_page(browser, server):
    """A blank page in its own context, watched for errors and requests (support.browser.PageWatch)."""
    with open_page(browser, server, path=None) as watch:
        yield watch


@pytest.fixture(scope="session")
def parity_report():
    yield _REPORT
    if _REPORT.rows:
        REPORT_DIR.mkdir(parents=True, exist_ok=True)
        (REPORT_DIR / "parity.json").write_text(json.dumps(
            {"per_backend": _REPORT.per_backend(), "rows": [r.fields for r in _REPORT.rows]}, indent=1))


def pytest_terminal_summary(terminalreporter) -> None:
    if _REPORT.rows:
        terminalreporter.section("browser vs Python parity (worst per backend)")
        terminalreporter.write_line(_REPORT.table())
        terminalreporter.write_line(f"full report: {REPORT_DIR / 'parity.json'}")
