"""The same small face photo in every format and mode a user may drop, as (name, bytes).

facepack/images.py and js/src/image.js must turn each into the same RGB bytes.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image

from facepack import assets
from facepack.images import load_image
from tests.support.photos import encode


def png16_rgb(values: np.ndarray) -> bytes:
    """A 16-bit RGB PNG (Pillow cannot write one): (H, W, 3) uint16."""
    height, width, _ = values.shape
    raw = b"".join(b"\x00" + values[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def face_photo() -> Image.Image:
    """One face, 240x220, cut from face-api's sample2."""
    return Image.fromarray(load_image(assets.sample_photos()[1])).crop((1300, 60, 1780, 500)).resize((240, 220))


def all_formats() -> list[tuple[str, bytes]]:
    base = face_photo()
    rng = np.random.default_rng(0)
    rgba = np.array(base.convert("RGBA"))
    rgba[..., 3] = np.linspace(0, 255, rgba.shape[1]).astype(np.uint8)[None, :]  # a transparency ramp
    grey16 = np.array(base.convert("L")).astype(np.uint16) * 257 + rng.integers(0, 257, (220, 240)).astype(np.uint16)
    rgb16 = np.array(base).astype(np.uint16) * 257 + rng.integers(0, 257, (220, 240, 3)).astype(np.uint16)
    palette = base.convert("P", palette=Image.Palette.ADAPTIVE)
    return [
        ("rgb.jpg", encode(base, "JPEG", quality=90)),
        ("grey.jpg", encode(base.convert("L"), "JPEG", quality=90)),
        ("cmyk.jpg", encode(base.convert("CMYK"), "JPEG", quality=90)),
        ("palette.png", encode(palette, "PNG")),
        ("palette-transparent.png", encode(palette, "PNG", transparency=0)),
        ("palette.gif", encode(palette, "GIF")),
        ("grey16.png", encode(Image.fromarray(grey16), "PNG")),
        ("rgb16.png", png16_rgb(rgb16)),
        ("rgba.png", encode(Image.fromarray(rgba), "PNG")),
        ("grey-alpha.png", encode(Image.fromarray(rgba).convert("LA"), "PNG")),
        ("rgb.webp", encode(base, "WEBP", quality=90)),
        ("rgb.bmp", encode(base, "BMP")),
    ]


def bad_inputs() -> list[tuple[str, bytes]]:
    """Files that are not usable photos: each must get a clear message, never a crash."""
    jpeg = encode(face_photo(), "JPEG", quality=90)
    tiny_png = encode(Image.new("RGB", (1, 1)), "PNG")
    ihdr = b"IHDR" + struct.pack(">II", 12_000, 12_000) + tiny_png[24:29]
    huge = tiny_png[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + tiny_png[33:]
    return [
        ("notes.txt", b"not a photo at all"),
        ("empty.jpg", b""),
        ("truncated.jpg", jpeg[: len(jpeg) // 3]),
        ("header-only.png", tiny_png[:40]),
        ("huge-header.png", huge),  # claims 144 megapixels
    ]
