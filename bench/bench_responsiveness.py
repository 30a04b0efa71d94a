"""GUI responsiveness during a window-driven training run (issue 4, item 3).

A 10 ms ``QTimer`` in the GUI thread records the time of every tick while an offscreen
``MainWindow`` trains (Train clicked; the worker thread, the training child, the runs panel,
progress line and live plots at 15 Hz all active; the Training plots tab shown). A gap is the
time between consecutive ticks; with nothing blocking the GUI thread it stays near 10 ms. The
ticks run from the click on Train (so the start of the run, the model build in the child and the
first plots are inside the window measured) to ``session.run_ended`` having been handled. The
training child is warm (started before the click), as the app starts it at launch.

The window is measured as a user's session has it after a while, not empty: the first rounds
train the runs that fill its Runs list (warm-up, not counted: --held, 5 by default), and the
plots show the Gradient norms tab per weight, the heaviest view. Each counted round is one more
run; its figure is the run's longest gap. Rounds go on until ``_common.enough_rounds``.

About 2 minutes on an idle two-core machine.

Usage: python bench/bench_responsiveness.py [--rounds 7] [--held 5] [--epochs 3] [--samples 1024]
"""

from __future__ import annotations

import argparse
import os
import time

import _common  # first: headless Qt, pyqtgraph on PySide6, the repository importable
from bench_gui_training import bench_window

GOAL = _common.Goal("longest GUI gap during training", 50, higher_is_better=False, unit=" ms", decimals=0)
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


def open_heaviest_view(window) -> None:
    """The Gradient norms tab of the training plots, one curve per weight."""
    plots = window.plots
    window.tabs.setCurrentWidget(plots)
    tabs = plots._tab_widget
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.widget(i).name == "gradients"))
    plots.set_per_weight(True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds at most")
    parser.add_argument("--held", type=int, default=5, help="runs trained into the Runs list before counting")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=1024)
    args = parser.parse_args(argv)

    with bench_window(args.samples, args.epochs) as (app, window, _project):
        data = window.dataset_panel.current_data()
        print(f"2-layer LSTM x 64, T=50, 8 features, batch 64, {data.num_train} samples, {args.epochs} epochs per run, "
              f"{args.held} runs in the list before counting, Gradient norms per weight shown, {TICK_MS} ms timer in "
              f"the GUI thread; {os.cpu_count()} CPU cores", flush=True)
        open_heaviest_view(window)

        def one_run(number: int) -> float:
            gaps, status = measure(app, window)
            if status != "completed":
                raise SystemExit(f"run {number} ended '{status}'")
            worst = max(range(len(gaps)), key=gaps.__getitem__)
            print(f"  {len(window.session.records())} runs in the list; {len(gaps)} ticks over {sum(gaps) / 1000:.1f} s; "
                  f"median gap {percentile(gaps, 50):.1f} ms, p99 {percentile(gaps, 99):.1f} ms, longest at "
                  f"{sum(gaps[:worst]) / 1000:.2f} s after Train", flush=True)
            return gaps[worst]

        _common.run_rounds(one_run, GOAL, warmup=args.held, min_rounds=args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
