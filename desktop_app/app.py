"""Start-up: the QApplication, the crash hook, the window, then TensorFlow in the background.

The window must be on screen before TensorFlow (3 s to import on a small machine) has loaded:
nothing imported here pulls in TensorFlow, and the import starts in a background thread only
once the window has been exposed, so it does not compete with the first paint.

``RNN_LAB_REPORT_SHOWN=1`` prints ``RNN_LAB_WINDOW_SHOWN <unix time> tensorflow_loaded=0|1`` when
the window has been exposed and painted, then ``RNN_LAB_TENSORFLOW_READY`` (Train is enabled) and
``RNN_LAB_RUN_ENDED <status> <label>`` when a run ends (the real-X test); ``RNN_LAB_QUIT_WHEN_SHOWN=1`` exits right after showing (bench_cold_start.py).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

ORGANIZATION = "RNN Lab"
APPLICATION = "RNN Lab"
DESKTOP_FILE = "rnn-lab"
# Fallback for a window that is never exposed (started minimised): load TensorFlow anyway.
TF_LOAD_FALLBACK_MS = 1500


class _CrashRelay(QObject):
    """Carries exceptions from any thread to the GUI thread, where the dialog can be shown."""

    crashed = Signal(object, object, object)


_relay: _CrashRelay | None = None


def _dialog_parent() -> QWidget | None:
    app = QApplication.instance()
    if app is None:
        return None
    window = app.activeWindow()
    if window is not None:
        return window
    for widget in app.topLevelWidgets():
        if widget.objectName() == "mainWindow" and widget.isVisible():
            return widget
    return None


def _show_crash(exc_type, exc, tb) -> None:
    from core.errors import RNNLabError
    from desktop_app import dialogs

    parent = _dialog_parent()
    if isinstance(exc, RNNLabError):
        # An expected problem that escaped its handler: the message is meant for the user.
        dialogs.show_error(parent, "RNN Lab", str(exc), warning=True)
        return
    dialogs.CrashDialog.report(parent, exc_type, exc, tb)


def crash_hook(exc_type, exc, tb) -> None:
    """sys.excepthook: print the traceback, show it in a dialog, keep the app running."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        app = QApplication.instance()
        if app is not None:
            app.quit()
        return
    traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
    if QApplication.instance() is None or _relay is None:
        return
    if threading.current_thread() is threading.main_thread():
        try:
            _show_crash(exc_type, exc, tb)
        except Exception:  # noqa: BLE001 - the hook itself must never raise
            traceback.print_exc()
    else:
        _relay.crashed.emit(exc_type, exc, tb)


def _thread_hook(args) -> None:
    if args.exc_type is SystemExit:
        return
    crash_hook(args.exc_type, args.exc_value, args.exc_traceback)


def install_crash_hook() -> None:
    """Route unexpected exceptions (GUI thread and Python threads) to the crash dialog."""
    global _relay
    if _relay is None:
        _relay = _CrashRelay()
        _relay.crashed.connect(_show_crash)
    sys.excepthook = crash_hook
    threading.excepthook = _thread_hook


class _FirstExpose(QObject):
    """Calls back once, after the window's first expose event has been handled (painted)."""

    def __init__(self, callback):
        super().__init__()
        self._callback = callback
        self._done = False

    def eventFilter(self, watched, event):  # noqa: N802 - Qt API
        if not self._done and event.type() == QEvent.Type.Expose and watched.isExposed():
            self._done = True
            # The window handles (paints) this expose after the filter returns.
            QTimer.singleShot(0, self._callback)
        return False


def _files_to_open(app: QApplication) -> list[str]:
    return [arg for arg in app.arguments()[1:] if not arg.startswith("-") and os.path.exists(arg)]


def main(argv: list[str] | None = None) -> int:
    """Open RNN Lab's window (``python main.py`` and the ``rnn-lab`` launcher). Returns the exit code."""
    # Before TensorFlow loads, here or in the training process this one starts.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv if argv is None else argv)
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName(DESKTOP_FILE)
    install_crash_hook()

    from desktop_app.main_window import MainWindow
    from desktop_app.recovery import attach_recovery, offer_recovery
    from desktop_app.resources import app_icon
    from desktop_app.worker import close_shared_trainer, shared_trainer

    app.setWindowIcon(app_icon())
    window = MainWindow()
    # The session is kept on disk as it goes, so a crash or the out-of-memory killer loses nothing.
    window.recovery = attach_recovery(window)

    report = os.environ.get("RNN_LAB_REPORT_SHOWN") == "1"
    if report:
        # For the real-X test and benchmarks: each run's end, as one line on stdout.
        window.session.run_ended.connect(lambda record: print(
            f"RNN_LAB_RUN_ENDED {record.status} {record.label}", flush=True))
        window.tensorflow_ready.connect(lambda _text: print("RNN_LAB_TENSORFLOW_READY", flush=True))
    quit_when_shown = os.environ.get("RNN_LAB_QUIT_WHEN_SHOWN") == "1"
    files = _files_to_open(app)

    def on_shown() -> None:
        if report or quit_when_shown:
            # Also say whether TensorFlow was imported before the window showed (it must not be).
            loaded = int("tensorflow" in sys.modules)
            print(f"RNN_LAB_WINDOW_SHOWN {time.time():.6f} tensorflow_loaded={loaded}", flush=True)
        if quit_when_shown:
            # A benchmark run: nothing to save, and no TensorFlow import to wait for.
            sys.stdout.flush()
            os._exit(0)
        window.start_loading_tensorflow()
        # The training process imports TensorFlow too; start it now so the first Train is quick.
        shared_trainer().warm()
        if window.recovery is not None and not files:
            # After the first paint, so the question comes with the window it is about.
            QTimer.singleShot(0, lambda: offer_recovery(window))

    window.winId()  # creates the native window so the expose filter can be installed before show
    watcher = _FirstExpose(on_shown)
    window.windowHandle().installEventFilter(watcher)
    window.show()
    if not quit_when_shown:
        QTimer.singleShot(TF_LOAD_FALLBACK_MS, window.start_loading_tensorflow)

    for path in files:
        if Path(path).is_dir():  # a sweep's output folder is its document
            window.sweeps.open_folder(path)
        else:
            window.document.open_path(path, confirm=False)

    app.aboutToQuit.connect(lambda: window.shutdown())
    app.aboutToQuit.connect(close_shared_trainer)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
