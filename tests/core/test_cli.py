"""The headless command line: train, predict, inspect, export, and its errors.

Most commands run in-process through core.cli.main (a subprocess costs ~3 s of TensorFlow
import); a few run as real processes where that is the point (exit status, no Qt, no RNN Lab).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.history import History
from core.persistence import load_bundle, save_bundle

ROOT = Path(__file__).resolve().parents[2]
keras = pytest.importorskip("keras")

TINY_PROJECT = {
    "schema_version": 1,
    "name": "tiny cooking",
    "dataset": {"task": "cooking", "params": {"days": 5, "samples": 60}, "validation_split": 0.25, "seed": 2},
    "model": {"cell": "LSTM", "io_mode": "many_to_many", "units": 16},
    "training": {"epochs": 9, "batch_size": 16, "learning_rate": 0.02, "seed": 5},
}


@pytest.fixture(scope="module")
def trained(run_cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    project = folder / "tiny.json"
    project.write_text(json.dumps(TINY_PROJECT))
    bundle = folder / "tiny.rnnlab"
    code, out, err = run_cli(["train", str(project), "--out", str(bundle), "--set", "training.epochs=2",
                           "--set", "model.units=4", "--json"])
    return {"code": code, "out": out, "err": err, "bundle": bundle, "folder": folder}


def test_train_reports_progress_and_json(trained):
    assert trained["code"] == 0, trained["err"]
    lines = trained["out"].strip().splitlines()
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["1/2", "2/2"]
    summary = json.loads(lines[-1])
    assert summary["epochs_run"] == 2 and summary["stop_reason"] == "completed"
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert isinstance(summary[key], float), key
    assert 0 <= summary["val_accuracy"] <= 1
    assert summary["model_file"] == str(trained["bundle"])
    assert trained["err"] == ""


def test_train_overrides_reach_the_bundle(trained):
    bundle = load_bundle(trained["bundle"])
    assert bundle.project.training.epochs == 2 and bundle.project.model.units == 4
    assert bundle.model.get_layer("rnn_1").units == 4
    assert len(bundle.history.epochs) == 2
    summary = json.loads(trained["out"].strip().splitlines()[-1])
    assert summary["val_loss"] == pytest.approx(bundle.history.epochs[-1]["val_loss"])


def test_train_set_path_is_relative_to_working_directory(text_bundle):
    assert text_bundle["code"] == 0, text_bundle["err"]
    bundle = load_bundle(text_bundle["bundle"])
    assert bundle.project.dataset.params["source"] == str(text_bundle["folder"] / "story.txt")
    assert set(bundle.info.vocabulary) == set(STORY)


def test_predict_sample_json(trained, capsys):
    from core.datasets import build_dataset
    from core.inference import predict_sample

    assert main(["predict", str(trained["bundle"]), "--sample", "2", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    bundle = load_bundle(trained["bundle"])
    data = build_dataset(bundle.project.dataset, bundle.project.model.io_mode)
    expected = predict_sample(bundle.model, bundle.info, *data.sample(2))
    assert result["source"] == "validation sample 2"
    assert result["input"] == expected.decoded_input
    assert result["prediction"] == expected.decoded_output
    assert result["target"] == expected.target
    assert len(result["probabilities"]) == 5
    assert result["probabilities"][0][0]["class"] in ("ice cream", "french fries", "pizza")


def test_predict_human_readable(trained, capsys):
    assert main(["predict", str(trained["bundle"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith("validation sample 0\n")
    for label in ("input:", "prediction:", "target:", "top classes per step:"):
        assert label in out


def test_predict_typed_input(trained, capsys, tmp_path):
    typed = tmp_path / "week.txt"
    typed.write_text("pizza: sunny, rainy, rainy, sunny, rainy\n")
    assert main(["predict", str(trained["bundle"]), "--input", str(typed), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["input"] == "starts after pizza | sunny, rainy, rainy, sunny, rainy"
    assert result["target"] is None
    assert len(result["prediction"].split(", ")) == 5

    typed.write_text("sunny, foggy, rainy, sunny, rainy")
    assert main(["predict", str(trained["bundle"]), "--input", str(typed)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "foggy" in err and err.count("\n") == 1


def test_inspect_bundle(trained, capsys):
    assert main(["inspect", str(trained["bundle"]), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "rnnlab-bundle"
    assert report["project"]["model"]["units"] == 4
    layers = {layer["name"]: layer for layer in report["model"]["layers"]}
    assert layers["rnn_1"]["class"] == "LSTM" and layers["rnn_1"]["params"] == 4 * (4 * (5 + 4) + 4)
    assert sum(layer["params"] for layer in layers.values()) == report["model"]["total_params"]
    flows = report["history"]["gradient_flow"]
    assert len(flows) == 2 and all(len(flow) == 5 for flow in flows)
    assert all(v is not None and v >= 0 for flow in flows for v in flow)

    assert main(["inspect", str(trained["bundle"])]) == 0
    text = capsys.readouterr().out
    for expected in ("RNN Lab model bundle v1", '"task": "cooking"', "Parameters per layer", "rnn_1",
                     "History: 2 epochs", "Gradient flow per epoch", "epoch   2: t1="):
        assert expected in text


def test_inspect_names_the_verdict_of_a_run_that_vanished(trained, tmp_path, capsys):
    bundle = load_bundle(trained["bundle"])
    batches = len(bundle.history.batch_loss)
    bundle.history = History(epochs=bundle.history.epochs, batch_loss=bundle.history.batch_loss,
                             layer_norms={"rnn_1": [1e-3] * (batches - 1) + [1e-9]},
                             gradient_flow=[[1e-3, 1e-2, 1.0], [1e-13, 1e-6, 1.0]])
    vanished = tmp_path / "vanished.rnnlab"
    save_bundle(vanished, bundle)
    assert main(["inspect", str(vanished)]) == 0
    text = capsys.readouterr().out
    assert "first/last 1.00e-13 (vanishing)" in text and "Gradient diagnosis:" in text
    assert "rnn_1 below 1e-06 at the latest batch: vanishing" in text
    # The run is an LSTM: the advice is to train it longer, never to try an LSTM.
    assert "vanishing at early steps: try Epochs → 4" in text and "LSTM/GRU" not in text
    assert "\nDiagnosis:\n  Vanishing gradients: rnn_1's gradient norm is 1e-9 at the last batch" in text
    assert "    fix: --set training.epochs=4  (An LSTM starts with its gates half open" in text

    assert main(["inspect", str(vanished), "--json"]) == 0
    diagnosis = json.loads(capsys.readouterr().out)["diagnosis"]
    assert diagnosis[0]["verdict"] == "vanishing" and "1e-9" in diagnosis[0]["evidence"]
    assert diagnosis[0]["fixes"][0]["field"] == "training.epochs" and diagnosis[0]["fixes"][0]["value"] == 4
    assert all(set(fix) >= {"field", "value", "why"} for finding in diagnosis for fix in finding["fixes"])


def test_inspect_plain_keras_file(tmp_path, capsys):
    # A model made by ordinary Keras code, nothing from RNN Lab.
    model = keras.Sequential([keras.Input((12, 3)), keras.layers.GRU(5, name="gru"), keras.layers.Dense(1)])
    path = tmp_path / "ordinary.keras"
    model.save(path)
    assert main(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["kind"] == "keras"
    assert report["model"]["total_params"] == model.count_params()
    assert report["model"]["inputs"] == [[None, 12, 3]]
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "plain Keras model" in out and "gru" in out and "GRU" in out


def test_export_loads_without_rnnlab(run_cli, trained, tmp_path):
    out = tmp_path / "exported.keras"
    code, stdout, err = run_cli(["export", str(trained["bundle"]), str(out)])
    assert code == 0, err
    x = load_bundle(trained["bundle"])
    from core.datasets import build_dataset

    data = build_dataset(x.project.dataset, x.project.model.io_mode)
    np.save(tmp_path / "x.npy", data.x_val)
    script = (
        "import json, sys, numpy as np, keras\n"
        f"model = keras.saving.load_model({str(out)!r})\n"
        f"probs = model.predict_on_batch(np.load({str(tmp_path / 'x.npy')!r}))\n"
        f"np.save({str(tmp_path / 'y.npy')!r}, probs)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'core' or m.startswith('core.'))))\n"
    )
    # -I: no working directory or PYTHONPATH on sys.path, so nothing of RNN Lab can sneak in.
    result = subprocess.run([sys.executable, "-I", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), x.model.predict_on_batch(data.x_val), rtol=1e-6)


def test_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("train", "predict", "inspect", "export", "generate"):
        assert command in out
    assert main(["train", "--help"]) == 0
    assert "--set FIELD=VALUE" in capsys.readouterr().out


@pytest.mark.parametrize("argv, code, expected", [
    ([], 2, "a command is required"),
    (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    (["train"], 2, "the following arguments are required: PROJECT.json, --out"),
    (["train", "p.json"], 2, "required: --out"),
    (["train", "p.json", "--out", "m.rnnlab", "--set", "model.cell"], 2, "expected FIELD=VALUE"),
    (["predict", "m.rnnlab", "--sample", "-3"], 2, "expected a whole number >= 0, received '-3'"),
    (["predict", "m.rnnlab", "--sample", "1", "--input", "f.txt"], 2, "not allowed with argument"),
    (["export", "m.rnnlab"], 2, "required: OUT"),
    (["train", "{missing}", "--out", "m.rnnlab"], 1, "missing.json: file not found"),
    (["train", "{project}", "--out", "m.rnnlab", "--set", "model.cell=Transformer"], 1,
     "--set model.cell=Transformer: model.cell: expected one of SimpleRNN, LSTM, GRU"),
    (["train", "{project}", "--out", "m.rnnlab", "--set", "training.epochs=0"], 1, "training.epochs: expected"),
    (["train", "{project}", "--out", "m.rnnlab", "--set", "dataset.nope=1"], 1, "dataset.nope"),
    (["train", "{project}", "--out", "{folder}/no/such/dir/m.rnnlab"], 1, "does not exist"),
    (["train", "{junk}", "--out", "m.rnnlab"], 1, "junk.json: not a project file"),
    (["predict", "{junk}"], 1, "junk.json: not a model bundle"),
    (["predict", "{bundle}", "--sample", "999"], 1, "Sample 999 does not exist"),
    (["predict", "{bundle}", "--input", "{missing}"], 1, "missing.json: file not found"),
    (["inspect", "{missing}"], 1, "file not found"),
    (["export", "{bundle}", "{folder}/out.txt"], 1, "must end in .keras"),
])
def test_bad_arguments_and_files(trained, capsys, argv, code, expected):
    folder = trained["folder"]
    (folder / "junk.json").write_bytes(b"\x89\x00\xffjunk")
    (folder / "project.json").write_text(json.dumps(TINY_PROJECT))
    names = {"missing": folder / "missing.json", "project": folder / "project.json", "junk": folder / "junk.json",
             "bundle": trained["bundle"], "folder": folder}
    argv = [arg.format(**{k: str(v) for k, v in names.items()}) for arg in argv]
    assert main(argv) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
    assert expected in captured.err
    assert "Traceback" not in captured.err


def test_real_process_exit_codes_and_no_qt(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    missing = subprocess.run([sys.executable, str(ROOT / "main.py"), "predict", str(tmp_path / "gone.rnnlab")],
                             capture_output=True, text=True, timeout=60, env=env)
    assert missing.returncode == 1
    assert missing.stdout == ""
    assert missing.stderr == f"error: {tmp_path / 'gone.rnnlab'}: file not found.\n"

    script = (
        "import runpy, sys\n"
        f"sys.argv = [{str(ROOT / 'main.py')!r}, '--help']\n"
        "try:\n"
        f"    runpy.run_path({str(ROOT / 'main.py')!r}, run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'desktop_app', "
        "'tensorflow'))\n"
        "print('EXIT', code, 'HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "usage: main.py" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "EXIT 0 HEAVY []"


# --- generate -------------------------------------------------------------------------------


# The text model: trained once for the module by ``main.py train`` run in its folder, where
# ``--set dataset.params.source=story.txt`` must be read relative to that working directory.
TEXT_PROJECT = {
    "dataset": {"task": "text", "params": {"source": "builtin:recurrence", "window": 6, "stride": 4}, "seed": 1},
    "model": {"cell": "GRU", "io_mode": "many_to_one", "units": 8},
    "training": {"epochs": 1, "batch_size": 64, "seed": 3},
}
STORY = "the story of a cat and the hat. "  # written 12 times; "the " seeds the generated text
SINE_PROJECT = {
    "dataset": {"task": "sine", "params": {"samples": 80}, "seed": 1},
    "model": {"cell": "SimpleRNN", "io_mode": "many_to_one", "units": 4},
    "training": {"epochs": 1, "batch_size": 32, "seed": 3},
}


@pytest.fixture(scope="module")
def text_bundle(run_cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    (folder / "proj").mkdir()
    project = folder / "proj" / "text.json"
    project.write_text(json.dumps(TEXT_PROJECT))
    (folder / "story.txt").write_text(STORY * 12, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        code, out, err = run_cli(["train", str(project), "--out", "text.rnnlab",
                                  "--set", "dataset.params.source=story.txt"])
    return {"code": code, "err": err, "bundle": folder / "text.rnnlab", "folder": folder}


@pytest.fixture(scope="module")
def generators(text_bundle, train_with_cli, tmp_path_factory):
    assert text_bundle["code"] == 0, text_bundle["err"]
    folder = tmp_path_factory.mktemp("generate")
    return {"text": text_bundle["bundle"], "sine": train_with_cli(folder, "sine", SINE_PROJECT)}


def test_generate_text_continues_a_seed(run_cli, generators):
    bundle = load_bundle(generators["text"])
    vocabulary = set(bundle.info.vocabulary)
    code, out, err = run_cli(["generate", str(generators["text"]), "--seed", "the ", "--length", "25",
                           "--temperature", "0.5", "--json"])
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["kind"] == "text" and result["seed"] == "the " and result["temperature"] == 0.5
    assert len(result["generated"]) == 25 and set(result["generated"]) <= vocabulary
    again = json.loads(run_cli(["generate", str(generators["text"]), "--seed", "the ", "--length", "25",
                             "--temperature", "0.5", "--json"])[1].strip().splitlines()[-1])
    assert again["generated"] == result["generated"]  # same seed, same text
    code, out, err = run_cli(["generate", str(generators["text"]), "--seed-sample", "2", "--length", "10"])
    assert code == 0, err
    assert out.startswith("seed (validation sample 2): ") and "\ngenerated:  " in out


def test_generate_series_from_a_validation_sample(run_cli, generators):
    code, out, err = run_cli(["generate", str(generators["sine"]), "--length", "7", "--json"])
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["kind"] == "series" and result["source"] == "validation sample 0"
    values = np.asarray(result["values"], dtype=float)
    assert values.shape == (7, len(result["target_names"])) and np.all(np.isfinite(values))
    code, out, _ = run_cli(["generate", str(generators["sine"]), "--length", "3"])
    assert code == 0 and len([line for line in out.splitlines() if line.strip()[:1].isdigit()]) == 3


@pytest.mark.parametrize("which, extra, code, expected", [
    ("cooking", [], 1, "cannot generate"),
    ("sine", ["--temperature", "0.5"], 1, "text models only"),
    ("text", ["--length", "0"], 2, "expected a whole number >= 1, received '0'"),
    ("text", ["--temperature", "-1"], 2, "expected a number > 0"),
    ("text", ["--seed", "abc", "--seed-sample", "1"], 2, "not allowed with argument"),
    ("text", ["--seed", "\u2603\u2603"], 1, "never saw"),
])
def test_generate_errors_are_one_line(generators, trained, capsys, which, extra, code, expected):
    model = trained["bundle"] if which == "cooking" else generators[which]
    assert main(["generate", str(model), *extra]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
    assert expected in captured.err
