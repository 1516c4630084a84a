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


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    """`image` written as a FMT file (Pillow's writer and options)."""
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


# Face boxes (x1, y1, x2, y2) the `mtcnn` package finds in face-api's demo photos 1-6.
DEMO_FACES = {
    0: [(418, 359, 598, 596), (828, 420, 1035, 659), (1477, 206, 1681, 427)],
    1: [(1439, 167, 1636, 395)],
    2: [(1066, 203, 1286, 504), (587, 325, 790, 598), (1499, 286, 1699, 582)],
    3: [(985, 182, 1157, 413), (1269, 167, 1427, 375), (648, 69, 823, 286), (264, 201, 442, 443)],
    4: [(596, 418, 764, 659), (785, 110, 950, 329), (1114, 207, 1286, 429), (1405, 392, 1602, 662)],
    5: [(1478, 254, 1688, 558), (666, 330, 860, 631), (258, 491, 464, 766), (1170, 313, 1368, 589)],
}


def many_faces(cell: int = 110, columns: int = 7) -> Image.Image:
    """The 19 large demo faces and their mirror images, tiled: 38 faces in one photo."""
    faces = []
    for index, boxes in DEMO_FACES.items():
        photo = Image.fromarray(load_image(assets.sample_photos()[index]))
        for x1, y1, x2, y2 in boxes:
            side = 1.3 * max(x2 - x1, y2 - y1)
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            faces.append(photo.crop((int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2)))
                         .resize((cell, cell), Image.BILINEAR))
    faces += [f.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for f in faces]
    rows = -(-len(faces) // columns)
    sheet = Image.new("RGB", (columns * cell, rows * cell), (128, 128, 128))
    for i, face in enumerate(faces):
        sheet.paste(face, ((i % columns) * cell, (i // columns) * cell))
    return sheet


def tiny_face() -> Image.Image:
    """One face about 30 px wide (the detector's smallest is 20 px) on a 400x300 grey photo."""
    x1, y1, x2, y2 = DEMO_FACES[1][0]
    face = Image.fromarray(load_image(assets.sample_photos()[1])).crop((x1 - 20, y1 - 20, x2 + 20, y2 + 20))
    photo = Image.new("RGB", (400, 300), (120, 120, 120))
    photo.paste(face.resize((36, 40), Image.BILINEAR), (180, 130))
    return photo


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
        ("no-face-noise.png", encode(Image.fromarray(noise), "PNG")),
        # One face, small photo: sample2's face region at half size (lossless PNG).
        ("one-face-small.png", encode(sample2.crop((1300, 60, 1780, 500)).resize((240, 220), Image.BILINEAR), "PNG")),
        ("exif-rotated.jpg", encode(sideways, "JPEG", quality=92, exif=exif.tobytes())),
        # Longer side three times spec.DETECTOR.max_side: detected on a downscaled copy.
        ("large-3072.jpg", encode(sample5.resize((3072, 2237), Image.BICUBIC), "JPEG", quality=90)),
        ("many-faces.png", encode(many_faces(), "PNG")),
        ("tiny-face.png", encode(tiny_face(), "PNG")),
        # Too small for one pyramid level: the cascade must return nothing, not fail.
        ("tiny.png", encode(sample2.resize((24, 16)), "PNG")),
    ]


def all_photos() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in assets.sample_photos()] + generated()


# The photos the software backends here are not given.
# - many-faces.png (38 faces) runs the scorer twice over 38 faces, end to end and on Python's
#   crops. On webgl (SwiftShader) it took 135 s and on cpu 210 s of a 45-minute suite
#   (clean-clone run of d6d8d22), and what it adds there, many faces in one batch, wasm checks.
# - large-3072.jpg and exif-rotated.jpg test the way in: the downscaled detection copy and the
#   EXIF turn are the page's JavaScript and the browser's decoder, the same on every backend,
#   and their faces are sample5's and sample4's, which the software backends analyse anyway. On
#   webgl they took 40 s and 40 s, on cpu 37 s and 30 s (clean-clone run of ec6efa1); wasm
#   holds them to Python.
# The per-op kernels of webgl and cpu run on the other photos.
SOFTWARE_BACKENDS = ("webgl", "cpu")
HEAVY_PHOTOS = ("many-faces.png", "large-3072.jpg", "exif-rotated.jpg")


def held_on(backend: str, name: str) -> bool:
    """Whether parity photo `name` runs on `backend` here: all do, but HEAVY_PHOTOS on the
    software backends."""
    return not (backend in SOFTWARE_BACKENDS and name in HEAVY_PHOTOS)
