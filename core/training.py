"""Monitored training: ``train(project, data)`` with events for a listener and a stop/pause control.

The plain model is trained through the training-only wrapper of ``core.monitoring``, which
reports each batch's own loss and the pre-clip gradient norm of every weight; this module turns
them into the events and the History of ``core.history``, polls the control after every batch,
stops early, and rescues a diverged run. The result holds the plain Functional model.

Epochs and batches in events are counted from 1 ("epoch 3 of 30, batch 1 of 12").

Errors: impossible settings raise (SpecError or TrainingError) before the run starts, without
calling the listener. Once ``on_run_started`` has been called, any exception calls
``listener.on_failed(message)`` and is re-raised.

Importing this module loads no TensorFlow (``train`` does), so the window and the command line
can import it, and its events, at start-up.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from typing import Any

import numpy as np

from core import course, keras_compat
from core.datasets.base import SequenceData
from core.datasets.windows import as_dataset
from core.epoch_probe import EpochProbe, FlowSchedule
from core.errors import Failure, RNNLabError, TrainingError
from core.history import (
    STOP_REASONS,
    BatchEnd,
    Divergence,
    EpochEnd,
    History,
    RunStarted,
    SettingsChanged,
    TrainingListener,
    TrainingResult,
)
from core.model_fit import dims_fit, targets_fit
from core.models import build_model, check_compatible, loss_and_metrics
from core.monitoring import (
    BATCH_LOSS,
    GRAD_NORMS,
    OnFirstReplica,
    gradient_flow_function,
    monitored_model,
    weight_names_by_id,
)

__all__ = [
    "STOP_REASONS", "BatchEnd", "EpochEnd", "History", "RunStarted", "SettingsChanged", "TrainingControl",
    "TrainingListener",
    "TrainingResult", "available_devices", "gradient_flow_function", "make_optimizer", "train",
]

PROBE_SIZE = 64

# A run whose training steps, times the steps its recurrent layers take per sequence, stay
# within this budget runs eagerly. Tracing the monitored train step and the validation step
# costs a CPU-second or more; an eager step costs about a hundredth of a second per time step
# of the sequence. So a first look at a short task (an epoch or two of the cooking schedule, a
# Continue-training epoch) shows its first batch a second sooner. Measured on two cores,
# 2026-12-01, one epoch of an 8-unit LSTM: 2 batches of 5 steps, 2.0 CPU-s traced, 0.9 eager;
# 2 batches of 20 steps, 2.5 and 1.8; 4 batches of 10 steps, 2.0 and 1.6-1.9; 6 batches of
# 100 steps, 3.0 traced and 7.3 eager. 2026-12-02, one epoch, traced against eager, LSTM and GRU
# (8 units): 5 batches of 7 steps (35) 2.8 and 1.8, 3.2 and 2.1; 8 of 7 (56) 2.3 and 1.9-2.1,
# 2.6-2.7 and 2.3-2.5; 4 of 15 (60) 2.1 and 1.7, 2.6 and 2.4; 10 of 7 (70) 2.8 and 2.8, 3.2 and
# 3.5; 4 of 20 (80) 2.9 and 2.1, 3.0 and 2.7. So eager wins up to ~60 and ties near 70.
EAGER_MAX_STEP_TIMES = 64


class TrainingControl:
    """Stop and pause requests from any thread; the trainer polls them after every batch.

    ``stop`` and ``running`` are the two flags (anything with ``set``, ``clear``, ``is_set`` and
    ``wait``): threading Events by default; the runner's child passes multiprocessing Events that
    its parent sets, so the same control works across the process boundary. ``changes`` carries
    settings changed while paused (``core.course.CHANGEABLE``) to the trainer, which applies them
    before the next batch: any queue with ``put``, ``get`` and ``empty`` (the child's is a
    multiprocessing SimpleQueue, whose ``put`` has arrived when it returns).
    """

    def __init__(self, *, stop=None, running=None, changes=None) -> None:
        self._stop = stop if stop is not None else threading.Event()
        if running is None:
            running = threading.Event()
            running.set()
        self._running = running
        self._changes = changes if changes is not None else queue.SimpleQueue()

    def request_changes(self, changes: dict[str, Any]) -> None:
        """New values (field -> value) for the run to use from its next batch on; request them
        before ``resume`` so that the first batch after the pause already uses them."""
        if changes:
            self._changes.put(dict(changes))

    def take_changes(self) -> dict[str, Any]:
        """The changes requested since the last call, later ones winning ({} when none)."""
        merged: dict[str, Any] = {}
        while not self._changes.empty():
            merged.update(self._changes.get())
        return merged

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


# --- training -------------------------------------------------------------------------------


def _check_data(data: SequenceData, model) -> None:
    if data.num_train < 1:
        raise TrainingError("The dataset has no training samples.")
    if len(data.x_train) != len(data.y_train):
        raise TrainingError(f"The dataset has {len(data.x_train)} training inputs but {len(data.y_train)} targets.")
    expected = tuple(model.inputs[0].shape[1:])
    got = tuple(data.x_train.shape[1:])
    if not dims_fit(expected, got):
        raise TrainingError(f"The model expects inputs of shape {expected} per sample, the data has {got}: "
                            "rebuild the model for this dataset.")
    output = tuple(model.outputs[0].shape[1:])
    target = tuple(np.shape(data.y_train)[1:])
    if not targets_fit(output, target, data.info.kind):
        raise TrainingError(f"The model's output has shape {output} per sample, which does not match targets of "
                            f"shape {target}: rebuild the model for this dataset.")


class _Run:
    """State of one run; the Keras callback forwards to it."""

    def __init__(self, *, wrapper, model, info, listener, control, epochs, batches_per_epoch,
                 names, training, probe, flow_fn, monitor_val, loss_fn=None, epoch_probe=None):
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
        self.epoch_probe = epoch_probe  # core.epoch_probe.EpochProbe: states and weight health
        self.flow_schedule = FlowSchedule()
        self.epoch_clock = (time.perf_counter(), 0.0)  # (start, paused_s then) of the current epoch
        self.monitor = "val_loss" if monitor_val else "loss"
        self.history = History(batches_per_epoch=batches_per_epoch)
        self.layers: list[str] = []
        for layer, _ in names:
            if layer not in self.layers:
                self.layers.append(layer)
        # Per layer: its history list, and per weight its index in the step's norms, its name and
        # its history list. batch_end runs after every step with the caches cold from TensorFlow's
        # kernels: plain Python over these few numbers took 20 us less per batch than numpy calls.
        self.norm_groups: list[tuple[str, list[float], list[tuple[int, str, list[float]]]]] = []
        for layer in self.layers:
            layer_history = self.history.layer_norms[layer] = []
            weights = [(index, w, self.history.weight_norms.setdefault(f"{layer}/{w}", []))
                       for index, (owner, w) in enumerate(names) if owner == layer]
            self.norm_groups.append((layer, layer_history, weights))
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
        self.divergence: Divergence | None = None

    # Called from the Keras callback ------------------------------------------------------------

    def batch_end(self, step: int, logs: dict[str, Any]) -> None:
        batch = step + 1
        self.global_batch += 1
        loss = float(logs[BATCH_LOSS])
        norms = logs[GRAD_NORMS].tolist()  # Keras hands callbacks numpy values
        weight_norms: dict[str, dict[str, float]] = {}
        layer_dict: dict[str, float] = {}
        all_squares = 0.0
        for layer, layer_history, weights in self.norm_groups:
            per_weight = {}
            squares = 0.0
            for index, w, weight_history in weights:
                value = norms[index]
                per_weight[w] = value
                weight_history.append(value)
                squares += value * value
            weight_norms[layer] = per_weight
            layer_dict[layer] = layer_norm = math.sqrt(squares)
            layer_history.append(layer_norm)
            all_squares += squares
        self.history.batch_loss.append(loss)

        # A NaN or Inf among the norms makes the sum of their squares NaN or Inf (float32 norms
        # square to at most 1e77: a finite one never overflows a double).
        diverged = not (math.isfinite(loss) and math.isfinite(all_squares))
        if diverged:
            self.record_divergence(batch, loss)
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
            if self.control.paused:
                # Before blocking: a listener that gathers batches (the window's worker, or the
                # parent of a training child with batches still in the pipe) learns here that no
                # more follow until the run resumes, and shows what it holds.
                notify_paused = getattr(self.listener, "on_paused", None)
                if notify_paused is not None:
                    notify_paused(self.global_batch)
            self.paused_s += self.control.wait_while_paused()
            if self.control.stop_requested:
                self.stop_reason = "stopped"
                self.message = f"Stopped at epoch {self.epoch}, batch {batch}."
                self.wrapper.stop_training = True
            else:
                self.change_course(batch)

    def change_course(self, batch: int) -> None:
        """Give the optimizer the settings changed during the pause, before the next batch."""
        changes = self.control.take_changes() if hasattr(self.control, "take_changes") else {}
        if not changes:
            return
        before = self.training
        after = course.changed_spec(before, changes)
        diff = {name: [getattr(before, name), getattr(after, name)] for name in course.CHANGEABLE
                if getattr(before, name) != getattr(after, name)}
        if not diff:
            return
        if course.apply_settings(self.wrapper.optimizer, after):
            # Clipping is read while the step is traced: trace it again (Keras' fit calls
            # train_function afresh for every batch).
            self.wrapper.make_train_function(force=True)
        self.training = after
        event = SettingsChanged(epoch=self.epoch, batch=batch, global_batch=self.global_batch, changes=diff,
                                label=course.describe_changes(before, after))
        self.history.settings_changes.append(event)
        notify = getattr(self.listener, "on_settings_changed", None)
        if notify is not None:
            notify(event)

    def epoch_begin(self, epoch: int) -> None:
        self.epoch = epoch
        self.epoch_clock = (time.perf_counter(), self.paused_s)  # what the epoch's training took
        if epoch > 1:  # the run-start copy already holds epoch 1's weights
            self.wrapper._epoch_start.save(self.wrapper.trainable_weights)

    def record_divergence(self, batch: int, loss: float) -> None:
        """Before the rescue replaces them: the spectral radii of the newest finite weights, the
        radius that blew up (the epoch's health, taken after the rescue, shows the kept weights).
        Within the radii's time budget, as at an epoch's end: a wide w_R's eigenvalues would
        hold the run for seconds (a 1,024-unit LSTM: 3 s idle, up to ~30 s on busy cores), and
        are then left out."""
        from core.weight_health import radii_with

        w = self.wrapper
        # The weights this batch started from, else those one batch older (the copies of the
        # rescue); the weights now hold the diverged update.
        newest = None
        for index, snapshot in ((self.global_batch - 1, w._snapshot), (self.global_batch - 2, w._previous)):
            if index < 0:
                continue
            arrays = [np.asarray(copy) for copy in snapshot.copies]
            finite = all(bool(np.all(np.isfinite(a))) for a in arrays)
            if finite or newest is None:  # none finite: the newest, whose radii come out NaN
                newest = (index, arrays)
            if finite:
                break
        weights_after, arrays = newest
        cause = "nan_loss" if math.isnan(loss) else "inf_loss" if math.isinf(loss) else "gradients"
        def measure():
            return radii_with(self.model, w.trainable_weights, arrays)

        radii = measure() if self.epoch_probe is None else self.epoch_probe.take_radii(measure)
        self.divergence = Divergence(epoch=self.epoch, batch=batch, global_batch=self.global_batch,
                                     weights_after=weights_after, cause=cause, spectral_radius=radii or {},
                                     radius_measured=radii is not None)
        self.history.divergence = self.divergence

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
        started, paused = self.epoch_clock
        epoch_s = time.perf_counter() - started - (self.paused_s - paused)
        epoch_logs = {k: float(v) for k, v in logs.items() if k not in (BATCH_LOSS, GRAD_NORMS)
                      and np.ndim(v) == 0}
        self.history.epochs.append(epoch_logs)
        restore = None
        if self.training.early_stopping and self.stop_reason == "completed":
            restore = self._early_stopping(epoch_logs)
        # The run's last profile is what its verdicts, exports and sweeps read: measured always.
        ends_here = (self.epoch >= self.epochs or self.wrapper.stop_training
                     or (self.control is not None and self.control.stop_requested))
        flow_due = self.flow_schedule.due(epoch_s, last=ends_here)
        look = None if self.epoch_probe is None else self.epoch_probe.plan(
            epoch_s, extra_s=self.flow_schedule.extra_s(flow_due))
        if flow_due or look is not None:  # the look's histograms need the pass's gradients
            flow, gradients = self.gradient_flow(charged_to_look=not flow_due)
        else:
            flow, gradients = np.zeros(0, dtype=np.float64), None
        # An epoch whose flow the budgets skip keeps an empty profile: every reader skips those.
        self.history.gradient_flow.append(flow.tolist())
        probe, health = self.look_inside(look, gradients)
        if self.divergence is not None and self.divergence.epoch == self.epoch:
            # The listener's history (the window's plots) learns of it with the epoch's health.
            health = {**(health or {}), "divergence": self.divergence}
        if restore is not None:  # after this epoch's flow and look, which show its own weights
            self.model.set_weights(restore)
        if self.listener is not None:
            self.listener.on_epoch_end(EpochEnd(
                epoch=self.epoch, epochs=self.epochs, logs=dict(epoch_logs), gradient_flow=flow,
                elapsed_s=time.perf_counter() - self.started - self.paused_s, probe=probe, health=health,
            ))
        if (self.control is not None and self.control.stop_requested and self.stop_reason == "completed"
                and self.epoch < self.epochs):
            # Asked while the epoch ended (its validation, or a listener judging its logs): stop
            # here, not one batch into the next epoch with that batch's weights.
            self.stop_reason = "stopped"
            self.message = f"Stopped after epoch {self.epoch}."
            self.wrapper.stop_training = True

    def gradient_flow(self, *, charged_to_look: bool = False) -> tuple[np.ndarray, list | None]:
        """The flow profile and, from the same pass, the probe batch's gradient of every weight.
        ``charged_to_look``: only this epoch's look wants the pass, and pays for it."""
        if self.flow_fn is None or self.probe is None:
            return np.zeros(0, dtype=np.float64), None
        (flow, gradients), seconds = self.flow_schedule.measure(
            self.flow_fn, *self.probe, calls_left=self.epochs - self.epoch, charged=not charged_to_look)
        if charged_to_look:
            self.epoch_probe.charge(seconds)
        return np.asarray(flow, dtype=np.float64), gradients

    def look_inside(self, look: str | None, gradients) -> tuple[dict | None, dict | None]:
        """The probe sample's states and the weight health, or None for those the look plan
        (core.epoch_probe: its time budget) leaves out at this epoch, recorded in the history."""
        if self.epoch_probe is None:
            return None, None
        try:
            probe, health = self.epoch_probe.take(look, self.epochs, gradients)
        except RNNLabError:  # a layer the states cannot be shown for (an imported model): train on without
            self.epoch_probe.sample = None
            probe, health = None, None
        self.history.add_health(health)
        if probe is not None:
            self.history.add_probe(self.epoch, probe)
        return probe, health

    def _early_stopping(self, logs: dict[str, float]) -> list | None:
        """Stops the run when ``logs`` did not improve for ``patience`` epochs: then the best
        epoch's weights, for the caller to restore once this epoch's end is measured."""
        value = logs.get(self.monitor, math.nan)
        if math.isfinite(value) and value < self.best:
            self.best, self.best_epoch, self.wait = value, self.epoch, 0
            self.best_weights = self.model.get_weights()
            self.best_logs = dict(logs)
            return None
        self.wait += 1
        if self.wait >= self.training.patience and self.best_weights is not None:
            self.stop_reason = "early_stopping"
            self.message = (f"Stopped early at epoch {self.epoch}: {self.monitor} did not improve for "
                            f"{self.wait} epochs; restored the weights of epoch {self.best_epoch} "
                            f"({self.monitor} {self.best:.4g}).")
            self.wrapper.stop_training = True
            return self.best_weights
        return None


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


def fit_inputs(data: SequenceData, training) -> dict[str, Any]:
    """``fit``'s data arguments: tf.data pipelines that gather each batch as it is needed (windows
    cut on demand, from a big CSV or text, stay lazy), each repeated, with the steps of an epoch
    and of a validation pass given. Built outside a distribution strategy's scope
    (see ``as_dataset``).

    Repeated so that Keras keeps one iterator per pipeline for the whole run. Arrays or a finite
    dataset get a new iterator every epoch, and the first step of an epoch then sometimes waited
    ~1 s on it with the cores idle (in a training process beside the window, about one epoch in
    four of a 2-layer LSTM; bench/RESULTS.md, 2026-12-01)."""
    def repeated(x, y, training_pass: bool) -> tuple[Any, int]:
        """(the pipeline repeated, the steps of one pass: as_dataset declares them)."""
        pipeline = as_dataset(x, y, batch_size=training.batch_size, shuffle=training_pass, seed=training.seed,
                              full_batches=training_pass)
        return pipeline.repeat(), int(pipeline.cardinality())

    train_pipeline, train_steps = repeated(data.x_train, data.y_train, training_pass=True)
    inputs: dict[str, Any] = {
        "x": train_pipeline,
        "steps_per_epoch": train_steps,
        "shuffle": False,  # the pipeline draws a new order every epoch itself
    }
    if data.num_val > 0:
        # Unshuffled and exactly one pass long, so every validation pass starts at the first sample.
        inputs["validation_data"], inputs["validation_steps"] = repeated(data.x_val, data.y_val, training_pass=False)
    return inputs


def runs_eagerly(training_steps: int, info) -> bool:
    """Whether a run of ``training_steps`` on sequences of ``info`` is cheaper eager than traced
    (see EAGER_MAX_STEP_TIMES)."""
    return training_steps * info.recurrent_steps <= EAGER_MAX_STEP_TIMES


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
    continuing = model is not None
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
        wrapper = monitored_model(model, replicas=replicas)
        loss, metrics = loss_and_metrics(info)
        optimizer = make_optimizer(training)
        optimizer_note = ""
        if continuing:  # keep Adam's moments and the step count of the model's last run
            optimizer_note = course.carry_state(getattr(model, "optimizer", None), optimizer,
                                                model.trainable_variables, training)
        batches = math.ceil(data.num_train / training.batch_size)
        eager = strategy is None and runs_eagerly(batches * training.epochs, info)
        wrapper.compile(optimizer=optimizer, loss=loss, metrics=metrics, run_eagerly=eager)
        # An eager run traces no train step, so its variables may be created by the first step,
        # which saves a symbolic pass over the whole model (~0.1 s, 10-15 % of a short run).
        if strategy is None and not eager:
            sample = (np.asarray(data.x_train[: training.batch_size]), np.asarray(data.y_train[: training.batch_size]))
            keras_compat.build_symbolically(wrapper, sample)

    names_by_id = weight_names_by_id(model)
    names = []
    for var in model.trainable_variables:
        names.append(names_by_id.get(id(var), (var.path.rsplit("/", 1)[0], var.name)))
    has_val = data.num_val > 0
    probe_x, probe_y = (data.x_val, data.y_val) if has_val else (data.x_train, data.y_train)
    probe = (tf.constant(np.asarray(probe_x[:PROBE_SIZE])), tf.constant(np.asarray(probe_y[:PROBE_SIZE]))
             if len(probe_x) else None)
    flow_fn = gradient_flow_function(model, info, with_weights=True)
    if flow_fn is not None and strategy is not None:
        flow_fn = OnFirstReplica(flow_fn, strategy)
    epoch_probe = EpochProbe(model, info, np.asarray(probe_x[0]) if len(probe_x) else None, names)
    run = _Run(wrapper=wrapper, model=model, info=info, listener=listener, control=control,
               epochs=training.epochs, batches_per_epoch=batches, names=names, training=training,
               probe=probe, flow_fn=flow_fn, monitor_val=has_val, loss_fn=keras.losses.get(loss),
               epoch_probe=epoch_probe)

    weight_names: dict[str, list[str]] = {layer: [] for layer in run.layers}
    for layer, w in names:
        weight_names[layer].append(w)
    if listener is not None:
        listener.on_run_started(RunStarted(
            epochs=training.epochs, batches_per_epoch=batches, device_name=device_name,
            layer_names=list(run.layers), weight_names=weight_names, optimizer_note=optimizer_note,
        ))
    try:
        inputs = fit_inputs(data, training)
        with device_scope():
            wrapper.fit(**inputs, epochs=training.epochs, verbose=0, callbacks=[_make_callback(run)])
            # The plain model carries the optimizer, loss and metrics, so a saved file can resume.
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    except Exception as exc:
        if listener is not None:
            listener.on_failed(Failure.from_exception(exc).message)
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
