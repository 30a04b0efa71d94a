"""`main.py explain` and the spectral radius in `main.py inspect`, run in-process like tests/core/test_cli.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.persistence import Bundle, load_bundle, save_bundle
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec

keras = pytest.importorskip("keras")

COOKING = {
    "dataset": {"task": "cooking", "params": {"days": 5, "samples": 60}, "validation_split": 0.25, "seed": 2},
    "model": {"cell": "LSTM", "io_mode": "many_to_many", "units": 4},
    "training": {"epochs": 2, "batch_size": 16, "learning_rate": 0.02, "seed": 5},
}


@pytest.fixture(scope="module")
def bundle_path(train_with_cli, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # look inside after every epoch, whatever the timing
        patch.setattr("core.epoch_probe.BUDGET", 1e9)
        return train_with_cli(tmp_path_factory.mktemp("explain"), "cooking", COOKING)


def test_explain_json_has_the_states_and_connectivity_of_the_sample(run_cli, bundle_path):
    from core.datasets import build_dataset
    from core.states import sequence_states

    code, out, err = run_cli(["explain", str(bundle_path), "--sample", "1", "--json"])
    assert code == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["sample"] == 1 and report["steps"] == 5
    assert len(report["input"]) == 5 and all(isinstance(t, str) and t for t in report["input"])
    [layer] = report["layers"]
    assert (layer["name"], layer["cell"]) == ("rnn_1", "LSTM")
    assert np.shape(layer["hidden"]) == np.shape(layer["cell_state"]) == (5, 4)
    assert set(layer["gates"]) == {"input", "forget", "output", "candidate"}
    assert all(np.shape(v) == (5, 4) for v in layer["gates"].values())
    c = np.asarray(report["connectivity"])
    assert c.shape == (5, 5) and np.all(c[np.triu_indices(5, 1)] == 0) and np.all(np.diag(c) > 0)
    # The numbers are those of the model for that validation sample.
    bundle = load_bundle(bundle_path)
    data = build_dataset(bundle.project.dataset, bundle.project.model.io_mode)
    states = sequence_states(bundle.model, bundle.info, data.x_val[1])
    np.testing.assert_allclose(layer["hidden"], states.layers[0].hidden, atol=1e-6)
    assert report["input"] == states.input_tokens


def test_explain_text_walks_through_the_steps(run_cli, bundle_path, tmp_path):
    typed = tmp_path / "week.txt"
    typed.write_text("pizza: sunny, rainy, rainy, sunny\n")
    code, out, err = run_cli(["explain", str(bundle_path), "--input", str(typed)])
    assert code == 0, err
    for expected in (f"input from {typed}", "prediction:", "rnn_1 (LSTM, 4 units, 4 steps)", "forget",
                     "saturated gates (< 0.1 or > 0.9): input", "most active units: unit",
                     "Connectivity ||d y(t_out) / d x(t_in)||", "output   4: step"):
        assert expected in out, expected
    assert out.count("\n   ") >= 4  # one row per step


def test_explain_refuses_a_sample_that_does_not_exist(run_cli, bundle_path):
    code, out, err = run_cli(["explain", str(bundle_path), "--sample", "99"])
    assert code == 1 and out == ""
    assert err.startswith("error: ") and "99" in err and err.count("\n") == 1


def test_explain_an_untrained_bidirectional_encoder_decoder(run_cli, tmp_path):
    from core.datasets import build_dataset
    from core.models import build_model

    project = Project(dataset=DatasetSpec(task="echo", params={"length": 6, "samples": 20}),
                      model=ModelSpec(cell="GRU", io_mode="encoder_decoder", units=3, bidirectional=True),
                      training=TrainingSpec(epochs=1))
    data = build_dataset(project.dataset, "encoder_decoder")
    path = tmp_path / "untrained.rnnlab"
    save_bundle(path, Bundle(project=project, model=build_model(project.model, data.info), history=None,
                             info=data.info))
    code, out, err = run_cli(["explain", str(path), "--json"])
    assert code == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    names = [layer["name"] for layer in report["layers"]]
    assert names == ["encoder_1/forward", "encoder_1/backward", "decoder_1/forward", "decoder_1/backward"]
    assert all("cell_state" not in layer and set(layer["gates"]) == {"update", "reset", "candidate"}
               for layer in report["layers"])
    assert np.shape(report["connectivity"]) == (6, 6)


def test_inspect_gains_the_spectral_radius_per_epoch(run_cli, bundle_path):
    code, out, err = run_cli(["inspect", str(bundle_path), "--json"])
    assert code == 0, err
    report = json.loads(out)
    radius = report["spectral_radius"]["rnn_1"]
    assert set(radius) == {"input", "forget", "candidate", "output"}
    assert all(len(values) == 2 and all(v > 0 for v in values) for values in radius.values())
    assert report["probe_epochs"] == [1, 2] and "probes" not in report["history"]
    bundle = load_bundle(bundle_path)
    assert len(bundle.history.weight_histograms) == len(bundle.history.gradient_histograms) == 2

    code, out, err = run_cli(["inspect", str(bundle_path)])
    assert code == 0, err
    assert "Spectral radius of w_R per epoch" in out and "rnn_1 forget" in out
