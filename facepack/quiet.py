"""Keep the command lines' output to their own lines: TensorFlow, XLA and absl write log lines
(`I0000 ... single_machine.cc:374] Starting new session`) straight to the process's stderr from
C++, where no Python setting reaches them. Unless --verbose:

- the process's file descriptor 2 goes to a log file, while Python's sys.stderr keeps the
  terminal (progress bars and error messages still show), and
- TensorFlow's, absl's and Keras's Python loggers and warnings are turned down to errors.

Call `quiet_native_logs` before TensorFlow is imported.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
import warnings
from pathlib import Path

NATIVE_LOG = Path(tempfile.gettempdir()) / f"facepack-native-{os.getuid() if hasattr(os, 'getuid') else 0}.log"


def quiet_native_logs(verbose: bool = False) -> Path | None:
    """Send native log lines to NATIVE_LOG (returned) unless `verbose`; None when verbose."""
    if verbose:
        return None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")
    terminal = os.dup(2)  # Python keeps writing here
    sink = os.open(NATIVE_LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    sys.stderr.flush()
    os.dup2(sink, 2)
    os.close(sink)
    sys.stderr = io.TextIOWrapper(os.fdopen(terminal, "wb", buffering=0), encoding="utf-8", errors="replace",
                                  line_buffering=True, write_through=True)
    for name in ("tensorflow", "absl", "keras", "h5py", "jax"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    return NATIVE_LOG
