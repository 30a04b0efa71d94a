"""The Ray engine: every trial a Ray Tune function trainable that calls the same ``run_trial``.

Ray is imported only here, and only when a sweep asks for this engine (``pip install
"rnn-lab[ray]"``). Ray Tune, not Ray Train: Ray Train's TensorFlow path pins legacy Keras 2.

Where things run: without ``address`` a local Ray instance sized to this machine starts (and
stops after the sweep); ``address="auto"`` joins the cluster this machine belongs to (``ray start
--head`` here or ``ray start --address HEAD:6379`` on it) and ``ray://HOST:10001`` connects
through Ray Client. Trials run on the workers, each with one core (or the cluster's cores shared
by ``max_concurrent``); RNN Lab must be installed on every node, and a CSV a project reads must be
at the same path there.

How bundles come back: a trial trains and saves its bundle in a scratch folder on its worker,
then reports it as a Tune checkpoint with its final row. Tune persists the checkpoint to the
run's storage (``storage``: default ``OUT/ray_results``; on a multi-node cluster Ray >= 2.7 needs
a folder every node reaches, NFS, or a cloud URI such as ``s3://bucket/path``). Where the
experiment runs (here, or on the head node with Ray Client) a Tune callback reads the bundle from
there and sends its bytes, with every other event, to this process, which writes it into
``OUT/trials/``. So the output folder needs no shared filesystem. The default storage folder is
removed once the sweep ends.

Retries: ``FailureConfig(max_failures=MAX_RETRIES)``: a trial whose worker dies runs again. ASHA
(``scheduler: "asha"``) stops poor trials after whole epochs; such a trial keeps a "stopped" row
with its last epoch's metrics but no bundle. A stop request reaches the trials through a flag
they poll twice a second, then ends them after their current batch.

Two helpers carry the events and the stop flag, chosen by where things run (``_helpers``). On
Ray Client, or on a cluster with other nodes, they are small Ray actors (a ``ray.util.queue``
and a flag). On an instance of this machine alone (the default local instance, or a local
``ray start --head``), they are a plain queue in this process (the experiment's callbacks run
here) and a file that every worker sees: two actors fewer means two worker processes fewer to
start, which on a small machine is seconds of a short sweep. A node that joins such an instance
mid-sweep does not see the file; its trials still end at their next epoch, by the experiment's
stopper.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from core.atomic import atomic_write
from core.errors import RNNLabError
from core.sweeps.engine import MAX_RETRIES, Recorder
from core.sweeps.results import TRIALS_DIR, TrialResult
from core.sweeps.spec import METRICS, SweepSpec
from core.sweeps.trials import Trial, trial_project

ROW_KEY = "rnnlab_row"
# How often a trial looks at the stop flag (a file, or a small actor call): a tiny trial trains
# an epoch in ~50 ms, so a stop should not wait much longer to be seen.
STOP_POLL_S = 0.1
DEFAULT_STORAGE = "ray_results"
# Tune runs every trial in a new thread of its own, and TensorFlow and Keras build their per-thread
# state again in each: a trial cost 10-15 % more CPU so (12 bench trials: 19.8 CPU-s, against
# 16.9 in the local engine's workers, which train in one thread). So a worker's trials run one after
# another in one thread that lives as long as the worker; Tune's thread waits for it.
_TRIAL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rnnlab-trial")


def run_ray(spec: SweepSpec, trials: list[Trial], out_dir: Path, recorder: Recorder, *, address: str | None = None,
            max_concurrent: int | None = None, storage: str | None = None) -> None:
    """Run ``trials`` as one Ray Tune experiment; rows reach ``recorder`` as trials end."""
    try:
        import ray
        from ray import tune
    except ImportError:
        raise RNNLabError('The Ray engine needs Ray Tune: pip install "rnn-lab[ray]" (or "ray[tune]").') from None
    # Ctrl-C belongs to the caller (the command line stops the sweep itself), and so does the
    # progress output (Tune's newer console output ignores verbose=0).
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Tune's own per-trial logs (JSON, CSV, TensorBoard events) repeat what results.csv and the
    # bundles hold, and writing them cost a short sweep ~2 s (12 bench trials: 34.8-38.5 s
    # without, 35.7-41.4 s with). Set the variable to 0 to have them back.
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
    started_here = _connect(ray, address)
    logging.getLogger("ray.tune").setLevel(logging.WARNING)  # its INFO lines would interleave with progress
    # As fit() ends, Tune's result grid reads every trial's result.json and progress.csv; with the
    # loggers that write them off (above), it warns "Failed to fetch metrics" for every trial, which
    # reads as a failure. The results come home through the relay, not through those files.
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    events = flag = None
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        concurrent = min(max_concurrent or cpus, len(trials))
        cpus_per_trial = max(1, cpus // concurrent)
        events, flag = _helpers(ray)
        configs = [{"trial_id": t.trial_id, "fields": dict(t.fields), "seed": t.seed,
                    "project": trial_project(spec, t).to_dict(), "threads": cpus_per_trial}
                   for t in trials]
        default_storage = storage is None
        storage_path = str((out_dir / DEFAULT_STORAGE).absolute()) if default_storage else storage
        experiment = f"sweep-{time.strftime('%Y%m%d-%H%M%S')}"
        tuner = tune.Tuner(
            tune.with_resources(tune.with_parameters(_trainable, stop_flag=flag), {"cpu": cpus_per_trial}),
            param_space={"trial": tune.grid_search(configs)},
            tune_config=tune.TuneConfig(
                num_samples=1, max_concurrent_trials=concurrent, reuse_actors=True,
                trial_name_creator=_tid, trial_dirname_creator=_tid,
                scheduler=_scheduler(spec, recorder.results(), out_dir), metric=spec.metric if spec.scheduler else None,
                mode=spec.mode if spec.scheduler else None,
            ),
            run_config=tune.RunConfig(
                name=experiment, storage_path=storage_path, verbose=0,
                failure_config=tune.FailureConfig(max_failures=MAX_RETRIES),
                callbacks=[_events_callback(tune, events, flag)], stop=_stopper(tune, flag),
            ),
        )
        relay = _Relay(ray, events, flag, recorder, {t.trial_id: t for t in trials}, out_dir)
        try:
            with _actors_on_prestarted_workers(started_here):
                tuner.fit()
        finally:
            relay.close()
        if default_storage:
            shutil.rmtree(Path(storage_path) / experiment, ignore_errors=True)
            _remove_if_empty(Path(storage_path))
    finally:
        for helper in (events, flag):
            if helper is not None:
                helper.close()
        if started_here:
            _shutdown(ray)


def _connect(ray, address: str | None) -> bool:
    """Start or join Ray; True when this call started a local instance (which the sweep then stops)."""
    if ray.is_initialized():
        return False  # the caller's own instance (a test's, a notebook's): use it as it is
    try:
        if address is None:
            # What Tune sets for its actors, here for every worker of the instance to inherit
            # (see _actors_on_prestarted_workers).
            for name, value in (_tune_actor_env() or {}).items():
                os.environ.setdefault(name, value)
            # Ray turns token authentication on for a new local instance and says so, with "set
            # RAY_AUTH_MODE=disabled to opt out", into every sweep's output; that one notice, and
            # the INFO line "Started a local Ray instance", stay out. (Setting RAY_AUTH_MODE here
            # instead left the driver without its token: Ray reads its config at import.)
            token_notice = logging.getLogger("ray._private.authentication.authentication_token_setup")
            level = token_notice.level
            token_notice.setLevel(logging.ERROR)
            try:
                with _raylet_wait_polled_finely():
                    ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                             logging_level=logging.WARNING)
            finally:
                token_notice.setLevel(level)
            return True
        ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RNNLabError(f"Cannot connect to the Ray cluster at {address!r}: {exc}. Start one with "
                          "'ray start --head' and pass --address auto, or ray://HOST:10001.") from None
    return False


RAYLET_POLL_S = 0.02


@contextlib.contextmanager
def _raylet_wait_polled_finely():
    """While a local instance starts: ``ray.init`` waits for its raylet to register with the GCS
    through ``GlobalStateAccessor::GetNode``, which asks and, if the raylet is not there yet,
    sleeps a whole second before asking again (Ray 2.60). The raylet registers 0.3-1.3 s after it
    starts, so ray.init took 2.0 or 3.0 s here (bench_sweeps.py's 12 trials as one Ray command:
    13 or 14 s, against 9 s for the local engine). Asked every RAYLET_POLL_S instead, it took
    1.4-1.5 s (2.3 s when the raylet was slow to register), and Ray's own wait finds the raylet
    at its first try. Should Ray's private layout move, Ray's own wait runs as before."""
    try:
        from ray._private import services
        from ray._private.state import GlobalState

        original = services.get_node
        client_options = services._get_gcs_client_options
    except (ImportError, AttributeError):
        yield
        return

    def get_node(gcs_address, node_id):
        try:
            _wait_for_node(GlobalState, client_options(gcs_address), node_id)
        except Exception:  # noqa: BLE001 - Ray's private API moved or the GCS said no: Ray's own wait
            pass
        return original(gcs_address, node_id)

    services.get_node = get_node
    try:
        yield
    finally:
        services.get_node = original


def _wait_for_node(global_state_class, gcs_options, node_id: str, *, timeout_s: float = 30.0,
                   sleep=time.sleep) -> None:
    """Until the GCS lists the node ``node_id`` as alive (or ``timeout_s`` passes)."""
    state = global_state_class()
    state._initialize_global_state(gcs_options)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if any(node.get("NodeID") == node_id and node.get("Alive") for node in state.node_table()):
                return
            sleep(RAYLET_POLL_S)
    finally:
        state.disconnect()


def _shutdown(ray) -> None:
    """``ray.shutdown()`` less a wasted second. Ray stops its processes one at a time, the GCS
    before the autoscaler's monitor, whose SIGTERM handler then tries to reach the GCS until it
    is killed after a second's grace (1.0 of ray.shutdown's 1.3 s, Ray 2.60). The monitor of a
    local instance has nothing to save, so it is killed first."""
    try:
        from ray._private import ray_constants, worker

        for info in worker._global_node.all_processes.get(ray_constants.PROCESS_TYPE_MONITOR, []):
            info.process.kill()
            info.process.wait(timeout=1)
    except Exception:  # noqa: BLE001 - Ray's private layout moved: stop the ordinary way
        pass
    ray.shutdown()


@contextlib.contextmanager
def _actors_on_prestarted_workers(local_instance: bool):
    """On a local instance this process started, Tune's trial actors run in the idle workers Ray
    started with it. Tune gives its actors a runtime environment of their own (PL_DISABLE_FORK=1,
    for PyTorch Lightning), and Ray never hands such an actor a worker started without one: it
    started two more, importing Ray again, and killed the idle two unused (~2 CPU-s of a 2-core
    machine's 12-trial sweep). The variable is in this process's environment (``_connect``), which
    the instance's workers inherit, so Tune's own copy is left out while the experiment starts its
    actors. Elsewhere (a cluster, Ray Client), or on a Tune that moved it, nothing changes."""
    defaults = _tune_actor_env() if local_instance else None
    if defaults is None or any(os.environ.get(k) != v for k, v in defaults.items()):
        yield
        return
    saved = dict(defaults)
    defaults.clear()
    try:
        yield
    finally:
        defaults.update(saved)


def _tune_actor_env() -> dict[str, str] | None:
    """The environment variables Tune gives every trial actor (``DEFAULT_ENV_VARS`` of
    ``ray.tune.execution.class_cache``), or None on a Tune that keeps them elsewhere."""
    try:
        from ray.tune.execution import class_cache
    except ImportError:
        return None
    defaults = getattr(class_cache, "DEFAULT_ENV_VARS", None)
    return defaults if isinstance(defaults, dict) else None


def _scheduler(spec: SweepSpec, kept: list[TrialResult] = (), out_dir: Path | None = None):
    """None, or a Tune scheduler that asks core's ``Asha`` after every reported epoch, its rungs
    seeded with the trials a resumed sweep keeps (``asha.seed_rungs``), as the local engine does."""
    if spec.scheduler != "asha":
        return None
    from ray.tune.schedulers import FIFOScheduler, TrialScheduler

    from core.sweeps.asha import Asha, seed_rungs, sweep_settings

    asha = Asha(sweep_settings(spec), spec.metric, spec.mode)
    if kept and out_dir is not None:
        seed_rungs(asha, list(kept), out_dir)

    class SweepAsha(FIFOScheduler):
        _supports_buffered_results = False  # judged epoch by epoch, as Ray's ASHAScheduler asks

        def __init__(self) -> None:
            super().__init__()
            self.asha = asha

        def on_trial_result(self, tune_controller, trial, result: dict) -> str:
            # The final report (with the row) is the trial's last epoch: recorded, never ended.
            value = result.get(spec.metric)
            stop = self.asha.judge(_tid(trial), int(result.get("epoch", 0)), None if value is None else float(value),
                                   last=ROW_KEY in result)
            return TrialScheduler.STOP if stop else TrialScheduler.CONTINUE

    return SweepAsha()


def _helpers(ray):
    """(event queue, stop flag) for this sweep, each with a ``close()``: in-process and a file when
    the experiment runs here on a Ray instance of this machine alone, Ray actors otherwise."""
    if _only_this_machine(ray):
        return InProcessQueue(), FileFlag()
    # Tune's callbacks run where the experiment runs (on the head node with Ray Client), so they
    # reach this process through a Ray queue, as plain data and the bundles' bytes.
    return ActorQueue(), ActorFlag(ray.remote(_FlagActor).options(num_cpus=0).remote())


def _only_this_machine(ray) -> bool:
    """Whether this process drives the experiment (not Ray Client) and every node is this machine."""
    from ray.util import client

    if client.ray.is_connected():
        return False
    here = ray.util.get_node_ip_address()
    return all(node["NodeManagerAddress"] == here for node in ray.nodes() if node.get("Alive"))


class _QueueHelper:
    """What the relay and the trials' callback use of either queue helper: ``_queue`` is the queue."""

    _queue: Any

    def put(self, item) -> None:
        self._queue.put(item)

    def get(self, timeout: float | None = None):
        return self._queue.get(timeout=timeout)

    def empty(self) -> bool:
        return self._queue.empty()


class InProcessQueue(_QueueHelper):
    """A queue.Queue that survives pickling by name: Tune pickles its callbacks with the experiment's
    state (to restore it later), but in this process they must put into the queue the relay reads."""

    _LIVE: dict[str, queue.Queue] = {}

    def __init__(self) -> None:
        self.name = f"{os.getpid()}-{id(self)}"
        self._LIVE[self.name] = queue.Queue()

    def __getstate__(self) -> dict[str, str]:
        return {"name": self.name}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.name = state["name"]

    @property
    def _queue(self) -> queue.Queue:
        return self._LIVE[self.name]

    def close(self) -> None:
        self._LIVE.pop(self.name, None)


class ActorQueue(_QueueHelper):
    """ray.util.queue.Queue (an actor), with the ``close()`` the in-process queue has."""

    def __init__(self) -> None:
        from ray.util.queue import Queue

        self._queue = Queue(actor_options={"num_cpus": 0})

    def close(self) -> None:
        import ray

        ray.kill(self._queue.actor)


class FileFlag:
    """The stop flag as a file in a folder of its own: set once, seen by every process of this machine."""

    def __init__(self) -> None:
        self.path = os.path.join(tempfile.mkdtemp(prefix="rnnlab-sweep-"), "stop")

    def set(self) -> None:
        Path(self.path).touch()

    def is_set(self, timeout: float | None = None) -> bool:
        return os.path.exists(self.path)

    def close(self) -> None:
        shutil.rmtree(os.path.dirname(self.path), ignore_errors=True)


class ActorFlag:
    """The stop flag in a Ray actor, for trials on other nodes."""

    def __init__(self, actor) -> None:
        self.actor = actor

    def set(self) -> None:
        import ray

        ray.get(self.actor.set.remote())

    def is_set(self, timeout: float | None = None) -> bool:
        import ray

        return bool(ray.get(self.actor.is_set.remote(), timeout=timeout))

    def close(self) -> None:
        import ray

        ray.kill(self.actor)


class _FlagActor:
    """A Ray actor holding one flag: set by the driver when the sweep is stopped, read by the trials."""

    def __init__(self) -> None:
        self.value = False

    def set(self) -> None:
        self.value = True

    def is_set(self) -> bool:
        return self.value


class _Relay:
    """In this process: turns the queued events into the recorder's calls and mirrors a stop into the flag."""

    def __init__(self, ray, events, flag, recorder: Recorder, by_id: dict[str, Trial], out_dir: Path) -> None:
        self._ray, self._events, self._flag = ray, events, flag
        self._recorder, self._by_id, self._out_dir = recorder, by_id, out_dir
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rnnlab-ray-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        flagged = False
        while not self._done.is_set() or not self._events.empty():
            if self._recorder.stop_requested and not flagged:
                self._flag.set()
                flagged = True
            try:
                item = self._events.get(timeout=0.1)
            except Exception:  # noqa: BLE001 - queue.Empty or ray.util.queue.Empty: nothing yet
                continue
            self._handle(*item)

    def _handle(self, kind: str, trial_id: str, *args: Any) -> None:
        trial = self._by_id[trial_id]
        if kind == "started":
            self._recorder.started(trial, args[0])
        elif kind == "epoch":
            self._recorder.epoch(trial_id, args[0], args[1])
        elif kind == "finished":
            row, bundle = TrialResult.from_dict(args[0]), args[1]
            if bundle is not None:
                target = self._out_dir / row.bundle
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, lambda fh: fh.write(bundle), what="trial bundle")
            self._recorder.finished(row)

    def close(self) -> None:
        self._done.set()
        self._thread.join()


