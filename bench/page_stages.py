"""Per-stage times of the analysis page on one photo, per backend, with the Python reference
timed in the same run on the same machine.

Opens the real page (real Flask app on loopback, Debian's Chromium) on each backend, analyses
the photo `--runs` times, and reports the first run (includes shader/kernel warm-up) and the
median of the rest. Then times facepack.pipeline.ReferencePipeline on the same photo.

    python bench/page_stages.py [--bundle bundle] [--photo PATH] [--runs 3] [--out bench/results/page_stages.json]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from facepack import assets  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402

STAGES = ("pixels", "pnet", "rnet", "onet", "scorer", "emotion", "total")
ANALYZE_JS = """async ({b64, runs}) => {
  const { decodeImage } = await import('/static/image.js');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await decodeImage(new Blob([bytes]));
  const out = [];
  for (let i = 0; i < runs; i += 1) {
    const faces = await window.facepack.analyze(bitmap);
    out.push({ faces: faces.length, timings: { ...window.facepack.timings } });
  }
  return out;
}"""


def browser_stages(url: str, photo: bytes, backends: list[str], runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        for backend in backends:
            page = browser.new_page()
            page.goto(f"{url}/?backend={backend}")
            page.wait_for_selector("#status:not([data-state=loading])", timeout=180_000)
            got = page.evaluate(ANALYZE_JS, {"b64": base64.b64encode(photo).decode(), "runs": runs})
            rest = got[1:] or got
            results[backend] = {
                "faces": got[0]["faces"],
                "first_ms": {s: got[0]["timings"][s] for s in STAGES},
                "median_ms": {s: statistics.median(r["timings"][s] for r in rest) for s in STAGES},
            }
            page.close()
            print(f"{backend}: {results[backend]['median_ms']['total']:.0f} ms median", flush=True)
        browser.close()
    return results


def python_stages(photo: bytes, runs: int) -> dict:
    from facepack.crop import crop_faces
    from facepack.images import load_image
    from facepack.pipeline import ReferencePipeline

    pipeline = ReferencePipeline()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        image = load_image(photo)
        t1 = time.perf_counter()
        faces = pipeline.detect(image)
        t2 = time.perf_counter()
        pipeline.score(pipeline.scorer_crops(image, faces))
        t3 = time.perf_counter()
        pipeline.emotions(crop_faces(image, faces, pipeline.emotion_crop))
        t4 = time.perf_counter()
        times.append({"pixels": t1 - t0, "detect": t2 - t1, "scorer": t3 - t2, "emotion": t4 - t3, "total": t4 - t0})
    rest = times[1:] or times
    return {"faces": len(faces), "first_ms": {k: 1000 * v for k, v in times[0].items()},
            "median_ms": {k: 1000 * statistics.median(t[k] for t in rest) for k in times[0]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=Path("bundle"), help="exported bundle (default: bundle)")
    parser.add_argument("--photo", type=Path, default=None, help="photo (default: face-api's sample1.jpg)")
    parser.add_argument("--backends", default="webgl,wasm,cpu", help="comma-separated (default: webgl,wasm,cpu)")
    parser.add_argument("--runs", type=int, default=3, help="analyses per backend (default: 3)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/page_stages.json"))
    args = parser.parse_args()
    photo_path = args.photo or assets.sample_photos()[0]
    photo = photo_path.read_bytes()
    url, stop = serve(args.bundle)
    try:
        browser = browser_stages(url, photo, args.backends.split(","), args.runs)
    finally:
        stop()
    python = python_stages(photo, args.runs)
    result = {"photo": photo_path.name, "runs": args.runs, "browser": browser, "python": python}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"\n{photo_path.name}, ms (first run / median of the rest)")
    print("stage | " + " | ".join(browser))
    for s in STAGES:
        print(f"{s} | " + " | ".join(f"{r['first_ms'][s]:.0f} / {r['median_ms'][s]:.0f}" for r in browser.values()))
    p = python["median_ms"]
    print(f"python reference (median): detect {p['detect']:.0f}, scorer {p['scorer']:.0f}, "
          f"emotion {p['emotion']:.0f}, total {p['total']:.0f} ms; faces {python['faces']}")


if __name__ == "__main__":
    main()
