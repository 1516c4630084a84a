"""Run folders: `run_fit` (train + report + plots), `evaluate_model`, `ship_run` (the embedded default).

A run folder (runs/<name>/):
    config.json        the exact FitConfig, crop rule, detector settings, data path, versions
    report.json        per fold: metrics for both decodings, overall and per subgroup; history;
                       stage times; test predictions. cv5: mean and std over folds
    scorer.keras       the model (split60); scorer-cv5-K.keras per fold for cv5
    scatter.png, loss.png, histogram.png   (of the first fold)
It is written as runs/<name>.partial and renamed when complete: an interrupted run leaves no
folder that looks finished, and never a half-written model.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from importlib.metadata import version
from pathlib import Path

import keras
import numpy as np

from facepack import spec
from facepack.models import DEFAULT_SCORER_DIR, DEFAULT_WEIGHTS, build_default_scorer
from training import metrics, plots
from training.crops import crop_all, write_json
from training.dataset import ScutFbp5500
from training.fit import FitConfig, arrays, fit_fold, input_rule, predict, summarise
from training.model import BACKBONES, build_scorer

INPUT_SIZES = {"faceres": 150, "resnet50": 224, "facerank-cnn": 128}


def _versions() -> dict:
    return {name: version(name) for name in ("tensorflow", "keras", "mtcnn", "numpy")}


def run_fit(data: Path, cache: Path, run_dir: Path, overrides: dict, log=print) -> tuple[Path, dict]:
    config = FitConfig(**overrides)
    if config.backbone not in BACKBONES:
        raise ValueError(f"--backbone must be one of {', '.join(BACKBONES)}, not {config.backbone!r}")
    run_dir = Path(run_dir)
    if run_dir.exists():
        raise ValueError(f"run folder {run_dir} already exists; pick another --name")
    dataset = ScutFbp5500(data)
    folds = dataset.folds(config.protocol)
    rule = input_rule(INPUT_SIZES[config.backbone])
    crops = crop_all(dataset, dataset.all_samples(), cache, rule)
    if crops.no_face:
        log(f"no face found in {len(crops.no_face)} images (left out, listed in report.json): "
            f"{', '.join(crops.no_face[:10])}")
    partial = run_dir.with_name(run_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    write_json(partial / "config.json", {
        "fit": dataclasses.asdict(config), "crop": spec.as_dict(rule), "detector": spec.as_dict(spec.DETECTOR),
        "data": str(Path(data).resolve()), "versions": _versions()})
    start = time.perf_counter()
    fold_reports = []
    for fold in folds:
        model, report = fit_fold(fold, crops, config, log)
        fold_reports.append(report)
        model_path = partial / ("scorer.keras" if config.protocol == "split60" else f"scorer-{fold.name}.keras")
        model.save(model_path)
        if len(fold_reports) == 1:
            pred = np.array([p["expected"] for p in report["predictions"]])
            true = np.array([p["true"] for p in report["predictions"]])
            groups = [p["name"][:2] for p in report["predictions"]]
            o = report["metrics"]["expected"]["overall"]
            plots.scatter(pred, true, groups, partial / "scatter.png",
                          f"{fold.name} test: PC {o['pc']:.3f}, MAE {o['mae']:.3f}, RMSE {o['rmse']:.3f}")
            plots.losses(report["history"], partial / "loss.png")
            plots.histograms(pred, true, partial / "histogram.png")
    report = {"protocol": config.protocol, "backbone": config.backbone, "folds": fold_reports,
              "no_face": crops.no_face, "seconds_total": round(time.perf_counter() - start, 1)}
    if len(fold_reports) > 1:
        report["summary"] = summarise(fold_reports)
    write_json(partial / "report.json", report)
    partial.rename(run_dir)
    return run_dir, report


def _test_arrays(data: Path, cache: Path, size: int):
    dataset = ScutFbp5500(data)
    (fold,) = dataset.folds("split60")
    crops = crop_all(dataset, dataset.all_samples(), cache, input_rule(size), progress=False)
    return arrays(list(fold.test), crops)


def evaluate_model(model_arg: str | keras.Model, data: Path, cache: Path, flip: bool = False) -> dict:
    """Metrics of a scorer (a .keras path, 'default', or a model) on the official 60/40 test split."""
    from facepack.models import check_scorer_shapes, read_keras_model

    if isinstance(model_arg, keras.Model):
        model = model_arg
    else:
        model = build_default_scorer() if model_arg == "default" else read_keras_model(Path(model_arg), "scorer")
    size = check_scorer_shapes(model, str(model_arg) if not isinstance(model_arg, keras.Model) else "model")
    x, ratings, kept = _test_arrays(data, cache, size)
    probs = predict(model, x, flip)
    return {"metrics": metrics.evaluate_probs(probs, ratings, [s.subgroup for s in kept]), "n": len(kept)}


def ship_run(run_dir: Path, data: Path, cache: Path, dest: Path = DEFAULT_SCORER_DIR) -> dict:
    """Store a faceres split60 run's trained layers (float16) as the embedded default scorer.

    Writes `dest`/weights.npz and `dest`/card.json; the card's `test_metrics` are measured on the
    model rebuilt from the stored float16 weights, i.e. on what ships.
    """
    run_dir = Path(run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    report = json.loads((run_dir / "report.json").read_text())
    if config["fit"]["backbone"] != "faceres" or config["fit"]["protocol"] != "split60":
        raise ValueError(f"{run_dir}: only a faceres split60 run can be shipped (its backbone comes from npm)")
    if config["fit"]["tta_flip"]:
        raise ValueError(f"{run_dir}: was evaluated with tta_flip, which the browser does not do")
    trained = keras.models.load_model(run_dir / "scorer.keras", compile=False)
    first = build_scorer("faceres").finetune_from
    names = [layer.name for layer in trained.layers]
    tail = [layer for layer in trained.layers[names.index(first):] if layer.weights]
    arrays_out = {f"{layer.name}/{i}": w.astype(np.float16)
                  for layer in tail for i, w in enumerate(layer.get_weights())}
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    weights = dest / DEFAULT_WEIGHTS.name
    tmp = dest / "weights.tmp.npz"
    np.savez_compressed(tmp, **arrays_out)
    tmp.replace(weights)
    shipped = evaluate_model(build_default_scorer(weights), data, cache)  # float16-restored, as it ships
    fold = report["folds"][0]
    card = {
        "run": run_dir.name, "fit": config["fit"], "crop": config["crop"], "versions": config["versions"],
        "layers": [layer.name for layer in tail], "float16_values": int(sum(a.size for a in arrays_out.values())),
        "run_test_metrics": fold["metrics"], "test_metrics": shipped["metrics"],
        "n_train": fold["n_train"], "n_val": fold["n_val"], "n_test": shipped["n"],
        "seconds": fold["seconds"], "no_face": report["no_face"],
    }
    write_json(dest / "card.json", card)
    return card
