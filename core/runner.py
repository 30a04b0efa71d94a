"""Training in a long-lived child process that is replaced every few runs.

Why: every newly built and fitted Keras RNN leaves 11-17 MB resident in the process that trained it
(TensorFlow keeps its traced graphs alive from C++; ``clear_session``, ``gc`` and ``malloc_trim``
do not give it back). So the window trains through ``ProcessTrainer``: a child process imports
TensorFlow once, serves runs, and is thrown away after ``recycle_after_runs`` runs or once it holds
more than ``recycle_above_mb``; its memory goes back to the system with it. bench/bench_memory.py
(20 runs, the architecture changing every run, 2 cores): in one process +383 MB; through this class
+28 MB for the calling process and +165 MB for it and its child together. The price is a second
TensorFlow in memory (~600 MB for the child). A recycled child is forked from a server that has
imported TensorFlow already (``core.processes.child_context``), so a recycle costs a fraction of a
second, not a ~5 s import.

``ProcessTrainer.train`` is a drop-in for ``core.training.train``: it blocks the calling thread,
calls the listener's methods in that thread and in the same order, honours the same
``TrainingControl`` and returns a ``TrainingResult`` whose model is a plain Keras model built
here from the trained weights (and optimizer state), equal to the one an in-process run returns.

This module is the parent side; the child's entry point and its side of the protocol are in
``core.runner_child``.

Protocol (one duplex pipe; every message is a tuple):
    parent -> child  ("train", job_id, job) | ("call", job_id, "module:function", args) | ("quit",)
    child -> parent  ("ready", pid) | ("fatal", traceback) | ("event", job_id, name, event)
                     | ("done", job_id, payload) | ("error", job_id, payload)
Stop and pause travel through two ``multiprocessing.Event``s that the child's control reads after
every batch; the parent copies the caller's ``TrainingControl`` into them every ~20 ms and right
after each listener call. Events are sent without waiting for the parent (a per-batch round trip
would tie the training speed to the GUI thread's hold on the GIL), so the child may be one batch
ahead of the listener: a stop requested from ``on_batch_end(k)`` ends the run after batch k+1 at
the latest (the batch in flight), where in-process it ends after batch k. Settings changed while
paused (``TrainingControl.request_changes``) travel through a ``multiprocessing.SimpleQueue``,
queued before the child's running Event is set again.

Devices: TensorFlow's runtime starts once per child, so per-run ``CUDA_VISIBLE_DEVICES`` is not
possible; ``training.device`` is handled by ``core.training`` (``tf.device`` / mirrored
strategy) as in-process. ``env`` sets variables (``CUDA_VISIBLE_DEVICES``, thread counts) before
the child's runtime starts (the fork server only imported TensorFlow). The child turns on GPU memory growth so that it and the parent
(which holds the trained models for prediction) can share a GPU; TensorFlow otherwise maps
nearly all GPU memory into the first process that touches it.

The child is started with multiprocessing's "forkserver" or "spawn" method, which re-imports the
main script of the program in the child: a script that uses ``ProcessTrainer`` needs the usual
``if __name__ == "__main__":`` guard (``main.py`` and pytest have it).

Failures: an ``RNNLabError`` raised in the child is raised here with the same class and message.
Any other exception becomes a ``TrainingError`` naming the exception and where it was raised,
with the child's traceback as its ``__cause__``. A child that dies (killed, crashed, out of
memory) gives a ``TrainingError`` naming the exit code, and a fresh child is started at once.
As in ``core.training``, ``listener.on_failed`` is called only for failures after
``on_run_started``. A stop requested while the child is still starting ends the run at once with
``StoppedBeforeStartError`` (in-process, the run would stop after its first batch); the child
goes on starting for the next run.
"""

from __future__ import annotations

import importlib
import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing import connection as mp_connection
from typing import Any

from core.course import optimizer_from_state, optimizer_state, restore_state
from core.errors import Failure, ProcessDiedError, RNNLabError, StoppedBeforeStartError, TrainingError
from core.history import History, TrainingResult
from core.models import build_model, loss_and_metrics
from core.processes import child_context, describe_exit, end_process
from core.runner_child import child_main, rss_mb
from core.training import make_optimizer

POLL_S = 0.02
# How long a run may take to end after a stop request (one batch plus the epoch's validation and
# gradient-flow pass) before the child is considered hung and killed.
STOP_GRACE_S = 120.0
START_TIMEOUT_S = 300.0
CHILD_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    # The child's stdout/stderr are the app's terminal; Keras' progress bars are off anyway (verbose=0).
    "PYTHONUNBUFFERED": "1",
}


