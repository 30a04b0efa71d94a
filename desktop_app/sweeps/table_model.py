"""The sweep's trials as a table: one row per trial, updated live while the sweep runs.

A row starts when its trial starts (status "running", its epoch and latest metrics as they
come), and becomes the trial's ``core.sweeps.results.TrialResult`` when it ends; a reopened
sweep folder fills the rows from its results at once. Columns: the varied fields, the seed, the
status, the metrics (the sweep's ranking metric first), the first/last gradient-flow ratio, the
seconds and a note (why a failed trial failed). ``SORT_ROLE`` gives each cell a value that sorts
as a user expects: numbers as numbers, a missing number last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from core.field_titles import SEPARATOR, field_title
from core.formatting import format_metric, format_number
from desktop_app.sweeps.fields import format_value
from desktop_app.widgets import ERROR_COLOR

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
FIXED_BEFORE = ("Seed", "Status")
FIXED_AFTER = ("Flow first/last", "Seconds", "Note")
FAILED = "failed"
RUNNING = "running"
_Index = QModelIndex | QPersistentModelIndex


@dataclass
class TrialRow:
    """What the table knows of one trial; a finished one carries its result's fields."""

    trial_id: str
    fields: dict
    seed: int
    status: str = RUNNING
    metrics: dict = field(default_factory=dict)
    flow_ratio: float | None = None
    seconds: float | None = None
    bundle: str = ""
    error: str = ""
    attempts: int = 1
    epoch: int = 0
    stop_reason: str = ""  # core.history.STOP_REASONS once finished

    @property
    def finished(self) -> bool:
        return self.status != RUNNING

    @classmethod
    def from_result(cls, result: Any) -> TrialRow:
        return cls(trial_id=str(result.trial_id), fields=dict(result.fields), seed=int(result.seed),
                   status=str(result.status), metrics=dict(result.metrics or {}), flow_ratio=result.flow_ratio,
                   seconds=result.seconds, bundle=str(result.bundle or ""), error=str(result.error or ""),
                   attempts=int(result.attempts or 1), stop_reason=str(result.stop_reason or ""))


def short_title(dotted: str, task: str | None = None) -> str:
    """A column's title: the field's label without its panel ("Cell" for model.cell)."""
    return field_title(dotted, task).split(SEPARATOR)[-1]


