"""Model building: every cell in every I/O mode, names, shapes, safe-mode saving, code and cuDNN notes."""

from __future__ import annotations

import contextlib
import io

import keras
import numpy as np
import pytest

from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo
from core.errors import SpecError
from core.models import (
    build_model,
    check_compatible,
    cudnn_warnings,
    keras_code,
    layer_parameter_counts,
    loss_and_metrics,
)
from core.specs import CELLS, IO_MODES, ModelSpec


def sample_input(info: DataInfo, n: int = 2) -> np.ndarray:
    rng = np.random.default_rng(1)
    if info.input_kind == "tokens":
        return rng.integers(0, len(info.vocabulary), size=(n, *info.input_shape)).astype(np.int32)
    return rng.normal(size=(n, *info.input_shape)).astype(np.float32)


def expected_output_shape(info: DataInfo) -> tuple:
    classes_or_targets = 3 if info.kind == CLASSIFICATION else 2
    steps = info.output_shape if info.kind == CLASSIFICATION else info.output_shape[:-1]
    if info.io_mode == "many_to_many":
        steps = (None,)  # one output per input step, and the input may have any length
    return (None, *steps, classes_or_targets)


@pytest.mark.parametrize("mode", IO_MODES)
@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_and_mode_builds_with_the_data_shapes_and_names(tiny_info, cell, mode):
    info = tiny_info(mode, kind=CLASSIFICATION if cell != "GRU" else REGRESSION)
    model = build_model(ModelSpec(cell=cell, io_mode=mode, layers=2, units=4), info)
    assert model.inputs[0].name == "sequence"
    assert tuple(model.outputs[0].shape) == expected_output_shape(info)
    # A recurrent net reads any length where its mode allows: the time axis is left open.
    open_time = mode in ("many_to_one", "many_to_many", "encoder_decoder")
    assert (model.inputs[0].shape[1] is None) == open_time
    names = [layer.name for layer in model.layers]
    assert names[-1] == "head"
    if mode == "encoder_decoder":
        assert {"encoder_1", "encoder_2", "decoder_1", "decoder_2"} <= set(names)
    else:
        assert {"rnn_1", "rnn_2"} <= set(names)
    rnn_classes = {type(layer).__name__ for layer in model.layers if layer.name.startswith(("rnn_", "encoder_"))}
    assert rnn_classes == {cell}
    head = model.get_layer("head")
    assert head.get_config()["activation"] == ("softmax" if info.kind == CLASSIFICATION else "linear")
    prediction = model(sample_input(info))
    if info.kind == CLASSIFICATION:
        np.testing.assert_allclose(np.sum(prediction, axis=-1), 1.0, rtol=1e-5)


@pytest.fixture(scope="module")
def built():
    """build_model, once per spec and data shape in this file: for tests that only call, save or
    inspect the model (none trains it or sets its weights)."""
    cache: dict = {}

    def build(spec: ModelSpec, info: DataInfo):
        key = (repr(spec), repr(info.to_dict()))
        if key not in cache:
            cache[key] = build_model(spec, info)
        return cache[key]

    return build


@pytest.mark.parametrize("spec, tokens", [
    (ModelSpec(cell="LSTM", io_mode="encoder_decoder", layers=2, units=4, bidirectional=True), False),
    (ModelSpec(cell="LSTM", io_mode="one_to_many", units=4, one_to_many_feed="initial_state"), False),
    (ModelSpec(cell="GRU", io_mode="one_to_many", units=4, one_to_many_feed="initial_state", layers=2), False),
    (ModelSpec(cell="SimpleRNN", io_mode="many_to_many", units=4, embedding_dim=0, bidirectional=True), True),
    (ModelSpec(cell="GRU", io_mode="encoder_decoder", units=4, embedding_dim=3, dropout=0.1), True),
])
def test_models_save_and_reload_in_safe_mode_with_identical_outputs(tiny_info, tmp_path, built, spec, tokens):
    info = tiny_info(spec.io_mode, tokens=tokens)
    model = built(spec, info)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    x = sample_input(info, 3)
    np.testing.assert_allclose(reloaded(x), model(x), rtol=1e-6, atol=1e-7)
    # Stock layers only: the file must load where RNN Lab is not installed.
    for layer in reloaded.layers:
        assert type(layer).__module__.startswith("keras."), type(layer)
        assert type(layer).__name__ != "Lambda"


def test_one_to_many_initial_state_feeds_the_vector_only_through_the_state(tiny_info, built):
    info = tiny_info("one_to_many")
    model = built(ModelSpec(cell="LSTM", io_mode="one_to_many", units=4, one_to_many_feed="initial_state"), info)
    rnn = model.get_layer("rnn_1")
    # The RNN reads a zero sequence of T_out steps; the vector arrives as [h, c].
    assert tuple(model.get_layer("repeat").output.shape) == (None, info.output_shape[0], 1)
    assert {"state_h", "state_c"} <= {layer.name for layer in model.layers}
    x = sample_input(info)
    changed = x.copy()
    changed[0] += 1.0
    out, out_changed = np.asarray(model(x)), np.asarray(model(changed))
    assert not np.allclose(out[0], out_changed[0])  # the vector matters
    np.testing.assert_allclose(out[1], out_changed[1], rtol=1e-6)  # samples stay independent
    assert rnn.get_config()["return_sequences"] is True


def test_encoder_decoder_decoder_starts_from_the_encoder_states(tiny_info):
    info = tiny_info("encoder_decoder")
    model = build_model(ModelSpec(cell="LSTM", io_mode="encoder_decoder", units=4), info)
    decoder = model.get_layer("decoder_1")
    inbound = [t._keras_history.operation.name for t in decoder._inbound_nodes[0].input_tensors]
    # The repeated encoder output plus the encoder's h and c.
    assert inbound == ["repeat", "encoder_1", "encoder_1"]


