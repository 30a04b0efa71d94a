"""Runs a sweep from a QThread and turns core.sweeps' events into Qt signals.

``core.sweeps.run_sweep`` blocks until every trial has ended, training the trials in child
processes (or on Ray) and calling ``on_event`` from threads of its own; this worker's thread
only waits in it, and each event crosses to the GUI thread as a queued signal. Stop sets the
sweep's ``stop_event``: the running trials end after their batch in flight and what finished is
kept. Each sweep gets a thread of its own that ends with it, so a window with no sweep holds
no thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from core.errors import Failure, RNNLabError
from core.sweeps.engine import TrialEpoch, TrialFinished, TrialStarted, run_sweep


@dataclass(frozen=True)
class SweepRequest:
    """What Start asks for: core.sweeps.run_sweep's arguments."""

    spec: Any  # core.sweeps.spec.SweepSpec
    out_dir: Path
    engine: str = "local"
    address: str | None = None
    max_concurrent: int | None = None
    resume: bool = False


class SweepWorker(QObject):
    """One sweep at a time, in its own thread.

    Signals: ``trial_started(Trial, attempt)``, ``trial_epoch(trial_id, epoch, logs)``,
    ``trial_finished(TrialResult)``, then exactly one of ``sweep_finished(list of TrialResult)``
    and ``sweep_failed(core.errors.Failure)``.
    """

    trial_started = Signal(object, int)
    trial_epoch = Signal(str, int, object)
    trial_finished = Signal(object)
    sweep_finished = Signal(list)
    sweep_failed = Signal(object)

    def __init__(self, run_function=None) -> None:
        """``run_function`` has core.sweeps.run_sweep's signature (tests pass a stand-in)."""
        super().__init__()
        self._run_function = run_function
        self._thread: _SweepThread | None = None
        self._stop_event: threading.Event | None = None
        self._outcome: Failure | list | None = None

    # --- called from the GUI thread -------------------------------------------------------

    def is_running(self) -> bool:
        """Whether a sweep's thread is still running."""
        return self._thread is not None and not self._thread.isFinished()

    def is_stopping(self) -> bool:
        return self._stop_event is not None and self._stop_event.is_set()

    def start(self, request: SweepRequest) -> None:
        if self.is_running():
            raise RNNLabError("A sweep is already running: stop it before starting another.")
        stop_event = threading.Event()
        self._stop_event = stop_event
        if self._thread is not None:
            self._thread.deleteLater()  # the last sweep's, ended
        self._thread = _SweepThread(lambda: self._run(request, stop_event), self)
        self._thread.finished.connect(self._on_thread_finished)
        self._thread.start()

    def stop(self) -> None:
        """End the running trials after their batch in flight; finished trials are kept."""
        if self._stop_event is not None:
            self._stop_event.set()

    def wait(self, ms: int) -> bool:
        """Block up to ``ms`` until the sweep's thread has ended; True if it has."""
        return self._thread is None or self._thread.wait(max(1, ms))

    def shutdown(self, ms: int = 10000) -> bool:
        self.stop()
        return self.wait(ms)

    # --- runs in the sweep's thread ---------------------------------------------------------

    def _run(self, request: SweepRequest, stop_event: threading.Event) -> None:
        try:
            run = self._run_function or run_sweep
            results = run(request.spec, request.out_dir, engine=request.engine, address=request.address,
                          max_concurrent=request.max_concurrent, resume=request.resume,
                          on_event=self._relay, stop_event=stop_event, background=True)
        except RNNLabError as exc:
            self._outcome = Failure(str(exc))
        except Exception as exc:  # a bug or an engine's own error: the sweep ends, the app goes on
            self._outcome = Failure.from_exception(exc, prefix="The sweep failed unexpectedly: ")
        else:
            self._outcome = list(results or [])

    def _on_thread_finished(self) -> None:
        """In the GUI thread, once the sweep's thread has ended: a receiver may start the next."""
        outcome, self._outcome = self._outcome, None
        if isinstance(outcome, Failure):
            self.sweep_failed.emit(outcome)
        else:
            self.sweep_finished.emit(outcome or [])

    def _relay(self, event: Any) -> None:
        """core.sweeps' ``on_event``, called from the engine's threads."""
        if isinstance(event, TrialStarted):
            self.trial_started.emit(event.trial, int(event.attempt))
        elif isinstance(event, TrialEpoch):
            self.trial_epoch.emit(str(event.trial_id), int(event.epoch), dict(event.logs))
        elif isinstance(event, TrialFinished):
            self.trial_finished.emit(event.result)


class _SweepThread(QThread):
    """One sweep's thread: it runs ``job`` and ends."""

    def __init__(self, job: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName("RNN Lab sweep")
        self._job = job

    def run(self) -> None:
        self._job()
