"""Array helpers the tasks share: a split in order, normalisation, series windows, typed numbers.

Everything here works on plain numpy arrays and knows nothing of tasks or specs, so a task
module builds its arrays with these and describes them with ``core.datasets.base``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from core.datasets.base import DataInfo, check_typed_steps
from core.errors import DatasetError


def split_in_order(x: np.ndarray, y: np.ndarray, validation_split: float) -> tuple[np.ndarray, ...]:
    """Split keeping order: the last ``validation_split`` of the rows become validation."""
    n = len(x)
    n_val = int(round(n * validation_split))
    if validation_split > 0 and n_val == 0 and n >= 2:
        n_val = 1
    n_train = n - n_val
    if n_train < 1:
        raise DatasetError(
            f"Only {n} samples: nothing left to train on after the validation split of {validation_split:g}."
        )
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def carve_test(x_held: np.ndarray, y_held: np.ndarray, validation_split: float, test_split: float, *,
               gap: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Split the held-out samples (validation and test, in order) into validation, then test.

    The test part takes its share ``test_split / (validation_split + test_split)`` from the end;
    ``gap`` samples just before it are dropped (series windows that would share rows with the
    first test window), so nothing the run validates on overlaps the test period.
    Returns x_val, y_val, x_test, y_test and the index of the first test sample in the held-out part.
    """
    n = len(x_held)
    held = validation_split + test_split
    n_test = min(n, max(1, int(round(n * test_split / held)))) if test_split > 0 and n else 0
    first_test = n - n_test
    n_val = max(0, first_test - (gap if n_test else 0)) if validation_split > 0 else 0
    if test_split > 0 and n_test == 0:
        raise DatasetError(
            f"The test split of {test_split:g} holds no sample: the held-out part is empty. Raise the split or use "
            f"more data."
        )
    if validation_split > 0 and n_val == 0:
        raise DatasetError(
            f"After the test split of {test_split:g}, no validation sample is left: the held-out part has {n} "
            f"samples, {n_test} go to the test and {min(gap, first_test)} are dropped so that validation "
            f"windows do not share rows with test windows. Raise the validation split, lower the window, or "
            f"use more data."
        )
    return (_part(x_held, slice(0, n_val)), _part(y_held, slice(0, n_val)), _part(x_held, slice(first_test, n)),
            _part(y_held, slice(first_test, n)), first_test)


def _part(values, part: slice):
    """A slice of an array, or of lazily cut windows kept lazy (their rows are not copied)."""
    from core.datasets.windows import Windows

    if isinstance(values, Windows):
        return Windows(values.rows, values.starts[part], values.length)
    return values[part]


def fit_normalization(x_rows: np.ndarray, y_rows: np.ndarray | None = None) -> dict[str, list[float]]:
    """Per-column mean and std of (training) rows; a constant column gets std 1 so it stays finite."""

    def stats(rows: np.ndarray) -> tuple[list[float], list[float]]:
        rows = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
        mean = rows.mean(axis=0)
        std = rows.std(axis=0)
        std = np.where(std < 1e-8, 1.0, std)
        return [float(v) for v in mean], [float(v) for v in std]

    x_mean, x_std = stats(x_rows)
    norm = {"x_mean": x_mean, "x_std": x_std}
    if y_rows is not None:
        norm["y_mean"], norm["y_std"] = stats(y_rows)
    return norm


