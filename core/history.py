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
    # Continuing a model: whether its optimizer state carried over, in words ("" for a new model).
    optimizer_note: str = ""


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
    # The probe sample's states (core.states.SequenceStates.to_dict(), with "connectivity" on the
    # epochs it was computed) and the weight health (core.weight_health.epoch_health). On the epoch
    # where the run diverged, health also holds "divergence": a Divergence (health may then hold
    # nothing else, when the time budget skipped the look).
    probe: dict[str, Any] | None = None
    health: dict[str, Any] | None = None


@dataclass
class SettingsChanged:
    """Settings changed while paused, in effect from batch ``global_batch + 1`` on."""

    epoch: int  # the epoch and batch of the last batch trained with the old settings
    batch: int
    global_batch: int
    changes: dict[str, list[Any]]  # field of TrainingSpec -> [old, new]
    label: str  # "lr 0.01 -> 0.001", as the plots mark it

    def to_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batch": self.batch, "global_batch": self.global_batch,
                "changes": {k: list(v) for k, v in self.changes.items()}, "label": self.label}

    @classmethod
    def from_dict(cls, data: Any, where: str) -> SettingsChanged:
        """The inverse of to_dict; a value of the wrong kind raises a ValueError naming ``where``."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, received {data!r:.80}")
        numbers = {}
        for name in ("epoch", "batch", "global_batch"):
            value = data.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where}.{name}: expected a whole number >= 0, received {value!r:.80}")
            numbers[name] = value
        changes, label = data.get("changes", {}), data.get("label", "")
        if not isinstance(changes, dict) or not all(isinstance(v, list) and len(v) == 2 for v in changes.values()):
            raise ValueError(f"{where}.changes: expected an object of [old, new] pairs, received {changes!r:.80}")
        if not isinstance(label, str):
            raise ValueError(f"{where}.label: expected text, received {label!r:.80}")
        return cls(changes={k: list(v) for k, v in changes.items()}, label=label, **numbers)


# Why a batch counted as diverged, and how the plots say it ("just before ...").
DIVERGENCE_CAUSES = {
    "nan_loss": "the loss became NaN",
    "inf_loss": "the loss became infinite",
    "gradients": "the gradients became NaN or infinite",
}


@dataclass
class Divergence:
    """The weight health taken when a batch's loss or gradients stopped being finite, before the
    rescue restored older weights: the per-epoch health is taken at the epoch's end, after the
    rescue, so it never shows the radius that blew up.

    The radii are those of the newest finite weights: the ones the diverged batch started from
    (``weights_after`` = global_batch - 1), else one batch older; NaN when neither was finite.
    """

    epoch: int  # the diverged batch, counted from 1 like BatchEnd's
    batch: int
    global_batch: int
    weights_after: int  # how many of this run's batches had updated the weights measured (0: its start)
    cause: str  # a key of DIVERGENCE_CAUSES
    spectral_radius: dict[str, dict[str, float]]  # layer key -> gate block -> radius
    # False (and no radii) where they were not taken: w_R too wide for the radii's time budget
    # at that point (core.epoch_probe), whose eigenvalues would have held the run for seconds.
    radius_measured: bool = True

    @property
    def words(self) -> str:
        """"the loss became NaN", as a sentence goes on after "just before"."""
        return DIVERGENCE_CAUSES.get(self.cause, "the run diverged")

    def to_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batch": self.batch, "global_batch": self.global_batch,
                "weights_after": self.weights_after, "cause": self.cause,
                "spectral_radius": {layer: {b: _json_float(v) for b, v in blocks.items()}
                                    for layer, blocks in self.spectral_radius.items()},
                "radius_measured": self.radius_measured}

    @classmethod
    def from_dict(cls, data: Any, where: str = "divergence") -> Divergence:
        """The inverse of to_dict; a value of the wrong kind raises a ValueError naming ``where``."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, received {data!r:.80}")
        numbers = {}
        for name in ("epoch", "batch", "global_batch", "weights_after"):
            value = data.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{where}.{name}: expected a whole number >= 0, received {value!r:.80}")
            numbers[name] = value
        cause = data.get("cause")
        if not isinstance(cause, str) or cause not in DIVERGENCE_CAUSES:
            raise ValueError(f"{where}.cause: expected one of {', '.join(DIVERGENCE_CAUSES)}, received {cause!r:.80}")
        radius = _radius_table(data.get("spectral_radius", {}), f"{where}.spectral_radius", _from_json_number)
        measured = data.get("radius_measured", True)  # files written before it was budgeted: taken
        if not isinstance(measured, bool):
            raise ValueError(f"{where}.radius_measured: expected true or false, received {measured!r:.80}")
        return cls(cause=cause, spectral_radius=radius, radius_measured=measured, **numbers)


