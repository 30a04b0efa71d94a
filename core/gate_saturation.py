"""How often a recurrent layer's gates are saturated: the share of gate values below 0.1 (closed)
and above 0.9 (open), over all units and steps of one sequence.

A gate near 0 or 1 is a switch, and the sigmoid passes almost no gradient there: a forget gate
stuck open is an LSTM that never forgets, one stuck closed never remembers. Only the sigmoid
gates count; the candidate is a tanh proposal, not a gate. The Memory tab draws these shares.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

CLOSED_BELOW = 0.1
OPEN_ABOVE = 0.9
SIGMOID_GATES = ("forget", "input", "output", "update", "reset")


def is_saturated(values: np.ndarray) -> np.ndarray:
    """Where a gate is closed or open: a switch that passes almost no gradient."""
    values = np.asarray(values, dtype=np.float64)
    return (values < CLOSED_BELOW) | (values > OPEN_ABOVE)


def saturated_share(gates: Mapping[str, np.ndarray]) -> float | None:
    """The share of all the sigmoid gates' values among ``gates`` that are closed or open, or None
    when there are none (a SimpleRNN)."""
    values = [np.asarray(gates[name], dtype=np.float64).reshape(-1) for name in SIGMOID_GATES if name in gates]
    flat = np.concatenate(values) if values else np.empty(0)
    return float(np.mean(is_saturated(flat))) if flat.size else None


def gate_saturation(gates: Mapping[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """``{gate: (share closed, share open)}`` for the sigmoid gates among ``gates`` (name ->
    values of any shape, e.g. (T, units)), in the order of SIGMOID_GATES."""
    shares = {}
    for name in SIGMOID_GATES:
        if name not in gates:
            continue
        values = np.asarray(gates[name], dtype=np.float64)
        if values.size:
            shares[name] = (float(np.mean(values < CLOSED_BELOW)), float(np.mean(values > OPEN_ABOVE)))
    return shares
