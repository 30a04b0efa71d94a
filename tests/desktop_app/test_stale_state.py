"""No stale state: after a change of task, File > New, an example, an import or an opened bundle,
every view shows the project that is current now, not what the last run left behind."""

from __future__ import annotations

from PySide6.QtCore import Qt

from core.examples import EXAMPLES_DIR
from tests.desktop_app.conftest import (
    choose_task,
    close_message_boxes,
    configure_tiny_cooking,
    shown_title,
    status_text,
    train_and_wait,
)


def train_tiny_cooking(qtbot, window):
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, batch=16, units=4)
    record = train_and_wait(qtbot, window)
    assert record.status == "completed", record.message
    return record


def show_the_run_on_its_data_again(qtbot, window, record) -> None:
    """Back to the state right after training: the tiny cooking project, its run selected."""
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, batch=16, units=4)
    select_run(window, record)
    assert_the_run_is_shown(window, record)
    assert window.session.current is record


def select_run(window, record) -> None:
    window.runs_panel.select_runs([record.run_id])
    assert window.plots.shown_runs() == [record.run_id]


def assert_the_run_is_shown(window, record) -> None:
    assert window.plots.shown_runs() == [record.run_id]
    assert window.predict_panel.has_model()
    assert window.predict_panel.input_edit.placeholderText().startswith("e.g.")


def assert_no_run_is_shown(window) -> None:
    predict = window.predict_panel
    assert not predict.has_model() and predict.model_label.text() == ""
    assert predict.input_edit.placeholderText() == "", "the old task's example is still offered"
    assert window.training_panel.progress_text() == "Ready."
    assert window.training_panel.progress_bar.value() == 0
    assert window.plots.run_ids() == [] and window.plots.shown_runs() == []
    assert window.runs_panel.selected_runs() == []


def test_a_cannot_train_message_goes_once_the_settings_change(qtbot, make_window, tmp_path):
    window = make_window()
    bad_csv = tmp_path / "co2.csv"
    bad_csv.write_text("ppm\n" + "\n".join(str(i) for i in range(6)) + "\nnot a number\n"
                       + "\n".join(str(i) for i in range(50)) + "\n", encoding="utf-8")
    window.dataset_panel.ask_open_file = lambda *args: (str(bad_csv), "")
    with qtbot.waitSignal(window.dataset_panel.dataset_changed, timeout=5000):
        qtbot.mouseClick(window.dataset_panel.import_csv_button, Qt.MouseButton.LeftButton)
    assert not window.train()
    assert status_text(window).startswith("Cannot train: ") and "co2.csv" in status_text(window)
    close_message_boxes(window)

    choose_task(qtbot, window, "adding")
    assert not status_text(window).startswith("Cannot train")

    # Another edit that fixes nothing still leaves no stale verdict behind: Train gives a new one.
    window.training_panel.epochs_spin.setValue(window.training_panel.epochs_spin.value() + 1)
    assert not status_text(window).startswith("Cannot train")


def test_a_new_task_file_new_an_example_an_imported_model_and_an_opened_bundle_replace_the_runs_views(
        qtbot, make_window, tmp_path):
    """Five ways to leave a trained run, one after the other on the same run (they were three
    tests that each trained the same tiny model to leave it): each step starts from the run
    shown on its cooking data, as right after training, and ends with no view showing it."""
    window = make_window()
    record = train_tiny_cooking(qtbot, window)
    select_run(window, record)
    assert_the_run_is_shown(window, record)
    assert "finished after 1 epoch" in window.training_panel.progress_text()

    # A new task drops the run's views; selecting the run brings them back.
    choose_task(qtbot, window, "adding")
    assert_no_run_is_shown(window)
    # The run itself is kept: the Runs table still lists it, and choosing it shows it again.
    assert window.runs_panel.records() == [record]
    select_run(window, record)
    assert window.predict_panel.has_model()
    assert window.session.current is record

    # File > New starts from empty views.
    show_the_run_on_its_data_again(qtbot, window, record)
    window.action_new.trigger()
    assert_no_run_is_shown(window)
    assert status_text(window) == "New project."
    assert window.session.current is None and not window.action_continue.isEnabled()

    # So does an example.
    select_run(window, record)
    assert_the_run_is_shown(window, record)
    assert window.document.open_example(EXAMPLES_DIR / "adding_lstm.json")
    assert_no_run_is_shown(window)
    assert window.current_project().dataset.task == "adding"
    assert shown_title(window) == f"{window.document.name} — RNN Lab" and "Adding" in window.document.name

    # An imported model and an opened bundle replace what the views showed.
    show_the_run_on_its_data_again(qtbot, window, record)
    keras_file, bundle = tmp_path / "cooking.keras", tmp_path / "cooking.rnnlab"
    assert window.document.export_keras(keras_file), window.last_message
    assert window.document.save_bundle_to(bundle), window.last_message
    select_run(window, record)

    assert window.document.import_keras(keras_file), window.last_message
    imported = window.session.current
    assert imported.status == "imported" and imported is not record
    assert window.plots.run_ids() == [] and window.runs_panel.selected_runs() == []
    assert window.training_panel.progress_text() == "Ready."
    assert window.predict_panel.has_model() and window.tabs.currentWidget() is window.predict_page

    assert window.document.open_path(bundle)
    loaded = window.session.current
    assert loaded.status == "loaded"
    assert window.plots.run_ids() == [loaded.run_id] and window.plots.shown_runs() == [loaded.run_id]
    assert window.runs_panel.selected_runs() == []
    assert window.training_panel.progress_text() == "Ready."
    assert window.predict_panel.has_model() and window.tabs.currentWidget() is window.plots
