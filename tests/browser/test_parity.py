"""The browser matches Python: `fp.analyze` in Chromium against facepack.pipeline.ReferencePipeline.

For every fixture photo (tests/support/photos.py) on each backend, the real page, served by the
real Flask app, decodes the photo and runs the whole pipeline. Compared with Python (the `mtcnn`
package and the Keras models):
- detection: the same number of faces; matched boxes IoU >= 0.95; landmarks within 2% of the
  box width; confidence within 0.02;
- scorer on the identical crop tensor (Python's crops, sent to the page): probabilities within
  1e-4 (1e-3 on webgl), expected score within 0.05 points;
- end to end from the photo: expected score within 0.5 points, the same emotion.
Worst differences per backend go to the parity report (reports/parity.json and a table at the
end of the test output), so drift shows before it fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.browser import b64, open_page
from tests.support.parity import compare_faces
from tests.support.photos import all_photos

pytestmark = pytest.mark.slow

BACKENDS = ["webgl", "wasm", "cpu"]
PHOTOS = all_photos()

CROP_PROBS = {"webgl": 1e-3, "wasm": 1e-4, "cpu": 1e-4}
CROP_POINTS = 0.05

@pytest.fixture(scope="module", params=BACKENDS)
def analysis_page(request, browser, server):
    """The analysis page, loaded on one backend, in its own browser context."""
    with open_page(browser, server, f"/?backend={request.param}") as watch:
        backend = watch.page.evaluate("window.facepack.backend")
        assert backend == request.param, f"asked for {request.param}, the page runs {backend}"
        yield watch, request.param


@pytest.mark.parametrize("name", [n for n, _ in PHOTOS])
def test_browser_matches_python(analysis_page, parity_reference, parity_report, name):
    watch, backend = analysis_page
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
        want = np.asarray([f["score"]["probs"] for f in ref["faces"]])
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


def test_page_stays_on_its_origin_and_uploads_nothing(analysis_page):
    watch, backend = analysis_page
    foreign = watch.foreign_requests()
    assert not foreign, f"{backend}: requests outside the page's origin: {foreign}"
    sent = [f"{r.method} {r.url}" for r in watch.request_objects if r.method != "GET" or r.post_data_buffer]
    assert not sent, f"{backend}: the page sent data: {sent}"
    assert len(watch.request_objects) > 0

