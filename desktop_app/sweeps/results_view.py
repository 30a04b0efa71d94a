"""The Sweeps tab: a sweep's trials as a live, sortable table and two plots.

The tab shows one sweep at a time, the one it runs (rows appear as trials start and fill in as
they end) or one reopened from its output folder, which is the sweep's document: it holds the
spec and every result, so File › Open Sweep Folder… shows it again as it was. Double-clicking a
trial asks for its bundle to be opened (``bundle_requested``): the window opens it as it opens
any bundle, into the Runs list. A failed trial shows its reason in the Note column.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.errors import Failure, RNNLabError
from core.field_titles import field_title
from core.specs import field_info
from core.sweeps.engine import kept_on_resume
from core.sweeps.results import read_results
from core.sweeps.trials import expand_trials
from desktop_app.sweeps.plots import MetricByField, ParallelCoordinates
from desktop_app.sweeps.table_model import FAILED, SORT_ROLE, TrialRow, TrialsTableModel
from desktop_app.sweeps.worker import SweepRequest, SweepWorker
from desktop_app.widgets import note_label

NO_GROUP = "(one line)"
REDRAW_MS = 150


class SweepsView(QWidget):
    """The Sweeps tab (see the module docstring)."""

    bundle_requested = Signal(str)  # the path of a finished trial's bundle
    open_folder_requested = Signal()
    message = Signal(str)  # for the status bar
    failed = Signal(str, object)  # dialog title, core.errors.Failure
    sweep_ended = Signal()

    def __init__(self, worker: SweepWorker | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sweepsView")
        self.worker = worker if worker is not None else SweepWorker()
        self.worker.setParent(self)  # its thread must not outlive the tab's objects
        self._spec: Any = None
        self._out_dir: Path | None = None
        self._total = 0
        self.model = TrialsTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        self._build()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        self._connect()
        self._show_state()

    # --- what the window asks -------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.worker.is_running()

    def out_dir(self) -> Path | None:
        return self._out_dir

    def start(self, request: SweepRequest) -> None:
        """Run ``request``'s sweep, showing its trials as they go; RNNLabError if one already runs."""
        if self.worker.is_running():
            raise RNNLabError("A sweep is already running: stop it before starting another.")
        self._begin(request.spec, request.out_dir, _kept_rows(request) if request.resume else [])
        self.worker.start(request)
        self.message.emit(f"Sweep “{request.spec.name}” started: its results go to {request.out_dir}.")
        self._show_state()

    def open_folder(self, folder: str | os.PathLike) -> bool:
        """Show the sweep saved in ``folder``; False (and ``failed``) if it cannot be read."""
        if self.worker.is_running():
            self.message.emit("A sweep is running: stop it before opening another.")
            return False
        folder = Path(folder)
        try:
            spec, results = read_results(folder)
        except (RNNLabError, OSError, ValueError) as exc:
            text = str(exc) if str(folder) in str(exc) else f"{folder}: {exc}"
            self.failed.emit("Cannot open the sweep", Failure(text))
            return False
        self._begin(spec, folder, [TrialRow.from_result(result) for result in results])
        self._sort_best_first()
        self._show_state()
        self.message.emit(f"Opened the sweep “{spec.name}” from {folder}: {self.progress_text()}.")
        return True

    def resume(self) -> None:
        """Run the shown sweep's trials that its folder does not hold yet (an interrupted sweep)."""
        if self._spec is not None and not self.worker.is_running():
            self.start(SweepRequest(self._spec, self._out_dir, resume=True))

    def stop(self) -> None:
        if self.worker.is_running():
            self.worker.stop()
            self.message.emit("Stopping the sweep: the running trials end after their current batch…")
            self._show_state()

    def shutdown(self, ms: int = 20000) -> bool:
        """Stop a running sweep and wait for its thread (when the window closes)."""
        return self.worker.shutdown(ms)

    # --- building --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.title_label = QLabel("No sweep yet: Run › Sweep… starts one, File › Open Sweep Folder… shows a saved one.")
        self.title_label.setStyleSheet("font-weight: 600;")
        self.title_label.setWordWrap(True)
        self.progress_label = QLabel()
        self.stop_button = QPushButton("Stop sweep")
        self.stop_button.setToolTip("End the running trials after their current batch; finished trials are kept")
        self.resume_button = QPushButton("Resume sweep")
        self.resume_button.setToolTip("Run the trials that did not complete (stopped, failed or never started), "
                                      "on this computer, into the same folder")
        self.open_button = QPushButton("Open sweep folder…")
        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(self.progress_label)
        header.addWidget(self.stop_button)
        header.addWidget(self.resume_button)
        header.addWidget(self.open_button)

        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.proxy.sort(-1)  # trials in the order they started until a header is clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("Double-click a finished trial to open its model in the Runs list")

        self.parallel = ParallelCoordinates()
        self.parallel_caption = note_label()
        self.x_combo, self.group_combo = QComboBox(), QComboBox()
        self.x_combo.setToolTip("The field along the x axis")
        self.group_combo.setToolTip("One line per value of this field")
        for combo in (self.x_combo, self.group_combo):
            combo.currentIndexChanged.connect(self._schedule_redraw)
        self.by_field = MetricByField()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Every trial, one line each"))
        left_layout.addWidget(self.parallel, 1)
        left_layout.addWidget(self.parallel_caption)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        choosers = QHBoxLayout()
        choosers.addWidget(QLabel("Metric against"))
        choosers.addWidget(self.x_combo, 1)
        choosers.addWidget(QLabel("one line per"))
        choosers.addWidget(self.group_combo, 1)
        right_layout.addLayout(choosers)
        right_layout.addWidget(self.by_field, 1)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(left)
        plots.addWidget(right)
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(self.table)
        body.addWidget(plots)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 1)
        self.body = body  # hidden until a sweep starts or opens: empty axes would say nothing
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(body, 1)

    def _connect(self) -> None:
        worker = self.worker
        worker.trial_started.connect(self._on_trial_started)
        worker.trial_epoch.connect(self.model.trial_epoch)
        worker.trial_finished.connect(self._on_trial_finished)
        worker.sweep_finished.connect(self._on_sweep_finished)
        worker.sweep_failed.connect(self._on_sweep_failed)
        self.stop_button.clicked.connect(self.stop)
        self.resume_button.clicked.connect(self.resume)
        self.open_button.clicked.connect(self.open_folder_requested)
        self.table.doubleClicked.connect(self._on_trial_double_clicked)

    # --- the sweep's events ------------------------------------------------------------------------

    def _begin(self, spec: Any, out_dir: Path, rows: list[TrialRow]) -> None:
        self._spec, self._out_dir = spec, Path(out_dir)
        self._total = len(expand_trials(spec))
        task = spec.project.dataset.task
        varied = list(spec.fields)
        self.model.begin(varied, spec.metric, task, rows)
        self.proxy.sort(-1)
        self.title_label.setText(f"{spec.name}  ·  {out_dir}")
        for combo in (self.x_combo, self.group_combo):
            combo.blockSignals(True)
            combo.clear()
        self.group_combo.addItem(NO_GROUP, "")
        for dotted in varied:
            self.x_combo.addItem(field_title(dotted, task), dotted)
            self.group_combo.addItem(field_title(dotted, task), dotted)
        # The lecture's picture: the metric against a number, one line per choice (a cell).
        numeric = [d for d in varied if _is_numeric(d, rows, spec)]
        x_field = numeric[0] if numeric else (varied[0] if varied else "")
        others = [d for d in varied if d != x_field]
        self.x_combo.setCurrentIndex(max(0, self.x_combo.findData(x_field)))
        self.group_combo.setCurrentIndex(max(0, self.group_combo.findData(others[0] if others else "")))
        for combo in (self.x_combo, self.group_combo):
            combo.blockSignals(False)
        self.redraw()

    def _on_trial_started(self, trial, attempt: int) -> None:
        self.model.trial_started(trial.trial_id, dict(trial.fields), trial.seed, attempt)
        self._show_state()

    def _on_trial_finished(self, result) -> None:
        self.model.trial_finished(result)
        self._show_state()
        self._schedule_redraw()

    def _on_sweep_finished(self, results: list) -> None:
        for result in results:  # trials the engine reports only at the end (resumed ones)
            self.model.trial_finished(result)
        self._sort_best_first()
        self.redraw()
        self._show_state()
        if self.worker.is_stopping():
            self.message.emit(f"Sweep “{self._spec.name}” stopped: {self.progress_text()}. Run › Sweep… with Resume "
                              f"and the folder {self._out_dir} runs the rest.")
        else:
            self.message.emit(f"Sweep “{self._spec.name}” ended: {self.progress_text()}. Its folder {self._out_dir} "
                              "reopens it (File › Open Sweep Folder…).")
        self.sweep_ended.emit()

    def _on_sweep_failed(self, failure: Failure) -> None:
        self._show_state()
        self.failed.emit("The sweep failed", failure)
        self.message.emit(f"The sweep failed: {failure.message}")
        self.sweep_ended.emit()

    def _on_trial_double_clicked(self, index: QModelIndex) -> None:
        row = self.model.trial_row(self.proxy.mapToSource(index).row())
        if row.status == FAILED:
            self.message.emit(f"Trial {row.trial_id} failed, it has no model: {row.error}")
            return
        if not row.finished or not row.bundle:
            self.message.emit(f"Trial {row.trial_id} has no model yet: it is still training.")
            return
        path = Path(row.bundle)
        if not path.is_absolute() and self._out_dir is not None:
            path = self._out_dir / path
        if not path.exists():
            self.failed.emit("Cannot open the trial", Failure(f"{path}: the trial's bundle is missing."))
            return
        self.bundle_requested.emit(str(path))

    # --- showing -----------------------------------------------------------------------------

    def _schedule_redraw(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Both plots from the finished trials, with the fields the combos name."""
        spec = self._spec
        if spec is None:
            return
        task = spec.project.dataset.task
        rows = self.model.trial_rows()
        log_fields = _log_fields(spec)
        varied = [(dotted, field_title(dotted, task).split(" › ")[-1]) for dotted in spec.fields]
        orders = {**{dotted: list(values) for dotted, values in spec.grid.items()},
                  **{dotted: list(d["choice"]) for dotted, d in spec.random.items() if "choice" in d}}
        self.parallel.show_trials(rows, varied, spec.metric, spec.mode, log_fields, orders)
        self.parallel_caption.setText(self.parallel.caption)
        x_field = self.x_combo.currentData()
        group = self.group_combo.currentData()
        titles = dict(varied)
        if x_field:
            self.by_field.show_trials(rows, (x_field, titles[x_field]),
                                      (group, titles[group]) if group and group != x_field else None,
                                      spec.metric, log_fields, orders)

    def _sort_best_first(self) -> None:
        column = self.model.columns().index(self.model.metric()) if self.model.metric() else -1
        order = Qt.SortOrder.AscendingOrder if self._spec.mode == "min" else Qt.SortOrder.DescendingOrder
        self.table.sortByColumn(column, order)

    def progress_text(self) -> str:
        """"9 of 12 completed, 1 failed, 2 training"."""
        rows = self.model.trial_rows()
        text = f"{sum(r.status == 'completed' for r in rows)} of {self._total} completed"
        for status in ("stopped", FAILED):
            count = sum(r.status == status for r in rows)
            text += f", {count} {status}" if count else ""
        busy = sum(not r.finished for r in rows)
        return text + (f", {busy} training" if busy else "")

    def _show_state(self) -> None:
        running = self.worker.is_running()
        self.stop_button.setVisible(running)
        self.stop_button.setEnabled(running and not self.worker.is_stopping())
        self.open_button.setEnabled(not running)
        spec = self._spec
        done = sum(kept_on_resume(spec, row) for row in self.model.trial_rows()) if spec is not None else 0
        self.resume_button.setVisible(not running and spec is not None and done < self._total)
        self.body.setVisible(self._spec is not None)
        if self._spec is None:
            self.progress_label.setText("")
            return
        self.progress_label.setText(self.progress_text())


def _kept_rows(request: SweepRequest) -> list[TrialRow]:
    """The trials a resumed sweep keeps (core's rule; the engine runs the others again)."""
    try:
        _spec, results = read_results(request.out_dir)
    except (RNNLabError, OSError, ValueError):
        return []  # nothing there yet, or nothing readable: every trial runs
    wanted = {trial.trial_id for trial in expand_trials(request.spec)}
    return [TrialRow.from_result(r) for r in results if r.trial_id in wanted and kept_on_resume(request.spec, r)]


def _log_fields(spec: Any) -> set[str]:
    """Fields whose values belong on a log axis: drawn log-uniform, or declared log-scaled."""
    fields = {dotted for dotted, distribution in spec.random.items() if "loguniform" in distribution}
    for dotted in spec.fields:
        try:
            if field_info(dotted).log_scale:
                fields.add(dotted)
        except KeyError:  # a task parameter: no declared scale
            pass
    return fields


def _is_numeric(dotted: str, rows: list[TrialRow], spec: Any) -> bool:
    values = list(spec.grid.get(dotted, [])) + [row.fields.get(dotted) for row in rows]
    distribution = spec.random.get(dotted, {})
    if values:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if v is not None)
    return "choice" not in distribution
