"""`python -m training`: crop, fit, evaluate and ship the beauty scorer on SCUT-FBP5500.

examples:
  python -m training crop                                  # detect + crop all 5,500 faces (cached)
  python -m training fit                                   # faceres, 60/40 split -> runs/<name>/
  python -m training fit --protocol cv5 --label-sigma 2
  python -m training fit --backbone facerank-cnn --stage2-epochs 30
  python -m training evaluate runs/<name>/scorer.keras     # official 60/40 test split
  python -m training evaluate default                      # the embedded default scorer
  python -m training ship runs/<name>                      # make a run the embedded default
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "SCUT-FBP5500_v2"


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"SCUT-FBP5500 folder (default: {DEFAULT_DATA})")
    p.add_argument("--cache", type=Path, default=Path(".cache/training"),
                   help="where detections and crops are cached (default: .cache/training)")


def build_parser() -> argparse.ArgumentParser:
    from training.fit import FitConfig

    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{crop,fit,evaluate,ship}")
    crop = sub.add_parser("crop", help="detect and crop every face with the browser's detector and crop rule")
    _add_data_args(crop)

    fit = sub.add_parser("fit", help="train a scorer (two stages) and write a run folder",
                         description="Train on the official split(s); report PC, MAE, RMSE on the test split(s).")
    _add_data_args(fit)
    fit.add_argument("--runs", type=Path, default=Path("runs"), help="parent of run folders (default: runs)")
    fit.add_argument("--name", help="run folder name (default: <time>-<backbone>-<protocol>)")
    for field in dataclasses.fields(FitConfig):
        default = field.default
        kind = {bool: lambda s: s.lower() in ("1", "true", "yes")}.get(type(default), type(default))
        fit.add_argument(f"--{field.name.replace('_', '-')}", dest=field.name, default=default,
                         type=str if default is None else kind, help=f"(default: {default})")

    evaluate = sub.add_parser("evaluate", help="score the official 60/40 test split with a saved scorer")
    evaluate.add_argument("model", help="a .keras scorer, or 'default' for the embedded one")
    evaluate.add_argument("--flip", action="store_true",
                          help="average each crop with its mirror image (the browser does not; off by default "
                               "so the figures are those of the shipped pipeline)")
    _add_data_args(evaluate)

    ship = sub.add_parser("ship", help="make a split60 faceres run the embedded default scorer")
    ship.add_argument("run", type=Path, help="run folder from `fit`")
    _add_data_args(ship)
    return parser


def _print_metrics(report: dict) -> None:
    for decoding in ("expected", "argmax"):
        m = report[decoding]
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
        print(f"{fold['fold']}: test metrics (1-5 scale)")
        _print_metrics(fold["metrics"])
    return 0


def cmd_evaluate(args) -> int:
    from training.run import evaluate_model

    result = evaluate_model(args.model, args.data, args.cache, flip=args.flip)
    print(f"{args.model} on the official 60/40 test split (1-5 scale):")
    _print_metrics(result["metrics"])
    return 0


def cmd_ship(args) -> int:
    from training.run import ship_run

    card = ship_run(args.run, args.data, args.cache)
    print(f"shipped {args.run} as the embedded default scorer; shipped model on the test split:")
    _print_metrics(card["test_metrics"])
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from facepack.models import ModelError
    from training.dataset import DatasetError

    try:
        return {"crop": cmd_crop, "fit": cmd_fit, "evaluate": cmd_evaluate, "ship": cmd_ship}[args.command](args)
    except (DatasetError, ModelError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
