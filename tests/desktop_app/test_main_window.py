"""The main window driven like a user would: real widgets, offscreen, tiny data, few epochs.

The fixtures (``make_window``, ``prompt_answers``) and helpers live in conftest.py.
"""

from __future__ import annotations

import gc
import sys
import threading

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QTabWidget

from core.examples import EXAMPLES_DIR
from desktop_app import dialogs
from tests.core._starting_child import forever_starting_trainer
from tests.desktop_app.conftest import (
    RUN_TIMEOUT_MS,
    cell_text,
    close_message_boxes,
    configure_tiny_cooking,
    has_data,
    shown_message_boxes,
    shown_title,
    status_text,
    train_and_wait,
)


class BatchCounter(QObject):
    """Counts batches that end after a stop request, in the worker thread itself."""

    def __init__(self):
        super().__init__()
        self.stop_sent = threading.Event()
        self.after_stop = 0

    def on_batch(self, _event):
        if self.stop_sent.is_set():
            self.after_stop += 1


# --- tests ----------------------------------------------------------------------------------


def test_fresh_window_has_menus_toolbar_and_loads_tensorflow_after_showing(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    assert shown_title(window) == "RNN Lab"
    assert not window.windowIcon().isNull()
    # The window is up before TensorFlow: training waits for it and says so.
    assert window.tf_label.text() == "Loading TensorFlow…"
    assert not window.action_train.isEnabled()
    assert not window.training_panel.train_button.isEnabled()

    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Examples", "Run", "View", "Help"]
    assert window.action_new.shortcut().toString() == "Ctrl+N"
    assert window.action_open.shortcut().toString() == "Ctrl+O"
    assert window.action_save.shortcut().toString() == "Ctrl+S"
    assert window.action_save_as.shortcut().toString() == "Ctrl+Shift+S"
    assert window.action_quit.shortcut().toString() == "Ctrl+Q"
    toolbar = [a.text().replace("&", "") for a in window.toolbar.actions() if not a.isSeparator()]
    assert toolbar == ["New", "Open…", "Save", "Train", "Continue training", "Pause", "Stop"]
    assert not window.action_continue.isEnabled()  # nothing trained to continue
    examples = [a.text() for a in window.examples_menu.actions()]
    assert len(examples) == len(list(EXAMPLES_DIR.glob("*.json"))) > 5
    assert any("ooking" in t for t in examples) and any("xploding" in t for t in examples)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Training plots", "Memory", "Runs", "Predict", "Evaluation", "Sweeps"]
    assert {d.windowTitle() for d in window.docks.values()} == {"Dataset", "Architecture", "Training"}

    gc.unfreeze()  # the suite froze its own imports (tests/conftest.py): the window's freeze is checked below
    with qtbot.waitSignal(window.tensorflow_ready, timeout=60000) as ready:
        window.start_loading_tensorflow()
    assert ready.args[0].startswith("TensorFlow 2.") and ready.args[0].endswith("ready · CPU")
    assert window.tf_label.text() == ready.args[0]
    assert window.action_train.isEnabled() and window.training_panel.train_button.isEnabled()
    # What the import made lives as long as the process: out of the collector's generations, so
    # that a full collection while a run trains does not stop the window to walk it.
    keras_names = vars(sys.modules["keras"])
    assert all(tracked is not keras_names for tracked in gc.get_objects())
    assert gc.get_freeze_count() > 100_000


def test_a_trained_cooking_lstm_shows_its_accuracy_and_plots_asks_before_closing_and_reopens_from_its_bundle(
        qtbot, make_window, prompt_answers, tmp_path, monkeypatch):
    """One run, looked at from every side a user would: what the window shows once it has
    trained, the prompt about its unsaved model, Save As, and the bundle reopened in a new
    session. (These were three tests that each trained the same kind of model to look at it.)"""
    from core.inference import predict

    window = make_window()
    configure_tiny_cooking(qtbot, window)
    progress: list[str] = []  # the progress line as the user saw it after each update
    panel = window.training_panel
    real_set_progress = panel.set_progress

    def spy(*args, **kwargs):
        real_set_progress(*args, **kwargs)
        progress.append(panel.progress_text())

    monkeypatch.setattr(panel, "set_progress", spy)
    record = train_and_wait(qtbot, window)

    # The accuracy shown is high and every plot holds data.
    assert record.status == "completed", record.message
    assert record.final_metrics["val_accuracy"] > 0.9
    shown = cell_text(window, 0, "Val acc. / MAE")
    assert shown.endswith("%") and float(shown.rstrip(" %")) > 90
    assert cell_text(window, 0, "Status") == "completed"
    assert "val accuracy" in status_text(window)
    assert window.training_panel.run_state() == "idle"
    assert any(t.startswith("Epoch 3/3") and "elapsed" in t for t in progress), progress
    assert "finished after 3 epochs" in window.training_panel.progress_text()
    plot_tabs = window.plots.findChild(QTabWidget)
    window.tabs.setCurrentWidget(window.plots)
    filled = set()
    for index in range(plot_tabs.count()):
        plot_tabs.setCurrentIndex(index)
        for name, widget in window.plots.plot_items().items():
            if widget.isVisible():
                qtbot.waitUntil(lambda w=widget: has_data(w), timeout=3000)
                filled.add(name)
    assert filled == set(window.plots.plot_items())

    # Unsaved trained work: "Cancel" keeps the window open.
    assert window.windowTitle().endswith("*")
    answers, asked = prompt_answers
    answers.append("cancel")
    assert not window.close()
    assert window.isVisible() and asked == ["the trained model"]

    # Save As writes the bundle (the extension is added); the title loses its star.
    x = window.dataset_panel.current_data().x_val[:16]
    before = predict(record.model, record.info, x)
    target = tmp_path / "cooking.rnnlab"
    monkeypatch.setattr(dialogs, "ask_save_path", lambda *args: str(tmp_path / "cooking"))
    window.action_save_as.trigger()
    assert target.exists(), window.last_message
    assert shown_title(window) == "cooking — RNN Lab"
    assert window.close() and len(asked) == 1  # saved: no second prompt

    # A new session opens the file: same project, same plots, same prediction.
    again = make_window()
    assert again.runs_panel.records() == []
    monkeypatch.setattr(dialogs, "ask_open_path", lambda *args: str(target))
    again.action_open.trigger()
    reopened = again.session.current
    assert reopened is not None and reopened.status == "loaded", again.last_message
    assert again.architecture_panel.cell_combo.currentText() == "LSTM"
    assert again.current_project().dataset == window.current_project().dataset
    np.testing.assert_allclose(predict(reopened.model, reopened.info, x), before, rtol=1e-6, atol=1e-6)
    assert len(reopened.history.epochs) == 3
    again.tabs.setCurrentWidget(again.plots)
    qtbot.waitUntil(lambda: has_data(again.plots.plot_items()["loss"]), timeout=3000)
    assert again.predict_panel.has_model()
    assert str(target.absolute()) in again.settings.recent_files()
    assert shown_title(again) == "cooking — RNN Lab"


def test_stop_answers_within_one_batch_and_pause_resumes(qtbot, make_window):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=100, samples=200, batch=4)
    counter = BatchCounter()
    window.session.worker.batch_ended.connect(counter.on_batch, Qt.ConnectionType.DirectConnection)
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    assert window.session.is_training()
    qtbot.waitUntil(lambda: window.training_panel.run_state() == "running"
                    and window.training_panel.pause_button.isEnabled(), timeout=RUN_TIMEOUT_MS)

    qtbot.mouseClick(window.training_panel.pause_button, Qt.MouseButton.LeftButton)
    assert window.training_panel.run_state() == "paused"
    assert window.session.worker.is_paused()
    qtbot.mouseClick(window.training_panel.resume_button, Qt.MouseButton.LeftButton)
    assert window.training_panel.run_state() == "running" and not window.session.worker.is_paused()

    with qtbot.waitSignal(window.session.run_ended, timeout=RUN_TIMEOUT_MS) as done:
        counter.stop_sent.set()
        qtbot.mouseClick(window.training_panel.stop_button, Qt.MouseButton.LeftButton)
    record = done.args[0]
    assert record.status == "stopped"
    assert counter.after_stop <= 1
    assert "stopped" in status_text(window)
    assert cell_text(window, 0, "Status") == "stopped"
    assert not window.session.is_training() and window.training_panel.run_state() == "idle"


