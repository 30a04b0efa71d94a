"""Small widgets the panels share: an inline message label, number boxes and a ParamSpec form.

Nothing here knows about training or models; the form only turns a task's declared parameters
(``core.datasets.ParamSpec``) into editors and reads their values back, and the ``field_*``
helpers give an editor the range, step, label and help that ``core.specs`` declares for a
project field, so a widget cannot offer a value the spec rejects.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.datasets import ParamSpec
from core.formatting import format_number
from core.specs import FieldInfo, field_info

ERROR_COLOR = "#c62828"
WARNING_COLOR = "#9a6700"
NOTE_COLOR = "#5f6368"

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class MessageLabel(QLabel):
    """Inline, word-wrapped message next to the controls it is about; hidden when empty.

    ``set_messages`` takes errors (red) and warnings (amber) at once so a panel can show all it
    knows about its settings in one place.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self._errors: list[str] = []
        self._warnings: list[str] = []
        self.hide()

    def set_error(self, text: str) -> None:
        self.set_messages([text] if text else [], [])

    def set_warning(self, text: str) -> None:
        self.set_messages([], [text] if text else [])

    def set_messages(self, errors: Sequence[str] = (), warnings: Sequence[str] = ()) -> None:
        self._errors = [e for e in errors if e]
        self._warnings = [w for w in warnings if w]
        lines = [f'<span style="color:{ERROR_COLOR}">&#9888; {html.escape(e)}</span>' for e in self._errors]
        lines += [f'<span style="color:{WARNING_COLOR}">&#9888; {html.escape(w)}</span>' for w in self._warnings]
        self.setText("<br>".join(lines))
        self.setVisible(bool(lines))

    def clear_messages(self) -> None:
        self.set_messages([], [])

    def errors(self) -> list[str]:
        return list(self._errors)

    def warnings(self) -> list[str]:
        return list(self._warnings)

    def plain_text(self) -> str:
        return "\n".join(self._errors + self._warnings)


def wrapped_label(text: str = "") -> QLabel:
    """A label that wraps its text to the width it is given."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def note_label(text: str = "", *, italic: bool = False) -> QLabel:
    """A grey, wrapped explanatory label (task descriptions, equations, hints)."""
    label = wrapped_label(text)
    style = f"color:{NOTE_COLOR};"
    if italic:
        style += "font-style:italic;"
    label.setStyleSheet(style)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def notice_label(text: str = "") -> QLabel:
    """A yellow box above a view saying why it is empty or disabled (no model yet, a run training)."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("background: #fff4ce; color: #5c4400; padding: 6px; border-radius: 3px;")
    return label


def compact_combo(combo: QComboBox, chars: int = 10) -> QComboBox:
    """Let a combo shrink below its longest item, so panels fit narrow docks; the popup stays wide.

    Call it before the combo is laid out: Qt caches the minimum size hint on first use.
    """
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows 0.5 instead of 0.5000 and accepts 1e-3."""

    def __init__(self, parent: QWidget | None = None, *, decimals: int = 6):
        super().__init__(parent)
        self.setDecimals(decimals)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return format_number(value, 6)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.strip().replace(",", "."))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # noqa: D102
        stripped = text.strip().replace(",", ".")
        if not stripped:
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            # "1e", "-", "1e-" are on their way to a number.
            if all(c in "0123456789.eE+-" for c in stripped):
                return QValidator.State.Intermediate, text, pos
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value) or not self.minimum() <= value <= self.maximum():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos


class LogSpinBox(FloatSpinBox):
    """For values that span decades (learning rates): the arrows walk 1, 2, 5, 10, 20, ..."""

    _MANTISSAS = (1.0, 2.0, 5.0)

    def __init__(self, parent: QWidget | None = None, *, minimum: float = 1e-6, maximum: float = 10.0):
        super().__init__(parent, decimals=10)
        self.setRange(minimum, maximum)

    def stepBy(self, steps: int) -> None:  # noqa: N802
        value = self.value()
        for _ in range(abs(steps)):
            value = self._next(value, up=steps > 0)
        self.setValue(min(max(value, self.minimum()), self.maximum()))

    def _next(self, value: float, *, up: bool) -> float:
        value = max(value, 1e-12)
        decade = math.floor(math.log10(value))
        candidates = [m * 10.0 ** e for e in (decade - 1, decade, decade + 1) for m in self._MANTISSAS]
        if up:
            larger = [c for c in candidates if c > value * (1 + 1e-9)]
            return min(larger)
        smaller = [c for c in candidates if c < value * (1 - 1e-9)]
        return max(smaller)


# The dynamic property naming the spec field an editor is bound to ("training.learning_rate").
SPEC_FIELD = "spec_field"


def field_label(dotted: str) -> str:
    """The form label of a project field, e.g. "Learning rate:"."""
    return field_info(dotted).label + ":"


def field_tooltip(info: FieldInfo, note: str = "") -> str:
    """The field's help, then what this view adds to it (a lecture note, how the arrows step)."""
    return f"{info.help} {note}".strip()