def normalize(values: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    return ((np.asarray(values, dtype=np.float64) - np.asarray(mean)) / np.asarray(std)).astype(np.float32)


def _windows(features: np.ndarray, targets: np.ndarray, window: int, horizon: int, stride: int,
             io_mode: str) -> tuple[np.ndarray, np.ndarray]:
    rows = len(features)
    starts = np.arange(0, rows - window - horizon + 1, stride)
    idx = starts[:, None] + np.arange(window)[None, :]
    x = features[idx]
    if io_mode == "many_to_many":
        y = targets[idx + horizon]
    else:
        y = targets[starts + window - 1 + horizon]
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def series_windows(features: np.ndarray, targets: np.ndarray, *, window: int, horizon: int = 1,
                   stride: int = 1, validation_split: float, io_mode: str, source: str,
                   unit: str = "rows") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Cut a time series into windows, split in time order BEFORE windowing.

    The last ``validation_split`` of the rows form the validation part and its windows lie wholly
    inside it, so no validation window reuses a row the training windows were scored on (no
    leakage through overlapping windows). Row ``t`` of ``features`` must line up with row ``t``
    of ``targets``; a window of rows ``[s, s + window)`` predicts ``targets[s + window - 1 + horizon]``
    (many-to-one) or ``targets[s + horizon : s + window + horizon]`` (many-to-many).
    Returns x_train, y_train, x_val, y_val and the number of training rows (for normalisation).
    """
    rows = len(features)
    n_train = row_split(rows, window=window, horizon=horizon, validation_split=validation_split, source=source,
                        unit=unit)
    x_train, y_train = _windows(features[:n_train], targets[:n_train], window, horizon, stride, io_mode)
    if n_train < rows:
        x_val, y_val = _windows(features[n_train:], targets[n_train:], window, horizon, stride, io_mode)
    else:
        x_val, y_val = x_train[:0], y_train[:0]
    return x_train, y_train, x_val, y_val, n_train


def row_split(rows: int, *, window: int, horizon: int, validation_split: float, source: str,
              unit: str = "rows") -> int:
    """How many of a series' ``rows`` come first, for training; the rest validate.

    Each part must hold a whole window and the row it predicts (``window + horizon`` rows), or
    the DatasetError says which part is too short and what to change.
    """
    need = window + horizon
    if rows < need:
        raise DatasetError(
            f"{source} has {rows} {unit}: a window of {window} plus a horizon of {horizon} needs at least "
            f"{need} {unit}. Use a shorter window or more data."
        )
    n_val = int(round(rows * validation_split)) if validation_split > 0 else 0
    n_train = rows - n_val
    if n_train < need:
        raise DatasetError(
            f"{source}: the training part (the first {n_train} of {rows} {unit}, after a validation split of "
            f"{validation_split:g}) is shorter than window + horizon = {need} {unit}. Lower the window or the "
            f"validation split."
        )
    if 0 < n_val < need:
        raise DatasetError(
            f"{source}: the validation part (the last {n_val} of {rows} {unit}) is shorter than window + "
            f"horizon = {need} {unit}, so it holds no complete window. Lower the window, raise the validation "
            f"split, or set it to 0."
        )
    return n_train


_ROW_SPLIT = re.compile(r"[;\n]+")
_NUMBER_SPLIT = re.compile(r"[,\s]+")


def parse_number_rows(text: str, columns: Sequence[str], info: DataInfo, *, row_word: str = "row") -> np.ndarray:
    """Parse typed numbers into a (rows, len(columns)) array, as many rows as the mode reads
    (``check_typed_steps``: any number where the model reads any length, else the window).

    One column: numbers separated by commas or spaces ("0.1, 0.5, 0.9"). Several columns: one
    row per line or per ";", numbers in a row separated by commas or spaces.
    """
    unit = "numbers" if len(columns) == 1 else f"{row_word}s"
    if not isinstance(text, str) or not text.strip():
        raise DatasetError(f"Type {unit if len(columns) == 1 else unit + ' of numbers'} ({', '.join(columns)}), "
                           f"e.g. {info.input_shape[0]} of them as in training.")
    if len(columns) == 1:
        lines = [[tok for tok in _NUMBER_SPLIT.split(text.replace(";", " ").strip()) if tok]]
        cells = [[tok] for tok in lines[0]]
    else:
        cells = [[tok for tok in _NUMBER_SPLIT.split(line.strip()) if tok]
                 for line in _ROW_SPLIT.split(text) if line.strip()]
    values = np.zeros((len(cells), len(columns)))
    for r, row in enumerate(cells, start=1):
        if len(row) != len(columns):
            raise DatasetError(
                f"{row_word.capitalize()} {r}: expected {len(columns)} numbers ({', '.join(columns)}), "
                f"got {len(row)}."
            )
        for c, token in enumerate(row):
            try:
                value = float(token)
            except ValueError:
                raise DatasetError(
                    f"{row_word.capitalize()} {r}, {columns[c]}: {token!r} is not a number."
                ) from None
            if not np.isfinite(value):
                raise DatasetError(f"{row_word.capitalize()} {r}, {columns[c]}: {token!r} is not a finite number.")
            values[r - 1, c] = value
    check_typed_steps(info, len(cells), unit)
    return values

