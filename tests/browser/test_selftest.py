"""The page's bundle self-test in real Chromium: every model on webgpu, webgl, wasm and cpu matches Keras.

Each is held to the converter's tolerance for its weights, webgl to the looser of that and the
manifest's checks.webgl_max_diff. webgpu's float32 shaders on SwiftShader's adapter differ from Keras by
at most 1e-6 here, so it is held to the float32 tolerance like wasm and cpu.
"""

from __future__ import annotations

import json

import pytest

from tests.support.browser import PageWatch, open_page, serve

pytestmark = pytest.mark.slow
DONE = "#status[data-state=done], #status[data-state=error]"


def run_selftest(watch: PageWatch, url: str, backend: str) -> dict:
    watch.page.goto(f"{url}/selftest.html?backend={backend}&autorun=1")
    watch.page.wait_for_selector(DONE, timeout=240_000)
    return watch.page.evaluate("window.selfTestResult")


@pytest.mark.parametrize("backend", ["webgl", "wasm", "cpu", "webgpu"])
def test_every_model_matches_keras_in_chromium(watched_page, server, default_bundle, backend):
    result = run_selftest(watched_page, server, backend)
    assert "error" not in result, result
    assert result["backend"] == backend and result["fallbacks"] == []
    manifest = json.loads((default_bundle[0] / "manifest.json").read_text())
    assert {m["model"] for m in result["models"]} == set(manifest["models"])
    for m in result["models"]:
        # Held to the converter's stated tolerance, read here from the manifest, not from the page.
        tol = manifest["checks"]["tolerances"][manifest["models"][m["model"]]["quantization"]]
        limit = max(tol["max_diff"], manifest["checks"]["webgl_max_diff"]) if backend == "webgl" else tol["max_diff"]
        assert m["maxDiff"] <= limit, (backend, m)
        if m["model"] == "scorer":
            assert m["scoreShift"] <= tol["score_points"]
    assert result["passed"] is True
    assert result["numTensorsAfter"] == result["numTensorsBefore"], "tensors leaked"
    assert watched_page.errors == []
    assert watched_page.foreign_requests() == []


def test_page_refuses_a_tampered_bundle_and_names_the_file(browser, bundle_copy):
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    shard = next(f["path"] for f in manifest["files"] if f["path"].startswith("rnet/") and f["path"].endswith(".bin"))
    data = bytearray((bundle_copy / shard).read_bytes())
    data[10] ^= 0x01
    (bundle_copy / shard).write_bytes(bytes(data))
    url, stop = serve(bundle_copy)
    try:
        with open_page(browser, url, path=None) as watch:
            page = watch.page
            page.goto(f"{url}/selftest.html?backend=cpu&autorun=1")
            page.wait_for_selector(DONE, timeout=120_000)
            assert page.get_attribute("#status", "data-state") == "error"
            assert f"{shard} does not match its sha256" in page.inner_text("#status")
            assert page.evaluate("window.selfTestResult.models") is None
    finally:
        stop()
