"""Monitored training: ``train(project, data)`` with events for a listener and a stop/pause control.

The plain model is trained through a training-only wrapper whose ``train_step`` takes the
gradients once, applies them and returns, with the usual running-mean metrics, the batch's own
loss and the pre-clip gradient norm of every trainable weight (one vector, mapped to names in
Python). The wrapper is never saved: the result holds the plain Functional model.

Epochs and batches in events are counted from 1 ("epoch 3 of 30, batch 1 of 12").

Weight names follow the lecture: ``w_i`` is an RNN layer's input kernel, ``w_R`` its recurrent
kernel, ``bias`` its bias; other layers keep the Keras names ("kernel", "embeddings"). A
bidirectional layer ``rnn_1`` reports its halves as "rnn_1/forward" and "rnn_1/backward".

Errors: impossible settings raise (SpecError or TrainingError) before the run starts, without
calling the listener. Once ``on_run_started`` has been called, any exception calls
``listener.on_failed(message)`` and is re-raised.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.datasets.base import CLASSIFICATION, DataInfo, SequenceData
from core.errors import RNNLabError, TrainingError
from core.models import EMBEDDING_NAME, REPEAT_NAME, build_model, check_compatible, loss_and_metrics

STOP_REASONS = ("completed", "stopped", "early_stopping", "nan")
PROBE_SIZE = 64
_BATCH_LOSS = "batch_loss"
_GRAD_NORMS = "grad_norms"
_RNN_WEIGHT_NAMES = {"kernel": "w_i", "recurrent_kernel": "w_R"}


# --- events ---------------------------------------------------------------------------------


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
    def from_dict(cls, data: dict[str, Any]) -> "History":
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


class TrainingControl:
    """Stop and pause requests from any thread; the trainer polls them after every batch."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    def pause(self) -> None:
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> float:
        """Block while paused (until resume or stop); return the seconds spent waiting."""
        if self._running.is_set():
            return 0.0
        start = time.perf_counter()
        self._running.wait()
        return time.perf_counter() - start


# --- devices --------------------------------------------------------------------------------


def available_devices() -> list[tuple[str, str]]:
    """(device id for training.device, label): "cpu" always, "gpu:N" per GPU, "all_gpus" if > 1."""
    import tensorflow as tf

    devices = [("cpu", "CPU")]
    gpus = tf.config.list_physical_devices("GPU")
    for i, gpu in enumerate(gpus):
        devices.append((f"gpu:{i}", f"GPU {i}: {_gpu_name(gpu)}"))
    if len(gpus) > 1:
        devices.append(("all_gpus", f"All {len(gpus)} GPUs (mirrored)"))
    return devices


def _gpu_name(gpu) -> str:
    import tensorflow as tf

    try:
        return tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
    except Exception:  # details are cosmetic; some drivers do not report them
        return gpu.name


_STRATEGIES: dict[tuple[str, ...], Any] = {}


