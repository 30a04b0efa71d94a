"""The Weight health tab read as a learner would: the spectral radius of every w_R over the epochs
against the line at 1, and the histogram of a layer's weights or gradients at a chosen epoch.

A tiny LSTM (one curve per gate block) is trained once for the module, every epoch looked
inside; the tab is fed its events as the window feeds it during training, or its History as when
a bundle is reopened. A SimpleRNN's History is made by core.weight_health from a real model's
weights, as built and with w_R grown, without the cost of a second training.
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from core.history import Divergence, History, TrainingListener
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from desktop_app.plots import TrainingPlots
from desktop_app.plots.weight_health_tab import WeightHealthTab
from tests.desktop_app.test_plots import show_tab

LSTM_BLOCKS = ["input", "forget", "candidate", "output"]


class Events(TrainingListener):
    def __init__(self) -> None:
        self.started = None
        self.epochs = []

    def on_run_started(self, event) -> None:
        self.started = event

    def on_epoch_end(self, event) -> None:
        self.epochs.append(event)


@pytest.fixture(scope="module")
def lstm_run(cooking_data):
    """(the events, the History) of 2 epochs of a 4-unit LSTM on a little cooking data."""
    import core.epoch_probe as epoch_probe
    from core.training import train

    events = Events()
    project = Project(dataset=DatasetSpec("cooking", {"samples": 60}),
                      model=ModelSpec(cell="LSTM", io_mode="many_to_many", units=4),
                      training=TrainingSpec(epochs=2, batch_size=16, seed=1))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(epoch_probe, "BUDGET", 1e9)  # look inside after every epoch, whatever it costs
        return events, train(project, cooking_data, listener=events).history


@pytest.fixture(scope="module")
def simple_history(cooking_data) -> History:
    """Two epochs of a SimpleRNN's weight health: as built, then with w_R 1.5 times larger (no gradients)."""
    import keras

    from core.models import build_model
    from core.monitoring import weight_names_by_id
    from core.weight_health import epoch_health

    keras.utils.set_random_seed(0)
    model = build_model(ModelSpec(cell="SimpleRNN", io_mode="many_to_many", units=4), cooking_data.info)
    by_id = weight_names_by_id(model)
    names = [by_id[id(variable)] for variable in model.trainable_variables]
    history = History(epochs=[{"loss": 1.1}, {"loss": 0.9}])
    history.add_health(epoch_health(model, names, None))
    kernel = model.get_layer("rnn_1").cell.recurrent_kernel
    kernel.assign(kernel * 1.5)
    history.add_health(epoch_health(model, names, None))
    return history


@pytest.fixture(scope="module")
def diverged_run():
    """(the events, the History) of a tiny ReLU SimpleRNN at a huge learning rate: NaN in epoch 1."""
    from core.training import train
    from tests.core.test_training import EXPLODING, HUGE_LR, exploding_data

    events = Events()
    project = Project(model=ModelSpec(io_mode="many_to_one", **EXPLODING), training=TrainingSpec(**HUGE_LR))
    result = train(project, exploding_data(), listener=events)
    assert result.stop_reason == "nan" and result.history.divergence is not None
    return events, result.history


@pytest.fixture
def plots(show_widget):
    widget = show_widget(TrainingPlots(), 900, 760)
    show_tab(widget, "Weight health")
    return widget


def health_tab(plots: TrainingPlots) -> WeightHealthTab:
    return plots.findChild(WeightHealthTab)


def feed(plots: TrainingPlots, run_id: str, events: Events, epochs: int | None = None) -> None:
    plots.begin_run(run_id, f"#{run_id} run", events.started, "classification")
    for event in events.epochs[:epochs]:
        plots.add_epoch(run_id, event)
    plots.redraw_now()


