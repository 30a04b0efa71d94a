"""What the window remembers between sessions, kept in QSettings.

One small wrapper so the keys and their types live in one place: window geometry and dock
layout, the last project (the choices the user left the panels in), the recent files list and
the folder of the last file dialog. Tests pass a QSettings on a temporary INI file, so they never
touch the user's configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from desktop_app.resources import RESOURCES

MAX_RECENT_FILES = 10

# Bump when the dock layout changes incompatibly: restoreState ignores a state of another version.
WINDOW_STATE_VERSION = 1


class Settings:
    """Typed access to the application's QSettings."""

    def __init__(self, qsettings: QSettings | None = None):
        # The default constructor uses the organisation and application names set in app.main().
        self._qs = qsettings if qsettings is not None else QSettings()

    @classmethod
    def at_path(cls, path: str | os.PathLike) -> Settings:
        """Settings stored in one INI file (tests, screenshots and benchmarks use a temp file)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    @property
    def qsettings(self) -> QSettings:
        return self._qs

    def sync(self) -> None:
        self._qs.sync()

    # --- window ----------------------------------------------------------------------------

    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_geometry(self, data: QByteArray) -> None:
        self._qs.setValue("window/geometry", data)

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window_state(self, data: QByteArray) -> None:
        self._qs.setValue("window/state", data)

    def central_tab(self) -> int:
        return self._int("window/central_tab", 0)

    def set_central_tab(self, index: int) -> None:
        self._qs.setValue("window/central_tab", int(index))

    # --- last choices ----------------------------------------------------------------------

    def last_project_json(self) -> str | None:
        """The project the panels held when the app was last closed (JSON), if any."""
        value = self._qs.value("session/last_project", None)
        return value if isinstance(value, str) and value.strip() else None

    def set_last_project_json(self, text: str) -> None:
        self._qs.setValue("session/last_project", text)

    # --- files -----------------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = self._qs.value("files/recent", [])
        # QSettings returns a bare string for a one-element list in INI files, None for empty.
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)):
            return []
        return [str(v) for v in value if isinstance(v, str) and v][:MAX_RECENT_FILES]

    def add_recent_file(self, path: str | os.PathLike) -> list[str]:
        path = str(Path(path).absolute())
        files = [f for f in self.recent_files() if f != path]
        files.insert(0, path)
        files = files[:MAX_RECENT_FILES]
        self._qs.setValue("files/recent", files)
        return files

    def remove_recent_file(self, path: str | os.PathLike) -> list[str]:
        path = str(Path(path).absolute())
        files = [f for f in self.recent_files() if f != path]
        self._qs.setValue("files/recent", files)
        return files

    def clear_recent_files(self) -> None:
        self._qs.setValue("files/recent", [])

    def last_directory(self) -> str:
        value = self._qs.value("files/last_directory", "")
        if isinstance(value, str) and value and Path(value).is_dir():
            return value
        return str(Path.home())

    def set_last_directory(self, path: str | os.PathLike) -> None:
        """Remember where the user's files are; the app's own folder (an opened example) is not
        one of them: saving a bundle or a sweep there would write into the installation."""
        path = Path(path)
        folder = (path if path.is_dir() else path.parent).absolute()
        if folder.resolve().is_relative_to(RESOURCES.resolve()):
            return
        self._qs.setValue("files/last_directory", str(folder))

    # --- sweeps ----------------------------------------------------------------------------
    # Kept apart from the last directory, which every file dialog of the app moves: a sweep's
    # files and its output folders tend to stay in one place of their own.

    def sweep_files_directory(self) -> str | None:
        """The folder of the sweep file last opened or saved; None when unknown or gone."""
        return self._directory("sweeps/files_directory")

    def set_sweep_files_directory(self, folder: str | os.PathLike) -> None:
        self._set_directory("sweeps/files_directory", folder)

    def sweep_output_parent(self) -> str | None:
        """Where the last sweep's output folder was made: new sweeps go beside it; None when unknown or gone."""
        return self._directory("sweeps/output_parent")

    def set_sweep_output_parent(self, folder: str | os.PathLike) -> None:
        self._set_directory("sweeps/output_parent", folder)

    # --- helpers ---------------------------------------------------------------------------

    def _directory(self, key: str) -> str | None:
        value = self._qs.value(key, "")
        return value if isinstance(value, str) and value and Path(value).is_dir() else None

    def _set_directory(self, key: str, folder: str | os.PathLike) -> None:
        # The app's own folders (an opened example's) are no place to write to.
        folder = Path(folder).absolute()
        if not folder.resolve().is_relative_to(RESOURCES.resolve()):
            self._qs.setValue(key, str(folder))

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._qs.value(key, None)
        if isinstance(value, QByteArray) and not value.isEmpty():
            return value
        if isinstance(value, (bytes, bytearray)) and value:
            return QByteArray(bytes(value))
        return None

    def _int(self, key: str, default: int) -> int:
        value = self._qs.value(key, default)
        try:
            return int(value)
        except (TypeError, ValueError):
            return default
