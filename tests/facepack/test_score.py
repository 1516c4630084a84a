"""facepack.score: the interval and percentile a face's probabilities give (js/test/score.test.js
holds the JavaScript to the same cases)."""

import numpy as np
import pytest

from facepack import score, spec


def probs_at(weights: dict[int, float]) -> np.ndarray:
    p = np.zeros(spec.SCORE.num_classes)
    for k, w in weights.items():
        p[k] = w
    return p


def test_the_interval_is_the_smallest_classes_whose_cumulative_probability_reaches_each_quantile():
    p = probs_at({40: 0.05, 50: 0.5, 60: 0.3, 70: 0.15})
    assert spec.SCORE.interval == (0.1, 0.9)
    summary = score.summarize(p, [10, 50, 55.5, 90])
    assert summary["interval"] == [50, 70] and summary["argmax"] == 50
    assert summary["expected"] == pytest.approx(55.5)
    assert summary["percentile"] == pytest.approx(100 * 2.5 / 4)  # 10 and 50 below, 55.5 tied
    assert score.summarize(p)["percentile"] is None


def test_the_percentile_counts_ties_as_half():
    assert score.percentile_among(50, [50, 50]) == 50
    assert score.percentile_among(0, [1, 2]) == 0 and score.percentile_among(100, [1, 2]) == 100