def _radius_table(value: Any, where: str, each) -> dict[str, dict[str, Any]]:
    """layer -> block -> each(number or null) read from a file, or a ValueError naming ``where``."""
    if not isinstance(value, dict) or not all(isinstance(blocks, dict) for blocks in value.values()):
        raise ValueError(f"{where}: expected layer -> block -> numbers, received {value!r:.80}")
    try:
        return {layer: {b: each(v) for b, v in blocks.items()} for layer, blocks in value.items()}
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expected numbers, received {value!r:.80}") from None


def _from_json_number(value: Any) -> float:
    """A float read from a file (null: NaN); text or a boolean is refused, not converted."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise TypeError(value)
    return _from_json_float(value)


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
    settings_changes: list[SettingsChanged] = field(default_factory=list)  # changes of course, in order
    # Weight health per epoch (core.weight_health): layer key -> gate block -> radius per epoch,
    # and per epoch, layer key -> histogram of its weights / of its gradients on the probe batch.
    spectral_radius: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    weight_histograms: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    gradient_histograms: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    # Epoch -> the probe sample's states (SequenceStates.to_dict()), for a kept set of epochs (add_probe).
    probes: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Batches in a full epoch: batch i (from 0) lies at epoch i / batches_per_epoch even when the
    # run stopped mid-epoch. 0 when unknown (a history saved before this field existed).
    batches_per_epoch: int = 0
    # The weight health just before the run diverged (None: it did not, or was saved before
    # this was recorded).
    divergence: Divergence | None = None

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

        divergence = {} if self.divergence is None else {"divergence": self.divergence.to_dict()}
        return {
            "epochs": [{k: _json_float(v) for k, v in logs.items()} for logs in self.epochs],
            "batch_loss": floats(self.batch_loss),
            "layer_norms": {k: floats(v) for k, v in self.layer_norms.items()},
            "weight_norms": {k: floats(v) for k, v in self.weight_norms.items()},
            "gradient_flow": [floats(p) for p in self.gradient_flow],
            "batches_per_epoch": int(self.batches_per_epoch),
            "settings_changes": [change.to_dict() for change in self.settings_changes],
            "spectral_radius": {layer: {b: floats(v) for b, v in blocks.items()}
                                for layer, blocks in self.spectral_radius.items()},
            "weight_histograms": self.weight_histograms,
            "gradient_histograms": self.gradient_histograms,
            "probes": [{"epoch": epoch, "states": states} for epoch, states in sorted(self.probes.items())],
            **divergence,
        }

    def add_health(self, health: dict[str, Any] | None) -> None:
        """Record one epoch's EpochEnd.health; None (an epoch the budget skipped) leaves a gap:
        NaN radii and empty histograms, so every list keeps one entry per epoch. A "divergence"
        in it (the epoch where the run diverged) is kept as the history's divergence."""
        epoch = len(self.weight_histograms)
        divergence = (health or {}).get("divergence")
        if divergence is not None:
            self.divergence = divergence
        radius = (health or {}).get("spectral_radius", {})
        for layer, blocks in radius.items():
            for block, value in blocks.items():
                self.spectral_radius.setdefault(layer, {}).setdefault(block, [math.nan] * epoch).append(float(value))
        for blocks in self.spectral_radius.values():
            for values in blocks.values():
                if len(values) == epoch:
                    values.append(math.nan)
        self.weight_histograms.append(dict((health or {}).get("weight_histograms", {})))
        self.gradient_histograms.append(dict((health or {}).get("gradient_histograms", {})))

    # Probes kept: every stride-th epoch from the first, and the newest; the stride (a power of
    # two) doubles as the run grows, so the kept epochs always span the whole run evenly while
    # their number stays bounded (a probe of a 64-unit LSTM over 100 steps is ~40k numbers).
    MAX_PROBES = 20
    MAX_PROBE_VALUES = 1_000_000

    def add_probe(self, epoch: int, probe: dict[str, Any]) -> None:
        """Record the probe sample's states at ``epoch``, dropping epochs off the kept grid."""
        self.probes[epoch] = probe
        size = _probe_numbers(probe)
        limit = max(2, min(self.MAX_PROBES, self.MAX_PROBE_VALUES // max(size, 1)))
        stride = 1
        while math.ceil(epoch / stride) + 1 > limit:
            stride *= 2
        self.probes = {e: p for e, p in self.probes.items() if e == epoch or (e - 1) % stride == 0}

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

        def changes(values):
            if not isinstance(values, list):
                raise ValueError(f"settings_changes: expected a list of objects, received {values!r:.80}")
            return [SettingsChanged.from_dict(v, f"settings_changes[{i}]") for i, v in enumerate(values)]

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
            settings_changes=changes(data.get("settings_changes", [])),
            **_inside_from_dict(data),
        )


def _probe_numbers(probe: dict[str, Any]) -> int:
    """About how many numbers a probe holds (every matrix taken as rows x the first row's length)."""
    def size(rows) -> int:
        return len(rows) * len(rows[0]) if rows and isinstance(rows[0], list) else 0

    total = size(probe.get("output")) + size(probe.get("connectivity"))
    for layer in probe.get("layers", []):
        total += size(layer.get("hidden")) + size(layer.get("cell_state"))
        total += sum(size(values) for values in layer.get("gates", {}).values())
    return total


def _inside_from_dict(data: dict[str, Any]) -> dict[str, Any]:
    """The weight-health, divergence and probe fields of History.from_dict (absent in older bundles)."""
    spectral = data.get("spectral_radius", {})
    if not isinstance(spectral, dict) or not all(
            isinstance(blocks, dict) and all(isinstance(v, list) for v in blocks.values()) for blocks in spectral.values()):
        raise ValueError(f"spectral_radius: expected layer -> block -> list of numbers, received {spectral!r:.80}")
    try:
        radius = {layer: {b: [_from_json_float(v) for v in values] for b, values in blocks.items()}
                  for layer, blocks in spectral.items()}
    except (TypeError, ValueError):
        raise ValueError(f"spectral_radius: expected numbers, received {spectral!r:.80}") from None
    divergence = data.get("divergence")
    result: dict[str, Any] = {"spectral_radius": radius,
                              "divergence": None if divergence is None else Divergence.from_dict(divergence)}
    for name in ("weight_histograms", "gradient_histograms"):
        from core.weight_health import check_histogram

        epochs = data.get(name, [])
        if not isinstance(epochs, list) or not all(isinstance(e, dict) for e in epochs):
            raise ValueError(f"{name}: expected a list of objects, received {epochs!r:.80}")
        result[name] = [{layer: check_histogram(h, f"{name}[{i}].{layer}") for layer, h in e.items()}
                        for i, e in enumerate(epochs)]
    probes = data.get("probes", [])
    if not isinstance(probes, list):
        raise ValueError(f"probes: expected a list, received {probes!r:.80}")
    result["probes"] = {}
    for i, item in enumerate(probes):
        epoch = item.get("epoch") if isinstance(item, dict) else None
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
            raise ValueError(f"probes[{i}].epoch: expected a whole number >= 1, received {epoch!r:.80}")
        from core.states import SequenceStates

        try:
            SequenceStates.from_dict(item.get("states"))
        except ValueError as exc:
            raise ValueError(f"probes[{i}].states: {exc}") from None
        result["probes"][epoch] = item["states"]
    return result


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

    def on_settings_changed(self, event: SettingsChanged) -> None: ...

    def on_paused(self, global_batch: int) -> None:
        """The run has paused after batch ``global_batch``; nothing more comes until it resumes."""

    def on_finished(self, result: TrainingResult) -> None: ...

    def on_failed(self, message: str) -> None: ...