def test_stop_while_the_training_process_starts_ends_the_run_at_once(qtbot, monkeypatch, make_window):
    # The training process imports TensorFlow before its first run: tens of seconds on a loaded
    # machine. Here it never finishes; Stop must end the run anyway, as stopped, not failed.
    from desktop_app import worker

    starting = forever_starting_trainer()
    monkeypatch.setattr(worker, "_SHARED_TRAINER", starting)
    try:
        window = make_window()
        configure_tiny_cooking(qtbot, window, epochs=2, samples=80)
        qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
        assert window.session.is_training() and window.training_panel.stop_button.isEnabled()
        with qtbot.waitSignal(window.session.run_ended, timeout=10000) as done:
            qtbot.mouseClick(window.training_panel.stop_button, Qt.MouseButton.LeftButton)
        record = done.args[0]
        assert record.status == "stopped" and record.model is None
        assert "Stopped before the first batch" in status_text(window)
        assert "Stopped before the first batch" in window.training_panel.progress_text()
        assert cell_text(window, 0, "Status") == "stopped"
        assert shown_message_boxes(window) == []  # the user's stop is not an error
        assert window.training_panel.run_state() == "idle" and window.training_panel.train_button.isEnabled()
        assert starting.pid is not None  # still starting, for the next run
    finally:
        starting.close(timeout=2)


