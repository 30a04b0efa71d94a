"""Missing cells of a user's series: refuse them (counting every one), fill them, or drop their rows.

Filling happens inside one segment at a time (the training rows, the held-out rows, one
recording), so that no training value is ever filled in from a validation or test value and no
recording from another. Dropping rows is allowed only when the user says the rows are not evenly
spaced in time: in an evenly spaced series a dropped row would glue two days together as one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.errors import DatasetError

POLICIES = ("refuse", "interpolate", "ffill", "drop_rows")
OFFER = ("interpolate (linear in time between the neighbouring values), ffill (repeat the last value before "
         "the gap) or drop_rows (only when the rows are not evenly spaced in time)")
FIRST_SHOWN = 3


@dataclass
class Gaps:
    """Where the missing cells of the used columns are: a (rows, columns) mask in file order."""

    mask: np.ndarray
    columns: list[str]

    @property
    def count(self) -> int:
        return int(self.mask.sum())

    def first(self, n: int = FIRST_SHOWN) -> list[tuple[int, str]]:
        """The first ``n`` missing cells as (row index, column), row by row."""
        rows, cols = np.nonzero(self.mask)  # row-major: in the order the file shows them
        return [(int(r), self.columns[int(c)]) for r, c in zip(rows[:n], cols[:n])]


@dataclass
class Outcome:
    """What was done with the missing cells, for the preview."""

    method: str = "refuse"
    filled: int = 0
    dropped_rows: int = 0
    first: list[tuple[int, str]] = field(default_factory=list)  # (file line, column)

    def describe(self) -> str:
        if not self.filled and not self.dropped_rows:
            return ""
        where = ", ".join(f"row {line} {column!r}" for line, column in self.first)
        if self.dropped_rows:
            rows = f"{self.dropped_rows} row{'s' if self.dropped_rows != 1 else ''}"
            return f"Missing cells: {rows} with a missing cell dropped (first: {where})."
        how = {"interpolate": "by linear interpolation within each part",
               "ffill": "with the last value before the gap (the first value of the part where it starts with one)"}
        cells = f"{self.filled} cell{'s' if self.filled != 1 else ''}"
        return f"Missing cells: {cells} filled {how.get(self.method, self.method)} (first: {where})."


def gaps_of(columns: dict[str, np.ndarray]) -> Gaps:
    """The missing cells of number columns (NaN) and label columns (None)."""
    names = list(columns)
    mask = np.stack([_missing(columns[name]) for name in names], axis=1) if names else np.zeros((0, 0), bool)
    return Gaps(mask, names)


def _missing(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.asarray([v is None for v in values], dtype=bool)
    return np.isnan(values)


def refusal(gaps: Gaps, table) -> DatasetError:
    """Every missing cell counted, the first ones named, and the fills offered."""
    first = gaps.first()
    records = table.records([row for row, _ in first])
    named = []
    for row, column in first:
        line, cells = records.get(row, (row + 1, []))
        index = table.columns.index(column)
        cell = cells[index] if index < len(cells) else ""
        shown = "is empty" if not cell else f"holds {cell!r}"
        named.append((line, column, shown))
    choose = f"Fill it in, or choose what to do with missing cells (dataset.params.missing): {OFFER}."
    if gaps.count == 1:
        line, column, shown = named[0]
        return DatasetError(f"{table.name}, row {line}, column {column!r} {shown}: a missing value (the only one in "
                            f"the columns used). {choose}")
    listed = "; ".join(f"row {line}, column {column!r} {shown}" for line, column, shown in named)
    more = f"; and {gaps.count - len(named)} more" if gaps.count > len(named) else ""
    return DatasetError(f"{table.name} has {gaps.count} missing cells in the columns used: {listed}{more}. "
                        f"{choose.replace('Fill it in', 'Fill them in')}")


def check_drop_allowed(evenly_spaced: bool) -> None:
    if evenly_spaced:
        raise DatasetError(
            "dataset.params.missing is drop_rows, but the rows are evenly spaced in time "
            "(dataset.params.evenly_spaced is on): dropping a row would join the rows around it as if they were "
            "one step apart. Fill the cells instead (interpolate or ffill), or, if the rows carry their own "
            "irregular time stamps, turn evenly_spaced off."
        )


def fill(values: np.ndarray, segments: Sequence[tuple[int, int, str]], method: str, column: str, table,
         rows: np.ndarray) -> np.ndarray:
    """``values`` with its missing cells filled by ``method``, never across a segment's bounds.

    ``segments`` are (begin, end, what) row ranges, ``what`` naming the part in a message;
    ``rows`` maps each row to its data row in the file (for the message's line).
    """
    import pandas as pd

    out = values.copy()
    labels = values.dtype == object
    if labels and method == "interpolate":
        raise DatasetError(
            f"The label column {column!r} has missing cells, and labels cannot be interpolated: fill them in, "
            f"or set dataset.params.missing to ffill or drop_rows."
        )
    for begin, end, what in segments:
        part = pd.Series(values[begin:end])
        if not part.isna().any():
            continue
        if part.isna().all():
            first, last = table.line_of(int(rows[begin])), table.line_of(int(rows[end - 1]))
            raise DatasetError(
                f"{table.name}, column {column!r} has no value at all in rows {first} to {last} ({what}): there is "
                f"nothing there to fill its missing cells from (filling never reaches across parts)."
            )
        if method == "interpolate":
            # Inside the part: linear; before its first or after its last value: that value.
            part = part.interpolate(method="linear", limit_direction="both")
        else:
            part = part.ffill().bfill()
        out[begin:end] = part.to_numpy(dtype=out.dtype)
    return out
