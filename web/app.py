"""The Flask app: serves the page, one bundle, the facepack JS package and the TF.js files
vendored from node_modules.

It serves nothing else: bundle paths must be listed in the bundle's manifest, vendor files
must be named in VENDOR, page files come from web/static only, package modules from js/src
only (not its Node-only folder), and /samples/ holds only face-api's six demo photos. Every
response carries headers that keep the page on its own origin (CSP) and let WASM use threads
(COOP/COEP).

The pages are native ES modules with no bundler: an import map (IMPORT_MAP, written into each
page where it says <!-- importmap -->) tells the browser where `facepack` and TF.js live. The
CSP admits that one inline script by its sha256. A module Worker does not read its page's
import map, so /worker/js/, /worker/static/ and /worker/vendor/ serve the same modules with
the map applied by the server (`resolve_imports`), as a bundler's dev server does.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import mimetypes
import re
from pathlib import Path

from flask import Flask, Response, abort, request, send_file

from facepack import assets
from facepack.bundle import MANIFEST
from facepack.manifest import Manifest

STATIC = Path(__file__).with_name("static")
PACKAGE = Path(__file__).resolve().parents[1] / "js" / "src"  # the facepack JS package's browser modules
PAGES = {"/": "index.html", "/selftest.html": "selftest.html"}

# URL name under /vendor/ -> file inside node_modules: the ES module builds of TF.js, its wasm
# backend and its webgpu backend, and the wasm binaries the wasm backend fetches from the same folder.
VENDOR = {
    "tf.fesm.min.js": "@tensorflow/tfjs/dist/tf.fesm.min.js",
    "tf-backend-webgpu.fesm.min.js": "@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.fesm.min.js",
    "tf-backend-wasm.fesm.min.js": "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.min.js",
    "tfjs-backend-wasm.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm":
        "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
}

# Bare module names -> URLs. The wasm backend's ES build imports @tensorflow/tfjs-core (the
# same engine as tfjs's flat build) and Node's fs, path, os, perf_hooks and worker_threads,
# which its package.json maps to nothing in browsers ("browser": {"fs": false, ...}); here they
# map to an empty module. The webgpu backend's ES build imports @tensorflow/tfjs-core alone (the
# cpu kernels it shares are inside it); js/src/backend.js imports it only when webgpu is used.
# URLs are relative to the page, so the static site (python -m web build) works under any path.
IMPORT_MAP = {"imports": {
    "facepack": "./js/index.js",
    "@tensorflow/tfjs": "./vendor/tf.fesm.min.js",
    "@tensorflow/tfjs-core": "./vendor/tf.fesm.min.js",
    "@tensorflow/tfjs-backend-wasm": "./vendor/tf-backend-wasm.fesm.min.js",
    "@tensorflow/tfjs-backend-webgpu": "./vendor/tf-backend-webgpu.fesm.min.js",
    **{name: "./static/node_builtin.js" for name in ("fs", "path", "os", "perf_hooks", "worker_threads")},
}}
IMPORT_MAP_SCRIPT = json.dumps(IMPORT_MAP, indent=1)
# A module specifier in an import or export statement or an import() call: from 'x', import 'x', import('x').
_SPECIFIER = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"']+)\2""")


def resolve_imports(source: str) -> str:
    """`source` (an ES module served as worker/KIND/NAME) with each bare specifier IMPORT_MAP
    names replaced by the URL of its target's worker/ copy, relative (../vendor/x.js), so that a
    module Worker finds what the page's import map tells the page, under any base path."""
    def swap(match: re.Match) -> str:
        target = IMPORT_MAP["imports"].get(match.group(3))
        if target is None:
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}../{target.removeprefix('./')}{match.group(2)}"

    return _SPECIFIER.sub(swap, source)


@functools.lru_cache(maxsize=32)
def _resolved(path: Path, mtime_ns: int) -> bytes:
    return resolve_imports(path.read_text(encoding="utf-8")).encode()


def worker_modules(node_modules: Path) -> dict[str, Path]:
    """worker/KIND/NAME -> the module it is served from: the page's .js files (static), the
    package's (js) and TF.js's ES builds (vendor)."""
    modules = {f"static/{p.name}": p for p in sorted(STATIC.glob("*.js"))}
    modules |= {f"js/{p.name}": p for p in sorted(PACKAGE.glob("*.js"))}
    modules |= {f"vendor/{name}": node_modules / rel for name, rel in VENDOR.items() if name.endswith(".js")}
    return modules

_IMPORT_MAP_HASH = base64.b64encode(hashlib.sha256(IMPORT_MAP_SCRIPT.encode()).digest()).decode()