def test_closing_the_window_during_training_stops_the_run_and_its_thread(qtbot, make_window):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=100, samples=200, batch=4)
    batches = []
    window.session.worker.batch_ended.connect(batches.append, Qt.ConnectionType.DirectConnection)
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(batches) >= 2, timeout=RUN_TIMEOUT_MS)

    assert window.close()
    assert not window.isVisible()
    assert not window.session.worker.is_running()
    assert not window.session.worker.thread_handle.isRunning()
    assert len(batches) < 100 * 40  # it stopped instead of training to the end


def test_bad_files_are_explained_and_nothing_is_lost(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window()
    bad_csv = tmp_path / "broken.csv"
    bad_csv.write_text("temp,wind\n1,2\n3,abc\n" + "\n".join(f"{i},{i}" for i in range(50)) + "\n",
                       encoding="utf-8")
    window.dataset_panel.ask_open_file = lambda *args: (str(bad_csv), "")
    with qtbot.waitSignal(window.dataset_panel.dataset_changed, timeout=5000):
        qtbot.mouseClick(window.dataset_panel.import_csv_button, Qt.MouseButton.LeftButton)
    error = window.dataset_panel.error_text()
    assert "abc" in error
    assert window.dataset_panel.message_label.isVisibleTo(window.dataset_panel)

    # Train explains the problem before any run starts.
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    assert not window.session.is_training() and window.runs_panel.records() == []
    title, text = window.last_message
    assert title == "Cannot train yet" and "abc" in text
    box = shown_message_boxes(window)[-1]
    assert "abc" in box.text()
    box.close()

    # A damaged bundle: a dialog names the file; the panels keep what they showed.
    project_before = window.current_project()
    broken = tmp_path / "damaged.rnnlab"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert not window.document.open_path(broken)
    title, text = window.last_message
    assert title == "Cannot open the model" and "damaged.rnnlab" in text
    assert window.current_project() == project_before
    close_message_boxes(window)

    bad_project = tmp_path / "bad.json"
    bad_project.write_text('{"model": {"cell": "Transformer"}}', encoding="utf-8")
    assert not window.document.open_path(bad_project)
    title, text = window.last_message
    assert "bad.json" in text and "model.cell" in text
    assert window.current_project() == project_before


def test_exploding_gradients_example_is_diagnosed_in_a_dialog(qtbot, make_window):
    window = make_window()
    action = next(a for a in window.examples_menu.actions() if a.text().startswith("Exploding gradients:"))
    action.trigger()
    assert window.current_project().training.clip_mode == "none"
    record = train_and_wait(qtbot, window)

    assert record.status == "nan"
    title, text = window.last_message
    assert title == "Training stopped: exploding gradients"
    assert "Gradients exploded at epoch" in text and "clipping" in text
    box = shown_message_boxes(window)[-1]
    assert "Gradients exploded" in box.text()
    assert "Gradients exploded" in status_text(window)
    assert cell_text(window, 0, "Status") == "NaN (exploded)"
    # The last finite weights are kept and handed to the Predict tab.
    assert window.predict_panel.has_model()
    assert all(np.all(np.isfinite(w)) for w in record.model.get_weights())


def test_compare_cells_trains_three_runs_on_the_same_data_and_overlays_them(qtbot, make_window):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, batch=16, units=4)
    with qtbot.waitSignal(window.session.queue_finished, timeout=3 * RUN_TIMEOUT_MS) as done:
        window.action_compare.trigger()
    ids = done.args[0]
    records = window.runs_panel.records()
    assert [r.project.model.cell for r in records] == ["SimpleRNN", "LSTM", "GRU"]
    assert all(r.status == "completed" for r in records)
    assert all(r.project.dataset == records[0].project.dataset for r in records)
    assert all(r.project.training == records[0].project.training for r in records)
    assert [r.run_id for r in window.runs_panel.selected_runs()] == ids == [r.run_id for r in records]
    assert window.plots.shown_runs() == ids
    assert window.tabs.currentWidget() is window.runs_panel
    legend_text = " ".join(label.text for _sample, label in window.plots._legends["loss"].items)
    assert all(cell in legend_text for cell in ("SimpleRNN", "LSTM", "GRU"))


