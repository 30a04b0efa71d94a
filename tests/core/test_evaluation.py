"""Evaluation in the data's own units against naive baselines, and the test split training never sees."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from core.datasets import build_dataset
from core.datasets.base import REGRESSION, DataInfo
from core.errors import DatasetError, SpecError
from core.evaluation import classification_scores, evaluate, evaluate_model, find_season, skill_sentence, table_rows
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from core.time_axis import DATETIME, YEAR, time_axis

WINDOW = 3


def _series(n: int = 40) -> np.ndarray:
    t = np.arange(n)
    return 50 + 10 * np.sin(2 * np.pi * t / 7) + 0.5 * t


@pytest.fixture
def small_csv(tmp_path):
    values = _series()
    path = tmp_path / "sales.csv"
    lines = ["week,sales"] + [f"2024-W{i % 52 + 1:02d},{v:.6f}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    spec = DatasetSpec(task="csv", params={"path": str(path), "target_column": "sales", "window": WINDOW},
                       validation_split=0.3)
    return values, build_dataset(spec, "many_to_one")


def test_persistence_and_mean_baselines_equal_a_hand_computation(small_csv):
    values, data = small_csv
    n_train = data.info.extra["train_rows"]
    evaluation = evaluate(data.info, data.x_val, data.y_val, data.info.denormalize_y(data.y_val) + 1.0,
                          y_train=data.y_train)
    # Validation windows lie inside the validation rows: the first forecasts row n_train + WINDOW.
    rows = np.arange(n_train + WINDOW, len(values))
    assert evaluation.rows.tolist() == rows.tolist()
    persistence = math.sqrt(np.mean((values[rows] - values[rows - 1]) ** 2))
    train_mean = values[WINDOW:n_train].mean()  # the training windows' targets
    mean = math.sqrt(np.mean((values[rows] - train_mean) ** 2))
    assert evaluation.baselines["persistence"]["rmse"] == pytest.approx(persistence, rel=1e-5)
    assert evaluation.baselines["persistence"]["mae"] == pytest.approx(np.mean(np.abs(values[rows] - values[rows - 1])),
                                                                       rel=1e-5)
    assert evaluation.baselines["mean"]["rmse"] == pytest.approx(mean, rel=1e-5)
    # The model was off by exactly 1 everywhere, in the file's own units.
    assert evaluation.metrics["rmse"] == pytest.approx(1.0, rel=1e-4)
    assert evaluation.metrics["mae"] == pytest.approx(1.0, rel=1e-4)
    assert evaluation.metrics["mape"] == pytest.approx(np.mean(1.0 / values[rows]) * 100, rel=1e-3)
    assert evaluation.best_baseline == "persistence"
    assert evaluation.skill == pytest.approx(1 - 1.0 / persistence, rel=1e-4)


def test_rmse_in_data_units_is_the_normalised_error_times_the_training_spread(small_csv):
    _, data = small_csv
    y = np.asarray(data.y_val, dtype=np.float64)
    normalised = y + np.random.default_rng(0).normal(0, 0.3, size=y.shape)
    evaluation = evaluate(data.info, data.x_val, data.y_val, data.info.denormalize_y(normalised.astype(np.float32)),
                          y_train=data.y_train)
    spread = data.info.normalization["y_std"][0]
    assert spread > 1  # the check means something only when the units differ
    assert evaluation.metrics["rmse"] == pytest.approx(math.sqrt(np.mean((normalised - y) ** 2)) * spread, rel=1e-4)


def test_seasonal_naive_uses_the_season_found_or_given(small_csv):
    values, data = small_csv
    assert find_season(data.info, data.info.denormalize_y(data.y_train)) == 7  # the weekly cycle of _series
    found = evaluate(data.info, data.x_val, data.y_val, data.info.denormalize_y(data.y_val), y_train=data.y_train)
    assert found.season == 7 and "seasonal_naive" not in found.baselines  # a week ago is before the window
    assert any("longer window" in note for note in found.notes)
    given = evaluate(data.info, data.x_val, data.y_val, data.info.denormalize_y(data.y_val),
                     y_train=data.y_train, season=2)
    rows = given.rows
    expected = math.sqrt(np.mean((values[rows] - values[rows - 2]) ** 2))
    assert given.baselines["seasonal_naive"]["rmse"] == pytest.approx(expected, rel=1e-5)


def test_a_clear_season_is_found():
    info = DataInfo(task="sine", io_mode="many_to_one", kind=REGRESSION, input_kind="real", input_shape=(5, 1),
                    output_shape=(1,), target_names=["v"])
    t = np.arange(400)
    noisy = np.sin(2 * np.pi * t / 12) + np.random.default_rng(1).normal(0, 0.2, size=t.size)
    assert find_season(info, noisy[:, None]) == 12
    # A weekly cycle on a yearly swing: the week is the season, though the swing keeps the
    # autocorrelation high for months.
    days = np.arange(800)
    demand = 10 * np.sin(2 * np.pi * days / 365) + 2 * np.sin(2 * np.pi * days / 7)
    daily = dataclasses.replace(info, input_shape=(14, 1))  # two weeks in, so a week ago is known
    assert find_season(daily, (demand + np.random.default_rng(3).normal(0, 0.5, days.size))[:, None]) == 7
    assert find_season(info, np.cumsum(np.random.default_rng(2).normal(size=400))[:, None]) is None


def test_mape_is_left_out_with_a_reason_when_values_cross_zero():
    data = build_dataset(DatasetSpec(task="sine", params={"points": 200, "window": 10}), "many_to_one")
    evaluation = evaluate(data.info, data.x_val, data.y_val, data.y_val, y_train=data.y_train)
    assert evaluation.metrics["mape"] is None
    assert any("MAPE left out" in note for note in evaluation.notes)
    assert evaluation.metrics["rmse"] == 0 and evaluation.skill == 1.0  # a perfect model


def test_classification_scores_by_hand():
    names = ["a", "b", "c"]
    scores = classification_scores([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 0, 2], names)
    assert scores["accuracy"] == pytest.approx(4 / 6)
    assert scores["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert scores["per_class"]["b"] == {"precision": pytest.approx(2 / 3), "recall": 1.0,
                                        "f1": pytest.approx(0.8), "support": 2}
    assert scores["per_class"]["c"]["precision"] == 1.0 and scores["per_class"]["c"]["recall"] == 0.5


def test_test_split_comes_last_and_shares_no_row_with_validation():
    spec = DatasetSpec(task="sine", params={"points": 300, "window": 10}, validation_split=0.2, test_split=0.1)
    data = build_dataset(spec, "many_to_one")
    plain = build_dataset(DatasetSpec(task="sine", params={"points": 300, "window": 10}, validation_split=0.3),
                          "many_to_one")
    assert data.num_test > 0 and data.num_val > 0
    np.testing.assert_array_equal(data.x_train, plain.x_train)  # training ends where it would at 0.3 held out
    val = evaluate(data.info, data.x_val, data.y_val, data.y_val, y_train=data.y_train)
    test = evaluate(data.info, data.x_test, data.y_test, data.y_test, y_train=data.y_train, split="test",
                    first_index=data.test_offset)
    first_test_row = test.rows[0] - data.info.input_shape[0]  # the first row a test window reads
    assert val.rows[-1] < first_test_row
    assert test.rows[-1] == 299  # the test part runs to the end of the series


def test_a_test_split_that_leaves_no_validation_is_refused():
    with pytest.raises(SpecError, match="dataset.test_split"):
        DatasetSpec(task="sine", validation_split=0.6, test_split=0.4).validate()
    spec = DatasetSpec(task="sine", params={"points": 60, "window": 20}, validation_split=0.1, test_split=0.3)
    with pytest.raises(DatasetError, match="no validation sample is left"):
        build_dataset(spec, "many_to_one")


def test_time_axis_reads_dates_weeks_and_years():
    assert time_axis("date", ["2024-01-01", "2024-01-02"]).kind == DATETIME
    assert time_axis("day", ["20240101", "20240102"]).positions[1] - time_axis(
        "day", ["20240101", "20240102"]).positions[0] == 86400
    weeks = time_axis("week", ["2024-W01", "2024-W02"])
    assert weeks.kind == DATETIME and weeks.positions[1] - weeks.positions[0] == 7 * 86400
    assert time_axis("year", ["1999", "2000"]).kind == YEAR
    assert time_axis("when", ["soon", "later"]) is None
    assert time_axis("date", ["2024-01-02", "2024-01-01"]) is None  # back in time: rows are counted instead


# --- with trained models ---------------------------------------------------------------------

keras = pytest.importorskip("keras")


def _train(project: Project):
    from core.training import train

    data = build_dataset(project.dataset, project.model.io_mode)
    return data, train(project, data)


@pytest.fixture(scope="module")
def sine_run():
    project = Project(
        dataset=DatasetSpec(task="sine", params={"points": 500, "window": 20, "noise": 0.02, "components": 1},
                            validation_split=0.2, test_split=0.1),
        model=ModelSpec(cell="GRU", io_mode="many_to_one", units=16),
        training=TrainingSpec(epochs=5, learning_rate=0.01, batch_size=32, seed=1))
    return _train(project)


def test_a_model_that_learned_the_sine_beats_persistence(sine_run):
    data, result = sine_run
    for split in ("val", "test"):
        evaluation = evaluate_model(result.model, data, split)
        assert evaluation.n == len(data.split(split)[0])
        skill = 1 - evaluation.metrics["rmse"] / evaluation.baselines["persistence"]["rmse"]
        assert skill > 0.5, (split, evaluation.metrics["rmse"], evaluation.baselines)
        # A clean sine repeats itself: one season ago is a strong guess too, and the best baseline.
        assert evaluation.best_baseline in ("persistence", "seasonal_naive")
        best = evaluation.baselines[evaluation.best_baseline]["rmse"]
        assert evaluation.skill == pytest.approx(1 - evaluation.metrics["rmse"] / best)
    assert skill_sentence(evaluation).startswith(f"Skill {evaluation.skill:.3f}")
    assert [row.best for row in table_rows(evaluation)].count(True) == 1


def test_training_never_sees_the_test_part(sine_run):
    data, result = sine_run
    val_loss = result.history.epochs[-1]["val_loss"]
    mse = lambda x, y: float(np.mean((result.model.predict_on_batch(x).reshape(-1) - y.reshape(-1)) ** 2))  # noqa: E731
    assert mse(data.x_val, data.y_val) == pytest.approx(val_loss, rel=1e-3)
    both = mse(np.concatenate([data.x_val, data.x_test]), np.concatenate([data.y_val, data.y_test]))
    assert both != pytest.approx(val_loss, rel=1e-3)  # the history's validation holds no test window


def test_the_cooking_model_beats_the_majority_class():
    project = Project(
        dataset=DatasetSpec(task="cooking", params={"samples": 160, "days": 6}, validation_split=0.25),
        model=ModelSpec(cell="LSTM", io_mode="many_to_many", units=16),
        training=TrainingSpec(epochs=5, learning_rate=0.03, batch_size=16, seed=3))
    data, result = _train(project)
    evaluation = evaluate_model(result.model, data)
    majority = evaluation.baselines["majority"]["accuracy"]
    assert majority < 0.5
    assert evaluation.metrics["accuracy"] > majority + 0.2
    assert np.sum(evaluation.metrics["confusion"]) == data.y_val.size
    assert "previous_step" in evaluation.baselines
    assert evaluation.skill > 0
