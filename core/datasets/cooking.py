"""The lecture's cooking schedule: a sunny day repeats yesterday's dish, a rainy day cooks the next.

Many-to-many: the net reads a week of weather and names the dish of every day. Since the rule
only says how the dish *changes*, the net is also told which dish was served the day before the
week starts (three extra inputs, set only at the first step), and must carry the current dish in
its state from then on.

One-to-one: the net sees only today's weather. The previous dish is drawn uniformly, so every
dish is equally likely whatever the weather: no map from weather alone can beat 1/3. This is the
lecture's "why not a feed-forward network".
"""

from __future__ import annotations

import re

import numpy as np

from core.datasets import base
from core.datasets.arrays import split_in_order
from core.errors import DatasetError

DISHES = ("ice cream", "french fries", "pizza")
WEATHER = ("sunny", "rainy")


@base.register_task
class CookingTask(base.Task):
    name = "cooking"
    title = "Cooking schedule"
    description = (
        "A cook has three dishes in a fixed cycle: ice cream, french fries, pizza, then ice cream "
        "again. On a sunny day the cook goes out and serves the same dish as yesterday; on a rainy "
        "day the cook stays in and makes the next dish. Many-to-many: from a week of weather (and the "
        "dish served the day before the week starts) name the dish of every day. One-to-one: from "
        "today's weather alone name today's dish; without knowing yesterday's dish this is a guess "
        "(about 1 in 3 right), however big the network."
    )
    lecture_note = (
        "Why not a feed-forward network: the dish depends on yesterday's dish, not only on today's "
        "weather. A recurrent net keeps yesterday's dish in its hidden state h(t) = g(w_i x(t) + "
        "w_R h(t-1) + b) and learns the schedule perfectly; the one-to-one map stays near chance."
    )
    kind = base.CLASSIFICATION
    natural_mode = "many_to_many"
    supported_modes = ("many_to_many", "one_to_one")
    accepts_typed_input = True
    params = (
        base.ParamSpec("days", "int", 7, "Days per sequence",
                  "How many days of weather each sequence holds (a week by default).",
                  minimum=2, maximum=60, modes=("many_to_many",)),
        base.samples_param(800),
        base.ParamSpec("rain_probability", "float", 0.5, "Chance of rain",
                  "Probability that a day is rainy (the cook moves on to the next dish).",
                  minimum=0.0, maximum=1.0),
    )

    def build(self, params, io_mode, validation_split, seed) -> base.SequenceData:
        rng = np.random.default_rng(seed)
        n = params["samples"]
        p = params["rain_probability"]
        if io_mode == "one_to_one":
            before = rng.integers(0, len(DISHES), size=n)
            rainy = rng.random(n) < p
            x = np.zeros((n, 1, 2), dtype=np.float32)
            x[np.arange(n), 0, rainy.astype(int)] = 1.0
            y = ((before + rainy) % len(DISHES)).astype(np.int32)
            input_shape, output_shape = (1, 2), ()
            features = list(WEATHER)
        else:
            days = params["days"]
            before = rng.integers(0, len(DISHES), size=n)
            rainy = rng.random((n, days)) < p
            x = np.zeros((n, days, 5), dtype=np.float32)
            x[:, :, 0] = ~rainy
            x[:, :, 1] = rainy
            x[np.arange(n), 0, 2 + before] = 1.0
            y = ((before[:, None] + np.cumsum(rainy, axis=1)) % len(DISHES)).astype(np.int32)
            input_shape, output_shape = (days, 5), (days,)
            features = list(WEATHER) + [f"before: {d}" for d in DISHES]
        x_train, y_train, x_val, y_val = split_in_order(x, y, validation_split)
        example = "sunny" if io_mode == "one_to_one" else "pizza: " + ", ".join(
            WEATHER[i % 2] for i in range(params["days"]))
        info = base.DataInfo(
            task=self.name, io_mode=io_mode, kind=base.CLASSIFICATION, input_kind="real",
            input_shape=input_shape, output_shape=output_shape, class_names=list(DISHES),
            feature_names=features, description=self.description,
            extra={"chance_accuracy": 1.0 / len(DISHES), "input_example": example,
                   "rain_probability": p},
        )
        return base.SequenceData(x_train, y_train, x_val, y_val, info)

    def decode_input(self, info: base.DataInfo, x: np.ndarray) -> str:
        x = np.asarray(x)
        weather = ", ".join(WEATHER[int(np.argmax(step[:2]))] for step in x)
        if info.io_mode == "one_to_one":
            return weather
        start = x[0, 2:5]
        if start.max() <= 0:
            return weather
        return f"starts after {DISHES[int(np.argmax(start))]} | {weather}"

    def encode_input(self, info: base.DataInfo, text: str) -> np.ndarray:
        """Parse "pizza: sunny, rainy, rainy" (or "sunny rainy rainy", starting after ice cream); a
        week of any length where the model reads any (many-to-many), one day for one-to-one."""
        if not isinstance(text, str) or not text.strip():
            raise DatasetError(f"Type the weather, e.g. {info.extra.get('input_example', 'sunny, rainy')}.")
        text = text.strip().lower()
        start = 0
        if ":" in text:
            head, text = text.split(":", 1)
            head = head.strip()
            if head not in DISHES:
                raise DatasetError(
                    f"Unknown dish {head!r} before ':'; the dishes are {', '.join(DISHES)}."
                )
            start = DISHES.index(head)
        words = [w for w in re.split(r"[,\s]+", text) if w]
        for word in words:
            if word not in WEATHER:
                raise DatasetError(f"Unknown weather {word!r}; use {' or '.join(WEATHER)}.")
        rainy = np.array([w == "rainy" for w in words])
        base.check_typed_steps(info, len(words), "days")
        x = np.zeros((len(words), *info.input_shape[1:]), dtype=np.float32)
        x[:, 0] = ~rainy
        x[:, 1] = rainy
        if info.io_mode != "one_to_one":
            x[0, 2 + start] = 1.0
        return x
