"""Connectivity C[t_out, t_in] = ||d y(t_out) / d x(t_in)||: equal to a plain Jacobian, causal, and
it finds the memory a trained echo model uses. Both ways of computing it are held to the same
Jacobian: carried forward in numpy (chain models) and TensorFlow's backward pass (every model)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import core.connectivity_forward as forward_module
from core.connectivity import Connectivity, connectivity
from core.datasets import build_dataset
from core.models import build_model
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from core.training import train


def jacobian_norms(model, info, x) -> np.ndarray:
    """The reference: TensorFlow's full Jacobian of the logits (or values), one sample at a time."""
    head = model.get_layer("head")
    start = model.get_layer("embedding").output if info.input_kind == "tokens" else model.inputs[0]
    to_head = keras.Model(start, head.input)
    if info.input_kind == "tokens":
        x = model.get_layer("embedding")(x[None])[0]
    x = tf.constant(np.asarray(x, dtype=np.float32)[None])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        features = to_head(x)
        y = tf.matmul(features, head.kernel) + head.bias
        if info.kind == "regression":
            y = head(features)
    jac = np.asarray(tape.jacobian(y, x, experimental_use_pfor=False))[0]  # y dims..., then x's (1, T_in, F) or (1, F)
    out_steps = jac.shape[0] if y.shape.rank == 3 else 1
    jac = jac.reshape(out_steps, -1, *x.shape[1:])  # (T_out, K, T_in, F) or (T_out, K, F)
    if x.shape.rank == 2:
        return np.sqrt((jac ** 2).sum(axis=(1, 2)))[:, None]
    return np.sqrt((jac ** 2).sum(axis=(1, 3)))


CHAIN_MODES = ("one_to_one", "many_to_one", "many_to_many")


def both_ways(model, info, x) -> dict[str, np.ndarray]:
    """C by each way that takes the model: carried forward in numpy (chain models only) and by
    TensorFlow's backward pass (every model), from fresh Connectivity objects."""
    results = {}
    numpy_way = Connectivity(model, info)
    if numpy_way.carried_forward(x):
        results["numpy forward"] = numpy_way(x)
    tensorflow_way = Connectivity(model, info)
    tensorflow_way.forward = None
    results["tensorflow"] = tensorflow_way(x)
    return results


@pytest.mark.parametrize("mode, options, data_options", [
    ("many_to_many", {"cell": "LSTM"}, {}),
    ("many_to_many", {"cell": "GRU", "embedding_dim": 3}, {"tokens": True}),
    ("many_to_many", {"cell": "SimpleRNN", "embedding_dim": 0, "activation": "relu"}, {"tokens": True}),
    ("many_to_many", {"cell": "LSTM", "bidirectional": True, "layers": 2}, {}),
    ("many_to_one", {"cell": "SimpleRNN", "layers": 2}, {"kind": "regression"}),
    ("many_to_one", {"cell": "GRU", "bidirectional": True}, {}),
    ("one_to_one", {"cell": "LSTM"}, {"kind": "regression"}),
    ("one_to_many", {"cell": "GRU"}, {}),
    ("encoder_decoder", {"cell": "LSTM", "bidirectional": True}, {}),
])
def test_connectivity_equals_the_jacobian(tiny_data, mode, options, data_options):
    data = tiny_data(mode, n=4, n_val=2, **data_options)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(io_mode=mode, units=4, **options), data.info)
    x = data.x_val[0]
    expected = jacobian_norms(model, data.info, x)
    assert expected.shape == (data.info.seq_len_out, 1 if mode == "one_to_many" else len(x))
    results = both_ways(model, data.info, x)
    # The numpy way takes every chain model; the others go through TensorFlow only.
    assert ("numpy forward" in results) == (mode in CHAIN_MODES)
    for way, c in results.items():
        np.testing.assert_allclose(c, expected, rtol=1e-4, atol=1e-6, err_msg=way)
    np.testing.assert_allclose(connectivity(model, data.info, x), expected, rtol=1e-4, atol=1e-6)


@pytest.fixture(scope="module")
def gru_many_to_many(tiny_data):
    """The tiny many-to-many data with a one-way and a bidirectional 4-unit GRU, built once for the
    tests that only read them (each through Connectivity objects of its own)."""
    data = tiny_data("many_to_many", n=4, n_val=2)
    keras.utils.set_random_seed(0)
    one_way = build_model(ModelSpec(cell="GRU", io_mode="many_to_many", units=4), data.info)
    both = build_model(ModelSpec(cell="GRU", io_mode="many_to_many", units=4, bidirectional=True), data.info)
    return data, one_way, both


def test_aligned_outputs_depend_on_no_later_input_unless_bidirectional(gru_many_to_many):
    data, one_way, both = gru_many_to_many
    x = data.x_val[0]
    later = np.triu_indices(len(x), 1)  # t_in > t_out
    for way, c in both_ways(one_way, data.info, x).items():
        assert np.all(c[later] == 0) and np.all(np.diag(c) > 0), way
    for way, c in both_ways(both, data.info, x).items():
        assert np.all(c[later] > 0), way


