"""Smoke test of the one-folder app that `make bundle` builds (`make bundle-smoke`).

    python3 scripts/bundle_smoke.py [build/dist/rnn-lab]

With nothing but the bundle (no virtual environment, no source tree on the path) it checks that

1. the window opens (offscreen) and reports that it is shown, ``--rounds`` times; the time from
   starting the executable to the window being painted is the bundle's start time;
2. the frozen command line trains the cooking example for two epochs and writes the bundle;
3. the frozen command line exports that model to ONNX, which starts a child process of the
   frozen executable (multiprocessing's spawn) and checks the file with onnxruntime;
4. where Xvfb and xdotool are installed: the frozen window on a real X server trains a tiny
   cooking project in its training process (F5, the same spawn route with the events and
   pipes of core.runner), then quits on Ctrl+Q (the unsaved model discarded with Alt+D);

each with exit code 0 and no traceback on stderr. The settings and logs go to a temporary
home, never the user's. Prints the folder's size and the start times; exits 1 on the first
failure, naming the step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import x_display  # scripts/ is this script's folder, first on the path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resources" / "examples" / "cooking.json"
SHOWN = "RNN_LAB_WINDOW_SHOWN"


class SmokeTestError(Exception):
    pass


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def clean_env(home: Path) -> dict[str, str]:
    """The user's environment without Python's (a frozen app must need none) and with a scratch home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "QT_", "RNN_LAB_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_STATE_HOME=str(home / "state"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"), QT_QPA_PLATFORM="offscreen")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    return env


def run(step: str, command: list[str], env: dict[str, str], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
    started = time.monotonic()
    try:
        result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SmokeTestError(f"{step}: no exit within {timeout:.0f} s") from None
    took = time.monotonic() - started
    if result.returncode != 0 or "Traceback" in result.stderr:
        raise SmokeTestError(f"{step}: exit code {result.returncode} after {took:.1f} s\n--- stdout\n"
                           f"{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}")
    print(f"ok   {step} ({took:.1f} s)", flush=True)
    return result


def window_start_s(executable: Path, env: dict[str, str], cwd: Path) -> float:
    """Seconds from starting the executable to its window being shown and painted."""
    env = {**env, "RNN_LAB_QUIT_WHEN_SHOWN": "1"}
    started = time.time()
    result = run("window opens offscreen", [str(executable)], env, cwd, timeout=180)
    lines = [line for line in result.stdout.splitlines() if line.startswith(SHOWN)]
    if not lines:
        raise SmokeTestError(f"window opens offscreen: no {SHOWN} line on stdout:\n{result.stdout[-2000:]}")
    return float(lines[-1].split()[1]) - started


def window_trains_under_x(executable: Path, env: dict[str, str], work: Path) -> str:
    """The frozen window trains in its training process and quits on Ctrl+Q (see the module docstring)."""
    if not x_display.available():
        return "skipped: Xvfb and xdotool are not installed"
    path = work / "tiny-cooking.json"
    path.write_text(json.dumps(x_display.tiny_cooking_project(EXAMPLE)))
    started = time.monotonic()
    try:
        with x_display.virtual_display() as display:
            x_env = {k: v for k, v in env.items() if k != "QT_QPA_PLATFORM"}
            x_env.update(DISPLAY=display, RNN_LAB_REPORT_SHOWN="1")
            _train_and_quit(executable, path, x_env, work, display)
    except x_display.XTimeoutError as exc:
        raise SmokeTestError(f"frozen window under X: {exc}") from None
    print(f"ok   frozen window trains in its training process and quits on Ctrl+Q "
          f"({time.monotonic() - started:.1f} s)", flush=True)
    return "passed"


def _train_and_quit(executable: Path, path: Path, env: dict[str, str], work: Path, display: str) -> None:
    plot_area = (800, 300)  # a spot that reacts to no click: the loss plot
    app = subprocess.Popen([str(executable), str(path)], env=env, cwd=work, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        lines = x_display.output_lines(app.stdout)
        x_display.wait_for_line(lines, "RNN_LAB_TENSORFLOW_READY", 180)
        window = x_display.find_window(display, "^Cooking schedule")  # WM_NAME: the title without " — RNN Lab"
        x_display.press(display, window, "F5", plot_area)
        ended = x_display.wait_for_line(lines, "RNN_LAB_RUN_ENDED", 300)
        if ended.split()[1] != "completed":
            raise SmokeTestError(f"frozen window under X: the run ended {ended}")
        x_display.press(display, window, "ctrl+q", plot_area)
        x_display.press(display, x_display.find_window(display, "^Unsaved changes"), "alt+d", (150, 20))
        code = app.wait(timeout=60)
        if code != 0:
            raise SmokeTestError(f"frozen window under X: exit code {code}\n{app.stderr.read()[-3000:]}")
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=ROOT / "build" / "dist" / "rnn-lab",
                        help="the app folder (default: build/dist/rnn-lab)")
    parser.add_argument("--rounds", type=int, default=3, help="window starts to time (default 3)")
    args = parser.parse_args(argv)
    executable = (args.bundle / ("rnn-lab.exe" if os.name == "nt" else "rnn-lab")).absolute()
    if not executable.is_file():
        print(f"{executable}: not built; run `make bundle` first", file=sys.stderr)
        return 1
    size = folder_size(args.bundle)
    print(f"bundle {args.bundle}: {size / 2**20:.0f} MiB", flush=True)
    with tempfile.TemporaryDirectory(prefix="rnnlab-smoke-") as tmp:
        work = Path(tmp)
        env = clean_env(work / "home")
        try:
            starts = [window_start_s(executable, env, work) for _ in range(max(1, args.rounds))]
            model = work / "cooking.rnnlab"
            trained = run("frozen CLI trains the cooking example", [
                str(executable), "train", str(EXAMPLE), "--set", "training.epochs=2",
                "--set", "dataset.params.samples=200", "--out", str(model), "--json"], env, work, timeout=600)
            summary = json.loads(trained.stdout.strip().splitlines()[-1])
            if summary.get("epochs_run") != 2 or not model.is_file():
                raise SmokeTestError(f"frozen CLI trains the cooking example: unexpected result {summary}")
            run("frozen CLI exports ONNX through a child process", [
                str(executable), "export", str(model), str(work / "cooking.onnx")], env, work, timeout=600)
            under_x = window_trains_under_x(executable, env, work)
        except SmokeTestError as exc:
            print(f"FAIL {exc}", file=sys.stderr)
            return 1
    print(f"window start: first {starts[0]:.1f} s, median {statistics.median(starts):.1f} s of {len(starts)}; "
          f"val_accuracy after 2 epochs {summary.get('val_accuracy')}; window training under X: {under_x}")
    print(f"bundle_smoke: passed; size {size / 2**20:.0f} MiB, start {statistics.median(starts):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
