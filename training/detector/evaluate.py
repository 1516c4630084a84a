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




# ONet passes after the cascade that a trained detector may choose from (facepack.detect.detector_spec).
MAX_REFINEMENTS = 3
# A pass more must lower the validation photos' error by more than this to be kept: the mean landmark
# error (NME), or 1 - mean IoU where the photos have no true landmarks. Each pass costs an ONet run
# per face; where a trained ONet overshoots, it also multiplies small differences between runtimes.
REFINEMENT_GAIN = 0.001


def fewest_passes(errors: dict[int, float], gain: float = REFINEMENT_GAIN) -> int:
    """The fewest passes whose error is within `gain` of the lowest one."""
    best = min(errors.values())
    return min(passes for passes, error in errors.items() if error <= best + gain)


def choose_refinements(detector: Detector, photos: list[PhotoFaces], load: Callable) -> dict:
    """Run `detector` on validation `photos` with 0..MAX_REFINEMENTS ONet passes; the count
    fewest_passes picks, the rule, and the figures of each count (what cascade.json holds).
    Leaves `detector.spec` at the chosen count."""
    import dataclasses

    if not photos:
        raise ValueError("choose_refinements needs validation photos")
    figures = {}
    for passes in range(MAX_REFINEMENTS + 1):
        detector.spec = dataclasses.replace(detector.spec, onet_refinements=passes)
        figures[passes] = public_figures(score_detections(
            photos, detect_photos(detector, photos, load, f"validation photos, {passes} passes")))
    landmarks = all(f["landmark_error"] is not None for f in figures.values())
    measure = "mean landmark error" if landmarks else "1 - mean IoU (no true landmarks)"
    errors = {p: f["landmark_error"]["mean"] if landmarks else 1 - (f["mean_iou"] or 0) for p, f in figures.items()}
    chosen = fewest_passes(errors)
    detector.spec = dataclasses.replace(detector.spec, onet_refinements=chosen)
    return {
        "onet_refinements": chosen,
        "rule": f"the fewest ONet passes (0-{MAX_REFINEMENTS}) whose {measure} on the {len(photos)} "
                f"validation photos is within {REFINEMENT_GAIN} of the lowest",
        "validation": {str(p): {"recall": f["recall"], "mean_iou": f["mean_iou"],
                                "landmark_error": f["landmark_error"] and f["landmark_error"]["mean"]}
                       for p, f in figures.items()},
    }
