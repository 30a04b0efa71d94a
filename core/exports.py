"""Exports other tools read: a plain ``.keras`` model, ONNX, and TensorBoard event files.

Shared by File > Export in the window and ``main.py export MODEL OUT [--format F]``:

* ``.keras``: the plain Keras model (``keras.saving.load_model`` reads it without RNN Lab);
* ``.onnx``: converted and checked against Keras by ``core.onnx_export``;
* ``tensorboard``: the run's history as event files (``tensorboard --logdir DIR`` shows them).

A model file exported from a trained run gets its data facts next to it (``MODEL.keras.data.json``,
``MODEL.onnx.data.json``; the ONNX file also carries them in its metadata): the model was trained
on normalised inputs and gives normalised outputs, and without the statistics and names nothing
says how to feed it or read its answer. Event files are written with ``tf.summary.write`` and the
metadata of TensorBoard's scalars, histograms and text plugins: ``tf.summary.scalar`` and its
siblings live in the tensorboard package, which the app does not need. Nothing here imports
TensorFlow at module level.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.atomic import atomic_write
from core.errors import ExportError, ModelFileError

EXPORT_FORMATS = ("keras", "onnx", "tensorboard")
_SUFFIX_FORMATS = {".keras": "keras", ".onnx": "onnx"}
DATA_FACTS_SUFFIX = ".data.json"
DATA_FACTS_FORMAT = "rnn-lab-data-facts"
ONNX_METADATA_KEY = "rnn_lab.data_facts"


def resolve_format(out: str | os.PathLike, fmt: str | None) -> str:
    """The export format for ``out``: as given, or from its suffix (.keras, .onnx). Checked before
    anything heavy loads, so a typo costs nothing."""
    suffix = Path(out).suffix.lower()
    folder = Path(out).absolute().parent
    if fmt != "tensorboard" and not folder.is_dir():
        raise ModelFileError(f"{out}: cannot write the export: the folder {folder} does not exist.")
    if fmt is None:
        if suffix in _SUFFIX_FORMATS:
            return _SUFFIX_FORMATS[suffix]
        raise ModelFileError(f"{out}: an exported model must end in .keras or .onnx (TensorBoard event files go "
                             "into a folder: --format tensorboard).")
    if fmt not in EXPORT_FORMATS:
        raise ModelFileError(f"--format {fmt}: expected one of {', '.join(EXPORT_FORMATS)}.")
    if fmt == "tensorboard":
        if Path(out).is_file():
            raise ModelFileError(f"{out}: TensorBoard export writes into a folder, and this is a file.")
        return fmt
    wanted = {v: k for k, v in _SUFFIX_FORMATS.items()}[fmt]
    if suffix != wanted:
        raise ModelFileError(f"{out}: --format {fmt} writes a file ending in {wanted}.")
    return fmt


# --- data facts: how to feed the exported model and read its answer ----------------------------


def data_facts(info: Any) -> dict[str, Any]:
    """What the model's inputs and outputs mean: shapes, names, and the normalisation to undo."""
    facts: dict[str, Any] = {
        "format": DATA_FACTS_FORMAT, "version": 1, "task": info.task, "io_mode": info.io_mode, "kind": info.kind,
        "input": {"shape": ["batch", *info.input_shape], "kind": info.input_kind},
        "output": {"shape": ["batch", *info.output_shape]},
    }
    norm = info.normalization or {}
    if info.input_kind == "tokens":
        facts["input"]["vocabulary"] = list(info.vocabulary)
        facts["input"]["how"] = "each input step is a token id: the index of the token in this vocabulary"
    else:
        facts["input"]["features"] = list(info.feature_names)
        _scaling(facts["input"], info.x_stats() if "x_mean" in norm else None,
                 "feed (x - mean) / std, per feature (the last axis)", "feed the values as they are (no normalisation)")
    if info.kind == "classification":
        facts["output"]["classes"] = list(info.class_names)
        facts["output"]["how"] = "the last axis holds the probability of each class, in this order"
    else:
        facts["output"]["targets"] = list(info.target_names)
        _scaling(facts["output"], (norm["y_mean"], norm["y_std"]) if "y_mean" in norm else None,
                 "read y * std + mean, per target (the last axis)", "the values are in the data's own units")
    return facts


