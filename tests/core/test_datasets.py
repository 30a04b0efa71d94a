"""Every built-in task: its rule holds on generated samples, its arrays follow the shape table,
it is deterministic by seed, and decoding / typed input read as a user expects."""

import json
import string

import numpy as np
import pytest

from core.datasets import build_dataset, get_task, list_tasks
from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo
from core.errors import DatasetError, SpecError
from core.specs import DatasetSpec

TASK_ORDER = ["cooking", "gym", "weather", "sine", "adding", "sentiment", "echo", "text", "csv"]
# Small sizes keep the whole file fast; defaults are exercised by the shape test.
SMALL = {
    "cooking": {"samples": 200},
    "gym": {"samples": 200},
    "weather": {"days": 300},
    "sine": {"points": 300, "samples": 200},
    "adding": {"samples": 200},
    "sentiment": {"samples": 200},
    "echo": {"samples": 200},
    "text": {},
    "csv": {},
}


def build(task, mode=None, seed=0, validation_split=0.2, **params):
    spec = DatasetSpec(task=task, params={**SMALL[task], **params}, validation_split=validation_split, seed=seed)
    return build_dataset(spec, mode)


def all_task_modes():
    return [(t.name, m) for t in list_tasks() for m in t.supported_modes]


def test_registry_lists_the_nine_tasks_in_order():
    assert [t.name for t in list_tasks()] == TASK_ORDER
    for task in list_tasks():
        assert task.title and len(task.description) > 80 and task.lecture_note
        assert task.natural_mode in task.supported_modes
        for p in task.params:
            assert p.label, f"{task.name}.{p.name} has no label"
            assert p.check(task.name, p.default) == p.default or p.kind == "columns"


@pytest.mark.parametrize("task_name, mode", all_task_modes())
def test_arrays_follow_the_shape_table(task_name, mode):
    task = get_task(task_name)
    data = build_dataset(DatasetSpec(task=task_name, seed=1), mode)  # default sizes
    info = data.info
    x, y = data.x_train, data.y_train
    n = len(x)
    assert n >= 100 and data.num_val >= 10 and len(y) == n and len(data.y_val) == data.num_val
    tokens = info.input_kind == "tokens"
    assert x.dtype == (np.int32 if tokens else np.float32)
    assert y.dtype == (np.int32 if task.kind == CLASSIFICATION else np.float32)
    assert info.kind == task.kind and info.io_mode == mode and info.task == task_name
    k = () if task.kind == CLASSIFICATION else (max(1, len(info.target_names)),)
    if mode == "one_to_one":
        assert x.shape == ((n, 1) if tokens else (n, 1, x.shape[2]))
        assert y.shape == (n, *k)
    elif mode == "many_to_one":
        assert x.ndim == (2 if tokens else 3)
        assert y.shape == (n, *k)
    elif mode == "many_to_many":
        assert y.shape == (n, x.shape[1], *k)
    elif mode == "one_to_many":
        assert x.ndim == 2 and not tokens
        assert y.ndim == (2 if task.kind == CLASSIFICATION else 3)
    elif mode == "encoder_decoder":
        assert x.ndim == (2 if tokens else 3) and y.ndim == (2 if task.kind == CLASSIFICATION else 3)
    assert info.input_shape == x.shape[1:] == data.x_val.shape[1:]
    assert info.output_shape == y.shape[1:] == data.y_val.shape[1:]
    if task.kind == CLASSIFICATION:
        assert 0 <= y.min() and y.max() < info.num_classes
        assert info.output_dim == info.num_classes
    else:
        assert np.isfinite(y).all() and np.isfinite(data.y_val).all()
    if tokens:
        assert 0 <= x.min() and x.max() < info.vocab_size
    else:
        assert np.isfinite(x).all()
        assert len(info.feature_names) == x.shape[-1]
    # The info survives a bundle (JSON) and still decodes a sample into words.
    again = DataInfo.from_dict(json.loads(json.dumps(info.to_dict())))
    assert again == info
    text = again.describe_sample(data.x_val[0], data.y_val[0])
    assert " -> " in text and len(text) > 5
    assert "[" not in text.split(" -> ")[1], f"output decoded as raw numbers: {text}"