class TrialsTableModel(QAbstractTableModel):
    """The rows of one sweep (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._varied: list[str] = []
        self._task: str | None = None
        self._metric = ""
        self._metric_keys: list[str] = []
        self._rows: list[TrialRow] = []
        self._row_of: dict[str, int] = {}
        self._columns: list[str] = []

    # --- what the view asks ------------------------------------------------------------------

    def varied_fields(self) -> list[str]:
        return list(self._varied)

    def metric(self) -> str:
        return self._metric

    def trial_rows(self) -> list[TrialRow]:
        return list(self._rows)

    def trial_row(self, row: int) -> TrialRow:
        return self._rows[row]

    def columns(self) -> list[str]:
        return list(self._columns)

    # --- what the sweep tells it -------------------------------------------------------------

    def begin(self, varied: list[str], metric: str, task: str | None = None, rows: list[TrialRow] = ()) -> None:
        """A new sweep (or a reopened one with its ``rows``): every row goes."""
        self.beginResetModel()
        self._varied, self._metric, self._task = list(varied), metric, task
        self._rows = list(rows)
        self._row_of = {row.trial_id: i for i, row in enumerate(self._rows)}
        self._set_metric_keys(self._ordered_metrics(set()))
        self.endResetModel()

    def trial_started(self, trial_id: str, fields: dict, seed: int, attempt: int) -> None:
        row = TrialRow(str(trial_id), dict(fields), int(seed), attempts=int(attempt))
        self._put(row)

    def trial_epoch(self, trial_id: str, epoch: int, logs: dict) -> None:
        index = self._row_of.get(str(trial_id))
        if index is None:
            return
        row = self._rows[index]
        row.epoch = int(epoch)
        row.metrics = {key: float(value) for key, value in logs.items() if _is_number(value)}
        self._changed(index, row)

    def trial_finished(self, result: Any) -> None:
        self._put(TrialRow.from_result(result))

    # --- Qt's side ---------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self._varied):
            return field_title(self._varied[section], self._task)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == SORT_ROLE:
            return self._sort_value(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and row.status == FAILED:
            return QColor(ERROR_COLOR)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.error or (f"Opens {row.bundle} (double-click)" if row.bundle else None)
        return None

    # --- internals ---------------------------------------------------------------------------

    def _cell(self, row: TrialRow, column: int) -> tuple[str, Any]:
        """(what the column holds of ``row``, which kind: "field", "number", "text")."""
        varied = len(self._varied)
        if column < varied:
            return "field", row.fields.get(self._varied[column])
        column -= varied
        if column == 0:
            return "number", row.seed
        if column == 1:
            return "text", row.status
        column -= len(FIXED_BEFORE)
        if column < len(self._metric_keys):
            return "number", row.metrics.get(self._metric_keys[column])
        name = FIXED_AFTER[column - len(self._metric_keys)]
        if name == "Note":
            return "text", row.error
        return "number", row.flow_ratio if name == "Flow first/last" else row.seconds

    def _text(self, row: TrialRow, column: int) -> str:
        kind, value = self._cell(row, column)
        varied = len(self._varied)
        if kind == "field":
            return "" if value is None else format_value(value)
        if column == varied + 1:
            return _status_text(row)
        if varied + len(FIXED_BEFORE) <= column < varied + len(FIXED_BEFORE) + len(self._metric_keys):
            return format_metric(self._metric_keys[column - varied - len(FIXED_BEFORE)], value) \
                if value is not None else ""
        if kind == "number":
            return "" if value is None else format_number(value, 3 if column == self.columnCount() - 2 else 4)
        return value or ""

    def _sort_value(self, row: TrialRow, column: int) -> Any:
        kind, value = self._cell(row, column)
        if kind == "text" or (kind == "field" and not _is_number(value)):
            return "" if value is None else str(value)
        # Missing and NaN numbers sort after every number, whichever way.
        return float(value) if _is_number(value) and math.isfinite(float(value)) else math.inf

    def _put(self, row: TrialRow) -> None:
        index = self._row_of.get(row.trial_id)
        if index is None:
            position = len(self._rows)
            self.beginInsertRows(QModelIndex(), position, position)
            self._rows.append(row)
            self._row_of[row.trial_id] = position
            self.endInsertRows()
        else:
            self._rows[index] = row
        self._changed(self._row_of[row.trial_id], row)

    def _changed(self, index: int, row: TrialRow) -> None:
        keys = self._ordered_metrics(set(row.metrics))
        if keys != self._metric_keys:
            self.beginResetModel()  # a metric column came: the columns move
            self._set_metric_keys(keys)
            self.endResetModel()
            return
        self.dataChanged.emit(self.index(index, 0), self.index(index, self.columnCount() - 1))

    def _set_metric_keys(self, keys: list[str]) -> None:
        self._metric_keys = keys
        titles = [short_title(dotted, self._task) for dotted in self._varied]
        self._columns = titles + list(FIXED_BEFORE) + keys + list(FIXED_AFTER)

    def _ordered_metrics(self, new: set[str]) -> list[str]:
        keys = set(self._metric_keys) | new | {self._metric}
        for row in self._rows:
            keys |= set(row.metrics)
        keys.discard("")
        return [self._metric] + sorted(keys - {self._metric}) if self._metric else sorted(keys)


def _status_text(row: TrialRow) -> str:
    retry = f" (try {row.attempts})" if row.attempts > 1 else ""
    if row.status == RUNNING:
        return (f"running, epoch {row.epoch}" if row.epoch else "starting") + retry
    if row.stop_reason == "nan":  # it ran to its end, on the weights kept before the gradients blew up
        return f"{row.status}, diverged" + retry
    return row.status + retry


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
