"""Compressed landing files: ``name.csv.gz`` and ``name.zip`` holding one CSV file.

A compressed file is read as the CSV text it holds, streamed (never unpacked
to disk or held in memory whole) and bounded: the text may be at most
:func:`text_limit` bytes, so that a small archive that unpacks to terabytes (a
"zip bomb") is refused after reading that much, not after filling the disk or
the memory. Its checksum stays that of the file's bytes as they are on disk.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import posixpath
import stat
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, BinaryIO, Literal, cast

from loyalty_lake.codes import BadFileReason
from loyalty_lake.errors import BadFileError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from _typeshed import WriteableBuffer

log = logging.getLogger(__name__)

Compression = Literal["gzip", "zip"]

GZIP_SUFFIX = ".csv.gz"
ZIP_SUFFIX = ".zip"
#: The most CSV text a compressed file may hold, whatever its size.
MAX_TEXT_BYTES = 20 << 30
#: The most CSV text per byte of a compressed file (CSV exports compress 5 to 30 times;
#: a zip bomb over 1,000 times) ...
MAX_RATIO = 200
#: ... above this much text (a small file may compress better: rows that repeat).
MIN_TEXT_LIMIT = 64 << 20
_BUFFER = 1 << 20


def is_landing_name(name: str) -> bool:
    """A CSV file name (``.csv``, ``.csv.gz`` or ``.zip``) not marked private or hidden."""
    lower = name.lower()
    return lower.endswith((".csv", GZIP_SUFFIX, ZIP_SUFFIX)) and name[:1] not in ("", ".", "_")


def compression_of(name: str) -> Compression | None:
    """How a landing file is compressed, judged by its name: ``gzip``, ``zip`` or None."""
    lower = name.strip().lower()
    if lower.endswith(GZIP_SUFFIX):
        return "gzip"
    if lower.endswith(ZIP_SUFFIX):
        return "zip"
    return None


def csv_name(name: str) -> str:
    """The CSV file a landing file name stands for: ``x.csv.gz`` and ``x.zip`` → ``x.csv``."""
    stripped = name.strip()
    match compression_of(name):
        case "gzip":
            return stripped[: -len(".gz")]
        case "zip":
            return stripped[: -len(ZIP_SUFFIX)] + ".csv"
        case None:
            return name


def text_limit(size: int) -> int:
    """The most CSV text a compressed file of ``size`` bytes may hold."""
    return min(MAX_TEXT_BYTES, max(MIN_TEXT_LIMIT, MAX_RATIO * size))


@dataclass(frozen=True, slots=True)
class LandingText:
    """The CSV text of an opened landing file.

    ``stream`` reads the text from its start after ``seek(0)``: the file
    itself, or its decompressed content. ``member`` is the name of a zip's
    CSV file (its path inside the archive).
    """

    stream: BinaryIO
    compression: Compression | None = None
    member: str | None = None

    @property
    def member_name(self) -> str | None:
        """The file name of a zip's CSV member, without its folders."""
        return posixpath.basename(self.member) if self.member else None


@contextlib.contextmanager
def landing_text(
    fh: BinaryIO, *, name: str, size: int, limit: int | None = None
) -> Iterator[LandingText]:
    """The CSV text of the landing file ``name`` opened as ``fh`` (``size`` bytes on disk).

    A plain file is its own text. A compressed file's text is decompressed as
    it is read, at most ``limit`` bytes (default :func:`text_limit`); reading
    more raises :class:`BadFileError` (``ARCHIVE_TOO_LARGE``), and so does a corrupt
    archive (``BAD_ARCHIVE``), when opened or while read. A zip must hold
    exactly one file, a ``.csv``, neither a link nor encrypted.
    """
    compression = compression_of(name)
    if compression is None:
        yield LandingText(fh)
        return
    most = text_limit(size) if limit is None else limit
    if compression == "gzip":
        stream = _bounded(lambda: _gzip(fh), name=name, limit=most)
        with contextlib.closing(stream):
            yield LandingText(stream, compression)
        return
    with _zip(fh, name) as archive:
        member = _only_member(archive, name, limit=most)
        stream = _bounded(lambda: archive.open(member), name=name, limit=most)
        with contextlib.closing(stream):
            yield LandingText(stream, compression, member.filename)


def _gzip(fh: BinaryIO) -> IO[bytes]:
    fh.seek(0)
    return cast("IO[bytes]", gzip.GzipFile(fileobj=fh, mode="rb"))


