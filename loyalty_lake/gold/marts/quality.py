"""The data quality marts: rejects and warnings by reason, where each batch's rows went.

Also the normalisations silver applied, and the references it could not check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import RejectStatus, Severity, Stage
from loyalty_lake.landing.contract import REFERENCES

if TYPE_CHECKING:
    from collections.abc import Mapping


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


def normalisation_summary(normalisations: pl.LazyFrame) -> pl.LazyFrame:
    """One row per batch × table × column × kind: how many values silver read that way.

    ``normalisations`` is silver's per-file count (``silver/normalisations``).
    """
    return (
        normalisations.group_by("batch_id", "table", "column", "kind")
        .agg(
            pl.col("rows").sum().cast(pl.Int64),
            pl.col("file_sha256").n_unique().cast(pl.Int64).alias("files"),
        )
        .filter(pl.col("rows") > 0)
        .sort("batch_id", "table", "column", "kind")
    )


def unchecked_references(
    facts: Mapping[str, pl.LazyFrame], masters: Mapping[str, pl.LazyFrame]
) -> pl.LazyFrame:
    """Accepted fact rows whose reference is not a key of its master table.

    Such rows were accepted with an UNVERIFIED_<MASTER> warning while the
    master had not landed. One row per table × column: ``master``, ``state``
    (``unverified`` while the master still has no row, ``unknown`` once it has:
    the reference turned out not to exist), ``rows`` and ``values`` (distinct ids).
    """
    found = []
    for (table, column), (master, key) in REFERENCES.items():
        keys = masters[master].select(pl.col(key).alias(column))
        landed = keys.select(pl.len().alias("_master_rows"))
        found.append(
            facts[table]
            .filter(pl.col(column).is_not_null())
            .join(keys, on=column, how="anti")
            .select(column)
            .join(landed, how="cross")
            .group_by("_master_rows")
            .agg(pl.len().cast(pl.Int64).alias("rows"), pl.col(column).n_unique().alias("values"))
            .select(
                pl.lit(table).alias("table"),
                pl.lit(column).alias("column"),
                pl.lit(master).alias("master"),
                pl.when(pl.col("_master_rows") == 0)
                .then(pl.lit("unverified"))
                .otherwise(pl.lit("unknown"))
                .alias("state"),
                "rows",
                pl.col("values").cast(pl.Int64),
            )
        )
    return pl.concat(found)
