"""npm as a user runs it: the facepack package packed by `npm pack`, apps installed with it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.support.cli import ROOT

# From npm's cache where it can (the root `npm ci` filled it), else the registry; no audit, no ads.
QUIET = ("--prefer-offline", "--no-audit", "--no-fund")


def npm(*args: str, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """`npm ARGS` in `cwd`."""
    return subprocess.run([shutil.which("npm") or "npm", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def pack_package(dest: Path) -> tuple[Path, set[str]]:
    """`npm pack` the facepack package (js/) into `dest`: (the tarball, the paths it holds)."""
    packed = npm("pack", "--json", "--pack-destination", str(dest), cwd=ROOT / "js")
    assert packed.returncode == 0, packed.stderr
    info = json.loads(packed.stdout)[0]
    return dest / info["filename"], {f["path"] for f in info["files"]}
