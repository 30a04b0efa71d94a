"""The main window: composes the panels, docks, tabs, menus and status bar, and keeps them in step.

The window owns no runs and no files. ``TrainingSession`` (session.py) keeps the runs and trains
one at a time; ``ProjectDocument`` (document.py) knows the file, the saved state and every file
action; ``TensorFlowLoader`` (tf_loader.py) imports TensorFlow after the window is shown; the
commands come from the table in actions.py. The window reads the panels back into one
``Project`` whenever it needs it, so a debounced edit can never be missed, and keeps the panels in
step with each other. Everything else is installed by a feature's ``install_x(window)``
(``_install_features``): the runs in the plots, Runs, Predict and diagnosis (run_views.py), the
Evaluation and Memory tabs, the imported file's starting settings; starting a run goes through
run_starts.py. When another project, task or model becomes current, every view drops what it
showed of the old one (``clear_run_views``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QTabWidget, QWidget

from core.datasets import get_task
from core.datasets.windows import dataset_bytes
from core.errors import Failure, RNNLabError
from core.field_titles import window_wording
from core.io_modes import IO_MODE_TITLES
from core.memory_estimate import check_memory, estimate_training_memory
from core.specs import Project
from desktop_app import actions, dialogs, exporting, run_starts
from desktop_app.diagnosis_panel import DiagnosisPanel
from desktop_app.document import ProjectDocument
from desktop_app.evaluation.wiring import install_evaluation
from desktop_app.memory.wiring import attach as install_memory
from desktop_app.panels.architecture_panel import ArchitecturePanel
from desktop_app.panels.dataset_panel import DatasetPanel
from desktop_app.panels.import_settings import ImportSettings
from desktop_app.panels.training_panel import TrainingPanel
from desktop_app.plots import TrainingPlots
from desktop_app.predict_page import PredictPage
from desktop_app.quit_guard import confirm_quit_while_training, is_busy
from desktop_app.resources import app_icon
from desktop_app.run_views import install_run_views
from desktop_app.runs_panel import RunsPanel
from desktop_app.session import TrainingSession
from desktop_app.settings import WINDOW_STATE_VERSION, Settings
from desktop_app.sweeps import estimator as sweep_estimator
from desktop_app.sweeps import install_sweeps
from desktop_app.tf_loader import TensorFlowLoader, short_tf_version

DOCKS = (("dataset", "Dataset"), ("architecture", "Architecture"), ("training", "Training"))
DOCK_WIDTH = 440
# A close during training waits this long for the batch in flight to end.
CLOSE_WAIT_MS = 20000
# Threads that did not end in time on close: kept referenced so Qt never destroys a running one.
_ORPHANS: list[Any] = []


class MainWindow(QMainWindow):
    """RNN Lab's window. Public attributes expose the panels, session and document for tests."""

    tensorflow_ready = Signal(str)  # the status text, e.g. "TensorFlow 2.21 ready · CPU"
    closed_cleanly = Signal()  # the user closed the window: nothing needs recovering

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings if settings is not None else Settings()
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self._syncing = False
        self._closed = False
        self._task = ""
        self.last_message: tuple[str, str] | None = None
        self.recovery = None  # desktop_app.recovery.SessionRecovery, attached by app.py

        self.session = TrainingSession(parent=self)
        self.tf_loader = TensorFlowLoader(self)
        self.document = ProjectDocument(self, self, self.settings, self.session, self.tf_loader)
        self._build_views()
        self._build_commands()
        self.reset_layout()
        self.resize(_default_size(self))
        self._install_features()
        self._connect()
        self._restore_settings()
        self.update_actions()
        self._update_title()

    # --- construction ---------------------------------------------------------------------

    def _build_views(self) -> None:
        self.dataset_panel = DatasetPanel()
        self.architecture_panel = ArchitecturePanel()
        self.training_panel = TrainingPanel()
        self.plots = TrainingPlots()
        self.runs_panel = RunsPanel()
        self.predict_page = PredictPage()  # built when first shown
        self.diagnosis_panel = DiagnosisPanel()
        self.plots.add_footer(self.diagnosis_panel, share=0.25)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("centralTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.plots, "Training plots")
        self.tabs.addTab(self.runs_panel, "Runs")
        self.tabs.addTab(self.predict_page, "Predict")
        self.setCentralWidget(self.tabs)

        self.docks: dict[str, QDockWidget] = {}
        panels = {"dataset": self.dataset_panel, "architecture": self.architecture_panel,
                  "training": self.training_panel}
        for key, title in DOCKS:
            dock = QDockWidget(title, self)
            dock.setObjectName(f"{key}Dock")
            dock.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
            # The panels scroll their own content.
            dock.setWidget(panels[key])
            self.docks[key] = dock
        # Tabs above the panels read like the steps: Dataset, Architecture, Training.
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)

    def _build_commands(self) -> None:
        commands = actions.build_actions(self)
        self.recent_menu = QMenu("Recent &files", self)
        self._example_actions: list[QAction] = []
        menus = actions.build_menus(self, commands, {
            "examples": lambda menu: self._example_actions.extend(
                actions.fill_examples_menu(menu, self.document.open_example)),
            "recent": lambda menu: menu.addMenu(self.recent_menu),
            "docks": lambda menu: menu.addActions([dock.toggleViewAction() for dock in self.docks.values()]),
        })
        self.examples_menu, self.view_menu = menus["examples"], menus["view"]
        self.recent_menu.aboutToShow.connect(
            lambda: actions.fill_recent_menu(self.recent_menu, self.settings, self.document.open_recent))
        self.toolbar = actions.build_toolbar(self, commands)

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
        self.training_panel.training_changed.connect(lambda _spec: self._after_edit(sync_data=False))
        self.training_panel.train_requested.connect(self.train)
        self.training_panel.pause_requested.connect(self.session.pause)
        # The learning rate and clipping changed while paused apply from the next batch on.
        self.training_panel.resume_requested.connect(lambda: self.session.resume(self.training_panel.spec()))
        self.training_panel.stop_requested.connect(self.session.stop)
        self.training_panel.compare_requested.connect(self.compare_cells)
        self.runs_panel.compare_cells_requested.connect(self.compare_cells)
        self.session.current_changed.connect(lambda _record: self.update_actions())

        document = self.document
        document.switched.connect(self.clear_run_views)
        document.changed.connect(self._update_title)
        document.message.connect(self.show_status)
        document.failed.connect(lambda title, failure: self.show_error(title, failure.message, failure.details))

        self.tf_loader.loaded.connect(self._on_tensorflow_loaded)
        self.tf_loader.failed.connect(self._on_tensorflow_failed)

    def _install_features(self) -> None:
        """Each feature installs itself: its tab, if it has one, and its connections to the session,
        the runs, the panels and the commands, all built by now. A new feature is one line here."""
        self.evaluation_page = install_evaluation(self)  # follows the session's current model once shown
        self.memory_tab = install_memory(self)  # beside the plots; follows the session and the runs
        self.import_settings = ImportSettings(self)  # an imported file starts from settings that suit it
        self.run_views = install_run_views(self)  # plots, Runs, Predict and diagnosis follow the runs
        self.sweeps = install_sweeps(self)  # Run › Sweep…, the Sweeps tab, File › Open Sweep Folder…

    @property
    def evaluation_view(self):
        """The Evaluation tab's view (built now if the tab has not been shown yet)."""
        return self.evaluation_page.content()

    @property
    def predict_panel(self):
        """The Predict tab's panel (built now if the tab has not been shown yet)."""
        return self.predict_page.content()

    # --- TensorFlow in the background ------------------------------------------------------

    def start_loading_tensorflow(self) -> None:
        """Import TensorFlow in a background thread; ``tensorflow_ready`` fires when it is done."""
        if not self.tf_loader.has_started() and not self._closed:
            self.tf_label.setText("Loading TensorFlow…")
        self.tf_loader.start()

    def _on_tensorflow_loaded(self, version: str) -> None:
        self.training_panel.set_devices(self.tf_loader.devices())
        text = f"TensorFlow {short_tf_version(version)} ready · {self.tf_loader.device_label(self.training_panel.device())}"
        self.tf_label.setText(text)
        self.update_actions()
        self.tensorflow_ready.emit(text)

    def _on_tensorflow_failed(self, failure: Failure) -> None:
        self.tf_label.setText("TensorFlow failed to load")
        self.show_error("TensorFlow could not be loaded",
                         "Training and opening models need TensorFlow, which failed to load. "
                         "Check the installation (make venv).", failure.details or failure.message)

    # --- the project in the panels ---------------------------------------------------------

    def current_project(self) -> Project:
        """The project the panels show now (read back from them, never cached)."""
        return Project(name=self.document.name, dataset=self.dataset_panel.spec(),
                       model=self.architecture_panel.spec(), training=self.training_panel.spec())

    def current_data(self):
        """The arrays the Dataset panel built (None while its settings are invalid)."""
        return self.dataset_panel.current_data()

    def data_problem(self) -> str:
        return self.dataset_panel.error_text()

    def show_project(self, project: Project) -> None:
        """Put ``project``'s specs into the panels (the document decides its name and state)."""
        self._syncing = True
        try:
            task = get_task(project.dataset.task)
            self.architecture_panel.set_supported_modes(task.supported_modes, task.title)
            self.dataset_panel.set_io_mode(project.model.io_mode)
            self.dataset_panel.set_spec(project.dataset)
            self.architecture_panel.set_spec(project.model)
            self.training_panel.set_spec(project.training)
        finally:
            self._syncing = False
        self._task = project.dataset.task
        self._after_edit(sync_data=True)

    def set_project(self, project: Project, *, name: str | None = None) -> None:
        """Show ``project`` in the panels; its state becomes the saved ("clean") one."""
        self.show_project(project)
        self.document.take_as_clean(name or project.name)

    def _on_dataset_changed(self, spec) -> None:
        if self._syncing:
            return
        try:
            task = get_task(spec.task)
        except RNNLabError:
            task = None
        if spec.task != self._task:
            self._task = spec.task
            self.clear_run_views()
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
        self._after_edit(sync_data=True)

    def _on_model_changed(self, spec) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.dataset_panel.set_io_mode(spec.io_mode)
        finally:
            self._syncing = False
        self._after_edit(sync_data=True)

    def _after_edit(self, *, sync_data: bool) -> None:
        """After the panels changed: give the architecture panel the data's shapes, drop a
        "Cannot train" that no longer describes the settings, and follow in the title."""
        if sync_data:
            data = self.dataset_panel.current_data()
            self._syncing = True
            try:
                self.architecture_panel.set_data_info(data.info if data is not None else None)
            finally:
                self._syncing = False
        self._drop_cannot_train()
        self.architecture_panel.set_clip_mode(self.training_panel.spec().clip_mode)
        self._update_memory_estimate()
        if self.tf_loader.is_ready:
            self.tf_label.setText(f"TensorFlow {short_tf_version(self.tf_loader.version)} ready · "
                                  f"{self.tf_loader.device_label(self.training_panel.device())}")
        self._update_title()

    def _update_memory_estimate(self) -> None:
        """The Architecture panel's "≈ 1.2 GB to train" for the panels' settings and data."""
        data = self.dataset_panel.current_data()
        check = None
        if data is not None and not self.architecture_panel.problem():
            try:
                check = check_memory(estimate_training_memory(self.current_project(), data.info, data.num_train,
                                                              data.num_val, dataset_bytes=dataset_bytes(data)))
            except (RNNLabError, ValueError):
                check = None  # the panels' problems say why these settings cannot train
        self.architecture_panel.set_memory_check(check)

    # --- training --------------------------------------------------------------------------

    def training_problems(self, project: Project | None = None) -> list[str]:
        """What stops the current settings from training, in words (empty: ready to train)."""
        try:
            project = project or self.current_project()
        except RNNLabError as exc:
            return [str(exc)]
        return run_starts.training_problems(self, project)

    def train(self, label_suffix: str = "") -> bool:
        """Train the panels' project (the Train button). False if it could not start."""
        return run_starts.start_runs(self, "Train", [self.current_project()], label_suffix=label_suffix)

    def continue_training(self) -> bool:
        """Train the current model further (Run > Continue training). False if it could not start."""
        project = self.current_project()
        model = self.session.continuable_model(project, self.dataset_panel.current_data())
        if model is None and self.tf_loader.is_ready and not self.session.is_training():
            self.show_error("Cannot continue training",
                            "There is no trained model for these settings: the architecture or the "
                            "data's shape changed since it was trained (or nothing was trained yet). "
                            "Press Train to train a new model.", warning=True)
            return False
        source = f" (continued from {self.session.current.label})" if model is not None else ""
        return run_starts.start_runs(self, "Continue training", [project], model=model, label_suffix=source)

    def compare_cells(self) -> bool:
        """Train SimpleRNN, LSTM and GRU on the same data and seed, one after another."""
        return run_starts.start_runs(self, "Compare cells", run_starts.cell_comparison(self.current_project()))

    def clear_run_views(self) -> None:
        """Another project, task or model is current: drop what the views showed of the old one.

        The runs stay in the Runs table (selecting one shows it again); the plots, the Predict
        tab, the Memory tab, the Training panel's progress line and a "Cannot train" in the status
        bar go.
        """
        self.run_views.clear()
        self.memory_tab.clear()
        self._drop_cannot_train()

    # --- messages and the state of the actions ---------------------------------------------

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(window_wording(text, self._task))

    def _drop_cannot_train(self) -> None:
        if self.statusBar().currentMessage().startswith("Cannot train"):
            self.statusBar().clearMessage()

    def show_error(self, title: str, text: str, details: str = "", *, warning: bool = False) -> None:
        # Core names fields as project files do (training.clip_mode); say it as the panels do.
        text = window_wording(text, self._task)
        self.last_message = (title, text)
        if self._closed:
            return
        dialogs.show_error(self, title, text, details, warning=warning)

    def _update_title(self) -> None:
        self.setWindowTitle(self.document.window_title())

    def update_actions(self) -> None:
        running = self.session.is_training()
        stopping = self.session.state() == "stopping"
        ready = self.tf_loader.is_ready
        self.action_train.setEnabled(ready and not running)
        self.action_compare.setEnabled(ready and not running)
        self.action_continue.setEnabled(ready and not running and self.document.model_record() is not None)
        self.action_pause.setEnabled(running and not stopping)
        self.action_pause.setText("&Resume" if running and self.session.worker.is_paused() else "&Pause")
        self.action_stop.setEnabled(running and not stopping)
        for action in (self.action_new, self.action_open, self.action_open_project, self.action_import_keras,
                       *self._example_actions):
            action.setEnabled(not running)
        if not ready:
            reason = "TensorFlow is still loading…"
        elif running:
            reason = "a run is training (one run at a time)."
        else:
            reason = ""
        # While a run trains the panel's own run state disables Train; no extra message needed.
        self.training_panel.set_train_enabled(ready, "" if ready else reason)
        self.runs_panel.set_compare_enabled(not reason, reason)

    # --- layout, settings, closing -----------------------------------------------------------

    def reset_layout(self) -> None:
        for key, _title in DOCKS:
            dock = self.docks[key]
            dock.setFloating(False)
            dock.show()
            self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.tabifyDockWidget(self.docks["dataset"], self.docks["architecture"])
        self.tabifyDockWidget(self.docks["architecture"], self.docks["training"])
        self.docks["dataset"].raise_()
        self.resizeDocks([self.docks["dataset"]], [DOCK_WIDTH], Qt.Orientation.Horizontal)
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
        ended = self.session.shutdown(wait_ms)
        self.memory_tab.shutdown(wait_ms)  # a sample's states being computed: seconds at most
        self.sweeps.shutdown(wait_ms)  # running trials end within one batch
        # A closed Sweep dialog's estimate still reading a big CSV: it cannot be interrupted, and
        # a thread left running while Python shuts down crashes.
        sweep_estimator.wait_for_abandoned()
        exporting.shutdown(self)  # an ONNX conversion in progress is cancelled
        if not ended:
            _ORPHANS.append(self.session.worker)
        # An import cannot be interrupted; leaving it running while Python shuts down crashes.
        self.tf_loader.shutdown(wait_ms / 1000)
        return ended

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self._closed:
            event.accept()
            return
        if is_busy(self):
            # Paused while it asks, once, naming the run or sweep and anything unsaved.
            if not confirm_quit_while_training(self):
                event.ignore()
                return
        elif not self.document.confirm_discard(closing=True):
            event.ignore()
            return
        self.closed_cleanly.emit()
        if self.session.is_training():
            self.show_status("Stopping the run before closing…")
            QApplication.processEvents()
        self.save_settings()
        self.shutdown()
        event.accept()


def _default_size(window: QWidget) -> QSize:
    """1440 x 900, or 90 % of a smaller screen."""
    screen = window.screen() or QApplication.primaryScreen()
    if screen is None:
        return QSize(1440, 900)
    available = screen.availableGeometry()
    return QSize(min(1440, int(available.width() * 0.9)), min(900, int(available.height() * 0.9)))


__all__ = ["MainWindow"]