SECURITY_HEADERS = {
    # Only this origin; WASM compilation allowed; the import map by its hash. The threaded WASM
    # backend starts workers from blob: URLs that importScripts() other blob: URLs (only
    # same-origin code can mint them).
    "Content-Security-Policy": (
        f"default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob: 'sha256-{_IMPORT_MAP_HASH}'; "
        "worker-src 'self' blob:; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
        "style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Cross-origin isolation, so SharedArrayBuffer (WASM threads) is available.
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}

MIME = {".wasm": "application/wasm", ".js": "text/javascript", ".mjs": "text/javascript",
        ".json": "application/json", ".bin": "application/octet-stream",
        ".u8": "application/octet-stream", ".f32": "application/octet-stream"}


def render_page(name: str) -> str:
    """A page from web/static with the import map written in."""
    html = (STATIC / name).read_text()
    return html.replace("<!-- importmap -->", f'<script type="importmap">{IMPORT_MAP_SCRIPT}</script>')


def _mime(path: Path) -> str:
    return MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def create_app(bundle_dir: Path) -> Flask:
    """An app serving `bundle_dir` (its manifest read with `Manifest.read`, so a broken bundle fails here)."""
    bundle_dir = Path(bundle_dir).resolve()
    manifest = Manifest.read(bundle_dir)
    # Path -> sha256 of every file the bundle may serve; anything else is 404.
    bundle_files = {entry["path"]: entry["sha256"] for entry in manifest.files}
    node_modules = assets.node_modules()
    # face-api's demo group photos (MIT, shipped in its npm package): the page's sample buttons.
    samples = {p.name: p for p in assets.sample_photos()}
    static_files = {p.name for p in STATIC.iterdir() if p.is_file() and not p.name.startswith(".")
                    and p.name not in PAGES.values()}
    package_files = {p.name for p in PACKAGE.glob("*.js")}
    pages = {route: render_page(name) for route, name in PAGES.items()}

    app = Flask(__name__, static_folder=None)
    app.config["BUNDLE_DIR"] = bundle_dir

    def send(path: Path, cache: str, etag: str | None = None) -> Response:
        response = send_file(path, mimetype=_mime(path), conditional=True, etag=etag or True, max_age=None)
        response.headers["Cache-Control"] = cache
        return response

    def page(route: str) -> Response:
        response = Response(pages[route], mimetype="text/html")
        response.headers["Cache-Control"] = "no-cache"
        return response

    app.add_url_rule("/", "index", lambda: page("/"))
    app.add_url_rule("/index.html", "index_file", lambda: page("/"))
    app.add_url_rule("/selftest.html", "selftest", lambda: page("/selftest.html"))
    app.add_url_rule("/selftest", "selftest_short", lambda: page("/selftest.html"))

    @app.get("/js/<name>")
    def package_module(name: str) -> Response:
        if name not in package_files:
            abort(404)
        return send(PACKAGE / name, "no-cache")

    @app.get("/samples/<name>")
    def sample(name: str) -> Response:
        if name not in samples:
            abort(404)
        return send(samples[name], "public, max-age=86400")

    @app.get("/static/<name>")
    def static_file(name: str) -> Response:
        if name not in static_files:
            abort(404)
        return send(STATIC / name, "no-cache")

    @app.get("/vendor/<name>")
    def vendor(name: str) -> Response:
        if name not in VENDOR:
            abort(404)
        return send(node_modules / VENDOR[name], "public, max-age=86400")

    worker_files = worker_modules(node_modules)

    @app.get("/worker/<kind>/<name>")
    def worker_module(kind: str, name: str) -> Response:
        # The modules of /js/, /static/ and /vendor/, their bare imports resolved (resolve_imports).
        path = worker_files.get(f"{kind}/{name}")
        if path is None:
            abort(404)
        response = Response(_resolved(path, path.stat().st_mtime_ns), mimetype="text/javascript")
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/bundle/<path:rel>")
    def bundle(rel: str) -> Response:
        if rel == MANIFEST:
            return send(bundle_dir / MANIFEST, "no-cache")
        path = bundle_dir / rel
        # Listed, and still inside the bundle once links are followed.
        if rel not in bundle_files or not path.resolve().is_relative_to(bundle_dir):
            abort(404)
        # The manifest's sha256 is the file's identity: browsers revalidate with it and get
        # a 304 until the bundle changes.
        return send(path, "no-cache", etag=bundle_files[rel])

    @app.after_request
    def headers(response: Response) -> Response:
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response

    @app.errorhandler(404)
    def not_found(_err) -> tuple[str, int]:
        return f"not found: {request.path}\n", 404

    return app
