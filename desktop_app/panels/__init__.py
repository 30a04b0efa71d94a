"""The three editing panels of the window: dataset, architecture and training settings."""

from desktop_app.panels.architecture_panel import ArchitecturePanel
from desktop_app.panels.dataset_panel import DatasetPanel
from desktop_app.panels.io_mode_diagram import IOModeDiagram
from desktop_app.panels.training_panel import TrainingPanel

__all__ = ["ArchitecturePanel", "DatasetPanel", "IOModeDiagram", "TrainingPanel"]
