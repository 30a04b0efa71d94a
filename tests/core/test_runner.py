"""ProcessTrainer: training in a recycled child process behaves like core.training.train in-process.

One child serves the whole module (its TensorFlow import is paid once); tests that kill or
recycle it check that the next run gets a fresh, working child.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from multiprocessing import connection as mp_connection

import numpy as np
import psutil
import pytest
from _starting_child import forever_starting_trainer

from core.datasets.base import CLASSIFICATION, DataInfo, SequenceData
from core.errors import SpecError, StoppedBeforeStartError, TrainingError
from core.models import build_model
from core.runner import ProcessTrainer
from core.specs import ModelSpec, Project, TrainingSpec
from core.training import TrainingControl, train

T, FEATURES, CLASSES = 6, 3, 3


def learnable_data(n_train: int = 32, n_val: int = 8, *, steps: int = T, bad_labels: bool = False) -> SequenceData:
    info = DataInfo(task="tiny", io_mode="many_to_one", kind=CLASSIFICATION, input_kind="real",
                    input_shape=(steps, FEATURES), output_shape=(), class_names=["x", "y", "z"])
    rng = np.random.default_rng(0)
    n = n_train + n_val
    x = rng.normal(size=(n, steps, FEATURES)).astype(np.float32)
    # A learnable rule (the sign of the first feature's sum), so the loss moves.
    y = np.digitize(x[:, :, 0].sum(axis=1), [-1.0, 1.0]).astype(np.int32)
    if bad_labels:
        y[:] = 7  # not a class: TensorFlow fails inside the loss during the first batch
    return SequenceData(x[:n_train], y[:n_train], x[n_train:], y[n_train:], info)


def unvalidated_data(**kwargs) -> SequenceData:
    """Data without a validation set, for runs whose tests look at neither validation nor the
    metrics: even a run stopped after its first batch validates at the end of that epoch, and
    tracing Keras' validation step costs the child CPU-seconds."""
    return learnable_data(n_val=0, **kwargs)


def gru_project(cell: str = "GRU", units: int = 8, **training) -> Project:
    settings = {"epochs": 2, "batch_size": 8, "learning_rate": 0.01, "seed": 3, **training}
    return Project(model=ModelSpec(cell=cell, io_mode="many_to_one", units=units),
                   training=TrainingSpec(**settings))


def quick_project(**training) -> Project:
    """For runs whose tests are about the process (stops, pauses, errors, kills, closes), not the
    cell: a SimpleRNN's training step traces in about three quarters of a GRU's time, and each
    run in the child traces its own."""
    return gru_project(cell="SimpleRNN", **training)


def alive(pid: int | None) -> bool:
    try:
        return pid is not None and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def trainer():
    # No recycling by count here: each new child costs a TensorFlow import; one test turns it on.
    runner = ProcessTrainer(recycle_after_runs=1000)
    runner.warm()  # imports TensorFlow in the child while the first test prepares
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def reference(Recorder, trainer):
    """The same run through the child and in this process."""
    spec, data = gru_project(epochs=3), learnable_data()
    local_result = train(spec, data)  # while the child imports TensorFlow
    recorder = Recorder()
    child_result = trainer.train(spec, data, listener=recorder)
    return spec, data, recorder, child_result, local_result


def test_a_run_in_the_child_gives_the_same_result_as_in_process(reference):
    _, data, _, child, local = reference
    assert child.stop_reason == local.stop_reason == "completed"
    assert child.epochs_run == local.epochs_run == 3
    assert child.final_metrics.keys() == local.final_metrics.keys()
    for key, value in local.final_metrics.items():
        assert child.final_metrics[key] == pytest.approx(value, abs=1e-6)
    np.testing.assert_allclose(child.history.batch_loss, local.history.batch_loss, atol=1e-6)
    # The first and the last epoch measure the gradient flow; whether the one between does depends
    # on each process's timing (core.epoch_probe.FlowSchedule). Where both measured, they agree.
    pairs = list(zip(child.history.gradient_flow, local.history.gradient_flow))
    assert all(len(profile) == T for profile in (*pairs[0], *pairs[-1]))
    for ours, theirs in pairs:
        if ours and theirs:
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)
    assert child.history.layer_norms.keys() == local.history.layer_norms.keys()
    # The weight health and the probe sample's states come back with the history (which later
    # epochs look inside depends on each process's timing; the first one always does).
    assert child.history.spectral_radius["rnn_1"]["update"][0] == pytest.approx(
        local.history.spectral_radius["rnn_1"]["update"][0], rel=1e-5)
    assert child.history.gradient_histograms[0] == local.history.gradient_histograms[0]
    assert 1 in child.history.probes and 1 in local.history.probes
    assert child.history.batch_loss[-1] < child.history.batch_loss[0]  # it did train
    # The returned model is a plain Keras model that predicts like the in-process one...
    np.testing.assert_allclose(child.model.predict(data.x_val, verbose=0),
                               local.model.predict(data.x_val, verbose=0), atol=1e-6)
    # ...and carries the same optimizer state, so a saved bundle matches too.
    assert [tuple(v.shape) for v in child.model.optimizer.variables] == \
           [tuple(v.shape) for v in local.model.optimizer.variables]
    for ours, theirs in zip(child.model.optimizer.variables, local.model.optimizer.variables):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-6)


