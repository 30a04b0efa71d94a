"""Sweeps (issue 10): is the local engine's parallelism real, and what does Ray cost on top?

12 tiny trials (3 cells x 2 sizes x 2 seeds, adding problem) three ways:

* one after another in this process with ``run_trial`` (TensorFlow imported before timing): the
  sum of the single-run times;
* ``run_sweep(engine="local")``: worker start-up (a TensorFlow import each) included;
* ``run_sweep(engine="ray")`` on a local Ray instance it starts and stops itself.

sweep_parallel_efficiency = local wall / (sum of single-run times / cores): 1.0 is perfect use of
every core. ray_vs_local = Ray wall (start-up included) / local wall.

Usage: python bench/bench_sweeps.py [--epochs 5] [--samples 400]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401

PARALLEL_GOAL = 1.3
RAY_GOAL = 1.5


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
    args = parser.parse_args()
    spec = make_spec(args.epochs, args.samples)
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        single = sequential_seconds(spec, folder / "sequential")
        local = sweep_seconds(spec, folder / "local", "local")
        ray = sweep_seconds(spec, folder / "ray", "ray")
    print(f"12 trials on {cores} cores: one after another {single:.1f} s, local engine {local:.1f} s, "
          f"Ray engine {ray:.1f} s (Ray start-up included)")
    print(f"sweep_parallel_efficiency: {local / (single / cores):.2f} (goal <= {PARALLEL_GOAL})")
    print(f"ray_vs_local: {ray / local:.2f} (goal <= {RAY_GOAL})")


if __name__ == "__main__":
    main()
