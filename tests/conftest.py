"""Fixtures the whole suite shares (helpers live in tests/support, not here).

Test policy: nothing is mocked. Models are the real pretrained ones (mtcnn, fer, face-api),
bundles are really converted and really run by TF.js in Node. Tests that convert or run
models are marked `slow` (seconds to tens of seconds each); `pytest -m "not slow"` skips them.
Tolerances are the converter's own stated ones, never loosened in a test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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


@pytest.fixture(scope="session")
def parity_reference():
    """Python's answer for every parity fixture photo (tests/support/photos.py): the faces as
    dicts, the decoded shape, and the scorer crops it cut (of the faces the gate lets through).
    The browser and Node are held to it."""
    from facepack.images import load_image
    from facepack.pipeline import ReferencePipeline
    from tests.support.photos import all_photos

    pipeline = ReferencePipeline()
    answers = {}
    for name, data in all_photos():
        image = load_image(data, name)
        results = pipeline.analyze(image)
        crops = pipeline.scorer_crops(image, [r.face for r in results if r.unscored is None])  # scored faces
        answers[name] = {"shape": image.shape, "faces": [r.as_dict() for r in results], "crops": crops}
    return answers


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright (tests/browser, tests/web/test_static_site.py)."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium

    with sync_playwright() as p:
        try:
            browser = launch_chromium(p)
        except FileNotFoundError as err:
            pytest.fail(str(err))
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def clip():
    """The generated live-mode clip (bench/clip.py), 100 frames."""
    from bench.clip import clip_frames

    return clip_frames(100)


@pytest.fixture(scope="session")
def python_live(clip):
    """Python's tracker on the clip: (tracked frames, full-cascade faces, tracked faces scored afresh)."""
    from facepack.pipeline import ReferencePipeline
    from facepack.track import Tracker

    pipeline = ReferencePipeline()
    tracker = Tracker(pipeline)
    steps = [tracker.step(frame) for frame in clip]
    tracked = [step.as_dict() for step in steps]
    full = [[r.as_dict() for r in pipeline.analyze(frame)] for frame in clip]
    # each tracked frame's faces scored afresh (the tracker scores only every score_every-th frame)
    scored = [[r.as_dict() for r in pipeline.results(frame, [t.result.face for t in step.tracks])]
              for frame, step in zip(clip, steps, strict=True)]
    return tracked, full, scored
