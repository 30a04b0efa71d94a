"""Project files, trained-model bundles and plain ``.keras`` files.

Project files are JSON (``Project.to_dict``, versioned by ``schema_version``). File paths in task
parameters (the CSV or text file a dataset reads) are stored portably and resolved on loading:

* ``builtin:NAME`` names a file shipped with RNN Lab (a built-in text, the sample CSV); the task
  looks it up, so it works wherever RNN Lab is installed;
* a relative path means relative to the folder of the project file (not the working directory),
  so a project and its data can be moved or shared together;
* an absolute path is used as it is.

``load_project`` makes relative paths absolute; ``save_project`` writes files in the project's
folder (or below it) back as relative paths and leaves the others as they are.

A bundle (``.rnnlab``) is a zip holding ``manifest.json``, ``project.json``, ``history.json``,
``data_info.json`` and ``model.keras`` (a plain Keras model, no custom classes), so a reopened
model shows the same plots, decodes its samples and predicts identically. Writes are atomic: a
temporary file in the target's folder, fsync, ``os.replace``. Loading never runs code from the
file: Keras safe mode is on and models containing a ``Lambda`` layer are refused before Keras
sees them. Every way a file can be wrong ends as a ``ModelFileError`` naming the file.

Keras and TensorFlow are imported only by the functions that need them, so the window can read
and write project files before TensorFlow has loaded.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from core.errors import ModelFileError, SpecError
from core.specs import Project

BUNDLE_FORMAT = "rnnlab-bundle"
BUNDLE_VERSION = 1
BUNDLE_SUFFIX = ".rnnlab"
KERAS_SUFFIX = ".keras"
BUILTIN_PREFIX = "builtin:"

_BUNDLE_MEMBERS = ("manifest.json", "project.json", "history.json", "data_info.json", "model.keras")
_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

# Read once while the process is still single-threaded: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


# --- paths in task parameters ---------------------------------------------------------------


def resolve_data_path(value: str, base_dir: str | os.PathLike | None) -> str:
    """Absolute path for a task's file parameter as written in a project file.

    A relative path is taken relative to ``base_dir`` (the project file's folder; the working
    directory when None). ``builtin:NAME`` (a file shipped with RNN Lab, which the task itself
    looks up) and empty values are returned unchanged.
    """
    if not isinstance(value, str) or not value.strip() or value.startswith(BUILTIN_PREFIX):
        return value
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = Path(base_dir if base_dir is not None else os.getcwd()) / path
    return os.path.normpath(str(path.absolute()))


def portable_data_path(value: str, base_dir: str | os.PathLike) -> str:
    """The inverse of ``resolve_data_path``: a file in ``base_dir`` or below it becomes relative."""
    if not isinstance(value, str) or not value or value.startswith(BUILTIN_PREFIX):
        return value
    path = Path(value)
    if not path.is_absolute():
        return value
    try:
        rel = Path(os.path.normpath(path)).relative_to(Path(os.path.normpath(Path(base_dir).absolute())))
    except ValueError:
        return value
    return rel.as_posix()


def _path_params(task_name: str) -> list[str]:
    from core.datasets import get_task

    try:
        task = get_task(task_name)
    except SpecError:
        return []  # validation reports the unknown task with the file's name
    return [p.name for p in task.params if p.kind == "path"]


def _map_path_params(project: Project, convert: Callable[[str], str]) -> Project:
    names = _path_params(project.dataset.task)
    params = dict(project.dataset.params)
    changed = False
    for name in names:
        if name in params and isinstance(params[name], str):
            new = convert(params[name])
            changed |= new != params[name]
            params[name] = new
    if not changed:
        return project
    return dataclasses.replace(project, dataset=dataclasses.replace(project.dataset, params=params))


def resolve_project_paths(project: Project, base_dir: str | os.PathLike | None) -> Project:
    """The project with relative file parameters made absolute against ``base_dir`` (None: cwd)."""
    return _map_path_params(project, lambda v: resolve_data_path(v, base_dir))


# --- project files --------------------------------------------------------------------------


def save_project(path: str | os.PathLike, project: Project) -> None:
    """Write the project as JSON, atomically, with data paths made portable (see module doc)."""
    path = Path(path)
    base = path.absolute().parent
    portable = _map_path_params(project, lambda v: portable_data_path(v, base))
    text = portable.to_json() + "\n"
    _atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), what="project file")


def load_project(path: str | os.PathLike) -> Project:
    """Read and validate a project file; data paths come back absolute (see module doc).

    Raises ModelFileError when the file cannot be read or is not JSON, and SpecError naming the
    file and the field when a value is wrong.
    """
    path = Path(path)
    raw = _read_bytes(path, "project file")
    if raw.startswith(_ZIP_MAGIC):
        raise ModelFileError(f"{path}: this is a zip file (a model bundle or .keras model?), not a project file (JSON).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{path}: not a project file: byte {exc.start} is not UTF-8 text (binary or wrongly encoded file)."
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    except ValueError as exc:
        raise ModelFileError(f"{path}: not a valid project file: {_json_value_error(exc)}.") from None
    except RecursionError:
        raise ModelFileError(f"{path}: the JSON is nested too deeply to be a project file.") from None
    try:
        project = Project.from_dict(data, validate=False)
        project = resolve_project_paths(project, path.absolute().parent)
        project.validate()
    except SpecError as exc:
        raise _in_file(path, exc) from None
    except (TypeError, ValueError, OverflowError) as exc:
        # from_dict checks field names, not every type; a list where an object belongs ends here.
        raise ModelFileError(f"{path}: not a valid project: {exc}") from None
    return project


def _in_file(path: Path, exc: SpecError) -> SpecError:
    """The same SpecError (field, value, expected kept for the window) with the file named."""
    err = SpecError(exc.field, exc.value, exc.expected)
    err.args = (f"{path}: {exc}",)
    err.path = str(path)
    return err


# --- bundles --------------------------------------------------------------------------------


@dataclass
class Bundle:
    """A trained model with everything needed to show, decode and continue it."""

    project: Project
    model: Any  # keras.Model (plain Functional, no custom classes)
    history: Any  # core.training.History, or None for a model never trained
    info: Any  # core.datasets.DataInfo
    # Written by save_bundle, read back by load_bundle (format, version, created, versions).
    manifest: dict[str, Any] = field(default_factory=dict)


def save_bundle(path: str | os.PathLike, bundle: Bundle) -> None:
    """Write the bundle atomically: the previous file stays intact if anything fails."""
    path = Path(path)
    keras = _keras()
    _remove_stale_scratch_folders()
    model_bytes = _model_bytes(bundle.model)
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "keras_version": keras.__version__,
        "backend": keras.config.backend(),
        "tensorflow_version": _tf_version(),
    }
    history = bundle.history.to_dict() if bundle.history is not None else None
    members = {
        "manifest.json": _dumps(manifest),
        "project.json": _dumps(bundle.project.to_dict()),
        "history.json": _dumps(history),
        "data_info.json": _dumps(bundle.info.to_dict()),
    }

    def write(fh):
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, text in members.items():
                zf.writestr(name, text)
            # model.keras is itself a compressed zip: store it as it is.
            zf.writestr("model.keras", model_bytes, compress_type=zipfile.ZIP_STORED)

    _atomic_write(path, write, what="model bundle")
    bundle.manifest = manifest


def load_bundle(path: str | os.PathLike) -> Bundle:
    """Read a bundle written by save_bundle; every problem is a ModelFileError naming the file."""
    path = Path(path)
    raw = _read_bytes(path, "model bundle")
    zf = _open_zip(path, raw, "model bundle")
    # Imported after the cheap checks: a missing or junk file is reported without loading TensorFlow.
    from core.datasets import DataInfo
    from core.training import History

    names = set(zf.namelist())
    if "manifest.json" not in names:
        if _is_keras_zip(names):
            raise ModelFileError(
                f"{path}: this is a plain Keras model, not an RNN Lab bundle: use Import .keras "
                f"(or `main.py inspect`) to open it."
            )
        raise ModelFileError(f"{path}: not an RNN Lab model bundle: a zip file without manifest.json.")
    manifest = _member_json(path, zf, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise ModelFileError(
            f"{path}: not an RNN Lab model bundle: manifest.json has format {found!r}, expected {BUNDLE_FORMAT!r}."
        )
    version = manifest.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: manifest.json has version {version!r}, expected a whole number >= 1.")
    if version > BUNDLE_VERSION:
        raise ModelFileError(
            f"{path}: bundle version {version} was written by a newer RNN Lab; this one reads "
            f"version {BUNDLE_VERSION}. Update RNN Lab to open it."
        )
    for member in _BUNDLE_MEMBERS:
        if member not in names:
            raise ModelFileError(f"{path}: the bundle lacks {member} (damaged, or not written by RNN Lab).")

    project_data = _member_json(path, zf, "project.json")
    try:
        project = Project.from_dict(project_data)
    except SpecError as exc:
        raise ModelFileError(f"{path}: project.json inside the bundle: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: project.json inside the bundle is not a valid project: {exc}") from None

    info_data = _member_json(path, zf, "data_info.json")
    try:
        info = DataInfo.from_dict(info_data)
    except KeyError as exc:
        raise ModelFileError(f"{path}: data_info.json inside the bundle lacks the field {exc.args[0]!r}.") from None
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ModelFileError(f"{path}: data_info.json inside the bundle is not valid: {exc}") from None

    history_data = _member_json(path, zf, "history.json")
    history = None
    if history_data is not None:
        try:
            history = History.from_dict(history_data)
        except KeyError as exc:
            raise ModelFileError(f"{path}: history.json inside the bundle lacks the field {exc.args[0]!r}.") from None
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ModelFileError(f"{path}: history.json inside the bundle is not valid: {exc}") from None

    model = _load_keras_blob(path, _member_bytes(path, zf, "model.keras"), "model.keras inside the bundle")
    return Bundle(project=project, model=model, history=history, info=info, manifest=manifest)


# --- plain .keras ---------------------------------------------------------------------------


def export_keras(bundle_or_model: Any, path: str | os.PathLike) -> None:
    """Write the plain Keras model (loadable by keras.saving.load_model without RNN Lab), atomically."""
    path = Path(path)
    if path.suffix != KERAS_SUFFIX:
        raise ModelFileError(f"{path}: a Keras model file must end in {KERAS_SUFFIX}.")
    model = bundle_or_model.model if isinstance(bundle_or_model, Bundle) else bundle_or_model
    data = _model_bytes(model)
    _atomic_write(path, lambda fh: fh.write(data), what="Keras model")


def import_keras(path: str | os.PathLike) -> Any:
    """Load a plain ``.keras`` model in safe mode; every problem is a ModelFileError naming the file."""
    path = Path(path)
    raw = _read_bytes(path, "Keras model")
    zf = _open_zip(path, raw, "Keras model")
    names = set(zf.namelist())
    if "manifest.json" in names and not _is_keras_zip(names):
        raise ModelFileError(f"{path}: this is an RNN Lab model bundle, not a plain Keras model: use Open to load it.")
    return _load_keras_blob(path, raw, "the file")


def is_bundle(path: str | os.PathLike) -> bool:
    """Whether the file looks like an RNN Lab bundle (a zip with manifest.json); no errors raised."""
    try:
        with zipfile.ZipFile(path) as zf:
            return "manifest.json" in zf.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def describe_keras_model(model: Any) -> dict[str, Any]:
    """What `inspect` shows of any Keras model: shapes, per-layer parameters and the summary text."""
    layers = []
    for layer in model.layers:
        try:
            out_shape = _shape_list(layer.output.shape)
        except (AttributeError, ValueError):
            out_shape = None
        layers.append({
            "name": layer.name,
            "class": type(layer).__name__,
            "params": int(layer.count_params()) if layer.built else 0,
            "output_shape": out_shape,
        })
    lines: list[str] = []
    model.summary(print_fn=lambda text, **_: lines.append(text))
    return {
        "name": model.name,
        "class": type(model).__name__,
        "inputs": [_shape_list(t.shape) for t in model.inputs],
        "outputs": [_shape_list(t.shape) for t in model.outputs],
        "layers": layers,
        "total_params": int(model.count_params()),
        "trainable_params": int(sum(_weight_size(w) for w in model.trainable_weights)),
        "summary": "\n".join(lines).rstrip(),
    }


# --- helpers --------------------------------------------------------------------------------


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def _tf_version() -> str | None:
    try:
        import tensorflow as tf
    except ImportError:
        return None
    return tf.__version__


def _shape_list(shape) -> list[int | None]:
    return [None if d is None else int(d) for d in tuple(shape)]


def _weight_size(weight) -> int:
    size = 1
    for d in weight.shape:
        size *= int(d)
    return size


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def _dumps(value: Any) -> str:
    return json.dumps(value, indent=1, default=_json_default)


def _model_bytes(model: Any) -> bytes:
    """model.save truncates its target, so save into a scratch folder and keep the bytes."""
    _keras()
    try:
        with tempfile.TemporaryDirectory(prefix=_scratch_prefix()) as tmp:
            target = Path(tmp) / "model.keras"
            model.save(target)
            return target.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot write the model to a temporary file: {exc.strerror or exc}.") from None


def _atomic_write(path: Path, write: Callable[[Any], Any], *, what: str) -> None:
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


# --- leftovers of saves that were killed mid-write -------------------------------------------

STALE_AFTER_S = 60.0  # a live save rewrites its temp file within seconds; older ones are leftovers
_SCRATCH = "rnnlab-"


def _scratch_prefix() -> str:
    """Scratch folders carry the owner's pid, so a cleaner can tell a live owner's from a leftover."""
    return f"{_SCRATCH}{os.getpid()}-"


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
        candidates = list(folder.glob(f".{_glob_escape(name)}.*.tmp"))
    except OSError:
        return
    for candidate in candidates:
        if candidate.is_file() and not candidate.is_symlink() and _is_stale(candidate, now):
            _remove_if_unlocked(candidate)


def _glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)


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


def _remove_stale_scratch_folders() -> None:
    """Delete ``rnnlab-*`` scratch folders in the system temp dir left by killed saves or loads:
    older than STALE_AFTER_S and not owned by a running process (folders without a pid in their
    name, from older versions, go by age alone). Best effort."""
    import shutil

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


def _read_bytes(path: Path, what: str) -> bytes:
    if not path.exists():
        raise ModelFileError(f"{path}: file not found.")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a folder, not a {what}.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the {what}: {exc.strerror or exc}.") from None
    if not raw:
        raise ModelFileError(f"{path}: the file is empty (0 bytes), so it holds no {what}; was a save interrupted?")
    return raw


def _open_zip(path: Path, raw: bytes, what: str) -> zipfile.ZipFile:
    if raw.startswith(_HDF5_MAGIC):
        raise ModelFileError(
            f"{path}: this is an HDF5 (.h5) file, the legacy Keras format; RNN Lab reads {what}s in the "
            f"zip-based {BUNDLE_SUFFIX if what == 'model bundle' else KERAS_SUFFIX} format."
        )
    if raw.lstrip()[:1] in (b"{", b"["):
        raise ModelFileError(f"{path}: this is a JSON text file (a project file?), not a {what}.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        bad = zf.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        zf, bad = None, None
    if zf is None:
        if raw.startswith(_ZIP_MAGIC) or raw.startswith(_EMPTY_ZIP_MAGIC):
            raise ModelFileError(
                f"{path}: the zip archive is truncated or damaged ({len(raw)} bytes); was a save or copy interrupted?"
            )
        raise ModelFileError(f"{path}: not a {what}: the file is not a zip archive ({_describe_start(raw)}).")
    if bad is not None:
        raise ModelFileError(f"{path}: the {what} is damaged: {bad} inside it fails its checksum.")
    return zf


def _describe_start(raw: bytes) -> str:
    head = raw[:8]
    try:
        text = head.decode("ascii")
        if text.isprintable():
            return f"it starts with the text {text!r}"
    except UnicodeDecodeError:
        pass
    return "it starts with bytes " + head.hex(" ")


def _is_keras_zip(names: set[str]) -> bool:
    return "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names)


def _member_bytes(path: Path, zf: zipfile.ZipFile, member: str) -> bytes:
    try:
        return zf.read(member)
    except KeyError:
        raise ModelFileError(f"{path}: the bundle lacks {member}.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise ModelFileError(f"{path}: {member} inside the bundle is damaged: {exc}.") from None


def _member_json(path: Path, zf: zipfile.ZipFile, member: str) -> Any:
    raw = _member_bytes(path, zf, member)
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(f"{path}: {member} inside the bundle is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{path}: {member} inside the bundle is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    except ValueError as exc:
        raise ModelFileError(f"{path}: {member} inside the bundle is not valid: {_json_value_error(exc)}.") from None
    except RecursionError:
        raise ModelFileError(f"{path}: {member} inside the bundle is nested too deeply.") from None


def _json_value_error(exc: ValueError) -> str:
    # json.loads raises a plain ValueError (not JSONDecodeError) for a number of over 4300 digits.
    return f"a number in it has too many digits to read ({str(exc).split(';')[0]})"


def _find_lambda(config: Any) -> str | None:
    """What holds Python code in a Keras config: the first Lambda layer, or a serialised lambda
    function (e.g. as a layer's activation), searched everywhere, nested models too."""
    stack: list[tuple[Any, str]] = [(config, "?")]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, dict):
            inner = node.get("config")
            name = str(inner["name"]) if isinstance(inner, dict) and "name" in inner else owner
            if node.get("class_name") == "Lambda":
                return f"a Lambda layer ({name})"
            if node.get("class_name") == "__lambda__":
                return f"a Python lambda function (in layer {owner})"
            stack.extend((value, name) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, owner) for value in node)
    return None


