"""The main window: composes the panels, owns the project, the runs, the files and the menus.

The panels edit specs; the window reads them back into one ``Project`` whenever it needs it, so
a debounced edit can never be missed. One run trains at a time in ``TrainingWorker``'s thread;
its events reach the plots (which only buffer them) and a 10 Hz progress timer, never a widget
per batch. TensorFlow is imported by a background thread after the window is shown; every
module that needs it (core.training, core.persistence's bundles, core.inference) is imported
inside functions once ``tensorflow_ready`` has fired.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal  # noqa: E402
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QStyle,
    QTabWidget,
    QToolBar,
    QWidget,
)

from core.datasets import get_task  # noqa: E402
from core.errors import ModelFileError, RNNLabError, SpecError  # noqa: E402
from core.specs import IO_MODE_TITLES, Project  # noqa: E402
from desktop_app import dialogs  # noqa: E402
from desktop_app.panels.architecture_panel import ArchitecturePanel  # noqa: E402
from desktop_app.panels.dataset_panel import DatasetPanel  # noqa: E402
from desktop_app.panels.training_panel import TrainingPanel  # noqa: E402
from desktop_app.plots import TrainingPlots  # noqa: E402
from desktop_app.predict_panel import PredictPanel  # noqa: E402
from desktop_app.runs_panel import RunRecord, RunsPanel  # noqa: E402
from desktop_app.settings import WINDOW_STATE_VERSION, Settings  # noqa: E402
from desktop_app.worker import TrainingWorker  # noqa: E402

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
EXAMPLES_DIR = RESOURCES / "examples"
ICON_DIR = RESOURCES / "icons"

APP_NAME = "RNN Lab"
BUNDLE_FILTER = "RNN Lab model bundle (*.rnnlab)"
PROJECT_FILTER = "RNN Lab project (*.json)"
KERAS_FILTER = "Keras model (*.keras)"
OPEN_FILTER = f"RNN Lab files (*.rnnlab *.json);;{BUNDLE_FILTER};;{PROJECT_FILTER};;All files (*)"

CELL_ORDER = ("SimpleRNN", "LSTM", "GRU")
PROGRESS_HZ = 10
# A close during training waits this long for the batch in flight to end.
CLOSE_WAIT_MS = 20000
# Threads that did not end in time on close: kept referenced so Qt never destroys a running one.
_ORPHANS: list[Any] = []


def app_icon() -> QIcon:
    """The application icon: the SVG where it can be drawn, with the rendered PNG sizes."""
    icon = QIcon()
    for size in (48, 128, 256):
        png = ICON_DIR / f"rnn-lab-{size}.png"
        if png.exists():
            icon.addFile(str(png), QSize(size, size))
    svg = ICON_DIR / "rnn-lab.svg"
    if svg.exists():
        icon.addFile(str(svg))
    return icon


def short_tf_version(version: str) -> str:
    parts = version.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else version


# The Examples menu follows the lecture; examples not named here come after, by file name.
EXAMPLE_ORDER = (
    "cooking", "cooking_feedforward", "gym", "adding_simplernn", "adding_lstm", "exploding_gradients",
    "exploding_clipped", "text", "sine", "sine_generate", "sentiment", "echo", "reverse", "weather",
    "csv_weather",
)


def example_files() -> list[tuple[str, Path]]:
    """(readable title, path) of every example project, in the lecture's order."""
    found = []
    paths = sorted(EXAMPLES_DIR.glob("*.json"),
                   key=lambda p: (EXAMPLE_ORDER.index(p.stem) if p.stem in EXAMPLE_ORDER else len(EXAMPLE_ORDER),
                                  p.name))
    for path in paths:
        title = path.stem.replace("_", " ").replace("-", " ").strip().capitalize() or path.stem
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
                title = data["name"].strip()
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            pass  # still listed: opening it reports what is wrong with the file
        found.append((title, path))
    return found


class _TensorFlowLoader(QObject):
    """Imports TensorFlow, Keras and core.training in a plain thread; reports back by signal."""

    loaded = Signal(str, object)  # TensorFlow version, available_devices()
    failed = Signal(str)

    def run(self) -> None:
        try:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import tensorflow as tf
            import keras  # noqa: F401

            from core import training

            devices = list(training.available_devices())
            self.loaded.emit(str(tf.__version__), devices)
        except Exception as exc:  # noqa: BLE001 - shown in the status bar and a dialog
            details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.failed.emit(f"TensorFlow could not be loaded: {exc}\n\n{details}")


@dataclass
class _ActiveRun:
    record: Any  # RunRecord
    data: Any  # SequenceData
    started_at: float = 0.0
    epochs: int = 0
    batches_per_epoch: int = 0
    epoch: int = 0
    batch: int = 0
    done_batches: int = 0
    stop_requested: bool = False
    progress_dirty: bool = False
    last_logs: dict = field(default_factory=dict)


