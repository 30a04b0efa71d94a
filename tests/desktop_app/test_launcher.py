"""make install-desktop: the menu entry, the icons and the desktop shortcut that start RNN Lab."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, home: Path, data_home: Path):
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(data_home), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "install_desktop.py"), *args],
                          env=env, capture_output=True, text=True, timeout=60)


def test_install_puts_a_double_clickable_entry_in_the_menu_and_on_the_desktop(tmp_path):
    home, data_home = tmp_path / "home", tmp_path / "share"
    (home / "Desktop").mkdir(parents=True)
    launcher = tmp_path / "venv bin" / "rnn-lab"  # a space in the path must survive quoting
    launcher.parent.mkdir()
    launcher.write_text("#!/bin/sh\n")
    result = _run(["--launcher", str(launcher)], home, data_home)
    assert result.returncode == 0, result.stderr

    entry_path = data_home / "applications" / "rnn-lab.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.read(entry_path, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Name"] == "RNN Lab" and section["Type"] == "Application"
    assert section["Exec"] == f'"{launcher}" %f'
    assert section["Icon"] == "rnn-lab"
    for size in ("48x48", "128x128", "256x256"):
        assert (data_home / "icons" / "hicolor" / size / "apps" / "rnn-lab.png").stat().st_size > 0
    assert (data_home / "icons" / "hicolor" / "scalable" / "apps" / "rnn-lab.svg").exists()
    shortcut = home / "Desktop" / "rnn-lab.desktop"
    assert shortcut.read_text() == entry_path.read_text()
    assert os.access(shortcut, os.X_OK)

    result = _run(["--uninstall"], home, data_home)
    assert result.returncode == 0, result.stderr
    assert not entry_path.exists() and not shortcut.exists()
    assert not list((data_home / "icons").rglob("rnn-lab*"))


def test_install_without_the_venv_launcher_says_what_to_do(tmp_path):
    result = _run(["--launcher", str(tmp_path / "missing" / "rnn-lab")], tmp_path, tmp_path / "share")
    assert result.returncode != 0
    assert "make venv" in result.stderr
