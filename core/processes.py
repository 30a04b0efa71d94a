"""The child processes of RNN Lab: how they start, how fast, at what priority, and how they end.

Every child that runs TensorFlow (the window's training process, a sweep's workers, the ONNX
check) starts from ``child_context()``. On Linux that is a fork server which imported TensorFlow
and Keras once (``core.child_preload``); each child is then a fork of it and is ready in a tenth
of a second instead of the five CPU-seconds a fresh interpreter spends importing TensorFlow. That
is what makes a recycled training child, a replaced sweep worker or a retried trial cheap. The
server only imports: TensorFlow's runtime (thread pools, GPUs) starts in each child, after the
fork, so thread settings and GPU memory growth still apply per child. It costs no memory: a
child shares the server's pages until it writes them (measured, proportional set size: server
489 MB + idle child 119 MB, against 601 MB for one spawned child). Elsewhere (macOS, whose
system frameworks must not be forked after use, Windows, which cannot fork, and the frozen
bundle, whose executable does not run multiprocessing's fork-server command) children are
spawned. ``RNN_LAB_CHILD_START=spawn`` forces spawning everywhere.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing import connection as mp_connection
from typing import Any

# After terminate (SIGTERM) and after kill, how long to wait for the process to be gone.
SIGNAL_WAIT_S = 2.0

# How much the window's sweep workers lower their priority (the training child keeps the window's:
# core.runner_child). RNN_LAB_CHILD_NICENESS overrides it where a worker must not yield to other
# work of equal standing (the test suite's parallel workers): there one at nice 10 gets a tenth of
# a core.
BACKGROUND_NICENESS = int(os.environ.get("RNN_LAB_CHILD_NICENESS", "10"))

PRELOAD_MODULE = "core.child_preload"
_context_lock = threading.Lock()
_context: Any = None


def child_context() -> Any:
    """The multiprocessing context every TensorFlow child starts from (see the module docstring)."""
    global _context
    with _context_lock:
        if _context is None:
            forkable = sys.platform.startswith("linux") and not getattr(sys, "frozen", False)
            method = os.environ.get("RNN_LAB_CHILD_START") or ("forkserver" if forkable else "spawn")
            if method not in multiprocessing.get_all_start_methods():
                method = "spawn"
            _context = multiprocessing.get_context(method)
            if method == "forkserver":
                _context.set_forkserver_preload([PRELOAD_MODULE])
        return _context


def lower_priority(niceness: int) -> None:
    """Raise this process's nice value by ``niceness`` (background work yields to the window).

    For the window's sweep workers: as many as there are cores, each wanting all of its core, they
    would leave the GUI thread waiting for time slices. (The one training child is not niced:
    core.runner_child.)"""
    if niceness:
        try:
            os.nice(niceness)
        except OSError:
            pass


def exit_with_parent() -> None:
    """In a child: exit when the parent dies, even while paused or mid-run (a daemon child is
    only reaped on its parent's clean exit)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        mp_connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="rnnlab-parent-watch", daemon=True).start()


def end_process(process: Any, grace_s: float) -> None:
    """Give ``process`` (a multiprocessing.Process) ``grace_s`` to exit, then terminate, then kill it."""
    process.join(grace_s)
    if process.is_alive():
        process.terminate()
        process.join(SIGNAL_WAIT_S)
    if process.is_alive():
        process.kill()
        process.join(SIGNAL_WAIT_S)


def describe_exit(code: int | None) -> str:
    """A process's exit code in words, naming the out-of-memory killer's signal."""
    if code is None:
        return "exit code unknown"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = " (killed; the system does this when memory runs out)" if name == "SIGKILL" else ""
        return f"exit code {code}, {name}{why}"
    return f"exit code {code}"
