"""The example a learner steps through by hand: the lecture's cooking network with three hidden
units must really learn the schedule, or the numbers they follow would explain nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from core.datasets import build_dataset
from core.persistence import load_project

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "cooking_3_units.json"


def test_the_3_unit_simplernn_learns_the_cooking_schedule():
    from core.training import train

    project = load_project(EXAMPLE)
    assert (project.model.cell, project.model.units, project.model.io_mode) == ("SimpleRNN", 3, "many_to_many")
    # Half the example's epochs, to keep the suite short: it is already right on (nearly) every day.
    half = dataclasses.replace(project, training=dataclasses.replace(project.training,
                                                                     epochs=project.training.epochs // 2))
    result = train(half, build_dataset(half.dataset, half.model.io_mode))
    assert result.stop_reason == "completed"
    assert result.final_metrics["val_accuracy"] >= 0.98
