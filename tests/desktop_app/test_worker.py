"""TrainingWorker: training in the shared child process, relayed by a QThread as queued signals."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QObject, Qt, Signal, Slot

from core.datasets import build_dataset
from core.errors import TrainingError
from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
from desktop_app.worker import TrainingWorker


def tiny_project(epochs: int = 2, samples: int = 96, batch_size: int = 16) -> Project:
    return Project(
        name="tiny cooking",
        dataset=DatasetSpec(task="cooking", params={"samples": samples, "days": 5}, validation_split=0.25, seed=3),
        model=ModelSpec(cell="LSTM", io_mode="many_to_many", units=8),
        training=TrainingSpec(epochs=epochs, batch_size=batch_size, learning_rate=0.02, seed=7),
    )


def tiny_data(project: Project):
    return build_dataset(project.dataset, project.model.io_mode)


class Recorder(QObject):
    """Receives in the GUI thread (a QObject receiver makes the connection queued; a bare
    lambda would run in the emitting thread)."""

    def __init__(self):
        super().__init__()
        self.items: list[tuple] = []

    def started(self, event):
        self.items.append(("started", event, threading.get_ident()))

    def batch(self, event):
        self.items.append(("batch", event, threading.get_ident()))

    def epoch(self, event):
        self.items.append(("epoch", event, threading.get_ident()))


class OnGui(QObject):
    """Calls ``fn`` in the GUI thread for each signal it is connected to."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def slot(self, *args):
        self.fn(*args)


