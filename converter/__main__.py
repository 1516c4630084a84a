"""`python -m converter`: export a checked TF.js bundle, or verify one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facepack.gate_args import add_gate_args, gate_from_args

EXAMPLES = """\
examples:
  python -m converter export                          # embedded default scorer -> ./bundle
  python -m converter export --scorer runs/x/scorer.keras --quantize uint8 --out bundle-u8
  python -m converter export --only detector,emotion  # leave the scorer out
  python -m converter export --min-refined-confidence 0.3  # a gate that scores more doubtful faces
  python -m converter export --detector runs/det --emotion runs/emo/emotion.keras --out bundle-mine
  python -m converter verify bundle                   # re-check an existing bundle

exit status: 0 done and verified; 1 the bundle failed its check; 2 bad input (message says why)
TensorFlow's own log lines are kept out of the output (in a file the error message names) unless --verbose.
"""

PARTS = ("detector", "scorer", "emotion")


def _comma_list(choices: tuple[str, ...]):
    def parse(text: str) -> tuple[str, ...]:
        items = tuple(s.strip() for s in text.split(",") if s.strip())
        bad = [s for s in items if s not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"choose from {','.join(choices)} (got {text!r})")
        return items
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m converter",
        description="Turn the face-analysis models (MTCNN detector, beauty scorer, emotion) into one "
                    "TF.js bundle with a manifest, and check it against Keras before saying done.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines too")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{export,verify}")

    export = sub.add_parser(
        "export", help="write a verified bundle folder", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Convert the models to TF.js graph models, write manifest.json, run every model "
                    "in Node on tfjs cpu and wasm against Keras, and only then replace --out.")
    export.add_argument("--scorer", type=Path, metavar="PATH",
                        help="beauty scorer: .keras, .h5 or SavedModel folder with one (batch, S, S, 3) "
                             "RGB input in [0, 255] and a 101-way softmax output, or a folder "
                             "`python -m training ship --out` wrote (default: the embedded model)")
    export.add_argument("--detector", type=Path, metavar="RUN_DIR",
                        help="a `python -m training detector` run folder whose PNet, RNet and ONet replace the "
                             "mtcnn package's (default: the package's nets)")
    export.add_argument("--emotion", type=Path, metavar="MODEL",
                        help="a .keras emotion model from `python -m training emotion`: one (batch, 64, 64, 3) "
                             "RGB input in [0, 255], a 7-way softmax in facepack.spec.EMOTION_LABELS order "
                             "(default: fer's FER2013 model)")
    add_gate_args(export)  # the bundle's gate; the defaults were chosen by `python -m training detector-gate`
    export.add_argument("--out", type=Path, default=Path("bundle"), metavar="DIR",
                        help="bundle folder to write (default: bundle)")
    export.add_argument("--quantize", choices=("source", "none", "float16", "uint8"), default="source",
                        help="weight storage: source (the default) keeps each tensor as its source stores it "
                             "(face-api's and the trained kernels uint8, the rest float16 or float32; lossless); "
                             "none is float32; float16 and uint8 apply to every weight and are checked at looser, "
                             "stated tolerances")
    export.add_argument("--only", type=_comma_list(PARTS), default=PARTS, metavar="PARTS",
                        help="comma list of detector,scorer,emotion (default: all three)")
    export.add_argument("--backends", type=_comma_list(("cpu", "wasm")), default=("cpu", "wasm"),
                        metavar="LIST", help="TF.js backends to check on in Node (default: cpu,wasm)")

    verify = sub.add_parser(
        "verify", help="re-check an existing bundle",
        description="Check every file's sha256 and size against manifest.json, then run each model "
                    "on the bundle's stored inputs in Node and compare with the stored Keras outputs.")
    verify.add_argument("bundle", type=Path, help="bundle folder (holding manifest.json)")
    verify.add_argument("--backends", type=_comma_list(("cpu", "wasm")), default=("cpu", "wasm"),
                        metavar="LIST", help="TF.js backends to check on (default: cpu,wasm)")
    for p in (export, verify):  # also accepted after the command
        p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="show TensorFlow's own log lines too")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from facepack.quiet import quiet_native_logs

    native_log = quiet_native_logs(args.verbose)
    # Imported here so `--help` answers at once, without loading TensorFlow.
    from converter.export import ExportError, export_bundle
    from converter.verify import verify_bundle
    from facepack.assets import MissingAssetError
    from facepack.bundle import BundleError
    from facepack.models import ModelError

    try:
        if args.command == "export":
            report = export_bundle(args.out, scorer=args.scorer, detector=args.detector, emotion=args.emotion,
                                   quantize=args.quantize, only=args.only, backends=args.backends,
                                   gate=gate_from_args(args))
        else:
            report = verify_bundle(args.bundle, args.backends)
    except ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        if native_log:
            print(f"(TensorFlow's own log lines: {native_log})", file=sys.stderr)
        return 1
    except (ModelError, BundleError, MissingAssetError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(report.table())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
