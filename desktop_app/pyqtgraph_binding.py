"""pyqtgraph bound to PySide6, without creating every Qt class at start-up.

The binding: pyqtgraph picks the first Qt binding it finds; ``PYQTGRAPH_QT_LIB`` makes it PySide6
even where another one is installed.

The start-up cost: as it is imported, pyqtgraph copies every name of QtCore, QtGui and QtWidgets
into mirror modules of its own (``pyqtgraph.Qt.QtCore`` ...), so that its Qt 4-style patches do
not touch the real modules. PySide6 (6.7 and later) creates a class only when it is first looked
up, and the copy looks up all ~720 of them: ~0.25 s of a ~1.3 s start on a two-core machine,
for classes the window never uses. Here the mirrors are made first, as modules that look a name
up in the real module when it is first asked for, and pyqtgraph's copy finds nothing to copy;
what pyqtgraph sets on a mirror stays on the mirror, as before. pyqtgraph gets the same objects,
later.

``install()`` (called by ``desktop_app/__init__``) only registers an import hook: Qt is imported
when pyqtgraph is, not before, since the start-up preflight must run where Qt cannot load. If
anything differs from what this expects (another binding chosen, pyqtgraph already imported), it
does nothing and pyqtgraph copies as usual.
"""

from __future__ import annotations

import importlib
import importlib.abc
import os
import sys
import types

QT_LIB = "PySide6"
MIRRORED = ("QtCore", "QtGui", "QtWidgets")


def install() -> None:
    os.environ.setdefault("PYQTGRAPH_QT_LIB", QT_LIB)
    if "pyqtgraph" in sys.modules or any(isinstance(f, _BeforePyqtgraphQt) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _BeforePyqtgraphQt())


class _BeforePyqtgraphQt(importlib.abc.MetaPathFinder):
    """Finds nothing; prepares the lazy mirrors as ``pyqtgraph.Qt`` is about to be imported."""

    def find_spec(self, fullname, path, target=None):
        if fullname == "pyqtgraph.Qt":
            sys.meta_path.remove(self)
            if os.environ.get("PYQTGRAPH_QT_LIB") == QT_LIB:
                _prepare_lazy_mirrors()
        return None


def _prepare_lazy_mirrors() -> None:
    for name in MIRRORED:
        source = importlib.import_module(f"{QT_LIB}.{name}")
        mirror_name = f"pyqtgraph.Qt.{name}"
        if mirror_name in sys.modules:
            continue
        sys.modules[mirror_name] = lazy_mirror(mirror_name, source)
        _empty_first_dir(source)


def lazy_mirror(name: str, source: types.ModuleType) -> types.ModuleType:
    """A module whose missing names are looked up in ``source`` when first asked for (PEP 562),
    then kept: pyqtgraph reads names such as ``QtCore.QPointF`` in its drawing loops, and a call
    to this hook on every read made the 11-curve gradients view redraw in 18 ms instead of 12.5-15."""
    mirror = types.ModuleType(name)

    def __getattr__(attribute: str):  # noqa: N807 - the module-level hook's name
        value = getattr(source, attribute)
        setattr(mirror, attribute, value)
        return value

    def __dir__():  # noqa: N807
        return sorted(set(mirror.__dict__) | set(dir(source)))

    mirror.__getattr__ = __getattr__
    mirror.__dir__ = __dir__
    return mirror


def _empty_first_dir(module: types.ModuleType) -> None:
    """The next ``dir(module)`` (pyqtgraph's copy) lists nothing; every later one is as before."""
    had_own = "__dir__" in module.__dict__
    original = module.__dict__.get("__dir__")

    def first_dir():
        if had_own:
            module.__dir__ = original
        else:
            del module.__dir__
        return []

    module.__dir__ = first_dir
