"""The Memory tab in the window, beside the training plots, in step with the session and the runs.

It follows the session by itself (a run's probe at each epoch end, the current model, whether a
run trains), compares the connectivity of the runs selected in the Runs table, and forgets a
deleted run. Its samples are the Dataset panel's validation samples when they fit the model, as
in the Predict tab.
"""

from __future__ import annotations

from typing import Any

from core.model_fit import same_dataset_layout
from desktop_app.memory.tab import MemoryTab


def attach(window: Any, title: str = "Memory") -> MemoryTab:
    """Create the tab right after the training plots and connect it to ``window``."""
    tab = MemoryTab()
    tab.setObjectName("memoryTab")
    window.tabs.insertTab(window.tabs.indexOf(window.plots) + 1, tab, title)
    tab.setToolTip("What the network remembers: h(t), the gates, connectivity and the equation step by step")
    tab.connect_session(window.session, lambda info: _panel_data(window, info))
    window.runs_panel.selection_changed.connect(tab.show_runs)
    window.runs_panel.run_deleted.connect(lambda record: tab.remove_run(record.run_id))
    tab.set_busy(window.session.is_training())
    return tab


def _panel_data(window: Any, info) -> Any:
    """The Dataset panel's data when a model trained for ``info`` can read its samples, else None."""
    data = window.current_data()
    return data if data is not None and same_dataset_layout(data.info, info) else None
