"""``main.py evaluate``: the JSON shape, the human table, the test split and its errors."""

from __future__ import annotations

import json
import re

import pytest

keras = pytest.importorskip("keras")

# One epoch each: every check here is about what ``evaluate`` reports (fields, splits, marks,
# errors), none about how well the model learned.
SINE = {
    "name": "tiny sine",
    "dataset": {"task": "sine", "params": {"points": 240, "window": 12, "components": 1},
                "validation_split": 0.2, "test_split": 0.15},
    "model": {"cell": "GRU", "io_mode": "many_to_one", "units": 8},
    "training": {"epochs": 1, "batch_size": 32, "learning_rate": 0.01},
}
COOKING = {
    "name": "tiny cooking",
    "dataset": {"task": "cooking", "params": {"days": 5, "samples": 80}, "validation_split": 0.25},
    "model": {"cell": "LSTM", "io_mode": "many_to_many", "units": 8},
    "training": {"epochs": 1, "batch_size": 16, "learning_rate": 0.02},
}


@pytest.fixture(scope="module")
def bundles(train_with_cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    return {name: train_with_cli(folder, name, project) for name, project in (("sine", SINE), ("cooking", COOKING))}


def test_evaluate_json_for_a_series(run_cli, bundles):
    code, out, err = run_cli(["evaluate", str(bundles["sine"]), "--json"])
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["split"] == "val" and result["n"] > 0
    assert {"rmse", "mae", "mape", "r2"} <= set(result["metrics"])
    assert {"persistence", "mean"} <= set(result["baselines"])
    assert set(result["baselines"]["persistence"]) >= {"rmse", "mae", "mape", "r2"}
    best = result["baselines"][result["best_baseline"]]["rmse"]
    assert result["skill"] == pytest.approx(1 - result["metrics"]["rmse"] / best)


def test_evaluate_the_test_split_reports_it_separately(run_cli, bundles):
    _, val_out, _ = run_cli(["evaluate", str(bundles["sine"]), "--json"])
    code, out, err = run_cli(["evaluate", str(bundles["sine"]), "--split", "test", "--json"])
    assert code == 0, err
    test, val = json.loads(out.strip().splitlines()[-1]), json.loads(val_out.strip().splitlines()[-1])
    assert test["split"] == "test" and test["n"] > 0
    assert test["metrics"]["rmse"] != val["metrics"]["rmse"]


def test_evaluate_human_table_marks_the_best_baseline(run_cli, bundles):
    code, out, err = run_cli(["evaluate", str(bundles["sine"]), "--season", "12"])
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.startswith("Model") and "RMSE" not in line for line in lines)
    assert sum(line.split("  ")[0].endswith(" *") for line in lines) == 1
    assert "Seasonal naive (season 12 rows)" in out
    assert any(line.startswith("Skill ") for line in lines)


def test_evaluate_human_table_for_classes_reads_as_the_window_does(run_cli, bundles):
    code, out, err = run_cli(["evaluate", str(bundles["cooking"])])
    assert code == 0, err
    lines = out.splitlines()
    # Accuracy in percent, Macro F1 and every class's scores with three decimals.
    assert re.fullmatch(r"Model\s+\d{1,3}\.\d %\s+[01]\.\d{3}", next(line for line in lines if line.startswith("Model")))
    header = next(i for i, line in enumerate(lines) if line.split()[:4] == ["class", "precision", "recall", "F1"])
    for line in lines[header + 1:header + 4]:
        assert all(re.fullmatch(r"[01]\.\d{3}", score) for score in line.split()[-4:-1]), line


def test_evaluate_json_for_classes(run_cli, bundles):
    code, out, err = run_cli(["evaluate", str(bundles["cooking"]), "--json"])
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert {"accuracy", "macro_f1", "per_class", "confusion"} <= set(result["metrics"])
    assert {"majority", "previous_step"} <= set(result["baselines"])
    assert len(result["metrics"]["confusion"]) == 3
    assert set(result["metrics"]["per_class"]["pizza"]) == {"precision", "recall", "f1", "support"}
    code, out, _ = run_cli(["evaluate", str(bundles["cooking"])])
    assert "Confusion matrix" in out and "Majority class" in out


@pytest.mark.parametrize("argv, code, expected", [
    (["evaluate", "{cooking}", "--split", "test"], 1, "There is no test part: set dataset.test_split"),
    (["evaluate", "{cooking}", "--split", "train"], 2, "invalid choice: 'train'"),
    (["evaluate", "{cooking}", "--season", "1"], 2, "expected a whole number of rows >= 2"),
    (["evaluate", "{folder}/missing.rnnlab"], 1, "missing.rnnlab"),
])
def test_evaluate_errors_are_one_line(run_cli, bundles, argv, code, expected):
    names = {"cooking": str(bundles["cooking"]), "folder": str(bundles["cooking"].parent)}
    status, out, err = run_cli([arg.format(**names) for arg in argv])
    assert status == code
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    assert expected in err
