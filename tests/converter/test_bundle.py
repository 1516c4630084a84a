"""The default bundle: its manifest, its files, and its models' parity with Keras in Node."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from converter import checks
from converter.verify import verify_bundle
from facepack import spec
from facepack.bundle import BundleError
from facepack.manifest import Manifest
from facepack.models import default_scorer_is_trained
from facepack.models.scorer import default_card

pytestmark = pytest.mark.slow
MODELS = ("pnet", "rnet", "onet", "scorer", "emotion")


def test_export_reports_every_model_on_cpu_and_wasm_within_float32_tolerance(default_bundle):
    _, report = default_bundle
    assert report.passed
    seen = {(r.model, r.backend) for r in report.results}
    assert seen == {(m, b) for m in MODELS for b in ("cpu", "wasm")}
    for r in report.results:
        assert r.error is None and r.max_diff <= 1e-4, r
    scorer = [r for r in report.results if r.model == "scorer"]
    assert all(r.score_shift is not None and r.score_shift <= 0.05 for r in scorer)
    assert "PASSED" in report.table()


def test_manifest_lists_every_file_with_its_real_sha256_and_size(default_bundle):
    bundle, _ = default_bundle
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert Manifest.from_json(manifest).files == tuple(manifest["files"])
    on_disk = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
    listed = sorted(f["path"] for f in manifest["files"])
    assert listed == [p for p in on_disk if p != "manifest.json"]
    for entry in manifest["files"]:
        data = (bundle / entry["path"]).read_bytes()
        assert entry["bytes"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_manifest_carries_what_the_browser_needs(default_bundle):
    bundle, _ = default_bundle
    m = json.loads((bundle / "manifest.json").read_text())  # as the browser reads it
    assert m["schema"] == "facepack-bundle" and m["version"] == 3
    assert set(m["models"]) == set(MODELS)
    assert m["detector"] == spec.as_dict(spec.DETECTOR)
    assert m["gate"] == spec.as_dict(spec.GATE) and m["live"] == spec.as_dict(spec.LIVE)
    # the measured rates travel with the rule they measured (facepack/gate_report.json)
    assert m["gate_report"]["rule"] == m["gate"] and m["gate_report"]["test"]["faces"] > 2000
    for model in m["models"].values():
        assert (bundle / model["path"]).is_file()
        assert list(model["output_nodes"]) == model["outputs"]
        assert model["input"]["channel_order"] == "RGB"
        assert model["ops"]["total"] > 0
    assert m["models"]["pnet"]["input"]["shape"] == [None, None, None, 3]
    assert m["models"]["onet"]["outputs"] == ["regression", "landmarks", "probability"]
    scorer = m["models"]["scorer"]
    card = default_card()
    size = card["architecture"]["input_size"] if card else 150
    assert scorer["input"]["shape"] == [None, size, size, 3]
    if default_scorer_is_trained():
        assert scorer["trained"] is True and "warning" not in scorer
        report = scorer["provenance"]["training_report"]
        assert set(report["per_subgroup_pc"]) == {"AF", "AM", "CF", "CM"} and report["n_test"] > 2000
    else:
        assert scorer["trained"] is False and "UNTRAINED" in scorer["warning"]
    assert scorer["score"]["num_classes"] == 101
    assert scorer["crop"] == {**spec.as_dict(spec.SCORER_CROP), "output": size}
    branches = scorer["provenance"]["architecture"]["branches"]
    assert list(scorer["provenance"]["backbones"]) == branches and "faceapi-resnet29" in branches
    assert scorer["provenance"]["backbones"]["faceapi-resnet29"].startswith("face-api.js")
    emotion = m["models"]["emotion"]
    assert emotion["labels"] == list(spec.EMOTION_LABELS)
    assert emotion["crop"] == spec.as_dict(spec.EMOTION_CROP)


def test_every_conv_bias_is_rank_1_so_wasm_can_fuse(default_bundle):
    bundle, _ = default_bundle
    for name in MODELS:
        model = json.loads((bundle / name / "model.json").read_text())
        specs = {w["name"]: w for g in model["weightsManifest"] for w in g["weights"]}
        for node in model["modelTopology"]["node"]:
            if node["op"] in ("_FusedConv2D", "FusedDepthwiseConv2dNative", "_FusedMatMul"):
                bias = specs[node["input"][2].split(":")[0]]
                assert len(bias["shape"]) == 1, (name, node["name"], bias["shape"])


def test_stored_checks_reproduce_from_the_manifest_rule(default_bundle):
    """The stored inputs become model inputs by the manifest's rule, as in the browser."""
    bundle, _ = default_bundle
    m = Manifest.read(bundle)
    cases = checks.read_cases(bundle)
    assert {c.model for c in cases} == set(MODELS)
    pnet_case = next(c for c in cases if c.model == "pnet")
    x = checks.model_input(pnet_case.pixels, m.models["pnet"].input)
    assert np.isclose(x.min(), (pnet_case.pixels.min() - 127.5) / 128)
    scorer_case = next(c for c in cases if c.model == "scorer")
    np.testing.assert_allclose(scorer_case.expected["probabilities"].sum(axis=1), 1, atol=1e-5)


