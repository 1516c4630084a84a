"""examples/: the facepack package in apps built by Vite, webpack and esbuild, and in a Node script,
each made as its user makes it.

Each example is copied into a temporary folder beside the package unpacked from `npm pack` (what
its "file:../../js" dependency names, so its lockfile holds), installed with `npm ci`, given the
packed tarball (`npm install TARBALL`) and built by its own `npm run build`. Its dist/ is served by
a plain static server with no special headers, with the default bundle at /bundle/ and face-api's
sample1 photo at /photo.jpg; Chromium opens it. The faces must match the Python reference within
the parity bounds (facepack/parity/bounds.py), on wasm, with no console error (a bare specifier
looked up at run time throws one). Without its wasm/ folder, the app must name `wasmPaths` and the
URL it tried, and fall back to another backend, saying so. The Node example runs on the same
photo. All apps share one tarball; npm works from its cache where it can.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import tarfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from facepack import assets
from facepack.images import load_image
from facepack.parity.bounds import compare_faces
from facepack.pipeline import ReferencePipeline
from tests.support.browser import open_page, serve_in_thread
from tests.support.cli import ROOT
from tests.support.npm import QUIET, npm, pack_package

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples"
WEB_APPS = ["vite", "webpack", "esbuild"]
EXAMPLE_NAMES = [*WEB_APPS, "node"]
DONE = "#status[data-state]"  # the app sets data-state to done or failed
LOADED = f"#fallbacks:not(:empty), {DONE}"  # the app lists the backends that did not start once it has loaded


@pytest.fixture(scope="module")
def sample():
    """sample1's bytes and Python's faces on it (as dicts)."""
    photo = assets.sample_photos()[0]
    data = photo.read_bytes()
    return data, [r.as_dict() for r in ReferencePipeline().analyze(load_image(data, photo.name))]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """(a folder holding the packed package as js/, where the examples go under examples/; the tarball)."""
    root = tmp_path_factory.mktemp("examples")
    tarball, _ = pack_package(root)
    with tarfile.open(tarball) as tar:
        tar.extractall(root / "unpacked", filter="data")
    (root / "unpacked" / "package").rename(root / "js")
    return root, tarball


def prepare(workspace, name: str) -> Path:
    """examples/NAME copied into the workspace, `npm ci`, the packed tarball in place of ../../js,
    and (a web app) `npm run build`: the app's folder."""
    root, tarball = workspace
    app = root / "examples" / name
    shutil.copytree(EXAMPLES / name, app, ignore=shutil.ignore_patterns("node_modules", "dist"))
    steps = [["ci", *QUIET], ["install", *QUIET, str(tarball)]] + ([["run", "build"]] if name in WEB_APPS else [])
    for args in steps:
        done = npm(*args, cwd=app)
        assert done.returncode == 0, f"npm {' '.join(args[:2])} in examples/{name}:\n{done.stdout[-2000:]}\n" \
                                     f"{done.stderr[-3000:]}"
    return app


@pytest.fixture(scope="module")
def prepared(workspace):
    """name -> the future of prepare(name). All four examples are prepared at once, in the background
    (npm and the bundlers wait on the disk and the network as much as on the CPU); a test takes its
    app's result, or the error that stopped that app alone."""
    pool = ThreadPoolExecutor(len(EXAMPLE_NAMES))
    futures = {name: pool.submit(prepare, workspace, name) for name in EXAMPLE_NAMES}
    yield futures
    pool.shutdown(wait=True)


def dist(prepared, name: str) -> Path:
    return prepared[name].result() / "dist"


class PlainHandler(http.server.SimpleHTTPRequestHandler):
    """Files as they are, with no headers beyond the standard ones (no COOP/COEP, no CSP)."""

    def log_message(self, *args) -> None:
        pass


@contextmanager
def served(dist, bundle, photo: bytes, without: str | None = None):
    """A copy of dist/ (less the folder `without`) with the bundle and the photo, on a plain server: its url."""
    site = dist.parent / f"site-{without or 'all'}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(dist, site, ignore=shutil.ignore_patterns(without) if without else None)
    shutil.copytree(bundle, site / "bundle")
    (site / "photo.jpg").write_bytes(photo)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(PlainHandler, directory=str(site)))
    url, stop = serve_in_thread(server)
    try:
        yield url
    finally:
        stop()


def run_app(browser, url: str, until: str = DONE) -> dict:
    """Open the app, wait for `until`: what it shows, what it logged and what it fetched."""
    with open_page(browser, url, path=None) as watch:
        warnings = []
        watch.page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
        watch.page.goto(url + "/")
        watch.page.wait_for_selector(until, timeout=180_000)
        faces = watch.page.text_content("#faces")
        return {"state": watch.page.get_attribute("#status", "data-state"),
                "status": watch.page.text_content("#status"),
                "fallbacks": watch.page.text_content("#fallbacks"),
                "faces": json.loads(faces) if faces else None,
                "errors": watch.errors, "warnings": warnings, "requests": watch.requests}


@pytest.mark.parametrize("name", WEB_APPS)
def test_the_built_app_finds_the_faces_python_finds(name, prepared, sample, default_bundle, browser):
    photo, python_faces = sample
    with served(dist(prepared, name), default_bundle[0], photo) as url:
        got = run_app(browser, url)
    assert got["state"] == "done", f"the {name} app: {got['status']}\n{got['errors']}"
    # Headless Chromium here has a software WebGL, so 'auto' means wasm (tests/browser/test_page.py).
    assert got["status"] == "3 faces, on wasm" and got["fallbacks"] == "", got
    assert f"{url}/wasm/tfjs-backend-wasm-simd.wasm" in got["requests"]
    problems, _ = compare_faces(python_faces, got["faces"], who=f"the {name} app")
    assert not problems, f"the {name} app:\n  " + "\n  ".join(problems)
    assert not got["errors"], f"the {name} app: console errors {got['errors']}"


def test_without_its_wasm_files_the_app_names_wasmpaths_and_the_url_and_falls_back(prepared, sample, default_bundle,
                                                                                  browser):
    photo, _ = sample
    with served(dist(prepared, "vite"), default_bundle[0], photo, without="wasm") as url:
        got = run_app(browser, url, until=LOADED)  # not the analysis: on SwiftShader's WebGL it takes a minute
    wanted = f"{url}/wasm/tfjs-backend-wasm-simd.wasm"
    failure = next((line for line in got["fallbacks"].splitlines() if line.startswith("wasm did not start")), "")
    assert wanted in failure and "HTTP 404" in failure and "wasmPaths" in failure, got["fallbacks"]
    assert any(w.startswith("facepack: the wasm backend did not start") and wanted in w for w in got["warnings"]), \
        got["warnings"]
    # It goes on, on the next backend, and says which.
    assert got["status"].startswith("analysing photo.jpg on ") and "on wasm" not in got["status"], got["status"]


def test_the_node_example_finds_the_faces_python_finds(prepared, sample, default_bundle, tmp_path):
    photo, python_faces = sample
    app = prepared["node"].result()
    (tmp_path / "photo.jpg").write_bytes(photo)
    node = shutil.which("node") or "node"
    out = subprocess.run([node, "analyze.js", str(default_bundle[0]), str(tmp_path / "photo.jpg")], cwd=app,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    problems, _ = compare_faces(python_faces, json.loads(out.stdout.strip().splitlines()[-1]), who="the Node example")
    assert not problems, "the Node example:\n  " + "\n  ".join(problems)
