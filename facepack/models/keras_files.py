"""Reading a Keras model file: .keras, .h5, or a SavedModel folder wrapped as a Keras model."""

from __future__ import annotations

from pathlib import Path

import keras

from facepack.models.bundle_model import ModelError
from facepack.models.custom_layers import CUSTOM_LAYERS


def read_keras_model(path: Path, role: str) -> keras.Model:
    """Load a .keras / .h5 file (facepack's custom layers from custom_layers.CUSTOM_LAYERS), or a
    SavedModel folder wrapped as a Keras model. `role` names the model in messages ("scorer").

    Raises:
        ModelError: the path is missing, of an unknown kind, or cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{role} {path} does not exist.")
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise ModelError(f"{role} {path} is a folder without saved_model.pb, so not a SavedModel.")
        return _wrap_saved_model(path, role)
    if path.suffix.lower() not in (".keras", ".h5", ".hdf5"):
        raise ModelError(f"{role} {path} is not a .keras, .h5 or SavedModel folder.")
    try:
        return keras.models.load_model(path, custom_objects=CUSTOM_LAYERS, compile=False)
    except Exception as err:  # noqa: BLE001 - any reader failure means the same thing to the user
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ModelError(f"{role} {path} could not be read as a Keras model: {reason[:200]}") from err


def _wrap_saved_model(path: Path, role: str) -> keras.Model:
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(str(path))
        fn = loaded.signatures["serving_default"]
    except Exception as err:  # noqa: BLE001
        raise ModelError(f"{role} {path} could not be read as a SavedModel: {err}") from err
    specs = list(fn.structured_input_signature[1].values())
    if len(specs) != 1:
        raise ModelError(f"{role} {path} has {len(specs)} inputs; it must take one image batch.")
    layer = keras.layers.TFSMLayer(str(path), call_endpoint="serving_default")
    inputs = keras.Input(tuple(specs[0].shape[1:]), name="face")
    out = layer(inputs)
    if isinstance(out, dict):
        if len(out) != 1:
            raise ModelError(f"{role} {path} has {len(out)} outputs; it must have one.")
        out = next(iter(out.values()))
    return keras.Model(inputs, out, name=role.replace(" ", "_"))
