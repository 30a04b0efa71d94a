"""Driving the app on a real X server without a screen: Xvfb for the display, xdotool to type and
click as a user would (XTEST events, which Qt does not ignore), and the app's stdout read line by
line for the markers it prints (RNN_LAB_WINDOW_SHOWN, RNN_LAB_RUN_ENDED, ...).

Shared by tests/desktop_app/test_real_x.py (the app from source) and scripts/bundle_smoke.py
(the frozen app). A wait that runs out raises ``XTimeoutError`` naming what never came.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

XVFB = shutil.which("Xvfb")
XDOTOOL = shutil.which("xdotool")
SCREEN = "1280x800x24"


class XTimeoutError(Exception):
    """A window or an output line did not come in time."""


def available() -> bool:
    return bool(sys.platform.startswith("linux") and XVFB and XDOTOOL)


def tiny_cooking_project(example: Path) -> dict:
    """The cooking example made small enough to train in seconds (what both drivers train with F5)."""
    project = json.loads(example.read_text())
    project["dataset"]["params"]["samples"] = 64
    project["model"]["units"] = 4
    project["training"].update(epochs=2, batch_size=16)
    return project


@contextmanager
def virtual_display() -> Iterator[str]:
    """An Xvfb server for the ``with`` block; yields its DISPLAY (":N")."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen([XVFB, "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
                              pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    try:
        if not number:
            raise XTimeoutError("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def xdotool(display: str, *args: str) -> str:
    done = subprocess.run([XDOTOOL, *args], env={**os.environ, "DISPLAY": display}, capture_output=True,
                          text=True, timeout=30)
    return done.stdout.strip()


def find_window(display: str, title_pattern: str, timeout: float = 30) -> str:
    """The first visible window whose WM_NAME matches ``title_pattern`` (Qt writes the bare title there)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = xdotool(display, "search", "--onlyvisible", "--name", title_pattern).split()
        if found:
            return found[0]
        time.sleep(0.2)
    raise XTimeoutError(f"no window titled {title_pattern!r} appeared")


def press(display: str, window: str, keys: str, at: tuple[int, int]) -> None:
    # Without a window manager, focus comes from a click inside the window, on a spot that reacts
    # to no click (a menu opened by the click would take the key instead).
    xdotool(display, "mousemove", "--window", window, str(at[0]), str(at[1]), "click", "1")
    xdotool(display, "windowfocus", window)
    xdotool(display, "key", keys)


def output_lines(stream: IO[str]) -> queue.Queue:
    """The stream's lines, stripped, as they come (read in a daemon thread)."""
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line.strip()) for line in stream], daemon=True).start()
    return lines


def wait_for_line(lines: queue.Queue, prefix: str, timeout: float) -> str:
    """The first line starting with ``prefix`` (the lines before it are dropped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line.startswith(prefix):
            return line
    raise XTimeoutError(f"the app never printed {prefix}")