def test_verify_passes_on_an_untouched_copy(bundle_copy):
    assert verify_bundle(bundle_copy).passed


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_verify_refuses_a_tampered_weight_file_and_names_it(bundle_copy):
    shard = next((bundle_copy / "scorer").glob("*.bin"))
    _flip_byte(shard)
    with pytest.raises(BundleError, match=f"scorer/{shard.name} does not match its sha256"):
        verify_bundle(bundle_copy)


def test_verify_refuses_a_missing_or_unlisted_file(bundle_copy):
    (bundle_copy / "onet" / "model.json").unlink()
    (bundle_copy / "extra.js").write_text("alert(1)")
    with pytest.raises(BundleError) as err:
        verify_bundle(bundle_copy)
    assert "onet/model.json is missing" in str(err.value)
    assert "extra.js is in the bundle but not in the manifest" in str(err.value)


@pytest.mark.parametrize(("version", "message"), [
    (99, "version 99 is newer than this facepack reads .3.: update facepack"),
    (2, "version 2 is older than this facepack reads .3.: export the bundle again"),
])
def test_verify_refuses_another_manifest_version_saying_what_to_do(bundle_copy, version, message):
    path = bundle_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["version"] = version
    path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=message):
        verify_bundle(bundle_copy)


def test_verify_catches_a_model_that_no_longer_matches_keras(bundle_copy):
    """Change a weight and re-hash it: the files pass, the parity check must not."""
    model_json = bundle_copy / "emotion" / "model.json"
    shard = next((bundle_copy / "emotion").glob("*.bin"))
    data = bytearray(shard.read_bytes())
    data[100:104] = np.float32(3.0).tobytes()  # one kernel value of the first layers
    shard.write_bytes(bytes(data))
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    for entry in manifest["files"]:
        if entry["path"] == f"emotion/{shard.name}":
            entry["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    (bundle_copy / "manifest.json").write_text(json.dumps(manifest))
    report = verify_bundle(bundle_copy)
    assert not report.passed
    bad = {r.backend for r in report.results if r.model == "emotion" and not r.passed}
    assert bad == {"cpu", "wasm"}
    assert all(r.passed for r in report.results if r.model != "emotion")
    assert model_json.is_file() and "FAILED" in report.table()


def test_bundle_folder_is_readable_by_others(default_bundle):
    bundle, _ = default_bundle
    assert bundle.stat().st_mode & 0o055 == 0o055


def test_a_figure_that_is_not_defined_is_written_as_null_for_the_browsers_json_parse():
    from facepack.bundle import strict_json

    figures = {"pc": float("nan"), "mae": 0.2, "per": [float("inf"), 1, None], "n": 3, "note": "nan"}
    strict = strict_json(figures)
    assert strict == {"pc": None, "mae": 0.2, "per": [None, 1, None], "n": 3, "note": "nan"}
    json.dumps(strict, allow_nan=False)  # what Manifest.write writes: JavaScript's JSON.parse reads it
