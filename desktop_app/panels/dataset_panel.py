"""The Dataset panel: choose a task or a file, set its parameters, and see what the net will get.

The panel only edits a ``DatasetSpec``. To show the preview it asks ``core.datasets`` to build
the arrays (numpy only, fast) for the current I/O mode; what is wrong with a setting or a file
comes back as an ``RNNLabError`` and is shown in red under the settings, while ``spec()`` keeps
returning the last spec that worked.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.datasets import CLASSIFICATION, DataInfo, ParamSpec, SequenceData, build_dataset, get_task, list_tasks
from core.errors import RNNLabError
from core.specs import IO_MODE_TITLES, DatasetSpec, field_info
from desktop_app.plots.style import style_axes
from desktop_app.widgets import (
    MessageLabel,
    ParamForm,
    bind_spin_box,
    compact_combo,
    note_label,
    place_in_scroll_area,
)

CSV_FILTER = "CSV files (*.csv *.tsv *.txt);;All files (*)"
TEXT_FILTER = "Text files (*.txt *.md);;All files (*)"


def _spec_field_param(name: str, default: float) -> ParamSpec:
    """A row of the task form for a DatasetSpec field, as ``core.specs`` declares it."""
    info = field_info(f"dataset.{name}")
    return ParamSpec(name, info.kind, default, info.label, info.help, minimum=info.low, maximum=info.high)


# The splits and seed belong to every task; they sit in the same form so the labels line up.
_SPLIT_PARAM = _spec_field_param("validation_split", DatasetSpec.validation_split)
_TEST_PARAM = _spec_field_param("test_split", DatasetSpec.test_split)
_SEED_PARAM = _spec_field_param("seed", DatasetSpec.seed)
_COMMON = (_SPLIT_PARAM.name, _TEST_PARAM.name, _SEED_PARAM.name)

SAMPLE_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
MIN_AXIS_WIDTH, MAX_AXIS_WIDTH = 40, 130
MAX_TICK_LABELS = 20


class DatasetPanel(QWidget):
    """Edits the DatasetSpec and previews the arrays it makes.

    ``dataset_changed`` fires (debounced) after the user edits anything, with ``spec()``: the new
    spec if it builds, the last valid one otherwise; ``current_data()`` is then None and
    ``error_text()`` says why. ``set_spec`` and ``set_io_mode`` rebuild at once without emitting.
    After an Import button's file builds, ``file_imported`` (with the data) comes just before
    ``dataset_changed``, so a listener can adapt other settings before the window refreshes.
    """

    dataset_changed = Signal(object)
    file_imported = Signal(object)  # SequenceData of the imported file

    DEBOUNCE_MS = 200

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._tasks = list_tasks()
        self._io_mode: str | None = None
        self._valid_spec = DatasetSpec(task=self._tasks[0].name if self._tasks else "cooking")
        self._data: SequenceData | None = None
        self._preview_data: SequenceData | None = None
        self._error = ""
        self._params_by_task: dict[str, dict[str, Any]] = {}
        self._form: ParamForm | None = None
        self._form_task = ""
        # Replaced in tests so that no modal dialog opens.
        self.ask_open_file: Callable[..., tuple[str, str]] = QFileDialog.getOpenFileName

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_debounce_elapsed)

        self._build_ui()
        default = DatasetSpec()
        self.set_spec(default if self._task_index(default.task) >= 0 else self._valid_spec)

    # --- layout ----------------------------------------------------------------------------

    def _build_ui(self) -> None:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)

        top = QHBoxLayout()
        top.addWidget(QLabel("Task:"))
        self.task_combo = QComboBox()
        compact_combo(self.task_combo, 12)
        for task in self._tasks:
            self.task_combo.addItem(task.title, task.name)
            self.task_combo.setItemData(self.task_combo.count() - 1, task.description, Qt.ItemDataRole.ToolTipRole)
        self.task_combo.currentIndexChanged.connect(self._on_task_changed)
        top.addWidget(self.task_combo, 1)
        layout.addLayout(top)

        buttons = QHBoxLayout()
        self.import_csv_button = QPushButton("Import CSV…")
        self.import_csv_button.setToolTip("Use your own time series: pick a CSV file, then its feature and target columns.")
        self.import_text_button = QPushButton("Import text…")
        self.import_text_button.setToolTip("Train on your own .txt file: the net learns to predict the next character.")
        self.import_csv_button.clicked.connect(self._on_import_csv_clicked)
        self.import_text_button.clicked.connect(self._on_import_text_clicked)
        buttons.addWidget(self.import_csv_button)
        buttons.addWidget(self.import_text_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._notices = QVBoxLayout()
        layout.addLayout(self._notices)

        self.description_label = note_label()
        self.lecture_label = note_label(italic=True)
        layout.addWidget(self.description_label)
        layout.addWidget(self.lecture_label)

        self.settings_box = QGroupBox("Settings")
        self._settings_layout = QVBoxLayout(self.settings_box)
        self._settings_layout.setContentsMargins(8, 6, 8, 8)
        layout.addWidget(self.settings_box)

        self.message_label = MessageLabel()
        layout.addWidget(self.message_label)

        self.preview_box = QGroupBox("Preview")
        preview = QVBoxLayout(self.preview_box)
        preview.setContentsMargins(8, 6, 8, 8)
        self.shapes_label = QLabel()
        self.shapes_label.setWordWrap(True)
        self.shapes_label.setTextFormat(Qt.TextFormat.RichText)
        self.shapes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        preview.addWidget(self.shapes_label)
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground("w")
        self.plot_widget.setMinimumHeight(300)
        self.plot_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.input_plot = self.plot_widget.addPlot(row=0, col=0)
        self.target_plot = self.plot_widget.addPlot(row=1, col=0)
        self.target_plot.setXLink(self.input_plot)
        for plot in (self.input_plot, self.target_plot):
            _style_plot(plot)
        preview.addWidget(self.plot_widget, 1)
        samples_title = QLabel("Samples in words:")
        samples_title.setStyleSheet("font-weight:bold;")
        preview.addWidget(samples_title)
        self.samples_label = QLabel()
        self.samples_label.setWordWrap(True)
        self.samples_label.setTextFormat(Qt.TextFormat.RichText)
        self.samples_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        preview.addWidget(self.samples_label)
        layout.addWidget(self.preview_box, 1)

        place_in_scroll_area(self, content)

    # --- public API ------------------------------------------------------------------------

    def spec(self) -> DatasetSpec:
        """The last spec that built a dataset (the current settings, unless they are invalid)."""
        return self._valid_spec

    def set_spec(self, spec: DatasetSpec) -> None:
        """Show ``spec`` in the widgets and rebuild the preview now (no ``dataset_changed``)."""
        self._timer.stop()
        index = self._task_index(spec.task)
        if index < 0:
            self._show_result(None, f"dataset.task: expected one of {', '.join(t.name for t in self._tasks)}, "
                                    f"received {spec.task!r}")
            return
        self._params_by_task[spec.task] = {**dict(spec.params), "validation_split": spec.validation_split,
                                           "test_split": spec.test_split, "seed": spec.seed}
        with QSignalBlocker(self.task_combo):
            self.task_combo.setCurrentIndex(index)
        self._show_task(spec.task)
        self._rebuild(emit=False)

    def set_io_mode(self, mode: str | None) -> None:
        """Build the preview (and ``current_data``) for this I/O mode; None: the task's own mode."""
        if mode == self._io_mode:
            return
        self._io_mode = mode
        self._timer.stop()
        if self._form is not None:
            self._form.set_mode(self._effective_mode(self._form_task))
        self._rebuild(emit=False)

    def io_mode(self) -> str | None:
        return self._io_mode

    def current_data(self) -> SequenceData | None:
        """Arrays for ``spec()`` in the requested I/O mode; None while the settings are invalid."""
        return self._data

    def error_text(self) -> str:
        """Why ``current_data()`` is None ("" when it is not)."""
        return self._error

    def form(self) -> ParamForm:
        """The current task's parameter form (tests and the main window reach editors through it)."""
        assert self._form is not None
        return self._form

    def flush(self) -> None:
        """Apply a pending debounced edit now."""
        if self._timer.isActive():
            self._timer.stop()
            self._on_debounce_elapsed()

    # --- task and form ---------------------------------------------------------------------

    def _task_index(self, name: str) -> int:
        return self.task_combo.findData(name)

    def _current_task_name(self) -> str:
        return self.task_combo.currentData() or self._valid_spec.task

    def _effective_mode(self, task_name: str) -> str:
        params = self._params_by_task.get(task_name, {})
        return get_task(task_name).mode_for({k: v for k, v in params.items() if k not in _COMMON}, self._io_mode)

    def _show_task(self, name: str) -> None:
        """Replace the form with the task's parameters (remembered values or defaults)."""
        task = get_task(name)
        self.description_label.setText(task.description)
        self.lecture_label.setText(f"Lecture: {task.lecture_note}" if task.lecture_note else "")
        self.lecture_label.setVisible(bool(task.lecture_note))
        self.task_combo.setToolTip(task.description)
        if self._form is not None:
            self._settings_layout.removeWidget(self._form)
            self._form.hide()
            self._form.deleteLater()
        values = {_SPLIT_PARAM.name: self._valid_spec.validation_split,
                  _TEST_PARAM.name: self._valid_spec.test_split, _SEED_PARAM.name: self._valid_spec.seed}
        values.update(self._params_by_task.get(name, {}))
        file_filter = CSV_FILTER if name == "csv" else TEXT_FILTER
        self._form = ParamForm(tuple(task.params) + (_SPLIT_PARAM, _TEST_PARAM, _SEED_PARAM), values,
                               file_filter=file_filter)
        for param in (_SPLIT_PARAM, _TEST_PARAM, _SEED_PARAM):
            bind_spin_box(self._form.editor(param.name), f"dataset.{param.name}")
        self._form.set_values(values)  # again, now within the spec's range and decimals
        self._form_task = name
        for param in self._form.params:
            picker = self._form.editor(param.name)
            if param.kind == "path":
                picker.ask_open_file = lambda *args: self.ask_open_file(*args)
        self._form.changed.connect(self._on_form_changed)
        self._form.path_changed.connect(self._on_path_changed)
        self._form.set_mode(self._effective_mode(name))
        self._settings_layout.addWidget(self._form)
        path_param = self._form.path_param()
        if path_param is not None:
            self._on_path_changed(self._form.values().get(path_param.name, ""))

    def _on_task_changed(self, _index: int) -> None:
        name = self._current_task_name()
        if self._form is not None and self._form_task:
            self._params_by_task[self._form_task] = self._form.values()
        self._show_task(name)
        self._timer.start()

    def _on_form_changed(self) -> None:
        if self._form is not None:
            values = self._form.values()
            previous = self._params_by_task.get(self._form_task, {})
            self._params_by_task[self._form_task] = values
            self._form.set_mode(self._effective_mode(self._form_task))
            path_param = self._form.path_param()
            if path_param is not None and any(values.get(k) != previous.get(k, values.get(k))
                                              for k in ("delimiter", "encoding")):
                # Another delimiter splits the header differently; another encoding spells it differently.
                self._on_path_changed(values.get(path_param.name, ""))
        self._timer.start()

    def _on_path_changed(self, path: str) -> None:
        if self._form is not None and self._form.has_column_params():
            values = self._form.values()
            self._form.set_available_columns(
                _file_columns(path, values.get("delimiter", "auto"), values.get("encoding", "auto")) if path else [])

    def _on_debounce_elapsed(self) -> None:
        self._rebuild(emit=True)

    # --- importing files -------------------------------------------------------------------

    def _on_import_csv_clicked(self) -> None:
        self._import_file("csv", "Import a CSV time series", CSV_FILTER)

    def _on_import_text_clicked(self) -> None:
        self._import_file("text", "Import a text file", TEXT_FILTER)

    def _import_file(self, task_name: str, title: str, file_filter: str) -> None:
        path, _ = self.ask_open_file(self, title, "", file_filter)
        if not path:
            return
        index = self._task_index(task_name)
        if index < 0:
            self._show_result(None, f"No {task_name!r} dataset task is available to read {path}.")
            return
        if self._form is not None and self._form_task:
            self._params_by_task[self._form_task] = self._form.values()
        path_name = next((p.name for p in get_task(task_name).params if p.kind == "path"), None)
        if path_name is not None:
            self._params_by_task.setdefault(task_name, {})[path_name] = path
        with QSignalBlocker(self.task_combo):
            self.task_combo.setCurrentIndex(index)
        self._show_task(task_name)
        self._timer.stop()
        self._rebuild(emit=False)
        if self._data is not None:
            self.file_imported.emit(self._data)
        self.dataset_changed.emit(self._valid_spec)

    def add_notice(self, widget: QWidget) -> None:
        """Show ``widget`` under the Import buttons (a note about what an import changed)."""
        self._notices.addWidget(widget)

    # --- building --------------------------------------------------------------------------

    def _spec_from_widgets(self) -> DatasetSpec:
        assert self._form is not None
        values = self._form.values()
        split = values.pop(_SPLIT_PARAM.name)
        test = values.pop(_TEST_PARAM.name)
        seed = values.pop(_SEED_PARAM.name)
        # Every parameter is kept, hidden ones included, so a saved project shows all its knobs.
        return DatasetSpec(task=self._form_task, params=values, validation_split=split, seed=seed, test_split=test)

    def _rebuild(self, *, emit: bool) -> None:
        spec = self._spec_from_widgets()
        try:
            spec.validate()
            task = get_task(spec.task)
            mode = task.mode_for(spec.params, self._io_mode)
            wanted = self._io_mode or mode
            data = build_dataset(spec, mode)
        except RNNLabError as exc:
            self._show_result(None, str(exc))
        except Exception as exc:
            # A bug, not a user error: keep the panel consistent, then let the crash hook report it.
            self._show_result(None, f"Unexpected problem while building the dataset ({type(exc).__name__}: {exc}).")
            if emit:
                self.dataset_changed.emit(self._valid_spec)
            raise
        else:
            self._valid_spec = spec
            self._preview_data = data
            if mode == wanted:
                self._show_result(data, "")
            else:
                modes = ", ".join(IO_MODE_TITLES[m] for m in task.supported_modes)
                self._show_result(
                    None,
                    f"The {task.title} task has no {IO_MODE_TITLES.get(wanted, wanted)} mode (it supports {modes}): "
                    f"choose one of those in Architecture. The preview shows {IO_MODE_TITLES[mode]}.",
                    warning=True,
                )
        if emit:
            self.dataset_changed.emit(self._valid_spec)

    def _show_result(self, data: SequenceData | None, error: str, *, warning: bool = False) -> None:
        self._data = data
        self._error = error
        if not error:
            self.message_label.clear_messages()
        elif warning:
            self.message_label.set_warning(error)
        else:
            self.message_label.set_error(error)
        shown = data if data is not None else self._preview_data
        stale = data is None and not warning
        self.preview_box.setTitle("Preview (last valid settings)" if stale and shown is not None else "Preview")
        if shown is not None:
            try:
                self._draw_preview(shown)
            except Exception:  # noqa: BLE001 - a preview bug must not block training; report it
                self.input_plot.clear()
                self.target_plot.clear()
                self.shapes_label.setText(describe_shapes(shown) + "<br><i>(the plot could not be drawn)</i>")
                sys.excepthook(*sys.exc_info())
        else:
            self.shapes_label.setText("")
            self.samples_label.setText("")
            self.input_plot.clear()
            self.target_plot.clear()

    # --- preview ---------------------------------------------------------------------------

    def _draw_preview(self, data: SequenceData) -> None:
        info = data.info
        self.shapes_label.setText(describe_shapes(data))
        x, y = data.x_train[:3], data.y_train[:3]
        if len(x) == 0:
            x, y = data.x_val[:3], data.y_val[:3]
        lines = []
        for i in range(len(x)):
            try:
                text = info.describe_sample(x[i], y[i])
            except (RNNLabError, IndexError, ValueError) as exc:
                text = f"(cannot decode: {exc})"
            lines.append(f"<b>{i + 1}.</b> {html.escape(_shorten(text, 240))}")
        self.samples_label.setText("<br>".join(lines).replace(" -&gt; ", " → "))
        in_pos, out_pos = step_positions(info)
        self.input_plot.clear()
        self.target_plot.clear()
        for plot in (self.input_plot, self.target_plot):
            plot.getAxis("left").setTicks(None)
            plot.invertY(False)
            plot.enableAutoRange(axis="y")
        self._tick_labels: list[str] = []
        shown_samples = self._draw_inputs(info, x, in_pos)
        self._draw_targets(info, y, out_pos, shown_samples)
        # Both plots get the same left-axis width so their time steps line up.
        axis = self.input_plot.getAxis("left")
        metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        widest = max((metrics.horizontalAdvance(t) for t in self._tick_labels), default=30)
        for plot in (self.input_plot, self.target_plot):
            plot.getAxis("left").setWidth(min(MAX_AXIS_WIDTH, max(MIN_AXIS_WIDTH, widest + 14)))
        # A one-step answer needs less room than the sequence it follows.
        if len(out_pos) > 1:
            stretch = (1, 1)
        else:
            stretch = (3, 2) if info.kind == CLASSIFICATION else (3, 1)
        self.plot_widget.ci.layout.setRowStretchFactor(0, stretch[0])
        self.plot_widget.ci.layout.setRowStretchFactor(1, stretch[1])
        single_input = len(in_pos) == 1 and len(out_pos) > 1
        # One input vector next to a long output would be a sliver: give it the whole width.
        self.target_plot.setXLink(None if single_input else self.input_plot)
        plots = [self.target_plot] if single_input else [self.input_plot, self.target_plot]
        if single_input:
            self.input_plot.setXRange(in_pos[0] - 0.5, in_pos[0] + 0.5, padding=0)
            self.input_plot.getAxis("bottom").setTicks([[(float(in_pos[0]), str(int(in_pos[0])))], []])
        else:
            self.input_plot.getAxis("bottom").setTicks(None)
        left = min(in_pos.min(), out_pos.min()) - 0.7
        right = max(in_pos.max(), out_pos.max()) + 0.7
        major = _tick_step(right - left)
        for plot in plots:  # all of them: a linked plot's autorange would undo the range
            plot.setXRange(left, right, padding=0)
            plot.getAxis("bottom").setTickSpacing(major, major)
        self.target_plot.setLabel("bottom", "time step")

    def _draw_inputs(self, info: DataInfo, x: np.ndarray, pos: np.ndarray) -> int:
        """Draw the input of the first sample(s); returns how many samples the lines show."""
        plot = self.input_plot
        first = np.asarray(x[0])
        if info.input_kind == "tokens":
            ids = first.reshape(-1).astype(int)
            self._tick_labels += _draw_ids(plot, ids, pos, info.vocabulary, "input tokens")
            return 1
        steps = first.reshape(len(pos), -1)
        names = info.feature_names or [f"feature {i + 1}" for i in range(steps.shape[1])]
        if steps.shape[1] <= 40 and np.isin(steps, (0.0, 1.0)).all():
            self._tick_labels += _draw_onehot(plot, steps, pos, names, "one-hot input vectors, sample 1")
            return 1
        normalised = " (normalised)" if info.normalization and "x_mean" in info.normalization else ""
        if len(pos) == 1:
            # One input vector (one-to-one, one-to-many): show it as the lecture does, a column
            # of numbers, one per feature, in the data's own units.
            vector = info.denormalize_x(steps[0])
            self._tick_labels += _draw_vector(plot, vector, float(pos[0]), names, "input vector, sample 1")
            return 1
        symbol = "o" if len(pos) <= 40 else None
        if steps.shape[1] == 1:
            for i in range(len(x)):
                values = np.asarray(x[i], dtype=float).reshape(-1)
                color = SAMPLE_COLORS[i % len(SAMPLE_COLORS)]
                plot.plot(pos, values, pen=pg.mkPen(color, width=1.5), symbol=symbol, symbolSize=4,
                          symbolBrush=color, symbolPen=None)
            plot.setTitle(f"input ({html.escape(names[0])}){normalised}, samples 1-{len(x)}", size="9pt")
            return len(x)
        # Feature names coloured like their lines, in the title: a legend would cover the data.
        shown = min(steps.shape[1], len(SAMPLE_COLORS))
        keys = []
        for j in range(shown):
            color = SAMPLE_COLORS[j]
            plot.plot(pos, steps[:, j], pen=pg.mkPen(color, width=1.5), symbol=symbol, symbolSize=4,
                      symbolBrush=color, symbolPen=None)
            keys.append(f'<span style="color:{color}">&#9632;&nbsp;{html.escape(_shorten(names[j], 18))}</span>')
        more = "" if steps.shape[1] <= shown else f" (first {shown} of {steps.shape[1]})"
        rows = "<br>".join(" ".join(keys[i:i + 3]) for i in range(0, len(keys), 3))
        plot.setTitle(f"input, sample 1{normalised}{more}<br>{rows}", size="8pt")
        return 1

    def _draw_targets(self, info: DataInfo, y: np.ndarray, pos: np.ndarray, samples: int) -> None:
        plot = self.target_plot
        if info.kind == CLASSIFICATION:
            ids = np.atleast_1d(np.asarray(y[0]).astype(int)).reshape(-1)
            self._tick_labels += _draw_ids(plot, ids, pos[: len(ids)], info.class_names, "target class")
            return
        names = info.target_names or ["target"]
        symbol = "o" if len(pos) <= 40 else None
        for i in range(samples if len(names) == 1 else 1):
            values = np.asarray(info.denormalize_y(y[i]), dtype=float).reshape(len(pos), -1)
            for j in range(min(values.shape[1], len(SAMPLE_COLORS))):
                color = SAMPLE_COLORS[(i + j) % len(SAMPLE_COLORS)]
                style = Qt.PenStyle.DashLine if len(pos) > 1 else Qt.PenStyle.SolidLine
                plot.plot(pos, values[:, j], pen=pg.mkPen(color, width=1.5, style=style), symbol=symbol or "o",
                          symbolSize=6, symbolBrush=color, symbolPen=None)
        which = f"samples 1-{samples}" if samples > 1 and len(names) == 1 else "sample 1"
        plot.setTitle(f"target ({_shorten(', '.join(names), 30)}), {which}", size="9pt")


