"""The recovery folder: a session written as it goes comes back whole after its process dies.

A process that dies cannot clean up, so the session is written by a child process that exits
without a clean exit (no ``discard``), as a window killed by the system would; this process then
finds the folder and reads it back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.datasets import build_dataset
from core.history import History
from core.recovery import BUDGET_BYTES, RecoveryStore, RunSnapshot, find_recoveries, read_recovery
from core.specs import DatasetSpec, ModelSpec, Project

ROOT = Path(__file__).resolve().parents[2]


def _project(units: int = 5) -> Project:
    return Project(name="Café week", dataset=DatasetSpec(task="cooking", params={"days": 5, "samples": 40}),
                   model=ModelSpec(cell="GRU", io_mode="many_to_many", units=units))


def _history() -> History:
    return History(epochs=[{"loss": 1.25, "val_loss": 1.5}, {"loss": 0.75, "val_loss": float("nan")}],
                   batch_loss=[1.5, 1.0, 0.8, 0.7], layer_norms={"rnn_1": [0.5, 0.25, 0.125, 0.0625]},
                   weight_norms={"rnn_1/kernel": [0.1, 0.2, 0.3, 0.4]}, gradient_flow=[[1.0, 0.5], [0.8, 0.4]],
                   batches_per_epoch=2)


def _payload(seed: int = 0, size: int = 6) -> dict:
    rng = np.random.default_rng(seed)
    return {"config": json.dumps({"class_name": "Functional", "seed": seed}),
            "weights": [rng.normal(size=(2, size // 2)).astype(np.float32), rng.normal(size=size).astype(np.float32)],
            "optimizer": {"kind": "adam", "config": {"class_name": "Adam", "config": {"learning_rate": 0.01}},
                          "variables": [("iteration", np.array(7, dtype=np.int64)),
                                        ("rnn_1_kernel_momentum", rng.normal(size=(2, size // 2)))]}}


def write_session(root: str) -> None:
    """What a window holding two runs writes: one trained and unsaved, one killed mid-run."""
    project = _project()
    info = build_dataset(project.dataset, project.model.io_mode).info
    store = RecoveryStore(root)
    store.put_run("run-1", RunSnapshot("#1 GRU", "completed", project, info, _history(),
                                       {"loss": 0.75, "val_loss": 0.8}, "Completed 2 epochs.", model=_payload()))
    store.put_run("run-2", RunSnapshot("#2 GRU", "killed", _project(units=4096), info, _history(),
                                       message="The training process stopped unexpectedly (SIGKILL)."))
    store.write_index(name="Café week", path="/nowhere/week.json", project=_project(units=7),
                      runs=[("run-1", ""), ("run-2", "")], current="run-1")


def _dead_session(root: Path) -> None:
    """Write the session in a process that then ends without a clean exit."""
    script = f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); " \
             "from test_recovery import write_session; write_session(sys.argv[1])"
    done = subprocess.run([sys.executable, "-c", script, str(root)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_session_left_by_a_dead_process_is_found_and_read_back_whole(tmp_path):
    _dead_session(tmp_path)
    [folder] = find_recoveries(tmp_path)
    recovery = read_recovery(folder)

    assert (recovery.name, recovery.path) == ("Café week", "/nowhere/week.json")
    assert recovery.project == _project(units=7) and recovery.problems == []
    trained, killed = recovery.runs
    assert recovery.current == 0
    assert (trained.label, trained.status, trained.project) == ("#1 GRU", "completed", _project())
    assert trained.final_metrics == {"loss": 0.75, "val_loss": 0.8} and trained.message == "Completed 2 epochs."
    assert trained.history.to_dict() == _history().to_dict()
    assert trained.info.to_dict() == build_dataset(_project().dataset, "many_to_many").info.to_dict()
    expected = _payload()
    assert trained.model["config"] == expected["config"]
    for got, want in zip(trained.model["weights"], expected["weights"], strict=True):
        np.testing.assert_array_equal(got, want)
    state = trained.model["optimizer"]
    assert state["kind"] == "adam" and state["config"] == expected["optimizer"]["config"]
    assert [key for key, _ in state["variables"]] == ["iteration", "rnn_1_kernel_momentum"]
    np.testing.assert_array_equal(state["variables"][1][1], expected["optimizer"]["variables"][1][1])
    assert (killed.status, killed.model, killed.weights_dropped) == ("killed", None, False)
    assert killed.project.model.units == 4096 and killed.history.epochs[0]["loss"] == 1.25


def test_a_live_sessions_folder_is_not_offered_and_a_clean_exit_removes_it(tmp_path):
    store = RecoveryStore(tmp_path)
    store.put_run("run-1", RunSnapshot("#1 GRU", "completed", _project(), history=_history()))
    store.write_index(name="x", path="", project=_project(), runs=[("run-1", "")], current=None)
    assert store.folder.name == f"session-{os.getpid()}" and (store.folder / "recovery.json").is_file()
    assert find_recoveries(tmp_path) == []  # ours: in use
    store.discard()
    assert not store.folder.exists() and find_recoveries(tmp_path) == []


def test_a_dead_process_folder_without_an_index_holds_nothing_and_is_removed(tmp_path):
    script = "import sys; from core.recovery import RecoveryStore; RecoveryStore(sys.argv[1])"
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, check=True, timeout=60)
    [left] = list(tmp_path.iterdir())
    assert find_recoveries(tmp_path) == [] and not left.exists()


def test_weights_over_the_budget_go_saved_runs_first_then_the_oldest(tmp_path):
    one = sum(np.asarray(a).nbytes for a in _payload()["weights"]) + 8 + 6 * 8  # weights and Adam's state
    store = RecoveryStore(tmp_path, budget=2 * one)
    runs = [("run-1", "/saved/a.rnnlab"), ("run-2", ""), ("run-3", ""), ("run-4", ""), ("run-5", "")]
    for i, (key, saved) in enumerate(runs):
        model = _payload(seed=i, size=600) if key == "run-5" else _payload(seed=i)
        store.put_run(key, RunSnapshot(f"#{i + 1} GRU", "completed", _project(), history=_history(),
                                       saved_path=saved, model=model))
    store.write_index(name="x", path="", project=None, runs=runs, current="run-4")

    recovery = read_recovery(store.folder)
    kept = {run.label: run.model is not None for run in recovery.runs}
    # run-1 went first (a file holds it), then run-2 (the oldest); run-5 alone is over the budget.
    assert kept == {"#1 GRU": False, "#2 GRU": False, "#3 GRU": True, "#4 GRU": True, "#5 GRU": False}
    assert all(run.weights_dropped == (not kept[run.label]) for run in recovery.runs)
    assert all(run.history.to_dict() == _history().to_dict() for run in recovery.runs)
    assert recovery.runs[recovery.current].label == "#4 GRU" and recovery.runs[0].saved_path == "/saved/a.rnnlab"
    assert len(list(store.folder.glob("*.npz"))) == 2
    assert BUDGET_BYTES == 200_000_000
    store.discard()


def test_a_deleted_run_leaves_the_folder_and_a_damaged_one_is_named(tmp_path):
    store = RecoveryStore(tmp_path)
    for key in ("run-1", "run-2", "run-3"):
        store.put_run(key, RunSnapshot(f"#{key[-1]} GRU", "completed", _project(), model=_payload()))
    store.drop_run("run-3")
    store.write_index(name="x", path="", project=None, runs=[("run-1", ""), ("run-2", "")], current=None)
    assert sorted(p.name for p in store.folder.glob("run-*")) == ["run-1.json", "run-1.npz", "run-2.json",
                                                                 "run-2.npz"]
    (store.folder / "run-2.json").write_text('{"label": "#2 GRU", "status"')

    recovery = read_recovery(store.folder)
    assert [run.label for run in recovery.runs] == ["#1 GRU"]
    [problem] = recovery.problems
    assert problem.startswith("run run-2:") and "run-2.json" in problem and "damaged" in problem
    (store.folder / "recovery.json").write_text("[]")
    with pytest.raises(Exception, match="not an RNN Lab recovery file"):
        read_recovery(store.folder)
    store.discard()