def test_the_window_fits_a_laptop_screen(make_window):
    """1280 x 720 less a panel and a title bar; the Weight health tab's two plots set the height."""
    hint = make_window(load_tensorflow=False).minimumSizeHint()
    assert hint.width() <= 1200 and hint.height() <= 640, hint


def test_layout_and_last_choices_come_back_at_the_next_start(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    window.architecture_panel.cell_combo.setCurrentText("GRU")
    window.training_panel.epochs_spin.setValue(7)
    window.docks["training"].hide()
    window.tabs.setCurrentWidget(window.runs_panel)
    window.resize(780, 620)
    assert window.close()

    again = make_window(load_tensorflow=False)
    project = again.current_project()
    assert project.model.cell == "GRU" and project.training.epochs == 7
    assert not again.docks["training"].isVisible()
    assert again.docks["dataset"].isVisible()
    assert again.tabs.currentWidget() is again.runs_panel
    assert (again.width(), again.height()) == (780, 620)
    # Restored choices are not unsaved work: nothing to prompt for, plain title.
    assert shown_title(again) == "RNN Lab"


def test_crash_hook_shows_the_traceback_behind_details_and_keeps_the_app(qtbot, make_window, monkeypatch):
    from desktop_app import app

    window = make_window(load_tensorflow=False)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    app.install_crash_hook()
    try:
        raise ZeroDivisionError("simulated bug in a slot")
    except ZeroDivisionError:
        sys.excepthook(*sys.exc_info())
    dialog = dialogs.CrashDialog._current
    assert dialog is not None and dialog.isVisible()
    assert "simulated bug in a slot" in dialog.text()
    assert "Traceback" in dialog.detailedText() and "ZeroDivisionError" in dialog.detailedText()

    # A second error joins the open dialog instead of stacking another one.
    worker_thread = threading.Thread(target=lambda: 1 / 0, name="failing helper")
    worker_thread.start()
    worker_thread.join()
    qtbot.waitUntil(lambda: dialog.count == 2, timeout=3000)
    assert "2 errors" in dialog.text()
    dialog.close()
    assert window.isVisible()


def test_main_py_shows_the_window_before_importing_tensorflow(tmp_path):
    """`python main.py` (what `make run` and the rnn-lab launcher start) paints its window
    before TensorFlow is imported."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", RNN_LAB_QUIT_WHEN_SHOWN="1",
               XDG_CONFIG_HOME=str(tmp_path), TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, str(root / "main.py")], cwd=root, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    shown = [line for line in proc.stdout.splitlines() if line.startswith("RNN_LAB_WINDOW_SHOWN")]
    assert shown, proc.stdout + proc.stderr[-2000:]
    assert shown[0].endswith("tensorflow_loaded=0")
