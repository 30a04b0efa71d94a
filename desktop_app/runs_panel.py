"""Every training run of the session in one table: settings, status and final metrics.

Selecting several runs asks the window to overlay their curves; "Compare SimpleRNN / LSTM / GRU"
asks it to train the three cells on the same data and seed. The panel only shows records and
reports what the user picked; the training session owns the runs.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6 import QtCore, QtGui, QtWidgets

from core.datasets import get_task
from core.errors import RNNLabError
from core.formatting import as_number, format_metric, format_number
from core.io_modes import IO_MODE_TITLES
from desktop_app.session import BUSY_STATUSES, RunRecord, RunStatus

# What tells runs apart comes first: a narrow panel shows it without scrolling sideways.
COLUMNS = ("Run", "Task", "Cell", "Status", "Loss", "Val loss", "Val acc. / MAE", "Mode", "Optimizer", "LR", "Clip",
           "Epochs")
NUMBER_COLUMNS = ("Loss", "Val loss", "Val acc. / MAE")
COLUMN_TIPS = {
    "Task": "The dataset task the run trained on (two \"#1 LSTM\" runs of different tasks differ here)",
    "LR": "Learning rate",
    "Clip": "Gradient clipping (mode and threshold)",
    "Epochs": "Epochs run / epochs asked for",
    "Loss": "Training loss of the last epoch",
    "Val loss": "Validation loss of the last epoch",
    "Val acc. / MAE": "Validation accuracy (classes) or mean absolute error (values) of the last epoch; "
                      "the training value when there is no validation set",
}
STATUS_TEXT = {
    RunStatus.PREPARING: "preparing",
    RunStatus.RUNNING: "running",
    RunStatus.COMPLETED: "completed",
    RunStatus.EARLY_STOPPING: "early stop",
    RunStatus.STOPPED: "stopped",
    RunStatus.NAN: "NaN (exploded)",
    RunStatus.FAILED: "failed",
    RunStatus.KILLED: "killed by the system (out of memory?)",
    RunStatus.LOADED: "loaded",
    RunStatus.IMPORTED: "imported",
}
STATUS_COLOR = {
    RunStatus.PREPARING: "#1f5f99",
    RunStatus.RUNNING: "#1f5f99",
    RunStatus.COMPLETED: "#2e7d32",
    RunStatus.EARLY_STOPPING: "#2e7d32",
    RunStatus.NAN: "#b00020",
    RunStatus.FAILED: "#b00020",
    RunStatus.KILLED: "#b00020",
}
ALARM_STATUSES = (RunStatus.NAN, RunStatus.FAILED, RunStatus.KILLED)
CLIP_TEXT = {"norm": "norm", "global_norm": "global", "value": "value"}
# Short enough for a narrow table; the tooltip has the full title.
MODE_TEXT = {
    "one_to_one": "one-to-one",
    "one_to_many": "one-to-many",
    "many_to_one": "many-to-one",
    "many_to_many": "many-to-many",
    "encoder_decoder": "enc-dec",
}
RUN_ID_ROLE = QtCore.Qt.ItemDataRole.UserRole + 1


def metric_text(record: RunRecord) -> tuple[str, str]:
    """The accuracy (as a percentage) or MAE cell, with what it is."""
    metrics = record.final_metrics or {}
    for key, name in (("val_accuracy", "validation accuracy"), ("accuracy", "training accuracy")):
        if as_number(metrics.get(key)) is not None:
            return format_metric(key, metrics[key]), name
    for key, name in (("val_mae", "validation MAE"), ("mae", "training MAE")):
        if key in metrics:
            return format_number(metrics[key]), name
    return "–", ""


def row_texts(record: RunRecord) -> list[str]:
    project = record.project
    model = getattr(project, "model", None)
    training = getattr(project, "training", None)
    cell = model.cell + (" (bi)" if getattr(model, "bidirectional", False) else "") if model else "–"
    if model is not None and getattr(model, "layers", 1) > 1:
        cell += f" ×{model.layers}"
    mode = MODE_TEXT.get(model.io_mode, model.io_mode) if model else "–"
    if training is not None:
        optimizer = training.optimizer
        lr = f"{training.learning_rate:g}"
        clip_mode = CLIP_TEXT.get(training.clip_mode, training.clip_mode)
        clip = "off" if training.clip_mode == "none" else f"{clip_mode} {training.clip_value:g}"
        asked = training.epochs
    else:
        optimizer = lr = clip = "–"
        asked = None
    run = len(record.history.epochs) if record.history is not None and hasattr(record.history, "epochs") else None
    if run is None:
        epochs = f"{asked}" if asked is not None else "–"
    else:
        epochs = f"{run}/{asked}" if asked is not None else f"{run}"
    metrics = record.final_metrics or {}
    texts = {
        "Run": record.label,
        "Task": task_text(project),
        "Cell": cell,
        "Status": STATUS_TEXT.get(record.status, record.status),
        "Loss": format_number(metrics.get("loss")),
        "Val loss": format_number(metrics.get("val_loss")),
        "Val acc. / MAE": metric_text(record)[0],
        "Mode": mode,
        "Optimizer": optimizer,
        "LR": lr,
        "Clip": clip,
        "Epochs": epochs,
    }
    return [texts[name] for name in COLUMNS]


def task_text(project) -> str:
    """The task's title as the Dataset panel shows it (its name for a task this version lacks)."""
    name = getattr(getattr(project, "dataset", None), "task", None)
    if not name:
        return "–"
    try:
        return get_task(name).title
    except RNNLabError:
        return name


