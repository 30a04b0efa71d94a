"""Run `main.py` in a child process and measure what it cost: peak resident memory and time.

The peak is the kernel's own account (``ru_maxrss``, KiB on Linux), so nothing is missed between
polls. A child forked straight from the test process would start its account with the test's
own resident size (TensorFlow loaded: 800 MB), so a small launcher starts it and reports the
usage of its one child in a file. Several children can run at once: ``start`` them, then
``finish`` each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20


@dataclass
class ChildResult:
    returncode: int
    stdout: str
    stderr: str
    peak_bytes: int
    cpu_s: float
    wall_s: float

    def __str__(self) -> str:
        return (f"exit {self.returncode}, peak {self.peak_bytes / MB:.0f} MiB, cpu {self.cpu_s:.2f} s, "
                f"wall {self.wall_s:.2f} s; stderr: {self.stderr[-1500:]}")


_LAUNCHER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"peak": usage.ru_maxrss * 1024, "cpu": usage.ru_utime + usage.ru_stime, "wall": wall}, fh)
sys.exit(code)
"""


@dataclass
class _Started:
    proc: subprocess.Popen
    out: Path
    err: Path
    usage: Path


def start(args: list[str], folder: Path, name: str) -> _Started:
    out, err, usage = folder / f"{name}.out", folder / f"{name}.err", folder / f"{name}.usage.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    command = [sys.executable, "-I", "-c", _LAUNCHER, str(usage), sys.executable, str(ROOT / "main.py"), *args]
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    return _Started(proc, out, err, usage)


def finish(child: _Started, timeout: float = 120.0) -> ChildResult:
    child.proc.wait(timeout)
    usage = json.loads(child.usage.read_text())
    return ChildResult(child.proc.returncode, child.out.read_text(errors="replace"),
                       child.err.read_text(errors="replace"), usage["peak"], usage["cpu"], usage["wall"])


def run(args: list[str], folder: Path, name: str = "child", timeout: float = 120.0) -> ChildResult:
    return finish(start(args, folder, name), timeout)
