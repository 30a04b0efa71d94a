"""TrainingSession without a window: a fake train function, the signals' order, the queue, failures."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from core.errors import TrainingError
from core.specs import ModelSpec, Project
from core.training import BatchEnd, EpochEnd, History, RunStarted, TrainingResult
from desktop_app.session import RunStatus, TrainingSession
from desktop_app.worker import TrainingWorker

EPOCHS, BATCHES = 2, 3
TIMEOUT_MS = 10000
DATA = SimpleNamespace(info=SimpleNamespace(kind="classification", io_mode="many_to_many", output_dim=3,
                                            input_shape=(5, 3), output_shape=(5,), task="cooking"))


def project(cell: str = "LSTM") -> Project:
    return Project(model=ModelSpec(cell=cell, io_mode="many_to_many", units=4))


class FakeTrainer:
    """core.training.train's signature and events, with no TensorFlow: fails for cells in ``fail``."""

    def __init__(self, *, fail: tuple[str, ...] = (), batches: int = BATCHES, delay_s: float = 0.0):
        self.fail = fail
        self.batches = batches
        self.delay_s = delay_s
        self.models: list = []

    def __call__(self, project, data, *, listener, control, model=None):
        self.models.append(model)
        listener.on_run_started(RunStarted(epochs=EPOCHS, batches_per_epoch=self.batches, device_name="Fake CPU",
                                           layer_names=["rnn"], weight_names={"rnn": ["w_i"]}))
        if project.model.cell in self.fail:
            listener.on_failed("RuntimeError: the fake trainer broke")
            raise RuntimeError("the fake trainer broke")
        history = History(batches_per_epoch=self.batches)
        stop_reason = "completed"
        for epoch in range(1, EPOCHS + 1):
            for batch in range(1, self.batches + 1):
                time.sleep(self.delay_s)
                history.batch_loss.append(1.0 / batch)
                step = (epoch - 1) * self.batches + batch
                listener.on_batch_end(BatchEnd(epoch=epoch, batch=batch, global_batch=step,
                                               batches_per_epoch=self.batches, loss=1.0 / batch,
                                               layer_norms={"rnn": 1.0}, weight_norms={"rnn": {"w_i": 1.0}}))
                control.wait_while_paused()
                if control.stop_requested:
                    stop_reason = "stopped"
                    break
            history.epochs.append({"loss": 0.5 / epoch, "accuracy": 0.5 + 0.2 * epoch})
            listener.on_epoch_end(EpochEnd(epoch=epoch, epochs=EPOCHS, logs=history.epochs[-1],
                                           gradient_flow=[1.0], elapsed_s=0.01))
            if stop_reason == "stopped":
                break
        return TrainingResult(model=SimpleNamespace(cell=project.model.cell), history=history,
                              stop_reason=stop_reason, message="", epochs_run=len(history.epochs),
                              final_metrics=dict(history.epochs[-1]))


@pytest.fixture
def make_session():
    sessions: list[TrainingSession] = []

    def make(trainer: FakeTrainer) -> TrainingSession:
        session = TrainingSession(TrainingWorker(train_function=trainer))
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        assert session.shutdown(10000)


def record_signals(session: TrainingSession) -> list[str]:
    seen: list[str] = []
    session.run_added.connect(lambda r: seen.append(f"added {r.label} {r.status}"))
    session.run_updated.connect(lambda r: seen.append(f"updated {r.label} {r.status}"))
    session.state_changed.connect(lambda state: seen.append(f"state {state}"))
    session.run_started.connect(lambda r, event: seen.append(f"started {r.label} on {event.device_name}"))
    session.batch_ended.connect(lambda run_id, event: seen.append("batch"))
    session.epoch_ended.connect(lambda run_id, event: seen.append("epoch"))
    session.progress_changed.connect(
        lambda p: seen.append(f"progress {p.epoch}/{p.epochs} {p.batch}/{p.batches_per_epoch}"))
    session.current_changed.connect(lambda r: seen.append(f"current {r.label if r else None}"))
    session.run_ended.connect(lambda r: seen.append(f"ended {r.label} {r.status}"))
    session.queue_finished.connect(lambda ids: seen.append(f"queue finished {ids}"))
    return seen