# Text and CSV are read from a file: nothing random to vary.
@pytest.mark.parametrize("task_name, mode", [tm for tm in all_task_modes() if tm[0] not in ("text", "csv")])
def test_same_seed_same_data_other_seed_other_data(task_name, mode):
    a, b, c = build(task_name, mode, seed=5), build(task_name, mode, seed=5), build(task_name, mode, seed=6)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_val, b.y_val)
    assert not np.array_equal(a.x_train, c.x_train)


def test_natural_mode_is_used_when_none_is_given():
    assert build("cooking").info.io_mode == "many_to_many"
    assert build("adding").info.io_mode == "many_to_one"
    assert build("echo", operation="echo").info.io_mode == "many_to_many"
    assert build("echo", operation="reverse").info.io_mode == "encoder_decoder"


def test_unsupported_mode_and_bad_params_are_spec_errors():
    with pytest.raises(SpecError, match="model.io_mode"):
        build("adding", "one_to_many")
    with pytest.raises(SpecError, match="dataset.params.days"):
        build("cooking", days=1)
    with pytest.raises(SpecError, match="dataset.params.colour"):
        build("cooking", colour="red")


# --- cooking -----------------------------------------------------------------------------------

def test_cooking_follows_the_lecture_schedule_for_every_sample():
    data = build("cooking", days=9, rain_probability=0.4)
    dishes = data.info.class_names
    assert dishes == ["ice cream", "french fries", "pizza"]
    for x, y in zip(np.concatenate([data.x_train, data.x_val]), np.concatenate([data.y_train, data.y_val])):
        assert x[1:, 2:].sum() == 0 and x[0, 2:].sum() == 1  # start dish only at t=0
        dish = int(np.argmax(x[0, 2:]))
        for t in range(9):
            sunny, rainy = x[t, 0], x[t, 1]
            assert sunny + rainy == 1
            if rainy:
                dish = (dish + 1) % 3
            assert y[t] == dish


def test_cooking_one_to_one_label_is_not_predictable_from_weather():
    data = build("cooking", "one_to_one", samples=6000)
    rainy = data.x_train[:, 0, 1] == 1
    for group in (rainy, ~rainy):
        shares = np.bincount(data.y_train[group], minlength=3) / group.sum()
        assert np.all(np.abs(shares - 1 / 3) < 0.05), shares
    assert data.info.extra["chance_accuracy"] == pytest.approx(1 / 3)
    assert "1 in 3" in get_task("cooking").description


def test_cooking_reads_and_writes_words():
    info = build("cooking", days=3).info
    x = info.encode_input("Pizza: sunny, rainy, rainy")
    assert x.shape == info.input_shape
    y = np.array([2, 0, 1])
    assert info.describe_sample(x, y) == "starts after pizza | sunny, rainy, rainy -> pizza, ice cream, french fries"
    # Probabilities decode to their most likely dish.
    assert info.decode_output(np.eye(3)[[1, 1, 0]] * 0.8) == "french fries, french fries, ice cream"
    assert info.decode_input(info.encode_input("sunny rainy sunny")).startswith("starts after ice cream |")
    with pytest.raises(DatasetError, match="'cloudy'.*sunny or rainy"):
        info.encode_input("sunny, cloudy, rainy")
    with pytest.raises(DatasetError, match="'soup'.*ice cream, french fries, pizza"):
        info.encode_input("soup: sunny, sunny, sunny")
    # A recurrent net reads a week of any length (the model's time axis is open).
    assert info.encode_input("sunny rainy").shape == (2, 5)
    assert info.encode_input("pizza: " + "rainy " * 12)[0, 4] == 1.0


# --- gym ----------------------------------------------------------------------------------------

def _gym_next_workouts(x):
    """Replay a window: the workout after the last attended day, at each step (None if unknown)."""
    last, out = None, []
    for step in x:
        if step[-1] == 0:
            done = int(np.argmax(step[:-1]))
            if last is not None:
                assert done == (last + 1) % 7, "a workout skipped ahead of the plan"
            last = done
        out.append(None if last is None else (last + 1) % 7)
    return out


