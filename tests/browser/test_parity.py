"""The browser matches Python: `fp.analyze` in Chromium against facepack.pipeline.ReferencePipeline.

For every fixture photo (tests/browser/photos.py) on each backend, the real page, served by the
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

import base64

import numpy as np
import pytest

from facepack.images import load_image
from facepack.pipeline import ReferencePipeline
from tests.browser.conftest import PageWatch
from tests.browser.photos import all_photos

pytestmark = pytest.mark.slow

BACKENDS = ["webgl", "wasm", "cpu"]
PHOTOS = all_photos()

MIN_IOU = 0.95
LANDMARK_FRACTION = 0.02  # of the box width
CONFIDENCE = 0.02
CROP_PROBS = {"webgl": 1e-3, "wasm": 1e-4, "cpu": 1e-4}
CROP_POINTS = 0.05
E2E_POINTS = 0.5

ANALYZE_JS = """async ({b64, name}) => {
  const { decodeImage } = await import('/static/image.js');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await decodeImage(new Blob([bytes]), name);
  const faces = await window.facepack.analyze(bitmap);
  return { faces, width: bitmap.width, height: bitmap.height, timings: window.facepack.timings };
}"""

SCORE_CROPS_JS = """async ({b64, shape}) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const crops = tf.tensor4d(new Float32Array(bytes.buffer), shape);
  try { return await window.facepack.scoreCrops(crops); } finally { crops.dispose(); }
}"""


@pytest.fixture(scope="session")
def reference():
    """Python's answer for every fixture: faces as dicts, and the scorer crops it cut."""
    pipeline = ReferencePipeline()
    answers = {}
    for name, data in PHOTOS:
        image = load_image(data, name)
        results = pipeline.analyze(image)
        crops = pipeline.scorer_crops(image, [r.face for r in results])
        answers[name] = {"shape": image.shape, "faces": [r.as_dict() for r in results], "crops": crops}
    return answers


@pytest.fixture(scope="module", params=BACKENDS)
def analysis_page(request, browser, server):
    """The analysis page, loaded on one backend, in its own browser context."""
    context = browser.new_context()
    page = context.new_page()
    watch = PageWatch(page, server)
    page.goto(f"{server}/?backend={request.param}")
    page.wait_for_selector("#status:not([data-state=loading])", timeout=180_000)
    state = page.get_attribute("#status", "data-state")
    assert state == "ready", page.text_content("#status")
    backend = page.evaluate("window.facepack.backend")
    assert backend == request.param, f"asked for {request.param}, the page runs {backend}"
    yield watch, request.param
    context.close()


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def match(py_faces, js_faces) -> list[tuple[int, int, float]]:
    """Pair each Python face with its best-overlapping browser face: (py index, js index, IoU)."""
    pairs, free = [], set(range(len(js_faces)))
    for i, pf in enumerate(py_faces):
        if not free:
            break
        j = max(free, key=lambda k: iou(pf["box"], js_faces[k]["box"]))
        pairs.append((i, j, iou(pf["box"], js_faces[j]["box"])))
        free.discard(j)
    return pairs


def b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, np.float32).tobytes()).decode()


@pytest.mark.parametrize("name", [n for n, _ in PHOTOS])
def test_browser_matches_python(analysis_page, reference, parity_report, name):
    watch, backend = analysis_page
    data = dict(PHOTOS)[name]
    ref = reference[name]
    got = watch.page.evaluate(ANALYZE_JS, {"b64": base64.b64encode(data).decode(), "name": name})
    where = f"{name} on {backend}"
    assert (got["height"], got["width"]) == ref["shape"][:2], f"{where}: decoded size differs from Python's"

    # Detection.
    py_faces, js_faces = ref["faces"], got["faces"]
    problems = []
    if len(js_faces) != len(py_faces):
        problems.append(f"{len(js_faces)} faces in the browser, {len(py_faces)} in Python")
    row = parity_report.row(backend, name, faces=len(py_faces), stage_ms=got["timings"])
    for i, j, overlap in match(py_faces, js_faces):
        pf, jf = py_faces[i], js_faces[j]
        width = pf["box"][2] - pf["box"][0]
        landmark = float(np.abs(np.subtract(pf["landmarks"], jf["landmarks"])).max()) / width
        confidence = abs(pf["confidence"] - jf["confidence"])
        points = abs(pf["score"]["expected"] - jf["score"]["expected"])
        same_emotion = pf["emotion"]["label"] == jf["emotion"]["label"]
        row.worst(min_iou=overlap, landmark_fraction=landmark, confidence=confidence, e2e_points=points,
                  emotion_mismatches=0 if same_emotion else 1)
        face = f"face {i} (box {np.round(pf['box'], 1).tolist()})"
        if overlap < MIN_IOU:
            problems.append(f"{face}: IoU {overlap:.4f} < {MIN_IOU}")
        if landmark > LANDMARK_FRACTION:
            problems.append(f"{face}: landmarks off by {landmark:.4f} of the box width > {LANDMARK_FRACTION}")
        if confidence > CONFIDENCE:
            problems.append(f"{face}: confidence {jf['confidence']:.4f} vs {pf['confidence']:.4f}")
        if points > E2E_POINTS:
            problems.append(f"{face}: score {jf['score']['expected']:.2f} vs {pf['score']['expected']:.2f} points")
        if not same_emotion:
            problems.append(f"{face}: emotion {jf['emotion']['label']} vs {pf['emotion']['label']} "
                            f"(Python probs {np.round(pf['emotion']['probs'], 3).tolist()})")

    # The scorer alone, on Python's own crops.
    crops = ref["crops"]
    if len(crops):
        probs = np.asarray(watch.page.evaluate(SCORE_CROPS_JS, {"b64": b64(crops), "shape": list(crops.shape)}))
        want = np.asarray([f["score"]["probs"] for f in py_faces])
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

