"""A real Flask server on loopback and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from web.harness import serve


@pytest.fixture(scope="session")
def server(default_bundle) -> Iterator[str]:
    url, stop = serve(default_bundle[0])
    yield url
    stop()


class PageWatch:
    """Console errors, page errors and every request a page makes."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.request_objects: list = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._on_request)

    def _on_request(self, request) -> None:
        self.requests.append(request.url)
        self.request_objects.append(request)

    def foreign_requests(self) -> list[str]:
        own = (self.origin + "/", "blob:" + self.origin, "data:")
        return [u for u in self.requests if not u.startswith(own)]


@pytest.fixture
def watched_page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    yield PageWatch(page, server)
    context.close()


# ------------------------------------------------------------------------------ parity report
REPORT_DIR = Path(os.environ.get("FACEPACK_REPORTS", Path(__file__).resolve().parents[2] / "reports"))
_MIN_KEYS = {"min_iou"}  # for these the worst is the smallest; for the rest the largest


class ParityRow:
    def __init__(self, **fields):
        self.fields = fields

    def worst(self, **values) -> None:
        for key, value in values.items():
            old = self.fields.get(key)
            if key == "emotion_mismatches":
                self.fields[key] = (old or 0) + value
            elif old is None:
                self.fields[key] = value
            else:
                self.fields[key] = min(old, value) if key in _MIN_KEYS else max(old, value)


class ParityReport:
    """Worst browser-vs-Python differences per backend and photo (tests/browser/test_parity.py)."""

    COLUMNS = ("min_iou", "landmark_fraction", "confidence", "crop_probs", "crop_points", "e2e_points",
               "emotion_mismatches")

    def __init__(self):
        self.rows: list[ParityRow] = []

    def row(self, backend: str, photo: str, **fields) -> ParityRow:
        row = ParityRow(backend=backend, photo=photo, **fields)
        self.rows.append(row)
        return row

    def per_backend(self) -> dict[str, dict]:
        summary: dict[str, ParityRow] = {}
        for row in self.rows:
            acc = summary.setdefault(row.fields["backend"], ParityRow(photos=0, faces=0))
            acc.fields["photos"] += 1
            acc.fields["faces"] += row.fields["faces"]
            acc.worst(**{k: row.fields[k] for k in self.COLUMNS if k in row.fields})
        return {backend: acc.fields for backend, acc in summary.items()}

    def table(self) -> str:
        head = ["backend", "photos", "faces", *self.COLUMNS]
        lines = [" | ".join(head)]
        for backend, fields in self.per_backend().items():
            cells = [backend] + [fields.get(k) for k in head[1:]]
            lines.append(" | ".join(f"{c:.6f}" if k == "min_iou" else f"{c:.3g}" if isinstance(c, float) else str(c)
                                    for k, c in zip(head, cells, strict=True)))
        return "\n".join(lines)


_REPORT = ParityReport()


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
