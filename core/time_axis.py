"""A data file's own time column as a plot axis: ISO dates, YYYYMMDD, years, ISO weeks or numbers.

``time_axis(name, labels)`` reads the labels of every data row (as the file writes them) and
gives each row a position on a numeric axis: seconds since 1970 (UTC) for dates, which a date
axis labels as dates; the year itself for years; plain numbers for a step or week-number column.
Labels that follow none of these, or that go back in time, give None: the plot then counts rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

DATETIME, YEAR, NUMBER = "datetime", "year", "number"
_YYYYMMDD = re.compile(r"^\d{8}$")
_YEAR = re.compile(r"^\d{4}$")
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})(?:-?([1-7]))?$", re.IGNORECASE)


@dataclass(frozen=True)
class TimeAxis:
    name: str  # the column's name in the file
    kind: str  # DATETIME, YEAR or NUMBER
    positions: np.ndarray  # float64, one per data row, never decreasing
    labels: np.ndarray  # the file's own text of each row

    def label(self, row: int) -> str:
        return str(self.labels[row]) if 0 <= row < len(self.labels) else ""

    def position_of(self, rows: np.ndarray) -> np.ndarray:
        """Axis positions of data rows; rows past the end continue at the last step (a forecast)."""
        rows = np.asarray(rows, dtype=np.int64)
        n = len(self.positions)
        step = float(self.positions[-1] - self.positions[-2]) if n >= 2 else 1.0
        inside = np.clip(rows, 0, n - 1)
        return self.positions[inside] + np.maximum(rows - (n - 1), 0) * step + np.minimum(rows, 0) * step


def time_axis(name: str, labels: np.ndarray | list[str] | None) -> TimeAxis | None:
    """The axis for a time column, or None when its labels are not times that move forward."""
    if not name or labels is None or len(labels) < 2:
        return None
    text = np.asarray([str(v).strip() for v in labels], dtype=object)
    positions = _positions(text)
    if positions is None:
        return None
    kind, values = positions
    if not np.all(np.isfinite(values)) or np.any(np.diff(values) < 0):
        return None
    return TimeAxis(name, kind, values, text)


def _positions(text: np.ndarray) -> tuple[str, np.ndarray] | None:
    import pandas as pd

    series = pd.Series(text, dtype=str)
    if series.str.match(_YYYYMMDD).all():
        return _dates(pd.to_datetime(series, format="%Y%m%d", errors="coerce"))
    if series.str.match(_YEAR).all():
        years = series.astype(float).to_numpy()
        if np.all((years >= 1000) & (years <= 2999)):
            return YEAR, years
    weeks = series.str.extract(_ISO_WEEK)
    if weeks[0].notna().all():
        iso = weeks[0] + "-W" + weeks[1].str.zfill(2) + "-" + weeks[2].fillna("1")
        return _dates(pd.to_datetime(iso, format="%G-W%V-%u", errors="coerce"))
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().all():
        return NUMBER, numbers.to_numpy(dtype=np.float64)
    return _dates(pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True))


def _dates(parsed) -> tuple[str, np.ndarray] | None:
    import pandas as pd

    if parsed.isna().any():
        return None
    if parsed.dt.tz is None:
        parsed = parsed.dt.tz_localize("UTC")
    seconds = (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return DATETIME, seconds.to_numpy(dtype=np.float64)
