"""ASHA's decisions on made-up metrics, and that the Ray engine gets the same numbers and writes the same rows."""

from __future__ import annotations

import json
import math
import random
from types import SimpleNamespace

import pytest
from _sweeps import tiny_sweep

from core.sweeps.asha import (
    Asha,
    AshaSettings,
    below_cutoff,
    settings_for,
    stopped_by_scheduler,
    stopped_row,
    sweep_settings,
)
from core.sweeps.results import TrialResult
from core.sweeps.trials import Trial, expand_trials


def test_rungs_are_the_grace_period_times_powers_of_the_factor_below_the_last_epoch():
    assert settings_for(16) == AshaSettings(max_t=16, grace_period=4, reduction_factor=4)
    assert settings_for(16).rungs == (4,)  # 16 is every trial's end, not a rung
    assert settings_for(9).rungs == (2, 8)
    assert settings_for(2).rungs == (1,)
    assert settings_for(1).rungs == ()
    assert AshaSettings(max_t=20, grace_period=1, reduction_factor=2).rungs == (1, 2, 4, 8, 16)


def test_the_longest_trial_sets_max_t():
    assert sweep_settings(tiny_sweep()).max_t == 2  # the base project's epochs
    assert sweep_settings(tiny_sweep({"training.epochs": [4, 12]})).max_t == 12


def _judged(asha: Asha, epoch: int, values: dict[str, float]) -> dict[str, bool]:
    """Each trial's verdict at ``epoch``, in the order given (the order trials reach it)."""
    return {trial_id: asha.judge(trial_id, epoch, value) for trial_id, value in values.items()}


def test_min_mode_keeps_the_top_quarter_of_those_recorded_before():
    asha = Asha(settings_for(8), "val_loss", "min")  # one rung, at epoch 2
    # a: first, nothing to compare with. b: worse than a. c: best so far. d: the cutoff among
    # {2, 1, 0.5} is 0.625, d's 0.9 is above it. e: the cutoff among {2, 1, 0.9, 0.5} is 0.8.
    verdicts = _judged(asha, 2, {"a": 1.0, "b": 2.0, "c": 0.5, "d": 0.9, "e": 0.6})
    assert verdicts == {"a": False, "b": True, "c": False, "d": True, "e": False}


def test_max_mode_is_the_mirror_image():
    asha = Asha(settings_for(8), "val_accuracy", "max")
    verdicts = _judged(asha, 2, {"a": 0.5, "b": 0.2, "c": 0.9, "d": 0.55, "e": 0.85})
    assert verdicts == {"a": False, "b": True, "c": False, "d": True, "e": False}


@pytest.mark.parametrize("mode, good, bad", [("min", 1.0, 5.0), ("max", 0.9, 0.1)])
def test_a_non_finite_metric_is_the_worst(mode, good, bad):
    asha = Asha(settings_for(8), "val_loss", mode)
    assert _judged(asha, 2, {"a": good, "b": math.nan, "c": math.inf, "d": -math.inf}) == {
        "a": False, "b": True, "c": True, "d": True}
    # Below the worst there is nothing: a poor but finite value is not the one that goes.
    assert below_cutoff(-math.inf, [-math.inf, -1.0], 4) and not below_cutoff(-100.0, [-math.inf, -1.0], 4)
    # The first at a rung goes on even when it is NaN: there is nothing to rank it against.
    assert not Asha(settings_for(8), "val_loss", mode).judge("z", 2, math.nan)
    assert not below_cutoff(bad, [], 4)


def test_only_rung_epochs_are_judged_and_each_rung_once():
    asha = Asha(AshaSettings(max_t=8, grace_period=1, reduction_factor=2), "val_loss", "min")  # rungs 1, 2, 4
    assert not any(asha.judge("good", epoch, 0.1) for epoch in range(1, 8))
    # Poor between the rungs, as good as "good" at them: only the rungs count.
    wobbly = {1: 0.1, 2: 0.1, 3: 9.0, 4: 0.1, 5: 9.0, 6: 9.0, 7: 9.0}
    assert not any(asha.judge("wobbly", epoch, value) for epoch, value in wobbly.items())
    assert asha.judge("bad", 1, 9.0)
    assert not asha.judge("bad", 1, 9.0)  # a retried trial is not judged twice at one rung
    assert not asha.judge("late", 1, 0.1)
    assert not asha.judge("late", 2, None)  # a missing metric is not judged, as in Ray ...
    assert asha.judge("late", 3, 9.0)  # ... but at the next epoch, at the rung it has not passed


def test_a_trial_is_never_ended_at_its_last_epoch_but_counts_for_the_others():
    asha = Asha(settings_for(8), "val_loss", "min")
    assert not asha.judge("a", 2, 1.0)
    assert not asha.judge("short", 2, 0.1, last=True)  # a 2-epoch trial, better: recorded
    assert not asha.judge("b", 2, 9.0, last=True)  # worse than both, but finished
    assert asha.judge("c", 2, 0.6)  # the cutoff among {9, 1, 0.1} is 0.55
    assert not asha.judge("d", 2, 0.4)  # among {9, 1, 0.6, 0.1}: 0.475


