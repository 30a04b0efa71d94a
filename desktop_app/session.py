"""The training session: every run of this window, the one training now, a queue and its progress.

``TrainingSession`` owns the run records (the Runs table, the plots and the Predict tab only show
them), numbers and labels new runs, trains them one at a time through ``TrainingWorker``, queues
the runs of Compare cells and turns the worker's batch events into a progress report at most
``PROGRESS_HZ`` times a second. It holds no widget: the window connects its signals to the views,
and a test can drive it with a fake train function and no window at all.

Signals, in the order a run emits them: ``run_added`` (preparing), ``state_changed``,
``run_updated`` and ``run_started`` (the first event, with the device), ``batch_ended``/``epoch_ended``
(and ``settings_changed`` where a change made while paused took effect),
``progress_changed``, ``run_updated`` whenever a record's status changes, ``run_ended`` once
(finished, stopped, NaN or failed) and ``queue_finished`` after the last run that one
``train`` call asked for.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from core.course import changed_spec, pending_changes
from core.errors import Failure, RNNLabError
from core.history import History
from core.model_fit import same_shapes
from desktop_app.worker import TrainingWorker

PROGRESS_HZ = 10


class RunStatus(StrEnum):
    PREPARING = "preparing"
    RUNNING = "running"
    COMPLETED = "completed"
    EARLY_STOPPING = "early_stopping"
    STOPPED = "stopped"
    NAN = "nan"
    FAILED = "failed"
    KILLED = "killed"  # the system killed its training process (out of memory, usually)
    LOADED = "loaded"  # opened from a bundle
    IMPORTED = "imported"  # a plain .keras model


# A run in these states is training: it cannot be deleted, saved or predicted with yet.
BUSY_STATUSES = frozenset({RunStatus.PREPARING, RunStatus.RUNNING})


@dataclass(eq=False)
class RunRecord:
    """One run as the session keeps it (compared by identity: it holds a live model)."""

    run_id: str
    label: str
    project: Any  # core.specs.Project
    status: RunStatus
    final_metrics: dict = field(default_factory=dict)
    history: Any = None  # core.training.History, None until the run ends
    model: Any = None  # keras.Model, None until the run ends
    info: Any = None  # core.datasets.DataInfo
    message: str = ""  # the run's last word: NaN diagnosis, error, where it was opened from
    failure: Failure | None = None  # why a failed run failed, with the details behind the message
    saved_path: str = ""  # the file that holds its model (saved to, opened or imported from); "" if none

    @property
    def epochs_run(self) -> int:
        return len(self.history.epochs) if self.history is not None else 0


@dataclass(frozen=True)
class Progress:
    epoch: int
    epochs: int
    batch: int
    batches_per_epoch: int
    elapsed_s: float
    remaining_s: float | None


@dataclass
class _ActiveRun:
    record: RunRecord
    started_at: float = 0.0
    epochs: int = 0
    batches_per_epoch: int = 0
    epoch: int = 0
    batch: int = 0
    done_batches: int = 0
    stop_requested: bool = False
    progress_dirty: bool = False
    # The learning rate and clipping asked for (core.training.TrainingSpec): the run's own, then
    # each Resume's changes, already before the run reports them in effect.
    training: Any = None
    # What the run reported so far: a run whose process is killed keeps it.
    history: History = field(default_factory=History)


class TrainingSession(QObject):
    """The runs of one window; one trains at a time (see the module docstring for the signals)."""

    run_added = Signal(object)  # RunRecord
    run_updated = Signal(object)  # RunRecord
    run_started = Signal(object, object)  # RunRecord, core.training.RunStarted
    batch_ended = Signal(str, object)  # run id, core.training.BatchEnd
    epoch_ended = Signal(str, object)  # run id, core.training.EpochEnd
    settings_changed = Signal(str, object)  # run id, core.history.SettingsChanged (in effect from its batch on)
    progress_changed = Signal(object)  # Progress
    state_changed = Signal(str)  # idle, preparing, running, paused or stopping
    run_ended = Signal(object)  # RunRecord with its final status
    queue_finished = Signal(list)  # the run ids one train() call trained
    current_changed = Signal(object)  # the RunRecord whose model Save, Export and Predict use, or None

    def __init__(self, worker: TrainingWorker | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.worker = worker if worker is not None else TrainingWorker()
        self._records: dict[str, RunRecord] = {}
        self._run_counter = 0
        self._active: _ActiveRun | None = None
        self._current: RunRecord | None = None
        self._queue: list[tuple[Any, Any, Any, str]] = []
        self._queue_ids: list[str] = []
        self._closed = False
        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(int(1000 / PROGRESS_HZ))
        self._progress_timer.timeout.connect(self._report_progress)
        self.worker.run_started.connect(self._on_run_started)
        self.worker.batches_ended.connect(self._on_batches_ended)
        self.worker.epoch_ended.connect(self._on_epoch_ended)
        self.worker.settings_changed.connect(self._on_settings_changed)
        self.worker.run_finished.connect(self._on_run_finished)
        self.worker.run_failed.connect(self._on_run_failed)

    # --- state -----------------------------------------------------------------------------

    def records(self) -> list[RunRecord]:
        return list(self._records.values())

    def record(self, run_id: str) -> RunRecord | None:
        return self._records.get(run_id)

    def is_training(self) -> bool:
        return self._active is not None

    def active_record(self) -> RunRecord | None:
        return self._active.record if self._active is not None else None

    def state(self) -> str:
        active = self._active
        if active is None:
            return "idle"
        if active.stop_requested:
            return "stopping"
        if active.record.status == RunStatus.PREPARING:
            return "preparing"
        return "paused" if self.worker.is_paused() else "running"

    @property
    def current(self) -> RunRecord | None:
        return self._current

    def set_current(self, record: RunRecord | None) -> None:
        if record is self._current:
            return
        self._current = record
        self.current_changed.emit(record)

    def continuable_model(self, project, data):
        """The current run's model if ``project`` and ``data`` still describe it, else None.

        Continuing needs the same architecture and data of the same shapes; anything else
        would be a new model, which is what Train is for.
        """
        record = self._current
        if record is None or record.model is None or record.info is None or data is None:
            return None
        if project.model != record.project.model or not same_shapes(data.info, record.info):
            return None
        return record.model

    # --- runs ------------------------------------------------------------------------------

    def train(self, projects: list, data, *, model=None, label_suffix: str = "") -> RunRecord:
        """Train ``projects`` on ``data`` one after another (the first from ``model`` if given).

        Returns the first run's record. Raises RNNLabError (with the record marked failed) if
        the worker cannot start it.
        """
        first, *rest = projects
        self._queue = [(project, data, None, "") for project in rest]
        self._queue_ids = []
        return self._start(first, data, model, label_suffix)

    def add_run(self, project, title: str, status: RunStatus, *, model=None, history=None, info=None,
                final_metrics: dict | None = None, message: str = "") -> RunRecord:
        """Register a run that did not train here (opened from a bundle, imported from .keras)."""
        record = RunRecord(run_id=self._next_id(), label=f"#{self._run_counter} {title}", project=project,
                           status=status, final_metrics=dict(final_metrics or {}), history=history,
                           model=model, info=info, message=message)
        self._records[record.run_id] = record
        self.run_added.emit(record)
        return record

    def remove(self, run_id: str) -> RunRecord | None:
        record = self._records.pop(run_id, None)
        if record is not None and record is self._current:
            self.set_current(None)
        return record

    def pause(self) -> None:
        if self._active is None or self._active.stop_requested:
            return
        self.worker.pause()
        self.state_changed.emit(self.state())

    def resume(self, training=None) -> None:
        """Go on training. ``training`` (the Training panel's TrainingSpec) changes the learning rate
        and clipping from the next batch on, keeping the optimizer's state (core.course); a
        SpecError names a value it cannot take."""
        active = self._active
        if active is None or active.stop_requested:
            return
        changes = {}
        if training is not None and active.training is not None:
            changes = pending_changes(active.training, training)
            active.training = changed_spec(active.training, changes)
        self.worker.resume(changes)
        self.state_changed.emit(self.state())

    def toggle_pause(self, training=None) -> None:
        if self.worker.is_paused():
            self.resume(training)
        else:
            self.pause()

    def stop(self) -> None:
        """Stop the run after the batch in flight; the rest of its queue is dropped."""
        if self._active is None:
            return
        self._queue = []
        self._active.stop_requested = True
        self.worker.stop()
        self.state_changed.emit(self.state())

    def shutdown(self, wait_ms: int) -> bool:
        """Stop any run and end the worker's thread; True if it ended within ``wait_ms``."""
        self._closed = True
        self._queue = []
        self._progress_timer.stop()
        return self.worker.shutdown(wait_ms)

    # --- internals -------------------------------------------------------------------------

    def _next_id(self) -> str:
        self._run_counter += 1
        return f"run-{self._run_counter}"

    def _start(self, project, data, model, label_suffix: str) -> RunRecord:
        run_id = self._next_id()
        record = RunRecord(run_id=run_id, label=f"#{self._run_counter} {project.model.cell}{label_suffix}",
                           project=project, status=RunStatus.PREPARING, info=data.info)
        self._records[run_id] = record
        self._active = _ActiveRun(record=record, training=project.training)
        self._queue_ids.append(run_id)
        self.run_added.emit(record)
        self.state_changed.emit(self.state())
        try:
            self.worker.start(project, data, model)
        except RNNLabError as exc:
            self._active = None
            self._queue = []
            record.status = RunStatus.FAILED
            record.failure = Failure(str(exc))
            record.message = str(exc)
            self.run_updated.emit(record)
            self.state_changed.emit(self.state())
            raise
        return record

    def _on_run_started(self, event) -> None:
        active = self._active
        if active is None:
            return
        active.started_at = time.monotonic()
        active.epochs = int(event.epochs)
        active.batches_per_epoch = int(event.batches_per_epoch)
        active.history.batches_per_epoch = active.batches_per_epoch
        active.record.status = RunStatus.RUNNING
        self.run_updated.emit(active.record)
        self.state_changed.emit(self.state())
        self.run_started.emit(active.record, event)
        active.progress_dirty = True
        self._progress_timer.start()

    def _on_batches_ended(self, events: list) -> None:
        active = self._active
        if active is None or not events:
            return
        for event in events:
            self.batch_ended.emit(active.record.run_id, event)
            _record_batch(active.history, event)
        last = events[-1]
        active.epoch = int(last.epoch)
        active.batch = int(last.batch)
        active.batches_per_epoch = int(last.batches_per_epoch) or active.batches_per_epoch
        # Epochs, batches and the global batch count from 1 (core.training).
        active.done_batches = int(last.global_batch)
        active.progress_dirty = True

    def _on_epoch_ended(self, event) -> None:
        active = self._active
        if active is None:
            return
        self.epoch_ended.emit(active.record.run_id, event)
        active.history.epochs.append(dict(event.logs))
        active.history.gradient_flow.append([float(v) for v in event.gradient_flow])
        active.progress_dirty = True

    def _on_settings_changed(self, event) -> None:
        active = self._active
        if active is None:
            return
        record = active.record
        # The record keeps the settings the model ended with: a saved bundle, the hints and a
        # continued run start from them.
        new_values = {name: new for name, (_old, new) in event.changes.items()}
        record.project = dataclasses.replace(record.project, training=changed_spec(record.project.training,
                                                                                   new_values))
        active.history.settings_changes.append(event)
        self.settings_changed.emit(record.run_id, event)
        self.run_updated.emit(record)

    def _report_progress(self) -> None:
        active = self._active
        if active is None:
            self._progress_timer.stop()
            return
        if not active.progress_dirty:
            return
        active.progress_dirty = False
        elapsed = time.monotonic() - active.started_at if active.started_at else 0.0
        total = active.epochs * active.batches_per_epoch
        done = active.done_batches
        remaining = elapsed / done * (total - done) if done > 0 and total >= done else None
        self.progress_changed.emit(Progress(active.epoch, active.epochs, active.batch, active.batches_per_epoch,
                                            elapsed, remaining))

    def _on_run_finished(self, result) -> None:
        record = self._end_active()
        if record is None:
            return
        record.status = RunStatus(result.stop_reason)
        record.final_metrics = dict(result.final_metrics)
        record.history = result.history
        record.model = result.model
        record.message = result.message
        self._finish(record)

    def _on_run_failed(self, failure: Failure) -> None:
        history = self._active.history if self._active is not None else None
        record = self._end_active()
        if record is None:
            return
        self._queue = []
        record.message = failure.message
        if failure.stopped:  # the user's stop, before the first batch: no model, nothing failed
            record.status = RunStatus.STOPPED
            self._finish(record)
            return
        record.status = RunStatus.KILLED if failure.killed else RunStatus.FAILED
        record.failure = failure
        if failure.killed and history is not None and history.batch_loss:
            record.history = history
            if history.epochs:
                record.final_metrics = dict(history.epochs[-1])
        self._finish(record)

    def _end_active(self) -> RunRecord | None:
        active = self._active
        if active is None:
            return None
        self._report_progress()
        self._progress_timer.stop()
        self._active = None
        self.state_changed.emit(self.state())
        return active.record

    def _finish(self, record: RunRecord) -> None:
        self.run_updated.emit(record)
        if record.model is not None:
            self.set_current(record)
        self.run_ended.emit(record)
        if self._closed:
            return
        if self._queue and record.status not in (RunStatus.STOPPED, RunStatus.FAILED):
            project, data, model, suffix = self._queue.pop(0)
            try:
                self._start(project, data, model, suffix)
                return
            except RNNLabError:
                self.run_ended.emit(self._records[self._queue_ids[-1]])
        ids, self._queue, self._queue_ids = list(self._queue_ids), [], []
        if ids:
            self.queue_finished.emit(ids)


def _record_batch(history: History, event) -> None:
    """Add a batch's event to ``history`` as core.training records it."""
    history.batch_loss.append(float(event.loss))
    for layer, value in event.layer_norms.items():
        history.layer_norms.setdefault(layer, []).append(float(value))
    for layer, weights in event.weight_norms.items():
        for name, value in weights.items():
            history.weight_norms.setdefault(f"{layer}/{name}", []).append(float(value))
