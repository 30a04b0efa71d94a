"""Crafted model files made to exhaust memory, for every test that opens one (engine and window).

``craft(folder, good_keras, good_bundle)`` writes, from a valid tiny .keras file and bundle: a
bundle whose history.json expands to 1.5 GiB of blank space after valid JSON (1.5 MB on disk),
a 30 KB .keras file whose config asks for an LSTM of 20,000 units, and a bundle holding that
model. The window's tests import it as ``tests.core._crafted_archives``.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

BOMB_BYTES = 1536 << 20  # history.json expands to 1.5 GiB
HUGE_UNITS = 20_000


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _blank_padded(text: bytes, blank: int) -> tuple[bytes, int, int]:
    """Raw deflate of ``text`` and then ``blank`` spaces, made without compressing them all.

    A full flush ends a deflate block on a byte boundary with no reference to what came before,
    so the block of one 16 MiB run of spaces can be repeated; an empty final block ends it.
    Returns (compressed bytes, CRC-32, uncompressed size).
    """
    chunk = b" " * (16 << 20)
    repeats = blank // len(chunk)
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = (head.compress(text) + head.flush(zlib.Z_FULL_FLUSH)
            + (block.compress(chunk) + block.flush(zlib.Z_FULL_FLUSH)) * repeats + b"\x03\x00")
    crc = zlib.crc32(text)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    return data, crc, len(text) + repeats * len(chunk)


def _write_zip(path: Path, members: dict[str, bytes | tuple[bytes, int, int]]) -> Path:
    """A deflated zip of ``members``; a tuple is a member already compressed (data, CRC, size)."""
    body, directory = bytearray(), bytearray()
    for name, member in members.items():
        data, crc, size = member if isinstance(member, tuple) else (_deflated(member), zlib.crc32(member),
                                                                    len(member))
        encoded, offset = name.encode(), len(body)
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
        body += encoded + data
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), size,
                                 len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0)
    path.write_bytes(bytes(body + directory + end))
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _with_units(keras_blob: bytes, units: int) -> bytes:
    """The .keras file with its LSTM asking for ``units`` units; the weights stay those of 4."""
    with zipfile.ZipFile(io.BytesIO(keras_blob)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members["config.json"])
    for layer in config["config"]["layers"]:
        if layer["class_name"] == "LSTM":
            layer["config"]["units"] = units
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def craft(folder: Path, good_keras: Path, good_bundle: Path) -> dict[str, Path]:
    """The crafted files, made from a good .keras file and a good bundle: "bomb", "huge", "huge_bundle"."""
    members = _members(good_bundle)
    bomb = _write_zip(folder / "bomb.rnnlab", {
        **members, "history.json": _blank_padded(b'{"epochs": [], "batch_loss": []}', BOMB_BYTES)})
    huge = folder / "huge.keras"
    huge.write_bytes(_with_units(good_keras.read_bytes(), HUGE_UNITS))
    huge_bundle = _write_zip(folder / "huge.rnnlab", {**members, "model.keras": _with_units(
        members["model.keras"], HUGE_UNITS)})
    return {"bomb": bomb, "huge": huge, "huge_bundle": huge_bundle}


def good_files(folder: Path) -> dict:
    """A good tiny .keras file and bundle (an LSTM on a short cooking task) to craft bad ones from."""
    from core.bundles import Bundle, save_bundle
    from core.datasets import build_dataset
    from core.keras_files import write_keras_model
    from core.models import build_model
    from core.specs import DatasetSpec, ModelSpec, Project

    project = Project(name="tiny", dataset=DatasetSpec(task="cooking", params={"days": 5, "samples": 40}),
                      model=ModelSpec(cell="LSTM", io_mode="many_to_many", units=4))
    data = build_dataset(project.dataset, project.model.io_mode)
    model = build_model(project.model, data.info)
    good_keras, good_bundle = folder / "good.keras", folder / "good.rnnlab"
    write_keras_model(model, good_keras)
    save_bundle(good_bundle, Bundle(project, model, None, data.info))
    return {"good_keras": good_keras, "good_bundle": good_bundle, "model": model}
