"""Changing course: the learning rate and clipping changed while paused, and the optimizer state kept
from one run to the next (in-process, through the child process, and through a saved bundle)."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from core.course import carry_state, describe_changes, pending_changes
from core.errors import SpecError
from core.history import History, SettingsChanged
from core.models import build_model
from core.persistence import Bundle, load_bundle, save_bundle
from core.runner import ProcessTrainer
from core.specs import TrainingSpec
from core.training import TrainingControl, train

# tiny_data(n=56, n_val=8) in batches of 8: 6 batches an epoch.
BATCHES = 6


@pytest.fixture(scope="module")
def trainer():
    runner = ProcessTrainer(recycle_after_runs=1000)
    runner.warm()  # the child imports TensorFlow while the in-process tests run
    yield runner
    runner.close()


def _resume_later(control: TrainingControl, changes: dict, timers: list) -> None:
    """As the window's Resume does: the changed settings first, then resume (from another thread)."""
    def resume():
        control.request_changes(changes)
        control.resume()

    timers.append(threading.Timer(0.2, resume))
    timers[-1].start()


def _norm(arrays) -> float:
    return float(np.sqrt(sum(float(np.sum(np.square(a))) for a in arrays)))


# --- the rules, without TensorFlow ------------------------------------------------------------


def test_pending_changes_are_the_changeable_fields_that_differ():
    running = TrainingSpec(learning_rate=0.01)
    assert pending_changes(running, running) == {}
    edited = dataclasses.replace(running, learning_rate=0.001, clip_mode="global_norm", clip_value=0.5)
    assert pending_changes(running, edited) == {"learning_rate": 0.001, "clip_mode": "global_norm",
                                                "clip_value": 0.5}
    # A threshold edited while clipping stays off changes nothing.
    assert pending_changes(running, dataclasses.replace(running, clip_value=3.0)) == {}
    with pytest.raises(SpecError, match="training.learning_rate"):
        pending_changes(running, dataclasses.replace(running, learning_rate=-1.0))
    assert describe_changes(running, dataclasses.replace(edited, learning_rate=0.01)) == \
        "clipping none -> global norm 0.5"
    assert describe_changes(running, dataclasses.replace(running, learning_rate=0.001)) == "lr 0.01 -> 0.001"


def test_history_keeps_the_changes_and_reads_histories_from_before_them():
    change = SettingsChanged(epoch=1, batch=3, global_batch=3, changes={"learning_rate": [0.1, 0.01]},
                             label="lr 0.1 -> 0.01")
    history = History(batch_loss=[1.0, 0.5, 0.4], batches_per_epoch=3, settings_changes=[change])
    assert History.from_dict(history.to_dict()).settings_changes == [change]
    old = history.to_dict()
    del old["settings_changes"]
    assert History.from_dict(old).settings_changes == []
    with pytest.raises(ValueError, match=r"settings_changes\[0\].global_batch"):
        History.from_dict({**old, "settings_changes": [{"epoch": 1, "batch": 1, "global_batch": "x"}]})


# --- in-process ---------------------------------------------------------------------------------