def _load_keras_blob(path: Path, blob: bytes, where: str) -> Any:
    """Load a .keras zip given as bytes, in safe mode, after refusing anything that runs code."""
    try:
        inner = zipfile.ZipFile(io.BytesIO(blob))
        names = set(inner.namelist())
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise ModelFileError(f"{path}: {where} is not a valid Keras model (not a zip archive).") from None
    if "config.json" not in names:
        raise ModelFileError(f"{path}: {where} is not a Keras model: it has no config.json.")
    try:
        config = json.loads(inner.read("config.json").decode("utf-8"))
    except (ValueError, RecursionError, zipfile.BadZipFile, zlib.error, OSError) as exc:
        # ValueError: not UTF-8, not JSON, or a number of over 4300 digits.
        raise ModelFileError(f"{path}: config.json of {where} is damaged or not JSON ({exc}).") from None
    code = _find_lambda(config)
    if code is not None:
        raise _lambda_error(path, code)
    keras = _keras()
    with tempfile.TemporaryDirectory(prefix="rnnlab-") as tmp:
        target = Path(tmp) / "model.keras"
        target.write_bytes(blob)
        try:
            model = keras.saving.load_model(target, compile=False, safe_mode=True)
        except Exception as exc:  # noqa: BLE001 - Keras raises anything for a bad file; all mean "bad file"
            message = _keras_error_message(exc)
            if "safe_mode" in str(exc) or "lambda" in str(exc).lower():
                raise _lambda_error(path, "a Python lambda") from None
            if "Could not locate" in str(exc) or "Unknown layer" in str(exc):
                raise ModelFileError(
                    f"{path}: {where} uses a custom class that plain Keras does not know ({message})."
                ) from None
            raise ModelFileError(f"{path}: {where} could not be loaded: {type(exc).__name__}: {message}") from None
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"{path}: {where} holds a {type(model).__name__}, not a Keras model.")
    return model


def _keras_error_message(exc: Exception) -> str:
    """The cause of a Keras loading error in one line. Keras wraps the cause in "<class ...> could not
    be deserialized properly ... Exception encountered: CAUSE" once per nesting level."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    causes = [line.split("Exception encountered:", 1)[1].strip() for line in text.splitlines()
              if "Exception encountered:" in line]
    cause = causes[-1] if causes else text.splitlines()[0]
    # Keras appends the whole layer config ("Full object config: {...}"); the first sentence says it.
    return cause.split(" Make sure custom classes")[0].split(" Full object config")[0]


def _lambda_error(path: Path, what: str) -> ModelFileError:
    return ModelFileError(
        f"{path}: refused: the model contains {what}, whose Python code would run "
        f"when the file is loaded. RNN Lab never runs code from a file."
    )


__all__ = [
    "Bundle", "BUNDLE_FORMAT", "BUNDLE_VERSION", "BUNDLE_SUFFIX", "KERAS_SUFFIX", "BUILTIN_PREFIX",
    "save_project", "load_project", "save_bundle", "load_bundle", "export_keras",
    "import_keras", "is_bundle", "describe_keras_model", "resolve_data_path", "portable_data_path",
    "resolve_project_paths",
]
