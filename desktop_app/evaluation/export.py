"""The rows of the Evaluation tab's CSV export.

Series: one row per forecast point of every evaluated part (validation, then test), with its
data row, its label in the file's time column, the actual value, the model's one-step-ahead
prediction and every baseline's, per target. Classes: the confusion matrix of the chosen part.
Other values: one row per sample.
"""

from __future__ import annotations

from typing import Any

from core.datasets.base import CLASSIFICATION
from core.evaluation import Evaluation
from core.time_axis import TimeAxis


def evaluation_rows(evaluations: dict[str, Evaluation], axis: TimeAxis | None,
                    split: str | None) -> tuple[list[str], list[list[Any]]]:
    if not evaluations:
        return ["nothing evaluated"], []
    chosen = evaluations.get(split or "") or next(iter(evaluations.values()))
    if chosen.kind == CLASSIFICATION:
        names = chosen.class_names
        header = ["actual \\ predicted", *names]
        return header, [[name, *counts] for name, counts in zip(names, chosen.metrics["confusion"])]
    targets = chosen.target_names
    baselines = list(chosen.baseline_predictions)
    multi = len(targets) > 1
    header = ["part", "data row" if chosen.rows is not None else "sample"]
    if axis is not None and chosen.rows is not None:
        header.append(axis.name)
    for target in targets:
        prefix = f"{target}: " if multi else ""
        header += [f"{prefix}actual", f"{prefix}model"] + [f"{prefix}{name}" for name in baselines]
    rows: list[list[Any]] = []
    parts = evaluations.items() if chosen.rows is not None else [(chosen.split, chosen)]
    for part, ev in parts:
        for i in range(len(ev.actual)):
            row: list[Any] = [part, int(ev.rows[i]) + 1 if ev.rows is not None else i]
            if axis is not None and ev.rows is not None:
                row.append(axis.label(int(ev.rows[i])))
            for k in range(len(targets)):
                row += [float(ev.actual[i, k]), float(ev.predicted[i, k])]
                row += [float(ev.baseline_predictions[name][i, k]) if name in ev.baseline_predictions else ""
                        for name in baselines]
            rows.append(row)
    return header, rows
