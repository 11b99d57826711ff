"""Pure transforms from a landed CSV file to bronze rows.

A bronze table has one column per contract column of its file (all text; null
when the file did not have the column, ``""`` when the value was empty), an
``_extra`` column holding unknown columns as a JSON object, ``_malformed``
(why a record could not be split into the header's fields; null for a
well-formed row), ``_padded`` (how many missing last fields of a short row
were padded with nulls; null for a full row) and the lineage columns below. A
malformed row keeps its raw text as ``{"_record": ...}`` in ``_extra``; silver
rejects it (MALFORMED_ROW).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import BadFileReason
from loyalty_lake.errors import BadFileError
from loyalty_lake.landing.contract import (
    MALFORMED,
    PADDED,
    RECORD,
    ROW_NUMBER,
    normalise_column,
    raw_column,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from loyalty_lake.landing.contract import LandingFile

EXTRA_COLUMN = "_extra"
MALFORMED_COLUMN = "_malformed"
#: The key of a malformed row's raw text in ``_extra``.
RECORD_KEY = "_record"
LINEAGE_COLUMNS: Mapping[str, pl.DataType] = {
    "_batch_id": pl.String(),
    "_source_file": pl.String(),
    "_file_sha256": pl.String(),
    "_row_number": pl.Int64(),
    "_ingested_at": pl.Datetime("us", "UTC"),
}


#: ``landed_files``, the manifest: one row per landed or refused file.
MANIFEST_SCHEMA = pl.Schema(
    {
        "batch_id": pl.String(),
        "source_file": pl.String(),
        "table": pl.String(),
        "file_sha256": pl.String(),
        "size_bytes": pl.Int64(),
        "rows": pl.Int64(),
        "delimiter": pl.String(),
        "status": pl.String(),
        "reason": pl.String(),
        "message": pl.String(),
        "run_id": pl.String(),
        "ingested_at": pl.Datetime("us", "UTC"),
    }
)


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
    ``min_fields`` is the fewest fields a row needs to hold every required
    column (1 + the last position of one): a shorter row is malformed, a row
    between that and the header's width lacks only optional or unknown
    columns and is padded.
    """

    columns: Mapping[str, int]
    extras: Mapping[str, int]
    min_fields: int


def bronze_schema(spec: LandingFile) -> pl.Schema:
    """The schema of the bronze table of ``spec``."""
    return pl.Schema(
        {column: pl.String() for column in spec.columns}
        | {EXTRA_COLUMN: pl.String(), MALFORMED_COLUMN: pl.String(), PADDED: pl.Int32()}
        | dict(LINEAGE_COLUMNS)
    )


def map_header(
    header: Sequence[str],
    spec: LandingFile,
    *,
    source_file: str,
    aliases: Mapping[str, str] | None = None,
) -> HeaderMapping:
    """Match a file's header to its contract columns (case-insensitive, trimmed).

    A header name in ``aliases`` (default: the contract's built-in ones, see
    :func:`~loyalty_lake.landing.contract.column_aliases`) stands for its
    contract column, unless the file also has that column under its own name.

    Raises :class:`BadFileError` when a required column is missing or a name
    appears twice. Messages name contract columns only: a header that is really
    a data row (a file without a header) is never echoed.
    """
    names = [normalise_column(name) or f"column_{i + 1}" for i, name in enumerate(header)]
    known = set(spec.columns)
    aliases = spec.column_aliases if aliases is None else aliases
    names = [
        aliases[name] if name not in known and aliases.get(name) in known - set(names) else name
        for name in names
    ]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        contract = [name for name in repeated if name in known]
        which = f"column {contract[0]!r}" if contract else "a column name"
        raise BadFileError(
            f"{source_file}: {which} appears more than once in the header.",
            reason=BadFileReason.DUPLICATE_COLUMNS,
            hint="Give every column a distinct name (names are compared case-insensitively).",
        )
    missing = [column for column in spec.columns if column in spec.required and column not in names]
    if missing:
        found = [column for column in spec.columns if column in names]
        raise BadFileError(
            f"{source_file}: required column(s) {', '.join(missing)} missing; the header's "
            f"{len(names)} column(s) include "
            f"{', '.join(found) if found else 'none of the contract columns'}.",
            reason=BadFileReason.MISSING_COLUMNS,
            hint=f"A {spec.filename} file needs the columns {', '.join(sorted(spec.required))} "
            "in its first row.",
        )
    columns = {name: i for i, name in enumerate(names) if name in known}
    return HeaderMapping(
        columns=columns,
        extras={
            header[i].strip() or names[i]: i for i, name in enumerate(names) if name not in known
        },
        min_fields=1 + max((i for name, i in columns.items() if name in spec.required), default=0),
    )


def bronze_rows(
    raw: pl.LazyFrame, *, spec: LandingFile, header: HeaderMapping, lineage: Lineage
) -> pl.LazyFrame:
    """Bronze rows of one chunk of a landed file: one row per data record.

    ``raw`` is a chunk of :func:`loyalty_lake.io.landing.read_records`: the
    fields as text in columns ``c0, c1, ...`` (file order), ``_row_number``
    (1-based among the data records), for a malformed record ``_malformed``
    (the reason) and ``_record`` (its raw text), and for a padded record
    ``_padded`` (how many of its last fields are null: the file did not give them).
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
    record = pl.struct(pl.col(RECORD).alias(RECORD_KEY)).struct.json_encode()
    return raw.select(
        *data,
        pl.when(pl.col(MALFORMED).is_null()).then(extra).otherwise(record).alias(EXTRA_COLUMN),
        pl.col(MALFORMED).alias(MALFORMED_COLUMN),
        pl.col(PADDED).cast(pl.Int32).alias(PADDED),
        pl.lit(lineage.batch_id, dtype=pl.String).alias("_batch_id"),
        pl.lit(lineage.source_file, dtype=pl.String).alias("_source_file"),
        pl.lit(lineage.file_sha256, dtype=pl.String).alias("_file_sha256"),
        pl.col(ROW_NUMBER).cast(pl.Int64).alias("_row_number"),
        pl.lit(lineage.ingested_at, dtype=pl.Datetime("us", "UTC")).alias("_ingested_at"),
    )
