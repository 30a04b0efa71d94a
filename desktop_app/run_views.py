"""The runs in the window's views: what the plots, the Runs table, the Predict tab and the diagnosis
show of the session's runs, and what the status bar says about them.

``install_run_views(window)`` connects the session's and the document's run signals to those views
once; the window only asks it to ``clear`` when another project, task or model becomes current.
A run that ends shows its diagnosis and its model in Predict; a killed or failed run says why in
a dialog; the runs selected in the Runs table are the ones the plots overlay.
"""

from __future__ import annotations

from typing import Any

from core.errors import Failure
from core.formatting import format_metrics
from core.model_fit import same_dataset_layout
from desktop_app.diagnosis_panel import apply_and_train, run_baseline
from desktop_app.session import RunRecord, RunStatus


class RunViews:
    """Keeps the window's run views in step with its session (see the module docstring)."""

    def __init__(self, window: Any):
        self._window = window
        self.plots = window.plots
        self.runs_panel = window.runs_panel
        self.predict_page = window.predict_page  # the panel is built when first shown
        self.diagnosis_panel = window.diagnosis_panel
        self.session = session = window.session
        self.runs_panel.selection_changed.connect(self._on_selection_changed)
        self.runs_panel.run_deleted.connect(self._on_run_deleted)
        self.diagnosis_panel.fix_requested.connect(lambda fix, run_id: apply_and_train(window, fix, run_id))
        session.run_added.connect(self._on_run_added)
        session.run_updated.connect(self.runs_panel.update_run)
        session.state_changed.connect(self._on_state_changed)
        session.run_started.connect(self._on_run_started)
        session.batch_ended.connect(self.plots.add_batch)
        session.epoch_ended.connect(self.plots.add_epoch)
        session.settings_changed.connect(self._on_settings_changed)
        session.progress_changed.connect(lambda p: window.training_panel.set_progress(
            p.epoch, p.epochs, p.batch, p.batches_per_epoch, p.elapsed_s, p.remaining_s))
        session.run_ended.connect(self._on_run_ended)
        session.queue_finished.connect(self._on_queue_finished)
        window.document.model_opened.connect(self._on_model_opened)

    def clear(self) -> None:
        """Drop what the views showed of the old project; the runs stay in the Runs table."""
        self.plots.clear()
        if self.runs_panel.selected_runs():
            self.runs_panel.select_runs([])
        self.predict_page.clear()
        self.diagnosis_panel.clear()
        self._window.training_panel.clear_progress()

    # --- a run's life ------------------------------------------------------------------------

    def _on_run_added(self, record: RunRecord) -> None:
        self.runs_panel.add_run(record)
        if self.runs_panel.selected_runs():
            self.runs_panel.select_runs([])  # the plots are about to show the new run alone
        tabs = self._window.tabs
        # A new run shows its curves, unless the user watches the Memory tab, which follows it live too.
        if record.status == RunStatus.PREPARING and tabs.currentWidget() is not self._window.memory_tab:
            tabs.setCurrentWidget(self.plots)

    def _on_state_changed(self, state: str) -> None:
        window = self._window
        window.training_panel.set_run_state(state)
        self.predict_page.set_busy(state != "idle")
        self.diagnosis_panel.set_busy(state != "idle")
        record = self.session.active_record()
        if state == "idle":
            window.device_label.setText(f"Device: {window.tf_loader.device_label(window.training_panel.device())}")
        elif state == "preparing":
            window.show_status(f"Run {record.label}: building the model…")
        elif state == "paused":
            window.show_status(f"Run {record.label} paused: Resume to go on, Stop to end it.")
        elif state == "stopping":
            window.show_status(f"Stopping run {record.label} after the current batch…")
        else:
            window.show_status(f"Run {record.label} training…")
        window.update_actions()

    def _on_run_started(self, record: RunRecord, event) -> None:
        self.plots.begin_run(record.run_id, record.label, event, record.info.kind, **self._run_facts(record))
        self.diagnosis_panel.show_training(record.label)
        self._window.device_label.setText(f"Device: {event.device_name}")
        note = getattr(event, "optimizer_note", "")
        self._window.show_status(f"Run {record.label} training on {event.device_name}…" + (f" {note}" if note else ""))

    def _on_settings_changed(self, run_id: str, event) -> None:
        self.plots.add_settings_change(run_id, event)
        record = self.session.record(run_id)
        label = record.label if record is not None else run_id
        self._window.show_status(f"Run {label}: {event.label} after batch {event.batch} of epoch {event.epoch}, "
                                 "the optimizer's state kept.")

    def _on_run_ended(self, record: RunRecord) -> None:
        self._show_diagnosis(record)
        overlay = self.diagnosis_panel.take_overlay(record.run_id)
        if overlay:  # a fix was applied and trained: overlay the run it fixes, as the button promised
            self.runs_panel.select_runs(overlay)
        if record.status == RunStatus.KILLED:
            self._report_killed(record)
        elif record.status == RunStatus.FAILED:
            self._report_failed(record)
        elif record.model is None:  # stopped before its first batch: nothing trained to show
            self._window.show_status(f"Run {record.label}: {record.message}")
            self._window.training_panel.set_progress_text(self._window.statusBar().currentMessage())
        else:
            self._window.document.model_trained()
            self._show_model(record)
            self._report_trained(record)

    def _report_killed(self, record: RunRecord) -> None:
        epochs = record.epochs_run
        kept = (f"The history of its {epochs} finished epoch{'s' if epochs != 1 else ''} is kept."
                if epochs else "It had not finished an epoch.")
        self._window.show_error("Training process killed",
                                f"Run {record.label} was killed by the system (out of memory?): its training process "
                                f"ended without a word, as the system does when memory runs out. {kept} The window "
                                "and the other runs are unharmed. Try fewer units or layers, or a smaller batch size.",
                                record.message, warning=True)
        self._window.show_status(f"Run {record.label} was killed by the system (out of memory?).")

    def _report_failed(self, record: RunRecord) -> None:
        failure = record.failure or Failure(record.message)
        first_line = failure.message.strip().splitlines()[0] if failure.message.strip() else "unknown error"
        self._window.show_error("Training failed", f"Run {record.label} ended with an error:\n\n{first_line}",
                                failure.details)
        self._window.show_status(f"Run {record.label} failed: {first_line}")

    def _report_trained(self, record: RunRecord) -> None:
        window = self._window
        metrics = format_metrics(record.final_metrics)
        epochs = f"{record.epochs_run} epoch{'s' if record.epochs_run != 1 else ''}"
        if record.status == RunStatus.NAN:
            window.show_error("Training stopped: exploding gradients",
                              record.message or "The loss became NaN or infinite.", warning=True)
            window.show_status(f"Run {record.label}: {record.message}")
        elif record.status == RunStatus.STOPPED:
            window.show_status(f"Run {record.label} stopped after {epochs}. {metrics}".strip())
        elif record.status == RunStatus.EARLY_STOPPING:
            note = record.message or "validation loss stopped improving"
            window.show_status(f"Run {record.label}: early stopping after {epochs} ({note}). {metrics}".strip())
        else:
            window.show_status(f"Run {record.label} finished after {epochs}. {metrics}".strip())
        window.training_panel.set_progress_text(window.statusBar().currentMessage())

    def _on_queue_finished(self, run_ids: list) -> None:
        if len(run_ids) < 2:
            return
        self.runs_panel.select_runs(run_ids)
        self.plots.show_runs(run_ids)
        self._window.tabs.setCurrentWidget(self.runs_panel)
        labels = [record.label for record in map(self.session.record, run_ids) if record is not None]
        self._window.show_status("Compared " + ", ".join(labels) + ": their curves are overlaid in Training plots.")

    # --- runs chosen, deleted or opened -------------------------------------------------------

    def _on_selection_changed(self, records: list) -> None:
        ids = []
        for record in records:
            if record.run_id not in self.plots.run_ids():
                self._load_history(record)
            ids.append(record.run_id)
        if ids:
            self.plots.show_runs(ids)
        finished = [r for r in records if r.history is not None and r is not self.session.active_record()]
        if finished:
            self._show_diagnosis(finished[-1])
        with_model = [r for r in records if r.model is not None]
        if with_model and not self.session.is_training():
            record = with_model[-1]
            if record is not self.session.current or not self.predict_page.has_model():
                self.session.set_current(record)
                self._show_model(record)

    def _on_run_deleted(self, record: RunRecord) -> None:
        was_current = record is self.session.current
        self.session.remove(record.run_id)
        self.plots.remove_run(record.run_id)
        if was_current:
            self.predict_page.clear()
            self._window.document.model_discarded()

    def _on_model_opened(self, record: RunRecord) -> None:
        self._load_history(record)
        self._show_diagnosis(record)
        self._show_model(record)
        self._window.tabs.setCurrentWidget(self.predict_page if record.status == RunStatus.IMPORTED else self.plots)

    # --- what a run shows ----------------------------------------------------------------------

    def _load_history(self, record: RunRecord) -> None:
        if record.history is not None:
            self.plots.load_history(record.run_id, record.label, record.history, record.info.kind,
                                    **self._run_facts(record))

    def _run_facts(self, record: RunRecord) -> dict[str, Any]:
        """What the plots need besides the numbers: the run's settings and its untrained baseline."""
        return {"project": record.project, "baseline": run_baseline(record.info, self._panel_data(record))}

    def _show_diagnosis(self, record: RunRecord) -> None:
        self.diagnosis_panel.show_run(record.run_id, record.label, record.project, record.history, record.info,
                                      run_baseline(record.info, self._panel_data(record)))

    def _show_model(self, record: RunRecord) -> None:
        self.predict_page.set_model(record.model, record.info, self._panel_data(record))

    def _panel_data(self, record: RunRecord):
        """The Dataset panel's data if its samples can be shown to ``record``'s model (the sample picker)."""
        data = self._window.current_data()
        return data if data is not None and same_dataset_layout(data.info, record.info) else None


def install_run_views(window: Any) -> RunViews:
    """Keep the window's plots, Runs table, Predict tab and diagnosis in step with its runs."""
    return RunViews(window)
