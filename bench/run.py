"""The browser pipeline against the Python reference: the same photos, one run, one machine.

    python -m bench [--bundle bundle] [--scut 10] [--runs 5] [--quantized] [--out bench/results/latest.json]

Measures, in this order (the machine is shared and noisy, so only ratios within one run count):
1. Python reference (facepack.pipeline: the `mtcnn` package + Keras) per stage and end to end,
   on every photo, median of --runs after one warm-up; Keras scorer and emotion at batch 1.
2. The real page in Debian's Chromium, served by the real Flask app on loopback, per variant:
   wasm (threads + SIMD), wasm on one thread, webgl, cpu. For each: cold start (a fresh browser
   context: page open -> bundle fetched and checked -> models loaded -> first result), then per
   photo one warm-up and the median of --runs, the scorer at batch 1, peak tensor memory, and
   numTensors over 50 analyses (wasm). webgl and cpu (software here, 15-30 s a photo) run on the
   1920x1280 photo only, --slow-runs times.
3. With --quantized: float16 and uint8 bundles exported to a temporary folder; sizes per model,
   wasm end-to-end time and how far their scores move from Python's.
Photos: face-api's six demo photos, plus --scut SCUT-FBP5500 test images when ../shared has them.
Prints ratio tables (browser / Python) and writes everything to --out as JSON.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from facepack import assets  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCUT = ROOT.parent / "shared" / "data" / "SCUT-FBP5500_v2"
STAGES = ("decode", "pixels", "pnet", "rnet", "onet", "scorer", "emotion", "total")
VARIANTS = {  # name -> page query, and whether it is fast enough here for every photo
    "wasm": ("backend=wasm", True),
    "wasm-1thread": ("backend=wasm&threads=0", True),
    "webgl": ("backend=webgl", False),
    "cpu": ("backend=cpu", False),
}

ANALYZE_JS = """async ({b64, runs}) => {
  const { decodeImage } = await import('facepack');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const out = [];
  for (let i = 0; i < runs; i += 1) {
    const t0 = performance.now();
    const bitmap = await decodeImage(new Blob([bytes]));
    const decode = performance.now() - t0;
    const faces = await window.facepack.analyze(bitmap);
    bitmap.close();
    out.push({ faces: faces.length, expected: faces.map((f) => f.score.expected),
               timings: { ...window.facepack.timings, decode, total: performance.now() - t0 } });
  }
  return out;
}"""

COLD_START_JS = """async () => {
  const ready = performance.now();
  const { decodeImage } = await import('facepack');
  const t0 = performance.now();
  const blob = await (await fetch('/samples/sample1.jpg')).blob();
  const bitmap = await decodeImage(blob);
  const faces = await window.facepack.analyze(bitmap);
  return { ready_ms: ready, first_result_ms: performance.now(), photo_ms: performance.now() - t0,
           load: window.facepack.loadTimings, first: window.facepack.timings, faces: faces.length,
           wasm: window.facepack.wasm, backend: window.facepack.backend };
}"""

BATCH1_JS = """async ({runs}) => {
  const tf = await import('@tensorflow/tfjs');
  const size = window.facepack.manifest.models.scorer.input.shape[1];
  const crop = tf.randomUniform([1, size, size, 3], 0, 255, 'float32', 1);
  const times = [];
  for (let i = 0; i < runs + 1; i += 1) {
    const t = performance.now();
    await window.facepack.scoreCrops(crop);
    times.push(performance.now() - t);
  }
  crop.dispose();
  return times.slice(1);
}"""

MEMORY_JS = """async ({b64, repeats}) => {
  const { decodeImage } = await import('facepack');
  const tf = await import('@tensorflow/tfjs');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await decodeImage(new Blob([bytes]));
  const info = await tf.profile(() => window.facepack.analyze(bitmap));
  const counts = [];
  for (let i = 0; i < repeats; i += 1) {
    await window.facepack.analyze(bitmap);
    counts.push(tf.memory().numTensors);
  }
  return { peak_bytes: info.peakBytes, new_tensors: info.newTensors, num_tensors: counts };
}"""


def median(values) -> float:
    return float(statistics.median(values))


def photos(scut: int) -> list[tuple[str, bytes]]:
    chosen = [(p.name, p.read_bytes()) for p in assets.sample_photos()]
    if scut and SCUT.is_dir():
        from training.dataset import ScutFbp5500

        test = ScutFbp5500(SCUT).folds("split60")[0].test
        step = max(1, len(test) // scut)
        chosen += [(s.name, (SCUT / "Images" / s.name).read_bytes()) for s in test[::step][:scut]]
    return chosen


def small_photo() -> bytes:
    """One face, 240x220: for the 50-analysis tensor count."""
    import io

    from PIL import Image

    from facepack.images import load_image

    buf = io.BytesIO()
    Image.fromarray(load_image(assets.sample_photos()[1])).crop((1300, 60, 1780, 500)).resize((240, 220)).save(
        buf, "PNG"
    )
    return buf.getvalue()


# ------------------------------------------------------------------------------------ Python
def python_reference(items, runs: int, log) -> dict:
    import numpy as np

    from facepack.crop import crop_faces
    from facepack.images import load_image
    from facepack.pipeline import ReferencePipeline
    from facepack.spec import expected_points

    pipeline = ReferencePipeline()
    out = {}
    for name, data in items:
        times = []
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            image = load_image(data, name)
            t1 = time.perf_counter()
            faces = pipeline.detect(image)
            t2 = time.perf_counter()
            probs = pipeline.score(pipeline.scorer_crops(image, faces))
            t3 = time.perf_counter()
            pipeline.emotions(crop_faces(image, faces, pipeline.emotion_crop))
            t4 = time.perf_counter()
            times.append(
                {"decode": t1 - t0, "detect": t2 - t1, "scorer": t3 - t2, "emotion": t4 - t3, "total": t4 - t0}
            )
        out[name] = {
            "size": [int(image.shape[1]), int(image.shape[0])],
            "faces": len(faces),
            "expected": expected_points(probs).tolist(),
            "median_ms": {k: 1000 * median(t[k] for t in times[1:]) for k in times[0]},
        }
        log(f"python  {name}: {out[name]['median_ms']['total']:.0f} ms, {len(faces)} faces")
    crop = np.random.default_rng(0).uniform(0, 255, (1, *pipeline.scorer.input_shape[1:])).astype("float32")
    batch1 = []
    for _ in range(21):
        t = time.perf_counter()
        pipeline.score(crop)
        batch1.append(time.perf_counter() - t)
    return {"photos": out, "scorer_batch1_ms": 1000 * median(batch1[1:])}


# ----------------------------------------------------------------------------------- browser
def browser_variant(browser, url: str, variant: str, items, runs: int, slow_runs: int, log) -> dict:
    query, fast = VARIANTS[variant]
    context = browser.new_context()  # fresh: nothing cached, a real cold start
    page = context.new_page()
    page.goto(f"{url}/?{query}")
    page.wait_for_selector("#status:not([data-state=loading])", timeout=300_000)
    if page.get_attribute("#status", "data-state") != "ready":
        raise RuntimeError(f"{variant}: {page.text_content('#status')}")
    cold = page.evaluate(COLD_START_JS)
    log(f"{variant}: ready {cold['ready_ms']:.0f} ms after page open, first result at {cold['first_result_ms']:.0f} ms")
    result = {"backend": cold["backend"], "wasm": cold["wasm"], "cold_start": cold, "photos": {}}
    chosen = items if fast else [items[0]]
    for name, data in chosen:
        got = page.evaluate(
            ANALYZE_JS, {"b64": base64.b64encode(data).decode(), "runs": (runs if fast else slow_runs) + 1}
        )
        timed = got[1:]
        result["photos"][name] = {
            "faces": got[0]["faces"],
            "expected": got[0]["expected"],
            "median_ms": {s: median(r["timings"].get(s, 0) for r in timed) for s in STAGES},
        }
        log(f"{variant} {name}: {result['photos'][name]['median_ms']['total']:.0f} ms")
    result["scorer_batch1_ms"] = median(page.evaluate(BATCH1_JS, {"runs": 10 if fast else 2}))
    memory_photo = items[0][1]
    result["memory"] = page.evaluate(
        MEMORY_JS,
        {
            "b64": base64.b64encode(small_photo() if fast else memory_photo).decode(),
            "repeats": 50 if variant == "wasm" else 2,
        },
    )
    context.close()
    return result


def run_browser(bundle: Path, variants: list[str], items, runs: int, slow_runs: int, log) -> dict:
    from playwright.sync_api import sync_playwright

    from web.harness import launch_chromium, serve

    url, stop = serve(bundle, quiet=True)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                return {v: browser_variant(browser, url, v, items, runs, slow_runs, log) for v in variants}
            finally:
                browser.close()
    finally:
        stop()


# -------------------------------------------------------------------------------- quantized
def bundle_sizes(bundle: Path) -> dict:
    manifest = json.loads((bundle / "manifest.json").read_text())
    sizes: dict[str, int] = {}
    for entry in manifest["files"]:
        top = entry["path"].split("/")[0]
        if top in manifest["models"]:
            sizes[top] = sizes.get(top, 0) + entry["bytes"]
    return {
        "quantization": manifest["quantization"],
        "models": {
            m: {"bytes": sizes[m], "weights": manifest["models"][m]["quantization"]} for m in manifest["models"]
        },
    }


def quantized(items, reference: dict, runs: int, log) -> dict:
    from converter.export import export_bundle

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for q in ("float16", "uint8"):
            path = Path(tmp) / q
            export_bundle(path, quantize=q, log=lambda _: None)
            demo = [it for it in items if it[0].startswith("sample")]
            timed = run_browser(path, ["wasm"], demo, runs, 0, log)["wasm"]
            shift = max(
                (
                    abs(a - b)
                    for name, r in timed["photos"].items()
                    for a, b in zip(r["expected"], reference["photos"][name]["expected"], strict=False)
                ),
                default=0.0,
            )
            out[q] = {
                **bundle_sizes(path),
                "wasm_total_ms": {n: r["median_ms"]["total"] for n, r in timed["photos"].items()},
                "max_score_shift_points": shift,
            }
            log(f"{q}: max score shift {shift:.3f} points")
    return out


# ---------------------------------------------------------------------------------- report
def ratio_tables(result: dict) -> str:
    py = result["python"]["photos"]
    lines = []
    variants = list(result["browser"])
    lines.append("end to end (decode + analyze), median ms, and ratio browser / Python")
    lines.append("photo | size | faces | python | " + " | ".join(variants))
    for name, ref in py.items():
        cells = []
        for v in variants:
            r = result["browser"][v]["photos"].get(name)
            cells.append(
                f"{r['median_ms']['total']:.0f} ({r['median_ms']['total'] / ref['median_ms']['total']:.2f}x)"
                if r
                else "-"
            )
        lines.append(
            f"{name} | {ref['size'][0]}x{ref['size'][1]} | {ref['faces']} | {ref['median_ms']['total']:.0f} | "
            + " | ".join(cells)
        )
    first = next(iter(py))
    ref = py[first]["median_ms"]
    lines.append(f"\nper stage on {first}, median ms (ratio browser / Python)")
    lines.append("stage | python | " + " | ".join(variants))
    stage_map = [
        ("detection", ["pnet", "rnet", "onet"], "detect"),
        ("crop + scorer", ["scorer"], "scorer"),
        ("crop + emotion", ["emotion"], "emotion"),
        ("decode", ["decode"], "decode"),
        ("end to end", ["total"], "total"),
    ]
    for label, js_keys, py_key in stage_map:
        cells = []
        for v in variants:
            ms = sum(result["browser"][v]["photos"][first]["median_ms"][k] for k in js_keys)
            cells.append(f"{ms:.0f} ({ms / ref[py_key]:.2f}x)")
        lines.append(f"{label} | {ref[py_key]:.0f} | " + " | ".join(cells))
    b1 = result["python"]["scorer_batch1_ms"]
    lines.append(
        "scorer, 1 face | "
        + f"{b1:.0f} | "
        + " | ".join(
            f"{result['browser'][v]['scorer_batch1_ms']:.0f} ({result['browser'][v]['scorer_batch1_ms'] / b1:.2f}x)"
            for v in variants
        )
    )
    lines.append("\ncold start (fresh context, local server), ms after page open")
    lines.append("variant | backend start | manifest | fetch + sha256 | model load | ready | first result (sample1)")
    for v in variants:
        c = result["browser"][v]["cold_start"]
        lo = c["load"]
        lines.append(
            f"{v} | {lo['backend']:.0f} | {lo['manifest']:.0f} | {lo['fetch']:.0f} | {lo['models']:.0f} | "
            f"{c['ready_ms']:.0f} | {c['first_result_ms']:.0f}"
        )
    lines.append("\nmemory: peak tensor bytes in one analysis; numTensors after each of the repeated analyses")
    for v in variants:
        m = result["browser"][v]["memory"]
        counts = m["num_tensors"]
        lines.append(
            f"{v}: peak {m['peak_bytes'] / 1e6:.1f} MB, numTensors {counts[0]} -> {counts[-1]} over {len(counts)} runs"
        )
    if result.get("quantized"):
        lines.append(
            "\nquantized bundles: size per model (kB), wasm end to end on the demo photos, score shift vs Python"
        )
        for q, info in result["quantized"].items():
            sizes = ", ".join(f"{m} {i['bytes'] / 1e3:.0f}" for m, i in info["models"].items())
            total = median(info["wasm_total_ms"].values())
            lines.append(f"{q}: {sizes}; median {total:.0f} ms; max shift {info['max_score_shift_points']:.3f} points")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bundle", type=Path, default=ROOT / "bundle", help="exported bundle (default: ./bundle)")
    parser.add_argument(
        "--scut", type=int, default=10, help="SCUT-FBP5500 test images to add when present (default: 10)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per photo, after one warm-up (default: 5)")
    parser.add_argument(
        "--slow-runs", type=int, default=1, help="timed runs on webgl/cpu, 1920x1280 photo only (default: 1)"
    )
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from {', '.join(VARIANTS)}")
    parser.add_argument("--quantized", action="store_true", help="also export and time float16 and uint8 bundles")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if not (args.bundle / "manifest.json").is_file():
        parser.error(f"{args.bundle} is not a bundle: run `python -m converter export --out {args.bundle}` first")

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    items = photos(args.scut)
    started = time.time()
    result = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "bundle": bundle_sizes(args.bundle),
        "runs": args.runs,
        "photos": [n for n, _ in items],
    }
    result["python"] = python_reference(items, args.runs, log)
    result["browser"] = run_browser(args.bundle, variants, items, args.runs, args.slow_runs, log)
    if args.quantized:
        result["quantized"] = quantized(items, result["python"], args.runs, log)
    result["wall_s"] = time.time() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(ratio_tables(result))
    print(f"\nwritten: {args.out} ({result['wall_s']:.0f} s)")
