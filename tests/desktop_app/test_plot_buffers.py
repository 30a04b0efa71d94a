"""The numbers behind the training plots, checked without any widget: decimation, growing
series and one run's series built from events or from a saved History."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np

from core.history import BatchEnd, EpochEnd, History, RunStarted
from desktop_app.plots.buffers import DRAW_POINTS, LOG_FLOOR, GrowingSeries, RunSeries, peak_decimate

ROOT = Path(__file__).resolve().parents[2]


def test_long_runs_are_drawn_decimated_without_losing_spikes_or_gaps():
    x = np.arange(100_000, dtype=float)
    y = np.full_like(x, 1e-3)
    y[54_321] = 5e3  # one exploding batch must still show
    y[80_000:82_000] = np.nan  # a stretch of failed batches wider than a bucket stays a gap
    dx, dy = peak_decimate(x, y)
    assert len(dx) <= DRAW_POINTS + 1
    assert np.nanmax(dy) == 5e3 and np.nanmin(dy) == 1e-3
    gap = dx[np.isnan(dy)]
    assert len(gap) and gap.min() >= 80_000 - 100 and gap.max() <= 82_000
    assert np.all(np.diff(dx) >= 0)
    short_x, short_y = peak_decimate(x[:100], y[:100])
    assert np.array_equal(short_x, x[:100]) and np.array_equal(short_y, y[:100])


def test_a_growing_series_keeps_raw_values_and_draws_zeros_on_the_floor():
    series = GrowingSeries(capacity=2, floor=LOG_FLOOR)
    series.append(0.25, 3.0)
    series.append(0.5, 0.0)
    series.extend([0.75, 1.0, 1.25], [math.nan, 2.0, 7.0])
    assert len(series) == 5 and series.dirty
    np.testing.assert_array_equal(series.x, [0.25, 0.5, 0.75, 1.0, 1.25])
    np.testing.assert_array_equal(series.y, [3.0, 0.0, math.nan, 2.0, 7.0])
    np.testing.assert_array_equal(series.shown, [3.0, LOG_FLOOR, math.nan, 2.0, 7.0])
    assert series.peak == math.inf, "a value that was not finite counts as exploding"

    calm = GrowingSeries()
    calm.extend([1, 2, 3], [0.5, 4.0, 1.0])
    assert calm.peak == 4.0
    everything = calm.drawn()
    assert everything[0].tolist() == [1, 2, 3]
    assert len(GrowingSeries().drawn()[0]) == 0


def test_a_zoomed_view_gets_the_visible_slice_decimated():
    series = GrowingSeries()
    series.extend(np.arange(3 * DRAW_POINTS, dtype=float), np.ones(3 * DRAW_POINTS))
    x, _y = series.drawn((1000.0, 2000.0))
    # One point beyond each edge keeps the line running to the border of the view.
    assert x[0] == 999 and x[-1] == 2001


def test_events_place_each_batch_at_its_fraction_of_the_epoch():
    run = RunSeries.started("r1", "#1 LSTM", RunStarted(2, 4, "CPU", ["rnn_1"], {"rnn_1": ["w_i"]}), "regression")
    assert run.metric == "mae" and run.series(("layer", "rnn_1")) is not None
    new = run.add_batch(BatchEnd(2, 3, 7, 4, 0.5, {"rnn_1": 0.1, "head": 0.2}, {"rnn_1": {"w_i": 0.05}}))
    assert new, "a layer not announced at the start is a new curve"
    assert run.batch_loss.x.tolist() == [1.75] and run.layer_names == ["rnn_1", "head"]
    assert run.series(("weight", "rnn_1/w_i")).y.tolist() == [0.05]
    assert run.add_epoch(EpochEnd(2, 2, {"loss": 0.4, "note": "text"}, np.array([0.1, 0.2]), 1.0))
    assert not run.add_epoch(EpochEnd(3, 3, {"loss": 0.3}, np.array([]), 2.0))
    assert run.series(("epoch", "loss")).x.tolist() == [2, 3] and "note" not in run.epoch_logs
    assert [number for number, _profile in run.flow] == [2] and run.flow_dirty
    latest, peak = run.latest_and_peak_norms()
    assert latest == {"rnn_1": 0.1, "head": 0.2} and peak == latest


def test_a_history_is_placed_where_core_says_its_batches_are():
    # Stopped after 6 batches of 4 per epoch: the 6th batch ends half way through epoch 2.
    history = History(epochs=[{"loss": 1.0}, {"loss": 0.5}], batch_loss=[1, 2, 3, 4, 5, 6],
                      layer_norms={"rnn_1": [0.1] * 6}, weight_norms={"rnn_1/w_R": [0.2] * 6},
                      gradient_flow=[[0.1, 1.0], [0.2, 1.0]], batches_per_epoch=4)
    run = RunSeries.from_history("r1", "#1", history, "classification")
    np.testing.assert_allclose(run.batch_loss.x, history.batch_epochs())
    assert run.batch_loss.x[-1] == 1.5
    np.testing.assert_allclose(run.series(("layer", "rnn_1")).x, history.batch_epochs())
    assert run.weight_names == {"rnn_1": ["w_R"]} and run.metric == "accuracy"
    assert [number for number, _profile in run.flow] == [1, 2]
    assert run.series(("epoch", "loss")).y.tolist() == [1.0, 0.5]


def test_the_buffers_load_no_qt():
    code = ("import sys, desktop_app.plots.buffers; "
            "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_growing_run_draws_as_the_whole_run_would_with_every_spike_and_no_retraced_columns():
    rng = np.random.default_rng(0)
    values = 10 ** rng.normal(-3, 0.3, 50_000)
    values[33_333] = 1e4
    growing = GrowingSeries(floor=LOG_FLOOR)
    for chunk in np.array_split(np.arange(50_000), 37):  # redrawn as batches arrive
        growing.extend(chunk.astype(float), values[chunk])
        growing.drawn(max_points=1000)
    x, y = growing.drawn(max_points=1000)
    whole = GrowingSeries(floor=LOG_FLOOR)
    whole.extend(np.arange(50_000, dtype=float), values)
    np.testing.assert_array_equal(np.stack(whole.drawn(max_points=1000)), np.stack([x, y]))
    assert len(x) <= 1000 and y.max() == 1e4 and y.min() == values.min()
    assert np.all(np.diff(x) >= 0)
    # Up one bucket, down the next: the pen travels about half of what min-then-max draws.
    lows, highs = np.minimum(y[0::2], y[1::2]), np.maximum(y[0::2], y[1::2])
    retraced = np.abs(np.diff(np.log10(np.column_stack([lows, highs]).reshape(-1)))).sum()
    assert np.abs(np.diff(np.log10(y))).sum() < 0.6 * retraced