# --- helpers (module level so other views and tests can use them) -----------------------------


def step_positions(info: DataInfo) -> tuple[np.ndarray, np.ndarray]:
    """Time steps of the inputs and of the outputs, laid out as in the lecture's pictures."""
    t_in = max(1, info.seq_len_in)
    t_out = max(1, info.seq_len_out)
    inputs = np.arange(t_in, dtype=float)
    if info.io_mode == "many_to_many":
        outputs = np.arange(t_out, dtype=float)
    elif info.io_mode in ("many_to_one", "one_to_one"):
        outputs = np.array([t_in - 1], dtype=float)
    elif info.io_mode == "one_to_many":
        outputs = np.arange(t_out, dtype=float)
    else:  # encoder_decoder: the answer starts after the whole input has been read
        outputs = t_in + np.arange(t_out, dtype=float)
    return inputs, outputs


def describe_shapes(data: SequenceData) -> str:
    """Rich text: what one sample holds in words, the array shapes, and the sample counts."""
    info = data.info
    t_in, t_out = info.seq_len_in, info.seq_len_out
    if info.input_kind == "tokens":
        what_in = f"{_plural(t_in, 'token')} from a vocabulary of {info.vocab_size}"
    elif info.io_mode == "one_to_many":
        what_in = f"one vector of {_plural(info.input_shape[-1], 'number')}"
    else:
        what_in = f"{_plural(t_in, 'step')} × {_plural(info.input_shape[-1], 'feature')}"
    if info.kind == CLASSIFICATION:
        each = f"one of {info.num_classes} classes"
        what_out = each if t_out == 1 else f"{_plural(t_out, 'step')}, each {each}"
    else:
        k = info.output_dim
        what_out = _plural(k, "value") if t_out == 1 else f"{_plural(t_out, 'step')} × {_plural(k, 'value')}"
    return (
        f"<b>Input:</b> {html.escape(what_in)} &nbsp; <code>x {tuple(data.x_train.shape)}</code><br>"
        f"<b>Output:</b> {html.escape(what_out)} &nbsp; <code>y {tuple(data.y_train.shape)}</code><br>"
        f"<b>Samples:</b> {data.num_train} training, {data.num_val} validation"
        + (f", {data.num_test} test (never seen in training)" if data.num_test else "")
        + f" &nbsp;·&nbsp; {html.escape(IO_MODE_TITLES.get(info.io_mode, info.io_mode))}"
        # What the task found in a user's file: how it was read, missing cells, classes, recordings.
        + "".join(f"<br>{html.escape(str(note))}" for note in info.extra.get("notes", []))
    )


