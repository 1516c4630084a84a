"""Two-stage training of one scorer branch on one fold, and the report of that fold.

Data: every training photo gives its clean crop, the crop's mirror image and one crop per
augmented view of the whole photo (training.scorer.augment: turned, shrunk, framed, recompressed,
each detected again, then jittered and degraded). A tenth of the training split is held out,
clean crops only, to stop each stage and to choose recipes; the test split is only reported.

Stage 1 trains the head with the backbone frozen (Adam). Stage 2 fine-tunes from the
backbone's `finetune_from` layer on (SGD with momentum). Frozen layers never change, so their
outputs are computed once per stage and only the trainable tail runs in the epochs.

Loss: cross-entropy against a Gaussian label distribution around rating x 20 (sigma
`label_sigma` points), plus `combo_weight` x |expected rating - rating| (ComboLoss), plus
`rank_weight` x a pairwise ranking loss over the batch (a pair ordered wrongly by expected
score costs softplus of the gap). The labels carry the rating in an extra column.

Each stage can checkpoint after every epoch and resume (training.checkpoint): epoch k sees the
same batches in the same order either way, so a resumed fit ends where an uninterrupted one does.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from facepack import spec
from facepack.models.scorer import build_branch, head_name
from training.checkpoint import EpochBatches, ended_fit, fit_resumable
from training.dataset import Fold, Sample
from training.scorer import metrics
from training.scorer.augment import CropPool
from training.scorer.config import FitConfig
from training.scorer.crops import CropSet


def split_val(samples: list[Sample], fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """(train, validation): a seeded `fraction` of `samples` held out."""
    order = np.random.default_rng(seed).permutation(len(samples))
    n_val = max(1, int(round(len(samples) * fraction)))
    val = {int(i) for i in order[:n_val]}
    return [s for i, s in enumerate(samples) if i not in val], [s for i, s in enumerate(samples) if i in val]


def clean_arrays(samples: list[Sample], crops: CropSet) -> tuple[np.ndarray, np.ndarray, list[Sample]]:
    """(uint8 crops, ratings, the samples kept): samples with no face found are left out."""
    index = crops.index()
    kept = [s for s in samples if s.name in index]
    x = np.stack([crops.crops[index[s.name]] for s in kept]) if kept else np.zeros((0, 1, 1, 3), np.uint8)
    return x, np.array([s.rating for s in kept]), kept


def pool_arrays(samples: list[Sample], pool: CropPool) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 crops, ratings) of every pool row that belongs to one of `samples`."""
    ratings = {s.name: s.rating for s in samples}
    rows = pool.rows_of(set(ratings))
    return np.asarray(pool.crops[rows]), np.array([ratings[pool.names[i]] for i in rows])


def targets(ratings: np.ndarray, sigma: float) -> np.ndarray:
    """Label distribution (101 columns) and the rating (1 more column), float32."""
    return np.concatenate([metrics.one_hot(ratings, sigma), np.asarray(ratings, np.float32)[:, None]], axis=1)


def scorer_loss(combo_weight: float, rank_weight: float):
    """Cross-entropy + combo_weight * |E[rating] - rating| + rank_weight * pairwise ranking."""
    points = keras.ops.arange(spec.SCORE.num_classes, dtype="float32") / spec.SCORE.points_per_rating

    def loss(y_true, y_pred):
        dist, rating = y_true[:, :-1], y_true[:, -1]
        total = keras.losses.categorical_crossentropy(dist, y_pred)
        expected = keras.ops.sum(y_pred * points, axis=1)
        if combo_weight:
            total = total + combo_weight * keras.ops.abs(expected - rating)
        if rank_weight:
            # Every ordered pair (i above j by at least one rater step) that the model orders
            # wrongly or by too little costs softplus(-(e_i - e_j) * 10).
            above = keras.ops.cast(rating[:, None] - rating[None, :] > 1 / 60 + 1e-6, "float32")
            gap = expected[:, None] - expected[None, :]
            wrong = keras.ops.sum(above * keras.ops.softplus(-10.0 * gap))
            pairs = wrong / keras.ops.maximum(keras.ops.sum(above), 1.0)
            total = total + rank_weight * pairs
        return total

    return loss


def _split_model(model: keras.Model, first_trainable: str | None):
    """(frozen trunk, trainable tail) of `model`, cut at the input of `first_trainable`."""
    if first_trainable is None:
        return None, model
    cut = model.get_layer(first_trainable).input
    return keras.Model(model.input, cut), keras.Model(cut, model.output)


def run_in_chunks(model: keras.Model, x: np.ndarray, chunk: int = 512) -> np.ndarray:
    """`model` on uint8 or float inputs, converted to float32 a chunk at a time (a pool of crops
    would not fit in memory as float32)."""
    parts = [model.predict(np.asarray(x[i:i + chunk], np.float32), batch_size=64, verbose=0)
             for i in range(0, len(x), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, *model.output_shape[1:]), np.float32)


def predict(model: keras.Model, x: np.ndarray, flip: bool) -> np.ndarray:
    """Class probabilities; with `flip`, the mean over each crop and its mirror image."""
    probs = run_in_chunks(model, x)
    if flip:
        probs = (probs + run_in_chunks(model, x[:, :, ::-1])) / 2
    return probs


