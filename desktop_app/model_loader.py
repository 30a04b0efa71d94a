"""Opening model files away from the window.

A model file from elsewhere can ask for all the memory there is. core's pre-checks come first,
without TensorFlow (a zip bomb, a config asking for more weights than the file or the memory
holds, code in the model); then the model is read in the training child process
(``core.model_transfer.read_model_file`` through ``ProcessTrainer.call``) and only its config and
weights come back, to be rebuilt here. A file that slips past the checks and blows up ends that
process, not the window and the user's unsaved runs: the user reads "the file could not be
opened: the process loading it was killed (out of memory?)", and the next run starts a fresh one.

The caller waits; the window does not freeze: the work runs in a thread while a local event loop
keeps the window painting (user input waits until the file is open), and a progress dialog
appears if it takes a while.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from core.errors import ModelFileError, ProcessDiedError

# What the child runs: "module:function", called with (path, kind).
READ_TARGET = "core.model_transfer:read_model_file"
PROGRESS_DELAY_MS = 400
_POLL_MS = 15


def precheck(path: Path, kind: str) -> None:
    """What the loaders refuse before Keras reads the file, here, without TensorFlow: a missing
    file or one of another kind (saying what it is), a zip bomb, a model too big to build, code."""
    from core.bundles import check_bundle_file
    from core.keras_files import check_keras_file

    if kind == "keras":
        check_keras_file(path)
    else:
        check_bundle_file(path)


def read_model_file(path: Path, kind: str, parent: QWidget | None = None) -> dict[str, Any]:
    """``core.model_transfer.read_model_file(path, kind)``'s plain data, read in the training
    child after the pre-checks; an RNNLabError (the file's problem, or why it could not be read)."""
    from desktop_app.worker import shared_trainer

    def work() -> dict[str, Any]:
        precheck(path, kind)
        return shared_trainer().call(READ_TARGET, str(path), kind)

    try:
        return run_while_painting(work, f"Opening {path.name}…", parent)
    except ProcessDiedError as exc:
        how = "was killed (out of memory?)" if exc.killed else f"ended unexpectedly (exit code {exc.exit_code})"
        raise ModelFileError(
            f"{path}: the file could not be opened: the process loading it {how}. The window and its runs "
            "are unharmed. The model may be far larger than this computer's memory, or the file damaged."
        ) from None


def run_while_painting(work: Callable[[], Any], label: str, parent: QWidget | None = None) -> Any:
    """``work()`` in a thread; the caller waits while the window keeps painting. Its result, or
    its exception raised here."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome["error"] = exc

    progress = QProgressDialog(label, "", 0, 0, parent)
    progress.setWindowTitle("RNN Lab")
    progress.setCancelButton(None)  # a read in the child cannot be interrupted half way
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    progress.setMinimumDuration(PROGRESS_DELAY_MS)
    thread = threading.Thread(target=target, name="rnnlab-model-reader", daemon=True)
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(_POLL_MS)
    timer.timeout.connect(lambda: None if thread.is_alive() else loop.quit())
    thread.start()
    timer.start()
    try:
        if thread.is_alive():
            # Clicks and keys wait for the end (nothing may start meanwhile); paints and timers go on.
            loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    finally:
        timer.stop()
        thread.join()
        progress.reset()
        progress.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
