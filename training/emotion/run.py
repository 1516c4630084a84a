"""Train the emotion ResNet, test it, and write its run folder: `run_emotion`.

A run folder (runs/<name>/):
    emotion.keras   the model: RGB crops (batch, 64, 64, 3) in [0, 255] -> 7 probabilities
    report.json     what it was trained on, images per class of every split, the config,
                    accuracy and a 7 x 7 confusion matrix (rows: true class, columns: predicted)
                    per split, the epoch history, seconds per stage, versions
    confusion.png   the test splits' confusion matrices (the hold-out's where there is no test split)
    loss.png        training and hold-out loss per epoch
It is written as runs/<name>.partial and renamed when complete (training.common.run_folder), so
a folder with the run's name is always a finished run. The fit checkpoints every epoch in
.partial/checkpoints; a run killed after its first epoch keeps its .partial folder, and
`emotion --resume --name <name>` continues it.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from facepack import spec
from training import plots
from training.common import CHECKPOINTS, check_resumable, provenance, run_folder, write_json
from training.emotion.config import EmotionConfig
from training.emotion.data import EmotionSource
from training.emotion.fit import fit_emotion, split_figures, split_validation


def _test_note(source: EmotionSource, tests: list[str]) -> str:
    if source.layout == "csv":
        return "FER2013's PublicTest and PrivateTest, reported apart"
    if tests:
        return "the folder layout has one test split (test/), reported once as 'test'"
    return "no test/ folder: only the validation hold-out is reported, and it chose the epoch"


def run_emotion(source: EmotionSource, run_dir: Path, config: EmotionConfig | None = None, log=print,
                progress: bool = True, resume: bool = False) -> tuple[Path, dict]:
    """Read `source`, train, test, and write the run folder `run_dir`. Returns (run_dir, report).
    The fit checkpoints every epoch in `run_dir`.partial/checkpoints; `resume` continues an
    interrupted run from there (with the same config and data).

    Raises:
        ValueError: `run_dir` exists already (or, with `resume`, its .partial does not, or holds
            another config or data), or the training split is too small to hold out from.
        DatasetError: the data is malformed (the message names the file, and the line of a CSV).
    """
    config = config or EmotionConfig()
    record = {"emotion": dataclasses.asdict(config), "data": source.describe(), "versions": provenance()}
    with run_folder(run_dir, resume=resume) as partial:
        if resume:
            check_resumable(partial, record, "emotion")
        else:
            write_json(partial / "config.json", record)
        report = _train_into(partial, source, config, log, progress)
    return Path(run_dir), report


def _train_into(partial: Path, source: EmotionSource, config: EmotionConfig, log, progress: bool) -> dict:
    """Everything `run_emotion` writes, into the folder `partial`. Returns the report."""
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
    model, history = fit_emotion(train, val, config, log, checkpoint=partial / CHECKPOINTS / "emotion.npz")
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
        "versions": provenance(),
    }
    model.save(partial / "emotion.keras")
    write_json(partial / "report.json", report)
    tested = {name: figures for name, figures in splits.items() if name != "validation"}
    plots.confusions(tested or splits, partial / "confusion.png")
    plots.losses({"fit": history}, partial / "loss.png")
    return report
