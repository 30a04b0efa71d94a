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
import re
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


# What "auto" tries after UTF-8: Windows-1252 (what Excel and most Western Windows programs
# write; Latin-1 plus curly quotes, the euro sign and dashes in 0x80-0x9F), then Latin-1 proper
# for the five bytes Windows-1252 leaves undefined.
ENCODINGS = {"auto": "detect", "utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO-8859-1)"}
_FALLBACKS = ("cp1252", "latin-1")
# Binary and text are told apart on the start of the file, as git does with its first 8000 bytes:
# a binary file is binary throughout, and scanning 100 MB of a big CSV would cost seconds.
_SAMPLE = 1 << 20
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def read_user_text(path: Path, what: str, error_cls: type[RNNLabError] = DatasetError,
                   encoding: str = "utf-8") -> str:
    """The text of ``path`` with newlines as ``\\n``, or ``error_cls`` saying why it is not text.

    ``encoding`` is one of ``ENCODINGS``; see ``read_user_data``.
    """
    data, used = read_user_data(path, what, error_cls, encoding)
    return decode(data, used).replace("\r\n", "\n").replace("\r", "\n")


def decode(data: bytes, encoding: str) -> str:
    """``data`` as text in an encoding ``read_user_data`` returned (a UTF-8 byte-order mark dropped)."""
    return data.decode("utf-8-sig" if encoding == "utf-8" else encoding)


def read_user_data(path: Path, what: str, error_cls: type[RNNLabError] = DatasetError,
                   encoding: str = "utf-8") -> tuple[bytes, str]:
    """The bytes of a text file and the encoding they are text in, or ``error_cls`` saying why not.

    ``encoding`` "auto" reads UTF-8 (with or without a byte-order mark) and, failing that,
    Windows-1252 or Latin-1 when the file then reads as mostly plain text. The bytes are given
    back undecoded so that a big file can go straight to a parser.
    """
    data = read_user_bytes(path, what, error_cls)
    if data.isspace():
        raise error_cls(f"{path}: the {what} is empty (only blank space).")
    if data.startswith(_UTF32_BOMS + _UTF16_BOMS) or _looks_utf16(data):
        # The UTF-32 little-endian mark starts with the UTF-16 one: tell them apart by name.
        name = "UTF-32" if data.startswith(_UTF32_BOMS) else "UTF-16"
        raise error_cls(
            f"{path.name} is {name} encoded; RNN Lab reads UTF-8. Save it again as UTF-8 (in most editors: "
            f"Save As, encoding UTF-8)."
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise error_cls(
            f"{path.name} looks like a binary file, not a {what} (it contains a NUL byte at position {nul})."
        )
    used = _encoding_of(data, path, encoding, error_cls)
    sample = data[:_SAMPLE].decode("utf-8-sig" if used == "utf-8" else used, errors="ignore")
    controls = len(_CONTROLS.findall(sample))
    if controls > max(2, len(sample) // 100):
        raise error_cls(
            f"{path.name} looks like a binary file, not a {what}: {controls} of its first {len(sample)} characters "
            f"are control characters."
        )
    return data, used


def _encoding_of(data: bytes, path: Path, encoding: str, error_cls: type[RNNLabError]) -> str:
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {', '.join(ENCODINGS)}")
    if encoding in ("utf-8", "auto"):
        if data.isascii():
            return "utf-8"
        try:
            data.decode("utf-8-sig")
            return "utf-8"
        except UnicodeDecodeError as exc:
            failure = exc
        if encoding == "auto":
            # Mostly ASCII, as every CSV and prose file is; noise that happens to decode is not.
            head = data[:_SAMPLE]
            if len(head.translate(None, bytes(range(128)))) <= 0.25 * len(head):
                for fallback in _FALLBACKS:
                    try:
                        data.decode(fallback)
                        return fallback
                    except UnicodeDecodeError:
                        continue
        line = data[:failure.start].count(b"\n") + 1
        raise error_cls(
            f"{path.name} is not UTF-8 text: byte 0x{data[failure.start]:02X} on line {line} cannot be decoded. "
            f"It may be Latin-1 or Windows-1252; save it again as UTF-8 (a CSV file can also be read with its "
            f"encoding set)."
        ) from None
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise error_cls(
            f"{path.name} is not {ENCODINGS[encoding]} text: byte 0x{data[exc.start]:02X} on line {line} cannot "
            f"be decoded. Choose another encoding."
        ) from None
    return encoding


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