def _stopper(tune, flag):
    class SweepStopper(tune.Stopper):
        """Ends the experiment (no further trials start) once the sweep is stopped."""

        def __call__(self, trial_id: str, result: dict) -> bool:
            return self.stop_all()

        def stop_all(self) -> bool:
            return flag.is_set()

    return SweepStopper()


def _events_callback(tune, events, flag):
    class SweepEvents(tune.Callback):
        """Sends Tune's trial events (where the experiment runs) to the sweep's process, bundles included."""

        def __init__(self):
            self._announced: set[tuple[str, int]] = set()

        def on_trial_start(self, iteration, trials, trial, **info):
            self._announce(trial)

        def on_trial_recover(self, iteration, trials, trial, **info):
            self._announce(trial)

        def _announce(self, trial) -> None:
            # A retry is announced twice by Tune (recovering, then starting): tell it once.
            attempt = (_tid(trial), trial.num_failures + 1)
            if attempt not in self._announced:
                self._announced.add(attempt)
                events.put(("started", *attempt))

        def on_trial_result(self, iteration, trials, trial, result, **info):
            if ROW_KEY not in result:
                events.put(("epoch", _tid(trial), int(result.get("epoch", 0)),
                            {k: float(result[k]) for k in METRICS if k in result}))

        def on_trial_complete(self, iteration, trials, trial, **info):
            # Ended without its final row: by the scheduler, or by the sweep's stop (the stopper).
            finished = _finished_row(trial, stop_requested=flag.is_set())
            if finished is not None:
                events.put(("finished", _tid(trial), *finished))

        def on_trial_error(self, iteration, trials, trial, **info):
            config = trial.config["trial"]
            error = trial.get_error()
            reason = str(error).strip().splitlines()[-1] if error else "its worker failed"
            row = TrialResult(config["trial_id"], dict(config["fields"]), config["seed"], "failed",
                              attempts=trial.num_failures,
                              error=f"failed {trial.num_failures} times; the last time: {reason}")
            events.put(("finished", row.trial_id, row.to_dict(), None))

    return SweepEvents()


