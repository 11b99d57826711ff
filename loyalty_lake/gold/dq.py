"""The data quality mart."""

from __future__ import annotations

import polars as pl

from loyalty_lake.codes import RejectStatus


def dq_summary(rejects: pl.LazyFrame, warnings: pl.LazyFrame) -> pl.LazyFrame:
    """One row per batch, table, reason code and severity: how many rows carry it.

    A row with two reasons counts under both. ``open_rows`` counts the rejects
    not yet promoted by reprocessing (for warnings: all of them, they stay in
    silver).
    """
    rejected = rejects.select(
        "batch_id",
        "table",
        pl.col("reason_codes").alias("reason"),
        pl.lit("reject").alias("severity"),
        (pl.col("status") == RejectStatus.OPEN).alias("_open"),
    )
    warned = warnings.select(
        "batch_id",
        "table",
        pl.col("reason_codes").alias("reason"),
        pl.lit("warn").alias("severity"),
        pl.lit(True).alias("_open"),
    )
    return (
        pl.concat([rejected, warned])
        .explode("reason")
        .group_by("batch_id", "table", "reason", "severity")
        .agg(
            pl.len().cast(pl.Int64).alias("rows"),
            pl.col("_open").sum().cast(pl.Int64).alias("open_rows"),
        )
        .sort("batch_id", "table", "severity", "reason")
    )
