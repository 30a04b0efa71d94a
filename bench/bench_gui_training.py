"""Training driven through the window against plain ``model.fit`` (issue 4, item 2).

The window side: an offscreen ``MainWindow`` gets a project (2-layer LSTM 64, many-to-one, on a
CSV of 8 numeric columns read through windows of T=50 rows; batch 64), its Train button is
clicked and the run goes the app's whole way: ``TrainingWorker`` (QThread) -> the shared
``ProcessTrainer`` child -> events back to the GUI thread -> runs panel, progress line and live
plots redrawing at 15 Hz (the Training plots tab is shown). The plain side: ``model.fit`` in this
process on the very arrays the window trained on (``dataset_panel.current_data()``), fed to Keras
the way the app feeds it (``core.training.fit_inputs``), the same model (``core.models.build_model``),
optimizer and seed.

Each round trains both sides taking turns epoch by epoch (``turns_round``): the window's run is
paused at each of its epoch ends, as the Pause button pauses it, while plain fit trains one
epoch in a thread of this process, then resumed. Whole runs in turns (10 s each side) let the
machine's drift from minute to minute fall on one side: single rounds swung 0.69-1.10 on
2026-12-03. Each side is timed on its own clock with the waits left out: the window by the
training child's own ``EpochEnd.elapsed_s`` (pauses excluded), plain fit from each epoch's begin
to its end. Both include validation; the window side also gradient norms every batch, the
gradient-flow probe within its time budget (core.epoch_probe.FlowSchedule) and what the GUI
process takes from the child's cores while it trains. The first round is warm-up, then rounds go
on until ``_common.enough_rounds`` (7, or fewer once the verdict is sure). The window keeps every
run in its Runs list, as a user's session does, so the last rounds show whether the window
slows training as runs pile up. The child is started (TensorFlow imported) before the first
round. Each round also prints, over the window's turns, the cores the training child kept busy,
the GUI process's own CPU ms per second, and the machine's idle cores: when the window's own work
grows, the GUI's ms/s does (bench/profile_window_cost.py follows that over 20 runs); a slow round
with idle cores was waiting, not starved.

Two figures per side: "steady" runs from the end of epoch 2 to the end of the last epoch (the
final line uses it); "from epoch 1" runs from the end of epoch 1. They differ because of one-time
warm-up: plain fit traces its graphs in epoch 1, the monitored run in epoch 1 and, at its end,
its gradient-flow probe (core.monitoring._EagerThenCompiled runs the probe eagerly once, then
compiles it if the calls to come pay for it: ~1 s once for a 2-layer LSTM at T=50). That one-time
cost belongs to monitoring (bench_monitored_training.py, item 1), not to the window; the
"from epoch 1" ratio shows what it costs over a short run.

About 4 minutes on an idle two-core machine.

Usage: python bench/bench_gui_training.py [--rounds 7] [--epochs 6] [--samples 2048]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

import _common  # first: headless Qt, pyqtgraph on PySide6, the repository importable
import numpy as np
import psutil

GOAL = _common.Goal("window/plain throughput", 0.90, higher_is_better=True)
STEPS, FEATURES, UNITS, LAYERS, BATCH = 50, 8, 64, 2, 64
VALIDATION = 0.2


def write_csv(folder: Path, samples: int) -> Path:
    """8 numeric columns; ``samples`` training windows of 50 rows after the validation split."""
    rows = int(np.ceil(samples / (1 - VALIDATION))) + STEPS + 1
    rng = np.random.default_rng(0)
    t = np.arange(rows)
    columns = [np.sin(2 * np.pi * t / (20 + 7 * k)) + 0.1 * rng.normal(size=rows) for k in range(FEATURES)]
    path = folder / "bench_series.csv"
    lines = [",".join(f"c{k + 1}" for k in range(FEATURES))]
    lines += [",".join(f"{columns[k][i]:.5f}" for k in range(FEATURES)) for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_project(csv_path: Path, epochs: int, cell: str = "LSTM"):
    from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec

    return Project(
        name="gui bench",
        dataset=DatasetSpec(task="csv", params={"path": str(csv_path), "window": STEPS},
                            validation_split=VALIDATION),
        model=ModelSpec(cell=cell, io_mode="many_to_one", layers=LAYERS, units=UNITS),
        training=TrainingSpec(epochs=epochs, batch_size=BATCH, learning_rate=1e-3, seed=1),
    )


def make_app():
    from PySide6.QtCore import QSettings, QStandardPaths
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    # Never read or write the user's settings.
    QStandardPaths.setTestModeEnabled(True)
    folder = tempfile.mkdtemp(prefix="rnnlab-bench-settings-")
    for fmt in (QSettings.Format.IniFormat, QSettings.Format.NativeFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)
    return app, Path(folder)


def wait_for(app, condition, timeout_s: float, what: str) -> None:
    """Run Qt's event loop until ``condition()`` holds, as the app's own loop runs: asleep between
    events. (Polling with processEvents every 2 ms cost the GUI process ~20 ms of CPU per second,
    taken from the training child on two cores: work the real window does not do.)"""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(50)
    def done_or_late() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    check.timeout.connect(done_or_late)
    check.start()
    try:
        if not condition():
            loop.exec()
    finally:
        check.stop()
    if not condition():
        raise SystemExit(f"timed out waiting for {what}")


def open_window(app, settings_folder: Path, project):
    """A shown window with TensorFlow loaded, the project set and the training child warm."""
    from desktop_app import dialogs
    from desktop_app.main_window import MainWindow
    from desktop_app.settings import Settings
    from desktop_app.worker import shared_trainer

    # Closing asks about the unsaved trained model; a benchmark has nothing to keep.
    dialogs.ask_unsaved_changes = lambda *_args: "discard"

    window = MainWindow(settings=Settings.at_path(settings_folder / "rnn-lab.ini"))
    window.resize(1200, 800)
    window.show()
    ready = []
    window.tensorflow_ready.connect(ready.append)
    window.start_loading_tensorflow()
    wait_for(app, lambda: ready, 300, "TensorFlow to load in the window")
    window.set_project(project)
    wait_for(app, lambda: window.dataset_panel.current_data() is not None, 30, "the dataset preview")
    data = window.dataset_panel.current_data()
    assert tuple(data.info.input_shape) == (STEPS, FEATURES), data.info.input_shape
    shared_trainer().start(wait=True)  # the app warms it at start-up (desktop_app/app.py)
    return window


@contextlib.contextmanager
def bench_window(samples: int, epochs: int):
    """(app, window, project): a warm window on a CSV of ``samples`` training windows.

    The window and the shared training child are closed afterwards, also when the run fails.
    """
    app, settings_folder = make_app()
    from desktop_app.worker import close_shared_trainer

    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as folder:
        project = make_project(write_csv(Path(folder), samples), epochs)
        window = open_window(app, settings_folder, project)
        try:
            yield app, window, project
        finally:
            window.close()
            close_shared_trainer()


def click_train_and_wait(app, window, on_epoch=None, timeout_s: float = 1800):
    """Click Train; returns the RunRecord once ``session.run_ended`` fires."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    done = []
    window.session.run_ended.connect(done.append)
    if on_epoch is not None:
        window.session.worker.epoch_ended.connect(on_epoch)  # queued: runs in the GUI thread
    try:
        QTest.mouseClick(window.training_panel.train_button, Qt.MouseButton.LeftButton)
        if not window.session.is_training():
            raise SystemExit(f"Train did not start a run: {window.last_message}")
        wait_for(app, lambda: done, timeout_s, "the run to finish")
    finally:
        window.session.run_ended.disconnect(done.append)
        if on_epoch is not None:
            window.session.worker.epoch_ended.disconnect(on_epoch)
    return done[0]


