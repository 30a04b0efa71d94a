"""The Architecture panel: cell, size, I/O mode, with the lecture's picture and a live parameter count.

The panel edits a ``ModelSpec``. Everything it shows is computed without TensorFlow, so it
works while TensorFlow is still loading: the parameter count (``core.param_count``), the
diagram, the model builder's own compatibility checks and cuDNN notes, and "Show Keras code"
(``core.models``, which imports Keras only to build a model).
"""

from __future__ import annotations

import html

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.datasets import CLASSIFICATION, DataInfo, get_task
from core.errors import RNNLabError
from core.memory_estimate import MemoryCheck
from core.models import compatibility_problems, cudnn_warnings, keras_code
from core.param_count import count_parameters, frozen_parameters
from core.specs import IO_MODE_TITLES, IO_MODES, ModelSpec, field_info
from desktop_app.panels.io_mode_diagram import IOModeDiagram
from desktop_app.widgets import (
    ERROR_COLOR,
    NOTE_COLOR,
    WARNING_COLOR,
    MessageLabel,
    field_combo,
    field_label,
    field_spin_box,
    field_tooltip,
    note_label,
    place_in_scroll_area,
)

CELL_TIPS = {
    "SimpleRNN": "The lecture's RNN: h(t) = g(w_i x(t) + w_R h(t-1) + b). Small and fast, but its gradient "
                 "vanishes over long sequences.",
    "LSTM": "Long Short-Term Memory: gates decide what the cell state keeps, so the gradient survives many "
            "steps (the lecture's cure for vanishing gradients).",
    "GRU": "Gated Recurrent Unit: like the LSTM with two gates instead of three; fewer weights, similar memory.",
}
ACTIVATION_TIPS = {
    "tanh": "g = tanh, squashes to (-1, 1): the Keras default, and the only one the fast cuDNN kernel takes.",
    "relu": "g = ReLU: its slope is 1 for positive inputs, which helps against vanishing gradients "
            "(lecture), but the state can grow without bound: use clipping.",
    "sigmoid": "g = sigmoid, squashes to (0, 1); its slope is at most 0.25, so gradients vanish fast.",
    "linear": "g(z) = z: no squashing at all; the state can explode over long sequences.",
    "elu": "g = ELU: like ReLU for positive inputs, smooth and bounded below for negative ones.",
    "gelu": "g = GELU: a smooth ReLU, common in newer networks.",
}
MODE_TIPS = {
    "one_to_one": "One input, one output, no sequence: a feed-forward net (the lecture's image classification).",
    "one_to_many": "One input vector, a sequence out (the lecture's image captioning).",
    "many_to_one": "A sequence in, one output after the last step (the lecture's sentiment classification).",
    "many_to_many": "One output for every input step (the lecture's frame-by-frame video classification).",
    "encoder_decoder": "Read the whole input first, then write an output sequence, possibly of another "
                       "length (the lecture's machine translation).",
}
FEED_TIPS = {
    "repeat": "The input vector is fed again at every output step.",
    "initial_state": "The input vector becomes the RNN's initial state h(0); the steps get no input.",
}
FEED_TITLES = {"repeat": "repeat at every step", "initial_state": "as initial state"}
# Beyond this many steps a SimpleRNN's gradient has all but vanished at the first steps.
LONG_SEQUENCE = 50


