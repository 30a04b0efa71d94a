"""The confusion matrix as a heat-map: rows are the actual classes, columns the predicted ones.

Each cell's colour is the share of its row (how often that actual class was called this), so a
rare class is as readable as a common one; the count is written in the cell while there are few
enough classes to read it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtWidgets

from desktop_app.evaluation.series_plot import plot_filling
from desktop_app.plots.style import TEXT_COLOR, style_axes

MAX_LABELLED = 15
MAX_TICK_CHARS = 14


class ConfusionPlot(QtWidgets.QWidget):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.widget = plot_filling(self)
        self.item = self.widget.getPlotItem()
        style_axes(self.item, "predicted class", "actual class")
        self.item.invertY(True)
        self.item.setAspectLocked(False)
        self.item.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(pg.colormap.get("CET-L12").getLookupTable(nPts=256))
        self.item.addItem(self.image)
        self._texts: list[pg.TextItem] = []
        self.counts: np.ndarray | None = None

    def show_matrix(self, counts: np.ndarray, names: list[str]) -> None:
        counts = np.asarray(counts, dtype=np.int64)
        self.counts = counts
        totals = counts.sum(axis=1, keepdims=True)
        shares = np.divide(counts, totals, out=np.zeros(counts.shape, dtype=float), where=totals > 0)
        self.image.setImage(shares, levels=(0.0, 1.0))
        self.image.setRect(-0.5, -0.5, len(names), len(names))
        for text in self._texts:
            self.item.removeItem(text)
        self._texts = []
        if len(names) <= MAX_LABELLED:
            for row in range(len(names)):
                for col in range(len(names)):
                    color = "#ffffff" if shares[row, col] > 0.55 else TEXT_COLOR
                    text = pg.TextItem(str(counts[row, col]), color=color, anchor=(0.5, 0.5))
                    text.setPos(col, row)
                    self.item.addItem(text)
                    self._texts.append(text)
        step = max(1, len(names) // 30)
        ticks = [[(float(i), _short(names[i])) for i in range(0, len(names), step)]]
        self.item.getAxis("bottom").setTicks(ticks)
        self.item.getAxis("left").setTicks(ticks)
        self.item.setRange(xRange=(-0.5, len(names) - 0.5), yRange=(-0.5, len(names) - 0.5), padding=0.02)

    def clear(self) -> None:
        self.counts = None
        self.image.clear()
        for text in self._texts:
            self.item.removeItem(text)
        self._texts = []


def _short(name: str) -> str:
    if name == " ":
        return "␣"
    if name == "\n":
        return "⏎"
    return name if len(name) <= MAX_TICK_CHARS else name[:MAX_TICK_CHARS - 1] + "…"
