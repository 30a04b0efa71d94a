"""The project: three small frozen specs that round-trip through JSON.

The window edits specs, the command line overrides their fields by dotted name, and core turns
them into arrays, models and runs. Validation messages name the field, the value and what was
expected, so they can be shown next to the control that holds the value.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from core.errors import SpecError

SCHEMA_VERSION = 1

CELLS = ("SimpleRNN", "LSTM", "GRU")
IO_MODES = ("one_to_one", "one_to_many", "many_to_one", "many_to_many", "encoder_decoder")
IO_MODE_TITLES = {
    "one_to_one": "one-to-one",
    "one_to_many": "one-to-many",
    "many_to_one": "many-to-one",
    "many_to_many": "many-to-many (aligned)",
    "encoder_decoder": "many-to-many (encoder-decoder)",
}
ONE_TO_MANY_FEEDS = ("repeat", "initial_state")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "elu", "gelu")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
CLIP_MODES = ("none", "norm", "global_norm", "value")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise SpecError(name, value, "one of " + ", ".join(choices))


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(name, value, "a whole number")
    if value < low or (high is not None and value > high):
        expected = f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"
        raise SpecError(name, value, expected)


def _check_float(name: str, value: Any, low: float, high: float, *, low_open: bool = False,
                 high_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise SpecError(name, value, "a finite number")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise SpecError(name, value, f"a number in {left}{low:g}, {high:g}{right}")


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range, e.g. 1 followed by 400 zeros
        return False


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise SpecError(name, value, "true or false")


@dataclass(frozen=True)
class DatasetSpec:
    """Which task makes the sequences, with the task's own parameters.

    ``params`` holds the task-specific values (window, noise, file path, ...); each task declares
    them with types and ranges in the dataset registry, which validates them.
    """

    task: str = "cooking"
    params: Mapping[str, Any] = field(default_factory=dict)
    validation_split: float = 0.2
    seed: int = 0

    def __hash__(self) -> int:
        # params is a plain dict (it round-trips through JSON); hash its canonical JSON instead.
        return hash((self.task, json.dumps(dict(self.params), sort_keys=True, default=str),
                     self.validation_split, self.seed))

    def validate(self) -> None:
        if not isinstance(self.task, str) or not self.task:
            raise SpecError("dataset.task", self.task, "the name of a dataset task")
        if not isinstance(self.params, Mapping):
            raise SpecError("dataset.params", self.params, "an object of task parameters")
        _check_float("dataset.validation_split", self.validation_split, 0.0, 0.9, high_open=False)
        _check_int("dataset.seed", self.seed, 0, 2**31 - 1)
        # Task parameters are checked against the task's declared parameters.
        from core.datasets import get_task  # local: datasets imports specs

        get_task(self.task).validate_params(self.params)


@dataclass(frozen=True)
class ModelSpec:
    cell: str = "LSTM"
    io_mode: str = "many_to_many"
    layers: int = 1
    units: int = 32
    activation: str = "tanh"
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    bidirectional: bool = False
    # 0 feeds token inputs as one-hot vectors; > 0 learns an embedding of that size.
    embedding_dim: int = 0
    # How a one-to-many model sees its single input vector.
    one_to_many_feed: str = "repeat"

    def validate(self) -> None:
        _check_choice("model.cell", self.cell, CELLS)
        _check_choice("model.io_mode", self.io_mode, IO_MODES)
        _check_int("model.layers", self.layers, 1, 8)
        _check_int("model.units", self.units, 1, 4096)
        _check_choice("model.activation", self.activation, ACTIVATIONS)
        _check_float("model.dropout", self.dropout, 0.0, 1.0, high_open=True)
        _check_float("model.recurrent_dropout", self.recurrent_dropout, 0.0, 1.0, high_open=True)
        _check_bool("model.bidirectional", self.bidirectional)
        _check_int("model.embedding_dim", self.embedding_dim, 0, 1024)
        _check_choice("model.one_to_many_feed", self.one_to_many_feed, ONE_TO_MANY_FEEDS)


@dataclass(frozen=True)
class TrainingSpec:
    optimizer: str = "adam"
    learning_rate: float = 0.01
    momentum: float = 0.9
    clip_mode: str = "none"
    clip_value: float = 1.0
    epochs: int = 30
    batch_size: int = 32
    early_stopping: bool = False
    patience: int = 5
    seed: int = 42
    # "cpu", "gpu:N" or "all_gpus".
    device: str = "cpu"

    def validate(self) -> None:
        _check_choice("training.optimizer", self.optimizer, OPTIMIZERS)
        _check_float("training.learning_rate", self.learning_rate, 0.0, 10.0, low_open=True)
        _check_float("training.momentum", self.momentum, 0.0, 1.0, high_open=True)
        _check_choice("training.clip_mode", self.clip_mode, CLIP_MODES)
        _check_float("training.clip_value", self.clip_value, 0.0, 1e6, low_open=True)
        _check_int("training.epochs", self.epochs, 1, 100000)
        _check_int("training.batch_size", self.batch_size, 1, 1 << 20)
        _check_bool("training.early_stopping", self.early_stopping)
        _check_int("training.patience", self.patience, 1, 10000)
        _check_int("training.seed", self.seed, 0, 2**31 - 1)
        if not isinstance(self.device, str) or not (
            self.device in ("cpu", "all_gpus")
            or (self.device.startswith("gpu:") and self.device[4:].isdigit())
        ):
            raise SpecError("training.device", self.device, '"cpu", "gpu:N" or "all_gpus"')


@dataclass(frozen=True)
class Project:
    name: str = "Untitled"
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)

    def validate(self) -> None:
        if not isinstance(self.name, str):
            raise SpecError("name", self.name, "text")
        self.dataset.validate()
        self.model.validate()
        self.training.validate()
        from core.datasets import get_task

        task = get_task(self.dataset.task)
        if self.model.io_mode not in task.supported_modes:
            modes = ", ".join(IO_MODE_TITLES[m] for m in task.supported_modes)
            raise SpecError(
                "model.io_mode",
                self.model.io_mode,
                f"a mode the {task.title} task supports ({modes})",
            )

    # --- JSON -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "dataset": {**dataclasses.asdict(self.dataset), "params": dict(self.dataset.params)},
            "model": dataclasses.asdict(self.model),
            "training": dataclasses.asdict(self.training),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Any, *, validate: bool = True) -> "Project":
        """Build a project from parsed JSON; missing fields take their defaults."""
        if not isinstance(data, Mapping):
            raise SpecError("project", type(data).__name__, "a JSON object")
        version = data.get("schema_version", SCHEMA_VERSION)
        if isinstance(version, bool) or not isinstance(version, int):
            raise SpecError("schema_version", version, "a whole number")
        if version > SCHEMA_VERSION:
            raise SpecError(
                "schema_version", version,
                f"at most {SCHEMA_VERSION} (the file was written by a newer RNN Lab)",
            )
        if version < 1:
            raise SpecError("schema_version", version, "1 or more")
        known = {"schema_version", "name", "dataset", "model", "training"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError(unknown[0], data[unknown[0]], "no such field; fields are " + ", ".join(sorted(known)))
        project = cls(
            name=data.get("name", "Untitled"),
            dataset=_section(DatasetSpec, "dataset", data.get("dataset", {})),
            model=_section(ModelSpec, "model", data.get("model", {})),
            training=_section(TrainingSpec, "training", data.get("training", {})),
        )
        if validate:
            project.validate()
        return project

    @classmethod
    def from_json(cls, text: str) -> "Project":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError("project", f"line {exc.lineno} column {exc.colno}", f"valid JSON ({exc.msg})") from None
        except ValueError as exc:  # not a JSONDecodeError: a number of more than 4300 digits
            raise SpecError("project", "a number with too many digits",
                            f"valid JSON ({str(exc).split(';')[0]})") from None
        except RecursionError:
            raise SpecError("project", "JSON nested too deeply", "a project object") from None
        return cls.from_dict(data)

    # --- overrides --------------------------------------------------------------------------

    def with_field(self, dotted: str, value: Any) -> "Project":
        """Return a copy with one field replaced, e.g. ``model.cell`` or ``dataset.params.window``."""
        data = self.to_dict()
        parts = dotted.split(".")
        node: Any = data
        for depth, part in enumerate(parts[:-1]):
            if not isinstance(node, dict) or part not in node:
                raise SpecError(dotted, value, "an existing field such as model.cell or training.epochs")
            node = node[part]
        leaf = parts[-1]
        in_params = len(parts) >= 3 and parts[-2] == "params"
        if not isinstance(node, dict) or (leaf not in node and not in_params):
            raise SpecError(dotted, value, "an existing field such as model.cell or training.epochs")
        node[leaf] = value
        return Project.from_dict(data)

    def with_override(self, assignment: str) -> "Project":
        """Apply ``FIELD=VALUE`` as typed on the command line; VALUE is parsed as JSON if it can be."""
        if "=" not in assignment:
            raise SpecError("--set", assignment, "FIELD=VALUE, e.g. model.cell=GRU")
        dotted, raw = assignment.split("=", 1)
        return self.with_field(dotted.strip(), parse_value(raw.strip()))


def parse_value(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # not JSON (or a number too long to read): keep the text
        return raw


def _section(spec_cls: type, name: str, data: Any):
    if not isinstance(data, Mapping):
        raise SpecError(name, data, "an object")
    fields = {f.name: f for f in dataclasses.fields(spec_cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise SpecError(f"{name}.{unknown[0]}", data[unknown[0]], "no such field; fields are " + ", ".join(fields))
    values = dict(data)
    # JSON has one number type: accept 3.0 where a whole number is meant, and 3 where a float is.
    for key, value in list(values.items()):
        default = fields[key].default
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool) and _finite(value):
            values[key] = float(value)
        if isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float) and value.is_integer():
            values[key] = int(value)
    if "params" in values:
        if not isinstance(values["params"], Mapping):
            raise SpecError(f"{name}.params", values["params"], "an object of task parameters")
        values["params"] = dict(values["params"])
    return spec_cls(**values)
