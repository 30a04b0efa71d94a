"""Plain ``.keras`` models: writing one, loading one safely, and describing one.

Loading never runs code from the file: models containing a ``Lambda`` layer or a serialised
Python lambda are refused before Keras sees them, and Keras itself loads in safe mode. Nor may a
file take the machine down: its members are read within the limits of ``core.archive`` (a zip
bomb is refused), and a config asking for more weights than the file holds, or than memory
allows, is refused before Keras builds anything. Every way a file can be wrong ends as a
``ModelFileError`` naming the file. Keras and TensorFlow are imported only by the functions that
need them, so the cheap checks run before TensorFlow loads.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from core.archive import READ_ERRORS, Archive, checked_archive, is_json_member
from core.atomic import atomic_write, remove_stale_scratch_folders, scratch_prefix
from core.errors import ModelFileError
from core.files import read_user_bytes
from core.memory_estimate import (
    FLOAT_BYTES,
    check_memory,
    estimate_loading_memory,
    format_bytes,
    keras_config_weights,
)

KERAS_SUFFIX = ".keras"

ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
# Weights a config may ask for beyond twice what its file holds: Keras then fails on the missing
# weights itself, after building a model small enough not to matter.
_UNSTORED_WEIGHTS_ALLOWANCE = 64_000_000


def keras_module():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def write_keras_model(model: Any, path: str | os.PathLike) -> None:
    """Write the plain Keras model (loadable by keras.saving.load_model without RNN Lab), atomically."""
    path = Path(path)
    if path.suffix != KERAS_SUFFIX:
        raise ModelFileError(f"{path}: a Keras model file must end in {KERAS_SUFFIX}.")
    data = model_bytes(model)
    atomic_write(path, lambda fh: fh.write(data), what="Keras model")


def import_keras(path: str | os.PathLike) -> Any:
    """Load a plain ``.keras`` model in safe mode; every problem is a ModelFileError naming the file."""
    path = Path(path)
    raw, archive = _keras_file(path)
    return _load_checked(path, archive, raw, "the file")


def check_keras_file(path: str | os.PathLike) -> None:
    """What ``import_keras`` refuses before Keras reads the file (code, a size that would exhaust
    memory, a zip bomb), without TensorFlow."""
    path = Path(path)
    check_keras_archive(path, _keras_file(path)[1], "the file")


def is_keras_file(path: str | os.PathLike) -> bool:
    """Whether the file looks like a plain Keras model (a zip with config.json); no errors raised."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except READ_ERRORS:
        return False
    return "config.json" in names


def _keras_file(path: Path) -> tuple[bytes, Archive]:
    raw = read_user_bytes(path, "Keras model", ModelFileError)
    archive = open_zip(path, raw, "Keras model", KERAS_SUFFIX)
    if "manifest.json" in archive.names and not is_keras_zip(archive.names):
        raise ModelFileError(f"{path}: this is an RNN Lab model bundle, not a plain Keras model: use Open to load it.")
    return raw, archive


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
        "trainable_params": int(sum(math.prod(w.shape) for w in model.trainable_weights)),
        "summary": "\n".join(lines).rstrip(),
    }


def model_bytes(model: Any) -> bytes:
    """model.save truncates its target, so save into a scratch folder and keep the bytes."""
    keras_module()
    remove_stale_scratch_folders()
    try:
        with tempfile.TemporaryDirectory(prefix=scratch_prefix()) as tmp:
            target = Path(tmp) / "model.keras"
            model.save(target)
            return target.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot write the model to a temporary file: {exc.strerror or exc}.") from None


