"""core/ must run on a headless server: importing it may not load any Qt module."""

import os
import sys
from pathlib import Path

from core.processes import child_context

ROOT = Path(__file__).resolve().parents[2]

QT_PREFIXES = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "superqt", "qtpy", "shiboken6", "desktop_app")


def _import_all(modules, conn) -> None:
    """In a child that imported no Qt: import every core module, send back the Qt modules loaded."""
    import importlib
    import traceback

    try:
        # As on a headless server: none of this process's (or a desktop's) variables.
        os.environ.clear()
        os.environ.update({"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)})
        for name in modules:
            importlib.import_module(name)
        conn.send(("ok", sorted(m for m in sys.modules if m.split(".")[0] in QT_PREFIXES)))
    except BaseException:  # noqa: BLE001 - reported to the test
        conn.send(("error", traceback.format_exc()))


def test_importing_every_core_module_loads_no_qt():
    modules = sorted(
        "core." + ".".join(path.relative_to(ROOT / "core").with_suffix("").parts)
        for path in (ROOT / "core").rglob("*.py")
        if path.name != "__init__.py"
    )
    assert "core.specs" in modules
    # The test process may have imported Qt (the window's tests), so the imports happen in a
    # child: a fork of core.processes' fork server, a process that has imported only TensorFlow,
    # Keras and the training child's core modules (any Qt among those would be reported too), so
    # the TensorFlow import is not paid again here. Elsewhere it is a freshly spawned interpreter.
    ctx = child_context()
    ours, theirs = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_import_all, args=(modules, theirs), name="rnnlab-qt-free-check")
    process.start()
    theirs.close()
    try:
        assert ours.poll(180), "the importing child took more than 180 s"
        try:
            status, loaded = ours.recv()
        except EOFError:
            process.join(10)
            raise AssertionError(f"the importing child died (exit code {process.exitcode})") from None
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(2)
    assert status == "ok", loaded
    assert process.exitcode == 0
    assert loaded == [], f"core imported Qt modules: {','.join(loaded)}"
