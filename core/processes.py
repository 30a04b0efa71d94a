"""Ending a child process that may not listen: the one sequence every child of RNN Lab ends by."""

from __future__ import annotations

from typing import Any

# After terminate (SIGTERM) and after kill, how long to wait for the process to be gone.
SIGNAL_WAIT_S = 2.0


def end_process(process: Any, grace_s: float) -> None:
    """Give ``process`` (a multiprocessing.Process) ``grace_s`` to exit, then terminate, then kill it."""
    process.join(grace_s)
    if process.is_alive():
        process.terminate()
        process.join(SIGNAL_WAIT_S)
    if process.is_alive():
        process.kill()
        process.join(SIGNAL_WAIT_S)
