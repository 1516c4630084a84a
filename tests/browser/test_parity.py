"""The browser matches Python: `fp.analyze` in Chromium against facepack.pipeline.ReferencePipeline.

For every fixture photo (tests/support/photos.py) on each backend, the real page, served by the
real Flask app, decodes the photo and runs the whole pipeline; webgl and cpu, software here,
skip the 38-face, 3072 px and EXIF-rotated photos (tests/support/photos.py says why). webgpu runs on SwiftShader's
adapter here (tests/support/browser.py's WEBGPU_ARGS), which takes about 35 minutes for all 13
photos on two cores, most of it PNet and the scorer; so it runs on WEBGPU_PHOTOS, the small
photos: one face, a face near the detector's smallest, no face, a 24x16 photo (about 1.5
minutes; the 960x724 EXIF-rotated photo alone took 127 s). All 13 passed on webgpu when it was
added (the notes of issue 18). Compared with Python (the `mtcnn` package and the Keras models):
- detection: the same number of faces; matched boxes IoU >= 0.95; landmarks within 2% of the
  box width; confidence within 0.02;
- scorer on the identical crop tensor (Python's crops, sent to the page): probabilities within
  1e-4, the converter's float32 tolerance (1e-3 on webgl, its self-test tolerance; webgpu's
  float32 shaders measured 4.0e-7 here, as wasm and cpu do), expected score within 0.05 points;
- end to end from the photo: expected score within 0.5 points, the same emotion.
Worst differences per backend go to the parity report (reports/parity.json and a table at the
end of the test output), so drift shows before it fails.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest

from facepack.parity.bounds import compare_faces
from tests.support.browser import b64, open_page, own_chromium
from tests.support.photos import all_photos, held_on

pytestmark = pytest.mark.slow

BACKENDS = ["webgl", "wasm", "cpu"]
PHOTOS = all_photos()
WEBGPU_PHOTOS = ["no-face-noise.png", "one-face-small.png", "tiny-face.png", "tiny.png"]

CROP_PROBS = {"webgl": 1e-3, "wasm": 1e-4, "cpu": 1e-4, "webgpu": 1e-4}
CROP_POINTS = 0.05


@contextmanager
def page_on(browser, server, backend: str):
    """The analysis page, loaded on `backend`, in its own browser context."""
    with open_page(browser, server, f"/?backend={backend}&worker=0") as watch:  # score_crops needs the page's thread
        running = watch.page.evaluate("window.facepack.backend")
        assert running == backend, f"asked for {backend}, the page runs {running}"
        yield watch, backend


@pytest.fixture(scope="module", params=BACKENDS)
def analysis_page(request, browser, server):
    with page_on(browser, server, request.param) as page:
        yield page


@pytest.fixture(scope="module")
def webgpu_page(browser, server):
    with own_chromium(browser) as own, page_on(own, server, "webgpu") as page:
        yield page


@pytest.mark.parametrize(("analysis_page", "name"),
                         [pytest.param(b, n, id=f"{b}-{n}") for b in BACKENDS for n, _ in PHOTOS if held_on(b, n)],
                         indirect=["analysis_page"])
def test_browser_matches_python(analysis_page, parity_reference, parity_report, name):
    check_photo(analysis_page, parity_reference, parity_report, name)


@pytest.mark.parametrize("name", WEBGPU_PHOTOS)
def test_webgpu_matches_python(webgpu_page, parity_reference, parity_report, name):
    check_photo(webgpu_page, parity_reference, parity_report, name)


def test_page_stays_on_its_origin_and_uploads_nothing(analysis_page):
    check_requests(analysis_page)


def test_webgpu_page_stays_on_its_origin_and_uploads_nothing(webgpu_page):
    check_requests(webgpu_page)


def check_photo(page, parity_reference, parity_report, name: str) -> None:
    """The page's analysis of photo `name` against Python's, within the module docstring's bounds."""
    watch, backend = page
    data = dict(PHOTOS)[name]
    ref = parity_reference[name]
    (got,) = watch.evaluate("analyze", {"b64": b64(data), "name": name})
    where = f"{name} on {backend}"
    assert (got["height"], got["width"]) == ref["shape"][:2], f"{where}: decoded size differs from Python's"

    # Detection and the whole analysis.
    problems, worst = compare_faces(ref["faces"], got["faces"])
    row = parity_report.row(backend, name, stage_ms=got["timings"], **worst)

    # The scorer alone, on Python's own crops.
    crops = ref["crops"]
    if len(crops):
        floats = np.ascontiguousarray(crops, np.float32)
        probs = np.asarray(watch.evaluate("score_crops", {"b64": b64(floats), "shape": list(crops.shape)}))
        want = np.asarray([f["score"]["probs"] for f in ref["faces"] if f["score"] is not None])
        diff = float(np.abs(probs - want).max())
        k = np.arange(want.shape[1])
        shift = float(np.abs(probs @ k - want @ k).max())
        row.worst(crop_probs=diff, crop_points=shift)
        if diff > CROP_PROBS[backend]:
            problems.append(f"scorer on identical crops: max |p diff| {diff:.2e} > {CROP_PROBS[backend]}")
        if shift > CROP_POINTS:
            problems.append(f"scorer on identical crops: expected score moved {shift:.3f} > {CROP_POINTS} points")

    assert not problems, f"{where}:\n  " + "\n  ".join(problems)
    assert not watch.errors, f"{where}: console errors {watch.errors}"


def check_requests(page) -> None:
    """After its analyses, the page asked for nothing beyond its origin and sent nothing."""
    watch, backend = page
    foreign = watch.foreign_requests()
    assert not foreign, f"{backend}: requests outside the page's origin: {foreign}"
    sent = [f"{r.method} {r.url}" for r in watch.request_objects if r.method != "GET" or r.post_data_buffer]
    assert not sent, f"{backend}: the page sent data: {sent}"
    assert len(watch.request_objects) > 0