def test_events_arrive_in_order_in_the_calling_thread(reference):
    _, _, recorder, _, _ = reference
    started = recorder.started
    assert (started.epochs, started.batches_per_epoch, started.layer_names) == (3, 4, ["rnn_1", "head"])
    assert recorder.events == ["started", *(["batch"] * 4 + ["epoch"]) * 3, "finished"]
    assert [(b.epoch, b.batch, b.global_batch) for b in recorder.batches] == \
           [(epoch, b, (epoch - 1) * 4 + b) for epoch in (1, 2, 3) for b in (1, 2, 3, 4)]
    # The run's first and last epochs measure the gradient flow; the second, if its budget allows.
    assert [(e.epoch, len(e.gradient_flow)) for e in recorder.epochs if len(e.gradient_flow)] in (
        [(1, T), (2, T), (3, T)], [(1, T), (3, T)])
    first = recorder.epochs[0]
    assert first.probe["steps"] == T and sorted(first.health) == [
        "gradient_histograms", "spectral_radius", "weight_histograms"]
    assert sorted(recorder.result.history.probes) == [e.epoch for e in recorder.epochs if e.probe is not None]
    assert recorder.result.stop_reason == "completed"
    assert recorder.thread_ids == {threading.get_ident()}


def test_stop_requested_before_the_first_batch_ends_stops_after_it(Recorder, trainer):
    control = TrainingControl()

    class StopAtStart(Recorder):
        def on_run_started(self, event):
            super().on_run_started(event)
            control.request_stop()

    recorder = StopAtStart()
    spec, data = quick_project(epochs=5), unvalidated_data()
    # Training a given model further: it travels to the child and its trained weights come back into it.
    model = build_model(spec.model, data.info)
    before = model.get_weights()
    result = trainer.train(spec, data, listener=recorder, control=control, model=model)
    assert result.stop_reason == "stopped"
    assert [b.global_batch for b in recorder.batches] == [1]
    assert result.epochs_run == 1 and len(result.history.batch_loss) == 1
    assert recorder.events[-1] == "finished" and recorder.result.stop_reason == "stopped"
    assert result.model is model
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # one batch's update


def test_stop_from_a_batch_event_lands_within_one_batch(StopAtBatch, trainer):
    control = TrainingControl()

    recorder = StopAtBatch(control, 3)
    # Long sequences make a batch (~20 ms) far longer than the listener's reaction (< 1 ms).
    data = learnable_data(n_train=640, n_val=0, steps=60)
    result = trainer.train(gru_project(cell="LSTM", units=64, epochs=3, batch_size=64), data,
                           listener=recorder, control=control)
    assert result.stop_reason == "stopped"
    # The child may already be computing batch 4 when the listener sees batch 3: that one finishes.
    assert [b.global_batch for b in recorder.batches] in ([1, 2, 3], [1, 2, 3, 4])
    assert len(result.history.batch_loss) == len(recorder.batches)


def test_pause_then_resume_runs_to_completion(Recorder, trainer):
    control = TrainingControl()
    timers: list[threading.Timer] = []

    class PauseAtTwo(Recorder):
        def on_batch_end(self, event):
            super().on_batch_end(event)
            if event.global_batch == 2:
                control.pause()
                timers.append(threading.Timer(0.6, control.resume))
                timers[0].start()

    recorder = PauseAtTwo()
    result = trainer.train(quick_project(epochs=2), unvalidated_data(), listener=recorder, control=control)
    timers[0].join()
    assert result.stop_reason == "completed" and result.epochs_run == 2
    assert [b.global_batch for b in recorder.batches] == list(range(1, 9))
    # The child stood still for the pause: one gap between events spans it.
    gaps = np.diff(recorder.times)
    assert gaps.max() >= 0.45
    # The child says where it paused (a batch or two after the request, which crossed the pipe),
    # after sending that batch: the parent's listener then knows nothing more is on its way.
    [(paused_after, seen)] = recorder.pauses
    assert paused_after in (2, 3, 4) and seen == paused_after
    batch_times = [t for name, t in zip(recorder.events, recorder.times) if name == "batch"]
    assert batch_times[paused_after] - batch_times[paused_after - 1] >= 0.45, \
        "the stand-still follows the batch the run paused after"


