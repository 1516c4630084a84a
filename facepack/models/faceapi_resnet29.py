"""The face-recognition ResNet of face-api.js (dlib's ResNet-29 design), rebuilt in Keras.

A scorer backbone (facepack.models.scorer, `faceapi-resnet29`).

It is the pretrained backbone this environment has (no ImageNet weights can be fetched here);
the weights come from `@vladmandic/face-api`'s `face_recognition_model.bin`, installed by npm
(the embedded default scorer keeps a copy of the tensors it needs: `copy_faceapi_weights`).

Architecture (face-api `src/faceRecognitionNet`), input 150x150 RGB:
    stem      7x7/2 conv 'valid' + scale + relu, then 3x3/2 max pool 'valid'   -> 35x35x32
    stage 32  3 residual blocks                                               -> 35x35x32
    stage 64  down block + 3 residual blocks                                  -> 17x17x64
    stage 128 down block + 2 residual blocks                                  -> 8x8x128
    stage 256 down block + 2 residual blocks + down block ('conv256_down_out') -> 2x2x256
    mean over space -> 256 features; `fc` (256 -> 128, no bias) -> face descriptor
A residual block is conv-scale-relu, conv-scale, add input, relu. A down block's conv branch
is 'valid' with stride 2; its shortcut is a 2x2 average pool with zero channels appended,
and where the two differ in size the conv branch gets one zero row/column at bottom/right.

Two folds happen while the weights are loaded, so the graph the browser runs is plain
conv + bias (rank-1) + relu, which every TF.js backend fuses. Keras layer names are
face-api's with '/' written '.', e.g. `conv64_down.conv1`.

- each conv's `scale` layer (x * w + b, per channel) is folded into the conv's kernel and bias;
- the input normalisation, (rgb - mean_rgb) / 255, is folded into the stem conv (exact because
  the stem is 'valid': no padded pixel ever meets the mean). The model takes RGB in [0, 255].
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from facepack import assets
from facepack.models.custom_layers import register
from facepack.models.uint8_grid import on_uint8_grid

INPUT_SIZE = 150  # face-api resizes every face to 150x150 before this net
MEAN_RGB = (122.782, 117.001, 104.298)  # face-api FaceRecognitionNet.forwardInput
PIXEL_DIVISOR = 255.0
FEATURES = 256  # channels after the last stage, before `fc`

# (block name, kind) in the order face-api runs them.
BLOCKS: tuple[tuple[str, str], ...] = (
    ("conv32_1", "residual"), ("conv32_2", "residual"), ("conv32_3", "residual"),
    ("conv64_down", "down"), ("conv64_1", "residual"), ("conv64_2", "residual"),
    ("conv64_3", "residual"),
    ("conv128_down", "down"), ("conv128_1", "residual"), ("conv128_2", "residual"),
    ("conv256_down", "down"), ("conv256_1", "residual"), ("conv256_2", "residual"),
    ("conv256_down_out", "down"),
)  # fmt: skip


@register
class PadChannels(keras.layers.Layer):
    """Append `extra` zero channels (the down block's shortcut; face-api concats zeros)."""

    def __init__(self, extra: int, **kwargs):
        super().__init__(**kwargs)
        self.extra = int(extra)

    def call(self, x):
        return keras.ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, self.extra]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:3], input_shape[3] + self.extra)

    def get_config(self):
        return {**super().get_config(), "extra": self.extra}


def _weight_group(manifest: Path) -> dict:
    """The one weight group of a face-api weights manifest: {"paths": [the .bin], "weights": [...]}."""
    spec = json.loads(Path(manifest).read_text())
    if len(spec) != 1:
        raise ValueError(f"{manifest}: expected one weight group, found {len(spec)}")
    return spec[0]


def _stored_bytes(manifest: Path, entry: dict) -> int:
    """Bytes a tensor of the manifest takes in the .bin: one per value if uint8-quantized, else four."""
    quant = entry.get("quantization")
    if quant and quant["dtype"] != "uint8":
        raise ValueError(f"{manifest}: {entry['name']} uses {quant['dtype']} quantization")
    return int(np.prod(entry["shape"])) * (1 if quant else 4)


def read_faceapi_weights(manifest: Path, weights_bin: Path | None = None) -> dict[str, np.ndarray]:
    """Read a face-api weights file into float32 arrays, dequantizing uint8 tensors.

    The .bin (None: the one the manifest names, beside it) is the tensors back to back in
    manifest order; a tensor with a `quantization` entry is stored as one uint8 per value and
    means `q * scale + min` (TF.js's rule), the others are little-endian float32.
    """
    group = _weight_group(manifest)
    weights_bin = weights_bin or Path(manifest).parent / group["paths"][0]
    raw = Path(weights_bin).read_bytes()
    out: dict[str, np.ndarray] = {}
    offset = 0
    for entry in group["weights"]:
        count = int(np.prod(entry["shape"]))
        quant = entry.get("quantization")
        if quant:
            q = np.frombuffer(raw, np.uint8, count, offset).astype(np.float32)
            values = q * np.float32(quant["scale"]) + np.float32(quant["min"])
        else:
            values = np.frombuffer(raw, "<f4", count, offset).copy()
        offset += _stored_bytes(manifest, entry)
        out[entry["name"]] = values.reshape(entry["shape"]).astype(np.float32)
    if offset != len(raw):
        raise ValueError(f"{weights_bin}: read {offset} bytes but the file has {len(raw)}")
    return out


