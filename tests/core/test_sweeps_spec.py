"""Sweep specs, their trials and the results folder, without training anything."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from core.sweeps import (
    SweepSpec,
    SweepSpecError,
    TrialResult,
    best_result,
    estimate_seconds,
    expand_trials,
    read_results,
    trial_project,
    write_results,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples" / "sweeps"
BASE = {"dataset": {"task": "adding", "params": {"length": 5, "samples": 20}},
        "model": {"cell": "SimpleRNN", "io_mode": "many_to_one", "units": 2},
        "training": {"epochs": 1, "batch_size": 8}}


def sweep(**fields) -> dict:
    return {"schema_version": 1, "name": "tiny", "project": BASE, **fields}


@pytest.mark.parametrize("name", ["how_far_back", "exploding_fixes"])
def test_the_example_sweeps_load_with_their_base_projects(name):
    spec = SweepSpec.load(EXAMPLES / f"{name}.json")
    trials = expand_trials(spec)
    assert len(trials) == {"how_far_back": 4 * 3 * 2, "exploding_fixes": 3 * 2}[name]
    assert len({t.trial_id for t in trials}) == len(trials)
    assert spec.project.dataset.task == "adding"


def test_the_how_far_back_trials_vary_length_and_cell_with_two_seeds():
    spec = SweepSpec.load(EXAMPLES / "how_far_back.json")
    projects = [trial_project(spec, t) for t in expand_trials(spec)]
    assert {(p.model.cell, p.dataset.params["length"]) for p in projects} == {
        (cell, length) for cell in ("SimpleRNN", "LSTM", "GRU") for length in (10, 25, 50, 100)}
    assert sorted({p.training.seed for p in projects}) == [0, 1]


@pytest.mark.parametrize("fields, named", [
    ({"grid": {"model.cel": ["LSTM"]}}, "grid.model.cel"),
    ({"grid": {"dataset.params.lenght": [5]}}, "grid.dataset.params.lenght"),
    ({"grid": {"model.cell": []}}, "grid.model.cell"),
    ({"grid": {"model.cell": ["LSTM", "Transformer"]}}, "'Transformer'"),
    ({"grid": {"training.learning_rate": [0.1, -1]}}, "-1"),
    ({"grid": {"dataset.params.length": [5, 0]}}, "dataset.params.length"),
    ({"random": {"training.learning_rate": {"normal": [0, 1]}}}, "'normal'"),
    ({"random": {"training.learning_rate": {"loguniform": [0, 1]}}}, "random.training.learning_rate.loguniform"),
    ({"random": {"training.learning_rate": {"uniform": [1, 0.1]}}}, "random.training.learning_rate.uniform"),
    ({"random": {"model.cell": {"uniform": [1, 2]}}}, "random.model.cell"),
    ({"grid": {"training.seed": [1, 2]}}, "training.seed"),
    ({"seeds": []}, "seeds"),
    ({"metric": "val_los"}, "'val_los'"),
    ({"mode": "lowest"}, "'lowest'"),
    ({"scheduler": "hyperband"}, "'hyperband'"),
    ({"samples": 0}, "samples"),
    ({"grid": {"model.units": [1, 2, 3, 4, 5]}, "random": {"training.learning_rate": {"uniform": [0.1, 1]}},
      "samples": 3000}, "at most 10000 trials"),
])
def test_a_bad_spec_is_refused_naming_the_field_and_value(fields, named):
    with pytest.raises(SweepSpecError) as caught:
        SweepSpec.from_dict(sweep(**fields))
    assert named in str(caught.value)


def test_a_combination_the_project_refuses_names_the_trial():
    # Each value alone suits the base project; together they hold out too much of the data.
    spec = sweep(grid={"dataset.validation_split": [0.2, 0.5], "dataset.test_split": [0.0, 0.45]})
    with pytest.raises(SweepSpecError) as caught:
        SweepSpec.from_dict(spec)
    assert "dataset.test_split" in str(caught.value)
    assert "dataset.validation_split=0.5, dataset.test_split=0.45" in str(caught.value)


def test_a_missing_base_project_file_is_named(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"project": "nowhere.json", "grid": {"model.units": [2]}}))
    with pytest.raises(SweepSpecError) as caught:
        SweepSpec.load(path)
    assert "nowhere.json" in str(caught.value) and str(path) in str(caught.value)


def test_random_draws_are_the_same_every_time_and_inside_their_range():
    spec = SweepSpec.from_dict(sweep(
        grid={"model.cell": ["SimpleRNN", "GRU"]},
        random={"training.learning_rate": {"loguniform": [1e-4, 1e-2]}, "model.units": {"uniform": [2, 9]},
                "training.clip_mode": {"choice": ["none", "norm"]}},
        samples=4, seeds=[0, 1]))
    first, again = expand_trials(spec), expand_trials(SweepSpec.from_dict(spec.to_dict()))
    assert [t.trial_id for t in first] == [t.trial_id for t in again]
    assert len(first) == 2 * 4 * 2
    assert all(1e-4 <= t.fields["training.learning_rate"] <= 1e-2 for t in first)
    assert all(isinstance(t.fields["model.units"], int) and 2 <= t.fields["model.units"] <= 9 for t in first)
    assert len({t.fields["training.learning_rate"] for t in first}) > 1


def test_a_spec_round_trips_through_its_file(tmp_path):
    spec = SweepSpec.from_dict(sweep(grid={"model.units": [2, 3]}, seeds=[3], metric="val_mae"))
    spec.save(tmp_path / "s.json")
    again = SweepSpec.load(tmp_path / "s.json")
    assert again.to_dict() == spec.to_dict()
    assert [trial_project(again, t) for t in expand_trials(again)] == [
        trial_project(spec, t) for t in expand_trials(spec)]


def test_a_saved_sweep_of_csv_files_travels_with_its_folder(tmp_path):
    """Saved next to its data, a sweep names the files relatively: the folder copied to another
    place (a cluster) runs on the copies there, not on this machine's paths."""
    import shutil

    here = tmp_path / "here"
    (here / "data").mkdir(parents=True)
    for name in ("a.csv", "b.csv"):
        (here / "data" / name).write_text("day,v\n" + "".join(f"{d},{d % 7}\n" for d in range(60)))
    project = {"dataset": {"task": "csv", "params": {"path": str(here / "data" / "a.csv"), "target_column": "v",
                                                     "window": 5}},
               "model": {"cell": "SimpleRNN", "io_mode": "many_to_one", "units": 2}}
    spec = SweepSpec.from_dict({"project": project, "grid": {"dataset.params.path": ["data/a.csv", "data/b.csv"]}},
                               base_dir=here)
    spec.save(here / "s.json")
    saved = json.loads((here / "s.json").read_text())
    assert saved["project"]["dataset"]["params"]["path"] == "data/a.csv"
    assert saved["grid"]["dataset.params.path"] == ["data/a.csv", "data/b.csv"]

    there = tmp_path / "cluster"
    shutil.copytree(here, there)
    moved = SweepSpec.load(there / "s.json")
    paths = [trial_project(moved, t).dataset.params["path"] for t in expand_trials(moved)]
    assert sorted(Path(p) for p in paths) == [there / "data" / "a.csv", there / "data" / "b.csv"]
    assert moved.project.dataset.params["path"] == str(there / "data" / "a.csv")


