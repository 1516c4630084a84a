"""`python -m training emotion` on generated data: FER2013-style CSV and class folders of
synthetic 48 x 48 grey images (a pattern per class, with noise), never the real data set.

The readers' tests are fast; one short training run (module fixture, through the command
line's `cmd_emotion`) serves the fit, report, run-folder and load_emotion tests; the bundle export is
marked slow, as tests/conftest.py says.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from facepack import spec
from facepack.models import ModelError, load_emotion
from training.dataset import DatasetError
from training.emotion import cli
from training.emotion.config import EmotionConfig
from training.emotion.data import CSV_HEADER, EmotionSource
from training.emotion.run import run_emotion

SIDE = 48
PER_CLASS = {"Training": 60, "PublicTest": 40, "PrivateTest": 40}
# Quick to train on 2 cores; the synthetic classes need no more.
SMALL = ["--epochs", "12", "--patience", "12", "--batch-size", "32", "--learning-rate", "0.003",
         "--width", "8", "--stages", "2", "--blocks", "1", "--val-fraction", "0.2"]


def pattern(label: int, rng: np.random.Generator) -> np.ndarray:
    """A 48 x 48 uint8 image of class `label`: stripes, checks, discs or halves, unlike the others
    under the training augmentation (mirror images, shifts, zooms, brightness, contrast)."""
    y, x = np.mgrid[0:SIDE, 0:SIDE].astype(np.float64)
    period, phase = rng.uniform(7, 11), rng.uniform(0, 2 * np.pi)
    cy, cx, radius = SIDE / 2 + rng.uniform(-4, 4), SIDE / 2 + rng.uniform(-4, 4), rng.uniform(10, 15)
    disc = (y - cy) ** 2 + (x - cx) ** 2 < radius**2
    bright = {
        0: np.sin(2 * np.pi * y / period + phase) > 0,  # horizontal stripes
        1: np.sin(2 * np.pi * x / period + phase) > 0,  # vertical stripes
        2: (np.floor(y / (period / 2)) + np.floor(x / (period / 2))) % 2 == 0,  # checks
        3: disc,  # a bright disc
        4: ~disc,  # a dark disc
        5: y < cy,  # bright above, dark below
        6: np.sin(2 * np.pi * (x + rng.choice([-1, 1]) * y) / period + phase) > 0,  # diagonal stripes
    }[label]
    low, high = rng.uniform(40, 90), rng.uniform(160, 220)
    image = np.where(bright, high, low) + rng.normal(0, 15, (SIDE, SIDE))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def csv_line(label: int, image: np.ndarray, usage: str) -> str:
    return f"{label},{' '.join(map(str, image.ravel()))},{usage}\n"


@pytest.fixture(scope="module")
def fer_csv(tmp_path_factory):
    """A FER2013-style CSV: per class, 60 Training, 40 PublicTest and 40 PrivateTest rows."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("fer") / "fer2013.csv"
    lines = [f"{CSV_HEADER}\n"]
    for usage, n in PER_CLASS.items():
        lines += [csv_line(label, pattern(label, rng), usage) for _ in range(n) for label in range(7)]
    path.write_text("".join(lines))
    return path


def read(path, layout="csv", faces="crops"):
    return EmotionSource(path, layout, faces).read(progress=False)


def test_the_csv_becomes_64_px_grey_crops_per_split(fer_csv):
    data = read(fer_csv)
    assert data.train.images.shape == (7 * 60, 64, 64) and data.train.images.dtype == np.uint8
    assert set(data.tests) == {"public", "private"}
    assert data.train.counts() == dict.fromkeys(spec.EMOTION_LABELS, 60)
    assert data.tests["public"].counts() == data.tests["private"].counts() == dict.fromkeys(spec.EMOTION_LABELS, 40)
    assert list(data.train.labels[:7]) == list(range(7)) and data.no_face == []


