"""Keras models from a model spec, and the same model as readable Keras code.

A model is first written down as a *plan*: a list of steps "this variable = this layer called on
those variables". ``build_model`` executes the plan with real Keras layers and ``keras_code``
prints it as Python, so the code shown to the user is, by construction, the model that trains.

Every model is a plain Functional model made of stock Keras layers (no Lambda, no custom class),
so a saved ``.keras`` file loads with ``safe_mode=True`` anywhere Keras is installed.

Names are a contract with the trainer and the window: the input is "sequence", token inputs go
through "embedding", recurrent layers are "rnn_1", "rnn_2", ... (or "encoder_k"/"decoder_k"),
one-to-many models feed their RNN from "repeat", and the output layer is "head".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.datasets.base import CLASSIFICATION, DataInfo
from core.errors import SpecError
from core.io_modes import ANY_LENGTH_MODES
from core.specs import IO_MODE_TITLES, ModelSpec

# Layer names other modules rely on.
INPUT_NAME = "sequence"
EMBEDDING_NAME = "embedding"
REPEAT_NAME = "repeat"
HEAD_NAME = "head"


# --- the plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    """A variable of the plan (a tensor once built)."""

    name: str


@dataclass
class _Layer:
    cls: str  # name in keras.layers
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    inner: _Layer | None = None  # the wrapped layer of a Bidirectional


@dataclass
class _Step:
    outputs: tuple[str, ...]
    layer: _Layer | None  # None: the model input
    inputs: tuple[str, ...] = ()
    call_kwargs: dict[str, Any] = field(default_factory=dict)
    comment: str = ""


@dataclass
class _Plan:
    steps: list[_Step] = field(default_factory=list)
    input_name: str = INPUT_NAME
    output_name: str = "outputs"
    model_name: str = "rnn_lab"
    input_kwargs: dict[str, Any] = field(default_factory=dict)

    def add(self, outputs: str | Sequence[str], layer: _Layer, inputs: str | Sequence[str],
            comment: str = "", **call_kwargs: Any) -> None:
        outs = (outputs,) if isinstance(outputs, str) else tuple(outputs)
        ins = (inputs,) if isinstance(inputs, str) else tuple(inputs)
        self.steps.append(_Step(outs, layer, ins, call_kwargs, comment))


def check_compatible(spec: ModelSpec, info: DataInfo) -> None:
    """Raise SpecError (naming the field) for a spec that cannot work with this data."""
    spec.validate()
    problems = compatibility_problems(spec, info)
    if problems:
        raise problems[0]


def compatibility_problems(spec: ModelSpec, info: DataInfo | None) -> list[SpecError]:
    """Every reason this (valid) spec cannot work with this data; without data, those of the spec alone.

    The window lists them under the settings as the user edits; ``check_compatible`` raises the first.
    """
    problems: list[SpecError] = []
    mode = spec.io_mode
    if mode == "one_to_many" and spec.one_to_many_feed == "initial_state" and spec.bidirectional:
        problems.append(SpecError(
            "model.bidirectional", True,
            "false when model.one_to_many_feed is \"initial_state\": a Bidirectional layer's backward half would "
            "start at the last step, where the vector is not fed; feed it at every step (\"repeat\") or use one "
            "direction",
        ))
    if info is None:
        return problems
    if info.io_mode != mode:
        return [SpecError(
            "model.io_mode", mode,
            f"the mode the dataset was built for ({IO_MODE_TITLES.get(info.io_mode, info.io_mode)}); rebuild the data",
        )]
    tokens = info.input_kind == "tokens"
    if tokens and info.vocab_size < 1:
        problems.append(SpecError("dataset", info.task, "a vocabulary for token inputs (the dataset has none)"))
    if info.kind == CLASSIFICATION and info.num_classes < 2:
        problems.append(SpecError("dataset", info.task, "at least two classes for a classification task"))
    if mode == "one_to_many":
        if tokens:
            problems.append(SpecError(
                "model.io_mode", mode, "one real-valued start vector (one-to-many does not take token sequences)"))
        elif len(info.input_shape) != 1:
            problems.append(SpecError(
                "model.io_mode", mode, f"one input vector per sample, shape (F,); the data has {info.input_shape}"))
    else:
        expected_rank = 1 if tokens else 2
        if len(info.input_shape) != expected_rank:
            what = "(T,) token ids" if tokens else "(T, F) vectors"
            problems.append(SpecError("model.io_mode", mode, f"inputs of shape {what}; the data has {info.input_shape}"))
    if (mode == "many_to_many" and info.output_shape and info.input_shape
            and info.output_shape[0] != info.input_shape[0]):
        problems.append(SpecError(
            "model.io_mode", mode,
            f"equal input and output lengths (input {info.input_shape[0]}, output {info.output_shape[0]}); "
            "use the encoder-decoder mode when they differ",
        ))
    if mode in ("many_to_many", "one_to_many", "encoder_decoder") and len(info.output_shape) < 1:
        problems.append(SpecError("model.io_mode", mode, "an output sequence (the data has one output per sample)"))
    return problems


def _rnn_layer(spec: ModelSpec, name: str, *, return_sequences: bool, return_state: bool = False) -> _Layer:
    kwargs: dict[str, Any] = {}
    if spec.activation != "tanh":
        kwargs["activation"] = spec.activation
    if spec.dropout:
        kwargs["dropout"] = spec.dropout
    if spec.recurrent_dropout:
        kwargs["recurrent_dropout"] = spec.recurrent_dropout
    if return_sequences:
        kwargs["return_sequences"] = True
    if return_state:
        kwargs["return_state"] = True
    if spec.bidirectional:
        # The inner layer's name only shows up in weight paths ("rnn_1/forward_rnn_1_lstm/...").
        inner = _Layer(spec.cell, (spec.units,), {**kwargs, "name": f"{name}_{spec.cell.lower()}"})
        return _Layer("Bidirectional", (), {"name": name}, inner=inner)
    return _Layer(spec.cell, (spec.units,), {**kwargs, "name": name})


def _state_names(spec: ModelSpec, prefix: str) -> list[str]:
    """Variable names for the final states a layer returns (two directions if bidirectional)."""
    per_direction = ["h", "c"] if spec.cell == "LSTM" else ["h"]
    if spec.bidirectional:
        return [f"{prefix}_{d}_{s}" for d in ("fwd", "bwd") for s in per_direction]
    return [f"{prefix}_{s}" for s in per_direction]


def _head(info: DataInfo) -> _Layer:
    if info.kind == CLASSIFICATION:
        return _Layer("Dense", (info.output_dim,), {"activation": "softmax", "name": HEAD_NAME})
    return _Layer("Dense", (info.output_dim,), {"name": HEAD_NAME})


def make_plan(spec: ModelSpec, info: DataInfo) -> _Plan:
    """The model as a list of layer calls (shared by build_model and keras_code)."""
    check_compatible(spec, info)
    mode = spec.io_mode
    tokens = info.input_kind == "tokens"
    plan = _Plan(model_name=f"{spec.cell.lower()}_{mode}")
    shape = tuple(info.input_shape)
    if mode in ANY_LENGTH_MODES:
        shape = (None, *shape[1:])  # trained on one length, it reads any (typed sequences)
    plan.input_kwargs = {"shape": shape, "name": INPUT_NAME}
    if tokens:
        plan.input_kwargs["dtype"] = "int32"
    plan.steps.append(_Step((INPUT_NAME,), None))
    x = INPUT_NAME
    if tokens:
        if spec.embedding_dim > 0:
            emb = _Layer("Embedding", (info.vocab_size, spec.embedding_dim), {"name": EMBEDDING_NAME})
            comment = "learned embedding of the token ids"
        else:
            emb = _Layer("Embedding", (info.vocab_size, info.vocab_size),
                         {"embeddings_initializer": "identity", "trainable": False, "name": EMBEDDING_NAME})
            comment = "frozen identity embedding: each token id becomes its one-hot vector"
        plan.add("x", emb, x, comment)
        x = "x"

    n = spec.layers
    if mode in ("one_to_one", "many_to_one", "many_to_many"):
        for k in range(1, n + 1):
            seq = mode == "many_to_many" or k < n
            plan.add("x", _rnn_layer(spec, f"rnn_{k}", return_sequences=seq), x)
            x = "x"
    elif mode == "one_to_many":
        steps = info.output_shape[0]
        initial_state = None
        if spec.one_to_many_feed == "repeat":
            plan.add("x", _Layer("RepeatVector", (steps,), {"name": REPEAT_NAME}), x,
                     f"the input vector is fed at each of the {steps} output steps")
        else:
            # A zero input sequence built from stock layers (no Lambda), so the file loads in safe mode.
            plan.add("zero", _Layer("Dense", (1,), {"use_bias": False, "kernel_initializer": "zeros",
                                                  "trainable": False, "name": "zero_input"}), x,
                     "always 0: the RNN gets no input, only its initial state")
            plan.add("x", _Layer("RepeatVector", (steps,), {"name": REPEAT_NAME}), "zero",
                     f"a zero input sequence of {steps} steps")
            plan.add("state_h", _Layer("Dense", (spec.units,), {"activation": "tanh", "name": "state_h"}),
                     INPUT_NAME, "the input vector becomes the initial hidden state")
            initial_state = [_Ref("state_h")]
            if spec.cell == "LSTM":
                plan.add("state_c", _Layer("Dense", (spec.units,), {"name": "state_c"}), INPUT_NAME,
                         "... and the initial cell state")
                initial_state.append(_Ref("state_c"))
        x = "x"
        for k in range(1, n + 1):
            extra = {"initial_state": initial_state} if (k == 1 and initial_state) else {}
            plan.add("x", _rnn_layer(spec, f"rnn_{k}", return_sequences=True), x, **extra)
    elif mode == "encoder_decoder":
        steps = info.output_shape[0]
        states: list[list[str]] = []
        for k in range(1, n + 1):
            names = _state_names(spec, f"enc{k}")
            states.append(names)
            plan.add(["x", *names], _rnn_layer(spec, f"encoder_{k}", return_sequences=k < n, return_state=True), x,
                     "" if k < n else "the final output and states summarise the input sequence")
            x = "x"
        plan.add("x", _Layer("RepeatVector", (steps,), {"name": REPEAT_NAME}), x,
                 f"the encoder's summary is fed at each of the {steps} output steps")
        for k in range(1, n + 1):
            plan.add("x", _rnn_layer(spec, f"decoder_{k}", return_sequences=True), "x",
                     f"starts from the final state of encoder_{k}",
                     initial_state=[_Ref(s) for s in states[k - 1]])
    else:  # pragma: no cover - validate() rejects it
        raise SpecError("model.io_mode", mode, "a known I/O mode")
    plan.add("outputs", _head(info), "x",
             "class probabilities" if info.kind == CLASSIFICATION else "predicted values")
    return plan


# --- building -------------------------------------------------------------------------------


def _make_layer(layer: _Layer):
    import keras

    cls = getattr(keras.layers, layer.cls)
    if layer.inner is not None:
        return cls(_make_layer(layer.inner), *layer.args, **layer.kwargs)
    return cls(*layer.args, **layer.kwargs)


def _resolve(value: Any, env: dict[str, Any]) -> Any:
    if isinstance(value, _Ref):
        return env[value.name]
    if isinstance(value, (list, tuple)):
        return [_resolve(v, env) for v in value]
    return value


def build_model(spec: ModelSpec, info: DataInfo):
    """A plain, uncompiled Functional model for the spec and the data's shapes."""
    import keras

    plan = make_plan(spec, info)
    env: dict[str, Any] = {}
    for step in plan.steps:
        if step.layer is None:
            env[step.outputs[0]] = keras.Input(**plan.input_kwargs)
            continue
        layer = _make_layer(step.layer)
        args = [env[name] for name in step.inputs]
        kwargs = {key: _resolve(value, env) for key, value in step.call_kwargs.items()}
        result = layer(*args, **kwargs)
        if len(step.outputs) == 1:
            env[step.outputs[0]] = result
        else:
            for name, tensor in zip(step.outputs, result):
                env[name] = tensor
    return keras.Model(env[plan.input_name], env[plan.output_name], name=plan.model_name)


