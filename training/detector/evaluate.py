"""How good a detector is on held-out photos with known faces, and how close two detectors are.

For each photo the detections are matched to the true faces greedily, most confident first, at
IoU >= 0.5 (each true face and each detection matched at most once):

    recall            matched true faces / true faces
    false per photo   unmatched detections / photos
    mean IoU          over matched pairs
    landmark error    mean distance of the 5 points to the true ones, divided by the distance
                      between the true eye centres (NME), over matched faces with true landmarks
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from facepack.detect import Detector, Face
from training.detector.annotations import PhotoFaces
from training.detector.samples import iou_matrix

MATCH_IOU = 0.5


def match(faces: list[Face], truth: np.ndarray, min_iou: float = MATCH_IOU) -> list[tuple[int, int, float]]:
    """(detection index, true face index, IoU) of each match, most confident detection first."""
    if not faces or not len(truth):
        return []
    overlaps = iou_matrix(np.array([f.box for f in faces]), truth)
    taken: set[int] = set()
    pairs = []
    for d in sorted(range(len(faces)), key=lambda i: -faces[i].confidence):
        candidates = [(overlaps[d, t], t) for t in range(len(truth)) if t not in taken and overlaps[d, t] >= min_iou]
        if candidates:
            iou, t = max(candidates)
            taken.add(t)
            pairs.append((d, t, float(iou)))
    return pairs


def landmark_error(predicted: np.ndarray, true: np.ndarray) -> float:
    """Mean point distance / distance between the true eye centres (points 0 and 1)."""
    eyes = np.linalg.norm(true[0] - true[1])
    return float(np.mean(np.linalg.norm(predicted - true, axis=1)) / eyes)


def detect_photos(detector: Detector, photos: list[PhotoFaces], load: Callable, desc: str,
                  batch: int = 16) -> list[list[Face]]:
    """The detector's faces on each photo; photos of one shape go through in batches."""
    faces: list[list[Face] | None] = [None] * len(photos)
    by_shape: dict[tuple, list[tuple[int, np.ndarray]]] = defaultdict(list)
    bar = tqdm(total=len(photos), desc=desc, unit="img")

    def flush(group):
        for (i, _), found in zip(group, detector.detect([im for _, im in group]), strict=True):
            faces[i] = found
        bar.update(len(group))
        group.clear()

    for i, photo in enumerate(photos):
        image = load(photo.path)
        group = by_shape[image.shape]
        group.append((i, image))
        if len(group) == batch:
            flush(group)
    for group in by_shape.values():
        if group:
            flush(group)
    bar.close()
    return faces


def score_detections(photos: list[PhotoFaces], detections: list[list[Face]]) -> dict:
    """The module docstring's figures, plus the per-face values the plots draw."""
    n_true = matched = false = 0
    ious, errors = [], []
    for photo, faces in zip(photos, detections, strict=True):
        pairs = match(faces, photo.boxes)
        n_true += len(photo.boxes)
        matched += len(pairs)
        false += len(faces) - len(pairs)
        for d, t, iou in pairs:
            ious.append(iou)
            if photo.landmarks is not None:
                errors.append(landmark_error(faces[d].landmarks, photo.landmarks[t]))
    errors_arr = np.asarray(errors)
    return {
        "photos": len(photos),
        "faces": n_true,
        "recall": matched / max(n_true, 1),
        "false_per_photo": false / max(len(photos), 1),
        "false_detections": false,
        "mean_iou": float(np.mean(ious)) if ious else None,
        "landmark_error": {"mean": float(errors_arr.mean()), "median": float(np.median(errors_arr)),
                           "p95": float(np.percentile(errors_arr, 95)), "n": len(errors)} if errors else None,
        "ious": [round(v, 4) for v in ious],
        "landmark_errors": [round(float(v), 5) for v in errors],
    }


def agreement(mine: list[list[Face]], package: list[list[Face]], names: list[str]) -> dict:
    """How close two detectors are on the same photos (information, not a bar): faces found by
    each, faces they share (IoU >= 0.5), the shared faces' mean IoU and landmark distance in
    units of the package face's eye distance."""
    rows = {}
    for name, a, b in zip(names, mine, package, strict=True):
        pairs = match(a, np.array([f.box for f in b]).reshape(-1, 4))
        rows[name] = {
            "trained": len(a), "package": len(b), "shared": len(pairs),
            "mean_iou": float(np.mean([p[2] for p in pairs])) if pairs else None,
            "landmark_distance": float(np.mean([landmark_error(a[d].landmarks, b[t].landmarks) for d, t, _ in pairs]))
            if pairs else None,
        }
    return rows


def public_figures(scores: dict) -> dict:
    """The figures without the per-face lists (for the summary, the manifest and the card)."""
    return {k: v for k, v in scores.items() if k not in ("ious", "landmark_errors")}


