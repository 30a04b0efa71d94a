"""The Sweep dialog's estimated time, worked out in a thread so that the window never waits for it.

``core.sweeps.estimate_seconds`` builds each distinct dataset of the trials once to count its
samples: instant for a generated task, as long as reading the file for a big CSV. The dialog asks
``SweepEstimator.estimate`` after each pause in the user's typing; the estimator runs one estimate
at a time in a QThread of its own and delivers the answer by signal, but only the answer to the
latest question: one asked for a sweep the user has since changed is dropped, and the newest
question waits for the running estimate to end instead of starting a second build beside it.
``shutdown`` (the dialog closing) drops every answer and returns at once: core cannot interrupt a
build, and waiting for a big CSV would freeze the window. The abandoned estimate is kept until it
has ended (a QThread destroyed while it runs aborts the process); the window waits for any still
running only when it quits (``wait_for_abandoned``).
"""

from __future__ import annotations

from PySide6.QtCore import QDeadlineTimer, QObject, QThread, Signal

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
            # Nothing of it may reach this estimator again: the dialog, and this with it, may be
            # deleted before it ends.
            for signal, slot in ((thread.answered, self._on_answered), (thread.finished, self._on_thread_finished)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
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


# Estimates no dialog wants any more, kept until they have ended. They are let go when the next
# one is abandoned or the application quits; no signal of theirs is used, as what it would reach
# may be gone by then.
_abandoned: list[_EstimateThread] = []


def _let_go_of_ended() -> None:
    for thread in [t for t in _abandoned if t.isFinished()]:
        thread.wait()
        _abandoned.remove(thread)
        thread.deleteLater()


def _abandon(thread: _EstimateThread) -> None:
    _let_go_of_ended()
    thread.setParent(None)  # outlives the dialog and its estimator
    _abandoned.append(thread)


def abandoned_count() -> int:
    """Abandoned estimates still running."""
    _let_go_of_ended()
    return len(_abandoned)


def wait_for_abandoned(wait_ms: int | None = None) -> bool:
    """Wait for every abandoned estimate to end (the application is quitting); True if all did."""
    deadline = QDeadlineTimer(QDeadlineTimer.ForeverConstant.Forever if wait_ms is None else wait_ms)
    for thread in list(_abandoned):
        thread.wait(deadline)
    _let_go_of_ended()
    return not _abandoned
