"""The finish of the window, tried as a new user would: quitting while a run trains, the title,
fields named as the panels name them, the Runs table's task, the plots at a small size, and
the exports (ONNX, TensorBoard, the normalisation next to an exported .keras)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout

from core.exports import ONNX_METADATA_KEY
from core.field_titles import field_title
from core.history import History
from core.models import build_model
from core.specs import DatasetSpec, Project
from desktop_app import dialogs, exporting
from desktop_app.plots.style import log_ticks
from desktop_app.session import RunStatus
from tests.desktop_app.conftest import (
    RUN_TIMEOUT_MS,
    cell_text,
    close_message_boxes,
    configure_tiny_cooking,
    shown_message_boxes,
    shown_title,
    status_text,
    train_and_wait,
)


def _weather_model_run(window, *, history=None):
    """A weather model (normalised inputs and targets) in the window as the current run, untrained."""
    project = Project(dataset=DatasetSpec(task="weather")).with_field("model.io_mode", "many_to_one")
    project = project.with_field("model.units", 4)
    window.set_project(project, name="weather")
    data = window.current_data()
    model = build_model(project.model, data.info)
    record = window.session.add_run(project, "GRU", RunStatus.LOADED, model=model, info=data.info, history=history)
    window.session.set_current(record)
    return record, data


# --- quitting while a run trains ---------------------------------------------------------------


def test_ctrl_q_while_training_pauses_asks_once_then_resumes_or_stops_and_quits(qtbot, make_window, prompt_answers,
                                                                               monkeypatch):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, batch=16, units=4)
    train_and_wait(qtbot, window)  # an unsaved trained model, which the question must name
    configure_tiny_cooking(qtbot, window, epochs=500, samples=200, batch=4, units=4)
    batches = []
    window.session.batch_ended.connect(lambda _run, event: batches.append(event))
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(batches) >= 2, timeout=RUN_TIMEOUT_MS)
    running = window.session.active_record()

    answers, asked = prompt_answers
    fake = dialogs.ask_quit_while_training
    seen = []

    def prompt(parent, what):
        # What the user sees while the question is open: the run paused, nothing training behind it
        # (once the batches already under way, at most two, have arrived).
        qtbot.wait(500)
        count = len(batches)
        qtbot.wait(800)
        seen.append((window.session.state(), len(batches) - count))
        return fake(parent, what)

    monkeypatch.setattr(dialogs, "ask_quit_while_training", prompt)
    assert window.action_quit.shortcut().toString() == "Ctrl+Q"
    answers.append("resume")
    window.action_quit.trigger()
    assert window.isVisible() and window.session.is_training()
    assert seen[0] == ("paused", 0)
    assert len(asked) == 1
    assert f"Run {running.label} is training; it is paused while you decide" in asked[0]
    assert "Also not saved: the trained model of run #1 LSTM" in asked[0]
    # Resumed: it trains on.
    assert window.session.state() == "running"
    resumed_at = len(batches)
    qtbot.waitUntil(lambda: len(batches) > resumed_at + 2, timeout=RUN_TIMEOUT_MS)

    answers.append("quit")
    with qtbot.waitSignal(window.session.run_ended, timeout=RUN_TIMEOUT_MS) as ended:
        window.action_quit.trigger()
    assert not window.isVisible()
    assert ended.args[0].status == "stopped"
    assert len(asked) == 2  # one question per Ctrl+Q, no unsaved-changes prompt after it
    assert not window.session.worker.thread_handle.isRunning()


def test_main_py_given_a_project_file_opens_the_window_with_it(tmp_path):
    """What a launcher's "Open with" (the .desktop entry's %f) runs; it was taken for a command."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    project = tmp_path / "sunspots.json"
    project.write_text(Project(name="sunspots").to_json())
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RNN_LAB_QUIT_WHEN_SHOWN": "1",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, str(root / "main.py"), str(project)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RNN_LAB_WINDOW_SHOWN" in done.stdout and "invalid choice" not in done.stderr


# --- the title and the fields' names -----------------------------------------------------------


