"""The states of one sequence equal what Keras computes, for every cell, stacked, bidirectional, every I/O mode.

Each recurrent layer's h(t) is checked against a copy of that layer with ``return_sequences=True``
run by Keras on the very inputs (and initial states) the model feeds it; LSTM's c at the last
step against ``return_state``; y(t) against ``model.predict``. Gates have no Keras output of
their own: they are checked through the lecture's equations (h = o * tanh(c), ...).
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from core.models import build_model
from core.specs import ModelSpec
from core.states import GATES, SequenceStates, sequence_states, step_terms

TOL = 1e-5


def scaled_model(spec: ModelSpec, info, seed: int = 0):
    """A model with weights large enough that the gates leave 0.5 and tanh leaves its linear part."""
    keras.utils.set_random_seed(seed)
    model = build_model(spec, info)
    model.set_weights([w * 2.5 for w in model.get_weights()])
    return model


def keras_sequences(model, layer_name: str, x: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Per direction ("" or "/forward", "/backward"): Keras' own h(t) (input-aligned) and final c."""
    layer = model.get_layer(layer_name)
    node = layer._inbound_nodes[0]
    seq_tensor = node.arguments.args[0]
    state_tensors = list(node.arguments.kwargs.get("initial_state") or [])
    feed = keras.Model(model.inputs[0], [seq_tensor, *state_tensors])(x[None])
    feed = [np.asarray(t) for t in (feed if isinstance(feed, (list, tuple)) else [feed])]
    sequences, states = feed[0], feed[1:]
    result = {}
    if isinstance(layer, keras.layers.Bidirectional):
        half = len(states) // 2
        parts = [("/forward", layer.forward_layer, states[:half]), ("/backward", layer.backward_layer, states[half:])]
    else:
        parts = [("", layer, states)]
    for suffix, inner, initial in parts:
        config = {**inner.get_config(), "return_sequences": True, "return_state": True, "name": "copy"}
        copy = type(inner).from_config(config)
        copy.build(sequences.shape)  # its weights made, to be overwritten by the layer's own
        copy.set_weights(inner.get_weights())
        outputs = copy(sequences, initial_state=initial or None)
        h = np.asarray(outputs[0])[0]
        if inner.go_backwards:
            h = h[::-1]
        c_last = np.asarray(outputs[2])[0] if len(outputs) == 3 else None
        result[layer_name + suffix] = (h, c_last)
    return result


def check_against_keras(model, info, x) -> SequenceStates:
    states = sequence_states(model, info, x)
    names = [s.name for s in states.layers]
    expected_layers = [layer.name for layer in model.layers if isinstance(layer, (keras.layers.RNN,
                                                                                   keras.layers.Bidirectional))]
    checked = []
    for name in expected_layers:
        for key, (h, c_last) in keras_sequences(model, name, x).items():
            layer = states.layer(key)
            checked.append(key)
            assert layer.hidden.shape == h.shape
            np.testing.assert_allclose(layer.hidden, h, atol=TOL, err_msg=key)
            assert layer.gates.keys() == set(GATES[layer.cell])
            if layer.cell == "LSTM":
                c_seq = layer.cell_state[-1] if not key.endswith("/backward") else layer.cell_state[0]
                np.testing.assert_allclose(c_seq, c_last, atol=TOL, err_msg=key)
                # The lecture's LSTM: h = o * tanh(c), c = f * c_prev + i * candidate.
                np.testing.assert_allclose(layer.hidden, layer.gates["output"] * np.tanh(layer.cell_state), atol=TOL)
            else:
                assert layer.cell_state is None
            if layer.cell == "GRU":
                g = layer.gates
                assert np.all((g["update"] >= 0) & (g["update"] <= 1) & (g["reset"] >= 0) & (g["reset"] <= 1))
    assert names == checked
    raw = np.asarray(model(x[None], training=False))[0]
    expected_y = info.denormalize_y(raw) if info.kind == "regression" else raw
    np.testing.assert_allclose(states.output, np.asarray(expected_y).reshape(states.output.shape), atol=TOL)
    return states


CELLS = ("SimpleRNN", "LSTM", "GRU")


# Every cell stacked and bidirectional; every I/O mode; the states handed from layer to layer
# (LSTM two, GRU and SimpleRNN one) in the one-to-many and encoder-decoder plumbing.
@pytest.mark.parametrize("cell, mode, options", [
    *[(cell, "many_to_one", {"layers": 2}) for cell in CELLS],
    *[(cell, "many_to_many", {"bidirectional": True}) for cell in CELLS],
    ("LSTM", "one_to_many", {"one_to_many_feed": "initial_state"}),
    ("SimpleRNN", "one_to_many", {"one_to_many_feed": "initial_state"}),
    ("LSTM", "encoder_decoder", {"layers": 2, "bidirectional": True}),
    ("GRU", "encoder_decoder", {"layers": 2}),
])
def test_states_equal_keras(tiny_data, cell, mode, options):
    data = tiny_data(mode, n=4, n_val=2)
    spec = ModelSpec(cell=cell, io_mode=mode, units=5, **options)
    states = check_against_keras(scaled_model(spec, data.info), data.info, data.x_val[0])
    if mode == "many_to_one":
        assert [s.name for s in states.layers] == ["rnn_1", "rnn_2"]
        assert states.output.shape == (1, 3)
        np.testing.assert_allclose(states.output.sum(axis=1), 1.0, atol=1e-5)  # probabilities
    if mode == "encoder_decoder" and options.get("bidirectional"):
        assert [s.name for s in states.layers] == [
            f"{part}_{k}/{d}" for part in ("encoder", "decoder") for k in (1, 2) for d in ("forward", "backward")]
        assert states.layer("decoder_1/forward").steps == data.info.output_shape[0]
        assert states.layer("encoder_1/forward").steps == states.steps == data.info.input_shape[0]


