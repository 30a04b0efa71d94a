"""Sweeps (issue 10): is the local engine's parallelism real, and what does Ray cost on top?

12 tiny trials (3 cells x 2 sizes x 2 seeds, adding problem), four ways:

* one after another in this process with ``run_trial`` (TensorFlow imported before timing): the
  sum of the single-run times;
* ``run_sweep(engine="local")`` in this process: the trials in parallel, each worker forked from
  the fork server (core.processes), whose one TensorFlow import happens in the warm-up round, as
  in the window, where the training process started the server long before any sweep;
* ``main.py sweep SWEEP.json --engine local``, the whole command a user runs: interpreter,
  imports, the fork server's TensorFlow import and every worker's start included;
* ``main.py sweep SWEEP.json --engine ray``, the same command on a local Ray instance that it
  starts and stops: Ray's start-up, its workers' TensorFlow imports and its shut-down included.

sweep_parallel_efficiency = local wall in this process / (sum of single-run times / cores): 1.0
is perfect use of every core (the parallelism itself, start-up aside). ray_vs_local = the Ray
command's wall / the local command's wall: the same 12 trials, each engine's start-up included.
Each round measures all four, each ratio's two sides one right after the other (so that a drift
in the machine's speed between them stays small), which pair goes first and which side of a pair
goes first changing from round to round; the first round is warm-up;
rounds go on until both figures have enough (bench/_common.py: 7, up to 15 while a goal lies inside
its median's interval; a round for Ray's ratio alone skips the other pair), and the final lines
give medians.
The window's case (local fork server warm, Ray started afresh) is Ray / local-in-this-process,
printed per round for scale: there Ray's start-up weighs more.

Usage: python bench/bench_sweeps.py [--epochs 5] [--samples 400] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
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


def command_seconds(spec_path: Path, folder: Path, engine: str) -> float:
    """Wall seconds of ``main.py sweep`` as a user runs it, start-up to exit."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    command = [sys.executable, str(_common.ROOT / "main.py"), "sweep", str(spec_path), "--out", str(folder),
               "--engine", engine, "--json"]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=_common.ROOT, env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"main.py sweep --engine {engine} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["completed"] == summary["trials"] == 12, summary
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds (more while a goal is inside its median's interval)")
    args = parser.parse_args()
    spec = make_spec(args.epochs, args.samples)
    cores = os.cpu_count() or 1
    efficiency: list[float] = []
    ray_ratio: list[float] = []
    number = 0
    with tempfile.TemporaryDirectory() as scratch:
        spec_path = Path(scratch) / "bench-sweep.json"
        spec.save(spec_path)
        while not (_common.enough_rounds(efficiency, PARALLEL_GOAL, args.rounds)
                   and _common.enough_rounds(ray_ratio, RAY_GOAL, args.rounds)):
            number += 1
            folder = Path(scratch) / f"round{number}"
            sides = {"sequential": lambda at=folder: sequential_seconds(spec, at / "sequential"),
                     "local": lambda at=folder: sweep_seconds(spec, at / "local", "local"),
                     "local command": lambda at=folder: command_seconds(spec_path, at / "local-command", "local"),
                     "ray command": lambda at=folder: command_seconds(spec_path, at / "ray-command", "ray")}
            pairs = [["sequential", "local"], ["local command", "ray command"]]
            pairs = [pair if number % 2 else pair[::-1] for pair in pairs]
            if number > 1 and _common.enough_rounds(efficiency, PARALLEL_GOAL, args.rounds):
                pairs = pairs[1:]  # the efficiency is sure: the rounds Ray's ratio still needs skip it
            order = [name for pair in (pairs if (number // 2) % 2 else pairs[::-1]) for name in pair]
            seconds = {name: sides[name]() for name in order}
            local_command, ray = seconds["local command"], seconds["ray command"]
            counted = number > 1
            commands_ratio = ray / local_command
            if counted:
                ray_ratio.append(commands_ratio)
            times, figures, scale = "", "", ""
            if "local" in seconds:
                single, local = seconds["sequential"], seconds["local"]
                round_efficiency = local / (single / cores)
                if counted:
                    efficiency.append(round_efficiency)
                times = f"one after another {single:.1f} s, local engine {local:.1f} s; "
                figures = f"efficiency {round_efficiency:.2f}, "
                scale = f" (Ray command / warm local engine {ray / local:.2f})"
            note = "" if counted else " (warm-up, not counted)"
            print(f"round {number}: 12 trials on {cores} cores: {times}main.py sweep --engine local "
                  f"{local_command:.1f} s, --engine ray {ray:.1f} s (order: {', '.join(order)}); {figures}"
                  f"Ray/local commands {commands_ratio:.2f}{scale}{note}", flush=True)
    efficiency_median = _common.summarize(efficiency, PARALLEL_GOAL, PARALLEL_GOAL.name)
    ray_median = _common.summarize(ray_ratio, RAY_GOAL, RAY_GOAL.name)
    _common.final_line(PARALLEL_GOAL, efficiency_median)
    _common.final_line(RAY_GOAL, ray_median)


if __name__ == "__main__":
    main()
