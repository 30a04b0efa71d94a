"""Built-in sequence tasks and the user's own CSV and text files."""

from __future__ import annotations

from core.datasets.arrays import carve_test
from core.datasets.base import (  # noqa: F401
    CLASSIFICATION,
    REGRESSION,
    DataInfo,
    ParamSpec,
    SequenceData,
    Task,
    get_task,
    list_tasks,
    register_task,
)
from core.errors import SpecError
from core.io_modes import IO_MODE_TITLES

# Each module registers its tasks on import; the order here is the order users see.
from core.datasets import cooking  # noqa: E402,F401  isort: skip
from core.datasets import gym  # noqa: E402,F401  isort: skip
from core.datasets import weather  # noqa: E402,F401  isort: skip
from core.datasets import sine  # noqa: E402,F401  isort: skip
from core.datasets import adding  # noqa: E402,F401  isort: skip
from core.datasets import sentiment  # noqa: E402,F401  isort: skip
from core.datasets import echo  # noqa: E402,F401  isort: skip
from core.datasets import text  # noqa: E402,F401  isort: skip
from core.datasets import csv_series  # noqa: E402,F401  isort: skip


def build_dataset(spec, io_mode: str | None = None) -> SequenceData:
    """Arrays for a DatasetSpec in the given I/O mode (the task's natural mode for its parameters if None)."""
    task = get_task(spec.task)
    params = task.validate_params(spec.params)
    mode = io_mode or task.natural_mode_for(params)
    if mode not in task.supported_modes:
        modes = ", ".join(IO_MODE_TITLES[m] for m in task.supported_modes)
        raise SpecError("model.io_mode", mode, f"a mode the {task.title} task supports ({modes})")
    test_split = getattr(spec, "test_split", 0.0)
    if test_split > 0:
        # A task whose held-out samples cannot be cut by count (whole recordings) splits itself.
        data = task.build_with_test(params, mode, spec.validation_split, test_split, spec.seed)
        if data is not None:
            return data
    # The task holds out validation and test together, in order; the test part is then cut off
    # the end, so every task gets a test split without knowing of it.
    data = task.build(params, mode, spec.validation_split + test_split, spec.seed)
    if test_split > 0:
        data.x_val, data.y_val, data.x_test, data.y_test, data.test_offset = carve_test(
            data.x_val, data.y_val, spec.validation_split, test_split, gap=task.held_out_gap(params, mode))
    return data
