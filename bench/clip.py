"""A generated video clip for live mode: face-api's demo photo sample1 (three faces) seen through a
640x480 window (or another size: the same view, more pixels) that pans, zooms and turns over
`frames` frames. Deterministic; used by the live
mode tests (tests/browser/test_live.py) and `python -m bench`."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from facepack import assets
from facepack.images import load_image

WIDTH, HEIGHT = 640, 480


def clip_frames(frames: int = 100, size: tuple[int, int] = (WIDTH, HEIGHT)) -> list[np.ndarray]:
    """RGB uint8 (height, width, 3) frames; `size` is (width, height)."""
    width, height = size
    photo = Image.fromarray(load_image(assets.sample_photos()[0]))
    out = []
    for i in range(frames):
        t = i / max(frames - 1, 1)
        angle = math.radians(18 * math.sin(2 * math.pi * t))  # the camera turns up to 18 degrees
        zoom = 1.0 + 0.25 * math.sin(math.pi * t)  # and comes 25% closer halfway through
        cx = 1050 + 200 * math.sin(2 * math.pi * t)  # while panning across the three faces
        cy = 430 + 60 * math.cos(2 * math.pi * t)
        scale = 2.4 * WIDTH / width / zoom  # source pixels per frame pixel
        cos, sin = math.cos(angle) * scale, math.sin(angle) * scale
        # frame (u, v) shows the photo at centre + R(angle) * scale * (u - W/2, v - H/2)
        coeffs = (cos, -sin, cx - cos * width / 2 + sin * height / 2,
                  sin, cos, cy - sin * width / 2 - cos * height / 2)
        frame = photo.transform((width, height), Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
        out.append(np.asarray(frame))
    return out
