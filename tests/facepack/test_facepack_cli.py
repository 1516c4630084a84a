"""`python -m facepack analyze`: folders with good and bad files to JSON and CSV, and --resume."""

from __future__ import annotations

import csv
import json
import subprocess

import pytest

from tests.support.cli import run_module
from tests.support.formats import bad_inputs
from tests.support.photos import all_photos

pytestmark = pytest.mark.slow


def cli(*args: str) -> subprocess.CompletedProcess:
    return run_module("facepack", *args)


@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    photos = dict(all_photos())
    (folder / "nested").mkdir()
    (folder / "sample1.jpg").write_bytes(photos["sample1.jpg"])
    (folder / "nested" / "one-face-small.png").write_bytes(photos["one-face-small.png"])
    (folder / "nested" / "no-face-noise.png").write_bytes(photos["no-face-noise.png"])
    for name, data in bad_inputs()[:3]:  # notes.txt (not a photo suffix: not picked up), empty, truncated
        (folder / "nested" / name).write_bytes(data)
    return folder


def test_folders_give_json_and_csv_and_bad_files_are_named_and_skipped(photo_folder, tmp_path):
    out = cli("analyze", str(photo_folder), "--json", str(tmp_path / "r.json"), "--csv", str(tmp_path / "r.csv"))
    assert out.returncode == 1, out.stderr  # some files were skipped
    records = {r["photo"].rsplit("/", 1)[-1]: r for r in json.loads((tmp_path / "r.json").read_text())}
    assert sorted(records) == ["empty.jpg", "no-face-noise.png", "one-face-small.png", "sample1.jpg", "truncated.jpg"]
    assert len(records["sample1.jpg"]["faces"]) == 3 and records["no-face-noise.png"]["faces"] == []
    assert (records["sample1.jpg"]["width"], records["sample1.jpg"]["height"]) == (1920, 1280)
    for bad in ("empty.jpg", "truncated.jpg"):
        assert "not a readable image" in records[bad]["error"] and f"skipped {records[bad]['photo']}" in out.stderr
    face = records["one-face-small.png"]["faces"][0]
    assert set(face) == {"box", "landmarks", "confidence", "refined_confidence", "score", "emotion", "unscored"}
    assert len(face["score"]["probs"]) == 101 and face["unscored"] is None
    with open(tmp_path / "r.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 + 1 + 1 + 2  # a row per face, one per faceless or failed photo
    sample1 = [r for r in rows if r["photo"].endswith("sample1.jpg")]
    assert [float(r["score"]) for r in sample1] == pytest.approx([f["score"]["expected"]
                                                                  for f in records["sample1.jpg"]["faces"]], abs=1e-3)


def test_resume_analyses_only_what_the_output_lacks(photo_folder, tmp_path):
    first = photo_folder / "sample1.jpg"
    out = cli("analyze", str(first), "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    before = json.loads((tmp_path / "r.json").read_text())
    out = cli("analyze", str(photo_folder), "--json", str(tmp_path / "r.json"), "--resume")
    assert "1 already in the output" in out.stderr
    after = json.loads((tmp_path / "r.json").read_text())
    assert after[0] == before[0] and len(after) == 5 and len({r["photo"] for r in after}) == 5
    (tmp_path / "broken.json").write_text("{not json")
    out = cli("analyze", str(first), "--json", str(tmp_path / "broken.json"), "--resume")
    assert out.returncode == 2 and "is not a JSON results file to resume" in out.stderr
    assert (tmp_path / "broken.json").read_text() == "{not json"  # nothing lost


def test_faces_below_the_gate_are_listed_unscored_in_json_csv_and_summary(photo_folder, tmp_path):
    """sample1's three faces have refined confidences 0.994-0.9999 (measured here): a gate at 0.995
    scores some of them and lists the others, with the reason, in every output."""
    photo = str(photo_folder / "sample1.jpg")
    out = cli("analyze", photo, "--min-refined-confidence", "0.995", "--json", str(tmp_path / "g.json"),
              "--csv", str(tmp_path / "g.csv"))
    assert out.returncode == 0, out.stderr
    (record,) = json.loads((tmp_path / "g.json").read_text())
    unscored = [f for f in record["faces"] if f["refined_confidence"] < 0.995]
    scored = [f for f in record["faces"] if f["refined_confidence"] >= 0.995]
    assert unscored and scored, [f["refined_confidence"] for f in record["faces"]]
    assert all(f["score"] is None and f["emotion"] is None and f["unscored"] == "low_confidence" for f in unscored)
    assert all(f["score"] is not None and f["unscored"] is None for f in scored)
    with open(tmp_path / "g.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["unscored"] for r in rows] == [f["unscored"] or "" for f in record["faces"]]
    assert all(r["score"] == "" and r["emotion"] == "" and r["confidence"] for r in rows if r["unscored"])
    summary = cli("analyze", photo, "--min-refined-confidence", "0.995").stdout
    assert summary.count("not scored: may not be a face (low_confidence)") == len(unscored)
    assert cli("analyze", photo, "--min-confidence", "1.5").returncode == 2  # not a share


def test_a_bundle_gives_the_answers_of_its_own_models(photo_folder, default_bundle, tmp_path):
    """--bundle: ReferencePipeline.from_bundle. The default bundle's originals are the package's."""
    photo = str(photo_folder / "sample1.jpg")
    assert cli("analyze", photo, "--json", str(tmp_path / "plain.json")).returncode == 0
    out = cli("analyze", photo, "--bundle", str(default_bundle[0]), "--json", str(tmp_path / "bundle.json"))
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "bundle.json").read_text()) == json.loads((tmp_path / "plain.json").read_text())
    out = cli("analyze", photo, "--bundle", str(tmp_path))
    assert out.returncode == 2 and "manifest.json does not exist" in out.stderr
    assert cli("analyze", photo, "--bundle", str(default_bundle[0]), "--scorer", "x.keras").returncode == 2


def test_help_teaches_and_bad_arguments_get_status_2(tmp_path):
    out = cli("analyze", "--help")
    assert out.returncode == 0 and "--resume" in out.stdout and "exit status" in out.stdout
    assert cli("analyze", str(tmp_path)).returncode == 2  # an empty folder: nothing to do
    assert cli("analyze", "x.jpg", "--resume").returncode == 2
