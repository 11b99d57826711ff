"""A file's data records: pyarrow's fast reader, handing over to the careful one."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from loyalty_lake.config import LandingConfig
from loyalty_lake.io.landing.careful import careful_records
from loyalty_lake.io.landing.files import FileFacts, Header, binary, undecodable
from loyalty_lake.landing.contract import MALFORMED, PADDED, RECORD, ROW_NUMBER, raw_column

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

T = TypeVar("T")

log = logging.getLogger(__name__)

_BLOCK_SIZE = 1 << 24


def read_records(
    fh: BinaryIO,
    *,
    name: str,
    header: Header,
    facts: FileFacts,
    limits: LandingConfig = LandingConfig(),  # noqa: B008 - frozen
    careful: bool = False,
    min_fields: int | None = None,
) -> Iterator[pl.DataFrame]:
    """Stream a file's data records as text, in chunks.

    Fields are split by ``header.delimiter``. Each chunk has the columns
    ``c0, c1, ...`` (one per header column; every field a string, empty as
    ``""``) and ``_row_number`` (1-based among the data records; blank lines
    are not records), ``_malformed`` (why a record could not be split into
    the header's fields, else null), ``_record`` (a malformed record's raw
    text, else null) and ``_padded`` (Int32: how many fields a short record
    lacked, else null).

    A record with fewer fields than the header but at least ``min_fields``
    (default: the header's width) is padded: its missing last fields are null
    (the file did not give them). A record with fewer fields, or more than
    the header, is malformed.

    The fast reader is tried first unless ``careful``; when it meets something
    only the careful reader may judge after it has yielded chunks, it raises
    :class:`NotSimpleCsv`: the caller drops what it got and reads again with
    ``careful=True``. Raises :class:`BadFileError` for NUL bytes or text that
    is not UTF-8; callers must not commit what they consumed before that.
    """
    if facts.nul:
        raise binary(name)
    columns = len(header.names)
    if not careful and header.line == 1 and not facts.bare_cr:
        fast = _FastRead(
            fh,
            name=name,
            columns=columns,
            delimiter=header.delimiter,
            facts=facts,
            limits=limits,
        )
        try:
            yield from fast
            return
        except NotSimpleCsv as why:
            if fast.rows:  # the caller holds part of the file: it must start again
                raise
            log.info("%s needs the careful reader: %s", name, why)
    yield from careful_records(
        fh, name=name, header=header, facts=facts, limits=limits, min_fields=min_fields
    )


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
    min_fields: int | None = None,
) -> T:
    """``consume(records)`` of :func:`read_records`, read again carefully if need be.

    When the fast reader gives up after ``consume`` took some chunks, ``consume``
    is called once more with the careful reader's records: it must not have
    kept anything of the first call (a Delta write that raises commits nothing).
    """

    def records(*, careful: bool) -> Iterator[pl.DataFrame]:
        return read_records(
            fh,
            name=name,
            header=header,
            facts=facts,
            limits=limits,
            careful=careful,
            min_fields=min_fields,
        )

    try:
        return consume(records(careful=False))
    except NotSimpleCsv as why:
        log.info("%s: reading it again, carefully (%s)", name, why)
    return consume(records(careful=True))


@dataclass
class _FastRead:
    """pyarrow's reader, for files whose records are each one line of the header's width.

    A short row stops it too: the careful reader pads it or finds it malformed.
    """

    fh: BinaryIO
    name: str
    columns: int
    delimiter: str
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
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=self._on_invalid,
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
                    pl.lit(None, dtype=pl.Int32).alias(PADDED),
                )
                self.rows += frame.height
        except pa.ArrowInvalid as exc:
            if "utf8" in str(exc).lower():
                raise undecodable(self.name, "invalid UTF-8 data") from None
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
