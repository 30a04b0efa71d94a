"""RNN Lab's window (PySide6 + pyqtgraph); the engine it drives lives in core/."""

from desktop_app import pyqtgraph_binding, pyside_feature_check

# Before any module of the package imports pyqtgraph: bound to PySide6 even if another Qt binding
# happens to be installed, and without creating every Qt class as it loads.
pyqtgraph_binding.install()
# From the moment PySide6 loads, before the window's modules, numpy, pyqtgraph and TensorFlow:
# PySide6 looks at the source of every module imported after it, and this makes that look cheap.
pyside_feature_check.install()
