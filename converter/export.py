"""`export_bundle`: Keras models -> a checked TF.js bundle folder, replaced atomically.

Steps (each prints a line with its time):
  1. load     the scorer (file or embedded default), MTCNN nets, emotion net; check their shapes
  2. refer    run each original Keras model on fixed inputs (converter.checks)
  3. convert  fold BatchNorm, SavedModel -> TF.js graph model, rank-1 biases
  4. describe manifest.json with every file's sha256 and size
  5. verify   run the bundle in Node on tfjs cpu and wasm against step 2's outputs
  6. install  move the finished folder into place (the old bundle stays until this step)
A failure anywhere removes the temporary folder and leaves the previous bundle untouched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from converter import checks, graph
from converter.fold import fold_batchnorm
from converter.quantize import quantization_map
from converter.verify import BACKENDS, VerifyReport, verify_bundle
from facepack import spec
from facepack.bundle import MANIFEST
from facepack.detect import detector_spec
from facepack.manifest import (
    QUANTIZATIONS,
    TOLERANCES,
    WEBGL_MAX_DIFF,
    Checks,
    Manifest,
    ModelEntry,
    ModelInput,
    ModelSource,
    Results,
    ScoreEntry,
)
from facepack.models import BundleModel, ModelError, load_emotion, load_mtcnn_net, load_scorer
from facepack.provenance import versions

# What `--only` can name, and the bundle folders each part makes.
PARTS: dict[str, tuple[str, ...]] = {
    "detector": ("pnet", "rnet", "onet"),
    "scorer": ("scorer",),
    "emotion": ("emotion",),
}

# The packages whose versions the manifest's `generator` records beside facepack's.
GENERATOR_PACKAGES = ("tensorflow", "keras", "tensorflowjs")


# Below this many float32 weight bytes a model keeps float32 weights even with --quantize:
# PNet (37 kB) at uint8 moved face probabilities by 0.14 (threshold 0.6) to save 18 kB.
QUANTIZE_MIN_BYTES = 1_000_000


def model_quantization(bm: BundleModel, requested: str) -> str:
    """The weight storage one model gets when `requested` is asked for the bundle."""
    if requested == "source":
        return "source" if quantization_map("source", bm.info.get("weight_storage")) else "none"
    return requested if bm.model.count_params() * 4 >= QUANTIZE_MIN_BYTES else "none"


class ExportError(RuntimeError):
    """The export could not produce a bundle that passes its own check."""


def _load(part: str, scorer: Path | None, detector: Path | None, emotion: Path | None) -> list[BundleModel]:
    if part == "detector":
        return [load_mtcnn_net(net, detector) for net in PARTS["detector"]]
    if part == "scorer":
        return [load_scorer(scorer)]
    return [load_emotion(emotion)]


def _check_probabilities(cases: list[checks.CheckCase], what: str, source: str) -> None:
    for case in cases:
        probs = case.expected["probabilities"]
        sums = probs.sum(axis=-1)
        if probs.min() < 0 or np.max(np.abs(sums - 1)) > 1e-3:
            raise ModelError(f"{what} {source} does not output probabilities (rows sum to "
                             f"{', '.join(f'{s:.3f}' for s in sums)}); end it with a softmax.")


def _input_rule(bm: BundleModel) -> ModelInput:
    """The manifest's `input` of a model: its tensor, and how pixels become it (bm.info["input"])."""
    return ModelInput(name=graph.INPUT_NAME, shape=tuple(bm.input_shape), **bm.info["input"])


def _model_entry(bm: BundleModel, model_json: Path, quantization: str, ops, folded, rank1: int) -> ModelEntry:
    info = dict(bm.info)
    info.pop("weight_storage", None)
    info.pop("input")
    crop, score = info.pop("crop", None), info.pop("score", None)
    return ModelEntry(
        path=f"{bm.name}/model.json",
        role=info.pop("role"),
        quantization=quantization,
        weight_bytes=graph.stored_bytes(model_json),
        input=_input_rule(bm),
        outputs=tuple(bm.outputs),
        output_nodes=graph.output_nodes(model_json, bm.outputs),
        ops={"total": sum(ops.values()), "by_type": dict(sorted(ops.items()))},
        folding={"batchnorm_folded": folded.folded, "batchnorm_left": folded.left, "biases_made_rank1": rank1},
        crop=None if crop is None else spec.CropRule(**crop),
        score=None if score is None else ScoreEntry(**score),
        source=ModelSource(**info.pop("source")),
        **info,  # labels, provenance, trained, warning
    )


def _refuse_foreign_folder(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).exists())):
        raise ExportError(f"{out} exists and is not a facepack bundle; refusing to replace it.")