def test_identity_embedding_is_a_frozen_one_hot(tiny_info):
    info = tiny_info("many_to_one", tokens=True)
    model = build_model(ModelSpec(cell="GRU", io_mode="many_to_one", units=4, embedding_dim=0), info)
    embedding = model.get_layer("embedding")
    assert not embedding.trainable
    ids = np.array([[0, 3, 1, 1, 2]], dtype=np.int32)
    np.testing.assert_array_equal(np.asarray(embedding(ids))[0], np.eye(len(info.vocabulary))[ids[0]])
    learned = build_model(ModelSpec(cell="GRU", io_mode="many_to_one", units=4, embedding_dim=7), info)
    assert learned.get_layer("embedding").trainable
    assert learned.get_layer("embedding").output_dim == 7


def test_parameter_counts_per_layer_follow_the_cell_formulas(tiny_info):
    info = tiny_info("many_to_one")
    model = build_model(ModelSpec(cell="LSTM", io_mode="many_to_one", layers=2, units=6), info)
    counts = {name: (cls, n) for name, cls, n in layer_parameter_counts(model)}
    features = info.input_shape[-1]
    assert counts["rnn_1"] == ("LSTM", 4 * (6 * (features + 6) + 6))
    assert counts["rnn_2"] == ("LSTM", 4 * (6 * (6 + 6) + 6))
    assert counts["head"] == ("Dense", 6 * 3 + 3)
    assert sum(n for _, _, n in layer_parameter_counts(model)) == model.count_params()
    gru = build_model(ModelSpec(cell="GRU", io_mode="many_to_one", units=6, bidirectional=True), info)
    # reset_after=True (the cuDNN-compatible GRU) has two bias vectors per gate.
    assert dict((n, c) for n, _, c in layer_parameter_counts(gru))["rnn_1"] == 2 * 3 * (6 * (features + 6) + 2 * 6)


@pytest.mark.parametrize("mode", IO_MODES)
def test_keras_code_runs_and_builds_the_same_architecture(tiny_info, mode):
    tokens = mode not in ("one_to_many",) and mode != "one_to_one"
    info = tiny_info(mode, tokens=tokens)
    spec = ModelSpec(cell="LSTM", io_mode=mode, layers=2, units=5, dropout=0.1, activation="relu",
                     bidirectional=mode != "one_to_many", embedding_dim=3 if mode == "many_to_one" else 0,
                     one_to_many_feed="initial_state" if mode == "one_to_many" else "repeat")
    code = keras_code(spec, info)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, "<keras_code>", "exec"), namespace)
    built = build_model(spec, info)
    from_code = namespace["model"]
    assert from_code.count_params() == built.count_params()
    assert layer_parameter_counts(from_code) == layer_parameter_counts(built)
    assert "Total params" in printed.getvalue()
    imports = [line for line in code.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import keras"]  # runs without RNN Lab installed


def test_check_compatible_rejects_impossible_choices_naming_the_field(tiny_info):
    with pytest.raises(SpecError, match="model.bidirectional"):
        check_compatible(ModelSpec(io_mode="one_to_many", one_to_many_feed="initial_state", bidirectional=True),
                         tiny_info("one_to_many"))
    with pytest.raises(SpecError, match="model.io_mode.*encoder-decoder"):
        mismatched = tiny_info("many_to_many")
        mismatched.output_shape = (mismatched.input_shape[0] + 2,)
        check_compatible(ModelSpec(io_mode="many_to_many"), mismatched)
    with pytest.raises(SpecError, match="model.io_mode.*rebuild"):
        check_compatible(ModelSpec(io_mode="many_to_one"), tiny_info("many_to_many"))
    with pytest.raises(SpecError, match="model.units"):
        build_model(ModelSpec(units=0), tiny_info("many_to_many"))
    # Bidirectional with the repeat feed is fine.
    check_compatible(ModelSpec(io_mode="one_to_many", bidirectional=True), tiny_info("one_to_many"))


def test_cudnn_warnings_name_the_choice_that_leaves_the_fast_kernel(tiny_info):
    assert cudnn_warnings(ModelSpec(cell="LSTM")) == []
    assert cudnn_warnings(ModelSpec(cell="GRU", dropout=0.3, bidirectional=True, layers=3)) == []
    relu = cudnn_warnings(ModelSpec(cell="GRU", activation="relu"))
    assert len(relu) == 1 and "relu" in relu[0] and "tanh" in relu[0]
    both = cudnn_warnings(ModelSpec(cell="LSTM", activation="sigmoid", recurrent_dropout=0.2))
    assert len(both) == 2 and any("recurrent_dropout" in w for w in both)
    assert "SimpleRNN" in cudnn_warnings(ModelSpec(cell="SimpleRNN"))[0]
    # The defaults the builder writes are the cuDNN ones.
    model = build_model(ModelSpec(cell="GRU", io_mode="many_to_one", units=4), tiny_info("many_to_one"))
    config = model.get_layer("rnn_1").get_config()
    assert (config["activation"], config["recurrent_activation"], config["reset_after"],
            config["unroll"], config["use_bias"]) == ("tanh", "sigmoid", True, False, True)


def test_loss_and_metrics_follow_the_task_kind(tiny_info):
    assert loss_and_metrics(tiny_info("many_to_one")) == ("sparse_categorical_crossentropy", ["accuracy"])
    assert loss_and_metrics(tiny_info("many_to_one", kind=REGRESSION)) == ("mse", ["mae"])
