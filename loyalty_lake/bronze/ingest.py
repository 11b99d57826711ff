"""Pure transforms from a landed CSV file to bronze rows.

A bronze table has one column per contract column of its file (all text; null
when the file did not have the column, ``""`` when the value was empty), an
``_extra`` column holding unknown columns as a JSON object, and the lineage
columns below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.contract import normalise_column
from loyalty_lake.errors import BadFileError, BadFileReason

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from loyalty_lake.contract import LandingFile

EXTRA_COLUMN = "_extra"
LINEAGE_COLUMNS: Mapping[str, pl.DataType] = {
    "_batch_id": pl.String(),
    "_source_file": pl.String(),
    "_file_sha256": pl.String(),
    "_row_number": pl.Int64(),
    "_ingested_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True, slots=True)
class Lineage:
    """Where a file's rows came from; stamped on every bronze row."""

    batch_id: str
    source_file: str
    file_sha256: str
    ingested_at: datetime


@dataclass(frozen=True, slots=True)
class HeaderMapping:
    """Which position of a file's header holds each column.

    ``columns`` maps contract columns present in the file to their position;
    ``extras`` maps the header text of unknown columns to theirs.
    """

    columns: Mapping[str, int]
    extras: Mapping[str, int]


def bronze_schema(spec: LandingFile) -> pl.Schema:
    """The schema of the bronze table of ``spec``."""
    return pl.Schema(
        {column: pl.String() for column in spec.columns}
        | {EXTRA_COLUMN: pl.String()}
        | dict(LINEAGE_COLUMNS)
    )


def map_header(header: Sequence[str], spec: LandingFile, *, source_file: str) -> HeaderMapping:
    """Match a file's header to its contract columns (case-insensitive, trimmed).

    Raises :class:`BadFileError` when a required column is missing or a name
    appears twice.
    """
    names = [normalise_column(name) or f"column_{i + 1}" for i, name in enumerate(header)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadFileError(
            f"{source_file}: column {repeated[0]!r} appears more than once in the header.",
            reason=BadFileReason.DUPLICATE_COLUMNS,
            hint="Give every column a distinct name (names are compared case-insensitively).",
        )
    missing = [column for column in spec.columns if column in spec.required and column not in names]
    if missing:
        raise BadFileError(
            f"{source_file}: required column(s) {', '.join(missing)} missing "
            f"(header: {', '.join(header)}).",
            reason=BadFileReason.MISSING_COLUMNS,
            hint=f"A {spec.filename} file needs the columns {', '.join(sorted(spec.required))}.",
        )
    known = set(spec.columns)
    return HeaderMapping(
        columns={name: i for i, name in enumerate(names) if name in known},
        extras={
            header[i].strip() or names[i]: i for i, name in enumerate(names) if name not in known
        },
    )


def raw_column(position: int) -> str:
    """The name a raw file column has before mapping: ``c0``, ``c1``, ..."""
    return f"c{position}"


def bronze_rows(
    raw: pl.LazyFrame,
    *,
    spec: LandingFile,
    header: HeaderMapping,
    lineage: Lineage,
    first_row: int,
) -> pl.LazyFrame:
    """Bronze rows of one chunk of a landed file: one row per data record.

    ``raw`` holds the chunk's fields as text in columns ``c0, c1, ...`` (file
    order); ``first_row`` is the 1-based row number of its first record (the
    header is not counted).
    """
    data = [
        pl.col(raw_column(header.columns[column])).alias(column)
        if column in header.columns
        else pl.lit(None, dtype=pl.String).alias(column)
        for column in spec.columns
    ]
    extra = (
        pl.struct(
            pl.col(raw_column(i)).alias(name) for name, i in header.extras.items()
        ).struct.json_encode()
        if header.extras
        else pl.lit(None, dtype=pl.String)
    )
    return raw.select(
        *data,
        extra.alias(EXTRA_COLUMN),
        pl.lit(lineage.batch_id, dtype=pl.String).alias("_batch_id"),
        pl.lit(lineage.source_file, dtype=pl.String).alias("_source_file"),
        pl.lit(lineage.file_sha256, dtype=pl.String).alias("_file_sha256"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias("_row_number"),
        pl.lit(lineage.ingested_at, dtype=pl.Datetime("us", "UTC")).alias("_ingested_at"),
    )
