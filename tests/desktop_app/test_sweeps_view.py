"""The Sweeps tab, fed by a scripted engine: rows appear live, sort, fill the plots, reopen.

The engine here is a stand-in with ``run_sweep``'s signature that reports core.sweeps' own
events for the adding problem's "how far back can each cell remember" grid (cell x length x
two seeds), with a val_loss that grows with the length for the SimpleRNN only, and one trial
that fails. It writes the results where run_sweep would, so the folder reopens.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from core.errors import RNNLabError
from core.specs import DatasetSpec, ModelSpec, Project
from core.sweeps.engine import TrialEpoch, TrialFinished, TrialStarted
from core.sweeps.results import TrialResult, write_results
from core.sweeps.spec import SweepSpec
from core.sweeps.trials import expand_trials
from desktop_app.sweeps.results_view import SweepsView
from desktop_app.sweeps.worker import SweepRequest, SweepWorker

CELLS = ["SimpleRNN", "LSTM", "GRU"]
LENGTHS = [10, 50]
FAILING = ("GRU", 50, 1)  # cell, length, seed
ERROR = "Out of memory on cpu: lower training.batch_size or model.units."


def adding_spec() -> SweepSpec:
    project = Project(name="adding", dataset=DatasetSpec(task="adding", params={"length": 10, "samples": 64}),
                      model=ModelSpec(cell="LSTM", io_mode="many_to_one", units=4))
    return SweepSpec.from_dict({"name": "memory", "project": project.to_dict(),
                                "grid": {"model.cell": CELLS, "dataset.params.length": LENGTHS},
                                "seeds": [0, 1], "metric": "val_loss", "mode": "min"})


def val_loss(cell: str, length: int, seed: int) -> float:
    """The lecture's result: the SimpleRNN falls to the baseline as T grows, the gated cells hold."""
    forgets = 0.003 * length if cell == "SimpleRNN" else 0.0
    return 0.01 + forgets + 0.002 * seed


def scripted_result(trial) -> TrialResult:
    cell, length = trial.fields["model.cell"], trial.fields["dataset.params.length"]
    if (cell, length, trial.seed) == FAILING:
        return TrialResult(trial.trial_id, dict(trial.fields), trial.seed, "failed", error=ERROR, seconds=0.5)
    loss = val_loss(cell, length, trial.seed)
    return TrialResult(trial.trial_id, dict(trial.fields), trial.seed, "completed",
                       metrics={"loss": loss * 0.9, "val_loss": loss}, flow_ratio=0.5, seconds=2.0,
                       bundle=f"trials/{trial.trial_id}.rnnlab", epochs=1)


