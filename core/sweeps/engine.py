"""``run_sweep``: expand a spec into trials, run them on an engine, keep the results on disk as they come.

Engines (``local_engine``, ``ray_engine``) only run trials and report through a ``Recorder``;
everything they share lives here: which trials still need a run (``resume``), rewriting the
results after every trial that ends, the events for the window or the command line, and
refusing to mix two sweeps' results in one folder.

``on_event`` is called with the dataclasses below from the engines' threads (never the caller's
GUI thread), one call at a time. An exception raised by it stops the sweep (as Stop would) and is
raised again by ``run_sweep`` once the running trials have ended.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import RNNLabError
from core.sweeps.asha import stopped_by_scheduler
from core.sweeps.results import RESULTS_JSON, SPEC_FILE, TrialResult, read_results, write_results
from core.sweeps.spec import SweepSpec
from core.sweeps.trials import Trial, expand_trials

ENGINES = ("local", "ray")
# A trial whose worker process dies (killed, out of memory) runs again this many times before it fails.
MAX_RETRIES = 2


@dataclass(frozen=True)
class TrialStarted:
    trial: Trial
    attempt: int  # 1 for the first run, 2 and 3 for the retries after its worker died
    pid: int | None = None  # the worker process running it, when the engine knows it


@dataclass(frozen=True)
class TrialEpoch:
    trial_id: str
    epoch: int  # from 1
    logs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialFinished:
    result: TrialResult


@dataclass(frozen=True)
class SweepFinished:
    results: list[TrialResult]
    stopped: bool = False  # a stop request ended it; trials without a row run with resume


class Recorder:
    """What the engines report to: keeps the rows in the trials' order and the files up to date."""

    def __init__(self, spec: SweepSpec, out_dir: Path, trials: Sequence[Trial], kept: dict[str, TrialResult],
                 on_event: Callable[[Any], Any] | None, stop: threading.Event) -> None:
        self.spec = spec
        self.out_dir = out_dir
        self._order = {trial.trial_id: i for i, trial in enumerate(trials)}
        self._rows = dict(kept)
        self._on_event = on_event
        self._stop = stop
        self._lock = threading.Lock()
        self.listener_error: BaseException | None = None

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def results(self) -> list[TrialResult]:
        with self._lock:
            return sorted(self._rows.values(), key=lambda r: self._order.get(r.trial_id, len(self._order)))

    def write(self) -> None:
        write_results(self.out_dir, self.spec, self.results())

    def started(self, trial: Trial, attempt: int, pid: int | None = None) -> None:
        self.emit(TrialStarted(trial, attempt, pid))

    def epoch(self, trial_id: str, epoch: int, logs: dict[str, float]) -> None:
        self.emit(TrialEpoch(trial_id, epoch, dict(logs)))

    def finished(self, result: TrialResult) -> None:
        with self._lock:
            self._rows[result.trial_id] = result
            write_results(self.out_dir, self.spec, sorted(
                self._rows.values(), key=lambda r: self._order.get(r.trial_id, len(self._order))))
        self.emit(TrialFinished(result))

    def emit(self, event: Any) -> None:
        if self._on_event is None:
            return
        with self._lock:
            if self.listener_error is not None:
                return
            try:
                self._on_event(event)
            except BaseException as exc:  # noqa: BLE001 - raised again by run_sweep once trials have ended
                self.listener_error = exc
                self._stop.set()


def run_sweep(spec: SweepSpec, out_dir: str | os.PathLike, engine: str = "local", address: str | None = None,
              max_concurrent: int | None = None, resume: bool = False, on_event: Callable[[Any], Any] | None = None,
              stop_event: threading.Event | None = None, *, storage: str | None = None,
              background: bool = False) -> list[TrialResult]:
    """Run every trial of ``spec`` not yet completed in ``out_dir``; return all rows, in trial order.

    ``stop_event`` (set from any thread) ends the running trials after their current batch and
    starts no more; what finished is kept. ``resume`` runs only the trials without a completed row
    or one the scheduler stopped (a folder that already holds results is refused without it).
    ``address`` and ``storage`` are for the Ray engine (see ``ray_engine.run_ray``), ``background``
    for the local one's workers (the window sets it: they then yield to the window, see
    ``local_engine.run_local``).
    """
    if engine not in ENGINES:
        raise RNNLabError(f"engine: expected one of {', '.join(ENGINES)}, received {engine!r}")
    if max_concurrent is not None and (isinstance(max_concurrent, bool) or not isinstance(max_concurrent, int)
                                       or max_concurrent < 1):
        raise RNNLabError(f"max_concurrent: expected a whole number >= 1, received {max_concurrent!r}")
    spec.validate()
    out = Path(out_dir)
    trials = expand_trials(spec)
    kept = _done_rows(spec, out, trials) if resume else _refuse_old_results(out)
    stop = threading.Event()
    recorder = Recorder(spec, out, trials, kept, on_event, stop)
    recorder.write()
    pending = [t for t in trials if t.trial_id not in kept]
    watcher = _StopMirror(stop_event, stop)
    try:
        if pending and engine == "local":
            from core.sweeps.local_engine import run_local

            run_local(spec, pending, out, recorder, max_concurrent=max_concurrent, background=background)
        elif pending:
            from core.sweeps.ray_engine import run_ray

            run_ray(spec, pending, out, recorder, address=address, max_concurrent=max_concurrent, storage=storage)
    finally:
        watcher.close()
    results = recorder.results()
    if recorder.listener_error is not None:
        raise recorder.listener_error
    recorder.emit(SweepFinished(results, stopped=stop.is_set()))
    return results


class _StopMirror:
    """Copies the caller's stop event into the sweep's own, which the engines and the recorder share."""

    def __init__(self, source: threading.Event | None, target: threading.Event) -> None:
        self._done = threading.Event()
        self._thread = None
        if source is not None:
            def mirror() -> None:
                while not self._done.wait(0.05):
                    if source.is_set():
                        target.set()
                        return

            self._thread = threading.Thread(target=mirror, name="rnnlab-sweep-stop", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()


def _done_rows(spec: SweepSpec, out: Path, trials: Sequence[Trial]) -> dict[str, TrialResult]:
    """Completed rows, and those the scheduler ended: it would end them again. A row a stop request
    ended runs again; only a sweep with a scheduler counts a row as the scheduler's."""
    if not (out / SPEC_FILE).exists():
        return {}
    wanted = {t.trial_id for t in trials}
    _, rows = read_results(out)
    return {r.trial_id: r for r in rows if r.trial_id in wanted and kept_on_resume(spec, r)}


def kept_on_resume(spec: SweepSpec, row: TrialResult) -> bool:
    """Whether a resumed sweep keeps ``row`` instead of running its trial again: it completed, or
    the sweep's scheduler ended it (it would end it again)."""
    return row.status == "completed" or (spec.scheduler is not None and stopped_by_scheduler(row))


def _refuse_old_results(out: Path) -> dict[str, TrialResult]:
    if (out / RESULTS_JSON).exists():
        _, rows = read_results(out)
        if rows:
            raise RNNLabError(f"{out}: this folder already holds the results of a sweep ({len(rows)} trials): "
                              "resume it (--resume) or choose another folder.")
    return {}
