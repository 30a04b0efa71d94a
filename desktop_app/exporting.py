"""File > Export ONNX… and File > Export TensorBoard logs…: the window's side of core.exports.

ONNX conversion takes seconds to minutes in a child process (core.onnx_export), so the window
reads the model in the GUI thread (the thread that owns it), waits for the child in a plain
Python thread and hears back through a signal; the status bar says what is happening meanwhile.
One export at a time; closing the window cancels it (``shutdown``). TensorBoard event files are
written at once: a history is a few thousand numbers.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from core.errors import ExportError, Failure, RNNLabError
from core.model_fit import same_dataset_layout
from desktop_app import dialogs

ONNX_FILTER = "ONNX model (*.onnx)"
NOTHING_TO_EXPORT = "Train a model (or open one) first."


class OnnxExporter(QObject):
    """Runs one ONNX export at a time for a window; ``finished``/``failed`` arrive in the GUI thread."""

    finished = Signal(object, object)  # core.onnx_export.OnnxReport, the data facts' path (or None)
    failed = Signal(object)  # core.errors.Failure

    def __init__(self, window: Any):
        super().__init__(window)
        self.setObjectName("onnxExporter")
        self._window = window
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self.finished.connect(self._on_finished)
        self.failed.connect(self._on_failed)

    def is_busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, path: str | Path) -> bool:
        """Export the current model to ``path``; False (and a word why) if it cannot start."""
        from core.exports import ONNX_METADATA_KEY, data_facts
        from core.onnx_export import check_onnx_path, onnx_job

        window = self._window
        if self.is_busy():
            window.show_status("An ONNX export is already running: wait for it to finish.")
            return False
        record = window.document.model_record()
        if record is None:
            _error(window, "Nothing to export", NOTHING_TO_EXPORT)
            return False
        data = window.current_data()
        matching = data is not None and record.info is not None and same_dataset_layout(data.info, record.info)
        try:
            path = check_onnx_path(path)
            metadata = {ONNX_METADATA_KEY: json.dumps(data_facts(record.info))} if record.info is not None else {}
            x_check, source = (data.x_val, "validation samples") if matching and data.num_val else (None, "random inputs")
            job = onnx_job(record.model, x_check, source, metadata)
        except RNNLabError as exc:
            _error(window, "Cannot export to ONNX", str(exc))
            return False
        self._cancel.clear()
        self._thread = threading.Thread(target=self._run, args=(job, path, record.info), name="rnnlab-onnx-export",
                                        daemon=True)
        self._thread.start()
        window.show_status(f"Exporting run {record.label} to {path.name}: converting and checking against Keras…")
        return True

    def _run(self, job: dict, path: Path, info: Any) -> None:
        from core.exports import write_data_facts
        from core.onnx_export import run_onnx_job

        try:
            report = run_onnx_job(job, path, cancel=self._cancel)
            facts = write_data_facts(path, info) if info is not None else None
        except ExportError as exc:
            self.failed.emit(Failure(str(exc), details=exc.details))
            return
        except RNNLabError as exc:
            self.failed.emit(Failure(str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - shown with its traceback, the app goes on
            self.failed.emit(Failure.from_exception(exc))
            return
        self.finished.emit(report, facts)

    def _on_finished(self, report, facts) -> None:
        self._window.show_status(report.summary()[0].upper() + report.summary()[1:]
                                 + (f"; how to feed it: {facts.name}" if facts is not None else "") + ".")

    def _on_failed(self, failure: Failure) -> None:
        if self._cancel.is_set():
            return
        _error(self._window, "Cannot export to ONNX", failure.message, failure.details)
        self._window.show_status(f"ONNX export failed: {failure.message}")

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Cancel an export in progress and wait for its thread (the child is ended with it)."""
        self._cancel.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)


def exporter(window: Any) -> OnnxExporter:
    """The window's ONNX exporter, made on first use."""
    found = window.findChild(OnnxExporter, "onnxExporter")
    return found if found is not None else OnnxExporter(window)


def export_onnx_dialog(window: Any) -> None:
    if window.document.model_record() is None:
        _error(window, "Nothing to export", NOTHING_TO_EXPORT)
        return
    path = dialogs.ask_save_path(window, "Export to ONNX", str(window.document.suggested_path(".onnx")), ONNX_FILTER)
    if path:
        exporter(window).start(Path(path).with_suffix(".onnx"))


def export_tensorboard_dialog(window: Any) -> None:
    record = window.document.model_record()
    if record is None or record.history is None or not record.history.epochs:
        _error(window, "Nothing to export", "TensorBoard shows a run's training history: train a model "
               "(or open a model bundle) first.")
        return
    folder = QFileDialog.getExistingDirectory(window, "Export TensorBoard logs into a folder",
                                              str(window.document.suggested_path("").parent))
    if folder:
        export_tensorboard(window, folder)


def export_tensorboard(window: Any, folder: str | Path) -> bool:
    """Write the current run's history as event files under ``folder``; False (with a dialog) on failure."""
    from core.exports import write_tensorboard

    record = window.document.model_record()
    if record is None:
        _error(window, "Nothing to export", NOTHING_TO_EXPORT)
        return False
    name = window.document.suggested_path("").name or "run"
    try:
        report = write_tensorboard(folder, f"{name} {record.label}", record.history, model=record.model,
                                   project=record.project)
    except RNNLabError as exc:
        _error(window, "Cannot export TensorBoard logs", str(exc))
        return False
    window.show_status(report.summary()[0].upper() + report.summary()[1:] + ".")
    return True


def _error(window: Any, title: str, message: str, details: str = "") -> None:
    # Through the document's signal, like every file action's error: the window shows the dialog.
    window.document.failed.emit(title, Failure(message, details=details))


def shutdown(window: Any) -> None:
    found = window.findChild(OnnxExporter, "onnxExporter")
    if found is not None:
        found.shutdown()
