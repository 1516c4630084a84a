"""Train the emotion ResNet, test it, and write its run folder: `run_emotion`.

Model choice never sees a test split. A seeded `val_fraction` of the training split, the same
fraction of every class, is held out: Adam trains on the rest, its learning rate halves when
the hold-out's loss stops falling, and training stops `patience` epochs after the hold-out's
accuracy last rose, keeping the weights of its best epoch. Only then are the test splits
(FER2013's PublicTest and PrivateTest, or a folder layout's test/) run, once, for the report.

Augmentation, while training only: mirror images, a shift and a zoom of up to `shift` and
`zoom` of the side (edges reflected), brightness and contrast changes of up to `brightness`
and `contrast`. The layers that do it wrap the model for training and are not saved with it.

A run folder (runs/<name>/):
    emotion.keras   the model: RGB crops (batch, 64, 64, 3) in [0, 255] -> 7 probabilities
    report.json     what it was trained on, images per class of every split, the config,
                    accuracy and a 7 x 7 confusion matrix (rows: true class, columns: predicted)
                    per split, the epoch history, seconds per stage, versions
    confusion.png   the test splits' confusion matrices (the hold-out's where there is no test split)
    loss.png        training and hold-out loss per epoch
It is written as runs/<name>.partial and renamed when complete; a failure removes the
.partial folder, so a folder with the run's name is always a finished run.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import keras
import matplotlib
import numpy as np

from facepack import spec
from training import plots
from training.crops import write_json
from training.emotion.data import EmotionSource, Faces
from training.emotion.model import build_emotion_resnet

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

CLASSES = len(spec.EMOTION_LABELS)


def _option(default, help: str):
    """A config field whose help text the command line shows (training/emotion/cli.py)."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class EmotionConfig:
    epochs: int = _option(60, "most passes over the training images")
    batch_size: int = _option(64, "images per step")
    learning_rate: float = _option(1e-3, "Adam's starting learning rate (halved when the hold-out loss stalls)")
    patience: int = _option(10, "epochs without a better hold-out accuracy before training stops")
    val_fraction: float = _option(0.1, "fraction of each class of the training split held out to choose the epoch")
    seed: int = _option(0, "seeds the hold-out, the initial weights, the batches and the augmentation")
    width: int = _option(32, "channels of the first stage; each later stage doubles them")
    stages: int = _option(4, "residual stages, each halving the side (64 px: 32, 16, 8, 4)")
    blocks: int = _option(2, "basic residual blocks per stage")
    dropout: float = _option(0.3, "dropped fraction of the pooled features while training")
    mirror: bool = _option(True, "augment with mirror images")
    shift: float = _option(0.1, "augment with shifts of up to this fraction of the side")
    zoom: float = _option(0.1, "augment with zooms in or out of up to this fraction")
    brightness: float = _option(0.2, "augment with brightness changes of up to this fraction of 255")
    contrast: float = _option(0.2, "augment with contrast changes of up to this fraction")

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, not {getattr(self, name)}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"--val-fraction must be between 0 and 1, not {self.val_fraction}")
        if not self.learning_rate > 0:
            raise ValueError(f"--learning-rate must be above 0, not {self.learning_rate}")
        for name in ("dropout", "shift", "zoom", "brightness", "contrast"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"--{name} must be in [0, 1), not {getattr(self, name)}")


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


def fit_emotion(train: Faces, val: Faces, config: EmotionConfig, log=print) -> tuple[keras.Model, dict]:
    """Train on `train`, choose the epoch on `val`. Returns (model with the best epoch's weights, history)."""
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
    history = trainer.fit(train.images, train.labels, validation_data=(val.images, val.labels),
                          epochs=config.epochs, batch_size=config.batch_size, shuffle=True, verbose=0,
                          callbacks=callbacks)
    return model, {k: [float(v) for v in values] for k, values in history.history.items()}