def bind_spin_box(box: QAbstractSpinBox, dotted: str, note: str = "") -> QAbstractSpinBox:
    """Give ``box`` the range, step, decimals and help declared for the project field ``dotted``."""
    info = field_info(dotted)
    if isinstance(box, QDoubleSpinBox):
        box.setDecimals(info.decimals)  # first: Qt rounds the range to the decimals
        box.setSingleStep(info.step)
    else:
        box.setSingleStep(max(1, int(info.step)))
    box.setRange(*info.widget_bounds())
    box.setToolTip(field_tooltip(info, note))
    box.setProperty(SPEC_FIELD, dotted)
    return box


def field_spin_box(dotted: str, note: str = "") -> QSpinBox | FloatSpinBox:
    """A spin box for a number field: whole numbers, decimals, or decades for a log-scale field."""
    info = field_info(dotted)
    if info.kind == "int":
        box: QSpinBox | FloatSpinBox = QSpinBox()
    elif info.log_scale:
        box = LogSpinBox()
    else:
        box = FloatSpinBox()
    bind_spin_box(box, dotted, note)
    return box


def field_combo(dotted: str, note: str = "", *, titles: Mapping[str, str] | None = None,
                tips: Mapping[str, str] | None = None) -> QComboBox:
    """A combo box of a choice field: item data are the spec's values, texts their titles."""
    info = field_info(dotted)
    combo = compact_combo(QComboBox())
    for i, value in enumerate(info.choices):
        combo.addItem((titles or {}).get(value, value), value)
        if tips:
            combo.setItemData(i, tips[value], Qt.ItemDataRole.ToolTipRole)
    combo.setToolTip(field_tooltip(info, note))
    combo.setProperty(SPEC_FIELD, dotted)
    return combo


class PathPicker(QWidget):
    """A path field with a "Browse…" button. ``path_changed`` fires when editing finishes."""

    path_changed = Signal(str)

    def __init__(self, file_filter: str = "All files (*)", parent: QWidget | None = None):
        super().__init__(parent)
        self.file_filter = file_filter
        # Tests and the main window may replace this with something that does not open a dialog.
        self.ask_open_file: Callable[[QWidget, str, str, str], tuple[str, str]] = QFileDialog.getOpenFileName
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("Choose a file…")
        self.edit.setClearButtonEnabled(True)
        self.button = QPushButton("Browse…")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.button.clicked.connect(self._on_browse_clicked)
        self.edit.editingFinished.connect(self._on_editing_finished)
        self._last = ""

    def path(self) -> str:
        return self.edit.text().strip()

    def set_path(self, path: str) -> None:
        with QSignalBlocker(self.edit):
            self.edit.setText(path)
        self._last = self.path()

    def _on_browse_clicked(self) -> None:
        path, _ = self.ask_open_file(self, "Choose a file", self.path(), self.file_filter)
        if path:
            self.edit.setText(path)
            self._on_editing_finished()

    def _on_editing_finished(self) -> None:
        if self.path() != self._last:
            self._last = self.path()
            self.path_changed.emit(self._last)


