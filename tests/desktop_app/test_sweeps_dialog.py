"""Run › Sweep…, driven as a user would: pick fields, type or generate values, see the count and
the time, have a bad value named with Start disabled; open a sweep file (an example, one of the
command line's) and save one that core reads back as the same sweep, go back to the current
project, see the output folder follow the name and the file note say when the dialog differs from
the file, find the folders again in the next dialog, and see the time estimated off the window's
thread; and, in the window, a real two-trial sweep from the dialog to the Sweeps tab, whose trials
open into the Runs list."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from core.examples import EXAMPLES_DIR
from core.persistence import save_project
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from core.sweeps import SweepSpec, expand_trials
from desktop_app.sweeps.dialog import SweepDialog
from tests.desktop_app.conftest import configure_tiny_cooking


def adding_project() -> Project:
    return Project(name="adding", dataset=DatasetSpec(task="adding", params={"length": 10, "samples": 64}),
                   model=ModelSpec(cell="LSTM", io_mode="many_to_one", units=4),
                   training=TrainingSpec(epochs=2, batch_size=16))


@pytest.fixture
def dialog(qtbot, tmp_path):
    shown = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "sweep")
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def test_typed_values_and_seeds_make_the_trial_count_and_an_estimated_time(qtbot, dialog):
    cells = dialog.rows[0]
    assert cells.field().dotted == "model.cell" and cells.values_edit.text() == "SimpleRNN, LSTM, GRU"
    assert dialog.summary_label.text().startswith("6 trials")  # 3 cells x seeds 0, 1

    cells.values_edit.setText("SimpleRNN, GRU")
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    lengths = dialog.rows[1]
    lengths.field_combo.setCurrentIndex(lengths.field_combo.findText("Dataset › Sequence length T"))
    lengths.values_edit.setText("10, 25, 50")
    assert dialog.summary_label.text().startswith("12 trials")
    with qtbot.waitSignal(dialog.estimated, timeout=5000):
        dialog.seeds_edit.setText("0")
    summary = dialog.summary_label.text()
    assert summary.startswith(("6 trials, 2 at once · about ", "6 trials, 2 at once · under a minute"))
    assert "about under" not in summary and summary.endswith("(a rough estimate)")
    assert dialog.start_button.isEnabled() and not dialog.message.isVisible()

    qtbot.mouseClick(cells.remove_button, Qt.MouseButton.LeftButton)
    assert len(dialog.rows) == 1 and dialog.summary_label.text().startswith("3 trials")

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    request = dialog.request()
    assert dialog.result() == SweepDialog.DialogCode.Accepted
    assert dict(request.spec.grid) == {"dataset.params.length": [10, 25, 50]} and request.spec.seeds == (0,)
    assert request.spec.project.model.units == 4 and request.engine == "local"


def test_a_bad_value_is_named_and_start_waits_until_it_is_fixed(qtbot, dialog):
    units = dialog.add_row("model.units", "8, 16")
    assert dialog.start_button.isEnabled()

    units.values_edit.setText("8, 1x6")
    assert "Architecture › Units: “1x6” is not a number" in dialog.message.plain_text()
    assert not dialog.start_button.isEnabled() and dialog.summary_label.text() == ""

    units.values_edit.setText("8, 0")
    assert dialog.message.plain_text() == ("Architecture › Units: expected a whole number from 1 to 4096, "
                                           "received 0")
    assert not dialog.start_button.isEnabled()

    dialog.seeds_edit.setText("0, 0")
    units.values_edit.setText("8, 16")
    assert "Seeds" in dialog.message.plain_text() and "without repeats" in dialog.message.plain_text()
    dialog.seeds_edit.setText("0, 1")
    assert dialog.start_button.isEnabled() and dialog.summary_label.text().startswith("12 trials")


def test_values_generated_on_a_log_scale_and_a_random_range(qtbot, dialog):
    rate = dialog.add_row("training.learning_rate")
    qtbot.mouseClick(rate.generate_button, Qt.MouseButton.LeftButton)
    assert rate.scale_combo.currentText() == "log"  # the learning rate is a log-scale field
    rate.low_edit.setText("0.001")
    rate.high_edit.setText("0.1")
    assert rate.values_edit.text() == "0.001, 0.01, 0.1"
    assert dialog.summary_label.text().startswith("18 trials")

    rate.how_combo.setCurrentIndex(rate.how_combo.findData("random"))
    assert rate.distribution_combo.currentData() == "loguniform" and not rate.values_edit.isVisible()
    dialog.samples_spin.setValue(4)
    assert dialog.summary_label.text().startswith("24 trials")  # 3 cells x 4 draws x 2 seeds
    rate.high_edit.setText("0.0001")
    assert "Learning rate" in dialog.message.plain_text() and "low < high" in dialog.message.plain_text()
    assert not dialog.start_button.isEnabled()


def test_a_folder_that_holds_a_sweep_asks_for_resume(qtbot, dialog, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "sweep.json").write_text("{}")
    dialog.folder_edit.setText(str(tmp_path / "old"))
    assert "already holds a sweep" in dialog.message.plain_text() and not dialog.start_button.isEnabled()
    dialog.resume_check.setChecked(True)
    assert dialog.start_button.isEnabled() and dialog.request().resume

    dialog.folder_edit.setText("")
    assert "Choose an output folder" in dialog.message.plain_text()


def test_ray_takes_an_address_and_early_stopping_works_on_both_engines(dialog):
    # This computer: no address; early stopping works on both engines.
    assert not dialog.address_edit.isEnabled() and dialog.asha_check.isEnabled()
    dialog.asha_check.setChecked(True)
    assert dialog.request().spec.scheduler == "asha" and dialog.request().engine == "local"
    dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("ray"))
    dialog.address_edit.setText("ray://head:10001")
    dialog.asha_check.setChecked(True)
    if importlib.util.find_spec("ray") is None:
        assert "pip install 'rnn-lab[ray]'" in dialog.message.plain_text() and not dialog.start_button.isEnabled()
        return
    request = dialog.request()
    assert (request.engine, request.address, request.spec.scheduler) == ("ray", "ray://head:10001", "asha")


EXPLODING_FIXES = EXAMPLES_DIR / "sweeps" / "exploding_fixes.json"


def answer_file_dialogs(monkeypatch, *, open_path=None, save_path=None) -> list[tuple]:
    """QFileDialog answers ``open_path`` / ``save_path``; the list gets each call's arguments."""
    asked: list[tuple] = []

    def answer(path):
        return lambda *args: (asked.append(args), (str(path), "Sweep files (*.json)"))[1]

    if open_path is not None:
        monkeypatch.setattr(QFileDialog, "getOpenFileName", answer(open_path))
    if save_path is not None:
        monkeypatch.setattr(QFileDialog, "getSaveFileName", answer(save_path))
    return asked


