"""The Loss tab: batch and epoch loss over the accuracy (classes) or MAE (numbers) per epoch.

A dashed line on each plot marks the untrained baseline (``core.diagnosis.Baseline``: what a net
that ignores its input scores, e.g. 1 in 3 right for three classes), so a run stuck there shows
at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.formatting import format_number
from desktop_app.plots.buffers import RunSeries, SeriesKey
from desktop_app.plots.curves import CurveSpec, LegendEntry, SeriesCurves
from desktop_app.plots.hover import Candidate
from desktop_app.plots.style import (
    DASHES,
    PALETTE,
    STYLE_GREY,
    TEXT_COLOR,
    TRAIN_COLOR,
    VAL_COLOR,
    legend_swatch,
    level_line,
    pen,
)
from desktop_app.plots.tab import PlotTab

PLOTS = ("loss", "metric")
# Per set of run kinds shown: (loss axis, metric axis, metric name in the hover read-out).
_AXES = {
    # Short enough for the shorter plot at 1024 x 700 (a rotated title is cut, never wrapped).
    frozenset({"regression"}): ("loss (mean squared error)", "MAE (normalised)", "MAE"),
    frozenset({"classification"}): ("loss (cross-entropy)", "accuracy (0–1)", "accuracy"),
}
_MIXED_AXES = ("loss", "accuracy / MAE", "metric")
BASELINE_COLOR = "#7a7a7a"


def series_title(key: SeriesKey) -> str:
    """"batch loss", "train loss", "val accuracy", "train MAE", ..."""
    group, name = key
    if group == "batch":
        return "batch loss"
    if name.startswith("val_"):
        return "val " + ("MAE" if name == "val_mae" else name[4:])
    return "train " + ("MAE" if name == "mae" else name)


class LossTab(PlotTab):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__("loss", "Loss", parent)
        # Legends in corners where the curves rarely are: loss falls, accuracy rises.
        loss = self._add_plot("loss", "epoch", "loss", "The loss of every batch and epoch appears here.",
                              legend_offset=(-8, 8))
        metric = self._add_plot("metric", "epoch", "accuracy (0–1)",
                                "Accuracy (classes) or MAE (numbers) per epoch appears here.", legend_offset=(-8, -8))
        metric.setXLink(loss)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        splitter.addWidget(loss)
        splitter.addWidget(metric)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.body.addWidget(splitter, 1)
        self._curves = {name: SeriesCurves(self.plots[name], self.legends[name], self.redraw_requested.emit)
                        for name in PLOTS}
        self._baseline_lines: list[tuple[str, pg.InfiniteLine, pg.InfiniteLine]] = []  # plot, line, label
        self._baseline_keys: list[tuple[str, float]] = []  # (plot, rounded level) of each line drawn

    def set_runs(self, runs: Sequence[RunSeries]) -> None:
        """One run: a legend row per curve. Several: colour names the run and line style the
        series, so the legend lists runs and styles (N + S rows, not N x S)."""
        super().set_runs(runs)
        overlay = len(self.runs) > 1
        wanted: dict[str, list[CurveSpec]] = {name: [] for name in PLOTS}
        legend: dict[str, list[LegendEntry]] = {name: [] for name in PLOTS}
        styles: dict[str, dict[str, Any]] = {name: {} for name in PLOTS}
        for index, run in enumerate(self.runs):
            run_color = PALETTE[index % len(PALETTE)]
            train_color = run_color if overlay else TRAIN_COLOR
            val_color = run_color if overlay else VAL_COLOR
            batch = CurveSpec(run, ("batch", ""), "batch loss", pen(train_color, 1, alpha=90))
            wanted["loss"].append(batch)
            if not overlay:
                legend["loss"].append((batch, batch.name))
            for plot, keys in (("loss", ("loss", "val_loss")), ("metric", (run.metric, "val_" + run.metric))):
                for key in keys:
                    if key not in run.epoch_logs:
                        continue
                    is_val = key.startswith("val_")
                    color = val_color if is_val else train_color
                    style = DASHES[1] if (overlay and is_val) else DASHES[0]
                    symbol = "s" if is_val else "o"
                    spec = CurveSpec(run, ("epoch", key), series_title(("epoch", key)), pen(color, 2.0, style),
                                     (symbol, color))
                    wanted[plot].append(spec)
                    if not overlay:
                        legend[plot].append((spec, spec.name))
                    else:
                        styles[plot].setdefault("validation" if is_val else "training",
                                                (pen(STYLE_GREY, 2.0, style), (symbol, STYLE_GREY)))
            if overlay:
                for plot in PLOTS:
                    legend[plot].append((legend_swatch(pen(run_color, 2.5)), run.label))
        for plot in PLOTS:
            rows = legend[plot] + [(legend_swatch(line, symbol), name) for name, (line, symbol) in styles[plot].items()]
            self._curves[plot].show(wanted[plot], rows)
        self._show_baselines()
        loss_axis, metric_axis, _ = self._axes()
        for plot, text in (("loss", loss_axis), ("metric", metric_axis)):
            item = self.plots[plot].getPlotItem()
            if item.getAxis("left").labelText != text:  # a new label lays the plot out again
                item.setLabel("left", text, color=TEXT_COLOR)

    def _show_baselines(self) -> None:
        """One dashed line per distinct baseline of the runs shown, on the loss and the score plot."""
        levels: dict[tuple[str, float], tuple[float, str]] = {}  # rounded, so equal baselines draw once
        for run in self.runs:
            baseline = getattr(run, "baseline", None)
            if baseline is None:
                continue
            levels.setdefault(("loss", round(baseline.loss, 6)),
                              (baseline.loss, f"untrained baseline {format_number(baseline.loss, 3)}"))
            if baseline.metric == baseline.metric:  # NaN: unknown for this data
                text = (f"chance {100 * baseline.metric:.0f} %" if baseline.metric_name == "accuracy"
                        else f"untrained MAE {format_number(baseline.metric, 3)}")
                levels.setdefault(("metric", round(baseline.metric, 6)), (baseline.metric, text))
        if list(levels) == self._baseline_keys:
            return
        self._baseline_keys = list(levels)
        for plot, *items in self._baseline_lines:
            for item in items:
                self.plots[plot].removeItem(item)
        self._baseline_lines = []
        for (plot, _rounded), (level, text) in levels.items():
            line, label = level_line(level, text, pen(BASELINE_COLOR, 1.5, DASHES[1]), BASELINE_COLOR)
            self.plots[plot].addItem(line)
            self.plots[plot].addItem(label)
            self._baseline_lines.append((plot, line, label))

    def baseline_levels(self) -> dict[str, list[float]]:
        """The baseline lines drawn, per plot ("loss", "metric")."""
        levels: dict[str, list[float]] = {name: [] for name in PLOTS}
        for plot, line, _label in self._baseline_lines:
            levels[plot].append(float(line.value()))
        return levels

    def _axes(self) -> tuple[str, str, str]:
        return _AXES.get(frozenset(run.kind for run in self.runs), _MIXED_AXES)

    def redraw(self, force: bool) -> None:
        for name, curves in self._curves.items():
            # Curves on a hidden tab stay dirty until it is shown: drawing them costs time the
            # visible plot needs.
            if force or self.plots[name].isVisible():
                curves.redraw()

    def drop_run(self, run_id: str) -> None:
        for curves in self._curves.values():
            curves.drop_run(run_id)

    def csv_rows(self) -> tuple[list[str], list[list[Any]]]:
        return ["run", "series", "epoch", "value"], [row for name in PLOTS for row in self._curves[name].csv_rows()]

    def hover_candidates(self, plot_name: str) -> list[Candidate]:
        return self._curves[plot_name].hover_candidates(len(self.runs) > 1)

    def y_name(self, plot_name: str) -> str:
        return "loss" if plot_name == "loss" else self._axes()[2]
