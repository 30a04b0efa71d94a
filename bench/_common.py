"""What every window benchmark sets before it imports the app.

No display (offscreen Qt), pyqtgraph bound to PySide6, TensorFlow's start-up chatter off, and the
repository on sys.path, since the scripts run as files (``python bench/bench_plots.py``).
Import it first: ``import _common  # noqa: F401``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
