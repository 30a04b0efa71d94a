"""Shared factories for the engine's tests: tiny data, small projects, and listeners that record.

They reach the tests as fixtures (``def test_x(tiny_data, project, Recorder)``) rather than by
``from conftest import``: tests/desktop_app has a conftest module of the same name, and which one
Python finds first depends on the paths given to pytest. A script in a fresh interpreter (the
mirrored-strategy test) can import this module directly.

Sizes: T_IN input steps, T_OUT output steps (one-to-many and encoder-decoder), FEATURES input
features, VOCAB for token inputs; classification has three classes, regression two targets.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo, SequenceData
from core.specs import ModelSpec, Project, TrainingSpec
from core.training import TrainingListener

T_IN, T_OUT, FEATURES = 5, 4, 3
VOCAB = ["a", "b", "c", "d"]

# The window's sweep workers yield to it (nice 10); beside the suite's other worker, which runs
# at full priority, they would get a tenth of a core and every sweep test would crawl.
os.environ.setdefault("RNN_LAB_CHILD_NICENESS", "0")


def tiny_info(mode: str, *, tokens: bool = False, kind: str = CLASSIFICATION) -> DataInfo:
    """A made-up task of the given I/O mode with T_IN steps in and T_OUT out."""
    t_in = 1 if mode == "one_to_one" else T_IN
    if mode == "one_to_many":
        input_shape: tuple[int, ...] = (FEATURES,)
    else:
        input_shape = (t_in,) if tokens else (t_in, FEATURES)
    steps = {"many_to_many": (t_in,), "one_to_many": (T_OUT,), "encoder_decoder": (T_OUT,)}.get(mode, ())
    output_shape = steps if kind == CLASSIFICATION else steps + (2,)
    return DataInfo(
        task="tiny", io_mode=mode, kind=kind, input_kind="tokens" if tokens else "real",
        input_shape=input_shape, output_shape=output_shape,
        class_names=["x", "y", "z"] if kind == CLASSIFICATION else [],
        vocabulary=list(VOCAB) if tokens else [],
        target_names=["u", "v"] if kind == REGRESSION else [],
    )


def tiny_data(mode: str, *, n: int = 24, n_val: int = 8, tokens: bool = False, kind: str = CLASSIFICATION,
              seed: int = 0) -> SequenceData:
    """``n`` random samples of ``tiny_info(mode)``, the last ``n_val`` of them for validation."""
    info = tiny_info(mode, tokens=tokens, kind=kind)
    rng = np.random.default_rng(seed)
    if tokens:
        x = rng.integers(0, len(VOCAB), size=(n, *info.input_shape)).astype(np.int32)
    else:
        x = rng.normal(size=(n, *info.input_shape)).astype(np.float32)
    if kind == CLASSIFICATION:
        y = rng.integers(0, 3, size=(n, *info.output_shape)).astype(np.int32)
    else:
        y = rng.normal(size=(n, *info.output_shape)).astype(np.float32)
    cut = n - n_val
    return SequenceData(x[:cut], y[:cut], x[cut:], y[cut:], info)


def project(mode: str = "many_to_one", *, training: dict | None = None, **model) -> Project:
    """A small project: 4 units, one epoch, batches of 8, unless ``model``/``training`` say otherwise."""
    model_spec = ModelSpec(**{"io_mode": mode, "units": 4, **model})
    return Project(model=model_spec, training=TrainingSpec(**{"epochs": 1, "batch_size": 8, **(training or {})}))


class Recorder(TrainingListener):
    """Keeps every event, in order, with when and in which thread it arrived.

    ``events`` names them ("started", "batch", "epoch", "finished", "failed"); the events
    themselves are in ``started``, ``batches``, ``epochs``, ``result`` and ``failed``.
    """

    def __init__(self) -> None:
        self.events: list[str] = []
        self.times: list[float] = []
        self.thread_ids: set[int] = set()
        self.started = None
        self.batches: list = []
        self.epochs: list = []
        self.result = None
        self.failed: list[str] = []
        self.pauses: list[tuple[int, int]] = []  # (the batch paused after, batches seen by then)

    def _note(self, name: str) -> None:
        self.events.append(name)
        self.times.append(time.perf_counter())
        self.thread_ids.add(threading.get_ident())

    def on_run_started(self, event) -> None:
        self.started = event
        self._note("started")

    def on_batch_end(self, event) -> None:
        self.batches.append(event)
        self._note("batch")

    def on_epoch_end(self, event) -> None:
        self.epochs.append(event)
        self._note("epoch")

    def on_finished(self, result) -> None:
        self.result = result
        self._note("finished")

    def on_failed(self, message: str) -> None:
        self.failed.append(message)
        self._note("failed")

    def on_paused(self, global_batch: int) -> None:
        # Not in ``events``: the pause tests look at it, the others keep their sequences.
        self.pauses.append((global_batch, len(self.batches)))


class StopAtBatch(Recorder):
    """Requests a stop from inside the listener once ``batch`` (counted over the run) has ended,
    as the window's Stop button does between two batches."""

    def __init__(self, control, batch: int) -> None:
        super().__init__()
        self.control, self.batch = control, batch

    def on_batch_end(self, event) -> None:
        super().on_batch_end(event)
        if event.global_batch == self.batch:
            self.control.request_stop()


class StopWhen(Recorder):
    """Stops the run once an epoch's logs satisfy ``done`` (saves time on a task already learned)."""

    def __init__(self, control, done) -> None:
        super().__init__()
        self.control, self.done = control, done

    def on_epoch_end(self, event) -> None:
        super().on_epoch_end(event)
        if self.done(event.logs):
            self.control.request_stop()


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``main.py ARGV`` in this process (a subprocess costs seconds of TensorFlow import): the exit
    code, stdout and stderr."""
    from core.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def train_with_cli(folder: Path, name: str, project: dict) -> Path:
    """``project`` written as NAME.json in ``folder`` and trained by ``main.py train``: the bundle."""
    (folder / f"{name}.json").write_text(json.dumps(project))
    bundle = folder / f"{name}.rnnlab"
    code, _, err = run_cli(["train", str(folder / f"{name}.json"), "--out", str(bundle)])
    assert code == 0, err
    return bundle


def _as_fixture(factory):
    """A session fixture, named like ``factory``, that hands the factory itself to the test."""
    return pytest.fixture(name=factory.__name__, scope="session")(lambda: factory)


_tiny_info = _as_fixture(tiny_info)
_tiny_data = _as_fixture(tiny_data)
_project = _as_fixture(project)
_recorder = _as_fixture(Recorder)
_stop_at_batch = _as_fixture(StopAtBatch)
_stop_when = _as_fixture(StopWhen)
_run_cli = _as_fixture(run_cli)
_train_with_cli = _as_fixture(train_with_cli)
