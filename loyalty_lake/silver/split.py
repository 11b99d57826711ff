"""Checked rows → silver rows, rejects and warnings (one split, nothing dropped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import RejectStatus, Stage
from loyalty_lake.silver.checks import MESSAGES, RAW, REASONS, WARN_BITS, WARNINGS, is_rejected
from loyalty_lake.silver.models import SILVER_MODELS, Rejects, Warnings, schema

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty_lake.landing.contract import LandingFile


def silver_rows(checked: pl.LazyFrame, spec: LandingFile) -> pl.LazyFrame:
    """The accepted rows of a checked table, in its silver schema."""
    target = schema(SILVER_MODELS[spec.name])
    return checked.filter(is_rejected().not_()).select(
        pl.col(name).cast(dtype) for name, dtype in target.items()
    )


def _as_read(column: str, schema: pl.Schema) -> pl.Expr:
    """A key column as silver read it, as text.

    An id as read (``15.0`` → ``15``, ``NULL`` → null); a typed value (a date)
    as text, or its own text when it does not parse.
    """
    if schema[column] == pl.String:
        return pl.col(column)
    return pl.coalesce(
        pl.col(column).cast(pl.String), pl.col(RAW).struct.field(column).str.strip_chars()
    )


def _key(spec: LandingFile, schema: pl.Schema) -> pl.Expr:
    return pl.concat_str([_as_read(c, schema).fill_null("") for c in spec.key], separator="|")


def _transaction_id(spec: LandingFile, schema: pl.Schema) -> pl.Expr:
    if "transaction_id" in spec.columns:
        return _as_read("transaction_id", schema)
    return pl.lit(None, dtype=pl.String)


def _lineage(spec: LandingFile) -> list[pl.Expr]:
    """Where a rejected or warned row came from, in the rejects/warnings naming."""
    return [
        pl.lit(spec.name).alias("table"),
        pl.col("_batch_id").alias("batch_id"),
        pl.col("_source_file").alias("source_file"),
        pl.col("_file_sha256").alias("file_sha256"),
        pl.col("_row_number").alias("row_number"),
    ]


def reject_rows(
    checked: pl.LazyFrame, spec: LandingFile, *, run_id: str, now: datetime
) -> pl.LazyFrame:
    """One rejects-table row per rejected row: reasons, message, raw values, lineage."""
    columns = checked.collect_schema()
    return (
        checked.filter(is_rejected())
        .select(
            *_lineage(spec),
            pl.col("_ingested_at").alias("ingested_at"),
            _key(spec, columns).alias("key"),
            _transaction_id(spec, columns).alias("transaction_id"),
            pl.col(REASONS).alias("reason_codes"),
            pl.col(MESSAGES).alias("message"),
            pl.col(RAW).struct.json_encode().alias("raw_values"),
            pl.lit(RejectStatus.OPEN.value).alias("status"),
            pl.lit(Stage.SILVER.value).alias("stage"),
            pl.lit(run_id).alias("run_id"),
            pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("rejected_at"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("reprocessed_at"),
        )
        .cast(schema(Rejects))
    )


def warning_rows(
    checked: pl.LazyFrame, spec: LandingFile, *, run_id: str, now: datetime
) -> pl.LazyFrame:
    """One warnings-table row per accepted row that broke a warn-severity rule."""
    columns = checked.collect_schema()
    return (
        checked.filter(is_rejected().not_() & (pl.col(WARN_BITS) != 0))
        .select(
            *_lineage(spec),
            _key(spec, columns).alias("key"),
            pl.col(WARNINGS).alias("reason_codes"),
            pl.col(MESSAGES).alias("message"),
            pl.lit(run_id).alias("run_id"),
            pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("detected_at"),
        )
        .cast(schema(Warnings))
    )
