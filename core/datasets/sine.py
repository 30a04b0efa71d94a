"""Sums of sine waves plus noise: forecasting and generation.

Many-to-one and many-to-many read a window of one long series (a fixed mix of sines whose
phases come from the seed) and predict the next value (after the window, or after every step).
The series is split in time order before windowing, so validation windows come from the end.

One-to-many gets a start vector describing a single sine (frequency, phase, amplitude) and must
produce its next values: one input, a whole sequence out, as when a caption is written from one
image.
"""

from __future__ import annotations

import re

import numpy as np

from core.datasets.arrays import fit_normalization, normalize, parse_number_rows, series_windows, split_in_order
from core.datasets.base import REGRESSION, DataInfo, ParamSpec, SequenceData, Task, register_task, samples_param
from core.errors import DatasetError

# Relative periods and amplitudes of the mixed components; non-integer ratios make the sum
# repeat only rarely, so the net cannot just memorise one cycle.
PERIOD_RATIOS = (1.0, 1 / 2.7, 1 / 4.3, 1 / 6.1, 1 / 8.9)
AMPLITUDES = (1.0, 0.5, 0.3, 0.2, 0.15)
START_FEATURES = ("frequency (cycles per step)", "phase sin", "phase cos", "amplitude")
# One-to-many: the single sine's frequency and amplitude ranges.
FREQ_RANGE = (1 / 40, 1 / 8)
AMP_RANGE = (0.5, 1.5)


def sine_mix(steps: int, period: float, components: int, phases: np.ndarray) -> np.ndarray:
    t = np.arange(steps)
    total = np.zeros(steps)
    for k in range(components):
        total += AMPLITUDES[k] * np.sin(2 * np.pi * t / (period * PERIOD_RATIOS[k]) + phases[k])
    return total


