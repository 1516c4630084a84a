"""The versions a bundle or a run was made with: facepack's own and installed packages', one record."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import version

from facepack import __version__


def versions(packages: Iterable[str]) -> dict[str, str]:
    """{"facepack": its version, then each package: its installed version} (from package metadata,
    so nothing is imported)."""
    return {"facepack": __version__, **{name: version(name) for name in packages}}
