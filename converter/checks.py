"""Fixed inputs with Keras's outputs, stored in the bundle so any copy of it can be re-checked.

Inputs are uint8 RGB pixels cut from face-api's sample photos (plus one noise image), so they
exercise the real value range; the model's input is made from them by the manifest's own
preprocessing rule (`model_input`), the same rule the browser applies. Expected outputs are
computed by the original Keras model in float32, before any folding or conversion.

Layout in the bundle:
    checks/checks.json                 [{id, model, shape, input, expected: {output: {file, shape}}}]
    checks/<id>.input.u8               uint8 NHWC pixels
    checks/<id>.<output>.f32           float32 little-endian
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from facepack import assets
from facepack.manifest import ModelInput
from facepack.models import BundleModel

CHECKS_DIR = "checks"
CHECKS_JSON = f"{CHECKS_DIR}/checks.json"
_SEED = 7


@dataclass
class CheckCase:
    id: str
    model: str
    pixels: np.ndarray  # uint8, NHWC
    expected: dict[str, np.ndarray]  # output name -> float32


def model_input(pixels: np.ndarray, rule: ModelInput) -> np.ndarray:
    """The float32 tensor a model gets for these pixels, by the manifest's `input` rule."""
    x = pixels.astype(np.float32)
    if rule.normalization == "outside_graph":
        x = (x - np.float32(rule.pixel_offset)) / np.float32(rule.pixel_divisor)
    return x


@functools.cache
def _photos() -> tuple[Image.Image, ...]:
    """Three of face-api's sample photos, decoded once per process."""
    return tuple(Image.open(p).convert("RGB") for p in assets.sample_photos()[:3])


def _square_patches(size: int, count: int) -> np.ndarray:
    """`count` square patches, `size` px, from fixed places in the sample photos + one noise image."""
    photos = _photos()
    patches = []
    for i in range(count - 1):
        photo = photos[i % len(photos)]
        side = min(photo.size) // (2 + i % 3)
        left = (photo.width - side) * (1 + i) // (count + 1)
        top = (photo.height - side) // 3
        patch = photo.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR)
        patches.append(np.asarray(patch))
    noise = np.random.default_rng(_SEED).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return np.stack([*patches, noise])


def _pnet_images() -> list[np.ndarray]:
    """Two whole photos shrunk to odd sizes: PNet's input size is free, so test two of them."""
    photos = _photos()
    return [np.asarray(photos[0].resize((83, 61), Image.BILINEAR))[None],
            np.asarray(photos[1].resize((37, 50), Image.BILINEAR))[None]]


def build_cases(bundle_model: BundleModel, rule: ModelInput) -> list[CheckCase]:
    """Fixed inputs for one model, with the Keras outputs for them."""
    if bundle_model.input_shape[1] is None:
        batches = _pnet_images()
    else:
        batches = [_square_patches(bundle_model.input_shape[1], count=4)]
    cases = []
    for i, pixels in enumerate(batches):
        outputs = bundle_model(model_input(pixels, rule))
        expected = {name: np.asarray(out, np.float32) for name, out in zip(bundle_model.outputs, outputs, strict=True)}
        cases.append(CheckCase(f"{bundle_model.name}-{i}", bundle_model.name, pixels, expected))
    return cases


def write_cases(bundle_dir: Path, cases: list[CheckCase]) -> None:
    folder = Path(bundle_dir) / CHECKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    index = []
    for case in cases:
        case.pixels.astype(np.uint8).tofile(folder / f"{case.id}.input.u8")
        expected = {}
        for name, values in case.expected.items():
            values.astype("<f4").tofile(folder / f"{case.id}.{name}.f32")
            expected[name] = {"file": f"{case.id}.{name}.f32", "shape": list(values.shape)}
        index.append({"id": case.id, "model": case.model, "shape": list(case.pixels.shape),
                      "input": f"{case.id}.input.u8", "expected": expected})
    (folder / "checks.json").write_text(json.dumps(index, indent=1) + "\n")


def read_cases(bundle_dir: Path) -> list[CheckCase]:
    folder = Path(bundle_dir) / CHECKS_DIR
    cases = []
    for entry in json.loads((folder / "checks.json").read_text()):
        pixels = np.fromfile(folder / entry["input"], np.uint8).reshape(entry["shape"])
        expected = {name: np.fromfile(folder / e["file"], "<f4").reshape(e["shape"])
                    for name, e in entry["expected"].items()}
        cases.append(CheckCase(entry["id"], entry["model"], pixels, expected))
    return cases
