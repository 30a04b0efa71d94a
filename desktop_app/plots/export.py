"""Saving what a plot tab shows: a PNG of its plots stacked, or a CSV of the data behind them."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers ImageExporter under pg.exporters)
from PySide6 import QtGui, QtWidgets

FORMATS = {"png": "PNG image (*.png)", "csv": "CSV table (*.csv)"}


def write_png(widgets: Sequence[pg.PlotWidget], path: str) -> None:
    """The plots one above the other in one image, each at least 320 pixels wide."""
    images = []
    for widget in widgets:
        exporter = pg.exporters.ImageExporter(widget.getPlotItem())
        exporter.parameters()["width"] = max(320, int(widget.width()))
        images.append(exporter.export(toBytes=True))
    width = max(image.width() for image in images)
    height = sum(image.height() for image in images)
    combined = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32)
    combined.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(combined)
    top = 0
    for image in images:
        painter.drawImage(0, top, image)
        top += image.height()
    painter.end()
    if not combined.save(path, "PNG"):
        raise OSError(f"Could not write the image {path}: check the folder exists and is writable.")


def write_csv(path: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def ask_path(parent: QtWidgets.QWidget, title: str, fmt: str) -> str:
    """A file name chosen by the user to save ``title`` as ``fmt`` ("" if cancelled), with the
    suffix added when the user left it out."""
    default = f"{title.lower().replace(' ', '_')}.{fmt}"
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, f"Export {title} as {fmt.upper()}", default,
                                                    FORMATS[fmt])
    if path and not path.lower().endswith("." + fmt):
        path += "." + fmt
    return path
