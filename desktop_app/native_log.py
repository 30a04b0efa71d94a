"""Keep the terminal for the app's own words: native libraries' log lines go to a log file.

TensorFlow's C++ runtime writes absl banners, oneDNN notices, "failed call to cuInit" and Grappler
errors straight to file descriptor 2, whatever TF_CPP_MIN_LOG_LEVEL says, in the window's process
and in every training process it starts; Python's resource tracker writes its semaphore warnings
there at exit. None of it is meant for the user. So the window points descriptor 2 at a log file
in the user's state folder (child processes inherit it) and gives Python's own ``sys.stderr`` a
copy of the original terminal, so tracebacks and the app's messages still reach it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Asked of TensorFlow as well: fewer lines reach the log.
QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1"),
    "GRPC_VERBOSITY": "ERROR",
    "GLOG_minloglevel": "3",
}


def quiet_environment() -> None:
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def redirect_native_stderr(log_file: Path) -> Path | None:
    """Send descriptor 2 to ``log_file``; Python's sys.stderr keeps the terminal. None if impossible."""
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError:
        return None
    sys.stderr.flush()
    terminal_fd = os.dup(2)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    sys.stderr = os.fdopen(terminal_fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace",
                           closefd=True)
    # The child processes get the original terminal for nothing: their Python errors travel over
    # the pipe to the window, and their native noise belongs in the log.
    return log_file
