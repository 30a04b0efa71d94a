"""The local engine: trials in parallel child processes on this machine.

Why not ``core.runner.ProcessTrainer``: it sends the trained weights back and rebuilds the model
in the calling process, which is what the window needs for one run but would grow the sweep's
own process by every trial's model (bench/bench_memory.py) and serialise the saving of bundles
in it. Here each slot is a long-lived worker (forked ready from ``core.processes.child_context``,
TensorFlow already imported) that runs whole trials (data, training, bundle) with ``run_trial``
and sends back only epoch logs and the result row. A worker is replaced after ``RECYCLE_AFTER``
trials, for the memory every fitted model leaves behind.

Each worker gets an equal share of the cores as TensorFlow threads, so N workers on N cores do
not fight over them. A worker that dies (killed, out of memory) is replaced and its trial runs
again, at most ``MAX_RETRIES`` times; then the trial is a failed row naming the exit. A stop
request reaches every worker through one shared Event, which ``run_trial`` polls after every
batch.

``"scheduler": "asha"`` works here as on Ray (``core.sweeps.asha``, the same rungs and cutoff):
with it, a worker sends each epoch's logs, but the last, as a question and waits for the answer
before its next batch; the parent asks its ``Asha`` and answers "stop" for a trial that trails
the others at a rung. That trial ends within a batch with the scheduler's "stopped" row and no
bundle, and the worker takes the next trial. Waiting costs a round trip per epoch, and makes the
verdict land at the epoch it was made for, never after the trial has gone on to finish. A resumed
sweep's rungs start with the metrics of the trials it keeps (Ray's scheduler starts empty).
"""

from __future__ import annotations

import collections
import os
import signal
import threading
from multiprocessing import connection as mp_connection
from pathlib import Path
from typing import Any

from core.processes import (
    BACKGROUND_NICENESS,
    child_context,
    describe_exit,
    end_process,
    exit_with_parent,
    lower_priority,
)
from core.sweeps.asha import Asha, seed_rungs, sweep_settings
from core.sweeps.engine import MAX_RETRIES, Recorder
from core.sweeps.results import TrialResult
from core.sweeps.spec import SweepSpec
from core.sweeps.trials import Trial, trial_project

RECYCLE_AFTER = 20
POLL_S = 0.05


