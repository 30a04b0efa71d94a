"""Plot redraw time after 100,000 batches of gradient norms across 4 layers (issue 4, item 5).

``TrainingPlots`` (offscreen, 1200x800) is fed real ``core.training`` events: ``RunStarted``
with 4 layers (3 LSTM layers with w_i, w_R, bias and a Dense head with kernel, bias: 11 weights),
then 100,000 ``BatchEnd`` events (1,000 batches per epoch, gradient norms spread over decades,
so the log axis is exercised) and an ``EpochEnd`` after each epoch. Then, per view, one more
batch arrives before each repetition and the time is taken for what the 15 Hz timer does plus
the paint the user waits for: ``TrainingPlots._redraw`` (setData on every curve of the shown
tab) followed by ``processEvents()``, in which Qt paints what changed, as it does in the
window. Each timed redraw must have painted the shown plot (paint events counted), or the
bench fails. (Until 2026-12-01 a ``repaint()`` of the whole widget came before ``processEvents()``;
it repainted the unchanged tab bar, captions and legend too, which the window never does per
frame: 5-6 ms more, side by side, see RESULTS.md.)

Views: "loss" (batch loss + epoch losses and metric, printed once for reference), "gradients
(4 layers)" (the gradients tab as it opens: one curve per layer) and "gradients per weight"
(w_i, w_R, bias of every layer: 11 curves, the heaviest). Each round times --repeat redraws of
the two gradient views, alternating which goes first (``_common.alternate``); a view's figure
for the round is the median of its repetitions. The first round is warm-up. The final line is
the median over rounds of the per-weight view (issue 12: <= 16 ms after 100,000 batches).

About 1 minute on an idle two-core machine (most of it feeding the 100,000 batches).

Usage: python bench/bench_plots.py [--batches 100000] [--repeat 5] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import _common  # first: headless Qt, pyqtgraph on PySide6, the repository importable
import numpy as np
from PySide6 import QtCore

GOAL = _common.Goal("plot redraw after 100,000 batches", 16.0, higher_is_better=False, unit=" ms", decimals=1)
LAYERS = ["rnn_1", "rnn_2", "rnn_3", "head"]
WEIGHTS = {"rnn_1": ["w_i", "w_R", "bias"], "rnn_2": ["w_i", "w_R", "bias"], "rnn_3": ["w_i", "w_R", "bias"],
           "head": ["kernel", "bias"]}
PER_EPOCH = 1000
STEPS = 50


def feed(plots, batches: int):
    from core.training import BatchEnd, EpochEnd, RunStarted

    epochs = -(-batches // PER_EPOCH)
    plots.begin_run("bench", "#1 LSTM", RunStarted(epochs=epochs, batches_per_epoch=PER_EPOCH, device_name="CPU",
                                                  layer_names=LAYERS, weight_names=WEIGHTS), "classification")
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for g in range(1, batches + 1):
        epoch, batch = (g - 1) // PER_EPOCH + 1, (g - 1) % PER_EPOCH + 1
        layer = {name: float(10 ** rng.normal(-3 + i, 0.3)) for i, name in enumerate(LAYERS)}
        weights = {name: {w: layer[name] * (0.5 + 0.1 * k) for k, w in enumerate(ws)} for name, ws in WEIGHTS.items()}
        plots.add_batch("bench", BatchEnd(epoch=epoch, batch=batch, global_batch=g, batches_per_epoch=PER_EPOCH,
                                          loss=1.0 / g ** 0.3 + 0.05 * rng.random(), layer_norms=layer,
                                          weight_norms=weights))
        if batch == PER_EPOCH or g == batches:
            plots.add_epoch("bench", EpochEnd(
                epoch=epoch, epochs=epochs,
                logs={"loss": 1.0 / epoch, "val_loss": 1.1 / epoch, "accuracy": 1 - 0.5 / epoch,
                      "val_accuracy": 1 - 0.6 / epoch},
                gradient_flow=np.exp(-0.1 * np.arange(STEPS)[::-1]), elapsed_s=float(epoch)))
    return time.perf_counter() - start, g


class PaintCounter(QtCore.QObject):
    """Counts the paint events that reach the plots' viewports while they are visible."""

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QtCore.QEvent.Type.Paint and watched.isVisible():
            self.count += 1
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="redraws per view and round")
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds at most")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication, QTabWidget

    app = QApplication.instance() or QApplication([])
    import pyqtgraph as pg

    from core.training import BatchEnd
    from desktop_app.plots import TrainingPlots

    plots = TrainingPlots()
    paints = PaintCounter(plots)
    for view in plots.findChildren(pg.GraphicsView):
        view.viewport().installEventFilter(paints)
    plots.resize(1200, 800)
    plots.show()
    app.processEvents()
    seconds, g = feed(plots, args.batches)
    print(f"fed {args.batches:,} batches x {len(LAYERS)} layers ({sum(map(len, WEIGHTS.values()))} weights) in "
          f"{seconds:.1f} s ({seconds / args.batches * 1e6:.1f} us per batch event)", flush=True)
    tabs = plots.findChild(QTabWidget)
    titles = [tabs.tabText(i) for i in range(tabs.count())]
    loss_tab = next(i for i, t in enumerate(titles) if "oss" in t)
    grad_tab = next(i for i, t in enumerate(titles) if "radient" in t and "flow" not in t.lower())

    def measure(tab: int, per_weight: bool) -> float:
        """Median ms of --repeat redraws (setData + paint), a new batch before each."""
        nonlocal g
        plots.set_per_weight(per_weight)
        tabs.setCurrentIndex(tab)
        plots.redraw_now()
        app.processEvents()
        times = []
        for i in range(args.repeat):
            g += 1
            layer = {name: 1e-3 * (i + 1) for name in LAYERS}
            plots.add_batch("bench", BatchEnd(epoch=(g - 1) // PER_EPOCH + 1, batch=(g - 1) % PER_EPOCH + 1,
                                              global_batch=g, batches_per_epoch=PER_EPOCH, loss=0.3,
                                              layer_norms=layer,
                                              weight_norms={n: {w: layer[n] for w in ws} for n, ws in WEIGHTS.items()}))
            painted = paints.count
            start = time.perf_counter()
            plots._redraw()
            app.processEvents()
            times.append(1000 * (time.perf_counter() - start))
            if paints.count == painted:
                raise SystemExit("a redraw did not paint the plot: the time measured no paint")
        return statistics.median(times)

    print(f"loss view (reference): {measure(loss_tab, False):.1f} ms", flush=True)
    per_layer: list[float] = []

    def one_round(number: int) -> float:
        layers, weights = _common.alternate(lambda: measure(grad_tab, False), lambda: measure(grad_tab, True), number)
        per_layer.append(layers)
        return weights

    _common.run_rounds(one_round, GOAL, min_rounds=args.rounds,
                       detail=lambda _number, _value: f"gradients, one curve per layer: {per_layer[-1]:.1f} ms")
    plots.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
