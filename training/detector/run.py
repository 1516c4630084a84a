"""`run_detector`: read the annotations, train PNet, RNet and ONet in turn, evaluate, write a run folder.

The run folder (written as `<name>.partial`, renamed when complete: training.common.run_folder;
while it trains, .partial/checkpoints holds each net's last epoch and each trained net's report,
and `detector --resume --name <name>` continues a run killed after its first epoch):
    pnet.npz, rnet.npz, onet.npz   the trained weights (python -m converter export --detector RUN_DIR)
    cascade.json                   the ONet passes chosen on the validation photos, and why
                                   (facepack.detect.detector_spec reads it; so does the export)
    report.json                    data, calibration, sample counts per net and class, histories,
                                   each net on its validation samples, the cascade choice, test
                                   figures beside the `mtcnn` package's, agreement on the demo
                                   photos, seconds per stage
    losses.png, test.png           loss curves; IoU and landmark error, trained vs package
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from facepack import assets, spec
from facepack.detect import CASCADE_JSON, Detector
from facepack.models import ModelError
from facepack.models.mtcnn_nets import NETS
from training import plots
from training.common import CHECKPOINTS, DEFAULT_CACHE, check_resumable, provenance, run_folder, write_json
from training.dataset import DatasetError, ScutFbp5500
from training.detector import annotations, evaluate
from training.detector.config import DetectorConfig, make_strategy
from training.detector.nets import read_weights, save_weights
from training.detector.train import build_samples, fit_net, net_scores
from training.scorer.crops import detect_all, load_image  # the scut layout calibrates on the scorer's detections

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class Stopwatch:
    """Seconds per named stage, for the report."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._start, 1)
        self._start = now


def read_splits(layout: str, data: Path, cache: Path, log=print) -> tuple[annotations.Splits, dict]:
    """The layout's train and test photos, and what was done to their boxes (for the report)."""
    if layout == "celeba":
        return annotations.read_celeba(data), {}
    if layout == "wider":
        return annotations.read_wider(data), {}
    if layout != "scut":
        raise ValueError(f"--layout must be one of {', '.join(annotations.LAYOUTS)}, not {layout!r}")
    # SCUT-FBP5500 has no boxes: the 86 points' bounding box, moved and scaled onto the package's
    # box convention by medians over the training photos (the package's own boxes, cached).
    dataset = ScutFbp5500(data)
    (fold,) = dataset.folds("split60")
    raw = annotations.read_scut(data, annotations.BoxCalibration())
    found = detect_all(dataset, fold.train, cache)
    pairs = [(p.boxes[0], found[p.name].box) for p in raw.train if found.get(p.name) is not None]
    if not pairs:
        raise DatasetError(f"the mtcnn package found no face in the training photos of {data}")
    calibration = annotations.calibrate_scut_boxes([a for a, _ in pairs], [b for _, b in pairs])
    log(f"SCUT boxes: the 86 points' bounding box, centre moved by ({calibration.dx:+.3f} w, {calibration.dy:+.3f} h), "
        f"size x ({calibration.sw:.3f}, {calibration.sh:.3f}): medians over {len(pairs)} training photos")
    return annotations.read_scut(data, calibration), {
        "method": "the 86 points' bounding box (w, h): centre + (dx w, dy h), size (sw w, sh h); each factor the "
                  "median over the training photos of the mtcnn package's box of the same face",
        **dataclasses.asdict(calibration), "photos": len(pairs)}


def read_negatives(folder: Path | None, log=print) -> tuple[list[np.ndarray], dict]:
    """Face-free photos from `folder`, each checked with the `mtcnn` package: any photo in which it
    finds a face is left out (and named in the report)."""
    if folder is None:
        return [], {"folder": None, "used": [], "left_out_with_a_face": []}
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"--negatives {folder} is not a folder")
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not paths:
        raise DatasetError(f"--negatives {folder} holds no .jpg, .png, .bmp or .webp image")
    detector = Detector()
    images, used, left_out = [], [], []
    for path in paths:
        image = load_image(path)
        if detector.detect([image])[0]:
            left_out.append(path.name)
            continue
        images.append(image)
        used.append(path.name)
    log(f"negatives: {len(used)} face-free photos from {folder}"
        + (f"; left out {len(left_out)} in which the mtcnn package finds a face: {', '.join(left_out)}" if left_out
           else ""))
    return images, {"folder": str(folder), "used": used, "left_out_with_a_face": left_out}


