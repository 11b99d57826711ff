"""The segments mart: the mission's three segments, summarised."""

from __future__ import annotations

import polars as pl

from loyalty_lake.codes import MONEY, Segment


def segment_summary(customer_details: pl.LazyFrame) -> pl.LazyFrame:
    """One row per segment (all three, empty ones too): customers, share, revenue, points."""
    every = pl.LazyFrame(
        {"segment": [Segment.HIGH_SPENDER, Segment.AT_RISK, Segment.OTHERS]},
        schema={"segment": pl.String},
    )
    summary = customer_details.group_by("segment").agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").sum().cast(MONEY).alias("revenue"),
        pl.col("total_loyalty_points").mean().round(1).alias("average_points"),
        pl.col("total_loyalty_points").sum().cast(pl.Int64).alias("points_outstanding"),
    )
    return (
        every.join(summary, on="segment", how="left")
        .with_columns(
            pl.col("customers", "points_outstanding").fill_null(0),
            pl.col("revenue").fill_null(0).cast(MONEY),
        )
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().clip(1, None) * 100)
            .round(2)
            .alias("share_pct")
        )
        .select(
            "segment", "customers", "share_pct", "revenue", "average_points", "points_outstanding"
        )
        .sort("segment")
    )
