"""What every tab of the training plots has: export buttons, plots with a legend, a placeholder
and a hover read-out, an export status line, and the empty state before any run."""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from desktop_app.plots.buffers import RunSeries
from desktop_app.plots.hover import Candidate, Crosshair
from desktop_app.plots.style import TEXT_COLOR, placeholder, training_plot


class PlotTab(QtWidgets.QWidget):
    """One tab: subclasses add their plots with ``_add_plot`` and draw the runs they are given.

    Signals: ``export_requested(fmt)`` ("png" or "csv"), ``redraw_requested`` when curves must
    be drawn again at the next tick, and ``layout_changed`` when the curves to show changed.
    """

    export_requested = QtCore.Signal(str)
    redraw_requested = QtCore.Signal()
    layout_changed = QtCore.Signal()

    x_name = "epoch"

    def __init__(self, name: str, title: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.name = name
        self.title = title
        self.plots: dict[str, pg.PlotWidget] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        self.placeholders: dict[str, pg.TextItem] = {}
        self.hovers: dict[str, Crosshair] = {}
        self.runs: list[RunSeries] = []
        self._was_empty = True

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.bar = QtWidgets.QHBoxLayout()
        self.bar.addStretch(1)
        for fmt, text, tip in (("png", "Export PNG…", f"Save the {title.lower()} plot as an image"),
                               ("csv", "Export CSV…", f"Save the data of the {title.lower()} plot as a CSV table")):
            button = QtWidgets.QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(functools.partial(self._on_export_clicked, fmt))
            self.bar.addWidget(button)
        layout.addLayout(self.bar)
        self.body = QtWidgets.QVBoxLayout()
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(4)
        layout.addLayout(self.body, 1)
        self.status = QtWidgets.QLabel("")
        self.status.setObjectName(f"exportStatus_{name}")
        self.status.setWordWrap(True)
        self.status.hide()
        layout.addWidget(self.status)

    def _add_plot(self, plot_name: str, x_label: str, y_label: str, empty_text: str, *, log_y: bool = False,
                  fractions_when_sparse: bool = True, legend_offset: tuple[int, int] = (-8, 8)) -> pg.PlotWidget:
        widget, legend = training_plot(x_label, y_label, log_y=log_y, fractions_when_sparse=fractions_when_sparse,
                                       legend_offset=legend_offset)
        self.plots[plot_name] = widget
        self.legends[plot_name] = legend
        self.placeholders[plot_name] = placeholder(widget, empty_text)
        self.hovers[plot_name] = Crosshair(
            widget, functools.partial(self.hover_candidates, plot_name), x_name=self.x_name,
            y_name=functools.partial(self.y_name, plot_name), log_y=log_y)
        menu = widget.getPlotItem().getViewBox().menu
        menu.addSeparator()
        menu.addAction("Export PNG…").triggered.connect(functools.partial(self._on_export_clicked, "png"))
        menu.addAction("Export CSV…").triggered.connect(functools.partial(self._on_export_clicked, "csv"))
        return widget

    # --- what each tab defines --------------------------------------------------------------

    def set_runs(self, runs: Sequence[RunSeries]) -> None:
        """Show these runs (one alone, or several overlaid); called when the selection or the
        series of a shown run changed."""
        self.runs = list(runs)

    def redraw(self, force: bool) -> None:
        """Draw what changed; a plot that is not visible waits unless ``force``."""
        raise NotImplementedError

    def drop_run(self, run_id: str) -> None:
        """Forget the curves of a run that is removed or restarted."""

    def csv_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Header and rows of the data the tab shows, one row per point (raw, unclamped values)."""
        raise NotImplementedError

    def hover_candidates(self, plot_name: str) -> list[Candidate]:
        raise NotImplementedError

    def y_name(self, plot_name: str) -> str:
        raise NotImplementedError

    # --- shared behaviour -------------------------------------------------------------------

    def set_empty(self, empty: bool) -> None:
        """Before any run: no tick numbers (an empty axis showed 0.1 ... 0.9 epochs), no legend
        box, and a line in each plot saying what will appear there."""
        for name, widget in self.plots.items():
            item = widget.getPlotItem()
            for side in ("left", "bottom"):
                item.getAxis(side).setStyle(showValues=not empty, tickLength=0 if empty else 5)
            self.placeholders[name].setVisible(empty)
            if empty:
                self.legends[name].setVisible(False)
                item.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            elif self._was_empty:
                item.enableAutoRange()
        self._was_empty = empty

    def set_title(self, text: str) -> None:
        # On the top plot, so an exported PNG says which run it shows.
        top = next(iter(self.plots.values()))
        top.getPlotItem().setTitle(html.escape(text, quote=False), color=TEXT_COLOR, size="10pt")

    def png_plots(self) -> list[pg.PlotWidget]:
        """The plots an exported image stacks, top to bottom."""
        return list(self.plots.values())

    def hide_hovers(self) -> None:
        for hover in self.hovers.values():
            hover.hide()

    def show_export_status(self, text: str, ok: bool) -> None:
        self.status.setStyleSheet("color: #2e7d32;" if ok else "color: #b00020;")
        self.status.setText(text)
        self.status.show()

    def _on_export_clicked(self, fmt: str, *_checked) -> None:
        self.export_requested.emit(fmt)
