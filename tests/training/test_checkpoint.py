"""Training that resumes (training.checkpoint, training.common.run_folder): a fit killed after any
epoch continues from its checkpoint and ends on the weights an uninterrupted fit ends on; the
scorer's `fit` resumes mid-stage after a SIGKILL, and a 5-fold run after its second fold.

The tolerance is stated once: a resumed fit's weights and losses equal the uninterrupted fit's
within RESUME_ATOL (measured here: identical, 0.0; the same batches in the same order, the
optimizer's moments, the seed generators and the callbacks' counters are all restored).
"""

from __future__ import annotations

import json
import sys

import keras
import numpy as np
import pytest

from tests.support.cli import kill_module_when, run_module
from training.checkpoint import EpochBatches, fit_resumable, read_checkpoint
from training.common import run_folder

RESUME_ATOL = 1e-6


class Interrupt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt at the end of epoch `at` (1-based), before that epoch's checkpoint:
    as a kill during epoch `at` + ... would leave it, the checkpoint holds `at` - 1 epochs."""

    def __init__(self, at: int):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.at:
            raise KeyboardInterrupt


def toy_fit(checkpoint, interrupt_at: int | None = None, epochs: int = 40):
    """A small regression with dropout, early stopping and a plateau schedule: every kind of state
    a resume must carry. Returns (model, fit_resumable's result), or None when interrupted."""
    keras.utils.set_random_seed(1)
    inputs = keras.Input((8,))
    x = keras.layers.Dropout(0.3)(keras.layers.Dense(16, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(x))
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    rng = np.random.default_rng(0)
    x_all = rng.normal(size=(200, 8)).astype("float32")
    y_all = x_all.sum(axis=1, keepdims=True)
    callbacks = [keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True),
                 keras.callbacks.ReduceLROnPlateau(patience=1)]
    if interrupt_at is not None:
        callbacks.append(Interrupt(interrupt_at))
    try:
        result = fit_resumable(model, EpochBatches(x_all, y_all, 16, seed=5), (x_all[:50], y_all[:50]), epochs,
                               checkpoint, callbacks, log=lambda _: None)
    except KeyboardInterrupt:
        return None
    return model, result


def assert_same_fit(a, b) -> None:
    (model_a, result_a), (model_b, result_b) = a, b
    for wa, wb in zip(model_a.get_weights(), model_b.get_weights(), strict=True):
        np.testing.assert_allclose(wb, wa, rtol=0, atol=RESUME_ATOL)
    assert result_a["history"].keys() == result_b["history"].keys()
    for key in result_a["history"]:
        np.testing.assert_allclose(result_b["history"][key], result_a["history"][key], rtol=0, atol=RESUME_ATOL)


@pytest.mark.parametrize("interrupt_at", [1, 4, 6])
def test_a_fit_interrupted_after_any_epoch_resumes_to_the_uninterrupted_weights(tmp_path, interrupt_at):
    whole = toy_fit(tmp_path / "whole.npz")
    assert len(whole[1]["history"]["loss"]) < 40  # early stopping ended it: its state is carried too
    assert toy_fit(tmp_path / "cut.npz", interrupt_at=interrupt_at) is None
    saved = read_checkpoint(tmp_path / "cut.npz")
    if interrupt_at == 1:
        assert saved is None  # killed in the first epoch: nothing to resume, it starts again
    else:
        assert saved["state"]["epochs_done"] == interrupt_at - 1 and not saved["state"]["ended"]
    resumed = toy_fit(tmp_path / "cut.npz")
    assert resumed[1]["resumed_at"] == (None if interrupt_at == 1 else interrupt_at - 1)
    assert_same_fit(whole, resumed)


class InterruptAtTheEnd(keras.callbacks.Callback):
    """Raises KeyboardInterrupt as training ends: after early stopping's last epoch was
    checkpointed, before the checkpoint that says training ended."""

    def on_train_end(self, logs=None):
        raise KeyboardInterrupt


def test_a_fit_killed_after_early_stopping_asked_to_stop_ends_on_its_best_weights(tmp_path, monkeypatch):
    whole = toy_fit(tmp_path / "whole.npz")
    import training.checkpoint as checkpoint_module

    real = checkpoint_module.fit_resumable

    def ending_badly(model, batches, validation, epochs, checkpoint, callbacks, log):
        return real(model, batches, validation, epochs, checkpoint, [*callbacks, InterruptAtTheEnd()], log)

    monkeypatch.setattr(sys.modules[__name__], "fit_resumable", ending_badly)
    assert toy_fit(tmp_path / "cut.npz") is None
    state = read_checkpoint(tmp_path / "cut.npz")["state"]
    assert state["stopping"] and not state["ended"]
    monkeypatch.setattr(sys.modules[__name__], "fit_resumable", real)
    resumed = toy_fit(tmp_path / "cut.npz")  # nothing left to train: the best epoch's weights
    assert_same_fit(whole, resumed)


def test_a_fit_that_had_ended_only_restores_its_final_weights(tmp_path):
    first = toy_fit(tmp_path / "c.npz")
    stamp = (tmp_path / "c.npz").stat().st_mtime_ns
    again = toy_fit(tmp_path / "c.npz")  # nothing left to train
    assert (tmp_path / "c.npz").stat().st_mtime_ns == stamp
    assert again[1]["resumed_at"] == len(first[1]["history"]["loss"])
    assert_same_fit(first, again)


def test_another_models_checkpoint_is_refused_by_name(tmp_path):
    toy_fit(tmp_path / "c.npz")
    inputs = keras.Input((8,))
    other = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    other.compile("adam", "mse")
    with pytest.raises(ValueError, match="it is another model's"):
        fit_resumable(other, EpochBatches(np.zeros((4, 8)), np.zeros((4, 3)), 2, 0), None, 3,
                      tmp_path / "c.npz", [], log=lambda _: None)


def test_each_epochs_batches_depend_on_the_seed_and_the_epoch_only():
    x, y = np.arange(20)[:, None], np.arange(20)
    fresh = EpochBatches(x, y, 6, seed=3)
    fresh.start(2)  # as a fit from epoch 0 reaches epoch 2
    epoch2 = [fresh[i][1].tolist() for i in range(len(fresh))]
    later = EpochBatches(x, y, 6, seed=3, epoch=2)
    assert [later[i][1].tolist() for i in range(len(later))] == epoch2
    assert sorted(sum(epoch2, [])) == list(range(20)) and len(later) == 4
    later.start(3)
    assert [later[i][1].tolist() for i in range(len(later))] != epoch2
    assert EpochBatches(x, y, 6, seed=4, epoch=2)[0][1].tolist() != epoch2[0]


# --------------------------------------------------------------------------- run folders
def test_an_interrupted_run_with_checkpoints_keeps_its_partial_folder_for_resume(tmp_path):
    run_dir = tmp_path / "r1"
    with pytest.raises(KeyboardInterrupt):
        with run_folder(run_dir) as partial:
            (partial / "checkpoints").mkdir()
            (partial / "checkpoints" / "fold-stage1.npz").write_text("epoch 3")
            raise KeyboardInterrupt
    assert not run_dir.exists() and (tmp_path / "r1.partial" / "checkpoints" / "fold-stage1.npz").is_file()
    with pytest.raises(ValueError, match="holds the checkpoints of an interrupted run: continue it with --resume"):
        with run_folder(run_dir):
            raise AssertionError("the block must not run")
    with run_folder(run_dir, resume=True) as partial:
        assert (partial / "checkpoints" / "fold-stage1.npz").read_text() == "epoch 3"
        (partial / "report.json").write_text("{}")
    assert sorted(p.name for p in run_dir.iterdir()) == ["report.json"]  # the checkpoints are gone
    assert not (tmp_path / "r1.partial").exists()


def test_resuming_a_run_that_is_not_there_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"nothing to resume: .*r1.partial does not exist"):
        with run_folder(tmp_path / "r1", resume=True):
            raise AssertionError("the block must not run")
    assert list(tmp_path.iterdir()) == []


