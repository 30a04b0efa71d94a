"""The Sweep dialog's estimated time, worked out in a thread so that the window never waits for it.

``core.sweeps.estimate_seconds`` builds each distinct dataset of the trials once to count its
samples: instant for a generated task, as long as reading the file for a big CSV. The dialog asks
``SweepEstimator.estimate`` after each pause in the user's typing; the estimator runs one estimate
at a time in a QThread of its own and delivers the answer by signal, but only the answer to the
latest question: one asked for a sweep the user has since changed is dropped, and the newest
question waits for the running estimate to end instead of starting a second build beside it.
``shutdown`` (the dialog closing) drops every answer and returns at once: core cannot interrupt a
build, and waiting for a big CSV would freeze the window. The abandoned estimate is kept until it
ends (a QThread destroyed while it runs aborts the process) and then deleted; the window waits for
any still running only when it quits (``wait_for_abandoned``).
"""

from __future__ import annotations

from PySide6.QtCore import QDeadlineTimer, QObject, Qt, QThread, Signal, Slot

import core.sweeps.estimate as core_estimate
from desktop_app.sweeps.worker import SweepRequest


class SweepEstimator(QObject):
    """Estimates a SweepRequest's wall time off the GUI thread (see the module docstring).

    Signals: ``estimated(seconds)`` or ``failed(exception)``, once per latest request.
    """

    estimated = Signal(float)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        # Each question gets the next number; an answer is delivered only while its number is the latest.
        self._generation = 0
        self._thread: _EstimateThread | None = None
        self._waiting: SweepRequest | None = None

    def estimate(self, request: SweepRequest) -> None:
        """Estimate ``request`` in place of any earlier question."""
        self._generation += 1
        if self._thread is not None:
            self._waiting = request
            return
        self._start(request)

    def discard(self) -> None:
        """The sweep changed: drop the answer in flight and any question waiting."""
        self._generation += 1
        self._waiting = None

    def is_busy(self) -> bool:
        """Whether an estimate is running or waiting to run."""
        return self._thread is not None or self._waiting is not None

    def shutdown(self) -> None:
        """Drop every answer and let the running estimate end on its own (the dialog is closing)."""
        self.discard()
        thread, self._thread = self._thread, None
        if thread is not None:
            _abandon(thread)

    def _start(self, request: SweepRequest) -> None:
        thread = _EstimateThread(self._generation, request, self)
        # Slots of this object, which lives in the GUI thread: the thread's signals arrive queued.
        thread.answered.connect(self._on_answered)
        thread.finished.connect(self._on_thread_finished)
        self._thread = thread
        thread.start()

    def _on_answered(self, generation: int, seconds: object, error: object) -> None:
        if generation != self._generation:
            return
        if error is not None:
            self.failed.emit(error)
        else:
            self.estimated.emit(float(seconds))

    def _on_thread_finished(self) -> None:
        thread = self.sender()
        if thread is None or thread is not self._thread:  # shutdown has let it go
            return
        self._thread = None
        thread.deleteLater()
        if self._waiting is not None:
            request, self._waiting = self._waiting, None
            self._start(request)


class _EstimateThread(QThread):
    """One estimate; it ends with its answer."""

    answered = Signal(int, object, object)  # generation, seconds or None, exception or None

    def __init__(self, generation: int, request: SweepRequest, parent: QObject):
        super().__init__(parent)
        self._generation = generation
        self._request = request

    def run(self) -> None:
        request = self._request
        try:
            # Looked up at each call, so that tests can stand in a slow or failing estimate.
            seconds = core_estimate.estimate_seconds(request.spec, max_concurrent=request.max_concurrent)
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which tells expected from not
            self.answered.emit(self._generation, None, exc)
            return
        self.answered.emit(self._generation, seconds, None)


class _Reaper(QObject):
    """Deletes abandoned estimate threads once they end; lives in the GUI thread, so the
    threads' ``finished`` reaches it queued, after their ``run`` has returned."""

    @Slot()
    def reap(self) -> None:
        thread = self.sender()
        if thread in _abandoned:
            thread.wait()
            _abandoned.discard(thread)
            thread.deleteLater()


# Estimates no dialog wants any more, still building their datasets.
_abandoned: set[_EstimateThread] = set()
_reaper: _Reaper | None = None


def _abandon(thread: _EstimateThread) -> None:
    global _reaper
    if thread.isFinished():
        thread.deleteLater()
        return
    if _reaper is None:
        _reaper = _Reaper()
    thread.setParent(None)  # outlives the dialog and its estimator
    _abandoned.add(thread)
    thread.finished.connect(_reaper.reap, Qt.ConnectionType.QueuedConnection)
    if thread.isFinished():  # it ended between the check above and the connection
        thread.wait()
        _abandoned.discard(thread)
        thread.deleteLater()


def abandoned_count() -> int:
    """Abandoned estimates not yet ended and deleted."""
    return len(_abandoned)


def wait_for_abandoned(wait_ms: int | None = None) -> bool:
    """Wait for every abandoned estimate to end (the application is quitting); True if all did."""
    deadline = QDeadlineTimer(QDeadlineTimer.ForeverConstant.Forever if wait_ms is None else wait_ms)
    for thread in list(_abandoned):
        if thread.wait(deadline):
            _abandoned.discard(thread)
            thread.deleteLater()
    return not _abandoned