class MainWindow(QMainWindow):
    """RNN Lab's window. Public attributes expose the panels for tests and scripts."""

    tensorflow_ready = Signal(str)  # the status text, e.g. "TensorFlow 2.21 ready · CPU"
    tensorflow_failed = Signal(str)
    # Emitted after the window has handled a run's end (RunRecord with its final status).
    run_completed = Signal(object)
    # Emitted when a queue of runs (Compare cells) has ended, with the run ids it trained.
    queue_finished = Signal(list)

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else Settings()
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self._project_name = "Untitled"
        self._current_path: Path | None = None
        self._clean_project: Project | None = None
        self._unsaved_model = False
        self._current_record_value: Any = None
        self._records: dict[str, Any] = {}
        self._run_counter = 0
        self._active: _ActiveRun | None = None
        self._queue: list[Project] = []
        self._queue_data: Any = None
        self._queue_ids: list[str] = []
        self._tf_ready = False
        self._tf_version = ""
        self._devices: list[tuple[str, str]] = [("cpu", "CPU")]
        self._tf_thread: threading.Thread | None = None
        self._after_tensorflow: list[Callable[[], None]] = []
        self._syncing = False
        self._closed = False
        self._closing = False
        self.last_message: tuple[str, str] | None = None

        self._build_panels()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()

        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(int(1000 / PROGRESS_HZ))
        self._progress_timer.timeout.connect(self._on_progress_tick)

        self._restore_settings()
        self._update_actions()
        self._update_title()

    # --- construction ---------------------------------------------------------------------

    def _build_panels(self) -> None:
        self.dataset_panel = DatasetPanel()
        self.architecture_panel = ArchitecturePanel()
        self.training_panel = TrainingPanel()
        self.plots = TrainingPlots()
        self.runs_panel = RunsPanel()
        self.predict_panel = PredictPanel()

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("centralTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.plots, "Training plots")
        self.tabs.addTab(self.runs_panel, "Runs")
        self.tabs.addTab(self.predict_panel, "Predict")
        self.setCentralWidget(self.tabs)

        self.docks: dict[str, QDockWidget] = {}
        for key, title, panel in (
            ("dataset", "Dataset", self.dataset_panel),
            ("architecture", "Architecture", self.architecture_panel),
            ("training", "Training", self.training_panel),
        ):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{key}Dock")
            dock.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
            # The panels scroll their own content.
            dock.setWidget(panel)
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            self.docks[key] = dock
        self.tabifyDockWidget(self.docks["dataset"], self.docks["architecture"])
        self.tabifyDockWidget(self.docks["architecture"], self.docks["training"])
        # Tabs above the panels read like the steps: Dataset, Architecture, Training.
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        self.docks["dataset"].raise_()
        self.resizeDocks([self.docks["dataset"]], [440], Qt.Orientation.Horizontal)
        self.resize(self._default_size())

        self.worker = TrainingWorker()
        self._tf_loader = _TensorFlowLoader()

    def _default_size(self) -> QSize:
        """1440 x 900, or 90 % of a smaller screen."""
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return QSize(1440, 900)
        available = screen.availableGeometry()
        return QSize(min(1440, int(available.width() * 0.9)), min(900, int(available.height() * 0.9)))

    def _action(self, text: str, slot: Callable, shortcut: Any = None, tip: str = "",
                icon: QStyle.StandardPixmap | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.action_new = self._action("&New", self.new_project, "Ctrl+N", "Start a new project", sp.SP_FileIcon)
        self.action_open = self._action("&Open…", self.open_dialog, "Ctrl+O",
                                        "Open a model bundle (.rnnlab) or a project (.json)", sp.SP_DialogOpenButton)
        self.action_save = self._action("&Save", self.save, "Ctrl+S",
                                        "Save the trained model with its project and history "
                                        "(or the project alone if nothing is trained)", sp.SP_DialogSaveButton)
        self.action_save_as = self._action("Save &As…", self.save_as, "Ctrl+Shift+S",
                                           "Save under a new name")
        self.action_open_project = self._action("Open &Project…", self.open_project_dialog,
                                                tip="Open project settings (.json), without a model")
        self.action_save_project = self._action("Save P&roject…", self.save_project_dialog,
                                                tip="Save the settings of the panels as a project (.json)")
        self.action_import_keras = self._action("&Import .keras…", self.import_keras_dialog,
                                                tip="Load a plain Keras model to predict with it")
        self.action_export_keras = self._action("&Export .keras…", self.export_keras_dialog,
                                                tip="Write the trained model as a plain Keras file")
        self.action_quit = self._action("&Quit", self.close, "Ctrl+Q", "Quit RNN Lab")

        self.action_train = self._action("&Train", self.train, "F5", "Train the network on the dataset",
                                         sp.SP_MediaPlay)
        self.action_pause = self._action("&Pause", self.toggle_pause, "F6", "Pause or resume training",
                                         sp.SP_MediaPause)
        self.action_stop = self._action("St&op", self.stop, "Shift+F5", "Stop after the current batch",
                                        sp.SP_MediaStop)
        self.action_continue = self._action("C&ontinue training", self.continue_training, "Ctrl+F5",
                                            "Train the current model further, from its trained weights")
        self.action_compare = self._action("&Compare cells", self.compare_cells,
                                           tip="Train SimpleRNN, LSTM and GRU on the same data and seed, "
                                               "one after the other, and overlay them")

        self.action_about = self._action("&About RNN Lab", self.show_about)
        self.action_guide = self._action("The &lecture in the app", self.show_lecture_guide, "F1",
                                         "Where each idea of the lecture shows up in RNN Lab")
        self.action_reset_layout = self._action("&Reset layout", self.reset_layout,
                                                tip="Put the panels back where they started")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.action_new, self.action_open, self.action_save, self.action_save_as])
        file_menu.addSeparator()
        file_menu.addActions([self.action_open_project, self.action_save_project])
        file_menu.addSeparator()
        file_menu.addActions([self.action_import_keras, self.action_export_keras])
        file_menu.addSeparator()
        self.recent_menu = file_menu.addMenu("Recent &files")
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)

        self.examples_menu = bar.addMenu("&Examples")
        self._example_actions: list[QAction] = []
        for title, path in example_files():
            action = QAction(title, self)
            action.setStatusTip(f"Open the example project {path.name}")
            action.triggered.connect(lambda _checked=False, p=path: self.open_example(p))
            self.examples_menu.addAction(action)
            self._example_actions.append(action)
        if not self._example_actions:
            empty = self.examples_menu.addAction("(no examples found)")
            empty.setEnabled(False)

        run_menu = bar.addMenu("&Run")
        run_menu.addActions([self.action_train, self.action_continue, self.action_pause, self.action_stop])
        run_menu.addSeparator()
        run_menu.addAction(self.action_compare)

        self.view_menu = bar.addMenu("&View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.action_reset_layout)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.action_guide)
        help_menu.addAction(self.action_about)

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main toolbar", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(18, 18))
        toolbar.addActions([self.action_new, self.action_open, self.action_save])
        toolbar.addSeparator()
        toolbar.addActions([self.action_train, self.action_continue, self.action_pause, self.action_stop])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
        self.toolbar = toolbar

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.device_label = QLabel("Device: CPU")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setToolTip("Where training runs")
        self.tf_label = QLabel("Loading TensorFlow…")
        self.tf_label.setObjectName("tensorflowLabel")
        bar.addPermanentWidget(self.device_label)
        bar.addPermanentWidget(self.tf_label)
        bar.showMessage("Choose a task and a network, then press Train.")

    def _connect(self) -> None:
        self.dataset_panel.dataset_changed.connect(self._on_dataset_changed)
        self.architecture_panel.model_changed.connect(self._on_model_changed)
        self.training_panel.training_changed.connect(self._on_training_changed)
        self.training_panel.train_requested.connect(self.train)
        self.training_panel.pause_requested.connect(self.pause)
        self.training_panel.resume_requested.connect(self.resume)
        self.training_panel.stop_requested.connect(self.stop)
        self.training_panel.compare_requested.connect(self.compare_cells)
        self.runs_panel.selection_changed.connect(self._on_runs_selection_changed)
        self.runs_panel.compare_cells_requested.connect(self.compare_cells)
        self.runs_panel.run_deleted.connect(self._on_run_deleted)

        self.worker.run_started.connect(self._on_run_started)
        self.worker.batch_ended.connect(self._on_batch_ended)
        self.worker.epoch_ended.connect(self._on_epoch_ended)
        self.worker.run_finished.connect(self._on_run_finished)
        self.worker.run_failed.connect(self._on_run_failed)

        self._tf_loader.loaded.connect(self._on_tensorflow_loaded)
        self._tf_loader.failed.connect(self._on_tensorflow_failed)

    # --- TensorFlow in the background ------------------------------------------------------

    @property
    def tensorflow_is_ready(self) -> bool:
        return self._tf_ready

    def start_loading_tensorflow(self) -> None:
        """Import TensorFlow in a background thread; ``tensorflow_ready`` fires when it is done."""
        if self._tf_ready or self._tf_thread is not None or self._closed:
            return
        self.tf_label.setText("Loading TensorFlow…")
        self._tf_thread = threading.Thread(target=self._tf_loader.run, name="RNN Lab TensorFlow import",
                                           daemon=True)
        self._tf_thread.start()

    def _on_tensorflow_loaded(self, version: str, devices: list) -> None:
        if self._tf_thread is not None:
            self._tf_thread.join(5)
        self._tf_ready = True
        self._tf_version = version
        self._devices = [(str(d), str(label)) for d, label in devices] or [("cpu", "CPU")]
        self.training_panel.set_devices(self._devices)
        self.architecture_panel.set_tensorflow_ready(True)
        text = self._tensorflow_status_text()
        self.tf_label.setText(text)
        self._update_actions()
        callbacks, self._after_tensorflow = self._after_tensorflow, []
        for callback in callbacks:
            callback()
        self.tensorflow_ready.emit(text)

    def _on_tensorflow_failed(self, message: str) -> None:
        if self._tf_thread is not None:
            self._tf_thread.join(5)
        self.tf_label.setText("TensorFlow failed to load")
        self._show_error("TensorFlow could not be loaded",
                         "Training and opening models need TensorFlow, which failed to load. "
                         "Check the installation (make venv).", message)
        self.tensorflow_failed.emit(message)

    def _tensorflow_status_text(self) -> str:
        return f"TensorFlow {short_tf_version(self._tf_version)} ready · {self._device_label(self._current_device())}"

    def _current_device(self) -> str:
        try:
            return self.training_panel.spec().device
        except Exception:  # noqa: BLE001 - a half-edited panel: fall back to the CPU
            return "cpu"

    def _device_label(self, device: str) -> str:
        if device == "cpu":
            return "CPU"
        for dev_id, label in self._devices:
            if dev_id == device:
                return label
        return device

    def _when_tensorflow_ready(self, callback: Callable[[], None], what: str) -> None:
        """Run ``callback`` now if TensorFlow is loaded, else as soon as it is."""
        if self._tf_ready:
            callback()
            return
        self._after_tensorflow.append(callback)
        self.start_loading_tensorflow()
        self.show_status(f"{what} as soon as TensorFlow has loaded…")

    # --- the project -----------------------------------------------------------------------

    def current_project(self) -> Project:
        """The project the panels show now (read back from them, never cached)."""
        return Project(
            name=self._project_name,
            dataset=self.dataset_panel.spec(),
            model=self.architecture_panel.spec(),
            training=self.training_panel.spec(),
        )

    def project_name(self) -> str:
        return self._project_name

    def current_path(self) -> Path | None:
        return self._current_path

    @property
    def _current_record(self):
        return self._current_record_value

    @_current_record.setter
    def _current_record(self, record) -> None:
        # Continue training depends on it: keep the action's state in step.
        self._current_record_value = record
        if hasattr(self, "action_continue"):
            self._update_actions()

    def current_record(self):
        """The run whose model Save, Export and Predict use (None before any training)."""
        return self._current_record

    def is_dirty(self) -> bool:
        if self._unsaved_model:
            return True
        try:
            return self._clean_project is not None and self.current_project() != self._clean_project
        except RNNLabError:
            return True

    def set_project(self, project: Project, *, name: str | None = None) -> None:
        """Show ``project`` in the panels; its state becomes the saved ("clean") one."""
        self._syncing = True
        try:
            task = get_task(project.dataset.task)
            self.architecture_panel.set_supported_modes(task.supported_modes, task.title)
            self.dataset_panel.set_io_mode(project.model.io_mode)
            self.dataset_panel.set_spec(project.dataset)
            self.architecture_panel.set_spec(project.model)
            self.training_panel.set_spec(project.training)
            self._project_name = name or project.name or "Untitled"
        finally:
            self._syncing = False
        self._sync_data_info()
        self._clean_project = self.current_project()
        self._update_title()

    def _mark_clean(self) -> None:
        self._clean_project = self.current_project()
        self._unsaved_model = False
        self._update_title()

    def _update_title(self) -> None:
        dirty = self.is_dirty()
        if self._current_path is None and not dirty and self._project_name == "Untitled":
            self.setWindowTitle(APP_NAME)
        else:
            self.setWindowTitle(f"{APP_NAME} — {self._project_name}{'*' if dirty else ''}")

    def _on_dataset_changed(self, spec) -> None:
        if self._syncing:
            return
        try:
            task = get_task(spec.task)
        except RNNLabError:
            task = None
        self._syncing = True
        try:
            if task is not None:
                self.architecture_panel.set_supported_modes(task.supported_modes, task.title)
                model = self.architecture_panel.spec()
                if model.io_mode not in task.supported_modes:
                    # Follow the task rather than leave the user with a mode it cannot build.
                    try:
                        mode = task.natural_mode_for(task.validate_params(spec.params))
                    except RNNLabError:
                        mode = task.natural_mode
                    self.architecture_panel.set_spec(dataclasses.replace(model, io_mode=mode))
                    self.show_status(f"The {task.title} task has no {IO_MODE_TITLES[model.io_mode]} version: "
                                     f"the I/O mode is now {IO_MODE_TITLES[mode]}.")
                self.dataset_panel.set_io_mode(self.architecture_panel.spec().io_mode)
        finally:
            self._syncing = False
        self._sync_data_info()
        self._update_title()

    def _on_model_changed(self, spec) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.dataset_panel.set_io_mode(spec.io_mode)
        finally:
            self._syncing = False
        self._sync_data_info()
        self._update_title()

    def _on_training_changed(self, spec) -> None:
        if self._tf_ready:
            self.tf_label.setText(self._tensorflow_status_text())
        self._update_title()

    def _sync_data_info(self) -> None:
        """Give the architecture panel the shapes of the data it will be trained on."""
        try:
            data = self.dataset_panel.current_data()
        except RNNLabError:
            data = None
        self._syncing = True
        try:
            self.architecture_panel.set_data_info(data.info if data is not None else None)
        finally:
            self._syncing = False

    # --- training --------------------------------------------------------------------------

    def is_training(self) -> bool:
        return self._active is not None

    def training_problems(self, project: Project | None = None) -> list[str]:
        """What stops the current settings from training, in words (empty: ready to train)."""
        problems: list[str] = []
        try:
            project = project or self.current_project()
            project.validate()
        except RNNLabError as exc:
            return [str(exc)]
        self.dataset_panel.set_io_mode(project.model.io_mode)
        data = self.dataset_panel.current_data()
        if data is None:
            problems.append(self.dataset_panel.error_text() or "The dataset settings do not produce any data.")
        arch_problem = self.architecture_panel.problem()
        if arch_problem:
            problems.append(arch_problem)
        if data is not None and not arch_problem and self._tf_ready:
            from core.models import check_compatible

            try:
                check_compatible(project.model, data.info)
            except RNNLabError as exc:
                problems.append(str(exc))
        return problems

    def train(self) -> bool:
        """Train the panels' project (the Train button). False if it could not start."""
        if not self._can_start("Train"):
            return False
        project = self.current_project()
        problems = self.training_problems(project)
        if problems:
            self._explain_problems(problems)
            return False
        data = self.dataset_panel.current_data()
        self._queue_ids = []
        return self._start_run(project, data)

    def continuable_model(self):
        """The current run's trained model if the panels still describe it, else None.

        Continuing needs the same architecture and data of the same shape; anything else would
        be a new model, which is what Train is for.
        """
        record = self._current_record
        if record is None or record.model is None or record.info is None:
            return None
        project = self.current_project()
        data = self.dataset_panel.current_data()
        if project.model != record.project.model or data is None:
            return None
        same_data = (data.info.input_shape, data.info.output_shape, data.info.kind, data.info.output_dim) == (
            record.info.input_shape, record.info.output_shape, record.info.kind, record.info.output_dim)
        return record.model if same_data else None

    def continue_training(self) -> bool:
        """Train the current model further (Run > Continue training). False if it could not start."""
        if not self._can_start("Continue training"):
            return False
        model = self.continuable_model()
        if model is None:
            self._show_error("Cannot continue training",
                             "There is no trained model for these settings: the architecture or the "
                             "data's shape changed since it was trained (or nothing was trained yet). "
                             "Press Train to train a new model.", warning=True)
            return False
        project = self.current_project()
        problems = self.training_problems(project)
        if problems:
            self._explain_problems(problems)
            return False
        source = self._current_record.label
        self._queue_ids = []
        return self._start_run(project, self.dataset_panel.current_data(), model=model,
                               label_suffix=f" (continued from {source})")

    def compare_cells(self) -> bool:
        """Train SimpleRNN, LSTM and GRU on the same data and seed, one after another."""
        if not self._can_start("Compare cells"):
            return False
        base = self.current_project()
        projects = [dataclasses.replace(base, model=dataclasses.replace(base.model, cell=cell))
                    for cell in CELL_ORDER]
        problems: list[str] = []
        for project in projects:
            for problem in self.training_problems(project):
                if problem not in problems:
                    problems.append(problem)
        if problems:
            self._explain_problems(problems)
            return False
        self.dataset_panel.set_io_mode(base.model.io_mode)
        data = self.dataset_panel.current_data()
        self._queue = projects[1:]
        self._queue_data = data
        self._queue_ids = []
        self.show_status("Comparing cells: SimpleRNN, then LSTM, then GRU on the same data and seed…")
        return self._start_run(projects[0], data)

    def _can_start(self, what: str) -> bool:
        if self._active is not None:
            self.show_status("A run is already training: stop it first (only one run at a time).")
            return False
        if not self._tf_ready:
            self.start_loading_tensorflow()
            self.show_status(f"{what}: TensorFlow is still loading, try again in a moment.")
            return False
        return True

    def _explain_problems(self, problems: list[str]) -> None:
        text = "The settings cannot train yet:\n\n" + "\n".join(f"• {p}" for p in problems)
        self._show_error("Cannot train yet", text, warning=True)
        self.show_status("Cannot train: " + problems[0])

    def _start_run(self, project: Project, data, *, model=None, label_suffix: str = "") -> bool:
        self._run_counter += 1
        run_id = f"run-{self._run_counter}"
        label = f"#{self._run_counter} {project.model.cell}{label_suffix}"
        record = RunRecord(run_id=run_id, label=label, project=project, status="preparing",
                           final_metrics={}, history=None, model=None, info=data.info, message="")
        self._records[run_id] = record
        self._active = _ActiveRun(record=record, data=data)
        self._queue_ids.append(run_id)
        self.runs_panel.add_run(record)
        self.predict_panel.set_busy(True)
        self.training_panel.set_run_state("preparing")
        self.tabs.setCurrentWidget(self.plots)
        self.show_status(f"Run {label}: building the model…")
        self._update_actions()
        try:
            self.worker.start(project, data, model)
        except RNNLabError as exc:
            self._active = None
            self._queue = []
            record.status = "failed"
            record.message = str(exc)
            self.runs_panel.update_run(record)
            self.training_panel.set_run_state("idle")
            self.predict_panel.set_busy(False)
            self._update_actions()
            self._show_error("Training could not start", str(exc))
            return False
        return True

    def pause(self) -> None:
        if self._active is None or self._active.stop_requested:
            return
        self.worker.pause()
        self.training_panel.set_run_state("paused")
        self.show_status(f"Run {self._active.record.label} paused: Resume to go on, Stop to end it.")
        self._update_actions()

    def resume(self) -> None:
        if self._active is None or self._active.stop_requested:
            return
        self.worker.resume()
        self.training_panel.set_run_state("running")
        self.show_status(f"Run {self._active.record.label} training…")
        self._update_actions()

    def toggle_pause(self) -> None:
        if self.worker.is_paused():
            self.resume()
        else:
            self.pause()

    def stop(self) -> None:
        """Stop the run after the batch in flight; a Compare-cells queue stops with it."""
        if self._active is None:
            return
        self._queue = []
        self._active.stop_requested = True
        self.worker.stop()
        self.training_panel.set_run_state("stopping")
        self.show_status(f"Stopping run {self._active.record.label} after the current batch…")
        self._update_actions()

    def _on_run_started(self, event) -> None:
        active = self._active
        if active is None:
            return
        active.started_at = time.monotonic()
        active.epochs = int(event.epochs)
        active.batches_per_epoch = int(event.batches_per_epoch)
        record = active.record
        record.status = "running"
        self.runs_panel.update_run(record)
        self.plots.begin_run(record.run_id, record.label, event, record.info.kind)
        self.device_label.setText(f"Device: {event.device_name}")
        if not active.stop_requested:
            self.training_panel.set_run_state("paused" if self.worker.is_paused() else "running")
        self.show_status(f"Run {record.label} training on {event.device_name}…")
        active.progress_dirty = True
        self._progress_timer.start()

    def _on_batch_ended(self, event) -> None:
        active = self._active
        if active is None:
            return
        self.plots.add_batch(active.record.run_id, event)
        active.epoch = int(event.epoch)
        active.batch = int(event.batch)
        active.batches_per_epoch = int(event.batches_per_epoch) or active.batches_per_epoch
        # Epochs, batches and the global batch count from 1 (core.training).
        active.done_batches = int(event.global_batch)
        active.progress_dirty = True

    def _on_epoch_ended(self, event) -> None:
        active = self._active
        if active is None:
            return
        self.plots.add_epoch(active.record.run_id, event)
        active.last_logs = dict(event.logs)
        active.progress_dirty = True

    def _on_progress_tick(self) -> None:
        active = self._active
        if active is None:
            self._progress_timer.stop()
            return
        if not active.progress_dirty:
            return
        active.progress_dirty = False
        elapsed = time.monotonic() - active.started_at if active.started_at else 0.0
        total = active.epochs * active.batches_per_epoch
        done = active.done_batches
        remaining = elapsed / done * (total - done) if done > 0 and total >= done else None
        self.training_panel.set_progress(active.epoch, active.epochs, active.batch,
                                         active.batches_per_epoch, elapsed, remaining)

    def _on_run_finished(self, result) -> None:
        active = self._end_active()
        if active is None:
            return
        record = active.record
        record.status = result.stop_reason
        record.final_metrics = dict(result.final_metrics)
        record.history = result.history
        record.model = result.model
        record.message = result.message
        self.runs_panel.update_run(record)
        self._current_record = record
        self._unsaved_model = True
        self.predict_panel.set_model(result.model, record.info, active.data)

        metrics = _format_metrics(record.final_metrics)
        epochs = f"{result.epochs_run} epoch{'s' if result.epochs_run != 1 else ''}"
        if result.stop_reason == "nan":
            self._show_error("Training stopped: exploding gradients", result.message or
                             "The loss became NaN or infinite.", warning=True)
            self.show_status(f"Run {record.label}: {result.message}")
        elif result.stop_reason == "stopped":
            self.show_status(f"Run {record.label} stopped after {epochs}. {metrics}".strip())
        elif result.stop_reason == "early_stopping":
            note = result.message or "validation loss stopped improving"
            self.show_status(f"Run {record.label}: early stopping after {epochs} ({note}). {metrics}".strip())
        else:
            self.show_status(f"Run {record.label} finished after {epochs}. {metrics}".strip())
        self.training_panel.set_progress_text(self.status_text())
        self._update_title()
        self.run_completed.emit(record)
        self._continue_queue(result.stop_reason)

    def _on_run_failed(self, message: str) -> None:
        active = self._end_active()
        if active is None:
            return
        record = active.record
        record.status = "failed"
        record.message = message
        self.runs_panel.update_run(record)
        first_line = message.strip().splitlines()[0] if message.strip() else "unknown error"
        self._show_error("Training failed", f"Run {record.label} ended with an error:\n\n{first_line}",
                         message if "\n" in message.strip() else "")
        self.show_status(f"Run {record.label} failed: {first_line}")
        self.run_completed.emit(record)
        self._queue = []
        self._continue_queue("failed")

    def _end_active(self) -> _ActiveRun | None:
        active = self._active
        if active is None:
            return None
        self._on_progress_tick()
        self._progress_timer.stop()
        self._active = None
        self.training_panel.set_run_state("idle")
        self.predict_panel.set_busy(False)
        self.device_label.setText(f"Device: {self._device_label(self._current_device())}")
        self._update_actions()
        return active

    def _continue_queue(self, stop_reason: str) -> None:
        if self._closed:
            return
        if self._queue and stop_reason not in ("stopped", "failed"):
            project = self._queue.pop(0)
            self._start_run(project, self._queue_data)
            return
        ids = list(self._queue_ids)
        self._queue = []
        self._queue_data = None
        self._queue_ids = []
        try:
            if len(ids) > 1:
                self.runs_panel.select_runs(ids)
                self.plots.show_runs(ids)
                self.tabs.setCurrentWidget(self.runs_panel)
                self.show_status("Compared " + ", ".join(self._records[i].label for i in ids if i in self._records)
                                 + ": their curves are overlaid in Training plots.")
        finally:
            if ids:
                self.queue_finished.emit(ids)

    def _on_runs_selection_changed(self, records: list) -> None:
        ids = []
        for record in records:
            if record.run_id not in self.plots.run_ids() and record.history is not None:
                self.plots.load_history(record.run_id, record.label, record.history, record.info.kind)
            ids.append(record.run_id)
        if ids:
            self.plots.show_runs(ids)
        with_model = [r for r in records if r.model is not None]
        if with_model and self._active is None:
            record = with_model[-1]
            if record is not self._current_record:
                self._current_record = record
                self.predict_panel.set_model(record.model, record.info, self._data_for(record.info))

    def _on_run_deleted(self, record) -> None:
        self._records.pop(record.run_id, None)
        self.plots.remove_run(record.run_id)
        if record is self._current_record:
            self._current_record = None
            self.predict_panel.clear()
            if self._unsaved_model:
                self._unsaved_model = False
                self._update_title()

    def _data_for(self, info):
        """The panel's current data if it has the shapes of ``info`` (the sample picker needs it)."""
        try:
            data = self.dataset_panel.current_data()
        except RNNLabError:
            return None
        if data is None:
            return None
        same = (data.info.task == info.task and tuple(data.info.input_shape) == tuple(info.input_shape)
                and tuple(data.info.output_shape) == tuple(info.output_shape) and data.info.io_mode == info.io_mode)
        return data if same else None

    # --- files -----------------------------------------------------------------------------

    def new_project(self) -> bool:
        if not self._confirm_discard():
            return False
        self.set_project(Project())
        self._current_path = None
        self._current_record = None
        self._unsaved_model = False
        self.predict_panel.clear()
        self._update_title()
        self.show_status("New project.")
        return True

    def open_dialog(self) -> None:
        path = dialogs.ask_open_path(self, "Open a model or project", self.settings.last_directory(), OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_project_dialog(self) -> None:
        path = dialogs.ask_open_path(self, "Open a project", self.settings.last_directory(),
                                     f"{PROJECT_FILTER};;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str | os.PathLike, *, confirm: bool = True) -> bool:
        """Open a model bundle (.rnnlab) or a project (.json). False (and a dialog) on failure."""
        path = Path(path)
        if confirm and not self._confirm_discard():
            return False
        if path.suffix.lower() == ".json":
            return self._open_project_file(path)

        def open_bundle() -> None:
            self._open_bundle_file(path)

        if not self._tf_ready:
            self._when_tensorflow_ready(open_bundle, f"Opening {path.name}")
            return True
        return self._open_bundle_file(path)

    def open_example(self, path: str | os.PathLike) -> bool:
        if not self._confirm_discard():
            return False
        path = Path(path)
        project = self._load_project_file(path, "Cannot open the example")
        if project is None:
            return False
        self.set_project(project)
        self._start_without_model(None)  # an example is a template: Save asks where to put the copy
        self.show_status(f"Example “{project.name}” opened: press Train.")
        return True

    def _open_project_file(self, path: Path) -> bool:
        project = self._load_project_file(path, "Cannot open the project")
        if project is None:
            return False
        name = project.name if project.name and project.name != "Untitled" else path.stem
        self.set_project(project, name=name)
        self._remember_file(path)
        self._start_without_model(path)
        self.show_status(f"Opened project {path.name}.")
        return True

    def _load_project_file(self, path: Path, error_title: str):
        """The project in ``path``, or None after telling the user what is wrong with the file."""
        try:
            from core.persistence import load_project

            return load_project(path)
        except (RNNLabError, OSError) as exc:
            self._file_error(error_title, path, exc)
            return None

    def _start_without_model(self, path: Path | None) -> None:
        """After loading settings only: no trained model is current, nothing unsaved."""
        self._current_path = path
        self._current_record = None
        self._unsaved_model = False
        self.predict_panel.clear()
        self._update_title()

    def _open_bundle_file(self, path: Path) -> bool:
        try:
            from core.persistence import load_bundle

            bundle = load_bundle(path)
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot open the model", path, exc)
            return False
        project = bundle.project
        name = project.name if project.name and project.name != "Untitled" else path.stem
        self.set_project(project, name=name)
        self._run_counter += 1
        run_id = f"run-{self._run_counter}"
        label = f"#{self._run_counter} {project.model.cell} ({path.name})"
        final = dict(bundle.history.epochs[-1]) if bundle.history is not None and bundle.history.epochs else {}
        record = RunRecord(run_id=run_id, label=label, project=project, status="loaded",
                           final_metrics=final, history=bundle.history, model=bundle.model, info=bundle.info,
                           message=f"Opened from {path}")
        self._records[run_id] = record
        self.runs_panel.add_run(record)
        if bundle.history is not None:
            self.plots.load_history(run_id, label, bundle.history, bundle.info.kind)
        self._current_record = record
        self.predict_panel.set_model(bundle.model, bundle.info, self._data_for(bundle.info))
        self._current_path = path
        self._mark_clean()
        self._remember_file(path)
        self.tabs.setCurrentWidget(self.plots)
        self.show_status(f"Opened {path.name}: {_format_metrics(final)}".strip())
        return True

    def save(self) -> bool:
        """Ctrl+S: the trained model as a bundle, or the project alone when nothing is trained."""
        path = self._current_path
        if self._model_record() is not None:
            if path is not None and path.suffix.lower() == ".rnnlab":
                return self.save_bundle_to(path)
            return self.save_as()
        if path is not None and path.suffix.lower() == ".json":
            return self.save_project_to(path)
        return self.save_as()

    def save_as(self) -> bool:
        has_model = self._model_record() is not None
        suggested = self._suggested_path(".rnnlab" if has_model else ".json")
        filters = f"{BUNDLE_FILTER};;{PROJECT_FILTER}" if has_model else PROJECT_FILTER
        path = dialogs.ask_save_path(self, "Save as", str(suggested), filters)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() not in (".rnnlab", ".json"):
            path = path.with_suffix(".rnnlab" if has_model else ".json")
        if path.suffix.lower() == ".json":
            return self.save_project_to(path)
        return self.save_bundle_to(path)

    def save_project_dialog(self) -> bool:
        path = dialogs.ask_save_path(self, "Save project", str(self._suggested_path(".json")), PROJECT_FILTER)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_suffix(".json")
        return self.save_project_to(path)

    def save_project_to(self, path: str | os.PathLike) -> bool:
        path = Path(path)
        self._adopt_name(path)
        project = self.current_project()
        try:
            from core.persistence import save_project

            save_project(path, project)
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot save the project", path, exc)
            return False
        self._current_path = path
        self._clean_project = project
        self._remember_file(path)
        self._update_title()
        self.show_status(f"Saved the project to {path}.")
        return True

    def save_bundle_to(self, path: str | os.PathLike) -> bool:
        """Write the current run's model, project and history as one ``.rnnlab`` bundle."""
        path = Path(path)
        record = self._model_record()
        if record is None:
            self._show_error("Nothing to save", "Train a model first: a bundle holds a trained model.")
            return False
        if not self._tf_ready:
            self.show_status("TensorFlow is still loading: save again in a moment.")
            return False
        self._adopt_name(path)
        project = dataclasses.replace(record.project, name=self._project_name)
        try:
            from core.persistence import Bundle, save_bundle

            save_bundle(path, Bundle(project=project, model=record.model, history=record.history,
                                     info=record.info))
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot save the model", path, exc)
            return False
        self._current_path = path
        self._unsaved_model = False
        # Edits made after training are not in the bundle (it holds the trained model's project).
        self._clean_project = dataclasses.replace(project)
        self._remember_file(path)
        self._update_title()
        self.show_status(f"Saved the model, its project and history to {path}.")
        return True

    def import_keras_dialog(self) -> None:
        path = dialogs.ask_open_path(self, "Import a Keras model", self.settings.last_directory(),
                                     f"{KERAS_FILTER};;All files (*)")
        if path:
            self._when_tensorflow_ready(lambda: self.import_keras(path), "Importing the model")

    def import_keras(self, path: str | os.PathLike) -> bool:
        """Load a plain .keras model to predict with it on the current dataset."""
        path = Path(path)
        data = self.dataset_panel.current_data()
        if data is None:
            self._show_error("Cannot import the model",
                             f"{path.name}: choose a dataset the model was trained on first; "
                             f"the current dataset settings have a problem: {self.dataset_panel.error_text()}")
            return False
        try:
            from core.persistence import import_keras

            model = import_keras(path)
            _check_model_fits(path, model, data.info)
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot import the model", path, exc)
            return False
        self._run_counter += 1
        run_id = f"run-{self._run_counter}"
        record = RunRecord(run_id=run_id, label=f"#{self._run_counter} {path.name}",
                           project=self.current_project(), status="imported", final_metrics={},
                           history=None, model=model, info=data.info, message=f"Imported from {path}")
        self._records[run_id] = record
        self.runs_panel.add_run(record)
        self._current_record = record
        self._unsaved_model = True
        self.predict_panel.set_model(model, data.info, data)
        self.settings.set_last_directory(path)
        self.tabs.setCurrentWidget(self.predict_panel)
        self._update_title()
        self.show_status(f"Imported {path.name}: try it in the Predict tab.")
        return True

    def export_keras_dialog(self) -> None:
        if self._model_record() is None:
            self._show_error("Nothing to export", "Train a model (or open one) first.")
            return
        path = dialogs.ask_save_path(self, "Export a Keras model", str(self._suggested_path(".keras")),
                                     KERAS_FILTER)
        if path:
            path = Path(path)
            if path.suffix.lower() != ".keras":
                path = path.with_suffix(".keras")
            self.export_keras(path)

    def export_keras(self, path: str | os.PathLike) -> bool:
        path = Path(path)
        record = self._model_record()
        if record is None:
            self._show_error("Nothing to export", "Train a model (or open one) first.")
            return False
        try:
            from core.persistence import export_keras

            export_keras(record.model, path)
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot export the model", path, exc)
            return False
        self.settings.set_last_directory(path)
        self.show_status(f"Exported the model to {path}.")
        return True

    def _model_record(self):
        record = self._current_record
        return record if record is not None and record.model is not None else None

    def _adopt_name(self, path: Path) -> None:
        if self._project_name in ("", "Untitled"):
            self._project_name = path.stem

    def _suggested_path(self, suffix: str) -> Path:
        folder = Path(self.settings.last_directory())
        if self._current_path is not None:
            folder = self._current_path.parent
        stem = self._project_name if self._project_name not in ("", "Untitled") else "untitled"
        safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in stem).strip() or "untitled"
        return folder / f"{safe}{suffix}"

    def _remember_file(self, path: Path) -> None:
        self.settings.add_recent_file(path)
        self.settings.set_last_directory(path)

    def _rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for number, name in enumerate(files, start=1):
            path = Path(name)
            action = self.recent_menu.addAction(f"&{number} {path.name}  —  {path.parent}")
            action.setData(name)
            action.triggered.connect(lambda _checked=False, p=name: self._open_recent(p))
        if not files:
            self.recent_menu.addAction("(no recent files)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list").triggered.connect(self.settings.clear_recent_files)

    def _open_recent(self, name: str) -> None:
        if not Path(name).exists():
            self.settings.remove_recent_file(name)
            self._show_error("File not found", f"{name}: the file no longer exists; it was removed from the list.")
            return
        self.open_path(name)

    def _confirm_discard(self) -> bool:
        """Ask before throwing away unsaved trained work; False if the user cancels."""
        if self._active is not None and not self._closing:
            self.show_status("A run is training: stop it before opening or starting another project.")
            return False
        if not self._has_unsaved_work():
            return True
        what = "the trained model" if self._unsaved_model else f"the changes to {self._project_name}"
        answer = dialogs.ask_unsaved_changes(self, what)
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        return True

    def _has_unsaved_work(self) -> bool:
        # Panel edits without a file are not prompted for: they come back at the next start.
        if self._unsaved_model:
            return True
        return self._current_path is not None and self.is_dirty()

    def _file_error(self, title: str, path: Path, exc: BaseException) -> None:
        message = str(exc)
        if isinstance(exc, OSError) and not isinstance(exc, RNNLabError):
            message = f"{path}: {exc.strerror or exc}"
        if str(path) not in message:
            message = f"{path}: {message}"
        self._show_error(title, message)
        self.show_status(f"{title}: {message}")

    # --- messages --------------------------------------------------------------------------

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text)

    def status_text(self) -> str:
        return self.statusBar().currentMessage()

    def _show_error(self, title: str, text: str, details: str = "", *, warning: bool = False) -> None:
        self.last_message = (title, text)
        if self._closed:
            return
        dialogs.show_error(self, title, text, details, warning=warning)

    def show_about(self) -> None:
        versions = {"RNN Lab": _package_version()}
        try:
            import PySide6

            versions["PySide6"] = PySide6.__version__
        except (ImportError, AttributeError):
            pass
        versions["TensorFlow"] = self._tf_version or "loading…"
        dialogs.show_about(self, versions)

    def show_lecture_guide(self) -> None:
        dialog = dialogs.LectureGuideDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self._guide = dialog

    # --- actions state ---------------------------------------------------------------------

    def _update_actions(self) -> None:
        running = self._active is not None
        stopping = running and self._active.stop_requested
        self.action_train.setEnabled(self._tf_ready and not running)
        self.action_compare.setEnabled(self._tf_ready and not running)
        self.action_continue.setEnabled(self._tf_ready and not running and self._current_record is not None
                                        and self._current_record.model is not None)
        self.action_pause.setEnabled(running and not stopping)
        self.action_pause.setText("&Resume" if running and self.worker.is_paused() else "&Pause")
        self.action_stop.setEnabled(running and not stopping)
        for action in (self.action_new, self.action_open, self.action_open_project, self.action_import_keras):
            action.setEnabled(not running)
        for action in self._example_actions:
            action.setEnabled(not running)
        if not self._tf_ready:
            reason = "TensorFlow is still loading…"
        elif running:
            reason = "a run is training (one run at a time)."
        else:
            reason = ""
        # While a run trains the panel's own run state disables Train; no extra message needed.
        self.training_panel.set_train_enabled(self._tf_ready, "" if self._tf_ready else reason)
        self.runs_panel.set_compare_enabled(not reason, reason)

    # --- layout, settings, closing -----------------------------------------------------------

    def reset_layout(self) -> None:
        for key in ("dataset", "architecture", "training"):
            dock = self.docks[key]
            dock.setFloating(False)
            dock.show()
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.tabifyDockWidget(self.docks["dataset"], self.docks["architecture"])
        self.tabifyDockWidget(self.docks["architecture"], self.docks["training"])
        self.docks["dataset"].raise_()
        self.resizeDocks([self.docks["dataset"]], [440], Qt.Orientation.Horizontal)
        self.toolbar.show()

    def _restore_settings(self) -> None:
        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state, WINDOW_STATE_VERSION)
        tab = self.settings.central_tab()
        if 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)
        text = self.settings.last_project_json()
        project = None
        if text:
            try:
                project = Project.from_json(text)
            except (RNNLabError, TypeError, ValueError):
                project = None  # the last session's choices do not fit this version: start fresh
        try:
            self.set_project(project or Project())
        except (RNNLabError, TypeError, ValueError):
            self.set_project(Project())

    def save_settings(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_window_state(self.saveState(WINDOW_STATE_VERSION))
        self.settings.set_central_tab(self.tabs.currentIndex())
        try:
            self.settings.set_last_project_json(self.current_project().to_json())
        except RNNLabError:
            pass
        self.settings.sync()

    def shutdown(self, wait_ms: int = CLOSE_WAIT_MS) -> bool:
        """Stop any run and end the worker and loader threads; True if all ended in time."""
        self._closed = True
        self._queue = []
        self._progress_timer.stop()
        ended = self.worker.shutdown(wait_ms)
        if not ended:
            _ORPHANS.append(self.worker)
        if self._tf_thread is not None and self._tf_thread.is_alive():
            # An import cannot be interrupted; leaving it running while Python shuts down crashes.
            self._tf_thread.join(wait_ms / 1000)
        return ended

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self._closed:
            event.accept()
            return
        self._closing = True
        try:
            keep_open = not self._confirm_discard()
        finally:
            self._closing = False
        if keep_open:
            event.ignore()
            return
        if self._active is not None:
            self.show_status("Stopping the run before closing…")
            QApplication.processEvents()
        self.save_settings()
        self.shutdown()
        event.accept()


def _check_model_fits(path: Path, model, info) -> None:
    """Refuse a model whose input or output shape does not match the dataset's."""
    expected_in = tuple(info.input_shape)
    try:
        got_in = tuple(model.input_shape[1:])
        got_out = model.output_shape[-1]
    except (AttributeError, TypeError, ValueError):
        raise ModelFileError(f"{path}: the model has no single input and output RNN Lab can feed.") from None
    if len(got_in) != len(expected_in) or any(g is not None and g != e for g, e in zip(got_in, expected_in)):
        raise ModelFileError(
            f"{path}: the model expects inputs of shape {got_in}, but the dataset gives {expected_in}: "
            "choose the dataset the model was trained on."
        )
    if got_out is not None and got_out != info.output_dim:
        raise ModelFileError(
            f"{path}: the model has {got_out} outputs per step, but the dataset needs {info.output_dim}."
        )


def _format_metrics(metrics: dict) -> str:
    order = ("loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae")
    keys = [k for k in order if k in metrics] + sorted(k for k in metrics if k not in order)
    parts = []
    for key in keys:
        value = metrics[key]
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        shown = f"{100 * value:.1f} %" if key.endswith("accuracy") else f"{value:.4g}"
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return " · ".join(parts)


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("rnn-lab")
    except Exception:  # noqa: BLE001 - not installed (run from a checkout)
        return "development"


__all__ = ["MainWindow", "app_icon", "example_files"]
