"""A bundle folder's files: every file but manifest.json listed with its sha256 and size, and
checked against that list. Used by facepack.manifest (which writes the list into the manifest),
`converter verify`, `python -m web` and the static site; the JavaScript counterpart is
js/src/bundle.js fetchVerified. The manifest's sections are facepack/manifest.py.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

MANIFEST = "manifest.json"


class BundleError(ValueError):
    """A bundle that is incomplete, tampered with, or whose manifest this facepack cannot read."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def list_files(bundle_dir: Path) -> list[dict]:
    """{path, bytes, sha256} for every file under `bundle_dir` except the manifest, sorted."""
    bundle_dir = Path(bundle_dir)
    entries = []
    for path in sorted(p for p in bundle_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(bundle_dir).as_posix()
        if rel == MANIFEST:
            continue
        entries.append({"path": rel, "bytes": path.stat().st_size, "sha256": sha256_file(path)})
    return entries


def strict_json(value):
    """`value` with every NaN or infinity replaced by None: JSON as a browser's JSON.parse reads it
    (Python writes NaN, which no JSON parser in JavaScript takes). A figure that is not defined,
    such as the Pearson correlation of constant predictions, becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strict_json(v) for v in value]
    return value


def check_files(bundle_dir: Path, files: list[dict]) -> list[str]:
    """Files of `files` (the manifest's list) that are missing, of the wrong size or hash, and
    files present but not listed."""
    bundle_dir = Path(bundle_dir)
    problems = []
    for entry in files:
        path = bundle_dir / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']} is missing")
        elif path.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['path']} has {path.stat().st_size} bytes, manifest says {entry['bytes']}")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{entry['path']} does not match its sha256 in the manifest")
    listed = {entry["path"] for entry in files} | {MANIFEST}
    present = sorted(p.relative_to(bundle_dir).as_posix() for p in bundle_dir.rglob("*") if p.is_file())
    problems += [f"{rel} is in the bundle but not in the manifest" for rel in present if rel not in listed]
    return problems
