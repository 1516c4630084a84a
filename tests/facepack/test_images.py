"""facepack.images (the photo-reading policy shared with js/src/image.js) and the detection size cap."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from facepack import spec
from facepack.detect import detection_size
from facepack.images import ImageError, load_image


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def with_header_size(data: bytes, width: int, height: int) -> bytes:
    """The same PNG claiming another size in its header (a decompression-bomb shape)."""
    ihdr = struct.pack(">II", width, height) + data[24:29]
    chunk = b"IHDR" + ihdr
    return data[:12] + chunk + struct.pack(">I", zlib.crc32(chunk)) + data[33:]


def test_exif_orientation_is_applied():
    stored = Image.fromarray(np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10)
    exif = Image.Exif()
    exif[274] = 6  # rotate 90 clockwise to show
    buf = io.BytesIO()
    stored.save(buf, "JPEG", exif=exif.tobytes())
    assert load_image(buf.getvalue()).shape == (3, 2, 3)


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "RGBA", "LA", "I;16"])
def test_every_mode_becomes_rgb_uint8(mode):
    image = Image.new("RGB", (8, 6), (200, 100, 50)).convert(mode if mode != "I;16" else "I").convert(mode) \
        if mode != "I;16" else Image.fromarray(np.full((6, 8), 1000, np.uint16))
    buf = io.BytesIO()
    image.save(buf, "JPEG" if mode == "CMYK" else "PNG")
    got = load_image(buf.getvalue())
    assert got.dtype == np.uint8 and got.shape == (6, 8, 3)


def test_over_the_pixel_limit_is_refused_before_decoding():
    big = spec.IMAGES.max_pixels // 10_000 + 1
    data = with_header_size(png(Image.new("RGB", (1, 1))), 10_000, big)
    with pytest.raises(ImageError, match=r"^panorama.png is 10000x10001 = 100 megapixels; the limit is 100$"):
        load_image(data, "panorama.png")


@pytest.mark.parametrize("data", [b"", b"not an image", png(Image.new("RGB", (64, 64)))[:60]])
def test_unreadable_data_gets_a_clear_error(data):
    with pytest.raises(ImageError, match="upload.bin is not a readable image"):
        load_image(data, "upload.bin")


def test_detection_size_caps_the_longer_side():
    side = spec.DETECTOR.max_side
    assert detection_size(side * 2 // 3, side) == (side * 2 // 3, side)  # at the cap: unchanged
    assert detection_size(1280, 1920) == (round(1280 * side / 1920), side)
    assert detection_size(2237, 3072) == (round(2237 * side / 3072), side)
    assert detection_size(6000, 4000) == (side, round(4000 * side / 6000))
    assert detection_size(side, side + 1) == (side - 1, side)


def test_far_over_the_limit_gets_the_same_kind_of_message():
    data = with_header_size(png(Image.new("RGB", (1, 1))), 30_000, 30_000)  # 900 MP: Pillow refuses at open
    with pytest.raises(ImageError, match="the limit is 100"):
        load_image(data, "huge.png")
