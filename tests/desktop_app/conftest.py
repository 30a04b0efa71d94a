"""Shared fixtures for the window's tests: headless Qt, no thread may outlive its test, and the
window driven like a user would (``make_window`` and the helpers below).

A training thread left running after a test keeps TensorFlow busy in the next test, makes
failures land in the wrong place and can hang the interpreter at exit; napari fails such tests
(its ``_dangling_qthreads`` fixture), and so do we, for QThreads, the global QThreadPool and
plain Python threads.

Every window gets its settings from a temporary INI file, and QStandardPaths is in test mode,
so no test reads or writes the user's configuration. The unsaved-work prompt is replaced by a
function that answers "discard" (or what a test asks for) so that closing never blocks. Test
modules import the helpers from ``tests.desktop_app.conftest``; pytest finds the fixtures here.
"""

from __future__ import annotations

import os

# Before any Qt or pyqtgraph import: no display on the test machines, and pyqtgraph must bind
# to PySide6 even if another binding happens to be installed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# The window's sweep workers yield to it (nice 10); beside the suite's other worker, which runs
# at full priority, they would get a tenth of a core and every sweep test would crawl.
os.environ.setdefault("RNN_LAB_CHILD_NICENESS", "0")

import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from weakref import WeakKeyDictionary  # noqa: E402

import PySide6  # noqa: E402,F401  (before pyqtgraph)
import pytest  # noqa: E402
from PySide6.QtCore import QSettings, QStandardPaths, Qt, QThread, QThreadPool  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

# How long a thread may take to wind down after its test body has returned.
THREAD_GRACE_S = 3.0
RUN_TIMEOUT_MS = 90000


@pytest.fixture(autouse=True)
def _dangling_qthreads(monkeypatch, qtbot, request):
    """Fail a test that leaves a QThread running, naming where it was started."""
    started: WeakKeyDictionary = WeakKeyDictionary()
    original_start = QThread.start

    def start_and_remember(self, *args, **kwargs):
        started[self] = "".join(traceback.format_stack(limit=6)[:-1])
        return original_start(self, *args, **kwargs)

    monkeypatch.setattr(QThread, "start", start_and_remember)
    yield

    # A closed Sweep dialog's estimate may run on (it cannot be interrupted), but not past the test.
    from desktop_app.sweeps import estimator

    estimator.wait_for_abandoned(int(THREAD_GRACE_S * 1000))
    dangling = []
    for thread, where in list(started.items()):
        try:
            running = thread.isRunning()
        except RuntimeError:  # the C++ object is already gone: it cannot be running
            continue
        if running:
            dangling.append((thread, where))
    if not dangling:
        return
    for thread, _ in dangling:
        try:
            thread.quit()
            qtbot.waitUntil(thread.isFinished, timeout=int(THREAD_GRACE_S * 1000))
        except (RuntimeError, AssertionError, Exception):  # noqa: BLE001 - still report below
            pass
    stacks = "\n".join(f"--- a {type(t).__name__} started at:\n{where}" for t, where in dangling)
    pytest.fail(
        f"{request.node.name} left {len(dangling)} QThread(s) running; stop and wait for them "
        f"before the test ends.\n{stacks}",
        pytrace=False,
    )


