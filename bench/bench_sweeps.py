"""Sweeps (issue 10): is the local engine's parallelism real, and what does Ray cost on top?

12 tiny trials (3 cells x 2 sizes x 2 seeds, adding problem) three ways:

* one after another in this process with ``run_trial`` (TensorFlow imported before timing): the
  sum of the single-run times;
* ``run_sweep(engine="local")``: worker start-up included (each worker is forked from the fork
  server, core.processes; the server's one TensorFlow import happens in the warm-up round, as it
  does once per ``main.py sweep`` command and before any sweep in the window);
* ``run_sweep(engine="ray")`` on a local Ray instance it starts and stops itself.

sweep_parallel_efficiency = local wall / (sum of single-run times / cores): 1.0 is perfect use of
every core. ray_vs_local = Ray wall (start-up included) / local wall. Each round measures all
three (the sequential and local sides alternating which goes first); the first round is warm-up;
rounds go on until both figures have enough (bench/_common.py), and the final lines give medians.

Usage: python bench/bench_sweeps.py [--epochs 5] [--samples 400] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import _common

PARALLEL_GOAL = _common.Goal("sweep_parallel_efficiency", 1.3, higher_is_better=False)
RAY_GOAL = _common.Goal("ray_vs_local", 1.5, higher_is_better=False)


def make_spec(epochs: int, samples: int):
    from core.sweeps import SweepSpec

    base = {"dataset": {"task": "adding", "params": {"length": 20, "samples": samples}},
            "model": {"cell": "SimpleRNN", "io_mode": "many_to_one", "units": 8},
            "training": {"epochs": epochs, "batch_size": 32}}
    return SweepSpec.from_dict({"name": "bench", "project": base, "seeds": [0, 1],
                                "grid": {"model.cell": ["SimpleRNN", "LSTM", "GRU"], "model.units": [8, 16]}})


def sequential_seconds(spec, folder: Path) -> float:
    import tensorflow as tf  # noqa: F401  imported before timing, as a warm worker has it

    from core.sweeps import expand_trials, trial_project
    from core.sweeps.run_trial import run_trial

    total = 0.0
    for trial in expand_trials(spec):
        start = time.perf_counter()
        row = run_trial(trial_project(spec, trial), trial, folder)
        total += time.perf_counter() - start
        assert row.status == "completed", row.error
    return total


def sweep_seconds(spec, folder: Path, engine: str) -> float:
    from core.sweeps import run_sweep

    start = time.perf_counter()
    results = run_sweep(spec, folder, engine=engine)
    wall = time.perf_counter() - start
    assert all(r.status == "completed" for r in results), [r.error for r in results]
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds at most")
    args = parser.parse_args()
    spec = make_spec(args.epochs, args.samples)
    cores = os.cpu_count() or 1
    efficiency: list[float] = []
    ray_ratio: list[float] = []
    number = 0
    with tempfile.TemporaryDirectory() as scratch:
        while not (_common.enough_rounds(efficiency, PARALLEL_GOAL, args.rounds)
                   and _common.enough_rounds(ray_ratio, RAY_GOAL, args.rounds)):
            number += 1
            folder = Path(scratch) / f"round{number}"
            single, local = _common.alternate(lambda at=folder: sequential_seconds(spec, at / "sequential"),
                                              lambda at=folder: sweep_seconds(spec, at / "local", "local"), number)
            ray = sweep_seconds(spec, folder / "ray", "ray")
            counted = number > 1
            if counted:
                efficiency.append(local / (single / cores))
                ray_ratio.append(ray / local)
            note = "" if counted else " (warm-up, not counted)"
            print(f"round {number}: 12 trials on {cores} cores: one after another {single:.1f} s, local engine "
                  f"{local:.1f} s, Ray engine {ray:.1f} s (Ray start-up included); efficiency "
                  f"{local / (single / cores):.2f}, Ray/local {ray / local:.2f}{note}", flush=True)
    efficiency_median = _common.summarize(efficiency, PARALLEL_GOAL, PARALLEL_GOAL.name)
    ray_median = _common.summarize(ray_ratio, RAY_GOAL, RAY_GOAL.name)
    _common.final_line(PARALLEL_GOAL, efficiency_median)
    _common.final_line(RAY_GOAL, ray_median)


if __name__ == "__main__":
    main()
