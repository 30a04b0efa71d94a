"""The look every plot of the window shares: colours, pens, axes, labels and captions."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.diagnostics import scientific

# Colour-blind-safe palette (Okabe-Ito, then Tableau) for layers and runs.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#8C564B", "#7F7F7F", "#BCBD22",
)
TRAIN_COLOR = "#0072B2"
VAL_COLOR = "#D55E00"
# The overlay of several runs draws its style swatches in this neutral grey.
STYLE_GREY = "#555555"
TEXT_COLOR = "#222222"
AXIS_COLOR = "#444444"
DASHES = (
    QtCore.Qt.PenStyle.SolidLine,
    QtCore.Qt.PenStyle.DashLine,
    QtCore.Qt.PenStyle.DotLine,
    QtCore.Qt.PenStyle.DashDotLine,
    QtCore.Qt.PenStyle.DashDotDotLine,
)
WEIGHT_DASH = {"w_i": QtCore.Qt.PenStyle.SolidLine, "w_R": QtCore.Qt.PenStyle.DashLine,
               "bias": QtCore.Qt.PenStyle.DotLine}


def pen(color: str, width: float = 1.5, style=QtCore.Qt.PenStyle.SolidLine, alpha: int = 255) -> QtGui.QPen:
    qcolor = QtGui.QColor(color)
    qcolor.setAlpha(alpha)
    result = pg.mkPen(qcolor, width=width)
    result.setStyle(style)
    result.setCosmetic(True)
    return result


def mix(start: str, end: str, share: float) -> str:
    """The colour ``share`` (0..1) of the way from ``start`` to ``end``."""
    a, b = QtGui.QColor(start), QtGui.QColor(end)
    share = min(1.0, max(0.0, share))
    mixed = QtGui.QColor(
        round(a.red() + (b.red() - a.red()) * share),
        round(a.green() + (b.green() - a.green()) * share),
        round(a.blue() + (b.blue() - a.blue()) * share),
    )
    return mixed.name()


def set_symbol(item: pg.PlotDataItem, symbol: tuple[str, str] | None) -> None:
    """Markers of ``symbol`` (shape, colour) on a curve or a legend swatch."""
    if symbol is None:
        return
    item.setSymbol(symbol[0])
    item.setSymbolSize(6)
    item.setSymbolBrush(pg.mkBrush(symbol[1]))
    item.setSymbolPen(pg.mkPen(symbol[1]))


class StepAxis(pg.AxisItem):
    """An axis of whole numbers (time steps, epochs): no 1.5 or 0.1 ticks between them.

    ``fractions_when_sparse``: an epoch axis whose view holds fewer than two whole epochs (a run
    stopped in its first epoch) falls back to fractional ticks, which are real positions there;
    a time-step axis never does.
    """

    def __init__(self, *args, fractions_when_sparse: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._fractions_when_sparse = fractions_when_sparse

    def tickValues(self, minVal, maxVal, size):
        levels = [(spacing, [v for v in values if abs(v - round(v)) < 1e-9])
                  for spacing, values in super().tickValues(minVal, maxVal, size) if spacing >= 1]
        levels = [(spacing, values) for spacing, values in levels if values]
        if self._fractions_when_sparse and sum(len(values) for _, values in levels) < 2:
            return super().tickValues(minVal, maxVal, size)
        if not levels:
            # Less than one unit in view (one time step): label the whole numbers inside it.
            values = [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)]
            levels = [(1.0, values)] if values else []
        return levels


class LogAxis(pg.AxisItem):
    """A log axis that labels decades only (0.001, 0.01, ..., 1e-6): pyqtgraph's default also
    labels the 2..9 minor ticks, which stacks a dozen labels per decade into an unreadable
    column and pushes the rotated axis title onto them."""

    _span = 0.0

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        self._span = float(maxVal - minVal)
        return super().logTickValues(minVal, maxVal, size, stdTicks)

    def logTickStrings(self, values, scale, spacing):
        strings = []
        for v in values:
            decade = abs(v - round(v)) < 1e-6
            mantissa = round(10 ** (v - math.floor(v + 1e-9)))
            # Within less than ~2 decades there are too few decade ticks to read a value: label
            # 2 and 5 as well.
            if decade or (spacing is None and self._span < 2 and mantissa in (2, 5)):
                strings.append(_decade_text(10.0 ** v * scale))
            else:
                strings.append("")
        return strings


def _decade_text(value: float) -> str:
    if 1e-3 <= value <= 1e3:
        return f"{value:g}"
    return scientific(value).replace("e+", "e")


def style_axes(item: pg.PlotItem, x_label: str | None = None, y_label: str | None = None) -> None:
    """Dark axes and labels on a white plot, without SI prefixes: "(x0.001)" on an accuracy axis
    confuses more than it helps."""
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        axis.enableAutoSIPrefix(False)
        axis.setPen(pg.mkPen(AXIS_COLOR))
        axis.setTextPen(pg.mkPen(TEXT_COLOR))
    if x_label is not None:
        item.setLabel("bottom", x_label, color=TEXT_COLOR)
    if y_label is not None:
        item.setLabel("left", y_label, color=TEXT_COLOR)


def style_plot(widget: pg.PlotWidget, x_label: str, y_label: str, log_y: bool = False) -> None:
    """The style of a live training plot: shared axes, log y if asked, peak downsampling."""
    item = widget.getPlotItem()
    # No grid: its translucent lines doubled the paint time of a 100,000-batch plot, and the
    # hover read-out gives exact values.
    style_axes(item, x_label, y_label)
    item.setLogMode(x=False, y=log_y)
    item.setMenuEnabled(True)
    # Set here, not per curve: PlotItem.addItem overwrites a curve's own settings with these.
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    widget.setMinimumHeight(140)


def training_plot(x_label: str, y_label: str, *, log_y: bool = False, fractions_when_sparse: bool = True,
                  legend_offset: tuple[int, int] = (-8, 8)) -> tuple[pg.PlotWidget, pg.LegendItem]:
    """A styled plot with its legend at ``legend_offset`` (a corner where curves rarely are).

    The x axis counts epochs or time steps, whole numbers: ticks between them would be misread
    as data (see StepAxis for ``fractions_when_sparse``).
    """
    widget = pg.PlotWidget(background="w", axisItems={
        "bottom": StepAxis(orientation="bottom", fractions_when_sparse=fractions_when_sparse),
        "left": LogAxis(orientation="left") if log_y else pg.AxisItem(orientation="left")})
    style_plot(widget, x_label, y_label, log_y)
    legend = widget.getPlotItem().addLegend(
        offset=legend_offset, brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#bbbbbb"),
        labelTextColor=TEXT_COLOR, labelTextSize="8pt", verSpacing=-4)
    return widget, legend


def placeholder(widget: pg.PlotWidget, text: str) -> pg.TextItem:
    """A line in the middle of an empty plot saying what will appear there."""
    item = pg.TextItem(text, color="#777777", anchor=(0.5, 0.5))
    item.setPos(0.5, 0.5)
    widget.getPlotItem().getViewBox().addItem(item, ignoreBounds=True)
    return item


def caption(text: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555555;")
    return label


def hint_label() -> QtWidgets.QLabel:
    """A bold warning line under a plot, hidden while it has nothing to say."""
    label = QtWidgets.QLabel("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #a33f00; font-weight: bold;")
    label.hide()
    return label


def legend_swatch(line: QtGui.QPen, symbol: tuple[str, str] | None = None) -> pg.PlotDataItem:
    """A curve that is never plotted, only shown in a legend as the sample of a colour or style."""
    swatch = pg.PlotDataItem(pen=line)
    set_symbol(swatch, symbol)
    return swatch
