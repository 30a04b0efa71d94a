"""What the sweep engine tests share: a tiny sweep, and the check that its folder holds what it says."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from pathlib import Path

from core.sweeps import SweepSpec, TrialEpoch, TrialResult, bundle_path, read_results

TINY_BASE = {"dataset": {"task": "adding", "params": {"length": 4, "samples": 20}},
             "model": {"cell": "SimpleRNN", "io_mode": "many_to_one", "units": 2},
             "training": {"epochs": 2, "batch_size": 8}}


def tiny_sweep(grid: dict | None = None, **fields) -> SweepSpec:
    """A 2 x 2 grid (cell x units) of 2-epoch runs on 16 sequences, unless ``grid`` says otherwise."""
    grid = grid if grid is not None else {"model.cell": ["SimpleRNN", "GRU"], "model.units": [2, 3]}
    return SweepSpec.from_dict({"schema_version": 1, "name": "tiny", "project": TINY_BASE, "grid": grid, **fields})


def assert_rows_match_bundles(out: Path, spec: SweepSpec, results: list[TrialResult]) -> None:
    """Every row completed, its bundle reopens, and its metrics are the bundle's last epoch."""
    from core.persistence import load_bundle

    spec_back, rows = read_results(out)
    assert spec_back.to_dict() == spec.to_dict()
    assert [r.to_dict() for r in rows] == [r.to_dict() for r in results]
    for row in rows:
        assert row.status == "completed", row.error
        bundle = load_bundle(bundle_path(out, row))
        assert bundle.project.model.cell == row.fields["model.cell"]
        assert bundle.project.training.seed == row.seed
        last = bundle.history.epochs[-1]
        assert set(row.metrics) == set(last)
        assert all(math.isclose(row.metrics[k], last[k], rel_tol=1e-6) for k in last)
    assert len(list((out / "trials").glob("*.rnnlab"))) == len(rows)


def live_processes(matches: Callable[[bytes], bool], environment_has: bytes | None = None) -> set[int]:
    """The pids of this machine's live (not zombie) processes whose command line ``matches``,
    found through /proc; with ``environment_has`` (b"NAME=value"), only those whose environment
    holds it: the processes a command started inherit its environment, whereas those of a test
    running beside it in another worker do not."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if environment_has is not None and environment_has not in (proc / "environ").read_bytes().split(b"\0"):
                continue
        except (OSError, IndexError):
            continue  # ended meanwhile
        if state != "Z" and matches(command):
            found.add(int(proc.name))
    return found


def stop_at_the_first_epoch() -> tuple[threading.Event, list, Callable]:
    """(stop event, events seen, on_event): the sweep is stopped when its first epoch is reported."""
    stop = threading.Event()
    events: list = []

    def on_event(event) -> None:
        events.append(event)
        if isinstance(event, TrialEpoch):
            stop.set()

    return stop, events, on_event
