"""What every benchmark shares: the headless set-up, and rounds that repeat.

Import it first: ``import _common``. It sets no display (offscreen Qt), pyqtgraph bound to
PySide6, TensorFlow's start-up chatter off, and puts the repository on sys.path, since the
scripts run as files (``python bench/bench_plots.py``).

Rounds: this machine's speed drifts from minute to minute, so a bench measures in rounds, each
round alternating its two sides (``alternate``: A then B, B then A in the next round), drops
the first round(s) as warm-up, prints every round, then min / median / max with the median's
95 % confidence interval, then its final line with the median, which ``make bench`` and
bench/RESULTS.md read:

    goal = Goal("window/plain throughput", 0.90, higher_is_better=True)
    median = run_rounds(lambda number: window_over_plain(number), goal)   # prints it all

A bench with several figures per round (one per cell) keeps its own loop and calls
``enough_rounds`` to know when to stop and ``summarize`` / ``final_line`` to print.
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MIN_ROUNDS = 7
# Fewer rounds are enough once the median is this sure of its verdict (see enough_rounds).
EARLY_ROUNDS = 3
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Goal:
    """A bench's final figure: its name, the target and which side of it passes."""

    name: str
    target: float
    higher_is_better: bool
    unit: str = ""  # " ms", " s", " GB": printed after the value and the target
    decimals: int = 2

    def met(self, value: float) -> bool:
        return value >= self.target if self.higher_is_better else value <= self.target

    def text(self, value: float) -> str:
        """The value at ``decimals``, or with more where those would round a miss onto the target
        (a median of 0.947 printed "0.95" against a goal of >= 0.95)."""
        decimals = self.decimals
        while (not self.met(value) and decimals < self.decimals + 3
               and f"{value:.{decimals}f}" == f"{self.target:.{decimals}f}"):
            decimals += 1
        return f"{value:.{decimals}f}{self.unit}"

    def line(self, value: float) -> str:
        """``NAME: VALUE (goal >= TARGET)``, the last line a bench prints."""
        relation = ">=" if self.higher_is_better else "<="
        return f"{self.name}: {self.text(value)} (goal {relation} {self.target:.{self.decimals}f})"


def median_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """A distribution-free confidence interval of the median: the order statistics whose ranks
    a Binomial(n, 1/2) puts around the middle with at least ``confidence`` (the whole range
    when n is too small for that)."""
    ordered = sorted(values)
    n = len(ordered)
    if n < 2:
        return (ordered[0], ordered[0]) if ordered else (math.nan, math.nan)
    # [x(k), x(n-1-k)] (from 0) misses the median when k + 1 or more values fall on one side of
    # it: probability 2 P(B <= k). The largest k that keeps the coverage.
    best = 0
    for k in range(1, n // 2):
        if 1 - 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n >= confidence:
            best = k
        else:
            break
    return ordered[best], ordered[n - 1 - best]


def enough_rounds(values: Sequence[float], goal: Goal, min_rounds: int = MIN_ROUNDS) -> bool:
    """Whether a bench has counted enough rounds for its verdict:

    - from EARLY_ROUNDS on, once the median's confidence interval is narrower than a tenth of its
      distance to the goal (the verdict cannot turn);
    - after ``min_rounds``, unless the goal still lies inside the median's interval: a figure that
      sits on its goal gets more rounds, so that its verdict rests more on the figure and less on
      which rounds happened to be drawn (the monitored ratio's seven-round medians were 0.95, 0.96
      and 0.94 in three consecutive `make bench` runs, goal 0.95: bench/RESULTS.md, 2026-12-03);
    - at the latest after ``extended_rounds(min_rounds)``, where the verdict is what the median says.
    """
    n = len(values)
    if n >= extended_rounds(min_rounds):
        return True
    if n < min(EARLY_ROUNDS, min_rounds):
        return False
    low, high = median_interval(values)
    median = statistics.median(values)
    if high - low < abs(median - goal.target) / 10:
        return True
    return n >= min_rounds and not low <= goal.target <= high


def extended_rounds(min_rounds: int) -> int:
    """The most rounds a bench counts when its goal stays inside the median's interval: about
    twice ``min_rounds`` (7 -> 15; the interval narrows as one over the root of the rounds)."""
    return 2 * min_rounds + 1


def alternate(first: Callable[[], object], second: Callable[[], object], round_number: int) -> tuple:
    """(first(), second()), run in that order in odd rounds and the other way in even ones, so
    a drift in the machine's speed weighs on both sides alike."""
    if round_number % 2:
        a = first()
        return a, second()
    b = second()
    return first(), b


def summarize(values: Sequence[float], goal: Goal, label: str = "") -> float:
    """Print min / median / max and the median's interval over the counted rounds; the median."""
    median = statistics.median(values)
    low, high = median_interval(values)
    prefix = f"{label}: " if label else ""
    print(f"{prefix}{len(values)} rounds: min {goal.text(min(values))}, median {goal.text(median)}, "
          f"max {goal.text(max(values))}; median's {CONFIDENCE:.0%} interval {goal.text(low)} to {goal.text(high)}",
          flush=True)
    return median


def final_line(goal: Goal, value: float) -> None:
    print(goal.line(value), flush=True)


def run_rounds(measure: Callable[[int], float], goal: Goal, *, warmup: int = 1, min_rounds: int = MIN_ROUNDS,
               detail: Callable[[int, float], str] | None = None, final: bool = True) -> float:
    """Call ``measure(round_number)`` (from 1) for ``warmup`` rounds that are printed but not
    counted, then until ``enough_rounds``; print each round, the summary and (unless ``final``
    is False: a bench with several goals prints them together at its end) the final line.
    Returns the median of the counted rounds."""
    values: list[float] = []
    number = 0
    while not enough_rounds(values, goal, min_rounds):
        number += 1
        start = time.perf_counter()
        value = measure(number)
        seconds = time.perf_counter() - start
        counted = number > warmup
        if counted:
            values.append(value)
        note = "" if counted else " (warm-up, not counted)"
        extra = f"; {detail(number, value)}" if detail is not None else ""
        print(f"round {number}: {goal.name} {goal.text(value)}{note} [{seconds:.1f} s]{extra}", flush=True)
    median = summarize(values, goal, "" if final else goal.name)
    if final:
        final_line(goal, median)
    return median
