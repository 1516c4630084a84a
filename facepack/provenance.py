"""What a bundle or a run was made with: the versions of facepack and installed packages, and the
sha256 of a model's source file or folder."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path

from facepack import __version__
from facepack.bundle import sha256_file


def versions(packages: Iterable[str]) -> dict[str, str]:
    """{"facepack": its version, then each package: its installed version} (from package metadata,
    so nothing is imported)."""
    return {"facepack": __version__, **{name: version(name) for name in packages}}


def source_digest(path: Path) -> str:
    """sha256 of a model's source: of the file, or, for a folder (a SavedModel, a shipped scorer),
    of its files' relative paths and sha256s in sorted order (dot-files, __pycache__ and Markdown
    left out: a README is not the model)."""
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts) or file.suffix == ".md":
            continue
        digest.update(f"{rel.as_posix()}\0{sha256_file(file)}\n".encode())
    return digest.hexdigest()
