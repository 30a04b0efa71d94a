"""The live training plots, fed with the engine's real event dataclasses.

Every check reads what a user would see: the data held by the drawn curves, the legend, the axis
labels, the hover read-out and the exported files.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from core.history import BatchEnd, EpochEnd, History, RunStarted
from desktop_app.plots import LOG_FLOOR, TrainingPlots
from desktop_app.plots.curves import LineCurve

LAYERS = ["rnn_1", "head"]
WEIGHTS = {"rnn_1": ["w_i", "w_R", "bias"], "head": ["kernel", "bias"]}
EPOCHS, BATCHES, STEPS = 3, 4, 6


def _layer_norm(epoch: int, batch: int, layer_index: int) -> float:
    return 10.0 ** (-1 - layer_index) * (1 + 0.1 * batch) / epoch


def _profile(epoch: int) -> np.ndarray:
    # Decays over time steps less with every epoch: the vanishing gradient "opening up".
    return np.logspace(-9 + 2 * epoch, 0, STEPS)


def _logs(epoch: int, offset: float = 0.0) -> dict[str, float]:
    return {"loss": 1.0 / epoch + offset, "val_loss": 1.2 / epoch + offset,
            "accuracy": 0.3 + 0.2 * epoch, "val_accuracy": 0.25 + 0.2 * epoch}


def feed_run(plots: TrainingPlots, run_id: str, label: str, offset: float = 0.0, zero_at=None,
             flow_skipped=()) -> dict:
    """Send one run's events as core.training does (epochs and batches count from 1); the epochs
    in ``flow_skipped`` come without a flow profile, as its time budget leaves some out."""
    sent = {"batch_loss": [], "layer": {name: [] for name in LAYERS},
            "weight": {f"{layer}/{w}": [] for layer in LAYERS for w in WEIGHTS[layer]}, "epochs": [], "flow": []}
    plots.begin_run(run_id, label, RunStarted(EPOCHS, BATCHES, "CPU", list(LAYERS), dict(WEIGHTS)),
                    "classification")
    global_batch = 0
    for epoch in range(1, EPOCHS + 1):
        for batch in range(1, BATCHES + 1):
            global_batch += 1
            layer_norms = {name: _layer_norm(epoch, batch, i) for i, name in enumerate(LAYERS)}
            if zero_at == (epoch, batch):
                layer_norms["rnn_1"] = 0.0
            weight_norms = {layer: {w: layer_norms[layer] * (j + 1) / 4 for j, w in enumerate(WEIGHTS[layer])} for layer in LAYERS}
            loss = 2.0 / (global_batch + offset + 1)
            plots.add_batch(run_id, BatchEnd(epoch, batch, global_batch, BATCHES, loss, layer_norms, weight_norms))
            sent["batch_loss"].append(loss)
            for name in LAYERS:
                sent["layer"][name].append(layer_norms[name])
                for w in WEIGHTS[name]:
                    sent["weight"][f"{name}/{w}"].append(weight_norms[name][w])
        logs = _logs(epoch, offset)
        profile = np.zeros(0) if epoch in flow_skipped else _profile(epoch)
        plots.add_epoch(run_id, EpochEnd(epoch, EPOCHS, logs, profile, 0.1 * epoch))
        sent["epochs"].append(logs)
        sent["flow"].append(profile.tolist())
    return sent


@pytest.fixture
def plots(show_widget):
    return show_widget(TrainingPlots(), 720, 520)


def show_tab(plots: TrainingPlots, title: str) -> None:
    tabs = plots.findChild(QtWidgets.QTabWidget)
    for index in range(tabs.count()):
        if tabs.tabText(index) == title:
            tabs.setCurrentIndex(index)
            return
    raise AssertionError(f"no tab {title!r}")


def curves(plots: TrainingPlots, name: str) -> dict[str, object]:
    """Drawn curves of a plot by legend name (batch-loss included), in drawing order."""
    item = plots.plot_items()[name].getPlotItem()
    legend = {label.text: sample.item for sample, label in item.legend.items}
    by_item = {id(curve): text for text, curve in legend.items()}
    return {by_item.get(id(c), f"unnamed {i}"): c for i, c in enumerate(item.listDataItems())}


def wait_curves(plots: TrainingPlots, qtbot, name: str, *names: str, points: int | None = None) -> dict:
    """The plot's curves once the redraw timer has drawn these (with this many points)."""
    def ready() -> bool:
        shown = curves(plots, name)
        return all(n in shown and (points is None or len(data(shown[n])[0]) == points) for n in names)

    qtbot.waitUntil(ready, timeout=2000)
    return curves(plots, name)


