"""What a recurrent net holds at each step of one sequence: h(t), c(t), the gates and y(t).

The lecture's memory, h(t) = g(w_i x(t) + w_R h(t-1) + b), computed with numpy from each
recurrent layer's own weights (Keras 3 layout: ``kernel`` = w_i, ``recurrent_kernel`` = w_R,
``bias``; gate blocks in the order i, f, c, o for LSTM and z, r, h for GRU), so every gate is
at hand, which Keras' fused kernels never expose. The model itself is run node by node
(``keras_compat.run_through_graph``): the embedding, the one-to-many feeds, the initial states
and the head are the model's own layers, and each recurrent layer is replaced by the numpy
recurrence, whose output then feeds the next layer. What reaches the head, and so y(t), is
therefore built from the states shown; a test checks them against Keras' own outputs.

Layer names follow the model ("rnn_1", "encoder_1", "decoder_1"); a bidirectional layer gives
"rnn_1/forward" and "rnn_1/backward", both aligned with the input's time axis (the backward
half's row t is its state after reading the input from the end back to step t).

``step_terms`` gives, per step, each term of the equation as numbers, for stepping through a
small network by hand.

Keras and TensorFlow are imported inside the functions: importing this module loads neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core import keras_compat
from core.datasets.base import CLASSIFICATION, DataInfo
from core.errors import DatasetError, ModelFileError

# Gate names per cell, in the order of the weight blocks.
GATES: dict[str, tuple[str, ...]] = {
    "SimpleRNN": (),
    "LSTM": ("input", "forget", "candidate", "output"),
    "GRU": ("update", "reset", "candidate"),
}
_CELL_KINDS = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}


@dataclass
class LayerStates:
    name: str  # "rnn_1", "rnn_1/forward", "encoder_1", ...
    cell: str  # "SimpleRNN" | "LSTM" | "GRU"
    hidden: np.ndarray  # h(t), (T, units)
    cell_state: np.ndarray | None = None  # c(t), LSTM only
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # GATES[cell] -> (T, units)

    @property
    def steps(self) -> int:
        return int(self.hidden.shape[0])

    @property
    def units(self) -> int:
        return int(self.hidden.shape[1])

    def saturation(self) -> dict[str, np.ndarray]:
        """Per sigmoid gate, the share of units at each step that is shut or wide open
        (``core.gate_saturation``): a learner sees where memory is switched hard."""
        from core.gate_saturation import SIGMOID_GATES, is_saturated

        return {gate: np.mean(is_saturated(values), axis=1)
                for gate, values in self.gates.items() if gate in SIGMOID_GATES}

    def to_dict(self, digits: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "cell": self.cell, "hidden": _listed(self.hidden, digits)}
        if self.cell_state is not None:
            data["cell_state"] = _listed(self.cell_state, digits)
        data["gates"] = {gate: _listed(values, digits) for gate, values in self.gates.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "layer") -> LayerStates:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, received {data!r:.80}")
        cell = data.get("cell")
        if cell not in GATES:
            raise ValueError(f"{where}.cell: expected one of {', '.join(GATES)}, received {cell!r:.80}")
        name = data.get("name")
        if not isinstance(name, str):
            raise ValueError(f"{where}.name: expected text, received {name!r:.80}")
        hidden = _matrix(data.get("hidden"), f"{where}.hidden")
        shape = hidden.shape
        cell_state = None
        if data.get("cell_state") is not None:
            cell_state = _matrix(data["cell_state"], f"{where}.cell_state", shape)
        gates = data.get("gates") or {}
        if not isinstance(gates, dict) or set(gates) - set(GATES[cell]):
            raise ValueError(f"{where}.gates: expected the gates {', '.join(GATES[cell]) or '(none)'} of a {cell}, "
                             f"received {gates!r:.80}")
        return cls(name, cell, hidden, cell_state,
                   {g: _matrix(v, f"{where}.gates.{g}", shape) for g, v in gates.items()})


@dataclass
class SequenceStates:
    steps: int  # T of the input (1 for one-to-many: its input is one vector)
    input_tokens: list[str]  # the input decoded per step
    layers: list[LayerStates]
    output: np.ndarray  # y(t): (T_out, output_dim) probabilities or de-normalised values
    # C[t_out, t_in] (core.connectivity), when it was computed.
    connectivity: np.ndarray | None = None

    def layer(self, name: str) -> LayerStates:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no recurrent layer {name!r}; the layers are {', '.join(s.name for s in self.layers)}")

    def to_dict(self, digits: int | None = None) -> dict[str, Any]:
        """JSON-able: the object `main.py explain --json` prints (without "sample"). With
        ``digits``, numbers keep that many significant digits (a compact copy for the history);
        values that are not finite become None."""
        data: dict[str, Any] = {
            "steps": self.steps,
            "input": list(self.input_tokens),
            "layers": [layer.to_dict(digits) for layer in self.layers],
            "output": _listed(self.output, digits),
        }
        if self.connectivity is not None:
            data["connectivity"] = _listed(self.connectivity, digits)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SequenceStates:
        """The inverse of to_dict; a value of the wrong kind raises a ValueError naming its field."""
        if not isinstance(data, dict):
            raise ValueError(f"expected an object of states, received {type(data).__name__}")
        steps = data.get("steps")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"steps: expected a whole number >= 0, received {steps!r:.80}")
        tokens = data.get("input", [])
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise ValueError(f"input: expected a list of texts, received {tokens!r:.80}")
        layers = data.get("layers", [])
        if not isinstance(layers, list):
            raise ValueError(f"layers: expected a list, received {layers!r:.80}")
        connectivity = data.get("connectivity")
        return cls(
            steps=steps, input_tokens=tokens,
            layers=[LayerStates.from_dict(layer, f"layers[{i}]") for i, layer in enumerate(layers)],
            output=_matrix(data.get("output", []), "output"),
            connectivity=None if connectivity is None else _matrix(connectivity, "connectivity"),
        )


def _listed(array: np.ndarray, digits: int | None) -> list:
    a = np.asarray(array, dtype=np.float64)
    if digits is not None:
        tiny = np.abs(a) < 1e-30
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.where(tiny, 1.0, np.abs(a)))))
            # Dividing two exact integers-times-powers gives the double nearest the decimal, whose
            # shortest repr is the rounded number itself ("0.1234", not "0.12340000000000001").
            a = np.where(tiny, 0.0, np.round(a * scale) / scale)
    if np.all(np.isfinite(a)):
        return a.tolist()
    return [[v if math.isfinite(v) else None for v in row] for row in a.tolist()]


def _matrix(values: Any, where: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    try:
        if isinstance(values, (str, bytes)):
            raise TypeError
        array = np.asarray([[math.nan if v is None else float(v) for v in row] for row in values],
                           dtype=np.float32)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{where}: expected a list of lists of numbers, received {values!r:.80}") from None
    if array.size == 0:
        array = array.reshape(0, 0)
    if shape is not None and array.shape != shape:
        raise ValueError(f"{where}: expected shape {shape}, received {array.shape}")
    return array


# --- the recurrence in numpy ------------------------------------------------------------------


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - np.max(v, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _np_activation(fn) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy version of a Keras activation; others run through Keras itself (slower, still exact)."""
    name = getattr(fn, "__name__", "")
    table = {
        "tanh": np.tanh,
        "sigmoid": lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)),  # = 1 / (1 + e^-v), without overflow
        "relu": lambda v: np.maximum(v, 0.0),
        "linear": lambda v: v,
        "hard_sigmoid": lambda v: np.clip(v + 3.0, 0.0, 6.0) / 6.0,
        "elu": lambda v: np.where(v > 0, v, np.expm1(np.minimum(v, 0.0))),
        "softmax": _softmax,
    }
    if name in table:
        return table[name]
    return lambda v: np.asarray(fn(np.asarray(v, dtype=np.float32)), dtype=np.float64)


