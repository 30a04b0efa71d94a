"""The diagnosis under the training plots: what went wrong in the selected run, and one-click fixes.

The findings come from ``core.diagnosis`` (the command line prints the same ones). Each fix has
an "Apply and train" button; the panel only says which fix of which run was chosen
(``fix_requested``), and the window applies it to the panels and trains.
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import Qt as GuiQt  # mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from core.diagnosis import Baseline, Finding, diagnose, untrained_baseline
from core.errors import RNNLabError
from core.fixes import Fix
from core.formatting import format_number
from desktop_app.widgets import note_label

TITLE_COLOR = "#a33f00"
FRAME_STYLE = "QFrame#finding { border: 1px solid #d9c3b0; border-radius: 4px; background: #fffaf5; }"


def run_baseline(info: Any, data: Any = None) -> Baseline | None:
    """The untrained baseline of a run: from the training targets when ``data`` is the run's
    data (the Dataset panel's, when it matches), else from what the run's DataInfo knows."""
    y_train = data.y_train if data is not None and getattr(data, "info", None) is not None else None
    return untrained_baseline(info, y_train)


class DiagnosisPanel(QWidget):
    """The selected run's findings, their evidence and their fixes (see the module docstring)."""

    fix_requested = Signal(object, str)  # core.fixes.Fix, the id of the run it fixes

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("diagnosisPanel")
        self._run_id = ""
        self._findings: list[Finding] = []
        self._buttons: list[tuple[QPushButton, Fix]] = []
        self._busy = False
        self._overlay: tuple[str, str] = ("", "")  # (the diagnosed run, the run that applies its fix)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        self.title_label = QLabel("<b>Diagnosis</b>")
        layout.addWidget(self.title_label)
        self.summary_label = note_label()
        layout.addWidget(self.summary_label)
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._content = QWidget()
        self._list = QVBoxLayout(self._content)
        self._list.setContentsMargins(0, 0, 0, 0)
        self._list.addStretch(1)
        self._scroll.setWidget(self._content)
        layout.addWidget(self._scroll, 1)
        # Takes the room the hidden list leaves (no finding): the summary stays under the title
        # instead of the two lines being spread over the panel's height.
        layout.addStretch(0)
        self.clear()

    # --- what the window tells it ------------------------------------------------------------

    def clear(self, text: str = "Train a network: what went wrong, and how to fix it, shows here.") -> None:
        self._run_id = ""
        self._findings = []
        self.title_label.setText("<b>Diagnosis</b>")
        self.summary_label.setText(text)
        self._rebuild()

    def show_training(self, label: str) -> None:
        self.clear(f"Run {label} is training: its diagnosis shows here when it ends.")

    def show_run(self, run_id: str, label: str, project: Any, history: Any, info: Any,
                 baseline: Baseline | None = None) -> None:
        """Diagnose a finished run and list the findings with their fixes."""
        self._run_id = run_id
        self._findings = diagnose(project, history, info, baseline=baseline) if history is not None else []
        self.title_label.setText(f"<b>Diagnosis of run {html.escape(label)}</b>")
        if history is None:
            self.summary_label.setText("This model has no training history to diagnose.")
        else:
            self.summary_label.setText(_summary(history, baseline or untrained_baseline(info), self._findings))
        self._rebuild()

    def set_busy(self, busy: bool) -> None:
        """While a run trains, no fix can start another one."""
        self._busy = busy
        for button, _fix in self._buttons:
            button.setEnabled(not busy)

    def expect_overlay(self, fixed_run_id: str, new_run_id: str) -> None:
        """Remember that ``new_run_id`` applies a fix to ``fixed_run_id`` (take_overlay pairs them)."""
        self._overlay = (fixed_run_id, new_run_id)

    def take_overlay(self, ended_run_id: str) -> list[str]:
        """The two runs to overlay when the run applying a fix has ended (else [])."""
        if not ended_run_id or ended_run_id != self._overlay[1]:
            return []
        pair, self._overlay = list(self._overlay), ("", "")
        return pair

    # --- what a test (or a user) reads ---------------------------------------------------------

    def run_id(self) -> str:
        return self._run_id

    def findings(self) -> list[Finding]:
        return list(self._findings)

    def verdicts(self) -> list[str]:
        return [finding.verdict for finding in self._findings]

    def fix_buttons(self) -> list[tuple[QPushButton, Fix]]:
        """Each "Apply and train" button with the fix it applies, in the order shown."""
        return list(self._buttons)

    def text(self) -> str:
        """Everything the panel shows, as plain text: each label as it reads on screen."""
        labels = [self.title_label, self.summary_label]
        for index in range(self._list.count()):
            box = self._list.itemAt(index).widget()
            if box is not None:
                labels += box.findChildren(QLabel)
        return "\n".join(_shown_text(label) for label in labels)

    # --- building the list -----------------------------------------------------------------------

    def _rebuild(self) -> None:
        while self._list.count() > 1:  # the last item is the stretch
            item = self._list.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._buttons = []
        for index, finding in enumerate(self._findings):
            self._list.insertWidget(index, self._finding_box(finding))
        self._scroll.setVisible(bool(self._findings))

    def _finding_box(self, finding: Finding) -> QFrame:
        box = QFrame()
        box.setObjectName("finding")
        box.setStyleSheet(FRAME_STYLE)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(8, 6, 8, 6)
        title = QLabel(f'<span style="color:{TITLE_COLOR}"><b>&#9888; {html.escape(finding.title)}</b></span>')
        layout.addWidget(title)
        # Plain text, not escaped: an escaped line without tags is taken for plain text by Qt, and
        # "rnn_1's" was shown as "rnn_1&#x27;s".
        evidence = QLabel(_sentence(finding.evidence))
        evidence.setTextFormat(Qt.TextFormat.PlainText)
        evidence.setWordWrap(True)
        evidence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(evidence)
        if not finding.fixes:
            layout.addWidget(note_label("No setting to change for this: see the evidence above."))
        for fix in finding.fixes:
            row = QHBoxLayout()
            text = QLabel(f"<b>{html.escape(fix.label)}</b>: {html.escape(fix.why)}")
            text.setWordWrap(True)
            text.setToolTip(f"--set {fix.assignment}")
            row.addWidget(text, 1)
            button = QPushButton("Apply and train")
            button.setToolTip(f"Set {fix.label} in the panels and train again with the same seed; "
                              "the new run is overlaid on this one.")
            button.setEnabled(not self._busy)
            button.clicked.connect(lambda _checked=False, chosen=fix: self.fix_requested.emit(chosen, self._run_id))
            row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            layout.addLayout(row)
            self._buttons.append((button, fix))
        return box


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter unless it begins with a name ("rnn_1's")."""
    first = text.split(" ", 1)[0]
    if first.replace("'", "").isalpha():
        text = text[:1].upper() + text[1:]
    return text + "."


def _shown_text(label: QLabel) -> str:
    """What ``label`` reads on screen: rich text as rendered (tags dropped, entities decoded)."""
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text))
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def _summary(history: Any, baseline: Baseline | None, findings: list[Finding]) -> str:
    """The run's last score against the untrained baseline, then what the findings amount to."""
    last = history.epochs[-1] if history.epochs else {}
    name, value = next(((n, last[k]) for k, n in (("val_loss", "validation loss"), ("loss", "training loss"))
                        if k in last and math.isfinite(last[k])), ("", math.nan))
    parts = []
    if name:
        score = f"Final {name} {format_number(value, 3)}"
        if baseline is not None and baseline.loss > 0:
            score += (f", {100 * value / baseline.loss:.0f} % of the untrained baseline "
                      f"{format_number(baseline.loss, 3)} ({baseline.words})")
        parts.append(score + ".")
    if not findings:
        parts.append("No problem found in the gradients and the losses.")
    else:
        parts.append(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}; each fix trains again "
                     "with the same seed, overlaid on this run.")
    return " ".join(parts)


def apply_and_train(window: Any, fix: Fix, run_id: str) -> bool:
    """Put ``fix`` into the window's panels, on the diagnosed run's own settings (its seed too),
    and train; the new run is overlaid on the diagnosed one when it ends. False if none started."""
    record = window.session.record(run_id)
    if record is None:
        return False
    try:
        project = fix.apply(record.project)
    except RNNLabError as exc:
        window.show_status(f"Cannot apply {fix.label}: {exc}")
        return False
    window.show_project(dataclasses.replace(project, name=window.document.name))
    if not window.train(label_suffix=f" ({fix.label})"):
        return False
    new = window.session.active_record()
    if new is not None:
        window.diagnosis_panel.expect_overlay(run_id, new.run_id)
    window.show_status(f"Training with {fix.label}: it is overlaid on run {record.label} when it ends.")
    return True
