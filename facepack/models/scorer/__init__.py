"""The beauty scorer's shape contract and loader, and the names of its package.

    architecture  backbones, ScorerArchitecture, the crop a scorer is fed, build_branch / build_scorer
    layers        the custom layers of mirror averaging (WithMirror, MirrorMean)
    storage       the weights.npz layout of trained layers; how a bundle stores each tensor
    default       the embedded default (facepack/default_scorer/): card, weights, frozen backbone tensors
    here          check_scorer_shapes (the contract any scorer meets) and load_scorer (-> BundleModel)

A scorer takes (batch, S, S, 3) RGB crops in [0, 255], cut by `scorer_crop(S)`, and returns
(batch, 101) class probabilities (class k = k points).
"""

from __future__ import annotations

import json
from pathlib import Path

import keras

from facepack import spec
from facepack.models.bundle_model import BundleModel, ModelError, model_source, rgb_input_info
from facepack.models.keras_files import read_keras_model
from facepack.models.scorer.architecture import (
    BACKBONES,
    DEFAULT_SCORER_SEED,
    RESNET50_CACHE,
    Backbone,
    ScorerArchitecture,
    build_branch,
    build_scorer,
    head_name,
    scorer_crop,
)
from facepack.models.scorer.default import (
    DEFAULT_CARD,
    DEFAULT_SCORER_DIR,
    DEFAULT_WEIGHTS,
    build_default_scorer,
    default_card,
    default_scorer_is_trained,
)
from facepack.models.scorer.layers import MirrorMean, WithMirror
from facepack.models.scorer.storage import (
    UINT8_SHIFT_BUDGET,
    set_stored_weights,
    store_trained_weights,
    trained_layers,
    weight_storage,
)

__all__ = [
    "BACKBONES", "DEFAULT_CARD", "DEFAULT_SCORER_DIR", "DEFAULT_SCORER_SEED", "DEFAULT_WEIGHTS", "RESNET50_CACHE",
    "UINT8_SHIFT_BUDGET", "Backbone", "MirrorMean", "ScorerArchitecture", "WithMirror", "build_branch",
    "build_default_scorer", "build_scorer", "check_scorer_shapes", "default_card", "default_scorer_is_trained",
    "head_name", "load_scorer", "scorer_crop", "set_stored_weights", "store_trained_weights", "trained_layers",
    "weight_storage",
]


def check_scorer_shapes(model: keras.Model, source: str) -> int:
    """Check the scorer contract and return its input side.

    Raises:
        ModelError: one image input (batch, S, S, 3) and one (batch, 101) output are required.
    """
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    if len(shapes) != 1:
        raise ModelError(f"scorer {source} has {len(shapes)} inputs; it must take one image batch.")
    shape = tuple(shapes[0])
    if len(shape) != 4 or shape[3] != 3:
        raise ModelError(
            f"scorer {source} takes input of shape {shape}; it must take (batch, size, size, 3) RGB images."
        )
    if shape[1] is None or shape[1] != shape[2] or shape[1] < 32:
        raise ModelError(f"scorer {source} takes {shape[1]}x{shape[2]} images; it needs a fixed square size >= 32.")
    outs = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
    if len(outs) != 1 or len(outs[0]) != 2 or outs[0][1] != spec.SCORE.num_classes:
        raise ModelError(
            f"scorer {source} outputs shape {outs if len(outs) > 1 else outs[0]}; it must output "
            f"(batch, {spec.SCORE.num_classes}) class probabilities (class k = k points)."
        )
    return int(shape[1])


def _card_data(card: dict, scut: str = "SCUT-FBP5500") -> str:
    """The data a shipped scorer was trained on: its card's own ratings (a `scale` beside them,
    `training fit --ratings`), else SCUT-FBP5500."""
    return scut if card.get("scale") is None else card["data"]


