"""Run › Sweep…: a sweep built from the current project, checked as the user types.

The user picks the fields to vary (``FieldRow``), the seeds, the metric to rank by and its
direction, where the trials run and the output folder. Every change rebuilds the spec through
``core.sweeps.SweepSpec.from_dict``, so the dialog shows the trial count and the estimated time
of exactly what Start would run, and names the first problem (a field it cannot read, or core's
SweepSpecError in the panels' words) with Start disabled until there is none.

"Open sweep file…" shows a sweep file (an example, or one written for ``main.py sweep``) in the
dialog, its base project in place of the current one until "Use current project" brings that back
(with the rows whose fields it has); "Save sweep file…" writes the spec Start would run, for
``main.py sweep FILE --out DIR`` to run the same trials elsewhere. Both go through core's
SweepSpec.load and save, so a file means the same here as on the command line. The note beside
them says when the dialog no longer shows what the file holds.

The output folder is named after the sweep until the user types or browses one. The settings keep
the folder of the last sweep file and where the last output folder was made, for the next dialog.
The estimated time comes from a thread (estimator.py): a big CSV takes a while to count.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.datasets import get_task
from core.datasets.base import CLASSIFICATION
from core.errors import RNNLabError
from core.examples import EXAMPLES_DIR
from core.field_titles import field_title, window_wording
from core.specs import Project
from core.sweeps.spec import DISTRIBUTIONS, METRICS, SweepSpec, SweepSpecError
from core.sweeps.trials import expand_trials
from desktop_app import dialogs
from desktop_app.resources import RESOURCES
from desktop_app.sweeps.elided_label import ElidedLabel
from desktop_app.sweeps.estimator import SweepEstimator
from desktop_app.sweeps.field_row import FieldRow
from desktop_app.sweeps.fields import SweepField, field_for, format_value, format_values, parse_values, sweepable_fields
from desktop_app.sweeps.worker import SweepRequest
from desktop_app.widgets import NOTE_COLOR, MessageLabel, note_label

SEEDS_FIELD = SweepField("seeds", "Seeds", "int", 0)
ENGINES = (("local", "This computer"), ("ray", "Ray (a cluster, or a local Ray instance)"))
ESTIMATE_DELAY_MS = 250
RAY_MISSING = "Ray is not installed here: install the extra with  pip install 'rnn-lab[ray]'  to run on Ray."
EXAMPLE_SWEEPS = EXAMPLES_DIR / "sweeps"
SWEEP_FILTER = "Sweep files (*.json);;All files (*)"


def metric_names(kind: str | None) -> list[str]:
    """The metrics a run of this kind of data reports (all of core's when unknown), validation first."""
    if kind is None:
        return list(METRICS)
    extra = "accuracy" if kind == CLASSIFICATION else "mae"
    return ["val_loss", f"val_{extra}", "loss", extra]


class SweepDialog(QDialog):
    """Builds a SweepRequest from ``project`` (see the module docstring)."""

    estimated = Signal()  # the estimated time is shown

    def __init__(self, project: Project, *, data_kind: str | None = None, folder: str | os.PathLike = "",
                 settings: Any = None, files_dir: str | os.PathLike | None = None, parent: QWidget | None = None):
        """``folder`` is the suggested output folder; ``settings`` (desktop_app.settings.Settings)
        learns the folder of a sweep file the user opens or saves and where the output folder of a
        started sweep was made, and gives both to the next dialog; ``files_dir`` is where Open
        starts (else the remembered folder, else the example sweeps)."""
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.setObjectName("sweepDialog")
        self._current, self._current_kind = project, data_kind
        self._project = project
        self._fields = sweepable_fields(project)
        # The sweep file's folder once one is open: relative data paths in it are read from there.
        self._base_dir: str | None = None
        # ("saved"/"opened", the file, its spec as a dict): the note says when the dialog differs.
        self._file_state: tuple[str, Path, dict] | None = None
        self._settings = settings
        remembered = settings.sweep_files_directory() if settings is not None else None
        self.files_dir = Path(files_dir) if files_dir else Path(remembered) if remembered else None
        output_parent = settings.sweep_output_parent() if settings is not None else None
        if output_parent:
            folder = _free_folder(Path(output_parent), f"{project.name} sweep")
        self._folder_follows_name = True  # until the user types or browses a folder
        self._spec_now: SweepSpec | None = None  # what Save writes; None while the sweep has a problem
        self._request: SweepRequest | None = None
        self._showing_file = False
        # Tests replace it with something that does not open a dialog.
        self.ask_folder = QFileDialog.getExistingDirectory
        self.rows: list[FieldRow] = []
        self._trial_count = 0
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(ESTIMATE_DELAY_MS)
        self._estimate_timer.timeout.connect(self._on_estimate_due)
        self._estimate_due = False  # the summary waits for an estimate of the sweep shown
        self._estimator = SweepEstimator(self)
        self._estimator.estimated.connect(self._on_estimated)
        self._estimator.failed.connect(self._on_estimate_failed)

        intro = note_label("Train the base project once per combination of the values below and per seed; "
                           "each trial is a normal run and leaves a bundle in the output folder.")
        self.name_edit = QLineEdit(f"{project.name} sweep")
        self.name_edit.setToolTip("The sweep's name, in its results and in a saved sweep file")
        self.base_label = ElidedLabel(f"the current project “{project.name}”")
        self.base_label.setObjectName("sweepBaseProject")
        self.use_current_button = QPushButton("Use current project")
        self.use_current_button.setToolTip(f"Sweep the window's project “{project.name}” again, keeping the "
                                           "fields, values and seeds that apply to it")
        self.use_current_button.setEnabled(False)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(6)
        self.add_button = QPushButton("Add field")
        self.add_button.setToolTip("Vary one more field of the project")
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(1, 10000)
        self.samples_spin.setValue(8)
        self.samples_spin.setToolTip("How many values each Random field draws (random search)")
        self.seeds_edit = QLineEdit("0, 1")
        self.seeds_edit.setToolTip("Every combination trains once per seed: the spread over seeds shows what is luck")
        self.metric_combo = QComboBox()
        self.metric_combo.addItems(metric_names(data_kind))
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("lowest is best", "min")
        self.mode_combo.addItem("highest is best", "max")
        self.asha_check = QCheckBox("Stop bad trials early (ASHA)")
        self.asha_check.setToolTip("Ends trials whose metric trails the others' at the same epoch "
                                   "(asynchronous successive halving, on this computer or on Ray)")
        self.engine_combo = QComboBox()
        for value, title in ENGINES:
            self.engine_combo.addItem(title, value)
        self.address_edit = QLineEdit()
        self.address_edit.setPlaceholderText("empty: start Ray here · auto · ray://HOST:PORT")
        self.concurrent_spin = QSpinBox()
        self.concurrent_spin.setRange(0, 1024)
        self.concurrent_spin.setSpecialValueText(f"as many as cores ({os.cpu_count() or 1})")
        self.concurrent_spin.setToolTip("Trials that train at once")
        self.folder_edit = QLineEdit(str(folder))
        self.folder_button = QPushButton("Browse…")
        self.resume_check = QCheckBox("Resume: run only the trials the folder does not hold yet")
        self.summary_label = QLabel()
        self.summary_label.setObjectName("sweepSummary")
        self.summary_label.setStyleSheet("font-weight: 600;")
        self.message = MessageLabel()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button = QPushButton("Open sweep file…")
        self.open_button.setToolTip("Show a sweep file here (an example, or one written for main.py sweep): "
                                    "its base project, fields, values and seeds")
        self.save_button = QPushButton("Save sweep file…")
        self.save_button.setToolTip("Save this sweep as a file:  main.py sweep FILE --out DIR  runs the same trials")
        # One line beside the buttons, however long the file's name (its tooltip has all of it).
        self.file_note = ElidedLabel()
        self.file_note.setStyleSheet(f"color:{NOTE_COLOR};")
        self._lay_out(intro)
        # Only once the button is in the dialog: before, Qt has no dialog to tell, and on show it made
        # the first button of the form the default, which Enter in a text box then clicked.
        self.start_button.setDefault(True)
        self._connect()
        self.add_row()
        self._update()

    # --- reading it back ---------------------------------------------------------------------

    def request(self) -> SweepRequest | None:
        """What Start runs; None while something is wrong."""
        return self._request

    def spec(self) -> SweepSpec | None:
        """The sweep Start runs and Save writes; None while something about it is wrong."""
        return self._spec_now

    def open_dialog(self) -> None:
        """"Open sweep file…": ask for a file and show it."""
        start = self.files_dir if self.files_dir is not None and self.files_dir.is_dir() else EXAMPLE_SWEEPS
        path = dialogs.ask_open_path(self, "Open a sweep file", str(start), SWEEP_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | os.PathLike) -> bool:
        """Show the sweep of ``path`` (its base project in place of the dialog's); a file that
        cannot be used is named in the dialog, which keeps what it showed."""
        path = Path(path)
        try:
            spec = SweepSpec.load(path)
            fields = self._fields_of(spec, path)
        except (RNNLabError, OSError, ValueError) as exc:
            self.message.set_error(f"Cannot open the sweep file: {window_wording(str(exc), self._task())}")
            return False
        self._show_spec(spec, fields)
        self.base_label.setText(f"{path.name}'s project, “{spec.project.name}”")
        self.base_label.setToolTip(f"{self.base_label.text()}\n{path.absolute()}")
        self.use_current_button.setEnabled(True)
        self._file_state = ("opened", path, spec.to_dict())
        self._show_file_state()
        self._remember_folder(path)
        return True

    def use_current_project(self) -> None:
        """"Use current project": the window's project is the base again; the rows whose fields it
        has keep their values, the others go (the message names them)."""
        current = self._current
        fields = sweepable_fields(current)
        for row in self.rows:
            dotted = row.field().dotted
            extra = field_for(current, dotted) if all(f.dotted != dotted for f in fields) else None
            if extra is not None:  # a field only the file's rows showed, such as the I/O mode
                fields.append(extra)
        dropped = []
        self._showing_file = True
        try:
            self._project, self._fields, self._base_dir = current, fields, None
            for row in list(self.rows):
                if not row.use_fields(fields):
                    dropped.append(row.field().title)
                    self._drop_row(row)
            if not self.rows:
                self.add_row()
            chosen = self.metric_combo.currentText()
            metrics = metric_names(self._current_kind)
            self._set_metrics(metrics, chosen if chosen in metrics else metrics[0])
            if self.metric_combo.currentText() != chosen:
                self._on_metric_changed(self.metric_combo.currentText())
        finally:
            self._showing_file = False
        self.base_label.setText(f"the current project “{current.name}”")
        self.use_current_button.setEnabled(False)
        self._update()
        if dropped:
            self.message.set_messages(self.message.errors(), [
                f"The current project has no {' and no '.join(dropped)}: "
                f"{'its row was' if len(dropped) == 1 else 'their rows were'} removed."])

    def save_dialog(self) -> None:
        """"Save sweep file…": ask where, then save."""
        spec = self._spec_now
        if spec is None:
            return
        folder = self.files_dir if self.files_dir is not None and not _in_app(self.files_dir) else None
        if folder is None:
            folder = Path(self._settings.last_directory()) if self._settings is not None else Path.home()
        path = dialogs.ask_save_path(self, "Save the sweep as a file", str(folder / f"{_file_name(spec.name)}.json"),
                                     SWEEP_FILTER)
        if path:
            self.save_file(path if Path(path).suffix else f"{path}.json")

    def save_file(self, path: str | os.PathLike) -> bool:
        """Write the sweep Start would run to ``path`` (atomically: a failed save keeps the old file)."""
        path = Path(path)
        spec = self._spec_now
        if spec is None:
            return False
        try:
            spec.save(path)
        except (RNNLabError, OSError) as exc:
            self.message.set_error(f"Cannot save the sweep file: {exc}")
            return False
        self._file_state = ("saved", path, spec.to_dict())
        self._show_file_state()
        self._remember_folder(path)
        return True

    def add_row(self, dotted: str = "", values: str = "") -> FieldRow:
        row = FieldRow(self._fields, self)
        if dotted or not self.rows:
            row.choose(dotted or _first_unused(self._fields, self.rows), values)
        else:
            row.choose(_first_unused(self._fields, self.rows))
        row.changed.connect(self._update)
        row.remove_requested.connect(self._on_remove_requested)
        self.rows.append(row)
        self.rows_box.addWidget(row)
        self._update()
        return row

    # --- a sweep file ------------------------------------------------------------------------

    def _fields_of(self, spec: SweepSpec, path: Path) -> list[SweepField]:
        """The fields the dialog offers for ``spec``'s project, with any other field ``spec`` varies;
        ValueError for one no row can show (the command line still runs it)."""
        fields = sweepable_fields(spec.project)
        for dotted in spec.fields:
            if any(f.dotted == dotted for f in fields):
                continue
            extra = field_for(spec.project, dotted)
            if extra is None:
                raise ValueError(f"{path}: it varies {dotted}, which this dialog cannot show: run it with "
                                 "main.py sweep FILE --out DIR")
            fields.append(extra)
        return fields

    def _show_spec(self, spec: SweepSpec, fields: list[SweepField]) -> None:
        # One check at the end: the rows' signals would check every half-shown state on the way.
        self._showing_file = True
        try:
            self._project, self._fields, self._base_dir = spec.project, fields, spec.base_dir
            for row in list(self.rows):
                self._drop_row(row)
            for section in ("grid", "random"):
                for dotted, values in getattr(spec, section).items():
                    self.add_row(dotted).show(dotted, section, values)
            self.name_edit.setText(spec.name)
            self.samples_spin.setValue(spec.samples)
            self.seeds_edit.setText(format_values(list(spec.seeds)))
            self._set_metrics(metric_names(_data_kind(spec.project)), spec.metric)
            self.mode_combo.setCurrentIndex(self.mode_combo.findData(spec.mode))
            self.asha_check.setChecked(spec.scheduler == "asha")
        finally:
            self._showing_file = False
        self._update()

    def _set_metrics(self, metrics: list[str], chosen: str) -> None:
        with QSignalBlocker(self.metric_combo):
            self.metric_combo.clear()
            self.metric_combo.addItems(metrics + ([chosen] if chosen not in metrics else []))
            self.metric_combo.setCurrentText(chosen)

    def _show_file_state(self) -> None:
        """"Saved as mine.json" while the dialog shows what the file holds, else "Changed since …"."""
        if self._file_state is None:
            return
        how, path, held = self._file_state
        same = self._spec_now is not None and self._spec_now.to_dict() == held
        done = f"saved as {path.name}" if how == "saved" else f"opening {path.name}"
        self.file_note.setText((f"Saved as {path.name}" if how == "saved" else f"Opened {path.name}") if same
                               else f"Changed since {done}")
        self.file_note.setToolTip(f"{self.file_note.text()}\n{path.absolute()}")

    def _remember_folder(self, path: Path) -> None:
        self.files_dir = path.absolute().parent
        if self._settings is not None:  # they keep no folder inside the app (an example's)
            self._settings.set_last_directory(path)
            self._settings.set_sweep_files_directory(self.files_dir)

    def _task(self) -> str:
        return self._project.dataset.task

    # --- internals ---------------------------------------------------------------------------

    def _lay_out(self, intro: QLabel) -> None:
        top = QFormLayout()
        top.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        top.addRow("Name:", self.name_edit)
        base = QHBoxLayout()
        base.addWidget(self.base_label, 1)
        base.addWidget(self.use_current_button)
        top.addRow("Base project:", base)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Random draws:", self.samples_spin)
        form.addRow("Seeds:", self.seeds_edit)
        rank = QHBoxLayout()
        rank.addWidget(self.metric_combo, 1)
        rank.addWidget(self.mode_combo)
        rank.addWidget(self.asha_check)
        form.addRow("Rank by:", rank)
        form.addRow("Run on:", self.engine_combo)
        form.addRow("Ray address:", self.address_edit)
        form.addRow("At once:", self.concurrent_spin)
        folder = QHBoxLayout()
        folder.addWidget(self.folder_edit, 1)
        folder.addWidget(self.folder_button)
        form.addRow("Output folder:", folder)
        form.addRow("", self.resume_check)
        _align_labels(top, form)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addSpacing(4)
        fields_title = QLabel("Fields to vary")
        fields_title.setStyleSheet("font-weight: 600;")
        layout.addWidget(fields_title)
        layout.addLayout(self.rows_box)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(form)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.message)
        layout.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.file_note, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.resize(720, 520)

    def _connect(self) -> None:
        self.add_button.clicked.connect(lambda: self.add_row())
        for edit in (self.seeds_edit, self.address_edit, self.folder_edit):
            edit.textChanged.connect(self._update)
        self.name_edit.textChanged.connect(self._on_name_changed)
        self.folder_edit.textEdited.connect(self._on_folder_edited)
        self.use_current_button.clicked.connect(self.use_current_project)
        for combo in (self.mode_combo, self.engine_combo):
            combo.currentIndexChanged.connect(self._update)
        self.metric_combo.currentTextChanged.connect(self._on_metric_changed)
        for spin in (self.samples_spin, self.concurrent_spin):
            spin.valueChanged.connect(self._update)
        for check in (self.asha_check, self.resume_check):
            check.toggled.connect(self._update)
        self.folder_button.clicked.connect(self._on_browse_clicked)
        self.open_button.clicked.connect(self.open_dialog)
        self.save_button.clicked.connect(self.save_dialog)
        self.buttons.accepted.connect(self._on_start_clicked)
        self.buttons.rejected.connect(self.reject)

    def _on_metric_changed(self, metric: str) -> None:
        # Accuracy ranks the other way round from every loss and error.
        self.mode_combo.setCurrentIndex(1 if "accuracy" in metric else 0)
        self._update()

    def _on_remove_requested(self, row: FieldRow) -> None:
        self._drop_row(row)
        self._update()

    def _drop_row(self, row: FieldRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()

    def _on_name_changed(self) -> None:
        text = self.folder_edit.text().strip()
        if self._folder_follows_name and text:
            with QSignalBlocker(self.folder_edit):
                self.folder_edit.setText(str(_free_folder(Path(text).expanduser().parent, self.name_edit.text())))
        self._update()

    def _on_folder_edited(self) -> None:
        self._folder_follows_name = False

    def _on_browse_clicked(self) -> None:
        folder = self.ask_folder(self, "Output folder of the sweep", self.folder_edit.text())
        if folder:
            self._folder_follows_name = False
            self.folder_edit.setText(folder)
            if self._settings is not None:
                self._settings.set_sweep_output_parent(Path(folder).parent)

    def _on_start_clicked(self) -> None:
        self._update()  # the folder may have filled since it was checked
        if self._request is not None:
            if self._settings is not None:
                self._settings.set_sweep_output_parent(self._request.out_dir.parent)
            self.accept()

    # --- the estimate, from a thread ----------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Hidden, the dialog asked for no estimate (minimized, it may have one under way).
        if self._estimate_due and not self._estimate_timer.isActive() and not self._estimator.is_busy():
            self._estimate_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        # Closed (Start, Cancel, the window's close button) or hidden with its window: no estimate
        # thread outlives the view.
        # Minimized (spontaneous) it is still there, and waiting for a big CSV would freeze the window.
        if not event.spontaneous():
            self._estimate_timer.stop()
            self._estimator.shutdown()
        super().hideEvent(event)

    def _update(self) -> None:
        if self._showing_file:
            return
        is_ray = self.engine_combo.currentData() == "ray"
        self.address_edit.setEnabled(is_ray)
        self.samples_spin.setEnabled(any(row.is_random() for row in self.rows))
        self._estimate_timer.stop()
        self._estimator.discard()
        self._estimate_due = False
        self._spec_now = None
        try:
            spec = self._spec()
            self._spec_now = spec
            self._request = self._checked_request(spec)
        except (RNNLabError, ValueError) as exc:
            self._request = None
            self.message.set_error(self._worded(exc))
            self.summary_label.setText("")
        else:
            self.message.clear_messages()
            self._trial_count = len(expand_trials(spec))
            self.summary_label.setText(self._summary("estimating the time…"))
            self._estimate_due = True
            # Estimating builds each distinct dataset once: not on every keystroke.
            if self.isVisible():
                self._estimate_timer.start()
        self.start_button.setEnabled(self._request is not None)
        self.save_button.setEnabled(self._spec_now is not None)
        self._show_file_state()

    def _on_estimate_due(self) -> None:
        if self._request is not None:
            self._estimator.estimate(self._request)

    def _on_estimated(self, seconds: float) -> None:
        self._estimate_due = False
        words = duration_words(seconds)
        if words.startswith("under"):
            rough = words
        elif self.asha_check.isChecked():  # the estimate trains every trial in full
            rough = f"at most about {words}"
        else:
            rough = f"about {words}"
        self.summary_label.setText(self._summary(f"{rough} (a rough estimate)"))
        self.estimated.emit()

    def _on_estimate_failed(self, exc: Exception) -> None:
        self._estimate_due = False
        self.summary_label.setText(self._summary("time unknown"))
        if not isinstance(exc, (RNNLabError, OSError, ValueError)):
            raise exc  # a bug: to the app's exception hook, as if it had happened here
        self.message.set_warning(f"The time cannot be estimated: {self._worded(exc)}")

    def _summary(self, time_text: str) -> str:
        count = self._trial_count
        request = self._request
        at_once = min(count, (request.max_concurrent if request else None) or os.cpu_count() or 1)
        return f"{count} trial{'s' if count != 1 else ''}, {at_once} at once · {time_text}"

    def _worded(self, exc: Exception) -> str:
        """The problem in the panels' words: "Architecture › Units: expected …, received 0"."""
        task = self._task()
        if not isinstance(exc, SweepSpecError):
            return window_wording(str(exc), task)
        where = exc.field.split(".")
        if where[0] in ("grid", "random"):
            where = [part for part in where[1:] if part not in DISTRIBUTIONS]
        title = field_title(".".join(where), task)
        return window_wording(f"{title[:1].upper()}{title[1:]}: expected {exc.expected}, "
                              f"received {format_value(exc.value)}", task)

    def _spec(self) -> Any:
        grid: dict[str, Any] = {}
        random: dict[str, Any] = {}
        for row in self.rows:
            dotted, how, values = row.entry()
            if dotted in grid or dotted in random:
                raise ValueError(f"{row.field().title} is varied twice: remove one of its rows.")
            (grid if how == "grid" else random)[dotted] = values
        if not grid and not random:
            raise ValueError("Add a field to vary.")
        metric = self.metric_combo.currentText().strip()
        return SweepSpec.from_dict({
            "name": self.name_edit.text(), "project": self._project.to_dict(), "grid": grid,
            "random": random, "samples": self.samples_spin.value(), "seeds": parse_values(SEEDS_FIELD, self.seeds_edit.text()),
            "metric": metric, "mode": self.mode_combo.currentData(),
            # Kept while the local engine runs (it ignores it), so a saved file keeps it for Ray.
            "scheduler": "asha" if self.asha_check.isChecked() else None}, base_dir=self._base_dir)

    def _checked_request(self, spec: Any) -> SweepRequest:
        engine = self.engine_combo.currentData()
        if engine == "ray" and importlib.util.find_spec("ray") is None:
            raise ValueError(RAY_MISSING)
        text = self.folder_edit.text().strip()
        if not text:
            raise ValueError("Choose an output folder: the sweep's results and bundles go there.")
        folder = Path(text).expanduser()
        resume = self.resume_check.isChecked()
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"{folder} is a file: choose a folder for the sweep.")
        if not resume and (folder / "sweep.json").exists():
            raise ValueError(f"{folder} already holds a sweep: tick Resume to run its missing trials, "
                             "or choose another folder.")
        address = self.address_edit.text().strip() or None
        return SweepRequest(spec, folder, engine, address if engine == "ray" else None,
                            self.concurrent_spin.value() or None, resume)


