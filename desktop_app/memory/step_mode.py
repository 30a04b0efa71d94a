"""Step through the equation: one click per time step, every term of h(t) = g(w_i x(t) + w_R
h(t−1) + b) as numbers, for a network small enough to follow by hand (at most 8 units).

The numbers come from ``core.states.step_terms`` (computed from the layer's own weights, checked
against Keras): each row of the table is one unit's equation at the current step, read left to
right, so a learner can add w_i·x(t), w_R·h(t−1) and b, see the sum, apply g and find the h(t)
that the next step will read back. LSTM and GRU show one row per gate and unit, then how the
gates combine into c(t) and h(t). Above, the unrolled diagram fills in one column per click.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6 import QtCore, QtWidgets

from core.formatting import format_number
from desktop_app.memory.token_row import shown_token
from desktop_app.memory.unrolled_diagram import UnrolledDiagram
from desktop_app.widgets import notice_label

MAX_UNITS = 8
COLUMNS = ("equation", "unit", "w_i·x(t)", "w_R·h(t−1)", "b", "sum", "result")
TERMS = ("w_i_x", "w_R_h_prev", "b", "sum")
VALUE_ROLE = QtCore.Qt.ItemDataRole.UserRole
GATE_ORDER = {"LSTM": ("forget", "input", "candidate", "output"), "GRU": ("update", "reset", "candidate")}
GATE_EQUATIONS = {
    "forget": "forget f(t) = σ(sum)", "input": "input i(t) = σ(sum)", "output": "output o(t) = σ(sum)",
    "update": "update z(t) = σ(sum)", "reset": "reset r(t) = σ(sum)",
}
COMBINE = {
    "LSTM": (("c", "c(t) = f·c(t−1) + i·candidate"), ("h", "h(t) = o·tanh(c(t))")),
    "GRU": (("h", "h(t) = z·h(t−1) + (1−z)·candidate"),),
}


def output_words(y, class_names: list[str]) -> str:
    """y(t) as a learner reads it: the likeliest class and its probability, or the values."""
    if y is None:
        return ""
    values = np.asarray(y, dtype=np.float64).reshape(-1)
    if class_names and len(class_names) == len(values):
        best = int(np.argmax(values))
        return f"{class_names[best]} ({values[best]:.0%})"
    return ", ".join(format_number(v, 3) for v in values)


class StepMode(QtWidgets.QWidget):
    """The controls, the unrolled diagram and the numbers of the current step."""

    step_changed = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.terms: list[dict] = []
        self.tokens: list[str] = []
        self.cell = ""
        self.activation = "tanh"
        self.class_names: list[str] = []
        self.current = 0
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        self.note = notice_label()
        layout.addWidget(self.note)

        bar = QtWidgets.QHBoxLayout()
        self.reset_button = QtWidgets.QPushButton("Reset")
        self.reset_button.setToolTip("Back to before the first step: h(0) = 0")
        self.reset_button.clicked.connect(self.reset)
        self.back_button = QtWidgets.QPushButton("◀ Back")
        self.back_button.clicked.connect(self.back)
        self.step_button = QtWidgets.QPushButton("Step ▶")
        self.step_button.setToolTip("Read the next input: compute h(t) from x(t) and h(t−1)")
        self.step_button.clicked.connect(self.step)
        self.position_label = QtWidgets.QLabel("")
        for widget in (self.reset_button, self.back_button, self.step_button):
            bar.addWidget(widget)
        bar.addWidget(self.position_label, 1)
        layout.addLayout(bar)

        self.diagram = UnrolledDiagram()
        self.diagram_scroll = QtWidgets.QScrollArea()
        self.diagram_scroll.setWidget(self.diagram)
        self.diagram_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.diagram_scroll.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.diagram_scroll)

        self.reads_label = QtWidgets.QLabel("")
        self.reads_label.setWordWrap(True)
        self.reads_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.reads_label)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(False)
        layout.addWidget(self.table, 1)
        self.output_label = QtWidgets.QLabel("")
        self.output_label.setWordWrap(True)
        layout.addWidget(self.output_label)
        self.set_unavailable("Train a small model (at most 8 units), or open Examples › Cooking schedule with a "
                             "3-unit SimpleRNN, then choose a sample above.")

    # --- public API ------------------------------------------------------------------------

    def set_unavailable(self, text: str) -> None:
        """Nothing to step through, and why."""
        self.terms = []
        self.note.setText(text)
        self.note.show()
        self._show()

    def set_terms(self, terms: list[dict], tokens: list[str], cell: str, *, layer: str = "rnn_1",
                  activation: str = "tanh", class_names: list[str] | None = None) -> None:
        """Step through ``terms`` (core.states.step_terms of ``layer``) of a sample whose input
        steps read ``tokens``; starts before the first step."""
        self.terms = list(terms)
        self.cell = cell
        self.activation = activation or "tanh"
        self.class_names = list(class_names or [])
        self.tokens = [tokens[row["t"]] if 0 <= row["t"] < len(tokens) else str(row["t"] + 1) for row in self.terms]
        self.note.setText(f"Layer {html.escape(layer)} ({html.escape(cell)}, {len(self.terms[0]['h'])} units) reads "
                          f"the sample one step at a time. Press <b>Step</b> to compute the next h(t)."
                          if self.terms else "")
        self.note.setVisible(bool(self.terms))
        self.diagram.set_sequence(self.tokens, [row["h"] for row in self.terms],
                                  [output_words(row.get("y"), self.class_names) for row in self.terms])
        self.current = 0
        self._show()

    def step(self) -> None:
        if self.current < len(self.terms):
            self.current += 1
            self._show()

    def back(self) -> None:
        if self.current > 0:
            self.current -= 1
            self._show()

    def reset(self) -> None:
        self.current = 0
        self._show()

    def row_values(self, equation_start: str) -> list[list[float]]:
        """The numbers of the table rows whose equation starts with ``equation_start``, one list
        per unit: [w_i·x, w_R·h(t−1), b, sum, result] (missing terms left out)."""
        rows = []
        for row in range(self.table.rowCount()):
            if not self.table.item(row, 0).text().startswith(equation_start):
                continue
            values = [self.table.item(row, c).data(VALUE_ROLE) for c in range(2, len(COLUMNS))]
            rows.append([float(v) for v in values if v is not None])
        return rows

    # --- drawing ---------------------------------------------------------------------------

    def _show(self) -> None:
        total = len(self.terms)
        for button in (self.reset_button, self.back_button):
            button.setEnabled(self.current > 0)
        self.step_button.setEnabled(self.current < total)
        self.diagram_scroll.setVisible(bool(total))
        self.table.setVisible(bool(total))
        if not total:
            self.position_label.setText("")
            self.reads_label.clear()
            self.output_label.clear()
            self.table.setRowCount(0)
            return
        self.diagram.set_current(self.current)
        if self.current:
            rect = self.diagram.column_rect(self.current)
            self.diagram_scroll.ensureVisible(rect.center().x(), rect.center().y(), rect.width(), 0)
        self.position_label.setText(f"step {self.current} of {total}" if self.current
                                    else f"before step 1 of {total}: h(0) = 0")
        if not self.current:
            self.reads_label.setText("Nothing read yet. The state starts at h(0) = 0.")
            self.output_label.clear()
            self.table.setRowCount(0)
            self.step_changed.emit(0)
            return
        row = self.terms[self.current - 1]
        token = html.escape(shown_token(self.tokens[self.current - 1]))
        self.reads_label.setText(
            f"<b>Step {self.current}</b> reads x({self.current}) = {_vector(row['x'])} (“{token}”) "
            f"and the previous state h({self.current - 1}) = {_vector(row['h_prev'])}.")
        self._fill_table(row)
        output = output_words(row.get("y"), self.class_names)
        self.output_label.setText(f"<b>h({self.current})</b> = {_vector(row['h'])}" +
                                  (f" &nbsp;→&nbsp; <b>y({self.current})</b> = {_vector(row['y'])}: "
                                   f"{html.escape(output)}" if output else ""))
        self.step_changed.emit(self.current)

    def _fill_table(self, row: dict) -> None:
        lines: list[tuple[str, int, list[float | None]]] = []
        if "gates" in row:
            gates = row["gates"]
            order = [g for g in GATE_ORDER.get(self.cell, ()) if g in gates] + \
                    [g for g in gates if g not in GATE_ORDER.get(self.cell, ())]
            for gate in order:
                terms = gates[gate]
                label = GATE_EQUATIONS.get(gate, f"{gate} = {self.activation}(sum)")
                for unit, value in enumerate(terms["value"]):
                    lines.append((label, unit, [terms[k][unit] for k in TERMS] + [value]))
            for key, label in COMBINE.get(self.cell, ()):
                for unit, value in enumerate(row.get(key) or []):
                    lines.append((label, unit, [None, None, None, None, value]))
        else:
            label = f"h(t) = {self.activation}(sum)"
            for unit, value in enumerate(row["h"]):
                lines.append((label, unit, [row[k][unit] for k in TERMS] + [value]))
        self.table.setRowCount(len(lines))
        for r, (label, unit, values) in enumerate(lines):
            self.table.setItem(r, 0, QtWidgets.QTableWidgetItem(label))
            self.table.setItem(r, 1, QtWidgets.QTableWidgetItem(str(unit + 1)))
            for c, value in enumerate(values, start=2):
                item = QtWidgets.QTableWidgetItem("" if value is None else format_number(value, 4))
                if value is not None:
                    item.setData(VALUE_ROLE, float(value))
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)


def _vector(values) -> str:
    if values is None:
        return ""
    return "[" + ", ".join(format_number(v, 3) for v in np.asarray(values, dtype=np.float64).reshape(-1)) + "]"
