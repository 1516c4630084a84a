import keras
import numpy as np

from converter.fold import fold_batchnorm


def _randomise_bn(model):
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.set_weights([w for w in [
                rng.uniform(0.5, 1.5, n) if layer.scale else None,
                rng.uniform(-0.3, 0.3, n) if layer.center else None,
                rng.uniform(-0.5, 0.5, n), rng.uniform(0.3, 3.0, n)] if w is not None])


def _every_kind() -> keras.Model:
    x = inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(6, 3, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2)(x)
    x = keras.layers.BatchNormalization(center=False)(x)
    x = keras.layers.SeparableConv2D(8, 3, padding="same")(x)
    x = keras.layers.BatchNormalization(scale=False)(x)
    y = keras.layers.Conv2D(8, 1, activation="relu")(x)  # activation before BN: not foldable
    y = keras.layers.BatchNormalization()(y)
    x = keras.layers.Add()([x, y])
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(5)(x)
    x = keras.layers.BatchNormalization()(x)
    model = keras.Model(inputs, x)
    _randomise_bn(model)
    return model


def _count_bn(model):
    return sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)


def test_fold_keeps_outputs_and_removes_foldable_batchnorms():
    model = _every_kind()
    x = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    folded, report = fold_batchnorm(model)
    assert (report.folded, report.left) == (4, 1)
    assert _count_bn(model) == 5 and _count_bn(folded) == 1
    np.testing.assert_allclose(folded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


def test_fold_does_not_change_the_original_model():
    model = _every_kind()
    before = [w.copy() for w in model.get_weights()]
    fold_batchnorm(model)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_fold_reaches_into_nested_models():
    inner = _every_kind()
    inputs = keras.Input((16, 16, 3))
    outer = keras.Model(inputs, keras.layers.Dense(2)(inner(inputs)))
    folded, report = fold_batchnorm(outer)
    assert report.folded == 4
    x = np.random.default_rng(2).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(folded.predict(x, verbose=0), outer.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


def test_a_wrong_fold_would_be_caught():
    """Guard for the test above: breaking the fold's arithmetic changes the outputs."""
    import converter.fold as fold

    model = _every_kind()
    x = np.random.default_rng(1).uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    original = fold._bn_scale_shift
    fold._bn_scale_shift = lambda bn: (original(bn)[0], original(bn)[1] * 0)  # drop the shift
    try:
        folded, _ = fold.fold_batchnorm(model)
    finally:
        fold._bn_scale_shift = original
    assert np.abs(folded.predict(x, verbose=0) - model.predict(x, verbose=0)).max() > 1e-3
