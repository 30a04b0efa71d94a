"""The Evaluation tab: is the model better than the obvious guess, in the data's own units?

It shows ``core.evaluation``'s table (the model and the naive baselines, the best baseline
marked, the skill in words) for the validation or the test part, and below it the picture that
fits the data: for a series, the held-out period with actual values against one-step-ahead
predictions and a recursive forecast from an origin the user drags; for classes, the confusion
matrix as a heat-map; for other values, predicted against actual.

The window hands it the current model (``set_run``); the predictions are made only while the tab
is on screen and no run trains (``set_busy``), a slice at a time (``compute.EvaluationJob``).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from core.datasets.base import CLASSIFICATION, SequenceData
from core.errors import RNNLabError
from core.evaluation import SPLIT_TITLES, Evaluation, skill_sentence, table_columns, table_rows
from core.forecast import Forecaster
from core.formatting import format_score
from core.time_axis import TimeAxis, time_axis
from desktop_app.evaluation.compute import EvaluationJob
from desktop_app.evaluation.confusion_plot import ConfusionPlot
from desktop_app.evaluation.series_plot import SeriesPlot
from desktop_app.plots.export import ask_path, write_csv, write_png
from desktop_app.widgets import wrapped_label

NO_MODEL = "Train a model or open a saved one to see how it does against naive baselines."
BUSY = "Evaluation waits until the run has ended (prediction and training cannot share TensorFlow)."
BEST_BRUSH = QtGui.QColor("#e6f4ea")
NOTE_STYLE = "background: #fff4ce; color: #5c4400; padding: 6px; border-radius: 3px;"
ERROR_STYLE = "background: #fde7e9; color: #8a1020; padding: 6px; border-radius: 3px;"


class EvaluationView(QtWidgets.QWidget):
    """See the module docstring. ``evaluated`` fires when a model's scores are shown."""

    evaluated = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._model: Any = None
        self._info: Any = None
        self._project: Any = None
        self._data: SequenceData | None = None
        self._job: EvaluationJob | None = None
        self._busy = False
        self._axis: TimeAxis | None = None
        self.evaluations: dict[str, Evaluation] = {}
        self.forecaster: Forecaster | None = None
        self._build_ui()
        self.clear()

    # --- construction ---------------------------------------------------------------------

    def _build_ui(self) -> None:
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.banner = wrapped_label()
        outer.addWidget(self.banner)

        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("Part:"))
        self.split_combo = QtWidgets.QComboBox()
        self.split_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.split_combo.setToolTip("Validation: the part early stopping watched. Test: the part no step of "
                                    "training saw (dataset.test_split).")
        self.split_combo.currentIndexChanged.connect(self._on_split_changed)
        bar.addWidget(self.split_combo)
        self.target_label = QtWidgets.QLabel("Target:")
        bar.addWidget(self.target_label)
        self.target_combo = QtWidgets.QComboBox()
        self.target_combo.setSizeAdjustPolicy(QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.target_combo.currentIndexChanged.connect(self._on_target_changed)
        bar.addWidget(self.target_combo)
        bar.addStretch(1)
        self.png_button = QtWidgets.QPushButton("Export PNG…")
        self.png_button.setToolTip("Save the plot as an image")
        self.png_button.clicked.connect(lambda: self._on_export_clicked("png"))
        self.csv_button = QtWidgets.QPushButton("Export CSV…")
        self.csv_button.setToolTip("Save the scores and the points behind the plot as a CSV table")
        self.csv_button.clicked.connect(lambda: self._on_export_clicked("csv"))
        bar.addWidget(self.png_button)
        bar.addWidget(self.csv_button)
        outer.addLayout(bar)

        self.body = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.body.setChildrenCollapsible(False)
        top = QtWidgets.QWidget()
        top_layout = QtWidgets.QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.title_label = QtWidgets.QLabel("")
        self.title_label.setWordWrap(True)
        top_layout.addWidget(self.title_label)
        self.table = _table()
        top_layout.addWidget(self.table)
        self.skill_label = QtWidgets.QLabel("")
        self.skill_label.setWordWrap(True)
        self.skill_label.setStyleSheet("font-weight: bold;")
        top_layout.addWidget(self.skill_label)
        self.notes_label = QtWidgets.QLabel("")
        self.notes_label.setWordWrap(True)
        self.notes_label.setStyleSheet("color: #555555;")
        top_layout.addWidget(self.notes_label)
        self.class_table = _table()
        top_layout.addWidget(self.class_table)
        self.body.addWidget(top)

        bottom = QtWidgets.QWidget()
        bottom_layout = QtWidgets.QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        self.plots = QtWidgets.QStackedWidget()
        self.series_plot = SeriesPlot()
        self.series_plot.origin_dropped.connect(self._on_origin_dropped)
        self.confusion_plot = ConfusionPlot()
        self.plots.addWidget(self.series_plot)
        self.plots.addWidget(self.confusion_plot)
        bottom_layout.addWidget(self.plots, 1)
        forecast = QtWidgets.QHBoxLayout()
        self.steps_label = QtWidgets.QLabel("Forecast steps:")
        forecast.addWidget(self.steps_label)
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(1, 2000)
        self.steps_spin.setValue(50)
        self.steps_spin.setToolTip("How many steps the multi-step forecast runs, each prediction fed back as input")
        self.steps_spin.valueChanged.connect(lambda _v: self._redraw_forecast())
        forecast.addWidget(self.steps_spin)
        self.forecast_label = QtWidgets.QLabel("")
        self.forecast_label.setWordWrap(True)
        forecast.addWidget(self.forecast_label, 1)
        bottom_layout.addLayout(forecast)
        self.body.addWidget(bottom)
        self.body.setStretchFactor(0, 0)
        self.body.setStretchFactor(1, 1)
        outer.addWidget(self.body, 1)
        self.export_status = QtWidgets.QLabel("")
        self.export_status.setWordWrap(True)
        self.export_status.hide()
        outer.addWidget(self.export_status)

    # --- public API ------------------------------------------------------------------------

    def set_run(self, model: Any, info: Any, project: Any, data: SequenceData | None = None) -> None:
        """Evaluate this model (on screen, when no run trains). ``data``: the project's data if the
        window has it built already; otherwise it is built from ``project`` when needed."""
        self.clear()
        self._model, self._info, self._project, self._data = model, info, project, data
        self._say(BUSY if self._busy else "Evaluating when this tab is shown…")
        self._start()

    def clear(self) -> None:
        self._cancel_job()
        self._model = self._info = self._project = self._data = None
        self.evaluations = {}
        self.forecaster = None
        self._axis = None
        with QtCore.QSignalBlocker(self.split_combo):
            self.split_combo.clear()
        with QtCore.QSignalBlocker(self.target_combo):
            self.target_combo.clear()
        self.target_label.hide()
        self.target_combo.hide()
        self.title_label.clear()
        self.table.clear()
        self.table.setRowCount(0)
        self.class_table.hide()
        self.skill_label.clear()
        self.notes_label.clear()
        self.series_plot.clear()
        self.confusion_plot.clear()
        self._set_forecast_controls(False, "")
        self.export_status.hide()
        self.body.hide()
        for widget in (self.split_combo, self.png_button, self.csv_button):
            widget.setEnabled(False)
        self._say(NO_MODEL)

    def set_busy(self, busy: bool) -> None:
        """A run trains (True) or none does: predictions wait for the run to end."""
        self._busy = bool(busy)
        if self._model is None:
            return
        if self._busy:
            if self._job is not None:
                self._job.pause()
            if not self.evaluations:
                self._say(BUSY)
        else:
            self._start()
        self._update_forecast_enabled()

    def is_evaluating(self) -> bool:
        return self._job is not None and not self._job.ended

    def current(self) -> Evaluation | None:
        return self.evaluations.get(self.split_combo.currentData() or "")

    def best_row(self) -> int:
        """The table row marked as the best baseline (-1 if none)."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(QtCore.Qt.ItemDataRole.UserRole):
                return row
        return -1

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        self._start()

    # --- computing ---------------------------------------------------------------------------

    def _start(self) -> None:
        if (self._model is None or self._busy or self.evaluations or not self.isVisible()
                or (self._job is not None and not self._job.ended)):
            if self._job is not None and not self._job.ended and not self._busy:
                self._job.resume()
            return
        try:
            data = self._data_for_model()
        except RNNLabError as exc:
            self._say(f"Cannot evaluate: {exc}", error=True)
            return
        splits = [s for s in ("val", "test") if len(data.split(s)[0])]
        if not splits:
            self._say("Nothing to evaluate: the data has no validation or test part. Set a validation split "
                      "(or a test split) and train again.", error=True)
            return
        self._data = data
        self._axis = time_axis(data.time_column, data.time_values)
        self._job = EvaluationJob(self._model, data, splits, self)
        self._job.progressed.connect(self._on_progress)
        self._job.finished.connect(self._on_evaluated)
        self._job.failed.connect(lambda message: self._say(f"Cannot evaluate: {message}", error=True))
        self._say(f"Predicting {sum(len(data.split(s)[0]) for s in splits)} held-out samples…")
        self._job.start()

    def _data_for_model(self) -> SequenceData:
        from core.model_fit import same_shapes

        data = self._data
        if data is None:
            from core.datasets import build_dataset

            data = build_dataset(self._project.dataset, self._project.model.io_mode)
        if not same_shapes(self._info, data.info):
            raise RNNLabError("the model's data no longer has the shapes it was trained on (did the data file "
                              "change?).")
        return data

    def _cancel_job(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job.deleteLater()
            self._job = None

    def _on_progress(self, done: int, total: int) -> None:
        self._say(f"Predicting held-out samples… {done} of {total}")

    def _on_evaluated(self, results: dict) -> None:
        self.evaluations = dict(results)
        self._say("")
        self.forecaster = Forecaster.for_model(self._model, self._info, self._data, self._axis)
        with QtCore.QSignalBlocker(self.split_combo):
            self.split_combo.clear()
            for split in results:
                ev = results[split]
                self.split_combo.addItem(f"{SPLIT_TITLES[split].capitalize()} ({ev.n} samples)", split)
        first = next(iter(results.values()))
        with QtCore.QSignalBlocker(self.target_combo):
            self.target_combo.clear()
            self.target_combo.addItem("All targets", None)
            for name in first.target_names:
                self.target_combo.addItem(name, name)
        multi = len(first.target_names) > 1
        self.target_label.setVisible(multi)
        self.target_combo.setVisible(multi)
        for widget in (self.split_combo, self.png_button, self.csv_button):
            widget.setEnabled(True)
        self.body.show()
        self._show()
        self.evaluated.emit()

    # --- showing -----------------------------------------------------------------------------

    def _target(self) -> str | None:
        return self.target_combo.currentData() if self.target_combo.isVisible() else None

    def _target_index(self) -> int:
        ev = self.current()
        target = self._target()
        return ev.target_names.index(target) if ev is not None and target in ev.target_names else 0

    def _on_split_changed(self, _index: int) -> None:
        self._show()

    def _on_target_changed(self, _index: int) -> None:
        self._show()

    def _show(self) -> None:
        ev = self.current()
        if ev is None:
            return
        where = ""
        if ev.rows is not None and len(ev.rows):
            first, last = int(ev.rows[0]), int(ev.rows[-1])
            if self._axis is not None:
                where = f", {html.escape(self._axis.label(first))} to {html.escape(self._axis.label(last))}"
            else:
                where = f", data rows {first + 1} to {last + 1}"
        units = "in the data's own units" if ev.kind != CLASSIFICATION else "per predicted step"
        self.title_label.setText(f"<b>{SPLIT_TITLES[ev.split].capitalize()} part</b>: {ev.n} samples{where}; "
                                 f"scores {units}.")
        self._fill_table(ev)
        self.skill_label.setText(skill_sentence(ev))
        self.notes_label.setText("\n".join(f"• {note}" for note in ev.notes))
        self.notes_label.setVisible(bool(ev.notes))
        if ev.kind == CLASSIFICATION:
            self._fill_class_table(ev)
            self.confusion_plot.show_matrix(np.asarray(ev.metrics["confusion"]), ev.class_names)
            self.plots.setCurrentWidget(self.confusion_plot)
            self._set_forecast_controls(False, "")
        else:
            self.class_table.hide()
            self.plots.setCurrentWidget(self.series_plot)
            self._draw_values()

    def _fill_table(self, ev: Evaluation) -> None:
        columns = table_columns(ev)
        rows = table_rows(ev, self._target())
        self.table.clear()
        self.table.setColumnCount(len(columns) + 1)
        self.table.setHorizontalHeaderLabels(["", *[heading for _, heading in columns]])
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            title = QtWidgets.QTableWidgetItem(row.title + ("  ★ best baseline" if row.best else ""))
            title.setData(QtCore.Qt.ItemDataRole.UserRole, row.best)
            cells = [title] + [QtWidgets.QTableWidgetItem(format_score(key, row.values.get(key))) for key, _ in columns]
            for c, item in enumerate(cells):
                if c:
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                if row.key == "model" or row.best:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                if row.best:
                    item.setBackground(BEST_BRUSH)
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        _fit_height(self.table)

    def _fill_class_table(self, ev: Evaluation) -> None:
        per_class = ev.metrics["per_class"]
        names = [n for n in ev.class_names if per_class[n]["support"] or per_class[n]["precision"] is not None]
        self.class_table.clear()
        self.class_table.setColumnCount(5)
        self.class_table.setHorizontalHeaderLabels(["Class", "Precision", "Recall", "F1", "Samples"])
        self.class_table.setRowCount(len(names))
        for r, name in enumerate(names):
            scores = per_class[name]
            values = [name, *(format_score(k, scores[k]) for k in ("precision", "recall", "f1")), str(scores["support"])]
            for c, text in enumerate(values):
                self.class_table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        self.class_table.horizontalHeader().setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        _fit_height(self.class_table, max_rows=8)
        self.class_table.show()

    def _draw_values(self) -> None:
        k = self._target_index()
        ev = self.current()
        units = self._info.extra.get("units") if self._info is not None else None
        names = ev.target_names
        y_label = f"{names[k]} ({units})" if units else names[k]
        if ev.rows is None:
            self.series_plot.show_scatter(ev.actual[:, k], ev.predicted[:, k], y_label)
            self._set_forecast_controls(False, "")
            return
        self.series_plot.set_axis(self._axis)
        parts, pieces = [], []
        best = ev.best_baseline
        for split, other in self.evaluations.items():
            x = self._x_of(other.rows)
            parts.append((SPLIT_TITLES[split], x, other.actual[:, k], other.predicted[:, k]))
            if best in other.baseline_predictions:
                pieces.append((x, other.baseline_predictions[best][:, k]))
        test = self.evaluations.get("test")
        span = None
        if test is not None and "val" in self.evaluations:
            xs = self._x_of(test.rows)
            span = (float(xs[0]), float(xs[-1]))
        from core.evaluation import BASELINE_TITLES

        baseline = (BASELINE_TITLES.get(best, best).lower(), pieces) if best and pieces else None
        self.series_plot.show_points(parts, baseline, y_label, span)
        self._set_forecast_controls(True, "")
        self._place_origin()

    def _x_of(self, rows: np.ndarray) -> np.ndarray:
        if self._axis is not None and len(self._axis.positions):
            return self._axis.position_of(rows)
        return np.asarray(rows, dtype=np.float64) + 1

    # --- the multi-step forecast --------------------------------------------------------------

    def _set_forecast_controls(self, series: bool, text: str) -> None:
        why = self.forecaster.problem if self.forecaster is not None else ""
        show = series
        self.steps_label.setVisible(show and not why)
        self.steps_spin.setVisible(show and not why)
        self.forecast_label.setVisible(show)
        self.forecast_label.setText(why or text or "Drag the orange line to forecast from another point.")
        self._update_forecast_enabled()

    def _update_forecast_enabled(self) -> None:
        self.steps_spin.setEnabled(not self._busy)
        self.series_plot.origin.setMovable(not self._busy)

    def _place_origin(self) -> None:
        forecaster = self.forecaster
        if forecaster is None or forecaster.problem or not self.evaluations:
            self.series_plot.set_origin(None)
            return
        xs = forecaster.origin_positions()
        if not len(xs):
            self.series_plot.set_origin(None)
            return
        current = self.series_plot.origin_value()
        x = float(xs[0]) if current is None else current
        self.series_plot.set_origin(x, (float(xs[0]), float(xs[-1])))
        self._forecast_at(x)

    def _on_origin_dropped(self, x: float) -> None:
        self._forecast_at(x)

    def _redraw_forecast(self) -> None:
        x = self.series_plot.origin_value()
        if x is not None:
            self._forecast_at(x)

    def _forecast_at(self, x: float) -> None:
        forecaster = self.forecaster
        if forecaster is None or forecaster.problem or self._busy:
            return
        try:
            origin_x, xs, values = forecaster.forecast(x, self.steps_spin.value(), self._target_index())
        except RNNLabError as exc:
            self.forecast_label.setText(str(exc))
            return
        self.series_plot.set_origin(origin_x)
        self.series_plot.set_forecast(xs, values)
        self.forecast_label.setText(f"{len(xs) - 1} steps forecast from {forecaster.describe(origin_x)}, each "
                                    f"prediction fed back as the next input. Drag the orange line to move it.")

    def forecast_from_row(self, row: int) -> np.ndarray:
        """Move the origin to data row ``row`` (the last known row) and forecast; the values drawn."""
        x = float(self._x_of(np.asarray([row]))[0])
        self.series_plot.set_origin(x)
        self._forecast_at(x)
        return np.asarray(self.series_plot.forecast_curve.getData()[1])

    # --- export ------------------------------------------------------------------------------

    def _on_export_clicked(self, fmt: str) -> None:
        path = ask_path(self, "Evaluation", fmt)
        if not path:
            return
        try:
            self.export_png(path) if fmt == "png" else self.export_csv(path)
        except OSError as exc:
            self._export_said(f"Could not export: {exc}", ok=False)
            return
        self._export_said(f"Exported to {path}.", ok=True)

    def export_png(self, path: str) -> None:
        plot = self.confusion_plot if self.plots.currentWidget() is self.confusion_plot else self.series_plot
        write_png([plot.widget], path)

    def export_csv(self, path: str) -> None:
        from desktop_app.evaluation.export import evaluation_rows

        write_csv(path, *evaluation_rows(self.evaluations, self._axis, self.split_combo.currentData()))

    def _export_said(self, text: str, *, ok: bool) -> None:
        self.export_status.setStyleSheet("color: #2e7d32;" if ok else "color: #b00020;")
        self.export_status.setText(text)
        self.export_status.show()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(ERROR_STYLE if error else NOTE_STYLE)
        self.banner.setVisible(bool(text))


def _table() -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, 0)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
    table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(False)
    return table


def _fit_height(table: QtWidgets.QTableWidget, max_rows: int = 12) -> None:
    shown = min(table.rowCount(), max_rows)
    table.resizeRowsToContents()
    height = table.horizontalHeader().height() + sum(table.rowHeight(r) for r in range(shown))
    table.setFixedHeight(height + 2 * table.frameWidth() + 2)