@pytest.mark.parametrize("mode", ["many_to_one", "many_to_many"])
def test_gym_next_workout_resumes_after_missed_days(mode):
    data = build("gym", mode, window=6, attendance=0.5)
    assert data.info.class_names[:3] == ["shoulders", "biceps", "triceps"]
    saw_missed_last = 0
    for x, y in zip(data.x_train, data.y_train):
        assert np.all(x.sum(axis=1) == 1)  # each day: one workout or "missed"
        expected = _gym_next_workouts(x)
        if mode == "many_to_one":
            assert expected[-1] is not None and y == expected[-1]
            saw_missed_last += x[-1, -1] == 1
        else:
            assert list(y) == expected
    if mode == "many_to_one":
        assert saw_missed_last > 10  # the answer often depends on days before the last one


def test_gym_words():
    info = build("gym", window=4).info
    x = info.encode_input("Legs, missed missed, cardio")
    assert info.describe_sample(x, np.array(0)) == "legs, missed, missed, cardio -> shoulders"
    with pytest.raises(DatasetError, match="'yoga'.*shoulders.*missed"):
        info.encode_input("legs, yoga, missed, cardio")
    with pytest.raises(DatasetError, match="at least one attended"):
        info.encode_input("missed missed missed missed")


# --- weather ------------------------------------------------------------------------------------

def test_weather_targets_are_tomorrows_high_and_normalised_on_training_days_only():
    data = build("weather", window=10, days=400)
    info = data.info
    norm = info.normalization
    raw = data.x_train * np.array(norm["x_std"]) + np.array(norm["x_mean"])
    y = data.y_train[:, 0] * norm["y_std"][0] + norm["y_mean"][0]
    # Consecutive windows: the next window's last day is the day this one predicts.
    np.testing.assert_allclose(raw[1:, -1, 0], y[:-1], atol=1e-3)
    # Rebuild the training days from the windows: the statistics are theirs alone.
    train_days = np.concatenate([raw[:, 0, :], raw[-1, 1:, :]])
    highs = np.concatenate([train_days[:, 0], y[-1:]])
    assert len(highs) == info.extra["train_rows"] == 320
    assert norm["y_mean"][0] == pytest.approx(highs.mean(), abs=1e-3)
    assert norm["x_mean"][0] == pytest.approx(highs.mean(), abs=1e-3)
    val_raw = data.x_val * np.array(norm["x_std"]) + np.array(norm["x_mean"])
    assert abs(val_raw[:, :, 0].mean() - highs.mean()) > 0.5  # other season: a fit on all days would differ
    # Plausible weather: lows under highs, rain never negative, humidity a fraction.
    assert np.all(raw[:, :, 1] < raw[:, :, 0]) and raw[:, :, 3].min() > -1e-4
    assert 0.1 < raw[:, :, 4].min() and raw[:, :, 4].max() < 1.0001


def test_weather_words_and_typed_days():
    info = build("weather", window=2).info
    x = info.encode_input("67 43 13 0.25 83\n60, 45, 8, 0, 0.7")
    assert x.shape == (2, 5) and x.dtype == np.float32
    text = info.decode_input(x)
    assert "last day: high 60 F, low 45 F, wind 8 mph, rain 0.00 in, humidity 70%" in text
    y = (np.array([71.3]) - info.normalization["y_mean"][0]) / info.normalization["y_std"][0]
    assert info.decode_output(y) == "tomorrow's high: 71.3 F"
    with pytest.raises(DatasetError, match="Day 2: expected 5 numbers"):
        info.encode_input("67 43 13 0.25 0.8; 60 45 8")
    with pytest.raises(DatasetError, match="Day 1, wind.*'windy' is not a number"):
        info.encode_input("67 43 windy 0.25 0.8; 60 45 8 0 0.7")


# --- sine ---------------------------------------------------------------------------------------

def test_sine_forecast_targets_are_the_next_values():
    one = build("sine", "many_to_one", window=12)
    np.testing.assert_array_equal(one.x_train[1:, -1, 0], one.y_train[:-1, 0])
    many = build("sine", "many_to_many", window=12)
    np.testing.assert_array_equal(many.y_train[:, :-1, 0], many.x_train[:, 1:, 0])
    assert get_task("sine").generation == "series" and one.info.extra["feedback_feature"] == 0
    # Validation windows come from the end of the series, after every training row.
    assert one.info.extra["train_rows"] == 240


