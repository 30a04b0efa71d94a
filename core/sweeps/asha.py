"""ASHA, asynchronous successive halving: which trials of a sweep end early, on either engine.

Both engines judge their trials with ``Asha``: the local engine in its parent process, the Ray
engine through a Tune scheduler that asks it (``ray_engine._scheduler``), so both put the rungs at
the same epochs, cut at the same place, and judge a resumed sweep's trials against the ones it kept
(``seed_rungs``), which Ray's own ASHAScheduler cannot be told about. A trial is judged at its rungs, ``grace_period * reduction_factor**k``
epochs below ``max_t``: it goes on only if its metric is not below the cutoff of the values that
other trials recorded at that rung before it, the (1 - 1/rf) quantile of the rewards (the metric,
negated for "min"), interpolated as numpy's percentile. The first trial at a rung always goes on,
and the decision does not wait for the others: that is what makes it asynchronous. This is Ray's
``_Bracket.on_result`` (one bracket), with one change: a NaN or infinite metric is the worst value,
where Ray's ``nanpercentile`` leaves it out and lets the trial go on.

A trial is never ended at its own last epoch: it has finished, and its bundle is worth keeping.
A trial the scheduler ends leaves ``stopped_row``, as the Ray engine's: status "stopped", the
metrics of the epoch it was judged at, no bundle; resume counts it as done.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.sweeps.results import TrialResult
from core.sweeps.spec import METRICS, SweepSpec
from core.sweeps.trials import Trial, expand_trials

REDUCTION_FACTOR = 4  # Ray's default: a quarter of the trials pass each rung
# The first rung comes after a quarter of the epochs: an RNN's first epochs say little about where it ends.
GRACE_SHARE = 4
STOP_MESSAGE = "stopped by the scheduler after epoch {epoch}"
_STOP_PREFIX = STOP_MESSAGE.split("{", 1)[0]


@dataclass(frozen=True)
class AshaSettings:
    max_t: int  # epochs of the longest trial
    grace_period: int  # the first rung
    reduction_factor: int = REDUCTION_FACTOR

    @property
    def rungs(self) -> tuple[int, ...]:
        """The epochs a trial is judged at, in order. None at ``max_t``: every trial ends there anyway."""
        rungs = []
        rung = self.grace_period
        while rung < self.max_t:
            rungs.append(rung)
            rung *= self.reduction_factor
        return tuple(rungs)


def settings_for(epochs: int) -> AshaSettings:
    """The rule both engines use, for trials of at most ``epochs`` epochs."""
    epochs = max(int(epochs), 1)
    return AshaSettings(max_t=epochs, grace_period=max(1, epochs // GRACE_SHARE))


def sweep_settings(spec: SweepSpec) -> AshaSettings:
    """``settings_for`` the longest trial of ``spec`` (a sweep may vary ``training.epochs``), so no
    trial is cut short at the base project's epoch count."""
    base = spec.project.training.epochs
    return settings_for(max((int(t.fields.get("training.epochs", base)) for t in expand_trials(spec)), default=base))


class Asha:
    """The rung records of one sweep; ``judge`` after every epoch of every trial, from any thread."""

    def __init__(self, settings: AshaSettings, metric: str, mode: str) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode: expected min or max, received {mode!r}")
        self.settings = settings
        self.metric = metric
        self._sign = -1.0 if mode == "min" else 1.0
        # Highest rung first, as Ray walks them: a trial that skipped a rung's epoch is judged there later.
        self._rungs: list[tuple[int, dict[str, float]]] = [(rung, {}) for rung in reversed(settings.rungs)]
        self._lock = threading.Lock()

    # Ray Tune pickles its scheduler (to the head node, with Ray Client): the records go, the lock is made anew.
    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def judge(self, trial_id: str, epoch: int, value: float | None, *, last: bool = False) -> bool:
        """Record ``value`` (the trial's metric after ``epoch``, from 1) at the rung it reached; True
        when the trial must end now. ``last``: its final epoch, recorded for the others but never
        ended. A missing value (None: the epoch's logs lack the metric) is not judged, as in Ray."""
        if value is None:
            return False
        reward = self._reward(value)
        with self._lock:
            for rung, recorded in self._rungs:
                if epoch < rung or trial_id in recorded:
                    continue
                stop = below_cutoff(reward, list(recorded.values()), self.settings.reduction_factor)
                recorded[trial_id] = reward
                return stop and not last
        return False

    def _reward(self, value: float) -> float:
        value = float(value)
        return self._sign * value if math.isfinite(value) else -math.inf


def seed_rungs(asha: Asha, kept: list[TrialResult], out_dir: Path) -> None:
    """A resumed sweep's trials are judged against the ones it keeps, as if the sweep had not
    stopped: a kept trial the scheduler ended left its metric at its rung, a completed one its
    metric at every rung in its bundle's history. A bundle that cannot be read adds nothing."""
    from core.bundles import load_history
    from core.errors import RNNLabError
    from core.sweeps.results import bundle_path

    for row in kept:
        if stopped_by_scheduler(row):
            asha.judge(row.trial_id, row.epochs, row.metrics.get(asha.metric))
        elif row.status == "completed" and row.bundle:
            try:
                history = load_history(bundle_path(out_dir, row))
            except (RNNLabError, OSError):
                continue
            epochs = history.epochs if history is not None else []
            for rung in (r for r in asha.settings.rungs if r <= len(epochs)):
                asha.judge(row.trial_id, rung, epochs[rung - 1].get(asha.metric), last=True)


def below_cutoff(reward: float, recorded: list[float], reduction_factor: float) -> bool:
    """Ray's test, ``reward < nanpercentile(recorded, (1 - 1/rf) * 100)``, with -inf (a non-finite
    metric) as the worst reward instead of left out. False when nothing is recorded yet."""
    if not recorded:
        return False
    values = sorted(recorded)
    position = (1 - 1 / reduction_factor) * (len(values) - 1)
    low = math.floor(position)
    t = position - low
    if t == 0 or low + 1 >= len(values):
        return reward < values[low]
    a, b = values[low], values[low + 1]
    if a == -math.inf:
        # The cutoff lies between the worst and a finite value: in the limit only the worst is below it.
        return reward == -math.inf and b > a
    # numpy's lerp, both halves, so that a cutoff equals Ray's to the last bit.
    cutoff = a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t)
    return reward < cutoff


def stopped_row(trial: Trial, epoch: int, logs: Mapping[str, float], attempts: int = 1) -> TrialResult:
    """The row of a trial the scheduler ended after ``epoch`` (``logs``: that epoch's), as the Ray engine writes it."""
    return TrialResult(trial.trial_id, dict(trial.fields), trial.seed, "stopped",
                       metrics={k: float(logs[k]) for k in METRICS if k in logs}, attempts=attempts,
                       epochs=epoch, stop_reason="stopped", error=STOP_MESSAGE.format(epoch=epoch))


def stopped_by_scheduler(row: TrialResult) -> bool:
    """A row the scheduler ended (done for resume), not one a stop request ended (which runs again)."""
    return row.status == "stopped" and row.error.startswith(_STOP_PREFIX)