def _file_columns(path: str, delimiter: str, encoding: str = "auto") -> list[str]:
    """The header of a CSV file for the column pickers; [] when it cannot be read.

    What is wrong with the file is reported by building the dataset, next to the settings.
    """
    try:
        from core.datasets.csv_series import sniff_columns
    except ImportError:  # no CSV task in this build: the pickers still take typed names
        return []
    try:
        return [str(c) for c in sniff_columns(path, delimiter, encoding)]
    except (RNNLabError, OSError, ValueError):
        return []


def _tick_step(span: float, max_labels: int = 8) -> float:
    """A 1-2-5 step that puts at most ``max_labels`` time-step labels on a narrow axis."""
    step = 1.0
    while span / step > max_labels:
        for factor in (2.0, 2.5, 2.0):  # 1 -> 2 -> 5 -> 10
            step *= factor
            if span / step <= max_labels:
                break
    return step


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_ONEHOT_LUT = np.array(
    [[255 - (255 - 31) * t / 255, 255 - (255 - 119) * t / 255, 255 - (255 - 180) * t / 255] for t in range(256)],
    dtype=np.ubyte,
)


def _style_plot(plot: pg.PlotItem) -> None:
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.getViewBox().setMouseEnabled(x=True, y=False)
    style_axes(plot)
    plot.getAxis("left").setWidth(MIN_AXIS_WIDTH)


