"""Which project fields a sweep can vary, and the values a user types or generates for them.

A sweep varies fields by their dotted names (``training.learning_rate``,
``dataset.params.length``); the dialog offers the numbers and choices of the project's three
sections and of its task's parameters, titled as the panels title them. Values are typed as a
comma-separated list ("0.001, 0.01") or generated from a range, and read back here with a
message naming the field and the item it cannot read; whether a value suits the field is
core.sweeps' to say.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from core.datasets import get_task
from core.errors import RNNLabError
from core.field_titles import field_title
from core.formatting import format_number
from core.specs import SECTIONS, Project, field_info

SWEEPABLE_KINDS = ("int", "float", "choice", "bool")
# The task decides which modes it has (varying the mode would mostly make trials it cannot
# build), and the sweep's own seeds set each trial's training seed.
NOT_SWEPT = frozenset({"model.io_mode", "training.seed"})
SECTION_ORDER = ("model", "training", "dataset")


@dataclass(frozen=True)
class SweepField:
    """One field a sweep can vary, as the dialog offers it."""

    dotted: str
    title: str
    kind: str  # one of SWEEPABLE_KINDS
    current: Any  # the project's value: the dialog starts from it
    choices: tuple[str, ...] = ()
    log_scale: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")


def sweepable_fields(project: Project) -> list[SweepField]:
    """The project's number, choice and on/off fields, its task's parameters among them."""
    found = []
    for section in SECTION_ORDER:
        spec = getattr(project, section)
        for spec_field in dataclasses.fields(SECTIONS[section]):
            info = spec_field.metadata.get("info")
            dotted = f"{section}.{spec_field.name}"
            if info is None or info.kind not in SWEEPABLE_KINDS or dotted in NOT_SWEPT:
                continue
            found.append(SweepField(dotted, field_title(dotted), info.kind, getattr(spec, spec_field.name),
                                    tuple(info.choices), info.log_scale))
        if section == "model":
            found += _task_fields(project)
    return found


def field_for(project: Project, dotted: str) -> SweepField | None:
    """The dialog's form of ``dotted``, also for a field the list leaves out (a sweep file may vary
    the I/O mode); None for one it cannot show (text, file paths, columns)."""
    found = next((f for f in sweepable_fields(project) if f.dotted == dotted), None)
    if found is not None:
        return found
    if dotted.startswith("dataset.params."):
        name = dotted.removeprefix("dataset.params.")
        try:
            task = get_task(project.dataset.task)
        except RNNLabError:
            return None
        param = next((p for p in task.params if p.name == name), None)
        if param is None or param.kind not in SWEEPABLE_KINDS:
            return None
        return SweepField(dotted, field_title(dotted, task.name), param.kind,
                          project.dataset.params.get(name, param.default), tuple(param.choices))
    try:
        info = field_info(dotted)
    except KeyError:
        return None
    section, _, name = dotted.partition(".")
    if info.kind not in SWEEPABLE_KINDS or not hasattr(getattr(project, section, None), name):
        return None
    return SweepField(dotted, field_title(dotted), info.kind, getattr(getattr(project, section), name),
                      tuple(info.choices), info.log_scale)


def _task_fields(project: Project) -> list[SweepField]:
    try:
        task = get_task(project.dataset.task)
    except RNNLabError:
        return []
    fields = []
    for param in task.params:
        if param.kind not in SWEEPABLE_KINDS or (param.modes and project.model.io_mode not in param.modes):
            continue
        dotted = f"dataset.params.{param.name}"
        current = project.dataset.params.get(param.name, param.default)
        fields.append(SweepField(dotted, field_title(dotted, task.name), param.kind, current,
                                 tuple(param.choices)))
    return fields


def parse_values(field: SweepField, text: str) -> list:
    """The comma-separated values of ``text`` for ``field``; ValueError names the item it cannot read."""
    items = [item.strip() for item in text.replace(";", ",").split(",")]
    items = [item for item in items if item]
    if not items:
        raise ValueError(f"{field.title}: type at least one value, separated by commas.")
    return [_parse_item(field, item) for item in items]


def _parse_item(field: SweepField, item: str) -> Any:
    if field.kind == "choice":
        for choice in field.choices:
            if item.lower() == choice.lower():
                return choice
        raise ValueError(f"{field.title}: “{item}” is not one of {', '.join(field.choices)}.")
    if field.kind == "bool":
        if item.lower() in ("true", "yes", "on", "1"):
            return True
        if item.lower() in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"{field.title}: “{item}” is not true or false.")
    try:
        number = float(item)
    except ValueError:
        raise ValueError(f"{field.title}: “{item}” is not a number.") from None
    if field.kind == "int":
        if not number.is_integer():
            raise ValueError(f"{field.title}: “{item}” is not a whole number.")
        return int(number)
    return number


def generated_values(field: SweepField, start: float, stop: float, count: int, *, log: bool) -> list:
    """``count`` values from ``start`` to ``stop``, evenly spaced (``log``: by ratio); whole
    numbers for an int field, without repeats."""
    if count < 1:
        raise ValueError(f"{field.title}: generate at least one value.")
    if log and (start <= 0 or stop <= 0):
        raise ValueError(f"{field.title}: a log scale needs values above 0 (from {format_number(start)} "
                         f"to {format_number(stop)}).")
    if count == 1:
        values = [start]
    elif log:
        ratio = math.log(stop / start) / (count - 1)
        values = [start * math.exp(ratio * i) for i in range(count)]
    else:
        values = [start + (stop - start) * i / (count - 1) for i in range(count)]
    if field.kind == "int":
        return list(dict.fromkeys(int(round(value)) for value in values))
    return [float(format_number(value, 6)) for value in values]


def format_values(values: list) -> str:
    """Values as the dialog's text box shows them: "0.001, 0.01" or "SimpleRNN, LSTM"."""
    return ", ".join(format_value(value) for value in values)


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format_number(value, 6)
        # A value read from a sweep file must read back as itself: 0.1234567 is not 0.123457.
        return text if not math.isfinite(value) or float(text) == value else repr(value)
    return str(value)