def shown(dialog: SweepDialog) -> tuple:
    """What the dialog shows of its sweep, and the sweep it would run."""
    rows = [(row.field().dotted, row.how_combo.currentData(), row.values_edit.text()) for row in dialog.rows]
    spec = dialog.spec()
    return (dialog.name_edit.text(), dialog.base_label.text(), rows, dialog.seeds_edit.text(),
            dialog.summary_label.text().split(" · ")[0], spec.to_dict() if spec else None,
            dialog.start_button.isEnabled())


def test_opening_an_example_sweep_shows_its_fields_and_runs_its_trials(qtbot, dialog, monkeypatch):
    asked = answer_file_dialogs(monkeypatch, open_path=EXPLODING_FIXES)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert Path(asked[0][2]) == EXAMPLES_DIR / "sweeps"  # the first time, Open starts at the examples

    expected = SweepSpec.load(EXPLODING_FIXES)
    trials = expand_trials(expected)
    assert dialog.name_edit.text() == expected.name
    assert "exploding_fixes.json's project" in dialog.base_label.text() and expected.project.name in dialog.base_label.text()
    assert [(row.field().dotted, row.is_random(), row.values_edit.text()) for row in dialog.rows] == [
        ("training.learning_rate", False, "0.5, 0.1, 0.01"), ("training.clip_mode", False, "none, global_norm")]
    assert dialog.seeds_edit.text() == "0" and dialog.metric_combo.currentText() == "val_loss"
    assert dialog.mode_combo.currentData() == "min" and not dialog.asha_check.isChecked()
    assert dialog.summary_label.text().startswith(f"{len(trials)} trials")
    assert dialog.start_button.isEnabled() and not dialog.message.isVisible()
    # Start runs the file's sweep on the file's base project (its relative path read from the file's folder).
    spec = dialog.request().spec
    assert spec.to_dict() == expected.to_dict() and spec.project.dataset.task == "adding"
    assert [t.trial_id for t in expand_trials(spec)] == [t.trial_id for t in trials]