def data(curve) -> tuple[np.ndarray, np.ndarray]:
    x, y = curve.getOriginalDataset()
    return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


def test_events_reach_every_curve_on_the_redraw_timer(plots, qtbot):
    sent = feed_run(plots, "r1", "#1 LSTM")
    # Events only fill buffers: nothing is drawn before the 15 Hz timer fires.
    assert len(data(curves(plots, "loss")["batch loss"])[0]) == 0

    loss = wait_curves(plots, qtbot, "loss", "batch loss", points=EPOCHS * BATCHES)
    loss = wait_curves(plots, qtbot, "loss", "train loss", "val loss", points=EPOCHS)
    x, y = data(loss["batch loss"])
    # Batch b of epoch e sits at e - 1 + b / batches: the last batch of an epoch on its marker.
    np.testing.assert_allclose(x, np.arange(1, EPOCHS * BATCHES + 1) / BATCHES)
    np.testing.assert_allclose(y, sent["batch_loss"])
    np.testing.assert_allclose(data(loss["train loss"])[0], [1, 2, 3])
    np.testing.assert_allclose(data(loss["train loss"])[1], [logs["loss"] for logs in sent["epochs"]])
    np.testing.assert_allclose(data(loss["val loss"])[1], [logs["val_loss"] for logs in sent["epochs"]])
    metric = wait_curves(plots, qtbot, "metric", "train accuracy", "val accuracy", points=EPOCHS)
    np.testing.assert_allclose(data(metric["train accuracy"])[1], [logs["accuracy"] for logs in sent["epochs"]])
    np.testing.assert_allclose(data(metric["val accuracy"])[1], [logs["val_accuracy"] for logs in sent["epochs"]])
    assert "accuracy" in plots.plot_items()["metric"].getPlotItem().getAxis("left").labelText

    show_tab(plots, "Gradient norms")
    grads = wait_curves(plots, qtbot, "gradients", *LAYERS, points=EPOCHS * BATCHES)
    assert sorted(grads) == sorted(LAYERS)
    for name in LAYERS:
        np.testing.assert_allclose(data(grads[name])[1], sent["layer"][name])
    axis = plots.plot_items()["gradients"].getPlotItem().getAxis("left")
    assert axis.logMode and "log" in axis.labelText
    # The clamping note lives in the caption: in the rotated axis title it ran into the ticks.
    assert "1e-12" in plots.gradients_caption.text() and len(axis.labelText) < 40
    view = plots.plot_items()["gradients"].getPlotItem().getViewBox()
    zones = {line.label.format: line.value() for line in view.allChildren()
             if isinstance(line, pg.InfiniteLine) and getattr(line, "label", None) is not None}
    assert zones == {"vanishing zone (< 1e-6)": -6, "exploding zone (> 1e3)": 3}  # log10 units

    show_tab(plots, "Gradient flow")
    flow = wait_curves(plots, qtbot, "flow", "epoch 3")
    assert list(flow) == ["epoch 1", "epoch 2", "epoch 3"]
    for epoch in (1, 2, 3):
        x, y = data(flow[f"epoch {epoch}"])
        np.testing.assert_allclose(x, np.arange(1, STEPS + 1))
        np.testing.assert_allclose(y, _profile(epoch))
    widths = [flow[f"epoch {e}"].opts["pen"].widthF() for e in (1, 2, 3)]
    assert widths[-1] > widths[0], "the latest epoch is drawn bold"
    ratio = plots.flow_ratio_label.text()
    first_over_last = _profile(3)[0] / _profile(3)[-1]
    assert "Epoch 3" in ratio and "t=1" in ratio and f"t={STEPS}" in ratio
    assert f"{first_over_last:.2g}".replace("e-0", "e-") in ratio and "vanishing" in ratio


