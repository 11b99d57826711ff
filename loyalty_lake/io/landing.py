"""Reading landing CSV files as text, exactly as they were written, and safely.

Safety comes first: a batch folder and its files are opened without following
symbolic links (``O_NOFOLLOW``, relative to the folder's own descriptor), and
only regular files are read; a link, a FIFO or a device is refused by name,
its content never read.

Every physical line of a file is accounted for: it is the header, a blank
line, part of a data record, or part of a *malformed* record, which lands
too (as its raw text and a reason) so that silver can reject it row by row.
A quote can never silently merge rows: a quoted value may span lines, but a
line that is a complete record of its own is never swallowed into the value
before it, nor may a value span more than ``max_record_lines`` lines or be
longer than ``max_field_chars``.

Two readers give the same records. The fast one (pyarrow's streaming CSV
reader) serves files whose records are one line each; anything else (a value
with a line break, a row with the wrong number of fields, a bare carriage
return, a field over the limit) sends the file to the careful reader, which
assembles records line by line with Python's ``csv`` module.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import errno
import hashlib
import io
import logging
import os
import stat
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from loyalty_lake.codes import BadFileReason
from loyalty_lake.config import LandingConfig
from loyalty_lake.errors import BadFileError, LandingError
from loyalty_lake.landing.contract import MALFORMED, RECORD, ROW_NUMBER, raw_column

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

T = TypeVar("T")

log = logging.getLogger(__name__)

_CHUNK = 1 << 22
_HEADER_PROBE = 1 << 20
_BLOCK_SIZE = 1 << 24
_CAREFUL_ROWS = 1 << 16
#: A header with more columns than this is refused (a data row or a binary file, not a header).
MAX_COLUMNS = 1024
#: A column name longer than this is refused (no export names its columns with paragraphs).
MAX_COLUMN_NAME = 256
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


# --- the batch folder ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LandingEntries:
    """What a batch folder holds: CSV files to land, CSV names refused unread, the rest."""

    files: tuple[str, ...]
    refused: tuple[tuple[str, BadFileError], ...]
    ignored: tuple[str, ...]


def _is_wanted(name: str) -> bool:
    """A CSV file name not marked private (``_ground_truth.csv``) or hidden."""
    return name.lower().endswith(".csv") and name[0] not in "._"


class BatchFolder:
    """A batch folder opened without following links; its files are opened relative to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, _DIR_FLAGS)
        except OSError as exc:
            raise _folder_error(path, exc) from None

    def __enter__(self) -> BatchFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def entries(self) -> LandingEntries:
        """The folder's entries, sorted by name; links and special files are never opened."""
        files: list[str] = []
        refused: list[tuple[str, BadFileError]] = []
        ignored: list[str] = []
        with os.scandir(self._fd) as scan:
            found = sorted(scan, key=lambda e: e.name)
        for entry in found:
            if not _is_wanted(entry.name):
                ignored.append(entry.name)
            elif entry.is_symlink():
                refused.append((entry.name, _symlink(entry.name)))
            elif entry.is_dir(follow_symlinks=False):
                ignored.append(entry.name)
            elif not entry.is_file(follow_symlinks=False):
                refused.append((entry.name, _not_a_file(entry.name)))
            else:
                files.append(entry.name)
        return LandingEntries(tuple(files), tuple(refused), tuple(ignored))

    def open(self, name: str) -> BinaryIO:
        """Open the regular file ``name`` for reading; a link or special file is refused."""
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=self._fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise _symlink(name) from None
            raise BadFileError(
                f"{name} cannot be opened ({os.strerror(exc.errno or 0)}).",
                reason=BadFileReason.UNREADABLE,
                hint="Check the file exists and the loyalty-lake user may read it.",
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise _not_a_file(name)
        return os.fdopen(fd, "rb")


def _folder_error(path: Path, exc: OSError) -> LandingError:
    if exc.errno in (errno.ELOOP, errno.EMLINK) or (
        exc.errno == errno.ENOTDIR and path.is_symlink()
    ):
        return LandingError(
            f"{path} is a symbolic link; loyalty-lake does not follow links in landing folders.",
            hint="Copy or move the batch into the landing folder instead of linking it.",
        )
    if exc.errno == errno.ENOENT:
        return LandingError(
            f"{path} does not exist.", hint="Pass a batch folder of CSV files or a single CSV file."
        )
    return LandingError(
        f"{path} cannot be opened as a folder ({os.strerror(exc.errno or 0)}).",
        hint="Pass a batch folder of CSV files (readable by this user) or a single CSV file.",
    )


def _symlink(name: str) -> BadFileError:
    return BadFileError(
        f"{name} is a symbolic link; it was not followed.",
        reason=BadFileReason.SYMLINK,
        hint="Put the file itself in the batch folder (links are never followed, so that a "
        "landing folder cannot make loyalty-lake read files elsewhere).",
    )


def _not_a_file(name: str) -> BadFileError:
    return BadFileError(
        f"{name} is not a regular file (a pipe, a device or a socket); it was not read.",
        reason=BadFileReason.NOT_A_FILE,
        hint="Landing folders hold regular CSV files only.",
    )


# --- facts of the bytes --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What one pass over a file's bytes tells: size, checksum and its lines.

    ``lines`` counts physical lines (ended by LF, CR LF or a bare CR, plus an
    unterminated last line); ``blank_lines`` those with nothing on them.
    """

    size: int
    sha256: str
    lines: int
    blank_lines: int
    bare_cr: bool
    nul: bool


def file_facts(fh: BinaryIO) -> FileFacts:
    """Read ``fh`` from the start once: checksum, line counts, NUL bytes, bare CRs."""
    fh.seek(0)
    digest = hashlib.sha256()
    size = lf = cr = crlf = blank = 0
    last_lf = -1  # offset of the last line feed seen
    previous = -1  # the byte before the current chunk
    nul = False
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
        nul = nul or b"\x00" in chunk
        data = np.frombuffer(chunk, dtype=np.uint8)
        feeds = np.flatnonzero(data == 10)
        cr += chunk.count(b"\r")
        crlf += chunk.count(b"\r\n") + (previous == 13 and data[0] == 10)
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
        sha256=digest.hexdigest(),
        lines=lf + (cr - crlf) + unterminated,
        blank_lines=blank,
        bare_cr=cr != crlf,
        nul=nul,
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
    """A file's header row and the physical line it is on (after any blank lines)."""

    names: tuple[str, ...]
    line: int


def read_header(fh: BinaryIO, *, name: str) -> Header:
    """The header row of a CSV file (a UTF-8 byte order mark is dropped, blank lines skipped).

    Raises :class:`BadFileError` if the file is empty, not UTF-8 text, or its
    header is not a plausible header. Messages never quote the file's content.
    """
    fh.seek(0)
    probe = fh.read(_HEADER_PROBE)
    if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _undecodable(name, "it is UTF-16 text", utf16=True)
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
        raise _undecodable(name, f"byte 0x{probe[exc.start]:02x} at offset {exc.start}") from exc
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        if not line.endswith(("\n", "\r")) and len(probe) == _HEADER_PROBE:
            raise _bad_header(name, f"its first row is longer than {_HEADER_PROBE:,} bytes")
        try:
            names = next(csv.reader([line.rstrip("\r\n")], strict=True))
        except csv.Error:
            raise _bad_header(name, "its header row has an unbalanced quote") from None
        if len(names) > MAX_COLUMNS:
            raise _bad_header(name, f"its header row has {len(names):,} columns")
        if (longest := max(len(n) for n in names)) > MAX_COLUMN_NAME:
            raise _bad_header(name, f"a column name in its header row is {longest:,} characters")
        return Header(tuple(names), number)
    raise AssertionError("unreachable: the probe holds a non-blank line")  # pragma: no cover


def _bad_header(name: str, why: str) -> BadFileError:
    return BadFileError(
        f"{name} has no usable header row: {why}.",
        reason=BadFileReason.BAD_HEADER,
        hint=f"The first row must name the columns (at most {MAX_COLUMNS:,}, each under "
        f"{MAX_COLUMN_NAME} characters), e.g. transaction_id,store_id,...",
    )


def _undecodable(name: str, where: str, *, utf16: bool = False) -> BadFileError:
    command = "utf-16" if utf16 else "latin1"
    return BadFileError(
        f"{name} is not UTF-8 text ({where}).",
        reason=BadFileReason.UNDECODABLE,
        hint=f"Export the file as UTF-8 (e.g. `iconv -f {command} -t utf-8`) and land it again.",
    )


def _binary(name: str) -> BadFileError:
    return BadFileError(
        f"{name} holds NUL bytes: it is binary data, not CSV text.",
        reason=BadFileReason.BINARY,
        hint="Export the table as a UTF-8 CSV file (not a spreadsheet workbook or a database "
        "dump) and land it again.",
    )


# --- the records ---------------------------------------------------------------------------


def read_records(
    fh: BinaryIO,
    *,
    name: str,
    header: Header,
    facts: FileFacts,
    limits: LandingConfig = LandingConfig(),  # noqa: B008 - frozen
    careful: bool = False,
) -> Iterator[pl.DataFrame]:
    """Stream a file's data records as text, in chunks.

    Each chunk has the columns ``c0, c1, ...`` (one per header column; every
    field a string, empty as ``""``) and ``_row_number`` (1-based among the
    data records; blank lines are not records), ``_malformed`` (why a record
    could not be split into the header's fields, else null) and ``_record``
    (a malformed record's raw text, else null).

    The fast reader is tried first unless ``careful``; when it meets something
    only the careful reader may judge after it has yielded chunks, it raises
    :class:`NotSimpleCsv`: the caller drops what it got and reads again with
    ``careful=True``. Raises :class:`BadFileError` for NUL bytes or text that
    is not UTF-8; callers must not commit what they consumed before that.
    """
    if facts.nul:
        raise _binary(name)
    columns = len(header.names)
    if not careful and header.line == 1 and not facts.bare_cr:
        fast = _FastRead(fh, name=name, columns=columns, facts=facts, limits=limits)
        try:
            yield from fast
            return
        except NotSimpleCsv as why:
            if fast.rows:  # the caller holds part of the file: it must start again
                raise
            log.info("%s needs the careful reader: %s", name, why)
    yield from _careful_records(fh, name=name, header=header, facts=facts, limits=limits)


class NotSimpleCsv(Exception):
    """The fast reader met something only the careful reader may judge."""


def consume_records(
    fh: BinaryIO,
    consume: Callable[[Iterator[pl.DataFrame]], T],
    *,
    name: str,
    header: Header,
    facts: FileFacts,
    limits: LandingConfig = LandingConfig(),  # noqa: B008 - frozen
) -> T:
    """``consume(records)`` of :func:`read_records`, read again carefully if need be.

    When the fast reader gives up after ``consume`` took some chunks, ``consume``
    is called once more with the careful reader's records: it must not have
    kept anything of the first call (a Delta write that raises commits nothing).
    """
    try:
        return consume(read_records(fh, name=name, header=header, facts=facts, limits=limits))
    except NotSimpleCsv as why:
        log.info("%s: reading it again, carefully (%s)", name, why)
    careful = read_records(fh, name=name, header=header, facts=facts, limits=limits, careful=True)
    return consume(careful)


@dataclass
class _FastRead:
    """pyarrow's reader, for files whose records are each one line of the header's width."""

    fh: BinaryIO
    name: str
    columns: int
    facts: FileFacts
    limits: LandingConfig
    rows: int = 0
    _invalid: int = field(default=0, init=False)

    def _on_invalid(self, row: pa_csv.InvalidRow) -> str:
        self._invalid += 1
        return "skip"

    def __iter__(self) -> Iterator[pl.DataFrame]:
        self.fh.seek(0)
        names = [raw_column(i) for i in range(self.columns)]
        try:
            reader = pa_csv.open_csv(
                self.fh,
                read_options=pa_csv.ReadOptions(
                    column_names=names, skip_rows=1, block_size=_BLOCK_SIZE
                ),
                parse_options=pa_csv.ParseOptions(
                    newlines_in_values=True, invalid_row_handler=self._on_invalid
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            last = pl.DataFrame()
            for chunk in reader:
                frame = pl.from_arrow(chunk)
                assert isinstance(frame, pl.DataFrame)
                self._check(frame)
                last = frame
                yield frame.with_columns(
                    (pl.int_range(frame.height, dtype=pl.Int64) + self.rows + 1).alias(ROW_NUMBER),
                    pl.lit(None, dtype=pl.String).alias(MALFORMED),
                    pl.lit(None, dtype=pl.String).alias(RECORD),
                )
                self.rows += frame.height
        except pa.ArrowInvalid as exc:
            if "utf8" in str(exc).lower():
                raise _undecodable(self.name, "invalid UTF-8 data") from None
            raise NotSimpleCsv(f"pyarrow: {exc}") from None
        if self._invalid:
            raise NotSimpleCsv("a row has the wrong number of fields")
        expected = self.facts.lines - 1 - self.facts.blank_lines
        if self.rows != expected:
            raise NotSimpleCsv(f"{self.rows} records on {expected} data lines")
        if last.height and any("\n" in str(value) for value in last.row(-1)):
            raise NotSimpleCsv("the last record's quote is never closed")

    def _check(self, frame: pl.DataFrame) -> None:
        """Stop at what only the careful reader may judge.

        A value with a line break needs no look here: its record spans several
        lines, so the records read fall short of the data lines, which
        :meth:`__iter__` checks at the end.
        """
        if self._invalid:
            raise NotSimpleCsv("a row has the wrong number of fields")
        if not frame.height:
            return
        longest = frame.select(
            pl.max_horizontal(pl.col(c).str.len_bytes().max() for c in frame.columns)
        ).item()
        if longest > self.limits.max_field_chars:  # bytes bound characters from above
            raise NotSimpleCsv("a value may be over the length limit")
        if self.columns == 1 and frame.select((pl.col("c0").str.strip_chars() == "").any()).item():
            raise NotSimpleCsv("a line holds only spaces")


class _Swallows(Exception):
    pass


class _Unclosed(Exception):
    pass


class _TooManyLines(Exception):
    pass


class _Lines:
    """Physical lines for ``csv.reader``, with look-ahead, push-back and record bounds.

    Within one record, a line asked for after the first continues a quoted
    value: it is refused (an exception the reader passes on) when it would
    complete nothing but swallow a record of its own, when there is none, or
    when the value already spans too many lines.
    """

    def __init__(self, lines: Iterator[str], *, columns: int, max_lines: int) -> None:
        self._lines = lines
        self._back: deque[tuple[int, str]] = deque()
        self._columns = columns
        self._max_lines = max_lines
        #: Physical lines read from the file so far.
        self.read = 0
        self.taken: list[tuple[int, str]] = []

    def skip(self, count: int) -> None:
        """Pass over the first ``count`` lines (the header and blank lines before it)."""
        for _ in range(count):
            next(self._lines)
        self.read += count

    def start_record(self) -> None:
        self.taken = []

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extendleft(reversed(lines))

    def _pull(self) -> tuple[int, str] | None:
        if self._back:
            return self._back.popleft()
        line = next(self._lines, None)
        if line is None:
            return None
        self.read += 1
        return self.read, line

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._pull()
        if line is None:
            if self.taken:
                raise _Unclosed
            raise StopIteration
        if self.taken:
            if len(self.taken) >= self._max_lines:
                self._back.appendleft(line)
                raise _TooManyLines
            if _is_record(line[1], self._columns):
                self._back.appendleft(line)
                raise _Swallows
        self.taken.append(line)
        return line[1]


def _is_record(line: str, columns: int) -> bool:
    """Whether ``line`` alone is a complete record of ``columns`` fields."""
    body = line.rstrip("\r\n")
    if not body.strip():
        return False
    if '"' not in body:
        return body.count(",") == columns - 1
    if body.count('"') % 2:
        return False
    try:
        return len(next(csv.reader([body]))) == columns
    except csv.Error:
        return False


@dataclass
class _Chunk:
    """Records gathered for the next yielded frame."""

    columns: int
    fields: list[list[str | None]] = field(init=False)
    numbers: list[int] = field(default_factory=list)
    malformed: list[str | None] = field(default_factory=list)
    records: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fields = [[] for _ in range(self.columns)]

    def add(self, values: list[str]) -> None:
        for column, value in zip(self.fields, values, strict=True):
            column.append(value)
        self.malformed.append(None)
        self.records.append(None)

    def add_malformed(self, why: str, text: str) -> None:
        for column in self.fields:
            column.append(None)
        self.malformed.append(why)
        self.records.append(text)

    def frame(self) -> pl.DataFrame:
        data: dict[str, list[str | None] | list[int]] = {
            raw_column(i): values for i, values in enumerate(self.fields)
        }
        data |= {ROW_NUMBER: self.numbers, MALFORMED: self.malformed, RECORD: self.records}
        schema: dict[str, pl.DataType] = {raw_column(i): pl.String() for i in range(self.columns)}
        schema |= {ROW_NUMBER: pl.Int64(), MALFORMED: pl.String(), RECORD: pl.String()}
        return pl.DataFrame(data, schema=schema)


def _careful_records(
    fh: BinaryIO, *, name: str, header: Header, facts: FileFacts, limits: LandingConfig
) -> Iterator[pl.DataFrame]:
    fh.seek(0)
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="strict", newline="")
    columns = len(header.names)
    lines = _Lines(iter(text), columns=columns, max_lines=max(limits.max_record_lines, 1))
    try:
        lines.skip(header.line)
        yield from _assembled(lines, name=name, columns=columns, facts=facts, limits=limits)
    except UnicodeDecodeError:
        raise _undecodable(name, f"after line {lines.read}") from None
    finally:
        text.detach()


@contextlib.contextmanager
def _field_limit(chars: int) -> Iterator[None]:
    previous = csv.field_size_limit(max(chars + 1, 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _assembled(
    lines: _Lines, *, name: str, columns: int, facts: FileFacts, limits: LandingConfig
) -> Iterator[pl.DataFrame]:
    """Records from physical lines; every line ends up blank, in a record, or malformed."""
    chunk = _Chunk(columns)
    reader = csv.reader(lines)
    row = blank = used = 0
    first_line = lines.read + 1
    with _field_limit(limits.max_field_chars):
        while True:
            lines.start_record()
            why: str | None = None
            values: list[str] = []
            try:
                values = next(reader)
            except StopIteration:
                break
            except (_Swallows, _Unclosed, _TooManyLines, csv.Error) as exc:
                why = _malformed_reason(exc, lines.taken[0][0], limits)
                lines.push_back(lines.taken[1:])
                lines.taken = lines.taken[:1]
                reader = csv.reader(lines)
            taken = lines.taken
            record = "".join(line for _, line in taken).rstrip("\r\n")
            if why is None and not record.strip() and len(taken) == 1:
                blank += 1
                continue
            row += 1
            used += len(taken)
            chunk.numbers.append(row)
            if why is None and len(values) != columns:
                why = f"line {taken[0][0]}: has {len(values)} fields where the header has {columns}"
            if why is None:
                chunk.add(values)
            else:
                chunk.add_malformed(why, record)
            if len(chunk.numbers) >= _CAREFUL_ROWS:
                yield chunk.frame()
                chunk = _Chunk(columns)
    if chunk.numbers:
        yield chunk.frame()
    data_lines = facts.lines - first_line + 1
    if used + blank != data_lines:
        raise BadFileError(  # a bug: the lines read do not add up to the file's lines
            f"{name}: {used + blank:,} of its {data_lines:,} data lines could be accounted for.",
            reason=BadFileReason.UNREADABLE,
            hint="Please report this with the file; nothing of it was landed.",
        )


def _malformed_reason(exc: Exception, line: int, limits: LandingConfig) -> str:
    if isinstance(exc, _Swallows):
        return (
            f"line {line}: an unbalanced quote (the quoted value opened here would swallow "
            "the complete rows after it)"
        )
    if isinstance(exc, _Unclosed):
        return f"line {line}: a quoted value opened here is never closed"
    if isinstance(exc, _TooManyLines):
        return (
            f"line {line}: a quoted value opened here spans more than {limits.max_record_lines} "
            "lines (landing.max_record_lines)"
        )
    if "field larger than field limit" in str(exc):
        return (
            f"line {line}: a value is longer than {limits.max_field_chars:,} characters "
            "(landing.max_field_chars)"
        )
    return f"line {line}: cannot be split into fields ({exc})"
