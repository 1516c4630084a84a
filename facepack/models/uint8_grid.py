"""Weights stored as one byte each: TF.js's per-tensor affine uint8 rule, written once here.

A tensor w is stored as q = round((w - min) / scale) in 0..255, with scale = (max - min) / 255 and
[min, max] nudged so that 0 is exactly a grid point when the tensor spans it (tensorflowjs's
quantization.quantize_weights). Reading it gives float32(q * scale + min), computed in float64,
as TF.js does. A tensor already on such a grid comes out of the converter's uint8 quantization
unchanged (up to float32 rounding, 3e-8 on the scorer's kernels): so a Keras model whose
kernels are on the grid is exactly what a uint8 bundle runs (tests/unit/test_uint8_grid.py).
"""

from __future__ import annotations

import numpy as np

LEVELS = 255


def quantize_uint8(w: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(q, scale, min) of `w` by tensorflowjs's rule."""
    w = np.asarray(w, np.float32)
    low, high = float(w.min()), float(w.max())
    if low == high:
        return np.zeros(w.shape, np.uint8), 1.0, low
    scale = (high - low) / LEVELS
    if low <= 0 <= high:  # nudge so that 0 is a grid point
        low = -float(np.round(-low / scale)) * scale
        high = LEVELS * scale + low
    q = np.round((np.clip(w, low, high) - low) / scale).astype(np.uint8)
    return q, scale, low


def dequantize_uint8(q: np.ndarray, scale: float, low: float) -> np.ndarray:
    return (np.asarray(q, np.float64) * scale + low).astype(np.float32)


def on_uint8_grid(w: np.ndarray) -> np.ndarray:
    """`w` moved to the nearest point of its own uint8 grid."""
    return dequantize_uint8(*quantize_uint8(w))
