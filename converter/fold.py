"""Fold BatchNormalization into the layer before it, so the TF.js graph is conv + rank-1 bias.

Why: a Keras 3 BatchNormalization converts to separate sub/mul/add ops on a rank-4 tensor.
The TF.js converter then fuses the conv with a rank-4 bias, and the WASM backend refuses it
("FusedConv2D only supports rank-1 bias"). Folded, each conv carries its own rank-1 bias,
every backend fuses conv + bias + activation, and the graph has fewer ops.

For a BatchNormalization fed only by a Conv2D, DepthwiseConv2D, SeparableConv2D or Dense with a
linear activation, inference computes  y = (conv(x) - mean) * s + beta,  s = gamma / sqrt(var + eps),
which equals one layer with kernel * s (per output channel) and bias (b - mean) * s + beta.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

FOLDABLE = (
    keras.layers.Conv2D,
    keras.layers.DepthwiseConv2D,
    keras.layers.SeparableConv2D,
    keras.layers.Dense,
)


class FoldedAway(keras.layers.Layer):
    """Stands where a folded BatchNormalization stood: passes its input through unchanged."""

    def call(self, inputs, training=None, mask=None):
        return inputs


@dataclass
class FoldReport:
    folded: int = 0  # BatchNormalization layers folded away
    left: int = 0  # BatchNormalization layers that could not be folded (they stay as they are)


def _producer(layer: keras.layers.Layer):
    """The single layer feeding `layer`, or None when it has several inputs or call sites."""
    if len(layer._inbound_nodes) != 1:
        return None
    tensors = layer._inbound_nodes[0].input_tensors
    if len(tensors) != 1:
        return None
    return tensors[0]._keras_history.operation


def _foldable_pair(bn: keras.layers.BatchNormalization):
    """The layer BN can be folded into, or None."""
    prev = _producer(bn)
    if not isinstance(prev, FOLDABLE):
        return None
    if prev.get_config().get("activation", "linear") != "linear":
        return None
    if len(prev._inbound_nodes) != 1 or len(prev._outbound_nodes) != 1:
        return None  # the pre-BN output is used elsewhere, or the layer is shared
    if getattr(prev, "data_format", "channels_last") != "channels_last":
        return None
    if bn.axis not in (-1, len(bn.input.shape) - 1) and bn.axis != [len(bn.input.shape) - 1]:
        return None
    return prev


def _bn_scale_shift(bn: keras.layers.BatchNormalization) -> tuple[np.ndarray, np.ndarray]:
    mean = keras.ops.convert_to_numpy(bn.moving_mean)
    var = keras.ops.convert_to_numpy(bn.moving_variance)
    gamma = keras.ops.convert_to_numpy(bn.gamma) if bn.scale else np.ones_like(mean)
    beta = keras.ops.convert_to_numpy(bn.beta) if bn.center else np.zeros_like(mean)
    scale = gamma / np.sqrt(var + bn.epsilon)
    return scale, beta - mean * scale


def _folded_weights(layer: keras.layers.Layer, scale: np.ndarray, shift: np.ndarray) -> list:
    weights = layer.get_weights()
    bias = weights.pop() if layer.use_bias else np.zeros_like(shift)
    if isinstance(layer, keras.layers.SeparableConv2D):
        depthwise, pointwise = weights  # the pointwise kernel makes the output channels
        return [depthwise, pointwise * scale, bias * scale + shift]
    (kernel,) = weights
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        # output channel c * multiplier + m comes from kernel[..., c, m]
        kernel = kernel * scale.reshape(kernel.shape[2], kernel.shape[3])
    else:
        kernel = kernel * scale  # Conv2D (h, w, in, out) and Dense (in, out): out is last
    return [kernel, bias * scale + shift]


def fold_batchnorm(model: keras.Model) -> tuple[keras.Model, FoldReport]:
    """A copy of `model` with every foldable BatchNormalization folded into its producer.

    Works on functional and Sequential models, nested ones included; the input model is not
    changed. Subclassed models are returned unchanged (their graph cannot be rewritten here).

    Returns:
        (the folded model, a FoldReport). Outputs agree with the original to float32 rounding.
    """
    report = FoldReport()
    if not isinstance(model, keras.Sequential) and not hasattr(model, "_operations"):
        return model, report
    pairs = {}  # id(producer) -> bn
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            prev = _foldable_pair(layer)
            if prev is None:
                report.left += 1
            else:
                pairs[id(prev)] = layer
    folded_bns = {id(bn) for bn in pairs.values()}
    replacements: dict[str, tuple[keras.layers.Layer, keras.layers.BatchNormalization]] = {}

    def clone(layer):
        if id(layer) in pairs:
            config = {**layer.get_config(), "use_bias": True}
            new = layer.__class__.from_config(config)
            replacements[new.name] = (layer, pairs[id(layer)])
            return new
        if id(layer) in folded_bns:
            return FoldedAway(name=layer.name)
        if isinstance(layer, keras.Model):
            inner, inner_report = fold_batchnorm(layer)
            report.folded += inner_report.folded
            report.left += inner_report.left
            return inner
        return layer  # shared, weights and all: the copy is for export, not for training

    if not pairs and not any(isinstance(layer, keras.Model) for layer in model.layers):
        return model, report
    new_model = keras.models.clone_model(model, clone_function=clone)
    for name, (old, bn) in replacements.items():
        new_model.get_layer(name).set_weights(_folded_weights(old, *_bn_scale_shift(bn)))
    report.folded += len(pairs)
    return new_model, report