def test_sine_one_to_many_writes_the_sine_of_its_start_vector():
    data = build("sine", "one_to_many", noise=0.0, length=20)
    info = data.info
    norm = info.normalization
    raw = data.x_train * np.array(norm["x_std"]) + np.array(norm["x_mean"])
    freq, amp = raw[:, 0], raw[:, 3]
    phase = np.arctan2(raw[:, 1], raw[:, 2])
    t = np.arange(1, 21)
    expected = amp[:, None] * np.sin(2 * np.pi * freq[:, None] * t + phase[:, None])
    np.testing.assert_allclose(data.y_train[:, :, 0], expected, atol=1e-4)
    x = info.encode_input("frequency 0.05, phase 90, amplitude 1")
    assert x.shape == (4,)
    assert "frequency 0.050" in info.decode_input(x) and "phase 90 deg" in info.decode_input(x)
    with pytest.raises(DatasetError, match="'fast' is not a number"):
        info.encode_input("fast, 90")


def test_sine_typed_values():
    info = build("sine", window=3).info
    assert info.encode_input("0.1, 0.5 0.9").reshape(-1).tolist() == pytest.approx([0.1, 0.5, 0.9])
    assert info.encode_input("0.1 0.2").shape == (2, 1)  # a recurrent net reads any length
    with pytest.raises(DatasetError, match="Type numbers"):
        info.encode_input(" ")


# --- adding -------------------------------------------------------------------------------------

def test_adding_target_is_the_sum_of_the_two_marked_values():
    data = build("adding", length=40, samples=3000)
    x, y = data.x_train, data.y_train[:, 0]
    marks = x[:, :, 1]
    assert np.all(marks.sum(axis=1) == 2)
    assert np.all(marks[:, :20].sum(axis=1) == 1) and np.all(marks[:, 20:].sum(axis=1) == 1)
    np.testing.assert_allclose((x[:, :, 0] * marks).sum(axis=1), y, rtol=1e-6)
    assert x[:, :, 0].min() >= 0 and x[:, :, 0].max() < 1
    baseline = data.info.extra["baseline_mse"]
    assert baseline == pytest.approx(1 / 6)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(baseline, abs=0.015)
    assert "0.167" in data.info.description


def test_adding_typed_input():
    info = build("adding", length=6).info
    x = info.encode_input("0.3 at 1, 0.9 at 4")
    assert x[:, 1].tolist() == [0, 1, 0, 0, 1, 0] and x[1, 0] == pytest.approx(0.3)
    x = info.encode_input("0.1 0.7* 0.2 0.3 0.4* 0.5")
    assert info.describe_sample(x, np.array([1.1])) == "6 steps; marked: 0.700 at step 1, 0.400 at step 4 -> sum: 1.100"
    with pytest.raises(DatasetError, match="Step 9 is outside"):
        info.encode_input("0.3 at 1, 0.9 at 9")
    with pytest.raises(DatasetError, match="exactly two"):
        info.encode_input("0.1 0.7* 0.2 0.3 0.4 0.5")


# --- sentiment ----------------------------------------------------------------------------------

POSITIVE = {"good", "great", "excellent", "lovely", "nice", "wonderful", "tasty", "fun"}
NEGATIVE = {"bad", "awful", "boring", "terrible", "poor", "dull", "bland", "horrible"}


@pytest.mark.parametrize("padding", ["left", "right"])
def test_sentiment_labels_follow_negation_and_but(padding):
    data = build("sentiment", samples=1500, padding=padding)
    info = data.info
    assert info.vocabulary[0] == "<pad>" and len(info.vocabulary) == 40
    assert info.class_names == ["negative", "positive"]
    x, y = data.x_train, data.y_train
    assert np.all(x[:, -1] != 0) if padding == "left" else np.all(x[:, 0] != 0)

    def meaning(clause):
        adjective = [w for w in clause if w in POSITIVE | NEGATIVE]
        assert len(adjective) == 1
        return int((adjective[0] in POSITIVE) != ("not" in clause))

    negated_flips = contrasts = 0
    for ids, label in zip(x, y):
        clauses = [c.split() for c in info.decode_input(ids).split(" but ")]
        assert label == meaning(clauses[-1]), clauses
        negated_flips += "not" in clauses[-1]
        if len(clauses) == 2:
            contrasts += 1
            # "but" turns the review around: the first half alone would give the wrong answer.
            assert meaning(clauses[0]) != label, clauses
    assert 0.4 < y.mean() < 0.6 and negated_flips > 200 and contrasts > 200


