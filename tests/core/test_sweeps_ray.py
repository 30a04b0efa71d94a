"""Sweeps on the Ray engine: the same trials as Ray Tune function trainables on one shared local Ray instance."""

from __future__ import annotations

import logging
import logging.handlers
import os
import signal
from pathlib import Path

import pytest
from _sweeps import assert_rows_match_bundles, live_processes, stop_at_the_first_epoch, tiny_sweep

from core.sweeps import TrialEpoch, TrialFinished, TrialStarted, ray_engine, read_results, run_sweep

ray = pytest.importorskip("ray", reason='Ray is not installed: pip install -e ".[test]" installs rnn-lab[ray]')


@pytest.fixture(scope="module")
def ray_instance():
    """One local Ray instance for the module: starting one costs 10-15 s. One CPU: one worker
    process, reused by every trial (each worker imports TensorFlow, seconds of CPU); the trials
    run one after another."""
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_a_grid_sweep_on_ray_brings_every_bundle_home(ray_instance, tmp_path, monkeypatch):
    # With the helpers a cluster of several nodes or Ray Client gets: the trials' events reach this
    # process through a Ray queue actor. (The tests below use this machine's in-process helpers.)
    monkeypatch.setattr(ray_engine, "_only_this_machine", lambda ray: False)
    spec = tiny_sweep()  # the 2 x 2 grid the local engine's test runs
    events = []
    # Tune's result grid warned about every trial's missing metrics files, which read as a failure.
    tune_warnings = logging.handlers.BufferingHandler(capacity=10_000)
    analysis = logging.getLogger("ray.tune.analysis.experiment_analysis")
    analysis.addHandler(tune_warnings)
    try:
        results = run_sweep(spec, tmp_path / "out", engine="ray", on_event=events.append)
    finally:
        analysis.removeHandler(tune_warnings)
    assert [r.getMessage()[:60] for r in tune_warnings.buffer if r.levelno >= logging.WARNING] == []
    assert len(results) == 4
    assert_rows_match_bundles(tmp_path / "out", spec, results)
    assert sum(isinstance(e, TrialStarted) for e in events) == 4
    assert sum(isinstance(e, TrialFinished) for e in events) == 4
    # The last epoch comes with the final row; the ones before it arrive as they happen.
    assert {(e.trial_id, e.epoch) for e in events if isinstance(e, TrialEpoch)} == {(r.trial_id, 1) for r in results}
    assert not (tmp_path / "out" / "ray_results").exists()  # Ray's copy goes once the bundles are home
    assert ray.is_initialized()  # the caller's instance is left running


def _trial_workers() -> set[int]:
    """The Ray worker processes running a trial: Ray titles them after the Tune trainable's class."""
    return live_processes(lambda command: command.startswith(b"ray::ImplicitFunc"))


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray's worker processes through /proc")
def test_a_trial_whose_ray_worker_is_killed_runs_again_and_completes(ray_instance, tmp_path):
    # With ASHA on: the retried trial runs under the sweep's scheduler, which never ends a lone trial.
    spec = tiny_sweep({"model.cell": ["GRU"], "model.units": [3], "training.epochs": [40]}, scheduler="asha")
    events, killed = [], []

    def kill_the_worker_at_its_first_epoch(event):
        events.append(event)
        if isinstance(event, TrialEpoch) and not killed:
            killed.extend(_trial_workers())
            for pid in killed:
                os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer would

    results = run_sweep(spec, tmp_path / "out", engine="ray", on_event=kill_the_worker_at_its_first_epoch)
    assert killed, "no Ray worker was found running the trial"
    assert [e.attempt for e in events if isinstance(e, TrialStarted)] == [1, 2]
    assert len(results) == 1 and results[0].attempts == 2 and results[0].epochs == 40
    assert_rows_match_bundles(tmp_path / "out", spec, results)


def test_the_cluster_helpers_carry_events_and_the_stop_between_a_ray_worker_and_this_process(
        ray_instance, monkeypatch):
    # On a cluster the trials run in workers on other nodes: the events come back through a queue
    # actor, the stop goes out through a flag actor. Here read and written from a Ray worker.
    monkeypatch.setattr(ray_engine, "_only_this_machine", lambda ray: False)
    events, flag = ray_engine._helpers(ray)
    try:
        assert (type(events).__name__, type(flag).__name__) == ("ActorQueue", "ActorFlag")

        @ray.remote(num_cpus=0)
        def trial_side(events, flag, epoch):
            events.put(("epoch", "t1", epoch))
            return flag.is_set(timeout=30)

        assert ray.get(trial_side.remote(events, flag, 1), timeout=60) is False
        assert events.get(timeout=30) == ("epoch", "t1", 1)
        flag.set()
        assert ray.get(trial_side.remote(events, flag, 2), timeout=60) is True
        assert events.get(timeout=30) == ("epoch", "t1", 2) and events.empty()
    finally:
        events.close()
        flag.close()


def test_stop_ends_the_running_trial_at_once_and_no_other_starts(ray_instance, tmp_path):
    spec = tiny_sweep({"model.units": [2, 3], "training.epochs": [30]})
    stop, events, stop_after_the_first_epoch = stop_at_the_first_epoch()

    results = run_sweep(spec, tmp_path / "out", engine="ray", on_event=stop_after_the_first_epoch, stop_event=stop)
    assert sum(isinstance(e, TrialStarted) for e in events) == 1  # the second trial never started
    # Of 30: the stop travels to the driver and back through the flag, ~0.1 s or a few tiny epochs.
    assert sum(isinstance(e, TrialEpoch) for e in events) <= 5
    assert events[-1].stopped
    # The stopped trial had not finished: it leaves no row and runs again with resume.
    assert results == [] and read_results(tmp_path / "out")[1] == []
