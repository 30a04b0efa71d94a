"""How numbers and metrics read, the same in the window, the command line and the docs."""

from __future__ import annotations

import math
from typing import Any

METRIC_ORDER = ("loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae")


def as_number(value: Any) -> float | None:
    """``value`` as a float, or None when it is not a number at all."""
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def format_number(value: Any, digits: int = 4, *, missing: str = "–") -> str:
    """Shortest readable form with ``digits`` significant digits: 0.5, 0.001, 1e-05, 250.

    Missing values read as ``missing``, NaN as "NaN" and infinities as signed "inf", so a table
    shows at a glance that a run exploded.
    """
    number = as_number(value)
    if number is None:
        return missing if value is None else str(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    if number == 0:
        return "0"
    return f"{number:.{digits}g}"


def format_metric(key: str, value: Any) -> str:
    """One metric as users read it: accuracies in percent, everything else as a number."""
    number = as_number(value)
    if key.endswith("accuracy") and number is not None and math.isfinite(number):
        return f"{100 * number:.1f} %"
    return format_number(value)


# Scores bounded by 0 and 1: three decimals, so a column lines up and a perfect 1.000 reads as a
# score beside 0.167 (with significant digits the two read "1" and "0.1672").
BOUNDED_SCORES = ("f1", "macro_f1", "precision", "recall")


def format_score(key: str, value: Any) -> str:
    """One cell of an evaluation table, alike in the window and ``main.py evaluate``: accuracy in
    percent, scores bounded by 1 with three decimals, MAPE (a percentage already) with three
    significant digits, errors in the data's own units with four."""
    number = as_number(value)
    if key in BOUNDED_SCORES and number is not None and math.isfinite(number):
        return f"{number:.3f}"
    if key == "mape":
        return format_number(value, 3)
    return format_metric(key, value)


def format_metrics(metrics: dict[str, Any], *, separator: str = " · ") -> str:
    """"loss 0.12 · val loss 0.15 · accuracy 93.0 %": the known metrics first, in a fixed order."""
    keys = [k for k in METRIC_ORDER if k in metrics] + sorted(k for k in metrics if k not in METRIC_ORDER)
    parts = [f"{key.replace('_', ' ')} {format_metric(key, metrics[key])}" for key in keys
             if as_number(metrics[key]) is not None]
    return separator.join(parts)