def test_the_radius_of_each_lstm_gate_block_is_drawn_epoch_by_epoch_while_it_trains(plots, lstm_run):
    events, history = lstm_run
    tab = health_tab(plots)
    feed(plots, "1", events, epochs=1)
    curves = tab.radius_curves()
    assert sorted(curves) == sorted(f"rnn_1 {block}" for block in LSTM_BLOCKS)
    assert all(list(epochs) == [1.0] for epochs, _radii in curves.values())

    plots.add_epoch("1", events.epochs[1])
    plots.redraw_now()
    curves = tab.radius_curves()
    for block in LSTM_BLOCKS:
        epochs, radii = curves[f"rnn_1 {block}"]
        assert list(epochs) == [1.0, 2.0]
        np.testing.assert_allclose(radii, history.spectral_radius["rnn_1"][block])
    items = plots.plot_items()["spectral"].getPlotItem().listDataItems()
    drawn = [item for item in items if item is not tab.one_band]  # the band keeps 1 in view, unseen
    assert len(drawn) == 4
    np.testing.assert_allclose(drawn[1].getData()[1], history.spectral_radius["rnn_1"]["forget"])
    assert tab.one_line.value() == 1.0 and not tab.log_y()
    assert "above 1" in tab.one_line.childItems()[0].toPlainText() + tab.one_line.childItems()[1].toPlainText()
    assert tab.summary_label.text().startswith("Spectral radius at epoch 2: rnn_1 input")


def test_hovering_a_point_reads_its_radius(plots, simple_history, qtbot):
    history = simple_history
    plots.load_history("1", "#1 SimpleRNN", history, "classification")
    plots.redraw_now()
    widget = plots.plot_items()["spectral"]
    view = widget.getPlotItem().getViewBox()
    view.autoRange()
    qtbot.wait(50)
    radius = history.spectral_radius["rnn_1"]["w_R"][1]
    # Two pixels off the point, as a hand would be.
    pos = widget.mapFromScene(view.mapViewToScene(QtCore.QPointF(2.0, radius))) + QtCore.QPoint(2, 2)
    qtbot.mouseMove(widget.viewport(), pos)
    qtbot.waitUntil(lambda: plots.hover_text("spectral") != "", timeout=2000)
    text = plots.hover_text("spectral")
    assert text.startswith("rnn_1\nepoch = 2")
    assert f"radius = {radius:.3g}" in text


def test_runs_compared_get_one_colour_each_and_a_reopened_bundle_shows_the_same(plots, lstm_run, simple_history):
    lstm_events, lstm_history = lstm_run
    tab = health_tab(plots)
    feed(plots, "live", lstm_events)
    live = tab.radius_curves()
    plots.load_history("saved", "#saved LSTM", History.from_dict(lstm_history.to_dict()), "classification")
    plots.redraw_now()
    assert {k: v[1].tolist() for k, v in tab.radius_curves().items()} == {k: v[1].tolist() for k, v in live.items()}

    plots.load_history("simple", "#simple SimpleRNN", simple_history, "classification")
    plots.show_runs(["simple", "saved"])
    plots.redraw_now()
    assert len(tab.radius_curves()) == 5
    radii = tab.radius_curves()["#simple SimpleRNN · rnn_1"][1]
    np.testing.assert_allclose(radii, simple_history.spectral_radius["rnn_1"]["w_R"])
    assert radii[1] == pytest.approx(1.5 * radii[0])  # w_R grown 1.5 times: so is its radius
    legend = [label.text for _sample, label in tab.legends["spectral"].items]
    assert legend[:2] == ["#simple SimpleRNN", "#saved LSTM"] and "rnn_1 forget" in legend
    view = tab.histogram_view
    assert view.run_combo.isVisible() and view.run().label == "#simple SimpleRNN", "the run shown before stays"
    view.choose(kind="gradients")
    assert not view.bars.isVisible() and view.message.text() == "No gradients histograms were recorded for #simple SimpleRNN."
    view.choose(run_label="#saved LSTM")
    np.testing.assert_array_equal(view.bars.opts["height"], lstm_history.gradient_histograms[1]["rnn_1"]["counts"])