def test_epochs_without_a_flow_profile_leave_no_curve_and_the_legend_names_the_measured_ones(plots, qtbot):
    feed_run(plots, "r1", "#1 LSTM", flow_skipped={2})
    show_tab(plots, "Gradient flow")
    flow = wait_curves(plots, qtbot, "flow", "epoch 3")
    assert list(flow) == ["epoch 1", "epoch 3"]
    np.testing.assert_allclose(data(flow["epoch 3"])[1], _profile(3))
    assert plots.flow_ratio_label.text().startswith("Epoch 3:")
    assert "every few epochs" in plots.flow_caption.text()


def test_gradient_curves_follow_the_log_axis_when_the_user_switches_it_off_and_on(plots, qtbot):
    # The plot's context menu (Plot Options > Transforms > Log Y) switches the axis at any time.
    sent = feed_run(plots, "r1", "#1 LSTM")
    show_tab(plots, "Gradient norms")
    curve = wait_curves(plots, qtbot, "gradients", "rnn_1", points=EPOCHS * BATCHES)["rnn_1"]
    item = plots.plot_items()["gradients"].getPlotItem()
    assert curve.getData()[1] == pytest.approx(np.log10(sent["layer"]["rnn_1"]))
    item.setLogMode(x=False, y=False)
    assert curve.getData()[1] == pytest.approx(sent["layer"]["rnn_1"])
    # The linear axis reaches the largest norm (give or take the pen's pixel of padding).
    assert item.getViewBox().childrenBounds()[1][1] == pytest.approx(max(map(max, sent["layer"].values())), rel=0.01)
    item.setLogMode(x=False, y=True)
    assert curve.getData()[1] == pytest.approx(np.log10(sent["layer"]["rnn_1"]))


def test_zero_gradients_sit_on_the_log_floor_and_export_unclamped(plots, qtbot, tmp_path):
    feed_run(plots, "r1", "#1 SimpleRNN", zero_at=(2, 3))
    show_tab(plots, "Gradient norms")
    curve = wait_curves(plots, qtbot, "gradients", "rnn_1", points=EPOCHS * BATCHES)["rnn_1"]
    index = BATCHES + 2  # epoch 2, batch 3
    assert data(curve)[1][index] == LOG_FLOOR
    shown_x, shown_y = curve.getData()  # what is drawn, in log10 units
    assert shown_y[list(shown_x).index(data(curve)[0][index])] == pytest.approx(math.log10(LOG_FLOOR))

    path = tmp_path / "gradients.csv"
    plots.export_csv("gradients", str(path))
    rows = list(csv.DictReader(path.open()))
    rnn = [r for r in rows if r["series"] == "rnn_1"]
    assert float(rnn[index]["gradient_norm"]) == 0.0


def test_per_weight_toggle_swaps_the_curves(plots, qtbot):
    sent = feed_run(plots, "r1", "#1 LSTM")
    show_tab(plots, "Gradient norms")
    box = next(b for b in plots.findChildren(QtWidgets.QCheckBox) if b.text().startswith("Per weight"))
    assert "w_i" in box.text() and "w_R" in box.text() and "bias" in box.text()

    box.click()
    weights = wait_curves(plots, qtbot, "gradients", *sent["weight"], points=EPOCHS * BATCHES)
    assert sorted(weights) == sorted(sent["weight"])
    np.testing.assert_allclose(data(weights["rnn_1/w_R"])[1], sent["weight"]["rnn_1/w_R"])
    # The three weights of a layer share its colour and differ by line style.
    styles = {weights[f"rnn_1/{w}"].opts["pen"].style() for w in WEIGHTS["rnn_1"]}
    assert len(styles) == 3

    box.click()
    assert sorted(curves(plots, "gradients")) == sorted(LAYERS)


