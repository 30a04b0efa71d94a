"""The curves of one plot of growing series: created once per (run, series), then only updated.

A plot says which curves it wants (a CurveSpec each) whenever the runs shown change; between
such changes a redraw only hands the series that grew to their curves, decimated to what the
view can show.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6 import QtGui

from desktop_app.plots.buffers import DRAW_POINTS, RunSeries, SeriesKey
from desktop_app.plots.hover import Candidate
from desktop_app.plots.style import set_symbol


@dataclass(frozen=True, eq=False)
class CurveSpec:
    """One curve to show: which series of which run, its legend name and its look."""

    run: RunSeries
    key: SeriesKey
    name: str
    pen: QtGui.QPen
    symbol: tuple[str, str] | None = None  # (marker shape, colour)

    @property
    def curve_id(self) -> tuple[str, SeriesKey]:
        return self.run.run_id, self.key


# A legend row: a wanted curve, or a swatch that stands for a run or a line style.
LegendEntry = tuple[CurveSpec | pg.PlotDataItem, str]


class SeriesCurves:
    """The curves of one plot; ``on_stale`` is called when a zoom or pan needs a redraw."""

    def __init__(self, widget: pg.PlotWidget, legend: pg.LegendItem, on_stale: Callable[[], None]):
        self._item = widget.getPlotItem()
        self._legend = legend
        self._on_stale = on_stale
        self._curves: dict[tuple[str, SeriesKey], pg.PlotDataItem] = {}
        self.attached: list[CurveSpec] = []  # in legend order
        self._item.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)

    def show(self, specs: Sequence[CurveSpec], legend_entries: Sequence[LegendEntry]) -> None:
        """Attach exactly these curves and list these legend rows."""
        wanted = {spec.curve_id for spec in specs}
        for spec in self.attached:
            if spec.curve_id not in wanted and spec.curve_id in self._curves:
                self._item.removeItem(self._curves[spec.curve_id])
        attached_before = {spec.curve_id for spec in self.attached}
        self.attached = []
        for spec in specs:
            curve = self._curve(spec)
            curve.setPen(spec.pen)
            set_symbol(curve, spec.symbol)
            if spec.curve_id not in attached_before:
                # A curve removed earlier still clips to a view it no longer has: re-adding
                # it would make pyqtgraph ask the PlotWidget for autoRangeEnabled and fail.
                # addItem turns clipping back on from the plot's settings.
                curve.setClipToView(False)
                self._item.addItem(curve)
                series = spec.run.series(spec.key)
                if series is not None:
                    series.dirty = True
            self.attached.append(spec)
        self._legend.clear()
        self._legend.setColumnCount(2 if len(legend_entries) > 6 else 1)
        for what, name in legend_entries:
            self._legend.addItem(self._curves[what.curve_id] if isinstance(what, CurveSpec) else what, name)
        # An empty legend is still drawn as a small box: hide it until it lists something.
        self._legend.setVisible(bool(legend_entries))

    def redraw(self) -> None:
        """Hand the series that changed since the last redraw to their curves."""
        view = self._item.getViewBox()
        # While the view follows the data it must get all of it (or it would never grow);
        # once the user zooms or pans, only the part in view is decimated.
        x_range = None if view.autoRangeEnabled()[0] else tuple(view.viewRange()[0])
        for spec in self.attached:
            series = spec.run.series(spec.key)
            if series is None or not series.dirty:
                continue
            self._curves[spec.curve_id].setData(*series.drawn(x_range))
            series.dirty = False

    def drop_run(self, run_id: str) -> None:
        for curve_id in [c for c in self._curves if c[0] == run_id]:
            self._item.removeItem(self._curves.pop(curve_id))
        self.attached = [spec for spec in self.attached if spec.run.run_id != run_id]

    def hover_candidates(self, overlay: bool) -> list[Candidate]:
        candidates = []
        for spec in self.attached:
            series = spec.run.series(spec.key)
            if series is None or not series.size:
                continue
            candidates.append((f"{spec.run.label} · {spec.name}" if overlay else spec.name, series.x, series.y))
        return candidates

    def csv_rows(self) -> list[list]:
        """[run, series, x, raw y] for every point of every attached curve."""
        rows = []
        for spec in self.attached:
            series = spec.run.series(spec.key)
            if series is not None:
                rows.extend([spec.run.label, spec.name, float(x), float(y)] for x, y in zip(series.x, series.y))
        return rows

    def _curve(self, spec: CurveSpec) -> pg.PlotDataItem:
        curve = self._curves.get(spec.curve_id)
        if curve is None:
            curve = pg.PlotDataItem(connect="finite")
            if spec.key[0] != "epoch":
                # Downsampling and clipping are set on the PlotItem (it overrides its items'
                # settings when they are added). Peak mode already keeps a min and a max per
                # bucket; one bucket per pixel (pyqtgraph's default is five) keeps 100,000
                # batches at ~2 points per pixel.
                curve.opts["autoDownsampleFactor"] = 1.0
            self._curves[spec.curve_id] = curve
        return curve

    def _on_x_range_changed(self, view, _range) -> None:
        # A zoom or pan by the user: the curves must be decimated again for the new span.
        if view.autoRangeEnabled()[0]:
            return
        for spec in self.attached:
            series = spec.run.series(spec.key)
            if series is not None and len(series) > DRAW_POINTS:
                series.dirty = True
                self._on_stale()
