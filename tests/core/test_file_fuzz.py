"""Fuzzing where files come in: whatever a CSV, a text, a bundle or a .keras file holds, reading
it ends in a result or in an RNNLabError, never in another exception.

Inputs are arbitrary bytes, valid files with a few bytes changed, and valid files with one part
replaced (a cell, a zip member, a config value), which reach the deeper paths.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from _hostile_files import good_csv_text, good_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bundles import check_model_file, load_bundle
from core.datasets import build_dataset
from core.errors import RNNLabError
from core.keras_files import check_keras_file
from core.memory_estimate import keras_config_weights
from core.specs import DatasetSpec

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _refused_or_read(read) -> None:
    try:
        read()
    except RNNLabError as exc:
        assert str(exc) and "Traceback" not in str(exc)


@st.composite
def mutated(draw, good: bytes) -> bytes:
    """``good`` with a few bytes changed, inserted, deleted, or cut off."""
    data = bytearray(good)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and data:
            data[where] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[where:where + draw(st.integers(1, 16))]
        else:
            del data[where:]
    return bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["class_name", "config", "units", "layers", "layer", "build_config", "input_shape",
                         "input_dim", "output_dim", "name", "use_bias", "shapes_dict"]) | st.text(max_size=6),
        children, max_size=5),
    max_leaves=20,
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _members(blob: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def good_model_files(folder):
    """A valid bundle and .keras file of a tiny untrained model, as bytes."""
    pytest.importorskip("keras")
    from core.bundles import Bundle, save_bundle
    from core.keras_files import write_keras_model
    from core.models import build_model
    from core.specs import ModelSpec, Project

    project = Project(name="fuzz", dataset=DatasetSpec(task="cooking", params={"days": 5, "samples": 30}),
                      model=ModelSpec(cell="GRU", io_mode="many_to_many", units=3))
    data = build_dataset(project.dataset, project.model.io_mode)
    model = build_model(project.model, data.info)
    save_bundle(folder / "good.rnnlab", Bundle(project, model, None, data.info))
    write_keras_model(model, folder / "good.keras")
    return (folder / "good.rnnlab").read_bytes(), (folder / "good.keras").read_bytes()


# --- CSV and text -------------------------------------------------------------------------------


def _read_dataset(folder: Path, name: str, data: bytes, task: str, param: str) -> None:
    path = folder / name
    path.write_bytes(data)
    _refused_or_read(lambda: build_dataset(DatasetSpec(task=task, params={param: str(path)}), "many_to_one"))


GOOD_CSV = good_csv_text().encode()
GOOD_TEXT = good_text().encode()


@FUZZ
@given(data=st.binary(max_size=2000) | mutated(GOOD_CSV)
       | st.lists(st.lists(st.text(max_size=6), min_size=1, max_size=5), min_size=1, max_size=30).map(
           lambda rows: "\n".join(",".join(row) for row in rows).encode()))
def test_csv_reader(folder, data):
    _read_dataset(folder, "fuzz.csv", data, "csv", "path")


@FUZZ
@given(data=st.binary(max_size=2000) | mutated(GOOD_TEXT) | st.text(max_size=400).map(str.encode))
def test_text_reader(folder, data):
    _read_dataset(folder, "fuzz.txt", data, "text", "source")


# --- bundles ------------------------------------------------------------------------------------


@FUZZ_SLOW
@given(choice=st.data())
def test_bundle_loader(folder, good_model_files, choice):
    good = good_model_files[0]
    members = _members(good)
    data = choice.draw(
        st.binary(max_size=3000)
        | mutated(good)
        # One member replaced by arbitrary JSON or bytes, or removed.
        | st.tuples(st.sampled_from(sorted(members)),
                    st.none() | json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200)).map(
            lambda edit: _zip({**{k: v for k, v in members.items() if k != edit[0]},
                               **({edit[0]: edit[1]} if edit[1] is not None else {})})))
    path = folder / "fuzz.rnnlab"
    path.write_bytes(data)
    _refused_or_read(lambda: check_model_file(path))
    _refused_or_read(lambda: load_bundle(path))


# --- the .keras pre-check -----------------------------------------------------------------------


@FUZZ
@given(choice=st.data())
def test_keras_precheck(folder, good_model_files, choice):
    good = good_model_files[1]
    members = _members(good)
    config = json.loads(members["config.json"])
    layers = config["config"]["layers"]

    def with_layer_value(edit) -> bytes:
        index, key, value = edit
        changed = json.loads(json.dumps(config))
        layer = changed["config"]["layers"][index % len(layers)]
        layer["config"][key] = value
        return _zip({**members, "config.json": json.dumps(changed).encode()})

    data = choice.draw(
        st.binary(max_size=3000)
        | mutated(good)
        | json_values.map(lambda v: _zip({**members, "config.json": json.dumps(v).encode()}))
        | st.tuples(st.integers(0, 20), st.sampled_from(["units", "input_dim", "output_dim", "use_bias", "name"]),
                    json_values).map(with_layer_value))
    path = folder / "fuzz.keras"
    path.write_bytes(data)
    _refused_or_read(lambda: check_keras_file(path))
    _refused_or_read(lambda: check_model_file(path))


@FUZZ
@given(config=json_values)
def test_config_weights_never_raise(config):
    for layer in keras_config_weights(config):
        assert layer.weights > 0 and layer.name