def test_overlay_draws_each_run_in_its_own_colour(plots, qtbot):
    labels = {"r1": "#1 SimpleRNN", "r2": "#2 LSTM", "r3": "#3 GRU"}
    for offset, (run_id, label) in enumerate(labels.items()):
        feed_run(plots, run_id, label, offset=offset)
    assert plots.shown_runs() == ["r3"], "a new run is shown alone"

    plots.show_runs(list(labels))
    loss_item = plots.plot_items()["loss"].getPlotItem()
    # Colour names the run, line style the series: the legend lists both once.
    legend_names = [label.text for _sample, label in loss_item.legend.items]
    assert legend_names == [*labels.values(), "training", "validation"]
    # Three runs x (batch loss, train loss, val loss).
    assert len(loss_item.listDataItems()) == 9
    train_curves = [c for c in loss_item.listDataItems() if c.opts.get("symbol") == "o"]
    assert len({c.opts["pen"].color().name() for c in train_curves}) == 3
    qtbot.waitUntil(lambda: all(len(data(c)[0]) == EPOCHS for c in train_curves), timeout=2000)
    assert sorted(round(data(c)[1][0], 6) for c in train_curves) == [1.0, 2.0, 3.0]

    show_tab(plots, "Gradient norms")
    assert len(plots.plot_items()["gradients"].getPlotItem().listDataItems()) == 3 * len(LAYERS)
    show_tab(plots, "Gradient flow")
    flow = wait_curves(plots, qtbot, "flow", f"#1 SimpleRNN · epoch {EPOCHS}")
    assert sorted(flow) == sorted(f"{label} · epoch {EPOCHS}" for label in labels.values())
    assert plots.flow_ratio_label.text().count("\n") == 2

    plots.show_runs(["r1"])
    show_tab(plots, "Loss")  # a tab not on screen is laid out for the runs when it is shown
    assert len(loss_item.listDataItems()) == 3
    plots.clear()
    assert plots.run_ids() == [] and loss_item.listDataItems() == []


def test_a_new_run_reuses_the_curves_of_runs_no_longer_shown_with_only_its_own_points(plots, qtbot, monkeypatch):
    """Curves of runs that are not shown serve the next run (building them held the window up at
    every run's start); what a reused curve draws is the new run's, or nothing before its first batch."""
    old = feed_run(plots, "old", "#1 LSTM")
    show_tab(plots, "Gradient norms")
    plots.set_per_weight(True)
    wait_curves(plots, qtbot, "gradients", *old["weight"], points=EPOCHS * BATCHES)
    item = plots.plot_items()["gradients"].getPlotItem()
    before = {id(c) for c in item.listDataItems()}
    legend_before = [id(label) for _sample, label in item.legend.items]
    moved = []
    monkeypatch.setattr(item, "removeItem", lambda curve: moved.append(("out", curve)))
    monkeypatch.setattr(item, "addItem", lambda curve, *a, **k: moved.append(("in", curve)))

    plots.begin_run("new", "#2 GRU", RunStarted(EPOCHS, BATCHES, "CPU", list(LAYERS), dict(WEIGHTS)), "classification")
    plots.redraw_now()
    reused = item.listDataItems()
    assert plots.shown_runs() == ["new"] and {id(c) for c in reused} == before
    # Handed over in place: no curve left or entered the plot, and the legend (same names and
    # pens) was not listed again; doing both held the window up at every run's start.
    assert moved == [] and [id(label) for _sample, label in item.legend.items] == legend_before
    monkeypatch.undo()
    assert all(len(data(c)[0]) == 0 for c in reused)  # no point of the old run is left on them

    norms = {name: 0.5 for name in LAYERS}
    plots.add_batch("new", BatchEnd(1, 1, 1, BATCHES, 1.0, norms,
                                    {layer: {w: 0.25 for w in WEIGHTS[layer]} for layer in LAYERS}))
    drawn = wait_curves(plots, qtbot, "gradients", *old["weight"], points=1)
    assert all(list(data(c)[1]) == [0.25] for c in drawn.values())
    plots.show_runs(["old"])  # the old run comes back whole
    drawn = wait_curves(plots, qtbot, "gradients", *old["weight"], points=EPOCHS * BATCHES)
    np.testing.assert_allclose(data(drawn["rnn_1/w_R"])[1], old["weight"]["rnn_1/w_R"])