def _scaling(side: dict[str, Any], stats, normalized_how: str, plain_how: str) -> None:
    """How one side's values were scaled: ``stats`` is (mean, std) per feature, None if they were not."""
    if stats is None:
        side["how"] = plain_how
        return
    mean, std = stats
    side["normalization"] = {"mean": [float(v) for v in mean], "std": [float(v) for v in std]}
    side["how"] = normalized_how


def data_facts_path(model_path: str | os.PathLike) -> Path:
    model_path = Path(model_path)
    return model_path.with_name(model_path.name + DATA_FACTS_SUFFIX)


def write_data_facts(model_path: str | os.PathLike, info: Any) -> Path:
    """Write ``MODEL.keras.data.json`` (or ``.onnx.data.json``) next to an exported model."""
    path = data_facts_path(model_path)
    text = json.dumps({"model": Path(model_path).name, **data_facts(info)}, indent=1) + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), what="data facts")
    return path


# --- TensorBoard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TensorBoardReport:
    run_dir: Path
    epochs: int
    batches: int
    histograms: int

    def summary(self) -> str:
        extra = f", histograms of {self.histograms} weights" if self.histograms else ""
        return (f"wrote TensorBoard event files to {self.run_dir} ({self.epochs} epochs, {self.batches} batches"
                f"{extra}); view them with: tensorboard --logdir {self.run_dir.parent}")


def free_run_dir(logdir: str | os.PathLike, name: str) -> Path:
    """``logdir/NAME`` for a new run, never one an earlier export wrote (NAME-2, NAME-3, ...): event
    files of two exports in one folder would be shown as one run with every point twice."""
    logdir = Path(logdir)
    if logdir.exists() and not logdir.is_dir():
        raise ModelFileError(f"{logdir}: TensorBoard export writes into a folder, and this is a file.")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "run"
    candidate, n = logdir / safe, 1
    while candidate.exists():
        n += 1
        candidate = logdir / f"{safe}-{n}"
    return candidate


def write_tensorboard(logdir: str | os.PathLike, name: str, history: Any, *, model: Any = None,
                      project: Any = None) -> TensorBoardReport:
    """The run's history as TensorBoard event files under ``logdir/NAME`` (see ``free_run_dir``).

    Like Keras' TensorBoard callback, ``train`` and ``validation`` sub-runs hold ``epoch_loss`` and
    the other per-epoch metrics, so TensorBoard overlays the two curves. ``train`` also holds the
    per-batch loss and gradient norms (``batch_loss``, ``gradient_norm/LAYER``,
    ``gradient_norm/LAYER/WEIGHT``), the gradient flow's first/last ratio per epoch, the project as
    text and, given the model, a histogram of each weight at the last epoch.
    """
    if history is None or not history.epochs:
        raise ExportError("There is no training history to export: train the model (or open a model bundle) first.")
    import numpy as np
    import tensorflow as tf

    run_dir = free_run_dir(logdir, name)
    try:
        run_dir.mkdir(parents=True)
    except OSError as exc:
        raise ModelFileError(f"{run_dir}: cannot write TensorBoard event files: {exc.strerror or exc}.") from None
    epochs = len(history.epochs)
    histograms = 0
    train = tf.summary.create_file_writer(str(run_dir / "train"))
    validation = tf.summary.create_file_writer(str(run_dir / "validation"))
    complete = False
    try:
        for epoch, logs in enumerate(history.epochs, start=1):
            for key, value in logs.items():
                writer, metric = (validation, key[4:]) if key.startswith("val_") else (train, key)
                _scalar(writer, f"epoch_{metric}", value, epoch)
            if epoch <= len(history.gradient_flow):
                flow = np.asarray(history.gradient_flow[epoch - 1], dtype=float)
                if flow.size >= 2 and flow[-1] > 0:
                    _scalar(train, "gradient_flow/first_over_last", flow[0] / flow[-1], epoch)
        for step, value in enumerate(history.batch_loss, start=1):
            _scalar(train, "batch_loss", value, step)
        for prefix, table in (("gradient_norm", history.layer_norms), ("gradient_norm", history.weight_norms)):
            for key, values in table.items():
                for step, value in enumerate(values, start=1):
                    _scalar(train, f"{prefix}/{key}", value, step)
        if project is not None:
            _write(train, "project", tf.constant("```\n" + project.to_json() + "\n```"), epochs, "text")
        for weight in model.weights if model is not None else ():
            _write(train, f"weights/{weight.path}", _histogram(weight.numpy()), epochs, "histograms")
            histograms += 1
        complete = True
    except (OSError, tf.errors.OpError) as exc:
        raise ModelFileError(f"{run_dir}: cannot write TensorBoard event files: {exc}.") from None
    finally:
        for writer in (train, validation):
            writer.close()
        if not complete:
            # Half a run would show in TensorBoard as if it were the whole one.
            shutil.rmtree(run_dir, ignore_errors=True)
    return TensorBoardReport(run_dir, epochs, len(history.batch_loss), histograms)