@pytest.mark.parametrize("cell, other", [("GRU", "LSTM"), ("LSTM", "SimpleRNN")])
def test_token_inputs_regression_and_one_to_many_repeat(tiny_data, cell, other):
    data = tiny_data("many_to_many", n=4, n_val=2, tokens=True, kind="regression")
    spec = ModelSpec(cell=cell, io_mode="many_to_many", units=4, embedding_dim=3, layers=2)
    states = check_against_keras(scaled_model(spec, data.info), data.info, data.x_val[0])
    assert states.input_tokens == [data.info.vocabulary[i] for i in data.x_val[0]]
    assert states.output.shape == (data.info.input_shape[0], 2)

    data = tiny_data("one_to_many", n=4, n_val=2)
    spec = ModelSpec(cell=other, io_mode="one_to_many", units=4, one_to_many_feed="repeat", bidirectional=True)
    states = check_against_keras(scaled_model(spec, data.info), data.info, data.x_val[0])
    assert states.steps == 1 and len(states.input_tokens) == 1


def test_relu_activation_and_one_to_one(tiny_data):
    data = tiny_data("one_to_one", n=4, n_val=2)
    spec = ModelSpec(cell="SimpleRNN", io_mode="one_to_one", units=4, activation="relu")
    check_against_keras(scaled_model(spec, data.info), data.info, data.x_val[0])


@pytest.fixture(scope="module")
def many_to_many_3_units(tiny_data):
    """The tiny many-to-many data and, per cell, a 3-unit scaled model of it, built once for the tests
    that only read it (states, step terms, JSON)."""
    data = tiny_data("many_to_many", n=4, n_val=2)
    cache: dict = {}

    def model(cell: str):
        if cell not in cache:
            cache[cell] = scaled_model(ModelSpec(cell=cell, io_mode="many_to_many", units=3), data.info)
        return cache[cell]

    return data, model


def test_round_trip_through_json(many_to_many_3_units):
    data, built = many_to_many_3_units
    model = built("LSTM")
    states = sequence_states(model, data.info, data.x_val[0])
    states.connectivity = np.arange(25, dtype=np.float32).reshape(5, 5)
    text = json.dumps(states.to_dict())
    back = SequenceStates.from_dict(json.loads(text))
    assert back.steps == states.steps and back.input_tokens == states.input_tokens
    np.testing.assert_allclose(back.layers[0].cell_state, states.layers[0].cell_state)
    np.testing.assert_allclose(back.layers[0].gates["forget"], states.layers[0].gates["forget"])
    np.testing.assert_allclose(back.connectivity, states.connectivity)
    with pytest.raises(ValueError, match=r"layers\[0\].gates.forget"):
        bad = json.loads(text)
        bad["layers"][0]["gates"]["forget"] = [[1.0]]
        SequenceStates.from_dict(bad)


@pytest.mark.parametrize("cell", CELLS)
def test_step_terms_add_up_to_the_states(many_to_many_3_units, cell):
    data, built = many_to_many_3_units
    model = built(cell)
    x = data.x_val[0]
    states = sequence_states(model, data.info, x)
    rows = step_terms(model, data.info, x, "rnn_1")
    assert [r["t"] for r in rows] == list(range(len(x)))
    layer = states.layer("rnn_1")
    for t, row in enumerate(rows):
        np.testing.assert_allclose(row["x"], x[t], atol=1e-6)
        np.testing.assert_allclose(row["h"], layer.hidden[t], atol=TOL)
        np.testing.assert_allclose(row["h_prev"], layer.hidden[t - 1] if t else 0.0, atol=TOL)
        np.testing.assert_allclose(row["y"], states.output[t], atol=TOL)
        if cell == "SimpleRNN":
            total = np.add(np.add(row["w_i_x"], row["w_R_h_prev"]), row["b"])
            np.testing.assert_allclose(row["sum"], total, atol=1e-9)
            np.testing.assert_allclose(np.tanh(row["sum"]), row["h"], atol=1e-9)
        else:
            for gate, terms in row["gates"].items():
                total = np.add(np.add(terms["w_i_x"], terms["w_R_h_prev"]), terms["b"])
                np.testing.assert_allclose(terms["sum"], total, atol=1e-9)
                np.testing.assert_allclose(terms["value"], layer.gates[gate][t], atol=TOL)
            if cell == "LSTM":
                np.testing.assert_allclose(row["c"], layer.cell_state[t], atol=TOL)


def test_bad_input_and_unknown_layer_name_the_problem(tiny_data):
    from core.errors import DatasetError

    data = tiny_data("many_to_one", n=4, n_val=2)
    model = scaled_model(ModelSpec(cell="GRU", io_mode="many_to_one", units=3), data.info)
    with pytest.raises(DatasetError, match=r"\(2, 2\) per sample; this model expects \(any, 3\)"):
        sequence_states(model, data.info, data.x_val[0][:2, :2])
    assert sequence_states(model, data.info, data.x_val[0][:2]).layer("rnn_1").steps == 2  # any length
    with pytest.raises(DatasetError, match="rnn_7.*rnn_1"):
        step_terms(model, data.info, data.x_val[0], "rnn_7")
