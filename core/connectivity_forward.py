"""Connectivity by forward-mode differentiation in numpy, for a model that is a chain of recurrent layers.

``core.connectivity`` differentiates the model with TensorFlow: exact for every model, but the
first call of a long sequence traces the recurrence's gradient (a while loop), about half a
second to a second before any arithmetic. Most models RNN Lab builds are a plain chain,
input -> [embedding] -> recurrent layers (stacked, bidirectional) -> dense head, and for those the
Jacobian can be carried forward with the states themselves: each layer's state gets a tangent
matrix d s(t) / d x (one column per input number), updated by the cell's own derivative at every
step. That costs steps x layers x (gate rows x units x input numbers) multiply-adds, tens of
milliseconds for T = 100 and 64 units, and nothing to trace.

``ForwardConnectivity.of(model, info)`` returns None for a model it cannot follow (encoder-decoder,
one-to-many, masks, activations without a known derivative, other layers in the chain); the
caller then uses TensorFlow. ``fits`` says whether one sample is small enough (the tangents grow
with the input's length times its width, where the backward pass grows with the outputs).
A test compares both ways on every cell, stacked, bidirectional, every mode the chain covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.datasets.base import DataInfo
from core.models import EMBEDDING_NAME, HEAD_NAME
from core.states import CellWeights

# Above this many multiply-adds (as ``multiply_adds`` counts them: a forward layer really does
# about half, its h(t) depending on the inputs up to t only), TensorFlow's backward pass is the
# better deal. Measured: 2.5e9 took 0.11 s (two 64-unit LSTM layers, T = 100, 5 features), so
# this is about half a second, what TensorFlow's first call costs.
MAX_MULTIPLY_ADDS = 1e10
# Input numbers carried at once: bounds the tangents' memory (steps x units x columns).
COLUMNS_PER_PASS = 512


def _sigmoid(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


# Per activation name, its derivative at the pre-activation. The values themselves come from the
# cell (core.states.CellWeights), which has them in numpy for these names.
_DERIVATIVES: dict[str, Callable] = {
    "tanh": lambda v: 1.0 - np.tanh(v) ** 2,
    "sigmoid": lambda v: _sigmoid(v) * (1.0 - _sigmoid(v)),
    "relu": lambda v: (v > 0).astype(v.dtype),
    "linear": np.ones_like,
    "hard_sigmoid": lambda v: ((v > -3) & (v < 3)) / 6.0,
    "elu": lambda v: np.where(v > 0, 1.0, np.exp(np.minimum(v, 0.0))),
}


@dataclass
class _Direction:
    cell: CellWeights
    act_d: Callable  # the derivative of cell.activation
    rec_d: Callable | None  # ... of cell.recurrent_activation (LSTM, GRU)
    backwards: bool


@dataclass
class _Recurrent:
    directions: list[_Direction]  # one, or forward and backward of a Bidirectional
    merge: str
    return_sequences: bool


def _derivative(fn) -> Callable | None:
    return _DERIVATIVES.get(getattr(fn, "__name__", ""))


def _direction(layer, backwards: bool) -> _Direction | None:
    if getattr(layer, "stateful", False) or not hasattr(layer, "cell"):
        return None
    try:
        cell = CellWeights.of(layer)
    except Exception:  # noqa: BLE001 - not a cell we know: TensorFlow's way follows it
        return None
    act_d = _derivative(layer.cell.activation)
    rec_fn = getattr(layer.cell, "recurrent_activation", None)
    rec_d = _derivative(rec_fn) if rec_fn is not None else None
    if act_d is None or (cell.kind != "SimpleRNN" and rec_d is None):
        return None
    return _Direction(cell, act_d, rec_d, backwards)


class ForwardConnectivity:
    """C[t_out, t_in] = ||d y(t_out) / d x(t_in)|| of a chain model, carried forward in numpy.

    It holds the layers' names, not the layers: ``core.connectivity`` keeps one per live model
    and must not keep the model alive; each call reads the weights as they are then (the training
    probe calls it after every epoch).
    """

    def __init__(self, embedding: str | None, recurrent: list[str], head: str, head_act: Callable | None,
                 sizes: list[tuple[int, int, int]]) -> None:
        self.embedding = embedding
        self.recurrent = recurrent
        self.head = head
        self.head_act = head_act  # the head's derivative; None: the logits (before a softmax)
        self.sizes = sizes  # per direction of every recurrent layer: (gate rows, units, input width)

    @classmethod
    def of(cls, model, info: DataInfo) -> ForwardConnectivity | None:
        import keras

        if info.io_mode not in ("one_to_one", "many_to_one", "many_to_many"):
            return None
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        if not layers or not all(_chained(a, b) for a, b in zip(layers, layers[1:])):
            return None
        embedding = None
        if layers[0].name == EMBEDDING_NAME and isinstance(layers[0], keras.layers.Embedding):
            if info.input_kind != "tokens" or getattr(layers[0], "mask_zero", False):
                return None
            embedding, layers = layers[0].name, layers[1:]
        elif info.input_kind == "tokens":
            return None
        if len(layers) < 2 or layers[-1].name != HEAD_NAME or type(layers[-1]) is not keras.layers.Dense:
            return None
        head = layers[-1]
        head_name = getattr(head.activation, "__name__", "")
        if head_name == "softmax" and head.use_bias:  # as core.connectivity: the logits
            head_act = None
        elif head_name in _DERIVATIVES:
            head_act = _DERIVATIVES[head_name]
        else:
            return None
        recurrent = [_recurrent(layer) for layer in layers[:-1]]
        if None in recurrent or any(not r.return_sequences for r in recurrent[:-1]):
            return None
        sizes = [(d.cell.recurrent.shape[1], d.cell.units, d.cell.kernel.shape[0])
                 for r in recurrent for d in r.directions]
        return cls(embedding, [layer.name for layer in layers[:-1]], head.name, head_act, sizes)

    def multiply_adds(self, steps: int, features: int) -> float:
        """About how much arithmetic one sample costs (to choose between this and TensorFlow)."""
        return sum(steps * rows * (units + width) * steps * features for rows, units, width in self.sizes)

    def fits(self, model, x: np.ndarray) -> bool:
        x = np.asarray(x)
        features = model.get_layer(self.embedding).output_dim if self.embedding else x.shape[-1]
        return self.multiply_adds(len(x), features) <= MAX_MULTIPLY_ADDS

    def __call__(self, model, x: np.ndarray) -> np.ndarray:
        """C as (T_out, T_in): one row for many-to-one."""
        if self.embedding is not None:
            table = np.asarray(model.get_layer(self.embedding).embeddings, dtype=np.float64)
            inputs = table[np.asarray(x, dtype=np.int64).reshape(-1)]
        else:
            inputs = np.asarray(x, dtype=np.float64)
        steps, features = inputs.shape
        recurrent = [_recurrent(model.get_layer(name)) for name in self.recurrent]
        values = [inputs]
        runs = []
        for layer in recurrent:
            layer_runs = [_values(d, values[-1]) for d in layer.directions]
            runs.append(layer_runs)
            values.append(_merged(layer, [run.hidden for run in layer_runs]))
        head = model.get_layer(self.head)
        kernel = np.asarray(head.kernel, dtype=np.float64)
        top = values[-1] if recurrent[-1].return_sequences else values[-1][-1:]
        pre = top @ kernel + (np.asarray(head.bias, dtype=np.float64) if head.use_bias else 0.0)
        scale = None if self.head_act is None else self.head_act(pre).astype(np.float32)  # (T_out, out_dim)
        total = steps * features
        squares = np.zeros((len(top), steps))
        for start in range(0, total, COLUMNS_PER_PASS):
            stop = min(total, start + COLUMNS_PER_PASS)
            width = stop - start
            flat = np.arange(start, stop)
            identity = np.zeros((steps, features, width), dtype=np.float32)  # d inputs(t) / d the chunk's numbers
            identity[flat // features, flat % features, np.arange(width)] = 1.0
            first = np.arange(steps) * features - start
            tangent = _Tangent(identity, np.clip(first, 0, width), np.clip(first + features, 0, width))
            for layer, layer_runs in zip(recurrent, runs):
                tangent = _merged_tangent(layer, layer_runs,
                                          [_tangents(d, run, tangent) for d, run in zip(layer.directions, layer_runs)])
            top_tangent = tangent.values if recurrent[-1].return_sequences else tangent.values[-1:]
            out = kernel.T.astype(np.float32) @ top_tangent  # (T_out, out_dim, width)
            if scale is not None:
                out = out * scale[:, :, None]
            per_column = np.sum(out ** 2, axis=1)  # (T_out, width)
            np.add.at(squares.T, flat // features, per_column.T)
        return np.sqrt(squares).astype(np.float32)


def _chained(before, after) -> bool:
    try:
        return after.input is before.output
    except (AttributeError, ValueError):  # a layer called more than once, or not at all
        return False


def _recurrent(layer) -> _Recurrent | None:
    import keras

    if isinstance(layer, keras.layers.Bidirectional):
        if layer.merge_mode not in ("concat", "sum", "ave", "mul") or getattr(layer, "return_state", False):
            return None
        directions = [_direction(layer.forward_layer, False), _direction(layer.backward_layer, True)]
        if None in directions:
            return None
        return _Recurrent(directions, layer.merge_mode, bool(layer.return_sequences))
    if (not isinstance(layer, keras.layers.RNN) or getattr(layer, "return_state", False)
            or getattr(layer, "go_backwards", False)):  # its sequence comes back reversed; rare enough
        return None
    direction = _direction(layer, False)
    if direction is None:
        return None
    return _Recurrent([direction], "single", bool(layer.return_sequences))


@dataclass
class _Values:
    """One direction's run over a sequence, in the input's time order: what the tangents need."""

    hidden: np.ndarray  # h(t), (T, units)
    previous: np.ndarray  # h(t-1) as the cell saw it
    cell_previous: np.ndarray | None  # c(t-1), LSTM
    cell_state: np.ndarray | None  # c(t), LSTM
    pre: np.ndarray  # pre-activations of the gate blocks, (T, blocks * units)
    inner: np.ndarray | None  # GRU: the recurrent term of the candidate (before the reset gate)


def _values(d: _Direction, x: np.ndarray) -> _Values:
    cell = d.cell
    u = cell.units
    seq = x[::-1] if d.backwards else x
    steps = len(seq)
    wx = seq @ cell.kernel + cell.bias
    pre = np.empty((steps, cell.recurrent.shape[1]))
    hidden = np.empty((steps, u))
    previous = np.empty((steps, u))
    lstm = cell.kind == "LSTM"
    cell_state = np.empty((steps, u)) if lstm else None
    cell_previous = np.empty((steps, u)) if lstm else None
    inner_h = np.empty((steps, u)) if cell.kind == "GRU" else None
    act = cell.activation
    rec = cell.recurrent_activation
    h = np.zeros(u)
    c = np.zeros(u)
    for t in range(steps):
        previous[t] = h
        if cell.kind == "SimpleRNN":
            z = pre[t] = wx[t] + h @ cell.recurrent
            h = act(z)
        elif lstm:
            z = pre[t] = wx[t] + h @ cell.recurrent
            cell_previous[t] = c
            gates = rec(z)
            c = gates[u:2 * u] * c + gates[:u] * act(z[2 * u:3 * u])
            cell_state[t] = c
            h = gates[3 * u:] * act(c)
        elif cell.reset_after:
            inner = h @ cell.recurrent + (cell.recurrent_bias if cell.recurrent_bias is not None else 0.0)
            pre[t, :2 * u] = wx[t, :2 * u] + inner[:2 * u]
            zr = rec(pre[t, :2 * u])
            inner_h[t] = inner[2 * u:]
            pre[t, 2 * u:] = wx[t, 2 * u:] + zr[u:] * inner[2 * u:]
            h = zr[:u] * h + (1.0 - zr[:u]) * act(pre[t, 2 * u:])
        else:
            pre[t, :2 * u] = wx[t, :2 * u] + h @ cell.recurrent[:, :2 * u]
            zr = rec(pre[t, :2 * u])
            pre[t, 2 * u:] = wx[t, 2 * u:] + (zr[u:] * h) @ cell.recurrent[:, 2 * u:]
            h = zr[:u] * h + (1.0 - zr[:u]) * act(pre[t, 2 * u:])
        hidden[t] = h

    def aligned(a):
        return a[::-1] if (d.backwards and a is not None) else a

    return _Values(aligned(hidden), aligned(previous), aligned(cell_previous), aligned(cell_state),
                   aligned(pre), aligned(inner_h))


@dataclass
class _Tangent:
    """d (a sequence) / d (a chunk of input numbers): (T, dim, columns), with the columns that can be
    non-zero at each step, [lo[t], hi[t]): a forward layer's h(t) depends on inputs up to t only,
    so carrying just those columns halves the arithmetic."""

    values: np.ndarray
    lo: np.ndarray
    hi: np.ndarray


def _tangents(d: _Direction, run: _Values, x: _Tangent) -> _Tangent:
    """d h(t) / d columns for one direction, from its input's tangent."""
    cell = d.cell
    u = cell.units
    steps, _, width = x.values.shape
    kernel_t = cell.kernel.T.astype(np.float32)  # (rows, in)
    recurrent_t = cell.recurrent.T.astype(np.float32)  # (rows, units)
    act, act_d = cell.activation, d.act_d
    rec, rec_d = cell.recurrent_activation, d.rec_d
    out = np.zeros((steps, u, width), dtype=np.float32)
    out_lo = np.full(steps, width)
    out_hi = np.zeros(steps, dtype=int)
    h_state = np.zeros((u, width), dtype=np.float32)
    c_state = np.zeros((u, width), dtype=np.float32)
    lo, hi = width, 0
    order = range(steps - 1, -1, -1) if d.backwards else range(steps)
    for t in order:
        if x.lo[t] < x.hi[t]:
            lo, hi = min(lo, int(x.lo[t])), max(hi, int(x.hi[t]))
        if lo >= hi:
            continue  # nothing so far depends on this chunk's inputs
        cols = slice(lo, hi)
        z = run.pre[t]
        wx_t = kernel_t @ x.values[t][:, cols]
        h_t = h_state[:, cols]
        if cell.kind == "SimpleRNN":
            new_h = _f32(act_d(z)) * (wx_t + recurrent_t @ h_t)
        elif cell.kind == "LSTM":
            z_t = wx_t + recurrent_t @ h_t
            gates = rec(z)
            gates_d = rec_d(z)
            i, f, o = gates[:u], gates[u:2 * u], gates[3 * u:]
            new_c = (_f32(f) * c_state[:, cols] + _f32(run.cell_previous[t] * gates_d[u:2 * u]) * z_t[u:2 * u]
                     + _f32(act(z[2 * u:3 * u]) * gates_d[:u]) * z_t[:u]
                     + _f32(i * act_d(z[2 * u:3 * u])) * z_t[2 * u:3 * u])
            c_state[:, cols] = new_c
            c = run.cell_state[t]
            new_h = _f32(act(c) * gates_d[3 * u:]) * z_t[3 * u:] + _f32(o * act_d(c)) * new_c
        else:
            h_prev = run.previous[t]
            zr = rec(z[:2 * u])
            r = zr[u:]
            if cell.reset_after:
                inner_t = recurrent_t @ h_t  # (3 units, columns)
                zr_t = _f32(rec_d(z[:2 * u])) * (wx_t[:2 * u] + inner_t[:2 * u])
                candidate_t = wx_t[2 * u:] + _f32(run.inner[t]) * zr_t[u:] + _f32(r) * inner_t[2 * u:]
            else:
                zr_t = _f32(rec_d(z[:2 * u])) * (wx_t[:2 * u] + recurrent_t[:2 * u] @ h_t)
                reset_t = _f32(r) * h_t + _f32(h_prev) * zr_t[u:]
                candidate_t = wx_t[2 * u:] + recurrent_t[2 * u:] @ reset_t
            update = zr[:u]
            new_h = (_f32(update) * h_t + _f32(h_prev - act(z[2 * u:])) * zr_t[:u]
                     + _f32((1.0 - update) * act_d(z[2 * u:])) * candidate_t)
        h_state[:, cols] = new_h
        out[t][:, cols] = new_h
        out_lo[t], out_hi[t] = lo, hi
    return _Tangent(out, out_lo, out_hi)


