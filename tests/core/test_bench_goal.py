"""The benches' final lines: a figure that misses its goal never reads as meeting it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def common():
    spec = importlib.util.spec_from_file_location("bench_common", ROOT / "bench" / "_common.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_miss_that_rounds_onto_the_goal_is_printed_with_the_digits_that_show_it(common):
    ratio = common.Goal("monitored/plain throughput", 0.95, higher_is_better=True)
    assert ratio.line(0.947) == "monitored/plain throughput: 0.947 (goal >= 0.95)"
    assert ratio.line(0.9499) == "monitored/plain throughput: 0.9499 (goal >= 0.95)"
    assert ratio.line(0.953) == "monitored/plain throughput: 0.95 (goal >= 0.95)"  # met: two decimals
    assert ratio.line(0.944) == "monitored/plain throughput: 0.94 (goal >= 0.95)"  # a plain miss
    gap = common.Goal("longest GUI gap during training", 50, higher_is_better=False, unit=" ms", decimals=0)
    assert gap.line(50.4) == "longest GUI gap during training: 50.4 ms (goal <= 50)"
    assert gap.line(49.6) == "longest GUI gap during training: 50 ms (goal <= 50)"
