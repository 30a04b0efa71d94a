"""Fuzzing the project loader: whatever a project file holds, the only error is an RNNLabError, and
whatever loads is valid and survives a JSON round trip unchanged.

Two sources of input: arbitrary JSON trees (mostly rejected early), and valid projects (the shipped
examples) with a few random mutations (a leaf replaced by a value of another type, a key deleted,
a key added), which reach the deep validation paths.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import ModelFileError, RNNLabError, SpecError
from core.persistence import load_project, resolve_project_paths, save_project
from core.specs import Project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SEEDS = [Project().to_dict()] + [json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))]

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _all_keys(node) -> set[str]:
    keys: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            keys.add(key)
            keys |= _all_keys(value)
    return keys


# Real field names make random dicts look like projects often enough to get past the first check.
KNOWN_KEYS = sorted(set().union(*(_all_keys(seed) for seed in SEEDS)))

scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**400), max_value=10**400)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
           | st.sampled_from(["LSTM", "GRU", "many_to_one", "csv", "text", "builtin:recurrence", "adam"]))
json_trees = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=10), children, max_size=6),
    max_leaves=25,
)


def _check_loaded(project: Project) -> None:
    """What a loaded project must satisfy: valid, and equal to itself after JSON and back."""
    assert isinstance(project, Project)
    project.validate()
    again = Project.from_json(project.to_json())
    assert again == project
    assert again.to_dict() == project.to_dict()


def _load_or_refuse(data) -> Project | None:
    try:
        project = Project.from_dict(data)
    except RNNLabError as exc:
        assert isinstance(exc, SpecError)
        assert str(exc)
        return None
    _check_loaded(project)
    return project


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory(prefix="rnnlab-fuzz-") as tmp:
        yield Path(tmp)


def _through_file(folder: Path, text: str) -> Project | None:
    """load_project on ``text``: RNNLabError or a valid project; a loaded one saves and reloads equal."""
    path = folder / "fuzz.json"
    path.write_text(text, encoding="utf-8")
    try:
        project = load_project(path)
    except RNNLabError as exc:
        assert isinstance(exc, (SpecError, ModelFileError))
        assert str(path) in str(exc)
        return None
    _check_loaded(project)
    save_project(folder / "saved.json", project)
    assert load_project(folder / "saved.json") == resolve_project_paths(project, folder)
    return project


@FUZZ
@given(tree=json_trees)
def test_arbitrary_json_trees(tree, folder):
    _load_or_refuse(tree)
    _through_file(folder, json.dumps(tree))


@FUZZ
@given(tree=st.dictionaries(st.sampled_from(["schema_version", "name", "dataset", "model", "training"]),
                            json_trees, max_size=5))
def test_arbitrary_sections(tree, folder):
    _load_or_refuse(tree)
    _through_file(folder, json.dumps(tree))


def _paths(node, prefix=()) -> list[tuple]:
    """Every key path in a nested dict (lists are leaves)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    return found


def _other_type(value):
    """A strategy for a value of a different JSON type than ``value`` (or a wild value of the same)."""
    kinds = {
        "none": st.none(), "bool": st.booleans(),
        "int": st.integers(-(10**30), 10**30) | st.sampled_from([10**400, -(10**400)]),
        "float": st.floats(allow_nan=True, allow_infinity=True), "text": st.text(max_size=12),
        "list": st.lists(scalars, max_size=3), "dict": st.dictionaries(st.text(max_size=6), scalars, max_size=3),
    }
    same = ("none" if value is None else "bool" if isinstance(value, bool) else "int" if isinstance(value, int)
            else "float" if isinstance(value, float) else "text" if isinstance(value, str)
            else "list" if isinstance(value, list) else "dict")
    wild_same = {"int": st.sampled_from([0, -1, 10**9, 10**400]),
                 "float": st.sampled_from([0.0, -0.0, 1e308, -1e-320, math.inf, math.nan]),
                 "text": st.sampled_from(["", " ", "x" * 1000, "\x00", "é", "builtin:nope"])}
    options = [s for k, s in kinds.items() if k != same] + ([wild_same[same]] if same in wild_same else [])
    return st.one_of(options)


@st.composite
def mutated_projects(draw):
    data = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(_other_type(parent[path[-1]]))
        elif action == "delete":
            del parent[path[-1]]
        else:
            name = draw(st.sampled_from(KNOWN_KEYS) | st.text(min_size=1, max_size=8))
            parent[name] = draw(scalars)
    return data


@FUZZ
@given(data=mutated_projects())
def test_mutated_valid_projects(data, folder):
    _load_or_refuse(data)
    _through_file(folder, json.dumps(data))


def test_the_seeds_load_and_mutations_reach_deep_checks(folder):
    """The fuzz inputs are meaningful: every seed loads, and one-leaf mutations are refused by the
    deep validation (a named field), not only by the first type check."""
    for seed in SEEDS:
        assert _load_or_refuse(seed) is not None
    broken = json.loads(json.dumps(SEEDS[0]))
    broken["training"]["epochs"] = "many"
    with pytest.raises(SpecError) as err:
        Project.from_dict(broken)
    assert err.value.field == "training.epochs"
