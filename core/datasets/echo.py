"""Delayed echo and sequence reversal of random symbols.

Echo: output at step t the symbol seen at step t - delay ("blank" before that). The output lines
up with the input, so an aligned many-to-many net works, as long as it can hold `delay` symbols.

Reverse: output the whole sequence backwards. The first output needs the last input, so an
aligned unidirectional net cannot do it; an encoder-decoder reads everything first, then writes.
(An aligned net with a bidirectional layer also can, since its backward half has seen the end.)
"""

from __future__ import annotations

import re
import string

import numpy as np

from core.datasets.arrays import split_in_order
from core.datasets.base import (
    CLASSIFICATION,
    DataInfo,
    ParamSpec,
    SequenceData,
    Task,
    check_typed_steps,
    class_ids,
    register_task,
    samples_param,
)
from core.errors import DatasetError, SpecError

BLANK = "blank"
BLANK_SHOWN = "_"


@register_task
class EchoTask(Task):
    name = "echo"
    title = "Echo / reverse"
    description = (
        "A sequence of random symbols (A, B, C, ...). Echo: repeat each symbol `delay` steps later; "
        "the first outputs are blank (_). Reverse: write the sequence backwards. Echo suits an aligned "
        "many-to-many net (one output per input step). Reverse needs an encoder-decoder, which reads "
        "the whole sequence before writing; as aligned many-to-many it only works with a bidirectional "
        "layer, because the first output is the last input."
    )
    lecture_note = (
        "The lecture's two many-to-many boxes: aligned (one output per step, like labelling video "
        "frames) and encoder-decoder (read everything, then write, like translation)."
    )
    kind = CLASSIFICATION
    natural_mode = "many_to_many"
    supported_modes = ("many_to_many", "encoder_decoder")
    accepts_typed_input = True
    params = (
        ParamSpec("operation", "choice", "echo", "Operation",
                  "echo: repeat each symbol later; reverse: write the sequence backwards.",
                  choices=("echo", "reverse")),
        ParamSpec("length", "int", 10, "Sequence length", "Symbols per sequence.", minimum=2, maximum=500),
        ParamSpec("delay", "int", 3, "Delay (echo)",
                  "Steps between a symbol and its echo; must be less than the length.",
                  minimum=0, maximum=499),
        ParamSpec("symbols", "int", 4, "Symbols", "How many different symbols (2-26).",
                  minimum=2, maximum=26),
        samples_param(1000),
    )

    def natural_mode_for(self, params) -> str:
        return "encoder_decoder" if params.get("operation", "echo") == "reverse" else "many_to_many"

    def validate_params(self, params):
        values = super().validate_params(params)
        if values["operation"] == "echo" and values["delay"] >= values["length"]:
            raise SpecError("dataset.params.delay", values["delay"],
                            f"a delay shorter than the length ({values['length']})")
        return values

    def build(self, params, io_mode, validation_split, seed) -> SequenceData:
        rng = np.random.default_rng(seed)
        n, length, symbols, delay = params["samples"], params["length"], params["symbols"], params["delay"]
        names = list(string.ascii_uppercase[:symbols])
        seq = rng.integers(0, symbols, size=(n, length))
        x = np.eye(symbols, dtype=np.float32)[seq]
        if params["operation"] == "reverse":
            y = seq[:, ::-1]
            classes = names
        else:
            y = np.full((n, length), symbols)  # the blank class comes after the symbols
            y[:, delay:] = seq[:, :length - delay]
            classes = names + [BLANK]
        y = np.ascontiguousarray(y, dtype=np.int32)
        x_tr, y_tr, x_va, y_va = split_in_order(x, y, validation_split)
        info = DataInfo(
            task=self.name, io_mode=io_mode, kind=CLASSIFICATION, input_kind="real",
            input_shape=(length, symbols), output_shape=(length,), class_names=classes,
            feature_names=names, description=self.description,
            extra={"operation": params["operation"], "delay": delay, "token_separator": " ",
                   "input_example": " ".join(names[i % symbols] for i in range(length))},
        )
        return SequenceData(x_tr, y_tr, x_va, y_va, info)

    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        return " ".join(info.feature_names[int(np.argmax(step))] for step in np.asarray(x))

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        ids = np.atleast_1d(class_ids(info, y))
        names = [BLANK_SHOWN if info.class_names[int(i)] == BLANK else info.class_names[int(i)] for i in ids]
        return " ".join(names)

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        """Symbols separated by spaces or commas, or run together ("ABCA")."""
        text = (text or "").strip().upper()
        tokens = [t for t in re.split(r"[,\s]+", text) if t]
        if len(tokens) == 1:
            tokens = list(tokens[0])
        names = info.feature_names
        for token in tokens:
            if token not in names:
                raise DatasetError(f"Unknown symbol {token!r}; the symbols are {' '.join(names)}.")
        check_typed_steps(info, len(tokens), "symbols")
        return np.eye(len(names), dtype=np.float32)[[names.index(t) for t in tokens]]
