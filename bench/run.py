"""The page against the Python reference and against face-api.js: the same photos, one run, one machine.

    python -m bench [--bundle bundle] [--scut 10] [--runs 5] [--variants wasm,...] [--quantized]

Measures, in one run (the machine is shared and noisy, so only ratios within one run count):
1. The Python reference (facepack.pipeline, its own per-stage timings) on every photo: median
   of --runs after one warm-up; the Keras scorer at batch 1.
2. The real page in Debian's Chromium, served by the real Flask app on loopback, per variant:
   wasm (threads + SIMD), wasm on one thread, webgl, cpu. For each: cold start (a fresh context:
   page open -> bundle fetched and checked -> models loaded -> first result), per photo one
   warm-up and the median of --runs, the scorer at batch 1, peak tensor memory and numTensors
   over 50 analyses. webgl and cpu (software here, 15-30 s a photo) run on the first photo only.
3. face-api.js (bench/faceapi.py) in the same Chromium on wasm: its whole chain per photo, its
   cold start and its download.
4. Live mode (js/src/live.js) on the generated clip (bench/clip.py, 100 frames of 640x480):
   frames per second after one warm-up pass, and keyframes.
5. With --quantized: float16 and uint8 bundles: sizes, wasm time, score shift.
Photos: face-api's six demo photos, a 640x480 frame (the clip's first), and --scut SCUT-FBP5500
test images when ../shared has them. Prints the tables (page / Python and page / face-api
ratios) and writes everything to --out as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from facepack import assets

ROOT = Path(__file__).resolve().parents[1]
SCUT = ROOT.parent / "shared" / "data" / "SCUT-FBP5500_v2"
STAGES = ("decode", "pixels", "pnet", "rnet", "onet", "scorer", "emotion", "total")
VARIANTS = {  # name -> page query, and whether it is fast enough here for every photo
    "wasm": ("backend=wasm&worker=0", True),  # the pipeline on the page's thread: its stages, as before
    "wasm-worker": ("backend=wasm", True),  # the page as it opens: the pipeline in a Web Worker
    "wasm-1thread": ("backend=wasm&threads=0&worker=0", True),
    "webgl": ("backend=webgl&worker=0", False),
    "cpu": ("backend=cpu&worker=0", False),
}
FRAME = "frame-640x480.png"

PAGE_JS = Path(__file__).with_name("page_js")  # the bench's own in-page programs


def median(values) -> float:
    return float(statistics.median(values))


def photos(scut: int) -> list[tuple[str, bytes]]:
    """The demo photos, the clip's first frame as a PNG, and `scut` SCUT-FBP5500 test photos."""
    from PIL import Image

    from bench.clip import clip_frames

    frame = io.BytesIO()
    Image.fromarray(clip_frames(1)[0]).save(frame, "PNG")
    chosen = [(p.name, p.read_bytes()) for p in assets.sample_photos()] + [(FRAME, frame.getvalue())]
    if scut and SCUT.is_dir():
        from training.dataset import ScutFbp5500

        test = ScutFbp5500(SCUT).folds("split60")[0].test
        step = max(1, len(test) // scut)
        chosen += [(s.name, (SCUT / "Images" / s.name).read_bytes()) for s in test[::step][:scut]]
    return chosen


# ------------------------------------------------------------------------------------ Python
def python_reference(items, runs: int, log) -> dict:
    import numpy as np

    from facepack.images import load_image
    from facepack.pipeline import ReferencePipeline

    pipeline = ReferencePipeline()
    out = {}
    for name, data in items:
        times = []
        for _ in range(runs + 1):
            t0 = time.perf_counter()
            image = load_image(data, name)
            decode = 1000 * (time.perf_counter() - t0)
            results = pipeline.analyze(image)
            times.append({"decode": decode, **pipeline.timings, "total": decode + pipeline.timings["total"]})
        out[name] = {
            "size": [int(image.shape[1]), int(image.shape[0])],
            "faces": len(results),
            "expected": [r.expected for r in results],
            "median_ms": {k: median(t[k] for t in times[1:]) for k in times[0]},
        }
        log(f"python  {name}: {out[name]['median_ms']['total']:.0f} ms, {len(results)} faces")
    crop = np.random.default_rng(0).uniform(0, 255, (1, *pipeline.scorer.input_shape[1:])).astype("float32")
    batch1 = []
    for _ in range(21):
        t = time.perf_counter()
        pipeline.score(crop)
        batch1.append(1000 * (time.perf_counter() - t))
    return {"photos": out, "scorer_batch1_ms": median(batch1[1:])}


# ------------------------------------------------------------------------------------- page
def page_variant(browser, url: str, variant: str, items, runs: int, slow_runs: int, log) -> dict:
    from tests.support.browser import open_page

    query, fast = VARIANTS[variant]
    with open_page(browser, url, f"/?{query}", timeout_ms=300_000) as watch:  # fresh: a real cold start
        return _variant_timings(watch, variant, items, runs, slow_runs, fast, log)


def _variant_timings(watch, variant: str, items, runs: int, slow_runs: int, fast: bool, log) -> dict:
    from tests.support.browser import b64

    cold = watch.evaluate("cold_start", folder=PAGE_JS)
    log(f"{variant}: ready {cold['ready_ms']:.0f} ms after page open, first result at {cold['first_result_ms']:.0f} ms")
    result = {"backend": cold["backend"], "wasm": cold["wasm"], "cold_start": cold, "photos": {}}
    for name, data in items if fast else items[:1]:
        got = watch.evaluate("analyze", {"b64": b64(data), "name": name, "runs": (runs if fast else slow_runs) + 1})
        result["photos"][name] = {
            "faces": len(got[0]["faces"]),
            "expected": [f["score"]["expected"] if f["score"] else None for f in got[0]["faces"]],  # None: unscored
            "median_ms": {s: median(r["timings"].get(s, 0) for r in got[1:]) for s in STAGES},
        }
        log(f"{variant} {name}: {result['photos'][name]['median_ms']['total']:.0f} ms")
    if watch.page.evaluate("window.facepack.constructor.name") == "FacepackWorker":
        return result  # the scorer alone and TF.js's memory live in the worker, out of the page's reach
    result["scorer_batch1_ms"] = median(watch.evaluate("batch1", {"runs": 10 if fast else 2}, folder=PAGE_JS))
    result["memory"] = watch.evaluate("memory", {"b64": b64(items[0][1]), "repeats": 50 if variant == "wasm" else 2},
                                      folder=PAGE_JS)
    return result


LIVE_SIZES = {"640x480": (640, 480), "1280x720": (1280, 720)}  # the clip's sizes: a VGA camera, a 720p webcam


def live_mode(browser, url: str, log, size: tuple[int, int]) -> dict:
    """Frames per second of live mode (wasm, in the page's Web Worker, as the page runs it) on the
    clip at `size`, after one warm-up pass; the frames go to the page once and run from there
    (tests/support/page_js/live.js)."""
    from bench.clip import clip_frames
    from tests.support.browser import frames_b64, open_page

    width, height = size
    frames = clip_frames(100, size)
    with open_page(browser, url, "/?backend=wasm", timeout_ms=300_000) as watch:
        for start in range(0, len(frames), 10):
            watch.evaluate("live", {"frames": frames_b64(frames[start:start + 10]), "keep": True})
        passes = [watch.evaluate("live", {"width": width, "height": height, "reset": True}) for _ in range(2)]
        runtime = watch.page.evaluate("window.facepack.constructor.name")
    timed = passes[1]
    total_s = sum(f["ms"] for f in timed) / 1000
    result = {"size": list(size), "frames": len(timed), "fps": len(timed) / total_s,
              "keyframes": sum(f["keyframe"] for f in timed),
              "median_ms": median(f["ms"] for f in timed),
              "keyframe_median_ms": median(f["ms"] for f in timed if f["keyframe"]),
              "tracked_median_ms": median(f["ms"] for f in timed if not f["keyframe"]),
              "faces": sum(len(f["faces"]) for f in timed),
              "scored_faces": sum(face["scored"] for f in timed for face in f["faces"]), "runtime": runtime}
    log(f"live mode {width}x{height}: {result['fps']:.1f} frames a second, {result['keyframes']} keyframes")
    return result


def run_browser(bundle: Path, variants: list[str], items, runs: int, slow_runs: int, log, faceapi: bool = True,
                live: bool = True) -> dict:
    from playwright.sync_api import sync_playwright

    from bench.faceapi import run_faceapi
    from tests.support.browser import launch_chromium, serve

    url, stop = serve(bundle, quiet=True)
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                out = {"page": {v: page_variant(browser, url, v, items, runs, slow_runs, log) for v in variants}}
                if faceapi:
                    out["faceapi"] = run_faceapi(browser, items, runs, log)
                    threads = out["page"].get("wasm", {}).get("wasm", {}).get("threadsCount")
                    if threads and threads != out["faceapi"]["load_ms"]["threads"]:
                        # face-api.js given the threads the page runs on, for the like-for-like ratio
                        out["faceapi_threads"] = run_faceapi(browser, items, runs, log, threads=threads)
                if live:
                    out["live"] = {name: live_mode(browser, url, log, size) for name, size in LIVE_SIZES.items()}
                return out
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
    return {"quantization": manifest["quantization"], "total_bytes": sum(sizes.values()),
            "models": {m: {"bytes": sizes[m], "weights": manifest["models"][m]["quantization"],
                           "weight_bytes": manifest["models"][m].get("weight_bytes")} for m in manifest["models"]}}


def quantized(items, reference: dict, runs: int, log) -> dict:
    from converter.export import export_bundle

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for q in ("float16", "uint8"):
            path = Path(tmp) / q
            export_bundle(path, quantize=q, log=lambda _: None)
            demo = [it for it in items if it[0].startswith("sample")]
            timed = run_browser(path, ["wasm"], demo, runs, 0, log, faceapi=False, live=False)["page"]["wasm"]
            shift = max((abs(a - b) for name, r in timed["photos"].items()
                         for a, b in zip(r["expected"], reference["photos"][name]["expected"], strict=False)
                         if a is not None and b is not None),
                        default=0.0)
            out[q] = {**bundle_sizes(path), "wasm_total_ms": {n: r["median_ms"]["total"]
                                                             for n, r in timed["photos"].items()},
                      "max_score_shift_points": shift}
            log(f"{q}: max score shift {shift:.3f} points")
    return out


# ---------------------------------------------------------------------------------- report
def table(head: list[str], rows: list[list]) -> str:
    """A markdown table: one shape for every table the bench prints."""
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def ms_ratio(ms: float, reference: float | None) -> str:
    return f"{ms:.0f} ({ms / reference:.2f}x)" if reference else f"{ms:.0f}"


def report(result: dict) -> str:
    py = result["python"]["photos"]
    page = result["browser"]["page"]
    faceapi = result["browser"].get("faceapi")
    faceapi_threads = result["browser"].get("faceapi_threads")
    variants = list(page)
    sections = ["end to end (decode + analysis), median ms; ratios: page / Python, and wasm / face-api.js"]
    head = ["photo", "size", "faces (py, fa)", "Python", *variants]
    for peer in (faceapi, faceapi_threads):
        if peer:
            n = peer["load_ms"].get("threads")
            head += [f"face-api.js ({n} thread{'' if n == 1 else 's'})" if n else "face-api.js", "wasm / face-api"]
    rows = []
    for name, ref in py.items():
        row = [name, f"{ref['size'][0]}x{ref['size'][1]}",
               f"{ref['faces']}, {faceapi['photos'][name]['faces']}" if faceapi else ref["faces"],
               f"{ref['median_ms']['total']:.0f}"]
        for v in variants:
            r = page[v]["photos"].get(name)
            row.append(ms_ratio(r["median_ms"]["total"], ref["median_ms"]["total"]) if r else "-")
        for peer in (faceapi, faceapi_threads):
            if peer:
                fa = peer["photos"][name]["median_ms"]
                row += [f"{fa:.0f}", f"{page['wasm']['photos'][name]['median_ms']['total'] / fa:.2f}x"]
        rows.append(row)
    sections.append(table(head, rows))
    first = next(iter(py))
    ref = py[first]["median_ms"]
    stage_rows = []
    for label, js_keys, py_key in (("decode", ["decode"], "decode"), ("detection", ["pnet", "rnet", "onet"], "detect"),
                                   ("crop + scorer", ["scorer"], "scorer"), ("crop + emotion", ["emotion"], "emotion"),
                                   ("end to end", ["total"], "total")):
        stage_rows.append([label, f"{ref[py_key]:.0f}"] + [ms_ratio(sum(page[v]["photos"][first]["median_ms"][k]
                                                                        for k in js_keys), ref[py_key])
                                                           for v in variants])
    b1 = result["python"]["scorer_batch1_ms"]
    stage_rows.append(["scorer, 1 face", f"{b1:.0f}"]
                      + [ms_ratio(page[v]["scorer_batch1_ms"], b1) if "scorer_batch1_ms" in page[v] else "-"
                         for v in variants])
    sections += [f"\nper stage on {first}, median ms (page / Python)",
                 table(["stage", "Python", *variants], stage_rows)]
    cold_rows = [[v, *(f"{page[v]['cold_start']['load'][k]:.0f}" for k in ("backend", "manifest", "fetch", "models")),
                  f"{page[v]['cold_start']['ready_ms']:.0f}", f"{page[v]['cold_start']['first_result_ms']:.0f}"]
                 for v in variants]
    if faceapi:
        cold_rows.append(["face-api.js (wasm)", f"{faceapi['load_ms']['backend']:.0f}", "-", "-", "-",
                          f"{faceapi['load_ms']['total']:.0f}", f"{faceapi['first_result_ms']:.0f}"])
    sections += ["\ncold start (fresh context, local server), ms after page open",
                 table(["variant", "backend", "manifest", "fetch + sha256", "model load", "ready", "first result"],
                       cold_rows)]
    bundle = result["bundle"]
    size_rows = [[m, f"{i['bytes'] / 1e6:.2f} MB",
                  ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in (i["weight_bytes"] or {}).items())]
                 for m, i in bundle["models"].items()]
    size_rows.append(["facepack bundle", f"{bundle['total_bytes'] / 1e6:.2f} MB", ""])
    if faceapi:
        fa_total = sum(faceapi["download_bytes"].values())
        size_rows.append(["face-api.js chain", f"{fa_total / 1e6:.2f} MB",
                          ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in faceapi["download_bytes"].items())])
        size_rows.append(["ratio", f"{bundle['total_bytes'] / fa_total:.2f}x", ""])
    sections += ["\ndownload", table(["models", "bytes", "stored as"], size_rows)]
    if "live" in result["browser"]:
        live = result["browser"]["live"]
        sections += ["\nlive mode on the clip (100 frames, wasm, in the page's Web Worker)",
                     table(["clip", "frames a second", "keyframes", "median ms", "keyframe ms", "tracked frame ms",
                            "faces scored"],
                           [[name, f"{lv['fps']:.1f}", lv["keyframes"], f"{lv['median_ms']:.0f}",
                             f"{lv['keyframe_median_ms']:.0f}", f"{lv['tracked_median_ms']:.0f}",
                             f"{lv['scored_faces']} of {lv['faces']}"] for name, lv in live.items()])]
    mem_rows = []
    for v in (v for v in variants if "memory" in page[v]):
        m = page[v]["memory"]
        mem_rows.append([v, f"{m['peak_bytes'] / 1e6:.1f} MB",
                         f"{m['num_tensors'][0]} -> {m['num_tensors'][-1]} over {len(m['num_tensors'])} runs"])
    sections += ["\nmemory (one analysis of the first photo)", table(["variant", "peak tensors", "numTensors"],
                                                                     mem_rows)]
    if result.get("quantized"):
        q_rows = [[q, f"{i['total_bytes'] / 1e6:.2f} MB", f"{median(i['wasm_total_ms'].values()):.0f}",
                   f"{i['max_score_shift_points']:.3f}"] for q, i in result["quantized"].items()]
        sections += ["\nquantized bundles (wasm, demo photos)",
                     table(["weights", "bundle", "median ms", "max score shift, points"], q_rows)]
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, default=ROOT / "bundle", help="exported bundle (default: ./bundle)")
    parser.add_argument("--scut", type=int, default=10,
                        help="SCUT-FBP5500 test images to add when present (default: 10)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per photo, after one warm-up (default: 5)")
    parser.add_argument("--slow-runs", type=int, default=1,
                        help="timed runs on webgl/cpu, on the first photo only (default: 1)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from {', '.join(VARIANTS)}")
    parser.add_argument("--no-faceapi", dest="faceapi", action="store_false", help="leave face-api.js out")
    parser.add_argument("--no-live", dest="live", action="store_false", help="leave live mode out")
    parser.add_argument("--quantized", action="store_true", help="also export and time float16 and uint8 bundles")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if not (args.bundle / "manifest.json").is_file():
        parser.error(f"{args.bundle} is not a bundle: run `python -m converter export --out {args.bundle}` first")
    from facepack.quiet import quiet_native_logs

    quiet_native_logs()

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    items = photos(args.scut)
    started = time.time()
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
              "bundle": bundle_sizes(args.bundle), "runs": args.runs, "photos": [n for n, _ in items]}
    result["python"] = python_reference(items, args.runs, log)
    result["browser"] = run_browser(args.bundle, variants, items, args.runs, args.slow_runs, log, args.faceapi,
                                    args.live)
    if args.quantized:
        result["quantized"] = quantized(items, result["python"], args.runs, log)
    result["wall_s"] = time.time() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(report(result))
    print(f"\nwritten: {args.out} ({result['wall_s']:.0f} s)")