def _device_context(device: str):
    """(factory of a device context, device label, strategy or None) for training.device."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    available = ", ".join(d for d, _ in available_devices())
    if device == "cpu":
        return lambda: tf.device("/CPU:0"), "CPU", None
    if device == "all_gpus":
        if not gpus:
            raise TrainingError(f"training.device: \"all_gpus\" needs a GPU, but none is available "
                                f"(available devices: {available}).")
        names = tuple(g.name for g in gpus)
        # One strategy per device set for the whole process: a second MirroredStrategy over the
        # same devices can collide with the first one's collective-op keys.
        strategy = _STRATEGIES.get(names)
        if strategy is None:
            strategy = _STRATEGIES[names] = tf.distribute.MirroredStrategy(devices=list(names))
        return strategy.scope, f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''} (mirrored)", strategy
    index = int(device.split(":", 1)[1])
    if index >= len(gpus):
        raise TrainingError(f"training.device: GPU {index} is not available "
                            f"(available devices: {available}).")
    physical = tf.config.list_physical_devices("GPU")
    label = f"GPU {index}: {_gpu_name(physical[index])}" if index < len(physical) else f"GPU {index}"
    return lambda: tf.device(f"/GPU:{index}"), label, None


# --- the wrapper ----------------------------------------------------------------------------


def _weight_names(model) -> dict[int, tuple[str, str]]:
    """id(variable) -> (layer key, weight name) for every trainable variable of the model."""
    import keras

    names: dict[int, tuple[str, str]] = {}

    def name_layer(layer, key: str) -> None:
        is_rnn = hasattr(layer, "cell")
        for var in layer.trainable_weights:
            if id(var) in names:
                continue
            short = var.name.split("/")[-1]
            if is_rnn:
                short = _RNN_WEIGHT_NAMES.get(short, short)
            names[id(var)] = (key, short)

    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            name_layer(layer.forward_layer, f"{layer.name}/forward")
            name_layer(layer.backward_layer, f"{layer.name}/backward")
        else:
            name_layer(layer, layer.name)
    return names


def _make_wrapper_class():
    import keras
    import tensorflow as tf
    from keras.src.losses import loss as loss_module
    from keras.src.trainers.data_adapters import data_adapter_utils

    class MonitoredModel(keras.Model):
        """Training-only: holds the plain model; its train_step also reports gradient norms."""

        def __init__(self, inner, replicas: int = 1):
            super().__init__(name=f"monitored_{inner.name}")
            self.inner = inner
            self._replicas = float(replicas)
            # Weights before the last two updates and at the start of the epoch and of the run, kept
            # on the device, so a diverged run can go back to usable weights without copying weights
            # to the host after every batch. Kept out of Keras' tracking. The weights just before a
            # NaN are often finite but already huge (the loss jumped a batch earlier): the older
            # copies are what the rescue falls back to (see _Run.rescue).
            variables = inner.trainable_variables
            self._snapshot = _Snapshot(variables)  # before the last update
            self._previous = _Snapshot(variables)  # before the update before it
            self._epoch_start = _Snapshot(variables)
            self._run_start = _Snapshot(variables)

        def call(self, inputs, training=False):
            return self.inner(inputs, training=training)

        def train_step(self, data):
            x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
            variables = self.trainable_weights
            self._previous.save_copy_of(self._snapshot)
            self._snapshot.save(variables)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
                batch_loss = loss_module.unscale_loss_for_distribution(loss)
                self._loss_tracker.update_state(batch_loss, sample_weight=tf.shape(tf.nest.flatten(x)[0])[0])
                loss = self.optimizer.scale_loss(loss)
            gradients = tape.gradient(loss, variables)
            # Pre-clip norms: clipping happens inside apply_gradients. Under a distribution strategy
            # each replica's gradient is scaled by 1/replicas; undo that (norms are then averaged).
            norms = tf.stack([_gradient_norm(g) for g in gradients]) * self._replicas
            self.optimizer.apply_gradients(zip(gradients, variables))
            logs = dict(self.compute_metrics(x, y, y_pred, sample_weight=sample_weight))
            logs[_BATCH_LOSS] = batch_loss
            logs[_GRAD_NORMS] = norms
            return logs

    def _gradient_norm(gradient):
        if gradient is None:
            return tf.constant(0.0)
        if isinstance(gradient, tf.IndexedSlices):
            gradient = tf.convert_to_tensor(gradient)  # sums repeated rows, like the update does
        return tf.norm(tf.cast(gradient, tf.float32))

    class _Snapshot:
        def __init__(self, variables):
            self.copies = [
                tf.Variable(v.value, trainable=False, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
                for v in variables
            ]

        def save(self, variables):
            for copy, var in zip(self.copies, variables):
                copy.assign(var.value)

        def save_copy_of(self, other):
            for copy, source in zip(self.copies, other.copies):
                copy.assign(source.read_value())

        def restore(self, variables):
            for copy, var in zip(self.copies, variables):
                var.assign(copy.read_value())

    return MonitoredModel


_WRAPPER_CLASS = None


def _wrapper_class():
    global _WRAPPER_CLASS
    if _WRAPPER_CLASS is None:
        _WRAPPER_CLASS = _make_wrapper_class()
    return _WRAPPER_CLASS


def make_optimizer(training):
    """The Keras optimizer for a TrainingSpec (clipping is applied inside apply_gradients)."""
    import keras

    clip: dict[str, float] = {}
    if training.clip_mode == "norm":
        clip["clipnorm"] = training.clip_value
    elif training.clip_mode == "global_norm":
        clip["global_clipnorm"] = training.clip_value
    elif training.clip_mode == "value":
        clip["clipvalue"] = training.clip_value
    if training.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=training.learning_rate, momentum=training.momentum, **clip)
    if training.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=training.learning_rate, **clip)
    return keras.optimizers.Adam(learning_rate=training.learning_rate, **clip)


# --- gradient flow --------------------------------------------------------------------------


def gradient_flow_function(model, info: DataInfo):
    """A function (x, y) -> ||d loss / d x_t|| per input step t, or None if the model has no such input.

    Real inputs: the gradient w.r.t. the input itself. Token inputs: w.r.t. the embedding's output
    (the vector each token becomes). One-to-many has no input time axis: the profile runs over the
    OUTPUT steps, w.r.t. what the RNN receives at each step (the "repeat" layer's output: the
    repeated input vector, or the zero sequence when the vector is the initial state).
    The norm at t is taken over the whole probe batch and all features.
    """
    import keras
    import tensorflow as tf

    loss_name, _ = loss_and_metrics(info)
    loss_fn = keras.losses.get(loss_name)
    layer_names = {layer.name for layer in model.layers}
    point = None
    if info.io_mode == "one_to_many" and REPEAT_NAME in layer_names:
        point = model.get_layer(REPEAT_NAME)
    elif info.input_kind == "tokens":
        if EMBEDDING_NAME not in layer_names:
            return None
        point = model.get_layer(EMBEDDING_NAME)
    elif info.io_mode == "one_to_many":
        return None

    def profile(gradient):
        return tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=[0, 2]))

    if point is None:
        def flow(x, y):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_mean(loss_fn(y, model(x, training=False)))
            return profile(tape.gradient(loss, x))

        return _EagerThenCompiled(flow)

    # The tensor is inside the model: run the Functional graph node by node and watch that
    # layer's output as it is produced (a sub-model would clone the graph and break saving).
    def flow_inside(x, y):
        captured = []
        with tf.GradientTape() as tape:
            def operation_fn(op):
                if op is not point:
                    return op

                def watched(*args, **kwargs):
                    out = op(*args, **kwargs)
                    tape.watch(out)
                    captured.append(out)
                    return out

                return watched

            outputs = model._run_through_graph([x], operation_fn=operation_fn)
            y_pred = tf.nest.flatten(outputs)[0]
            loss = tf.reduce_mean(loss_fn(y, y_pred))
        return profile(tape.gradient(loss, captured[0]))

    return _EagerThenCompiled(flow_inside)


class _EagerThenCompiled:
    """Runs eagerly while that is cheap; compiles once an eager call turns out slow.

    Tracing costs about 0.4 s, a short sequence's eager call ~20 ms, a 100-step one ~0.4 s: short
    runs and short sequences skip the tracing, long ones pay it once.
    """

    SLOW_S = 0.05

    def __init__(self, fn):
        self.fn = fn
        self.compiled = None

    def __call__(self, x, y):
        import tensorflow as tf

        x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
        if self.compiled is not None:
            return self.compiled(x, y)
        start = time.perf_counter()
        result = self.fn(x, y)
        if time.perf_counter() - start > self.SLOW_S:
            _quiet_retracing_warning()
            # autograph=False: the function has no tensor-dependent Python control flow, and
            # AutoGraph cannot convert a closure built per model anyway (it warns that it gives up).
            self.compiled = tf.function(self.fn, reduce_retracing=True, autograph=False)
        return result


class _RetracingFilter:
    """Drops TensorFlow's "triggered tf.function retracing" warning about the gradient-flow function.

    The function closes over one run's model, so each run necessarily traces a new one (same
    Python code, a new closure); TensorFlow counts those as retracing of one function and warns
    once a process has trained ~5 models. Each trace is the expected one per run, so the warning
    is noise; other retracing warnings still get through.
    """

    def filter(self, record) -> bool:
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and "gradient_flow_function" in message)


_RETRACING_FILTER = _RetracingFilter()


def _quiet_retracing_warning() -> None:
    import logging

    logger = logging.getLogger("tensorflow")
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)


# --- training -------------------------------------------------------------------------------


def _check_data(data: SequenceData, model) -> None:
    if data.num_train < 1:
        raise TrainingError("The dataset has no training samples.")
    if len(data.x_train) != len(data.y_train):
        raise TrainingError(f"The dataset has {len(data.x_train)} training inputs but {len(data.y_train)} targets.")
    def fits(expected, got):
        return len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected, got))

    expected = tuple(model.inputs[0].shape[1:])
    got = tuple(data.x_train.shape[1:])
    if not fits(expected, got):
        raise TrainingError(f"The model expects inputs of shape {expected} per sample, the data has {got}: "
                            "rebuild the model for this dataset.")
    output = tuple(model.outputs[0].shape[1:])
    target = tuple(np.shape(data.y_train)[1:])
    if data.info.kind == CLASSIFICATION:
        ok = fits(output[:-1], target)  # class ids, one per output step
    else:
        ok = fits(output, target) or (output[-1:] == (1,) and fits(output[:-1], target))
    if not ok:
        raise TrainingError(f"The model's output has shape {output} per sample, which does not match targets of "
                            f"shape {target}: rebuild the model for this dataset.")


class _Run:
    """State of one run; the Keras callback forwards to it."""

    def __init__(self, *, wrapper, model, info, listener, control, epochs, batches_per_epoch,
                 names, training, probe, flow_fn, monitor_val, loss_fn=None):
        self.wrapper = wrapper
        self.model = model
        self.info = info
        self.listener = listener
        self.control = control
        self.epochs = epochs
        self.batches_per_epoch = batches_per_epoch
        self.names = names  # per trainable variable: (layer key, weight name)
        self.training = training
        self.probe = probe
        self.flow_fn = flow_fn
        self.loss_fn = loss_fn
        self.monitor = "val_loss" if monitor_val else "loss"
        self.history = History(batches_per_epoch=batches_per_epoch)
        self.layers: list[str] = []
        for layer, _ in names:
            if layer not in self.layers:
                self.layers.append(layer)
        self.layer_index = np.array([self.layers.index(layer) for layer, _ in names], dtype=np.int64)
        self.weight_keys = [f"{layer}/{w}" for layer, w in names]
        for layer in self.layers:
            self.history.layer_norms[layer] = []
        for key in self.weight_keys:
            self.history.weight_norms[key] = []
        self.epoch = 0
        self.global_batch = 0
        self.stop_reason = "completed"
        self.message = ""
        self.started = time.perf_counter()
        self.paused_s = 0.0
        self.best = math.inf
        self.best_epoch = 0
        self.best_weights = None
        self.best_logs: dict[str, float] = {}
        self.wait = 0

    # Called from the Keras callback ------------------------------------------------------------

    def batch_end(self, step: int, logs: dict[str, Any]) -> None:
        batch = step + 1
        self.global_batch += 1
        loss = float(logs[_BATCH_LOSS])
        norms = np.asarray(logs[_GRAD_NORMS], dtype=np.float64)
        layer_norms = np.sqrt(np.bincount(self.layer_index, weights=norms * norms, minlength=len(self.layers)))
        weight_norms: dict[str, dict[str, float]] = {layer: {} for layer in self.layers}
        for (layer, w), key, value in zip(self.names, self.weight_keys, norms.tolist()):
            weight_norms[layer][w] = value
            self.history.weight_norms[key].append(value)
        layer_dict = dict(zip(self.layers, layer_norms.tolist()))
        for layer, value in layer_dict.items():
            self.history.layer_norms[layer].append(value)
        self.history.batch_loss.append(loss)

        diverged = not (math.isfinite(loss) and np.all(np.isfinite(norms)))
        if diverged:
            kept = self.rescue()
            self.stop_reason = "nan"
            self.message = (f"Gradients exploded at epoch {self.epoch}, batch {batch}: lower the learning rate "
                            f"or enable clipping (training.clip_mode); kept the weights {kept}.")
            self.wrapper.stop_training = True

        if self.listener is not None:
            self.listener.on_batch_end(BatchEnd(
                epoch=self.epoch, batch=batch, global_batch=self.global_batch,
                batches_per_epoch=self.batches_per_epoch, loss=loss,
                layer_norms=layer_dict, weight_norms=weight_norms,
            ))
        if self.control is not None and not diverged:
            self.paused_s += self.control.wait_while_paused()
            if self.control.stop_requested:
                self.stop_reason = "stopped"
                self.message = f"Stopped at epoch {self.epoch}, batch {batch}."
                self.wrapper.stop_training = True

    def epoch_begin(self, epoch: int) -> None:
        self.epoch = epoch
        if epoch > 1:  # the run-start copy already holds epoch 1's weights
            self.wrapper._epoch_start.save(self.wrapper.trainable_weights)

    def rescue(self) -> str:
        """After a NaN/Inf batch: restore the newest usable snapshot; return which one, in words.

        The update of the diverged batch is already applied. The weights from just before it often
        already gave an astronomic but finite loss (one batch at 1e12, the next NaN), so each
        snapshot, newest first, is checked on the probe batch: the newest whose loss is finite and
        within JUMP times the best snapshot's is kept, i.e. the last one before the loss jumped by
        orders of magnitude.
        """
        w = self.wrapper
        epoch_start = (self.epoch - 1) * self.batches_per_epoch
        # Snapshot -> how many batches of this run had been applied to its weights.
        candidates = [(self.global_batch - 1, w._snapshot), (self.global_batch - 2, w._previous),
                      (epoch_start, w._epoch_start if self.epoch > 1 else w._run_start), (0, w._run_start)]
        seen: set[int] = set()
        ordered = []
        for index, snapshot in sorted(candidates, key=lambda c: -c[0]):
            if index >= 0 and index not in seen:
                seen.add(index)
                ordered.append((index, snapshot))
        losses = []
        for _, snapshot in ordered:
            snapshot.restore(w.trainable_weights)
            losses.append(self.probe_loss())
        finite = [v for v in losses if math.isfinite(v)]
        chosen = len(ordered) - 1  # nothing usable: the run's starting weights at least are the user's
        if finite:
            limit = max(min(finite) * self.JUMP, min(finite) + 1e-12)
            chosen = next(i for i, v in enumerate(losses) if math.isfinite(v) and v <= limit)
        index, snapshot = ordered[chosen]
        snapshot.restore(w.trainable_weights)
        epoch, batch = divmod(index, self.batches_per_epoch)
        if batch == 0:
            return f"from the start of epoch {epoch + 1}"
        return f"from after batch {batch} of epoch {epoch + 1}"

    JUMP = 100.0

    def probe_loss(self) -> float:
        """The model's loss on the probe batch with its current weights (NaN if not finite)."""
        weights_finite = all(bool(np.all(np.isfinite(np.asarray(v)))) for v in self.wrapper.trainable_weights)
        if not weights_finite:
            return math.nan
        if self.probe is None or self.loss_fn is None:
            return 0.0
        x, y = self.probe
        value = float(np.mean(np.asarray(self.loss_fn(y, self.model(x, training=False)))))
        return value if math.isfinite(value) else math.nan

    def epoch_end(self, logs: dict[str, Any]) -> None:
        epoch_logs = {k: float(v) for k, v in logs.items() if k not in (_BATCH_LOSS, _GRAD_NORMS)
                      and np.ndim(v) == 0}
        self.history.epochs.append(epoch_logs)
        flow = self.gradient_flow()
        self.history.gradient_flow.append(flow.tolist())
        if self.training.early_stopping and self.stop_reason == "completed":
            self._early_stopping(epoch_logs)
        if self.listener is not None:
            self.listener.on_epoch_end(EpochEnd(
                epoch=self.epoch, epochs=self.epochs, logs=dict(epoch_logs), gradient_flow=flow,
                elapsed_s=time.perf_counter() - self.started - self.paused_s,
            ))

    def gradient_flow(self) -> np.ndarray:
        if self.flow_fn is None or self.probe is None:
            return np.zeros(0, dtype=np.float64)
        return np.asarray(self.flow_fn(*self.probe), dtype=np.float64)

    def _early_stopping(self, logs: dict[str, float]) -> None:
        value = logs.get(self.monitor, math.nan)
        if math.isfinite(value) and value < self.best:
            self.best, self.best_epoch, self.wait = value, self.epoch, 0
            self.best_weights = self.model.get_weights()
            self.best_logs = dict(logs)
            return
        self.wait += 1
        if self.wait >= self.training.patience and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            self.stop_reason = "early_stopping"
            self.message = (f"Stopped early at epoch {self.epoch}: {self.monitor} did not improve for "
                            f"{self.wait} epochs; restored the weights of epoch {self.best_epoch} "
                            f"({self.monitor} {self.best:.4g}).")
            self.wrapper.stop_training = True


