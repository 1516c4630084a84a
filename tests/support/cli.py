"""Run the project's command lines as a user does: `python -m MODULE ARGS`, or the Node CLI
`npx facepack ARGS`, in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_module(module: str, *args: str, timeout: int = 900, env: dict | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python -m MODULE ARGS`; `env` adds to (not replaces) the environment."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})})


def facepack_cli(*args: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    """`npx facepack ARGS`: the JS package's Node CLI, as npm installed it."""
    return subprocess.run([str(ROOT / "node_modules" / ".bin" / "facepack"), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def kill_module_when(path: Path, module: str, *args: str, timeout: int = 600) -> str:
    """`python -m MODULE ARGS`, SIGKILLed (no clean-up can run) as soon as `path` exists. Returns
    its stderr. Raises AssertionError when it ended, or timed out, before `path` appeared."""
    proc = subprocess.Popen([sys.executable, "-m", module, *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while not Path(path).exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"it ended before {path} appeared:\n{stderr.decode()[-2000:]}"
    return stderr.decode()
