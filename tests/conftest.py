"""Shared fixtures.

Test policy: nothing is mocked. Models are the real pretrained ones (mtcnn, fer, face-api),
bundles are really converted and really run by TF.js in Node. Tests that convert or run
models are marked `slow` (seconds to tens of seconds each); `pytest -m "not slow"` skips them.
Tolerances are the converter's own stated ones, never loosened in a test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import keras
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from converter.export import export_bundle  # noqa: E402


@pytest.fixture(scope="session")
def default_bundle(tmp_path_factory) -> tuple[Path, object]:
    """The full default bundle (float32), exported once per session: (path, VerifyReport)."""
    out = tmp_path_factory.mktemp("default") / "bundle"
    report = export_bundle(out, log=lambda _: None)
    return out, report


@pytest.fixture
def bundle_copy(default_bundle, tmp_path) -> Path:
    """A private copy of the default bundle that a test may damage."""
    src, _ = default_bundle
    dst = tmp_path / "bundle"
    shutil.copytree(src, dst)
    return dst


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


@pytest.fixture(scope="session")
def parity_reference():
    """Python's answer for every parity fixture photo (tests/browser/photos.py): the faces as
    dicts, the decoded shape, and the scorer crops it cut. The browser and Node are held to it."""
    from facepack.images import load_image
    from facepack.pipeline import ReferencePipeline
    from tests.browser.photos import all_photos

    pipeline = ReferencePipeline()
    answers = {}
    for name, data in all_photos():
        image = load_image(data, name)
        results = pipeline.analyze(image)
        crops = pipeline.scorer_crops(image, [r.face for r in results])
        answers[name] = {"shape": image.shape, "faces": [r.as_dict() for r in results], "crops": crops}
    return answers


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (tests/browser, tests/web/test_static_site.py)."""
    from playwright.sync_api import sync_playwright

    from web.harness import launch_chromium

    with sync_playwright() as p:
        try:
            browser = launch_chromium(p)
        except FileNotFoundError as err:
            pytest.fail(str(err))
        yield browser
        browser.close()
