"""`python -m facepack analyze`: the Python reference pipeline over photos and folders.
`python -m facepack parity`: a bundle held to that reference on your photos (its own --help).

examples:
  python -m facepack analyze photo.jpg                          # a summary per photo on stdout
  python -m facepack analyze photos/ --json results.json --csv results.csv
  python -m facepack analyze photos/ --json results.json --resume   # skip photos already in results.json
  python -m facepack analyze photos/ --bundle bundle --csv r.csv   # the reference for a bundle's own models

Detection is the `mtcnn` package, the scorer and emotion models are the Keras originals: the
answers the browser and Node (`npx facepack analyze`) are held to. With --bundle, they are the
originals that bundle was exported from (a trained detector, a trained emotion model, your
scorer), found by the sha256 its manifest records, with its gate and settings. A record per photo:
{photo, width, height, faces: [{box, landmarks, confidence, score: {expected, argmax, probs},
emotion: {label, probs}, unscored}]}, or {photo, error} for a file that cannot be read (it is skipped).
A face below the gate (--min-confidence, --min-refined-confidence) may not be a face: it is
listed, but not scored (score and emotion null, unscored "low_confidence").

exit status: 0 every photo analysed; 1 some photos could not be read (named, and skipped);
             2 bad arguments, an output file that cannot be resumed, or a bundle whose
               Python side cannot be built (its message says which model, and why)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from facepack.gate_args import add_gate_args, gate_from_args

PARITY_HELP = """Hold a bundle to its Python reference on your photos, in a real browser and in Node.

