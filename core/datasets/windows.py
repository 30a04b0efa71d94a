"""Windows cut from a series on demand, and the tf.data pipeline that feeds them to Keras.

A CSV of a million rows read in windows of 50 would take 2 GB as one array of windows; the rows
themselves take 40 MB. ``Windows`` keeps the rows and the start of each window and behaves like
the array of windows where the rest of RNN Lab looks at one (``len``, ``shape``, indexing,
slicing, ``numpy.asarray``), cutting only what is asked for. Training feeds it to Keras through
``as_dataset``, which gathers one batch of windows at a time inside the tf.data graph.

``segment_starts`` says where windows may start when a series is made of segments (the training
and validation parts of a file, or its recordings): a window and the row it predicts never cross
the end of a segment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


class Windows:
    """Window ``i`` is ``rows[starts[i] : starts[i] + length]``; shape ``(len(starts), length, *rows.shape[1:])``.

    Several views may share one ``rows`` array (training and validation windows of one file),
    so pickling them together (the runner sends both to its child) sends the rows once.
    """

    def __init__(self, rows: np.ndarray, starts: np.ndarray, length: int) -> None:
        self.rows = rows
        self.starts = np.asarray(starts, dtype=np.int64).reshape(-1)
        self.length = int(length)
        self._offsets = np.arange(self.length, dtype=np.int64)
        if len(self.starts) and (self.starts.min() < 0 or self.starts.max() + self.length > len(rows)):
            raise ValueError("a window reaches outside the rows")

    # --- what an array of windows answers --------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.starts), self.length, *self.rows.shape[1:])

    @property
    def ndim(self) -> int:
        return self.rows.ndim + 1

    @property
    def dtype(self) -> np.dtype:
        return self.rows.dtype

    @property
    def nbytes(self) -> int:
        """What the windows would take as one array (the rows they share take far less)."""
        return math.prod(self.shape) * self.rows.dtype.itemsize

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, key):
        """An int gives that window (an array); a slice, index array or mask gives a ``Windows`` view
        of those windows, as slicing an array gives a view; a tuple indexes the windows it picks."""
        if isinstance(key, tuple):
            # Gather only the rows asked for: x[:, -1, 0] reads one row per window, not the windows.
            starts = self.starts[key[0]]
            offsets = self._offsets[key[1]] if len(key) > 1 else self._offsets
            picked = self.rows[np.add.outer(starts, offsets)]
            return picked[(slice(None),) * (np.ndim(starts) + np.ndim(offsets)) + tuple(key[2:])]
        if isinstance(key, (int, np.integer)):
            start = self.starts[key]  # IndexError for a window that does not exist, as an array says
            return self.rows[start:start + self.length].copy()
        return Windows(self.rows, self.starts[key], self.length)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __array__(self, dtype=None, copy=None):
        windows = self.rows[self.starts[:, None] + self._offsets]
        return windows if dtype is None else windows.astype(dtype, copy=False)

    def __getattr__(self, name: str):
        # Anything else an array answers (min, max, astype, tolist, ...) is answered by the
        # materialised windows: correct everywhere, costly only where big data should not go.
        if name.startswith("__") or "rows" not in self.__dict__:
            raise AttributeError(name)
        return getattr(np.asarray(self), name)

    def __repr__(self) -> str:
        return f"Windows(shape={self.shape}, dtype={self.dtype})"


def segment_starts(bounds: Sequence[tuple[int, int]], *, need: int, stride: int) -> np.ndarray:
    """Start rows of the windows inside each segment ``[begin, end)`` of a series.

    ``need`` is how many rows a window uses from its start (its length plus how far ahead its
    target lies), so every window and its target stay inside one segment. Segments too short for
    one window give none.
    """
    parts = [np.arange(begin, end - need + 1, stride, dtype=np.int64) for begin, end in bounds if end - begin >= need]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def as_dataset(x, y, *, batch_size: int, shuffle: bool = False, seed: int = 0, full_batches: bool = False):
    """A batched tf.data.Dataset of ``(x, y)``; either may be ``Windows`` or an array.

    Windows are gathered a batch at a time inside the graph (one ``tf.gather`` per batch, not per
    window as ``keras.utils.timeseries_dataset_from_array`` does). With ``shuffle``, every pass
    over the data (every epoch) draws a new order of all samples, as ``fit(shuffle=True)`` does
    with arrays, reproducibly from ``seed``. Call it outside a distribution strategy's scope: the
    pass counter is a plain variable.

    ``full_batches`` (for training): every batch of a pass has the same, known size, so the train
    step is traced for it. A pass still has ``ceil(n / batch_size)`` batches with every sample in
    them; the last one is filled up with the first samples of the pass's order (as repeating a
    dataset and then batching it would), and fewer samples than one batch make one batch of
    that many. A step traced for any batch size ran ~8 % slower on the CPU for the whole run, not
    only for the one smaller batch (an LSTM 32 on a big CSV, bench/RESULTS.md 2026-12-04).
    Evaluation must see every sample exactly once: leave it off there.
    """
    import tensorflow as tf

    n = len(x)
    batches = max(1, math.ceil(n / batch_size))

    def float32(values) -> np.ndarray:
        # As Keras' own array inputs do: float64 targets would make the loss run in float64.
        array = np.asarray(values)
        return array.astype(np.float32) if array.dtype.kind == "f" and array.dtype != np.float32 else array

    def gatherer(values):
        if isinstance(values, Windows):
            rows = tf.constant(float32(values.rows))
            starts = tf.constant(values.starts)
            offsets = tf.range(values.length, dtype=tf.int64)
            return lambda index: tf.gather(rows, tf.gather(starts, index)[:, None] + offsets)
        array = tf.constant(float32(values))
        return lambda index: tf.gather(array, index)

    take_x, take_y = gatherer(x), gatherer(y)
    # A stateful shuffle inside tf.data starts from the same state for every new iterator, so
    # every epoch would see one order: count the passes and seed a stateless shuffle with it.
    # On the CPU, where tf.data runs its functions: on a GPU machine a variable placed by default
    # would sit on the GPU, out of the pipeline's reach.
    with tf.device("/CPU:0"):
        passes = tf.Variable(0, dtype=tf.int64, trainable=False)

    # No tensor-dependent Python control flow in these functions (the ifs test Python values):
    # AutoGraph's rewrite of their source, which tf.data applies by default, is pure cost, ~0.1 s
    # per pipeline and more the first time in a process.
    as_written = tf.autograph.experimental.do_not_convert

    @as_written
    def batch_indices(_):
        order = tf.range(n, dtype=tf.int64)
        if shuffle:
            key = tf.stack([tf.constant(seed, tf.int64), passes.assign_add(1)])
            order = tf.random.experimental.stateless_shuffle(order, seed=key)
        if n and (full_batches or n % batch_size == 0):
            # Every batch full: batches of a known size, as Keras' own array inputs give them when
            # the batches divide the data. The train step traced for a known batch size ran ~10 %
            # faster per step than for any size (a 2-layer LSTM, bench/RESULTS.md 2026-12-01).
            size = min(n, batch_size)
            missing = batches * size - n  # what fills up the last batch (see full_batches)
            if missing:
                order = tf.concat([order, order[:missing]], axis=0)
            return tf.data.Dataset.from_tensor_slices(tf.reshape(order, (batches, size)))
        return tf.data.Dataset.range(batches).map(
            as_written(lambda b: order[b * batch_size:tf.minimum((b + 1) * batch_size, n)]))

    # flat_map runs again for every pass (every epoch: each repetition, or each new iterator); the
    # cardinality is declared so that Keras knows the steps of an epoch.
    dataset = tf.data.Dataset.range(1).flat_map(batch_indices)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    # One batch gathered ahead, in one thread, with tf.data's autotuning off: a gather is cheap,
    # and a run keeps this pipeline's iterator for all its epochs, where autotuned parallel
    # calls and buffers were seen to halve the training's speed for whole epochs on two cores.
    dataset = dataset.map(as_written(lambda index: (take_x(index), take_y(index))))
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(1).with_options(options)


def dataset_bytes(data) -> int:
    """Bytes a SequenceData's training and validation arrays hold: the rows once for windows cut
    on demand (however many views share them), the arrays themselves otherwise."""
    seen: dict[int, int] = {}
    for values in (data.x_train, data.y_train, data.x_val, data.y_val):
        held = values.rows if isinstance(values, Windows) else np.asarray(values)
        seen[id(held)] = held.nbytes
    return sum(seen.values())