def test_the_title_names_the_project_once_and_dialogs_do_not_repeat_the_app(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    assert shown_title(window) == "RNN Lab"
    window.set_project(Project(), name="sunspots")
    assert shown_title(window) == "sunspots — RNN Lab"
    window.training_panel.epochs_spin.setValue(window.training_panel.epochs_spin.value() + 1)
    assert shown_title(window) == "sunspots* — RNN Lab"
    assert shown_title(window).count("RNN Lab") == 1

    window.action_about.trigger()
    window.show_error("Cannot train yet", "something")
    boxes = shown_message_boxes(window)
    assert {shown_title(box) for box in boxes} == {"About — RNN Lab", "Cannot train yet — RNN Lab"}
    close_message_boxes(window)


def test_fields_are_named_as_the_panels_name_them(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    # The title is what the window shows: the dock's title and the label next to the control.
    combo = window.training_panel.clip_combo
    form = combo.parentWidget().layout()
    assert isinstance(form, QFormLayout)
    label = form.labelForField(combo).text().rstrip(":")
    assert field_title("training.clip_mode") == f"{window.docks['training'].windowTitle()} › {label}"
    assert field_title("dataset.params.window", "weather") == "Dataset › Days seen"
    assert field_title("model.keras") == "model.keras"  # not a field: left alone

    # A message from core, as the window shows it.
    window.show_error("Training stopped", "lower the learning rate (training.learning_rate) or enable "
                       "clipping (training.clip_mode); model.keras stays")
    assert window.last_message[1] == ("lower the learning rate (Training › Learning rate) or enable clipping "
                                      "(Training › Gradient clipping); model.keras stays")
    window.show_status("model.units: expected a whole number from 1 to 4096, received 0")
    assert status_text(window).startswith("Architecture › Units: expected")
    # About a project file, the key to look for in it stays, with the panel's name.
    window.show_error("Cannot open the project", "/tmp/p.json: model.cell: expected one of SimpleRNN, LSTM, GRU")
    assert window.last_message[1] == "/tmp/p.json: model.cell (Architecture › Cell): expected one of SimpleRNN, LSTM, GRU"
    close_message_boxes(window)


# --- the Runs table ----------------------------------------------------------------------------


def test_runs_of_different_tasks_differ_in_the_runs_table(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    for task in ("cooking", "sine"):
        project = Project(dataset=DatasetSpec(task=task)).with_field("model.io_mode", "many_to_one" if task == "sine"
                                                                      else "many_to_many")
        window.session.add_run(project, "LSTM", RunStatus.LOADED)
    assert [cell_text(window, row, "Task") for row in (0, 1)] == ["Cooking schedule", "Sine waves"]
    assert [cell_text(window, row, "Cell") for row in (0, 1)] == ["LSTM", "LSTM"]


# --- the plots at 1024 x 700 -------------------------------------------------------------------


def _history(epochs: int, batches_per_epoch: int, flow: list[list[float]]) -> History:
    return History(
        epochs=[{"loss": 1.0 / e, "val_loss": 1.1 / e, "mae": 0.8 / e, "val_mae": 0.9 / e} for e in range(1, epochs + 1)],
        batch_loss=list(np.linspace(1.2, 0.2, epochs * batches_per_epoch)), batches_per_epoch=batches_per_epoch,
        layer_norms={"rnn_1": [0.5] * (epochs * batches_per_epoch), "head": [0.2] * (epochs * batches_per_epoch)},
        gradient_flow=flow)


def test_at_1024_by_700_legends_leave_the_curves_and_labels_are_whole(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    window.resize(1024, 700)
    plots = window.plots
    window.tabs.setCurrentWidget(plots)
    # A flat gradient profile: within one decade, which showed one tick label or none.
    plots.load_history("r1", "#1 GRU", _history(4, 10, [[0.0072, 0.0078, 0.0083, 0.0088]] * 4), "regression")
    plots.show_runs(["r1"])
    plots.redraw_now()
    for name, widget in plots.plot_items().items():
        _show_plot(qtbot, plots, widget)
        item = widget.getPlotItem()
        view = item.getViewBox().sceneBoundingRect()
        legend = item.legend.sceneBoundingRect()
        # Right of the curves, whose newest points sit at the view's right edge.
        assert legend.left() >= view.right() - 1 and legend.width() > 0, (name, legend, view)
        axis = item.getAxis("left")
        # The rotated title fits the axis' height (at 1024 x 700 "MAE (normalised target units)" did not).
        assert axis.label.boundingRect().width() <= axis.geometry().height(), (name, axis.labelText)
    flow_axis = plots.plot_items()["flow"].getPlotItem().getAxis("left")
    low, high = flow_axis.range
    labels = [text for spacing, values in flow_axis.tickValues(low, high, flow_axis.geometry().height())
              for text in flow_axis.tickStrings(values, 1.0, spacing) if text]
    assert len(labels) >= 2, labels


def _show_plot(qtbot, plots, widget) -> None:
    """Bring the tab holding ``widget`` to the front and let it lay out."""
    from PySide6.QtWidgets import QTabWidget

    for tabs in plots.findChildren(QTabWidget):
        for index in range(tabs.count()):
            if tabs.widget(index).isAncestorOf(widget):
                tabs.setCurrentIndex(index)
    qtbot.waitUntil(widget.isVisible, timeout=3000)
    qtbot.wait(50)


@pytest.mark.parametrize("low, high, at_least", [
    (np.log10(0.0072), np.log10(0.0088), 2),  # a flat profile: a few percent
    (np.log10(0.3), np.log10(0.9), 3),  # within one decade
    (np.log10(2e-3), np.log10(4e-2), 2),
    (-7.0, -1.0, 3),
])
def test_log_axes_label_at_least_two_values_at_any_span(low, high, at_least):
    labelled, _minor = log_ticks(low, high, max_labels=6)
    assert at_least <= len(labelled) <= 6
    assert all(low - 1e-9 <= v <= high + 1e-9 for v in labelled)


# --- exports -----------------------------------------------------------------------------------


def test_exports_from_the_window_keep_the_normalisation_match_keras_in_onnx_and_hold_the_losses(
        qtbot, make_window, tmp_path, monkeypatch):
    """The three exports of one run (one window, one model: each export only reads the run): the
    .keras with its normalisation next to it, ONNX checked against Keras, TensorBoard's losses."""
    import onnx
    import tensorflow as tf

    window = make_window()
    record, data = _weather_model_run(window, history=_history(2, 3, [[1.0, 2.0], [1.0, 1.0]]))

    # .keras: the model expects normalised inputs, so the statistics go next to it.
    target = tmp_path / "weather.keras"
    assert window.document.export_keras(target), window.last_message
    facts = json.loads((tmp_path / "weather.keras.data.json").read_text())
    assert facts["input"]["normalization"]["mean"] == pytest.approx(data.info.normalization["x_mean"])
    assert facts["output"]["normalization"]["std"] == pytest.approx(data.info.normalization["y_std"])
    assert "weather.keras.data.json" in status_text(window)

    # ONNX, from the menu, checked against Keras.
    target = tmp_path / "weather.onnx"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *args: str(tmp_path / "weather"))
    export = exporting.exporter(window)
    with qtbot.waitSignal(export.finished, timeout=RUN_TIMEOUT_MS):
        window.action_export_onnx.trigger()
        assert "converting and checking against Keras" in status_text(window)
    assert target.exists()
    assert f"onnxruntime matches Keras on {data.num_val} validation samples" in status_text(window)
    facts = json.loads({p.key: p.value for p in onnx.load(str(target)).metadata_props}[ONNX_METADATA_KEY])
    assert facts["output"]["targets"] == data.info.target_names
    assert (tmp_path / "weather.onnx.data.json").exists()

    # TensorBoard: the run's losses, epoch by epoch.
    board = tmp_path / "board"
    board.mkdir()
    assert exporting.export_tensorboard(window, board), window.last_message
    (run_dir,) = board.iterdir()
    losses = [(e.step, float(tf.make_ndarray(v.tensor)))
              for path in (run_dir / "train").glob("events.out.tfevents.*")
              for e in tf.compat.v1.train.summary_iterator(str(path)) for v in e.summary.value if v.tag == "epoch_loss"]
    assert losses == [(1, 1.0), (2, 0.5)]
    assert "tensorboard --logdir" in status_text(window)


def test_exports_without_a_model_say_what_to_do(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    window.action_export_onnx.trigger()
    assert window.last_message == ("Nothing to export", "Train a model (or open one) first.")
    window.action_export_tensorboard.trigger()
    assert window.last_message[0] == "Nothing to export" and "training history" in window.last_message[1]
    close_message_boxes(window)
