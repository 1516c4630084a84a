"""`python -m web build DIR`: the page, one bundle, the JS package and the vendored TF.js as a
self-contained static site that any static host can serve. Everything still runs in the
visitor's browser; the host only hands out files.

    DIR/index.html, selftest.html      the pages, import map written in (web.app.render_page)
    DIR/static/                        web/static (the page's scripts, styles, words)
    DIR/js/                            the facepack package's browser modules (js/src/*.js)
    DIR/vendor/                        TF.js's ES module builds and the wasm binaries
    DIR/samples/                       face-api's six demo photos (MIT)
    DIR/bundle/                        the bundle, checked against its manifest first
    DIR/_headers                       the response headers, in the format of Netlify and
                                       Cloudflare Pages
    DIR/nginx.conf                     the same for nginx (include it in a server block)

The headers are the Flask app's own (web.app.SECURITY_HEADERS): the CSP with the import map's
hash, and COOP/COEP, without which WASM runs on one thread. The site is written to a temporary
folder beside DIR and renamed into place, so DIR is either the old site or the new one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from facepack import assets
from facepack.bundle import BundleError, check_files
from facepack.manifest import Manifest
from web.app import MIME, PACKAGE, PAGES, SECURITY_HEADERS, STATIC, VENDOR, render_page, resolve_imports, worker_modules

HEADER_FILES = ("_headers", "nginx.conf")


def headers_file() -> str:
    """Netlify / Cloudflare Pages `_headers`: every path gets the security headers; MIME types by suffix."""
    lines = ["# facepack: the headers the page needs (COOP/COEP for WASM threads, the CSP with the import map's hash)",
             "/*"]
    lines += [f"  {key}: {value}" for key, value in SECURITY_HEADERS.items()]
    for suffix, mime in MIME.items():
        lines += [f"/*{suffix}", f"  Content-Type: {mime}"]
    return "\n".join(lines) + "\n"


def nginx_conf() -> str:
    """An nginx snippet for a server block whose root is the site folder."""
    lines = ["# facepack: include in a `server { root /path/to/site; ... }` block.",
             "# COOP/COEP give WASM its threads; the CSP admits the page's import map by its hash."]
    lines += [f"add_header {key} \"{value}\" always;" for key, value in SECURITY_HEADERS.items()]
    lines.append("types {")
    lines += [f"  {mime} {suffix.lstrip('.')};" for suffix, mime in MIME.items()]
    lines += ["  text/html html;", "  text/css css;", "  image/jpeg jpg jpeg;", "}"]
    lines.append("location / { try_files $uri $uri/ =404; }")
    return "\n".join(lines) + "\n"


def _refuse_foreign_folder(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "_headers").is_file())):
        raise ValueError(f"{out} exists and is not a facepack site (no _headers); refusing to replace it")


def build_site(out: Path, bundle: Path, log=print) -> Path:
    """Write the site to `out` (replaced only when complete). Returns `out`.

    Raises:
        BundleError: the bundle is not a bundle, or a file does not match its manifest.
        ValueError: `out` holds something that is not a facepack site.
    """
    out, bundle = Path(out).resolve(), Path(bundle).resolve()
    manifest = Manifest.read(bundle)
    problems = check_files(bundle, manifest.files)
    if problems:
        raise BundleError(f"bundle {bundle} fails its file check: " + "; ".join(problems))
    _refuse_foreign_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        for name in PAGES.values():
            (tmp / name).write_text(render_page(name))
        shutil.copytree(STATIC, tmp / "static", ignore=lambda _, names: [n for n in names if n in PAGES.values()
                                                                         or n.startswith(".")])
        (tmp / "js").mkdir()
        for module in PACKAGE.glob("*.js"):
            shutil.copy2(module, tmp / "js" / module.name)
        (tmp / "vendor").mkdir()
        node_modules = assets.node_modules()
        for name, rel in VENDOR.items():
            shutil.copy2(node_modules / rel, tmp / "vendor" / name)
        for rel, module in worker_modules(node_modules).items():  # the worker's modules, imports resolved
            (tmp / "worker" / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / "worker" / rel).write_text(resolve_imports(module.read_text(encoding="utf-8")), encoding="utf-8")
        (tmp / "samples").mkdir()
        for photo in assets.sample_photos():
            shutil.copy2(photo, tmp / "samples" / photo.name)
        (tmp / "bundle").mkdir()
        for entry in [*manifest.files, {"path": "manifest.json"}]:
            target = tmp / "bundle" / entry["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(bundle / entry["path"], target)
        (tmp / "_headers").write_text(headers_file())
        (tmp / "nginx.conf").write_text(nginx_conf())
        tmp.chmod(0o755)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    log(f"site written: {out} ({size / 1e6:.1f} MB); serve it with its _headers (or nginx.conf) so WASM gets threads")
    return out
