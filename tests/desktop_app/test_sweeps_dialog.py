"""Run › Sweep…, driven as a user would: pick fields, type or generate values, see the count and
the time, have a bad value named with Start disabled; and, in the window, a real two-trial sweep
from the dialog to the Sweeps tab, whose trials open into the Runs list."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from desktop_app.sweeps.dialog import SweepDialog
from tests.desktop_app.conftest import configure_tiny_cooking


def adding_project() -> Project:
    return Project(name="adding", dataset=DatasetSpec(task="adding", params={"length": 10, "samples": 64}),
                   model=ModelSpec(cell="LSTM", io_mode="many_to_one", units=4),
                   training=TrainingSpec(epochs=2, batch_size=16))


@pytest.fixture
def dialog(qtbot, tmp_path):
    shown = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "sweep")
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_typed_values_and_seeds_make_the_trial_count_and_an_estimated_time(qtbot, dialog):
    cells = dialog.rows[0]
    assert cells.field().dotted == "model.cell" and cells.values_edit.text() == "SimpleRNN, LSTM, GRU"
    assert dialog.summary_label.text().startswith("6 trials")  # 3 cells x seeds 0, 1

    cells.values_edit.setText("SimpleRNN, GRU")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    lengths = dialog.rows[1]
    lengths.field_combo.setCurrentIndex(lengths.field_combo.findText("Dataset › Sequence length T"))
    lengths.values_edit.setText("10, 25, 50")
    assert dialog.summary_label.text().startswith("12 trials")
    with qtbot.waitSignal(dialog.estimated, timeout=5000):
        dialog.seeds_edit.setText("0")
    assert dialog.summary_label.text().startswith("6 trials, 2 at once · about ")
    assert dialog.start_button.isEnabled() and not dialog.message.isVisible()

    qtbot.mouseClick(cells.remove_button, Qt.MouseButton.LeftButton)
    assert len(dialog.rows) == 1 and dialog.summary_label.text().startswith("3 trials")

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    request = dialog.request()
    assert dialog.result() == SweepDialog.DialogCode.Accepted
    assert dict(request.spec.grid) == {"dataset.params.length": [10, 25, 50]} and request.spec.seeds == (0,)
    assert request.spec.project.model.units == 4 and request.engine == "local"


def test_a_bad_value_is_named_and_start_waits_until_it_is_fixed(qtbot, dialog):
    units = dialog.add_row("model.units", "8, 16")
    assert dialog.start_button.isEnabled()

    units.values_edit.setText("8, 1x6")
    assert "Architecture › Units: “1x6” is not a number" in dialog.message.plain_text()
    assert not dialog.start_button.isEnabled() and dialog.summary_label.text() == ""

    units.values_edit.setText("8, 0")
    assert dialog.message.plain_text() == ("Architecture › Units: expected a whole number from 1 to 4096, "
                                           "received 0")
    assert not dialog.start_button.isEnabled()

    dialog.seeds_edit.setText("0, 0")
    units.values_edit.setText("8, 16")
    assert "Seeds" in dialog.message.plain_text() and "without repeats" in dialog.message.plain_text()
    dialog.seeds_edit.setText("0, 1")
    assert dialog.start_button.isEnabled() and dialog.summary_label.text().startswith("12 trials")


def test_values_generated_on_a_log_scale_and_a_random_range(qtbot, dialog):
    rate = dialog.add_row("training.learning_rate")
    qtbot.mouseClick(rate.generate_button, Qt.MouseButton.LeftButton)
    assert rate.scale_combo.currentText() == "log"  # the learning rate is a log-scale field
    rate.low_edit.setText("0.001")
    rate.high_edit.setText("0.1")
    assert rate.values_edit.text() == "0.001, 0.01, 0.1"
    assert dialog.summary_label.text().startswith("18 trials")

    rate.how_combo.setCurrentIndex(rate.how_combo.findData("random"))
    assert rate.distribution_combo.currentData() == "loguniform" and not rate.values_edit.isVisible()
    dialog.samples_spin.setValue(4)
    assert dialog.summary_label.text().startswith("24 trials")  # 3 cells x 4 draws x 2 seeds
    rate.high_edit.setText("0.0001")
    assert "Learning rate" in dialog.message.plain_text() and "low < high" in dialog.message.plain_text()
    assert not dialog.start_button.isEnabled()


def test_a_folder_that_holds_a_sweep_asks_for_resume(qtbot, dialog, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "sweep.json").write_text("{}")
    dialog.folder_edit.setText(str(tmp_path / "old"))
    assert "already holds a sweep" in dialog.message.plain_text() and not dialog.start_button.isEnabled()
    dialog.resume_check.setChecked(True)
    assert dialog.start_button.isEnabled() and dialog.request().resume

    dialog.folder_edit.setText("")
    assert "Choose an output folder" in dialog.message.plain_text()


def test_ray_takes_an_address_and_early_stopping_or_says_how_to_install_it(dialog):
    assert not dialog.address_edit.isEnabled() and not dialog.asha_check.isEnabled()  # local: neither applies
    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("ray"))
    dialog.address_edit.setText("ray://head:10001")
    dialog.asha_check.setChecked(True)
    if importlib.util.find_spec("ray") is None:
        assert "pip install 'rnn-lab[ray]'" in dialog.message.plain_text() and not dialog.start_button.isEnabled()
        return
    request = dialog.request()
    assert (request.engine, request.address, request.spec.scheduler) == ("ray", "ray://head:10001", "asha")


def test_a_sweep_started_from_the_window_fills_the_tab_and_its_trials_open_as_runs(qtbot, make_window, tmp_path):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, cell="GRU", units=4)
    commands = window.sweeps
    window.action_sweep.trigger()
    dialog = commands.dialog
    qtbot.waitExposed(dialog)
    dialog.rows[0].values_edit.setText("SimpleRNN, GRU")
    dialog.seeds_edit.setText("3")
    dialog.folder_edit.setText(str(tmp_path / "cells"))
    dialog.concurrent_spin.setValue(1)  # one worker process: one TensorFlow import on a busy test machine
    assert dialog.summary_label.text().startswith("2 trials, 1 at once")

    view = commands.view
    with qtbot.waitSignal(view.sweep_ended, timeout=120000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is view
    assert [view.model.trial_row(r).status for r in range(2)] == ["completed", "completed"], \
        [view.model.trial_row(r).error for r in range(2)]
    assert len(view.parallel.trial_lines) == 2 and "2 of 2 completed" in view.progress_label.text()

    runs_before = len(window.session.records())
    for row in range(2):
        index = view.proxy.index(row, 0)
        center = view.table.visualRect(index).center()
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.waitUntil(lambda n=row: len(window.session.records()) == runs_before + n + 1, timeout=30000)
    opened = window.session.records()[runs_before:]
    assert all(record.status == "loaded" and record.history is not None for record in opened)
    assert sorted(record.project.model.cell for record in opened) == ["GRU", "SimpleRNN"]
    assert all(str(tmp_path / "cells" / "trials") in record.saved_path for record in opened)

    # Overlaid as any two runs: selected in the Runs table, both show in the plots.
    window.runs_panel.select_runs([record.run_id for record in opened])
    assert sorted(window.plots.shown_runs()) == sorted(record.run_id for record in opened)
    # The last one opened is the current model: the Memory tab runs samples through it, Evaluation scores it.
    assert window.session.current is opened[-1]
    assert window.memory_tab.picker.show_button.isEnabled()
    window.tabs.setCurrentWidget(window.evaluation_view)
    qtbot.waitUntil(lambda: window.evaluation_view.current() is not None, timeout=30000)

    # File › Open Sweep Folder… shows it again from its folder.
    commands.ask_folder = lambda *_args: str(tmp_path / "cells")
    window.action_open_sweep.trigger()
    assert window.tabs.currentWidget() is view and view.model.rowCount() == 2
    assert "2 of 2 completed" in window.statusBar().currentMessage()


def test_after_opening_an_example_the_sweep_folder_is_not_inside_the_app(qtbot, make_window, isolated_settings,
                                                                          tmp_path):
    from core.examples import EXAMPLES_DIR

    isolated_settings.set_last_directory(tmp_path / "mine.rnnlab")
    window = make_window(load_tensorflow=False)
    assert window.document.open_path(str(EXAMPLES_DIR / "cooking_3_units.json"))
    window.action_sweep.trigger()
    dialog = window.sweeps.dialog
    assert Path(dialog.folder_edit.text()).parent == tmp_path
    dialog.reject()
