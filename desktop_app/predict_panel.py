"""Try a trained model: a validation sample or a typed sequence, and generation of a continuation.

Results are shown as the user thinks of them: words for classes with a probability chart per
output step, or a plot of prediction against target in the data's own units for values.
TensorFlow is only touched through core.inference, imported when a prediction is asked for
(the window appears before TensorFlow loads). The TF backend is not thread-safe, so the panel
is disabled while a run trains (``set_busy``).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.datasets import get_task
from core.datasets.base import CLASSIFICATION
from core.errors import RNNLabError
from core.evaluation import horizon_of
from core.specs import IO_MODE_TITLES
from desktop_app.memory.sample_picker import ERROR_STYLE, SamplePicker
from desktop_app.plots.style import style_axes
from desktop_app.widgets import notice_label

BUSY_NOTE = "Prediction is available when training is not running."
NO_MODEL_NOTE = "Train a model or open a saved one to make predictions."
MAX_BARS = 10
TARGET_COLOR = "#009E73"
PREDICTED_COLOR = "#0072B2"
WRONG_COLOR = "#D55E00"
OTHER_COLOR = "#9aa5b1"
SEED_COLOR = "#7f7f7f"
TARGET_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")


def _styled_plot(x_label: str, y_label: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    style_axes(item, x_label, y_label)
    item.setMenuEnabled(False)
    widget.setMinimumHeight(180)
    return widget


class PredictPanel(QtWidgets.QWidget):
    """Predict one validation sample or a typed sequence; generate text or a series continuation."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._model: Any = None
        self._info: Any = None
        self._data: Any = None
        self._busy = False
        self._prediction: Any = None
        self._typed_ok = False
        self._generation = ""
        self._bar_names: list[str] = []
        self._step_probs: np.ndarray | None = None
        self._step_targets: np.ndarray | None = None
        self.generated = ""  # the last generated text
        self.generated_values: np.ndarray | None = None  # the last generated series
        self._build_ui()
        self.clear()

    # --- construction ---------------------------------------------------------------------

    def _build_ui(self) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.note_label = notice_label(NO_MODEL_NOTE)
        outer.addWidget(self.note_label)

        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        # Narrow panels wrap and shrink their content instead of scrolling sideways.
        scroll.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        outer.addWidget(scroll, 1)
        self.body = QtWidgets.QWidget()
        scroll.setWidget(self.body)
        layout = QtWidgets.QVBoxLayout(self.body)
        layout.setContentsMargins(6, 6, 6, 6)

        self.model_label = QtWidgets.QLabel("")
        self.model_label.setWordWrap(True)
        layout.addWidget(self.model_label)

        # Input: the Memory tab's picker, without its probe epochs ------------------------
        inputs = QtWidgets.QGroupBox("Input")
        form = QtWidgets.QVBoxLayout(inputs)
        self.picker = SamplePicker(action="Predict", action_tip="Run the model on the chosen validation sample",
                                   probe=False)
        self.picker.sample_requested.connect(lambda _index: self._on_predict_sample_clicked())
        self.picker.typed_requested.connect(lambda _text: self._on_predict_typed_clicked())
        form.addWidget(self.picker)
        layout.addWidget(inputs)
        # The picker's controls under the names the window and its tests use.
        self.sample_spin = self.picker.sample_spin
        self.sample_count_label = self.picker.sample_count_label
        self.predict_button = self.picker.show_button
        self.input_edit = self.picker.input_edit
        self.predict_typed_button = self.picker.show_typed_button
        self.error_label = self.picker.error_label

        # Result ---------------------------------------------------------------------------
        self.result_box = QtWidgets.QGroupBox("Result")
        result = QtWidgets.QVBoxLayout(self.result_box)
        self.input_label = QtWidgets.QLabel("")
        self.output_label = QtWidgets.QLabel("")
        self.target_label = QtWidgets.QLabel("")
        for label in (self.input_label, self.output_label, self.target_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            result.addWidget(label)

        self.step_table = QtWidgets.QTableWidget(0, 5)
        self.step_table.setHorizontalHeaderLabels(["Step", "Predicted", "Probability", "Target", ""])
        self.step_table.verticalHeader().setVisible(False)
        self.step_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.step_table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.step_table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.step_table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        header = self.step_table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        # The words share what is left, so a narrow panel needs no sideways scrolling.
        for column in (1, 3):
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.step_table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.step_table.setToolTip("Click a step to see the probability of every class at that step")
        self.step_table.itemSelectionChanged.connect(self._on_step_selected)

        self.prob_plot = _styled_plot("probability", "")
        self.prob_plot.setMouseEnabled(x=False, y=False)
        self.prob_plot.getPlotItem().hideButtons()
        self.prob_plot.getPlotItem().invertY(True)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[], brushes=[])
        self.prob_plot.addItem(self.bars)
        self._bar_texts: list[pg.TextItem] = []
        self.prob_title = QtWidgets.QLabel("")
        self.prob_title.setWordWrap(True)
        self.class_view = QtWidgets.QWidget()
        class_layout = QtWidgets.QVBoxLayout(self.class_view)
        class_layout.setContentsMargins(0, 0, 0, 0)
        class_layout.addWidget(self.step_table)
        class_layout.addWidget(self.prob_title)
        class_layout.addWidget(self.prob_plot)
        result.addWidget(self.class_view)

        self.value_plot = _styled_plot("time step", "value")
        self.value_plot.getPlotItem().addLegend(offset=(8, 8), brush=pg.mkBrush(255, 255, 255, 210),
                                                labelTextColor="#222222")
        self.value_plot.setMinimumHeight(260)
        result.addWidget(self.value_plot)
        layout.addWidget(self.result_box)

        # Generation -----------------------------------------------------------------------
        self.generate_box = QtWidgets.QGroupBox("Generate a continuation")
        gen = QtWidgets.QGridLayout(self.generate_box)
        gen.setColumnStretch(1, 1)
        self.seed_label = QtWidgets.QLabel("Seed text")
        gen.addWidget(self.seed_label, 0, 0)
        self.seed_edit = QtWidgets.QLineEdit()
        self.seed_edit.setToolTip("The text the model continues (it reads the last window of it)")
        gen.addWidget(self.seed_edit, 0, 1, 1, 3)
        options = QtWidgets.QHBoxLayout()
        options.addWidget(QtWidgets.QLabel("Length"))
        self.length_spin = QtWidgets.QSpinBox()
        self.length_spin.setRange(1, 2000)
        self.length_spin.setValue(200)
        self.length_spin.setToolTip("How many characters, words or time steps to produce")
        options.addWidget(self.length_spin)
        self.temperature_label = QtWidgets.QLabel("Temperature")
        options.addSpacing(8)
        options.addWidget(self.temperature_label)
        self.temperature_spin = QtWidgets.QDoubleSpinBox()
        self.temperature_spin.setRange(0.05, 5.0)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setValue(0.8)
        self.temperature_spin.setToolTip("Lower: safer, more repetitive choices. Higher: more surprising ones.")
        options.addWidget(self.temperature_spin)
        options.addStretch(1)
        self.generate_button = QtWidgets.QPushButton("Generate")
        self.generate_button.clicked.connect(self._on_generate_clicked)
        options.addWidget(self.generate_button)
        gen.addLayout(options, 1, 0, 1, 4)
        self.generate_error = QtWidgets.QLabel("")
        self.generate_error.setWordWrap(True)
        self.generate_error.setStyleSheet(ERROR_STYLE)
        self.generate_error.hide()
        gen.addWidget(self.generate_error, 3, 0, 1, 4)
        self.generated_text = QtWidgets.QTextEdit()
        self.generated_text.setReadOnly(True)
        self.generated_text.setMinimumHeight(100)
        self.generated_text.setPlaceholderText("The generated text appears here; the seed is grey.")
        gen.addWidget(self.generated_text, 4, 0, 1, 4)
        self.series_plot = _styled_plot("time step", "value")
        self.series_plot.getPlotItem().addLegend(offset=(8, 8), brush=pg.mkBrush(255, 255, 255, 210),
                                                 labelTextColor="#222222")
        self.series_plot.setMinimumHeight(240)
        gen.addWidget(self.series_plot, 5, 0, 1, 4)
        layout.addWidget(self.generate_box)
        layout.addStretch(1)

    # --- public API ----------------------------------------------------------------------

    def set_model(self, model: Any, info: Any, data: Any | None) -> None:
        """Use this model (keras.Model), its DataInfo and, if available, data with the same shapes."""
        self._model, self._info, self._data = model, info, data
        self._prediction = None
        task = get_task(info.task)
        self._generation = task.generation_for(info)
        self._typed_ok = task.accepts_typed_input
        mode = IO_MODE_TITLES.get(info.io_mode, info.io_mode)
        self.model_label.setText(f"<b>{html.escape(task.title)}</b> · {html.escape(mode)} · "
                                 f"{'classes' if info.kind == CLASSIFICATION else 'values'}")
        self.picker.set_source(info, data)
        self.sample_spin.setValue(0)
        example = info.extra.get("input_example", "")
        self.seed_label.setText("Seed text" if self._generation == "text" else "Seed")
        if self._generation == "text":
            self.seed_edit.setText(str(example))
        self.temperature_label.setVisible(self._generation == "text")
        self.temperature_spin.setVisible(self._generation == "text")
        self.seed_label.setVisible(self._generation == "text")
        self.seed_edit.setVisible(self._generation == "text")
        self.generated_text.setVisible(self._generation == "text")
        self.series_plot.setVisible(self._generation == "series")
        # A one-to-many model emits a fixed number of steps at once: asking for more is an error.
        fixed_steps = (int(info.output_shape[0]) if self._generation == "series" and info.io_mode == "one_to_many"
                       and info.output_shape else 0)
        self.length_spin.setRange(1, fixed_steps or 2000)
        self.length_spin.setValue(fixed_steps or (50 if self._generation == "series" else 200))
        if self._generation == "series":
            self.generate_button.setToolTip("Continue the chosen validation sample (or the typed sequence) "
                                            "by feeding each prediction back as the next input")
        else:
            self.generate_button.setToolTip("Continue the seed text, sampling one character or word at a time")
        self.generate_box.setVisible(bool(self._generation))
        self.generated_text.clear()
        self.series_plot.getPlotItem().clear()
        self._clear_result()
        self.picker.set_error("")
        self._set_generate_error("")
        self._update_enabled()

    def clear(self) -> None:
        self._model = self._info = self._data = None
        self._prediction = None
        self._generation = ""
        self.model_label.setText("")
        self.picker.set_source(None, None)
        self.input_edit.clear()
        self.generate_box.hide()
        self._clear_result()
        self.picker.set_error("")
        self._update_enabled()

    def set_busy(self, busy: bool) -> None:
        """Disable everything while a run trains (the TF backend is not thread-safe)."""
        self._busy = bool(busy)
        self._update_enabled()

    def has_model(self) -> bool:
        return self._model is not None

    def prediction(self):
        """The last core.inference.Prediction shown (None if nothing is shown)."""
        return self._prediction

    def shown_probabilities(self) -> dict[str, float]:
        """Class -> probability as drawn in the bar chart for the selected output step."""
        names = self._bar_names
        widths = self.bars.opts.get("width")
        if widths is None or not names or not self.bars.isVisible():
            return {}
        return {name: float(w) for name, w in zip(names, np.atleast_1d(widths))}

    def predict_sample(self, index: int | None = None) -> None:
        if index is not None:
            self.sample_spin.setValue(int(index))
        self._on_predict_sample_clicked()

    def predict_text(self, text: str) -> None:
        self.input_edit.setText(text)
        self._on_predict_typed_clicked()

    # --- prediction -----------------------------------------------------------------------

    def _update_enabled(self) -> None:
        ready = self._model is not None and not self._busy
        self.body.setEnabled(ready)
        if self._busy:
            self.note_label.setText(BUSY_NOTE)
            self.note_label.show()
        elif self._model is None:
            self.note_label.setText(NO_MODEL_NOTE)
            self.note_label.show()
        else:
            self.note_label.hide()
        self.picker.set_can_compute(ready)

    def _set_generate_error(self, text: str) -> None:
        self.generate_error.setText(text)
        self.generate_error.setVisible(bool(text))

    def _on_predict_sample_clicked(self) -> None:
        if self._model is None or self._busy or self._data is None or self._data.num_val == 0:
            return
        from core import inference

        index = self.sample_spin.value()
        x, y = self._data.sample(index, "val")
        try:
            prediction = inference.predict_sample(self._model, self._info, x, y)
        except RNNLabError as exc:
            self.picker.set_error(str(exc))
            return
        self.picker.set_error("")
        self._show(prediction, x, title=f"Validation sample {index}")

    def _on_predict_typed_clicked(self) -> None:
        if self._model is None or self._busy or not self._typed_ok:
            return
        text = self.input_edit.text()
        try:
            x = self._info.encode_input(text)
            from core import inference

            prediction = inference.predict_sample(self._model, self._info, x)
        except RNNLabError as exc:
            self.picker.set_error(str(exc))
            return
        self.picker.set_error("")
        self._show(prediction, x, title="Typed sequence")

    def _clear_result(self) -> None:
        self._prediction = None
        self.result_box.setTitle("Result")
        for label in (self.input_label, self.output_label, self.target_label):
            label.clear()
        self.target_label.hide()
        self.step_table.setRowCount(0)
        self._set_bars([], [], [])
        self.prob_title.clear()
        self.class_view.hide()
        self.value_plot.getPlotItem().clear()
        self.value_plot.hide()

    def _show(self, prediction, x: np.ndarray, title: str) -> None:
        self._clear_result()
        self._prediction = prediction
        info = self._info
        self.result_box.setTitle(f"Result: {title}")
        self.input_label.setText(f"<b>Input:</b> {html.escape(prediction.decoded_input)}")
        verdict = ""
        if prediction.accuracy is not None:
            steps = len(np.atleast_1d(prediction.target_values).reshape(-1))
            right = int(round(prediction.accuracy * steps))
            if steps == 1:
                verdict = "  ✓ right" if right else "  ✗ wrong"
            else:
                verdict = f"  ({right} of {steps} steps right)"
        self.output_label.setText(f"<b>Prediction:</b> {html.escape(prediction.decoded_output)}{verdict}")
        if prediction.target is not None:
            self.target_label.setText(f"<b>Target:</b> {html.escape(prediction.target)}")
            self.target_label.show()
        if info.kind == CLASSIFICATION:
            self._show_classes(prediction)
        else:
            self._show_values(prediction, x)

    def _show_classes(self, prediction) -> None:
        info = self._info
        probs = np.asarray(prediction.output, dtype=np.float64)
        steps = probs.reshape(-1, probs.shape[-1])
        targets = None
        if prediction.target_values is not None:
            targets = np.asarray(prediction.target_values).astype(int).reshape(-1)
            if len(targets) != len(steps):
                targets = None
        self._step_probs = steps
        self._step_targets = targets
        self.step_table.setRowCount(len(steps))
        for row, step in enumerate(steps):
            best = int(np.argmax(step))
            cells = [str(row + 1), info.class_names[best], f"{step[best]:.1%}"]
            if targets is not None:
                right = targets[row] == best
                cells += [info.class_names[targets[row]], "✓" if right else "✗"]
            else:
                cells += ["", ""]
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                if column == 4 and text:
                    item.setForeground(QtGui.QBrush(QtGui.QColor(TARGET_COLOR if text == "✓" else "#b00020")))
                self.step_table.setItem(row, column, item)
        self.step_table.setColumnHidden(3, targets is None)
        self.step_table.setColumnHidden(4, targets is None)
        # One step (many-to-one) needs no table: the chart says it all.
        self.step_table.setVisible(len(steps) > 1)
        shown_rows = min(len(steps), 10)
        self.step_table.setFixedHeight(self.step_table.horizontalHeader().height()
                                       + sum(self.step_table.rowHeight(r) for r in range(shown_rows))
                                       + 2 * self.step_table.frameWidth() + 2)
        self.class_view.show()
        self.step_table.selectRow(len(steps) - 1 if len(steps) > 1 else 0)
        self._show_step(self.step_table.currentRow() if len(steps) > 1 else 0)

    def _on_step_selected(self) -> None:
        rows = self.step_table.selectionModel().selectedRows() if self.step_table.selectionModel() else []
        if rows:
            self._show_step(rows[0].row())

    def _show_step(self, row: int) -> None:
        steps = self._step_probs
        if steps is None or not 0 <= row < len(steps):
            return
        info = self._info
        step = steps[row]
        order = np.argsort(-step, kind="stable")[:MAX_BARS]
        names = [info.class_names[int(i)] for i in order]
        target = None if self._step_targets is None else int(self._step_targets[row])
        colors = []
        for rank, i in enumerate(order):
            if target is not None and int(i) == target:
                colors.append(TARGET_COLOR)
            elif rank == 0:
                colors.append(WRONG_COLOR if target is not None else PREDICTED_COLOR)
            else:
                colors.append(OTHER_COLOR)
        self._set_bars(names, [float(step[int(i)]) for i in order], colors)
        title = "Probabilities"
        if len(steps) > 1:
            title += f" at step {row + 1}"
        if len(step) > MAX_BARS:
            title += f" (top {MAX_BARS} of {len(step)} classes)"
        if target is None:
            title += " (blue: predicted)"
        elif int(order[0]) == target:
            title += " (green: the target, predicted right)"
        else:
            title += " (green: the target; orange: the wrong prediction)"
        self.prob_title.setText(title)

    def _set_bars(self, names: list[str], values: list[float], colors: list[str]) -> None:
        self._bar_names = list(names)
        plot = self.prob_plot.getPlotItem()
        for text in self._bar_texts:
            plot.removeItem(text)
        self._bar_texts = []
        self.bars.setVisible(bool(values))
        if not values:
            # pyqtgraph's BarGraphItem fails on empty pen lists: keep the old bars, hidden.
            plot.getAxis("left").setTicks([[]])
            return
        positions = np.arange(len(values), dtype=float)
        self.bars.setOpts(x0=np.zeros(len(values)), y=positions, height=0.7, width=np.asarray(values, dtype=float),
                          brushes=[pg.mkBrush(c) for c in colors], pens=[pg.mkPen(c) for c in colors])
        axis = plot.getAxis("left")
        axis.setTicks([[(float(i), self._tick_name(name)) for i, name in enumerate(names)]])
        for i, value in enumerate(values):
            text = pg.TextItem(f"{value:.1%}", color="#222222", anchor=(0, 0.5))
            text.setPos(min(value, 0.82) + 0.01, float(i))
            plot.addItem(text)
            self._bar_texts.append(text)
        plot.setXRange(-0.02, 1.06, padding=0)
        if len(values):
            plot.setYRange(-0.6, len(values) - 0.4, padding=0)
        self.prob_plot.setFixedHeight(max(120, 30 * len(values) + 50))

    @staticmethod
    def _tick_name(name: str) -> str:
        # Characters of a text task: make blanks visible.
        if name == " ":
            return "␣ (space)"
        if name == "\n":
            return "⏎ (newline)"
        return name if len(name) <= 18 else name[:17] + "…"

    def _show_values(self, prediction, x: np.ndarray) -> None:
        info = self._info
        plot = self.value_plot.getPlotItem()
        plot.clear()
        if plot.legend is not None:
            plot.legend.clear()
        output = np.asarray(prediction.output, dtype=np.float64)
        target = None if prediction.target_values is None else np.asarray(prediction.target_values, dtype=np.float64)
        has_time = info.io_mode in ("many_to_many", "encoder_decoder", "one_to_many")
        n_targets = info.output_dim
        output = output.reshape(-1, n_targets) if has_time else output.reshape(1, -1)
        if target is not None:
            target = target.reshape(output.shape) if target.size == output.size else None
        horizon = horizon_of(info)  # 0 is a real horizon: the label at the window's last row
        history = info.feedback_features()
        steps_in = 0 if info.io_mode == "one_to_many" else len(x) if x is not None else info.input_shape[0]
        if info.io_mode == "many_to_many":
            out_t = np.arange(1, len(output) + 1) + horizon
        elif info.io_mode == "encoder_decoder":
            out_t = steps_in + np.arange(1, len(output) + 1)
        elif info.io_mode == "one_to_many":
            out_t = np.arange(1, len(output) + 1)
        else:
            out_t = np.array([steps_in + horizon if info.io_mode == "many_to_one" else 1])
        names = info.target_names or [f"value {k + 1}" for k in range(n_targets)]
        multi = n_targets > 1
        for k in range(n_targets):
            color = TARGET_COLORS[k % len(TARGET_COLORS)]
            prefix = f"{names[k]}: " if multi else ""
            if history is not None and x is not None and np.ndim(x) == 2:
                past = info.denormalize_x(x)[:, history[k]]
                plot.plot(np.arange(1, len(past) + 1), past, pen=pg.mkPen(SEED_COLOR, width=1.5),
                          name=f"{prefix}input")
            symbol_size = 8 if len(output) > 1 else 11
            if target is not None:
                plot.plot(out_t, target[:, k], pen=pg.mkPen(color, width=2) if len(output) > 1 else None,
                          symbol="o", symbolSize=symbol_size, symbolBrush=pg.mkBrush(color),
                          symbolPen=pg.mkPen(color), name=f"{prefix}target")
            plot.plot(out_t, output[:, k],
                      pen=pg.mkPen(color, width=2, style=QtCore.Qt.PenStyle.DashLine) if len(output) > 1 else None,
                      symbol="x", symbolSize=symbol_size + 2, symbolPen=pg.mkPen("#222222", width=2),
                      symbolBrush=pg.mkBrush("#222222"), name=f"{prefix}prediction")
        units = info.extra.get("units")
        plot.setLabel("left", f"value ({units})" if units else "value (data units)", color="#222222")
        plot.setLabel("bottom", "time step", color="#222222")
        self.value_plot.show()

    # --- generation -----------------------------------------------------------------------

    def _on_generate_clicked(self) -> None:
        if self._model is None or self._busy or not self._generation:
            return
        from core import inference

        self._set_generate_error("")
        try:
            if self._generation == "text":
                seed = self.seed_edit.text()
                text = inference.generate_text(self._model, self._info, seed, self.length_spin.value(),
                                               float(self.temperature_spin.value()), rng_seed=None)
                self._show_generated_text(seed, text)
            else:
                seed = self._series_seed()
                values = inference.generate_series(self._model, self._info, seed, self.length_spin.value())
                self._show_generated_series(seed, np.asarray(values, dtype=np.float64))
        except RNNLabError as exc:
            self._set_generate_error(str(exc))

    def _series_seed(self) -> np.ndarray:
        if self.input_edit.text().strip() and self._typed_ok:
            return np.asarray(self._info.encode_input(self.input_edit.text()))
        if self._data is not None and self._data.num_val > 0:
            return np.asarray(self._data.sample(self.sample_spin.value(), "val")[0])
        raise RNNLabError("Generation needs a start: type a sequence above or choose data with validation samples.")

    def _show_generated_text(self, seed: str, text: str) -> None:
        window = self._info.input_shape[0] if self._info.input_shape else len(seed)
        shown_seed = seed[-window:]
        self.generated_text.setHtml(
            f"<pre style='white-space: pre-wrap; font-family: monospace;'>"
            f"<span style='color:{SEED_COLOR}'>{html.escape(shown_seed)}</span>"
            f"<b>{html.escape(text)}</b></pre>")
        self.generated = text

    def _show_generated_series(self, seed: np.ndarray, values: np.ndarray) -> None:
        info = self._info
        plot = self.series_plot.getPlotItem()
        plot.clear()
        if plot.legend is not None:
            plot.legend.clear()
        values = values.reshape(len(values), -1)
        history = info.feedback_features()
        start = 0
        past: list[np.ndarray] = []
        names = info.target_names or [f"value {k + 1}" for k in range(values.shape[1])]
        if history is not None and np.ndim(seed) == 2:
            seed_values = info.denormalize_x(seed[-info.input_shape[0]:])
            past = [seed_values[:, f] for f in history]
            start = len(past[0])
            for k, series in enumerate(past):
                plot.plot(np.arange(1, start + 1), series, pen=pg.mkPen(SEED_COLOR, width=1.5),
                          name="seed" if k == 0 else None)
        t = np.arange(start + 1, start + len(values) + 1)
        for k in range(values.shape[1]):
            color = TARGET_COLORS[k % len(TARGET_COLORS)]
            ts, ys = t, values[:, k]
            if start:
                # Join the continuation to the seed's last value so the hand-over is visible.
                ts = np.concatenate([[start], t])
                ys = np.concatenate([[past[k][-1]], ys])
            plot.plot(ts, ys, pen=pg.mkPen(color, width=2),
                      name=f"generated {names[k]}" if values.shape[1] > 1 else "generated")
        units = info.extra.get("units")
        plot.setLabel("left", f"value ({units})" if units else "value (data units)", color="#222222")
        self.generated_values = values
