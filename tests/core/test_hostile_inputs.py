"""Every file RNN Lab reads, made hostile: each must end in an RNNLabError whose message names the
file (or the field) and the problem, and no code from a file may ever run.

The cases live in _hostile_files.py so the window's tests can open the same files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _hostile_files import (
    Hostile,
    bundle_cases,
    csv_cases,
    good_csv_text,
    good_project_json,
    keras_cases,
    lambda_activation_keras,
    lambda_bundle,
    lambda_keras,
    project_cases,
    text_cases,
)

from core import keras_files, persistence
from core.datasets import build_dataset
from core.errors import ModelFileError, RNNLabError
from core.persistence import import_keras, load_bundle, load_project
from core.specs import DatasetSpec, ModelSpec, Project


def _refused_clearly(case: Hostile, folder: Path, opener) -> RNNLabError:
    """Open the case's file with ``opener(path, case)``: it must raise an error a user can act on."""
    path = case.write(folder)
    with pytest.raises(RNNLabError) as raised:
        opener(path, case)
    message = str(raised.value)
    lowered = message.lower()
    missing = [word for word in case.words if word.lower() not in lowered]
    assert not missing, f"message lacks {missing}: {message}"
    if case.names_file:
        assert path.name in message, f"message does not name {path.name}: {message}"
    assert "Traceback" not in message and len(message) < 1000, message
    return raised.value


def _dataset_opener(task: str, path_param: str):
    """Builds ``task`` (many-to-one) from the case's file, with the case's extra parameters."""

    def open_file(path: Path, case: Hostile) -> None:
        build_dataset(DatasetSpec(task=task, params={path_param: str(path), **case.params}), "many_to_one")

    return open_file


# --- CSV and text through the dataset tasks ---------------------------------------------------


@pytest.mark.parametrize("case", csv_cases(), ids=str)
def test_hostile_csv(case, tmp_path):
    _refused_clearly(case, tmp_path, _dataset_opener("csv", "path"))


@pytest.mark.parametrize("case", text_cases(), ids=str)
def test_hostile_text(case, tmp_path):
    _refused_clearly(case, tmp_path, _dataset_opener("text", "source"))


def test_good_csv_and_text_load(tmp_path):
    """The hostile cases are derived from these: they must themselves be fine."""
    csv_path = tmp_path / "good.csv"
    csv_path.write_text(good_csv_text())
    data = build_dataset(DatasetSpec(task="csv", params={"path": str(csv_path), "window": 5}), "many_to_one")
    assert data.info.feature_names == ["temp", "humidity", "pressure"] and data.num_train > 0


def test_csv_with_huge_but_representable_values_stays_finite(tmp_path):
    """Values near the float32 limit (3e38) are legal; normalisation must not overflow to inf/NaN."""
    lines = good_csv_text().splitlines()
    rows = [lines[0]] + [f"{i + 1},{(-1) ** i * 3.0e38:.3e},{i * 1e-30:.3e},{1000 + i}" for i in range(40)]
    path = tmp_path / "extreme.csv"
    path.write_text("\n".join(rows) + "\n")
    data = build_dataset(DatasetSpec(task="csv", params={"path": str(path), "window": 4}), "many_to_one")
    for array in (data.x_train, data.y_train, data.x_val, data.y_val):
        assert np.isfinite(array).all()
    # The de-normalised target is the file's value again (to float32 precision).
    assert data.info.denormalize_y(data.y_train[:1])[0, 0] == pytest.approx(3.0e38, rel=1e-5)  # row 5: (-1) ** 4 * 3e38


# --- project files ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", project_cases(), ids=str)
def test_hostile_project_file(case, tmp_path):
    _refused_clearly(case, tmp_path, lambda path, case: load_project(path))


def test_project_file_missing_fields_take_defaults(tmp_path):
    """Missing fields are not an error: a hand-written project names only what differs."""
    path = tmp_path / "short.json"
    path.write_text(json.dumps({"name": "short", "model": {"cell": "GRU"}}))
    project = load_project(path)
    assert project == Project(name="short", model=ModelSpec(cell="GRU"))
    path.write_text("{}")
    assert load_project(path) == Project()


def test_project_from_json_never_leaks_a_python_error():
    """The same hostile texts straight through Project.from_json (the command line's path)."""
    for text in ("[" * 100_000, '{"model": {"units": ' + "9" * 5000 + "}}",
                 '{"training": {"learning_rate": 1' + "0" * 400 + "}}", '{"dataset": {"task": ["csv"]}}',
                 '{"dataset": {"task": "sine", "params": {"noise": 1' + "0" * 400 + "}}}"):
        with pytest.raises(RNNLabError):
            Project.from_json(text)
    good = Project.from_json(good_project_json())
    # --set values go through the same JSON parser; a value it cannot read stays text and is refused.
    with pytest.raises(RNNLabError, match="model.units"):
        good.with_override("model.units=" + "9" * 5000)
    with pytest.raises(RNNLabError, match="model.units"):
        good.with_override("model.units=" + "[" * 100_000)


# --- bundles and plain .keras files -------------------------------------------------------------


