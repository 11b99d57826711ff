"""The careful reader: records assembled line by line, so that no quote swallows a row."""

from __future__ import annotations

import contextlib
import csv
import io
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

import polars as pl

from loyalty_lake.codes import BadFileReason
from loyalty_lake.errors import BadFileError
from loyalty_lake.io.landing.files import FileFacts, Header, undecodable
from loyalty_lake.landing.contract import MALFORMED, PADDED, RECORD, ROW_NUMBER, raw_column

if TYPE_CHECKING:
    from collections.abc import Iterator

    from loyalty_lake.config import LandingConfig


log = logging.getLogger(__name__)

_CAREFUL_ROWS = 1 << 16


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

    def __init__(
        self, lines: Iterator[str], *, columns: int, delimiter: str, max_lines: int
    ) -> None:
        self._lines = lines
        self._back: deque[tuple[int, str]] = deque()
        self._columns = columns
        self._delimiter = delimiter
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
            if _is_record(line[1], self._columns, self._delimiter):
                self._back.appendleft(line)
                raise _Swallows
        self.taken.append(line)
        return line[1]


def _is_record(line: str, columns: int, delimiter: str) -> bool:
    """Whether ``line`` alone is a complete record of ``columns`` fields.

    Only a full-width line counts: a short line that padding would accept may
    also be the end of a quoted value spanning lines.
    """
    body = line.rstrip("\r\n")
    if is_blank(body, delimiter):
        return False
    if '"' not in body:
        return body.count(delimiter) == columns - 1
    if body.count('"') % 2:
        return False
    try:
        return len(next(csv.reader([body], delimiter=delimiter))) == columns
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
    padded: list[int | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fields = [[] for _ in range(self.columns)]

    def add(self, values: list[str]) -> None:
        """A record of the header's fields, or of its first ones (the rest are null)."""
        for column, value in zip(self.fields, values, strict=False):
            column.append(value)
        missing = self.columns - len(values)
        for column in self.fields[len(values) :]:
            column.append(None)
        self.malformed.append(None)
        self.records.append(None)
        self.padded.append(missing or None)

    def add_malformed(self, why: str, text: str) -> None:
        for column in self.fields:
            column.append(None)
        self.malformed.append(why)
        self.records.append(text)
        self.padded.append(None)

    def frame(self) -> pl.DataFrame:
        data: dict[str, list[str | None] | list[int] | list[int | None]] = {
            raw_column(i): values for i, values in enumerate(self.fields)
        }
        data |= {
            ROW_NUMBER: self.numbers,
            MALFORMED: self.malformed,
            RECORD: self.records,
            PADDED: self.padded,
        }
        schema: dict[str, pl.DataType] = {raw_column(i): pl.String() for i in range(self.columns)}
        schema |= {
            ROW_NUMBER: pl.Int64(),
            MALFORMED: pl.String(),
            RECORD: pl.String(),
            PADDED: pl.Int32(),
        }
        return pl.DataFrame(data, schema=schema)


@dataclass(frozen=True, slots=True)
class _Shape:
    """How records are split: the delimiter, the header's width, the fewest fields to pad."""

    delimiter: str
    columns: int
    min_fields: int


def careful_records(
    fh: BinaryIO,
    *,
    name: str,
    header: Header,
    facts: FileFacts,
    limits: LandingConfig,
    min_fields: int | None = None,
) -> Iterator[pl.DataFrame]:
    """The file's data records, assembled line by line (see :func:`.records.read_records`)."""
    fh.seek(0)
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="strict", newline="")
    columns = len(header.names)
    shape = _Shape(header.delimiter, columns, padded_from(min_fields, columns))
    lines = _Lines(
        iter(text),
        columns=columns,
        delimiter=header.delimiter,
        max_lines=max(limits.max_record_lines, 1),
    )
    try:
        lines.skip(header.line)
        yield from _assembled(lines, name=name, shape=shape, facts=facts, limits=limits)
    except UnicodeDecodeError:
        raise undecodable(name, f"after line {lines.read}") from None
    finally:
        text.detach()


def is_blank(line: str, delimiter: str) -> bool:
    """A line with nothing on it but spaces (a line of tabs in a tab-delimited file is a row)."""
    return not line.strip() and delimiter not in line


def padded_from(min_fields: int | None, columns: int) -> int:
    """The fewest fields a record may have and be padded (``columns``: no padding)."""
    return columns if min_fields is None else min(max(min_fields, 1), columns)


@contextlib.contextmanager
def _field_limit(chars: int) -> Iterator[None]:
    previous = csv.field_size_limit(max(chars + 1, 1))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _assembled(
    lines: _Lines, *, name: str, shape: _Shape, facts: FileFacts, limits: LandingConfig
) -> Iterator[pl.DataFrame]:
    """Records from physical lines; every line ends up blank, in a record, or malformed."""
    columns = shape.columns
    chunk = _Chunk(columns)
    reader = csv.reader(lines, delimiter=shape.delimiter)
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
                reader = csv.reader(lines, delimiter=shape.delimiter)
            taken = lines.taken
            record = "".join(line for _, line in taken).rstrip("\r\n")
            if why is None and is_blank(record, shape.delimiter) and len(taken) == 1:
                blank += 1
                continue
            row += 1
            used += len(taken)
            chunk.numbers.append(row)
            if why is None and not shape.min_fields <= len(values) <= columns:
                why = _wrong_width(taken[0][0], len(values), shape)
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


def _wrong_width(line: int, fields: int, shape: _Shape) -> str:
    why = f"line {line}: has {fields} fields where the header has {shape.columns}"
    if fields < shape.min_fields < shape.columns:
        why += f" (its required columns need at least {shape.min_fields})"
    return why


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
