"""How a scorer's weights are stored: the weights.npz layout of trained layers, and each tensor's dtype in a bundle."""

from __future__ import annotations

from collections.abc import Collection

import keras
import numpy as np

from facepack.models.bundle_model import ModelError
from facepack.models.scorer.architecture import BACKBONES, ScorerArchitecture
from facepack.models.uint8_grid import dequantize_uint8, quantize_uint8

# Trained kernels are stored uint8 (half of float16) while, all together, they move the validation
# scores by at most this many points on average (`training ship` measures it); the rest float16.
UINT8_SHIFT_BUDGET = 0.2  # issue 13: "scores stay within 0.2 points"


def trained_layers(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """Every layer with weights, by name, looking inside branch sub-models."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(trained_layers(layer))
        elif layer.weights:
            found[layer.name] = layer
    return found


def store_trained_weights(layers: list[keras.layers.Layer], uint8_kernels: Collection[str] | None = None,
                          ) -> dict[str, np.ndarray]:
    """The weights.npz layout of trained layers: the convolution kernels of `uint8_kernels` (layer
    names; None: every one) as uint8 on their own grid ("<layer>/<index>:q", ":scale", ":min"),
    everything else float16 ("<layer>/<index>")."""
    stored = {}
    for layer in layers:
        for i, w in enumerate(layer.get_weights()):
            key = f"{layer.name}/{i}"
            if w.ndim == 4 and (uint8_kernels is None or layer.name in uint8_kernels):
                q, scale, low = quantize_uint8(w)
                stored.update({f"{key}:q": q, f"{key}:scale": np.float64(scale), f"{key}:min": np.float64(low)})
            else:
                stored[key] = w.astype(np.float16)
    return stored


def set_stored_weights(model: keras.Model, stored: dict[str, np.ndarray]) -> None:
    """Load the weights.npz layout (store_trained_weights) into `model`'s layers."""
    by_layer: dict[str, dict[int, np.ndarray]] = {}
    for key, value in stored.items():
        if key.endswith((":scale", ":min")):
            continue
        if key.endswith(":q"):
            base = key[:-2]
            value = dequantize_uint8(value, float(stored[f"{base}:scale"]), float(stored[f"{base}:min"]))
            key = base
        layer, index = key.rsplit("/", 1)
        by_layer.setdefault(layer, {})[int(index)] = np.asarray(value, np.float32)
    layers = trained_layers(model)
    missing = sorted(set(by_layer) - set(layers))
    if missing:
        raise ModelError(f"stored scorer weights name layers the architecture lacks: {', '.join(missing[:5])}")
    for name, weights in by_layer.items():
        layers[name].set_weights([weights[i] for i in sorted(weights)])


def weight_storage(model: keras.Model, architecture: ScorerArchitecture, trained: list[str],
                   uint8_kernels: Collection[str] | None = None) -> dict[str, str]:
    """How a bundle stores each of this scorer's tensors: {"<layer>/<weight>": "uint8" | "float16"
    | "float32"}, e.g. {"conv256_1.conv1/kernel": "uint8"}, for every weight of the model; as its
    source stores it. A backbone's frozen convolution kernels as its package stores them
    (face-api: uint8; Human: float16); a trained layer as weights.npz stores it (the convolution
    kernels of `uint8_kernels`, None: all, uint8; the rest float16); everything else float32.
    Since every such tensor is already on its grid, the bundle holds exactly the Keras values."""
    branch_of = {}
    for branch in architecture.branches:
        sub = next((m for m in model.layers if m.name == f"branch.{branch}"), model)
        branch_of.update({name: branch for name in trained_layers(sub)})
    storage = {}
    for name, layer in trained_layers(model).items():
        is_conv = isinstance(layer, keras.layers.Conv2D)
        frozen_kernels = BACKBONES[branch_of.get(name, architecture.branches[0])].kernels
        for weight in layer.weights:
            is_kernel = is_conv and weight is layer.kernel
            if name in trained:
                uint8 = is_kernel and (uint8_kernels is None or name in uint8_kernels)
                dtype = "uint8" if uint8 else "float16"
            else:
                dtype = frozen_kernels if is_kernel else "float32"
            storage[f"{name}/{weight.name}"] = dtype
    return storage