class ColumnsPicker(QWidget):
    """Several column names: typed as "a, b" or ticked in a menu filled from the file's header."""

    columns_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("column names, comma separated")
        self.button = QToolButton()
        self.button.setText("Pick")
        self.button.setToolTip("Tick columns from the file's header")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self)
        self.button.setMenu(self.menu)
        self.button.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.edit.editingFinished.connect(self._on_text_edited)
        self._last = ""

    def columns(self) -> list[str]:
        return [c.strip() for c in self.edit.text().split(",") if c.strip()]

    def set_columns(self, names: Sequence[Any]) -> None:
        with QSignalBlocker(self.edit):
            self.edit.setText(", ".join(str(n) for n in names))
        self._last = self.edit.text()
        self._sync_menu()

    def set_available(self, names: Sequence[str]) -> None:
        self.menu.clear()
        for name in names:
            action = QAction(name, self.menu)
            action.setCheckable(True)
            action.toggled.connect(lambda checked, n=name: self._on_column_toggled(n, checked))
            self.menu.addAction(action)
        self.button.setEnabled(bool(names))
        self._sync_menu()

    def _sync_menu(self) -> None:
        chosen = set(self.columns())
        for action in self.menu.actions():
            with QSignalBlocker(action):
                action.setChecked(action.text() in chosen)

    def _on_column_toggled(self, name: str, checked: bool) -> None:
        names = [c for c in self.columns() if c != name]
        if checked:
            order = [a.text() for a in self.menu.actions()]
            names.append(name)
            names.sort(key=lambda n: order.index(n) if n in order else len(order))
        self.edit.setText(", ".join(names))
        self._on_text_edited()

    def _on_text_edited(self) -> None:
        if self.edit.text() != self._last:
            self._last = self.edit.text()
            self._sync_menu()
            self.columns_changed.emit()


def _is_column_param(param: ParamSpec) -> bool:
    return param.kind == "str" and "column" in param.name


