"""Scorer architectures: a backbone + `Dense(101)` softmax head.

    faceres       face-api's face-recognition ResNet (pretrained on faces, from npm), 150 px;
                  stage 2 fine-tunes its last stage (layers `conv256_*`)
    resnet50      the seed recipe's backbone, 224 px; ImageNet weights from --backbone-weights or
                  Keras's cache when present, else trained from scratch (no download here)
    facerank-cnn  the original FaceRank model: two 3x3 convs, max pool, dropout, Dense 128; 128 px;
                  trained end to end (no pretrained weights exist)
Every scorer takes RGB in [0, 255] and normalises inside the graph, as the bundle requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras

from facepack import faceres, spec

BACKBONES = ("faceres", "resnet50", "facerank-cnn")
RESNET50_CACHE = Path.home() / ".keras" / "models" / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"


@dataclass
class Scorer:
    model: keras.Model
    input_size: int
    # The first layer trained in stage 2: stage 2 trains it and everything after it.
    # None: the whole network is trained (nothing pretrained to keep).
    finetune_from: str | None
    note: str = ""


def _head(features, seed: int):
    init = keras.initializers.GlorotUniform(seed=seed)
    return keras.layers.Dense(spec.SCORE.num_classes, activation="softmax", name="beauty_head",
                              kernel_initializer=init)(features)


def build_scorer(backbone: str, seed: int = 0, backbone_weights: Path | None = None) -> Scorer:
    if backbone == "faceres":
        net = faceres.build_faceres()
        return Scorer(keras.Model(net.input, _head(net.output, seed), name="scorer"), faceres.INPUT_SIZE,
                      finetune_from="conv256_down.conv1",
                      note="face-api.js face_recognition_model (@vladmandic/face-api 1.7.15)")
    if backbone == "resnet50":
        weights = backbone_weights or (RESNET50_CACHE if RESNET50_CACHE.is_file() else None)
        inputs = keras.Input((224, 224, 3), name="face")
        x = keras.applications.resnet50.preprocess_input(inputs)
        net = keras.applications.ResNet50(include_top=False, weights=None, pooling="avg", input_shape=(224, 224, 3))
        if weights is not None:
            net.load_weights(str(weights))
            note = f"ImageNet weights from {weights}"
        else:
            note = ("no ImageNet weights (pass --backbone-weights FILE or put them in Keras's cache; they cannot "
                    "be downloaded here): trained from scratch")
        model = keras.Model(inputs, _head(net(x), seed), name="scorer")
        return Scorer(model, 224, finetune_from=None if weights is None else "resnet50", note=note)
    if backbone == "facerank-cnn":
        inputs = keras.Input((128, 128, 3), name="face")
        x = keras.layers.Rescaling(1 / 255.0)(inputs)
        x = keras.layers.Conv2D(32, 3, activation="relu")(x)
        x = keras.layers.Conv2D(32, 3, activation="relu")(x)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.Dropout(0.25)(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(128, activation="relu")(x)
        x = keras.layers.Dropout(0.5)(x)
        return Scorer(keras.Model(inputs, _head(x, seed), name="scorer"), 128, finetune_from=None,
                      note="FaceRank CNN, random init")
    raise ValueError(f"backbone must be one of {', '.join(BACKBONES)}, not {backbone!r}")
