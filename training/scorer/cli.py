"""The scorer's commands of `python -m training`: crop, fit, evaluate, robustness, ship."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from training.common import (
    add_config_args,
    add_data_args,
    add_resume_arg,
    add_run_args,
    config_from_args,
    interrupted,
    resume_config,
)


def add_scorer_data_args(parser: argparse.ArgumentParser) -> None:
    """--data and --cache, and the user's own ratings instead of SCUT-FBP5500: --ratings, --scale,
    --split-seed (training.dataset.RatedPhotos)."""
    add_data_args(parser)
    own = parser.add_argument_group("own ratings (instead of SCUT-FBP5500)")
    own.add_argument("--ratings", type=Path, metavar="CSV",
                     help="a CSV with the header image,rating[,split][,group]; image paths are relative to the "
                          "CSV's folder; split is train or test (without it: a seeded 60/40 split)")
    own.add_argument("--scale", metavar="LOW-HIGH",
                     help="the ratings' scale, e.g. 1-10 (needed with --ratings): LOW maps to 0 points, HIGH to 100")
    own.add_argument("--split-seed", type=int, default=0,
                     help="seeds the 60/40 split (and the 5 folds) of a CSV without a split column "
                          "(default: %(default)s)")


def dataset_from_args(args: argparse.Namespace):
    """The dataset the flags name: the user's ratings CSV, or the SCUT-FBP5500 folder at --data.

    Raises:
        DatasetError: a malformed CSV or dataset (the message names the file and line).
        ValueError: --ratings without --scale, or a malformed --scale.
    """
    from training.dataset import RatedPhotos, RatingScale, ScutFbp5500

    if args.ratings is None:
        if args.scale is not None:
            raise ValueError("--scale is for --ratings; SCUT-FBP5500's ratings are 1-5")
        return ScutFbp5500(args.data)
    if args.scale is None:
        raise ValueError("--ratings needs --scale LOW-HIGH, the scale its ratings are on (e.g. --scale 1-10)")
    return RatedPhotos(args.ratings, RatingScale.parse(args.scale), split_seed=args.split_seed)


def add_commands(subparsers) -> list[argparse.ArgumentParser]:
    """Add crop, fit, evaluate, robustness and ship to `python -m training`'s sub-parsers."""
    from training.scorer.config import FitConfig

    crop = subparsers.add_parser("crop", help="detect and crop every face with the browser's detector and crop rule")
    add_scorer_data_args(crop)
    crop.set_defaults(handler=cmd_crop)

    fit = subparsers.add_parser("fit", help="train one scorer branch (two stages) and write a run folder",
                                description="Train on the official split(s); report PC, MAE, RMSE on the validation "
                                            "hold-out and the test split(s). Recipes are chosen on validation.")
    add_scorer_data_args(fit)
    add_run_args(fit, "<time>-<backbone>-<protocol>")
    add_resume_arg(fit)
    add_config_args(fit, FitConfig)
    fit.set_defaults(handler=cmd_fit)

    evaluate = subparsers.add_parser("evaluate", help="score the official 60/40 test split with a saved scorer")
    evaluate.add_argument("model", help="a .keras scorer, or 'default' for the embedded one")
    evaluate.add_argument("--flip", action=argparse.BooleanOptionalAction, default=False,
                          help="average each crop with its mirror image outside the model (the default scorer "
                               "already does it inside its graph, as the browser runs it) (default: %(default)s)")
    add_scorer_data_args(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)

    robust = subparsers.add_parser(
        "robustness", help="how far scores move when the same test photos are tilted, shrunk, padded, ...",
        description="Change each test photo (roll +-15 and +-30 degrees, half size, padded to twice the size, "
                    "JPEG quality 50, mirror), detect and crop again, score: Pearson, MAE, mean and 95th-percentile "
                    "score shift per change, a table, robustness.json and robustness.png.")
    robust.add_argument("model", help="a .keras scorer, or 'default' for the embedded one")
    robust.add_argument("--out", type=Path, help="folder for robustness.json and robustness.png "
                                                 "(default: the model's run folder, or reports/robustness-default)")
    robust.add_argument("--emotion", action=argparse.BooleanOptionalAction, default=False,
                        help="also: how often fer's emotion label survives the rolls, with an axis-aligned and "
                             "with an eye-levelled emotion crop (default: %(default)s)")
    robust.add_argument("--align", action=argparse.BooleanOptionalAction, default=True,
                        help="feed eye-levelled crops; --no-align: axis-aligned ones (for a scorer trained before "
                             "crops levelled the eyes) (default: %(default)s)")
    add_scorer_data_args(robust)
    robust.set_defaults(handler=cmd_robustness)

    ship = subparsers.add_parser("ship", help="make split60 runs (one per backbone) the embedded default scorer",
                                 description="Branch shares are chosen on the validation hold-out; the card records "
                                             "the validation and test figures of the model rebuilt from the float16 "
                                             "weights.")
    ship.add_argument("runs", type=Path, nargs="+", help="run folders from `fit`")
    ship.add_argument("--out", type=Path, metavar="DIR",
                      help="write the shipped scorer (weights.npz, card.json) here instead of the package's embedded "
                           "default; `converter export --scorer DIR` packages it")
    ship.add_argument("--mirror", action=argparse.BooleanOptionalAction, default=True,
                      help="score each crop with its mirror image inside the graph (default: %(default)s)")
    add_scorer_data_args(ship)
    ship.set_defaults(handler=cmd_ship)
    return [crop, fit, evaluate, robust, ship]