def _make_callback(run: _Run):
    import keras

    class MonitorCallback(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            run.epoch_begin(epoch + 1)

        def on_train_batch_end(self, batch, logs=None):
            run.batch_end(batch, logs or {})

        def on_epoch_end(self, epoch, logs=None):
            run.epoch_end(logs or {})

    return MonitorCallback()


def _disable_cudnn(model) -> None:
    """Training on the CPU of a GPU machine: keep fused GPU kernels out of the graph.

    Under ``tf.device("/CPU:0")`` a cuDNN op has no kernel; soft placement would quietly move it
    to the GPU. ``use_cudnn`` is not saved, so the model file is unchanged.
    """
    for layer in model.layers:
        for sub in (getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None), layer):
            if sub is not None and hasattr(sub, "use_cudnn"):
                sub.use_cudnn = False


def train(project, data: SequenceData, *, listener: TrainingListener | None = None,
          control: TrainingControl | None = None, model=None) -> TrainingResult:
    """Train (a new model for ``project.model``, or ``model``) on ``data``; see the module docstring."""
    import keras
    import tensorflow as tf

    training = project.training
    training.validate()
    info = data.info
    if model is None:
        check_compatible(project.model, info)
    device_scope, device_name, strategy = _device_context(training.device)

    with device_scope():
        # Keras' seed, name counters and dtype policy are thread-local: set them in this thread.
        keras.utils.set_random_seed(training.seed)
        if model is None:
            model = build_model(project.model, info)
        _check_data(data, model)
        if training.device == "cpu" and tf.config.list_logical_devices("GPU"):
            _disable_cudnn(model)
        replicas = strategy.num_replicas_in_sync if strategy is not None else 1
        wrapper = _wrapper_class()(model, replicas=replicas)
        loss, metrics = loss_and_metrics(info)
        optimizer = make_optimizer(training)
        wrapper.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        if strategy is None:
            # Create the optimizer and metric variables now, symbolically. Otherwise they are created
            # while the train step is traced, and TensorFlow then traces it a second time (and
            # keeps the first trace's functions alive for the life of the process).
            sample = (data.x_train[: training.batch_size], data.y_train[: training.batch_size])
            wrapper._symbolic_build(data_batch=sample)

    names_by_id = _weight_names(model)
    names = []
    for var in model.trainable_variables:
        names.append(names_by_id.get(id(var), (var.path.rsplit("/", 1)[0], var.name)))
    batches = math.ceil(data.num_train / training.batch_size)
    has_val = data.num_val > 0
    probe_x, probe_y = (data.x_val, data.y_val) if has_val else (data.x_train, data.y_train)
    probe = (tf.constant(probe_x[:PROBE_SIZE]), tf.constant(probe_y[:PROBE_SIZE])) if len(probe_x) else None
    flow_fn = gradient_flow_function(model, info)
    run = _Run(wrapper=wrapper, model=model, info=info, listener=listener, control=control,
               epochs=training.epochs, batches_per_epoch=batches, names=names, training=training,
               probe=probe, flow_fn=flow_fn, monitor_val=has_val, loss_fn=keras.losses.get(loss))

    weight_names: dict[str, list[str]] = {layer: [] for layer in run.layers}
    for layer, w in names:
        weight_names[layer].append(w)
    if listener is not None:
        listener.on_run_started(RunStarted(
            epochs=training.epochs, batches_per_epoch=batches, device_name=device_name,
            layer_names=list(run.layers), weight_names=weight_names,
        ))
    try:
        with device_scope():
            wrapper.fit(
                data.x_train, data.y_train,
                batch_size=training.batch_size, epochs=training.epochs, shuffle=True, verbose=0,
                validation_data=(data.x_val, data.y_val) if has_val else None,
                callbacks=[_make_callback(run)],
            )
            # The plain model carries the optimizer, loss and metrics, so a saved file can resume.
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    except Exception as exc:
        if listener is not None:
            listener.on_failed(_failure_message(exc))
        if isinstance(exc, tf.errors.ResourceExhaustedError):
            raise TrainingError(f"Out of memory on {device_name}: lower training.batch_size or model.units.") from exc
        raise

    if run.stop_reason == "early_stopping":
        final = dict(run.best_logs)
    else:
        final = dict(run.history.epochs[-1]) if run.history.epochs else {}
    final = {k: v for k, v in final.items() if math.isfinite(v)}
    message = run.message or f"Completed {len(run.history.epochs)} epochs."
    result = TrainingResult(model=model, history=run.history, stop_reason=run.stop_reason, message=message,
                            epochs_run=len(run.history.epochs), final_metrics=final)
    if listener is not None:
        listener.on_finished(result)
    return result


def _failure_message(exc: BaseException) -> str:
    if isinstance(exc, RNNLabError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no details'}"
