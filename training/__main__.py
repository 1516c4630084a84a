"""`python -m training`: crop, fit, evaluate, measure robustness and ship the beauty scorer on SCUT-FBP5500;
train an MTCNN detector and an emotion classifier of your own.

examples:
  python -m training crop                                  # detect + crop all 5,500 faces (cached)
  python -m training fit --name r29                        # faceapi-resnet29 branch, 60/40 split -> runs/r29/
  python -m training fit --backbone human-faceres --name hf
  python -m training fit --protocol cv5 --combo-weight 1   # 5-fold cross-validation
  python -m training evaluate runs/r29/scorer.keras        # official 60/40 test split
  python -m training evaluate default                      # the embedded default scorer
  python -m training robustness default                    # tilted, smaller, padded, recompressed, mirrored photos
  python -m training ship runs/r29 runs/hf                 # the branches become the embedded default
  python -m training detector --negatives /usr/share/doc/opencv-doc/examples/data --name det
                                                           # PNet, RNet, ONet on SCUT's 60/40 train split
  python -m training emotion --csv fer2013.csv --name emo  # a ResNet on FER2013's 7 classes

Training photos are augmented from the whole photo (turned up to 40 degrees, shrunk, framed,
recompressed, mirrored, each detected again), then their crops are jittered and degraded;
`--views 0` trains on clean crops and mirror images only. The first run detects every view
once (about 12 minutes on 2 cores for the 60/40 split); later runs reuse the cache.
TensorFlow's own log lines are kept out of the output unless --verbose.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from training.emotion import cli as emotion_cli

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "SCUT-FBP5500_v2"


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"SCUT-FBP5500 folder (default: {DEFAULT_DATA})")
    p.add_argument("--cache", type=Path, default=Path(".cache/training"),
                   help="where detections, views and crops are cached (default: .cache/training)")


def _flag_type(default):
    if isinstance(default, bool):
        return lambda s: s.lower() in ("1", "true", "yes")
    return str if default is None else type(default)


def build_parser() -> argparse.ArgumentParser:
    from training.fit import FitConfig

    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="{crop,fit,evaluate,robustness,ship,detector,emotion}")
    crop = sub.add_parser("crop", help="detect and crop every face with the browser's detector and crop rule")
    _add_data_args(crop)

    fit = sub.add_parser("fit", help="train one scorer branch (two stages) and write a run folder",
                         description="Train on the official split(s); report PC, MAE, RMSE on the validation "
                                     "hold-out and the test split(s). Recipes are chosen on validation.")
    _add_data_args(fit)
    fit.add_argument("--runs", type=Path, default=Path("runs"), help="parent of run folders (default: runs)")
    fit.add_argument("--name", help="run folder name (default: <time>-<backbone>-<protocol>)")
    for field in dataclasses.fields(FitConfig):
        fit.add_argument(f"--{field.name.replace('_', '-')}", dest=field.name, default=field.default,
                         type=_flag_type(field.default), help=f"(default: {field.default})")

    evaluate = sub.add_parser("evaluate", help="score the official 60/40 test split with a saved scorer")
    evaluate.add_argument("model", help="a .keras scorer, or 'default' for the embedded one")
    evaluate.add_argument("--flip", action="store_true",
                          help="average each crop with its mirror image outside the model (the default scorer "
                               "already does it inside its graph, as the browser runs it)")
    _add_data_args(evaluate)

    robust = sub.add_parser(
        "robustness", help="how far scores move when the same test photos are tilted, shrunk, padded, ...",
        description="Change each test photo (roll +-15 and +-30 degrees, half size, padded to twice the size, "
                    "JPEG quality 50, mirror), detect and crop again, score: Pearson, MAE, mean and 95th-percentile "
                    "score shift per change, a table, robustness.json and robustness.png.")
    robust.add_argument("model", help="a .keras scorer, or 'default' for the embedded one")
    robust.add_argument("--out", type=Path, help="folder for robustness.json and robustness.png "
                                                 "(default: the model's run folder, or reports/robustness-default)")
    robust.add_argument("--emotion", action="store_true",
                        help="also: how often fer's emotion label survives the rolls, with an axis-aligned and "
                             "with an eye-levelled emotion crop")
    robust.add_argument("--no-align", action="store_true",
                        help="feed axis-aligned crops (for a scorer trained before crops levelled the eyes)")
    _add_data_args(robust)

    ship = sub.add_parser("ship", help="make split60 runs (one per backbone) the embedded default scorer",
                          description="Branch shares are chosen on the validation hold-out; the card records the "
                                      "validation and test figures of the model rebuilt from the float16 weights.")
    ship.add_argument("runs", type=Path, nargs="+", help="run folders from `fit`")
    ship.add_argument("--no-mirror", dest="mirror", action="store_false",
                      help="do not score each crop with its mirror image inside the graph")
    _add_data_args(ship)
    detector = _detector_parser(sub)
    emotion_cli.add_parser(sub)
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines too")
    for p in (crop, fit, evaluate, robust, ship, detector):  # also accepted after the command
        p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                       help="show TensorFlow's own log lines too")
    return parser


DETECTOR_HELP = """\
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


