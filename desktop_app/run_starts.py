"""Starting runs from the window's panels: what stops the settings from training, in words, and the
one path every start takes (Train, Continue training, Compare cells, a diagnosis' fix).

A start is refused with a word why, never half-begun: while a run trains, while TensorFlow is
still loading, or while the panels' settings, the data, the model or the memory it needs have a
problem (all of them listed in one dialog, the first in the status bar).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from core.datasets.windows import dataset_bytes
from core.errors import RNNLabError
from core.memory_estimate import require_training_memory
from core.models import check_compatible
from core.specs import Project

CELL_ORDER = ("SimpleRNN", "LSTM", "GRU")


def training_problems(window: Any, project: Project) -> list[str]:
    """What stops ``project`` from training on the Dataset panel's data (empty: ready to train)."""
    problems: list[str] = []
    try:
        project.validate()
    except RNNLabError as exc:
        return [str(exc)]
    window.dataset_panel.set_io_mode(project.model.io_mode)
    data = window.dataset_panel.current_data()
    if data is None:
        problems.append(window.dataset_panel.error_text() or "The dataset settings do not produce any data.")
    arch_problem = window.architecture_panel.problem()
    if arch_problem:
        problems.append(arch_problem)
    if data is not None and not arch_problem:
        try:
            check_compatible(project.model, data.info)
        except RNNLabError as exc:
            problems.append(str(exc))
        else:
            try:
                require_training_memory(project, data.info, data.num_train, data.num_val,
                                        dataset_bytes=dataset_bytes(data))
            except RNNLabError as exc:
                problems.append(f"Not enough memory: {exc}")
    return problems


def cell_comparison(project: Project) -> list[Project]:
    """``project`` once per cell, everything else (data, seed) the same."""
    return [dataclasses.replace(project, model=dataclasses.replace(project.model, cell=cell)) for cell in CELL_ORDER]


def start_runs(window: Any, what: str, projects: list[Project], *, model=None, label_suffix: str = "") -> bool:
    """Check, then train ``projects`` one after another; False (with a word why) if none started."""
    if window.session.is_training():
        window.show_status("A run is already training: stop it first (only one run at a time).")
        return False
    if not window.tf_loader.is_ready:
        window.start_loading_tensorflow()
        window.show_status(f"{what}: TensorFlow is still loading, try again in a moment.")
        return False
    problems: list[str] = []
    for project in projects:
        problems += [p for p in training_problems(window, project) if p not in problems]
    if problems:
        window.show_error("Cannot train yet", "The settings cannot train yet:\n\n"
                          + "\n".join(f"• {p}" for p in problems), warning=True)
        window.show_status("Cannot train: " + problems[0])
        return False
    window.dataset_panel.set_io_mode(projects[0].model.io_mode)
    if len(projects) > 1:
        window.show_status("Comparing cells: SimpleRNN, then LSTM, then GRU on the same data and seed…")
    try:
        window.session.train(projects, window.dataset_panel.current_data(), model=model, label_suffix=label_suffix)
    except RNNLabError as exc:
        window.show_error("Training could not start", str(exc))
        return False
    return True
