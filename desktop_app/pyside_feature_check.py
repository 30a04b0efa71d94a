"""A cheaper answer to the question PySide6 asks of every module imported after it.

PySide6's ``__feature__`` support (PYSIDE-2029) hooks ``__import__``: each newly imported module
is asked whether it uses PySide6 by ``inspect.getsource(module)`` and a search for "PySide6"
(``shibokensupport.feature._mod_uses_pyside``). That tokenises the whole source of every module,
through linecache: ~0.1 s of the window's start (470 modules), and 0.44 s of the ~5 s TensorFlow
import the window runs in the background (2,000 modules), holding the interpreter lock the
window's thread needs to paint.

``install()`` gives, once PySide6 is loaded, the same answer from the file's bytes (a plain read
and a byte search: 0.11 s for TensorFlow's modules), and PySide6's own answer for anything without
a ``.py`` file. It does nothing if that function is not there (another PySide6 release) or was
replaced already.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys


def install() -> None:
    """Replace the check now if PySide6 is loaded, else as soon as it is: importing this package
    loads no part of PySide6 (the plot buffers, say, are numpy only)."""
    if "PySide6" in sys.modules:
        replace_check()
    elif not any(isinstance(finder, _AfterPySide6) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AfterPySide6())


class _AfterPySide6(importlib.abc.MetaPathFinder):
    """Finds nothing itself: it lets the PySide6 package load as usual, then replaces the check."""

    def find_spec(self, name, path, target=None):
        if name != "PySide6":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        load = spec.loader.exec_module

        def exec_module(module) -> None:
            load(module)  # loads shibokensupport.feature, and no Qt library
            replace_check()

        spec.loader.exec_module = exec_module
        return spec


def replace_check() -> bool:
    """Put the cheaper check in place; True if it is (False where PySide6 has no such function)."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None:
        return False
    if getattr(original, "reads_bytes", False):
        return True

    def uses_pyside(module) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    uses_pyside.reads_bytes = True
    uses_pyside.original = original
    feature._mod_uses_pyside = uses_pyside
    return True
