"""`python -m training detector` on generated data: readers and their errors, IoU labels, targets in
the `mtcnn` package's own conventions, the loss masks, a short fit, hard-example mining, and a
run under MirroredStrategy that the converter ships."""

from __future__ import annotations

import dataclasses
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support.cli import kill_module_when, run_module
from training.dataset import DatasetError
from training.detector import annotations
from training.detector.samples import (
    NEGATIVE,
    PART,
    POSITIVE,
    SampleSet,
    box_targets,
    cut_patches,
    label_by_iou,
    landmark_targets,
    samples_from_boxes,
)

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------ readers
def write_celeba(root: Path, bbox_rows: list[str], landmark_rows: list[str], partition_rows: list[str]) -> None:
    (root / "img_celeba").mkdir(parents=True)
    (root / "list_bbox_celeba.txt").write_text(f"{len(bbox_rows)}\nimage_id x_1 y_1 width height\n"
                                               + "\n".join(bbox_rows) + "\n")
    (root / "list_landmarks_celeba.txt").write_text(
        f"{len(landmark_rows)}\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y "
        "rightmouth_x rightmouth_y\n" + "\n".join(landmark_rows) + "\n")
    (root / "list_eval_partition.txt").write_text("\n".join(partition_rows) + "\n")


GOOD_CELEBA = (["000001.jpg 95 71 226 313", "000002.jpg 72 94 221 306"],
               ["000001.jpg 165 184 244 176 196 249 194 271 266 260",
                "000002.jpg 140 204 220 204 168 254 146 289 226 289"],
               ["000001.jpg 0", "000002.jpg 2"])


def test_celeba_reader_splits_boxes_and_landmarks(tmp_path):
    write_celeba(tmp_path, *GOOD_CELEBA)
    splits = annotations.read_celeba(tmp_path)
    assert [p.name for p in splits.train] == ["000001.jpg"] and [p.name for p in splits.test] == ["000002.jpg"]
    np.testing.assert_array_equal(splits.train[0].boxes, [[95, 71, 321, 384]])
    np.testing.assert_array_equal(splits.train[0].landmarks[0, 1], [244, 176])


@pytest.mark.parametrize("which, row, message", [
    (0, "000001.jpg 95 71 226", "list_bbox_celeba.txt:3: expected x_1 y_1 width height (4 numbers), got 3"),
    (0, "000001.jpg 95 71 226 abc", "list_bbox_celeba.txt:3: "),
    (1, "000001.jpg 165 184 244", "list_landmarks_celeba.txt:3: expected 5 landmarks' x and y (10 numbers)"),
    (2, "000001.jpg 7", "list_eval_partition.txt:1: expected '<image> 0|1|2'"),
])
def test_celeba_reader_names_the_file_and_line_of_a_malformed_row(tmp_path, which, row, message):
    tables = [list(t) for t in GOOD_CELEBA]
    tables[which][0] = row
    write_celeba(tmp_path, *tables)
    with pytest.raises(DatasetError, match=message.replace("(", r"\(").replace(")", r"\)").replace("|", r"\|")):
        annotations.read_celeba(tmp_path)


def write_wider(root: Path, train_text: str) -> None:
    (root / "wider_face_split").mkdir(parents=True)
    (root / "wider_face_split" / "wider_face_train_bbx_gt.txt").write_text(train_text)
    (root / "wider_face_split" / "wider_face_val_bbx_gt.txt").write_text("0--Parade/b.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n")


def test_wider_reader_keeps_valid_boxes_and_photos_without_faces(tmp_path):
    write_wider(tmp_path, "0--Parade/a.jpg\n2\n10 20 30 40 0 0 0 0 0 0\n5 5 8 8 0 0 0 1 0 0\n"
                          "1--Handshaking/c.jpg\n0\n0 0 0 0 0 0 0 0 0 0\n")
    splits = annotations.read_wider(tmp_path)
    assert [p.name for p in splits.train] == ["a.jpg", "c.jpg"]
    np.testing.assert_array_equal(splits.train[0].boxes, [[10, 20, 40, 60]])  # the invalid face is left out
    assert splits.train[0].landmarks is None and len(splits.train[1].boxes) == 0
    assert len(splits.test) == 1


