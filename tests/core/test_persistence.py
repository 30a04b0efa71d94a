"""Project files and model bundles: round trips, atomic writes, and every way a file can be bad."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _hostile_files import rewrite_zip

from core import persistence
from core.errors import ModelFileError, SpecError
from core.persistence import (
    Bundle,
    describe_keras_model,
    export_keras,
    import_keras,
    load_bundle,
    load_project,
    save_bundle,
    save_project,
)
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec

keras = pytest.importorskip("keras")


def _train_bundle(project: Project) -> tuple[Bundle, object]:
    from core.datasets import build_dataset
    from core.training import train

    data = build_dataset(project.dataset, project.model.io_mode)
    result = train(project, data)
    return Bundle(project=project, model=result.model, history=result.history, info=data.info), data


CLASSIFICATION_PROJECT = Project(
    name="tiny cooking",
    dataset=DatasetSpec(task="cooking", params={"days": 5, "samples": 48}, validation_split=0.25, seed=3),
    model=ModelSpec(cell="LSTM", io_mode="many_to_many", units=6),
    training=TrainingSpec(epochs=2, batch_size=16, learning_rate=0.02, seed=1),
)
REGRESSION_PROJECT = Project(
    name="tiny weather",
    dataset=DatasetSpec(task="weather", params={"days": 90, "window": 5}, validation_split=0.2, seed=4),
    model=ModelSpec(cell="GRU", io_mode="many_to_one", units=5),
    training=TrainingSpec(epochs=1, batch_size=16, seed=2),
)


def _saved_bundle(tmp_path_factory, project: Project, file_name: str) -> tuple[Bundle, object, Path]:
    """A bundle trained on ``project``, saved as ``file_name`` in a folder of its own."""
    bundle, data = _train_bundle(project)
    path = tmp_path_factory.mktemp("bundle") / file_name
    save_bundle(path, bundle)
    return bundle, data, path


@pytest.fixture(scope="module")
def classification(tmp_path_factory):
    return _saved_bundle(tmp_path_factory, CLASSIFICATION_PROJECT, "cooking.rnnlab")


@pytest.fixture(scope="module")
def regression(tmp_path_factory):
    return _saved_bundle(tmp_path_factory, REGRESSION_PROJECT, "weather.rnnlab")


def _outputs(model, x) -> np.ndarray:
    """The model's answer for ``x``, called eagerly: both sides of a comparison the same way, with no
    predict function traced per model."""
    return np.asarray(model(np.asarray(x), training=False))


def _lambda_model():
    inputs = keras.Input((3,))
    doubled = keras.layers.Lambda(lambda t: t * 2, name="doubler")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(doubled))


# --- project files ----------------------------------------------------------------------------


def test_project_round_trip(tmp_path):
    path = tmp_path / "p.json"
    save_project(path, CLASSIFICATION_PROJECT)
    assert load_project(path) == CLASSIFICATION_PROJECT
    assert json.loads(path.read_text())["schema_version"] == 1


def test_project_paths_are_relative_to_the_project_file(tmp_path, monkeypatch):
    folder = tmp_path / "proj"
    (folder / "data").mkdir(parents=True)
    text_file = folder / "data" / "story.txt"
    text_file.write_text("the cat sat on the mat. " * 20, encoding="utf-8")
    project = Project(dataset=DatasetSpec(task="text", params={"source": str(text_file), "window": 8}),
                      model=ModelSpec(io_mode="many_to_one"))
    save_project(folder / "p.json", project)
    assert json.loads((folder / "p.json").read_text())["dataset"]["params"]["source"] == "data/story.txt"

    # Moved elsewhere and loaded from an unrelated working directory: still finds its data.
    moved = tmp_path / "moved"
    (folder).rename(moved)
    monkeypatch.chdir(tmp_path)
    loaded = load_project(moved / "p.json")
    assert loaded.dataset.params["source"] == str(moved / "data" / "story.txt")

    from core.datasets import build_dataset

    assert build_dataset(loaded.dataset, "many_to_one").num_train > 0


def test_builtin_and_outside_paths_are_kept(tmp_path):
    outside = tmp_path / "elsewhere" / "x.txt"
    (tmp_path / "proj").mkdir()
    target = tmp_path / "proj" / "p.json"
    for source in ("builtin:recurrence", str(outside)):
        project = Project(dataset=DatasetSpec(task="text", params={"source": source}),
                          model=ModelSpec(io_mode="many_to_one"))
        save_project(target, project)
        assert json.loads(target.read_text())["dataset"]["params"]["source"] == source
        assert load_project(target).dataset.params["source"] == source


@pytest.mark.parametrize("content, expected", [
    (None, "file not found"),
    (b"", "empty"),
    (b"\x00\x01\xff\xfe binary junk", "not UTF-8"),
    (b'{"name": "x",\n "model": {"cell": }', "not valid JSON (line 2 column"),
    (b"PK\x03\x04 zip", "zip file"),
])
def test_bad_project_files(tmp_path, content, expected):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ModelFileError) as err:
        load_project(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


@pytest.mark.parametrize("data, field", [
    ({"model": {"cell": "Transformer"}}, "model.cell"),
    ({"training": {"epochs": 0}}, "training.epochs"),
    ({"dataset": {"task": "cooking", "params": {"days": "seven"}}}, "dataset.params.days"),
    ({"modle": {}}, "modle"),
    ({"schema_version": 99}, "schema_version"),
])
def test_bad_project_values_name_file_and_field(tmp_path, data, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SpecError) as err:
        load_project(path)
    assert err.value.field == field
    assert str(err.value).startswith(f"{path}: {field}: expected")


# --- bundles ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["classification", "regression"])
def test_bundle_reload_predicts_identically(which, request):
    bundle, data, path = request.getfixturevalue(which)
    loaded = load_bundle(path)
    before = _outputs(bundle.model, data.x_val)
    after = _outputs(loaded.model, data.x_val)
    assert np.array_equal(before, after)
    assert loaded.project == bundle.project
    assert loaded.info.to_dict() == json.loads(json.dumps(bundle.info.to_dict()))
    assert loaded.history.to_dict() == json.loads(json.dumps(bundle.history.to_dict()))
    assert len(loaded.history.gradient_flow) == bundle.history.to_dict()["epochs"].__len__()
    assert loaded.manifest["format"] == "rnnlab-bundle" and loaded.manifest["version"] == 1
    assert loaded.manifest["keras_version"] == keras.__version__
    # The normalisation needed to de-normalise predictions travelled with the model.
    if which == "regression":
        assert loaded.info.normalization["y_std"] == pytest.approx(bundle.info.normalization["y_std"])


def test_bundle_layout(classification):
    _, _, path = classification
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"manifest.json", "project.json", "history.json", "data_info.json",
                                      "model.keras"}
        assert json.loads(zf.read("manifest.json"))["created"]


def test_atomic_save_keeps_previous_file(classification, regression, monkeypatch):
    bundle, _, path = classification
    before = path.read_bytes()
    real_writestr = zipfile.ZipFile.writestr

    def failing_writestr(self, name, data, *args, **kwargs):
        if getattr(name, "filename", name) == "model.keras":
            raise OSError(28, "No space left on device")
        return real_writestr(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(ModelFileError, match="No space left on device"):
        save_bundle(path, regression[0])
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left behind
    assert load_bundle(path).project == bundle.project


def test_save_into_missing_folder(classification, tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        save_bundle(tmp_path / "nope" / "m.rnnlab", classification[0])


def _bad_file(kind: str, tmp_path: Path, good: Path) -> Path:
    target = tmp_path / f"{kind}.rnnlab"
    raw = good.read_bytes()
    if kind == "missing":
        return target
    if kind == "empty":
        target.write_bytes(b"")
    elif kind == "truncated":
        target.write_bytes(raw[: len(raw) // 2])
    elif kind == "junk":
        target.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    elif kind == "foreign":
        with zipfile.ZipFile(target, "w") as zf:
            zf.writestr("readme.txt", "holiday photos")
    elif kind == "plain_keras":
        with zipfile.ZipFile(good) as zf:
            target.write_bytes(zf.read("model.keras"))
    elif kind == "newer_version":
        manifest = json.loads(zipfile.ZipFile(good).read("manifest.json"))
        rewrite_zip(good, target, {"manifest.json": json.dumps({**manifest, "version": 7}).encode()})
    elif kind == "bad_json":
        rewrite_zip(good, target, {"project.json": b'{"name": "x", '})
    elif kind == "no_model":
        rewrite_zip(good, target, {"model.keras": None})
    elif kind == "lambda":
        model_file = tmp_path / "lambda.keras"
        _lambda_model().save(model_file)
        rewrite_zip(good, target, {"model.keras": model_file.read_bytes()})
    return target


@pytest.mark.parametrize("kind, expected", [
    ("missing", "file not found"),
    ("empty", "is empty"),
    ("truncated", "truncated or damaged"),
    ("junk", "not a zip archive"),
    ("foreign", "without manifest.json"),
    ("plain_keras", "plain Keras model, not an RNN Lab bundle: use Import .keras"),
    ("newer_version", "bundle version 7 was written by a newer RNN Lab"),
    ("bad_json", "project.json inside the bundle: not valid JSON"),
    ("no_model", "lacks model.keras"),
    ("lambda", "Lambda layer (doubler)"),
])
def test_bad_bundles_get_clear_errors(kind, expected, classification, tmp_path, monkeypatch):
    path = _bad_file(kind, tmp_path, classification[2])
    # Nothing from the file may reach Keras' loader before the checks (a Lambda would run code).
    if kind == "lambda":
        monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: pytest.fail("Keras saw the Lambda model"))
    with pytest.raises(ModelFileError) as err:
        load_bundle(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_lambda_keras_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "lam.keras"
    _lambda_model().save(path)
    monkeypatch.setattr(keras.saving, "load_model", lambda *a, **k: pytest.fail("Keras saw the Lambda model"))
    with pytest.raises(ModelFileError, match="code would run|would run when the file is loaded"):
        import_keras(path)


def test_export_and_import_plain_keras(classification, tmp_path):
    bundle, data, bundle_path = classification
    out = tmp_path / "plain.keras"
    export_keras(bundle, out)
    reloaded = keras.saving.load_model(out)
    assert np.array_equal(_outputs(reloaded, data.x_val), _outputs(bundle.model, data.x_val))
    imported = import_keras(out)
    assert [layer.name for layer in imported.layers] == [layer.name for layer in bundle.model.layers]
    with pytest.raises(ModelFileError, match="must end in .keras"):
        export_keras(bundle, tmp_path / "plain.zip")
    with pytest.raises(ModelFileError, match="RNN Lab model bundle, not a plain Keras model"):
        import_keras(bundle_path)


def test_describe_plain_keras_model():
    model = keras.Sequential([keras.Input((7, 3)), keras.layers.SimpleRNN(4, name="rnn"),
                              keras.layers.Dense(2, name="out")])
    info = describe_keras_model(model)
    assert info["inputs"] == [[None, 7, 3]] and info["outputs"] == [[None, 2]]
    assert [(layer["name"], layer["class"], layer["params"]) for layer in info["layers"]] == [
        ("rnn", "SimpleRNN", 3 * 4 + 4 * 4 + 4), ("out", "Dense", 4 * 2 + 2)]
    assert info["total_params"] == model.count_params() == info["trainable_params"]
    assert "rnn" in info["summary"] and "SimpleRNN" in info["summary"]


def test_is_bundle(classification, tmp_path):
    assert persistence.is_bundle(classification[2])
    (tmp_path / "x").write_bytes(b"junk")
    assert not persistence.is_bundle(tmp_path / "x") and not persistence.is_bundle(tmp_path / "missing")


def test_a_later_save_removes_what_killed_saves_left_behind(classification, tmp_path, monkeypatch):
    import fcntl
    import os
    import tempfile
    import time

    bundle, _, _ = classification
    target = tmp_path / "model.rnnlab"
    scratch_root = tmp_path / "system-tmp"
    scratch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))
    old = time.time() - 3600

    def leftover(path: Path, *, age: float = old) -> Path:
        path.write_bytes(b"half a zip")
        os.utime(path, (age, age))
        return path

    stale = leftover(tmp_path / ".model.rnnlab.k3j2h1.tmp")
    recent = leftover(tmp_path / ".model.rnnlab.a1b2c3.tmp", age=time.time())  # maybe a save in progress
    other_target = leftover(tmp_path / ".other.rnnlab.x9y8z7.tmp")  # another file's save: not ours
    live = leftover(tmp_path / ".model.rnnlab.live00.tmp")  # old, but another save holds it open
    live_fd = os.open(live, os.O_RDWR)
    fcntl.flock(live_fd, fcntl.LOCK_EX)
    dead_pid = 2 ** 22 + 12345  # above any default pid_max: no such process
    killed = scratch_root / f"rnnlab-{dead_pid}-abcd1234"
    running = scratch_root / f"rnnlab-{os.getppid()}-efgh5678"  # a live process (pytest's parent)
    for folder in (killed, running):
        folder.mkdir()
        (folder / "model.keras").write_bytes(b"partial")
        os.utime(folder, (old, old))
    try:
        save_bundle(target, bundle)
    finally:
        os.close(live_fd)
    assert load_bundle(target).project == bundle.project
    assert not stale.exists() and not killed.exists()
    assert recent.exists() and other_target.exists() and live.exists() and running.exists()
    # The save's own scratch files are gone too.
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".model")) == sorted([recent.name, live.name])
    assert [p.name for p in scratch_root.iterdir()] == [running.name]
