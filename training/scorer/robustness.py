"""How far a scorer's output moves when the same photo changes: the robustness report.

For every test photo and every condition of training.scorer.transforms.ROBUSTNESS (roll +-15 and +-30
degrees, half size, padding to twice the size, JPEG quality 50, a mirror image) the whole photo
is changed, then detected and cropped again (the browser's detector and crop rule), and scored.
Per condition:
    pc, mae          against the labels (1-5 scale), over photos with a face found
    shift_mean, shift_p95, shift_max
                     |score of the changed photo - score of the unchanged one|, in points (0-100)
    no_face          photos where the detector found no face after the change
Detections of changed photos are cached per condition (cache/robustness-<key>.json), so a
second scorer is measured without detecting again.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
from tqdm import tqdm

from facepack import spec
from facepack.crop import crop_faces
from facepack.models.scorer import check_scorer_shapes, scorer_crop
from training import plots
from training.common import write_json
from training.dataset import Dataset, Sample, as_dataset
from training.scorer import metrics
from training.scorer.crops import (
    _key,
    crop_all,
    detect_all,
    detect_cached,
    detections_key,
    face_from_record,
    load_image,
)
from training.scorer.fit import clean_arrays, predict
from training.scorer.transforms import ROBUSTNESS, PhotoChange


def _changed(dataset: Dataset, sample: Sample, change: PhotoChange) -> np.ndarray:
    return change.apply(load_image(dataset.image_path(sample)))


def detect_changed(dataset: Dataset, samples: list[Sample], cache: Path, name: str, change: PhotoChange,
                   progress: bool = True) -> dict:
    path = cache / f"robustness-{_key(detections_key(), change.as_dict())}.json"
    jobs = [(s.name, functools.partial(_changed, dataset, s, change)) for s in samples]
    cached = detect_cached(path, jobs, desc=f"detecting: {name}", progress=progress)
    return {s.name: face_from_record(cached[s.name]) for s in samples}


def robustness_report(model, data: Path, cache: Path, samples: list[Sample] | None = None,
                      rule: spec.CropRule | None = None, conditions: dict[str, PhotoChange] = ROBUSTNESS,
                      progress: bool = True) -> dict:
    """The report for a Keras scorer on `samples` (default: the official 60/40 test split).

    `rule` is the crop the scorer is fed (default: facepack.spec.SCORER_CROP at its input size).
    """
    dataset = as_dataset(data)
    cache = dataset.cache_dir(cache)
    if samples is None:
        (fold,) = dataset.folds("split60")
        samples = list(fold.test)
    rule = rule or scorer_crop(check_scorer_shapes(model, "scorer"))
    clean = crop_all(dataset, dataset.all_samples(), cache, rule, progress=False)
    x, ratings, kept = clean_arrays(samples, clean)
    upright = metrics.decode(predict(model, x, False))["expected"]
    base = {s.name: u for s, u in zip(kept, upright, strict=True)}
    report = {"n_photos": len(samples), "n_upright": len(kept), "crop": spec.as_dict(rule),
              "upright": metrics.regression_metrics(upright, ratings), "conditions": {}}
    for name, change in conditions.items():
        faces = detect_changed(dataset, kept, cache, name, change, progress)
        found = [s for s in kept if faces[s.name] is not None]
        crops = np.zeros((len(found), rule.output, rule.output, 3), np.uint8)
        for i, s in enumerate(tqdm(found, desc=f"cropping: {name}", unit="img", disable=not progress)):
            patch = crop_faces(_changed(dataset, s, change), [faces[s.name]], rule)[0]
            crops[i] = np.clip(np.rint(patch), 0, 255)
        scores = metrics.decode(predict(model, crops, False))["expected"]
        shift = np.abs(scores - np.array([base[s.name] for s in found])) * spec.SCORE.points_per_rating
        fit = metrics.regression_metrics(scores, np.array([s.rating for s in found]))
        report["conditions"][name] = {
            "change": change.as_dict(), "n": len(found), "no_face": len(kept) - len(found),
            "pc": fit["pc"], "mae": fit["mae"], "rmse": fit["rmse"],
            "shift_mean": float(shift.mean()) if len(shift) else float("nan"),
            "shift_p95": float(np.percentile(shift, 95)) if len(shift) else float("nan"),
            "shift_max": float(shift.max()) if len(shift) else float("nan"),
        }
    return report


def write_report(report: dict, out_dir: Path, title: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(out_dir / "robustness.json", report)
    plots.robustness(report["conditions"], out_dir / "robustness.png", title)


def table(report: dict) -> str:
    u = report["upright"]
    lines = [f"{'change':<11} {'n':>5} {'no face':>7} {'PC':>7} {'MAE':>7} {'mean shift':>11} {'p95 shift':>10}",
             f"{'as it is':<11} {u['n']:>5} {0:>7} {u['pc']:>7.4f} {u['mae']:>7.4f} {'-':>11} {'-':>10}"]
    for name, c in report["conditions"].items():
        lines.append(f"{name:<11} {c['n']:>5} {c['no_face']:>7} {c['pc']:>7.4f} {c['mae']:>7.4f} "
                     f"{c['shift_mean']:>8.2f} pt {c['shift_p95']:>7.2f} pt")
    return "\n".join(lines)


def card_summary(report: dict) -> dict:
    """What the model card and the page show: per change, Pearson, MAE and the score shift."""
    keep = ("n", "no_face", "pc", "mae", "shift_mean", "shift_p95")
    return {"about": "the official 60/40 test photos, changed, detected and cropped again "
                     "(`python -m training robustness default`); shifts in points",
            "upright": {k: report["upright"][k] for k in ("n", "pc", "mae")},
            "conditions": {name: {k: round(c[k], 4) for k in keep} for name, c in report["conditions"].items()}}


def unaligned(rule: spec.CropRule) -> spec.CropRule:
    return dataclasses.replace(rule, rotate="none")


ROLLS = {name: change for name, change in ROBUSTNESS.items() if name.startswith("roll")}


def emotion_stability(data: Path, cache: Path, rules: dict[str, spec.CropRule], samples: list[Sample] | None = None,
                      conditions: dict[str, PhotoChange] = ROLLS, progress: bool = True) -> dict:
    """How often fer's emotion label on a changed photo equals its label on the unchanged one,
    for each crop rule in `rules` (e.g. axis-aligned vs levelled eyes).

    Returns:
        {rule name: {condition: {"agreement": fraction of photos, "prob_shift": mean total
        variation distance between the two probability vectors, "n": photos}}}
    """
    from facepack.models.emotion import load_emotion

    dataset = as_dataset(data)
    cache = dataset.cache_dir(cache)
    if samples is None:
        (fold,) = dataset.folds("split60")
        samples = list(fold.test)
    model = load_emotion().model
    clean = detect_all(dataset, samples, cache, progress=False)
    kept = [s for s in samples if clean[s.name] is not None]
    changed_faces = {name: detect_changed(dataset, kept, cache, name, change, progress)
                     for name, change in conditions.items()}
    out = {}
    for rule_name, rule in rules.items():
        def probs_of(photo_faces: list[tuple[np.ndarray, object]], rule: spec.CropRule = rule) -> np.ndarray:
            crops = np.stack([crop_faces(image, [face], rule)[0] for image, face in photo_faces])
            return np.asarray(model.predict(crops, batch_size=64, verbose=0))

        base = probs_of([(load_image(dataset.image_path(s)), clean[s.name]) for s in kept])
        out[rule_name] = {}
        for name, change in conditions.items():
            found = [i for i, s in enumerate(kept) if changed_faces[name][s.name] is not None]
            moved = probs_of([(_changed(dataset, kept[i], change), changed_faces[name][kept[i].name]) for i in found])
            agree = moved.argmax(1) == base[found].argmax(1)
            out[rule_name][name] = {"agreement": float(agree.mean()), "n": len(found),
                                    "prob_shift": float(0.5 * np.abs(moved - base[found]).sum(1).mean())}
    return out

