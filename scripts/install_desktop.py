"""Install (or remove) RNN Lab's freedesktop menu entry and icon for the current user.

    .venv/bin/python scripts/install_desktop.py              # make install-desktop
    python3 scripts/install_desktop.py --uninstall           # make uninstall-desktop

The entry starts the virtual environment's ``rnn-lab`` launcher by its absolute path, so it
works from the desktop or the applications menu without activating anything. Files go under
``$XDG_DATA_HOME`` (default ``~/.local/share``): ``applications/rnn-lab.desktop`` and the icon in
``icons/hicolor/{48x48,128x128,256x256}/apps`` and ``icons/hicolor/scalable/apps``; where the
user has a desktop folder (``xdg-user-dir DESKTOP``, else ``~/Desktop``), a copy of the entry goes
there too, marked trusted, so RNN Lab starts with a double-click on the desktop. Standard
library only, so uninstalling works without the virtual environment.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "resources" / "rnn-lab.desktop"
ICON_DIR = ROOT / "resources" / "icons"
APP_ID = "rnn-lab"
PNG_SIZES = (48, 128, 256)


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / ".local" / "share"


def default_launcher() -> Path:
    """The rnn-lab gui-script next to the running interpreter (the venv's bin folder).

    sys.executable is deliberately not resolved: inside a venv it is a symlink to the system
    Python, whose folder has no rnn-lab.
    """
    folder = Path(sys.executable).parent
    name = "rnn-lab.exe" if os.name == "nt" else "rnn-lab"
    return (folder / name).absolute()


def targets(base: Path) -> dict[str, Path]:
    icons = base / "icons" / "hicolor"
    found = {"desktop": base / "applications" / f"{APP_ID}.desktop",
             "svg": icons / "scalable" / "apps" / f"{APP_ID}.svg"}
    for size in PNG_SIZES:
        found[f"png{size}"] = icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    return found


def desktop_folder() -> Path | None:
    """The user's desktop folder, if they have one (nothing is created)."""
    folder = None
    if shutil.which("xdg-user-dir"):
        result = subprocess.run(["xdg-user-dir", "DESKTOP"], capture_output=True, text=True, check=False)
        answer = result.stdout.strip()
        # xdg-user-dir answers $HOME when no desktop folder is configured.
        if result.returncode == 0 and answer and Path(answer) != Path.home():
            folder = Path(answer)
    if folder is None:
        folder = Path.home() / "Desktop"
    return folder if folder.is_dir() else None


def _trust(path: Path) -> None:
    # GNOME asks before starting an untrusted launcher on the desktop; others ignore this.
    if shutil.which("gio"):
        subprocess.run(["gio", "set", str(path), "metadata::trusted", "true"], check=False, capture_output=True)


def desktop_entry(launcher: Path) -> str:
    text = TEMPLATE.read_text(encoding="utf-8")
    # The Exec key's quoting rules: a path with spaces must be double-quoted.
    exec_value = str(launcher)
    if any(c in exec_value for c in ' \t"\'\\$`'):
        escaped = exec_value.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
        exec_value = f'"{escaped}"'
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    text = "\n".join(lines).replace("TryExec=@EXEC@", f"TryExec={launcher}").replace("@EXEC@", exec_value)
    return text.strip() + "\n"


def _refresh_caches(base: Path) -> None:
    """Ask the desktop to notice the change; harmless where the tools are missing."""
    for command in (["update-desktop-database", str(base / "applications")],
                    ["gtk-update-icon-cache", "-q", "-t", "-f", str(base / "icons" / "hicolor")]):
        if shutil.which(command[0]):
            subprocess.run(command, check=False, capture_output=True)


def install(launcher: Path, base: Path) -> list[Path]:
    if not launcher.exists():
        raise SystemExit(
            f"{launcher}: the rnn-lab launcher does not exist. Run `make venv` first (it installs "
            f"RNN Lab into the virtual environment), then `make install-desktop`."
        )
    paths = targets(base)
    written = []
    paths["desktop"].parent.mkdir(parents=True, exist_ok=True)
    tmp = paths["desktop"].with_suffix(".desktop.tmp")
    tmp.write_text(desktop_entry(launcher), encoding="utf-8")
    os.chmod(tmp, 0o755)  # some desktops only trust executable launchers
    os.replace(tmp, paths["desktop"])
    written.append(paths["desktop"])
    sources = {"svg": ICON_DIR / f"{APP_ID}.svg"}
    sources.update({f"png{s}": ICON_DIR / f"{APP_ID}-{s}.png" for s in PNG_SIZES})
    for key, source in sources.items():
        if not source.exists():
            raise SystemExit(f"{source}: icon missing (run scripts/render_icons.py)")
        paths[key].parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, paths[key])
        written.append(paths[key])
    desktop = desktop_folder()
    if desktop is not None:
        shortcut = desktop / f"{APP_ID}.desktop"
        shutil.copyfile(paths["desktop"], shortcut)
        os.chmod(shortcut, 0o755)
        _trust(shortcut)
        written.append(shortcut)
    _refresh_caches(base)
    return written


def uninstall(base: Path) -> list[Path]:
    removed = []
    desktop = desktop_folder()
    shortcut = [desktop / f"{APP_ID}.desktop"] if desktop is not None else []
    for path in [*targets(base).values(), *shortcut]:
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh_caches(base)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uninstall", action="store_true", help="remove the menu entry and the icons")
    parser.add_argument("--launcher", type=Path, default=None,
                        help="the rnn-lab launcher to start (default: the one next to this Python)")
    args = parser.parse_args(argv)
    base = data_home()
    if args.uninstall:
        removed = uninstall(base)
        for path in removed:
            print(f"removed {path}")
        if not removed:
            print(f"nothing to remove under {base}")
        return 0
    launcher = (args.launcher or default_launcher()).absolute()
    for path in install(launcher, base):
        print(f"installed {path}")
    print(f"RNN Lab is in the applications menu; it starts {launcher}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
