"""The converter's quantization map: how each weight is stored, as the tensorflowjs converter's node-name patterns.

A model says how its source stores each tensor with a `weight_storage` map in Keras terms,
{"<layer>/<weight>": dtype} (facepack.models.scorer.weight_storage). tensorflowjs instead names a
weight by the graph node that reads it and takes {dtype: [node name patterns]}; this module
translates the one into the other and checks that every pattern found its weight.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

# "source": each tensor as its source stores it (the model's `weight_storage` map; float32 where
# it has none); "none": float32; "float16", "uint8": every weight, at a stated cost (verify.py).
QUANTIZATIONS = ("source", "none", "float16", "uint8")
# Where a converted graph (TF 2.19, tensorflowjs 4.22) reads a Keras layer's weights: every node
# of layer L sits under "*/L_<n>/". A Conv2D's kernel is read by ".../convolution/ReadVariableOp";
# its bias, which Keras 3 adds as reshape(bias, (1, 1, 1, C)), is the folded ".../Squeeze".
_CONV_WEIGHT_NODES = {"kernel": "convolution/ReadVariableOp", "bias": "Squeeze"}


def graph_patterns(storage: dict[str, str]) -> dict[str, list[str]]:
    """{dtype: [node name patterns]} of a weight_storage map, float32 left out (the default).

    A layer whose weights are all stored one way is matched whole ("*/L_*/*"); one stored two
    ways (a uint8 kernel with a float16 bias) weight by weight, which only a Conv2D's can be.

    Raises:
        ValueError: a layer stored two ways has a weight other than a Conv2D's kernel and bias.
    """
    by_layer: dict[str, dict[str, str]] = {}
    for key, dtype in storage.items():
        layer, weight = key.rsplit("/", 1)
        by_layer.setdefault(layer, {})[weight] = dtype
    patterns: dict[str, list[str]] = {}
    for layer, weights in by_layer.items():
        if len(set(weights.values())) == 1:
            nodes = {"*": next(iter(weights.values()))}
        else:
            unknown = sorted(set(weights) - set(_CONV_WEIGHT_NODES))
            if unknown:
                raise ValueError(f"layer {layer} stores its weights in several dtypes, and {unknown} are not "
                                 "a Conv2D's kernel or bias: no graph node is known for them")
            nodes = {_CONV_WEIGHT_NODES[w]: dtype for w, dtype in weights.items()}
        for node, dtype in nodes.items():
            if dtype != "float32":
                patterns.setdefault(dtype, []).append(f"*/{layer}_*/{node}")
    return patterns


def quantization_map(quantize: str, storage: dict[str, str] | None) -> dict | None:
    """What tensorflowjs's `quantization_dtype_map` gets for `quantize` (QUANTIZATIONS); None: float32."""
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"--quantize must be one of {', '.join(QUANTIZATIONS)}, not {quantize!r}")
    if quantize == "source":
        return graph_patterns(storage or {}) or None
    return None if quantize == "none" else {quantize: "*"}


def check_patterns(model_json: Path, patterns: dict[str, list[str]]) -> None:
    """Every pattern must have matched a weight stored that way: a pattern that matches nothing
    means the converter's weight names changed."""
    weights = [w for g in json.loads(Path(model_json).read_text())["weightsManifest"] for w in g["weights"]]
    for dtype, dtype_patterns in patterns.items():
        stored = [w["name"] for w in weights if w.get("quantization", {}).get("dtype") == dtype]
        for pattern in dtype_patterns:
            if not fnmatch.filter(stored, pattern):
                raise ValueError(f"{model_json}: no weight matching {pattern} is stored as {dtype}; "
                                 "the converter's weight names may have changed")