def test_export_buttons_write_png_and_csv_equal_to_the_curves(plots, qtbot, tmp_path, monkeypatch):
    feed_run(plots, "r1", "#1 LSTM")
    loss = wait_curves(plots, qtbot, "loss", "batch loss", "train loss", points=None)
    qtbot.waitUntil(lambda: len(data(loss["batch loss"])[0]) == EPOCHS * BATCHES, timeout=2000)
    targets = iter([str(tmp_path / "loss.csv"), str(tmp_path / "loss.png")])
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (next(targets), ""))
    buttons = {b.text(): b for b in plots.findChildren(QtWidgets.QPushButton) if b.isVisible()}

    qtbot.mouseClick(buttons["Export CSV…"], QtCore.Qt.MouseButton.LeftButton)
    with (tmp_path / "loss.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["run", "series", "epoch", "value"]
    for name, curve in loss.items():
        x, y = data(curve)
        exported = [(float(r[2]), float(r[3])) for r in rows[1:] if r[1] == name]
        assert exported == list(zip(x.tolist(), y.tolist())), name
        assert all(r[0] == "#1 LSTM" for r in rows[1:] if r[1] == name)
    assert any(r[1] == "val accuracy" for r in rows[1:])

    qtbot.mouseClick(buttons["Export PNG…"], QtCore.Qt.MouseButton.LeftButton)
    image = QtGui.QImage(str(tmp_path / "loss.png"))
    assert not image.isNull() and image.width() >= 320
    # Not a blank canvas: the curves' blue is in it.
    pixels = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert len(pixels) > 20
    assert "Saved" in plots.findChild(QtWidgets.QLabel, "exportStatus_loss").text()


def test_a_history_restores_the_same_plots(plots, qtbot):
    sent = feed_run(plots, "live", "#1 LSTM")
    history = History(epochs=sent["epochs"], batch_loss=sent["batch_loss"], layer_norms=sent["layer"],
                      weight_norms=sent["weight"], gradient_flow=sent["flow"])
    history = History.from_dict(history.to_dict())  # as read back from a bundle

    def snapshot() -> dict:
        shot = {}
        for tab, name in (("Loss", "loss"), ("Loss", "metric"), ("Gradient norms", "gradients"),
                          ("Gradient flow", "flow")):
            show_tab(plots, tab)
            plots.redraw_now()
            shot[name] = {k: tuple(map(tuple, data(c))) for k, c in curves(plots, name).items()}
        shot["ratio"] = plots.flow_ratio_label.text()
        return shot

    live = snapshot()
    plots.load_history("reopened", "#1 LSTM", history, "classification")
    assert plots.shown_runs() == ["reopened"]
    assert snapshot() == live


def test_hover_shows_the_value_of_the_nearest_point(plots, qtbot):
    sent = feed_run(plots, "r1", "#1 LSTM")
    widget = plots.plot_items()["loss"]
    wait_curves(plots, qtbot, "loss", "train loss", points=EPOCHS)
    widget.getPlotItem().getViewBox().autoRange()
    qtbot.wait(50)
    view = widget.getPlotItem().getViewBox()
    scene_point = view.mapViewToScene(QtCore.QPointF(2.0, sent["epochs"][1]["loss"]))
    # Two pixels off the point, as a hand would be.
    pos = widget.mapFromScene(scene_point) + QtCore.QPoint(2, 2)
    qtbot.mouseMove(widget.viewport(), pos)
    qtbot.waitUntil(lambda: "train loss" in plots.hover_text("loss"), timeout=2000)
    hover = plots.hover_text("loss")
    assert "epoch = 2" in hover and f"loss = {sent['epochs'][1]['loss']:.3g}" in hover


def _started(layers=("rnn_1", "head")) -> RunStarted:
    return RunStarted(2, 2, "CPU", list(layers), {layer: [] for layer in layers})


def test_fresh_plots_show_a_clean_empty_state(show_widget):
    plots = show_widget(TrainingPlots(), 900, 600)
    for name, widget in plots.plot_items().items():
        item = widget.getPlotItem()
        # No empty legend box, no 0.1 ... 0.9 epoch ticks, but a line saying what will appear.
        assert not plots._legends[name].isVisible(), name
        assert not item.getAxis("bottom").style["showValues"], name
        assert plots._placeholders[name].isVisible() and "appears here" in plots._placeholders[name].toPlainText()
    assert plots.is_empty_state()

    feed_run(plots, "r1", "#1 LSTM")
    plots.redraw_now()
    assert not plots.is_empty_state()
    for name in ("loss", "metric", "gradients", "flow"):
        item = plots.plot_items()[name].getPlotItem()
        assert plots._legends[name].isVisible() and item.getAxis("bottom").style["showValues"], name
        assert not plots._placeholders[name].isVisible(), name
    plots.clear()
    assert not plots._legends["loss"].isVisible() and plots._placeholders["loss"].isVisible()


def test_time_steps_and_epochs_get_whole_number_ticks_and_log_axes_label_decades(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    flow_axis = plots.plot_items()["flow"].getPlotItem().getAxis("bottom")
    for low, high in ((0.7, 7.3), (0.9, 3.1), (0.6, 1.4), (0.0, 12.0)):
        values = [v for _spacing, level in flow_axis.tickValues(low, high, 800) for v in level]
        assert values and all(float(v).is_integer() for v in values), (low, high, values)
    assert [v for _s, level in flow_axis.tickValues(0.7, 7.3, 800) for v in level] == [1, 2, 3, 4, 5, 6, 7]
    # A run stopped inside its first epoch still gets a readable epoch scale (fractions).
    epoch_axis = plots.plot_items()["gradients"].getPlotItem().getAxis("bottom")
    values = [v for _spacing, level in epoch_axis.tickValues(0.3, 1.0, 800) for v in level]
    assert len(values) >= 3 and any(not float(v).is_integer() for v in values)

    log_axis = plots.plot_items()["gradients"].getPlotItem().getAxis("left")
    levels = log_axis.tickValues(-5.0, 0.5, 600)  # 1e-5 .. 3: six decades
    labels = {text for spacing, values in levels
              for text in log_axis.tickStrings(values, 1.0, spacing) if text}
    assert labels == {"1e-5", "0.0001", "0.001", "0.01", "0.1", "1"}
    # The y titles are short enough not to run into the tick labels.
    for name in ("gradients", "flow"):
        assert len(plots.plot_items()[name].getPlotItem().getAxis("left").labelText) < 40


def test_gradient_zones_point_to_the_lectures_fixes(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.begin_run("calm", "#1 LSTM", _started(), "regression")
    for batch, norm in enumerate((0.5, 0.2), start=1):
        plots.add_batch("calm", BatchEnd(1, batch, batch, 2, 0.1, {"rnn_1": norm, "head": norm}, {}))
    plots.add_epoch("calm", EpochEnd(1, 2, {"loss": 0.1}, np.array([0.5, 0.6, 0.7]), 0.1))
    plots.redraw_now()
    assert plots.gradient_hint_label.isHidden() and plots.flow_hint_label.isHidden()

    plots.begin_run("wild", "#2 SimpleRNN", _started(), "regression")
    plots.add_batch("wild", BatchEnd(1, 1, 1, 2, 9.0, {"rnn_1": 4.2e3, "head": 1.0}, {}))
    plots.add_batch("wild", BatchEnd(1, 2, 2, 2, 1.0, {"rnn_1": 1e-9, "head": 1.0}, {}))
    plots.add_epoch("wild", EpochEnd(1, 2, {"loss": 1.0}, np.array([1e-12, 1e-8, 1.0]), 0.1))
    plots.redraw_now()
    grad_hint = plots.gradient_hint_label.text()
    assert not plots.gradient_hint_label.isHidden()
    assert "rnn_1 above 1000 (up to 4.2e+3): exploding: try clipping" in grad_hint and "RMSprop" in grad_hint
    assert "below 1e-06 at the latest batch: vanishing: try an LSTM or GRU" in grad_hint
    assert "head" not in grad_hint
    flow_hint = plots.flow_hint_label.text()
    assert not plots.flow_hint_label.isHidden() and flow_hint.startswith("vanishing at early steps: try LSTM/GRU")
    assert "(t=1 gets 1e-12 × the gradient of t=3)" in flow_hint
    assert "backpropagation through time" in plots.flow_caption.text().lower()

    plots.show_runs(["calm"])
    assert plots.gradient_hint_label.isHidden() and plots.flow_hint_label.isHidden()
    plots.show_runs(["calm", "wild"])
    assert plots.gradient_hint_label.text().startswith("#2 SimpleRNN: rnn_1 above 1000")



class DrawCalls:
    """Counts the calls that hand points or pens to curves on a plot, per curve: marker curves
    (PlotDataItem) and plain lines (LineCurve, whose set_points calls setData)."""

    def __init__(self, monkeypatch):
        self.data: list[object] = []
        self.pens: list[object] = []
        for cls, name, calls in ((pg.PlotDataItem, "setData", self.data), (LineCurve, "set_points", self.data),
                                 (pg.PlotDataItem, "setPen", self.pens), (LineCurve, "setPen", self.pens)):
            original = getattr(cls, name)

            def counted(item, *args, _original=original, _calls=calls, **kwargs):
                if item.scene() is not None:  # legend swatches are never drawn on a plot
                    _calls.append(item)
                return _original(item, *args, **kwargs)

            monkeypatch.setattr(cls, name, counted)

    def reset(self) -> None:
        self.data.clear()
        self.pens.clear()


def first_epoch_draw_calls(plots: TrainingPlots, calls: DrawCalls, run_id: str, shown: list[str]) -> tuple[int, int]:
    """(setData, setPen) calls that reach the plots while ``run_id`` trains its first epoch with
    the runs ``shown`` on screen."""
    plots.begin_run(run_id, f"#{run_id} GRU", RunStarted(EPOCHS, BATCHES, "CPU", list(LAYERS), dict(WEIGHTS)),
                    "classification")
    plots.show_runs(shown)
    plots.redraw_now()
    calls.reset()
    for batch in range(1, BATCHES + 1):
        plots.add_batch(run_id, BatchEnd(1, batch, batch, BATCHES, 0.5, {n: 0.1 for n in LAYERS},
                                         {n: {w: 0.1 for w in ws} for n, ws in WEIGHTS.items()}))
    plots.add_epoch(run_id, EpochEnd(1, EPOCHS, _logs(1), _profile(1), 0.1))
    plots.redraw_now()
    return len(calls.data), len(calls.pens)


def test_an_epoch_redraws_only_the_training_runs_curves_however_many_runs_are_held(plots, monkeypatch):
    calls = DrawCalls(monkeypatch)
    feed_run(plots, "r1", "#1 LSTM")
    alone_with_one = first_epoch_draw_calls(plots, calls, "new", ["new"])
    for n in range(2, 21):
        feed_run(plots, f"r{n}", f"#{n} LSTM", offset=n)
    alone_with_twenty = first_epoch_draw_calls(plots, calls, "new", ["new"])
    # Batch loss, train and val loss and accuracy, 2 layer norms and 1 flow profile, whose pooled
    # curve takes the new run's pen.
    assert alone_with_twenty == alone_with_one == (8, 1)

    overlaid = [f"r{n}" for n in range(1, 21)]
    data_calls, pen_calls = first_epoch_draw_calls(plots, calls, "new", [*overlaid, "new"])
    assert data_calls == 8 and pen_calls <= 1, "the 20 overlaid runs that did not change are not drawn again"
    assert len(plots.plot_items()["loss"].getPlotItem().listDataItems()) == 21 * 3


def test_a_run_that_is_not_shown_is_not_redrawn(plots, monkeypatch):
    calls = DrawCalls(monkeypatch)
    feed_run(plots, "r1", "#1 LSTM")
    assert first_epoch_draw_calls(plots, calls, "hidden", ["r1"]) == (0, 0)
    plots.show_runs(["hidden"])
    assert len(data(curves(plots, "loss")["batch loss"])[0]) == BATCHES, "shown again, it is up to date"


def test_a_tab_not_on_screen_catches_up_with_the_runs_when_shown(plots, qtbot):
    feed_run(plots, "r1", "#1 SimpleRNN")
    show_tab(plots, "Gradient flow")
    feed_run(plots, "r2", "#2 LSTM", offset=1)
    plots.show_runs(["r1", "r2"])
    loss_item = plots.plot_items()["loss"].getPlotItem()
    show_tab(plots, "Loss")
    legend_names = [label.text for _sample, label in loss_item.legend.items]
    assert legend_names == ["#1 SimpleRNN", "#2 LSTM", "training", "validation"]
    train_curves = [c for c in loss_item.listDataItems() if c.opts.get("symbol") == "o"]
    qtbot.waitUntil(lambda: sorted(round(data(c)[1][0], 6) for c in train_curves) == [1.0, 2.0], timeout=2000)
    # Exports read a tab whether or not it is on screen.
    show_tab(plots, "Gradient flow")
    plots.show_runs(["r2"])
    header, rows = plots.csv_rows("loss")
    assert {row[header.index("run")] for row in rows} == {"#2 LSTM"}
