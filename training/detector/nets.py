"""The three nets as the `mtcnn` package builds them (its own Keras classes: the same layers,
inputs and outputs, so trained weights drop into the package's stages and the browser's cascade),
the paper's masked loss, and weights saved as a list of arrays per net (`<net>.npz`, read back by
facepack.models.mtcnn_nets.read_trained_weights for the detector and the converter).

The loss of a batch, on packed targets [label, box offsets (4), landmarks (10), has landmarks]:
    cross-entropy of face / not face          over positives and negatives
    + 0.5 * mean squared box offset error     over positives and parts
    + 0.5 * mean squared landmark error       over samples with landmarks
each averaged over the samples it counts (a part never trains the classifier, a negative never
trains the box).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from facepack import spec
from training.detector.samples import NEGATIVE, PART, POSITIVE

SIZES = {"pnet": 12, "rnet": spec.DETECTOR.rnet_size, "onet": spec.DETECTOR.onet_size}
BOX_WEIGHT = 0.5
LANDMARK_WEIGHT = 0.5


@keras.saving.register_keras_serializable(package="facepack")
class PackedOutputs(keras.layers.Layer):
    """A net's outputs as one (n, 16) row: face probabilities (2), box offsets (4), landmarks (10;
    zeros for PNet and RNet, which have none). PNet's 1x1 maps are flattened."""

    def call(self, outputs):
        outputs = [keras.ops.reshape(o, (keras.ops.shape(o)[0], -1)) for o in outputs]
        if len(outputs) == 2:  # PNet, RNet: (regression, probability)
            reg, prob = outputs
            marks = keras.ops.zeros((keras.ops.shape(reg)[0], 10), reg.dtype)
        else:  # ONet: (regression, landmarks, probability)
            reg, marks, prob = outputs
        return keras.ops.concatenate([prob, reg, marks], axis=1)


def training_model(net: keras.Model, size: int) -> keras.Model:
    inputs = keras.Input((size, size, 3))
    return keras.Model(inputs, PackedOutputs()(net(inputs)), name=f"train_{net.name}")


def masked_loss(y_true, y_pred):
    """The paper's loss (module docstring) on packed targets and outputs."""
    label = y_true[:, 0]
    face_prob = keras.ops.clip(y_pred[:, 1], 1e-7, 1 - 1e-7)
    cls_mask = keras.ops.cast((label == POSITIVE) | (label == NEGATIVE), "float32")
    is_face = keras.ops.cast(label == POSITIVE, "float32")
    ce = -(is_face * keras.ops.log(face_prob) + (1 - is_face) * keras.ops.log(1 - face_prob))
    box_mask = keras.ops.cast((label == POSITIVE) | (label == PART), "float32")
    box_err = keras.ops.mean(keras.ops.square(y_true[:, 1:5] - y_pred[:, 2:6]), axis=1)
    lm_mask = y_true[:, 15]
    lm_err = keras.ops.mean(keras.ops.square(y_true[:, 5:15] - y_pred[:, 6:16]), axis=1)

    def mean(values, mask):
        return keras.ops.sum(values * mask) / keras.ops.maximum(keras.ops.sum(mask), 1.0)

    total = mean(ce, cls_mask) + BOX_WEIGHT * mean(box_err, box_mask) + LANDMARK_WEIGHT * mean(lm_err, lm_mask)
    return keras.ops.ones_like(label) * total  # one value per sample, as Keras expects


def read_weights(path: Path) -> list[np.ndarray]:
    """The weights `save_weights` wrote, in the net's get_weights order."""
    with np.load(path) as data:
        return [data[str(i)] for i in range(len(data.files))]


def save_weights(weights: list[np.ndarray], path: Path) -> None:
    """Write `<net>.npz` atomically (arrays '0', '1', ... in the net's get_weights order)."""
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, **{str(i): w for i, w in enumerate(weights)})
    tmp.replace(path)