def copy_faceapi_weights(manifest: Path, weights_bin: Path, keep: Callable[[str], bool], dest: Path) -> list[str]:
    """Copy the tensors of a face-api weights file whose names `keep` accepts, byte for byte and
    with their manifest entries unchanged, into a face-api weights file of their own: the
    manifest `dest` ("<name>-weights_manifest.json") and "<name>.bin" beside it.

    Returns:
        The names of the tensors copied.
    """
    raw = Path(weights_bin).read_bytes()
    kept, chunks, offset = [], [], 0
    for entry in _weight_group(manifest)["weights"]:
        size = _stored_bytes(manifest, entry)
        if keep(entry["name"]):
            kept.append(entry)
            chunks.append(raw[offset:offset + size])
        offset += size
    bin_name = Path(dest).name.removesuffix("-weights_manifest.json") + ".bin"
    Path(dest).write_text(json.dumps([{"weights": kept, "paths": [bin_name]}], indent=1) + "\n")
    (Path(dest).parent / bin_name).write_bytes(b"".join(chunks))
    return [entry["name"] for entry in kept]


def _folded_conv(w: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Kernel and bias of `prefix`'s conv with its scale layer folded in; None if `w` lacks them."""
    if f"{prefix}/conv/filters" not in w:
        return None
    kernel, bias = w[f"{prefix}/conv/filters"], w[f"{prefix}/conv/bias"]
    scale, shift = w[f"{prefix}/scale/weights"], w[f"{prefix}/scale/biases"]
    # (conv(x, K) + b) * s + t == conv(x, K * s) + (b * s + t); s is per output channel,
    # the last axis of an HWIO kernel.
    return kernel * scale, bias * scale + shift


def _stem_weights(w: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    folded = _folded_conv(w, "conv32_down")
    if folded is None:
        return None
    kernel, bias = folded
    # conv((x - m) / d, K) + b == conv(x, K / d) + (b - sum_{h,w,c} K[h,w,c,:] * m_c / d)
    mean = np.asarray(MEAN_RGB, np.float32)
    shift = np.einsum("hwco,c->o", kernel, mean) / PIXEL_DIVISOR
    return kernel / PIXEL_DIVISOR, bias - shift


def _conv(x, filters: int, kernel: int, stride: int, padding: str, relu: bool, name: str, weights, grid: bool):
    conv = keras.layers.Conv2D(filters, kernel, strides=stride, padding=padding, name=name)
    x = conv(x)
    if weights is not None:  # None: the caller sets this layer's weights afterwards
        k, b = weights
        conv.set_weights([on_uint8_grid(k) if grid else k, b])
    return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _block(x, name: str, kind: str, filters: int, w: dict[str, np.ndarray], grid: bool):
    stride, padding = (1, "same") if kind == "residual" else (2, "valid")
    out = _conv(x, filters, 3, stride, padding, True, f"{name}.conv1", _folded_conv(w, f"{name}/conv1"), grid)
    out = _conv(out, filters, 3, 1, "same", False, f"{name}.conv2", _folded_conv(w, f"{name}/conv2"), grid)
    shortcut = x
    if kind == "down":
        shortcut = keras.layers.AveragePooling2D(2, 2, "valid", name=f"{name}.pool")(x)
        if out.shape[1] < shortcut.shape[1]:
            pad = shortcut.shape[1] - out.shape[1]
            out = keras.layers.ZeroPadding2D(((0, pad), (0, pad)), name=f"{name}.pad")(out)
        if filters > shortcut.shape[3]:
            shortcut = PadChannels(filters - shortcut.shape[3], name=f"{name}.zeros")(shortcut)
    out = keras.layers.Add(name=f"{name}.add")([out, shortcut])
    return keras.layers.ReLU(name=f"{name}.relu")(out)


def faceapi_resnet29_features(x, weights: dict[str, np.ndarray] | None = None, uint8_grid: bool = False):
    """The backbone's layers applied to the Keras tensor `x` ((batch, 150, 150, 3) RGB in
    [0, 255]), with face-api's weights (`read_faceapi_weights`; from node_modules when None).
    A layer whose tensors `weights` lacks keeps Keras's initial values, for a caller that sets
    them afterwards (the embedded default scorer's trained layers).

    face-api stores its kernels as uint8; folding the per-channel scale layers into them moves
    them off that grid. With `uint8_grid`, each folded kernel goes back to a uint8 grid of its
    own (facepack.models.uint8_grid), so a uint8 bundle holds exactly these values.

    Returns:
        The (batch, 256) pooled features tensor.
    """
    w = weights if weights is not None else read_faceapi_weights(*assets.faceapi_recognition_weights())
    x = _conv(x, 32, 7, 2, "valid", True, "conv32_down", _stem_weights(w), uint8_grid)
    x = keras.layers.MaxPooling2D(3, 2, "valid", name="stem_pool")(x)
    for name, kind in BLOCKS:
        x = _block(x, name, kind, int(name[4:].split("_")[0]), w, uint8_grid)
    return keras.layers.GlobalAveragePooling2D(name="features")(x)


def build_faceapi_resnet29(with_descriptor: bool = False, weights: dict[str, np.ndarray] | None = None):
    """The backbone with face-api's pretrained weights, as a model of its own.

    Args:
        with_descriptor: also apply face-api's `fc` and return its 128-d face descriptor
            (the model's output is then the descriptor, as face-api's `computeFaceDescriptor`
            before normalisation). Without it the output is the 256 pooled features.
        weights: tensors as from `read_faceapi_weights`; read from node_modules when None.

    Returns:
        A Keras functional model: (batch, 150, 150, 3) RGB in [0, 255] -> (batch, 256 or 128).
    """
    w = weights if weights is not None else read_faceapi_weights(*assets.faceapi_recognition_weights())
    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), name="face")
    x = faceapi_resnet29_features(inputs, w)
    if with_descriptor:
        fc = keras.layers.Dense(128, use_bias=False, name="fc")
        x = fc(x)
        fc.set_weights([w["fc"]])
    return keras.Model(inputs, x, name="faceapi_resnet29")
