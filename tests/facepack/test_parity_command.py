"""`python -m facepack parity`: a bundle held to its Python reference on a user's photos, in the
real page in Chromium and in Node, with the bounds of facepack/parity/bounds.py (which the
browser tests use too). Three small photos on wasm and Node keep it short; tests/browser/test_parity.py
holds every backend on every parity photo."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from facepack import __main__ as cli_main
from facepack.parity import bounds
from tests.support.cli import run_module
from tests.support.formats import bad_inputs
from tests.support.photos import all_photos

pytestmark = pytest.mark.slow
PHOTOS = ("one-face-small.png", "no-face-noise.png", "sample2.jpg")  # one face; none; one scored and one gated


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parity-photos")
    for name, data in all_photos():
        if name in PHOTOS:
            (folder / name).write_bytes(data)
    return folder


def test_the_default_bundle_passes_on_wasm_and_node_with_a_report_a_person_reads(photos, default_bundle, tmp_path):
    out = run_module("facepack", "parity", photos, "--bundle", default_bundle[0], "--backends", "wasm,node",
                     "--out", tmp_path / "report")
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["passed"] and report["bounds"]["min_iou"] == bounds.MIN_IOU
    assert sorted((r["backend"], r["photo"].rsplit("/", 1)[-1]) for r in report["runs"]) == sorted(
        (b, p) for b in ("wasm", "node") for p in PHOTOS)
    faces = {r["photo"].rsplit("/", 1)[-1]: r["faces"] for r in report["runs"]}
    assert faces == {"one-face-small.png": 1, "no-face-noise.png": 0, "sample2.jpg": 2}
    assert all(r["faces"] == r["python_faces"] and not r["problems"] for r in report["runs"])
    page = (tmp_path / "report" / "report.html").read_text()
    assert "PASSED" in page and page.count("<tr") == 1 + len(report["runs"]) and "data:image/png;base64," in page
    assert "PASSED: 3 photos on 2 runtimes" in out.stderr


def test_a_difference_past_a_bound_exits_1_and_names_it(photos, default_bundle, tmp_path, monkeypatch, capsys):
    """With an IoU bound no box can meet, the verdict, the exit status and the report follow the bounds."""
    monkeypatch.setattr(bounds, "MIN_IOU", 1.5)
    status = cli_main.main(["parity", str(photos / "one-face-small.png"), "--bundle", str(default_bundle[0]),
                            "--backends", "node", "--out", str(tmp_path / "report"), "--verbose"])  # fd 2 left alone
    assert status == 1
    assert "past a bound: " in capsys.readouterr().err
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert not report["passed"] and "IoU" in report["runs"][0]["problems"][0]


@pytest.mark.parametrize(("case", "message"), [
    ("missing photo", "does not exist"),
    ("unreadable photo", "is not a readable image"),
    ("no bundle", "manifest.json does not exist"),
    ("unknown backend", "--backends takes a comma list of webgl, wasm, cpu, webgpu, node"),
    ("no chromium", "Chromium not found at /nowhere/chromium: install it (Debian and Ubuntu: apt-get install chromium"),
    ("only tiff", "none of the photos is one that wasm can read"),
    ("out is a file", "is not a folder this command can write the report into"),
])
def test_bad_input_exits_2_with_what_to_do_and_writes_no_report(photos, default_bundle, tmp_path, case, message):
    (tmp_path / "truncated.jpg").write_bytes(dict(bad_inputs())["truncated.jpg"])
    photo, bundle, backends, env = photos / "one-face-small.png", default_bundle[0], "wasm", {}
    out_dir = tmp_path / "report"
    if case == "missing photo":
        photo = tmp_path / "gone.jpg"
    elif case == "unreadable photo":
        photo = tmp_path / "truncated.jpg"
    elif case == "no bundle":
        bundle = tmp_path
    elif case == "unknown backend":
        backends = "wasm,metal"
    elif case == "only tiff":  # Python reads it; Chromium does not
        photo = tmp_path / "face.tif"
        Image.open(photos / "one-face-small.png").save(photo)
    elif case == "out is a file":
        out_dir.write_text("not a folder")
    else:
        env = {"FACEPACK_CHROMIUM": "/nowhere/chromium"}
    out = run_module("facepack", "parity", photo, "--bundle", bundle, "--backends", backends, "--out", out_dir, env=env)
    assert out.returncode == 2 and message in out.stderr, out.stderr[-2000:]
    assert not out_dir.is_dir()


def test_the_bounds_catch_a_moved_face():
    """face_differences, which the command and the tests share, flags each kind of difference."""
    face = {"box": [10.0, 10.0, 110.0, 110.0], "landmarks": [[40.0, 40.0]] * 5, "confidence": 0.99,
            "refined_confidence": 0.99, "score": {"expected": 50.0}, "emotion": {"label": "happy", "probs": [1.0]},
            "unscored": None}
    moved = {**face, "box": [30.0, 10.0, 130.0, 110.0], "landmarks": [[43.0, 40.0]] * 5, "confidence": 0.9,
             "score": {"expected": 51.0}, "emotion": {"label": "sad", "probs": [1.0]}}
    problems, worst, rows = bounds.face_differences([face], [moved])
    assert len(problems) == 5 and rows[0]["points"] == 1.0 and rows[0]["same_emotion"] is False
    assert worst["min_iou"] == pytest.approx(80 / 120) and bounds.face_differences([face], [face])[0] == []
    assert bounds.face_differences([face], [])[0] == ["0 faces in the browser, 1 in Python"]
