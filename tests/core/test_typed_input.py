"""A typed sequence may have any length where the model reads any: shorter and longer than the
training length, each task gives a prediction and the states of every step; a model whose input
has a fixed length refuses with a message that names that length, in the window's words and on
the command line alike."""

from __future__ import annotations

import numpy as np
import pytest

from core.datasets import build_dataset
from core.errors import DatasetError
from core.inference import predict_sample
from core.models import build_model
from core.persistence import Bundle, save_bundle
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from core.states import sequence_states

keras = pytest.importorskip("keras")

WEATHER_DAY = "67 43 13 0.25 83"


def _csv(tmp_path, labels: bool) -> str:
    path = tmp_path / ("labels.csv" if labels else "series.csv")
    rows = ["high,low,state"] + [f"{50 + i % 9},{30 + i % 5},{'warm' if i % 9 > 4 else 'cold'}" for i in range(60)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


# (task, mode, params, typed shorter than the training length, typed longer, steps each gives)
CASES = {
    "weather": ("weather", "many_to_one", {"days": 90, "window": 5},
                "; ".join([WEATHER_DAY] * 3), "; ".join([WEATHER_DAY] * 8), (3, 8)),
    "sine": ("sine", "many_to_many", {"points": 120, "samples": 30, "window": 6},
             "0.1 0.2 0.3", " ".join(str(v / 10) for v in range(11)), (3, 11)),
    "csv series": ("csv", "many_to_many", {"feature_columns": ["high", "low"], "target_column": "high",
                                           "window": 4}, "50 30; 51 31", "; ".join(["50 30"] * 7), (2, 7)),
    "csv labels": ("csv", "many_to_one", {"feature_columns": ["high", "low"], "target_column": "state",
                                          "target_type": "classes", "window": 4, "horizon": 0},
                   "50 30; 58 31", "; ".join(["58 33"] * 9), (2, 9)),
    "text": ("text", "many_to_one", {"window": 12}, "rain", "the rain in spain falls mainly", (12, 30)),
    "sentiment": ("sentiment", "many_to_one", {"samples": 40}, "not bad",
                  " ".join(["the food was good but the service was not great"] * 2), (15, 20)),
    "echo, encoder-decoder": ("echo", "encoder_decoder", {"length": 5, "samples": 30}, "A B", "A B C A B C A",
                              (2, 7)),
    "cooking": ("cooking", "many_to_many", {"days": 5, "samples": 30}, "pizza: sunny, rainy",
                "sunny " * 9, (2, 9)),
}


def _setup(case: str, tmp_path):
    task, mode, params, *_ = CASES[case]
    if task == "csv":
        params = {**params, "path": _csv(tmp_path, labels="labels" in case)}
    data = build_dataset(DatasetSpec(task=task, params=params, validation_split=0.25, seed=1), mode)
    keras.utils.set_random_seed(0)
    return build_model(ModelSpec(cell="SimpleRNN", io_mode=mode, units=2, embedding_dim=2), data.info), data.info


@pytest.mark.parametrize("case", list(CASES))
def test_a_typed_sequence_shorter_or_longer_than_training_gives_predictions(case, tmp_path):
    model, info = _setup(case, tmp_path)
    *_, shorter, longer, steps = CASES[case]
    trained = info.input_shape[0]
    for typed, expected_steps in zip((shorter, longer), steps):
        x = info.encode_input(typed)
        assert len(x) == expected_steps
        prediction = predict_sample(model, info, x)
        outputs = np.asarray(prediction.output).reshape(-1, info.output_dim)
        if info.io_mode == "many_to_many":
            assert len(outputs) == expected_steps  # one answer per typed step
        elif info.io_mode == "encoder_decoder":
            assert len(outputs) == info.output_shape[0]  # it writes what it learned to write
        else:
            assert len(outputs) == 1
        assert np.all(np.isfinite(outputs)) and prediction.decoded_output
        states = sequence_states(model, info, x)
        assert states.layers[0].steps == expected_steps
    assert steps[0] <= trained < steps[1]


@pytest.fixture(scope="module")
def fixed_length_weather():
    """A weather model whose input has a fixed length of 5 days, as an imported file may have.
    Built once: the tests only predict with it and save it."""
    data = build_dataset(DatasetSpec(task="weather", params={"days": 90, "window": 5}, seed=1), "many_to_one")
    keras.utils.set_random_seed(0)
    inputs = keras.Input((5, 5))
    outputs = keras.layers.Dense(1, name="head")(keras.layers.Flatten()(keras.layers.SimpleRNN(2, return_sequences=True,
                                                                                               name="rnn_1")(inputs)))
    return keras.Model(inputs, outputs), data.info


def test_a_fixed_length_model_names_the_length_it_reads(fixed_length_weather):
    model, info = fixed_length_weather
    x = info.encode_input("; ".join([WEATHER_DAY] * 3))
    for look in (predict_sample, sequence_states):
        with pytest.raises(DatasetError, match="reads exactly 5 steps and the input has 3: its input has a fixed"):
            look(model, info, x)
    assert predict_sample(model, info, info.encode_input("; ".join([WEATHER_DAY] * 5))).decoded_output


def test_the_command_line_refuses_the_same_way(run_cli, tmp_path, fixed_length_weather):
    model, info = fixed_length_weather
    project = Project(dataset=DatasetSpec(task="weather", params={"days": 90, "window": 5}, seed=1),
                      model=ModelSpec(cell="SimpleRNN", io_mode="many_to_one", units=2), training=TrainingSpec())
    path = tmp_path / "fixed.rnnlab"
    save_bundle(path, Bundle(project=project, model=model, history=None, info=info))
    typed = tmp_path / "days.txt"
    typed.write_text("\n".join([WEATHER_DAY] * 3))
    for command in ("predict", "explain"):
        code, out, err = run_cli([command, str(path), "--input", str(typed)])
        assert code == 1 and out == "", command
        assert "reads exactly 5 steps and the input has 3" in err, command
    typed.write_text("\n".join([WEATHER_DAY] * 5))
    code, out, err = run_cli(["predict", str(path), "--input", str(typed)])
    assert code == 0 and "tomorrow's high" in out, err
