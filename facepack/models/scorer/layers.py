"""The scorer's custom Keras layers: mirror averaging inside the graph (registered in custom_layers)."""

from __future__ import annotations

import keras

from facepack.models.custom_layers import register


@register
class WithMirror(keras.layers.Layer):
    """(n, H, W, C) -> (2n, H, W, C): the batch, then its mirror images (flipped left to right)."""

    def call(self, x):
        return keras.ops.concatenate([x, keras.ops.flip(x, axis=2)], axis=0)

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])


@register
class MirrorMean(keras.layers.Layer):
    """(2n, K) -> (n, K): the mean of each row and its mirror image's row (WithMirror's order)."""

    def call(self, x):
        n = keras.ops.shape(x)[0] // 2
        return (x[:n] + x[n:]) / 2

    def compute_output_shape(self, input_shape):
        return (None, *input_shape[1:])