class ScriptedEngine:
    """``run_sweep``'s stand-in; it holds the first trial open until ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.asked: dict = {}

    def __call__(self, spec, out_dir, **options):
        self.asked = options
        on_event = options["on_event"]
        results = []
        for number, trial in enumerate(expand_trials(spec)):
            on_event(TrialStarted(trial, 1))
            on_event(TrialEpoch(trial.trial_id, 1, {"loss": 0.3, "val_loss": 0.4}))
            if number == 0:
                assert self.release.wait(10), "the test never let the first trial finish"
            results.append(scripted_result(trial))
            on_event(TrialFinished(results[-1]))
            if options.get("stop_event") is not None and options["stop_event"].is_set():
                break
        write_results(out_dir, spec, results)
        return results


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    """The folder the scripted sweep leaves, as run_sweep would leave it."""
    engine = ScriptedEngine()
    engine.release.set()
    out = tmp_path_factory.mktemp("sweeps") / "memory"
    engine(adding_spec(), out, on_event=lambda event: None)
    return out


@pytest.fixture
def finished_sweep(show_widget, sweep_folder):
    """The Sweeps tab showing the scripted sweep, reopened from its folder."""
    view = show_widget(SweepsView(), 1200, 800)
    assert view.open_folder(sweep_folder)
    return view


def test_rows_appear_while_the_sweep_runs_and_finish_with_their_results(qtbot, show_widget, tmp_path):
    engine = ScriptedEngine()
    view = show_widget(SweepsView(SweepWorker(engine)), 1200, 800)
    assert "No sweep yet" in view.title_label.text() and not view.body.isVisible()  # no empty axes
    view.start(SweepRequest(adding_spec(), tmp_path / "live", engine="local", max_concurrent=2))
    assert view.body.isVisible()

    qtbot.waitUntil(lambda: view.model.rowCount() == 1 and "epoch 1" in _cell(view, 0, "Status"), timeout=5000)
    assert _cell(view, 0, "Cell") == "SimpleRNN" and _cell(view, 0, "Sequence length T") == "10"
    assert _cell(view, 0, "Status") == "running, epoch 1" and _cell(view, 0, "val_loss") == "0.4"
    assert view.stop_button.isVisible() and not view.open_button.isEnabled()
    assert engine.asked["max_concurrent"] == 2 and engine.asked["resume"] is False
    assert engine.asked["background"] is True  # its workers yield to the window, as a training child does

    with qtbot.waitSignal(view.sweep_ended, timeout=10000):
        engine.release.set()
    qtbot.waitUntil(lambda: not view.is_running(), timeout=5000)
    assert view.model.rowCount() == len(CELLS) * len(LENGTHS) * 2
    assert {_cell(view, row, "Status") for row in range(view.model.rowCount())} == {"completed", "failed"}
    assert "11 of 12 completed, 1 failed" in view.progress_label.text()
    assert not view.stop_button.isVisible() and view.open_button.isEnabled()
    assert len(view.parallel.trial_lines) == 11 and len(view.by_field.mean_lines) == 3

    # The output folder is the sweep's document: it reopens as it was shown.
    reopened = show_widget(SweepsView(), 1200, 800)
    with qtbot.waitSignal(reopened.message) as said:
        assert reopened.open_folder(tmp_path / "live")
    assert "11 of 12 completed, 1 failed" in said.args[0]
    assert sorted(_row_texts(reopened)) == sorted(_row_texts(view))
    assert len(reopened.parallel.trial_lines) == 11 and len(reopened.by_field.mean_lines) == 3


def test_stop_ends_the_sweep_after_the_running_trial_and_keeps_it(qtbot, show_widget, tmp_path):
    engine = ScriptedEngine()
    view = show_widget(SweepsView(SweepWorker(engine)), 1200, 800)
    view.start(SweepRequest(adding_spec(), tmp_path / "stopped"))
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)
    with qtbot.waitSignal(view.message) as said:
        qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    assert "Stopping the sweep" in said.args[0] and not view.stop_button.isEnabled()

    with qtbot.waitSignal(view.sweep_ended, timeout=10000), qtbot.waitSignal(view.message) as said:
        engine.release.set()
    assert "stopped: 1 of 12 completed" in said.args[0] and "Resume" in said.args[0]
    assert [view.model.trial_row(0).status] == ["completed"] and view.model.rowCount() == 1
    qtbot.waitUntil(lambda: not view.is_running(), timeout=5000)

    # Resume runs the rest into the same folder, the completed trial kept in view meanwhile.
    assert view.resume_button.isVisible()
    with qtbot.waitSignal(view.sweep_ended, timeout=10000):
        qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
        assert view.model.trial_row(0).status == "completed"
    assert engine.asked["resume"] is True
    assert "11 of 12 completed, 1 failed" in view.progress_label.text()
    assert view.resume_button.isVisible()  # the failed trial may run again


def test_a_sweep_the_engine_refuses_ends_with_its_reason(qtbot, show_widget, tmp_path):
    def refuse(spec, out_dir, **_options):
        raise RNNLabError(f"{out_dir}: this folder already holds the results of a sweep (3 trials): resume it.")

    view = show_widget(SweepsView(SweepWorker(refuse)), 800, 600)
    with qtbot.waitSignal(view.failed, timeout=5000) as failed:
        view.start(SweepRequest(adding_spec(), tmp_path / "taken"))
    title, failure = failed.args
    assert title == "The sweep failed" and "already holds the results" in failure.message
    qtbot.waitUntil(lambda: not view.is_running(), timeout=5000)
    assert view.open_button.isEnabled() and not view.stop_button.isVisible()


def test_a_failed_trial_shows_its_reason_and_draws_no_line(finished_sweep):
    view = finished_sweep
    failed = [row for row in range(view.proxy.rowCount()) if _cell(view, row, "Status") == "failed"]
    assert len(failed) == 1
    assert _cell(view, failed[0], "Note") == ERROR
    assert len(view.parallel.trial_lines) == 11


def test_clicking_a_header_sorts_the_trials_by_that_column(qtbot, finished_sweep):
    view = finished_sweep
    # A finished sweep shows its best trial first.
    losses = [_number(view, row, "val_loss") for row in range(view.proxy.rowCount())]
    finite = [value for value in losses if value is not None]
    assert finite == sorted(finite) and losses[-1] is None  # the failed trial, without a loss, last

    header = view.table.horizontalHeader()
    column = view.model.columns().index("Sequence length T")
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    lengths = [int(_cell(view, row, "Sequence length T")) for row in range(view.proxy.rowCount())]
    assert lengths == sorted(lengths) or lengths == sorted(lengths, reverse=True)
    assert set(lengths) == set(LENGTHS)


def test_the_metric_plot_draws_one_line_per_cell_with_the_mean_over_seeds(qtbot, finished_sweep):
    view = finished_sweep
    assert view.x_combo.currentData() == "dataset.params.length"
    assert view.group_combo.currentData() == "model.cell"
    lines = {series.group: series for series in view.by_field.series}
    assert set(lines) == set(CELLS) and len(view.by_field.mean_lines) == 3
    simple = lines["SimpleRNN"]
    assert list(simple.mean) == pytest.approx([(val_loss("SimpleRNN", t, 0) + val_loss("SimpleRNN", t, 1)) / 2
                                              for t in LENGTHS])
    assert list(simple.spread) == pytest.approx([0.001, 0.001])
    assert list(lines["GRU"].count) == [2, 1]  # one GRU trial at T = 50 failed

    view.group_combo.setCurrentIndex(view.group_combo.findData(""))
    qtbot.waitUntil(lambda: len(view.by_field.mean_lines) == 1, timeout=2000)
    view.x_combo.setCurrentIndex(view.x_combo.findData("model.cell"))
    qtbot.waitUntil(lambda: len(view.by_field.series[0].x) == len(CELLS), timeout=2000)


def test_a_folder_that_holds_no_sweep_is_named_in_the_message(qtbot, show_widget, tmp_path):
    view = show_widget(SweepsView(), 800, 600)
    with qtbot.waitSignal(view.failed) as failed:
        assert not view.open_folder(tmp_path)
    title, failure = failed.args
    assert title == "Cannot open the sweep" and str(tmp_path) in failure.message and "sweep.json" in failure.message


def test_double_clicking_a_failed_trial_says_why_it_has_no_model(qtbot, finished_sweep):
    view = finished_sweep
    row = next(r for r in range(view.proxy.rowCount()) if _cell(view, r, "Status") == "failed")
    with qtbot.assertNotEmitted(view.bundle_requested), qtbot.waitSignal(view.message) as said:
        _double_click(qtbot, view, row)
    assert ERROR in said.args[0]


def _double_click(qtbot, view, row: int) -> None:
    index = view.proxy.index(row, 0)
    view.table.scrollTo(index)
    center = view.table.visualRect(index).center()
    # A double-click is a press, then the double-click: the view only reports the index it was pressed on.
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=center)
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=center)


def _cell(view, row: int, column: str) -> str:
    return view.proxy.index(row, view.model.columns().index(column)).data()


def _number(view, row: int, column: str) -> float | None:
    text = _cell(view, row, column)
    return float(text) if text else None


def _row_texts(view) -> list[tuple]:
    return [tuple(view.proxy.index(row, column).data() for column in range(view.proxy.columnCount()))
            for row in range(view.proxy.rowCount())]


def test_closing_the_window_while_a_sweep_runs_asks_and_keeps_what_finished(qtbot, make_window, prompt_answers,
                                                                            tmp_path):
    window = make_window(load_tensorflow=False)
    engine = ScriptedEngine()
    view = window.sweeps.view
    view.worker._run_function = engine  # the window's own worker, on the scripted engine
    view.start(SweepRequest(adding_spec(), tmp_path / "closing"))
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)

    answers, asked = prompt_answers
    answers.append("resume")  # first close: the user changes their mind
    window.close()
    assert window.isVisible() and view.is_running()
    assert "A sweep is running (0 of 12 completed, 1 training)" in asked[-1]

    engine.release.set()  # the running trial finishes while the window closes
    window.close()  # second close: "quit" stops the sweep after that trial
    qtbot.waitUntil(lambda: not view.is_running(), timeout=10000)
    assert not window.isVisible()
    assert (tmp_path / "closing" / "results.json").is_file()


def test_one_diverged_trial_does_not_paint_the_others_alike(qtbot, show_widget):
    """Trials are coloured by rank: by value, a loss of 35 beside losses of 0.15-0.18 (the exploding
    example's sweep) left every good trial the same bright colour."""
    from desktop_app.sweeps.plots import ParallelCoordinates, rank_goodness
    from desktop_app.sweeps.table_model import TrialRow

    losses = [34.9, 0.178, 0.162, 0.158, 0.157, 0.150]
    rows = [TrialRow(f"t{i}", {"training.learning_rate": rate}, 0, status="completed", metrics={"val_loss": loss})
            for i, (rate, loss) in enumerate(zip([0.5, 0.5, 0.1, 0.01, 0.01, 0.1], losses))]
    plot = show_widget(ParallelCoordinates(), 500, 300)
    plot.show_trials(rows, [("training.learning_rate", "Learning rate")], "val_loss", "min")
    colours = {line.opts["pen"].color().name() for line in plot.trial_lines}
    assert len(colours) == len(rows)  # six trials, six colours
    assert rank_goodness(np.asarray(losses), "min") == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert rank_goodness(np.asarray([0.9, 0.5, 0.9]), "max") == pytest.approx([1.0, 0.0, 1.0])  # ties share
    assert "rank in val_loss" in plot.caption and "(34.9)" in plot.caption and "(0.15, the lowest)" in plot.caption


def test_a_trial_whose_gradients_blew_up_says_so_in_its_status(qtbot):
    """The exploding example's sweep: learning rate 0.5 without clipping ends at epoch 1 on the
    weights kept before the NaN, a completed run with a bundle, and the table says it diverged."""
    from desktop_app.sweeps.table_model import TrialRow, TrialsTableModel

    message = ("Gradients exploded at epoch 1, batch 6: lower the learning rate or enable clipping "
               "(training.clip_mode); kept the weights from after batch 4 of epoch 1.")
    diverged = TrialResult("a", {"training.learning_rate": 0.5}, 0, "completed", metrics={"val_loss": 34.9},
                           bundle="trials/a.rnnlab", error=message, epochs=1, stop_reason="nan")
    tamed = TrialResult("b", {"training.learning_rate": 0.1}, 0, "completed", metrics={"val_loss": 0.15},
                        bundle="trials/b.rnnlab", epochs=10, stop_reason="completed")
    model = TrialsTableModel()
    model.begin(["training.learning_rate"], "val_loss", "adding", [TrialRow.from_result(r) for r in (diverged, tamed)])
    status = model.columns().index("Status")
    texts = [model.data(model.index(row, status)) for row in range(2)]
    assert texts == ["completed, diverged", "completed"]
    assert model.data(model.index(0, status), Qt.ItemDataRole.ToolTipRole) == message


def test_a_metric_that_spans_decades_is_drawn_on_a_log_axis(qtbot, show_widget):
    """The exploding example's sweep: a diverged trial's 34.9 beside 0.15-0.18."""
    from desktop_app.sweeps.plots import MetricByField
    from desktop_app.sweeps.table_model import TrialRow

    cases = [(0.5, "none", 34.9), (0.5, "global_norm", 0.178), (0.1, "none", 0.162), (0.1, "global_norm", 0.150),
             (0.01, "none", 0.158), (0.01, "global_norm", 0.157)]
    rows = [TrialRow(f"t{i}", {"training.learning_rate": rate, "training.clip_mode": clip}, 0, status="completed",
                     metrics={"val_loss": loss}) for i, (rate, clip, loss) in enumerate(cases)]
    plot = show_widget(MetricByField(), 500, 300)
    plot.show_trials(rows, ("training.learning_rate", "Learning rate"), ("training.clip_mode", "Gradient clipping"),
                     "val_loss")
    assert plot.y_log and "log scale" in plot.getPlotItem().getAxis("left").labelText
    # What is drawn: log10 of the means, so 0.15 and 0.178 stay apart instead of on one flat line.
    line = next(line for series, line in zip(plot.series, plot.mean_lines) if series.group == "global_norm")
    assert line.curve.getData()[1] == pytest.approx(np.log10([0.157, 0.150, 0.178]))  # rates 0.01, 0.1, 0.5
    plot.show_trials(rows[1:], ("training.learning_rate", "Learning rate"), ("training.clip_mode", "Gradient clipping"),
                     "val_loss")
    assert not plot.y_log  # without the diverged trial the losses sit within one decade


def _drawn_tick_labels(axis) -> list[str]:
    """The tick labels the axis paints now (pyqtgraph leaves out those that would not fit)."""
    return [text for _rect, text in _drawn_label_rects(axis)]


@pytest.mark.parametrize("width", [420, 700])
def test_every_value_of_the_field_keeps_its_tick_label_in_a_narrow_plot(qtbot, show_widget, width):
    from desktop_app.sweeps.plots import MetricByField
    from desktop_app.sweeps.table_model import TrialRow

    rows = [TrialRow(f"t{i}", {"model.cell": cell, "training.learning_rate": rate}, 0, status="completed",
                     metrics={"val_loss": 0.1 + 0.01 * i})
            for i, (cell, rate) in enumerate([(c, r) for c in ("SimpleRNN", "LSTM", "GRU") for r in (0.001, 0.01)])]
    plot = show_widget(MetricByField(), width, 260)
    for x_field in (("model.cell", "Cell"), ("training.learning_rate", "Learning rate")):
        plot.show_trials(rows, x_field, None, "val_loss", log_fields={"training.learning_rate"})
        qtbot.wait(20)
        drawn = _drawn_tick_labels(plot.getPlotItem().getAxis("bottom"))
        expected = ["SimpleRNN", "LSTM", "GRU"] if x_field[0] == "model.cell" else ["0.001", "0.01"]
        assert sorted(drawn) == sorted(expected), (x_field, drawn)


def _drawn_label_rects(axis) -> list:
    """(rect, text) of each label the axis paints now, left to right; unlabelled ticks left out."""
    from PySide6.QtGui import QImage, QPainter

    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    drawn = [(rect, text) for rect, _flags, text in specs[2] if text] if specs else []
    return sorted(drawn, key=lambda item: item[0].left())


@pytest.mark.parametrize("width", [420, 1100])
def test_labels_that_would_overlap_are_left_to_every_other_tick(qtbot, show_widget, width):
    from desktop_app.sweeps.plots import MetricByField
    from desktop_app.sweeps.table_model import TrialRow

    rates = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025]
    rows = [TrialRow(f"t{i}", {"training.learning_rate": rate}, 0, status="completed", metrics={"val_loss": 0.2 + i / 100})
            for i, rate in enumerate(rates)]
    plot = show_widget(MetricByField(), width, 260)
    plot.show_trials(rows, ("training.learning_rate", "Learning rate"), None, "val_loss",
                     log_fields={"training.learning_rate"})
    qtbot.wait(20)
    texts = _labels_side_by_side(plot)
    assert texts[0] == "0.0001"
    if width == 1100:
        assert len(texts) == len(rates)
    else:
        assert 2 <= len(texts) < len(rates)
    # Widened, the plot labels every value again.
    plot.resize(1100, 260)
    qtbot.wait(20)
    assert len(_labels_side_by_side(plot)) == len(rates)


def test_in_a_plot_too_narrow_for_every_cell_s_name_the_names_do_not_overlap(qtbot, show_widget):
    from desktop_app.sweeps.plots import MetricByField
    from desktop_app.sweeps.table_model import TrialRow

    rows = [TrialRow(f"t{i}", {"model.cell": cell}, 0, status="completed", metrics={"val_loss": 0.1 + i / 100})
            for i, cell in enumerate(("SimpleRNN", "LSTM", "GRU"))]
    plot = show_widget(MetricByField(), 340, 260)
    plot.show_trials(rows, ("model.cell", "Cell"), None, "val_loss")
    qtbot.wait(20)
    assert _labels_side_by_side(plot)[:2] == ["GRU", "LSTM"]  # SimpleRNN's name would run into LSTM's


def _labels_side_by_side(plot) -> list[str]:
    """The labels the bottom axis draws, left to right, each clear of the next."""
    drawn = _drawn_label_rects(plot.getPlotItem().getAxis("bottom"))
    for (left, _), (right, _) in zip(drawn, drawn[1:]):
        assert left.right() < right.left(), [text for _, text in drawn]
    return [text for _, text in drawn]
