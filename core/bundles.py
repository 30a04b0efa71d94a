"""Model bundles (``.rnnlab``): a trained model with everything needed to show, decode and continue it.

A bundle is a zip holding ``manifest.json``, ``project.json``, ``history.json``,
``data_info.json`` and ``model.keras`` (a plain Keras model, no custom classes, compiled with
its optimizer's state), so a reopened model shows the same plots, decodes its samples, predicts
identically and continues training where it stopped (Adam's moments, the step count). It is written
atomically and loaded like a plain ``.keras`` file: safely, every member read within the limits
of ``core.archive``, with every problem a ``ModelFileError`` naming the file.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.archive import READ_ERRORS, Archive
from core.atomic import atomic_write
from core.errors import ModelFileError, SpecError
from core.files import loads_json, read_user_bytes
from core.keras_files import (
    check_keras_archive,
    check_keras_file,
    inner_keras_archive,
    is_keras_file,
    is_keras_zip,
    keras_module,
    load_keras_blob,
    model_bytes,
    open_zip,
)
from core.specs import Project

BUNDLE_FORMAT = "rnnlab-bundle"
BUNDLE_VERSION = 1
BUNDLE_SUFFIX = ".rnnlab"

_BUNDLE_MEMBERS = ("manifest.json", "project.json", "history.json", "data_info.json", "model.keras")
_MODEL_WHERE = "model.keras inside the bundle"


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
    keras = keras_module()
    model = model_bytes(bundle.model)
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
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
            zf.writestr("model.keras", model, compress_type=zipfile.ZIP_STORED)

    atomic_write(path, write, what="model bundle")
    bundle.manifest = manifest


def load_bundle(path: str | os.PathLike) -> Bundle:
    """Read a bundle written by save_bundle; every problem is a ModelFileError naming the file."""
    path = Path(path)
    archive, manifest = _open_bundle(path)
    # Imported after the cheap checks: a missing or junk file is reported without loading TensorFlow.
    from core.datasets import DataInfo

    project_data = _member_json(path, archive, "project.json")
    try:
        project = Project.from_dict(project_data)
    except SpecError as exc:
        raise ModelFileError(f"{path}: project.json inside the bundle: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: project.json inside the bundle is not a valid project: {exc}") from None

    info = _parsed(path, "data_info.json", DataInfo.from_dict, _member_json(path, archive, "data_info.json"))
    history = _history(path, archive)
    # Compiled, so the optimizer's state (Adam's moments, the step count) comes back with the
    # weights and Continue training carries on from it (core.course.carry_state).
    model = load_keras_blob(path, archive.read("model.keras"), _MODEL_WHERE, compile=True)
    return Bundle(project=project, model=model, history=history, info=info, manifest=manifest)


def load_history(path: str | os.PathLike):
    """Only the training history of a bundle (core.history.History, or None when it has none),
    without loading its model: what a resumed sweep needs of the trials it keeps."""
    path = Path(path)
    archive, _manifest = _open_bundle(path)
    return _history(path, archive)


def _history(path: Path, archive: Archive):
    from core.history import History

    data = _member_json(path, archive, "history.json")
    return None if data is None else _parsed(path, "history.json", History.from_dict, data)


def check_model_file(path: str | os.PathLike) -> None:
    """Refuse, without TensorFlow, a bundle or a plain .keras file that the loaders would refuse
    before Keras reads it: a zip bomb, a model too big to build, code in the model.

    The command line runs this before paying for the TensorFlow import. A file that is neither
    passes: the loader then says what it is.
    """
    path = Path(path)
    if is_bundle(path):
        check_bundle_file(path)
    elif is_keras_file(path):
        check_keras_file(path)


def check_bundle_file(path: str | os.PathLike) -> None:
    """What ``load_bundle`` refuses before Keras reads the model, without TensorFlow: a file that
    is missing or not a bundle (saying what it is), a zip bomb, a model too big to build, code."""
    path = Path(path)
    archive, _ = _open_bundle(path)
    check_keras_archive(path, inner_keras_archive(path, archive.read("model.keras"), _MODEL_WHERE), _MODEL_WHERE)


def is_bundle(path: str | os.PathLike) -> bool:
    """Whether the file looks like an RNN Lab bundle (a zip with manifest.json); no errors raised."""
    try:
        with zipfile.ZipFile(path) as zf:
            return "manifest.json" in zf.namelist()
    except READ_ERRORS:
        return False


def _open_bundle(path: Path) -> tuple[Archive, dict[str, Any]]:
    """The bundle's archive, every member read within the limits of core.archive, and its manifest."""
    raw = read_user_bytes(path, "model bundle", ModelFileError)
    archive = open_zip(path, raw, "model bundle", BUNDLE_SUFFIX)
    manifest = _manifest(path, archive)
    for member in _BUNDLE_MEMBERS:
        if member not in archive.names:
            raise ModelFileError(f"{path}: the bundle lacks {member} (damaged, or not written by RNN Lab).")
    return archive, manifest


def _manifest(path: Path, archive: Archive) -> dict[str, Any]:
    if "manifest.json" not in archive.names:
        if is_keras_zip(archive.names):
            raise ModelFileError(
                f"{path}: this is a plain Keras model, not an RNN Lab bundle: use Import .keras "
                f"(or `main.py inspect`) to open it."
            )
        raise ModelFileError(f"{path}: not an RNN Lab model bundle: a zip file without manifest.json.")
    manifest = _member_json(path, archive, "manifest.json")
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
    return manifest


def _parsed(path: Path, member: str, parse, data: Any) -> Any:
    """``parse(data)`` for a member holding the dict form of DataInfo or History."""
    try:
        return parse(data)
    except KeyError as exc:
        raise ModelFileError(f"{path}: {member} inside the bundle lacks the field {exc.args[0]!r}.") from None
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise ModelFileError(f"{path}: {member} inside the bundle is not valid: {exc}") from None


def _member_json(path: Path, archive: Archive, member: str) -> Any:
    raw = archive.read(member)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{path}: {member} inside the bundle is not UTF-8 text.") from None
    return loads_json(text, f"{path}: {member} inside the bundle", ModelFileError)


def _tf_version() -> str | None:
    try:
        import tensorflow as tf
    except ImportError:
        return None
    return tf.__version__


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
