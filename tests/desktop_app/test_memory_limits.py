"""Settings that would take the machine down: the Architecture panel shows what a run will take,
warns above half of the memory available and Train refuses above 80 %, saying what to lower.

The memory available is injected (``core.memory_estimate.available_memory``), so the test does
not depend on the machine it runs on; the estimate itself is core's.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from core import memory_estimate
from core.memory_estimate import estimate_training_memory
from desktop_app.widgets import ERROR_COLOR, WARNING_COLOR
from tests.desktop_app.conftest import close_message_boxes, configure_tiny_cooking

GB = 1 << 30


def _estimate(window):
    data = window.current_data()
    return estimate_training_memory(window.current_project(), data.info, data.num_train, data.num_val)


def test_the_estimate_follows_the_settings_and_train_refuses_what_memory_cannot_hold(qtbot, make_window,
                                                                                     monkeypatch, tmp_path):
    monkeypatch.setattr(memory_estimate, "available_memory", lambda: 64 * GB)
    window = make_window()
    configure_tiny_cooking(qtbot, window)
    panel = window.architecture_panel
    small = _estimate(window)
    assert panel.memory_text() == small.text and small.text.endswith(" to train")
    assert f"{small.text}</span>" in panel.params_label.text() and "Parameters:" in panel.params_label.text()
    assert not any(w.startswith("Memory:") for w in panel.warnings())

    # Bigger settings, a bigger estimate, at once (no Train needed to see it).
    panel.layers_spin.setValue(3)
    panel.units_spin.setValue(1024)
    big = _estimate(window)
    assert big.total > 2 * small.total and panel.memory_text() == big.text
    # The Training panel's settings count too: plain SGD keeps no optimizer slots.
    training = window.training_panel
    training.optimizer_combo.setCurrentIndex(training.optimizer_combo.findData("sgd"))
    training.momentum_spin.setValue(0)
    assert _estimate(window).total < big.total and panel.memory_text() == _estimate(window).text
    training.optimizer_combo.setCurrentIndex(training.optimizer_combo.findData("adam"))
    assert panel.memory_text() == big.text

    # Over half of what is available: the estimate turns amber and the panel says why.
    monkeypatch.setattr(memory_estimate, "available_memory", lambda: int(big.total / 0.6))
    window.training_panel.epochs_spin.setValue(4)  # any edit brings the estimate up to date
    assert f'color:{WARNING_COLOR}">{big.text}' in panel.params_label.text()
    [warning] = [w for w in panel.warnings() if w.startswith("Memory:")]
    assert "60%" in warning and "units" in warning.split("Lowering", 1)[1].lower()
    panel.grab().save(str(tmp_path / "architecture_memory_warning.png"))

    # Over 80 %: red, and Train refuses before anything is built, with the estimate and what to lower.
    monkeypatch.setattr(memory_estimate, "available_memory", lambda: big.total)
    window.training_panel.epochs_spin.setValue(3)
    assert f'color:{ERROR_COLOR}">{big.text}' in panel.params_label.text()
    qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    assert not window.session.is_training() and window.session.records() == []
    title, text = window.last_message
    assert title == "Cannot train yet"
    assert f"Not enough memory: this model needs {big.text}" in text
    assert f"only {memory_estimate.format_bytes(big.total)} of memory is available" in text
    lower = text.split(" Lower ", 1)[1].lower()  # what to lower, named as the panels name it
    assert "units" in lower and "layers" in lower
    close_message_boxes(window)

    # Back to a size that fits: Train is allowed again.
    panel.units_spin.setValue(16)
    panel.layers_spin.setValue(1)
    assert window.training_problems() == []
