"""Live training plots: loss, per-layer gradient norms and gradient flow over time steps.

Events from the training worker only append to numpy buffers; a 15 Hz timer pushes the buffers
of the curves that changed into pyqtgraph (each curve is created once and updated with
``setData``), so a fast run costs the GUI thread a few setData calls per frame, not one per
batch. The same buffers back the hover read-out and the CSV export, so what is exported is
exactly what is drawn (gradient norms unclamped).

Nothing here imports TensorFlow or core.training: events and histories are read by attribute.
"""

from __future__ import annotations

import csv
import functools
import math
import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets
import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers ImageExporter under pg.exporters)

# Zero gradients (float32 underflow in a vanishing SimpleRNN) have no logarithm: they are drawn
# at this floor, and the axis label says so.
LOG_FLOOR = 1e-12
VANISHING = 1e-6
EXPLODING = 1e3
REDRAW_HZ = 15
# Gradient-flow profiles drawn at once for one run (the latest plus evenly spaced older ones);
# every profile is kept, and exported to CSV.
MAX_FLOW_CURVES = 8

TABS = ("loss", "gradients", "flow")
TAB_TITLES = {"loss": "Loss", "gradients": "Gradient norms", "flow": "Gradient flow"}

# Colour-blind-safe palette (Okabe-Ito, then Tableau) for layers and runs.
PALETTE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
    "#8C564B", "#7F7F7F", "#BCBD22",
)
TRAIN_COLOR = "#0072B2"
VAL_COLOR = "#D55E00"
DASHES = (
    QtCore.Qt.PenStyle.SolidLine,
    QtCore.Qt.PenStyle.DashLine,
    QtCore.Qt.PenStyle.DotLine,
    QtCore.Qt.PenStyle.DashDotLine,
    QtCore.Qt.PenStyle.DashDotDotLine,
)
WEIGHT_DASH = {"w_i": QtCore.Qt.PenStyle.SolidLine, "w_R": QtCore.Qt.PenStyle.DashLine,
               "bias": QtCore.Qt.PenStyle.DotLine}


# Points handed to a curve at most: about two per pixel column of a wide plot. Beyond that,
# pyqtgraph's own downsampling still walks every raw point on every setData (11 per-weight
# curves x 100,000 batches took ~36 ms a frame); a min/max per bucket done here in one numpy
# reduction keeps every spike visible and the redraw cost flat however long the run.
DRAW_POINTS = 4000