class ParamForm(QWidget):
    """Editors for a task's ParamSpecs in a form; ``changed`` fires after any edit.

    Editors by kind: int -> QSpinBox, float -> FloatSpinBox, choice -> QComboBox, bool ->
    QCheckBox, path -> PathPicker, columns -> ColumnsPicker, a str naming a column -> editable
    QComboBox filled from the file's header, other str -> QLineEdit. Rows whose ParamSpec lists
    ``modes`` are hidden in other I/O modes.
    """

    changed = Signal()
    path_changed = Signal(str)

    def __init__(self, params: Sequence[ParamSpec], values: Mapping[str, Any] | None = None, *,
                 file_filter: str = "All files (*)", parent: QWidget | None = None):
        super().__init__(parent)
        self.params = tuple(params)
        self._editors: dict[str, QWidget] = {}
        self._labels: dict[str, QLabel] = {}
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout_.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        for param in self.params:
            editor = self._make_editor(param, file_filter)
            editor.setToolTip(param.help)
            label = QLabel(param.label + ":")
            label.setToolTip(param.help)
            self._editors[param.name] = editor
            self._labels[param.name] = label
            self.layout_.addRow(label, editor)
        self.set_values({p.name: p.default for p in self.params})
        if values:
            self.set_values(values)

    # --- editors ---------------------------------------------------------------------------

    def _make_editor(self, param: ParamSpec, file_filter: str) -> QWidget:
        kind = param.kind
        if kind == "int":
            box = QSpinBox()
            box.setKeyboardTracking(False)
            low = INT_MIN if param.minimum is None else max(INT_MIN, int(math.ceil(param.minimum)))
            high = INT_MAX if param.maximum is None else min(INT_MAX, int(math.floor(param.maximum)))
            step = _int_step(high - low if param.maximum is not None else None, param.default)
            return self._spin_box(box, low, high, step)
        if kind == "float":
            low = -1e12 if param.minimum is None else float(param.minimum)
            high = 1e12 if param.maximum is None else float(param.maximum)
            return self._spin_box(FloatSpinBox(), low, high, _float_step(param.minimum, param.maximum, param.default))
        if kind == "bool":
            box = QCheckBox()
            box.toggled.connect(self.changed)
            return box
        if kind == "choice":
            combo = QComboBox()
            combo.addItems([str(c) for c in param.choices])
            compact_combo(combo)
            combo.currentIndexChanged.connect(self.changed)
            return combo
        if kind == "path":
            picker = PathPicker(file_filter)
            picker.path_changed.connect(self.path_changed)
            picker.path_changed.connect(self.changed)
            return picker
        if kind == "columns":
            picker = ColumnsPicker()
            picker.columns_changed.connect(self.changed)
            return picker
        if _is_column_param(param):
            combo = compact_combo(QComboBox())
            combo.setEditable(True)
            combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
            combo.lineEdit().editingFinished.connect(self.changed)
            combo.activated.connect(lambda _i: self.changed.emit())
            return combo
        edit = QLineEdit()
        edit.editingFinished.connect(self.changed)
        return edit

    def _spin_box(self, box, low, high, step):
        box.setRange(low, high)
        box.setSingleStep(step)
        box.valueChanged.connect(self.changed)
        return box

    def editor(self, name: str) -> QWidget:
        return self._editors[name]

    def label(self, name: str) -> QLabel:
        return self._labels[name]

    # --- values ----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for param in self.params:
            w = self._editors[param.name]
            if isinstance(w, QSpinBox):
                out[param.name] = int(w.value())
            elif isinstance(w, QDoubleSpinBox):
                out[param.name] = float(w.value())
            elif isinstance(w, QCheckBox):
                out[param.name] = bool(w.isChecked())
            elif isinstance(w, PathPicker):
                out[param.name] = w.path()
            elif isinstance(w, ColumnsPicker):
                out[param.name] = w.columns()
            elif isinstance(w, QComboBox):
                out[param.name] = w.currentText().strip()
            elif isinstance(w, QLineEdit):
                out[param.name] = w.text()
        return out

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show these values without emitting ``changed``; unknown names are ignored."""
        for name, value in values.items():
            w = self._editors.get(name)
            if w is None:
                continue
            with QSignalBlocker(w):
                try:
                    if isinstance(w, QSpinBox):
                        w.setValue(int(value))
                    elif isinstance(w, QDoubleSpinBox):
                        w.setValue(float(value))
                    elif isinstance(w, QCheckBox):
                        w.setChecked(bool(value))
                    elif isinstance(w, PathPicker):
                        w.set_path("" if value is None else str(value))
                    elif isinstance(w, ColumnsPicker):
                        names = value.split(",") if isinstance(value, str) else list(value or [])
                        w.set_columns([str(n).strip() for n in names if str(n).strip()])
                    elif isinstance(w, QComboBox):
                        text = "" if value is None else str(value)
                        index = w.findText(text)
                        if index >= 0:
                            w.setCurrentIndex(index)
                        elif w.isEditable():
                            w.setEditText(text)
                    elif isinstance(w, QLineEdit):
                        w.setText("" if value is None else str(value))
                except (TypeError, ValueError):
                    # A value of the wrong type (hand-edited project): keep the editor's value;
                    # the task's validation names the field when the spec is checked.
                    pass

    def set_mode(self, io_mode: str) -> None:
        """Show only the parameters that matter in this I/O mode."""
        for param in self.params:
            visible = not param.modes or io_mode in param.modes
            self.layout_.setRowVisible(self._editors[param.name], visible)

    def is_row_visible(self, name: str) -> bool:
        return self.layout_.isRowVisible(self._editors[name])

    def path_param(self) -> ParamSpec | None:
        return next((p for p in self.params if p.kind == "path"), None)

    def has_column_params(self) -> bool:
        return any(p.kind == "columns" or _is_column_param(p) for p in self.params)

    def set_available_columns(self, names: Sequence[str]) -> None:
        """Fill the column pickers with a file's header (their current choice is kept)."""
        for param in self.params:
            w = self._editors[param.name]
            if isinstance(w, ColumnsPicker):
                w.set_available(names)
            elif isinstance(w, QComboBox) and _is_column_param(param):
                with QSignalBlocker(w):
                    current = w.currentText()
                    w.clear()
                    w.addItems(list(names))
                    index = w.findText(current)
                    if index >= 0:
                        w.setCurrentIndex(index)
                    else:
                        w.setEditText(current)


def _int_step(span: int | None, default: Any) -> int:
    reference = span if span is not None else abs(int(default or 0))
    if reference >= 5000:
        return 100
    if reference >= 500:
        return 10
    return 1


def _float_step(minimum: float | None, maximum: float | None, default: Any) -> float:
    if minimum is not None and maximum is not None:
        span = maximum - minimum
    else:
        span = abs(float(default or 1.0)) * 10 or 1.0
    step = 10 ** math.floor(math.log10(span / 20)) if span > 0 else 0.1
    # 0.05 reads better than 0.01 for ranges like [0, 1].
    if span / step > 40:
        step *= 5 if span / (step * 5) >= 10 else 2
    return float(f"{step:.3g}")


def place_in_scroll_area(panel: QWidget, content: QWidget) -> None:
    """Fill ``panel`` with ``content`` in a frameless, vertically scrolling area.

    Panels sit in docks that may be shorter than their forms; they scroll instead of squeezing.
    """
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    outer = QVBoxLayout(panel)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