def test_a_flat_image_keeps_its_value_when_resized(tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text(CSV_HEADER + "\n" + csv_line(3, np.full((SIDE, SIDE), 77, np.uint8), "Training"))
    data = read(path)
    assert data.train.images.shape == (1, 64, 64) and (data.train.images == 77).all() and data.tests == {}


PIXELS = " ".join(["0"] * SIDE * SIDE)


@pytest.mark.parametrize("line, number, message", [
    ("emotion,pixels,usage\n", 1, "expected the header 'emotion,pixels,Usage', got 'emotion,pixels,usage'"),
    (f"{CSV_HEADER}\n3,{PIXELS}\n", 2, "expected 3 comma-separated fields (emotion,pixels,Usage), got 2"),
    (f"{CSV_HEADER}\n3,{PIXELS},Training,x\n", 2, "expected 3 comma-separated fields"),
    (f"{CSV_HEADER}\n7,{PIXELS},Training\n", 2, "emotion '7' is not a class number 0..6"),
    (f"{CSV_HEADER}\nhappy,{PIXELS},Training\n", 2, "emotion 'happy' is not a class number 0..6"),
    (f"{CSV_HEADER}\n\n3,{PIXELS} 0,Training\n", 3, "expected 2304 pixels (48x48), got 2305"),
    (f"{CSV_HEADER}\n3,{PIXELS[:-1]}x,Training\n", 2, "pixel 'x' is not a whole number 0..255"),
    (f"{CSV_HEADER}\n3,{PIXELS[:-1]}2.5,Training\n", 2, "pixel '2.5' is not a whole number 0..255"),
    (f"{CSV_HEADER}\n3,{PIXELS[:-1]}256,Training\n", 2, "pixel 256 is outside 0..255"),
    (f"{CSV_HEADER}\n3,{PIXELS},Training\n3,{PIXELS},Validation\n", 3,
     "Usage 'Validation' is not one of Training, PublicTest, PrivateTest"),
])
def test_a_malformed_csv_line_is_refused_with_file_and_line(tmp_path, line, number, message):
    path = tmp_path / "bad.csv"
    path.write_text(line)
    with pytest.raises(DatasetError) as err:
        read(path)
    assert str(err.value).startswith(f"{path}:{number}: ") and message in str(err.value)


def test_a_csv_without_training_rows_or_file_is_refused(tmp_path):
    path = tmp_path / "test-only.csv"
    path.write_text(CSV_HEADER + "\n" + csv_line(0, np.zeros((SIDE, SIDE), np.uint8), "PublicTest"))
    with pytest.raises(DatasetError, match="has no training images"):
        read(path)
    with pytest.raises(DatasetError, match="does not exist"):
        read(tmp_path / "missing.csv")


def write_folders(root, splits: dict[str, int], rng) -> None:
    """PNG files ROOT/<split>/<Label>/i.png (a split "" puts class folders in ROOT itself)."""
    for split, n in splits.items():
        for label, name in enumerate(spec.EMOTION_LABELS):
            folder = root / split / (name.capitalize() if label % 2 else name)  # both cases
            folder.mkdir(parents=True)
            for i in range(n):
                Image.fromarray(pattern(label, rng)).save(folder / f"{i}.png")


def test_class_folders_in_both_layouts(tmp_path):
    rng = np.random.default_rng(1)
    write_folders(tmp_path / "split", {"train": 3, "test": 2}, rng)
    write_folders(tmp_path / "flat", {"": 2}, rng)
    (tmp_path / "flat" / "Happy" / ".DS_Store").write_bytes(b"\0")  # hidden files are skipped
    split = read(tmp_path / "split", "folders")
    assert split.train.images.shape == (21, 64, 64) and split.train.counts() == dict.fromkeys(spec.EMOTION_LABELS, 3)
    assert set(split.tests) == {"test"} and split.tests["test"].counts() == dict.fromkeys(spec.EMOTION_LABELS, 2)
    flat = read(tmp_path / "flat", "folders")
    assert flat.train.counts() == dict.fromkeys(spec.EMOTION_LABELS, 2) and flat.tests == {}


def test_an_unknown_class_folder_or_unreadable_image_is_named(tmp_path):
    write_folders(tmp_path, {"train": 1}, np.random.default_rng(2))
    (tmp_path / "train" / "contempt").mkdir()
    with pytest.raises(DatasetError) as err:
        read(tmp_path, "folders")
    assert "'contempt' is not an emotion label" in str(err.value)
    assert "angry, disgust, fear, happy, sad, surprise, neutral (any case)" in str(err.value)
    (tmp_path / "train" / "contempt").rmdir()
    (tmp_path / "train" / "sad" / "broken.png").write_bytes(b"\x89PNG truncated")
    with pytest.raises(DatasetError, match=r"broken\.png is not a readable image"):
        read(tmp_path, "folders")


def test_photos_are_detected_and_cut_and_faceless_ones_listed(tmp_path):
    from facepack import assets

    (tmp_path / "happy").mkdir()
    Image.open(assets.sample_photos()[0]).convert("RGB").save(tmp_path / "happy" / "group.jpg")
    Image.new("RGB", (120, 120), (90, 120, 150)).save(tmp_path / "happy" / "wall.png")
    data = read(tmp_path, "folders", faces="photos")
    assert data.train.images.shape == (1, 64, 64) and data.train.images.std() > 10
    assert data.no_face == ["happy/wall.png"]


@pytest.fixture(scope="module")
def trained(fer_csv, tmp_path_factory):
    """One short run through the command line: (run folder, report, what it printed)."""
    runs = tmp_path_factory.mktemp("runs")
    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers())
    args = parser.parse_args(["emotion", "--csv", str(fer_csv), "--runs", str(runs), "--name", "synthetic", *SMALL])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.cmd_emotion(args) == 0
    run_dir = runs / "synthetic"
    return run_dir, json.loads((run_dir / "report.json").read_text()), printed.getvalue()


