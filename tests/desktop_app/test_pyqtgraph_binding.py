"""pyqtgraph bound to PySide6 through lazy mirrors: the same objects, fewer Qt classes made at start-up.

The check runs in a fresh interpreter: in this one pyqtgraph was imported long ago.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
import desktop_app  # installs the hook, as every module of the window does first
import PySide6.QtWidgets as real_widgets
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets
from PySide6.QtWidgets import QApplication

made_at_import = len(vars(real_widgets))
app = QApplication([])
plot = pg.PlotWidget()
curve = plot.plot([0, 1, 2], [3, 1, 2])
plot.resize(300, 200)
image = plot.grab().toImage()
print(json.dumps({
    "lib": pg.Qt.QT_LIB,
    "same_objects": QtWidgets.QWidget is real_widgets.QWidget and QtCore.QTimer.__module__ == "PySide6.QtCore",
    "pyqtgraph_patch_kept_on_mirror": QtGui.QFileSystemModel is real_widgets.QFileSystemModel,
    "real_module_untouched": not hasattr(sys.modules["PySide6.QtGui"], "QFileSystemModel"),
    "dir_restored": len(dir(real_widgets)),
    "mirror_dir": "QTabWidget" in dir(QtWidgets),
    "made_at_import": made_at_import,
    "curve_points": len(curve.getData()[0]),
    "painted": image.width() == 300 and not image.isNull(),
    # A name pyqtgraph has read is kept on its mirror: drawing reads them in its loops.
    "kept_after_first_read": vars(QtCore).get("QPointF") is sys.modules["PySide6.QtCore"].QPointF,
}))
"""


def _run(code: str) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYQTGRAPH_QT_LIB", None)  # desktop_app sets it, as in the app
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_pyqtgraph_gets_pyside6_s_own_classes_and_draws_but_makes_few_of_them_at_import():
    found = _run(PROBE)
    assert found["lib"] == "PySide6"
    assert found["same_objects"]
    # pyqtgraph's Qt 5 shim sets names on its mirrors; the real modules stay as PySide6 made them.
    assert found["pyqtgraph_patch_kept_on_mirror"] and found["real_module_untouched"]
    # dir() of the real module lists every class again once pyqtgraph has loaded (the hook's
    # one empty answer was pyqtgraph's copy), and so does the mirror's.
    assert found["dir_restored"] > 150 and found["mirror_dir"]
    # The point: importing pyqtgraph made a fraction of QtWidgets' ~200 classes, not all of them.
    assert found["made_at_import"] < found["dir_restored"] / 2, found
    assert found["curve_points"] == 3 and found["painted"]
    assert found["kept_after_first_read"]