def _f32(column: np.ndarray) -> np.ndarray:
    """A per-unit factor as a float32 column, to scale a (units, columns) tangent."""
    return column.astype(np.float32)[:, None]


def _merged(layer: _Recurrent, hidden: list[np.ndarray]) -> np.ndarray:
    if len(hidden) == 1:
        return hidden[0]
    a, b = hidden
    if not layer.return_sequences:  # the final states: forward's last step, backward's first
        a, b = a[-1:], b[:1]
    return _merge(layer.merge, a, b, axis=-1)


def _merged_tangent(layer: _Recurrent, runs: list[_Values], tangents: list[_Tangent]) -> _Tangent:
    if len(tangents) == 1:
        return tangents[0]
    a, b = tangents
    va, vb = runs[0].hidden, runs[1].hidden
    lo, hi = np.minimum(a.lo, b.lo), np.maximum(a.hi, b.hi)
    ta, tb = a.values, b.values
    if not layer.return_sequences:  # the final states: forward's last step, backward's first
        ta, tb, va, vb = ta[-1:], tb[:1], va[-1:], vb[:1]
        lo, hi = np.minimum(a.lo[-1:], b.lo[:1]), np.maximum(a.hi[-1:], b.hi[:1])
    if layer.merge == "mul":  # d(a b) = b da + a db
        values = vb[:, :, None].astype(np.float32) * ta + va[:, :, None].astype(np.float32) * tb
    else:  # linear merges: the tangents merge as the values do
        values = _merge(layer.merge, ta, tb, axis=1)
    return _Tangent(values, lo, hi)


def _merge(mode: str, a: np.ndarray, b: np.ndarray, axis: int) -> np.ndarray:
    if mode == "concat":
        return np.concatenate([a, b], axis=axis)
    if mode == "sum":
        return a + b
    if mode == "ave":
        return (a + b) / 2
    return a * b
