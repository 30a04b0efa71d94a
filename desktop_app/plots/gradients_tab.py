"""The Gradient norms tab: ‖∂loss/∂W‖ of every layer (or weight) batch by batch, drawn over the
vanishing and exploding zones, with the verdict of core.diagnostics under the plot."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.diagnostics import EXPLODING_NORM, VANISHING_NORM, gradient_verdicts
from desktop_app.caption import Caption
from desktop_app.plots.buffers import LOG_FLOOR, RunSeries
from desktop_app.plots.curves import CurveSpec, LegendEntry, SeriesCurves
from desktop_app.plots.hover import Candidate
from desktop_app.plots.style import (
    DASHES,
    PALETTE,
    STYLE_GREY,
    WEIGHT_DASH,
    hint_label,
    legend_swatch,
    pen,
)
from desktop_app.plots.tab import PlotTab

CAPTION = (
    "How much each layer's weights are pushed after every batch: the norm of ∂loss/∂W, the lecture's "
    "\"change of e w.r.t. w\" that is multiplied by the learning rate. Blue band (below 1e-6): the weights "
    "barely change, the vanishing gradient. Orange band (above 1e3): they change drastically, the exploding "
    f"gradient. Tick \"Per weight\" to split a layer into w_i, w_R and bias. A zero is drawn at {LOG_FLOOR:g}.")


class GradientsTab(PlotTab):
    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__("gradients", "Gradient norms", parent)
        self._per_weight = False
        self._hint_state: list[tuple[str, int]] = []  # (run id, batches) the hint was judged on
        self.per_weight_box = QtWidgets.QCheckBox("Per weight (w_i, w_R, bias)")
        self.per_weight_box.setToolTip(
            "Show the gradient norm of each weight matrix (input kernel w_i, recurrent kernel w_R, "
            "bias) instead of one curve per layer.")
        self.per_weight_box.toggled.connect(self._on_per_weight_changed)
        self.bar.insertWidget(1, self.per_weight_box)
        widget = self._add_plot("gradients", "epoch (each batch drawn at its fraction of the epoch)",
                                "gradient norm ‖∂loss/∂W‖ (log)",
                                "The gradient norm of every layer appears here, batch by batch.", log_y=True)
        self._add_zones(widget)
        self.body.addWidget(widget, 1)
        self.hint_label = hint_label()
        self.body.addWidget(self.hint_label)
        self.caption = Caption(CAPTION)
        self.body.addWidget(self.caption)
        self._curves = SeriesCurves(widget, self.legends["gradients"], self.redraw_requested.emit)

    def per_weight(self) -> bool:
        return self._per_weight

    def _add_zones(self, widget: pg.PlotWidget) -> None:
        # In a log-y plot, items other than data curves live in log10 units.
        item = widget.getPlotItem()
        low, high = math.log10(VANISHING_NORM), math.log10(EXPLODING_NORM)
        floor = math.log10(LOG_FLOOR)
        vanishing = pg.LinearRegionItem((floor - 30, low), orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(86, 180, 233, 40), pen=pg.mkPen(None))
        exploding = pg.LinearRegionItem((high, high + 60), orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(213, 94, 0, 35), pen=pg.mkPen(None))
        for region in (vanishing, exploding):
            region.setZValue(-100)
            item.addItem(region, ignoreBounds=True)
        # Labels sit just inside their zone, at the left where early batches are.
        for pos, text, color, anchor in ((low, "vanishing zone (< 1e-6)", "#1f6f99", (0, 0)),
                                         (high, "exploding zone (> 1e3)", "#a33f00", (0, 1))):
            line = pg.InfiniteLine(pos=pos, angle=0, movable=False,
                                   pen=pg.mkPen(color, width=1, style=QtCore.Qt.PenStyle.DashLine),
                                   label=text, labelOpts={"position": 0.02, "color": color, "fill": (255, 255, 255, 200),
                                                          "anchors": [anchor, anchor]})
            line.setZValue(-50)
            item.addItem(line, ignoreBounds=True)

    def set_runs(self, runs: Sequence[RunSeries]) -> None:
        """One run: a colour per layer (a line style per weight). Several: colour names the run,
        line style the layer, and the legend lists runs and layers once each."""
        super().set_runs(runs)
        overlay = len(self.runs) > 1
        wanted: list[CurveSpec] = []
        legend: list[LegendEntry] = []
        styles: dict[str, Any] = {}
        group = "weight" if self._per_weight else "layer"
        for index, run in enumerate(self.runs):
            run_color = PALETTE[index % len(PALETTE)]
            if overlay:
                legend.append((legend_swatch(pen(run_color, 2.5)), run.label))
            names = ([(layer, f"{layer}/{weight}") for layer in run.layer_names
                      for weight in run.weight_names.get(layer, [])] if self._per_weight
                     else [(layer, layer) for layer in run.layer_names])
            for position, (layer, name) in enumerate(names):
                if run.series((group, name)) is None:
                    continue
                layer_index = run.layer_names.index(layer) if layer in run.layer_names else position
                weight = name.rpartition("/")[2] if self._per_weight else ""
                if overlay:
                    color, style = run_color, DASHES[position % len(DASHES)]
                    styles.setdefault(name, pen(STYLE_GREY, 1.5, style))
                else:
                    color = PALETTE[layer_index % len(PALETTE)]
                    style = WEIGHT_DASH.get(weight, DASHES[3 + position % 2]) if self._per_weight else DASHES[0]
                spec = CurveSpec(run, (group, name), name, pen(color, 1, style))
                wanted.append(spec)
                if not overlay:
                    legend.append((spec, name))
        legend.extend((legend_swatch(line), name) for name, line in styles.items())
        self._curves.show(wanted, legend)

    def redraw(self, force: bool) -> None:
        if force or self.plots["gradients"].isVisible():
            self._curves.redraw()
        self._update_hint()

    def _update_hint(self) -> None:
        # The verdicts read each shown run's latest batch: judge again only when one arrived.
        state = [(run.run_id, len(run.batch_loss)) for run in self.runs]
        if state == self._hint_state:
            return
        self._hint_state = state
        lines = []
        for run in self.runs:
            for verdict in gradient_verdicts(*run.latest_and_peak_norms(), run.project):
                if verdict.warning:
                    lines.append(f"{run.label}: {verdict.warning}" if len(self.runs) > 1 else verdict.warning)
        text = "\n".join(lines)
        if text != self.hint_label.text():
            self.hint_label.setText(text)
        self.hint_label.setVisible(bool(text))

    def drop_run(self, run_id: str) -> None:
        self._curves.drop_run(run_id)

    def csv_rows(self) -> tuple[list[str], list[list[Any]]]:
        return ["run", "series", "epoch", "gradient_norm"], self._curves.csv_rows()

    def hover_candidates(self, plot_name: str) -> list[Candidate]:
        return self._curves.hover_candidates(len(self.runs) > 1)

    def y_name(self, plot_name: str) -> str:
        return "norm"

    def _on_per_weight_changed(self, on: bool) -> None:
        self._per_weight = bool(on)
        self.layout_changed.emit()
