"""The explanation under a plot, shown in full or as one elided line.

On a laptop screen (1366 x 768) the Weight health tab's five-line explanation took the room its
two plots needed: the histogram's count axis shrank to ~25 px, its tick labels on top of each
other. So an explanation follows the room its tab has: in full while it takes at most
``FULL_SHARE`` of the tab's height, else one line ending in "…" with the whole text in its
tooltip. The arrow beside it shows or hides the rest; once the user has used it, their choice
holds whatever the size.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

# The largest share of its tab's height an explanation takes in full before it folds to one line.
FULL_SHARE = 0.12
CAPTION_COLOR = "#555555"


class Caption(QtWidgets.QWidget):
    """A grey explanation with an arrow that shows it in full or as one line."""

    def __init__(self, text: str = "", parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._text = text
        self._expanded = True
        self._chosen_by_user = False
        self._room_source: QtWidgets.QWidget | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.toggle = QtWidgets.QToolButton()
        self.toggle.setAutoRaise(True)
        self.toggle.setObjectName("captionToggle")
        self.toggle.clicked.connect(lambda: self.set_expanded(not self._expanded, by_user=True))
        layout.addWidget(self.toggle, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self.label = QtWidgets.QLabel()
        self.label.setStyleSheet(f"color: {CAPTION_COLOR};")
        self.label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.label.installEventFilter(self)  # folded, the line is elided again at each new width
        layout.addWidget(self.label, 1)
        self._show_state()

    # --- what it says ------------------------------------------------------------------------

    def text(self) -> str:
        """The whole explanation, also while one line of it is shown."""
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 - reads like QLabel's
        self._text = text
        self._show_state()
        self._follow_room()

    def shown_text(self) -> str:
        """What the label displays now (elided with "…" while folded)."""
        return self.label.text()

    def is_expanded(self) -> bool:
        return self._expanded

    def set_expanded(self, expanded: bool, *, by_user: bool = False) -> None:
        self._chosen_by_user = self._chosen_by_user or by_user
        if expanded == self._expanded:
            return
        self._expanded = expanded
        self._show_state()

    def full_height(self, width: int | None = None) -> int:
        """Pixels the whole explanation takes, wrapped at ``width`` (the label's own by default)."""
        width = max(40, width if width is not None else self.label.width())
        bounds = QtGui.QFontMetrics(self.label.font()).boundingRect(
            QtCore.QRect(0, 0, width, 100_000), QtCore.Qt.TextFlag.TextWordWrap, self._text)
        return bounds.height()

    # --- following the room ------------------------------------------------------------------

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        # The tab (or view) the caption sits in: its height is the room shared with the plots.
        parent = self.parentWidget()
        if parent is not None and parent is not self._room_source:
            if self._room_source is not None:
                self._room_source.removeEventFilter(self)
            self._room_source = parent
            parent.installEventFilter(self)
        self._follow_room()

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QtCore.QEvent.Type.Resize:
            if watched is self._room_source:
                self._follow_room()
            elif watched is self.label:
                if self._expanded:
                    self._claim_full_height()
                else:
                    self._elide()
        return False

    def _follow_room(self) -> None:
        if self._chosen_by_user or self._room_source is None:
            return
        room = self._room_source.height()
        width = self._room_source.width() - self.toggle.sizeHint().width() - 12
        if room > 0:
            self.set_expanded(self.full_height(width) <= FULL_SHARE * room)

    def _show_state(self) -> None:
        expanded = self._expanded
        self.toggle.setArrowType(QtCore.Qt.ArrowType.DownArrow if expanded else QtCore.Qt.ArrowType.RightArrow)
        self.toggle.setToolTip("Show one line of this explanation" if expanded else "Show the whole explanation")
        self.label.setWordWrap(expanded)
        # Folded, the line must not ask for the width of the whole text.
        self.label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Preferred if expanded
                                 else QtWidgets.QSizePolicy.Policy.Ignored,
                                 QtWidgets.QSizePolicy.Policy.Preferred)
        self.label.setToolTip("" if expanded else self._text)
        if expanded:
            self.label.setText(self._text)
            self._claim_full_height()
        else:
            self.label.setMinimumHeight(0)
            self._elide()

    def _claim_full_height(self) -> None:
        """A wrapped label tells its layout the height of one line as its minimum, so a short tab
        whose explanation the user opened overlapped its plots; claimed, the height makes the
        splitter above give the tab the room (the diagnosis under it shrinks instead). Only then:
        opened by the room, it has the room, and before it is laid out its width is not known."""
        self.label.setMinimumHeight(self.full_height() if self._chosen_by_user and self.isVisible() else 0)

    def _elide(self) -> None:
        one_line = " ".join(self._text.split())
        self.label.setText(self.label.fontMetrics().elidedText(
            one_line, QtCore.Qt.TextElideMode.ElideRight, max(40, self.label.width())))