def duration_words(seconds: float) -> str:
    """"under a minute", "12 min", "2 h 05 min": a rough time reads as one."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _align_labels(*forms: QFormLayout) -> None:
    """One label column for forms above and below the rows, so their fields start in line."""
    labels = [form.itemAt(row, QFormLayout.ItemRole.LabelRole) for form in forms for row in range(form.rowCount())]
    widgets = [item.widget() for item in labels if item is not None and item.widget() is not None]
    width = max((widget.sizeHint().width() for widget in widgets), default=0)
    for widget in widgets:
        widget.setMinimumWidth(width)


def _data_kind(project: Project) -> str | None:
    try:
        return get_task(project.dataset.task).kind
    except RNNLabError:
        return None


def _in_app(folder: Path) -> bool:
    """Whether ``folder`` is inside the app's own files (an example's): no place to save to."""
    return folder.resolve().is_relative_to(RESOURCES.resolve())


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_ " else "_" for c in name).strip() or "sweep"


def _free_folder(parent: Path, name: str) -> Path:
    """``parent``/the sweep's name, numbered past folders that hold a sweep already."""
    stem = _file_name(name)
    folder, number = parent / stem, 2
    while (folder / "sweep.json").exists():
        folder, number = parent / f"{stem} {number}", number + 1
    return folder


def _first_unused(fields: list[SweepField], rows: list[FieldRow]) -> str:
    used = {row.field().dotted for row in rows}
    return next((f.dotted for f in fields if f.dotted not in used), fields[0].dotted)
