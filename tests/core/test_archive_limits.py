"""Files made to exhaust memory are refused before they allocate it.

Two crafted files, as a new user might be sent them: a bundle whose history.json expands to
1.5 GB of blank space after valid JSON (1.5 MB on disk), and a 30 KB .keras file whose config
asks for an LSTM of 20,000 units. The command line refuses both, in a child process whose peak
memory and time are measured, and so do the loaders the window calls.
"""

from __future__ import annotations

import json
import time
import zipfile

import pytest
from _crafted_archives import craft, good_files
from _measured_child import MB, run

from core import archive, memory_estimate
from core.bundles import check_model_file, load_bundle
from core.errors import ModelFileError
from core.keras_files import import_keras
from core.memory_estimate import keras_config_weights

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A good tiny .keras and bundle, and the crafted files made from them."""
    folder = tmp_path_factory.mktemp("limits")
    good = good_files(folder)
    return {"folder": folder, **good, **craft(folder, good["good_keras"], good["good_bundle"])}


def test_the_crafted_files_are_what_they_claim(files):
    assert files["bomb"].stat().st_size < 3 * MB
    with zipfile.ZipFile(files["bomb"]) as zf:
        assert zf.getinfo("history.json").file_size >= 1.5e9
        with zf.open("history.json") as fh:
            assert fh.read(64).startswith(b'{"epochs": [], "batch_loss": []}   ')
    assert files["huge"].stat().st_size < 40_000
    # The good files they came from load.
    assert load_bundle(files["good_bundle"]).project.name == "tiny"
    assert import_keras(files["good_keras"]).count_params() == files["model"].count_params()


# --- the bomb -------------------------------------------------------------------------------------


def _refused_at_once(load, path) -> str:
    """The message of the ModelFileError ``load(path)`` raises, within 2 s (the file is never unpacked)."""
    started = time.perf_counter()
    with pytest.raises(ModelFileError) as refused:
        load(path)
    assert time.perf_counter() - started < 2
    return str(refused.value)


def test_bomb_bundle_is_refused_by_the_loader_naming_the_member(files):
    message = _refused_at_once(load_bundle, files["bomb"])
    assert str(files["bomb"]) in message and "history.json" in message
    assert "1.6 GB" in message and "zip bomb" in message
    with pytest.raises(ModelFileError, match="history.json"):
        check_model_file(files["bomb"])


@pytest.mark.parametrize("command", ["inspect", "predict"])
def test_cli_refuses_the_bomb_quickly_with_bounded_memory(files, command, tmp_path):
    result = run([command, str(files["bomb"])], tmp_path)
    assert result.returncode == 1, result
    assert result.stderr.startswith("error: ") and "history.json" in result.stderr, result
    assert result.stdout == ""
    assert result.peak_bytes < 300 * MB, result
    assert result.cpu_s < 2, result


# --- the .keras file asking for 20,000 units ------------------------------------------------------


def test_huge_units_keras_is_refused_before_keras_builds_it(files):
    message = _refused_at_once(import_keras, files["huge"])
    assert "layer 'rnn_1' (LSTM of 20,000 units)" in message
    assert "1.6 billion weights (6.4 GB)" in message
    assert "holds only" in message


def test_bundle_whose_model_asks_for_huge_units_is_refused(files):
    with pytest.raises(ModelFileError) as refused:
        load_bundle(files["huge_bundle"])
    assert "model.keras inside the bundle" in str(refused.value) and "20,000 units" in str(refused.value)


@pytest.mark.parametrize("command", ["inspect", "predict"])
def test_cli_refuses_the_huge_keras_quickly_with_bounded_memory(files, command, tmp_path):
    result = run([command, str(files["huge"])], tmp_path)
    assert result.returncode == 1, result
    assert "'rnn_1' (LSTM of 20,000 units)" in result.stderr and "6.4 GB" in result.stderr, result
    assert result.peak_bytes < 300 * MB, result
    assert result.cpu_s < 2, result


def test_a_model_that_fits_its_file_but_not_the_memory_is_refused(files, monkeypatch):
    monkeypatch.setattr(memory_estimate, "available_memory", lambda: 100_000_000)
    with pytest.raises(ModelFileError) as refused:
        import_keras(files["good_keras"])
    assert "to load" in str(refused.value) and "100 MB" in str(refused.value)
    monkeypatch.setattr(memory_estimate, "available_memory", lambda: 64 << 30)
    assert import_keras(files["good_keras"]).count_params() == files["model"].count_params()


# --- the limits themselves ------------------------------------------------------------------------


def test_json_member_limit_names_the_member_and_its_size(files, monkeypatch):
    monkeypatch.setattr(archive, "JSON_MEMBER_LIMIT", 100)
    with pytest.raises(ModelFileError) as refused:
        load_bundle(files["good_bundle"])
    message = str(refused.value)
    assert "inside the model bundle expands to" in message and "at most 100 bytes" in message


def test_total_and_member_count_limits(files, monkeypatch):
    monkeypatch.setattr(archive, "TOTAL_LIMIT", 2000)
    with pytest.raises(ModelFileError, match="in all"):
        load_bundle(files["good_bundle"])
    monkeypatch.undo()
    monkeypatch.setattr(archive, "MEMBER_COUNT_LIMIT", 3)
    with pytest.raises(ModelFileError, match="holds 5 files"):
        load_bundle(files["good_bundle"])


def test_weights_member_over_the_member_limit(files, monkeypatch):
    monkeypatch.setattr(archive, "MEMBER_LIMIT", 1000)
    with pytest.raises(ModelFileError, match="model.weights.h5 inside the Keras model expands to"):
        import_keras(files["good_keras"])


# --- weights from config.json ---------------------------------------------------------------------


@pytest.mark.parametrize("model_kw, mode, tokens", [
    ({"cell": "LSTM", "units": 6, "layers": 2}, "many_to_many", False),
    ({"cell": "GRU", "units": 5, "bidirectional": True}, "many_to_one", False),
    ({"cell": "SimpleRNN", "units": 7, "embedding_dim": 3}, "many_to_one", True),
    ({"cell": "LSTM", "units": 4, "one_to_many_feed": "initial_state"}, "one_to_many", False),
    ({"cell": "GRU", "units": 4, "layers": 2}, "encoder_decoder", False),
])
def test_config_weights_match_keras(model_kw, mode, tokens, tiny_info):
    """Read from config.json alone, the weights of RNN Lab's models are exactly Keras' count."""
    from core.models import build_model
    from core.specs import ModelSpec

    model = build_model(ModelSpec(io_mode=mode, **model_kw), tiny_info(mode, tokens=tokens))
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    assert sum(layer.weights for layer in keras_config_weights(config)) == model.count_params()


def test_config_weights_skip_what_keras_reports_itself():
    def config(units):
        return {"class_name": "Functional", "config": {"layers": [
            {"class_name": "LSTM", "config": {"name": "lstm", "units": units}}]}}

    for units in ("many", -4, 0, None, 2.5, float("inf"), True):
        assert keras_config_weights(config(units)) == []
    [layer] = keras_config_weights(config(3.0))
    assert layer.weights == 4 * (3 + 9 + 3)  # no build_config: an input width of 1 is assumed
    [layer] = keras_config_weights(config(10**5000 // 10**700))
    assert layer.size == "over 10^15 units"
