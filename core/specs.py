"""The project: three small frozen specs that round-trip through JSON.

The window edits specs, the command line overrides their fields by dotted name, and core turns
them into arrays, models and runs. Validation messages name the field, the value and what was
expected, so they can be shown next to the control that holds the value.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.datasets import get_task
from core.errors import SpecError
from core.files import loads_json
from core.io_modes import CELLS, IO_MODE_TITLES, IO_MODES

__all__ = ["CELLS", "IO_MODES", "IO_MODE_TITLES", "FieldInfo", "field_info", "Project", "DatasetSpec",
           "ModelSpec", "TrainingSpec", "SECTIONS", "SCHEMA_VERSION", "parse_value"]

SCHEMA_VERSION = 1

ONE_TO_MANY_FEEDS = ("repeat", "initial_state")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "elu", "gelu")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
CLIP_MODES = ("none", "norm", "global_norm", "value")
# Validation and test together: something must be left to train on.
MAX_HELD_OUT = 0.9


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range, e.g. 1 followed by 400 zeros
        return False


@dataclass(frozen=True)
class FieldInfo:
    """Everything known about one project field: its label, help, and the values it accepts.

    Declared once next to the spec; the validator, the panels' widgets and the generated field
    tables all read it, so a range cannot drift between them.
    """

    label: str
    help: str
    kind: str  # "int", "float", "choice", "bool", "text" or "object"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    # How a widget edits it: decimals and step of a spin box; "log" steps multiply.
    decimals: int = 0
    step: float = 1.0
    log_scale: bool = False
    # Fields whose rule is not a range or a list (the device): an extra check and its wording.
    expected_text: str = ""
    custom_check: Callable[[Any], bool] | None = None

    def expected(self) -> str:
        """The accepted values in words, as validation messages and the docs show them."""
        if self.expected_text:
            return self.expected_text
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "int":
            if self.high is None:
                return f"a whole number >= {int(self.low)}"
            return f"a whole number from {int(self.low)} to {int(self.high)}"
        if self.kind == "float":
            left = "(" if self.low_open else "["
            right = ")" if self.high_open else "]"
            return f"a number in {left}{self.low:g}, {self.high:g}{right}"
        return "text" if self.kind == "text" else "an object"

    def accepts(self, value: Any) -> bool:
        if self.kind == "choice":
            return value in self.choices
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "text":
            return isinstance(value, str) and (self.custom_check is None or self.custom_check(value))
        if self.kind == "object":
            return isinstance(value, Mapping)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.kind == "int":
            if not isinstance(value, int):
                return False
        elif not _finite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True

    def check(self, dotted: str, value: Any) -> None:
        if self.accepts(value):
            return
        if self.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise SpecError(dotted, value, "a whole number")
        if self.kind == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                     or not _finite(value)):
            raise SpecError(dotted, value, "a finite number")
        raise SpecError(dotted, value, self.expected())

    def widget_bounds(self) -> tuple[float, float]:
        """The smallest and largest value a spin box of ``decimals`` places may offer.

        An open bound moves in by one step of the widget's precision, so that every value the
        widget can show is one the validator accepts.
        """
        quantum = 10.0 ** -self.decimals if self.kind == "float" else 1
        low = self.low if self.low is not None else 0
        high = self.high if self.high is not None else 2**31 - 1
        if self.low_open:
            low = low + quantum
        if self.high_open:
            high = high - quantum
        if self.kind == "int":
            return int(low), int(min(high, 2**31 - 1))
        return float(low), float(high)


def spec_field(default: Any, info: FieldInfo) -> Any:
    """A dataclass field that carries its FieldInfo (read back with ``field_info``)."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"info": info})
    return field(default=default, metadata={"info": info})


def _is_device(value: str) -> bool:
    return value in ("cpu", "all_gpus") or (value.startswith("gpu:") and value[4:].isdigit())


def _int(label: str, help: str, low: int, high: int | None = None, **kw: Any) -> FieldInfo:
    return FieldInfo(label, help, "int", low=low, high=high, **kw)


def _float(label: str, help: str, low: float, high: float, **kw: Any) -> FieldInfo:
    return FieldInfo(label, help, "float", low=low, high=high, **{"decimals": 6, **kw})


def _choice(label: str, help: str, choices: tuple[str, ...]) -> FieldInfo:
    return FieldInfo(label, help, "choice", choices=choices)