def _tid(trial) -> str:
    return trial.config["trial"]["trial_id"]


def _finished_row(trial, stop_requested: bool = False) -> tuple[dict[str, Any], bytes | None] | None:
    """The ended trial's row and its bundle's bytes; None for a trial the sweep's stop request ended
    before its final row (it runs again with resume). Tune ends such a trial either through the
    stopper's ``stop_all`` (no callback) or through its per-result call (``on_trial_complete``),
    whichever sees the flag first, or its worker sees the flag first and reports a "stopped" row;
    all three must leave no row. A trial that ended after an epoch without its final row and
    without a stop request was stopped by the scheduler (``asha.stopped_row``, done for resume)."""
    from core.sweeps.asha import stopped_row

    config = trial.config["trial"]
    result = trial.last_result or {}
    attempts = trial.num_failures + 1
    if ROW_KEY not in result:
        if stop_requested or not result.get("epoch"):
            return None
        row = stopped_row(Trial(config["trial_id"], dict(config["fields"]), config["seed"]), int(result["epoch"]),
                          result, attempts=attempts)
        return row.to_dict(), None
    row = TrialResult.from_dict(json.loads(result[ROW_KEY]))
    if stop_requested and row.status == "stopped":
        return None  # its worker saw the flag before Tune ended it: the same trial, the same outcome
    row.attempts = attempts
    bundle = None
    if row.bundle and trial.checkpoint is not None:
        with trial.checkpoint.as_directory() as folder:
            bundle = (Path(folder) / Path(row.bundle).name).read_bytes()
    elif row.bundle:
        row.bundle, row.error = None, row.error or "its bundle did not come back from the Ray worker"
    return row.to_dict(), bundle


