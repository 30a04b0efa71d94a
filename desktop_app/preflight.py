"""Start-up preflight: find the system libraries Qt's window plugin needs before Qt looks for them.

When a library of the xcb platform plugin is missing, Qt prints a long notice and aborts the
process (SIGABRT) as soon as the QApplication is made; nothing inside the process can catch that,
and a user who double-clicked the launcher sees nothing at all. So before any Qt import this
module checks the libraries itself, and if some are missing says which, and how to install them,
in the terminal, in a log file in the user's state folder, and, when there is no terminal, in a
desktop notification or a dialog made by a tool that is present.

Nothing here imports Qt: it must run where Qt cannot.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora package), for every library a platform plugin below needs.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
}
# What each platform plugin loads, in the order they are checked (and reported). xcb: Qt's "X11
# requirements" list, plus libxcb-cursor, which the plugin opens at run time and ldd therefore never reports.
XCB_LIBRARIES: tuple[str, ...] = (
    "libxcb.so.1", "libX11-xcb.so.1", "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1",
    "libxcb-image.so.0", "libxcb-render-util.so.0", "libxcb-shape.so.0", "libxcb-randr.so.0",
    "libxcb-xinerama.so.0", "libxcb-xkb.so.1", "libxkbcommon.so.0", "libxkbcommon-x11.so.0",
    "libfontconfig.so.1", "libEGL.so.1", "libGL.so.1",
)
WAYLAND_LIBRARIES: tuple[str, ...] = (
    "libwayland-client.so.0", "libwayland-cursor.so.0", "libxkbcommon.so.0", "libEGL.so.1", "libfontconfig.so.1",
)
# Platforms that draw into memory or a framebuffer need no display libraries.
HEADLESS_PLATFORMS = ("offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs")

Lookup = Callable[[str], bool]


def can_load(soname: str) -> bool:
    """True if the dynamic loader finds ``soname`` (the same search Qt's plugin loader makes)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def chosen_platform(environ: Mapping[str, str]) -> str:
    """The Qt platform plugin the window will ask for: QT_QPA_PLATFORM, else Qt's own default."""
    requested = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if requested:
        return requested
    # Qt 6 picks wayland on a Wayland session and xcb elsewhere.
    if environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def plugin_dependencies(platform: str) -> list[str]:
    """Libraries ldd reports as missing for the installed Qt plugin (empty if ldd is unavailable)."""
    spec = importlib.util.find_spec("PySide6")
    ldd = shutil.which("ldd")
    if spec is None or not spec.submodule_search_locations or ldd is None:
        return []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    candidates = [qt / "plugins" / "platforms" / f"libq{platform}.so"]
    if platform == "xcb":
        candidates.append(qt / "lib" / "libQt6XcbQpa.so.6")
    missing: list[str] = []
    for library in candidates:
        if not library.exists():
            continue
        try:
            out = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in out.splitlines():
            if "not found" in line:
                name = line.split("=>")[0].strip()
                if name and name not in missing:
                    missing.append(name)
    return missing


def missing_libraries(platform: str, lookup: Lookup = can_load,
                      extra_candidates: list[str] | None = None) -> list[str]:
    """The libraries ``platform`` needs that ``lookup`` cannot find, in a stable order."""
    needed = WAYLAND_LIBRARIES if platform.startswith("wayland") else XCB_LIBRARIES
    names = list(needed) + [n for n in (extra_candidates or []) if n not in needed]
    return [name for name in names if not lookup(name)]


def install_hint(missing: list[str]) -> str:
    debian = sorted({PACKAGES[n][0] for n in missing if n in PACKAGES})
    fedora = sorted({PACKAGES[n][1] for n in missing if n in PACKAGES})
    unknown = [n for n in missing if n not in PACKAGES]
    lines = []
    if debian:
        lines.append("  Debian/Ubuntu: sudo apt-get install " + " ".join(debian))
    if fedora:
        lines.append("  Fedora:        sudo dnf install " + " ".join(fedora))
    if unknown:
        lines.append("  Also find the package that provides: " + ", ".join(unknown))
    return "\n".join(lines)


def problem(environ: Mapping[str, str] | None = None, lookup: Lookup = can_load,
            use_ldd: bool = True) -> str | None:
    """The paragraph to show when the window cannot start here, or None when it can."""
    if not sys.platform.startswith("linux"):
        return None
    environ = os.environ if environ is None else environ
    platform = chosen_platform(environ)
    if platform in HEADLESS_PLATFORMS:
        return None
    if platform == "xcb" and not environ.get("DISPLAY"):
        return ("RNN Lab cannot open its window: no X display is set (DISPLAY is empty). Start it from a "
                "desktop session, or use the command line: python main.py --help")
    missing = missing_libraries(platform, lookup, plugin_dependencies(platform) if use_ldd else [])
    if not missing:
        return None
    return (f"RNN Lab cannot open its window: Qt's {platform} platform plugin needs system libraries that "
            f"are not installed: {', '.join(missing)}.\nInstall them with:\n{install_hint(missing)}\n"
            "Then start RNN Lab again. (The command line works without them: python main.py --help)")


def state_dir() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("rnn-lab", appauthor=False))


def log_path() -> Path:
    return state_dir() / "startup.log"


def write_log(message: str, path: Path | None = None) -> Path | None:
    path = path or log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(time.strftime("%Y-%m-%d %H:%M:%S ") + message + "\n\n")
    except OSError:
        return None
    return path


def notify(message: str, which: Callable[[str], str | None] = shutil.which,
           runner: Callable[[list[str]], object] | None = None) -> str | None:
    """Show ``message`` to a user without a terminal; returns the tool used, None if none was found.

    The notification tools talk to the desktop over D-Bus, not through Qt, so they work when the
    Qt plugin cannot load.
    """
    runner = runner or (lambda cmd: subprocess.run(cmd, timeout=120, check=False,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    title = "RNN Lab cannot start"
    commands = (
        ("zenity", ["zenity", "--error", "--no-wrap", f"--title={title}", f"--text={message}"]),
        ("kdialog", ["kdialog", "--title", title, "--error", message]),
        ("notify-send", ["notify-send", "--urgency=critical", "--app-name=RNN Lab", title, message]),
        ("xmessage", ["xmessage", "-center", f"{title}\n\n{message}"]),
    )
    for tool, command in commands:
        if which(tool):
            try:
                runner(command)
            except (OSError, subprocess.SubprocessError):
                continue
            return tool
    return None


def run(environ: Mapping[str, str] | None = None, lookup: Lookup = can_load) -> int | None:
    """Check, and report a problem everywhere a user may look. Returns an exit code, or None to go on."""
    message = problem(environ, lookup)
    if message is None:
        return None
    logged = write_log(message)
    text = message + (f"\n(This message is also in {logged}.)" if logged else "")
    print(text, file=sys.stderr, flush=True)
    if not (sys.stderr and sys.stderr.isatty()):
        notify(message)  # started from the desktop launcher: nobody reads stderr
    return 2

