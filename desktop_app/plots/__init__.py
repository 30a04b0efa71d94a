"""Live training plots: loss, per-layer gradient norms and gradient flow over time steps.

``buffers`` holds the numbers (numpy only), ``style`` the look every plot of the window shares,
one module per tab draws them, and ``training_plots.TrainingPlots`` routes the runs, the redraw
timer and the exports to the tabs.

TrainingPlots is imported on first use, so that ``desktop_app.plots.buffers`` (and its tests)
load no Qt, and the previews that only need ``style`` do not build the plot tabs' modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop_app.plots.buffers import DRAW_POINTS, LOG_FLOOR, GrowingSeries, RunSeries, peak_decimate

if TYPE_CHECKING:
    from desktop_app.plots.training_plots import TrainingPlots

__all__ = ["DRAW_POINTS", "LOG_FLOOR", "GrowingSeries", "RunSeries", "TrainingPlots", "peak_decimate"]


def __getattr__(name: str):
    if name == "TrainingPlots":
        from desktop_app.plots.training_plots import TrainingPlots

        return TrainingPlots
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