class _RemoteTracebackError(Exception):
    """Carries the child's formatted traceback as the ``__cause__`` of the error raised here."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


@dataclass(eq=False)
class _Child:
    process: Any
    conn: Any  # parent end of the pipe
    stop: Any  # multiprocessing.Event: set = stop after the batch in flight
    running: Any  # multiprocessing.Event: clear = pause between batches
    changes: Any = None  # multiprocessing.SimpleQueue: settings changed while paused
    ready: bool = False
    runs: int = 0
    busy: bool = False  # a thread reads the pipe: a retirement leaves closing it to that thread
    retired: bool = False
    _pipe_lock: Any = field(default_factory=threading.Lock)

    def close_pipe(self) -> None:
        """Close our end of the pipe once, whichever thread comes first.

        The thread that read the pipe and the one that reaps the child may both get here; a
        second ``Connection.close`` would close the file descriptor again ("Bad file
        descriptor"), or worse, close a file that has been given the same number since.
        """
        with self._pipe_lock:
            if not self.conn.closed:
                self.conn.close()

    def let_go(self) -> None:
        """The thread that read the pipe is done with it; if the child was retired meanwhile, close it."""
        self.busy = False
        if self.retired:
            self.close_pipe()


class ProcessTrainer:
    """Runs ``core.training.train`` in a recycled child process; see the module docstring."""

    def __init__(self, recycle_after_runs: int = 5, recycle_above_mb: float = 1500, *,
                 env: Mapping[str, str] | None = None, start_timeout_s: float = START_TIMEOUT_S,
                 stop_grace_s: float = STOP_GRACE_S):
        if recycle_after_runs < 1:
            raise ValueError(f"recycle_after_runs must be >= 1, got {recycle_after_runs}")
        self.recycle_after_runs = recycle_after_runs
        self.recycle_above_mb = recycle_above_mb
        self.env = {**CHILD_ENV, **dict(env or {})}
        self.start_timeout_s = start_timeout_s
        self.stop_grace_s = stop_grace_s
        self._ctx = child_context()
        self._lock = threading.RLock()  # guards _child, _reapers and retiring, never held during a run
        self._close_lock = threading.Lock()  # one close at a time: a second waits for the first
        self._run_lock = threading.Lock()  # one run at a time
        self._child: _Child | None = None
        self._reapers: list[threading.Thread] = []
        self._job_ids = itertools.count(1)
        self._closing = False
        self._last_pid: int | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, *, wait: bool = True, timeout: float | None = None) -> int:
        """Start the child if none is alive; with ``wait``, block until it has imported TensorFlow.

        Returns the child's pid. Raises TrainingError if the child cannot start.
        """
        with self._lock:
            self._closing = False
            child = self._live_child_locked()
        if wait and not child.ready:
            timeout = timeout if timeout is not None else self.start_timeout_s
            if self._run_lock.acquire(blocking=False):
                child.busy = True
                try:
                    self._wait_ready(child, timeout)
                finally:
                    child.let_go()
                    self._run_lock.release()
            else:
                # A run is reading the pipe (and waiting for the same child): just watch the flag.
                deadline = time.monotonic() + timeout
                while not child.ready and child.process.is_alive() and time.monotonic() < deadline:
                    time.sleep(POLL_S)
                if not child.ready:
                    raise TrainingError("The training process did not start.")
        return child.process.pid

    def warm(self) -> None:
        """Start the child in the background (returns at once) so the first run skips the TF import."""
        self.start(wait=False)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the child (and any being retired): ask it to quit, then terminate or kill it.

        A run in progress is asked to stop; ``train`` then returns its result or raises
        TrainingError if the child had to be killed.
        """
        with self._close_lock:
            with self._lock:
                self._closing = True
                child, self._child = self._child, None
                reapers, self._reapers = self._reapers, []
            if child is not None:
                self._retire(child, timeout=timeout, background=False)
            deadline = time.monotonic() + timeout + 5.0
            for thread in reapers:
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> ProcessTrainer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The current child's pid (None when none is running)."""
        with self._lock:
            child = self._child
        return child.process.pid if child is not None and child.process.is_alive() else None

    @property
    def last_pid(self) -> int | None:
        """The pid of the child that served the last run (None before the first)."""
        return self._last_pid

    @property
    def runs_in_child(self) -> int:
        """Runs the current child has served (it is replaced after ``recycle_after_runs``)."""
        with self._lock:
            return self._child.runs if self._child is not None else 0

    def child_rss_mb(self) -> float | None:
        pid = self.pid
        return rss_mb(pid) if pid is not None else None

    def _live_child_locked(self) -> _Child:
        child = self._child
        if child is not None and child.process.is_alive():
            return child
        if child is not None:
            self._retire(child, timeout=1.0, background=True)
        self._child = self._spawn()
        return self._child

    def _spawn(self) -> _Child:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        stop, running, changes = self._ctx.Event(), self._ctx.Event(), self._ctx.SimpleQueue()
        running.set()
        process = self._ctx.Process(
            target=child_main, args=(child_conn, stop, running, dict(self.env), changes),
            name="rnnlab-training", daemon=True,
        )
        process.start()
        # Our copy of the child's end must go, or a dead child would never read as EOF.
        child_conn.close()
        return _Child(process=process, conn=parent_conn, stop=stop, running=running, changes=changes)

    def _retire(self, child: _Child, *, timeout: float, background: bool) -> None:
        """Ask a child to quit; join, then terminate, then kill it. Never blocks past ``timeout`` + 4 s.

        A child is retired once: a run that finds its child dead and a close may both try.
        """
        with self._lock:
            if child.retired:
                return
            child.retired = True
        if not child.ready:
            timeout = 0.0  # still importing TensorFlow: nothing to lose, do not make the app wait
        # A busy child reads "quit" only after its run: make that run end now.
        child.stop.set()
        child.running.set()
        if not child.busy:
            try:
                child.conn.send(("quit",))
            except (OSError, ValueError):
                pass  # already gone

        def reap() -> None:
            end_process(child.process, timeout)
            if not child.busy:
                child.close_pipe()

        if background:
            thread = threading.Thread(target=reap, name="rnnlab-reaper", daemon=True)
            thread.start()
            with self._lock:
                self._reapers = [t for t in self._reapers if t.is_alive()] + [thread]
        else:
            reap()

    def _replace(self, child: _Child) -> None:
        """Retire ``child`` and start its successor in the background (unless we are closing)."""
        with self._lock:
            if self._child is child:
                self._child = None if self._closing else self._spawn()
        self._retire(child, timeout=10.0, background=True)

    # --- a run ----------------------------------------------------------------------------------

    def train(self, project, data, *, listener=None, control=None, model=None):
        """Like ``core.training.train(project, data, listener=..., control=..., model=...)``, in the child.

        ``model`` (optional) is trained further, as in-process: its architecture and weights go to
        the child, and the trained weights come back into this same object.
        """
        if not self._run_lock.acquire(blocking=False):
            raise TrainingError("A training run is already in progress; stop it before starting another.")
        try:
            return self._train(project, data, listener, control, model)
        finally:
            self._run_lock.release()

    def _train(self, project, data, listener, control, model):
        child, (kind, payload, run_started, listener_error) = self._exchange(
            ("train", next(self._job_ids), _job(project, data, model)), listener, control)
        child.runs += 1
        rss = payload.get("rss_mb") if kind == "done" else None
        if child.runs >= self.recycle_after_runs or (rss is not None and rss > self.recycle_above_mb):
            # Start the successor now, so it imports TensorFlow while this result is shown.
            self._replace(child)
        if listener_error is not None:
            # As in-process: a listener's exception ends the run, is reported, and propagates.
            if listener is not None:
                try:
                    listener.on_failed(Failure.from_exception(listener_error).message)
                except Exception:  # noqa: BLE001 - the original error matters more
                    pass
            raise listener_error
        if kind == "error":
            raise _rebuild_error(payload, listener, run_started)
        result = _rebuild_result(project, data.info, payload, model)
        if listener is not None:
            listener.on_finished(result)
        return result

    def call(self, target: str, *args: Any) -> Any:
        """``module:function(*args)`` run in the child; its result (picklable) comes back.

        For work that may take its process down (loading a model file from elsewhere): then the
        child dies instead of the caller, ``ProcessDiedError`` says so, and a fresh child starts.
        An RNNLabError raised there is raised here with the same class and message. A run in
        progress makes it wait for nothing: it raises TrainingError at once.
        """
        if not self._run_lock.acquire(blocking=False):
            raise TrainingError("The training process is busy with a run; stop it first.")
        try:
            child, (kind, payload, _, _) = self._exchange(("call", next(self._job_ids), target, args), None, None)
            child.runs += 1  # what the call built stays in the child, as a run's model does
            if child.runs >= self.recycle_after_runs:
                self._replace(child)
            if kind == "error":
                raise _rebuild_error(payload, None, False)
            return payload
        finally:
            self._run_lock.release()

    def _exchange(self, message: tuple, listener, control):
        """Send a job (``("train" | "call", job_id, ...)``) to a ready child and relay its events
        until its answer; returns the child that served it and ``_serve``'s answer.

        Only the child keeps the job once it is sent: a run's arrays and weights do not stay in
        memory here while it trains. A child that an exception leaves mid-job or in an unknown
        state cannot serve the next one: it is replaced.
        """
        job_id = message[1]
        with self._lock:
            self._closing = False
            child = self._live_child_locked()
            child.busy = True  # set before close() can take the child: the pipe is ours until let_go
        if message[0] == "train":
            self._last_pid = child.process.pid
        try:
            self._wait_ready(child, self.start_timeout_s, control)
            if message[0] == "train":  # a run starts neither stopped nor paused, unless the caller says so
                child.stop.clear()
                child.running.set()
                _mirror(child, control)
            try:
                child.conn.send(message)
            except (OSError, ValueError):
                self._child_died(child, run_started=False, listener=listener)
            del message
            return child, self._serve(child, job_id, listener, control)
        except StoppedBeforeStartError:
            raise  # nothing was sent: the child goes on starting, for the next run
        except BaseException:
            child.busy = False
            self._replace(child)
            raise
        finally:
            child.let_go()

    def _wait_ready(self, child: _Child, timeout: float, control=None) -> None:
        """Until the child has imported TensorFlow. A stop asked meanwhile (``control``) ends the
        wait at once: on a loaded machine the import takes tens of seconds, too long to ignore Stop."""
        deadline = time.monotonic() + timeout
        while not child.ready:
            if control is not None and control.stop_requested:
                raise StoppedBeforeStartError("Stopped before the first batch: the training process was still "
                                              "starting (importing TensorFlow).")
            try:
                ready = mp_connection.wait([child.conn, child.process.sentinel], timeout=POLL_S)
            except (OSError, ValueError):  # close() reaped the child and shut its pipe meanwhile
                self._child_failed_to_start(child)
            if child.conn in ready:
                try:
                    message = child.conn.recv()
                except (EOFError, OSError):
                    self._child_failed_to_start(child)
                if message[0] == "ready":
                    child.ready = True
                elif message[0] == "fatal":
                    self._replace(child)
                    raise TrainingError("The training process could not start:\n" + message[1].strip())
            elif ready:
                self._child_failed_to_start(child)
            if time.monotonic() > deadline:
                self._kill(child)
                raise TrainingError(f"The training process did not start within {timeout:.0f} s "
                                    "(importing TensorFlow); the next run tries a fresh one.")

    def _serve(self, child: _Child, job_id: int, listener, control):
        """Relay the child's events to ``listener`` until the run ends.

        Returns (kind, payload, whether on_run_started was seen, the listener's exception or None).
        A listener that raises gets no more events; the run is stopped and drained first, so the
        child stays in step and can serve the next run.
        """
        run_started = False
        listener_error: BaseException | None = None
        stop_since: float | None = None
        while True:
            stopping = _mirror(child, control) or listener_error is not None or self._closing
            if stopping:
                if listener_error is not None or self._closing:
                    child.stop.set()
                    child.running.set()
                stop_since = stop_since or time.monotonic()
                if time.monotonic() - stop_since > self.stop_grace_s:
                    self._kill(child)
                    raise TrainingError(f"The training process did not stop within {self.stop_grace_s:.0f} s "
                                        "of the stop request and was killed; the next run starts a fresh one.")
            ready = mp_connection.wait([child.conn, child.process.sentinel], timeout=POLL_S)
            if not ready:
                continue
            if child.conn not in ready and not child.conn.poll():
                self._child_died(child, run_started=run_started, listener=listener)
            try:
                message = child.conn.recv()
            except (EOFError, OSError):
                self._child_died(child, run_started=run_started, listener=listener)
            if message[0] in ("ready", "fatal") or message[1] != job_id:
                continue
            kind = message[0]
            if kind == "event":
                name, event = message[2], message[3]
                run_started = run_started or name == "on_run_started"
                if listener is not None and listener_error is None:
                    try:
                        # A listener written before an event existed simply does not get it.
                        handler = getattr(listener, name, None)
                        if handler is not None:
                            handler(event)
                    except BaseException as exc:  # noqa: BLE001 - re-raised once the child has stopped
                        listener_error = exc
                    _mirror(child, control)
            elif kind in ("done", "error"):
                return kind, message[2], run_started, listener_error

    def _child_failed_to_start(self, child: _Child) -> None:
        child.process.join(2.0)
        code = child.process.exitcode
        closing = self._closing
        self._replace(child)
        if closing:
            raise TrainingError("The training process was closed before the run started.")
        raise TrainingError(
            f"The training process could not start ({describe_exit(code)}); its error is printed on the "
            "terminal. A script that uses ProcessTrainer must guard its top level with "
            "'if __name__ == \"__main__\":', since the process re-imports the script."
        )

    def _child_died(self, child: _Child, *, run_started: bool, listener) -> None:
        """Raise TrainingError for a child that exited; start its successor first."""
        child.process.join(2.0)
        code = child.process.exitcode
        closing = self._closing
        self._replace(child)
        if closing:
            message = "The training process was closed while the run was active."
        else:
            message = (f"The training process stopped unexpectedly ({describe_exit(code)}). Running out of "
                       "memory or a crash inside TensorFlow are the usual causes; try a smaller model or batch "
                       "size. The next run starts in a fresh process.")
        if run_started and listener is not None:
            listener.on_failed(message)
        if closing:
            raise TrainingError(message)
        raise ProcessDiedError(message, code)

    def _kill(self, child: _Child) -> None:
        child.process.kill()
        child.process.join(2.0)
        self._replace(child)


def _job(project, data, model) -> dict[str, Any]:
    """What the child needs to train ``project`` on ``data``, continuing ``model`` if given."""
    job = {
        "project": project.to_dict(),
        "info": data.info.to_dict(),
        "x_train": data.x_train, "y_train": data.y_train, "x_val": data.x_val, "y_val": data.y_val,
    }
    if model is not None:
        job["model_json"] = model.to_json()
        job["model_weights"] = model.get_weights()
        job["optimizer_state"] = optimizer_state(getattr(model, "optimizer", None))
    return job


def _mirror(child: _Child, control) -> bool:
    """Copy the caller's control into the child's events; return whether a stop is requested."""
    if control is None:
        return False
    if control.stop_requested:
        child.stop.set()
        child.running.set()
        return True
    # Read the pause before taking the changes: a caller requests changes before it resumes, so
    # whenever the run is seen resumed here its changes are already queued for the child, and
    # the child's first batch after the pause uses them.
    paused = control.paused
    changes = control.take_changes() if hasattr(control, "take_changes") else {}
    if changes and child.changes is not None:
        child.changes.put(changes)
    if paused:
        child.running.clear()
    else:
        child.running.set()
    return False


# --- rebuilding what the child sent -------------------------------------------------------------


def _rebuild_error(payload: dict[str, Any], listener, run_started: bool) -> BaseException:
    remote = _RemoteTracebackError(payload["traceback"])
    exc: BaseException | None = None
    if payload["expected"]:
        try:
            cls = getattr(importlib.import_module(payload["module"]), payload["name"])
        except (ImportError, AttributeError):
            cls = None
        if isinstance(cls, type) and issubclass(cls, RNNLabError):
            # Subclasses such as SpecError take other constructor arguments: set the message directly.
            exc = cls.__new__(cls)
            Exception.__init__(exc, payload["message"])
            exc.__dict__.update(payload["attrs"])
        else:
            exc = TrainingError(payload["message"])
        failed_message = payload["failed_message"]
    else:
        exc = TrainingError(f"Training failed in the training process: {payload['summary']}")
        failed_message = str(exc)
    if listener is not None and run_started and payload["failed_message"] is not None:
        listener.on_failed(failed_message)
    exc.__cause__ = remote
    return exc


def _rebuild_result(project, info, payload: dict[str, Any], model=None):
    _share_gpus_in_this_process()
    if model is None:
        model = build_model(project.model, info)
    model.set_weights(payload["weights"])
    loss, metrics = loss_and_metrics(info)
    # The optimizer as the run ended: its learning rate and clipping may have changed while paused.
    state = payload["optimizer"]
    optimizer = optimizer_from_state(state) if state else make_optimizer(project.training)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    restore_state(optimizer, model.trainable_variables, state)
    return TrainingResult(
        model=model,
        history=History.from_dict(payload["history"]),
        stop_reason=payload["stop_reason"],
        message=payload["message"],
        epochs_run=payload["epochs_run"],
        final_metrics=dict(payload["final_metrics"]),
    )


def _share_gpus_in_this_process() -> None:
    """Turn on GPU memory growth here if TensorFlow has not initialised its devices yet.

    Otherwise this process maps nearly all GPU memory when it builds the result model, and the
    child's next run finds none. Once devices exist the setting cannot change (RuntimeError).
    """
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            pass