def test_a_short_fit_beats_chance_on_the_test_splits(trained):
    _, report, printed = trained
    assert report["accuracy"]["public"] > 0.6 and report["accuracy"]["private"] > 0.6  # chance: 1/7
    assert f"public      accuracy {report['accuracy']['public']:.4f}  (n=280)" in printed
    assert "run folder: " in printed and "python -m converter export --emotion" in printed


def test_the_report_holds_consistent_confusion_matrices_and_counts(trained):
    _, report, _ = trained
    assert list(report["splits"]) == ["validation", "public", "private"]
    for name, figures in report["splits"].items():
        confusion = np.array(figures["confusion"])
        assert confusion.shape == (7, 7)
        assert confusion.sum() == figures["n"] == sum(report["data"]["counts"][name].values())
        assert np.trace(confusion) / figures["n"] == pytest.approx(figures["accuracy"])
        assert confusion.sum(axis=1).tolist() == list(report["data"]["counts"][name].values())
    counts = report["data"]["counts"]
    assert counts["validation"] == dict.fromkeys(spec.EMOTION_LABELS, 12)  # 0.2 of 60 per class
    assert counts["train"] == dict.fromkeys(spec.EMOTION_LABELS, 48)
    assert report["config"] == {**EmotionConfig().__dict__, "epochs": 12, "patience": 12, "batch_size": 32,
                                "learning_rate": 0.003, "width": 8, "stages": 2, "blocks": 1, "val_fraction": 0.2}
    assert report["best_epoch"] <= report["epochs_run"] <= 12
    assert report["accuracy"]["validation"] == pytest.approx(max(report["history"]["val_accuracy"]), abs=1e-6)
    assert set(report["seconds"]) == {"read", "fit", "evaluate"}
    assert report["data"]["source"].startswith("FER2013 CSV ") and report["data"]["source"].endswith("(crops)")


def test_the_run_folder_holds_the_model_report_and_plots(trained):
    run_dir, _, _ = trained
    assert sorted(p.name for p in run_dir.iterdir()) == ["config.json", "confusion.png", "emotion.keras", "loss.png",
                                                          "report.json"]
    assert not run_dir.with_name("synthetic.partial").exists()
    model = keras.models.load_model(run_dir / "emotion.keras")
    assert model.name == "emotion" and model.input_shape == (None, 64, 64, 3) and model.output_shape == (None, 7)
    assert not model.get_layer("rgb_to_fer_input").trainable


def test_a_failure_before_the_first_epoch_leaves_no_run_folder(fer_csv, tmp_path, monkeypatch):
    from training.emotion import fit as fit_module

    def interrupted(*args):
        raise KeyboardInterrupt  # Ctrl+C as training begins: no checkpoint yet

    monkeypatch.setattr(fit_module, "fit_resumable", interrupted)
    config = EmotionConfig(epochs=1, width=4, stages=1, blocks=1)
    with pytest.raises(KeyboardInterrupt):
        run_emotion(EmotionSource(fer_csv, "csv"), tmp_path / "run", config, log=lambda _: None, progress=False)
    assert list(tmp_path.iterdir()) == []  # neither run/ nor run.partial/


