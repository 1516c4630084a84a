"""The bundle format: manifest.json's schema and version, reading and validating it, and
checking the files it lists. Used by `converter` (writes and verifies bundles), `web` (serves
one) and `python -m facepack` (reads one); its JavaScript counterpart is js/src/bundle.js.

Schema `facepack-bundle`, version 2 (docs/manifest.md describes every field):
    schema, version, created_utc, generator, quantization,
    detector   -- every MTCNN setting (facepack.spec.DetectorSpec)
    images     -- how a photo becomes pixels (facepack.spec.ImagePolicy)
    models     -- name -> {path, role, input{name, shape, ...}, outputs, output_nodes, ...}
    checks     -- fixed inputs with Keras's outputs, and the tolerance they are held to
    files      -- every file in the bundle but manifest.json: {path, bytes, sha256}
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

SCHEMA = "facepack-bundle"
VERSION = 2  # 2: `gate` (spec.FaceGate), and faces carry refined_confidence
MANIFEST = "manifest.json"
REQUIRED = ("schema", "version", "generator", "quantization", "models", "checks", "files")
MODEL_REQUIRED = ("path", "role", "input", "outputs", "output_nodes")


class BundleError(ValueError):
    """A bundle that is incomplete, tampered with or of an unknown version."""


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


def write_manifest(bundle_dir: Path, manifest: dict) -> dict:
    """Hash every file, add the `files` list, and write manifest.json. Returns the manifest."""
    manifest = {**manifest, "schema": SCHEMA, "version": VERSION, "files": list_files(bundle_dir)}
    problems = validate(manifest)
    if problems:
        raise BundleError("refusing to write an invalid manifest: " + "; ".join(problems))
    manifest = strict_json(manifest)
    (Path(bundle_dir) / MANIFEST).write_text(json.dumps(manifest, indent=2, allow_nan=False) + "\n")
    return manifest


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


def validate(manifest: dict) -> list[str]:
    """Structural problems of a manifest (empty when it is well-formed)."""
    if not isinstance(manifest, dict):
        return ["manifest is not a JSON object"]
    if manifest.get("schema") != SCHEMA:
        return [f"schema is {manifest.get('schema')!r}, not {SCHEMA!r}"]
    if manifest.get("version") != VERSION:
        return [f"manifest version {manifest.get('version')!r} is not supported (this facepack reads {VERSION})"]
    problems = [f"missing field {key!r}" for key in REQUIRED if key not in manifest]
    listed = {f.get("path") for f in manifest.get("files", [])}
    for name, model in manifest.get("models", {}).items():
        problems += [f"model {name!r} has no {key!r}" for key in MODEL_REQUIRED if key not in model]
        if "path" in model and model["path"] not in listed:
            problems.append(f"model {name!r} path {model['path']} is not in files")
    for entry in manifest.get("files", []):
        if set(entry) != {"path", "bytes", "sha256"}:
            problems.append(f"files entry {entry} needs exactly path, bytes, sha256")
        elif entry["path"].startswith("/") or ".." in entry["path"].split("/"):
            problems.append(f"files entry {entry['path']} leaves the bundle folder")
    return problems


def read_manifest(bundle_dir: Path) -> dict:
    """Load and validate `bundle_dir/manifest.json`.

    Raises:
        BundleError: missing, unreadable, of another schema or version, or malformed.
    """
    path = Path(bundle_dir) / MANIFEST
    if not path.is_file():
        raise BundleError(f"{path} does not exist: is {bundle_dir} a facepack bundle?")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise BundleError(f"{path} is not readable JSON: {err}") from err
    problems = validate(manifest)
    if problems:
        raise BundleError(f"{path}: " + "; ".join(problems))
    return manifest


def check_files(bundle_dir: Path, manifest: dict) -> list[str]:
    """Files that are missing, of the wrong size or hash, or present but not listed."""
    bundle_dir = Path(bundle_dir)
    problems = []
    for entry in manifest["files"]:
        path = bundle_dir / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']} is missing")
        elif path.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['path']} has {path.stat().st_size} bytes, manifest says {entry['bytes']}")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{entry['path']} does not match its sha256 in the manifest")
    listed = {entry["path"] for entry in manifest["files"]} | {MANIFEST}
    present = sorted(p.relative_to(bundle_dir).as_posix() for p in bundle_dir.rglob("*") if p.is_file())
    problems += [f"{rel} is in the bundle but not in the manifest" for rel in present if rel not in listed]
    return problems
