"""The Evaluation tab in the window: it follows the session's current model and its state.

The current model is the one Save, Export and Predict use (``TrainingSession.current_changed``):
a run that has just ended, a run selected in the Runs table, a reopened bundle or an imported
``.keras`` model. The tab evaluates it on the data of the model's own project, reusing the
Dataset panel's arrays when they are that data, and waits while a run trains.
"""

from __future__ import annotations

from typing import Any

from desktop_app.evaluation.view import EvaluationView


def install_evaluation(window: Any, title: str = "Evaluation") -> EvaluationView:
    """Create the tab after the window's others and keep it in step with ``window.session``."""
    view = EvaluationView()
    view.setObjectName("evaluationView")
    window.tabs.addTab(view, title)
    session = window.session

    def on_current_changed(record) -> None:
        if record is None or record.model is None or record.info is None:
            view.clear()
            return
        view.set_run(record.model, record.info, record.project, _panel_data(window, record))

    session.current_changed.connect(on_current_changed)
    session.state_changed.connect(lambda state: view.set_busy(state != "idle"))
    view.set_busy(session.is_training())
    return view


def _panel_data(window: Any, record) -> Any:
    """The Dataset panel's arrays when they are the model's own data (else None: built on demand)."""
    panel = window.dataset_panel
    data = panel.current_data()
    if data is None or panel.spec() != record.project.dataset or data.info.io_mode != record.info.io_mode:
        return None
    return data