def split_photos(photos: list, fraction: float, seed: int) -> tuple[list, list]:
    order = np.random.default_rng(seed).permutation(len(photos))
    held = {int(i) for i in order[:max(1, int(round(len(photos) * fraction)))]}
    return ([p for i, p in enumerate(photos) if i not in held], [p for i, p in enumerate(photos) if i in held])


def run_detector(data: Path, run_dir: Path, config: DetectorConfig, negatives: Path | None = None,
                 cache: Path = DEFAULT_CACHE, log=print, resume: bool = False) -> tuple[Path, dict]:
    """Train a detector and write its run folder (module docstring). Returns (run folder, report).
    Each net's fit checkpoints every epoch, and each trained net is kept, in
    `run_dir`.partial/checkpoints; `resume` continues an interrupted run from there.

    Raises:
        ValueError: `run_dir` exists already (or, with `resume`, its .partial does not, or holds
            another config or data).
        DatasetError: the data is malformed (the message names the file).
    """
    strategy = make_strategy(config.strategy, config.cpu_replicas)  # before TensorFlow runs anything
    record = {"detector": dataclasses.asdict(config), "data": str(Path(data).resolve()),
              "negatives": None if negatives is None else str(Path(negatives).resolve()), "versions": provenance()}
    with run_folder(run_dir, resume=resume) as partial:
        if resume:
            check_resumable(partial, record, "detector")
        else:
            write_json(partial / "config.json", record)
        report = _train_into(partial, data, config, strategy, negatives, cache, log)
    return Path(run_dir), report


def _train_into(partial: Path, data: Path, config: DetectorConfig, strategy, negatives: Path | None, cache: Path,
                log) -> dict:
    """Everything `run_detector` writes, into the folder `partial`. Returns the report."""
    clock = Stopwatch()
    splits, calibration = read_splits(config.layout, data, cache, log)
    if not splits.train or not splits.test:
        raise DatasetError(f"{data} ({config.layout}) has {len(splits.train)} training and {len(splits.test)} test "
                           "photos; both are needed")
    photos = splits.train[:config.max_photos] if config.max_photos else splits.train
    train_photos, val_photos = split_photos(photos, config.val_fraction, config.seed)
    negative_images, negatives_info = read_negatives(negatives, log)
    neg_train, neg_val = split_photos(negative_images, config.val_fraction, config.seed) if len(negative_images) > 1 \
        else (negative_images, [])
    clock.lap("read")
    log(f"{len(train_photos)} training photos, {len(val_photos)} validation photos (choose each net's epoch), "
        f"{len(splits.test)} test photos; strategy {config.strategy} ({strategy.num_replicas_in_sync} "
        f"replica{'' if strategy.num_replicas_in_sync == 1 else 's'})")

    detector = Detector()  # the package's nets, replaced one by one as ours are trained
    nets, histories = {}, {}
    previous = None
    checkpoints = partial / CHECKPOINTS
    for number, net in enumerate(NETS):
        done = checkpoints / f"{net}.json"
        if done.is_file() and (partial / f"{net}.npz").is_file():  # trained before an interruption
            nets[net] = json.loads(done.read_text())
            histories[net] = nets[net]["history"]
            detector.use_weights(net, read_weights(partial / f"{net}.npz"))
            log(f"{net}: trained before the interruption (its report: {done})")
            previous = net
            continue
        mine = None if previous is None else (lambda image, last=previous: detector.proposals(image, last))
        source = "random boxes" if mine is None else f"random boxes + {previous.upper()}'s proposals"
        log(f"{net}: cutting samples ({source})")
        train = build_samples(net, train_photos, neg_train, load_image, config, config.seed + 10 * number, mine,
                              f"{net} samples, training photos")
        val = build_samples(net, val_photos, neg_val, load_image, config, config.seed + 10 * number + 1, mine,
                            f"{net} samples, validation photos")
        clock.lap(f"{net} samples")
        log(f"{net}: {len(train)} training samples {train.counts()}, {len(val)} validation samples")
        weights, history = fit_net(net, train, val, config, strategy, log, checkpoint=checkpoints / f"{net}.npz")
        clock.lap(f"{net} fit")
        save_weights(weights, partial / f"{net}.npz")
        detector.use_weights(net, weights)
        nets[net] = {"samples": {"train": train.counts(), "validation": val.counts()}, "history": history,
                     "validation": net_scores(net, weights, val), "best_epoch": int(np.argmin(history["val_loss"])) + 1}
        histories[net] = history
        write_json(done, nets[net])  # the net is complete: its fit's checkpoint is not needed again
        (checkpoints / f"{net}.npz").unlink(missing_ok=True)
        log(f"{net}: validation {nets[net]['validation']}")
        previous = net
        del train, val

    log(f"ONet passes after the cascade: chosen on the {len(val_photos)} validation photos")
    cascade = evaluate.choose_refinements(detector, val_photos, load_image)
    write_json(partial / CASCADE_JSON, cascade)
    clock.lap("cascade")
    log(f"ONet passes: {cascade['onet_refinements']} ({cascade['rule']})")
    test = evaluate.score_detections(splits.test, evaluate.detect_photos(detector, splits.test, load_image,
                                                                            "trained detector, test photos"))
    package = Detector()
    package_test = evaluate.score_detections(splits.test, evaluate.detect_photos(
        package, splits.test, load_image, "mtcnn package, test photos"))
    clock.lap("test")
    fixtures = assets.sample_photos()  # face-api's group photos: the detection fixtures of the tests
    fixture_images = [load_image(p) for p in fixtures]
    agreement = evaluate.agreement([detector.detect([im])[0] for im in fixture_images],
                                   [package.detect([im])[0] for im in fixture_images], [p.name for p in fixtures])
    clock.lap("demo photos")
    plots.detector_losses(histories, partial / "losses.png")
    plots.detector_comparison(test, package_test, partial / "test.png",
                              f"{config.layout} test photos: trained detector vs the mtcnn package")
    report = {
        "data": {"layout": config.layout, "root": str(Path(data).resolve()), "about": splits.about,
                 "train_photos": len(train_photos), "validation_photos": len(val_photos),
                 "test_photos": len(splits.test), "left_out_without_annotations": splits.left_out,
                 "negatives": negatives_info},
        "box_calibration": calibration,
        "config": dataclasses.asdict(config),
        "nets": nets,
        "cascade": cascade,
        "test": evaluate.public_figures(test),
        "package_on_test": evaluate.public_figures(package_test),
        "demo_photo_agreement": agreement,
        "seconds": clock.seconds,
        "versions": provenance(),
    }
    write_json(partial / "report.json", report)
    return report


