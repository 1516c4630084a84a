"""The crop rule (facepack.spec.CropRule): the square patch a model sees, cut from the photo.

    face (box, 5 landmarks) -> square: centre, side, angle (`crop_square`)
                            -> output x output samples on that square's grid (`sample_square`)

Output pixel (u, v), u the column, sits at
    x = cx + cos(a) * du - sin(a) * dv,   y = cy + sin(a) * du + cos(a) * dv,
    du = (u - (output - 1) / 2) * side / (output - 1), dv likewise with v,
so the first and last samples fall on the square's edges (TensorFlow's crop_and_resize
convention) and, with `rule.rotate == "eyes"`, the square's x axis runs along the line from the
left eye to the right eye, which levels the eyes. A sample is bilinear in the four pixels
around it (left/right first, then top/bottom); a sample outside the photo
(x < 0, x > W - 1, y < 0 or y > H - 1) reads `rule.fill`. All arithmetic is float64.

The browser cuts the same grid (facepack-js `crop.js`); the parity suite holds the two together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from facepack.detect import Face
from facepack.spec import CropRule


@dataclass(frozen=True)
class Square:
    """Where a crop is cut: centre (pixels), side (pixels) and angle (radians, image axes: y down)."""

    cx: float
    cy: float
    side: float
    angle: float


def eye_angle(landmarks: np.ndarray) -> float:
    """Angle of the line from the left eye to the right eye (landmarks 0 and 1), in radians."""
    (lx, ly), (rx, ry) = np.asarray(landmarks, np.float64)[:2]
    return math.atan2(ry - ly, rx - lx)


def crop_square(face: Face, rule: CropRule) -> Square:
    """The square `rule` cuts around `face`."""
    marks = np.asarray(face.landmarks, np.float64)
    if rule.anchor == "landmarks":
        eyes = marks[0:2].mean(axis=0)
        mouth = marks[3:5].mean(axis=0)
        cx, cy = (eyes + mouth) / 2
        side = rule.size * float(np.linalg.norm(mouth - eyes))
    else:
        x1, y1, x2, y2 = np.asarray(face.box, np.float64)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        side = rule.size * float(max(x2 - x1, y2 - y1))
    angle = eye_angle(marks) if rule.rotate == "eyes" else 0.0
    return Square(float(cx), float(cy), max(side, 1.0), angle)


def sample_square(image: np.ndarray, square: Square, output: int, fill: float = 0.0) -> np.ndarray:
    """(output, output, C) float32 bilinear samples of `image` (H, W, C) on `square`'s grid."""
    height, width = image.shape[:2]
    step = square.side / (output - 1)
    offsets = (np.arange(output, dtype=np.float64) - (output - 1) / 2) * step
    du, dv = np.meshgrid(offsets, offsets)  # du varies along a row, dv down a column
    cos, sin = math.cos(square.angle), math.sin(square.angle)
    x = square.cx + cos * du - sin * dv
    y = square.cy + sin * du + cos * dv
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    x, y = np.where(inside, x, 0.0), np.where(inside, y, 0.0)
    left, top = np.floor(x).astype(np.intp), np.floor(y).astype(np.intp)
    right, bottom = np.ceil(x).astype(np.intp), np.ceil(y).astype(np.intp)
    dx, dy = (x - left)[..., None], (y - top)[..., None]
    def at(rows, cols):  # gathered, then widened: a big photo is never copied as floats
        return image[rows, cols].astype(np.float64)

    tl, tr, bl, br = at(top, left), at(top, right), at(bottom, left), at(bottom, right)
    upper = tl + (tr - tl) * dx
    lower = bl + (br - bl) * dx
    out = upper + (lower - upper) * dy
    out[~inside] = fill
    return out.astype(np.float32)


def crop_faces(image: np.ndarray, faces: list[Face], rule: CropRule) -> np.ndarray:
    """Float32 (n, rule.output, rule.output, 3) patches, RGB values in [0, 255]."""
    patches = [sample_square(image, crop_square(face, rule), rule.output, rule.fill) for face in faces]
    if not patches:
        return np.zeros((0, rule.output, rule.output, image.shape[2] if image.ndim == 3 else 1), np.float32)
    return np.stack(patches)