def _train_tail(tail, a_train, y_train, a_val, y_val, optimizer, epochs, config, log, checkpoint) -> dict:
    """Fit `tail` on the activations (or crops) `a_train`, stopped and restored on the validation
    loss, checkpointed after every epoch to `checkpoint` (None: not). Returns fit_resumable's result."""
    tail.compile(optimizer=optimizer, loss=scorer_loss(config.combo_weight, config.rank_weight))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience, restore_best_weights=True)
    printer = keras.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: log(
        f"    epoch {e + 1:3d}  loss {logs['loss']:.4f}  val_loss {logs['val_loss']:.4f}"))
    as_float = None if a_train.dtype == np.float32 else (lambda batch: batch.astype(np.float32))
    batches = EpochBatches(a_train, y_train, config.batch_size, config.seed, transform=as_float)
    val = np.asarray(a_val, np.float32)
    return fit_resumable(tail, batches, (val, y_val), epochs, checkpoint, [stop, printer], log)


def fit_fold(fold: Fold, clean: CropSet, pool: CropPool, config: FitConfig, log=print,
             checkpoints: Path | None = None) -> tuple[keras.Model, dict]:
    """Train one branch on `fold.train`, report on `fold.test`. Returns (model, fold report).

    `clean` holds every photo's clean crop (validation and test use these); `pool` the
    training rows (clean, mirror and view crops) of at least the fold's training photos.
    With `checkpoints` (a folder), each stage writes `<fold>-<stage>.npz` there after every epoch
    (training.checkpoint) and continues from it when it is there: a killed fit resumes.
    """
    keras.utils.set_random_seed(config.seed)
    model, note = build_branch(config.backbone, config.size(), seed=config.seed,
                               backbone_weights=Path(config.backbone_weights) if config.backbone_weights else None)
    train, val = split_val(list(fold.train), config.val_fraction, config.seed)
    x_tr, r_tr = pool_arrays(train, pool)
    x_val, r_val, _ = clean_arrays(val, clean)
    x_te, r_te, test_kept = clean_arrays(list(fold.test), clean)
    y_tr, y_val = targets(r_tr, config.label_sigma), targets(r_val, config.label_sigma)
    times, history, resumed = {}, {}, {}
    log(f"{fold.name}: {len(train)} train photos ({len(x_tr)} crops with mirror images and views), "
        f"{len(val)} validation, {len(x_te)} test; backbone {config.backbone} ({note})")

    first = config.first_trainable()
    stages = []
    if config.stage1_epochs > 0 and first is not None:
        stages.append(("stage1", head_name(config.backbone), keras.optimizers.Adam(config.stage1_lr),
                       config.stage1_epochs))
    if config.stage2_epochs > 0:
        optimizer = (keras.optimizers.SGD(config.stage2_lr, momentum=config.momentum) if first is not None
                     else keras.optimizers.Adam(config.stage1_lr))  # from scratch: Adam
        stages.append(("stage2", first, optimizer, config.stage2_epochs))
    for name, cut_at, optimizer, epochs in stages:
        start = time.perf_counter()
        trunk, tail = _split_model(model, cut_at)
        checkpoint = None if checkpoints is None else Path(checkpoints) / f"{fold.name}-{name}.npz"
        result = ended_fit(tail, checkpoint, log)  # a stage that had ended before an interruption
        if result is None:
            log(f"  {name}: training {'the whole model' if trunk is None else 'from ' + cut_at} "
                f"({tail.count_params():,} parameters), {type(optimizer).__name__} lr "
                f"{float(optimizer.learning_rate):g}")
            a_tr = x_tr if trunk is None else run_in_chunks(trunk, x_tr)
            a_val = x_val if trunk is None else run_in_chunks(trunk, x_val)
            frozen_outputs = time.perf_counter() - start
            result = _train_tail(tail, a_tr, y_tr, a_val, y_val, optimizer, epochs, config, log, checkpoint)
            del a_tr, a_val
            result["seconds"] += frozen_outputs  # the fit's own seconds count every process of a resumed run
        history[name] = result["history"]
        times[name] = round(result["seconds"], 1)
        if result["resumed_at"] is not None:
            resumed[name] = result["resumed_at"]

    # Validation figures: what recipes are chosen by (the test split never is).
    val_probs = predict(model, x_val, config.tta_flip)
    validation = {d: m["overall"] for d, m in metrics.evaluate_probs(val_probs, r_val, ["all"] * len(r_val)).items()}
    o = validation["expected"]
    log(f"  validation (expected): PC {o['pc']:.4f}  MAE {o['mae']:.4f}  RMSE {o['rmse']:.4f}")
    start = time.perf_counter()
    probs = predict(model, x_te, config.tta_flip)
    times["test"] = round(time.perf_counter() - start, 1)
    decoded = metrics.decode(probs)
    report = {
        "fold": fold.name, "n_train": len(train), "n_train_crops": int(len(x_tr)), "n_val": len(val),
        "n_test": int(len(x_te)),
        "no_face": sorted(set(s.name for s in fold.train + fold.test) & set(clean.no_face)),
        "validation": validation,
        "validation_predictions": [round(float(e), 5) for e in metrics.decode(val_probs)["expected"]],
        "metrics": metrics.evaluate_probs(probs, r_te, [s.subgroup for s in test_kept]), "history": history,
        "seconds": times, "backbone_note": note, "resumed_after_epoch": resumed,
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
