"""Memory over a session: 20 training runs, the architecture changing between runs (issue 4, item 6).

The window trains through ``core.runner.ProcessTrainer``: a child process that is replaced every
5 runs (or above 1500 MB), because each newly built and fitted Keras RNN leaves 11-17 MB resident
in the process that trained it. This script runs the same 20 runs two ways:

* through ``ProcessTrainer`` in this process (the window's way). This process plays the window:
  it keeps every run's result (model included), as the runs panel does. Measured: this process's
  RSS after each run, the RSS of this process plus its children at the end of each run's last
  epoch (the child then holds everything the run built), and the peak of that total sampled
  every 20 ms (it includes the moments when a retiring child and its successor overlap).
* the "in-process baseline": plain ``core.training.train`` in a separate interpreter, keeping the
  results too, RSS after each run.

Sums of RSS count pages shared between processes (TensorFlow's libraries) once per process, so
the totals are upper bounds of what the session really holds.

One session of 20 runs is the measurement (growth is what piles up over it), so this bench does
not repeat in rounds; its final line has the form the others print (``_common.Goal``).
About 3 minutes on an idle two-core machine.

Usage: python bench/bench_memory.py [--runs 20] [--epochs 2] [--samples 400]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time

import _common
import psutil
from _common import ROOT

GOAL = _common.Goal("memory growth after 20 runs", 200, higher_is_better=False, unit=" MB", decimals=0)
CELLS = ("LSTM", "GRU", "SimpleRNN")
UNITS = (16, 32, 64, 24, 48)
LAYERS = (1, 2, 1, 3)


def architectures(runs: int) -> list[dict]:
    """Cell, units and depth all change from one run to the next."""
    return [{"cell": CELLS[i % 3], "units": UNITS[i % 5], "layers": LAYERS[i % 4]} for i in range(runs)]


def make_project_and_data(arch: dict, epochs: int, samples: int):
    from core.datasets import build_dataset
    from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec

    project = Project(
        name="memory bench",
        dataset=DatasetSpec(task="cooking", params={"samples": samples, "days": 7}),
        model=ModelSpec(io_mode="many_to_many", **arch),
        training=TrainingSpec(epochs=epochs, batch_size=32, learning_rate=0.01, seed=1),
    )
    return project, build_dataset(project.dataset, project.model.io_mode)


def rss_mb(process: psutil.Process) -> float:
    try:
        return process.memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


def tree_rss_mb(exclude: set[int] = frozenset()) -> float:
    me = psutil.Process()
    total = rss_mb(me)
    for child in me.children(recursive=True):
        if child.pid not in exclude:
            total += rss_mb(child)
    return total


def label(arch: dict) -> str:
    return f"{arch['cell']} {arch['units']}x{arch['layers']}"


# --- the baseline, in its own interpreter ----------------------------------------------------------


def in_process(runs: int, epochs: int, samples: int) -> None:
    from core.training import train

    me = psutil.Process()
    kept, after, times = [], [], []
    for arch in architectures(runs):
        project, data = make_project_and_data(arch, epochs, samples)
        start = time.perf_counter()
        kept.append(train(project, data))
        seconds = time.perf_counter() - start
        times.append(seconds)
        gc.collect()
        after.append(rss_mb(me))
        print(f"  in-process run {len(after):2d} {label(arch):16s} {after[-1]:7.0f} MB  {seconds:4.1f} s",
              file=sys.stderr, flush=True)
    print(json.dumps({"after_run_mb": after, "seconds": times}))


def run_baseline(runs: int, epochs: int, samples: int) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, __file__, "--in-process", "--runs", str(runs), "--epochs", str(epochs),
         "--samples", str(samples)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, timeout=3600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"the in-process baseline failed (exit {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- through ProcessTrainer --------------------------------------------------------------------------


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.02):
            self.peak = max(self.peak, tree_rss_mb())


def through_process_trainer(runs: int, epochs: int, samples: int) -> dict:
    from core.runner import ProcessTrainer
    from core.training import TrainingListener

    me = psutil.Process()
    parent_after, tree_at_end, pids, seconds = [], [], [], []

    class LastEpoch(TrainingListener):
        def on_epoch_end(self, event) -> None:
            if event.epoch == event.epochs:
                tree_at_end.append(tree_rss_mb())

    sampler = PeakSampler()
    sampler.start()
    kept = []
    with ProcessTrainer() as trainer:
        trainer.warm()
        # The window imports TensorFlow once it is shown (it rebuilds each run's model for the runs
        # and predict panels); do the same here so run 1 is measured with it, as in the app.
        import keras  # noqa: F401
        import tensorflow  # noqa: F401

        for arch in architectures(runs):
            project, data = make_project_and_data(arch, epochs, samples)
            start = time.perf_counter()
            kept.append(trainer.train(project, data, listener=LastEpoch()))
            seconds.append(time.perf_counter() - start)
            gc.collect()
            parent_after.append(rss_mb(me))
            pids.append(trainer.last_pid)
            print(f"  process run {len(parent_after):2d} {label(arch):16s} parent {parent_after[-1]:6.0f} MB  "
                  f"parent+children {tree_at_end[-1]:6.0f} MB  child pid {pids[-1]}  {seconds[-1]:4.1f} s",
                  flush=True)
    sampler.halt.set()
    sampler.join()
    return {"parent_after": parent_after, "tree_at_end": tree_at_end, "peak": sampler.peak,
            "children": len(set(pids)), "seconds": seconds}


def growth(values: list[float]) -> tuple[float, float]:
    """(last - first, max over runs 2.. - first)."""
    return values[-1] - values[0], max(values[1:]) - values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        in_process(args.runs, args.epochs, args.samples)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    print(f"{args.runs} runs of {args.epochs} epochs on the cooking task ({args.samples} sequences of 7 days); "
          f"cell, units and layers change every run; machine: {os.cpu_count()} CPU cores")
    print("through ProcessTrainer (recycle after 5 runs or 1500 MB):")
    ours = through_process_trainer(args.runs, args.epochs, args.samples)
    print("in-process baseline (plain core.training.train, one process):")
    baseline = run_baseline(args.runs, args.epochs, args.samples)

    parent_last, parent_max = growth(ours["parent_after"])
    tree_last, tree_max = growth(ours["tree_at_end"])
    base_last, base_max = growth(baseline["after_run_mb"])
    print()
    print(f"ProcessTrainer, this process (the window): after run 1 {ours['parent_after'][0]:.0f} MB, "
          f"after run {args.runs} {ours['parent_after'][-1]:.0f} MB: growth {parent_last:+.0f} MB "
          f"(largest {parent_max:+.0f} MB)")
    print(f"ProcessTrainer, this process + children at each run's end: after run 1 {ours['tree_at_end'][0]:.0f} MB, "
          f"after run {args.runs} {ours['tree_at_end'][-1]:.0f} MB: growth {tree_last:+.0f} MB "
          f"(largest {tree_max:+.0f} MB); {ours['children']} child processes served the runs")
    print(f"ProcessTrainer, peak total RSS (this process + children, sampled every 20 ms): {ours['peak']:.0f} MB")
    print(f"in-process baseline: after run 1 {baseline['after_run_mb'][0]:.0f} MB, "
          f"after run {args.runs} {baseline['after_run_mb'][-1]:.0f} MB: "
          f"growth {base_last:+.0f} MB (largest {base_max:+.0f} MB)")
    # Not a speed comparison (the two modes run one after the other, not alternated), but a fresh
    # child's TensorFlow import shows up here when a run follows a recycle at once.
    print(f"seconds per run (median): ProcessTrainer {statistics.median(ours['seconds']):.1f}, "
          f"in-process {statistics.median(baseline['seconds']):.1f}")
    # The line reports the whole session (this process plus its training children), at its largest
    # over runs 2..N, not just this process: the window's own growth alone would hide what a child
    # holds before it is recycled, and the user pays for both.
    _common.final_line(GOAL, tree_max)


if __name__ == "__main__":
    main()