def _bool(label: str, help: str) -> FieldInfo:
    return FieldInfo(label, help, "bool")


class _Validated:
    """Checks every field against its FieldInfo; the section name prefixes the messages."""

    SECTION: ClassVar[str] = ""

    def validate(self) -> None:
        for spec_field_ in dataclasses.fields(self):  # type: ignore[arg-type]
            info = spec_field_.metadata.get("info")
            if info is not None:
                info.check(f"{self.SECTION}.{spec_field_.name}", getattr(self, spec_field_.name))


@dataclass(frozen=True)
class DatasetSpec(_Validated):
    """Which task makes the sequences, with the task's own parameters.

    ``params`` holds the task-specific values (window, noise, file path, ...); each task declares
    them with types and ranges in the dataset registry, which validates them.
    """

    SECTION: ClassVar[str] = "dataset"

    task: str = spec_field("cooking", FieldInfo(
        "Task", "Which task makes the sequences (see Tasks below).", "text",
        expected_text="the name of a dataset task", custom_check=bool))
    params: Mapping[str, Any] = spec_field({}, FieldInfo(
        "Task parameters", "The task's own parameters (see Tasks below); missing ones take their defaults.",
        "object", expected_text="an object of task parameters"))
    validation_split: float = spec_field(0.2, _float(
        "Validation split", "Fraction of the samples kept for validation. Series are split in time order: "
        "the last part validates.", 0.0, 0.9, step=0.05, decimals=2))
    seed: int = spec_field(0, _int(
        "Data seed", "Seed of the data generator: the same seed gives the same samples.", 0, 2**31 - 1))
    test_split: float = spec_field(0.0, _float(
        "Test split", "Fraction of the samples kept for a final test that training and early stopping never "
        "see; it comes after the validation part (series: the very last period).", 0.0, 0.5, step=0.05, decimals=2))

    def __hash__(self) -> int:
        # params is a plain dict (it round-trips through JSON); hash its canonical JSON instead.
        return hash((self.task, json.dumps(dict(self.params), sort_keys=True, default=str),
                     self.validation_split, self.seed, self.test_split))

    def validate(self) -> None:
        super().validate()
        if self.validation_split + self.test_split > MAX_HELD_OUT + 1e-9:
            raise SpecError("dataset.test_split", self.test_split,
                            f"at most {max(0.0, MAX_HELD_OUT - self.validation_split):g}: validation and test "
                            f"together may hold out at most {MAX_HELD_OUT:g} of the data "
                            f"(validation split {self.validation_split:g})")
        get_task(self.task).validate_params(self.params)


@dataclass(frozen=True)
class ModelSpec(_Validated):
    SECTION: ClassVar[str] = "model"

    cell: str = spec_field("LSTM", _choice(
        "Cell", "Recurrent cell: SimpleRNN (the lecture's plain RNN), LSTM or GRU.", CELLS))
    io_mode: str = spec_field("many_to_many", _choice(
        "Input/output mode", "How inputs and outputs line up in time; must be one the task supports.", IO_MODES))
    layers: int = spec_field(1, _int("Layers", "Stacked recurrent layers.", 1, 8))
    units: int = spec_field(32, _int("Units", "Units (hidden state size) of each recurrent layer.", 1, 4096))
    activation: str = spec_field("tanh", _choice(
        "Activation", "Activation of the recurrent cell; LSTM/GRU need tanh for the fast cuDNN kernel.",
        ACTIVATIONS))
    dropout: float = spec_field(0.0, _float(
        "Dropout", "Dropout on each layer's inputs.", 0.0, 1.0, high_open=True, step=0.05))
    recurrent_dropout: float = spec_field(0.0, _float(
        "Recurrent dropout", "Dropout on the recurrent state; any value above 0 leaves the cuDNN kernel.",
        0.0, 1.0, high_open=True, step=0.05))
    bidirectional: bool = spec_field(False, _bool(
        "Bidirectional", "Read the sequence both ways (Keras Bidirectional)."))
    # 0 feeds token inputs as one-hot vectors; > 0 learns an embedding of that size.
    embedding_dim: int = spec_field(0, _int(
        "Embedding size", "Token inputs only: 0 feeds one-hot vectors, N learns an N-wide embedding.", 0, 1024))
    # How a one-to-many model sees its single input vector.
    one_to_many_feed: str = spec_field("repeat", _choice(
        "One-to-many feed", "One-to-many only: repeat the input vector at every step, or use it as the "
        "initial state.", ONE_TO_MANY_FEEDS))


