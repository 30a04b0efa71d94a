"""``main.py sweep --engine ray`` with no Ray running, as a user runs it: the sweep starts a local
instance sized to this machine and stops it at the end (the other Ray tests share one instance
that the tests start, which the sweep leaves running)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from _sweeps import assert_rows_match_bundles, live_processes, tiny_sweep

pytest.importorskip("ray", reason='Ray is not installed: pip install -e ".[test]" installs rnn-lab[ray]')

ROOT = Path(__file__).resolve().parents[2]


def _ray_processes(marker: bytes) -> set[int]:
    """The live Ray processes of the command whose environment holds ``marker``: Ray's servers run
    programs from Ray's package, its workers are titled ``ray::...``. (The other Ray tests' shared
    instance may start workers meanwhile, in another test worker.)"""
    return live_processes(lambda command: command.startswith(b"ray::") or b"/site-packages/ray/" in command,
                          environment_has=marker)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds Ray's processes through /proc")
def test_the_ray_sweep_command_starts_and_stops_its_own_instance_quietly(tmp_path):
    spec = tiny_sweep({"model.cell": ["SimpleRNN", "GRU"], "model.units": [2]})
    spec_path = tmp_path / "sweep.json"
    spec.save(spec_path)
    env = {k: v for k, v in os.environ.items() if k != "RAY_AUTH_MODE"}  # as in a fresh shell
    env["RNNLAB_TEST_RUN"] = uuid.uuid4().hex  # every process the command starts inherits it
    marker = f"RNNLAB_TEST_RUN={env['RNNLAB_TEST_RUN']}".encode()

    command = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "sweep", str(spec_path), "--out",
                                str(tmp_path / "out"), "--engine", "ray", "--json"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen_running: set[int] = set()  # the marker finds the instance's processes while it runs
    deadline = time.monotonic() + 300
    while True:
        try:
            stdout, stderr = command.communicate(timeout=0.3)
            break
        except subprocess.TimeoutExpired:
            seen_running |= _ray_processes(marker)
            if time.monotonic() > deadline:
                command.kill()
                raise
    done = subprocess.CompletedProcess(command.args, command.returncode, stdout, stderr)

    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["completed"] == summary["trials"] == 2
    from core.sweeps import read_results

    assert_rows_match_bundles(tmp_path / "out", spec, read_results(tmp_path / "out")[1])
    # Ray's start-up chatter stays out of the sweep's output (its token authentication stays on).
    assert "Started a local Ray instance" not in done.stderr and "RAY_AUTH_MODE" not in done.stderr
    # The workers end as their raylet goes: give them a moment.
    deadline = time.monotonic() + 10
    while _ray_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(seen_running) >= 3, "Ray's servers and workers carry the marker while the sweep runs"
    assert _ray_processes(marker) == set()
