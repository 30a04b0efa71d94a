"""The predict panel with small models really trained by core.training (a few steps each)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from core.datasets import build_dataset
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from desktop_app.predict_panel import BUSY_NOTE, NO_MODEL_NOTE, PredictPanel

DISHES = ("ice cream", "french fries", "pizza")


def _trained(task: str, params: dict, mode: str, cell: str = "GRU", epochs: int = 1):
    from core.training import train

    project = Project(dataset=DatasetSpec(task, params), model=ModelSpec(cell=cell, io_mode=mode, units=8),
                      training=TrainingSpec(epochs=epochs, batch_size=32, learning_rate=0.05, seed=1))
    data = build_dataset(project.dataset, mode)
    return train(project, data).model, data


@pytest.fixture(scope="module")
def cooking():
    return _trained("cooking", {"samples": 60}, "many_to_many", cell="LSTM", epochs=2)


@pytest.fixture
def panel(show_widget):
    return show_widget(PredictPanel(), 640, 900)


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)


def test_a_validation_sample_shows_words_and_probabilities(panel, qtbot, cooking):
    from core import inference

    model, data = cooking
    info = data.info
    panel.set_model(model, info, data)
    assert not panel.note_label.isVisible()
    assert panel.sample_spin.maximum() == data.num_val - 1
    panel.sample_spin.setValue(2)
    click(qtbot, panel.predict_button)

    x, y = data.sample(2)
    probs = inference.predict(model, info, x[None])[0]
    predicted = [DISHES[i] for i in probs.argmax(-1)]
    assert info.decode_input(x) in panel.input_label.text()
    assert "sunny" in panel.input_label.text() or "rainy" in panel.input_label.text()
    assert ", ".join(predicted) in panel.output_label.text()
    right = int((probs.argmax(-1) == y).sum())
    assert f"({right} of {len(y)} steps right)" in panel.output_label.text()
    assert ", ".join(DISHES[i] for i in y) in panel.target_label.text()

    table = panel.step_table
    assert table.isVisible() and table.rowCount() == len(y)
    for row in range(table.rowCount()):
        assert table.item(row, 1).text() == predicted[row]
        assert table.item(row, 3).text() == DISHES[y[row]]
        assert table.item(row, 4).text() == ("✓" if predicted[row] == DISHES[y[row]] else "✗")

    # The chart shows the last step first: every dish, probabilities summing to one.
    shown = panel.shown_probabilities()
    assert sorted(shown) == sorted(DISHES)
    assert sum(shown.values()) == pytest.approx(1.0, abs=1e-5)
    assert shown == pytest.approx({DISHES[i]: float(p) for i, p in enumerate(probs[-1])}, abs=1e-6)
    assert "step 7" in panel.prob_title.text()

    rect = table.visualItemRect(table.item(0, 0))
    qtbot.mouseClick(table.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=rect.center())
    assert "step 1" in panel.prob_title.text()
    assert panel.shown_probabilities() == pytest.approx({DISHES[i]: float(p) for i, p in enumerate(probs[0])},
                                                        abs=1e-6)


def test_a_typed_sequence_is_predicted_and_a_bad_word_is_named(panel, qtbot, cooking):
    model, data = cooking
    panel.set_model(model, data.info, data)
    assert "sunny" in panel.input_edit.placeholderText() or "rainy" in panel.input_edit.placeholderText()

    qtbot.keyClicks(panel.input_edit, "pizza: sunny, rainy, cloudy")
    qtbot.keyClick(panel.input_edit, QtCore.Qt.Key.Key_Return)
    assert panel.error_label.isVisible()
    assert "'cloudy'" in panel.error_label.text()
    assert "b00020" in panel.error_label.styleSheet()
    assert panel.prediction() is None

    panel.input_edit.clear()
    assert not panel.error_label.isVisible()
    qtbot.keyClicks(panel.input_edit, "pizza: sunny, rainy, rainy, sunny, rainy, sunny, sunny")
    click(qtbot, panel.predict_typed_button)
    assert not panel.error_label.isVisible()
    assert "Typed sequence" in panel.result_box.title()
    assert "starts after pizza" in panel.input_label.text()
    words = panel.output_label.text().split("</b>")[1].split(",")
    assert len(words) == 7 and all(w.strip() in DISHES for w in words)
    assert not panel.target_label.isVisible()
    assert sum(panel.shown_probabilities().values()) == pytest.approx(1.0, abs=1e-5)


def test_busy_disables_everything_until_training_ends(panel, qtbot, cooking):
    model, data = cooking
    panel.set_model(model, data.info, data)
    panel.set_busy(True)
    assert panel.note_label.isVisible() and panel.note_label.text() == BUSY_NOTE
    for widget in (panel.predict_button, panel.sample_spin, panel.input_edit):
        assert not widget.isEnabled()
    click(qtbot, panel.predict_button)
    assert panel.prediction() is None

    panel.set_busy(False)
    assert not panel.note_label.isVisible() and panel.predict_button.isEnabled()
    panel.clear()
    assert panel.note_label.text() == NO_MODEL_NOTE and not panel.predict_button.isEnabled()


def test_without_data_only_a_typed_sequence_can_be_predicted(panel, qtbot, cooking):
    model, data = cooking
    panel.set_model(model, data.info, None)
    assert not panel.predict_button.isEnabled() and not panel.sample_spin.isEnabled()
    assert "no validation data" in panel.sample_count_label.text()
    panel.predict_text("ice cream: " + ", ".join(["rainy"] * 7))
    assert panel.prediction() is not None and panel.step_table.rowCount() == 7
    assert not panel.generate_box.isVisible(), "the cooking task generates nothing"


def test_text_generation_writes_the_asked_length(panel, qtbot):
    model, data = _trained("text", {"window": 10, "stride": 40}, "many_to_one")
    panel.set_model(model, data.info, data)
    assert panel.generate_box.isVisible() and panel.temperature_spin.isVisible()
    assert panel.seed_edit.text(), "the seed starts as an example from the text"
    panel.length_spin.setValue(25)
    panel.temperature_spin.setValue(0.5)
    click(qtbot, panel.generate_button)
    assert not panel.generate_error.isVisible()
    assert len(panel.generated) == 25
    assert panel.generated_text.toPlainText().endswith(panel.generated)

    panel.seed_edit.setText("\u00a7\u00a7\u00a7")  # characters the model never saw
    click(qtbot, panel.generate_button)
    assert panel.generate_error.isVisible() and "never saw" in panel.generate_error.text()

    click(qtbot, panel.predict_button)
    shown = panel.shown_probabilities()
    assert 1 <= len(shown) <= 10 and all(0 <= p <= 1 for p in shown.values())


def test_a_series_shows_prediction_against_target_and_continues(panel, qtbot):
    model, data = _trained("sine", {"points": 120, "window": 10}, "many_to_one")
    panel.set_model(model, data.info, data)
    assert panel.generate_box.isVisible() and not panel.temperature_spin.isVisible()
    click(qtbot, panel.predict_button)
    assert panel.value_plot.isVisible() and not panel.class_view.isVisible()
    items = {item.name(): item for item in panel.value_plot.getPlotItem().listDataItems()}
    assert set(items) == {"input", "target", "prediction"}
    x, y = data.sample(0)
    np.testing.assert_allclose(items["input"].getOriginalDataset()[1], x[:, 0], rtol=1e-6)
    # Many-to-one forecasts the step after the window: t = window + 1.
    assert items["target"].getOriginalDataset()[0].tolist() == [11]
    assert items["target"].getOriginalDataset()[1][0] == pytest.approx(float(y[0]), rel=1e-5)
    assert items["prediction"].getOriginalDataset()[1][0] == pytest.approx(
        float(panel.prediction().output.reshape(-1)[0]), rel=1e-6)

    panel.length_spin.setValue(12)
    click(qtbot, panel.generate_button)
    assert not panel.generate_error.isVisible()
    assert panel.generated_values.shape == (12, 1)
    curves = {item.name(): item for item in panel.series_plot.getPlotItem().listDataItems()}
    assert set(curves) == {"seed", "generated"}
    steps, values = curves["generated"].getOriginalDataset()
    # Joined to the seed's last point, then the twelve generated steps.
    assert steps.tolist() == list(range(10, 23))
    np.testing.assert_allclose(values[1:], panel.generated_values[:, 0], rtol=1e-6)


def test_a_csv_series_predicting_its_own_column_generates_as_in_the_command_line(panel, qtbot):
    params = {"path": "builtin:daily_weather", "feature_columns": ["high"], "target_column": "high", "window": 8}
    model, data = _trained("csv", params, "many_to_one")
    panel.set_model(model, data.info, data)
    assert panel.generate_box.isVisible() and not panel.temperature_spin.isVisible()
    panel.length_spin.setValue(5)
    click(qtbot, panel.generate_button)
    assert not panel.generate_error.isVisible(), panel.generate_error.text()
    assert panel.generated_values.shape == (5, 1)
    curves = {item.name(): item for item in panel.series_plot.getPlotItem().listDataItems()}
    assert set(curves) == {"seed", "generated"}
    # The seed is drawn in degrees, as in the file, not in the model's normalised units.
    seed_values = curves["seed"].getOriginalDataset()[1]
    np.testing.assert_allclose(seed_values, data.info.denormalize_x(data.sample(0)[0])[:, 0], rtol=1e-6)
    assert 0 < seed_values.min() and seed_values.max() < 120


def test_a_csv_series_with_other_inputs_offers_no_generation(panel):
    params = {"path": "builtin:daily_weather", "feature_columns": ["high", "wind"], "target_column": "high",
              "window": 8}
    model, data = _trained("csv", params, "many_to_one")
    panel.set_model(model, data.info, data)
    assert not panel.generate_box.isVisible()
    assert panel.input_edit.isEnabled()
