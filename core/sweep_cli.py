"""``main.py sweep SWEEP.json --out DIR [--engine local|ray] [--address ADDR] [--max-concurrent N] [--resume] [--json]``.

Runs every trial of a sweep (``core.sweeps``) and prints a line as each one starts, finishes an
epoch and ends. ``DIR`` gets ``results.csv``, ``results.json``, ``sweep.json`` and ``trials/`` (one
bundle per trial), rewritten after every trial, so Ctrl-C (which ends the running trials after
their current batch) keeps what finished and ``--resume`` runs only the rest. A spec that cannot
be used exits with code 2 and the reason before any trial runs. With ``--json`` the last line of
stdout is ``{"trials", "completed", "failed", "stopped", "best": {"trial_id", "fields", "seed",
"metric", "value", "bundle"}, "results": PATH}``.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``sweep`` command on the main parser's subcommands."""
    from core.cli_common import whole_number
    from core.sweeps.engine import ENGINES

    sweep = sub.add_parser(
        "sweep", help="run many trials of a project (a grid, random draws, seeds) in parallel",
        description="Run a sweep: the base project with fields varied over a grid or random draws, each "
                    "combination with every seed, in parallel child processes on this machine or as Ray Tune "
                    "trials on a Ray cluster. Every trial is a normal training run and leaves a bundle.",
    )
    sweep.add_argument("sweep", metavar="SWEEP.json", help="sweep file (see resources/examples/sweeps)")
    sweep.add_argument("--out", required=True, metavar="DIR", help="output folder: results.csv, results.json, trials/")
    sweep.add_argument("--engine", choices=ENGINES, default="local",
                       help="local: child processes on this machine (default); ray: Ray Tune")
    sweep.add_argument("--address", default=None, metavar="ADDR",
                       help="ray only: 'auto' (the cluster this machine is part of) or ray://HOST:10001; "
                            "default: a local Ray instance sized to this machine")
    sweep.add_argument("--storage", default=None, metavar="PATH_OR_URI",
                       help="ray only: where Ray keeps the trials' checkpoints (default DIR/ray_results; a "
                            "multi-node cluster needs a folder every node reaches, or s3://...)")
    sweep.add_argument("--max-concurrent", type=whole_number(1), default=None, metavar="N",
                       help="trials at once (default: the cores)")
    sweep.add_argument("--resume", action="store_true", help="run only the trials DIR has no completed row for")
    sweep.add_argument("--json", action="store_true", help="end with one line: a JSON summary")
    sweep.set_defaults(handler=run)


def run(args) -> int:
    from core.cli_common import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error, jsonable, say
    from core.errors import ModelFileError
    from core.sweeps import SweepSpec, SweepSpecError, best_result, run_sweep
    from core.sweeps.engine import kept_on_resume
    from core.sweeps.results import RESULTS_JSON, bundle_path, metric_value
    from core.sweeps.trials import expand_trials

    if args.engine != "ray" and (args.address or args.storage):
        error("main.py sweep: --address and --storage are for --engine ray")
        return EXIT_USAGE
    try:
        spec = SweepSpec.load(args.sweep)
    except (SweepSpecError, ModelFileError) as exc:
        error(str(exc))
        return EXIT_USAGE
    count = len(expand_trials(spec))
    say(f"sweep {spec.name!r}: {count} trials on the {args.engine} engine, ranked by {spec.metric} ({spec.mode})")
    stop = threading.Event()
    progress = _Progress(count, spec.metric)
    with _stop_on_interrupt(stop):
        results = run_sweep(spec, args.out, engine=args.engine, address=args.address,
                            max_concurrent=args.max_concurrent, resume=args.resume, on_event=progress,
                            stop_event=stop, storage=args.storage)
    tally = {status: sum(r.status == status for r in results) for status in ("completed", "failed", "stopped")}
    best = best_result(spec, results)
    say(f"{tally['completed']} completed, {tally['failed']} failed, {tally['stopped']} stopped of {count} trials; "
         f"results in {args.out}")
    if best is not None:
        say(f"best: {best.trial_id} ({spec.metric} {metric_value(best, spec.metric):.4g}): {bundle_path(args.out, best)}")
    if stop.is_set():
        left = count - sum(kept_on_resume(spec, r) for r in results)
        say(f"stopped: run the same command with --resume to train the {left} trials left")
    if args.json:
        summary = {
            "trials": count, **tally,
            "best": None if best is None else {
                "trial_id": best.trial_id, "fields": best.fields, "seed": best.seed, "metric": spec.metric,
                "value": metric_value(best, spec.metric), "bundle": str(bundle_path(args.out, best)),
            },
            "results": str(Path(args.out) / RESULTS_JSON),
        }
        print(json.dumps(jsonable(summary)), flush=True)
    return EXIT_INTERRUPTED if stop.is_set() else EXIT_OK


class _Progress:
    """One line per trial start, epoch and end; called from the engine's threads, one call at a time."""

    def __init__(self, count: int, metric: str) -> None:
        self.count = count
        self.metric = metric
        self.ended = 0

    def __call__(self, event) -> None:
        from core.cli_common import say
        from core.sweeps import TrialEpoch, TrialFinished, TrialStarted

        if isinstance(event, TrialStarted):
            again = f" (attempt {event.attempt}, its worker died)" if event.attempt > 1 else ""
            say(f"start  {event.trial.trial_id}: {event.trial.describe()}{again}")
        elif isinstance(event, TrialEpoch):
            logs = "  ".join(f"{k} {v:.4g}" for k, v in event.logs.items())
            say(f"       {event.trial_id}: epoch {event.epoch}  {logs}")
        elif isinstance(event, TrialFinished):
            self.ended += 1
            row = event.result
            value = row.metrics.get(self.metric)
            what = f"{self.metric} {value:.4g}" if value is not None else row.error
            say(f"[{self.ended}/{self.count}] {row.status} {row.trial_id}: {what} ({row.seconds:.1f}s)")


@contextlib.contextmanager
def _stop_on_interrupt(stop: threading.Event):
    """A first Ctrl-C ends the running trials after their current batch and keeps the results; a second aborts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum, frame):
        from core.cli_common import error

        if stop.is_set():
            raise KeyboardInterrupt
        error("stopping the running trials after their current batch (Ctrl-C again to abort)")
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
