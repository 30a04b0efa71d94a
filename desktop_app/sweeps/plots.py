"""The Sweeps tab's two pictures of the finished trials.

``ParallelCoordinates``: one vertical axis per varied field and one for the metric, one line per
trial through its values, coloured by its rank in the metric, so the settings of the good trials line up.
``MetricByField``: the metric against one field, one line per value of another, each point the
mean over the trials that share those two values (the seeds, and any other field) with the
spread (one standard deviation) as error bars: the lecture's "how far back can each cell
remember" is the metric against the sequence length, one line per cell.

Only trials that ended with a finite metric are drawn. A field whose values span two decades or
more, or that is declared log-scaled, sits on a log axis, and so does the metric of the second
picture when its means do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore
from PySide6.QtGui import QFontMetrics

from core.formatting import format_number
from desktop_app.plots.style import PALETTE, SideLegend, pen, style_axes
from desktop_app.sweeps.fields import format_value
from desktop_app.sweeps.table_model import TrialRow

COLORMAP = "viridis"
# A numeric axis is logarithmic when its values span this ratio or more.
LOG_SPAN = 100.0


@dataclass(frozen=True)
class Series:
    """One line of MetricByField: a value of the grouping field and the points over the x field."""

    group: Any
    x: np.ndarray  # positions on the plot (log10 of the values on a log axis)
    mean: np.ndarray
    spread: np.ndarray  # standard deviation over the trials at each point (0 for one trial)
    count: np.ndarray


def ordered(values: Iterable, order: Iterable = ()) -> list[str]:
    """The distinct values as texts: those in ``order`` (the sweep's own order) first, the rest sorted."""
    present = set(map(format_value, values))
    first = [text for text in dict.fromkeys(map(format_value, order)) if text in present]
    return first + sorted(present - set(first), key=_natural)


def scored(rows: Iterable[TrialRow], metric: str) -> list[TrialRow]:
    """The trials that ended with a finite ``metric``: the ones a plot can place."""
    return [row for row in rows if row.finished and _finite(row.metrics.get(metric))]


def uses_log(values: list, log_hint: bool) -> bool:
    numbers = [float(v) for v in values if _number(v)]
    if not numbers or len(numbers) != len(values) or min(numbers) <= 0:
        return False
    return log_hint or max(numbers) / min(numbers) >= LOG_SPAN


class _Axis:
    """Where a field's values sit along one axis: numbers (linear or log) or categories in order."""

    def __init__(self, values: list, log_hint: bool, order: Iterable = ()):
        self.numeric = all(_number(v) for v in values)
        self.log = self.numeric and uses_log(values, log_hint)
        self.categories = [] if self.numeric else ordered(values, order)

    def position(self, value: Any) -> float:
        if not self.numeric:
            return float(self.categories.index(format_value(value)))
        return math.log10(float(value)) if self.log else float(value)

    def ticks(self, positions: Iterable[float]) -> list[tuple[float, str]]:
        if not self.numeric:
            return list(enumerate(self.categories))
        return [(p, format_number(10 ** p if self.log else p)) for p in sorted(set(positions))]


class ParallelCoordinates(pg.PlotWidget):
    """One axis per field and the metric; one line per trial (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self._item = self.getPlotItem()
        style_axes(self._item)
        self._item.hideAxis("left")
        self._item.setMouseEnabled(x=False, y=False)
        self._item.hideButtons()
        self._colormap = pg.colormap.get(COLORMAP)
        self.setMinimumHeight(180)
        self.trial_lines: list[pg.PlotDataItem] = []
        self.caption = ""

    def show_trials(self, rows: list[TrialRow], fields: list[tuple[str, str]], metric: str, mode: str,
                    log_fields: set[str] = frozenset(), orders: Mapping[str, list] | None = None) -> None:
        """``fields``: (dotted name, title) of each varied field, left to right; the metric comes last.
        ``orders``: a field's values in the order the sweep lists them (its categories' order)."""
        self._item.clear()
        self.trial_lines = []
        rows = scored(rows, metric)
        if not rows:
            self.caption = "No finished trial yet."
            return
        columns = [[row.fields.get(dotted) for row in rows] for dotted, _title in fields]
        columns.append([row.metrics[metric] for row in rows])
        titles = [title for _dotted, title in fields] + [metric]
        axes = [_Axis(values, dotted in log_fields, (orders or {}).get(dotted, ()))
                for values, (dotted, _title) in zip(columns, fields)]
        axes.append(_Axis(columns[-1], False))
        normalised = [self._draw_axis(i, values, axis) for i, (values, axis) in enumerate(zip(columns, axes))]
        scores = np.asarray(columns[-1], dtype=float)
        low, high = float(scores.min()), float(scores.max())
        goodness = rank_goodness(scores, mode)
        x = np.arange(len(columns), dtype=float)
        # The best trials are drawn last, on top, in the bright end of the colour map.
        for index in np.argsort(goodness, kind="stable"):
            color = self._colormap.map(float(goodness[index]), mode="qcolor")
            line = pg.PlotDataItem(x, [column[index] for column in normalised], pen=pg.mkPen(color, width=2))
            self._item.addItem(line)
            self.trial_lines.append(line)
        self._item.getAxis("bottom").setTicks([list(enumerate(titles))])
        self._item.setXRange(-0.3, len(columns) - 0.7, padding=0)
        self._item.setYRange(-0.12, 1.12, padding=0)
        best = "lowest" if mode == "min" else "highest"
        self.caption = (f"{len(rows)} trials, coloured by their rank in {metric}: dark the worst "
                        f"({format_number(high if mode == 'min' else low)}), bright the best "
                        f"({format_number(low if mode == 'min' else high)}, the {best}).")

    def _draw_axis(self, x: int, values: list, axis: _Axis) -> list[float]:
        """The axis at ``x`` with its end labels; ``values`` placed on it from 0 (bottom) to 1."""
        positions = [axis.position(v) for v in values]
        if axis.numeric:
            low, high = min(positions), max(positions)
            labels = [(0.0, 10 ** low if axis.log else low), (1.0, 10 ** high if axis.log else high)]
            labels = [(where, format_number(value)) for where, value in labels]
        else:
            low, high = 0.0, float(max(1, len(axis.categories) - 1))
            labels = [(p / high, name) for p, name in axis.ticks(positions)]
        span = high - low
        line = pg.InfiniteLine(pos=x, angle=90, pen=pen("#888888", 1))
        self._item.addItem(line)
        for where, text in labels:
            label = pg.TextItem(text, color="#222222", anchor=(0.5, 1.0 if where >= 1 else 0.0 if where <= 0 else 0.5),
                                fill=pg.mkBrush(255, 255, 255, 200))
            label.setPos(x, where + (0.02 if where >= 1 else -0.02 if where <= 0 else 0))
            self._item.addItem(label)
        return [(p - low) / span if span > 0 else 0.5 for p in positions]


class MetricByField(pg.PlotWidget):
    """The metric against one field, one line per value of another (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent, background="w")
        self._item = self.getPlotItem()
        style_axes(self._item)
        self.legend = SideLegend(brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#bbbbbb"),
                                 labelTextColor="#222222", labelTextSize="8pt")
        self._item.legend = self.legend
        self._item.layout.addItem(self.legend, 2, 3)
        self._item.layout.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignTop)
        self.setMinimumHeight(180)
        # A value's name (SimpleRNN) may reach past the ends of the axis into the margin beside it,
        # rather than be left out.
        self._item.getAxis("bottom").setStyle(hideOverlappingLabels=40)
        self._ticks: list[tuple[float, str]] = []
        view = self._item.getViewBox()
        view.sigResized.connect(self._fit_tick_labels)
        view.sigXRangeChanged.connect(self._fit_tick_labels)
        self.series: list[Series] = []
        self.mean_lines: list[pg.PlotDataItem] = []
        self.y_log = False  # the metric on a log axis (it spans two decades or more)

    def show_trials(self, rows: list[TrialRow], x_field: tuple[str, str], group_field: tuple[str, str] | None,
                    metric: str, log_fields: set[str] = frozenset(), orders: Mapping[str, list] | None = None) -> None:
        """``x_field`` and ``group_field``: (dotted name, title); no group draws one line. ``orders``
        as for ParallelCoordinates."""
        self._item.clear()
        self.legend.clear()
        self.mean_lines = []
        rows = scored(rows, metric)
        dotted, title = x_field
        orders = orders or {}
        axis = _Axis([row.fields.get(dotted) for row in rows], dotted in log_fields, orders.get(dotted, ()))
        group = group_field[0] if group_field else None
        self.series = series_by_group(rows, dotted, group, metric, axis, orders.get(group, ()))
        # One diverged trial (a loss of 35 beside 0.15) would flatten every other line on a linear axis.
        self.y_log = uses_log([float(m) for s in self.series for m in s.mean], False)
        self._item.setLogMode(x=False, y=self.y_log)
        for number, series in enumerate(self.series):
            color = PALETTE[number % len(PALETTE)]
            name = (f"{group_field[1]} = {format_value(series.group)}" if group_field
                    else f"mean of {max(series.count)} per point" if len(series.count) else "")
            line = pg.PlotDataItem(series.x, series.mean, pen=pen(color, 2), symbol="o", symbolSize=7,
                                   symbolBrush=pg.mkBrush(color), symbolPen=pg.mkPen(color), name=name)
            self._item.addItem(line)
            self.mean_lines.append(line)
            if np.any(series.spread > 0):
                self._item.addItem(_error_bars(series, self.y_log, pen(color, 1.2)))
        log_note = " (log scale)" if axis.log else ""
        self._item.setLabel("bottom", title + log_note, color="#222222")
        self._item.setLabel("left", f"{metric} (mean ± sd over seeds){' (log scale)' if self.y_log else ''}",
                            color="#222222")
        positions = sorted({p for s in self.series for p in s.x})
        self._ticks = _thinned(axis.ticks(positions))
        self._item.enableAutoRange(y=True)
        if positions:
            # Half a step of margin at each end: the first and last values sit at the ends of the
            # axis, and pyqtgraph leaves out a label that would stick out past them.
            margin = 0.5 * (min(np.diff(positions)) if len(positions) > 1 else 1.0)
            self._item.setXRange(positions[0] - margin, positions[-1] + margin, padding=0)
        self._fit_tick_labels()

    def _fit_tick_labels(self, *_args) -> None:
        """Label the ticks whose names fit side by side at this width; the others keep a tick mark.
        pyqtgraph draws every label of the first tick level, overlapping ones too."""
        axis = self._item.getAxis("bottom")
        view = self._item.getViewBox()
        low, high = view.viewRange()[0]
        if not self._ticks or high <= low or view.width() <= 0:
            axis.setTicks([self._ticks, []])
            return
        metrics = QFontMetrics(axis.style.get("tickFont") or axis.font())
        labelled = fitting_labels(self._ticks, view.width() / (high - low), metrics.horizontalAdvance)
        axis.setTicks([labelled, [(position, "") for position, text in self._ticks if (position, text) not in labelled]])


