"""The decoded input along the time axis, each step's token on a cell coloured by one unit.

This is the figure of Karpathy's "The Unreasonable Effectiveness of Recurrent Neural Networks":
the input text with every character's background coloured by one hidden unit's activation, so
a unit that tracks "inside quotes" or "yesterday was pizza" lights up where it fires. The row
shares the heat-maps' x axis (step t at x = t), so a token sits right above its column.

One item paints every token itself, in screen pixels: a hundred TextItems would each lay out
their text on every redraw, and this costs one pass over the visible cells. A token too wide
for its cell is drawn upright (rotated) when that fits, else elided; when even one character
does not fit, only the colour is drawn (zoom in to read it).
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from desktop_app.memory.heatmap import AXIS_WIDTH, readable_text_color
from desktop_app.plots.style import TEXT_COLOR

NEUTRAL = "#eef1f4"  # a token's background while no unit is chosen
ROW_HEIGHT = 58


def shown_token(token: str) -> str:
    """Blanks made visible: a space or a line break would be an empty cell."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥", "": "·"}.get(token, token.replace("\n", "⏎"))


class TokenItem(pg.GraphicsObject):
    """Cells (t - 0.5 .. t + 0.5) x (0 .. 1) with the tokens written in them."""

    def __init__(self):
        super().__init__()
        self.tokens: list[str] = []
        self._raw: list[str] = []
        self.colors: list[str] = []
        self._font = QtGui.QFont()
        self._font.setPointSizeF(8.5)
        self._metrics = QtGui.QFontMetricsF(self._font)
        self._widths: dict[str, float] = {}  # measuring text is most of a repaint's cost
        self._qcolors: dict[str, tuple[QtGui.QColor, QtGui.QColor]] = {}

    def set_tokens(self, tokens: list[str], colors: list[str]) -> None:
        if len(tokens) != len(self.tokens):
            self.prepareGeometryChange()
        if tokens != self._raw:  # an epoch's refresh of the same probe brings the same tokens
            self._raw = list(tokens)
            self.tokens = [shown_token(str(t)) for t in tokens]
        self.colors = list(colors)
        self.update()

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 - Qt API
        return QtCore.QRectF(0.5, 0.0, max(len(self.tokens), 1), 1.0)

    def paint(self, painter: QtGui.QPainter, *_args) -> None:
        if not self.tokens:
            return
        to_device = painter.transform()
        view = self.getViewBox()
        visible = view.viewRect() if view is not None else self.boundingRect()
        first = max(0, int(math.floor(visible.left() - 0.5)))
        last = min(len(self.tokens), int(math.ceil(visible.right() + 0.5)))
        painter.save()
        painter.resetTransform()
        painter.setFont(self._font)
        line = self._metrics.height()
        white = QtGui.QColor("#ffffff")
        for index in range(first, last):
            cell = to_device.mapRect(QtCore.QRectF(index + 0.5, 0.0, 1.0, 1.0)).normalized()
            background, ink = self._colors(self.colors[index] if index < len(self.colors) else NEUTRAL)
            painter.fillRect(cell, background)
            painter.setPen(white)
            painter.drawLine(cell.topRight(), cell.bottomRight())
            self._draw_text(painter, cell, self.tokens[index], ink, line)
        painter.restore()

    def _colors(self, color: str) -> tuple[QtGui.QColor, QtGui.QColor]:
        if color not in self._qcolors:
            self._qcolors[color] = (QtGui.QColor(color), QtGui.QColor(readable_text_color(color)))
        return self._qcolors[color]

    def _draw_text(self, painter: QtGui.QPainter, cell: QtCore.QRectF, text: str, ink: QtGui.QColor,
                   line: float) -> None:
        painter.setPen(ink)
        width = self._widths.get(text)
        if width is None:
            width = self._widths[text] = self._metrics.horizontalAdvance(text)
        # One character may touch its neighbours' edges: a character-level text stays readable
        # at 100 steps across.
        if width <= cell.width() - 2 or (len(text) == 1 and width <= cell.width() + 1):
            painter.drawText(cell, QtCore.Qt.AlignmentFlag.AlignCenter, text)
            return
        if cell.width() >= line and cell.width() < cell.height():
            # Upright, reading bottom to top, as column labels of a chart are.
            elided = self._metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, cell.height() - 4)
            painter.save()
            painter.translate(cell.center())
            painter.rotate(-90)
            painter.drawText(QtCore.QRectF(-cell.height() / 2, -cell.width() / 2, cell.height(), cell.width()),
                             QtCore.Qt.AlignmentFlag.AlignCenter, elided)
            painter.restore()
            return
        if cell.width() >= self._metrics.averageCharWidth() * 2:
            elided = self._metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideRight, cell.width() - 2)
            painter.drawText(cell, QtCore.Qt.AlignmentFlag.AlignCenter, elided)


class TokenRow(pg.PlotItem):
    """The input row above the heat-maps: a plot with no y axis values, x shared with them."""

    def __init__(self):
        super().__init__()
        self.setMenuEnabled(False)
        self.hideButtons()
        self.hideAxis("bottom")
        left = self.getAxis("left")
        left.setWidth(AXIS_WIDTH)
        left.setStyle(showValues=False, tickLength=0)
        left.setPen(pg.mkPen(None))
        self.setLabel("left", "input", color=TEXT_COLOR)
        view = self.getViewBox()
        view.setMouseEnabled(x=True, y=False)
        view.setDefaultPadding(0.0)
        view.setYRange(0.0, 1.0, padding=0)
        self.tokens = TokenItem()
        self.addItem(self.tokens)
        self.setFixedHeight(ROW_HEIGHT)

    def set_tokens(self, tokens: list[str], colors: list[str] | None = None) -> None:
        self.tokens.set_tokens(tokens, colors if colors is not None else [NEUTRAL] * len(tokens))
        steps = max(len(tokens), 1)
        view = self.getViewBox()
        view.setLimits(xMin=0.5, xMax=steps + 0.5)
        view.setRange(xRange=(0.5, steps + 0.5), yRange=(0.0, 1.0), padding=0)

    def colors(self) -> list[str]:
        """Each token's background colour, as drawn."""
        return list(self.tokens.colors)
