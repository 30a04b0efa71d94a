"""Runs training from a QThread and turns its listener calls into Qt signals.

The run itself happens in ``core.runner.ProcessTrainer``'s child process (one per app, shared by
every window): each newly fitted Keras RNN leaves 11-17 MB that TensorFlow never gives back, so
the app's own process would grow run after run (bench/bench_memory.py measures both), and a
crash inside TensorFlow now ends the run instead of the app and the user's unsaved work. The
QThread only relays: it blocks in ``ProcessTrainer.train`` and emits the events it receives.

The worker never touches a widget: every event crosses to the GUI thread as a queued signal.
Stop and pause go through ``core.training.TrainingControl``, a thread-safe flag the training
loop polls after every batch, so the busy worker thread never needs to process a Qt event.
Each batch event is emitted as it comes (``batch_ended``, for receivers in the worker thread), and
also gathered for the GUI thread: ``batches_ended`` carries the batches of up to BATCH_SIGNAL_S at a
time, so that a fast model's 30-100 batches a second wake the GUI thread ~20 times, not once per
batch: the GUI thread's CPU while a 2-layer LSTM trains fell from 82-83 to 72-78 ms per second
(bench/RESULTS.md, 2026-12-02; the training child's cores did not measurably change). The
receivers only buffer them; plots redraw on a timer anyway.

Importing core.training loads no TensorFlow (it imports Keras inside ``train``), so this module
can subclass its listener at import time without delaying the window.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.errors import Failure, RNNLabError, TrainingError
from core.training import TrainingControl, TrainingListener

# The longest a batch waits in the worker before the GUI thread gets it: below the plots' redraw
# period (desktop_app.plots, 15 Hz), so the plots show the same batches as before.
BATCH_SIGNAL_S = 0.05

_SHARED_TRAINER: Any = None
_SHARED_TRAINER_LOCK = threading.Lock()


def shared_trainer():
    """The app's one ProcessTrainer, created on first use (its child starts only when asked)."""
    global _SHARED_TRAINER
    with _SHARED_TRAINER_LOCK:
        if _SHARED_TRAINER is None:
            from core.runner import ProcessTrainer

            _SHARED_TRAINER = ProcessTrainer()
        return _SHARED_TRAINER


def close_shared_trainer(timeout: float = 10.0) -> None:
    """Stop the training child process, if one was started (at application exit)."""
    global _SHARED_TRAINER
    with _SHARED_TRAINER_LOCK:
        trainer, _SHARED_TRAINER = _SHARED_TRAINER, None
    if trainer is not None:
        trainer.close(timeout)


class _SignalListener(TrainingListener):
    """Forwards a run's events, in the training thread, to its worker's signals.

    Batches for the GUI thread are gathered and sent every BATCH_SIGNAL_S, and at once when the
    run pauses, before any other event and when the run ends: what the GUI shows never lags
    behind the run by more than that. A pause is sent on the run's own word (``on_paused``),
    not on the pause request: the training child has a few batches in the pipe when the request
    reaches it, and flushing on the request sent each of them alone."""

    def __init__(self, worker: TrainingWorker):
        self._worker = worker
        self._batches: list = []
        self._sent_at = float("-inf")  # the first batch goes out at once

    def flush(self) -> None:
        if self._batches:
            batches, self._batches = self._batches, []
            self._worker.batches_ended.emit(batches)
        self._sent_at = time.monotonic()

    def on_run_started(self, event):
        self._worker.run_started.emit(event)

    def on_batch_end(self, event):
        self._worker.batch_ended.emit(event)
        self._batches.append(event)
        if time.monotonic() - self._sent_at >= BATCH_SIGNAL_S:
            self.flush()

    def on_paused(self, global_batch):
        self.flush()

    def on_epoch_end(self, event):
        self.flush()
        self._worker.epoch_ended.emit(event)

    def on_settings_changed(self, event):
        self.flush()
        self._worker.settings_changed.emit(event)

    def on_failed(self, message):
        # train() reports unexpected failures here and then raises; the final signal goes out
        # once the worker knows the run has ended, so only remember the message.
        self._worker._pending_failure = str(message)