class GuiRelay(QObject):
    """Re-emits a worker-thread signal from the GUI thread, for ``qtbot.waitSignal``.

    pytest-qt's blocker receives a cross-thread signal in the emitting thread: one that came
    between the blocker's "already emitted?" check and the start of its event loop was lost, and
    that wait hung past its own timeout (a run that failed at once, pytest-qt issue 199). A
    queued slot on a GUI-thread object runs inside that loop, so nothing can slip between."""

    fired = Signal(object)

    def __init__(self, signal):
        super().__init__()
        signal.connect(self._relay, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _relay(self, value):
        self.fired.emit(value)


def on_gui(signal) -> Signal:
    relay = GuiRelay(signal)
    _relays.append(relay)  # alive as long as the signal it relays may fire
    return relay.fired


_relays: list[GuiRelay] = []


@pytest.fixture
def worker():
    w = TrainingWorker()
    yield w
    assert w.shutdown(20000), "the worker thread did not end"
    assert not w.thread_handle.isRunning()


def test_run_reports_every_batch_and_epoch_from_the_worker_thread_and_pause_holds_it_until_resume(qtbot, worker):
    """One run, paused after its first batch and resumed (these were two tests, each training a
    tiny model): pausing holds the training, and the run still reports every batch and epoch,
    from the worker thread, to receivers in the GUI thread."""
    project = tiny_project(epochs=2)
    data = tiny_data(project)
    gui_thread = threading.get_ident()
    emitting_threads: set[int] = set()
    recorder = Recorder()
    batches: list[int] = []
    worker.batch_ended.connect(lambda e: emitting_threads.add(threading.get_ident()),
                               Qt.ConnectionType.DirectConnection)
    worker.batch_ended.connect(lambda e: batches.append(e.global_batch), Qt.ConnectionType.DirectConnection)
    worker.run_started.connect(recorder.started)
    worker.batch_ended.connect(recorder.batch)
    worker.epoch_ended.connect(recorder.epoch)
    received = recorder.items
    paused_at: list[int] = []

    def pause_once(event):
        if not paused_at:
            paused_at.append(event.global_batch)
            worker.pause()

    gui = OnGui(pause_once)
    worker.batch_ended.connect(gui.slot)
    finished = []
    gui_finished = OnGui(finished.append)
    worker.run_finished.connect(gui_finished.slot)
    worker.start(project, data)
    qtbot.waitUntil(lambda: bool(paused_at), timeout=60000)
    assert worker.is_paused()
    time.sleep(0.3)
    held = len(batches)
    time.sleep(0.3)
    assert len(batches) == held, "training went on while paused"
    assert held <= paused_at[0] + 2  # the batch in flight may end
    assert not finished

    with qtbot.waitSignal(on_gui(worker.run_finished), timeout=60000) as done:
        worker.resume()
    result = done.args[0]
    assert result.stop_reason == "completed"
    assert len(batches) > held

    assert result.epochs_run == 2
    assert not worker.is_running()
    # Training ran outside the GUI thread; the receivers got the events in the GUI thread.
    assert emitting_threads and gui_thread not in emitting_threads
    assert {item[2] for item in received} == {gui_thread}
    kinds = [item[0] for item in received]
    assert kinds[0] == "started"
    started = received[0][1]
    batch_events = [item[1] for item in received if item[0] == "batch"]
    assert len(batch_events) == 2 * started.batches_per_epoch
    assert [b.global_batch for b in batch_events] == list(range(1, len(batch_events) + 1))
    assert kinds.count("epoch") == 2
    assert len(result.history.batch_loss) == len(batch_events)


def test_the_gui_gets_batches_gathered_in_order_each_once_and_all_of_them_while_paused(qtbot, worker, monkeypatch):
    """batches_ended wakes the GUI thread once per BATCH_SIGNAL_S, not once per batch. With the
    interval longer than the run, what remains is the guarantee: an epoch's batches reach the GUI
    before its epoch_ended, in order, each once, and a paused run's batches are all shown."""
    import desktop_app.worker as worker_module

    monkeypatch.setattr(worker_module, "BATCH_SIGNAL_S", 3600.0)
    project = tiny_project(epochs=2, samples=160, batch_size=8)
    data = tiny_data(project)
    received: list[tuple[str, object]] = []
    in_worker: list[int] = []
    worker.batch_ended.connect(lambda e: in_worker.append(e.global_batch), Qt.ConnectionType.DirectConnection)
    paused: list[int] = []

    def on_batches(events):
        received.append(("batches", [e.global_batch for e in events]))
        if not paused and events[-1].global_batch >= 3:
            paused.append(events[-1].global_batch)
            worker.pause()

    gathered = OnGui(on_batches)
    epochs = OnGui(lambda event: received.append(("epoch", event.epoch)))
    worker.batches_ended.connect(gathered.slot)
    worker.epoch_ended.connect(epochs.slot)
    worker.start(project, data)
    # The first batch goes out at once (nothing was sent yet), the next ones wait for an epoch's
    # end, except that the run's pausing sends them: the GUI pauses the run in its second epoch.
    qtbot.waitUntil(lambda: bool(paused), timeout=60000)

    def shown_batches():
        return [b for kind, value in received if kind == "batches" for b in value]

    # The third gathering is the pause's (the first batch and the first epoch came before).
    qtbot.waitUntil(lambda: [k for k, _ in received].count("batches") == 3, timeout=20000)
    trained_before_pause = list(in_worker)
    qtbot.wait(300)
    assert in_worker == trained_before_pause, "the run is paused"
    assert shown_batches() == in_worker, "every batch the run trained before the pause is shown while it is paused"
    with qtbot.waitSignal(on_gui(worker.run_finished), timeout=60000):
        worker.resume()
    qtbot.wait(50)
    per_epoch = -(-data.num_train // 8)
    assert shown_batches() == list(range(1, 2 * per_epoch + 1)) == in_worker
    epoch_positions = [i for i, (kind, _) in enumerate(received) if kind == "epoch"]
    batches_before = [sum(len(v) for k, v in received[:i] if k == "batches") for i in epoch_positions]
    assert batches_before == [per_epoch, 2 * per_epoch], "an epoch's batches come before its end"
    # The first batch, the first epoch's end, the pause, the second epoch's end: however many
    # batches were still in the pipe from the training child when the pause reached it.
    assert len([k for k, _ in received if k == "batches"]) <= 4, "gathered, not one signal per batch"


def test_stop_answers_within_one_batch_and_a_second_run_is_refused(qtbot, worker):
    project = tiny_project(epochs=200, samples=200, batch_size=8)
    data = tiny_data(project)
    stop_sent = threading.Event()
    after_stop: list[int] = []
    refused: list[str] = []

    def count_in_worker_thread(event):
        if stop_sent.is_set():
            after_stop.append(event.global_batch)

    def stop_at_third_batch(event):
        if event.global_batch == 3 and not stop_sent.is_set():
            try:
                worker.start(project, data)
            except TrainingError as exc:
                refused.append(str(exc))
            stop_sent.set()
            worker.stop()

    worker.batch_ended.connect(count_in_worker_thread, Qt.ConnectionType.DirectConnection)
    gui = OnGui(stop_at_third_batch)
    worker.batch_ended.connect(gui.slot)
    with qtbot.waitSignal(on_gui(worker.run_finished), timeout=60000) as finished:
        worker.start(project, data)
    result = finished.args[0]

    assert refused and "already training" in refused[0]
    assert result.stop_reason == "stopped"
    # The stop is sent from the GUI thread when batch 3's event reaches it; the child (at full
    # priority in the tests) may have trained a batch or two more whose events were still on the
    # way, and it stops after the batch it is in when the request lands.
    assert len(after_stop) <= 3, f"batches after the stop request: {after_stop}"
    total = 200 * -(-data.num_train // 8)
    assert len(result.history.batch_loss) < total


def test_an_unexpected_exception_reports_its_traceback_and_the_worker_trains_again(qtbot):
    import core.training

    project = tiny_project(epochs=1, samples=48)
    data = tiny_data(project)
    calls = []

    def broken_then_real_train(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("simulated failure inside the run")
        return core.training.train(*args, **kwargs)

    worker = TrainingWorker(train_function=broken_then_real_train)
    try:
        with qtbot.waitSignal(on_gui(worker.run_failed), timeout=30000) as failed:
            worker.start(project, data)
        failure = failed.args[0]
        assert failure.message == "Training failed unexpectedly: RuntimeError: simulated failure inside the run"
        assert not failure.expected
        assert "Traceback" in failure.details  # behind the dialog's "Show details"
        assert not worker.is_running()

        with qtbot.waitSignal(on_gui(worker.run_finished), timeout=60000) as finished:
            worker.start(project, data)
        assert finished.args[0].stop_reason == "completed"
    finally:
        assert worker.shutdown(10000)


def test_a_training_process_that_dies_ends_the_run_and_the_next_run_works(qtbot, worker):
    import os
    import signal

    from desktop_app.worker import shared_trainer

    project = tiny_project(epochs=3, samples=96)
    data = tiny_data(project)
    killed = []

    def kill_child(event):
        if not killed:
            killed.append(shared_trainer().pid)
            os.kill(killed[0], signal.SIGKILL)  # what a crash inside TensorFlow looks like

    worker.batch_ended.connect(kill_child)
    with qtbot.waitSignal(on_gui(worker.run_failed), timeout=60000) as failed:
        worker.start(project, data)
    worker.batch_ended.disconnect(kill_child)
    assert "unexpectedly" in failed.args[0].message
    assert not worker.is_running()

    with qtbot.waitSignal(on_gui(worker.run_finished), timeout=90000) as finished:
        worker.start(project, data)
    assert finished.args[0].stop_reason == "completed"
    assert shared_trainer().last_pid != killed[0]


def test_an_expected_error_is_reported_as_its_message(qtbot, worker):
    project = tiny_project(epochs=1)
    data = tiny_data(project)
    # A GRU spec on data built for another mode: core refuses it before training starts.
    wrong = Project(name="wrong", dataset=project.dataset,
                    model=ModelSpec(cell="GRU", io_mode="one_to_one", units=4), training=project.training)
    with qtbot.waitSignal(on_gui(worker.run_failed), timeout=30000) as failed:
        worker.start(wrong, data)
    assert "model.io_mode" in failed.args[0].message
    assert failed.args[0].expected and failed.args[0].details == ""
