"""The Python reference pipeline: what the browser's `fp.analyze(image)` must reproduce.

    photo -> `mtcnn` package (facepack.detect) -> crop rules (facepack.crop) -> Keras scorer
          -> Keras emotion model

The models are the original Keras ones (before conversion), so a parity test compares the
whole browser path (cascade re-implementation, conversion, TF.js kernels) against them.
Used by tests/browser and bench/.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facepack import score, spec
from facepack.crop import crop_faces
from facepack.detect import Detector, Face

# The models a bundle needs for its Python reference (and for the browser's analyze()).
BUNDLE_MODELS = ("pnet", "rnet", "onet", "scorer", "emotion")


@dataclass(frozen=True)
class FaceResult:
    """One face: the detector's, then its score and emotion, or why it has none (spec.FaceGate)."""

    face: Face
    score_probs: np.ndarray | None  # (101,) class k = k points; None when unscored
    emotion_probs: np.ndarray | None  # (7,) in spec.EMOTION_LABELS order; None when unscored
    reference: tuple[float, ...] | None = None  # the manifest's reference ratings, in points
    unscored: str | None = None  # a spec.UNSCORED_REASONS code; None: scored

    @property
    def score(self) -> dict | None:
        """expected, argmax, interval and percentile (facepack.score)."""
        return None if self.score_probs is None else score.summarize(self.score_probs, self.reference)

    @property
    def expected(self) -> float | None:
        """Expected score in points: sum_k p_k * k."""
        return None if self.score_probs is None else self.score["expected"]

    @property
    def emotion(self) -> str | None:
        return None if self.emotion_probs is None else spec.EMOTION_LABELS[int(np.argmax(self.emotion_probs))]

    def as_dict(self) -> dict:
        """The same shape as one face of the browser's `analyze` result."""
        scored = self.unscored is None
        return {
            "box": self.face.box.tolist(),
            "landmarks": self.face.landmarks.tolist(),
            "confidence": self.face.confidence,
            "refined_confidence": self.face.refined_confidence,
            "score": {**self.score, "probs": self.score_probs.tolist()} if scored else None,
            "emotion": {"label": self.emotion, "probs": self.emotion_probs.tolist()} if scored else None,
            "unscored": self.unscored,
        }


class NoReferenceError(ValueError):
    """A bundle whose Python side cannot be built: the message names the model and why."""


