"""Crop caching, the two-stage fit, its run folder, and evaluate, on the tiny generated dataset."""

from __future__ import annotations

import json

import keras
import pytest

from facepack import spec
from tests.support.cli import run_module
from training.dataset import ScutFbp5500
from training.scorer import crops as crops_module
from training.scorer.config import FitConfig
from training.scorer.run import evaluate_model, run_fit

pytestmark = pytest.mark.slow
FAST = {"stage1_epochs": 6, "stage2_epochs": 3, "patience": 10, "batch_size": 8, "val_fraction": 0.2, "views": 2}


def test_crops_are_cached_and_faceless_images_reported(tiny_scut, tmp_path, monkeypatch):
    ds = ScutFbp5500(tiny_scut)
    first = crops_module.crop_all(ds, ds.all_samples(), tmp_path, progress=False)
    assert first.no_face == ["CM99.jpg"]
    assert len(first.names) == 24 and first.crops.shape == (24, 150, 150, 3)
    assert first.crops.dtype == "uint8" and first.crops.std() > 10

    class NoDetector:
        def __init__(self):
            raise AssertionError("the second run must not detect again")

    monkeypatch.setattr(crops_module, "Detector", NoDetector)
    second = crops_module.crop_all(ds, ds.all_samples(), tmp_path, progress=False)
    assert second.names == first.names and (second.crops == first.crops).all()