def test_sentiment_typed_sentence():
    info = build("sentiment").info
    ids = info.encode_input("The food was NOT bad!")
    assert ids.shape == info.input_shape and ids[0] == 0
    assert info.decode_input(ids) == "the food was not bad"
    with pytest.raises(DatasetError, match="Unknown word 'fantastic'.*known words include.*good"):
        info.encode_input("the food was fantastic")
    assert info.encode_input(" ".join(["good"] * 16)).shape == (16,)  # longer than trained: read whole


# --- echo / reverse -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["many_to_many", "encoder_decoder"])
def test_echo_repeats_each_symbol_delay_steps_later(mode):
    data = build("echo", mode, operation="echo", length=8, delay=3, symbols=5)
    info = data.info
    assert info.class_names == ["A", "B", "C", "D", "E", "blank"]
    ids = np.argmax(data.x_train, axis=-1)
    assert np.all(data.y_train[:, :3] == 5)
    np.testing.assert_array_equal(data.y_train[:, 3:], ids[:, :5])


@pytest.mark.parametrize("mode", ["many_to_many", "encoder_decoder"])
def test_reverse_writes_the_sequence_backwards(mode):
    data = build("echo", mode, operation="reverse", length=7, symbols=3)
    np.testing.assert_array_equal(data.y_val, np.argmax(data.x_val, axis=-1)[:, ::-1])
    assert "bidirectional" in get_task("echo").description


def test_echo_words_and_limits():
    info = build("echo", length=5, delay=2, symbols=4).info
    x = info.encode_input("a b c d a")
    assert info.describe_sample(x, np.array([4, 4, 0, 1, 2])) == "A B C D A -> _ _ A B C"
    assert info.decode_input(info.encode_input("DCBAD")) == "D C B A D"
    with pytest.raises(DatasetError, match="'E'.*A B C D"):
        info.encode_input("A B E A B")
    with pytest.raises(SpecError, match="dataset.params.delay.*shorter than the length"):
        build("echo", length=5, delay=5)


# --- text ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["many_to_one", "many_to_many"])
def test_text_targets_are_the_next_characters(mode):
    data = build("text", mode, source="builtin:seasons", window=30, stride=7)
    info = data.info
    source = (get_task("text").load({"source": "builtin:seasons", "lowercase": False})[0])
    assert info.vocabulary == sorted(set(source)) == info.class_names
    assert info.extra["token_separator"] == "" and get_task("text").generation == "text"
    for x, y in list(zip(data.x_train, data.y_train))[::25]:
        window = "".join(info.vocabulary[i] for i in x)
        if mode == "many_to_one":
            assert window + info.vocabulary[y] in source
        else:
            np.testing.assert_array_equal(y[:-1], x[1:])
            assert window + info.vocabulary[y[-1]] in source
    # Split before windowing: the validation windows come from the last part of the text.
    first_val = "".join(info.vocabulary[i] for i in data.x_val[0])
    assert source.index(first_val) >= info.extra["train_characters"]


def test_text_typed_seed_and_vocabulary_cap(tmp_path):
    info = build("text", window=10).info
    ids = info.encode_input("the rain")
    assert "".join(info.vocabulary[i] for i in ids) == "  the rain"
    with pytest.raises(DatasetError, match="not in the vocabulary: '#'"):
        info.encode_input("the # rain")
    assert info.decode_output(np.array(info.vocabulary.index(" "))) == "' '"
    path = tmp_path / "many.txt"
    path.write_text((string.ascii_letters + string.digits) * 5 + "aaaa", encoding="utf-8")
    capped = build("text", source=str(path), window=10, max_vocabulary=10).info
    assert len(capped.vocabulary) == 10 and "\ufffd" in capped.vocabulary and "a" in capped.vocabulary
    assert capped.extra["replaced"] > 0


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "file not found"),
        (b"", "is empty"),
        (b"  \n\n ", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binary file"),
        ("Caf\u00e9 au lait, the long way round.".encode("latin-1"), "not UTF-8 text: byte 0xE9 on line 1"),
        ("Rain again, all week long.".encode("utf-16"), "UTF-16"),
        (b"short", "has 5 characters; a window of 40 needs at least 41"),
    ],
)
def test_bad_text_files_are_explained(tmp_path, content, message):
    path = tmp_path / "story.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DatasetError, match=message):
        build("text", source=str(path))