def test_the_numpy_way_reads_the_weights_of_each_call(tiny_data):
    """The training probe keeps one Connectivity for the run and calls it after every epoch."""
    data = tiny_data("many_to_one", n=4, n_val=2)
    keras.utils.set_random_seed(3)
    model = build_model(ModelSpec(cell="LSTM", io_mode="many_to_one", units=4), data.info)
    probe = Connectivity(model, data.info)
    x = data.x_val[0]
    before = probe(x)
    rng = np.random.default_rng(0)
    model.set_weights([w + rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    after = probe(x)
    assert probe.carried_forward(x) and not np.allclose(before, after, rtol=0.05)
    np.testing.assert_allclose(after, jacobian_norms(model, data.info, x), rtol=1e-4, atol=1e-6)


def test_a_sample_too_wide_for_the_numpy_way_goes_through_tensorflow(gru_many_to_many, monkeypatch):
    data, model, _ = gru_many_to_many
    x = data.x_val[0]
    probe = Connectivity(model, data.info)
    carried = probe(x)
    monkeypatch.setattr(forward_module, "MAX_MULTIPLY_ADDS", 0)
    assert not probe.carried_forward(x)
    np.testing.assert_allclose(probe(x), carried, rtol=1e-4, atol=1e-6)


def test_chunks_give_the_same_matrix(tiny_data, monkeypatch):
    import core.connectivity as module

    data = tiny_data("many_to_many", n=4, n_val=2)
    keras.utils.set_random_seed(1)
    model = build_model(ModelSpec(cell="LSTM", io_mode="many_to_many", units=4, bidirectional=True), data.info)
    x = data.x_val[0]
    whole = both_ways(model, data.info, x)
    monkeypatch.setattr(module, "CHUNK", 4)  # 15 rows in chunks of 4, the last one padded
    monkeypatch.setattr(forward_module, "COLUMNS_PER_PASS", 4)  # 5 steps x 2 features in chunks of 4
    chunked = both_ways(model, data.info, x)
    assert chunked.keys() == whole.keys() == {"numpy forward", "tensorflow"}
    for way in whole:
        np.testing.assert_allclose(chunked[way], whole[way], rtol=1e-5, atol=1e-7, err_msg=way)


@pytest.mark.parametrize("tokens", [False, True])
def test_a_long_sequence_is_compiled_once_for_every_length(tiny_data, monkeypatch, tokens):
    """TensorFlow's way (the numpy one off), as an encoder-decoder or a too-wide sample takes it."""
    import gc
    import weakref

    import core.connectivity as module

    monkeypatch.setattr(module, "COMPILE_FROM_STEPS", 4)  # the tiny samples count as long
    monkeypatch.setattr(forward_module, "MAX_MULTIPLY_ADDS", 0)
    data = tiny_data("many_to_many", n=4, n_val=2, tokens=tokens)
    keras.utils.set_random_seed(2)
    model = build_model(ModelSpec(cell="LSTM", io_mode="many_to_many", units=4, embedding_dim=3), data.info)
    x = data.x_val[0]
    for sample in (x, x[:3], np.concatenate([x, x])):  # as trained, shorter (eager), longer
        np.testing.assert_allclose(connectivity(model, data.info, sample), jacobian_norms(model, data.info, sample),
                                   rtol=1e-4, atol=1e-6)
    assert module._BY_MODEL[model]._compiled.experimental_get_tracing_count() == 1
    # The cache lets the model go.
    gone = weakref.ref(model)
    del model
    gc.collect()
    assert gone() is None


def test_a_trained_echo_model_looks_back_exactly_the_delay():
    delay, length = 2, 8
    dataset = DatasetSpec(task="echo", params={"length": length, "delay": delay, "symbols": 3, "samples": 200})
    data = build_dataset(dataset, "many_to_many")
    project = Project(dataset=dataset, model=ModelSpec(cell="SimpleRNN", io_mode="many_to_many", units=16),
                      training=TrainingSpec(epochs=6, batch_size=16, learning_rate=0.03, seed=1))
    result = train(project, data)
    assert result.final_metrics["val_accuracy"] > 0.97
    probe = Connectivity(result.model, data.info)
    mean = np.mean([probe(x) for x in data.x_val[:8]], axis=0)
    # Each echoed output depends most on the input `delay` steps before it.
    assert [int(np.argmax(mean[t])) for t in range(delay, length)] == [t - delay for t in range(delay, length)]
    # The training process's probe of the latest epoch that has one (recorded with the history) agrees.
    last = [p for _, p in sorted(result.history.probes.items()) if "connectivity" in p][-1]
    peaks = np.argmax(np.asarray(last["connectivity"]), axis=1)[delay:]
    assert np.mean(peaks == np.arange(length - delay)) >= 0.8
