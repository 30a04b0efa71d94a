"""Step mode driven as a learner would: choose a sample, open "Step through the equation", click
Step, and read the numbers, which must be the lecture's equation with this layer's own weights."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore

from tests.desktop_app.test_memory_view import make_record


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)


def open_step_mode(qtbot, memory_tab, record, sample: int) -> None:
    """Choose the sample and open the step tab, which computes the steps in the background."""
    memory_tab.set_record(record)
    memory_tab.picker.sample_spin.setValue(sample)
    with qtbot.waitSignal(memory_tab.computation.finished, timeout=60000):
        memory_tab.views.setCurrentWidget(memory_tab.step_mode)
    qtbot.waitUntil(lambda: not memory_tab.computation.is_busy())


def test_each_step_shows_the_terms_of_h_and_their_sum(memory_tab, qtbot, cooking_data):
    from core.states import sequence_states

    record = make_record("SimpleRNN", 3, cooking_data)
    open_step_mode(qtbot, memory_tab, record, sample=4)
    steps = memory_tab.step_mode
    assert steps.position_label.text().startswith("before step 1 of 7")
    assert not steps.back_button.isEnabled() and steps.step_button.isEnabled()

    kernel, recurrent, bias = (np.asarray(w, dtype=np.float64) for w in record.model.get_layer("rnn_1").get_weights())
    x, _y = cooking_data.sample(4)
    hidden = sequence_states(record.model, record.info, x).layers[0].hidden
    h_prev = np.zeros(3)
    for t in range(1, 8):
        click(qtbot, steps.step_button)
        assert steps.position_label.text() == f"step {t} of 7"
        rows = np.array(steps.row_values("h(t) = tanh(sum)"))
        assert rows.shape == (3, 5)  # one equation per unit: w_i x, w_R h(t-1), b, sum, h(t)
        w_i_x, w_r_h, b = x[t - 1] @ kernel, h_prev @ recurrent, bias
        np.testing.assert_allclose(rows[:, 0], w_i_x, atol=1e-5)
        np.testing.assert_allclose(rows[:, 1], w_r_h, atol=1e-5)
        np.testing.assert_allclose(rows[:, 2], b, atol=1e-6)
        np.testing.assert_allclose(rows[:, 3], rows[:, 0] + rows[:, 1] + rows[:, 2], atol=1e-5)
        np.testing.assert_allclose(rows[:, 4], np.tanh(rows[:, 3]), atol=1e-5)
        # The h(t) stepped to is the layer's state at t, and the diagram has filled in that column.
        np.testing.assert_allclose(rows[:, 4], hidden[t - 1], atol=1e-5)
        np.testing.assert_allclose(steps.diagram.shown_hidden(t), hidden[t - 1], atol=1e-5)
        assert t == 7 or steps.diagram.shown_hidden(t + 1) is None
        h_prev = rows[:, 4]
    assert not steps.step_button.isEnabled()
    assert "y(7)" in steps.output_label.text()
    assert any(dish in steps.output_label.text() for dish in ("ice cream", "french fries", "pizza"))

    click(qtbot, steps.back_button)
    assert steps.position_label.text() == "step 6 of 7"
    np.testing.assert_allclose(np.array(steps.row_values("h(t)"))[:, 4], hidden[5], atol=1e-5)
    click(qtbot, steps.reset_button)
    assert steps.table.rowCount() == 0 and steps.diagram.shown_hidden(1) is None


def test_an_lstm_step_shows_every_gate_and_how_they_make_c_and_h(memory_tab, qtbot, cooking_data):
    from core.states import sequence_states

    record = make_record("LSTM", 4, cooking_data)
    open_step_mode(qtbot, memory_tab, record, sample=0)
    x, _y = cooking_data.sample(0)
    layer = sequence_states(record.model, record.info, x).layers[0]
    steps = memory_tab.step_mode
    for _ in range(3):
        click(qtbot, steps.step_button)
    for name in ("forget", "input", "output"):
        rows = np.array(steps.row_values(name))
        assert rows.shape == (4, 5)
        np.testing.assert_allclose(rows[:, 3], rows[:, 0] + rows[:, 1] + rows[:, 2], atol=1e-5)
        np.testing.assert_allclose(rows[:, 4], 1 / (1 + np.exp(-rows[:, 3])), atol=1e-5)  # sigma(sum)
        np.testing.assert_allclose(rows[:, 4], layer.gates[name][2], atol=1e-5)
    candidate = np.array(steps.row_values("candidate"))
    np.testing.assert_allclose(candidate[:, 4], np.tanh(candidate[:, 3]), atol=1e-5)
    c = np.array(steps.row_values("c(t)"))[:, 0]
    h = np.array(steps.row_values("h(t)"))[:, 0]
    np.testing.assert_allclose(c, layer.cell_state[2], atol=1e-5)
    np.testing.assert_allclose(h, layer.hidden[2], atol=1e-5)
    forget, write = np.array(steps.row_values("forget"))[:, 4], np.array(steps.row_values("input"))[:, 4]
    np.testing.assert_allclose(c, forget * layer.cell_state[1] + write * candidate[:, 4], atol=1e-5)


def test_a_big_layer_is_not_stepped_through_and_says_why(memory_tab, qtbot, cooking_data):
    record = make_record("GRU", 16, cooking_data)
    open_step_mode(qtbot, memory_tab, record, sample=0)
    steps = memory_tab.step_mode
    assert "at most 8 units" in steps.note.text() and "16" in steps.note.text()
    assert not steps.step_button.isEnabled()
    assert not steps.diagram_scroll.isVisible()