def _draw_ids(plot: pg.PlotItem, ids: np.ndarray, pos: np.ndarray, names: list[str], what: str) -> list[str]:
    """Token or class ids of one sample as a one-hot image, one labelled row per id."""
    names = list(names) or [str(i) for i in range(int(ids.max()) + 1)]
    if len(names) <= MAX_TICK_LABELS:
        rows, title = list(range(len(names))), f"{what}, sample 1"
    else:
        # Most rows of a big vocabulary would be empty and unlabelled: keep the ids used.
        rows, title = sorted(set(ids.tolist())), f"{what} (those in sample 1)"
    row_of = {token: r for r, token in enumerate(rows)}
    onehot = np.zeros((len(ids), len(rows)), dtype=np.float32)
    onehot[np.arange(len(ids)), [row_of[int(t)] for t in ids]] = 1.0
    labels = [names[t] if 0 <= t < len(names) else str(t) for t in rows]
    return _draw_onehot(plot, onehot, pos, labels, title)


def _draw_onehot(plot: pg.PlotItem, onehot: np.ndarray, pos: np.ndarray, names: list[str], title: str) -> list[str]:
    """One row per token/class/feature, one column per step: readable where lines are not."""
    steps, rows = onehot.shape
    image = pg.ImageItem(onehot, axisOrder="col-major")
    image.setLookupTable(_ONEHOT_LUT)
    image.setLevels((0.0, 1.0))
    x0 = float(pos[0]) if len(pos) else 0.0
    image.setRect(QRectF(x0 - 0.5, -0.5, float(steps), float(rows)))
    plot.addItem(image)
    plot.invertY(True)
    plot.setYRange(-0.5, rows - 0.5, padding=0.02)
    labels = list(names) + [str(i) for i in range(len(names), rows)]
    every = max(1, int(np.ceil(rows / MAX_TICK_LABELS)))
    ticks = [(i, _shorten(_visible(str(labels[i])), 22)) for i in range(0, rows, every)]
    plot.getAxis("left").setTicks([ticks, []])
    plot.setTitle(title, size="9pt")
    return [t for _, t in ticks]