class ArchitecturePanel(QWidget):
    """Edits the ModelSpec; ``model_changed`` fires after every edit (not for ``set_spec``)."""

    model_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._info: DataInfo | None = None
        self._supported: tuple[str, ...] = tuple(IO_MODES)
        self._task_title = ""
        self._errors: list[str] = []
        self._warnings: list[str] = []
        self._memory: MemoryCheck | None = None
        self._clip_mode = "none"  # the Training panel's clipping: its warnings do not ask for what is set
        self._build_ui()
        self._spec = ModelSpec()
        self.set_spec(ModelSpec())

    # --- layout ----------------------------------------------------------------------------

    def _build_ui(self) -> None:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)

        layers_box = QGroupBox("Recurrent layers")
        form = QFormLayout(layers_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form = form

        self.cell_combo = field_combo(
            "model.cell", "LSTM and GRU add gates that keep gradients alive over long sequences.", tips=CELL_TIPS)
        form.addRow(field_label("model.cell"), self.cell_combo)

        self.layers_spin = field_spin_box(
            "model.layers", "Each reads the sequence of states of the one below.")
        form.addRow(field_label("model.layers"), self.layers_spin)

        self.units_spin = field_spin_box(
            "model.units", "The size of h(t): how much the net can remember at each step.")
        self.units_spin.setKeyboardTracking(False)
        form.addRow(field_label("model.units"), self.units_spin)

        self.activation_combo = field_combo(
            "model.activation", "It is g in h(t) = g(w_i x(t) + w_R h(t-1) + b); ReLU helps vanishing gradients "
            "(lecture).", tips=ACTIVATION_TIPS)
        form.addRow(field_label("model.activation"), self.activation_combo)

        self.dropout_spin = field_spin_box("model.dropout", "Inputs x(t) are dropped at random while training, "
                                                            "against overfitting.")
        form.addRow(field_label("model.dropout"), self.dropout_spin)

        self.recurrent_dropout_spin = field_spin_box("model.recurrent_dropout", "Connections h(t-1) are dropped at "
                                                                                "random while training.")
        form.addRow(field_label("model.recurrent_dropout"), self.recurrent_dropout_spin)

        self.bidirectional_check = QCheckBox("both directions")
        self.bidirectional_check.setToolTip(field_tooltip(
            field_info("model.bidirectional"), "Every output then sees the whole sequence; doubles the weights."))
        form.addRow(field_label("model.bidirectional"), self.bidirectional_check)

        self.embedding_spin = field_spin_box("model.embedding_dim", "One-hot vectors are the lecture's way.")
        self.embedding_spin.setSpecialValueText("0 (one-hot)")
        self.embedding_spin.setKeyboardTracking(False)
        form.addRow(field_label("model.embedding_dim"), self.embedding_spin)
        layout.addWidget(layers_box)

        mode_box = QGroupBox("Inputs and outputs")
        mode_layout = QVBoxLayout(mode_box)
        mode_form = QFormLayout()
        mode_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._mode_form = mode_form
        self.mode_combo = field_combo("model.io_mode", titles=IO_MODE_TITLES, tips=MODE_TIPS)
        mode_form.addRow(field_label("model.io_mode"), self.mode_combo)
        self.feed_combo = field_combo("model.one_to_many_feed", titles=FEED_TITLES, tips=FEED_TIPS)
        mode_form.addRow(field_label("model.one_to_many_feed"), self.feed_combo)
        mode_layout.addLayout(mode_form)
        self.diagram = IOModeDiagram()
        mode_layout.addWidget(self.diagram)
        layout.addWidget(mode_box)

        self.equation_label = QLabel()
        self.equation_label.setTextFormat(Qt.TextFormat.RichText)
        self.equation_label.setWordWrap(True)
        self.equation_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.equation_label)

        self.params_label = QLabel()
        self.params_label.setTextFormat(Qt.TextFormat.RichText)
        self.params_label.setWordWrap(True)
        self.params_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.params_label)

        self.problems_label = MessageLabel()
        layout.addWidget(self.problems_label)
        self.notes_label = note_label()
        self.notes_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.notes_label)

        buttons = QHBoxLayout()
        self.code_button = QPushButton("Show Keras code…")
        self.code_button.clicked.connect(self._on_code_clicked)
        buttons.addWidget(self.code_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)

        place_in_scroll_area(self, content)

        self.cell_combo.currentIndexChanged.connect(self._on_widget_changed)
        self.layers_spin.valueChanged.connect(self._on_widget_changed)
        self.units_spin.valueChanged.connect(self._on_widget_changed)
        self.activation_combo.currentIndexChanged.connect(self._on_widget_changed)
        self.dropout_spin.valueChanged.connect(self._on_widget_changed)
        self.recurrent_dropout_spin.valueChanged.connect(self._on_widget_changed)
        self.bidirectional_check.toggled.connect(self._on_widget_changed)
        self.embedding_spin.valueChanged.connect(self._on_widget_changed)
        self.mode_combo.currentIndexChanged.connect(self._on_widget_changed)
        self.feed_combo.currentIndexChanged.connect(self._on_widget_changed)

    # --- public API ------------------------------------------------------------------------

    def spec(self) -> ModelSpec:
        return self._spec

    def set_spec(self, spec: ModelSpec) -> None:
        """Show ``spec`` (validated) without emitting ``model_changed``."""
        spec.validate()
        widgets = (self.cell_combo, self.layers_spin, self.units_spin, self.activation_combo, self.dropout_spin,
                   self.recurrent_dropout_spin, self.bidirectional_check, self.embedding_spin, self.mode_combo,
                   self.feed_combo)
        blockers = [QSignalBlocker(w) for w in widgets]
        self.cell_combo.setCurrentIndex(self.cell_combo.findData(spec.cell))
        self.layers_spin.setValue(spec.layers)
        self.units_spin.setValue(spec.units)
        self.activation_combo.setCurrentIndex(self.activation_combo.findData(spec.activation))
        self.dropout_spin.setValue(spec.dropout)
        self.recurrent_dropout_spin.setValue(spec.recurrent_dropout)
        self.bidirectional_check.setChecked(spec.bidirectional)
        self.embedding_spin.setValue(spec.embedding_dim)
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(spec.io_mode))
        self.feed_combo.setCurrentIndex(self.feed_combo.findData(spec.one_to_many_feed))
        del blockers
        self._spec = spec
        self._refresh()

    def set_data_info(self, info: DataInfo | None) -> None:
        """The data the model will get (None while the dataset settings are invalid)."""
        self._info = info
        if info is not None:
            try:
                self._task_title = get_task(info.task).title
            except RNNLabError:
                self._task_title = info.task
        self._refresh()

    def set_clip_mode(self, clip_mode: str) -> None:
        """The training's gradient clipping (training.clip_mode), which the warnings take into account."""
        if clip_mode != self._clip_mode:
            self._clip_mode = clip_mode
            self._refresh()

    def set_supported_modes(self, modes, task_title: str = "") -> None:
        """Enable only these I/O modes; the others stay visible, disabled, with a tooltip saying why."""
        self._supported = tuple(modes)
        if task_title:
            self._task_title = task_title
        model = self.mode_combo.model()
        where = f"The {self._task_title} task" if self._task_title else "This dataset"
        supported_titles = ", ".join(IO_MODE_TITLES[m] for m in self._supported)
        for i, mode in enumerate(IO_MODES):
            item = model.item(i)
            enabled = mode in self._supported
            item.setEnabled(enabled)
            tip = MODE_TIPS[mode] if enabled else (
                f"{where} has no {IO_MODE_TITLES[mode]} version (it supports {supported_titles}).")
            item.setData(tip, Qt.ItemDataRole.ToolTipRole)
        self._refresh()

    def supported_modes(self) -> tuple[str, ...]:
        return self._supported

    def set_memory_check(self, check: MemoryCheck | None) -> None:
        """The memory a run of these settings takes, against what is available (None: unknown)."""
        if check == self._memory:
            return
        self._memory = check
        self._refresh()

    def memory_text(self) -> str:
        """"≈ 1.2 GB to train" as shown next to the parameter count ("" when unknown)."""
        return self._memory.estimate.text if self._memory is not None and self._info is not None else ""

    def problem(self) -> str:
        """Why this spec cannot train with the data ("" when it can, or while there is no data)."""
        return "\n".join(self._errors)

    def warnings(self) -> list[str]:
        return list(self._warnings)

    # --- reacting --------------------------------------------------------------------------

    def _spec_from_widgets(self) -> ModelSpec:
        # Rounded to the widget's decimals: steps of 0.05 add up to 0.15000000000000002.
        return ModelSpec(
            cell=self.cell_combo.currentData(),
            io_mode=self.mode_combo.currentData(),
            layers=self.layers_spin.value(),
            units=self.units_spin.value(),
            activation=self.activation_combo.currentData(),
            dropout=round(self.dropout_spin.value(), self.dropout_spin.decimals()),
            recurrent_dropout=round(self.recurrent_dropout_spin.value(), self.recurrent_dropout_spin.decimals()),
            bidirectional=self.bidirectional_check.isChecked(),
            embedding_dim=self.embedding_spin.value(),
            one_to_many_feed=self.feed_combo.currentData(),
        )

    def _on_widget_changed(self, *_args) -> None:
        spec = self._spec_from_widgets()
        if spec == self._spec:
            return
        self._spec = spec
        self._refresh()
        self.model_changed.emit(spec)

    def _refresh(self) -> None:
        spec, info = self._spec, self._info
        tokens = info is not None and info.input_kind == "tokens"
        self._form.setRowVisible(self.embedding_spin, tokens)
        self._mode_form.setRowVisible(self.feed_combo, spec.io_mode == "one_to_many")
        self._update_diagram()
        self.equation_label.setText(equation_html(spec, info))
        self._update_parameters()
        self._errors, self._warnings = spec_problems(spec, info, self._supported, self._task_title,
                                                     clip_mode=self._clip_mode)
        memory = self._memory
        if memory is not None and info is not None and memory.level != "ok":
            self._warnings.append(f"Memory: {memory.message}")
        notes = cudnn_warnings(spec) if info is not None else []
        self.problems_label.set_messages(self._errors, self._warnings)
        self.notes_label.setText("<br>".join(f"GPU: {html.escape(n)}" for n in notes))
        self.notes_label.setVisible(bool(notes))
        self._update_code_button()

    def _update_diagram(self) -> None:
        spec, info = self._spec, self._info
        steps_in = steps_out = None
        if info is not None and info.io_mode == spec.io_mode:
            steps_in, steps_out = info.seq_len_in, info.seq_len_out
        self.diagram.set_mode(spec.io_mode, steps_in=steps_in, steps_out=steps_out, layers=spec.layers,
                              bidirectional=spec.bidirectional, feed=spec.one_to_many_feed)

    def _update_parameters(self) -> None:
        if self._info is None:
            self.params_label.setText(f'<span style="color:{NOTE_COLOR}">Parameters: choose a valid dataset to '
                                      "count them.</span>")
            self.params_label.setToolTip("")
            return
        layers, total = count_parameters(self._spec, self._info)
        frozen = frozen_parameters(self._spec, self._info)
        rows = "".join(
            f'<tr><td>{html.escape(name)}</td><td align="right">&nbsp;&nbsp;{count:,}</td></tr>'
            for name, count in layers if count
        )
        frozen_text = f" ({frozen:,} frozen)" if frozen else ""
        memory_text = memory_tip = ""
        if self._memory is not None:
            color = {"warn": WARNING_COLOR, "refuse": ERROR_COLOR}.get(self._memory.level, NOTE_COLOR)
            memory_text = f' &middot; <span style="color:{color}">{html.escape(self.memory_text())}</span>'
            what = self._memory.message if self._memory.level == "ok" else self.memory_text()
            memory_tip = (f"\n\nMemory {what}: {self._memory.estimate.breakdown()}. Above half of the memory "
                          "available this panel warns; above 80 % Train refuses.")
        self.params_label.setText(
            f"<b>Parameters: {total:,}</b>{frozen_text}{memory_text}"
            f'<table style="color:{NOTE_COLOR}; margin-left:8px">{rows}</table>'
        )
        self.params_label.setToolTip(
            "Weights the net learns, per layer. A recurrent layer has w_i (inputs x units), w_R (units x units) "
            "and a bias; LSTM has four such sets, GRU three." + memory_tip
        )

    def _update_code_button(self) -> None:
        if self._info is None:
            enabled, tip = False, "Choose a valid dataset first: the code depends on its shapes."
        elif self._errors:
            enabled, tip = False, "Fix the problem shown above first."
        else:
            enabled, tip = True, "The same model written as plain Keras code, ready to copy."
        self.code_button.setEnabled(enabled)
        self.code_button.setToolTip(tip)

    def _on_code_clicked(self) -> None:
        if self._info is None:
            return
        try:
            code = keras_code(self._spec, self._info)
        except RNNLabError as exc:
            self.problems_label.set_messages([str(exc)], self._warnings)
            return
        self.code_dialog = KerasCodeDialog(code, self)
        self.code_dialog.show()


