"""Reading the user's files, and saying in words why one cannot be used.

Every file RNN Lab reads (a project, a bundle, a ``.keras`` model, a CSV, a text, a command-line
input) goes through ``read_user_bytes`` or ``read_user_text``, and every JSON text through
``loads_json``, so that a missing file, a folder, an empty file or broken JSON reads the same
wherever it happens. The caller chooses the error class (``ModelFileError`` for model and project
files, ``DatasetError`` for data) and names what the file should have been.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from pathlib import Path
from typing import Any

from core.errors import DatasetError, RNNLabError, SpecError

_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def read_user_bytes(path: Path, what: str, error_cls: type[RNNLabError]) -> bytes:
    """The bytes of ``path``, or ``error_cls`` saying why there are none (``what``: "CSV file", ...).

    A file of 0 bytes is refused here; what counts as empty beyond that (blank text) is the
    caller's rule.
    """
    if not path.exists():
        raise error_cls(f"{path}: file not found.")
    if path.is_dir():
        raise error_cls(f"{path}: is a folder, not a {what}.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error_cls(f"{path}: cannot read the {what}: {exc.strerror or exc}.") from None
    if not raw:
        raise error_cls(f"{path}: the {what} is empty (0 bytes); was a save or a copy interrupted?")
    return raw


def read_user_text(path: Path, what: str, error_cls: type[RNNLabError] = DatasetError) -> str:
    """The UTF-8 text of ``path`` with newlines as ``\\n``, or ``error_cls`` saying why it is not text."""
    data = read_user_bytes(path, what, error_cls)
    if not data.strip():
        raise error_cls(f"{path}: the {what} is empty (only blank space).")
    if data.startswith(_UTF32_BOMS + _UTF16_BOMS) or _looks_utf16(data):
        # The UTF-32 little-endian mark starts with the UTF-16 one: tell them apart by name.
        encoding = "UTF-32" if data.startswith(_UTF32_BOMS) else "UTF-16"
        raise error_cls(
            f"{path.name} is {encoding} encoded; RNN Lab reads UTF-8. Save it again as UTF-8 "
            f"(in most editors: Save As, encoding UTF-8)."
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise error_cls(
            f"{path.name} looks like a binary file, not a {what} (it contains a NUL byte at position {nul})."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error_cls(
            f"{path.name} is not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line} cannot be decoded. "
            f"It may be Latin-1 or Windows-1252; save it again as UTF-8."
        ) from None
    controls = sum(1 for ch in text if ch not in "\n\r\t\f" and unicodedata.category(ch) == "Cc")
    if controls > max(2, len(text) // 100):
        raise error_cls(
            f"{path.name} looks like a binary file, not a {what}: {controls} of its {len(text)} characters "
            f"are control characters."
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_utf16(data: bytes) -> bool:
    # UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte.
    sample = data[:4000]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return max(even.count(0), odd.count(0)) > 0.4 * len(odd) and min(even.count(0), odd.count(0)) < 0.05 * len(odd)


def loads_json(text: str | bytes, where: str, error_cls: type[RNNLabError]) -> Any:
    """``json.loads(text)``, with every way it fails turned into ``error_cls`` naming ``where``.

    A SpecError is raised the Keras way: ``where`` is the field and the problem the received value.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
    except ValueError as exc:
        # Not a JSONDecodeError: Python refuses an integer of more than 4,300 digits.
        problem = f"a number with too many digits: {str(exc).split(';')[0]}"
    except RecursionError:
        problem = "nested too deeply"
    if issubclass(error_cls, SpecError):
        raise error_cls(where, problem, "valid JSON")
    raise error_cls(f"{where}: not valid JSON ({problem}).")


def located(error: SpecError, where: str) -> SpecError:
    """The same SpecError (field, value and expected kept for the window) with ``where`` in front."""
    located_error = SpecError(error.field, error.value, error.expected)
    located_error.args = (f"{where}: {error}",)
    return located_error
