"""The recovery folder: the session's project and runs on disk as they happen, for after a crash.

If the window dies (the system's out-of-memory killer, a crash inside a library, a power cut),
the next start can offer what it held: the project in the panels, and every run of the session
with its settings, history and, within a size budget (``BUDGET_BYTES``), its trained weights.

Each window process writes one folder, ``<root>/session-<pid>/``: ``recovery.json`` (the index:
the project, the document's name and file, the runs in order), and per run ``<key>.json`` (its
settings, data description and history, written once) and ``<key>.npz`` (its weights and
optimizer state, as ``core.model_transfer`` describes a model). Every file is written atomically.
While its process lives the folder holds a lock, so another process can tell a folder left
behind by a dead one (``find_recoveries``) from one in use, whatever became of the process id.
A clean exit removes the folder (``RecoveryStore.discard``).

Over the budget, the weights of runs that a file already holds (saved, opened or imported) go
first, then the oldest; a run whose weights are gone comes back with its history alone.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import atomic_write
from core.errors import ModelFileError, RNNLabError

RECOVERY_FORMAT = "rnnlab-recovery"
RECOVERY_VERSION = 1
BUDGET_BYTES = 200_000_000
INDEX_NAME = "recovery.json"
_LOCK_NAME = ".lock"
_PREFIX = "session-"


@dataclass
class RunSnapshot:
    """One run as the recovery keeps it (``project``, ``info`` and ``history`` as core objects)."""

    label: str
    status: str
    project: Any  # core.specs.Project
    info: Any = None  # core.datasets.DataInfo
    history: Any = None  # core.history.History
    final_metrics: dict[str, float] = field(default_factory=dict)
    message: str = ""
    saved_path: str = ""  # the file that holds its model, "" when none does
    model: dict[str, Any] | None = None  # core.model_transfer.model_payload; None: none kept
    weights_dropped: bool = False  # it had a model whose weights were over the budget


@dataclass
class Recovery:
    """What a dead process's folder held."""

    folder: Path
    written: datetime
    name: str  # the document's name and file ("" when it had none)
    path: str
    project: Any  # core.specs.Project, or None if the panels held no valid project
    runs: list[RunSnapshot]
    current: int | None  # index into ``runs`` of the run whose model was in use
    problems: list[str] = field(default_factory=list)  # runs that could not be read back, in words


