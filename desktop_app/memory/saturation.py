"""How often each gate is saturated: one bar per gate, closed (< 0.1) on the left, open (> 0.9)
on the right, the undecided middle in between. The shares are ``core.gate_saturation``'s.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from core.gate_saturation import CLOSED_BELOW, OPEN_ABOVE
from desktop_app.memory.heatmap import UNIT_STOPS

CLOSED_COLOR = "#6b6b6b"
OPEN_COLOR = UNIT_STOPS[-2]
MIDDLE_COLOR = "#e4e7eb"
ROW_HEIGHT = 20


def share_text(closed: float, opened: float) -> str:
    return f"{closed:.0%} closed (< {CLOSED_BELOW:g}) · {opened:.0%} open (> {OPEN_ABOVE:g})"


class SaturationStrip(QtWidgets.QWidget):
    """Rows of ``gate name | bar | "12 % closed · 61 % open"``; hidden for a cell without gates."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._shares: dict[str, tuple[float, float]] = {}
        self.setToolTip("How often each gate is saturated over all units and steps of this sample: "
                        f"grey = closed (below {CLOSED_BELOW:g}), green = open (above {OPEN_ABOVE:g}). "
                        "A saturated gate is a "
                        "switch, and passes almost no gradient.")
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed)

    def set_shares(self, shares: dict[str, tuple[float, float]]) -> None:
        """``{gate: (share closed, share open)}``, both 0..1."""
        self._shares = {name: (float(closed), float(opened)) for name, (closed, opened) in shares.items()}
        self.setFixedHeight(ROW_HEIGHT * len(self._shares) + 4 if self._shares else 0)
        self.setVisible(bool(self._shares))
        self.update()

    def shares(self) -> dict[str, tuple[float, float]]:
        return dict(self._shares)

    def row_texts(self) -> list[str]:
        """What each row says, e.g. "forget gate: 3% closed (< 0.1) · 40% open (> 0.9)"."""
        return [f"{name} gate: {share_text(*values)}" for name, values in self._shares.items()]

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        painter = QtGui.QPainter(self)
        metrics = painter.fontMetrics()
        name_width = max((metrics.horizontalAdvance(f"{n} gate") for n in self._shares), default=0) + 12
        text_width = metrics.horizontalAdvance(share_text(1.0, 1.0)) + 12
        bar_width = max(40, self.width() - name_width - text_width - 8)
        for row, (name, (closed, opened)) in enumerate(self._shares.items()):
            top = 2 + row * ROW_HEIGHT
            painter.setPen(QtGui.QColor("#222222"))
            painter.drawText(QtCore.QRectF(0, top, name_width - 6, ROW_HEIGHT),
                             QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter, f"{name} gate")
            bar = QtCore.QRectF(name_width, top + 4, bar_width, ROW_HEIGHT - 8)
            painter.fillRect(bar, QtGui.QColor(MIDDLE_COLOR))
            painter.fillRect(QtCore.QRectF(bar.left(), bar.top(), bar.width() * closed, bar.height()),
                             QtGui.QColor(CLOSED_COLOR))
            painter.fillRect(QtCore.QRectF(bar.right() - bar.width() * opened, bar.top(), bar.width() * opened,
                                           bar.height()), QtGui.QColor(OPEN_COLOR))
            painter.setPen(QtGui.QColor("#222222"))
            painter.drawText(QtCore.QRectF(bar.right() + 8, top, text_width, ROW_HEIGHT),
                             QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter,
                             share_text(closed, opened))
        painter.end()