def test_learning_rate_and_clipping_changed_while_paused_drive_the_next_updates(tiny_data, project, Recorder):
    """Plain SGD: each update is lr x (clipped) gradient, so the step a batch took, measured on the
    weights, says which learning rate and clipping it used."""
    data = tiny_data("many_to_one", n=56, n_val=8)
    spec = project("many_to_one", cell="SimpleRNN",
                   training={"epochs": 2, "optimizer": "sgd", "momentum": 0.0, "learning_rate": 0.1})
    model = build_model(spec.model, data.info)
    control = TrainingControl()
    timers: list[threading.Timer] = []
    used: dict[int, float] = {}  # global batch -> step size / gradient norm
    steps: dict[int, float] = {}  # global batch -> step size

    class Measure(Recorder):
        def on_run_started(self, event):
            super().on_run_started(event)
            self.weights = model.get_weights()

        def on_batch_end(self, event):
            super().on_batch_end(event)
            weights = model.get_weights()
            gradient = np.sqrt(sum(v * v for layer in event.weight_norms.values() for v in layer.values()))
            steps[event.global_batch] = _norm(a - b for a, b in zip(weights, self.weights))
            used[event.global_batch] = steps[event.global_batch] / gradient
            self.weights = weights
            if event.global_batch in (3, 8):
                control.pause()
                change = ({"learning_rate": 0.01} if event.global_batch == 3
                          else {"clip_mode": "global_norm", "clip_value": 0.05})
                _resume_later(control, change, timers)

        def on_settings_changed(self, event):
            self.changes = [*getattr(self, "changes", []), event]

    recorder = Measure()
    result = train(spec, data, listener=recorder, control=control, model=model)
    for timer in timers:
        timer.join()

    assert result.stop_reason == "completed" and len(used) == 2 * BATCHES
    for batch in (1, 2, 3):
        assert used[batch] == pytest.approx(0.1, rel=1e-3)
    for batch in range(4, 9):  # the first batch after the pause already uses the new rate
        assert used[batch] == pytest.approx(0.01, rel=1e-3)
    for batch in range(9, 13):  # clipped: each step is lr x 0.05 (the gradients are larger)
        assert steps[batch] == pytest.approx(0.01 * 0.05, rel=1e-3)
        assert used[batch] < 0.01 / 5
    # The optimizer was changed, not replaced: its step count ran on through both changes.
    assert int(result.model.optimizer.iterations.numpy()) == 2 * BATCHES
    assert result.model.optimizer.learning_rate.numpy() == pytest.approx(0.01)
    assert [(c.global_batch, c.label) for c in recorder.changes] == \
        [(3, "lr 0.1 -> 0.01"), (8, "clipping none -> global norm 0.05")]
    assert result.history.settings_changes == recorder.changes


# --- through the child process -----------------------------------------------------------------


def test_a_change_made_while_paused_reaches_the_child_process(tiny_data, project, Recorder, StopAtBatch, trainer):
    """Adam with the rate cut to 1e-7 after the pause: the run ends where it paused, to within
    what 1e-7 steps can move, and Adam's step count ran through the whole run."""
    data = tiny_data("many_to_one", n=56, n_val=8)
    spec = project("many_to_one", cell="GRU", training={"epochs": 2, "learning_rate": 0.05, "seed": 5})
    control = TrainingControl()
    timers: list[threading.Timer] = []

    class PauseAtTwo(Recorder):
        changes: list = []

        def on_batch_end(self, event):
            super().on_batch_end(event)
            if event.global_batch == 2:
                control.pause()
                _resume_later(control, {"learning_rate": 1e-7}, timers)

        def on_settings_changed(self, event):
            self.changes = [*self.changes, event]

    recorder = PauseAtTwo()
    result = trainer.train(spec, data, listener=recorder, control=control)
    for timer in timers:
        timer.join()
    assert result.stop_reason == "completed"
    [change] = recorder.changes
    # The child may be ahead of the listener (under load, at full priority in the tests, a few
    # batches): it paused soon after batch 2; the checks below compare at the batch it did.
    assert 2 <= change.global_batch <= 5 and change.changes == {"learning_rate": [0.05, 1e-7]}
    assert result.history.settings_changes == [change]
    optimizer = result.model.optimizer
    assert int(optimizer.iterations.numpy()) == 2 * BATCHES
    assert optimizer.learning_rate.numpy() == pytest.approx(1e-7)

    # The same run stopped where the change took effect (in-process, exactly there).
    control = TrainingControl()
    stopped = train(spec, data, listener=StopAtBatch(control, change.global_batch), control=control)
    # One more step at the old rate would move the weights by ~0.05 (Adam's step is about lr).
    assert np.abs(_flat(result.model.get_weights()) - _flat(stopped.model.get_weights())).max() < 1e-5


def _flat(weights) -> np.ndarray:
    return np.concatenate([np.ravel(w) for w in weights])


