"""How much memory a model will take, worked out before anything is built.

A spec can ask for far more than the machine has (8 stacked LSTM layers of 4,096 units are about
a billion weights); building it would end in the system's out-of-memory killer or a frozen
desktop, not in a message. So the cost is estimated from the spec and the data's shapes, without
TensorFlow, and compared with the memory available now: above ``REFUSE_FRACTION`` of it the run
is refused with the estimate and what to lower, above ``WARN_FRACTION`` the user is warned.

The same arithmetic sizes a ``.keras`` file from its config.json (``keras_config_weights``), so a
small file asking for a huge model is refused before Keras builds it.

The estimate is compared with the computer's memory even when training on a GPU, where weights
and activations live in the GPU's own memory (not checked here): the host then needs less, so
there the check errs on the side of caution.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.datasets.base import DataInfo
from core.errors import TrainingError
from core.param_count import count_parameters, frozen_parameters, input_width, recurrent_layer_parameters
from core.specs import Project

FLOAT_BYTES = 4  # float32 weights, activations and real-valued data; int32 tokens and class ids

# Peak resident size of `main.py train` on a 4-unit LSTM for one epoch (TensorFlow 2.21, Keras
# 3.15, Linux, CPU): 670 MiB, measured by a parent calling resource.getrusage(RUSAGE_CHILDREN)
# after the child ended; importing TensorFlow and Keras alone peaks at 620 MiB. Everything below
# comes on top. tests/core/test_memory_estimate.py measures three models the same way.
TENSORFLOW_PROCESS_BYTES = 670 << 20

# Copies of every trainable weight alive during a run, besides the weights themselves: the
# gradients, the four snapshots core.monitoring keeps for rescuing a diverged run, and about four
# more while building (the orthogonal initialiser's temporaries) and saving (the weights file,
# then its bytes in the bundle). Measured: an LSTM of 2 x 1,024 units with adam peaks at 11.4
# times its weights above the baseline, one of 2,048 units with sgd at 11.
_TRAINING_WEIGHT_COPIES = 1 + 4 + 4
OPTIMIZER_SLOTS = {"adam": 2, "rmsprop": 1, "sgd": 1}  # sgd: its momentum (none at momentum 0)
# Values per unit and step kept for backpropagation through time (gates, states, activations).
GATE_ACTIVATIONS = {"SimpleRNN": 3, "GRU": 9, "LSTM": 11}
# Loading a model: the variables, the initialiser's temporaries and the weights read from the file.
_LOADING_WEIGHT_COPIES = 4
# Keras' fit turns the arrays into a tf.data pipeline holding a copy of them.
_DATASET_COPIES = 2
# Samples of the gradient-flow probe (core.training.PROBE_SIZE), run beside the training batches.
_PROBE_SAMPLES = 64

WARN_FRACTION = 0.5
REFUSE_FRACTION = 0.8

_RECURRENT_CLASSES = ("SimpleRNN", "LSTM", "GRU")


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a model needs, in parts, for ``purpose`` ("to train", "to load")."""

    parts: tuple[tuple[str, int], ...]
    purpose: str
    # Settings that would bring it down, the largest contributor first.
    lower: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(size for _, size in self.parts)

    @property
    def text(self) -> str:
        """"≈ 1.2 GB to train"."""
        return f"≈ {format_bytes(self.total)} {self.purpose}"

    def breakdown(self) -> str:
        return ", ".join(f"{name} {format_bytes(size)}" for name, size in self.parts if size > 0)


@dataclass(frozen=True)
class MemoryCheck:
    level: str  # "ok", "warn" or "refuse"
    message: str
    estimate: MemoryEstimate


def format_bytes(size: float) -> str:
    """A size as people read it: 812 KB, 1.2 GB, 17 GB (decimal units, as file managers show)."""
    if size >= 1e18:
        return "more than 1000 PB"  # also keeps a crafted file's astronomic count out of float()
    size = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if abs(size) < 1000 or unit == "PB":
            break
        size /= 1000
    if unit == "bytes":
        return f"{int(size)} bytes"
    return f"{size:.2g} {unit}" if abs(size) < 10 else f"{size:.0f} {unit}"


