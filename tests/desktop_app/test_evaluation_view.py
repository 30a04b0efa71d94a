"""The Evaluation tab and the settings an imported file starts from, driven through the real window."""

from __future__ import annotations

import csv
import datetime
import re

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from core.datasets import build_dataset
from core.examples import EXAMPLES_DIR
from core.specs import DatasetSpec, Project
from tests.desktop_app.conftest import RUN_TIMEOUT_MS, has_data, set_dataset_param, train_and_wait


def _write_series_csv(path, rows: int = 220) -> None:
    start = datetime.date(2023, 1, 1)
    t = np.arange(rows)
    values = 20 + 8 * np.sin(2 * np.pi * t / 30) + np.random.default_rng(0).normal(0, 0.3, rows)
    lines = ["date,level"] + [f"{start + datetime.timedelta(days=int(i))},{v:.3f}" for i, v in zip(t, values)]
    path.write_text("\n".join(lines) + "\n")


def _import_csv(qtbot, window, path) -> None:
    window.dataset_panel.ask_open_file = lambda *args: (str(path), "")
    with qtbot.waitSignal(window.dataset_panel.dataset_changed, timeout=10000):
        qtbot.mouseClick(window.dataset_panel.import_csv_button, Qt.MouseButton.LeftButton)
    assert window.dataset_panel.current_data() is not None, window.dataset_panel.error_text()


def test_an_import_after_an_exploding_example_starts_from_settings_that_suit_the_data(qtbot, make_window, tmp_path):
    window = make_window(load_tensorflow=False)
    # The exploding examples train a ReLU SimpleRNN, by SGD at 0.5 without clipping in the untamed one.
    assert window.document.open_example(EXAMPLES_DIR / "exploding_gradients.json")
    before = window.current_project()
    assert (before.model.cell, before.model.activation, before.training.optimizer) == ("SimpleRNN", "relu", "sgd")
    csv_path = tmp_path / "levels.csv"
    _write_series_csv(csv_path)
    _import_csv(qtbot, window, csv_path)

    project = window.current_project()
    assert project.dataset.task == "csv"
    assert (project.model.cell, project.model.activation) == ("LSTM", "tanh")
    assert (project.training.optimizer, project.training.learning_rate) == ("adam", 0.003)
    assert project.training.clip_mode == "global_norm" and project.training.early_stopping
    assert 10 <= project.training.epochs <= 100
    notice = window.import_settings.notice
    assert notice.isVisible() and "suited to your data" in notice.label.text()
    assert "Adam" in notice.label.text()

    # One click puts the user's own (here: the example's) settings back.
    qtbot.mouseClick(notice.restore_button, Qt.MouseButton.LeftButton)
    restored = window.current_project()
    assert (restored.model.cell, restored.model.activation) == ("SimpleRNN", "relu")
    assert (restored.training.optimizer, restored.training.learning_rate) == ("sgd", before.training.learning_rate)
    assert restored.dataset.task == "csv" and not notice.isVisible()


