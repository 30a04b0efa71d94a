"""Shared fixtures for the window's tests: headless Qt, and no thread may outlive its test.

A training thread left running after a test keeps TensorFlow busy in the next test, makes
failures land in the wrong place and can hang the interpreter at exit; napari fails such tests
(its ``_dangling_qthreads`` fixture), and so do we, for QThreads, the global QThreadPool and
plain Python threads.
"""

from __future__ import annotations

import os

# Before any Qt or pyqtgraph import: no display on the test machines, and pyqtgraph must bind
# to PySide6 even if another binding happens to be installed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from weakref import WeakKeyDictionary  # noqa: E402

import pytest  # noqa: E402
import PySide6  # noqa: E402,F401  (before pyqtgraph)
from PySide6.QtCore import QThread, QThreadPool  # noqa: E402

# How long a thread may take to wind down after its test body has returned.
THREAD_GRACE_S = 3.0


@pytest.fixture(autouse=True)
def _dangling_qthreads(monkeypatch, qtbot, request):
    """Fail a test that leaves a QThread running, naming where it was started."""
    started: WeakKeyDictionary = WeakKeyDictionary()
    original_start = QThread.start

    def start_and_remember(self, *args, **kwargs):
        started[self] = "".join(traceback.format_stack(limit=6)[:-1])
        return original_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start_and_remember)
    yield

    dangling = []
    for thread, where in list(started.items()):
        try:
            running = thread.isRunning()
        except RuntimeError:  # the C++ object is already gone: it cannot be running
            continue
        if running:
            dangling.append((thread, where))
    if not dangling:
        return
    for thread, _ in dangling:
        try:
            thread.quit()
            qtbot.waitUntil(thread.isFinished, timeout=int(THREAD_GRACE_S * 1000))
        except (RuntimeError, AssertionError, Exception):  # noqa: BLE001 - still report below
            pass
    stacks = "\n".join(f"--- QThread {t!r} started at:\n{where}" for t, where in dangling)
    pytest.fail(
        f"{request.node.name} left {len(dangling)} QThread(s) running; stop and wait for them "
        f"before the test ends.\n{stacks}",
        pytrace=False,
    )


@pytest.fixture(autouse=True)
def _dangling_qthread_pool(request):
    """Fail a test that leaves work running in the global QThreadPool."""
    yield
    pool = QThreadPool.globalInstance()
    if pool.activeThreadCount() == 0:
        return
    finished = pool.waitForDone(int(THREAD_GRACE_S * 1000))
    if not finished:
        pytest.fail(
            f"{request.node.name} left {pool.activeThreadCount()} task(s) running in the global QThreadPool.",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _dangling_python_threads(request):
    """Fail a test that leaves a Python thread it started still running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    # A QThread that ran Python code shows up as a _DummyThread that never ends (and cannot be
    # joined); QThreads are checked by _dangling_qthreads instead.
    # The shared training process retires a recycled child in a "rnnlab-reaper" thread; it belongs
    # to the session-wide trainer (joined by _close_training_process), not to the test.
    left = [t for t in threading.enumerate()
            if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
            and not t.name.startswith("rnnlab-reaper")]
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [t for t in left if t.is_alive()]
    if left:
        names = ", ".join(f"{t.name} (daemon={t.daemon})" for t in left)
        pytest.fail(f"{request.node.name} left Python thread(s) running: {names}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _close_training_process():
    """Every window of the session trains in one shared child process; end it with the session."""
    yield
    from desktop_app.worker import close_shared_trainer

    close_shared_trainer()
