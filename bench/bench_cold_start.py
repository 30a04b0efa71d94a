"""Cold start: seconds from process start to the main window shown, against `import tensorflow`.

Each repetition starts a fresh interpreter running ``main.py`` with ``QT_QPA_PLATFORM=offscreen``
and ``RNN_LAB_QUIT_WHEN_SHOWN=1``: the app prints the wall-clock time at which its window has
been exposed and painted, then exits. The figure is that time minus the time just before the
process was started, so it includes interpreter start-up and every import. Each round starts
both commands, which goes first alternating (``_common.alternate``), because this machine's
speed drifts from minute to minute; the first round is warm-up (it fills the OS file cache),
then rounds go on until ``_common.enough_rounds``. The final line is the median window time.

The goal (issue 4): window within 1.5 s, well under the TensorFlow import time.
About 1 minute on an idle two-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import _common
from _common import ROOT

GOAL = _common.Goal("cold start to window", 1.5, higher_is_better=False, unit=" s")
MARKER = "RNN_LAB_WINDOW_SHOWN"


def _env(config_home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "QT_QPA_PLATFORM": "offscreen",
        "RNN_LAB_QUIT_WHEN_SHOWN": "1",
        # A fresh settings folder: no remembered project or layout, and the user's are untouched.
        "XDG_CONFIG_HOME": config_home,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def time_window(config_home: str) -> float:
    start = time.time()
    proc = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=_env(config_home),
                          capture_output=True, text=True, timeout=120)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return float(line.split()[1]) - start
    raise SystemExit(f"main.py did not report its window (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def time_tensorflow_import() -> float:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", "import tensorflow"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"import tensorflow failed:\n{proc.stderr[-3000:]}")
    return elapsed


def compile_bytecode() -> None:
    """The project's bytecode, as ``make run`` leaves it: without it every start of this bench
    (PYTHONDONTWRITEBYTECODE) would time compiling the project's ~200 modules, 0.4-0.5 s, which a
    user's start does not pay."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "core", "desktop_app", "main.py"], cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=_common.MIN_ROUNDS, help="counted rounds at most")
    args = parser.parse_args(argv)

    compile_bytecode()
    imports: list[float] = []
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as config_home:
        def one_round(number: int) -> float:
            window, tf_import = _common.alternate(lambda: time_window(config_home), time_tensorflow_import, number)
            imports.append(tf_import)
            return window

        _common.run_rounds(one_round, GOAL, min_rounds=args.rounds,
                           detail=lambda _number, value: f"import tensorflow {imports[-1]:.2f} s, "
                                                         f"window / import {value / imports[-1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
