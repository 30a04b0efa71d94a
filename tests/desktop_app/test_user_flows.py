"""User flows found wanting in exploratory testing, each driven through the real window."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from desktop_app.main_window import EXAMPLES_DIR
from tests.desktop_app.test_main_window import (  # noqa: F401  (fixtures)
    _set_dataset_param,
    _train_and_wait,
    isolated_settings,
    make_window,
    prompt_answers,
)


def test_sine_generate_example_generates_with_the_default_length(qtbot, make_window):
    """A one-to-many model emits a fixed number of steps: Generate must work as offered, not
    answer "cannot produce 50" to a user who changed nothing."""
    window = make_window()
    assert window.open_example(EXAMPLES_DIR / "sine_generate.json")
    _set_dataset_param(qtbot, window, "samples", 64)
    window.training_panel.epochs_spin.setValue(1)
    record = _train_and_wait(qtbot, window)
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