def test_a_run_reports_in_order_and_becomes_the_current_one(qtbot, make_session):
    session = make_session(FakeTrainer())
    seen = record_signals(session)
    with qtbot.waitSignal(session.queue_finished, timeout=TIMEOUT_MS):
        record = session.train([project("GRU")], DATA)
        assert session.is_training() and session.state() == "preparing"
    assert record.label == "#1 GRU" and record.run_id == "run-1"
    assert seen[:5] == ["added #1 GRU preparing", "state preparing", "updated #1 GRU running", "state running",
                        "started #1 GRU on Fake CPU"]
    assert seen.count("batch") == EPOCHS * BATCHES and seen.count("epoch") == EPOCHS
    # The last report shows the run's end; then the run ends, once.
    ending = seen[seen.index("state idle") - 1:]
    assert ending == ["progress 2/2 3/3", "state idle", "updated #1 GRU completed", "current #1 GRU",
                      "ended #1 GRU completed", "queue finished ['run-1']"]
    assert record.status is RunStatus.COMPLETED and record.epochs_run == EPOCHS
    assert record.final_metrics == {"loss": 0.25, "accuracy": 0.9}
    assert session.current is record and session.records() == [record] and not session.is_training()


def test_the_compare_queue_trains_one_after_another_and_continuing_starts_from_the_model(qtbot, make_session):
    trainer = FakeTrainer()
    session = make_session(trainer)
    ended = []
    session.run_ended.connect(ended.append)
    with qtbot.waitSignal(session.queue_finished, timeout=TIMEOUT_MS) as finished:
        session.train([project(cell) for cell in ("SimpleRNN", "LSTM", "GRU")], DATA)
    assert finished.args[0] == ["run-1", "run-2", "run-3"]
    assert [r.label for r in ended] == ["#1 SimpleRNN", "#2 LSTM", "#3 GRU"]
    assert all(r.status == RunStatus.COMPLETED for r in ended) and session.current is ended[-1]

    # Only the current run's network, on data of the same shapes, can go on training.
    gru = project("GRU")
    assert session.continuable_model(project("LSTM"), DATA) is None
    other_shapes = SimpleNamespace(info=SimpleNamespace(**{**vars(DATA.info), "input_shape": (6, 3)}))
    assert session.continuable_model(gru, other_shapes) is None
    model = session.continuable_model(gru, DATA)
    assert model is ended[-1].model
    with qtbot.waitSignal(session.run_ended, timeout=TIMEOUT_MS) as done:
        session.train([gru], DATA, model=model, label_suffix=" (continued from #3 GRU)")
    assert done.args[0].label == "#4 GRU (continued from #3 GRU)"
    assert trainer.models[-1] is model


def test_a_failure_ends_its_run_with_details_and_drops_the_rest_of_the_queue(qtbot, make_session):
    session = make_session(FakeTrainer(fail=("LSTM",)))
    ended = []
    session.run_ended.connect(ended.append)
    with qtbot.waitSignal(session.queue_finished, timeout=TIMEOUT_MS) as finished:
        session.train([project(cell) for cell in ("SimpleRNN", "LSTM", "GRU")], DATA)
    assert finished.args[0] == ["run-1", "run-2"]  # GRU never started
    first, failed = ended
    assert (first.status, failed.status) == (RunStatus.COMPLETED, RunStatus.FAILED)
    assert failed.failure.message == "Training failed unexpectedly: RuntimeError: the fake trainer broke"
    assert "Traceback" in failed.failure.details and failed.message == failed.failure.message
    # A failed run has no model: the last good one stays current.
    assert failed.model is None and session.current is first
    assert not session.is_training() and session.state() == "idle"


def test_stop_ends_the_run_after_its_batch_and_the_queue_with_it(qtbot, make_session):
    session = make_session(FakeTrainer(batches=200, delay_s=0.005))
    states = []
    session.state_changed.connect(states.append)

    def stop_at_first_batch(_run_id, event):
        if event.global_batch == 1:
            session.stop()

    session.batch_ended.connect(stop_at_first_batch)
    with qtbot.waitSignal(session.queue_finished, timeout=TIMEOUT_MS) as finished:
        session.train([project("SimpleRNN"), project("LSTM")], DATA)
    assert finished.args[0] == ["run-1"]
    record = session.record("run-1")
    assert record.status == RunStatus.STOPPED and len(record.history.batch_loss) < 200
    assert "stopping" in states and states[-1] == "idle"


def test_a_run_the_worker_refuses_is_marked_failed_and_raised(qtbot, make_session):
    session = make_session(FakeTrainer(batches=200, delay_s=0.005))
    session.train([project("LSTM")], DATA)
    # A second session on the same worker finds it busy.
    other = TrainingSession(session.worker)
    updated = []
    other.run_updated.connect(updated.append)
    with pytest.raises(TrainingError, match="already training"):
        other.train([project("GRU")], DATA)
    (refused,) = other.records()
    assert updated == [refused] and refused.status == RunStatus.FAILED and "already training" in refused.message
    assert not other.is_training() and other.state() == "idle"
    with qtbot.waitSignal(session.run_ended, timeout=TIMEOUT_MS):
        session.stop()
