"""Cost of monitoring: plain ``model.fit`` against ``core.training.train`` on the same model and data.

Both sides build the same 2-layer RNN (64 units; T=50 steps of 8 features; batch 64; Adam) from
the same seed and train it on the same data with the same validation set, fed to Keras the way
the app feeds it (``core.training.fit_inputs``: repeated tf.data pipelines), for each cell
(LSTM, GRU, SimpleRNN). The monitored side also returns the batch loss and the gradient norm of
every weight from each step, checks for NaN, keeps the weights of the previous step on the device,
computes the gradient-flow profile within its time budget (core.epoch_probe.FlowSchedule: a pass
here takes ~26 ms, one training step, so 1 % of the training time: after the first and the last
epoch of a round, and between them when it fits), and looks inside (core.epoch_probe):
the probe sample's states, its connectivity within its time budget, the spectral radius of every
w_R and the histograms of weights and gradients, within its time budget (1 % of the training
time: a look every few epochs here). Each round also prints how many epochs looked and what
looking cost per epoch on average, and the same for the flow.

The two sides take turns batch by batch (``Lockstep``): both run ``fit`` at once, each in its own
thread, and each side's batch end hands the turn to the other and waits for it back, so that only
one trains at any moment. Each side is timed on its own clock, which runs only while it has the
turn. This machine's speed drifts from second to second and other processes share it: epochs
taken in turns (0.6 s each) put a drift on one side, and single rounds swung from 0.80 to 0.98;
batches in turns (10-30 ms) share every drift between the sides. Time per epoch is estimated
robustly: the median time between consecutive batch ends times the number of batches, plus the
median time from an epoch's last batch to its end (validation), plus, for the monitored side, the
mean time per epoch of the budgeted work (flow passes and looks: a median of epochs would leave
out the work that only some epochs do). Each side's first epoch, which traces the graphs, is not
counted. The ratio is taken per round and cell; the first round is warm-up, then rounds go on
until every cell has enough (``_common.enough_rounds``: 7, fewer once the verdict is sure, up to
15 while the goal lies inside the median's interval; a cell that has enough sits out the rest).
Each cell's rounds are summarised (min / median / max and the median's interval), and the last
line gives the MINIMUM of the per-cell medians.

About 5 minutes on an idle two-core machine.

Usage: python bench/bench_monitored_training.py [--rounds 7] [--epochs 4] [--samples 2048]
"""

from __future__ import annotations

import argparse
import threading
import time

import _common  # first: TensorFlow quiet, the repository importable
import keras  # noqa: E402
import numpy as np  # noqa: E402

from core.datasets.base import REGRESSION, DataInfo, SequenceData  # noqa: E402
from core.models import build_model, loss_and_metrics  # noqa: E402
from core.specs import ModelSpec, Project, TrainingSpec  # noqa: E402
from core.training import TrainingControl, TrainingListener, fit_inputs, make_optimizer, train  # noqa: E402

GOAL = _common.Goal("monitored/plain throughput", 0.95, higher_is_better=True)
STEPS, FEATURES, UNITS, LAYERS, BATCH = 50, 8, 64, 2, 64
CELLS = ("LSTM", "GRU", "SimpleRNN")


def make_data(samples: int) -> SequenceData:
    rng = np.random.default_rng(0)
    n_val = samples // 8
    n = samples + n_val
    x = rng.normal(size=(n, STEPS, FEATURES)).astype(np.float32)
    # A target that needs memory: a weighted sum of the first feature over time.
    weights = np.linspace(1.0, 0.0, STEPS, dtype=np.float32)
    y = (x[:, :, 0] @ weights)[:, None].astype(np.float32) / np.sqrt(STEPS)
    info = DataInfo(task="bench", io_mode="many_to_one", kind=REGRESSION, input_kind="real",
                    input_shape=(STEPS, FEATURES), output_shape=(1,), target_names=["y"])
    return SequenceData(x[:samples], y[:samples], x[samples:], y[samples:], info)


def device() -> str:
    """Both sides train on the same device: the first GPU if there is one."""
    import tensorflow as tf

    return "gpu:0" if tf.config.list_physical_devices("GPU") else "cpu"


def project(cell: str, epochs: int) -> Project:
    return Project(
        model=ModelSpec(cell=cell, io_mode="many_to_one", layers=LAYERS, units=UNITS),
        training=TrainingSpec(epochs=epochs, batch_size=BATCH, learning_rate=1e-3, seed=1, device=device()),
    )