def tooltip(record: RunRecord) -> str:
    lines = [f"<b>{_escape(record.label)}</b> — {_escape(STATUS_TEXT.get(record.status, record.status))}"]
    if record.message:
        lines.append(_escape(record.message))
    project = record.project
    if project is not None and getattr(project, "dataset", None) is not None:
        model, training = project.model, project.training
        lines.append(
            f"Task {_escape(project.dataset.task)}, {model.layers}×{model.units} {model.cell} units, "
            f"{_escape(IO_MODE_TITLES.get(model.io_mode, model.io_mode))}; batch {training.batch_size}, "
            f"seed {training.seed}")
    text, name = metric_text(record)
    if name:
        lines.append(f"Final {name}: {text}")
    return "<br>".join(lines)


def _escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br>"))


class RunsPanel(QtWidgets.QWidget):
    """A table of the session's runs with multi-selection, Compare cells and Delete."""

    selection_changed = QtCore.Signal(list)  # the selected RunRecords, in table order
    compare_cells_requested = QtCore.Signal()
    run_deleted = QtCore.Signal(object)  # the RunRecord removed from the table

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._records: dict[str, RunRecord] = {}

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QtWidgets.QHBoxLayout()
        self.hint = QtWidgets.QLabel("Select several runs (Ctrl+click or Shift+click) to overlay their curves.")
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        top.addWidget(self.hint, 1)
        self.compare_button = QtWidgets.QPushButton("Compare SimpleRNN / LSTM / GRU")
        self.compare_button.setToolTip(
            "Train SimpleRNN, LSTM and GRU one after the other on the same data and seed, "
            "then overlay their curves")
        self.compare_button.clicked.connect(self._on_compare_clicked)
        top.addWidget(self.compare_button)
        layout.addLayout(top)

        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        for column, name in enumerate(COLUMNS):
            header_item = self.table.horizontalHeaderItem(column)
            if name in COLUMN_TIPS:
                header_item.setToolTip(COLUMN_TIPS[name])
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.itemSelectionChanged.connect(self._on_selection_changed)
        layout.addWidget(self.table, 1)

        self.empty_label = QtWidgets.QLabel("No runs yet: press Train, or Compare to train all three cells.")
        self.empty_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #666666;")
        layout.addWidget(self.empty_label)

        self.delete_action = QtGui.QAction("Delete run", self)
        self.delete_action.setShortcut(QtGui.QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.delete_action.triggered.connect(self.delete_selected)
        self.table.addAction(self.delete_action)
        self._update_actions()

    # --- public API ----------------------------------------------------------------------

    def add_run(self, record: RunRecord) -> None:
        if record.run_id in self._records:
            self.update_run(record)
            return
        self._records[record.run_id] = record
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column in range(len(COLUMNS)):
            item = QtWidgets.QTableWidgetItem()
            item.setData(RUN_ID_ROLE, record.run_id)
            if COLUMNS[column] in NUMBER_COLUMNS:
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
        self._fill_row(row, record)
        self._update_actions()

    def update_run(self, record: RunRecord) -> None:
        """Show the record's current state (the window mutates records and passes them again)."""
        row = self._row_of(record.run_id)
        if row is None:
            self.add_run(record)
            return
        self._records[record.run_id] = record
        self._fill_row(row, record)
        self._update_actions()

    def remove_run(self, run_id: str) -> RunRecord | None:
        row = self._row_of(run_id)
        record = self._records.pop(run_id, None)
        if row is not None:
            self.table.removeRow(row)
        self._update_actions()
        return record

    def records(self) -> list[RunRecord]:
        """All records in table order (oldest first)."""
        ids = [self.table.item(row, 0).data(RUN_ID_ROLE) for row in range(self.table.rowCount())]
        return [self._records[run_id] for run_id in ids]

    def selected_runs(self) -> list[RunRecord]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._records[self.table.item(row, 0).data(RUN_ID_ROLE)] for row in rows]

    def select_runs(self, run_ids: Iterable[str]) -> None:
        """Select exactly these runs (emits selection_changed once)."""
        wanted = set(run_ids)
        selection = QtCore.QItemSelection()
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(RUN_ID_ROLE) in wanted:
                left = self.table.model().index(row, 0)
                right = self.table.model().index(row, len(COLUMNS) - 1)
                selection.select(left, right)
        model = self.table.selectionModel()
        blocker = QtCore.QSignalBlocker(self.table)
        model.select(selection, QtCore.QItemSelectionModel.SelectionFlag.ClearAndSelect)
        del blocker
        self._on_selection_changed()

    def set_compare_enabled(self, enabled: bool, reason: str = "") -> None:
        self.compare_button.setEnabled(bool(enabled))
        base = ("Train SimpleRNN, LSTM and GRU one after the other on the same data and seed, "
                "then overlay their curves")
        self.compare_button.setToolTip(base if enabled or not reason else f"{base}\n\nNot now: {reason}")

    def delete_selected(self) -> None:
        for record in self.selected_runs():
            if record.status in BUSY_STATUSES:
                continue
            self.remove_run(record.run_id)
            self.run_deleted.emit(record)
        self._on_selection_changed()

    # --- internals ------------------------------------------------------------------------

    def _row_of(self, run_id: str) -> int | None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(RUN_ID_ROLE) == run_id:
                return row
        return None

    def _fill_row(self, row: int, record: RunRecord) -> None:
        texts = row_texts(record)
        tip = tooltip(record)
        color = STATUS_COLOR.get(record.status)
        for column, text in enumerate(texts):
            item = self.table.item(row, column)
            item.setText(text)
            item.setToolTip(tip)
            if COLUMNS[column] == "Status":
                item.setForeground(QtGui.QBrush(QtGui.QColor(color)) if color else QtGui.QBrush())
                font = item.font()
                font.setBold(record.status in ALARM_STATUSES)
                item.setFont(font)

    def _update_actions(self) -> None:
        has_rows = self.table.rowCount() > 0
        self.table.setVisible(has_rows)
        self.empty_label.setVisible(not has_rows)
        deletable = [r for r in self.selected_runs() if r.status not in BUSY_STATUSES]
        self.delete_action.setEnabled(bool(deletable))

    def _on_selection_changed(self) -> None:
        self._update_actions()
        self.selection_changed.emit(self.selected_runs())

    def _on_compare_clicked(self) -> None:
        self.compare_cells_requested.emit()

    def _on_context_menu(self, pos: QtCore.QPoint) -> None:
        row = self.table.rowAt(pos.y())
        if row < 0:
            return
        run_id = self.table.item(row, 0).data(RUN_ID_ROLE)
        if run_id not in {r.run_id for r in self.selected_runs()}:
            self.select_runs([run_id])
        menu = QtWidgets.QMenu(self)
        selected = self.selected_runs()
        count = len(selected)
        self.delete_action.setText("Delete run" if count == 1 else f"Delete {count} runs")
        busy = any(r.status in BUSY_STATUSES for r in selected)
        self.delete_action.setToolTip("A run that is training cannot be deleted: stop it first." if busy else "")
        menu.addAction(self.delete_action)
        menu.exec(self.table.viewport().mapToGlobal(pos))