def test_the_histogram_bars_are_the_recorded_counts_at_the_chosen_epoch(plots, lstm_run, qtbot):
    events, history = lstm_run
    view = health_tab(plots).histogram_view
    feed(plots, "1", events, epochs=1)
    view.choose(kind="weights", layer="rnn_1")
    assert view.epoch() == 1
    plots.add_epoch("1", events.epochs[1])
    plots.redraw_now()
    assert view.epoch() == 2, "the slider follows training while it is at the newest epoch"
    bars = view.bars.opts
    np.testing.assert_array_equal(bars["height"], history.weight_histograms[1]["rnn_1"]["counts"])
    assert bars["x0"][0] == pytest.approx(history.weight_histograms[1]["rnn_1"]["lo"])

    qtbot.keyClick(view.epoch_slider, QtCore.Qt.Key.Key_Left)
    assert view.epoch() == 1
    np.testing.assert_array_equal(view.bars.opts["height"], history.weight_histograms[0]["rnn_1"]["counts"])
    assert "epoch 1 (of 2 recorded)" == view.epoch_label.text()

    view.choose(kind="gradients", layer="head")
    assert view.epoch() == 2
    np.testing.assert_array_equal(view.bars.opts["height"], history.gradient_histograms[1]["head"]["counts"])
    assert not view.outline.isVisible()
    view.outline_box.setChecked(True)
    assert view.outline.isVisible()
    np.testing.assert_array_equal(view.outline.getData()[1], history.gradient_histograms[0]["head"]["counts"])


def test_a_slider_moved_back_stays_while_training_goes_on(plots, lstm_run, qtbot):
    events, _history = lstm_run
    view = health_tab(plots).histogram_view
    plots.begin_run("1", "#1 LSTM", events.started, "classification")
    # Three epochs' events (the second sent twice stands for a later epoch).
    for event in (events.epochs[0], events.epochs[1]):
        plots.add_epoch("1", event)
    plots.redraw_now()
    qtbot.keyClick(view.epoch_slider, QtCore.Qt.Key.Key_Home)
    assert view.epoch() == 1
    plots.add_epoch("1", events.epochs[1])
    plots.redraw_now()
    assert view.epoch() == 1 and view.epochs() == [1, 2, 3]
    qtbot.keyClick(view.epoch_slider, QtCore.Qt.Key.Key_End)
    plots.add_epoch("1", events.epochs[1])
    plots.redraw_now()
    assert view.epoch() == 4


def test_radii_a_decade_apart_get_a_log_axis(plots):
    history = History(epochs=[{"loss": 1.0}] * 3)
    for radius in (0.05, 0.4, 3.0):
        history.add_health({"spectral_radius": {"rnn_1": {"w_R": radius}},
                            "weight_histograms": {"rnn_1": {"lo": -1.0, "hi": 1.0, "counts": [1, 2, 1]}}})
    plots.load_history("1", "#1 vanishing then exploding", history, "regression")
    plots.redraw_now()
    tab = health_tab(plots)
    assert tab.log_y() and tab.one_line.value() == 0.0  # log10(1): the line stays at radius 1
    np.testing.assert_allclose(tab.radius_curves()["rnn_1"][1], [0.05, 0.4, 3.0])
    assert tab.summary_label.text() == "Spectral radius at epoch 3: rnn_1 3 (above 1)."


def test_a_run_saved_before_weight_health_says_so_instead_of_empty_plots(plots, simple_history):
    history = simple_history
    old = {k: v for k, v in history.to_dict().items()
           if k not in ("spectral_radius", "weight_histograms", "gradient_histograms", "probes")}
    tab = health_tab(plots)
    plots.load_history("old", "#old", History.from_dict(old), "classification")
    plots.redraw_now()
    message = tab.placeholders["spectral"]
    assert message.isVisible() and "#old was saved without weight health" in message.toPlainText()
    assert not tab.plots["spectral"].getPlotItem().getAxis("left").style["showValues"], "no empty axes"
    assert not tab.histogram_view.isVisible() and not tab.radius_curves()

    plots.load_history("new", "#new", history, "classification")
    plots.show_runs(["old", "new"])
    plots.redraw_now()
    assert not message.isVisible() and tab.histogram_view.isVisible()
    assert tab.missing_label.isVisible() and tab.missing_label.text().startswith("#old was saved")
    assert list(tab.radius_curves()) == ["#new · rnn_1"]
    plots.show_runs(["new"])
    plots.redraw_now()
    assert not tab.missing_label.isVisible() and tab.plots["spectral"].getPlotItem().getAxis("left").style["showValues"]


