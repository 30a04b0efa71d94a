"""The histogram half of the Weight health tab: one layer's weights or gradients at a chosen epoch.

core.weight_health records one histogram per layer and epoch, in equal bins over [-m, m] where m
is that epoch's largest |value|, so each epoch's shape shows whatever its scale. The view draws
the chosen epoch as bars and, if asked, the first recorded epoch as an outline: how far training
moved the weights from where they started, or how the gradients shrank or grew.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from desktop_app.plots.buffers import RunSeries
from desktop_app.plots.hover import Candidate, Crosshair
from desktop_app.plots.style import PALETTE, pen, style_axes

# Combo text -> the History field that holds it.
KINDS = {"weights": "weight_histograms", "gradients": "gradient_histograms"}
KIND_TIPS = {"weights": "The values of the layer's weights (all its matrices and biases together)",
             "gradients": "∂loss/∂W of the layer's weights on the probe batch at the epoch's end"}
BAR_COLOR = PALETTE[0]
OUTLINE_COLOR = PALETTE[1]


def histograms_of(run: RunSeries, kind: str) -> list[dict[str, dict[str, Any]]]:
    """Per epoch (from epoch 1), layer key -> histogram of ``kind`` ("weights" or "gradients")."""
    return getattr(run.health, KINDS[kind])


def bar_edges(histogram: dict[str, Any]) -> np.ndarray:
    return np.linspace(float(histogram["lo"]), float(histogram["hi"]), len(histogram["counts"]) + 1)


class HistogramView(QtWidgets.QWidget):
    """Choose weights or gradients, the layer (and the run when several are shown) and the epoch."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.runs: list[RunSeries] = []
        self._epochs: list[int] = []  # epochs with a histogram for the current choice
        self._follow = True  # the slider stays on the newest epoch until the user moves it
        self._shown: list[Candidate] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)

        choices = QtWidgets.QHBoxLayout()
        choices.addWidget(QtWidgets.QLabel("Histogram of"))
        self.kind_combo = QtWidgets.QComboBox()
        for index, kind in enumerate(KINDS):
            self.kind_combo.addItem(kind, kind)
            self.kind_combo.setItemData(index, KIND_TIPS[kind], QtCore.Qt.ItemDataRole.ToolTipRole)
        self.kind_combo.setToolTip("Weights: the values of the layer's weights. Gradients: how much the loss "
                                   "pushes each of them, on the probe batch at the end of the epoch")
        choices.addWidget(self.kind_combo)
        choices.addWidget(QtWidgets.QLabel("of layer"))
        self.layer_combo = QtWidgets.QComboBox()
        self.layer_combo.setToolTip("All the weights of this layer together (w_i, w_R and bias of a recurrent layer)")
        choices.addWidget(self.layer_combo)
        self.run_label = QtWidgets.QLabel("in run")
        choices.addWidget(self.run_label)
        self.run_combo = QtWidgets.QComboBox()
        self.run_combo.setToolTip("Several runs are shown: the histogram is of this one")
        choices.addWidget(self.run_combo)
        self.outline_box = QtWidgets.QCheckBox("Outline the first epoch")
        self.outline_box.setToolTip("Draw the first recorded epoch's histogram as an outline, to compare")
        choices.addWidget(self.outline_box)
        choices.addStretch(1)
        layout.addLayout(choices)

        slider_row = QtWidgets.QHBoxLayout()
        slider_row.addWidget(QtWidgets.QLabel("Epoch"))
        self.epoch_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.epoch_slider.setPageStep(1)
        self.epoch_slider.setToolTip("Drag to see the histogram at another epoch; at the right end it follows "
                                     "training epoch by epoch")
        slider_row.addWidget(self.epoch_slider, 1)
        self.epoch_label = QtWidgets.QLabel("")
        self.epoch_label.setMinimumWidth(170)
        slider_row.addWidget(self.epoch_label)
        layout.addLayout(slider_row)

        self.plot = pg.PlotWidget(background="w")
        item = self.plot.getPlotItem()
        style_axes(item, "value (equal bins from −largest |value| to +largest)", "count")
        item.setMenuEnabled(False)
        # No title: the choices above say what it shows, and on a short screen every pixel of the
        # plot's height goes to the bars.
        self.plot.setMinimumHeight(100)
        self.bars = pg.BarGraphItem(x0=[0.0], x1=[1.0], y0=[0.0], height=[0.0], brush=pg.mkBrush(BAR_COLOR),
                                    pen=pg.mkPen("#ffffff"))
        self.outline = pg.PlotDataItem(stepMode="center", pen=pen(OUTLINE_COLOR, 2))
        for drawn in (self.bars, self.outline):
            item.addItem(drawn)
            drawn.hide()
        self.hover = Crosshair(self.plot, lambda: self._shown, x_name="value", y_name=lambda: "count")
        layout.addWidget(self.plot, 1)
        self.message = QtWidgets.QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555555;")
        layout.addWidget(self.message)

        self.kind_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.layer_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.run_combo.currentIndexChanged.connect(self._on_choice_changed)
        self.outline_box.toggled.connect(lambda _on: self._draw())
        self.epoch_slider.valueChanged.connect(self._on_epoch_moved)
        self.set_runs([])

    # --- public API ------------------------------------------------------------------------

    def set_runs(self, runs: Sequence[RunSeries]) -> None:
        """The runs shown in the tab; the run combo offers those with histograms when there are several."""
        self.runs = [run for run in runs if any(run.health.weight_histograms) or any(run.health.gradient_histograms)]
        labels = [run.label for run in self.runs]
        if labels != [self.run_combo.itemText(i) for i in range(self.run_combo.count())]:
            _refill(self.run_combo, labels, keep=self.run_combo.currentText())
        several = len(self.runs) > 1
        self.run_label.setVisible(several)
        self.run_combo.setVisible(several)
        self.refresh()

    def refresh(self) -> None:
        """Take in epochs that arrived since the last call (live training) and draw."""
        run = self.run()
        histograms = histograms_of(run, self.kind()) if run is not None else []
        layers = list(dict.fromkeys(layer for epoch in histograms for layer in epoch))
        if layers != [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())]:
            _refill(self.layer_combo, layers, keep=self.layer_combo.currentText())
        layer = self.layer_combo.currentText()
        shown = self.epoch()
        self._epochs = [number for number, epoch in enumerate(histograms, start=1) if layer in epoch]
        blocker = QtCore.QSignalBlocker(self.epoch_slider)
        self.epoch_slider.setRange(0, max(0, len(self._epochs) - 1))
        if self._follow or shown not in self._epochs:
            self.epoch_slider.setValue(self.epoch_slider.maximum())
        else:
            self.epoch_slider.setValue(self._epochs.index(shown))
        del blocker
        self.epoch_slider.setEnabled(len(self._epochs) > 1)
        self._draw()

    def run(self) -> RunSeries | None:
        if not self.runs:
            return None
        return self.runs[min(max(0, self.run_combo.currentIndex()), len(self.runs) - 1)]

    def kind(self) -> str:
        return self.kind_combo.currentData() or "weights"

    def epoch(self) -> int:
        """The epoch shown (0 when there is none)."""
        if not self._epochs:
            return 0
        return self._epochs[min(self.epoch_slider.value(), len(self._epochs) - 1)]

    def epochs(self) -> list[int]:
        return list(self._epochs)

    def choose(self, kind: str | None = None, layer: str | None = None, run_label: str | None = None) -> None:
        """Pick what to show, as a user choosing in the combos would."""
        for combo, text in ((self.kind_combo, kind), (self.run_combo, run_label), (self.layer_combo, layer)):
            if text is not None:
                combo.setCurrentIndex(combo.findText(text))

    def hover_text(self) -> str:
        return self.hover.shown_text()

    # --- drawing ---------------------------------------------------------------------------

    def _histogram(self, epoch: int) -> dict[str, Any] | None:
        run = self.run()
        if run is None or epoch < 1:
            return None
        histograms = histograms_of(run, self.kind())
        return histograms[epoch - 1].get(self.layer_combo.currentText()) if epoch <= len(histograms) else None

    def _draw(self) -> None:
        epoch = self.epoch()
        histogram = self._histogram(epoch)
        self._shown = []
        if histogram is None or not histogram["counts"]:
            self.bars.hide()
            self.outline.hide()
            self.epoch_label.setText("")
            self.message.setText(self._why_nothing())
            return
        edges = bar_edges(histogram)
        counts = np.asarray(histogram["counts"], dtype=np.float64)
        self.bars.setOpts(x0=edges[:-1], x1=edges[1:], y0=np.zeros(len(counts)), height=counts)
        self.bars.show()
        centres = (edges[:-1] + edges[1:]) / 2
        self._shown.append((f"epoch {epoch}", centres, counts))
        first = self._epochs[0]
        outline = self._histogram(first) if self.outline_box.isChecked() and first != epoch else None
        if outline is not None and outline["counts"]:
            first_edges = bar_edges(outline)
            first_counts = np.asarray(outline["counts"], dtype=np.float64)
            self.outline.setData(first_edges, first_counts)
            self.outline.show()
            self._shown.append((f"epoch {first} (outline)", (first_edges[:-1] + first_edges[1:]) / 2, first_counts))
        else:
            self.outline.hide()
        self.epoch_label.setText(f"epoch {epoch} (of {self._epochs[-1]} recorded)")
        dropped = int(histogram.get("nonfinite", 0))
        self.message.setText(f"{dropped} values were not finite (NaN or infinite) and are not drawn."
                             if dropped else "")

    def _why_nothing(self) -> str:
        run = self.run()
        if run is None:
            return "The histograms appear at the end of each epoch."
        return f"No {self.kind()} histograms were recorded for {run.label}."

    def _on_choice_changed(self, _index: int) -> None:
        self._follow = True
        self.refresh()

    def _on_epoch_moved(self, value: int) -> None:
        self._follow = value >= self.epoch_slider.maximum()
        self._draw()


def _refill(combo: QtWidgets.QComboBox, texts: list[str], keep: str) -> None:
    """Put ``texts`` in ``combo``, keeping ``keep`` chosen when it is still there."""
    blocker = QtCore.QSignalBlocker(combo)
    combo.clear()
    combo.addItems(texts)
    combo.setCurrentIndex(texts.index(keep) if keep in texts else 0)
    del blocker
