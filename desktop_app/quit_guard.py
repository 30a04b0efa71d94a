"""Closing the window while a run trains: one behaviour, whatever started the close.

Ctrl+Q, File > Quit and the window's close button all end in ``MainWindow.closeEvent``, which
asks ``confirm_quit_while_training`` first when a run is training or a sweep is running. The run is paused before the
question appears, so nothing trains on behind the dialog, and the one question names the run and
whatever else is unsaved: "Stop and quit" ends the run and closes without asking again,
"Resume" (or Escape) goes on training as if nothing happened.
"""

from __future__ import annotations

from typing import Any

from desktop_app import dialogs


def describe(window: Any) -> str:
    """The question's text: the running run or sweep and anything unsaved, by name."""
    session = window.session
    text = ""
    if session.is_training():
        record = session.active_record()
        run = f"Run {record.label}" if record is not None else "A run"
        if session.state() == "stopping":
            text = f"{run} is stopping after its current batch."
        else:
            text = f"{run} is training; it is paused while you decide."
    sweeps = getattr(window, "sweeps", None)
    if sweeps is not None and sweeps.is_running():
        text += (f" A sweep is running ({sweeps.view.progress_text()}): quitting stops its trials; "
                 "finished trials are kept and Resume sweep runs the rest.")
    unsaved = window.document.unsaved_work()
    if unsaved:
        text += f" Also not saved: {unsaved}."
    return text.strip()


def is_busy(window: Any) -> bool:
    """A run training or a sweep running: closing must ask first."""
    sweeps = getattr(window, "sweeps", None)
    return window.session.is_training() or (sweeps is not None and sweeps.is_running())


def confirm_quit_while_training(window: Any) -> bool:
    """Pause the run, ask once; True to stop and quit, False (the run resumes) to stay."""
    session = window.session
    was_running = session.state() in ("running", "preparing")
    if was_running:
        session.pause()
    answer = dialogs.ask_quit_while_training(window, describe(window))
    if answer == "quit":
        return True
    if was_running and session.is_training():
        session.resume()
    return False
