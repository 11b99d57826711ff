"""The loyalty mart: points moved per day, and the members who bought."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import EventType, TransactionType

if TYPE_CHECKING:
    from datetime import date


def loyalty_daily(ledger: pl.LazyFrame, sales_header: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per date: points earned, reversed, redeemed, expired, net, and active members.

    Active members: distinct customers with a SALE that day.
    """

    def total(*types: EventType) -> pl.Expr:
        return pl.when(pl.col("event_type").is_in(types)).then(pl.col("points")).sum().abs()

    points = ledger.group_by(pl.col("event_date").alias("date")).agg(
        total(EventType.EARN, EventType.BONUS).cast(pl.Int64).alias("points_earned"),
        total(EventType.REVERSAL).cast(pl.Int64).alias("points_reversed"),
        total(EventType.REDEEM).cast(pl.Int64).alias("points_redeemed"),
        total(EventType.EXPIRE).cast(pl.Int64).alias("points_expired"),
        pl.col("points").sum().cast(pl.Int64).alias("points_net"),
    )
    members = (
        sales_header.filter(
            (pl.col("transaction_type") == TransactionType.SALE)
            & pl.col("customer_id").is_not_null()
            & (pl.col("transaction_date") <= as_of)
        )
        .group_by(pl.col("transaction_date").alias("date"))
        .agg(pl.col("customer_id").n_unique().cast(pl.Int64).alias("active_members"))
    )
    counts = ["points_earned", "points_reversed", "points_redeemed", "points_expired", "points_net"]
    return (
        points.join(members, on="date", how="full", coalesce=True)
        .with_columns(pl.col(*counts, "active_members").fill_null(0))
        .select("date", *counts, "active_members")
        .sort("date")
    )
