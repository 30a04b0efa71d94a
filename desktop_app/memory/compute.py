"""Runs the Memory tab's Keras work (states, connectivity, step terms) off the GUI thread.

Computing the states of a chosen sample runs the model, which takes from a few milliseconds to
a second, and the first call builds TensorFlow functions: done in the GUI thread it would freeze
the window. One job runs at a time in a short-lived QThread; a job asked for while another runs
replaces any job still waiting, so clicking through samples never builds a queue. Results come
back in the GUI thread with the job's number, so the tab can drop an answer it no longer wants.

The tab never submits while a run trains: the TF backend is not thread-safe, and the training
worker loads the finished model in this process (docs/ARCHITECTURE.md, Threads and processes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from core.errors import Failure


class _Job(QThread):
    def __init__(self, number: int, fn: Callable[[], Any], parent: QObject | None = None):
        super().__init__(parent)
        self.number = number
        self.fn = fn
        self.result: Any = None
        self.failure: Failure | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread as a Failure
            self.failure = Failure.from_exception(exc)


class Computation(QObject):
    """``submit(fn)`` runs ``fn()`` in a thread; ``finished(number, result)`` or ``failed(number,
    Failure)`` comes back in the GUI thread."""

    finished = Signal(int, object)
    failed = Signal(int, object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._running: _Job | None = None
        self._waiting: tuple[int, Callable[[], Any]] | None = None
        self._count = 0
        self._closed = False

    def is_busy(self) -> bool:
        return self._running is not None or self._waiting is not None

    def submit(self, fn: Callable[[], Any]) -> int:
        """Run ``fn`` after the job in flight (replacing any job still waiting); its number."""
        self._count += 1
        if self._closed:
            return self._count
        was_busy = self.is_busy()
        if self._running is None:
            self._start(self._count, fn)
        else:
            self._waiting = (self._count, fn)
        if not was_busy:
            self.busy_changed.emit(True)
        return self._count

    def shutdown(self, wait_ms: int) -> bool:
        """Drop waiting jobs and wait up to ``wait_ms`` for the one in flight; True if it ended."""
        self._closed = True
        self._waiting = None
        job = self._running
        return job is None or job.wait(wait_ms)

    def _start(self, number: int, fn: Callable[[], Any]) -> None:
        job = _Job(number, fn, self)
        job.finished.connect(lambda: self._on_job_finished(job))
        self._running = job
        job.start()

    def _on_job_finished(self, job: _Job) -> None:
        job.wait()
        self._running = None
        job.deleteLater()
        if self._waiting is not None and not self._closed:
            number, fn = self._waiting
            self._waiting = None
            self._start(number, fn)
        if job.failure is not None:
            self.failed.emit(job.number, job.failure)
        else:
            self.finished.emit(job.number, job.result)
        if not self.is_busy():
            self.busy_changed.emit(False)