BAD_FILES = {
    "not JSON": ('{"schema_version": 1, "grid": ', "JSON"),
    "a newer schema": ({"schema_version": 7}, "schema_version"),
    "an unknown field": ({"grid": {"model.colour": ["red"]}}, "model.colour"),
    "an unknown key": ({"seed": [0]}, "seed"),
    "a bad value": ({"grid": {"training.learning_rate": [0.1, -2]}}, "-2"),
    "a field no row shows": ({"grid": {"training.device": ["cpu"]}}, "training.device"),
}


@pytest.mark.parametrize("content, named", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_sweep_file_that_cannot_be_used_is_named_and_the_dialog_keeps_its_sweep(qtbot, dialog, monkeypatch,
                                                                                  tmp_path, content, named):
    dialog.add_row("model.units", "4, 8")
    before = shown(dialog)
    bad = tmp_path / "bad.json"
    if isinstance(content, dict):
        content = json.dumps({"schema_version": 1, "project": "../exploding_gradients.json", **content})
        bad = tmp_path / "sweeps" / "bad.json"  # beside an examples-like folder: the project path is fine
        bad.parent.mkdir()
        save_project(tmp_path / "exploding_gradients.json", adding_project())
    bad.write_text(content)
    answer_file_dialogs(monkeypatch, open_path=bad)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)

    assert dialog.message.isVisible() and "Cannot open the sweep file" in dialog.message.plain_text()
    assert named in dialog.message.plain_text() and "bad.json" in dialog.message.plain_text()
    assert shown(dialog) == before


def test_a_project_path_in_a_sweep_file_is_read_from_the_file_s_folder(qtbot, dialog, tmp_path, monkeypatch):
    folder = tmp_path / "colleague"
    folder.mkdir()
    base = Project.from_dict({**adding_project().to_dict(), "name": "theirs"})
    save_project(folder / "base.json", base.with_field("model.units", 6))
    (folder / "cells.json").write_text(json.dumps({"schema_version": 1, "project": "base.json",
                                                   "grid": {"model.cell": ["GRU", "LSTM"]}, "seeds": [3]}))
    monkeypatch.chdir(tmp_path)  # not the file's folder
    assert dialog.open_file(folder / "cells.json")
    assert dialog.request().spec.project.model.units == 6 and "“theirs”" in dialog.base_label.text()
    assert dialog.summary_label.text().startswith("2 trials")


