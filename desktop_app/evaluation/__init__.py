"""The Evaluation tab: the model against naive baselines in the data's own units (view.py), the
held-out period with a draggable multi-step forecast (series_plot.py), the confusion matrix
(confusion_plot.py), predictions made between redraws (compute.py) and the CSV export (export.py)."""

from desktop_app.evaluation.view import EvaluationView

__all__ = ["EvaluationView"]
