"""The three backbones build as valid scorers; facerank-cnn trains end to end on the tiny set."""

from __future__ import annotations

import pytest

from facepack.models import check_scorer_shapes
from training.model import BACKBONES, build_scorer
from training.run import run_fit


@pytest.mark.parametrize("backbone, size, finetune_from", [
    ("faceres", 150, "conv256_down.conv1"), ("facerank-cnn", 128, None)])
def test_backbones_make_scorers_the_bundle_accepts(backbone, size, finetune_from):
    scorer = build_scorer(backbone)
    assert check_scorer_shapes(scorer.model, backbone) == scorer.input_size == size
    assert scorer.finetune_from == finetune_from


@pytest.mark.slow
def test_resnet50_without_imagenet_weights_says_so_and_trains_whole(tmp_path, monkeypatch):
    import training.model as model_module

    monkeypatch.setattr(model_module, "RESNET50_CACHE", tmp_path / "absent.h5")
    scorer = build_scorer("resnet50")
    assert check_scorer_shapes(scorer.model, "resnet50") == 224
    assert scorer.finetune_from is None and "trained from scratch" in scorer.note


def test_unknown_backbone_is_refused():
    with pytest.raises(ValueError, match="backbone must be one of"):
        build_scorer("vgg")
    assert BACKBONES == ("faceres", "resnet50", "facerank-cnn")


@pytest.mark.slow
def test_facerank_cnn_trains_from_scratch_and_lowers_the_loss(tiny_scut, tmp_path):
    config = {"backbone": "facerank-cnn", "stage2_epochs": 4, "patience": 10, "batch_size": 8,
              "val_fraction": 0.2}
    run_dir, report = run_fit(tiny_scut, tmp_path / "cache", tmp_path / "run", config, log=lambda _: None)
    history = report["folds"][0]["history"]
    assert list(history) == ["stage2"]  # nothing pretrained: one stage, the whole model
    assert history["stage2"]["loss"][-1] < history["stage2"]["loss"][0]
    assert (run_dir / "scorer.keras").is_file()
