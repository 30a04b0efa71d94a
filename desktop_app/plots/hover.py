"""The hover read-out: a crosshair and the x, y of the data point nearest to the mouse."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from core.formatting import format_number
from desktop_app.plots.buffers import LOG_FLOOR

# (legend-like label, x values ascending, raw y values) of one curve the mouse may be near.
Candidate = tuple[str, np.ndarray, np.ndarray]


class Crosshair:
    """Follows the mouse over ``widget`` and labels the nearest point of ``candidates()``.

    ``y_name`` is asked at every move because a plot's quantity can change with the runs shown
    (accuracy or MAE). On a log plot, y values are placed in log10 units, and a value at or
    below the floor says where it is drawn.
    """

    def __init__(self, widget: pg.PlotWidget, candidates: Callable[[], list[Candidate]], *,
                 x_name: str, y_name: Callable[[], str], log_y: bool = False):
        self.widget = widget
        self._candidates = candidates
        self._x_name = x_name
        self._y_name = y_name
        self.log_y = log_y  # a plot that switches its y axis to log as its values spread sets it
        item = widget.getPlotItem()
        self.line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888888", style=QtCore.Qt.PenStyle.DashLine))
        self.marker = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#222222"), brush=pg.mkBrush(255, 255, 255, 200))
        self.text = pg.TextItem("", color="#111111", fill=pg.mkBrush(255, 255, 255, 225),
                                border=pg.mkPen("#999999"), anchor=(0, 1))
        for extra in (self.line, self.marker, self.text):
            extra.setZValue(1000)
            # Straight into the ViewBox: PlotItem.addItem would list the marker among the data
            # curves (listDataItems), and it lives in view (log10) units anyway.
            item.getViewBox().addItem(extra, ignoreBounds=True)
        self.hide()
        # A move event per pixel is too many; 30 Hz is smooth enough to read values.
        self._proxy = pg.SignalProxy(widget.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

    def hide(self) -> None:
        for extra in (self.line, self.marker, self.text):
            extra.hide()

    def shown_text(self) -> str:
        """The read-out ("" while the mouse is not over data)."""
        return self.text.textItem.toPlainText() if self.text.isVisible() else ""

    def _on_mouse_moved(self, args) -> None:
        self.update_at(args[0])

    def update_at(self, scene_pos: QtCore.QPointF) -> None:
        view = self.widget.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            self.hide()
            return
        nearest = self._nearest_point(view, scene_pos)
        if nearest is None:
            self.hide()
            return
        label, x, y_raw, y_view = nearest
        self.line.setPos(x)
        self.marker.setData([x], [y_view])
        y_text = format_number(y_raw, 3)
        if self.log_y and y_raw <= LOG_FLOOR:
            y_text += f" (drawn at {LOG_FLOOR:g})"
        self.text.setText(f"{label}\n{self._x_name} = {format_number(x, 3)}, {self._y_name()} = {y_text}")
        right_half = scene_pos.x() > view.sceneBoundingRect().center().x()
        self.text.setAnchor((1, 1) if right_half else (0, 1))
        self.text.setPos(x, y_view)
        for extra in (self.line, self.marker, self.text):
            extra.show()

    def _nearest_point(self, view: pg.ViewBox, scene_pos: QtCore.QPointF):
        """(label, x, raw y, y in view units) of the point closest on screen, or None."""
        mouse = view.mapSceneToView(scene_pos)
        best = None
        for label, xs, ys in self._candidates():
            index = int(np.searchsorted(xs, mouse.x()))
            for i in (index - 1, index):
                if not 0 <= i < len(xs):
                    continue
                y_raw = float(ys[i])
                if not math.isfinite(y_raw):
                    continue
                y_view = math.log10(max(y_raw, LOG_FLOOR)) if self.log_y else y_raw
                point = view.mapViewToScene(QtCore.QPointF(float(xs[i]), y_view))
                distance = math.hypot(point.x() - scene_pos.x(), point.y() - scene_pos.y())
                if best is None or distance < best[0]:
                    best = (distance, label, float(xs[i]), y_raw, y_view)
        return None if best is None else best[1:]
