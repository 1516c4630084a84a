"""`python -m web` under a short load: thousands of requests from this process to the server
process on loopback, bounded in time, every answer as expected, memory flat."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 3000
WARMUP = 500
SECONDS = 180  # bound on the whole run (a few hundred requests a second are expected)
RSS_GROWTH_MB = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def fetch(url: str, etag: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"If-None-Match": f'"{etag}"'} if etag else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture
def web_process(bundle_copy):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "web", "--bundle", str(bundle_copy), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if fetch(url + "/") == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("python -m web did not answer within 60 s")
    yield url, proc.pid
    proc.terminate()
    proc.wait(10)


def test_thousands_of_requests_all_answered_and_memory_flat(web_process, bundle_copy):
    url, pid = web_process
    files = json.loads((bundle_copy / "manifest.json").read_text())["files"]
    small = [f for f in files if f["bytes"] < 200_000]
    # (path, If-None-Match, expected status): pages, modules, vendor, bundle files fresh and
    # revalidated, and probes that must be refused.
    mix = [("/", None, 200), ("/js/facepack.js", None, 200), ("/static/style.css", None, 200),
           ("/vendor/tf-backend-wasm.fesm.min.js", None, 200), ("/bundle/manifest.json", None, 200),
           ("/bundle/../pyproject.toml", None, 404), ("/static/.env", None, 404), ("/nope", None, 404)]
    mix += [(f"/bundle/{f['path']}", None, 200) for f in small[:6]]
    mix += [(f"/bundle/{f['path']}", f["sha256"], 304) for f in small[:6]]
    plan = [mix[i % len(mix)] for i in range(WARMUP + REQUESTS)]

    def run(batch):
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda item: (item, fetch(url + item[0], item[1])), batch))

    started = time.time()
    wrong = [(item, status) for item, status in run(plan[:WARMUP]) if status != item[2]]
    before = rss_mb(pid)
    wrong += [(item, status) for item, status in run(plan[WARMUP:]) if status != item[2]]
    after = rss_mb(pid)
    elapsed = time.time() - started
    assert not wrong, f"{len(wrong)} unexpected answers, e.g. {wrong[:5]}"
    assert elapsed < SECONDS, f"{WARMUP + REQUESTS} requests took {elapsed:.0f} s"
    assert after - before < RSS_GROWTH_MB, f"server RSS grew {before:.1f} -> {after:.1f} MB over {REQUESTS} requests"
    print(f"\n{WARMUP + REQUESTS} requests in {elapsed:.1f} s ({(WARMUP + REQUESTS) / elapsed:.0f}/s); "
          f"server RSS {before:.1f} -> {after:.1f} MB")
