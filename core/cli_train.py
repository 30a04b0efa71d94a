"""``main.py train PROJECT.json --out MODEL.rnnlab [--set FIELD=VALUE ...] [--json]``.

Trains in this process (one run per process) with a line per epoch on stdout, then writes the
bundle and prints the run's verdicts and diagnosis as the window shows them. The bundle is
written whenever training ran: a first Ctrl-C stops after the current batch and saves, and a run
halted by a NaN loss saves its last finite weights, prints a warning on stderr and exits 0.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path
from typing import Any

from core.cli_common import EXIT_OK, error, finite, flow_array, fmt, jsonable, load_tensorflow, say, say_verdicts
from core.errors import ModelFileError, RNNLabError, SpecError
from core.files import located
from core.history import TrainingListener


def add_parser(sub: Any) -> None:
    """Register the ``train`` command on the main parser's subcommands."""
    train = sub.add_parser(
        "train", help="train a project and write the model bundle",
        description="Train PROJECT.json and write the trained model bundle to --out.",
    )
    train.add_argument("project", metavar="PROJECT.json", help="project file (settings only)")
    train.add_argument("--out", required=True, metavar="MODEL_FILE",
                       help="where to write the model bundle (.rnnlab)")
    train.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", type=_assignment,
                       help="override a project field by its dotted name, e.g. --set model.cell=GRU "
                            "--set training.epochs=5 (repeatable)")
    train.add_argument("--json", action="store_true",
                       help="end with one line: a JSON object of the final metrics")
    train.set_defaults(handler=run)


def _assignment(text: str) -> str:
    field, sep, _ = text.partition("=")
    if not sep or not field.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=VALUE (e.g. model.cell=GRU), received {text!r}")
    return text


def run(args) -> int:
    from core.datasets import build_dataset
    from core.datasets.windows import dataset_bytes
    from core.memory_estimate import require_training_memory
    from core.persistence import Bundle, save_bundle

    project = _project_to_train(args)
    out = Path(args.out)
    if not out.absolute().parent.is_dir():
        raise ModelFileError(f"{out}: cannot write the model bundle: the folder {out.absolute().parent} does not exist.")
    if out.is_dir():
        raise ModelFileError(f"{out}: cannot write the model bundle: a folder of that name exists.")

    data = build_dataset(project.dataset, project.model.io_mode)
    memory = require_training_memory(project, data.info, data.num_train, data.num_val,
                                     dataset_bytes=dataset_bytes(data))
    if memory.level == "warn":
        error(f"warning: {memory.message}")
    else:
        say(f"memory: {memory.message}")
    load_tensorflow()
    from core import models, training

    models.check_compatible(project.model, data.info)
    say(f"training {project.name!r}: {project.dataset.task} task, {data.num_train} training and "
        f"{data.num_val} validation samples, {project.model.cell} {project.model.io_mode}")
    for note in data.info.extra.get("notes", []):  # what was read from a user's file, as the window's preview
        say(f"  {note}")
    control = training.TrainingControl()
    listener = _ProgressListener()
    with _StopOnInterrupt(control):
        result = training.train(project, data, listener=listener, control=control)
    if listener.failure is not None:
        raise RNNLabError(f"training failed: {listener.failure}")
    save_bundle(out, Bundle(project=project, model=result.model, history=result.history, info=data.info))

    if result.stop_reason == "nan":
        error(f"warning: {result.message} (the last finite weights were saved)")
    elif result.stop_reason != "completed" and result.message:
        say(result.message)
    say(f"saved {out} ({result.epochs_run} epoch{'s' if result.epochs_run != 1 else ''}, {result.stop_reason})")
    say_verdicts(project, result.history, data.info, data.y_train)
    if args.json:
        summary: dict[str, Any] = {"loss": None, "val_loss": None}
        if data.info.kind == "classification":
            summary.update(accuracy=None, val_accuracy=None)
        summary.update({k: finite(v) for k, v in result.final_metrics.items()})
        summary.update(epochs_run=result.epochs_run, stop_reason=result.stop_reason, message=result.message,
                       model_file=str(out))
        print(json.dumps(jsonable(summary)), flush=True)
    return EXIT_OK


def _project_to_train(args):
    """The project file with the ``--set`` overrides, its paths made absolute for the bundle."""
    from core.persistence import load_project, resolve_project_paths

    project = load_project(args.project)
    for assignment in args.set:
        try:
            project = project.with_override(assignment)
        except SpecError as exc:
            raise located(exc, f"--set {assignment}") from None
    # A file given with --set is relative to the working directory; the bundle keeps it absolute.
    return resolve_project_paths(project, None)


class _ProgressListener(TrainingListener):
    """One line per epoch on stdout, flushed so a pipe sees progress as it happens."""

    def __init__(self):
        self.failure: str | None = None

    def on_run_started(self, event):
        say(f"{event.epochs} epochs x {event.batches_per_epoch} batches on {event.device_name}")

    def on_epoch_end(self, event):
        width = len(str(event.epochs))
        parts = [f"epoch {event.epoch:>{width}}/{event.epochs}"]
        for key, value in event.logs.items():
            parts.append(f"{key} {fmt(value)}")
        flow = flow_array(event.gradient_flow)
        if flow.size >= 2 and flow[-1] > 0:
            from core.diagnostics import flow_verdict

            parts.append(f"grad-flow first/last {flow[0] / flow[-1]:.2g} ({flow_verdict(flow).kind})")
        parts.append(f"{event.elapsed_s:.1f}s")
        say("  ".join(parts))

    def on_failed(self, message):
        self.failure = message


class _StopOnInterrupt:
    """First Ctrl-C stops training after the current batch (the model is still saved); second aborts."""

    def __init__(self, control):
        self.control = control
        self.previous = None

    def _handler(self, signum, frame):
        if self.control.stop_requested:
            raise KeyboardInterrupt
        error("stopping after this batch (Ctrl-C again to abort without saving)")
        self.control.request_stop()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False
