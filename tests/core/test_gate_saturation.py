"""The share of closed (< 0.1) and open (> 0.9) gate values, which the Memory tab draws."""

from __future__ import annotations

import numpy as np

from core.gate_saturation import gate_saturation


def test_shares_of_closed_and_open_values_per_sigmoid_gate():
    gates = {
        "input": np.array([[0.05, 0.5], [0.95, 0.99]]),  # 1 of 4 closed, 2 of 4 open
        "forget": np.full((3, 2), 0.5),  # never saturated
        "candidate": np.array([[-0.99, 0.99]]),  # a tanh proposal, not a gate
        "output": np.array([[0.1, 0.9]]),  # the bounds themselves are not saturated
    }
    assert gate_saturation(gates) == {"forget": (0.0, 0.0), "input": (0.25, 0.5), "output": (0.0, 0.0)}
    assert gate_saturation({}) == {}
