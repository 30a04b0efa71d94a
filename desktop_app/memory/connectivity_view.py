"""Connectivity: how strongly each output step depends on each input step, C[t_out, t_in] =
‖∂y(t_out)/∂x(t_in)‖, as heat-maps side by side (one per run: the three cells when compared).

The norms span many decades (that is the vanishing gradient), so the colour is log10 of C on one
range shared by every map shown, so two cells compare at a glance; an exact zero (an input after
the output, or a gradient that underflowed) is left blank. The hover read-out gives the raw
number. Many-to-one has a single output, so its map is one row.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.formatting import format_number
from desktop_app.caption import Caption
from desktop_app.memory.heatmap import STRENGTH, HeatMap

DECADES = 8  # the colour range: the strongest link and this many decades below it

CAPTION = ("Row t_out, column t_in: how much the output at step t_out moves when the input at step t_in "
           "changes (log colour scale, bright = strong). A network that remembers shows bright cells far "
           "left of the diagonal; a vanishing gradient leaves only the diagonal. Blank cells are exactly 0.")


def log_levels(matrices: list[np.ndarray]) -> tuple[float, float]:
    """The shared colour range of log10 C: the strongest link and DECADES below it."""
    logs = [np.log10(m[m > 0]) for m in matrices if np.any(m > 0)]
    finite = np.concatenate([v[np.isfinite(v)] for v in logs]) if logs else np.zeros(0)
    if not finite.size:
        return -1.0, 0.0
    high = float(finite.max())
    low = max(float(finite.min()), high - DECADES)
    return (low, high) if high > low else (high - 1.0, high)


class ConnectivityView(QtWidgets.QWidget):
    """``set_matrices([(title, C), ...])``: one map per matrix, side by side."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.matrices: list[tuple[str, np.ndarray]] = []
        self.maps: list[HeatMap] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.note = QtWidgets.QLabel("")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("w")
        self.canvas.setMinimumHeight(260)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(Caption(CAPTION))
        self.readout = pg.TextItem("", color="#111111", fill=pg.mkBrush(255, 255, 255, 235),
                                   border=pg.mkPen("#999999"), anchor=(0, 1))
        self.readout.setZValue(100)
        self._readout_map: HeatMap | None = None
        self._hover_proxy = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=30,
                                           slot=lambda args: self.hover_at(args[0]))
        self.set_matrices([])

    def set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def set_matrices(self, matrices: list[tuple[str, np.ndarray]]) -> None:
        """Show these C matrices (title, C[t_out, t_in]) side by side on one colour range."""
        self.matrices = [(title, np.asarray(c, dtype=np.float64).reshape(-1, np.shape(c)[-1]))
                         for title, c in matrices]
        self._hide_readout()
        # None to show keeps the maps for the next matrices (the canvas hides): a run's start
        # clears the view and its end shows one matrix again, and building maps takes ~30 ms each.
        if self.matrices and len(self.maps) != len(self.matrices):
            self.canvas.clear()
            self.maps = []
            for column in range(len(self.matrices)):
                heat_map = HeatMap("", x_label="input step t_in", y_label="output step t_out")
                self.canvas.addItem(heat_map, row=0, col=column)
                self.maps.append(heat_map)
            if self.maps:
                self.maps[-1].colorbar.setLabel("right", "log10 ‖∂y/∂x‖")
                self.canvas.addItem(self.maps[-1].colorbar, row=0, col=len(self.maps))
        levels = log_levels([c for _title, c in self.matrices])
        for heat_map, (title, c) in zip(self.maps, self.matrices):
            with np.errstate(divide="ignore"):
                logs = np.where(c > 0, np.log10(np.where(c > 0, c, 1.0)), np.nan)
            heat_map.set_matrix(logs.T, STRENGTH, levels)
            heat_map.setTitle(html.escape(title), size="9pt")
        self.canvas.setVisible(bool(self.matrices))

    def image_data(self, index: int = 0) -> np.ndarray:
        """The log10 C the map ``index`` shows, as (t_out, t_in)."""
        return self.maps[index].image_data()

    def hover_text(self) -> str:
        return self.readout.textItem.toPlainText() if self.readout.isVisible() else ""

    def hover_at(self, scene_pos: QtCore.QPointF) -> None:
        for heat_map, (title, c) in zip(self.maps, self.matrices):
            if not heat_map.contains_scene_point(scene_pos):
                continue
            point = heat_map.map_from_scene(scene_pos)
            cell = heat_map.cell_at(point)
            if cell is None:
                break
            t_in, t_out = cell
            self.readout.setText(f"{title}\noutput step {t_out + 1}, input step {t_in + 1}: "
                                 f"‖∂y/∂x‖ = {format_number(c[t_out, t_in], 3)}")
            if self._readout_map is not heat_map:
                self._hide_readout()
                heat_map.getViewBox().addItem(self.readout, ignoreBounds=True)
                self._readout_map = heat_map
            right_half = scene_pos.x() > heat_map.getViewBox().sceneBoundingRect().center().x()
            self.readout.setAnchor((1, 1) if right_half else (0, 1))
            self.readout.setPos(point)
            self.readout.show()
            return
        self._hide_readout()

    def _hide_readout(self) -> None:
        if self._readout_map is not None:
            self._readout_map.getViewBox().removeItem(self.readout)
            self._readout_map = None
        self.readout.hide()
