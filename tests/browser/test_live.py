"""Live mode in the browser gives Python's tracker's answers (tests/facepack/test_track.py holds
Python's tracker itself), on the generated clip of bench/clip.py:

- each step (full cascade, or RNet and ONet on the tracks' grown boxes) on the same inputs, and
  js/src/live.js's own loop over one keyframe cycle, within the browser parity bounds
  (facepack/parity/bounds.py);
- numTensors stays flat over 500 live frames.
"""

from __future__ import annotations

import pytest

from bench.clip import HEIGHT, WIDTH
from facepack import spec
from facepack.parity.bounds import compare_faces
from tests.support.browser import MAIN_THREAD, frames_b64, open_page

pytestmark = pytest.mark.slow


def test_each_live_step_in_the_browser_gives_pythons_faces(browser, server, clip, python_live):
    """Frame by frame with the inputs fixed: where Python's tracker ran the full cascade, the
    browser runs it; where Python refined its tracks' grown boxes, the browser refines the very
    same boxes. (Run as two closed loops, a sub-pixel difference on a face at the frame's edge
    grows from frame to frame; this holds each step to Python instead.)"""
    from facepack.track import grown_square

    tracked, _, scored = python_live
    boxes = [None if frame["keyframe"] else
             [grown_square(face["box"], spec.LIVE.margin).tolist() for face in tracked[i - 1]["faces"]]
             for i, frame in enumerate(tracked)]
    frames = frames_b64(clip)
    got = []
    with open_page(browser, server, MAIN_THREAD) as watch:
        for start in range(0, len(frames), 10):
            got += watch.evaluate("live_step", {"frames": frames[start:start + 10], "width": WIDTH, "height": HEIGHT,
                                                "boxes": boxes[start:start + 10]})
    problems = []
    for i, (js, py) in enumerate(zip(got, scored, strict=True)):
        found, _ = compare_faces(py, js)
        problems += [f"frame {i}: {p}" for p in found]
    assert not problems, "\n".join(problems[:20])
    assert sum(not f["keyframe"] for f in tracked) >= 40  # most steps are tracking steps
    assert not watch.errors, watch.errors


def test_the_browsers_tracker_runs_a_keyframe_cycle_as_python_does(browser, server, clip, python_live):
    """js/src/live.js's own loop (matching, smoothing, keyframes) against Python's, closed loop,
    over one keyframe cycle: a keyframe, the tracking frames after it and the next keyframe.
    (Longer closed loops drift apart on faces at the frame's edge; the test above holds every
    step.)"""
    tracked, _, _ = python_live
    first = spec.LIVE.keyframe_every + 1
    with open_page(browser, server, MAIN_THREAD) as watch:
        got = watch.evaluate("live", {"frames": frames_b64(clip[:first]), "width": WIDTH, "height": HEIGHT,
                                      "reset": True})
    problems = []
    for i, (js, py) in enumerate(zip(got, tracked[:first], strict=True)):
        if js["keyframe"] != py["keyframe"]:
            problems.append(f"frame {i}: keyframe {js['keyframe']} in the browser, {py['keyframe']} in Python")
        found, _ = compare_faces(py["faces"], js["faces"])
        problems += [f"frame {i}: {p}" for p in found]
        for key in ("id", "scored"):
            got_js, got_py = [f[key] for f in js["faces"]], [f[key] for f in py["faces"]]
            if got_js != got_py:
                problems.append(f"frame {i}: track {key}s {got_js} in the browser, {got_py} in Python")
        pairs = list(zip(js["faces"], py["faces"], strict=False))
        if any((a["shown"]["score"] is None) != (b["shown"]["score"] is None) for a, b in pairs):
            problems.append(f"frame {i}: a face shown unscored on one side only")
        shown = [abs(a["shown"]["score"] - b["shown"]["score"]) for a, b in pairs
                 if a["shown"]["score"] is not None and b["shown"]["score"] is not None]
        if shown and max(shown) > 0.5:
            problems.append(f"frame {i}: smoothed score {max(shown):.2f} points off")
    assert not problems, "\n".join(problems[:20])


def test_tensors_stay_flat_over_500_live_frames(browser, server, clip):
    """The clip's 100 frames in order, five times over (keyframes, tracking, faces entering and
    leaving at each wrap), sent to the page once and run there."""
    with open_page(browser, server, MAIN_THREAD) as watch:
        for start in range(0, len(clip), 10):
            watch.evaluate("live", {"frames": frames_b64(clip[start:start + 10]), "keep": True})
        first = watch.evaluate("live", {"width": WIDTH, "height": HEIGHT, "reset": True})
        before = watch.evaluate("num_tensors")
        rest = watch.evaluate("live", {"width": WIDTH, "height": HEIGHT, "reset": False, "repeat": 4})
        after = watch.evaluate("num_tensors")
    assert len(first) + len(rest) == 500
    assert sum(f["keyframe"] for f in first + rest) >= 50  # keyframes and tracking steps both ran
    assert after == before, f"numTensors went from {before} to {after} over 500 live frames"