@pytest.mark.parametrize("text, message", [
    ("0--Parade/a.jpg\ntwo\n", "wider_face_train_bbx_gt.txt:2: face count 'two' is not a number"),
    ("0--Parade/a.jpg\n2\n10 20 30 40 0 0 0 0 0 0\n",
     "wider_face_train_bbx_gt.txt:4: 0--Parade/a.jpg lists 2 faces but the file ends"),
    ("0--Parade/a.jpg\n1\n10 20 30 40 0 0\n", "wider_face_train_bbx_gt.txt:3: expected x y w h and 6 attributes"),
    ("10 20 30 40\n", "wider_face_train_bbx_gt.txt:1: expected an image file name"),
])
def test_wider_reader_names_the_file_and_line_of_a_malformed_entry(tmp_path, text, message):
    write_wider(tmp_path, text)
    with pytest.raises(DatasetError, match=message.replace("(", r"\(")):
        annotations.read_wider(tmp_path)


def test_scut_points_give_five_landmarks_and_a_calibrated_box(tiny_scut):
    splits = annotations.read_scut(tiny_scut, annotations.BoxCalibration(dx=0.0, dy=0.1, sw=1.0, sh=1.2))
    assert len(splits.train) + len(splits.test) == 24 and splits.left_out == ["CM99.jpg"]  # empty .pts, as CM152
    photo = splits.train[0]
    points = annotations.read_pts(tiny_scut / "facial landmark" / photo.name.replace(".jpg", ".pts"))
    x1, y1, x2, y2 = annotations.points_box(points)
    np.testing.assert_allclose(photo.boxes[0], [x1, y1, x2, y2 + 0.2 * (y2 - y1)])  # centre +0.1 h, height x1.2
    np.testing.assert_allclose(photo.landmarks[0, 2], points[63:70].mean(axis=0))
    assert photo.landmarks[0, 0, 0] < photo.landmarks[0, 1, 0]  # image-left eye first


def test_a_truncated_pts_file_is_refused(tmp_path):
    path = tmp_path / "AF1.pts"
    path.write_bytes(struct.pack("<i", 86) + b"\0" * 40)
    with pytest.raises(DatasetError, match="AF1.pts holds 86 points in 44 bytes"):
        annotations.read_pts(path)


def test_box_calibration_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    true = annotations.BoxCalibration(dx=0.02, dy=-0.08, sw=0.9, sh=1.15)
    boxes = [np.array([x, y, x + w, y + h]) for x, y, w, h in rng.uniform([0, 0, 80, 100], [50, 50, 160, 200], (40, 4))]
    fitted = annotations.calibrate_scut_boxes(boxes, [true.apply(b) for b in boxes])
    for field in ("dx", "dy", "sw", "sh"):
        assert getattr(fitted, field) == pytest.approx(getattr(true, field), abs=1e-9)


# ------------------------------------------------------------------------- labels and targets
def test_boxes_are_labelled_by_their_iou_with_the_nearest_face():
    truth = np.array([[0, 0, 100, 100], [200, 200, 300, 300]], float)
    boxes = np.array([
        [0, 0, 100, 80],      # IoU 0.80 with face 0: positive
        [0, 0, 100, 50],      # 0.50: part
        [0, 0, 100, 35],      # 0.35: the ignored band
        [0, 0, 100, 20],      # 0.20: negative
        [210, 200, 310, 300],  # 0.82 with face 1: positive
    ], float)
    labels, which = label_by_iou(boxes, truth)
    assert labels.tolist() == [POSITIVE, PART, -2, NEGATIVE, POSITIVE]
    assert which[4] == 1


