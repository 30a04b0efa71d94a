"""Puts sweeps into the main window: Run › Sweep…, File › Open Sweep Folder… and the Sweeps tab.

The window composes it with one call, ``install_sweeps(window)``, after its menus and tabs
exist. A trial's bundle opens through the window's document, as File › Open opens any bundle,
so the Runs list, the overlay, the Memory view and the evaluation all see it as a run of their
own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QMenu

from core.errors import RNNLabError
from desktop_app.actions import MENUS
from desktop_app.lazy_tab import LazyTab

if TYPE_CHECKING:  # the dialog and the view load when first used
    from desktop_app.sweeps.dialog import SweepDialog

TAB_TITLE = "Sweeps"


class SweepCommands:
    """The window's sweep commands; the dialogs they open can be replaced in tests."""

    def __init__(self, window: QMainWindow, page: LazyTab):
        self._window = window
        self.page = page
        self.ask_folder = QFileDialog.getExistingDirectory
        self.dialog: SweepDialog | None = None
        # Where the last sweep file was opened or saved this session: the next Open starts there.
        self.sweep_files_dir: Path | None = None

    @property
    def view(self):
        """The Sweeps tab's SweepsView (built now if the tab has not been shown yet)."""
        return self.page.content()

    def is_running(self) -> bool:
        return self.page.built and self.view.is_running()

    def new_sweep(self) -> SweepDialog | None:
        """Run › Sweep…: the dialog, built from the panels' project; Start runs it in the Sweeps tab."""
        from desktop_app.sweeps.dialog import SweepDialog

        window = self._window
        if self.is_running():
            window.show_status("A sweep is running: stop it (Sweeps tab) before starting another.")
            return None
        try:
            project = window.current_project()
            project.validate()
        except RNNLabError as exc:
            window.show_status(f"Cannot sweep these settings: {exc}")
            return None
        data = window.current_data()
        dialog = SweepDialog(project, data_kind=data.info.kind if data is not None else None,
                             folder=_default_folder(window, project.name), settings=window.settings,
                             files_dir=self.sweep_files_dir, parent=window)
        if self.dialog is not None:  # the last one is done with: one dialog's widgets at a time
            self.dialog.deleteLater()
        dialog.accepted.connect(lambda: self._start(dialog))
        dialog.finished.connect(lambda _result: setattr(self, "sweep_files_dir", dialog.files_dir))
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_folder_dialog(self) -> None:
        """File › Open Sweep Folder…"""
        start = str((self.view.out_dir() if self.page.built else None) or self._window.settings.last_directory())
        folder = self.ask_folder(self._window, "Open a sweep's output folder", start)
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str) -> bool:
        if self.view.open_folder(folder):
            # New sweeps go beside this one, not inside it.
            self._window.settings.set_last_directory(Path(folder).parent)
            self._window.settings.set_sweep_output_parent(Path(folder).parent)
            self._window.tabs.setCurrentWidget(self.page)
            return True
        return False

    def shutdown(self, wait_ms: int = 20000) -> bool:
        """Stop a running sweep and wait for it (the window is closing); True if it ended in time."""
        return self.view.shutdown(wait_ms) if self.page.built else True

    def _start(self, dialog: SweepDialog) -> None:
        request = dialog.request()
        if request is None:
            return
        try:
            self.view.start(request)
        except RNNLabError as exc:
            self._window.show_status(str(exc))
            return
        self._window.settings.set_last_directory(request.out_dir.parent)
        self._window.tabs.setCurrentWidget(self.page)


def install_sweeps(window: QMainWindow) -> SweepCommands:
    """Add the Sweeps tab (built when first shown or used) and its two commands to ``window``;
    the commands are ``window.sweeps``."""

    def build():
        from desktop_app.sweeps.results_view import SweepsView

        view = SweepsView()
        view.bundle_requested.connect(window.document.open_path)
        view.open_folder_requested.connect(commands.open_folder_dialog)
        view.message.connect(window.show_status)
        # Through the document's failure path: the same dialog, in the panels' words, as any file's.
        view.failed.connect(window.document.failed)
        return view

    page = LazyTab(build)
    page.setObjectName("sweepsPage")
    window.tabs.addTab(page, TAB_TITLE)
    commands = SweepCommands(window, page)
    window.sweeps = commands

    sweep = QAction("S&weep…", window)
    sweep.setStatusTip("Train many variants of this project (fields x values x seeds) and compare them")
    sweep.triggered.connect(commands.new_sweep)
    _menu(window, "run").addAction(sweep)
    open_folder = QAction("Open S&weep Folder…", window)
    open_folder.setStatusTip("Show a sweep's results again from its output folder")
    open_folder.triggered.connect(commands.open_folder_dialog)
    file_menu = _menu(window, "file")
    file_menu.insertAction(_action_after(file_menu, window.action_open_project), open_folder)
    window.action_sweep, window.action_open_sweep = sweep, open_folder

    app = QApplication.instance()
    if app is not None:  # a sweep still running at quit ends its trials first (also if the window never asks)
        app.aboutToQuit.connect(lambda: commands.shutdown())
    return commands


def _menu(window: QMainWindow, key: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.menu() is not None and action.text() == MENUS[key]:
            return action.menu()
    raise LookupError(f"the window has no {MENUS[key]!r} menu")


def _action_after(menu: QMenu, action: QAction) -> QAction | None:
    actions = menu.actions()
    index = actions.index(action)
    return actions[index + 1] if index + 1 < len(actions) else None


def _default_folder(window: QMainWindow, name: str) -> Path:
    base = Path(window.settings.last_directory())
    safe = "".join(c if c.isalnum() or c in "-_ " else "_" for c in name).strip() or "untitled"
    folder = base / f"{safe} sweep"
    number = 2
    while (folder / "sweep.json").exists():
        folder = base / f"{safe} sweep {number}"
        number += 1
    return folder
