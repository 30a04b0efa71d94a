"""What every sequence task provides, and the registry the tasks put themselves in.

A task is a class registered by name with ``@register_task``. It declares its parameters
(``ParamSpec``: type, default, range, help text), the I/O modes it supports and its natural one,
and builds ``SequenceData`` for a ``DatasetSpec`` and an I/O mode.

Array shapes are a contract shared with the model builder (``core.models``):

================  =======================  ==========================================
io_mode           x                        y (classification / regression)
================  =======================  ==========================================
one_to_one        (N, 1, F) or tokens (N, 1)   (N,) int / (N, K)
many_to_one       (N, T, F) or tokens (N, T)   (N,) int / (N, K)
many_to_many      (N, T, F) or tokens (N, T)   (N, T) int / (N, T, K)
one_to_many       (N, F)                        (N, T_out) int / (N, T_out, K)
encoder_decoder   (N, T_in, F) or (N, T_in)     (N, T_out) int / (N, T_out, K)
================  =======================  ==========================================

Real inputs are float32; token inputs are int32 ids into ``DataInfo.vocabulary``. Class targets
are int32 ids into ``DataInfo.class_names``; regression targets are float32 (normalised where
``DataInfo.normalization`` says so).

``DataInfo`` is everything needed to decode and encode samples once the arrays are gone: it is
stored in model bundles so a reopened model can show "rainy, sunny -> pizza" without the data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from core.errors import DatasetError, RNNLabError, SpecError
from core.io_modes import ANY_LENGTH_MODES

CLASSIFICATION = "classification"
REGRESSION = "regression"
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ParamSpec:
    """One task parameter, as the window's form and the validator see it."""

    name: str
    kind: str  # "int", "float", "choice", "bool", "path", "str", "columns"
    default: Any
    label: str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    # Only shown/used for these I/O modes (empty: all modes).
    modes: tuple[str, ...] = ()

    def check(self, task: str, value: Any) -> Any:
        where = f"dataset.params.{self.name}"
        if self.kind == "int":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(where, value, "a whole number")
        elif self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SpecError(where, value, "a finite number")
            try:
                value = float(value)
            except OverflowError:  # an int beyond the float range
                raise SpecError(where, value, "a finite number") from None
            if not np.isfinite(value):
                raise SpecError(where, value, "a finite number")
        elif self.kind == "bool":
            if not isinstance(value, bool):
                raise SpecError(where, value, "true or false")
        elif self.kind == "choice":
            if value not in self.choices:
                raise SpecError(where, value, "one of " + ", ".join(self.choices))
        elif self.kind in ("path", "str"):
            if not isinstance(value, str):
                raise SpecError(where, value, "text")
        elif self.kind == "columns":
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, int)) for v in value):
                raise SpecError(where, value, "a list of column names")
            value = list(value)
        if self.kind in ("int", "float"):
            if self.minimum is not None and value < self.minimum:
                raise SpecError(where, value, f"a number >= {self.minimum:g}")
            if self.maximum is not None and value > self.maximum:
                raise SpecError(where, value, f"a number <= {self.maximum:g}")
        return value


def samples_param(default: int, label: str = "Sequences", counted: str = "generated sequences",
                  modes: tuple[str, ...] = ()) -> ParamSpec:
    """How many samples a generated task makes; every task allows the same range."""
    return ParamSpec("samples", "int", default, label, f"Number of {counted} (training + validation).",
                     minimum=10, maximum=200000, modes=modes)


