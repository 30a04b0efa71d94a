"""The window's commands in one table: text, shortcut, tip, icon, what they call, where they sit.

``ACTIONS`` lists every menu entry in menu order; ``build_actions`` turns it into QActions named
``window.action_<name>``, and ``build_menus`` and ``build_toolbar`` read the same table, so
adding a command means adding one row. A slot is a dotted path from the window
("train", "document.save", "session.stop"), looked up when the action fires, or a function
of the window (the dialogs that need nothing else from it). Entries that are
filled in at run time (the examples, the recent files, the docks) are ``Placeholder`` rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar

from core.examples import list_examples
from desktop_app import dialogs, exporting
from desktop_app.settings import Settings

SP = QStyle.StandardPixmap
MENUS = {"file": "&File", "examples": "&Examples", "run": "&Run", "view": "&View", "help": "&Help"}


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    slot: str | Callable[[Any], Any]  # a dotted path from the window, or a function of the window
    menu: str
    shortcut: str = ""
    tip: str = ""
    icon: QStyle.StandardPixmap | None = None
    toolbar: bool = False


@dataclass(frozen=True)
class Separator:
    menu: str


@dataclass(frozen=True)
class Placeholder:
    """Entries the window adds itself (``fillers[name](menu)``)."""

    menu: str
    name: str


ACTIONS: tuple[ActionSpec | Separator | Placeholder, ...] = (
    ActionSpec("new", "&New", "document.new", "file", "Ctrl+N", "Start a new project", SP.SP_FileIcon,
               toolbar=True),
    ActionSpec("open", "&Open…", "document.open_dialog", "file", "Ctrl+O",
               "Open a model bundle (.rnnlab) or a project (.json)", SP.SP_DialogOpenButton, toolbar=True),
    ActionSpec("save", "&Save", "document.save", "file", "Ctrl+S",
               "Save the trained model with its project and history (or the project alone if nothing is trained)",
               SP.SP_DialogSaveButton, toolbar=True),
    ActionSpec("save_as", "Save &As…", "document.save_as", "file", "Ctrl+Shift+S", "Save under a new name"),
    Separator("file"),
    ActionSpec("open_project", "Open &Project…", "document.open_project_dialog", "file",
               tip="Open project settings (.json), without a model"),
    ActionSpec("save_project", "Save P&roject…", "document.save_project_dialog", "file",
               tip="Save the settings of the panels as a project (.json)"),
    Separator("file"),
    ActionSpec("import_keras", "&Import .keras…", "document.import_keras_dialog", "file",
               tip="Load a plain Keras model to predict with it"),
    ActionSpec("export_keras", "&Export .keras…", "document.export_keras_dialog", "file",
               tip="Write the trained model as a plain Keras file, with its normalisation next to it"),
    ActionSpec("export_onnx", "Export ONN&X…", exporting.export_onnx_dialog, "file",
               tip="Write the trained model as ONNX (checked against Keras with onnxruntime) for other tools"),
    ActionSpec("export_tensorboard", "Export Tensor&Board logs…", exporting.export_tensorboard_dialog, "file",
               tip="Write the run's losses, metrics, gradient norms and weights as TensorBoard event files"),
    Separator("file"),
    Placeholder("file", "recent"),
    Separator("file"),
    ActionSpec("quit", "&Quit", "close", "file", "Ctrl+Q", "Quit RNN Lab"),
    Placeholder("examples", "examples"),
    ActionSpec("train", "&Train", "train", "run", "F5", "Train the network on the dataset", SP.SP_MediaPlay,
               toolbar=True),
    ActionSpec("continue", "C&ontinue training", "continue_training", "run", "Ctrl+F5",
               "Train the current model further, from its trained weights", toolbar=True),
    ActionSpec("pause", "&Pause", lambda window: window.session.toggle_pause(window.training_panel.spec()), "run",
               "F6", "Pause or resume training (while paused, the learning rate and clipping can change)",
               SP.SP_MediaPause, toolbar=True),
    ActionSpec("stop", "St&op", "session.stop", "run", "Shift+F5", "Stop after the current batch",
               SP.SP_MediaStop, toolbar=True),
    Separator("run"),
    ActionSpec("compare", "&Compare cells", "compare_cells", "run",
               tip="Train SimpleRNN, LSTM and GRU on the same data and seed, one after the other, and overlay them"),
    Placeholder("view", "docks"),
    Separator("view"),
    ActionSpec("reset_layout", "&Reset layout", "reset_layout", "view", tip="Put the panels back where they started"),
    ActionSpec("guide", "The &lecture in the app", dialogs.open_lecture_guide, "help", "F1",
               "Where each idea of the lecture shows up in RNN Lab"),
    ActionSpec("about", "&About RNN Lab",
               lambda window: dialogs.show_about(window, dialogs.app_versions(window.tf_loader.version)), "help"),
)


def _trigger(window: QMainWindow, slot: str | Callable[[Any], Any], _checked: bool = False) -> None:
    if callable(slot):
        slot(window)
        return
    target: Any = window
    for part in slot.split("."):
        target = getattr(target, part)
    target()


def build_actions(window: QMainWindow) -> dict[str, QAction]:
    """One QAction per ``ActionSpec``, also set on the window as ``action_<name>``."""
    actions = {}
    for spec in ACTIONS:
        if not isinstance(spec, ActionSpec):
            continue
        action = QAction(spec.text, window)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        if spec.icon is not None:
            action.setIcon(window.style().standardIcon(spec.icon))
        action.triggered.connect(partial(_trigger, window, spec.slot))
        setattr(window, f"action_{spec.name}", action)
        actions[spec.name] = action
    return actions


def build_menus(window: QMainWindow, actions: dict[str, QAction],
                fillers: dict[str, Callable[[QMenu], None]]) -> dict[str, QMenu]:
    """The menu bar in table order; each ``Placeholder`` is filled by ``fillers[name]``."""
    menus = {key: window.menuBar().addMenu(title) for key, title in MENUS.items()}
    for spec in ACTIONS:
        menu = menus[spec.menu]
        if isinstance(spec, ActionSpec):
            menu.addAction(actions[spec.name])
        elif isinstance(spec, Separator):
            menu.addSeparator()
        else:
            fillers[spec.name](menu)
    return menus


def build_toolbar(window: QMainWindow, actions: dict[str, QAction]) -> QToolBar:
    """The toolbar: the table's toolbar actions, a separator between menus."""
    toolbar = QToolBar("Main toolbar", window)
    toolbar.setObjectName("mainToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    toolbar.setIconSize(QSize(18, 18))
    previous_menu = None
    for spec in ACTIONS:
        if not isinstance(spec, ActionSpec) or not spec.toolbar:
            continue
        if previous_menu is not None and spec.menu != previous_menu:
            toolbar.addSeparator()
        toolbar.addAction(actions[spec.name])
        previous_menu = spec.menu
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)
    return toolbar


def fill_examples_menu(menu: QMenu, open_example: Callable[[Path], Any]) -> list[QAction]:
    """One entry per example project, in the lecture's order."""
    entries = []
    for example in list_examples():
        action = menu.addAction(example.title)
        action.setStatusTip(f"Open the example project {example.path.name}")
        action.triggered.connect(partial(_call_with, open_example, example.path))
        entries.append(action)
    if not entries:
        menu.addAction("(no examples found)").setEnabled(False)
    return entries


def fill_recent_menu(menu: QMenu, settings: Settings, open_recent: Callable[[str], Any]) -> None:
    """Rebuild the recent-files submenu from the settings (connected to ``aboutToShow``)."""
    menu.clear()
    files = settings.recent_files()
    for number, name in enumerate(files, start=1):
        path = Path(name)
        action = menu.addAction(f"&{number} {path.name}  —  {path.parent}")
        action.setData(name)
        action.triggered.connect(partial(_call_with, open_recent, name))
    if not files:
        menu.addAction("(no recent files)").setEnabled(False)
    else:
        menu.addSeparator()
        menu.addAction("Clear list").triggered.connect(settings.clear_recent_files)


def _call_with(function: Callable[[Any], Any], argument: Any, _checked: bool = False) -> None:
    function(argument)