def test_a_wide_run_without_radii_yet_says_why_and_draws_them_once_measured(plots):
    history = History()
    looked = {"weight_histograms": {"rnn_1": {"lo": -1.0, "hi": 1.0, "counts": [1, 2, 1]}}}
    for _epoch in range(2):  # the radii did not fit in the training time yet (core.epoch_probe)
        history.add_health({**looked, "spectral_radius": {}})
    plots.load_history("1", "#1 wide", history, "regression")
    plots.redraw_now()
    tab = health_tab(plots)
    message = tab.placeholders["spectral"]
    assert message.isVisible() and "#1 wide: w_R is too large" in message.toPlainText()
    assert "2%" in message.toPlainText() and tab.histogram_view.isVisible() and not tab.radius_curves()
    # In the middle of the plot, where it is read (it sits at (0.5, 0.5) of an empty plot's range).
    axis = tab.plots["spectral"].getPlotItem().getAxis("left")
    assert not axis.style["showValues"] and tab.plots["spectral"].getPlotItem().getViewBox().viewRange()[0] == [0, 1]

    history.add_health({**looked, "spectral_radius": {"rnn_1": {"w_R": 0.97}}})
    plots.load_history("1", "#1 wide", history, "regression")
    plots.redraw_now()
    assert not message.isVisible() and axis.style["showValues"]
    epochs, radii = tab.radius_curves()["rnn_1"]
    assert list(epochs) == [3.0] and list(radii) == [0.97]


def test_the_csv_holds_every_radius_and_every_bin(plots, simple_history, tmp_path):
    history = simple_history
    plots.load_history("1", "#1", history, "classification")
    path = tmp_path / "health.csv"
    plots.export_csv("health", str(path))
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    radii = [float(row["value"]) for row in rows if row["quantity"] == "spectral radius"]
    np.testing.assert_allclose(radii, history.spectral_radius["rnn_1"]["w_R"])
    counts = [int(row["value"]) for row in rows if row["quantity"] == "weights count" and row["layer"] == "rnn_1"
              and row["epoch"] == "2"]
    assert counts == history.weight_histograms[1]["rnn_1"]["counts"]
    png = tmp_path / "health.png"
    plots.export_png("health", str(png))
    assert png.stat().st_size > 0


# --- a run that diverged ---------------------------------------------------------------------


def assert_clear_of_the_guides(tab: WeightHealthTab, line: pg.InfiniteLine) -> None:
    """The divergence label is inside the plot, covers neither label of the line at 1 nor a cross,
    and both labels of the line at 1 are inside the plot too."""
    view = tab.plots["spectral"].getPlotItem().getViewBox()
    label = line.label.sceneBoundingRect()
    assert view.sceneBoundingRect().contains(label), "the label is cut off"
    guides = [item for item in tab.one_line.childItems() if isinstance(item, pg.InfLineLabel)]
    assert len(guides) == 2 and all(guide.isVisible() for guide in guides)
    plot_area = view.sceneBoundingRect()
    assert all(plot_area.contains(guide.sceneBoundingRect()) for guide in guides), "a guide is cut off"
    assert not any(label.intersects(guide.sceneBoundingRect()) for guide in guides), "the label covers a guide"
    crosses, _lines = divergence_items(tab)
    for item in crosses:
        xs, ys = item.getData()  # as drawn (the logarithm on a log axis); None without a point
        for x, y in zip(xs if xs is not None else [], ys if ys is not None else []):
            at = view.mapViewToScene(QtCore.QPointF(x, y))
            reach = item.opts["symbolSize"] / 2 + 1
            mark = QtCore.QRectF(at.x() - reach, at.y() - reach, 2 * reach, 2 * reach)
            assert not label.intersects(mark), f"the label touches the cross at {y:.3g}"


def divergence_items(tab: WeightHealthTab) -> tuple[list[pg.PlotDataItem], list[pg.InfiniteLine]]:
    """The red crosses and the vertical lines the radius plot shows."""
    plot = tab.plots["spectral"].getPlotItem()
    crosses = [item for item in plot.listDataItems() if item.opts.get("symbol") == "x"]
    lines = [item for item in plot.items if isinstance(item, pg.InfiniteLine) and item.angle == 90]
    return crosses, lines


