"""What a training run reports and leaves behind: the listener's events, the History and the result.

Plain dataclasses with no TensorFlow, so the window, the command line, the runner's pipe and
saved bundles can all read them. Epochs and batches are counted from 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: the command line imports this module before numpy
    import numpy as np

STOP_REASONS = ("completed", "stopped", "early_stopping", "nan")


@dataclass
class RunStarted:
    epochs: int
    batches_per_epoch: int
    device_name: str
    layer_names: list[str]
    weight_names: dict[str, list[str]]


@dataclass
class BatchEnd:
    epoch: int
    batch: int
    global_batch: int
    batches_per_epoch: int
    loss: float  # this batch's own loss (not the running mean)
    layer_norms: dict[str, float]
    weight_norms: dict[str, dict[str, float]]


@dataclass
class EpochEnd:
    epoch: int
    epochs: int
    logs: dict[str, float]
    gradient_flow: np.ndarray  # (T,): ||d loss / d x_t|| on the probe batch
    elapsed_s: float  # training time since the run started, pauses excluded


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _from_json_float(value: float | None) -> float:
    return float("nan") if value is None else float(value)


@dataclass
class History:
    epochs: list[dict[str, float]] = field(default_factory=list)
    batch_loss: list[float] = field(default_factory=list)
    layer_norms: dict[str, list[float]] = field(default_factory=dict)
    weight_norms: dict[str, list[float]] = field(default_factory=dict)  # "layer/w" -> per batch
    gradient_flow: list[list[float]] = field(default_factory=list)  # per epoch
    # Batches in a full epoch: batch i (from 0) lies at epoch i / batches_per_epoch even when the
    # run stopped mid-epoch. 0 when unknown (a history saved before this field existed).
    batches_per_epoch: int = 0

    def batch_epochs(self) -> list[float]:
        """Each batch's position in epochs (batch i ends at (i + 1) / batches_per_epoch); when
        batches_per_epoch is unknown, spread the batches evenly over the recorded epochs."""
        n = len(self.batch_loss)
        per_epoch = self.batches_per_epoch
        if per_epoch <= 0:
            per_epoch = max(1, math.ceil(n / len(self.epochs))) if self.epochs else max(n, 1)
        return [(i + 1) / per_epoch for i in range(n)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able; NaN and infinities (a diverged run) become null."""
        def floats(values):
            return [_json_float(v) for v in values]

        return {
            "epochs": [{k: _json_float(v) for k, v in logs.items()} for logs in self.epochs],
            "batch_loss": floats(self.batch_loss),
            "layer_norms": {k: floats(v) for k, v in self.layer_norms.items()},
            "weight_norms": {k: floats(v) for k, v in self.weight_norms.items()},
            "gradient_flow": [floats(p) for p in self.gradient_flow],
            "batches_per_epoch": int(self.batches_per_epoch),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The inverse of to_dict; a value of the wrong kind (read from a file) raises a
        ValueError naming its field."""
        def floats(values, field_name):
            try:
                if isinstance(values, (str, bytes)):
                    raise TypeError
                return [_from_json_float(v) for v in values]
            except (TypeError, ValueError, OverflowError):
                raise ValueError(f"{field_name}: expected a list of numbers, received {values!r:.80}") from None

        def table(name):
            values = data.get(name, {})
            if not isinstance(values, dict):
                raise ValueError(f"{name}: expected an object of lists, received {values!r:.80}")
            return {k: floats(v, f"{name}.{k}") for k, v in values.items()}

        if not isinstance(data, dict):
            raise ValueError(f"expected an object, received {type(data).__name__}")
        epochs = data.get("epochs", [])
        if not isinstance(epochs, list) or not all(isinstance(logs, dict) for logs in epochs):
            raise ValueError(f"epochs: expected a list of objects, received {epochs!r:.80}")
        per_epoch = data.get("batches_per_epoch", 0)
        if isinstance(per_epoch, bool) or not isinstance(per_epoch, int) or per_epoch < 0:
            raise ValueError(f"batches_per_epoch: expected a whole number >= 0, received {per_epoch!r:.80}")
        return cls(
            batches_per_epoch=per_epoch,
            epochs=[dict(zip(logs, floats(logs.values(), f"epochs[{i}]"))) for i, logs in enumerate(epochs)],
            batch_loss=floats(data.get("batch_loss", []), "batch_loss"),
            layer_norms=table("layer_norms"),
            weight_norms=table("weight_norms"),
            gradient_flow=[floats(p, f"gradient_flow[{i}]") for i, p in enumerate(data.get("gradient_flow", []))],
        )


@dataclass
class TrainingResult:
    model: Any  # the plain keras.Model (compiled with the run's optimizer, loss and metrics)
    history: History
    stop_reason: str  # one of STOP_REASONS
    message: str
    epochs_run: int
    final_metrics: dict[str, float]


class TrainingListener:
    """Receives the run's events, in the training thread. Override what you need."""

    def on_run_started(self, event: RunStarted) -> None: ...

    def on_batch_end(self, event: BatchEnd) -> None: ...

    def on_epoch_end(self, event: EpochEnd) -> None: ...

    def on_finished(self, result: TrainingResult) -> None: ...

    def on_failed(self, message: str) -> None: ...
