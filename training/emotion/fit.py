"""Train the emotion ResNet: `fit_emotion`, and the figures of a split (`split_figures`).

Model choice never sees a test split. A seeded `val_fraction` of the training split, the same
fraction of every class, is held out: Adam trains on the rest, its learning rate halves when
the hold-out's loss stops falling, and training stops `patience` epochs after the hold-out's
accuracy last rose, keeping the weights of its best epoch. Only then are the test splits
(FER2013's PublicTest and PrivateTest, or a folder layout's test/) run, once, for the report
(training.emotion.run).

Augmentation, while training only: mirror images, a shift and a zoom of up to `shift` and
`zoom` of the side (edges reflected), brightness and contrast changes of up to `brightness`
and `contrast`. The layers that do it wrap the model for training and are not saved with it.

Each epoch can be checkpointed and a killed fit resumed (training.checkpoint); the batches of epoch
k, and the augmentation's seed generators, are the same either way.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from facepack import spec
from training.checkpoint import EpochBatches, fit_resumable
from training.emotion.config import EmotionConfig
from training.emotion.data import Faces
from training.emotion.model import build_emotion_resnet

CLASSES = len(spec.EMOTION_LABELS)


def split_validation(faces: Faces, fraction: float, seed: int) -> tuple[Faces, Faces]:
    """(train, hold-out): a seeded `fraction` of each class held out (at least one image of a
    class with two or more)."""
    rng = np.random.default_rng(seed)
    held = []
    for label in range(CLASSES):
        rows = np.flatnonzero(faces.labels == label)
        n = min(len(rows) - 1, max(1, round(len(rows) * fraction))) if len(rows) else 0
        held.extend(rng.permutation(rows)[:n])
    mask = np.zeros(len(faces), bool)
    mask[held] = True
    if not mask.any():
        raise ValueError("the training split is too small to hold out validation images")
    return Faces(faces.images[~mask], faces.labels[~mask]), Faces(faces.images[mask], faces.labels[mask])


def as_rgb(grey: np.ndarray) -> np.ndarray:
    """float32 (n, S, S, 3) of grey uint8 crops (n, S, S): the model's input."""
    return np.repeat(np.asarray(grey, np.float32)[..., None], 3, axis=-1)


def predict(model: keras.Model, faces: Faces, chunk: int = 1024) -> np.ndarray:
    """(n, 7) probabilities of the grey crops, turned to RGB a chunk at a time."""
    parts = [model.predict(as_rgb(faces.images[i:i + chunk]), batch_size=256, verbose=0)
             for i in range(0, len(faces), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, CLASSES), np.float32)


def confusion_matrix(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(7, 7) counts: row = true class, column = predicted class."""
    matrix = np.zeros((CLASSES, CLASSES), np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def split_figures(model: keras.Model, faces: Faces) -> dict:
    """n, accuracy and confusion matrix of `model` on one split."""
    predicted = predict(model, faces).argmax(axis=1)
    return {"n": len(faces), "accuracy": float(np.mean(predicted == faces.labels)),
            "confusion": confusion_matrix(faces.labels, predicted).tolist()}


def _augmenter(config: EmotionConfig) -> keras.Sequential:
    """The random changes made to training images (active only while training)."""
    layers = []
    if config.mirror:
        layers.append(keras.layers.RandomFlip("horizontal", seed=config.seed))
    if config.shift:
        layers.append(keras.layers.RandomTranslation(config.shift, config.shift, seed=config.seed + 1))
    if config.zoom:
        layers.append(keras.layers.RandomZoom(config.zoom, seed=config.seed + 2))
    if config.brightness:
        layers.append(keras.layers.RandomBrightness(config.brightness, value_range=(0, 255), seed=config.seed + 3))
    if config.contrast:
        layers.append(keras.layers.RandomContrast(config.contrast, value_range=(0, 255), seed=config.seed + 4))
    return keras.Sequential(layers, name="augment")


def _trainer(model: keras.Model, config: EmotionConfig) -> keras.Model:
    """`model` fed grey uint8 crops (n, S, S) as RGB, augmented while training: what `fit`
    trains. It shares the model's weights, so training it trains the model."""
    size = spec.EMOTION_CROP.output
    grey = keras.Input((size, size), name="grey")
    x = keras.layers.Reshape((size, size, 1))(grey)
    x = keras.layers.Concatenate()([x, x, x])
    return keras.Model(grey, model(_augmenter(config)(x)), name="trainer")


def fit_emotion(train: Faces, val: Faces, config: EmotionConfig, log=print,
                checkpoint: Path | None = None) -> tuple[keras.Model, dict]:
    """Train on `train`, choose the epoch on `val`. Returns (model with the best epoch's weights, history).
    With `checkpoint`, every epoch is checkpointed there and a killed fit resumes from it
    (training.checkpoint)."""
    model = build_emotion_resnet(config.width, config.stages, config.blocks, config.dropout, config.seed)
    trainer = _trainer(model, config)
    trainer.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=config.patience,
                                      restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=max(1, config.patience // 3),
                                          min_lr=config.learning_rate / 100),
        keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: log(
            f"  epoch {e + 1:3d}  loss {logs['loss']:.4f}  accuracy {logs['accuracy']:.4f}  "
            f"val_loss {logs['val_loss']:.4f}  val_accuracy {logs['val_accuracy']:.4f}")),
    ]
    batches = EpochBatches(train.images, train.labels, config.batch_size, config.seed,
                           transform=lambda grey: grey.astype(np.float32))
    result = fit_resumable(trainer, batches, (val.images.astype(np.float32), val.labels), config.epochs, checkpoint,
                           callbacks, log)
    return model, result["history"]
