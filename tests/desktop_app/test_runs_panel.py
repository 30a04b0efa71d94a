"""The runs table: what it shows, what selecting and its buttons ask the window to do."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from core.training import History
from desktop_app.runs_panel import COLUMNS, RunsPanel
from desktop_app.session import RunRecord, RunStatus

NAN_MESSAGE = ("Gradients exploded at epoch 2, batch 3: lower the learning rate or enable clipping "
               "(training.clip_mode)")


def project(cell: str, **training) -> Project:
    return Project(dataset=DatasetSpec("cooking"), model=ModelSpec(cell=cell, io_mode="many_to_many", units=16),
                   training=TrainingSpec(epochs=5, learning_rate=0.01, **training))


def record(run_id: str, cell: str, status: str = "completed", **kwargs) -> RunRecord:
    history = History(epochs=[{"loss": 1.0}] * 5) if status == "completed" else None
    metrics = {"loss": 0.2512, "val_loss": 0.3011, "accuracy": 0.95, "val_accuracy": 0.875}
    values = dict(run_id=run_id, label=f"#{run_id[-1]} {cell}", project=project(cell), status=RunStatus(status),
                  final_metrics=metrics if status == "completed" else {}, history=history, model=None,
                  info=None, message="")
    values.update(kwargs)
    return RunRecord(**values)


@pytest.fixture
def panel(show_widget):
    return show_widget(RunsPanel(), 820, 320)


def row_text(panel: RunsPanel, row: int) -> dict[str, str]:
    return {name: panel.table.item(row, column).text() for column, name in enumerate(COLUMNS)}


def click_row(qtbot, panel: RunsPanel, row: int, modifier=QtCore.Qt.KeyboardModifier.NoModifier) -> None:
    rect = panel.table.visualItemRect(panel.table.item(row, 0))
    qtbot.mouseClick(panel.table.viewport(), QtCore.Qt.MouseButton.LeftButton, modifier, rect.center())


def test_a_run_shows_its_settings_status_and_final_metrics(panel):
    assert panel.empty_label.isVisible() and not panel.table.isVisible()
    clipped = record("run-1", "LSTM", project=project("LSTM", clip_mode="global_norm", clip_value=1.0,
                                                       optimizer="rmsprop"))
    panel.add_run(clipped)
    assert panel.table.isVisible() and not panel.empty_label.isVisible()
    assert row_text(panel, 0) == {
        "Run": "#1 LSTM", "Task": "Cooking schedule", "Cell": "LSTM", "Mode": "many-to-many", "Optimizer": "rmsprop",
        "LR": "0.01",
        "Clip": "global 1", "Epochs": "5/5", "Status": "completed", "Loss": "0.2512", "Val loss": "0.3011",
        "Val acc. / MAE": "87.5 %",
    }

    regression = record("run-2", "GRU", final_metrics={"loss": 0.04, "val_loss": 0.05, "mae": 0.1, "val_mae": 0.12})
    panel.add_run(regression)
    assert row_text(panel, 1)["Val acc. / MAE"] == "0.12"
    assert [r.run_id for r in panel.records()] == ["run-1", "run-2"]


def test_status_updates_in_place_and_a_nan_run_explains_itself(panel):
    running = record("run-1", "SimpleRNN", status="running")
    panel.add_run(running)
    assert row_text(panel, 0)["Status"] == "running"
    assert row_text(panel, 0)["Loss"] == "–"

    # The window mutates its record and passes it again.
    running.status = RunStatus.NAN
    running.message = NAN_MESSAGE
    running.final_metrics = {"loss": float("nan")}
    panel.update_run(running)
    assert panel.table.rowCount() == 1
    status = panel.table.item(0, COLUMNS.index("Status"))
    assert status.text() == "NaN (exploded)"
    assert status.foreground().color().name() == "#b00020"
    assert row_text(panel, 0)["Loss"] == "NaN"
    for column in range(len(COLUMNS)):
        assert "lower the learning rate or enable clipping" in panel.table.item(0, column).toolTip()


def test_selecting_several_runs_emits_their_records(panel, qtbot):
    records = [record(f"run-{i}", cell) for i, cell in enumerate(("SimpleRNN", "LSTM", "GRU"), start=1)]
    for r in records:
        panel.add_run(r)

    with qtbot.waitSignal(panel.selection_changed) as blocker:
        click_row(qtbot, panel, 0)
    assert blocker.args[0] == [records[0]]
    with qtbot.waitSignal(panel.selection_changed) as blocker:
        click_row(qtbot, panel, 2, QtCore.Qt.KeyboardModifier.ControlModifier)
    assert blocker.args[0] == [records[0], records[2]]
    assert panel.selected_runs() == [records[0], records[2]]

    seen = []
    panel.selection_changed.connect(seen.append)
    panel.select_runs(["run-2", "run-3"])
    assert seen == [[records[1], records[2]]], "one signal for a programmatic selection"


def test_compare_button_asks_for_the_three_cells(panel, qtbot):
    button = panel.compare_button
    assert "SimpleRNN" in button.text() and "LSTM" in button.text() and "GRU" in button.text()
    with qtbot.waitSignal(panel.compare_cells_requested):
        qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)
    panel.set_compare_enabled(False, "a run is training")
    assert not button.isEnabled() and "a run is training" in button.toolTip()


def test_delete_removes_a_finished_run_but_not_a_running_one(panel, qtbot):
    done = record("run-1", "LSTM")
    running = record("run-2", "GRU", status="running")
    panel.add_run(done)
    panel.add_run(running)

    click_row(qtbot, panel, 1)
    assert not panel.delete_action.isEnabled()
    panel.delete_action.trigger()
    assert panel.table.rowCount() == 2

    click_row(qtbot, panel, 0)
    assert panel.delete_action.isEnabled()
    with qtbot.waitSignal(panel.run_deleted) as blocker:
        panel.delete_action.trigger()
    assert blocker.args[0] is done
    assert [r.run_id for r in panel.records()] == ["run-2"]
    assert row_text(panel, 0)["Run"] == "#2 GRU"


def test_the_table_fits_a_narrow_panel(panel, qtbot):
    panel.add_run(record("run-1", "LSTM"))
    panel.resize(400, 300)
    qtbot.wait(20)
    # Columns keep their content readable; a narrow panel scrolls sideways instead of eliding.
    assert panel.table.horizontalScrollBar().maximum() > 0
    item = panel.table.item(0, COLUMNS.index("Status"))
    width = panel.table.columnWidth(COLUMNS.index("Status"))
    assert panel.table.fontMetrics().horizontalAdvance(item.text()) <= width