def _scalar(writer, tag: str, value: Any, step: int) -> None:
    """One point; a missing or non-finite value (a diverged batch) is left out, as TensorBoard cannot draw it."""
    import tensorflow as tf

    if value is None or not math.isfinite(float(value)):
        return
    _write(writer, tag, tf.constant(float(value), dtype=tf.float32), step, "scalars")


def _write(writer, tag: str, tensor: Any, step: int, plugin: str) -> None:
    """What tf.summary.scalar/histogram/text write: the tensor, tagged for the plugin that draws it."""
    import tensorflow as tf

    metadata = tf.compat.v1.SummaryMetadata()
    metadata.plugin_data.plugin_name = plugin
    with writer.as_default():
        tf.summary.write(tag, tensor, step=step, metadata=metadata)


def _histogram(values: Any, bins: int = 30):
    """TensorBoard's histogram tensor: one row (left edge, right edge, count) per bucket."""
    import numpy as np
    import tensorflow as tf

    values = np.asarray(values, dtype=np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=bins) if values.size else (np.zeros(0), np.zeros(1))
    return tf.constant(np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1))


# --- one call for the command line -----------------------------------------------------------


def export_file(model_path: str | os.PathLike, out: str | os.PathLike, fmt: str) -> list[str]:
    """``main.py export``: load a bundle (or a plain .keras model) and write ``out`` as ``fmt``.

    Returns the lines to print. Every problem is an RNNLabError naming the file.
    """
    from core.persistence import import_keras, is_bundle, load_bundle

    bundle = load_bundle(model_path) if is_bundle(model_path) else None
    if fmt == "tensorboard":
        if bundle is None:
            raise ModelFileError(f"{model_path}: a plain .keras model has no training history; TensorBoard "
                                 "export needs a model bundle (.rnnlab).")
        report = write_tensorboard(out, Path(model_path).stem, bundle.history, model=bundle.model,
                                   project=bundle.project)
        return [report.summary()]
    model = bundle.model if bundle is not None else import_keras(model_path)
    info = bundle.info if bundle is not None else None
    lines = []
    if fmt == "keras":
        from core.persistence import export_keras

        export_keras(model, out)
        lines.append(f"exported {out}: a plain Keras model (keras.saving.load_model reads it without RNN Lab)")
    else:
        from core.onnx_export import onnx_job, run_onnx_job

        x_check, source, note = (None, "random inputs", "") if bundle is None else validation_inputs(bundle)
        metadata = {ONNX_METADATA_KEY: json.dumps(data_facts(info))} if info is not None else {}
        report = run_onnx_job(onnx_job(model, x_check, source, metadata), out)
        lines.append(report.summary() + (f" ({note})" if note else ""))
    if info is not None:
        lines.append(f"wrote {write_data_facts(out, info)}: the normalisation and names the model's inputs and "
                     "outputs need")
    else:
        lines.append("no data facts written: a plain .keras model does not say how its inputs were normalised")
    return lines


def validation_inputs(bundle: Any) -> tuple[Any, str, str]:
    """The bundle's validation inputs to check an export on (training inputs when the project keeps
    none), or (None, "random inputs", why) when its data cannot be rebuilt here."""
    from core.datasets import build_dataset
    from core.errors import RNNLabError
    from core.model_fit import same_shapes

    try:
        data = build_dataset(bundle.project.dataset, bundle.project.model.io_mode)
    except (RNNLabError, OSError) as exc:
        return None, "random inputs", f"the project's data could not be rebuilt: {exc}"
    if not same_shapes(data.info, bundle.info):
        return None, "random inputs", "the project's data no longer has the model's shapes"
    if data.num_val:
        return data.x_val, "validation samples", ""
    return data.x_train, "training samples", "the project keeps no validation samples"