def run_local(spec: SweepSpec, trials: list[Trial], out_dir: Path, recorder: Recorder, *,
              max_concurrent: int | None = None, background: bool = False) -> None:
    """Run ``trials`` at most ``max_concurrent`` (default: the cores) at a time; returns when all have
    a row or a stop request has ended the running ones. ``background`` lowers the workers'
    priority (``core.processes.lower_priority``), so that the window and its training run stay
    responsive beside them; on a machine busy with other work a worker at nice 10 gets about a
    tenth of a core's share, so the command line, where the sweep is the work, leaves it off."""
    slots = max(1, min(max_concurrent or os.cpu_count() or 1, len(trials)))
    threads_per_trial = max(1, (os.cpu_count() or 1) // slots)
    niceness = BACKGROUND_NICENESS if background else 0
    pool = _Pool(spec, trials, out_dir, recorder, threads_per_trial, niceness)
    workers = [threading.Thread(target=pool.serve_slot, name=f"rnnlab-sweep-slot-{i}", daemon=True)
               for i in range(slots)]
    for worker in workers:
        worker.start()
    for worker in workers:
        while worker.is_alive():
            worker.join(POLL_S)
            if recorder.stop_requested:
                pool.stop.set()
    if pool.error is not None:
        raise pool.error


class _WorkerDiedError(Exception):
    pass


class _Pool:
    def __init__(self, spec: SweepSpec, trials: list[Trial], out_dir: Path, recorder: Recorder,
                 threads_per_trial: int, niceness: int) -> None:
        self.spec = spec
        self.out_dir = out_dir
        self.recorder = recorder
        self.threads = threads_per_trial
        self.niceness = niceness
        self.ctx = child_context()
        self.stop = self.ctx.Event()
        self.asha = Asha(sweep_settings(spec), spec.metric, spec.mode) if spec.scheduler == "asha" else None
        if self.asha is not None:
            seed_rungs(self.asha, recorder.results(), out_dir)
        self.error: BaseException | None = None
        self._queue: collections.deque[tuple[Trial, int]] = collections.deque((t, 1) for t in trials)
        self._lock = threading.Lock()

    def _next(self) -> tuple[Trial, int] | None:
        with self._lock:
            if self.stop.is_set() or self.recorder.stop_requested or not self._queue:
                return None
            return self._queue.popleft()

    def serve_slot(self) -> None:
        worker: _Worker | None = None
        try:
            while (item := self._next()) is not None:
                trial, attempt = item
                if worker is None or worker.trials >= RECYCLE_AFTER:
                    if worker is not None:
                        worker.close()
                    worker = _Worker(self.ctx, self.stop, self.threads, self.niceness)
                self.recorder.started(trial, attempt, worker.pid)
                try:
                    result = worker.run(trial_project(self.spec, trial), trial, self.out_dir, attempt, self.recorder,
                                        self.asha)
                except _WorkerDiedError as exc:
                    worker = None
                    self._died(trial, attempt, str(exc))
                    continue
                if result is not None:
                    self.recorder.finished(result)
        except BaseException as exc:  # noqa: BLE001 - raised by run_local in the caller's thread
            self.error = exc
            self.stop.set()
        finally:
            if worker is not None:
                worker.close()

    def _died(self, trial: Trial, attempt: int, reason: str) -> None:
        if self.stop.is_set() or self.recorder.stop_requested:
            return  # stopped (Ctrl-C reaches the workers too): it runs again with resume
        if attempt <= MAX_RETRIES:
            with self._lock:
                self._queue.appendleft((trial, attempt + 1))
            return
        self.recorder.finished(TrialResult(
            trial.trial_id, dict(trial.fields), trial.seed, "failed", attempts=attempt,
            error=f"its worker process died {attempt} times; the last time: {reason}"))


class _Worker:
    """A spawned process that runs trials one after another (``_worker_main``)."""

    def __init__(self, ctx, stop, threads: int, niceness: int) -> None:
        self.conn, child_conn = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child_conn, stop, threads, niceness),
                                   name="rnnlab-sweep-worker", daemon=True)
        self.process.start()
        child_conn.close()
        self.trials = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def run(self, project, trial: Trial, out_dir: Path, attempt: int, recorder: Recorder,
            asha: Asha | None = None) -> TrialResult | None:
        """The trial's row; raises _WorkerDiedError when the process ends before sending it.
        ``asha`` judges the trial after each epoch."""
        try:
            self.conn.send(("trial", project.to_dict(), trial, str(out_dir), attempt, asha is not None))
        except (OSError, ValueError):
            raise _WorkerDiedError(self._exit()) from None
        self.trials += 1
        while True:
            ready = mp_connection.wait([self.conn, self.process.sentinel], timeout=POLL_S)
            if not ready:
                continue
            try:
                message = self.conn.recv() if self.conn.poll() else None
            except (EOFError, OSError):
                message = None
            if message is None:
                raise _WorkerDiedError(self._exit())
            if message[0] == "epoch":
                _, epoch, logs, waiting = message
                stop = asha is not None and asha.judge(trial.trial_id, epoch, logs.get(asha.metric), last=not waiting)
                if waiting:
                    self._answer(stop)
                recorder.epoch(trial.trial_id, epoch, logs)
            elif message[0] == "done":
                return message[1]

    def _answer(self, stop: bool) -> None:
        try:
            self.conn.send(("stop" if stop else "go",))
        except (OSError, ValueError):
            pass  # the worker died: the wait above sees its sentinel next

    def _exit(self) -> str:
        self.process.join(2.0)
        return describe_exit(self.process.exitcode)

    def close(self) -> None:
        try:
            self.conn.send(("quit",))
        except (OSError, ValueError):
            pass
        end_process(self.process, 5.0)
        self.conn.close()


def _worker_main(conn, stop, threads: int, niceness: int) -> None:
    """A worker's loop: TensorFlow imported once with its share of the cores, then trials until "quit"."""
    # Ctrl-C reaches the whole process group; the parent stops the trials through ``stop``.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    exit_with_parent()
    lower_priority(niceness)
    from core.native_chatter import native_stderr_held

    with native_stderr_held():  # the runtime starts here: "failed call to cuInit" on a machine without a GPU
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    from core.specs import Project
    from core.sweeps.run_trial import run_trial

    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "trial":
            return
        _, project_data, trial, out_dir, attempt, judged = message
        project = Project.from_dict(project_data)

        # The last epoch is no question: a trial is never ended once it has finished.
        asked_before = project.training.epochs if judged else 0

        def send_epoch(epoch: int, logs: dict[str, Any], trial_conn=conn, asked_before=asked_before) -> bool:
            waiting = epoch < asked_before
            trial_conn.send(("epoch", epoch, logs, waiting))
            return waiting and trial_conn.recv() == ("stop",)

        result = run_trial(project, trial, out_dir, on_epoch=send_epoch, should_stop=stop.is_set, attempt=attempt)
        conn.send(("done", result))
