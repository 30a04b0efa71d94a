"""The lecture's gym schedule: a weekly cycle of workouts; a missed day resumes where you left off.

Each day is either a workout (one-hot over the seven workouts) or a missed day (a separate
"missed" flag). The next workout is the one after the last *attended* workout, however many
days were missed since, so the net has to remember across the gaps.
"""

from __future__ import annotations

import re

import numpy as np

from core.datasets import base
from core.datasets.arrays import split_in_order
from core.errors import DatasetError

WORKOUTS = ("shoulders", "biceps", "triceps", "chest", "back", "legs", "cardio")
MISSED = "missed"


@base.register_task
class GymTask(base.Task):
    name = "gym"
    title = "Gym schedule"
    description = (
        "A trainer's weekly plan: shoulders, biceps, triceps, chest, back, legs, cardio, then "
        "shoulders again. Each day you either do the next workout of the plan or miss the gym; after "
        "a missed day you resume where you left off. From the last days (workouts and missed days) "
        "predict your next workout. Many-to-one: one answer after the window; many-to-many: the next "
        "workout after every day."
    )
    lecture_note = (
        "The lecture's gym example: predicting today's exercise from the date fails; feeding the "
        "previous workout works, and when a day is missed the net must use the last attended day, "
        "which it can only do by keeping it in its hidden state."
    )
    kind = base.CLASSIFICATION
    natural_mode = "many_to_one"
    supported_modes = ("many_to_one", "many_to_many")
    accepts_typed_input = True
    params = (
        base.ParamSpec("window", "int", 7, "Days seen",
                  "How many recent days the net reads (at least one of them is attended).",
                  minimum=1, maximum=120),
        base.samples_param(800),
        base.ParamSpec("attendance", "float", 0.7, "Chance of attending",
                  "Probability of going to the gym on a given day; the rest are missed days.",
                  minimum=0.05, maximum=1.0),
    )

    def build(self, params, io_mode, validation_split, seed) -> base.SequenceData:
        rng = np.random.default_rng(seed)
        n, days, p = params["samples"], params["window"], params["attendance"]
        start = rng.integers(0, len(WORKOUTS), size=n)  # first attended workout
        attended = rng.random((n, days)) < p
        if io_mode == "many_to_many":
            # Every step's target must follow from what the window shows.
            attended[:, 0] = True
        else:
            empty = ~attended.any(axis=1)
            attended[np.flatnonzero(empty), rng.integers(0, days, size=int(empty.sum()))] = True
        done_before = np.cumsum(attended, axis=1) - attended  # attended days before each day
        workout = (start[:, None] + done_before) % len(WORKOUTS)
        x = np.zeros((n, days, len(WORKOUTS) + 1), dtype=np.float32)
        rows, cols = np.nonzero(attended)
        x[rows, cols, workout[rows, cols]] = 1.0
        x[:, :, -1] = ~attended
        # Next workout after each day: the one after the last attended so far.
        next_after = (start[:, None] + np.cumsum(attended, axis=1)) % len(WORKOUTS)
        y = (next_after if io_mode == "many_to_many" else next_after[:, -1]).astype(np.int32)
        x_train, y_train, x_val, y_val = split_in_order(x, y, validation_split)
        example_days = [WORKOUTS[i % 7] if i % 3 != 2 else MISSED for i in range(days)]
        info = base.DataInfo(
            task=self.name, io_mode=io_mode, kind=base.CLASSIFICATION, input_kind="real",
            input_shape=(days, len(WORKOUTS) + 1), output_shape=(days,) if io_mode == "many_to_many" else (),
            class_names=list(WORKOUTS), feature_names=list(WORKOUTS) + [MISSED],
            description=self.description,
            extra={"input_example": ", ".join(example_days), "attendance": p},
        )
        return base.SequenceData(x_train, y_train, x_val, y_val, info)

    def decode_input(self, info: base.DataInfo, x: np.ndarray) -> str:
        names = list(WORKOUTS) + [MISSED]
        return ", ".join(names[int(np.argmax(step))] for step in np.asarray(x))

    def encode_input(self, info: base.DataInfo, text: str) -> np.ndarray:
        """Parse "biceps, missed, triceps": one word per day, commas or spaces between."""
        allowed = list(WORKOUTS) + [MISSED]
        words = [w for w in re.split(r"[,\s]+", (text or "").strip().lower()) if w]
        days = info.input_shape[0]
        if not words:
            raise DatasetError(f"Type {days} days, e.g. {info.extra.get('input_example', 'biceps, missed')}.")
        for word in words:
            if word not in allowed:
                raise DatasetError(f"Unknown day {word!r}; use one of {', '.join(allowed)}.")
        base.check_typed_steps(info, len(words), "days")
        if all(w == MISSED for w in words):
            raise DatasetError("Every day is 'missed': at least one attended workout is needed to know where you are.")
        x = np.zeros((len(words), *info.input_shape[1:]), dtype=np.float32)
        for t, word in enumerate(words):
            x[t, allowed.index(word)] = 1.0
        return x