@pytest.fixture(scope="module")
def good_files(tmp_path_factory):
    """A valid bundle and .keras file, built without training (the cases only damage them)."""
    pytest.importorskip("keras")
    from core.models import build_model
    from core.training import History

    folder = tmp_path_factory.mktemp("good")
    project = Project(name="good", dataset=DatasetSpec(task="sine", params={}),
                      model=ModelSpec(cell="GRU", io_mode="many_to_one", units=4))
    project.validate()
    data = build_dataset(project.dataset, project.model.io_mode)
    model = build_model(project.model, data.info)
    history = History(epochs=[{"loss": 1.0, "val_loss": 1.1}], batch_loss=[1.2, 0.9],
                      layer_norms={"rnn_1": [0.5, 0.6]}, weight_norms={"rnn_1/w_i": [0.1, 0.2]},
                      gradient_flow=[[0.1] * data.info.input_shape[0]])
    bundle_path = folder / "good.rnnlab"
    persistence.save_bundle(bundle_path, persistence.Bundle(project, model, history, data.info))
    keras_path = folder / "good.keras"
    persistence.export_keras(model, keras_path)
    # Sanity: the sources of the hostile variants load.
    assert load_bundle(bundle_path).project == project
    assert [layer.name for layer in import_keras(keras_path).layers] == [layer.name for layer in model.layers]
    return bundle_path, keras_path, data


# The cases derive from the good files, which exist only once the fixture ran: parametrize by id.
@pytest.mark.parametrize("case_id", [c.id for c in bundle_cases(Path("unused"))])
def test_hostile_bundle(case_id, good_files, tmp_path):
    case = {c.id: c for c in bundle_cases(good_files[0])}[case_id]
    assert isinstance(_refused_clearly(case, tmp_path, lambda path, case: load_bundle(path)), ModelFileError)


@pytest.mark.parametrize("case_id", [c.id for c in keras_cases(Path("unused"))])
def test_hostile_keras(case_id, good_files, tmp_path):
    case = {c.id: c for c in keras_cases(good_files[1])}[case_id]
    assert isinstance(_refused_clearly(case, tmp_path, lambda path, case: import_keras(path)), ModelFileError)


# --- nothing from a file runs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def code_models(good_files, tmp_path_factory):
    """Real Keras models that run code when loaded unsafely: each touches its own marker file."""
    folder = tmp_path_factory.mktemp("code")
    made = {}
    for kind in ("lambda", "nested_lambda", "lambda_activation"):
        marker = folder / f"{kind}.ran"
        path = folder / f"{kind}.keras"
        if kind == "lambda_activation":
            lambda_activation_keras(good_files[1], path, marker)
        else:
            lambda_keras(path, marker, nested=kind == "nested_lambda")
        made[kind] = (path, marker)
    return made


def _run_unsafely(path: Path, model_input_shape) -> None:
    import keras

    model = keras.saving.load_model(path, safe_mode=False, compile=False)
    model.predict_on_batch(np.zeros((1, *model_input_shape), dtype="float32"))


@pytest.mark.parametrize("kind", ["lambda", "nested_lambda", "lambda_activation"])
def test_the_markers_prove_code_would_run(kind, code_models, good_files):
    """Control: loaded without safe mode, each model does run its code (so the test below can fail)."""
    path, marker = code_models[kind]
    shape = good_files[2].info.input_shape if kind == "lambda_activation" else (3,)
    _run_unsafely(path, shape)
    assert marker.exists()
    marker.unlink()


@pytest.mark.parametrize("kind, words", [
    ("lambda", "a Lambda layer (evil)"),
    ("nested_lambda", "a Lambda layer (evil)"),
    ("lambda_activation", "a Python lambda function (in layer head)"),
])
@pytest.mark.parametrize("container", ["keras", "bundle"])
def test_models_with_code_are_refused_and_nothing_runs(kind, words, container, code_models, good_files,
                                                      tmp_path):
    model_path, marker = code_models[kind]
    marker.unlink(missing_ok=True)
    if container == "bundle":
        # A bundle with a valid manifest, project and data info: only the model is hostile.
        path = lambda_bundle(good_files[0], model_path, tmp_path / f"{kind}.rnnlab")
        load = load_bundle
    else:
        path, load = model_path, import_keras
    with pytest.raises(ModelFileError) as err:
        load(path)
    assert str(path) in str(err.value)
    assert "refused" in str(err.value) and words in str(err.value)
    assert not marker.exists(), "code from the file ran"


@pytest.mark.parametrize("kind", ["lambda", "nested_lambda", "lambda_activation"])
def test_keras_safe_mode_still_refuses_when_the_scan_misses(kind, code_models, monkeypatch):
    """Defence in depth: were the config scan fooled, Keras' safe mode must still refuse."""
    model_path, marker = code_models[kind]
    marker.unlink(missing_ok=True)
    monkeypatch.setattr(keras_files, "_find_lambda", lambda config: None)
    with pytest.raises(ModelFileError, match="refused"):
        import_keras(model_path)
    assert not marker.exists(), "code from the file ran"
