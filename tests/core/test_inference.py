"""Predictions decoded into the task's words, and autoregressive generation of text and series.

Untrained models are enough here: what is checked is the plumbing (de-normalisation, decoding,
feeding predictions back), which must be exact whatever the weights.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.datasets import REGRESSION, DataInfo, build_dataset
from core.errors import DatasetError, RNNLabError, SpecError
from core.inference import generate_series, generate_text, predict, predict_sample
from core.specs import DatasetSpec, ModelSpec

keras = pytest.importorskip("keras")


def _setup(task: str, io_mode: str, params: dict, *, cell: str = "GRU", units: int = 6):
    from core.models import build_model

    data = build_dataset(DatasetSpec(task=task, params=params, validation_split=0.25, seed=1), io_mode)
    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(cell=cell, io_mode=io_mode, units=units), data.info)
    return model, data


@pytest.fixture(scope="module")
def cooking():
    return _setup("cooking", "many_to_many", {"days": 5, "samples": 40})


@pytest.fixture(scope="module")
def weather():
    return _setup("weather", "many_to_one", {"days": 90, "window": 5})


@pytest.fixture(scope="module")
def text_models():
    params = {"window": 10, "stride": 25}
    return {mode: _setup("text", mode, params, units=8) for mode in ("many_to_one", "many_to_many")}


@pytest.fixture(scope="module")
def sine():
    return _setup("sine", "many_to_one", {"points": 120, "window": 6})


# --- predict ----------------------------------------------------------------------------------


def test_predict_denormalises_regression(weather):
    model, data = weather
    raw = np.asarray(model.predict_on_batch(data.x_val))
    norm = data.info.normalization
    expected = raw * np.asarray(norm["y_std"]) + np.asarray(norm["y_mean"])
    values = predict(model, data.info, data.x_val)
    np.testing.assert_allclose(values, expected, rtol=1e-5)
    # De-normalised means degrees Fahrenheit, not z-scores around 0.
    assert abs(values.mean() - norm["y_mean"][0]) < 4 * norm["y_std"][0]


def test_predict_classification_gives_probabilities(cooking):
    model, data = cooking
    probs = predict(model, data.info, data.x_val)
    assert probs.shape == (data.num_val, 5, 3)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-5)


def test_predict_refuses_wrong_shape_but_reads_any_length(cooking):
    model, data = cooking
    with pytest.raises(DatasetError, match=r"expects \(any, 5\)"):
        predict(model, data.info, data.x_val[:, :, :3])
    # A recurrent net reads a shorter week as well: one dish per day it was given.
    assert predict(model, data.info, data.x_val[:4, :3]).shape == (4, 3, 3)


def test_predict_sample_classification(cooking):
    model, data = cooking
    x, y = data.sample(1)
    result = predict_sample(model, data.info, x, y, top_k=2)
    probs = predict(model, data.info, x[None])[0]
    assert result.decoded_input == data.info.decode_input(x)
    assert result.decoded_output == data.info.decode_output(probs)
    assert result.target == data.info.decode_output(y)
    assert result.decoded_output.count(",") == 4  # one dish per day
    assert len(result.probabilities) == 5
    for step, step_probs in zip(result.probabilities, probs):
        assert len(step) == 2 and step[0][1] >= step[1][1]
        assert step[0] == (data.info.class_names[int(np.argmax(step_probs))], pytest.approx(float(step_probs.max())))
    assert result.accuracy == pytest.approx(float(np.mean(np.argmax(probs, -1) == y)))
    json.dumps(result.to_dict())


def test_predict_sample_regression(weather):
    model, data = weather
    x, y = data.sample(0)
    result = predict_sample(model, data.info, x, y)
    np.testing.assert_allclose(result.output, predict(model, data.info, x[None])[0], rtol=1e-6)
    np.testing.assert_allclose(result.target_values, data.info.denormalize_y(y), rtol=1e-6)
    assert result.probabilities is None and result.accuracy is None
    assert f"{float(result.output[0]):.1f}" in result.decoded_output


# --- text -------------------------------------------------------------------------------------


def _greedy(model, info: DataInfo, seed: str, length: int) -> str:
    index = {ch: i for i, ch in enumerate(info.vocabulary)}
    context = [index[ch] for ch in seed[-info.input_shape[0]:]]
    out = ""
    for _ in range(length):
        probs = np.asarray(model.predict_on_batch(np.asarray([context], dtype=np.int32)))[0]
        if info.io_mode == "many_to_many":
            probs = probs[-1]
        ch = info.class_names[int(np.argmax(probs))]
        out += ch
        context = context[1:] + [index[ch]]
    return out


@pytest.mark.parametrize("mode", ["many_to_one", "many_to_many"])
def test_generate_text(text_models, mode):
    model, data = text_models[mode]
    info = data.info
    seed = info.decode_input(data.x_val[0])
    assert len(seed) == 10
    first = generate_text(model, info, seed, 15, temperature=1.0, rng_seed=7)
    assert len(first) == 15 and set(first) <= set(info.vocabulary)
    assert generate_text(model, info, seed, 15, temperature=1.0, rng_seed=7) == first
    others = {generate_text(model, info, seed, 15, temperature=1.0, rng_seed=s) for s in range(3)}
    assert len(others) > 1  # the seed matters: it is sampling, not argmax
    # A temperature near 0 is greedy decoding of the last step's prediction.
    assert generate_text(model, info, seed, 6, temperature=1e-4, rng_seed=1) == _greedy(model, info, seed, 6)


def test_generate_text_pads_short_seed(text_models):
    model, data = text_models["many_to_one"]
    assert len(generate_text(model, data.info, "The", 4, rng_seed=0)) == 4


def test_generate_text_errors(text_models, cooking):
    model, data = text_models["many_to_one"]
    with pytest.raises(DatasetError, match="'\u00a7'"):
        generate_text(model, data.info, "the \u00a7 sign", 5)
    with pytest.raises(SpecError, match="temperature"):
        generate_text(model, data.info, "the ", 5, temperature=0)
    with pytest.raises(SpecError, match="length"):
        generate_text(model, data.info, "the ", 0)
    with pytest.raises(DatasetError, match="empty"):
        generate_text(model, data.info, "", 5)
    with pytest.raises(RNNLabError, match="reads tokens"):
        generate_text(cooking[0], cooking[1].info, "sunny", 5)


# --- series -----------------------------------------------------------------------------------


def test_generate_series_feeds_back_through_both_normalisations():
    # A model that outputs its last input (in model space): x_mean 10, x_std 2, y_mean 10, y_std 4.
    # From model-space input 1: y = 1 -> 14; as input (14 - 10) / 2 = 2 -> 18; then 4 -> 26; 8 -> 42.
    window = 3
    model = keras.Sequential([keras.Input((window, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.layers[-1].set_weights([np.array([[0.0], [0.0], [1.0]]), np.zeros(1)])
    info = DataInfo(task="sine", io_mode="many_to_one", kind=REGRESSION, input_kind="real",
                    input_shape=(window, 1), output_shape=(1,), feature_names=["value"],
                    target_names=["next value"],
                    normalization={"x_mean": [10.0], "x_std": [2.0], "y_mean": [10.0], "y_std": [4.0]})
    seed = np.array([[5.0], [5.0], [1.0]], dtype=np.float32)
    out = generate_series(model, info, seed, 4)
    np.testing.assert_allclose(out[:, 0], [14.0, 18.0, 26.0, 42.0], rtol=1e-6)


def test_generate_series_matches_a_manual_loop(sine):
    model, data = sine
    seed = data.x_val[0]
    out = generate_series(model, data.info, seed, 4)
    window = seed.copy()
    for step in range(4):
        value = float(np.asarray(model.predict_on_batch(window[None]))[0, 0])
        assert out[step, 0] == pytest.approx(value, rel=1e-5)
        window = np.concatenate([window[1:], [[value]]]).astype(np.float32)


def test_generate_series_one_to_many():
    model, data = _setup("sine", "one_to_many", {"samples": 20, "length": 5})
    out = generate_series(model, data.info, data.x_val[0], 5)
    np.testing.assert_allclose(out, predict(model, data.info, data.x_val[:1])[0], rtol=1e-6)
    assert generate_series(model, data.info, data.x_val[0], 3).shape == (3, 1)
    with pytest.raises(RNNLabError, match="produces 5 steps"):
        generate_series(model, data.info, data.x_val[0], 6)


def test_generate_series_refuses_what_cannot_be_fed_back(weather, cooking, sine):
    model, data = weather
    with pytest.raises(RNNLabError, match="must predict every input feature"):
        generate_series(model, data.info, data.x_val[0], 3)
    with pytest.raises(RNNLabError, match="predicts classes"):
        generate_series(cooking[0], cooking[1].info, cooking[1].x_val[0], 3)
    with pytest.raises(DatasetError, match="windows of 6"):
        generate_series(sine[0], sine[1].info, sine[1].x_val[0][:4], 3)