class Lockstep:
    """Two threads that take turns: ``hand_over`` gives the turn to the other side and waits for
    it back. ``own_time`` is a side's clock, which runs only while that side has the turn. When a
    side finishes (or fails), the other runs on without waiting."""

    SIDES = ("monitored", "plain")

    def __init__(self) -> None:
        self.turn = {side: threading.Event() for side in self.SIDES}
        self.spent = dict.fromkeys(self.SIDES, 0.0)
        self.resumed: dict[str, float | None] = dict.fromkeys(self.SIDES)
        self.finished = False

    def begin(self, side: str) -> None:
        """Called once by each side's thread before it trains: the monitored side starts."""
        if side != "monitored":
            self.turn[side].wait()
        self.resumed[side] = time.perf_counter()

    def own_time(self, side: str) -> float:
        return self.spent[side] + time.perf_counter() - self.resumed[side]

    def hand_over(self, side: str) -> None:
        if self.finished:
            return
        other = self.SIDES[1 - self.SIDES.index(side)]
        self.spent[side] += time.perf_counter() - self.resumed[side]
        self.turn[side].clear()
        self.turn[other].set()
        self.turn[side].wait()
        self.resumed[side] = time.perf_counter()

    def finish(self) -> None:
        self.finished = True
        for event in self.turn.values():
            event.set()


class Clock:
    """Start, batch ends and end of each epoch on one side's own clock, and the budgeted
    epoch-end work inside it."""

    def __init__(self, lockstep: Lockstep, side: str) -> None:
        self.now = lambda: lockstep.own_time(side)
        self.epochs: list[dict] = []

    def start(self) -> None:
        self.epochs.append({"start": self.now(), "batches": [], "end": None, "budgeted": 0.0})

    def batch(self) -> None:
        self.epochs[-1]["batches"].append(self.now())

    def end(self) -> None:
        self.epochs[-1]["end"] = self.now()

    def throughput(self, samples: int) -> float:
        """Samples per second, first epoch left out: median step x steps + median epoch-end work
        + the MEAN of the budgeted work (the flow and the looks happen after some epochs only: a
        median would leave them out, and over a long run they cost their budgets)."""
        steps, tails, budgeted = [], [], []
        timed = self.epochs[1:]
        for epoch in timed:
            steps.extend(np.diff([epoch["start"], *epoch["batches"]]))
            tails.append(epoch["end"] - epoch["batches"][-1] - epoch["budgeted"])
            budgeted.append(epoch["budgeted"])
        epoch_s = (float(np.median(steps)) * len(timed[0]["batches"]) + float(np.median(tails))
                   + float(np.mean(budgeted)))
        return samples / epoch_s


class BudgetedClock:
    """Times the epoch-end work that keeps a time budget (core.epoch_probe): the gradient-flow
    passes (FlowSchedule.measure) and the looks inside (EpochProbe.take), into ``clock``'s epochs."""

    def __init__(self, clock: Clock) -> None:
        import core.epoch_probe as epoch_probe

        self.clock = clock
        self.counts = {"look": [], "flow": []}  # per call: (epoch index, seconds, did it happen)
        self.patched = [(epoch_probe.EpochProbe, "take"), (epoch_probe.FlowSchedule, "measure")]
        self.originals = [getattr(cls, name) for cls, name in self.patched]
        for (cls, name), original, kind in zip(self.patched, self.originals, ("look", "flow")):
            setattr(cls, name, self._timed(original, kind))

    def _timed(self, original, kind: str):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            result = original(*args, **kwargs)
            seconds = time.perf_counter() - start
            self.clock.epochs[-1]["budgeted"] += seconds
            happened = kind == "flow" or result != (None, None)
            self.counts[kind].append((len(self.clock.epochs), seconds, happened))
            return result

        return timed

    def close(self) -> dict[str, tuple[int, float]]:
        """Per kind: (epochs after the first it happened at, mean seconds per epoch after the first)."""
        for (cls, name), original in zip(self.patched, self.originals):
            setattr(cls, name, original)
        timed = max(1, len(self.clock.epochs) - 1)
        return {kind: (sum(1 for epoch, _s, happened in calls if epoch > 1 and happened),
                       sum(s for epoch, s, _happened in calls if epoch > 1) / timed)
                for kind, calls in self.counts.items()}


