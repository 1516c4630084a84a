"""facepack.models.uint8_grid is tensorflowjs's uint8 rule, and a tensor on its grid survives the
converter's uint8 quantization unchanged."""

import os

import numpy as np
import pytest

from facepack.models.uint8_grid import dequantize_uint8, on_uint8_grid, quantize_uint8

os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")  # tensorflowjs imports decision forests
from tensorflowjs.quantization import dequantize_weights, quantize_weights  # noqa: E402


@pytest.mark.parametrize("low, high", [(-0.7, 1.3), (0.2, 0.9), (-2.0, -0.5), (-1e-3, 4e-3)])
def test_the_rule_is_tensorflowjs_own(low, high):
    w = np.random.default_rng(0).uniform(low, high, (3, 3, 8, 16)).astype(np.float32)
    q, scale, minimum = quantize_uint8(w)
    theirs, meta = quantize_weights(w, np.uint8)
    assert (q == theirs).all() and scale == pytest.approx(meta["scale"]) and minimum == pytest.approx(meta["min"])
    np.testing.assert_array_equal(dequantize_uint8(q, scale, minimum), dequantize_weights(theirs, meta))


def test_a_tensor_on_its_grid_comes_back_from_the_converters_rule_unchanged():
    w = on_uint8_grid(np.random.default_rng(1).normal(0, 0.05, (3, 3, 64, 64)).astype(np.float32))
    again = dequantize_weights(*quantize_weights(w, np.uint8))
    assert np.abs(again - w).max() <= 1e-7 * np.abs(w).max()
    assert len(np.unique(w)) <= 256