@dataclass
class CellWeights:
    """One recurrent layer's (or direction's) weights and activations, read from Keras, in numpy:
    what the states here and the forward connectivity (core.connectivity_forward) both run on."""

    kind: str
    units: int
    kernel: np.ndarray  # w_i, (F, blocks * units)
    recurrent: np.ndarray  # w_R, (units, blocks * units)
    bias: np.ndarray  # input bias, (blocks * units,)
    recurrent_bias: np.ndarray | None  # GRU with reset_after: the bias added to w_R h
    reset_after: bool
    activation: Callable[[np.ndarray], np.ndarray]
    recurrent_activation: Callable[[np.ndarray], np.ndarray]

    @classmethod
    def of(cls, layer, read: Callable[[Any], np.ndarray] = np.asarray) -> CellWeights:
        cell = layer.cell
        kind = _CELL_KINDS.get(type(cell).__name__)
        if kind is None:
            raise ModelFileError(f"Layer {layer.name!r} has a {type(cell).__name__}; the states can be shown for "
                                 "SimpleRNN, LSTM and GRU layers only.")
        units = int(cell.units)
        blocks = max(1, len(GATES[kind]))
        kernel = np.asarray(read(cell.kernel), dtype=np.float64)
        recurrent = np.asarray(read(cell.recurrent_kernel), dtype=np.float64)
        bias = np.zeros(blocks * units)
        recurrent_bias = None
        reset_after = bool(getattr(cell, "reset_after", False))
        if cell.use_bias:
            values = np.asarray(read(cell.bias), dtype=np.float64)
            if values.ndim == 2:  # GRU reset_after: (input bias, recurrent bias)
                bias, recurrent_bias = values[0], values[1]
            else:
                bias = values
        recurrent_activation = getattr(cell, "recurrent_activation", None)
        return cls(kind, units, kernel, recurrent, bias, recurrent_bias, reset_after,
                   _np_activation(cell.activation),
                   _np_activation(recurrent_activation) if recurrent_activation is not None else None)


