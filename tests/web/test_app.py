"""The Flask app serves the page, the listed bundle files and the vendored TF.js, nothing else."""

from __future__ import annotations

import json

import pytest

from converter.manifest import BundleError
from web.app import SECURITY_HEADERS, VENDOR, create_app

pytestmark = pytest.mark.slow  # needs the exported default bundle


@pytest.fixture
def client(bundle_copy):
    return create_app(bundle_copy).test_client()


def test_page_bundle_and_vendor_files_are_served_with_their_types(client, bundle_copy):
    assert client.get("/").status_code == 200
    manifest = json.loads(client.get("/bundle/manifest.json").data)
    for entry in manifest["files"][:5]:
        r = client.get(f"/bundle/{entry['path']}")
        assert r.status_code == 200 and len(r.data) == entry["bytes"]
        assert r.headers["ETag"].strip('"') == entry["sha256"]
    for name in VENDOR:
        assert client.get(f"/vendor/{name}").status_code == 200
    assert client.get("/vendor/tfjs-backend-wasm-simd.wasm").mimetype == "application/wasm"
    assert client.get("/vendor/tf.min.js").mimetype == "text/javascript"


def test_pages_modules_and_sample_photos_are_served(client):
    assert b"/static/app.js" in client.get("/").data
    assert b"/static/selftest-page.js" in client.get("/selftest").data
    for name in ("facepack.js", "pyramid.js", "pnet.js", "rnet.js", "onet.js", "boxes.js", "crop.js", "image.js"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and r.mimetype == "text/javascript", name
    r = client.get("/samples/sample1.jpg")
    assert r.status_code == 200 and r.mimetype == "image/jpeg" and len(r.data) > 100_000
    for path in ("/samples/sample7.jpg", "/samples/..%2Fpackage.json", "/samples/"):
        assert client.get(path).status_code == 404, path


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/bundle/manifest.json", "/vendor/tf.min.js", "/nope"):
        r = client.get(path)
        for key, value in SECURITY_HEADERS.items():
            assert r.headers.get(key) == value, (path, key)


def test_bundle_revalidates_with_its_sha256(client, bundle_copy):
    entry = json.loads((bundle_copy / "manifest.json").read_text())["files"][0]
    r = client.get(f"/bundle/{entry['path']}", headers={"If-None-Match": f'"{entry["sha256"]}"'})
    assert r.status_code == 304


@pytest.mark.parametrize("path", [
    "/bundle/../pyproject.toml", "/bundle/%2e%2e/pyproject.toml", "/bundle/..%2fpyproject.toml",
    "/bundle/checks/../../README.md", "/static/../app.py", "/static/.hidden", "/vendor/package.json",
    "/vendor/../../package.json", "/bundle/scorer", "/bundle/", "/app.py",
])
def test_paths_outside_what_is_served_are_404(client, path):
    assert client.get(path).status_code == 404


def test_unlisted_files_and_symlinks_in_the_bundle_are_not_served(client, bundle_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (bundle_copy / "link.txt").symlink_to(secret)
    (bundle_copy / ".env").write_text("KEY=1")
    for path in ("/bundle/link.txt", "/bundle/.env"):
        assert client.get(path).status_code == 404


def test_a_listed_file_replaced_by_a_link_out_of_the_bundle_is_not_served(client, bundle_copy, tmp_path):
    entry = json.loads((bundle_copy / "manifest.json").read_text())["files"][0]
    outside = tmp_path / "outside.bin"
    outside.write_bytes((bundle_copy / entry["path"]).read_bytes())
    (bundle_copy / entry["path"]).unlink()
    (bundle_copy / entry["path"]).symlink_to(outside)
    assert client.get(f"/bundle/{entry['path']}").status_code == 404


def test_app_refuses_to_start_on_a_folder_that_is_not_a_bundle(tmp_path):
    with pytest.raises(BundleError, match="manifest.json does not exist"):
        create_app(tmp_path)


def test_server_binds_to_loopback_unless_told_otherwise():
    from web.__main__ import build_parser

    assert build_parser().parse_args([]).host == "127.0.0.1"
