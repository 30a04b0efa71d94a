"""User flows found wanting in exploratory testing, each driven through the real window."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from core.examples import EXAMPLES_DIR
from tests.desktop_app.conftest import configure_tiny_cooking, set_dataset_param, train_and_wait


def test_sine_generate_example_generates_with_the_default_length(qtbot, make_window):
    """A one-to-many model emits a fixed number of steps: Generate must work as offered, not
    answer "cannot produce 50" to a user who changed nothing."""
    window = make_window()
    assert window.document.open_example(EXAMPLES_DIR / "sine_generate.json")
    set_dataset_param(qtbot, window, "samples", 64)
    window.training_panel.epochs_spin.setValue(1)
    record = train_and_wait(qtbot, window)
    assert record.status == "completed", record.message
    steps = record.info.output_shape[0]

    panel = window.predict_panel
    window.tabs.setCurrentWidget(panel)
    assert panel.generate_box.isVisibleTo(panel)
    assert panel.length_spin.value() == steps and panel.length_spin.maximum() == steps
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert not panel.generate_error.isVisibleTo(panel), panel.generate_error.text()
    assert panel.generated_values.shape[0] == steps and np.all(np.isfinite(panel.generated_values))

    # A shorter part of the sequence can still be asked for.
    panel.length_spin.setValue(5)
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert panel.generated_values.shape[0] == 5


def test_continue_training_starts_from_the_trained_weights_here_or_in_a_reopened_bundle_and_only_for_the_same_network(
        qtbot, make_window, monkeypatch, tmp_path):
    """Continue training, in the window that trained the model and in a new session that opened
    its bundle. (Two tests that each trained a first model to continue from are one now: the
    bundle is saved from the same first run before the window continues it.)"""
    from desktop_app import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, *args, **kwargs: shown.append(title))
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=2, samples=160, batch=16, units=8)
    assert not window.action_continue.isEnabled()  # nothing trained yet
    first = train_and_wait(qtbot, window)
    assert first.status == "completed", first.message
    assert window.action_continue.isEnabled()
    target = tmp_path / "week.rnnlab"
    assert window.document.save_bundle_to(target), window.last_message

    with qtbot.waitSignal(window.session.run_ended, timeout=120000) as done:
        window.action_continue.trigger()
    second = done.args[0]
    assert second.status == "completed", second.message
    assert "continued from #1" in second.label
    # It picks up where the first run ended, not from fresh weights: its first epoch already
    # beats the first run's first epoch.
    first_losses = [epoch["loss"] for epoch in first.history.epochs]
    assert second.history.epochs[0]["loss"] < first_losses[0]
    assert second.history.epochs[0]["loss"] <= first_losses[-1] * 1.5

    # Another architecture is a new model: continuing is refused with an explanation.
    window.architecture_panel.units_spin.setValue(12)
    assert window.session.continuable_model(window.current_project(), window.dataset_panel.current_data()) is None
    assert window.continue_training() is False
    assert shown[-1] == "Cannot continue training"
    window.close()

    # A reopened bundle (of the first run) can be trained further, from its saved weights.
    reopened = make_window()
    assert reopened.document.open_path(target)
    qtbot.waitUntil(lambda: reopened.action_continue.isEnabled(), timeout=120000)
    with qtbot.waitSignal(reopened.session.run_ended, timeout=120000) as done:
        reopened.action_continue.trigger()
    assert done.args[0].status == "completed", done.args[0].message
    assert "continued from" in done.args[0].label
    assert done.args[0].history.epochs[0]["loss"] < first.history.epochs[0]["loss"]
