"""Holding another runtime's faces to the Python reference's: one comparison and one set of bounds,
for `python -m facepack parity` and the tests (the browser, the worker, live mode, Node, the
example apps).

Bounds: the same number of faces; matched boxes IoU >= 0.95; landmarks within 2% of the box
width; confidence and refined confidence within 0.02; expected score within 0.5 points; the same emotion. The gate
(spec.FaceGate): each side leaves unscored exactly the faces its own confidence puts below the
threshold, and both sides agree on every face whose confidences fall on one side of it.
"""

from __future__ import annotations

import numpy as np

from facepack import spec
from facepack.track import iou

MIN_IOU = 0.95
LANDMARK_FRACTION = 0.02  # of the box width
CONFIDENCE = 0.02
E2E_POINTS = 0.5


def match(py_faces, other_faces) -> list[tuple[int, int, float]]:
    """Pair each Python face with its best-overlapping other face: (py index, other index, IoU)."""
    pairs, free = [], set(range(len(other_faces)))
    for i, pf in enumerate(py_faces):
        if not free:
            break
        j = max(free, key=lambda k: iou(pf["box"], other_faces[k]["box"]))
        pairs.append((i, j, iou(pf["box"], other_faces[j]["box"])))
        free.discard(j)
    return pairs


def gate_problems(face: dict, gate: spec.FaceGate, who: str) -> list[str]:
    """Whether one side applied the gate to its own face as the rule says. (A live-mode face not
    scored on this frame, `scored: false`, keeps its last scoring's result, gate included.)"""
    if face.get("scored") is False:
        return []
    want = gate.reason(face["confidence"], face["refined_confidence"])
    if face.get("unscored") != want or (face["score"] is None) != (want is not None):
        return [f"{who}: confidences {face['confidence']:.5f}, refined {face['refined_confidence']:.5f} against the "
                f"gate's {gate} should give unscored {want!r}, got {face.get('unscored')!r} with score "
                f"{'null' if face['score'] is None else 'set'}"]
    return []


def compare_faces(py_faces: list[dict], other_faces: list[dict], who: str = "the browser",
                  gate: spec.FaceGate = spec.GATE) -> tuple[list[str], dict]:
    """(problems past the bounds, worst differences) of `other_faces` against Python's."""
    problems, worst, _ = face_differences(py_faces, other_faces, who, gate)
    return problems, worst


def face_differences(py_faces: list[dict], other_faces: list[dict], who: str = "the browser",
                     gate: spec.FaceGate = spec.GATE) -> tuple[list[str], dict, list[dict]]:
    """compare_faces, and a row per matched face: {python, other, iou, landmark_fraction,
    confidence, points (None when unscored on either side), same_emotion, problems}."""
    problems = []
    worst = {"faces": len(py_faces), "min_iou": 1.0, "landmark_fraction": 0.0, "confidence": 0.0,
             "e2e_points": 0.0, "emotion_mismatches": 0, "unscored": 0, "gate_straddles": 0}
    rows = []
    if len(other_faces) != len(py_faces):
        problems.append(f"{len(other_faces)} faces in {who}, {len(py_faces)} in Python")
    for i, j, overlap in match(py_faces, other_faces):
        pf, of = py_faces[i], other_faces[j]
        width = pf["box"][2] - pf["box"][0]
        landmark = float(np.abs(np.subtract(pf["landmarks"], of["landmarks"])).max()) / width
        confidence = max(abs(pf["confidence"] - of["confidence"]),
                         abs(pf["refined_confidence"] - of["refined_confidence"]))
        face = f"face {i} (box {np.round(pf['box'], 1).tolist()})"
        found = gate_problems(pf, gate, f"{face} in Python") + gate_problems(of, gate, f"{face} in {who}")
        row = {"python": i, "other": j, "box": list(pf["box"]), "iou": overlap, "landmark_fraction": landmark,
               "confidence": confidence, "points": None, "same_emotion": None, "problems": found}
        rows.append(row)
        worst["min_iou"] = min(worst["min_iou"], overlap)
        worst["landmark_fraction"] = max(worst["landmark_fraction"], landmark)
        worst["confidence"] = max(worst["confidence"], confidence)
        if overlap < MIN_IOU:
            found.append(f"{face}: IoU {overlap:.4f} < {MIN_IOU}")
        if landmark > LANDMARK_FRACTION:
            found.append(f"{face}: landmarks off by {landmark:.4f} of the box width > {LANDMARK_FRACTION}")
        if confidence > CONFIDENCE:
            found.append(f"{face}: confidence {of['confidence']:.4f} vs {pf['confidence']:.4f}, refined "
                         f"{of['refined_confidence']:.4f} vs {pf['refined_confidence']:.4f}")
        if (pf["score"] is None) != (of["score"] is None):  # the two confidences lie either side of the gate
            worst["gate_straddles"] += 1
        elif pf["score"] is None:
            worst["unscored"] += 1
        else:
            points = abs(pf["score"]["expected"] - of["score"]["expected"])
            same_emotion = pf["emotion"]["label"] == of["emotion"]["label"]
            row |= {"points": points, "same_emotion": same_emotion}
            worst["e2e_points"] = max(worst["e2e_points"], points)
            worst["emotion_mismatches"] += 0 if same_emotion else 1
            if points > E2E_POINTS:
                found.append(f"{face}: score {of['score']['expected']:.2f} vs {pf['score']['expected']:.2f} points")
            if not same_emotion:
                found.append(f"{face}: emotion {of['emotion']['label']} vs {pf['emotion']['label']} "
                             f"(Python probs {np.round(pf['emotion']['probs'], 3).tolist()})")
        problems += found
    return problems, worst, rows
