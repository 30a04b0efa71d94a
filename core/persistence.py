"""Project files, and the one place every caller imports file handling from.

Project files are JSON (``Project.to_dict``, versioned by ``schema_version``). File paths in task
parameters (the CSV or text file a dataset reads) are stored portably and resolved on loading:

* ``builtin:NAME`` names a file shipped with RNN Lab (a built-in text, the sample CSV); the task
  looks it up, so it works wherever RNN Lab is installed;
* a relative path means relative to the folder of the project file (not the working directory),
  so a project and its data can be moved or shared together;
* an absolute path is used as it is.

``load_project`` makes relative paths absolute; ``save_project`` writes files in the project's
folder (or below it) back as relative paths and leaves the others as they are.

Model bundles live in ``core.bundles``, plain ``.keras`` files in ``core.keras_files`` and atomic
writes in ``core.atomic``; this module re-exports their public names, so callers need only
``core.persistence``. Keras and TensorFlow are imported only by the functions that need them, so
the window can read and write project files before TensorFlow has loaded.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.atomic import atomic_write
from core.bundles import BUNDLE_FORMAT, BUNDLE_SUFFIX, BUNDLE_VERSION, Bundle, is_bundle, load_bundle, save_bundle
from core.errors import ModelFileError, SpecError
from core.files import loads_json, located, read_user_bytes
from core.keras_files import KERAS_SUFFIX, ZIP_MAGIC, describe_keras_model, import_keras, write_keras_model
from core.specs import Project

BUILTIN_PREFIX = "builtin:"


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


def portable_project_paths(project: Project, base_dir: str | os.PathLike) -> Project:
    """The project with file parameters in ``base_dir`` or below it made relative to it (what a
    file saved in ``base_dir`` holds, so that the folder can move to another machine)."""
    return _map_path_params(project, lambda v: portable_data_path(v, base_dir))


def path_fields(task_name: str) -> list[str]:
    """The dotted names of a task's file parameters (``dataset.params.path``)."""
    return [f"dataset.params.{name}" for name in _path_params(task_name)]


# --- project files --------------------------------------------------------------------------


def save_project(path: str | os.PathLike, project: Project) -> None:
    """Write the project as JSON, atomically, with data paths made portable (see module doc)."""
    path = Path(path)
    portable = portable_project_paths(project, path.absolute().parent)
    text = portable.to_json() + "\n"
    atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), what="project file")


def load_project(path: str | os.PathLike) -> Project:
    """Read and validate a project file; data paths come back absolute (see module doc).

    Raises ModelFileError when the file cannot be read or is not JSON, and SpecError naming the
    file and the field when a value is wrong.
    """
    path = Path(path)
    raw = read_user_bytes(path, "project file", ModelFileError)
    if raw.startswith(ZIP_MAGIC):
        raise ModelFileError(f"{path}: this is a zip file (a model bundle or .keras model?), not a project file (JSON).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{path}: not a project file: byte {exc.start} is not UTF-8 text (binary or wrongly encoded file)."
        ) from None
    data = loads_json(text, str(path), ModelFileError)
    try:
        project = Project.from_dict(data, validate=False)
        project = resolve_project_paths(project, path.absolute().parent)
        project.validate()
    except SpecError as exc:
        raise located(exc, str(path)) from None
    except (TypeError, ValueError, OverflowError) as exc:
        # from_dict checks field names, not every type; a list where an object belongs ends here.
        raise ModelFileError(f"{path}: not a valid project: {exc}") from None
    return project


def export_keras(bundle_or_model: Any, path: str | os.PathLike) -> None:
    """Write the plain Keras model of a bundle (or a model) to ``path``, atomically."""
    model = bundle_or_model.model if isinstance(bundle_or_model, Bundle) else bundle_or_model
    write_keras_model(model, path)


__all__ = [
    "Bundle", "BUNDLE_FORMAT", "BUNDLE_VERSION", "BUNDLE_SUFFIX", "KERAS_SUFFIX", "BUILTIN_PREFIX",
    "save_project", "load_project", "save_bundle", "load_bundle", "export_keras",
    "import_keras", "is_bundle", "describe_keras_model", "resolve_data_path", "portable_data_path",
    "resolve_project_paths",
]