Python runs the originals the bundle was exported from (ReferencePipeline.from_bundle: the
models its manifest's `source` names, checked by sha256, with its gate and settings). The real
page, served by the Flask app on 127.0.0.1, runs in Chromium once per backend, and the Node CLI
runs on the photos Node reads. Every face of every runtime is held to Python's: the same number
of faces, box IoU >= 0.95, landmarks within 2% of the box width, confidences within 0.02, the
score within 0.5 points, the same emotion, and the gate applied alike (facepack/parity/bounds.py).

examples:
  python -m facepack parity photos/ --bundle bundle                  # webgl, wasm, cpu and node
  python -m facepack parity a.jpg b.png --bundle bundle --backends wasm,node --out parity-report

writes OUT/report.json (every figure) and OUT/report.html (a table per photo and runtime, and a
picture of where the differences came closest to their bounds).

exit status: 0 every runtime within every bound; 1 a difference past a bound, or a runtime that
             gave no answer (the report says which); 2 bad input: no photo, a photo Python cannot
             read, a bundle without its Python side, or a runtime not installed (the message
             says how to install it)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m facepack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{analyze,parity}")
    analyze = sub.add_parser("analyze", help="find faces, score and emotion in photos and folders",
                             description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    analyze.add_argument("inputs", nargs="+", metavar="PHOTO_OR_DIR",
                         help="photo files, or folders searched recursively for .jpg .jpeg .png .webp .bmp .gif .tif")
    analyze.add_argument("--json", type=Path, metavar="FILE", help="write every record to FILE as one JSON list")
    analyze.add_argument("--csv", type=Path, metavar="FILE", help="write one row per face to FILE")
    analyze.add_argument("--resume", action="store_true",
                         help="keep what the output file(s) already hold and analyse only the photos not in them")
    models = analyze.add_mutually_exclusive_group()
    models.add_argument("--scorer", type=Path, metavar="PATH", help="a scorer model file (default: the embedded one)")
    models.add_argument("--bundle", type=Path, metavar="DIR",
                        help="run the originals of this bundle's models, with its settings and gate "
                             "(ReferencePipeline.from_bundle): the answers the bundle is held to")
    add_gate_args(analyze)
    analyze.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines too")
    parity = sub.add_parser("parity", help="hold a bundle to its Python reference on your photos, in Chromium and Node",
                            description=PARITY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parity.add_argument("inputs", nargs="+", metavar="PHOTO_OR_DIR",
                        help="photo files, or folders searched recursively for photos")
    parity.add_argument("--bundle", type=Path, default=Path("bundle"), metavar="DIR",
                        help="the bundle (default: bundle)")
    parity.add_argument("--backends", default="webgl,wasm,cpu,node", metavar="LIST",
                        help="comma list of webgl, wasm, cpu, webgpu (Chromium) and node (default: "
                             "webgl,wasm,cpu,node; webgpu needs an adapter, SwiftShader's is slow)")
    parity.add_argument("--out", type=Path, default=Path("parity-report"), metavar="DIR",
                        help="where report.json and report.html go (default: parity-report)")
    parity.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines too")
    return parser


def parity_main(args) -> int:
    from facepack import analyze
    from facepack.parity.report import write_report
    from facepack.parity.run import ParityInputError, parse_backends, run_parity

    try:
        backends = parse_backends(args.backends)
        photos = analyze.find_photos(args.inputs)
        missing = [p for p in photos if not p.is_file()]
        if missing:
            raise ParityInputError(f"{missing[0]} does not exist")
        out = args.out
        if out.exists() and not (out.is_dir() and os.access(out, os.W_OK)):
            raise ParityInputError(f"--out {out} is not a folder this command can write the report into")
        if not out.exists() and not os.access(next(p for p in out.resolve().parents if p.exists()), os.W_OK):
            raise ParityInputError(f"--out {out} cannot be made here: its parent folder is not writable")
        report = run_parity(photos, args.bundle, backends, log=lambda line: print(line, file=sys.stderr))
    except ParityInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    json_path, html_path = write_report(report, args.out)
    for run in report.runs:
        if not run.passed:
            why = run.error or "; ".join(run.problems)
            print(f"past a bound: {run.photo} on {run.backend}: {why}", file=sys.stderr)
    runtimes = len({r.backend for r in report.runs})
    print(f"{'PASSED' if report.passed else 'FAILED'}: {len(report.photos)} photos on {runtimes} runtimes, "
          f"{sum(not r.passed for r in report.runs)} past a bound; written: {json_path}, {html_path}", file=sys.stderr)
    return 0 if report.passed else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from facepack.quiet import quiet_native_logs

    quiet_native_logs(args.verbose)
    if args.command == "parity":
        return parity_main(args)
    from tqdm import tqdm

    from facepack import analyze
    from facepack.bundle import BundleError
    from facepack.models import ModelError
    from facepack.pipeline import NoReferenceError

    if args.resume and args.json is None and args.csv is None:
        print("error: --resume needs --json or --csv (the file to continue)", file=sys.stderr)
        return 2
    photos = analyze.find_photos(args.inputs)
    if not photos:
        print(f"error: no photos found in {', '.join(args.inputs)}", file=sys.stderr)
        return 2

    def pipeline():
        from facepack.pipeline import ReferencePipeline

        if args.bundle is None:
            return ReferencePipeline(args.scorer, gate=gate_from_args(args))
        reference = ReferencePipeline.from_bundle(args.bundle)
        reference.gate = gate_from_args(args, reference.gate)
        return reference

    def bar(items):
        return tqdm(items, desc="analysing", unit="photo", file=sys.stderr)

    try:
        records = analyze.run(photos, pipeline, args.json, args.csv, args.resume, progress=bar)
    except (analyze.ResultFileError, ModelError, BundleError, NoReferenceError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json is None and args.csv is None:
        for record in records:
            print(analyze.summary(record))
    skipped = [r for r in records if "error" in r]
    for record in skipped:
        print(f"skipped {record['photo']}: {record['error']}", file=sys.stderr)
    done = len(photos) - len(records)
    analysed = len(records) - len(skipped)
    print(f"{analysed} photo{'' if analysed == 1 else 's'} analysed{f', {done} already in the output' if done else ''}"
          f"{f', {len(skipped)} skipped' if skipped else ''}"
          + "".join(f"; written: {p}" for p in (args.json, args.csv) if p is not None), file=sys.stderr)
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