@pytest.fixture(autouse=True)
def _dangling_qthread_pool(request):
    """Fail a test that leaves work running in the global QThreadPool."""
    yield
    pool = QThreadPool.globalInstance()
    if pool.activeThreadCount() == 0:
        return
    finished = pool.waitForDone(int(THREAD_GRACE_S * 1000))
    if not finished:
        pytest.fail(
            f"{request.node.name} left {pool.activeThreadCount()} task(s) running in the global QThreadPool.",
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _dangling_python_threads(request):
    """Fail a test that leaves a Python thread it started still running."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    # A QThread that ran Python code shows up as a _DummyThread that never ends (and cannot be
    # joined); QThreads are checked by _dangling_qthreads instead.
    # The shared training process retires a recycled child in a "rnnlab-reaper" thread; it belongs
    # to the session-wide trainer (joined by _close_training_process), not to the test.
    left = [t for t in threading.enumerate()
            if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
            and not t.name.startswith("rnnlab-reaper")]
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [t for t in left if t.is_alive()]
    if left:
        names = ", ".join(f"{t.name} (daemon={t.daemon})" for t in left)
        pytest.fail(f"{request.node.name} left Python thread(s) running: {names}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _close_training_process():
    """Every window of the session trains in one shared child process; end it with the session."""
    yield
    from desktop_app.worker import close_shared_trainer

    close_shared_trainer()


@pytest.fixture
def show_widget(qtbot):
    """Show a widget on its own at a given size, as a user would see it; closed with the test."""

    def show(widget, width: int, height: int):
        qtbot.addWidget(widget)
        widget.resize(width, height)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return show


@pytest.fixture(scope="session")
def cooking_data():
    """A little cooking data set, many-to-many: 7 days of weather in, 7 dishes out."""
    from core.datasets import build_dataset
    from core.specs import DatasetSpec

    return build_dataset(DatasetSpec("cooking", {"samples": 60}), "many_to_many")


@pytest.fixture
def memory_tab(show_widget, cooking_data):
    """The Memory tab on its own, its validation samples from ``cooking_data``."""
    from desktop_app.memory import MemoryTab

    widget = MemoryTab()
    widget.data_for = lambda info: cooking_data
    return show_widget(widget, 1100, 950)


# --- the window, driven like a user would --------------------------------------------------


@pytest.fixture
def isolated_settings(tmp_path):
    """No test touches the user's settings: QStandardPaths test mode and a temp INI path."""
    from desktop_app.settings import Settings

    QStandardPaths.setTestModeEnabled(True)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    yield Settings.at_path(tmp_path / "rnn-lab.ini")
    QStandardPaths.setTestModeEnabled(False)


@pytest.fixture
def prompt_answers(monkeypatch):
    """Answers of the blocking prompts, in order: the unsaved-changes prompt ("save", "discard",
    "cancel"; "discard" once the list is used up) and the quit-while-training prompt ("quit",
    "resume"; "quit" once used up). ``asked`` gets each prompt's text."""
    from desktop_app import dialogs

    answers: list[str] = []
    asked: list[str] = []

    def answer(what, default):
        asked.append(what)
        return answers.pop(0) if answers else default

    monkeypatch.setattr(dialogs, "ask_unsaved_changes", lambda parent, what: answer(what, "discard"))
    monkeypatch.setattr(dialogs, "ask_quit_while_training", lambda parent, what: answer(what, "quit"))
    return answers, asked


@pytest.fixture
def make_window(qtbot, isolated_settings, prompt_answers):
    """Windows on isolated settings, shown, with TensorFlow loaded unless asked otherwise."""
    from desktop_app.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(load_tensorflow: bool = True) -> MainWindow:
        window = MainWindow(settings=isolated_settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        if load_tensorflow:
            with qtbot.waitSignal(window.tensorflow_ready, timeout=60000):
                window.start_loading_tensorflow()
        return window

    yield make
    for window in windows:
        close_message_boxes(window)
        window.close()
        assert not window.session.worker.thread_handle.isRunning(), "the training thread outlived its window"


def close_message_boxes(window) -> None:
    """Close the message boxes a window has shown (the app parents every box to its window).

    Only the window's own QMessageBox children are looked at, picked in C++: walking
    ``QApplication.topLevelWidgets()`` wrapped every popup, tooltip and menu Qt had created on
    its own, and with three pytest workers that walk segfaulted twice in CI."""
    for box in shown_message_boxes(window):
        box.close()


def shown_message_boxes(window) -> list[QMessageBox]:
    return [box for box in window.findChildren(QMessageBox) if box.isVisible()]


def shown_title(widget) -> str:
    """The title a window manager shows (on X11): Qt appends " — " and the application's display
    name, which app.main sets to "RNN Lab", to every window's title unless it already ends with
    it, and shows the name alone for an empty title. Offscreen, ``windowTitle()`` is the part
    before it."""
    from desktop_app.app import APPLICATION

    title = widget.windowTitle()
    if title.endswith(APPLICATION):
        return title
    return f"{title} — {APPLICATION}" if title else APPLICATION


def status_text(window) -> str:
    return window.statusBar().currentMessage()


def choose_task(qtbot, window, name: str) -> None:
    combo = window.dataset_panel.task_combo
    if combo.currentData() == name:
        return
    with qtbot.waitSignal(window.dataset_panel.dataset_changed, timeout=5000):
        combo.setCurrentIndex(combo.findData(name))


def set_dataset_param(qtbot, window, name: str, value) -> None:
    editor = window.dataset_panel.form().editor(name)
    if editor.value() == value:
        return
    with qtbot.waitSignal(window.dataset_panel.dataset_changed, timeout=5000):
        editor.setValue(value)


def configure_tiny_cooking(qtbot, window, *, epochs: int = 3, samples: int = 320, cell: str = "LSTM",
                           batch: int = 8, units: int = 16) -> None:
    """Cooking schedule, many-to-many, set through the panels' own widgets."""
    choose_task(qtbot, window, "gym")
    choose_task(qtbot, window, "cooking")
    arch = window.architecture_panel
    arch.mode_combo.setCurrentIndex(arch.mode_combo.findData("many_to_many"))
    set_dataset_param(qtbot, window, "samples", samples)
    set_dataset_param(qtbot, window, "days", 7)
    arch.cell_combo.setCurrentText(cell)
    arch.units_spin.setValue(units)
    training = window.training_panel
    training.epochs_spin.setValue(epochs)
    training.batch_spin.setValue(batch)
    training.lr_spin.setValue(0.02)
    training.seed_spin.setValue(42)
    project = window.current_project()
    assert project.dataset.task == "cooking" and project.dataset.params["samples"] == samples
    assert (project.model.cell, project.model.io_mode, project.model.units) == (cell, "many_to_many", units)
    assert (project.training.epochs, project.training.batch_size) == (epochs, batch)


def train_and_wait(qtbot, window):
    """Click Train; the run's RunRecord once the window has shown how it ended."""
    with qtbot.waitSignal(window.session.run_ended, timeout=RUN_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
    return done.args[0]


def has_data(plot_widget) -> bool:
    """Whether any curve or scatter of the plot holds points."""
    for item in plot_widget.getPlotItem().listDataItems():
        x, _y = item.getData()
        if x is not None and len(x) > 0:
            return True
    return False


def cell_text(window, row: int, column: str) -> str:
    from desktop_app.runs_panel import COLUMNS

    return window.runs_panel.table.item(row, COLUMNS.index(column)).text()
