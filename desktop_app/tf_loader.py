"""TensorFlow, imported in the background once the window is on screen.

Importing TensorFlow takes seconds, so the window shows first and a plain thread imports it
(with Keras and core.training's device list). Until then, what needs TensorFlow either waits in
a queue (``when_ready``: opening a bundle, importing a .keras file) or is refused with a word
in the status bar (training). A plain Python thread, not a QThread: an import cannot be
interrupted, and the loader only has to report once.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from core.errors import Failure

# Joining the finished import thread never takes long; this only bounds a pathological case.
JOIN_TIMEOUT_S = 5.0

def _freeze_the_imports() -> None:
    """Move what the import made (~350,000 objects, as long-lived as the process) out of the
    collector's generations. Otherwise a full collection walks them all: measured 2026-12-02, one
    232 ms stop of the GUI thread, mid-training, every dozen runs or so (bench_responsiveness.py);
    afterwards a full collection walks ~2,000 objects per run held. A collection right after the
    import found no garbage, so freezing keeps nothing that would have been freed. Once per
    process: a later freeze would also keep earlier windows' garbage."""
    if gc.get_freeze_count() == 0:
        gc.freeze()


def short_tf_version(version: str) -> str:
    """ "2.21.0" -> "2.21"."""
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else version


class TensorFlowLoader(QObject):
    """Starts the import once; ``loaded`` or ``failed`` fires in the GUI thread when it is over."""

    loaded = Signal(str)  # the TensorFlow version
    failed = Signal(object)  # core.errors.Failure

    # Internal: carry the outcome from the import thread to the GUI thread (queued connections).
    _imported = Signal(str, object)
    _import_failed = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._ready = False
        self._version = ""
        self._devices: list[tuple[str, str]] = [("cpu", "CPU")]
        self._waiting: list[Callable[[], None]] = []
        self._closed = False
        self._imported.connect(self._on_imported)
        self._import_failed.connect(self._on_import_failed)

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def version(self) -> str:
        return self._version

    def devices(self) -> list[tuple[str, str]]:
        """(device id, label) pairs; the CPU alone until TensorFlow has loaded."""
        return list(self._devices)

    def device_label(self, device: str) -> str:
        """The name of a device id ("cpu", "gpu:0", ...) as the window shows it."""
        return dict(self._devices).get(device, "CPU" if device == "cpu" else device)

    def has_started(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Begin the import in the background (once; nothing after ``shutdown``)."""
        if self._ready or self._thread is not None or self._closed:
            return
        self._thread = threading.Thread(target=self._import, name="RNN Lab TensorFlow import", daemon=True)
        self._thread.start()

    def when_ready(self, callback: Callable[[], None]) -> bool:
        """Run ``callback`` now if TensorFlow is loaded (True), else once it is (False)."""
        if self._ready:
            callback()
            return True
        self._waiting.append(callback)
        self.start()
        return False

    def shutdown(self, wait_s: float) -> None:
        """Wait up to ``wait_s`` for an import in flight: Python crashes if one runs at exit."""
        self._closed = True
        self._waiting = []
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(wait_s)

    def _import(self) -> None:
        try:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import keras  # noqa: F401
            import tensorflow as tf

            from core import training

            _freeze_the_imports()
            self._imported.emit(str(tf.__version__), list(training.available_devices()))
        except Exception as exc:  # noqa: BLE001 - shown in the status bar and a dialog
            self._import_failed.emit(Failure.from_exception(exc, prefix="TensorFlow could not be loaded: "))

    def _on_imported(self, version: str, devices: list) -> None:
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
        self._ready = True
        self._version = version
        self._devices = [(str(d), str(label)) for d, label in devices] or [("cpu", "CPU")]
        self.loaded.emit(version)
        callbacks, self._waiting = self._waiting, []
        for callback in callbacks:
            callback()

    def _on_import_failed(self, failure: Failure) -> None:
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)
        self.failed.emit(failure)
