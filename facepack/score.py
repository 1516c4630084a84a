"""What a face's 101 score probabilities say, the same in Python and JavaScript (js/src/score.js).

    expected    sum_k p_k * k points (0-100): the score shown
    argmax      the most probable k
    interval    [the spec.SCORE.interval quantiles]: the smallest k whose cumulative probability
                reaches 0.1, and the one that reaches 0.9 (summed from k = 0 up, in float64)
    percentile  where `expected` stands among a reference set of ratings (the manifest's
                models.scorer.score.reference: the SCUT-FBP5500 test faces' mean ratings in
                points): 100 * (number below + half the number equal) / number of ratings.
                It places the model's output among one dataset's ratings, not a person.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facepack import spec


def quantile_class(probs: Sequence[float], q: float) -> int:
    """The smallest class k whose cumulative probability reaches q."""
    total = 0.0
    for k, p in enumerate(probs):
        total += float(p)
        if total >= q:
            return k
    return len(probs) - 1


def percentile_among(score: float, reference: Sequence[float]) -> float:
    """Percent of `reference` below `score`, counting ties as half."""
    ref = np.asarray(reference, np.float64)
    below = int(np.sum(ref < score))
    equal = int(np.sum(ref == score))
    return 100.0 * (below + equal / 2) / len(ref)


def summarize(probs: Sequence[float], reference: Sequence[float] | None = None) -> dict:
    """{expected, argmax, interval, percentile} of one face's probabilities (percentile None
    without a reference)."""
    probs = np.asarray(probs, np.float64)
    expected = float(probs @ np.arange(len(probs)))
    low, high = spec.SCORE.interval
    return {"expected": expected, "argmax": int(np.argmax(probs)),
            "interval": [quantile_class(probs, low), quantile_class(probs, high)],
            "percentile": None if reference is None or len(reference) == 0 else percentile_among(expected, reference)}