def _plot_confusions(splits: dict[str, dict], path: Path) -> None:
    """One panel per split: each row (true class) coloured by its share, cells labelled with counts."""
    fig, axes = plt.subplots(1, len(splits), figsize=(5.2 * len(splits), 5), squeeze=False)
    for ax, (name, figures) in zip(axes[0], splits.items(), strict=True):
        counts = np.array(figures["confusion"])
        shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for (row, col), n in np.ndenumerate(counts):
            ax.text(col, row, str(n), ha="center", va="center", fontsize=7,
                    color="white" if shares[row, col] > 0.5 else "black")
        ticks = range(CLASSES)
        ax.set_xticks(ticks, spec.EMOTION_LABELS, rotation=45, ha="right")
        ax.set_yticks(ticks, spec.EMOTION_LABELS)
        ax.set(xlabel="predicted", ylabel="true",
               title=f"{name}: accuracy {figures['accuracy']:.3f} (n={figures['n']})")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _versions() -> dict:
    return {name: version(name) for name in ("tensorflow", "keras", "numpy")}


def _test_note(source: EmotionSource, tests: list[str]) -> str:
    if source.layout == "csv":
        return "FER2013's PublicTest and PrivateTest, reported apart"
    if tests:
        return "the folder layout has one test split (test/), reported once as 'test'"
    return "no test/ folder: only the validation hold-out is reported, and it chose the epoch"


def run_emotion(source: EmotionSource, run_dir: Path, config: EmotionConfig | None = None, log=print,
                progress: bool = True) -> tuple[Path, dict]:
    """Read `source`, train, test, and write the run folder `run_dir`. Returns (run_dir, report).

    Raises:
        ValueError: `run_dir` exists already, or the training split is too small to hold out from.
        DatasetError: the data is malformed (the message names the file, and the line of a CSV).
    """
    config = config or EmotionConfig()
    run_dir = Path(run_dir)
    if run_dir.exists():
        raise ValueError(f"run folder {run_dir} already exists; pick another --name")
    seconds = {}
    start = time.perf_counter()
    data = source.read(progress)
    seconds["read"] = round(time.perf_counter() - start, 1)
    if data.no_face:
        log(f"no face found in {len(data.no_face)} photos (left out, listed in report.json): "
            f"{', '.join(data.no_face[:10])}")
    train, val = split_validation(data.train, config.val_fraction, config.seed)
    log(f"{source.describe()}: {len(train)} training images, {len(val)} held out, "
        + ", ".join(f"{len(faces)} {name}" for name, faces in data.tests.items()))

    start = time.perf_counter()
    model, history = fit_emotion(train, val, config, log)
    seconds["fit"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    splits = {"validation": split_figures(model, val)}
    splits.update({name: split_figures(model, faces) for name, faces in data.tests.items()})
    seconds["evaluate"] = round(time.perf_counter() - start, 1)

    report = {
        "data": {"source": source.describe(), "path": str(Path(source.path).resolve()), "faces": source.faces,
                 "tests": _test_note(source, list(data.tests)), "no_face": data.no_face,
                 "counts": {"train": train.counts(), "validation": val.counts(),
                            **{name: faces.counts() for name, faces in data.tests.items()}}},
        "labels": list(spec.EMOTION_LABELS),
        "crop": spec.as_dict(spec.EMOTION_CROP),
        "config": dataclasses.asdict(config),
        "parameters": model.count_params(),
        "accuracy": {name: figures["accuracy"] for name, figures in splits.items()},
        "splits": splits,
        "epochs_run": len(history["loss"]),
        "best_epoch": int(np.argmax(history["val_accuracy"])) + 1,  # the first best, as EarlyStopping keeps
        "history": history,
        "seconds": seconds,
        "versions": _versions(),
    }
    partial = run_dir.with_name(run_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        model.save(partial / "emotion.keras")
        write_json(partial / "report.json", report)
        tested = {name: figures for name, figures in splits.items() if name != "validation"}
        _plot_confusions(tested or splits, partial / "confusion.png")
        plots.losses({"fit": history}, partial / "loss.png")
        partial.rename(run_dir)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return run_dir, report
