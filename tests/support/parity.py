"""Holding another runtime's faces to the Python reference's: one comparison and one set of bounds,
for the browser (tests/browser/test_parity.py) and Node (tests/js/test_node_cli.py).

Bounds: the same number of faces; matched boxes IoU >= 0.95; landmarks within 2% of the box
width; confidence within 0.02; expected score within 0.5 points; the same emotion.
"""

from __future__ import annotations

import numpy as np

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


def compare_faces(py_faces: list[dict], other_faces: list[dict], who: str = "the browser") -> tuple[list[str], dict]:
    """(problems past the bounds, worst differences) of `other_faces` against Python's."""
    problems = []
    worst = {"faces": len(py_faces), "min_iou": 1.0, "landmark_fraction": 0.0, "confidence": 0.0,
             "e2e_points": 0.0, "emotion_mismatches": 0}
    if len(other_faces) != len(py_faces):
        problems.append(f"{len(other_faces)} faces in {who}, {len(py_faces)} in Python")
    for i, j, overlap in match(py_faces, other_faces):
        pf, of = py_faces[i], other_faces[j]
        width = pf["box"][2] - pf["box"][0]
        landmark = float(np.abs(np.subtract(pf["landmarks"], of["landmarks"])).max()) / width
        confidence = abs(pf["confidence"] - of["confidence"])
        points = abs(pf["score"]["expected"] - of["score"]["expected"])
        same_emotion = pf["emotion"]["label"] == of["emotion"]["label"]
        worst["min_iou"] = min(worst["min_iou"], overlap)
        worst["landmark_fraction"] = max(worst["landmark_fraction"], landmark)
        worst["confidence"] = max(worst["confidence"], confidence)
        worst["e2e_points"] = max(worst["e2e_points"], points)
        worst["emotion_mismatches"] += 0 if same_emotion else 1
        face = f"face {i} (box {np.round(pf['box'], 1).tolist()})"
        if overlap < MIN_IOU:
            problems.append(f"{face}: IoU {overlap:.4f} < {MIN_IOU}")
        if landmark > LANDMARK_FRACTION:
            problems.append(f"{face}: landmarks off by {landmark:.4f} of the box width > {LANDMARK_FRACTION}")
        if confidence > CONFIDENCE:
            problems.append(f"{face}: confidence {of['confidence']:.4f} vs {pf['confidence']:.4f}")
        if points > E2E_POINTS:
            problems.append(f"{face}: score {of['score']['expected']:.2f} vs {pf['score']['expected']:.2f} points")
        if not same_emotion:
            problems.append(f"{face}: emotion {of['emotion']['label']} vs {pf['emotion']['label']} "
                            f"(Python probs {np.round(pf['emotion']['probs'], 3).tolist()})")
    return problems, worst