def choose_cascade(run_dir: Path, data: Path, cache: Path = DEFAULT_CACHE, log=print) -> dict:
    """Choose the ONet passes of a finished run (one trained before runs chose them) on its own
    validation photos, as `run_detector` does, then measure the test photos again with them.
    Writes cascade.json and updates report.json's `cascade` and `test`; returns the report."""
    run_dir = Path(run_dir)
    try:
        report = json.loads((run_dir / "report.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{run_dir} is not a finished `python -m training detector` run folder ({err})") from None
    config = DetectorConfig(**report["config"])
    splits, _ = read_splits(config.layout, data, cache, log)
    photos = splits.train[:config.max_photos] if config.max_photos else splits.train
    _, val_photos = split_photos(photos, config.val_fraction, config.seed)
    if len(val_photos) != report["data"]["validation_photos"]:
        raise DatasetError(f"{data} gives {len(val_photos)} validation photos, the run had "
                           f"{report['data']['validation_photos']}: not the data it was trained on")
    detector = Detector(run_dir)
    cascade = evaluate.choose_refinements(detector, val_photos, load_image)
    test = evaluate.score_detections(splits.test, evaluate.detect_photos(detector, splits.test, load_image,
                                                                            "trained detector, test photos"))
    report = {**report, "cascade": cascade, "test": evaluate.public_figures(test)}
    write_json(run_dir / CASCADE_JSON, cascade)
    write_json(run_dir / "report.json", report)
    return report


def summary_table(report: dict) -> str:
    """Trained vs package on the test photos, one row per measure."""
    rows = [("recall at IoU 0.5", "recall", "{:.4f}"), ("false detections per photo", "false_per_photo", "{:.4f}"),
            ("mean IoU", "mean_iou", "{:.4f}")]
    mine, theirs = report["test"], report["package_on_test"]
    lines = [f"{'on ' + str(mine['photos']) + ' test photos':<34}{'trained':>10}{'mtcnn package':>16}"]
    for label, key, fmt in rows:
        lines.append(f"{label:<34}{fmt.format(mine[key] or 0):>10}{fmt.format(theirs[key] or 0):>16}")
    if mine["landmark_error"] and theirs["landmark_error"]:
        lines.append(f"{'landmark error / eye distance':<34}{mine['landmark_error']['mean']:>10.4f}"
                     f"{theirs['landmark_error']['mean']:>16.4f}")
    if "cascade" in report:
        lines.append(f"{'ONet passes after the cascade':<34}{report['cascade']['onet_refinements']:>10}"
                     f"{spec.DETECTOR.onet_refinements:>16}")
    return "\n".join(lines)
