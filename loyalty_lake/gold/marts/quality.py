"""The data quality marts: reject and warning counts by reason, and where each batch's rows went."""

from __future__ import annotations

import polars as pl

from loyalty_lake.codes import RejectStatus, Severity, Stage


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
        pl.lit(Severity.REJECT).alias("severity"),
        (pl.col("status") == RejectStatus.OPEN).alias("_open"),
    )
    warned = warnings.select(
        "batch_id",
        "table",
        pl.col("reason_codes").alias("reason"),
        pl.lit(Severity.WARN).alias("severity"),
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


def batch_quality(processed_files: pl.LazyFrame, rejects: pl.LazyFrame) -> pl.LazyFrame:
    """One row per batch × table: bronze rows, accepted, open rejects, reprocessed, warned.

    ``reject_rate_pct`` is the share of the batch's bronze rows still rejected.
    """
    processed = processed_files.group_by("batch_id", "table").agg(
        pl.col("bronze_rows", "accepted", "rejected", "warned").sum().cast(pl.Int64)
    )
    promoted = (
        rejects.filter(pl.col("stage") == Stage.SILVER)
        .group_by("batch_id", "table")
        .agg(
            (pl.col("status") == RejectStatus.REPROCESSED).sum().cast(pl.Int64).alias("reprocessed")
        )
    )
    open_rejects = pl.col("rejected") - pl.col("reprocessed")
    return (
        processed.join(promoted, on=["batch_id", "table"], how="left")
        .with_columns(pl.col("reprocessed").fill_null(0))
        .select(
            "batch_id",
            "table",
            "bronze_rows",
            (pl.col("accepted") + pl.col("reprocessed")).alias("accepted"),
            open_rejects.alias("open_rejects"),
            "reprocessed",
            "warned",
            (open_rejects / pl.col("bronze_rows").clip(1, None) * 100)
            .round(3)
            .alias("reject_rate_pct"),
        )
        .sort("batch_id", "table")
    )