def rank_goodness(scores: np.ndarray, mode: str) -> np.ndarray:
    """0 (worst) to 1 (best) by rank, equal scores sharing one: by value, one diverged trial's
    loss of 35 would paint every other trial the same bright colour."""
    distinct = np.unique(scores)
    if len(distinct) < 2:
        return np.full(len(scores), 0.5)
    rank = np.searchsorted(distinct, scores) / (len(distinct) - 1)
    return 1.0 - rank if mode == "min" else rank


def series_by_group(rows: list[TrialRow], x_field: str, group_field: str | None, metric: str,
                    axis: _Axis | None = None, group_order: Iterable = ()) -> list[Series]:
    """Each group's mean and spread of ``metric`` at each value of ``x_field`` (see Series), the
    groups in ``group_order`` first."""
    if not rows:
        return []
    axis = axis or _Axis([row.fields.get(x_field) for row in rows], False)
    groups: dict[str, tuple[Any, dict[float, list[float]]]] = {}
    for row in rows:
        group = row.fields.get(group_field) if group_field else None
        _value, points = groups.setdefault(format_value(group), (group, {}))
        points.setdefault(axis.position(row.fields.get(x_field)), []).append(float(row.metrics[metric]))
    found = []
    for key in ordered(groups, group_order):
        group, points = groups[key]
        xs = sorted(points)
        found.append(Series(group, np.asarray(xs, dtype=float),
                            np.asarray([np.mean(points[x]) for x in xs], dtype=float),
                            np.asarray([np.std(points[x]) for x in xs], dtype=float),
                            np.asarray([len(points[x]) for x in xs], dtype=int)))
    return found


