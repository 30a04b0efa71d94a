"""The real app on a real X server: the window maps, trains, and quits cleanly on Ctrl+Q.

The rest of the suite runs on Qt's offscreen platform, which hides what a desktop hits: the xcb
plugin's system libraries, keyboard focus, native dialogs. Xvfb gives a real X server without a
screen; xdotool types and clicks as a user would (XTEST events, which Qt does not ignore).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
XVFB = shutil.which("Xvfb")
XDOTOOL = shutil.which("xdotool")
PLOT_AREA = (800, 300)  # inside the empty loss plot of the default layout

pytestmark = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and XVFB and XDOTOOL),
    reason="Xvfb and xdotool are not installed: `make test` installs them when run as root with apt-get",
)


@pytest.fixture
def display():
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen([XVFB, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def _xdotool(display: str, *args: str) -> str:
    done = subprocess.run([XDOTOOL, *args], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True,
                          timeout=30)
    return done.stdout.strip()


def _window(display: str, title_pattern: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _xdotool(display, "search", "--onlyvisible", "--name", title_pattern).split()
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no window titled {title_pattern!r} appeared")


def _press(display: str, window: str, keys: str, at: tuple[int, int]) -> None:
    # Without a window manager, focus comes from a click inside the window (DESKTOP_NOTES), on a
    # spot that reacts to no click (a menu opened by the click would take the key instead).
    _xdotool(display, "mousemove", "--window", window, str(at[0]), str(at[1]), "click", "1")
    _xdotool(display, "windowfocus", window)
    _xdotool(display, "key", keys)


def _lines(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in stream], daemon=True).start()
    return lines


def _wait_for(lines: queue.Queue, prefix: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line.startswith(prefix):
            return line
    raise AssertionError(f"the app never printed {prefix}")


def test_the_real_window_maps_trains_the_cooking_example_and_quits_on_ctrl_q(display, tmp_path):
    project = json.loads((ROOT / "resources" / "examples" / "cooking.json").read_text())
    project["dataset"]["params"]["samples"] = 64
    project["model"]["units"] = 4
    project["training"].update(epochs=2, batch_size=16)
    path = tmp_path / "cooking.json"
    path.write_text(json.dumps(project))
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), RNN_LAB_REPORT_SHOWN="1", PYTHONUNBUFFERED="1")
    app = subprocess.Popen([sys.executable, "-m", "desktop_app.launch", str(path)], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out = _lines(app.stdout)
        _wait_for(out, "RNN_LAB_WINDOW_SHOWN", 60)
        # Qt writes the bare title to WM_NAME (which xdotool searches) and appends the application's
        # name in _NET_WM_NAME, what window managers show: the project once, the app once.
        window = _window(display, "^Cooking schedule")
        assert _xdotool(display, "getwindowname", window) == f"{project['name']} — RNN Lab"
        geometry = _xdotool(display, "getwindowgeometry", window)
        assert "Geometry:" in geometry and "1x1" not in geometry

        _wait_for(out, "RNN_LAB_TENSORFLOW_READY", 120)  # Train is enabled from then on
        _press(display, window, "F5", PLOT_AREA)  # Run > Train
        ended = _wait_for(out, "RNN_LAB_RUN_ENDED", 120)
        assert ended.split()[1] == "completed"

        _press(display, window, "ctrl+q", PLOT_AREA)
        # The trained model is unsaved: the window asks once; Alt+D discards it.
        prompt = _window(display, "^Unsaved changes")
        _press(display, prompt, "alt+d", (150, 20))  # on the question's text
        assert app.wait(timeout=60) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    stderr = app.stderr.read()
    # TensorFlow's C++ lines (absl banners, oneDNN, cuInit) and resource-tracker warnings go to the log file.
    assert stderr.strip() == "", stderr
    native_log = tmp_path / "state" / "rnn-lab" / "native.log"
    assert native_log.exists()
