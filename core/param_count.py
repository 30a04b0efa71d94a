"""Parameter counts of the model ``core.models.build_model`` makes, without TensorFlow.

The window shows the count live while the user edits the architecture, long before TensorFlow
has loaded, so this is plain arithmetic on the spec and the data's shapes. It follows the layer
layout of ``core.models`` (names included); a test builds the real Keras models and compares.

Per layer, with input width d and u units (Keras 3 weight shapes):

- SimpleRNN: d*u (w_i) + u*u (w_R) + u (bias)
- LSTM: 4 gates of the SimpleRNN's weights: 4 * (d*u + u*u + u)
- GRU (reset_after=True, the Keras default): 3 * (d*u + u*u) + 2 * 3*u (two bias vectors)
- Bidirectional: two copies; the output is 2u wide (forward and backward concatenated)
- Embedding(V, D): V*D; Dense(k) on d inputs: d*k + k
"""

from __future__ import annotations

from typing import NamedTuple

from core.datasets.base import DataInfo
from core.specs import ModelSpec


class ParameterCount(NamedTuple):
    """Per-layer counts in build order, and their sum (frozen weights included, as in Keras)."""

    layers: list[tuple[str, int]]
    total: int


def recurrent_layer_parameters(cell: str, input_dim: int, units: int, bidirectional: bool = False) -> int:
    """Weights of one recurrent layer (both directions if bidirectional)."""
    d, u = int(input_dim), int(units)
    if cell == "SimpleRNN":
        count = d * u + u * u + u
    elif cell == "LSTM":
        count = 4 * (d * u + u * u + u)
    elif cell == "GRU":
        count = 3 * (d * u + u * u) + 2 * 3 * u
    else:
        raise ValueError(f"unknown cell {cell!r}")
    return 2 * count if bidirectional else count


def dense_parameters(input_dim: int, units: int, use_bias: bool = True) -> int:
    return int(input_dim) * int(units) + (int(units) if use_bias else 0)


def input_width(spec: ModelSpec, info: DataInfo) -> int:
    """Width of the vectors the first recurrent layer (or the one-to-many feed) receives."""
    if info.input_kind == "tokens":
        return spec.embedding_dim if spec.embedding_dim > 0 else info.vocab_size
    return int(info.input_shape[-1]) if info.input_shape else 1


def count_parameters(spec: ModelSpec, info: DataInfo) -> ParameterCount:
    """(layer name, parameters) for every layer ``build_model(spec, info)`` creates, and the total.

    Layer names: "embedding" (token inputs; with embedding_dim 0 a frozen V x V identity),
    "zero_input"/"repeat"/"state_h"/"state_c" (one-to-many feeds), "rnn_k", "encoder_k" and
    "decoder_k", and "head". Only the feature width of ``info`` is used, so the count is right
    even while the data is still built for another I/O mode.
    """
    rows: list[tuple[str, int]] = []
    units = spec.units
    out_width = units * (2 if spec.bidirectional else 1)
    width = input_width(spec, info)
    if info.input_kind == "tokens":
        rows.append(("embedding", info.vocab_size * width))

    def stack(prefix: str, first_input: int) -> None:
        for k in range(1, spec.layers + 1):
            d = first_input if k == 1 else out_width
            rows.append((f"{prefix}_{k}", recurrent_layer_parameters(spec.cell, d, units, spec.bidirectional)))

    mode = spec.io_mode
    if mode == "one_to_many":
        if spec.one_to_many_feed == "initial_state":
            # The RNN reads a constant zero sequence; the vector enters as the initial state.
            rows.append(("zero_input", dense_parameters(width, 1, use_bias=False)))
            rows.append(("repeat", 0))
            rows.append(("state_h", dense_parameters(width, units)))
            if spec.cell == "LSTM":
                rows.append(("state_c", dense_parameters(width, units)))
            stack("rnn", 1)
        else:
            rows.append(("repeat", 0))
            stack("rnn", width)
    elif mode == "encoder_decoder":
        stack("encoder", width)
        rows.append(("repeat", 0))
        stack("decoder", out_width)
    else:
        stack("rnn", width)
    rows.append(("head", dense_parameters(out_width, info.output_dim)))
    return ParameterCount(rows, sum(count for _, count in rows))


def frozen_parameters(spec: ModelSpec, info: DataInfo) -> int:
    """Parameters that never train: the identity (one-hot) embedding and the zero feed."""
    frozen = 0
    if info.input_kind == "tokens" and spec.embedding_dim == 0:
        frozen += info.vocab_size * info.vocab_size
    if spec.io_mode == "one_to_many" and spec.one_to_many_feed == "initial_state":
        frozen += input_width(spec, info)
    return frozen
