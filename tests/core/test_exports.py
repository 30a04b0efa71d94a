"""Exports other tools read: ONNX that onnxruntime runs like Keras, TensorBoard event files that
hold the run's history, and the data facts (normalisation, names) next to an exported model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.cli import main
from core.errors import ExportError, ModelFileError
from core.exports import ONNX_METADATA_KEY, data_facts_path, resolve_format, write_data_facts, write_tensorboard
from core.history import History
from core.models import build_model
from core.onnx_export import check_agreement, convert_and_check, onnx_job
from core.persistence import Bundle, save_bundle
from core.specs import DatasetSpec, Project


def _keras_outputs(model, x) -> np.ndarray:
    """Keras' own answer for ``x``: the model called eagerly (what ``predict`` computes, without
    tracing a predict function for a model used once)."""
    return np.asarray(model(x, training=False))


def _onnx_outputs(data: bytes, x) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("cell, bidirectional", [
    ("SimpleRNN", False), ("LSTM", False), ("GRU", False), ("LSTM", True),
])
def test_onnx_runs_like_keras_for_every_cell(tiny_data, project, cell, bidirectional):
    data = tiny_data("many_to_many")
    model = build_model(project("many_to_many", cell=cell, bidirectional=bidirectional).model, data.info)
    onnx_bytes, diff, samples = convert_and_check(onnx_job(model, data.x_val))
    # Checked here on its own, not only by the exporter's check.
    ours = _onnx_outputs(onnx_bytes, data.x_val)
    np.testing.assert_allclose(ours, _keras_outputs(model, data.x_val), atol=1e-4, rtol=0)
    assert diff <= 1e-4 and samples == len(data.x_val)


def test_onnx_takes_token_inputs(tiny_data, project):
    data = tiny_data("many_to_one", tokens=True)
    model = build_model(project("many_to_one", cell="GRU", embedding_dim=3).model, data.info)
    onnx_bytes, diff, _ = convert_and_check(onnx_job(model, None))  # random token ids below the vocabulary
    np.testing.assert_allclose(_onnx_outputs(onnx_bytes, data.x_val), _keras_outputs(model, data.x_val),
                               atol=1e-4, rtol=0)


def test_a_disagreement_is_refused_with_the_numbers():
    keras_out = [np.zeros((3, 4, 2))]
    onnx_out = [np.zeros((3, 4, 2))]
    onnx_out[0][2, 1, 0] = 0.01
    with pytest.raises(ExportError, match=r"differs by 0.01 on sample 3 \(allowed 0.0001\); the file was not written"):
        check_agreement(keras_out, onnx_out)
    with pytest.raises(ExportError, match=r"shape \(3, 4\), Keras gives \(3, 4, 2\)"):
        check_agreement(keras_out, [np.zeros((3, 4))])
    assert check_agreement(keras_out, [np.full((3, 4, 2), 5e-5)]) == pytest.approx(5e-5)


@pytest.fixture(scope="module")
def many_to_one_model(tiny_data, project):
    """One untrained many-to-one model of the tiny data, built once for the tests that only read it
    (convert, save, histogram its weights), and that data."""
    data = tiny_data("many_to_one")
    return build_model(project("many_to_one").model, data.info), data


def test_missing_converter_names_the_package_and_the_install_command(many_to_one_model, monkeypatch):
    import core.onnx_export

    monkeypatch.setitem(core.onnx_export.PACKAGES, "rnnlab-no-such-converter", "rnnlab_no_such_converter")
    model, data = many_to_one_model
    with pytest.raises(ExportError, match=r"needs rnnlab-no-such-converter, which is not installed: pip install"):
        onnx_job(model, data.x_val)


@pytest.fixture(scope="module")
def weather_bundle(tmp_path_factory) -> tuple:
    """An untrained weather model (normalised inputs and targets) saved as a bundle, with its data.
    Built once: the exports only read the bundle and write their files into each test's own folder."""
    from core.datasets import build_dataset

    tmp_path = tmp_path_factory.mktemp("weather_bundle")

    project = Project(dataset=DatasetSpec(task="weather"))
    project = project.with_field("model.io_mode", "many_to_one").with_field("model.units", 4)
    data = build_dataset(project.dataset, project.model.io_mode)
    model = build_model(project.model, data.info)
    path = tmp_path / "weather.rnnlab"
    history = History(epochs=[{"loss": 0.5, "val_loss": 0.6}], batch_loss=[0.7, 0.4], batches_per_epoch=2)
    save_bundle(path, Bundle(project=project, model=model, history=history, info=data.info))
    return path, model, data


