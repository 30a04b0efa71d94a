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


class FittingAxis(pg.AxisItem):
    """A vertical axis whose title drops its part in brackets ("loss (mean squared error)" becomes
    "loss") where the plot is too short for all of it: a rotated title is cut off, never wrapped.
    The whole title is then the axis' tooltip."""

    _shown = ""

    def _fits(self, text: str) -> bool:
        # The label's document adds a few pixels of margin around the text.
        return QtGui.QFontMetricsF(self.label.font()).horizontalAdvance(text) + 8 <= self.size().height()

    def resizeEvent(self, ev=None):
        if self.label is not None and self.orientation in ("left", "right") and self.labelText:
            text = self.labelText
            if " (" in text and not self._fits(text):
                text = text.split(" (")[0]
            if text != self._shown:
                self._shown = text
                saved, self.labelText = self.labelText, text
                self.label.setHtml(self.labelString())
                self.labelText = saved
                self.setToolTip("" if text == saved else saved)
        super().resizeEvent(ev)

    def _updateLabel(self):
        self._shown = ""  # a new title: choose its form again at the current size
        super()._updateLabel()
        self.resizeEvent()


class LogAxis(FittingAxis):
    """A log axis with a few readable labels at any zoom and height (``log_ticks``).

    pyqtgraph's default labels every 2..9 minor tick over wide spans (an unreadable column that
    pushes the rotated axis title onto them) and one label or none within less than a decade.
    """

    MIN_LABEL_GAP_PX = 28

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        labelled, minor = log_ticks(minVal, maxVal, max(2, int(size // self.MIN_LABEL_GAP_PX)))
        # A spacing of None marks the unlabelled minor ticks for logTickStrings.
        return [(1.0, labelled)] + ([(None, minor)] if minor else [])

    def logTickStrings(self, values, scale, spacing):
        return ["" if spacing is None else _decade_text(float(f"{10.0 ** v * scale:.6g}")) for v in values]


def log_ticks(low: float, high: float, max_labels: int) -> tuple[list[float], list[float]]:
    """Labelled and minor tick positions (log10 units) for a log axis showing ``low``..``high``.

    The labels are the densest of these sets that has two or more values in view and at most
    ``max_labels`` (else the sparsest with two or more, thinned): decades; 1-2-5 within two
    decades; 1..9 within one; and when none has two values in view (a span of a few percent,
    as a flat gradient profile has), evenly spaced round values. Minor ticks mark 2..9 between
    decades while few enough decades are in view to tell them apart.
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [], []
    eps = 1e-9 * max(1.0, abs(high - low))
    first, last = math.floor(low), math.ceil(high)

    def inside(mantissas: tuple[int, ...]) -> list[float]:
        return [d + math.log10(m) for d in range(first, last + 1) for m in mantissas
                if low - eps <= d + math.log10(m) <= high + eps]

    minor = inside(tuple(range(2, 10))) if high - low <= 6 else []
    span = high - low
    # Sparse to dense; 2 and 5 only within two decades, every digit only within one.
    sets = [inside(m) for m, wanted in (((1,), True), ((1, 2, 5), span < 2), (tuple(range(1, 10)), span < 1))
            if wanted]
    fitting = [values for values in sets if 2 <= len(values) <= max_labels]
    crowded = [values for values in sets if len(values) > max_labels]
    if fitting or crowded:
        values = fitting[-1] if fitting else crowded[0]
        step = math.ceil(len(values) / max_labels)
        if values is sets[0]:
            # Every step-th decade, on round exponents: 1e-6, 1e-3, 1 rather than 1e-5, 0.01, 10.
            values = [v for v in values if round(v) % step == 0] or values[::step]
        else:
            values = values[::step]
        return values, [v for v in minor if all(abs(v - w) > eps for w in values)]
    # Within one step of 1..9: evenly spaced round values (1, 2 or 5 times a power of ten).
    a, b = 10.0 ** low, 10.0 ** high
    raw = (b - a) / max(2, min(max_labels, 4))
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    values = [math.log10(k * step) for k in range(math.ceil(a / step - 1e-9), math.floor(b / step + 1e-9) + 1)
              if k * step > 0]
    return values, []


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


class SideLegend(pg.LegendItem):
    """A legend in a column of its own right of the plot, never over the curves: inside the plot
    it hid the newest points, which sit at the right edge where a legend's corner is."""

    # Wide enough for "train accuracy": plots stacked in one tab keep the same width, so their
    # linked epoch axes line up.
    MIN_WIDTH = 112

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)

    def sizeHint(self, which, constraint=QtCore.QSizeF()):
        hint = super().sizeHint(which, constraint)
        return QtCore.QSizeF(max(hint.width(), self.MIN_WIDTH), hint.height())

    def updateSize(self):
        # pyqtgraph moves a legend to (0, 0) at its new size; here the plot's layout places it.
        self.updateGeometry()


def training_plot(x_label: str, y_label: str, *, log_y: bool = False, fractions_when_sparse: bool = True,
                  legend_offset: tuple[int, int] = (-8, 8)) -> tuple[pg.PlotWidget, pg.LegendItem]:
    """A styled plot with its legend right of it, at the top (``legend_offset``'s y > 0) or the bottom.

    The x axis counts epochs or time steps, whole numbers: ticks between them would be misread
    as data (see StepAxis for ``fractions_when_sparse``).
    """
    widget = pg.PlotWidget(background="w", axisItems={
        "bottom": StepAxis(orientation="bottom", fractions_when_sparse=fractions_when_sparse),
        "left": LogAxis(orientation="left") if log_y else FittingAxis(orientation="left")})
    style_plot(widget, x_label, y_label, log_y)
    # The last epoch's label may run a few pixels past the axis' end, under the legend's column.
    widget.getPlotItem().getAxis("bottom").setStyle(hideOverlappingLabels=15)
    legend = SideLegend(brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#bbbbbb"), labelTextColor=TEXT_COLOR,
                        labelTextSize="8pt", verSpacing=-4)
    item = widget.getPlotItem()
    item.legend = legend  # where pyqtgraph's addLegend keeps it, for code that looks there
    # Row 2 holds the view box between the left and right axes (columns 0-2).
    item.layout.addItem(legend, 2, 3)
    vertical = QtCore.Qt.AlignmentFlag.AlignTop if legend_offset[1] >= 0 else QtCore.Qt.AlignmentFlag.AlignBottom
    item.layout.setAlignment(legend, vertical | QtCore.Qt.AlignmentFlag.AlignLeft)
    return widget, legend


class FittingLabel(pg.InfLineLabel):
    """A line's label on its preferred side, or on the other where the plot's edge would cut it
    off: above a horizontal line unless the top is too near, right of a vertical one unless the
    right edge is. A vertical line's label starts ``gap_px`` pixels from the line."""

    gap_px = 0.0

    def updatePosition(self):
        super().updatePosition()
        view = self.getViewBox()
        if not isinstance(view, pg.ViewBox):  # not in a plot yet
            return
        (_, right), (_, top) = view.viewRange()
        value = self.line.value()
        if self.line.angle == 90:
            room = view.mapViewToScene(QtCore.QPointF(right, 0)).x() - view.mapViewToScene(QtCore.QPointF(value, 0)).x()
            width = self.boundingRect().width()
            gap = self.gap_px / width if width > 0 else 0.0  # anchors count in the label's widths
            self.setAnchor((-gap, 0.5) if room >= width + self.gap_px else (1 + gap, 0.5))
        else:
            room = view.mapViewToScene(QtCore.QPointF(0, value)).y() - view.mapViewToScene(QtCore.QPointF(0, top)).y()
            self.setAnchor((0, 1) if room >= self.boundingRect().height() else (0, 0))


def level_line(level: float, text: str, line_pen: QtGui.QPen, color: str) -> tuple[pg.InfiniteLine, pg.InfiniteLine]:
    """A horizontal line at ``level``, and its label ``text`` near its left end, always in view.

    Two items: the line, under the curves, and an invisible twin carrying the label on a light
    ground, over them: a label under the curves had its words crossed out by every curve that ran
    along the line (a run stuck at its untrained baseline does exactly that)."""
    line = pg.InfiniteLine(pos=level, angle=0, movable=False, pen=line_pen)
    line.setZValue(-5)
    holder = pg.InfiniteLine(pos=level, angle=0, movable=False, pen=pg.mkPen(None))
    holder.label = FittingLabel(holder, text=text, position=0.02, color=color, anchors=[(0, 1), (0, 1)],
                                fill=pg.mkBrush(255, 255, 255, 200))
    holder.setZValue(5)
    return line, holder


def placeholder(widget: pg.PlotWidget, text: str) -> pg.TextItem:
    """A line in the middle of an empty plot saying what will appear there."""
    item = pg.TextItem(text, color="#777777", anchor=(0.5, 0.5))
    item.setPos(0.5, 0.5)
    widget.getPlotItem().getViewBox().addItem(item, ignoreBounds=True)
    return item


def hint_label() -> QtWidgets.QLabel:
    """A bold warning line under a plot, hidden while it has nothing to say."""
    label = QtWidgets.QLabel("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #a33f00; font-weight: bold;")
    label.hide()
    return label


def legend_swatch(line: QtGui.QPen, symbol: tuple[str, str] | None = None) -> pg.PlotDataItem:
    """A curve that is never plotted, only shown in a legend as the sample of a colour or style.

    One per look: the legend of 20 overlaid runs is laid out again at each run's first epoch,
    and making its swatches anew each time cost as much as drawing the curves."""
    key = (line.color().name(QtGui.QColor.NameFormat.HexArgb), line.widthF(), line.style(), symbol)
    swatch = _SWATCHES.get(key)
    if swatch is None:
        swatch = _SWATCHES[key] = pg.PlotDataItem(pen=line)
        set_symbol(swatch, symbol)
    return swatch


_SWATCHES: dict[tuple, pg.PlotDataItem] = {}