def test_expected_errors_come_back_with_their_class_and_message(Recorder, trainer):
    data = learnable_data()
    gpu_project = gru_project(device="gpu:7")
    with pytest.raises(TrainingError) as local:
        train(gpu_project, data)
    recorder = Recorder()
    with pytest.raises(TrainingError) as remote:
        trainer.train(gpu_project, data, listener=recorder)
    assert type(remote.value) is TrainingError
    assert str(remote.value) == str(local.value)
    assert "GPU 7" in str(remote.value)
    assert recorder.events == []  # nothing had started, as in-process

    wrong_mode = Project(model=ModelSpec(io_mode="many_to_many"), training=gru_project().training)
    with pytest.raises(SpecError) as remote_spec:
        trainer.train(wrong_mode, data)
    assert remote_spec.value.field == "model.io_mode"
    assert str(remote_spec.value).startswith("model.io_mode: expected the mode the dataset was built for")


def test_an_unexpected_error_is_reported_with_where_it_happened(Recorder, trainer):
    recorder = Recorder()
    with pytest.raises(TrainingError, match="Training failed in the training process") as info:
        trainer.train(quick_project(epochs=1), learnable_data(bad_labels=True), listener=recorder)
    assert recorder.events[0] == "started" and recorder.events[-1] == "failed"
    assert recorder.failed == [str(info.value)]
    message = str(info.value)
    assert "label value of 7" in message  # TensorFlow's own words, without its graph stack
    # Where, in our code: the last frame in core/ (a short run steps eagerly, so the op fails
    # under the loss's own call rather than inside Keras' traced train step).
    assert re.search(r"\(in \w+, core/\w+\.py line \d+\)$", message), message
    assert "function_node" not in message and "[Op:" not in message
    assert "Traceback" in str(info.value.__cause__)  # the child's full traceback, for a details view
    assert alive(trainer.last_pid)  # the child survives its run's error (the next test trains in it)


def test_a_listener_that_raises_ends_the_run_and_its_error_propagates(Recorder, trainer):
    class Broken(Recorder):
        def on_batch_end(self, event):
            super().on_batch_end(event)
            raise RuntimeError("listener bug")

    recorder = Broken()
    pid = trainer.pid
    with pytest.raises(RuntimeError, match="listener bug"):
        trainer.train(quick_project(epochs=50), unvalidated_data(), listener=recorder)
    assert recorder.events == ["started", "batch", "failed"]  # no events after the error
    assert recorder.failed == ["RuntimeError: listener bug"]
    assert trainer.pid == pid  # the run was stopped, not the child killed


def test_a_killed_child_gives_a_training_error_and_a_fresh_child_serves_the_next_run(Recorder, trainer, reference):
    survivor = trainer.last_pid  # the child that served the reference run (also when this test runs alone)
    assert survivor is not None
    killed: list[int] = []

    class KillAtTwo(Recorder):
        def on_batch_end(self, event):
            super().on_batch_end(event)
            if event.global_batch == 2 and not killed:
                killed.append(trainer.last_pid)
                os.kill(trainer.last_pid, signal.SIGKILL)

    recorder = KillAtTwo()
    started = time.perf_counter()
    with pytest.raises(TrainingError, match=r"stopped unexpectedly \(exit code -9, SIGKILL"):
        trainer.train(quick_project(epochs=50), learnable_data(), listener=recorder)
    assert time.perf_counter() - started < 30
    assert killed == [survivor]
    assert recorder.events[-1] == "failed" and "stopped unexpectedly" in recorder.failed[0]
    assert not alive(killed[0])
    replacement = trainer.pid  # started at once, before the next run asks for it
    assert replacement is not None and replacement != killed[0]

    # The next run works, in the replacement; with recycle_after_runs=1 it is then replaced too.
    trainer.recycle_after_runs = 1
    try:
        result = trainer.train(quick_project(epochs=1), unvalidated_data())
    finally:
        trainer.recycle_after_runs = 1000
    assert result.stop_reason == "completed"
    assert trainer.last_pid == replacement
    assert trainer.pid not in (None, replacement)
    deadline = time.monotonic() + 15
    while alive(replacement) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(replacement)


