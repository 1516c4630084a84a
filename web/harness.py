"""Run the app and Debian's Chromium for tests and benchmarks: one place for the launch flags,
and the in-page snippets the tests and `python -m bench` share.

The app is served by werkzeug on 127.0.0.1 in a background thread; Chromium runs headless with
no reach beyond this machine (flags that keep it from calling out to the network).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server

from web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def serve(bundle: Path, quiet: bool = False) -> tuple[str, Callable[[], None]]:
    """Start the app on 127.0.0.1 at a free port; returns (base url, stop)."""
    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, create_app(bundle), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(10)

    return f"http://127.0.0.1:{server.server_port}", stop


def launch_chromium(playwright):
    """Debian's Chromium through Playwright (its own browser download cannot run here)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# ----------------------------------------------------------------------------------------------
# In-page helpers the tests and `python -m bench` share. Each is a function for page.evaluate;
# photos and frames travel as base64.

# {b64, name, runs=1} -> [{faces, width, height, timings}] of `runs` analyses of one photo file
# (decoded each time, as a page does); timings include `decode`.
ANALYZE_JS = """async ({b64, name, runs = 1}) => {
  const { decodeImage } = await import('facepack');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const out = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    const bitmap = await decodeImage(new Blob([bytes]), name);
    const decode = performance.now() - t0;
    const faces = await window.facepack.analyze(bitmap);
    out.push({ faces, width: bitmap.width, height: bitmap.height,
               timings: { ...window.facepack.timings, decode, total: performance.now() - t0 } });
    bitmap.close();
  }
  return out;
}"""

# {frames: [b64 RGB bytes], width, height, reset} -> [{keyframe, faces, ms}]: live mode on raw
# RGB frames; the tracker lives on in the page between calls unless `reset`.
LIVE_JS = """async ({frames, width, height, reset}) => {
  const { LiveTracker } = await import('facepack');
  if (reset || !window.liveTracker) window.liveTracker = new LiveTracker(window.facepack);
  const out = [];
  for (const b64 of frames) {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const t0 = performance.now();
    const result = await window.liveTracker.step({ data, width, height });
    out.push({ ...result, ms: performance.now() - t0 });
  }
  return out;
}"""

# {frames: [base64 RGB], width, height, boxes: [null | [[x1, y1, x2, y2], ...]]} -> per frame the
# faces (with score and emotion) of the full cascade (null) or of RNet and ONet alone on the given
# boxes: one live-mode step with its input fixed, as facepack.track.Tracker feeds Detector.refine.
LIVE_STEP_JS = """async ({frames, width, height, boxes}) => {
  const { rgbPixels } = await import('facepack');
  const fp = window.facepack;
  const out = [];
  for (const [i, b64] of frames.entries()) {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const pixels = rgbPixels({ data, width, height }, fp.manifest.images);
    const faces = boxes[i] === null ? await fp.detectPixels(pixels) : await fp.refinePixels(pixels, boxes[i]);
    out.push(await fp.results(pixels, faces));
  }
  return out;
}"""

# () -> the number of tensors TF.js holds.
NUM_TENSORS_JS = """async () => (await import('@tensorflow/tfjs')).memory().numTensors"""


def frames_b64(frames) -> list[str]:
    """RGB uint8 frames as the base64 strings LIVE_JS takes."""
    import base64

    return [base64.b64encode(frame.tobytes()).decode() for frame in frames]