def test_unknown_builtin_text_lists_the_shipped_ones():
    with pytest.raises(SpecError, match="builtin:recurrence, builtin:seasons"):
        build("text", source="builtin:nope")


def test_builtin_texts_are_real_prose():
    for name in ("recurrence", "seasons"):
        text = get_task("text").load({"source": f"builtin:{name}", "lowercase": False})[0]
        assert 4000 < len(text.encode("utf-8")) < 9000
        assert len(text.split()) > 700 and text.count(".") > 40


def test_regression_decoding_is_in_words_for_every_regression_task():
    for name in ("weather", "sine", "adding", "csv"):
        data = build(name)
        assert get_task(name).kind == REGRESSION
        out = data.info.decode_output(data.y_val[0])
        assert any(ch.isalpha() for ch in out) and ":" in out, out


# --- rules every view asks the task or the data info, not its own copy -------------------------


def test_mode_for_keeps_a_supported_mode_and_otherwise_follows_the_parameters():
    echo = get_task("echo")
    assert echo.mode_for({}, "encoder_decoder") == "encoder_decoder"
    assert echo.mode_for({"operation": "reverse"}, "one_to_many") == "encoder_decoder"
    assert echo.mode_for({"operation": "echo"}) == "many_to_many"
    # Half-typed parameters that do not validate yet: the task's natural mode.
    assert echo.mode_for({"operation": "reverse", "length": -1}) == echo.natural_mode


def test_tasks_declare_typed_input_exactly_when_they_encode_it():
    from core.datasets.base import Task

    for task in list_tasks():
        assert task.accepts_typed_input == (type(task).encode_input is not Task.encode_input), task.name


def test_generation_is_declared_or_follows_from_what_the_model_predicts(tmp_path):
    assert get_task("text").generation_for(build("text").info) == "text"
    assert get_task("sine").generation_for(build("sine").info) == "series"
    # Classes, or a sum of two inputs, cannot be fed back as the next input.
    assert get_task("cooking").generation_for(build("cooking").info) == ""
    assert get_task("adding").generation_for(build("adding").info) == ""
    path = tmp_path / "co2.csv"
    path.write_text("month,co2,temp\n" + "".join(f"{m},{300 + m % 7},{m % 5}\n" for m in range(60)))
    alone = build("csv", path=str(path), feature_columns=["co2"], target_column="co2", window=5).info
    assert get_task("csv").generation_for(alone) == "series"
    with_temp = build("csv", path=str(path), feature_columns=["co2", "temp"], target_column="co2", window=5).info
    assert get_task("csv").generation_for(with_temp) == ""
    assert with_temp.feedback_features() == [0]


def _series_info(**changes) -> DataInfo:
    info = dict(task="csv", io_mode="many_to_one", kind=REGRESSION, input_kind="real", input_shape=(4, 2),
                output_shape=(1,), feature_names=["co2", "temp"], target_names=["temp"],
                normalization={"x_mean": [300.0, 10.0], "x_std": [2.0, 0.0], "y_mean": [10.0], "y_std": [5.0]})
    return DataInfo(**{**info, **changes})


def test_denormalize_x_undoes_the_input_scaling_per_feature():
    info = _series_info()
    np.testing.assert_allclose(info.denormalize_x(np.array([[1.0, 3.0], [0.0, -1.0]])), [[302.0, 13.0], [300.0, 9.0]])
    # One stored value stands for every feature; missing statistics mean unscaled inputs.
    shared = _series_info(normalization={"x_mean": [1.0], "x_std": [2.0]})
    np.testing.assert_allclose(shared.denormalize_x(np.array([1.0, 2.0])), [3.0, 5.0])
    np.testing.assert_allclose(_series_info(normalization=None).denormalize_x(np.array([1.0, 2.0])), [1.0, 2.0])


def test_feedback_features_map_each_target_to_its_input():
    assert _series_info().feedback_features() == [1]
    assert not _series_info().predicts_every_input()
    both = _series_info(target_names=["co2", "temp"], output_shape=(2,))
    assert both.feedback_features() == [0, 1] and both.predicts_every_input()
    assert _series_info(extra={"feedback_feature": 0}).feedback_features() == [0]
    assert _series_info(target_names=["sum"]).feedback_features() is None
    assert _series_info(extra={"target_feature_indices": [5]}).feedback_features() is None
    assert _series_info(io_mode="one_to_many", input_shape=(2,)).feedback_features() is None
