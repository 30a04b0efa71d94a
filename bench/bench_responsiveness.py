"""GUI responsiveness during a window-driven training run (issue 4, item 3).

A 10 ms ``QTimer`` in the GUI thread records the time of every tick while an offscreen
``MainWindow`` trains (Train clicked; the worker thread, the training child, the runs panel,
progress line and live plots at 15 Hz all active; the Training plots tab shown). A gap is the
time between consecutive ticks; with nothing blocking the GUI thread it stays near 10 ms. The
ticks run from the click on Train (so the start of the run, the model build in the child and the
first plots are inside the window measured) to ``session.run_ended`` having been handled. The
training child is warm (started before the click), as the app starts it at launch.

Usage: python bench/bench_responsiveness.py [--runs 2] [--epochs 3] [--samples 1024]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gui_training import bench_window  # noqa: E402

GOAL_MS = 50.0
TICK_MS = 10


def measure(app, window) -> tuple[list[float], str]:
    from bench_gui_training import click_train_and_wait
    from PySide6.QtCore import QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    ticks.append(time.perf_counter())
    try:
        record = click_train_and_wait(app, window)
    finally:
        timer.stop()
    ticks.append(time.perf_counter())
    gaps = [1000 * (b - a) for a, b in zip(ticks, ticks[1:])]
    return gaps, record.status


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=1024)
    args = parser.parse_args(argv)

    all_gaps: list[float] = []
    with bench_window(args.samples, args.epochs) as (app, window, _project):
        data = window.dataset_panel.current_data()
        print(f"2-layer LSTM x 64, T=50, 8 features, batch 64, {data.num_train} samples, {args.epochs} epochs, "
              f"{args.runs} runs, {TICK_MS} ms timer in the GUI thread; {os.cpu_count()} CPU cores", flush=True)
        for r in range(args.runs):
            gaps, status = measure(app, window)
            if status != "completed":
                raise SystemExit(f"run {r + 1} ended '{status}'")
            all_gaps.extend(gaps)
            worst = max(range(len(gaps)), key=gaps.__getitem__)
            print(f"run {r + 1}: {len(gaps)} ticks over {sum(gaps) / 1000:.1f} s; median gap "
                  f"{percentile(gaps, 50):.1f} ms, p99 {percentile(gaps, 99):.1f} ms, longest {gaps[worst]:.1f} ms "
                  f"(at tick {worst + 1} of {len(gaps)}, {sum(gaps[:worst]) / 1000:.2f} s after Train)",
                  flush=True)
    print(f"all runs: {len(all_gaps)} gaps; median {percentile(all_gaps, 50):.1f} ms, "
          f"p99 {percentile(all_gaps, 99):.1f} ms, longest {max(all_gaps):.1f} ms")
    print(f"longest GUI gap during training: {max(all_gaps):.0f} ms (goal <= {GOAL_MS:.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
