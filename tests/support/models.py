"""Small Keras models with the layers real ones have, for converter and training tests."""

from __future__ import annotations

import keras


def tiny_scorer(input_size: int = 32, classes: int = 101, activation: str = "softmax",
                input_shape: tuple | None = None) -> keras.Model:
    """A small scorer-shaped model with the layers real scorers have (rescaling, conv, BN)."""
    inputs = keras.Input(input_shape or (input_size, input_size, 3))
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    if len(x.shape) == 4:
        x = keras.layers.Conv2D(8, 3, padding="same")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(classes, activation=activation)(x)
    model = keras.Model(inputs, outputs)
    # Non-trivial BN statistics, so a wrong fold would show.
    bn = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in bn:
        n = layer.moving_mean.shape[0]
        layer.moving_mean.assign(keras.random.uniform((n,), -0.2, 0.2, seed=1))
        layer.moving_variance.assign(keras.random.uniform((n,), 0.5, 2.0, seed=2))
    return model