def test_a_saved_sweep_reads_back_in_core_and_in_the_dialog_as_the_same_sweep(qtbot, dialog, monkeypatch,
                                                                              tmp_path, isolated_settings):
    dialog._settings = isolated_settings
    dialog.name_edit.setText("cells and rates")
    rate = dialog.add_row("training.learning_rate")
    rate.how_combo.setCurrentIndex(rate.how_combo.findData("random"))
    rate.low_edit.setText("0.0001234567")
    rate.high_edit.setText("0.05")
    dialog.add_row("model.units", "4, 12")
    dialog.samples_spin.setValue(3)
    dialog.seeds_edit.setText("0, 1")
    dialog.metric_combo.setCurrentText("val_mae")
    built = dialog.spec()
    assert built is not None and dialog.summary_label.text().startswith("36 trials")

    asked = answer_file_dialogs(monkeypatch, save_path=tmp_path / "cluster" / "mine")
    (tmp_path / "cluster").mkdir()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert asked[0][2].endswith("cells and rates.json")
    saved = tmp_path / "cluster" / "mine.json"  # the suffix added
    assert "Saved as mine.json" in dialog.file_note.text()
    assert Path(isolated_settings.last_directory()) == tmp_path / "cluster"
    assert not list((tmp_path / "cluster").glob(".*.tmp"))  # written through core's atomic writer

    reloaded = SweepSpec.load(saved)  # as  main.py sweep mine.json --out DIR  reads it
    assert reloaded.to_dict() == built.to_dict()
    assert [t.trial_id for t in expand_trials(reloaded)] == [t.trial_id for t in expand_trials(built)]

    again = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "out", files_dir=saved.parent)
    qtbot.addWidget(again)
    opened = answer_file_dialogs(monkeypatch, open_path=saved)
    qtbot.mouseClick(again.open_button, Qt.MouseButton.LeftButton)
    assert Path(opened[0][2]) == saved.parent  # Open starts where the last sweep file was
    assert again.spec().to_dict() == built.to_dict()
    random_row = again.rows[2]  # grid fields first, as in the file
    assert random_row.is_random() and random_row.distribution_combo.currentData() == "loguniform"
    assert (random_row.low_edit.text(), random_row.high_edit.text()) == ("0.0001234567", "0.05")


def test_save_waits_until_the_sweep_has_no_problem(qtbot, dialog):
    dialog.rows[0].values_edit.setText("SimpleRNN, LSTTM")
    assert not dialog.save_button.isEnabled() and dialog.spec() is None
    dialog.rows[0].values_edit.setText("SimpleRNN, LSTM")
    dialog.folder_edit.setText("")  # no output folder: Start waits, a file needs none
    assert dialog.save_button.isEnabled() and not dialog.start_button.isEnabled()


