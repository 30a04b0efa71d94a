"""Model files from elsewhere are opened away from the window.

The crafted files of tests/core/_crafted_archives.py (a zip bomb bundle, a .keras file asking for
an LSTM of 20,000 units, a bundle holding that model) are refused by File > Open and Import
.keras with their messages, before the loading process is even asked. A file that slips past
the checks and takes the loading process down leaves the window, its project and its runs as
they were, with a message saying what happened; the next file opens in a fresh process.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from core.runner import ProcessTrainer
from desktop_app import model_loader
from tests.core._crafted_archives import craft, good_files
from tests.desktop_app.conftest import close_message_boxes

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A good tiny .keras file and bundle (fitting the window's default project), and the crafted ones."""
    folder = tmp_path_factory.mktemp("foreign")
    good = good_files(folder)
    return {"good_keras": good["good_keras"], "good_bundle": good["good_bundle"],
            "no_weights": _without_weights(good["good_bundle"]),
            **craft(folder, good["good_keras"], good["good_bundle"])}


def _without_weights(bundle: Path) -> Path:
    """The bundle with its model's weights file left out: it passes the pre-checks, Keras refuses it."""
    with zipfile.ZipFile(bundle) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    inner = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(members["model.keras"])) as model, zipfile.ZipFile(inner, "w") as out:
        for name in model.namelist():
            if name != "model.weights.h5":
                out.writestr(name, model.read(name))
    target = bundle.with_name("no_weights.rnnlab")
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in {**members, "model.keras": inner.getvalue()}.items():
            zf.writestr(name, data)
    return target


def _refused(window, action, title: str, *words: str, seconds: float = 3) -> str:
    """Run ``action`` (an open or import); it must fail within ``seconds`` with a dialog titled ``title``."""
    project, runs = window.current_project(), window.runs_panel.records()
    started = time.perf_counter()
    assert action() is False
    assert time.perf_counter() - started < seconds
    shown_title, text = window.last_message
    assert shown_title == title
    for word in words:
        assert word in text, text
    assert window.current_project() == project and window.runs_panel.records() == runs
    close_message_boxes(window)
    return text


def test_crafted_files_are_refused_before_the_loading_process_sees_them(qtbot, make_window, files, monkeypatch):
    window = make_window()

    def never(*_args, **_kwargs):
        raise AssertionError("a refused file reached the loading process")

    monkeypatch.setattr(ProcessTrainer, "call", never)
    document = window.document
    _refused(window, lambda: document.open_path(files["bomb"]), "Cannot open the model",
             str(files["bomb"]), "history.json", "zip bomb")
    _refused(window, lambda: document.import_keras(files["huge"]), "Cannot import the model",
             str(files["huge"]), "layer 'rnn_1' (LSTM of 20,000 units)", "6.4 GB", "refused before building")
    _refused(window, lambda: document.open_path(files["huge_bundle"]), "Cannot open the model",
             "model.keras inside the bundle", "20,000 units")
    assert window.session.records() == []


def test_a_file_that_kills_the_loading_process_leaves_the_window_as_it_was(qtbot, make_window, files,
                                                                         monkeypatch):
    window = make_window()
    monkeypatch.setattr(model_loader, "READ_TARGET", "tests.desktop_app._dying_reader:read_model_file")
    text = _refused(window, lambda: window.document.open_path(files["good_bundle"]), "Cannot open the model",
                    "the file could not be opened: the process loading it was killed (out of memory?)",
                    str(files["good_bundle"]), seconds=300)  # the loading process imports TensorFlow first
    assert "window and its runs are unharmed" in text
    assert window.session.records() == [] and window.isVisible()

    # The next file opens, in a fresh loading process.
    monkeypatch.setattr(model_loader, "READ_TARGET", "core.model_transfer:read_model_file")
    assert window.document.open_path(files["good_bundle"]), window.last_message
    opened = window.session.current
    assert opened.status == "loaded" and opened.saved_path == str(files["good_bundle"])
    assert opened.model.count_params() == keras.saving.load_model(files["good_keras"]).count_params()
    # Its project (days=5) is now the window's, which the .keras model fits.
    assert window.document.import_keras(files["good_keras"]), window.last_message
    assert window.session.current.status == "imported" and window.predict_panel.has_model()

    # What only Keras finds wrong comes back from the loading process as a message about the file.
    _refused(window, lambda: window.document.open_path(files["no_weights"]), "Cannot open the model",
             str(files["no_weights"]), "model.keras inside the bundle could not be loaded")
