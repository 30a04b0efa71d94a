"""Hochreiter and Schmidhuber's adding problem: the classic long-range memory test.

Each step carries a random value in [0, 1) and a marker; exactly two steps are marked, one in
the first half and one in the second. The target is the sum of the two marked values. The first
marked value may lie T/2 or more steps before the end, so the error signal has to travel back
that far: at large T a SimpleRNN's gradient vanishes and it stays at the baseline, an LSTM learns.
"""

from __future__ import annotations

import re

import numpy as np

from core.datasets.arrays import split_in_order
from core.datasets.base import (
    REGRESSION,
    DataInfo,
    ParamSpec,
    SequenceData,
    Task,
    check_typed_steps,
    register_task,
    samples_param,
)
from core.errors import DatasetError

# Always answering the mean sum, 1, scores Var(u1 + u2) = 2 * (1/12) = 1/6 for u ~ U(0, 1).
BASELINE_MSE = 1.0 / 6.0
FILLER = 0.5


@register_task
class AddingTask(Task):
    name = "adding"
    title = "Adding problem"
    description = (
        "Each sequence has T steps. Every step holds a random number between 0 and 1 and a marker "
        "(0 or 1); exactly two steps are marked, one in each half. Output the sum of the two marked "
        "numbers. A net that has not learned to remember answers about 1 every time, which gives a "
        "mean squared error of about 0.167 (the baseline); learning shows as a loss well below that. "
        "With long sequences (T of 100 or more) a SimpleRNN stays at the baseline while an LSTM or GRU "
        "learns it."
    )
    lecture_note = (
        "Vanishing gradients: backpropagation through time multiplies one factor per step, so the "
        "gradient reaching the first marked value shrinks exponentially with its distance from the "
        "end. LSTM and GRU gates keep it alive. Watch the gradient-flow profile over the time steps."
    )
    kind = REGRESSION
    natural_mode = "many_to_one"
    supported_modes = ("many_to_one",)
    accepts_typed_input = True
    params = (
        ParamSpec("length", "int", 50, "Sequence length T",
                  "Steps per sequence; the longer, the further back the first marked number.",
                  minimum=2, maximum=1000),
        samples_param(1000),
    )

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        rng = np.random.default_rng(seed)
        n, length = params["samples"], params["length"]
        half = length // 2
        values = rng.random((n, length))
        first = rng.integers(0, half, size=n)
        second = rng.integers(half, length, size=n)
        x = np.zeros((n, length, 2), dtype=np.float32)
        x[:, :, 0] = values
        rows = np.arange(n)
        x[rows, first, 1] = 1.0
        x[rows, second, 1] = 1.0
        y = (values[rows, first] + values[rows, second]).astype(np.float32)[:, None]
        x_tr, y_tr, x_va, y_va = split_in_order(x, y, validation_split)
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=REGRESSION, input_kind="real",
            input_shape=(length, 2), output_shape=(1,), feature_names=["value", "marker"],
            target_names=["sum"], description=self.description,
            extra={"baseline_mse": BASELINE_MSE, "length": length,
                   "input_example": f"0.3 at {max(0, half // 2)}, 0.9 at {half + (length - half) // 2}"},
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        x = np.asarray(x)
        marked = np.flatnonzero(x[:, 1] > 0.5)
        parts = ", ".join(f"{x[t, 0]:.3f} at step {t}" for t in marked)
        return f"{len(x)} steps; marked: {parts or 'none'}"

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        return f"sum: {float(np.asarray(y, dtype=float).reshape(-1)[0]):.3f}"

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        """Either "0.3 at 5, 0.9 at 40" (two marked values in a sequence of the trained length T;
        other steps 0.5) or all values, any number of them, with the two marked ones starred
        ("0.2 0.7* 0.1 ... 0.4* ...")."""
        length = info.input_shape[0]
        text = (text or "").strip()
        if not text:
            raise DatasetError(f"Type two marked values, e.g. {info.extra.get('input_example')}.")
        x = np.zeros((length, 2), dtype=np.float32)
        if " at " in f" {text} ":
            x[:, 0] = FILLER
            pairs = [p for p in re.split(r"[,;]+", text) if p.strip()]
            if len(pairs) != 2:
                raise DatasetError(f"Give exactly two marked values like 'VALUE at STEP', got {len(pairs)}.")
            for pair in pairs:
                match = re.fullmatch(r"\s*([-+0-9.eE]+)\s+at\s+(\d+)\s*", pair)
                if not match:
                    raise DatasetError(f"{pair.strip()!r} is not 'VALUE at STEP' (e.g. 0.3 at 5).")
                value, step = float(match.group(1)), int(match.group(2))
                if not 0 <= step < length:
                    raise DatasetError(f"Step {step} is outside the sequence: steps are 0 to {length - 1}.")
                if x[step, 1]:
                    raise DatasetError(f"Step {step} is marked twice: the two marks need different steps.")
                x[step] = (value, 1.0)
            return x
        tokens = [t for t in re.split(r"[,\s]+", text) if t]
        check_typed_steps(info, len(tokens), "values (two of them starred, e.g. 0.7*)", minimum=2)
        x = np.zeros((len(tokens), 2), dtype=np.float32)
        for t, token in enumerate(tokens):
            starred = token.endswith("*")
            try:
                x[t] = (float(token.rstrip("*")), 1.0 if starred else 0.0)
            except ValueError:
                raise DatasetError(f"Step {t}: {token!r} is not a number.") from None
        if int(x[:, 1].sum()) != 2:
            raise DatasetError(f"Star exactly two values (e.g. 0.7*); {int(x[:, 1].sum())} are starred.")
        return x