@dataclass(frozen=True)
class TrainingSpec(_Validated):
    SECTION: ClassVar[str] = "training"

    optimizer: str = spec_field("adam", _choice("Optimizer", "Optimizer.", OPTIMIZERS))
    learning_rate: float = spec_field(0.01, _float(
        "Learning rate", "Step size of the optimizer.", 0.0, 10.0, low_open=True, decimals=10, log_scale=True))
    momentum: float = spec_field(0.9, _float(
        "Momentum", "Momentum (sgd only).", 0.0, 1.0, high_open=True, step=0.05))
    clip_mode: str = spec_field("none", _choice(
        "Gradient clipping", "Gradient clipping: by each weight's norm, by the global norm, by value, or none.",
        CLIP_MODES))
    clip_value: float = spec_field(1.0, _float(
        "Clip threshold", "Threshold of the chosen clipping.", 0.0, 1e6, low_open=True, step=0.5))
    epochs: int = spec_field(30, _int(
        "Epochs", "Passes over the training data (fewer if early stopping ends the run).", 1, 100000))
    batch_size: int = spec_field(32, _int("Batch size", "Samples per gradient step.", 1, 1 << 20))
    early_stopping: bool = spec_field(False, _bool(
        "Early stopping", "Stop when the validation loss has not improved for `patience` epochs."))
    patience: int = spec_field(5, _int(
        "Patience", "Epochs without improvement before early stopping.", 1, 10000))
    seed: int = spec_field(42, _int(
        "Seed", "Seed of weight initialisation and shuffling: the same seed gives the same run on CPU.",
        0, 2**31 - 1))
    # "cpu", "gpu:N" or "all_gpus".
    device: str = spec_field("cpu", FieldInfo(
        "Device", "Where to train: cpu, gpu:N (one GPU) or all_gpus (MirroredStrategy).", "text",
        expected_text='"cpu", "gpu:N" or "all_gpus"', custom_check=_is_device))


def field_info(dotted: str) -> FieldInfo:
    """The FieldInfo of ``section.name`` (e.g. ``training.learning_rate``)."""
    section, _, name = dotted.partition(".")
    spec_cls = SECTIONS.get(section)
    if spec_cls is None:
        raise KeyError(dotted)
    for spec_field_ in dataclasses.fields(spec_cls):
        if spec_field_.name == name:
            return spec_field_.metadata["info"]
    raise KeyError(dotted)


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
    def from_dict(cls, data: Any, *, validate: bool = True) -> Project:
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
    def from_json(cls, text: str) -> Project:
        return cls.from_dict(loads_json(text, "project", SpecError))

    # --- overrides --------------------------------------------------------------------------

    def with_field(self, dotted: str, value: Any) -> Project:
        """Return a copy with one field replaced, e.g. ``model.cell`` or ``dataset.params.window``."""
        data = self.to_dict()
        parts = dotted.split(".")
        node: Any = data
        for part in parts[:-1]:
            if not isinstance(node, dict) or part not in node:
                raise SpecError(dotted, value, "an existing field such as model.cell or training.epochs")
            node = node[part]
        leaf = parts[-1]
        in_params = len(parts) >= 3 and parts[-2] == "params"
        if not isinstance(node, dict) or (leaf not in node and not in_params):
            raise SpecError(dotted, value, "an existing field such as model.cell or training.epochs")
        node[leaf] = value
        return Project.from_dict(data)

    def with_override(self, assignment: str) -> Project:
        """Apply ``FIELD=VALUE`` as typed on the command line; VALUE is parsed as JSON if it can be."""
        if "=" not in assignment:
            raise SpecError("--set", assignment, "FIELD=VALUE, e.g. model.cell=GRU")
        dotted, raw = assignment.split("=", 1)
        return self.with_field(dotted.strip(), parse_value(raw.strip()))


SECTIONS: dict[str, type] = {"dataset": DatasetSpec, "model": ModelSpec, "training": TrainingSpec}
PROJECT_NAME_INFO = FieldInfo("Name", "Shown in the window title and the runs list.", "text")


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
