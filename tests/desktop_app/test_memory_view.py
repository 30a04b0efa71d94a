"""The Memory tab driven as a learner would: pick a sample or type one, read the heat-maps, hover a
cell, click a unit, replay the probe's epochs, compare the connectivity of several runs.

The models are small and untrained (built with a fixed seed): what is checked is that the window
shows exactly what core.states and core.connectivity compute, not what training learns.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from core.history import EpochEnd
from core.specs import DatasetSpec, ModelSpec, Project
from desktop_app.session import RunRecord, RunStatus

DISHES = ("ice cream", "french fries", "pizza")


# Models built so far, by (cell, units, seed): the tests only read them (states, connectivity),
# so one built for a test serves the next that asks for the same one.
_MODELS: dict[tuple[str, int, int], object] = {}


def make_record(cell: str, units: int, data, number: int = 1, seed: int = 3) -> RunRecord:
    project = Project(dataset=DatasetSpec("cooking", {"samples": 60}),
                      model=ModelSpec(cell=cell, io_mode="many_to_many", units=units))
    key = (cell, units, seed)
    if key not in _MODELS:
        import keras

        from core.models import build_model

        keras.utils.set_random_seed(seed)
        _MODELS[key] = build_model(project.model, data.info)
    return RunRecord(f"run-{number}", f"#{number} {cell}", project, RunStatus.COMPLETED, model=_MODELS[key],
                     info=data.info)


@pytest.fixture(scope="module", autouse=True)
def _forget_models():
    yield
    _MODELS.clear()


@pytest.fixture(scope="module")
def lstm(cooking_data):
    return make_record("LSTM", 6, cooking_data)


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, QtCore.Qt.MouseButton.LeftButton)


def show_sample(qtbot, memory_tab, index: int) -> None:
    memory_tab.picker.sample_spin.setValue(index)
    with qtbot.waitSignal(memory_tab.computation.finished, timeout=60000):
        click(qtbot, memory_tab.picker.show_button)
    qtbot.waitUntil(lambda: not memory_tab.computation.is_busy())


def test_a_validation_sample_shows_h_the_cell_state_and_every_gate(memory_tab, qtbot, cooking_data, lstm):
    from core.states import sequence_states

    memory_tab.set_record(lstm)
    assert memory_tab.picker.show_button.isEnabled()
    show_sample(qtbot, memory_tab, 2)

    x, _y = cooking_data.sample(2)
    expected = sequence_states(lstm.model, lstm.info, x).layers[0]
    maps = memory_tab.memory_view.maps.maps
    assert list(maps) == ["hidden", "cell_state", "forget", "input", "output", "candidate"]
    # Units down, time steps across: row u, column t is unit u's value at step t.
    np.testing.assert_allclose(maps["hidden"].image_data(), expected.hidden.T, atol=1e-6)
    np.testing.assert_allclose(maps["cell_state"].image_data(), expected.cell_state.T, atol=1e-6)
    for gate in ("forget", "input", "output", "candidate"):
        np.testing.assert_allclose(maps[gate].image_data(), expected.gates[gate].T, atol=1e-6)
    # h is centred on 0 (white); gates run from closed (0) to open (1).
    assert maps["hidden"].levels[0] == -maps["hidden"].levels[1]
    assert maps["forget"].levels == (0.0, 1.0)
    # The decoded input along the time axis: the weather of each day.
    tokens = memory_tab.memory_view.maps.tokens
    assert len(tokens) == 7 and all(("sunny" in t) or ("rainy" in t) for t in tokens)
    assert "validation sample 2" in memory_tab.title_label.text()
    # How often each gate is saturated, over all units and steps.
    texts = memory_tab.memory_view.saturation.row_texts()
    forget = expected.gates["forget"]
    assert texts[0].startswith("forget gate: ")
    assert f"{np.mean(forget < 0.1):.0%} closed" in texts[0] and f"{np.mean(forget > 0.9):.0%} open" in texts[0]
    assert not any(t.startswith("candidate") for t in texts)


def test_clicking_a_unit_colours_the_input_by_that_unit(memory_tab, qtbot, lstm):
    memory_tab.set_record(lstm)
    show_sample(qtbot, memory_tab, 1)
    view = memory_tab.memory_view
    states = view.layer()
    neutral = view.token_colors()
    assert len(set(neutral)) == 1  # before a click: no unit's colours

    for unit in (0, 3):
        pos = view.maps.view_pos_of("hidden", step=4, unit=unit)
        with qtbot.waitSignal(view.unit_selected, timeout=5000) as clicked:
            qtbot.mouseClick(view.maps.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
        assert clicked.args == ["hidden", unit]
        colors = [QtGui.QColor(c) for c in view.token_colors()]
        for value, color in zip(states.hidden[:, unit], colors):
            # The map's diverging colours: red above 0, blue below, paler the closer to 0.
            if value > 0.05:
                assert color.red() > color.blue(), (value, color.name())
            elif value < -0.05:
                assert color.blue() > color.red(), (value, color.name())
        strongest = int(np.argmax(np.abs(states.hidden[:, unit])))
        weakest = int(np.argmin(np.abs(states.hidden[:, unit])))
        assert colors[strongest].lightness() < colors[weakest].lightness()
        assert f"unit {unit + 1}" in view.selection_label.text()
    assert view.maps.maps["hidden"].selection.isVisible()

    click(qtbot, view.clear_button)
    assert view.token_colors() == neutral


def test_hovering_a_cell_reads_out_unit_step_token_and_value(memory_tab, qtbot, lstm):
    memory_tab.set_record(lstm)
    show_sample(qtbot, memory_tab, 0)
    maps = memory_tab.memory_view.maps
    layer = memory_tab.memory_view.layer()
    qtbot.mouseMove(maps.viewport(), maps.view_pos_of("forget", step=2, unit=4))
    qtbot.waitUntil(lambda: maps.hover_text() != "", timeout=3000)
    text = maps.hover_text()
    assert text.startswith("f(t), unit 5, step 3")
    assert maps.tokens[2] in text
    assert f"{layer.gates['forget'][2, 4]:.3g}" in text


def test_a_typed_week_is_shown_and_a_typo_is_named(memory_tab, qtbot, cooking_data, lstm):
    from core.states import sequence_states

    week = "pizza: sunny, rainy, rainy, sunny, sunny, rainy, sunny"
    memory_tab.set_record(lstm)
    memory_tab.picker.input_edit.setText(week)
    with qtbot.waitSignal(memory_tab.computation.finished, timeout=60000):
        click(qtbot, memory_tab.picker.show_typed_button)
    qtbot.waitUntil(lambda: not memory_tab.computation.is_busy())
    expected = sequence_states(lstm.model, lstm.info, cooking_data.info.encode_input(week))
    np.testing.assert_allclose(memory_tab.memory_view.maps.maps["hidden"].image_data(), expected.layers[0].hidden.T,
                               atol=1e-6)
    assert memory_tab.memory_view.maps.tokens[:3] == ["sunny+before: pizza", "rainy", "rainy"]
    assert "typed sequence" in memory_tab.title_label.text()

    memory_tab.picker.input_edit.setText("pizza: sunny, snowy")
    click(qtbot, memory_tab.picker.show_typed_button)
    assert memory_tab.picker.error_label.isVisible() and "snowy" in memory_tab.picker.error_label.text()
    assert not memory_tab.computation.is_busy()


def _epoch(number: int, probe: dict) -> EpochEnd:
    return EpochEnd(epoch=number, epochs=3, logs={"loss": 1.0 / number}, gradient_flow=np.ones(7),
                    elapsed_s=float(number), probe=probe)


def test_the_probe_refreshes_each_epoch_and_the_slider_replays_it(memory_tab, qtbot, cooking_data, lstm):
    from core.states import sequence_states

    x, _y = cooking_data.sample(0)
    probes = []
    for seed in (1, 2, 3):
        record = make_record("LSTM", 6, cooking_data, seed=seed)
        probes.append(sequence_states(record.model, record.info, x))

    memory_tab.begin_run(lstm)
    memory_tab.set_busy(True)
    assert not memory_tab.picker.show_button.isEnabled()  # no Keras in the window while a run trains
    assert memory_tab.note_label.isVisible()
    def shown_h():
        return memory_tab.memory_view.maps.maps["hidden"].image_data()

    for number, states in enumerate(probes[:2], start=1):
        memory_tab.add_epoch(lstm.run_id, _epoch(number, states.to_dict()))
        # It follows the run: the newest epoch is shown as it arrives.
        np.testing.assert_allclose(shown_h(), states.layers[0].hidden.T, atol=1e-6)
        assert f"end of epoch {number}" in memory_tab.title_label.text()
    assert memory_tab.picker.epoch_label.text() == "2 of 2"

    memory_tab.picker.epoch_slider.setValue(0)  # a learner drags back to see the memory form
    np.testing.assert_allclose(shown_h(), probes[0].layers[0].hidden.T, atol=1e-6)
    memory_tab.add_epoch(lstm.run_id, _epoch(3, probes[2].to_dict()))
    assert memory_tab.picker.epoch_label.text() == "1 of 3"  # stays where it was dragged
    np.testing.assert_allclose(shown_h(), probes[0].layers[0].hidden.T, atol=1e-6)
    memory_tab.picker.epoch_slider.setValue(2)
    np.testing.assert_allclose(shown_h(), probes[2].layers[0].hidden.T, atol=1e-6)

    memory_tab.set_busy(False)
    memory_tab.set_record(lstm)
    assert memory_tab.picker.show_button.isEnabled()
    assert not memory_tab.computation.is_busy()


def test_compared_runs_show_their_connectivity_side_by_side(memory_tab, qtbot, cooking_data):
    from core.connectivity import connectivity

    records = [make_record(cell, 4, cooking_data, number=i) for i, cell in enumerate(("SimpleRNN", "LSTM", "GRU"), 1)]
    memory_tab.set_record(records[-1])
    memory_tab.show_runs(records)
    show_sample(qtbot, memory_tab, 3)
    memory_tab.views.setCurrentWidget(memory_tab.connectivity_view)
    view = memory_tab.connectivity_view
    assert [title for title, _c in view.matrices] == ["#3 GRU", "#1 SimpleRNN", "#2 LSTM"]
    x, _y = cooking_data.sample(3)
    for index, (title, _c) in enumerate(view.matrices):
        record = next(r for r in records if r.label == title)
        expected = connectivity(record.model, record.info, x)
        shown = view.image_data(index)
        lower = np.tril(np.ones_like(expected, dtype=bool))
        # Log colour scale; an input after the output has no influence and is left blank.
        np.testing.assert_allclose(shown[lower], np.log10(expected[lower]), atol=1e-5)
        assert np.all(np.isnan(shown[~lower]))
    assert len(view.maps) == 3 and view.maps[0].levels == view.maps[2].levels  # one colour range for all

    # Hovering a cell reads out the raw norm (the colour is its log).
    qtbot.wait(100)  # the tab just came into view: let its layout settle before aiming at a cell
    title, c = view.matrices[1]
    qtbot.mouseMove(view.canvas.viewport(), view.canvas.mapFromScene(view.maps[1].scene_point_of(1, 5)))
    qtbot.waitUntil(lambda: view.hover_text() != "", timeout=3000)
    assert view.hover_text() == f"{title}\noutput step 6, input step 2: ‖∂y/∂x‖ = {c[5, 1]:.3g}"


def test_in_the_window_the_memory_tab_follows_a_run_epoch_by_epoch(make_window, qtbot):
    from tests.desktop_app.conftest import configure_tiny_cooking, train_and_wait

    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=2, samples=120, cell="SimpleRNN", units=3)
    memory_tab = window.memory_tab
    assert window.tabs.tabText(window.tabs.indexOf(memory_tab)) == "Memory"
    assert window.tabs.indexOf(memory_tab) == window.tabs.indexOf(window.plots) + 1
    live_epochs = []
    window.session.epoch_ended.connect(
        lambda _run_id, _event: live_epochs.append((memory_tab.picker.epoch(), memory_tab.title_label.text())))
    window.tabs.setCurrentWidget(memory_tab)
    drawn = []
    memory_tab.memory_view.set_states = _spy(memory_tab.memory_view.set_states, drawn)
    record = train_and_wait(qtbot, window)
    # In view, the tab drew each epoch's probe as it arrived.
    assert live_epochs == [(e, f"Run {record.label}: the probe sample at the end of epoch {e}.") for e in (1, 2)]
    assert len(drawn) >= 2  # each epoch's probe (and the finished run's newest once more)

    from core.states import SequenceStates

    assert sorted(record.history.probes) == [1, 2]
    last = SequenceStates.from_dict(record.history.probes[2])
    np.testing.assert_allclose(memory_tab.memory_view.maps.maps["hidden"].image_data(), last.layers[0].hidden.T, atol=1e-6)
    assert "end of epoch 2" in memory_tab.title_label.text()
    assert memory_tab.picker.show_button.isEnabled()

    # Out of view, it only follows the epochs (no pause of the window for maps nobody sees) and
    # draws the newest probe when it comes back.
    window.tabs.setCurrentWidget(window.plots)
    del drawn[:]
    record = train_and_wait(qtbot, window)
    assert drawn == []  # neither at the epoch ends nor at the run's end (the first maps cost ~0.25 s)
    assert memory_tab.title_label.text() == f"Run {record.label}: the probe sample at the end of epoch 2."
    window.tabs.setCurrentWidget(memory_tab)
    assert len(drawn) == 1
    last = SequenceStates.from_dict(record.history.probes[2])
    np.testing.assert_allclose(memory_tab.memory_view.maps.maps["hidden"].image_data(), last.layers[0].hidden.T, atol=1e-6)

    with qtbot.waitSignal(memory_tab.computation.finished, timeout=60000):
        memory_tab.views.setCurrentWidget(memory_tab.step_mode)  # step mode needs the model: it takes validation sample 0
    qtbot.waitUntil(lambda: not memory_tab.computation.is_busy())
    click(qtbot, memory_tab.step_mode.step_button)
    assert memory_tab.step_mode.position_label.text() == "step 1 of 7"
    assert len(memory_tab.step_mode.row_values("h(t)")) == 3


def test_finished_runs_replay_their_probes_and_compare_connectivity_per_epoch(memory_tab, qtbot, cooking_data):
    """Three runs (as after Compare cells), each with a History that kept the probe with its
    connectivity at epochs 1 and 2: selected together, their maps stand side by side and the
    slider moves them all to the same epoch."""
    from core.connectivity import connectivity
    from core.history import History
    from core.states import sequence_states

    x, _y = cooking_data.sample(0)
    records, expected = [], {}
    for number, cell in enumerate(("SimpleRNN", "LSTM", "GRU"), start=1):
        history = History()
        for epoch, seed in ((1, 10 + number), (2, 20 + number)):
            weights = make_record(cell, 4, cooking_data, seed=seed)  # stands for the weights at that epoch
            states = sequence_states(weights.model, weights.info, x)
            states.connectivity = connectivity(weights.model, weights.info, x)
            history.add_probe(epoch, states.to_dict())
            expected[(cell, epoch)] = states
        record = make_record(cell, 4, cooking_data, number=number)
        record.history = history
        records.append(record)

    memory_tab.set_record(records[-1])
    assert memory_tab.picker.epoch_label.text() == "2 of 2"
    np.testing.assert_allclose(memory_tab.memory_view.maps.maps["hidden"].image_data(),
                               expected[("GRU", 2)].layers[0].hidden.T, atol=1e-6)
    memory_tab.show_runs(records)
    view = memory_tab.connectivity_view
    assert [title for title, _c in view.matrices] == ["#3 GRU, epoch 2", "#1 SimpleRNN, epoch 2", "#2 LSTM, epoch 2"]
    memory_tab.picker.epoch_slider.setValue(0)
    assert [title for title, _c in view.matrices] == ["#3 GRU, epoch 1", "#1 SimpleRNN, epoch 1", "#2 LSTM, epoch 1"]
    for index, cell in enumerate(("GRU", "SimpleRNN", "LSTM")):
        c = expected[(cell, 1)].connectivity
        lower = np.tril(np.ones_like(c, dtype=bool))
        np.testing.assert_allclose(view.image_data(index)[lower], np.log10(c[lower]), atol=1e-5)
    assert not memory_tab.computation.is_busy()  # replaying probes runs no model

    memory_tab.set_record(None)  # the model was discarded (a new project)
    assert memory_tab.memory_view.maps.isHidden() and memory_tab.picker.epoch_label.text() == "no epochs yet"


def _spy(method, calls: list):
    def spied(*args, **kwargs):
        calls.append(args)
        return method(*args, **kwargs)
    return spied


def test_the_title_shows_a_run_label_as_written(memory_tab, cooking_data, lstm):
    """Escaped for rich text in a label Qt shows as plain text, "&" read "&amp;"."""
    record = make_record("LSTM", 6, cooking_data)
    record.label = "#1 LSTM <wide> & Bob's"
    memory_tab.set_record(record)
    assert memory_tab.title_label.text().startswith("Run #1 LSTM <wide> & Bob's has no probe sample recorded")
    assert memory_tab.title_label.textFormat() == QtCore.Qt.TextFormat.PlainText