def test_a_resume_with_other_settings_data_or_versions_is_refused_by_name(tmp_path):
    from training.common import check_resumable, write_json

    stored = {"fit": {"epochs": 3, "rate": 0.5}, "data": "a.csv", "versions": {"keras": "3.15.1", "mtcnn": "1.0"}}
    write_json(tmp_path / "config.json", stored)
    check_resumable(tmp_path, {**stored, "versions": {"keras": "3.15.1", "mtcnn": "1.1"}}, "fit")  # mtcnn: not kept
    for record, message in [
        ({**stored, "fit": {"epochs": 4, "rate": 0.5}}, "--epochs is 3 in the interrupted run, 4 now"),
        ({**stored, "data": "b.csv"}, "its data differs from this code's or data's"),
        ({**stored, "versions": {"keras": "3.16.0", "mtcnn": "1.0"}},
         "it was started with keras 3.15.1, this is 3.16.0"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_resumable(tmp_path, record, "fit")


# ------------------------------------------------------------------ the scorer's fit, resumed
SLOW_STAGE = {"stage1_epochs": 40, "stage2_epochs": 2, "patience": 40, "batch_size": 4, "val_fraction": 0.2,
              "views": 0}


def fit_flags(config: dict) -> list[str]:
    return [arg for key, value in config.items() for arg in (f"--{key.replace('_', '-')}", str(value))]


@pytest.mark.slow
def test_fit_killed_mid_stage_resumes_to_the_uninterrupted_runs_report(tiny_scut, tmp_path):
    """`python -m training fit` is SIGKILLed once stage 1 has checkpointed an epoch, then resumed with
    --resume --name; its report equals an uninterrupted run's (same config, same cache)."""
    from training.__main__ import build_parser
    from training.scorer.cli import cmd_fit
    from training.scorer.run import run_fit

    cache = tmp_path / "cache"
    _, whole = run_fit(tiny_scut, cache, tmp_path / "runs" / "whole", SLOW_STAGE, log=lambda _: None)
    args = ["--data", tiny_scut, "--cache", cache, "--runs", tmp_path / "runs", "--name", "cut"]
    checkpoint = tmp_path / "runs" / "cut.partial" / "checkpoints" / "split60-stage1.npz"
    kill_module_when(checkpoint, "training", "fit", *args, *fit_flags(SLOW_STAGE))
    done = read_checkpoint(checkpoint)["state"]
    assert 1 <= done["epochs_done"] < SLOW_STAGE["stage1_epochs"] and not done["ended"]  # killed mid-stage
    assert not (tmp_path / "runs" / "cut").exists()

    parser = build_parser()  # the refusals come before any training: run in this process
    with pytest.raises(ValueError, match="continue it with --resume --name cut"):
        cmd_fit(parser.parse_args(["fit", *map(str, args), *fit_flags(SLOW_STAGE)]))
    with pytest.raises(ValueError, match="--stage2-epochs is 2 in the interrupted run, 5 now"):
        cmd_fit(parser.parse_args(["fit", *map(str, args), "--resume", "--stage2-epochs", "5"]))
    out = run_module("training", "fit", *args, "--resume")  # the interrupted run's settings
    assert out.returncode == 0, out.stderr
    resumed = json.loads((tmp_path / "runs" / "cut" / "report.json").read_text())
    assert not (tmp_path / "runs" / "cut.partial").exists()
    assert "checkpoints" not in {p.name for p in (tmp_path / "runs" / "cut").iterdir()}
    (a,), (b,) = whole["folds"], resumed["folds"]
    assert b["resumed_after_epoch"] == {"stage1": done["epochs_done"]} and a["resumed_after_epoch"] == {}
    for stage in ("stage1", "stage2"):
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(b["history"][stage][key], a["history"][stage][key], rtol=0, atol=RESUME_ATOL)
    np.testing.assert_allclose([p["expected"] for p in b["predictions"]], [p["expected"] for p in a["predictions"]],
                               rtol=0, atol=1e-4)  # rounded to 4 decimals in the report
    assert b["metrics"]["expected"]["overall"]["pc"] == pytest.approx(a["metrics"]["expected"]["overall"]["pc"],
                                                                      abs=RESUME_ATOL)


@pytest.mark.slow
def test_a_5_fold_run_resumed_after_its_second_fold_trains_only_the_rest(tiny_scut, tmp_path, monkeypatch):
    from training.scorer import run as run_module_

    # stage 1 only, 3 epochs: what is resumed here is the folds, not a stage
    config = {**SLOW_STAGE, "protocol": "cv5", "stage1_epochs": 3, "stage2_epochs": 0, "patience": 3}
    cache = tmp_path / "cache"
    _, whole = run_module_.run_fit(tiny_scut, cache, tmp_path / "whole", config, log=lambda _: None)

    real_fit_fold, trained = run_module_.fit_fold, []

    def second_fold_then_stop(fold, *args, **kwargs):
        if len(trained) == 2:
            raise KeyboardInterrupt  # Ctrl+C as the third fold begins
        trained.append(fold.name)
        return real_fit_fold(fold, *args, **kwargs)

    monkeypatch.setattr(run_module_, "fit_fold", second_fold_then_stop)
    with pytest.raises(KeyboardInterrupt):
        run_module_.run_fit(tiny_scut, cache, tmp_path / "cut", config, log=lambda _: None)
    partial = tmp_path / "cut.partial"
    assert sorted(p.name for p in (partial / "checkpoints").glob("*.json")) == ["cv5-1.json", "cv5-2.json"]
    first_two = [json.loads((partial / "checkpoints" / f"cv5-{k}.json").read_text()) for k in (1, 2)]

    trained.clear()
    monkeypatch.setattr(run_module_, "fit_fold", lambda fold, *a, **k: trained.append(fold.name) or
                        real_fit_fold(fold, *a, **k))
    _, resumed = run_module_.run_fit(tiny_scut, cache, tmp_path / "cut", config, log=lambda _: None, resume=True)
    assert trained == ["cv5-3", "cv5-4", "cv5-5"]  # the first two folds are read, not trained again
    assert resumed["folds"][:2] == first_two
    assert sorted(p.name for p in (tmp_path / "cut").glob("scorer-*.keras")) == [
        f"scorer-cv5-{k}.keras" for k in range(1, 6)]
    def figures(report):  # argmax on 5 test photos can be constant: its PC is nan, on both sides alike
        return [report["summary"][d][k][stat] for d in ("expected", "argmax") for k in ("pc", "mae", "rmse")
                for stat in ("mean", "std")]

    np.testing.assert_allclose(figures(resumed), figures(whole), rtol=0, atol=RESUME_ATOL)
    assert not np.isnan(figures(whole)[:6]).any()  # the expected score's figures are real numbers
