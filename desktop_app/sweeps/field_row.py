"""One varied field of the Sweep dialog: which field, and its values or its distribution.

"Values" rows are the grid: a comma-separated list, typed or generated (from, to, count, linear
or log). "Random" rows draw ``samples`` values from a uniform or log-uniform range, or choose
among the listed values. ``entry()`` reads the row back as the sweep spec wants it; a ValueError
names what it cannot read. A row showing a sweep file's field (``show``) gives back the file's
own values until it is edited, so the dialog runs and saves exactly what the file says.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.sweeps.fields import SweepField, format_value, format_values, generated_values, parse_values

GRID, RANDOM = "values", "random"
FIELD_WIDTH, HOW_WIDTH = 250, 90
DISTRIBUTIONS = (("uniform", "uniform"), ("loguniform", "log-uniform"), ("choice", "one of the values"))


class FieldRow(QWidget):
    """A field and how the sweep varies it (see the module docstring)."""

    changed = Signal()
    remove_requested = Signal(object)  # this row

    def __init__(self, fields: list[SweepField], parent: QWidget | None = None):
        super().__init__(parent)
        self._fields = fields
        self.field_combo = QComboBox()
        for sweep_field in fields:
            self.field_combo.addItem(sweep_field.title, sweep_field.dotted)
        self.how_combo = QComboBox()
        self.how_combo.addItem("Values", GRID)
        self.how_combo.addItem("Random", RANDOM)
        self.how_combo.setToolTip("Values: every value listed makes trials (a grid). Random: each trial draws "
                                  "a value (as many draws as “Random draws”).")
        self.values_edit = QLineEdit()
        self.values_edit.setPlaceholderText("values, separated by commas")
        self.generate_button = QToolButton()
        self.generate_button.setText("Generate…")
        self.generate_button.setCheckable(True)
        self.generate_button.setToolTip("Fill the values from a range: from, to, how many, linear or log steps")
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Stop varying this field")

        self.distribution_combo = QComboBox()
        for value, title in DISTRIBUTIONS:
            self.distribution_combo.addItem(title, value)
        self.low_edit, self.high_edit = QLineEdit(), QLineEdit()
        self.low_edit.setPlaceholderText("from")
        self.high_edit.setPlaceholderText("to")
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 1000)
        self.count_spin.setValue(3)
        self.count_spin.setPrefix("count ")
        self.scale_combo = QComboBox()
        self.scale_combo.addItems(["linear", "log"])

        # Fixed widths keep the rows' columns in line, whatever the field's title.
        self.field_combo.setFixedWidth(FIELD_WIDTH)
        self.how_combo.setFixedWidth(HOW_WIDTH)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.field_combo)
        top.addWidget(self.how_combo)
        top.addWidget(self.distribution_combo)
        top.addWidget(self.values_edit, 1)
        top.addWidget(self.generate_button)
        top.addStretch(0)
        top.addWidget(self.remove_button)
        self.range_line = QWidget()
        below = QHBoxLayout(self.range_line)
        below.setContentsMargins(24, 0, 0, 0)
        self.range_label = QLabel()
        below.addWidget(self.range_label)
        below.addWidget(self.low_edit)
        below.addWidget(QLabel("to"))
        below.addWidget(self.high_edit)
        below.addWidget(self.count_spin)
        below.addWidget(self.scale_combo)
        below.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.range_line)

        self.field_combo.currentIndexChanged.connect(self._on_field_changed)
        self.how_combo.currentIndexChanged.connect(self._on_how_changed)
        self.distribution_combo.currentIndexChanged.connect(self._on_how_changed)
        self.generate_button.toggled.connect(self._on_how_changed)
        self.values_edit.textChanged.connect(self.changed)
        for edit in (self.low_edit, self.high_edit):
            edit.textChanged.connect(self._on_range_changed)
        self.count_spin.valueChanged.connect(self._on_range_changed)
        self.scale_combo.currentIndexChanged.connect(self._on_range_changed)
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        self._generate_problem = ""
        # (the widgets' state when a sweep file's entry was shown, that entry)
        self._shown: tuple[tuple, tuple[str, str, Any]] | None = None
        self._on_field_changed()

    # --- reading it back ---------------------------------------------------------------------

    def field(self) -> SweepField:
        return self._fields[self.field_combo.currentIndex()]

    def is_random(self) -> bool:
        return self.how_combo.currentData() == RANDOM

    def entry(self) -> tuple[str, str, object]:
        """(dotted name, "grid" or "random", a list of values or a distribution)."""
        if self._shown is not None and self._shown[0] == self._state():
            return copy.deepcopy(self._shown[1])
        sweep_field = self.field()
        if self._generate_problem and self._generating():
            raise ValueError(self._generate_problem)
        if not self.is_random():
            return sweep_field.dotted, "grid", parse_values(sweep_field, self.values_edit.text())
        distribution = self.distribution_combo.currentData()
        if distribution == "choice":
            return sweep_field.dotted, "random", {"choice": parse_values(sweep_field, self.values_edit.text())}
        return sweep_field.dotted, "random", {distribution: self._range()}

    # --- driving it (the dialog's defaults, tests) ---------------------------------------------

    def choose(self, dotted: str, values: str = "") -> None:
        self.field_combo.setCurrentIndex(self.field_combo.findData(dotted))
        if values:
            self.values_edit.setText(values)

    def show(self, dotted: str, how: str, values: Any) -> None:
        """Show a sweep file's field: ``how`` "grid" with a list of values, or "random" with a
        distribution ({"loguniform": [low, high]}); the row must offer ``dotted``."""
        self.generate_button.setChecked(False)
        self.choose(dotted)
        self.how_combo.setCurrentIndex(self.how_combo.findData(GRID if how == "grid" else RANDOM))
        if how == "grid":
            self.values_edit.setText(format_values(list(values)))
        else:
            (kind, args), = values.items()
            self.distribution_combo.setCurrentIndex(self.distribution_combo.findData(kind))
            if kind == "choice":
                self.values_edit.setText(format_values(list(args)))
            else:
                self.low_edit.setText(format_value(args[0]))
                self.high_edit.setText(format_value(args[1]))
        self._shown = (self._state(), (dotted, how, copy.deepcopy(values)))

    def use_fields(self, fields: list[SweepField]) -> bool:
        """Offer ``fields`` (another base project's) and keep what the row shows; False, changing
        nothing, when its field is not among them."""
        dotted = self.field().dotted
        index = next((i for i, f in enumerate(fields) if f.dotted == dotted), None)
        if index is None:
            return False
        showing_file = self._shown is not None and self._shown[0] == self._state()
        self._fields = fields
        # Blocked: choosing the field again would reset the values to the new project's.
        with QSignalBlocker(self.field_combo):
            self.field_combo.clear()
            for sweep_field in fields:
                self.field_combo.addItem(sweep_field.title, sweep_field.dotted)
            self.field_combo.setCurrentIndex(index)
        if showing_file:
            self._shown = (self._state(), self._shown[1])
        return True

    # --- internals ---------------------------------------------------------------------------

    def _state(self) -> tuple:
        """What the user can change in the row; typed text compares as the user sees it."""
        return (self.field_combo.currentIndex(), self.how_combo.currentData(), self.distribution_combo.currentData(),
                self.generate_button.isChecked(), self.values_edit.text(), self.low_edit.text(),
                self.high_edit.text())

    def _range(self) -> list:
        """The range's two ends, whole numbers for a whole-number field."""
        sweep_field = self.field()
        bounds = []
        for edit, name in ((self.low_edit, "from"), (self.high_edit, "to")):
            if not edit.text().strip():
                raise ValueError(f"{sweep_field.title}: type where the range goes {name}.")
            bounds += parse_values(sweep_field, edit.text())[:1]
        return bounds

    def _on_field_changed(self) -> None:
        sweep_field = self.field()
        numeric = sweep_field.numeric
        with QSignalBlocker(self.distribution_combo):
            for index, (value, _title) in enumerate(DISTRIBUTIONS):
                _set_item_enabled(self.distribution_combo, index, numeric or value == "choice")
            if not numeric:
                self.distribution_combo.setCurrentIndex(len(DISTRIBUTIONS) - 1)
            elif sweep_field.log_scale:
                self.distribution_combo.setCurrentIndex(1)
        with QSignalBlocker(self.scale_combo):
            self.scale_combo.setCurrentText("log" if sweep_field.log_scale else "linear")
        with QSignalBlocker(self.values_edit):
            # Choices start with every choice (SimpleRNN, LSTM, GRU); numbers with the current value.
            self.values_edit.setText(format_values(list(sweep_field.choices)) if sweep_field.choices
                                     else "true, false" if sweep_field.kind == "bool"
                                     else format_value(sweep_field.current))
        self.values_edit.setToolTip(f"{sweep_field.title}: values separated by commas")
        self._on_how_changed()

    def _on_how_changed(self) -> None:
        numeric = self.field().numeric
        random = self.is_random()
        distribution = self.distribution_combo.currentData()
        ranged = numeric and random and distribution != "choice"
        generating = self._generating()
        self.distribution_combo.setVisible(random)
        self.values_edit.setVisible(not ranged)
        self.generate_button.setVisible(numeric and not random)
        self.range_line.setVisible(ranged or generating)
        self.count_spin.setVisible(generating)
        self.scale_combo.setVisible(generating)
        self.range_label.setText("Generate values from" if generating else "Draw from")
        self.values_edit.setReadOnly(generating)
        if generating:
            self._on_range_changed()
        self.changed.emit()

    def _generating(self) -> bool:
        return self.field().numeric and not self.is_random() and self.generate_button.isChecked()

    def _on_range_changed(self) -> None:
        self._generate_problem = ""
        if self._generating():
            try:
                low, high = self._range()
                values = generated_values(self.field(), low, high, self.count_spin.value(),
                                          log=self.scale_combo.currentText() == "log")
            except ValueError as exc:
                self._generate_problem = str(exc)
                values = []
            with QSignalBlocker(self.values_edit):
                self.values_edit.setText(format_values(values))
        self.changed.emit()


def _set_item_enabled(combo: QComboBox, index: int, enabled: bool) -> None:
    item = combo.model().item(index)
    if item is not None:
        item.setEnabled(enabled)