def available_memory() -> int:
    """Memory the system can give now without swapping (psutil's ``available``)."""
    import psutil

    return int(psutil.virtual_memory().available)


def estimate_training_memory(project: Project, info: DataInfo, n_train: int, n_val: int, *,
                             dataset_bytes: int | None = None) -> MemoryEstimate:
    """Memory a run of ``project`` on data shaped like ``info`` takes at its peak.

    ``n_train`` and ``n_val`` are the samples of the built dataset; 0 for both when the data is
    not at hand (a reopened bundle): the dataset's arrays are then left out. ``dataset_bytes``,
    when given, is what the data really holds (``core.datasets.windows.dataset_bytes``: windows
    cut on demand hold their rows, not every window).
    """
    spec, training = project.model, project.training
    total_weights = count_parameters(spec, info).total
    trainable = total_weights - frozen_parameters(spec, info)
    slots = OPTIMIZER_SLOTS.get(training.optimizer, 2)
    if training.optimizer == "sgd" and training.momentum == 0:
        slots = 0
    copies = _TRAINING_WEIGHT_COPIES + slots + (1 if training.early_stopping else 0)
    weights = FLOAT_BYTES * (total_weights + copies * trainable)

    batch = training.batch_size if n_train <= 0 else min(training.batch_size, n_train)
    probe = min(_PROBE_SAMPLES, n_val or n_train) if n_train > 0 else 0
    batch = max(batch, probe)
    activations = FLOAT_BYTES * batch * _values_per_sample(project, info)

    sample_values = math.prod(info.input_shape) + max(1, math.prod(info.output_shape))
    if dataset_bytes is None:
        dataset_bytes = FLOAT_BYTES * max(0, n_train + n_val) * sample_values
    dataset = _DATASET_COPIES * dataset_bytes

    parts = (("TensorFlow and Keras", TENSORFLOW_PROCESS_BYTES),
             ("weights, gradients and optimizer state", weights),
             ("activations", activations), ("dataset", dataset))
    lower_by_part = {
        "weights, gradients and optimizer state": ("model.units", "model.layers"),
        "activations": ("training.batch_size", "the window length (dataset.params)"),
        "dataset": ("the number of samples (dataset.params)",),
    }
    # Only the parts that weigh: lowering the batch size does nothing for a billion weights.
    largest = max(size for _, size in parts[1:])
    lower = [setting for name, size in sorted(parts[1:], key=lambda part: -part[1]) if size >= largest / 10
             for setting in lower_by_part[name]]
    return MemoryEstimate(parts, "to train", tuple(lower))


def _values_per_sample(project: Project, info: DataInfo) -> int:
    """Activations one sample keeps for the backward pass: every recurrent layer at every step,
    the inputs as the first layer reads them, and the head's outputs."""
    spec = project.model
    directions = 2 if spec.bidirectional else 1
    per_step = GATE_ACTIVATIONS.get(spec.cell, 11) * spec.units * spec.layers * directions
    head = 2 * info.seq_len_out * info.output_dim  # logits and their softmax (or the regression outputs)
    return per_step * info.recurrent_steps + info.seq_len_in * max(1, input_width(spec, info)) + head


def estimate_loading_memory(weights: int) -> MemoryEstimate:
    """Memory that building a model of ``weights`` parameters and loading them takes."""
    return MemoryEstimate(
        (("TensorFlow and Keras", TENSORFLOW_PROCESS_BYTES),
         ("weights", FLOAT_BYTES * _LOADING_WEIGHT_COPIES * int(weights))),
        "to load")


def check_memory(estimate: MemoryEstimate, available: int | None = None) -> MemoryCheck:
    """Compare with the memory available now (``available`` bytes; None: ask the system)."""
    free = available_memory() if available is None else int(available)
    share = estimate.total / max(free, 1)
    lower = " or ".join(filter(None, (", ".join(estimate.lower[:-1]), estimate.lower[-1]))) if estimate.lower else ""
    if share > REFUSE_FRACTION:
        return MemoryCheck("refuse", (
            f"this model needs {estimate.text} ({estimate.breakdown()}), but only {format_bytes(free)} of "
            f"memory is available: above {REFUSE_FRACTION:.0%} of it the machine would start swapping or "
            f"kill the process." + (f" Lower {lower}." if lower else "")), estimate)
    if share > WARN_FRACTION:
        return MemoryCheck("warn", (
            f"this model needs {estimate.text}, {share:.0%} of the {format_bytes(free)} of memory available "
            f"now; other programs may slow down or run out."
            + (f" Lowering {lower} makes it smaller." if lower else "")), estimate)
    return MemoryCheck("ok", f"{estimate.text} ({share:.0%} of the memory available)", estimate)


