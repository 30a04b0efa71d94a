"""Which sequence to use: a validation sample, a typed sequence, or the probe sample of the run at
a chosen epoch.

The Memory tab looks inside the model with all three; the Predict panel predicts with the first
two, so both follow the same core rules (``SequenceData.sample`` and the task's
``encode_input``) in the same words. The probe is what the training process sends at every epoch
end, so its epochs can be replayed with the slider while and after a run trains. The picker only
asks: its owner decides what to compute and when.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from core.datasets import get_task

ERROR_STYLE = "color: #b00020;"


class SamplePicker(QtWidgets.QWidget):
    """Signals: ``sample_requested(index)``, ``typed_requested(text)``, ``epoch_chosen(epoch)``."""

    sample_requested = QtCore.Signal(int)
    typed_requested = QtCore.Signal(str)
    epoch_chosen = QtCore.Signal(int)

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, action: str = "Show",
                 action_tip: str = "Look inside the trained model while it reads this sample", probe: bool = True):
        """``action`` names the buttons ("Show", "Show typed"); ``probe`` offers the probe sample's epochs."""
        super().__init__(parent)
        self._has_samples = False
        self._typed_ok = False
        self._can_compute = False
        self._epochs: list[int] = []
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(2, 1)

        self.probe_label = QtWidgets.QLabel("Probe sample, epoch")
        self.probe_label.setToolTip("The sample the training process looks inside at the end of every epoch")
        grid.addWidget(self.probe_label, 0, 0)
        self.epoch_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.epoch_slider.setToolTip("Drag to see how the memory formed, epoch by epoch (a long run keeps an "
                                     "even selection of its epochs)")
        self.epoch_slider.setPageStep(1)
        self.epoch_slider.valueChanged.connect(self._on_epoch_changed)
        grid.addWidget(self.epoch_slider, 0, 1, 1, 2)
        self.epoch_label = QtWidgets.QLabel("")
        self.epoch_label.setMinimumWidth(110)
        grid.addWidget(self.epoch_label, 0, 3)
        self.probe_button = QtWidgets.QPushButton("Show probe")
        self.probe_button.setToolTip("Show the probe sample at the epoch of the slider")
        self.probe_button.clicked.connect(lambda: self.epoch_chosen.emit(self.epoch()))
        grid.addWidget(self.probe_button, 0, 4)

        grid.addWidget(QtWidgets.QLabel("Validation sample"), 1, 0)
        self.sample_spin = QtWidgets.QSpinBox()
        self.sample_spin.setMinimumWidth(70)
        self.sample_spin.setToolTip("Which sample of the validation set (data the model did not train on)")
        grid.addWidget(self.sample_spin, 1, 1)
        self.sample_count_label = QtWidgets.QLabel("")
        grid.addWidget(self.sample_count_label, 1, 2, 1, 2)
        self.show_button = QtWidgets.QPushButton(action)
        self.show_button.setToolTip(action_tip)
        self.show_button.clicked.connect(lambda: self.sample_requested.emit(self.sample_spin.value()))
        grid.addWidget(self.show_button, 1, 4)

        grid.addWidget(QtWidgets.QLabel("Or type a sequence"), 2, 0)
        self.input_edit = QtWidgets.QLineEdit()
        self.input_edit.setClearButtonEnabled(True)
        self.input_edit.returnPressed.connect(self._on_typed)
        self.input_edit.textChanged.connect(lambda _text: (self.set_error(""), self._update_enabled()))
        grid.addWidget(self.input_edit, 2, 1, 1, 3)
        self.show_typed_button = QtWidgets.QPushButton(f"{action} typed")
        self.show_typed_button.clicked.connect(self._on_typed)
        grid.addWidget(self.show_typed_button, 2, 4)

        self.error_label = QtWidgets.QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        grid.addWidget(self.error_label, 3, 0, 1, 5)
        for widget in (self.probe_label, self.epoch_slider, self.epoch_label, self.probe_button):
            widget.setVisible(probe)
        self.set_epochs([])
        self.set_source(None, None)

    # --- public API ------------------------------------------------------------------------

    def set_source(self, info, data) -> None:
        """The model's DataInfo (None: no model) and data with the same layout (None: none)."""
        count = data.num_val if data is not None else 0
        self._has_samples = count > 0
        self.sample_spin.setRange(0, max(0, count - 1))
        if info is None:
            self.sample_count_label.setText("")
            self._typed_ok = False
            # The old model's example ("e.g. sunny rainy ...") would mislead: forget it too.
            self.input_edit.setPlaceholderText("")
            self.input_edit.setToolTip("")
        else:
            task = get_task(info.task)
            self._typed_ok = task.accepts_typed_input
            if data is None:
                self.sample_count_label.setText("no validation data for this model: type a sequence")
            elif count == 0:
                self.sample_count_label.setText("the validation set is empty (validation split 0)")
            else:
                self.sample_count_label.setText(f"of {count} (0–{count - 1})")
            example = info.extra.get("input_example", "")
            self.input_edit.setToolTip(f"Type an input, e.g. {example}" if example else "Type an input")
            if not self._typed_ok:
                self.input_edit.setPlaceholderText(f"the {task.title} task does not take typed input")
            else:
                self.input_edit.setPlaceholderText(f"e.g. {example}" if example else "")
        self._update_enabled()

    def set_can_compute(self, can: bool) -> None:
        """Whether a sample of the trained model can be looked at now (not while a run trains)."""
        self._can_compute = bool(can)
        self._update_enabled()

    def set_epochs(self, epochs: list[int], *, follow: bool = True) -> None:
        """The epochs whose probe is kept, ascending; with ``follow`` the slider moves to the
        newest when it was already there (a learner who dragged back stays where they are)."""
        shown = self.epoch()
        at_end = self.epoch_slider.value() >= self.epoch_slider.maximum()
        self._epochs = list(epochs)
        blocker = QtCore.QSignalBlocker(self.epoch_slider)
        self.epoch_slider.setRange(0, max(0, len(self._epochs) - 1))
        if self._epochs and follow and at_end:
            self.epoch_slider.setValue(len(self._epochs) - 1)
        elif shown in self._epochs:
            self.epoch_slider.setValue(self._epochs.index(shown))
        elif self._epochs:
            # The shown epoch was dropped from the kept grid: the nearest kept one before it.
            self.epoch_slider.setValue(max(0, sum(1 for e in self._epochs if e <= shown) - 1))
        del blocker
        for widget in (self.probe_label, self.epoch_slider, self.epoch_label, self.probe_button):
            widget.setEnabled(bool(self._epochs))
        self._show_epoch()

    def epoch(self) -> int:
        """The epoch of the slider (0 before any)."""
        if not self._epochs:
            return 0
        return self._epochs[min(self.epoch_slider.value(), len(self._epochs) - 1)]

    def at_newest(self) -> bool:
        return bool(self._epochs) and self.epoch_slider.value() >= len(self._epochs) - 1

    def choose_epoch(self, epoch: int) -> None:
        """Move the slider to ``epoch`` (a kept one), as a learner dragging it would."""
        self.epoch_slider.setValue(self._epochs.index(epoch))

    def set_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
        self.input_edit.setStyleSheet("QLineEdit { border: 1px solid #b00020; }" if text else "")

    # --- internals -------------------------------------------------------------------------

    def _show_epoch(self) -> None:
        self.epoch_label.setText(f"{self.epoch()} of {self._epochs[-1]}" if self._epochs else "no epochs yet")

    def _on_epoch_changed(self, _value: int) -> None:
        self._show_epoch()
        self.epoch_chosen.emit(self.epoch())

    def _on_typed(self) -> None:
        text = self.input_edit.text()
        if self._can_compute and self._typed_ok and text.strip():
            self.typed_requested.emit(text)

    def _update_enabled(self) -> None:
        self.sample_spin.setEnabled(self._has_samples)
        self.show_button.setEnabled(self._can_compute and self._has_samples)
        self.input_edit.setEnabled(self._typed_ok)
        self.show_typed_button.setEnabled(self._can_compute and self._typed_ok and bool(self.input_edit.text().strip()))