# --- continuing a saved model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def continued_from_plain_bundle(tiny_data, project, Recorder, tmp_path_factory):
    """A GRU reopened from a bundle that has weights but no optimizer state, then trained one epoch
    on. Returns what the reopened model was before that training (its optimizer or None, its
    weights), the plain model it was saved from, the recorder and the result. The result is also
    the model trained with Adam that the test of continuing a bundle saves (read only)."""
    # A project a bundle accepts: the default (cooking) task, in one of its modes.
    data = tiny_data("many_to_many", n=56, n_val=8)
    spec = project("many_to_many", cell="GRU", training={"epochs": 1})
    # As an imported .keras model, or a bundle from before the state was kept: weights, no optimizer.
    plain = build_model(spec.model, data.info)
    path = tmp_path_factory.mktemp("plain") / "plain.rnnlab"
    save_bundle(path, Bundle(project=spec, model=plain, history=None, info=data.info))

    reopened = load_bundle(path)
    before = {"optimizer": getattr(reopened.model, "optimizer", None), "weights": reopened.model.get_weights()}
    recorder = Recorder()
    continued = train(spec, data, listener=recorder, model=reopened.model)
    return {"spec": spec, "data": data, "plain": plain, "before": before, "recorder": recorder,
            "result": continued}


def test_continuing_a_reopened_bundle_keeps_the_optimizer_state(continued_from_plain_bundle, Recorder, trainer,
                                                                 tmp_path):
    # Any model trained one epoch (6 updates) with Adam will do: the run of the test below.
    run = continued_from_plain_bundle
    spec, data, first = run["spec"], run["data"], run["result"]
    path = tmp_path / "model.rnnlab"
    save_bundle(path, Bundle(project=spec, model=first.model, history=first.history, info=data.info))

    reopened = load_bundle(path)
    assert int(reopened.model.optimizer.iterations.numpy()) == BATCHES
    for before, after in zip(first.model.optimizer.variables, reopened.model.optimizer.variables):
        assert np.array_equal(before.numpy(), after.numpy())

    # Continued as the window does it: in the child process, which gets the state with the model.
    recorder = Recorder()
    continued = trainer.train(spec, data, listener=recorder, model=reopened.model)
    assert "Continuing Adam from update 6" in recorder.started.optimizer_note
    assert int(continued.model.optimizer.iterations.numpy()) == 2 * BATCHES
    assert int(reopened.model.optimizer.iterations.numpy()) == 2 * BATCHES  # the same model, trained on


def test_state_carries_only_into_an_optimizer_of_the_same_kind_and_layout(tiny_info, project):
    from core.training import make_optimizer

    spec = project("many_to_many", cell="GRU")
    model = build_model(spec.model, tiny_info("many_to_many"))
    trained = make_optimizer(spec.training)
    trained.build(model.trainable_variables)
    trained.iterations.assign(40)

    def carried(previous, **training):
        settings = dataclasses.replace(spec.training, **training)
        fresh = make_optimizer(settings)
        note = carry_state(previous, fresh, model.trainable_variables, settings)
        return note, fresh

    note, fresh = carried(trained, learning_rate=0.003)
    assert note.startswith("Continuing Adam from update 40") and int(fresh.iterations.numpy()) == 40
    assert fresh.learning_rate.numpy() == pytest.approx(0.003)  # the panel's rate, not the old one
    note, fresh = carried(trained, optimizer="sgd")
    assert "fresh SGD optimizer" in note and "trained with Adam" in note and not fresh.built
    note, fresh = carried(None)
    assert "fresh Adam optimizer" in note and "carries no optimizer state" in note and not fresh.built
    # SGD without momentum has no moments to give an SGD with momentum.
    plain_sgd = make_optimizer(dataclasses.replace(spec.training, optimizer="sgd", momentum=0.0))
    plain_sgd.build(model.trainable_variables)
    note, fresh = carried(plain_sgd, optimizer="sgd", momentum=0.9)
    assert "does not fit" in note and int(fresh.iterations.numpy()) == 0


def test_a_bundle_without_optimizer_state_continues_with_a_fresh_one(continued_from_plain_bundle):
    run = continued_from_plain_bundle
    assert run["before"]["optimizer"] is None
    for kept, loaded in zip(run["plain"].get_weights(), run["before"]["weights"]):
        assert np.array_equal(kept, loaded)  # the weights themselves are all there
    recorder, continued = run["recorder"], run["result"]
    assert "fresh Adam optimizer" in recorder.started.optimizer_note
    assert "no optimizer state" in recorder.started.optimizer_note
    assert int(continued.model.optimizer.iterations.numpy()) == BATCHES
