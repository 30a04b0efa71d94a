"""The document: which file the window shows, whether it is saved, and every file action.

``ProjectDocument`` knows the project's name and file, the state it was last saved (or opened)
in, and whether a trained model has not been saved yet. It opens and saves projects (.json) and
model bundles (.rnnlab), imports and exports plain .keras models, keeps the recent-files list
and asks before unsaved work is thrown away. Every read and write goes through
core.persistence. The panels belong to the window: the document reads the project and the data
through its host and tells the window what to show by signal.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from core.datasets.base import SequenceData
from core.errors import Failure, RNNLabError
from core.formatting import format_metrics
from core.model_fit import check_model_fits
from core.specs import Project
from desktop_app import dialogs, model_loader
from desktop_app.session import RunRecord, RunStatus, TrainingSession
from desktop_app.settings import Settings
from desktop_app.tf_loader import TensorFlowLoader

UNTITLED = "Untitled"
BUNDLE_FILTER = "RNN Lab model bundle (*.rnnlab)"
PROJECT_FILTER = "RNN Lab project (*.json)"
KERAS_FILTER = "Keras model (*.keras)"
OPEN_FILTER = f"RNN Lab files (*.rnnlab *.json);;{BUNDLE_FILTER};;{PROJECT_FILTER};;All files (*)"
# Export asks for a trained model twice: before the file dialog and again when writing.
NOTHING_TO_EXPORT = ("Nothing to export", "Train a model (or open one) first.")


class DocumentHost(Protocol):
    """What the document needs from the window: the panels' project and data, and a parent."""

    def current_project(self) -> Project: ...

    def show_project(self, project: Project) -> None: ...

    def current_data(self) -> SequenceData | None: ...

    def data_problem(self) -> str: ...


