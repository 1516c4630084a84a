"""Decoding the 101-way output and the dataset's metrics (on the 1..5 rating scale)."""

from __future__ import annotations

import numpy as np

from facepack import spec

POINTS = np.arange(spec.SCORE.num_classes, dtype=np.float64)


def one_hot(ratings: np.ndarray, sigma: float = 0.0) -> np.ndarray:
    """Targets over the 101 classes: one-hot at int(r*20+0.5), or a Gaussian of `sigma` classes
    around r*20 (a smoothed label distribution), normalised to sum to 1."""
    ratings = np.asarray(ratings, np.float64)
    if sigma <= 0:
        target = np.zeros((len(ratings), spec.SCORE.num_classes), np.float32)
        target[np.arange(len(ratings)), [spec.rating_to_class(r) for r in ratings]] = 1
        return target
    g = np.exp(-0.5 * ((POINTS[None] - ratings[:, None] * spec.SCORE.points_per_rating) / sigma) ** 2)
    return (g / g.sum(axis=1, keepdims=True)).astype(np.float32)


def decode(probs: np.ndarray) -> dict[str, np.ndarray]:
    """Ratings (1..5 scale) by expected value (sum_k p_k k / 20) and by argmax (k / 20)."""
    probs = np.asarray(probs, np.float64)
    per = spec.SCORE.points_per_rating
    return {"expected": probs @ POINTS / per, "argmax": probs.argmax(axis=1) / per}


def regression_metrics(pred: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """Pearson correlation, MAE and RMSE."""
    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    pc = float(np.corrcoef(pred, true)[0, 1]) if len(pred) > 1 and pred.std() > 0 and true.std() > 0 else float("nan")
    return {"pc": pc, "mae": float(np.mean(np.abs(pred - true))), "rmse": float(np.sqrt(np.mean((pred - true) ** 2))),
            "n": int(len(pred))}


def evaluate_probs(probs: np.ndarray, ratings: np.ndarray, subgroups: list[str]) -> dict:
    """Metrics for both decodings, overall and per subgroup (AF/AM/CF/CM)."""
    out = {}
    subgroups = np.asarray(subgroups)
    for decoding, pred in decode(probs).items():
        out[decoding] = {"overall": regression_metrics(pred, ratings)}
        for group in sorted(set(subgroups.tolist())):
            mask = subgroups == group
            out[decoding][group] = regression_metrics(pred[mask], np.asarray(ratings)[mask])
    return out
