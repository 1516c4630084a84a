"""export_bundle with user scorers, bad models, quantization, and its all-or-nothing install."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from converter import export as export_module
from converter.export import ExportError, export_bundle
from converter.verify import verify_bundle
from facepack import spec
from facepack.manifest import Tolerance
from facepack.models import ModelError
from tests.support.cli import run_module
from tests.support.models import tiny_scorer

pytestmark = pytest.mark.slow
QUIET = {"log": lambda _: None}


def _manifest(bundle: Path) -> dict:
    return json.loads((bundle / "manifest.json").read_text())


@pytest.mark.parametrize("fmt", ["keras", "h5", "savedmodel"])
def test_user_scorer_in_each_format_exports_and_verifies(tmp_path, fmt):
    model = tiny_scorer(40)
    path = tmp_path / f"scorer.{fmt}"
    if fmt == "savedmodel":
        model.export(str(path), verbose=False)
    else:
        model.save(path)
    report = export_bundle(tmp_path / "bundle", scorer=path, only=["scorer"], **QUIET)
    assert report.passed
    m = _manifest(tmp_path / "bundle")
    assert list(m["models"]) == ["scorer"]
    assert m["models"]["scorer"]["trained"] is True
    assert m["models"]["scorer"]["input"]["shape"] == [None, 40, 40, 3]
    assert m["models"]["scorer"]["crop"]["output"] == 40
    assert "detector" not in m
    if fmt != "savedmodel":
        assert m["models"]["scorer"]["folding"]["batchnorm_folded"] == 1


def test_uint8_everywhere_is_refused_for_the_default_scorer_and_verifies_for_the_detector(tmp_path, default_bundle):
    """The session's default_bundle is the default --quantize source (tests/converter/test_bundle.py).
    uint8 on every large tensor moves the default scorer's check scores past the stated uint8
    tolerance (2 points; converter/verify.py), so that export fails and installs nothing; the
    detector alone verifies in uint8."""
    assert _manifest(default_bundle[0])["quantization"] == "source"
    with pytest.raises(ExportError, match="failed its check") as refused:
        export_bundle(tmp_path / "all", quantize="uint8", **QUIET)
    assert "scorer on cpu: over tolerance" in str(refused.value)
    assert not (tmp_path / "all").exists()
    report = export_bundle(tmp_path / "b", quantize="uint8", only=["detector"], **QUIET)
    assert report.passed
    m = _manifest(tmp_path / "b")
    assert m["quantization"] == "uint8"
    # ONet (1.6 MB float32) is quantized; PNet (37 kB) keeps float32 weights
    assert m["models"]["onet"]["quantization"] == "uint8"
    assert m["models"]["pnet"]["quantization"] == "none"
    assert verify_bundle(tmp_path / "b").passed


def _bad_scorers(tmp: Path) -> dict[str, tuple[Path, str]]:
    garbage = tmp / "garbage.keras"
    garbage.write_bytes(b"this is not a zip archive")
    text = tmp / "scorer.txt"
    text.write_text("hello")
    flat = tmp / "flat.keras"
    tiny_scorer(input_shape=(10,)).save(flat)
    ten = tmp / "ten.keras"
    tiny_scorer(32, classes=10).save(ten)
    linear = tmp / "linear.keras"
    tiny_scorer(32, activation="linear").save(linear)
    (tmp / "empty_dir").mkdir()
    return {
        "missing": (tmp / "nope.keras", "does not exist"),
        "unreadable": (garbage, "could not be read as a Keras model"),
        "wrong extension": (text, "is not a .keras, .h5 or SavedModel folder"),
        "folder without saved_model.pb": (tmp / "empty_dir", "without saved_model.pb"),
        "wrong input rank": (flat, "takes input of shape (None, 10); it must take (batch, size, size, 3)"),
        "not 101-way": (ten, "outputs shape (None, 10); it must output (batch, 101)"),
        "not a softmax": (linear, "does not output probabilities"),
    }


@pytest.mark.parametrize("case", ["missing", "unreadable", "wrong extension", "folder without saved_model.pb",
                                  "wrong input rank", "not 101-way", "not a softmax"])
def test_bad_scorer_gets_one_clear_sentence_and_keeps_the_old_bundle(tmp_path, default_bundle, case):
    old = tmp_path / "bundle"
    shutil.copytree(default_bundle[0], old)
    before = (old / "manifest.json").read_bytes()
    path, message = _bad_scorers(tmp_path)[case]
    with pytest.raises(ModelError) as err:
        export_bundle(old, scorer=path, **QUIET)
    text = str(err.value)
    assert message in text and str(path) in text
    assert "\n" not in text
    assert (old / "manifest.json").read_bytes() == before
    assert verify_bundle(old).passed
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".bundle")) == []


def test_export_that_fails_its_check_installs_nothing(tmp_path, default_bundle, monkeypatch):
    """A converted bundle outside tolerance is refused; the previous bundle stays as it was."""
    old = tmp_path / "bundle"
    shutil.copytree(default_bundle[0], old)
    before = {p: p.read_bytes() for p in old.rglob("*") if p.is_file()}
    # verify holds each model to the manifest's tolerances, which export writes from TOLERANCES
    strict = {k: Tolerance(max_diff=1e-30, score_points=1e-30) for k in export_module.TOLERANCES}
    monkeypatch.setattr(export_module, "TOLERANCES", strict)
    with pytest.raises(ExportError, match="failed its check; nothing was installed"):
        export_bundle(old, only=["emotion"], **QUIET)
    assert {p: p.read_bytes() for p in old.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no temporary folder left


def test_export_refuses_to_replace_a_folder_that_is_not_a_bundle(tmp_path):
    precious = tmp_path / "photos"
    precious.mkdir()
    (precious / "me.jpg").write_bytes(b"...")
    with pytest.raises(ExportError, match="is not a facepack bundle"):
        export_bundle(precious, only=["emotion"], **QUIET)
    assert (precious / "me.jpg").read_bytes() == b"..."


def test_export_replaces_an_existing_bundle(tmp_path):
    out = tmp_path / "bundle"
    export_bundle(out, only=["emotion"], **QUIET)
    export_bundle(out, only=["detector"], gate=spec.FaceGate(0.9, 0.3), **QUIET)  # a gate of one's own
    assert set(_manifest(out)["models"]) == {"pnet", "rnet", "onet"}
    assert _manifest(out)["gate"] == {"min_confidence": 0.9, "min_refined_confidence": 0.3}
    assert "gate_report" not in _manifest(out)  # the shipped rule's measured rates are not this rule's
    assert not (out / "emotion").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return run_module("converter", *args, timeout=600)


def test_cli_help_teaches_with_examples():
    for args in (["--help"], ["export", "--help"], ["verify", "--help"]):
        proc = _cli(*args)
        assert proc.returncode == 0
    assert "python -m converter export --scorer" in _cli("export", "--help").stdout


def test_cli_bad_input_exits_2_with_a_message(tmp_path):
    proc = _cli("export", "--only", "scorer,bogus")
    assert proc.returncode == 2 and "choose from detector,scorer,emotion" in proc.stderr
    proc = _cli("verify", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "manifest.json does not exist" in proc.stderr
    proc = _cli("export", "--scorer", str(tmp_path / "nope.keras"), "--out", str(tmp_path / "b"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert not (tmp_path / "b").exists()


def test_cli_verify_prints_the_table(default_bundle):
    proc = _cli("verify", str(default_bundle[0]))
    assert proc.returncode == 0, proc.stderr
    assert "wasm max diff" in proc.stdout and "PASSED" in proc.stdout


# Every line `export` prints is one of its own: a timed step, the verify table, the verdict.
OWN_LINE = re.compile(r"^(\[\s*\d+\.\d+s\] .+|bundle .+ \(--quantize \w+\)|model +weights +size .+"
                      r"|(pnet|rnet|onet|scorer|emotion) +\w+ .+|PASSED|FAILED)$")


@pytest.mark.slow
def test_cli_export_prints_only_its_own_lines_unless_verbose(tmp_path):
    quiet = _cli("export", "--only", "emotion", "--out", str(tmp_path / "b"))
    assert quiet.returncode == 0, quiet.stderr
    lines = (quiet.stdout + quiet.stderr).splitlines()
    assert lines and all(OWN_LINE.match(line) for line in lines), [line for line in lines if not OWN_LINE.match(line)]
    loud = _cli("export", "--only", "emotion", "--out", str(tmp_path / "b"), "--verbose")
    assert loud.returncode == 0 and any(not OWN_LINE.match(line) for line in loud.stderr.splitlines())
