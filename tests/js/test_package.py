"""The facepack npm package as a user gets it: `npm pack`, installed into an empty folder with
TF.js (from npm's cache where it can, else the registry), used by a 10-line script."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from facepack import assets
from tests.support.npm import QUIET, npm, pack_package

pytestmark = pytest.mark.slow

SCRIPT = """\
import { Facepack, readPhoto } from 'facepack';

const [bundle, photo] = process.argv.slice(2);
const fp = await Facepack.load(bundle, { backend: 'wasm' });
const faces = await fp.analyze(await readPhoto(photo, fp.manifest.images));
process.stdout.write(JSON.stringify({ backend: fp.backend, faces: faces.map((f) => ({
  box: f.box.map(Math.round), score: Math.round(f.score.expected), emotion: f.emotion.label })) }));
fp.dispose();
"""


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    return pack_package(tmp_path_factory.mktemp("pack"))


def test_the_tarball_holds_the_package_and_nothing_of_the_repository(tarball):
    _, files = tarball
    assert {"package.json", "README.md", "index.d.ts", "bin/facepack.js", "src/index.js", "src/facepack.js",
            "src/node/index.js", "src/node/photo.js"} <= files
    assert not any(f.startswith("test/") for f in files)


def test_the_installed_package_analyses_a_photo_from_a_10_line_script(tarball, default_bundle, tmp_path):
    path, _ = tarball
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "my-app", "private": true, "type": "module"}')
    installed = npm("install", *QUIET, str(path), "@tensorflow/tfjs@4.22.0", "@tensorflow/tfjs-backend-wasm@4.22.0",
                    cwd=app)
    assert installed.returncode == 0, installed.stderr[-3000:]
    (app / "index.js").write_text(SCRIPT)
    assert len(SCRIPT.strip().splitlines()) <= 10
    photo = assets.sample_photos()[0]
    out = subprocess.run([shutil.which("node"), "index.js", str(default_bundle[0]), str(photo)], cwd=app,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["backend"] == "wasm" and len(result["faces"]) == 3  # sample1: three faces
    assert all(0 <= f["score"] <= 100 for f in result["faces"])
    # The package's own command line came with it.
    cli = subprocess.run([str(app / "node_modules" / ".bin" / "facepack"), "--help"], capture_output=True, text=True)
    assert cli.returncode == 0 and "usage: facepack analyze" in cli.stdout
    # copy-wasm gives a bundled web app the .wasm files of the tfjs-backend-wasm it installed.
    copied = subprocess.run([str(app / "node_modules" / ".bin" / "facepack"), "copy-wasm", "public/wasm"], cwd=app,
                            capture_output=True, text=True)
    assert copied.returncode == 0, copied.stderr
    dist = app / "node_modules" / "@tensorflow" / "tfjs-backend-wasm" / "dist"
    for name in ("tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"):
        assert (app / "public" / "wasm" / name).read_bytes() == (dist / name).read_bytes(), name
