"""Changing course in the window: pause, change the learning rate, resume; the plots mark where the
change took effect, and Continue training carries the optimizer on."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.desktop_app.conftest import RUN_TIMEOUT_MS, configure_tiny_cooking


def test_pause_change_the_learning_rate_and_resume_marks_the_plots(qtbot, make_window):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=100, samples=200, batch=4)
    panel = window.training_panel
    messages: list[str] = []  # the status bar's, in order
    window.statusBar().messageChanged.connect(messages.append)
    qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.run_state() == "running" and panel.pause_button.isEnabled(),
                    timeout=RUN_TIMEOUT_MS)
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)

    # Paused: only the learning rate and the clipping can be changed, and the panel says so.
    assert panel.run_state() == "paused" and panel.course_note.isVisible()
    for widget in (panel.lr_spin, panel.clip_combo):
        assert widget.isEnabled() and widget.isVisibleTo(panel)
    for widget in (panel.optimizer_combo, panel.epochs_spin, panel.batch_spin, panel.seed_spin, panel.device_combo,
                   panel.early_check):
        assert not widget.isEnabled()
    panel.lr_spin.setValue(0.002)

    with qtbot.waitSignal(window.session.settings_changed, timeout=RUN_TIMEOUT_MS) as changed:
        qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    run_id, event = changed.args
    assert event.label == "lr 0.02 -> 0.002" and event.changes == {"learning_rate": [0.02, 0.002]}
    assert any("lr 0.02 -> 0.002 after batch" in message for message in messages), messages
    assert panel.run_state() == "running" and not panel.course_note.isVisible() and not panel.lr_spin.isEnabled()

    # A labelled line on the loss and gradient plots, the same line (unlabelled) on the score plot.
    window.plots.redraw_now()
    [(x, label)] = window.plots.change_markers("loss")
    assert label == "lr 0.02 -> 0.002"
    assert window.plots.change_markers("gradients") == [(x, label)]
    assert window.plots.change_markers("metric") == [(x, "")]
    window.plots.grab().save("/tmp/h8_markers_live.png")

    with qtbot.waitSignal(window.session.run_ended, timeout=RUN_TIMEOUT_MS) as done:
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    record = done.args[0]
    assert record.run_id == run_id and record.status == "stopped"
    # The line sits where the last batch at the old rate ended.
    assert x == pytest.approx(event.global_batch / record.history.batches_per_epoch)
    # The run's record and history keep the change: a saved bundle and a reopened run show it.
    assert record.project.training.learning_rate == pytest.approx(0.002)
    assert [c.label for c in record.history.settings_changes] == ["lr 0.02 -> 0.002"]
    window.plots.load_history(record.run_id, record.label, record.history, record.info.kind)
    window.plots.redraw_now()
    assert [label for _, label in window.plots.change_markers("loss")] == ["lr 0.02 -> 0.002"]

    # Continue training carries Adam's moments and step count on, and says so (a short run: one
    # epoch of large batches).
    panel.epochs_spin.setValue(1)
    panel.batch_spin.setValue(64)
    with qtbot.waitSignal(window.session.run_ended, timeout=RUN_TIMEOUT_MS) as done:
        assert window.continue_training()
    assert done.args[0].status == "completed"
    # One update per batch the first run trained, Stop included.
    updates = len(record.history.batch_loss)
    assert any(f"Continuing Adam from update {updates}:" in message for message in messages), messages