def test_results_are_written_and_read_back_with_the_best_trial(tmp_path):
    spec = SweepSpec.from_dict(sweep(grid={"model.units": [2, 3, 4]}))
    trials = expand_trials(spec)
    rows = [TrialResult(trials[0].trial_id, dict(trials[0].fields), 0, "completed", {"val_loss": 0.5}, 0.1, 2.0,
                        "trials/a.rnnlab", epochs=1, stop_reason="completed"),
            TrialResult(trials[1].trial_id, dict(trials[1].fields), 0, "completed", {"val_loss": 0.25}, math.inf),
            TrialResult(trials[2].trial_id, dict(trials[2].fields), 0, "failed", error="its worker died", attempts=3)]
    write_results(tmp_path, spec, rows)
    spec_back, rows_back = read_results(tmp_path)
    assert spec_back.to_dict() == spec.to_dict()
    assert [r.trial_id for r in rows_back] == [r.trial_id for r in rows]
    assert rows_back[1].flow_ratio is None  # infinite is not JSON
    assert best_result(spec_back, rows_back).trial_id == trials[1].trial_id
    header, *lines = (tmp_path / "results.csv").read_text().splitlines()
    assert header.split(",")[:5] == ["trial_id", "model.units", "seed", "status", "val_loss"]
    assert lines[2].endswith("its worker died")


def test_the_estimate_grows_with_the_trials_and_shrinks_with_concurrency():
    small = SweepSpec.from_dict(sweep(grid={"model.units": [2]}))
    large = SweepSpec.from_dict(sweep(grid={"model.units": [2, 3, 4, 5]}))
    assert 0 < estimate_seconds(small) < estimate_seconds(large, max_concurrent=1)
    assert estimate_seconds(large, max_concurrent=4) < estimate_seconds(large, max_concurrent=1)
    assert estimate_seconds(large, seconds_per_epoch_hint=100.0, max_concurrent=1) > 400


def test_the_estimate_is_within_a_factor_of_two_of_sweeps_that_were_run():
    """Wall times measured with ``main.py sweep`` on the project's 2-core machine (2026-12-01), two
    trials at a time: the how-far-back example's 24 trials took 14 minutes, and bench_sweeps.py's 12
    tiny ones 22 to 26 s. The dialog shows the estimate before a sweep starts."""
    how_far_back = estimate_seconds(SweepSpec.load(EXAMPLES / "how_far_back.json"), max_concurrent=2)
    assert 14 * 60 / 2 <= how_far_back <= 14 * 60 * 2
    tiny = SweepSpec.from_dict({
        "name": "bench", "seeds": [0, 1], "grid": {"model.cell": ["SimpleRNN", "LSTM", "GRU"], "model.units": [8, 16]},
        "project": {"dataset": {"task": "adding", "params": {"length": 20, "samples": 400}},
                    "model": {"cell": "SimpleRNN", "io_mode": "many_to_one", "units": 8},
                    "training": {"epochs": 5, "batch_size": 32}}})
    assert 24 / 2 <= estimate_seconds(tiny, max_concurrent=2) <= 24 * 2
