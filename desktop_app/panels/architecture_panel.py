"""The Architecture panel: cell, size, I/O mode, with the lecture's picture and a live parameter count.

The panel edits a ``ModelSpec``. Everything it shows before training is computed without
TensorFlow: the parameter count (``core.param_count``), the diagram and the problems a choice
would cause with the current data. Once TensorFlow has loaded (``set_tensorflow_ready``), the model
builder's own checks, its cuDNN warnings and "Show Keras code" come in, imported lazily.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.datasets import CLASSIFICATION, DataInfo, get_task
from core.errors import RNNLabError
from core.param_count import count_parameters, frozen_parameters
from core.specs import ACTIVATIONS, CELLS, IO_MODE_TITLES, IO_MODES, ONE_TO_MANY_FEEDS, ModelSpec
from desktop_app.widgets import NOTE_COLOR, FloatSpinBox, MessageLabel, compact_combo, place_in_scroll_area, note_label

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
        self._tf_ready = False
        self._errors: list[str] = []
        self._warnings: list[str] = []
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

        self.cell_combo = compact_combo(QComboBox())
        for i, cell in enumerate(CELLS):
            self.cell_combo.addItem(cell)
            self.cell_combo.setItemData(i, CELL_TIPS[cell], Qt.ItemDataRole.ToolTipRole)
        self.cell_combo.setToolTip("Which recurrent cell: SimpleRNN is the lecture's equation; LSTM and GRU add gates "
                                   "that keep gradients alive over long sequences.")
        form.addRow("Cell:", self.cell_combo)

        self.layers_spin = QSpinBox()
        self.layers_spin.setRange(1, 8)
        self.layers_spin.setToolTip("Recurrent layers stacked on each other; each reads the sequence of states "
                                    "of the one below.")
        form.addRow("Layers:", self.layers_spin)

        self.units_spin = QSpinBox()
        self.units_spin.setRange(1, 4096)
        self.units_spin.setKeyboardTracking(False)
        self.units_spin.setToolTip("Size of the hidden state h(t): how much the net can remember at each step.")
        form.addRow("Units:", self.units_spin)

        self.activation_combo = compact_combo(QComboBox())
        for i, name in enumerate(ACTIVATIONS):
            self.activation_combo.addItem(name)
            self.activation_combo.setItemData(i, ACTIVATION_TIPS[name], Qt.ItemDataRole.ToolTipRole)
        self.activation_combo.setToolTip("g in h(t) = g(w_i x(t) + w_R h(t-1) + b). ReLU helps vanishing "
                                         "gradients (lecture); tanh is the default.")
        form.addRow("Activation g:", self.activation_combo)

        self.dropout_spin = FloatSpinBox()
        self.dropout_spin.setRange(0.0, 0.95)
        self.dropout_spin.setSingleStep(0.05)
        self.dropout_spin.setToolTip("Share of the inputs x(t) dropped at random while training, against overfitting.")
        form.addRow("Dropout:", self.dropout_spin)

        self.recurrent_dropout_spin = FloatSpinBox()
        self.recurrent_dropout_spin.setRange(0.0, 0.95)
        self.recurrent_dropout_spin.setSingleStep(0.05)
        self.recurrent_dropout_spin.setToolTip("Share of the recurrent connections h(t-1) dropped while training. "
                                               "Turns off the fast cuDNN kernel on a GPU.")
        form.addRow("Recurrent dropout:", self.recurrent_dropout_spin)

        self.bidirectional_check = QCheckBox("both directions")
        self.bidirectional_check.setToolTip("A second layer reads the sequence from the end; every output then sees "
                                            "the whole sequence. Doubles the weights.")
        form.addRow("Bidirectional:", self.bidirectional_check)

        self.embedding_spin = QSpinBox()
        self.embedding_spin.setRange(0, 1024)
        self.embedding_spin.setSpecialValueText("0 (one-hot)")
        self.embedding_spin.setKeyboardTracking(False)
        self.embedding_spin.setToolTip("Tokens enter as vectors: 0 uses one-hot vectors (as in the lecture); "
                                       "more learns an embedding of that size.")
        form.addRow("Embedding size:", self.embedding_spin)
        layout.addWidget(layers_box)

        mode_box = QGroupBox("Inputs and outputs")
        mode_layout = QVBoxLayout(mode_box)
        mode_form = QFormLayout()
        mode_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._mode_form = mode_form
        self.mode_combo = compact_combo(QComboBox())
        for i, mode in enumerate(IO_MODES):
            self.mode_combo.addItem(IO_MODE_TITLES[mode], mode)
            self.mode_combo.setItemData(i, MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole)
        mode_form.addRow("I/O mode:", self.mode_combo)
        self.feed_combo = compact_combo(QComboBox())
        for i, feed in enumerate(ONE_TO_MANY_FEEDS):
            self.feed_combo.addItem({"repeat": "repeat at every step", "initial_state": "as initial state"}[feed], feed)
            self.feed_combo.setItemData(i, FEED_TIPS[feed], Qt.ItemDataRole.ToolTipRole)
        self.feed_combo.setToolTip("How the single input vector of a one-to-many model reaches the RNN.")
        mode_form.addRow("Input vector fed:", self.feed_combo)
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
        self.cell_combo.setCurrentText(spec.cell)
        self.layers_spin.setValue(spec.layers)
        self.units_spin.setValue(spec.units)
        self.activation_combo.setCurrentText(spec.activation)
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

    def set_tensorflow_ready(self, ready: bool) -> None:
        self._tf_ready = bool(ready)
        self._refresh()

    def problem(self) -> str:
        """Why this spec cannot train with the data ("" when it can, or while there is no data)."""
        return "\n".join(self._errors)

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def parameter_count(self) -> int | None:
        """The total shown, or None while there is no data to count against."""
        if self._info is None:
            return None
        return count_parameters(self._spec, self._info).total

    # --- reacting --------------------------------------------------------------------------

    def _spec_from_widgets(self) -> ModelSpec:
        return ModelSpec(
            cell=self.cell_combo.currentText(),
            io_mode=self.mode_combo.currentData(),
            layers=self.layers_spin.value(),
            units=self.units_spin.value(),
            activation=self.activation_combo.currentText(),
            dropout=round(self.dropout_spin.value(), 4),
            recurrent_dropout=round(self.recurrent_dropout_spin.value(), 4),
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
        self._errors, self._warnings = spec_problems(spec, info, self._supported, self._task_title)
        notes: list[str] = []
        if self._tf_ready and info is not None:
            self._add_model_builder_checks(notes)
        self.problems_label.set_messages(self._errors, self._warnings)
        self.notes_label.setText("<br>".join(f"GPU: {html.escape(n)}" for n in notes))
        self.notes_label.setVisible(bool(notes))
        self._update_code_button()

    def _add_model_builder_checks(self, notes: list[str]) -> None:
        # The model builder is the authority on what it can build; its module is only imported
        # once TensorFlow is up, as for every engine module the window uses.
        from core import models

        if not self._errors and self._info is not None and self._info.io_mode == self._spec.io_mode:
            try:
                models.check_compatible(self._spec, self._info)
            except RNNLabError as exc:
                self._errors.append(str(exc))
        notes.extend(models.cudnn_warnings(self._spec))

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
        self.params_label.setText(
            f"<b>Parameters: {total:,}</b>{frozen_text}"
            f'<table style="color:{NOTE_COLOR}; margin-left:8px">{rows}</table>'
        )
        self.params_label.setToolTip(
            "Weights the net learns, per layer. A recurrent layer has w_i (inputs x units), w_R (units x units) "
            "and a bias; LSTM has four such sets, GRU three."
        )

    def _update_code_button(self) -> None:
        if not self._tf_ready:
            enabled, tip = False, "Available once TensorFlow has loaded."
        elif self._info is None:
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
        from core.models import keras_code

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
                  task_title: str = "") -> tuple[list[str], list[str]]:
    """(errors, warnings) about this spec with this data, in words, without TensorFlow.

    Errors are choices that cannot train; warnings are choices that will train badly, each with
    the lecture's reason.
    """
    errors: list[str] = []
    warnings: list[str] = []
    where = f"The {task_title} task" if task_title else "This dataset"
    mode_title = IO_MODE_TITLES[spec.io_mode]
    if supported and spec.io_mode not in supported:
        choices = " or ".join(IO_MODE_TITLES[m] for m in supported)
        errors.append(f"{where} has no {mode_title} version: choose {choices} as the I/O mode.")
    tokens = info is not None and info.input_kind == "tokens"
    if spec.io_mode == "one_to_many":
        if tokens:
            errors.append("One-to-many needs one real-valued start vector; this data has token sequences.")
        if spec.one_to_many_feed == "initial_state" and spec.bidirectional:
            errors.append("Bidirectional does not work with the input vector fed as initial state: the backward "
                          "layer would start at the last step, where the vector is not fed. Feed it at every step "
                          "or untick Bidirectional.")
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
    if spec.cell == "SimpleRNN" and steps >= LONG_SEQUENCE and spec.io_mode != "one_to_one":
        warnings.append(f"SimpleRNN over {steps} steps: the gradient shrinks at every step back in time and vanishes "
                        "before it reaches the first steps (lecture). LSTM or GRU keep it alive.")
    if spec.activation in ("relu", "linear", "elu", "gelu") and spec.io_mode != "one_to_one":
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


# --- the diagram ----------------------------------------------------------------------------

INPUT_FILL, INPUT_EDGE = QColor("#f4a6a6"), QColor("#c0392b")
HIDDEN_FILL, HIDDEN_EDGE = QColor("#b7e1a1"), QColor("#3d8b2f")
OUTPUT_FILL, OUTPUT_EDGE = QColor("#a9cbee"), QColor("#2a6fb0")
ARROW = QColor("#444444")
MAX_COLUMNS = 7  # per segment (input part, output part); longer ones get an ellipsis


@dataclass(frozen=True)
class DiagramColumn:
    """One time step of the picture: which boxes it has and their labels."""

    input_label: str = ""  # "" means no input box at this step
    output_label: str = ""
    ellipsis: bool = False  # stands for the steps left out
    repeated_input: bool = False  # the same vector again (one-to-many "repeat")


def diagram_columns(mode: str, steps_in: int | None = None, steps_out: int | None = None,
                    feed: str = "repeat") -> list[DiagramColumn]:
    """The columns of the lecture's picture for a mode, with real step counts when given."""
    t_in = steps_in or 3
    t_out = steps_out or 3
    if mode == "one_to_one":
        return [DiagramColumn("x", "y")]
    if mode == "many_to_one":
        cols = [DiagramColumn(f"x{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_in)]
        return _mark(cols, len(cols) - 1, output="y")
    if mode == "many_to_many":
        return [DiagramColumn(f"x{t}", f"y{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_in)]
    if mode == "one_to_many":
        cols = []
        for i, t in enumerate(_steps(t_out)):
            if not t:
                cols.append(DiagramColumn(ellipsis=True))
            elif feed == "repeat":
                cols.append(DiagramColumn("x", f"y{t}", repeated_input=i > 0))
            else:
                cols.append(DiagramColumn("x" if i == 0 else "", f"y{t}"))
        return cols
    # encoder_decoder: read everything, then write
    cols = [DiagramColumn(f"x{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_in)]
    cols += [DiagramColumn("", f"y{t}") if t else DiagramColumn(ellipsis=True) for t in _steps(t_out)]
    return cols


def _steps(n: int) -> list[int]:
    """1..n, or the first and last steps with a 0 standing for the ellipsis."""
    if n <= MAX_COLUMNS:
        return list(range(1, n + 1))
    return [1, 2, 0, n - 1, n]


def _mark(cols: list[DiagramColumn], index: int, *, output: str) -> list[DiagramColumn]:
    cols[index] = replace(cols[index], output_label=output)
    return cols


class IOModeDiagram(QWidget):
    """The lecture's (Karpathy's) boxes: inputs red, hidden states green, outputs blue."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._mode = "many_to_many"
        self._steps_in: int | None = None
        self._steps_out: int | None = None
        self._layers = 1
        self._bidirectional = False
        self._feed = "repeat"
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._update_tooltip()

    def set_mode(self, mode: str, *, steps_in: int | None = None, steps_out: int | None = None,
                 layers: int = 1, bidirectional: bool = False, feed: str = "repeat") -> None:
        self._mode, self._steps_in, self._steps_out = mode, steps_in, steps_out
        self._layers, self._bidirectional, self._feed = layers, bidirectional, feed
        self.updateGeometry()
        self._update_tooltip()
        self.update()

    def mode(self) -> str:
        return self._mode

    def columns(self) -> list[DiagramColumn]:
        return diagram_columns(self._mode, self._steps_in, self._steps_out, self._feed)

    def hidden_rows(self) -> int:
        return min(self._layers, 3)

    def caption(self) -> str:
        title = IO_MODE_TITLES.get(self._mode, self._mode)
        if self._steps_in is None:
            return title + self._structure()
        if self._mode == "one_to_one":
            counts = "1 step in, 1 out"
        elif self._mode == "one_to_many":
            counts = f"1 vector in, {self._steps_out} steps out"
        elif self._mode == "many_to_one":
            counts = f"{self._steps_in} steps in, 1 out"
        elif self._mode == "many_to_many":
            counts = f"{self._steps_in} steps in, one output each"
        else:
            counts = f"{self._steps_in} steps in, then {self._steps_out} out"
        return f"{title}: {counts}{self._structure()}"

    def _structure(self) -> str:
        parts = []
        if self._layers > 1:
            shown = "" if self._layers <= 3 else " (3 drawn)"
            parts.append(f"{self._layers} layers{shown}")
        if self._bidirectional:
            parts.append("bidirectional")
        return "".join(f" · {p}" for p in parts)

    def _update_tooltip(self) -> None:
        self.setToolTip(f"{self.caption()}\nred: inputs x(t) · green: hidden states h(t), arrows to the right carry "
                        "the state to the next step · blue: outputs y(t)")

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self._height())

    def _height(self) -> int:
        return 46 + (2 + self.hidden_rows()) * 36 + 18

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cols = self.columns()
        rows = self.hidden_rows()
        width = self.width()
        top, caption_h = 6, 30
        row_h = (self.height() - top - caption_h) / (rows + 2)
        col_w = min(52.0, (width - 16) / max(1, len(cols)))
        box = max(12.0, min(row_h * 0.62, col_w * 0.62, 28.0))
        x0 = (width - col_w * len(cols)) / 2
        font = QFont(self.font())
        font.setPointSizeF(max(6.5, min(9.0, box * 0.38)))
        painter.setFont(font)

        def center(col: int, row: int) -> QPointF:  # row 0: outputs (top), rows+1: inputs (bottom)
            return QPointF(x0 + col_w * (col + 0.5), top + row_h * (row + 0.5))

        def draw_box(c: QPointF, fill: QColor, edge: QColor, label: str, faded: bool = False) -> None:
            rect = QRectF(c.x() - box / 2, c.y() - box / 2, box, box)
            f = QColor(fill)
            if faded:
                f.setAlpha(110)
            painter.setPen(QPen(edge, 1.4))
            painter.setBrush(QBrush(f))
            painter.drawRoundedRect(rect, 3, 3)
            if label:
                painter.setPen(QColor("#202020"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

        for i, col in enumerate(cols):
            if col.ellipsis:
                painter.setPen(QColor("#555555"))
                for r in range(1, rows + 1):
                    painter.drawText(QRectF(center(i, r).x() - col_w / 2, center(i, r).y() - box / 2, col_w, box),
                                     Qt.AlignmentFlag.AlignCenter, "···")
                continue
            for r in range(1, rows + 1):  # hidden boxes, top layer at row 1
                label = "h" if rows == 1 else f"h{rows - r + 1}"
                draw_box(center(i, r), HIDDEN_FILL, HIDDEN_EDGE, label)
            if col.input_label:
                start, end = center(i, rows + 1), center(i, rows)
                _arrow(painter, QPointF(start.x(), start.y() - box / 2), QPointF(end.x(), end.y() + box / 2))
                draw_box(start, INPUT_FILL, INPUT_EDGE, col.input_label, faded=col.repeated_input)
            if col.output_label:
                start, end = center(i, 1), center(i, 0)
                _arrow(painter, QPointF(start.x(), start.y() - box / 2), QPointF(end.x(), end.y() + box / 2))
                draw_box(end, OUTPUT_FILL, OUTPUT_EDGE, col.output_label)
            for r in range(2, rows + 1):  # layer below feeds the layer above
                a, b = center(i, r), center(i, r - 1)
                _arrow(painter, QPointF(a.x(), a.y() - box / 2), QPointF(b.x(), b.y() + box / 2))
        # Recurrent connections: the state goes on to the next step (and back, if bidirectional).
        for i in range(len(cols) - 1):
            for r in range(1, rows + 1):
                a, b = center(i, r), center(i + 1, r)
                left = QPointF(a.x() + box / 2, a.y())
                right = QPointF(b.x() - box / 2, b.y())
                if cols[i].ellipsis or cols[i + 1].ellipsis:
                    left.setX(a.x() + (box / 2 if not cols[i].ellipsis else col_w * 0.3))
                    right.setX(b.x() - (box / 2 if not cols[i + 1].ellipsis else col_w * 0.3))
                if self._bidirectional:
                    _arrow(painter, QPointF(left.x(), left.y() - box * 0.18), QPointF(right.x(), right.y() - box * 0.18))
                    _arrow(painter, QPointF(right.x(), right.y() + box * 0.18), QPointF(left.x(), left.y() + box * 0.18))
                else:
                    _arrow(painter, left, right)
        caption_font = QFont(self.font())
        caption_font.setPointSizeF(8.5)
        painter.setFont(caption_font)
        painter.setPen(QColor("#333333"))
        painter.drawText(QRectF(4, self.height() - caption_h, width - 8, caption_h),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.caption())
        painter.end()


def _arrow(painter: QPainter, start: QPointF, end: QPointF) -> None:
    painter.setPen(QPen(ARROW, 1.2))
    painter.drawLine(start, end)
    direction = end - start
    length = max(1e-6, (direction.x() ** 2 + direction.y() ** 2) ** 0.5)
    ux, uy = direction.x() / length, direction.y() / length
    size = 5.0
    tip = end
    left = QPointF(tip.x() - ux * size - uy * size * 0.55, tip.y() - uy * size + ux * size * 0.55)
    right = QPointF(tip.x() - ux * size + uy * size * 0.55, tip.y() - uy * size - ux * size * 0.55)
    path = QPainterPath()
    path.addPolygon(QPolygonF([tip, left, right]))
    painter.fillPath(path, QBrush(ARROW))
