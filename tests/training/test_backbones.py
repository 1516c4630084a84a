"""The scorer's backbones build as valid scorers, alone and together; facerank-cnn trains end to end."""

from __future__ import annotations

import numpy as np
import pytest

from facepack.models import check_scorer_shapes
from facepack.models import scorer as scorer_module
from facepack.models.scorer import BACKBONES, ScorerArchitecture, build_branch, build_scorer
from training.scorer.run import run_fit


@pytest.mark.parametrize("backbone, size", [("faceapi-resnet29", 150), ("human-faceres", 224), ("facerank-cnn", 128)])
def test_backbones_make_scorers_the_bundle_accepts(backbone, size):
    model, _ = build_branch(backbone)
    assert check_scorer_shapes(model, backbone) == BACKBONES[backbone].input_size == size
    first = BACKBONES[backbone].finetune_from
    assert first is None or model.get_layer(first)  # training can cut the branch there


def test_a_mirrored_ensemble_averages_its_branches_over_the_crop_and_its_mirror_image():
    arch = ScorerArchitecture(("faceapi-resnet29", "human-faceres"), (0.25, 0.75), mirror=True, input_size=160)
    ensemble = build_scorer(arch)
    assert check_scorer_shapes(ensemble, "ensemble") == 160
    x = np.random.default_rng(0).uniform(0, 255, (2, 160, 160, 3)).astype("float32")
    got = ensemble.predict(x, verbose=0)
    branches = [build_branch(b, 160, seed=scorer_module.DEFAULT_SCORER_SEED)[0] for b in arch.branches]
    want = sum(w * (m.predict(x, verbose=0) + m.predict(x[:, :, ::-1], verbose=0)) / 2
               for w, m in zip(arch.weights, branches, strict=True))
    np.testing.assert_allclose(got, want, atol=1e-5)
    np.testing.assert_allclose(got.sum(1), 1, atol=1e-5)


def test_bad_architectures_are_refused():
    with pytest.raises(ValueError, match="branches must be among"):
        ScorerArchitecture(("vgg",), (1.0,))
    with pytest.raises(ValueError, match="summing to 1"):
        ScorerArchitecture(("faceapi-resnet29", "human-faceres"), (0.5, 0.6))
    with pytest.raises(ValueError, match="backbone must be one of"):
        build_branch("vgg")


@pytest.mark.slow
def test_resnet50_without_imagenet_weights_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr("facepack.models.scorer.architecture.RESNET50_CACHE", tmp_path / "absent.h5")
    model, note = build_branch("resnet50")
    assert check_scorer_shapes(model, "resnet50") == 224 and "trained from scratch" in note


@pytest.mark.slow
def test_facerank_cnn_trains_from_scratch_and_lowers_the_loss(tiny_scut, tmp_path):
    config = {"backbone": "facerank-cnn", "stage2_epochs": 4, "patience": 10, "batch_size": 8,
              "val_fraction": 0.2, "views": 0}
    run_dir, report = run_fit(tiny_scut, tmp_path / "cache", tmp_path / "run", config, log=lambda _: None)
    history = report["folds"][0]["history"]
    assert list(history) == ["stage2"]  # nothing pretrained: one stage, the whole model
    assert history["stage2"]["loss"][-1] < history["stage2"]["loss"][0]
    assert (run_dir / "scorer.keras").is_file()