WARM_EPOCHS = 2


def child_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def idle_s() -> float:
    """Idle CPU seconds of the whole machine, all cores: a slow round whose cores sat idle was
    waiting, not starved."""
    times = psutil.cpu_times()
    return times.idle + getattr(times, "iowait", 0.0)


def turns_round(app, window, project, data, epochs: int) -> dict[str, float]:
    """One round: the window's run and plain ``fit`` take turns epoch by epoch.

    The window trains an epoch; when its end reaches the GUI thread the run is paused (the
    Pause button's way: the child stops at its next batch end) and plain fit, in a thread of this
    process, trains one epoch; then the window's run is resumed, and so on. Turns of ~1 s
    instead of whole 10-second runs: a drift of the machine's speed falls on both sides alike.
    Each side is timed on its own clock, waits left out: the window's by the training child
    (``EpochEnd.elapsed_s``, pauses excluded), plain fit's from each epoch's begin to its end.
    Both include validation; the window also its monitoring and whatever the GUI process takes
    from the child's cores. Returns samples/s per side (steady and from epoch 1), and over the
    window's turns the child's cores, the GUI process's CPU ms per second and the idle cores."""
    import threading

    import keras
    from PySide6.QtCore import QTimer

    from core.models import build_model, loss_and_metrics
    from core.training import fit_inputs, make_optimizer
    from desktop_app.worker import shared_trainer

    keras.utils.set_random_seed(project.training.seed)
    model = build_model(project.model, data.info)
    loss, metrics = loss_and_metrics(data.info)
    model.compile(optimizer=make_optimizer(project.training), loss=loss, metrics=metrics)
    plain_go, plain_done, turns_over = threading.Event(), threading.Event(), threading.Event()
    plain_epoch_s: list[float] = []
    plain_failed: list[BaseException] = []

    class TakeTurns(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if not turns_over.is_set():
                plain_go.wait()
                plain_go.clear()
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            plain_epoch_s.append(time.perf_counter() - self.started)
            plain_done.set()

    def plain_fit() -> None:
        try:
            model.fit(**fit_inputs(data, project.training), epochs=epochs, verbose=0, callbacks=[TakeTurns()])
        except BaseException as exc:  # noqa: BLE001 - reported by the round
            plain_failed.append(exc)
            plain_done.set()

    plain = threading.Thread(target=plain_fit, name="plain-fit", daemon=True)
    window_elapsed: list[float] = []
    # (wall, child CPU, this process's CPU, idle) at the start and the end of each window turn.
    turn_marks: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
    turn_start: list[tuple[float, ...]] = []

    def marks() -> tuple[float, ...]:
        return time.perf_counter(), child_cpu_s(shared_trainer().pid), time.process_time(), idle_s()

    def on_epoch(event) -> None:  # the GUI thread
        window_elapsed.append(event.elapsed_s)
        if turn_start:
            turn_marks.append((turn_start.pop(), marks()))
        if len(window_elapsed) < epochs:
            window.session.pause()
            plain_go.set()
        # After the window's last epoch, plain fit's last one waits for the run's end (the model
        # sent back, the window's records updated), which would otherwise slow it.

    def hand_back() -> None:
        if plain_done.is_set():
            plain_done.clear()
            if window.session.is_training() and window.session.worker.is_paused():
                turn_start.append(marks())
                window.session.resume()

    checker = QTimer()
    checker.setInterval(5)
    checker.timeout.connect(hand_back)
    checker.start()
    plain.start()
    try:
        turn_start.append(marks())
        record = click_train_and_wait(app, window, on_epoch=on_epoch)
    finally:
        turns_over.set()
        plain_go.set()
        plain.join(600)
        checker.stop()
    if plain_failed:
        raise SystemExit(f"plain fit failed: {plain_failed[0]!r}")
    if record.status != "completed" or len(window_elapsed) != epochs or len(plain_epoch_s) != epochs:
        raise SystemExit(f"window run ended '{record.status}' after {len(window_elapsed)} epochs, plain fit "
                         f"after {len(plain_epoch_s)}: {record.message}")
    steady = turn_marks[WARM_EPOCHS:]  # the turns that end at epochs 3, 4, ...
    wall = sum(end[0] - begin[0] for begin, end in steady)

    def share(index: int) -> float:
        return sum(end[index] - begin[index] for begin, end in steady) / wall

    return {
        "window": data.num_train * (epochs - WARM_EPOCHS) / (window_elapsed[-1] - window_elapsed[WARM_EPOCHS - 1]),
        "window_all": data.num_train * (epochs - 1) / (window_elapsed[-1] - window_elapsed[0]),
        "plain": data.num_train * (epochs - WARM_EPOCHS) / sum(plain_epoch_s[WARM_EPOCHS:]),
        "plain_all": data.num_train * (epochs - 1) / sum(plain_epoch_s[1:]),
        "child_cores": share(1), "gui_ms": 1000 * share(2), "idle": share(3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds at most")
    parser.add_argument("--epochs", type=int, default=6, help="per side and round; the first two are warm-up")
    parser.add_argument("--samples", type=int, default=2048, help="training samples (windows)")
    args = parser.parse_args(argv)
    if args.epochs < WARM_EPOCHS + 1:
        parser.error(f"--epochs must be at least {WARM_EPOCHS + 1} (the first {WARM_EPOCHS} are warm-up)")

    with bench_window(args.samples, args.epochs) as (app, window, project):
        data = window.dataset_panel.current_data()
        print(f"{LAYERS}-layer {project.model.cell} x {UNITS}, T={STEPS}, {FEATURES} features, batch {BATCH}, "
              f"{data.num_train} training + {data.num_val} validation samples, {args.epochs} epochs per side "
              f"(steady: after epoch {WARM_EPOCHS}); {os.cpu_count()} CPU cores", flush=True)

        def one_round(number: int) -> float:
            r = turns_round(app, window, project, data, args.epochs)
            print(f"  window {r['window']:6.0f} samples/s (over its turns: child {r['child_cores']:.2f} cores, GUI "
                  f"{r['gui_ms']:3.0f} ms/s, idle {r['idle']:.2f} cores), plain fit {r['plain']:6.0f} samples/s, "
                  f"steady; from epoch 1: ratio {r['window_all'] / r['plain_all']:.3f}; runs in the window's list: "
                  f"{len(window.session.records())}", flush=True)
            return r["window"] / r["plain"]

        _common.run_rounds(one_round, GOAL, min_rounds=args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