# --- on the workers -----------------------------------------------------------------------------


def _trainable(config: dict[str, Any], stop_flag=None) -> None:
    """One trial in a Ray worker: per-epoch reports, then the final row with the bundle as checkpoint."""
    from ray import tune

    from core.specs import Project
    from core.sweeps.run_trial import run_trial

    settings = config["trial"]
    _share_cores(settings["threads"])
    stop = _StopWatcher(stop_flag)
    scratch = tempfile.mkdtemp(prefix="rnnlab-trial-")
    try:
        if stop.is_set():
            return
        project = Project.from_dict(settings["project"])
        trial = Trial(settings["trial_id"], settings["fields"], settings["seed"])
        epochs = project.training.epochs

        def on_epoch(epoch: int, logs: dict[str, float]) -> None:
            # The last epoch comes with the final row, so the scheduler never stops a finished trial.
            if epoch < epochs:
                tune.report({"epoch": epoch, **logs})

        row = _TRIAL_THREAD.submit(run_trial, project, trial, scratch, on_epoch=on_epoch,
                                   should_stop=stop.is_set).result()
        final = {"epoch": row.epochs, **row.metrics, ROW_KEY: json.dumps(row.to_dict())}
        checkpoint = tune.Checkpoint.from_directory(str(Path(scratch) / TRIALS_DIR)) if row.bundle else None
        tune.report(final, checkpoint=checkpoint)
    finally:
        stop.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _share_cores(threads: int) -> None:
    """TensorFlow threads = the trial's cores; settable only before TensorFlow's first op in this worker."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # a reused worker: already set by its first trial


class _StopWatcher:
    """Polls the sweep's stop flag in the background, so a trial's check after every batch costs nothing."""

    def __init__(self, flag) -> None:
        self._flag = flag
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._poll()
        self._thread = threading.Thread(target=self._run, name="rnnlab-stop-watch", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        try:
            if self._flag.is_set(timeout=STOP_POLL_S * 4):
                self._stopped.set()
        except Exception:  # noqa: BLE001 - a slow or lost flag is not a reason to stop training
            pass

    def _run(self) -> None:
        while not self._done.wait(STOP_POLL_S) and not self._stopped.is_set():
            self._poll()

    def is_set(self) -> bool:
        return self._stopped.is_set()

    def close(self) -> None:
        self._done.set()
        self._thread.join()


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
