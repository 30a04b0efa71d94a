"""A Ray sweep with no Ray running, as ``main.py sweep --engine ray`` runs it: the sweep starts a
local instance sized to this machine and stops it at the end (the other Ray tests share one
instance that the tests start, which the sweep leaves running)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _sweeps import assert_rows_match_bundles, tiny_sweep

from core.sweeps import run_sweep

ray = pytest.importorskip("ray", reason='Ray is not installed: pip install -e ".[test]" installs rnn-lab[ray]')


def _ray_processes() -> set[int]:
    """This machine's live Ray processes: its servers run programs from Ray's package, its workers
    are titled ``ray::...``."""
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # ended meanwhile
        if state != "Z" and (command.startswith(b"ray::") or b"/site-packages/ray/" in command):
            found.add(int(proc.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray's processes through /proc")
def test_a_sweep_that_starts_its_own_ray_instance_brings_its_bundles_home_and_leaves_no_ray_process(tmp_path):
    assert not ray.is_initialized()
    before = _ray_processes()
    spec = tiny_sweep({"model.cell": ["SimpleRNN", "GRU"], "model.units": [2]})

    results = run_sweep(spec, tmp_path / "out", engine="ray")

    assert len(results) == 2
    assert_rows_match_bundles(tmp_path / "out", spec, results)
    assert not ray.is_initialized()
    # The workers end as their raylet goes: give them a moment.
    deadline = time.monotonic() + 10
    while _ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _ray_processes() - before == set()
