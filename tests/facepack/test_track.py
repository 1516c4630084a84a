"""Live mode in Python: facepack/track.py's tracker on a generated clip (bench/clip.py: sample1
panned, zoomed and turned over 100 frames, 640x480).

- The tracker runs the full cascade on few frames and loses few faces. It scores a face every
  spec.LIVE.score_every frames, when new and when at the frame's edge, and the face keeps its
  score in between.
- The issue's bounds on every tracked face, IoU >= 0.9 with a full-cascade face and a score
  within 1 point of its score, are not met (2 of 241 faces at IoU 0.89-0.90; 83 faces over 1
  point with the kept scores, 50 when every frame is scored): each is a strict xfail whose
  failure message gives the measured figures.

The browser's tracker is held to this one in tests/browser/test_live.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.clip import HEIGHT, WIDTH
from facepack import spec
from facepack.track import at_edge, iou

pytestmark = pytest.mark.slow  # the clip runs through the whole reference pipeline

TRACK_IOU = 0.9
TRACK_POINTS = 1.0


def _tracked_vs_cascade(python_live):
    """For each tracked face: (frame, id, IoU with its best full-cascade face, score difference;
    None where the gate left either unscored)."""
    tracked, full, _ = python_live
    rows = []
    for i, (frame, cascade) in enumerate(zip(tracked, full, strict=True)):
        for face in frame["faces"]:
            best = max(cascade, key=lambda c: iou(face["box"], c["box"]), default=None)
            overlap = iou(face["box"], best["box"]) if best else 0.0
            if best and (face["score"] is None or best["score"] is None):
                points = None  # unscored on a side (the gate): no score to compare
            else:
                points = abs(face["score"]["expected"] - best["score"]["expected"]) if best else float("inf")
            rows.append((i, face["id"], overlap, points))
    return rows


def test_tracking_keeps_most_frames_off_the_full_cascade_and_loses_few_faces(python_live):
    tracked, full, _ = python_live
    keyframes = sum(f["keyframe"] for f in tracked)
    assert 10 <= keyframes < 60, f"{keyframes} keyframes in 100 frames"  # it tracks most frames
    assert sum(len(f["faces"]) for f in tracked) >= 0.9 * sum(len(c) for c in full)  # few faces missed


def test_faces_are_scored_every_score_every_frames_and_when_new_and_keep_their_score_between(python_live):
    tracked, _, scored = python_live
    every = spec.LIVE.score_every
    assert every > 1, "this test is about the frames between scorings"
    last: dict[int, dict] = {}
    for i, frame in enumerate(tracked):
        for face in frame["faces"]:
            new = face["id"] not in last
            due = i % every == 0 or new or at_edge(face["box"], WIDTH, HEIGHT)
            assert face["scored"] == due, f"frame {i} face {face['id']}: scored {face['scored']}"
            if face["scored"]:
                fresh = next(f for f in scored[i] if f["box"] == face["box"])
                assert face["unscored"] == fresh["unscored"]  # the gate, on this frame's confidences
                if face["score"] is not None:
                    assert face["score"]["probs"] == pytest.approx(fresh["score"]["probs"], abs=1e-6)
            else:
                before = last[face["id"]]
                assert face["score"] == before["score"] and face["emotion"] == before["emotion"]
                assert face["shown"] == before["shown"]  # smoothed only over the frames that scored it
            last[face["id"]] = face
    unscored = sum(not f["scored"] for frame in tracked for f in frame["faces"])
    assert unscored >= 0.5 * sum(len(frame["faces"]) for frame in tracked)


@pytest.mark.xfail(strict=True, reason=(
    "not met: the issue asks every tracked face to overlap a full-cascade face with IoU >= 0.9; "
    "RNet and ONet on the last box land a little off the cascade's box on a few faces (measured: "
    "see the failure message). Strict: this fails loudly once met."))
def test_tracked_boxes_overlap_the_full_cascades_on_every_frame(python_live):
    rows = _tracked_vs_cascade(python_live)
    overlaps = np.array([o for _, _, o, _ in rows])
    low = [f"frame {i} face {k}: IoU {o:.3f}" for i, k, o, _ in rows if o < TRACK_IOU]
    assert not low, (f"{len(low)} of {len(rows)} tracked faces under IoU {TRACK_IOU} (median "
                     f"{np.median(overlaps):.3f}): " + "; ".join(low))


@pytest.mark.xfail(strict=True, reason=(
    "not met: the issue asks every tracked face's score to be within 1 point of the full cascade's; "
    "RNet/ONet on the last box give landmarks a little off the cascade's, the crop moves, and the "
    "score moves with it (measured: see the failure message). Strict: this fails loudly once met."))
def test_tracked_scores_are_within_one_point_of_the_full_cascades(python_live):
    rows = _tracked_vs_cascade(python_live)
    off = [points for *_, points in rows if points is not None and points > TRACK_POINTS]
    shifts = np.array([points for *_, points in rows if points is not None])
    assert not off, (f"{len(off)} of {len(rows)} tracked faces are more than {TRACK_POINTS} point off "
                     f"(median {np.median(shifts):.2f}, 95th percentile {np.percentile(shifts, 95):.2f}, "
                     f"worst {shifts.max():.2f} points)")


def test_a_face_the_gate_stops_is_shown_unscored_until_a_scoring_frame_passes_it(clip):
    """A gate that sample1's least sure face fails (refined confidence 0.994, the others 0.996+;
    measured here) over the clip's first 12 frames: on a scoring frame such a face gets no score
    and shows none; in between it keeps that; a face that passes is smoothed as before."""
    from facepack.pipeline import ReferencePipeline
    from facepack.track import Tracker

    pipeline = ReferencePipeline(gate=spec.FaceGate(min_confidence=0.8, min_refined_confidence=0.995))
    frames = [Tracker(pipeline).step(frame).as_dict() for frame in clip[:12]]
    faces = [face for frame in frames for face in frame["faces"]]
    unscored = [f for f in faces if f["unscored"]]
    assert unscored and len(unscored) < len(faces), [round(f["refined_confidence"], 4) for f in faces]
    for face in faces:
        stopped = face["unscored"] == "low_confidence"
        assert (face["score"] is None) == stopped and (face["emotion"] is None) == stopped
        assert (face["shown"]["score"] is None) == stopped, face
        if face["scored"]:  # scored on this frame: the gate read this frame's confidences
            assert stopped == (face["refined_confidence"] < 0.995)
