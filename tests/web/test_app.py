"""The Flask app serves the pages, the listed bundle files, the JS package and the vendored TF.js,
nothing else. Routing is tested on a small hand-made bundle (fast); the real bundle runs in
tests/browser."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from facepack import spec
from facepack.bundle import BundleError
from facepack.manifest import (
    TOLERANCES,
    Checks,
    Manifest,
    ModelEntry,
    ModelInput,
    ModelSource,
    Results,
    ScoreEntry,
)
from web.app import IMPORT_MAP, PACKAGE, SECURITY_HEADERS, STATIC, VENDOR, create_app


@pytest.fixture
def small_bundle(tmp_path):
    """A valid bundle folder with a few small files (no real models): what routing needs."""
    bundle = tmp_path / "bundle"
    (bundle / "scorer").mkdir(parents=True)
    (bundle / "checks").mkdir()
    (bundle / "scorer" / "model.json").write_text('{"format": "graph-model"}')
    (bundle / "scorer" / "group1-shard1of1.bin").write_bytes(bytes(range(256)) * 40)
    (bundle / "checks" / "checks.json").write_text("[]")
    scorer = ModelEntry(path="scorer/model.json", role="scorer", quantization="none", provenance={},
                        input=ModelInput(name="input", shape=(None, 150, 150, 3), value_range=spec.MODEL_INPUT_RANGE),
                        outputs=("probabilities",), output_nodes={"probabilities": "Identity"},
                        crop=spec.SCORER_CROP, score=ScoreEntry(101, 20.0, (0.1, 0.9), "a rule", "sum", "argmax"),
                        trained=True, source=ModelSource(sha256="0" * 64))
    Manifest(generator={}, quantization="none", models={"scorer": scorer}, images=spec.IMAGES,
             results=Results(csv=spec.RESULT_CSV),
             checks=Checks(path="checks/checks.json", tolerances=TOLERANCES, webgl_max_diff=1e-3, reference="")
             ).write(bundle)
    return bundle


@pytest.fixture
def client(small_bundle):
    return create_app(small_bundle).test_client()


def test_page_bundle_and_vendor_files_are_served_with_their_types(client, small_bundle):
    assert client.get("/").status_code == 200
    manifest = json.loads(client.get("/bundle/manifest.json").data)
    for entry in manifest["files"][:5]:
        r = client.get(f"/bundle/{entry['path']}")
        assert r.status_code == 200 and len(r.data) == entry["bytes"]
        assert r.headers["ETag"].strip('"') == entry["sha256"]
    for name in VENDOR:
        assert client.get(f"/vendor/{name}").status_code == 200
    assert client.get("/vendor/tfjs-backend-wasm-simd.wasm").mimetype == "application/wasm"
    assert client.get("/vendor/tf.fesm.min.js").mimetype == "text/javascript"


def test_pages_carry_the_import_map_the_csp_admits_by_hash(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    for path, script in (("/", "static/app.js"), ("/selftest.html", "static/selftest-page.js")):
        html = client.get(path).data.decode()
        assert script in html and "<!-- importmap -->" not in html
        (text,) = re.findall(r'<script type="importmap">(.*?)</script>', html, re.S)
        assert json.loads(text) == IMPORT_MAP
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    for url in IMPORT_MAP["imports"].values():  # every name the map gives resolves here
        assert client.get(url.removeprefix(".")).status_code == 200, url


def page_modules(entry: str) -> dict[str, set[str]]:
    """The page's own modules (web/static) reachable from `entry` by relative imports -> what each imports."""
    graph: dict[str, set[str]] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name not in graph:
            text = (STATIC / name).read_text()
            graph[name] = set(re.findall(r"""^import [^;]*?from '\./([\w-]+\.js)';""", text, re.M | re.S))
            todo += graph[name]
    return graph


def test_the_pages_modules_are_preloaded_served_and_free_of_cycles(client):
    graph = page_modules("app.js")
    assert {"i18n.js", "dom.js", "cards.js"} <= set(graph)  # the regex still reads the imports
    html = client.get("/").data.decode()
    preloaded = set(re.findall(r'<link rel="modulepreload" href="static/([\w-]+\.js)">', html))
    assert set(graph) - {"app.js"} <= preloaded, "modules the page imports but does not preload"
    for name in graph:
        assert client.get(f"/static/{name}").mimetype == "text/javascript", name
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for imported in graph[name]:
                visit(imported, (*path, name))
            done.add(name)

    visit("app.js", ())


