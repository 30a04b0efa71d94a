"""What the window itself costs while a run trains, as runs pile up (issue 12, item 1).

Not a bench with a goal (``make bench`` does not run it): a measurement that says where a
window/plain ratio below 1 comes from. The offscreen window of bench_gui_training.py trains one
run after another, as a user's session does, and keeps them all in its Runs list. For each run,
over its steady epochs (from the end of epoch 2 to the end of the last, timestamps taken where
the user sees them, in the GUI thread):

- the GUI process's CPU time (all its threads: the GUI thread, the worker thread relaying the
  child's events) per second of training, in ms/s: the window's own work;
- the training child's CPU time per second (cores it kept busy);
- the child's training throughput (samples/s).

CPU time, unlike wall time, does not move with the machine's speed from minute to minute, so a
window whose work grows with the runs it holds shows up here even on a noisy machine. Some runs
are trained with every held run overlaid (all selected in the Runs list right after the run
starts, as a user comparing runs would): then the plots draw every held run's curves too.

Usage: python bench/profile_window_cost.py [--runs 20] [--overlay-at 1,5,20] [--epochs 4] [--samples 1024]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import _common  # noqa: F401 - first: headless Qt, pyqtgraph on PySide6, the repository importable
from bench_gui_training import WARM_EPOCHS, bench_window, child_cpu_s, click_train_and_wait


def measure_run(app, window, overlay: bool) -> dict[str, float]:
    """One run through the window; its steady epochs' GUI ms/s, child cores and samples/s."""
    from desktop_app.worker import shared_trainer

    marks: list[tuple[float, float, float]] = []
    held = [record.run_id for record in window.session.records()]

    def on_epoch(_event) -> None:
        marks.append((time.perf_counter(), time.process_time(), child_cpu_s(shared_trainer().pid)))
        if overlay and len(marks) == 1:
            active = window.session.active_record()
            window.runs_panel.select_runs([*held, active.run_id])

    record = click_train_and_wait(app, window, on_epoch=on_epoch)
    if record.status != "completed":
        raise SystemExit(f"run ended '{record.status}': {record.message}")
    (wall0, gui0, child0), (wall1, gui1, child1) = marks[WARM_EPOCHS - 1], marks[-1]
    wall = wall1 - wall0
    samples = window.dataset_panel.current_data().num_train * (len(marks) - WARM_EPOCHS)
    return {"held": len(held), "gui_ms_per_s": 1000 * (gui1 - gui0) / wall, "child_cores": (child1 - child0) / wall,
            "samples_per_s": samples / wall, "shown": len(window.plots.shown_runs())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs trained without overlay")
    parser.add_argument("--overlay-at", default="1,5,20",
                        help="after this many runs, one more run with every held run overlaid")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--samples", type=int, default=1024)
    args = parser.parse_args(argv)
    overlay_at = {int(n) for n in args.overlay_at.split(",") if n.strip()}

    with bench_window(args.samples, args.epochs) as (app, window, _project):
        data = window.dataset_panel.current_data()
        print(f"2-layer LSTM x 64, T=50, batch 64, {data.num_train} samples, {args.epochs} epochs per run "
              f"(steady after epoch {WARM_EPOCHS}), Training plots shown; {os.cpu_count()} CPU cores", flush=True)
        plain: list[dict[str, float]] = []
        overlaid: list[dict[str, float]] = []
        for number in range(1, args.runs + 1):
            plain.append(measure_run(app, window, overlay=False))
            runs = [plain[-1]]
            if number in overlay_at:
                overlaid.append(measure_run(app, window, overlay=True))
                runs.append(overlaid[-1])
            for m in runs:
                print(f"  {m['held']:3.0f} runs held, {m['shown']:2.0f} shown: GUI {m['gui_ms_per_s']:5.0f} ms/s, "
                      f"child {m['child_cores']:.2f} cores, {m['samples_per_s']:5.0f} samples/s", flush=True)

        def summary(label: str, rows: list[dict[str, float]]) -> None:
            if rows:
                gui = [m["gui_ms_per_s"] for m in rows]
                child = [m["child_cores"] for m in rows]
                print(f"{label}: GUI median {statistics.median(gui):.0f} ms/s (min {min(gui):.0f}, max {max(gui):.0f}); "
                      f"child median {statistics.median(child):.2f} cores")

        summary("first 5 runs, alone", plain[:5])
        summary("last 5 runs, alone", plain[-5:])
        summary("overlaid", overlaid)
        first, last = plain[0]["samples_per_s"], statistics.median(m["samples_per_s"] for m in plain[-5:])
        print(f"throughput of the last 5 runs / the first: {last / first:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
