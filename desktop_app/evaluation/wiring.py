"""The Evaluation tab in the window: it follows the session's current model and its state.

Built when first shown (``desktop_app.lazy_tab``): until then nothing is evaluated, and its build
starts from the session's current model.

The current model is the one Save, Export and Predict use (``TrainingSession.current_changed``):
a run that has just ended, a run selected in the Runs table, a reopened bundle or an imported
``.keras`` model. The tab evaluates it on the data of the model's own project, reusing the
Dataset panel's arrays when they are that data, and waits while a run trains.
"""

from __future__ import annotations

from typing import Any

from desktop_app.lazy_tab import LazyTab


def install_evaluation(window: Any, title: str = "Evaluation") -> LazyTab:
    """Add the tab after the window's others, built when first shown, and keep it in step with
    ``window.session`` from then on (the page's ``content()`` is the EvaluationView)."""
    session = window.session

    def follow(view, record) -> None:
        if record is None or record.model is None or record.info is None:
            view.clear()
            return
        view.set_run(record.model, record.info, record.project, _panel_data(window, record))

    def build():
        from desktop_app.evaluation.view import EvaluationView

        view = EvaluationView()
        view.setObjectName("evaluationView")
        view.set_busy(session.is_training())
        follow(view, session.current)
        return view

    page = LazyTab(build)
    page.setObjectName("evaluationPage")
    window.tabs.addTab(page, title)
    session.current_changed.connect(lambda record: follow(page.content(), record) if page.built else None)
    session.state_changed.connect(lambda state: page.content().set_busy(state != "idle") if page.built else None)
    return page


def _panel_data(window: Any, record) -> Any:
    """The Dataset panel's arrays when they are the model's own data (else None: built on demand)."""
    panel = window.dataset_panel
    data = panel.current_data()
    if data is None or panel.spec() != record.project.dataset or data.info.io_mode != record.info.io_mode:
        return None
    return data
