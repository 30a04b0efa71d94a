"""PySide6 asks of every module imported after it whether it uses PySide6; the window answers from
the file's bytes instead of tokenising its source, and must give PySide6's own answers."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import desktop_app  # noqa: F401 - installs the check


def test_the_cheap_check_is_in_place_and_answers_as_pyside_does():
    feature = sys.modules["shibokensupport.feature"]
    check = feature._mod_uses_pyside
    assert getattr(check, "reads_bytes", False), "desktop_app did not install the cheaper check"
    names = ["desktop_app.main_window", "desktop_app.plots.style", "pyqtgraph.Qt",  # use PySide6
             "json", "core.training", "numpy.linalg",  # do not
             "sys", "numpy._core._multiarray_umath"]  # built in, or no .py file
    answers = {}
    for name in names:
        module = importlib.import_module(name)
        answers[name] = check(module)
        assert answers[name] == check.original(module), name
    assert answers["desktop_app.main_window"] and answers["pyqtgraph.Qt"]
    assert not answers["json"] and not answers["core.training"] and not answers["sys"]


def test_every_module_imported_so_far_got_pysides_answer():
    """What the import hook recorded (0: uses PySide6, -1: ignore) matches the original check."""
    feature = sys.modules["shibokensupport.feature"]
    original = feature._mod_uses_pyside.original
    recorded = feature.pyside_feature_dict
    checked = [name for name in list(recorded)[-600:] if name in sys.modules and recorded[name] in (0, -1)]
    assert len(checked) > 100
    wrong = [name for name in checked if (recorded[name] == 0) != original(sys.modules[name])]
    assert wrong == []


def test_importing_the_package_loads_no_pyside_and_a_later_pyside_gets_the_check():
    code = ("import sys, desktop_app; loaded = 'PySide6' in sys.modules; import PySide6.QtCore; "
            "print(loaded, sys.modules['shibokensupport.feature']._mod_uses_pyside.reads_bytes)")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
