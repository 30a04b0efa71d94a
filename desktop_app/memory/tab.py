"""The Memory tab: what the network remembers, for a sample of the current run.

A thin container. The picker says which sequence (the probe sample at an epoch, a validation
sample, or a typed one); the three views show it: the states as heat-maps (``MemoryView``), the
connectivity of the run or of the runs compared (``ConnectivityView``) and the equation step by
step (``StepMode``). The tab follows the session by itself (``connect_session``):

- while a run trains, each epoch end brings the states of the probe sample, computed in the
  training process; they are kept per epoch, and the view follows the newest unless the slider
  was dragged back. Nothing here runs Keras then: the TF backend is not thread-safe.
- when no run trains, a chosen sample of the current model is computed in a worker thread
  (``Computation``), so the window stays responsive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from core.errors import RNNLabError
from core.model_fit import same_dataset_layout
from desktop_app.memory.compute import Computation
from desktop_app.memory.connectivity_view import ConnectivityView
from desktop_app.memory.memory_view import MemoryView
from desktop_app.memory.probes import RunProbes
from desktop_app.memory.sample_picker import SamplePicker
from desktop_app.memory.step_mode import MAX_UNITS, StepMode
from desktop_app.widgets import notice_label

BUSY_NOTE = ("A run is training: the view shows the probe sample at every epoch end. Other samples, "
             "connectivity of the final model and step mode are available when it ends.")
NO_RUN_NOTE = "Train a model or open a saved one to look inside it."
MAX_COMPARED = 4  # connectivity maps side by side


def compute_views(model, info, x, compared: list[tuple[str, Any]], step_units: int):
    """In the worker: the states of ``x``, C of this model and of each compared one, and the step
    terms of the first recurrent layer when it is small enough to step through."""
    from core.connectivity import connectivity
    from core.states import sequence_states, step_terms

    states = sequence_states(model, info, x)
    maps = [(label, connectivity(other, info, x)) for label, other in compared]
    terms = None
    first = states.layers[0]
    if first.units <= step_units:
        terms = step_terms(model, info, x, first.name)
    return {"states": states, "connectivity": maps, "terms": terms}


class MemoryTab(QtWidgets.QWidget):
    """Inside the network: states, connectivity and step mode of the current run."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._record: Any = None
        self._data: Any = None
        self._compared: list[Any] = []
        self._probes: dict[str, RunProbes] = {}
        self._probe_run = ""  # whose probes the slider replays
        self._labels: dict[str, str] = {}  # run id -> "#3 LSTM"
        self._busy = False
        self._source: tuple = ("probe", 0)
        self._wanted_job = 0
        self._pending: tuple[Any, str] = (None, "")
        self._unshown_probe_epoch = 0  # drawn when the tab is next shown
        # data_for(info): the data whose validation samples a model trained for ``info`` reads (or None).
        self.data_for: Callable[[Any], Any] = lambda _info: None
        self.computation = Computation(self)
        self.computation.finished.connect(self._on_computed)
        self.computation.failed.connect(self._on_compute_failed)
        self.computation.busy_changed.connect(lambda _busy: self._update_status())
        self._build_ui()
        self.clear()

    def _build_ui(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.note_label = notice_label()
        layout.addWidget(self.note_label)
        self.picker = SamplePicker()
        self.picker.sample_requested.connect(self.show_sample)
        self.picker.typed_requested.connect(self.show_typed)
        self.picker.epoch_chosen.connect(self.show_probe)
        layout.addWidget(self.picker)
        self.title_label = QtWidgets.QLabel("")
        # Plain text: run labels and typed sequences are shown as written ("&", "<", an apostrophe).
        self.title_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.title_label.setWordWrap(True)
        layout.addWidget(self.title_label)
        self.views = QtWidgets.QTabWidget()
        self.memory_view = MemoryView()
        self.connectivity_view = ConnectivityView()
        self.step_mode = StepMode()
        self.views.addTab(self.memory_view, "States h(t) and gates")
        self.views.addTab(self.connectivity_view, "Connectivity")
        self.views.addTab(self.step_mode, "Step through the equation")
        self.views.currentChanged.connect(self._on_view_changed)
        layout.addWidget(self.views, 1)
        self.status_label = QtWidgets.QLabel("")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

    # --- wiring ------------------------------------------------------------------------------

    def connect_session(self, session, data_for: Callable[[Any], Any]) -> None:
        """Follow ``session`` (desktop_app.session.TrainingSession); ``data_for(info)`` gives the
        data whose validation samples a model trained for ``info`` can read (or None)."""
        self.data_for = data_for
        session.run_started.connect(lambda record, _event: self.begin_run(record))
        session.epoch_ended.connect(self.add_epoch)
        session.state_changed.connect(lambda state: self.set_busy(state != "idle"))
        session.current_changed.connect(self.set_record)

    # --- what the session tells ---------------------------------------------------------------

    def begin_run(self, record) -> None:
        """A run started: its probes arrive at each epoch end; the slider replays them."""
        self._probes[record.run_id] = RunProbes()
        self._probe_run = record.run_id
        self._labels[record.run_id] = record.label
        self._source = ("probe", 0)
        self._wanted_job = 0
        self.picker.set_epochs([])
        self._show_empty(f"Run {record.label}: the probe sample appears at the end of the first epoch.")

    def add_epoch(self, run_id: str, event) -> None:
        """An epoch ended; its event carries the probe sample's states (or None)."""
        if event.probe is None:
            return
        probes = self._probes.setdefault(run_id, RunProbes())
        probes.add(int(event.epoch), event.probe)
        if run_id != self._probe_run:
            return
        following = self._source[0] == "probe" and (self._source[1] == 0 or self.picker.at_newest())
        self.picker.set_epochs(probes.epochs(), follow=following)
        if following:
            self._show_probe_when_visible(self.picker.epoch())

    def _show_probe_when_visible(self, epoch: int) -> None:
        probes = self._probes.get(self._probe_run)
        if self.isVisible():
            self.show_probe(epoch)
        elif probes is not None and epoch in probes.epochs():  # kept, and not parsed until shown
            # Building the heat-maps of a hidden tab made the window's longest pauses
            # (bench_responsiveness: at every epoch end; 258 ms at the first run's end, when the
            # maps are first made): the probe is drawn when the tab is shown.
            self._unshown_probe_epoch = epoch
            self._set_probe_title(epoch)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        epoch, self._unshown_probe_epoch = self._unshown_probe_epoch, 0
        if epoch and self._source[0] == "probe":
            self.show_probe(epoch)

    def set_busy(self, busy: bool) -> None:
        self._busy = bool(busy)
        self.picker.set_can_compute(self._can_compute())
        self._update_status()

    def set_record(self, record) -> None:
        """The current run (its model is what samples run through), or None."""
        changed = record is not self._record
        self._record = record
        if record is None or record.model is None:
            self._data = None
            self.picker.set_source(None, None)
            self.picker.set_can_compute(False)
            if not self._busy:  # while a run trains, its live probe stays in view
                self._source = ("probe", 0)
                self._wanted_job = 0
                self.picker.set_epochs([])
                self._show_empty("")
            self._update_status()
            return
        self._data = self.data_for(record.info)
        self._labels[record.run_id] = record.label
        if record.history is not None and record.history.probes:
            # What the run's History kept is what its bundle will replay: the same epochs.
            self._probes[record.run_id] = RunProbes(record.history)
        self.picker.set_source(record.info, self._data)
        self.picker.set_can_compute(self._can_compute())
        self._probe_run = record.run_id
        probes = self._probes.get(record.run_id, RunProbes())
        if changed:  # another run: start from its newest probe, not from the last one's sample
            self._source = ("probe", 0)
            self._wanted_job = 0
            self.picker.set_epochs([])
        self.picker.set_epochs(probes.epochs())
        if self._source[0] == "probe" and probes:
            self._show_probe_when_visible(self.picker.epoch())
        elif not probes:
            self._show_empty(f"Run {record.label} has no probe sample recorded: choose a validation sample or type "
                             "one, then press Show.")
        self._update_status()

    def show_runs(self, records: list) -> None:
        """The runs selected in the Runs table: their connectivity is compared side by side."""
        self._compared = [r for r in records if r.info is not None][-MAX_COMPARED:]
        for record in self._compared:
            if record.run_id not in self._probes and record.history is not None and record.history.probes:
                self._probes[record.run_id] = RunProbes(record.history)
        if self._source[0] == "probe":
            self._show_probe_when_visible(self.picker.epoch())

    def clear(self) -> None:
        """Another project or task: forget what was shown (the runs' probes stay for their runs)."""
        self._record = None
        self._data = None
        self._compared = []
        self._source = ("probe", 0)
        self._wanted_job = 0
        self._unshown_probe_epoch = 0
        self.picker.set_source(None, None)
        self.picker.set_epochs([])
        self.picker.set_can_compute(False)
        self._show_empty("")
        self._update_status()

    def remove_run(self, run_id: str) -> None:
        self._probes.pop(run_id, None)
        self._labels.pop(run_id, None)
        self._compared = [r for r in self._compared if r.run_id != run_id]

    def shutdown(self, wait_ms: int) -> bool:
        return self.computation.shutdown(wait_ms)

    # --- showing a sequence ---------------------------------------------------------------------

    def show_probe(self, epoch: int) -> None:
        """The probe sample as the run saw it at the end of ``epoch`` (from 1)."""
        probes = self._probes.get(self._probe_run)
        states = probes.states(epoch) if probes is not None else None
        if states is None:
            return
        self._source = ("probe", epoch)
        self._wanted_job = 0
        self._unshown_probe_epoch = 0
        self.memory_view.set_states(states)
        label = self._set_probe_title(epoch)
        runs = [(r.label, self._probes.get(r.run_id)) for r in self._compared if r.run_id != self._probe_run]
        maps, notes = [], []
        for run_label, run_probes in [(label, probes)] + (runs if len(self._compared) > 1 else []):
            found = run_probes.connectivity_at(epoch) if run_probes else None
            if found is not None:
                maps.append((f"{run_label}, epoch {found[0]}", found[1]))
                if found[0] != epoch:
                    notes.append(f"{run_label}: connectivity is computed on some epochs only; this is epoch "
                                 f"{found[0]}'s.")
        self.connectivity_view.set_matrices(maps)
        self.connectivity_view.set_note(" ".join(notes) if maps else
                                        "No connectivity recorded for the probe up to this epoch: choose a sample "
                                        "and press Show when no run trains.")
        self.step_mode.set_unavailable("Step mode runs the trained model on a sample: choose one above and press "
                                       "Show (at most 8 units per layer).")
        if self.views.currentWidget() is self.step_mode:
            self._on_view_changed(self.views.currentIndex())

    def _set_probe_title(self, epoch: int) -> str:
        """The title over the probe's maps; returns the run's label."""
        label = self._labels.get(self._probe_run, self._probe_run)
        self.title_label.setText(f"Run {label}: the probe sample at the end of epoch {epoch}.")
        return label

    def show_sample(self, index: int) -> None:
        """Validation sample ``index`` through the current model (in the worker)."""
        if not self._can_compute() or self._data is None:
            return
        try:
            x, _y = self._data.sample(int(index), "val")
        except RNNLabError as exc:
            self.picker.set_error(str(exc))
            return
        self._compute(x, ("sample", int(index)), f"validation sample {index}")

    def show_typed(self, text: str) -> None:
        """A typed sequence through the current model (in the worker)."""
        if not self._can_compute():
            return
        try:
            x = self._record.info.encode_input(text)
        except RNNLabError as exc:
            self.picker.set_error(str(exc))
            return
        self._compute(x, ("typed", text), f"the typed sequence “{text.strip()}”")

    def _compute(self, x: np.ndarray, source: tuple, words: str) -> None:
        self.picker.set_error("")
        record = self._record
        compared = [(r.label, r.model) for r in self._compared
                    if r.model is not None and r is not record and same_dataset_layout(r.info, record.info)]
        compared = [(record.label, record.model)] + compared
        step_units = MAX_UNITS
        self._source = source
        self._wanted_job = self.computation.submit(
            lambda: compute_views(record.model, record.info, x, compared, step_units))
        self._pending = (record, words)
        self._update_status()

    def _on_computed(self, number: int, result: dict) -> None:
        if number != self._wanted_job:
            return
        record, words = self._pending
        states = result["states"]
        self.memory_view.set_states(states)
        self.title_label.setText(f"Run {record.label} (final weights): {words}.")
        self.connectivity_view.set_matrices(result["connectivity"])
        self.connectivity_view.set_note("")
        terms = result["terms"]
        if terms is None:
            self.step_mode.set_unavailable(
                f"Step mode is for small networks, at most {MAX_UNITS} units per layer; this one has "
                f"{states.layers[0].units}. Open Examples › Cooking schedule with a 3-unit SimpleRNN to follow one.")
        else:
            first = states.layers[0]
            self.step_mode.set_terms(terms, list(states.input_tokens), first.cell, layer=first.name,
                                     activation=record.project.model.activation if first.cell == "SimpleRNN"
                                     else "tanh", class_names=list(record.info.class_names))
        self._update_status()

    def _on_compute_failed(self, number: int, failure) -> None:
        if number != self._wanted_job:
            return
        self.picker.set_error(failure.message)
        self._update_status()

    # --- internals ------------------------------------------------------------------------------

    def _can_compute(self) -> bool:
        return not self._busy and self._record is not None and self._record.model is not None

    def _show_empty(self, text: str) -> None:
        self._unshown_probe_epoch = 0  # nothing left to draw when the tab is shown
        self.memory_view.clear()
        self.connectivity_view.set_matrices([])
        self.connectivity_view.set_note("")
        self.step_mode.set_unavailable("Choose a sample above and press Show: step mode follows a small network "
                                       f"(at most {MAX_UNITS} units per layer) through it.")
        self.title_label.setText(text)

    def _on_view_changed(self, _index: int) -> None:
        # Step mode needs the model: opened on the probe, it takes the chosen validation sample.
        if (self.views.currentWidget() is self.step_mode and self._source[0] == "probe"
                and self._can_compute() and self._data is not None and self._data.num_val > 0):
            self.show_sample(self.picker.sample_spin.value())

    def _update_status(self) -> None:
        if self._busy:
            self.note_label.setText(BUSY_NOTE)
        nothing = self._record is None and not self._probes.get(self._probe_run)
        if nothing and not self._busy:
            self.note_label.setText(NO_RUN_NOTE)
        self.note_label.setVisible(self._busy or nothing)
        self.status_label.setText("Computing the states…" if self.computation.is_busy() else "")
