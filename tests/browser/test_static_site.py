"""`python -m web build DIR`: a self-contained static site that works from a plain static server
with its header file, and refuses to replace what it did not write or to ship a broken bundle."""

from __future__ import annotations

import json

import pytest

from tests.support.browser import open_page
from tests.support.cli import run_module
from tests.support.static_host import read_headers, serve_site
from web.app import IMPORT_MAP, SECURITY_HEADERS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(default_bundle, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    result = run_module("web", "build", out, "--bundle", default_bundle[0], timeout=300)
    assert result.returncode == 0, result.stderr
    assert "site written" in result.stdout
    return out


def test_the_site_holds_pages_package_tfjs_bundle_and_its_headers(site, default_bundle):
    assert {"index.html", "selftest.html", "_headers", "nginx.conf"} <= {p.name for p in site.iterdir()}
    assert (site / "js" / "facepack.js").is_file() and (site / "vendor" / "tf.fesm.min.js").is_file()
    manifest = json.loads((site / "bundle" / "manifest.json").read_text())
    assert all((site / "bundle" / f["path"]).stat().st_size == f["bytes"] for f in manifest["files"])
    assert json.dumps(IMPORT_MAP, indent=1) in (site / "index.html").read_text()
    (everything, headers), *_ = read_headers(site / "_headers")
    assert everything == "/*" and dict(headers) == SECURITY_HEADERS
    assert 'add_header Cross-Origin-Embedder-Policy "require-corp" always;' in (site / "nginx.conf").read_text()


@pytest.mark.parametrize(("query", "runtime"), [("", "FacepackWorker"), ("&worker=0", "Facepack")],
                         ids=["worker", "page-thread"])
def test_the_page_works_from_a_plain_static_server_with_its_headers(site, browser, query, runtime):
    """From the static site on a plain server, by default (the analysis in a Web Worker, whose
    modules are written with their imports resolved, relative: site/worker/) and with ?worker=0."""
    assert "../vendor/tf.fesm.min.js" in (site / "worker" / "js" / "backend.js").read_text()
    url, stop = serve_site(site)
    try:
        with open_page(browser, url, f"/index.html?backend=wasm{query}") as watch:
            page = watch.page
            assert page.evaluate("window.facepack.constructor.name") == runtime
            assert page.evaluate("crossOriginIsolated") and page.evaluate("window.facepack.wasm.threads")
            page.click("#samples button >> nth=0")
            page.wait_for_selector(".result", timeout=120_000)
            assert len(page.evaluate("window.facepackResults[0].faces")) == 3
            assert not watch.errors, watch.errors
            assert not watch.foreign_requests()
    finally:
        stop()


def test_build_refuses_a_foreign_folder_and_a_tampered_bundle(bundle_copy, tmp_path):
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"mine")
    out = run_module("web", "build", foreign, "--bundle", bundle_copy)
    assert out.returncode == 2 and "is not a facepack site" in out.stderr
    assert (foreign / "holiday.jpg").read_bytes() == b"mine"
    entry = json.loads((bundle_copy / "manifest.json").read_text())["files"][0]
    (bundle_copy / entry["path"]).write_bytes(b"tampered")
    out = run_module("web", "build", tmp_path / "site", "--bundle", bundle_copy)
    assert out.returncode == 2 and entry["path"] in out.stderr and not (tmp_path / "site").exists()