@pytest.mark.slow
def test_a_run_stopped_mid_fit_resumes_to_the_uninterrupted_runs_report(trained, fer_csv, tmp_path, monkeypatch):
    """Stopped (Ctrl+C) during epoch 5 of `trained`'s fit, then `emotion --resume`: the same history
    and accuracies as `trained`'s uninterrupted run (tests/training/test_checkpoint.py's RESUME_ATOL)."""
    from tests.training.test_checkpoint import RESUME_ATOL, Interrupt
    from training.emotion import fit as fit_module

    real = fit_module.fit_resumable

    def stopped_in_epoch_5(model, batches, validation, epochs, checkpoint, callbacks, log):
        return real(model, batches, validation, epochs, checkpoint, [*callbacks, Interrupt(5)], log)

    parser = argparse.ArgumentParser()
    cli.add_commands(parser.add_subparsers())
    argv = ["emotion", "--csv", str(fer_csv), "--runs", str(tmp_path), "--name", "cut"]
    monkeypatch.setattr(fit_module, "fit_resumable", stopped_in_epoch_5)
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.cmd_emotion(parser.parse_args([*argv, *SMALL])) == 130  # "interrupted: ... --resume"
    assert (tmp_path / "cut.partial" / "checkpoints" / "emotion.npz").is_file() and not (tmp_path / "cut").exists()
    monkeypatch.setattr(fit_module, "fit_resumable", real)
    with pytest.raises(ValueError, match="--epochs is 12 in the interrupted run, 30 now"):
        cli.cmd_emotion(parser.parse_args([*argv, "--resume", "--epochs", "30"]))
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.cmd_emotion(parser.parse_args([*argv, "--resume"])) == 0  # its settings: SMALL
    resumed = json.loads((tmp_path / "cut" / "report.json").read_text())
    _, whole, _ = trained
    assert resumed["config"] == whole["config"] and resumed["epochs_run"] == whole["epochs_run"]
    for key, values in whole["history"].items():
        np.testing.assert_allclose(resumed["history"][key], values, rtol=0, atol=RESUME_ATOL)
    for split, accuracy in whole["accuracy"].items():
        assert resumed["accuracy"][split] == pytest.approx(accuracy, abs=RESUME_ATOL)
    assert not (tmp_path / "cut.partial").exists()
    assert "checkpoints" not in {p.name for p in (tmp_path / "cut").iterdir()}


def test_an_existing_run_folder_is_never_overwritten(trained, fer_csv):
    run_dir, _, _ = trained
    with pytest.raises(ValueError, match="already exists"):
        run_emotion(EmotionSource(fer_csv, "csv"), run_dir, log=lambda _: None)


def test_the_command_line_teaches_and_checks_its_flags(capsys):
    parser = argparse.ArgumentParser(prog="python -m training")
    cli.add_commands(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["emotion", "--help"])
    text = capsys.readouterr().out
    assert "emotion,pixels,Usage" in text and "--no-mirror" in text and "emotion.keras" in text
    assert "--learning-rate LEARNING_RATE" in text and "(default: 0.001)" in text
    with pytest.raises(SystemExit):
        parser.parse_args(["emotion", "--epochs", "3"])  # neither --csv nor --folders
    assert "one of the arguments --csv --folders is required" in capsys.readouterr().err
    with pytest.raises(ValueError, match="--val-fraction must be between 0 and 1"):
        EmotionConfig(val_fraction=1.5)


def test_load_emotion_describes_the_trained_model(trained):
    run_dir, report, _ = trained
    bm = load_emotion(run_dir / "emotion.keras")
    assert bm.name == "emotion" and bm.input_shape == (None, 64, 64, 3) and bm.outputs == ("probabilities",)
    assert bm.info["labels"] == list(spec.EMOTION_LABELS) and bm.info["crop"] == spec.as_dict(spec.EMOTION_CROP)
    assert bm.info["provenance"] == {"source": "trained with `python -m training emotion` (synthetic)",
                                     "weights": "emotion.keras", "data": report["data"]["source"],
                                     "training_report": report["accuracy"]}


@pytest.mark.parametrize("shape, classes, found", [
    ((48, 48, 3), 7, "takes (None, 48, 48, 3) and returns (None, 7)"),
    ((64, 64, 3), 5, "takes (None, 64, 64, 3) and returns (None, 5)"),
])
def test_load_emotion_refuses_a_model_of_the_wrong_shape(tmp_path, shape, classes, found):
    inputs = keras.Input(shape)
    model = keras.Model(inputs, keras.layers.Dense(classes, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(inputs)))
    path = tmp_path / "wrong.keras"
    model.save(path)
    with pytest.raises(ModelError) as err:
        load_emotion(path)
    assert str(err.value) == (f"emotion model {path} {found}; an emotion model must take (None, 64, 64, 3) RGB "
                              "crops and return (None, 7) probabilities.")