def test_a_diverged_run_shows_the_radius_that_blew_up_as_a_labelled_red_cross(plots, diverged_run, lstm_run, qtbot):
    """The epoch's point is the weights the rescue went back to (radius about 1); the cross at
    the NaN batch is the radius just before, live and in a reopened bundle; a normal run has none."""
    events, history = diverged_run
    divergence = history.divergence
    radius = divergence.spectral_radius["rnn_1"]["w_R"]
    tab = health_tab(plots)
    feed(plots, "live", events)
    x = divergence.global_batch / history.batches_per_epoch  # where the loss plot puts the NaN batch
    (epochs, kept), = tab.radius_curves().values()
    assert list(epochs) == [1.0] and kept[0] == pytest.approx(1.0, abs=0.05) and radius > 10 * kept[0]
    crosses, lines = divergence_items(tab)
    assert len(crosses) == 1 and len(lines) == 1
    np.testing.assert_allclose(crosses[0].xData, [x])
    np.testing.assert_allclose(crosses[0].yData, [radius])
    assert tab.log_y(), "1 and a radius that blew up are decades apart"
    label = lines[0].label.toPlainText()
    assert lines[0].value() == pytest.approx(x) and lines[0].label.isVisible()
    assert label == (f"Diverged at epoch {divergence.epoch}, batch {divergence.batch}:\n"
                     f"✕ radius {radius:.3g} just before {divergence.words}")
    legend = [text.text for _sample, text in tab.legends["spectral"].items]
    assert legend == ["rnn_1", "just before diverging"]
    assert f"Just before {divergence.words} (epoch 1, batch {divergence.batch}): rnn_1 {radius:.3g} (above 1)" \
        in tab.summary_label.text()
    # Hovering the cross reads it out (once the view has ranged over what it shows).
    qtbot.wait(50)
    view = tab.plots["spectral"].getPlotItem().getViewBox()
    assert_clear_of_the_guides(tab, lines[0])
    tab.hovers["spectral"].update_at(view.mapViewToScene(QtCore.QPointF(x, math.log10(radius))))
    assert plots.hover_text("spectral") == (f"rnn_1 just before {divergence.words}\n"
                                            f"epoch = {x:.3g}, radius = {radius:.3g}")

    plots.load_history("saved", "#saved", History.from_dict(json.loads(json.dumps(history.to_dict()))), "regression")
    plots.redraw_now()
    assert [(x_, text) for x_, text, _ in tab.divergence_marks()] == [(pytest.approx(x), label)]
    np.testing.assert_allclose(tab.divergence_marks()[0][2], [radius])
    assert len(divergence_items(tab)[0]) == 1

    plots.load_history("normal", "#normal", lstm_run[1], "classification")  # shown alone: the crosses go
    plots.redraw_now()
    assert divergence_items(tab) == ([], []) and not tab.divergence_marks()
    assert "just before diverging" not in [text.text for _sample, text in tab.legends["spectral"].items]
    assert "Just before" not in tab.summary_label.text()


def test_a_late_divergence_names_the_largest_gate_and_keeps_its_label_in_view(plots, qtbot):
    """An LSTM diverging near the end of its third epoch: a cross per gate block with a finite
    radius, labelled with the largest; the line is at the right edge, so its label goes left."""
    history = History(epochs=[{"loss": 1.0}] * 3, batches_per_epoch=10)
    for scale in (1.0, 1.2, 0.9):
        history.add_health({"spectral_radius": {"rnn_1": {block: scale * (1 + i / 10) for i, block in
                                                          enumerate(LSTM_BLOCKS)}}})
    history.divergence = Divergence(epoch=3, batch=9, global_batch=29, weights_after=28, cause="nan_loss",
                                    spectral_radius={"rnn_1": {"input": 2.0, "forget": 6.5, "candidate": math.nan,
                                                               "output": 3.0}})
    plots.load_history("1", "#1 LSTM", history, "regression")
    plots.redraw_now()
    tab = health_tab(plots)
    crosses, (line,) = divergence_items(tab)
    np.testing.assert_allclose(crosses[0].xData, [2.9] * 3)
    np.testing.assert_allclose(crosses[0].yData, [2.0, 6.5, 3.0])
    assert line.label.toPlainText() == ("Diverged at epoch 3, batch 9:\n"
                                        "✕ largest radius 6.5 (rnn_1 forget) just before the loss became NaN")
    qtbot.wait(50)  # the view ranges over what it shows
    assert_clear_of_the_guides(tab, line)


