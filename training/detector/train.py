"""The MTCNN recipe, net by net: cut samples, fit, hand the trained net to the next stage's mining.

    pnet   boxes around each true face (positives, parts) and anywhere in the photo (negatives),
           plus crops of face-free photos (--negatives)
    rnet   the same, plus what PNet, as trained, proposes on the training and face-free photos
           (hard examples: its false alarms become negatives, its near misses parts)
    onet   the same, plus what PNet and RNet, as trained, propose

Every net trains through Keras `fit` inside a `tf.distribute` strategy (config.make_strategy), with Adam
and a step-decay learning rate, and keeps the weights of its best epoch on the validation photos
(a hold-out of the training photos: the test photos never choose anything).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facepack.models.mtcnn_nets import package_net
from training.detector.annotations import PhotoFaces
from training.detector.config import DetectorConfig
from training.detector.nets import SIZES, masked_loss, training_model
from training.detector.samples import (
    NEGATIVE,
    PART,
    POSITIVE,
    SampleSet,
    negatives_from_photo,
    normalize,
    random_boxes,
    samples_from_boxes,
)

# ------------------------------------------------------------------------------------ samples
Mine = Callable[[np.ndarray], np.ndarray]  # photo -> proposed boxes (the earlier stages, as trained)


def photo_samples(net: str, image: np.ndarray, photo: PhotoFaces, config: DetectorConfig,
                  rng: np.random.Generator, mine: Mine | None) -> SampleSet:
    """One photo's samples for `net`: random boxes around its faces and anywhere in the photo; for
    RNet and ONet also the boxes `mine` proposes (the earlier nets' hits, near misses and false alarms)."""
    size = SIZES[net]
    near = random_boxes(rng, photo.boxes, image.shape[:2], config.near_per_face, config.anywhere_per_photo)
    sets = [samples_from_boxes(image, near, photo.boxes, photo.landmarks, net, size, rng,
                               max_negatives=config.anywhere_per_photo)]
    if mine is not None:
        mined = mine(image)
        if len(mined):
            sets.append(samples_from_boxes(image, mined, photo.boxes, photo.landmarks, net, size, rng,
                                           max_negatives=config.mined_negatives_per_photo))
    return SampleSet.concat(sets)


def negative_samples(net: str, image: np.ndarray, config: DetectorConfig, rng: np.random.Generator,
                     mine: Mine | None) -> SampleSet:
    """A face-free photo's samples: random crops, and for RNet and ONet every proposal (all false)."""
    size = SIZES[net]
    sets = [negatives_from_photo(image, size, config.crops_per_negative_photo, rng)]
    if mine is not None:
        mined = mine(image)
        if len(mined):
            sets.append(samples_from_boxes(image, mined, np.zeros((0, 4)), None, net, size, rng,
                                           max_negatives=config.crops_per_negative_photo))
    return SampleSet.concat(sets)


def build_samples(net: str, photos: list[PhotoFaces], negatives: list[np.ndarray], load: Callable,
                  config: DetectorConfig, seed: int, mine: Mine | None, desc: str) -> SampleSet:
    """All samples of `net` from `photos` (with faces) and `negatives` (face-free photos)."""
    rng = np.random.default_rng(seed)
    sets = [photo_samples(net, load(photo.path), photo, config, rng, mine)
            for photo in tqdm(photos, desc=desc, unit="photo")]
    sets += [negative_samples(net, image, config, rng, mine)
             for image in tqdm(negatives, desc=f"{net} samples, face-free photos", unit="photo",
                               disable=not negatives)]
    return SampleSet.concat(sets)


# ---------------------------------------------------------------------------------------- fit
def _validation_data(samples: SampleSet, batch_size: int):
    """The validation samples as normalised batches, in order (training batches: EpochBatches)."""
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((samples.x, samples.targets()))
    return data.batch(batch_size).map(lambda x, y: (normalize(tf.cast(x, tf.float32)), y)).prefetch(2)


def fit_net(net: str, train: SampleSet, val: SampleSet, config: DetectorConfig, strategy,
            log=print, checkpoint: Path | None = None) -> tuple[list[np.ndarray], dict]:
    """Fit one net from scratch on `train`; returns (the weights of its best epoch on `val`, history).
    With `checkpoint`, every epoch is checkpointed there and a killed fit resumes from it
    (training.checkpoint: epoch k's batches are the same either way)."""
    import keras

    from training.checkpoint import EpochBatches, fit_resumable

    keras.utils.set_random_seed(config.seed)
    steps = math.ceil(len(train) / config.batch_size)
    boundaries = [steps * e for e in config.decay_at() if e < config.epochs]
    rates = [config.learning_rate * config.decay ** i for i in range(len(boundaries) + 1)]
    with strategy.scope():
        body = package_net(net)
        model = training_model(body, SIZES[net])
        schedule = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, rates) if boundaries \
            else config.learning_rate
        model.compile(optimizer=keras.optimizers.Adam(schedule), loss=masked_loss)
    best = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.epochs, restore_best_weights=True)
    printer = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: log(
        f"    {net} epoch {e + 1:3d}  loss {logs['loss']:.4f}  val_loss {logs['val_loss']:.4f}"))
    batches = EpochBatches(train.x, train.targets(), config.batch_size, config.seed,
                           transform=lambda x: normalize(x.astype(np.float32)))
    result = fit_resumable(model, batches, _validation_data(val, config.batch_size), config.epochs,
                           checkpoint, [best, printer], log)
    return body.get_weights(), result["history"]


def net_scores(net: str, weights: list[np.ndarray], samples: SampleSet) -> dict:
    """A net on its own samples: face / not-face accuracy (positives and negatives, at 0.5), box
    offset RMSE (positives and parts), landmark RMSE (samples with landmarks), in the targets' units."""
    body = package_net(net)
    body.set_weights(weights)
    model = training_model(body, SIZES[net])
    out = np.concatenate([model.predict(normalize(samples.x[i:i + 4096].astype(np.float32)), verbose=0)
                          for i in range(0, len(samples), 4096)]) if len(samples) else np.zeros((0, 16))
    label = samples.label
    cls = (label == POSITIVE) | (label == NEGATIVE)
    boxes = (label == POSITIVE) | (label == PART)

    def rmse(a, b):
        return float(np.sqrt(np.mean(np.square(a - b)))) if len(a) else None

    return {
        "face_accuracy": float(np.mean((out[cls, 1] > 0.5) == (label[cls] == POSITIVE))) if cls.any() else None,
        "box_rmse": rmse(out[boxes, 2:6], samples.box[boxes]),
        "landmark_rmse": rmse(out[samples.has_landmarks, 6:16], samples.landmarks[samples.has_landmarks])
        if net == "onet" else None,
    }