def open_zip(path: Path, raw: bytes, what: str, suffix: str) -> Archive:
    """``raw`` as a zip archive read within the limits of core.archive, or a ModelFileError saying
    what the file is instead."""
    if raw.startswith(_HDF5_MAGIC):
        raise ModelFileError(
            f"{path}: this is an HDF5 (.h5) file, the legacy Keras format; RNN Lab reads {what}s in the "
            f"zip-based {suffix} format."
        )
    if raw.lstrip()[:1] in (b"{", b"["):
        raise ModelFileError(f"{path}: this is a JSON text file (a project file?), not a {what}.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except READ_ERRORS:
        if raw.startswith(ZIP_MAGIC) or raw.startswith(_EMPTY_ZIP_MAGIC):
            raise ModelFileError(
                f"{path}: the zip archive is truncated or damaged ({len(raw)} bytes); was a save or copy interrupted?"
            ) from None
        raise ModelFileError(
            f"{path}: not a {what}: the file is not a zip archive ({_describe_start(raw)})."
        ) from None
    return checked_archive(zf, str(path), f"the {what}")


def is_keras_zip(names: set[str]) -> bool:
    return "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names)


def load_keras_blob(path: Path, blob: bytes, where: str, *, compile: bool = False) -> Any:
    """Load a .keras zip given as bytes (a bundle's model.keras, ``where`` names it), in safe mode,
    after the checks of ``check_keras_archive``. With ``compile`` the model comes back compiled
    with the optimizer state it was saved with, when the file has one and this Keras can read it."""
    return _load_checked(path, inner_keras_archive(path, blob, where), blob, where, compile=compile)


def inner_keras_archive(path: Path, blob: bytes, where: str) -> Archive:
    """A .keras zip held inside another file, read within the limits of core.archive."""
    try:
        inner = zipfile.ZipFile(io.BytesIO(blob))
    except READ_ERRORS:
        raise ModelFileError(f"{path}: {where} is not a valid Keras model (not a zip archive).") from None
    return checked_archive(inner, str(path), where)


def check_keras_archive(path: Path, archive: Archive, where: str) -> None:
    """Refuse, before Keras reads it, a model whose config runs code or asks for more memory than
    its file could fill or the machine has."""
    if "config.json" not in archive.names:
        raise ModelFileError(f"{path}: {where} is not a Keras model: it has no config.json.")
    try:
        config = json.loads(archive.read("config.json").decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        # ValueError: not UTF-8, not JSON, or a number of over 4300 digits.
        raise ModelFileError(f"{path}: config.json of {where} is damaged or not JSON ({exc}).") from None
    code = _find_lambda(config)
    if code is not None:
        raise _lambda_error(path, code)
    _check_size(path, archive, where, config)


def _check_size(path: Path, archive: Archive, where: str, config: Any) -> None:
    layers = keras_config_weights(config)
    if not layers:
        return
    weights = sum(layer.weights for layer in layers)
    biggest = max(layers, key=lambda layer: layer.weights)
    asks = (f"{where} asks for layer {biggest.name!r} ({biggest.class_name} of {biggest.size}), "
            f"≈ {_count_words(weights)} weights ({format_bytes(FLOAT_BYTES * weights)}) in all")
    stored = sum(size for name, size in archive.sizes.items() if not is_json_member(name))
    if FLOAT_BYTES * weights > 2 * stored + _UNSTORED_WEIGHTS_ALLOWANCE:
        raise ModelFileError(
            f"{path}: refused before building the model: {asks}, but it holds only {format_bytes(stored)} "
            f"of weights. The file is damaged, or made to exhaust memory."
        )
    check = check_memory(estimate_loading_memory(weights))
    if check.level == "refuse":
        raise ModelFileError(f"{path}: refused before building the model: {asks}; {check.message}")


def _count_words(count: int) -> str:
    """1.6 billion, 12 million, 35,000."""
    if count >= 10**15:
        return "more than a thousand trillion"
    for size, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if count >= size:
            return f"{count / size:.2g} {word}"
    return f"{count:,}"


def _load_checked(path: Path, archive: Archive, blob: bytes, where: str, *, compile: bool = False) -> Any:
    check_keras_archive(path, archive, where)
    keras = keras_module()
    with tempfile.TemporaryDirectory(prefix=scratch_prefix()) as tmp:
        target = Path(tmp) / "model.keras"
        target.write_bytes(blob)
        try:
            try:
                model = keras.saving.load_model(target, compile=compile, safe_mode=True)
            except Exception:
                if not compile:
                    raise
                # The training configuration failed (an optimizer or loss this Keras lacks): the
                # model may still load without it, and continuing then starts a fresh optimizer.
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


def _shape_list(shape) -> list[int | None]:
    return [None if d is None else int(d) for d in tuple(shape)]


def _describe_start(raw: bytes) -> str:
    head = raw[:8]
    try:
        text = head.decode("ascii")
        if text.isprintable():
            return f"it starts with the text {text!r}"
    except UnicodeDecodeError:
        pass
    return "it starts with bytes " + head.hex(" ")


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
