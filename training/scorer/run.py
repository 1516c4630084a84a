"""Run folders: `run_fit` (train + report + plots), `evaluate_model`, `ship_runs` (the embedded default).

A run folder (runs/<name>/):
    config.json        the exact FitConfig, crop rule, augmentation, detector settings, data path, versions
    report.json        per fold: metrics for both decodings, overall and per subgroup; validation
                       figures and predictions; history; stage times; test predictions.
                       cv5: mean and std over folds
    scorer.keras       the model (split60); scorer-cv5-K.keras per fold for cv5
    scatter.png, loss.png, histogram.png   (of the first fold)
It is written as runs/<name>.partial and renamed when complete (training.common.run_folder), so
a folder with the run's name is always a finished run. While it trains, .partial/checkpoints holds
each stage's last epoch and each finished fold; a run killed or stopped (Ctrl+C) after its first
epoch keeps its .partial folder, and `fit --resume --name <name>` continues it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
from collections.abc import Mapping
from pathlib import Path

import keras
import numpy as np

from facepack import spec
from facepack.models.keras_files import read_keras_model
from facepack.models.scorer import (
    DEFAULT_SCORER_DIR,
    UINT8_SHIFT_BUDGET,
    ScorerArchitecture,
    build_default_scorer,
    build_scorer,
    check_scorer_shapes,
    head_name,
    scorer_crop,
    set_stored_weights,
    store_trained_weights,
    trained_layers,
)
from facepack.models.scorer.default import store_frozen_faceapi
from facepack.models.uint8_grid import on_uint8_grid
from training import plots
from training.common import CHECKPOINTS, check_resumable, make_config, provenance, run_folder, write_json
from training.dataset import as_dataset
from training.scorer import metrics
from training.scorer.augment import VIEW_SEED, augmented_pool
from training.scorer.config import FitConfig
from training.scorer.crops import crop_all
from training.scorer.fit import clean_arrays, fit_fold, predict, split_val, summarise
from training.scorer.transforms import CropJitter, ViewConfig


def run_fit(data: Path, cache: Path, run_dir: Path, overrides: Mapping, log=print,
            resume: bool = False) -> tuple[Path, dict]:
    """Train as FitConfig(**`overrides`) says and write the run folder `run_dir` (module docstring).

    Every stage checkpoints after each epoch and every fold when it completes, into
    `run_dir`.partial/checkpoints; an interrupted run keeps its .partial folder, and `resume`
    continues it where it stopped (the config must be the interrupted run's).

    Raises:
        ValueError: `run_dir` exists already (or, with `resume`, its .partial does not, or holds
            another config or data); `overrides` names an unknown or ill-typed field.
        DatasetError: the data is malformed (the message names the file).
    """
    config = make_config(FitConfig, overrides)
    with run_folder(run_dir, resume=resume) as partial:
        report = _fit_into(partial, data, cache, config, log, resume)
    return Path(run_dir), report


def _fit_into(partial: Path, data: Path, cache: Path, config: FitConfig, log, resume: bool = False) -> dict:
    """Everything `run_fit` writes, into the folder `partial`. Returns the report."""
    dataset = as_dataset(data)
    cache = dataset.cache_dir(cache)
    folds = dataset.folds(config.protocol)
    rule = config.crop_rule()
    views, jitter = ViewConfig(), CropJitter().scaled(config.crop_jitter)
    record = {
        "fit": dataclasses.asdict(config), "crop": spec.as_dict(rule), "detector": spec.as_dict(spec.DETECTOR),
        "augmentation": {"views": dataclasses.asdict(views), "crop_jitter": dataclasses.asdict(jitter),
                         "view_seed": VIEW_SEED},
        "data": dataset.describe(), "scale": _scale(dataset), "versions": provenance()}
    if resume:
        check_resumable(partial, record, "fit")
    clean = crop_all(dataset, dataset.all_samples(), cache, rule)
    if clean.no_face:
        log(f"no face found in {len(clean.no_face)} images (left out, listed in report.json): "
            f"{', '.join(clean.no_face[:10])}")
    training_photos = list({s.name: s for fold in folds for s in fold.train}.values())
    pool = augmented_pool(dataset, training_photos, cache, rule, config.views, views, jitter, VIEW_SEED)
    if not resume:
        write_json(partial / "config.json", record)
    checkpoints = partial / CHECKPOINTS
    start = time.perf_counter()
    fold_reports = []
    for fold in folds:
        model_path = partial / ("scorer.keras" if config.protocol == "split60" else f"scorer-{fold.name}.keras")
        done = checkpoints / f"{fold.name}.json"
        if done.is_file() and model_path.is_file():
            log(f"{fold.name}: completed before the interruption (its report: {done})")
            fold_reports.append(json.loads(done.read_text()))
            continue
        model, report = fit_fold(fold, clean, pool, config, log, checkpoints=checkpoints)
        fold_reports.append(report)
        tmp = model_path.with_name(f"{model_path.stem}.tmp.keras")  # keras needs the suffix
        model.save(tmp)
        tmp.replace(model_path)
        if len(fold_reports) == 1:
            pred = np.array([p["expected"] for p in report["predictions"]])
            true = np.array([p["true"] for p in report["predictions"]])
            groups = [p["name"][:2] for p in report["predictions"]]
            o = report["metrics"]["expected"]["overall"]
            plots.scatter(pred, true, groups, partial / "scatter.png",
                          f"{fold.name} test: PC {o['pc']:.3f}, MAE {o['mae']:.3f}, RMSE {o['rmse']:.3f}")
            plots.losses(report["history"], partial / "loss.png")
            plots.histograms(pred, true, partial / "histogram.png")
        write_json(done, report)  # the fold is complete: its stages' checkpoints are not needed again
        for stage_file in checkpoints.glob(f"{fold.name}-*.npz"):
            stage_file.unlink()
    report = {"protocol": config.protocol, "backbone": config.backbone, "data": dataset.describe(),
              "scale": _scale(dataset), "folds": fold_reports,
              "no_face": clean.no_face, "seconds_total": round(time.perf_counter() - start, 1)}
    if len(fold_reports) > 1:
        report["summary"] = summarise(fold_reports)
    write_json(partial / "report.json", report)
    return report


def test_arrays(data: Path, cache: Path, rule: spec.CropRule):
    """(uint8 crops, ratings, samples) of the official 60/40 test split, cut by `rule`."""
    dataset = as_dataset(data)
    (fold,) = dataset.folds("split60")
    crops = crop_all(dataset, dataset.all_samples(), dataset.cache_dir(cache), rule, progress=False)
    return clean_arrays(list(fold.test), crops)


def load_scorer_model(model_arg: str | Path | keras.Model) -> keras.Model:
    """A .keras path, 'default' (the embedded scorer), or a model as it is."""
    if isinstance(model_arg, keras.Model):
        return model_arg
    return build_default_scorer() if str(model_arg) == "default" else read_keras_model(Path(model_arg), "scorer")


def evaluate_model(model_arg: str | Path | keras.Model, data: Path, cache: Path, flip: bool = False) -> dict:
    """Metrics of a scorer on the official 60/40 test split, fed the shipped crop rule
    (facepack.spec.SCORER_CROP at the scorer's input size), as the browser feeds it."""
    model = load_scorer_model(model_arg)
    size = check_scorer_shapes(model, str(model_arg) if not isinstance(model_arg, keras.Model) else "model")
    x, ratings, kept = test_arrays(data, cache, scorer_crop(size))
    probs = predict(model, x, flip)
    return {"metrics": metrics.evaluate_probs(probs, ratings, [s.subgroup for s in kept]), "n": len(kept)}


def _read_run(run_dir: Path) -> tuple[dict, dict]:
    config = json.loads((run_dir / "config.json").read_text())
    report = json.loads((run_dir / "report.json").read_text())
    fit = config["fit"]
    if fit["protocol"] != "split60":
        raise ValueError(f"{run_dir}: only a split60 run can be shipped (a cv5 run has five models)")
    if fit["backbone"] not in ("faceapi-resnet29", "human-faceres"):
        raise ValueError(f"{run_dir}: backbone {fit['backbone']} has no weights from a package; it cannot be shipped")
    if config["crop"]["rotate"] != spec.SCORER_CROP.rotate or config["crop"]["size"] != spec.SCORER_CROP.size:
        raise ValueError(f"{run_dir}: was trained on crops unlike facepack.spec.SCORER_CROP (the browser's)")
    if fit["tta_flip"]:
        raise ValueError(f"{run_dir}: was evaluated with tta_flip; ship with --mirror instead")
    return config, report


def ensemble_shares(val_predictions: list[np.ndarray], ratings: np.ndarray, step: float = 0.05) -> tuple[float, ...]:
    """Branch shares (summing to 1, on a `step` grid) with the best validation Pearson."""
    if len(val_predictions) == 1:
        return (1.0,)
    grid = np.round(np.arange(0, 1 + step / 2, step), 6)
    best, best_pc = None, -2.0
    for shares in itertools.product(grid, repeat=len(val_predictions) - 1):
        last = 1 - sum(shares)
        if last < -1e-9:
            continue
        weights = (*shares, round(last, 6))
        pc = float(np.corrcoef(sum(w * p for w, p in zip(weights, val_predictions, strict=True)), ratings)[0, 1])
        if pc > best_pc:
            best, best_pc = weights, pc
    return tuple(float(w) for w in best)


def ship_runs(run_dirs: list[Path], data: Path, cache: Path, mirror: bool = True,
              dest: Path = DEFAULT_SCORER_DIR, log=print) -> dict:
    """Make one or more split60 runs (one per branch) the embedded default scorer.

    The branches' shares are chosen on the validation hold-out (every run must share it: same
    seed and fraction). Writes `dest`/weights.npz (the trained layers, float16) and
    `dest`/card.json (architecture, recipe, validation and test figures). The card's test
    figures are measured on the model rebuilt from the stored float16 weights: what ships.
    """
    runs = [(Path(r), *_read_run(Path(r))) for r in run_dirs]
    backbones = [c["fit"]["backbone"] for _, c, _ in runs]
    if len(set(backbones)) != len(backbones):
        raise ValueError(f"each branch needs its own backbone; got {backbones}")
    holdouts = {(c["fit"]["seed"], c["fit"]["val_fraction"]) for _, c, _ in runs}
    if len(holdouts) != 1:
        raise ValueError("runs of one scorer need the same validation hold-out (seed, val_fraction)")
    ((seed, fraction),) = holdouts
    # One crop feeds every branch: the largest any run was trained on. A branch trained on a
    # smaller crop resizes it inside the graph (build_branch), and is chosen and scored so here.
    size = max(c["crop"]["output"] for _, c, _ in runs)

    dataset = as_dataset(data)
    (fold,) = dataset.folds("split60")
    _, val = split_val(list(fold.train), fraction, seed)
    clean = crop_all(dataset, dataset.all_samples(), dataset.cache_dir(cache), scorer_crop(size), progress=False)
    x_val, r_val, _ = clean_arrays(val, clean)
    trained = [read_keras_model(run_dir / "scorer.keras", "trained scorer") for run_dir, _, _ in runs]
    val_probs = [predict(_fed_at(m, size), x_val, mirror) for m in trained]
    shares = ensemble_shares([metrics.decode(p)["expected"] for p in val_probs], r_val)
    architecture = ScorerArchitecture(tuple(backbones), shares, mirror, size)
    log(f"architecture: {architecture}")

    tail = []
    for (_, config, _), model in zip(runs, trained, strict=True):
        first = config["fit"]["finetune_from"] or None
        names = [layer.name for layer in model.layers]
        from_layer = first or _default_first(config["fit"]["backbone"])
        tail += [layer for layer in model.layers[names.index(from_layer):] if layer.weights]
    layer_names = [layer.name for layer in tail]
    shipped = build_scorer(architecture)
    uint8_kernels = _uint8_kernels(shipped, tail, x_val, log)
    stored = store_trained_weights(tail, uint8_kernels)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    tmp = dest / "weights.tmp.npz"
    np.savez_compressed(tmp, **stored)
    card_tmp = dest / "card.tmp.json"
    set_stored_weights(shipped, stored)
    shipped_probs = predict(shipped, x_val, False)
    val_shipped = metrics.evaluate_probs(shipped_probs, r_val, ["all"] * len(r_val))
    # What storing the trained layers (uint8 kernels, float16 rest) costs: the shipped model
    # against the trained float32 branches, mixed the same way, on the validation crops.
    trained_probs = sum(share * probs for share, probs in zip(shares, val_probs, strict=True))
    shift = np.abs(metrics.decode(shipped_probs)["expected"] - metrics.decode(trained_probs)["expected"]) \
        * spec.SCORE.points_per_rating
    log(f"stored weights vs trained float32: score shift mean {shift.mean():.3f}, max {shift.max():.3f} points")
    test = evaluate_model(shipped, data, cache)
    card = {
        "runs": [r.name for r, _, _ in runs], "data": dataset.describe(), "scale": _scale(dataset),
        "architecture": architecture.as_dict(),
        "fit": {c["fit"]["backbone"]: c["fit"] for _, c, _ in runs}, "crop": runs[0][1]["crop"],
        "augmentation": runs[0][1]["augmentation"], "versions": runs[0][1]["versions"],
        "layers": layer_names, "uint8_kernels": uint8_kernels,
        "stored_values": {"uint8": int(sum(v.size for k, v in stored.items() if k.endswith(":q"))),
                          "float16": int(sum(v.size for k, v in stored.items() if v.dtype == np.float16))},
        "validation": {d: m["overall"] for d, m in val_shipped.items()},
        "storage_shift_points": {"mean": round(float(shift.mean()), 4), "max": round(float(shift.max()), 4),
                                 "about": "shipped (stored) weights vs the trained float32 model, validation crops"},
        "branch_validation": {b: r["folds"][0]["validation"] for b, (_, _, r) in zip(backbones, runs, strict=True)},
        "test_metrics": test["metrics"],
        "n_train": runs[0][2]["folds"][0]["n_train"], "n_val": len(r_val), "n_test": test["n"],
        "seconds": {b: r["folds"][0]["seconds"] for b, (_, _, r) in zip(backbones, runs, strict=True)},
        "no_face": runs[0][2]["no_face"],
        # What the page places a score among (facepack.score.percentile_among): people's ratings
        # of the test faces, not the model's scores.
        "reference": {"about": _reference_about(dataset),
                      "points": sorted(round(s.rating * spec.SCORE.points_per_rating, 4) for s in fold.test)},
    }
    if "faceapi-resnet29" in architecture.branches:
        # face-api's layers that stay frozen, beside the trained ones: the default builds without npm
        store_frozen_faceapi(layer_names, dest)
    write_json(card_tmp, card)
    tmp.replace(dest / "weights.npz")
    card_tmp.replace(dest / "card.json")
    return card


def add_to_default_card(key: str, value, card_file: Path = DEFAULT_SCORER_DIR / "card.json") -> None:
    """Record `value` under `key` in the embedded default's card (replaced atomically)."""
    card = json.loads(Path(card_file).read_text())
    card[key] = value
    tmp = Path(card_file).with_suffix(".tmp.json")
    write_json(tmp, card)
    tmp.replace(card_file)


def _uint8_kernels(shipped: keras.Model, tail: list, x_val: np.ndarray, log) -> list[str]:
    """The trained convolutions whose kernels are stored uint8 (a quarter of float32, half of
    float16): taken one by one, the kernel that moves the validation scores least first, while
    all those taken together move them by at most UINT8_SHIFT_BUDGET points on average. A kernel
    whose range is wide for its spread (a depthwise kernel with BatchNorm folded in) stays float16."""
    set_stored_weights(shipped, {f"{layer.name}/{i}": w for layer in tail for i, w in enumerate(layer.get_weights())})
    layers = trained_layers(shipped)
    kernels = {t.name: t.get_weights() for t in tail if isinstance(t, keras.layers.Conv2D)}

    def shift_with(names) -> float:
        for name, (kernel, *rest) in kernels.items():
            layers[name].set_weights([on_uint8_grid(kernel) if name in names else kernel, *rest])
        return float(np.abs(scores() - base).mean())

    def scores():
        return metrics.decode(predict(shipped, x_val, False))["expected"] * spec.SCORE.points_per_rating

    base = scores()
    alone = {name: shift_with({name}) for name in kernels}
    chosen: list[str] = []
    for name in sorted(kernels, key=alone.get):
        together = shift_with({*chosen, name})
        if together > UINT8_SHIFT_BUDGET:
            break
        chosen.append(name)
    shift_with(set())  # leave the float32 weights in place
    for name in kernels:
        log(f"  {name}: uint8 alone moves validation scores {alone[name]:.3f} points on average: "
            f"{'uint8' if name in chosen else 'float16'}")
    return [name for name in kernels if name in chosen]


def _fed_at(model: keras.Model, size: int) -> keras.Model:
    """`model` fed (size x size) crops, resized to its own input as the shipped graph does."""
    own = model.input_shape[1]
    if own == size:
        return model
    inputs = keras.Input((size, size, 3), name="face")
    return keras.Model(inputs, model(keras.layers.Resizing(own, own, "bilinear")(inputs)))


def _scale(dataset) -> dict | None:
    """The user's rating scale (None: SCUT-FBP5500's own 1..5)."""
    return None if dataset.scale is None else {"low": dataset.scale.low, "high": dataset.scale.high}


def _reference_about(dataset) -> str:
    if dataset.scale is None:
        return "SCUT-FBP5500 v2, official 60/40 test split: each face's mean rating by 60 raters, times 20 (points)"
    return (f"{dataset.describe()}, test split: each photo's rating mapped onto 0..100 points "
            f"({dataset.scale.low:g} -> 0, {dataset.scale.high:g} -> 100)")


def _default_first(backbone: str) -> str:
    from facepack.models.scorer import BACKBONES

    return BACKBONES[backbone].finetune_from or head_name(backbone)

