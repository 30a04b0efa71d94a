"""One trial: the same ``core.training.train`` as a normal run, its bundle saved into the sweep's folder.

Both engines call ``run_trial`` in their worker processes. A problem with the trial itself (data
that cannot be built for this combination, a model that does not fit in memory, an error inside
TensorFlow) is a failed row with its reason, not an exception: it would fail the same way again,
so it is not retried. Only a worker that dies is retried, by the engine.

A sweep's scheduler (``asha``) ends a trial through ``on_epoch``'s answer: the trial stops within
the next batch and its row is the scheduler's, judged on the epoch it reached, without a bundle.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import Failure
from core.history import TrainingListener
from core.specs import Project
from core.sweeps.asha import stopped_row
from core.sweeps.results import TRIALS_DIR, TrialResult
from core.sweeps.trials import Trial

EpochCallback = Callable[[int, dict[str, float]], Any]


class _TrialListener(TrainingListener):
    """Passes each epoch's logs on and turns ``should_stop``, or the scheduler's verdict, into a
    stop after the current batch."""

    def __init__(self, on_epoch: EpochCallback | None, should_stop: Callable[[], bool] | None, control) -> None:
        self.on_epoch = on_epoch
        self.should_stop = should_stop
        self.control = control
        self.scheduled_stop: tuple[int, dict[str, float]] | None = None  # (epoch, its logs)

    def on_batch_end(self, event) -> None:
        if self.should_stop is not None and not self.control.stop_requested and self.should_stop():
            self.control.request_stop()

    def on_epoch_end(self, event) -> None:
        # Keras ends the epoch it breaks out of: that batch past the verdict is no epoch of the trial's.
        if self.on_epoch is None or self.scheduled_stop is not None:
            return
        logs = dict(event.logs)
        if self.on_epoch(event.epoch, logs):
            self.scheduled_stop = (event.epoch, logs)
            self.control.request_stop()


def run_trial(project: Project, trial: Trial, out_dir: str | Path, on_epoch: EpochCallback | None = None,
              should_stop: Callable[[], bool] | None = None, *, attempt: int = 1) -> TrialResult:
    """Train ``project`` (the trial's project, ``trials.trial_project``) and save its bundle as
    ``out_dir/trials/<trial_id>.rnnlab``; ``on_epoch(epoch, logs)`` after every epoch (a true
    answer: the scheduler ends the trial there, ``asha.stopped_row``), ``should_stop()`` polled
    after every batch (a trial stopped by it keeps its bundle)."""
    from core.datasets import build_dataset
    from core.datasets.windows import dataset_bytes
    from core.diagnostics import flow_verdict, measured_flows
    from core.memory_estimate import require_training_memory
    from core.persistence import Bundle, save_bundle
    from core.training import TrainingControl, train

    started = time.perf_counter()
    row = TrialResult(trial.trial_id, dict(trial.fields), trial.seed, "failed", attempts=attempt)
    try:
        data = build_dataset(project.dataset, project.model.io_mode)
        require_training_memory(project, data.info, data.num_train, data.num_val, dataset_bytes=dataset_bytes(data))
        control = TrainingControl()
        listener = _TrialListener(on_epoch, should_stop, control)
        result = train(project, data, listener=listener, control=control)
        if listener.scheduled_stop is not None:
            row = stopped_row(trial, *listener.scheduled_stop, attempts=attempt)
            row.seconds = time.perf_counter() - started
            return row
        relative = f"{TRIALS_DIR}/{trial.trial_id}.rnnlab"
        (Path(out_dir) / TRIALS_DIR).mkdir(parents=True, exist_ok=True)
        save_bundle(Path(out_dir) / relative, Bundle(project=project, model=result.model,
                                                     history=result.history, info=data.info))
    except Exception as exc:  # noqa: BLE001 - a trial's failure is its row, and the sweep goes on
        row.error = Failure.from_exception(exc).message
        row.seconds = time.perf_counter() - started
        return row
    row.status = "stopped" if result.stop_reason == "stopped" else "completed"
    row.metrics = {k: float(v) for k, v in result.final_metrics.items()}
    measured = measured_flows(result.history.gradient_flow)
    if measured:
        ratio = flow_verdict(measured[-1]).value
        row.flow_ratio = float(ratio) if ratio is not None and not math.isnan(ratio) else None
    row.bundle = relative
    row.epochs = result.epochs_run
    row.stop_reason = result.stop_reason
    row.error = "" if result.stop_reason in ("completed", "early_stopping", "stopped") else result.message
    row.seconds = time.perf_counter() - started
    return row