def test_close_while_a_run_waits_for_the_child_leaves_no_child_alive(trainer):
    # The child that recycling just started may still be starting; a run waits for it.
    outcome: list[object] = []
    pid = trainer.pid
    assert pid is not None
    # Children of other trainers in this test process (e.g. the window's) are not this one's.
    others = _child_processes() - {pid}

    def run() -> None:
        try:
            outcome.append(trainer.train(quick_project(epochs=100), unvalidated_data()))
        except TrainingError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.3)
    started = time.perf_counter()
    trainer.close(timeout=5)
    thread.join(10)
    assert not thread.is_alive()
    assert time.perf_counter() - started < 8  # close does not wait for the import or the 100 epochs
    # If the child was still starting, the run ends with "closed"; if it had begun training,
    # close stops it after the batch in flight.
    assert len(outcome) == 1
    assert "closed" in str(outcome[0]) or getattr(outcome[0], "stop_reason", None) == "stopped"
    assert not alive(pid)
    assert [p for p in _child_processes() if alive(p) and p not in others] == []
    assert trainer.pid is None


def test_stop_while_the_child_is_still_starting_ends_the_run_at_once_and_keeps_the_child():
    # On a loaded machine the child's TensorFlow import takes tens of seconds; Stop must not wait
    # for it (before, the stop reached the run only once the child was ready).
    runner = forever_starting_trainer(start_timeout_s=30)
    try:
        runner.warm()
        pid = runner.pid
        control = TrainingControl()
        recorder_events: list[str] = []

        class Listener:
            def __getattr__(self, name):
                return lambda *_: recorder_events.append(name)

        threading.Timer(0.3, control.request_stop).start()
        with pytest.raises(StoppedBeforeStartError, match="still starting"):
            runner.train(quick_project(), unvalidated_data(), control=control, listener=Listener())
        assert recorder_events == []  # nothing started, nothing to report as failed
        # The child goes on starting for the next run: neither killed nor replaced.
        assert runner.pid == pid and alive(pid)
    finally:
        runner.close(timeout=2)
    assert not alive(pid)


def test_two_closes_at_once_while_a_run_waits_end_everything_once(monkeypatch):
    # The window's quit and the test session's teardown may close the shared trainer together,
    # while the worker's run waits for the child; the pipe's descriptor must be closed once.
    # The list keeps every closed connection alive, so no two can share an id().
    closed: list = []
    original_close = mp_connection.Connection._close

    def counted_close(connection, *args):
        closed.append(connection)
        return original_close(connection, *args)

    monkeypatch.setattr(mp_connection.Connection, "_close", counted_close)
    for _ in range(3):
        runner = ProcessTrainer(recycle_after_runs=1000)
        runner.warm()
        pid = runner.pid
        outcome: list[object] = []
        failures: list[BaseException] = []

        def run(runner=runner, outcome=outcome) -> None:
            try:
                outcome.append(runner.train(quick_project(epochs=100), unvalidated_data()))
            except TrainingError as exc:
                outcome.append(exc)

        def close(runner=runner, failures=failures) -> None:
            try:
                runner.close(timeout=5)
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                failures.append(exc)

        threads = [threading.Thread(target=run)]
        threads[0].start()
        time.sleep(0.2)  # the run waits for the child, which is building its first batch's graph
        threads += [threading.Thread(target=close) for _ in range(2)]
        for thread in threads[1:]:
            thread.start()
        for thread in threads:
            thread.join(15)
        assert not any(thread.is_alive() for thread in threads)
        assert failures == []
        # The child is forked ready in a moment, so the run may have begun: then it is stopped.
        assert len(outcome) == 1
        assert "closed" in str(outcome[0]) or getattr(outcome[0], "stop_reason", None) == "stopped"
        assert not alive(pid) and runner.pid is None
    assert closed and len({id(connection) for connection in closed}) == len(closed)


def _child_processes() -> set[int]:
    """The pids of this process's multiprocessing children: spawned ones, and those forked by the
    fork server (a child of ours whose own children run its command line)."""
    found = set()
    for process in psutil.Process().children(recursive=True):
        command = " ".join(_cmdline(process))
        try:
            forked = "multiprocessing.forkserver" in command and process.ppid() != os.getpid()
        except psutil.Error:
            continue
        if "spawn_main" in command or forked:
            found.add(process.pid)
    return found


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
