"""ONNX export: tf2onnx converts the Keras model in a CPU-only child process, onnxruntime checks
the result against Keras on the same inputs, and only a file that agrees is written.

Why a child process: converting freezes the model into a TensorFlow graph in the process that
does it (seconds of work, memory TensorFlow never returns, and on a GPU machine GPU memory next
to the training process's), and a converter that crashes would take its process with it. A
spawned child that sees no GPU keeps all of that away from the window and from training.

Keras 3 models are converted through a ``tf.function`` with an input signature
(``tf2onnx.convert.from_function``); ``from_keras`` expects Keras 2 internals. Every cell, I/O
mode, stack depth, bidirectional wrapper and embedding RNN Lab builds converts this way (checked
by tests/core/test_exports.py). A model that does not is refused with the converter's reason,
and one whose ONNX outputs differ from Keras by more than ``TOLERANCE`` is not written.

Split for the window: ``onnx_job`` reads the model in the caller's thread (the thread that owns
it), ``run_onnx_job`` blocks on the child and may run in any thread.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.atomic import atomic_write
from core.errors import ExportError, ModelFileError, ProcessDiedError
from core.processes import child_context, end_process

ONNX_SUFFIX = ".onnx"
ONNX_OPSET = 17
TOLERANCE = 1e-4
# Samples compared between Keras and onnxruntime: enough to catch a wrong op, few enough to be quick.
CHECK_SAMPLES = 256
RANDOM_TIME_STEPS = 8
PACKAGES = {"tf2onnx": "tf2onnx", "onnx": "onnx", "onnxruntime": "onnxruntime"}
INSTALL_HINT = "pip install \"rnn-lab[onnx]\" (in this folder: .venv/bin/pip install -e \".[onnx]\")"
# The child's own lines (tf2onnx's log, TensorFlow's) kept for the error details.
LOG_TAIL_CHARS = 6000


@dataclass(frozen=True)
class OnnxReport:
    path: str
    opset: int
    samples: int
    source: str  # what the outputs were compared on, in words
    max_abs_diff: float
    seconds: float

    def summary(self) -> str:
        return (f"exported {self.path}: ONNX (opset {self.opset}); onnxruntime matches Keras on {self.samples} "
                f"{self.source} (max abs difference {self.max_abs_diff:.1e}, allowed {TOLERANCE:.0e})")


def missing_packages() -> list[str]:
    return [name for name, module in PACKAGES.items() if importlib.util.find_spec(module) is None]


def check_onnx_path(path: str | os.PathLike) -> Path:
    """``path`` if an ONNX file can be written there; a ModelFileError naming the problem otherwise."""
    path = Path(path)
    if path.suffix.lower() != ONNX_SUFFIX:
        raise ModelFileError(f"{path}: an ONNX model file must end in {ONNX_SUFFIX}.")
    folder = path.absolute().parent
    if not folder.is_dir():
        raise ModelFileError(f"{path}: cannot write the ONNX model: the folder {folder} does not exist.")
    if path.is_dir():
        raise ModelFileError(f"{path}: cannot write the ONNX model: a folder of that name exists.")
    return path


def onnx_job(model: Any, x_check: Any = None, source: str = "validation samples",
             metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """What the child needs, read from ``model`` in the calling thread: its architecture, weights,
    the inputs to compare on (None: random inputs of the model's shape) and the file's metadata."""
    missing = missing_packages()
    if missing:
        raise ExportError(f"ONNX export needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                          f"not installed: {INSTALL_HINT}.")
    import numpy as np

    if x_check is not None:
        x_check = [np.asarray(x)[:CHECK_SAMPLES] for x in (x_check if isinstance(x_check, list) else [x_check])]
    return {"config": model.to_json(), "weights": model.get_weights(), "x_check": x_check, "source": source,
            "metadata": dict(metadata or {})}


def run_onnx_job(job: dict[str, Any], path: str | os.PathLike, *, cancel: Any = None) -> OnnxReport:
    """Convert and check in a child process, then write ``path`` atomically. ``cancel`` (an Event)
    ends the child early: ExportError("cancelled")."""
    path = check_onnx_path(path)
    started = time.monotonic()
    ctx = child_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child_main, args=(sender, job), name="rnnlab-onnx-export", daemon=True)
    process.start()
    sender.close()  # else a dead child would never read as end of file
    try:
        reply = _wait_for_reply(process, receiver, cancel)
    finally:
        receiver.close()
        end_process(process, 0.5)
    if reply[0] == "error":
        _, expected, message, details = reply
        raise ExportError(message if expected else f"The model could not be converted to ONNX: {message}", details)
    _, data, diff, samples = reply
    atomic_write(path, lambda fh: fh.write(data), what="ONNX model")
    return OnnxReport(str(path), ONNX_OPSET, samples, job["source"], diff, time.monotonic() - started)


def _wait_for_reply(process, receiver, cancel) -> tuple:
    while True:
        if cancel is not None and cancel.is_set():
            raise ExportError("The ONNX export was cancelled.")
        if receiver.poll(0.1):
            try:
                return receiver.recv()
            except (EOFError, OSError):
                pass  # the child died mid-send: reported below
        if not process.is_alive() and not receiver.poll(0):
            process.join(1.0)
            code = process.exitcode
            raise ProcessDiedError(f"The ONNX conversion process ended without an answer (exit code {code}); "
                                   "the model may be too large for the memory left.", code)


# --- the child ---------------------------------------------------------------------------------


def _child_main(conn, job: dict[str, Any]) -> None:
    """Convert and check with no GPU in sight; the converter's chatter goes to a log, not the terminal."""
    os.environ["CUDA_VISIBLE_DEVICES"] = "-1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Ctrl+C reaches the whole process group; the parent decides when this ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            data, diff, samples = convert_and_check(job)
            reply: tuple = ("done", data, diff, samples)
        except ExportError as exc:
            reply = ("error", True, str(exc), _details(exc, log))
        except BaseException as exc:  # noqa: BLE001 - every failure is reported to the parent
            reply = ("error", False, f"{type(exc).__name__}: {_first_line(exc)}", _details(exc, log))
    conn.send(reply)
    conn.close()


def _details(exc: BaseException, log) -> str:
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    log.seek(0, os.SEEK_END)
    size = log.tell()
    log.seek(max(0, size - LOG_TAIL_CHARS))
    tail = log.read().decode("utf-8", errors="replace").strip()
    return trace + ("\nConverter log (last lines):\n" + tail if tail else "")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "no message"


def convert_and_check(job: dict[str, Any]) -> tuple[bytes, float, int]:
    """The ONNX file's bytes, the largest difference from Keras and the samples compared.

    Runs wherever it is called (the child, or a test's own process)."""
    import logging

    import keras
    import numpy as np
    import onnx
    import onnxruntime
    import tensorflow as tf
    import tf2onnx
    import tf2onnx.convert

    tf2onnx.logging.set_level(logging.ERROR)
    model = keras.models.model_from_json(job["config"])
    model.set_weights(job["weights"])
    x_check = job["x_check"] if job["x_check"] is not None else probe_inputs(model)
    signature = [tf.TensorSpec((None, *tuple(t.shape)[1:]), t.dtype, name=t.name) for t in model.inputs]

    def call(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    try:
        proto, _ = tf2onnx.convert.from_function(tf.function(call, input_signature=signature),
                                                 input_signature=signature, opset=ONNX_OPSET)
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises anything for an op it cannot convert
        raise ExportError(f"tf2onnx cannot convert this model: {type(exc).__name__}: {_first_line(exc)}",
                          traceback.format_exc()) from None
    _name_outputs(proto, [t.name for t in model.outputs])
    onnx.helper.set_model_props(proto, job["metadata"])
    proto.producer_name = "RNN Lab (tf2onnx)"
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()

    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {spec.name: np.asarray(x).astype(spec.dtype.as_numpy_dtype) for spec, x in zip(signature, x_check)}
    ours = session.run(None, feeds)
    theirs = model.predict(x_check if len(x_check) > 1 else x_check[0], verbose=0)
    theirs = theirs if isinstance(theirs, (list, tuple)) else [theirs]
    return data, check_agreement(theirs, ours), int(len(x_check[0]))


def _name_outputs(proto, names: list[str]) -> None:
    """tf2onnx names outputs after graph tensors ("Identity:0"); give them the Keras output names."""
    for output, name in zip(proto.graph.output, names):
        old = output.name
        for node in proto.graph.node:
            node.output[:] = [name if o == old else o for o in node.output]
            node.input[:] = [name if i == old else i for i in node.input]
        output.name = name


def check_agreement(keras_outputs: list, onnx_outputs: list, tolerance: float = TOLERANCE) -> float:
    """The largest absolute difference between the two models' outputs; ExportError above ``tolerance``."""
    import numpy as np

    if len(keras_outputs) != len(onnx_outputs):
        raise ExportError(f"The ONNX model has {len(onnx_outputs)} outputs where the Keras model has "
                          f"{len(keras_outputs)}: not written.")
    worst = 0.0
    for k, (a, b) in enumerate(zip(keras_outputs, onnx_outputs)):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise ExportError(f"Output {k + 1} of the ONNX model has shape {b.shape}, Keras gives {a.shape}: "
                              "not written.")
        if a.size == 0:
            continue
        diff = np.abs(a - b)
        diff = np.where(np.isnan(a) & np.isnan(b), 0.0, diff)  # NaN in both agrees
        if not np.all(np.isfinite(diff)) or float(diff.max()) > tolerance:
            sample = int(np.unravel_index(int(np.nanargmax(np.where(np.isfinite(diff), diff, np.inf))),
                                          diff.shape)[0])
            worst_here = float(np.nanmax(diff))
            raise ExportError(f"The ONNX model disagrees with Keras: output {k + 1} differs by {worst_here:.3g} "
                              f"on sample {sample + 1} (allowed {tolerance:g}); the file was not written.")
        worst = max(worst, float(diff.max()))
    return worst


def probe_inputs(model: Any, samples: int = 64, seed: int = 0) -> list:
    """Random inputs of the model's shapes: token ids below the first embedding's vocabulary,
    standard normal values otherwise. For a model that comes without its data."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = next((int(layer.input_dim) for layer in model.layers if hasattr(layer, "input_dim")), 2)
    found = []
    for tensor in model.inputs:
        shape = [samples] + [RANDOM_TIME_STEPS if d is None else int(d) for d in tuple(tensor.shape)[1:]]
        if "int" in str(tensor.dtype):
            found.append(rng.integers(0, vocab, size=shape).astype(str(tensor.dtype)))
        else:
            found.append(rng.standard_normal(shape).astype("float32"))
    return found