def label_rule(scale: dict | None) -> str:
    """How a rating becomes one of the 101 classes: SCUT-FBP5500's 1..5 times 20, or a user's own
    scale (`scale` {low, high}, training.dataset.RatingScale) mapped linearly onto 0..100."""
    if scale is None:
        return "class = int(rating * 20 + 0.5); rating 1..5, points 0..100"
    low, high = scale["low"], scale["high"]
    return (f"class = int((rating - {low:g}) / ({high:g} - {low:g}) * 100 + 0.5); "
            f"rating {low:g}..{high:g}, points 0..100")


def _training_summary(card: dict) -> dict:
    """What the manifest says about how the default was trained and how it scores."""
    overall = {d: card["test_metrics"][d]["overall"] for d in card["test_metrics"]}
    scut = "SCUT-FBP5500 v2, official 60/40 split (non-commercial research licence)"
    return {"data": _card_data(card, scut), "scale": card.get("scale"),
            "n_train": card["n_train"], "n_test": card["n_test"], "test_metrics": overall,
            "per_subgroup_pc": {g: m["pc"] for g, m in card["test_metrics"]["expected"].items() if g != "overall"},
            "robustness": card.get("robustness"), "cv5": card.get("cv5"),
            "recipe": card["fit"], "model_card": "MODEL_CARD.md"}


def load_scorer(path: Path | None = None) -> BundleModel:
    """The beauty scorer: the file at `path`, a folder `python -m training ship --out` wrote
    (card.json and weights.npz), or the embedded default when None."""
    folder = DEFAULT_SCORER_DIR if path is None else Path(path)
    shipped = (folder / "weights.npz").is_file() and (folder / "card.json").is_file()
    if path is None or shipped:
        model = build_default_scorer(folder / "weights.npz", folder / "card.json")
        trained = shipped  # the embedded default without its files: a random head
        card = json.loads((folder / "card.json").read_text()) if shipped else None
        architecture = ScorerArchitecture.from_dict(card["architecture"]) if card else ScorerArchitecture()
        source = "embedded default" if path is None else str(path)
        provenance = {
            "source": "embedded default" if path is None else f"training ship --out {Path(path).name}",
            "architecture": architecture.as_dict(),
            "backbones": {b: BACKBONES[b].source for b in architecture.branches},
            # what training changed: {count, data, storage}; None: the head is a random init
            "trained_layers": ({"count": len(card["layers"]), "data": _card_data(card),
                                # values stored uint8 / float16 (training ship; the uint8 ones move
                                # validation scores by at most budget_points on average)
                                "storage": {**card["stored_values"], "budget_points": UINT8_SHIFT_BUDGET}}
                               if card else None),
            "training_report": _training_summary(card) if card else None,
        }
        storage = weight_storage(model, architecture, card["layers"] if card else [],
                                 card.get("uint8_kernels") if card else None)
    else:
        model = read_keras_model(Path(path), role="scorer")
        card = None
        source = str(path)
        provenance = {"source": Path(path).name, "training_report": None}
        trained = True
        storage = None  # a user's model: float32, or what --quantize asks
    size = check_scorer_shapes(model, source)
    return BundleModel(
        name="scorer",
        model=model,
        input_shape=(None, size, size, 3),
        outputs=("probabilities",),
        info={
            "role": "scorer",
            "trained": trained,
            "warning": None if trained else "UNTRAINED: the head is random; scores mean nothing.",
            "input": rgb_input_info("the model normalises its own input"),
            "crop": spec.as_dict(scorer_crop(size)),
            "score": {
                **spec.as_dict(spec.SCORE),
                "label_rule": label_rule(card.get("scale") if card else None),
                "expected": "sum_k p_k * k  (points, 0..100)",
                "argmax": "the most probable class k (points)",
                # the test faces' ratings the page places a score among (written by `training ship`)
                "reference": card.get("reference") if card else None,
            },
            "provenance": provenance,
            "source": model_source(path, folder if path is None or shipped else Path(path)),
            "weight_storage": storage,
        },
    )
