"""What the monitored run measures: per-weight gradient norms inside the train step, gradient flow.

The plain model is trained through a training-only wrapper (``monitored_model``) whose
``train_step`` takes the gradients once, applies them and returns, with the usual running-mean
metrics, the batch's own loss (``BATCH_LOSS``) and the pre-clip gradient norm of every trainable
weight (``GRAD_NORMS``, one vector in the order of ``trainable_variables``). The wrapper is never
saved. ``gradient_flow_function`` measures ||d loss / d x_t|| per input step on a probe batch.

Weight names follow the lecture: ``w_i`` is an RNN layer's input kernel, ``w_R`` its recurrent
kernel, ``bias`` its bias; other layers keep the Keras names ("kernel", "embeddings"). A
bidirectional layer ``rnn_1`` reports its halves as "rnn_1/forward" and "rnn_1/backward".

Keras and TensorFlow are imported inside the functions: importing this module loads neither.
"""

from __future__ import annotations

import logging
import time

from core import keras_compat
from core.datasets.base import DataInfo
from core.models import EMBEDDING_NAME, REPEAT_NAME, loss_and_metrics

BATCH_LOSS = "batch_loss"
GRAD_NORMS = "grad_norms"
_RNN_WEIGHT_NAMES = {"kernel": "w_i", "recurrent_kernel": "w_R"}


# --- norms inside the train step -----------------------------------------------------------


def keyed_layers(model) -> list[tuple[str, object]]:
    """(layer key, layer) for every layer, a bidirectional layer "rnn_1" as its two halves
    "rnn_1/forward" and "rnn_1/backward": the keys of the norms, the flow and the weight health."""
    import keras

    keyed = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            keyed += [(f"{layer.name}/forward", layer.forward_layer), (f"{layer.name}/backward", layer.backward_layer)]
        else:
            keyed.append((layer.name, layer))
    return keyed


def watched_call(op, tape, captured: list):
    """``op`` called as in the model, its output watched by ``tape`` and appended to ``captured``:
    for ``keras_compat.run_through_graph``, to take a gradient with respect to a tensor inside the model."""
    def call(*args, **kwargs):
        out = op(*args, **kwargs)
        tape.watch(out)
        captured.append(out)
        return out

    return call


def weight_names_by_id(model) -> dict[int, tuple[str, str]]:
    """id(variable) -> (layer key, weight name) for every trainable variable of the model."""
    names: dict[int, tuple[str, str]] = {}
    for key, layer in keyed_layers(model):
        is_rnn = hasattr(layer, "cell")
        for var in layer.trainable_weights:
            if id(var) in names:
                continue
            short = var.name.split("/")[-1]
            if is_rnn:
                short = _RNN_WEIGHT_NAMES.get(short, short)
            names[id(var)] = (key, short)
    return names