def loss_and_metrics(info: DataInfo) -> tuple[str, list[str]]:
    """Loss and metrics for compile(): cross-entropy on class ids, or mean squared error."""
    if info.kind == CLASSIFICATION:
        return "sparse_categorical_crossentropy", ["accuracy"]
    return "mse", ["mae"]


def layer_parameter_counts(model) -> list[tuple[str, str, int]]:
    """(layer name, class name, number of parameters) for every layer but the input."""
    rows = []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        rows.append((layer.name, type(layer).__name__, int(layer.count_params())))
    return rows


# --- cuDNN ----------------------------------------------------------------------------------


def cudnn_warnings(spec: ModelSpec) -> list[str]:
    """Why this spec does not run on the fast cuDNN kernel on a GPU (empty when it does)."""
    if spec.cell == "SimpleRNN":
        return ["SimpleRNN has no cuDNN kernel: on a GPU it runs step by step. LSTM and GRU with the "
                "default settings use the fast fused kernel."]
    warnings = []
    if spec.activation != "tanh":
        warnings.append(f"activation {spec.activation!r}: the cuDNN kernel of {spec.cell} only supports "
                        "tanh, so the layer runs step by step on a GPU (much slower).")
    if spec.recurrent_dropout > 0:
        warnings.append(f"recurrent_dropout {spec.recurrent_dropout:g}: the cuDNN kernel of {spec.cell} has "
                        "no recurrent dropout, so the layer runs step by step on a GPU (much slower); "
                        "plain dropout keeps the fast kernel.")
    return warnings


