"""The Evaluation tab: the model against naive baselines in the data's own units (view.py), the
held-out period with a draggable multi-step forecast (series_plot.py), the confusion matrix
(confusion_plot.py), predictions made between redraws (compute.py) and the CSV export (export.py)."""

from __future__ import annotations

from typing import Any

__all__ = ["EvaluationView"]


def __getattr__(name: str) -> Any:
    # The view (and pyqtgraph behind its plots) loads when the tab is first built, not with the window.
    if name == "EvaluationView":
        from desktop_app.evaluation.view import EvaluationView

        return EvaluationView
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
