"""Photos of every format and mode read identically in the page and in Python; bad files get a
clear message and leave the page working (facepack/images.py, js/src/image.js)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from facepack.images import load_image
from tests.support.browser import b64, open_page
from tests.support.formats import all_formats, bad_inputs

pytestmark = pytest.mark.slow


@pytest.fixture
def ready_page(browser, server):
    """The analysis page, ready on wasm."""
    with open_page(browser, server) as watch:
        yield watch


def test_every_format_gives_python_and_the_page_the_same_pixels(ready_page):
    mismatches = []
    for name, data in all_formats():
        got = ready_page.evaluate("read_image", {"b64": b64(data), "name": name})
        assert "error" not in got, f"{name}: {got.get('error')}"
        js = np.frombuffer(base64.b64decode(got["rgb"]), np.uint8).reshape(got["height"], got["width"], 3)
        py = load_image(data, name)
        if js.shape != py.shape or not np.array_equal(js, py):
            diff = np.abs(js.astype(int) - py.astype(int)) if js.shape == py.shape else None
            mismatches.append(f"{name}: shapes {js.shape} {py.shape}" + (
                f", max diff {diff.max()}, {100 * (diff > 0).mean():.1f}% of values" if diff is not None else ""))
    assert not mismatches, "\n".join(mismatches)


def test_bad_files_get_a_message_naming_them(ready_page):
    for name, data in bad_inputs():
        got = ready_page.evaluate("read_image", {"b64": b64(data), "name": name})
        assert "error" in got, f"{name} was read as a {got.get('width')}x{got.get('height')} photo"
        assert f"{name} is not a readable image" in got["error"] or "megapixels; the limit is 100" in got["error"], got


def test_200_mixed_files_leave_the_page_working_with_every_good_result(ready_page):
    watch, page = ready_page, ready_page.page
    good, bad = all_formats(), bad_inputs()
    files = []
    for i in range(200):
        name, data = bad[i % len(bad)] if i % 5 == 4 else good[i % len(good)]
        files.append({"name": f"{i:03d}-{name}", "mimeType": "application/octet-stream", "buffer": data})
    page.set_input_files("#files", files=files)
    page.locator("#results .result").nth(199).wait_for(timeout=600_000)
    titles = page.locator("#results .result h3").all_text_contents()[::-1]  # oldest first
    assert len(titles) == 200
    for i, title in enumerate(titles):
        assert title.startswith(f"{i:03d}-"), (i, title)
        if i % 5 == 4:
            assert "not a readable image" in title or "megapixels" in title, title
        else:
            assert ": 1 face (" in title, title
    assert page.evaluate("1 + 1") == 2  # still answering
    assert page.get_attribute("#status", "data-state") == "ready"
    assert not watch.errors, watch.errors[:5]
