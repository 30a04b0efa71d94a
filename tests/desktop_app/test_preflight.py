"""The start-up preflight names missing system libraries instead of letting Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from desktop_app import preflight

ROOT = Path(__file__).resolve().parents[2]
X_SESSION = {"DISPLAY": ":0"}


def _without(*missing: str):
    return lambda soname: soname not in missing


def test_a_missing_cursor_library_is_named_with_the_packages_that_install_it():
    message = preflight.problem(X_SESSION, lookup=_without("libxcb-cursor.so.0"), use_ldd=False)
    assert message is not None
    assert "libxcb-cursor.so.0" in message
    assert "sudo apt-get install libxcb-cursor0" in message
    assert "sudo dnf install xcb-util-cursor" in message
    # Only the missing one is named.
    assert "libxcb-icccm.so.4" not in message


def test_every_missing_library_is_named_once():
    message = preflight.problem(X_SESSION, lookup=_without("libxcb-icccm.so.4", "libxcb-keysyms.so.1"),
                                use_ldd=False)
    assert "libxcb-icccm4" in message and "libxcb-keysyms1" in message
    assert message.count("libxcb-icccm.so.4") == 1


def test_a_complete_system_passes():
    assert preflight.problem(X_SESSION, lookup=lambda soname: True, use_ldd=False) is None


def test_headless_platforms_need_no_display_libraries():
    environ = {"QT_QPA_PLATFORM": "offscreen"}
    assert preflight.problem(environ, lookup=lambda soname: False, use_ldd=False) is None


def test_a_wayland_session_checks_the_wayland_plugin():
    environ = {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}
    message = preflight.problem(environ, lookup=_without("libwayland-cursor.so.0"), use_ldd=False)
    assert "wayland platform plugin" in message and "libwayland-cursor0" in message


def test_no_display_is_said_in_words():
    message = preflight.problem({}, lookup=lambda soname: True, use_ldd=False)
    assert "no X display" in message


def test_the_real_lookup_finds_the_c_library_and_not_a_made_up_one():
    assert preflight.can_load("libc.so.6")
    assert not preflight.can_load("libsurely-not-installed-rnnlab.so.9")


def test_a_double_click_user_sees_a_dialog_from_a_tool_that_is_present():
    ran = []
    tool = preflight.notify("libxcb-cursor.so.0 is missing", which=lambda name: name == "notify-send",
                            runner=ran.append)
    assert tool == "notify-send"
    assert ran and ran[0][0] == "notify-send" and "libxcb-cursor.so.0 is missing" in ran[0]
    assert preflight.notify("x", which=lambda name: None, runner=ran.append) is None


def test_main_exits_with_the_message_and_writes_it_to_the_state_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["XDG_STATE_HOME"] = str(tmp_path)
    env["PATH"] = str(tmp_path)  # no notification tool: a test must not pop up dialogs on a desktop
    done = subprocess.run([sys.executable, str(ROOT / "main.py")], env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert "no X display" in done.stderr
    log = tmp_path / "rnn-lab" / "startup.log"
    assert "no X display" in log.read_text()
    assert str(log) in done.stderr
    # It failed before Qt: no Qt abort text.
    assert "qt.qpa" not in done.stderr
