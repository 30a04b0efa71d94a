"""Explaining one sample: the states of every layer (core.states) and the connectivity (core.connectivity).

T = 100 steps, 64 units, for each cell; two models per cell: aligned many-to-many over 5 classes
(C is 100 x 100, from 500 backward rows) and many-to-one with one output (C is one row). Each
round builds fresh models from a new seed and times, per model:

- cold: the first explain of the model (states + connectivity, whose function is traced then:
  a sequence this long is compiled from its first call), as ``main.py explain`` does it once per
  process (after TensorFlow has loaded and the model is built);
- warm: the median of the next calls on other samples, as the Memory view explains one sample
  after another with the same model;
- plain Keras ``model(x)`` of the same sample, for scale.

Both models are chains, so their connectivity is carried forward in numpy
(``core.connectivity_forward``), as the window and ``main.py explain`` do it. Each model is also
explained a second time with that way off: TensorFlow's backward pass, which encoder-decoder and
one-to-many models (and samples too wide for numpy) take. Its figures are printed for scale; the
final lines are the way a user gets.

The cold call also shows its CPU time (all threads): on a shared machine, wall time above it
means the process waited for a core.

The connectivity line gives the worst warm connectivity alone; the last line the worst explain
(cold or warm, any cell, any model) over the rounds' medians.

Usage: python bench/bench_explain.py [--rounds 3] [--warm 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from core.connectivity import Connectivity  # noqa: E402
from core.datasets.base import CLASSIFICATION, REGRESSION, DataInfo  # noqa: E402
from core.models import build_model  # noqa: E402
from core.specs import ModelSpec  # noqa: E402
from core.states import sequence_states  # noqa: E402

GOAL_S = 1.0
STEPS, UNITS, FEATURES, CLASSES = 100, 64, 5, 5
CELLS = ("LSTM", "GRU", "SimpleRNN")


def infos() -> dict[str, DataInfo]:
    names = [chr(ord("A") + i) for i in range(FEATURES)]
    return {
        "many_to_many": DataInfo(task="bench", io_mode="many_to_many", kind=CLASSIFICATION, input_kind="real",
                                 input_shape=(STEPS, FEATURES), output_shape=(STEPS,),
                                 class_names=names[:CLASSES], feature_names=names),
        "many_to_one": DataInfo(task="bench", io_mode="many_to_one", kind=REGRESSION, input_kind="real",
                                input_shape=(STEPS, FEATURES), output_shape=(1,), target_names=["y"],
                                feature_names=names),
    }


def samples(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(FEATURES, dtype=np.float32)[rng.integers(0, FEATURES, size=(n, STEPS))]


def explain_once(model, info, connectivity: Connectivity, x) -> tuple[float, float]:
    """(seconds for the whole explain, seconds of it for the connectivity)."""
    start = time.perf_counter()
    states = sequence_states(model, info, x)
    middle = time.perf_counter()
    states.connectivity = connectivity(x)
    end = time.perf_counter()
    return end - start, end - middle


def measure(cell: str, mode: str, info: DataInfo, seed: int, warm_calls: int, *, forward: bool = True) -> dict[str, float]:
    keras.utils.set_random_seed(seed)
    model = build_model(ModelSpec(cell=cell, io_mode=mode, units=UNITS), info)
    xs = samples(warm_calls + 1, seed)
    model(xs[:1])  # built and run once: what a loaded bundle has behind it
    plain_start = time.perf_counter()
    model(xs[:1])
    plain = time.perf_counter() - plain_start
    connectivity = Connectivity(model, info)
    if not forward:
        connectivity.forward = None
    elif not connectivity.carried_forward(xs[0]):
        raise SystemExit(f"{cell} {mode}: the numpy way does not take this model; the bench would time the other way")
    cpu_start = time.process_time()
    cold, _ = explain_once(model, info, connectivity, xs[0])
    cold_cpu = time.process_time() - cpu_start
    warm = [explain_once(model, info, connectivity, x) for x in xs[1:]]
    return {"plain": plain, "cold": cold, "cold_cpu": cold_cpu, "warm": statistics.median(w for w, _ in warm),
            "warm_connectivity": statistics.median(c for _, c in warm)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=4, help="warm calls per model and round")
    parser.add_argument("--cells", default=",".join(CELLS))
    args = parser.parse_args(argv)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    print(f"T={STEPS}, {UNITS} units, {FEATURES} one-hot features; many-to-many over {CLASSES} classes "
          f"({STEPS * CLASSES} Jacobian rows) and many-to-one (1 row); {args.rounds} rounds, "
          f"{args.warm} warm calls each")
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    backward: dict[tuple[str, str], list[dict[str, float]]] = {}
    for r in range(args.rounds):
        for cell in cells:
            for mode, info in infos().items():
                for forward, store, way in ((True, results, "numpy"), (False, backward, "TF")):
                    m = measure(cell, mode, info, seed=r, warm_calls=args.warm, forward=forward)
                    store.setdefault((cell, mode), []).append(m)
                    print(f"round {r + 1} {cell:9s} {mode:12s} {way:5s} plain Keras call {m['plain'] * 1000:7.1f} ms"
                          f"   explain cold {m['cold']:6.3f} s (CPU {m['cold_cpu']:6.3f} s)   warm {m['warm']:6.3f} s "
                          f"(connectivity {m['warm_connectivity']:6.3f} s)", flush=True)
    worst_explain, worst_connectivity = 0.0, 0.0
    for (cell, mode), rounds in results.items():
        cold = statistics.median(m["cold"] for m in rounds)
        warm = statistics.median(m["warm"] for m in rounds)
        conn = statistics.median(m["warm_connectivity"] for m in rounds)
        print(f"{cell:9s} {mode:12s} median over rounds: cold {cold:.3f} s, warm {warm:.3f} s, "
              f"connectivity {conn:.3f} s")
        worst_explain = max(worst_explain, cold, warm)
        worst_connectivity = max(worst_connectivity, conn)
    worst_backward = max(max(statistics.median(m["cold"] for m in rounds), statistics.median(m["warm"] for m in rounds))
                         for rounds in backward.values())
    print(f"for scale, the same models through TensorFlow's backward pass: worst explain {worst_backward:.2f} s")
    print("(below: the worst per-model median over rounds)")
    print(f"connectivity T={STEPS}, {UNITS} units: {worst_connectivity:.2f} s (goal <= {GOAL_S:.2f})")
    print(f"explain one sample T={STEPS}, {UNITS} units: {worst_explain:.2f} s (goal <= {GOAL_S:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
