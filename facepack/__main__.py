"""`python -m facepack analyze`: the Python reference pipeline over photos and folders.

examples:
  python -m facepack analyze photo.jpg                          # a summary per photo on stdout
  python -m facepack analyze photos/ --json results.json --csv results.csv
  python -m facepack analyze photos/ --json results.json --resume   # skip photos already in results.json

Detection is the `mtcnn` package, the scorer and emotion models are the Keras originals: the
answers the browser and Node (`npx facepack analyze`) are held to. A record per photo:
{photo, width, height, faces: [{box, landmarks, confidence, score: {expected, argmax, probs},
emotion: {label, probs}, unscored}]}, or {photo, error} for a file that cannot be read (it is skipped).
A face below the gate (--min-confidence, --min-refined-confidence) may not be a face: it is
listed, but not scored (score and emotion null, unscored "low_confidence").

exit status: 0 every photo analysed; 1 some photos could not be read (named, and skipped);
             2 bad arguments or an output file that cannot be resumed
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facepack.gate_args import add_gate_args, gate_from_args


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m facepack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{analyze}")
    analyze = sub.add_parser("analyze", help="find faces, score and emotion in photos and folders",
                             description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    analyze.add_argument("inputs", nargs="+", metavar="PHOTO_OR_DIR",
                         help="photo files, or folders searched recursively for .jpg .jpeg .png .webp .bmp .gif .tif")
    analyze.add_argument("--json", type=Path, metavar="FILE", help="write every record to FILE as one JSON list")
    analyze.add_argument("--csv", type=Path, metavar="FILE", help="write one row per face to FILE")
    analyze.add_argument("--resume", action="store_true",
                         help="keep what the output file(s) already hold and analyse only the photos not in them")
    analyze.add_argument("--scorer", type=Path, metavar="PATH", help="a scorer model file (default: the embedded one)")
    add_gate_args(analyze)
    analyze.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines too")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from facepack.quiet import quiet_native_logs

    quiet_native_logs(args.verbose)
    from tqdm import tqdm

    from facepack import analyze
    from facepack.models import ModelError

    if args.resume and args.json is None and args.csv is None:
        print("error: --resume needs --json or --csv (the file to continue)", file=sys.stderr)
        return 2
    photos = analyze.find_photos(args.inputs)
    if not photos:
        print(f"error: no photos found in {', '.join(args.inputs)}", file=sys.stderr)
        return 2

    def pipeline():
        from facepack.pipeline import ReferencePipeline

        return ReferencePipeline(args.scorer, gate=gate_from_args(args))

    def bar(items):
        return tqdm(items, desc="analysing", unit="photo", file=sys.stderr)

    try:
        records = analyze.run(photos, pipeline, args.json, args.csv, args.resume, progress=bar)
    except (analyze.ResultFileError, ModelError) as err:
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
