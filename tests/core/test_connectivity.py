"""Connectivity C[t_out, t_in] = ||d y(t_out) / d x(t_in)||: equal to a plain Jacobian, causal, and
it finds the memory a trained echo model uses."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

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


@pytest.mark.parametrize("mode, options, data_options", [
    ("many_to_many", {"cell": "LSTM"}, {}),
    ("many_to_many", {"cell": "GRU", "embedding_dim": 3}, {"tokens": True}),
    ("many_to_one", {"cell": "SimpleRNN", "layers": 2}, {"kind": "regression"}),
    ("one_to_many", {"cell": "GRU"}, {}),
    ("encoder_decoder", {"cell": "LSTM", "bidirectional": True}, {}),
])
def test_connectivity_equals_the_jacobian(tiny_data, mode, options, data_options):
    data = tiny_data(mode, n=4, n_val=2, **data_options)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(io_mode=mode, units=4, **options), data.info)
    x = data.x_val[0]
    c = connectivity(model, data.info, x)
    expected = jacobian_norms(model, data.info, x)
    assert c.shape == expected.shape == (data.info.seq_len_out, 1 if mode == "one_to_many" else len(x))
    np.testing.assert_allclose(c, expected, rtol=1e-4, atol=1e-6)


def test_aligned_outputs_depend_on_no_later_input_unless_bidirectional(tiny_data):
    data = tiny_data("many_to_many", n=4, n_val=2)
    keras.utils.set_random_seed(0)
    one_way = build_model(ModelSpec(cell="GRU", io_mode="many_to_many", units=4), data.info)
    both = build_model(ModelSpec(cell="GRU", io_mode="many_to_many", units=4, bidirectional=True), data.info)
    x = data.x_val[0]
    later = np.triu_indices(len(x), 1)  # t_in > t_out
    c = connectivity(one_way, data.info, x)
    assert np.all(c[later] == 0) and np.all(np.diag(c) > 0)
    assert np.all(connectivity(both, data.info, x)[later] > 0)


def test_chunks_give_the_same_matrix(tiny_data, monkeypatch):
    import core.connectivity as module

    data = tiny_data("many_to_many", n=4, n_val=2)
    keras.utils.set_random_seed(1)
    model = build_model(ModelSpec(cell="LSTM", io_mode="many_to_many", units=4), data.info)
    whole = Connectivity(model, data.info)(data.x_val[0])
    monkeypatch.setattr(module, "CHUNK", 4)  # 15 rows in chunks of 4, the last one padded
    np.testing.assert_allclose(Connectivity(model, data.info)(data.x_val[0]), whole, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("tokens", [False, True])
def test_a_long_sequence_is_compiled_once_for_every_length(tiny_data, monkeypatch, tokens):
    import gc
    import weakref

    import core.connectivity as module

    monkeypatch.setattr(module, "COMPILE_FROM_STEPS", 4)  # the tiny samples count as long
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
