"""The Dataset, Architecture and Training panels, driven through their widgets as a user would."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6 import QtGui
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QFormLayout, QSpinBox

from core.datasets import build_dataset, get_task
from core.param_count import count_parameters
from core.specs import DatasetSpec, ModelSpec, TrainingSpec, field_info
from desktop_app.panels import ArchitecturePanel, DatasetPanel, TrainingPanel
from desktop_app.widgets import INT_MAX, INT_MIN, SPEC_FIELD, ColumnsPicker, PathPicker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dataset_panel(show_widget):
    return show_widget(DatasetPanel(), 420, 900)


def _choose_task(qtbot, panel: DatasetPanel, name: str) -> None:
    with qtbot.waitSignal(panel.dataset_changed, timeout=3000):
        panel.task_combo.setCurrentIndex(panel.task_combo.findData(name))


def _type_path(qtbot, picker: PathPicker, text: str) -> None:
    picker.edit.selectAll()
    qtbot.keyClick(picker.edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(picker.edit, text)
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)


def _click_check(qtbot, box) -> None:
    """Click a check box on its indicator (a stretched box's centre may be empty space)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


# --- Dataset ------------------------------------------------------------------------------------


def test_cooking_preview_shows_decoded_words_and_shapes(qtbot, dataset_panel):
    _choose_task(qtbot, dataset_panel, "gym")
    _choose_task(qtbot, dataset_panel, "cooking")

    assert dataset_panel.spec().task == "cooking"
    assert dataset_panel.error_text() == ""
    data = dataset_panel.current_data()
    assert data is not None and data.info.io_mode == "many_to_many"
    words = dataset_panel.samples_label.text()
    assert "→" in words and "sunny" in words and any(d in words for d in ("pizza", "ice cream", "french fries"))
    assert words.count("<b>") == 3  # three numbered samples
    shapes = dataset_panel.shapes_label.text()
    assert "7 steps" in shapes and "3 classes" in shapes
    assert f"x {tuple(data.x_train.shape)}" in shapes and f"y {tuple(data.y_train.shape)}" in shapes
    assert f"{data.num_train} training, {data.num_val} validation" in shapes
    # One-hot weather and dishes are drawn as images with the names on the axis.
    assert any(isinstance(item, pg.ImageItem) for item in dataset_panel.input_plot.items)
    ticks = dataset_panel.target_plot.getAxis("left")._tickLevels[0]
    assert [label for _, label in ticks] == ["ice cream", "french fries", "pizza"]


def test_editing_a_parameter_rebuilds_after_the_debounce(qtbot, dataset_panel):
    days = dataset_panel.form().editor("days")
    days.selectAll()
    qtbot.keyClicks(days.lineEdit(), "10")
    with qtbot.waitSignal(dataset_panel.dataset_changed, timeout=3000) as blocker:
        qtbot.keyClick(days, Qt.Key.Key_Return)
    assert blocker.args[0].params["days"] == 10
    assert dataset_panel.current_data().x_train.shape[1:] == (10, 5)
    assert "10 steps" in dataset_panel.shapes_label.text()


def test_mode_specific_parameters_hide_and_preview_follows_the_io_mode(qtbot, dataset_panel):
    assert dataset_panel.form().is_row_visible("days")
    dataset_panel.set_io_mode("one_to_one")
    assert not dataset_panel.form().is_row_visible("days")
    assert dataset_panel.current_data().info.io_mode == "one_to_one"
    assert "x (640, 1, 2)" in dataset_panel.shapes_label.text()

    dataset_panel.set_io_mode("one_to_many")  # the cooking task has no such version
    assert dataset_panel.current_data() is None
    assert "one-to-many" in dataset_panel.error_text()
    assert dataset_panel.message_label.isVisibleTo(dataset_panel)


def test_bad_csv_path_shows_inline_error_and_keeps_last_valid_spec(qtbot, dataset_panel, tmp_path):
    good = tmp_path / "temps.csv"
    rows = ["day,temp,wind"] + [f"{i},{10 + (i % 7) * 0.5},{(i * 3) % 5}" for i in range(120)]
    good.write_text("\n".join(rows) + "\n", encoding="utf-8")
    dataset_panel.ask_open_file = lambda *args: (str(good), "")
    with qtbot.waitSignal(dataset_panel.dataset_changed, timeout=3000):
        qtbot.mouseClick(dataset_panel.import_csv_button, Qt.MouseButton.LeftButton)
    valid = dataset_panel.spec()
    assert valid.task == "csv" and valid.params["path"] == str(good)
    assert dataset_panel.current_data() is not None and dataset_panel.error_text() == ""
    # The header fills the column pickers.
    form = dataset_panel.form()
    target = form.editor("target_column")
    assert [target.itemText(i) for i in range(target.count())] == ["day", "temp", "wind"]
    features: ColumnsPicker = form.editor("feature_columns")
    assert [a.text() for a in features.menu.actions()] == ["day", "temp", "wind"]

    path_picker: PathPicker = form.editor("path")
    missing = tmp_path / "no_such_file.csv"
    with qtbot.waitSignal(dataset_panel.dataset_changed, timeout=3000):
        _type_path(qtbot, path_picker, str(missing))
    error = dataset_panel.error_text()
    assert "no_such_file.csv" in error
    assert dataset_panel.message_label.isVisibleTo(dataset_panel)
    assert "no_such_file.csv" in dataset_panel.message_label.plain_text()
    assert dataset_panel.current_data() is None
    assert dataset_panel.spec() == valid  # the last valid spec is kept
    assert dataset_panel.preview_box.title() == "Preview (last valid settings)"

    broken = tmp_path / "broken.csv"
    broken.write_text("temp,wind\n1,2\n3,abc\n" + "\n".join(f"{i},{i}" for i in range(50)) + "\n", encoding="utf-8")
    with qtbot.waitSignal(dataset_panel.dataset_changed, timeout=3000):
        _type_path(qtbot, path_picker, str(broken))
    assert "abc" in dataset_panel.error_text()
    assert dataset_panel.spec() == valid

    with qtbot.waitSignal(dataset_panel.dataset_changed, timeout=3000):
        _type_path(qtbot, path_picker, str(good))
    assert dataset_panel.error_text() == ""
    assert not dataset_panel.message_label.isVisibleTo(dataset_panel)
    assert dataset_panel.preview_box.title() == "Preview"


def test_set_spec_restores_task_parameters_without_emitting(qtbot, dataset_panel):
    spec = DatasetSpec(task="sine", params={"window": 12}, validation_split=0.25, seed=3)
    with qtbot.assertNotEmitted(dataset_panel.dataset_changed, wait=300):
        dataset_panel.set_spec(spec)
    assert dataset_panel.task_combo.currentData() == "sine"
    assert dataset_panel.form().editor("window").value() == 12
    assert dataset_panel.form().editor("validation_split").value() == pytest.approx(0.25)
    assert dataset_panel.spec().params["window"] == 12 and dataset_panel.spec().seed == 3
    assert dataset_panel.current_data().x_train.shape[1] == 12


# --- Architecture -------------------------------------------------------------------------------


@pytest.fixture
def arch_panel(show_widget):
    return show_widget(ArchitecturePanel(), 420, 900)


def _cooking_info(mode: str = "many_to_many"):
    return build_dataset(DatasetSpec(task="cooking", params={"samples": 40}), mode).info


def test_parameter_count_updates_when_units_change(qtbot, arch_panel):
    assert arch_panel.spec() == ModelSpec()
    info = _cooking_info()
    arch_panel.set_supported_modes(("many_to_many", "one_to_one"), "Cooking schedule")
    arch_panel.set_data_info(info)
    before = count_parameters(arch_panel.spec(), info).total
    assert f"Parameters: {before:,}" in arch_panel.params_label.text()

    arch_panel.units_spin.selectAll()
    qtbot.keyClicks(arch_panel.units_spin.lineEdit(), "64")
    with qtbot.waitSignal(arch_panel.model_changed, timeout=2000) as blocker:
        qtbot.keyClick(arch_panel.units_spin, Qt.Key.Key_Return)
    assert blocker.args[0].units == 64
    after = count_parameters(blocker.args[0], info).total
    assert after > before
    assert f"Parameters: {after:,}" in arch_panel.params_label.text()
    assert "rnn_1" in arch_panel.params_label.text() and "head" in arch_panel.params_label.text()


def test_unsupported_modes_are_disabled_with_the_reason(qtbot, arch_panel):
    arch_panel.set_supported_modes(("many_to_many", "one_to_one"), "Cooking schedule")
    arch_panel.set_data_info(_cooking_info())
    model = arch_panel.mode_combo.model()
    enabled = {arch_panel.mode_combo.itemData(i): model.item(i).isEnabled() for i in range(model.rowCount())}
    assert enabled == {"one_to_one": True, "one_to_many": False, "many_to_one": False, "many_to_many": True,
                       "encoder_decoder": False}
    tip = arch_panel.mode_combo.itemData(arch_panel.mode_combo.findData("many_to_one"), Qt.ItemDataRole.ToolTipRole)
    assert "Cooking schedule" in tip and "many-to-one" in tip

    # The keyboard skips the disabled modes: from one-to-one, Down lands on many-to-many.
    arch_panel.mode_combo.setCurrentIndex(arch_panel.mode_combo.findData("one_to_one"))
    with qtbot.waitSignal(arch_panel.model_changed, timeout=2000) as blocker:
        qtbot.keyClick(arch_panel.mode_combo, Qt.Key.Key_Down)
    assert blocker.args[0].io_mode == "many_to_many"

    # A project that asks for one anyway is explained before training.
    arch_panel.set_spec(ModelSpec(io_mode="many_to_one"))
    assert "Cooking schedule" in arch_panel.problem() and "many-to-one" in arch_panel.problem()
    assert arch_panel.problems_label.isVisibleTo(arch_panel)


def test_a_spec_alone_is_judged_while_there_is_no_data(qtbot, arch_panel):
    arch_panel.set_data_info(None)
    arch_panel.set_spec(ModelSpec(io_mode="one_to_many", one_to_many_feed="initial_state", bidirectional=True))
    assert "Bidirectional" in arch_panel.problem()
    assert not arch_panel.code_button.isEnabled()


def test_problems_are_explained_before_training(qtbot, arch_panel):
    sine = build_dataset(DatasetSpec(task="sine", params={"samples": 30}), "one_to_many").info
    arch_panel.set_supported_modes(("many_to_one", "many_to_many", "one_to_many"), "Sine waves")
    arch_panel.set_data_info(sine)
    arch_panel.set_spec(ModelSpec(io_mode="one_to_many", one_to_many_feed="initial_state"))
    assert arch_panel.problem() == ""
    assert arch_panel.feed_combo.isVisibleTo(arch_panel)
    with qtbot.waitSignal(arch_panel.model_changed, timeout=2000):
        _click_check(qtbot, arch_panel.bidirectional_check)
    assert "Bidirectional" in arch_panel.problem()
    assert "Bidirectional" in arch_panel.problems_label.plain_text()

    reverse = build_dataset(DatasetSpec(task="echo", params={"operation": "reverse", "samples": 30}),
                            "many_to_many").info
    arch_panel.set_supported_modes(("many_to_many", "encoder_decoder"), "Echo / reverse")
    arch_panel.set_data_info(reverse)
    arch_panel.set_spec(ModelSpec(io_mode="many_to_many"))
    assert arch_panel.problem() == ""
    assert any("encoder-decoder" in w for w in arch_panel.warnings())
    arch_panel.set_spec(ModelSpec(io_mode="many_to_many", bidirectional=True))
    assert not any("Reversing" in w for w in arch_panel.warnings())


def test_keras_code_is_shown_without_waiting_for_tensorflow(qtbot, arch_panel):
    arch_panel.set_data_info(_cooking_info())
    assert arch_panel.code_button.isEnabled()
    qtbot.mouseClick(arch_panel.code_button, Qt.MouseButton.LeftButton)
    dialog = arch_panel.code_dialog
    qtbot.addWidget(dialog)
    code = dialog.editor.toPlainText()
    assert "keras.layers.LSTM(32" in code and 'name="rnn_1"' in code and 'name="head"' in code
    dialog.close()


def test_model_checks_and_keras_code_load_no_tensorflow():
    script = textwrap.dedent("""
        import sys
        from PySide6.QtWidgets import QApplication
        from core.datasets import build_dataset
        from core.specs import DatasetSpec, ModelSpec
        from desktop_app.panels import ArchitecturePanel

        app = QApplication([])
        panel = ArchitecturePanel()
        sine = build_dataset(DatasetSpec(task="sine", params={"samples": 30}), "one_to_many").info
        panel.set_data_info(sine)
        panel.set_spec(ModelSpec(io_mode="one_to_many", one_to_many_feed="initial_state", bidirectional=True))
        assert "Bidirectional" in panel.problem(), panel.problem()
        panel.set_spec(ModelSpec(io_mode="one_to_many", activation="relu"))
        assert panel.problem() == "" and "cuDNN" in panel.notes_label.text(), panel.notes_label.text()
        panel.code_button.click()
        assert "keras.layers.LSTM(" in panel.code_dialog.editor.toPlainText()
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_diagram_and_equation_follow_the_choices(qtbot, arch_panel):
    adding = build_dataset(DatasetSpec(task="adding", params={"length": 60, "samples": 20}), "many_to_one").info
    arch_panel.set_supported_modes(("many_to_one",), "Adding problem")
    arch_panel.set_data_info(adding)
    arch_panel.set_spec(ModelSpec(cell="SimpleRNN", io_mode="many_to_one", activation="relu"))
    cols = arch_panel.diagram.columns()
    assert cols[0].input_label == "x1" and cols[-1].input_label == "x60" and cols[-1].output_label == "y"
    assert any(c.ellipsis for c in cols) and not any(c.output_label for c in cols[:-1])
    assert "60 steps in, 1 out" in arch_panel.diagram.caption()
    # SimpleRNN shows the lecture's slide verbatim, then names the chosen g_h and g_y.
    plain = QtGui.QTextDocumentFragment.fromHtml(arch_panel.equation_label.text()).toPlainText()
    assert "h(t) = gh(wi x(t) + wR h(t−1) + bh)" in plain
    assert "y(t) = gy(wy h(t) + by)" in plain
    assert "gh = relu" in plain and "gy = identity" in plain
    # A long sequence with a SimpleRNN and an unbounded activation: it explodes rather than vanishes,
    # so one warning (clipping), not both; with clipping set there is nothing left to ask for.
    warnings = " ".join(arch_panel.warnings())
    assert "clipping" in warnings and "vanishes" not in warnings
    arch_panel.set_clip_mode("global_norm")
    assert not any("clipping" in w for w in arch_panel.warnings())
    arch_panel.set_spec(ModelSpec(cell="SimpleRNN", io_mode="many_to_one", activation="tanh"))
    warnings = " ".join(arch_panel.warnings())
    assert "vanishes" in warnings and "explode" not in warnings

    arch_panel.set_data_info(_cooking_info())
    arch_panel.set_supported_modes(("many_to_many", "one_to_one"), "Cooking schedule")
    arch_panel.set_spec(ModelSpec(cell="LSTM", io_mode="many_to_many"))
    cols = arch_panel.diagram.columns()
    assert [c.input_label for c in cols] == [f"x{t}" for t in range(1, 8)]
    assert [c.output_label for c in cols] == [f"y{t}" for t in range(1, 8)]
    text = arch_panel.equation_label.text()
    assert "softmax" in text and "tanh(" in text  # LSTM: the real activation inside the cell


# --- Training -----------------------------------------------------------------------------------


@pytest.fixture
def training_panel(show_widget):
    return show_widget(TrainingPanel(), 420, 700)


def _enabled(panel: TrainingPanel) -> dict[str, bool]:
    return {name: getattr(panel, f"{name}_button").isEnabled()
            for name in ("train", "compare", "pause", "resume", "stop")}


def test_run_buttons_emit_and_follow_the_run_state(qtbot, training_panel):
    panel = training_panel
    assert _enabled(panel) == {"train": True, "compare": True, "pause": False, "resume": False, "stop": False}
    with qtbot.waitSignal(panel.train_requested, timeout=1000):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)

    panel.set_run_state("preparing")
    assert _enabled(panel) == {"train": False, "compare": False, "pause": False, "resume": False, "stop": True}
    assert not panel.settings.isEnabled()

    panel.set_run_state("running")
    assert _enabled(panel) == {"train": False, "compare": False, "pause": True, "resume": False, "stop": True}
    with qtbot.waitSignal(panel.pause_requested, timeout=1000):
        qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)

    panel.set_run_state("paused")
    assert _enabled(panel) == {"train": False, "compare": False, "pause": False, "resume": True, "stop": True}
    with qtbot.waitSignal(panel.resume_requested, timeout=1000):
        qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.stop_requested, timeout=1000):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)

    panel.set_run_state("stopping")
    assert not any(_enabled(panel).values())
    assert "Stopping" in panel.progress_text()

    panel.set_run_state("idle")
    assert panel.settings.isEnabled()
    with qtbot.waitSignal(panel.compare_requested, timeout=1000):
        qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)

    panel.set_train_enabled(False, "the dataset settings are invalid")
    assert _enabled(panel) == {"train": False, "compare": False, "pause": False, "resume": False, "stop": False}
    assert "dataset settings are invalid" in panel.train_button.toolTip()
    assert panel.reason_label.isVisibleTo(panel)
    panel.set_train_enabled(True)
    assert panel.train_button.isEnabled() and not panel.reason_label.isVisibleTo(panel)
    with pytest.raises(ValueError, match="run state"):
        panel.set_run_state("sleeping")


def test_progress_shows_epoch_batch_and_times(training_panel):
    training_panel.set_run_state("running")
    training_panel.set_progress(3, 20, 12, 40, 5.2, 30.4)
    assert training_panel.progress_text() == "Epoch 3/20 · batch 12/40 · 0:05 elapsed · ~0:30 left"
    assert training_panel.progress_bar.value() == round(1000 * (2 * 40 + 12) / (20 * 40))
    training_panel.set_progress(20, 20, 40, 40, 3725, None)
    assert training_panel.progress_text() == "Epoch 20/20 · batch 40/40 · 1:02:05 elapsed"
    assert training_panel.progress_bar.value() == 1000


def test_starting_a_run_does_not_shift_the_training_panel(qtbot, show_widget):
    # As narrow and short as the docked panel gets: the progress line takes two lines there.
    panel = show_widget(TrainingPanel(), 300, 520)
    spins = panel.findChildren(QAbstractSpinBox)

    def layout_now():
        qtbot.wait(10)
        return panel.progress_label.height(), [spin.geometry() for spin in spins]

    ready = layout_now()
    panel.set_run_state("preparing")
    preparing = layout_now()
    panel.set_run_state("running")
    panel.set_progress(1, 3, 5, 16, 1.0, 7.0)
    label = panel.progress_label
    assert label.fontMetrics().horizontalAdvance(label.text()) > label.width(), "the progress line should wrap here"
    running = layout_now()
    assert ready == preparing == running


def test_settings_edits_emit_training_spec(qtbot, training_panel):
    panel = training_panel
    assert panel.spec() == TrainingSpec()
    assert panel.lr_spin.text() == "0.01"
    assert not panel.momentum_spin.isVisibleTo(panel)  # Adam has no momentum setting
    assert not panel.clip_spin.isVisibleTo(panel)  # no clipping, no threshold
    with qtbot.waitSignal(panel.training_changed, timeout=1000) as blocker:
        panel.optimizer_combo.setCurrentIndex(panel.optimizer_combo.findData("sgd"))
    assert blocker.args[0].optimizer == "sgd"
    assert panel.momentum_spin.isVisibleTo(panel)

    with qtbot.waitSignal(panel.training_changed, timeout=1000) as blocker:
        panel.clip_combo.setCurrentIndex(panel.clip_combo.findData("global_norm"))
    assert blocker.args[0].clip_mode == "global_norm" and panel.clip_spin.isVisibleTo(panel)

    # The learning rate steps 1-2-5 per decade with the arrow keys.
    with qtbot.waitSignal(panel.training_changed, timeout=1000) as blocker:
        qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Up)
    assert blocker.args[0].learning_rate == pytest.approx(0.02)
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Up)
    assert panel.spec().learning_rate == pytest.approx(0.05)
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Down)
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Down)
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Down)
    assert panel.spec().learning_rate == pytest.approx(0.005)
    # Typed in scientific notation.
    panel.lr_spin.selectAll()
    qtbot.keyClicks(panel.lr_spin.lineEdit(), "3e-4")
    qtbot.keyClick(panel.lr_spin, Qt.Key.Key_Return)
    assert panel.spec().learning_rate == pytest.approx(3e-4)

    assert not panel.patience_spin.isEnabled()
    with qtbot.waitSignal(panel.training_changed, timeout=1000) as blocker:
        _click_check(qtbot, panel.early_check)
    assert blocker.args[0].early_stopping and panel.patience_spin.isEnabled()


def test_devices_are_offered_and_kept(qtbot, training_panel):
    panel = training_panel
    panel.set_devices([("cpu", "CPU"), ("gpu:0", "GPU 0"), ("gpu:1", "GPU 1"), ("all_gpus", "All GPUs (2)")])
    assert [d for d, _ in panel.devices()] == ["cpu", "gpu:0", "gpu:1", "all_gpus"]
    with qtbot.waitSignal(panel.training_changed, timeout=1000) as blocker:
        panel.device_combo.setCurrentIndex(panel.device_combo.findData("gpu:1"))
    assert blocker.args[0].device == "gpu:1"
    panel.set_devices([("cpu", "CPU"), ("gpu:0", "GPU 0"), ("gpu:1", "GPU 1")])
    assert panel.spec().device == "gpu:1"
    # A project saved on a GPU machine opens on a CPU-only one with the CPU chosen.
    panel.set_devices([("cpu", "CPU")])
    panel.set_spec(TrainingSpec(device="gpu:3", epochs=7))
    assert panel.spec().device == "cpu" and panel.spec().epochs == 7


# --- the thread fixture itself ------------------------------------------------------------------


# --- one source per field ------------------------------------------------------------------------

SPIN_BOX_FIELDS = {
    "dataset.validation_split", "dataset.test_split", "dataset.seed",
    "model.layers", "model.units", "model.dropout", "model.recurrent_dropout", "model.embedding_dim",
    "training.learning_rate", "training.momentum", "training.clip_value", "training.epochs",
    "training.batch_size", "training.patience", "training.seed",
}


def test_every_spin_box_offers_exactly_what_the_spec_accepts(dataset_panel, arch_panel, training_panel):
    panels = (dataset_panel, arch_panel, training_panel)
    boxes = {box.property(SPEC_FIELD): box for panel in panels for box in panel.findChildren(QAbstractSpinBox)
             if box.property(SPEC_FIELD)}
    assert set(boxes) == SPIN_BOX_FIELDS
    labels = {name: layout.labelForField(box).text() for name, box in boxes.items()
              for panel in panels for layout in panel.findChildren(QFormLayout) if layout.labelForField(box)}
    # Patience shares the "Early stopping" row with its check box.
    assert set(labels) == SPIN_BOX_FIELDS - {"training.patience"}
    for name, box in boxes.items():
        info = field_info(name)
        if isinstance(box, QDoubleSpinBox):
            # What the box would hold one step of its precision past each end.
            quantum, digits = 10.0 ** -box.decimals(), box.decimals()
            ends = [(box.minimum(), round(box.minimum() - quantum, digits)),
                    (box.maximum(), round(box.maximum() + quantum, digits))]
        else:
            assert isinstance(box, QSpinBox)
            ends = [(box.minimum(), box.minimum() - 1), (box.maximum(), box.maximum() + 1)]
        for end, beyond in ends:
            assert info.accepts(end), (name, end)
            assert not info.accepts(beyond) or not INT_MIN <= beyond <= INT_MAX, (name, beyond)
        assert info.help in box.toolTip(), name
        assert labels.get(name, f"{info.label}:") == f"{info.label}:", name


def test_a_value_typed_at_the_end_of_a_range_validates(qtbot, arch_panel, training_panel):
    arch_panel.dropout_spin.setValue(arch_panel.dropout_spin.maximum())
    training_panel.lr_spin.setValue(training_panel.lr_spin.minimum())
    training_panel.clip_spin.setValue(training_panel.clip_spin.minimum())
    arch_panel.spec().validate()
    training_panel.spec().validate()
    assert 0 < training_panel.spec().learning_rate < 1e-6 and arch_panel.spec().dropout < 1


def test_a_test_leaving_a_qthread_running_fails(tmp_path):
    (tmp_path / "conftest.py").write_text((Path(__file__).parent / "conftest.py").read_text())
    (tmp_path / "test_leak.py").write_text(textwrap.dedent("""
        from PySide6.QtCore import QThread

        def test_leaks(qtbot):
            thread = QThread()
            thread.start()          # an event loop that nobody quits
            test_leaks.thread = thread

        def test_clean(qtbot):
            thread = QThread()
            thread.start()
            thread.quit()
            thread.wait()
    """))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "qt_api=pyside6", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
    )
    # test_leaks' body passes and its teardown errors; test_clean passes.
    assert "2 passed, 1 error" in result.stdout, result.stdout[-3000:]
    assert "ERROR test_leak.py::test_leaks" in result.stdout
    assert "left 1 QThread(s) running" in result.stdout


def test_every_task_and_mode_previews_without_error(qtbot, dataset_panel, monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: reported.append(exc))
    for index in range(dataset_panel.task_combo.count()):
        task = get_task(dataset_panel.task_combo.itemData(index))
        dataset_panel.set_spec(DatasetSpec(task=task.name))
        for mode in task.supported_modes:
            dataset_panel.set_io_mode(mode)
            assert dataset_panel.error_text() == "", (task.name, mode)
            data = dataset_panel.current_data()
            assert data is not None and data.info.io_mode == mode
            assert f"x {tuple(data.x_train.shape)}" in dataset_panel.shapes_label.text()
            assert dataset_panel.samples_label.text().count("→") == 3, (task.name, mode)
            assert dataset_panel.input_plot.items and dataset_panel.target_plot.items, (task.name, mode)
    assert reported == []
