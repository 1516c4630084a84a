"""The Flask app: serves the page, one bundle, and the TF.js files vendored from node_modules.

It serves nothing else: bundle paths must be listed in the bundle's manifest, vendor files
must be named in VENDOR, static files come from web/static only, and /samples/ holds only
face-api's six demo photos. Every response carries
headers that keep the page on its own origin (CSP) and let WASM use threads (COOP/COEP).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Flask, Response, abort, request, send_file

from converter.manifest import MANIFEST, read_manifest
from facepack import assets

STATIC = Path(__file__).with_name("static")

# URL name under /vendor/ -> file inside node_modules. TF.js ships UMD builds that define the
# global `tf`; the wasm backend fetches its .wasm binaries from the same folder.
VENDOR = {
    "tf.min.js": "@tensorflow/tfjs/dist/tf.es2017.min.js",  # es2017 build: no eval (the es5 one trips the CSP)
    "tf-backend-wasm.min.js": "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.es2017.min.js",
    "tfjs-backend-wasm.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm",
    "tfjs-backend-wasm-simd.wasm": "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
    "tfjs-backend-wasm-threaded-simd.wasm":
        "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
}

SECURITY_HEADERS = {
    # Only this origin; WASM compilation allowed. The threaded WASM backend starts workers from
    # blob: URLs that importScripts() other blob: URLs (only same-origin code can mint them).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' blob:; worker-src 'self' blob:; "
        "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
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


def _mime(path: Path) -> str:
    return MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def create_app(bundle_dir: Path) -> Flask:
    """An app serving `bundle_dir` (checked with `read_manifest`, so a broken bundle fails here)."""
    bundle_dir = Path(bundle_dir).resolve()
    manifest = read_manifest(bundle_dir)
    # Path -> sha256 of every file the bundle may serve; anything else is 404.
    bundle_files = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    node_modules = assets.node_modules()
    # face-api's demo group photos (MIT, shipped in its npm package): the page's sample buttons.
    samples = {p.name: p for p in assets.sample_photos()}
    static_files = {p.name for p in STATIC.iterdir() if p.is_file() and not p.name.startswith(".")}

    app = Flask(__name__, static_folder=None)
    app.config["BUNDLE_DIR"] = bundle_dir

    def send(path: Path, cache: str, etag: str | None = None) -> Response:
        response = send_file(path, mimetype=_mime(path), conditional=True, etag=etag or True, max_age=None)
        response.headers["Cache-Control"] = cache
        return response

    @app.get("/")
    def index() -> Response:
        return send(STATIC / "index.html", "no-cache")

    @app.get("/selftest")
    def selftest() -> Response:
        return send(STATIC / "selftest.html", "no-cache")

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