@contextlib.contextmanager
def _zip(fh: BinaryIO, name: str) -> Iterator[zipfile.ZipFile]:
    fh.seek(0)
    try:
        archive = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        log.debug("%s is not a readable zip archive", name, exc_info=exc)
        raise bad_archive(name, "it is not a readable zip archive") from None
    with archive:
        yield archive


def _only_member(archive: zipfile.ZipFile, name: str, *, limit: int) -> zipfile.ZipInfo:
    """The archive's one CSV file, or the refusal saying what is wrong with it."""
    members = [info for info in archive.infolist() if not _is_metadata(info)]
    if len(members) != 1:
        held = "no file" if not members else f"{len(members):,} files"
        raise bad_archive(name, f"it holds {held}; a zip must hold exactly one CSV file")
    (member,) = members
    if member.create_system == 3 and stat.S_ISLNK(member.external_attr >> 16):
        raise bad_archive(name, "its file is a symbolic link")
    if member.flag_bits & 0x1:
        raise bad_archive(name, "its file is encrypted")
    if not member.filename.lower().endswith(".csv"):
        raise bad_archive(name, "its file is not a .csv file")
    if member.file_size > limit:
        raise too_large(name, limit)
    return member


def _is_metadata(info: zipfile.ZipInfo) -> bool:
    """A folder, or what macOS adds to the zips it makes (``__MACOSX/``, ``.DS_Store``)."""
    name = info.filename
    return info.is_dir() or name.startswith("__MACOSX/") or posixpath.basename(name) == ".DS_Store"


def _bounded(open_text: Callable[[], IO[bytes]], *, name: str, limit: int) -> BinaryIO:
    reader = io.BufferedReader(_Bounded(open_text, name=name, limit=limit), buffer_size=_BUFFER)
    return cast("BinaryIO", reader)


#: What decompressing a corrupt archive raises.
_CORRUPT = (gzip.BadGzipFile, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


class _Bounded(io.RawIOBase):
    """Decompressed text, read at most ``limit`` bytes; rewinding opens it again."""

    def __init__(self, open_text: Callable[[], IO[bytes]], *, name: str, limit: int) -> None:
        super().__init__()
        self._open_text = open_text
        self._name = name
        self._limit = limit
        self._read = 0
        self._text = self._opened()

    def _opened(self) -> IO[bytes]:
        try:
            return self._open_text()
        except _CORRUPT as exc:
            raise self._corrupt(exc) from None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._read

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR and offset == 0:
            return self._read
        if (offset, whence) != (0, io.SEEK_SET):
            raise io.UnsupportedOperation("compressed text can only be read again from its start")
        self._text.close()
        self._text = self._opened()
        self._read = 0
        return 0

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        # At most one byte past the limit is read: enough to know the text is too large.
        room = min(len(view), self._limit + 1 - self._read)
        try:
            data = self._text.read(room)
        except _CORRUPT as exc:
            raise self._corrupt(exc) from None
        self._read += len(data)
        if self._read > self._limit:
            raise too_large(self._name, self._limit)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._text.close()
        super().close()

    def _corrupt(self, exc: BaseException) -> BadFileError:
        log.debug("%s: decompressing failed", self._name, exc_info=exc)
        why = "it is truncated" if isinstance(exc, EOFError) else "it is corrupt"
        if isinstance(exc, NotImplementedError):
            why = "it uses a compression method that cannot be read"
        return bad_archive(self._name, why)


def bad_archive(name: str, why: str) -> BadFileError:
    """The refusal of a compressed file that cannot be read as one CSV file."""
    return BadFileError(
        f"{name} cannot be unpacked: {why}.",
        reason=BadFileReason.BAD_ARCHIVE,
        hint="Land a .csv.gz file, or a .zip holding exactly one unencrypted .csv file "
        "(or the plain .csv file itself).",
    )


def too_large(name: str, limit: int) -> BadFileError:
    """The refusal of a compressed file that unpacks to more text than allowed."""
    return BadFileError(
        f"{name} unpacks to more than {limit:,} bytes of text (a compressed file may hold "
        f"{MAX_RATIO} times its size, at least {MIN_TEXT_LIMIT >> 20} MiB and at most "
        f"{MAX_TEXT_BYTES >> 30} GiB); it was not landed.",
        reason=BadFileReason.ARCHIVE_TOO_LARGE,
        hint="Land the plain .csv file, or split the export into several batches.",
    )
