"""Render the application icon (resources/icons/rnn-lab.svg) to PNGs of 48, 128 and 256 pixels.

The PNGs are committed: desktops that cannot draw SVG icons (and the hicolor theme's fixed-size
folders) use them. Run again after editing the SVG:

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_icons.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
SIZES = (48, 128, 256)


def render(svg: Path, size: int, target: Path) -> None:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    if not image.save(str(target), "PNG"):
        raise SystemExit(f"{target}: could not write the PNG")


def main(argv: list[str] | None = None) -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts need it
    svg = ICON_DIR / "rnn-lab.svg"
    for size in SIZES:
        target = ICON_DIR / f"rnn-lab-{size}.png"
        render(svg, size, target)
        print(f"wrote {target.relative_to(ICON_DIR.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
