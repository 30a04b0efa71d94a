"""One heat-map of a (time step x unit) or (output step x input step) matrix, and its colours.

A ``HeatMap`` is a pyqtgraph PlotItem holding one ImageItem, so several of them stack in one
GraphicsLayout (the Memory view) and share its x axis. Cells are centred on whole numbers that
count from 1 (step t at x = t, unit u at y = u), rows read top to bottom, and a value the map
cannot colour (NaN) is left transparent. The scales are the lecture's quantities:

- ``DIVERGING``: h(t), c(t) and the candidate, blue below 0 and red above, white at 0, symmetric
  around 0 so a sign flip is visible at a glance;
- ``UNIT``: a sigmoid gate, white when closed (0) and dark green when open (1);
- ``STRENGTH``: connectivity, the log of a norm (viridis, dark = weak).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from desktop_app.plots.style import AXIS_COLOR, TEXT_COLOR, StepAxis, style_axes

DIVERGING = "diverging"
UNIT = "unit"
STRENGTH = "strength"

# ColorBrewer RdBu (reversed: negative blue), readable for the common colour-vision deficiencies.
DIVERGING_STOPS = ("#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")
UNIT_STOPS = ("#ffffff", "#c7e9c0", "#74c476", "#238b45", "#00441b")

AXIS_WIDTH = 52  # every map of a column gets the same left axis, so their cells line up


def _colormap(stops: tuple[str, ...]) -> pg.ColorMap:
    return pg.ColorMap(np.linspace(0.0, 1.0, len(stops)), [QtGui.QColor(c) for c in stops])


COLORMAPS = {DIVERGING: _colormap(DIVERGING_STOPS), UNIT: _colormap(UNIT_STOPS),
             STRENGTH: pg.colormap.get("viridis")}
LUTS = {name: cmap.getLookupTable(nPts=256, alpha=False) for name, cmap in COLORMAPS.items()}


def levels_for(values: np.ndarray, scale: str) -> tuple[float, float]:
    """The colour range of a map: +-1 for tanh-bounded values (wider if they go beyond, as c(t)
    and ReLU states do), 0..1 for gates, and the finite range of a strength map."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if scale == UNIT:
        return 0.0, 1.0
    if scale == DIVERGING:
        peak = nice_peak(float(np.max(np.abs(finite))) if finite.size else 1.0)
        return -peak, peak
    if not finite.size:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    return (low, high) if high > low else (low - 0.5, high + 0.5)


def nice_peak(peak: float) -> float:
    """At least 1 (tanh's range), else the next of 1.5, 2, 3, 5 times a power of ten: the scale of
    c(t) then stays put from one epoch to the next unless the values really grow."""
    if not math.isfinite(peak) or peak <= 1.0:
        return 1.0
    decade = 10.0 ** math.floor(math.log10(peak))
    return next(step * decade for step in (1.0, 1.5, 2.0, 3.0, 5.0, 10.0) if step * decade >= peak)


def colors_for(values: np.ndarray, scale: str, levels: tuple[float, float]) -> list[str]:
    """The colour (hex) each value gets on a map with this scale and range, as the map draws it."""
    low, high = levels
    share = (np.asarray(values, dtype=np.float64) - low) / (high - low)
    indices = np.clip(np.nan_to_num(share, nan=0.5) * 255, 0, 255).round().astype(int)
    lut = LUTS[scale]
    return [QtGui.QColor(*lut[i][:3]).name() for i in indices]