def _make_wrapper_class():
    import keras
    import tensorflow as tf

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
            # copies are what the rescue falls back to (see core.training._Run.rescue).
            variables = inner.trainable_variables
            self._snapshot = _Snapshot(variables)  # before the last update
            self._previous = _Snapshot(variables)  # before the update before it
            self._epoch_start = _Snapshot(variables)
            self._run_start = _Snapshot(variables)

        def call(self, inputs, training=False):
            return self.inner(inputs, training=training)

        def evaluate(self, *args, **kwargs):
            # fit's validation: the wrapper is only fitted on core.training.fit_inputs' pipelines.
            keras_compat.keep_validation_iterator(self)
            return super().evaluate(*args, **kwargs)

        def train_step(self, data):
            x, y, sample_weight = keras_compat.unpack_x_y_sample_weight(data)
            variables = self.trainable_weights
            self._previous.save_copy_of(self._snapshot)
            self._snapshot.save(variables)
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = keras_compat.compute_loss(self, x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
                batch_loss = keras_compat.unscale_loss(loss)
                keras_compat.track_loss(self, batch_loss, tf.shape(tf.nest.flatten(x)[0])[0])
                loss = self.optimizer.scale_loss(loss)
            gradients = tape.gradient(loss, variables)
            # Pre-clip norms: clipping happens inside apply_gradients. Under a distribution strategy
            # each replica's gradient is scaled by 1/replicas; undo that (norms are then averaged).
            norms = tf.stack([_gradient_norm(g) for g in gradients]) * self._replicas
            self.optimizer.apply_gradients(zip(gradients, variables))
            logs = dict(self.compute_metrics(x, y, y_pred, sample_weight=sample_weight))
            logs[BATCH_LOSS] = batch_loss
            logs[GRAD_NORMS] = norms
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


def monitored_model(inner, replicas: int = 1):
    """The training-only wrapper around ``inner`` (the class subclasses keras.Model, so it is
    made on first use: defining it at import time would load TensorFlow)."""
    global _WRAPPER_CLASS
    if _WRAPPER_CLASS is None:
        _WRAPPER_CLASS = _make_wrapper_class()
    return _WRAPPER_CLASS(inner, replicas=replicas)


# --- gradient flow --------------------------------------------------------------------------


def gradient_flow_function(model, info: DataInfo, *, with_weights: bool = False):
    """A function (x, y) -> ||d loss / d x_t|| per input step t, or None if the model has no such input.

    With ``with_weights`` it returns (profile, gradients of the loss w.r.t. the model's trainable
    variables) from the same backward pass: the weight-health histograms get them for free.

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

    def profile(gradients):
        flow = tf.sqrt(tf.reduce_sum(tf.square(gradients[0]), axis=[0, 2]))
        return (flow, gradients[1:]) if with_weights else flow

    weights = list(model.trainable_variables) if with_weights else []

    if point is None:
        def flow(x, y):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_mean(loss_fn(y, model(x, training=False)))
            return profile(tape.gradient(loss, [x, *weights]))

        return _EagerThenCompiled(flow)

    # The tensor is inside the model: watch that layer's output as the graph produces it.
    def flow_inside(x, y):
        captured = []
        with tf.GradientTape() as tape:
            outputs = keras_compat.run_through_graph(
                model, [x], lambda op: watched_call(op, tape, captured) if op is point else op)
            y_pred = tf.nest.flatten(outputs)[0]
            loss = tf.reduce_mean(loss_fn(y, y_pred))
        return profile(tape.gradient(loss, [captured[0], *weights]))

    return _EagerThenCompiled(flow_inside)


class _EagerThenCompiled:
    """Runs eagerly while that is cheap; compiles once the eager calls still to come would cost
    more than tracing.

    Tracing costs about TRACE_S (0.2 s for the cooking schedule's model), a short sequence's eager
    call ~20-100 ms, a 100-step one ~0.4 s, a compiled one 2-30 ms: a run of a few epochs (most
    runs a learner starts to see something, and every test) skips the tracing, a run of 30 epochs
    or a long sequence pays it once. ``calls_left``: how many more calls the caller expects after
    this one (the epochs still to run); None when it cannot say (then a call over SLOW_S compiles).
    ``warm``: whether the last call paid no one-off cost (neither the first eager call nor a trace).
    """

    SLOW_S = 0.05
    TRACE_S = 0.4

    def __init__(self, fn):
        self.fn = fn
        self.compiled = None
        self.calls = 0  # of the function in use (eager, then compiled): its first call is not warm
        self.warm = False

    def __call__(self, x, y, calls_left: int | None = None):
        import tensorflow as tf

        x, y = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
        self.calls += 1
        self.warm = self.calls > 1
        if self.compiled is not None:
            return self.compiled(x, y)
        start = time.perf_counter()
        result = self.fn(x, y)
        eager_s = time.perf_counter() - start
        pays = eager_s > self.SLOW_S if calls_left is None else eager_s * calls_left > self.TRACE_S
        if pays:
            quiet_per_model_retracing_warning()
            # autograph=False: the function has no tensor-dependent Python control flow, and
            # AutoGraph cannot convert a closure built per model anyway (it warns that it gives up).
            self.compiled = tf.function(self.fn, reduce_retracing=True, autograph=False)
            self.calls = 0  # the next call traces
        return result


class OnFirstReplica:
    """A flow function run in a distribution strategy's replica context: gradients with respect to
    the strategy's (mirrored) variables exist only there; outside, ``tape.gradient`` raises. Every
    replica passes over the same probe batch, so the first replica's result is the single
    device's."""

    def __init__(self, fn: _EagerThenCompiled, strategy) -> None:
        self.fn = fn
        self.strategy = strategy

    @property
    def warm(self) -> bool:
        return self.fn.warm

    def __call__(self, x, y, calls_left: int | None = None):
        result = self.strategy.run(self.fn, args=(x, y), kwargs={"calls_left": calls_left})
        return self.strategy.experimental_local_results(result)[0]


class _RetracingFilter:
    """Drops TensorFlow's "triggered tf.function retracing" warning about the functions compiled
    once per model: the gradient flow and the connectivity (core.connectivity).

    Each closes over (or is bound to) one run's model, so each run necessarily traces a new one
    (same Python code, a new closure); TensorFlow counts those as retracing of one function and
    warns once a process has trained ~5 models. Each trace is the expected one per run, so the
    warning is noise; other retracing warnings still get through.
    """

    PER_MODEL = ("gradient_flow_function", "Connectivity._squares")

    def filter(self, record) -> bool:
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and any(name in message for name in self.PER_MODEL))


_RETRACING_FILTER = _RetracingFilter()


def quiet_per_model_retracing_warning() -> None:
    logger = logging.getLogger("tensorflow")
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)
