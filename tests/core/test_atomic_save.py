"""Saving is atomic: a save killed at any moment leaves the previous complete file or the new one.

A child process saves version after version of a bundle (and a project file) over the same paths,
printing "saving N" right before each save. The parent stops it at chosen moments, most of them
while the temporary file of the save exists (that is, mid-write), and checks what is on disk:
the file loads, its project name says which version it is, that version is the one before the
interrupted save or the interrupted save itself, and the model predicts exactly as that
version's weights do.

Two ways to interrupt: SIGKILL (the real thing; a new child per kill) and SIGSTOP/SIGCONT. A
frozen process has made exactly the writes a process killed at that instant would have made
(signals act between system calls, and the kernel neither undoes nor finishes anything for a
killed process), so a freeze is a kill that the child survives: many interruptions for one
start-up.

The children are forks of core.processes' fork server, which has imported TensorFlow and Keras
already (a fresh interpreter would spend seconds of CPU importing them for each child); what is
tested, a process stopped or killed in the middle of its save, is the same in either.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import select
import signal
import stat
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from core.persistence import Bundle, load_bundle, load_project, save_bundle, save_project
from core.processes import child_context
from core.specs import DatasetSpec, ModelSpec, Project

BUNDLE = "model.rnnlab"
PROJECT = "project.json"
# A project name this long makes a project save take milliseconds, so kills can land inside it.
NAME_PADDING = 4_000_000
TIMEOUT_S = 60.0
SLOW_FSYNC_S = 0.015

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX signals")


# --- shared by the child and the parent -----------------------------------------------------------


def _bundle_parts():
    """The project, data info and model the child saves; big enough for a save of tens of ms."""
    from core.datasets import build_dataset
    from core.models import build_model

    project = Project(name="v0", dataset=DatasetSpec(task="sine", params={}),
                      model=ModelSpec(cell="LSTM", io_mode="many_to_one", units=256, layers=2))
    project.validate()
    data = build_dataset(project.dataset, project.model.io_mode)
    return project, data.info, build_model(project.model, data.info)


def _set_version(model, version: int) -> None:
    """Weights that depend only on the version, so the parent can rebuild any version."""
    rng = np.random.default_rng(version)
    model.set_weights([rng.normal(0.0, 0.1, w.shape).astype("float32") for w in model.get_weights()])


def _version_of(project: Project) -> int:
    return int(project.name[1:].split(":")[0])


def _slow_disk() -> None:
    """Every fsync waits SLOW_FSYNC_S first, as on a slow disk. A bundle's bytes reach the page
    cache in well under a millisecond, so on a busy machine the parent could look for the
    temporary file 15 saves in a row and never see it; this way each save keeps it (written,
    not yet renamed) for a while, and a kill then is a kill inside the write."""
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # a file's data, not the folder's entry after the rename
            time.sleep(SLOW_FSYNC_S)
        real_fsync(fd)

    os.fsync = slow_fsync


def _child(kind: str, folder: str) -> None:
    """Get ready, read the first version number from stdin, then save version after version over
    the same files until killed."""
    folder_path = Path(folder)
    if kind == "bundle":
        project, info, model = _bundle_parts()
        _slow_disk()
    else:
        project = Project()
    print("ready", flush=True)
    first_version = int(sys.stdin.readline())
    for version in itertools.count(first_version):
        if kind == "bundle":
            _set_version(model, version)
            named = dataclasses.replace(project, name=f"v{version}")
            print(f"saving {version}", flush=True)
            save_bundle(folder_path / BUNDLE, Bundle(named, model, None, info))
            save_project(folder_path / PROJECT, named)
        else:
            named = dataclasses.replace(project, name=f"v{version}:" + "x" * NAME_PADDING)
            print(f"saving {version}", flush=True)
            save_project(folder_path / PROJECT, named)
        print(f"saved {version}", flush=True)


def _forked_child(kind: str, folder: str, scratch: str, stdin, stdout, stderr_path: str) -> None:
    """The child's entry point in a process of the fork server: the two pipe ends become its
    sys.stdin and sys.stdout and ``stderr_path`` its stderr (file descriptor 2, so that native
    code's messages land there too), as for a child started with those; then ``_child``."""
    os.environ.update({"TMPDIR": scratch, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
    tempfile.tempdir = None  # read TMPDIR again
    err = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(err, 2)
    os.close(err)
    sys.stdin = os.fdopen(os.dup(stdin.fileno()), "r")
    sys.stdout = os.fdopen(os.dup(stdout.fileno()), "w")
    stdin.close()
    stdout.close()
    _child(kind, folder)


# --- the parent's side ----------------------------------------------------------------------------


class Child:
    """A saving child process, its output read without threads so that 'everything it printed
    before it was frozen' is exactly knowable."""

    def __init__(self, kind: str, folder: Path, scratch: Path):
        ctx = child_context()
        self.stderr = tempfile.NamedTemporaryFile(dir=scratch, prefix=f"child-{kind}-", suffix=".err", delete=False)
        child_stdin, self.stdin = ctx.Pipe(duplex=False)
        self.stdout, child_stdout = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=_forked_child, name=f"atomic-save-{kind}",
            args=(kind, str(folder), str(scratch), child_stdin, child_stdout, self.stderr.name))
        self.process.start()
        # Our copies of the child's ends must go, or its death would never read as end of output.
        child_stdin.close()
        child_stdout.close()
        self.folder = folder
        self.stale: set[str] = set()
        self.lines: list[str] = []
        self._buffer = b""
        self.started: dict[int, float] = {}
        self.durations: list[float] = []

    def pump(self, timeout: float = 0.0) -> bool:
        """Read what the child printed; False at end of output."""
        fd = self.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        chunk = os.read(fd, 65536)
        if not chunk:
            return False
        self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\n")
        now = time.perf_counter()
        for raw in complete:
            line = raw.decode()
            self.lines.append(line)
            word, _, number = line.partition(" ")
            if word == "saving":
                self.started[int(number)] = now
            elif word == "saved" and int(number) in self.started:
                self.durations.append(now - self.started[int(number)])
        return True

    def wait_for(self, line: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while line not in self.lines:
            if not self.pump(0.05) or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"the child never printed {line!r}; its errors:\n{self.errors()}")

    def drain(self) -> None:
        """Read everything already printed (call while the child is frozen or dead)."""
        while True:
            fd = self.stdout.fileno()
            if not select.select([fd], [], [], 0)[0]:
                return
            if not self.pump():
                return

    def go(self, first_version: int) -> None:
        """Start saving (the child imported and built everything while the previous one ran)."""
        self.wait_for("ready")
        # Temp files that killed children left behind: not a sign of this child's write.
        self.stale = set(os.listdir(self.folder))
        os.write(self.stdin.fileno(), f"{first_version}\n".encode())

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)
        self.drain()

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        self.process.kill()
        self.process.join(TIMEOUT_S)
        while self.pump(0.5):
            pass
        self.stdout.close()
        self.stdin.close()
        self.stderr.close()

    def errors(self) -> str:
        if not self.stderr.closed:
            self.stderr.flush()
        return Path(self.stderr.name).read_text(errors="replace")[-3000:]

    def versions(self) -> tuple[int | None, int | None]:
        """(last version completely saved, version being saved) from what the child printed."""
        saved = [int(line.split()[1]) for line in self.lines if line.startswith("saved ")]
        saving = [int(line.split()[1]) for line in self.lines if line.startswith("saving ")]
        last = saved[-1] if saved else None
        in_flight = saving[-1] if saving and saving[-1] != last else None
        return last, in_flight

    def typical_save_s(self) -> float:
        return float(np.median(self.durations)) if self.durations else 0.1


def _temp_files(folder: Path, target: str, ignore: set[str] = frozenset()) -> list[str]:
    return [name for name in os.listdir(folder)
            if name.startswith(f".{target}.") and name.endswith(".tmp") and name not in ignore]


def _interrupt(child: Child, version: int, target: str, mode: str, act, max_delay_s: float = 0.0
               ) -> tuple[bool, int]:
    """Interrupt the save of ``version`` (or a later one) with ``act`` (freeze or kill).

    mode "mid_write": when the temporary file of ``target`` appears (the write has begun), after
    a random delay of up to ``max_delay_s``; if the save finishes before the file is seen, the
    next save is tried. mode "random": a random delay within a typical save after "saving N".
    Returns (whether the interruption landed inside the write, the version aimed at).
    """
    for attempt in range(version, version + 15):
        child.wait_for(f"saving {attempt}")
        if mode == "random":
            time.sleep(random.uniform(0.0, 1.2 * child.typical_save_s()))
            act()
            return bool(_temp_files(child.folder, target, child.stale)), attempt
        deadline = time.monotonic() + TIMEOUT_S
        while f"saved {attempt}" not in child.lines and time.monotonic() < deadline:
            if _temp_files(child.folder, target, child.stale):
                if random.random() < 0.5:
                    time.sleep(random.uniform(0.0, max_delay_s))
                act()
                # Still there once the child stopped: the interruption landed inside the write.
                return bool(_temp_files(child.folder, target, child.stale)), attempt
            child.pump(0.0002)
    pytest.fail(f"never saw a temporary file of {target} in 15 saves")


def _freeze_probes(child: Child, version: int, target: str, modes: list[str], check) -> tuple[int, int]:
    """Freeze the child once per mode, ``check(landed)`` the folder while it is frozen, thaw it.

    A "mid_write" probe is repeated on later saves until one freezes the child inside a write.
    Returns the number of freezes that landed inside a write and the next version to aim at.
    """
    landed_count = 0
    for mode in modes:
        for _ in range(10):
            landed, version = _interrupt(child, version, target, mode, child.freeze, max_delay_s=0.004)
            if landed or mode == "random":  # a mid-write miss is re-aimed, not checked: loading costs time
                check(landed)
            child.thaw()
            version += 1
            landed_count += landed
            if landed or mode == "random":
                break
        else:
            pytest.fail(f"10 freezes in a row missed the write of {target}")
    return landed_count, version


class Expected:
    """Predictions of each version's weights, computed here from the version number alone."""

    def __init__(self):
        _, self.info, self.model = _bundle_parts()
        self.x = np.random.default_rng(7).normal(size=(4, *self.info.input_shape)).astype("float32")
        self.cache: dict[int, np.ndarray] = {}

    def predictions(self, version: int) -> np.ndarray:
        if version not in self.cache:
            _set_version(self.model, version)
            self.cache[version] = np.asarray(self.model.predict_on_batch(self.x))
        return self.cache[version]


def _check_folder(folder: Path, allowed: set[int], mid_write: bool, previous: int | None,
                  expected: Expected | None) -> int:
    """What is on disk is a complete allowed version; returns the bundle's (or project's) version."""
    targets = [BUNDLE, PROJECT] if expected is not None else [PROJECT]
    for name in os.listdir(folder):
        # Leftovers of killed saves are hidden temp files: never the target's name or suffix.
        assert name in targets or (name.startswith(".") and name.endswith(".tmp")), name
    project = load_project(folder / PROJECT)
    assert _version_of(project) in allowed, (_version_of(project), allowed)
    if expected is None:
        found = _version_of(project)
    else:
        bundle = load_bundle(folder / BUNDLE)
        found = _version_of(bundle.project)
        assert found in allowed, (found, allowed)
        np.testing.assert_allclose(bundle.model.predict_on_batch(expected.x), expected.predictions(found),
                                   rtol=1e-5, atol=1e-6)
        # The project file is saved after the bundle, so it is never ahead of it.
        assert _version_of(project) <= found
    if mid_write and previous is not None:
        # Interrupted while the temp file existed: the rename had not happened, so the target is
        # the version before the one being written.
        assert found == previous, (found, previous)
    return found


def _kill_rounds(kind: str, folder: Path, scratch: Path, kill_modes: list[str], probe_modes: list[str],
                 expected: Expected | None) -> int:
    """One child per kill; each is first frozen once per probe mode, then killed.

    Every interruption is followed by the checks of _check_folder. Each child carries on with
    versions above all written so far, its first save going over the file the previous child
    was killed writing. Returns how many kills landed inside a write.
    """
    target = BUNDLE if kind == "bundle" else PROJECT
    next_version, on_disk, kill_hits = 1, None, 0
    # Each child starts (imports, builds its model) while the one before it is being probed.
    children = [Child(kind, folder, scratch)]
    try:
        for kills, kill_mode in enumerate(kill_modes, start=1):
            child = children[-1]
            if kills < len(kill_modes):
                children.append(Child(kind, folder, scratch))
            child.go(next_version)
            if on_disk is None:
                child.wait_for(f"saved {next_version}")  # a first complete version to protect

            def check(landed: bool, child=child, on_disk=on_disk) -> int:
                last, in_flight = child.versions()
                previous = last if last is not None else on_disk
                return _check_folder(folder, {previous, in_flight} - {None}, landed, previous, expected)

            _, version = _freeze_probes(child, next_version + 1, target, probe_modes, check)
            landed, _ = _interrupt(child, version, target, kill_mode, child.kill)
            kill_hits += landed
            on_disk = check(landed)
            last, in_flight = child.versions()
            next_version = max(v for v in (last, in_flight, on_disk) if v is not None) + 1
            assert len(_temp_files(folder, target)) <= kills
    finally:
        for child in children:
            if not child.stdout.closed:
                child.kill()
    return kill_hits


def test_killed_bundle_saves_leave_a_complete_version(tmp_path):
    pytest.importorskip("keras")
    folder, scratch = tmp_path / "save", tmp_path / "scratch"
    folder.mkdir()
    scratch.mkdir()
    random.seed(20261125)
    expected = Expected()
    # Different versions predict clearly differently: a file of the wrong version cannot pass.
    assert np.abs(expected.predictions(1) - expected.predictions(2)).max() > 1e-3
    # Two children (each builds a Keras model): one killed inside a write, one anywhere;
    # each is first frozen at three points.
    hits = _kill_rounds("bundle", folder, scratch, ["mid_write", "random"],
                        ["mid_write", "random", "mid_write"], expected)
    assert hits >= 1, "no kill landed inside a write"


def test_killed_project_saves_leave_a_complete_version(tmp_path):
    folder, scratch = tmp_path / "save", tmp_path / "scratch"
    folder.mkdir()
    scratch.mkdir()
    random.seed(11)
    hits = _kill_rounds("project", folder, scratch, ["mid_write", "random"] * 3, ["mid_write"], None)
    assert hits >= 2, "too few kills landed inside a write"