def _visible(token: str) -> str:
    """Characters of a text vocabulary as something one can read on an axis."""
    return {" ": "␣ (space)", "\n": "↵ (newline)", "\t": "⇥ (tab)", "": "(empty)"}.get(token, token)


def _draw_vector(plot: pg.PlotItem, values: np.ndarray, x: float, names: list[str], title: str) -> list[str]:
    """A single input vector as a column of cells holding its numbers."""
    values = np.asarray(values, dtype=float).reshape(-1)
    rows = len(values)
    image = pg.ImageItem(np.full((1, rows), 0.25, dtype=np.float32), axisOrder="col-major")
    image.setLookupTable(_ONEHOT_LUT)
    image.setLevels((0.0, 1.0))
    image.setRect(QRectF(x - 0.5, -0.5, 1.0, float(rows)))
    plot.addItem(image)
    for i, value in enumerate(values):
        text = pg.TextItem(f"{value:.3g}", color="#202020", anchor=(0.5, 0.5))
        text.setPos(x, i)
        plot.addItem(text)
    plot.invertY(True)
    plot.setYRange(-0.5, rows - 0.5, padding=0.02)
    ticks = [(i, _shorten(str(names[i]) if i < len(names) else str(i), 18)) for i in range(rows)]
    plot.getAxis("left").setTicks([ticks, []])
    plot.setTitle(title, size="9pt")
    return [t for _, t in ticks]
