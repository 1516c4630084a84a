"""The `detector` command of `python -m training`: `add_commands` and `cmd_detector`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from training.common import (
    add_config_args,
    add_data_args,
    add_resume_arg,
    add_run_args,
    config_from_args,
    interrupted,
    make_config,
    resume_config,
)

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


GATE_DESCRIPTION = """\
Run the detector (the mtcnn package's cascade, as the browser runs it) on photos whose truth is
known, label every detection real or false, and choose the gate's two thresholds (the cascade's
confidence, and the refined confidence: ONet again on the face's own square) on the validation
photos. Report the rates on the test photos: real faces left unscored, false detections scored.

sets (each with a validation and a test part):
  scut       SCUT-FBP5500 photos: the 60/40 split's held-out training photos, and its test photos
  demo       face-api's six demo photos (21 detections, every one a real face, checked by eye)
  groups     SCUT-FBP5500 photos tiled 4 to a row at 48, 64 and 96 px (faces of about 19-86 px)
  face-free  --negatives photos (default: opencv-doc's samples, Debian's wallpapers, scikit-image's
             data images; `make gate` installs them), shrunk to 640 px a side where larger, each
             also mirrored, at 0.4x, 0.6x, 1.6x and 2.5x, and turned 90 and 180 degrees
  cutout     SCUT-FBP5500 photos with the face blurred away (its 86 landmarks' region, grown)

The run folder holds report.json (the rule chosen, its rates per part and set, the same for the
rule facepack ships and for no gate, every rule tried) and gate.png. Detections are cached under
--cache as they are found: an interrupted run continues where it stopped. About 25 minutes on 2 cores.
Ship a rule with
  python -m converter export --min-confidence C --min-refined-confidence R
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
    add_resume_arg(p)
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
    g = subparsers.add_parser(
        "detector-gate", help="measure which detections are faces, and choose the gate (spec.FaceGate)",
        description=GATE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_data_args(g)
    g.add_argument("--negatives", type=Path, metavar="DIR", action="append",
                   help="a folder of face-free photos (repeatable; default: Debian's opencv-doc samples and "
                        "wallpapers and scikit-image's data images, less those with faces; `make gate` installs them)")
    g.add_argument("--detector", type=Path, metavar="RUN_DIR",
                   help="a `python -m training detector` run folder whose nets to measure (default: the mtcnn "
                        "package's, which the shipped gate was measured on)")
    g.add_argument("--ship", action=argparse.BooleanOptionalAction, default=False,
                   help="write the summary to facepack/gate_report.json, which bundles with the package's nets "
                        "carry (the chosen rule must be facepack.spec.GATE's; default: %(default)s)")
    g.add_argument("--test-limit", type=int, metavar="N",
                   help="only the first N SCUT-FBP5500 test photos (default: all 2,200)")
    add_run_args(g, "<time>-gate")
    g.set_defaults(handler=cmd_detector_gate)
    return [p, c, g]


def cmd_detector(args: argparse.Namespace) -> int:
    """Train as `args` say; print the test table and the run folder."""
    from training.detector.config import DetectorConfig
    from training.detector.run import run_detector, summary_table

    config = (make_config(DetectorConfig, resume_config(DetectorConfig, args, "detector")) if args.resume
              else config_from_args(DetectorConfig, args))
    name = args.name or f"{time.strftime('%Y%m%d-%H%M%S')}-detector-{config.layout}"
    try:
        run_dir, report = run_detector(args.data, args.runs / name, config, args.negatives, args.cache,
                                       resume=args.resume)
    except KeyboardInterrupt:
        return interrupted(args.runs / name)
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


def cmd_detector_gate(args: argparse.Namespace) -> int:
    """Measure, choose and print the gate's figures; the run folder holds them all."""
    from training.detector.gate import run_gate

    run_dir = args.runs / (args.name or time.strftime("%Y%m%d-%H%M%S-gate"))
    report = run_gate(args.data, args.cache, run_dir, args.negatives, args.test_limit, detector_run=args.detector)
    for label in ("chosen", "shipped", "no_gate"):
        figures = report[label]
        rule = figures["rule"]
        for part in ("validation", "test"):
            r = figures[part]
            print(f"{label:8} {rule['min_confidence']:.2f}/{rule['min_refined_confidence']:.2f} {part:10}: "
                  f"{r['faces_unscored']} of {r['faces']} real faces unscored ({r['faces_unscored_rate']:.2%}), "
                  f"{r['false_scored']} of {r['false']} false detections scored ({r['false_scored_rate']:.2%})")
    print(f"{run_dir}: report.json, gate.png")
    if args.ship:
        import shlex
        import sys

        from training.detector.gate import ship

        command = "python -m training " + shlex.join(sys.argv[1:])
        print(f"shipped: {ship(report, command)}")
    return 0
