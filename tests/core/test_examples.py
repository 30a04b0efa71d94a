"""The ready projects in resources/examples/ and the generated field reference docs/PROJECT_FIELDS.md."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from core.datasets import build_dataset, list_tasks
from core.persistence import load_project, save_project

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples"
NAMES = [
    "cooking", "cooking_feedforward", "cooking_3_units", "gym", "weather", "sine", "sine_generate", "adding_simplernn",
    "adding_lstm", "exploding_gradients", "exploding_clipped", "sentiment", "echo", "reverse", "text",
    "csv_weather", "csv_energy", "csv_activity",
]


def _raw(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _differences(a: dict, b: dict, prefix: str = "") -> set[str]:
    keys = set(a) | set(b)
    out = set()
    for key in keys:
        va, vb = a.get(key), b.get(key)
        if isinstance(va, dict) and isinstance(vb, dict):
            out |= _differences(va, vb, f"{prefix}{key}.")
        elif va != vb:
            out.add(prefix + key)
    return out


def test_every_example_exists_and_every_task_has_one():
    assert sorted(p.stem for p in EXAMPLES.glob("*.json")) == sorted(NAMES)
    covered = {_raw(name)["dataset"]["task"] for name in NAMES}
    assert {task.name for task in list_tasks()} <= covered


@pytest.mark.parametrize("name", NAMES)
def test_example_loads_from_anywhere_and_builds(name, tmp_path, monkeypatch):
    from core.models import check_compatible

    monkeypatch.chdir(tmp_path)  # paths must not depend on the working directory
    project = load_project(EXAMPLES / f"{name}.json")
    assert project.name and project.name != "Untitled"
    data = build_dataset(project.dataset, project.model.io_mode)
    check_compatible(project.model, data.info)
    assert data.num_train >= 100 and data.num_val >= 20
    assert data.info.io_mode == project.model.io_mode
    # Written in canonical form with portable paths: saving the loaded project changes nothing.
    assert project.to_dict() == _raw(name)
    save_project(tmp_path / "copy.json", project)
    assert json.loads((tmp_path / "copy.json").read_text()) == _raw(name)


def test_example_pairs_differ_only_where_they_mean_to():
    assert _differences(_raw("adding_simplernn"), _raw("adding_lstm")) == {"name", "model.cell"}
    assert _raw("adding_lstm")["dataset"]["params"]["length"] >= 100
    # Clipping alone keeps the run finite but it learns nothing (SGD at 0.5 kills the ReLU units):
    # the tamed lesson clips and takes adaptive steps.
    assert _differences(_raw("exploding_gradients"), _raw("exploding_clipped")) == {
        "name", "training.clip_mode", "training.optimizer", "training.learning_rate"}
    assert _differences(_raw("cooking"), _raw("cooking_feedforward")) <= {
        "name", "model.io_mode", "dataset.params.days"}
    # The lecture's network, small enough to step through by hand, on the cooking example's data.
    small, cooking = _raw("cooking_3_units"), _raw("cooking")
    assert {k: small["dataset"][k] for k in ("task", "params", "seed")} == {
        k: cooking["dataset"][k] for k in ("task", "params", "seed")}
    assert _differences(cooking["model"], small["model"]) == {"cell", "units"}
    assert (small["model"]["cell"], small["model"]["units"]) == ("SimpleRNN", 3)
    assert _raw("cooking_feedforward")["model"]["io_mode"] == "one_to_one"
    assert _raw("sine_generate")["model"]["io_mode"] == "one_to_many"
    assert _raw("reverse")["model"]["io_mode"] == "encoder_decoder"
    assert _raw("csv_weather")["dataset"]["params"]["path"].startswith("builtin:")
    exploding = _raw("exploding_gradients")
    assert exploding["model"]["cell"] == "SimpleRNN" and exploding["model"]["activation"] == "relu"
    assert exploding["training"]["clip_mode"] == "none"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_project_fields", ROOT / "scripts" / "gen_project_fields.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_project_fields_doc_is_up_to_date():
    generated = _generator().render()
    committed = (ROOT / "docs" / "PROJECT_FIELDS.md").read_text(encoding="utf-8")
    assert committed == generated, "docs/PROJECT_FIELDS.md is stale: run python scripts/gen_project_fields.py"


def test_readme_field_tables_are_up_to_date():
    generator = _generator()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert generator.render_readme_section() in readme, "README.md's field tables are stale: run " \
        "python scripts/gen_project_fields.py"
    for field in ("model.cell", "model.io_mode", "training.clip_mode", "training.device", "dataset.validation_split"):
        assert f"`{field}`" in readme


def test_project_fields_doc_covers_every_field_and_parameter():
    text = _generator().render()
    from core.specs import Project

    for section, values in Project().to_dict().items():
        if isinstance(values, dict):
            for field in values:
                assert f"`{section}.{field}`" in text
    for task in list_tasks():
        assert f"### `{task.name}`" in text
        for param in task.params:
            assert f"| `{param.name}` |" in text
    # Accepted values come from the validators themselves.
    assert "| `model.layers` | `1` | a whole number from 1 to 8 |" in text
    for name in NAMES:
        assert f"`{name}.json`" in text


def test_examples_are_listed_in_the_lectures_order_with_their_names():
    from core.examples import EXAMPLE_ORDER, EXAMPLES_DIR, list_examples

    examples = list_examples()
    assert EXAMPLES_DIR == EXAMPLES
    assert [e.path.stem for e in examples] == [name for name in EXAMPLE_ORDER if name in NAMES]
    assert all(e.title == _raw(e.path.stem)["name"] for e in examples)


def test_unknown_and_unreadable_examples_come_last_under_their_file_name(tmp_path):
    from core.examples import list_examples

    (tmp_path / "zz_mine.json").write_text('{"name": "  My own project "}', encoding="utf-8")
    (tmp_path / "a-broken_one.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "gym.json").write_text('{"name": ""}', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a project", encoding="utf-8")
    examples = list_examples(tmp_path)
    assert [(e.title, e.path.name) for e in examples] == [
        ("Gym", "gym.json"), ("A broken one", "a-broken_one.json"), ("My own project", "zz_mine.json")]
