"""A sweep: one base project, the fields to vary and how, the seeds, and how to rank the trials.

The JSON form, versioned like projects::

    {"schema_version": 1, "name": "...", "project": "../adding_lstm.json" | {...a project...},
     "grid": {"model.cell": ["SimpleRNN", "LSTM"]},
     "random": {"training.learning_rate": {"loguniform": [1e-4, 1e-2]}},
     "samples": 8, "seeds": [0, 1], "metric": "val_loss", "mode": "min", "scheduler": null}

``"scheduler": "asha"`` ends poor trials early by ``metric`` and ``mode`` (asynchronous successive
halving, ``core.sweeps.asha``), on the local engine and on Ray alike; null trains every trial in
full. A relative project path is relative to the sweep file's folder. Every field and value is
checked against the project's own rules before any trial runs (``validate``), and each
combination the sweep makes is checked as a whole project too, so a sweep never fails halfway on
a value it could have refused at the start. A saved spec holds its base project inline, so a
results folder reopens even after the base project file moved.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.atomic import atomic_write
from core.errors import ModelFileError, SpecError
from core.files import loads_json, read_user_bytes
from core.specs import Project, field_info

SCHEMA_VERSION = 1
DISTRIBUTIONS = ("uniform", "loguniform", "choice")
METRICS = ("val_loss", "loss", "val_accuracy", "accuracy", "val_mae", "mae")
MODES = ("min", "max")
SCHEDULERS = (None, "asha")
# The seeds repeat every combination with a new weight initialisation and shuffling.
SEED_FIELD = "training.seed"
# Far more than a laptop or a small cluster runs in a day; a typo in "samples" ends here instead.
MAX_TRIALS = 10_000
_KEYS = ("schema_version", "name", "project", "grid", "random", "samples", "seeds", "metric", "mode", "scheduler")


class SweepSpecError(SpecError, ValueError):
    """A sweep field holds a value that cannot be used; the message names the field and the value."""


@dataclass(frozen=True)
class SweepSpec:
    project: Project
    name: str = "Sweep"
    grid: Mapping[str, list[Any]] = field(default_factory=dict)
    random: Mapping[str, Mapping[str, list[Any]]] = field(default_factory=dict)
    samples: int = 1
    seeds: tuple[int, ...] = (0,)
    metric: str = "val_loss"
    mode: str = "min"
    scheduler: str | None = None
    # Where relative data paths of varied fields (a list of CSV files) are read from: the sweep file's folder.
    base_dir: str | None = None

    @property
    def fields(self) -> list[str]:
        """The varied fields in the order the results table shows them."""
        return list(self.grid) + [name for name in self.random if name not in self.grid]

    # --- validation -----------------------------------------------------------------------------

    def validate(self) -> None:
        """Raise SweepSpecError naming the first field or value that cannot be used."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise SweepSpecError("name", self.name, "a non-empty text")
        if not isinstance(self.project, Project):
            raise SweepSpecError("project", self.project, "a project")
        _check_mapping("grid", self.grid)
        _check_mapping("random", self.random)
        for dotted, values in self.grid.items():
            self._check_field("grid", dotted)
            if not isinstance(values, list) or not values:
                raise SweepSpecError(f"grid.{dotted}", values, "a non-empty list of values")
            for value in values:
                self._check_value(f"grid.{dotted}", dotted, value)
        for dotted, distribution in self.random.items():
            self._check_field("random", dotted)
            if dotted in self.grid:
                raise SweepSpecError(f"random.{dotted}", distribution, "a field not also in the grid")
            self._check_distribution(dotted, distribution)
        _check_count("samples", self.samples, 1)
        if isinstance(self.seeds, (str, bytes)) or not isinstance(self.seeds, (list, tuple)) or not self.seeds:
            raise SweepSpecError("seeds", self.seeds, "a non-empty list of whole numbers")
        for seed in self.seeds:
            try:
                field_info(SEED_FIELD).check("seeds", seed)
            except SpecError as exc:
                raise SweepSpecError("seeds", seed, exc.expected) from None
        if len(set(self.seeds)) != len(self.seeds):
            raise SweepSpecError("seeds", list(self.seeds), "seeds without repeats")
        _check_choice("metric", self.metric, METRICS)
        _check_choice("mode", self.mode, MODES)
        _check_choice("scheduler", self.scheduler, SCHEDULERS)
        from core.sweeps.trials import check_trials  # trials builds on this module

        check_trials(self)

    def _check_field(self, section: str, dotted: Any) -> None:
        if not isinstance(dotted, str) or not _is_project_field(self.project, dotted):
            raise SweepSpecError(f"{section}.{dotted}", dotted,
                                 "a project field by its dotted name, such as model.cell, training.learning_rate "
                                 "or dataset.params.length (docs/PROJECT_FIELDS.md lists them)")
        if dotted == SEED_FIELD:
            raise SweepSpecError(f"{section}.{dotted}", dotted, 'the seeds listed under "seeds", not as a field')

    def _check_value(self, where: str, dotted: str, value: Any) -> None:
        try:
            self.project.with_field(dotted, value)
        except SpecError as exc:
            if exc.field == dotted:
                raise SweepSpecError(where, value, exc.expected) from None
            raise SweepSpecError(where, value, f"a value the base project accepts ({exc})") from None

    def _check_distribution(self, dotted: str, distribution: Any) -> None:
        where = f"random.{dotted}"
        if not isinstance(distribution, Mapping) or len(distribution) != 1:
            raise SweepSpecError(where, distribution, 'one distribution: {"uniform": [low, high]}, '
                                                      '{"loguniform": [low, high]} or {"choice": [values]}')
        (kind, args), = distribution.items()
        if kind not in DISTRIBUTIONS:
            raise SweepSpecError(where, kind, "a distribution: " + ", ".join(DISTRIBUTIONS))
        if kind == "choice":
            if not isinstance(args, list) or not args:
                raise SweepSpecError(f"{where}.choice", args, "a non-empty list of values")
            for value in args:
                self._check_value(f"{where}.choice", dotted, value)
            return
        info = field_info(dotted) if not dotted.startswith("dataset.params.") else None
        if info is not None and info.kind not in ("int", "float"):
            raise SweepSpecError(where, kind, f'"choice" for a field of {info.expected()}')
        if (not isinstance(args, list) or len(args) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in args)
                or args[0] >= args[1]):
            raise SweepSpecError(f"{where}.{kind}", args, "[low, high], two finite numbers with low < high")
        if kind == "loguniform" and args[0] <= 0:
            raise SweepSpecError(f"{where}.{kind}", args, "[low, high] with 0 < low (a log scale)")
        for value in args:
            self._check_value(f"{where}.{kind}", dotted, value)

    # --- JSON -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "project": self.project.to_dict(),
            "grid": {k: list(v) for k, v in self.grid.items()},
            "random": {k: {kind: list(args) for kind, args in v.items()} for k, v in self.random.items()},
            "samples": self.samples,
            "seeds": list(self.seeds),
            "metric": self.metric,
            "mode": self.mode,
            "scheduler": self.scheduler,
        }

    @classmethod
    def from_dict(cls, data: Any, base_dir: str | os.PathLike | None = None) -> SweepSpec:
        """Build and validate a spec from parsed JSON; a project path is relative to ``base_dir``."""
        if not isinstance(data, Mapping):
            raise SweepSpecError("sweep", type(data).__name__, "a JSON object")
        version = data.get("schema_version", SCHEMA_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
            raise SweepSpecError("schema_version", version, f"a whole number from 1 to {SCHEMA_VERSION}")
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise SweepSpecError(unknown[0], data[unknown[0]], "no such sweep field; fields are " + ", ".join(_KEYS))
        if "project" not in data:
            raise SweepSpecError("project", None, "the base project: a project file's path or a project object")
        base = str(Path(base_dir).absolute()) if base_dir is not None else None
        seeds = data.get("seeds", [0])
        spec = cls(
            project=_base_project(data["project"], base),
            name=data.get("name", "Sweep"),
            grid=_copy_mapping(data.get("grid", {})),
            random=_copy_mapping(data.get("random", {})),
            samples=data.get("samples", 1),
            seeds=tuple(seeds) if isinstance(seeds, list) else seeds,
            metric=data.get("metric", "val_loss"),
            mode=data.get("mode", "min"),
            scheduler=data.get("scheduler"),
            base_dir=base,
        )
        spec.validate()
        return spec

    @classmethod
    def load(cls, path: str | os.PathLike) -> SweepSpec:
        path = Path(path)
        raw = read_user_bytes(path, "sweep file", ModelFileError)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ModelFileError(f"{path}: not a sweep file: byte {exc.start} is not UTF-8 text.") from None
        data = loads_json(text, str(path), ModelFileError)
        try:
            return cls.from_dict(data, base_dir=path.absolute().parent)
        except SweepSpecError as exc:
            located = SweepSpecError(exc.field, exc.value, exc.expected)
            located.args = (f"{path}: {exc}",)
            raise located from None

    def save(self, path: str | os.PathLike) -> None:
        """Write the spec as JSON, atomically. Data files in the sweep file's folder or below it
        are written relative to it, as ``save_project`` does, so that the folder can go to a
        cluster and ``main.py sweep`` finds them there."""
        import json

        from core.persistence import path_fields, portable_data_path, portable_project_paths, resolve_data_path

        folder = Path(path).absolute().parent
        data = self.to_dict()
        data["project"] = portable_project_paths(self.project, folder).to_dict()
        for dotted in path_fields(self.project.dataset.task):
            if dotted in data["grid"]:
                data["grid"][dotted] = [portable_data_path(resolve_data_path(v, self.base_dir), folder)
                                        if isinstance(v, str) else v for v in data["grid"][dotted]]
        text = json.dumps(data, indent=2) + "\n"
        atomic_write(Path(path), lambda fh: fh.write(text.encode("utf-8")), what="sweep file")


def _check_mapping(section: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise SweepSpecError(section, value, "an object of dotted field names")


def _check_count(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SweepSpecError(name, value, f"a whole number >= {low}")


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value not in choices:
        raise SweepSpecError(name, value, "one of " + ", ".join("null" if c is None else c for c in choices))


def _copy_mapping(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def _is_project_field(project: Project, dotted: str) -> bool:
    parts = dotted.split(".")
    if len(parts) == 3 and parts[:2] == ["dataset", "params"]:
        from core.datasets import get_task

        return parts[2] in {p.name for p in get_task(project.dataset.task).params}
    try:
        field_info(dotted)
    except KeyError:
        return False
    return True


def _base_project(value: Any, base_dir: str | None) -> Project:
    from core.persistence import load_project, resolve_project_paths

    if isinstance(value, str):
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = Path(base_dir or os.getcwd()) / path
        try:
            return load_project(path)
        except (ModelFileError, SpecError) as exc:
            raise SweepSpecError("project", value, f"a project file that opens ({exc})") from None
    if not isinstance(value, Mapping):
        raise SweepSpecError("project", value, "a project file's path or a project object")
    try:
        project = Project.from_dict(value, validate=False)
        project = resolve_project_paths(project, base_dir)
        project.validate()
    except SpecError as exc:
        raise SweepSpecError(f"project.{exc.field}", exc.value, exc.expected) from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise SweepSpecError("project", value, f"a valid project ({exc})") from None
    return project
