"""Nothing lost if the window dies: the session kept on disk as it goes, and offered back at start.

``SessionRecovery`` mirrors the window's project and runs into a ``core.recovery.RecoveryStore``
in the user's state folder: at once when a run ends or a model is opened (work that exists
nowhere else), a moment after other edits. Closing the window normally removes it. At the next
start, ``offer_recovery`` finds what a process that died left behind and asks whether to
restore it; restored runs appear in the Runs table and predict as before.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Literal

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from core.errors import RNNLabError
from core.recovery import Recovery, RecoveryStore, RunSnapshot, find_recoveries, read_recovery, remove_recovery
from desktop_app.session import BUSY_STATUSES, RunRecord, RunStatus

# Edits come in bursts (a spin box held down): the index is written once they pause.
DEBOUNCE_MS = 1500
RestoreAnswer = Literal["restore", "discard", "later"]


def recovery_root() -> Path:
    from desktop_app.preflight import state_dir

    return state_dir() / "recovery"


class SessionRecovery(QObject):
    """Keeps ``window``'s session in ``store``; see the module docstring."""

    failed = Signal(str)  # it could not be written (disk full, no permission), in words

    def __init__(self, window, store: RecoveryStore):
        super().__init__(window)
        self._window = window
        self.store = store
        self._closed = False
        self._reported = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.write_now)
        session, document = window.session, window.document
        session.run_ended.connect(lambda _record: self.write_now())
        session.run_added.connect(self._on_run_added)
        session.current_changed.connect(lambda _record: self.schedule())
        document.changed.connect(self.schedule)
        window.runs_panel.run_deleted.connect(lambda _record: self.schedule())
        window.dataset_panel.dataset_changed.connect(lambda _spec: self.schedule())
        window.architecture_panel.model_changed.connect(lambda _spec: self.schedule())
        window.training_panel.training_changed.connect(lambda _spec: self.schedule())
        window.closed_cleanly.connect(self.discard)
        self.failed.connect(lambda text: window.show_status(f"Cannot keep a recovery copy of this session: {text}"))

    def schedule(self) -> None:
        if not self._closed:
            self._timer.start()

    def write_now(self) -> None:
        """Bring the folder up to date: new runs written, deleted ones removed, the index rewritten."""
        self._timer.stop()
        if self._closed:
            return
        window, store = self._window, self.store
        records = [r for r in window.session.records() if r.status not in BUSY_STATUSES]
        try:
            for key in store.keys() - {r.run_id for r in records}:
                store.drop_run(key)
            for record in records:
                if record.run_id not in store.keys():
                    store.put_run(record.run_id, _snapshot(record))
            try:
                project = window.current_project()
            except RNNLabError:
                project = None
            current = window.session.current
            document = window.document
            store.write_index(name=document.name, path=str(document.path or ""), project=project,
                              runs=[(r.run_id, r.saved_path) for r in records],
                              current=current.run_id if current is not None else None)
        except RNNLabError as exc:
            if not self._reported:  # once: a full disk would say it after every edit
                self._reported = True
                self.failed.emit(str(exc))

    def discard(self) -> None:
        """The window closed normally: the folder goes."""
        self._closed = True
        self._timer.stop()
        self.store.discard()

    def _on_run_added(self, record: RunRecord) -> None:
        if record.status not in BUSY_STATUSES:  # opened or imported: it may exist nowhere else either
            self.write_now()


def attach_recovery(window, root: Path | None = None) -> SessionRecovery | None:
    """Keep ``window``'s session under ``root`` (default: the user's state folder); None, with a
    word in the status bar, when that folder cannot be written."""
    try:
        store = RecoveryStore(root if root is not None else recovery_root())
    except RNNLabError as exc:
        window.show_status(f"Cannot keep a recovery copy of this session: {exc}")
        return None
    return SessionRecovery(window, store)