def test_box_and_landmark_targets_follow_the_package_conventions():
    """Feeding the targets to the package's own decoding gives back the true box and landmarks."""
    from mtcnn.utils.bboxes import adjust_bboxes, generate_bounding_box
    from mtcnn.utils.landmarks import adjust_landmarks

    rng = np.random.default_rng(1)
    boxes = rng.uniform(20, 60, (6, 1)) + np.array([[0, 0, 50, 50]])
    truth = boxes + rng.uniform(-8, 8, (6, 4))
    marks = rng.uniform(30, 90, (6, 5, 2))
    rows = np.concatenate([np.zeros((6, 1)), boxes, np.ones((6, 1))], axis=1)
    np.testing.assert_allclose(adjust_bboxes(rows, box_targets(boxes, truth, "rnet"))[:, 1:5], truth, atol=1e-9)
    import tensorflow as tf

    decoded = adjust_landmarks(tf.constant(landmark_targets(boxes, marks)), rows)
    np.testing.assert_allclose(np.stack([decoded[:, :5], decoded[:, 5:]], axis=2), marks, atol=1e-9)

    # PNet: a 12 px sample of a square box is one cell at scale 12 / side; the package decodes the
    # cell's regression in the scaled photo, then divides by the scale.
    side = 48.0
    box = np.array([[16.0, 24.0, 16.0 + side, 24.0 + side]])
    true_box = box + [[3, -2, 5, 1]]
    reg = box_targets(box, true_box, "pnet")
    scale = 12 / side
    # the cell at (0, 0) of a map computed on the photo shifted so the box starts at the origin
    found = generate_bounding_box(tf.constant(reg.reshape(1, 1, 1, 4)), tf.constant([[[[0.0, 1.0]]]]), 0.5)
    np.testing.assert_allclose(found[0, 1:5] / scale + box[0, [0, 1, 0, 1]], true_box[0], atol=1e-6)


def test_patches_are_cut_as_the_cascade_cuts_them():
    from mtcnn.utils.images import extract_patches

    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    boxes = np.array([[10.3, 5.2, 40.9, 35.8], [-5, -5, 30, 30]])
    ours = cut_patches(image, boxes, 24).astype(np.float32)
    normalized = (image[None].astype(np.float32) - 127.5) / 128
    theirs = extract_patches(normalized, np.concatenate([np.zeros((2, 1)), boxes], axis=1), (24, 24)).numpy()
    np.testing.assert_allclose((ours - 127.5) / 128, theirs, atol=0.5 / 128 + 1e-6)  # uint8 rounding


# -------------------------------------------------------------------------------------- loss
def test_parts_do_not_train_the_classifier_and_negatives_do_not_train_boxes():
    from training.detector.nets import masked_loss

    y_true = np.zeros((3, 16), np.float32)
    y_true[:, 0] = [POSITIVE, PART, NEGATIVE]
    y_true[:, 1:5] = 0.1
    y_pred = np.zeros((3, 16), np.float32)
    y_pred[:, 0:2] = [0.3, 0.7]

    def loss(pred):
        return float(np.asarray(masked_loss(y_true, pred))[0])

    base = loss(y_pred)
    part_says_no_face = y_pred.copy()
    part_says_no_face[1, 0:2] = [0.99, 0.01]
    negative_box = y_pred.copy()
    negative_box[2, 2:6] = 5.0
    positive_box = y_pred.copy()
    positive_box[0, 2:6] = 5.0
    landmarks_without_truth = y_pred.copy()
    landmarks_without_truth[:, 6:16] = 3.0
    assert loss(part_says_no_face) == pytest.approx(base)
    assert loss(negative_box) == pytest.approx(base)
    assert loss(landmarks_without_truth) == pytest.approx(base)
    assert loss(positive_box) > base + 1


# ------------------------------------------------------------------------ fit and mining
@pytest.fixture(scope="module")
def scut_photos(tiny_scut):
    return annotations.read_scut(tiny_scut, annotations.BoxCalibration())


def test_a_short_fit_lowers_the_loss(scut_photos):
    from training.detector.config import DetectorConfig, make_strategy
    from training.detector.train import build_samples, fit_net
    from training.scorer.crops import load_image

    config = DetectorConfig(epochs=4, batch_size=64, decay_epochs="3", near_per_face=40, anywhere_per_photo=40)
    train = build_samples("pnet", scut_photos.train, [], load_image, config, 0, None, "pnet samples")
    val = build_samples("pnet", scut_photos.test, [], load_image, config, 1, None, "pnet samples")
    counts = train.counts()
    assert counts["positive"] > 0 and counts["part"] > 0 and counts["negative"] > 0
    weights, history = fit_net("pnet", train, val, config, make_strategy("default"), log=lambda _: None)
    assert history["loss"][-1] < history["loss"][0]
    assert min(history["val_loss"]) < history["val_loss"][0]
    assert [w.shape for w in weights] == [tuple(v.shape) for v in __import__(
        "facepack.models.mtcnn_nets", fromlist=["package_net"]).package_net("pnet").weights]