def require_training_memory(project: Project, info: DataInfo, n_train: int, n_val: int, *,
                            dataset_bytes: int | None = None) -> MemoryCheck:
    """The check of a run's estimate; a TrainingError with its message when it is refused."""
    check = check_memory(estimate_training_memory(project, info, n_train, n_val, dataset_bytes=dataset_bytes))
    if check.level == "refuse":
        raise TrainingError(check.message)
    return check


# --- .keras files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerWeights:
    """A layer of a Keras config whose size the config states, and the weights that makes."""

    name: str
    class_name: str
    size: str  # "20,000 units", "an embedding of 50,000 x 300"
    weights: int


def keras_config_weights(config: Any) -> list[LayerWeights]:
    """The recurrent, Dense and Embedding layers of a Keras ``config.json`` and their weights.

    Read from the config alone, before Keras builds anything. A layer's input width comes from
    its (or its wrapper's) ``build_config``; when there is none, 1 is assumed, so the count is a
    lower bound. Values that are not positive whole numbers are skipped: Keras reports them.
    """
    found = []
    for node, input_shape in _layer_configs(config, None):
        class_name, inner = node["class_name"], node["config"]
        name = str(inner.get("name", "?"))
        width = _last_dim(input_shape)
        if class_name in _RECURRENT_CLASSES:
            units = _whole(inner.get("units"))
            if units:
                found.append(LayerWeights(name, class_name, f"{_count(units)} units",
                                          recurrent_layer_parameters(class_name, width, units)))
        elif class_name == "Dense":
            units = _whole(inner.get("units"))
            if units:
                bias = units if inner.get("use_bias", True) is not False else 0
                found.append(LayerWeights(name, class_name, f"{_count(units)} units", width * units + bias))
        elif class_name == "Embedding":
            rows, cols = _whole(inner.get("input_dim")), _whole(inner.get("output_dim"))
            if rows and cols:
                found.append(LayerWeights(name, class_name, f"an embedding of {_count(rows)} x {_count(cols)}",
                                          rows * cols))
    return found


def _layer_configs(node: Any, input_shape: Any) -> Iterator[tuple[dict, Any]]:
    """Every ``{"class_name": ..., "config": {...}}`` in the tree, with the nearest input shape."""
    stack = [(node, input_shape)]
    while stack:
        node, shape = stack.pop()
        if isinstance(node, dict):
            inner = node.get("config")
            shape = _built_shape(node.get("build_config"), shape)
            if isinstance(node.get("class_name"), str) and isinstance(inner, dict):
                yield node, shape
            stack.extend((value, shape) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, shape) for value in node)


def _built_shape(build: Any, default: Any) -> Any:
    """The input shape a layer was built with: ``input_shape``, or for a layer called with more
    than one input (an RNN given its initial state) the sequences' shape."""
    if not isinstance(build, dict):
        return default
    if "input_shape" in build:
        return build["input_shape"]
    shapes = build.get("shapes_dict")
    if isinstance(shapes, dict) and shapes:
        return shapes.get("sequences_shape", next(iter(shapes.values())))
    return default


def _last_dim(shape: Any) -> int:
    if isinstance(shape, list) and shape and not isinstance(shape[0], list):
        return _whole(shape[-1]) or 1
    return 1


def _count(value: int) -> str:
    # A crafted config may hold a number of 4,000 digits: say so rather than print it.
    return f"{value:,}" if value < 10**15 else "over 10^15"


def _whole(value: Any) -> int:
    """``value`` if it is a whole number >= 1 (JSON may write 3.0), else 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else 0
