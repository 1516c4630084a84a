"""A bundle whose detector was trained here runs in the browser as Python runs it.

tests/data/detector-scut holds PNet, RNet and ONet as `python -m training detector` trained them
on SCUT-FBP5500's 60/40 training photos (its report.json says how; no image of the dataset is
in it), and cascade.json, the ONet passes that run chose on its validation photos. The converter
builds a bundle with them and verifies it, then the page on wasm and cpu is held to Python's
`facepack.pipeline.ReferencePipeline.from_bundle` (the run's nets) on the demo photos with the parity suite's
bounds (facepack/parity/bounds.py); cpu, software here, skips tests/support/photos.py's HEAVY_PHOTOS (held_on says why).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facepack.parity.bounds import compare_faces
from tests.support.browser import b64, open_page, serve
from tests.support.photos import all_photos, held_on

pytestmark = pytest.mark.slow

TRAINED = Path(__file__).resolve().parents[1] / "data" / "detector-scut"
PHOTOS = [(name, data) for name, data in all_photos() if name.startswith(("sample", "many"))]


@pytest.fixture(scope="module")
def trained_bundle(tmp_path_factory):
    from converter.export import export_bundle
    from converter.verify import verify_bundle

    out = tmp_path_factory.mktemp("trained-detector") / "bundle"
    export_bundle(out, detector=TRAINED, log=lambda _: None)
    report = verify_bundle(out, ("cpu", "wasm"))  # `python -m converter verify`, again from the files
    assert report.passed, report.table()
    return out


@pytest.fixture(scope="module")
def trained_server(trained_bundle):
    url, stop = serve(trained_bundle)
    yield url
    stop()


@pytest.fixture(scope="module")
def trained_reference(trained_bundle):
    from facepack.images import load_image
    from facepack.pipeline import ReferencePipeline

    pipeline = ReferencePipeline.from_bundle(trained_bundle)  # the run's nets, found by their sha256
    return {name: [r.as_dict() for r in pipeline.analyze(load_image(data, name))] for name, data in PHOTOS}


def test_the_manifest_names_the_trained_detector(trained_bundle):
    manifest = json.loads((trained_bundle / "manifest.json").read_text())
    provenance = manifest["models"]["pnet"]["provenance"]
    assert "python -m training detector" in provenance["source"]
    assert provenance["training_report"]["test"]["recall"] > 0.9
    chosen = json.loads((TRAINED / "cascade.json").read_text())["onet_refinements"]
    assert manifest["detector"]["onet_refinements"] == chosen  # the browser runs the passes the run chose


@pytest.mark.parametrize("backend", ["wasm", "cpu"])
def test_the_browser_runs_a_trained_detector_as_python_does(browser, trained_server, trained_reference, backend):
    problems, faces = [], 0
    with open_page(browser, trained_server, f"/?backend={backend}&worker=0") as watch:
        card = watch.page.text_content("#card")  # the page's model card names the detector and its test figures
        assert "python -m training detector" in card and "recall" in card, card
        for name, data in PHOTOS:
            if not held_on(backend, name):
                continue
            (got,) = watch.evaluate("analyze", {"b64": b64(data), "name": name})
            found, _ = compare_faces(trained_reference[name], got["faces"])
            problems += [f"{name} on {backend}: {p}" for p in found]
            faces += len(trained_reference[name])
    assert faces >= 10, f"the trained detector found only {faces} faces in the demo photos"
    assert not problems, "\n".join(problems)
    assert not watch.errors, watch.errors
