"""`python -m facepack analyze` runs without npm: the default scorer's frozen backbone is stored in the package."""

from __future__ import annotations

import json
import shutil

from facepack import assets
from tests.support.cli import run_module


def test_analyze_scores_faces_with_an_empty_node_modules(tmp_path):
    photo = tmp_path / "sample1.jpg"
    shutil.copy(assets.sample_photos()[0], photo)  # copied here, while npm's folder is still visible
    empty = tmp_path / "node_modules"
    empty.mkdir()
    out = run_module("facepack", "analyze", photo, "--json", tmp_path / "r.json",
                     env={"FACEPACK_NODE_MODULES": str(empty)})
    assert out.returncode == 0, out.stderr
    (record,) = json.loads((tmp_path / "r.json").read_text())
    assert len(record["faces"]) == 3  # tests/support/photos.py DEMO_FACES[0]
    for face in record["faces"]:
        probs = face["score"]["probs"]
        assert len(probs) == 101 and abs(sum(probs) - 1) < 1e-3
        assert 0 <= face["score"]["expected"] <= 100
