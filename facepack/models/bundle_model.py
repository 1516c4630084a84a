"""The contract every model of a bundle meets: `BundleModel`, and `ModelError` for a model that fails it.

A `BundleModel` is a Keras model plus what the manifest must say about it: NHWC float32
input, a fixed list of named outputs, and model-specific fields (preprocessing, labels,
decoding, provenance). One module per model builds it: `mtcnn_nets`, `scorer`, `emotion`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import keras

from facepack import spec
from facepack.provenance import source_digest


class ModelError(ValueError):
    """A model file that cannot be used; the message is one sentence naming the file."""


@dataclass
class BundleModel:
    """One model of the bundle.

    Attributes:
        name: folder name in the bundle ('pnet', 'rnet', 'onet', 'scorer', 'emotion').
        model: a Keras model (functional, Sequential or subclassed) taking one NHWC tensor.
        input_shape: the exported signature's input shape; None marks a free dimension.
        outputs: names of the model's outputs, in the order the Keras model returns them.
        info: model-specific manifest fields (preprocessing, labels, decoding, provenance).
    """

    name: str
    model: keras.Model
    input_shape: tuple[int | None, ...]
    outputs: tuple[str, ...]
    info: dict = field(default_factory=dict)

    def __call__(self, x) -> list:
        """Run the model; always a list of outputs in `self.outputs` order."""
        out = self.model(x, training=False)
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(out) != len(self.outputs):
            raise ModelError(f"{self.name}: returned {len(out)} outputs, expected {self.outputs}")
        return out

    def with_model(self, model: keras.Model) -> BundleModel:
        return dataclasses.replace(self, model=model)


def model_source(given: Path | None, used: Path) -> dict:
    """The manifest's `source` of a model: the path the converter was given (None: the model this
    facepack ships or depends on) and the sha256 of the file or folder its weights were read from,
    by which `ReferencePipeline.from_bundle` finds the same model again."""
    return {"path": None if given is None else str(Path(given).resolve()), "sha256": source_digest(used)}


def rgb_input_info(note: str) -> dict:
    """The manifest's `input` rule of a model fed RGB crops in [0, 255] (normalised in its graph)."""
    return {
        "channel_order": "RGB",
        "value_range": list(spec.MODEL_INPUT_RANGE),
        "normalization": "in_graph",
        "note": note,
    }