def test_mining_labels_the_earlier_stages_proposals(scut_photos, tiny_scut):
    """The package's own PNet as the 'trained' first stage: its proposals on a face photo hold the
    face (positives) and false alarms (negatives); on a face-free photo every proposal is a negative."""
    from facepack.detect import Detector
    from training.detector.config import DetectorConfig
    from training.detector.train import negative_samples
    from training.scorer.crops import load_image

    detector = Detector()
    photo = scut_photos.train[0]
    image = load_image(photo.path)
    proposals = detector.proposals(image, "pnet")
    assert len(proposals) > 1
    mined = samples_from_boxes(image, proposals, photo.boxes, photo.landmarks, "rnet", 24,
                               np.random.default_rng(0), max_negatives=1000)
    assert (mined.label == POSITIVE).sum() >= 1
    assert mined.has_landmarks[mined.label != NEGATIVE].all()
    after_rnet = detector.proposals(image, "rnet")
    assert 1 <= len(after_rnet) < len(proposals)  # RNet rejects most of PNet's proposals

    noise = np.random.default_rng(3).integers(0, 256, (50, 50, 3), dtype=np.uint8)
    texture = np.asarray(Image.fromarray(noise).resize((200, 200), Image.BICUBIC))  # blotches, no face
    negatives = negative_samples("rnet", texture, DetectorConfig(crops_per_negative_photo=10), np.random.default_rng(0),
                                 lambda im: detector.proposals(im, "pnet"))
    assert isinstance(negatives, SampleSet) and len(negatives) >= 10
    assert (negatives.label == NEGATIVE).all()


