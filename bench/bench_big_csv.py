"""A big CSV: loading a 1,000,000-row x 10-column numeric file, and training on it with window 50.

Loading: the app's loader (``core.datasets.csv_reader.read_table`` with its cache emptied, then
every column checked and converted as building a dataset does) against plain ``pandas.read_csv``
of the same file, alternating, in one process. Goal: time ratio <= 1.5.

Training: ``core.training.train`` on the CSV task's data (window 50, the windows cut on demand and
fed through tf.data) against plain Keras fitting windows already cut, in memory: NumPy arrays of
exactly the windows its timed batches use, drawn at random from the same normalised rows, with the
same model (LSTM 32 -> Dense 1, Adam, batch 256). That is the best plain Keras can be fed, so the
ratio says what cutting windows on demand costs the training. (Until 2026-12-04 the plain side
fitted ``keras.utils.timeseries_dataset_from_array``, which cuts one window at a time: it was
bound by its own pipeline at 8,000-15,000 windows/s, the ratio 1.6-2.7 swung by a third from round
to round with it, and it hid that the app's own step was ~8 % slower than it could be.) Each side
has a child process of its own that reads the CSV itself once and then trains a freshly built
model every round, as the window's long-lived training child serves run after run; so the peak
resident memory of the training process (``ru_maxrss``: file parsing, windows, TensorFlow and
every round's model together; the child collects its garbage after each round, as the window's
does after each run) is measured per side; materialised windows alone would take
1e6 x 50 x 10 x 4 B = 2 GB. Throughput is the samples per second between batch WARMUP and batch
WARMUP + --batches (tracing excluded); the sides alternate, which goes first changing round by
round (``_common.alternate``); the idle side waits on its pipe. Goals: peak RSS <= 1.5 GB,
throughput ratio (app / plain) >= 0.9. Loading and training each drop a warm-up round and go on
until ``_common.enough_rounds`` (7, or 3 once the verdict is sure); each prints its min / median /
max, and the three final lines follow (the peak RSS is the child's after its last round).

About 2 minutes on an idle two-core machine.

Usage: python bench/bench_big_csv.py [--rounds 7] [--batches 150] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import _common
import numpy as np  # noqa: E402

LOAD_GOAL = _common.Goal("big CSV load time app/pandas", 1.5, higher_is_better=False)
RSS_GOAL = _common.Goal("big CSV training peak RSS", 1.5, higher_is_better=False, unit=" GB")
THROUGHPUT_GOAL = _common.Goal("big CSV training throughput app/plain", 0.9, higher_is_better=True)
COLUMNS, WINDOW, BATCH, UNITS, WARMUP = 10, 50, 256, 32, 20


def write_csv(path: Path, rows: int) -> None:
    """A seeded random walk per column, five decimals, as a logger would write it."""
    import pandas as pd

    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(rows, COLUMNS)), axis=0)
    pd.DataFrame(values, columns=[f"sensor_{i}" for i in range(COLUMNS)]).to_csv(path, index=False, float_format="%.5f")


def load_round(path: Path, number: int) -> tuple[float, float]:
    import pandas as pd

    from core.datasets import csv_reader

    def plain() -> float:
        start = time.perf_counter()
        pd.read_csv(path)
        return time.perf_counter() - start

    def app() -> float:
        csv_reader._CACHE.clear()
        start = time.perf_counter()
        table = csv_reader.read_table(path)
        for name in table.columns:
            csv_reader.column_values(table, name)
        return time.perf_counter() - start

    return _common.alternate(app, plain, number)


# --- training, in a long-lived child process per side --------------------------------------------


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # kB on Linux


def app_trainer(path: Path, batches: int) -> Callable[[], dict]:
    from core.datasets import build_dataset
    from core.specs import DatasetSpec, ModelSpec, Project, TrainingSpec
    from core.training import TrainingControl, TrainingListener, train

    project = Project(
        name="big", dataset=DatasetSpec(task="csv", params={"path": str(path), "window": WINDOW}),
        model=ModelSpec(cell="LSTM", io_mode="many_to_one", units=UNITS),
        training=TrainingSpec(epochs=1, batch_size=BATCH, early_stopping=False))
    data = build_dataset(project.dataset, "many_to_one")

    def one_round() -> dict:
        control = TrainingControl()
        times: list[float] = []

        class Clock(TrainingListener):
            def on_batch_end(self, event) -> None:
                times.append(time.perf_counter())
                if len(times) >= WARMUP + batches:
                    control.request_stop()

        train(project, data, listener=Clock(), control=control)
        return {"samples_per_s": batches * BATCH / (times[WARMUP + batches - 1] - times[WARMUP - 1]),
                "peak_rss_gb": peak_rss_gb(), "train_windows": data.num_train}

    return one_round


def plain_trainer(path: Path, batches: int) -> Callable[[], dict]:
    import keras
    import pandas as pd

    from core.datasets.base import REGRESSION, DataInfo
    from core.models import build_model
    from core.specs import ModelSpec

    rows = pd.read_csv(path).to_numpy(np.float64)
    n_train = len(rows) - int(round(len(rows) * 0.2))
    mean, std = rows[:n_train].mean(axis=0), rows[:n_train].std(axis=0)
    x = ((rows - mean) / std).astype(np.float32)
    # Window [s, s + 50) predicts the first column one row after it, as the app's many-to-one.
    # Only the windows the timed batches use: all of them would take 1.6 GB.
    starts = np.random.default_rng(0).permutation(n_train - WINDOW)[:(WARMUP + batches) * BATCH]
    windows = x[starts[:, None] + np.arange(WINDOW)]
    targets = x[starts + WINDOW, :1]
    info = DataInfo(task="bench", io_mode="many_to_one", kind=REGRESSION, input_kind="real",
                    input_shape=(WINDOW, COLUMNS), output_shape=(1,), target_names=["sensor_0"])

    def one_round() -> dict:
        keras.utils.set_random_seed(42)
        model = build_model(ModelSpec(cell="LSTM", io_mode="many_to_one", units=UNITS), info)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
        times: list[float] = []

        class Clock(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                times.append(time.perf_counter())

        model.fit(windows, targets, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=[Clock()])
        return {"samples_per_s": batches * BATCH / (times[WARMUP + batches - 1] - times[WARMUP - 1]),
                "peak_rss_gb": peak_rss_gb()}

    return one_round


def serve(side: str, path: Path, batches: int) -> None:
    """The child: load once, then one training round per line on stdin, its figures as a JSON line."""
    one_round = (app_trainer if side == "app" else plain_trainer)(path, batches)
    print("ready", flush=True)
    for _request in sys.stdin:
        figures = one_round()
        # As the window's training child does after every run (core/runner_child.py): a round's
        # model, graphs and pipelines sit in reference cycles, ~100 MB a round here until a full
        # collection, which the child's few allocations between rounds would seldom trigger.
        gc.collect()
        print(json.dumps(figures), flush=True)


class Side:
    """One side's child process: started once, asked for a round at a time."""

    def __init__(self, side: str, path: Path, batches: int, log_folder: Path) -> None:
        self.side = side
        self._log = open(log_folder / f"{side}.stderr", "w+")  # TensorFlow's chatter, shown on failure
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--child", side, "--csv", str(path), "--batches", str(batches)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)
        self._answer()  # "ready": the CSV is read before any round is timed

    def _answer(self) -> str:
        while line := self._process.stdout.readline():
            if line.startswith(("{", "ready")):
                return line
        self._log.seek(0)
        raise SystemExit(f"{self.side} child failed (exit {self._process.wait()}):\n{self._log.read()[-4000:]}")

    def round(self) -> dict:
        self._process.stdin.write("train\n")
        self._process.stdin.flush()
        return json.loads(self._answer())

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=60)
        self._log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds at most")
    parser.add_argument("--batches", type=int, default=150, help="timed batches per training side and round")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", choices=("app", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        serve(args.child, args.csv, args.batches)
        return

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_csv(path, args.rows)
        print(f"{args.rows:,} rows x {COLUMNS} columns, {path.stat().st_size / 1e6:.0f} MB", flush=True)

        def load(number: int) -> float:
            app, plain = load_round(path, number)
            print(f"  app {app:.2f} s, pandas.read_csv {plain:.2f} s", flush=True)
            return app / plain

        load_ratio = _common.run_rounds(load, LOAD_GOAL, min_rounds=args.rounds, final=False)
        rss: list[float] = []
        app_side, plain_side = Side("app", path, args.batches, Path(folder)), Side("plain", path, args.batches, Path(folder))

        def training(number: int) -> float:
            app, plain = _common.alternate(app_side.round, plain_side.round, number)
            rss.append(app["peak_rss_gb"])
            print(f"  app {app['samples_per_s']:.0f} samples/s (peak RSS {app['peak_rss_gb']:.2f} GB, "
                  f"{app['train_windows']:,} training windows), plain Keras on windows cut in memory "
                  f"{plain['samples_per_s']:.0f} samples/s (peak RSS {plain['peak_rss_gb']:.2f} GB)", flush=True)
            return app["samples_per_s"] / plain["samples_per_s"]

        throughput = _common.run_rounds(training, THROUGHPUT_GOAL, min_rounds=args.rounds, final=False)
        app_side.close()
        plain_side.close()
    _common.final_line(LOAD_GOAL, load_ratio)
    _common.final_line(RSS_GOAL, max(rss))
    _common.final_line(THROUGHPUT_GOAL, throughput)


if __name__ == "__main__":
    main()