def _print_metrics(metrics: dict, dataset=None) -> None:
    """Both decodings' PC, MAE and RMSE; MAE and RMSE on the ratings' own scale."""
    per = dataset.scale.per_training_unit() if dataset is not None and dataset.scale is not None else 1.0
    for decoding in ("expected", "argmax"):
        m = metrics[decoding]
        groups = "  ".join(f"{g} PC {v['pc']:.4f}" for g, v in m.items() if g not in ("overall", "all"))
        o = m["overall"]
        print(f"  {decoding:8}  PC {o['pc']:.4f}  MAE {o['mae'] * per:.4f}  RMSE {o['rmse'] * per:.4f}  "
              f"(n={o['n']})  {groups}")


def _scale_text(dataset) -> str:
    return "1-5 scale" if dataset.scale is None else f"{dataset.scale.low:g}-{dataset.scale.high:g} scale"


def cmd_crop(args: argparse.Namespace) -> int:
    from training.scorer.crops import crop_all

    dataset = dataset_from_args(args)
    cache = dataset.cache_dir(args.cache)
    crops = crop_all(dataset, dataset.all_samples(), cache)
    print(f"{len(crops.names)} crops of {crops.crops.shape[1]} px in {cache}; "
          f"no face found in {len(crops.no_face)}: {', '.join(crops.no_face) or 'none'}")
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    from training.scorer.config import FitConfig
    from training.scorer.run import run_fit

    config = (resume_config(FitConfig, args, "fit") if args.resume  # run_fit refuses a changed setting
              else dataclasses.asdict(config_from_args(FitConfig, args)))
    name = args.name or f"{time.strftime('%Y%m%d-%H%M%S')}-{config['backbone']}-{config['protocol']}"
    dataset = dataset_from_args(args)
    try:
        run_dir, report = run_fit(dataset, args.cache, args.runs / name, config, resume=args.resume)
    except KeyboardInterrupt:
        return interrupted(args.runs / name)
    print(f"run folder: {run_dir}")
    per = dataset.scale.per_training_unit() if dataset.scale is not None else 1.0
    for fold in report["folds"]:
        v = fold["validation"]["expected"]
        print(f"{fold['fold']}: validation PC {v['pc']:.4f}  MAE {v['mae'] * per:.4f}  RMSE {v['rmse'] * per:.4f}; "
              f"test metrics ({_scale_text(dataset)}):")
        _print_metrics(fold["metrics"], dataset)
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from training.scorer.run import evaluate_model

    dataset = dataset_from_args(args)
    result = evaluate_model(args.model, dataset, args.cache, flip=args.flip)
    split = "the official 60/40 test split" if dataset.scale is None else "the test split of --ratings"
    print(f"{args.model} on {split} ({_scale_text(dataset)}):")
    _print_metrics(result["metrics"], dataset)
    return 0


def cmd_robustness(args: argparse.Namespace) -> int:
    from facepack.models.scorer import check_scorer_shapes, scorer_crop
    from training.common import write_json
    from training.scorer import robustness
    from training.scorer.run import load_scorer_model

    model = load_scorer_model(args.model)
    rule = scorer_crop(check_scorer_shapes(model, args.model))
    if not args.align:
        rule = robustness.unaligned(rule)
    out = args.out or (Path(args.model).parent if args.model != "default" else Path("reports/robustness-default"))
    report = robustness.robustness_report(model, dataset_from_args(args), args.cache, rule=rule)
    robustness.write_report(report, out, f"{args.model}: score shift on changed test photos")
    print(f"{args.model}: the official 60/40 test photos, changed, detected and cropped again (PC, MAE: 1-5 scale)")
    print(robustness.table(report))
    print(f"written: {out / 'robustness.json'}, {out / 'robustness.png'}")
    if args.model == "default":  # the card (and so the manifest and the page's model card) shows them
        from training.scorer.run import add_to_default_card

        add_to_default_card("robustness", robustness.card_summary(report))
        print("recorded in facepack/default_scorer/card.json (re-export the bundle to carry it)")
    if args.emotion:
        from facepack import spec

        rules = {f"emotion crop, rotate={r}": dataclasses.replace(spec.EMOTION_CROP, rotate=r)
                 for r in ("none", "eyes")}
        stability = robustness.emotion_stability(dataset_from_args(args), args.cache, rules)
        write_json(out / "emotion_stability.json", stability)
        print("fer's label on the rolled photo = its label on the unchanged photo:")
        for rule_name, by_condition in stability.items():
            cells = "  ".join(f"{c} {v['agreement']:.3f}" for c, v in by_condition.items())
            print(f"  {rule_name:<28} {cells}")
    return 0


def cmd_ship(args: argparse.Namespace) -> int:
    from facepack.models.scorer import DEFAULT_SCORER_DIR
    from training.scorer.run import ship_runs

    dataset = dataset_from_args(args)
    if dataset.scale is not None and args.out is None:
        raise ValueError("a scorer trained on --ratings ships with --out DIR (the embedded default is SCUT-FBP5500's)")
    dest = args.out or DEFAULT_SCORER_DIR
    card = ship_runs(args.runs, dataset, args.cache, mirror=args.mirror, dest=dest)
    where = "the embedded default scorer" if args.out is None else f"{dest} (converter export --scorer {dest})"
    print(f"shipped {', '.join(map(str, args.runs))} as {where} ({card['architecture']}); "
          f"on the test split ({_scale_text(dataset)}):")
    _print_metrics(card["test_metrics"], dataset)
    return 0
