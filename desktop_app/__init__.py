"""RNN Lab's window (PySide6 + pyqtgraph); the engine it drives lives in core/."""

import os

# Before any module of the package imports pyqtgraph: bind it to PySide6 even if another Qt
# binding happens to be installed.
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
