"""Zip archives from outside (bundles, ``.keras`` models), read within limits.

A zip member can expand a thousand times: a 1.7 MB bundle whose history.json unpacks to 1.5 GB
of blank space is valid JSON and took 3.8 GB to open. So every member is read as a stream that
stops at a cap, counting the bytes that come out rather than trusting the size the archive
declares (which only serves to refuse early), and the members together have a cap too. JSON
members get a small cap, since nothing RNN Lab writes as JSON comes near it; weights get a
large one. Every problem is a ``ModelFileError`` that names the file and the member.
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from dataclasses import dataclass

from core.errors import ModelFileError
from core.memory_estimate import format_bytes

# Decimal units, so that messages say "64 MB". The history of a run of 100,000 batches (1,000
# epochs of 100) of a three-layer model is 38 MB of JSON.
JSON_MEMBER_LIMIT = 64_000_000
MEMBER_LIMIT = 2_000_000_000
TOTAL_LIMIT = 4_000_000_000
# A model file holds a handful of members (Keras: config, metadata, weights, a few assets).
MEMBER_COUNT_LIMIT = 10_000
_CHUNK = 1 << 20

# What reading a damaged or crafted member raises: bad headers, bad data, bad checksums,
# unsupported compression or encryption.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError)


class _TooBigError(Exception):
    pass


@dataclass
class Archive:
    """A zip whose every member was read once within the limits; ``read`` keeps to them too.

    ``where`` starts every message (the file's path) and ``container`` names the archive in it
    ("the bundle", "model.keras inside the bundle").
    """

    zip: zipfile.ZipFile
    where: str
    container: str
    sizes: dict[str, int]  # member -> bytes it expanded to

    @property
    def names(self) -> set[str]:
        return set(self.sizes)

    def read(self, member: str) -> bytes:
        """The member's bytes; a ModelFileError naming it if it is missing or cannot be read."""
        if member not in self.sizes:
            raise ModelFileError(f"{self.where}: {self.container} lacks {member}.")
        buffer = io.BytesIO()
        self._stream(self.zip.getinfo(member), buffer)
        return buffer.getvalue()

    def _stream(self, info: zipfile.ZipInfo, sink: io.BytesIO | None) -> int:
        limit = member_limit(info.filename)
        if info.file_size > limit:
            raise self._too_big(info.filename, format_bytes(info.file_size), limit)
        size = 0
        try:
            with self.zip.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise _TooBigError
                    if sink is not None:
                        sink.write(chunk)
        except _TooBigError:
            raise self._too_big(info.filename, f"more than {format_bytes(limit)}", limit) from None
        except zipfile.BadZipFile as exc:
            if "CRC" in str(exc):
                raise ModelFileError(
                    f"{self.where}: {self.container} is damaged: {info.filename} inside it fails its checksum."
                ) from None
            raise self._unreadable(info.filename, exc) from None
        except READ_ERRORS as exc:
            raise self._unreadable(info.filename, exc) from None
        return size

    def _too_big(self, member: str, size: str, limit: int) -> ModelFileError:
        kind = "a JSON member" if is_json_member(member) else "a member"
        return ModelFileError(
            f"{self.where}: {member} inside {self.container} expands to {size}; RNN Lab reads {kind} of at "
            f"most {format_bytes(limit)}. The file is damaged, or made to exhaust memory (a zip bomb)."
        )

    def _unreadable(self, member: str, exc: BaseException) -> ModelFileError:
        reason = str(exc) or type(exc).__name__
        return ModelFileError(
            f"{self.where}: {self.container} is truncated or damaged: {member} inside it cannot be read ({reason})."
        )


def is_json_member(name: str) -> bool:
    return name.lower().endswith(".json")


def member_limit(name: str) -> int:
    return JSON_MEMBER_LIMIT if is_json_member(name) else MEMBER_LIMIT


def checked_archive(zf: zipfile.ZipFile, where: str, container: str) -> Archive:
    """``zf`` once every member has been streamed within the limits (checksums checked too)."""
    infos = zf.infolist()
    if len(infos) > MEMBER_COUNT_LIMIT:
        raise ModelFileError(
            f"{where}: {container} holds {len(infos):,} files; a model file holds a handful "
            f"(RNN Lab reads at most {MEMBER_COUNT_LIMIT:,})."
        )
    archive = Archive(zf, where, container, {})
    total = 0
    for info in infos:
        size = archive._stream(info, None)
        total += size
        if total > TOTAL_LIMIT:
            raise ModelFileError(
                f"{where}: {container} expands to more than {format_bytes(TOTAL_LIMIT)} in all (reading "
                f"{info.filename}); RNN Lab refuses it. The file is damaged, or made to exhaust memory (a zip bomb)."
            )
        archive.sizes[info.filename] = size
    return archive
