"""Balances: each customer's points, lifetime earnings and tier, and the next points to expire.

Both read the published points ledger, whose rows per customer sum to the balance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import EventType, TransactionType

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import TierThresholds

_IS_LOT = pl.col("event_type").is_in([EventType.EARN, EventType.BONUS])


def customer_points(
    ledger: pl.LazyFrame, sales_header: pl.LazyFrame, *, as_of: date, tiers: TierThresholds
) -> pl.LazyFrame:
    """One row per customer with points or a sale: balance, lifetime points, last purchase, tier.

    ``total_loyalty_points`` is the balance (the sum of the customer's ledger
    rows); ``lifetime_points_earned`` counts EARN and BONUS net of reversals;
    the tier (``loyalty_status``) comes from the same, in the 12 months up to
    ``as_of``. ``tier_window_from`` is the date of the oldest of those events:
    the tier can change with time alone only once it leaves the window
    (:func:`tier_window_start` of a later ``as_of`` reaches it).
    """
    window_start = tier_window_start(as_of)
    earned = pl.col("event_type").is_in([EventType.EARN, EventType.BONUS, EventType.REVERSAL])
    in_window = earned & (pl.col("event_date") > window_start)
    points = ledger.group_by("customer_id").agg(
        pl.col("points").sum().alias("total_loyalty_points"),
        # `when` rather than `filter`: a group-by over millions of events keeps its rows in place.
        pl.when(earned).then(pl.col("points")).sum().alias("lifetime_points_earned"),
        pl.when(in_window).then(pl.col("points")).sum().alias("_recent"),
        pl.when(in_window).then(pl.col("event_date")).min().alias("tier_window_from"),
    )
    purchases = (
        sales_header.filter(
            (pl.col("transaction_type") == TransactionType.SALE)
            & (pl.col("transaction_date") <= as_of)
            & pl.col("customer_id").is_not_null()
        )
        .group_by("customer_id")
        .agg(pl.col("transaction_date").max().alias("last_purchase_date"))
    )
    return (
        points.join(purchases, on="customer_id", how="full", coalesce=True)
        .with_columns(pl.col("total_loyalty_points", "lifetime_points_earned").fill_null(0))
        .with_columns(tier(pl.col("_recent").fill_null(0), tiers).alias("loyalty_status"))
        .drop("_recent")
    )


def tier_window_start(as_of: date) -> pl.Expr:
    """The day before the tier's 12-month window: events after it count toward the tier."""
    return pl.lit(as_of).dt.offset_by("-12mo")


#: The tiers, from the lowest.
TIER_NAMES = ("Bronze", "Silver", "Gold", "Platinum")


def tier(recent_points: pl.Expr, tiers: TierThresholds) -> pl.Expr:
    """The ``loyalty_status`` of the points earned (net of reversals) in the last 12 months."""
    return (
        pl.when(recent_points >= tiers.platinum)
        .then(pl.lit("Platinum"))
        .when(recent_points >= tiers.gold)
        .then(pl.lit("Gold"))
        .when(recent_points >= tiers.silver)
        .then(pl.lit("Silver"))
        .otherwise(pl.lit("Bronze"))
    )


def next_expiry(ledger: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per customer with unexpired points: the next expiry date and how many points.

    Lots are used oldest first, so what remains of lot j is
    clip(E_j − max(E_{j−1}, U), 0, points_j), U being everything consumed or
    expired so far.
    """
    used = (
        ledger.filter(_IS_LOT.not_())
        .group_by("customer_id")
        .agg((-pl.col("points").sum()).alias("_used"))
    )
    return (
        ledger.filter(_IS_LOT)
        .with_columns(
            pl.col("points").cum_sum().over("customer_id", order_by="sequence").alias("_earned")
        )
        .join(used, on="customer_id", how="left")
        .with_columns(pl.col("_used").fill_null(0))
        .with_columns(
            (
                pl.col("_earned")
                - pl.max_horizontal(pl.col("_earned") - pl.col("points"), pl.col("_used"))
            )
            .clip(0, None)
            .alias("_left")
        )
        .filter((pl.col("_left") > 0) & (pl.col("expires_on") > as_of))
        .group_by("customer_id", "expires_on")
        .agg(pl.col("_left").sum().alias("points_expiring"))
        .group_by("customer_id")
        .agg(
            pl.col("expires_on").min().alias("next_expiry_date"),
            pl.col("points_expiring").sort_by("expires_on").first(),
        )
    )
