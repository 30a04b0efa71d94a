"""Files shipped with the app: the icons (the example projects are core.examples' business)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON_DIR = RESOURCES / "icons"


def app_icon() -> QIcon:
    """The application icon: the SVG where it can be drawn, with the rendered PNG sizes."""
    icon = QIcon()
    for size in (48, 128, 256):
        png = ICON_DIR / f"rnn-lab-{size}.png"
        if png.exists():
            icon.addFile(str(png), QSize(size, size))
    svg = ICON_DIR / "rnn-lab.svg"
    if svg.exists():
        icon.addFile(str(svg))
    return icon