def test_a_sweep_started_from_the_window_fills_the_tab_and_its_trials_open_as_runs(qtbot, make_window, tmp_path):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, cell="GRU", units=4)
    commands = window.sweeps
    window.action_sweep.trigger()
    dialog = commands.dialog
    qtbot.waitExposed(dialog)
    dialog.rows[0].values_edit.setText("SimpleRNN, GRU")
    dialog.seeds_edit.setText("3")
    dialog.folder_edit.setText(str(tmp_path / "cells"))
    dialog.concurrent_spin.setValue(1)  # one worker process: one TensorFlow import on a busy test machine
    assert dialog.summary_label.text().startswith("2 trials, 1 at once")

    view = commands.view
    with qtbot.waitSignal(view.sweep_ended, timeout=120000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is commands.page and commands.page.content() is view
    assert [view.model.trial_row(r).status for r in range(2)] == ["completed", "completed"], \
        [view.model.trial_row(r).error for r in range(2)]
    assert len(view.parallel.trial_lines) == 2 and "2 of 2 completed" in view.progress_label.text()

    runs_before = len(window.session.records())
    for row in range(2):
        index = view.proxy.index(row, 0)
        center = view.table.visualRect(index).center()
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.waitUntil(lambda n=row: len(window.session.records()) == runs_before + n + 1, timeout=30000)
    opened = window.session.records()[runs_before:]
    assert all(record.status == "loaded" and record.history is not None for record in opened)
    assert sorted(record.project.model.cell for record in opened) == ["GRU", "SimpleRNN"]
    assert all(str(tmp_path / "cells" / "trials") in record.saved_path for record in opened)

    # Overlaid as any two runs: selected in the Runs table, both show in the plots.
    window.runs_panel.select_runs([record.run_id for record in opened])
    assert sorted(window.plots.shown_runs()) == sorted(record.run_id for record in opened)
    # The last one opened is the current model: the Memory tab runs samples through it, Evaluation scores it.
    assert window.session.current is opened[-1]
    assert window.memory_tab.picker.show_button.isEnabled()
    window.tabs.setCurrentWidget(window.evaluation_page)
    qtbot.waitUntil(lambda: window.evaluation_view.current() is not None, timeout=30000)

    # File › Open Sweep Folder… shows it again from its folder.
    commands.ask_folder = lambda *_args: str(tmp_path / "cells")
    window.action_open_sweep.trigger()
    assert window.tabs.currentWidget() is commands.page and view.model.rowCount() == 2
    assert "2 of 2 completed" in window.statusBar().currentMessage()


def test_after_opening_an_example_the_sweep_folder_is_not_inside_the_app(qtbot, make_window, isolated_settings,
                                                                          tmp_path, monkeypatch):
    isolated_settings.set_last_directory(tmp_path / "mine.rnnlab")
    window = make_window(load_tensorflow=False)
    assert window.document.open_path(str(EXAMPLES_DIR / "cooking_3_units.json"))
    window.action_sweep.trigger()
    dialog = window.sweeps.dialog
    assert Path(dialog.folder_edit.text()).parent == tmp_path

    # An example sweep file opens, but its folder is not where the user's files go.
    answer_file_dialogs(monkeypatch, open_path=EXPLODING_FIXES)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert "exploding_fixes.json" in dialog.base_label.text() and Path(dialog.folder_edit.text()).parent == tmp_path
    assert Path(isolated_settings.last_directory()) == tmp_path
    dialog.reject()
    assert window.sweeps.sweep_files_dir == EXAMPLES_DIR / "sweeps"  # the next Open this session starts there


def cooking_sweep_file(folder: Path) -> Path:
    """A colleague's sweep of another task: one field the adding project has, one it has not."""
    theirs = Project(name="theirs", dataset=DatasetSpec(task="cooking", params={"samples": 60, "days": 7}),
                     model=ModelSpec(cell="GRU", io_mode="many_to_many", units=4), training=TrainingSpec(epochs=2))
    folder.mkdir(exist_ok=True)
    path = folder / "theirs.json"
    path.write_text(json.dumps({"schema_version": 1, "name": "units and days", "project": theirs.to_dict(),
                                "grid": {"model.units": [4, 8], "dataset.params.days": [5, 7]}, "seeds": [3],
                                "metric": "val_accuracy", "mode": "max"}))
    return path


def test_use_current_project_brings_the_window_s_project_back_with_the_rows_that_apply(qtbot, dialog, tmp_path):
    button = dialog.use_current_button
    assert not button.isEnabled()  # the base is the current project already
    assert dialog.open_file(cooking_sweep_file(tmp_path / "colleague"))
    assert button.isEnabled() and "theirs.json's project, “theirs”" in dialog.base_label.text()
    assert dialog.spec().project.dataset.task == "cooking"

    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dialog.base_label.text() == "the current project “adding”" and not button.isEnabled()
    assert [(row.field().dotted, row.values_edit.text()) for row in dialog.rows] == [("model.units", "4, 8")]
    assert dialog.message.plain_text() == ("The current project has no Dataset › Days per sequence: "
                                           "its row was removed.")
    # The user's name and seeds stay; accuracy is not a metric of the adding task's runs.
    assert (dialog.name_edit.text(), dialog.seeds_edit.text()) == ("units and days", "3")
    assert (dialog.metric_combo.currentText(), dialog.mode_combo.currentData()) == ("val_loss", "min")
    spec = dialog.request().spec
    assert spec.project == adding_project() and dict(spec.grid) == {"model.units": [4, 8]}
    assert dialog.summary_label.text().startswith("2 trials") and dialog.start_button.isEnabled()

    dialog.rows[0].values_edit.setText("4, 16")  # the next edit clears the note about the removed row
    assert not dialog.message.isVisible() and dialog.spec().grid["model.units"] == [4, 16]


def test_the_output_folder_follows_the_sweep_s_name_until_the_user_types_one(qtbot, dialog, tmp_path):
    assert dialog.open_file(EXPLODING_FIXES)
    named = tmp_path / "Exploding gradients_ which learning rate and clipping tame them_"
    assert dialog.folder_edit.text() == str(named)

    (tmp_path / "rates" / "sweep.json").parent.mkdir()
    (tmp_path / "rates" / "sweep.json").write_text("{}")
    dialog.name_edit.setText("rates")  # "rates" holds a sweep already: the next free name
    assert dialog.folder_edit.text() == str(tmp_path / "rates 2") and dialog.start_button.isEnabled()

    dialog.folder_edit.clear()
    qtbot.keyClicks(dialog.folder_edit, str(tmp_path / "mine"))
    assert dialog.open_file(cooking_sweep_file(tmp_path / "colleague"))
    assert dialog.name_edit.text() == "units and days" and dialog.folder_edit.text() == str(tmp_path / "mine")


def test_the_sweep_files_folder_and_the_output_folder_s_place_are_kept_for_the_next_dialog(
        qtbot, tmp_path, monkeypatch, isolated_settings):
    from desktop_app.settings import Settings

    first = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "home" / "adding sweep",
                        settings=isolated_settings)
    qtbot.addWidget(first)
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "runs").mkdir()
    assert first.save_file(tmp_path / "sweeps" / "cells.json")
    first.folder_edit.setText(str(tmp_path / "runs" / "cells"))
    qtbot.mouseClick(first.start_button, Qt.MouseButton.LeftButton)
    assert first.result() == SweepDialog.DialogCode.Accepted
    isolated_settings.set_last_directory(tmp_path / "home")  # a bundle saved elsewhere since: it moves neither
    isolated_settings.sync()

    # The next session: a fresh Settings on the same file, and the window's suggestion from its last folder.
    settings = Settings.at_path(tmp_path / "rnn-lab.ini")
    again = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "home" / "adding sweep",
                        settings=settings)
    qtbot.addWidget(again)
    assert again.folder_edit.text() == str(tmp_path / "runs" / "adding sweep")
    asked = answer_file_dialogs(monkeypatch, open_path=tmp_path / "sweeps" / "cells.json",
                                save_path=tmp_path / "sweeps" / "copy.json")
    qtbot.mouseClick(again.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert Path(asked[0][2]) == tmp_path / "sweeps" and Path(asked[1][2]).parent == tmp_path / "sweeps"


def test_the_file_note_says_when_the_dialog_no_longer_shows_what_the_file_holds(qtbot, dialog, tmp_path):
    assert dialog.save_file(tmp_path / "mine.json")
    assert dialog.file_note.text() == "Saved as mine.json"
    dialog.seeds_edit.setText("0")
    assert dialog.file_note.text() == "Changed since saved as mine.json"
    dialog.seeds_edit.setText("0, 1")  # back to what the file holds
    assert dialog.file_note.text() == "Saved as mine.json"
    dialog.folder_edit.setText(str(tmp_path / "elsewhere"))  # the file holds no output folder
    assert dialog.file_note.text() == "Saved as mine.json"
    dialog.add_row("model.units", "4, 8x")  # a sweep with a problem is not the file's either
    assert dialog.file_note.text() == "Changed since saved as mine.json"

    assert dialog.open_file(EXPLODING_FIXES) and dialog.file_note.text() == "Opened exploding_fixes.json"
    dialog.rows[0].values_edit.setText("0.5, 0.1")
    assert dialog.file_note.text() == "Changed since opening exploding_fixes.json"


@pytest.fixture
def slow_estimate(monkeypatch):
    """The estimate waits for ``gate`` (a big CSV being read), at most ``hold[0]`` seconds; ``calls``
    gets (thread, seeds) of each."""
    import threading

    import core.sweeps.estimate

    gate = threading.Event()
    calls: list[tuple[int, int]] = []
    hold = [2.0]

    def estimate(spec, seconds_per_epoch_hint=None, max_concurrent=None):
        calls.append((threading.get_ident(), len(spec.seeds)))
        gate.wait(hold[0])
        return 3600.0 * len(spec.seeds)

    monkeypatch.setattr(core.sweeps.estimate, "estimate_seconds", estimate)
    return gate, calls, hold


def test_the_time_is_estimated_off_the_window_s_thread_and_an_older_sweep_s_answer_is_dropped(
        qtbot, tmp_path, slow_estimate):
    import threading

    gate, calls, _hold = slow_estimate
    dialog = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "sweep")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    assert calls[0][0] != threading.get_ident()  # the window's thread is free meanwhile
    assert dialog.summary_label.text().endswith("· estimating the time…")

    shown: list[str] = []
    dialog.estimated.connect(lambda: shown.append(dialog.summary_label.text()))
    dialog.seeds_edit.setText("0")  # while the first estimate runs: its answer is for a sweep gone
    assert dialog.summary_label.text() == "3 trials, 2 at once · estimating the time…"
    with qtbot.waitSignal(dialog.estimated, timeout=2000):
        gate.set()
    assert [seeds for _thread, seeds in calls] == [2, 1]
    assert shown == ["3 trials, 2 at once · about 1 h 00 min (a rough estimate)"]