@dataclass
class _Run:
    hidden: np.ndarray  # (T, units), in processing order
    cell_state: np.ndarray | None
    gates: dict[str, np.ndarray]
    terms: list[dict[str, Any]] | None


def _recur(cell: CellWeights, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None, *, terms: bool) -> _Run:
    """Run one direction over x (T, F) from (h0, c0); with ``terms``, keep each step's equation terms.

    The training probe runs this after every epoch, so the loop makes as few numpy calls as it
    can, and only vector-matrix products: in a process that has TensorFlow's thread pools
    running, numpy's multi-threaded matrix-matrix product of even a (100 x 64) block is ten times
    slower than a loop of vector products (their threads fight over the cores). The equation's
    terms, for stepping through small models, are computed afterwards from h(t-1) with the same
    formulas.
    """
    steps, u = len(x), cell.units
    kernel, recurrent, bias = cell.kernel, cell.recurrent, cell.bias
    act, rec_act = cell.activation, cell.recurrent_activation
    hidden = np.empty((steps, u))
    cell_state = np.empty((steps, u)) if cell.kind == "LSTM" else None
    sigmoids = np.empty((steps, 4 * u if cell.kind == "LSTM" else 2 * u))  # the gates but the candidate
    candidates = np.empty((steps, u))
    h = h0
    c = c0 if c0 is not None else np.zeros(u)
    if cell.kind == "SimpleRNN":
        for t in range(steps):
            h = hidden[t] = act(x[t] @ kernel + h @ recurrent + bias)
    elif cell.kind == "LSTM":
        for t in range(steps):
            total = x[t] @ kernel + h @ recurrent + bias
            gate = sigmoids[t] = rec_act(total)  # input, forget, (candidate: below), output
            g = candidates[t] = act(total[2 * u:3 * u])
            c = cell_state[t] = gate[u:2 * u] * c + gate[:u] * g
            h = hidden[t] = gate[3 * u:] * act(c)
    elif cell.reset_after:
        rb = cell.recurrent_bias if cell.recurrent_bias is not None else 0.0
        for t in range(steps):
            wx = x[t] @ kernel + bias
            inner = h @ recurrent + rb
            zr = sigmoids[t] = rec_act(wx[:2 * u] + inner[:2 * u])
            g = candidates[t] = act(wx[2 * u:] + zr[u:] * inner[2 * u:])
            h = hidden[t] = zr[:u] * h + (1.0 - zr[:u]) * g
    else:
        for t in range(steps):
            wx = x[t] @ kernel + bias
            zr = sigmoids[t] = rec_act(wx[:2 * u] + h @ recurrent[:, :2 * u])
            g = candidates[t] = act(wx[2 * u:] + (zr[u:] * h) @ recurrent[:, 2 * u:])
            h = hidden[t] = zr[:u] * h + (1.0 - zr[:u]) * g
    gates: dict[str, np.ndarray] = {}
    if cell.kind == "LSTM":
        gates = {"input": sigmoids[:, :u], "forget": sigmoids[:, u:2 * u], "candidate": candidates,
                 "output": sigmoids[:, 3 * u:]}
    elif cell.kind == "GRU":
        gates = {"update": sigmoids[:, :u], "reset": sigmoids[:, u:], "candidate": candidates}
    rows = None
    if terms:
        h_prev = np.vstack([h0[None], hidden[:-1]])
        parts = _all_terms(cell, x @ kernel, h_prev)
        rows = []
        for t in range(steps):
            row: dict[str, Any] = {"h_prev": h_prev[t], "h": hidden[t]}
            if cell.kind == "SimpleRNN":
                row.update({k: v[t] for k, v in parts["h"].items() if k != "value"})
            else:
                row["gates"] = {gate: {k: v[t] for k, v in values.items()} for gate, values in parts.items()}
                if cell_state is not None:
                    row["c"] = cell_state[t]
            rows.append(row)
    return _Run(hidden, cell_state, gates, rows)


