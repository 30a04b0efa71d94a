"""How strongly each output depends on each earlier input: C[t_out, t_in] = ||d y(t_out) / d x(t_in)||.

The measure of "Visualizing memorization in RNNs" (Madsen, Distill 2019): the norm of the
Jacobian block of the output at t_out (all its classes or values) with respect to the input at
t_in (all its features). Token inputs are differentiated at the embedding's output (the vector
each token becomes); a one-to-many model's single input vector gives one column. For
classification y is taken before the softmax (the logits): probabilities saturate at 0 and 1
once a model is sure, and their gradients then vanish, hiding what the output depends on. For
regression y is the (normalised) predicted values.

A model that is a plain chain (input, embedding, recurrent layers, head: every mode but one-to-many
and encoder-decoder) is differentiated forward in numpy instead (``core.connectivity_forward``):
nothing to trace, tens of milliseconds for T = 100. What follows is TensorFlow's way, for every
other model and for samples whose inputs are too wide for the forward way.

One backward pass per output number (T_out x classes of them) would be slow; instead the sample
is repeated into a batch with one row per output number, each row's output picks its own number,
and a single backward pass gives every Jacobian row at once. For many-to-one that is a batch of
a few rows; for T = 100 aligned steps of 5 classes, 500 rows, in chunks.

What a call costs is mostly TensorFlow's, not the arithmetic's: run eagerly, the recurrence is a
Python loop of small ops (about 5 ms per step of a 64-unit LSTM, batch or no batch); compiled,
one call of T = 100 takes tens of ms, but tracing it and its gradient costs about half a second
once. So a long sequence is compiled from its first call, a short one (a teaching model) runs
eagerly, and the compiled function takes any batch and, where the model allows it, any length,
so it is traced once per model. ``connectivity`` keeps one Connectivity per model while the
model lives.

Keras and TensorFlow are imported inside the functions: importing this module loads neither.
"""

from __future__ import annotations

import threading
import time
import weakref

import numpy as np

from core import keras_compat
from core.datasets.base import DataInfo
from core.models import EMBEDDING_NAME, HEAD_NAME
from core.monitoring import quiet_per_model_retracing_warning, watched_call

CHUNK = 512  # Jacobian rows per backward pass
# From this many input steps on, the first call is compiled: eagerly it would cost as much as tracing.
COMPILE_FROM_STEPS = 40


