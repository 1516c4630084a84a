"""Parity fixtures: face-api's six demo photos plus generated cases, as (name, file bytes).

Generated from the demo photos or from noise, never from SCUT-FBP5500 (its licence).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from facepack import assets
from facepack.images import load_image

EXIF_ORIENTATION = 274


def _encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


def generated() -> list[tuple[str, bytes]]:
    """Cases the demo photos do not cover."""
    sample2 = Image.fromarray(load_image(assets.sample_photos()[1]))
    sample4 = Image.fromarray(load_image(assets.sample_photos()[3]))
    sample5 = Image.fromarray(load_image(assets.sample_photos()[4]))
    noise = np.random.default_rng(0).integers(90, 170, (480, 640, 3), dtype=np.uint8)
    # Stored sideways with EXIF orientation 6 ("rotate 90 clockwise to show"): browser and
    # Python must both turn it upright.
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    sideways = sample4.resize((960, 724), Image.BILINEAR).transpose(Image.Transpose.ROTATE_90)
    return [
        ("no-face-noise.png", _encode(Image.fromarray(noise), "PNG")),
        # One face, small photo: sample2's face region at half size (lossless PNG).
        ("one-face-small.png", _encode(sample2.crop((1300, 60, 1780, 500)).resize((240, 220), Image.BILINEAR), "PNG")),
        ("exif-rotated.jpg", _encode(sideways, "JPEG", quality=92, exif=exif.tobytes())),
        # Longer side over spec.DETECTOR.max_side (2560): detected on a downscaled copy.
        ("large-3072.jpg", _encode(sample5.resize((3072, 2237), Image.BICUBIC), "JPEG", quality=90)),
        # Too small for one pyramid level: the cascade must return nothing, not fail.
        ("tiny.png", _encode(sample2.resize((24, 16)), "PNG")),
    ]


def all_photos() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in assets.sample_photos()] + generated()
