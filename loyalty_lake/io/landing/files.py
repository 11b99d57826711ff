"""One pass over a file's bytes (checksum, lines, NULs) and its header row (and delimiter)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from loyalty_lake.codes import BadFileReason
from loyalty_lake.errors import BadFileError

if TYPE_CHECKING:
    from pathlib import Path


log = logging.getLogger(__name__)

_CHUNK = 1 << 22
_HEADER_PROBE = 1 << 20
#: A header with more columns than this is refused (a data row or a binary file, not a header).
MAX_COLUMNS = 1024
#: A column name longer than this is refused (no export names its columns with paragraphs).
MAX_COLUMN_NAME = 256
#: The delimiters a header may use, in order of preference when they split it alike.
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What one pass over a file's bytes tells: size, checksum and its lines.

    ``size`` and ``sha256`` are those of the file's bytes on disk; the other
    facts are about its CSV text, which for a compressed file is its
    decompressed content (``text_size`` bytes; ``size`` for a plain file).
    ``lines`` counts physical lines (ended by LF, CR LF or a bare CR, plus an
    unterminated last line); ``blank_lines`` those with nothing on them.
    """

    size: int
    sha256: str
    lines: int
    blank_lines: int
    bare_cr: bool
    nul: bool
    text_size: int


def file_facts(fh: BinaryIO) -> FileFacts:
    """Read ``fh`` from the start once: checksum, line counts, NUL bytes, bare CRs."""
    return _scan(fh, checksum=True)


def text_facts(on_disk: FileFacts, text: BinaryIO) -> FileFacts:
    """The facts of a compressed file: ``on_disk``'s size and checksum, ``text``'s lines.

    ``text`` is the file's decompressed CSV text, read once from its start.
    """
    facts = _scan(text, checksum=False)
    return replace(facts, size=on_disk.size, sha256=on_disk.sha256)


def _scan(fh: BinaryIO, *, checksum: bool) -> FileFacts:
    fh.seek(0)
    digest = hashlib.sha256()
    size = lf = cr = crlf = blank = 0
    last_lf = -1  # offset of the last line feed seen
    previous = -1  # the byte before the current chunk
    nul = False
    while chunk := fh.read(_CHUNK):
        if checksum:
            digest.update(chunk)
        nul = nul or b"\x00" in chunk
        data = np.frombuffer(chunk, dtype=np.uint8)
        feeds = np.flatnonzero(data == 10)
        returns = chunk.count(b"\r")  # most files have none: then no CR LF either
        cr += returns
        crlf += (returns and chunk.count(b"\r\n")) + (previous == 13 and data[0] == 10)
        if feeds.size:
            starts = np.concatenate(([last_lf], feeds[:-1] + size))
            lengths = feeds + size - starts - 1
            before = np.where(feeds > 0, data[feeds - 1], previous)
            blank += int(np.count_nonzero((lengths == 0) | ((lengths == 1) & (before == 13))))
            last_lf = int(feeds[-1]) + size
            lf += feeds.size
        previous = int(data[-1])
        size += len(chunk)
    unterminated = size > 0 and previous not in (10, 13)
    return FileFacts(
        size=size,
        sha256=digest.hexdigest() if checksum else "",
        lines=lf + (cr - crlf) + unterminated,
        blank_lines=blank,
        bare_cr=cr != crlf,
        nul=nul,
        text_size=size,
    )


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- the header ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    """A file's header row, the physical line it is on (after any blank lines), its delimiter."""

    names: tuple[str, ...]
    line: int
    delimiter: str = ","


def read_header(fh: BinaryIO, *, name: str) -> Header:
    """The header row of a CSV file (a UTF-8 byte order mark is dropped, blank lines skipped).

    The delimiter is the one of :data:`DELIMITERS` that splits the header row
    into the most fields, quotes respected (see :func:`header_fields`).
    Raises :class:`BadFileError` if the file is empty, not UTF-8 text, or its
    header is not a plausible header. Messages never quote the file's content.
    """
    fh.seek(0)
    probe = fh.read(_HEADER_PROBE)
    if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise undecodable(name, "it is UTF-16 text", utf16=True)
    if not probe.removeprefix(codecs.BOM_UTF8).strip():
        raise BadFileError(
            f"{name} is empty.",
            reason=BadFileReason.EMPTY_FILE,
            hint="A landing file needs at least a header row; leave out files with nothing to say.",
        )
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(probe, final=len(probe) < _HEADER_PROBE)
    except UnicodeDecodeError as exc:
        raise undecodable(name, f"byte 0x{probe[exc.start]:02x} at offset {exc.start}") from exc
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        if not line.endswith(("\n", "\r")) and len(probe) == _HEADER_PROBE:
            raise _bad_header(name, f"its first row is longer than {_HEADER_PROBE:,} bytes")
        split = header_fields(line.rstrip("\r\n"))
        if split is None:
            raise _bad_header(name, "its header row has an unbalanced quote")
        delimiter, names = split
        if len(names) > MAX_COLUMNS:
            raise _bad_header(name, f"its header row has {len(names):,} columns")
        if (longest := max(len(n) for n in names)) > MAX_COLUMN_NAME:
            raise _bad_header(name, f"a column name in its header row is {longest:,} characters")
        return Header(tuple(names), number, delimiter)
    raise AssertionError("unreachable: the probe holds a non-blank line")  # pragma: no cover


def header_fields(line: str) -> tuple[str, list[str]] | None:
    """The delimiter of a header row and its fields; None when no delimiter splits it.

    Each of :data:`DELIMITERS` splits the row as CSV (quotes respected; a
    quote left open rules the delimiter out); the one giving the most fields
    wins, the earlier in :data:`DELIMITERS` on a tie, so a comma header stays
    a comma header and a one-column header is comma-delimited.
    """
    best: tuple[str, list[str]] | None = None
    for delimiter in DELIMITERS:
        if delimiter != "," and delimiter not in line:
            continue
        try:
            fields = next(csv.reader([line], delimiter=delimiter, strict=True))
        except csv.Error:
            continue
        if best is None or len(fields) > len(best[1]):
            best = (delimiter, fields)
    return best


def _bad_header(name: str, why: str) -> BadFileError:
    return BadFileError(
        f"{name} has no usable header row: {why}.",
        reason=BadFileReason.BAD_HEADER,
        hint=f"The first row must name the columns (at most {MAX_COLUMNS:,}, each under "
        f"{MAX_COLUMN_NAME} characters), e.g. transaction_id,store_id,...",
    )


def undecodable(name: str, where: str, *, utf16: bool = False) -> BadFileError:
    """The refusal of a file that is not UTF-8 text (``where``: what showed it)."""
    command = "utf-16" if utf16 else "latin1"
    return BadFileError(
        f"{name} is not UTF-8 text ({where}).",
        reason=BadFileReason.UNDECODABLE,
        hint=f"Export the file as UTF-8 (e.g. `iconv -f {command} -t utf-8`) and land it again.",
    )


def binary(name: str) -> BadFileError:
    """The refusal of a file holding NUL bytes."""
    return BadFileError(
        f"{name} holds NUL bytes: it is binary data, not CSV text.",
        reason=BadFileReason.BINARY,
        hint="Export the table as a UTF-8 CSV file (not a spreadsheet workbook or a database "
        "dump) and land it again.",
    )
