"""The `emotion` command of `python -m training`: `add_commands` and `cmd_emotion`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from training.common import (
    add_config_args,
    add_resume_arg,
    add_run_args,
    config_from_args,
    interrupted,
    make_config,
    resume_config,
)

DESCRIPTION = """\
Train a ResNet emotion classifier for FER2013's 7 classes (angry, disgust, fear, happy, sad,
surprise, neutral) on 64 x 64 face crops, and test it. The epoch is chosen on a hold-out of the
training split (--val-fraction of each class); the test splits are only reported.

data, one of:
  --csv FILE      FER2013's fer2013.csv: the header `emotion,pixels,Usage`, then one face per
                  line: emotion 0..6 (the order above), 2304 space-separated grey values 0..255
                  (48 x 48, row by row), Usage Training, PublicTest or PrivateTest. Any
                  malformed line stops the run with its line number.
  --folders DIR   one folder per class, named by its label in any case: DIR/<label>/* (all for
                  training) or DIR/train/<label>/* and DIR/test/<label>/* (Kaggle's FER folders)
--faces crops     (default) each image is already a face crop, as FER2013's are
--faces photos    each image is a photo: the detector finds its largest face and the browser's
                  emotion crop cuts it; photos without a face are left out and listed

written to RUNS/NAME/ (as RUNS/NAME.partial until it is complete):
  emotion.keras   the model: RGB crops (batch, 64, 64, 3) in [0, 255] -> 7 probabilities
  report.json     data and images per class, config, accuracy and confusion matrix per split,
                  epoch history, seconds per stage, versions
  confusion.png, loss.png

examples:
  python -m training emotion --csv ~/data/fer2013.csv --name fer-resnet
  python -m training emotion --folders ~/data/fer --epochs 30 --no-mirror
  python -m converter export --emotion runs/fer-resnet/emotion.keras --out bundle-mine
"""


def add_commands(subparsers) -> list[argparse.ArgumentParser]:
    """Add the `emotion` command to `python -m training`'s sub-parsers."""
    from training.emotion.config import EmotionConfig
    from training.emotion.data import FACES

    p = subparsers.add_parser("emotion", help="train a ResNet emotion classifier (FER2013's 7 classes)",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = p.add_mutually_exclusive_group(required=True)
    data.add_argument("--csv", type=Path, metavar="FILE", help="FER2013's fer2013.csv")
    data.add_argument("--folders", type=Path, metavar="DIR", help="one folder per class (see above)")
    p.add_argument("--faces", choices=FACES, default="crops",
                   help="crops: the images are face crops; photos: find and cut the face (default: crops)")
    add_run_args(p, "<time>-emotion")
    add_resume_arg(p)
    add_config_args(p, EmotionConfig)
    p.set_defaults(handler=cmd_emotion)
    return [p]


def cmd_emotion(args: argparse.Namespace) -> int:
    """Train and test as `args` say; print each split's accuracy and the run folder."""
    from training.emotion.config import EmotionConfig
    from training.emotion.data import EmotionSource
    from training.emotion.run import run_emotion

    layout, path = ("csv", args.csv) if args.csv else ("folders", args.folders)
    source = EmotionSource(path, layout, args.faces)
    config = (make_config(EmotionConfig, resume_config(EmotionConfig, args, "emotion")) if args.resume
              else config_from_args(EmotionConfig, args))
    name = args.name or f"{time.strftime('%Y%m%d-%H%M%S')}-emotion"
    try:
        run_dir, report = run_emotion(source, args.runs / name, config, resume=args.resume)
    except KeyboardInterrupt:
        return interrupted(args.runs / name)
    print(f"run folder: {run_dir} (best epoch {report['best_epoch']} of {report['epochs_run']})")
    for split, figures in report["splits"].items():
        print(f"  {split:10}  accuracy {figures['accuracy']:.4f}  (n={figures['n']})")
    if report["data"]["no_face"]:
        print(f"  no face found in {len(report['data']['no_face'])} photos (listed in report.json)")
    print(f"into a bundle: python -m converter export --emotion {run_dir / 'emotion.keras'}")
    return 0
