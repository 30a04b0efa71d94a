"""The curves of one plot of growing series: created once per (run, series), then only updated.

A plot says which curves it wants (a CurveSpec each) whenever the runs shown change; between
such changes a redraw only hands the series that grew to their curves, decimated to what the
view can show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

from desktop_app.plots.buffers import DRAW_POINTS, RunSeries, SeriesKey
from desktop_app.plots.hover import Candidate
from desktop_app.plots.style import set_symbol

# Points handed to a long curve per pixel column of its plot. Qt strokes a dense curve pixel by
# pixel down each bucket's span, so the paint time follows the buckets drawn: one min/max bucket
# per two columns drew 11 per-weight curves of 100,000 batches ~15 % faster than one per column
# and looks the same (every spike is still there, at most a pixel aside).
POINTS_PER_PIXEL = 1


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


class LineCurve(pg.PlotCurveItem):
    """A curve of a series drawn as a plain line (no markers): batch losses, gradient norms.

    PlotDataItem's setData passes every point through its transform pipeline (log mapping,
    data bounds, a scatter item, a display-data cache) at every redraw: eleven per-weight curves
    spent ~3 ms a frame there, against under 1 ms for PlotCurveItem's own setData. This item
    takes the series' raw values and follows the plot's log y itself (PlotItem calls
    ``setLogMode`` on it when it is added and whenever the axis switches). Epoch curves, which
    carry markers, stay PlotDataItems.
    """

    def __init__(self) -> None:
        super().__init__(connect="finite")
        self._log_y = False
        self._raw: tuple[np.ndarray, np.ndarray] | None = None

    def setLogMode(self, x: bool, y: bool) -> None:  # noqa: N802 - pyqtgraph's name
        if y != self._log_y:
            self._log_y = y
            if self._raw is not None:
                self.set_points(*self._raw)

    def set_points(self, x: np.ndarray, y: np.ndarray) -> None:
        self._raw = (x, y)
        if self._log_y:
            with np.errstate(divide="ignore", invalid="ignore"):
                y = np.where(y > 0, np.log10(y), np.nan)  # no logarithm: a gap, as PlotDataItem draws it
        self.setData(x, y)

    def getOriginalDataset(self) -> tuple[np.ndarray | None, np.ndarray | None]:  # noqa: N802 - as PlotDataItem
        """The points as handed over, before the log mapping (PlotDataItem's name for it)."""
        return self._raw if self._raw is not None else (None, None)

    def clear(self) -> None:
        self._raw = None
        super().clear()


def _set_points(curve: pg.PlotDataItem | LineCurve, x: np.ndarray, y: np.ndarray) -> None:
    if isinstance(curve, LineCurve):
        curve.set_points(x, y)
    else:
        curve.setData(x, y)


# A legend row: a wanted curve, or a swatch that stands for a run or a line style.
LegendEntry = tuple[CurveSpec | pg.PlotDataItem, str]


class SeriesCurves:
    """The curves of one plot; ``on_stale`` is called when a zoom or pan needs a redraw."""

    def __init__(self, widget: pg.PlotWidget, legend: pg.LegendItem, on_stale: Callable[[], None]):
        self._item = widget.getPlotItem()
        self._legend = legend
        self._on_stale = on_stale
        self._curves: dict[tuple[str, SeriesKey], pg.PlotDataItem | LineCurve] = {}
        self.attached: list[CurveSpec] = []  # in legend order
        self._looks: dict[tuple[str, SeriesKey], tuple] = {}  # the pen and symbol each curve has
        self._spare: list[pg.PlotDataItem | LineCurve] = []  # curves no run shows now
        self._legend_rows: list[tuple] = []  # what the legend lists, as _legend_row says
        # While the view follows the data, the x range reaches the end of the epoch under way.
        self._epoch_span = _EpochSpan()
        self._item.addItem(self._epoch_span)
        self._item.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)
        self._item.getViewBox().sigResized.connect(self._on_resized)

    def show(self, specs: Sequence[CurveSpec], legend_entries: Sequence[LegendEntry]) -> None:
        """Attach exactly these curves and list these legend rows.

        Only what differs from the last call is touched: with 20 runs overlaid, a run's first
        epoch adds its epoch curves and leaves the other runs' curves and the legend alone.
        """
        wanted = {spec.curve_id for spec in specs}
        self._hand_over(specs, wanted)
        for spec in self.attached:
            if spec.curve_id not in wanted and spec.curve_id in self._curves:
                # Kept for the next curve that needs one (any curve: attaching sets its look and
                # data): building a curve and its legend sample costs ~3 ms, and a new run's
                # eleven per-weight curves, built at once, held the window up for 50 ms.
                curve = self._curves.pop(spec.curve_id)
                self._item.removeItem(curve)
                self._looks.pop(spec.curve_id, None)
                self._spare.append(curve)
        attached_before = {spec.curve_id for spec in self.attached}
        self.attached = []
        for spec in specs:
            curve = self._curve(spec)
            look = (spec.pen, spec.symbol)
            if self._looks.get(spec.curve_id) != look:
                curve.setPen(spec.pen)
                if isinstance(curve, pg.PlotDataItem):
                    set_symbol(curve, spec.symbol)
                self._looks[spec.curve_id] = look
            if spec.curve_id not in attached_before:
                marked = isinstance(curve, pg.PlotDataItem)
                if marked:
                    # A curve removed earlier still clips to a view it no longer has: re-adding
                    # it would make pyqtgraph ask the PlotWidget for autoRangeEnabled and fail.
                    # addItem turns clipping back on from the plot's settings.
                    curve.setClipToView(False)
                self._item.addItem(curve)
                if marked:
                    # addItem turned on the plot's downsampling: these points are decimated already.
                    curve.setDownsampling(auto=False)
                series = spec.run.series(spec.key)
                if series is not None:
                    series.dirty = True
            self.attached.append(spec)
        rows = [self._legend_row(what, name) for what, name in legend_entries]
        if rows == self._legend_rows:
            return
        self._legend_rows = rows
        self._legend.clear()
        self._legend.setColumnCount(2 if len(legend_entries) > 6 else 1)
        for what, name in legend_entries:
            self._legend.addItem(self._curves[what.curve_id] if isinstance(what, CurveSpec) else what, name)
        # An empty legend is still drawn as a small box: hide it until it lists something.
        self._legend.setVisible(bool(legend_entries))

    def _hand_over(self, specs: Sequence[CurveSpec], wanted: set) -> None:
        """A curve that leaves goes, still in the plot, to an arriving curve of the same series
        (the next run shown in its place): a new run's start then moves no item in or out of the
        scene and, with names and pens unchanged, leaves the legend as it was (removing eleven
        per-weight curves, adding eleven and relisting the legend held the window up for ~50 ms)."""
        leaving: dict[SeriesKey, list[tuple[str, SeriesKey]]] = {}
        for spec in self.attached:
            if spec.curve_id not in wanted and spec.curve_id in self._curves:
                leaving.setdefault(spec.key, []).append(spec.curve_id)
        handed = []
        for spec in specs:
            if spec.curve_id in self._curves or not leaving.get(spec.key):
                continue
            handed.append(spec)
            old_id = leaving[spec.key].pop(0)
            curve = self._curves.pop(old_id)
            curve.clear()  # the other run's points, until this series hands its own
            self._curves[spec.curve_id] = curve
            look = self._looks.pop(old_id, None)
            if look is not None:
                self._looks[spec.curve_id] = look
            series = spec.run.series(spec.key)
            if series is not None:
                series.dirty = True
        # Attached already, under their new ids: show() must not add them to the plot again.
        self.attached = [spec for spec in self.attached if spec.curve_id in self._curves] + handed

    def _legend_row(self, what: CurveSpec | pg.PlotDataItem, name: str) -> tuple:
        """What a legend row shows: its name and the line and marker of its sample (the curve item
        itself, which a curve handed over to another run keeps)."""
        if isinstance(what, CurveSpec):
            return name, id(self._curves.get(what.curve_id)), what.pen, what.symbol
        return name, None, what.opts["pen"], what.opts["symbol"], what.opts["symbolBrush"]

    def redraw(self) -> None:
        """Hand the series that changed since the last redraw to their curves."""
        view = self._item.getViewBox()
        # While the view follows the data it must get all of it (or it would never grow);
        # once the user zooms or pans, only the part in view is decimated.
        x_range = None if view.autoRangeEnabled()[0] else tuple(view.viewRange()[0])
        max_points = self._max_points()
        for spec in self.attached:
            series = spec.run.series(spec.key)
            if series is None or not series.dirty:
                continue
            _set_points(self._curves[spec.curve_id], *series.drawn(x_range, max_points))
            series.dirty = False
        if x_range is None:
            self._hold_epoch_span()

    def _hold_epoch_span(self) -> None:
        """Keep the followed x range at whole epochs: it then changes once an epoch instead of at
        every batch, and a range that stays put spares the axes and every curve their layout (a
        third of a redraw of eleven curves). The run also grows across a steady axis, as in
        MATLAB's training progress, instead of the axis jittering under it."""
        ends = [series.x[-1] for spec in self.attached
                if (series := spec.run.series(spec.key)) is not None and len(series)]
        self._epoch_span.reach(float(math.ceil(max(ends))) if ends else None)

    def _max_points(self) -> int:
        """What a long curve is decimated to for the plot's width (POINTS_PER_PIXEL)."""
        width = int(self._item.getViewBox().width())
        return int(POINTS_PER_PIXEL * width) if width > 0 else DRAW_POINTS

    def drop_run(self, run_id: str) -> None:
        for curve_id in [c for c in self._curves if c[0] == run_id]:
            self._item.removeItem(self._curves.pop(curve_id))
            self._looks.pop(curve_id, None)
            self._legend_rows = []  # a run restarted under its id lists its new curves
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

    def _curve(self, spec: CurveSpec) -> pg.PlotDataItem | LineCurve:
        curve = self._curves.get(spec.curve_id)
        if curve is None:
            kind = pg.PlotDataItem if _has_markers(spec) else LineCurve
            spare = next((c for c in self._spare if type(c) is kind), None)
            if spare is not None:
                self._spare.remove(spare)
                curve = spare
                curve.clear()  # another run's points, until this series hands its own
            elif kind is LineCurve:
                curve = LineCurve()
            else:
                curve = pg.PlotDataItem(connect="finite")
                # Downsampling and clipping are set on the PlotItem (it overrides its items'
                # settings when they are added); epoch curves are short, and their markers
                # thin out five-fold when there are more than pixels.
                curve.opts["autoDownsampleFactor"] = 5.0
            self._curves[spec.curve_id] = curve
        return curve

    def _on_x_range_changed(self, view, _range) -> None:
        # A zoom or pan by the user: the curves must be decimated again for the new span.
        if not view.autoRangeEnabled()[0]:
            self._redecimate()

    def _on_resized(self, _view) -> None:
        self._redecimate()

    def _redecimate(self) -> None:
        """Mark the curves whose points were cut to the old span or width for the next redraw."""
        max_points = self._max_points()
        for spec in self.attached:
            series = spec.run.series(spec.key)
            if series is not None and len(series) > max_points:
                series.dirty = True
                self._on_stale()


def _has_markers(spec: CurveSpec) -> bool:
    """Epoch series carry markers (or may, once a run has few epochs): PlotDataItems."""
    return spec.key[0] == "epoch" or spec.symbol is not None


class _EpochSpan(pg.GraphicsObject):
    """Draws nothing; reaching x = ``end``, it stretches an auto-ranged x axis that far (and
    leaves the y range to the curves). Not a data item: legends, hover and exports never see it."""

    def __init__(self):
        super().__init__()
        self._end: float | None = None

    def reach(self, end: float | None) -> None:
        if end != self._end:
            self._end = end
            self.informViewBoundsChanged()

    def dataBounds(self, axis: int, frac: float = 1.0, orthoRange=None) -> tuple[float | None, float | None]:
        if axis != 0 or self._end is None:
            return None, None
        return self._end, self._end

    def boundingRect(self) -> QtCore.QRectF:
        return QtCore.QRectF()

    def paint(self, *_args) -> None:
        pass