def test_package_modules_and_sample_photos_are_served(client):
    for path in PACKAGE.glob("*.js"):
        r = client.get(f"/js/{path.name}")
        assert r.status_code == 200 and r.mimetype == "text/javascript", path.name
    for path in ("/js/node.js", "/js/node/photo.js", "/js/../package.json", "/js/node"):
        assert client.get(path).status_code == 404, path  # Node-only modules are not the page's
    r = client.get("/samples/sample1.jpg")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and len(r.data) > 100_000
    for path in ("/samples/sample7.jpg", "/samples/..%2Fpackage.json", "/samples/"):
        assert client.get(path).status_code == 404, path


def test_worker_modules_are_served_with_the_import_map_applied(client):
    """A module Worker does not read the page's import map: /worker/ serves the same modules with
    each bare specifier the map names replaced by its /worker/ URL, and nothing else."""
    from web.app import IMPORT_MAP, resolve_imports

    index = client.get("/worker/js/index.js")
    assert index.status_code == 200 and index.mimetype == "text/javascript"
    source = index.data.decode()
    assert "from './facepack.js'" in source  # relative imports stay relative, inside /worker/js/
    backend = client.get("/worker/js/backend.js").data.decode()
    assert "from '../vendor/tf.fesm.min.js'" in backend and "from '@tensorflow/tfjs'" not in backend
    wasm = client.get("/worker/vendor/tf-backend-wasm.fesm.min.js").data.decode()
    for specifier in ("@tensorflow/tfjs-core", "fs", "path", "os", "perf_hooks"):
        for quote in "'\"":
            assert f"from{quote}{specifier}{quote}" not in wasm and f"from {quote}{specifier}{quote}" not in wasm
    worker = client.get("/worker/static/worker.js").data.decode()
    assert "import '../vendor/tf-backend-webgpu.fesm.min.js'" in worker
    assert "from '../js/index.js'" in worker
    assert resolve_imports("import x from 'not-mapped'; f('from \"@tensorflow/tfjs\"')") == \
        "import x from 'not-mapped'; f('from \"../vendor/tf.fesm.min.js\"')"  # a string in code is a limit
    assert set(IMPORT_MAP["imports"]) >= {"facepack", "@tensorflow/tfjs"}
    for path in ("/worker/vendor/tfjs-backend-wasm.wasm", "/worker/js/node.js", "/worker/static/app.py",
                 "/worker/other/index.js", "/worker/js/../app.py", "/worker/static/index.html"):
        assert client.get(path).status_code == 404, path


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/bundle/manifest.json", "/vendor/tf.fesm.min.js", "/js/index.js", "/nope"):
        r = client.get(path)
        for key, value in SECURITY_HEADERS.items():
            assert r.headers.get(key) == value, (path, key)


def test_bundle_revalidates_with_its_sha256(client, small_bundle):
    entry = json.loads((small_bundle / "manifest.json").read_text())["files"][0]
    r = client.get(f"/bundle/{entry['path']}", headers={"If-None-Match": f'"{entry["sha256"]}"'})
    assert r.status_code == 304


@pytest.mark.parametrize("path", [
    "/bundle/../pyproject.toml", "/bundle/%2e%2e/pyproject.toml", "/bundle/..%2fpyproject.toml",
    "/bundle/checks/../../README.md", "/static/../app.py", "/static/.hidden", "/vendor/package.json",
    "/vendor/../../package.json", "/bundle/scorer", "/bundle/", "/app.py",
])
def test_paths_outside_what_is_served_are_404(client, path):
    assert client.get(path).status_code == 404


def test_unlisted_files_and_symlinks_in_the_bundle_are_not_served(client, small_bundle, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (small_bundle / "link.txt").symlink_to(secret)
    (small_bundle / ".env").write_text("KEY=1")
    for path in ("/bundle/link.txt", "/bundle/.env"):
        assert client.get(path).status_code == 404


def test_a_listed_file_replaced_by_a_link_out_of_the_bundle_is_not_served(client, small_bundle, tmp_path):
    entry = json.loads((small_bundle / "manifest.json").read_text())["files"][0]
    outside = tmp_path / "outside.bin"
    outside.write_bytes((small_bundle / entry["path"]).read_bytes())
    (small_bundle / entry["path"]).unlink()
    (small_bundle / entry["path"]).symlink_to(outside)
    assert client.get(f"/bundle/{entry['path']}").status_code == 404


def test_app_refuses_to_start_on_a_folder_that_is_not_a_bundle(tmp_path):
    with pytest.raises(BundleError, match="manifest.json does not exist"):
        create_app(tmp_path)


def test_server_binds_to_loopback_unless_told_otherwise():
    from web.__main__ import build_parser

    assert build_parser().parse_args([]).host == "127.0.0.1"