def peak_decimate(x: np.ndarray, y: np.ndarray, max_points: int = DRAW_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ~``max_points`` points that draw like ``(x, y)``: each bucket's min and max.

    NaN marks a gap; a bucket that holds only NaN stays NaN so the gap stays visible.
    """
    n = len(x)
    if n <= max_points:
        return x, y
    bucket = int(math.ceil(n / (max_points // 2)))
    buckets = n // bucket
    whole = buckets * bucket
    blocks = y[:whole].reshape(buckets, bucket)
    out_y = np.empty(2 * buckets + (n - whole), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out_y[0: 2 * buckets: 2] = np.fmin.reduce(blocks, axis=1)
        out_y[1: 2 * buckets: 2] = np.fmax.reduce(blocks, axis=1)
    out_y[2 * buckets:] = y[whole:]
    out_x = np.empty_like(out_y)
    starts = x[0:whole:bucket]
    out_x[0: 2 * buckets: 2] = starts
    out_x[1: 2 * buckets: 2] = x[bucket - 1: whole: bucket]
    out_x[2 * buckets:] = x[whole:]
    return out_x, out_y


class GrowingSeries:
    """x/y samples in numpy arrays that double when full: appends are amortised O(1).

    Besides the raw values (hover, CSV) it keeps what is drawn: non-finite values become NaN
    (a gap) and, on a log axis, values below ``floor`` (zeros) sit on the floor. Computing
    that per append keeps a redraw free of O(n) numpy work.

    ``x``/``y``/``shown`` are views of the filled part; written samples never change, so a view
    handed to pyqtgraph stays valid after the buffer grows.
    """

    __slots__ = ("_x", "_y", "_shown", "size", "dirty", "floor", "peak")

    def __init__(self, capacity: int = 64, floor: float | None = None):
        capacity = max(1, int(capacity))
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._shown = np.empty(capacity, dtype=np.float64)
        self.size = 0
        self.dirty = False
        self.floor = floor
        # Largest value so far (inf once a value was not finite): the exploding-zone hint reads
        # it without scanning a 100,000-batch buffer.
        self.peak = -math.inf

    def _reserve(self, needed: int) -> None:
        capacity = len(self._x)
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        for name in ("_x", "_y", "_shown"):
            old = getattr(self, name)
            new = np.empty(capacity, dtype=np.float64)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def _display(self, y):
        shown = np.where(np.isfinite(y), y, np.nan)
        if self.floor is not None:
            shown = np.where(np.isnan(shown), np.nan, np.maximum(shown, self.floor))
        return shown

    def append(self, x: float, y: float) -> None:
        if self.size == len(self._x):
            self._reserve(self.size + 1)
        i = self.size
        self._x[i] = x
        self._y[i] = y
        self.peak = max(self.peak, y) if math.isfinite(y) else math.inf
        if not math.isfinite(y):
            self._shown[i] = math.nan
        elif self.floor is not None and y < self.floor:
            self._shown[i] = self.floor
        else:
            self._shown[i] = y
        self.size = i + 1
        self.dirty = True

    def extend(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        xs = np.asarray(xs, dtype=np.float64).reshape(-1)
        ys = np.asarray(ys, dtype=np.float64).reshape(-1)
        n = min(len(xs), len(ys))
        self._reserve(self.size + n)
        end = self.size + n
        self._x[self.size: end] = xs[:n]
        self._y[self.size: end] = ys[:n]
        self._shown[self.size: end] = self._display(ys[:n])
        if n:
            self.peak = max(self.peak, float(np.max(ys[:n])) if np.isfinite(ys[:n]).all() else math.inf)
        self.size = end
        self.dirty = True

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.size]

    @property
    def shown(self) -> np.ndarray:
        return self._shown[: self.size]

    def __len__(self) -> int:
        return self.size

    def drawn(self, x_range: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """What a curve needs to show ``shown`` over ``x_range`` (all of it if None), decimated.

        x only grows (batches, epochs), so the visible slice is found by bisection.
        """
        x, y = self.x, self.shown
        if x_range is not None and self.size > DRAW_POINTS:
            # One point beyond each edge keeps the line running to the border of the view.
            start = max(0, int(np.searchsorted(x, x_range[0], side="left")) - 1)
            stop = min(self.size, int(np.searchsorted(x, x_range[1], side="right")) + 1)
            x, y = x[start:stop], y[start:stop]
        if len(y) and not np.isfinite(y).any():
            # Nothing drawable (a run that went NaN at once): pyqtgraph would warn on all-NaN data.
            return x[:0], y[:0]
        return peak_decimate(x, y)


@dataclass
class _Run:
    run_id: str
    label: str
    kind: str
    batches_per_epoch: int
    epochs: int
    layer_names: list[str]
    weight_names: dict[str, list[str]]
    batch_loss: GrowingSeries = field(default_factory=GrowingSeries)
    epoch_logs: dict[str, GrowingSeries] = field(default_factory=dict)
    layer_norms: dict[str, GrowingSeries] = field(default_factory=dict)
    weight_norms: dict[str, GrowingSeries] = field(default_factory=dict)  # "layer/w"
    flow: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (epoch number, profile)
    flow_dirty: bool = False

    @property
    def metric(self) -> str:
        return "accuracy" if self.kind == "classification" else "mae"

    def series(self, key: tuple[str, str]) -> GrowingSeries | None:
        group, name = key
        if group == "batch":
            return self.batch_loss
        if group == "epoch":
            return self.epoch_logs.get(name)
        if group == "layer":
            return self.layer_norms.get(name)
        return self.weight_norms.get(name)


def _fmt(value: float) -> str:
    if value is None or not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"


def _pen(color: str, width: float = 1.5, style=QtCore.Qt.PenStyle.SolidLine, alpha: int = 255):
    qcolor = QtGui.QColor(color)
    qcolor.setAlpha(alpha)
    pen = pg.mkPen(qcolor, width=width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


class StepAxis(pg.AxisItem):
    """An axis of whole numbers (time steps, epochs): no 1.5 or 0.1 ticks between them.

    ``fractions_when_sparse``: an epoch axis whose view holds fewer than two whole epochs (a run
    stopped in its first epoch) falls back to fractional ticks, which are real positions there;
    a time-step axis never does.
    """

    def __init__(self, *args, fractions_when_sparse: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._fractions_when_sparse = fractions_when_sparse

    def tickValues(self, minVal, maxVal, size):
        levels = [(spacing, [v for v in values if abs(v - round(v)) < 1e-9])
                  for spacing, values in super().tickValues(minVal, maxVal, size) if spacing >= 1]
        levels = [(spacing, values) for spacing, values in levels if values]
        if self._fractions_when_sparse and sum(len(values) for _, values in levels) < 2:
            return super().tickValues(minVal, maxVal, size)
        if not levels:
            # Less than one unit in view (one time step): label the whole numbers inside it.
            values = [float(v) for v in range(math.ceil(minVal), math.floor(maxVal) + 1)]
            levels = [(1.0, values)] if values else []
        return levels


class LogAxis(pg.AxisItem):
    """A log axis that labels decades only (0.001, 0.01, ..., 1e-6): pyqtgraph's default also
    labels the 2..9 minor ticks, which stacks a dozen labels per decade into an unreadable
    column and pushes the rotated axis title onto them."""

    _span = 0.0

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        self._span = float(maxVal - minVal)
        return super().logTickValues(minVal, maxVal, size, stdTicks)

    def logTickStrings(self, values, scale, spacing):
        strings = []
        for v in values:
            decade = abs(v - round(v)) < 1e-6
            mantissa = round(10 ** (v - math.floor(v + 1e-9)))
            # Within less than ~2 decades there are too few decade ticks to read a value: label
            # 2 and 5 as well.
            if decade or (spacing is None and self._span < 2 and mantissa in (2, 5)):
                strings.append(_decade_text(10.0 ** v * scale))
            else:
                strings.append("")
        return strings


def _decade_text(value: float) -> str:
    if 1e-3 <= value <= 1e3:
        return f"{value:g}"
    return _sci(value).replace("e+", "e")


def _style_plot(widget: pg.PlotWidget, x_label: str, y_label: str, log_y: bool = False) -> None:
    item = widget.getPlotItem()
    # No grid: its translucent lines doubled the paint time of a 100,000-batch plot, and the
    # hover read-out gives exact values.
    for side in ("left", "bottom"):
        axis = item.getAxis(side)
        # "(x0.001)" prefixes on an accuracy axis confuse more than they help.
        axis.enableAutoSIPrefix(False)
        axis.setPen(pg.mkPen("#444444"))
        axis.setTextPen(pg.mkPen("#222222"))
    item.setLabel("bottom", x_label, color="#222222")
    item.setLabel("left", y_label, color="#222222")
    item.setLogMode(x=False, y=log_y)
    item.setMenuEnabled(True)
    # Set here, not per curve: PlotItem.addItem overwrites a curve's own settings with these.
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    widget.setMinimumHeight(140)


GRADIENTS_CAPTION = (
    "How much each layer's weights are pushed after every batch: the norm of ∂loss/∂W, the lecture's "
    "\"change of e w.r.t. w\" that is multiplied by the learning rate. Blue band (below 1e-6): the weights "
    "barely change, the vanishing gradient. Orange band (above 1e3): they change drastically, the exploding "
    f"gradient. Tick \"Per weight\" to split a layer into w_i, w_R and bias. A zero is drawn at {LOG_FLOOR:g}.")
FLOW_CAPTION = (
    "Backpropagation through time (BPTT): the error at the output flows back through every time step, "
    "from the last to t=1. Each curve is ‖∂loss/∂x_t‖ at the end of one epoch (darker = later): how much "
    "the input at step t still moves the loss. A curve falling towards t=1 is the vanishing gradient: "
    f"early steps are forgotten. A zero is drawn at {LOG_FLOOR:g}.")
# What the lecture prescribes for each zone ("Issues and Solutions").
EXPLODING_HINT = "exploding: try clipping (Training › Gradient clipping) or the RMSprop optimizer"
VANISHING_HINT = "vanishing: try an LSTM or GRU cell, or the ReLU activation (Architecture)"
VANISHING_FLOW_HINT = "vanishing at early steps: try LSTM/GRU (Architecture › Cell) or the ReLU activation"
EXPLODING_FLOW_HINT = "exploding towards early steps: try clipping (Training › Gradient clipping) or RMSprop"
EMPTY_TEXT = {
    "loss": "The loss of every batch and epoch appears here.",
    "metric": "Accuracy (classes) or MAE (numbers) per epoch appears here.",
    "gradients": "The gradient norm of every layer appears here, batch by batch.",
    "flow": "The gradient at every time step appears here at the end of each epoch.",
}


def _caption(text: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555555;")
    return label


def _hint_label() -> QtWidgets.QLabel:
    label = QtWidgets.QLabel("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #a33f00; font-weight: bold;")
    label.hide()
    return label


def gradient_hint(layer_latest: dict[str, float], layer_peak: dict[str, float]) -> str:
    """The lecture's fix for the zone a run's gradient norms reached, or "".

    Exploding counts if any batch ever went above EXPLODING (or was not finite): the damage is
    done even if later batches calm down. Vanishing looks at the latest batch only: early
    batches of a healthy run can be tiny.
    """
    hints = []
    high = [layer for layer, peak in layer_peak.items() if not math.isfinite(peak) or peak > EXPLODING]
    if high:
        peaks = [layer_peak[layer] for layer in high]
        peak_text = "not finite" if not all(map(math.isfinite, peaks)) else f"up to {_sci(max(peaks))}"
        hints.append(f"{', '.join(high)} above {EXPLODING:g} ({peak_text}): {EXPLODING_HINT}")
    low = [layer for layer, value in layer_latest.items() if math.isfinite(value) and value < VANISHING]
    if low:
        hints.append(f"{', '.join(low)} below {VANISHING:g} at the latest batch: {VANISHING_HINT}")
    return "\n".join(hints)


def flow_hint(profile: np.ndarray) -> str:
    """The lecture's fix when the gradient reaching t=1 is a millionth of the one at the last step."""
    profile = np.asarray(profile, dtype=np.float64).reshape(-1)
    if len(profile) < 2:
        return ""
    first, last = float(profile[0]), float(profile[-1])
    if not (math.isfinite(first) and math.isfinite(last)):
        return "exploding, the gradient is not finite: " + EXPLODING_FLOW_HINT.split(": ", 1)[1]
    if last > 0 and first / last < VANISHING:
        return f"{VANISHING_FLOW_HINT} (t=1 gets {_sci(first / last)} × the gradient of t={len(profile)})"
    if first > 0 and last == 0:
        return ""
    if last > 0 and first / last > 1 / VANISHING:
        return f"{EXPLODING_FLOW_HINT} (t=1 gets {_sci(first / last)} × the gradient of t={len(profile)})"
    if last == 0 and first == 0:
        return f"no gradient reaches any step: {VANISHING_FLOW_HINT}"
    return ""


def _html_escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sci(value: float) -> str:
    """Two significant digits, exponents without padding: 3.2e-9, not 3.2e-09."""
    return f"{value:.2g}".replace("e-0", "e-").replace("e+0", "e+")


def _ratio_verdict(ratio: float) -> str:
    if ratio < 1e-2:
        return "vanishing"
    if ratio > 1e2:
        return "exploding toward early steps"
    return "flowing"


def flow_summary(profile: np.ndarray) -> str:
    """One line comparing the gradient at the first and the last time step of a profile."""
    profile = np.asarray(profile, dtype=np.float64).reshape(-1)
    steps = len(profile)
    if steps < 2:
        return "only one time step: nothing flows through time"
    first, last = float(profile[0]), float(profile[-1])
    if not (math.isfinite(first) and math.isfinite(last)):
        return "gradient is not finite (NaN or Inf): exploding"
    if last == 0:
        if first == 0:
            return f"gradient is 0 at t=1 and at t={steps}: nothing reaches the input"
        return f"gradient at t={steps} is 0 while at t=1 it is {_fmt(first)}"
    ratio = first / last
    if ratio == 0:
        return f"gradient at t=1 is 0 (underflow) × the one at t={steps}: vanishing"
    return f"gradient at t=1 is {_sci(ratio)} × the one at t={steps}: {_ratio_verdict(ratio)}"


class _Hover:
    """Crosshair and a label with the x, y of the data point nearest to the mouse."""

    def __init__(self, owner: "TrainingPlots", name: str, widget: pg.PlotWidget):
        self.owner = owner
        self.name = name
        self.widget = widget
        item = widget.getPlotItem()
        self.line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#888888", style=QtCore.Qt.PenStyle.DashLine))
        self.marker = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#222222"), brush=pg.mkBrush(255, 255, 255, 200))
        self.text = pg.TextItem("", color="#111111", fill=pg.mkBrush(255, 255, 255, 225),
                                border=pg.mkPen("#999999"), anchor=(0, 1))
        for extra in (self.line, self.marker, self.text):
            extra.setZValue(1000)
            # Straight into the ViewBox: PlotItem.addItem would list the marker among the data
            # curves (listDataItems), and it lives in view (log10) units anyway.
            item.getViewBox().addItem(extra, ignoreBounds=True)
        self.hide()
        # A move event per pixel is too many; 30 Hz is smooth enough to read values.
        self._proxy = pg.SignalProxy(widget.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)

    def hide(self) -> None:
        for extra in (self.line, self.marker, self.text):
            extra.hide()

    def _on_mouse_moved(self, args) -> None:
        self.update_at(args[0])

    def update_at(self, scene_pos: QtCore.QPointF) -> None:
        view = self.widget.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(scene_pos):
            self.hide()
            return
        nearest = self.owner._nearest_point(self.name, view, scene_pos)
        if nearest is None:
            self.hide()
            return
        label, x_text, x, y_raw, y_view = nearest
        self.line.setPos(x)
        self.marker.setData([x], [y_view])
        y_text = _fmt(y_raw)
        if self.owner._is_log(self.name) and y_raw <= LOG_FLOOR:
            y_text += f" (drawn at {LOG_FLOOR:g})"
        self.text.setText(f"{label}\n{x_text} = {_fmt(x)}, {self.owner._y_name(self.name)} = {y_text}")
        right_half = scene_pos.x() > view.sceneBoundingRect().center().x()
        self.text.setAnchor((1, 1) if right_half else (0, 1))
        self.text.setPos(x, y_view)
        for extra in (self.line, self.marker, self.text):
            extra.show()


class TrainingPlots(QtWidgets.QWidget):
    """Three tabs of live plots fed by training events, with hover values, PNG/CSV export and
    an overlay of several runs."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._runs: dict[str, _Run] = {}
        self._shown: list[str] = []
        self._per_weight = False
        # (run_id, plot name, series key) -> curve, created once and reused.
        self._curves: dict[tuple, pg.PlotDataItem] = {}
        # plot name -> [(curve key, legend name)] currently attached, in legend order.
        self._attached: dict[str, list[tuple[tuple, str]]] = {name: [] for name in ("loss", "metric", "gradients")}
        self._flow_attached: list[tuple[pg.PlotDataItem, str, str, np.ndarray]] = []  # item, run label, name, raw
        self._layout_dirty = False
        self._samples: list[pg.PlotDataItem] = []  # legend swatches of the overlay

        self._build_ui()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(int(1000 / REDRAW_HZ))
        self._timer.timeout.connect(self._redraw)

    # --- construction ---------------------------------------------------------------------

    def _build_ui(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._tabs = QtWidgets.QTabWidget()
        layout.addWidget(self._tabs)

        self._plots: dict[str, pg.PlotWidget] = {}
        self._legends: dict[str, pg.LegendItem] = {}
        self._status: dict[str, QtWidgets.QLabel] = {}
        self._export_buttons: dict[str, tuple[QtWidgets.QPushButton, QtWidgets.QPushButton]] = {}

        for tab in TABS:
            page = QtWidgets.QWidget()
            page_layout = QtWidgets.QVBoxLayout(page)
            page_layout.setContentsMargins(4, 4, 4, 4)
            page_layout.setSpacing(4)
            bar = QtWidgets.QHBoxLayout()
            bar.addStretch(1)
            if tab == "gradients":
                self._per_weight_box = QtWidgets.QCheckBox("Per weight (w_i, w_R, bias)")
                self._per_weight_box.setToolTip(
                    "Show the gradient norm of each weight matrix (input kernel w_i, recurrent kernel w_R, "
                    "bias) instead of one curve per layer.")
                self._per_weight_box.toggled.connect(self._on_per_weight_changed)
                bar.addWidget(self._per_weight_box)
            png = QtWidgets.QPushButton("Export PNG…")
            png.setToolTip(f"Save the {TAB_TITLES[tab].lower()} plot as an image")
            png.clicked.connect(functools.partial(self._on_export_clicked, tab, "png"))
            csv_button = QtWidgets.QPushButton("Export CSV…")
            csv_button.setToolTip(f"Save the data of the {TAB_TITLES[tab].lower()} plot as a CSV table")
            csv_button.clicked.connect(functools.partial(self._on_export_clicked, tab, "csv"))
            bar.addWidget(png)
            bar.addWidget(csv_button)
            self._export_buttons[tab] = (png, csv_button)
            page_layout.addLayout(bar)

            if tab == "loss":
                loss = self._make_plot("loss", "epoch", "loss")
                metric = self._make_plot("metric", "epoch", "accuracy (0–1)")
                metric.setXLink(loss)
                splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
                splitter.addWidget(loss)
                splitter.addWidget(metric)
                splitter.setStretchFactor(0, 3)
                splitter.setStretchFactor(1, 2)
                page_layout.addWidget(splitter, 1)
            elif tab == "gradients":
                grads = self._make_plot("gradients", "epoch (each batch drawn at its fraction of the epoch)",
                                        "gradient norm ‖∂loss/∂W‖ (log)", log_y=True)
                self._add_zones(grads)
                page_layout.addWidget(grads, 1)
                self.gradient_hint_label = _hint_label()
                page_layout.addWidget(self.gradient_hint_label)
                self.gradients_caption = _caption(GRADIENTS_CAPTION)
                page_layout.addWidget(self.gradients_caption)
            else:
                flow = self._make_plot("flow", "time step t", "‖∂loss/∂x_t‖ (log)", log_y=True)
                page_layout.addWidget(flow, 1)
                self.flow_ratio_label = QtWidgets.QLabel("")
                self.flow_ratio_label.setWordWrap(True)
                self.flow_ratio_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
                page_layout.addWidget(self.flow_ratio_label)
                self.flow_hint_label = _hint_label()
                page_layout.addWidget(self.flow_hint_label)
                self.flow_caption = _caption(FLOW_CAPTION)
                page_layout.addWidget(self.flow_caption)
                self._flow_pool: list[pg.PlotDataItem] = []

            status = QtWidgets.QLabel("")
            status.setObjectName(f"exportStatus_{tab}")
            status.setWordWrap(True)
            status.hide()
            self._status[tab] = status
            page_layout.addWidget(status)
            self._tabs.addTab(page, TAB_TITLES[tab])
        self._tabs.currentChanged.connect(self._on_tab_changed)

        self._hovers = {name: _Hover(self, name, widget) for name, widget in self._plots.items()}
        self._placeholders: dict[str, pg.TextItem] = {}
        for name, widget in self._plots.items():
            placeholder = pg.TextItem(EMPTY_TEXT[name], color="#777777", anchor=(0.5, 0.5))
            placeholder.setPos(0.5, 0.5)
            widget.getPlotItem().getViewBox().addItem(placeholder, ignoreBounds=True)
            self._placeholders[name] = placeholder
        self._was_empty = True
        self._update_empty_state()
        self._update_titles()

    def _make_plot(self, name: str, x_label: str, y_label: str, log_y: bool = False) -> pg.PlotWidget:
        # Epochs and time steps are whole numbers: ticks between them would be misread as data.
        widget = pg.PlotWidget(background="w", axisItems={
            "bottom": StepAxis(orientation="bottom", fractions_when_sparse=name != "flow"),
            "left": LogAxis(orientation="left") if log_y else pg.AxisItem(orientation="left")})
        _style_plot(widget, x_label, y_label, log_y)
        # Corners where the curves rarely are: loss falls, accuracy rises, and gradient-flow
        # profiles meet at the last step (top right) and spread out towards early steps.
        offset = {"loss": (-8, 8), "metric": (-8, -8), "gradients": (-8, 8), "flow": (-8, -8)}[name]
        legend = widget.getPlotItem().addLegend(
            offset=offset, brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#bbbbbb"),
            labelTextColor="#222222", labelTextSize="8pt", verSpacing=-4)
        self._legends[name] = legend
        self._plots[name] = widget
        if name != "flow":  # the flow plot draws one short profile per epoch: never decimated
            widget.getPlotItem().getViewBox().sigXRangeChanged.connect(
                functools.partial(self._on_x_range_changed, name))
        tab = "loss" if name in ("loss", "metric") else name
        menu = widget.getPlotItem().getViewBox().menu
        menu.addSeparator()
        menu.addAction("Export PNG…").triggered.connect(functools.partial(self._on_export_clicked, tab, "png"))
        menu.addAction("Export CSV…").triggered.connect(functools.partial(self._on_export_clicked, tab, "csv"))
        return widget

    def _add_zones(self, widget: pg.PlotWidget) -> None:
        # In a log-y plot, items other than data curves live in log10 units.
        item = widget.getPlotItem()
        low, high = math.log10(VANISHING), math.log10(EXPLODING)
        floor = math.log10(LOG_FLOOR)
        vanishing = pg.LinearRegionItem((floor - 30, low), orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(86, 180, 233, 40), pen=pg.mkPen(None))
        exploding = pg.LinearRegionItem((high, high + 60), orientation="horizontal", movable=False,
                                        brush=pg.mkBrush(213, 94, 0, 35), pen=pg.mkPen(None))
        for region in (vanishing, exploding):
            region.setZValue(-100)
            item.addItem(region, ignoreBounds=True)
        self._zone_lines = []
        # Labels sit just inside their zone, at the left where early batches are.
        for pos, text, color, anchor in ((low, "vanishing zone (< 1e-6)", "#1f6f99", (0, 0)),
                                         (high, "exploding zone (> 1e3)", "#a33f00", (0, 1))):
            line = pg.InfiniteLine(pos=pos, angle=0, movable=False,
                                   pen=pg.mkPen(color, width=1, style=QtCore.Qt.PenStyle.DashLine),
                                   label=text, labelOpts={"position": 0.02, "color": color, "fill": (255, 255, 255, 200),
                                                          "anchors": [anchor, anchor]})
            line.setZValue(-50)
            item.addItem(line, ignoreBounds=True)
            self._zone_lines.append(line)

    # --- public API ----------------------------------------------------------------------

    def plot_items(self) -> dict[str, pg.PlotWidget]:
        """The plot widgets by name: "loss", "metric" (accuracy or MAE), "gradients", "flow"."""
        return dict(self._plots)

    def shown_runs(self) -> list[str]:
        return list(self._shown)

    def run_ids(self) -> list[str]:
        return list(self._runs)

    def per_weight(self) -> bool:
        return self._per_weight

    def set_per_weight(self, on: bool) -> None:
        self._per_weight_box.setChecked(bool(on))

    def redraw_now(self) -> None:
        """Draw everything buffered now, hidden tabs included, instead of at the next tick."""
        self._redraw(everything=True)

    def hover_text(self, name: str) -> str:
        """The hover read-out of a plot ("" while the mouse is not over its data)."""
        hover = self._hovers[name]
        return hover.text.textItem.toPlainText() if hover.text.isVisible() else ""

    def begin_run(self, run_id: str, label: str, started: Any, kind: str) -> None:
        """Start plotting a new run (replacing any data under the same id) and show it alone."""
        self._drop_run_curves(run_id)
        weight_names = {layer: list(names) for layer, names in dict(started.weight_names).items()}
        run = _Run(run_id=run_id, label=label, kind=kind,
                   batches_per_epoch=max(1, int(started.batches_per_epoch)), epochs=int(started.epochs),
                   layer_names=list(started.layer_names), weight_names=weight_names)
        for layer in run.layer_names:
            run.layer_norms[layer] = GrowingSeries(floor=LOG_FLOOR)
            for weight in weight_names.get(layer, []):
                run.weight_norms[f"{layer}/{weight}"] = GrowingSeries(floor=LOG_FLOOR)
        self._runs[run_id] = run
        self.show_runs([run_id])

    def add_batch(self, run_id: str, event: Any) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        bpe = max(1, int(getattr(event, "batches_per_epoch", 0) or run.batches_per_epoch))
        run.batches_per_epoch = bpe
        # Epochs and batches count from 1 (core.training): batch b of epoch e ends at
        # e - 1 + b / bpe epochs, so an epoch's last batch lands on that epoch's marker.
        x = int(event.epoch) - 1 + int(event.batch) / bpe
        run.batch_loss.append(x, float(event.loss))
        for layer, value in dict(event.layer_norms).items():
            series = run.layer_norms.get(layer)
            if series is None:
                series = run.layer_norms[layer] = GrowingSeries(floor=LOG_FLOOR)
                run.layer_names.append(layer)
                self._layout_dirty = True
            series.append(x, float(value))
        for layer, weights in dict(event.weight_norms).items():
            for weight, value in dict(weights).items():
                key = f"{layer}/{weight}"
                series = run.weight_norms.get(key)
                if series is None:
                    series = run.weight_norms[key] = GrowingSeries(floor=LOG_FLOOR)
                    run.weight_names.setdefault(layer, []).append(weight)
                    self._layout_dirty = True
                series.append(x, float(value))
        self._schedule()

    def add_epoch(self, run_id: str, event: Any) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        number = int(event.epoch)
        for key, value in dict(event.logs).items():
            if value is None:
                continue
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            series = run.epoch_logs.get(key)
            if series is None:
                series = run.epoch_logs[key] = GrowingSeries()
                self._layout_dirty = True
            series.append(number, value)
        profile = getattr(event, "gradient_flow", None)
        if profile is not None and np.size(profile):
            run.flow.append((number, np.asarray(profile, dtype=np.float64).reshape(-1)))
            run.flow_dirty = True
        self._schedule()

    def load_history(self, run_id: str, label: str, history: Any, kind: str) -> None:
        """Rebuild a finished run's plots from its History (a reopened bundle looks the same)."""
        self._drop_run_curves(run_id)
        epochs = list(getattr(history, "epochs", []) or [])
        batch_loss = np.asarray(getattr(history, "batch_loss", []) or [], dtype=np.float64)
        layer_norms = dict(getattr(history, "layer_norms", {}) or {})
        weight_norms = dict(getattr(history, "weight_norms", {}) or {})
        bpe = getattr(history, "batches_per_epoch", None)
        if not bpe:
            # Exact for a run that finished its epochs; a stopped run's partial last epoch is
            # also in ``epochs``, which can place its batches slightly off.
            bpe = max(1, math.ceil(len(batch_loss) / len(epochs))) if epochs else max(1, len(batch_loss))
        bpe = int(bpe)
        weight_names: dict[str, list[str]] = {}
        for key in weight_norms:
            layer, _, weight = key.rpartition("/")
            weight_names.setdefault(layer, []).append(weight)
        run = _Run(run_id=run_id, label=label, kind=kind, batches_per_epoch=bpe, epochs=len(epochs),
                   layer_names=list(layer_norms), weight_names=weight_names)
        xs = np.arange(1, len(batch_loss) + 1, dtype=np.float64) / bpe
        run.batch_loss.extend(xs, batch_loss)
        for layer, values in layer_norms.items():
            values = np.asarray(values, dtype=np.float64)
            run.layer_norms[layer] = series = GrowingSeries(max(64, len(values)), floor=LOG_FLOOR)
            series.extend(np.arange(1, len(values) + 1) / bpe, values)
        for key, values in weight_norms.items():
            values = np.asarray(values, dtype=np.float64)
            run.weight_norms[key] = series = GrowingSeries(max(64, len(values)), floor=LOG_FLOOR)
            series.extend(np.arange(1, len(values) + 1) / bpe, values)
        for number, logs in enumerate(epochs, start=1):
            for key, value in dict(logs).items():
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    continue
                run.epoch_logs.setdefault(key, GrowingSeries()).append(number, value)
        for number, profile in enumerate(getattr(history, "gradient_flow", []) or [], start=1):
            if profile is not None and np.size(profile):
                run.flow.append((number, np.asarray(profile, dtype=np.float64).reshape(-1)))
        run.flow_dirty = True
        self._runs[run_id] = run
        self.show_runs([run_id])

    def show_runs(self, run_ids: Iterable[str]) -> None:
        """Overlay these runs (one colour each); an empty selection shows the latest run."""
        wanted = [rid for rid in dict.fromkeys(run_ids) if rid in self._runs]
        if not wanted and self._runs:
            wanted = [next(reversed(self._runs))]
        self._shown = wanted
        self._layout_dirty = True
        for rid in wanted:
            self._runs[rid].flow_dirty = True
        self._redraw()

    def remove_run(self, run_id: str) -> None:
        if run_id not in self._runs:
            return
        self._drop_run_curves(run_id)
        del self._runs[run_id]
        self.show_runs([rid for rid in self._shown if rid != run_id])

    def clear(self) -> None:
        for run_id in list(self._runs):
            self._drop_run_curves(run_id)
        self._runs.clear()
        self._shown = []
        self._layout_dirty = True
        self._redraw()

    # --- export ---------------------------------------------------------------------------

    def export_png(self, tab: str, path: str) -> None:
        """Write what the tab shows to a PNG image (the loss tab stacks loss over accuracy/MAE)."""
        self._redraw(everything=True)
        for hover in self._hovers.values():
            hover.hide()
        names = ("loss", "metric") if tab == "loss" else (tab,)
        images = []
        for name in names:
            widget = self._plots[name]
            exporter = pg.exporters.ImageExporter(widget.getPlotItem())
            width = max(320, int(widget.width()))
            exporter.parameters()["width"] = width
            images.append(exporter.export(toBytes=True))
        width = max(image.width() for image in images)
        height = sum(image.height() for image in images)
        combined = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
        combined.fill(QtGui.QColor("white"))
        painter = QtGui.QPainter(combined)
        top = 0
        for image in images:
            painter.drawImage(0, top, image)
            top += image.height()
        painter.end()
        if not combined.save(path, "PNG"):
            raise OSError(f"Could not write the image {path}: check the folder exists and is writable.")

    def csv_rows(self, tab: str) -> tuple[list[str], list[list[Any]]]:
        """Header and rows of the data the tab shows, one row per point (raw, unclamped values)."""
        self._redraw()
        rows: list[list[Any]] = []
        if tab == "loss":
            header = ["run", "series", "epoch", "value"]
            for name in ("loss", "metric"):
                for key, legend_name in self._attached[name]:
                    rows.extend(self._series_rows(key, legend_name))
        elif tab == "gradients":
            header = ["run", "series", "epoch", "gradient_norm"]
            for key, legend_name in self._attached["gradients"]:
                rows.extend(self._series_rows(key, legend_name))
        elif tab == "flow":
            # Every epoch's profile of the shown runs, also those the plot thins out.
            header = ["run", "series", "time_step", "gradient_norm"]
            for run_id in self._shown:
                run = self._runs[run_id]
                for number, profile in run.flow:
                    rows.extend([run.label, f"epoch {number}", t, float(v)] for t, v in enumerate(profile, start=1))
        else:
            raise ValueError(f"unknown plot tab {tab!r}; expected one of {', '.join(TABS)}")
        return header, rows

    def export_csv(self, tab: str, path: str) -> None:
        header, rows = self.csv_rows(tab)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    def _series_rows(self, key: tuple, legend_name: str) -> list[list[Any]]:
        run_id, _plot, series_key = key
        run = self._runs[run_id]
        series = run.series(series_key)
        if series is None:
            return []
        name = self._series_title(run, series_key)
        return [[run.label, name, float(x), float(y)] for x, y in zip(series.x, series.y)]

    def _on_export_clicked(self, tab: str, fmt: str, *_checked) -> None:
        title = TAB_TITLES[tab]
        suffix = "png" if fmt == "png" else "csv"
        default = f"{title.lower().replace(' ', '_')}.{suffix}"
        file_filter = "PNG image (*.png)" if fmt == "png" else "CSV table (*.csv)"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export {title} as {suffix.upper()}", default, file_filter)
        if not path:
            return
        if not path.lower().endswith("." + suffix):
            path += "." + suffix
        status = self._status[tab]
        try:
            if fmt == "png":
                self.export_png(tab, path)
            else:
                self.export_csv(tab, path)
        except OSError as exc:
            status.setStyleSheet("color: #b00020;")
            status.setText(f"Could not export to {path}: {exc.strerror or exc}")
        else:
            status.setStyleSheet("color: #2e7d32;")
            status.setText(f"Saved {path}")
        status.show()

    # --- drawing --------------------------------------------------------------------------

    def _on_x_range_changed(self, plot_name: str, view, _range) -> None:
        # A zoom or pan by the user: the curves must be decimated again for the new span.
        if view.autoRangeEnabled()[0]:
            return
        for key, _name in self._attached.get(plot_name, []):
            series = self._runs[key[0]].series(key[2]) if key[0] in self._runs else None
            if series is not None and len(series) > DRAW_POINTS:
                series.dirty = True
                self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _on_tab_changed(self, _index: int) -> None:
        self._redraw()

    def _on_per_weight_changed(self, on: bool) -> None:
        self._per_weight = bool(on)
        self._layout_dirty = True
        self._redraw()

    def _drop_run_curves(self, run_id: str) -> None:
        for key in [k for k in self._curves if k[0] == run_id]:
            curve = self._curves.pop(key)
            plot_name = key[1]
            self._plots[plot_name].getPlotItem().removeItem(curve)
            self._attached[plot_name] = [entry for entry in self._attached[plot_name] if entry[0] != key]

    def _is_log(self, name: str) -> bool:
        return name in ("gradients", "flow")

    def _y_name(self, name: str) -> str:
        return {"loss": "loss", "metric": self._metric_title(), "gradients": "norm", "flow": "norm"}[name]

    def _x_name(self, name: str) -> str:
        return "t" if name == "flow" else "epoch"

    def _metric_title(self) -> str:
        kinds = {self._runs[rid].kind for rid in self._shown}
        return "accuracy" if kinds == {"classification"} else "MAE" if kinds == {"regression"} else "metric"

    def _series_title(self, run: _Run, key: tuple[str, str]) -> str:
        group, name = key
        if group == "batch":
            return "batch loss"
        if group == "epoch":
            if name.startswith("val_"):
                return "val " + ("MAE" if name == "val_mae" else name[4:])
            return "train " + ("MAE" if name == "mae" else name)
        return name

    def _wanted_curves(self) -> tuple[dict[str, list], dict[str, list]]:
        """Per plot: curves to show as (key, legend name or "", pen, symbol) and the legend.

        One run: a legend entry per curve. Several runs: colour names the run and line style
        names the series, so the legend lists runs and styles (N + S entries, not N x S).
        """
        overlay = len(self._shown) > 1
        wanted: dict[str, list] = {"loss": [], "metric": [], "gradients": []}
        legend: dict[str, list] = {"loss": [], "metric": [], "gradients": []}
        styles: dict[str, dict[str, Any]] = {"loss": {}, "metric": {}, "gradients": {}}
        grey = "#555555"
        for index, run_id in enumerate(self._shown):
            run = self._runs[run_id]
            run_color = PALETTE[index % len(PALETTE)]
            train_color = run_color if overlay else TRAIN_COLOR
            val_color = run_color if overlay else VAL_COLOR
            key = (run_id, "loss", ("batch", ""))
            wanted["loss"].append((key, "batch loss", _pen(train_color, 1, alpha=90), None))
            if not overlay:
                legend["loss"].append((key, "batch loss"))
            for plot, keys in (("loss", ("loss", "val_loss")), ("metric", (run.metric, "val_" + run.metric))):
                for key in keys:
                    if key not in run.epoch_logs:
                        continue
                    is_val = key.startswith("val_")
                    color = val_color if is_val else train_color
                    style = DASHES[1] if (overlay and is_val) else DASHES[0]
                    symbol = "s" if is_val else "o"
                    curve_key = (run_id, plot, ("epoch", key))
                    title = self._series_title(run, ("epoch", key))
                    wanted[plot].append((curve_key, title, _pen(color, 2.0, style), (symbol, color)))
                    if not overlay:
                        legend[plot].append((curve_key, title))
                    else:
                        styles[plot].setdefault("validation" if is_val else "training",
                                                (_pen(grey, 2.0, style), (symbol, grey)))
            if overlay:
                for plot in ("loss", "metric"):
                    legend[plot].append((self._sample(_pen(run_color, 2.5), None), run.label))
                legend["gradients"].append((self._sample(_pen(run_color, 2.5), None), run.label))
            names = ([(layer, f"{layer}/{weight}") for layer in run.layer_names
                      for weight in run.weight_names.get(layer, [])] if self._per_weight
                     else [(layer, layer) for layer in run.layer_names])
            group = "weight" if self._per_weight else "layer"
            for position, (layer, name) in enumerate(names):
                if run.series((group, name)) is None:
                    continue
                layer_index = run.layer_names.index(layer) if layer in run.layer_names else position
                weight = name.rpartition("/")[2] if self._per_weight else ""
                if overlay:
                    color, style = run_color, DASHES[position % len(DASHES)]
                    styles["gradients"].setdefault(name, (_pen(grey, 1.5, style), None))
                else:
                    color = PALETTE[layer_index % len(PALETTE)]
                    style = WEIGHT_DASH.get(weight, DASHES[3 + position % 2]) if self._per_weight else DASHES[0]
                curve_key = (run_id, "gradients", (group, name))
                wanted["gradients"].append((curve_key, name, _pen(color, 1, style), None))
                if not overlay:
                    legend["gradients"].append((curve_key, name))
        for plot, entries in styles.items():
            for name, (pen, symbol) in entries.items():
                legend[plot].append((self._sample(pen, symbol), name))
        return wanted, legend

    def _sample(self, pen, symbol) -> pg.PlotDataItem:
        """A curve that is never plotted, only shown as a legend swatch."""
        sample = pg.PlotDataItem(pen=pen)
        if symbol is not None:
            sample.setSymbol(symbol[0])
            sample.setSymbolSize(6)
            sample.setSymbolBrush(pg.mkBrush(symbol[1]))
            sample.setSymbolPen(pg.mkPen(symbol[1]))
        self._samples.append(sample)
        return sample

    def _curve(self, key: tuple) -> pg.PlotDataItem:
        curve = self._curves.get(key)
        if curve is None:
            curve = pg.PlotDataItem(connect="finite")
            if key[2][0] != "epoch":
                # Downsampling and clipping are set on the PlotItem (it overrides its items'
                # settings when they are added). Peak mode already keeps a min and a max per bucket; one bucket per pixel
                # (pyqtgraph's default is five) keeps 100,000 batches at ~2 points per pixel.
                curve.opts["autoDownsampleFactor"] = 1.0
            self._curves[key] = curve
        return curve

    def _relayout(self) -> None:
        self._layout_dirty = False
        self._samples = []
        wanted, legend_entries = self._wanted_curves()
        for plot_name, entries in wanted.items():
            item = self._plots[plot_name].getPlotItem()
            keep = {entry[0] for entry in entries}
            for key, _name in self._attached[plot_name]:
                if key not in keep and key in self._curves:
                    item.removeItem(self._curves[key])
            attached_before = {key for key, _ in self._attached[plot_name]}
            self._attached[plot_name] = []
            for key, name, pen, symbol in entries:
                curve = self._curve(key)
                curve.setPen(pen)
                if symbol is not None:
                    curve.setSymbol(symbol[0])
                    curve.setSymbolSize(6)
                    curve.setSymbolBrush(pg.mkBrush(symbol[1]))
                    curve.setSymbolPen(pg.mkPen(symbol[1]))
                if key not in attached_before:
                    # A curve removed earlier still clips to a view it no longer has: re-adding
                    # it would make pyqtgraph ask the PlotWidget for autoRangeEnabled and fail.
                    # addItem turns clipping back on from the plot's settings.
                    curve.setClipToView(False)
                    item.addItem(curve)
                    series = self._runs[key[0]].series(key[2])
                    if series is not None:
                        series.dirty = True
                self._attached[plot_name].append((key, name))
        for plot_name, entries in legend_entries.items():
            legend = self._legends[plot_name]
            legend.clear()
            legend.setColumnCount(2 if len(entries) > 6 else 1)
            for what, name in entries:
                legend.addItem(self._curves[what] if isinstance(what, tuple) else what, name)
            # An empty legend is still drawn as a small box: hide it until it lists something.
            legend.setVisible(bool(entries))
        self._update_empty_state()
        self._update_titles()
        self._update_y_labels()

    def _update_gradient_hint(self) -> None:
        lines = []
        for run_id in self._shown:
            run = self._runs[run_id]
            latest = {layer: float(series.y[-1]) for layer, series in run.layer_norms.items() if series.size}
            peak = {layer: series.peak for layer, series in run.layer_norms.items() if series.size}
            hint = gradient_hint(latest, peak)
            if hint:
                lines.extend(f"{run.label}: {line}" if len(self._shown) > 1 else line for line in hint.split("\n"))
        text = "\n".join(lines)
        if text != self.gradient_hint_label.text():
            self.gradient_hint_label.setText(text)
        self.gradient_hint_label.setVisible(bool(text))

    def _update_empty_state(self) -> None:
        """Before any run: no tick numbers (an empty axis showed 0.1 ... 0.9 epochs), no legend
        box, and a line in each plot saying what will appear there."""
        empty = not self._shown
        for name, widget in self._plots.items():
            item = widget.getPlotItem()
            for side in ("left", "bottom"):
                item.getAxis(side).setStyle(showValues=not empty, tickLength=0 if empty else 5)
            placeholder = self._placeholders[name]
            placeholder.setVisible(empty)
            if empty:
                self._legends[name].setVisible(False)
                item.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            elif self._was_empty:
                item.enableAutoRange()
        self._was_empty = empty

    def is_empty_state(self) -> bool:
        """True while the plots show their empty-state text (no run to draw)."""
        return not self._shown

    def _update_titles(self) -> None:
        # The title is part of the plot, so an exported PNG says which run it shows.
        if not self._shown:
            text = "No run yet: press Train to see live plots"
        elif len(self._shown) == 1:
            text = self._runs[self._shown[0]].label
        else:
            text = f"Comparing {len(self._shown)} runs (colour = run)"
        for name in ("loss", "gradients", "flow"):
            self._plots[name].getPlotItem().setTitle(_html_escape(text), color="#222222", size="10pt")

    def _update_y_labels(self) -> None:
        kinds = {self._runs[rid].kind for rid in self._shown}
        metric = self._plots["metric"].getPlotItem()
        loss = self._plots["loss"].getPlotItem()
        if kinds == {"regression"}:
            metric.setLabel("left", "MAE (normalised target units)", color="#222222")
            loss.setLabel("left", "loss (mean squared error)", color="#222222")
        elif kinds == {"classification"}:
            metric.setLabel("left", "accuracy (0–1)", color="#222222")
            loss.setLabel("left", "loss (cross-entropy)", color="#222222")
        else:
            metric.setLabel("left", "accuracy / MAE", color="#222222")
            loss.setLabel("left", "loss", color="#222222")

    def _redraw(self, everything: bool = False) -> None:
        if self._layout_dirty:
            self._relayout()
        for plot_name, entries in self._attached.items():
            # Curves on a hidden tab stay dirty until it is shown: drawing them costs time the
            # visible plot needs.
            if not everything and not self._plots[plot_name].isVisible() and self.isVisible():
                continue
            view = self._plots[plot_name].getPlotItem().getViewBox()
            # While the view follows the data it must get all of it (or it would never grow);
            # once the user zooms or pans, only the part in view is decimated.
            x_range = None if view.autoRangeEnabled()[0] else tuple(view.viewRange()[0])
            for key, _name in entries:
                series = self._runs[key[0]].series(key[2])
                if series is None or not series.dirty:
                    continue
                self._curves[key].setData(*series.drawn(x_range))
                series.dirty = False
        flow_visible = everything or self._plots["flow"].isVisible() or not self.isVisible()
        if flow_visible and (any(self._runs[rid].flow_dirty for rid in self._shown)
                             or (not self._shown and self._flow_attached)):
            self._redraw_flow()
        self._update_gradient_hint()
        if self._timer.isActive() and not self._layout_dirty:
            self._timer.stop()

    def _redraw_flow(self) -> None:
        plot = self._plots["flow"].getPlotItem()
        legend = self._legends["flow"]
        legend.clear()
        overlay = len(self._shown) > 1
        drawn: list[tuple[np.ndarray, str, Any, str, str, np.ndarray]] = []
        summaries: list[str] = []
        for index, run_id in enumerate(self._shown):
            run = self._runs[run_id]
            run.flow_dirty = False
            if not run.flow:
                continue
            if overlay:
                number, profile = run.flow[-1]
                drawn.append((profile, f"{run.label} · epoch {number}",
                              _pen(PALETTE[index % len(PALETTE)], 2.5), run.label, f"epoch {number}", profile))
            else:
                picks = self._pick_epochs(len(run.flow))
                for rank, flow_index in enumerate(picks):
                    number, profile = run.flow[flow_index]
                    latest = rank == len(picks) - 1
                    # Older epochs fade from pale to the deep colour of the latest, which is bold.
                    share = (rank + 1) / len(picks)
                    color = _mix("#c6dbef", "#08306b", share)
                    pen = _pen(color, 3.0 if latest else 1.2)
                    drawn.append((profile, f"epoch {number}", pen, run.label, f"epoch {number}", profile))
            number, profile = run.flow[-1]
            prefix = f"{run.label}, epoch {number}: " if overlay else f"Epoch {number}: "
            summaries.append(prefix + flow_summary(profile))
        while len(self._flow_pool) < len(drawn):
            curve = pg.PlotDataItem(connect="finite")
            self._flow_pool.append(curve)
        self._flow_attached = []
        # Latest last so it is painted on top.
        for curve, (profile, name, pen, run_label, series_name, raw) in zip(self._flow_pool, drawn):
            if curve.scene() is None:
                # Same pyqtgraph trap as in _relayout: a pooled curve removed earlier (fewer runs
                # selected) fails on re-adding while it still clips to its old view.
                curve.setClipToView(False)
                plot.addItem(curve)
            steps = np.arange(1, len(profile) + 1, dtype=np.float64)
            shown = np.where(np.isfinite(profile), np.maximum(profile, LOG_FLOOR), np.nan)
            curve.setData(steps, shown)
            curve.setPen(pen)
            legend.addItem(curve, name)
            self._flow_attached.append((curve, run_label, series_name, raw))
        for curve in self._flow_pool[len(drawn):]:
            if curve.scene() is not None:
                plot.removeItem(curve)
        legend.setVisible(bool(drawn))
        hints = []
        for run_id in self._shown:
            run = self._runs[run_id]
            hint = flow_hint(run.flow[-1][1]) if run.flow else ""
            if hint:
                hints.append(f"{run.label}: {hint}" if overlay else hint)
        self.flow_hint_label.setText("\n".join(hints))
        self.flow_hint_label.setVisible(bool(hints))
        if summaries:
            self.flow_ratio_label.setText("\n".join(summaries))
        else:
            self.flow_ratio_label.setText("The profile appears at the end of each epoch." if self._shown else "")

    @staticmethod
    def _pick_epochs(count: int) -> list[int]:
        if count <= MAX_FLOW_CURVES:
            return list(range(count))
        picks = np.linspace(0, count - 1, MAX_FLOW_CURVES).round().astype(int)
        return sorted(set(int(p) for p in picks))

    # --- hover ----------------------------------------------------------------------------

    def _hover_candidates(self, name: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
        if name == "flow":
            return [(f"{run_label}, {series_name}" if len(self._shown) > 1 else series_name,
                     np.arange(1, len(raw) + 1, dtype=np.float64), raw)
                    for _curve, run_label, series_name, raw in self._flow_attached]
        candidates = []
        overlay = len(self._shown) > 1
        for key, legend_name in self._attached.get(name, []):
            run = self._runs[key[0]]
            series = run.series(key[2])
            if series is None or not series.size:
                continue
            candidates.append((f"{run.label} · {legend_name}" if overlay else legend_name, series.x, series.y))
        return candidates

    def _nearest_point(self, name: str, view: pg.ViewBox, scene_pos: QtCore.QPointF):
        mouse = view.mapSceneToView(scene_pos)
        log = self._is_log(name)
        best = None
        for label, xs, ys in self._hover_candidates(name):
            index = int(np.searchsorted(xs, mouse.x()))
            for i in (index - 1, index):
                if not 0 <= i < len(xs):
                    continue
                y_raw = float(ys[i])
                if not math.isfinite(y_raw):
                    continue
                y_view = math.log10(max(y_raw, LOG_FLOOR)) if log else y_raw
                point = view.mapViewToScene(QtCore.QPointF(float(xs[i]), y_view))
                distance = math.hypot(point.x() - scene_pos.x(), point.y() - scene_pos.y())
                if best is None or distance < best[0]:
                    best = (distance, label, self._x_name(name), float(xs[i]), y_raw, y_view)
        return None if best is None else best[1:]


def _mix(start: str, end: str, share: float) -> str:
    a, b = QtGui.QColor(start), QtGui.QColor(end)
    share = min(1.0, max(0.0, share))
    mixed = QtGui.QColor(
        round(a.red() + (b.red() - a.red()) * share),
        round(a.green() + (b.green() - a.green()) * share),
        round(a.blue() + (b.blue() - a.blue()) * share),
    )
    return mixed.name()
