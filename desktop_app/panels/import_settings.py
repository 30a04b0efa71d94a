"""Importing a file starts from settings suited to it, and says so with a one-click way back.

Without this, a CSV imported right after the "Exploding gradients tamed" example kept that
example's ReLU SimpleRNN and SGD at 0.5, and the user's series blew up. When the Dataset panel
reports an import (``file_imported``, emitted before ``dataset_changed`` so that the window's
usual refresh follows), the Architecture and Training panels get ``core.starting_settings`` for
the new data; a notice at the top of the Dataset panel names what changed and offers to restore
the settings the user had before.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6 import QtCore, QtWidgets

from core.datasets import get_task
from core.specs import Project
from core.starting_settings import starting_settings
from desktop_app.widgets import wrapped_label

NOTICE_STYLE = ("QFrame#settingsNotice { background: #e8f0fe; border: 1px solid #aac4f0; border-radius: 4px; }"
                " QLabel { color: #1a3c6e; }")


class SettingsNotice(QtWidgets.QFrame):
    """"Started from settings suited to your data: … [Restore my previous settings] [×]"."""

    restore_requested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsNotice")
        self.setStyleSheet(NOTICE_STYLE)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.label = wrapped_label()
        layout.addWidget(self.label)
        buttons = QtWidgets.QHBoxLayout()
        self.restore_button = QtWidgets.QPushButton("Restore my previous settings")
        self.restore_button.setToolTip("Put back the network and training settings you had before the import")
        self.restore_button.clicked.connect(self.restore_requested)
        self.dismiss_button = QtWidgets.QPushButton("Keep these")
        self.dismiss_button.clicked.connect(self.hide)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.dismiss_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.hide()

    def show_text(self, text: str, *, can_restore: bool) -> None:
        self.label.setText(text)
        self.restore_button.setVisible(can_restore)
        self.dismiss_button.setText("Keep these" if can_restore else "OK")
        self.show()


class ImportSettings(QtCore.QObject):
    """Applies starting settings on import and restores the previous ones on request."""

    def __init__(self, window: Any):
        super().__init__(window)
        self.window = window
        self.notice = SettingsNotice()
        window.dataset_panel.add_notice(self.notice)
        self._previous: tuple[Any, Any] | None = None
        self._imported = None  # the DatasetSpec the notice is about
        window.dataset_panel.file_imported.connect(self._on_file_imported)
        window.dataset_panel.dataset_changed.connect(self._on_dataset_changed)
        self.notice.restore_requested.connect(self.restore)

    def _on_file_imported(self, data) -> None:
        window = self.window
        self._imported = window.dataset_panel.spec()
        before = (window.architecture_panel.spec(), window.training_panel.spec())
        chosen = starting_settings(data.info, data.num_train, has_validation=data.num_val > 0, current=before[1])
        if (chosen.model, chosen.training) == before:
            self._previous = None
            self.notice.show_text(f"Your settings already suit this data: {chosen.summary}", can_restore=False)
            return
        self._previous = before
        window.architecture_panel.set_spec(chosen.model)
        window.training_panel.set_spec(chosen.training)
        self.notice.show_text(f"<b>Started from settings suited to your data:</b> {chosen.summary} "
                              f"(The previous ones, e.g. an example's, may not train on it.)", can_restore=True)

    def _on_dataset_changed(self, spec) -> None:
        # Another task or file: the notice was about the import before it.
        imported = self._imported
        if imported is None or spec.task != imported.task or spec.params.get("path") != imported.params.get("path"):
            self.notice.hide()
            self._previous = self._imported = None

    def restore(self) -> None:
        """Put back the network and training settings from before the import."""
        if self._previous is None:
            return
        model, training = self._previous
        self._previous = None
        window = self.window
        dataset = window.dataset_panel.spec()
        task = get_task(dataset.task)
        if model.io_mode not in task.supported_modes:  # e.g. the cooking example's one-to-one
            model = dataclasses.replace(model, io_mode=window.architecture_panel.spec().io_mode)
        window.show_project(Project(name=window.document.name, dataset=dataset, model=model, training=training))
        self.notice.hide()
        window.show_status("Restored your previous network and training settings.")
