"""The Training panel: optimizer and schedule settings, the run buttons and the progress bar.

It edits a ``TrainingSpec`` and asks for runs through signals; the main window owns the run and
tells the panel its state (``set_run_state``) and progress (``set_progress``).
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from core.specs import TrainingSpec, field_info
from desktop_app.widgets import (
    NOTE_COLOR,
    MessageLabel,
    compact_combo,
    field_combo,
    field_label,
    field_spin_box,
    field_tooltip,
    place_in_scroll_area,
)

RUN_STATES = ("idle", "preparing", "running", "paused", "stopping")

OPTIMIZER_TITLES = {"adam": "Adam", "rmsprop": "RMSprop", "sgd": "SGD"}
OPTIMIZER_TIPS = {
    "adam": "Adam: scales each weight's step by its recent gradient sizes, with momentum. A safe default.",
    "rmsprop": "RMSprop: divides each step by a running average of recent gradient sizes, so a sudden huge "
               "gradient cannot blow the weights up (the lecture's remedy for exploding gradients).",
    "sgd": "SGD: plain gradient descent, w -= learning rate x gradient, with optional momentum.",
}
CLIP_TITLES = {"none": "none", "norm": "by norm (per weight)", "global_norm": "by global norm", "value": "by value"}
CLIP_TIPS = {
    "none": "No clipping: a single exploding gradient can wreck the weights (loss becomes NaN).",
    "norm": "Each weight's gradient is scaled down so its norm is at most the value.",
    "global_norm": "All gradients together are scaled down so their joint norm is at most the value "
                   "(the usual choice for RNNs).",
    "value": "Every gradient entry is cut to the range [-value, value].",
}


class TrainingPanel(QWidget):
    """Edits the TrainingSpec; Train/Pause/Resume/Stop/Compare emit ``*_requested`` signals."""

    training_changed = Signal(object)
    train_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    compare_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._state = "idle"
        self._train_enabled = True
        self._train_reason = ""
        self._progress_text = ""
        self._build_ui()
        self._spec = TrainingSpec()
        self.device_combo.addItem("CPU", "cpu")
        self.set_spec(TrainingSpec())
        self.set_run_state("idle")

    # --- layout ----------------------------------------------------------------------------

    def _build_ui(self) -> None:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)

        self.settings = QWidget()
        settings_layout = QVBoxLayout(self.settings)
        settings_layout.setContentsMargins(0, 0, 0, 0)

        opt_box = QGroupBox("Optimizer")
        form = QFormLayout(opt_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._opt_form = form
        self.optimizer_combo = field_combo(
            "training.optimizer", "RMSprop and Adam adapt the step size per weight, which tames exploding "
            "gradients (lecture).", titles=OPTIMIZER_TITLES, tips=OPTIMIZER_TIPS)
        form.addRow(field_label("training.optimizer"), self.optimizer_combo)

        self.lr_spin = field_spin_box(
            "training.learning_rate", "Each update is w -= rate x gradient (the lecture's n). Too big: the loss "
            "jumps or explodes; too small: nothing moves. The arrows go 1, 2, 5, 10, ...")
        form.addRow(field_label("training.learning_rate"), self.lr_spin)

        self.momentum_spin = field_spin_box(
            "training.momentum", "Each update keeps this share of the previous one, smoothing noisy gradients.")
        form.addRow(field_label("training.momentum"), self.momentum_spin)

        self.clip_combo = field_combo(
            "training.clip_mode", "Clipping caps the gradient before each update: the lecture's fix for exploding "
            "gradients.", titles=CLIP_TITLES, tips=CLIP_TIPS)
        form.addRow(field_label("training.clip_mode"), self.clip_combo)

        self.clip_spin = field_spin_box(
            "training.clip_value", "The largest gradient norm (or entry, for clipping by value) an update may use.")
        form.addRow(field_label("training.clip_value"), self.clip_spin)
        settings_layout.addWidget(opt_box)
        self.course_note = QLabel("Paused: the learning rate and the clipping can change now. Resume trains on "
                                  "with them, and the optimizer keeps its state; the plots mark the change.")
        self.course_note.setObjectName("courseNote")
        self.course_note.setWordWrap(True)
        self.course_note.setStyleSheet(f"color:{NOTE_COLOR};")
        self.course_note.hide()
        settings_layout.insertWidget(0, self.course_note)

        run_box = QGroupBox("Schedule")
        rform = QFormLayout(run_box)
        rform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.epochs_spin = field_spin_box("training.epochs")
        rform.addRow(field_label("training.epochs"), self.epochs_spin)

        self.batch_spin = field_spin_box(
            "training.batch_size", "Smaller batches give more, noisier updates per epoch.")
        rform.addRow(field_label("training.batch_size"), self.batch_spin)

        early_note = "More epochs would only fit the training data better (overfitting)."
        self.early_check = QCheckBox("after")
        self.early_check.setToolTip(field_tooltip(field_info("training.early_stopping"), early_note))
        self.patience_spin = field_spin_box("training.patience", early_note)
        self.patience_spin.setSuffix(" epochs")
        early_row = QHBoxLayout()
        early_row.setContentsMargins(0, 0, 0, 0)
        early_row.addWidget(self.early_check)
        early_row.addWidget(self.patience_spin, 1)
        early_widget = QWidget()
        early_widget.setLayout(early_row)
        rform.addRow(field_label("training.early_stopping"), early_widget)

        self.seed_spin = field_spin_box("training.seed")
        rform.addRow(field_label("training.seed"), self.seed_spin)

        # The devices are this machine's, offered once TensorFlow has listed them (set_devices).
        self.device_combo = compact_combo(QComboBox())
        self.device_combo.setToolTip(field_tooltip(
            field_info("training.device"), "The CPU always works; a GPU runs LSTM and GRU much faster."))
        rform.addRow(field_label("training.device"), self.device_combo)
        settings_layout.addWidget(run_box)
        layout.addWidget(self.settings)

        style = self.style()
        self.train_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Train")
        self.train_button.setDefault(True)
        self.compare_button = QPushButton("Compare cells")
        self.compare_button.setToolTip("Train SimpleRNN, LSTM and GRU one after the other on the same data and seed, "
                                       "for a side-by-side comparison in Runs.")
        self.pause_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPause), "Pause")
        self.resume_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward), "Resume")
        self.stop_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop), "Stop")
        self.stop_button.setToolTip("Stop after the current batch and keep the weights trained so far.")
        self.pause_button.setToolTip("Hold training after the current batch; Resume goes on from there.")
        self.resume_button.setToolTip("Go on training from where it was paused.")
        grid = QGridLayout()
        grid.addWidget(self.train_button, 0, 0)
        grid.addWidget(self.compare_button, 0, 1, 1, 2)
        grid.addWidget(self.pause_button, 1, 0)
        grid.addWidget(self.resume_button, 1, 1)
        grid.addWidget(self.stop_button, 1, 2)
        layout.addLayout(grid)

        self.reason_label = MessageLabel()
        layout.addWidget(self.reason_label)

        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        layout.addWidget(self.progress_bar)
        self.progress_label = QLabel("Ready.")
        self.progress_label.setStyleSheet(f"color:{NOTE_COLOR};")
        self.progress_label.setWordWrap(True)
        # Room for two lines from the start: the progress line wraps to a second one as a run goes
        # on, and a label that grew then squeezed every field of the dock, which jumped at each start.
        self.progress_label.setMinimumHeight(2 * self.progress_label.fontMetrics().lineSpacing())
        layout.addWidget(self.progress_label)
        layout.addStretch(1)

        place_in_scroll_area(self, content)

        self.train_button.clicked.connect(self.train_requested)
        self.compare_button.clicked.connect(self.compare_requested)
        self.pause_button.clicked.connect(self.pause_requested)
        self.resume_button.clicked.connect(self.resume_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        for combo in (self.optimizer_combo, self.clip_combo, self.device_combo):
            combo.currentIndexChanged.connect(self._on_widget_changed)
        for spin in (self.lr_spin, self.momentum_spin, self.clip_spin, self.epochs_spin, self.batch_spin,
                     self.patience_spin, self.seed_spin):
            spin.valueChanged.connect(self._on_widget_changed)
        self.early_check.toggled.connect(self._on_widget_changed)

    # --- spec ------------------------------------------------------------------------------

    def device(self) -> str:
        """The device id chosen now, readable even while another field is half-edited."""
        return self.device_combo.currentData() or "cpu"

    def spec(self) -> TrainingSpec:
        return self._spec

    def set_spec(self, spec: TrainingSpec) -> None:
        """Show ``spec`` (validated) without emitting ``training_changed``."""
        spec.validate()
        widgets = (self.optimizer_combo, self.lr_spin, self.momentum_spin, self.clip_combo, self.clip_spin,
                   self.epochs_spin, self.batch_spin, self.early_check, self.patience_spin, self.seed_spin,
                   self.device_combo)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.optimizer_combo.setCurrentIndex(self.optimizer_combo.findData(spec.optimizer))
        self.lr_spin.setValue(spec.learning_rate)
        self.momentum_spin.setValue(spec.momentum)
        self.clip_combo.setCurrentIndex(self.clip_combo.findData(spec.clip_mode))
        self.clip_spin.setValue(spec.clip_value)
        self.epochs_spin.setValue(spec.epochs)
        self.batch_spin.setValue(spec.batch_size)
        self.early_check.setChecked(spec.early_stopping)
        self.patience_spin.setValue(spec.patience)
        self.seed_spin.setValue(spec.seed)
        self._select_device(spec.device)
        del blockers
        # A device this machine lacks (a project from a GPU machine) falls back to the CPU.
        self._spec = self._spec_from_widgets() if self.device_combo.findData(spec.device) < 0 else spec
        self._update_visibility()

    def set_devices(self, devices) -> None:
        """Offer these ``(device_id, label)`` pairs; the current choice is kept if still offered."""
        current = self.device_combo.currentData() or self._spec.device
        with QSignalBlocker(self.device_combo):
            self.device_combo.clear()
            for device_id, label in devices:
                self.device_combo.addItem(label, device_id)
            if self.device_combo.findData("cpu") < 0:
                self.device_combo.insertItem(0, "CPU", "cpu")
            self._select_device(current)
        self._on_widget_changed()

    def devices(self) -> list[tuple[str, str]]:
        return [(self.device_combo.itemData(i), self.device_combo.itemText(i)) for i in range(self.device_combo.count())]

    def _select_device(self, device_id: str) -> None:
        index = self.device_combo.findData(device_id)
        self.device_combo.setCurrentIndex(index if index >= 0 else max(0, self.device_combo.findData("cpu")))

    def _spec_from_widgets(self) -> TrainingSpec:
        return TrainingSpec(
            optimizer=self.optimizer_combo.currentData(),
            learning_rate=float(self.lr_spin.value()),
            momentum=float(self.momentum_spin.value()),
            clip_mode=self.clip_combo.currentData(),
            clip_value=float(self.clip_spin.value()),
            epochs=self.epochs_spin.value(),
            batch_size=self.batch_spin.value(),
            early_stopping=self.early_check.isChecked(),
            patience=self.patience_spin.value(),
            seed=self.seed_spin.value(),
            device=self.device_combo.currentData() or "cpu",
        )

    def _on_widget_changed(self, *_args) -> None:
        self._update_visibility()
        spec = self._spec_from_widgets()
        if spec == self._spec:
            return
        self._spec = spec
        self.training_changed.emit(spec)

    def _update_visibility(self) -> None:
        self._opt_form.setRowVisible(self.momentum_spin, self.optimizer_combo.currentData() == "sgd")
        self._opt_form.setRowVisible(self.clip_spin, self.clip_combo.currentData() != "none")
        self.patience_spin.setEnabled(self.early_check.isChecked() and self._state == "idle")

    # --- runs ------------------------------------------------------------------------------

    def run_state(self) -> str:
        return self._state

    def set_run_state(self, state: str) -> None:
        """Enable the buttons that make sense in this state of the window's run."""
        if state not in RUN_STATES:
            raise ValueError(f"run state: expected one of {', '.join(RUN_STATES)}, received {state!r}")
        self._state = state
        idle = state == "idle"
        self.train_button.setEnabled(idle and self._train_enabled)
        self.compare_button.setEnabled(idle and self._train_enabled)
        self.pause_button.setEnabled(state == "running")
        self.resume_button.setEnabled(state == "paused")
        self.stop_button.setEnabled(state in ("preparing", "running", "paused"))
        # Settings are locked during a run so what is shown is what is training.
        # While paused the learning rate and the clipping may change (on Resume, core.course);
        # everything else stays as the run was built.
        paused = state == "paused"
        self.settings.setEnabled(idle or paused)
        for widget in (self.optimizer_combo, self.momentum_spin, self.epochs_spin, self.batch_spin,
                       self.early_check, self.seed_spin, self.device_combo):
            widget.setEnabled(idle)
        self.course_note.setVisible(paused)
        self._update_visibility()
        if state == "preparing":
            self.progress_bar.setRange(0, 0)  # busy: building the model, first-step compilation
            self.progress_label.setText("Preparing: building the model…")
        else:
            self.progress_bar.setRange(0, 1000)
        if state == "paused":
            self.progress_label.setText("Paused. " + self._progress_text)
        elif state == "stopping":
            self.progress_label.setText("Stopping after this batch…")
        elif state == "running" and self.progress_label.text().startswith(("Paused", "Preparing")):
            self.progress_label.setText(self._progress_text or "Running…")
        self._update_train_tooltip()

    def set_train_enabled(self, enabled: bool, reason: str = "") -> None:
        """Allow or forbid starting a run; ``reason`` is shown when it is forbidden."""
        self._train_enabled = bool(enabled)
        self._train_reason = "" if enabled else reason
        if self._train_reason:
            self.reason_label.set_error(f"Cannot train yet: {self._train_reason}")
        else:
            self.reason_label.clear_messages()
        self.set_run_state(self._state)

    def set_progress(self, epoch: int, epochs: int, batch: int, batches: int, elapsed_s: float,
                     remaining_s: float | None = None) -> None:
        """Show run progress; ``epoch`` and ``batch`` count from 1 (the one just finished)."""
        epochs, batches = max(1, int(epochs)), max(1, int(batches))
        done = (max(0, epoch - 1) * batches + max(0, min(batch, batches))) / (epochs * batches)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(int(round(1000 * min(1.0, done))))
        parts = [f"Epoch {epoch}/{epochs}", f"batch {batch}/{batches}", f"{format_duration(elapsed_s)} elapsed"]
        if remaining_s is not None and remaining_s >= 0:
            parts.append(f"~{format_duration(remaining_s)} left")
        self._progress_text = " · ".join(parts)
        prefix = "Paused. " if self._state == "paused" else ""
        if self._state != "stopping":
            self.progress_label.setText(prefix + self._progress_text)

    def set_progress_text(self, text: str) -> None:
        """A line under the progress bar (e.g. how the last run ended)."""
        self.progress_label.setText(text)

    def progress_text(self) -> str:
        return self.progress_label.text()

    def clear_progress(self) -> None:
        """Forget the last run's progress and how it ended (another project is current)."""
        self._progress_text = ""
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_label.setText("Ready.")

    def _update_train_tooltip(self) -> None:
        if self._state != "idle":
            tip = "A run is in progress: stop it first."
        elif not self._train_enabled:
            tip = f"Cannot train yet: {self._train_reason}" if self._train_reason else "Cannot train yet."
        else:
            tip = "Build the model and train it with these settings (the plots fill in live)."
        self.train_button.setToolTip(tip)


def format_duration(seconds: float) -> str:
    """0:05, 1:02:03."""
    seconds = int(round(max(0.0, float(seconds))))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
