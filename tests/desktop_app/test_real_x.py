"""The real app on a real X server: the window maps, trains, and quits cleanly on Ctrl+Q.

The rest of the suite runs on Qt's offscreen platform, which hides what a desktop hits: the xcb
plugin's system libraries, keyboard focus, native dialogs. Xvfb gives a real X server without a
screen; xdotool types and clicks as a user would (XTEST events, which Qt does not ignore).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import x_display
from scripts.x_display import find_window, press, wait_for_line, xdotool

ROOT = Path(__file__).resolve().parents[2]
PLOT_AREA = (800, 300)  # inside the empty loss plot of the default layout

pytestmark = pytest.mark.skipif(
    not x_display.available(),
    reason="Xvfb and xdotool are not installed: `make test` installs them when run as root with apt-get",
)


@pytest.fixture
def display():
    with x_display.virtual_display() as name:
        yield name


def test_the_real_window_maps_trains_the_cooking_example_and_quits_on_ctrl_q(display, tmp_path):
    project = x_display.tiny_cooking_project(ROOT / "resources" / "examples" / "cooking.json")
    path = tmp_path / "cooking.json"
    path.write_text(json.dumps(project))
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), RNN_LAB_REPORT_SHOWN="1", PYTHONUNBUFFERED="1")
    app = subprocess.Popen([sys.executable, "-m", "desktop_app.launch", str(path)], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out = x_display.output_lines(app.stdout)
        wait_for_line(out, "RNN_LAB_WINDOW_SHOWN", 60)
        # Qt writes the bare title to WM_NAME (which xdotool searches) and appends the application's
        # name in _NET_WM_NAME, what window managers show: the project once, the app once.
        window = find_window(display, "^Cooking schedule")
        assert xdotool(display, "getwindowname", window) == f"{project['name']} — RNN Lab"
        geometry = xdotool(display, "getwindowgeometry", window)
        assert "Geometry:" in geometry and "1x1" not in geometry

        wait_for_line(out, "RNN_LAB_TENSORFLOW_READY", 120)  # Train is enabled from then on
        press(display, window, "F5", PLOT_AREA)  # Run > Train
        ended = wait_for_line(out, "RNN_LAB_RUN_ENDED", 120)
        assert ended.split()[1] == "completed"

        press(display, window, "ctrl+q", PLOT_AREA)
        # The trained model is unsaved: the window asks once; Alt+D discards it.
        prompt = find_window(display, "^Unsaved changes")
        press(display, prompt, "alt+d", (150, 20))  # on the question's text
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
