"""`npx facepack analyze` in Node against the Python reference, with the browser parity bounds.

Node decodes with libjpeg-turbo and libwebp (WebAssembly) and pngjs, so the photos' pixels are
Pillow's; the cascade, crops and models are the same package the page runs.
"""

from __future__ import annotations

import json

import pytest

from facepack import analyze
from facepack.parity.bounds import compare_faces
from tests.support.cli import facepack_cli
from tests.support.formats import bad_inputs
from tests.support.photos import all_photos

pytestmark = pytest.mark.slow
NODE_FORMATS = {"jpg", "jpeg", "png", "webp"}


@pytest.fixture(scope="module")
def node_results(default_bundle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    names = [name for name, _ in all_photos() if name.rsplit(".", 1)[-1] in NODE_FORMATS]
    for name, data in all_photos():
        (folder / name).write_bytes(data)
    out = facepack_cli("analyze", *[str(folder / n) for n in names], "--bundle", str(default_bundle[0]), "--json",
                       "--csv", str(folder / "results.csv"))
    assert out.returncode == 0, out.stderr[-3000:]
    records = json.loads(out.stdout)
    return {r["photo"].rsplit("/", 1)[-1]: r for r in records}, out.stderr, records, folder / "results.csv"


@pytest.mark.parametrize("name", [n for n, _ in all_photos() if n.rsplit(".", 1)[-1] in NODE_FORMATS])
def test_node_matches_python(node_results, parity_reference, name):
    records = node_results[0]
    record, ref = records[name], parity_reference[name]
    assert (record["height"], record["width"]) == tuple(ref["shape"][:2])
    problems, _ = compare_faces(ref["faces"], record["faces"], who="Node")
    assert not problems, f"{name} in Node:\n  " + "\n  ".join(problems)


def test_json_records_have_the_analyze_shape_and_progress_goes_to_stderr(node_results):
    records, stderr = node_results[:2]
    face = next(f for r in records.values() for f in r["faces"] if f["unscored"] is None)
    assert set(face) == {"box", "landmarks", "confidence", "refined_confidence", "score", "emotion", "unscored"}
    assert set(face["score"]) == {"expected", "argmax", "probs", "interval", "percentile"}
    assert len(face["score"]["probs"]) == 101
    assert set(face["emotion"]) == {"label", "probs"} and len(face["emotion"]["probs"]) == 7
    assert f"[{len(records)}/{len(records)}]" in stderr


def test_csv_is_the_text_python_writes_of_the_same_records(node_results):
    """--csv FILE: js/src/results.js's CSV of Node's own records is facepack.analyze's, to the byte."""
    _, _, records, csv_file = node_results
    text = csv_file.read_bytes().decode()
    assert text == analyze.csv_text(records)
    assert text.count("\r\n") == 1 + sum(len(r["faces"]) or 1 for r in records)


def test_unreadable_photos_are_named_skipped_and_the_exit_status_says_so(default_bundle, tmp_path):
    for name, data in bad_inputs():
        (tmp_path / name).write_bytes(data)
    good = dict(all_photos())["one-face-small.png"]
    (tmp_path / "good.png").write_bytes(good)
    out = facepack_cli("analyze", str(tmp_path), str(tmp_path / "missing.jpg"), "--bundle", str(default_bundle[0]),
                       "--json")
    assert out.returncode == 1, out.stderr
    records = {r["photo"].rsplit("/", 1)[-1]: r for r in json.loads(out.stdout)}
    assert len(records["good.png"]["faces"]) == 1
    assert "megapixels; the limit is 100" in records["huge-header.png"]["error"]
    assert "not a readable image" in records["truncated.jpg"]["error"]
    assert "no such file" in records["missing.jpg"]["error"]
    assert "could not be read and were skipped" in out.stderr


def test_bad_arguments_and_bundles_get_a_message_and_status_2(default_bundle, tmp_path):
    out = facepack_cli("analyze", "x.jpg", "--bundle", str(tmp_path))
    assert out.returncode == 2 and "has no manifest.json" in out.stderr
    out = facepack_cli("analyze", "x.jpg", "--backend", "webgl")
    assert out.returncode == 2 and "--backend must be wasm or cpu" in out.stderr
    out = facepack_cli("analyze", "x.jpg", "--bundle", str(default_bundle[0]), "--csv", str(tmp_path / "no" / "r.csv"))
    assert out.returncode == 2 and "does not exist" in out.stderr and not (tmp_path / "no").exists()
    out = facepack_cli("analyze", "x.jpg", "--bundle", str(default_bundle[0]), "--csv", str(tmp_path))
    assert out.returncode == 2 and "is a folder; name a file" in out.stderr
    out = facepack_cli("--help")
    assert out.returncode == 0 and "--bundle DIR" in out.stdout and "--csv FILE" in out.stdout