# --- code -----------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, _Ref):
        return value.name
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        items = ", ".join(_fmt(v) for v in value)
        if isinstance(value, tuple):
            return f"({items},)" if len(value) == 1 else f"({items})"
        return f"[{items}]"
    return repr(value)


def _layer_code(layer: _Layer) -> str:
    parts = [_fmt(a) for a in layer.args]
    if layer.inner is not None:
        parts.insert(0, _layer_code(layer.inner))
    parts += [f"{key}={_fmt(value)}" for key, value in layer.kwargs.items()]
    return f"keras.layers.{layer.cls}({', '.join(parts)})"


def keras_code(spec: ModelSpec, info: DataInfo) -> str:
    """Python source that builds the same architecture with plain Keras (runnable as is)."""
    plan = make_plan(spec, info)
    loss, metrics = loss_and_metrics(info)
    lines = [
        f"# {IO_MODE_TITLES[spec.io_mode]} {spec.cell} model for the {info.task!r} data, as built by RNN Lab.",
        "import keras",
        "",
    ]
    for step in plan.steps:
        if step.comment:
            lines.append(f"# {step.comment}")
        if step.layer is None:
            kwargs = ", ".join(f"{k}={_fmt(v)}" for k, v in plan.input_kwargs.items())
            lines.append(f"{step.outputs[0]} = keras.Input({kwargs})")
            continue
        target = ", ".join(step.outputs)
        call = ", ".join([*step.inputs, *(f"{k}={_fmt(v)}" for k, v in step.call_kwargs.items())])
        lines.append(f"{target} = {_layer_code(step.layer)}({call})")
    lines += [
        f'model = keras.Model({plan.input_name}, {plan.output_name}, name="{plan.model_name}")',
        f"model.compile(optimizer=\"adam\", loss={_fmt(loss)}, metrics={_fmt(metrics)})",
        "model.summary()",
        "",
    ]
    return "\n".join(lines)
