"""The default scorer built from its stored frozen backbone tensors is the one built from npm's face-api, exactly."""

from __future__ import annotations

import json

import numpy as np

from facepack.models.scorer import ScorerArchitecture, build_scorer, default_card, set_stored_weights
from facepack.models.scorer.default import (
    DEFAULT_SCORER_DIR,
    DEFAULT_WEIGHTS,
    FROZEN_FACEAPI_SOURCE,
    build_default_scorer,
    store_frozen_faceapi,
)


def test_the_default_scorer_has_the_weights_and_outputs_it_has_when_read_from_npm():
    stored = build_default_scorer()
    from_npm = build_scorer(ScorerArchitecture.from_dict(default_card()["architecture"]))  # backbones from npm
    with np.load(DEFAULT_WEIGHTS) as trained:
        set_stored_weights(from_npm, {k: trained[k] for k in trained.files})
    assert [w.path for w in stored.weights] == [w.path for w in from_npm.weights]
    for got, want in zip(stored.weights, from_npm.weights, strict=True):
        assert np.array_equal(got.numpy(), want.numpy()), got.path
    x = np.random.default_rng(0).uniform(0, 255, (4, 150, 150, 3)).astype(np.float32)
    assert np.array_equal(stored.predict(x, verbose=0), from_npm.predict(x, verbose=0))


def test_the_stored_frozen_tensors_are_face_apis_bytes_for_the_layers_the_card_does_not_train(tmp_path):
    record = store_frozen_faceapi(default_card()["layers"], tmp_path)
    for name in (FROZEN_FACEAPI_SOURCE.name, *record["sha256"]):  # the source record, the manifest, the .bin
        assert (tmp_path / name).read_bytes() == (DEFAULT_SCORER_DIR / name).read_bytes(), name
    assert not set(record["layers"]) & set(default_card()["layers"])
    assert json.loads(FROZEN_FACEAPI_SOURCE.read_text())["source"]["package"] == "@vladmandic/face-api 1.7.15"