@register_task
class SineTask(Task):
    name = "sine"
    title = "Sine waves"
    description = (
        "A wave made of a few sines plus a little noise. Many-to-one: read the last values and "
        "predict the next one. Many-to-many: predict the next value after every step. One-to-many: "
        "from one start vector (frequency, phase, amplitude of a single sine) produce the next values "
        "of that sine. Values are used as they are (they stay within about -2..2)."
    )
    lecture_note = (
        "Numerical time series (sensors, markets) are a main RNN application. A trained forecaster can "
        "generate: feed each prediction back as the next input. One-to-many shows the lecture's "
        "'one input, a sequence out' box."
    )
    kind = REGRESSION
    natural_mode = "many_to_one"
    supported_modes = ("many_to_one", "many_to_many", "one_to_many")
    accepts_typed_input = True
    windowed_modes = ("many_to_one", "many_to_many")
    generation = "series"
    params = (
        ParamSpec("points", "int", 1000, "Series length",
                  "Number of points of the generated series; windows are cut from it.",
                  minimum=50, maximum=1000000, modes=("many_to_one", "many_to_many")),
        ParamSpec("window", "int", 30, "Window",
                  "How many past values the net reads.", minimum=2, maximum=2000,
                  modes=("many_to_one", "many_to_many")),
        ParamSpec("period", "float", 20.0, "Main period",
                  "Steps per cycle of the main sine; the other components are faster.",
                  minimum=3.0, maximum=1000.0, modes=("many_to_one", "many_to_many")),
        ParamSpec("components", "int", 2, "Sines mixed",
                  "How many sines are added (1-5).", minimum=1, maximum=len(PERIOD_RATIOS),
                  modes=("many_to_one", "many_to_many")),
        ParamSpec("noise", "float", 0.05, "Noise",
                  "Standard deviation of the Gaussian noise added to every value.", minimum=0.0, maximum=2.0),
        ParamSpec("length", "int", 30, "Values to produce",
                  "How many values the one-to-many net writes from its start vector.",
                  minimum=2, maximum=1000, modes=("one_to_many",)),
        samples_param(800, counted="start vectors", modes=("one_to_many",)),
    )

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        rng = np.random.default_rng(seed)
        if io_mode == "one_to_many":
            return self._build_one_to_many(params, validation_split, rng)
        components, period, window = params["components"], params["period"], params["window"]
        phases = rng.uniform(0, 2 * np.pi, size=len(PERIOD_RATIOS))
        clean = sine_mix(params["points"], period, components, phases)
        series = clean + params["noise"] * rng.normal(size=clean.shape)
        values = series[:, None]
        x_tr, y_tr, x_va, y_va, n_train = series_windows(
            values, values, window=window, horizon=1, validation_split=validation_split,
            io_mode=io_mode, source="The sine series")
        x_tr, y_tr, x_va, y_va = (a.astype(np.float32) for a in (x_tr, y_tr, x_va, y_va))
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=REGRESSION, input_kind="real",
            input_shape=(window, 1), output_shape=(window, 1) if io_mode == "many_to_many" else (1,),
            feature_names=["value"], target_names=["next value"], description=self.description,
            extra={
                # Generation: the prediction becomes the next input's feature 0.
                "feedback_feature": 0, "window": window,
                "period": period, "components": components, "phases": [float(p) for p in phases],
                "noise": params["noise"], "train_rows": n_train,
                "input_example": ", ".join(f"{v:.2f}" for v in clean[:window]),
            },
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    def _build_one_to_many(self, params, validation_split, rng) -> SequenceData:
        n, length = params["samples"], params["length"]
        freq = rng.uniform(*FREQ_RANGE, size=n)
        phase = rng.uniform(0, 1, size=n)  # in cycles
        amp = rng.uniform(*AMP_RANGE, size=n)
        raw = np.stack([freq, np.sin(2 * np.pi * phase), np.cos(2 * np.pi * phase), amp], axis=1)
        # The values after the start point t = 0: steps 1..length.
        t = np.arange(1, length + 1)
        y = amp[:, None] * np.sin(2 * np.pi * (freq[:, None] * t[None, :] + phase[:, None]))
        y = (y + params["noise"] * rng.normal(size=y.shape))[:, :, None].astype(np.float32)
        n_train = len(split_in_order(raw, raw, validation_split)[0])
        # Frequencies are tiny next to the other features: scale inputs by the training stats.
        norm = fit_normalization(raw[:n_train])
        x = normalize(raw, norm["x_mean"], norm["x_std"])
        x_tr, y_tr, x_va, y_va = split_in_order(x, y, validation_split)
        info = DataInfo(
            task=self.name, io_mode="one_to_many", kind=REGRESSION, input_kind="real",
            input_shape=(len(START_FEATURES),), output_shape=(length, 1),
            feature_names=list(START_FEATURES), target_names=["value"], normalization=norm,
            description=self.description,
            extra={"length": length, "frequency_range": list(FREQ_RANGE),
                   "amplitude_range": list(AMP_RANGE), "noise": params["noise"],
                   "input_example": "frequency 0.05, phase 90, amplitude 1"},
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        x = np.asarray(x)
        if info.io_mode == "one_to_many":
            freq, s, c, amp = info.denormalize_x(x.reshape(-1))
            phase = (np.degrees(np.arctan2(s, c)) + 360) % 360
            return f"sine: frequency {freq:.3f} cycles/step (period {1 / freq:.1f}), phase {phase:.0f} deg, amplitude {amp:.2f}"
        values = x.reshape(-1)
        shown = ", ".join(f"{v:.2f}" for v in values[-8:])
        return f"{values.size} values: {'... ' if values.size > 8 else ''}{shown}"

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        values = np.asarray(info.denormalize_y(y), dtype=float).reshape(-1)
        if values.size == 1:
            return f"next value: {values[0]:.3f}"
        shown = ", ".join(f"{v:.2f}" for v in values[:8])
        label = "next values" if info.io_mode == "one_to_many" else "next value after each step"
        return f"{label}: {shown}{', ...' if values.size > 8 else ''}"

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        if info.io_mode != "one_to_many":
            return parse_number_rows(text, ["value"], info).astype(np.float32)
        return self._encode_start(info, text)

    def _encode_start(self, info: DataInfo, text: str) -> np.ndarray:
        """"frequency 0.05, phase 90, amplitude 1" or "0.05, 90, 1" (phase in degrees; amplitude optional)."""
        cleaned = re.sub(r"(frequency|freq|phase|amplitude|amp)\s*[=:]?", " ", (text or "").lower())
        tokens = [t for t in re.split(r"[,;\s]+", cleaned) if t]
        if len(tokens) not in (2, 3):
            raise DatasetError(
                f"Type a frequency (cycles per step), a phase (degrees) and optionally an amplitude, "
                f"e.g. {info.extra.get('input_example')}; got {len(tokens)} numbers."
            )
        try:
            numbers = [float(t) for t in tokens]
        except ValueError:
            bad = next(t for t in tokens if not _is_number(t))
            raise DatasetError(f"{bad!r} is not a number (frequency, phase, amplitude).") from None
        freq, phase = numbers[0], numbers[1]
        amp = numbers[2] if len(numbers) == 3 else 1.0
        if not all(np.isfinite(numbers)) or freq <= 0 or freq > 0.5:
            raise DatasetError(f"Frequency must be in (0, 0.5] cycles per step, got {freq!r}.")
        raw = np.array([freq, np.sin(np.radians(phase)), np.cos(np.radians(phase)), amp])
        norm = info.normalization or {}
        return normalize(raw, norm.get("x_mean", 0.0), norm.get("x_std", 1.0))


def _is_number(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False
