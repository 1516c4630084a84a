"""The crop rule (facepack.spec.CropRule): the square patch a model sees, cut from the photo.

The browser does the same with tf.image.cropAndResize: boxes in normalised coordinates where
0 and 1 are the centres of the first and last pixel (y_norm = y / (H - 1)), bilinear sampling,
pixels outside the photo read as `rule.fill`.
"""

from __future__ import annotations

import numpy as np

from facepack.detect import Face
from facepack.spec import CropRule


def crop_square(face: Face, rule: CropRule) -> tuple[float, float, float]:
    """(centre x, centre y, side) of the square `rule` cuts around `face`, in pixels."""
    if rule.anchor == "landmarks":
        eyes = face.landmarks[0:2].mean(axis=0)
        mouth = face.landmarks[3:5].mean(axis=0)
        cx, cy = (eyes + mouth) / 2
        side = rule.size * float(np.linalg.norm(mouth - eyes))
    else:
        x1, y1, x2, y2 = face.box
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        side = rule.size * float(max(x2 - x1, y2 - y1))
    return float(cx), float(cy), max(side, 1.0)


def crop_boxes(faces: list[Face], rule: CropRule, height: int, width: int) -> np.ndarray:
    """(n, 4) boxes y1, x1, y2, x2 normalised for crop_and_resize."""
    boxes = []
    for face in faces:
        cx, cy, side = crop_square(face, rule)
        half = side / 2
        boxes.append([(cy - half) / (height - 1), (cx - half) / (width - 1),
                      (cy + half) / (height - 1), (cx + half) / (width - 1)])
    return np.asarray(boxes, np.float32).reshape(-1, 4)


def crop_faces(image: np.ndarray, faces: list[Face], rule: CropRule) -> np.ndarray:
    """Float32 (n, rule.output, rule.output, 3) patches, RGB values in [0, 255]."""
    import tensorflow as tf

    height, width = image.shape[:2]
    boxes = crop_boxes(faces, rule, height, width)
    if len(boxes) == 0:
        return np.zeros((0, rule.output, rule.output, 3), np.float32)
    patches = tf.image.crop_and_resize(
        tf.convert_to_tensor(image[None].astype(np.float32)), boxes, tf.zeros(len(boxes), tf.int32),
        (rule.output, rule.output), method=rule.resize, extrapolation_value=rule.fill)
    return patches.numpy()