def run_lockstep(cell: str, data: SequenceData, epochs: int) -> tuple[float, float]:
    """(plain, monitored) samples/s, the two fits taking turns batch by batch (``Lockstep``)."""
    import tensorflow as tf

    spec = project(cell, epochs)
    keras.utils.set_random_seed(spec.training.seed)
    plain = build_model(spec.model, data.info)
    loss, metrics = loss_and_metrics(data.info)
    plain.compile(optimizer=make_optimizer(spec.training), loss=loss, metrics=metrics)
    lockstep = Lockstep()
    plain_clock, monitored_clock = Clock(lockstep, "plain"), Clock(lockstep, "monitored")
    # Fed as the app feeds Keras (repeated tf.data pipelines, steps given): the same input path on
    # both sides, so the ratio is the cost of monitoring alone.
    plain_inputs = fit_inputs(data, spec.training)

    class PlainTurns(keras.callbacks.Callback):
        # Keras converts every batch's logs to Python numbers whether or not a callback wants
        # them, so this adds only the cost of a timestamp and of the hand-over.
        def on_epoch_begin(self, epoch, logs=None):
            plain_clock.start()

        def on_train_batch_end(self, batch, logs=None):
            plain_clock.batch()
            lockstep.hand_over("plain")

        def on_epoch_end(self, epoch, logs=None):
            plain_clock.end()

    class MonitoredTurns(TrainingListener):
        def on_run_started(self, event):
            monitored_clock.start()

        def on_batch_end(self, event):
            monitored_clock.batch()

        def on_epoch_end(self, event):
            monitored_clock.end()
            monitored_clock.start()

    class TakeTurns(TrainingControl):
        """Hands the turn over after each of the monitored run's batches. The run counts the wait
        as a pause, as it would a user's: its time budgets (core.epoch_probe) then see its own
        training time, not both sides'."""

        def wait_while_paused(self) -> float:
            start = time.perf_counter()
            lockstep.hand_over("monitored")
            return time.perf_counter() - start

    plain_error: list[BaseException] = []

    def fit_plain() -> None:
        try:
            lockstep.begin("plain")
            with tf.device("/GPU:0" if spec.training.device == "gpu:0" else "/CPU:0"):
                plain.fit(**plain_inputs, epochs=epochs, verbose=0, callbacks=[PlainTurns()])
        except BaseException as exc:  # re-raised in the main thread
            plain_error.append(exc)
        finally:
            lockstep.finish()

    plain_thread = threading.Thread(target=fit_plain, name="plain fit", daemon=True)
    plain_thread.start()
    budgeted = BudgetedClock(monitored_clock)
    try:
        lockstep.begin("monitored")
        result = train(spec, data, listener=MonitoredTurns(), control=TakeTurns())
    finally:
        lockstep.finish()
        spent = budgeted.close()
        plain_thread.join()
    if plain_error:
        raise plain_error[0]
    assert result.stop_reason == "completed", result.message
    assert len(result.history.batch_loss) == epochs * -(-data.num_train // BATCH)
    monitored_clock.epochs.pop()  # started after the last epoch; never ran
    plain_rate, monitored_rate = plain_clock.throughput(data.num_train), monitored_clock.throughput(data.num_train)
    epoch_s = data.num_train / monitored_rate
    parts = [f"{count} {kind}s, {seconds * 1000:.1f} ms per epoch ({seconds / epoch_s:.1%})"
             for kind, (count, seconds) in spent.items()]
    print(f"  {cell}: after epochs 2-{epochs}: " + "; ".join(parts), flush=True)
    return plain_rate, monitored_rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds (more while the goal is inside the median's interval)")
    parser.add_argument("--epochs", type=int, default=4, help="per side and round; the first is not timed")
    parser.add_argument("--samples", type=int, default=2048, help="training samples")
    parser.add_argument("--cells", default=",".join(CELLS))
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is not timed)")
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    data = make_data(args.samples)
    print(f"{LAYERS}-layer RNN x {UNITS} units, T={STEPS}, {FEATURES} features, batch {BATCH}, "
          f"{data.num_train} training + {data.num_val} validation samples, {args.epochs} epochs "
          f"(first not timed), device {device()}")
    ratios: dict[str, list[float]] = {cell: [] for cell in cells}
    number = 0
    while True:
        # A cell whose verdict is sure sits out the rounds another cell still needs.
        due = [cell for cell in cells if number == 0 or not _common.enough_rounds(ratios[cell], GOAL, args.rounds)]
        if not due:
            break
        number += 1
        for cell in due:
            plain, monitored = run_lockstep(cell, data, args.epochs)
            ratio = monitored / plain
            if number > 1:
                ratios[cell].append(ratio)
            note = "" if number > 1 else " (warm-up, not counted)"
            print(f"round {number} {cell:9s} plain {plain:8.0f} samples/s   "
                  f"monitored {monitored:8.0f} samples/s   ratio {ratio:.3f}{note}", flush=True)
    medians = {cell: _common.summarize(values, GOAL, cell) for cell, values in ratios.items()}
    print("(the value below is the minimum over cells of the per-cell median ratio)")
    _common.final_line(GOAL, min(medians.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
