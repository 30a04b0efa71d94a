"""Where a run changed course: a vertical line at the batch from which a learning rate or clipping
changed while paused took effect, labelled "lr 0.01 -> 0.001", on every plot whose x axis is the
epoch (loss, score, gradient norms)."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6 import QtCore

from desktop_app.plots.buffers import RunSeries
from desktop_app.plots.style import PALETTE, pen

MARKER_COLOR = "#6A3D9A"  # purple: neither a training nor a validation colour


class ChangeMarkers:
    """The change lines of the shown runs on ``plots``; the labels go on ``labelled`` plots only,
    so stacked plots sharing an x axis do not repeat them."""

    def __init__(self, plots: dict[str, pg.PlotWidget], labelled: Sequence[str]):
        self._plots = plots
        self._labelled = set(labelled)
        self._lines: dict[str, list[pg.InfiniteLine]] = {name: [] for name in plots}
        self._drawn: list[tuple[str, str, tuple]] = []  # (run label, colour, changes) as drawn

    def show(self, runs: Sequence[RunSeries]) -> None:
        """Draw the changes of ``runs`` (one colour per run when several are overlaid)."""
        wanted = [(run.label, PALETTE[index % len(PALETTE)] if len(runs) > 1 else MARKER_COLOR, tuple(run.changes))
                  for index, run in enumerate(runs)]
        if wanted == self._drawn:  # the plots are laid out again far more often than a course changes
            return
        self._drawn = wanted
        for name, widget in self._plots.items():
            item = widget.getPlotItem()
            for line in self._lines[name]:
                item.removeItem(line)
            self._lines[name] = []
            for run_label, color, changes in wanted:
                for x, label in changes:
                    line = pg.InfiniteLine(
                        pos=x, angle=90, movable=False, pen=pen(color, 1.5, QtCore.Qt.PenStyle.DashLine),
                        label=label if name in self._labelled else None,
                        labelOpts={"position": 0.78, "color": color, "fill": (255, 255, 255, 210),
                                   "anchors": [(0, 0.5), (0, 0.5)]})
                    line.setToolTip(f"{run_label}: {label}, from this batch on")
                    line.setZValue(-20)  # under the curves, over the zones
                    item.addItem(line, ignoreBounds=True)
                    self._lines[name].append(line)

    def shown(self, plot_name: str) -> list[tuple[float, str]]:
        """(x, label) of each line on a plot, as drawn (label "" where the plot shows none)."""
        return [(float(line.value()), line.label.format if getattr(line, "label", None) is not None else "")
                for line in self._lines[plot_name]]