def test_the_same_decisions_as_ray_s_bracket_on_finite_metrics():
    async_hyperband = pytest.importorskip("ray.tune.schedulers.async_hyperband")
    rng = random.Random(7)
    for case in range(30):
        max_t = rng.randint(2, 20)
        settings = settings_for(max_t) if case % 2 else AshaSettings(max_t, rng.randint(1, 3), rng.choice([2, 3, 4]))
        mode = rng.choice(["min", "max"])
        ours = Asha(settings, "m", mode)
        ray = async_hyperband._Bracket(settings.grace_period, max_t, settings.reduction_factor, 0)
        sign = -1.0 if mode == "min" else 1.0
        running = {f"t{i}": SimpleNamespace(trial_id=f"t{i}") for i in range(rng.randint(2, 12))}
        for epoch in range(1, max_t):  # at max_t Ray ends every trial without asking the bracket
            for trial_id, trial in list(running.items()):
                value = round(rng.uniform(0, 10), rng.choice([0, 3]))  # ties too
                stop = ours.judge(trial_id, epoch, value)
                assert stop == (ray.on_result(trial, epoch, sign * value) == "STOP"), (case, epoch, trial_id)
                if stop:
                    del running[trial_id]


def test_ray_s_scheduler_asks_asha_and_a_resumed_sweep_s_rungs_hold_the_kept_trials(tmp_path):
    pytest.importorskip("ray.tune.schedulers")
    from ray import cloudpickle
    from ray.tune.schedulers import TrialScheduler

    from core.sweeps.ray_engine import ROW_KEY, _scheduler

    spec = tiny_sweep({"training.learning_rate": [0.05, 1e-7]}, scheduler="asha")
    assert sweep_settings(spec).rungs == (1,)  # two epochs: judged once, after the first
    good, bad = expand_trials(spec)

    def ray_trial(trial):
        return SimpleNamespace(config={"trial": {"trial_id": trial.trial_id}})

    def verdict(scheduler, trial, val_loss, **extra):
        return scheduler.on_trial_result(None, ray_trial(trial), {"epoch": 1, "val_loss": val_loss, **extra})

    # A fresh sweep: the first trial at a rung goes on; one below the cutoff after it ends.
    fresh = _scheduler(spec)
    assert verdict(fresh, good, 0.5) == TrialScheduler.CONTINUE
    assert verdict(fresh, bad, 2.0) == TrialScheduler.STOP
    # Resumed after the good trial: the bad one is judged against the kept row, not at an empty rung.
    kept = [stopped_row(good, 1, {"val_loss": 0.5})]
    resumed = cloudpickle.loads(cloudpickle.dumps(_scheduler(spec, kept, tmp_path)))  # as Ray Client ships it
    assert verdict(resumed, bad, 2.0) == TrialScheduler.STOP
    assert verdict(_scheduler(spec, [], tmp_path), bad, 2.0) == TrialScheduler.CONTINUE
    # A trial's final report is its last epoch: recorded for the others, never ended.
    assert verdict(_scheduler(spec, kept, tmp_path), bad, 2.0, **{ROW_KEY: "{}"}) == TrialScheduler.CONTINUE
    assert _scheduler(tiny_sweep()) is None


def test_the_row_is_the_ray_engine_s_and_resume_knows_it_from_a_stop_request():
    from core.sweeps.ray_engine import ROW_KEY, _finished_row

    trial = Trial("t-1", {"training.learning_rate": 1e-7}, 3)
    logs = {"loss": 1.5, "val_loss": 1.25, "mae": 0.5}
    ray_trial = SimpleNamespace(config={"trial": {"trial_id": trial.trial_id, "fields": dict(trial.fields),
                                                  "seed": trial.seed}},
                                last_result={"epoch": 2, "training_iteration": 2, **logs}, num_failures=1)
    ray_row, bundle = _finished_row(ray_trial)
    ours = stopped_row(trial, 2, logs, attempts=2)
    assert ours.to_dict() == ray_row and bundle is None
    assert stopped_by_scheduler(ours) and stopped_by_scheduler(TrialResult.from_dict(ray_row))
    by_request = TrialResult(trial.trial_id, dict(trial.fields), 3, "stopped", stop_reason="stopped", epochs=2)
    assert not stopped_by_scheduler(by_request)
    # The sweep's stopper can end a Ray trial the same way (through on_trial_complete): it leaves
    # no row, as when Tune's stop_all ends it, so resume runs it again.
    assert _finished_row(ray_trial, stop_requested=True) is None
    # Or its worker saw the flag first and reported its "stopped" row: the same trial, no row either.
    ray_trial.last_result = {"epoch": 2, ROW_KEY: json.dumps(by_request.to_dict())}
    assert _finished_row(ray_trial, stop_requested=True) is None
