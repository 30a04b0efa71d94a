"""The Gradient flow tab: ‖∂loss/∂x_t‖ over time steps at the end of each epoch, with the
first/last verdict of core.diagnostics in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.diagnostics import flow_verdict
from core.epoch_probe import FLOW_BUDGET
from desktop_app.caption import Caption
from desktop_app.plots.buffers import LOG_FLOOR, RunSeries
from desktop_app.plots.hover import Candidate
from desktop_app.plots.style import PALETTE, hint_label, mix, pen
from desktop_app.plots.tab import PlotTab

# Profiles drawn at once for one run (the latest plus evenly spaced older ones); every profile
# is kept, and exported to CSV.
MAX_FLOW_CURVES = 8

CAPTION = (
    "Backpropagation through time (BPTT): the error at the output flows back through every time step, "
    "from the last to t=1. Each curve is ‖∂loss/∂x_t‖ at the end of one epoch (darker = later): how much "
    "the input at step t still moves the loss. A curve falling towards t=1 is the vanishing gradient: "
    f"early steps are forgotten. A zero is drawn at {LOG_FLOOR:g}. A model whose measurement costs more "
    f"than a few milliseconds gets it every few epochs ({FLOW_BUDGET:.0%} of the training time), and at the last.")


def pick_epochs(count: int) -> list[int]:
    """Indices of the profiles to draw out of ``count``: all, or evenly spaced ones and the latest."""
    if count <= MAX_FLOW_CURVES:
        return list(range(count))
    picks = np.linspace(0, count - 1, MAX_FLOW_CURVES).round().astype(int)
    return sorted(set(int(p) for p in picks))


class FlowTab(PlotTab):
    x_name = "t"

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__("flow", "Gradient flow", parent)
        # Legend top right: the profiles meet at the last step there and spread towards early
        # steps. Time steps are whole numbers even when few are in view.
        widget = self._add_plot("flow", "time step t", "‖∂loss/∂x_t‖ (log)",
                                "The gradient at every time step appears here at the end of each epoch.",
                                log_y=True, fractions_when_sparse=False, legend_offset=(-8, -8))
        self.body.addWidget(widget, 1)
        self.ratio_label = QtWidgets.QLabel("")
        self.ratio_label.setWordWrap(True)
        self.ratio_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.ratio_label)
        self.hint_label = hint_label()
        self.body.addWidget(self.hint_label)
        self.caption = Caption(CAPTION)
        self.body.addWidget(self.caption)
        # A profile has a few dozen points: its curves are reused from a pool, never decimated.
        self._pool: list[pg.PlotDataItem] = []
        self._drawn: list[tuple[str, str, np.ndarray]] = []  # run label, legend name, raw profile
        self._stale = False
        self._looks: list[tuple[np.ndarray, Any]] = []  # (profile, pen) each pooled curve shows
        self._legend_rows: list[tuple[str, Any]] = []

    def set_runs(self, runs: Sequence[RunSeries]) -> None:
        super().set_runs(runs)
        self._stale = True

    def redraw(self, force: bool) -> None:
        if not (force or self.plots["flow"].isVisible()):
            return
        if self._stale or any(run.flow_dirty for run in self.runs):
            self._redraw_profiles()

    def _redraw_profiles(self) -> None:
        self._stale = False
        plot = self.plots["flow"].getPlotItem()
        legend = self.legends["flow"]
        overlay = len(self.runs) > 1
        drawn: list[tuple[np.ndarray, str, Any, str, str]] = []
        summaries: list[str] = []
        hints: list[str] = []
        for index, run in enumerate(self.runs):
            run.flow_dirty = False
            if not run.flow:
                continue
            if overlay:
                number, profile = run.flow[-1]
                drawn.append((profile, f"{run.label} · epoch {number}", pen(PALETTE[index % len(PALETTE)], 2.5),
                              run.label, f"epoch {number}"))
            else:
                picks = pick_epochs(len(run.flow))
                for rank, flow_index in enumerate(picks):
                    number, profile = run.flow[flow_index]
                    latest = rank == len(picks) - 1
                    # Older epochs fade from pale to the deep colour of the latest, which is bold.
                    color = mix("#c6dbef", "#08306b", (rank + 1) / len(picks))
                    drawn.append((profile, f"epoch {number}", pen(color, 3.0 if latest else 1.2),
                                  run.label, f"epoch {number}"))
            number, profile = run.flow[-1]
            verdict = flow_verdict(profile, run.project)
            prefix = f"{run.label}, epoch {number}: " if overlay else f"Epoch {number}: "
            summaries.append(prefix + verdict.text)
            if verdict.warning:
                hints.append(f"{run.label}: {verdict.warning}" if overlay else verdict.warning)
        while len(self._pool) < len(drawn):
            self._pool.append(pg.PlotDataItem(connect="finite"))
        self._drawn = [(run_label, series_name, profile) for profile, _name, _line, run_label, series_name in drawn]
        # Latest last so it is painted on top. A curve whose profile and look did not change is
        # left alone: with runs overlaid, an epoch of one run changes one curve, not all.
        for index, (curve, (profile, _name, line, _run_label, _series)) in enumerate(zip(self._pool, drawn)):
            if curve.scene() is None:
                # A pooled curve removed earlier (fewer runs selected) fails on re-adding while
                # it still clips to its old view.
                curve.setClipToView(False)
                plot.addItem(curve)
            if index < len(self._looks) and self._looks[index][0] is profile and self._looks[index][1] == line:
                continue
            steps = np.arange(1, len(profile) + 1, dtype=np.float64)
            curve.setData(steps, np.where(np.isfinite(profile), np.maximum(profile, LOG_FLOOR), np.nan))
            curve.setPen(line)
        self._looks = [(profile, line) for profile, _name, line, _run_label, _series in drawn]
        for curve in self._pool[len(drawn):]:
            if curve.scene() is not None:
                plot.removeItem(curve)
        rows = [(name, line) for _profile, name, line, _run_label, _series in drawn]
        if rows != self._legend_rows:
            self._legend_rows = rows
            legend.clear()
            for curve, (name, _line) in zip(self._pool, rows):
                legend.addItem(curve, name)
        legend.setVisible(bool(drawn))
        self.hint_label.setText("\n".join(hints))
        self.hint_label.setVisible(bool(hints))
        if summaries:
            self.ratio_label.setText("\n".join(summaries))
        else:
            self.ratio_label.setText("The profile appears at the end of each epoch." if self.runs else "")

    def csv_rows(self) -> tuple[list[str], list[list[Any]]]:
        # Every epoch's profile of the shown runs, also those the plot thins out.
        rows = [[run.label, f"epoch {number}", t, float(v)]
                for run in self.runs for number, profile in run.flow for t, v in enumerate(profile, start=1)]
        return ["run", "series", "time_step", "gradient_norm"], rows

    def hover_candidates(self, plot_name: str) -> list[Candidate]:
        overlay = len(self.runs) > 1
        return [(f"{run_label}, {series_name}" if overlay else series_name,
                 np.arange(1, len(raw) + 1, dtype=np.float64), raw)
                for run_label, series_name, raw in self._drawn]

    def y_name(self, plot_name: str) -> str:
        return "norm"