def test_closing_the_dialog_while_it_estimates_returns_at_once_and_the_estimate_ends_unseen(
        qtbot, tmp_path, slow_estimate):
    import time

    from desktop_app.sweeps import estimator

    gate, calls, hold = slow_estimate
    hold[0] = 30.0  # a big CSV being read: core cannot interrupt it
    dialog = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "sweep")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    shown: list[bool] = []
    dialog.estimated.connect(lambda: shown.append(True))
    started = time.monotonic()
    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert time.monotonic() - started < 5, "closing waited for the estimate"
    assert not dialog.isVisible() and dialog.result() == SweepDialog.DialogCode.Rejected
    assert estimator.abandoned_count() == 1
    dialog.deleteLater()  # the dialog goes; its estimate's thread must not go with it while it runs
    qtbot.wait(50)
    gate.set()  # the file is read
    qtbot.waitUntil(lambda: estimator.abandoned_count() == 0, timeout=5000)
    qtbot.wait(50)  # its answer, had it been kept, would arrive now
    assert shown == [] and len(calls) == 1


def test_quitting_waits_for_an_abandoned_estimate(qtbot, tmp_path, slow_estimate):
    from desktop_app.sweeps import estimator

    gate, calls, hold = slow_estimate
    hold[0] = 0.3
    dialog = SweepDialog(adding_project(), data_kind="regression", folder=tmp_path / "sweep")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=2000)
    dialog.reject()
    assert estimator.abandoned_count() == 1
    assert estimator.wait_for_abandoned(5000) and estimator.abandoned_count() == 0


def test_enter_in_a_text_box_starts_the_sweep_and_clicks_no_other_button(qtbot, dialog, tmp_path):
    assert dialog.open_file(cooking_sweep_file(tmp_path / "colleague"))
    rows = len(dialog.rows)
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.result() == SweepDialog.DialogCode.Accepted and not dialog.isVisible()
    assert "theirs.json's project" in dialog.base_label.text() and len(dialog.rows) == rows
    assert dialog.request().spec.project.dataset.task == "cooking"


def test_with_early_stopping_the_estimate_is_an_upper_bound(qtbot, dialog, monkeypatch):
    import core.sweeps.estimate

    monkeypatch.setattr(core.sweeps.estimate, "estimate_seconds", lambda spec, **_: 3600.0)
    with qtbot.waitSignal(dialog.estimated, timeout=5000):
        dialog.seeds_edit.setText("0")
    assert dialog.summary_label.text().endswith("· about 1 h 00 min (a rough estimate)")
    with qtbot.waitSignal(dialog.estimated, timeout=5000):
        dialog.asha_check.setChecked(True)  # poor trials end early: every trial in full is the most
    assert dialog.summary_label.text().endswith("· at most about 1 h 00 min (a rough estimate)")