@pytest.mark.slow
def test_the_trained_model_exports_as_the_bundles_emotion_model(trained, tmp_path):
    from converter.export import export_bundle
    from facepack.manifest import Manifest

    run_dir, report, _ = trained
    result = export_bundle(tmp_path / "bundle", emotion=run_dir / "emotion.keras", only=("emotion",),
                           backends=("cpu",), log=lambda _: None)
    assert result.passed
    entry = Manifest.read(tmp_path / "bundle").models["emotion"]
    assert entry.provenance["source"] == "trained with `python -m training emotion` (synthetic)"
    assert entry.provenance["training_report"] == report["accuracy"]
    assert entry.folding["batchnorm_left"] == 0


DETECTOR_SCUT = Path(__file__).resolve().parents[1] / "data" / "detector-scut"
NODE_PHOTOS = ("sample1.jpg", "one-face-small.png")


@pytest.fixture(scope="module")
def trained_bundle(trained, tmp_path_factory):
    """A bundle of trained models: tests/data/detector-scut's nets and this module's emotion run,
    exported from a copy of the run's model (which the tests below may change)."""
    from converter.export import export_bundle

    run_dir, _, _ = trained
    folder = tmp_path_factory.mktemp("trained-models")
    model = folder / "emotion.keras"
    shutil.copy2(run_dir / "emotion.keras", model)
    out = folder / "bundle"
    assert export_bundle(out, detector=DETECTOR_SCUT, emotion=model, backends=("cpu",), log=lambda _: None).passed
    return out, model


@pytest.mark.slow
def test_a_bundle_of_trained_models_has_its_python_reference_and_node_gives_its_answers(trained_bundle, tmp_path):
    """ReferencePipeline.from_bundle runs the originals the bundle came from: the run's nets with
    the ONet passes it chose, and the trained emotion model; Node analyses as it does."""
    from facepack.detect import detector_spec
    from facepack.images import load_image
    from facepack.parity.bounds import compare_faces
    from facepack.pipeline import ReferencePipeline
    from tests.support.cli import facepack_cli
    from tests.support.photos import all_photos

    bundle, model = trained_bundle
    reference = ReferencePipeline.from_bundle(bundle)
    assert reference.detector.spec == detector_spec(DETECTOR_SCUT)
    crops = np.random.default_rng(1).uniform(0, 255, (3, 64, 64, 3)).astype(np.float32)
    np.testing.assert_array_equal(reference.emotions(crops), load_emotion(model).model(crops, training=False))
    photos = {name: data for name, data in all_photos() if name in NODE_PHOTOS}
    for name, data in photos.items():
        (tmp_path / name).write_bytes(data)
    out = facepack_cli("analyze", *[tmp_path / n for n in NODE_PHOTOS], "--bundle", bundle, "--json")
    assert out.returncode == 0, out.stderr[-2000:]
    for record in json.loads(out.stdout):
        name = Path(record["photo"]).name
        python = [r.as_dict() for r in reference.analyze(load_image(photos[name], name))]
        assert python, name
        problems, _ = compare_faces(python, record["faces"], who="Node")
        assert not problems, f"{name}:\n  " + "\n  ".join(problems)


@pytest.mark.slow
def test_a_bundle_whose_originals_are_gone_or_changed_has_no_python_reference(trained_bundle, tmp_path):
    from facepack.pipeline import NoReferenceError, ReferencePipeline
    from tests.support.cli import run_module

    bundle, model = trained_bundle
    original = model.read_bytes()
    try:
        model.write_bytes(original + b"\0")
        with pytest.raises(NoReferenceError, match=r"models\.emotion: its source .*emotion\.keras has changed since "
                                                   r"the bundle was exported .*export it again"):
            ReferencePipeline.from_bundle(bundle)
        model.unlink()
        with pytest.raises(NoReferenceError, match=r"models\.emotion: its source .*emotion\.keras is gone"):
            ReferencePipeline.from_bundle(bundle)
        out = run_module("facepack", "analyze", DETECTOR_SCUT / "report.json", "--bundle", bundle)
        assert out.returncode == 2 and "is gone" in out.stderr, out.stderr[-2000:]
    finally:
        model.write_bytes(original)
    ReferencePipeline.from_bundle(bundle)  # whole again


@pytest.mark.slow
def test_a_bundle_of_some_models_only_has_no_python_reference(trained, tmp_path):
    from converter.export import export_bundle
    from facepack.pipeline import NoReferenceError, ReferencePipeline

    export_bundle(tmp_path / "bundle", emotion=trained[0] / "emotion.keras", only=("emotion",), backends=("cpu",),
                  log=lambda _: None)
    with pytest.raises(NoReferenceError, match="has no pnet, rnet, onet, scorer model.*export it without --only"):
        ReferencePipeline.from_bundle(tmp_path / "bundle")
