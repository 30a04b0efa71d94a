"""The lecture's (Karpathy's) picture of an I/O mode: input, hidden and output boxes over time.

``diagram_columns`` says what each time step shows (pure data, testable without painting);
``IOModeDiagram`` paints it with the real step counts, layers and directions of the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.io_modes import IO_MODE_TITLES

INPUT_FILL, INPUT_EDGE = QColor("#f4a6a6"), QColor("#c0392b")
HIDDEN_FILL, HIDDEN_EDGE = QColor("#b7e1a1"), QColor("#3d8b2f")
OUTPUT_FILL, OUTPUT_EDGE = QColor("#a9cbee"), QColor("#2a6fb0")
ARROW = QColor("#444444")
MAX_COLUMNS = 7  # per segment (input part, output part); longer ones get an ellipsis


@dataclass(frozen=True)
class DiagramColumn:
    """One time step of the picture: which boxes it has and their labels."""

    input_label: str = ""  # "" means no input box at this step
    output_label: str = ""
    ellipsis: bool = False  # stands for the steps left out
    repeated_input: bool = False  # the same vector again (one-to-many "repeat")


def diagram_columns(mode: str, steps_in: int | None = None, steps_out: int | None = None,
                    feed: str = "repeat") -> list[DiagramColumn]:
    """The columns of the lecture's picture for a mode, with real step counts when given."""
    t_in = steps_in or 3
    t_out = steps_out or 3
    if mode == "one_to_one":
        return [DiagramColumn("x", "y")]
    if mode == "many_to_one":
        cols = [DiagramColumn(f"x{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_in)]
        return _mark(cols, len(cols) - 1, output="y")
    if mode == "many_to_many":
        return [DiagramColumn(f"x{t}", f"y{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_in)]
    if mode == "one_to_many":
        cols = []
        for i, t in enumerate(_steps(t_out)):
            if not t:
                cols.append(DiagramColumn(ellipsis=True))
            elif feed == "repeat":
                cols.append(DiagramColumn("x", f"y{t}", repeated_input=i > 0))
            else:
                cols.append(DiagramColumn("x" if i == 0 else "", f"y{t}"))
        return cols
    # encoder_decoder: read everything, then write
    cols = [DiagramColumn(f"x{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_in)]
    cols += [DiagramColumn("", f"y{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_out)]
    return cols


def _steps(n: int) -> list[int]:
    """1..n, or the first and last steps with a 0 standing for the ellipsis."""
    if n <= MAX_COLUMNS:
        return list(range(1, n + 1))
    return [1, 2, 0, n - 1, n]


def _mark(cols: list[DiagramColumn], index: int, *, output: str) -> list[DiagramColumn]:
    cols[index] = replace(cols[index], output_label=output)
    return cols


class IOModeDiagram(QWidget):
    """The lecture's (Karpathy's) boxes: inputs red, hidden states green, outputs blue."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._mode = "many_to_many"
        self._steps_in: int | None = None
        self._steps_out: int | None = None
        self._layers = 1
        self._bidirectional = False
        self._feed = "repeat"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._update_tooltip()

    def set_mode(self, mode: str, *, steps_in: int | None = None, steps_out: int | None = None,
                 layers: int = 1, bidirectional: bool = False, feed: str = "repeat") -> None:
        self._mode, self._steps_in, self._steps_out = mode, steps_in, steps_out
        self._layers, self._bidirectional, self._feed = layers, bidirectional, feed
        self.updateGeometry()
        self._update_tooltip()
        self.update()

    def mode(self) -> str:
        return self._mode

    def columns(self) -> list[DiagramColumn]:
        return diagram_columns(self._mode, self._steps_in, self._steps_out, self._feed)

    def hidden_rows(self) -> int:
        return min(self._layers, 3)

    def caption(self) -> str:
        title = IO_MODE_TITLES.get(self._mode, self._mode)
        if self._steps_in is None:
            return title + self._structure()
        if self._mode == "one_to_one":
            counts = "1 step in, 1 out"
        elif self._mode == "one_to_many":
            counts = f"1 vector in, {self._steps_out} steps out"
        elif self._mode == "many_to_one":
            counts = f"{self._steps_in} steps in, 1 out"
        elif self._mode == "many_to_many":
            counts = f"{self._steps_in} steps in, one output each"
        else:
            counts = f"{self._steps_in} steps in, then {self._steps_out} out"
        return f"{title}: {counts}{self._structure()}"

    def _structure(self) -> str:
        parts = []
        if self._layers > 1:
            shown = "" if self._layers <= 3 else " (3 drawn)"
            parts.append(f"{self._layers} layers{shown}")
        if self._bidirectional:
            parts.append("bidirectional")
        return "".join(f" · {p}" for p in parts)

    def _update_tooltip(self) -> None:
        self.setToolTip(f"{self.caption()}\nred: inputs x(t) · green: hidden states h(t), arrows to the right carry "
                        "the state to the next step · blue: outputs y(t)")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self._height())

    def _height(self) -> int:
        return 46 + (2 + self.hidden_rows()) * 36 + 18

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cols = self.columns()
        rows = self.hidden_rows()
        width = self.width()
        top, caption_h = 6, 30
        row_h = (self.height() - top - caption_h) / (rows + 2)
        col_w = min(52.0, (width - 16) / max(1, len(cols)))
        box = max(12.0, min(row_h * 0.62, col_w * 0.62, 28.0))
        x0 = (width - col_w * len(cols)) / 2
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, min(9.0, box * 0.38)))
        painter.setFont(font)

        def center(col: int, row: int) -> QPointF:  # row 0: outputs (top), rows+1: inputs (bottom)
            return QPointF(x0 + col_w * (col + 0.5), top + row_h * (row + 0.5))

        def draw_box(c: QPointF, fill: QColor, edge: QColor, label: str, faded: bool = False) -> None:
            rect = QRectF(c.x() - box / 2, c.y() - box / 2, box, box)
            f = QColor(fill)
            if faded:
                f.setAlpha(110)
            painter.setPen(QPen(edge, 1.4))
            painter.setBrush(QBrush(f))
            painter.drawRoundedRect(rect, 3, 3)
            if label:
                painter.setPen(QColor("#202020"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

        for i, col in enumerate(cols):
            if col.ellipsis:
                painter.setPen(QColor("#555555"))
                for r in range(1, rows + 1):
                    painter.drawText(QRectF(center(i, r).x() - col_w / 2, center(i, r).y() - box / 2, col_w, box),
                                     Qt.AlignmentFlag.AlignCenter, "···")
                continue
            for r in range(1, rows + 1):  # hidden boxes, top layer at row 1
                label = "h" if rows == 1 else f"h{rows - r + 1}"
                draw_box(center(i, r), HIDDEN_FILL, HIDDEN_EDGE, label)
            if col.input_label:
                start, end = center(i, rows + 1), center(i, rows)
                _arrow(painter, QPointF(start.x(), start.y() - box / 2), QPointF(end.x(), end.y() + box / 2))
                draw_box(start, INPUT_FILL, INPUT_EDGE, col.input_label, faded=col.repeated_input)
            if col.output_label:
                start, end = center(i, 1), center(i, 0)
                _arrow(painter, QPointF(start.x(), start.y() - box / 2), QPointF(end.x(), end.y() + box / 2))
                draw_box(end, OUTPUT_FILL, OUTPUT_EDGE, col.output_label)
            for r in range(2, rows + 1):  # layer below feeds the layer above
                a, b = center(i, r), center(i, r - 1)
                _arrow(painter, QPointF(a.x(), a.y() - box / 2), QPointF(b.x(), b.y() + box / 2))
        # Recurrent connections: the state goes on to the next step (and back, if bidirectional).
        for i in range(len(cols) - 1):
            for r in range(1, rows + 1):
                a, b = center(i, r), center(i + 1, r)
                left = QPointF(a.x() + box / 2, a.y())
                right = QPointF(b.x() - box / 2, b.y())
                if cols[i].ellipsis or cols[i + 1].ellipsis:
                    left.setX(a.x() + (box / 2 if not cols[i].ellipsis else col_w * 0.3))
                    right.setX(b.x() - (box / 2 if not cols[i + 1].ellipsis else col_w * 0.3))
                if self._bidirectional:
                    _arrow(painter, QPointF(left.x(), left.y() - box * 0.18), QPointF(right.x(), right.y() - box * 0.18))
                    _arrow(painter, QPointF(right.x(), right.y() + box * 0.18), QPointF(left.x(), left.y() + box * 0.18))
                else:
                    _arrow(painter, left, right)
        caption_font = QFont(self.font())
        caption_font.setPointSizeF(8.5)
        painter.setFont(caption_font)
        painter.setPen(QColor("#333333"))
        painter.drawText(QRectF(4, self.height() - caption_h, width - 8, caption_h),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.caption())
        painter.end()


def _arrow(painter: QPainter, start: QPointF, end: QPointF) -> None:
    painter.setPen(QPen(ARROW, 1.2))
    painter.drawLine(start, end)
    direction = end - start
    length = max(1e-6, (direction.x() ** 2 + direction.y() ** 2) ** 0.5)
    ux, uy = direction.x() / length, direction.y() / length
    size = 5.0
    tip = end
    left = QPointF(tip.x() - ux * size - uy * size * 0.55, tip.y() - uy * size + ux * size * 0.55)
    right = QPointF(tip.x() - ux * size + uy * size * 0.55, tip.y() - uy * size - ux * size * 0.55)
    path = QPainterPath()
    path.addPolygon(QPolygonF([tip, left, right]))
    painter.fillPath(path, QBrush(ARROW))
