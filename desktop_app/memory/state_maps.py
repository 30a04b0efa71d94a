"""The input row and the heat-maps of one recurrent layer, stacked on one shared time axis.

One GraphicsLayoutWidget holds them all: the token row on top, then h(t), c(t) and each gate,
each map with its colour bar in the second column. The maps are created once per layout (the
same cell type and map names) and only get new images afterwards, which is what keeps a redraw
of a 100-step, 64-unit LSTM within a frame. Moving the mouse over a map shows the cell's unit,
step, token and value; clicking a unit's row emits ``unit_clicked``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from core.formatting import format_number
from desktop_app.memory.heatmap import HeatMap
from desktop_app.memory.token_row import TokenRow, shown_token

MIN_MAP_HEIGHT = 96
MAX_MAP_HEIGHT = 300
PIXELS_PER_UNIT = 12
MAP_CHROME = 58  # title and time axis around the cells


@dataclass(frozen=True)
class MapSpec:
    """One map to draw: ``values`` (steps, units) on ``scale``; ``symbol`` names the quantity."""

    key: str  # "hidden", "cell_state" or a gate name
    title: str  # "hidden state h(t)"
    symbol: str  # "h(t)" (the hover read-out and the token caption)
    values: np.ndarray
    scale: str


def map_height(units: int) -> int:
    return int(min(MAX_MAP_HEIGHT, max(MIN_MAP_HEIGHT, units * PIXELS_PER_UNIT))) + MAP_CHROME


class StateMaps(pg.GraphicsLayoutWidget):
    """Token row and heat-maps of one layer; ``unit_clicked(map key, unit from 0)``."""

    unit_clicked = QtCore.Signal(str, int)

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setBackground("w")
        self.ci.setSpacing(2)
        self.token_row = TokenRow()
        self.addItem(self.token_row, row=0, col=0)
        self.maps: dict[str, HeatMap] = {}
        self.specs: dict[str, MapSpec] = {}
        self.tokens: list[str] = []
        self._layout_key: tuple[str, ...] = ()
        self.readout = pg.TextItem("", color="#111111", fill=pg.mkBrush(255, 255, 255, 235),
                                   border=pg.mkPen("#999999"), anchor=(0, 1))
        self.readout.setZValue(100)
        self._readout_map: HeatMap | None = None
        self._hover_proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    # --- content ---------------------------------------------------------------------------

    def show_maps(self, tokens: list[str], specs: list[MapSpec]) -> None:
        """Draw these maps under ``tokens`` (one per step), reusing the maps of the same layout."""
        key = tuple(spec.key + ":" + str(spec.values.shape[-1]) for spec in specs)
        if key != self._layout_key:
            self._rebuild(specs)
            self._layout_key = key
        self.tokens = list(tokens)
        self.specs = {spec.key: spec for spec in specs}
        # The row first: the maps follow its x range (linked), which its limits would clamp.
        self.token_row.set_tokens(self.tokens)
        for spec in specs:
            self.maps[spec.key].set_matrix(spec.values, spec.scale)
        self._hide_readout()

    def clear_maps(self) -> None:
        """Show nothing. The heat-maps themselves are kept for the next sequence of the same layout
        (the caller hides this widget): building them costs ~30 ms each, and a run's end, which
        clears the tab and then shows the run's probe, froze the window for a quarter second."""
        self._hide_readout()
        self.tokens = []
        self.specs = {}
        self.token_row.set_tokens([])

    def _rebuild(self, specs: list[MapSpec]) -> None:
        self._hide_readout()
        for heat_map in self.maps.values():
            self.removeItem(heat_map)
            self.removeItem(heat_map.colorbar)
        self.maps = {}
        for row, spec in enumerate(specs, start=1):
            heat_map = HeatMap(spec.title, x_label="time step t" if row == len(specs) else None)
            heat_map.setFixedHeight(map_height(spec.values.shape[-1]))
            heat_map.setXLink(self.token_row)
            self.addItem(heat_map, row=row, col=0)
            self.addItem(heat_map.colorbar, row=row, col=1)
            self.maps[spec.key] = heat_map
        total = self.token_row.height() + sum(map_height(s.values.shape[-1]) for s in specs) + 8 + 2 * len(specs)
        self.setFixedHeight(int(total))

    def select_row(self, key: str | None, unit: int | None) -> None:
        """Outline ``unit``'s row on map ``key`` (None: no outline anywhere)."""
        for name, heat_map in self.maps.items():
            heat_map.select_row(unit if name == key else None)

    def set_token_colors(self, colors: list[str] | None) -> None:
        self.token_row.set_tokens(self.tokens, colors)

    # --- hover and click -------------------------------------------------------------------

    def hover_text(self) -> str:
        """The read-out under the mouse ("" while it is not over a cell)."""
        return self.readout.textItem.toPlainText() if self.readout.isVisible() else ""

    def hover_at(self, scene_pos: QtCore.QPointF) -> None:
        found = self._cell_at(scene_pos)
        if found is None:
            self._hide_readout()
            return
        heat_map, key, step, unit = found
        spec = self.specs[key]
        token = f" “{shown_token(self.tokens[step])}”" if step < len(self.tokens) else ""
        value = format_number(float(spec.values[step, unit]), 3)
        self.readout.setText(f"{spec.symbol}, unit {unit + 1}, step {step + 1}{token}: {value}")
        if self._readout_map is not heat_map:
            self._hide_readout()
            heat_map.getViewBox().addItem(self.readout, ignoreBounds=True)
            self._readout_map = heat_map
        point = heat_map.map_from_scene(scene_pos)
        right_half = scene_pos.x() > heat_map.getViewBox().sceneBoundingRect().center().x()
        self.readout.setAnchor((1, 1) if right_half else (0, 1))
        self.readout.setPos(point)
        self.readout.show()

    def _cell_at(self, scene_pos: QtCore.QPointF):
        for key, heat_map in self.maps.items():
            if heat_map.contains_scene_point(scene_pos):
                cell = heat_map.cell_at(heat_map.map_from_scene(scene_pos))
                if cell is not None:
                    return heat_map, key, cell[0], cell[1]
        return None

    def _hide_readout(self) -> None:
        if self._readout_map is not None:
            self._readout_map.getViewBox().removeItem(self.readout)
            self._readout_map = None
        self.readout.hide()

    def _on_mouse_moved(self, args) -> None:
        self.hover_at(args[0])

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        found = self._cell_at(event.scenePos())
        if found is not None:
            _heat_map, key, _step, unit = found
            self.unit_clicked.emit(key, unit)

    def view_pos_of(self, key: str, step: int, unit: int) -> QtCore.QPoint:
        """Where, in this widget's pixels, the centre of cell (step, unit) of map ``key`` lies."""
        return self.mapFromScene(self.maps[key].scene_point_of(step, unit))


__all__ = ["MapSpec", "StateMaps"]
