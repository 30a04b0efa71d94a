"""The held-out period of a series: actual values, one-step-ahead predictions, the best naive
baseline, and a recursive forecast from an origin the user drags.

The x axis is the file's own time column when it has one (dates on a date axis, years, numbers)
and the data row otherwise. The plot knows nothing of models: the view gives it points and the
forecast, and hears where the origin line was dropped (``origin_dropped``, an x position).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.time_axis import DATETIME, TimeAxis
from desktop_app.plots.style import TEXT_COLOR, pen, style_axes, style_plot

ACTUAL_COLOR = "#222222"
MODEL_COLOR = "#0072B2"
BASELINE_COLOR = "#9a9a9a"
FORECAST_COLOR = "#D55E00"
TEST_BRUSH = (230, 159, 0, 40)
MIN_HEIGHT = 260


def plot_filling(parent: QtWidgets.QWidget) -> pg.PlotWidget:
    """A white plot that fills ``parent``: each evaluation plot is one plot, at least MIN_HEIGHT tall."""
    layout = QtWidgets.QVBoxLayout(parent)
    layout.setContentsMargins(0, 0, 0, 0)
    widget = pg.PlotWidget(background="w")
    widget.setMinimumHeight(MIN_HEIGHT)
    layout.addWidget(widget)
    return widget


class SeriesPlot(QtWidgets.QWidget):
    """Actual against predicted along time, for the validation and test periods."""

    origin_dropped = QtCore.Signal(float)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.widget = plot_filling(self)
        style_plot(self.widget, "data row", "value", False)
        self.item = self.widget.getPlotItem()
        self.legend = self.item.addLegend(offset=(8, 8), brush=pg.mkBrush(255, 255, 255, 210),
                                          pen=pg.mkPen("#bbbbbb"), labelTextColor=TEXT_COLOR, labelTextSize="8pt")
        self.actual_curves: list[pg.PlotDataItem] = []
        self.model_curves: list[pg.PlotDataItem] = []
        self.baseline_curve: pg.PlotDataItem | None = None
        self.forecast_curve = pg.PlotDataItem(pen=pen(FORECAST_COLOR, 2.5), name="multi-step forecast")
        self.origin = pg.InfiniteLine(angle=90, movable=True, pen=pen(FORECAST_COLOR, 2),
                                      hoverPen=pen(FORECAST_COLOR, 4), label="forecast origin",
                                      labelOpts={"position": 0.06, "color": FORECAST_COLOR, "fill": (255, 255, 255, 200)})
        self.origin.setToolTip("Drag to choose where the multi-step forecast starts")
        self.origin.sigPositionChangeFinished.connect(lambda line: self.origin_dropped.emit(float(line.value())))
        self.test_region = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*TEST_BRUSH), pen=pg.mkPen(None))
        self.test_label = pg.InfLineLabel(self.test_region.lines[0], "test period →", position=0.92,
                                          anchors=[(0, 0.5), (0, 0.5)], color="#8a5a00")
        self._kind = ""

    # --- drawing ---------------------------------------------------------------------------

    def set_axis(self, axis: TimeAxis | None) -> None:
        """Dates on a date axis, anything else on a plain one, titled with the column's name."""
        kind = axis.kind if axis is not None else ""
        if kind != self._kind:
            bottom = (pg.DateAxisItem(orientation="bottom", utcOffset=0) if kind == DATETIME
                      else pg.AxisItem(orientation="bottom"))
            self.item.setAxisItems({"bottom": bottom})
            self._kind = kind
        style_axes(self.item, axis.name if axis is not None else "data row")

    def show_points(self, parts: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
                    baseline: tuple[str, list[tuple[np.ndarray, np.ndarray]]] | None, y_label: str,
                    test_span: tuple[float, float] | None) -> None:
        """``parts``: (split title, x, actual, predicted) for each split, in time order;
        ``baseline``: (title, [(x, values) per split]) of the best baseline."""
        self.clear()
        self.item.setLabel("left", y_label, color=TEXT_COLOR)
        for i, (_title, x, actual, predicted) in enumerate(parts):
            first = i == 0
            actual_item = self.item.plot(x, actual, pen=pen(ACTUAL_COLOR, 1.5), name="actual" if first else None)
            model_item = self.item.plot(x, predicted, pen=pen(MODEL_COLOR, 1.8),
                                        name="one-step-ahead prediction" if first else None)
            self.actual_curves.append(actual_item)
            self.model_curves.append(model_item)
        if baseline is not None:
            title, pieces = baseline
            for i, (x, values) in enumerate(pieces):
                curve = self.item.plot(x, values, pen=pen(BASELINE_COLOR, 1.2, QtCore.Qt.PenStyle.DashLine),
                                       name=f"best baseline: {title}" if i == 0 else None)
                self.baseline_curve = self.baseline_curve or curve
        if test_span is not None:
            self.test_region.setRegion(test_span)
            self.item.addItem(self.test_region, ignoreBounds=True)
            self.test_region.setZValue(-10)
        self.item.addItem(self.forecast_curve)
        self.item.enableAutoRange()

    def show_scatter(self, actual: np.ndarray, predicted: np.ndarray, label: str) -> None:
        """Independent samples (no time axis): each prediction against its actual value, and the
        diagonal where a perfect model would put them."""
        self.clear()
        self.set_axis(None)
        self.item.setLabel("bottom", f"actual {label}", color=TEXT_COLOR)
        self.item.setLabel("left", f"predicted {label}", color=TEXT_COLOR)
        low = float(min(np.min(actual), np.min(predicted)))
        high = float(max(np.max(actual), np.max(predicted)))
        self.item.plot([low, high], [low, high], pen=pen(BASELINE_COLOR, 1.2, QtCore.Qt.PenStyle.DashLine),
                       name="perfect prediction")
        self.model_curves.append(self.item.plot(
            actual, predicted, pen=None, symbol="o", symbolSize=5, symbolBrush=pg.mkBrush(MODEL_COLOR),
            symbolPen=pg.mkPen(MODEL_COLOR), name="samples"))
        self.item.enableAutoRange()

    def set_forecast(self, x: np.ndarray | None, values: np.ndarray | None) -> None:
        if x is None or values is None or len(x) == 0:
            self.forecast_curve.setData([], [])
            return
        self.forecast_curve.setData(np.asarray(x, dtype=float), np.asarray(values, dtype=float))

    def set_origin(self, x: float | None, bounds: tuple[float, float] | None = None) -> None:
        """Show the draggable origin at ``x`` (None hides it)."""
        if x is None:
            if self.origin.scene() is not None:
                self.item.removeItem(self.origin)
            return
        if self.origin.scene() is None:
            self.item.addItem(self.origin, ignoreBounds=True)
        if bounds is not None:
            self.origin.setBounds(bounds)
        self.origin.blockSignals(True)
        self.origin.setValue(x)
        self.origin.blockSignals(False)

    def origin_value(self) -> float | None:
        return float(self.origin.value()) if self.origin.scene() is not None else None

    def clear(self) -> None:
        for item in [*self.actual_curves, *self.model_curves]:
            self.item.removeItem(item)
        for item in list(self.item.listDataItems()):
            self.item.removeItem(item)
        for item in (self.test_region, self.origin):
            if item.scene() is not None:
                self.item.removeItem(item)
        self.legend.clear()
        self.actual_curves, self.model_curves = [], []
        self.baseline_curve = None
        self.forecast_curve.setData([], [])
