"""Live mode: tracking between keyframes on a generated clip (bench/clip.py: sample1 panned,
zoomed and turned over 100 frames, 640x480).

- Python's tracker (facepack/track.py) agrees with the full cascade on every frame: each tracked
  face has a full-cascade face with IoU >= 0.9 (the issue's bound). The issue's other bound, a
  score within 1 point on every frame, is not met; its test is a strict xfail that says by how much.
- The browser's tracker (js/src/live.js) gives Python's tracker's answers frame by frame: the
  same keyframes and faces, within the browser parity bounds (tests/parity.py).
- numTensors stays flat over 500 live frames.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.clip import HEIGHT, WIDTH, clip_frames
from tests.browser.conftest import PageWatch
from tests.parity import compare_faces, iou
from web.harness import LIVE_JS, NUM_TENSORS_JS, frames_b64

pytestmark = pytest.mark.slow

TRACK_IOU = 0.9
TRACK_POINTS = 1.0


@pytest.fixture(scope="module")
def clip():
    return clip_frames(100)


@pytest.fixture(scope="module")
def python_live(clip):
    from facepack.pipeline import ReferencePipeline
    from facepack.track import Tracker

    pipeline = ReferencePipeline()
    tracker = Tracker(pipeline)
    tracked = [tracker.step(frame).as_dict() for frame in clip]
    full = [[r.as_dict() for r in pipeline.analyze(frame)] for frame in clip]
    return tracked, full


def _tracked_vs_cascade(python_live):
    """For each tracked face: (frame, id, IoU with its best full-cascade face, score difference)."""
    tracked, full = python_live
    rows = []
    for i, (frame, cascade) in enumerate(zip(tracked, full, strict=True)):
        for face in frame["faces"]:
            best = max(cascade, key=lambda c: iou(face["box"], c["box"]), default=None)
            overlap = iou(face["box"], best["box"]) if best else 0.0
            points = abs(face["score"]["expected"] - best["score"]["expected"]) if best else float("inf")
            rows.append((i, face["id"], overlap, points))
    return rows


def test_tracking_finds_the_full_cascades_boxes_on_every_frame(python_live):
    tracked, full = python_live
    keyframes = sum(f["keyframe"] for f in tracked)
    assert 10 <= keyframes < 60, f"{keyframes} keyframes in 100 frames"  # it tracks most frames
    problems = [f"frame {i} face {k}: IoU {o:.3f}" for i, k, o, _ in _tracked_vs_cascade(python_live) if o < TRACK_IOU]
    assert not problems, "\n".join(problems)
    assert sum(len(f["faces"]) for f in tracked) >= 0.9 * sum(len(c) for c in full)  # few faces missed


@pytest.mark.xfail(strict=True, reason=(
    "not met: the issue asks every tracked face's score to be within 1 point of the full cascade's; "
    "RNet/ONet on the last box give landmarks a little off the cascade's, the crop moves, and the "
    "score moves with it (measured: see the failure message). Strict: this fails loudly once met."))
def test_tracked_scores_are_within_one_point_of_the_full_cascades(python_live):
    rows = _tracked_vs_cascade(python_live)
    off = [points for *_, points in rows if points > TRACK_POINTS]
    shifts = np.array([points for *_, points in rows])
    assert not off, (f"{len(off)} of {len(rows)} tracked faces are more than {TRACK_POINTS} point off "
                     f"(median {np.median(shifts):.2f}, 95th percentile {np.percentile(shifts, 95):.2f}, "
                     f"worst {shifts.max():.2f} points)")


def test_the_browser_tracks_as_python_does_frame_by_frame(browser, server, clip, python_live):
    tracked, _ = python_live
    context = browser.new_context()
    page = context.new_page()
    watch = PageWatch(page, server)
    page.goto(f"{server}/?backend=wasm")
    page.wait_for_selector("#status[data-state=ready]", timeout=180_000)
    got = []
    frames = frames_b64(clip)
    for start in range(0, len(frames), 10):
        got += page.evaluate(LIVE_JS, {"frames": frames[start:start + 10], "width": WIDTH, "height": HEIGHT,
                                       "reset": start == 0})
    problems = []
    for i, (js, py) in enumerate(zip(got, tracked, strict=True)):
        if js["keyframe"] != py["keyframe"]:
            problems.append(f"frame {i}: keyframe {js['keyframe']} in the browser, {py['keyframe']} in Python")
        found, _ = compare_faces(py["faces"], js["faces"])
        problems += [f"frame {i}: {p}" for p in found]
        shown = [abs(a["shown"]["score"] - b["shown"]["score"]) for a, b in zip(js["faces"], py["faces"], strict=False)]
        if shown and max(shown) > 0.5:
            problems.append(f"frame {i}: smoothed score {max(shown):.2f} points off")
    assert not problems, "\n".join(problems[:20])
    assert not watch.errors, watch.errors
    context.close()


def test_tensors_stay_flat_over_500_live_frames(browser, server, clip):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server}/?backend=wasm")
    page.wait_for_selector("#status[data-state=ready]", timeout=180_000)
    frames = frames_b64(clip[::10])  # 10 distinct frames, 50 times over
    page.evaluate(LIVE_JS, {"frames": frames, "width": WIDTH, "height": HEIGHT, "reset": True})
    before = page.evaluate(NUM_TENSORS_JS)
    for _ in range(49):
        page.evaluate(LIVE_JS, {"frames": frames, "width": WIDTH, "height": HEIGHT, "reset": False})
    after = page.evaluate(NUM_TENSORS_JS)
    assert after == before, f"numTensors went from {before} to {after} over 500 live frames"
    context.close()
