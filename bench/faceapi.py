"""face-api.js (@vladmandic/face-api 1.7.15) in the same Chromium, on the same photos: the peer the
page is measured against. Its chain: SSD MobileNet v1 detection, 68 landmarks, expression and a
128-d descriptor, on the tfjs wasm backend (threads and SIMD, as the page gets them).

A small Flask app of its own serves a bench page, TF.js's ES builds (the page's vendor files),
and face-api's ES build and models from node_modules; face-api's imports of TF.js are mapped to
the same TF.js, so both libraries run on one engine build.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, Response, abort, send_file

from facepack import assets
from web.app import MIME, SECURITY_HEADERS, VENDOR

MODELS = ("ssd_mobilenetv1_model", "face_landmark_68_model", "face_expression_model", "face_recognition_model")

IMPORT_MAP = {"imports": {
    "@tensorflow/tfjs": "/vendor/tf.fesm.min.js",
    "@tensorflow/tfjs-core": "/vendor/tf.fesm.min.js",
    "@tensorflow/tfjs/dist/index.js": "/vendor/tf.fesm.min.js",
    "@tensorflow/tfjs-backend-webgl/dist/index.js": "/vendor/tf.fesm.min.js",
    "@tensorflow/tfjs-backend-wasm": "/vendor/tf-backend-wasm.fesm.min.js",
    "@tensorflow/tfjs-backend-wasm/dist/index.js": "/vendor/tf-backend-wasm.fesm.min.js",
    **{name: "/node_builtin.js" for name in ("fs", "path", "os", "perf_hooks", "worker_threads", "util")},
}}

PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>face-api.js bench</title>
<script type="importmap">{json.dumps(IMPORT_MAP)}</script>
<script type="module" src="/faceapi-bench.js"></script></head>
<body><span id="status" data-state="loading">loading</span></body></html>"""

SCRIPT = Path(__file__).with_name("page_js") / "faceapi_bench.js"  # the page's module




def chain_bytes() -> dict[str, int]:
    """Download of face-api's chain: each model's weights and manifest."""
    model = assets.faceapi_dir() / "model"
    return {name: sum(p.stat().st_size for p in model.glob(f"{name}*")) for name in MODELS}


def create_faceapi_app() -> Flask:
    node_modules = assets.node_modules()
    faceapi = assets.faceapi_dir()
    app = Flask(__name__, static_folder=None)
    headers = {k: v for k, v in SECURITY_HEADERS.items() if k != "Content-Security-Policy"}  # a bench page

    def send(path: Path) -> Response:
        return send_file(path, mimetype=MIME.get(path.suffix, None), max_age=None)

    app.add_url_rule("/", "page", lambda: Response(PAGE, mimetype="text/html"))
    app.add_url_rule("/faceapi-bench.js", "script", lambda: send(SCRIPT))
    app.add_url_rule("/node_builtin.js", "builtin", lambda: Response("export default {};", mimetype="text/javascript"))

    @app.get("/vendor/<name>")
    def vendor(name: str) -> Response:
        if name not in VENDOR:
            abort(404)
        return send(node_modules / VENDOR[name])

    @app.get("/faceapi/<path:rel>")
    def faceapi_file(rel: str) -> Response:
        allowed = {"face-api.esm-nobundle.js": faceapi / "dist" / "face-api.esm-nobundle.js",
                   **{f"model/{p.name}": p for p in (faceapi / "model").iterdir()}}
        if rel not in allowed:
            abort(404)
        return send(allowed[rel])

    @app.after_request
    def add_headers(response: Response) -> Response:
        for key, value in headers.items():
            response.headers.setdefault(key, value)
        return response

    return app


def more_cores(threads: int) -> str:
    """A page script that makes TF.js's WASM backend start `threads` threads: TF.js takes half of
    navigator.hardwareConcurrency (js/src/backend.js's withThreads does the same while it starts)."""
    return f"Object.defineProperty(navigator, 'hardwareConcurrency', {{ value: {2 * threads} }});"


def run_faceapi(browser, items, runs: int, log, threads: int | None = None) -> dict:
    """Cold start, then per photo one warm-up and the median of `runs`, in a fresh browser context;
    with `threads`, TF.js's WASM backend is given that many (else TF.js's own choice)."""
    import logging
    import statistics

    from werkzeug.serving import make_server

    from tests.support.browser import b64, open_page, serve_in_thread

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    url, stop = serve_in_thread(make_server("127.0.0.1", 0, create_faceapi_app(), threaded=True))
    try:
        script = more_cores(threads) if threads else None
        with open_page(browser, url, "/", timeout_ms=300_000, init_script=script) as watch:
            page = watch.page
            load = page.evaluate("window.faceapiLoad")
            load["threads"] = page.evaluate("import('@tensorflow/tfjs-backend-wasm').then((m) => m.getThreadsCount())")
            first = page.evaluate("window.faceapiRun", {"b64": b64(items[0][1]), "runs": 1})[0]
            result = {"backend": load["tfBackend"], "load_ms": load, "first_result_ms": load["total"] + first["ms"],
                      "download_bytes": chain_bytes(), "photos": {}}
            for name, data in items:
                got = page.evaluate("window.faceapiRun", {"b64": b64(data), "runs": runs + 1})
                result["photos"][name] = {"faces": got[0]["faces"],
                                          "median_ms": statistics.median(g["ms"] for g in got[1:])}
                log(f"face-api ({load['threads']} threads) {name}: {result['photos'][name]['median_ms']:.0f} ms, "
                    f"{got[0]['faces']} faces")
            if watch.page_errors:
                raise RuntimeError(f"face-api page errors: {watch.page_errors}")
        return result
    finally:
        stop()
