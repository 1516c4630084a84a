"""Run the project's command lines as a user does: `python -m MODULE ARGS` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_module(module: str, *args: str, timeout: int = 900, env: dict | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m MODULE ARGS`; `env` adds to (not replaces) the environment."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})})
