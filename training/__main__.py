"""`python -m training`: crop, fit, evaluate, measure robustness and ship the beauty scorer on SCUT-FBP5500;
train an MTCNN detector and an emotion classifier of your own.

examples:
  python -m training crop                                  # detect + crop all 5,500 faces (cached)
  python -m training fit --name r29                        # faceapi-resnet29 branch, 60/40 split -> runs/r29/
  python -m training fit --backbone human-faceres --name hf
  python -m training fit --protocol cv5 --combo-weight 1   # 5-fold cross-validation
  python -m training fit --resume --name r29               # continue a killed or stopped run where it was
  python -m training evaluate runs/r29/scorer.keras        # official 60/40 test split
  python -m training evaluate default                      # the embedded default scorer
  python -m training robustness default                    # tilted, smaller, padded, recompressed, mirrored photos
  python -m training ship runs/r29 runs/hf                 # the branches become the embedded default
  python -m training detector --negatives /usr/share/doc/opencv-doc/examples/data --name det
                                                           # PNet, RNet, ONet on SCUT's 60/40 train split
  python -m training detector-cascade runs/det             # an older run: choose its ONet passes
  python -m training detector-gate --name gate             # which detections are faces: the gate's rule
  python -m training emotion --csv fer2013.csv --name emo  # a ResNet on FER2013's 7 classes

Training photos are augmented from the whole photo (turned up to 40 degrees, shrunk, framed,
recompressed, mirrored, each detected again), then their crops are jittered and degraded;
`--views 0` trains on clean crops and mirror images only. The first run detects every view
once (about 12 minutes on 2 cores for the 60/40 split); later runs reuse the cache.
Every yes/no option is a pair, --flag / --no-flag (fit --no-align, ship --no-mirror, evaluate --flip).
TensorFlow's own log lines are kept out of the output unless --verbose.
"""

from __future__ import annotations

import argparse
import sys

from training.detector import cli as detector_cli
from training.emotion import cli as emotion_cli
from training.scorer import cli as scorer_cli

TRAINERS = (scorer_cli, detector_cli, emotion_cli)  # each cli.py adds its commands, in this order


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="{crop,fit,evaluate,robustness,ship,detector,detector-cascade,detector-gate,emotion}")
    commands = [p for trainer in TRAINERS for p in trainer.add_commands(sub)]
    parser.add_argument("--verbose", action=argparse.BooleanOptionalAction, default=False,
                        help="show TensorFlow's own log lines too (default: %(default)s)")
    for p in commands:  # also accepted after the command
        p.add_argument("--verbose", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                       help="show TensorFlow's own log lines too")
    return parser


def main(argv: list[str] | None = None) -> int:
    from facepack.quiet import quiet_native_logs

    argv = sys.argv[1:] if argv is None else argv
    quiet_native_logs("--verbose" in argv)  # before the parser: building it imports Keras
    args = build_parser().parse_args(argv)
    from facepack.models import ModelError
    from training.dataset import DatasetError

    try:
        return args.handler(args)
    except (DatasetError, ModelError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