def readable_text_color(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    color = QtGui.QColor(background)
    luminance = 0.299 * color.red() + 0.587 * color.green() + 0.114 * color.blue()
    return "#111111" if luminance > 140 else "#ffffff"


class HeatMap(pg.PlotItem):
    """A matrix as coloured cells, ``values[row_step, column]`` drawn with steps along x.

    ``set_matrix(values)`` takes (steps, rows): h(t) of shape (T, units) puts time along x and
    one row per unit. ``cell_at(view_point)`` and ``value_at`` serve the hover read-out.
    """

    def __init__(self, title: str, *, x_label: str = "time step t", y_label: str = "unit"):
        # No context menus: building them is most of a PlotItem's cost, and a map has nothing to set.
        super().__init__(axisItems={"bottom": StepAxis(orientation="bottom"), "left": StepAxis(orientation="left")},
                         enableMenu=False)
        self.title = title
        self.scale = DIVERGING
        self.levels = (-1.0, 1.0)
        self.values = np.zeros((0, 0))
        style_axes(self, x_label, y_label)
        self.setTitle(title, color=TEXT_COLOR, size="9pt")
        self.getAxis("left").setWidth(AXIS_WIDTH)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.invertY(True)
        view = self.getViewBox()
        view.setMouseEnabled(x=True, y=False)
        view.setDefaultPadding(0.0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.addItem(self.image)
        self.selection = RowOutline()
        view.addItem(self.selection, ignoreBounds=True)
        self.selection.hide()
        self.colorbar = pg.ColorBarItem(values=self.levels, colorMap=COLORMAPS[DIVERGING], width=12,
                                        interactive=False, colorMapMenu=False, pen=AXIS_COLOR)
        self.colorbar.setImageItem(self.image)
        self.colorbar.getAxis("right").setTextPen(pg.mkPen(TEXT_COLOR))

    def set_matrix(self, values: np.ndarray, scale: str, levels: tuple[float, float] | None = None) -> None:
        """Draw ``values`` (steps, rows) on ``scale``; ``levels`` overrides the automatic range."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2:
            values = values.reshape(len(values), -1)
        self.values = values
        self.levels = levels if levels is not None else levels_for(values, scale)
        if scale != self.scale:
            self.scale = scale
            self.colorbar.setColorMap(COLORMAPS[scale])
        steps, rows = values.shape
        reshaped = self.image.image is None or self.image.image.shape != (rows, steps)
        # row-major: image[row, column] = values[column_step, row]
        self.image.setImage(values.T, levels=self.levels, lut=LUTS[scale], autoLevels=False)
        if tuple(self.colorbar.levels()) != tuple(self.levels):
            self.colorbar.setLevels(self.levels)
        if reshaped:
            # Only a new shape moves the axes: redrawing their ticks would cost more than the image.
            self.image.setRect(QtCore.QRectF(0.5, 0.5, max(steps, 1), max(rows, 1)))
            self.getViewBox().setLimits(xMin=0.5, xMax=steps + 0.5, yMin=0.5, yMax=rows + 0.5)
            self.getViewBox().setRange(xRange=(0.5, steps + 0.5), yRange=(0.5, rows + 0.5), padding=0)
        if self.selection.isVisible():
            self.select_row(self.selection.row)

    def image_data(self) -> np.ndarray:
        """What the map shows, as (rows, steps): row u, column t is ``values[t, u]``."""
        return np.asarray(self.image.image)

    def select_row(self, row: int | None) -> None:
        """Outline row ``row`` (from 0), or nothing."""
        steps, rows = self.values.shape if self.values.size else (0, 0)
        if row is None or not 0 <= row < rows:
            self.selection.hide()
            return
        self.selection.row = row
        self.selection.setRect(QtCore.QRectF(0.5, row + 0.5, steps, 1.0))
        self.selection.show()

    def cell_at(self, view_point: QtCore.QPointF) -> tuple[int, int] | None:
        """(step, row), both from 0, under a point in the map's own coordinates, or None."""
        if not self.values.size:
            return None
        step = int(math.floor(view_point.x() - 0.5))
        row = int(math.floor(view_point.y() - 0.5))
        steps, rows = self.values.shape
        if 0 <= step < steps and 0 <= row < rows:
            return step, row
        return None

    def contains_scene_point(self, scene_pos: QtCore.QPointF) -> bool:
        return self.getViewBox().sceneBoundingRect().contains(scene_pos)

    def map_from_scene(self, scene_pos: QtCore.QPointF) -> QtCore.QPointF:
        return self.getViewBox().mapSceneToView(scene_pos)

    def scene_point_of(self, step: int, row: int) -> QtCore.QPointF:
        """The scene position of the centre of cell (step, row), both from 0."""
        return self.getViewBox().mapViewToScene(QtCore.QPointF(step + 1.0, row + 1.0))


class RowOutline(pg.QtWidgets.QGraphicsRectItem):
    """The outline of the selected row: a cosmetic pen, so it stays 2 px at any zoom."""

    def __init__(self):
        super().__init__()
        pen = QtGui.QPen(QtGui.QColor("#111111"))
        pen.setWidthF(2.0)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setZValue(10)
        self.row = 0
