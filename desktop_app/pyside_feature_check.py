"""A cheaper answer to the question PySide6 asks of every module imported after it.

PySide6's ``__feature__`` support (PYSIDE-2029) hooks ``__import__``: each newly imported module
is asked whether it uses PySide6 by ``inspect.getsource(module)`` and a search for "PySide6"
(``shibokensupport.feature._mod_uses_pyside``). That tokenises the whole source of every module,
through linecache: 470 modules cost 0.17 s of the window's start, and the ~2,000 modules of
TensorFlow, imported in the background while the window is already up, cost it about a second more,
holding the interpreter lock the window's thread needs to paint.

``install()`` gives the same answer from the file's bytes (a plain read and a byte search), and
PySide6's own answer for anything without a ``.py`` file. It does nothing if that function is not
there (another PySide6 release) or was replaced already.
"""

from __future__ import annotations

import sys


def install() -> bool:
    """Replace the check once PySide6 has loaded its support modules; True if it is in place.

    Importing the PySide6 package loads those, and no Qt library: the preflight, which names a
    missing system library before Qt could abort, still runs first. Without PySide6 this does
    nothing, and the preflight says what is missing."""
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return False

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
