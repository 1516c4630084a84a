"""The emotion classifier: a small ResNet on the grey face crop, built from layers TF.js runs.

    (batch, S, S, 3) RGB in [0, 255], S = facepack.spec.EMOTION_CROP.output (64)
    -> grey in [-1, 1]          the fixed 1x1 conv fer's model starts with (grey_and_scale_layer)
    -> stem                     3x3 conv + BatchNorm + ReLU, `width` channels, S x S
    -> `stages` stages          `blocks` basic blocks each; each stage halves the side and doubles
                                the width (64 px, width 32: 32 px x 32, 16 x 64, 8 x 128, 4 x 256)
    -> global average pool -> dropout -> Dense(7) softmax, in facepack.spec.EMOTION_LABELS order

A basic block (He et al. 2016): conv3x3-BN-ReLU-conv3x3-BN, added to its input (through a
2x2 conv with stride 2 + BN where the side halves), then ReLU. Every conv feeds a BatchNorm, which
the converter folds into it (converter.fold), so the browser runs conv + bias + ReLU.
"""

from __future__ import annotations

import keras

from facepack import spec
from facepack.models.emotion import grey_and_scale_layer


def _conv_bn(x, filters: int, kernel: int, strides: int, name: str):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False,
                            kernel_initializer="he_normal", name=f"{name}.conv")(x)
    return keras.layers.BatchNormalization(name=f"{name}.bn")(x)


def basic_block(x, filters: int, strides: int, name: str):
    """Two 3x3 convs with BatchNorm, added to the block's input, then ReLU."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        # A 2x2 conv with stride 2 sees every pixel (a 1x1 one would skip three in four, and
        # its gradient crashes TensorFlow 2.19's oneDNN kernels on AVX-512 CPUs).
        shortcut = _conv_bn(x, filters, strides, strides, f"{name}.shortcut")
    y = _conv_bn(x, filters, 3, strides, f"{name}.a")
    y = keras.layers.ReLU(name=f"{name}.a.relu")(y)
    y = _conv_bn(y, filters, 3, 1, f"{name}.b")
    y = keras.layers.Add(name=f"{name}.add")([shortcut, y])
    return keras.layers.ReLU(name=f"{name}.relu")(y)


def build_emotion_resnet(width: int = 32, stages: int = 4, blocks: int = 2, dropout: float = 0.3,
                         seed: int = 0) -> keras.Model:
    """A ResNet emotion classifier named "emotion": RGB crops in [0, 255] -> 7 probabilities.

    Args:
        width: channels of the stem and the first stage; each later stage doubles them.
        stages: residual stages, each halving the side (S / 2**stages must stay >= 1).
        blocks: basic blocks per stage.
        dropout: dropped fraction of the pooled features while training.
        seed: seeds the initial weights.
    """
    size = spec.EMOTION_CROP.output
    if width < 1 or blocks < 1 or stages < 1 or size >> stages < 1:
        raise ValueError(f"a {size} px emotion ResNet needs width >= 1, blocks >= 1 and 1 <= stages <= "
                         f"{size.bit_length() - 1}; got width {width}, stages {stages}, blocks {blocks}")
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3), name="face")
    x = grey_and_scale_layer()(inputs)
    x = keras.layers.ReLU(name="stem.relu")(_conv_bn(x, width, 3, 1, "stem"))
    for stage in range(stages):
        for block in range(blocks):
            x = basic_block(x, width * 2**stage, strides=2 if block == 0 else 1,
                            name=f"stage{stage + 1}.block{block + 1}")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(len(spec.EMOTION_LABELS), activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="emotion")