def test_a_divergence_whose_radii_were_left_out_says_so_without_a_cross(plots, qtbot):
    """A model too wide for the radii's time budget at the divergence: the line and the summary
    say w_R was not measured, not that no finite weights were kept."""
    history = History(epochs=[{"loss": 1.0}], batches_per_epoch=10)
    history.add_health({"spectral_radius": {"rnn_1": {"w_R": 1.1}}})
    history.divergence = Divergence(epoch=1, batch=4, global_batch=4, weights_after=3, cause="nan_loss",
                                    spectral_radius={}, radius_measured=False)
    plots.load_history("1", "#1 LSTM", history, "regression")
    plots.redraw_now()
    tab = health_tab(plots)
    crosses, (line,) = divergence_items(tab)
    assert all(cross.xData is None or len(cross.xData) == 0 for cross in crosses), "no radius, no cross"
    assert "just before diverging" not in [text.text for _sample, text in tab.legends["spectral"].items]
    assert line.label.toPlainText() == ("Diverged at epoch 1, batch 4:\n"
                                        "w_R not measured: too wide for the time budget")
    qtbot.wait(50)  # the view ranges over what it shows
    assert_clear_of_the_guides(tab, line)  # near the left edge, where the guides are
    assert ("Just before the loss became NaN (epoch 1, batch 4): w_R not measured: too wide for the radii's "
            "time budget at that point.") in tab.summary_label.text()
    assert "no finite weights" not in tab.summary_label.text()


@pytest.mark.parametrize("height", [760, 520])
def test_a_divergence_label_starts_clear_of_its_cross_in_a_tall_or_a_short_plot(show_widget, qtbot, height):
    """An early divergence whose cross is the top of the radius plot, beside the label's first
    line: in a short window (a 900-pixel screen: the radius plot ~90 px high) no height keeps them apart, so the label
    starts past the cross's half width."""
    plots = show_widget(TrainingPlots(), 900, height)
    show_tab(plots, "Weight health")
    history = History(epochs=[{"loss": 1.0}], batches_per_epoch=10)
    history.add_health({"spectral_radius": {"rnn_1": {"w_R": 1.0}}})
    history.divergence = Divergence(epoch=1, batch=4, global_batch=4, weights_after=3, cause="nan_loss",
                                    spectral_radius={"rnn_1": {"w_R": 4e16}})
    plots.load_history("1", "#1 SimpleRNN", history, "regression")
    plots.redraw_now()
    qtbot.wait(50)  # the view ranges over what it shows
    tab = health_tab(plots)
    _crosses, (line,) = divergence_items(tab)
    assert_clear_of_the_guides(tab, line)


def test_on_a_laptop_screen_both_plots_keep_room_for_what_they_show(make_window, qtbot):
    """A 1366 x 768 screen: the window ~740 px high, the diagnosis under the plots. The histogram
    had ~20 px for its bars (its count ticks on top of each other), under a title that repeated
    the choices above it, and the divergence label covered "above 1" in the radius plot."""
    from core.weight_health import histogram

    window = make_window(load_tensorflow=False)
    window.resize(1366, 740)
    show_tab(window.plots, "Weight health")
    history = History(epochs=[{"loss": 1.0}], batches_per_epoch=10)
    weights = np.random.default_rng(0).normal(0, 0.1, 400)
    history.add_health({"spectral_radius": {"rnn_1": {"w_R": 1.0}},
                        "weight_histograms": {"rnn_1": histogram([weights])}})
    history.divergence = Divergence(epoch=1, batch=4, global_batch=4, weights_after=3, cause="nan_loss",
                                    spectral_radius={"rnn_1": {"w_R": 4e16}})
    window.plots.load_history("1", "#1 SimpleRNN", history, "regression")
    window.plots.redraw_now()
    tab = health_tab(window.plots)
    qtbot.wait(50)  # the views range over what they show

    bars = tab.histogram_view.plot.getPlotItem().getViewBox()
    count_axis = tab.histogram_view.plot.getPlotItem().getAxis("left")
    assert bars.height() >= 50, "the histogram has no room for its bars"
    assert len([value for spacing, values in count_axis.tickValues(*bars.viewRange()[1], bars.height())
                for value in values]) >= 2
    assert tab.plots["spectral"].getPlotItem().getViewBox().height() >= 80
    _crosses, (line,) = divergence_items(tab)
    assert_clear_of_the_guides(tab, line)
