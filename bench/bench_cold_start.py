"""Cold start: seconds from process start to the main window shown, against `import tensorflow`.

Each repetition starts a fresh interpreter running ``main.py`` with ``QT_QPA_PLATFORM=offscreen``
and ``RNN_LAB_QUIT_WHEN_SHOWN=1``: the app prints the wall-clock time at which its window has
been exposed and painted, then exits. The figure is that time minus the time just before the
process was started, so it includes interpreter start-up and every import. The two commands
alternate (A, B, A, B, ...) because this machine's speed drifts from minute to minute.

The goal (issue 4): window within 1.5 s, well under the TensorFlow import time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_S = 1.5
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each command (default 5)")
    args = parser.parse_args(argv)

    windows: list[float] = []
    imports: list[float] = []
    with tempfile.TemporaryDirectory(prefix="rnnlab-bench-") as config_home:
        time_window(config_home)  # warm the OS file cache once; not counted
        for i in range(args.repeat):
            windows.append(time_window(config_home))
            imports.append(time_tensorflow_import())
            print(f"  run {i + 1}: window {windows[-1]:.2f} s   import tensorflow {imports[-1]:.2f} s", flush=True)

    window = statistics.median(windows)
    tf_import = statistics.median(imports)
    print(f"window shown:       median {window:.2f} s (min {min(windows):.2f}, max {max(windows):.2f})")
    print(f"import tensorflow:  median {tf_import:.2f} s (min {min(imports):.2f}, max {max(imports):.2f})")
    print(f"window / import:    {window / tf_import:.2f}")
    print(f"cold start to window: {window:.2f} s (goal <= {GOAL_S})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
