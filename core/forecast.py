"""Recursive multi-step forecasts of a series model from any point of its held-out period.

The origin is the last row the model knows; the forecast starts from the held-out window that
ends there and feeds each prediction back as the next input (``core.inference.generate_series``,
what ``main.py generate`` does). Positions are on the plot's x axis: the file's own time column
(``core.time_axis``) or data rows counted from 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from core.datasets import get_task
from core.datasets.base import SequenceData
from core.errors import RNNLabError
from core.evaluation import held_out_index, horizon_of, is_series, sample_rows
from core.time_axis import TimeAxis


@dataclass
class Forecaster:
    model: Any
    data: SequenceData | None
    axis: TimeAxis | None
    problem: str  # why this model cannot forecast ("" when it can)
    origins: list[tuple[str, int, int]]  # (split, sample index, last known data row), in time order

    @classmethod
    def for_model(cls, model: Any, info: Any, data: SequenceData | None, axis: TimeAxis | None) -> Forecaster:
        problem = forecast_problem(info)
        origins: list[tuple[str, int, int]] = []
        if not problem and data is not None:
            for split in ("val", "test"):
                rows = sample_rows(info, data.split(split)[0], held_out_index(data, split)) - horizon_of(info)
                origins += [(split, i, int(row)) for i, row in enumerate(rows)]
        return cls(model, data, axis, problem, origins)

    def x_of(self, rows: np.ndarray) -> np.ndarray:
        if self.axis is not None and len(self.axis.positions):
            return self.axis.position_of(rows)
        return np.asarray(rows, dtype=np.float64) + 1

    def origin_positions(self) -> np.ndarray:
        return self.x_of(np.asarray([row for _, _, row in self.origins], dtype=np.int64))

    def describe(self, x: float) -> str:
        split, _, row = self._nearest(x)
        where = f"{self.axis.name} {self.axis.label(row)}" if self.axis is not None else f"data row {row + 1}"
        return f"{where} ({'test' if split == 'test' else 'validation'} part)"

    def forecast(self, x: float, steps: int, target: int = 0) -> tuple[float, np.ndarray, np.ndarray]:
        """(origin position, positions, values) of a ``steps``-step forecast of target ``target``
        from the origin nearest to ``x``; the first point is the origin's known value."""
        from core.inference import generate_series

        if self.problem:
            raise RNNLabError(self.problem)
        split, index, row = self._nearest(x)
        info = self.data.info
        seed = self.data.split(split)[0][index]
        values = generate_series(self.model, info, seed, int(steps))[:, target]
        known = info.denormalize_x(np.asarray(seed)[-1])[info.feedback_features()[target]]
        rows = row + np.arange(0, int(steps) + 1)
        origin_x = float(self.x_of(np.asarray([row]))[0])
        return origin_x, self.x_of(rows), np.concatenate([[known], values])

    def _nearest(self, x: float) -> tuple[str, int, int]:
        if not self.origins:
            raise RNNLabError("There is no held-out window to forecast from.")
        positions = self.origin_positions()
        return self.origins[int(np.argmin(np.abs(positions - x)))]


def forecast_problem(info: Any) -> str:
    """Why a model cannot make a recursive multi-step forecast, in words ("" when it can)."""
    if not is_series(info):
        return "A multi-step forecast needs a series model whose targets are among its inputs."
    if get_task(info.task).generation_for(info) != "series":
        inputs = ", ".join(info.feature_names) or "its inputs"
        return (f"No multi-step forecast: it feeds each prediction back as the next input, so the model must "
                f"predict every input column ({inputs}); this one predicts {', '.join(info.target_names)}.")
    horizon = horizon_of(info)
    if horizon != 1:
        return (f"No multi-step forecast: this model forecasts {horizon} rows ahead; feeding predictions back "
                f"needs a one-step-ahead model (horizon 1).")
    return ""