class ProjectDocument(QObject):
    """The window's project file (see the module docstring)."""

    # Another project or model replaced the current one: views drop what they showed of the old.
    switched = Signal()
    # A model came from a file (RunRecord, status loaded or imported): show it.
    model_opened = Signal(object)
    changed = Signal()  # name, file or saved state changed: the title follows
    message = Signal(str)  # what just happened, for the status bar
    failed = Signal(str, object)  # dialog title, core.errors.Failure

    def __init__(self, host: DocumentHost, dialog_parent: QWidget, settings: Settings, session: TrainingSession,
                 tensorflow: TensorFlowLoader):
        super().__init__(dialog_parent)
        self._host = host
        self._parent = dialog_parent
        self._settings = settings
        self._session = session
        self._tensorflow = tensorflow
        self._name = UNTITLED
        self._path: Path | None = None
        self._clean: Project | None = None
        self._unsaved_model = False

    # --- state -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def path(self) -> Path | None:
        return self._path

    def is_dirty(self) -> bool:
        if self._unsaved_model:
            return True
        try:
            return self._clean is not None and self._host.current_project() != self._clean
        except RNNLabError:
            return True

    def window_title(self) -> str:
        """The project's name ("sunspots*" while unsaved; "" for a new, untouched project). Qt adds the
        application's display name itself ("sunspots* — RNN Lab", or "RNN Lab" alone), so it is not here."""
        dirty = self.is_dirty()
        if self._path is None and not dirty and self._name == UNTITLED:
            return ""
        return f"{self._name}{'*' if dirty else ''}"

    def take_as_clean(self, name: str) -> None:
        """The panels now show the project called ``name`` in the state it was opened in."""
        self._name = name or UNTITLED
        self._clean = self._host.current_project()
        self.changed.emit()

    def model_trained(self) -> None:
        self._unsaved_model = True
        self.changed.emit()

    def model_discarded(self) -> None:
        """The current model's run was deleted: there is no trained work left to save."""
        if self._unsaved_model:
            self._unsaved_model = False
            self.changed.emit()

    def model_record(self) -> RunRecord | None:
        record = self._session.current
        return record if record is not None and record.model is not None else None

    def _model_or_explain(self, title: str, hint: str) -> RunRecord | None:
        """The trained model a save or export writes; None, after telling the user, when there is none."""
        record = self.model_record()
        if record is None:
            self.failed.emit(title, Failure(hint))
        return record

    # --- new and open ----------------------------------------------------------------------

    def new(self) -> bool:
        if not self.confirm_discard():
            return False
        self._show(Project(), UNTITLED, path=None)
        self.message.emit("New project.")
        return True

    def open_dialog(self) -> None:
        path = dialogs.ask_open_path(self._parent, "Open a model or project", self._settings.last_directory(),
                                     OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_project_dialog(self) -> None:
        path = dialogs.ask_open_path(self._parent, "Open a project", self._settings.last_directory(),
                                     f"{PROJECT_FILTER};;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str | os.PathLike, *, confirm: bool = True) -> bool:
        """Open a model bundle (.rnnlab) or a project (.json). False (and a dialog) on failure."""
        path = Path(path)
        if confirm and not self.confirm_discard():
            return False
        if path.suffix.lower() == ".json":
            return self._open_project_file(path)
        if not self._tensorflow.is_ready:
            self._tensorflow.when_ready(lambda: self._open_bundle_file(path))
            self.message.emit(f"Opening {path.name} as soon as TensorFlow has loaded…")
            return True
        return self._open_bundle_file(path)

    def open_example(self, path: str | os.PathLike) -> bool:
        if not self.confirm_discard():
            return False
        path = Path(path)
        project = self._load_project_file(path, "Cannot open the example")
        if project is None:
            return False
        # An example is a template: Save asks where to put the copy.
        self._show(project, project.name, path=None)
        self.message.emit(f"Example “{project.name}” opened: press Train.")
        return True

    def open_recent(self, name: str) -> None:
        if not Path(name).exists():
            self._settings.remove_recent_file(name)
            self.failed.emit("File not found",
                             Failure(f"{name}: the file no longer exists; it was removed from the list."))
            return
        self.open_path(name)

    def _open_project_file(self, path: Path) -> bool:
        project = self._load_project_file(path, "Cannot open the project")
        if project is None:
            return False
        self._show(project, _name_for(project, path), path=path)
        self._remember(path)
        self.message.emit(f"Opened project {path.name}.")
        return True

    def _load_project_file(self, path: Path, error_title: str) -> Project | None:
        """The project in ``path``, or None after telling the user what is wrong with the file."""
        try:
            from core.persistence import load_project

            return load_project(path)
        except (RNNLabError, OSError) as exc:
            self._file_error(error_title, path, exc)
            return None

    def _open_bundle_file(self, path: Path) -> bool:
        try:
            from core.model_transfer import bundle_from_payload

            bundle = bundle_from_payload(path, model_loader.read_model_file(path, "bundle", self._parent))
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot open the model", path, exc)
            return False
        project = bundle.project
        self._show(project, _name_for(project, path), path=path)
        history = bundle.history
        final = dict(history.epochs[-1]) if history is not None and history.epochs else {}
        record = self._session.add_run(project, f"{project.model.cell} ({path.name})", RunStatus.LOADED,
                                       model=bundle.model, history=history, info=bundle.info,
                                       final_metrics=final, message=f"Opened from {path}")
        record.saved_path = str(path)
        self._session.set_current(record)
        self.model_opened.emit(record)
        self._remember(path)
        self.message.emit(f"Opened {path.name}: {format_metrics(final)}".strip())
        return True

    def _show(self, project: Project, name: str, *, path: Path | None) -> None:
        """Replace the current project: nothing trained is current, nothing unsaved."""
        self._session.set_current(None)
        self._unsaved_model = False
        self._path = path
        self.switched.emit()
        self._host.show_project(project)
        self.take_as_clean(name)

    def restore(self, project: Project | None, name: str, path: str, runs: list[dict],
                current: int | None) -> list[RunRecord]:
        """Show a session recovered after a crash: its project (None: keep the panels'), its runs
        (``TrainingSession.add_run``'s arguments plus ``saved_path``) and the run that was current.
        Runs whose model no file holds are unsaved work again, as they were."""
        file = Path(path) if path else None
        self._show(project if project is not None else self._host.current_project(), name or UNTITLED,
                   path=file if file is not None and file.exists() else None)
        records = []
        for run in runs:
            run = dict(run)
            saved_path = run.pop("saved_path", "")
            record = self._session.add_run(run.pop("project"), run.pop("title"), run.pop("status"), **run)
            record.saved_path = saved_path
            records.append(record)
        if current is not None and 0 <= current < len(records) and records[current].model is not None:
            self._session.set_current(records[current])
            self.model_opened.emit(records[current])
        self._unsaved_model = any(r.model is not None and not r.saved_path for r in records)
        self.changed.emit()
        return records

    # --- save ------------------------------------------------------------------------------

    def save(self) -> bool:
        """Ctrl+S: the trained model as a bundle, or the project alone when nothing is trained."""
        path = self._path
        if self.model_record() is not None:
            if path is not None and path.suffix.lower() == ".rnnlab":
                return self.save_bundle_to(path)
            return self.save_as()
        if path is not None and path.suffix.lower() == ".json":
            return self.save_project_to(path)
        return self.save_as()

    def save_as(self) -> bool:
        has_model = self.model_record() is not None
        suggested = self._suggested_path(".rnnlab" if has_model else ".json")
        filters = f"{BUNDLE_FILTER};;{PROJECT_FILTER}" if has_model else PROJECT_FILTER
        path = dialogs.ask_save_path(self._parent, "Save as", str(suggested), filters)
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() not in (".rnnlab", ".json"):
            path = path.with_suffix(".rnnlab" if has_model else ".json")
        if path.suffix.lower() == ".json":
            return self.save_project_to(path)
        return self.save_bundle_to(path)

    def save_project_dialog(self) -> bool:
        path = dialogs.ask_save_path(self._parent, "Save project", str(self._suggested_path(".json")),
                                     PROJECT_FILTER)
        if not path:
            return False
        return self.save_project_to(Path(path).with_suffix(".json"))

    def save_project_to(self, path: str | os.PathLike) -> bool:
        path = Path(path)
        self._adopt_name(path)
        project = self._host.current_project()
        try:
            from core.persistence import save_project

            save_project(path, project)
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot save the project", path, exc)
            return False
        return self._saved_as(path, project, f"Saved the project to {path}.")

    def save_bundle_to(self, path: str | os.PathLike) -> bool:
        """Write the current run's model, project and history as one ``.rnnlab`` bundle."""
        path = Path(path)
        record = self._model_or_explain("Nothing to save", "Train a model first: a bundle holds a trained model.")
        if record is None:
            return False
        if not self._tensorflow.is_ready:
            self.message.emit("TensorFlow is still loading: save again in a moment.")
            return False
        self._adopt_name(path)
        project = dataclasses.replace(record.project, name=self._name)
        try:
            from core.persistence import Bundle, save_bundle

            save_bundle(path, Bundle(project=project, model=record.model, history=record.history,
                                     info=record.info))
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot save the model", path, exc)
            return False
        self._unsaved_model = False
        record.saved_path = str(path)
        # Edits made after training are not in the bundle (it holds the trained model's project).
        return self._saved_as(path, project, f"Saved the model, its project and history to {path}.")

    def _saved_as(self, path: Path, project: Project, message: str) -> bool:
        """``path`` now holds ``project``: it becomes the document's file and clean state."""
        self._path = path
        self._clean = project
        self._remember(path)
        self.changed.emit()
        self.message.emit(message)
        return True

    # --- plain Keras models ----------------------------------------------------------------

    def import_keras_dialog(self) -> None:
        path = dialogs.ask_open_path(self._parent, "Import a Keras model", self._settings.last_directory(),
                                     f"{KERAS_FILTER};;All files (*)")
        if path and not self._tensorflow.when_ready(lambda: self.import_keras(path)):
            self.message.emit("Importing the model as soon as TensorFlow has loaded…")

    def import_keras(self, path: str | os.PathLike) -> bool:
        """Load a plain .keras model to predict with it on the current dataset."""
        path = Path(path)
        data = self._host.current_data()
        if data is None:
            self.failed.emit("Cannot import the model", Failure(
                f"{path.name}: choose a dataset the model was trained on first; "
                f"the current dataset settings have a problem: {self._host.data_problem()}"))
            return False
        try:
            from core.model_transfer import model_from_payload

            payload = model_loader.read_model_file(path, "keras", self._parent)
            model = model_from_payload(payload["model"], str(path))
            check_model_fits(model, data.info, source=str(path))
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot import the model", path, exc)
            return False
        self.switched.emit()
        record = self._session.add_run(self._host.current_project(), path.name, RunStatus.IMPORTED, model=model,
                                       info=data.info, message=f"Imported from {path}")
        record.saved_path = str(path)
        self._session.set_current(record)
        self._unsaved_model = True
        self.model_opened.emit(record)
        self._settings.set_last_directory(path)
        self.changed.emit()
        self.message.emit(f"Imported {path.name}: try it in the Predict tab.")
        return True

    def export_keras_dialog(self) -> None:
        if self._model_or_explain(*NOTHING_TO_EXPORT) is None:
            return
        path = dialogs.ask_save_path(self._parent, "Export a Keras model", str(self._suggested_path(".keras")),
                                     KERAS_FILTER)
        if path:
            self.export_keras(Path(path).with_suffix(".keras"))

    def export_keras(self, path: str | os.PathLike) -> bool:
        path = Path(path)
        record = self._model_or_explain(*NOTHING_TO_EXPORT)
        if record is None:
            return False
        try:
            from core.exports import write_data_facts
            from core.persistence import export_keras

            export_keras(record.model, path)
            # The model expects normalised inputs: the statistics (and names) go next to it.
            facts = write_data_facts(path, record.info) if record.info is not None else None
        except (RNNLabError, OSError) as exc:
            self._file_error("Cannot export the model", path, exc)
            return False
        self._settings.set_last_directory(path)
        self.message.emit(f"Exported the model to {path}" + (f", how to feed it to {facts.name}." if facts else "."))
        return True

    # --- unsaved work ----------------------------------------------------------------------

    def unsaved_work(self) -> str:
        """What closing now would throw away, in words ("" when nothing), for a prompt to name."""
        if self._unsaved_model:
            record = self.model_record()
            return f"the trained model of run {record.label}" if record is not None else "the trained model"
        return f"the changes to {self._name}" if self._has_unsaved_work() else ""

    def confirm_discard(self, *, closing: bool = False) -> bool:
        """Ask before throwing away unsaved trained work; False if the user cancels."""
        if self._session.is_training() and not closing:
            self.message.emit("A run is training: stop it before opening or starting another project.")
            return False
        if not self._has_unsaved_work():
            return True
        what = "the trained model" if self._unsaved_model else f"the changes to {self._name}"
        answer = dialogs.ask_unsaved_changes(self._parent, what)
        if answer == "cancel":
            return False
        if answer == "save":
            return self.save()
        return True

    def _has_unsaved_work(self) -> bool:
        # Panel edits without a file are not prompted for: they come back at the next start.
        if self._unsaved_model:
            return True
        return self._path is not None and self.is_dirty()

    # --- helpers ---------------------------------------------------------------------------

    def suggested_path(self, suffix: str) -> Path:
        """Where a save or export dialog starts: the project's folder and name, with ``suffix``."""
        return self._suggested_path(suffix)

    def _adopt_name(self, path: Path) -> None:
        if self._name in ("", UNTITLED):
            self._name = path.stem

    def _suggested_path(self, suffix: str) -> Path:
        folder = self._path.parent if self._path is not None else Path(self._settings.last_directory())
        stem = self._name if self._name not in ("", UNTITLED) else "untitled"
        safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in stem).strip() or "untitled"
        return folder / f"{safe}{suffix}"

    def _remember(self, path: Path) -> None:
        self._settings.add_recent_file(path)
        self._settings.set_last_directory(path)

    def _file_error(self, title: str, path: Path, exc: BaseException) -> None:
        message = str(exc)
        if isinstance(exc, OSError) and not isinstance(exc, RNNLabError):
            message = f"{path}: {exc.strerror or exc}"
        if str(path) not in message:
            message = f"{path}: {message}"
        self.failed.emit(title, Failure(message))
        self.message.emit(f"{title}: {message}")


def _name_for(project: Project, path: Path) -> str:
    return project.name if project.name and project.name != UNTITLED else path.stem