def test_a_corrupt_image_is_named_and_no_crops_are_written(tiny_scut, tmp_path):
    import shutil

    from training.dataset import DatasetError

    copy = tmp_path / "scut"
    shutil.copytree(tiny_scut, copy)
    (copy / "Images" / "CF5.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    ds = ScutFbp5500(copy)
    with pytest.raises(DatasetError, match="CF5.jpg is not a readable image"):
        crops_module.crop_all(ds, ds.all_samples(), tmp_path / "cache", progress=False)
    assert not list((tmp_path / "cache").glob("crops-*"))  # no crops were written for a bad set


@pytest.fixture(scope="module")
def tiny_run(tiny_scut, tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    run_dir, report = run_fit(tiny_scut, root / "cache", root / "run", FAST, log=lambda _: None)
    return run_dir, report, root / "cache"


def test_two_stage_fit_lowers_the_loss(tiny_run):
    _, report, _ = tiny_run
    history = report["folds"][0]["history"]
    assert set(history) == {"stage1", "stage2"}
    assert history["stage1"]["loss"][-1] < history["stage1"]["loss"][0]
    assert history["stage2"]["loss"][-1] < history["stage1"]["loss"][0]


def test_run_folder_holds_model_config_report_and_plots(tiny_run):
    run_dir, report, _ = tiny_run
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "config.json", "histogram.png", "loss.png", "report.json", "scatter.png", "scorer.keras"]
    assert not run_dir.with_name(run_dir.name + ".partial").exists()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["fit"] == {**FitConfig().__dict__, **FAST}
    assert config["crop"]["anchor"] == "landmarks" and config["crop"]["rotate"] == spec.SCORER_CROP.rotate
    assert config["detector"]["min_face_size"] == 20 and config["augmentation"]["views"]["max_roll"] == 40
    fold = json.loads((run_dir / "report.json").read_text())["folds"][0]
    assert fold["no_face"] == ["CM99.jpg"] and fold["n_test"] == 9  # CM99 is in the test split
    # 12 training photos: clean + mirror each, and up to 2 views each where the detector found the face
    assert fold["n_train"] == 12 and 24 < fold["n_train_crops"] <= 48
    for decoding in ("expected", "argmax"):
        assert set(fold["metrics"][decoding]) == {"overall", "AF", "AM", "CF", "CM"}
        assert set(fold["metrics"][decoding]["overall"]) == {"pc", "mae", "rmse", "n"}
    assert set(fold["seconds"]) == {"stage1", "stage2", "test"}
    assert len(fold["predictions"]) == 9 and report["no_face"] == ["CM99.jpg"]


def test_evaluate_reproduces_the_reported_test_figures(tiny_run, tiny_scut):
    run_dir, report, cache = tiny_run
    result = evaluate_model(str(run_dir / "scorer.keras"), tiny_scut, cache)
    reported = report["folds"][0]["metrics"]
    for decoding in ("expected", "argmax"):
        for key in ("pc", "mae", "rmse"):
            assert result["metrics"][decoding]["overall"][key] == pytest.approx(reported[decoding]["overall"][key],
                                                                              abs=1e-6)


def test_saved_scorer_exports_as_a_bundle_scorer(tiny_run, tmp_path):
    from converter.export import export_bundle

    run_dir, _, _ = tiny_run
    assert keras.models.load_model(run_dir / "scorer.keras").output_shape == (None, 101)
    report = export_bundle(tmp_path / "b", scorer=run_dir / "scorer.keras", only=["scorer"], log=lambda _: None)
    assert report.passed


@pytest.mark.parametrize("mirror", [False, True])
def test_ship_stores_float16_layers_that_rebuild_the_trained_model(tiny_run, tiny_scut, tmp_path, mirror):
    import numpy as np

    from facepack.models import build_default_scorer
    from facepack.models.uint8_grid import on_uint8_grid
    from training.scorer.run import ship_runs

    run_dir, report, cache = tiny_run
    card = ship_runs([run_dir], tiny_scut, cache, mirror=mirror, dest=tmp_path, log=lambda _: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.json", "faceapi_frozen-weights_manifest.json",
                                                           "faceapi_frozen.bin", "faceapi_frozen.source.json",
                                                           "weights.npz"]
    frozen = json.loads((tmp_path / "faceapi_frozen.source.json").read_text())
    assert not set(frozen["layers"]) & {layer.split(".")[0] for layer in card["layers"]}  # trained ones in weights.npz
    assert card["layers"][0] == "conv256_down.conv1" and card["layers"][-1] == "head.faceapi-resnet29"
    assert card["architecture"] == {"branches": ["faceapi-resnet29"], "weights": [1.0], "mirror": mirror,
                                    "input_size": 150}
    with np.load(tmp_path / "weights.npz") as stored:
        kernels = [k for k in stored.files if k.endswith(":q")]
        assert kernels and all(stored[k].dtype == np.uint8 and stored[k].ndim == 4 for k in kernels)
        rest = [k for k in stored.files if ":" not in k]
        assert {stored[k].dtype for k in rest} == {np.dtype("float16")}
    with np.load(tmp_path / "weights.npz") as stored:  # uint8 exactly where ship chose it
        assert sorted(k.split("/")[0] for k in stored.files if k.endswith(":q")) == sorted(card["uint8_kernels"])
        assert card["stored_values"]["uint8"] == sum(stored[k].size for k in stored.files if k.endswith(":q"))
    assert len(card["reference"]["points"]) == 10 and card["reference"]["points"] == sorted(card["reference"]["points"])
    shipped = build_default_scorer(tmp_path / "weights.npz", tmp_path / "card.json")
    trained = keras.models.load_model(run_dir / "scorer.keras")
    for layer in trained.layers:  # what ship stores: the trained kernels on their uint8 grid
        if layer.name in card["uint8_kernels"]:
            kernel, bias = layer.get_weights()
            layer.set_weights([on_uint8_grid(kernel), bias])
    x = np.random.default_rng(0).uniform(0, 255, (2, 150, 150, 3)).astype("float32")
    want = trained.predict(x, verbose=0)
    if mirror:
        want = (want + trained.predict(x[:, :, ::-1], verbose=0)) / 2
    np.testing.assert_allclose(shipped.predict(x, verbose=0), want, atol=2e-3)
    if not mirror:
        reported = report["folds"][0]["metrics"]["expected"]["overall"]
        assert card["test_metrics"]["expected"]["overall"]["mae"] == pytest.approx(reported["mae"], abs=0.01)


def test_ship_refuses_runs_it_cannot_rebuild(tiny_run, tiny_scut, tmp_path):
    from training.scorer.run import ship_runs

    run_dir, _, cache = tiny_run
    with pytest.raises(ValueError, match="its own backbone"):
        ship_runs([run_dir, run_dir], tiny_scut, cache, dest=tmp_path)
    config = json.loads((run_dir / "config.json").read_text())
    unaligned = tmp_path / "unaligned"
    unaligned.mkdir()
    (unaligned / "report.json").write_text((run_dir / "report.json").read_text())
    (unaligned / "config.json").write_text(json.dumps({**config, "crop": {**config["crop"], "rotate": "none"}}))
    with pytest.raises(ValueError, match="crops unlike facepack.spec.SCORER_CROP"):
        ship_runs([unaligned], tiny_scut, cache, dest=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_existing_run_folder_is_never_overwritten(tiny_run, tiny_scut):
    run_dir, _, cache = tiny_run
    with pytest.raises(ValueError, match="already exists"):
        run_fit(tiny_scut, cache, run_dir, FAST, log=lambda _: None)


def test_cli_evaluate_reports_the_run_figures(tiny_run, tiny_scut):
    """The CLI's default is the shipped pipeline (no mirror averaging): it must match the report."""
    run_dir, report, cache = tiny_run
    out = run_module("training", "evaluate", run_dir / "scorer.keras", "--data", tiny_scut, "--cache", cache)
    assert out.returncode == 0, out.stderr
    mae = report["folds"][0]["metrics"]["expected"]["overall"]["mae"]
    assert f"MAE {mae:.4f}" in out.stdout


def test_cli_help_and_bad_data_path(tmp_path):
    out = run_module("training", "fit", "--help")
    assert out.returncode == 0 and "--label-sigma" in out.stdout and "--backbone" in out.stdout
    bad = run_module("training", "fit", "--label-sigma", "wide", "--data", tmp_path)
    assert bad.returncode == 2 and "--label-sigma: invalid float value: 'wide'" in bad.stderr
    bad = run_module("training", "crop", "--data", tmp_path)
    assert bad.returncode == 2 and "needs Images/ and train_test_files/" in bad.stderr


def test_an_interrupted_run_leaves_no_run_folder_and_resumes_without_training_again(tiny_scut, tmp_path,
                                                                                   monkeypatch):
    from training.scorer import run as run_module

    real_fit_fold = run_module.fit_fold

    def interrupted(*args, **kwargs):
        model, report = real_fit_fold(*args, **kwargs)
        raise KeyboardInterrupt  # Ctrl+C after training, before the fold is saved

    monkeypatch.setattr(run_module, "fit_fold", interrupted)
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run_fit(tiny_scut, tmp_path / "cache", run_dir, FAST, log=lambda _: None)
    assert not run_dir.exists()  # no half run that looks complete
    partial = tmp_path / "run.partial"  # kept: both stages' checkpoints are in it (training.common.run_folder)
    assert sorted(p.name for p in (partial / "checkpoints").iterdir()) == ["split60-stage1.npz", "split60-stage2.npz"]
    monkeypatch.setattr(run_module, "fit_fold", real_fit_fold)
    with pytest.raises(ValueError, match="continue it with --resume"):
        run_fit(tiny_scut, tmp_path / "cache", run_dir, FAST, log=lambda _: None)
    _, report = run_fit(tiny_scut, tmp_path / "cache", run_dir, FAST, log=lambda _: None, resume=True)
    epochs = {stage: len(h["loss"]) for stage, h in report["folds"][0]["history"].items()}
    assert report["folds"][0]["resumed_after_epoch"] == epochs  # both stages read, neither trained again
    assert (run_dir / "scorer.keras").is_file() and (run_dir / "report.json").is_file()
    assert not partial.exists() and not (run_dir / "checkpoints").exists()
    keras.models.load_model(run_dir / "scorer.keras", compile=False)


def test_ship_keeps_a_kernel_float16_when_uint8_would_move_the_scores():
    import numpy as np

    from training.scorer.run import _uint8_kernels

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, name="plain")(inputs)
    x = keras.layers.Conv2D(4, 1, name="outlier")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(101, activation="softmax", name="head")(x))
    rng = np.random.default_rng(0)
    model.get_layer("plain").set_weights([rng.normal(0, 0.05, (3, 3, 3, 4)).astype("float32"), np.zeros(4, "float32")])
    wide = rng.normal(0, 0.1, (1, 1, 4, 4)).astype("float32")
    wide[0, 0, 0, 0] = 60.0  # one large value: on its uint8 grid (step about 0.24) the others round off
    model.get_layer("outlier").set_weights([wide, np.zeros(4, "float32")])
    head = rng.normal(0, 30, (4, 101)).astype("float32")
    head[0] = 0  # the scores hang on the small weights only
    model.get_layer("head").set_weights([head, np.zeros(101, "float32")])
    tail = [model.get_layer(n) for n in ("plain", "outlier", "head")]
    x_val = rng.uniform(0, 1, (16, 8, 8, 3)).astype("float32")
    assert _uint8_kernels(model, tail, x_val, log=lambda _: None) == ["plain"]
