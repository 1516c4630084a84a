"""The gate's thresholds on a command line (python -m facepack analyze, python -m converter export):
--min-confidence and --min-refined-confidence, read into a spec.FaceGate."""

from __future__ import annotations

import argparse
from dataclasses import replace

from facepack.spec import GATE, FaceGate


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}")
    return value


def add_gate_args(parser) -> None:
    """--min-confidence and --min-refined-confidence: the gate's thresholds on a command line
    (python -m facepack analyze, python -m converter export)."""
    parser.add_argument("--min-confidence", type=_share, default=None, metavar="P",
                        help="the gate: score only faces whose cascade confidence reaches P, 0-1 "
                             f"(default: {FaceGate.min_confidence}); below it a face is listed, not scored")
    parser.add_argument("--min-refined-confidence", type=_share, default=None, metavar="P",
                        help="the gate: score only faces whose refined confidence (ONet again, on the face's "
                             f"own square) reaches P (default: {FaceGate.min_refined_confidence})")


def gate_from_args(args, base: FaceGate = GATE) -> FaceGate:
    """The gate a command line asks for: `base` (spec.GATE, or a bundle's) with the thresholds it gives."""
    given = {k: getattr(args, k) for k in ("min_confidence", "min_refined_confidence") if getattr(args, k) is not None}
    return replace(base, **given)