def offer_recovery(window, root: Path | None = None) -> RestoreAnswer | None:
    """If a process that died left a session under ``root``, ask whether to restore it.

    Returns the answer, or None when there was nothing to offer. "restore" brings it back (once
    TensorFlow has loaded); "discard" deletes it; "later" leaves it for the next start.
    """
    for folder in find_recoveries(root if root is not None else recovery_root()):
        try:
            recovery = read_recovery(folder)
        except RNNLabError as exc:
            remove_recovery(folder)
            window.show_status(f"A recovery file from an earlier session could not be read and was removed: {exc}")
            continue
        if not recovery.runs and (recovery.project is None or recovery.project == window.current_project()):
            remove_recovery(folder)  # nothing that the settings do not bring back anyway
            continue
        answer = ask_restore(window, recovery)
        if answer == "discard":
            remove_recovery(folder)
        elif answer == "restore":
            if not window.tf_loader.when_ready(partial(restore, window, recovery)):
                window.show_status("Restoring the last session as soon as TensorFlow has loaded…")
        return answer
    return None


def restore(window, recovery: Recovery) -> list[RunRecord]:
    """Show ``recovery``'s project and runs in ``window``; its folder is then removed (this
    session's own recovery takes over). Returns the restored runs."""
    from core.model_transfer import model_from_payload

    runs, lost = [], []
    for run in recovery.runs:
        model = None
        if run.model is not None:
            try:
                model = model_from_payload(run.model, f"run {run.label}", run.info)
            except RNNLabError:
                lost.append(run.label)
        elif run.weights_dropped:
            lost.append(run.label)
        runs.append((run, model))
    records = window.document.restore(recovery.project, recovery.name, recovery.path, [
        {"project": run.project, "title": re.sub(r"^#\d+ ", "", run.label), "status": _status(run.status),
         "model": model, "history": run.history, "info": run.info, "final_metrics": run.final_metrics,
         "message": run.message, "saved_path": run.saved_path} for run, model in runs], recovery.current)
    remove_recovery(recovery.folder)
    when = recovery.written.astimezone().strftime("%d %b %H:%M")
    note = f"; the trained weights of {', '.join(lost)} were not kept" if lost else ""
    window.show_status(f"Restored the session of {when}: {len(records)} run{'s' if len(records) != 1 else ''}{note}.")
    return records


def ask_restore(parent: QWidget | None, recovery: Recovery) -> RestoreAnswer:
    """Ask whether to restore ``recovery`` (tests replace this function)."""
    with_models = sum(1 for run in recovery.runs if run.model is not None)
    when = recovery.written.astimezone().strftime("%d %B at %H:%M")
    what = f"the project “{recovery.name or 'Untitled'}”"
    if recovery.runs:
        what += (f" and {len(recovery.runs)} run{'s' if len(recovery.runs) != 1 else ''}"
                 f" ({with_models} with a trained model)")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Restore the last session?")
    box.setText(f"RNN Lab did not close normally on {when}. Restore what it held?")
    box.setInformativeText(f"It held {what}. Discard deletes this copy for good; Not now keeps it for the "
                           "next start.")
    restore_button = box.addButton("&Restore", QMessageBox.ButtonRole.AcceptRole)
    discard_button = box.addButton("&Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("&Not now", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore_button)
    box.exec()
    clicked = box.clickedButton()
    if clicked is restore_button:
        return "restore"
    if clicked is discard_button:
        return "discard"
    return "later"


def _snapshot(record: RunRecord) -> RunSnapshot:
    from core.model_transfer import model_payload

    model = None
    if record.model is not None:
        try:
            model = model_payload(record.model)
        except Exception:  # noqa: BLE001 - a model Keras cannot describe: keep the run without its weights
            model = None
    return RunSnapshot(label=record.label, status=str(record.status), project=record.project, info=record.info,
                       history=record.history, final_metrics=dict(record.final_metrics), message=record.message,
                       saved_path=record.saved_path, model=model,
                       weights_dropped=record.model is not None and model is None)


def _status(text: str) -> RunStatus:
    try:
        status = RunStatus(text)
    except ValueError:
        return RunStatus.FAILED
    # A run cut off while training was never written; a file from elsewhere could say so anyway.
    return RunStatus.STOPPED if status in BUSY_STATUSES else status
