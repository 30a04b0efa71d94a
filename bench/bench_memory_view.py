"""Memory view redraw time for a 100-step, 64-unit LSTM sample (issue 8, "Numbers it must reach").

A ``MemoryView`` (offscreen, 1200x900) shows the states of an LSTM layer: h(t), c(t) and four
gates, six 64 x 100 heat-maps under the decoded input, with a unit chosen so the input row is
coloured by it. Each round hands it the states of a new epoch (same shapes, new values: what
the probe brings at every epoch end while a run trains) and times what the user waits for:
``set_states`` (images, colour ranges, token colours, saturation strip) followed by
``repaint()`` of the view and ``processEvents()``. The first draw, which builds the maps, is
printed on its own and not counted, and so are the next WARMUP rounds; then 21 counted rounds
(``_common.enough_rounds``): a round is one redraw of ~20 ms, and with the 7 rounds of the other
benches one slow redraw moved the median by a third from one run to the next (13.5 and 22.3 ms on
2026-12-03). The final line is the MEDIAN of the rounds.

A few seconds on an idle two-core machine.

Usage: python bench/bench_memory_view.py [--rounds 21] [--steps 100] [--units 64] [--cell LSTM]
"""

from __future__ import annotations

import argparse
import time

import _common  # first: headless Qt, pyqtgraph on PySide6, the repository importable
import numpy as np

GOAL = _common.Goal("memory view redraw", 30.0, higher_is_better=False, unit=" ms", decimals=1)
ROUNDS, WARMUP = 21, 3


def fake_states(rng: np.random.Generator, steps: int, units: int, cell: str):
    """States of the right shapes and ranges: tanh for h and the candidate, sigmoid gates."""
    from core.states import GATES, LayerStates, SequenceStates

    def sigmoid(v):
        return 1.0 / (1.0 + np.exp(-v))

    hidden = np.tanh(rng.normal(size=(steps, units))).astype(np.float32)
    gates = {gate: (np.tanh(rng.normal(size=(steps, units))) if gate == "candidate"
                    else sigmoid(rng.normal(0, 3, size=(steps, units)))).astype(np.float32)
             for gate in GATES[cell]}
    cell_state = rng.normal(0, 1.5, size=(steps, units)).astype(np.float32) if cell == "LSTM" else None
    layer = LayerStates("rnn_1", cell, hidden, cell_state, gates)
    tokens = [chr(ord("a") + i % 26) for i in range(steps)]
    return SequenceStates(steps=steps, input_tokens=tokens, layers=[layer], output=np.zeros((steps, 3), np.float32))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="counted rounds at most")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--cell", default="LSTM", choices=("SimpleRNN", "LSTM", "GRU"))
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from desktop_app.memory.memory_view import MemoryView

    rng = np.random.default_rng(0)
    view = MemoryView()
    view.resize(1200, 900)
    view.show()
    app.processEvents()

    start = time.perf_counter()
    view.set_states(fake_states(rng, args.steps, args.units, args.cell))
    view.select_unit("hidden", 5)
    view.repaint()
    app.processEvents()
    first_ms = (time.perf_counter() - start) * 1000
    print(f"{args.cell}, {args.steps} steps x {args.units} units, {len(view.maps.maps)} maps: "
          f"first draw (builds the maps) {first_ms:.1f} ms", flush=True)

    shown = []

    def one_round(_number: int) -> float:
        states = fake_states(rng, args.steps, args.units, args.cell)
        start = time.perf_counter()
        view.set_states(states)
        view.repaint()
        app.processEvents()
        shown.append(states)
        return (time.perf_counter() - start) * 1000

    _common.run_rounds(one_round, GOAL, warmup=WARMUP, min_rounds=args.rounds)
    assert np.allclose(view.maps.maps["hidden"].image_data(), shown[-1].layers[0].hidden.T)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
