"""The Weight health tab: the spectral radius of every recurrent kernel w_R over the epochs, against
the line at 1, and the histograms of each layer's weights and gradients epoch by epoch.

The numbers come from core.weight_health, computed in the training process at each epoch's end
and kept in the run's History (so a reopened bundle shows the same). A run saved before they
were recorded says so instead of showing empty plots.

A run that diverged also has the radii taken just before it did (core.history.Divergence): the
epoch's own point shows the older weights the rescue went back to, so without them the radius
that blew up would never be seen. They are drawn as red crosses at the diverged batch, on a red
line that says what happened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.epoch_probe import RADIUS_SHARE
from core.formatting import format_number
from core.weight_health import NOT_MEASURED_AT_DIVERGENCE, curve_name
from desktop_app.caption import Caption
from desktop_app.plots.buffers import LOG_FLOOR, RunSeries
from desktop_app.plots.hover import Candidate
from desktop_app.plots.style import DASHES, PALETTE, STYLE_GREY, FittingLabel, legend_swatch, pen
from desktop_app.plots.tab import PlotTab
from desktop_app.plots.weight_histogram import KINDS, HistogramView, bar_edges, histograms_of
from desktop_app.widgets import notice_label

# The y axis turns logarithmic once the radii drawn are this many times apart (a decade).
LOG_SPAN = 10.0
# Up to this many epochs each measured epoch gets a marker (an epoch the time budget skipped
# then shows as a gap between markers rather than a kink in a line).
MARKED_EPOCHS = 40
VANISHING_COLOR = "#1f6f99"
# The view reaches at least this factor above and below 1.
ONE_MARGIN = 1.15
# Pixels kept beside each label of the line at 1, beyond the label's own height.
ONE_ROOM_PX = 4
# A radius within this of 1 is "about 1" in the summary: neither side.
ABOUT_ONE = 0.005
EXPLODING_COLOR = "#a33f00"
DIVERGED_COLOR = "#d62728"
# Where the divergence line's label sits along it (0: the bottom of the view, 1: its top): in the
# half of the view away from the line at 1, whose labels sit at its left end.
DIVERGED_LABEL_AT = (0.2, 0.8)
CROSS_CLEARANCE_PX = 3  # between a divergence label and a cross on its line

CAPTION = (
    "The spectral radius of w_R is the largest |eigenvalue| of the recurrent kernel: how much one step "
    "h(t) = w_R h(t−1) stretches the memory at most. The lecture's rule for a linear recurrence: below 1 a "
    "signal (and the gradient through time) shrinks at every step and vanishes; above 1 it grows and can "
    "explode. LSTM and GRU have one curve per gate block of w_R. A nonlinear cell only roughly follows the "
    "rule, but the curves show which side each layer drifts to while it trains. A red ✕ marks the radius "
    "just before a run diverged (its loss or gradients became NaN or infinite); the epoch's point after it "
    "shows the older weights the run went back to. Below: the histogram of a layer's weights or gradients at "
    "each epoch.")
NOT_YET = "The spectral radius of every recurrent kernel appears here at the end of each epoch."


def missing_reason(run: RunSeries) -> str:
    """Why ``run`` shows no weight health ("" when it has some, or its first epoch is still to come)."""
    health = run.health
    if any(any(epoch) for epoch in health.weight_histograms) or health.spectral_radius:
        return ""
    if health.weight_histograms:
        return (f"{run.label} has no weight health yet: a large model is looked at every few epochs, "
                "to keep training fast.")
    if any(series.size for series in run.epoch_logs.values()):
        return (f"{run.label} was saved without weight health (by an older RNN Lab): train it again to see "
                "its spectral radius and histograms.")
    return ""


def radius_gap_reason(run: RunSeries) -> str:
    """Why ``run`` has weight histograms but no spectral radius yet ("" otherwise): its w_R is so
    large that the radius is taken only when it fits in the training time (core.epoch_probe)."""
    health = run.health
    looked = any(any(epoch) for epoch in health.weight_histograms)
    radii = [value for blocks in health.spectral_radius.values() for values in blocks.values() for value in values]
    if not looked or health.divergence is not None or any(math.isfinite(value) for value in radii):
        return ""
    return (f"{run.label}: w_R is too large to take its eigenvalues after every epoch without slowing "
            f"training (seconds for a block of ~1,000 units). Its spectral radius is measured when that "
            f"fits in {RADIUS_SHARE:.0%} of the training time so far, so it appears later in a long run; "
            "the histograms below are there from the first epoch.")


def divergence_x(run: RunSeries) -> float:
    """Where ``run`` diverged, in epochs: the diverged batch's position, where the loss plot puts it
    (batch b of epoch e ends at e - 1 + b / batches per epoch)."""
    divergence = run.health.divergence
    return divergence.epoch - 1 + divergence.batch / max(1, run.batches_per_epoch)


def divergence_points(run: RunSeries) -> list[tuple[str, str, float, float]]:
    """(layer, block, x in epochs, radius) of each finite radius taken just before ``run`` diverged
    (of the weights the diverged batch started from, drawn at that batch)."""
    if run.health.divergence is None:
        return []
    x = divergence_x(run)
    return [(layer, block, x, float(radius)) for layer, blocks in run.health.divergence.spectral_radius.items()
            for block, radius in blocks.items() if math.isfinite(radius)]


def divergence_text(run: RunSeries, points: list[tuple[str, str, float, float]], overlay: bool) -> str:
    """The label of a run's divergence line: where it diverged and the largest radius just before."""
    divergence = run.health.divergence
    where = f"{run.label} diverged" if overlay else "Diverged"
    first = f"{where} at epoch {divergence.epoch}, batch {divergence.batch}:"
    if not divergence.radius_measured:
        return f"{first}\nw_R not measured: too wide for the time budget"
    if not points:
        return f"{first}\nno finite weights were kept to measure w_R"
    layer, block, _x, radius = max(points, key=lambda point: point[3])
    largest = "" if len(points) == 1 else "largest "
    named = "" if len(points) == 1 else f" ({curve_name(layer, block)})"
    return f"{first}\n✕ {largest}radius {format_number(radius, 3)}{named} just before {divergence.words}"