# ----------------------------------------------------------- the command, mirrored, shipped
@pytest.mark.slow
def test_the_command_trains_under_mirrored_strategy_resumes_and_the_converter_ships_the_run(tiny_scut, tmp_path):
    runs = tmp_path / "runs"
    flags = ["--data", str(tiny_scut), "--cache", str(tmp_path / "cache"), "--runs", str(runs), "--epochs", "2",
             "--batch-size", "64", "--decay-epochs", "1", "--strategy", "mirrored", "--cpu-replicas", "2"]
    cmd = [sys.executable, "-m", "training", "detector", *flags, "--name", "det"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    run = runs / "det"
    report = json.loads((run / "report.json").read_text())
    assert {p.name for p in run.iterdir()} >= {"config.json", "pnet.npz", "rnet.npz", "onet.npz", "report.json",
                                               "cascade.json", "losses.png", "test.png"}
    cascade = json.loads((run / "cascade.json").read_text())
    assert cascade == report["cascade"] and set(cascade["validation"]) == {"0", "1", "2", "3"}
    assert report["config"]["strategy"] == "mirrored"
    assert "strategy mirrored (2 replicas)" in done.stdout
    for net in ("pnet", "rnet", "onet"):
        assert report["nets"][net]["samples"]["train"]["positive"] > 0
    assert report["test"]["photos"] == report["package_on_test"]["photos"] > 0
    assert "recall at IoU 0.5" in done.stdout

    # SIGKILLed once RNet has checkpointed an epoch (PNet trained), then resumed: the same nets
    # (tests/training/test_checkpoint.py's RESUME_ATOL) and the same test figures
    from tests.training.test_checkpoint import RESUME_ATOL
    from training.checkpoint import read_checkpoint

    kill_module_when(runs / "cut.partial" / "checkpoints" / "rnet.npz", "training", "detector", *flags, "--name", "cut")
    assert (runs / "cut.partial" / "checkpoints" / "pnet.json").is_file() and not (runs / "cut").exists()
    assert not read_checkpoint(runs / "cut.partial" / "checkpoints" / "rnet.npz")["state"]["ended"]  # mid-RNet
    assert not (runs / "cut.partial" / "checkpoints" / "pnet.npz").exists()  # a trained net keeps no checkpoint
    resumed = run_module("training", "detector", "--runs", runs, "--data", tiny_scut, "--cache", tmp_path / "cache",
                         "--name", "cut", "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    again = json.loads((runs / "cut" / "report.json").read_text())
    assert again["config"] == report["config"]  # the interrupted run's settings, mirrored on 2 replicas
    for net in ("pnet", "rnet", "onet"):
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(again["nets"][net]["history"][key], report["nets"][net]["history"][key],
                                       rtol=0, atol=RESUME_ATOL)
    for net in ("pnet", "rnet", "onet"):
        with np.load(run / f"{net}.npz") as whole, np.load(runs / "cut" / f"{net}.npz") as cut:
            for key in whole.files:
                np.testing.assert_allclose(cut[key], whole[key], rtol=0, atol=RESUME_ATOL)
    numbers = {k: v for k, v in report["test"].items() if isinstance(v, int | float)}
    assert numbers and {k: again["test"][k] for k in numbers} == pytest.approx(numbers, abs=RESUME_ATOL)

    from converter.export import export_bundle

    bundle = tmp_path / "bundle"
    result = export_bundle(bundle, detector=run, only=("detector",), backends=("cpu",), log=lambda _: None)
    assert result.passed
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert "det" in manifest["models"]["onet"]["provenance"]["source"]
    assert manifest["models"]["onet"]["provenance"]["training_report"]["test"]["photos"] == report["test"]["photos"]
    assert manifest["detector"]["onet_refinements"] == cascade["onet_refinements"]  # the browser runs the run's count


def test_the_converter_refuses_a_run_folder_with_a_wrong_net(tmp_path):
    from facepack.models import ModelError, load_mtcnn_net

    np.savez(tmp_path / "pnet.npz", **{"0": np.zeros((3, 3, 3, 10), np.float32)})
    with pytest.raises(ModelError, match="does not fit the mtcnn package's PNET"):
        load_mtcnn_net("pnet", tmp_path)
    with pytest.raises(ModelError, match="has no rnet.npz"):
        load_mtcnn_net("rnet", tmp_path)


# ----------------------------------------------------------- the ONet passes a run chooses
def test_the_fewest_passes_within_the_gain_of_the_best_are_chosen():
    from training.detector.evaluate import fewest_passes

    assert fewest_passes({0: 0.0519, 1: 0.0513, 2: 0.0511, 3: 0.0511}, gain=0.001) == 0
    assert fewest_passes({0: 0.0530, 1: 0.0513, 2: 0.0511, 3: 0.0511}, gain=0.001) == 1
    assert fewest_passes({0: 0.06, 1: 0.05, 2: 0.04, 3: 0.03}, gain=0.001) == 3
    assert fewest_passes({0: 0.05, 1: 0.05}, gain=0.0) == 0


def test_a_run_folder_s_cascade_json_sets_its_onet_passes(tmp_path):
    from facepack import spec
    from facepack.detect import CASCADE_JSON, detector_spec

    assert detector_spec(None) is spec.DETECTOR
    assert detector_spec(tmp_path) is spec.DETECTOR  # a run from before runs chose their passes
    (tmp_path / CASCADE_JSON).write_text(json.dumps({"onet_refinements": 1, "rule": "r"}))
    chosen = detector_spec(tmp_path)
    assert chosen.onet_refinements == 1
    assert dataclasses.replace(chosen, onet_refinements=spec.DETECTOR.onet_refinements) == spec.DETECTOR


@pytest.mark.parametrize("text, message", [("{", "is not the JSON"), ('{"onet_refinements": -1}', "integer >= 0"),
                                           ('{"onet_refinements": true}', "integer >= 0"), ("[]", "integer >= 0"),
                                           ('{"rule": "r"}', "integer >= 0")])
def test_a_malformed_cascade_json_is_refused_by_name(tmp_path, text, message):
    from facepack.detect import CASCADE_JSON, detector_spec
    from facepack.models import ModelError

    (tmp_path / CASCADE_JSON).write_text(text)
    with pytest.raises(ModelError, match=message) as err:
        detector_spec(tmp_path)
    assert CASCADE_JSON in str(err.value)
