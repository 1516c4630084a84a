"""Two-stage training of a scorer on one fold, and the run folder it writes.

Stage 1 trains the head with the backbone frozen (Adam). Stage 2 fine-tunes from the
backbone's `finetune_from` layer on (SGD with momentum). Frozen layers never change, so their
outputs are computed once per stage (for each crop and its mirror image) and only the
trainable tail runs in the epochs: the same model, minutes instead of hours on a CPU.
A tenth of the training split is held out to stop each stage (best validation loss);
the test split is used only for the final report.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from facepack import spec
from training import metrics
from training.crops import CropSet
from training.dataset import Fold, Sample
from training.model import build_scorer


@dataclass(frozen=True)
class FitConfig:
    backbone: str = "faceres"  # training.model.BACKBONES
    protocol: str = "split60"  # split60 | cv5
    seed: int = 0  # seeds numpy, keras and the validation hold-out
    val_fraction: float = 0.1  # of the training split, held out to stop each stage
    label_sigma: float = 3.0  # 0: one-hot labels (the seed); > 0: Gaussian label distribution, in points
    flip: bool = True  # add the mirror image of every training crop
    tta_flip: bool = False  # average each test crop with its mirror image (the browser does not)
    stage1_epochs: int = 40  # head only, backbone frozen
    stage1_lr: float = 1e-2  # Adam
    # Stage 2 fine-tunes from the backbone's finetune_from layer; 0 skips it. A backbone with
    # nothing pretrained (facerank-cnn, resnet50 without weights) trains whole in this one stage,
    # with Adam at stage1_lr.
    stage2_epochs: int = 20
    stage2_lr: float = 3e-4  # SGD (the seed's 1e-3 overfit after 3 epochs here; see MODEL_CARD.md)
    momentum: float = 0.9
    batch_size: int = 32
    patience: int = 5  # epochs without a better validation loss before a stage stops
    backbone_weights: str | None = None  # resnet50 only: an ImageNet weights file


def _mirror(x: np.ndarray) -> np.ndarray:
    return x[:, :, ::-1]


def arrays(samples: list[Sample], crops: CropSet) -> tuple[np.ndarray, np.ndarray, list[Sample]]:
    """(float32 crops, ratings, the samples kept): samples with no face found are left out."""
    index = crops.index()
    kept = [s for s in samples if s.name in index]
    x = np.stack([crops.crops[index[s.name]] for s in kept]).astype(np.float32)
    return x, np.array([s.rating for s in kept]), kept


def _split_val(samples: list[Sample], fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(len(samples) * fraction)))
    val = {int(i) for i in order[:n_val]}
    return [s for i, s in enumerate(samples) if i not in val], [s for i, s in enumerate(samples) if i in val]


def _split_model(model: keras.Model, first_trainable: str | None):
    """(frozen trunk, trainable tail) of `model`, cut at the input of `first_trainable`."""
    if first_trainable is None:
        return None, model
    cut = model.get_layer(first_trainable).input
    return keras.Model(model.input, cut), keras.Model(cut, model.output)


def _train_tail(tail, x_train, y_train, x_val, y_val, optimizer, epochs, config, log) -> dict:
    tail.compile(optimizer=optimizer, loss="categorical_crossentropy")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
    printer = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: log(
        f"    epoch {e + 1:3d}  loss {logs['loss']:.4f}  val_loss {logs['val_loss']:.4f}"))
    history = tail.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=config.batch_size,
                       shuffle=True, verbose=0, callbacks=[stop, printer])
    return {k: [float(v) for v in vals] for k, vals in history.history.items()}


def predict(model: keras.Model, x: np.ndarray, flip: bool, batch_size: int = 64) -> np.ndarray:
    """Class probabilities; with `flip`, the mean over each crop and its mirror image."""
    probs = model.predict(x, batch_size=batch_size, verbose=0)
    if flip:
        probs = (probs + model.predict(_mirror(x), batch_size=batch_size, verbose=0)) / 2
    return probs


def fit_fold(fold: Fold, crops: CropSet, config: FitConfig, log=print) -> tuple[keras.Model, dict]:
    """Train one scorer on `fold.train`, report on `fold.test`. Returns (model, fold report)."""
    keras.utils.set_random_seed(config.seed)
    scorer = build_scorer(config.backbone, config.seed,
                          Path(config.backbone_weights) if config.backbone_weights else None)
    model = scorer.model
    train, val = _split_val(list(fold.train), config.val_fraction, config.seed)
    x_tr, r_tr, _ = arrays(train, crops)
    x_val, r_val, _ = arrays(val, crops)
    x_te, r_te, test_kept = arrays(list(fold.test), crops)
    if config.flip:
        x_tr, r_tr = np.concatenate([x_tr, _mirror(x_tr)]), np.concatenate([r_tr, r_tr])
    y_tr, y_val = metrics.one_hot(r_tr, config.label_sigma), metrics.one_hot(r_val, config.label_sigma)
    times, history = {}, {}
    log(f"{fold.name}: {len(train)} train (+{len(train) if config.flip else 0} mirrored), {len(val)} validation, "
        f"{len(x_te)} test; backbone {config.backbone} ({scorer.note})")

    stages = []
    if config.stage1_epochs > 0 and scorer.finetune_from is not None:
        stages.append(("stage1", "beauty_head", keras.optimizers.Adam(config.stage1_lr), config.stage1_epochs))
    if config.stage2_epochs > 0:
        first = scorer.finetune_from
        optimizer = (keras.optimizers.SGD(config.stage2_lr, momentum=config.momentum) if first is not None
                     else keras.optimizers.Adam(config.stage1_lr))  # from scratch: Adam
        stages.append(("stage2", first, optimizer, config.stage2_epochs))
    for name, first, optimizer, epochs in stages:
        start = time.perf_counter()
        trunk, tail = _split_model(model, first)
        log(f"  {name}: training {'the whole model' if trunk is None else 'from ' + first} "
            f"({tail.count_params():,} parameters), {type(optimizer).__name__} lr {float(optimizer.learning_rate):g}")
        a_tr = x_tr if trunk is None else trunk.predict(x_tr, batch_size=64, verbose=0)
        a_val = x_val if trunk is None else trunk.predict(x_val, batch_size=64, verbose=0)
        history[name] = _train_tail(tail, a_tr, y_tr, a_val, y_val, optimizer, epochs, config, log)
        times[name] = round(time.perf_counter() - start, 1)

    # Validation figures: what recipes are chosen by (the test split never is).
    val_metrics = metrics.evaluate_probs(predict(model, x_val, config.tta_flip), r_val, ["all"] * len(r_val))
    validation = {d: m["overall"] for d, m in val_metrics.items()}
    o = validation["expected"]
    log(f"  validation (expected): PC {o['pc']:.4f}  MAE {o['mae']:.4f}  RMSE {o['rmse']:.4f}")
    start = time.perf_counter()
    probs = predict(model, x_te, config.tta_flip)
    times["test"] = round(time.perf_counter() - start, 1)
    decoded = metrics.decode(probs)
    report = {
        "fold": fold.name, "n_train": len(train), "n_val": len(val), "n_test": int(len(x_te)),
        "no_face": sorted(set(s.name for s in fold.train + fold.test) & set(crops.no_face)),
        "validation": validation,
        "metrics": metrics.evaluate_probs(probs, r_te, [s.subgroup for s in test_kept]), "history": history,
        "seconds": times, "backbone_note": scorer.note,
        "predictions": [{"name": s.name, "true": float(r), "expected": round(float(e), 4), "argmax": float(a)}
                        for s, r, e, a in zip(test_kept, r_te, decoded["expected"], decoded["argmax"], strict=True)],
    }
    return model, report


def summarise(fold_reports: list[dict]) -> dict:
    """Mean and standard deviation over folds of the overall metrics, per decoding."""
    out = {}
    for decoding in ("expected", "argmax"):
        out[decoding] = {}
        for key in ("pc", "mae", "rmse"):
            values = [r["metrics"][decoding]["overall"][key] for r in fold_reports]
            out[decoding][key] = {"mean": float(np.mean(values)), "std": float(np.std(values))}
    return out


def input_rule(size: int) -> spec.CropRule:
    return dataclasses.replace(spec.SCORER_CROP, output=size)