def _all_terms(cell: CellWeights, wx: np.ndarray, h_prev: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per gate (SimpleRNN: "h"), each term of its pre-activation for all steps, and its value.

    "w_i_x" + "w_R_h_prev" + "b" = "sum"; "value" = the gate's activation of the sum. The GRU's
    recurrent bias (reset_after) sits inside w_R h(t-1), and its candidate's recurrent term is
    r * (w_R h(t-1) + b_R), as Keras computes it.
    """
    u = cell.units
    names = GATES[cell.kind] or ("h",)
    if cell.kind == "GRU":
        if cell.reset_after:
            inner = h_prev @ cell.recurrent
            if cell.recurrent_bias is not None:
                inner = inner + cell.recurrent_bias
        else:
            inner = np.concatenate([h_prev @ cell.recurrent[:, :2 * u], np.zeros((len(h_prev), u))], axis=1)
        zr = cell.recurrent_activation(wx[:, :2 * u] + cell.bias[:2 * u] + inner[:, :2 * u])
        if cell.reset_after:
            wh_h = zr[:, u:] * inner[:, 2 * u:]
        else:
            wh_h = (zr[:, u:] * h_prev) @ cell.recurrent[:, 2 * u:]
        wh = np.concatenate([inner[:, :2 * u], wh_h], axis=1)
    else:
        wh = h_prev @ cell.recurrent
    total = wx + wh + cell.bias
    result = {}
    for i, name in enumerate(names):
        block = slice(i * u, (i + 1) * u)
        fn = cell.activation if name in ("candidate", "h") else cell.recurrent_activation
        result[name] = {"w_i_x": wx[:, block], "w_R_h_prev": wh[:, block], "b": np.broadcast_to(cell.bias[block],
                        (len(wx), u)), "sum": total[:, block], "value": fn(total[:, block])}
    return result


# --- running the model with the recurrence swapped in ----------------------------------------


class _Recorder:
    """The operation_fn for run_through_graph: recurrent layers run as numpy, the rest as Keras."""

    def __init__(self, terms_for: str | None = None, read: Callable[[Any], np.ndarray] = np.asarray) -> None:
        self.read = read
        self.layers: list[LayerStates] = []
        self.terms_for = terms_for
        self.terms: list[dict[str, Any]] | None = None

    def operation_fn(self, op):
        import keras

        if isinstance(op, keras.layers.Bidirectional):
            return lambda *args, **kwargs: self._bidirectional(op, *args, **kwargs)
        if isinstance(op, keras.layers.RNN):
            return lambda *args, **kwargs: self._rnn(op, *args, **kwargs)
        if type(op) is keras.layers.Dense:
            # The head (and the one-to-many state layers) in numpy too: an eager Keras call costs
            # a millisecond or more, and the training probe runs this after every epoch.
            return lambda x: _dense(op, x, self.read)
        return op

    def _direction(self, layer, x: np.ndarray, initial: list[np.ndarray] | None, name: str):
        """States of one direction, aligned with the input's time axis, and its final states."""
        cell = CellWeights.of(layer, self.read)
        backwards = bool(getattr(layer, "go_backwards", False))
        seq = x[::-1] if backwards else x
        h0 = initial[0] if initial else np.zeros(cell.units)
        c0 = initial[1] if initial and len(initial) > 1 else None
        run = _recur(cell, seq, h0, c0, terms=name == self.terms_for)
        finals = [run.hidden[-1]] + ([run.cell_state[-1]] if run.cell_state is not None else [])
        if run.terms is not None:
            steps = len(seq)
            for i, row in enumerate(run.terms):
                row["t"] = steps - 1 - i if backwards else i
                row["x"] = seq[i]
            self.terms = run.terms

        def aligned(a):
            return a[::-1] if backwards else a

        self.layers.append(LayerStates(
            name=name, cell=cell.kind, hidden=aligned(run.hidden).astype(np.float32),
            cell_state=None if run.cell_state is None else aligned(run.cell_state).astype(np.float32),
            gates={g: aligned(v).astype(np.float32) for g, v in run.gates.items()},
        ))
        processed = run.hidden  # processing order, as Keras returns a go_backwards layer's sequence
        return processed, finals

    def _rnn(self, layer, sequences, initial_state=None, mask=None, training=None, **_):
        x = _sample(sequences)
        initial = [_sample(s) for s in initial_state] if initial_state is not None else None
        processed, finals = self._direction(layer, x, initial, layer.name)
        out = processed if layer.return_sequences else processed[-1]
        return _outputs(out, finals if layer.return_state else None)

    def _bidirectional(self, layer, sequences, initial_state=None, mask=None, training=None, **_):
        x = _sample(sequences)
        initial = [_sample(s) for s in initial_state] if initial_state is not None else None
        half = len(initial) // 2 if initial else 0
        fwd, f_finals = self._direction(layer.forward_layer, x, initial[:half] if initial else None,
                                        f"{layer.name}/forward")
        bwd, b_finals = self._direction(layer.backward_layer, x, initial[half:] if initial else None,
                                        f"{layer.name}/backward")
        if layer.return_sequences:
            a, b = fwd, bwd[::-1]  # Keras flips the backward sequence back into input order
        else:
            a, b = fwd[-1], bwd[-1]
        merge = layer.merge_mode
        if merge == "concat":
            out = np.concatenate([a, b], axis=-1)
        elif merge == "sum":
            out = a + b
        elif merge == "ave":
            out = (a + b) / 2
        elif merge == "mul":
            out = a * b
        else:
            raise ModelFileError(f"Layer {layer.name!r} merges its two directions with {merge!r}; the states can be "
                                 "shown for concat, sum, ave and mul.")
        return _outputs(out, f_finals + b_finals if layer.return_state else None)


def _dense(layer, x, read: Callable[[Any], np.ndarray]) -> np.ndarray:
    out = np.asarray(x, dtype=np.float64) @ np.asarray(read(layer.kernel), dtype=np.float64)
    if layer.use_bias:
        out = out + np.asarray(read(layer.bias), dtype=np.float64)
    return _np_activation(layer.activation)(out).astype(np.float32)


def _sample(tensor) -> np.ndarray:
    return np.asarray(tensor, dtype=np.float64)[0]


def _outputs(out: np.ndarray, finals: list[np.ndarray] | None):
    import tensorflow as tf

    tensor = tf.constant(out[None].astype(np.float32))
    if finals is None:
        return tensor
    return [tensor, *(tf.constant(s[None].astype(np.float32)) for s in finals)]


def model_input(model, info: DataInfo, x: np.ndarray) -> np.ndarray:
    """One sample as the model reads it, or a DatasetError that says what it reads."""
    from core.inference import check_input

    x = np.asarray(x)
    check_input(model, info, x[None])
    if info.input_kind == "tokens":
        return x.astype(np.int32)
    if not np.all(np.isfinite(x)):
        raise DatasetError("The input holds NaN or infinite values.")
    return x.astype(np.float32)


def _run_model(model, info: DataInfo, x: np.ndarray, terms_for: str | None = None,
               read: Callable[[Any], np.ndarray] = np.asarray):
    import tensorflow as tf

    x = model_input(model, info, x)
    recorder = _Recorder(terms_for, read)
    outputs = keras_compat.run_through_graph(model, [x[None]], recorder.operation_fn)
    raw = np.asarray(tf.nest.flatten(outputs)[0])[0]
    return x, recorder, raw


def _output_rows(info: DataInfo, raw: np.ndarray) -> np.ndarray:
    """y(t) as (T_out, output_dim): probabilities, or values with the normalisation undone."""
    values = raw if info.kind == CLASSIFICATION else np.asarray(info.denormalize_y(raw))
    values = np.asarray(values, dtype=np.float32)
    return values.reshape(1, -1) if values.ndim < 2 else values.reshape(values.shape[0], -1)


def input_labels(info: DataInfo, x: np.ndarray) -> list[str]:
    """The input decoded step by step: a token, the name of a one-hot feature, or the values."""
    x = np.asarray(x)
    if info.input_kind == "tokens":
        vocab = info.vocabulary
        return [vocab[int(t)] if 0 <= int(t) < len(vocab) else str(int(t)) for t in x.reshape(-1)]
    if info.io_mode == "one_to_many" or x.ndim < 2:
        return [_values_label(info.denormalize_x(x.reshape(1, -1))[0])]
    names = info.feature_names
    one_hot = (len(names) == x.shape[-1] and np.all((x == 0) | (x == 1)) and np.all(x.sum(axis=-1) >= 1))
    if one_hot:
        return ["+".join(n for n, v in zip(names, step) if v) for step in x]
    return [_values_label(row) for row in info.denormalize_x(x)]


def _values_label(row: np.ndarray) -> str:
    return ", ".join(f"{float(v):.3g}" for v in np.asarray(row).reshape(-1))


# --- public functions -------------------------------------------------------------------------


def sequence_states(model, info: DataInfo, x: np.ndarray, *,
                    read: Callable[[Any], np.ndarray] = np.asarray) -> SequenceStates:
    """h(t), c(t), the gates of every recurrent layer and y(t), for one sample ``x`` (no batch axis).

    ``read`` gives a weight variable's values (the training probe passes one that reads each once).
    """
    x, recorder, raw = _run_model(model, info, x, read=read)
    if not recorder.layers:
        raise ModelFileError("The model has no recurrent layer (SimpleRNN, LSTM or GRU) whose states could be shown.")
    steps = 1 if info.io_mode == "one_to_many" else int(x.shape[0])
    return SequenceStates(steps=steps, input_tokens=input_labels(info, x), layers=recorder.layers,
                          output=_output_rows(info, raw))


def step_terms(model, info: DataInfo, x: np.ndarray, layer: str = "rnn_1") -> list[dict[str, Any]]:
    """Each step of ``layer`` as the lecture writes it, in the order the layer reads the input.

    Per step: "t" (the input step), "x" (what the layer reads: the input, its embedding, or the
    layer below's h), "h_prev", "h" and "y" (the model's output at that step; None where the
    model gives none, e.g. before the last step of many-to-one). SimpleRNN adds "w_i_x",
    "w_R_h_prev", "b" and "sum" (h = g(sum)); LSTM and GRU add per gate under "gates" the same
    terms and its "value", and LSTM the cell state "c".
    """
    x, recorder, raw = _run_model(model, info, x, terms_for=layer)
    if recorder.terms is None:
        names = ", ".join(s.name for s in recorder.layers) or "none"
        raise DatasetError(f"The model has no recurrent layer {layer!r}; its recurrent layers are: {names}.")
    y = _output_rows(info, raw)
    aligned = len(y) == len(recorder.terms)
    rows = []
    for row in recorder.terms:
        t = row["t"]
        if aligned:
            out = y[t]
        elif len(y) == 1 and t == len(recorder.terms) - 1:
            out = y[0]
        else:
            out = None
        rows.append(_plain({**row, "y": out}))
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.astype(float).tolist()
    return value
