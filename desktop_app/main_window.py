"""The main window: composes the panels, docks, tabs, menus and status bar, and keeps them in step.

The window owns no runs and no files. ``TrainingSession`` (session.py) keeps the runs and trains
one at a time; ``ProjectDocument`` (document.py) knows the file, the saved state and every file
action; ``TensorFlowLoader`` (tf_loader.py) imports TensorFlow after the window is shown; the
commands come from the table in actions.py. The window reads the panels back into one
``Project`` whenever it needs it, so a debounced edit can never be missed, and connects the
session's and the document's signals to the views. When another project, task or model becomes
current, every view drops what it showed of the old one (``clear_run_views``).
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
from core.formatting import format_metrics
from core.io_modes import IO_MODE_TITLES
from core.memory_estimate import check_memory, estimate_training_memory, require_training_memory
from core.model_fit import same_dataset_layout
from core.models import check_compatible
from core.specs import Project
from desktop_app import actions, dialogs, exporting
from desktop_app.diagnosis_panel import DiagnosisPanel, apply_and_train, run_baseline
from desktop_app.document import ProjectDocument
from desktop_app.evaluation.wiring import attach as attach_evaluation
from desktop_app.memory.wiring import attach as attach_memory
from desktop_app.panels.architecture_panel import ArchitecturePanel
from desktop_app.panels.dataset_panel import DatasetPanel
from desktop_app.panels.import_settings import ImportSettings
from desktop_app.panels.training_panel import TrainingPanel
from desktop_app.plots import TrainingPlots
from desktop_app.predict_panel import PredictPanel
from desktop_app.quit_guard import confirm_quit_while_training
from desktop_app.resources import app_icon
from desktop_app.runs_panel import RunsPanel
from desktop_app.session import RunRecord, RunStatus, TrainingSession
from desktop_app.settings import WINDOW_STATE_VERSION, Settings
from desktop_app.tf_loader import TensorFlowLoader, short_tf_version

CELL_ORDER = ("SimpleRNN", "LSTM", "GRU")
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
        self._connect()
        self._restore_settings()
        self._update_actions()
        self._update_title()

    # --- construction ---------------------------------------------------------------------

    def _build_views(self) -> None:
        self.dataset_panel = DatasetPanel()
        self.architecture_panel = ArchitecturePanel()
        self.training_panel = TrainingPanel()
        self.plots = TrainingPlots()
        self.runs_panel = RunsPanel()
        self.predict_panel = PredictPanel()
        self.diagnosis_panel = DiagnosisPanel()
        self.plots.add_footer(self.diagnosis_panel)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("centralTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.plots, "Training plots")
        self.tabs.addTab(self.runs_panel, "Runs")
        self.tabs.addTab(self.predict_panel, "Predict")
        self.evaluation_view = attach_evaluation(self)  # follows the session's current model
        self.memory_tab = attach_memory(self)  # beside the plots; follows the session and the runs
        self.import_settings = ImportSettings(self)  # an imported file starts from settings that suit it
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
        self.runs_panel.selection_changed.connect(self._on_runs_selection_changed)
        self.runs_panel.compare_cells_requested.connect(self.compare_cells)
        self.runs_panel.run_deleted.connect(self._on_run_deleted)
        self.diagnosis_panel.fix_requested.connect(self.apply_fix)

        session = self.session
        session.run_added.connect(self._on_run_added)
        session.run_updated.connect(self.runs_panel.update_run)
        session.state_changed.connect(self._on_state_changed)
        session.run_started.connect(self._on_run_started)
        session.batch_ended.connect(self.plots.add_batch)
        session.epoch_ended.connect(self.plots.add_epoch)
        session.settings_changed.connect(self._on_settings_changed)
        session.progress_changed.connect(lambda p: self.training_panel.set_progress(
            p.epoch, p.epochs, p.batch, p.batches_per_epoch, p.elapsed_s, p.remaining_s))
        session.run_ended.connect(self._on_run_ended)
        session.queue_finished.connect(self._on_queue_finished)
        session.current_changed.connect(lambda _record: self._update_actions())

        document = self.document
        document.switched.connect(self.clear_run_views)
        document.model_opened.connect(self._on_model_opened)
        document.changed.connect(self._update_title)
        document.message.connect(self.show_status)
        document.failed.connect(lambda title, failure: self._show_error(title, failure.message, failure.details))

        self.tf_loader.loaded.connect(self._on_tensorflow_loaded)
        self.tf_loader.failed.connect(self._on_tensorflow_failed)

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
        self._update_actions()
        self.tensorflow_ready.emit(text)

    def _on_tensorflow_failed(self, failure: Failure) -> None:
        self.tf_label.setText("TensorFlow failed to load")
        self._show_error("TensorFlow could not be loaded",
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
        if self.statusBar().currentMessage().startswith("Cannot train"):
            self.statusBar().clearMessage()
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
        if data is not None and not arch_problem:
            try:
                check_compatible(project.model, data.info)
            except RNNLabError as exc:
                problems.append(str(exc))
            else:
                try:
                    require_training_memory(project, data.info, data.num_train, data.num_val,
                                            dataset_bytes=dataset_bytes(data))
                except RNNLabError as exc:
                    problems.append(f"Not enough memory: {exc}")
        return problems

    def train(self, label_suffix: str = "") -> bool:
        """Train the panels' project (the Train button). False if it could not start."""
        return self._start_runs("Train", [self.current_project()], label_suffix=label_suffix)

    def continue_training(self) -> bool:
        """Train the current model further (Run > Continue training). False if it could not start."""
        project = self.current_project()
        model = self.session.continuable_model(project, self.dataset_panel.current_data())
        if model is None and self.tf_loader.is_ready and not self.session.is_training():
            self._show_error("Cannot continue training",
                             "There is no trained model for these settings: the architecture or the "
                             "data's shape changed since it was trained (or nothing was trained yet). "
                             "Press Train to train a new model.", warning=True)
            return False
        source = f" (continued from {self.session.current.label})" if model is not None else ""
        return self._start_runs("Continue training", [project], model=model, label_suffix=source)

    def compare_cells(self) -> bool:
        """Train SimpleRNN, LSTM and GRU on the same data and seed, one after another."""
        base = self.current_project()
        projects = [dataclasses.replace(base, model=dataclasses.replace(base.model, cell=cell))
                    for cell in CELL_ORDER]
        return self._start_runs("Compare cells", projects)

    def _start_runs(self, what: str, projects: list[Project], *, model=None, label_suffix: str = "") -> bool:
        """Check, then train ``projects`` one after another; False (with a word why) if none started."""
        if self.session.is_training():
            self.show_status("A run is already training: stop it first (only one run at a time).")
            return False
        if not self.tf_loader.is_ready:
            self.start_loading_tensorflow()
            self.show_status(f"{what}: TensorFlow is still loading, try again in a moment.")
            return False
        problems: list[str] = []
        for project in projects:
            problems += [p for p in self.training_problems(project) if p not in problems]
        if problems:
            self._show_error("Cannot train yet", "The settings cannot train yet:\n\n"
                             + "\n".join(f"• {p}" for p in problems), warning=True)
            self.show_status("Cannot train: " + problems[0])
            return False
        self.dataset_panel.set_io_mode(projects[0].model.io_mode)
        if len(projects) > 1:
            self.show_status("Comparing cells: SimpleRNN, then LSTM, then GRU on the same data and seed…")
        try:
            self.session.train(projects, self.dataset_panel.current_data(), model=model, label_suffix=label_suffix)
        except RNNLabError as exc:
            self._show_error("Training could not start", str(exc))
            return False
        return True

    # --- runs in the views -----------------------------------------------------------------

    def _on_run_added(self, record: RunRecord) -> None:
        self.runs_panel.add_run(record)
        if self.runs_panel.selected_runs():
            self.runs_panel.select_runs([])  # the plots are about to show the new run alone
        if record.status == RunStatus.PREPARING:
            self.tabs.setCurrentWidget(self.plots)

    def _on_state_changed(self, state: str) -> None:
        self.training_panel.set_run_state(state)
        self.predict_panel.set_busy(state != "idle")
        self.diagnosis_panel.set_busy(state != "idle")
        record = self.session.active_record()
        if state == "idle":
            self.device_label.setText(f"Device: {self.tf_loader.device_label(self.training_panel.device())}")
        elif state == "preparing":
            self.show_status(f"Run {record.label}: building the model…")
        elif state == "paused":
            self.show_status(f"Run {record.label} paused: Resume to go on, Stop to end it.")
        elif state == "stopping":
            self.show_status(f"Stopping run {record.label} after the current batch…")
        else:
            self.show_status(f"Run {record.label} training…")
        self._update_actions()

    def _on_run_started(self, record: RunRecord, event) -> None:
        self.plots.begin_run(record.run_id, record.label, event, record.info.kind, **self._run_facts(record))
        self.diagnosis_panel.show_training(record.label)
        self.device_label.setText(f"Device: {event.device_name}")
        note = getattr(event, "optimizer_note", "")
        self.show_status(f"Run {record.label} training on {event.device_name}…" + (f" {note}" if note else ""))

    def _on_settings_changed(self, run_id: str, event) -> None:
        self.plots.add_settings_change(run_id, event)
        record = self.session.record(run_id)
        label = record.label if record is not None else run_id
        self.show_status(f"Run {label}: {event.label} after batch {event.batch} of epoch {event.epoch}, "
                         "the optimizer's state kept.")

    def _on_run_ended(self, record: RunRecord) -> None:
        self._show_diagnosis(record)
        overlay = self.diagnosis_panel.take_overlay(record.run_id)
        if overlay:  # a fix was applied and trained: overlay the run it fixes, as the button promised
            self.runs_panel.select_runs(overlay)
        if record.status == RunStatus.KILLED:
            epochs = record.epochs_run
            kept = (f"The history of its {epochs} finished epoch{'s' if epochs != 1 else ''} is kept."
                    if epochs else "It had not finished an epoch.")
            self._show_error("Training process killed",
                             f"Run {record.label} was killed by the system (out of memory?): its training process "
                             f"ended without a word, as the system does when memory runs out. {kept} The window and "
                             "the other runs are unharmed. Try fewer units or layers, or a smaller batch size.",
                             record.message, warning=True)
            self.show_status(f"Run {record.label} was killed by the system (out of memory?).")
            return
        if record.status == RunStatus.FAILED:
            failure = record.failure or Failure(record.message)
            first_line = failure.message.strip().splitlines()[0] if failure.message.strip() else "unknown error"
            self._show_error("Training failed", f"Run {record.label} ended with an error:\n\n{first_line}",
                             failure.details)
            self.show_status(f"Run {record.label} failed: {first_line}")
            return
        self.document.model_trained()
        self.predict_panel.set_model(record.model, record.info, _matching(self.current_data(), record.info))
        metrics = format_metrics(record.final_metrics)
        epochs = f"{record.epochs_run} epoch{'s' if record.epochs_run != 1 else ''}"
        if record.status == RunStatus.NAN:
            self._show_error("Training stopped: exploding gradients",
                             record.message or "The loss became NaN or infinite.", warning=True)
            self.show_status(f"Run {record.label}: {record.message}")
        elif record.status == RunStatus.STOPPED:
            self.show_status(f"Run {record.label} stopped after {epochs}. {metrics}".strip())
        elif record.status == RunStatus.EARLY_STOPPING:
            note = record.message or "validation loss stopped improving"
            self.show_status(f"Run {record.label}: early stopping after {epochs} ({note}). {metrics}".strip())
        else:
            self.show_status(f"Run {record.label} finished after {epochs}. {metrics}".strip())
        self.training_panel.set_progress_text(self.statusBar().currentMessage())

    def _on_queue_finished(self, run_ids: list) -> None:
        if len(run_ids) < 2:
            return
        self.runs_panel.select_runs(run_ids)
        self.plots.show_runs(run_ids)
        self.tabs.setCurrentWidget(self.runs_panel)
        labels = [record.label for record in map(self.session.record, run_ids) if record is not None]
        self.show_status("Compared " + ", ".join(labels) + ": their curves are overlaid in Training plots.")

    def _on_runs_selection_changed(self, records: list) -> None:
        ids = []
        for record in records:
            if record.run_id not in self.plots.run_ids() and record.history is not None:
                self.plots.load_history(record.run_id, record.label, record.history, record.info.kind,
                                        **self._run_facts(record))
            ids.append(record.run_id)
        if ids:
            self.plots.show_runs(ids)
        finished = [r for r in records if r.history is not None and r is not self.session.active_record()]
        if finished:
            self._show_diagnosis(finished[-1])
        with_model = [r for r in records if r.model is not None]
        if with_model and not self.session.is_training():
            record = with_model[-1]
            if record is not self.session.current or not self.predict_panel.has_model():
                self.session.set_current(record)
                self.predict_panel.set_model(record.model, record.info, _matching(self.current_data(), record.info))

    def _on_run_deleted(self, record: RunRecord) -> None:
        was_current = record is self.session.current
        self.session.remove(record.run_id)
        self.plots.remove_run(record.run_id)
        if was_current:
            self.predict_panel.clear()
            self.document.model_discarded()

    def _on_model_opened(self, record: RunRecord) -> None:
        if record.history is not None:
            self.plots.load_history(record.run_id, record.label, record.history, record.info.kind,
                                    **self._run_facts(record))
        self._show_diagnosis(record)
        self.predict_panel.set_model(record.model, record.info, _matching(self.current_data(), record.info))
        self.tabs.setCurrentWidget(self.predict_panel if record.status == RunStatus.IMPORTED else self.plots)

    def clear_run_views(self) -> None:
        """Another project, task or model is current: drop what the views showed of the old one.

        The runs stay in the Runs table (selecting one shows it again); the plots, the Predict
        tab, the Training panel's progress line and a "Cannot train" in the status bar go.
        """
        self.plots.clear()
        if self.runs_panel.selected_runs():
            self.runs_panel.select_runs([])
        self.predict_panel.clear()
        self.diagnosis_panel.clear()
        self.memory_tab.clear()
        self.training_panel.clear_progress()
        if self.statusBar().currentMessage().startswith("Cannot train"):
            self.statusBar().clearMessage()

    # --- diagnosis and its fixes ------------------------------------------------------------

    def _run_facts(self, record: RunRecord) -> dict[str, Any]:
        """What the plots need besides the numbers: the run's settings and its untrained baseline."""
        return {"project": record.project,
                "baseline": run_baseline(record.info, _matching(self.current_data(), record.info))}

    def _show_diagnosis(self, record: RunRecord) -> None:
        self.diagnosis_panel.show_run(record.run_id, record.label, record.project, record.history, record.info,
                                      self._run_facts(record)["baseline"])

    def apply_fix(self, fix, run_id: str) -> bool:
        """The diagnosis' "Apply and train" (see diagnosis_panel.apply_and_train)."""
        return apply_and_train(self, fix, run_id)

    # --- messages and the state of the actions ---------------------------------------------

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(window_wording(text, self._task))

    def _show_error(self, title: str, text: str, details: str = "", *, warning: bool = False) -> None:
        # Core names fields as project files do (training.clip_mode); say it as the panels do.
        text = window_wording(text, self._task)
        self.last_message = (title, text)
        if self._closed:
            return
        dialogs.show_error(self, title, text, details, warning=warning)

    def _update_title(self) -> None:
        self.setWindowTitle(self.document.window_title())

    def _update_actions(self) -> None:
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
        if self.session.is_training():
            # Paused while it asks, once, naming the run and anything unsaved.
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


def _matching(data, info):
    """``data`` if its samples can be shown to a model trained for ``info`` (the sample picker)."""
    return data if data is not None and same_dataset_layout(data.info, info) else None


__all__ = ["MainWindow"]
