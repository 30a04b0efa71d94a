"""The gradient flow's time budget (core.epoch_probe.FlowSchedule): which epochs measure it, and
what a run's history, its CLI summary and its sweep row then hold."""

from __future__ import annotations

import time

import numpy as np
import pytest

import core.epoch_probe as epoch_probe
from core.epoch_probe import FlowSchedule
from core.training import TrainingControl, train


class FakeFlow:
    """Stands in for core.monitoring's flow function: ``slow_first`` seconds on the first call,
    which is not warm (as a first eager call), then quick warm calls."""

    def __init__(self, slow_first: float) -> None:
        self.slow_first = slow_first
        self.calls = 0
        self.warm = False

    def __call__(self, x, y, calls_left=None):
        self.calls += 1
        self.warm = self.calls > 1
        if self.calls == 1:
            time.sleep(self.slow_first)
        return ("profile", "gradients")


def test_a_costly_flow_is_measured_within_one_percent_of_the_training_time():
    schedule = FlowSchedule()
    assert schedule.due(1.0, last=False)  # the first epoch always measures it
    schedule.measure(FakeFlow(0.0), None, None, calls_left=20)
    schedule.cost_s = 0.026  # a warm pass of the bench's 2-layer LSTM: one training step
    # Epochs of a second: 10 ms allowed after one, 20 after two, 30 after three.
    assert [schedule.due(1.0, last=False) for _ in range(3)] == [False, False, True]
    schedule.spent_s += 0.026
    assert [schedule.due(1.0, last=False) for _ in range(3)] == [False, False, True]  # 52 ms of 60
    assert schedule.due(0.0, last=True)  # the run's last epoch always
    schedule.cost_s = 0.004
    assert schedule.due(0.0, last=False)  # a pass under 5 ms: every epoch, whatever the budget


def test_the_first_epoch_times_a_warm_pass_so_the_budget_is_not_set_by_one_off_costs():
    schedule = FlowSchedule()
    flow = FakeFlow(slow_first=0.05)
    result, seconds = schedule.measure(flow, None, None, calls_left=10)
    assert result == ("profile", "gradients") and flow.calls == 2
    assert schedule.cost_s == seconds < 0.05  # the warm pass, not the first call's 50 ms
    assert schedule.spent_s == 0  # the first epoch's passes are not in the budget
    schedule.measure(flow, None, None, calls_left=9)
    assert schedule.spent_s > 0 and flow.calls == 3
    # A run of two epochs measures both anyway: no warm pass to find out the cost.
    short = FakeFlow(slow_first=0.05)
    FlowSchedule().measure(short, None, None, calls_left=1)
    assert short.calls == 1


@pytest.fixture
def costly_flow(monkeypatch):
    """As for a heavy model: no flow pass and no look is cheap, and neither fits a budget."""
    for name, value in (("FLOW_CHEAP_S", 0.0), ("FLOW_BUDGET", 0.0), ("CHEAP_S", 0.0), ("BUDGET", 0.0)):
        monkeypatch.setattr(epoch_probe, name, value)


def test_a_run_keeps_the_first_and_last_profiles_and_skips_those_the_budget_leaves_out(
        costly_flow, tiny_data, project, Recorder, capsys):
    from core.cli_inspect import _print_flows
    from core.diagnostics import flow_verdict
    from core.history import History

    data = tiny_data("many_to_one", n=24, n_val=8)
    recorder = Recorder()
    result = train(project("many_to_one", training={"epochs": 4}), data, listener=recorder)
    steps = data.x_val.shape[1]
    assert [len(profile) for profile in result.history.gradient_flow] == [steps, 0, 0, steps]
    assert [len(event.gradient_flow) for event in recorder.epochs] == [steps, 0, 0, steps]
    assert sorted(result.history.probes) == [1]  # no look fitted either
    assert History.from_dict(result.history.to_dict()).gradient_flow == result.history.gradient_flow
    assert flow_verdict(result.history.gradient_flow[-1]).value is not None
    capsys.readouterr()
    _print_flows(result.history.gradient_flow)  # main.py inspect
    text = capsys.readouterr().out
    assert "epoch   1:" in text and "epoch   4:" in text and "epoch   2:" not in text
    assert "2 of 4 epochs not measured" in text


def test_a_look_that_needs_the_gradients_gets_a_flow_pass(costly_flow, tiny_data, project, monkeypatch):
    monkeypatch.setattr(epoch_probe, "BUDGET", 1e9)  # every look fits: each needs the pass's gradients
    data = tiny_data("many_to_one", n=24, n_val=8)
    result = train(project("many_to_one", training={"epochs": 3}), data)
    assert all(len(profile) == data.x_val.shape[1] for profile in result.history.gradient_flow)
    assert sorted(result.history.probes) == [1, 2, 3]
    assert len(result.history.gradient_histograms) == 3
    assert all(np.isfinite(h["rnn_1"]["hi"]) for h in result.history.gradient_histograms)


def test_a_run_stopped_by_the_user_or_early_stopping_ends_with_a_profile(costly_flow, tiny_data, project, Recorder):
    class StopInSecondEpoch(Recorder):
        def on_batch_end(self, event):
            super().on_batch_end(event)
            if event.epoch == 2 and event.batch == 1:
                control.request_stop()  # as a click on Stop: the run ends inside epoch 2

    data = tiny_data("many_to_one", n=24, n_val=8)
    control = TrainingControl()
    result = train(project("many_to_one", training={"epochs": 5}), data, listener=StopInSecondEpoch(),
                   control=control)
    assert result.stop_reason == "stopped" and result.epochs_run == 2
    assert all(len(profile) for profile in result.history.gradient_flow)
    # Early stopping with no patience to spare: the epoch it stops at has its profile, of its own weights.
    spec = project("many_to_one", training={"epochs": 30, "early_stopping": True, "patience": 1,
                                            "learning_rate": 0.5})
    result = train(spec, data)
    assert result.stop_reason == "early_stopping", result.message
    flows = result.history.gradient_flow
    assert len(flows[-1]) and sum(1 for profile in flows if not profile) == len(flows) - 2