@dataclass
class DataInfo:
    """Metadata of a built dataset: enough to build a model, decode outputs and encode input."""

    task: str
    io_mode: str
    kind: str  # CLASSIFICATION or REGRESSION
    input_kind: str  # "real" or "tokens"
    input_shape: tuple[int, ...]  # without the batch axis, e.g. (T, F) or (T,) for tokens
    output_shape: tuple[int, ...]  # without the batch axis, e.g. () for one class id, (T,), (K,)
    class_names: list[str] = field(default_factory=list)  # output classes (classification)
    vocabulary: list[str] = field(default_factory=list)  # input tokens (token inputs)
    feature_names: list[str] = field(default_factory=list)  # input features (real inputs)
    target_names: list[str] = field(default_factory=list)  # regression outputs
    # {"x_mean": [...], "x_std": [...], "y_mean": [...], "y_std": [...]} fitted on training rows.
    normalization: dict[str, list[float]] | None = None
    description: str = ""
    # Task-specific facts needed for decoding/generation (separator, delay, step size, ...).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    @property
    def output_dim(self) -> int:
        """Width of the model's head: classes for classification, targets for regression."""
        return self.num_classes if self.kind == CLASSIFICATION else max(1, len(self.target_names))

    @property
    def seq_len_in(self) -> int:
        return self.input_shape[0] if self.io_mode != "one_to_many" else 1

    @property
    def seq_len_out(self) -> int:
        """Steps in the output sequence (1 for many-to-one and one-to-one)."""
        if self.io_mode in ("many_to_one", "one_to_one"):
            return 1
        return self.output_shape[0]

    @property
    def recurrent_steps(self) -> int:
        """Steps the recurrent layers take per sequence: the input's; the output's where a decoder
        generates it from one input (one-to-many); both for an encoder-decoder."""
        if self.io_mode == "one_to_many":
            return self.seq_len_out
        if self.io_mode == "encoder_decoder":
            return self.seq_len_in + self.seq_len_out
        return self.seq_len_in

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["input_shape"] = list(self.input_shape)
        data["output_shape"] = list(self.output_shape)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataInfo:
        """The inverse of to_dict. Raises KeyError for a missing field and TypeError/ValueError
        naming a field that holds the wrong kind of value (data read back from a file)."""
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object of dataset facts, received {type(data).__name__}")
        values = dict(data)
        for key in ("input_shape", "output_shape"):
            shape = values[key]
            if not isinstance(shape, (list, tuple)) or not all(
                    isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in shape):
                raise ValueError(f"{key}: expected a list of whole numbers >= 0, received {shape!r:.80}")
            values[key] = tuple(int(d) for d in shape)
        for key, choices in (("kind", (CLASSIFICATION, REGRESSION)), ("input_kind", ("real", "tokens"))):
            if values.get(key) not in choices:
                raise ValueError(f"{key}: expected one of {', '.join(choices)}, received {values.get(key)!r:.80}")
        for key in ("task", "io_mode", "description"):
            if key in values and not isinstance(values[key], str):
                raise ValueError(f"{key}: expected text, received {values[key]!r:.80}")
        for key in ("class_names", "vocabulary", "feature_names", "target_names"):
            names = values.get(key, [])
            if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
                raise ValueError(f"{key}: expected a list of names, received {names!r:.80}")
        norm = values.get("normalization")
        if norm is not None and not (isinstance(norm, Mapping) and all(
                isinstance(v, (list, tuple)) and all(_finite_number(x) for x in v) for v in norm.values())):
            raise ValueError(f"normalization: expected lists of finite numbers, received {norm!r:.80}")
        if not isinstance(values.get("extra", {}), Mapping):
            raise ValueError(f"extra: expected an object, received {values['extra']!r:.80}")
        return cls(**values)

    # Decoding and encoding are the task's business; the task is found by name so this works
    # for an info reloaded from a bundle.
    def decode_input(self, x: np.ndarray) -> str:
        return get_task(self.task).decode_input(self, x)

    def decode_output(self, y: np.ndarray) -> str:
        """Decode one target or one prediction (class ids, probabilities or values)."""
        return get_task(self.task).decode_output(self, y)

    def describe_sample(self, x: np.ndarray, y: np.ndarray | None = None) -> str:
        text = self.decode_input(x)
        if y is not None:
            text += " -> " + self.decode_output(y)
        return text

    def encode_input(self, text: str) -> np.ndarray:
        """Parse a sequence the user typed into one model input (no batch axis)."""
        return get_task(self.task).encode_input(self, text)

    def denormalize_y(self, y: np.ndarray) -> np.ndarray:
        if self.kind != REGRESSION or not self.normalization or "y_mean" not in self.normalization:
            return np.asarray(y)
        mean = np.asarray(self.normalization["y_mean"], dtype=np.float32)
        std = np.asarray(self.normalization["y_std"], dtype=np.float32)
        return np.asarray(y) * std + mean

    def x_stats(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std of each input feature, (0, 1) where the inputs are not normalised.

        One stored value stands for every feature; a std of 0 reads as 1 so that dividing by it
        stays finite.
        """
        n_features = self.input_shape[-1] if self.input_shape else 1
        norm = self.normalization or {}
        mean = np.asarray(norm.get("x_mean", []), dtype=np.float64).reshape(-1)
        std = np.asarray(norm.get("x_std", []), dtype=np.float64).reshape(-1)
        if mean.size == 1 and std.size == 1:
            mean, std = np.full(n_features, mean[0]), np.full(n_features, std[0])
        if mean.size != n_features or std.size != n_features:
            return np.zeros(n_features), np.ones(n_features)
        return mean, np.where(std == 0, 1.0, std)

    def denormalize_x(self, x: np.ndarray) -> np.ndarray:
        """Real inputs of shape (..., features) back in the data's own units."""
        mean, std = self.x_stats()
        return np.asarray(x, dtype=np.float64) * std + mean

    def feedback_features(self) -> list[int] | None:
        """The input feature each regression target is, in target order (None: a target is no input).

        This is what a series plot shows as a target's past, and what generation feeds each
        prediction back as. An explicit ``target_feature_indices`` (or ``feedback_feature``) in
        ``extra`` wins; then matching names; then as many targets as features, in order.
        """
        if self.input_kind != "real" or self.io_mode == "one_to_many" or len(self.input_shape) != 2:
            return None
        n_features, n_targets = self.input_shape[-1], self.output_dim
        explicit = self.extra.get("target_feature_indices")
        if explicit is None and self.extra.get("feedback_feature") is not None:
            explicit = [self.extra["feedback_feature"]]
        if explicit is not None:
            indices = [int(i) for i in explicit]
        elif self.target_names and self.feature_names and all(t in self.feature_names for t in self.target_names):
            indices = [self.feature_names.index(t) for t in self.target_names]
        elif n_targets == n_features:
            indices = list(range(n_features))
        else:
            return None
        if len(indices) != n_targets or not all(0 <= i < n_features for i in indices):
            return None
        return indices

    def predicts_every_input(self) -> bool:
        """Whether the targets are exactly the input features, so predictions can be fed back as input."""
        indices = self.feedback_features()
        return indices is not None and sorted(set(indices)) == list(range(self.input_shape[-1]))


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        return False


@dataclass
class SequenceData:
    """Arrays for training, validation and test, split in order (validation after training, test last).

    The test part (``dataset.test_split``, empty by default) is never handed to training: it is
    for the final evaluation only. ``test_offset`` is the index of the first test sample among the
    held-out samples (validation, a gap that keeps series windows apart, then test). A task that
    reads a file with a time column names it in ``time_column`` and gives each data row's label
    in ``time_values`` (for plots along the file's own time axis).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    info: DataInfo
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    test_offset: int = 0
    time_column: str = ""
    time_values: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.x_test is None:
            self.x_test, self.y_test = self.x_val[:0], self.y_val[:0]

    @property
    def num_train(self) -> int:
        return len(self.x_train)

    @property
    def num_val(self) -> int:
        return len(self.x_val)

    @property
    def num_test(self) -> int:
        return len(self.x_test)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The (x, y) of "train", "val" or "test"."""
        if name not in SPLITS:
            raise DatasetError(f"Unknown split {name!r}: use one of {', '.join(SPLITS)}.")
        return {"train": (self.x_train, self.y_train), "val": (self.x_val, self.y_val),
                "test": (self.x_test, self.y_test)}[name]

    def sample(self, index: int, split: str = "val") -> tuple[np.ndarray, np.ndarray]:
        x, y = self.split(split)
        if not 0 <= index < len(x):
            raise DatasetError(f"Sample {index} does not exist: the {split} set has {len(x)} samples (0 to {len(x) - 1}).")
        return x[index], y[index]

    def describe_sample(self, index: int, split: str = "val") -> str:
        x, y = self.sample(index, split)
        return self.info.describe_sample(x, y)


class Task:
    """Base class of a registered sequence task. Subclasses set the class attributes and build()."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""  # plain language, shown in the dataset panel
    lecture_note: ClassVar[str] = ""  # which idea of the lecture this shows
    kind: ClassVar[str] = CLASSIFICATION
    natural_mode: ClassVar[str] = "many_to_one"
    supported_modes: ClassVar[tuple[str, ...]] = ("many_to_one",)
    params: ClassVar[tuple[ParamSpec, ...]] = ()
    # Whether inference can generate a continuation autoregressively ("text", "series" or ""
    # for "it depends on the data", see generation_for).
    generation: ClassVar[str] = ""
    # Whether encode_input turns a typed sequence into a model input.
    accepts_typed_input: ClassVar[bool] = False
    # I/O modes whose samples are overlapping windows cut from one series (params "window",
    # "horizon", "stride"); a test split then leaves a gap (``held_out_gap``).
    windowed_modes: ClassVar[tuple[str, ...]] = ()

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def natural_mode_for(self, params: Mapping[str, Any]) -> str:
        """The natural mode for these parameters (a task such as echo/reverse has one per operation)."""
        return self.natural_mode

    def mode_for(self, params: Mapping[str, Any], preferred: str | None = None) -> str:
        """``preferred`` if this task supports it, else the natural mode for these parameters.

        Parameters that do not validate yet (a form half filled in) give the task's natural mode.
        """
        if preferred in self.supported_modes:
            return preferred
        try:
            return self.natural_mode_for(self.validate_params(params))
        except RNNLabError:
            return self.natural_mode

    def generation_for(self, info: DataInfo) -> str:
        """How a model trained on this task continues a sequence: "text", "series" or "" (it cannot).

        The declared ``generation`` wins. Otherwise a regression model whose targets are its own
        input features (an imported CSV series, say) can feed each prediction back: "series".
        """
        if self.generation:
            return self.generation
        return "series" if info.kind == REGRESSION and info.predicts_every_input() else ""

    def build_with_test(self, params: dict[str, Any], io_mode: str, validation_split: float, test_split: float,
                        seed: int) -> SequenceData | None:
        """Training, validation and test data split by the task itself, or None (the default) for
        ``build_dataset`` to cut the test part off the end of the held-out samples."""
        return None

    def held_out_gap(self, params: Mapping[str, Any], io_mode: str) -> int:
        """Held-out samples dropped between validation and test so that no validation window shares
        a row with a test window (0 for independent samples): a window and its target span
        ``window + horizon`` rows and the next window starts ``stride`` rows later."""
        if io_mode not in self.windowed_modes:
            return 0
        span = int(params.get("window", 1)) + int(params.get("horizon", 1))
        stride = max(1, int(params.get("stride", 1)))
        return -(-span // stride) - 1

    def validate_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return the full parameter dict (defaults filled in) or raise SpecError naming the field."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise SpecError(f"dataset.params.{unknown[0]}", params[unknown[0]],
                            f"a parameter of the {self.title} task ({names})")
        values = self.defaults()
        for key, value in params.items():
            values[key] = known[key].check(self.name, value)
        return values

    def build(self, params: dict[str, Any], io_mode: str, validation_split: float, seed: int) -> SequenceData:
        raise NotImplementedError

    # Defaults that suit most tasks; tasks override where words read better.
    def decode_input(self, info: DataInfo, x: np.ndarray) -> str:
        x = np.asarray(x)
        if info.input_kind == "tokens":
            sep = info.extra.get("token_separator", " ")
            return sep.join(info.vocabulary[int(t)] for t in x.reshape(-1))
        return _format_values(x)

    def decode_output(self, info: DataInfo, y: np.ndarray) -> str:
        y = np.asarray(y)
        if info.kind == CLASSIFICATION:
            ids = class_ids(info, y)
            sep = info.extra.get("token_separator", ", ")
            return sep.join(info.class_names[int(i)] for i in np.atleast_1d(ids))
        return _format_values(info.denormalize_y(y))

    def encode_input(self, info: DataInfo, text: str) -> np.ndarray:
        raise DatasetError(f"The {self.title} task does not take typed input.")


class WindowedTask(Task):
    """A task whose samples are windows cut from one long record (a series, a text): read
    many-to-one (one output per window) or many-to-many (one per step), and typed in by hand."""

    natural_mode = "many_to_one"
    supported_modes = ("many_to_one", "many_to_many")
    accepts_typed_input = True
    windowed_modes = ("many_to_one", "many_to_many")


# A typed sequence longer than this was pasted by mistake, not typed.
MAX_TYPED_STEPS = 10_000


def check_typed_steps(info: DataInfo, got: int, units: str, *, minimum: int = 1) -> None:
    """Whether a typed sequence of ``got`` steps fits the mode: any number from ``minimum`` where a
    model of that mode reads any length (``core.io_modes.ANY_LENGTH_MODES``; an encoder-decoder
    still writes its trained number of steps), else exactly the trained length (one-to-one reads
    one step). Raises a DatasetError that says what is expected. Whether the model at hand reads
    that length (one saved before models read any, or imported with a fixed one) is
    ``core.inference.check_input``'s to say."""
    trained = info.input_shape[0]
    if info.io_mode in ANY_LENGTH_MODES:
        if not minimum <= got <= MAX_TYPED_STEPS:
            raise DatasetError(f"Expected {minimum} to {MAX_TYPED_STEPS} {units} (trained on {trained}), got {got}.")
    elif got != trained:
        raise DatasetError(f"Expected {trained} {units}, got {got}.")


def class_ids(info: DataInfo, y: np.ndarray) -> np.ndarray:
    """Class ids from either ids or per-class probabilities (a trailing axis of num_classes)."""
    y = np.asarray(y)
    target_ndim = len(info.output_shape)
    if y.ndim > target_ndim:
        return np.argmax(y, axis=-1)
    return y.astype(int)


def _format_values(values: np.ndarray) -> str:
    flat = np.asarray(values, dtype=float).reshape(-1)
    shown = ", ".join(f"{v:.3g}" for v in flat[:12])
    return f"[{shown}{', ...' if flat.size > 12 else ''}]"


_TASKS: dict[str, Task] = {}


def register_task(cls: type[Task]) -> type[Task]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    _TASKS[cls.name] = cls()
    return cls


def get_task(name: str) -> Task:
    _ensure_loaded()
    try:
        return _TASKS[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name (a list or object from a file)
        raise SpecError("dataset.task", name, "one of " + ", ".join(sorted(_TASKS))) from None


def list_tasks() -> list[Task]:
    _ensure_loaded()
    return list(_TASKS.values())


def _ensure_loaded() -> None:
    # Importing the package registers the built-in tasks.
    import core.datasets  # noqa: F401
