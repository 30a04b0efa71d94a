"""The lecture's unrolled network for one sample: x(t) below, h(t) in the middle, y(t) above, and
the recurrent arrow h(t−1) → h(t) between neighbouring steps.

Steps already read show their numbers; the current step is outlined; the steps to come are grey
boxes with a question mark, so each click on Step visibly fills in one more column.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from core.formatting import format_number
from desktop_app.memory.token_row import shown_token

COLUMN = 140
MARGIN = 14
LEFT = 54  # room for "h(0) = 0" before the first step
BOX_WIDTH = 114
LINE = 15
CURRENT_COLOR = "#D55E00"
DONE_COLOR = "#0072B2"
TODO_COLOR = "#b8bec6"


class UnrolledDiagram(QtWidgets.QWidget):
    """``set_sequence(tokens, hidden, outputs)``, then ``set_current(step)`` (0: nothing read yet)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.tokens: list[str] = []
        self.hidden: list[list[float]] = []
        self.outputs: list[str] = []
        self.current = 0
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)

    def set_sequence(self, tokens: list[str], hidden: list[list[float]], outputs: list[str]) -> None:
        """Per step: the input token, h(t) (units) and y(t) in words ("" where there is none)."""
        self.tokens, self.hidden, self.outputs = list(tokens), [list(h) for h in hidden], list(outputs)
        self.current = 0
        units = len(self.hidden[0]) if self.hidden else 1
        self._h_height = LINE * (units + 1) + 8
        height = MARGIN * 2 + 34 + 24 + self._h_height + 24 + 34
        self.setFixedSize(MARGIN + LEFT + COLUMN * max(1, len(self.tokens)), height)
        self.update()

    def set_current(self, step: int) -> None:
        self.current = max(0, min(step, len(self.tokens)))
        self.update()

    def column_rect(self, step: int) -> QtCore.QRect:
        """Where step ``step`` (from 1) is drawn, for scrolling it into view."""
        return QtCore.QRect(LEFT + (step - 1) * COLUMN, 0, COLUMN, self.height())

    def shown_hidden(self, step: int) -> list[float] | None:
        """The h(step) written in the diagram, or None while that step is still to come."""
        if not 1 <= step <= self.current:
            return None
        return self.hidden[step - 1]

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        painter = QtGui.QPainter(self)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        y_top = MARGIN
        h_top = y_top + 34 + 24
        x_top = h_top + self._h_height + 24 if self.tokens else 0
        # h(0) = 0: where the recurrence starts.
        painter.setPen(QtGui.QColor("#555555"))
        painter.drawText(QtCore.QRectF(0, h_top, LEFT - 22, self._h_height if self.tokens else 0),
                         QtCore.Qt.AlignmentFlag.AlignCenter, "h(0)\n= 0")
        for index, token in enumerate(self.tokens):
            step = index + 1
            left = LEFT + index * COLUMN + (COLUMN - BOX_WIDTH) / 2
            done = step <= self.current
            color = CURRENT_COLOR if step == self.current else DONE_COLOR if done else TODO_COLOR
            x_box = QtCore.QRectF(left, x_top, BOX_WIDTH, 34)
            h_box = QtCore.QRectF(left, h_top, BOX_WIDTH, self._h_height)
            y_box = QtCore.QRectF(left, y_top, BOX_WIDTH, 34)
            self._box(painter, x_box, f"x({step})\n{shown_token(token)}", color if done else TODO_COLOR)
            values = "\n".join(format_number(v, 3) for v in self.hidden[index]) if done else "?"
            self._box(painter, h_box, f"h({step})\n{values}", color, bold=step == self.current)
            output = self.outputs[index] if index < len(self.outputs) else ""
            if output:
                self._box(painter, y_box, f"y({step})\n{output if done else '?'}", color if done else TODO_COLOR)
                self._arrow(painter, QtCore.QPointF(h_box.center().x(), h_box.top()),
                            QtCore.QPointF(y_box.center().x(), y_box.bottom()), color if done else TODO_COLOR)
            self._arrow(painter, QtCore.QPointF(x_box.center().x(), x_box.top()),
                        QtCore.QPointF(h_box.center().x(), h_box.bottom()), color if done else TODO_COLOR)
            start_x = h_box.left() - (COLUMN - BOX_WIDTH) if index else LEFT - 22
            self._arrow(painter, QtCore.QPointF(start_x, h_box.center().y()),
                        QtCore.QPointF(h_box.left(), h_box.center().y()), color if done else TODO_COLOR, "w_R")
        painter.end()

    @staticmethod
    def _box(painter: QtGui.QPainter, rect: QtCore.QRectF, text: str, color: str, bold: bool = False) -> None:
        pen = QtGui.QPen(QtGui.QColor(color))
        pen.setWidthF(2.5 if bold else 1.3)
        painter.setPen(pen)
        painter.setBrush(QtGui.QColor("#ffffff"))
        painter.drawRoundedRect(rect, 5, 5)
        painter.setPen(QtGui.QColor("#222222" if color != TODO_COLOR else "#8a939c"))
        inner = rect.adjusted(3, 2, -3, -2)
        metrics = painter.fontMetrics()
        lines = [metrics.elidedText(line, QtCore.Qt.TextElideMode.ElideRight, int(inner.width()))
                 for line in text.split("\n")]
        painter.drawText(inner, QtCore.Qt.AlignmentFlag.AlignCenter, "\n".join(lines))

    @staticmethod
    def _arrow(painter: QtGui.QPainter, start: QtCore.QPointF, end: QtCore.QPointF, color: str,
               label: str = "") -> None:
        pen = QtGui.QPen(QtGui.QColor(color))
        pen.setWidthF(1.4)
        painter.setPen(pen)
        painter.drawLine(start, end)
        direction = end - start
        length = max((direction.x() ** 2 + direction.y() ** 2) ** 0.5, 1e-6)
        unit = QtCore.QPointF(direction.x() / length, direction.y() / length)
        normal = QtCore.QPointF(-unit.y(), unit.x())
        head = QtGui.QPolygonF([end, end - unit * 7 + normal * 3.5, end - unit * 7 - normal * 3.5])
        painter.setBrush(QtGui.QColor(color))
        painter.drawPolygon(head)
        if label:
            painter.drawText(QtCore.QRectF(start.x(), start.y() - 16, end.x() - start.x(), 14),
                             QtCore.Qt.AlignmentFlag.AlignCenter, label)