class KerasCodeDialog(QDialog):
    """The model as Keras code, read-only, with a copy button."""

    def __init__(self, code: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keras code")
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        self.editor = QPlainTextEdit(code)
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.editor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QApplication.clipboard().setText(self.editor.toPlainText()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


# --- pure helpers ---------------------------------------------------------------------------


def spec_problems(spec: ModelSpec, info: DataInfo | None, supported: tuple[str, ...] | list[str],
                  task_title: str = "", *, clip_mode: str = "none") -> tuple[list[str], list[str]]:
    """(errors, warnings) about this spec with this data, in words, without TensorFlow.

    Errors are choices that cannot train: a mode the task lacks, then what the model builder
    (``core.models.compatibility_problems``) refuses. Warnings are choices that will train badly,
    each with the lecture's reason.
    """
    errors: list[str] = []
    warnings: list[str] = []
    where = f"The {task_title} task" if task_title else "This dataset"
    if supported and spec.io_mode not in supported:
        choices = " or ".join(IO_MODE_TITLES[m] for m in supported)
        errors.append(f"{where} has no {IO_MODE_TITLES[spec.io_mode]} version: choose {choices} as the I/O mode.")
    # Data built for another mode is about to be rebuilt: judge the spec alone until then.
    current = info if info is not None and info.io_mode == spec.io_mode else None
    errors += [str(problem) for problem in compatibility_problems(spec, current)]
    if info is None:
        return errors, warnings
    steps = info.seq_len_in
    if info.extra.get("operation") == "reverse" and spec.io_mode == "many_to_many" and not spec.bidirectional:
        warnings.append("Reversing with aligned many-to-many: step t must output the symbol T-t before it has read "
                        "it, so the net can get about half right at best. Choose encoder-decoder, or tick "
                        "Bidirectional so every step also sees the end of the sequence.")
    if spec.io_mode == "one_to_one" and steps <= 1:
        warnings.append("One-to-one sees a single step: h(t-1) is always zero, so this is a feed-forward net "
                        "with no memory (the lecture's 'why not a feed-forward network').")
    # A squashing activation makes a long SimpleRNN's gradient vanish; an unbounded one lets it
    # explode instead: one warning per spec, never both at once.
    squashing = spec.activation in ("tanh", "sigmoid")
    if spec.cell == "SimpleRNN" and steps >= LONG_SEQUENCE and spec.io_mode != "one_to_one" and squashing:
        warnings.append(f"SimpleRNN over {steps} steps: the gradient shrinks at every step back in time and vanishes "
                        "before it reaches the first steps (lecture). LSTM or GRU keep it alive.")
    if spec.activation in ("relu", "linear", "elu", "gelu") and spec.io_mode != "one_to_one" and clip_mode == "none":
        warnings.append(f"{spec.activation} is unbounded: the state and the gradients can explode over many steps. "
                        "Enable gradient clipping in Training (lecture: clipping tames exploding gradients).")
    return errors, warnings


def equation_html(spec: ModelSpec, info: DataInfo | None) -> str:
    """The lecture's recurrence for the chosen cell, with the chosen activation as g."""
    g = {"linear": ""}.get(spec.activation, spec.activation)

    def apply(arg: str) -> str:
        return f"{g}({arg})" if g else f"({arg})"

    core = "<i>w</i><sub>i</sub> <i>x</i>(t) + <i>w</i><sub>R</sub> <i>h</i>(t&minus;1) + <i>b</i>"
    if spec.cell == "SimpleRNN":
        # Exactly the lecture's slide, symbols included; the chosen functions are named after it.
        lines = ["<i>h</i>(t) = <i>g</i><sub>h</sub>(<i>w</i><sub>i</sub> <i>x</i>(t) + <i>w</i><sub>R</sub> "
                 "<i>h</i>(t&minus;1) + <i>b</i><sub>h</sub>)"]
    elif spec.cell == "LSTM":
        lines = [
            f"<i>c</i>(t) = <i>f</i>&#8857;<i>c</i>(t&minus;1) + <i>i</i>&#8857;{apply(core)}",
            f"<i>h</i>(t) = <i>o</i>&#8857;{apply('<i>c</i>(t)')}",
            f'<span style="color:{NOTE_COLOR}">gates <i>f</i>, <i>i</i>, <i>o</i> = sigmoid(own '
            "<i>w</i><sub>i</sub>, <i>w</i><sub>R</sub>, <i>b</i>)</span>",
        ]
    else:
        gru_core = ("<i>w</i><sub>i</sub> <i>x</i>(t) + <i>r</i>&#8857;(<i>w</i><sub>R</sub> <i>h</i>(t&minus;1))"
                    " + <i>b</i>")
        lines = [
            f"<i>h</i>(t) = <i>z</i>&#8857;<i>h</i>(t&minus;1) + (1&minus;<i>z</i>)&#8857;{apply(gru_core)}",
            f'<span style="color:{NOTE_COLOR}">gates <i>z</i>, <i>r</i> = sigmoid(own '
            "<i>w</i><sub>i</sub>, <i>w</i><sub>R</sub>, <i>b</i>)</span>",
        ]
    out = "<i>w</i><sub>y</sub> <i>h</i>(t) + <i>b</i><sub>y</sub>"
    g_y = ""
    if info is not None:
        lines.append(f"<i>y</i>(t) = <i>g</i><sub>y</sub>({out})")
        g_y = ("softmax (one probability per class)" if info.kind == CLASSIFICATION
               else "identity (a number, no squashing)")
    names = []
    if spec.cell == "SimpleRNN":
        names.append(f"<i>g</i><sub>h</sub> = {spec.activation}")
    if g_y:
        names.append(f"<i>g</i><sub>y</sub> = {g_y}")
    if names:
        lines.append(f'<span style="color:{NOTE_COLOR}">with {", ".join(names)}</span>')
    if spec.bidirectional:
        lines.append(f'<span style="color:{NOTE_COLOR}">and a second copy reading from the last step back; '
                     "<i>h</i>(t) joins both</span>")
    return "<br>".join(lines)
