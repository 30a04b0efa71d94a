"""The window's dialogs: errors with details, the unsaved-changes prompt, About and the guide.

Error dialogs are opened without blocking (``QDialog.open``): a message about a bad file or an
impossible setting must not freeze a run that is training, and tests can read the dialog that is
showing. Only the unsaved-changes prompt blocks, because its answer decides what happens next;
tests replace ``ask_unsaved_changes`` with a function returning the answer they want.
"""

from __future__ import annotations

import html
import platform
import traceback
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

UnsavedAnswer = Literal["save", "discard", "cancel"]


def show_error(parent: QWidget | None, title: str, text: str, details: str = "", *,
               warning: bool = False) -> QMessageBox:
    """Open a non-blocking message box; ``details`` sits behind the "Show Details..." button."""
    box = QMessageBox(parent)
    box.setObjectName("errorDialog")
    box.setIcon(QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(text)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def ask_unsaved_changes(parent: QWidget | None, what: str) -> UnsavedAnswer:
    """Ask whether to save ``what`` (e.g. "the trained model") before it is discarded."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save {what} before closing it?")
    box.setInformativeText("If you don't save, the training you did in this session is lost.")
    box.setStandardButtons(
        QMessageBox.StandardButton.Save
        | QMessageBox.StandardButton.Discard
        | QMessageBox.StandardButton.Cancel
    )
    box.setDefaultButton(QMessageBox.StandardButton.Save)
    answer = box.exec()
    if answer == QMessageBox.StandardButton.Save:
        return "save"
    if answer == QMessageBox.StandardButton.Discard:
        return "discard"
    return "cancel"


def ask_open_path(parent: QWidget | None, title: str, directory: str, filters: str) -> str:
    """A file to open, or "" if the user cancelled."""
    path, _selected = QFileDialog.getOpenFileName(parent, title, directory, filters)
    return path


def ask_save_path(parent: QWidget | None, title: str, suggested: str, filters: str) -> str:
    """Where to save, or "" if the user cancelled (the dialog asks before overwriting)."""
    path, _selected = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path


class CrashDialog(QMessageBox):
    """Shown by the crash hook: a short message, the traceback behind "Show Details...".

    A bug that fires repeatedly (say in a timer) must not stack up dozens of dialogs, so the
    hook reuses the open dialog and appends each new traceback to its details.
    """

    _current: "CrashDialog | None" = None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle("RNN Lab: unexpected error")
        self.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.count = 0
        self._details: list[str] = []
        self.destroyed.connect(CrashDialog._forget)

    @staticmethod
    def _forget(*_args) -> None:
        CrashDialog._current = None

    @classmethod
    def report(cls, parent: QWidget | None, exc_type, exc, tb) -> "CrashDialog":
        dialog = cls._current
        if dialog is None:
            dialog = cls(parent)
            cls._current = dialog
        dialog.add(exc_type, exc, tb)
        if not dialog.isVisible():
            dialog.open()
        return dialog

    def add(self, exc_type, exc, tb) -> None:
        self.count += 1
        summary = "".join(traceback.format_exception_only(exc_type, exc)).strip()
        self._details.append("".join(traceback.format_exception(exc_type, exc, tb)))
        repeat = f" ({self.count} errors so far)" if self.count > 1 else ""
        self.setText(
            f"Something went wrong inside RNN Lab{repeat}. The app is still running; "
            "save your work if you can.\n\n" + summary
        )
        self.setDetailedText("\n".join(self._details))


def show_about(parent: QWidget | None, versions: dict[str, str]) -> QMessageBox:
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in versions.items())
    box = QMessageBox(parent)
    box.setWindowTitle("About RNN Lab")
    icon = parent.windowIcon() if parent is not None else None
    if icon is not None and not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(
        "<h3>RNN Lab</h3><p>Build, train and inspect recurrent neural networks without writing "
        "code: SimpleRNN, LSTM and GRU on small sequence tasks, with the gradients in view.</p>"
        f"<table cellspacing='6'>{rows}<tr><td>Python</td><td>{platform.python_version()}</td></tr></table>"
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


LECTURE_GUIDE_HTML = """
<h2>The lecture in the app</h2>
<p>Each idea of the recurrent-networks lecture, and where to see it happen in RNN Lab.</p>

<h3>Why not feed-forward networks?</h3>
<p>A feed-forward network's output at <i>t</i> has no relation to what it saw at <i>t-1</i>.
Open <b>Examples &rsaquo; Cooking schedule without memory (one-to-one)</b>: in the <b>one-to-one</b> I/O
mode the model sees one day at a time and stays near 1 right guess in 3; switch the Architecture panel to
<b>many-to-many</b> and train again: the recurrent state carries yesterday into today.</p>

<h3>The gym and cooking schedules</h3>
<p><b>Examples &rsaquo; Cooking schedule</b> is the lecture's cook: a sunny day repeats yesterday's
dish, a rainy day brings the next one. <b>Examples &rsaquo; Gym schedule</b> is the trainer's
weekly plan: after a missed day you resume where you left off, so the net must remember
across the gaps. The <b>Dataset</b> panel shows samples decoded in words
("sunny, rainy &rarr; pizza") and the input and output shapes.</p>

<h3>Data as vectors</h3>
<p>Weather, dishes and exercises enter the network as one-hot vectors. In the
<b>Architecture</b> panel an embedding size of 0 feeds exactly these one-hot vectors; a larger
value lets the network learn its own vectors.</p>

<h3>The recurrent cell: h(t) = g<sub>h</sub>(w<sub>i</sub> x(t) + w<sub>R</sub> h(t-1) + b<sub>h</sub>)</h3>
<p>Choose <b>SimpleRNN</b> in the Architecture panel: that is the lecture's equation, with the
activation g<sub>h</sub> you pick. The gradient-norm plot splits each layer into
<b>w_i</b> (input weights), <b>w_R</b> (recurrent weights) and <b>bias</b>; "Show Keras code"
prints the same network as code.</p>

<h3>Back-propagation through time</h3>
<p>The <b>gradient flow</b> plot (Training plots tab) draws, after every epoch, how strongly the
loss reacts to the input at each time step: back-propagation through time, made visible.</p>

<h3>Vanishing gradients, and LSTM/GRU as the cure</h3>
<p><b>Examples &rsaquo; Adding problem, T = 100</b> (a SimpleRNN and an LSTM version) hides two marked
numbers in a sequence of 100 steps. Use <b>Run &rsaquo; Compare cells</b>: SimpleRNN, LSTM and GRU train on the same
data and seed, one after the other; the <b>Runs</b> tab lists them and the Training plots overlay
their curves. The SimpleRNN's
gradient flow collapses towards the early steps (the log axis shows many orders of magnitude)
and its loss stays at the baseline; the LSTM's flow opens up and its loss drops. The lecture's
other remedy, the <b>ReLU</b> activation, is in the Architecture panel.</p>

<h3>Exploding gradients, and clipping</h3>
<p><b>Examples &rsaquo; Exploding gradients</b> uses a ReLU SimpleRNN with a large learning rate: training stops at the batch where the loss turns to NaN and says so, keeping the
last good weights. <b>Exploding gradients tamed</b> is the same run with <b>Gradient clipping</b>
set in the Training panel; or pick the <b>RMSprop</b> optimizer, the lecture's other suggestion,
and train again.</p>

<h3>The I/O modes</h3>
<p>The Architecture panel draws the lecture's boxes for the chosen mode:
<b>one-to-one</b> (plain network), <b>one-to-many</b> (image captioning: one input, a sequence
out), <b>many-to-one</b> (sentiment classification), <b>many-to-many, encoder-decoder</b>
(machine translation) and <b>many-to-many, aligned</b> (frame-level video classification).</p>

<h3>Applications: text and time series</h3>
<p><b>Examples &rsaquo; Character-level text</b>, <b>Sine waves</b> and <b>Sine generation</b>: train, then open the
<b>Predict</b> tab to type a start and let the network continue it, or to forecast the series
some steps ahead.</p>

<h3>Keeping your work</h3>
<p><b>File &rsaquo; Save</b> writes a model bundle (<code>.rnnlab</code>: settings, weights and training
history); opening it shows the same plots and predictions. <b>Export .keras</b> hands the model
to plain Keras.</p>
"""


class LectureGuideDialog(QDialog):
    """A short guide that maps each idea of the lecture to what to do in the app."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lectureGuide")
        self.setWindowTitle("The lecture in the app")
        self.resize(680, 640)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser(self)
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(LECTURE_GUIDE_HTML)
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
