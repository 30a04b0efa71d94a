"""Predicting a model's held-out samples a slice at a time, between the window's redraws.

The TF backend is not thread-safe and a run's worker uses Keras in this process too, so the
predictions are made in the GUI thread, CHUNK samples per timer tick (a few milliseconds each),
and only while no run trains: ``pause()`` stops after the slice in flight, ``resume()`` goes on
where it stopped. When every split is predicted, ``core.evaluation`` scores them and
``finished`` carries one Evaluation per split; a problem a user can act on arrives as ``failed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from core.datasets.base import SequenceData
from core.errors import RNNLabError

CHUNK = 1024


class EvaluationJob(QObject):
    """Predicts ``splits`` of ``data`` with ``model`` and evaluates them (see the module docstring)."""

    progressed = Signal(int, int)  # samples predicted, samples in all
    finished = Signal(object)  # {split: core.evaluation.Evaluation}, validation first
    failed = Signal(str)

    def __init__(self, model: Any, data: SequenceData, splits: list[str], parent: QObject | None = None):
        super().__init__(parent)
        self.model, self.data, self.splits = model, data, list(splits)
        self._outputs: dict[str, list[np.ndarray]] = {split: [] for split in self.splits}
        self._queue = [(split, start) for split in self.splits
                       for start in range(0, len(data.split(split)[0]), CHUNK)]
        self._total = sum(len(data.split(split)[0]) for split in self.splits)
        self._done = 0
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self._ended = False

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def ended(self) -> bool:
        return self._ended

    def start(self) -> None:
        if not self._ended:
            self._timer.start()

    resume = start

    def pause(self) -> None:
        self._timer.stop()

    def cancel(self) -> None:
        self._timer.stop()
        self._ended = True

    def _step(self) -> None:
        from core.inference import predict

        if not self._queue:
            self._finish()
            return
        split, start = self._queue.pop(0)
        x = self.data.split(split)[0][start:start + CHUNK]
        try:
            self._outputs[split].append(predict(self.model, self.data.info, x))
        except RNNLabError as exc:
            self._fail(str(exc))
            return
        self._done += len(x)
        self.progressed.emit(self._done, self._total)
        if not self._queue:
            self._finish()

    def _finish(self) -> None:
        from core.evaluation import evaluate, held_out_index

        self._timer.stop()
        self._ended = True
        results = {}
        try:
            for split in self.splits:
                x, y = self.data.split(split)
                predicted = np.concatenate(self._outputs[split], axis=0)
                results[split] = evaluate(self.data.info, x, y, predicted, y_train=self.data.y_train, split=split,
                                          first_index=held_out_index(self.data, split))
        except RNNLabError as exc:
            self.failed.emit(str(exc))
            return
        self.finished.emit(results)

    def _fail(self, message: str) -> None:
        self._timer.stop()
        self._ended = True
        self.failed.emit(message)