def _detector_parser(sub) -> argparse.ArgumentParser:
    from training.detector.config import DetectorConfig

    p = sub.add_parser("detector", help="train PNet, RNet and ONet (the mtcnn package's nets) on your photos",
                       description=DETECTOR_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_data_args(p)
    p.add_argument("--negatives", type=Path, metavar="DIR",
                   help="face-free photos for extra negatives (each checked with the mtcnn package; one in which "
                        "it finds a face is left out), e.g. /usr/share/doc/opencv-doc/examples/data")
    p.add_argument("--runs", type=Path, default=Path("runs"), help="parent of run folders (default: runs)")
    p.add_argument("--name", help="run folder name (default: <time>-detector-<layout>)")
    for field in dataclasses.fields(DetectorConfig):
        p.add_argument(f"--{field.name.replace('_', '-')}", dest=field.name, default=field.default,
                       type=_flag_type(field.default), help=f"{field.metadata['help']} (default: {field.default})")
    return p


def _print_metrics(metrics: dict) -> None:
    for decoding in ("expected", "argmax"):
        m = metrics[decoding]
        groups = "  ".join(f"{g} PC {m[g]['pc']:.4f}" for g in ("AF", "AM", "CF", "CM") if g in m)
        o = m["overall"]
        print(f"  {decoding:8}  PC {o['pc']:.4f}  MAE {o['mae']:.4f}  RMSE {o['rmse']:.4f}  (n={o['n']})  {groups}")


def cmd_crop(args) -> int:
    from training.crops import crop_all
    from training.dataset import ScutFbp5500

    dataset = ScutFbp5500(args.data)
    crops = crop_all(dataset, dataset.all_samples(), args.cache)
    print(f"{len(crops.names)} crops of {crops.crops.shape[1]} px in {args.cache}; "
          f"no face found in {len(crops.no_face)}: {', '.join(crops.no_face) or 'none'}")
    return 0


def cmd_fit(args) -> int:
    from training.fit import FitConfig
    from training.run import run_fit

    config = {f.name: getattr(args, f.name) for f in dataclasses.fields(FitConfig)}
    name = args.name or f"{time.strftime('%Y%m%d-%H%M%S')}-{config['backbone']}-{config['protocol']}"
    run_dir, report = run_fit(args.data, args.cache, args.runs / name, config)
    print(f"run folder: {run_dir}")
    for fold in report["folds"]:
        v = fold["validation"]["expected"]
        print(f"{fold['fold']}: validation PC {v['pc']:.4f}  MAE {v['mae']:.4f}  RMSE {v['rmse']:.4f}; "
              "test metrics (1-5 scale):")
        _print_metrics(fold["metrics"])
    return 0


def cmd_evaluate(args) -> int:
    from training.run import evaluate_model

    result = evaluate_model(args.model, args.data, args.cache, flip=args.flip)
    print(f"{args.model} on the official 60/40 test split (1-5 scale):")
    _print_metrics(result["metrics"])
    return 0


def cmd_robustness(args) -> int:
    from facepack.models.scorer import check_scorer_shapes, scorer_crop
    from training import robustness
    from training.crops import write_json
    from training.run import load_scorer_model

    model = load_scorer_model(args.model)
    rule = scorer_crop(check_scorer_shapes(model, args.model))
    if args.no_align:
        rule = robustness.unaligned(rule)
    out = args.out or (Path(args.model).parent if args.model != "default" else Path("reports/robustness-default"))
    report = robustness.robustness_report(model, args.data, args.cache, rule=rule)
    robustness.write_report(report, out, f"{args.model}: score shift on changed test photos")
    print(f"{args.model}: the official 60/40 test photos, changed, detected and cropped again (PC, MAE: 1-5 scale)")
    print(robustness.table(report))
    print(f"written: {out / 'robustness.json'}, {out / 'robustness.png'}")
    if args.model == "default":  # the card (and so the manifest and the page's model card) shows them
        from training.run import add_to_default_card

        add_to_default_card("robustness", robustness.card_summary(report))
        print("recorded in facepack/default_scorer/card.json (re-export the bundle to carry it)")
    if args.emotion:
        import dataclasses

        from facepack import spec

        rules = {f"emotion crop, rotate={r}": dataclasses.replace(spec.EMOTION_CROP, rotate=r)
                 for r in ("none", "eyes")}
        stability = robustness.emotion_stability(args.data, args.cache, rules)
        write_json(out / "emotion_stability.json", stability)
        print("fer's label on the rolled photo = its label on the unchanged photo:")
        for rule_name, by_condition in stability.items():
            cells = "  ".join(f"{c} {v['agreement']:.3f}" for c, v in by_condition.items())
            print(f"  {rule_name:<28} {cells}")
    return 0


def cmd_ship(args) -> int:
    from training.run import ship_runs

    card = ship_runs(args.runs, args.data, args.cache, mirror=args.mirror)
    print(f"shipped {', '.join(map(str, args.runs))} as the embedded default scorer "
          f"({card['architecture']}); on the test split:")
    _print_metrics(card["test_metrics"])
    return 0


def cmd_detector(args) -> int:
    from training.detector.config import DetectorConfig
    from training.detector.run import run_detector, summary_table

    config = DetectorConfig(**{f.name: getattr(args, f.name) for f in dataclasses.fields(DetectorConfig)})
    name = args.name or f"{time.strftime('%Y%m%d-%H%M%S')}-detector-{config.layout}"
    run_dir, report = run_detector(args.data, args.runs / name, config, args.negatives, args.cache)
    print(summary_table(report))
    print(f"run folder: {run_dir}  (ship it: python -m converter export --detector {run_dir})")
    return 0


def main(argv: list[str] | None = None) -> int:
    from facepack.quiet import quiet_native_logs

    argv = sys.argv[1:] if argv is None else argv
    quiet_native_logs("--verbose" in argv)  # before the parser: building it imports Keras
    args = build_parser().parse_args(argv)
    from facepack.models import ModelError
    from training.dataset import DatasetError

    commands = {"crop": cmd_crop, "fit": cmd_fit, "evaluate": cmd_evaluate, "robustness": cmd_robustness,
                "ship": cmd_ship, "detector": cmd_detector, "emotion": emotion_cli.run}
    try:
        return commands[args.command](args)
    except (DatasetError, ModelError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