def test_cli_exports_onnx_checked_in_a_child_process_with_the_data_facts(weather_bundle, tmp_path, capsys):
    import onnx

    bundle, model, data = weather_bundle
    out = tmp_path / "weather.onnx"
    assert main(["export", str(bundle), str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"onnxruntime matches Keras on {len(data.x_val)} validation samples" in printed
    np.testing.assert_allclose(_onnx_outputs(out.read_bytes(), data.x_val), _keras_outputs(model, data.x_val),
                               atol=1e-4, rtol=0)
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    facts = json.loads(meta[ONNX_METADATA_KEY])
    assert facts["input"]["normalization"]["mean"] == pytest.approx(list(data.info.x_stats()[0]))
    assert json.loads(data_facts_path(out).read_text())["output"] == facts["output"]


def test_exported_keras_comes_with_the_normalisation_it_expects(weather_bundle, tmp_path, capsys):
    bundle, model, data = weather_bundle
    out = tmp_path / "weather.keras"
    assert main(["export", str(bundle), str(out)]) == 0
    assert "weather.keras.data.json" in capsys.readouterr().out
    facts = json.loads((tmp_path / "weather.keras.data.json").read_text())
    x_in, y_out = facts["input"], facts["output"]
    # What the README shows: raw values through the stats give exactly what the model was trained on.
    raw = data.info.denormalize_x(data.x_val)
    fed = (raw - np.array(x_in["normalization"]["mean"])) / np.array(x_in["normalization"]["std"])
    np.testing.assert_allclose(fed, data.x_val, atol=1e-5)
    assert y_out["normalization"] == {"mean": data.info.normalization["y_mean"],
                                      "std": data.info.normalization["y_std"]}
    assert y_out["targets"] == data.info.target_names and x_in["features"] == data.info.feature_names


def test_data_facts_of_a_token_classifier_name_vocabulary_and_classes(tiny_data, tmp_path):
    info = tiny_data("many_to_one", tokens=True).info
    facts = json.loads(write_data_facts(tmp_path / "m.keras", info).read_text())
    assert facts["model"] == "m.keras"
    assert facts["input"]["vocabulary"] == info.vocabulary and "normalization" not in facts["input"]
    assert facts["output"]["classes"] == info.class_names


def _events(folder) -> dict[str, list[tuple[int, object, str]]]:
    """tag -> [(step, value, plugin)] read back from the event files in ``folder``."""
    import tensorflow as tf

    found: dict[str, list] = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                found.setdefault(value.tag, []).append(
                    (event.step, tf.make_ndarray(value.tensor), value.metadata.plugin_data.plugin_name))
    return found


def test_tensorboard_event_files_hold_the_runs_history(many_to_one_model, project, tmp_path):
    model, _ = many_to_one_model
    history = History(
        epochs=[{"loss": 1.5, "accuracy": 0.25, "val_loss": 1.75, "val_accuracy": 0.5},
                {"loss": 1.25, "accuracy": 0.5, "val_loss": 1.5, "val_accuracy": 0.75}],
        batch_loss=[1.75, 1.5, float("nan"), 1.0], batches_per_epoch=2,
        layer_norms={"rnn_1": [0.5, 0.25, 0.125, 2.0]}, weight_norms={"rnn_1/kernel": [0.1, 0.2, 0.3, 0.4]},
        gradient_flow=[[4.0, 2.0, 1.0], [1.0, 1.0, 2.0]],
    )
    report = write_tensorboard(tmp_path / "logs", "my run", history, model=model, project=project("many_to_one"))
    assert report.run_dir == tmp_path / "logs" / "my_run"
    train, validation = _events(report.run_dir / "train"), _events(report.run_dir / "validation")
    assert [(s, float(v)) for s, v, _ in train["epoch_loss"]] == [(1, 1.5), (2, 1.25)]
    assert [(s, float(v)) for s, v, _ in validation["epoch_loss"]] == [(1, 1.75), (2, 1.5)]
    assert [(s, float(v)) for s, v, _ in validation["epoch_accuracy"]] == [(1, 0.5), (2, 0.75)]
    # The diverged batch is left out; TensorBoard cannot draw NaN.
    assert [(s, float(v)) for s, v, _ in train["batch_loss"]] == [(1, 1.75), (2, 1.5), (4, 1.0)]
    assert [float(v) for _, v, _ in train["gradient_norm/rnn_1"]] == [0.5, 0.25, 0.125, 2.0]
    assert [float(v) for _, v, _ in train["gradient_norm/rnn_1/kernel"]] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert [float(v) for _, v, _ in train["gradient_flow/first_over_last"]] == [4.0, 0.5]
    # Tagged for the plugins that draw them (TensorBoard shows nothing for an untagged tensor).
    assert {p for values in train.values() for _, _, p in values} == {"scalars", "histograms", "text"}
    histograms = {tag: values for tag, values in train.items() if tag.startswith("weights/")}
    assert len(histograms) == len(model.weights) == report.histograms
    step, buckets, _ = next(iter(histograms.values()))[0]
    assert step == 2 and buckets.shape[1] == 3 and buckets[:, 2].sum() > 0
    assert b"many_to_one" in train["project"][0][1].item()

    again = write_tensorboard(tmp_path / "logs", "my run", history)
    assert again.run_dir.name == "my_run-2"  # never mixed into the first run's files


def test_tensorboard_export_needs_a_history(tmp_path):
    with pytest.raises(ExportError, match="no training history"):
        write_tensorboard(tmp_path, "x", History())
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("out, fmt, expected", [
    ("m.txt", None, "must end in .keras or .onnx"),
    ("m.keras", "onnx", "--format onnx writes a file ending in .onnx"),
    ("m.onnx", "keras", "--format keras writes a file ending in .keras"),
    ("/no-such-rnnlab-folder/m.onnx", None, "the folder /no-such-rnnlab-folder does not exist"),
])
def test_format_mismatches_are_named_before_anything_loads(out, fmt, expected):
    with pytest.raises(ModelFileError, match=expected):
        resolve_format(out, fmt)


def test_tensorboard_from_a_plain_keras_file_is_refused(tmp_path, capsys, many_to_one_model):
    from core.persistence import export_keras

    export_keras(many_to_one_model[0], tmp_path / "plain.keras")
    assert main(["export", str(tmp_path / "plain.keras"), str(tmp_path / "logs"), "--format", "tensorboard"]) == 1
    assert "a plain .keras model has no training history" in capsys.readouterr().err
