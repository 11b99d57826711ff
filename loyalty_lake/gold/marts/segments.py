"""The segments mart: the mission's three segments, summarised.

Each share says its population in its name, and every report (the dashboard's
tiles, the CLI's segments table, the docs) shows these columns as they are:

- ``share_of_customers_pct``: the segment's customers among *all* customers
  of ``customer_details`` (members without a sale included, in Others);
- ``share_of_buyers_pct``: the segment's ``buyers`` (customers with at least
  one SALE up to ``as_of``) among all customers with a sale.

Segments are exclusive (High Spender > At Risk > Others), so each set of
shares adds up to 100 %.
"""

from __future__ import annotations

import polars as pl

from loyalty_lake.codes import MONEY, Segment


def share_pct(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    """``part`` as a percentage of ``whole``, rounded to 2 decimals (0 when ``whole`` is 0)."""
    return (part / whole.clip(1, None) * 100).round(2)


def segment_summary(customer_details: pl.LazyFrame) -> pl.LazyFrame:
    """One row per segment (all three, empty ones too): customers, buyers, shares, revenue, points.

    ``customers`` are the segment's rows of ``customer_details``; ``buyers``
    those of them with a sale (``frequency`` > 0); ``revenue`` their net spend
    (sum of ``monetary``); ``average_points`` and ``points_outstanding`` their
    average and total balance.
    """
    every = pl.LazyFrame(
        {"segment": [Segment.HIGH_SPENDER, Segment.AT_RISK, Segment.OTHERS]},
        schema={"segment": pl.String},
    )
    summary = customer_details.group_by("segment").agg(
        pl.len().cast(pl.Int64).alias("customers"),
        (pl.col("frequency") > 0).sum().cast(pl.Int64).alias("buyers"),
        pl.col("monetary").sum().cast(MONEY).alias("revenue"),
        pl.col("total_loyalty_points").mean().round(1).alias("average_points"),
        pl.col("total_loyalty_points").sum().cast(pl.Int64).alias("points_outstanding"),
    )
    return (
        every.join(summary, on="segment", how="left")
        .with_columns(
            pl.col("customers", "buyers", "points_outstanding").fill_null(0),
            pl.col("revenue").fill_null(0).cast(MONEY),
        )
        .with_columns(
            share_pct(pl.col("customers"), pl.col("customers").sum()).alias(
                "share_of_customers_pct"
            ),
            share_pct(pl.col("buyers"), pl.col("buyers").sum()).alias("share_of_buyers_pct"),
        )
        .select(
            "segment",
            "customers",
            "share_of_customers_pct",
            "buyers",
            "share_of_buyers_pct",
            "revenue",
            "average_points",
            "points_outstanding",
        )
        .sort("segment")
    )