def _error_bars(series: Series, log: bool, bar_pen) -> pg.ErrorBarItem:
    """± one standard deviation; on a log axis in its log10 coordinates (pyqtgraph does not map
    error bars), the lower end kept above zero."""
    if not log:
        return pg.ErrorBarItem(x=series.x, y=series.mean, height=2 * series.spread, beam=_beam(series.x), pen=bar_pen)
    centre = np.log10(series.mean)
    low = np.maximum(series.mean - series.spread, series.mean / 100)
    return pg.ErrorBarItem(x=series.x, y=centre, top=np.log10(series.mean + series.spread) - centre,
                           bottom=centre - np.log10(low), beam=_beam(series.x), pen=bar_pen)


LABEL_GAP_PX = 8


def fitting_labels(ticks: list[tuple[float, str]], pixels_per_unit: float, width_of) -> list[tuple[float, str]]:
    """From left to right, the ticks whose centred labels (``width_of(text)`` pixels wide) keep
    LABEL_GAP_PX clear of the last label kept; the first is always kept."""
    kept: list[tuple[float, str]] = []
    right_edge = -math.inf
    for position, text in sorted(ticks):
        half = width_of(text) / 2
        centre = position * pixels_per_unit
        if centre - half >= right_edge + LABEL_GAP_PX:
            kept.append((position, text))
            right_edge = centre + half
    return kept


def _thinned(ticks: list[tuple[float, str]], most: int = 10) -> list[tuple[float, str]]:
    step = max(1, math.ceil(len(ticks) / most))
    return ticks[::step]


def _beam(x: np.ndarray) -> float:
    gaps = np.diff(np.unique(x))
    return float(gaps.min()) * 0.06 if len(gaps) else 0.05


def _natural(text: str) -> tuple:
    """Numbers in numeric order, then words in alphabetical order."""
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    return _number(value) and math.isfinite(float(value))
