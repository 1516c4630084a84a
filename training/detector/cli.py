"""The `detector` command of `python -m training`: `add_commands` and `cmd_detector`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from training.common import add_config_args, add_data_args, add_run_args, config_from_args

DESCRIPTION = """\
The MTCNN recipe: PNet on random boxes labelled by IoU with the true faces (positive >= 0.65,
part 0.4-0.65, negative < 0.3), then RNet and ONet on what the nets trained before them propose
(hard examples) plus boxes around each face. Loss: cross-entropy on positives and negatives
+ 0.5 x MSE of box offsets (positives, parts) + 0.5 x MSE of landmarks. Adam, step decay; each
net keeps its best epoch on validation photos held out of the training split.

data layouts (--layout):
  scut    SCUT-FBP5500 v2 (default --data): boxes and 5 points from its 86 landmarks, 60/40 split
  celeba  list_bbox_celeba.txt, list_landmarks_celeba.txt, list_eval_partition.txt, img_celeba/
  wider   wider_face_split/wider_face_{train,val}_bbx_gt.txt, WIDER_{train,val}/images/ (boxes only)

The run folder holds pnet.npz, rnet.npz, onet.npz, report.json (sample counts, test figures beside
the mtcnn package's, seconds per stage), losses.png and test.png. Ship it with
  python -m converter export --detector runs/NAME
On SCUT-FBP5500 this is a demonstration: one frontal, upright face per studio photo.
"""


def add_commands(subparsers) -> list[argparse.ArgumentParser]:
    """Add the `detector` command to `python -m training`'s sub-parsers."""
    from training.detector.config import DetectorConfig

    p = subparsers.add_parser("detector", help="train PNet, RNet and ONet (the mtcnn package's nets) on your photos",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_args(p)
    p.add_argument("--negatives", type=Path, metavar="DIR",
                   help="face-free photos for extra negatives (each checked with the mtcnn package; one in which "
                        "it finds a face is left out), e.g. /usr/share/doc/opencv-doc/examples/data")
    add_run_args(p, "<time>-detector-<layout>")
    add_config_args(p, DetectorConfig)
    p.set_defaults(handler=cmd_detector)
    c = subparsers.add_parser(
        "detector-cascade", help="choose a finished detector run's ONet passes on its validation photos",
        description="For a run folder trained before runs chose their ONet passes: run its detector on its own "
                    "validation photos with 0-3 passes after the cascade, keep the fewest within 0.001 of the "
                    "lowest landmark error, and measure the test photos again with them. Writes cascade.json "
                    "(read by Python's detector and by `python -m converter export --detector`) and updates "
                    "report.json. Needs the data the run was trained on.")
    c.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a `python -m training detector` run folder")
    add_data_args(c)
    c.set_defaults(handler=cmd_detector_cascade)
    return [p, c]


def cmd_detector(args: argparse.Namespace) -> int:
    """Train as `args` say; print the test table and the run folder."""
    from training.detector.config import DetectorConfig
    from training.detector.run import run_detector, summary_table

    config = config_from_args(DetectorConfig, args)
    name = args.name or f"{time.strftime('%Y%m%d-%H%M%S')}-detector-{config.layout}"
    run_dir, report = run_detector(args.data, args.runs / name, config, args.negatives, args.cache)
    print(summary_table(report))
    print(f"run folder: {run_dir}  (ship it: python -m converter export --detector {run_dir})")
    return 0


def cmd_detector_cascade(args: argparse.Namespace) -> int:
    """Choose the run's ONet passes; print the validation figures and the new test table."""
    from training.detector.run import choose_cascade, summary_table

    report = choose_cascade(args.run_dir, args.data, args.cache)
    for passes, figures in report["cascade"]["validation"].items():
        print(f"{passes} passes on the validation photos: landmark error {figures['landmark_error']}, "
              f"mean IoU {figures['mean_iou']}")
    print(summary_table(report))
    print(f"{args.run_dir}: {report['cascade']['onet_refinements']} ONet passes ({report['cascade']['rule']})")
    return 0