def test_evaluation_after_a_run_shows_baselines_and_a_forecast_on_the_files_dates(qtbot, make_window, tmp_path):
    window = make_window()
    csv_path = tmp_path / "levels.csv"
    _write_series_csv(csv_path)
    _import_csv(qtbot, window, csv_path)
    set_dataset_param(qtbot, window, "window", 10)
    set_dataset_param(qtbot, window, "test_split", 0.15)
    window.training_panel.epochs_spin.setValue(3)
    window.architecture_panel.units_spin.setValue(8)
    view = window.evaluation_view
    record = train_and_wait(qtbot, window)
    assert record.status in ("completed", "early_stopping"), record.message
    window.tabs.setCurrentWidget(window.evaluation_page)  # the run showed its plots; the user looks at the evaluation
    qtbot.waitUntil(lambda: bool(view.evaluations), timeout=RUN_TIMEOUT_MS)

    # The table: the model and the baselines, exactly one marked best, with its skill in words.
    assert set(view.evaluations) == {"val", "test"}
    titles = [view.table.item(r, 0).text() for r in range(view.table.rowCount())]
    assert titles[0] == "Model" and any(t.startswith("Persistence") for t in titles)
    best = view.best_row()
    assert best >= 1 and "★ best baseline" in titles[best]
    assert titles.count(titles[best]) == 1 and sum("★" in t for t in titles) == 1
    assert view.skill_label.text().startswith("Skill ")
    # RMSE in the file's units (the level swings by ±8 around 20), not normalised ones.
    assert 0.05 < view.current().metrics["rmse"] < 30

    # The plot: the held-out period along the file's dates, with the draggable forecast.
    plot = view.series_plot
    assert isinstance(plot.item.getAxis("bottom"), pg.DateAxisItem)
    assert has_data(plot.widget)
    steps = view.steps_spin.value()
    assert len(plot.forecast_curve.getData()[0]) == steps + 1
    assert plot.origin_value() is not None
    test_rows = view.evaluations["test"].rows
    values = view.forecast_from_row(int(test_rows[0]) - 1)
    assert len(values) == steps + 1 and np.all(np.isfinite(values))
    assert "test part" in view.forecast_label.text()

    # Both parts can be shown; exports write the image and the points.
    view.split_combo.setCurrentIndex(view.split_combo.findData("test"))
    assert view.title_label.text().startswith("<b>Test part</b>")
    view.export_png(str(tmp_path / "evaluation.png"))
    view.export_csv(str(tmp_path / "evaluation.csv"))
    assert (tmp_path / "evaluation.png").stat().st_size > 1000
    with open(tmp_path / "evaluation.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["part", "data row", "date", "actual"]
    assert {row[0] for row in rows[1:]} == {"val", "test"}

    # A reopened bundle is evaluated again, on its own project's data.
    scores = view.evaluations["val"].metrics["rmse"]
    assert window.document.save_bundle_to(tmp_path / "levels.rnnlab")
    assert window.document.open_path(tmp_path / "levels.rnnlab", confirm=False)
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: bool(view.evaluations), timeout=RUN_TIMEOUT_MS)
    assert window.session.current is not record
    assert view.evaluations["val"].metrics["rmse"] == pytest.approx(scores, rel=1e-4)


class _CookingOracle:
    """A stand-in model that knows the cooking rule (the view only calls predict_on_batch)."""

    output_shape = (None, 6, 3)

    def predict_on_batch(self, x):
        x = np.asarray(x)
        before = np.argmax(x[:, 0, 2:5], axis=1)
        dish = (before[:, None] + np.cumsum(x[:, :, 1] > 0.5, axis=1)) % 3
        dish[:, -1] = 0  # wrong on every last day, so the matrix has an off-diagonal column
        return np.eye(3, dtype=np.float32)[dish]


def test_classes_show_a_confusion_heat_map(qtbot, show_widget):
    from desktop_app.evaluation import EvaluationView

    spec = DatasetSpec(task="cooking", params={"samples": 120, "days": 6})
    data = build_dataset(spec, "many_to_many")
    view = show_widget(EvaluationView(), 900, 700)
    with qtbot.waitSignal(view.evaluated, timeout=10000):
        view.set_run(_CookingOracle(), data.info, Project(dataset=spec), data)
    counts = view.confusion_plot.counts
    assert counts.sum() == data.y_val.size
    assert np.trace(counts) == np.sum(data.y_val[:, :-1] == data.y_val[:, :-1]) + np.sum(data.y_val[:, -1] == 0)
    assert view.plots.currentWidget() is view.confusion_plot
    assert view.class_table.isVisible() and view.class_table.rowCount() == 3
    assert view.current().metrics["accuracy"] > view.current().baselines["majority"]["accuracy"]
    # Scores bounded by 1 line up with three decimals ("1" beside "0.1672" read as a count), accuracy in percent.
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    column = {name: [view.table.item(r, headers.index(name)).text() for r in range(view.table.rowCount())]
              for name in ("Accuracy", "Macro F1")}
    assert all(re.fullmatch(r"[01]\.\d{3}", text) for text in column["Macro F1"]), column
    assert all(re.fullmatch(r"\d{1,3}\.\d %", text) for text in column["Accuracy"]), column
    scores = [view.class_table.item(r, c).text() for r in range(3) for c in (1, 2, 3)]
    assert all(re.fullmatch(r"[01]\.\d{3}", text) for text in scores), scores
    assert not view.steps_spin.isVisible()


def test_evaluation_waits_while_a_run_trains(qtbot, show_widget):
    from desktop_app.evaluation import EvaluationView
    from desktop_app.evaluation.view import BUSY

    spec = DatasetSpec(task="cooking", params={"samples": 120, "days": 6})
    data = build_dataset(spec, "many_to_many")
    view = show_widget(EvaluationView(), 900, 700)
    view.set_busy(True)
    view.set_run(_CookingOracle(), data.info, Project(dataset=spec), data)
    qtbot.wait(50)
    assert not view.evaluations and view.banner.text() == BUSY
    with qtbot.waitSignal(view.evaluated, timeout=10000):
        view.set_busy(False)
    assert view.evaluations["val"].n == data.num_val
