"""The embedded default scorer (facepack/default_scorer/): its card, trained weights and frozen backbone tensors.

The folder holds, written by `python -m training ship`:
    card.json     the architecture, recipe and test figures
    weights.npz   the trained layers (facepack.models.scorer.storage's layout)
and, written by `store_frozen_faceapi` from the npm package, so that the default builds without npm:
    faceapi_frozen-weights_manifest.json, faceapi_frozen.bin
                  face-api's tensors for every faceapi-resnet29 layer the card does not train,
                  byte for byte (a face-api weights file of their own)
    faceapi_frozen.source.json   where they come from, with the sha256 of each file
Without card.json and weights.npz the default is one faceapi-resnet29 branch with a seeded
random head, its backbone read from npm: it runs and exports, but its scores mean nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path

import keras
import numpy as np

from facepack import assets
from facepack.models.bundle_model import ModelError
from facepack.models.faceapi_resnet29 import copy_faceapi_weights
from facepack.models.scorer.architecture import ScorerArchitecture, build_scorer
from facepack.models.scorer.storage import set_stored_weights, trained_layers

DEFAULT_SCORER_DIR = Path(__file__).resolve().parents[2] / "default_scorer"
DEFAULT_WEIGHTS = DEFAULT_SCORER_DIR / "weights.npz"
DEFAULT_CARD = DEFAULT_SCORER_DIR / "card.json"
FROZEN_FACEAPI = DEFAULT_SCORER_DIR / "faceapi_frozen-weights_manifest.json"
FROZEN_FACEAPI_SOURCE = DEFAULT_SCORER_DIR / "faceapi_frozen.source.json"


def default_card() -> dict | None:
    return json.loads(DEFAULT_CARD.read_text()) if DEFAULT_CARD.is_file() else None


def default_scorer_is_trained() -> bool:
    return DEFAULT_WEIGHTS.is_file() and DEFAULT_CARD.is_file()


def _faceapi_layer(tensor: str) -> str:
    """The Keras layer a face-api tensor belongs to: "conv64_down/conv1/scale/weights" -> "conv64_down.conv1"."""
    return tensor.rsplit("/", 2)[0].replace("/", ".")


def store_frozen_faceapi(trained: Collection[str], dest: Path = DEFAULT_SCORER_DIR) -> dict:
    """Copy from npm face-api's tensors for the faceapi-resnet29 layers not in `trained` (the
    card's `layers`; `fc`, which a scorer does not use, left out) into `dest`: FROZEN_FACEAPI's
    manifest and .bin, and FROZEN_FACEAPI_SOURCE, the record of where they come from.

    Returns:
        The source record.
    """
    npm_manifest, npm_bin = assets.faceapi_recognition_weights()
    manifest = Path(dest) / FROZEN_FACEAPI.name
    kept = copy_faceapi_weights(npm_manifest, npm_bin, lambda t: t != "fc" and _faceapi_layer(t) not in trained,
                                manifest)
    weights_bin = manifest.with_name(json.loads(manifest.read_text())[0]["paths"][0])
    package = json.loads((assets.faceapi_dir() / "package.json").read_text())
    record = {
        "about": "face-api's tensors for the faceapi-resnet29 layers the default scorer does not train, byte for "
                 "byte as in the source (weights.npz holds the trained ones); written by "
                 "facepack.models.scorer.default.store_frozen_faceapi",
        "source": {"package": f"{package['name']} {package['version']}",
                   "sha256": {f"model/{p.name}": _sha256(p) for p in (npm_manifest, npm_bin)}},
        "layers": list(dict.fromkeys(_faceapi_layer(t) for t in kept)),
        "sha256": {p.name: _sha256(p) for p in (manifest, weights_bin)},
    }
    (Path(dest) / FROZEN_FACEAPI_SOURCE.name).write_text(json.dumps(record, indent=1) + "\n")
    return record


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_frozen_layers(model: keras.Model, trained: Collection[str]) -> None:
    """Every faceapi-resnet29 layer must be frozen (FROZEN_FACEAPI) or trained (weights.npz).

    Raises:
        ModelError: a layer is neither, so it would keep its random initial weights.
    """
    frozen = {_faceapi_layer(entry["name"]) for entry in json.loads(FROZEN_FACEAPI.read_text())[0]["weights"]}
    branch = model.get_layer("branch.faceapi-resnet29")
    unset = [name for name, layer in trained_layers(branch).items()
             if isinstance(layer, keras.layers.Conv2D) and name not in frozen and name not in trained]
    if unset:
        raise ModelError(f"{FROZEN_FACEAPI.name} lacks face-api's tensors for {', '.join(unset[:5])}, which the "
                         "card does not train: write it again with store_frozen_faceapi(card['layers'])")


def build_default_scorer(weights_file: Path = DEFAULT_WEIGHTS, card_file: Path = DEFAULT_CARD) -> keras.Model:
    """The embedded default: the architecture in its card, faceapi-resnet29's frozen layers from
    FROZEN_FACEAPI (other backbones from npm), and the layers `python -m training ship` trained
    from `weights.npz`. Without those files, one faceapi-resnet29 branch from npm with a seeded
    random head: it runs and exports, but its scores mean nothing (the manifest says so)."""
    if not (Path(weights_file).is_file() and Path(card_file).is_file()):
        return build_scorer(ScorerArchitecture())
    card = json.loads(Path(card_file).read_text())
    architecture = ScorerArchitecture.from_dict(card["architecture"])
    faceapi = "faceapi-resnet29" in architecture.branches
    model = build_scorer(architecture, backbone_weights={"faceapi-resnet29": FROZEN_FACEAPI} if faceapi else None)
    if faceapi:
        _check_frozen_layers(model, card["layers"])
    with np.load(weights_file) as stored:
        set_stored_weights(model, {k: stored[k] for k in stored.files})
    return model
