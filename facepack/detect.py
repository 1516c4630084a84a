"""Face detection with the `mtcnn` package (the reference the browser cascade must match).

The settings come from `facepack.spec.DETECTOR`, so Python, the manifest and the browser agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from facepack import spec

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass(frozen=True)
class Face:
    box: np.ndarray  # (4,) x1, y1, x2, y2 in pixels, float
    landmarks: np.ndarray  # (5, 2) x, y in pixels, in LANDMARKS order
    confidence: float


def _mtcnn_kwargs() -> dict:
    d = spec.DETECTOR
    return {
        "min_face_size": d.min_face_size, "min_size": d.min_size, "scale_factor": d.scale_factor,
        "threshold_pnet": d.threshold_pnet, "threshold_rnet": d.threshold_rnet, "threshold_onet": d.threshold_onet,
        "nms_pnet1": d.nms_pnet_per_scale, "nms_pnet2": d.nms_pnet_across_scales,
        "nms_rnet": d.nms_rnet, "nms_onet": d.nms_onet,
    }


# What the `mtcnn` package (1.0.0) does whatever it is told: DetectorSpec fields that describe
# it must say the same, or Python and the browser would run different detectors.
PACKAGE_FIXED = {"nms_pnet_method": "union", "nms_rnet_method": "union", "nms_onet_method": "min",
                 "pnet_stride": 2, "pnet_window_start": 1, "pnet_window_end": 12}


def check_package_settings(detector: spec.DetectorSpec = spec.DETECTOR) -> None:
    """Raise ValueError for a DetectorSpec value the `mtcnn` package cannot follow."""
    for field, fixed in PACKAGE_FIXED.items():
        if getattr(detector, field) != fixed:
            raise ValueError(f"DetectorSpec.{field} is {getattr(detector, field)!r}, but the mtcnn package "
                             f"(Python's detector) always uses {fixed!r}")


class Detector:
    """The `mtcnn` package's MTCNN, run with the project's detector settings."""

    def __init__(self) -> None:
        from mtcnn import MTCNN

        check_package_settings()
        self._mtcnn = MTCNN()

    def detect(self, images: list[np.ndarray]) -> list[list[Face]]:
        """Faces in each RGB uint8 image (H, W, 3); images of one call must share a shape
        (the package pads a batch to its largest image, which would change the pyramid)."""
        if not images:
            return []
        if len({im.shape for im in images}) != 1:
            raise ValueError("Detector.detect: images in one call must have the same shape")
        height, width = images[0].shape[:2]
        scale_x = scale_y = 1.0
        if max(height, width) > spec.DETECTOR.max_side:
            images, (scale_y, scale_x) = _downscaled(images)
        rows = self._mtcnn.detect_faces(list(images), box_format="xyxy", output_type="numpy",
                                        **_mtcnn_kwargs())
        faces: list[list[Face]] = [[] for _ in images]
        # A row: image index, x1, y1, x2, y2, confidence, then the 5 landmarks' x, then their y
        # (mtcnn.utils.landmarks.parse_landmarks; the docstring of its to_json says otherwise).
        for row in np.asarray(rows, np.float64).reshape(-1, 16):
            landmarks = np.stack([row[6:11], row[11:16]], axis=1) * [scale_x, scale_y]
            box = row[1:5] * [scale_x, scale_y, scale_x, scale_y]
            faces[int(row[0])].append(Face(box, landmarks, float(row[5])))
        return faces


def detection_size(height: int, width: int) -> tuple[int, int]:
    """(h, w) of the copy a photo is detected on: longer side spec.DETECTOR.max_side, the other
    side rounded half up (js/src/facepack.js computes the same)."""
    side = spec.DETECTOR.max_side
    if max(height, width) <= side:
        return height, width
    if height >= width:
        return side, max(1, math.floor(width * side / height + 0.5))
    return max(1, math.floor(height * side / width + 0.5)), side


def _downscaled(images: list[np.ndarray]) -> tuple[list[np.ndarray], tuple[float, float]]:
    """AREA-downscaled float copies and the (y, x) factors that map their pixels back."""
    import tensorflow as tf

    height, width = images[0].shape[:2]
    h, w = detection_size(height, width)
    small = tf.image.resize(np.stack(images).astype(np.float32), (h, w), method="area").numpy()
    return list(small), (height / h, width / w)


def main_face(faces: list[Face]) -> Face | None:
    """The face a one-face photo is about: the largest box (ties: the most confident)."""
    if not faces:
        return None
    return max(faces, key=lambda f: ((f.box[2] - f.box[0]) * (f.box[3] - f.box[1]), f.confidence))