class RecoveryStore:
    """This process's recovery folder under ``root`` (created at once, locked while we live)."""

    def __init__(self, root: str | os.PathLike, budget: int = BUDGET_BYTES):
        self.root = Path(root)
        self.budget = budget
        self.folder = self.root / f"{_PREFIX}{os.getpid()}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.folder / _LOCK_NAME, "a+b")  # noqa: SIM115 - held for the process's life
        except OSError as exc:
            raise ModelFileError(f"{self.folder}: cannot keep a recovery file there: {exc.strerror or exc}.") from None
        _lock(self._lock)
        self._weights: dict[str, int] = {}  # key -> bytes of its .npz, in the order they were written
        self._saved: dict[str, bool] = {}
        self._keys: set[str] = set()

    def keys(self) -> set[str]:
        return set(self._keys)

    def put_run(self, key: str, run: RunSnapshot) -> None:
        """Write ``run`` (once per key); its weights if they fit the budget, making room if needed."""
        self._saved[key] = bool(run.saved_path)
        model = run.model
        size = _payload_bytes(model) if model is not None else 0
        keep = model is not None and size <= self.budget
        if keep:
            self._make_room(size)
        if keep:
            arrays, described = _split_payload(model)
            atomic_write(self.folder / f"{key}.npz", lambda fh: np.savez(fh, **arrays), what="recovery file")
            self._weights[key] = size
        else:
            described = None
        record = {
            "label": run.label,
            "status": run.status,
            "project": run.project.to_dict() if run.project is not None else None,
            "info": run.info.to_dict() if run.info is not None else None,
            "history": run.history.to_dict() if run.history is not None else None,
            "final_metrics": dict(run.final_metrics),
            "message": run.message,
            "model": described,
            "weights_dropped": run.weights_dropped or (model is not None and not keep),
        }
        _write_json(self.folder / f"{key}.json", record)
        self._keys.add(key)

    def drop_run(self, key: str) -> None:
        for suffix in (".json", ".npz"):
            _unlink(self.folder / f"{key}{suffix}")
        self._keys.discard(key)
        self._weights.pop(key, None)
        self._saved.pop(key, None)

    def write_index(self, *, name: str, path: str, project: Any, runs: list[tuple[str, str]],
                    current: str | None) -> None:
        """The index: the panels' ``project``, the document, ``runs`` as (key, saved path) in order."""
        for key, saved_path in runs:
            self._saved[key] = bool(saved_path)
        _write_json(self.folder / INDEX_NAME, {
            "format": RECOVERY_FORMAT,
            "version": RECOVERY_VERSION,
            "written": datetime.now(UTC).isoformat(timespec="seconds"),
            "pid": os.getpid(),
            "name": name,
            "path": path,
            "project": project.to_dict() if project is not None else None,
            "runs": [{"key": key, "saved_path": saved_path} for key, saved_path in runs if key in self._keys],
            "current": current if current in self._keys else None,
        })

    def discard(self) -> None:
        """A clean exit: nothing to recover."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._keys.clear()
        self._weights.clear()
        try:
            self._lock.close()
        except OSError:
            pass

    def _make_room(self, size: int) -> None:
        """Delete stored weights until ``size`` more bytes fit: runs a file holds first, then the oldest."""
        order = sorted(self._weights, key=lambda key: not self._saved.get(key, False))
        while order and sum(self._weights.values()) + size > self.budget:
            key = order.pop(0)
            _unlink(self.folder / f"{key}.npz")
            del self._weights[key]


def find_recoveries(root: str | os.PathLike) -> list[Path]:
    """Folders under ``root`` that a process left behind without a clean exit, newest first.

    Folders of dead processes without an index (killed before their first write) hold nothing
    to restore and are removed.
    """
    found = []
    try:
        candidates = [p for p in Path(root).glob(f"{_PREFIX}*") if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []
    for folder in candidates:
        if _in_use(folder):
            continue
        index = folder / INDEX_NAME
        try:
            found.append((index.stat().st_mtime, folder))
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
    return [folder for _, folder in sorted(found, reverse=True)]


def read_recovery(folder: str | os.PathLike) -> Recovery:
    """What ``folder`` holds; a ModelFileError if its index cannot be read. A run that cannot be
    read back is left out and named in ``problems``."""
    from core.datasets import DataInfo
    from core.history import History
    from core.specs import Project

    folder = Path(folder)
    index = _read_json(folder / INDEX_NAME)
    if not isinstance(index, dict) or index.get("format") != RECOVERY_FORMAT:
        raise ModelFileError(f"{folder / INDEX_NAME}: not an RNN Lab recovery file.")
    if index.get("version") != RECOVERY_VERSION:
        raise ModelFileError(f"{folder / INDEX_NAME}: recovery version {index.get('version')!r}, this RNN Lab "
                             f"reads version {RECOVERY_VERSION}.")
    try:
        written = datetime.fromisoformat(index["written"])
        entries = [(str(entry["key"]), str(entry.get("saved_path", ""))) for entry in index["runs"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{folder / INDEX_NAME}: the recovery file is damaged ({exc}).") from None
    project = None
    if index.get("project") is not None:
        try:
            project = Project.from_dict(index["project"])
        except (RNNLabError, TypeError, ValueError):
            project = None  # written by another version: the runs still come back
    runs, problems, current = [], [], None
    for key, saved_path in entries:
        try:
            data = _read_json(folder / f"{key}.json")
            run = RunSnapshot(
                label=str(data["label"]), status=str(data["status"]),
                project=Project.from_dict(data["project"]),
                info=DataInfo.from_dict(data["info"]) if data.get("info") is not None else None,
                history=History.from_dict(data["history"]) if data.get("history") is not None else None,
                final_metrics=dict(data.get("final_metrics") or {}), message=str(data.get("message", "")),
                saved_path=saved_path, weights_dropped=bool(data.get("weights_dropped")),
            )
            if data.get("model") is not None:
                run.model = _read_payload(folder / f"{key}.npz", data["model"])
                run.weights_dropped = run.model is None
        except (RNNLabError, KeyError, TypeError, ValueError, OSError) as exc:
            problems.append(f"run {key}: {exc}")
            continue
        if key == index.get("current"):
            current = len(runs)
        runs.append(run)
    return Recovery(folder=folder, written=written, name=str(index.get("name") or ""),
                    path=str(index.get("path") or ""), project=project, runs=runs, current=current,
                    problems=problems)


def remove_recovery(folder: str | os.PathLike) -> None:
    shutil.rmtree(folder, ignore_errors=True)


# --- files ------------------------------------------------------------------------------------


def _payload_bytes(model: dict[str, Any]) -> int:
    state = model.get("optimizer") or {}
    arrays = list(model["weights"]) + [value for _, value in state.get("variables", [])]
    return sum(np.asarray(value).nbytes for value in arrays)


def _split_payload(model: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays of a model payload (for the .npz) and the rest (for the JSON)."""
    arrays = {f"w{i}": np.asarray(w) for i, w in enumerate(model["weights"])}
    described: dict[str, Any] = {"config": model["config"], "weights": len(model["weights"]), "optimizer": None}
    state = model.get("optimizer")
    if state:
        try:
            json.dumps(state["config"])
        except (TypeError, ValueError):
            state = None  # a setting JSON cannot hold: Continue training then starts a fresh optimizer
    if state:
        keys = []
        for i, (key, value) in enumerate(state["variables"]):
            arrays[f"o{i}"] = np.asarray(value)
            keys.append(key)
        described["optimizer"] = {"kind": state["kind"], "config": state["config"], "keys": keys}
    return arrays, described


