"""The memory a run will take, estimated before anything is built, and the refusal it drives.

The estimate is checked against the real thing: two ordinary models, one wide and one on long
sequences, are trained for one epoch by `main.py train` in child processes whose peak resident
size is measured.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _measured_child import MB, finish, start

from core import memory_estimate
from core.cli import main
from core.datasets import build_dataset
from core.errors import TrainingError
from core.memory_estimate import (
    check_memory,
    estimate_loading_memory,
    estimate_training_memory,
    format_bytes,
    require_training_memory,
)
from core.specs import Project

GB = 10**9

TINY_PROJECT = {
    "name": "tiny cooking",
    "dataset": {"task": "cooking", "params": {"days": 5, "samples": 60}, "validation_split": 0.25, "seed": 2},
    "model": {"cell": "LSTM", "io_mode": "many_to_many", "units": 16},
    "training": {"epochs": 1, "batch_size": 16, "learning_rate": 0.02, "seed": 5},
}


def _project(*overrides: str, base: dict = TINY_PROJECT) -> Project:
    project = Project.from_dict(base)
    for assignment in overrides:
        project = project.with_override(assignment)
    return project


def _estimate(project: Project):
    data = build_dataset(project.dataset, project.model.io_mode)
    return estimate_training_memory(project, data.info, data.num_train, data.num_val)


HUGE = ("model.layers=8", "model.units=4096")


def test_eight_layers_of_4096_units_are_refused_with_the_estimate():
    estimate = _estimate(_project(*HUGE))
    assert estimate.total > 40 * GB  # a billion weights, with gradients, snapshots and Adam's slots
    check = check_memory(estimate, available=32 * GB)
    assert check.level == "refuse"
    assert estimate.text in check.message and estimate.text.startswith("≈ ") and "GB to train" in estimate.text
    assert "32 GB" in check.message
    # What to lower, the biggest part first; the batch size does not matter here.
    assert "Lower model.units or model.layers." in check.message


def test_an_ordinary_model_is_fine_and_a_tight_one_warns():
    estimate = _estimate(_project())
    assert 0.5 * GB < estimate.total < 1 * GB  # TensorFlow itself, mostly
    assert check_memory(estimate, available=8 * GB).level == "ok"
    warned = check_memory(estimate, available=int(estimate.total / 0.6))
    assert warned.level == "warn" and estimate.text in warned.message


def test_each_setting_moves_the_estimate_the_right_way():
    base = _estimate(_project()).total
    parts = dict(_estimate(_project()).parts)
    for bigger in ("model.units=64", "model.layers=3", "model.bidirectional=true", "training.batch_size=32",
                   "training.early_stopping=true"):
        assert _estimate(_project(bigger)).total > base, bigger
    weights = {opt: dict(_estimate(_project(f"training.optimizer={opt}")).parts)[
        "weights, gradients and optimizer state"] for opt in ("adam", "rmsprop", "sgd")}
    no_momentum = dict(_estimate(_project("training.optimizer=sgd", "training.momentum=0")).parts)
    assert weights["adam"] > weights["rmsprop"] == weights["sgd"] > no_momentum[
        "weights, gradients and optimizer state"]
    activations = {cell: dict(_estimate(_project(f"model.cell={cell}")).parts)["activations"]
                   for cell in ("SimpleRNN", "GRU", "LSTM")}
    assert activations["SimpleRNN"] < activations["GRU"] < activations["LSTM"] == parts["activations"]


def test_without_the_data_the_dataset_is_left_out():
    project = _project()
    data = build_dataset(project.dataset, project.model.io_mode)
    with_data = estimate_training_memory(project, data.info, data.num_train, data.num_val)
    without = estimate_training_memory(project, data.info, 0, 0)
    assert dict(without.parts)["dataset"] == 0 < dict(with_data.parts)["dataset"]


def test_require_raises_a_training_error(monkeypatch):
    monkeypatch.setattr(memory_estimate, "available_memory", lambda: 16 * GB)
    project = _project(*HUGE)
    data = build_dataset(project.dataset, project.model.io_mode)
    with pytest.raises(TrainingError, match="≈ .* GB to train"):
        require_training_memory(project, data.info, data.num_train, data.num_val)


def test_the_probe_size_matches_training():
    from core.training import PROBE_SIZE

    assert memory_estimate._PROBE_SAMPLES == PROBE_SIZE


def test_format_bytes():
    assert [format_bytes(n) for n in (0, 999, 1000, 1_234_567, 1.2e9, 17e9, 2.5e13, 10**40)] == [
        "0 bytes", "999 bytes", "1 KB", "1.2 MB", "1.2 GB", "17 GB", "25 TB", "more than 1000 PB"]


def test_loading_estimate():
    estimate = estimate_loading_memory(10**9)
    assert estimate.text == "≈ 17 GB to load" and check_memory(estimate, available=16 * GB).level == "refuse"


def test_cli_train_refuses_before_building(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(memory_estimate, "available_memory", lambda: 16 * GB)
    project = tmp_path / "p.json"
    project.write_text(json.dumps(TINY_PROJECT))
    out = tmp_path / "m.rnnlab"
    argv = ["train", str(project), "--out", str(out)]
    assert main([*argv, *[arg for pair in HUGE for arg in ("--set", pair)]]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("error: this model needs ≈ ") and "Lower model.units or model.layers" in captured.err
    assert not out.exists()


def test_estimate_is_within_a_factor_of_two_of_the_measured_peak(tmp_path):
    """Two ordinary models, trained side by side for one epoch, each in its own process. Both
    include what TensorFlow itself takes, which a tiny model would check alone; the wide one adds
    weights and optimizer state, the long one activations over 60 steps."""
    sine = {"name": "sine", "dataset": {"task": "sine", "params": {"points": 600, "window": 60}},
            "model": {"cell": "GRU", "io_mode": "many_to_many", "units": 128},
            "training": {"epochs": 1, "batch_size": 128}}
    cases = {
        "wide": (TINY_PROJECT, ("model.units=1024",)),
        "long": (sine, ()),
    }
    children, estimates = {}, {}
    for name, (base, overrides) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(base))
        estimates[name] = _estimate(_project(*overrides, base=base)).total
        sets = [arg for assignment in overrides for arg in ("--set", assignment)]
        children[name] = start(["train", str(path), "--out", str(tmp_path / f"{name}.rnnlab"), *sets],
                               tmp_path, name)
    for name, child in children.items():
        result = finish(child, timeout=120)
        assert result.returncode == 0, result
        ratio = estimates[name] / result.peak_bytes
        print(f"{name}: estimated {estimates[name] / MB:.0f} MiB, peak {result.peak_bytes / MB:.0f} MiB")
        assert 0.5 < ratio < 2, (name, estimates[name] / MB, result)
        assert "memory: ≈ " in result.stdout and "to train" in result.stdout
        assert Path(tmp_path / f"{name}.rnnlab").is_file()
