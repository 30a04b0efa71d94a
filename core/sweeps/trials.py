"""The trials a sweep makes: every grid point x ``samples`` random draws x every seed.

Random draws come from a generator with a fixed seed, so the same spec always expands to the same
trials, and a trial's id is made from its fields and seed alone: a resumed sweep (or one whose
spec gained a value) finds the trials that already ran by their ids.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import SpecError
from core.specs import Project, field_info
from core.sweeps.spec import MAX_TRIALS, SEED_FIELD, SweepSpec, SweepSpecError

SAMPLING_SEED = 20240611
# Random values are rounded to this many significant digits: tables stay readable and ids stable.
SIGNIFICANT_DIGITS = 4


@dataclass(frozen=True)
class Trial:
    trial_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0

    def describe(self) -> str:
        """``model.cell=LSTM, dataset.params.length=10, seed 0``: a trial in a progress line."""
        parts = [f"{name}={_short(value)}" for name, value in self.fields.items()]
        return ", ".join(parts + [f"seed {self.seed}"])


def trial_id(fields: Mapping[str, Any], seed: int) -> str:
    """A file-name-safe id: the values for a reader, a hash of fields and seed for uniqueness."""
    canonical = json.dumps({"fields": dict(sorted(fields.items())), "seed": seed}, sort_keys=True, default=str)
    digest = hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:8]
    words = "-".join(re.sub(r"[^A-Za-z0-9.]+", "", _short(v)) for v in fields.values())[:40]
    return f"{words}-s{seed}-{digest}" if words else f"s{seed}-{digest}"


def expand_trials(spec: SweepSpec) -> list[Trial]:
    """Every trial of ``spec`` in a stable order; a random draw that repeats a trial is run once."""
    rng = random.Random(SAMPLING_SEED)
    draws = spec.samples if spec.random else 1
    trials: dict[str, Trial] = {}
    for point in itertools.product(*spec.grid.values()):
        grid_fields = dict(zip(spec.grid, point))
        for _ in range(draws):
            fields = {**grid_fields, **{name: _draw(rng, name, dist) for name, dist in spec.random.items()}}
            for seed in spec.seeds:
                tid = trial_id(fields, seed)
                trials.setdefault(tid, Trial(tid, fields, seed))
    return list(trials.values())


def trial_count(spec: SweepSpec) -> int:
    """The number of trials before repeated random draws are dropped (for a quick bound)."""
    grid = math.prod(len(v) for v in spec.grid.values()) if spec.grid else 1
    return grid * (spec.samples if spec.random else 1) * len(spec.seeds)


def trial_project(spec: SweepSpec, trial: Trial) -> Project:
    """The base project with the trial's fields and seed, checked as one project."""
    from core.persistence import resolve_project_paths

    data = spec.project.to_dict()
    for dotted, value in {**trial.fields, SEED_FIELD: trial.seed}.items():
        *path, leaf = dotted.split(".")
        node = data
        for part in path:
            node = node[part]
        node[leaf] = value
    data["name"] = f"{spec.name}: {trial.describe()}"
    project = Project.from_dict(data, validate=False)
    project = resolve_project_paths(project, spec.base_dir)
    project.validate()
    return project


def check_trials(spec: SweepSpec) -> None:
    """Refuse a sweep whose trials would be too many, or a combination its project refuses."""
    count = trial_count(spec)
    if count > MAX_TRIALS:
        raise SweepSpecError("samples" if spec.random else "grid", count,
                             f"at most {MAX_TRIALS} trials (grid points x samples x seeds)")
    for trial in expand_trials(spec):
        try:
            trial_project(spec, trial)
        except SpecError as exc:
            raise SweepSpecError(exc.field, exc.value, f"{exc.expected}, in the trial {trial.describe()}") from None


def _draw(rng: random.Random, dotted: str, distribution: Mapping[str, list[Any]]) -> Any:
    (kind, args), = distribution.items()
    if kind == "choice":
        return rng.choice(args)
    low, high = args
    if kind == "loguniform":
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
    else:
        value = rng.uniform(low, high)
    if _is_whole(dotted, low, high):
        return min(max(round(value), math.ceil(low)), math.floor(high))
    # Rounding may step just past a bound the draw was inside of.
    return min(max(float(f"{value:.{SIGNIFICANT_DIGITS}g}"), low), high)


def _is_whole(dotted: str, low: Any, high: Any) -> bool:
    """Whole-number fields draw whole numbers; a task parameter counts as one when its bounds are ints."""
    if dotted.startswith("dataset.params."):
        return isinstance(low, int) and isinstance(high, int)
    return field_info(dotted).kind == "int"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.{SIGNIFICANT_DIGITS}g}"
    return str(value)