class Connectivity:
    """C for samples of one model: build once, call per sample (the training probe calls it every epoch).

    A sequence of COMPILE_FROM_STEPS steps or more is compiled from the first call. Shorter ones
    run eagerly while that is quick (a small model's eager call takes tens of ms); once one is
    slower than SLOW_S (many output numbers) the function is compiled from then on.
    The model is held weakly: the cache in ``connectivity`` must not keep it alive.
    """

    SLOW_S = 0.25

    def __init__(self, model, info: DataInfo) -> None:
        self._model = weakref.ref(model)
        self.info = info
        names = {layer.name for layer in model.layers}
        self.point = model.get_layer(EMBEDDING_NAME) if (
            info.input_kind == "tokens" and EMBEDDING_NAME in names) else None
        head = model.get_layer(HEAD_NAME) if HEAD_NAME in names else None
        softmax = head is not None and getattr(head.activation, "__name__", "") == "softmax" and head.use_bias
        self.head = head if softmax else None
        self._compiled = None
        self._traced = False
        from core.connectivity_forward import ForwardConnectivity

        self.forward = ForwardConnectivity.of(model, info)

    @property
    def model(self):
        return self._model()

    def output_shape(self, x: np.ndarray) -> tuple[int, int]:
        """(output steps, output numbers per step) for a sample (a model may read any length)."""
        shape = tuple(self.model.compute_output_shape((1, *np.shape(x))))[1:]
        return (int(shape[0]) if len(shape) == 2 else 1), int(shape[-1])

    def carried_forward(self, x: np.ndarray) -> bool:
        """Whether this sample is computed in numpy (core.connectivity_forward): nothing to trace."""
        return self.forward is not None and self.forward.fits(self.model, x)

    def rows(self, x: np.ndarray) -> int:
        """Backward-pass rows the sample costs (output steps x output numbers)."""
        steps, dim = self.output_shape(x)
        return steps * dim

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """C as (T_out, T_in): one row for many-to-one, one column for one-to-many."""
        import tensorflow as tf

        x = np.asarray(x)
        if self.carried_forward(x):
            return self.forward(self.model, x)
        long = self.info.io_mode != "one_to_many" and len(x) >= COMPILE_FROM_STEPS
        if self._compiled is None and long:
            self._compile(x.dtype)
        out_steps, out_dim = self.output_shape(x)
        rows = out_steps * out_dim
        chunk = min(rows, CHUNK)
        batch = tf.constant(np.repeat(x[None], chunk, axis=0))
        squares = []
        for start in range(0, rows, chunk):
            count = min(chunk, rows - start)
            mask = np.zeros((chunk, rows), dtype=np.float32)  # row i picks output number start + i
            mask[np.arange(count), start + np.arange(count)] = 1.0
            mask = tf.constant(mask.reshape(chunk, out_steps, out_dim))
            squares.append(np.asarray(self._run(batch, mask))[:count])
        per_row = np.concatenate(squares).reshape(out_steps, out_dim, -1)
        return np.sqrt(per_row.sum(axis=1)).astype(np.float32)

    @property
    def compiled(self) -> bool:
        """Whether calls go through the compiled (traced) function."""
        return self._compiled is not None

    def warm_up(self, x: np.ndarray, *, compile_now: bool = False) -> np.ndarray:
        """C for ``x``, leaving the function in its steady state: compiled and traced now when
        ``compile_now`` (many calls will follow) or when this first call shows it is slow."""
        if self.carried_forward(x):
            return self(x)
        if compile_now and self._compiled is None:
            self._compile(np.asarray(x).dtype)
        result = self(x)
        if self._compiled is not None and not self._traced:
            result = self(x)
        return result

    def _compile(self, dtype) -> None:
        """Compile for batches of any size and, where the model's input leaves the time axis open,
        of any length: one trace per model, whatever samples and chunks follow."""
        import tensorflow as tf

        quiet_per_model_retracing_warning()  # one trace per model, each run a new one
        per_sample = tuple(self.model.inputs[0].shape[1:])
        signature = [tf.TensorSpec((None, *per_sample), tf.as_dtype(dtype)),
                     tf.TensorSpec((None, None, None), tf.float32)]
        self._compiled = tf.function(self._squares, input_signature=signature, autograph=False)

    def _run(self, batch, mask):
        if self._compiled is not None:
            self._traced = True
            return self._compiled(batch, mask)
        start = time.perf_counter()
        result = self._squares(batch, mask)
        if time.perf_counter() - start > self.SLOW_S:
            self._compile(batch.dtype.as_numpy_dtype)
        return result

    def _squares(self, batch, mask):
        """Per batch row: the squared gradient of its picked output number, summed over features, per input step."""
        import tensorflow as tf

        captured = []

        def operation_fn(op):
            if op is self.head:
                return lambda x: tf.matmul(x, op.kernel) + op.bias  # the logits, before the softmax
            return watched_call(op, tape, captured) if op is self.point else op

        with tf.GradientTape() as tape:
            if self.point is None:
                tape.watch(batch)
            y = tf.nest.flatten(keras_compat.run_through_graph(self.model, [batch], operation_fn))[0]
            watched = batch if self.point is None else captured[0]
            picked = tf.reduce_sum(tf.reshape(tf.cast(y, tf.float32), tf.shape(mask)) * mask)
        gradient = tf.cast(tape.gradient(picked, watched), tf.float32)
        rows = tf.shape(gradient)[0]
        if len(gradient.shape) == 2:  # one input vector (one-to-many): a single "step"
            return tf.reduce_sum(tf.square(gradient), axis=-1, keepdims=True)
        return tf.reduce_sum(tf.square(tf.reshape(gradient, (rows, tf.shape(gradient)[1], -1))), axis=-1)


# One Connectivity per live model, so that explaining one sample after another with the same model
# (the Memory view) reuses its compiled function; an entry goes with its model.
_BY_MODEL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_BY_MODEL_LOCK = threading.Lock()


def connectivity(model, info: DataInfo, x: np.ndarray) -> np.ndarray:
    """C[t_out, t_in] = ||d y(t_out) / d x(t_in)|| for one sample ``x`` (no batch axis)."""
    from core.states import model_input

    with _BY_MODEL_LOCK:
        found = _BY_MODEL.get(model)
        if found is None or found.info.input_kind != info.input_kind:
            found = _BY_MODEL[model] = Connectivity(model, info)
    return found(model_input(model, info, x))
