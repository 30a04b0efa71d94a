"""Atomic writes, and the removal of what killed writes left behind.

A save writes a temporary file in the target's folder, fsyncs it and ``os.replace``s the target,
so the previous file stays intact if anything fails. The temporary file is locked while it is
written; a save killed mid-write leaves it behind, and the next save of the same target removes
it once it is older than ``STALE_AFTER_S`` and unlocked. Saving and loading a Keras model needs a
scratch folder in the system temp dir; its name carries the owner's pid, so leftovers of dead
processes can be told from folders in use.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import ModelFileError

STALE_AFTER_S = 60.0  # a live save rewrites its temp file within seconds; older ones are leftovers
_SCRATCH = "rnnlab-"

# Read once while the process is still single-threaded: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[Any], Any], *, what: str) -> None:
    """Call ``write(binary_file)`` on a temporary file, then put it in place of ``path``.

    The file keeps the mode of the one it replaces. Every OS problem is a ModelFileError naming
    the file and ``what`` was being saved.
    """
    folder = path.absolute().parent
    if not folder.is_dir():
        raise ModelFileError(f"{path}: cannot save the {what}: the folder {folder} does not exist.")
    if path.is_dir():
        raise ModelFileError(f"{path}: cannot save the {what}: a folder of that name exists.")
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_UMASK
    _remove_stale_temp_files(folder, path.name)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot save the {what}: {exc.strerror or exc}.") from None
    _lock(fd)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ModelFileError(f"{path}: cannot save the {what}: {exc.strerror or exc}.") from None
        raise
    _fsync_dir(folder)


def scratch_prefix() -> str:
    """Scratch folders carry the owner's pid, so a cleaner can tell a live owner's from a leftover."""
    return f"{_SCRATCH}{os.getpid()}-"


def remove_stale_scratch_folders() -> None:
    """Delete ``rnnlab-*`` scratch folders in the system temp dir left by killed saves or loads:
    older than STALE_AFTER_S and not owned by a running process (folders without a pid in their
    name, from older versions, go by age alone). Best effort."""
    now = time.time()
    try:
        candidates = list(Path(tempfile.gettempdir()).glob(f"{_SCRATCH}*"))
    except OSError:
        return
    for candidate in candidates:
        if candidate.is_symlink() or not candidate.is_dir() or not _is_stale(candidate, now):
            continue
        owner = candidate.name[len(_SCRATCH):].split("-", 1)[0]
        if owner.isdigit() and "-" in candidate.name[len(_SCRATCH):] and _pid_alive(int(owner)):
            continue
        shutil.rmtree(candidate, ignore_errors=True)


def _lock(fd: int) -> None:
    """Hold an exclusive lock on a temp file while it is written, so no cleaner removes it."""
    try:
        import fcntl
    except ImportError:  # Windows: an open file cannot be deleted there anyway
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # a file system without locks: the age check still protects a live save


def _remove_if_unlocked(path: Path) -> None:
    try:
        import fcntl
    except ImportError:
        fcntl = None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another save is writing it
            except OSError:
                pass
        os.unlink(path)
    except OSError:
        pass
    finally:
        os.close(fd)


def _is_stale(path: Path, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime > STALE_AFTER_S
    except OSError:
        return False


def _remove_stale_temp_files(folder: Path, name: str) -> None:
    """Delete ``.<name>.*.tmp`` files that a killed save of the same target left in ``folder``.

    Best effort: cleaning never makes a save fail.
    """
    now = time.time()
    try:
        candidates = list(folder.glob(f".{glob.escape(name)}.*.tmp"))
    except OSError:
        return
    for candidate in candidates:
        if candidate.is_file() and not candidate.is_symlink() and _is_stale(candidate, now):
            _remove_if_unlocked(candidate)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # another thread of this process may be saving right now
    if os.name != "posix":
        try:
            import psutil
        except ImportError:
            return True  # cannot tell: keep it
        return psutil.pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, and not needed for safety.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
