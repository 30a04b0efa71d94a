"""Live training plots: the tabs of plots fed by training events, and the redraw timer.

Events from the training worker only append to numpy buffers (one RunSeries per run); a 15 Hz
timer lets each tab push the buffers of the curves that changed into pyqtgraph (each curve is
created once and updated with ``setData``), so a fast run costs the GUI thread a few setData
calls per frame, not one per batch. This container keeps the runs, decides which are shown,
and routes that choice, the timer and the exports to the tabs.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from typing import Any

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.history import BatchEnd, EpochEnd, History, RunStarted, SettingsChanged
from desktop_app.plots.buffers import RunSeries
from desktop_app.plots.export import ask_path, write_csv, write_png
from desktop_app.plots.flow_tab import FlowTab
from desktop_app.plots.gradients_tab import GradientsTab
from desktop_app.plots.loss_tab import LossTab
from desktop_app.plots.markers import ChangeMarkers
from desktop_app.plots.tab import PlotTab
from desktop_app.plots.weight_health_tab import WeightHealthTab

REDRAW_HZ = 15
# While a run trains the window competes with it for the cores: the next tick waits until the
# GUI thread's work since the last one (redraw, its paint, the events) stays under this share of
# a core. One run's curves keep ~10-15 Hz; twenty overlaid runs, or a slow machine, redraw less
# often instead of taking more from the training.
REDRAW_SHARE = 0.15
MIN_REDRAW_HZ = 4


class TrainingPlots(QtWidgets.QWidget):
    """Tabs of live plots fed by training events, with hover values, PNG/CSV export and an
    overlay of several runs."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._runs: dict[str, RunSeries] = {}
        self._shown: list[str] = []
        self._layout_dirty = False
        # Tabs not shown when the runs or their series last changed: laid out when next shown.
        self._stale_tabs: set[str] = set()

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._tab_widget = QtWidgets.QTabWidget()
        # The plots over whatever the window puts under them (add_footer), resizable by the user.
        self._splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self._splitter.setChildrenCollapsible(False)
        self._splitter.addWidget(self._tab_widget)
        layout.addWidget(self._splitter)
        self._gradients = GradientsTab()
        self._flow = FlowTab()
        self._tabs: dict[str, PlotTab] = {tab.name: tab for tab in (LossTab(), self._gradients, self._flow,
                                                                 WeightHealthTab())}
        for tab in self._tabs.values():
            self._tab_widget.addTab(tab, tab.title)
            tab.export_requested.connect(functools.partial(self._on_export_requested, tab.name))
            tab.redraw_requested.connect(self._schedule)
            tab.layout_changed.connect(self._on_tab_layout_changed)
        self._tab_widget.currentChanged.connect(self._on_tab_changed)
        self._plots = {name: widget for tab in self._tabs.values() for name, widget in tab.plots.items()}
        self._legends = {name: legend for tab in self._tabs.values() for name, legend in tab.legends.items()}
        self._placeholders = {name: item for tab in self._tabs.values() for name, item in tab.placeholders.items()}
        self.gradient_hint_label = self._gradients.hint_label
        self.gradients_caption = self._gradients.caption
        self.flow_ratio_label = self._flow.ratio_label
        self.flow_hint_label = self._flow.hint_label
        self.flow_caption = self._flow.caption
        # Changes of course on the plots over epochs, labelled on the top plot of each tab.
        self._markers = ChangeMarkers({name: self._plots[name] for name in ("loss", "metric", "gradients")},
                                      labelled=("loss", "gradients"))

        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(int(1000 / REDRAW_HZ))
        self._timer.timeout.connect(self._on_tick)
        self._last_tick: tuple[float, float] | None = None  # (wall clock, GUI thread's CPU time) after it
        self._show_state()

    # --- public API ----------------------------------------------------------------------

    def plot_items(self) -> dict[str, pg.PlotWidget]:
        """The plot widgets by name: "loss", "metric" (accuracy or MAE), "gradients", "flow"."""
        return dict(self._plots)

    def shown_runs(self) -> list[str]:
        return list(self._shown)

    def run_ids(self) -> list[str]:
        return list(self._runs)

    def per_weight(self) -> bool:
        return self._gradients.per_weight()

    def set_per_weight(self, on: bool) -> None:
        self._gradients.per_weight_box.setChecked(bool(on))

    def is_empty_state(self) -> bool:
        """True while the plots show their empty-state text (no run to draw)."""
        return not self._shown

    def redraw_now(self) -> None:
        """Draw everything buffered now, hidden tabs included, instead of at the next tick."""
        self._redraw(everything=True)

    def hover_text(self, name: str) -> str:
        """The hover read-out of a plot ("" while the mouse is not over its data)."""
        return next(tab.hovers[name] for tab in self._tabs.values() if name in tab.hovers).shown_text()

    def add_footer(self, widget: QtWidgets.QWidget, share: float = 0.3) -> None:
        """Put ``widget`` under the plots (the diagnosis), taking ``share`` of the height."""
        self._splitter.addWidget(widget)
        self._splitter.setStretchFactor(0, round(10 * (1 - share)))
        self._splitter.setStretchFactor(self._splitter.count() - 1, round(10 * share))
        # Before the first layout the splitter shares out these sizes in proportion.
        self._splitter.setSizes([round(1000 * (1 - share)), round(1000 * share)])

    def begin_run(self, run_id: str, label: str, started: RunStarted, kind: str, *,
                  project: Any = None, baseline: Any = None) -> None:
        """Start plotting a new run (replacing any data under the same id) and show it alone.

        ``project`` (the run's settings) tailors the hints' fixes; ``baseline``
        (core.diagnosis.Baseline) draws the untrained baseline on the score plots."""
        self._drop_run_curves(run_id)
        self._runs[run_id] = RunSeries.started(run_id, label, started, kind)
        self._runs[run_id].project, self._runs[run_id].baseline = project, baseline
        self.show_runs([run_id])

    def add_batch(self, run_id: str, event: BatchEnd) -> None:
        self._add_to_run(run_id, lambda run: run.add_batch(event))

    def add_epoch(self, run_id: str, event: EpochEnd) -> None:
        self._add_to_run(run_id, lambda run: run.add_epoch(event))

    def add_settings_change(self, run_id: str, event: SettingsChanged) -> None:
        """Mark where a learning rate or clipping changed while paused took effect."""
        run = self._runs.get(run_id)
        if run is None:
            return
        run.add_change(event)
        self._layout_dirty = True  # the markers are drawn with the layout: rare, unlike batches
        self._schedule()

    def change_markers(self, plot_name: str) -> list[tuple[float, str]]:
        """(x in epochs, label) of the change lines a plot shows ("loss", "metric", "gradients")."""
        return self._markers.shown(plot_name)

    def _add_to_run(self, run_id: str, add: Callable[[RunSeries], bool]) -> None:
        """Hand an event to its run (a run already removed ignores it); the timer redraws."""
        run = self._runs.get(run_id)
        if run is None:
            return
        if add(run):  # the event brought a layer, weight or log the plots have no curve for yet
            self._layout_dirty = True
        self._schedule()

    def load_history(self, run_id: str, label: str, history: History, kind: str, *,
                     project: Any = None, baseline: Any = None) -> None:
        """Rebuild a finished run's plots from its History (a reopened bundle looks the same)."""
        self._drop_run_curves(run_id)
        self._runs[run_id] = RunSeries.from_history(run_id, label, history, kind)
        self._runs[run_id].project, self._runs[run_id].baseline = project, baseline
        self.show_runs([run_id])

    def show_runs(self, run_ids: Iterable[str]) -> None:
        """Overlay these runs (one colour each); an empty selection shows the latest run."""
        wanted = [rid for rid in dict.fromkeys(run_ids) if rid in self._runs]
        if not wanted and self._runs:
            wanted = [next(reversed(self._runs))]
        self._shown = wanted
        self._layout_dirty = True
        self._redraw()

    def remove_run(self, run_id: str) -> None:
        if run_id not in self._runs:
            return
        self._drop_run_curves(run_id)
        del self._runs[run_id]
        self.show_runs([rid for rid in self._shown if rid != run_id])

    def clear(self) -> None:
        for run_id in list(self._runs):
            self._drop_run_curves(run_id)
        self._runs.clear()
        self._shown = []
        self._layout_dirty = True
        self._redraw()

    # --- export ---------------------------------------------------------------------------

    def export_png(self, tab: str, path: str) -> None:
        """Write what the tab shows to a PNG image (the loss tab stacks loss over accuracy/MAE)."""
        plot_tab = self._tab(tab)
        self._redraw(everything=True)
        for each in self._tabs.values():
            each.hide_hovers()
        write_png(plot_tab.png_plots(), path)

    def csv_rows(self, tab: str) -> tuple[list[str], list[list[Any]]]:
        """Header and rows of the data the tab shows, one row per point (raw, unclamped values)."""
        self._redraw()
        self._catch_up([tab])
        return self._tab(tab).csv_rows()

    def export_csv(self, tab: str, path: str) -> None:
        write_csv(path, *self.csv_rows(tab))

    def _tab(self, name: str) -> PlotTab:
        if name not in self._tabs:
            raise ValueError(f"unknown plot tab {name!r}; expected one of {', '.join(self._tabs)}")
        return self._tabs[name]

    def _on_export_requested(self, tab_name: str, fmt: str) -> None:
        tab = self._tabs[tab_name]
        path = ask_path(self, tab.title, fmt)
        if not path:
            return
        try:
            if fmt == "png":
                self.export_png(tab_name, path)
            else:
                self.export_csv(tab_name, path)
        except OSError as exc:
            tab.show_export_status(f"Could not export to {path}: {exc.strerror or exc}", ok=False)
        else:
            tab.show_export_status(f"Saved {path}", ok=True)

    # --- drawing --------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _on_tick(self) -> None:
        self._redraw()
        now = (time.monotonic(), time.thread_time())
        last, self._last_tick = self._last_tick, now
        # After a pause (no run, a dialog) the thread's work is not the plots': start afresh.
        spent = now[1] - last[1] if last is not None and now[0] - last[0] < 1.0 else 0.0
        wait_ms = min(1000 / MIN_REDRAW_HZ, max(1000 / REDRAW_HZ, 1000 * spent / REDRAW_SHARE))
        self._timer.setInterval(round(wait_ms))

    def _on_tab_changed(self, _index: int) -> None:
        self._redraw()

    def _on_tab_layout_changed(self) -> None:
        self._layout_dirty = True
        self._redraw()

    def _drop_run_curves(self, run_id: str) -> None:
        for tab in self._tabs.values():
            tab.drop_run(run_id)

    def _relayout(self, force: bool) -> None:
        """Give the runs to the tabs drawn now; the others wait until they are shown. A tab's
        layout (its legend, a curve per new series) cost a hidden loss tab 13-34 ms each time a
        run started or its first epoch ended, added to the longest pauses of the window."""
        self._layout_dirty = False
        self._stale_tabs = set(self._tabs)
        self._catch_up(self._drawn_tabs(force))
        self._markers.show([self._runs[run_id] for run_id in self._shown])
        self._show_state()

    def _catch_up(self, names) -> None:
        runs = [self._runs[run_id] for run_id in self._shown]
        for name in names:
            if name in self._stale_tabs:
                self._stale_tabs.discard(name)
                self._tabs[name].set_runs(runs)

    def _drawn_tabs(self, force: bool) -> list[str]:
        return [name for name, tab in self._tabs.items() if force or tab.isVisible()]

    def _show_state(self) -> None:
        """The empty state, or the title naming the runs shown."""
        if not self._shown:
            title = "No run yet: press Train to see live plots"
        elif len(self._shown) == 1:
            title = self._runs[self._shown[0]].label
        else:
            title = f"Comparing {len(self._shown)} runs (colour = run)"
        for tab in self._tabs.values():
            tab.set_empty(not self._shown)
            tab.set_title(title)

    def _redraw(self, everything: bool = False) -> None:
        # A hidden tab waits until it is shown, unless the whole widget is hidden (then nothing
        # would ever draw it).
        force = everything or not self.isVisible()
        if self._layout_dirty:
            self._relayout(force)
        self._catch_up(self._drawn_tabs(force))
        for tab in self._tabs.values():
            tab.redraw(force)
        if self._timer.isActive() and not self._layout_dirty:
            self._timer.stop()