class TrainingWorker(QObject):
    """One training run at a time, in its own thread.

    Signals carry core.training's event objects unchanged: ``run_started(RunStarted)``,
    ``batch_ended(BatchEnd)`` (emitted in the worker thread: connect it there, with a direct
    connection), ``batches_ended(list[BatchEnd])`` (the same batches gathered, for the GUI thread),
    ``epoch_ended(EpochEnd)``, ``run_finished(TrainingResult)`` and
    ``run_failed(core.errors.Failure)``. Exactly one of the last two ends every run that ``start`` began.
    """

    run_started = Signal(object)
    batch_ended = Signal(object)
    batches_ended = Signal(object)  # list[BatchEnd], in order; every batch exactly once
    epoch_ended = Signal(object)
    settings_changed = Signal(object)  # core.history.SettingsChanged: a change of course took effect
    run_finished = Signal(object)
    run_failed = Signal(object)

    # Internal: carries a run request into the worker thread (queued connection).
    _run_requested = Signal(object, object, object, object)

    def __init__(self, train_function=None) -> None:
        """``train_function`` has core.training.train's signature; the default trains in the
        shared child process."""
        super().__init__()
        self._train_function = train_function
        self._thread = QThread()
        self._thread.setObjectName("RNN Lab training")
        self.moveToThread(self._thread)
        self._run_requested.connect(self._run)
        self._control: Any = None
        self._idle = threading.Event()
        self._idle.set()
        self._pending_failure: str | None = None

    # --- called from the GUI thread ---------------------------------------------------------

    @property
    def thread_handle(self) -> QThread:
        return self._thread

    def is_running(self) -> bool:
        """Whether a run is between ``start`` and its final signal."""
        return not self._idle.is_set()

    def is_paused(self) -> bool:
        control = self._control
        return bool(control is not None and control.paused)

    def start(self, project, data, model=None) -> None:
        """Train ``project`` on ``data`` (a SequenceData) in the worker thread."""
        if self.is_running():
            raise TrainingError("A run is already training: stop it before starting another.")
        if not self._thread.isRunning():
            self._thread.start()
        control = TrainingControl()
        self._control = control
        self._pending_failure = None
        self._idle.clear()
        self._run_requested.emit(project, data, model, control)

    def pause(self) -> None:
        if self._control is not None:
            self._control.pause()

    def resume(self, changes: dict | None = None) -> None:
        """Go on training; ``changes`` (field -> new value, core.course.CHANGEABLE) apply from the
        next batch on."""
        control = self._control
        if control is not None:
            control.request_changes(changes or {})  # queued before the run may go on
            control.resume()

    def stop(self) -> None:
        """Ask the run to stop after the batch in flight (also ends a pause)."""
        control = self._control
        if control is not None:
            control.request_stop()
            # A paused run blocks inside its batch callback; let it go on to see the stop flag.
            control.resume()

    def wait(self, ms: int) -> bool:
        """Block up to ``ms`` milliseconds until no run is active; True if none is."""
        return self._idle.wait(max(0, ms) / 1000.0)

    def shutdown(self, ms: int = 10000) -> bool:
        """Stop any run and end the thread, waiting up to ``ms``; True if the thread ended."""
        self.stop()
        self.wait(ms)
        if not self._thread.isRunning():
            return True
        self._thread.quit()
        return self._thread.wait(max(1, ms))

    # --- runs in the worker thread -----------------------------------------------------------

    @Slot(object, object, object, object)
    def _run(self, project, data, model, control) -> None:
        outcome: Any
        listener = _SignalListener(self)
        try:
            train = self._train_function or shared_trainer().train
            result = train(project, data, listener=listener, control=control, model=model)
        except RNNLabError as exc:
            outcome = Failure.from_exception(exc)  # its kind (killed, stopped before start) decided in core
            if self._pending_failure is not None:
                outcome = dataclasses.replace(outcome, message=self._pending_failure)
        except Exception as exc:  # a bug or a TensorFlow error: the run ends, the app goes on
            failure = Failure.from_exception(exc, prefix="Training failed unexpectedly: ")
            if self._pending_failure is not None:
                failure = Failure(f"Training failed unexpectedly: {self._pending_failure}", failure.details,
                                  expected=False)
            outcome = failure
        else:
            outcome = Failure(self._pending_failure) if self._pending_failure is not None else result
        listener.flush()  # the batches since the last epoch's end (a stopped or failed run), first
        # Mark the worker idle before the final signal, so that its receiver may start the next
        # run (the compare-cells queue does) without finding this one still active.
        self._control = None
        self._idle.set()
        if isinstance(outcome, Failure):
            self.run_failed.emit(outcome)
        else:
            self.run_finished.emit(outcome)