def _install(tmp: Path, out: Path) -> None:
    """Swap the finished folder into place: two renames on one filesystem."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
    try:
        tmp.rename(out)
    except OSError:
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


GATE_REPORT = Path(spec.__file__).with_name("gate_report.json")


def gate_report(gate: spec.FaceGate) -> dict | None:
    """What `python -m training detector-gate` measured of the shipped rule (facepack/gate_report.json),
    when `gate` is that rule; None for any other."""
    import json

    report = json.loads(GATE_REPORT.read_text())
    return report if report["rule"] == spec.as_dict(gate) else None


def export_bundle(
    out: Path = Path("bundle"),
    scorer: Path | None = None,
    detector: Path | None = None,
    emotion: Path | None = None,
    quantize: str = "source",
    only: Iterable[str] = tuple(PARTS),
    backends: tuple[str, ...] = BACKENDS,
    log: Callable[[str], None] = print,
    gate: spec.FaceGate = spec.GATE,
) -> VerifyReport:
    """Export the models into a verified TF.js bundle at `out`.

    Args:
        out: the bundle folder; replaced only once the new bundle has passed its check.
        scorer: a .keras / .h5 / SavedModel scorer; None for the embedded default.
        detector: a `python -m training detector` run folder (pnet.npz, rnet.npz, onet.npz);
            None for the `mtcnn` package's nets.
        emotion: a .keras emotion model from `python -m training emotion`; None for fer's.
        quantize: 'source' (each tensor as its source stores it; lossless), 'none' (float32),
            'float16' or 'uint8' (every weight of the larger models, at a stated cost).
        only: which parts to export: any of 'detector', 'scorer', 'emotion'.
        backends: TF.js backends the check runs on in Node.
        log: where progress lines go.
        gate: which faces are scored (spec.FaceGate), written into the manifest.

    Returns:
        The verification report of the installed bundle.

    Raises:
        ModelError: a model is missing, unreadable or of the wrong shape.
        ExportError: the converted bundle failed its check (the report is in the message).
    """
    parts = list(dict.fromkeys(only))
    unknown = [p for p in parts if p not in PARTS]
    if unknown or not parts:
        raise ValueError(f"--only takes a comma list of {', '.join(PARTS)}; got {','.join(parts) or 'nothing'}")
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"--quantize must be one of {', '.join(QUANTIZATIONS)}, not {quantize!r}")
    out = Path(out).resolve()
    _refuse_foreign_folder(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def step(text: str) -> None:
        log(f"[{time.perf_counter() - started:6.1f}s] {text}")

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be served
    try:
        step(f"loading models: {', '.join(parts)}")
        models = [bm for part in parts for bm in _load(part, scorer, detector, emotion)]
        entries, cases = {}, []
        work = tmp / ".work"
        for bm in models:
            model_quantize = model_quantization(bm, quantize)
            step(f"{bm.name}: reference outputs, fold, convert (weights: {model_quantize})")
            model_cases = checks.build_cases(bm, _input_rule(bm))
            if bm.name == "scorer":
                _check_probabilities(model_cases, "scorer", str(scorer or "embedded default"))
            if bm.name == "emotion":
                _check_probabilities(model_cases, "emotion model", str(emotion or "fer's"))
            cases += model_cases
            folded_model, folded = fold_batchnorm(bm.model)
            ops, rank1 = graph.export_graph_model(bm.with_model(folded_model), tmp / bm.name, work,
                                                  model_quantize)
            entries[bm.name] = _model_entry(bm, tmp / bm.name / "model.json", model_quantize, ops,
                                            folded, rank1)
        shutil.rmtree(work)
        checks.write_cases(tmp, cases)
        with_detector = "detector" in parts
        Manifest(
            created_utc=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            generator=versions(GENERATOR_PACKAGES),
            quantization=quantize,
            models=entries,
            checks=Checks(path=checks.CHECKS_JSON, tolerances=TOLERANCES, webgl_max_diff=WEBGL_MAX_DIFF,
                          reference="the original Keras model, float32, before folding"),
            images=spec.IMAGES,
            results=Results(csv=spec.RESULT_CSV),
            detector=detector_spec(detector) if with_detector else None,
            live=spec.LIVE if with_detector else None,
            gate=gate if with_detector else None,
            # the measured rates apply to this rule, on the package's nets, only
            gate_report=gate_report(gate) if with_detector and detector is None else None,
        ).write(tmp)
        step(f"verifying in Node on {', '.join(backends)}")
        report = verify_bundle(tmp, backends)
        if not report.passed:
            raise ExportError("the converted bundle failed its check; nothing was installed.\n"
                              + report.table())
        _install(tmp, out)
        report.bundle = out
        step(f"done: {out}")
        return report
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