class ReferencePipeline:
    """Detection, crops, scorer and emotion in Python, with the bundle's rules.

    Args:
        scorer: path of a scorer model (.keras/.h5/SavedModel); None means the embedded default.
        detector: a `python -m training detector` run folder; None means the `mtcnn` package's nets.
        gate: which faces are scored (spec.FaceGate); None means spec.GATE, as bundles carry it.
        emotion: an emotion model from `python -m training emotion`; None means fer's.

    `ReferencePipeline.from_bundle(DIR)` builds the one a bundle is to be held to.
    """

    def __init__(self, scorer: Path | None = None, detector: Path | None = None,
                 gate: spec.FaceGate | None = None, emotion: Path | None = None) -> None:
        from facepack.models import load_emotion, load_scorer

        self.detector = Detector(detector)
        loaded = load_scorer(scorer)
        self.scorer = loaded.model
        self.scorer_crop = spec.CropRule(**loaded.info["crop"])
        reference = loaded.info["score"].get("reference")
        self.reference = tuple(reference["points"]) if reference else None
        self.emotion = load_emotion(emotion).model
        self.emotion_crop = spec.EMOTION_CROP
        self.gate = gate or spec.GATE
        self.timings: dict[str, float] = {}

    @classmethod
    def from_bundle(cls, bundle_dir: Path) -> ReferencePipeline:
        """The reference for exactly what the bundle at `bundle_dir` holds: each model is the
        original it was converted from, found by its manifest `source` (the file or folder the
        converter was given, or the one this facepack ships) and checked against its sha256, and
        the detector settings, the gate and the crop rules are the manifest's.

        Raises:
            facepack.bundle.BundleError: the manifest cannot be read.
            NoReferenceError: a model is not in the bundle, its source is gone or has changed
                since the export, or Python would run other settings than the bundle says.
        """
        from facepack import assets
        from facepack.manifest import Manifest
        from facepack.models.mtcnn_nets import net_weights_file
        from facepack.models.scorer.default import DEFAULT_SCORER_DIR
        from facepack.provenance import source_digest

        manifest = Manifest.read(bundle_dir)
        missing = [name for name in BUNDLE_MODELS if name not in manifest.models]
        if missing:
            raise NoReferenceError(f"bundle {bundle_dir} has no {', '.join(missing)} model, so its Python side "
                                   "cannot be built: export it without --only")

        def original(name: str, default: Callable[[], Path], given: Callable[[Path], Path] = lambda p: p
                     ) -> Path | None:
            """The path the model's source names (None: the shipped default), checked by sha256."""
            source = manifest.models[name].source
            path = None if source.path is None else Path(source.path)
            used = default() if path is None else given(path)
            where = f"models.{name}: its source {used}"
            if not used.exists():
                raise NoReferenceError(f"{where} is gone, so the Python side of bundle {bundle_dir} cannot be built")
            if source_digest(used) != source.sha256:
                raise NoReferenceError(f"{where} has changed since the bundle was exported (sha256 differs), so "
                                       f"bundle {bundle_dir} cannot be held to it: export it again")
            return path

        nets = {net: original(net, default=lambda net=net: net_weights_file(net),
                              given=lambda run, net=net: net_weights_file(net, run))
                for net in ("pnet", "rnet", "onet")}
        if len(set(nets.values())) != 1:
            raise NoReferenceError(f"bundle {bundle_dir}'s detector nets come from different sources: {nets}")
        pipeline = cls(scorer=original("scorer", lambda: DEFAULT_SCORER_DIR), detector=nets["pnet"], gate=manifest.gate,
                       emotion=original("emotion", assets.fer_emotion_model))
        differ = [(field, python, bundle) for field, python, bundle in (
            ("detector", pipeline.detector.spec, manifest.detector),
            ("images", spec.IMAGES, manifest.images),
            ("models.scorer.score", (spec.SCORE.num_classes, spec.SCORE.points_per_rating, spec.SCORE.interval),
             (manifest.models["scorer"].score.num_classes, manifest.models["scorer"].score.points_per_rating,
              manifest.models["scorer"].score.interval)),
            ("models.scorer.crop", pipeline.scorer_crop, manifest.models["scorer"].crop),
            ("models.emotion.crop", pipeline.emotion_crop, manifest.models["emotion"].crop),
            ("models.emotion.labels", spec.EMOTION_LABELS, manifest.models["emotion"].labels),
        ) if python != bundle]
        if differ:
            field, python, bundle = differ[0]
            raise NoReferenceError(f"bundle {bundle_dir}'s {field} is {bundle}, but Python would run {python}")
        return pipeline

    def detect(self, image: np.ndarray) -> list[Face]:
        return self.detector.detect([image])[0]

    def scorer_crops(self, image: np.ndarray, faces: list[Face]) -> np.ndarray:
        return crop_faces(image, faces, self.scorer_crop)

    def score(self, crops: np.ndarray) -> np.ndarray:
        """(n, S, S, 3) float RGB crops -> (n, 101) probabilities."""
        if len(crops) == 0:
            return np.zeros((0, spec.SCORE.num_classes), np.float32)
        return np.asarray(self.scorer(crops, training=False))

    def emotions(self, crops: np.ndarray) -> np.ndarray:
        if len(crops) == 0:
            return np.zeros((0, len(spec.EMOTION_LABELS)), np.float32)
        return np.asarray(self.emotion(crops, training=False))

    def results(self, image: np.ndarray, faces: list[Face]) -> list[FaceResult]:
        """Score and emotion of the given faces of an RGB uint8 (H, W, 3) photo; a face the gate
        stops (self.gate) keeps its place, unscored."""
        reasons = [self.gate.reason(f.confidence, f.refined_confidence) for f in faces]
        scored = [f for f, reason in zip(faces, reasons, strict=True) if reason is None]
        t = time.perf_counter()
        scores = iter(self.score(self.scorer_crops(image, scored)))
        self.timings["scorer"] = 1000 * (time.perf_counter() - t)
        t = time.perf_counter()
        emotions = iter(self.emotions(crop_faces(image, scored, self.emotion_crop)))
        self.timings["emotion"] = 1000 * (time.perf_counter() - t)
        return [FaceResult(f, next(scores), next(emotions), self.reference) if reason is None
                else FaceResult(f, None, None, self.reference, reason)
                for f, reason in zip(faces, reasons, strict=True)]

    def analyze(self, image: np.ndarray) -> list[FaceResult]:
        """Every face in an RGB uint8 (H, W, 3) photo, in the detector's order. `self.timings`
        then holds milliseconds per stage (detect, scorer, emotion, total), as the page's do."""
        self.timings = {}
        start = time.perf_counter()
        faces = self.detect(image)
        self.timings["detect"] = 1000 * (time.perf_counter() - start)
        results = self.results(image, faces)
        self.timings["total"] = 1000 * (time.perf_counter() - start)
        return results