def side_of_one(radius: float) -> str:
    if radius > 1 + ABOUT_ONE:
        return "above 1"
    return "below 1" if radius < 1 - ABOUT_ONE else "about 1"


class WeightHealthTab(PlotTab):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__("health", "Weight health", parent)
        self.missing_label = notice_label()
        self.missing_label.hide()
        self.body.addWidget(self.missing_label)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        # Made on a log axis (its tick labels read well at any span), switched to linear until the
        # radii spread over a decade.
        widget = self._add_plot("spectral", "epoch", "spectral radius of w_R", NOT_YET, log_y=True,
                                fractions_when_sparse=False)
        self._log = True
        self.one_line = pg.InfiniteLine(pos=0.0, angle=0, movable=False, pen=pen(STYLE_GREY, 1.5, DASHES[1]))
        # Two labels on one line: what each side of 1 means, next to that side.
        self._one_labels = [
            pg.InfLineLabel(self.one_line, text=text, position=0.02, color=color, anchors=[anchor, anchor],
                            fill=(255, 255, 255, 200))
            for text, color, anchor in (("above 1: grows at every step (exploding)", EXPLODING_COLOR, (0, 1)),
                                        ("below 1: shrinks at every step (vanishing)", VANISHING_COLOR, (0, 0)))]
        self.one_line.setZValue(-50)  # the curves pass over its labels, not under them
        widget.getPlotItem().addItem(self.one_line, ignoreBounds=True)
        # Never drawn, but in the view's bounds: the view always shows both sides of 1 (and the
        # labels there), so a learner sees which side the curves are on.
        self.one_band = pg.PlotDataItem([1.0, 1.0], [1 / ONE_MARGIN, ONE_MARGIN], pen=pen(STYLE_GREY, 1, alpha=0))
        widget.getPlotItem().addItem(self.one_band)
        self._band_radii: list[float] = []
        widget.getPlotItem().getViewBox().sigResized.connect(lambda _view: self._hold_room_around_one())
        self._set_log(False)
        widget.setMinimumHeight(160)  # room for a divergence label above the labels of the line at 1
        splitter.addWidget(widget)
        self.histogram_view = HistogramView()
        splitter.addWidget(self.histogram_view)
        self.body.addWidget(splitter, 1)
        self.summary_label = QtWidgets.QLabel("")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.summary_label)
        self.caption = Caption(CAPTION)
        self.body.addWidget(self.caption)
        self._curves: dict[tuple[str, str, str], pg.PlotDataItem] = {}
        self._drawn: list[tuple[str, np.ndarray, np.ndarray]] = []  # hover label, epochs, raw radii
        # Run id -> (its crosses, its line, their raw radii) where it diverged; and as hover candidates.
        self._diverged: dict[str, tuple[pg.PlotDataItem, pg.InfiniteLine, np.ndarray]] = {}
        self._diverged_drawn: list[Candidate] = []
        # The legend's sample of the crosses (never plotted). A scatter item: the legend draws a
        # PlotDataItem's symbol from its scatter, which keeps grey defaults until it has data.
        self._diverged_swatch = pg.ScatterPlotItem(symbol="x", size=12, pen=pen(DIVERGED_COLOR, 2),
                                                   brush=pg.mkBrush(DIVERGED_COLOR))
        self._drawn_epochs: tuple = ()  # (run id, epochs recorded) per shown run at the last draw
        self._stale = False
        self._explaining = False  # the plot says why no shown run has weight health, or radii yet
        self._radii_shown = False
        self._radius_gaps: list[str] = []  # why runs have no radius yet, at the last draw

    # --- the PlotTab contract ----------------------------------------------------------------

    def set_runs(self, runs: Sequence[RunSeries]) -> None:
        super().set_runs(runs)
        self._stale = True

    def redraw(self, force: bool) -> None:
        if not (force or self.isVisible()):
            return
        recorded = tuple((run.run_id, len(run.health.weight_histograms)) for run in self.runs)
        if not self._stale and recorded == self._drawn_epochs:
            return
        self._stale = False
        self._drawn_epochs = recorded
        self._draw_radii()
        self.histogram_view.set_runs(self.runs)
        self._show_missing()

    def drop_run(self, run_id: str) -> None:
        plot = self.plots["spectral"].getPlotItem()
        for key in [key for key in self._curves if key[0] == run_id]:
            curve = self._curves.pop(key)
            if curve.scene() is not None:
                plot.removeItem(curve)
        self._drop_divergence(run_id)

    def png_plots(self) -> list[pg.PlotWidget]:
        return [self.plots["spectral"], self.histogram_view.plot]

    def hide_hovers(self) -> None:
        super().hide_hovers()
        self.histogram_view.hover.hide()

    def csv_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Every radius and every histogram bin of the shown runs, epoch by epoch."""
        rows: list[list[Any]] = []
        for run in self.runs:
            for layer, blocks in run.health.spectral_radius.items():
                for block, values in blocks.items():
                    rows.extend([run.label, "spectral radius", layer, block, number, "", "", float(value)]
                                for number, value in enumerate(values, start=1))
            # The epoch column holds the diverged batch's position in epochs (0.04: batch 2 of 50).
            rows.extend([run.label, "spectral radius just before diverging", layer, block, x, "", "", radius]
                        for layer, block, x, radius in divergence_points(run))
            for kind in KINDS:
                for number, epoch in enumerate(histograms_of(run, kind), start=1):
                    for layer, histogram in epoch.items():
                        edges = bar_edges(histogram)
                        rows.extend([run.label, f"{kind} count", layer, "", number, float(lo), float(hi), count]
                                    for lo, hi, count in zip(edges[:-1], edges[1:], histogram["counts"]))
        return ["run", "quantity", "layer", "block", "epoch", "bin_low", "bin_high", "value"], rows

    def hover_candidates(self, plot_name: str) -> list[Candidate]:
        return list(self._drawn) + list(self._diverged_drawn)

    def y_name(self, plot_name: str) -> str:
        return "radius"

    # --- drawing -----------------------------------------------------------------------------

    def _wanted(self) -> list[tuple[RunSeries, str, str, np.ndarray, np.ndarray]]:
        """(run, layer, block, epochs, radii) of every curve to draw, finite values only."""
        wanted = []
        for run in self.runs:
            for layer, blocks in run.health.spectral_radius.items():
                for block, values in blocks.items():
                    radii = np.asarray(values, dtype=np.float64)
                    epochs = np.arange(1, len(radii) + 1, dtype=np.float64)
                    keep = np.isfinite(radii)
                    if keep.any():
                        wanted.append((run, layer, block, epochs[keep], radii[keep]))
        return wanted

    def _draw_radii(self) -> None:
        plot = self.plots["spectral"].getPlotItem()
        legend = self.legends["spectral"]
        wanted = self._wanted()
        diverged = {run.run_id: divergence_points(run) for run in self.runs if run.health.divergence is not None}
        positive = [r for *_rest, radii in wanted for r in radii if r > 0]
        positive += [r for points in diverged.values() for *_rest, r in points if r > 0]
        self._set_log(bool(positive and max(positive) >= LOG_SPAN * min(positive)))
        self._hold_room_around_one(positive)
        overlay = len(self.runs) > 1
        legend.clear()
        keys = {(run.run_id, layer, block) for run, layer, block, *_ in wanted}
        for key in [key for key in self._curves if key not in keys]:
            curve = self._curves.pop(key)
            if curve.scene() is not None:
                plot.removeItem(curve)
        styles: dict[str, Any] = {}  # curve name -> its line style when runs are overlaid
        self._drawn = []
        for index, (run, layer, block, epochs, radii) in enumerate(wanted):
            name = curve_name(layer, block)
            if overlay:
                color = PALETTE[self.runs.index(run) % len(PALETTE)]
                styles.setdefault(name, DASHES[len(styles) % len(DASHES)])
                line = pen(color, 1.5, styles[name])
            else:
                color = PALETTE[index % len(PALETTE)]
                line = pen(color, 2)
            curve = self._curves.get((run.run_id, layer, block))
            if curve is None:
                curve = self._curves[(run.run_id, layer, block)] = pg.PlotDataItem()
            if curve.scene() is None:
                plot.addItem(curve)
            shown = np.maximum(radii, LOG_FLOOR) if self._log else radii
            curve.setData(epochs, shown, pen=line, symbol="o" if len(epochs) <= MARKED_EPOCHS else None,
                          symbolSize=5, symbolBrush=pg.mkBrush(color), symbolPen=pg.mkPen(color))
            self._drawn.append((f"{run.label} · {name}" if overlay else name, epochs, radii))
            if not overlay:
                legend.addItem(curve, name)
        if overlay:
            drawn_runs = {run.run_id for run, *_rest in wanted}
            for index, run in enumerate(self.runs):
                if run.run_id in drawn_runs:
                    legend.addItem(legend_swatch(pen(PALETTE[index % len(PALETTE)], 2.5)), run.label)
            for name, style in styles.items():
                legend.addItem(legend_swatch(pen(STYLE_GREY, 1.5, style)), name)
        self._draw_divergence(diverged, overlay)
        shown = bool(wanted or diverged)
        legend.setVisible(shown)
        self.placeholders["spectral"].setVisible(not shown)
        self.one_line.setVisible(shown)
        self._radii_shown = shown
        self._radius_gaps = [reason for reason in map(radius_gap_reason, self.runs) if reason]
        self.summary_label.setText(" ".join(filter(None, (self._summary(wanted), self._divergence_summary(diverged),
                                                          *(self._radius_gaps if shown else ())))))

    def _draw_divergence(self, diverged: dict[str, list[tuple[str, str, float, float]]], overlay: bool) -> None:
        """A red line at each shown run's diverged batch, labelled, with a red ✕ at every radius
        taken just before it; redrawn whole each time (a run diverges once)."""
        plot = self.plots["spectral"].getPlotItem()
        for run_id in list(self._diverged):
            self._drop_divergence(run_id)
        self._diverged_drawn = []
        for run in self.runs:
            points = diverged.get(run.run_id)
            if points is None:
                continue
            divergence = run.health.divergence
            x = divergence_x(run)
            line = pg.InfiniteLine(pos=x, angle=90, movable=False, pen=pen(DIVERGED_COLOR, 1.5, DASHES[2]))
            line.label = _AwayFromOneLabel(line, self.one_line, text=divergence_text(run, points, overlay),
                                           color=DIVERGED_COLOR, anchors=[(0, 0.5), (0, 0.5)],
                                           fill=(255, 255, 255, 210))
            line.setToolTip(f"{run.label}: {divergence.words} at epoch {divergence.epoch}, batch {divergence.batch}; "
                            "the run went back to older weights")
            line.setZValue(-20)  # under the curves
            # Its crosses keep it in view; without any (no radius taken) the line itself must.
            plot.addItem(line, ignoreBounds=bool(points))
            radii = np.asarray([radius for *_rest, radius in points], dtype=np.float64)
            crosses = pg.PlotDataItem(np.full(len(points), x), np.maximum(radii, LOG_FLOOR) if self._log else radii,
                                      pen=None, symbol="x", symbolSize=14, symbolPen=pen(DIVERGED_COLOR, 2.5),
                                      symbolBrush=pg.mkBrush(DIVERGED_COLOR))
            crosses.setZValue(10)  # over the curves: the point of the example
            plot.addItem(crosses)
            line.label.keep_clear_of(crosses)
            self._diverged[run.run_id] = (crosses, line, radii)
            prefix = f"{run.label} · " if overlay else ""
            self._diverged_drawn.extend(
                (f"{prefix}{curve_name(layer, block)} just before {divergence.words}", np.array([x]), np.array([r]))
                for layer, block, _x, r in points)
        if self._diverged_drawn:
            self.legends["spectral"].addItem(self._diverged_swatch, "just before diverging")

    def _drop_divergence(self, run_id: str) -> None:
        plot = self.plots["spectral"].getPlotItem()
        for item in self._diverged.pop(run_id, ())[:2]:
            if item.scene() is not None:
                plot.removeItem(item)

    def _divergence_summary(self, diverged: dict[str, list[tuple[str, str, float, float]]]) -> str:
        """What the crosses of one run say, in words, and why the epoch's point is lower."""
        if len(self.runs) != 1 or self.runs[0].run_id not in diverged:
            return ""
        run = self.runs[0]
        divergence = run.health.divergence
        points = diverged[run.run_id]
        head = f"Just before {divergence.words} (epoch {divergence.epoch}, batch {divergence.batch}): "
        if not divergence.radius_measured:
            return head + NOT_MEASURED_AT_DIVERGENCE + "."
        if not points:
            return head + "no finite weights were kept to measure w_R."
        parts = [f"{curve_name(layer, block)} {format_number(radius, 3)} ({side_of_one(radius)})"
                 for layer, block, _x, radius in points]
        return head + ", ".join(parts) + "; the run went back to older weights, which the epoch's point shows."

    def _summary(self, wanted) -> str:
        """The newest radius of each curve of one run, and which side of 1 it is on."""
        if len(self.runs) != 1 or not wanted:
            return ""
        parts = [f"{curve_name(layer, block)} {format_number(float(radii[-1]), 3)} ({side_of_one(radii[-1])})"
                 for _run, layer, block, _epochs, radii in wanted]
        latest = max(int(epochs[-1]) for *_rest, epochs, _radii in wanted)
        return f"Spectral radius at epoch {latest}: " + ", ".join(parts) + "."

    def _hold_room_around_one(self, radii: list[float] | None = None) -> None:
        """Keep room on each side of 1 for the line's two labels, as many pixels as they are tall:
        a fixed factor around 1 is a pixel on a log axis spanning many decades (a radius that blew
        up), and the label under the line fell below the axis. Called again when the plot resizes."""
        if radii is not None:  # positive radii (a log axis has no room for the others)
            self._band_radii = list(radii)
        low, high = 1 / ONE_MARGIN, ONE_MARGIN
        view_px = self.plots["spectral"].getPlotItem().getViewBox().height()
        if self._band_radii and view_px > 0:
            label_px = max(label.boundingRect().height() for label in self._one_labels) + ONE_ROOM_PX
            share = min(0.4, label_px / view_px)  # of the view's height, on the side of 1 the radii leave
            top, bottom = max(max(self._band_radii), 1.0), min(min(self._band_radii), 1.0)
            if self._log:
                room = 10 ** (share * (math.log10(top) - math.log10(bottom)) / (1 - share))
                low, high = min(low, 1 / room), max(high, room)
            else:
                room = share * (top - bottom) / (1 - share)
                low, high = min(low, max(0.0, 1 - room)), max(high, 1 + room)
        if tuple(self.one_band.yData) != (low, high):  # a redraw that changes nothing here sets no data
            self.one_band.setData([1.0, 1.0], [low, high])

    def _set_log(self, log: bool) -> None:
        if log == self._log:
            return
        self._log = log
        item = self.plots["spectral"].getPlotItem()
        item.setLogMode(x=False, y=log)
        self.hovers["spectral"].log_y = log
        item.setLabel("left", "spectral radius of w_R" + (" (log)" if log else ""))
        self.one_line.setValue(0.0 if log else 1.0)  # on a log axis items sit in log10 units

    def _show_missing(self) -> None:
        """Runs without weight health are named; when no shown run has any, the plot says why
        in place of empty axes, as before any run, and the histogram view steps aside."""
        reasons = [reason for reason in map(missing_reason, self.runs) if reason]
        only_missing = bool(self.runs) and len(reasons) == len(self.runs)
        self.missing_label.setText("\n".join(reasons))
        self.missing_label.setVisible(bool(reasons) and not only_missing)
        self.histogram_view.setVisible(not only_missing)
        # No radius drawn, and a run whose radii wait for their time budget: the plot says so.
        gaps = [] if only_missing or self._radii_shown else self._radius_gaps
        placeholder = self.placeholders["spectral"]
        if only_missing or gaps:
            self.set_empty(True)
            placeholder.setTextWidth(max(200, self.plots["spectral"].width() - 60))
            placeholder.setText("\n".join(reasons if only_missing else gaps))
        elif self._explaining:
            self.set_empty(not self.runs)
            placeholder.setTextWidth(-1)
            placeholder.setText(NOT_YET)
        self._explaining = only_missing or bool(gaps)

    def log_y(self) -> bool:
        """Whether the spectral radius is drawn on a log axis (the radii span a decade or more)."""
        return self._log

    def radius_curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Hover label -> (epochs, radii) of every curve drawn."""
        return {label: (epochs, radii) for label, epochs, radii in self._drawn}

    def divergence_marks(self) -> list[tuple[float, str, np.ndarray]]:
        """(x, the line's label, the raw radii of its crosses) of every run's divergence drawn."""
        return [(float(line.value()), line.label.format, radii) for _crosses, line, radii in self._diverged.values()]


class _AwayFromOneLabel(FittingLabel):
    """A divergence line's label, in the half of the view that the line at 1 is not in (an early
    divergence puts the line near the left edge, where the line at 1 has its two labels), and
    beside the run's crosses, which sit on the same line where the label would start."""

    def __init__(self, line: pg.InfiniteLine, one_line: pg.InfiniteLine, **options):
        self._one_line = one_line
        super().__init__(line, position=DIVERGED_LABEL_AT[1], **options)

    def keep_clear_of(self, crosses: pg.PlotDataItem) -> None:
        """Start the label past the crosses' half width, whichever side of the line it is on."""
        self.gap_px = crosses.opts["symbolSize"] / 2 + CROSS_CLEARANCE_PX
        self.updatePosition()

    def updatePosition(self):
        view = self.getViewBox()
        if isinstance(view, pg.ViewBox):
            _, (bottom, top) = view.viewRange()
            one_at = (self._one_line.value() - bottom) / (top - bottom) if top > bottom else 0.5
            at = DIVERGED_LABEL_AT[1] if one_at < 0.5 else DIVERGED_LABEL_AT[0]
            # A short plot (a small window) would cut a label of two lines at 0.2 or 0.8 of its height.
            half = (self.boundingRect().height() / 2 + 2) / view.height() if view.height() > 0 else 0.0
            self.orthoPos = min(max(at, half), 1 - half) if half < 0.5 else 0.5
        super().updatePosition()
