"""RNN Lab's window (PySide6 + pyqtgraph); the engine it drives lives in core/."""

from desktop_app import pyqtgraph_binding

# Before any module of the package imports pyqtgraph: bound to PySide6 even if another Qt binding
# happens to be installed, and without creating every Qt class as it loads.
pyqtgraph_binding.install()
