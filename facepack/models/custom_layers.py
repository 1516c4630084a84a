"""The registry of facepack's custom Keras layers, which `read_keras_model` hands to Keras.

A layer class decorated with `register` is named "facepack>ClassName" in the model files Keras
writes, and recorded in `CUSTOM_LAYERS` under that name, so that any file using it can be read.
A class is registered when its module is imported; `facepack.models` imports every module that
defines one (`scorer.layers`, `faceapi_resnet29`, through `scorer`), so the registry is complete
wherever a `facepack.models` module is in use.
"""

from __future__ import annotations

import keras

PACKAGE = "facepack"
# "facepack>ClassName" (the name a model file gives the layer) -> the layer class.
CUSTOM_LAYERS: dict[str, type[keras.layers.Layer]] = {}


def register(cls: type[keras.layers.Layer]) -> type[keras.layers.Layer]:
    """Class decorator: name a custom layer "facepack>ClassName" in model files, and record it."""
    keras.saving.register_keras_serializable(package=PACKAGE)(cls)
    CUSTOM_LAYERS[keras.saving.get_registered_name(cls)] = cls
    return cls