def _read_payload(path: Path, described: dict[str, Any]) -> dict[str, Any] | None:
    """The model payload stored as ``described`` and ``path``; None if its weights were dropped."""
    if not path.is_file():
        return None
    with np.load(path, allow_pickle=False) as arrays:
        weights = [arrays[f"w{i}"] for i in range(int(described["weights"]))]
        state = described.get("optimizer")
        if state:
            state = {"kind": state["kind"], "config": state["config"],
                     "variables": [(key, arrays[f"o{i}"]) for i, key in enumerate(state["keys"])]}
    return {"config": described["config"], "weights": weights, "optimizer": state or None}


def _write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, default=_json_default)
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), what="recovery file")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.generic, np.ndarray)):
        return obj.tolist()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the recovery file: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{path}: the recovery file is damaged ({exc}).") from None


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _lock(handle) -> None:
    """Hold an exclusive lock on the folder's lock file while this process lives."""
    try:
        import fcntl
    except ImportError:  # Windows: the process id in the folder's name is checked instead
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass


def _in_use(folder: Path) -> bool:
    """Whether a live process holds ``folder`` (its lock, or on Windows its process id)."""
    try:
        import fcntl
    except ImportError:
        fcntl = None
    if fcntl is None:
        import psutil

        pid = folder.name[len(_PREFIX):]
        return pid.isdigit() and (int(pid) == os.getpid() or psutil.pid_exists(int(pid)))
    try:
        handle = open(folder / _LOCK_NAME, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        # A folder just being created has no lock file for a moment: young ones are left alone.
        try:
            return time.time() - folder.stat().st_mtime < 60
        except OSError:
            return True
    except OSError:
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        handle.close()
    return False
