"""The child side of ``core.runner.ProcessTrainer``: import TensorFlow once, then serve runs.

``child_main`` is the process's entry point. Each "train" job is trained with
``core.training.train`` under a ``TrainingControl`` built on the two multiprocessing Events the
parent sets; the events are forwarded over the pipe as they happen, and the result (weights,
optimizer state, history) or a description of the error goes back at the end. The protocol is
described in ``core.runner``.
"""

from __future__ import annotations

import gc
import importlib
import os
import pickle
import signal
import traceback
from typing import Any

from core.course import optimizer_from_state, optimizer_state, restore_state
from core.datasets.base import DataInfo, SequenceData
from core.errors import Failure, RNNLabError
from core.processes import exit_with_parent
from core.specs import Project
from core.training import TrainingControl, TrainingListener, train


def child_main(conn, stop, running, env: dict[str, str], changes=None) -> None:
    """Entry point of the child: import TensorFlow once, then serve runs until "quit" or EOF."""
    os.environ.update(env)
    # Ctrl+C in the terminal reaches the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()
    # At the window's own priority, unlike sweep workers (lower_priority). Niced, it trained
    # slower than the GUI's ~90 ms of CPU a second explains, likely because each of the GUI's
    # wake-ups preempts one of TensorFlow's threads mid-step. Measured 2026-12-03 with
    # bench_gui_training in turns: window/plain 0.83-0.87 at nice 10, 0.88 at 5, 0.93 at 0; the
    # window's longest gaps 27 ms at 10, 31-34 ms at 0 (goal 50).
    try:
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
        import keras  # noqa: F401
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises TrainingError
        conn.send(("fatal", traceback.format_exc()))
        return
    control = TrainingControl(stop=stop, running=running, changes=changes)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] == "quit":
            return
        if message[0] == "train":
            _serve_job(conn, message[1], message[2], control)
            gc.collect()
        elif message[0] == "call":
            _serve_call(conn, message[1], message[2], message[3])
            gc.collect()


class _ForwardingListener(TrainingListener):
    """Sends each event to the parent; keeps the failure message for the error report."""

    def __init__(self, conn, job_id: int) -> None:
        self.conn = conn
        self.job_id = job_id
        self.failed_message: str | None = None

    def on_run_started(self, event) -> None:
        self.conn.send(("event", self.job_id, "on_run_started", event))

    def on_batch_end(self, event) -> None:
        self.conn.send(("event", self.job_id, "on_batch_end", event))

    def on_epoch_end(self, event) -> None:
        self.conn.send(("event", self.job_id, "on_epoch_end", event))

    def on_settings_changed(self, event) -> None:
        self.conn.send(("event", self.job_id, "on_settings_changed", event))

    def on_paused(self, global_batch: int) -> None:
        self.conn.send(("event", self.job_id, "on_paused", global_batch))

    def on_finished(self, result) -> None:
        pass  # the parent calls it with the result it rebuilds

    def on_failed(self, message: str) -> None:
        self.failed_message = message


def _serve_job(conn, job_id: int, job: dict[str, Any], control) -> None:
    listener = _ForwardingListener(conn, job_id)
    control.take_changes()  # meant for a run that ended before it could use them
    try:
        project = Project.from_dict(job["project"], validate=False)
        info = DataInfo.from_dict(job["info"])
        data = SequenceData(job["x_train"], job["y_train"], job["x_val"], job["y_val"], info)
        model = None
        if "model_json" in job:
            import keras

            model = keras.models.model_from_json(job["model_json"])
            model.set_weights(job["model_weights"])
            state = job.get("optimizer_state")
            if state is not None:  # train() carries it into the new run's optimizer
                optimizer = optimizer_from_state(state)
                restore_state(optimizer, model.trainable_variables, state)
                model.compile(optimizer=optimizer)
        result = train(project, data, listener=listener, control=control, model=model)
        optimizer = result.model.optimizer
        payload = {
            "history": result.history.to_dict(),
            "stop_reason": result.stop_reason,
            "message": result.message,
            "epochs_run": result.epochs_run,
            "final_metrics": dict(result.final_metrics),
            "weights": result.model.get_weights(),
            "optimizer": optimizer_state(optimizer),
        }
        del result, model, data
        gc.collect()
        payload["rss_mb"] = rss_mb(os.getpid())
        reply = ("done", job_id, payload)
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
        reply = ("error", job_id, _describe_error(exc, listener.failed_message))
    conn.send(reply)


def _serve_call(conn, job_id: int, target: str, args: tuple) -> None:
    """Run ``module:function(*args)`` (``ProcessTrainer.call``) and send back its result or error."""
    try:
        module, _, name = target.partition(":")
        reply = ("done", job_id, getattr(importlib.import_module(module), name)(*args))
        conn.send(reply)
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
        conn.send(("error", job_id, _describe_error(exc, None)))


def _describe_error(exc: BaseException, failed_message: str | None) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    # Point at our own code (the last frame in core/ other than this relay), not deep inside Keras.
    package = os.path.dirname(os.path.abspath(__file__))
    ours = [f for f in frames if os.path.abspath(f.filename).startswith(package + os.sep)
            and os.path.abspath(f.filename) != os.path.abspath(__file__)]
    where = ""
    if ours or frames:
        last = (ours or frames)[-1]
        name = os.path.relpath(last.filename, os.path.dirname(package)) if ours else os.path.basename(last.filename)
        where = f" (in {last.name}, {name} line {last.lineno})"
    attrs = {}
    for key, value in vars(exc).items():
        try:
            pickle.dumps(value)
        except Exception:  # noqa: BLE001 - attributes that cannot travel are left behind
            continue
        attrs[key] = value
    return {
        "expected": isinstance(exc, RNNLabError),
        "module": type(exc).__module__,
        "name": type(exc).__qualname__,
        "message": str(exc),
        "attrs": attrs,
        "summary": Failure.from_exception(exc).message + where,
        "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        "failed_message": failed_message,
    }


def rss_mb(pid: int) -> float | None:
    """Resident memory of process ``pid`` in MiB; None when it cannot be read."""
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - the process may be gone; RSS is then unknown
        return None
    try:  # Linux without psutil
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None
