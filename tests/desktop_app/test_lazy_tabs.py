"""The Evaluation, Sweeps and Predict tabs are built when first shown or used, and then show what
they would have shown had they been built with the window."""

from __future__ import annotations

from desktop_app import quit_guard
from desktop_app.predict_page import PredictPage
from desktop_app.predict_panel import BUSY_NOTE, NO_MODEL_NOTE
from tests.desktop_app.conftest import configure_tiny_cooking, train_and_wait


def test_a_new_window_builds_neither_tab_until_it_is_shown(qtbot, make_window):
    window = make_window(load_tensorflow=False)
    evaluation, sweeps = window.evaluation_page, window.sweeps.page
    assert not evaluation.built and not sweeps.built and not window.predict_page.built
    # Asking whether a sweep runs (closing the window does) builds nothing.
    assert not quit_guard.is_busy(window) and window.sweeps.shutdown() and not sweeps.built

    window.tabs.setCurrentWidget(sweeps)
    assert sweeps.built and sweeps.content().objectName() == "sweepsView" and sweeps.content().isVisible()
    assert not evaluation.built
    window.tabs.setCurrentWidget(evaluation)
    view = evaluation.content()
    assert evaluation.built and view.objectName() == "evaluationView" and view.isVisible()
    assert view.current() is None and not view.body.isVisible()  # no model yet: the empty state


def test_the_evaluation_built_after_a_model_exists_takes_it_up(qtbot, make_window):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, units=4)
    record = train_and_wait(qtbot, window)
    assert not window.evaluation_page.built and window.session.current is record
    window.tabs.setCurrentWidget(window.evaluation_page)
    view = window.evaluation_view
    qtbot.waitUntil(lambda: view.current() is not None, timeout=60000)
    assert "val" in view.evaluations and view.table.item(0, 0).text() == "Model"


def test_the_predict_tab_built_late_shows_the_model_it_was_given_and_not_one_cleared_since(qtbot, make_window):
    window = make_window()
    configure_tiny_cooking(qtbot, window, epochs=1, samples=64, units=4)
    record = train_and_wait(qtbot, window)
    page = window.predict_page
    assert not page.built and page.has_model()
    # File › New clears Predict while the session keeps the run in the Runs table.
    assert window.document.new()
    assert not page.built and not page.has_model()
    window.runs_panel.select_runs([record.run_id])  # choosing the run shows its model again
    assert not page.built and page.has_model()

    window.tabs.setCurrentWidget(page)
    panel = window.predict_panel
    assert page.built and panel.isVisible() and panel.has_model() and panel.body.isEnabled()
    assert "Cooking" in panel.model_label.text()
    panel.predict_sample(0)
    assert panel.prediction() is not None and panel.shown_probabilities()


def test_an_unbuilt_predict_page_keeps_busy_and_clear_for_its_panel(qtbot):
    page = PredictPage()
    qtbot.addWidget(page)
    page.set_busy(True)
    page.clear()
    panel = page.content()
    assert not panel.has_model() and not panel.body.isEnabled() and panel.note_label.text() == BUSY_NOTE
    page.set_busy(False)
    assert panel.note_label.text() == NO_MODEL_NOTE
