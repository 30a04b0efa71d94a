"""Training driven through the window against plain ``model.fit`` (issue 4, item 2).

The window side: an offscreen ``MainWindow`` gets a project (2-layer LSTM 64, many-to-one, on a
CSV of 8 numeric columns read through windows of T=50 rows; batch 64), its Train button is
clicked and the run goes the app's whole way: ``TrainingWorker`` (QThread) -> the shared
``ProcessTrainer`` child -> events back to the GUI thread -> runs panel, progress line and live
plots redrawing at 15 Hz (the Training plots tab is shown). The plain side: ``model.fit`` in this
process on the very arrays the window trained on (``dataset_panel.current_data()``), fed to Keras
the way the app feeds it (``core.training.fit_inputs``), the same model (``core.models.build_model``),
optimizer and seed.

Each round trains both sides, the window first in odd rounds and plain fit first in even ones
(``_common.alternate``), because this machine's speed drifts from minute to minute; the first
round is warm-up, then rounds go on until ``_common.enough_rounds`` (7, or fewer once the
verdict is sure). The window keeps every run in its Runs list, as a user's session does, so the
last rounds show whether the window slows training as runs pile up. Only the training part is timed: the child is started (TensorFlow imported) before the first
round, and epoch-end timestamps are taken where the user sees them: for the window, when
``epoch_ended`` reaches the GUI thread; for plain fit, in ``on_epoch_end``. Both include
validation; the window side also includes gradient norms every batch and the gradient-flow
probe within its time budget (core.epoch_probe.FlowSchedule). Each round also prints the cores each side kept busy over its steady epochs
(CPU time per wall second: the training child's for the window, this process's for plain fit) and
the GUI process's own CPU ms per second of training: when a round is slow because the machine
gave both processes less, the cores fall with it; when the window's own work grows, the GUI's
ms/s does (bench/profile_window_cost.py follows that over 20 runs). "Idle" is the machine's idle
CPU time meanwhile, in cores: a slow round with idle cores was waiting, not starved.

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


def throughputs(epoch_ends: list[float], samples: int) -> tuple[float, float]:
    """(steady, from epoch 1) samples/s: from the end of epoch 2 / epoch 1 to the end of the last."""
    def rate(first: int) -> float:
        return samples * (len(epoch_ends) - 1 - first) / (epoch_ends[-1] - epoch_ends[first])

    return rate(WARM_EPOCHS - 1), rate(0)


def child_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def idle_s() -> float:
    """Idle CPU seconds of the whole machine, all cores: a slow round whose cores sat idle was
    waiting, not starved."""
    times = psutil.cpu_times()
    return times.idle + getattr(times, "iowait", 0.0)


def cores(marks: list[tuple[float, float]]) -> float:
    """CPU seconds per wall second over the steady epochs, from (wall, cpu) marks at each epoch end."""
    (wall0, cpu0), (wall1, cpu1) = marks[WARM_EPOCHS - 1], marks[-1]
    return (cpu1 - cpu0) / (wall1 - wall0)


def window_round(app, window, samples: int, epochs: int) -> tuple[float, float, float, float]:
    """(steady and from-epoch-1 samples/s, the training child's cores and the GUI process's CPU ms
    per second over the steady epochs)."""
    from desktop_app.worker import shared_trainer

    ends: list[float] = []
    child: list[tuple[float, float]] = []
    gui: list[tuple[float, float]] = []
    idle: list[tuple[float, float]] = []

    def on_epoch(_event) -> None:
        now = time.perf_counter()
        ends.append(now)
        child.append((now, child_cpu_s(shared_trainer().pid)))
        gui.append((now, time.process_time()))
        idle.append((now, idle_s()))

    record = click_train_and_wait(app, window, on_epoch=on_epoch)
    if record.status != "completed" or len(ends) != epochs:
        raise SystemExit(f"window run ended '{record.status}' after {len(ends)} epochs: {record.message}")
    return (*throughputs(ends, samples), cores(child), 1000 * cores(gui), cores(idle))


def plain_round(project, data, epochs: int) -> tuple[float, float, float, float]:
    """(steady and from-epoch-1 samples/s, the cores this process kept busy and the machine's idle
    cores over the steady epochs)."""
    import keras

    from core.models import build_model, loss_and_metrics
    from core.training import fit_inputs, make_optimizer

    keras.utils.set_random_seed(project.training.seed)
    model = build_model(project.model, data.info)
    loss, metrics = loss_and_metrics(data.info)
    model.compile(optimizer=make_optimizer(project.training), loss=loss, metrics=metrics)
    ends: list[float] = []
    cpu: list[tuple[float, float]] = []
    idle: list[tuple[float, float]] = []

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())
            cpu.append((ends[-1], time.process_time()))
            idle.append((ends[-1], idle_s()))

    # Fed as the app feeds Keras (core.training.fit_inputs: repeated tf.data pipelines, steps given).
    # Arrays would get a fresh iterator every epoch, whose first batch sometimes waits ~1 s with
    # the cores idle: a baseline slower than the app's own input path.
    model.fit(**fit_inputs(data, project.training), epochs=epochs, verbose=0, callbacks=[EpochClock()])
    return (*throughputs(ends, data.num_train), cores(cpu), cores(idle))


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
            (gui, gui_all, child_cores, gui_ms, gui_idle), (plain, plain_all, plain_cores, plain_idle) = \
                _common.alternate(lambda: window_round(app, window, data.num_train, args.epochs),
                                  lambda: plain_round(project, data, args.epochs), number)
            print(f"  window {gui:6.0f} samples/s (child {child_cores:.2f} cores, GUI {gui_ms:3.0f} ms/s, "
                  f"idle {gui_idle:.2f} cores), plain fit {plain:6.0f} samples/s ({plain_cores:.2f} cores, "
                  f"idle {plain_idle:.2f}), steady; from epoch 1: "
                  f"ratio {gui_all / plain_all:.3f}; runs in the window's list: {len(window.session.records())}",
                  flush=True)
            return gui / plain

        _common.run_rounds(one_round, GOAL, min_rounds=args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
