"""The numbers behind the plots, in numpy only: growing series, decimation and one run's series.

Training events only append here; the plots read these buffers on a timer. The same buffers back
the hover read-out and the CSV export, so what is exported is exactly what is drawn (gradient
norms unclamped).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.formatting import as_number
from core.history import BatchEnd, EpochEnd, History, RunStarted

# Zero gradients (float32 underflow in a vanishing SimpleRNN) have no logarithm: they are drawn
# at this floor, and the captions say so.
LOG_FLOOR = 1e-12

# Points handed to a curve at most when the plot's width is not known. A plot asks for two per
# pixel column (``SeriesCurves``): pyqtgraph's own downsampling would walk every raw point on
# every setData (11 per-weight curves x 100,000 batches took ~36 ms a frame), and Qt's raster
# drawPath costs in proportion to the pixels each line covers, so more points than pixels only
# cost time. A min and a max per bucket keep every spike visible.
DRAW_POINTS = 4000

# A series of a run: ("batch", ""), ("epoch", "val_loss"), ("layer", "rnn_1") or
# ("weight", "rnn_1/w_R").
SeriesKey = tuple[str, str]


def peak_decimate(x: np.ndarray, y: np.ndarray, max_points: int = DRAW_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ~``max_points`` points that draw like ``(x, y)``: each bucket's min and max.

    NaN marks a gap; a bucket that holds only NaN stays NaN so the gap stays visible.
    """
    n = len(x)
    if n <= max_points:
        return x, y
    bucket = int(math.ceil(n / max(1, max_points // 2)))
    buckets = n // bucket
    whole = buckets * bucket
    blocks = y[:whole].reshape(buckets, bucket)
    with np.errstate(invalid="ignore"):
        lows, highs = np.fmin.reduce(blocks, axis=1), np.fmax.reduce(blocks, axis=1)
    return _bucket_points(x, y, bucket, lows, highs)


def _bucket_points(x: np.ndarray, y: np.ndarray, bucket: int, lows: np.ndarray,
                   highs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two points per whole bucket of ``bucket`` samples (``lows``, ``highs``), at its first and
    last x, then the samples after the last whole bucket as they are.

    Even buckets go low then high, odd ones high then low: the line climbs one pixel column and
    descends the next instead of retracing each column, which halves what Qt strokes.
    """
    count = len(lows)
    whole = count * bucket
    out_x = np.empty(2 * count + len(x) - whole, dtype=np.float64)
    out_y = np.empty_like(out_x)
    out_x[0:2 * count:2] = x[0:whole:bucket]
    out_x[1:2 * count:2] = x[bucket - 1:whole:bucket]
    out_y[0:2 * count:4], out_y[1:2 * count:4] = lows[0::2], highs[0::2]
    out_y[2:2 * count:4], out_y[3:2 * count:4] = highs[1::2], lows[1::2]
    out_x[2 * count:], out_y[2 * count:] = x[whole:], y[whole:]
    return out_x, out_y


class _PeakCache:
    """The min and max of every whole bucket of ``size`` samples of a growing series: a redraw
    reduces only the samples that arrived since the last one (and all of them again only when
    the series has grown enough to need wider buckets)."""

    __slots__ = ("size", "lows", "highs")

    def __init__(self, size: int):
        self.size = size
        self.lows = np.empty(0, dtype=np.float64)
        self.highs = np.empty(0, dtype=np.float64)

    def extend(self, values: np.ndarray) -> None:
        done = len(self.lows)
        whole = len(values) // self.size
        if whole > done:
            blocks = values[done * self.size: whole * self.size].reshape(whole - done, self.size)
            with np.errstate(invalid="ignore"):
                self.lows = np.concatenate([self.lows, np.fmin.reduce(blocks, axis=1)])
                self.highs = np.concatenate([self.highs, np.fmax.reduce(blocks, axis=1)])


class GrowingSeries:
    """x/y samples in numpy arrays that double when full: appends are amortised O(1).

    Besides the raw values (hover, CSV) it keeps what is drawn: non-finite values become NaN
    (a gap) and, on a log axis, values below ``floor`` (zeros) sit on the floor. Computing
    that per append keeps a redraw free of O(n) numpy work.

    ``x``/``y``/``shown`` are views of the filled part; written samples never change, so a view
    handed to pyqtgraph stays valid after the buffer grows.
    """

    __slots__ = ("_x", "_y", "_shown", "size", "dirty", "floor", "peak", "_any_finite", "_peaks")

    def __init__(self, capacity: int = 64, floor: float | None = None):
        capacity = max(1, int(capacity))
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._shown = np.empty(capacity, dtype=np.float64)
        self.size = 0
        self.dirty = False
        self.floor = floor
        # Largest value so far (inf once a value was not finite): the exploding-zone verdict
        # reads it without scanning a 100,000-batch buffer.
        self.peak = -math.inf
        self._any_finite = False  # a run that went NaN at once has nothing to draw
        self._peaks: _PeakCache | None = None

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
        self._any_finite = self._any_finite or math.isfinite(y)
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
            finite = np.isfinite(ys[:n])
            self.peak = max(self.peak, float(np.max(ys[:n])) if finite.all() else math.inf)
            self._any_finite = self._any_finite or bool(finite.any())
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

    def drawn(self, x_range: tuple[float, float] | None = None,
              max_points: int = DRAW_POINTS) -> tuple[np.ndarray, np.ndarray]:
        """What a curve needs to show ``shown`` over ``x_range`` (all of it if None), decimated to
        about ``max_points``.

        All of it is what a live run redraws at every tick: its buckets are kept between calls,
        so a redraw costs the new samples and the points drawn, not the length of the run. A
        zoomed view is rarer and decimates the visible slice, found by bisection (x only grows).
        """
        if not self._any_finite:
            # Nothing drawable (a run that went NaN at once): pyqtgraph would warn on all-NaN data.
            return self.x[:0], self.shown[:0]
        if x_range is None:
            return self._drawn_whole(max_points)
        x, y = self.x, self.shown
        if self.size > max_points:
            # One point beyond each edge keeps the line running to the border of the view.
            start = max(0, int(np.searchsorted(x, x_range[0], side="left")) - 1)
            stop = min(self.size, int(np.searchsorted(x, x_range[1], side="right")) + 1)
            x, y = x[start:stop], y[start:stop]
        return peak_decimate(x, y, max_points)

    def _drawn_whole(self, max_points: int) -> tuple[np.ndarray, np.ndarray]:
        if self.size <= max_points:
            return self.x, self.shown
        size = int(math.ceil(self.size / max(1, max_points // 2)))
        if self._peaks is None or self._peaks.size != size:
            self._peaks = _PeakCache(size)
        self._peaks.extend(self.shown)
        return _bucket_points(self.x, self.shown, size, self._peaks.lows, self._peaks.highs)


def _profile(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


@dataclass
class RunSeries:
    """Everything plotted for one run: batch loss, epoch logs, gradient norms per layer and per
    weight (x in epochs), and the gradient-flow profile of every epoch."""

    run_id: str
    label: str
    kind: str  # "classification" or "regression"
    # Fallback for a batch event that does not say how many batches an epoch has.
    batches_per_epoch: int
    layer_names: list[str]
    weight_names: dict[str, list[str]]
    batch_loss: GrowingSeries = field(default_factory=GrowingSeries)
    epoch_logs: dict[str, GrowingSeries] = field(default_factory=dict)
    layer_norms: dict[str, GrowingSeries] = field(default_factory=dict)
    weight_norms: dict[str, GrowingSeries] = field(default_factory=dict)  # "layer/w"
    flow: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (epoch number, profile)
    flow_dirty: bool = False
    # Changes of course (core.history.SettingsChanged): (x in epochs where they took effect, label).
    changes: list[tuple[float, str]] = field(default_factory=list)
    project: Any = None  # the run's core.specs.Project (the hints propose only what it lacks), if known
    baseline: Any = None  # the run's core.diagnosis.Baseline (a line on the score plots), if known
    # Weight health per epoch (spectral radii, histograms), kept as core.history.History keeps it.
    health: History = field(default_factory=History)

    @classmethod
    def started(cls, run_id: str, label: str, started: RunStarted, kind: str) -> RunSeries:
        """Empty series for a run that is about to send its batches."""
        weight_names = {layer: list(names) for layer, names in dict(started.weight_names).items()}
        run = cls(run_id=run_id, label=label, kind=kind, batches_per_epoch=max(1, int(started.batches_per_epoch)),
                  layer_names=list(started.layer_names), weight_names=weight_names)
        for layer in run.layer_names:
            run.layer_norms[layer] = GrowingSeries(floor=LOG_FLOOR)
            for weight in weight_names.get(layer, []):
                run.weight_norms[f"{layer}/{weight}"] = GrowingSeries(floor=LOG_FLOOR)
        return run

    @classmethod
    def from_history(cls, run_id: str, label: str, history: History, kind: str) -> RunSeries:
        """The series of a finished run, as a reopened bundle shows them."""
        positions = np.asarray(history.batch_epochs(), dtype=np.float64)
        weight_names: dict[str, list[str]] = {}
        for key in history.weight_norms:
            layer, _, weight = key.rpartition("/")
            weight_names.setdefault(layer, []).append(weight)
        run = cls(run_id=run_id, label=label, kind=kind, batches_per_epoch=max(1, history.batches_per_epoch),
                  layer_names=list(history.layer_norms), weight_names=weight_names)
        run.batch_loss.extend(positions, history.batch_loss)
        for table, norms in ((history.layer_norms, run.layer_norms), (history.weight_norms, run.weight_norms)):
            for name, values in table.items():
                norms[name] = series = GrowingSeries(max(64, len(values)), floor=LOG_FLOOR)
                series.extend(positions, values)
        for number, logs in enumerate(history.epochs, start=1):
            for key, value in logs.items():
                value = as_number(value)
                if value is not None:
                    run.epoch_logs.setdefault(key, GrowingSeries()).append(number, value)
        for number, profile in enumerate(history.gradient_flow, start=1):
            if profile is not None and np.size(profile):
                run.flow.append((number, _profile(profile)))
        run.flow_dirty = True
        for change in history.settings_changes:
            run.add_change(change)
        run.health = history
        return run

    @property
    def metric(self) -> str:
        return "accuracy" if self.kind == "classification" else "mae"

    def series(self, key: SeriesKey) -> GrowingSeries | None:
        group, name = key
        if group == "batch":
            return self.batch_loss
        if group == "epoch":
            return self.epoch_logs.get(name)
        if group == "layer":
            return self.layer_norms.get(name)
        return self.weight_norms.get(name)

    def add_batch(self, event: BatchEnd) -> bool:
        """Append one batch; True when it brought a layer or weight not seen before."""
        per_epoch = max(1, int(event.batches_per_epoch or self.batches_per_epoch))
        self.batches_per_epoch = per_epoch
        # Epochs and batches count from 1 (core.training): batch b of epoch e ends at
        # e - 1 + b / per_epoch epochs, so an epoch's last batch lands on that epoch's marker.
        x = int(event.epoch) - 1 + int(event.batch) / per_epoch
        self.batch_loss.append(x, float(event.loss))
        new = False
        for layer, value in event.layer_norms.items():
            series = self.layer_norms.get(layer)
            if series is None:
                series = self.layer_norms[layer] = GrowingSeries(floor=LOG_FLOOR)
                self.layer_names.append(layer)
                new = True
            series.append(x, float(value))
        for layer, weights in event.weight_norms.items():
            for weight, value in weights.items():
                key = f"{layer}/{weight}"
                series = self.weight_norms.get(key)
                if series is None:
                    series = self.weight_norms[key] = GrowingSeries(floor=LOG_FLOOR)
                    self.weight_names.setdefault(layer, []).append(weight)
                    new = True
                series.append(x, float(value))
        return new

    def add_epoch(self, event: EpochEnd) -> bool:
        """Append one epoch's logs and flow profile; True when a log was not seen before."""
        number = int(event.epoch)
        new = False
        for key, value in event.logs.items():
            value = as_number(value)
            if value is None:
                continue
            series = self.epoch_logs.get(key)
            if series is None:
                series = self.epoch_logs[key] = GrowingSeries()
                new = True
            series.append(number, value)
        profile = event.gradient_flow
        if profile is not None and np.size(profile):
            self.flow.append((number, _profile(profile)))
            self.flow_dirty = True
        self.health.add_health(event.health)
        return new

    def add_change(self, event) -> None:
        """Mark a change of course (SettingsChanged) at the end of the last batch with the old
        settings, where batch positions put that batch."""
        x = int(event.global_batch) / max(1, self.batches_per_epoch)
        self.changes.append((x, str(event.label)))

    def latest_and_peak_norms(self) -> tuple[dict[str, float], dict[str, float]]:
        """Per layer: the norm of the latest batch and the largest so far (inf if one was not
        finite), what core.diagnostics.gradient_verdicts judges."""
        filled = {layer: series for layer, series in self.layer_norms.items() if series.size}
        return ({layer: float(series.y[-1]) for layer, series in filled.items()},
                {layer: series.peak for layer, series in filled.items()})
